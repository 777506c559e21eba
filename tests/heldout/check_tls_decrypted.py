#!/usr/bin/env python3
"""Issue 17, "with a key log": every held-out TLS capture (tests/heldout/tls/, make-tls.sh) read
with its key log (`--tls-keylog NAME.keys`) against the cleartext twin of the same scenario
(`twin=` in its .facts, `connN.twin_conn`), connection by connection (matched through the
.facts' client ports):

  the decrypted analysis against the wire truth of the .facts (tshark's own decryption with the
  key log): PINGREQ, PINGRESP, unanswered, first close (side and FIN/RST) and MQTT packets, on
  every MQTT connection;
  against the twin: the same verdict, PINGREQ / PINGRESP / unanswered counts, close initiator
  and mechanism, and the same findings (kind -> count, from the summaries; the rules between
  connections, mass_close and reconnect_storm, left out: they depend on the other connections'
  timing), on every MQTT connection whose twin did the same on the wire. The twins are separate
  runs of the same plan: in the frozen scenarios the freeze falls at another point of the ping
  cycle, so the ping counts differ on the wire, and mosquitto's wss listener closed a frozen
  client 17 s late where its cleartext twin was closed in time. Such pairs are counted and
  listed, not failed: "the same on the wire" is equal wire_* figures and client silences within
  1 s of each other (the first FIN's side not compared after a DISCONNECT: a race);
  every MQTT connection of every TLS capture (twin or not): decrypted, with the TLS version,
  cipher and SNI its .facts name, no tls_decrypt_failed, its MQTT version and keepalive as in
  the .facts;
  TLS without MQTT (nonmqtt-https, heartbeat): decrypted or not, no MQTT connection;
  the secrets: no secret of the key log appears in the text (-v) or JSON output, nor in the
  --write-flagged file (-w, live only, writes the captured packets as they were: ciphertext).


usage: check_tls_decrypted.py MQTTKA HELDOUT_DIR
"""
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_tls_inferred import facts  # noqa: E402  (the .facts reader both checks use)

CIPHERS = {"0x1301", "0x1302", "0x1303"}


def run(mqttka, pcap, keys=None, text=False, extra=()):
    args = [mqttka, "-r", pcap] + ([] if text else ["--json"]) + \
        (["--tls-keylog", keys] if keys else []) + list(extra)
    out = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if out.returncode not in (0, 1):
        raise SystemExit(f"{pcap}: mqttka exited {out.returncode}: {out.stderr.strip()}")
    return out.stdout + out.stderr


def summaries(output):
    by_port = {}
    for line in output.splitlines():
        if line.startswith("{"):
            o = json.loads(line)
            if o.get("type") == "connection":
                by_port[int(o["client"].rsplit(":", 1)[1])] = o
    return by_port


def compared(c):
    kinds = collections.Counter()
    for f in c["findings"]:
        if f["kind"] not in ("mass_close", "reconnect_storm"):
            kinds[f["kind"]] += 1
    return {"verdict": c["verdict"], "pingreq": c["pingreq"], "pingresp": c["pingresp"],
            "unanswered": c["pingreq_unanswered"],
            "close": (c["close"]["initiator"], c["close"]["mechanism"]),
            "findings": dict(sorted(kinds.items()))}


WIRE = ("wire_pingreq", "wire_pingresp", "wire_pingreq_unanswered", "wire_first_close",
        "wire_mqtt_packets")


def against_wire(s, c):
    """The differences between a summary and the .facts' wire truth."""
    close = "%s-%s" % (s["close"]["initiator"], s["close"]["mechanism"])
    packets = sum(sum(d.values()) for d in s["packets"].values())
    got = {"wire_pingreq": str(s["pingreq"]), "wire_pingresp": str(s["pingresp"]),
           "wire_pingreq_unanswered": str(s["pingreq_unanswered"]), "wire_mqtt_packets": str(packets)}
    diff = {k: (got[k], c.get(k)) for k in got if c.get(k) is not None and got[k] != c[k]}
    want_close = c.get("wire_first_close")
    # after a DISCONNECT the summary's close is the DISCONNECT (its sender), the wire's first
    # FIN/RST is then whoever closed TCP first: compared only for closes without one
    if want_close and s["close"]["mechanism"] in ("fin", "rst") and close != want_close:
        diff["wire_first_close"] = (close, want_close)
    return diff


