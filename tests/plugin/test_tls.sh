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
python3 "$SOURCE/tests/plugin/check_tls.py" "$WORK/tshark-with" "$WORK/tshark-without" "$CLI" "$WORK/tls"
