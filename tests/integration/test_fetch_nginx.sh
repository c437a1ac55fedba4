#!/bin/bash
# bootrino fetch against a real nginx on 127.0.0.1: HTTP, HTTPS with a CA
# made now by openssl, TLS failure, sha256 pin ok/mismatch, size limit,
# 404 without retries, Range resume through a cutting proxy, mirrors,
# file:// URLs, and minisign signatures made by the real minisign CLI.
set -u
root=${BOOTRINO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/lib/tap.sh"
. "$root/tests/lib/nginx.sh"
B=${BOOTRINO:-$root/build/bootrino}

# nginx workers run unprivileged: they must be able to read the docroot
chmod 755 "$TAP_TMP"
www=$TAP_TMP/www
mkdir -p "$www/pub" "$www/mirror2" "$TAP_TMP/out"
out=$TAP_TMP/out
head -c $((3 << 20)) /dev/urandom > "$www/pub/a.bin"
cp "$www/pub/a.bin" "$www/mirror2/a.bin"
H=$(sha256sum "$www/pub/a.bin" | cut -d' ' -f1)
BAD=$(printf '%s' "$H" | tr '0-9a-f' '1-9a-f0')
nginx_start "$www" --tls || { not_ok "nginx starts"; done_testing; exit 1; }
log=$TAP_TMP/nginx/logs/access.log

digest_ok() {
	if [ -f "$2" ] && [ "$(sha256sum "$2" | cut -d' ' -f1)" = "$H" ]; then ok "$1: digest right"
	else not_ok "$1: digest right" "$(ls -la "$2" 2>&1)"; fi
}
no_temp() {
	if find "$out" -mindepth 1 -maxdepth 1 \( -name '*bootrino-*' -o -name '*minisig-*' \) | grep -q .; then not_ok "$1: no temp file left" "$(ls -A "$out")"
	else ok "$1: no temp file left"; fi
}
F() { "$B" fetch -q --timeout 20 "$@"; }

expect_exit 0 "http: exit 0" F "$NGINX_URL/pub/a.bin" -o "$out/http" --sha256 "$H"
digest_ok "http" "$out/http"
printed=$("$B" fetch -q "$NGINX_URL/pub/a.bin" -o "$out/http2")
check "http: prints 'SHA256  FILE'" test "$printed" = "$H  $out/http2"

expect_exit 0 "https with --cacert: exit 0" F "$NGINX_TLS_URL/pub/a.bin" -o "$out/https" \
	--sha256 "$H" --cacert "$NGINX_CA"
digest_ok "https with --cacert" "$out/https"

expect_exit 4 "https without the CA: exit 4" F "$NGINX_TLS_URL/pub/a.bin" -o "$out/tls" --sha256 "$H"
stderr_has "https without the CA" "TLS verification failed"
absent "https without the CA" "$out/tls"

expect_exit 0 "https --insecure: exit 0" F "$NGINX_TLS_URL/pub/a.bin" -o "$out/insecure" \
	--sha256 "$H" --insecure
stderr_has "https --insecure" "warning: .*TLS certificate verification is off"
digest_ok "https --insecure" "$out/insecure"

expect_exit 3 "sha256 mismatch: exit 3" F "$NGINX_URL/pub/a.bin" -o "$out/bad" --sha256 "$BAD"
stderr_has "sha256 mismatch" "$NGINX_URL/pub/a.bin: sha256 mismatch: expected $BAD, got $H"
absent "sha256 mismatch" "$out/bad"
no_temp "sha256 mismatch"

expect_exit 3 "--max-size below the size: exit 3" F "$NGINX_URL/pub/a.bin" -o "$out/big" \
	--max-size 1M
stderr_has "--max-size" "exceeds the limit of 1048576 bytes"
absent "--max-size" "$out/big"

# Not retried: proven by nginx's log (one request), not by a stopwatch.
expect_exit 4 "404: exit 4" F "$NGINX_URL/pub/missing.bin" -o "$out/404" --retries 5
stderr_has "404" "$NGINX_URL/pub/missing.bin: HTTP 404"
check "404: one request in nginx's log" test "$(grep -c 'GET /pub/missing.bin ' "$log")" = 1
absent "404" "$out/404"

# Range resume against nginx: a proxy resets the first connection mid-body.
python3 "$root/tests/lib/faultserver.py" --upstream "$NGINX_URL" --port-file "$TAP_TMP/port" \
	--lifetime 120 &
srv=$!
tap_on_exit "kill $srv 2>/dev/null"
for _ in $(seq 100); do [ -s "$TAP_TMP/port" ] && break; sleep 0.05; done
P=http://127.0.0.1:$(cat "$TAP_TMP/port")
expect_exit 0 "resume through a cut connection: exit 0" F -v "$P/cut/pub/a.bin" -o "$out/resume" \
	--sha256 "$H" --retries 2
digest_ok "resume through a cut connection" "$out/resume"
stderr_has "resume" "resuming at byte"
check "resume: nginx saw a Range request answered with 206" \
	grep -q 'GET /pub/a.bin HTTP/1.1" 206 ' "$log"

# Mirrors: the URL 404s, the first mirror is down, the second serves.
dead=$(free_port)
expect_exit 0 "mirrors: exit 0" F "$NGINX_URL/nowhere/a.bin" -o "$out/mirror" --sha256 "$H" \
	--mirror "http://127.0.0.1:$dead/pub" --mirror "$NGINX_URL/mirror2/" --retries 2
digest_ok "mirrors" "$out/mirror"
check "mirrors: the second mirror served" grep -q 'GET /mirror2/a.bin HTTP/1.1" 200 ' "$log"

# A mirror not tried yet costs no retry: the URL is down, --retries 0.
expect_exit 0 "down URL, mirror, --retries 0: exit 0" F "http://127.0.0.1:$dead/pub/a.bin" \
	-o "$out/mirror0" --sha256 "$H" --mirror "$NGINX_URL/pub" --retries 0
digest_ok "down URL, mirror, --retries 0" "$out/mirror0"

# file:// URLs
expect_exit 0 "file://: exit 0" F "file://$www/pub/a.bin" -o "$out/file" --sha256 "$H"
digest_ok "file://" "$out/file"
expect_exit 4 "file:// missing: exit 4" F "file://$www/pub/none" -o "$out/file2"
absent "file:// missing" "$out/file2"
expect_exit 3 "file:// over --max-size: exit 3" F "file://$www/pub/a.bin" -o "$out/file3" \
	--max-size 1K
absent "file:// over --max-size" "$out/file3"

# A write error happens on the fetch worker thread; its detail (naming the
# file) must reach the one line printed, and an earlier source's failure
# must not stand in for it.
run "file:// to /dev/full: exit 1" 1 F "file://$www/pub/a.bin" -o /dev/full
err_is "file:// to /dev/full: one line naming the file" \
	'^bootrino: error: fetch: /dev/full: write: No space left on device$'
run "missing file://, --mirror, to /dev/full: exit 1" 1 F "file://$www/none/a.bin" \
	--mirror "file://$www/pub" -o /dev/full
err_is "missing file://, --mirror, to /dev/full: the real error, not the first source's" \
	'^bootrino: error: fetch: /dev/full: write: No space left on device$'
run "http to /dev/full: exit 1" 1 F "$NGINX_URL/pub/a.bin" -o /dev/full
err_is "http to /dev/full: one line naming the file" \
	'^bootrino: error: fetch: /dev/full: write: No space left on device$'

# minisign: keys and signatures from the real CLI
if command -v minisign > /dev/null; then
	k=$TAP_TMP/keys
	mkdir -p "$k"
	minisign -G -W -p "$k/a.pub" -s "$k/a.key" > /dev/null 2>&1
	minisign -G -W -p "$k/b.pub" -s "$k/b.key" > /dev/null 2>&1
	minisign -S -s "$k/a.key" -m "$www/pub/a.bin" -t "bootrino test" > /dev/null 2>&1
	expect_exit 0 "minisig URL, right key: exit 0" F "$NGINX_URL/pub/a.bin" -o "$out/sig" \
		--minisig "$NGINX_URL/pub/a.bin.minisig" --pubkey "$k/a.pub"
	digest_ok "minisig URL" "$out/sig"
	expect_exit 0 "minisig file, two keys: exit 0" F "$NGINX_URL/pub/a.bin" -o "$out/sig2" \
		--minisig "$www/pub/a.bin.minisig" --pubkey "$k/b.pub" --pubkey "$k/a.pub" \
		--sha256 "$H"
	digest_ok "minisig file" "$out/sig2"
	expect_exit 3 "minisig, wrong key: exit 3" F "$NGINX_URL/pub/a.bin" -o "$out/sig3" \
		--minisig "$NGINX_URL/pub/a.bin.minisig" --pubkey "$k/b.pub"
	absent "minisig, wrong key" "$out/sig3"
	cp "$www/pub/a.bin" "$www/pub/t.bin"
	cp "$www/pub/a.bin.minisig" "$www/pub/t.bin.minisig"
	printf 'x' | dd of="$www/pub/t.bin" bs=1 seek=1000 conv=notrunc 2> /dev/null
	expect_exit 3 "minisig, tampered file: exit 3" F "$NGINX_URL/pub/t.bin" -o "$out/sig4" \
		--minisig "$NGINX_URL/pub/t.bin.minisig" --pubkey "$k/a.pub"
	absent "minisig, tampered file" "$out/sig4"
	expect_exit 4 "minisig URL 404: exit 4" F "$NGINX_URL/pub/a.bin" -o "$out/sig5" \
		--minisig "$NGINX_URL/pub/none.minisig" --pubkey "$k/a.pub"
	absent "minisig URL 404" "$out/sig5"
	expect_exit 2 "--minisig without --pubkey: exit 2" F "$NGINX_URL/pub/a.bin" -o "$out/sig6" \
		--minisig "$NGINX_URL/pub/a.bin.minisig"
else
	skip "minisign cases" "minisign CLI not installed"
fi
# usage errors: exit 2, nothing fetched
expect_exit 2 "ftp:// URL: exit 2" F "ftp://127.0.0.1/a" -o "$out/u1"
expect_exit 2 "bad --sha256: exit 2" F "$NGINX_URL/pub/a.bin" -o "$out/u2" --sha256 abc
expect_exit 2 "missing -o: exit 2" F "$NGINX_URL/pub/a.bin"
expect_exit 2 "bad --mirror: exit 2" F "$NGINX_URL/pub/a.bin" -o "$out/u3" --mirror "gopher://x/"
absent "usage errors" "$out/u2"

no_temp "all cases"
done_testing
