# check_csv.py - reads `mqttka --format csv` output as RFC 4180 says CSV is,
# strictly, and checks it against the JSON summaries of the same capture.
#
#   check_csv.py CSV JSONL
#
# RFC 4180 §2: records end with CRLF (the last one too, as mqttka writes
# it); a header record first, every record with as many fields; a field
# holding a comma, a double quote or a line break is enclosed in double
# quotes, and a quote inside one is doubled; nothing else is quoted
# strangely (Python's csv reader with strict=True raises on a stray quote).
# Then: one record per connection object, in the same order, with the
# same uid, Community ID, endpoints, client id, verdict, counts and times.
import csv
import io
import json
import sys

csv_path, jsonl_path = sys.argv[1:3]
problems = []
raw = open(csv_path, "rb").read()
if not raw.endswith(b"\r\n"):
    problems.append("the last record does not end with CRLF")
# Every line break is CRLF, outside quoted fields too (none are inside).
if raw.replace(b"\r\n", b"").count(b"\n") or raw.replace(b"\r\n", b"").count(b"\r"):
    problems.append("a line break that is not CRLF")
text = raw.decode("utf-8")
rows = list(csv.reader(io.StringIO(text, newline=""), strict=True, lineterminator="\r\n"))
header, records = rows[0], rows[1:]
if len(set(header)) != len(header):
    problems.append("a column name twice: %s" % header)
for i, r in enumerate(records, 2):
    if len(r) != len(header):
        problems.append("record %d has %d fields, the header %d" % (i, len(r), len(header)))

summaries = [json.loads(l) for l in open(jsonl_path) if '"type":"connection"' in l]
if len(records) != len(summaries):
    problems.append("%d records for %d connections" % (len(records), len(summaries)))


def text_of(v):
    """A JSON value as the CSV writes it: empty for null."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "%.6f" % v
    return str(v)


for rec, s in zip(records, summaries):
    row = dict(zip(header, rec))
    where = "connection %s" % s["conn"]
    want = {
        "uid": s["uid"], "community_id": s["community_id"], "conn": s["conn"],
        "client": s["client"], "server": s["server"], "transport": s["transport"],
        "ws_subprotocol": s["ws_subprotocol"], "mqtt_version": s["mqtt_version"],
        "keepalive": s["keepalive"], "server_keepalive": s["server_keepalive"],
        "effective_keepalive": s["effective_keepalive"], "start_seen": s["start_seen"],
        "one_sided": s["one_sided"], "start": s["start"], "end": s["end"],
        "first_frame": s["first_frame"], "last_frame": s["last_frame"],
        "packets_c2s": sum(s["packets"]["c2s"].values()),
        "packets_s2c": sum(s["packets"]["s2c"].values()),
        "pingreq": s["pingreq"], "pingresp": s["pingresp"],
        "pingreq_unanswered": s["pingreq_unanswered"],
        "rtt_s_count": (s["rtt_s"] or {}).get("count", 0),
        "rtt_s_max": (s["rtt_s"] or {}).get("max"),
        "max_client_silence": s["max_client_silence"],
        "close_initiator": s["close"]["initiator"], "close_mechanism": s["close"]["mechanism"],
        "close_frame": s["close"]["frame"], "verdict": s["verdict"],
        "findings_total": sum(g["count"] for g in s["finding_counts"]),
    }
    for k, v in want.items():
        if row.get(k) != text_of(v):
            problems.append("%s: %s is %r in the CSV, %r in the JSON" % (where, k, row.get(k), text_of(v)))
    # Text from the wire: equal when it needs no escaping.
    for k, v in (("client_id", s["client_id"]), ("verdict_detail", s["verdict_detail"])):
        v = v or ""
        if all(0x20 <= ord(ch) < 0x7f for ch in v) and row.get(k) != v:
            problems.append("%s: %s is %r in the CSV, %r in the JSON" % (where, k, row.get(k), v))

for p in problems:
    print("check_csv: " + p)
sys.exit(1 if problems else 0)
