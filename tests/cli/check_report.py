#!/usr/bin/python3
"""check_report.py - checks an mqttka --report page. Run with Debian's
/usr/bin/python3 (python3-html5lib).

  check_report.py valid PAGE [--raw]
      PAGE parses with html5lib in strict mode (any parse error fails), and
      fetches nothing: no script, link, img, iframe, object, embed, base,
      form, SVG image or foreign use; no src, srcset, action, xlink:href;
      every href is a fragment (#...); every url( in CSS is url(#...); a
      Content-Security-Policy with default-src 'none'. With --raw, also
      none of "http:", "https:", "//", "src=" or an url( that is not url(#
      anywhere in the file's bytes (for pages whose text holds no such
      thing: the samples').

  check_report.py dom DOM JSON DETAIL ROWS
      DOM is the page as headless Chromium rendered it (--dump-dom), JSON
      is `mqttka --json -r` of the same capture, DETAIL and ROWS the
      --report-detail and --report-rows in force. Asserts that everything
      the JSON says is drawn: each connection's row (verdict and ping
      counts), its lane or the strip chart's count, the verdict tiles, the
      RTT histogram's pairs, findings by kind; and for every connection
      drawn in detail: each ping pair (frames and RTT), each PINGREQ left
      unanswered, each finding (kind, severity, frame), the close (who,
      how, frame) and the verdict. The detailed connections are the first
      rows of the table, and the table is ordered by worst severity.

Prints what failed and exits 1; exits 0 when all holds.
"""
import json
import re
import sys
from collections import defaultdict
from html.parser import HTMLParser

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    if len(FAILURES) <= 40:
        print("FAIL: " + msg, file=sys.stderr)


# --------------------------------------------------------------------------
# valid

FORBIDDEN_ELEMENTS = {"script", "link", "img", "iframe", "object", "embed", "base", "form",
                      "image", "audio", "video", "source", "track", "frame", "frameset",
                      "applet", "portal", "input"}
FORBIDDEN_ATTRS = {"src", "srcset", "action", "formaction", "poster", "data", "background",
                   "xlink:href", "ping", "codebase", "manifest"}


def check_valid(path, raw):
    import html5lib
    data = open(path, "rb").read()
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        doc = parser.parse(data)
    except Exception as e:  # html5lib raises ParseError on the first error
        line = ""
        if parser.errors:
            (pos, code, args) = parser.errors[0]
            line = " at line %d col %d: %s %s" % (pos[0], pos[1], code, args)
        fail("%s: not valid HTML%s (%s)" % (path, line, e))
        return
    csp = False
    for el in doc.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.split("}")[-1].lower()
        if tag in FORBIDDEN_ELEMENTS:
            fail("%s: a <%s> element" % (path, tag))
        for name, value in el.attrib.items():
            lname = name.split("}")[-1].lower() if isinstance(name, str) else str(name)
            full = name if isinstance(name, str) else ""
            if lname in FORBIDDEN_ATTRS or full.lower() in FORBIDDEN_ATTRS:
                fail("%s: <%s %s=...>" % (path, tag, name))
            if lname == "href" and not value.startswith("#"):
                fail("%s: <%s href=%r> is not a fragment" % (path, tag, value))
            if lname.startswith("on"):
                fail("%s: <%s %s=...> event handler" % (path, tag, name))
            if lname == "style":
                for m in re.finditer(r"url\(\s*([^)]*)\)", value):
                    if not m.group(1).strip("'\"").startswith("#"):
                        fail("%s: <%s style=%r> fetches" % (path, tag, value))
            if tag == "meta" and lname == "http-equiv" and value.lower() == "refresh":
                fail("%s: <meta http-equiv=refresh>" % path)
            if tag == "meta" and lname == "http-equiv" and value.lower() == "content-security-policy":
                content = el.attrib.get("content", "")
                csp = "default-src 'none'" in content
        if tag == "style":
            css = "".join(el.itertext())
            if "@import" in css:
                fail("%s: @import in CSS" % path)
            for m in re.finditer(r"url\(\s*([^)]*)\)", css):
                if not m.group(1).strip("'\"").startswith("#"):
                    fail("%s: CSS url(%s)" % (path, m.group(1)))
    if not csp:
        fail("%s: no Content-Security-Policy with default-src 'none'" % path)
    if raw:
        text = data.decode("utf-8")
        for needle in ("http:", "https:", "//", "src=", "ftp:", "file:"):
            if needle in text:
                fail("%s: %r in the page" % (path, needle))
        for m in re.finditer(r"url\(([^)]*)\)", text):
            if not m.group(1).startswith("#"):
                fail("%s: url(%s) in the page" % (path, m.group(1)))


# --------------------------------------------------------------------------
# dom

