#!/usr/bin/env python3
"""The plugin on encrypted MQTT with Wireshark's own TLS decryption (issue 17).

    check_tls.py TSHARK TSHARK_WITHOUT CLI DIR

TSHARK runs tshark with the plugin, TSHARK_WITHOUT without it.

DIR holds the held-out TLS captures of tests/heldout/tls (NAME.pcap,
NAME.facts, NAME.keys for the TLS ones). For every TLS capture:

- with its key log (`-o tls.keylog_file:NAME.keys`, tshark -2), each MQTT
  connection the plugin reports agrees with the connection's truth in
  NAME.facts: client port, transport, MQTT version, keepalive, and what
  was on this capture's wire (PINGREQs, PINGRESPs, unanswered PINGREQs, MQTT
  packets: the wire_* lines, from the programs' logs and tshark's own
  decode); the HTTPS and TLS heartbeat captures get nothing from the
  plugin, and Wireshark's MQTT dissector decodes there exactly what it
  decodes without the plugin (stock Wireshark takes the heartbeat
  captures' echoed text on 8883 for MQTT: not ours to change);
- Wireshark's own MQTT dissector decodes as many MQTT packets as the plugin
  counts, over mqtts and over wss (MQTT inside WebSocket inside TLS);
- where the cleartext twin is on disk (twin= in the .facts: the same plan
  run again without TLS), the plugin on the TLS capture, the plugin on the
  twin and the CLI on the twin agree connection for connection (matched by
  the plan's connection number) on what the plan decides: verdict, close
  mechanism and initiator, transport, MQTT version, effective keepalive, and
  the finding kinds other than those of timing. Timing differs between two
  runs (how many pings before a client froze, how late the broker dropped
  it): counts are checked against each capture's own truth above, and the
  kinds that measure time (TIMING_KINDS) are left out. One verdict is
  timing too: where the broker dropped a frozen client later than 1.5 x
  keepalive plus the grace, the core says server_closed and shows
  server_keepalive_not_enforced on that connection, where the twin's broker
  was on time (server_closed_keepalive); that pair is accepted only with the
  finding present;
- without the key log, nothing of MQTT is shown on any TLS capture: no
  mqtt.* field, no mqttka.* field.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# tshark runs (a plugin that fails to load or a dissector bug is a failure)
# and the failures' list, as the sample checks have them
from check_plugin import FAILURES, fail, run  # noqa: E402


def read_facts(path):
    facts = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                facts[k] = v
    return facts


def facts_conns(facts):
    """conn number -> {key: value} from connN.key lines."""
    conns = {}
    for k, v in facts.items():
        m = re.match(r"^conn(\d+)\.(.*)$", k)
        if m:
            conns.setdefault(int(m.group(1)), {})[m.group(2)] = v
    return conns


def walk(node, out):
    """Flattens a tshark JSON layer (lists of pairs) into (key, value) in
    order, subtrees after their item."""
    for k, v in node:
        if isinstance(v, list) and v and isinstance(v[0], tuple):
            out.append((k, None))
            walk(v, out)
        else:
            out.append((k, v))


def plugin_view(tshark, pcap, keys, protos="mqttka mqtt"):
    """What the plugin shows with tshark -2: {conn: {...}} and the number of
    MQTT packets Wireshark's dissector decoded (mqtt.msgtype), and whether
    anything of mqtt or mqttka was shown at all."""
    cmd = [tshark, "-n", "-r", pcap, "-2"]
    if keys:
        cmd += ["-o", "tls.keylog_file:" + keys]
    out = run(cmd + ["-T", "json", "-J", protos])
    packets = json.loads(out, object_pairs_hook=lambda kv: kv) if out.strip() else []
    conns = {}
    ws_mqtt = 0
    shown = False

    def conn(cid):
        return conns.setdefault(cid, {"packets": {}, "findings": {}, "summary": None})

    for p in packets:
        src = dict(p)["_source"]
        layers = dict(src)["layers"]
        for lname, layer in layers:
            if lname in ("mqtt", "mqttka") and not (isinstance(layer, list) and
                                                    [k for k, _ in layer] == ["filtered"]):
                shown = True
            if lname == "mqtt":
                flat = []
                walk(layer, flat)
                ws_mqtt += sum(1 for k, _ in flat if k == "mqtt.msgtype")
            if lname != "mqttka":
                continue
            items = layer
            for i, (k, v) in enumerate(items):
                sub = items[i + 1][1] if i + 1 < len(items) and items[i + 1][0] == k + "_tree" else []
                d = dict(sub) if sub else {}
                if k == "mqttka.packet":
                    c = conn(int(d["mqttka.connection"]))
                    key = (d["mqttka.direction"], v)
                    c["packets"][key] = c["packets"].get(key, 0) + 1
                elif k == "mqttka.finding":
                    c = conn(int(d.get("mqttka.connection", "0")))
                    c["findings"][v] = c["findings"].get(v, 0) + 1
                elif k == "mqttka.verdict":
                    c = conn(int(d["mqttka.connection"]))
                    c["summary"] = {
                        "verdict": v,
                        "close_mechanism": d.get("mqttka.close_mechanism"),
                        "close_initiator": d.get("mqttka.close_initiator"),
                        "transport": d.get("mqttka.transport"),
                        "mqtt_version": d.get("mqttka.mqtt_version"),
                        "keepalive": d.get("mqttka.keepalive"),
                        "pings": d.get("mqttka.pings"),
                        "unanswered": d.get("mqttka.unanswered"),
                        "client_id": d.get("mqttka.client_id"),
                        "client": d.get("mqttka.client"),
                    }
    return conns, ws_mqtt, shown


def cli_view(cli, pcap):
    """The CLI's view of a cleartext capture, in the plugin view's terms."""
    out = run([cli, "--json", "-r", pcap])
    ev = [json.loads(l) for l in out.splitlines() if l.strip()]
    conns = {}

    def conn(cid):
        return conns.setdefault(cid, {"packets": {}, "findings": {}, "summary": None})

    names = {12: "PINGREQ", 13: "PINGRESP"}
    for e in ev:
        if e["type"] == "mqtt":
            c = conn(e["conn"])
            dirs = {"c2s": "client_to_server", "s2c": "server_to_client"}
            key = (dirs.get(e["dir"], e["dir"]), e.get("packet") or names.get(e["packet_type"]))
            c["packets"][key] = c["packets"].get(key, 0) + 1
        elif e["type"] == "finding" and e.get("conn"):
            c = conn(e["conn"])
            c["findings"][e["kind"]] = c["findings"].get(e["kind"], 0) + 1
        elif e["type"] == "connection":
            c = conn(e["conn"])
            c["summary"] = {"verdict": e["verdict"], "client_id": e.get("client_id"),
                            "pings": str(e.get("pingreq")),
                            "unanswered": str(e.get("pingreq_unanswered"))}
    return conns


def by_client_id(conns, name):
    """plan connection number -> plugin/CLI connection, through the client
    IDs the plan gives (hx-NAME-N)."""
    out = {}
    for c in conns.values():
        s = c["summary"] or {}
        m = re.match(r"^hx-" + re.escape(name) + r"-(\d+)$", s.get("client_id") or "")
        if m:
            out[int(m.group(1))] = c
    return out


# What the plan decides, compared with the twin.
COMPARED = ["verdict", "close_mechanism", "close_initiator", "transport", "mqtt_version",
            "keepalive"]
# Finding kinds that measure time: whether they occur, and how often, differs
# between two runs of one plan.
TIMING_KINDS = {"pingresp_rtt", "pingresp_late", "client_silent_over_keepalive",
                "client_silent_over_1_5_keepalive", "server_keepalive_not_enforced"}


def check_capture(tshark, tshark_without, cli, d, name, stats):
    pcap = os.path.join(d, name + ".pcap")
    facts = read_facts(os.path.join(d, name + ".facts"))
    keys = os.path.join(d, name + ".keys")
    truth = facts_conns(facts)
    mqtt = facts.get("mqtt", "yes") != "no" and not facts.get("class", "").startswith(
        ("nonmqtt", "heartbeat"))

    # Without the key log: nothing of MQTT.
    _, n_mqtt, shown = plugin_view(tshark, pcap, None)
    if shown or n_mqtt:
        fail("%s without its key log: MQTT or mqttka shown (%d mqtt.msgtype)" % (name, n_mqtt))
    stats["nokeys"] += 1

    conns, ws_mqtt, shown = plugin_view(tshark, pcap, keys)
    if not mqtt:
        # (Without the plugin, 4.4 refuses -J with a protocol it lacks.)
        _, stock_mqtt, _ = plugin_view(tshark_without, pcap, keys, "mqtt")
        if conns:
            fail("%s (no MQTT, decrypted): the plugin shows %d connections" % (name, len(conns)))
        elif ws_mqtt != stock_mqtt:
            fail("%s (no MQTT, decrypted): %d MQTT packets decoded, %d without the plugin"
                 % (name, ws_mqtt, stock_mqtt))
        else:
            print("%s: decrypted, nothing from the plugin (MQTT dissector: %d packets, as "
                  "without the plugin)" % (name, ws_mqtt))
        stats["nonmqtt"] += 1
        return

    plan = by_client_id(conns, name)
    n_pkts = sum(sum(c["packets"].values()) for c in conns.values())
    if ws_mqtt != n_pkts:
        fail("%s: Wireshark's MQTT dissector decoded %d packets, the plugin counts %d"
             % (name, ws_mqtt, n_pkts))
    if len(conns) != len(truth):
        fail("%s: %d connections shown, the plan has %d" % (name, len(conns), len(truth)))

    # Against the truth of the plan and of this capture's wire.
    truthful = 0
    for n, t in sorted(truth.items()):
        m = re.match(r"^hx-.*-(\d+)$", t.get("client_id", ""))
        c = plan.get(int(m.group(1))) if m else None
        if c is None or c["summary"] is None:
            fail("%s conn%d (%s): no verdict shown" % (name, n, t.get("client_id")))
            continue
        s = c["summary"]
        want = {"keepalive": t.get("keepalive"), "mqtt_version": t.get("mqtt_version"),
                "pings": t.get("wire_pingreq"), "unanswered": t.get("wire_pingreq_unanswered"),
                "transport": t.get("transport")}
        bad = len(FAILURES)
        for k, v in want.items():
            if v is not None and s.get(k) != v:
                fail("%s conn%d: %s %s, truth %s" % (name, n, k, s.get(k), v))
        if t.get("client_port") and (s.get("client") or "").rsplit(":", 1)[-1] != t["client_port"]:
            fail("%s conn%d: client %s, truth port %s" % (name, n, s.get("client"), t["client_port"]))
        pingresp = sum(v for (d, ty), v in c["packets"].items() if ty == "PINGRESP")
        if t.get("wire_pingresp") is not None and str(pingresp) != t["wire_pingresp"]:
            fail("%s conn%d: %d PINGRESPs, truth %s" % (name, n, pingresp, t["wire_pingresp"]))
        total = sum(c["packets"].values())
        if t.get("wire_mqtt_packets") is not None and str(total) != t["wire_mqtt_packets"]:
            fail("%s conn%d: %d MQTT packets, truth %s" % (name, n, total, t["wire_mqtt_packets"]))
        truthful += len(FAILURES) == bad
    stats["conns"] += truthful

    # Against the cleartext twin: the plugin on it, and the CLI on it.
    twin = facts.get("twin")
    if not twin or not os.path.exists(os.path.join(d, twin + ".pcap")):
        print("%s: %d of %d connections agree with their truth (no twin on disk)"
              % (name, truthful, len(truth)))
        return
    tpcap = os.path.join(d, twin + ".pcap")
    twin_conns, _, _ = plugin_view(tshark, tpcap, None)
    twin_plan = by_client_id(twin_conns, twin)
    cli_plan = by_client_id(cli_view(cli, tpcap), twin)
    agree = late = 0
    for i in sorted(set(plan) | set(twin_plan) | set(cli_plan)):
        a, b, c = plan.get(i), twin_plan.get(i), cli_plan.get(i)
        if a is None or b is None or c is None:
            fail("%s conn %d: in TLS %s, twin %s, CLI on twin %s"
                 % (name, i, a is not None, b is not None, c is not None))
            continue
        if b["summary"]["verdict"] != c["summary"]["verdict"]:
            fail("%s conn %d: the twin's verdict %s, the CLI's on it %s"
                 % (name, i, b["summary"]["verdict"], c["summary"]["verdict"]))
        ok = True
        broker_late = (a["summary"]["verdict"] == "server_closed" and
                       b["summary"]["verdict"] == "server_closed_keepalive" and
                       "server_keepalive_not_enforced" in a["findings"])
        for k in COMPARED:
            if k == "verdict" and broker_late:
                continue
            if a["summary"].get(k) != b["summary"].get(k):
                fail("%s conn %d: %s %s, twin %s" % (name, i, k, a["summary"].get(k),
                                                      b["summary"].get(k)))
                ok = False
        kinds = [set(x["findings"]) - TIMING_KINDS for x in (a, b, c)]
        if not (kinds[0] == kinds[1] == kinds[2]):
            fail("%s conn %d: finding kinds %s, twin %s, CLI on twin %s"
                 % (name, i, sorted(kinds[0]), sorted(kinds[1]), sorted(kinds[2])))
            ok = False
        agree += ok
        late += ok and broker_late
    stats["twins"] += agree
    stats["late"] += late
    print("%s: %d of %d connections agree with their truth, %d of %d with the twin %s%s"
          % (name, truthful, len(truth), agree, len(truth), twin,
             " (%d with the broker late here, on time there)" % late if late else ""))


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    tshark, tshark_without, cli, d = sys.argv[1:]
    names = sorted(os.path.splitext(f)[0] for f in os.listdir(d)
                   if f.endswith(".pcap") and os.path.exists(os.path.join(d, f[:-5] + ".keys")))
    if not names:
        fail("no TLS captures with key logs in %s" % d)
    stats = {"conns": 0, "twins": 0, "late": 0, "nonmqtt": 0, "nokeys": 0}
    for name in names:
        try:
            check_capture(tshark, tshark_without, cli, d, name, stats)
        except RuntimeError as e:
            fail(str(e))
    print("%d TLS captures: %d MQTT connections agree with their truth, %d with their cleartext "
          "twin (%d of them with the broker late in the TLS run); %d captures without MQTT get "
          "nothing from the plugin; %d captures without their key log show nothing"
          % (len(names), stats["conns"], stats["twins"], stats["late"], stats["nonmqtt"],
             stats["nokeys"]))
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
