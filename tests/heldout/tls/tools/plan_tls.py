#!/usr/bin/python3
"""Plans and launches the MQTT connections of the held-out TLS captures (tests/heldout/make-tls.sh).

    plan_tls.py plan SCENARIO SEED MODE > PLAN.json     MODE: tls or clear
    plan_tls.py launch PLAN.json I LOG KEYLOG           exec connection I's client (inside the namespace)
    plan_tls.py get PLAN.json I FIELD                   print one field of connection I

Every random choice comes from random.Random("SCENARIO-sSEED"), the same for MODE tls and its
cleartext twin: the twin has the same clients, keepalives, durations, publishes and freezes, with
TLS off (port 1883 for 8883, 1882 for 8084).

Each capture has 12 connections, one per (transport, TLS version, cipher): mqtts on 8883 and
MQTT over WebSocket over TLS on 8084, TLS 1.2 (ECDHE-RSA with AES-128-GCM, AES-256-GCM,
ChaCha20-Poly1305) and TLS 1.3 (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
TLS_CHACHA20_POLY1305_SHA256). Clients rotate with the seed: paho python, MQTT.js and
mosquitto_sub/_pub on 8883; paho python and MQTT.js on 8084 (libmosquitto 2.0 has no
WebSocket client).
"""
import json, os, random, sys

