#!/bin/bash
# Run test programs that speak TAP ("ok N - name" / "not ok N - name").
# Usage: tests/run.sh SUITE PROGRAM...
# Writes build/test-results/SUITE.log and SUITE.counts ("passed failed
# skipped"), prints the TAP lines and a per-suite total, exits 1 on any
# failure. A program that exits non-zero without a "not ok" line counts
# as one failure, so a crash never passes silently.
set -u
suite=$1; shift
root=$(cd "$(dirname "$0")/.." && pwd)
results=${TEST_RESULTS:-$root/${BUILD:-build}/test-results}
mkdir -p "$results"
log=$results/$suite.log
: > "$log"
export CMOCKA_MESSAGE_OUTPUT=TAP
export BOOTRINO_ROOT=$root
export BOOTRINO=${BOOTRINO:-$root/${BUILD:-build}/bootrino}
passed=0 failed=0 skipped=0
for prog in "$@"; do
	name=$(basename "$prog")
	echo "# --- $suite: $name" | tee -a "$log"
	start=$(date +%s%N)
	out=$(mktemp)
	timeout --foreground -k 10 "${TEST_TIMEOUT:-900}" "$prog" > "$out" 2>&1
	rc=$?
	cat "$out" >> "$log"
	p=$(grep -Ec '^ok [0-9]+' "$out" | head -1)
	s=$(grep -Ec '^ok [0-9]+.*# *(SKIP|skip)' "$out" | head -1)
	f=$(grep -Ec '^not ok [0-9]+' "$out" | head -1)
	p=$((p - s))
	grep -E '^(not )?ok [0-9]+|^# ' "$out"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $name exited with status $rc without reporting a failure" | tee -a "$log"
		tail -20 "$out" | sed 's/^/#   /'
		f=1
	fi
	if [ "$f" != 0 ]; then
		echo "# output of $name (last 40 lines):"
		grep -Ev '^ok [0-9]+' "$out" | tail -40 | sed 's/^/#   /'
	fi
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	printf '# %s: %d passed, %d failed, %d skipped in %d.%01ds\n' "$name" "$p" "$f" "$s" \
		$((ms / 1000)) $((ms % 1000 / 100)) | tee -a "$log"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	rm -f "$out"
done
echo "$passed $failed $skipped" > "$results/$suite.counts"
echo "# suite $suite: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
