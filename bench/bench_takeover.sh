#!/bin/bash
# Benchmark: the stock Debian 12 cloud guest (real cloud-init) taken over by
# the default path (host → loader → target) and by `takeover --direct`,
# next to the floor measured in the same run: QEMU booting the target
# (tinylinux) directly with -kernel/-initrd, plus the time the loader took
# to download the target's artifacts through the same user-mode network.
#
#   bench/bench_takeover.sh                 3 rounds (BENCH_ROUNDS=N)
#   BENCH_SHUTDOWN="orderly force immediate" bench/bench_takeover.sh
#       also compares how the stock OS is left before kexec (the agent's
#       BOOTRINO_KEXEC_SHUTDOWN, set in the user-data for those rounds)
#
# Each figure is user-data start (the agent download line on the serial
# console) → the target's marker, read by polling the serial log every
# 0.1 s; medians over the rounds, ratios against the floor. The per-stage
# breakdown comes from the agent's own "stages:" lines on the console
# (their time stamps count from the takeover's start, carried across kexec).
# TCG unless BOOTRINO_KVM=1. Needs root (the guest runs in its own network
# namespace) and `make static images`.
set -u
cd "$(dirname "$0")/.." || exit 1
export BOOTRINO_ROOT=$PWD BOOTRINO=$PWD/build/bootrino
. tests/lib/tap.sh
. tests/lib/nginx.sh
. tests/e2e/guest/takeover-lib.sh
. tests/lib/accel.sh

rounds=${BENCH_ROUNDS:-3}
shutdowns=${BENCH_SHUTDOWN:-}
results=$TAP_TMP/results
: > "$results"

fail() { echo "bench_takeover: $*" >&2; exit 1; }
# the figures are read to a tenth of a second
wait_fast() { wait_for "$1" "$2" "$3" 0.1; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "nan"}'; }

takeover_setup > "$TAP_TMP/setup.tap" || fail "setup: $(cat "$TAP_TMP/setup.tap")"

# one takeover: NAME [userdata args…]; records "NAME SECONDS" and keeps
# the serial log's stage lines
takeover_round() {
	local name=$1 t_ud t_up
	shift
	takeover_userdata "$TAP_TMP/$name.ud" "$@" || fail "$name: bootrino userdata"
	# the shutdown variant under test reaches the guest's agent through
	# its environment (agent/kexec_shutdown.c)
	[ -n "${SHUTDOWN:-}" ] &&
		sed -i "s/^set -- takeover /export BOOTRINO_KEXEC_SHUTDOWN=$SHUTDOWN; &/" "$TAP_TMP/$name.ud"
	guest_boot "$name" "$TAP_TMP/$name.ud"
	wait_fast "$SERIAL" "bootrino-userdata: fetching the agent" "$GUEST_TIMEOUT" ||
		fail "$name: the user-data never ran (serial: $SERIAL)"
	t_ud=$(now)
	wait_fast "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-UP" 600 ||
		fail "$name: no target marker (last lines: $(tail -5 "$SERIAL"))"
	t_up=$(now)
	echo "${name%%-r*} $(secs "$t_ud" "$t_up")" >> "$results"
	grep -aE 'stages:' "$SERIAL" | tr -d '\r' | sed "s/^/#   $name: /"
	grep -aoE 'artifacts [0-9.]+s' "$SERIAL" | head -1 | sed "s/^/dl-${name%%-r*} /; s/artifacts //; s/s$//" >> "$results"
	guest_stop
}

floor_round() {
	local name=$1 serial=$TAP_TMP/$1.serial t0 t1 pid
	: > "$serial"
	t0=$(now)
	# shellcheck disable=SC2046 # qemu_accel prints several words
	unshare -n sh -c 'ip link set lo up && exec "$@"' sh \
		timeout -k 5 300 qemu-system-x86_64 $(qemu_accel) -m 1024 -smp 1 \
		-nodefaults -display none -no-reboot \
		-kernel build/images/tinylinux/vmlinuz -initrd build/images/tinylinux/initrd.img \
		-append "console=ttyS0 panic=-1" -netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
		-serial "file:$serial" > /dev/null 2>&1 &
	pid=$!
	wait_fast "$serial" "BOOTRINO-DEMO-TINYLINUX-UP" 300 || { kill "$pid"; fail "$name: tinylinux never came up"; }
	t1=$(now)
	kill "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	echo "boot-floor $(secs "$t0" "$t1")" >> "$results"
}

for r in $(seq "$rounds"); do
	echo "# round $r/$rounds"
	floor_round "floor-r$r"
	takeover_round "default-r$r"
	takeover_round "direct-r$r" --direct
	takeover_round "ram-r$r" --no-install
	for how in $shutdowns; do
		SHUTDOWN=$how takeover_round "default-$how-r$r"
	done
done

m() { awk -v k="$1" '$1 == k {print $2}' "$results" | median; }
boot=$(m boot-floor) dl=$(m dl-default)
floor=$(echo "$boot + ${dl:-0}" | bc)
def=$(m default) dir=$(m direct) ram=$(m ram)
printf '# medians of %d rounds (user-data start → target marker, TCG)\n' "$rounds"
printf '%-34s %8ss\n' "floor: QEMU boots tinylinux" "$boot"
printf '%-34s %8ss\n' "  + its download (loader's stage)" "${dl:-?}"
printf '%-34s %8ss\n' "floor" "$floor"
printf '%-34s %8ss  %5.2fx floor  %+.1fs\n' "takeover --direct" "$dir" \
	"$(echo "$dir / $floor" | bc -l)" "$(echo "$dir - $floor" | bc -l)"
printf '%-34s %8ss  %5.2fx floor  %+.1fs vs --direct\n' "takeover --no-install (via loader)" "$ram" \
	"$(echo "$ram / $floor" | bc -l)" "$(echo "$ram - $dir" | bc -l)"
printf '%-34s %8ss  %5.2fx floor  %+.1fs vs --direct\n' "takeover (default: loader + install)" "$def" \
	"$(echo "$def / $floor" | bc -l)" "$(echo "$def - $dir" | bc -l)"
for how in $shutdowns; do
	v=$(m "default-$how")
	printf '%-34s %8ss  %+.1fs vs default\n' "  shutdown=$how" "$v" "$(echo "$v - $def" | bc -l)"
done
