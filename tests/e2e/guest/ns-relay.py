#!/usr/bin/env python3
"""Relay a test network namespace's address to a loopback port of ours.

    ns-relay.py NSPID PORT TARGET_PORT ADDR...

Listens on ADDR:PORT (each ADDR, IPv4 or IPv6) inside the network
namespace of process NSPID, and relays every connection to
127.0.0.1:TARGET_PORT in the namespace this script was started in. The
guest of tests/e2e/test_net_*.sh sits on a tap device in the test's own
namespace and reaches the web server (tests/lib/nginx.sh, on loopback)
at a test address (198.51.100.0/24, 2001:db8::/32) through this relay;
nothing is ever routed out of that namespace.

A socket belongs to the namespace it was created in: the listeners are
made after setns(2) into the test's namespace, then we step back, so the
outgoing connections are made in ours. Prints "ready" once listening.
"""
import ctypes
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000


def setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        sys.exit("ns-relay: setns: %s" % os.strerror(err))


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(listener, target_port):
    while True:
        conn, _ = listener.accept()
        try:
            up = socket.create_connection(("127.0.0.1", target_port), timeout=10)
        except OSError:
            conn.close()
            continue
        up.settimeout(None)
        threading.Thread(target=pipe, args=(conn, up), daemon=True).start()
        threading.Thread(target=pipe, args=(up, conn), daemon=True).start()


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: ns-relay.py NSPID PORT TARGET_PORT ADDR...")
    nspid, port, target_port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    ours = os.open("/proc/self/ns/net", os.O_RDONLY)
    theirs = os.open("/proc/%d/ns/net" % nspid, os.O_RDONLY)
    if os.path.samestat(os.fstat(ours), os.fstat(theirs)):
        sys.exit("ns-relay: process %d is in our own namespace" % nspid)
    setns(theirs)
    listeners = []
    for addr in sys.argv[4:]:
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(16)
        listeners.append(s)
    setns(ours)
    for s in listeners:
        threading.Thread(target=serve, args=(s, target_port), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
