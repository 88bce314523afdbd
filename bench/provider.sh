#!/usr/bin/env bash
# Provider figures of the plugin issue, from the release build:
#   - start to handshake: exec of the binary until its go-plugin handshake line
#     (AutoMTLS: a P-521 client certificate is passed as Terraform does), median of N;
#   - peak RSS of one provider process during a real `terraform plan` (Terraform 1.15.5)
#     that renders every Flux component through flux_install and flux_sync; the
#     provider logs its VmHWM at shutdown, the largest of the plan's processes counts;
#   - release binary size.
# Usage: bench/provider.sh [runs]   (default 30). Writes bench/results/provider.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
cache=${FLUX_TEST_CACHE:-$HOME/.cache/flux-provider-test}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$cache/cargo-target}
cargo build --release --locked -p terraform-provider-flux >&2
bin=$CARGO_TARGET_DIR/release/terraform-provider-flux
tfdir=$(tests/acceptance/env/build/terraform.sh --installed) || {
  echo "bench/provider.sh: run tests/acceptance/env/setup first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-521 -nodes -keyout "$work/client.key" \
  -out "$work/client.crt" -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -addext basicConstraints=critical,CA:TRUE 2>/dev/null

handshake_ms=$(python3 - "$bin" "$work/client.crt" "$runs" <<'PY'
import os, statistics, subprocess, sys, time
binary, cert, runs = sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3])
env = dict(os.environ, TF_PLUGIN_MAGIC_COOKIE="d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
           PLUGIN_PROTOCOL_VERSIONS="5,6", PLUGIN_CLIENT_CERT=cert, PLUGIN_MIN_PORT="10000", PLUGIN_MAX_PORT="25000")
env.pop("TF_LOG", None)
samples = []
for _ in range(runs):
    start = time.perf_counter()
    p = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline()
    samples.append((time.perf_counter() - start) * 1000)
    p.kill(); p.wait()
    assert line.startswith(b"1|6|tcp|127.0.0.1:"), line
print(f"{statistics.median(samples):.2f} {max(samples):.2f}")
PY
)

cat > "$work/cli.tfrc" <<TF
provider_installation {
  dev_overrides { "fluxcd/flux" = "$(dirname "$bin")" }
  direct {}
}
TF
cat > "$work/main.tf" <<'TF'
terraform {
  required_providers {
    flux = { source = "fluxcd/flux" }
  }
}
provider "flux" {
  kubernetes = { host = "https://127.0.0.1:6443", token = "t" }
  git        = { url = "https://127.0.0.1/r.git", http = { username = "u", password = "p" } }
}
data "flux_install" "all" {
  target_path      = "clusters/bench"
  components_extra = ["image-reflector-controller", "image-automation-controller", "source-watcher"]
}
data "flux_sync" "main" {
  url         = "https://127.0.0.1/r.git"
  target_path = "clusters/bench"
}
output "objects" { value = length(data.flux_install.all.objects) }
TF
(cd "$work" && TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_LOG_PROVIDER=debug TF_IN_AUTOMATION=1 \
  "$tfdir/terraform" plan -no-color -input=false >"$work/plan.out" 2>"$work/plan.err")
grep -q 'objects = 43' "$work/plan.out" || { cat "$work/plan.out" "$work/plan.err" >&2; exit 1; }
rss_kib=$(grep -o 'peak_rss_kib=[0-9]*' "$work/plan.err" | cut -d= -f2 | sort -n | tail -1)
[ -n "$rss_kib" ] || { echo "no peak_rss_kib in the provider logs" >&2; exit 1; }
size=$(stat -c %s "$bin")

mkdir -p bench/results
{
  echo "provider benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, release build)"
  printf '%-40s %s\n' "start to handshake, median of $runs" "$(cut -d' ' -f1 <<<"$handshake_ms") ms (max $(cut -d' ' -f2 <<<"$handshake_ms") ms; goal <= 10 ms)"
  printf '%-40s %s\n' "peak RSS of a provider process in plan" "$(awk -v k="$rss_kib" 'BEGIN{printf "%.1f", k/1024}') MiB (goal <= 30 MB)"
  printf '%-40s %s\n' "release binary size" "$(awk -v b="$size" 'BEGIN{printf "%.1f", b/1048576}') MiB (goal <= 30 MB)"
} | tee bench/results/provider.txt
