#!/bin/sh
# Git engine figures (issue 5): first clone, warm re-read of a branch tip and one
# transaction push, each next to the git CLI on the same loopback server (http
# and ssh), then 200 transactions from 10 writers (wall time).
#
# Usage: bench/git.sh   Writes bench/results/git.txt.
# Needs the packages of tests/acceptance/env/git/install. The benchmark starts
# and stops its own servers (tests/acceptance/env/git/up and down).
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/results
out=$(mktemp)
trap 'rm -f "$out"' EXIT
nice -n 10 cargo bench -p flux-core --bench git > "$out"
{
    echo "cargo bench -p flux-core --bench git ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
    cat "$out"
} | tee bench/results/git.txt
