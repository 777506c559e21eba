#!/bin/bash
# run-fuzzer.sh - builds the libFuzzer targets under ASan+UBSan (once) and
# fuzzes one target for a while, at low priority, from a copy of its seed
# corpus in fuzz/.work/ (git-ignored). New crashes land in
# fuzz/.work/crashes/TARGET/; copy each one into fuzz/regress/TARGET/ with
# the fix, so meson test replays it for ever.
#
#   fuzz/run-fuzzer.sh TARGET SECONDS [extra libFuzzer flags]
#   TARGET: ws_decoder ws_inflate mqtt_decoder http_upgrade boundary analyzer capture
#
# Needs clang and libFuzzer (Debian: clang, libclang-rt-14-dev). The log,
# with libFuzzer's exec counts and coverage, is fuzz/.work/TARGET-DATE.log.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?target}
seconds=${2:?seconds}
shift 2

build=fuzz/.work/build-fuzz
if [ ! -d "$build" ]; then
  CC=clang meson setup "$build" -Dfuzzing=libfuzzer -Db_sanitize=address,undefined \
    -Db_lundef=false -Dplugin=disabled -Dbuildtype=debugoptimized
fi
ninja -C "$build" "fuzz/fuzz_$target"

work=fuzz/.work/corpus/$target
crashes=fuzz/.work/crashes/$target
mkdir -p "$work" "$crashes"
log=fuzz/.work/$target-$(date +%Y%m%d-%H%M%S).log

# Capture files are large; the decoders' inputs are streams of a few KB.
max_len=16384
[ "$target" = capture ] && max_len=131072
[ "$target" = analyzer ] && max_len=40000

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# The new inputs go to the work corpus; the seeds are read, never written.
start=$SECONDS
{
  nice -n 10 "$build/fuzz/fuzz_$target" "$work" "fuzz/corpus/$target" "fuzz/regress/$target" \
    -dict=fuzz/mqttka.dict -max_len=$max_len -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$@" 2>&1
  # fuzz/fuzz-stats.py adds these up into fuzz/README.md's table.
  echo "run-fuzzer: target $target elapsed $((SECONDS - start)) s"
} | tee "$log" | grep -E "^#|ERROR|SUMMARY|stat::|run-fuzzer:" | tail -n 40
