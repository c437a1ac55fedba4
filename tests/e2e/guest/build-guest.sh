#!/bin/bash
# Build a Debian "stock cloud instance" for the e2e tests: debootstrap +
# Debian's cloud kernel + cloud-init (NoCloud), as a raw disk image made
# without loop mounts (mkfs.ext4 -d, an MBR written by sfdisk on a file).
#
#   tests/e2e/guest/build-guest.sh [--suite bookworm|trixie] [OUTDIR]
#
# bookworm (Debian 12, the default; OUTDIR build/guest): ifupdown and
# isc-dhcp-client, /etc/resolv.conf written by dhclient — Debian's own
# cloud images of that release. trixie (Debian 13; OUTDIR
# build/guest-trixie): netplan.io rendering to systemd-networkd and
# systemd-resolved with its stub at 127.0.0.53 — the stack of Ubuntu's
# cloud images (docs/networking.md says what differs).
#
# Produces OUTDIR/disk.img (MBR, ext4 root at 1 MiB), OUTDIR/vmlinuz,
# OUTDIR/initrd.img and OUTDIR/.stamp. Cached per recipe: when the stamp
# matches this script's checksum and the suite nothing is done. Needs root
# (debootstrap, chroot) and deb.debian.org (BOOTRINO_GUEST_MIRROR
# overrides). Every step is bounded by a timeout and names itself when it
# fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root_dir=$(cd "$here/../../.." && pwd)
suite=bookworm
if [ "${1:-}" = --suite ]; then
	suite=${2:-}
	shift 2 || true
fi
case $suite in
bookworm)
	default_out=$root_dir/build/guest
	packages="ifupdown isc-dhcp-client python3-cffi-backend"
	;;
trixie)
	default_out=$root_dir/build/guest-trixie
	# systemd-networkd is part of systemd; netplan.io renders cloud-init's
	# network config for it, as on Ubuntu.
	packages="netplan.io systemd-resolved"
	;;
*)
	printf 'build-guest: error: --suite: bookworm or trixie, not "%s"\n' "$suite" >&2
	exit 2
	;;
