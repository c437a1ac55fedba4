#!/bin/bash
# `bootrino boot --dry-run` and `bootrino plan` against a real nginx on
# loopback serving a bootrino.sh signed with the real minisign CLI.
# --dry-run only: this never kexecs the machine it runs on.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/nginx.sh"
. "$(dirname "$0")/../lib/site.sh"

tap_require minisign nginx python3
site_begin v1 conf
site_key k other
KO=$(sed -n 2p other.pub)
# a real bzImage when the images are built (kexec --dry-run validates it)
site_kernel "$S/v1/vmlinuz" real
head -c 20000 /dev/urandom > "$S/v1/initrd.img"
printf 'key=value\nsecond line\n' > "$S/conf/app.conf"
KSUM=$(sha256sum "$S/v1/vmlinuz" | cut -d' ' -f1)
ISUM=$(sha256sum "$S/v1/initrd.img" | cut -d' ' -f1)
CSUM=$(sha256sum "$S/conf/app.conf" | cut -d' ' -f1)
BAD=0000000000000000000000000000000000000000000000000000000000000000

nginx_start "$S" || { not_ok "nginx starts"; done_testing; exit 1; }
U=$NGINX_URL

# write_script NAME BODY: $S/NAME.sh signed with k.key (timestamp 1700000000)
write_script() {
	printf '#!/bin/sh\nset -e\ntouch %s/ran-%s\n%s\n' "$T" "$1" "$2" > "$S/$1.sh"
	minisign -S -s k.key -m "$S/$1.sh" -t "timestamp:1700000000	file:$1.sh" > /dev/null
}
ran() { [ -e "$T/ran-$1" ]; }

write_script good "bootrino kernel v1/vmlinuz sha256=$KSUM console=ttyS0 'msg=\"hello world\"'
bootrino initrd v1/initrd.img sha256=$ISUM
bootrino cmdline quiet
bootrino file /etc/motd \"hello
from bootrino\"
bootrino file /etc/app.conf @conf/app.conf sha256=$CSUM
echo \"env: \$BOOTRINO_STAGE \$BOOTRINO_CLOUD \$BOOTRINO_SCRIPT_URL \$BOOTRINO_BASE_URL \$BOOTRINO_BOOT_COUNT\" >&2
bootrino boot"

# --- bootrino plan ------------------------------------------------------------
run "plan --json: exit 0" 0 "$BOOTRINO" plan --json --script "$U/good.sh" --pubkey "$K"
printf '%s' "$OUT" > plan.json
if python3 - plan.json "$U" "$KSUM" "$CSUM" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
u = sys.argv[2]
assert p["version"] == 1, p
assert p["kernel"] == {"url": u + "/v1/vmlinuz", "sha256": sys.argv[3]}, p["kernel"]
assert p["initrd"][0]["url"] == u + "/v1/initrd.img", p["initrd"]
assert p["cmdline"] == 'console=ttyS0 msg="hello world" quiet', p["cmdline"]
assert p["files"][0] == {"path": "/etc/motd", "content": "hello\nfrom bootrino"}, p["files"]
assert p["files"][1] == {"path": "/etc/app.conf", "url": u + "/conf/app.conf",
                         "sha256": sys.argv[4]}, p["files"]
assert p["boot"] is True and p["insecure"] is False
PY
then ok "plan --json: valid JSON, URLs resolved against the script, quoting kept"
else not_ok "plan --json: content" "$(cat plan.json)"; fi
has "the script saw its environment" "$ERR" "env: host [a-z]+ $U/good.sh $U/ 0"
run "plan PLAN.json validates and re-prints a plan file" 0 "$BOOTRINO" plan --json plan.json
if [ "$OUT" = "$(cat plan.json)" ]; then ok "plan PLAN.json: same JSON"; else not_ok "plan PLAN.json: same JSON" "$OUT"; fi
printf '{"version":1,"kernel":{"url":"http://h/k","sha256":"12"}}' > bad-plan.json
run "plan: a malformed plan file is refused" 2 "$BOOTRINO" plan bad-plan.json
run "plan: a local FILE runs without a key" 0 "$BOOTRINO" plan --script "$S/good.sh"
has "plan: text summary names the kernel URL" "$OUT" "kernel +file://$S/v1/vmlinuz"
run "plan: a URL without --pubkey is refused" 2 "$BOOTRINO" plan --script "$U/good.sh"

