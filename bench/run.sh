#!/bin/bash
# Run every benchmark in bench/ (bench/bench_*.sh). Each prints its own
# figures and ratios against reference pipelines measured in the same run.
set -eu
cd "$(dirname "$0")/.."
for b in bench/bench_*.sh; do
	[ -x "$b" ] || continue
	echo "=== $b"
	"$b"
done