class Dom(HTMLParser):
    """Every element with a data-* attribute or a class we look for, with
    its attributes; the numbers inside verdict tiles and kind rows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []       # (tag, attrs dict)
        self.tiles = {}          # verdict -> count text
        self.kind_counts = {}    # kind -> count text
        self.row_order = []      # connection ids in table order
        self.sections = []       # detailed connection ids in page order
        self._tile = None
        self._in_tile_b = False
        self._kind = None
        self._kind_td = 0
        self._text = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        cls = a.get("class", "").split()
        if any(k.startswith("data-") for k in a) or cls:
            self.elements.append((tag, a))
        if tag == "div" and "tile" in cls:
            self._tile = a.get("data-verdict")
        if tag == "b" and self._tile is not None:
            self._in_tile_b = True
            self._text = []
        if tag == "tr" and "data-kind" in a:
            self._kind = a["data-kind"]
            self._kind_td = 0
        if tag == "td" and self._kind is not None:
            self._kind_td += 1
            self._text = []
        if tag == "tr" and a.get("id", "").startswith("row-"):
            self.row_order.append(int(a["data-conn"]))
        if tag == "section" and "conn" in cls:
            self.sections.append(int(a["data-conn"]))

    def handle_endtag(self, tag):
        if tag == "b" and self._in_tile_b:
            self.tiles[self._tile] = "".join(self._text)
            self._in_tile_b = False
            self._tile = None
        if tag == "td" and self._kind is not None and self._kind_td == 3:
            self.kind_counts[self._kind] = "".join(self._text)
        if tag == "tr" and self._kind is not None:
            self._kind = None

    def handle_data(self, data):
        self._text.append(data)

    def find(self, tag=None, cls=None, **data):
        out = []
        for t, a in self.elements:
            if tag and t != tag:
                continue
            if cls and cls not in a.get("class", "").split():
                continue
            if all(a.get("data-" + k.replace("_", "-")) == str(v) for k, v in data.items()):
                out.append(a)
        return out


def frame(v):
    return 0 if v is None else int(v)


def check_dom(dom_path, json_path, detail_cap, rows_cap):
    dom = Dom()
    dom.feed(open(dom_path, encoding="utf-8").read())
    conns = {}
    events = defaultdict(list)
    for line in open(json_path, encoding="utf-8"):
        o = json.loads(line)
        if o["type"] == "connection":
            conns[o["conn"]] = o
        elif o["type"] in ("mqtt", "finding", "ws_control", "ws_handshake"):
            events[o["conn"]].append(o)
    n = len(conns)
    print("%s: %d connections, %d drawn in detail" % (dom_path, n, len(dom.sections)))

    # Rows: every connection (up to the cap), with its verdict and pings.
    rows = {}
    for a in dom.find("tr"):
        if "data-conn" in a:
            rows[int(a["data-conn"])] = a
    if len(rows) != min(n, rows_cap):
        fail("%d table rows for %d connections (cap %d)" % (len(rows), n, rows_cap))
    for cid, c in conns.items():
        r = rows.get(cid)
        if r is None:
            if n <= rows_cap:
                fail("connection %d has no row" % cid)
            continue
        for key, want in (("verdict", c["verdict"]), ("pingreq", c["pingreq"]),
                          ("pingresp", c["pingresp"]),
                          ("unanswered", c["pingreq_unanswered"])):
            if r.get("data-" + key) != str(want):
                fail("row %d: data-%s=%s, JSON says %s" % (cid, key, r.get("data-" + key), want))

    # The table is ordered by worst severity (error, then warn, then none).
    worst = {}
    for cid in conns:
        sev = {f["severity"] for f in events[cid] if f["type"] == "finding"}
        worst[cid] = 2 if "error" in sev else 1 if "warn" in sev else 0
    order = [worst[c] for c in dom.row_order if c in worst]
    if any(a < b for a, b in zip(order, order[1:])):
        fail("table rows are not ordered by worst severity: %s" % order[:50])

    # Over time: a lane per connection, or the strip chart's count.
    if n == 1:
        pass  # one connection: its timeline, no chart of all
    elif n and n <= 60 and n <= rows_cap:
        for cid, c in conns.items():
            if not dom.find("g", "lane-conn", conn=cid, verdict=c["verdict"]):
                fail("connection %d: no lane with verdict %s" % (cid, c["verdict"]))
    elif n:
        strip = dom.find("svg", "strip")
        if not strip or strip[0].get("data-connections") != str(n):
            fail("strip chart: %s, want data-connections=%d" % (strip, n))
        for v in {c["verdict"] for c in conns.values()}:
            if not dom.find(None, "series", verdict=v):
                fail("strip chart: no series for verdict %s" % v)

    # Verdict tiles.
    by_verdict = defaultdict(int)
    for c in conns.values():
        by_verdict[c["verdict"]] += 1
    if dict(by_verdict) != {v: int(t) for v, t in dom.tiles.items()}:
        fail("verdict tiles %s, JSON %s" % (dom.tiles, dict(by_verdict)))

    # RTT histogram: every pair.
    pairs = [e for es in events.values() for e in es
             if e["type"] == "mqtt" and e["packet"] == "PINGRESP" and "rtt_s" in e]
    hist = dom.find("svg", "rtt-hist")
    if pairs:
        if not hist or hist[0].get("data-pairs") != str(len(pairs)):
            fail("RTT histogram: %s, want data-pairs=%d" % (hist, len(pairs)))
        binned = sum(int(a["data-count"]) for a in dom.find("g", "rtt-bin"))
        if binned != len(pairs):
            fail("RTT histogram bins hold %d pairs, JSON has %d" % (binned, len(pairs)))

    # Findings by kind.
    kinds = defaultdict(int)
    for es in events.values():
        for e in es:
            if e["type"] == "finding":
                kinds[e["kind"]] += 1
    got = {k: int(v) for k, v in dom.kind_counts.items()}
    if got != dict(kinds):
        fail("findings by kind %s, JSON %s" % (got, dict(kinds)))

    # Details: the first rows of the table, as many as the cap allows.
    want_detail = min(detail_cap, n, rows_cap)
    if len(dom.sections) != want_detail:
        fail("%d connections drawn in detail, want %d" % (len(dom.sections), want_detail))
    if dom.sections != dom.row_order[:len(dom.sections)]:
        fail("detailed connections %s are not the first rows %s"
             % (dom.sections[:10], dom.row_order[:10]))
    for cid in dom.sections:
        check_detail(dom, cid, conns.get(cid), events[cid])
    return len(dom.sections)


def check_detail(dom, cid, c, evs):
    if c is None:
        fail("section for connection %d, not in the JSON" % cid)
        return
    sec = dom.find("section", "conn", conn=cid)
    if not sec or sec[0].get("data-verdict") != c["verdict"]:
        fail("connection %d: section verdict %s, JSON %s"
             % (cid, sec and sec[0].get("data-verdict"), c["verdict"]))
    truncated = any(a.get("data-conn") == str(cid) for a in dom.find("g", "dropped"))
    # Ping pairs, with their RTT.
    answered = set()
    for e in evs:
        if e["type"] == "mqtt" and e["packet"] == "PINGRESP" and "pingreq_frame" in e:
            answered.add(e["pingreq_frame"])
            got = dom.find("g", "pair", conn=cid, req_frame=e["pingreq_frame"],
                           resp_frame=e["frame"])
            if not got and not truncated:
                fail("connection %d: ping pair %s -> %s not drawn"
                     % (cid, e["pingreq_frame"], e["frame"]))
            elif got and abs(float(got[0]["data-rtt-ms"]) - e["rtt_s"] * 1000) > 0.0015:
                fail("connection %d: pair %s RTT %s ms, JSON %s ms"
                     % (cid, e["frame"], got[0]["data-rtt-ms"], e["rtt_s"] * 1000))
    # PINGREQs that no PINGRESP answered.
    want_un = {e["frame"] for e in evs if e["type"] == "mqtt" and e["packet"] == "PINGREQ"
               and e["dir"] == "c2s" and e["frame"] not in answered}
    got_un = {int(a["data-req-frame"]) for a in dom.find("g", "un", conn=cid)}
    if not truncated and want_un != got_un:
        fail("connection %d: unanswered PINGREQs drawn %s, JSON %s"
             % (cid, sorted(got_un), sorted(want_un)))
    # Findings: each of the first 32 (the report keeps 32 with their text);
    # a per-ping RTT is its pair.
    kept = 0
    for e in evs:
        if e["type"] != "finding":
            continue
        if e["kind"] == "pingresp_rtt":
            if not dom.find("g", "pair", conn=cid, resp_frame=frame(e["frame"])) and not truncated:
                fail("connection %d: pingresp_rtt of frame %s has no pair" % (cid, e["frame"]))
            continue
        kept += 1
        if kept > 32:
            continue
        if not dom.find("g", "finding", conn=cid, kind=e["kind"], severity=e["severity"],
                        frame=frame(e["frame"])):
            fail("connection %d: finding %s %s (frame %s) not drawn"
                 % (cid, e["severity"], e["kind"], e["frame"]))
        if e["kind"] == "capture_gap" and not dom.find("g", "gap", conn=cid,
                                                       frame=frame(e["frame"])):
            fail("connection %d: capture gap at frame %s not drawn" % (cid, e["frame"]))
    # The close: who, how, where; or still open.
    close = c["close"]
    if close["mechanism"]:
        if not dom.find("g", "close", conn=cid, initiator=close["initiator"],
                        mechanism=close["mechanism"], frame=frame(close["frame"]),
                        verdict=c["verdict"]):
            fail("connection %d: close %s by %s (frame %s, %s) not drawn"
                 % (cid, close["mechanism"], close["initiator"], close["frame"], c["verdict"]))
    elif not dom.find("g", "open", conn=cid):
        fail("connection %d: open at the end, not drawn so" % cid)


def main(argv):
    if len(argv) >= 3 and argv[1] == "valid":
        check_valid(argv[2], "--raw" in argv[3:])
    elif len(argv) == 6 and argv[1] == "dom":
        check_dom(argv[2], argv[3], int(argv[4]), int(argv[5]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
