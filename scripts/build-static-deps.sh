#!/bin/sh
# Build the static libraries bootrino links in `make static`, from Debian
# source packages, with only the features bootrino uses:
#
#   libcurl      HTTP/HTTPS + file://, OpenSSL TLS, threaded resolver
#   libarchive   raw/tar/cpio formats; gzip (zlib), xz (liblzma), zstd filters
#   cJSON        cJSON.c only
#   kexec-tools  a static `kexec` binary for the loader (multiboot-x86 too)
#
# OpenSSL, zlib, liblzma and libzstd are not rebuilt: Debian's -dev packages
# ship static archives of them (libssl.a, libz.a, ...), linked as they are.
#
# Layout (everything under build/deps/, git-ignored):
#   src/       the downloaded source packages (.dsc + tarballs)
#   work/PKG   a fresh unpacked tree per build, removed on success
#   prefix/    include/, lib/*.a, sbin/kexec
#   stamp/PKG  written last, only on success: "VERSION RECIPE-CHECKSUM"
#   log/PKG.log    the last build's output
#   versions.txt   "PKG VERSION" of every dependency built
#
# A dependency whose stamp matches its recipe is skipped, so a second run does
# nothing; an interrupted run leaves no stamp and starts that package over.
# The source version is whatever `apt-get source` offers the first time (the
# bookworm candidate); it stays pinned by the downloaded .dsc afterwards.
#
# Usage: scripts/build-static-deps.sh [DEPS_DIR]   (default: build/deps)
set -eu
# When make runs this, its flags (jobserver, command-line variables such as
# BUILD=… or CC=…) are meant for bootrino's Makefile, not for curl's or
# kexec-tools'.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

root=$(cd "$(dirname "$0")/.." && pwd)
deps=${1:-$root/build/deps}
case $deps in /*) ;; *) deps=$(pwd)/$deps ;; esac
src=$deps/src
work=$deps/work
prefix=$deps/prefix
stamps=$deps/stamp
logs=$deps/log
jobs=${JOBS:-2}
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
syslib=/usr/lib/$multiarch

# Position-independent, hardened, and one section per function so the final
# static link can drop whatever bootrino does not call (-Wl,--gc-sections).
DEP_CFLAGS="-O2 -fPIE -fstack-protector-strong -D_FORTIFY_SOURCE=2 -ffunction-sections -fdata-sections"

die() { echo "build-static-deps: error: $*" >&2; exit 1; }
say() { echo "build-static-deps: $*" >&2; }

need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
			die "'$tool' not found; run scripts/setup.sh (as root) first"
	done
}
need apt-get dpkg-source gcc ar make cmake strip

for lib in libssl.a libcrypto.a libz.a liblzma.a libzstd.a; do
	[ -f "$syslib/$lib" ] ||
		die "$syslib/$lib missing (libssl-dev zlib1g-dev liblzma-dev libzstd-dev); run scripts/setup.sh"
done

mkdir -p "$src" "$work" "$prefix/include" "$prefix/lib" "$prefix/sbin" "$stamps" "$logs"

# Several people and test runs share one tree: a second run waits for the
# first (and then finds its stamps current) instead of unpacking over it.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$deps/.lock"
	if ! flock -n 9; then
		say "waiting for another build-static-deps run ($deps/.lock)"
		flock 9
	fi
fi

# newest_dsc PKG: the newest downloaded .dsc of PKG in src/, or nothing.
newest_dsc() {
	for f in "$src/$1"_*.dsc; do
		[ -f "$f" ] && echo "$f"
	done | sort -V | tail -n 1
}

# fetch_source PKG: download the Debian source package once into src/ and
# print the path of its .dsc.
fetch_source() {
	pkg=$1
	dsc=$(newest_dsc "$pkg")
	if [ -z "$dsc" ]; then
		say "$pkg: apt-get source --download-only $pkg"
		if ! (cd "$src" && apt-get source -q --download-only "$pkg" >&2); then
			die "$pkg: apt-get source failed (is there a deb-src entry? see scripts/setup.sh)"
		fi
		dsc=$(newest_dsc "$pkg")
		[ -n "$dsc" ] || die "$pkg: no .dsc in $src after apt-get source"
	fi
	echo "$dsc"
}

dsc_version() { sed -n 's/^Version: *//p' "$1" | head -n 1; }

