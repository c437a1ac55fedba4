#!/bin/bash
# `bootrino takeover --dry-run` (default path through the signed
# loader.json, and --direct) against a real nginx on loopback, with keys
# and signatures made by the real minisign CLI. --dry-run only: this never
# kexecs the machine it runs on.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/nginx.sh"
. "$(dirname "$0")/../lib/site.sh"

tap_require minisign nginx python3
site_begin loader alt target
site_key k

for d in loader alt target; do
	site_kernel "$S/$d/vmlinuz"
	head -c 30000 /dev/urandom > "$S/$d/initrd.img"
done
sum() { sha256sum "$1" | cut -d' ' -f1; }
LK=$(sum "$S/loader/vmlinuz") LI=$(sum "$S/loader/initrd.img")
TK=$(sum "$S/target/vmlinuz") TI=$(sum "$S/target/initrd.img")
sign() { minisign -S -s k.key -m "$1" > /dev/null; }

# loader.json NAME KERNEL_SHA INITRD_SHA [DIR]
loader_json() {
	printf '{"kernel": {"url": "vmlinuz", "sha256": "%s"},\n "initrd": [{"url": "initrd.img", "sha256": "%s"}],\n "cmdline": "console=ttyS0 quiet"}\n' \
		"$2" "$3" > "$S/${4:-loader}/$1"
	sign "$S/${4:-loader}/$1"
}
loader_json loader.json "$LK" "$LI"
printf '#!/bin/sh\nset -e\nbootrino kernel target/vmlinuz sha256=%s console=ttyS0\nbootrino initrd target/initrd.img sha256=%s\nbootrino boot\n' \
	"$TK" "$TI" > "$S/bootrino.sh"
sign "$S/bootrino.sh"

nginx_start "$S" || { not_ok "nginx starts"; done_testing; exit 1; }
U=$NGINX_URL

# --- default path: the loader -------------------------------------------------
run "takeover --dry-run: exit 0" 0 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" --pubkey "$K" --dry-run
has "names loader.json next to the script" "$OUT" "^loader +$U/loader/loader.json"
has "loader kernel URL resolved against loader.json" "$OUT" "^kernel +$U/loader/vmlinuz"
has "loader initrd URL resolved against loader.json" "$OUT" "^initrd +$U/loader/initrd.img"
has "loader command line" "$OUT" "^cmdline +console=ttyS0 quiet"
case $OUT in *"/etc/bootrino/config.json {\"script\":\"$U/bootrino.sh\",\"pubkeys\":[\"$K\"]"*) ok "overlay carries config.json" ;;
*) not_ok "overlay carries config.json" "$OUT" ;; esac
has "kexec validated the kernel" "$OUT" "^kexec +.*bzImage"
# preflight (docs/design.md, "Boot flow"): bootrino.sh and its whole plan are verified on the
# host before the loader replaces the running system
has "preflight: names the verified script" "$OUT" "^target +$U/bootrino.sh: signature and every artifact verified"
has "preflight: the target's kernel" "$OUT" "^  kernel +$U/target/vmlinuz"
has "preflight: the target's initrd" "$OUT" "^  initrd +$U/target/initrd.img"
has "preflight: kexec validated the target" "$OUT" "^  kexec +.*bzImage"
for f in bootrino.sh bootrino.sh.minisig target/vmlinuz target/initrd.img; do
	if grep -q "GET /$f " "$T/nginx/logs/access.log"; then ok "preflight fetched $f"
	else not_ok "preflight fetched $f"; fi
done

# a script that leaves a marker when it runs: tampered, it must never run
printf '#!/bin/sh\nset -e\nbootrino kernel target/vmlinuz sha256=%s\nbootrino initrd target/initrd.img sha256=%s\nbootrino boot\n' \
	"$TK" "$TI" > "$S/tampered.sh"
sign "$S/tampered.sh"
sed -i "2i touch '$T/marker'" "$S/tampered.sh"
run "default path, tampered bootrino.sh: exit 3" 3 "$BOOTRINO" takeover --no-install --script "$U/tampered.sh" \
	--pubkey "$K" --dry-run
has "tampered bootrino.sh: one line naming it" "$ERR" "^(\[\+[0-9]+\.[0-9]s\] )?bootrino: error: takeover: $U/tampered.sh"
if [ ! -e "$T/marker" ]; then ok "tampered bootrino.sh never ran"
else not_ok "tampered bootrino.sh never ran"; fi