# --- bootrino boot --dry-run --------------------------------------------------
rm -f "$T/ran-good"
run "boot --dry-run: good script, exit 0" 0 "$BOOTRINO" boot --script "$U/good.sh" --pubkey "$K" \
	--dry-run --state-dir "$T/state"
has "boot --dry-run prints the resolved kernel URL" "$OUT" "kernel +$U/v1/vmlinuz"
has "boot --dry-run prints the resolved initrd URL" "$OUT" "initrd +$U/v1/initrd.img"
has "boot --dry-run prints the @URL file" "$OUT" "/etc/app.conf <- $U/conf/app.conf"
if ran good; then ok "the good script ran"; else not_ok "the good script ran"; fi
if [ ! -e "$T/state/last-timestamp" ]; then ok "dry run records no timestamp"
else not_ok "dry run records no timestamp"; fi
run "boot --dry-run --json: exit 0" 0 "$BOOTRINO" boot --script "$U/good.sh" --pubkey "$K" \
	--dry-run --json --state-dir "$T/state"
if printf '%s' "$OUT" | python3 -c 'import json,sys; assert json.load(sys.stdin)["boot"]'; then
	ok "boot --dry-run --json prints JSON"; else not_ok "boot --dry-run --json prints JSON" "$OUT"; fi
run "boot: key rotation, the right key second" 0 "$BOOTRINO" boot --script "$U/good.sh" \
	--pubkey "$KO" --pubkey "$K" --dry-run --state-dir "$T/state"

# --- verification failures: exit 3, the script never runs -------------------------
cp "$S/good.sh" "$S/tampered.sh"
cp "$S/good.sh.minisig" "$S/tampered.sh.minisig"
echo 'touch '"$T"'/ran-evil' >> "$S/tampered.sh"
rm -f "$T/ran-good"
run "tampered script: exit 3" 3 "$BOOTRINO" boot --script "$U/tampered.sh" --pubkey "$K" --dry-run
has "tampered script: one line naming the URL" "$ERR" "^bootrino: error: boot: $U/tampered.sh: "
if ! ran good && [ ! -e "$T/ran-evil" ]; then ok "tampered script did not run"
else not_ok "tampered script did not run"; fi
run "wrong key: exit 3" 3 "$BOOTRINO" boot --script "$U/good.sh" --pubkey "$KO" --dry-run
if ! ran good; then ok "script signed by an untrusted key did not run"; else not_ok "untrusted script did not run"; fi
cp "$S/good.sh" "$S/unsigned.sh"
run "unsigned script (no .minisig, HTTP 404): exit 3" 3 "$BOOTRINO" boot --script "$U/unsigned.sh" \
	--pubkey "$K" --dry-run
has "unsigned: says the signature is missing" "$ERR" "unsigned\.sh\.minisig.*(no signature|404)"
echo 9999999999 > "$T/state/last-timestamp"
run "rollback: older signature timestamp: exit 3" 3 "$BOOTRINO" boot --script "$U/good.sh" \
	--pubkey "$K" --dry-run --state-dir "$T/state"
has "rollback: says why" "$ERR" "older than"
if ! ran good; then ok "rolled-back script did not run"; else not_ok "rolled-back script did not run"; fi
rm -f "$T/state/last-timestamp"

