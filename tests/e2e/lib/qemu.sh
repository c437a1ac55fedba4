# shellcheck shell=bash disable=SC2034
# QEMU helpers for the e2e tests: source tests/lib/tap.sh first.
#
#   qemu_start NAME [QEMU ARGS…]   boot a guest in the background: TCG (KVM only
#                                  with BOOTRINO_KVM=1), $QEMU_MEM MiB (1024),
#                                  no display, serial → $TAP_TMP/NAME.serial,
#                                  user-mode network (the guest reaches the
#                                  host's 127.0.0.1 at 10.0.2.2) with the
#                                  guest's port 80 forwarded to
#                                  127.0.0.1:$QEMU_HTTP_PORT, isa-debug-exit.
#                                  Sets QEMU_PID, QEMU_SERIAL, QEMU_HTTP_PORT.
#   wait_for_serial MARKER SECS    wait until the serial log holds MARKER (a
#                                  fixed string); on timeout or QEMU exit,
#                                  prints the last serial lines and fails.
#   serial_tail [N]                the last N serial lines, as TAP comments
#   qemu_wait_exit SECS            wait for QEMU to exit; sets QEMU_RC
#   qemu_stop                      kill QEMU (also done at test exit); keeps
#                                  the serial log as
#                                  build/test-results/serial/NAME.log
#   elapsed                        seconds since the scenario started
#                                  (scenario_start resets it)
#   mk_cpio DIR OUT                a root-owned newc archive of DIR
#   expect_serial NAME MARKER SECS one TAP line: ok when MARKER shows up in
#                                  time (with the elapsed time); after a
#                                  failed expect_serial the later ones fail
#                                  at once ("earlier step failed") so one
#                                  broken boot is reported once
#
# QEMU never touches anything but the files named here and loopback: user
# networking NATs the guest's connections to host sockets.

QEMU_BIN=${QEMU_BIN:-qemu-system-x86_64}
QEMU_MEM=${QEMU_MEM:-1024}
QEMU_PID=
_qemu_t0=$(date +%s.%N)
# tests/run.sh stops a test that overruns with SIGTERM: turn signals into
# an exit so the EXIT trap (qemu_stop, nginx stop) runs.
trap 'exit 143' TERM
trap 'exit 130' INT

scenario_start() { _qemu_t0=$(date +%s.%N); }
elapsed() { printf '%.1f' "$(echo "$(date +%s.%N) - $_qemu_t0" | bc)"; }

# shellcheck source=tests/lib/accel.sh
. "$BOOTRINO_ROOT/tests/lib/accel.sh"

qemu_start() {
	local name=$1; shift
	QEMU_SERIAL=$TAP_TMP/$name.serial
	QEMU_HTTP_PORT=$(free_port)
	: > "$QEMU_SERIAL"
	# timeout: a last bound even if this shell dies without its traps
	# (it passes SIGTERM on to QEMU and keeps QEMU's exit status).
	# shellcheck disable=SC2046
	timeout -k 5 "${QEMU_TIMEOUT:-900}" $QEMU_BIN $(qemu_accel) -m "$QEMU_MEM" -smp 1 \
		-display none -vga none -monitor none -no-reboot \
		-serial "file:$QEMU_SERIAL" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$QEMU_HTTP_PORT-:80" \
		-device virtio-net-pci,netdev=n0 \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		"$@" > "$TAP_TMP/$name.qemu.log" 2>&1 &
	QEMU_PID=$!
	tap_on_exit "qemu_stop"
}

# The serial log of every guest is kept (the scratch dir is not) for a
# look after the fact: build/test-results/serial/NAME.log.
qemu_keep_serial() {
	local keep=$BOOTRINO_ROOT/${BUILD:-build}/test-results/serial
	[ -n "${QEMU_SERIAL:-}" ] && [ -f "$QEMU_SERIAL" ] || return 0
	mkdir -p "$keep" && cp "$QEMU_SERIAL" "$keep/$(basename "$QEMU_SERIAL" .serial).log"
}

qemu_stop() {
	qemu_keep_serial
	if [ -n "$QEMU_PID" ]; then
		kill "$QEMU_PID" 2>/dev/null
		local _
		for _ in $(seq 50); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$QEMU_PID" 2>/dev/null
		wait "$QEMU_PID" 2>/dev/null
		QEMU_PID=
	fi
	return 0
}

serial_tail() {
	tail -n "${1:-25}" "$QEMU_SERIAL" 2>/dev/null | tr -d '\r' | sed 's/^/#   serial: /'
}

# Fixed-string search: markers hold characters grep would treat as regex.
wait_for_serial() {
	local marker=$1 secs=$2 deadline
	deadline=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		grep -qF -- "$marker" "$QEMU_SERIAL" 2>/dev/null && return 0
		if [ -n "$QEMU_PID" ] && ! kill -0 "$QEMU_PID" 2>/dev/null; then
			grep -qF -- "$marker" "$QEMU_SERIAL" 2>/dev/null && return 0
			echo "# QEMU exited before '$marker' appeared on the serial console"
			sed 's/^/#   qemu: /' "$TAP_TMP"/*.qemu.log 2>/dev/null | tail -5
			serial_tail 25
			return 1
		fi
		sleep 0.5
	done
	echo "# no '$marker' on the serial console within ${secs}s"
	serial_tail 25
	return 1
}

qemu_wait_exit() {
	local secs=$1 deadline
	deadline=$(( $(date +%s) + secs ))
	QEMU_RC=
	while [ "$(date +%s)" -lt "$deadline" ]; do
		if ! kill -0 "$QEMU_PID" 2>/dev/null; then
			wait "$QEMU_PID"; QEMU_RC=$?; QEMU_PID=
			return 0
		fi
		sleep 0.2
	done
	return 1
}

mk_cpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc --owner 0:0 --reproducible) > "$2"
}

_qemu_broken=
expect_serial() {
	local name=$1 marker=$2 secs=$3 out
	if [ -n "$_qemu_broken" ]; then
		not_ok "$name" "not reached: '$_qemu_broken' failed first"
		return 1
	fi
	if out=$(wait_for_serial "$marker" "$secs"); then
		ok "$name ($(elapsed)s)"
	else
		_qemu_broken=$name
		not_ok "$name" "$(printf '%s\n' "$out" | sed 's/^# *//')"
		return 1
	fi
}
