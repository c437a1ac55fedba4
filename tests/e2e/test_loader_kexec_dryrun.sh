#!/bin/bash
# e2e: inside the loader (QEMU), `bootrino kexec` refuses corrupt kernels:
# --dry-run and a real load both exit 5 with one line naming the file and
# the reason, and nothing is loaded (/sys/kernel/kexec_loaded stays 0).
# A good kernel passes --dry-run, and still nothing is loaded.
set -u
. "$BOOTRINO_ROOT/tests/lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/qemu.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/loader.sh"

loader_require
loader_serve tinylinux
url=$SERVE_URL/tinylinux
kh=$(sha "$SERVE_DIR/tinylinux/vmlinuz")

# Corrupt kernels travel in the test's cpio: the bzImage magic overwritten,
# random bytes, and a bzImage cut short of what its header announces.
extra=$TAP_TMP/extra
mkdir -p "$extra/bad"
head -c 2000000 "$IMAGES/tinylinux/vmlinuz" > "$extra/bad/nomagic"
printf 'XXXX' | dd of="$extra/bad/nomagic" bs=1 seek=$((0x202)) conv=notrunc 2>/dev/null
head -c 1000000 /dev/urandom > "$extra/bad/random"
head -c 3000000 "$IMAGES/tinylinux/vmlinuz" > "$extra/bad/truncated"
cp "$IMAGES/tinylinux/initrd.img" "$extra/bad/initrd.img"

# run TAG ARGS…: one line per outcome, greppable from the serial log.
cat > "$TAP_TMP/body.sh" <<BODY
run() {
	tag=\$1; shift
	bootrino kexec "\$@" > /tmp/out 2> /tmp/err
	echo "TEST-\$tag-RC=\$? LOADED=\$(cat /sys/kernel/kexec_loaded) STDERR_LINES=\$(wc -l < /tmp/err)"
	sed "s/^/TEST-\$tag-ERR: /" /tmp/err
	sed "s/^/TEST-\$tag-OUT: /" /tmp/out
}
echo "TEST-START LOADED=\$(cat /sys/kernel/kexec_loaded)"
run DRY-NOMAGIC --dry-run --kernel /bad/nomagic --initrd /bad/initrd.img --cmdline console=ttyS0
run DRY-RANDOM --dry-run --kernel /bad/random --initrd /bad/initrd.img
run DRY-TRUNC --dry-run --kernel /bad/truncated --initrd /bad/initrd.img
run LOAD-NOMAGIC --load-only --kernel /bad/nomagic --initrd /bad/initrd.img
run LOAD-TRUNC --load-only --kernel /bad/truncated --initrd /bad/initrd.img
bootrino fetch $url/vmlinuz -o /tmp/vmlinuz --sha256 $kh && echo TEST-FETCHED
run DRY-GOOD --dry-run --kernel /tmp/vmlinuz --initrd /bad/initrd.img --cmdline console=ttyS0
echo TEST-DONE
BODY

scenario_start
loader_boot kexec-dryrun "$TAP_TMP/body.sh" "$extra"
expect_serial "loader boots and gets a DHCP lease" TEST-INIT-NET-UP 120
expect_serial "the scenario runs to its end" TEST-DONE 120
if grep -aq 'TEST-START LOADED=0' "$QEMU_SERIAL"; then ok "nothing is loaded before the scenario"
else not_ok "nothing is loaded before the scenario" "$(grep -a TEST-START "$QEMU_SERIAL")"; fi

# check_refused TAG FILE WHY: exit 5, nothing loaded, one stderr line that
# names the file and says why.
check_refused() {
	local tag=$1 file=$2 why=$3 res err
	res=$(grep -a "^TEST-$tag-RC=" "$QEMU_SERIAL" | tr -d '\r')
	err=$(grep -a "^TEST-$tag-ERR: " "$QEMU_SERIAL" | tr -d '\r' | sed "s/^TEST-$tag-ERR: //")
	if [ "$res" = "TEST-$tag-RC=5 LOADED=0 STDERR_LINES=1" ]; then
		ok "$tag: exit 5, nothing loaded, one line"
	else
		not_ok "$tag: exit 5, nothing loaded, one line" "got: ${res:-nothing}
$err"
	fi
	case $err in
	*"$file"*"$why"*) ok "$tag: the line names $file and says '$why': $err" ;;
	*) not_ok "$tag: the line names $file and says '$why'" "got: $err" ;;
	esac
}
check_refused DRY-NOMAGIC /bad/nomagic "not a bzImage"
check_refused DRY-RANDOM /bad/random "not a bzImage"
check_refused DRY-TRUNC /bad/truncated "truncated"
check_refused LOAD-NOMAGIC /bad/nomagic "not a bzImage"
check_refused LOAD-TRUNC /bad/truncated "truncated"

if grep -aq '^TEST-DRY-GOOD-RC=0 LOADED=0 STDERR_LINES=0' "$QEMU_SERIAL" &&
	grep -aq '^TEST-DRY-GOOD-OUT: .*nothing was loaded' "$QEMU_SERIAL"; then
	ok "a good kernel passes --dry-run and is not loaded either"
else
	not_ok "a good kernel passes --dry-run and is not loaded either" \
		"$(grep -a 'TEST-DRY-GOOD\|TEST-FETCHED' "$QEMU_SERIAL" | tr -d '\r')"
fi
echo "# scenario loader: kexec --dry-run / --load-only with corrupt kernels: $(elapsed)s wall"
qemu_stop
done_testing
