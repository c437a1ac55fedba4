#!/usr/bin/env python3
"""Imitation of the AWS (IMDSv2), GCP and DigitalOcean metadata services,
on 127.0.0.1 only, for bootrino's tests.

    metadata_server.py --port-file FILE [--log FILE] [--fault MODE] [--lifetime S]
                       [--bind ADDR]

Writes the port it listens on to FILE. Like the real services it refuses
requests without the right headers: AWS wants a token from
PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds) on every
GET; GCP wants "Metadata-Flavor: Google" and refuses X-Forwarded-For.
Each request is logged as one line "METHOD PATH STATUS HEADERS-JSON".

Faults: garbage (documents are not JSON), huge (a 300 KiB document),
trailing (valid JSON followed by garbage), slow (answers after 30 s),
nokeys (no ssh keys anywhere), throttle (the first request for each
method and path answers 429 Too Many Requests with Retry-After: 1, as a
throttled IMDS does: AWS re:Post knowledge center "How do I troubleshoot
instance metadata issues on my EC2 Linux instance?", section "Request
throttling").

AWS is served as with IMDSv1 disabled (HttpTokens=required): a GET
without a valid token gets 401 (same page, "401 - Unauthorized"), and a
PUT without a TTL header 400 ("400 - Bad Request").
"""
import argparse
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AWS_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAwsKeyForBootrinoTestsOnlyxxxxxxxxxxxxxxxx aws-key"
GCP_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGcpKeyForBootrinoTestsOnlyxxxxxxxxxxxxxxxx gcp-user"
GCP_PROJECT_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQProjectKeyForBootrinoTests project-user"
DO_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIERvKeyForBootrinoTestsOnlyxxxxxxxxxxxxxxxxx do-key"

AWS_IDENTITY = {
    "accountId": "123456789012",
    "architecture": "x86_64",
    "availabilityZone": "eu-west-1b",
    "imageId": "ami-0abcdef1234567890",
    "instanceId": "i-0123456789abcdef0",
    "instanceType": "t3.micro",
    "pendingTime": "2026-11-23T19:00:00Z",
    "privateIp": "172.31.5.6",
    "region": "eu-west-1",
    "version": "2017-09-30",
}

# GCP ids are 64-bit: this one does not fit a double exactly.
GCP_ID = "7334521912345678901"


def gcp_doc(nokeys):
    return {
        "instance": {
            "id": int(GCP_ID),
            "hostname": "vm-1.us-central1-a.c.demo-project.internal",
            "zone": "projects/123456789/zones/us-central1-a",
            "machineType": "projects/123456789/machineTypes/e2-small",
            "attributes": {} if nokeys else {"ssh-keys": "gcp-user:" + GCP_KEY + "\n"},
            "networkInterfaces": [{"ip": "10.128.0.7", "gateway": "10.128.0.1",
                                   "mac": "42:01:0a:80:00:07", "mtu": 1460}],
        },
        "project": {
            "projectId": "demo-project",
            "attributes": {} if nokeys else {"ssh-keys": "project-user:" + GCP_PROJECT_KEY},
        },
    }


def do_doc(nokeys):
    return {
        "droplet_id": 2756294,
        "hostname": "droplet-1",
        "vendor_data": "#cloud-config\n",
        "public_keys": [] if nokeys else [DO_KEY],
        "region": "ams3",
        "interfaces": {"public": [{"ipv4": {"ip_address": "203.0.113.7", "netmask": "255.255.240.0",
                                            "gateway": "203.0.113.1"},
                                   "mac": "aa:bb:cc:dd:ee:ff", "type": "public"}]},
        "dns": {"nameservers": ["67.207.67.2", "67.207.67.3"]},
        "features": {"dhcp_enabled": False},
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "metadata-stub"
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def record(self, status):
        if self.server.log:
            hdrs = {k: v for k, v in self.headers.items()
                    if k.lower().startswith(("x-", "metadata-"))}
            with self.server.lock, open(self.server.log, "a") as f:
                f.write("%s %s %d %s\n" % (self.command, self.path, status, json.dumps(hdrs)))

    def send(self, status, body, ctype="text/plain"):
        if isinstance(body, (dict, list)):
            body, ctype = json.dumps(body), "application/json"
        if isinstance(body, str):
            body = body.encode()
        fault = self.server.fault
        if status == 200 and ctype == "application/json":
            if fault == "garbage":
                body = b"<html>not json</html>"
            elif fault == "huge":
                body = json.dumps({"pad": "x" * (300 << 10)}).encode()
            elif fault == "trailing":
                body += b" trailing"
        if fault == "slow":
            time.sleep(30)
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def throttled(self):
        if self.server.fault != "throttle":
            return False
        key = (self.command, self.path)
        with self.server.lock:
            if key in self.server.seen:
                return False
            self.server.seen.add(key)
        self.record(429)
        self.send_response(429)
        self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def do_PUT(self):
        if self.throttled():
            return None
        if self.path != "/latest/api/token":
            return self.send(405, "method not allowed")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.send(400, "missing or bad X-aws-ec2-metadata-token-ttl-seconds")
        token = "AQAEA" + secrets.token_urlsafe(32)
        with self.server.lock:
            self.server.tokens.add(token)
        return self.send(200, token)

    def do_GET(self):
        if self.throttled():
            return None
        nokeys = self.server.fault == "nokeys"
        path = self.path
        if path.startswith("/latest/"):
            tok = self.headers.get("X-aws-ec2-metadata-token")
            if tok not in self.server.tokens:
                return self.send(401, "unauthorized")
            if path == "/latest/dynamic/instance-identity/document":
                return self.send(200, AWS_IDENTITY)
            if path == "/latest/meta-data/local-hostname":
                return self.send(200, "ip-172-31-5-6.eu-west-1.compute.internal")
            if path == "/latest/meta-data/public-keys/" and not nokeys:
                return self.send(200, "0=aws-key")
            if path == "/latest/meta-data/public-keys/0/openssh-key" and not nokeys:
                return self.send(200, AWS_KEY + "\n")
            return self.send(404, "not found")
        if path.startswith("/computeMetadata/"):
            if self.headers.get("Metadata-Flavor") != "Google" or \
                    self.headers.get("X-Forwarded-For"):
                return self.send(403, "missing Metadata-Flavor: Google")
            if path in ("/computeMetadata/v1/?recursive=true&alt=json",
                        "/computeMetadata/v1/?alt=json&recursive=true"):
                return self.send(200, gcp_doc(nokeys))
            if path == "/computeMetadata/v1/instance/id":
                return self.send(200, GCP_ID)
            return self.send(404, "not found")
        if path == "/metadata/v1.json":
            return self.send(200, do_doc(nokeys))
        return self.send(404, "not found")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--fault", default="")
    ap.add_argument("--lifetime", type=float, default=300)
    # another address only inside a network namespace of the test's own
    ap.add_argument("--bind", default="127.0.0.1")
    a = ap.parse_args()
    srv = ThreadingHTTPServer((a.bind, 0), Handler)
    srv.daemon_threads = True
    srv.tokens, srv.lock, srv.fault, srv.log = set(), threading.Lock(), a.fault, a.log
    srv.seen = set()
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    threading.Timer(a.lifetime, srv.shutdown).start()
    srv.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
