# free_ports.py N - prints N TCP ports free on 127.0.0.1 now (the kernel's
# choice), one per line, for the test's broker listeners.
import socket
import sys

socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
    s.close()
