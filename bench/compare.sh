#!/usr/bin/env bash
# Side by side: this provider and the reference provider (fluxcd/terraform-provider-flux
# v1.8.5 in FLUX_TEST_REFERENCE_PROVIDER_DIR, built by
# tests/acceptance/env/build/reference-provider-from-source) through the same Terraform
# CLI, on one test environment, the same configuration and the same steps:
#
#   bootstrap        terraform apply of a flux_bootstrap_git into a repository with one
#                    commit (the reference cannot bootstrap an empty one), offline: the
#                    built-in Flux version from embedded manifests (wall time: both
#                    providers wait for the same real controllers)
#   no-change plan   terraform plan right after
#   plan after drift terraform plan after a file of the bootstrap was edited in git
#   destroy          terraform destroy, until it returns
#   destroy-until-namespace-gone  from the start of the destroy until the flux-system
#                    namespace is gone (the reference's destroy returns while it is
#                    still terminating; the next bootstrap needs it gone)
#
# then this provider's engine figures (render and git, from their own benchmarks).
# Prints a table of medians and the ratio ours/reference, and writes it to
# bench/results/compare.md and the docs guide templates/guides/benchmarks.md (published
# as docs/guides/benchmarks.md).
#
# Usage: bench/compare.sh [runs] [--no-engine]    (default 3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=3
engine=true
for arg in "$@"; do
  case "$arg" in
    --no-engine) engine=false ;;
    [0-9]*) runs=$arg ;;
    *) echo "bench/compare.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
cache=${FLUX_TEST_CACHE:-$HOME/.cache/flux-provider-test}
flux_version=$(cat core/flux-manifests/VERSION)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$cache/cargo-target}
unset TF_CLI_CONFIG_FILE TF_LOG
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

cargo build --release --locked -p terraform-provider-flux >&2
ours_dir=$CARGO_TARGET_DIR/release

work=$(mktemp -d /tmp/flux-bench-compare.XXXXXX)
trap 'tests/acceptance/env/down --state "$work/env" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
eval "$(tests/acceptance/env/up --state "$work/env")"
terraform=$FLUX_TEST_TERRAFORM

reference_dir=${FLUX_TEST_REFERENCE_PROVIDER_DIR:-}
reference_reason=""
if [ -z "$reference_dir" ] || [ ! -x "$reference_dir/terraform-provider-flux" ]; then
  reference_dir=""
  reference_reason=$(grep -h -m1 -o '403 Forbidden[^\\]*' "$cache/go/build-reference-provider.out" 2>/dev/null || true)
  reference_reason="not built here${reference_reason:+ (Go module proxy: $reference_reason)}; tests/acceptance/env/build/reference-provider-from-source builds it from source snapshots"
fi

now() { date +%s.%N; }

# run_cycle NAME PROVIDER_DIR N: one bootstrap/plan/drift/destroy cycle; appends
# "step seconds" lines to $work/NAME.times.
run_cycle() {
  local name=$1 dir=$2 n=$3 wd repo t0 t1 rc
  wd=$work/$name-$n
  mkdir -p "$wd"
  printf 'provider_installation {\n  dev_overrides { "registry.terraform.io/fluxcd/flux" = "%s" }\n  direct {}\n}\n' "$dir" > "$wd/cli.tfrc"
  repo=$(tests/acceptance/env/new-repo --state "$work/env" "bench-$name-$n" | sed -n 's/^export FLUX_TEST_GIT_REPO_HTTP_URL=//p' | tr -d "'\"")
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
      username              = "$FLUX_TEST_GIT_USERNAME"
      password              = "$FLUX_TEST_GIT_PASSWORD"
      allow_insecure_http   = true
    }
  }
}
resource "flux_bootstrap_git" "this" {
  path               = "clusters/bench"
  version            = "$flux_version"
  embedded_manifests = true
}
TF
  local tf=("$terraform" -chdir="$wd")
  export TF_CLI_CONFIG_FILE=$wd/cli.tfrc
  timed() {
    local step=$1 expect=$2
    shift 2
    t0=$(now)
    set +e
    "$@" >> "$wd/log" 2>&1
    rc=$?
    set -e
    t1=$(now)
    if [ "$rc" != "$expect" ]; then
      # Kept for a look after the environment is gone: the Terraform log and the
      # environment's logs (controllers, apiserver).
      keep=$(mktemp -d /tmp/flux-bench-compare-failed.XXXXXX)
      cp -r "$wd" "$keep/" && cp -r "$work/env/logs" "$keep/env-logs" || true
      echo "bench/compare.sh: $name $step exited $rc (expected $expect); logs kept in $keep" >&2
      tail -30 "$wd/log" >&2
      exit 1
    fi
    echo "$step $(echo "$t1 - $t0" | bc -l)" >> "$work/$name.times"
  }
  "${tf[@]}" init -input=false >> "$wd/log" 2>&1 || true
  timed bootstrap 0 "${tf[@]}" apply -auto-approve -input=false -no-color
  timed no-change-plan 0 "${tf[@]}" plan -input=false -no-color -detailed-exitcode
  # Drift: someone edits a file of the bootstrap in git (a comment: harmless when
  # Flux applies it, but the file no longer matches what the bootstrap committed).
  local clone=$wd/clone
  git clone -q "$(echo "$repo" | sed "s|://|://$FLUX_TEST_GIT_USERNAME:$FLUX_TEST_GIT_PASSWORD@|")" "$clone"
  echo "# edited by hand" >> "$clone/clusters/bench/flux-system/gotk-sync.yaml"
  git -C "$clone" add -A
  git -C "$clone" -c user.name=bench -c user.email=bench@example.invalid commit -q -m drift
  git -C "$clone" push -q origin HEAD
  timed plan-after-drift 2 "${tf[@]}" plan -input=false -no-color -detailed-exitcode
  timed destroy 0 "${tf[@]}" destroy -auto-approve -input=false -no-color
  # The next bootstrap needs the namespace and Flux's CRDs gone. A CRD can stay
  # Terminating for minutes after either provider's destroy: the apiserver's CRD
  # finalizer fails with "could not list instances: storage is (re)initializing" and
  # retries with backoff (seen with externalartifacts, 3 min 20 s); an install that
  # meets it times out waiting for it.
  local waited=0
  while kubectl --kubeconfig "$KUBECONFIG" get namespace flux-system >/dev/null 2>&1; do
    [ $waited -lt 300 ] || { echo "bench/compare.sh: $name: flux-system still there 150 s after destroy" >&2; exit 1; }
    sleep 0.5
    waited=$((waited + 1))
  done
  # From the start of the destroy ($t0 of its timed step) until the namespace is gone.
  echo "destroy-until-namespace-gone $(echo "$(now) - $t0" | bc -l)" >> "$work/$name.times"
  waited=0
  while kubectl --kubeconfig "$KUBECONFIG" get crd -o name | grep -q 'toolkit\.fluxcd\.io$'; do
    [ $waited -lt 1200 ] || { echo "bench/compare.sh: $name: Flux CRDs still there 10 min after destroy: $(kubectl --kubeconfig "$KUBECONFIG" get crd -o name | grep fluxcd)" >&2; exit 1; }
    sleep 0.5
    waited=$((waited + 1))
  done
  [ $waited -eq 0 ] || echo "bench/compare.sh: $name: waited $((waited / 2)) s more (untimed) for Flux CRDs to go" >&2
}

