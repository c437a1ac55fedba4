#!/bin/bash
# For each libFuzzer target build/fuzz/fuzz_NAME: replay the seed corpus
# tests/fuzz/corpus/NAME (every seed must pass), then fuzz for
# FUZZ_SECONDS with the seeds plus a scratch corpus. TAP output.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib/tap.sh"
secs=${FUZZ_SECONDS:-15}
for bin in "$root/${BUILD:-build}"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	seeds=$root/tests/fuzz/corpus/$name
	if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
		not_ok "fuzz $name: seed corpus tests/fuzz/corpus/$name is missing"
		continue
	fi
	if out=$("$bin" -runs=0 "$seeds" 2>&1); then
		ok "fuzz $name: replay $(ls "$seeds" | wc -l) seeds"
	else
		not_ok "fuzz $name: corpus replay" "$(echo "$out" | tail -30)"
		continue
	fi
	scratch=$root/${BUILD:-build}/fuzz/corpus-$name
	mkdir -p "$scratch"
	if out=$("$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$root/${BUILD:-build}/fuzz/crash-$name-" "$scratch" "$seeds" 2>&1); then
		ok "fuzz $name: ${secs}s, $(echo "$out" | grep -Eo 'Done [0-9]+ runs' | tail -1)"
	else
		not_ok "fuzz $name: found a crash" "$(echo "$out" | tail -40)"
	fi
done
done_testing
