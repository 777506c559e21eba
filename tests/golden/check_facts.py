#!/usr/bin/env python3
"""Checks mqttka's JSON Lines output for one sample against what the
scenario that made the sample did (samples/NAME.facts, written by
samples/capture.sh from the scenario and the client libraries' own logs).

Also validates every output line against the schema the README and
mqttka.1 promise: required members, their types and allowed values.

usage: check_facts.py MQTTKA SAMPLE.pcap SAMPLE.facts
Exit 0 when everything holds; 1 with one line per mismatch otherwise.
"""
import json
import subprocess
import sys

SEVERITIES = {"info", "warn", "error"}
VERDICTS = {"open", "mqtt_disconnect", "server_closed_keepalive",
            "client_closed_missing_pingresp",
            "ws_close", "intermediary_idle_close", "client_closed", "server_closed",
            "reset", "session_taken_over", "connect_refused"}
MECHANISMS = {"mqtt_disconnect", "ws_close", "fin", "rst", None}
PACKET_NAMES = {"CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
                "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP",
                "DISCONNECT", "AUTH"}
NOT_ANALYSED = {"no_payload", "no_mqtt", "unproven", "tls", "http", "websocket", "close_only",
                "resource_limit"}
CLOSE_HOW = {"disconnect": "mqtt_disconnect", "fin": "fin", "rst": "rst",
             "ws_close": "ws_close"}

errors = []


def fail(msg):
    errors.append(msg)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_type(obj, key, pred, what, where):
    if key not in obj:
        fail(f"{where}: member '{key}' missing")
        return
    if not pred(obj[key]):
        fail(f"{where}: member '{key}' = {obj[key]!r} is not {what}")


def validate_connection(c, where):
    endpoint = lambda v: isinstance(v, str) and v.count(":") >= 1 and v.rsplit(":", 1)[1].isdigit()
    check_type(c, "client", endpoint, "IP:PORT", where)
    check_type(c, "server", endpoint, "IP:PORT", where)
    check_type(c, "transport", lambda v: v in ("websocket", "tcp"), "websocket|tcp", where)
    check_type(c, "ws_subprotocol", lambda v: v is None or isinstance(v, str), "str|null", where)
    check_type(c, "mqtt_version", lambda v: v in ("3.1", "3.1.1", "5.0", None), "a version", where)
    check_type(c, "start_seen", lambda v: isinstance(v, bool), "a boolean", where)
    check_type(c, "one_sided", lambda v: v in (None, "server_missing", "client_missing"),
               "null, server_missing or client_missing", where)
    for k in ("keepalive", "server_keepalive", "effective_keepalive", "keepalive_inferred"):
        check_type(c, k, lambda v: v is None or is_int(v), "int|null", where)
    check_type(c, "start", is_num, "a number", where)
    check_type(c, "end", is_num, "a number", where)
    check_type(c, "packets", lambda v: isinstance(v, dict) and set(v) == {"c2s", "s2c"},
               "{c2s,s2c}", where)
    for d in ("c2s", "s2c"):
        for name, n in c.get("packets", {}).get(d, {}).items():
            if name not in PACKET_NAMES or not is_int(n):
                fail(f"{where}: packets.{d}.{name} = {n!r}")
    for k in ("pingreq", "pingresp", "pingreq_unanswered"):
        check_type(c, k, is_int, "int", where)
    check_type(c, "rtt_s", lambda v: v is None or (isinstance(v, dict) and all(
        is_num(v.get(x)) for x in ("min", "median", "p95", "max"))), "rtt object|null", where)
    check_type(c, "max_client_silence", lambda v: v is None or is_num(v), "float|null", where)
    check_type(c, "close", lambda v: isinstance(v, dict), "an object", where)
    close = c.get("close", {})
    check_type(close, "initiator", lambda v: v in ("client", "server", None), "side|null",
               where + " close")
    check_type(close, "mechanism", lambda v: v in MECHANISMS, "a mechanism", where + " close")
    check_type(close, "ws_close_code", lambda v: v is None or is_int(v), "int|null",
               where + " close")
    check_type(close, "ts", lambda v: v is None or is_num(v), "float|null", where + " close")
    check_type(c, "verdict", lambda v: v in VERDICTS, "a verdict", where)
    check_type(c, "taken_over_by", lambda v: v is None or (is_int(v) and v >= 1),
               "a connection number|null", where)
    check_type(c, "connack_code", lambda v: v is None or (is_int(v) and 0 <= v <= 255),
               "int 0-255|null", where)
    check_type(c, "findings", lambda v: isinstance(v, list), "a list", where)
    for i, f in enumerate(c.get("findings", [])):
        validate_finding(f, f"{where} findings[{i}]")


def validate_finding(f, where):
    check_type(f, "kind", lambda v: isinstance(v, str) and v, "a kind", where)
    check_type(f, "severity", lambda v: v in SEVERITIES, "a severity", where)
    check_type(f, "ts", is_num, "a number", where)
    check_type(f, "frame", lambda v: is_int(v) and v >= 1, "a frame number", where)


