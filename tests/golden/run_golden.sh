#!/bin/bash
# Compares mqttka's text and JSON output on one sample with the checked-in
# expected output. Regenerate with tests/golden/regenerate.sh after a change
# in behaviour that you have checked by hand (read the diff first).
# usage: run_golden.sh MQTTKA SAMPLE.pcap EXPECTED_DIR
set -u
mqttka=$1 sample=$2 dir=$3
name=$(basename "$sample" .pcap)
status=0
for mode in txt jsonl; do
    expected="$dir/$name.$mode"
    if [ "$mode" = txt ]; then args=(-r "$sample"); else args=(--json -r "$sample"); fi
    if ! diff -u "$expected" <("$mqttka" "${args[@]}" 2>&1) > /tmp/mqttka-golden-$$.diff; then
        echo "$name.$mode differs from the expected output:"
        head -60 /tmp/mqttka-golden-$$.diff
        status=1
    fi
    rm -f /tmp/mqttka-golden-$$.diff
done
[ $status = 0 ] && echo "$name: text and JSON output as expected"
exit $status
