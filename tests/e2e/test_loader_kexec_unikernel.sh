#!/bin/bash
# e2e: the loader booted in QEMU fetches the multiboot unikernel from a real
# nginx on the host (bootrino fetch --sha256) and starts it with
# `bootrino kexec --multiboot` (kexec-tools, multiboot-x86); the unikernel
# prints its marker and the command line it was given on COM1, then leaves
# QEMU through isa-debug-exit (status 33).
set -u
. "$BOOTRINO_ROOT/tests/lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/qemu.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/loader.sh"

loader_require
loader_serve unikernel
uh=$(sha "$SERVE_DIR/unikernel/unikernel.elf")
args="hello-from-bootrino answer=42"

cat > "$TAP_TMP/body.sh" <<BODY
set -e
bootrino fetch $SERVE_URL/unikernel/unikernel.elf -o /tmp/unikernel.elf --sha256 $uh
echo TEST-FETCHED
bootrino kexec --multiboot --kernel /tmp/unikernel.elf --cmdline "$args"
BODY

scenario_start
loader_boot kexec-unikernel "$TAP_TMP/body.sh"
expect_serial "loader boots and gets a DHCP lease" TEST-INIT-NET-UP 120
expect_serial "bootrino fetch --sha256 gets the unikernel from nginx" TEST-FETCHED 60
expect_serial "bootrino kexec --multiboot starts the unikernel: its marker on COM1" \
	BOOTRINO-DEMO-UNIKERNEL-UP 60
if expect_serial "the unikernel prints its multiboot command line" "BOOTRINO-DEMO-UNIKERNEL-DONE" 30; then
	line=$(grep -a '^cmdline: ' "$QEMU_SERIAL" | tr -d '\r' | tail -1)
	case $line in
	*"$args"*) ok "the command line given to bootrino kexec reaches the unikernel: $line" ;;
	*) not_ok "the command line given to bootrino kexec reaches the unikernel" "got: $line" ;;
	esac
else
	not_ok "the command line given to bootrino kexec reaches the unikernel" "no output"
fi
# 33 = (0x10 << 1) | 1: the unikernel's own exit, not a crash or a timeout.
if qemu_wait_exit 30 && [ "$QEMU_RC" = 33 ]; then ok "the unikernel leaves QEMU through isa-debug-exit (status 33)"
else not_ok "the unikernel leaves QEMU through isa-debug-exit (status 33)" "status ${QEMU_RC:-none (still running)}"; fi
echo "# scenario loader→kexec→unikernel: $(elapsed)s wall"
qemu_stop
done_testing
