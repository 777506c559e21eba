#!/bin/sh
# plugin/screenshot.sh - a screenshot of the plugin in Wireshark's GUI.
#
#   plugin/screenshot.sh [BUILD_DIR [CAPTURE [OUTPUT]]]
#
# Opens CAPTURE (default samples/ws-broker-frozen.pcap) in wireshark-qt under
# Xvfb with BUILD_DIR/plugin/mqttka.so (default build) installed the way a
# user installs it, in the personal plugin folder
# ~/.local/lib/wireshark/plugins/4.x/epan/ of a scratch home (4.x: the
# release of the installed tshark, which the plugin must be built for). It shows the
# frames that have an MQTT Keepalive tree (display filter mqttka), selects the first frame with a
# pingreq_unanswered finding (else the first verdict; FRAME=N overrides),
# expands its MQTT Keepalive tree and saves a PNG to OUTPUT (default
# docs/plugin-screenshot.png).
#
# Needs (Debian 12): wireshark-qt xvfb xdotool imagemagick. Wireshark ignores
# personal plugins when run as root, so as root it runs as the user nobody.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
capture=${2:-$here/samples/ws-broker-frozen.pcap}
output=${3:-$here/docs/plugin-screenshot.png}
plugin=$build/plugin/mqttka.so

for tool in wireshark tshark Xvfb xdotool import; do
    command -v $tool >/dev/null || {
        echo "screenshot.sh: $tool is missing (apt-get install wireshark-qt xvfb xdotool imagemagick)" >&2
        exit 1
    }
done
[ -f "$plugin" ] || { echo "screenshot.sh: no plugin at $plugin (build first)" >&2; exit 1; }
[ -f "$capture" ] || { echo "screenshot.sh: no capture $capture" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mqttka-screenshot.XXXXXX")
xvfb_pid= ws_pid=
cleanup() {
    [ -n "$ws_pid" ] && kill "$ws_pid" 2>/dev/null || true
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The user's home: the plugin where a user puts it, a fixed window layout.
release=$(tshark --version | sed -n '1s/^[^0-9]*\([0-9][0-9]*\.[0-9][0-9]*\)\..*/\1/p')
home=$work/home
mkdir -p "$home/.local/lib/wireshark/plugins/$release/epan" "$home/.config/wireshark" "$work/run"
cp "$plugin" "$home/.local/lib/wireshark/plugins/$release/epan/"
cp "$capture" "$work/"
cap=$work/$(basename "$capture")
cat >"$home/.config/wireshark/recent_common" <<'EOF'
gui.geometry_main_x: 0
gui.geometry_main_y: 0
gui.geometry_main_width: 1400
gui.geometry_main_height: 1000
gui.geometry_main_maximized: FALSE
privs.warn_if_elevated: FALSE
sys.warn_if_no_capture: FALSE
EOF
cat >"$home/.config/wireshark/recent" <<'EOF'
gui.byte_view_show: FALSE
gui.packet_diagram_show: FALSE
gui.geometry_main_upper_pane: 330
EOF
chmod -R a+rwX "$work"
chmod 700 "$work/run"

if [ "$(id -u)" = 0 ]; then
    chown -R 65534:65534 "$work"
    as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
    as_user=
fi
user_env="env -i PATH=$PATH HOME=$home XDG_RUNTIME_DIR=$work/run LC_ALL=C.UTF-8"

# The frame to show.
if [ -z "${FRAME:-}" ]; then
    FRAME=$($as_user $user_env tshark -n -2 -r "$cap" -Y 'mqttka.finding == "pingreq_unanswered"' \
            -T fields -e frame.number 2>/dev/null | head -1)
fi
if [ -z "$FRAME" ]; then
    FRAME=$($as_user $user_env tshark -n -2 -r "$cap" -Y 'mqttka.verdict' \
            -T fields -e frame.number 2>/dev/null | head -1)
fi
[ -n "$FRAME" ] || { echo "screenshot.sh: no MQTT Keepalive tree in $capture" >&2; exit 1; }

# A private X server; -displayfd picks a free display number.
Xvfb -displayfd 3 -screen 0 1400x1000x24 -ac -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 50); do [ -s "$work/display" ] && break; sleep 0.1; done
DISPLAY=:$(cat "$work/display")
export DISPLAY

$as_user $user_env DISPLAY=$DISPLAY wireshark -r "$cap" -g "$FRAME" \
    >"$work/wireshark.log" 2>&1 &
ws_pid=$!
timeout 60 xdotool search --sync --onlyvisible --name "$(basename "$cap")" >/dev/null
sleep 3

# Filter on mqttka once the file is read: a filter given with -Y is applied
# during the first pass, when a frame shows only what was known by then
# (the verdict of a connection still open at its last frame comes later).
xdotool mousemove 700 200
xdotool key ctrl+slash
sleep 0.3
xdotool type mqttka
sleep 0.5
xdotool key Escape   # closes the completion popup, which would eat a click
xdotool key Return
sleep 2

# Click the first line of the packet details (below the 330-pixel packet
# list of the layout above), go to its last item, which is the
# postdissector's MQTT Keepalive tree, and expand it with its subtrees.
xdotool mousemove 200 433 click 1
sleep 0.5
xdotool key End
sleep 0.5
xdotool key shift+Right
sleep 1
xdotool mousemove 1399 999

mkdir -p "$(dirname "$output")"
import -window root "$output"
echo "screenshot.sh: frame $FRAME of $(basename "$capture") -> $output"
