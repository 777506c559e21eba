#!/usr/bin/python3
"""TLS that carries no MQTT, for the held-out TLS captures (tests/heldout/make-tls.sh).

    nonmqtt_tls.py server PORT CERT KEY LOG      HTTPS/1.1 server (http.server behind ssl, keep-alive)
    nonmqtt_tls.py poll URL CAFILE KEYLOG N INTERVAL TLS CIPHER CONNS
                                                 one keep-alive connection, GET URL N times, INTERVAL s apart
                                                 (Python ssl; TLS "1.2" with CIPHER, or "1.3")
    nonmqtt_tls.py curl CONNS KEYLOG CURL-ARGS... run curl (SSLKEYLOGFILE), log what it reports

Periodic small requests answered by small responses are the hard case for a keepalive inferred
from record sizes. Each client appends one line per TCP connection to CONNS, "key=value ..."
(client, client_port, server_port, tls_version, tls_cipher, sni, requests, interval_s), from
what the client itself reports (Python's SSLSocket, curl's -v lines and -w %{local_port}).
"""
import http.client, http.server, os, re, socketserver, ssl, subprocess, sys, time

IANA = {"ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}


def conn_line(_conns, **kv):
    with open(_conns, "a") as f:
        f.write(" ".join("%s=%s" % (k, v) for k, v in kv.items()) + "\n")


def server(port, cert, key, logf):
    out = open(logf, "a", buffering=1)

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = {"/ping": b"pong\n", "/status": b'{"ok":true}\n'}.get(self.path.split("?")[0], b"<html>hello</html>\n")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            out.write("%.6f GET %s from port %d\n" % (time.time(), self.path, self.client_address[1]))

        def log_message(self, *a):
            pass

    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd = S(("0.0.0.0", port), H)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.serve_forever()


def poll(url, cafile, keylog, n, interval, tls, cipher, conns):
    m = re.match(r"https://([^:/]+):(\d+)(/.*)", url)
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.keylog_filename = keylog
    if tls == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(cipher)
    c = http.client.HTTPSConnection(host, port, context=ctx)
    c.connect()
    s = c.sock
    for k in range(int(n)):
        if k:
            time.sleep(float(interval))
        c.request("GET", path)
        r = c.getresponse()
        r.read()
    name = s.cipher()[0]
    conn_line(conns, client="python-http.client", client_port=s.getsockname()[1], server_port=port, tls_version=s.version(),
              tls_cipher=IANA.get(name, name), sni=s.server_hostname or "", requests=n, interval_s=interval, path=path)
    c.close()


def curl(conns, keylog, args):
    env = dict(os.environ, SSLKEYLOGFILE=keylog)
    p = subprocess.run(["curl", "-sS", "-v", "-o", "/dev/null", "-w", "CURL_DONE local_port=%{local_port} remote_port=%{remote_port} code=%{http_code}\\n"] + args,
                       capture_output=True, text=True, env=env)
    err, outp = p.stderr, p.stdout
    tls = re.findall(r"SSL connection using (\S+) / (\S+)", err)
    sni = re.findall(r"\* Connected to (\S+)", err)
    done = re.findall(r"CURL_DONE local_port=(\d+) remote_port=(\d+) code=(\d+)", outp)
    per = {}
    for lp, rp, code in done:
        per.setdefault((lp, rp), 0)
        per[(lp, rp)] += 1
    i = 0
    for (lp, rp), nreq in per.items():
        ver, name = tls[min(i, len(tls) - 1)] if tls else ("", "")
        host = sni[min(i, len(sni) - 1)] if sni else ""
        conn_line(conns, client="curl", client_port=lp, server_port=rp, tls_version=ver, tls_cipher=IANA.get(name, name),
                  sni="" if re.match(r"^[0-9.]+$", host) else host, requests=nreq, interval_s="", rate=args[args.index("--rate") + 1] if "--rate" in args else "")
        i += 1
    sys.stdout.write(err)
    return p.returncode


if __name__ == "__main__":
    w = sys.argv[1]
    if w == "server":
        server(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    elif w == "poll":
        poll(*sys.argv[2:10])
    elif w == "curl":
        sys.exit(curl(sys.argv[2], sys.argv[3], sys.argv[4:]))
