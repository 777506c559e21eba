# check_late_join.py - checks the summary mqttka --json printed for a
# connection it joined after it began (test_late_join.sh) against what its
# own -w file holds.
#
#   check_late_join.py LIVE_STAMPED WFILE WS_PORT KA
#
# LIVE_STAMPED holds "<arrival epoch> <json line>" (stamp_lines.py); WFILE
# is the -w capture of that run; WS_PORT the broker's WebSocket port; KA the
# keepalive the client was given. The PINGREQs and PINGRESPs the capture
# saw are counted here from the -w file's bytes (WebSocket frames read at
# each segment's start and unmasked; paho and mosquitto write a ping frame a
# segment), not by mqttka. Prints one "FAIL: ..." line per failed check and
# a "seen ..." line; exits 1 if any check failed.
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capture_records  # noqa: E402

live_path, wfile, ws_port, ka = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


def tcp_payload(link, data):
    """(src port, dst port, payload bytes) of an Ethernet/IPv4 or IPv6 TCP record."""
    t = capture_records.tcp(link, data)
    if not t:
        return None
    sport, dport, _seq, _ack, _flags, n = t
    return sport, dport, data[len(data) - n:] if n else b""


def ws_payloads(seg):
    """The unmasked payloads of the whole frames at the start of a segment."""
    out, pos = [], 0
    while pos + 2 <= len(seg):
        b1 = seg[pos + 1]
        n, pos = b1 & 0x7F, pos + 2
        if n == 126:
            n, pos = struct.unpack(">H", seg[pos:pos + 2])[0], pos + 2
        elif n == 127:
            n, pos = struct.unpack(">Q", seg[pos:pos + 8])[0], pos + 8
        key = None
        if b1 & 0x80:
            key, pos = seg[pos:pos + 4], pos + 4
        body = seg[pos:pos + n]
        if len(body) < n:
            break
        pos += n
        if key:
            body = bytes(c ^ key[i & 3] for i, c in enumerate(body))
        out.append(body)
    return out


# What the capture saw, in order: "req" and "resp".
pings = []
for _ts, link, _orig, data in capture_records.records(wfile):
    t = tcp_payload(link, data)
    if not t or not t[2]:
        continue
    sport, dport, payload = t
    for body in ws_payloads(payload):
        if dport == ws_port and body == b"\xc0\x00":
            pings.append("req")
        elif sport == ws_port and body == b"\xd0\x00":
            pings.append("resp")
n_req, n_resp = pings.count("req"), pings.count("resp")
# FIFO pairing: a PINGREQ with no PINGRESP after it is unanswered.
outstanding = 0
for p in pings:
    if p == "req":
        outstanding += 1
    elif outstanding:
        outstanding -= 1
print("seen in the -w file: PINGREQ %d, PINGRESP %d, unanswered %d" % (n_req, n_resp, outstanding))

objs = []
with open(live_path) as f:
    for line in f:
        _arrival, _, text = line.rstrip("\n").partition(" ")
        try:
            objs.append(json.loads(text))
        except ValueError:
            failures.append("not JSON: %r" % text[:200])
conns = [o for o in objs if o.get("type") == "connection"]
if check(len(conns) == 1, "%d connection summaries, expected 1" % len(conns)):
    c = conns[0]
    check(c["server"].endswith(":%d" % ws_port), "summary of another connection: %s" % c["server"])
    check(c["transport"] == "websocket", "transport %s" % c["transport"])
    check(c["start_seen"] is False, "start_seen %s, the capture began after the CONNECT"
          % c["start_seen"])
    inferred = c["keepalive_inferred"]
    check(inferred is not None and 0.7 * ka <= inferred <= 1.3 * ka,
          "keepalive_inferred %s, not within 30 %% of %g" % (inferred, ka))
    check(c["verdict"] == "open", "verdict %s (%s)" % (c["verdict"], c.get("verdict_detail")))
    check(n_req >= 4, "the capture saw %d PINGREQs, the test waits for 4" % n_req)
    check(c["pingreq"] == n_req, "pingreq %d, the capture holds %d" % (c["pingreq"], n_req))
    check(c["pingresp"] == n_resp, "pingresp %d, the capture holds %d" % (c["pingresp"], n_resp))
    check(c["packets"]["c2s"].get("PINGREQ", 0) == n_req,
          "packets c2s %s" % c["packets"]["c2s"])
    check(c["pingreq_unanswered"] == outstanding,
          "pingreq_unanswered %d, the capture has %d" % (c["pingreq_unanswered"], outstanding))
    check(c["keepalive"] is None, "keepalive %s: the CONNECT was not captured" % c["keepalive"])
bad = [o for o in objs if o.get("type") == "finding" and o["kind"] == "pingreq_unanswered"]
check(not bad, "pingreq_unanswered findings: %s" % [o["detail"] for o in bad])

for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
