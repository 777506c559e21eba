#!/bin/bash
# plugin-mutate.sh - the Wireshark plugin over mutated captures: each sample
# (and each synthetic capture of tests/plugin/synth_pcap.py) has 2 % of its
# packet bytes changed by `editcap -E 0.02 --seed N`, then goes through
# tshark with the plugin, two-pass and with the whole tree (-2 -V), so the
# first pass, the revisits and every tree item are exercised. A run fails on
# a crash (tshark killed by a signal), a "Dissector bug" (a failed
# DISSECTOR_ASSERT or an exception our code did not catch), a malformed
# packet blamed on MQTT Keepalive, or a GLib warning or critical.
#
#   fuzz/plugin-mutate.sh --plugin build/plugin/mqttka.so --samples samples --source .
#
# Environment: SEEDS (mutated files to make, default 300), FIRST_SEED
# (default 1), RATE (default 0.02), KEEP (folder where failing inputs are
# copied, default fuzz/.work/plugin-mutate under --source). Seeds are fixed,
# so a run is repeatable: file k is capture k mod N mutated with seed
# FIRST_SEED + k. As root, tshark runs as nobody (tests/plugin/lib.sh).
# tests/plugin/test_mutate.sh runs this with SEEDS=26 in the plugin suite.
# Needs editcap 4.0 (--seed) and tshark: Debian's tshark package.
. "$(dirname "$0")/../tests/plugin/lib.sh"
set +e

SEEDS=${SEEDS:-300}
FIRST_SEED=${FIRST_SEED:-1}
RATE=${RATE:-0.02}
KEEP=${KEEP:-$SOURCE/fuzz/.work/plugin-mutate}
command -v editcap >/dev/null || { echo "editcap not installed: skipped"; exit 77; }
editcap --help 2>&1 | grep -q -- '--seed' || { echo "editcap has no --seed: skipped"; exit 77; }

captures=()
for c in "$WORK"/caps/*.pcap; do captures+=("$c"); done
[ ${#captures[@]} -gt 0 ] || { echo "no captures"; exit 1; }
mkdir -p "$WORK/mut"
chmod a+rwx "$WORK/mut"

failures=0 malformed_elsewhere=0
for ((k = 0; k < SEEDS; k++)); do
    seed=$((FIRST_SEED + k))
    src=${captures[$((k % ${#captures[@]}))]}
    mut="$WORK/mut/$(basename "$src" .pcap)-seed$seed.pcap"
    editcap -E "$RATE" --seed "$seed" "$src" "$mut" >/dev/null 2>&1 || { echo "editcap failed on $src"; failures=$((failures + 1)); continue; }
    chmod a+r "$mut"
    tshark_with -2 -V -r "$mut" >"$WORK/out" 2>"$WORK/err"
    status=$?
    why=
    if [ $status -ge 128 ]; then
        why="tshark killed by signal $((status - 128))"
    elif grep -q "Dissector bug" "$WORK/out" "$WORK/err"; then
        why=$(grep -h -m1 "Dissector bug" "$WORK/out" "$WORK/err")
    elif grep -q "Malformed Packet: MQTT Keepalive\|Malformed Packet (Exception occurred).*mqttka" "$WORK/out"; then
        why="malformed packet in MQTT Keepalive: $(grep -m1 -B3 'Malformed Packet: MQTT Keepalive' "$WORK/out" | head -4 | tr '\n' ' ')"
    elif grep -Eq "(WARNING|CRITICAL|ERROR) \*\*" "$WORK/err"; then
        why=$(grep -E -m1 "(WARNING|CRITICAL|ERROR) \*\*" "$WORK/err")
    fi
    grep -q "Malformed Packet" "$WORK/out" && malformed_elsewhere=$((malformed_elsewhere + 1))
    if [ -n "$why" ]; then
        failures=$((failures + 1))
        mkdir -p "$KEEP"
        cp "$mut" "$KEEP/"
        echo "FAIL: $(basename "$mut") (exit $status): $why"
    fi
done
echo "$SEEDS mutated captures through tshark with the plugin: $failures failed" \
     "($malformed_elsewhere had malformed packets in other dissectors, which is expected)"
[ $failures -eq 0 ]
