# check_frozen.py - checks what mqttka --json printed live while the broker
# was frozen, against the same capture read back from the -w file.
#
#   check_frozen.py LIVE_STAMPED REPLAY_JSONL T_RESP_S STOP_EPOCH RECORDS
#
# LIVE_STAMPED holds "<arrival epoch> <json line>" (stamp_lines.py);
# REPLAY_JSONL is `mqttka --json -r` of the -w file; STOP_EPOCH is when the
# broker was frozen; RECORDS lists the -w file's records
# (`capture_records.py list`: "<epoch> <tcp payload bytes> <tcp flags>").
# Prints one "FAIL: ..." line per failed check and "latency ..." lines;
# exits 1 if any check failed.
import json
import sys

live_path, replay_path = sys.argv[1], sys.argv[2]
t_resp, stop_epoch = float(sys.argv[3]), float(sys.argv[4])
with open(sys.argv[5]) as f:
    records = [line.split() for line in f if line.strip()]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


live = []  # (arrival, object)
with open(live_path) as f:
    for line in f:
        arrival, _, text = line.rstrip("\n").partition(" ")
        try:
            live.append((float(arrival), json.loads(text)))
        except ValueError:
            failures.append("not JSON: %r" % text[:200])
with open(replay_path) as f:
    replay = [json.loads(line) for line in f if line.strip()]

objs = [o for _, o in live]
mqtt = [o for o in objs if o.get("type") == "mqtt"]
findings = [(a, o) for a, o in live if o.get("type") == "finding"]
kinds = {o["kind"] for _, o in findings}

# The handshake, CONNECT, the keepalive and the ping pairs, as they came.
check(any(o.get("type") == "ws_handshake" and o.get("upgraded") for o in objs),
      "no upgraded ws_handshake event")
connects = [o for o in mqtt if o["packet"] == "CONNECT"]
check(connects and connects[0]["connect"]["keepalive"] == 2, "no CONNECT with keepalive 2")
check("keepalive_negotiated" in kinds, "no keepalive_negotiated finding")
pingresps = [o for o in mqtt if o["packet"] == "PINGRESP" and "pingreq_frame" in o]
check(len(pingresps) >= 1, "no PINGRESP paired with its PINGREQ")
check("pingresp_rtt" in kinds, "no pingresp_rtt finding")

# The unanswered PINGREQ, the first after the broker was frozen: reported
# by the clock (no frame made it known), T_resp after the PINGREQ, within
# T_resp + 1 s of its capture time.
pingreqs = {o["frame"]: o for o in mqtt if o["packet"] == "PINGREQ"}
after_freeze = [o for o in mqtt if o["packet"] == "PINGREQ" and o["ts"] > stop_epoch]
late = [(a, o) for a, o in findings if o["kind"] == "pingreq_unanswered"
        and after_freeze and o["frame"] == after_freeze[0]["frame"]]
if check(after_freeze, "no PINGREQ after the broker was frozen") and \
        check(late, "no pingreq_unanswered for the PINGREQ in frame %d, the first after the "
              "broker was frozen" % after_freeze[0]["frame"]):
    arrival, f = late[0]
    req = pingreqs.get(f["frame"])
    if check(req is not None, "the finding names frame %s, not a PINGREQ" % f["frame"]):
        latency = arrival - req["ts"]
        print("latency %s: PINGREQ frame %d at %.6f, finding arrived %.3f s later "
              "(T_resp %.1f s, allowed %.1f s)" % (f["kind"], f["frame"], req["ts"], latency,
                                                   t_resp, t_resp + 1))
        check(latency <= t_resp + 1.0, "finding %.3f s after the PINGREQ, over T_resp + 1 s" % latency)
        check(latency >= t_resp - 0.05, "finding %.3f s after the PINGREQ, before T_resp" % latency)
        check(f["reported_frame"] is None,
              "pingreq_unanswered was known at frame %s, not by the clock" % f["reported_frame"])
        # No packet of the connection between the PINGREQ and the finding
        # but TCP's own ACKs (the kernel answers for a frozen process):
        # nothing came to trigger it.
        later = [o for o in mqtt if req["ts"] < o["ts"] <= f["ts"]]
        check(not later, "MQTT packets between the PINGREQ and the finding: %s" % later)
        ACK = 0x10
        moving = [r for r in records if req["ts"] < float(r[0]) <= f["ts"]
                  and not (r[1] == "0" and int(r[2], 16) == ACK)]
        check(not moving, "%d records other than a bare ACK captured between the PINGREQ and "
              "the finding: %s" % (len(moving), moving))

# The summary after SIGINT, and the capture counters.
conns = [o for o in objs if o.get("type") == "connection"]
if check(len(conns) == 1, "expected one connection summary, got %d" % len(conns)):
    c = conns[0]
    check(c["keepalive"] == 2 and c["pingreq"] >= 2 and c["pingresp"] >= 1,
          "summary counts: keepalive %s, pingreq %s, pingresp %s" % (c["keepalive"], c["pingreq"], c["pingresp"]))
    check(c["pingreq_unanswered"] >= 1, "summary has no unanswered PINGREQ")
    print("verdict %s: %s" % (c["verdict"], c["verdict_detail"]))
cap = [o for o in objs if o.get("type") == "capture"]
if check(len(cap) == 1, "no capture object at the end"):
    check(cap[0].get("interface") == "lo" and isinstance(cap[0].get("packets_received"), int),
          "capture object lacks interface / packets_received: %s" % cap[0])

# The same findings from the saved file: (frame, kind) of everything known
# from packets. Findings the clock alone told (reported_frame null in live,
# with a time-only kind) may have no twin in the file, which cannot know
# when the capture stopped; everything else in the file must be in live.
TIME_KINDS = {"pingreq_unanswered", "client_silent_over_keepalive",
              "client_silent_over_1_5_keepalive", "server_keepalive_not_enforced",
              "ws_ping_unanswered"}
live_set = {(o["frame"], o["kind"]) for _, o in findings}
replay_set = {(o["frame"], o["kind"]) for o in replay if o.get("type") == "finding"}
only_replay = replay_set - live_set
only_live = {(fr, k) for fr, k in live_set - replay_set}
clock_only = {(o["frame"], o["kind"]) for _, o in findings
              if o["reported_frame"] is None and o["kind"] in TIME_KINDS}
# A silence the clock told live is about its last client packet; the file
# tells it at the packet or close that ended it: same kind, another frame.
clock_kinds = {k for _, k in clock_only}
unexplained = {(fr, k) for fr, k in only_replay if k not in clock_kinds}
check(not unexplained, "findings in the -w file but not live: %s" % sorted(unexplained, key=str))
check(only_live <= clock_only, "live findings known from packets but not in the -w file: %s"
      % sorted(only_live - clock_only))
print("findings: %d live, %d from the -w file, %d only live (told by the clock)"
      % (len(live_set), len(replay_set), len(only_live)))
rc = [o for o in replay if o.get("type") == "connection"]
if conns and rc:
    check(rc[0]["verdict"] == conns[0]["verdict"],
          "verdict live %s, from the file %s" % (conns[0]["verdict"], rc[0]["verdict"]))

for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
