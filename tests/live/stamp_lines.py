# stamp_lines.py - copies standard input to FILE line by line, each line
# prefixed with the wall-clock time it arrived ("<epoch> <line>"), flushed at
# once: the live tests measure when a finding appeared on mqttka's output.
#
#   mqttka ... | python3 stamp_lines.py FILE
import sys
import time

with open(sys.argv[1], "w", buffering=1) as out:
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        out.write("%.6f %s\n" % (time.time(), line))
