#!/bin/bash
# `bootrino kexec --dry-run` against synthetic images: formats, sizes,
# exit codes and the one-line errors. Real kernels are loaded only inside
# QEMU guests (tests/e2e); nothing here may load one on the host, so every
# run is a dry run and BOOTRINO_KEXEC_NO_LOAD guards the rest.
set -u
. "$(dirname "$0")/../lib/tap.sh"
export BOOTRINO_KEXEC_NO_LOAD=1

T=$TAP_TMP
cd "$T" || exit 1

# run NAME WANT_RC ARGS...: `bootrino kexec ARGS` exits WANT_RC
run() {
	local name=$1 want=$2
	shift 2
	run_cmd "$name" "$want" "$BOOTRINO" kexec "$@"
}

# A bzImage header as the boot protocol lays it out: 1 setup sector + the
# boot sector, 64 paragraphs of payload (2048 bytes in all), protocol 2.15,
# 64-bit and loadable above 4 GiB, command lines up to 255 bytes.
python3 - << 'EOF'
import struct
b = bytearray(2048)
b[0x1f1] = 1
b[0x1f4:0x1f8] = struct.pack('<I', 64)
b[0x1fe:0x200] = struct.pack('<H', 0xaa55)
b[0x202:0x206] = b'HdrS'
b[0x206:0x208] = struct.pack('<H', 0x020f)
b[0x211] = 1
b[0x236:0x238] = struct.pack('<H', 0x03)
b[0x238:0x23c] = struct.pack('<I', 255)
open('bzImage', 'wb').write(b)
old = bytearray(b)
old[0x206:0x208] = struct.pack('<H', 0x0205)
open('old-bzImage', 'wb').write(old)
b210 = bytearray(b)
b210[0x206:0x208] = struct.pack('<H', 0x020a)
open('bz210', 'wb').write(b210)
# multiboot ELF32: header at 4 KiB, page-align + memory-info flags
m = bytearray(12288)
m[0:7] = b'\x7fELF\x01\x01\x01'
struct.pack_into('<HHI', m, 16, 2, 3, 1)
struct.pack_into('<II', m, 24, 0x100000, 52)
struct.pack_into('<HHH', m, 40, 52, 32, 1)
struct.pack_into('<III', m, 0x1000, 0x1badb002, 3, (-(0x1badb002 + 3)) & 0xffffffff)
open('unikernel.elf', 'wb').write(m)
bad = bytearray(m)
struct.pack_into('<I', bad, 0x1008, 0)
open('badsum.elf', 'wb').write(bad)
EOF
head -c 2048 bzImage | head -c 1500 > truncated
head -c 4096 /dev/urandom > corrupt
printf 'hello\n' | gzip -n > initrd.gz
(mkdir -p cpio/etc && cd cpio && echo hi > etc/x && find . | cpio -o -H newc --quiet) > initrd.cpio
printf 'not an archive' > strange.img
mkdir -p ov/etc/bootrino && printf '{"hostname":"t"}\n' > ov/etc/bootrino/facts.json
: > empty
SUM=$(sha256sum bzImage | cut -d' ' -f1)

LOADED_BEFORE=$(cat /sys/kernel/kexec_loaded 2>/dev/null || echo none)

# --- good images ---------------------------------------------------------------
run "dry run: bzImage + initrds + overlay" 0 --dry-run --kernel bzImage --initrd initrd.gz \
	--initrd initrd.cpio --cmdline "console=ttyS0 quiet" --overlay ov
out_has "says nothing was loaded" '^bootrino kexec: dry run, nothing was loaded'
out_has "names the method" '^  method:  kexec_file_load'
out_has "names the kernel format" "^  kernel:  bzImage: bzImage \(boot protocol 2\.15, 64-bit\), 2048 bytes, sha256 $SUM \(unpinned\)"
out_has "names the gzip initrd" '^  initrd:  initrd.gz: gzip, [0-9]+ bytes'
out_has "names the cpio initrd" '^  initrd:  initrd.cpio: cpio \(newc\), [0-9]+ bytes'
out_has "counts the overlay" '^  overlay: 3 entries, [0-9]+ bytes'
out_has "prints the command line" '^  cmdline: console=ttyS0 quiet$'
out_has "prints the total and free memory" '^  total:   [0-9]+ bytes \(MemAvailable [0-9]+ MiB\)'
[ -z "$ERR" ] && ok "nothing on stderr" || not_ok "nothing on stderr" "$ERR"

run "pinned kernel: matching sha256" 0 -n --kernel bzImage --sha256-kernel "$SUM"
if printf '%s\n' "$OUT" | grep -q unpinned; then not_ok "pinned kernel is not called unpinned" "$OUT"
else ok "pinned kernel is not called unpinned"; fi

run "unknown initrd format: still ok, with a warning" 0 -n --kernel bzImage -i strange.img
out_has "warns about the initrd" '^  warning: strange.img: not cpio, gzip'

