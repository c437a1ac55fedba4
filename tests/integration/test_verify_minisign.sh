#!/bin/bash
# `bootrino verify` against keys and signatures made by the real minisign
# CLI at test time; every verdict is cross-checked with `minisign -V`.
set -u
. "$(dirname "$0")/../lib/tap.sh"

tap_require minisign

T=$TAP_TMP
cd "$T" || exit 1

# minisign_says NAME good|bad FILE SIG PUB...: minisign -V agrees
minisign_says() {
	local name=$1 want=$2 file=$3 sig=$4 pub=$5 got
	if minisign -V -q -p "$pub" -m "$file" -x "$sig" > /dev/null 2>&1; then got=good; else got=bad; fi
	if [ "$got" = "$want" ]; then ok "minisign agrees: $name ($want)"
	else not_ok "minisign agrees: $name" "minisign says $got, bootrino said $want"; fi
}

minisign -G -W -p k1.pub -s k1.key > /dev/null 2>&1 && minisign -G -W -p k2.pub -s k2.key > /dev/null 2>&1 ||
	{ not_ok "minisign -G makes keys"; done_testing; exit 1; }
K1=$(sed -n 2p k1.pub)
K2=$(sed -n 2p k2.pub)
ID1=$(sed -n 's/.*public key //p' k1.pub)
ID2=$(sed -n 's/.*public key //p' k2.pub)

# 300 KiB: several of bootrino's 128 KiB read chunks
head -c 307200 /dev/urandom > data.bin
minisign -S -s k1.key -m data.bin -t "timestamp:1700000000	file:data.bin	release v42" > /dev/null
minisign -S -l -s k1.key -m data.bin -x data.legacy.minisig > /dev/null
minisign -S -s k2.key -m data.bin -x data.k2.minisig > /dev/null

# --- good signatures ----------------------------------------------------------
run "prehashed signature, key as base64" 0 "$BOOTRINO" verify data.bin --pubkey "$K1"
if printf '%s' "$OUT" | grep -q "good prehashed signature from key $ID1; trusted comment: timestamp:1700000000	file:data.bin	release v42"; then
	ok "prints the key ID and the trusted comment"
else
	not_ok "prints the key ID and the trusted comment" "$OUT"
fi
minisign_says "prehashed" good data.bin data.bin.minisig k1.pub
run "prehashed signature, key as .pub file" 0 "$BOOTRINO" verify data.bin --pubkey k1.pub --sig data.bin.minisig
run "legacy (-l) signature" 0 "$BOOTRINO" verify data.bin --pubkey "$K1" --sig data.legacy.minisig
printf '%s' "$OUT" | grep -q "good legacy signature from key $ID1; trusted comment: timestamp:" &&
	ok "legacy: default trusted comment has a timestamp" || not_ok "legacy: trusted comment" "$OUT"
minisign_says "legacy" good data.bin data.legacy.minisig k1.pub
run "rotation: second --pubkey matches" 0 "$BOOTRINO" verify data.bin --pubkey "$K1" --pubkey k2.pub --sig data.k2.minisig
printf '%s' "$OUT" | grep -q "from key $ID2" && ok "rotation: names the second key" || not_ok "rotation: names the second key" "$OUT"
run "rotation: first --pubkey matches" 0 "$BOOTRINO" verify data.bin -k k2.pub -k "$K1"

: > empty.txt
minisign -S -s k1.key -m empty.txt > /dev/null
run "empty file, good signature" 0 "$BOOTRINO" verify empty.txt --pubkey "$K1"
minisign_says "empty file" good empty.txt empty.txt.minisig k1.pub

sed 's/$/\r/' data.bin.minisig > crlf.minisig
run "CRLF .minisig accepted" 0 "$BOOTRINO" verify data.bin --pubkey "$K1" --sig crlf.minisig
minisign_says "CRLF .minisig" good data.bin crlf.minisig k1.pub

# --- refused ---------------------------------------------------------------------
cp data.bin tampered.bin
printf 'x' | dd of=tampered.bin bs=1 seek=200000 conv=notrunc 2> /dev/null
cp data.bin.minisig tampered.bin.minisig
run "tampered file: exit 3" 3 "$BOOTRINO" verify tampered.bin --pubkey "$K1"
err_is "tampered file: one line naming the file" "tampered\.bin: bad signature"
minisign_says "tampered file" bad tampered.bin tampered.bin.minisig k1.pub
cp data.legacy.minisig tampered.bin.minisig
run "tampered file, legacy: exit 3" 3 "$BOOTRINO" verify tampered.bin --pubkey "$K1"
err_is "tampered file, legacy: one line" "tampered\.bin: bad signature"

