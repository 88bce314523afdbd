#!/usr/bin/env bash
# flux_bootstrap_git figures (issue #7), from the release build against the test
# environment (real Terraform 1.15.5, git servers, kube-apiservers, Flux controllers):
#   - bootstrap, provider time excluding the waits: one `terraform apply` creating the
#     resource (2 components) with TF_LOG_PROVIDER=debug; the provider logs each RPC's
#     duration ("served request", duration_ms) and every time it waited on a controller
#     ("waited for ...", waited_ms): the apiserver's establishing controller making the
#     CRDs servable, then the Flux controllers and Deployments becoming ready. Figure =
#     sum of every RPC's duration_ms during the apply (validate, configure, plan, apply)
#     minus those waits. Median of N.
#   - no-change plan, provider time: the sum of the provider's RPC durations during a
#     `terraform plan` right after that apply (the goal's figure), printed with the
#     plan's wall time, which adds the CLI's own start-up and state handling. Median of N.
#   - 5 bootstraps into one repository at once: 5 `terraform apply` processes started
#     together, one per cluster (the first cluster plus 4 from add-cluster), each with
#     its own path: failures, wall time, whether the history stayed linear.
# Usage: bench/bootstrap.sh [runs]   (default 5). Writes bench/results/bootstrap.txt.
# Environment: state in ${FLUX_BENCH_STATE:-target/flux-bench-env}, stopped at the end
# unless FLUX_BENCH_KEEP_ENV=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${1:-5}
state=${FLUX_BENCH_STATE:-$root/target/flux-bench-env}
env_dir=$root/tests/acceptance/env

nice -n 10 cargo build --release --locked -p terraform-provider-flux >&2
bin_dir=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release
tfdir=$("$env_dir/build/terraform.sh" --installed) || {
  echo "bench/bootstrap.sh: run tests/acceptance/env/setup first" >&2; exit 1; }
terraform=$tfdir/terraform

work=$(mktemp -d)
cleanup() {
  rm -rf "$work"
  if [ "${FLUX_BENCH_KEEP_ENV:-0}" != 1 ]; then "$env_dir/down" --state "$state" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# shellcheck disable=SC1090
. <("$env_dir/up" --state "$state")
cat > "$work/cli.tfrc" <<TF
provider_installation {
  dev_overrides { "fluxcd/flux" = "$bin_dir" }
  direct {}
}
TF
export TF_CLI_CONFIG_FILE=$work/cli.tfrc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
unset TF_LOG

now() { date +%s.%N; }
hcl() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

# main.tf of one bootstrap: $1 dir, $2 kubeconfig, $3 repository URL, $4 path.
write_config() {
  cat > "$1/main.tf" <<TF
terraform {
  required_providers {
    flux = { source = "fluxcd/flux" }
  }
}
provider "flux" {
  kubernetes = { config_path = $(hcl "$2") }
  git = {
    url  = $(hcl "$3")
    http = {
      username            = $(hcl "$FLUX_TEST_GIT_USERNAME")
      password            = $(hcl "$FLUX_TEST_GIT_PASSWORD")
      allow_insecure_http = true
    }
  }
}
resource "flux_bootstrap_git" "this" {
  path       = $(hcl "$4")
  components = ["source-controller", "kustomize-controller"]
}
TF
}

new_repo() {
  "$env_dir/new-repo" --state "$state" "$1" | sed -n 's/^export FLUX_TEST_GIT_REPO_HTTP_URL=//p' | tr -d "'\""
}

# Sum of the provider's RPC durations, and its waits, in a Terraform log.
provider_ms() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
served = sum(int(m) for m in re.findall(r"served request:.*?duration_ms=(\d+)", text))
waited = sum(int(m) for m in re.findall(r"waited for [^:\n]*:.*?waited_ms=(\d+)", text))
print(served, waited)
PY
}

median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.3f}")' "$@"; }

