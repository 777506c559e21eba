#!/bin/sh
# The plugin on encrypted MQTT (issue 17): the held-out TLS captures of
# tests/heldout/tls (mqtts on 8883, MQTT over WebSocket over TLS on 8084,
# TLS 1.2 and 1.3) decoded with their key logs through Wireshark's own TLS
# decryption (-o tls.keylog_file:KEYS) agree with their truth and with their
# cleartext twins (the plugin and the CLI on them); without the key logs
# nothing of MQTT is shown (check_tls.py). Run with Wireshark 4.0 here and
# 4.4 by tests/plugin/trixie.sh.
. "$(dirname "$0")/lib.sh"
[ -n "$CLI" ] && [ -x "$CLI" ] || { echo "the CLI was not built: skipped"; exit 77; }
mkdir -p "$WORK/tls"
cp "$SOURCE"/tests/heldout/tls/*.pcap "$SOURCE"/tests/heldout/tls/*.facts \
    "$SOURCE"/tests/heldout/tls/*.keys "$WORK/tls/"
chmod -R a+rX "$WORK/tls"
cat > "$WORK/tshark-without" <<EOS
#!/bin/sh
exec $AS_USER env -i PATH="$PATH" HOME="$WORK/home" LC_ALL=C.UTF-8 WIRESHARK_PLUGIN_DIR="$WORK/without" tshark "\$@"
EOS
chmod 755 "$WORK/tshark-without"
fail=0
python3 "$SOURCE/tests/plugin/check_tls.py" "$WORK/tshark-with" "$WORK/tshark-without" "$CLI" \
    "$WORK/tls" || fail=1

# The heuristics inside TLS find MQTT on their own: mqtts with the port
# association of 8883 taken away (Decode As tls.port 8883 -> data), wss
# with Wireshark's own http_tls heuristic off; and not with ours off too.
# tls-exit-s1: 6 connections on 8883, 6 on 8084.
connects() { # TSHARK-OPTIONS...: number of MQTT CONNECTs decoded in tls-exit-s1
    tshark_with -n -r "$WORK/tls/tls-exit-s1.pcap" -o tls.keylog_file:"$WORK/tls/tls-exit-s1.keys" \
        "$@" -Y 'mqtt.msgtype == 1' 2>/dev/null | wc -l
}
expect() { # DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: $3, expected $2"; fail=1; fi
}
expect "mqtts and wss, as registered" 12 "$(connects)"
expect "mqtts without the 8883 association" 12 "$(connects -d tls.port==8883,data)"
expect "mqtts without the 8883 association nor mqttka_mqtt_connect_tls" 6 \
    "$(connects -d tls.port==8883,data --disable-heuristic mqttka_mqtt_connect_tls)"
expect "wss without http_tls" 12 "$(connects --disable-heuristic http_tls)"
expect "wss without http_tls nor mqttka_ws_upgrade_tls" 6 \
    "$(connects --disable-heuristic http_tls --disable-heuristic mqttka_ws_upgrade_tls)"
exit $fail
