#!/bin/bash
# tinylinux: Debian's cloud kernel + a busybox initramfs whose /init prints
# BOOTRINO-DEMO-TINYLINUX-UP, runs DHCP, prints the carried facts and serves
# "bootrino demo tinylinux VERSION" with busybox httpd on port 80.
#
# usage: images/tinylinux/build.sh OUTDIR ROOTS [VERSION]
#   ROOTS    the packages unpacked by images/fetch-debs.sh (IMAGES_DIR/root)
#   VERSION  named by the page and the marker (default v1); the rolling
#            deploy tests build a v2 into another OUTDIR
set -euo pipefail
out=$1 roots=$2 version=${3:-v1}
here=$(cd "$(dirname "$0")" && pwd)
STAGE_LIB=$here/../lib
. "$STAGE_LIB/stage.sh"

case $version in *[!A-Za-z0-9._-]*|"") echo "tinylinux: bad version '$version'" >&2; exit 2 ;; esac
kver=$(cat "$roots/kernel/KVER")
stage='' # stage_new sets it
stage_new "$out" "$roots/busybox"
install -m 0755 "$here/init" "$stage/init"
# the carried network (/etc/bootrino/network) for links DHCP left alone
install -D -m 0755 "$STAGE_LIB/net-apply.sh" "$stage/usr/share/bootrino/net-apply"
mkdir -p "$stage/www" "$stage/etc/bootrino"
install -m 0644 "$here/index.html" "$stage/www/index.html"
echo "$version" > "$stage/etc/tinylinux-version"
# Only the NICs: a demo that runs from RAM needs no disk drivers.
stage_modules "$stage" "$roots/kernel" virtio_pci virtio_net virtio_blk \
	--optional ena gve xen-netfront virtio_scsi sd_mod xen-blkfront nvme

install -m 0644 "$roots/kernel/boot/vmlinuz-$kver" "$out/vmlinuz.tmp.$$"
mv "$out/vmlinuz.tmp.$$" "$out/vmlinuz"
stage_cpio "$stage" "$out/initrd.img"
echo "tinylinux $version: kernel $kver, initrd.img $(stat -c %s "$out/initrd.img") bytes (${COMPRESS:-zstd})"
