#!/bin/bash
# e2e: the whole published path. scripts/publish makes a site (agent,
# loader + signed loader.json, tinylinux, signed bootrino.sh); a real nginx
# serves it; the loader boots in QEMU with its real /init (`bootrino init`)
# configured only by the kernel command line (bootrino.script=,
# bootrino.pubkey=), fetches and verifies bootrino.sh, runs it and kexecs
# tinylinux, whose page is then fetched from the host.
set -u
. "$BOOTRINO_ROOT/tests/lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/qemu.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/loader.sh"

loader_require
chmod 0755 "$TAP_TMP" # nginx's workers run as nobody
key=$TAP_TMP/key/test.key
mkdir -p "$TAP_TMP/key"
minisign -G -W -s "$key" -p "$TAP_TMP/key/test.pub" > /dev/null
site=$TAP_TMP/site
if out=$("$BOOTRINO_ROOT/scripts/publish" "$site" --key "$key" --target tinylinux \
	--images "$IMAGES" --agent "$BOOTRINO_ROOT/build/static/bootrino" \
	--cmdline "console=ttyS0 quiet" --file "/etc/bootrino/hostname=published-host" 2>&1); then
	ok "scripts/publish makes the site"
else
	not_ok "scripts/publish makes the site" "$out"; done_testing; exit 1
fi
pub=$(sed -n 2p "$TAP_TMP/key/test.pub")
case $out in
*"public key:   $pub"*) ok "publish prints the public key" ;;
*) not_ok "publish prints the public key" "$out" ;;
esac
agent_sha=$(sha "$site/bootrino")
case $out in
*"agent sha256: $agent_sha"*) ok "publish prints the agent's sha256" ;;
*) not_ok "publish prints the agent's sha256" "$out" ;;
esac
check "bootrino.sh.minisig verifies with minisign -V" \
	minisign -V -p "$TAP_TMP/key/test.pub" -m "$site/bootrino.sh"
check "loader.json.minisig verifies with minisign -V" \
	minisign -V -p "$TAP_TMP/key/test.pub" -m "$site/loader/loader.json"
check "loader.json pins the published loader" sh -c "
	grep -q '\"sha256\": \"$(sha "$site/loader/vmlinuz")\"' '$site/loader/loader.json' &&
	grep -q '\"sha256\": \"$(sha "$site/loader/initrd.img")\"' '$site/loader/loader.json'"
chmod -R a+rX "$site"
nginx_start "$site" || { not_ok "nginx starts"; done_testing; exit 1; }

scenario_start
qemu_start publish-boot -kernel "$site/loader/vmlinuz" -initrd "$site/loader/initrd.img" \
	-append "console=ttyS0 bootrino.script=http://10.0.2.2:$NGINX_PORT/bootrino.sh bootrino.pubkey=$pub panic=-1"
expect_serial "the loader's bootrino init verifies and runs bootrino.sh, kexecs tinylinux" \
	BOOTRINO-DEMO-TINYLINUX-UP 180
expect_serial "tinylinux finds the facts the loader carried" BOOTRINO-FACTS-END 60
if expect_serial "tinylinux serves HTTP" BOOTRINO-DEMO-TINYLINUX-HTTP-UP 90; then
	page=$(curl -s --max-time 20 "http://127.0.0.1:$QEMU_HTTP_PORT/")
	case $page in
	*"bootrino demo tinylinux v1"*"published-host"*) ok "the published tinylinux serves its page, hostname from bootrino.sh's file verb" ;;
	*) not_ok "the published tinylinux serves its page, hostname from bootrino.sh's file verb" "got: $page" ;;
	esac
else
	not_ok "the published tinylinux serves its page, hostname from bootrino.sh's file verb" "httpd not up"
fi
echo "# scenario publish → loader (bootrino init) → tinylinux: $(elapsed)s wall"
qemu_stop

# The same with the unikernel: bootrino.sh's multiboot verb, its arguments
# reaching the unikernel's multiboot command line. Published into the same
# site (a redeploy): the new bootrino.sh replaces the old one.
if out=$("$BOOTRINO_ROOT/scripts/publish" "$site" --key "$key" --target unikernel \
	--images "$IMAGES" --agent "$BOOTRINO_ROOT/build/static/bootrino" \
	--cmdline "published-unikernel arg=1" 2>&1); then
	ok "scripts/publish --target unikernel republishes the site"
else
	not_ok "scripts/publish --target unikernel republishes the site" "$out"
fi
chmod -R a+rX "$site"
_qemu_broken=
scenario_start
qemu_start publish-boot-unikernel -kernel "$site/loader/vmlinuz" -initrd "$site/loader/initrd.img" \
	-append "console=ttyS0 bootrino.script=http://10.0.2.2:$NGINX_PORT/bootrino.sh bootrino.pubkey=$pub panic=-1"
if expect_serial "bootrino init boots the published unikernel" BOOTRINO-DEMO-UNIKERNEL-DONE 180; then
	line=$(grep -a '^cmdline: ' "$QEMU_SERIAL" | tr -d '\r' | tail -1)
	case $line in
	*"published-unikernel arg=1"*) ok "bootrino.sh's multiboot arguments reach the unikernel: $line" ;;
	*) not_ok "bootrino.sh's multiboot arguments reach the unikernel" "got: $line" ;;
	esac
else
	not_ok "bootrino.sh's multiboot arguments reach the unikernel" "no output"
fi
echo "# scenario publish → loader (bootrino init) → unikernel: $(elapsed)s wall"
qemu_stop
done_testing
