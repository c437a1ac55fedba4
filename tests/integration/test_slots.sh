#!/bin/bash
# The every-boot decision (docs/every-boot.md) without QEMU: `bootrino boot
# --slots DIR --dry-run` runs the loader's decision against a state
# directory, with a real nginx on loopback and scripts signed by the real
# minisign CLI; --dry-run validates the kexec load and writes the state as
# if the target started. Every outcome: first, cached, new, fallback
# (server down, a server that never answers, bad signature, replayed older
# timestamp, wrong artifact hash, failing script), trial abandoned after N
# boots, confirmed trial promoted, --allow-rollback logged, a damaged slot
# on disk, a hostile state.json; `bootrino status` and `bootrino confirm`.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/nginx.sh"
. "$(dirname "$0")/../lib/site.sh"

tap_require minisign nginx python3
site_begin v1 v2 conf
ST=$T/state
site_key k
site_kernel "$S/v1/vmlinuz" real
head -c 30000 /dev/urandom > "$S/v1/initrd.img"
head -c 30000 /dev/urandom > "$S/v2/initrd.img"
printf 'version=1\n' > "$S/conf/app.conf"
KSUM=$(sha256sum "$S/v1/vmlinuz" | cut -d' ' -f1)
I1=$(sha256sum "$S/v1/initrd.img" | cut -d' ' -f1)
I2=$(sha256sum "$S/v2/initrd.img" | cut -d' ' -f1)
CSUM=$(sha256sum "$S/conf/app.conf" | cut -d' ' -f1)

nginx_start "$S" || { not_ok "nginx starts"; done_testing; exit 1; }
U=$NGINX_URL
LOG=$T/nginx/logs/access.log

# publish TS BODY: bootrino.sh signed with timestamp TS
publish() {
	printf '#!/bin/sh\nset -e\n%s\nbootrino boot\n' "$2" > "$S/bootrino.sh"
	minisign -S -s k.key -m "$S/bootrino.sh" -t "timestamp:$1	file:bootrino.sh" > /dev/null
}
plan_v1="bootrino kernel v1/vmlinuz sha256=$KSUM console=ttyS0
bootrino initrd v1/initrd.img sha256=$I1
bootrino file /etc/app.conf @conf/app.conf sha256=$CSUM"
plan_v2="bootrino kernel v1/vmlinuz sha256=$KSUM console=ttyS0
bootrino initrd v2/initrd.img sha256=$I2"

# boot NAME [OPTIONS]: one loader run against $ST; $OUTCOME = its slot: line
boot() {
	local name=$1
	shift
	run "$name: exit 0" 0 "$BOOTRINO" boot --script "$U/bootrino.sh" --pubkey "$K" \
		--slots "$ST" --stage loader --dry-run "$@"
	OUTCOME=$(printf '%s\n' "$ERR" | grep 'slot: outcome=' | tail -1)
}
state() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$ST/state.json" "$1"; }
outcome_is() { has "$1" "$OUTCOME" "$2"; }

# --- first boot: slot a seeded ------------------------------------------------
publish 1000 "$plan_v1"
boot "first boot"
outcome_is "first boot: outcome=first slot=a" 'slot: outcome=first slot=a timestamp=1000 '
has "first boot: durable steps are announced" "$ERR" 'slot: step fetch-artifact'
for step in kexec-load artifacts-synced slot-json-written state-json-renamed dir-synced; do
	has "first boot: step $step" "$ERR" "slot: step $step"
done
check "state: current a, max_timestamp 1000" [ "$(state 's["current"], s["trial"], s["max_timestamp"]')" = "('a', None, 1000)" ]
for f in bootrino.sh bootrino.sh.minisig plan.json facts.json slot.json "artifacts/$KSUM" "artifacts/$I1" "artifacts/$CSUM"; do
	check "slot a holds $f" [ -s "$ST/a/$f" ]
done
check "slot a's artifacts are the published bytes" cmp -s "$ST/a/artifacts/$I1" "$S/v1/initrd.img"

# --- same plan: from disk, only the script and its signature fetched -----------
: > "$LOG"
boot "unchanged plan"
outcome_is "unchanged plan: outcome=cached slot=a" 'slot: outcome=cached slot=a timestamp=1000 '
fetched=$(awk '{print $7}' "$LOG" | sort | tr '\n' ' ')
echo "# unchanged plan: $(awk '{n += $10} END {print n}' "$LOG") bytes fetched (bootrino.sh $(stat -c %s "$S/bootrino.sh") + signature $(stat -c %s "$S/bootrino.sh.minisig"), HTTP bodies)"
has "unchanged plan: the server saw only bootrino.sh and its signature" "$fetched" '^/bootrino.sh /bootrino.sh.minisig $'
has "unchanged plan: artifacts re-hashed from disk" "$ERR" 'using the copy on bootrino-state \(sha256 checked again\)'
check "slot a: 2 boots" [ "$(python3 -c 'import json; print(json.load(open("'"$ST"'/a/slot.json"))["boots"])')" = 2 ]