# unpack DSC DIR: a fresh patched tree in DIR/tree (dpkg-source applies
# Debian's patches and drops copies of the tarballs next to the tree).
unpack() {
	rm -rf "$2"
	mkdir -p "$2"
	(cd "$2" && dpkg-source --no-check -x "$1" tree >/dev/null) ||
		die "dpkg-source -x $1 failed"
}

# recipe_sum FUNCTION: checksum of the common flags and of the recipe
# function's text, so editing a package's flags rebuilds that package and
# nothing else.
recipe_sum() {
	{ echo "$DEP_CFLAGS"; sed -n "/^$1()/,/^}/p" "$0"; } | cksum | cut -d' ' -f1
}

# ---------------------------------------------------------------------------
# Recipes: build_PKG TREE STAGE runs in a subshell with set -e and installs
# into STAGE/{include,lib,sbin}; dep() copies STAGE into prefix/ afterwards.

build_curl() {
	cd "$1"
	# HTTP(S) and file:// only; every other protocol, auth and encoding
	# library off. zlib off too: bootrino hashes the bytes as served, it
	# never asks for Content-Encoding.
	./configure -q --disable-shared --enable-static --with-pic \
		--prefix="$prefix" \
		--with-openssl --enable-threaded-resolver \
		--disable-ldap --disable-ldaps --disable-ftp --disable-dict \
		--disable-gopher --disable-imap --disable-pop3 --disable-smtp \
		--disable-telnet --disable-tftp --disable-rtsp --disable-mqtt \
		--disable-smb --disable-manual --disable-ntlm --disable-ntlm-wb \
		--disable-cookies --disable-mime --disable-netrc --disable-alt-svc \
		--disable-hsts --disable-doh --disable-websockets \
		--disable-libcurl-option \
		--without-libpsl --without-nghttp2 --without-nghttp3 \
		--without-ngtcp2 --without-libidn2 --without-brotli \
		--without-zstd --without-zlib --without-librtmp \
		--without-libssh2 --without-libssh --without-gssapi \
		--without-hyper \
		CFLAGS="$DEP_CFLAGS"
	make -s -j"$jobs" -C lib
	mkdir -p "$2/include/curl"
	cp include/curl/*.h "$2/include/curl/"
	cp lib/.libs/libcurl.a "$2/lib/"
}

build_libarchive() {
	mkdir "$1/_build"
	cd "$1/_build"
	# Debian's patched autotools tree wants autoreconf; its CMake build
	# works as is (docs/static-build.md). Formats are all compiled in; only the
	# filter libraries are chosen here.
	cmake .. -G "Unix Makefiles" \
		-DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_FLAGS_RELEASE="$DEP_CFLAGS -DNDEBUG" \
		-DCMAKE_POSITION_INDEPENDENT_CODE=ON \
		-DBUILD_SHARED_LIBS=OFF \
		-DENABLE_ZLIB=ON -DENABLE_LZMA=ON -DENABLE_ZSTD=ON \
		-DENABLE_BZip2=OFF -DENABLE_LZ4=OFF -DENABLE_LZO=OFF \
		-DENABLE_LIBB2=OFF -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF \
		-DENABLE_NETTLE=OFF -DENABLE_CNG=OFF -DENABLE_LIBXML2=OFF \
		-DENABLE_EXPAT=OFF -DENABLE_PCREPOSIX=OFF -DENABLE_LIBGCC=OFF \
		-DENABLE_XATTR=OFF -DENABLE_ACL=OFF -DENABLE_ICONV=OFF \
		-DENABLE_TAR=OFF -DENABLE_CPIO=OFF -DENABLE_CAT=OFF \
		-DENABLE_TEST=OFF -DENABLE_COVERAGE=OFF -DENABLE_WERROR=OFF
	make -s -j"$jobs" archive_static
	cp libarchive/libarchive.a "$2/lib/"
	cp ../libarchive/archive.h ../libarchive/archive_entry.h "$2/include/"
}

build_cjson() {
	cd "$1"
	# shellcheck disable=SC2086 # DEP_CFLAGS is a list of flags
	gcc $DEP_CFLAGS -std=c89 -c cJSON.c -o cJSON.o
	rm -f libcjson.a
	ar rcs libcjson.a cJSON.o
	mkdir -p "$2/include/cjson"
	cp cJSON.h "$2/include/cjson/"
	cp libcjson.a "$2/lib/"
}

build_kexec_tools() {
	cd "$1"
	# No Xen, no compressed kernels through kexec-tools (bootrino hands it
	# plain images; bzImage decompresses itself).
	./configure -q --without-xen --without-lzma --without-zlib \
		CFLAGS="-O2" LDFLAGS=-static
	make -s -j"$jobs" build/sbin/kexec
	strip -o "$2/sbin/kexec" build/sbin/kexec
	"$2/sbin/kexec" --help 2>&1 | grep -qx multiboot-x86 ||
		die "kexec-tools: built kexec lacks --type multiboot-x86"
}

# ---------------------------------------------------------------------------

# publish STAGE: copy a finished build into prefix/. `install -C` leaves a
# file that did not change untouched (same mtime), so rebuilding a package
# to the same result recompiles and relinks nothing in `make static`.
publish() {
	(cd "$1" && find . -type f) | while read -r f; do
		install -C -D -m "$(stat -c %a "$1/$f")" "$1/$f" "$prefix/$f"
	done
}

# dep PKG: build the Debian source package PKG (recipe build_PKG, with
# '-' spelled '_') unless its stamp is current.
dep() {
	pkg=$1
	recipe=build_$(echo "$pkg" | tr - _)
	dsc=$(fetch_source "$pkg")
	version=$(dsc_version "$dsc")
	want="$version $(recipe_sum "$recipe")"
	stamp=$stamps/$pkg
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		return 0
	fi
	rm -f "$stamp"
	dir=$work/$pkg
	say "$pkg: building $version"
	start=$(date +%s)
	unpack "$dsc" "$dir"
	mkdir -p "$dir/stage/include" "$dir/stage/lib" "$dir/stage/sbin"
	# A subshell outside any `if`/`||`, so that set -e holds inside it.
	set +e
	(set -e; "$recipe" "$dir/tree" "$dir/stage") >"$logs/$pkg.log" 2>&1
	rc=$?
	set -e
	if [ "$rc" != 0 ]; then
		tail -n 40 "$logs/$pkg.log" >&2
		die "$pkg: build failed; log: $logs/$pkg.log, tree kept in $dir"
	fi
	publish "$dir/stage"
	rm -rf "$dir"
	echo "$want" >"$stamp.tmp" && mv "$stamp.tmp" "$stamp"
	say "$pkg: done in $(($(date +%s) - start))s"
}

PACKAGES="curl libarchive cjson kexec-tools"
for p in $PACKAGES; do
	dep "$p"
done

# Record what was built (and the system static libraries linked with it).
{
	for p in $PACKAGES; do
		echo "$p $(cut -d' ' -f1 "$stamps/$p")"
	done
	for p in libssl-dev zlib1g-dev liblzma-dev libzstd-dev; do
		echo "$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo unknown)"
	done
} >"$deps/versions.txt.tmp"
if ! cmp -s "$deps/versions.txt.tmp" "$deps/versions.txt" 2>/dev/null; then
	mv "$deps/versions.txt.tmp" "$deps/versions.txt"
else
	rm -f "$deps/versions.txt.tmp"
fi
