#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (`make fuzz`; not part of `make test`).
#
#   scripts/fuzz.sh [target...]          # every target when none is named
#   FUZZ_RUNS=1000000 FUZZ_JOBS=2 scripts/fuzz.sh cbor json
#
# Builds the harnesses in Fuzz/Sources (`pds-fuzz`: cbor, car, json, lexicon, websocket; `pds-fuzz-server`:
# xrpc-params, plc) in .build-fuzz with libFuzzer's coverage instrumentation and
# AddressSanitizer, then runs each target for FUZZ_RUNS executions starting from its seeds in Fuzz/corpus/<target>.
# Inputs the fuzzer finds interesting go to .build-fuzz/corpus/<target> (the committed seeds stay as they are);
# crashes are written to .build-fuzz/findings/<target>/ and the script exits non-zero. Each target's logs go to
# .build-fuzz/logs/<target>/ (fuzz.log, and fuzz-<n>.log per job when FUZZ_JOBS > 1); a summary of executions, time
# and crash files is printed at the end.
# FUZZ_CONFIG=release builds optimised (slower to build, several times faster to run).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cbor car json lexicon xrpc-params plc websocket)
runs=${FUZZ_RUNS:-1000000}
jobs=${FUZZ_JOBS:-1}
config=${FUZZ_CONFIG:-debug}
swift=${SWIFT:-swift}

# libFuzzer without its main(): a Swift executable has its own, which calls LLVMFuzzerRunDriver.
toolchain=$(dirname "$(dirname "$(command -v swiftc)")")
libfuzzer=$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -n 1)
if [ -z "$libfuzzer" ]; then
    echo "error: libclang_rt.fuzzer_no_main not found under $toolchain/lib/clang" >&2
    exit 1
fi

# The harness holding a target.
harness() {
    case $1 in
        xrpc-params | plc) echo pds-fuzz-server ;;
        *) echo pds-fuzz ;;
    esac
}

for product in $(for target in "${targets[@]}"; do harness "$target"; done | sort -u); do
    "$swift" build -c "$config" --product "$product" --build-path .build-fuzz \
        -Xswiftc -sanitize=address -Xswiftc -Xfrontend -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING \
        -Xlinker "$libfuzzer" -Xlinker -lstdc++ 2> >(grep -v "ld.gold: warning: Cannot export local symbol" >&2)
done

mkdir -p .build-fuzz/logs
root=$(pwd)
status=0
summary=()
for target in "${targets[@]}"; do
    work=$root/.build-fuzz/corpus/$target
    findings=$root/.build-fuzz/findings/$target
    # libFuzzer's job mode (FUZZ_JOBS > 1) writes each job's log to fuzz-<n>.log in the working directory: run in
    # the target's log directory, and count the executions in every log there.
    logs=$root/.build-fuzz/logs/$target
    rm -rf "$logs"
    mkdir -p "$work" "$findings" "$logs"
    log=$logs/fuzz.log
    parallel=()
    [ "$jobs" -le 1 ] || parallel=(-jobs="$jobs" -workers="$jobs")
    echo "== $target: $runs runs (log: $log)"
    # detect_leaks=0: Swift's global caches (the lexicon catalog, metadata) are reported as leaks at exit.
    binary=$root/.build-fuzz/$config/$(harness "$target")
    started=$(date +%s)
    if (cd "$logs" && ASAN_OPTIONS=detect_leaks=0 PDS_FUZZ_TARGET=$target "$binary" -runs="$runs" "${parallel[@]}" \
        -max_len=8192 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$findings/" \
        "$work" "$root/Fuzz/corpus/$target") >"$log" 2>&1; then
        result=ok
    else
        result="CRASH (see $findings and $logs)"
        status=1
    fi
    seconds=$(($(date +%s) - started))
    executions=$({ grep -h "stat::number_of_executed_units" "$logs"/*.log || true; } | awk '{ sum += $2 } END { print sum + 0 }')
    summary+=("$target: $executions executions in ${seconds} s, $(ls "$findings" | wc -l) crash files, $result")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
