#!/bin/bash
# e2e: the loader (build/images/loader) booted in QEMU with -kernel/-initrd
# fetches tinylinux over HTTP from a real nginx on the host (bootrino fetch
# --sha256, through user-mode networking at 10.0.2.2) and kexecs into it
# with `bootrino kexec`; tinylinux prints its marker and its page is fetched
# from the host through the forwarded port.
set -u
. "$BOOTRINO_ROOT/tests/lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/qemu.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/loader.sh"

loader_require
loader_serve tinylinux
url=$SERVE_URL/tinylinux
kh=$(sha "$SERVE_DIR/tinylinux/vmlinuz")
ih=$(sha "$SERVE_DIR/tinylinux/initrd.img")

cat > "$TAP_TMP/body.sh" <<BODY
set -e
bootrino fetch $url/vmlinuz -o /tmp/vmlinuz --sha256 $kh
bootrino fetch $url/initrd.img -o /tmp/initrd.img --sha256 $ih
echo TEST-FETCHED
bootrino kexec --kernel /tmp/vmlinuz --initrd /tmp/initrd.img --cmdline "console=ttyS0 quiet"
BODY

scenario_start
loader_boot kexec-tinylinux "$TAP_TMP/body.sh"
expect_serial "loader boots, loads its modules, gets a DHCP lease" TEST-INIT-NET-UP 120
# xen-netfront/xen-blkfront refuse to load (ENODEV) outside Xen: expected.
bad=$(grep -a TEST-INIT-INSMOD-FAILED "$QEMU_SERIAL" | grep -v '/xen-')
if [ -z "$bad" ] && grep -aq 'TEST-INIT-MODULES' "$QEMU_SERIAL"; then
	ok "the modules of bootrino.modules load in order ($(grep -ao 'TEST-INIT-MODULES [0-9]*' "$QEMU_SERIAL"))"
else not_ok "the modules of bootrino.modules load in order" "$bad"; fi
expect_serial "bootrino fetch --sha256 gets tinylinux from nginx" TEST-FETCHED 120
expect_serial "bootrino kexec starts tinylinux: its marker on ttyS0" BOOTRINO-DEMO-TINYLINUX-UP 120
if expect_serial "tinylinux brings up DHCP and httpd" BOOTRINO-DEMO-TINYLINUX-HTTP-UP 90; then
	page=$(curl -s --max-time 20 "http://127.0.0.1:$QEMU_HTTP_PORT/")
	case $page in
	*"bootrino demo tinylinux v1"*) ok "tinylinux's page is served through the forwarded port ($(elapsed)s)" ;;
	*) not_ok "tinylinux's page is served through the forwarded port" "got: $page" ;;
	esac
else
	not_ok "tinylinux's page is served through the forwarded port" "httpd not up"
fi
echo "# scenario loader→kexec→tinylinux: $(elapsed)s wall"
qemu_stop
done_testing
