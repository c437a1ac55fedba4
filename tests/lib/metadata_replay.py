#!/usr/bin/env python3
"""Replay of metadata shapes from cloud-init's own unit tests, on 127.0.0.1.

    metadata_replay.py --shape NAME --port-file FILE [--log FILE] [--lifetime S]

Each shape is the data cloud-init's tests feed its datasource, served the
way those tests serve it (and the way the service does): the source of
each is named next to it, as canonical/cloud-init's
tests/unittests/sources/test_<cloud>.py and the fixture's name. Where a
fixture's ssh key is an elided placeholder ("AAAAB3NzaC1yc2EAAAA..."), a
"-wellformed" variant puts a well-formed test key in the same place, so
that the shape (not the elision) is what is tested; the original is
replayed too (bootrino drops such keys, docs/facts.md).

Services as the tests register them:
  ec2    PUT /latest/api/token (with a TTL header) → a token, every GET
         under /latest/ needs it (IMDSv2; IMDSv1 disabled); meta-data as a
         tree (a dict's index lists its keys, "key/" for a dict), public-keys
         as "N=name" with N/openssh-key holding that entry's keys, one per
         line (_register_ssh_keys in test_ec2.py); the identity document at
         /latest/dynamic/instance-identity/document.
  gce    "Metadata-Flavor: Google" required; the fixture's paths
         ("instance/id", "project/attributes") as text or, for the
         recursive document, nested JSON (_set_mock_metadata in test_gce.py).
  do     /metadata/v1.json, the document as cloud-init's read_metadata
         gets it (test_digitalocean.py).
Each request is logged as "METHOD PATH STATUS".
"""
import argparse
import copy
import json
import os
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WELLFORMED = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQReplayKey"

# --- DigitalOcean: tests/unittests/sources/test_digitalocean.py ---------------
# DO_META ("the following JSON was taken from droplet"): droplet_id a string
DO_META = {
    "droplet_id": "22532410",
    "hostname": "utl-96268",
    "vendor_data": "vendordata goes here",
    "user_data": "userdata goes here",
    "public_keys": "",
    "auth_key": "authorization_key",
    "region": "nyc3",
    "interfaces": {
        "private": [{"ipv4": {"ip_address": "10.132.6.205", "netmask": "255.255.0.0",
                              "gateway": "10.132.0.1"},
                     "mac": "04:01:57:d1:9e:02", "type": "private"}],
        "public": [{"ipv4": {"ip_address": "192.0.0.20", "netmask": "255.255.255.0",
                             "gateway": "104.236.0.1"},
                    "ipv6": {"ip_address": "2604:A880:0800:0000:1000:0000:0000:0000",
                             "cidr": 64, "gateway": "2604:A880:0800:0000:0000:0000:0000:0001"},
                    "anchor_ipv4": {"ip_address": "10.0.0.5", "netmask": "255.255.0.0",
                                    "gateway": "10.0.0.1"},
                    "mac": "04:01:57:d1:9e:01", "type": "public"}],
    },
    "floating_ip": {"ipv4": {"active": False}},
    "dns": {"nameservers": ["2001:4860:4860::8844", "2001:4860:4860::8888", "8.8.8.8"]},
}
DO_SINGLE_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAA... test@do.co"
DO_MULTIPLE_KEYS = ["ssh-rsa AAAAB3NzaC1yc2EAAAA... test1@do.co",
                    "ssh-rsa AAAAB3NzaC1yc2EAAAA... test2@do.co"]
# DO_META_2 ("This has no private interface"): droplet_id a number, a
# list of keys, "tags": null
DO_META_2 = {
    "droplet_id": 27223699,
    "hostname": "smtest1",
    "vendor_data": "#cloud-config\ndisable_root: false\nmanage_etc_hosts: true\n",
    "public_keys": ["ssh-rsa AAAAB3NzaN...N3NtHw== smoser@brickies"],
    "auth_key": "88888888888888888888888888888888",
    "region": "nyc3",
    "interfaces": {"public": [{"ipv4": {"ip_address": "45.55.249.133",
                                        "netmask": "255.255.192.0", "gateway": "45.55.192.1"},
                               "anchor_ipv4": {"ip_address": "10.17.0.5", "netmask": "255.255.0.0",
                                               "gateway": "10.17.0.1"},
                               "mac": "ae:cc:08:7c:88:00", "type": "public"}]},
    "floating_ip": {"ipv4": {"active": True, "ip_address": "138.197.59.92"}},
    "dns": {"nameservers": ["8.8.8.8", "8.8.4.4"]},
    "tags": None,
}


def wellformed(key):
    """The fixture's key with its elided blob made a well-formed one."""
    rest = key.split(" ", 1)[1]
    comment = rest.split(" ", 1)[1] if " " in rest else ""
    return f"{WELLFORMED} {comment}".rstrip()


