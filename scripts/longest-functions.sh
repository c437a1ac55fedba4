#!/bin/sh
# Print the N longest C functions of the project (default 10), longest
# first: "lines file:line name". A function is a definition whose opening
# brace stands alone in column 0 and ends at the next "}" in column 0 (the
# project's .clang-format puts them there). Used to watch function length
# over time; it is a report, not a check.
# Usage: scripts/longest-functions.sh [N]
set -eu
cd "$(dirname "$0")/.."
n=${1:-10}
git ls-files '*.c' | grep -v '^images/unikernel/' | while read -r f; do
	awk -v f="$f" '
	/^[A-Za-z_].*\(/ && !/;[ \t]*$/ { sig = $0; sigline = FNR }
	/^\{/ { start = FNR; name = sig; line = sigline }
	/^\}/ && start {
		sub(/\(.*/, "", name); k = split(name, w, /[ \t*]+/)
		printf "%d %s:%d %s\n", FNR - line + 1, f, line, w[k]
		start = 0
	}' "$f"
done | sort -rn -k1,1 | head -n "$n"
