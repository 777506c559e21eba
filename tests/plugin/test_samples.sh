#!/bin/sh
# On every capture (samples/*.pcap and the synthetic ones), tshark with the
# plugin and the CLI agree packet for packet, finding for finding, verdict
# for verdict (see check_plugin.py): both feed the same core.
. "$(dirname "$0")/lib.sh"
[ -n "$CLI" ] && [ -x "$CLI" ] || { echo "the CLI was not built: skipped"; exit 77; }
python3 "$SOURCE/tests/plugin/check_plugin.py" samples "$WORK/tshark-with" "$CLI" "$WORK"/caps/*.pcap
