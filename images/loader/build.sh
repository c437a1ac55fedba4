#!/bin/bash
# The loader: Debian's cloud kernel + an initramfs whose /init is the static
# bootrino (argv[0] "init" makes it run as `bootrino init`).
#
# usage: images/loader/build.sh OUTDIR ROOTS BOOTRINO KEXEC
#   ROOTS      the packages unpacked by images/fetch-debs.sh (IMAGES_DIR/root)
#   BOOTRINO   the static agent (build/static/bootrino)
#   KEXEC      the static kexec-tools (build/static/kexec)
# writes OUTDIR/vmlinuz, OUTDIR/initrd.img (compressed with $COMPRESS).
set -euo pipefail
out=$1 roots=$2 bootrino=$3 kexec=$4
here=$(cd "$(dirname "$0")" && pwd)
STAGE_LIB=$here/../lib
. "$STAGE_LIB/stage.sh"

kver=$(cat "$roots/kernel/KVER")
stage='' # stage_new sets it
stage_new "$out" "$roots/busybox"

install -m 0755 "$bootrino" "$stage/init"
# On PATH for bootrino.sh (argv[0] "bootrino": the ordinary subcommands).
ln -s /init "$stage/bin/bootrino"
install -m 0755 "$kexec" "$stage/sbin/kexec"

# The bundle update-ca-certificates would build: every certificate the
# package enables by default, concatenated.
mkdir -p "$stage/etc/ssl/certs"
find "$roots/ca/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat \
	> "$stage/etc/ssl/certs/ca-certificates.crt"

# Cloud NICs and disks (AWS: ena, nvme, xen-*; GCP: gve, virtio-net,
# virtio-scsi, nvme; DigitalOcean and QEMU: virtio), the ESP's vfat, the
# state partition's ext4. Built-in ones (nvme, ext4 on Debian's cloud
# config) are satisfied by the kernel.
stage_modules "$stage" "$roots/kernel" \
	virtio_pci virtio_net virtio_blk virtio_scsi sd_mod \
	ena gve xen-netfront xen-blkfront \
	vfat nls_cp437 nls_iso8859-1 nls_utf8 ext4 \
	--optional nvme virtio_rng

# What this loader is made of (no date: the same inputs give the same image).
cat > "$stage/etc/bootrino-loader" <<INFO
kernel $kver
busybox $(cat "$roots/busybox/.deb")
ca-certificates $(cat "$roots/ca/.deb")
bootrino sha256 $(sha256sum < "$bootrino" | cut -d' ' -f1)
kexec sha256 $(sha256sum < "$kexec" | cut -d' ' -f1)
INFO

install -m 0644 "$roots/kernel/boot/vmlinuz-$kver" "$out/vmlinuz.tmp.$$"
mv "$out/vmlinuz.tmp.$$" "$out/vmlinuz"
stage_cpio "$stage" "$out/initrd.img"
echo "loader: kernel $kver, initrd.img $(stat -c %s "$out/initrd.img") bytes (${COMPRESS:-zstd}), $(wc -l < "$stage/lib/modules/$kver/bootrino.modules") modules"
