#!/bin/sh
# The TCP heuristics find MQTT on ports nobody registered, on their own:
# - MQTT over WebSocket on 1882 decodes even with Wireshark's own HTTP
#   heuristic (http_tcp) disabled, and not with ours disabled as well;
# - MQTT over plain TCP on 1884 decodes from its CONNECT, and not with the
#   heuristic disabled;
# - a non-MQTT WebSocket on 1882 is not claimed by ours.
. "$(dirname "$0")/lib.sh"
fail=0
connects() { # CAPTURE TSHARK-OPTIONS...: number of MQTT CONNECTs decoded
    f=$1; shift
    tshark_with -n -r "$WORK/caps/$f.pcap" "$@" -Y 'mqtt.msgtype == 1' 2>/dev/null | wc -l
}
expect() { # DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: $3, expected $2"; fail=1; fi
}
expect "WebSocket on 1882 without http_tcp" 1 \
    "$(connects synth-ws-split-1882 --disable-heuristic http_tcp)"
expect "WebSocket on 1882 without http_tcp nor mqttka_ws_upgrade_tcp" 0 \
    "$(connects synth-ws-split-1882 --disable-heuristic http_tcp --disable-heuristic mqttka_ws_upgrade_tcp)"
expect "plain TCP on 1884" 1 "$(connects synth-tcp-1884)"
expect "plain TCP on 1884 without mqttka_mqtt_connect_tcp" 0 \
    "$(connects synth-tcp-1884 --disable-heuristic mqttka_mqtt_connect_tcp)"
n=$(tshark_with -n -r "$WORK/caps/synth-ws-chat-1882.pcap" --disable-heuristic http_tcp \
        -Y 'http || websocket || mqtt' 2>/dev/null | wc -l)
expect "chat WebSocket on 1882 left alone without http_tcp" 0 "$n"
exit $fail
