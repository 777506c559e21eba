#!/usr/bin/python3
"""tshark checks of the held-out TLS captures (tests/heldout/make-tls.sh writes tls/CHECKS.txt).

    check_tls.py DIR          every DIR/*.pcap with its .keys and .facts

For each capture, with tshark 4.0 and the capture's key log:
  mqtt_frames      frames tshark's MQTT dissector decodes: `tshark -r X -o tls.keylog_file:X.keys -Y mqtt`
                   (port 8883 is MQTT over TLS for tshark; 1883 is MQTT)
  mqtt_nokeys      the same without the key log (0 expected on TLS)
  ws_frames        WebSocket frames (`-d tcp.port==8084,tls`, `-d tcp.port==1882,http`, `-Y websocket`)
  ws_as_mqtt       of those, frames where tshark also shows MQTT (tshark 4.0: 0, it shows the
                   payload as "Data")
  http_frames      HTTP requests/responses decoded (HTTPS decrypted; the Upgrade on 8084)
  tls13_keyupdate  TLS 1.3 KeyUpdate messages tshark decrypted (tls.handshake.type == 24)
  heartbeat        TLS heartbeat records (tls.record.content_type == 24)
  decrypted        connections (with a TLS handshake) where tshark decrypted and decoded what the
                   truth says they carry (MQTT packets for MQTT captures, HTTP for HTTPS), / all
  facts_match      connections whose wire PINGREQ count and handshake version/suite in the .facts
                   agree with this decode
It exits 1 if a capture with a key log decodes nothing.
"""
import glob, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire_tls  # noqa: E402


def tshark_count(pcap, keys, filt, extra=()):
    cmd = wire_tls.tshark_cmd(pcap, keys, list(extra) + ["-Y", filt, "-T", "fields", "-e", "frame.number"])
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    return len([l for l in out.splitlines() if l.strip()])


def facts_of(path):
    kv = {}
    for l in open(path):
        l = l.rstrip("\n")
        if l and not l.startswith("#") and "=" in l:
            k, v = l.split("=", 1)
            kv[k] = v
    return kv


def main():
    d = sys.argv[1]
    rows, bad = [], 0
    hdr = ("capture", "conns", "tls", "mqtt_frames", "mqtt_nokeys", "ws_frames", "ws_as_mqtt", "http_frames",
           "tls13_keyupdate", "heartbeat", "decrypted", "facts_match")
    for pcap in sorted(glob.glob(os.path.join(d, "*.pcap"))):
        base = pcap[:-5]
        keys = base + ".keys" if os.path.exists(base + ".keys") else None
        kv = facts_of(base + ".facts") if os.path.exists(base + ".facts") else {}
        mqtt = tshark_count(pcap, keys, "mqtt")
        mqtt0 = tshark_count(pcap, None, "mqtt") if keys else mqtt
        ws = tshark_count(pcap, keys, "websocket")
        wsm = tshark_count(pcap, keys, "websocket && mqtt")
        http = tshark_count(pcap, keys, "http.request || http.response")
        ku = tshark_count(pcap, keys, "tls.handshake.type == 24")
        hb = tshark_count(pcap, keys, "tls.record.content_type == 24")
        streams = wire_tls.decode(pcap, keys)
        tls_streams = [s for s in streams.values() if s.version]
        is_mqtt = kv.get("mqtt", "yes") != "no"
        if is_mqtt:
            ok = [s for s in tls_streams if s.packets]
        else:
            ok = [s for s in tls_streams if tshark_count(pcap, keys, "tcp.stream == %d && (http || mqtt || data)" % s.sid) > 0]
        n = int(kv.get("connections", "0") or 0)
        match = 0
        by_port = {s.client[1]: s for s in streams.values()}
        for i in range(1, n + 1):
            p = "conn%d." % i
            port = kv.get(p + "client_port")
            st = by_port.get(int(port)) if port and port.isdigit() else None
            if st is None:
                continue
            w = wire_tls.summary(st)
            good = True
            if p + "wire_pingreq" in kv:
                good &= str(w["pingreq"]) == kv[p + "wire_pingreq"]
            if kv.get(p + "tls_version"):
                good &= w["version"] == kv[p + "tls_version"] and w["cipher"] == kv.get(p + "tls_cipher")
            match += good
        tls_kind = ",".join(sorted({s.version for s in tls_streams})) or "-"
        if keys and tls_streams and not ok:
            bad += 1
        rows.append((os.path.basename(pcap), str(n), tls_kind, str(mqtt), str(mqtt0), str(ws), str(wsm), str(http),
                     str(ku), str(hb), "%d/%d" % (len(ok), len(tls_streams)) if tls_streams else "-", "%d/%d" % (match, n)))
    w = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
    print("tshark %s; `-o tls.keylog_file:X.keys -d tcp.port==8084,tls -d tcp.port==1882,http`" % (
        subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0].split()[1]))
    for r in [hdr] + rows:
        print("  ".join(x.ljust(w[i]) for i, x in enumerate(r)).rstrip())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
