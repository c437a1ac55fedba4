#!/bin/bash
# `make tidy`: clang-tidy (.clang-tidy) and cppcheck over the project's C
# sources; exits non-zero on any finding.
set -u
cd "$(dirname "$0")/.."
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
[ "$rc" = 0 ] && echo "tidy: clean"
exit $rc
