#!/bin/bash
# Boot the stock-cloud guest (build-guest.sh) under QEMU with a user-data
# file, as a cloud would: a throw-away copy-on-write overlay over the
# cached disk, a NoCloud seed (cloud-localds) as the second drive, the
# serial console in a log.
#
#   boot-guest.sh --user-data FILE --serial LOG [--forward PORT]...
#                 [--forward GUESTPORT:HOSTPORT]...
#                 [--hostfwd HOSTPORT:GUESTPORT]... [--timeout SECONDS]
#                 [--pidfile FILE] [--workdir DIR] [--guest-dir DIR] [--mem MiB]
#                 [--netns PID --tap IFNAME[,MAC]...] [--network-config FILE]
#                 [--ifnames] [--disk QCOW2] [--firmware bios|uefi] [--nvme]
#                 [--extra-disk RAW] [--kernel FILE --initrd FILE --append TEXT]
#
# --disk boots that disk (an earlier run's WORKDIR/overlay.qcow2) instead of
# a fresh overlay; --firmware boots it through SeaBIOS or OVMF from its own
# boot loader (no -kernel): what a cloud does after bootrino installed itself
# (tests/e2e/test_install.sh). --user-data is optional with --disk. --nvme
# attaches that disk as an NVMe controller (serial bootrino-nvme0; with
# --firmware first in the boot order: SeaBIOS boots only the first hard
# disk it numbers, and without bootindex that is the virtio seed; with
# -kernel, QEMU's linuxboot ROM holds bootindex 0) and boots the stock OS
# with root=/dev/nvme0n1p1. --extra-disk attaches one
# more (raw) virtio disk after the others: a disk takeover must not touch.
# --kernel/--initrd/--append boot that kernel with QEMU's -kernel instead of
# the stock guest's (bench/bench_boot.sh: the loader next to the firmware
# boots of the same disk).
#
# Networking is QEMU user mode, and the guest reaches nothing but the host
# ports named with --forward, as 10.0.2.2:PORT (relayed to 127.0.0.1:PORT),
# so no traffic ever leaves this machine: QEMU runs in a network namespace
# of its own holding only a loopback, so slirp's NAT has nowhere to go, and
# each guestfwd relay steps back into the host's namespace (nsenter) to
# reach 127.0.0.1:PORT. Unlike slirp's restrict=on (the fallback where
# namespaces are not allowed), DHCP still hands out a router, as a cloud's
# does. --hostfwd HOSTPORT:GUESTPORT listens on 127.0.0.1:HOSTPORT inside
# QEMU's namespace: reach it with
#   nsenter --net=/proc/$(cat WORKDIR/netns.pid)/ns/net curl http://127.0.0.1:HOSTPORT/
# (guest-curl.sh WORKDIR URL does that). TCG unless BOOTRINO_KVM=1.
# With --pidfile QEMU runs in the background (killed after --timeout
# anyway, default 600 s) and the script returns at once; otherwise it
# waits for QEMU to exit.
#
# A cloud's own network instead of user mode (tests/e2e/test_net_*.sh):
# --netns PID runs QEMU in the network namespace of PID (one of the
# test's own, never the host's), and each --tap IFNAME[,MAC] gives the
# guest a virtio NIC on the tap device IFNAME, which the test created in
# that namespace (`ip tuntap add IFNAME mode tap`) with whatever DHCP
# server, addresses and routes the shape needs; MAC defaults to QEMU's.
# --forward and --hostfwd are user-mode options and refused with --netns.
# --network-config FILE puts a NoCloud network-config (v1/v2) on the seed,
# as a cloud's datasource would hand it to cloud-init. --ifnames keeps the
# kernel's and udev's predictable interface names (ens3, …) instead of
# net.ifnames=0's eth0: the loader and the target name links eth0, eth1, …
# and must match them by MAC address, never by name.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root_dir=$(cd "$here/../../.." && pwd)
# BOOTRINO_GUEST_DIR: another stock OS (build-guest.sh --suite trixie)
guest_dir=${BOOTRINO_GUEST_DIR:-$root_dir/build/guest}
user_data='' serial='' pidfile='' workdir='' timeout_s=600 mem=1024 disk='' firmware='' nvme=0 extra_disk=''
kernel='' initrd='' append=''
forwards=() hostfwds=() taps=() netns='' network_config='' ifnames="net.ifnames=0"

