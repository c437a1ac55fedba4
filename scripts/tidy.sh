#!/bin/bash
# `make tidy`: clang-tidy (.clang-tidy) and cppcheck over the project's C
# sources, clang-format --dry-run (.clang-format) over every C file, and
# every shell script through shellcheck (warnings and errors); exits
# non-zero on any finding.
set -u
cd "$(dirname "$0")/.." || exit 1
pkgs="libcurl openssl libarchive libcjson"
flags="-std=c11 -I. -D_GNU_SOURCE $(pkg-config --cflags $pkgs)"
srcs=$(git ls-files '*.c' 2>/dev/null; git ls-files --others --exclude-standard '*.c' 2>/dev/null)
srcs=$(echo "$srcs" | grep -v '^images/unikernel/' | sort -u)
rc=0
echo "clang-tidy: $(echo "$srcs" | wc -w) files"
out=$(clang-tidy --quiet $srcs -- $flags 2>&1 | grep -E 'warning:|error:')
if [ -n "$out" ]; then echo "$out"; rc=1; fi
echo "cppcheck"
if ! cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
	--enable=warning,performance,portability --suppress=missingIncludeSystem \
	-I. -D_GNU_SOURCE $srcs; then
	rc=1
fi

# Every C file as the project's .clang-format writes it (`make format`).
cfiles=$( (git ls-files '*.c' '*.h'; git ls-files --others --exclude-standard '*.c' '*.h') | sort -u)
echo "clang-format: $(echo "$cfiles" | wc -w) files"
if ! clang-format --dry-run -Werror $cfiles; then
	echo "clang-format: run 'make format'"
	rc=1
fi

# Shell scripts: *.sh, and files whose first line names a shell.
shfiles=$( (git ls-files; git ls-files --others --exclude-standard) | sort -u | while read -r f; do
	case $f in
	*.sh) echo "$f" ;;
	*.md | *.c | *.h) ;;
	*) [ -f "$f" ] && head -1 "$f" | grep -qE '^#!.*(/|env )(ba|da)?sh\b' && echo "$f" ;;
	esac
done)
echo "shellcheck: $(echo "$shfiles" | wc -w) files"
# shellcheck disable=SC2086 # one word per file
if ! shellcheck --severity=warning --format=gcc $shfiles; then
	rc=1
fi
# A report, not a check: where functions grow long.
echo "longest functions (lines):"
scripts/longest-functions.sh 10 | sed 's/^/  /'
[ "$rc" = 0 ] && echo "tidy: clean"
exit $rc
