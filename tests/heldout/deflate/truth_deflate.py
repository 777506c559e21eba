#!/usr/bin/python3
"""Write the .facts of one permessage-deflate held-out capture (make-deflate.sh).

    truth_deflate.py CAPTURE.pcap CLASS SEED AEDES_LOG DESCRIPTION CLIENT_LOG...

Everything comes from the programs' own logs: MQTT.js's packetsend/packetreceive events (SEND/RECV
lines of tools/mqttjs_client.js), its LOCAL_PORT and WS_EXTENSIONS lines, the script's own
CONF and KILLED lines (CLIENT_LOG.conf), and aedes's log (aedes_deflate.mjs: PINGREQs
received, extensions accepted). The close mechanism of a close the client did not choose (a
ping timeout, a killed process) is the first of the client's WebSocket Close, FIN or RST on the
wire, read with tshark (as tools/annotate.py does for wire_first_close), and wire_ws_extensions the 101's\nSec-WebSocket-Extensions (tshark). Never from mqttka.
"""
import collections, re, subprocess, sys

cap, cls, seed, alog, desc = sys.argv[1:6]
clogs = sys.argv[6:]
broker = open(alog).read().splitlines()


def broker_lines(kind, port):
    return [l for l in broker if (" %s port=%s " % (kind, port)) in l + " "]