printf '#!/bin/sh\nset -e\nbootrino kernel target/vmlinuz sha256=%s\nbootrino initrd target/initrd.img sha256=%s\nbootrino boot\n' \
	"$TK" "$LI" > "$S/wrongpin.sh"
sign "$S/wrongpin.sh"
run "default path, wrong initrd sha256 in bootrino.sh: exit 3" 3 "$BOOTRINO" takeover --no-install \
	--script "$U/wrongpin.sh" --pubkey "$K" --dry-run
has "wrong initrd sha256: one line naming the initrd" "$ERR" "^(\[\+[0-9]+\.[0-9]s\] )?bootrino: error: takeover: .*target/initrd\.img.*sha256 mismatch"
if [ "$(printf '%s\n' "$ERR" | grep -c 'error:')" = 1 ]; then ok "wrong initrd sha256: exactly one error line"
else not_ok "wrong initrd sha256: exactly one error line" "$ERR"; fi

# the preflight's downloads live in a private work dir, gone when it returns
mkdir -p "$T/tmp"
run "preflight with TMPDIR: exit 0" 0 env TMPDIR="$T/tmp" "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" \
	--pubkey "$K" --dry-run
run "failed preflight with TMPDIR: exit 3" 3 env TMPDIR="$T/tmp" "$BOOTRINO" takeover --no-install \
	--script "$U/wrongpin.sh" --pubkey "$K" --dry-run
if [ -z "$(ls -A "$T/tmp")" ]; then ok "preflight leaves no downloads behind"
else not_ok "preflight leaves no downloads behind" "$(ls -lR "$T/tmp")"; fi

cp "$S/loader/loader.json" "$S/loader/tampered.json"
cp "$S/loader/loader.json.minisig" "$S/loader/tampered.json.minisig"
sed -i 's/quiet/quiet init=\/bin\/sh/' "$S/loader/tampered.json"
run "tampered loader.json: exit 3" 3 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" --pubkey "$K" \
	--loader "$U/loader/tampered.json" --dry-run
has "tampered loader.json: one line naming it" "$ERR" "^(\[\+[0-9]+\.[0-9]s\] )?bootrino: error: takeover: $U/loader/tampered.json: "

loader_json badinitrd.json "$LK" 0000000000000000000000000000000000000000000000000000000000000000
run "wrong initrd sha256 in loader.json: exit 3" 3 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" \
	--pubkey "$K" --loader "$U/loader/badinitrd.json" --dry-run
has "wrong initrd sha256: names the initrd" "$ERR" "initrd\.img.*sha256 mismatch"

printf '{"kernel": {"url": "vmlinuz"}}\n' > "$S/loader/nopin.json"
sign "$S/loader/nopin.json"
run "loader.json without a pin: exit 3, even with --insecure" 3 "$BOOTRINO" takeover --no-install --insecure \
	--script "$U/bootrino.sh" --pubkey "$K" --loader "$U/loader/nopin.json" --dry-run

printf '{"kernel": {"url": "vmlinuz", "sha256": "%s"}, "bogus": 1}\n' "$LK" > "$S/loader/unknown.json"
sign "$S/loader/unknown.json"
run "loader.json with an unknown key: exit 2" 2 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" \
	--pubkey "$K" --loader "$U/loader/unknown.json" --dry-run

cp "$S/loader/loader.json" "$S/loader/unsigned.json"
run "unsigned loader.json: exit 3" 3 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" --pubkey "$K" \
	--loader "$U/loader/unsigned.json" --dry-run

loader_json loader.json "$(sum "$S/alt/vmlinuz")" "$(sum "$S/alt/initrd.img")" alt
run "--loader URL overrides the default" 0 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" --pubkey "$K" \
	--loader "$U/alt/loader.json" --dry-run
has "--loader: the alternative kernel" "$OUT" "^kernel +$U/alt/vmlinuz"

# --- the root-disk install (docs/disk.md) ------------------------------------
# Above: --no-install, since this machine's root disk may not be one a
# takeover can tell (a container's, or / on a disk without a table).
has "--no-install: the dry run says no disk is written" "$OUT" "^install +none \(--no-install"
run "default path, loader.json without a boot-disk image: exit 2" 2 "$BOOTRINO" takeover \
	--script "$U/bootrino.sh" --pubkey "$K" --dry-run