def decode_connect_hex(h):
    """An independent reading of the CONNECT bytes the scenario recorded."""
    b = bytes.fromhex(h)
    assert b[0] == 0x10
    name_len = b[2] << 8 | b[3]
    name = b[4:4 + name_len].decode()
    level, flags = b[4 + name_len], b[5 + name_len]
    ka = b[6 + name_len] << 8 | b[7 + name_len]
    id_len = b[8 + name_len] << 8 | b[9 + name_len]
    cid = b[10 + name_len:10 + name_len + id_len].decode()
    return {"protocol_name": name, "level": level, "flags": flags, "keepalive": ka,
            "client_id": cid, "remaining_length": b[1]}


def load_facts(path):
    facts = {}
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            facts[k] = v
    return facts


def split_connections(facts):
    """Returns (global facts, [per-connection facts])."""
    per = {}
    glob = {}
    for k, v in facts.items():
        if k.startswith("conn") and "." in k and k[4:k.index(".")].isdigit():
            n = int(k[4:k.index(".")])
            per.setdefault(n, {})[k[k.index(".") + 1:]] = v
        else:
            glob[k] = v
    if not per:
        return glob, [glob]
    conns = []
    for n in sorted(per):
        merged = dict(glob)
        merged.update(per[n])
        merged["_name"] = f"conn{n}"
        conns.append(merged)
    return glob, conns


