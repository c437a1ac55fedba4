#!/bin/bash
# What an attacker on the web server, the network or the metadata service
# can still do (issue 10; docs/threat-model.md). Real nginx on loopback,
# keys and signatures made by the real minisign CLI. --dry-run only: this
# never kexecs the machine it runs on.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/nginx.sh"

. "$(dirname "$0")/../lib/site.sh"

tap_require minisign nginx python3
site_begin loader target staging
mkdir -p keys

# hasf NAME TEXT SUBSTRING (fixed string: keys hold + and /)
hasf() {
	case $2 in *"$3"*) ok "$1" ;; *) not_ok "$1" "no '$3' in: $2" ;; esac
}

site_key keys/k

for d in loader target; do
	site_kernel "$S/$d/vmlinuz"
	head -c 30000 /dev/urandom > "$S/$d/initrd.img"
done
sum() { sha256sum "$1" | cut -d' ' -f1; }
LK=$(sum "$S/loader/vmlinuz") LI=$(sum "$S/loader/initrd.img")
TK=$(sum "$S/target/vmlinuz") TI=$(sum "$S/target/initrd.img")
# sign FILE [TRUSTED COMMENT]: minisign's default comment names the file
sign() {
	if [ $# -gt 1 ]; then minisign -S -s keys/k.key -m "$1" -t "$2" > /dev/null
	else minisign -S -s keys/k.key -m "$1" > /dev/null; fi
}
printf '{"kernel": {"url": "vmlinuz", "sha256": "%s"},\n "initrd": [{"url": "initrd.img", "sha256": "%s"}],\n "cmdline": "console=ttyS0"}\n' \
	"$LK" "$LI" > "$S/loader/loader.json"
sign "$S/loader/loader.json"
good_body() {
	printf '#!/bin/sh\nset -e\n%s\nbootrino kernel %starget/vmlinuz sha256=%s console=ttyS0\nbootrino initrd %starget/initrd.img sha256=%s\nbootrino boot\n' \
		"$1" "${2:-}" "$TK" "${2:-}" "$TI"
}
good_body "" > "$S/bootrino.sh"
sign "$S/bootrino.sh" "timestamp:1700000000	file:bootrino.sh"

nginx_start "$S" || { not_ok "nginx starts"; done_testing; exit 1; }
U=$NGINX_URL

run "baseline: takeover --dry-run of the good site: exit 0" 0 "$BOOTRINO" takeover --no-install \
	--script "$U/bootrino.sh" --pubkey "$K" --dry-run --state-dir "$T/state"

# --- 1. a signature is bound to its purpose -------------------------------------
# Any file signed by the trusted key, served under the name bootrino.sh.
good_body "touch '$T/ran-wipe'" > "$S/staging/wipe-disk.sh"
sign "$S/staging/wipe-disk.sh"
mkdir -p "$S/evil"
cp "$S/staging/wipe-disk.sh" "$S/evil/bootrino.sh"
cp "$S/staging/wipe-disk.sh.minisig" "$S/evil/bootrino.sh.minisig"
ln -s ../target "$S/evil/target"
run "1: wipe-disk.sh served as bootrino.sh: boot exit 3" 3 "$BOOTRINO" boot \
	--script "$U/evil/bootrino.sh" --pubkey "$K" --dry-run --state-dir "$T/state"
has "1: says what the signature is for" "$ERR" "^bootrino: error: boot: $U/evil/bootrino.sh: signature is for file:wipe-disk.sh, not for bootrino.sh"
run "1: ... and under takeover --dry-run: exit 3" 3 "$BOOTRINO" takeover --no-install \
	--script "$U/evil/bootrino.sh" --pubkey "$K" --loader "$U/loader/loader.json" --dry-run \
	--state-dir "$T/state"
if [ ! -e "$T/ran-wipe" ]; then ok "1: the swapped script never ran"
else not_ok "1: the swapped script never ran"; fi

# loader.json swapped for another signed JSON document
cp "$S/loader/loader.json" "$S/loader/other.json"
sign "$S/loader/other.json"
cp "$S/loader/other.json.minisig" "$S/loader/swapped.json.minisig"
cp "$S/loader/other.json" "$S/loader/swapped.json"
run "1: a loader.json signed under another name: exit 3" 3 "$BOOTRINO" takeover --no-install \
	--script "$U/bootrino.sh" --pubkey "$K" --loader "$U/loader/swapped.json" --dry-run \
	--state-dir "$T/state"
has "1: loader: names the signed name" "$ERR" "signature is for file:other.json, not for swapped.json"

# the grammar: anything but timestamp/file/site/hashed is refused
for tc in "timestamp:1700000000" "timestamp:1700000000	file:bootrino.sh	release v42" \
	"timestamp:1700000000 file:bootrino.sh" "file:bootrino.sh		hashed" \
	"file:bootrino.sh	file:bootrino.sh" "timestamp:17x	file:bootrino.sh"; do
	mkdir -p "$S/g"
	good_body "" "../" > "$S/g/bootrino.sh"
	sign "$S/g/bootrino.sh" "$tc"
	run "1: trusted comment '$tc' is refused: exit 3" 3 "$BOOTRINO" boot \
		--script "$U/g/bootrino.sh" --pubkey "$K" --dry-run
done
has "1: refusal names the grammar" "$ERR" "trusted comment: .*docs/verify.md"

# site: one key signs staging and production; the config pins one
mkdir -p "$S/prod"
good_body "" "../" > "$S/prod/bootrino.sh"
sign "$S/prod/bootrino.sh" "timestamp:1700000000	file:bootrino.sh	site:prod"
good_body "touch '$T/ran-staging'" "../" > "$S/staging/bootrino.sh"
sign "$S/staging/bootrino.sh" "timestamp:1700000001	file:bootrino.sh	site:staging"
run "1: --site prod accepts site:prod" 0 "$BOOTRINO" boot --script "$U/prod/bootrino.sh" \
	--pubkey "$K" --site prod --dry-run
cp "$S/staging/bootrino.sh" "$S/staging/bootrino.sh.minisig" "$S/prod/" 2> /dev/null
run "1: --site prod refuses staging's script served as prod's: exit 3" 3 "$BOOTRINO" boot \
	--script "$U/prod/bootrino.sh" --pubkey "$K" --site prod --dry-run
has "1: site mismatch says so" "$ERR" "signature is for site:staging, not for site:prod"
run "1: --site prod refuses a script with no site: exit 3" 3 "$BOOTRINO" boot \
	--script "$U/bootrino.sh" --pubkey "$K" --site prod --dry-run
if [ ! -e "$T/ran-staging" ]; then ok "1: staging's script never ran as prod"
else not_ok "1: staging's script never ran as prod"; fi
printf '{"site": "prod"}\n' > site.json
run "1: the config pins the site too" 3 "$BOOTRINO" boot --config site.json \
	--script "$U/bootrino.sh" --pubkey "$K" --dry-run
run "1: --site with a bad name: exit 2" 2 "$BOOTRINO" boot --script "$U/bootrino.sh" \
	--pubkey "$K" --site "pr od" --dry-run

# --- 5. the parent enforces its own settings, not the plan file's ---------------
mkdir -p "$S/p5"
printf '#!/bin/sh\nset -e\nsed -i "s/\\"insecure\\":[[:space:]]*false/\\"insecure\\": true/" "$BOOTRINO_PLAN"\nbootrino kernel ../target/vmlinuz console=ttyS0\nbootrino boot\n' \
	> "$S/p5/bootrino.sh"
sign "$S/p5/bootrino.sh"
run "5: a script that sets \"insecure\" in its plan: exit 3" 3 "$BOOTRINO" boot \
	--script "$U/p5/bootrino.sh" --pubkey "$K" --dry-run
has "5: says the plan header was changed" "$ERR" "plan's header was changed"
printf '#!/bin/sh\nset -e\nsed -i "s|\\"script_url\\":[^,]*|\\"script_url\\": \\"http://127.0.0.1:1/x/\\"|" "$BOOTRINO_PLAN"\nbootrino kernel ../target/vmlinuz sha256=%s\nbootrino boot\n' \
	"$TK" > "$S/p5/rebase.sh"
sign "$S/p5/rebase.sh"
run "5: a script that re-points script_url in its plan: exit 3" 3 "$BOOTRINO" boot \
	--script "$U/p5/rebase.sh" --pubkey "$K" --dry-run

# --- 3. unsigned facts do not reach the kernel command line ---------------------
root=$T/fakeroot
mkdir -p "$root/sys/class/dmi/id" "$root/run/cloud-init" "$root/etc"
echo "Amazon EC2" > "$root/sys/class/dmi/id/sys_vendor"
cat > "$root/run/cloud-init/instance-data.json" <<'JSON'
{"v1": {"instance_id": "i-1 init=/bin/sh rd.break", "local_hostname": "h;reboot",
        "region": "eu west", "availability_zone": "eu-west-1b",
        "public_ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ok@x", "not a key", "x\u2028ssh-rsa AAAA"]}}
