#!/bin/bash
# test_long_run.sh - tcpdump's habits for long live runs, on real traffic:
# a paho client (keepalive 2) publishes 400 messages of 300 bytes to
# mosquitto over a WebSocket, one every 2 ms, pings, then the broker is
# frozen (SIGSTOP) and the client gives up on its unanswered PINGREQ. Three
# captures run at once:
#
#   A  --json -q -w ring.pcap -C 20k -W 50 --write-flagged flagged.pcapng -p -B 4096 -n
#      a ring of ~20 KiB files (ring.pcap00, ring.pcap01, ...), read back as
#      one capture (a quoted glob) with the live frame numbers and findings;
#      the evidence file holds the flagged connection's first 16 and last 256
#      packets, a comment on the gap, the finding on the unanswered PINGREQ;
#      (-q: a slow reader of a line per PUBLISH would make the kernel drop)
#   B  --time-format utc -s 300: UTC times on the timeline; a 300-byte
#      snaplen keeps the handshake and cuts the PUBLISHes (payload_cut);
#   C  -w 'g-%s.pcap' -G 1 -W 2: stops by itself after two files, status 0.
. "$(dirname "$0")/lib.sh"
need_root
need_program mosquitto
need_program tshark
need_paho
command -v jq >/dev/null 2>&1 || skip "jq is not installed"

KA=2
read -r TCP_PORT WS_PORT < <(free_ports 2 | tr '\n' ' ')
start_broker "$TCP_PORT" "$WS_PORT"
FILTER="tcp port $WS_PORT"

start_mqttka ring -i lo --json -q -p -B 4096 -n -w "$TMP/ring.pcap" -C 20k -W 50 \
    --write-flagged "$TMP/flagged.pcapng" "$FILTER"
RING_PID=$MQTTKA_PID
start_mqttka utc -i lo --time-format utc -s 300 "$FILTER"
UTC_PID=$MQTTKA_PID
start_mqttka gring -i lo -w "$TMP/g-%s.pcap" -G 1 -W 2 "$FILTER"
G_PID=$MQTTKA_PID

"$PY" "$HERE/paho_client.py" --port "$WS_PORT" --ka "$KA" --publish 400 --payload-bytes 300 \
    --client-id mqttka-long-run --log "$TMP/client.log" >"$TMP/client.stderr" 2>&1 &
CLIENT_PID=$!
PIDS+=("$CLIENT_PID")
wait_for 40 grep -qs "PUBLISHED 400" "$TMP/client.log" ||
    fail "the client did not publish its 400 messages within 40 s"
# A ping pair after the burst (paho may ping during it on a slow machine).
pinged_after_burst() { sed -n '/PUBLISHED 400/,$p' "$TMP/client.log" | grep -q "Received PINGRESP"; }
wait_for 15 pinged_after_burst || fail "no ping pair after the burst: $(tail -3 "$TMP/client.log")"
kill -STOP "$BROKER_PID"
STOPPED+=("$BROKER_PID")
wait_exit "$CLIENT_PID" 10 || fail "the client did not give up on the frozen broker"
sleep 0.3

# C stopped by itself after its two files.
if wait_exit "$G_PID" 10; then
    [ "$EXIT_STATUS" -eq 0 ] || fail "-G 1 -W 2 exited $EXIT_STATUS: $(cat "$TMP/gring.err")"
    grep -q "maximum file limit reached: 2" "$TMP/gring.err" ||
        fail "-G 1 -W 2: no 'maximum file limit' line: $(cat "$TMP/gring.err")"
    n=$(ls "$TMP"/g-*.pcap 2>/dev/null | wc -l)
    [ "$n" -eq 2 ] || fail "-G 1 -W 2 wrote $n files"
else
    fail "-G 1 -W 2 did not stop by itself"
fi
stop_mqttka "$RING_PID" ring
stop_mqttka "$UTC_PID" utc
kill -CONT "$BROKER_PID"