has "no boot-disk image: one line saying what to do" "$ERR" \
	"^(\[\+[0-9.]+s\] )?bootrino: error: takeover: .*loader.json names no boot-disk image .*--no-install"
head -c 4096 /dev/urandom > "$S/loader/bootdisk.img.zst"
printf '{"kernel": {"url": "vmlinuz", "sha256": "%s"},\n "initrd": [{"url": "initrd.img", "sha256": "%s"}],\n "bootdisk": {"url": "bootdisk.img.zst", "sha256": "%s"}}\n' \
	"$LK" "$LI" "$(sum "$S/loader/bootdisk.img.zst")" > "$S/loader/disk.json"
sign "$S/loader/disk.json"
"$BOOTRINO" takeover --script "$U/bootrino.sh" --pubkey "$K" --loader "$U/loader/disk.json" \
	--dry-run > "$T/out" 2> "$T/err"
rc=$?
case $rc in
0) grep -qE "^install +[a-z0-9]+\(size=[0-9]+ sector=[0-9]+ ptuuid=[^ )]+.*nothing is written now" "$T/out" &&
	ok "default dry run names the root disk by identity and size (exit 0)" ||
	not_ok "default dry run names the root disk" "$(cat "$T/out")" ;;
6) [ "$(grep -c 'error:' "$T/err")" = 1 ] && grep -Eq "^(\[\+[0-9.]+s\] )?bootrino: error: takeover: the root disk" "$T/err" &&
	ok "default dry run: this machine's root disk cannot be told: exit 6, one line ($(grep error: "$T/err"))" ||
	not_ok "default dry run: one line for a root disk that cannot be told" "$(cat "$T/err")" ;;
*) not_ok "default dry run with a boot-disk image: exit 0 or 6" "exit $rc: $(cat "$T/err")" ;;
esac
if grep -q "GET /loader/bootdisk.img.zst " "$T/nginx/logs/access.log"; then
	not_ok "a dry run does not download the boot-disk image"
else
	ok "a dry run does not download the boot-disk image"
fi

echo 9999999999 > "$T/state/loader-timestamp"
run "loader.json older than the last one accepted: exit 3" 3 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" \
	--pubkey "$K" --dry-run --state-dir "$T/state"
has "loader rollback: says why" "$ERR" "loader.json: .*older than"
rm -f "$T/state/loader-timestamp"
run "takeover --dry-run records no loader timestamp" 0 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" \
	--pubkey "$K" --dry-run --state-dir "$T/state"
if [ ! -e "$T/state/loader-timestamp" ]; then ok "dry run: state untouched"; else not_ok "dry run: state untouched"; fi

# --- --config FILE ------------------------------------------------------------
printf '{"script": "%s", "pubkeys": ["%s"]}\n' "$U/bootrino.sh" "$K" > config.json
run "--config FILE supplies script and keys" 0 "$BOOTRINO" takeover --no-install --config config.json --dry-run
printf '{"script": "%s", "pubkeys": "%s"}\n' "$U/bootrino.sh" "$K" > badconfig.json
run "malformed --config: exit 2" 2 "$BOOTRINO" takeover --no-install --config badconfig.json --dry-run
has "malformed --config: names the file" "$ERR" "badconfig.json: .*pubkeys"
printf '{"script": "%s", "pubkeys": ["RWQnotakey"]}\n' "$U/bootrino.sh" > badkey.json
run "config with an unusable key: exit 2" 2 "$BOOTRINO" takeover --no-install --config badkey.json --dry-run

# --- --direct: bootrino.sh on the host ---------------------------------------------
run "takeover --direct --dry-run: exit 0" 0 "$BOOTRINO" takeover --no-install --direct --script "$U/bootrino.sh" \
	--pubkey "$K" --dry-run --state-dir "$T/state"
has "--direct: the target's kernel, not the loader's" "$OUT" "^kernel +$U/target/vmlinuz"
has "--direct: the target's initrd" "$OUT" "^initrd +$U/target/initrd.img"

run "takeover without --pubkey: exit 2" 2 "$BOOTRINO" takeover --no-install --script "$U/bootrino.sh" --dry-run
run "takeover, server down: exit 4" 4 "$BOOTRINO" takeover --no-install --script "http://127.0.0.1:$(free_port)/bootrino.sh" \
	--pubkey "$K" --dry-run

done_testing