# --- a new plan: slot b, current once loaded (no confirm) ----------------------
publish 2000 "$plan_v2"
boot "new plan"
outcome_is "new plan: outcome=new slot=b" 'slot: outcome=new slot=b timestamp=2000 '
check "state: current b, max_timestamp 2000" [ "$(state 's["current"], s["trial"], s["max_timestamp"]')" = "('b', None, 2000)" ]

# --- failures: the current slot boots, the reason on the console and in log/ ---
nginx_stop
boot "server down"
outcome_is "server down: outcome=fallback slot=b" 'slot: outcome=fallback slot=b timestamp=2000 reason="fetch failed \(exit 4\): .*(connect|refused)'
has "server down: the log says so" "$(cat "$ST/log/loader.log")" 'outcome=fallback slot=b .*reason='
nginx_restart || not_ok "nginx restarts"

# a server that accepts and never answers: the script deadline bounds it
HANG=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); time.sleep(120)' "$HANG" &
HANG_PID=$!
tap_on_exit "kill $HANG_PID 2>/dev/null"
sleep 0.3
t0=$(date +%s)
run "hanging server: exit 0" 0 "$BOOTRINO" boot --script "http://127.0.0.1:$HANG/bootrino.sh" \
	--pubkey "$K" --slots "$ST" --stage loader --dry-run --script-deadline 3
t1=$(date +%s)
has "hanging server: outcome=fallback slot=b" "$(printf '%s\n' "$ERR" | grep 'slot: outcome=')" 'outcome=fallback slot=b'
check "hanging server: gave up within the deadline (3 s + slack), took $((t1 - t0)) s" [ $((t1 - t0)) -le 10 ]
kill "$HANG_PID" 2> /dev/null

# tampered: the signature does not match
publish 3000 "$plan_v1"
printf '# tampered\n' >> "$S/bootrino.sh"
boot "tampered script"
outcome_is "tampered script: outcome=fallback slot=b" 'outcome=fallback slot=b .*reason="not verified \(exit 3\): .*[Ss]ignature'

# replayed: a validly signed older bootrino.sh
publish 1000 "$plan_v1"
cp "$S/bootrino.sh" "$T/v1-replay.sh"
cp "$S/bootrino.sh.minisig" "$T/v1-replay.sh.minisig"
boot "replayed older script"
outcome_is "replayed older script: refused (anti-rollback)" 'outcome=fallback slot=b .*reason="not verified \(exit 3\): .*older than 2000'
check "replay: slot a untouched" [ -s "$ST/a/slot.json" ]

# a wrong artifact hash: the other slot is not left half-written
publish 3000 "bootrino kernel v1/vmlinuz sha256=$KSUM
bootrino initrd v1/initrd.img sha256=$I2"
boot "wrong artifact hash"
outcome_is "wrong artifact hash: outcome=fallback slot=b" 'outcome=fallback slot=b .*reason=".*sha256'
check "wrong artifact hash: slot a holds no slot.json" [ ! -e "$ST/a/slot.json" ]
check "wrong artifact hash: current still b" [ "$(state 's["current"]')" = b ]

# a script that fails
publish 3100 "echo broken >&2; exit 7"
boot "failing script"
outcome_is "failing script: outcome=fallback slot=b" 'outcome=fallback slot=b .*reason="script failed \(exit 2\): .*exited with status 7'

# --- the dead-man switch: never confirmed → abandoned after N boots -----------
publish 4000 "bootrino confirm 2
$plan_v1"
boot "confirm 2: new plan"
outcome_is "confirm 2: on trial in slot a" 'outcome=new slot=a timestamp=4000 reason="new plan on trial: boot 1 of 2'
check "state: trial a, current b" [ "$(state 's["current"], s["trial"], s["trial_boots"]')" = "('b', 'a', 1)" ]
boot "confirm 2: second boot"
outcome_is "confirm 2: trial booted again" 'outcome=new slot=a .*boot 2 of 2'
boot "confirm 2: third boot"
outcome_is "confirm 2: abandoned, back to slot b" 'outcome=abandoned slot=b timestamp=2000 reason="slot a abandoned after 2 unconfirmed boots'
has "abandoned: the log says so" "$(cat "$ST/log/loader.log")" 'slot a abandoned after 2 unconfirmed boots'
boot "abandoned plan still published"
outcome_is "abandoned plan is not tried again" 'outcome=fallback slot=b .*abandoned'

