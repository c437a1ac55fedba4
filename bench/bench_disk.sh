#!/bin/bash
# Benchmark: the installer's writer (`bootrino disk --write`, the code the
# loader runs: pin checked (hash + sealed copy), the whole stream
# decompressed once before the first write, libarchive zstd stream, zero
# runs sent as BLKZEROOUT / holes, data in O_DIRECT writes of up to 4 MiB,
# two in flight, each read back and compared right after it completed,
# first MiB last, fsync) against
#   zstd -dc IMG | dd of=TARGET bs=1M oflag=direct conv=notrunc
# measured in the same run, on two images:
#   real  the boot-disk image `make images` builds (mostly empty partitions)
#   full  the same image with its ESP and state filled with random bytes
#         (every block must be sent)
# TARGET (BENCH_TARGET, default loop where losetup works, else file):
#   loop  a loop device (losetup -P --direct-io=on) over a 3 GiB sparse
#         file on build/'s file system: the block-device path the loader
#         takes (BLKZEROOUT, BLKRRPART, BLKFLSBUF); needs root
#   file  the 3 GiB sparse file itself (O_DIRECT, holes punched)
#   both  every line twice
# recreated before every run; each line says which. Wall time and peak RSS
# from /usr/bin/time -f '%e %M', best of $BENCH_ROUNDS (default 3). The
# bare pipeline does less than bootrino: bootrino also checks the pin,
# decompresses the image twice (once to prove it whole before writing),
# writes the disk's own GPT, zeroes the data partition's first MiB and
# reads every data byte back. The like-for-like pipeline adds the pin
# (openssl dgst: SHA-NI, as bootrino's OpenSSL), fsync and a read-back
# (dd iflag=direct | openssl dgst).
set -eu
cd "$(dirname "$0")/.."
root=$PWD
B=${BOOTRINO:-$root/${BUILD:-build}/bootrino}
img=$root/build/images/bootdisk/bootdisk.img.zst
rounds=${BENCH_ROUNDS:-3}
[ -x "$B" ] || { echo "bench_disk: $B not built" >&2; exit 1; }
[ -s "$img" ] || { echo "bench_disk: $img missing (make images)" >&2; exit 1; }
cache=$root/build/bench
mkdir -p "$cache"
backing=$cache/disk-target.raw
loopdev=
cleanup() {
	[ -z "$loopdev" ] || losetup -d "$loopdev" 2> /dev/null || true
	rm -f "$backing" "$cache/full.img"
}
trap cleanup EXIT

kinds=${BENCH_TARGET:-}
if [ -z "$kinds" ]; then
	kinds="file"
	if [ "$(id -u)" = 0 ] && [ -e /dev/loop-control ] && command -v losetup > /dev/null; then
		kinds=loop
	fi
fi
[ "$kinds" = both ] && kinds="loop file"

full=$cache/full.img.zst
if [ ! -f "$full" ] || [ "$full" -ot "$img" ]; then
	echo "# making the full image (once per boot-disk image)"
	zstd -dqc "$img" > "$cache/full.img"
	# ESP + state: 1 MiB .. 641 MiB, random; the GPT stays valid
	head -c $((640 << 20)) /dev/urandom |
		dd of="$cache/full.img" bs=1M seek=1 conv=notrunc status=none
	zstd -q -1 -f "$cache/full.img" -o "$full"
	rm -f "$cache/full.img"
fi

# fresh KIND: a new, empty 3 GiB target; sets $target
fresh() {
	if [ -n "$loopdev" ]; then
		losetup -d "$loopdev"
		loopdev=
	fi
	rm -f "$backing"
	truncate -s 3G "$backing"
	sync
	target=$backing
	if [ "$1" = loop ]; then
		loopdev=$(losetup -P --direct-io=on -f --show "$backing")
		target=$loopdev
	fi
}
# run KIND CMD…: best wall time and its peak RSS over the rounds ({T} in
# CMD is the target)
best_t='' best_m=''
run() {
	local kind=$1 t m _ a
	shift
	best_t='' best_m=
	for _ in $(seq "$rounds"); do
		fresh "$kind"
		a=()
		for x in "$@"; do a+=("${x//\{T\}/$target}"); done
		read -r t m < <({ /usr/bin/time -f '%e %M' "${a[@]}" > /dev/null 2> "$cache/err"; } 2>&1; tail -1 "$cache/err")
		if [ -z "$best_t" ] || [ "$(echo "$t < $best_t" | bc)" = 1 ]; then best_t=$t best_m=$m; fi
	done
}

for kind in $kinds; do
	for which in real full; do
		f=$img
		[ "$which" = full ] && f=$full
		sha=$(openssl dgst -sha256 -r "$f" | cut -d' ' -f1)
		run "$kind" "$B" disk --write "$f" --sha256 "$sha" '{T}'
		bt=$best_t bm=$best_m
		run "$kind" sh -c "zstd -dc '$f' | dd of='{T}' bs=1M oflag=direct conv=notrunc status=none"
		pt=$best_t pm=$best_m
		# like for like: check the pin first, fsync, read back and hash
		run "$kind" sh -c "openssl dgst -sha256 '$f' > /dev/null && zstd -dc '$f' | dd of='{T}' bs=1M oflag=direct conv=notrunc,fsync status=none && dd if='{T}' bs=1M iflag=direct count=642 status=none | openssl dgst -sha256 > /dev/null"
		lt=$best_t lm=$best_m
		printf '%s image (%s bytes zstd) → %s: bootrino %ss %s KB RSS | zstd -dc | dd oflag=direct %ss %s KB RSS, ratio %s | pin + zstd -dc | dd oflag=direct,fsync + read back | openssl dgst %ss %s KB RSS, ratio %s\n' \
			"$which" "$(stat -c %s "$f")" "$kind" "$bt" "$bm" "$pt" "$pm" "$(echo "scale=2; $bt / $pt" | bc)" \
			"$lt" "$lm" "$(echo "scale=2; $bt / $lt" | bc)"
	done
done