JSON
run "3: facts from a hostile instance-data.json: exit 0" 0 "$BOOTRINO" metadata --root "$root" --no-metadata
if printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert "instance_id" not in d, d.get("instance_id")
assert d.get("hostname") != "h;reboot", d.get("hostname")
assert "region" not in d, d.get("region")
assert d["zone"] == "eu-west-1b", d
assert d["ssh_authorized_keys"] == ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ok@x"], d["ssh_authorized_keys"]
'; then ok "3: instance id, hostname, region and keys are checked by what they are"
else not_ok "3: hostile facts dropped" "$OUT"; fi
mkdir -p "$S/p3"
printf '#!/bin/sh\nset -e\nbootrino kernel ../target/vmlinuz sha256=%s\nbootrino cmdline "app.instance=i-1 init=/bin/sh rd.break"\nbootrino boot\n' \
	"$TK" > "$S/p3/bootrino.sh"
sign "$S/p3/bootrino.sh"
run "3: cmdline takes one parameter per argument: exit 2" 2 "$BOOTRINO" boot \
	--script "$U/p3/bootrino.sh" --pubkey "$K" --dry-run
has "3: says why" "$ERR" "one argument is one parameter"

# --- 2. anti-rollback reaches the loader ------------------------------------------
run "2: takeover --dry-run: exit 0" 0 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" --pubkey "$K" \
	--dry-run --state-dir "$T/state"
