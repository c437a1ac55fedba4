# shellcheck shell=bash disable=SC2034
# Boot the real loader image (build/images/loader) in QEMU and drive it with
# a test script instead of `bootrino init`: source tests/lib/tap.sh and
# tests/e2e/lib/qemu.sh first.
#
#   loader_require                 fail the test unless the images exist
#   loader_boot NAME BODY [DIR]    boot the loader with -kernel/-initrd; the
#                                  initrd is the loader's initrd.img followed
#                                  by a small cpio holding /test-init, BODY (a
#                                  busybox sh script, run as /test-body.sh
#                                  once the network is up) and DIR's files;
#                                  the kernel runs rdinit=/test-init.
#
# /test-init does what `bootrino init` would (mounts, the modules of
# /lib/modules/<kver>/bootrino.modules in order, DHCP) so that each step is
# the image's own: the loader's busybox, modules, udhcpc hook and its /init
# binary called through /bin/bootrino. It prints TEST-INIT-NET-UP, runs the
# body, prints "TEST-BODY-RC=<status>" and powers the guest off (a body
# that kexecs never returns).

IMAGES=${BOOTRINO_IMAGES:-$BOOTRINO_ROOT/build/images}

loader_require() {
	local f missing=
	for f in loader/vmlinuz loader/initrd.img tinylinux/vmlinuz tinylinux/initrd.img \
		unikernel/unikernel.elf; do
		[ -s "$IMAGES/$f" ] || missing="$missing $f"
	done
	if [ -n "$missing" ]; then
		not_ok "images present in $IMAGES" "missing:$missing (run: make images)"
		done_testing
		exit 1
	fi
}

loader_boot() {
	local name=$1 body=$2 extra=${3:-} dir=$TAP_TMP/$1.extra
	rm -rf "$dir"; mkdir -p "$dir"
	[ -n "$extra" ] && cp -a "$extra"/. "$dir"/
	cat > "$dir/test-init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
echo "TEST-INIT-START $(cat /proc/uptime)"
kdir=/lib/modules/$(uname -r)
n=0
while read -r m; do
	[ -n "$m" ] || continue
	insmod "$kdir/$m" || echo "TEST-INIT-INSMOD-FAILED $m"
	n=$((n + 1))
done < "$kdir/bootrino.modules"
echo "TEST-INIT-MODULES $n"
ip link set lo up
for i in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
udhcpc -i eth0 -s /usr/share/udhcpc/default.script -q -n -t 10 -T 2 || echo "TEST-INIT-DHCP-FAILED"
echo "TEST-INIT-NET-UP $(cat /proc/uptime)"
sh -x /test-body.sh
echo "TEST-BODY-RC=$?"
sync
poweroff -f
INIT
	chmod 0755 "$dir/test-init"
	install -m 0755 "$body" "$dir/test-body.sh"
	mk_cpio "$dir" "$TAP_TMP/$name.extra.cpio"
	# The kernel looks for the next archive at a 4-byte boundary (zeros
	# between archives are skipped): pad the compressed one.
	cp "$IMAGES/loader/initrd.img" "$TAP_TMP/$name.initrd"
	truncate -s %4 "$TAP_TMP/$name.initrd"
	cat "$TAP_TMP/$name.extra.cpio" >> "$TAP_TMP/$name.initrd"
	qemu_start "$name" -kernel "$IMAGES/loader/vmlinuz" -initrd "$TAP_TMP/$name.initrd" \
		-append "console=ttyS0 rdinit=/test-init panic=-1"
}

# loader_serve SUBDIR…: copy $IMAGES/SUBDIR into a docroot served by a real
# nginx on 127.0.0.1; sets SERVE_URL (as the guest sees it: 10.0.2.2) and
# SERVE_DIR. Fails the test when nginx does not start.
loader_serve() {
	local d
	SERVE_DIR=$TAP_TMP/www
	mkdir -p "$SERVE_DIR"
	chmod 0755 "$TAP_TMP" # nginx's workers run as nobody
	for d in "$@"; do cp -a "$IMAGES/$d" "$SERVE_DIR/"; done
	rm -rf "$SERVE_DIR"/*/stage "$SERVE_DIR"/*/obj
	chmod -R a+rX "$SERVE_DIR"
	if ! nginx_start "$SERVE_DIR"; then
		not_ok "nginx starts"; done_testing; exit 1
	fi
	SERVE_URL=http://10.0.2.2:$NGINX_PORT
}

# sha FILE: its sha256 (hex)
sha() { sha256sum < "$1" | cut -d' ' -f1; }
