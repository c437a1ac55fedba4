#!/bin/bash
# The static agent and kexec (`make static`) have no runtime dependencies:
# no NEEDED entries, and they run in an empty chroot holding nothing but
# themselves. The agent reports the library versions built from Debian's
# source packages, and inside that chroot it still resolves a name
# (/etc/hosts, no NSS modules) and fetches over HTTPS from a real nginx.
set -u
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=tests/lib/nginx.sh
. "$(dirname "$0")/../lib/nginx.sh"

root=${BOOTRINO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
static=$root/build/static
agent=$static/bootrino
kexec=$static/kexec
versions=$root/build/deps/versions.txt
budget=$((6 * 1024 * 1024))

for f in "$agent" "$kexec" "$versions"; do
	if [ ! -e "$f" ]; then
		not_ok "$f exists" "run 'make static' first"
		done_testing; exit
	fi
done

# Upstream part of a Debian version: no epoch, no Debian revision.
upstream() { sed -n "s/^$1 //p" "$versions" | sed 's/^[0-9]*://; s/-[^-]*$//'; }

# --- the ELF files ------------------------------------------------------------
for bin in "$agent" "$kexec"; do
	name=$(basename "$bin")
	desc=$(file -b "$bin")
	case $desc in
	*"statically linked"*) ok "$name: file says statically linked" ;;
	*) not_ok "$name: file says statically linked" "$desc" ;;
	esac
	case $desc in
	*x86-64*) ok "$name: x86-64 ELF" ;;
	*) not_ok "$name: x86-64 ELF" "$desc" ;;
	esac
	needed=$(readelf -d "$bin" 2>&1 | grep -E 'NEEDED|INTERP')
	if [ -z "$needed" ] && ! readelf -l "$bin" | grep -q INTERP; then
		ok "$name: no NEEDED entries, no interpreter"
	else
		not_ok "$name: no NEEDED entries, no interpreter" "$needed"
	fi
done

size=$(stat -c %s "$agent")
echo "# stripped size: bootrino $size bytes, kexec $(stat -c %s "$kexec") bytes"
if [ "$size" -le "$budget" ]; then
	ok "bootrino stripped size $size <= 6 MiB"
else
	not_ok "bootrino stripped size $size <= 6 MiB" "over budget by $((size - budget)) bytes"
fi
if file -b "$agent" | grep -q 'not stripped'; then
	not_ok "bootrino is stripped" "$(file -b "$agent")"
else
	ok "bootrino is stripped"
fi

# --- an empty root: the binaries, /etc/hosts, a CA, nothing else --------------
if [ "$(id -u)" != 0 ]; then
	skip "chroot tests" "need root for chroot"
	done_testing; exit
fi
jail=$TAP_TMP/jail
mkdir -p "$jail/etc" "$jail/out"
cp "$agent" "$jail/bootrino"
cp "$kexec" "$jail/kexec"
echo "127.0.0.1 localhost" > "$jail/etc/hosts"
files=$(cd "$jail" && find . -type f | sort | tr '\n' ' ')
echo "# chroot holds: $files"

in_jail() { chroot "$jail" "$@"; }

if out=$(in_jail /bootrino version 2>&1); then
	ok "bootrino version runs in an empty chroot"
else
	not_ok "bootrino version runs in an empty chroot" "$out"
fi
printf '%s\n' "$out" | sed 's/^/# /'