hasf "2: the loader's config carries the preflight's timestamp" "$OUT" '"min_timestamp":1700000000'
# the loader side (init runs the boot flow with the carried config)
mkdir -p "$S/old"
good_body "touch '$T/ran-old'" "../" > "$S/old/bootrino.sh"
sign "$S/old/bootrino.sh" "timestamp:1600000000	file:bootrino.sh"
printf '{"script": "%s", "pubkeys": ["%s"], "min_timestamp": 1700000000}\n' "$U/old/bootrino.sh" "$K" > loader-config.json
run "2: the loader refuses a bootrino.sh older than the host accepted: exit 3" 3 "$BOOTRINO" boot \
	--stage loader --config loader-config.json --dry-run
has "2: says why" "$ERR" "1600000000 is older than 1700000000"
if [ ! -e "$T/ran-old" ]; then ok "2: the old script never ran"; else not_ok "2: the old script never ran"; fi
printf '{"script": "%s", "pubkeys": ["%s"], "min_timestamp": 1700000000}\n' "$U/bootrino.sh" "$K" > loader-config.json
run "2: the same timestamp is accepted" 0 "$BOOTRINO" boot --stage loader --config loader-config.json --dry-run
echo 1800000000 > "$T/state/last-timestamp"
run "2: host state newer than the script: takeover exit 3" 3 "$BOOTRINO" takeover --no-install \
	--script "$U/bootrino.sh" --pubkey "$K" --dry-run --state-dir "$T/state"
