#!/usr/bin/env bash
# Measures the test environment: warm start time (all parts answering), the
# time until the four Flux controllers are ready once their CRDs are applied,
# and the memory (sum of RSS) of the running environment.
# Needs the parts built (tests/acceptance/env/setup). Prints one line per figure.
# Usage: bench/env-start.sh [RUNS]   (default 3 warm starts)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ENV=$ROOT/tests/acceptance/env
CACHE=${FLUX_TEST_CACHE:-$HOME/.cache/flux-provider-test}
RUNS=${1:-3}
STATE=$(mktemp -d "${TMPDIR:-/tmp}/flux-env-bench.XXXXXX")
trap '"$ENV/down" --state "$STATE" >/dev/null 2>&1 || true; rm -rf "$STATE"' EXIT

now() { date +%s.%N; }

for run in $(seq 1 "$RUNS"); do
  t0=$(now)
  "$ENV/up" --state "$STATE" >"$STATE.exports" 2>/dev/null
  t1=$(now)
  printf 'warm start run %d: %.2f s to all parts ready\n' "$run" "$(echo "$t1 - $t0" | bc -l)"
  if [ "$run" -lt "$RUNS" ]; then "$ENV/down" --state "$STATE" >/dev/null 2>&1; fi
done

rss() { "$ENV/status" --state "$STATE" | sed -n 's/^total rss of running processes: \(.*\) MiB$/\1/p'; }
echo "memory without Flux controllers (waiting for CRDs): $(rss) MiB"

# shellcheck disable=SC1090
. "$STATE.exports"
rm -f "$STATE.exports"
t0=$(now)
for f in "$CACHE"/go/bin/crds/*/*.yaml; do
  kubectl apply --server-side --field-manager=bench -f "$f" >/dev/null
done
# Health ports of the controllers that are built (the others never start).
health_ports=$(python3 -c '
import json, os, sys
e = json.load(open(sys.argv[1]))
ports = e["clusters"]["default"]["flux"]["health_ports"]
print(" ".join(str(p) for c, p in ports.items() if os.access(os.path.join(sys.argv[2], c), os.X_OK)))
' "$STATE/env.json" "$CACHE/go/bin")
for p in $health_ports; do
  until curl -fsS "http://127.0.0.1:$p/readyz" >/dev/null 2>&1; do
    sleep 0.2
    if [ "$(echo "$(now) - $t0 > 120" | bc -l)" = 1 ]; then echo "controller on :$p not ready in 120 s" >&2; exit 1; fi
  done
done
t1=$(now)
printf 'built flux controllers (%d) ready %.2f s after their CRDs were applied\n' "$(echo $health_ports | wc -w)" "$(echo "$t1 - $t0" | bc -l)"
sleep 10
echo "memory with the built Flux controllers running (10 s after ready): $(rss) MiB"
"$ENV/status" --state "$STATE" | sed 's/^/  /'
# Controllers restarted by the supervisor (each start is logged as "exited").
echo "flux controller restarts: $(grep -c 'exited with' "$STATE/logs/supervisor-default.log" || true)"