write_script wrongpin "bootrino kernel v1/vmlinuz sha256=$KSUM
bootrino initrd v1/initrd.img sha256=$BAD
bootrino boot"
run "wrong artifact sha256: exit 3" 3 "$BOOTRINO" boot --script "$U/wrongpin.sh" --pubkey "$K" --dry-run
has "wrong sha256: names the artifact and the mismatch" "$ERR" "initrd\.img.*sha256 mismatch"
if [ -z "$OUT" ]; then ok "wrong sha256: no plan printed (nothing loaded)"; else not_ok "wrong sha256: nothing printed" "$OUT"; fi

write_script wrongfile "bootrino kernel v1/vmlinuz sha256=$KSUM
bootrino file /etc/app.conf @conf/app.conf sha256=$BAD
bootrino boot"
run "wrong sha256 on a file @URL: exit 3" 3 "$BOOTRINO" boot --script "$U/wrongfile.sh" --pubkey "$K" --dry-run

write_script nopin "bootrino kernel v1/vmlinuz console=ttyS0
bootrino boot"
run "artifact without sha256: exit 3" 3 "$BOOTRINO" boot --script "$U/nopin.sh" --pubkey "$K" --dry-run
has "no pin: says so" "$ERR" "no sha256 pin"
run "artifact without sha256, --insecure: exit 0" 0 "$BOOTRINO" boot --script "$U/nopin.sh" \
	--pubkey "$K" --dry-run --insecure

# a verb's failure blocks the boot even when the script ignores it
write_script ignored "set +e
bootrino kernel v1/vmlinuz sha256=$KSUM
bootrino initrd v1/initrd.img || true
bootrino boot
exit 0"
run "failed verb ignored by the script: still exit 3" 3 "$BOOTRINO" boot --script "$U/ignored.sh" \
	--pubkey "$K" --dry-run

# a verb whose addition does not fit poisons the plan even when ignored
write_script toobig "set +e
bootrino kernel v1/vmlinuz sha256=$KSUM
big=\$(printf '%060000d' 0)
for i in \$(seq 20); do bootrino file /f\$i \"\$big\" 2>/dev/null; done
bootrino boot
exit 0"
run "plan over 1 MiB, failures ignored by the script: exit 2" 2 "$BOOTRINO" boot --script "$U/toobig.sh" \
	--pubkey "$K" --dry-run
has "plan over 1 MiB: says so" "$ERR" "plan over 1048576 bytes"

# --- script errors: exit 2 ---------------------------------------------------
write_script noboot "bootrino kernel v1/vmlinuz sha256=$KSUM"
run "script without boot: exit 2" 2 "$BOOTRINO" boot --script "$U/noboot.sh" --pubkey "$K" --dry-run
has "without boot: says so" "$ERR" "without .boot."
write_script fails "exit 7"
run "script exiting 7: exit 2" 2 "$BOOTRINO" boot --script "$U/fails.sh" --pubkey "$K" --dry-run
write_script slow "sleep 30"
start=$(date +%s)
run "script over --timeout: exit 2" 2 "$BOOTRINO" boot --script "$U/slow.sh" --pubkey "$K" --dry-run \
	--timeout 1
if [ $(($(date +%s) - start)) -lt 10 ]; then ok "timeout: killed promptly"; else not_ok "timeout: killed promptly"; fi
write_script traversal "bootrino kernel v1/vmlinuz sha256=$KSUM
bootrino file /etc/../root/x hi
bootrino boot"
run "file with '..': exit 2" 2 "$BOOTRINO" boot --script "$U/traversal.sh" --pubkey "$K" --dry-run

# --- usage ------------------------------------------------------------------------
run "a verb outside a script: exit 2" 2 env -u BOOTRINO_PLAN "$BOOTRINO" kernel x sha256=$KSUM
run "boot without --pubkey: exit 2" 2 "$BOOTRINO" boot --script "$U/good.sh" --dry-run
run "boot with a malformed key: exit 2" 2 "$BOOTRINO" boot --script "$U/good.sh" --pubkey RWQnotakey --dry-run
run "fetch failure (nothing listening): exit 4" 4 "$BOOTRINO" boot --script "http://127.0.0.1:$(free_port)/x.sh" \
	--pubkey "$K" --dry-run

done_testing