rm -f "$T/state/last-timestamp"

# --- 4. --pubkey FILE is resolved on the host -------------------------------------
run "4: takeover --pubkey FILE.pub: exit 0" 0 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" \
	--pubkey "$T/keys/k.pub" --dry-run --state-dir "$T/state"
hasf "4: the loader's config holds the key line, not the path" "$OUT" "\"pubkeys\":[\"$K\"]"
# Replay that config where the .pub file does not exist (as in the loader)
printf '%s\n' "$OUT" | sed -n 's|^overlay *//*etc/bootrino/config.json ||p' > carried.json
mv keys keys.gone
run "4: the carried config works without the host's files" 0 "$BOOTRINO" boot --stage loader \
	--config carried.json --dry-run
mv keys.gone keys
# nothing the host accepts may fail in the loader for a reason the host can
# check: a file:// URL names the host's disk, which the loader does not have
run "4: takeover --script file://…: exit 2" 2 "$BOOTRINO" takeover --no-install --script "file://$S/bootrino.sh" \
	--pubkey "$K" --loader "$U/loader/loader.json" --dry-run --state-dir "$T/state"
has "4: file:// script: says why" "$ERR" "host's disk, which the loader does not have"
mkdir -p "$S/p4"
printf '#!/bin/sh\nset -e\nbootrino kernel file://%s/target/vmlinuz sha256=%s\nbootrino boot\n' "$S" "$TK" > "$S/p4/bootrino.sh"
sign "$S/p4/bootrino.sh"
run "4: a plan with a file:// artifact, default path: exit 2" 2 "$BOOTRINO" takeover --no-install \
	--script "$U/p4/bootrino.sh" --pubkey "$K" --loader "$U/loader/loader.json" --dry-run \
	--state-dir "$T/state"
run "4: ... fine with --direct (it runs on the host)" 0 "$BOOTRINO" takeover --direct \
	--script "$U/p4/bootrino.sh" --pubkey "$K" --dry-run --state-dir "$T/state"

# --- 6. userdata --format cloud-config: a lone CR cannot break out of the YAML --
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=t" \
	-keyout ca.key -out ca.pem 2> /dev/null
UD=(--cloud aws --agent-url https://example.com/b/bootrino --agent-sha256 \
	0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef --pubkey "$K")
# the attack: a CR, then YAML at the top level
{ cat ca.pem; printf '\rbootcmd:\r  - [ sh, -c, "touch /pwned" ]\r'; } > cr.pem
run "6: --cacert with a lone CR: exit 2" 2 "$BOOTRINO" userdata "${UD[@]}" --script \
	https://example.com/b/bootrino.sh --cacert cr.pem --format cloud-config
has "6: says why" "$ERR" "CR that is not part of CRLF"
sed 's/$/\r/' ca.pem > crlf.pem
run "1: userdata --site carries the pin to takeover" 0 "$BOOTRINO" userdata "${UD[@]}" \
	--script https://example.com/b/bootrino.sh --site prod
hasf "1: userdata: takeover gets --site 'prod'" "$OUT" "--site 'prod'"
run "1: userdata --site with a quote: exit 2" 2 "$BOOTRINO" userdata "${UD[@]}" \
	--script https://example.com/b/bootrino.sh --site "pr'od"
