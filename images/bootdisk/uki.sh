#!/bin/bash
# A unified kernel image (UKI): systemd's EFI stub (systemd-boot-efi,
# /usr/lib/systemd/boot/efi/linuxx64.efi.stub) with the kernel, its
# command line and the initrds as PE sections, one EFI binary the
# firmware starts directly (no GRUB). Debian 12's systemd (252) has no
# ukify: the sections are added with objcopy, each at its own page-aligned
# address after the stub's last section, as systemd's documentation of the
# stub describes (.osrel, .cmdline, .linux, .initrd).
#
# usage: images/bootdisk/uki.sh OUT KERNEL CMDLINE INITRD...
#   several INITRDs are concatenated (each padded to 4 bytes, where the
#   kernel looks for the next archive) into the one .initrd section
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: uki.sh OUT KERNEL CMDLINE INITRD..." >&2; exit 2; }
out=$1 kernel=$2 cmdline=$3
shift 3
stub=${BOOTRINO_EFI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
for f in "$stub" "$kernel" "$@"; do
	[ -s "$f" ] || { echo "uki: $f missing (systemd-boot-efi: scripts/setup.sh)" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/uki.XXXXXX")
trap 'rm -rf "$work"' EXIT
for f in "$@"; do
	cat "$f" >> "$work/initrd"
	truncate -s %4 "$work/initrd"
done
printf '%s' "$cmdline" > "$work/cmdline"
printf 'ID=bootrino\nNAME=bootrino\nPRETTY_NAME="bootrino loader"\n' > "$work/osrel"

# the end of the stub's last section (VMA + size, ImageBase included as
# objdump shows it), then each section on the next 4 KiB boundary
end=0
while read -r idx _ size vma _; do
	case $idx in *[!0-9]* | "") continue ;; esac
	[ $((0x$vma + 0x$size)) -le "$end" ] || end=$((0x$vma + 0x$size))
done < <(objdump -h "$stub")
[ "$end" -gt 0 ] || { echo "uki: $stub: no sections" >&2; exit 2; }
align=4096
next() { echo $((($1 + align - 1) / align * align)); }
args=()
at=$(next "$end")
for s in osrel:"$work/osrel" cmdline:"$work/cmdline" linux:"$kernel" initrd:"$work/initrd"; do
	name=${s%%:*} file=${s#*:}
	args+=(--add-section ".$name=$file" --change-section-vma ".$name=$(printf 0x%x "$at")")
	at=$(next $((at + $(stat -L -c %s "$file"))))
done
objcopy "${args[@]}" "$stub" "$work/uki.efi"
mv "$work/uki.efi" "$out"
