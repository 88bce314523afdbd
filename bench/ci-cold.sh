#!/usr/bin/env bash
# Issue #3's cold figure: `.ci/run` from a fresh clone with every cache empty, timed.
# Empty means: FLUX_TEST_CACHE (Go module and build caches, the Go-built servers,
# the Terraform CLIs, cargo's target directory), CARGO_HOME (the crates.io registry)
# and pip's cache. Debian packages and the Go/Rust toolchains are taken as installed
# (the machine's image has them; `setup --parts apt` installs the packages in about
# a minute where they are missing).
#
# Usage: bench/ci-cold.sh [WORKDIR]   (default: a new directory under /tmp; about
#        40 minutes and 25 GB of disk here). The clone is placed beside ../shared,
#        as CI places it. Writes bench/results/ci-cold.txt: total wall time, the
#        setup parts and each step of the test command, and the peak RSS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d /tmp/ci-cold.XXXXXX)}
mkdir -p "$work"
clone=$(dirname "$root")/ci-cold-$$
trap 'rm -rf "$clone"' EXIT
git clone -q "$root" "$clone"
commit=$(git -C "$clone" rev-parse --short HEAD)
log=$work/ci.log
start=$(date +%s)
set +e
(
  set -o pipefail
  cd "$clone"
  export FLUX_TEST_CACHE=$work/cache CARGO_HOME=$work/cargo-home PIP_NO_CACHE_DIR=1 CI=true
  # Cargo output is timestamped so that each step of the test command can be timed.
  /usr/bin/time -v bash .ci/run 2>&1 | while IFS= read -r line; do
    printf '%s %s\n' "$(date +%s)" "$line"
  done
) > "$log"
rc=$?
set -e
end=$(date +%s)
{
  echo "cold .ci/run ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, commit $commit)"
  echo "total: $((end - start)) s, exit $(tail -n 20 "$log" | sed -n 's/.*Exit status: //p')"
  sed -n 's/^[0-9]* \(setup: part .*\)/\1/p; s/^[0-9]* \(.*go builds finished.*\)/\1/p; s/^[0-9]* \(.*: built in .*\)/\1/p' "$log"
  awk '/==> /{ if (name) printf "%-70s %5d s\n", name, $1 - t; t = $1; $1 = ""; name = $0 }
       END { if (name) printf "%-70s %5d s\n", name, '"$end"' - t }' "$log"
  grep -h "test result" "$log" | sed 's/^[0-9]* //' | awk '{p += $4; f += $6; i += $8} END {printf "tests: %d passed, %d failed, %d ignored\n", p, f, i}'
  sed -n 's/^[0-9]*[[:space:]]*Maximum resident set size (kbytes): \(.*\)/peak RSS of one process: \1 kB/p' "$log"
} | tee "$root/bench/results/ci-cold.txt"
exit "$rc"
