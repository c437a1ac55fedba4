#!/bin/bash
# The cost of closing the re-read window (verify/artifact.c): an artifact is
# copied into a sealed memfd while it is hashed, so kexec/ loads the bytes
# that were hashed. Measures, for one file of SIZE_MB (default 128):
#   - time of `bootrino kexec --kernel F --dry-run` (open = read + hash +
#     copy; the format check then refuses the random bytes, exit 5) against
#     `sha256sum F` (hash only) and `cat F > memfd-like tmpfs file` (copy
#     only), in the same run: ratios, not absolute times;
#   - the RAM it holds: the peak of Shmem in /proc/meminfo above the
#     baseline while it runs, as a ratio of the file size (expected ~1.0:
#     one copy of the artifact, for as long as it is open).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
B=${BOOTRINO:-$root/build/bootrino}
mb=${SIZE_MB:-128}
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/bootrino-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
f=$tmp/artifact.bin
head -c $((mb << 20)) /dev/urandom > "$f"
shm() { awk '/^Shmem:/ {print $2}' /proc/meminfo; }
t() { local s e; s=$(date +%s%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
cat "$f" > /dev/null # page cache warm for every contender
base=$(shm)
peak=$base
"$B" kexec --kernel "$f" --dry-run > /dev/null 2>&1 &
pid=$!
while kill -0 $pid 2> /dev/null; do
	v=$(shm)
	[ "$v" -gt "$peak" ] && peak=$v
	sleep 0.005
done
wait $pid || true
held_kb=$((peak - base))
tb=$(t "$B" kexec --kernel "$f" --dry-run)
ts=$(t sha256sum "$f")
tc=$(t sh -c "cat '$f' > /dev/shm/bootrino-bench.$$; rm -f /dev/shm/bootrino-bench.$$")
printf 'artifact %d MiB\n' "$mb"
printf '  bootrino open (hash + sealed copy): %d ms; sha256sum: %d ms; cat to tmpfs: %d ms\n' "$tb" "$ts" "$tc"
printf '  ratio open / sha256sum: %s; open / (sha256sum + copy): %s\n' \
	"$(awk -v a="$tb" -v b="$ts" 'BEGIN {printf "%.2f", a / (b ? b : 1)}')" \
	"$(awk -v a="$tb" -v b="$ts" -v c="$tc" 'BEGIN {printf "%.2f", a / ((b + c) ? b + c : 1)}')"
printf '  RAM held while open (peak Shmem above baseline): %d KiB = %s x the artifact\n' \
	"$held_kb" "$(awk -v h="$held_kb" -v s=$((mb << 10)) 'BEGIN {printf "%.2f", h / s}')"