# --- confirmed: promoted to current ----------------------------------------------
publish 5000 "bootrino confirm
$plan_v1"
boot "confirm: new plan"
outcome_is "confirm: on trial in slot a" 'outcome=new slot=a timestamp=5000 .*boot 1 of 3'
python3 - "$ST/a/slot.json" "$T/boot.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
json.dump({"slot": "a", "trial": True, "confirm": 3, "token": s["token"]}, open(sys.argv[2], "w"))
PY
printf '{"slot":"a","token":"00000000000000000000000000000000"}' > "$T/wrong.json"
run "confirm with a stale token: exit 0" 0 "$BOOTRINO" confirm --boot-json "$T/wrong.json" --state "$ST"
boot "stale token"
outcome_is "a stale token does not promote" 'outcome=new slot=a .*boot 2 of 3'
run "bootrino confirm: exit 0" 0 "$BOOTRINO" confirm --boot-json "$T/boot.json" --state "$ST"
out_has "bootrino confirm says so" 'slot a confirmed'
boot "confirmed trial"
outcome_is "confirmed trial: promoted, booted from disk" 'outcome=cached slot=a timestamp=5000 reason="slot a confirmed by the target: now current'
check "state: current a, no trial" [ "$(state 's["current"], s["trial"]')" = "('a', None)" ]
printf '{"slot":"c"}' > "$T/bad.json"
run "confirm: a bad boot.json is refused" 2 "$BOOTRINO" confirm --boot-json "$T/bad.json" --state "$ST"
err_is "confirm: one line" 'must be "a" or "b"'

# --- a damaged slot on disk: re-hashed, refused, fetched anew ------------------
printf 'X' | dd of="$ST/a/artifacts/$I1" bs=1 seek=100 conv=notrunc 2> /dev/null
boot "damaged artifact on disk"
has "damaged artifact: the hash check refuses it" "$ERR" 'current slot a does not boot'
outcome_is "damaged artifact: fetched again into slot b" 'outcome=new slot=b timestamp=5000'

# --- --allow-rollback: the one way back, logged --------------------------------
cp "$T/v1-replay.sh" "$S/bootrino.sh"
cp "$T/v1-replay.sh.minisig" "$S/bootrino.sh.minisig"
boot "replay without --allow-rollback"
outcome_is "replay refused" 'outcome=fallback slot=b'
boot "replay with --allow-rollback" --allow-rollback
outcome_is "--allow-rollback: the older plan boots" 'outcome=new slot=a timestamp=1000'
has "--allow-rollback is logged" "$(cat "$ST/log/loader.log")" 'allow-rollback: accepted .* signed at 1000 \(newest accepted was 5000\)'
check "max_timestamp follows the operator's choice" [ "$(state 's["max_timestamp"]')" = 1000 ]

# --- bootrino status ------------------------------------------------------------
run "status: exit 0" 0 "$BOOTRINO" status --state "$ST"
out_has "status: current slot" '^current +a +timestamp=1000'
out_has "status: last outcome" '^last boot outcome=new slot=a'
out_has "status: log lines" 'allow-rollback'
out_has "status: the last boot's stage summary" ' stages: .*script [0-9.]+s.* \(total [0-9.]+s\)'
run "status --json: exit 0" 0 "$BOOTRINO" status --state "$ST" --json
if printf '%s' "$OUT" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["current"]["slot"] == "a" and s["current"]["timestamp"] == 1000, s
assert len(s["current"]["artifacts"]) == 3, s["current"]
assert s["last"]["outcome"] == "new" and len(s["log"]) == 10, s'; then
	ok "status --json: slots, artifacts, last outcome, 10 log lines"
else not_ok "status --json" "$OUT"; fi

# --- hostile state.json: one line, the slots start over --------------------------
printf '{"version":1,"current":"a","trial":"a"}' > "$ST/state.json"
run "status: a hostile state.json" 2 "$BOOTRINO" status --state "$ST"
err_is "status: one line" 'state.json: the trial slot is the current one'
publish 6000 "$plan_v2"
boot "hostile state.json"
has "hostile state.json: said on the console" "$ERR" 'starting the slots over'
outcome_is "hostile state.json: the newest boots as the first" 'outcome=first slot=a timestamp=6000'

