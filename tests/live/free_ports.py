# free_ports.py N - prints N TCP ports free on 127.0.0.1 now, one per line,
# for the test's broker listeners. They are drawn at random from below the
# kernel's ephemeral range (ip_local_port_range), or above it when that
# starts too low: connect() never hands those out as a client's own port, so
# between this look and the broker's bind only another explicit bind can
# take one (start_broker then tries new ports), and once the broker holds
# it, "tcp port P" on loopback is this test's traffic alone.
import random
import socket
import sys

with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    low, high = (int(x) for x in f.read().split())
if low - 10000 >= 2000:
    pool = range(10000, low)
else:
    pool = range(high + 1, 65536)
ports = []
for port in random.sample(pool, min(len(pool), 200)):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    ports.append(port)
    if len(ports) == int(sys.argv[1]):
        break
for port in ports:
    print(port)
sys.exit(0 if len(ports) == int(sys.argv[1]) else 1)
