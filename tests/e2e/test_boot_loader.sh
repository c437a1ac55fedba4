#!/bin/bash
# The loader stage in QEMU (TCG): the loader kernel + initramfs booted with
# -kernel/-initrd, `bootrino init` as PID 1 reads bootrino.script= and
# bootrino.pubkey= from the kernel command line, brings eth0 up with DHCP,
# fetches the signed bootrino.sh from nginx on the host's loopback
# (10.0.2.2 from the guest), runs it, fetches + pins tinylinux and kexecs
# it. Negative: a script signed by another key never runs, and init keeps
# retrying instead of exiting (PID 1 must not die).
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/nginx.sh"
. "$(dirname "$0")/lib/qemu.sh"
. "$(dirname "$0")/lib/loader.sh"

IMG=$BOOTRINO_ROOT/build/images
AGENT=${BOOTRINO_STATIC:-$BOOTRINO_ROOT/build/static/bootrino}
for f in "$IMG/loader/vmlinuz" "$IMG/loader/initrd.img" "$IMG/tinylinux/vmlinuz" \
	"$IMG/tinylinux/initrd.img" "$AGENT"; do
	if [ ! -r "$f" ]; then
		not_ok "$f exists" "run: make static images"
		done_testing
		exit 1
	fi
done

T=$TAP_TMP
S=$T/site
mkdir -p "$S/t"
chmod 711 "$T"
cd "$T" || exit 1
cp "$IMG/tinylinux/vmlinuz" "$IMG/tinylinux/initrd.img" "$S/t/"
minisign -G -W -p k.pub -s k.key > /dev/null 2>&1 && minisign -G -W -p o.pub -s o.key > /dev/null 2>&1 ||
	{ not_ok "minisign -G"; done_testing; exit 1; }
K=$(sed -n 2p k.pub)
KO=$(sed -n 2p o.pub)
printf '#!/bin/sh\nset -e\necho "BOOTRINO-SH-RAN stage=$BOOTRINO_STAGE"\nbootrino kernel t/vmlinuz sha256=%s console=ttyS0\nbootrino initrd t/initrd.img sha256=%s\nbootrino boot\n' \
	"$(sha256sum "$S/t/vmlinuz" | cut -c1-64)" "$(sha256sum "$S/t/initrd.img" | cut -c1-64)" > "$S/bootrino.sh"
minisign -S -s k.key -m "$S/bootrino.sh" > /dev/null
nginx_start "$S" || { not_ok "nginx starts"; done_testing; exit 1; }

# The agent under test as /init, appended to the loader's initramfs (a
# later cpio member replaces an earlier one with the same name).
mkdir -p ov
cp "$AGENT" ov/init
(cd ov && echo init | cpio -o -H newc 2> /dev/null) > ov.cpio
# the kernel only takes a cpio that starts 4-byte aligned after a
# compressed archive: pad the loader's initrd first
cp "$IMG/loader/initrd.img" initrd
truncate -s %4 initrd
cat ov.cpio >> initrd

# boot NAME PUBKEY WAIT_REGEX SECONDS: serial log in $T/NAME.log
boot() {
	local name=$1 key=$2 want=$3 secs=$4 qp
	# shellcheck disable=SC2046 # qemu_accel prints several words
	timeout $((secs + 10)) qemu-system-x86_64 $(qemu_accel) -m 768 -nographic -no-reboot \
		-kernel "$IMG/loader/vmlinuz" -initrd initrd \
		-append "console=ttyS0 panic=-1 bootrino.script=$NGINX_URL/${SCRIPT:-bootrino.sh} bootrino.pubkey=$key" \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0 > "$T/$name.log" 2>&1 &
	qp=$!
	START=$(date +%s)
	for _ in $(seq "$secs"); do
		grep -Eq "$want" "$T/$name.log" && break
		kill -0 $qp 2> /dev/null || break
		sleep 1
	done
	ELAPSED=$(($(date +%s) - START))
	kill $qp 2> /dev/null
	wait $qp 2> /dev/null
}
# the guest reaches the host's loopback as 10.0.2.2
NGINX_URL=http://10.0.2.2:$NGINX_PORT

boot good "$K" "BOOTRINO-DEMO-TINYLINUX-HTTP-UP" 150
L=$(cat "$T/good.log")
if grep -q "BOOTRINO-DEMO-TINYLINUX-UP" <<< "$L"; then ok "loader → tinylinux in ${ELAPSED}s"
else not_ok "loader → tinylinux" "$(grep -E 'bootrino|udhcpc' <<< "$L" | tail -30)"; fi
grep -Eq "bootrino: init: eth0 \(.*\): address, routes, MTU from DHCP" <<< "$L" &&
	ok "init: DHCP lease on eth0" || not_ok "init: DHCP lease on eth0" "$(grep 'init: ' <<< "$L")"
grep -q "BOOTRINO-SH-RAN stage=loader" <<< "$L" && ok "bootrino.sh ran with BOOTRINO_STAGE=loader" ||
	not_ok "bootrino.sh ran in the loader"