# --- log rotation: bounded ---------------------------------------------------------
python3 -c 'import sys; open(sys.argv[1], "a").write(("x" * 200 + "\n") * 1400)' "$ST/log/loader.log"
boot "log rotation"
check "log rotated to loader.log.1" [ -s "$ST/log/loader.log.1" ]
check "loader.log restarted small" [ "$(stat -c %s "$ST/log/loader.log")" -lt 4096 ]

# --- the first boot after an install: seeded from what the host carried ----------
# (the loader's /var/lib/bootrino/carried, in a private mount namespace; the
# server is down: nothing but the carried copies can fill slot a)
if command -v unshare > /dev/null && unshare -m true 2> /dev/null; then
	publish 7000 "$plan_v1"
	C=$T/carried
	mkdir -p "$C/sha256"
	printf '%s' "$U/bootrino.sh" > "$C/url"
	cp "$S/bootrino.sh" "$S/bootrino.sh.minisig" "$C/"
	cp "$S/v1/vmlinuz" "$C/sha256/$KSUM"
	cp "$S/v1/initrd.img" "$C/sha256/$I1"
	cp "$S/conf/app.conf" "$C/sha256/$CSUM"
	nginx_stop
	run "first boot from the carried copies: exit 0" 0 unshare -m sh -c '
		mount -t tmpfs none /var/lib && mkdir -p /var/lib/bootrino &&
		cp -a "$1" /var/lib/bootrino/carried && shift && exec "$@"' sh "$C" \
		"$BOOTRINO" boot --script "$U/bootrino.sh" --pubkey "$K" --slots "$T/state2" \
		--stage loader --dry-run
	has "carried: outcome=first slot=a, server down" "$(printf '%s\n' "$ERR" | grep 'slot: outcome=')" \
		'outcome=first slot=a timestamp=7000 '
	has "carried: the host's copies, re-hashed" "$ERR" 'using the copy the host verified \(sha256 checked again\)'
	check "carried: slot a holds the three artifacts" \
		[ "$(find "$T/state2/a/artifacts" -type f -name '[0-9a-f]*' | wc -l)" = 3 ]
	check "carried: the stored kernel is the published one" cmp -s "$T/state2/a/artifacts/$KSUM" "$S/v1/vmlinuz"
	nginx_restart || not_ok "nginx restarts"
else
	skip "first boot from the carried copies" "no unshare -m here"
fi

# --- status --disk: an image file, offline, read-only ---------------------------
IMG=$T/disk.img
if truncate -s 64M "$IMG" && printf 'label: gpt\nstart=2048, size=4096, name=bootrino-esp\nstart=6144, size=100000, name=bootrino-state\n' |
	sfdisk -q "$IMG" > /dev/null 2>&1 &&
	mkfs.ext4 -q -F -L bootrino-state -d "$ST" -E offset=$((6144 * 512)) "$IMG" $((100000 / 2))k > /dev/null 2>&1; then
	sum0=$(sha256sum "$IMG" | cut -d' ' -f1)
	if [ -e /dev/loop-control ]; then
		run "status --disk IMAGE: exit 0" 0 "$BOOTRINO" status --disk "$IMG" --json
		if printf '%s' "$OUT" | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["current"]["slot"] == "a" and s["current"]["timestamp"] == 6000, s'; then
			ok "status --disk: the image's state"
		else not_ok "status --disk: the image's state" "$OUT"; fi
		check "status --disk: the image is not modified" [ "$(sha256sum "$IMG" | cut -d' ' -f1)" = "$sum0" ]
		# a power cut mid-write leaves ext4's needs_recovery flag set: a
		# read-only look without the journal's writes would show stale or
		# broken metadata (EBADMSG on state.json, seen in test_power_cut.sh)
		python3 - "$IMG" $((6144 * 512 + 1024 + 0x60)) <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = bytearray(f.read(1)); b[0] |= 0x4
    f.seek(int(sys.argv[2])); f.write(b)
PY
		sum1=$(sha256sum "$IMG" | cut -d' ' -f1)
		run "status --disk: a journal not replayed yet: exit 6" 6 "$BOOTRINO" status --disk "$IMG"
		err_is "status --disk: says the journal needs its replay" 'journal holds writes not replayed yet'
		check "status --disk: that image is not modified either" [ "$(sha256sum "$IMG" | cut -d' ' -f1)" = "$sum1" ]
	else
		skip "status --disk IMAGE" "no /dev/loop-control here"
	fi
else
	not_ok "an image with a bootrino-state partition is made (sfdisk, mkfs.ext4 -d)"
fi
run "status --disk: a file without bootrino-state" 6 "$BOOTRINO" status --disk "$S/v1/initrd.img"
err_is "status --disk: one line" 'bootrino-state|loop'

done_testing
