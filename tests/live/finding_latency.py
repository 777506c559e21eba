# finding_latency.py - how long after its limit a finding told by the clock
# reached mqttka's output.
#
#   finding_latency.py LIVE_STAMPED KIND LIMIT_S
#
# LIVE_STAMPED holds "<arrival epoch> <json line>" (stamp_lines.py). The
# first KIND finding is about a packet (its "frame"); LIMIT_S after that
# packet's capture time the finding is due. Checks that it was told by the
# clock (reported_frame null), not before its limit, and on stdout within
# 1 s after it. Prints the latency; exits 1 on a failed check.
import json
import sys

path, kind, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
events = []
with open(path) as f:
    for line in f:
        arrival, _, text = line.rstrip("\n").partition(" ")
        events.append((float(arrival), json.loads(text)))
found = [(a, o) for a, o in events if o.get("type") == "finding" and o["kind"] == kind]
if not found:
    print("FAIL: no %s finding" % kind)
    sys.exit(1)
arrival, f = found[0]
about = [o for _, o in events if o.get("type") == "mqtt" and o["frame"] == f["frame"]]
if not about:
    print("FAIL: %s is about frame %s, which is no MQTT packet" % (kind, f["frame"]))
    sys.exit(1)
due = about[0]["ts"] + limit
late = arrival - due
print("latency %s: due %.1f s after frame %d, on stdout %.3f s after that"
      % (kind, limit, f["frame"], late))
ok = True
if f["reported_frame"] is not None:
    print("FAIL: %s known at frame %s, not told by the clock" % (kind, f["reported_frame"]))
    ok = False
if f["ts"] < due:
    print("FAIL: %s told at %.6f, before it was due (%.6f)" % (kind, f["ts"], due))
    ok = False
if late > 1.0:
    print("FAIL: %s on stdout %.3f s after it was due (allowed 1 s)" % (kind, late))
    ok = False
sys.exit(0 if ok else 1)
