#!/bin/bash
# test_ack_reorder.sh - every sample with each data segment swapped with the
# bare ACK that follows it (the ACK captured first, as a multi-queue NIC can
# show them; reorder_acks.py) gives the findings and verdicts of the
# original: a bare ACK ahead of its data is no capture_gap (issue 18).
. "$(dirname "$0")/lib.sh"
PYTHON=${PYTHON3:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || skip "no python3 to rewrite the captures"
REORDER="$(dirname "$0")/reorder_acks.py"

total=0
for sample_file in $(all_samples); do
    case $sample_file in *.pcapng) continue ;; esac
    capture="$TMP/$(basename "$sample_file")"
    cp "$sample_file" "$capture"
    n=$("$PYTHON" "$REORDER" "$capture" "$TMP/reordered.pcap") || continue
    [ "$n" -gt 0 ] || continue
    total=$((total + n))
    for f in "$capture" "$TMP/reordered.pcap"; do
        "$MQTTKA" --json -r "$f" | grep -E '"type":"connection"' |
            grep -oE '"(kind|verdict|pingreq|pingresp|pingreq_unanswered)":("[a-z_]*"|[0-9]+)' >"$f.facts"
    done
    cmp -s "$capture.facts" "$TMP/reordered.pcap.facts" ||
        fail "$(basename "$sample_file") with $n ACKs ahead of their data: $(diff "$capture.facts" "$TMP/reordered.pcap.facts" | head -4 | tr '\n' ' ')"
done
[ "$total" -gt 50 ] || fail "only $total ACKs moved ahead of their data in all the samples"
echo "$total bare ACKs moved ahead of their data"
finish
