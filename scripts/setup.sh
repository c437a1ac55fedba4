#!/bin/sh
# Install the Debian packages a part of bootrino needs, by set:
#   build   `make`: compile and link the agent
#   images  `make static`, `make images`, the stock guest: static
#           dependencies from Debian source packages (and a deb-src entry),
#           kernel/initrd packages, QEMU and firmware
#   demo    `make demo`: images, plus nginx and minisign to publish and serve
#   test    `make check` and every suite, `make tidy`, `make fuzz`, `make bench`
#   all     every set (the default)
# Each set includes the ones it needs (images ⊃ build, demo ⊃ images,
# test ⊃ demo). Idempotent: a second run with everything present only
# checks; not root and something missing: says what, exits 2.
# Usage: scripts/setup.sh [build|images|demo|test|all] [--force]
set -eu

BUILD_PKGS="
build-essential pkg-config git file ca-certificates
libcurl4-openssl-dev libssl-dev libarchive-dev libcjson-dev
"
IMAGES_PKGS="
dpkg-dev cmake autoconf automake libtool
zlib1g-dev liblzma-dev libzstd-dev libbz2-dev
busybox-static kexec-tools cpio xz-utils zstd gzip python3
qemu-system-x86 qemu-utils ovmf seabios
cloud-image-utils debootstrap dnsmasq-base iproute2 e2fsprogs dosfstools mtools fdisk gdisk
syslinux syslinux-common isolinux grub-pc-bin grub-efi-amd64-bin systemd-boot-efi binutils
"
DEMO_PKGS="
minisign nginx-light openssl curl
"
TEST_PKGS="
libcmocka-dev clang libclang-rt-14-dev libfuzzer-14-dev
clang-tidy clang-format cppcheck shellcheck
wget python3-yaml time hyperfine bc
"

set_name=all
force=
for arg in "$@"; do
	case $arg in
	build | images | demo | test | all) set_name=$arg ;;
	--force) force=1 ;;
	*)
		echo "usage: $0 [build|images|demo|test|all] [--force]" >&2
		exit 2
		;;
	esac
done
case $set_name in
build) PKGS=$BUILD_PKGS ;;
images) PKGS="$BUILD_PKGS $IMAGES_PKGS" ;;
demo) PKGS="$BUILD_PKGS $IMAGES_PKGS $DEMO_PKGS" ;;
test | all) PKGS="$BUILD_PKGS $IMAGES_PKGS $DEMO_PKGS $TEST_PKGS" ;;
esac

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done

# Static builds fetch Debian source packages: they need a deb-src entry.
need_src=1
if [ "$set_name" = build ] ||
   grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null ||
   grep -rqs '^deb-src ' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null; then
	need_src=0
fi

if [ -z "$missing" ] && [ "$need_src" = 0 ] && [ -z "$force" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "setup ($set_name): missing packages:$missing; run as root: sudo $0 $set_name" >&2
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
echo "setup ($set_name): ok"