bootstrap_ms=()
wait_ms=()
plan_s=()
plan_provider_ms=()
for run in $(seq 1 "$runs"); do
  dir=$work/single-$run
  mkdir -p "$dir"
  url=$(new_repo "bench-single-$run-$$")
  write_config "$dir" "$KUBECONFIG" "$url" "clusters/bench"
  (cd "$dir" && TF_LOG_PROVIDER=debug TF_LOG_PATH="$dir/apply.log" \
    nice -n 10 "$terraform" apply -no-color -input=false -auto-approve >"$dir/apply.out" 2>&1) || {
    cat "$dir/apply.out" >&2; exit 1; }
  read -r served waited < <(provider_ms "$dir/apply.log")
  bootstrap_ms+=("$((served - waited))")
  wait_ms+=("$waited")
  t0=$(now)
  (cd "$dir" && TF_LOG_PROVIDER=debug TF_LOG_PATH="$dir/plan.log" \
    "$terraform" plan -no-color -input=false -detailed-exitcode >"$dir/plan.out" 2>&1) || {
    echo "the plan after apply is not empty or failed:" >&2; cat "$dir/plan.out" >&2; exit 1; }
  t1=$(now)
  plan_s+=("$(echo "$t1 - $t0" | bc -l)")
  read -r served _ < <(provider_ms "$dir/plan.log")
  plan_provider_ms+=("$served")
  (cd "$dir" && "$terraform" destroy -no-color -input=false -auto-approve >"$dir/destroy.out" 2>&1) || {
    cat "$dir/destroy.out" >&2; exit 1; }
  echo "run $run: bootstrap ${bootstrap_ms[-1]} ms excluding ${wait_ms[-1]} ms of waits; plan ${plan_s[-1]} s (provider ${plan_provider_ms[-1]} ms)" >&2
done

# Five bootstraps into one repository at once, one cluster each.
kubeconfigs=("$KUBECONFIG")
for i in 1 2 3 4; do
  exports=$("$env_dir/add-cluster" --state "$state" "bench$i")
  kubeconfigs+=("$(sed -n "s/^export FLUX_TEST_CLUSTER_BENCH${i}_KUBECONFIG=//p" <<<"$exports" | tr -d "'\"")")
done
url=$(new_repo "bench-parallel-$$")
for i in 0 1 2 3 4; do
  mkdir -p "$work/parallel-$i"
  write_config "$work/parallel-$i" "${kubeconfigs[$i]}" "$url" "clusters/cluster-$i"
done
t0=$(now)
pids=()
for i in 0 1 2 3 4; do
  (cd "$work/parallel-$i" && nice -n 10 "$terraform" apply -no-color -input=false -auto-approve >apply.out 2>&1) &
  pids+=("$!")
done
failures=0
for pid in "${pids[@]}"; do wait "$pid" || failures=$((failures + 1)); done
t1=$(now)
parallel_s=$(echo "$t1 - $t0" | bc -l)
check=$work/check
git clone -q "$(sed "s#http://#http://$FLUX_TEST_GIT_USERNAME:$FLUX_TEST_GIT_PASSWORD@#" <<<"$url")" "$check"
merges=$(git -C "$check" rev-list --merges HEAD | wc -l)
synced=$(git -C "$check" log --format=%s | grep -c '^Add Flux sync manifests$' || true)
for i in 0 1 2 3 4; do
  (cd "$work/parallel-$i" && "$terraform" destroy -no-color -input=false -auto-approve >destroy.out 2>&1) &
done
wait || true
if [ "$failures" -gt 0 ]; then
  for i in 0 1 2 3 4; do tail -5 "$work/parallel-$i/apply.out" >&2; done
fi

mkdir -p bench/results
{
  echo "flux_bootstrap_git benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, release build, load $(cut -d' ' -f1 /proc/loadavg))"
  printf '%-52s %s\n' "bootstrap, provider time excluding waits (median $runs)" "$(median "${bootstrap_ms[@]}") ms (goal <= 500 ms; waits median $(median "${wait_ms[@]}") ms)"
  printf '%-52s %s\n' "no-change plan, provider time (median $runs)" "$(median "${plan_provider_ms[@]}") ms (goal <= 300 ms; terraform plan wall median $(median "${plan_s[@]}") s)"
  printf '%-52s %s\n' "5 parallel terraform apply into one repository" "$failures failures, wall $(printf '%.1f' "$parallel_s") s, $synced/5 sync commits, $merges merge commits (goal: 0 failures)"
} | tee bench/results/bootstrap.txt
