#!/usr/bin/env bash
# Issue 19's figure: the wall time of the image-automation acceptance test (apply of
# a source, Kustomization, ImageRepository, ImagePolicy and ImageUpdateAutomation
# with wait = true; a new tag pushed to the environment's registry; the policy's
# choice, the automation's commit and the rollout awaited; two empty plans; destroy),
# each of the three OCI registry tests run alone against a started environment.
# Usage: bench/image-loop.sh [RUNS]   (default 1). Writes bench/results/image-loop.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
cache=${FLUX_TEST_CACHE:-$HOME/.cache/flux-provider-test}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$cache/cargo-target}
export FLUX_TEST_STATE=${FLUX_TEST_STATE:-$PWD/target/flux-test-env}
unset TF_CLI_CONFIG_FILE
cargo build -q -p terraform-provider-flux
cargo test -q -p acceptance --no-run 2>/dev/null
# Start (or reuse) the environment first, so that its start is not counted.
eval "$(tests/acceptance/env/up --state "$FLUX_TEST_STATE")" >/dev/null
out=bench/results/image-loop.txt
{
  echo "OCI registry tests, one at a time ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), commit $(git rev-parse --short HEAD))"
  for test in \
    oci::image_automation_commits_a_new_tag_that_flux_rolls_out \
    oci::oci_source_fetches_a_flux_artifact_from_the_registry_and_applies_it \
    oci::helm_release_installs_a_chart_from_an_oci_helm_repository; do
    for i in $(seq "$runs"); do
      start=$(date +%s.%N)
      if cargo test -q -p acceptance -- --exact "$test" >/tmp/image-loop.$$.log 2>&1; then
        result=passed
      else
        result="FAILED (see /tmp/image-loop.$$.log)"
      fi
      printf '%-75s run %d: %6.1f s, %s\n' "$test" "$i" "$(echo "$(date +%s.%N) - $start" | bc)" "$result"
    done
  done
} | tee "$out"
