#!/bin/sh
# The held-out permessage-deflate captures (tests/heldout/deflate, issue 15),
# and the first seed of every other held-out WebSocket class (tests/heldout):
# tshark with the plugin and the CLI agree on them packet for packet, finding
# for finding, verdict for verdict, as on the samples (check_plugin.py); run
# with Wireshark 4.0 here and 4.4 by tests/plugin/trixie.sh.
. "$(dirname "$0")/lib.sh"
[ -n "$CLI" ] && [ -x "$CLI" ] || { echo "the CLI was not built: skipped"; exit 77; }
mkdir -p "$WORK/heldout"
cp "$SOURCE"/tests/heldout/deflate/*.pcap "$SOURCE"/tests/heldout/*-s1.pcap "$WORK/heldout/"
rm -f "$WORK"/heldout/nonmqtt-*.pcap # not MQTT: test_unchanged's business
chmod -R a+rX "$WORK/heldout"
ls "$WORK"/heldout/*.pcap >/dev/null 2>&1 || { echo "no held-out deflate captures" >&2; exit 1; }
status=0
python3 "$SOURCE/tests/plugin/check_plugin.py" samples "$WORK/tshark-with" "$CLI" "$WORK"/heldout/*.pcap || status=1

# The derived captures (issue 13: joined late, lossy, one side only), where
# Wireshark's own MQTT dissector cannot follow the stream: the plugin shows
# the CLI's findings, statistics and verdicts, and beside each verdict what
# the capture missed (start_seen, keepalive_inferred, the side not captured,
# an inferred close or PINGREQ) as the CLI's JSON does. The classes that
# carry them; the others are the business of the samples and of the
# held-out classes above. The non-MQTT ones are checked too (no MQTT, no
# findings, no verdicts) for the statistics tree's accounting of the TCP
# connections not analysed (no_mqtt, unproven, close_only...) against the
# CLI's. All but TLS: without its keys the plugin hands the core what
# Wireshark decrypted, nothing, so the core counts those connections
# no_payload or close_only where the CLI, which sees the records, says tls
# (plugin/README.md, Statistics). Of the class cut (joined later still),
# only the captures with connections of which nothing but the close remains
# (close_only; adopted by a server proven before or after them): the rest
# are joined late as cut-early's are, and each capture costs four tshark
# runs, twice in CI (Wireshark 4.0 and 4.4).
mkdir -p "$WORK/derived"
for c in cut-early lossy-pingreq onesided-s2c; do
    cp "$SOURCE"/tests/heldout/derived/*--"$c".pcap "$WORK/derived/"
done
for f in frozen-client-s1 ws-client-frozen exit-paho-ws-ka3-s1 stall-paho-ws-s1; do
    cp "$SOURCE/tests/heldout/derived/$f--cut.pcap" "$WORK/derived/"
done
rm -f "$WORK"/derived/nonmqtt-tls-*.pcap
# MQTTKA_DERIVED_SCENARIOS (trixie.sh's Wireshark 4.4 run): only the derived
# captures of these scenarios, in every class above. What differs between
# Wireshark releases is the plugin's way into epan (passes, fields, the
# statistics tree), which these exercise as well as the whole set does.
if [ -n "${MQTTKA_DERIVED_SCENARIOS:-}" ]; then
    for f in "$WORK"/derived/*.pcap; do
        case " $MQTTKA_DERIVED_SCENARIOS " in
        *" $(basename "${f%%--*}") "*) ;;
        *) rm -f "$f" ;;
        esac
    done
fi
chmod -R a+rX "$WORK/derived"
python3 "$SOURCE/tests/plugin/check_plugin.py" derived "$WORK/tshark-with" "$CLI" "$WORK"/derived/*.pcap || status=1
exit $status