CIPHERS = {  # key: (TLS 1.2 OpenSSL name, TLS 1.2 IANA name, TLS 1.3 suite)
    "aes128gcm": ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
    "aes256gcm": ("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
    "chacha20": ("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256"),
}
HOSTNAME = "broker.mqttka.test"   # resolved to 127.0.0.1 by the namespace's own /etc/hosts
SCENARIOS = ["healthy", "exit", "frozen-broker", "frozen-client"]


def plan(scenario, seed, mode):
    r = random.Random("%s-s%d" % (scenario, seed))
    name = "%s-%s-s%d" % (mode, scenario, seed)
    combos = [(tr, v, c) for tr in ("tcp", "websocket") for v in ("1.2", "1.3") for c in ("aes128gcm", "aes256gcm", "chacha20")]
    conns = []
    for k, (tr, v, ck) in enumerate(combos):
        i = k + 1
        if tr == "tcp":
            client = ["paho-python", "mqtt.js", "mosquitto"][(k + seed) % 3]
        else:
            client = ["paho-python", "mqtt.js"][(k + seed) % 2]
        if client == "mosquitto":
            client = "mosquitto_sub" if (k + seed) % 2 else "mosquitto_pub"
        mosq = client.startswith("mosquitto")
        by_ip = (k + seed) % 4 == 3          # connect to 127.0.0.1: no SNI (paho, MQTT.js), SNI "127.0.0.1" (libmosquitto)
        host = "127.0.0.1" if by_ip else HOSTNAME
        if mode == "clear":
            port = 1883 if tr == "tcp" else 1882
        else:
            port = 8883 if tr == "tcp" else 8084
        mver = "5.0" if (client == "mqtt.js" and k % 2 == 0) or (mosq and k % 4 == 1) else "3.1.1"
        c = {"i": i, "client": client, "transport": tr, "port": port, "host": host,
             "tls": "off" if mode == "clear" else v, "tls_planned": v, "cipher_key": ck,
             "cipher_openssl": (CIPHERS[ck][0] if v == "1.2" else CIPHERS[ck][2]),
             "client_id": "hx-%s-%d" % (name, i), "mqtt_version": mver,
             "topic": "hx/%s-s%d/%d" % (scenario, seed, i)}
        # keepalive: mosquitto_sub/_pub refuse one below 5
        lo_ka = 5 if mosq else 2
        if scenario == "healthy":
            ka = r.randint(lo_ka, 10)
            c.update(ka=ka, duration=round(r.uniform(2.3, 3.6) * ka, 2), end="disconnect")
            npub = r.randint(1, 3)
        elif scenario == "exit":
            ka = r.randint(lo_ka, 10)
            c.update(ka=ka, duration=round(r.uniform(0.5, 3.5 * ka), 2), end="exit")
            npub = r.randint(0, 2)
        elif scenario == "frozen-broker":
            ka = r.randint(lo_ka, 5 if not mosq else 6)
            c.update(ka=ka, duration=-1, end="hold")
            npub = 1
        else:
            ka = r.randint(lo_ka, 5 if not mosq else 6)
            c.update(ka=ka, duration=-1, end="hold", freeze_after=round(r.uniform(3, 8), 2))
            npub = 1
        span = c["duration"] if c["duration"] > 0 else 3.0
        pubs = sorted((round(r.uniform(0.2, max(0.3, span - 0.3)), 2), r.choice([12, 40, 150, 600]), r.choice([0, 1]))
                      for _ in range(npub))
        if scenario.startswith("frozen"):
            pubs = [(round(r.uniform(0.3, 2.0), 2), r.choice([12, 40, 150]), 1)]
        c["pubs"] = pubs
        conns.append(c)
    p = {"name": name, "scenario": scenario, "seed": seed, "mode": mode,
         "twin": "%s-%s-s%d" % ("clear" if mode == "tls" else "tls", scenario, seed), "conns": conns}
    if scenario == "frozen-broker":
        p["broker_freeze_after_last_connack_s"] = round(r.uniform(6, 9), 2)
    return p


def launch(planfile, i, logf, keylog):
    p = json.load(open(planfile))
    c = p["conns"][int(i) - 1]
    work, tools = os.environ["TLS_WORK"], os.environ["TLS_TOOLS"]
    env = dict(os.environ)
    ca = os.path.join(work, "ca.crt")
    tls = c["tls"]
    if tls == "1.3":
        env["OPENSSL_CONF"] = os.path.join(work, "openssl-%s.cnf" % c["cipher_openssl"])
    elif tls == "1.2":
        env["OPENSSL_CONF"] = os.path.join(work, "openssl-tls12.cnf")
    if c["client"] == "paho-python":
        argv = ["/usr/bin/python3", os.path.join(tools, "paho_tls_client.py"), "--log", logf,
                "--host", c["host"], "--port", str(c["port"]),
                "--transport", "tcp" if c["transport"] == "tcp" else "websockets",
                "--tls", tls, "--ka", str(c["ka"]), "--client-id", c["client_id"],
                "--duration", str(c["duration"]), "--end", c["end"], "--sub", c["topic"]]
        if tls != "off":
            argv += ["--cafile", ca, "--keylog", keylog]
            if tls == "1.2":
                argv += ["--ciphers", c["cipher_openssl"]]
        for at, size, qos in c["pubs"]:
            argv += ["--pub", "%s:%s:%d:%d" % (at, c["topic"], size, qos)]
    elif c["client"] == "mqtt.js":
        scheme = {"tcp": "mqtt", "websocket": "ws"}[c["transport"]] + ("s" if tls != "off" else "")
        url = "%s://%s:%d%s" % (scheme, c["host"], c["port"], "/mqtt" if c["transport"] == "websocket" else "")
        j = {"url": url, "protocolVersion": 5 if c["mqtt_version"] == "5.0" else 4, "keepalive": c["ka"],
             "clientId": c["client_id"], "duration": c["duration"], "end": c["end"], "sub": [c["topic"]],
             "pub": [{"at": at, "topic": c["topic"], "size": size, "qos": qos} for at, size, qos in c["pubs"]],
             "tls": tls, "log": logf}
        if tls != "off":
            j.update(ca=ca, keylog=keylog, ciphers=c["cipher_openssl"])
        env["NODE_PATH"] = os.path.join(work, "node_modules")
        argv = ["node", os.path.join(tools, "mqttjs_tls_client.js"), json.dumps(j)]
    else:
        kind = "sub" if c["client"] == "mosquitto_sub" else "pub"
        topic = "hx/%s-s%d/#" % (p["scenario"], p["seed"]) if kind == "sub" else c["topic"]
        argv = ["/usr/bin/python3", os.path.join(tools, "mosq_client.py"), "--kind", kind, "--log", logf,
                "--shim", os.path.join(work, "keylog_shim.so"), "--host", c["host"], "--port", str(c["port"]),
                "--tls", tls, "--ka", str(c["ka"]), "--client-id", c["client_id"],
                "--mqtt-version", "mqttv5" if c["mqtt_version"] == "5.0" else "mqttv311", "--topic", topic,
                "--duration", str(c["duration"]), "--end", c["end"]]
        if kind == "pub":
            argv += ["--qos", str(max([q for _, _, q in c["pubs"]] or [0]))]
            for at, size, qos in c["pubs"]:
                argv += ["--pub", "%s:%d" % (at, size)]
        if tls != "off":
            argv += ["--cafile", ca, "--keylog", keylog]
            if tls == "1.2":
                argv += ["--ciphers", c["cipher_openssl"]]
    os.execvpe(argv[0], argv, env)


if __name__ == "__main__":
    if sys.argv[1] == "plan":
        json.dump(plan(sys.argv[2], int(sys.argv[3]), sys.argv[4]), sys.stdout, indent=1)
        print()
    elif sys.argv[1] == "launch":
        launch(*sys.argv[2:6])
    elif sys.argv[1] == "get":
        print(json.load(open(sys.argv[2]))["conns"][int(sys.argv[3]) - 1][sys.argv[4]])
    elif sys.argv[1] == "list":
        print("\n".join(SCENARIOS))