# every input accepted: the cloud-config must parse (real YAML parser) to
# exactly the script the script format makes, and nothing else
i=0
for pem in ca.pem crlf.pem; do
	for url in "https://example.com/b/bootrino.sh" "https://example.com/a:b/x.sh?q=1#f" \
		"https://example.com/%0d/'x'.sh"; do
		i=$((i + 1))
		if "$BOOTRINO" userdata "${UD[@]}" --script "$url" --cacert $pem --format cloud-config > cc$i.yaml 2> cc$i.err &&
			"$BOOTRINO" userdata "${UD[@]}" --script "$url" --cacert $pem > sc$i.sh 2>> cc$i.err; then
			if python3 - cc$i.yaml sc$i.sh <<'PY2'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1], newline=""))
want = open(sys.argv[2], newline="").read()
assert set(d) == {"write_files", "runcmd"}, sorted(d)
assert len(d["write_files"]) == 1, d["write_files"]
assert d["write_files"][0]["content"] == want, "content differs"
assert d["runcmd"] == [["sh", "/run/bootrino-userdata.sh"]], d["runcmd"]
assert "\r" not in open(sys.argv[1], newline="").read()
PY2
			then ok "6: cloud-config ($pem, $url) parses to the script, nothing more"
			else not_ok "6: cloud-config ($pem, $url)" "$(cat cc$i.yaml)"; fi
		else
			# refused inputs are fine; say which
			ok "6: ($pem, $url) refused: $(head -1 cc$i.err)"
		fi
	done
done

