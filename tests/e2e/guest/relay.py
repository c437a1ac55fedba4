#!/usr/bin/env python3
"""stdio <-> TCP relay for QEMU's guestfwd=...-cmd:relay.py HOST PORT.

QEMU runs this once per guest connection with the connection on stdin and
stdout; it connects to HOST:PORT (loopback only) and copies both ways, so
a guest behind `restrict=on` reaches exactly the host ports it is given.
"""
import os
import selectors
import socket
import sys


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("relay.py: refusing non-loopback target %s" % host)
    sock = socket.create_connection((host, port), timeout=10)
    sock.settimeout(None)
    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ)
    sel.register(sock, selectors.EVENT_READ)
    open_dirs = 2
    while open_dirs:
        for key, _ in sel.select(timeout=600):
            if key.fileobj == 0:
                data = os.read(0, 65536)
                if not data:
                    sel.unregister(0)
                    sock.shutdown(socket.SHUT_WR)
                    open_dirs -= 1
                else:
                    sock.sendall(data)
            else:
                data = sock.recv(65536)
                if not data:
                    sel.unregister(sock)
                    open_dirs -= 1
                    os.close(1)
                else:
                    view = memoryview(data)
                    while view:
                        n = os.write(1, view)
                        view = view[n:]


if __name__ == "__main__":
    try:
        main()
    except (OSError, KeyboardInterrupt):
        pass
