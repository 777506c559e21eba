#!/bin/bash
# Rewrites tests/golden/expected/ from the current build's output on every
# sample. Run it only after checking that the new output is right:
#   ninja -C build && tests/golden/regenerate.sh build/cli/mqttka && git diff tests/golden
set -eu
mqttka=${1:-build/cli/mqttka}
top=$(cd "$(dirname "$0")/../.." && pwd)
for sample in "$top"/samples/*.pcap; do
    name=$(basename "$sample" .pcap)
    "$mqttka" -r "$sample" > "$top/tests/golden/expected/$name.txt" 2>&1 || true
    "$mqttka" --json -r "$sample" > "$top/tests/golden/expected/$name.jsonl" 2>&1 || true
done
echo "regenerated $(ls "$top"/samples/*.pcap | wc -l) samples"
