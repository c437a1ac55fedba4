#!/bin/bash
# Benchmark: the installer's writer (`bootrino disk --write`, the code the
# loader runs: libarchive zstd stream, zero runs sent as BLKZEROOUT / holes,
# first MiB last, fsync, read back and hash) against
#   zstd -dc IMG | dd of=TARGET bs=1M oflag=direct conv=notrunc
# measured in the same run, on two images:
#   real  the boot-disk image `make images` builds (mostly empty partitions)
#   full  the same image with its ESP and state filled with random bytes
#         (every block must be sent)
# TARGET is a 3 GiB file on build/'s file system (O_DIRECT; a loop device
# needs privileges this machine's sessions do not all have), recreated
# before every run. Wall time and peak RSS from /usr/bin/time -f '%e %M',
# best of $BENCH_ROUNDS (default 3). The pipeline writes less than bootrino
# does not: bootrino also writes the disk's own GPT, zeroes the data
# partition's first MiB and reads everything back.
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
target=$cache/disk-target.raw
trap 'rm -f "$target" "$cache/full.img"' EXIT

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

fresh() { rm -f "$target"; truncate -s 3G "$target"; sync; }
# run NAME CMD…: best wall time and its peak RSS over the rounds
best_t='' best_m=''
run() {
	local t m _
	best_t='' best_m=
	for _ in $(seq "$rounds"); do
		fresh
		read -r t m < <({ /usr/bin/time -f '%e %M' "$@" > /dev/null 2> "$cache/err"; } 2>&1; tail -1 "$cache/err")
		if [ -z "$best_t" ] || [ "$(echo "$t < $best_t" | bc)" = 1 ]; then best_t=$t best_m=$m; fi
	done
}

for which in real full; do
	f=$img
	[ "$which" = full ] && f=$full
	sha=$(sha256sum < "$f" | cut -d' ' -f1)
	run "$B" disk --write "$f" --sha256 "$sha" "$target"
	bt=$best_t bm=$best_m
	run sh -c "zstd -dc '$f' | dd of='$target' bs=1M oflag=direct conv=notrunc status=none"
	pt=$best_t pm=$best_m
	# like for like: check the pin first, fsync, read back and hash
	run sh -c "sha256sum '$f' > /dev/null && zstd -dc '$f' | dd of='$target' bs=1M oflag=direct conv=notrunc,fsync status=none && dd if='$target' bs=1M iflag=direct count=642 status=none | sha256sum > /dev/null"
	lt=$best_t lm=$best_m
	printf '%s image (%s bytes zstd): bootrino %ss %s KB RSS | zstd -dc | dd oflag=direct %ss %s KB RSS, ratio %s | sha256sum + zstd -dc | dd oflag=direct,fsync + read back | sha256sum %ss %s KB RSS, ratio %s\n' \
		"$which" "$(stat -c %s "$f")" "$bt" "$bm" "$pt" "$pm" "$(echo "scale=2; $bt / $pt" | bc)" \
		"$lt" "$lm" "$(echo "scale=2; $bt / $lt" | bc)"
done
