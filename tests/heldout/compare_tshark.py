#!/usr/bin/env python3
"""mqttka's MQTT packet counts against tshark's MQTT decode, per connection,
on captures (other projects' test captures, say) whole and cut to start
mid-connection.

    compare_tshark.py --mqttka EXE [--cuts 2] [--port P ...] [--markdown] CAPTURE...

For each capture: the capture whole, then CUTS cuts made with
`editcap -r IN OUT K-N` (K at 1/(CUTS+1), 2/(CUTS+1), ... of its N
records), so the connections alive across a cut are joined late. mqttka
reads each (`--json -r`: the "packets" of every connection summary, and
a packet of a reserved type, which mqttka reports as malformed_fixed_header
"reserved packet type 0" and skips by its length, as tshark's "type0"). The
reference is tshark's decode of the WHOLE capture (`-Y mqtt`, fields
tcp.stream, the endpoints and mqtt.msgtype, with `-d tcp.port==P,mqtt` for
every server port of a connection mqttka reported over plain TCP and every
--port; tshark decodes 1883 by itself; over WebSocket, bench/ws_mqtt.lua
hands the subprotocol "mqtt" to tshark's MQTT dissector, which Wireshark 4.0
does not, and no -d: that would decode the WebSocket framing itself as MQTT),
restricted for a cut to frames K and later: what the cut still
holds, decoded with the framing known from the start. (A packet that begins
before K and ends after it is counted there, though no reader of the cut
can decode it.) tshark's own decode of the cut is shown beside it: it
starts each stream at the cut and may take a packet's middle for headers.
Connections are matched by their two endpoints, counts by packet type.

A row per capture and cut: the connections each found with MQTT in them,
the packets each counted, and whether mqttka agrees with the reference;
where it does not, the differing connection and types ("mqttka/reference").

Needs tshark, editcap and capinfos (Debian: tshark). Captures are read,
never written; cuts go to a temporary folder. Exit status 0 (the table is
the output, disagreement is data, not a failure) unless a tool fails.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

# bench/ws_mqtt.lua: tshark's MQTT dissector on WebSocket subprotocol "mqtt".
WS_MQTT_LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                           "ws_mqtt.lua")

# MQTT Control Packet type names as mqttka's JSON writes them (3.1.1 §2.2.1, 5.0 §2.1.2).
TYPE_NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC",
              6: "PUBREL", 7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE",
              11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP", 14: "DISCONNECT", 15: "AUTH"}


def endpoint(addr, port):
    return "[%s]:%s" % (addr, port) if ":" in addr else "%s:%s" % (addr, port)


def reserved_type(finding):
    """The packet type of a malformed_fixed_header finding about a reserved
    type ("reserved packet type 0"), else None."""
    if finding.get("kind") != "malformed_fixed_header":
        return None
    _, _, number = (finding.get("detail") or "").partition("reserved packet type ")
    number = number.split(" ")[0]
    return int(number) if number.isdigit() else None


def mqttka_counts(mqttka, path):
    """{frozenset(endpoints): Counter(type name)}, the server ports of
    connections over plain TCP and those over WebSocket."""
    p = subprocess.run([mqttka, "--json", "-r", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("mqttka %s: exit %d: %s" % (path, p.returncode, p.stderr[:300]))
    out, ports, ws_ports = {}, set(), set()
    for line in p.stdout.splitlines():
        o = json.loads(line)
        if o.get("type") != "connection":
            continue
        c = collections.Counter()
        for d in ("c2s", "s2c"):
            c.update(o["packets"][d])
        if o.get("findings_omitted"):
            print("warning: %s: findings omitted; reserved types may be undercounted" % path,
                  file=sys.stderr)
        for f in o.get("findings", []):
            t = reserved_type(f)
            if t is not None:
                c["type%d" % t] += 1
        out[frozenset([o["client"], o["server"]])] = c
        port = int(o["server"].rpartition(":")[2])
        (ws_ports if o.get("transport") == "websocket" else ports).add(port)
    return out, ports, ws_ports


def tshark_counts(path, ports, first_frame=1, websocket=False):
    shown = "mqtt" if first_frame <= 1 else "mqtt && frame.number >= %d" % first_frame
    args = ["tshark", "-r", path]
    if websocket:
        args += ["-X", "lua_script:" + WS_MQTT_LUA]
    args += ["-Y", shown, "-T", "fields", "-E", "occurrence=a",
            "-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
            "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "mqtt.msgtype"]
    for port in sorted(ports - {1883}):
        args += ["-d", "tcp.port==%d,mqtt" % port]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("tshark %s: exit %d: %s" % (path, p.returncode, p.stderr[:300]))
    out = collections.defaultdict(collections.Counter)
    for line in p.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 8 or not f[7]:
            continue
        src = endpoint(f[1] or f[2], f[3])
        dst = endpoint(f[4] or f[5], f[6])
        for t in f[7].split(","):
            t = int(t)
            out[frozenset([src, dst])][TYPE_NAMES.get(t, "type%d" % t)] += 1
    return dict(out)


def records(path):
    p = subprocess.run(["capinfos", "-c", "-M", path], stdout=subprocess.PIPE, text=True)
    for line in p.stdout.splitlines():
        if "Number of packets" in line:
            return int(line.split(":")[1].strip())
    raise RuntimeError("capinfos %s: no packet count" % path)


def total(counts):
    return sum(sum(c.values()) for c in counts.values())


def differences(mk, ref):
    diffs = []
    for key in sorted(set(mk) | set(ref), key=sorted):
        a, b = mk.get(key, collections.Counter()), ref.get(key, collections.Counter())
        if a != b:
            kinds = sorted(set(a) | set(b))
            diffs.append("%s: %s" % (" - ".join(sorted(key)), ", ".join(
                "%s %d/%d" % (k, a[k], b[k]) for k in kinds if a[k] != b[k])))
    return diffs


def run(opts, captures):
    rows = []
    agree_rows = 0
    with tempfile.TemporaryDirectory(prefix="compare-tshark-") as tmp:
        for path in captures:
            n = records(path)
            whole_mk, ports, ws_ports = mqttka_counts(opts.mqttka, path)
            ports = (ports - ws_ports) | set(opts.port)
            variants = [("whole", path, 1)]
            for i in range(1, opts.cuts + 1):
                k = 1 + i * n // (opts.cuts + 1)
                if k < 2 or k > n:
                    continue
                cut = os.path.join(tmp, "cut-%d.pcapng" % i)
                subprocess.run(["editcap", "-r", path, cut, "%d-%d" % (k, n)], check=True,
                               stdout=subprocess.DEVNULL)
                variants.append(("from %d/%d" % (k, n), cut, k))
            for label, f, k in variants:
                mk = whole_mk if k == 1 else mqttka_counts(opts.mqttka, f)[0]
                ref = tshark_counts(path, ports, k, bool(ws_ports))
                own = ref if k == 1 else tshark_counts(f, ports, 1, bool(ws_ports))
                diffs = differences(mk, ref)
                agree_rows += not diffs
                rows.append((os.path.basename(path), label, len(mk), len(ref), total(mk),
                             total(ref), total(own), "yes" if not diffs else
                             "NO: " + "; ".join(diffs)))
    if opts.markdown:
        print("| capture | records | connections mqttka / tshark | MQTT packets mqttka / tshark "
              "| tshark on the cut | agree |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print("| %s | %s | %d / %d | %d / %d | %d | %s |" % r)
    else:
        for r in rows:
            print("%s [%s]: connections %d/%d, packets %d/%d (tshark on the cut %d), %s" % r)
    print("%d of %d rows agree" % (agree_rows, len(rows)))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mqttka", required=True)
    ap.add_argument("--cuts", type=int, default=2, help="cuts a capture besides the whole")
    ap.add_argument("--port", type=int, action="append", default=[],
                    help="also decode this TCP port as MQTT in tshark")
    ap.add_argument("--markdown", action="store_true", help="a Markdown table")
    ap.add_argument("captures", nargs="+")
    opts = ap.parse_args()
    return run(opts, opts.captures)


if __name__ == "__main__":
    sys.exit(main())