def do_shape(name):
    d = copy.deepcopy(DO_META)
    if name == "do-meta":                      # test_metadata: the single key
        d["public_keys"] = DO_SINGLE_KEY
    elif name == "do-meta-wellformed":
        d["public_keys"] = wellformed(DO_SINGLE_KEY)
    elif name == "do-multiple-keys":           # test_multiple_ssh_keys
        d["public_keys"] = DO_MULTIPLE_KEYS
    elif name == "do-multiple-keys-wellformed":
        d["public_keys"] = [wellformed(k) for k in DO_MULTIPLE_KEYS]
    elif name == "do-meta-empty-keys":         # DO_META as the droplet served it
        pass
    elif name == "do-meta-2":                  # test_convert_without_private
        d = copy.deepcopy(DO_META_2)
    elif name == "do-meta-2-wellformed":
        d = copy.deepcopy(DO_META_2)
        d["public_keys"] = [wellformed(k) for k in d["public_keys"]]
    return d


# --- GCE: tests/unittests/sources/test_gce.py ---------------------------------
GCE_META = {"instance/id": "123", "instance/zone": "foo/bar",
            "instance/hostname": "server.project-foo.local"}
VALID, INVALID = "ssh-rsa VALID {0}", "ssh-rsa INVALID {0}"


def gce_shape(name):
    meta = dict(GCE_META)
    if name == "gce-cloudinit-ssh-keys":       # test_cloudinit_ssh_keys
        meta["project/attributes"] = {
            "sshKeys": "\n".join(["cloudinit:" + VALID.format(0), "user:" + INVALID.format(0)]),
            "ssh-keys": "\n".join(["cloudinit:" + VALID.format(1), "user:" + INVALID.format(1)]),
        }
        meta["instance/attributes"] = {
            "ssh-keys": "\n".join(["cloudinit:" + VALID.format(2), "user:" + INVALID.format(2)]),
            "block-project-ssh-keys": "False",
        }
    elif name == "gce-instance-ssh-keys-override":  # test_instance_ssh_keys_override
        meta["project/attributes"] = {"sshKeys": "cloudinit:" + INVALID.format(0),
                                      "ssh-keys": "cloudinit:" + INVALID.format(1)}
        meta["instance/attributes"] = {"sshKeys": "cloudinit:" + VALID.format(0),
                                       "ssh-keys": "cloudinit:" + VALID.format(1),
                                       "block-project-ssh-keys": "False"}
    elif name == "gce-block-project-ssh-keys-override":  # test_block_project_ssh_keys_override
        meta["project/attributes"] = {"sshKeys": "cloudinit:" + INVALID.format(0),
                                      "ssh-keys": "cloudinit:" + INVALID.format(1)}
        meta["instance/attributes"] = {"ssh-keys": "cloudinit:" + VALID.format(0),
                                       "block-project-ssh-keys": "True"}
    elif name == "gce-parse-public-keys-non-ascii":  # test_parse_public_keys_non_ascii
        meta["instance/attributes"] = {"ssh-keys": "\n".join([
            "cloudinit:ssh-rsa ssh-ke%s invalid" % chr(165),
            "use%sname:ssh-rsa ssh-key" % chr(174),
            "cloudinit:ssh-rsa test1", "default:ssh-rsa test2", "user:ssh-rsa test3"])}
    return meta


def gce_recursive(meta):
    """The fixture's paths as the recursive document (ids are numbers there)."""
    doc = {}
    for path, val in meta.items():
        node = doc
        parts = path.split("/")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = int(val) if path == "instance/id" else val
    return doc


# --- EC2: tests/unittests/sources/test_ec2.py -----------------------------------
# DYNAMIC_METADATA's identity document
IDENTITY = {
    "devpayProductCodes": None, "marketplaceProductCodes": ["1abc2defghijklm3nopqrs4tu"],
    "availabilityZone": "us-west-2b", "privateIp": "10.158.112.84", "version": "2017-09-30",
    "instanceId": "my-identity-id", "billingProducts": None, "instanceType": "t2.micro",
    "accountId": "123456789012", "imageId": "ami-5fb8c835", "pendingTime": "2016-11-19T16:32:11Z",
    "architecture": "x86_64", "kernelId": None, "ramdiskId": None, "region": "us-west-2",
}
# DEFAULT_METADATA (api version 2016-09-02), network part left out
DEFAULT_METADATA = {
    "ami-id": "ami-8b92b4ee", "ami-launch-index": "0", "ami-manifest-path": "(unknown)",
    "block-device-mapping": {"ami": "/dev/sda1", "root": "/dev/sda1"},
    "hostname": "ip-172-31-31-158.us-east-2.compute.internal", "instance-action": "none",
    "instance-id": "i-0a33f80f09c96477f", "instance-type": "t2.small",
    "local-hostname": "ip-172-3-3-15.us-east-2.compute.internal", "local-ipv4": "172.3.3.15",
    "mac": "06:17:04:d7:26:09", "placement": {"availability-zone": "us-east-2b"},
    "profile": "default-hvm",
    "public-hostname": "ec2-13-59-77-202.us-east-2.compute.amazonaws.com",
    "public-ipv4": "13.59.77.202",
    "public-keys": {"brickies": ["ssh-rsa AAAAB3Nz....w== brickies"]},
    "reservation-id": "r-01efbc9996bac1bd6", "security-groups": "my-wide-open",
    "services": {"domain": "amazonaws.com", "partition": "aws"},
}