for n in $(seq 1 "$runs"); do
  echo "==> run $n/$runs: ours" >&2
  run_cycle ours "$ours_dir" "$n"
  if [ -n "$reference_dir" ]; then
    echo "==> run $n/$runs: reference" >&2
    run_cycle reference "$reference_dir" "$n"
  fi
done

median() { # step file -> median seconds
  awk -v s="$1" '$1 == s { print $2 }' "$2" | sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%.2f", a[int((NR + 1) / 2)] }'
}

out=bench/results/compare.md
{
  echo "# This provider and the reference provider, side by side"
  echo
  echo "\`bench/compare.sh $runs\` on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, Terraform $("$terraform" version | head -n 1 | sed 's/^Terraform //'),"
  echo "one local environment (real git server, kube-apiserver, Flux controllers; see tests/acceptance/env/README.md)."
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Medians of $runs runs, in seconds. Bootstrap and destroy include the wait for the real controllers;"
  echo "destroy-until-namespace-gone runs from the start of the destroy until the flux-system namespace is gone"
  echo "(this provider's destroy waits for that; the reference's returns while the namespace is terminating)."
  echo "Both run with version = \"$flux_version\" and embedded_manifests = true (the reference embeds this project's built-in manifests)."
  echo
  echo "| step | ours | reference | ours / reference |"
  echo "|---|---|---|---|"
  for step in bootstrap no-change-plan plan-after-drift destroy destroy-until-namespace-gone; do
    o=$(median "$step" "$work/ours.times")
    if [ -n "$reference_dir" ]; then
      r=$(median "$step" "$work/reference.times")
      echo "| $step | $o | $r | $(printf "%.2f" "$(echo "$o / $r" | bc -l)") |"
    else
      echo "| $step | $o | n/a | n/a |"
    fi
  done
  if [ -n "$reference_dir" ]; then
    embedded=$(cat "$reference_dir/terraform-provider-flux.FLUX_VERSION" 2>/dev/null || echo unknown)
    echo
    echo "Reference provider: fluxcd/terraform-provider-flux v1.8.5 built from source snapshots by"
    echo "tests/acceptance/env/build/reference-provider-from-source, embedding Flux $embedded manifests"
    echo "($(du -m "$reference_dir/terraform-provider-flux" | cut -f1) MB stripped; ours $(du -m "$ours_dir/terraform-provider-flux" | cut -f1) MB, release build)."
  else
    echo; echo "Reference provider: $reference_reason."
  fi
  if $engine; then
    echo
    echo "## Engine figures (ours)"
    echo
    echo '```text'
    cargo bench -q --locked -p flux-core --bench render 2>/dev/null | grep -E 'median|ratio'
    bench/git.sh 2>/dev/null | grep -v '^$' || echo "bench/git.sh failed"
    echo '```'
  fi
} > "$work/compare.md"
mkdir -p bench/results docs/guides templates/guides
cp "$work/compare.md" "$out"
# The registry shows docs/guides/*.md; its front matter names the page.
{
  printf -- '---\npage_title: "Benchmarks"\nsubcategory: ""\ndescription: |-\n  Measured side by side with the reference provider.\n---\n\n'
  cat "$out"
} > templates/guides/benchmarks.md
cp templates/guides/benchmarks.md docs/guides/benchmarks.md
cat "$out"
