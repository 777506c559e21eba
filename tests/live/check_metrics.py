# check_metrics.py - validates a page scraped from `mqttka -i ... --metrics`
# strictly against the Prometheus text exposition format (0.0.4), and checks
# every counter against mqttka's own JSON output of the same run, up to the
# moment of the scrape (the traffic is quiet then: test_metrics.sh makes it so).
#
#   check_metrics.py PAGE HEADERS JSONL MAX_CLIENTS
#
# The format (https://prometheus.io/docs/instrumenting/exposition_formats/):
# lines end with \n; "# HELP name text" and "# TYPE name type" at most once
# per family, TYPE before the family's samples; a sample is
# name{label="value",...} value [timestamp]; names [a-zA-Z_:][a-zA-Z0-9_:]*,
# label names [a-zA-Z_][a-zA-Z0-9_]*, label values with \\ \" \n as the only
# escapes; a family's samples together; no series twice; a histogram's
# buckets cumulative, in increasing le, the last le="+Inf" and equal to
# _count, with _sum and _count. Exits 1 with one line per problem.
import json
import math
import re
import sys
from collections import Counter, defaultdict

page_path, headers_path, jsonl_path, max_clients = sys.argv[1:5]
max_clients = int(max_clients)
problems = []


def fail(msg):
    problems.append(msg)


# ------------------------------------------------------------- the format --
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_value(text, where):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?", text):
        fail("%s: value %r is not a number" % (where, text))
        return math.nan
    return float(text)


def parse_labels(text, where):
    """text starts after '{'; returns (labels, rest after '}')."""
    labels = {}
    i = 0
    while True:
        if text[i:i + 1] == "}":
            return labels, text[i + 1:]
        m = re.match(LABEL, text[i:])
        if not m:
            fail("%s: bad label name at %r" % (where, text[i:i + 20]))
            return labels, ""
        name = m.group(0)
        i += len(name)
        if text[i:i + 2] != '="':
            fail("%s: label %s without =\"" % (where, name))
            return labels, ""
        i += 2
        value = []
        while True:
            if i >= len(text):
                fail("%s: label %s's value is not closed" % (where, name))
                return labels, ""
            ch = text[i]
            if ch == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    fail("%s: escape \\%s in label %s" % (where, nxt, name))
                value.append({"\\": "\\", '"': '"', "n": "\n"}.get(nxt, ""))
                i += 2
            elif ch == '"':
                i += 1
                break
            elif ch == "\n":
                fail("%s: raw newline in label %s" % (where, name))
                i += 1
            else:
                value.append(ch)
                i += 1
        if name in labels:
            fail("%s: label %s twice" % (where, name))
        labels[name] = "".join(value)
        if text[i:i + 1] == ",":
            i += 1
        elif text[i:i + 1] != "}":
            fail("%s: expected , or } after label %s" % (where, name))
            return labels, ""