grep -q "BOOTRINO-FACTS-BEGIN" <<< "$L" && ok "the target got /etc/bootrino/facts.json" ||
	not_ok "the target got facts.json"

# The default takeover path, for real: a shell in the loader (the test
# harness of tests/e2e/lib/loader.sh, standing in for the stock OS) runs
# `bootrino takeover`, which
# verifies <script base>/loader/loader.json, kexecs the loader again with config.json +
# facts.json in the overlay, and that loader's init — whose command line
# names no script — reads config.json and boots tinylinux. Its command line
# makes tty0 /dev/console: init's lines must still reach the serial port.
L2=$S/second/loader
mkdir -p "$L2"
cp "$IMG/loader/vmlinuz" "$L2/vmlinuz"
cp initrd "$L2/initrd.img"
printf '{"kernel": {"url": "vmlinuz", "sha256": "%s"},\n "initrd": [{"url": "initrd.img", "sha256": "%s"}],\n "cmdline": "console=ttyS0 console=tty0 panic=-1"}\n' \
	"$(sha256sum "$L2/vmlinuz" | cut -c1-64)" "$(sha256sum "$L2/initrd.img" | cut -c1-64)" \
	> "$L2/loader.json"
minisign -S -s k.key -m "$L2/loader.json" > /dev/null
# (Not from a bootrino.sh: a script runs in a PID namespace of its own,
# where the kernel refuses reboot(LINUX_REBOOT_CMD_KEXEC).)
printf 'echo "BOOTRINO-TAKEOVER-START"\nexec bootrino takeover --no-install --script %s --pubkey %s\n' \
	"$NGINX_URL/second/bootrino.sh" "$K" > "$T/takeover-body.sh"
sed 's|t/|../t/|g; s/BOOTRINO-SH-RAN/BOOTRINO-SECOND-SH-RAN/' "$S/bootrino.sh" > "$S/second/bootrino.sh"
minisign -S -s k.key -m "$S/second/bootrino.sh" > /dev/null
START=$(date +%s)
loader_boot takeover "$T/takeover-body.sh"
for _ in $(seq 200); do
	grep -aq "BOOTRINO-FACTS-END" "$QEMU_SERIAL" && break
	kill -0 "$QEMU_PID" 2> /dev/null || break
	sleep 1
done
ELAPSED=$(($(date +%s) - START))
qemu_stop
cp "$QEMU_SERIAL" "$T/takeover.log"
L=$(cat "$T/takeover.log")
grep -q "BOOTRINO-TAKEOVER-START" <<< "$L" && ok "takeover started from the first loader" ||
	not_ok "takeover started" "$(grep bootrino <<< "$L" | tail -20)"
grep -q "starting the loader (kexec" <<< "$L" && ok "takeover kexecs the verified loader" ||
	not_ok "takeover kexecs the loader" "$(grep bootrino <<< "$L" | tail -20)"
# twice: takeover's host-side preflight runs it once, the second loader again
[ "$(grep -c "BOOTRINO-SECOND-SH-RAN stage=loader" <<< "$L")" -ge 2 ] &&
	ok "the preflight and then the second loader ran the script named in config.json" ||
	not_ok "second loader read config.json" "$(grep bootrino <<< "$L" | tail -20)"
if grep -q "BOOTRINO-DEMO-TINYLINUX-UP" <<< "$L"; then ok "takeover → loader → tinylinux in ${ELAPSED}s"
else not_ok "takeover → loader → tinylinux" "$(grep -E 'bootrino|BOOTRINO' <<< "$L" | tail -20)"; fi
# facts collected by takeover (netlink in the first loader), carried by the
# second loader into the target
if sed -n '/BOOTRINO-FACTS-BEGIN/,/BOOTRINO-FACTS-END/p' <<< "$L" | grep -q '"10.0.2.15"'; then
	ok "the target's facts.json holds the address takeover saw"
else
	not_ok "facts carried from takeover" "$(sed -n '/BOOTRINO-FACTS-BEGIN/,/BOOTRINO-FACTS-END/p' <<< "$L" | head -40)"
fi

boot badkey "$KO" "init: boot failed \(exit 3\); retrying" 120
L=$(cat "$T/badkey.log")
grep -q "init: boot failed (exit 3); retrying in 300 s" <<< "$L" &&
	ok "untrusted signature: exit 3, init retries (${ELAPSED}s)" ||
	not_ok "untrusted signature: init reports and retries" "$(grep bootrino <<< "$L" | tail -20)"
if grep -q "BOOTRINO-SH-RAN" <<< "$L"; then not_ok "script with an untrusted signature did not run"
else ok "script with an untrusted signature did not run"; fi
if grep -q "Kernel panic" <<< "$L"; then not_ok "PID 1 did not exit (no panic)"; else ok "PID 1 did not exit (no panic)"; fi

# serial logs for post-mortems
mkdir -p "$BOOTRINO_ROOT/${BUILD:-build}/test-results/boot-loader"
cp "$T"/*.log "$BOOTRINO_ROOT/${BUILD:-build}/test-results/boot-loader/" 2> /dev/null
done_testing