# A: the ring. On a loaded machine the kernel may drop packets (its counter
# says so): what was captured is still checked, the scenario's own findings
# only when nothing was lost.
live_records=$(sed -n 's/^mqttka: \([0-9]*\) packets captured.*/\1/p' "$TMP/ring.err")
dropped=$(sed -n 's/.*, \([0-9]*\) dropped by kernel.*/\1/p' "$TMP/ring.err")
[ "${dropped:-0}" -eq 0 ] || echo "note: the kernel dropped $dropped packets" >&2
mapfile -t ring < <(ls "$TMP"/ring.pcap* | sort)
[ ${#ring[@]} -ge 3 ] || fail "only ${#ring[@]} ring files for $live_records records"
[ "$(basename "${ring[0]}")" = ring.pcap00 ] || fail "first ring file: ${ring[0]} (tcpdump names it ring.pcap00)"
sum=0
for f in "${ring[@]}"; do
    size=$(wc -c <"$f")
    # Rotated before a record once past 20 KiB: at most one record over.
    [ "$size" -le $((20 * 1024 + 65536)) ] || fail "$f: $size bytes"
    n=$(tshark -r "$f" -T fields -e frame.number 2>/dev/null | wc -l)
    sum=$((sum + n))
done
[ "$sum" = "$live_records" ] || fail "the ring holds $sum records, $live_records captured"
"$MQTTKA" --json -r "$TMP/ring.pcap*" >"$TMP/replay.json" 2>"$TMP/replay.err" ||
    fail "reading the ring back: $(cat "$TMP/replay.err")"
# The findings that a packet told, at the same frames live and read back.
known() {
    jq -c 'select(.type == "connection") | .findings[] | select(.reported_frame != null)
           | [.frame, .kind, .severity]' | sort
}
cut -d' ' -f2- "$TMP/ring.out" | known >"$TMP/live.findings"
known <"$TMP/replay.json" >"$TMP/replay.findings"
# The unanswered PINGREQ is told by the clock live (warn, past T_resp) and
# at the end of the capture (error: the frozen broker never closed its side),
# at no frame: it is not among the findings compared.
[ "${dropped:-0}" -ne 0 ] ||
    cut -d' ' -f2- "$TMP/ring.out" | jq -e -s '[.[] | select(.type == "connection") | .findings[]
        | select(.kind == "pingreq_unanswered")] | map(.severity) | index("warn") != null
        and index("error") != null' >/dev/null ||
    fail "live: no pingreq_unanswered warn (by the clock) and error (at the end)"
cmp -s "$TMP/live.findings" "$TMP/replay.findings" ||
    fail "ring read back: findings differ: $(diff "$TMP/live.findings" "$TMP/replay.findings" | head -4)"

# A: the evidence file: the connection's first 16 packets, a gap, its last
# 256 (and those that came after it was flagged: written as they left the
# window). The comment on packet 17 says how many were not kept.
[ "$live_records" -gt 272 ] || fail "only $live_records records: too few for the evidence window"
packets=$(tshark -r "$TMP/flagged.pcapng" -T fields -e frame.number 2>/dev/null | wc -l)
grep -q -- "--write-flagged .*flagged.pcapng: $packets packets of 1 flagged connections" "$TMP/ring.err" ||
    fail "evidence: $(grep -- --write-flagged "$TMP/ring.err") ($packets packets in the file)"
tshark -r "$TMP/flagged.pcapng" -Y frame.comment -T fields -e frame.number -e frame.time_epoch \
    -e frame.comment 2>/dev/null >"$TMP/comments"
gap_line=$(grep "were not kept" "$TMP/comments")
gap=$(echo "$gap_line" | cut -f1)
[ "$gap" = 17 ] || fail "the gap comment is on packet '${gap}', not 17: $(cut -c1-200 "$TMP/comments")"
not_kept=$(echo "$gap_line" | sed -n 's/.*mqttka: \([0-9]*\) packets of this connection before this one (frames 17\.\.\([0-9]*\) .*/\1 \2/p')
read -r n_gap gap_end <<<"$not_kept"
[ -n "$n_gap" ] && [ "$gap_end" = $((16 + n_gap)) ] || fail "the gap comment: $gap_line"
[ $((packets + ${n_gap:-0})) -eq "$live_records" ] ||
    fail "$packets packets kept and ${n_gap:-?} not kept, of $live_records"
tail_kept=$((packets - 16))
[ "$tail_kept" -ge 256 ] && [ "$tail_kept" -le 266 ] ||
    fail "$tail_kept packets after the gap, not the last 256 (and the few after the finding)"
# Its first 16 packets are the capture's first 16; its last, the last.
first16=$(tshark -r "$TMP/flagged.pcapng" -c 16 -T fields -e frame.time_epoch 2>/dev/null | md5sum)
ring16=$(tshark -r "$TMP/ring.pcap00" -c 16 -T fields -e frame.time_epoch 2>/dev/null | md5sum)
[ "$first16" = "$ring16" ] || fail "the evidence does not start with the connection's first 16 packets"
last_flagged=$(tshark -r "$TMP/flagged.pcapng" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
last_ring=$(tshark -r "${ring[-1]}" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
[ "$last_flagged" = "$last_ring" ] || fail "the evidence ends at $last_flagged, the capture at $last_ring"
# Every warn/error finding is a comment naming its frame, on the packet of
# that frame's time when it is among those kept.
while read -r frame kind; do
    line=$(grep -F "$kind" "$TMP/comments" | grep -F "frame $frame of the input" | head -1)
    [ -n "$line" ] || { fail "no comment for $kind (frame $frame)"; continue; }
    echo "$line" | grep -q "about frame" && continue
    want=$(jq -r --argjson f "$frame" 'select(.frame == $f) | .ts' "$TMP/replay.json" | head -1)
    got=$(echo "$line" | cut -f2)
    [ -n "$want" ] && [ "$(printf '%.6f' "$got")" = "$(printf '%.6f' "$want")" ] ||
        fail "the $kind comment is on a packet of time $got, frame $frame is at $want"
done < <(cut -d' ' -f2- "$TMP/ring.out" | jq -r 'select(.type == "connection") | .findings[]
         | select(.severity == "warn" or .severity == "error") | "\(.frame) \(.kind)"')
"$MQTTKA" --json -r "$TMP/flagged.pcapng" >"$TMP/flagged.json" 2>/dev/null
grep -q '"keepalive":2' "$TMP/flagged.json" || fail "the evidence file lacks the CONNECT's keepalive"
# Read back, the gap is a hole in the streams (capture_gap): what came after
# it is not decoded again; the comments carry the findings.
grep -q '"kind":"capture_gap"' "$TMP/flagged.json" || fail "the evidence file read back shows no gap"
if [ "${dropped:-0}" -eq 0 ]; then
    grep -q "error pingreq_unanswered" "$TMP/comments" || fail "no pingreq_unanswered comment"
fi

# B: UTC times and the 300-byte snaplen.
grep -q "snapshot length 300 bytes" "$TMP/utc.err" || fail "-s 300: $(head -1 "$TMP/utc.err")"
today=$(date -u +%Y-%m-%d)
grep -qE "^[0-9.]+ ${today}T[0-9:]{8}\.[0-9]{6}Z #1 C>S  CONNECT" "$TMP/utc.out" ||
    fail "--time-format utc: $(grep -m1 CONNECT "$TMP/utc.out")"
grep -q "have their payload cut by the snaplen" "$TMP/utc.out" || fail "-s 300: no payload cut reported"

finish
