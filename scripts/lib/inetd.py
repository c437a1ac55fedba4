#!/usr/bin/env python3
"""inetd.py PORT CMD...: listen on 127.0.0.1:PORT; for each connection run
CMD with the connection as its stdin and stdout.

The demo guest runs in its own network namespace (nothing it does can
leave this machine), so its forwarded web port lives there too; this puts
it on the host's loopback through tests/e2e/guest/relay.py under nsenter.
Loopback only, and it exits when its parent does (the demo's cleanup).
"""
import os
import socket
import subprocess
import sys


def main():
    port, cmd = int(sys.argv[1]), sys.argv[2:]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    parent = os.getppid()
    srv.settimeout(2)
    while os.getppid() == parent:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        conn.settimeout(None)
        subprocess.Popen(cmd, stdin=conn.fileno(), stdout=conn.fileno(),
                         stderr=subprocess.DEVNULL)
        conn.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
