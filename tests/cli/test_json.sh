#!/bin/bash
# test_json.sh - every --json line parses, every event has its common
# members (uid, client_id once the CONNECT told it), every connection object
# has the members of the schema in issue 2 with the right types (and the
# uid and Community ID of issue 14), every event of a connection carries its
# summary's uid, the text summary shows the same ids, and the fleet object
# counts the connections.
. "$(dirname "$0")/lib.sh"
need_jq

schema='
  def is_int_or_null: type == "null" or (type == "number" and . == floor);
  def is_num_or_null: type == "null" or type == "number";
  def is_str_or_null: type == "null" or type == "string";
  def counts: type == "object" and ([.[] | type == "number" and . >= 1] | all)
              and ([keys[] | test("^[A-Z]+$")] | all);
  select(.type == "connection")
  | (.uid | type == "string" and test("^C[0-9A-Za-z]{17}$"))
    and (.community_id | type == "string" and test("^1:[A-Za-z0-9+/]{27}=$"))
    and (.client | type == "string" and test("^([0-9.]+|\\[[0-9a-f:.]+\\]):[0-9]+$"))
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
    and (has("rtt_ms") | not)
    and (.rtt_s | type == "null" or (type == "object"
         and ([.min, .median, .p95, .max] | map(type == "number" and . < 60) | all)))
    and (.finding_counts | type == "array" and (map(
         (.kind | type == "string") and (.count | type == "number" and . >= 1)
         and (.kind != "pingresp_rtt")) | all))
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
  select(.type != "connection" and .type != "capture" and .type != "fleet" and .type != "client")
  | (.conn | type == "number") and (.ts | type == "number")
    and (.uid | type == "string" and test("^C[0-9A-Za-z]{17}$"))
    and (has("client_id")) and (.client_id | type == "null" or type == "string")
    and (.frame | is_int_or_null) and (.dir == "c2s" or .dir == "s2c")
    and (has("rtt_ms") | not)
    and (.type != "finding" or (.community_id | type == "string"))
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
    [ "$(tail -2 "$TMP/out" | head -1 | jq -r .type)" = fleet ] || fail "$capture: the fleet object does not come before the capture object"
    # One uid per connection, the same on every event and on its summary;
    # the connection's client id on every event after its CONNECT.
    bad=$(jq -s -c '
        (map(select(.type == "connection") | {key: (.conn | tostring), value: .}) | from_entries) as $c
        | [.[] | select(.type != "connection" and .type != "capture" and .type != "fleet"
                        and .type != "client")
           | select(.uid != $c[.conn | tostring].uid
                    or (.client_id != null and .client_id != $c[.conn | tostring].client_id)
                    or (.type == "finding" and .community_id != $c[.conn | tostring].community_id))]
        | length' "$TMP/out")
    [ "$bad" = 0 ] || fail "$capture: $bad event(s) whose uid, client_id or community_id is not their connection's"
    n_uids=$(jq -r 'select(.type == "connection") | .uid' "$TMP/out" | sort -u | wc -l)
    [ "$n_uids" -eq "$n" ] || fail "$capture: $n connections but $n_uids distinct uids"
    # The fleet counts every connection, by verdict too.
    jq -s -e '(map(select(.type == "connection")) | length) as $n
              | (map(select(.type == "connection") | .verdict) | group_by(.) | map({key: .[0], value: length}) | from_entries) as $v
              | (map(select(.type == "fleet"))[0]) as $f
              | $f.connections == $n and $f.verdicts == $v
                and (($f.rtt_s == null) == ([.[] | select(.type == "connection") | .rtt_s.count // 0] | add // 0 | . == 0))
                and ($f.rtt_s == null or $f.rtt_s.count == ([.[] | select(.type == "connection") | .rtt_s.count // 0] | add))' \
        "$TMP/out" >/dev/null || fail "$capture: the fleet object does not add up to the connections"
    # The text summary names the same ids.
    "$MQTTKA" -q -r "$capture" | sed -n 's/^   ids          uid \(C[0-9A-Za-z]*\), community_id \(.*\)$/\1 \2/p' | sort >"$TMP/text.ids"
    jq -r 'select(.type == "connection") | "\(.uid) \(.community_id)"' "$TMP/out" | sort | cmp -s - "$TMP/text.ids" ||
        fail "$capture: the text summaries' ids differ from the JSON's"
    # -q: connection objects, the clients and the fleet only, the same ones.
    "$MQTTKA" --json -q -r "$capture" >"$TMP/quiet" || fail "$capture -q: exit $?"
    grep -v -e '"type":"connection"' -e '"type":"client"' -e '"type":"fleet"' "$TMP/quiet" | grep -q . &&
        fail "$capture -q: more than connections, clients and the fleet"
    grep -e '"type":"connection"' -e '"type":"client"' -e '"type":"fleet"' "$TMP/out" | cmp -s - "$TMP/quiet" ||
        fail "$capture -q: different connections, clients or fleet"
    # Options reach the core's config: --max-findings 0 keeps no finding in
    # a summary and counts them all as omitted.
    jq -c 'select(.type == "connection") | (.findings | length) + .findings_omitted' "$TMP/out" >"$TMP/all.n"
    "$MQTTKA" --json -q --max-findings 0 -r "$capture" | jq -c 'select(.type == "connection")' |
        jq -c '(.findings | length), .findings_omitted' | paste - - >"$TMP/none.n"
    awk '{ print "0\t" $0 }' "$TMP/all.n" | cmp -s - "$TMP/none.n" ||
        fail "$capture --max-findings 0: $(tr '\n' ' ' <"$TMP/none.n") vs $(tr '\n' ' ' <"$TMP/all.n")"
done
# (A sample may hold no MQTT at all; the samples together must hold some.)
[ "$connections" -ge 1 ] || fail "no connection object in any sample"

finish
