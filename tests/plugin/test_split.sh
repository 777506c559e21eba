#!/bin/sh
# An MQTT CONNECT split over two WebSocket messages is reassembled, and the
# packets after it decode: MQTT.js over Node's ws (samples/ws-mqtt5-mqttjs.pcap)
# and the synthetic captures (CONNECT, then a PUBLISH split inside its
# Remaining Length, on ports 1882, 80, 8080 and 9001).
. "$(dirname "$0")/lib.sh"
set --
for f in ws-mqtt5-mqttjs synth-ws-split-1882 synth-ws-split-80 synth-ws-mqtt5-8080 synth-ws-mqttv31-9001; do
    [ -f "$WORK/caps/$f.pcap" ] && set -- "$@" "$WORK/caps/$f.pcap"
done
python3 "$SOURCE/tests/plugin/check_plugin.py" split "$WORK/tshark-with" "$@"
