#!/usr/bin/env python3
"""A misbehaving HTTP server for the fetch fault tests (standard library only).

Serves BODY (--body FILE) on 127.0.0.1 and misbehaves according to the first
path segment: GET /SCENARIO/TAG. State (how many requests a path has seen) is
kept per path, so each test uses its own TAG. Exits by itself after
--lifetime seconds.

Scenarios (the "first" request is the first one for that path):
  ok        200 with the body; honours "Range: bytes=N-" with a 206
  drop      first: 200, full Content-Length, half the body, then the
            connection is reset; then like ok
  stall     first: half the body then silence (until the client leaves);
            then like ok
  cl-short  always: Content-Length half the body, the whole body sent
  cl-long   always: Content-Length longer than the body, body, close
  503       first: 503 + Retry-After: 1; then like ok
  429       first: 429 + Retry-After: 2; then like ok
  5xx       always 503 (no Retry-After)
  404       always 404
  loop      302 to itself, forever
  to-file   302 to file:///etc/passwd
  bighdr    200 with a 256 KiB header line
  endless   200 without Content-Length, bytes until the client leaves
  bad206    first: like drop; Range requests get a 206 whose Content-Range
            starts one byte late (with those bytes); plain GETs like ok
  norange   first: like drop; then 200 with the whole body, Range ignored
  r416      first: like drop; Range requests get 416; plain GETs like ok
  short206  first: like drop; second: a 206 covering only the next 1000
            bytes ("bytes N-(N+999)/SIZE"); then like ok
  long206   first: like drop; Range requests: a 206 for the rest whose
            body (and Content-Length) carries 1000 bytes more; plain GETs ok
  grown206  first: like drop; Range requests: a 206 saying the file is now
            one byte longer ("bytes N-SIZE/SIZE+1"), with that byte; plain
            GETs like ok
  cut/PATH  with --upstream URL: proxies GET URL/PATH (Range included) to a
            real server; the first request is reset after half the body
  echo      200 with the request line and headers as the body (any method)
  /_count/SCENARIO/TAG  → the number of requests that path has seen
"""
import argparse
import http.client
import os
import re
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b""
UPSTREAM = None
COUNTS = {}
LOCK = threading.Lock()


