#!/bin/bash
# e2e: `bootrino kexec --overlay DIR` in the loader: the files of DIR land in
# tinylinux's root (a newc cpio appended after its initrd). tinylinux prints
# /etc/bootrino/facts.json between markers on ttyS0 and serves it as
# /facts.json; both must match what the loader was given byte for byte.
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

# The overlay travels in the test's extra cpio, as the facts would in the
# loader's own overlay; a nonce proves it is this run's file.
nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
extra=$TAP_TMP/extra
mkdir -p "$extra/test-overlay/etc/bootrino"
printf '{"hostname":"overlay-test","nonce":"%s","network":{"dhcp":true}}\n' "$nonce" \
	> "$extra/test-overlay/etc/bootrino/facts.json"
cp "$extra/test-overlay/etc/bootrino/facts.json" "$TAP_TMP/facts.want"

cat > "$TAP_TMP/body.sh" <<BODY
set -e
bootrino fetch $url/vmlinuz -o /tmp/vmlinuz --sha256 $kh
bootrino fetch $url/initrd.img -o /tmp/initrd.img --sha256 $ih
echo TEST-FETCHED
bootrino kexec --kernel /tmp/vmlinuz --initrd /tmp/initrd.img --overlay /test-overlay \
	--cmdline "console=ttyS0 quiet"
BODY

scenario_start
loader_boot kexec-overlay "$TAP_TMP/body.sh" "$extra"
expect_serial "loader boots and gets a DHCP lease" TEST-INIT-NET-UP 120
expect_serial "bootrino fetch --sha256 gets tinylinux from nginx" TEST-FETCHED 120
expect_serial "bootrino kexec --overlay starts tinylinux" BOOTRINO-DEMO-TINYLINUX-UP 120
if expect_serial "tinylinux finds /etc/bootrino/facts.json" BOOTRINO-FACTS-END 60; then
	sed -n '/BOOTRINO-FACTS-BEGIN/,/BOOTRINO-FACTS-END/p' "$QEMU_SERIAL" | tr -d '\r' |
		sed '1d;$d' > "$TAP_TMP/facts.serial"
	if cmp -s "$TAP_TMP/facts.want" "$TAP_TMP/facts.serial"; then
		ok "the overlay's facts.json is printed on ttyS0 as given (nonce $nonce)"
	else
		not_ok "the overlay's facts.json is printed on ttyS0 as given" \
			"want: $(cat "$TAP_TMP/facts.want")
got:  $(cat "$TAP_TMP/facts.serial")"
	fi
else
	not_ok "the overlay's facts.json is printed on ttyS0 as given" \
		"$(grep -a 'BOOTRINO-FACTS' "$QEMU_SERIAL")"
fi
if expect_serial "tinylinux serves HTTP" BOOTRINO-DEMO-TINYLINUX-HTTP-UP 90; then
	curl -s --max-time 20 -o "$TAP_TMP/facts.http" "http://127.0.0.1:$QEMU_HTTP_PORT/facts.json"
	if cmp -s "$TAP_TMP/facts.want" "$TAP_TMP/facts.http"; then
		ok "GET /facts.json from tinylinux returns the overlay's file"
	else
		not_ok "GET /facts.json from tinylinux returns the overlay's file" "got: $(head -c 300 "$TAP_TMP/facts.http")"
	fi
	page=$(curl -s --max-time 20 "http://127.0.0.1:$QEMU_HTTP_PORT/")
	case $page in
	*"Host overlay-test,"*) ok "tinylinux takes its hostname from the facts" ;;
	*) not_ok "tinylinux takes its hostname from the facts" "got: $page" ;;
	esac
else
	not_ok "GET /facts.json from tinylinux returns the overlay's file" "httpd not up"
	not_ok "tinylinux takes its hostname from the facts" "httpd not up"
fi
echo "# scenario loader→kexec --overlay→tinylinux: $(elapsed)s wall"
qemu_stop
done_testing
