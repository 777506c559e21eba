# Shared setup of the plugin tests (sourced by test_*.sh).
#
# Arguments, as tests/plugin/meson.build passes them:
#   --plugin SO --ws-version MAJOR.MINOR --samples DIR --source DIR [--cli EXE]
#
# tshark started as root ignores WIRESHARK_PLUGIN_DIR and the personal plugin
# folder, so as root the tests run tshark as the unprivileged user nobody
# (setpriv), on copies of the plugin and of the captures in a world-readable
# temporary folder. As any other user tshark runs directly.
#
# With WIRESHARK_PLUGIN_DIR=D, Wireshark 4.x loads epan plugins from
# D/4.x/epan (tshark -G folders: "Global Plugins: D/4.x"), 4.x being the
# release the plugin was built for (--ws-version). The run "without the
# plugin" points it at an empty D, so both runs load no other plugin.

set -eu

PLUGIN= WS_VERSION= SAMPLES= SOURCE= CLI=
while [ $# -gt 0 ]; do
    case $1 in
    --plugin) PLUGIN=$2; shift 2 ;;
    --ws-version) WS_VERSION=$2; shift 2 ;;
    --samples) SAMPLES=$2; shift 2 ;;
    --source) SOURCE=$2; shift 2 ;;
    --cli) CLI=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

command -v tshark >/dev/null || { echo "tshark not installed: skipped"; exit 77; }
[ -f "$PLUGIN" ] || { echo "no plugin at '$PLUGIN'" >&2; exit 1; }
case $WS_VERSION in
[0-9]*.[0-9]*) ;;
*) echo "--ws-version MAJOR.MINOR missing" >&2; exit 1 ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mqttka-plugin-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/with/$WS_VERSION/epan" "$WORK/without/$WS_VERSION/epan" "$WORK/home" "$WORK/caps"
cp "$PLUGIN" "$WORK/with/$WS_VERSION/epan/mqttka.so"

# The captures: the recorded samples, and the synthetic ones.
if [ -n "$SAMPLES" ] && ls "$SAMPLES"/*.pcap >/dev/null 2>&1; then
    cp "$SAMPLES"/*.pcap "$WORK/caps/"
    cp "$SAMPLES"/*.facts "$WORK/caps/" 2>/dev/null || true
fi
python3 "$SOURCE/tests/plugin/synth_pcap.py" "$WORK/caps"

chmod -R a+rX "$WORK"
chmod 1777 "$WORK/home"

if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || { echo "running as root without setpriv: skipped"; exit 77; }
    AS_USER="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
    AS_USER=
fi

# tshark_with ARGS...: tshark with the plugin; tshark_without: without it.
tshark_with() {
    $AS_USER env -i PATH="$PATH" HOME="$WORK/home" LC_ALL=C.UTF-8 \
        WIRESHARK_PLUGIN_DIR="$WORK/with" tshark "$@"
}
tshark_without() {
    $AS_USER env -i PATH="$PATH" HOME="$WORK/home" LC_ALL=C.UTF-8 \
        WIRESHARK_PLUGIN_DIR="$WORK/without" tshark "$@"
}

# The Python checks call tshark through this wrapper, and are told the
# release (check_plugin.py reads the Info column in the fields run before 4.2).
export MQTTKA_WS_VERSION="$WS_VERSION"
cat > "$WORK/tshark-with" <<EOF
#!/bin/sh
exec $AS_USER env -i PATH="$PATH" HOME="$WORK/home" LC_ALL=C.UTF-8 WIRESHARK_PLUGIN_DIR="$WORK/with" tshark "\$@"
EOF
chmod 755 "$WORK/tshark-with"