def family_of(sample_name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = sample_name[: -len(suffix)] if sample_name.endswith(suffix) else None
        if base and types.get(base) in ("histogram", "summary"):
            return base
    return sample_name


raw = open(page_path, "rb").read()
try:
    text = raw.decode("utf-8")
except UnicodeDecodeError as e:
    fail("the page is not UTF-8: %s" % e)
    text = raw.decode("utf-8", "replace")
if not text.endswith("\n"):
    fail("the page does not end with a newline")
types, helps, samples = {}, {}, []
series = set()
family_order = []  # families in the order their samples come
for n, line in enumerate(text.split("\n")[:-1], 1):
    where = "line %d" % n
    if line.startswith("#"):
        m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
        if not m:
            if line.startswith("# HELP") or line.startswith("# TYPE"):
                fail("%s: malformed %r" % (where, line))
            continue
        kind, name, rest = m.groups()
        if kind == "TYPE":
            if rest not in TYPES:
                fail("%s: type %r" % (where, rest))
            if name in types:
                fail("%s: TYPE of %s twice" % (where, name))
            if name in family_order:
                fail("%s: TYPE of %s after its samples" % (where, name))
            types[name] = rest
        else:
            if name in helps:
                fail("%s: HELP of %s twice" % (where, name))
            helps[name] = rest
        continue
    if not line.strip():
        fail("%s: empty line" % where)
        continue
    m = re.match(NAME, line)
    if not m:
        fail("%s: no metric name: %r" % (where, line))
        continue
    name = m.group(0)
    rest = line[len(name):]
    labels = {}
    if rest.startswith("{"):
        labels, rest = parse_labels(rest[1:], where)
    parts = rest.split(" ")
    if len(parts) not in (2, 3) or parts[0] != "":
        fail("%s: expected ' value [timestamp]' after the name and labels: %r" % (where, line))
        continue
    value = parse_value(parts[1], where)
    key = (name, tuple(sorted(labels.items())))
    if key in series:
        fail("%s: series %s%s twice" % (where, name, labels))
    series.add(key)
    fam = family_of(name, types)
    if family_order and family_order[-1] != fam and fam in family_order:
        fail("%s: samples of %s are not together" % (where, fam))
    if not family_order or family_order[-1] != fam:
        family_order.append(fam)
    samples.append((name, labels, value))

values = {}
for name, labels, value in samples:
    values[(name, tuple(sorted(labels.items())))] = value
    fam = family_of(name, types)
    if types.get(fam) == "counter" and not (value >= 0):
        fail("counter %s%s = %r" % (name, labels, value))
    if fam not in types:
        fail("%s has no TYPE" % fam)

for fam, t in types.items():
    if t != "histogram":
        continue
    buckets = [(s[1], s[2]) for s in samples if s[0] == fam + "_bucket"]
    les = [b[0].get("le") for b in buckets]
    if not buckets or les[-1] != "+Inf":
        fail("%s: the last bucket is not le=\"+Inf\"" % fam)
    bounds = [parse_value(le, fam) for le in les]
    if bounds != sorted(bounds):
        fail("%s: le not increasing: %s" % (fam, les))
    counts = [b[1] for b in buckets]
    if counts != sorted(counts):
        fail("%s: buckets not cumulative: %s" % (fam, counts))
    count = values.get((fam + "_count", ()))
    if count is None or values.get((fam + "_sum", ())) is None:
        fail("%s: no _sum or _count" % fam)
    elif buckets and counts[-1] != count:
        fail("%s: +Inf bucket %s != _count %s" % (fam, counts[-1], count))

headers = open(headers_path, encoding="latin-1").read()
if not re.search(r"(?im)^content-type: text/plain; version=0\.0\.4; charset=utf-8\r?$", headers):
    fail("Content-Type is not the exposition format's: %r" % headers)

# ------------------------------------------------------- against the JSON --
objs = [json.loads(l) for l in open(jsonl_path) if l.strip()]
events = [o for o in objs if o["type"] not in ("connection", "capture", "fleet", "client")]
summaries = [o for o in objs if o["type"] == "connection"]
conns = {o["conn"] for o in objs if "conn" in o}


def get(name, **labels):
    v = values.get((name, tuple(sorted(labels.items()))))
    if v is None:
        fail("no series %s%s" % (name, labels))
    return v


def same(what, got, want):
    if got is None:
        return
    if got != want:
        fail("%s: the metrics say %r, the JSON output %r" % (what, got, want))


same("connections_total", get("mqttka_connections_total"), len(conns))
same("connections_open", get("mqttka_connections_open"), len(conns) - len(summaries))
by_verdict = Counter(s["verdict"] for s in summaries)
for (name, labels), v in values.items():
    if name == "mqttka_connections_closed_total":
        same("closed %s" % dict(labels), v, by_verdict.get(dict(labels)["verdict"], 0))
for verdict, n in by_verdict.items():
    same("closed verdict=%s" % verdict, get("mqttka_connections_closed_total", verdict=verdict), n)
findings = Counter((e["kind"], e["severity"]) for e in events if e["type"] == "finding")
seen_findings = Counter()
for (name, labels), v in values.items():
    if name == "mqttka_findings_total":
        d = dict(labels)
        seen_findings[(d["kind"], d["severity"])] = v
        same("findings %s" % d, v, findings.get((d["kind"], d["severity"]), 0))
for k, n in findings.items():
    if k not in seen_findings:
        fail("no series for findings %s (%d in the JSON)" % (k, n))
mqtt = [e for e in events if e["type"] == "mqtt"]
same("pingreq_total", get("mqttka_pingreq_total"),
     sum(1 for e in mqtt if e["packet"] == "PINGREQ" and e["dir"] == "c2s"))
same("pingresp_total", get("mqttka_pingresp_total"),
     sum(1 for e in mqtt if e["packet"] == "PINGRESP" and e["dir"] == "s2c"))
same("pingreq_unanswered_total", get("mqttka_pingreq_unanswered_total"),
     sum(s["pingreq_unanswered"] for s in summaries))
rtts_us = [round(e["rtt_s"] * 1e6) for e in mqtt if e.get("rtt_s") is not None]
same("ping_rtt_seconds_count", get("mqttka_ping_rtt_seconds_count"), len(rtts_us))
got_sum = get("mqttka_ping_rtt_seconds_sum")
if got_sum is not None and abs(got_sum - sum(rtts_us) / 1e6) > 1e-9:
    fail("ping_rtt_seconds_sum: %r, the JSON's RTTs add up to %r" % (got_sum, sum(rtts_us) / 1e6))
for (name, labels), v in values.items():
    if name == "mqttka_ping_rtt_seconds_bucket":
        le = dict(labels)["le"]
        bound = math.inf if le == "+Inf" else round(float(le) * 1e6)
        same("rtt bucket le=%s" % le, v, sum(1 for r in rtts_us if r <= bound))
connects = [e for e in mqtt if e["packet"] == "CONNECT" and e["dir"] == "c2s"]
same("connects_total", get("mqttka_connects_total"), len(connects))

# Reconnects: the JSON's CONNECTs in order, a key seen before is a reconnect;
# the first MAX_CLIENTS keys to reconnect have a series of their own.
client_of = {s["conn"]: s["client"] for s in summaries}
seen, labelled, other = set(), {}, 0
for e in connects:
    cid = e["connect"]["client_id"] or ""
    if cid:
        key = ("client_id", cid)
    else:
        addr = client_of.get(e["conn"])
        if addr is None:
            fail("connection %d has an empty client id and no summary yet" % e["conn"])
            continue
        key = ("client_addr", addr.rsplit(":", 1)[0].strip("[]"))
    if key not in seen:
        seen.add(key)
        continue
    if key in labelled:
        labelled[key] += 1
    elif len(labelled) < max_clients:
        labelled[key] = 1
    else:
        other += 1
got_labelled = {}
for (name, labels), v in values.items():
    if name == "mqttka_client_reconnects_total":
        d = dict(labels)
        key = ("client_addr", d["client_addr"]) if d.get("client_addr") else ("client_id", d["client_id"])
        got_labelled[key] = v
same("client_reconnects_total series", got_labelled, labelled)
same("client_reconnects_other_total", get("mqttka_client_reconnects_other_total"), other)

for p in problems:
    print("check_metrics: " + p)
if problems:
    sys.exit(1)
print("check_metrics: %d samples in %d families, all as the JSON output says (%d connections, "
      "%d findings, %d RTTs, %d CONNECTs, reconnects %s + other %d)"
      % (len(samples), len(types), len(conns), sum(findings.values()), len(rtts_us),
         len(connects), sorted(labelled.items()), other))