# expect_line PREFIX NEEDLE NAME: a line starting with PREFIX contains NEEDLE
expect_line() {
	local line
	line=$(printf '%s\n' "$out" | grep -m1 "^$1")
	case $line in
	*"$2"*) ok "$3" ;;
	*) not_ok "$3" "want '$2' in the '$1' line, got: '${line:-no such line}'" ;;
	esac
}
curl_v=$(upstream curl)
archive_v=$(upstream libarchive)
cjson_v=$(upstream cjson)
ssl_v=$(upstream libssl-dev)
expect_line "bootrino " "bootrino" "version names bootrino"
expect_line "libcurl:" "libcurl/$curl_v" "libcurl $curl_v (curl source package built)"
expect_line "libcurl:" "OpenSSL/$ssl_v" "libcurl uses OpenSSL $ssl_v"
expect_line "OpenSSL:" "OpenSSL $ssl_v" "OpenSSL $ssl_v (libssl-dev's libssl.a/libcrypto.a)"
expect_line "libarchive:" "libarchive $archive_v" "libarchive $archive_v (libarchive source package built)"
for filt in zlib liblzma libzstd; do
	expect_line "libarchive:" "$filt/" "libarchive has the $filt filter"
done
expect_line "cJSON:" "$cjson_v" "cJSON $cjson_v (cjson source package built)"
case $out in
*nghttp2* | *libidn2* | *libpsl* | *brotli*) not_ok "libcurl carries no unused libraries" "$out" ;;
*) ok "libcurl carries no unused libraries" ;;
esac

expect_exit 0 "bootrino --help runs in the chroot" in_jail /bootrino --help
expect_exit 2 "unknown command exits 2 in the chroot" in_jail /bootrino no-such-command

# HTTPS to a real nginx from inside the chroot: TLS, the CA file, name
# resolution through /etc/hosts without libnss_*.so, sha256 in one pass.
www=$TAP_TMP/www
mkdir -p "$www"
chmod 755 "$TAP_TMP" "$www" # nginx's worker user reads the docroot
head -c 300000 /dev/urandom > "$www/blob"
sum=$(sha256sum "$www/blob" | cut -d' ' -f1)
if nginx_start "$www" --tls; then
	cp "$NGINX_CA" "$jail/ca.pem"
	expect_exit 0 "static bootrino fetches https://localhost in the chroot" \
		in_jail /bootrino fetch -q "$NGINX_TLS_URL/blob" -o /out/blob \
		--sha256 "$sum" --cacert /ca.pem
	if cmp -s "$www/blob" "$jail/out/blob"; then
		ok "fetched file is intact"
	else
		not_ok "fetched file is intact" "$TAP_STDERR"
	fi
	# Without --cacert the compiled-in default bundle applies; the test CA
	# is not in the system's, so the server must be refused.
	if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
		mkdir -p "$jail/etc/ssl/certs"
		cp /etc/ssl/certs/ca-certificates.crt "$jail/etc/ssl/certs/"
		expect_exit 4 "TLS refuses a server the system CA bundle does not vouch for" \
			in_jail /bootrino fetch -q "$NGINX_TLS_URL/blob" -o /out/blob2
		echo "# refused: $TAP_STDERR"
		if [ -e "$jail/out/blob2" ]; then not_ok "nothing left behind after the refusal"
		else ok "nothing left behind after the refusal"; fi
	else
		skip "TLS refusal with the system CA bundle" "no /etc/ssl/certs/ca-certificates.crt"
	fi
	expect_exit 0 "static bootrino fetches http://127.0.0.1 in the chroot" \
		in_jail /bootrino fetch -q "$NGINX_URL/blob" -o /out/blob3 --sha256 "$sum"
else
	not_ok "nginx starts" "$(cat "$TAP_TMP/nginx/logs/error.log" 2>/dev/null)"
fi

# --- kexec ----------------------------------------------------------------------
kexec_v=$(upstream kexec-tools)
if kout=$(in_jail /kexec --version 2>&1) && [ "$kout" = "kexec-tools $kexec_v" ]; then
	ok "kexec --version in the chroot: $kout"
else
	not_ok "kexec --version in the chroot says kexec-tools $kexec_v" "$kout"
fi
if in_jail /kexec --help 2>&1 | grep -qx 'multiboot-x86'; then
	ok "kexec supports --type multiboot-x86"
else
	not_ok "kexec supports --type multiboot-x86" "$(in_jail /kexec --help 2>&1 | tail -5)"
fi

done_testing
