#!/usr/bin/env python3
"""Copy kernel modules and everything they depend on into an initramfs tree.

usage: modules-resolve.py KMODDIR DESTDIR [--optional] MODULE...

KMODDIR is an unpacked /lib/modules/<kver> (from the Debian package, no
root, no depmod run). Dependencies come from modules.dep when the tree has
one, else from each module's own .modinfo "depends=" field (what modpost
wrote and what depmod would copy into modules.dep); softdep "pre:" modules
are loaded first as well. Modules built into the kernel (modules.builtin)
are satisfied without a file. Names after --optional may be missing (a
driver that some kernel config does not build); names before it must exist.

Writes DESTDIR/<tree path>.ko (decompressed when the package ships .ko.xz
or .ko.zst) and DESTDIR/bootrino.modules: one path per line, relative to
DESTDIR, dependencies before their users (the order `bootrino init` and
the demo inits insmod them in).
"""
import lzma
import os
import re
import subprocess
import sys


def norm(name):
    return name.replace("-", "_")


def modname(path):
    base = os.path.basename(path)
    return norm(re.sub(r"\.ko(\.(xz|zst|gz))?$", "", base))


def read_modinfo(path):
    data = read_ko(path)
    fields = {}
    for m in re.finditer(rb"(?:^|\x00)(depends|softdep)=([^\x00]*)", data):
        fields.setdefault(m.group(1).decode(), []).append(m.group(2).decode())
    return fields


def read_ko(path):
    if path.endswith(".xz"):
        with lzma.open(path) as f:
            return f.read()
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    kdir, dest = argv[1], argv[2]
    required, optional, opt = [], [], False
    for a in argv[3:]:
        if a == "--optional":
            opt = True
        else:
            (optional if opt else required).append(norm(a))

    files = {}  # name -> path relative to kdir
    for dirpath, _, names in os.walk(os.path.join(kdir, "kernel")):
        for n in names:
            if re.search(r"\.ko(\.(xz|zst))?$", n):
                rel = os.path.relpath(os.path.join(dirpath, n), kdir)
                files[modname(rel)] = rel
    builtin = set()
    bpath = os.path.join(kdir, "modules.builtin")
    if os.path.exists(bpath):
        with open(bpath) as f:
            builtin = {modname(line.strip()) for line in f if line.strip()}

    deps_from_file = {}
    dpath = os.path.join(kdir, "modules.dep")
    if os.path.exists(dpath):
        with open(dpath) as f:
            for line in f:
                mod, _, rest = line.partition(":")
                deps_from_file[modname(mod)] = [modname(d) for d in rest.split()]

    def deps_of(name):
        info = read_modinfo(os.path.join(kdir, files[name]))
        pre = []
        for sd in info.get("softdep", []):
            m = re.search(r"pre:\s*([^:]*?)(?:\s+post:|$)", sd)
            if m:
                pre += [norm(x) for x in m.group(1).split()]
        if name in deps_from_file:
            hard = deps_from_file[name]
        else:
            hard = [norm(x) for d in info.get("depends", []) for x in d.split(",") if x]
        # A soft dependency that does not exist (e.g. crc32c-intel on
        # another arch) is a hint, not a requirement.
        return hard, [p for p in pre if p in files or p in builtin]

    order, state = [], {}

    def visit(name, chain):
        if name in builtin and name not in files:
            return
        if name not in files:
            raise SystemExit("modules-resolve: %s: not in %s (needed by %s)"
                             % (name, kdir, " <- ".join(chain) or "the image"))
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            raise SystemExit("modules-resolve: dependency cycle: %s" % " -> ".join(chain + [name]))
        state[name] = "active"
        hard, pre = deps_of(name)
        for d in pre + hard:
            visit(d, chain + [name])
        state[name] = "done"
        order.append(name)

    for name in required:
        visit(name, [])
    for name in optional:
        if name in files or name in builtin:
            visit(name, [])
        else:
            print("modules-resolve: optional %s: not built by this kernel, skipped" % name,
                  file=sys.stderr)

    lines = []
    for name in order:
        rel = re.sub(r"\.ko\.(xz|zst)$", ".ko", files[name])
        out = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out + ".tmp", "wb") as f:
            f.write(read_ko(os.path.join(kdir, files[name])))
        os.rename(out + ".tmp", out)
        lines.append(rel)
    with open(os.path.join(dest, "bootrino.modules.tmp"), "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.rename(os.path.join(dest, "bootrino.modules.tmp"), os.path.join(dest, "bootrino.modules"))
    builtins = [n for n in required + optional if n in builtin and n not in files]
    print("modules-resolve: %d modules%s" % (len(lines),
          (", built in: " + " ".join(builtins)) if builtins else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
