#!/bin/bash
# The whole test suite, from a bare Debian 12 as root: installs what the
# tests need (Debian packages only), builds mqttka twice — a normal build
# with --werror and an AddressSanitizer + UndefinedBehaviorSanitizer build —
# and runs every meson test suite in both; then builds the fuzz targets with
# libFuzzer (clang, ASan+UBSan) and runs their fuzz-regress suite there too.
# .ci/run calls exactly this.
#
#   bash tests/run-all.sh
#
# Ends with "N passed, N failed" over the three builds; exits non-zero if any
# test failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

packages=(
  build-essential meson ninja-build pkg-config   # the build
  zlib1g-dev                                     # core/: permessage-deflate
  libpcap-dev                                    # cli/
  libwireshark-dev libglib2.0-dev tshark         # plugin/ and its tests
  python3 jq util-linux                          # golden and CLI test helpers, setpriv
  mosquitto python3-paho-mqtt libcap2-bin        # live/: broker, client, setcap
  clang libclang-rt-14-dev                       # fuzz/ built with libFuzzer
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

rm -rf build-test build-asan build-fuzz
meson setup build-test --werror
ninja -C build-test
meson setup build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false \
  -Dplugin=disabled
ninja -C build-asan
# The fuzz targets as they are fuzzed (clang, libFuzzer, ASan+UBSan): they
# build, and replay their corpora and regression inputs (fuzz/README.md).
CC=clang meson setup build-fuzz -Dfuzzing=libfuzzer -Db_sanitize=address,undefined \
  -Db_lundef=false -Dplugin=disabled
ninja -C build-fuzz $(cd fuzz && ls fuzz_*.c | sed 's#^\(.*\)\.c$#fuzz/\1#')

status=0
meson test -C build-test --print-errorlogs || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-fuzz --no-rebuild --suite fuzz-regress --print-errorlogs || status=1

# One closing line over the three runs, from meson's own logs.
count() { cat build-{test,asan,fuzz}/meson-logs/testlog.json |
          { grep -o "\"result\": \"$1\"" || true; } | wc -l; }
passed=$(count OK)
failed=$(( $(count FAIL) + $(count TIMEOUT) + $(count ERROR) ))
skipped=$(count SKIP)
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
