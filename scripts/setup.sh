#!/bin/sh
# Install every Debian package that bootrino's build, tests, images and demo
# need. Idempotent: a second run with everything present only checks.
# Usage: scripts/setup.sh [--force]
set -eu

PKGS="
build-essential pkg-config git file ca-certificates
libcurl4-openssl-dev libssl-dev libarchive-dev libcjson-dev libcmocka-dev
zlib1g-dev liblzma-dev libzstd-dev libbz2-dev
clang libclang-rt-14-dev libfuzzer-14-dev clang-tidy clang-format cppcheck
dpkg-dev cmake autoconf automake libtool
minisign nginx-light openssl curl wget python3 python3-yaml time hyperfine bc
busybox-static kexec-tools cpio xz-utils zstd gzip
qemu-system-x86 qemu-utils ovmf seabios
cloud-image-utils debootstrap dnsmasq-base iproute2 e2fsprogs dosfstools mtools fdisk gdisk
syslinux syslinux-common isolinux grub-pc-bin grub-efi-amd64-bin
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done

# Static builds fetch Debian source packages: they need a deb-src entry.
need_src=1
if grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null ||
   grep -rqs '^deb-src ' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null; then
	need_src=0
fi

if [ -z "$missing" ] && [ "$need_src" = 0 ] && [ "${1:-}" != "--force" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "setup: missing packages:$missing; run as root: sudo $0" >&2
	exit 2
fi

if [ "$need_src" = 1 ]; then
	cat > /etc/apt/sources.list.d/bootrino-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
# Third-party entries on some images are unreachable; the Debian archive is
# what counts, so a partial update is not fatal.
apt-get update -q || echo "setup: apt-get update reported errors; continuing" >&2
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
# nginx-light starts a system instance on port 80; tests run their own.
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now nginx >/dev/null 2>&1 || true
fi
echo "setup: ok"
