#!/bin/bash
# `bootrino userdata`: validation, size limits, and the generated script run
# for real against nginx on 127.0.0.1 with a fake agent (a tiny shell script
# whose sha256 is pinned): download → check → run, and a wrong sha256 stops
# it before anything runs. The script runs unchanged, in a private mount
# namespace whose /var/lib and /var/log are scratch directories and whose
# /run is a noexec tmpfs, as initramfs-tools mounts it on Debian/Ubuntu.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"

T=$TAP_TMP
chmod 755 "$T" # nginx workers read the docroot
cd "$T" || exit 1
minisign -G -W -p k1.pub -s k1.key > /dev/null 2>&1 && minisign -G -W -p k2.pub -s k2.key > /dev/null 2>&1 ||
	{ not_ok "minisign -G makes keys"; done_testing; exit 1; }
K1=$(sed -n 2p k1.pub)
K2=$(sed -n 2p k2.pub)
SHA=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

ud() { "$BOOTRINO" userdata "$@"; }
base=(--agent-url https://example.com/bootrino --agent-sha256 "$SHA" --script https://example.com/bootrino.sh)

# --- generation -------------------------------------------------------------------
for cloud in aws gcp digitalocean generic; do
	run "$cloud: generates" 0 ud --cloud "$cloud" "${base[@]}" --pubkey "$K1" --pubkey k2.pub
	printf '%s\n' "$OUT" > "ud-$cloud.sh"
	if sh -n "ud-$cloud.sh" && grep -q "^AGENT_SHA256=$SHA\$" "ud-$cloud.sh" &&
		grep -q -- "--pubkey '$K1'" "ud-$cloud.sh" && grep -q -- "--pubkey '$K2'" "ud-$cloud.sh"; then
		ok "$cloud: sh -n clean, carries the sha256 and both keys (a .pub file becomes its key)"
	else
		not_ok "$cloud: script content" "$OUT"
	fi
done
run "--format cloud-config" 0 ud --cloud aws "${base[@]}" --pubkey "$K1" --format cloud-config --direct
printf '%s\n' "$OUT" > cc.yaml
if head -1 cc.yaml | grep -qx '#cloud-config' && grep -q "runcmd:" cc.yaml; then ok "cloud-config header and runcmd"
else not_ok "cloud-config header and runcmd" "$OUT"; fi
if python3 -c 'import yaml' 2> /dev/null; then
	if python3 -c 'import sys, yaml; d = yaml.safe_load(open("cc.yaml")); open("cc.sh", "w").write(d["write_files"][0]["content"]); assert d["runcmd"] == [["sh", "/run/bootrino-userdata.sh"]]' &&
		sh -n cc.sh && grep -q -- "--direct" cc.sh; then
		ok "cloud-config is YAML whose script is valid sh"
	else
		not_ok "cloud-config is YAML whose script is valid sh"
	fi
else
	skip "cloud-config YAML parse" "python3-yaml not installed"
fi
run "-o FILE writes the file" 0 ud --cloud gcp "${base[@]}" --pubkey "$K1" -o "$T/o.sh"
cmp -s o.sh <(ud --cloud gcp "${base[@]}" --pubkey "$K1") && ok "-o FILE holds the same bytes" || not_ok "-o FILE holds the same bytes"

# --- refusals (exit 2, one line) ---------------------------------------------------
run "unknown cloud" 2 ud --cloud azure "${base[@]}" --pubkey "$K1"
one_line_err "unknown cloud: one line" "--cloud: 'azure'"
run "ftp agent URL" 2 ud --cloud aws --agent-url ftp://x/bootrino --agent-sha256 "$SHA" --script https://e/b.sh --pubkey "$K1"
one_line_err "ftp agent URL: one line" "--agent-url: 'ftp://x/bootrino': not an http\(s\) URL"
run "short sha256" 2 ud --cloud aws --agent-url https://x/b --agent-sha256 abc --script https://e/b.sh --pubkey "$K1"
one_line_err "short sha256: one line" "--agent-sha256: 'abc': not 64 hex digits"
run "not a key" 2 ud --cloud aws "${base[@]}" --pubkey "RWQ'; reboot; echo '"
one_line_err "not a key: one line, as every command says it" "--pubkey: .*malformed public key"
run "missing --pubkey" 2 ud --cloud aws "${base[@]}"
run "unknown option" 2 ud --cloud aws "${base[@]}" --pubkey "$K1" --frobnicate
run "bad --format" 2 ud --cloud aws "${base[@]}" --pubkey "$K1" --format yaml
# 20 KiB of CA bundle: over AWS's 16 KiB, fine on DigitalOcean
{ echo "-----BEGIN CERTIFICATE-----"; head -c 15000 /dev/urandom | base64 -w 64; echo "-----END CERTIFICATE-----"; } > big.pem
run "over the AWS limit" 2 ud --cloud aws "${base[@]}" --pubkey "$K1" --cacert big.pem
one_line_err "over the AWS limit: one line" "over the 16384-byte limit of aws"
run "over the limit: -o leaves no file" 2 ud --cloud aws "${base[@]}" --pubkey "$K1" --cacert big.pem -o "$T/none.sh"
[ ! -e none.sh ] && [ -z "$(ls none.sh.* 2> /dev/null)" ] && ok "no partial output file" || not_ok "no partial output file"
run "the same under DigitalOcean's 64 KiB" 0 ud --cloud digitalocean "${base[@]}" --pubkey "$K1" --cacert big.pem
run "missing --cacert file" 2 ud --cloud aws "${base[@]}" --pubkey "$K1" --cacert "$T/nope.pem"

# --- the script, run for real ---------------------------------------------------------
mkdir -p www
cat > www/bootrino << 'AGENT'
#!/bin/sh
printf '%s\n' "$@" > "$AGENT_ARGS"
echo "FAKE-AGENT-RAN"
exit "${AGENT_EXIT:-0}"
AGENT
nginx_start "$T/www" --tls || { not_ok "nginx starts"; done_testing; exit 1; }
AGENT_SHA=$(sha256sum www/bootrino | cut -d' ' -f1)
export AGENT_ARGS=$T/agent-args

# run_ud SCRIPT [PATH]: runs SCRIPT as root in a namespace with scratch
# /var/lib and /var/log; RC, OUT; $T/ns-lib and $T/ns-log are what it left.
run_ud() {
	rm -rf "$T/ns-lib" "$T/ns-log" "$AGENT_ARGS"
	mkdir -p "$T/ns-lib" "$T/ns-log"
	OUT=$(timeout 120 unshare -m sh -c 'mount --make-rprivate / &&
		mount -t tmpfs -o nodev,noexec,nosuid tmpfs /run &&
		mount --bind "$1" /var/lib && mount --bind "$2" /var/log &&
		PATH=$3 exec sh "$4"' sh "$T/ns-lib" "$T/ns-log" "${2:-$PATH}" "$1" 2>&1)
	RC=$?
}
if ! unshare -m true 2> /dev/null; then
	skip "user-data runs against nginx" "unshare -m not permitted here"
	done_testing
	exit 0
fi

ud --cloud generic --agent-url "$NGINX_URL/bootrino" --agent-sha256 "$AGENT_SHA" \
	--script "$NGINX_URL/bootrino.sh" --pubkey "$K1" --pubkey "$K2" --direct > good.sh
run_ud good.sh
if [ "$RC" = 0 ] && printf '%s\n' "$OUT" | grep -q FAKE-AGENT-RAN; then ok "right sha256: the agent runs"
else not_ok "right sha256: the agent runs" "rc=$RC $OUT"; fi
printf 'takeover\n--script\n%s\n--pubkey\n%s\n--pubkey\n%s\n--direct\n' "$NGINX_URL/bootrino.sh" "$K1" "$K2" > want-args
cmp -s want-args "$AGENT_ARGS" && ok "the agent got exactly: takeover --script … --pubkey … --pubkey … --direct" ||
	not_ok "agent arguments" "$(cat "$AGENT_ARGS" 2> /dev/null)"
grep -q "agent sha256 OK ($AGENT_SHA)" "$T/ns-log/bootrino-userdata.log" && grep -q FAKE-AGENT-RAN "$T/ns-log/bootrino-userdata.log" &&
	ok "log file has the steps and the agent's output" || not_ok "log file" "$(cat "$T/ns-log/bootrino-userdata.log")"
[ "$(stat -c %a "$T/ns-lib/bootrino/bootrino")" = 700 ] && ok "agent installed 0700 in /var/lib/bootrino" || not_ok "agent mode"

AGENT_EXIT=3 run_ud good.sh
if [ "$RC" = 3 ] && printf '%s\n' "$OUT" | grep -q "FAILED: bootrino takeover exited with status 3"; then
	ok "the agent's exit status is the script's (3)"
else
	not_ok "the agent's exit status is the script's" "rc=$RC $OUT"
fi
export -n AGENT_EXIT

BAD=$(printf '%s' "$AGENT_SHA" | tr '0-9a-f' '1-9a-f0')
ud --cloud generic --agent-url "$NGINX_URL/bootrino" --agent-sha256 "$BAD" \
	--script "$NGINX_URL/bootrino.sh" --pubkey "$K1" > bad.sh
run_ud bad.sh
if [ "$RC" = 3 ] && printf '%s\n' "$OUT" | grep -q "sha256 mismatch: expected $BAD, got $AGENT_SHA; not running it"; then
	ok "wrong sha256: refused with exit 3"
else
	not_ok "wrong sha256: refused with exit 3" "rc=$RC $OUT"
fi
[ ! -e "$AGENT_ARGS" ] && ! printf '%s\n' "$OUT" | grep -q FAKE-AGENT-RAN && ok "wrong sha256: the agent never ran" ||
	not_ok "wrong sha256: the agent never ran"
[ -z "$(ls -A "$T/ns-lib/bootrino" 2> /dev/null)" ] && ok "wrong sha256: nothing left in /var/lib/bootrino" ||
	not_ok "wrong sha256: nothing left" "$(ls -la "$T/ns-lib/bootrino")"

# wget when there is no curl
mkdir -p nocurl
for t in sh mkdir chmod date rm sleep sha256sum cut mv cat tee wget; do
	ln -sf "$(command -v "$t")" "nocurl/$t"
done
run_ud good.sh "$T/nocurl"
if [ "$RC" = 0 ] && grep -q "Wget/" "$T/nginx/logs/access.log" && printf '%s\n' "$OUT" | grep -q FAKE-AGENT-RAN; then
	ok "no curl: wget downloads the agent"
else
	not_ok "no curl: wget downloads the agent" "rc=$RC $OUT"
fi

# HTTPS with a private CA (--cacert embeds it)
ud --cloud generic --agent-url "$NGINX_TLS_URL/bootrino" --agent-sha256 "$AGENT_SHA" \
	--script "$NGINX_TLS_URL/bootrino.sh" --pubkey "$K1" --cacert "$NGINX_CA" > tls.sh
run_ud tls.sh
if [ "$RC" = 0 ] && grep -qx -- "--cacert" "$AGENT_ARGS" && grep -qx /var/lib/bootrino/ca.pem "$AGENT_ARGS"; then
	ok "https + --cacert: downloads with the embedded CA, passes it to takeover"
else
	not_ok "https + --cacert" "rc=$RC $OUT"
fi

# a missing agent: bounded retries, then exit 4
ud --cloud generic --agent-url "$NGINX_URL/missing" --agent-sha256 "$AGENT_SHA" \
	--script "$NGINX_URL/bootrino.sh" --pubkey "$K1" > missing.sh
start=$(date +%s)
run_ud missing.sh
took=$(($(date +%s) - start))
if [ "$RC" = 4 ] && printf '%s\n' "$OUT" | grep -q "FAILED: cannot download $NGINX_URL/missing" && [ "$took" -lt 90 ]; then
	ok "missing agent: gives up after bounded retries with exit 4 (${took}s)"
else
	not_ok "missing agent: exit 4" "rc=$RC took=${took}s $OUT"
fi
done_testing
