#!/usr/bin/env bash
# How many lines `terraform plan` prints for flux_bootstrap_git, the figures issues
# ask for (a default bootstrap's create plan under 100 lines, a version upgrade under
# 200, a drift under 40), measured on one local environment:
#
#   create           plan of a default bootstrap (all four default controllers)
#   upgrade          plan from Flux "v2.9.0" (the built-in manifests with older image
#                    tags, as the upgrade acceptance test makes them) to the built-in v2.9.4
#   drift-replicas   plan after `kubectl scale deployment/source-controller --replicas=0`
#   drift-git-file   plan after gotk-sync.yaml was edited in git
#
# Usage: bench/plan-lines.sh   (prints a table; writes bench/results/plan-lines.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cache=${FLUX_TEST_CACHE:-$HOME/.cache/flux-provider-test}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$cache/cargo-target}
unset TF_CLI_CONFIG_FILE TF_LOG
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

cargo build --locked -p terraform-provider-flux >&2
provider_dir=$CARGO_TARGET_DIR/debug

work=$(mktemp -d /tmp/flux-bench-plan-lines.XXXXXX)
trap 'tests/acceptance/env/down --state "$work/env" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
eval "$(tests/acceptance/env/up --state "$work/env")"
terraform=$FLUX_TEST_TERRAFORM

repo=$(tests/acceptance/env/new-repo --state "$work/env" bench-plan-lines | sed -n 's/^export FLUX_TEST_GIT_REPO_HTTP_URL=//p' | tr -d "'\"")
older=$work/v2.9.0
mkdir -p "$older"
for f in core/flux-manifests/v2.9.4/*.yaml; do
  sed -e 's|fluxcd/source-controller:v1.9.4|fluxcd/source-controller:v1.9.1|' \
      -e 's|fluxcd/kustomize-controller:v1.9.4|fluxcd/kustomize-controller:v1.9.1|' \
      -e 's|fluxcd/helm-controller:v1.6.3|fluxcd/helm-controller:v1.6.1|' \
      -e 's|fluxcd/notification-controller:v1.9.3|fluxcd/notification-controller:v1.9.1|' \
      "$f" > "$older/$(basename "$f")"
done

wd=$work/tf
mkdir -p "$wd"
printf 'provider_installation {\n  dev_overrides { "registry.terraform.io/fluxcd/flux" = "%s" }\n  direct {}\n}\n' "$provider_dir" > "$wd/cli.tfrc"
export TF_CLI_CONFIG_FILE=$wd/cli.tfrc
main() { # extra resource lines
  cat > "$wd/main.tf" <<TF
terraform {
  required_providers {
    flux = { source = "fluxcd/flux" }
  }
}
provider "flux" {
  kubernetes = { config_path = "$KUBECONFIG" }
  git = {
    url  = "$repo"
    http = {
      username            = "$FLUX_TEST_GIT_USERNAME"
      password            = "$FLUX_TEST_GIT_PASSWORD"
      allow_insecure_http = true
    }
  }
}
resource "flux_bootstrap_git" "this" {
  path = "clusters/bench"
$1
}
TF
}
tf() { "$terraform" -chdir="$wd" "$@"; }
results=$work/results
lines() { # case limit: plan, count its lines
  local n
  set +e
  tf plan -input=false -no-color -detailed-exitcode > "$wd/$1.plan" 2>&1
  local rc=$?
  set -e
  if [ "$rc" != 2 ]; then
    echo "bench/plan-lines.sh: plan for $1 exited $rc (expected 2: changes)" >&2
    tail -30 "$wd/$1.plan" >&2
    exit 1
  fi
  n=$(wc -l < "$wd/$1.plan")
  printf '| %s | %s | %s |\n' "$1" "$n" "$2" >> "$results"
}
apply() { tf apply -auto-approve -input=false -no-color > "$wd/apply.log" 2>&1 || { tail -30 "$wd/apply.log" >&2; exit 1; }; }

main ""
lines create 100
main "  version        = \"v2.9.0\"
  manifests_path = \"$older\""
apply
main ""
lines upgrade 200
apply
kubectl -n flux-system scale deployment/source-controller --replicas=0 >/dev/null
lines drift-replicas 40
apply
clone=$work/clone
git clone -q "$(echo "$repo" | sed "s|://|://$FLUX_TEST_GIT_USERNAME:$FLUX_TEST_GIT_PASSWORD@|")" "$clone"
sed -i 's/interval: 10m0s/interval: 20m0s/' "$clone/clusters/bench/flux-system/gotk-sync.yaml"
git -C "$clone" -c user.name=bench -c user.email=bench@example.invalid commit -qam drift
git -C "$clone" push -q origin HEAD
lines drift-git-file 40
apply
tf destroy -auto-approve -input=false -no-color > "$wd/destroy.log" 2>&1 || true

out=bench/results/plan-lines.txt
{
  echo "bench/plan-lines.sh on $(date -u +%Y-%m-%dT%H:%MZ), $("$terraform" version | head -n 1)"
  echo
  echo "| plan | lines | limit |"
  echo "|---|---|---|"
  cat "$results"
} > "$root/$out"
cat "$root/$out"
