#!/bin/bash
# The images as built by `make images`, checked from the outside (no QEMU):
# what the loader's initramfs holds (docs/images.md), the 15 MiB budget,
# the bootrino.modules contract, the CA bundle, tinylinux's pieces and the
# unikernel's multiboot header.
set -u
. "$BOOTRINO_ROOT/tests/lib/tap.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/qemu.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/loader.sh"

loader_require
L=$TAP_TMP/loader T=$TAP_TMP/tinylinux
mkdir -p "$L" "$T"
# cpio -i refuses absolute paths and, with --no-absolute-filenames, never
# writes outside the directory; nothing here needs root.
(cd "$L" && zstd -dc "$IMAGES/loader/initrd.img" | cpio -i -d --quiet --no-absolute-filenames) ||
	not_ok "the loader's initrd.img is a zstd newc archive"
(cd "$T" && zstd -dc "$IMAGES/tinylinux/initrd.img" | cpio -i -d --quiet --no-absolute-filenames) ||
	not_ok "tinylinux's initrd.img is a zstd newc archive"

size=$(stat -c %s "$IMAGES/loader/initrd.img")
if [ "$size" -le $((15 * 1024 * 1024)) ]; then ok "loader initrd.img: $size bytes, within 15 MiB"
else not_ok "loader initrd.img within 15 MiB" "$size bytes"; fi

if cmp -s "$L/init" "$BOOTRINO_ROOT/build/static/bootrino"; then
	ok "/init is the static bootrino of build/static"
else
	not_ok "/init is the static bootrino of build/static" \
		"the loader holds another bootrino: stale image? (make images rebuilds it)"
fi
check "/init is statically linked" sh -c "file -L '$L/init' | grep -q 'statically linked'"
check "/bin/bootrino points at /init" test "$(readlink "$L/bin/bootrino")" = /init
check "/sbin/kexec is the static kexec-tools" cmp "$L/sbin/kexec" "$BOOTRINO_ROOT/build/static/kexec"
check "/bin/busybox is static" sh -c "file -L '$L/bin/busybox' | grep -q 'statically linked'"
missing=
for a in bin/sh sbin/ip sbin/udhcpc bin/mount sbin/insmod bin/sleep sbin/poweroff; do
	[ "$(readlink "$L/$a")" = /bin/busybox ] || missing="$missing $a"
done
if [ -z "$missing" ]; then ok "busybox applet links (sh ip udhcpc mount insmod …)"
else not_ok "busybox applet links" "missing:$missing"; fi
check "the udhcpc hook is executable" test -x "$L/usr/share/udhcpc/default.script"

ca=$L/etc/ssl/certs/ca-certificates.crt
n=$(grep -c 'BEGIN CERTIFICATE' "$ca" 2>/dev/null || echo 0)
parsed=$(openssl crl2pkcs7 -nocrl -certfile "$ca" 2>/dev/null | openssl pkcs7 -print_certs -noout 2>/dev/null |
	grep -c '^subject=')
if [ "$n" -ge 100 ] && [ "$parsed" = "$n" ]; then ok "CA bundle: $n certificates, all parse"
else not_ok "CA bundle: certificates that parse" "$n in the file, $parsed parsed"; fi

kver=$(ls "$L/lib/modules")
list=$L/lib/modules/$kver/bootrino.modules
if [ -s "$list" ]; then ok "bootrino.modules for kernel $kver ($(wc -l < "$list") modules)"
else not_ok "bootrino.modules exists" "$(ls -R "$L/lib/modules" | head)"; fi
bad=
while read -r m; do
	case $m in /*|*..*) bad="$bad $m(not relative)"; continue ;; esac
	[ -f "$L/lib/modules/$kver/$m" ] || bad="$bad $m(missing)"
	case $m in *.ko) ;; *) bad="$bad $m(not a .ko)" ;; esac
done < "$list"
if [ -z "$bad" ]; then ok "every line names a decompressed .ko under /lib/modules/$kver"
else not_ok "every line names a decompressed .ko under /lib/modules/$kver" "$bad"; fi
# Order: each module's modinfo depends= are listed before it or built in.
order_bad=$(python3 - "$L/lib/modules/$kver" <<'PY'
import os, re, sys
d = sys.argv[1]
builtin = {re.sub(r"\.ko$", "", os.path.basename(l.strip())).replace("-", "_")
           for l in open(os.path.join(d, "modules.builtin")) if l.strip()}
seen = set()
for rel in open(os.path.join(d, "bootrino.modules")).read().split():
    name = os.path.basename(rel)[:-3].replace("-", "_")
    data = open(os.path.join(d, rel), "rb").read()
    m = re.search(rb"\x00depends=([^\x00]*)", data)
    for dep in (m.group(1).decode().split(",") if m else []):
        dep = dep.replace("-", "_")
        if dep and dep not in seen and dep not in builtin:
            print("%s before its dependency %s" % (name, dep))
    seen.add(name)
PY
)
if [ -z "$order_bad" ]; then ok "bootrino.modules lists dependencies first"
else not_ok "bootrino.modules lists dependencies first" "$order_bad"; fi
for m in virtio_net virtio_blk virtio_scsi virtio_pci ena gve xen-netfront xen-blkfront vfat nls_cp437; do
	grep -q "/$m\.ko$" "$list" || bad="$bad $m"
done
if [ -z "$bad" ]; then ok "the cloud NIC/disk/vfat modules are all there"
else not_ok "the cloud NIC/disk/vfat modules are all there" "missing:$bad"; fi

check "tinylinux: /init is its script" sh -c "head -1 '$T/init' | grep -q '^#!/bin/sh'"
check "tinylinux: version file" test -s "$T/etc/tinylinux-version"
check "tinylinux: virtio_net in its bootrino.modules" \
	grep -q 'virtio_net.ko$' "$T/lib/modules/$kver/bootrino.modules"
check "tinylinux and the loader ship the same kernel" \
	cmp "$IMAGES/tinylinux/vmlinuz" "$IMAGES/loader/vmlinuz"

# Multiboot v1: magic, flags and checksum summing to 0, 4-aligned, within
# the first 8 KiB; a 32-bit ELF (what QEMU -kernel and kexec-tools take).
uk=$IMAGES/unikernel/unikernel.elf
mb=$(python3 - "$uk" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
ok = d[:5] == b"\x7fELF\x01"
for off in range(0, min(len(d), 8192) - 12, 4):
    m, f, c = struct.unpack_from("<III", d, off)
    if m == 0x1BADB002 and (m + f + c) & 0xffffffff == 0:
        print("ok" if ok else "not ELF32", off)
        break
else:
    print("no header")
PY
)
case $mb in
"ok "*) ok "unikernel.elf: ELF32 with a multiboot v1 header at offset ${mb#ok }" ;;
*) not_ok "unikernel.elf: ELF32 with a multiboot v1 header" "$mb" ;;
esac
done_testing