sed '3s/timestamp:1700000000/timestamp:1900000000/' data.bin.minisig > tc.minisig
run "tampered trusted comment: exit 3" 3 "$BOOTRINO" verify data.bin --pubkey "$K1" --sig tc.minisig
err_is "tampered trusted comment: says so" "data\.bin: bad signature: trusted comment tampered"
minisign_says "tampered trusted comment" bad data.bin tc.minisig k1.pub

run "wrong key: exit 3" 3 "$BOOTRINO" verify data.bin --pubkey "$K2"
err_is "wrong key: names the unknown key ID" "data\.bin: unknown key ID $ID1"
minisign_says "wrong key" bad data.bin data.bin.minisig k2.pub

head -c 150 data.bin.minisig > trunc.minisig
run "truncated .minisig: exit 3" 3 "$BOOTRINO" verify data.bin --pubkey "$K1" --sig trunc.minisig
err_is "truncated .minisig: says so" "trunc\.minisig: malformed signature file: truncated"
minisign_says "truncated .minisig" bad data.bin trunc.minisig k1.pub
head -n 3 data.bin.minisig > trunc3.minisig
run "truncated .minisig (3 lines): exit 3" 3 "$BOOTRINO" verify data.bin --pubkey "$K1" --sig trunc3.minisig
err_is "truncated .minisig (3 lines): no global signature" "truncated, no global signature line"
minisign_says "truncated .minisig (3 lines)" bad data.bin trunc3.minisig k1.pub

head -c 300 /dev/urandom > garbage.minisig
run "garbage .minisig: exit 3" 3 "$BOOTRINO" verify data.bin --pubkey "$K1" --sig garbage.minisig
err_is "garbage .minisig: malformed" "garbage\.minisig: malformed signature file"
minisign_says "garbage .minisig" bad data.bin garbage.minisig k1.pub

: > empty.minisig
run "empty .minisig: exit 3" 3 "$BOOTRINO" verify data.bin --pubkey "$K1" --sig empty.minisig
err_is "empty .minisig: malformed" "empty\.minisig: malformed signature file: empty"
minisign_says "empty .minisig" bad data.bin empty.minisig k1.pub

sed '2s/^\(.\{30\}\)./\1!/' data.bin.minisig > b64.minisig
run "bad base64 in .minisig: exit 3" 3 "$BOOTRINO" verify data.bin --pubkey "$K1" --sig b64.minisig
err_is "bad base64: says so" "malformed signature file: signature line is not 74 bytes of base64"
minisign_says "bad base64" bad data.bin b64.minisig k1.pub

run "missing .minisig: exit 3" 3 "$BOOTRINO" verify empty.txt.nope --pubkey "$K1"
err_is "missing .minisig: names it" "empty\.txt\.nope\.minisig: No such file"

head -c 5000 /dev/zero | tr '\0' 'a' > huge.minisig
run "oversized .minisig: exit 3" 3 "$BOOTRINO" verify data.bin --pubkey "$K1" --sig huge.minisig
err_is "oversized .minisig: says so" "larger than 4096 bytes"

# --- usage -------------------------------------------------------------------------
run "no --pubkey: exit 2" 2 "$BOOTRINO" verify data.bin
run "no FILE: exit 2" 2 "$BOOTRINO" verify --pubkey "$K1"
run "bad --pubkey: exit 2" 2 "$BOOTRINO" verify data.bin --pubkey RWQnotakey
err_is "bad --pubkey: says why" "pubkey: RWQnotakey: malformed public key"

# --- big files: prehashed streams in constant memory; legacy is capped --------------
truncate -s 200M big.bin
minisign -S -s k1.key -m big.bin > /dev/null
run "200 MiB prehashed: good" 0 /usr/bin/time -f '%M' -o rss "$BOOTRINO" verify big.bin --pubkey "$K1"
rss=$(tail -1 rss)
if ldd "$BOOTRINO" 2> /dev/null | grep -q libasan; then
	skip "200 MiB prehashed: peak RSS" "sanitizer build (${rss} KiB)"
elif [ "$rss" -lt 16384 ]; then ok "200 MiB prehashed: peak RSS ${rss} KiB < 16 MiB"
else not_ok "200 MiB prehashed: peak RSS ${rss} KiB >= 16 MiB"; fi
truncate -s 65M legacy.bin
minisign -S -l -s k1.key -m legacy.bin > /dev/null
run "65 MiB legacy: refused (cap 64 MiB), exit 3" 3 "$BOOTRINO" verify legacy.bin --pubkey "$K1"
err_is "65 MiB legacy: says to sign prehashed" "larger than 64 MiB; sign it prehashed"

done_testing