die() { printf 'boot-guest: error: %s\n' "$*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--user-data) user_data=$2; shift 2 ;;
	--serial) serial=$2; shift 2 ;;
	--forward) forwards+=("$2"); shift 2 ;;
	--hostfwd) hostfwds+=("$2"); shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--pidfile) pidfile=$2; shift 2 ;;
	--workdir) workdir=$2; shift 2 ;;
	--guest-dir) guest_dir=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--netns) netns=$2; shift 2 ;;
	--tap) taps+=("$2"); shift 2 ;;
	--network-config) network_config=$2; shift 2 ;;
	--ifnames) ifnames=''; shift ;;
	--disk) disk=$2; shift 2 ;;
	--firmware) firmware=$2; shift 2 ;;
	--nvme) nvme=1; shift ;;
	--extra-disk) extra_disk=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	*) die "unknown option $1" ;;
	esac
done
[ -n "$disk" ] || { [ -n "$user_data" ] && [ -f "$user_data" ]; } || die "--user-data FILE is required"
case $firmware in "" | bios | uefi) ;; *) die "--firmware: bios or uefi" ;; esac
[ -n "$serial" ] || die "--serial LOG is required"
if [ -n "$netns" ]; then
	case $netns in *[!0-9]* | "") die "--netns wants a process id, got '$netns'" ;; esac
	[ -e "/proc/$netns/ns/net" ] || die "--netns $netns: no such process"
	[ "$(readlink "/proc/$netns/ns/net")" != "$(readlink /proc/self/ns/net)" ] ||
		die "--netns $netns: that is this shell's own namespace, not a test's"
	[ "${#taps[@]}" -gt 0 ] || die "--netns wants at least one --tap IFNAME"
	[ "${#forwards[@]}" = 0 ] && [ "${#hostfwds[@]}" = 0 ] ||
		die "--forward/--hostfwd are user-mode networking: not with --netns"
elif [ "${#taps[@]}" -gt 0 ]; then
	die "--tap needs --netns PID (the namespace holding the tap device)"
fi
[ -z "$network_config" ] || [ -f "$network_config" ] ||
	die "--network-config $network_config: no such file"
for f in disk.img vmlinuz initrd.img; do
	[ -f "$guest_dir/$f" ] || die "$guest_dir/$f missing: run tests/e2e/guest/build-guest.sh"
done
for tool in qemu-system-x86_64 qemu-img cloud-localds python3; do
	command -v "$tool" > /dev/null || die "$tool not found (scripts/setup.sh installs it)"
done
[ -n "$workdir" ] || workdir=$(mktemp -d "${TMPDIR:-/tmp}/bootrino-guest.XXXXXX")
mkdir -p "$workdir"

# A fresh instance every boot: new overlay, new instance-id.
if [ -z "$disk" ]; then
	disk=$workdir/overlay.qcow2
	qemu-img create -q -f qcow2 -b "$guest_dir/disk.img" -F raw "$disk"
fi
[ -n "$user_data" ] || { user_data=$workdir/no-user-data; echo '#!/bin/sh' > "$user_data"; }
iid=iid-bootrino-$(date +%s)-$$
printf 'instance-id: %s\nlocal-hostname: stock-guest\n' "$iid" > "$workdir/meta-data"
cloud-localds ${network_config:+--network-config="$network_config"} \
	"$workdir/seed.img" "$user_data" "$workdir/meta-data" || die "cloud-localds failed"