def hit(path):
    with LOCK:
        COUNTS[path] = COUNTS.get(path, 0) + 1
        return COUNTS[path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet unless asked
        if os.environ.get("FAULTSERVER_VERBOSE"):
            sys.stderr.write("faultserver: " + fmt % args + "\n")

    def head(self, status, headers):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()

    def send_body(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def range_start(self):
        m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", "") or "")
        return int(m.group(1)) if m else None

    def serve_ok(self, honour_range=True, shift=0):
        start = self.range_start() if honour_range else None
        if start is not None and start < len(BODY):
            first = start + shift
            part = BODY[first:]
            self.head(206, [("Content-Length", str(len(part))),
                            ("Content-Range", "bytes %d-%d/%d" % (first, len(BODY) - 1, len(BODY)))])
            self.send_body(part)
            return
        self.head(200, [("Content-Length", str(len(BODY)))])
        self.send_body(BODY)

    def reset(self):
        """Close with a TCP RST, as a crashed peer or middlebox would."""
        try:
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        except OSError:
            pass
        self.close_connection = True

    def drop_half(self):
        self.head(200, [("Content-Length", str(len(BODY)))])
        try:
            self.wfile.write(BODY[: len(BODY) // 2])
        except OSError:
            pass
        self.reset()

    def proxy(self, path, cut):
        """Relay path from the upstream server; with cut, reset the
        connection after half the body."""
        up = urllib.parse.urlsplit(UPSTREAM)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        headers = {}
        if self.headers.get("Range"):
            headers["Range"] = self.headers["Range"]
        conn.request("GET", up.path.rstrip("/") + "/" + path, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        keep = [(k, v) for k, v in resp.getheaders()
                if k.lower() in ("content-length", "content-range", "content-type")]
        conn.close()
        self.head(resp.status, keep)
        if cut:
            try:
                self.wfile.write(data[: len(data) // 2])
            except OSError:
                pass
            self.reset()
        else:
            self.send_body(data)

    def do_PUT(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path.startswith("/echo/"):
            data = ("%s %s\n%s" % (self.command, self.path, self.headers)).encode()
            self.head(200, [("Content-Length", str(len(data)))])
            self.send_body(data)
            return
        if path.startswith("/_count/"):
            with LOCK:
                n = COUNTS.get(path[len("/_count"):], 0)
            data = b"%d\n" % n
            self.head(200, [("Content-Length", str(len(data)))])
            self.send_body(data)
            return
        n = hit(path)
        scenario = path.strip("/").split("/")[0]
        if scenario == "cut" and UPSTREAM:
            self.proxy(path.split("/", 2)[2], n == 1)
        elif scenario == "ok":
            self.serve_ok()
        elif scenario == "drop":
            self.drop_half() if n == 1 else self.serve_ok()
        elif scenario == "stall":
            if n > 1:
                self.serve_ok()
                return
            self.head(200, [("Content-Length", str(len(BODY)))])
            try:
                self.wfile.write(BODY[: len(BODY) // 2])
                self.wfile.flush()
                self.connection.settimeout(60)
                self.connection.recv(1)  # returns when the client gives up
            except OSError:
                pass
            self.close_connection = True
        elif scenario == "cl-short":
            self.head(200, [("Content-Length", str(len(BODY) // 2))])
            self.send_body(BODY)
        elif scenario == "cl-long":
            self.head(200, [("Content-Length", str(len(BODY) + 1000))])
            self.send_body(BODY)
        elif scenario in ("503", "429"):
            if n > 1:
                self.serve_ok()
                return
            status, after = (503, "1") if scenario == "503" else (429, "2")
            data = b"try later\n"
            self.head(status, [("Retry-After", after), ("Content-Length", str(len(data)))])
            self.send_body(data)
        elif scenario == "5xx":
            data = b"down\n"
            self.head(503, [("Content-Length", str(len(data)))])
            self.send_body(data)
        elif scenario == "loop":
            self.head(302, [("Location", path), ("Content-Length", "0")])
            self.close_connection = True
        elif scenario == "to-file":
            self.head(302, [("Location", "file:///etc/passwd"), ("Content-Length", "0")])
            self.close_connection = True
        elif scenario == "bighdr":
            self.head(200, [("X-Padding", "a" * (256 << 10)), ("Content-Length", str(len(BODY)))])
            self.send_body(BODY)
        elif scenario == "endless":
            self.head(200, [])
            chunk = b"\0" * 65536
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True
        elif scenario == "bad206":
            if n == 1:
                self.drop_half()
            else:
                self.serve_ok(shift=1)
        elif scenario == "r416":
            if n == 1:
                self.drop_half()
            elif self.range_start() is not None:
                self.head(416, [("Content-Range", "bytes */%d" % len(BODY)), ("Content-Length", "0")])
                self.close_connection = True
            else:
                self.serve_ok()
        elif scenario in ("short206", "long206", "grown206"):
            start = self.range_start()
            if n == 1:
                self.drop_half()
            elif start is None or (scenario == "short206" and n > 2):
                self.serve_ok()
            elif scenario == "short206":
                part = BODY[start:start + 1000]
                self.head(206, [("Content-Length", str(len(part))),
                                ("Content-Range", "bytes %d-%d/%d"
                                 % (start, start + len(part) - 1, len(BODY)))])
                self.send_body(part)
            elif scenario == "long206":
                part = BODY[start:] + b"\0" * 1000
                self.head(206, [("Content-Length", str(len(part))),
                                ("Content-Range", "bytes %d-%d/%d"
                                 % (start, len(BODY) - 1, len(BODY)))])
                self.send_body(part)
            else:
                part = BODY[start:] + b"X"
                self.head(206, [("Content-Length", str(len(part))),
                                ("Content-Range", "bytes %d-%d/%d"
                                 % (start, len(BODY), len(BODY) + 1))])
                self.send_body(part)
        elif scenario == "norange":
            self.drop_half() if n == 1 else self.serve_ok(honour_range=False)
        else:
            data = b"no such scenario\n"
            self.head(404, [("Content-Length", str(len(data)))])
            self.send_body(data)


def main():
    global BODY, UPSTREAM
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--body", default="/dev/null", help="file whose bytes are served")
    ap.add_argument("--port", type=int, default=0, help="0: any free port")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--upstream", help="base URL the cut scenario proxies to")
    ap.add_argument("--lifetime", type=float, default=300, help="exit after this many seconds")
    args = ap.parse_args()
    UPSTREAM = args.upstream
    with open(args.body, "rb") as f:
        BODY = f.read()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    else:
        print(port, flush=True)
    timer = threading.Timer(args.lifetime, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
