#!/usr/bin/env python3
"""The loader's DHCP bound, read from its console time stamps.

    dhcp-bound.py SERIAL BOUND_S

The loader's lines start with "[+S.ds]" (seconds since the takeover
started, docs/performance.md). For each link that got no lease, the time
from its "asking DHCP" line to the first command it applied "from the
carried facts" must not exceed BOUND_S (CLI_INIT_DHCP_BOUND_S,
docs/networking.md): that is what a DigitalOcean droplet waits before it
is reachable again. This does not trust the loader's own "DHCP took N s"
sum, which is computed by the code under test. One line per link
("eth0 42:01:…: 10.3 s"); exit 1 when a link is over the bound or a link
asked DHCP and never applied anything, 2 when nothing was found.
"""
import re
import sys

STAMP = r"^\[\+(\d+\.\d)s\] bootrino: (?:warning: )?init: "


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    text = open(sys.argv[1], "rb").read().decode("utf-8", "replace").replace("\r", "")
    bound = float(sys.argv[2])
    asked, applied, names = {}, {}, {}
    for line in text.splitlines():
        m = re.match(STAMP + r"(eth\d+) \(([0-9a-f:]{17})\): asking DHCP", line)
        if m:
            asked.setdefault(m.group(3), float(m.group(1)))
            names[m.group(3)] = m.group(2)
            continue
        m = re.match(STAMP + r"(eth\d+): from the carried facts: ip ", line)
        if m:
            applied.setdefault(m.group(2), float(m.group(1)))
    if not asked:
        print("no 'asking DHCP' line with a time stamp", file=sys.stderr)
        return 2
    bad = 0
    for name, mac in sorted((n, m) for m, n in names.items()):
        if name not in applied:
            print(f"{name} {mac}: asked DHCP at +{asked[mac]:.1f}s, never applied the carried facts")
            bad = 1
            continue
        took = applied[name] - asked[mac]
        over = took > bound + 0.05
        print(f"{name} {mac}: {took:.1f} s{' OVER the bound' if over else ''}")
        bad |= over
    return bad


if __name__ == "__main__":
    sys.exit(main())
