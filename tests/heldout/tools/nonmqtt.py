"""Non-MQTT binary traffic for the held-out false-positive captures (make-verdicts.sh).

  tls PORT CERT KEY SEED LOG    a TLS 1.3 server (python ssl) and a client exchanging
                                seeded random binary messages: bursts, and small messages
                                at a steady cadence (what a keepalive looks like)
  random PORT SEED LOG          a client sending seeded random binary chunks (1..1400 bytes,
                                many of 2 bytes) to an echo server (socat) and reading the echo
Each client logs "<epoch> LOCAL_PORT n" and what it sent. Run with /usr/bin/python3.
"""
import random, socket, ssl, sys, threading, time

def logger(path):
    out = open(path, "a", buffering=1)
    return lambda m: out.write("%.6f %s\n" % (time.time(), m))

def chunks(rng, n):
    for _ in range(n):
        kind = rng.random()
        if kind < 0.35:
            size = 2
        elif kind < 0.7:
            size = rng.randint(3, 40)
        else:
            size = rng.randint(41, 1400)
        yield bytes(rng.getrandbits(8) for _ in range(size)), rng.choice([0.0, 0.05, 0.3, 0.6])

def recv_exact(s, n):
    got = b""
    while len(got) < n:
        d = s.recv(n - len(got))
        if not d:
            break
        got += d
    return got

def tls(port, cert, key, seed, logpath):
    log = logger(logpath)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert, key)
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port)); ls.listen(4)
    def serve():
        conn, _ = ls.accept()
        with sctx.wrap_socket(conn, server_side=True) as t:
            while True:
                d = t.recv(4096)
                if not d:
                    break
                t.sendall(d)
    th = threading.Thread(target=serve, daemon=True); th.start()
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); cctx.check_hostname = False; cctx.verify_mode = ssl.CERT_NONE
    rng = random.Random(seed)
    raw = socket.create_connection(("127.0.0.1", port))
    log("LOCAL_PORT %d" % raw.getsockname()[1])
    with cctx.wrap_socket(raw) as t:
        log("TLS %s %s" % (t.version(), t.cipher()[0]))
        for data, pause in chunks(rng, 40):
            t.sendall(data); recv_exact(t, len(data)); time.sleep(pause)
        for _ in range(6):          # a steady cadence of small records
            t.sendall(b"\x00\x01"); recv_exact(t, 2); time.sleep(0.5)
        log("CLOSE")
    th.join(3)

def rand(port, seed, logpath):
    log = logger(logpath)
    rng = random.Random(seed)
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    log("LOCAL_PORT %d" % s.getsockname()[1])
    n = 0
    for data, pause in chunks(rng, 60):
        s.sendall(data); recv_exact(s, len(data)); n += len(data); time.sleep(pause)
    log("SENT %d bytes; CLOSE" % n)
    s.close()

if __name__ == "__main__":
    m = sys.argv[1]
    if m == "tls":
        tls(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    elif m == "random":
        rand(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("usage: nonmqtt.py tls|random ...")
