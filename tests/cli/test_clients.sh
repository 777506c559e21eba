#!/bin/bash
# test_clients.sh - the per-client view (issue 14). On every sample, the
# "type":"client" objects agree with the run's own summaries and finding
# events, and with the sample's .facts (the connections each client id
# made, from the programs' logs: the takeover and refused-retry captures
# have several per id) - check_clients.py; the text table has a row per
# client with the JSON's figures, worst first. --max-clients caps the
# table (the rest counted), --client-rows the text rows; -q keeps both.
. "$(dirname "$0")/lib.sh"
need_jq
PY=${PYTHON3:-python3}
CHECK=$(dirname "$0")/check_clients.py

# "CONNS RECONNECTS ERRORS WARNINGS" of each text row, in order.
text_rows() { sed -n '/^== clients: /,/^== fleet/p' "$1" | grep -E '^   ("|[0-9a-f.:]+ \(no id\))' |
              sed -E 's/^   (".*"|[^ ]+ \(no id\)) +//' | awk '{print $1, $2, $3, $4}'; }

for capture in $(all_samples); do
    facts=${capture%.pcap}.facts
    "$MQTTKA" --json -r "$capture" >"$TMP/out.jsonl" || fail "$capture --json: exit $?"
    "$PY" "$CHECK" "$TMP/out.jsonl" $([ -f "$facts" ] && echo "$facts") ||
        fail "$capture: the client objects disagree (above)"
    "$MQTTKA" -r "$capture" >"$TMP/out.txt" || fail "$capture: exit $?"
    jq -r 'select(.type == "client") | "\(.connections) \(.reconnects) \(.errors) \(.warnings)"' \
        "$TMP/out.jsonl" >"$TMP/want.rows"
    text_rows "$TMP/out.txt" >"$TMP/got.rows"
    cmp -s "$TMP/want.rows" "$TMP/got.rows" ||
        fail "$capture: the text client table is not the JSON's: $(diff "$TMP/want.rows" "$TMP/got.rows" | head -4)"
    "$MQTTKA" -q -r "$capture" | sed -n '/^== clients: /,/^connections: /p' | cmp -s - <(sed -n '/^== clients: /,/^connections: /p' "$TMP/out.txt") ||
        fail "$capture: -q changes the client table or the fleet"
    [ "$("$MQTTKA" -q --json -r "$capture" | jq -c 'select(.type == "client")')" = \
      "$(jq -c 'select(.type == "client")' "$TMP/out.jsonl")" ] || fail "$capture: -q --json changes the client objects"
done

# The takeover ping-pong (mosquitto, two paho clients sharing an id): one
# client, every connection its own, worst first.
takeover=$SAMPLES/ws-takeover-311.pcap
if [ -f "$takeover" ]; then
    "$MQTTKA" --json -r "$takeover" >"$TMP/t.jsonl"
    [ "$(jq -s '[.[] | select(.type == "client" and .client_id == "mqttka-twin")][0].connections' "$TMP/t.jsonl")" = \
      "$(grep -c '^conn[0-9]*\.client_id=mqttka-twin$' "${takeover%.pcap}.facts")" ] ||
        fail "ws-takeover-311: mqttka-twin's connections are not the facts'"
fi

# The caps, on ws-multi (four clients, one connection each).
multi=$(sample ws-multi.pcap)
run 0 --json --max-clients 1 -r "$multi"
[ "$(jq -s '[.[] | select(.type == "client")] | length' "$TMP/out")" = 1 ] || fail "--max-clients 1: not one client object"
[ "$(jq -s '.[] | select(.type == "fleet") | "\(.clients) \(.clients_untracked)"' "$TMP/out")" = '"1 3"' ] ||
    fail "--max-clients 1: the fleet does not count 1 client and 3 untracked connections"
"$PY" "$CHECK" "$TMP/out" || fail "--max-clients 1: the client kept disagrees (above)"
run 0 --max-clients 1 -r "$multi"
grep -q '^   and 3 connections of clients past --max-clients, not kept$' "$TMP/out" ||
    fail "--max-clients 1: the text does not count what it did not keep"
run 0 --client-rows 2 -r "$multi"
[ "$(text_rows "$TMP/out" | wc -l)" = 2 ] || fail "--client-rows 2: not two rows"
grep -q '^   and 2 more (--client-rows; --json has every client)$' "$TMP/out" || fail "--client-rows 2: the rest not counted"
run 0 --max-clients 0 -r "$multi"
grep -q '^== clients: 0' "$TMP/out" || fail "--max-clients 0: $(grep '^== clients' "$TMP/out")"
run 2 --max-clients 1000001 -r "$multi" && stderr_is_one_line "--max-clients takes a number from 0 to 1000000"
run 2 --client-rows x -r "$multi" && stderr_is_one_line "--client-rows takes a number"

# No MQTT: no client, no table.
plain=$(sample http-plain.pcap)
run 0 -r "$plain"
grep -q '^== clients' "$TMP/out" && fail "http-plain: a client table"
finish