def secrets(keys_path):
    out = []
    for line in open(keys_path, encoding="utf-8"):
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            out.append(parts[2].lower())
    return out


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    mqttka, heldout = sys.argv[1], sys.argv[2]
    tls_dir = os.path.join(heldout, "tls")
    fails = []
    twins_compared = twins_agree = conns_checked = wire_agree = 0
    twins_other_wire = []
    by_class = collections.Counter()
    agree_by_class = collections.Counter()
    for fpath in sorted(glob.glob(os.path.join(tls_dir, "*.facts"))):
        top, conns = facts(fpath)
        name = os.path.basename(fpath)[:-6]
        if top.get("tls") != "yes":
            continue
        pcap, keys = os.path.join(tls_dir, name + ".pcap"), os.path.join(tls_dir, top["keylog"])
        out = run(mqttka, pcap, keys)
        got = summaries(out)
        # the secrets: not in the JSON, the verbose text, nor the flagged-packets file
        with tempfile.TemporaryDirectory() as tmp:
            w = os.path.join(tmp, "flagged.pcapng")
            text = run(mqttka, pcap, keys, text=True, extra=["-v", "--write-flagged", w])
            blob = out.lower() + text.lower()
            if os.path.exists(w):
                blob += open(w, "rb").read().hex()
            for s in secrets(keys):
                if s in blob or s[:32] in blob:
                    fails.append(f"{name}: a secret of the key log appears in the output")
                    break
        mqtt_conns = {n: c for n, c in conns.items() if c.get("client_port") and c.get("keepalive")}
        if not mqtt_conns:
            if got:
                fails.append(f"{name}: {len(got)} MQTT connections in TLS that carries no MQTT")
            continue
        twin = top.get("twin", "")
        twin_facts = os.path.join(tls_dir, twin + ".facts")
        twin_got, twin_conns = {}, {}
        if twin and os.path.exists(twin_facts):
            twin_got = summaries(run(mqttka, os.path.join(tls_dir, twin + ".pcap")))
            twin_conns = facts(twin_facts)[1]
        for n, c in sorted(mqtt_conns.items(), key=lambda kv: int(kv[0][4:])):
            conns_checked += 1
            who = f"{name} {n} ({c.get('client')}, {c.get('transport')}, {c.get('tls_version')})"
            s = got.get(int(c["client_port"]))
            if not s:
                fails.append(f"{who}: no MQTT connection decrypted")
                continue
            t = s.get("tls") or {}
            want_version = c.get("tls_version", c.get("wire_tls_version", ""))
            # RFC 6066 §3: no IP literal as a server name (paho connects to 127.0.0.1: none sent)
            want_sni = c.get("sni") if c.get("sni") and not c["sni"].replace(".", "").isdigit() \
                else None
            if not t.get("decrypted") or t.get("version") != want_version or \
                    (c.get("tls_cipher_id") and t.get("cipher") != c["tls_cipher_id"]) or \
                    t.get("sni") != want_sni:
                fails.append(f"{who}: tls {t} (facts {want_version} {c.get('tls_cipher_id')} "
                             f"sni {c.get('sni')})")
            if "tls_decrypt_failed" in [f["kind"] for f in s["findings"]]:
                fails.append(f"{who}: tls_decrypt_failed")
            if str(s["keepalive"]) != c["keepalive"] or s["transport"] != c["transport"]:
                fails.append(f"{who}: keepalive {s['keepalive']} transport {s['transport']}")
            wd = against_wire(s, c)
            if wd:
                fails.append(f"{who}: differs from the wire truth (tshark): {wd}")
            else:
                wire_agree += 1
            tc = c.get("twin_conn", "").split()
            if len(tc) != 2 or tc[1] not in twin_conns:
                continue
            ts = twin_got.get(int(twin_conns[tc[1]]["client_port"]))
            cls = f"{top['class']} {want_version} {c.get('transport')}"
            by_class[cls] += 1
            twins_compared += 1
            if not ts:
                fails.append(f"{who}: its twin {tc} not reported on the cleartext capture")
                continue
            twin_c = twin_conns[tc[1]]
            disconnects = s["close"]["mechanism"] == ts["close"]["mechanism"] == "mqtt_disconnect"
            same_wire = all(c.get(k) == twin_c.get(k) for k in WIRE[:3]) and \
                (disconnects or c.get(WIRE[3]) == twin_c.get(WIRE[3])) and \
                abs(s["max_client_silence"] - ts["max_client_silence"]) < 1.0
            a, b = compared(s), compared(ts)
            if not same_wire:
                by_class[cls] -= 1
                twins_compared -= 1
                twins_other_wire.append(f"{who}: its twin's run differed on the wire "
                                        f"({ {k: (c.get(k), twin_c.get(k)) for k in WIRE[:4] if c.get(k) != twin_c.get(k)} }, "
                                        f"silence {s['max_client_silence']:.3f} / {ts['max_client_silence']:.3f} s); "
                                        f"mqttka: {'same' if a == b else {k: (a[k], b[k]) for k in a if a[k] != b[k]}}")
                continue
            if a == b:
                twins_agree += 1
                agree_by_class[cls] += 1
            else:
                diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
                fails.append(f"{who}: differs from its twin {tc[0]} {tc[1]}: {diff}")
    print("decrypted vs cleartext twin, by class, TLS version and transport:")
    for cls in sorted(by_class):
        print(f"  {cls:40s} {agree_by_class[cls]:3d}/{by_class[cls]:3d}")
    print(f"  all: {twins_agree}/{twins_compared} agree with their twin where the two runs did the "
          f"same on the wire; {len(twins_other_wire)} twins differed on the wire (listed)")
    print(f"decrypted vs the wire truth (tshark): {wire_agree}/{conns_checked} MQTT connections")
    for t in twins_other_wire:
        print("  note " + t)
    for f in fails:
        print("FAIL " + f)
    return 1 if fails or not twins_compared else 0


if __name__ == "__main__":
    sys.exit(main())
