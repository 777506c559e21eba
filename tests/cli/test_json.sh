#!/bin/bash
# test_json.sh - every --json line parses, every event has its common
# members, and every connection object has the members of the schema in
# issue 2 with the right types.
. "$(dirname "$0")/lib.sh"
need_jq

schema='
  def is_int_or_null: type == "null" or (type == "number" and . == floor);
  def is_num_or_null: type == "null" or type == "number";
  def is_str_or_null: type == "null" or type == "string";
  def counts: type == "object" and ([.[] | type == "number" and . >= 1] | all)
              and ([keys[] | test("^[A-Z]+$")] | all);
  select(.type == "connection")
  | (.client | type == "string" and test("^([0-9.]+|\\[[0-9a-f:.]+\\]):[0-9]+$"))
    and (.server | type == "string" and test("^([0-9.]+|\\[[0-9a-f:.]+\\]):[0-9]+$"))
    and (.transport == "websocket" or .transport == "tcp")
    and (.ws_subprotocol | is_str_or_null)
    and ([.mqtt_version] | inside(["3.1", "3.1.1", "5.0", null]))
    and (.keepalive | is_int_or_null)
    and (.server_keepalive | is_int_or_null)
    and (.effective_keepalive | is_int_or_null)
    and (.start | type == "number") and (.end | type == "number")
    and (.packets | type == "object" and (.c2s | counts) and (.s2c | counts))
    and (.pingreq | type == "number") and (.pingresp | type == "number")
    and (.pingreq_unanswered | type == "number")
    and (.rtt_ms | type == "null" or (type == "object"
         and ([.min, .median, .p95, .max] | map(type == "number") | all)))
    and (.max_client_silence | is_num_or_null)
    and (.close | type == "object"
         and ([.initiator] | inside(["client", "server", null]))
         and ([.mechanism] | inside(["mqtt_disconnect", "ws_close", "fin", "rst", null]))
         and (.ws_close_code | is_int_or_null)
         and (.ts | is_num_or_null))
    and (.verdict | type == "string")
    and (.findings | type == "array" and (map(
         (.kind | type == "string")
         and ([.severity] | inside(["info", "warn", "error"]))
         and (.ts | type == "number") and (.frame | type == "number")) | all))
'
events='
  select(.type != "connection" and .type != "capture")
  | (.conn | type == "number") and (.ts | type == "number")
    and (.frame | is_int_or_null) and (.dir == "c2s" or .dir == "s2c")
'

connections=0
for capture in $(all_samples); do
    "$MQTTKA" --json -r "$capture" >"$TMP/out" 2>"$TMP/err" || fail "$capture: exit $?"
    jq -c . "$TMP/out" >/dev/null 2>"$TMP/jq.err" || fail "$capture: a line does not parse: $(head -3 "$TMP/jq.err")"
    n=$(jq -c 'select(.type == "connection")' "$TMP/out" | wc -l)
    connections=$((connections + n))
    bad=$(jq -c "$schema" "$TMP/out" | grep -vc '^true$')
    [ "$bad" -eq 0 ] || fail "$capture: $bad connection object(s) off the schema"
    bad=$(jq -c "def is_int_or_null: type == \"null\" or (type == \"number\" and . == floor); $events" "$TMP/out" | grep -vc '^true$')
    [ "$bad" -eq 0 ] || fail "$capture: $bad event object(s) without conn/ts/frame/dir"
    [ "$(tail -1 "$TMP/out" | jq -r .type)" = capture ] || fail "$capture: the last line is not the capture object"
    # -q: connection objects only, the same ones.
    "$MQTTKA" --json -q -r "$capture" >"$TMP/quiet" || fail "$capture -q: exit $?"
    grep -v '"type":"connection"' "$TMP/quiet" | grep -q . && fail "$capture -q: more than connections"
    grep '"type":"connection"' "$TMP/out" | cmp -s - "$TMP/quiet" || fail "$capture -q: different connections"
    # Options reach the core's config: --max-findings 0 keeps no finding in
    # a summary and counts them all as omitted.
    jq -c 'select(.type == "connection") | (.findings | length) + .findings_omitted' "$TMP/out" >"$TMP/all.n"
    "$MQTTKA" --json -q --max-findings 0 -r "$capture" |
        jq -c '(.findings | length), .findings_omitted' | paste - - >"$TMP/none.n"
    awk '{ print "0\t" $0 }' "$TMP/all.n" | cmp -s - "$TMP/none.n" ||
        fail "$capture --max-findings 0: $(tr '\n' ' ' <"$TMP/none.n") vs $(tr '\n' ' ' <"$TMP/all.n")"
done
# (A sample may hold no MQTT at all; the samples together must hold some.)
[ "$connections" -ge 1 ] || fail "no connection object in any sample"

finish
