#!/bin/sh
# Fuzzing figures (issue 21, item 2): runs each cargo-fuzz target of fuzz/ for a fixed
# time, one after the other, then prints a table: target, executions, corpus size and
# crashes. The issue's goal is 10 minutes per target (the default);
# bench/results/fuzz.txt was assembled from runs of 600 s per target over two target
# lists run side by side (its first lines give the commands).
#
# Usage: bench/fuzz.sh [seconds-per-target] [target...]   (default: 600 s, every target)
# Writes bench/results/fuzz.txt only when run with no target list.
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Everything runs
# under `nice -n 19`; set CARGO_TARGET_DIR to keep the fuzz build away from the main
# one. The targets are built without a sanitizer (`-s none`): the workspace forbids
# unsafe code, so AddressSanitizer would mostly slow the runs down; overflow checks and
# debug assertions stay on (cargo-fuzz's default). New inputs stay in
# fuzz/corpus/<target>/ (shrink it before committing: fuzz/README.md, "Corpus"); a
# crash stops that target's run and is saved in fuzz/artifacts/<target>/ (reproduce
# with `cargo +nightly fuzz run -s none <target> <file>`). A run that exceeds 10 s on
# one input counts as a crash (a timeout).
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-600}
[ $# -gt 0 ] && shift
targets=$*
save=
if [ -z "$targets" ]; then
    targets=$(cargo +nightly fuzz list)
    save=bench/results/fuzz.txt
fi
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

artifacts() {
    find "fuzz/artifacts/$1" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) \
        2>/dev/null | sort
}

build_start=$(date +%s)
nice -n 19 cargo +nightly fuzz build -s none >"$logs/build.log" 2>&1 || {
    cat "$logs/build.log" >&2
    exit 1
}
build_seconds=$(($(date +%s) - build_start))

rows=$logs/rows
: >"$rows"
for target in $targets; do
    artifacts "$target" >"$logs/before"
    dict=
    [ -f "fuzz/dicts/$target.dict" ] && dict=-dict=fuzz/dicts/$target.dict
    start=$(date +%s)
    # A crash makes cargo fuzz exit non-zero; the table reports it.
    nice -n 19 cargo +nightly fuzz run -s none "$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 $dict \
        >"$logs/$target.log" 2>&1 || true
    elapsed=$(($(date +%s) - start))
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log" | tail -n 1)
    files=$(find "fuzz/corpus/$target" -type f | wc -l)
    bytes=$(find "fuzz/corpus/$target" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    artifacts "$target" >"$logs/after"
    new=$(comm -13 "$logs/before" "$logs/after")
    crashes=$(printf '%s' "$new" | grep -c . || true)
    first=$(printf '%s\n' "$new" | head -n 1)
    printf '%s %s %s %s %s %s %s\n' "$target" "$elapsed" "${executions:-?}" "$files" \
        "$bytes" "$crashes" "${first:--}" >>"$rows"
    if [ "$crashes" -gt 0 ]; then
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY' "$logs/$target.log" | head -n 5 >&2 || true
    fi
done

report() {
    echo "bench/fuzz.sh $seconds ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)," \
        "$(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), build ${build_seconds} s," \
        "$(cargo +nightly --version | cut -d' ' -f1-2) with cargo-fuzz $(cargo fuzz --version | cut -d' ' -f2))"
    echo
    echo "| target | seconds | executions | exec/s | corpus files | corpus KB | crashes | first artifact |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|"
    while read -r target elapsed executions files bytes crashes first; do
        rate=?
        [ "$executions" != "?" ] && [ "$elapsed" -gt 0 ] && rate=$((executions / elapsed))
        echo "| $target | $elapsed | $executions | $rate | $files | $((bytes / 1024)) | $crashes | $first |"
    done <"$rows"
}

if [ -n "$save" ]; then
    mkdir -p bench/results
    report | tee "$save"
else
    report
fi
