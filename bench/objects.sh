#!/usr/bin/env bash
# Issue 8's scale figure: the wall time of one `terraform apply` (Terraform 1.15.5,
# default parallelism 10) creating N flux_kustomization resources with git delivery
# into one repository of the test environment (loopback), from the release build,
# with an empty git cache. Then checks that nothing was lost: every file is in git
# and listed in the directory's kustomization.yaml. Goal: N = 200 in <= 20 s.
# Usage: bench/objects.sh [N]   (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
state=${FLUX_TEST_STATE:-$PWD/target/flux-test-env}
# PROFILE=debug measures the debug build instead (no release build needed).
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release -p terraform-provider-flux >&2
else
  cargo build -p terraform-provider-flux >&2
fi
bin=$PWD/target/$profile/terraform-provider-flux
tfdir=$(tests/acceptance/env/build/terraform.sh --installed) || {
  echo "bench/objects.sh: run tests/acceptance/env/setup first" >&2; exit 1; }
eval "$(tests/acceptance/env/up --state "$state")"
repo=objects-bench-$$-$(date +%s)
eval "$(tests/acceptance/env/new-repo --state "$state" "$repo" --empty)"
url=$FLUX_TEST_GIT_REPO_HTTP_URL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/cli.tfrc" <<TF
provider_installation {
  dev_overrides { "fluxcd/flux" = "$(dirname "$bin")" }
  direct {}
}
TF
cat > "$work/main.tf" <<TF
terraform {
  required_providers {
    flux = { source = "fluxcd/flux" }
  }
}
provider "flux" {
  git = {
    url  = "$url"
    http = { username = "$FLUX_TEST_GIT_USERNAME", password = "$FLUX_TEST_GIT_PASSWORD", allow_insecure_http = true }
  }
}
resource "flux_kustomization" "app" {
  count         = $n
  name          = "app-\${count.index}"
  git_directory = "clusters/bench/apps"
  path          = "./apps/\${count.index}"
  prune         = true
  source_ref    = { kind = "GitRepository", name = "flux-system" }
}
TF
export TF_CLI_CONFIG_FILE=$work/cli.tfrc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export FLUX_PROVIDER_GIT_CACHE=$work/git-cache
start=$(date +%s.%N)
(cd "$work" && "$tfdir/terraform" apply -auto-approve -no-color -input=false >"$work/apply.out" 2>&1) || {
  tail -40 "$work/apply.out" >&2; exit 1; }
end=$(date +%s.%N)
# A second plan refreshes every object from git and must find nothing to change.
plan_code=0
(cd "$work" && "$tfdir/terraform" plan -detailed-exitcode -no-color -input=false >"$work/plan.out" 2>&1) || plan_code=$?
plan_end=$(date +%s.%N)

authed=${url/:\/\//://$FLUX_TEST_GIT_USERNAME:$FLUX_TEST_GIT_PASSWORD@}
git clone -q "$authed" "$work/check"
files=$(find "$work/check/clusters/bench/apps" -name 'kustomization-flux-system-app-*.yaml' | wc -l)
listed=$(grep -c '^- kustomization-flux-system-app-' "$work/check/clusters/bench/apps/kustomization.yaml" || true)
commits=$(git -C "$work/check" rev-list --count HEAD)
in_state=$(cd "$work" && "$tfdir/terraform" state list | grep -c '^flux_kustomization.app' || true)
mkdir -p bench/results
{
  printf 'objects bench (%s, %d cores, load average %s, %s build): %d flux_kustomization, git delivery, parallelism 10\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" "$profile" "$n"
  printf '  terraform apply wall time: %.2f s (goal <= 20 s for 200)\n' "$(echo "$end - $start" | bc -l)"
  printf '  terraform plan (refresh of all %d) wall time: %.2f s, exit code %d (0 = no change)\n' \
    "$n" "$(echo "$plan_end - $end" | bc -l)" "$plan_code"
  printf '  files in git: %d/%d, listed in kustomization.yaml: %d/%d, in state: %d/%d, commits: %d\n' \
    "$files" "$n" "$listed" "$n" "$in_state" "$n" "$commits"
} | tee "bench/results/objects-$profile.txt"
[ "$files" = "$n" ] && [ "$listed" = "$n" ] && [ "$in_state" = "$n" ] || { echo "LOST OBJECTS" >&2; exit 1; }
[ "$plan_code" = 0 ] || { tail -40 "$work/plan.out" >&2; echo "the plan after apply is not empty" >&2; exit 1; }