esac
out=${1:-$default_out}
mirror=${BOOTRINO_GUEST_MIRROR:-http://deb.debian.org/debian}
disk_size=3G
recipe=$(cat "$0" - <<< "$suite" | cksum | cut -d' ' -f1)
stamp=$out/.stamp

say() { printf 'build-guest: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

cached() {
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$recipe" ] &&
		[ -f "$out/disk.img" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]
}
if cached; then
	say "cached: $out (recipe $recipe)"
	exit 0
fi
mkdir -p "$out"
# Several tests may ask at once: one builds, the others wait for it.
exec 9> "$out/.lock"
flock -w 1800 9 || die "timed out waiting for another build of $out"
if cached; then
	say "cached: $out (built meanwhile)"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "needs root (debootstrap and chroot)"
for tool in debootstrap mkfs.ext4 sfdisk chroot timeout flock; do
	command -v "$tool" > /dev/null || die "$tool not found (scripts/setup.sh installs it)"
done

mkdir -p "$out"
work=$out/work
rootfs=$work/rootfs
# A previous run may have died with /proc still mounted in the chroot.
cleanup() {
	local m
	for m in "$rootfs/proc" "$rootfs/sys" "$rootfs/dev/pts" "$rootfs/dev"; do
		mountpoint -q "$m" 2> /dev/null && umount -l "$m" || true
	done
}
trap cleanup EXIT
cleanup
rm -rf "$work" "$stamp"
mkdir -p "$work"
t0=$(date +%s)
step() { say "[$(($(date +%s) - t0))s] $*"; }

# Everything that runs inside the chroot (debootstrap's second stage, the
# packages' maintainer scripts) gets a clean, explicit environment: a
# variable of the caller's (TMPDIR pointing into the host's tree, a proxy,
# LD_PRELOAD, a locale the chroot lacks) must not change how the guest is
# built. `make demo` once leaked TMPDIR=build/demo into ca-certificates'
# postinst, which then failed because that directory is not in the chroot.
clean_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb
	DEBIAN_FRONTEND=noninteractive)

step "debootstrap $suite (minbase + cloud kernel) from $mirror"
timeout 900 "${clean_env[@]}" debootstrap --variant=minbase \
	--include=systemd-sysv,udev,initramfs-tools,linux-image-cloud-amd64 \
	"$suite" "$rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 ||
	{ tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log: $work/debootstrap.log)"; }

step "apt-get install cloud-init and friends in the chroot"
mount -t proc proc "$rootfs/proc"
mount -t sysfs sys "$rootfs/sys"
mount --bind /dev "$rootfs/dev"
# No daemons started inside the chroot.
printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
chmod +x "$rootfs/usr/sbin/policy-rc.d"
echo "deb $mirror $suite main" > "$rootfs/etc/apt/sources.list"
chr() { timeout 900 "${clean_env[@]}" chroot "$rootfs" "$@"; }
# shellcheck disable=SC2086 # $packages is a word list
{
	chr apt-get update &&
		chr apt-get install -y --no-install-recommends cloud-init $packages \
			curl ca-certificates netbase wget &&
		chr apt-get clean
} > "$work/apt.log" 2>&1 ||
	{ tail -20 "$work/apt.log" >&2; die "apt-get in the chroot failed (log: $work/apt.log)"; }
rm -f "$rootfs/usr/sbin/policy-rc.d"

step "configure: fstab, serial console, NoCloud datasource"
echo "/dev/vda1 / ext4 defaults,errors=remount-ro 0 1" > "$rootfs/etc/fstab"
echo "stock-guest" > "$rootfs/etc/hostname"
# Only NoCloud is probed: no 2-minute wait for EC2/GCE endpoints that
# are not there. The e2e seed is a cloud-localds drive (label cidata).
cat > "$rootfs/etc/cloud/cloud.cfg.d/90-bootrino-e2e.cfg" << 'CFG'
datasource_list: [ NoCloud, None ]
# Nothing here uses them, and under TCG each costs seconds.
locale: false
ssh_genkeytypes: []
CFG
if [ "$suite" = trixie ]; then
	# As Ubuntu's images: cloud-init writes netplan YAML, netplan renders
	# it for systemd-networkd, names resolve through resolved's stub.
	cat >> "$rootfs/etc/cloud/cloud.cfg.d/90-bootrino-e2e.cfg" << 'CFG'
system_info:
  network:
    renderers: [netplan]
    activators: [netplan]
CFG
	chr systemctl enable systemd-networkd.service systemd-resolved.service \
		> "$work/enable.log" 2>&1 || die "systemctl enable networkd/resolved failed"
	ln -sf ../run/systemd/resolve/stub-resolv.conf "$rootfs/etc/resolv.conf"
fi
# Serial login for debugging (root, no password) on the console.
sed -i 's/^root:[^:]*:/root::/' "$rootfs/etc/shadow"
mkdir -p "$rootfs/etc/systemd/system/serial-getty@ttyS0.service.d"
cat > "$rootfs/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" << 'CFG'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
CFG
# Boot faster under TCG: nothing here needs these.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
	fstrim.timer; do
	ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
# The image must not carry a machine-id: each boot is a new instance.
: > "$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"

kernel=$(ls "$rootfs"/boot/vmlinuz-* 2> /dev/null | sort -V | tail -1)
initrd=$(ls "$rootfs"/boot/initrd.img-* 2> /dev/null | sort -V | tail -1)
[ -n "$kernel" ] && [ -n "$initrd" ] || die "no kernel/initrd in $rootfs/boot"
cleanup

step "disk image: mkfs.ext4 -d ($disk_size), MBR at 1 MiB"
timeout 600 mkfs.ext4 -q -F -L rootfs -d "$rootfs" "$work/root.ext4" "$disk_size" ||
	die "mkfs.ext4 -d failed"
rm -f "$work/disk.img"
truncate -s "$(($(stat -c %s "$work/root.ext4") + (1 << 20)))" "$work/disk.img"
echo 'label: dos
start=2048, type=83, bootable' | sfdisk -q "$work/disk.img" || die "sfdisk failed"
dd if="$work/root.ext4" of="$work/disk.img" bs=1M seek=1 conv=notrunc,sparse status=none ||
	die "dd of the filesystem into the disk image failed"

cp "$kernel" "$work/vmlinuz"
cp "$initrd" "$work/initrd.img"
mv "$work/disk.img" "$out/disk.img"
mv "$work/vmlinuz" "$out/vmlinuz"
mv "$work/initrd.img" "$out/initrd.img"
cp "$work/debootstrap.log" "$work/apt.log" "$out/" 2> /dev/null || true
rm -rf "$work"
echo "$recipe" > "$stamp"
step "done: $out/disk.img ($(du -h "$out/disk.img" | cut -f1) used), kernel $(basename "$kernel")"
