#!/bin/bash
# The plugin on Wireshark 4.4: builds mqttka (core, CLI, plugin) in a Debian
# 13 "trixie" chroot against its libwireshark-dev and runs the plugin suite
# there with its tshark, exactly as `meson test --suite plugin` runs on the
# host with Wireshark 4.0. tests/run-all.sh calls it; as root:
#
#   bash tests/plugin/trixie.sh            make the chroot if need be, build, test
#   bash tests/plugin/trixie.sh --prepare  only make the chroot
#
# The chroot is made with `debootstrap --variant=minbase trixie` from the
# Debian mirror this machine's apt uses (its sources list, the entry for the
# host's own release), then the packages below are installed in it with apt.
# It is kept, ready, in $MQTTKA_TRIXIE_ROOT (default .cache/trixie, which git
# ignores) and made again only when missing, half made, or made for another
# package list. From nothing it takes about 4 minutes, mostly downloads.
#
# The source tree is bind-mounted read-only at /src and the build goes to
# /build inside the chroot. Every mount is made in a private mount namespace
# (unshare), so none outlives the script, even killed, and removing the
# chroot can never reach through a mount into the host's files.
#
# The suite's log is copied to build-trixie/meson-logs/ (testlog.json,
# testlog.txt), where tests/run-all.sh counts it with the others.
#
# Exit status: 0 all passed; 1 a test failed or the build broke; 2 the
# chroot could not be made (no network to the mirror, no debootstrap, not
# root): said loudly, never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/../.."
SOURCE=$PWD

ROOT=${MQTTKA_TRIXIE_ROOT:-$SOURCE/.cache/trixie}
OUT=$SOURCE/build-trixie
PACKAGES="gcc libc6-dev meson ninja-build pkgconf libglib2.0-dev libwireshark-dev libgcrypt20-dev tshark \
libpcap-dev python3 util-linux"
STAMP=.mqttka-trixie-ready   # in the root: the package list it was made with
# test_heldout's derived captures (joined late, lossy, one-sided): here only
# those of these scenarios, every class among them, a third of the whole
# set that the host's Wireshark 4.0 run checks (CI's time; test_heldout.sh).
DERIVED_SCENARIOS="frozen-client-s1 ws-client-frozen exit-paho-ws-ka3-s1 stall-paho-ws-s1"
DERIVED_SCENARIOS+=" pingdisc-s1 nonmqtt-ws-s1 nonmqtt-random-s1"

prepare_only=false
case ${1:-} in
--prepare) prepare_only=true ;;
"") ;;
*) echo "usage: $0 [--prepare]" >&2; exit 2 ;;
esac

cannot() {
    echo "trixie.sh: CANNOT MAKE THE DEBIAN 13 CHROOT: $*" >&2
    echo "trixie.sh: the plugin was NOT tested with Wireshark 4.4: this is a failure, not a skip" >&2
    exit 2
}

# The Debian mirror apt uses here: the first URI of a deb entry for the
# host's release, in deb822 .sources files or one-line .list files.
debian_mirror() {
    local codename uri="" f
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || return 1
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk -v rel="$codename" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " rel " ") && uris != "" &&
                    enabled != "no" && !found) {
                    split(uris, u, " "); print u[1]; found = 1
                }
                types = suites = uris = enabled = ""
            }
            /^[ \t]*$/ { flush(); next }
            /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
            /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
            /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
            /^Enabled:/ { sub(/^Enabled:[ \t]*/, ""); enabled = $0 }
            END { flush() }' "$f")
        [ -n "$uri" ] && break
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -z "$uri" ] && [ -f "$f" ] || continue
        uri=$(sed -n "s/^deb[ \t]\+\(\[[^]]*\][ \t]\+\)\?\([^ \t]\+\)[ \t]\+$codename[ \t].*/\2/p" "$f" |
              head -1)
    done
    [ -n "$uri" ] && echo "$uri"
}

