#!/bin/bash
# test_write_flagged.sh - --write-flagged FILE with -r: only the packets of
# connections with a warn or error finding, each finding a pcapng comment on
# the packet it is about (the input's frame with that finding's time), read
# by tshark, and read back by mqttka with the same warn/error findings; a
# capture with no such finding gives a file with no packet. Real samples,
# alone and mixed into one capture with healthy connections.
. "$(dirname "$0")/lib.sh"
need_jq
command -v tshark >/dev/null 2>&1 || skip "tshark is not installed"
command -v mergecap >/dev/null 2>&1 || skip "mergecap is not installed (apt-get install wireshark-common)"

flagged_kinds() { # JSON -> "kind severity" of warn/error findings, sorted
    jq -r 'select(.type == "finding" and (.severity == "warn" or .severity == "error"))
           | "\(.kind) \(.severity)"' "$1" | sort
}

checked=0
for sample_file in $(all_samples); do
    base=$(basename "$sample_file")
    cp "$sample_file" "$TMP/in.pcap"
    run 0 --json -r "$TMP/in.pcap" --write-flagged "$TMP/flagged.pcapng" || continue
    cp "$TMP/out" "$TMP/in.json"
    grep -q '^mqttka: --write-flagged .*: [0-9]* packets of [0-9]* flagged connections' "$TMP/err" ||
        fail "$base: no closing line: $(cat "$TMP/err")"
    # The same output as without the option.
    "$MQTTKA" --json -r "$TMP/in.pcap" | cmp -s - "$TMP/in.json" ||
        fail "$base: --write-flagged changed the output"
    # One tshark run a file (it is slow to start): every written packet's
    # time and comments, and, once flagged, every input frame's time.
    tshark -r "$TMP/flagged.pcapng" -T fields -e frame.time_epoch -e frame.comment \
        2>/dev/null >"$TMP/written"
    packets=$(wc -l <"$TMP/written")
    flagged_kinds "$TMP/in.json" >"$TMP/want"
    if [ ! -s "$TMP/want" ]; then
        [ "$packets" = 0 ] || fail "$base: no warn/error finding, yet $packets packets written"
        continue
    fi
    checked=$((checked + 1))
    [ "$packets" -gt 0 ] || { fail "$base: flagged, yet no packet written"; continue; }
    # Read back: the same warn/error findings, but for the rules between
    # connections (mass_close, reconnect_storm): they are about connections
    # the file does not hold, since those had no finding of their own.
    "$MQTTKA" --json -r "$TMP/flagged.pcapng" >"$TMP/back.json" 2>"$TMP/err" ||
        fail "$base: reading the flagged file back: $(cat "$TMP/err")"
    grep -v -e '^mass_close ' -e '^reconnect_storm ' "$TMP/want" >"$TMP/want_own" || true
    flagged_kinds "$TMP/back.json" | grep -v -e '^mass_close ' -e '^reconnect_storm ' |
        cmp -s - "$TMP/want_own" ||
        fail "$base: read back, the findings differ: $(flagged_kinds "$TMP/back.json" | diff "$TMP/want" - | head -3)"
    # Each finding is a comment on its packet: the comment names the kind
    # and the input's frame, and the packet has that frame's time.
    tshark -r "$TMP/in.pcap" -T fields -e frame.number -e frame.time_epoch 2>/dev/null >"$TMP/in_times"
    while read -r frame kind; do
        line=$(grep -F "$kind" "$TMP/written" | grep -F "frame $frame of the input" | head -1)
        [ -n "$line" ] || { fail "$base: no comment for $kind (frame $frame)"; continue; }
        want=$(awk -v f="$frame" '$1 == f { print $2; exit }' "$TMP/in_times")
        [ "${line%%$'\t'*}" = "$want" ] ||
            fail "$base: the $kind comment is on a packet of time ${line%%$'\t'*}, frame $frame is $want"
    done < <(jq -r 'select(.type == "finding" and (.severity == "warn" or .severity == "error"))
                    | "\(.frame) \(.kind)"' "$TMP/in.json")
done
[ "$checked" -ge 2 ] || skip "fewer than two samples with a warn or error finding"

# Flagged and healthy connections in one capture: only the flagged ones are
# written, every packet of them (they are short), none of the others.
frozen=$(sample ws-broker-frozen.pcap)
healthy=$(sample ws-multi.pcap)
mergecap -F pcap -w "$TMP/mixed.pcap" "$frozen" "$healthy"
run 0 --json -r "$TMP/mixed.pcap" --write-flagged "$TMP/mixed.pcapng" && {
    n_flagged=$(jq -r 'select(.type == "finding" and (.severity == "warn" or .severity == "error")) | .conn' "$TMP/out" | sort -u | wc -l)
    "$MQTTKA" --json -r "$TMP/mixed.pcapng" >"$TMP/back.json"
    n_back=$(grep -c '"type":"connection"' "$TMP/back.json")
    [ "$n_back" = "$n_flagged" ] || fail "mixed: $n_back connections written, $n_flagged flagged"
    frozen_packets=$(tshark -r "$frozen" -T fields -e frame.number 2>/dev/null | wc -l)
    written=$(tshark -r "$TMP/mixed.pcapng" -T fields -e frame.number 2>/dev/null | wc -l)
    # All but the last ACK after both FINs, which ends nothing the core tracks.
    [ "$written" -ge $((frozen_packets - 1)) ] && [ "$written" -le "$frozen_packets" ] ||
        fail "mixed: $written packets written, the flagged connection has $frozen_packets"
}

# The file cannot be created: one line, status 2, nothing analysed.
run 2 -r "$frozen" --write-flagged "$TMP/no/such/dir/f.pcapng" &&
    stderr_is_one_line "--write-flagged" "No such file or directory"

finish