# --- 7. custom headers and metadata requests do not follow redirects elsewhere ---
N=$T/nginx7
mkdir -p "$N/logs" "$N/tmp" "$N/www"
echo payload > "$N/www/target"
P1=$(free_port) P2=$(free_port)
cat > "$N/nginx.conf" <<CONF
daemon on;
worker_processes 1;
pid $N/nginx.pid;
error_log $N/logs/error.log;
events { worker_connections 64; }
http {
	log_format secret '\$server_port \$request_uri secret=[\$http_x_secret]';
	client_body_temp_path $N/tmp; proxy_temp_path $N/tmp;
	fastcgi_temp_path $N/tmp; uwsgi_temp_path $N/tmp; scgi_temp_path $N/tmp;
	access_log $N/logs/access.log secret;
	server { listen 127.0.0.1:$P1; root $N/www;
		location = /cross { return 302 http://localhost:$P2/target; }
		location = /same { return 302 /target; }
		location /latest/ { return 302 http://localhost:$P2/target; }
		location /metadata/ { return 302 http://localhost:$P2/target; } }
	server { listen 127.0.0.1:$P2; root $N/www; }
}
CONF
if nginx -p "$N" -c "$N/nginx.conf" -e "$N/logs/error.log"; then
	tap_on_exit "nginx -p '$N' -c '$N/nginx.conf' -e '$N/logs/error.log' -s stop 2>/dev/null"
	for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$P1/target" && break; sleep 0.1; done
	run "7: fetch -H, redirect to another host: refused, exit 4" 4 "$BOOTRINO" fetch \
		"http://127.0.0.1:$P1/cross" -o "$T/x7" -H "X-Secret: s3cr3t"
	has "7: says which redirect and why" "$ERR" "redirect to another host .*localhost:$P2/target.* refused"
	if ! grep -q "^$P2 .*secret=\[s3cr3t\]" "$N/logs/access.log"; then ok "7: the header never reached the other host"
	else not_ok "7: the header never reached the other host" "$(cat "$N/logs/access.log")"; fi
	run "7: fetch -H, redirect within the same origin: followed" 0 "$BOOTRINO" fetch \
		"http://127.0.0.1:$P1/same" -o "$T/y7" -H "X-Secret: s3cr3t"
	run "7: fetch without -H still follows a cross-host redirect" 0 "$BOOTRINO" fetch \
		"http://127.0.0.1:$P1/cross" -o "$T/z7"
	: > "$N/logs/access.log"
	run "7: metadata (digitalocean) never follows a redirect: exit 4" 4 "$BOOTRINO" metadata \
		--cloud digitalocean --metadata-url "http://127.0.0.1:$P1" --timeout 5
	has "7: metadata: says so" "$ERR" "redirect refused"
	run "7: metadata (aws: token PUT) never follows a redirect" 4 "$BOOTRINO" metadata \
		--cloud aws --metadata-url "http://127.0.0.1:$P1" --timeout 5
	if ! grep -q "^$P2 " "$N/logs/access.log"; then ok "7: the metadata requests never reached the other host"
	else not_ok "7: metadata requests never reached the other host" "$(cat "$N/logs/access.log")"; fi
else
	not_ok "7: second nginx starts" "$(cat "$N/logs/error.log")"
fi

# --- 9. metadata strings: invalid UTF-8, U+202E, U+2028, \u0000, duplicate keys ----
md() { # md NAME BODY: a DigitalOcean metadata document served by nginx
	mkdir -p "$S/md/$1/metadata"
	printf '%s' "$2" > "$S/md/$1/metadata/v1.json"
}
DOK='"public_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ok@x"]'
md good '{"droplet_id": 42, "hostname": "droplet-1", "region": "ams3", '"$DOK"'}'
md rlo '{"droplet_id": 42, "hostname": "evil\u202egnp.exe", "region": "ams3", '"$DOK"'}'
md ls '{"droplet_id": 42, "hostname": "a\u2028b", "region": "ams\u20293", '"$DOK"'}'
md nul '{"droplet_id": 42, "hostname": "droplet-1\u0000 init=/bin/sh", "region": "ams3", '"$DOK"'}'
md dup '{"droplet_id": 42, "hostname": "droplet-1", "hostname": "evil", "region": "ams3", '"$DOK"'}'
md deepdup '{"droplet_id": 42, "hostname": "droplet-1", "x": {"a": 1, "a": 2}, '"$DOK"'}'
mkdir -p "$S/md/utf8/metadata"
printf '{"droplet_id": 42, "hostname": "drop\xc0\xafet", "region": "ams3"}' > "$S/md/utf8/metadata/v1.json"
md keyrlo '{"droplet_id": 42, "hostname": "droplet-1", "public_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 a\u202eb", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ok@x"]}'
mdrun() { "$BOOTRINO" metadata --cloud digitalocean --metadata-url "$U/md/$1" --timeout 5; }
run "9: a plain document: exit 0" 0 mdrun good
hasf "9: plain: the hostname" "$OUT" '"hostname":	"droplet-1"'
for c in rlo ls; do
	run "9: $c: exit 0 (the field is dropped, the rest kept)" 0 mdrun $c
	if printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["metadata"].get("instance_id") == "42", d["metadata"]
for v in (d["metadata"].get("hostname"), d["metadata"].get("region"), d.get("hostname")):
    assert v is None or not any(ch in v for ch in "\u202e\u2028\u2029"), v
'; then ok "9: $c: no U+202E/U+2028/U+2029 in the facts"
	else not_ok "9: $c: no U+202E/U+2028/U+2029 in the facts" "$OUT"; fi
done
for c in nul dup deepdup utf8; do
	run "9: $c: refused, exit 3" 3 mdrun $c
done
has "9: \\u0000: says so" "$(mdrun nul 2>&1)" 'u0000 escape'
has "9: duplicate key: names it" "$(mdrun dup 2>&1)" 'duplicate key "hostname"'
has "9: invalid UTF-8: says so" "$(mdrun utf8 2>&1)" 'invalid UTF-8'
run "9: a key with U+202E is dropped, the others kept" 0 mdrun keyrlo
if printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ssh_authorized_keys"] == ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ok@x"], d["ssh_authorized_keys"]
'; then ok "9: keyrlo: only the clean key"; else not_ok "9: keyrlo" "$OUT"; fi

# --- 8. deadlines, size=, free space -------------------------------------------------
N8=$T/nginx8
mkdir -p "$N8/logs" "$N8/tmp" "$N8/www/slow"
cp "$S/target/vmlinuz" "$N8/www/slow/vmlinuz"
head -c 3000000 /dev/urandom > "$N8/www/big.bin"
P8=$(free_port)
cat > "$N8/nginx.conf" <<CONF
daemon on;
worker_processes 1;
pid $N8/nginx.pid;
error_log $N8/logs/error.log;
events { worker_connections 64; }
http {
	access_log $N8/logs/access.log;
	client_body_temp_path $N8/tmp; proxy_temp_path $N8/tmp;
	fastcgi_temp_path $N8/tmp; uwsgi_temp_path $N8/tmp; scgi_temp_path $N8/tmp;
	server { listen 127.0.0.1:$P8; root $N8/www;
		location /slow/ { limit_rate 1200; } }
}
CONF
if nginx -p "$N8" -c "$N8/nginx.conf" -e "$N8/logs/error.log"; then
	tap_on_exit "nginx -p '$N8' -c '$N8/nginx.conf' -e '$N8/logs/error.log' -s stop 2>/dev/null"
	for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$P8/big.bin" && break; sleep 0.1; done
	# a kernel trickled at 1.2 KiB/s: above the stall limit, never done
	mkdir -p "$S/p8"
	printf '#!/bin/sh\nset -e\nbootrino kernel http://127.0.0.1:%s/slow/vmlinuz sha256=%s\nbootrino boot\n' \
		"$P8" "$TK" > "$S/p8/slow.sh"
	sign "$S/p8/slow.sh"
	t0=$(date +%s)
	run "8: a trickling server is cut off by the stage deadline: exit 4" 4 "$BOOTRINO" boot \
		--script "$U/p8/slow.sh" --pubkey "$K" --deadline 4 --dry-run
	t1=$(date +%s)
	if [ $((t1 - t0)) -lt 30 ]; then ok "8: ... within the deadline, not the 60+ s the trickle needs"
	else not_ok "8: deadline honoured" "took $((t1 - t0)) s"; fi
	printf '{"deadline": 4}\n' > deadline.json
	run "8: the deadline from the config file" 4 "$BOOTRINO" boot --config deadline.json \
		--script "$U/p8/slow.sh" --pubkey "$K" --dry-run

	KSIZE=$(stat -c %s "$S/target/vmlinuz")
	printf '#!/bin/sh\nset -e\nbootrino kernel ../target/vmlinuz sha256=%s size=%s console=ttyS0\nbootrino initrd ../target/initrd.img sha256=%s size=30000\nbootrino boot\n' \
		"$TK" "$KSIZE" "$TI" > "$S/p8/size.sh"
	sign "$S/p8/size.sh"
	run "8: size= next to each pin" 0 "$BOOTRINO" boot --script "$U/p8/size.sh" --pubkey "$K" --dry-run --json
	if printf '%s' "$OUT" | python3 -c 'import json,sys; p=json.load(sys.stdin); assert p["kernel"]["size"] == '"$KSIZE"' and p["initrd"][0]["size"] == 30000 and p["cmdline"] == "console=ttyS0", p'; then
		ok "8: the plan records the sizes, the command line does not get them"
	else not_ok "8: size in the plan" "$OUT"; fi
	printf '#!/bin/sh\nset -e\nbootrino kernel ../target/vmlinuz sha256=%s size=%s\nbootrino boot\n' \
		"$TK" "$((KSIZE - 1))" > "$S/p8/short.sh"
	sign "$S/p8/short.sh"
	run "8: a server sending more than size=: refused" 3 "$BOOTRINO" boot --script "$U/p8/short.sh" \
		--pubkey "$K" --dry-run
	printf '#!/bin/sh\nset -e\nbootrino kernel ../target/vmlinuz sha256=%s size=999999999999999\nbootrino boot\n' \
		"$TK" > "$S/p8/huge.sh"
	sign "$S/p8/huge.sh"
	run "8: size= beyond the free space: exit 6 before any download" 6 "$BOOTRINO" boot \
		--script "$U/p8/huge.sh" --pubkey "$K" --dry-run
	has "8: says how much is needed and free" "$ERR" "need 999999999999999 bytes \(size=\), [0-9]+ are free"
	if unshare -m true 2> /dev/null; then
		mkdir -p "$T/small"
		timeout 60 unshare -m sh -c "mount -t tmpfs -o size=1m bootrino-test '$T/small' &&
			'$BOOTRINO' fetch 'http://127.0.0.1:$P8/big.bin' -o '$T/small/big.bin'" > /dev/null 2> err8
		rc=$?
		if [ "$rc" = 6 ] && grep -q "bytes free on the disk" err8; then
			ok "8: fetch refuses a Content-Length larger than the free space (exit 6)"
		else not_ok "8: free space vs Content-Length" "rc=$rc $(cat err8)"; fi
	else
		skip "8: free space vs Content-Length" "unshare -m not permitted here"
	fi
else
	not_ok "8: third nginx starts" "$(cat "$N8/logs/error.log")"
fi

# --- suspected: kexec-tools looked up in $PATH ---------------------------------------
# Hide the system's kexec in a private mount namespace, put a "kexec" in
# $PATH (an absolute and a relative entry), and see which one a kernel that
# needs kexec-tools (boot protocol 2.10) would be handed to.
python3 - bz210 <<'PY'
import struct, sys
img = bytearray(5 * 512 + 65536)
img[0x1f1] = 4
struct.pack_into("<H", img, 0x1fe, 0xAA55)
img[0x202:0x206] = b"HdrS"
struct.pack_into("<H", img, 0x206, 0x020a)
img[0x211] = 0x01
open(sys.argv[1], "wb").write(img)
PY
mkdir -p "$T/evilbin" "$T/bin2"
printf '#!/bin/sh\ntouch %s/evil-kexec-ran\n' "$T" > "$T/evilbin/kexec"
chmod 755 "$T/evilbin/kexec"
cp "$BOOTRINO" "$T/bin2/bootrino"
if unshare -m true 2> /dev/null; then
	for p in "$T/evilbin" "."; do
		out=$(cd "$T/evilbin" && PATH="$p:/usr/bin:/bin" unshare -m sh -c \
			"mount --make-rprivate / && for k in /sbin/kexec /usr/sbin/kexec; do [ -e \$k ] && mount --bind /dev/null \$k; done
			'$T/bin2/bootrino' kexec --kernel '$T/bz210' --dry-run" 2>&1)
		case $out in
		*"$T/evilbin/kexec"* | *"./kexec"*) not_ok "kexec-tools is never taken from \$PATH ($p)" "$out" ;;
		*) ok "kexec-tools is never taken from \$PATH ($p)" ;;
		esac
	done
	has "kexec-tools from \$PATH: says where it looked" "$out" "no kexec binary found next to bootrino"
else
	skip "kexec-tools from \$PATH" "unshare -m not permitted here"
fi

# --- suspected: a process the script leaves behind (setsid) ------------------------
mkdir -p "$S/p10"
printf '#!/bin/sh\nset -e\nsetsid sh -c "sleep 2; touch %s/escaped" > /dev/null 2>&1 < /dev/null &\nbootrino kernel ../target/vmlinuz sha256=%s\nbootrino boot\n' \
	"$T" "$TK" > "$S/p10/bootrino.sh"
sign "$S/p10/bootrino.sh"
run "setsid: the script runs and boots" 0 "$BOOTRINO" boot --script "$U/p10/bootrino.sh" --pubkey "$K" --dry-run
sleep 3
if [ ! -e "$T/escaped" ]; then ok "setsid: nothing the script started outlives it"
else not_ok "setsid: nothing the script started outlives it" "a setsid'd process ran after the plan was read"; fi

done_testing