def main():
    mqttka, pcap, facts_path = sys.argv[1:4]
    run = subprocess.run([mqttka, "--json", "-r", pcap], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"mqttka exited {run.returncode}: {run.stderr.strip()}")
        return 1
    lines = []
    for i, line in enumerate(run.stdout.splitlines(), 1):
        try:
            lines.append(json.loads(line))
        except ValueError as e:
            fail(f"line {i} is not JSON: {e}")
    conns = [o for o in lines if o.get("type") == "connection"]
    for i, c in enumerate(conns):
        validate_connection(c, f"connection {i + 1}")
    for i, o in enumerate(lines):
        if o.get("type") == "finding":
            validate_finding(o, f"finding event line {i + 1}")
    connects = {o.get("conn"): o for o in lines
                if o.get("type") == "mqtt" and o.get("packet") == "CONNECT"}
    captures = [o for o in lines if o.get("type") == "capture"]
    if len(captures) != 1:
        fail(f"{len(captures)} capture objects, not one")
    else:
        cap = captures[0]
        for k in ("tcp_connections", "mqtt_connections"):
            check_type(cap, k, is_int, "an integer", "capture")
        na = cap.get("not_analysed")
        if not isinstance(na, dict) or set(na) != NOT_ANALYSED or \
                not all(is_int(v) for v in na.values()):
            fail(f"capture: not_analysed {na!r} is not a count for each of {sorted(NOT_ANALYSED)}")
        elif is_int(cap.get("tcp_connections")) and is_int(cap.get("mqtt_connections")):
            # Every TCP connection is accounted for: analysed, or why not.
            if cap["mqtt_connections"] + sum(na.values()) != cap["tcp_connections"]:
                fail(f"capture: {cap['mqtt_connections']} MQTT + {sum(na.values())} not analysed"
                     f" != {cap['tcp_connections']} TCP connections")
            if cap["mqtt_connections"] != len(conns):
                fail(f"capture: mqtt_connections {cap['mqtt_connections']}, "
                     f"{len(conns)} connection summaries")

    glob, expected = split_connections(load_facts(facts_path))
    if glob.get("mqtt") == "no":
        # Traffic that is not MQTT: mqttka must stay silent about it.
        # (The fleet summary closes every run; here it counts no connection.)
        about = [o for o in lines if o.get("type") != "capture"
                 and not (o.get("type") == "fleet" and o.get("connections") == 0)]
        if about:
            fail(f"{len(about)} events about traffic that carries no MQTT")
        for e in errors:
            print(e)
        print(f"{pcap}: not MQTT, {'ok' if not errors else 'reported anyway'}")
        return 1 if errors else 0
    if "connections" in glob and int(glob["connections"]) != len(conns):
        fail(f"{len(conns)} connections, the scenario made {glob['connections']}")

    # The connection each of the scenario's is, by client port (for
    # taken_over_by, which names another connection).
    number_of = {}
    for exp in expected:
        found = [c for c in conns if exp.get("client_port") is not None
                 and c["client"].rsplit(":", 1)[1] == exp["client_port"]]
        if len(found) == 1 and "_name" in exp:
            number_of[exp["_name"]] = found[0]["conn"]
    if "mass_closes" in glob:
        masses = [f for c in conns for f in c["findings"] if f["kind"] == "mass_close"]
        if len(masses) != int(glob["mass_closes"]):
            fail(f"{len(masses)} mass_close findings, the scenario made {glob['mass_closes']}")
    if "storms" in glob:
        storms = [f for c in conns for f in c["findings"] if f["kind"] == "reconnect_storm"]
        if len(storms) != int(glob["storms"]):
            fail(f"{len(storms)} reconnect_storm findings, the scenario made {glob['storms']} "
                 "storms")

    for exp in expected:
        port = exp.get("client_port")
        if port is not None:
            match = [c for c in conns if c["client"].rsplit(":", 1)[1] == port]
        else:
            match = conns if len(conns) == 1 else []
        if len(match) != 1:
            fail(f"no single connection from client port {port}")
            continue
        c = match[0]
        who = f"connection {c['client']}"

        def same(key, actual, expected_value):
            if actual != expected_value:
                fail(f"{who}: {key} is {actual!r}, the scenario says {expected_value!r}")

        if "transport" in exp:
            same("transport", c["transport"], exp["transport"])
        if "client_addr" in exp:
            same("client address", c["client"].rsplit(":", 1)[0].strip("[]"), exp["client_addr"])
        if "mqtt_version" in exp:
            same("mqtt_version", c["mqtt_version"], exp["mqtt_version"])
        if "keepalive" in exp:
            same("keepalive", c["keepalive"], int(exp["keepalive"]))
        if "server_keepalive" in exp:
            same("server_keepalive", c["server_keepalive"], int(exp["server_keepalive"]))
            same("effective_keepalive", c["effective_keepalive"], int(exp["server_keepalive"]))
        elif "keepalive" in exp and exp.get("connack_code", "0") not in ("0", "none",
                                                                            "not_received"):
            # refused: no keepalive in force
            same("effective_keepalive", c["effective_keepalive"], None)
        elif "keepalive" in exp:
            same("effective_keepalive", c["effective_keepalive"], int(exp["keepalive"]))
        if "connack_code" in exp:
            code = exp["connack_code"]
            same("connack_code", c["connack_code"],
                 None if code in ("none", "not_received") else int(code))
        if "expected_verdict" in exp and exp.get("connack_code") is not None:
            taker = exp.get("taken_over_by")
            same("taken_over_by", c["taken_over_by"],
                 number_of.get(taker, taker) if taker else None)
        if "expected_findings" in exp or "connack_code" in exp:
            want = {k for k in exp.get("expected_findings", "").split(",") if k}
            kinds = {f["kind"] for f in c["findings"]}
            for k in want - kinds:
                fail(f"{who}: no {k} finding, the scenario expects one")
            if "connack_missing" in kinds and "connack_missing" not in want:
                fail(f"{who}: a connack_missing finding the scenario does not expect")
        if "client_pingreq_sent" in exp:
            same("pingreq", c["pingreq"], int(exp["client_pingreq_sent"]))
        if "client_pingresp_received" in exp:
            same("pingresp", c["pingresp"], int(exp["client_pingresp_received"]))
        if "client_pingreq_sent" in exp and "client_pingresp_received" in exp:
            same("pingreq_unanswered", c["pingreq_unanswered"],
                 int(exp["client_pingreq_sent"]) - int(exp["client_pingresp_received"]))
            unanswered = [f for f in c["findings"] if f["kind"] == "pingreq_unanswered"
                          and f["severity"] == "error"]
            same("pingreq_unanswered error findings", len(unanswered),
                 int(exp["client_pingreq_sent"]) - int(exp["client_pingresp_received"]))
        if "closed_by" in exp:
            same("close.initiator", c["close"]["initiator"], exp["closed_by"])
        if "close_how" in exp:
            same("close.mechanism", c["close"]["mechanism"], CLOSE_HOW[exp["close_how"]])
        if "ws_close_code" in exp:
            same("close.ws_close_code", c["close"]["ws_close_code"], int(exp["ws_close_code"]))
        if "expected_verdict" in exp:
            same("verdict", c["verdict"], exp["expected_verdict"])
        if "ws_extensions" in exp:
            # the summary holds at most 63 bytes of it (mqttka.h)
            same("ws_extensions", c.get("ws_extensions"), exp["ws_extensions"][:63] or None)
        # Packets by type as the client library logged them (every type it
        # names; MQTT.js names no CONNECT): sent are C>S, received S>C.
        for key, direction in (("client_packets_sent", "c2s"),
                               ("client_packets_received", "s2c")):
            for item in filter(None, exp.get(key, "").split(",")):
                name, count = item.split(":")
                same(f"packets.{direction}.{name.upper()}",
                     c["packets"][direction].get(name.upper(), 0), int(count))
        connect = connects.get(c.get("conn"), {}).get("connect")
        if "client_id" in exp:
            same("CONNECT client_id", connect and connect.get("client_id"), exp["client_id"])
        if "connect_hex" in exp and connect:
            want = decode_connect_hex(exp["connect_hex"])
            for k in ("protocol_name", "level", "flags", "keepalive", "client_id"):
                same(f"CONNECT {k}", connect.get(k), want[k])
            same("CONNECT remaining_length",
                 connects[c.get("conn")].get("remaining_length"), want["remaining_length"])
    for e in errors:
        print(e)
    print(f"{pcap}: {len(conns)} connections, {len(lines)} lines, "
          f"{'ok' if not errors else str(len(errors)) + ' mismatches'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
