#!/bin/bash
# Benchmark: `bootrino fetch --sha256` against the reference pipelines on a
# 1 GiB random file served by a real nginx on 127.0.0.1. Wall time and
# peak RSS from /usr/bin/time -f '%e %M', best of $BENCH_ROUNDS (default 3)
# rounds run in turn, ratios against `curl -s URL | openssl dgst -sha256`.
#
#   bench/bench_fetch.sh            (or: make bench)
#   BENCH_SIZE_MB=256 bench/bench_fetch.sh   smaller file for a quick look
#
# For a pipeline, %M is the largest RSS of its processes (GNU time reports
# the children's maximum), not their sum.
set -eu
cd "$(dirname "$0")/.."
root=$PWD
. tests/lib/tap.sh
. tests/lib/nginx.sh

B=${BOOTRINO:-$root/${BUILD:-build}/bootrino}
rounds=${BENCH_ROUNDS:-3}
size_mb=${BENCH_SIZE_MB:-1024}
cache=$root/build/bench
mkdir -p "$cache"
data=$cache/random-${size_mb}M
if [ ! -f "$data" ]; then
	echo "# creating $data (once)"
	head -c $((size_mb << 20)) /dev/urandom > "$data.tmp"
	mv "$data.tmp" "$data"
fi
[ -f "$data.sha256" ] && [ "$data.sha256" -nt "$data" ] ||
	sha256sum "$data" | cut -d' ' -f1 > "$data.sha256"
H=$(cat "$data.sha256")
[ -x "$B" ] || { echo "bench_fetch: $B not built" >&2; exit 1; }

chmod 755 "$TAP_TMP"
mkdir -p "$TAP_TMP/www"
ln "$data" "$TAP_TMP/www/f" 2> /dev/null || ln -s "$data" "$TAP_TMP/www/f"
nginx_start "$TAP_TMP/www"
U=$NGINX_URL/f
out=$cache/out
tap_on_exit "rm -f '$out'"

names=(
	"bootrino fetch --sha256 -o /dev/null"
	"curl -s URL | openssl dgst -sha256"
	"curl -s URL | sha256sum"
	"bootrino fetch --sha256 -o FILE"
	"curl -o FILE URL && sha256sum FILE"
)
cmds=(
	"'$B' fetch -q '$U' --sha256 $H -o /dev/null > /dev/null"
	"curl -s '$U' | openssl dgst -sha256 > /dev/null"
	"curl -s '$U' | sha256sum > /dev/null"
	"'$B' fetch -q '$U' --sha256 $H -o '$out' > /dev/null"
	"curl -s -o '$out' '$U' && sha256sum '$out' > /dev/null"
)
declare -A best_t best_m
for r in $(seq "$rounds"); do
	for i in "${!cmds[@]}"; do
		rm -f "$out"
		sync
		res=$( { /usr/bin/time -f '%e %M' sh -c "${cmds[$i]}" 2>&1 >/dev/null; } | tail -1)
		t=${res% *} m=${res#* }
		echo "# round $r: ${names[$i]}: ${t}s ${m} KiB"
		if [ -z "${best_t[$i]:-}" ] || [ "$(echo "$t < ${best_t[$i]}" | bc)" = 1 ]; then
			best_t[$i]=$t
		fi
		if [ -z "${best_m[$i]:-}" ] || [ "$m" -lt "${best_m[$i]}" ]; then
			best_m[$i]=$m
		fi
	done
done

ref_t=${best_t[1]} ref_m=${best_m[1]}
echo
echo "fetch benchmark: ${size_mb} MiB over loopback from nginx, best of $rounds, $(nproc) CPUs"
printf '%-40s %8s %7s %9s %7s\n' "command" "wall s" "ratio" "RSS MiB" "ratio"
for i in "${!cmds[@]}"; do
	printf '%-40s %8.2f %6.2fx %9.1f %6.2fx\n' "${names[$i]}" "${best_t[$i]}" \
		"$(echo "${best_t[$i]} / $ref_t" | bc -l)" "$(echo "${best_m[$i]} / 1024" | bc -l)" \
		"$(echo "${best_m[$i]} / $ref_m" | bc -l)"
done
echo "ratios against: curl -s URL | openssl dgst -sha256"
echo "target: bootrino fetch --sha256 <= 1.00x wall, peak RSS <= 16 MiB"