def wire_first_close(port):
    """'client-ws_close', 'client-fin', 'server-rst'... : the first Close frame, FIN or RST of that connection."""
    out = subprocess.run(["tshark", "-r", cap, "-d", "tcp.port==1882,http", "-Y",
                          "tcp.port == %s && (tcp.flags.fin == 1 || tcp.flags.reset == 1 || websocket.opcode == 8)" % port,
                          "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.flags.fin", "-e", "tcp.flags.reset",
                          "-e", "websocket.opcode"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = (line.split("\t") + ["", "", "", ""])[:4]
        side = "client" if f[0] == str(port) else "server"
        if "8" in f[3].split(","):
            return side + "-ws_close"
        if f[2] in ("1", "True"):
            return side + "-rst"
        if f[1] in ("1", "True"):
            return side + "-fin"
    return ""


def wire_extensions(port):
    """The Sec-WebSocket-Extensions of the 101 to that client port (tshark): ws's `extensions` names only the extension."""
    out = subprocess.run(["tshark", "-r", cap, "-d", "tcp.port==1882,http", "-Y", "http.response.code == 101 && tcp.dstport == %s" % port,
                          "-T", "fields", "-e", "http.response.line"], capture_output=True, text=True).stdout
    m = re.search(r"Sec-WebSocket-Extensions: ([^\\\r\n,]*)", out, re.I)
    return m.group(1).strip() if m else ""


def counts(lines, word):
    c = collections.Counter(l.split()[2] for l in lines if len(l.split()) >= 3 and l.split()[1] == word)
    return c


out = ["# %s: written by tests/heldout/deflate/make-deflate.sh from the MQTT.js clients' and aedes's own logs" % cap.rsplit("/", 1)[-1]]
out += ["# " + d for d in desc.split("\n")]
out += ["class=" + cls, "seed=" + seed, "connections=%d" % len(clogs), "compression=permessage-deflate",
        "context_takeover=" + ("no" if "no-takeover" in cls else "yes")]
for i, path in enumerate(clogs, 1):
    L = open(path).read().splitlines()
    p = "conn%d." % i
    port = next(re.search(r"LOCAL_PORT (\d+)", l).group(1) for l in L if "LOCAL_PORT" in l)
    C = open(path + ".conf").read().splitlines()   # the script's own lines: CONF key=value, KILLED
    conf = {}
    for l in C:
        m = re.search(r" CONF (\w+)=(\S*)", l)
        if m:
            conf[m.group(1)] = m.group(2)
    sent, recv = counts(L, "SEND"), counts(L, "RECV")
    sent["connect"] += 1   # MQTT.js 5 emits no packetsend for its CONNECT; its CONNACK (RECV connack) proves it went out
    pk = lambda c: ",".join("%s:%d" % (k.upper(), n) for k, n in sorted(c.items()))
    req, resp = sent["pingreq"], recv["pingresp"]
    b_req = len(broker_lines("pingreq", port))
    ext = next((l.split(" WS_EXTENSIONS ", 1)[1] for l in L if " WS_EXTENSIONS " in l), "")
    b_ext = next((l.split("extensions=", 1)[1] for l in broker_lines("ws_connection", port)), "")
    out += [p + "client=mqtt.js", p + "transport=websocket", p + "server_port=1882", p + "mqtt_version=3.1.1",
            p + "keepalive=" + conf["keepalive"], p + "client_id=" + conf["client_id"], p + "client_addr=127.0.0.1",
            p + "client_port=" + port, p + "ws_extensions=" + ext, p + "broker_ws_extensions=" + b_ext,
            p + "client_packets_sent=" + pk(sent), p + "client_packets_received=" + pk(recv),
            p + "client_pingreq_sent=%d" % req, p + "client_pingresp_received=%d" % resp,
            p + "broker_pingreq_received=%d" % b_req]
    end = conf["end"]
    first = wire_first_close(port)
    out.append(p + "wire_first_close=" + first)
    out.append(p + "wire_ws_extensions=" + wire_extensions(port))
    notes = []
    if end == "disconnect":
        cause, how, verdict = "disconnect", "disconnect", "mqtt_disconnect"
        if resp != b_req or req != b_req:
            notes.append("pings: client sent %d, broker received %d, client received %d PINGRESPs" % (req, b_req, resp))
    elif end == "frozen":
        cause, verdict = "ping_timeout_broker_frozen", "client_closed_missing_pingresp"
        how = first.split("-", 1)[1] if first.startswith("client-") else "unknown"
        close_line = next((l.split(" ", 1)[1] for l in L if " ERROR " in l), "")
        out.append(p + "client_log_close=" + close_line)
        t_req = [float(l.split()[0]) for l in L if l.endswith(" SEND pingreq")]
        t_close = next((float(l.split()[0]) for l in L if l.endswith(" CLOSE")), None)
        if t_req and t_close:
            out.append(p + "last_pingreq_to_close_s=%.3f" % (t_close - t_req[-1]))
        if b_req != resp or req != resp + 1:
            notes.append("not the design: client sent %d PINGREQs, broker received %d, client got %d PINGRESPs" % (req, b_req, resp))
    elif end == "killed":
        cause = "process_exit"
        how = first.split("-", 1)[1] if first.startswith("client-") else "unknown"
        verdict = {"fin": "client_closed", "rst": "reset"}.get(how, "unknown")
        t_ack = next(float(l.split()[0]) for l in L if " RECV connack" in l)
        t_kill = next(float(l.split()[0]) for l in C if " KILLED" in l)
        out.append(p + "killed_after_connack_s=%.3f" % (t_kill - t_ack))
        if b_req != req or resp != b_req:   # a PINGREQ or its PINGRESP in flight when the process died
            notes.append("in flight at the kill: client sent %d PINGREQs, broker received %d, client read %d PINGRESPs" % (req, b_req, resp))
    else:
        raise SystemExit("unknown end " + end)
    out += [p + "true_cause=" + cause, p + "closed_by=client", p + "close_how=" + how, p + "expected_verdict=" + verdict,
            p + "verdicts_consistent=" + verdict]
    if end != "disconnect" and first and not first.startswith("client-"):   # after a DISCONNECT either side may close first
        notes.append("the server closed first on the wire (%s)" % first)
    if notes:
        out.append(p + "exclude=" + "; ".join(notes))
open(cap[:-5] + ".facts", "w").write("\n".join(out) + "\n")