# The host alias moves to .254 so that 10.0.2.2 (where tests expect the
# host) is free for the guestfwd relays.
isolate=1
unshare -n true 2> /dev/null && command -v nsenter > /dev/null || isolate=0
nics=()
if [ -n "$netns" ]; then
	isolate=0
	i=0
	for t in "${taps[@]}"; do
		ifname=${t%%,*} mac=''
		[ "$ifname" != "$t" ] && mac=${t#*,}
		nics+=(-netdev "tap,id=n$i,ifname=$ifname,script=no,downscript=no"
			-device "virtio-net-pci,netdev=n$i${mac:+,mac=$mac}")
		i=$((i + 1))
	done
elif [ "$isolate" = 1 ]; then
	# a process in the host's namespace for the relays to nsenter into
	sleep "$((timeout_s + 30))" > /dev/null 2>&1 &
	anchor=$!
	echo "$anchor" > "$workdir/anchor.pid"
	netdev="user,id=n0,host=10.0.2.254"
	relay="nsenter --net=/proc/$anchor/ns/net python3 $here/relay.py 127.0.0.1"
else
	netdev="user,id=n0,restrict=on,host=10.0.2.254"
	relay="python3 $here/relay.py 127.0.0.1"
fi
for p in ${forwards[@]+"${forwards[@]}"}; do
	# PORT, or GUESTPORT:HOSTPORT (a cached disk keeps the URL it was
	# installed with while the host's server gets a new port each run)
	gp=${p%%:*} hp=${p##*:}
	case $gp$hp in *[!0-9]* | "") die "--forward wants PORT or GUESTPORT:HOSTPORT, got '$p'" ;; esac
	netdev+=",guestfwd=tcp:10.0.2.2:$gp-cmd:$relay $hp"
done
for h in ${hostfwds[@]+"${hostfwds[@]}"}; do
	netdev+=",hostfwd=tcp:127.0.0.1:${h%%:*}-:${h##*:}"
done
# shellcheck disable=SC2054 # commas separate qemu suboptions
[ -n "$netns" ] || nics=(-netdev "$netdev" -device virtio-net-pci,netdev=n0)
# shellcheck source=tests/lib/accel.sh
. "$here/../../lib/accel.sh"
read -ra accel <<< "$(qemu_accel)"

: > "$serial"
rootdev=/dev/vda1 disk_opts=(-drive "file=$disk,format=qcow2,if=virtio")
if [ "$nvme" = 1 ]; then
	rootdev=/dev/nvme0n1p1
	# shellcheck disable=SC2054 # commas separate qemu suboptions
	disk_opts=(-drive "file=$disk,format=qcow2,if=none,id=d0"
		-device "nvme,serial=bootrino-nvme0,drive=d0${firmware:+,bootindex=0}")
fi
extra_opts=()
[ -z "$extra_disk" ] || extra_opts=(-drive "file=$extra_disk,format=raw,if=virtio")
boot=(-kernel "$guest_dir/vmlinuz" -initrd "$guest_dir/initrd.img"
	-append "root=$rootdev ro console=ttyS0 $ifnames panic=-1")
[ -z "$kernel" ] || [ -z "$firmware" ] || die "--kernel and --firmware exclude each other"
[ -z "$kernel" ] || boot=(-kernel "$kernel" -initrd "$initrd" -append "$append")
case $firmware in
bios) boot=() ;;
uefi)
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$workdir/OVMF_VARS.fd"
	# shellcheck disable=SC2054 # commas separate qemu suboptions
	boot=(-drive "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
		-drive "if=pflash,format=raw,file=$workdir/OVMF_VARS.fd")
	;;
esac
# shellcheck disable=SC2054 # commas separate qemu suboptions, not array elements
qemu=(qemu-system-x86_64 "${accel[@]}" -m "$mem" -smp 1
	-nodefaults -display none -no-reboot ${boot[@]+"${boot[@]}"} "${disk_opts[@]}"
	-drive "file=$workdir/seed.img,format=raw,if=virtio,readonly=on"
	${extra_opts[@]+"${extra_opts[@]}"}
	"${nics[@]}"
	-serial "file:$serial")
run=(timeout -k 5 "$timeout_s" "${qemu[@]}")
if [ -n "$netns" ]; then
	# nsenter execs: $! is timeout's pid, in the test's namespace
	run=(nsenter --net="/proc/$netns/ns/net" "${run[@]}")
elif [ "$isolate" = 1 ]; then
	# unshare and sh exec: $! is timeout's pid, in the new namespace
	run=(unshare -n sh -c 'ip link set lo up && exec "$@"' sh "${run[@]}")
fi
printf '%s\n' "$(date +%s.%N)" > "$workdir/poweron"
if [ -n "$pidfile" ]; then
	"${run[@]}" > "$workdir/qemu.log" 2>&1 &
	echo $! > "$pidfile"
	echo $! > "$workdir/netns.pid"
	if [ "$isolate" = 1 ]; then
		qpid=$!
		(while kill -0 "$qpid" 2> /dev/null; do sleep 2; done; kill "$anchor") > /dev/null 2>&1 &
	fi
else
	rc=0
	"${run[@]}" || rc=$?
	[ "$isolate" = 1 ] && kill "$anchor" 2> /dev/null
	exit "$rc"
fi
