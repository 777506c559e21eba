#!/bin/bash
# The whole test suite, from a bare Debian 12 as root: installs what the
# tests need (Debian packages only), builds mqttka twice — a normal build
# with --werror and an AddressSanitizer + UndefinedBehaviorSanitizer build —
# and runs every meson test suite in both; then builds the fuzz targets with
# libFuzzer (clang, ASan+UBSan) and runs their fuzz-regress suite there too.
# Last, the plugin suite again with Wireshark 4.4, in a Debian 13 chroot that
# tests/plugin/trixie.sh makes (with debootstrap, from the mirror apt uses
# here) while the host installs the rest and builds. .ci/run calls exactly this.
#
#   bash tests/run-all.sh
#
# Ends with "N passed, N failed" over the four builds; exits non-zero if any
# test failed, or if the Debian 13 chroot could not be made (no network to
# the mirror): that counts as one failure, it is not skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

packages=(
  build-essential meson ninja-build pkg-config   # the build
  zlib1g-dev                                     # core/: permessage-deflate
  libgcrypt20-dev                                # core/: TLS decryption with a key log (tls_decrypt.c);
                                                 # plugin/: Wireshark's TLS header includes gcrypt.h
  libpcap-dev libmicrohttpd-dev                  # cli/ (and its --metrics)
  zlib1g-dev libzstd-dev liblz4-dev gzip zstd lz4 # cli/: compressed captures, their tests
  libwireshark-dev libglib2.0-dev tshark         # plugin/ and its tests
  python3 jq util-linux                          # golden and CLI test helpers, setpriv
  mosquitto python3-paho-mqtt libcap2-bin        # live/: broker, client, setcap
  curl prometheus                                # live/: a scrape of --metrics, promtool
  clang libclang-rt-14-dev                       # fuzz/ built with libFuzzer
  debootstrap                                    # the Wireshark 4.4 chroot
  python3-html5lib chromium                      # report: strict HTML parser, rendering
)
# apt_install PACKAGE...: those not installed yet, with apt.
apt_updated=false
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "installing: ${missing[*]}"
  $apt_updated || { apt-get update -qq; apt_updated=true; }
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The Debian 13 chroot for the Wireshark 4.4 run is made (downloads, dpkg)
# while the host installs the rest and builds: debootstrap first. Its log is
# shown if it fails. In a process group of its own (setsid), so that a
# failed host build, which ends this script, ends it too.
apt_install debootstrap
rm -rf build-trixie
mkdir -p build-trixie
setsid bash tests/plugin/trixie.sh --prepare >build-trixie/prepare.log 2>&1 &
trixie_prepare=$!
trap 'kill -- -$trixie_prepare 2>/dev/null || true' EXIT

apt_install "${packages[@]}"
rm -rf build-test build-asan build-fuzz

# Compressed captures are read when the libraries are there; here they must be.
compressed=(-Dgzip=enabled -Dzstd=enabled -Dlz4=enabled)
meson setup build-test --werror "${compressed[@]}"
ninja -C build-test
meson setup build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false \
  -Dplugin=disabled "${compressed[@]}"
ninja -C build-asan
# The fuzz targets as they are fuzzed (clang, libFuzzer, ASan+UBSan): they
# build, and replay their corpora and regression inputs (fuzz/README.md).
CC=clang meson setup build-fuzz -Dfuzzing=libfuzzer -Db_sanitize=address,undefined \
  -Db_lundef=false -Dplugin=disabled
ninja -C build-fuzz $(cd fuzz && ls fuzz_*.c | sed 's#^\(.*\)\.c$#fuzz/\1#')

# The host's tests do not share the machine with the chroot's making.
trixie_status=0
wait $trixie_prepare || trixie_status=$?
cat build-trixie/prepare.log

status=0
meson test -C build-test --print-errorlogs || status=1
# Under the sanitizers, all but the live captures and the report's
# rendering: those spend their minutes waiting on brokers, clocks and
# Chromium, and run in the ordinary build above (so does the paths suite,
# which a sanitizer build does not have: tests/cli/meson.build); and the
# CLI's per-sample tests on seven samples that cover its paths
# (tests/cli/lib.sh), not all (CI's 20-minute budget).
MQTTKA_TEST_SAMPLES="tcp-311-plain ws-broker-frozen ws-multi ws-broker-restart ws-refused-storm ws-deflate-takeover ws-upgrade-after-get" \
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --no-suite live --no-suite report --print-errorlogs || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-fuzz --no-rebuild --suite fuzz-regress --print-errorlogs || status=1

# The plugin suite with Wireshark 4.4 (tests/plugin/trixie.sh). No chroot,
# or no build there, is one failure more in the closing line.
trixie_failed=0
if [ $trixie_status = 0 ]; then
  bash tests/plugin/trixie.sh || trixie_status=$?
fi
if [ $trixie_status != 0 ]; then
  status=1
  [ -f build-trixie/meson-logs/testlog.json ] || trixie_failed=1
fi

# One closing line over the four runs, from meson's own logs.
count() { cat build-{test,asan,fuzz}/meson-logs/testlog.json \
              $(ls build-trixie/meson-logs/testlog.json 2>/dev/null) |
          { grep -o "\"result\": \"$1\"" || true; } | wc -l; }
passed=$(count OK)
failed=$(( $(count FAIL) + $(count TIMEOUT) + $(count ERROR) + trixie_failed ))
skipped=$(count SKIP)
if [ $trixie_failed = 1 ]; then
  echo "FAILED: the plugin suite did not run with Wireshark 4.4 (build-trixie/*.log)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
