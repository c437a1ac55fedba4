#!/bin/sh
# Download and unpack the Debian packages the images are made of, without
# root-only steps: `apt-get download` into a cache directory, `dpkg-deb -x`
# into one directory per package. The kernel package is the one behind the
# metapackage linux-image-cloud-amd64 (resolved with apt-cache depends), so a
# security update of the archive moves the images to the new kernel.
#
# usage: images/fetch-debs.sh IMAGES_DIR
#   IMAGES_DIR/debs/*.deb          download cache (kept: a rerun downloads nothing)
#   IMAGES_DIR/root/kernel/        linux-image-*-cloud-amd64 unpacked (+ KVER file)
#   IMAGES_DIR/root/busybox/       busybox-static unpacked
#   IMAGES_DIR/root/ca/            ca-certificates unpacked
set -eu
out=$1
debs=$out/debs
root=$out/root
mkdir -p "$debs"

kpkg=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/^ *Depends: *\(linux-image-[0-9].*\)$/\1/p' | head -1)
[ -n "$kpkg" ] || { echo "fetch-debs: cannot resolve linux-image-cloud-amd64 (apt-get update?)" >&2; exit 1; }

# A package is downloaded once: the cache holds PKG_*.deb.
get() {
	pkg=$1
	if ! ls "$debs/${pkg}"_*.deb >/dev/null 2>&1; then
		(cd "$debs" && apt-get download "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
		ls "$debs/${pkg}"_*.deb >/dev/null 2>&1 || { echo "fetch-debs: apt-get download $pkg failed" >&2; exit 1; }
	fi
	ls "$debs/${pkg}"_*.deb | tail -1
}

# Unpack into a temporary directory, then rename: an interrupted run never
# leaves a half-unpacked tree that looks complete.
unpack() {
	deb=$1 dir=$2
	if [ ! -f "$dir/.deb" ] || [ "$(cat "$dir/.deb")" != "$(basename "$deb")" ]; then
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp"
		dpkg-deb -x "$deb" "$dir.tmp"
		basename "$deb" > "$dir.tmp/.deb"
		mv "$dir.tmp" "$dir"
	fi
}

unpack "$(get "$kpkg")" "$root/kernel"
unpack "$(get busybox-static)" "$root/busybox"
unpack "$(get ca-certificates)" "$root/ca"

kver=$(ls "$root/kernel/lib/modules" | head -1)
echo "$kver" > "$root/kernel/KVER.tmp"
if cmp -s "$root/kernel/KVER.tmp" "$root/kernel/KVER" 2>/dev/null; then
	rm -f "$root/kernel/KVER.tmp"
else
	mv "$root/kernel/KVER.tmp" "$root/kernel/KVER"
fi
echo "fetch-debs: kernel $kver ($kpkg), $(basename "$(get busybox-static)"), $(basename "$(get ca-certificates)")"