def ec2_shape(name):
    md = copy.deepcopy(DEFAULT_METADATA)
    if name == "ec2-default-wellformed":
        md["public-keys"] = {"brickies": [wellformed("ssh-rsa AAAAB3Nz....w== brickies")]}
    elif name == "ec2-secondary-ip-2018-09-24":  # SECONDARY_IP_METADATA_2018_09_24
        md.update({"instance-id": "i-069e01e8cc43732f8", "instance-type": "t2.micro",
                   "local-hostname": "ip-172-31-44-13.us-east-2.compute.internal",
                   "placement": {"availability-zone": "us-east-2c"},
                   # a key name with a comma, as the fixture has it; the
                   # second key in the same entry shows a list of keys
                   "public-keys": {"yourkeyname,e": [wellformed("ssh-rsa AAAAW...DZ yourkeyname"),
                                                     wellformed("ssh-rsa AAAAX...EZ second")]}})
    return md


def ec2_tree(md):
    """path → body, as register_mock_metaserver/_register_ssh_keys do."""
    out = {}

    def reg(base, body):
        if isinstance(body, str):
            out[base] = body
        elif isinstance(body, list):
            out[base] = out[base + "/"] = "\n".join(body) + "\n"
        elif isinstance(body, dict):
            vals = []
            for k, v in body.items():
                if k == "public-keys":
                    names = sorted(v)
                    index = "\n".join("%d=%s" % (n, nm) for n, nm in enumerate(names))
                    out[base + "/public-keys"] = out[base + "/public-keys/"] = index
                    for n, nm in enumerate(names):
                        val = "\n".join(v[nm]) if isinstance(v[nm], list) else v[nm]
                        out["%s/public-keys/%d" % (base, n)] = "openssh-key"
                        out["%s/public-keys/%d/openssh-key" % (base, n)] = val
                    continue
                suffix = k if isinstance(v, (str, list)) else k + "/"
                vals.append(suffix)
                reg(base + "/" + k, v)
            out[base] = out[base + "/"] = "\n".join(vals) + "\n"
    reg("/latest/meta-data", md)
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body):
        data = body if isinstance(body, bytes) else (
            body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if self.server.log:
            with self.server.lock, open(self.server.log, "a") as f:
                f.write("%s %s %d\n" % (self.command, self.path, code))

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.server.kind == "ec2":
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.send(400, "missing TTL")
            tok = secrets.token_hex(16)
            self.server.tokens.add(tok)
            return self.send(200, tok)
        return self.send(404, "not found")

    def do_GET(self):
        kind, shape = self.server.kind, self.server.shape
        if kind == "ec2" and self.path.startswith("/latest/"):
            if self.headers.get("X-aws-ec2-metadata-token") not in self.server.tokens:
                return self.send(401, "unauthorized")
            if self.path == "/latest/dynamic/instance-identity/document":
                return self.send(200, IDENTITY)
            tree = ec2_tree(ec2_shape(shape))
            if self.path in tree:
                return self.send(200, tree[self.path])
            return self.send(404, "not found")
        if kind == "gce" and self.path.startswith("/computeMetadata/v1/"):
            if self.headers.get("Metadata-Flavor") != "Google":
                return self.send(403, "missing Metadata-Flavor")
            meta = gce_shape(shape)
            path = self.path[len("/computeMetadata/v1/"):]
            if path in ("?recursive=true&alt=json", "?alt=json&recursive=true"):
                return self.send(200, gce_recursive(meta))
            if path in meta and isinstance(meta[path], str):
                return self.send(200, meta[path])
            return self.send(404, "")
        if kind == "do" and self.path == "/metadata/v1.json":
            return self.send(200, do_shape(shape))
        return self.send(404, "not found")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--lifetime", type=float, default=120)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.kind = a.shape.split("-", 1)[0]
    srv.shape, srv.log, srv.lock, srv.tokens = a.shape, a.log, threading.Lock(), set()
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(a.port_file + ".tmp", a.port_file)
    threading.Timer(a.lifetime, srv.shutdown).start()
    srv.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
