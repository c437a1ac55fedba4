#!/bin/bash
# `make check`: build everything, run every suite, print one summary line.
# Suites: unit (cmocka), unit under ASan+UBSan, integration (nginx,
# minisign, fault server), e2e (QEMU), fuzz (corpus replay + a short run).
# A suite that cannot even build counts as one failure, so the summary
# never hides a broken build.
set -u
cd "$(dirname "$0")/.." || exit 1
results=build/test-results
export TEST_RESULTS=$PWD/$results
rm -rf "$results"; mkdir -p "$results"
MAKE=${MAKE:-make}
J=-j$(nproc)

suite() { # name make-target...
	local name=$1; shift
	echo "=== suite $name: make $*"
	if ! $MAKE $J --no-print-directory "$@"; then
		if [ ! -f "$results/$name.counts" ]; then
			echo "not ok - suite $name did not build or run"
			echo "0 1 0" > "$results/$name.counts"
		fi
	fi
}

suite unit unit-run
suite asan asan
suite integration integration
suite e2e e2e
suite fuzz fuzz-run

tp=0 tf=0 ts=0
for f in "$results"/*.counts; do
	read -r p fl s < "$f"
	echo "# $(basename "$f" .counts): $p passed, $fl failed, $s skipped"
	tp=$((tp + p)) tf=$((tf + fl)) ts=$((ts + s))
done
if [ "$ts" -gt 0 ]; then
	echo "$tp passed, $tf failed, $ts skipped"
else
	echo "$tp passed, $tf failed"
fi
[ "$tf" = 0 ]
