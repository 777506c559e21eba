#!/bin/sh
# The plugin loads into the tshark it was built for and registers what it says:
# the plugin, the protocol and its fields, one expert info per finding kind,
# the two TCP heuristics (enabled), the ws.protocol entries, the stats tree.
. "$(dirname "$0")/lib.sh"

fail=0
check() { # DESCRIPTION PATTERN FILE
    if grep -Eq "$2" "$3"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}

tshark_with -G plugins >"$WORK/plugins" 2>"$WORK/err" || true
check "tshark -G plugins lists mqttka.so as a dissector plugin" \
    '^mqttka\.so[[:space:]]+[0-9.]+[[:space:]]+dissector[[:space:]]' "$WORK/plugins"
if grep -Eq "Couldn't load plugin|Dissector bug" "$WORK/err"; then
    echo "FAIL: tshark complains:"; cat "$WORK/err"; fail=1
fi

tshark_with -G protocols >"$WORK/protocols" 2>/dev/null
# (4.4 adds three columns: enabled, enabled by default, can be toggled.)
check "protocol MQTT Keepalive (mqttka)" '^MQTT Keepalive	MQTT Keepalive	mqttka(	T	T	T)?$' "$WORK/protocols"

tshark_with -G fields >"$WORK/fields" 2>/dev/null
for f in keepalive silence silence_ratio pingresp_in pingreq_in rtt finding severity detail verdict; do
    check "field mqttka.$f" "^F	[^	]*	mqttka\.$f	" "$WORK/fields"
done
# One expert info per finding kind, named after the kind (core/finding_kinds.c).
kinds=$(grep -oE '(KIND|KIND_OR_LESSER)\("[a-z0-9_]+"|\{"[a-z0-9_]+"' "$SOURCE/core/finding_kinds.c" |
        grep -oE '[a-z0-9_]+"$' | tr -d '"')
[ -n "$kinds" ] || { echo "FAIL: no finding names in core/finding_kinds.c"; fail=1; }
for k in $kinds; do
    check "expert info mqttka.$k" "	mqttka\.$k	" "$WORK/fields"
done

# -G heuristic-decodes: "table, protocol, enabled" in 4.0, two lines for
# us; 4.4 adds "enabled by default, short name, display name".
tshark_with -G heuristic-decodes >"$WORK/heur" 2>/dev/null
n=$(grep -Ec '^tcp	mqttka	T(	|$)' "$WORK/heur" || true)
if [ "$n" = 2 ]; then echo "ok: both TCP heuristics registered and enabled"
else echo "FAIL: $n enabled mqttka TCP heuristics, expected 2"; fail=1; fi
if grep -q '^tcp	mqttka	T	' "$WORK/heur"; then
    for h in mqttka_ws_upgrade_tcp mqttka_mqtt_connect_tcp; do
        check "heuristic $h enabled by default" "^tcp	mqttka	T	T	$h	" "$WORK/heur"
    done
fi
# (The ws.protocol entries are not listed by any -G report; test_samples.sh
# and test_split.sh show MQTT decoded inside WebSocket.)

tshark_with -z help >"$WORK/z" 2>&1 || true
check "stats tree mqttka,tree" '^[[:space:]]*mqttka,tree' "$WORK/z"

exit $fail