make_root() {
    [ "$(id -u)" = 0 ] || cannot "needs root (debootstrap, chroot, mounts)"
    command -v debootstrap >/dev/null || cannot "debootstrap is not installed"
    command -v unshare >/dev/null || cannot "unshare (util-linux) is not installed"
    local mirror
    mirror=${MQTTKA_DEBIAN_MIRROR:-$(debian_mirror)} ||
        cannot "no Debian mirror found in /etc/apt/sources.list*; set MQTTKA_DEBIAN_MIRROR"

    local tmp=$ROOT.partial
    rm -rf --one-file-system "$ROOT" "$tmp"
    mkdir -p "$(dirname "$ROOT")"
    echo "trixie.sh: debootstrap --variant=minbase trixie from $mirror"
    # debootstrap mounts /proc and /sys in the target: in a namespace of its
    # own, those mounts cannot outlive it. One more try after a failure (a
    # download cut short); apt below retries by itself.
    local try
    for try in 1 2; do
        if unshare --mount --propagation private \
               debootstrap --variant=minbase trixie "$tmp" "$mirror" >"$OUT/debootstrap.log" 2>&1; then
            break
        fi
        tail -5 "$OUT/debootstrap.log" >&2
        rm -rf --one-file-system "$tmp"
        [ $try = 2 ] && cannot "debootstrap failed twice (log: $OUT/debootstrap.log)"
        echo "trixie.sh: debootstrap failed, once more in 15 s"
        sleep 15
    done
    cp /etc/resolv.conf "$tmp/etc/resolv.conf"
    echo "trixie.sh: apt-get install $PACKAGES"
    # shellcheck disable=SC2086 # the package list is split on purpose
    if ! unshare --mount --propagation private chroot "$tmp" \
            env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive sh -c "
            apt-get -o Acquire::Retries=5 update -qq &&
            apt-get -o Acquire::Retries=5 install -y -qq --no-install-recommends $PACKAGES" \
            >"$OUT/apt.log" 2>&1; then
        tail -5 "$OUT/apt.log" >&2
        cannot "apt-get install in the chroot failed (log: $OUT/apt.log)"
    fi
    chroot "$tmp" apt-get clean
    echo "$PACKAGES" >"$tmp/$STAMP"
    mv "$tmp" "$ROOT"
}

mkdir -p "$OUT/meson-logs"
start=$SECONDS
if [ -f "$ROOT/$STAMP" ] && [ "$(cat "$ROOT/$STAMP")" = "$PACKAGES" ]; then
    echo "trixie.sh: using the chroot in $ROOT"
else
    make_root
    echo "trixie.sh: chroot made in $((SECONDS - start)) s ($(du -sh "$ROOT" | cut -f1))"
fi
$prepare_only && exit 0

echo "trixie.sh: $(chroot "$ROOT" dpkg-query -W -f='${Package} ${Version}\n' libwireshark-dev tshark gcc-14 meson | tr '\n' ' ')"
start=$SECONDS
rm -rf --one-file-system "$ROOT/build" "$OUT/meson-logs"
mkdir -p "$ROOT/src" "$ROOT/build" "$OUT/meson-logs"
# Only what the plugin suite runs: the plugin and the CLI it is compared
# with (the core is built for both); --werror as on the host.
status=0
unshare --mount --propagation private sh -c '
    set -e
    mount --bind "$1" "$2/src"
    mount -o remount,bind,ro "$2/src"
    mount -t proc proc "$2/proc"
    exec chroot "$2" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
        KEEP=/build/plugin-mutate-failures MQTTKA_DERIVED_SCENARIOS="$3" sh -c "
        set -e
        meson setup /build /src --werror -Dplugin=enabled -Dcli=enabled >/build/setup.log ||
            { cat /build/setup.log; exit 1; }
        ninja -C /build plugin/mqttka.so cli/mqttka
        meson test -C /build --no-rebuild --suite plugin --print-errorlogs"
' sh "$SOURCE" "$ROOT" "$DERIVED_SCENARIOS" || status=1
cp "$ROOT"/build/meson-logs/testlog.json "$ROOT"/build/meson-logs/testlog.txt "$OUT/meson-logs/" \
    2>/dev/null || true
echo "trixie.sh: built and tested in $((SECONDS - start)) s"
exit $status