run "boot protocol 2.10: kexec-tools is planned" 0 -n --kernel bz210
out_has "2.10: method kexec-tools" '^  method:  kexec-tools /'
out_has "2.10: says why" '^  why:     boot protocol 2\.10 is older than 2\.12'

run "boot protocol 2.05: exit 5" 5 -n --kernel old-bzImage
err_is "old protocol: one clear line" '^bootrino: error: kexec: old-bzImage: boot protocol 2\.05 is too old'

run "multiboot ELF with a module" 0 -n --multiboot --kernel unikernel.elf --module "initrd.gz arg1 arg2" \
	--cmdline "hello=1"
out_has "multiboot format" '^  kernel:  unikernel.elf: multiboot ELF32 \(header at 0x1000\)'
out_has "multiboot uses kexec-tools" '^  method:  kexec-tools /'
out_has "module and its args" '^  module:  initrd.gz: module, [0-9]+ bytes, .*args "arg1 arg2"'

# --- bad images ------------------------------------------------------------------
run "corrupt kernel: exit 5" 5 --dry-run --kernel corrupt
err_is "corrupt kernel: one line naming file and reason" \
	'^bootrino: error: kexec: corrupt: not a bzImage: no "HdrS" magic at 0x202'
[ -z "$OUT" ] && ok "corrupt kernel: no report" || not_ok "corrupt kernel: no report" "$OUT"

run "truncated kernel: exit 5" 5 --dry-run --kernel truncated
err_is "truncated kernel: one clear line" '^bootrino: error: kexec: truncated: .*(truncated|HdrS)'

run "empty kernel: exit 5" 5 --dry-run --kernel empty
err_is "empty kernel: one clear line" '^bootrino: error: kexec: empty: '

run "bad multiboot checksum: exit 5" 5 -n --multiboot --kernel badsum.elf
err_is "bad checksum: one clear line" 'badsum.elf: multiboot header at 0x1000 has a bad checksum'

run "bzImage given as multiboot: exit 5" 5 -n --multiboot --kernel bzImage
err_is "bzImage as multiboot: says so" 'a Linux bzImage, not a multiboot kernel'

run "multiboot given as bzImage: exit 5" 5 -n --kernel unikernel.elf
err_is "multiboot as bzImage: says so" 'a multiboot kernel, not a Linux bzImage'

long=$(head -c 300 /dev/zero | tr '\0' x)
run "command line too long for the kernel: exit 5" 5 -n --kernel bzImage --cmdline "$long"
err_is "long command line: one clear line" 'command line is 300 bytes, this kernel takes at most 255'

run "wrong kernel sha256: exit 3" 3 -n --kernel bzImage --sha256-kernel \
	0000000000000000000000000000000000000000000000000000000000000000
err_is "wrong sha256: one line with both digests" "sha256 mismatch: expected 0{64}, got $SUM"

# --- missing files and usage errors -------------------------------------------------
run "missing kernel: exit 2" 2 --dry-run --kernel /nonexistent/vmlinuz
err_is "missing kernel: one line naming the file" \
	'^bootrino: error: kexec: --kernel: /nonexistent/vmlinuz: No such file or directory$'
run "a directory as kernel: exit 2" 2 --dry-run --kernel ov
err_is "directory as kernel: one line" '^bootrino: error: kexec: --kernel: ov: not a regular file$'
run "missing initrd: exit 2" 2 --dry-run --kernel bzImage --initrd nope.gz
err_is "missing initrd: one line naming the file" '^bootrino: error: kexec: --initrd: nope.gz: No such file'
run "missing overlay directory: exit 2" 2 --dry-run --kernel bzImage --overlay nodir
err_is "missing overlay: one line" '^bootrino: error: kexec: --overlay: overlay: nodir: No such file'

run "no --kernel: exit 2" 2 --dry-run
run "unknown option: exit 2" 2 --dry-run --kernel bzImage --frobnicate
run "stray argument: exit 2" 2 --dry-run --kernel bzImage extra
run "--initrd with --multiboot: exit 2" 2 -n --multiboot --kernel unikernel.elf -i initrd.gz
run "--module without --multiboot: exit 2" 2 -n --kernel bzImage --module initrd.gz
run "--dry-run with --load-only: exit 2" 2 -n -l --kernel bzImage
run "bad sha256 syntax: exit 2" 2 -n --kernel bzImage --sha256-kernel xyz
run "--help: exit 0" 0 --help
out_has "--help prints the usage" '^usage: bootrino kexec --kernel FILE'

# nothing above may have loaded anything into this machine's kernel
if [ "$(cat /sys/kernel/kexec_loaded 2>/dev/null || echo none)" = "$LOADED_BEFORE" ]; then
	ok "the running kernel's kexec state is unchanged ($LOADED_BEFORE)"
else
	not_ok "the running kernel's kexec state is unchanged" "was $LOADED_BEFORE"
fi

done_testing
