#!/usr/bin/env python3
"""Compare the stock OS's network (the carried facts) with the target's.

    net-compare.py SERIAL-LOG

The demo target prints the facts bootrino carried (between
BOOTRINO-FACTS-BEGIN/END: docs/facts.md's JSON, collected on the stock OS
by `bootrino takeover`) and what it came up with itself (between
BOOTRINO-DEMO-NET-BEGIN/END: links with MAC and MTU, global addresses,
routes); the loader prints its own ("bootrino: init: net: …", busybox
`ip -o` output) before the target starts. Both are compared. Links are matched by MAC address, never by name (the stock OS
says ens3 where the target says eth0). For every stock link with a global
address: the same global addresses, the same MTU, and every default
route's gateway. Prints one line per stage and link; exit 1 on any
difference.
"""
import json
import re
import sys

KERNEL = re.compile(r"^\[\s*\d+\.\d+\] ")


def block(lines, begin, end):
    out, inside = [], False
    for line in lines:
        if line.startswith(begin):
            inside, out = True, []
        elif line.startswith(end):
            inside = False
        elif inside:
            out.append(line)
    return out


def main():
    text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
    # the kernel's own messages land between the target's lines
    lines = [l.rstrip("\r") for l in text.split("\n") if not KERNEL.match(l)]
    facts = json.loads("\n".join(block(lines, "BOOTRINO-FACTS-BEGIN", "BOOTRINO-FACTS-END")))
    views = [("loader", parse_loader(lines)),
             ("target", parse_target(block(lines, "BOOTRINO-DEMO-NET-BEGIN",
                                           "BOOTRINO-DEMO-NET-END")))]
    bad = 0
    for stage, view in views:
        if not view[0]:
            print("%s: printed no network report" % stage)
            bad += 1
            continue
        bad += compare(facts.get("network", {}), stage, view)
    sys.exit(1 if bad else 0)


def parse_target(net):
    """tinylinux's BOOTRINO-DEMO-NET block: link NAME MAC mtu N, addr DEV
    FAMILY A/P, route -4|-6 ROUTE…"""
    dev_of, mtu_of, addrs, routes = {}, {}, {}, []
    for line in net:
        w = line.split()
        if len(w) >= 5 and w[0] == "link":
            dev_of[w[2].lower()] = w[1]
            mtu_of[w[1]] = int(w[4])
        elif len(w) >= 4 and w[0] == "addr":
            addrs.setdefault(w[1], set()).add(w[3])
        elif len(w) >= 2 and w[0] == "route":
            routes.append(w[1:])
    return dev_of, mtu_of, addrs, routes


def parse_loader(lines):
    """The loader's "bootrino: init: net: …" lines (busybox ip -o output)
    before the target's marker."""
    dev_of, mtu_of, addrs, routes = {}, {}, {}, []
    for line in lines:
        if "BOOTRINO-DEMO-TINYLINUX-UP" in line:
            break
        # the agent's lines may start with "[+S.ds] ", the time since the
        # takeover started (docs/stages.md)
        line = re.sub(r"^\[\+[0-9]+\.[0-9]s\] ", "", line)
        if not line.startswith("bootrino: init: net: "):
            continue
        w = line[len("bootrino: init: net: "):].split()
        if len(w) >= 4 and w[0].endswith(":") and w[2] in ("inet", "inet6"):
            addrs.setdefault(w[1], set()).add(w[3])
        elif len(w) >= 2 and w[0].endswith(":") and w[1].endswith(":"):
            dev = w[1].rstrip(":").split("@")[0]
            if "mtu" in w and "link/ether" in w:
                dev_of[w[w.index("link/ether") + 1].lower()] = dev
                mtu_of[dev] = int(w[w.index("mtu") + 1])
        elif w:
            fam = "-6" if ":" in (w[2] if w[0] == "default" and len(w) > 2 else w[0]) else "-4"
            routes.append([fam] + w)
    return dev_of, mtu_of, addrs, routes


def compare(n, stage, view):
    dev_of, mtu_of, addrs, routes = view
    bad = 0
    for link in n.get("links", []):
        if link.get("loopback") or not link.get("mac"):
            continue
        idx, mac = link["index"], link["mac"].lower()
        want = {"%s/%d" % (a["address"], a["prefix"]) for a in n.get("addresses", [])
                if a.get("index") == idx and a.get("scope") == "global"}
        if not want:
            continue
        gws = {(r["family"], r["gateway"]) for r in n.get("routes", [])
               if r.get("index") == idx and r.get("dst") == "default" and r.get("gateway")}
        dev = dev_of.get(mac)
        if not dev:
            print("%s: %s (%s): no link with this MAC address" % (stage, link["name"], mac))
            bad += 1
            continue
        problems = []
        got = addrs.get(dev, set())
        if got != want:
            problems.append("addresses %s, the stock OS had %s" % (sorted(got), sorted(want)))
        if link.get("mtu") and mtu_of.get(dev) != link["mtu"]:
            problems.append("mtu %s, the stock OS had %s" % (mtu_of.get(dev), link["mtu"]))
        for fam, gw in sorted(gws):
            flag = "-6" if fam == "inet6" else "-4"
            if not any(r[0] == flag and r[1] == "default" and gw in r and dev in r
                       for r in routes):
                problems.append("no default route via %s" % gw)
        if problems:
            bad += 1
            print("%s: %s -> %s (%s): %s" % (stage, link["name"], dev, mac, "; ".join(problems)))
        else:
            print("%s: %s -> %s (%s): same addresses %s, mtu %s, default via %s" % (
                stage, link["name"], dev, mac, " ".join(sorted(want)), link.get("mtu"),
                " ".join(g for _, g in sorted(gws)) or "-"))
    return bad


if __name__ == "__main__":
    main()
