#!/bin/sh
# Plain HTTP and non-MQTT WebSocket traffic look exactly as without the
# plugin: `tshark -2 -V` is byte for byte the same (no routing to MQTT, no
# MQTT Keepalive tree: the core leaves WebSockets that do not name MQTT and
# do not start with a CONNECT alone).
. "$(dirname "$0")/lib.sh"
fail=0
for f in "$WORK"/caps/http-plain.pcap "$WORK"/caps/ws-not-mqtt.pcap \
         "$WORK"/caps/synth-http-*.pcap "$WORK"/caps/synth-ws-chat-*.pcap; do
    [ -f "$f" ] || continue
    b=$(basename "$f" .pcap)
    tshark_without -n -2 -V -r "$f" >"$WORK/$b.without" 2>/dev/null
    tshark_with -n -2 -V -r "$f" >"$WORK/$b.with" 2>/dev/null
    if cmp -s "$WORK/$b.without" "$WORK/$b.with"; then
        echo "ok: $b unchanged ($(wc -l <"$WORK/$b.with") lines of tshark -V)"
    else
        echo "FAIL: $b differs with the plugin:"
        diff "$WORK/$b.without" "$WORK/$b.with" | head -20
        fail=1
    fi
done
exit $fail
