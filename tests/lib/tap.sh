# shellcheck shell=bash
# TAP helpers for shell tests: source this file.
#   ok "name"; not_ok "name" "why"; check "name" CMD...; expect_exit N "name" CMD...
# done_testing at the end exits non-zero if anything failed.
_tap_n=0
_tap_failed=0
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
not_ok() {
	_tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'
	return 0
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP ${2:-}"; }
# check NAME CMD...: passes when CMD exits 0
check() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
# expect_exit CODE NAME CMD...: passes when CMD exits with CODE; the
# command's stderr is kept in $TAP_STDERR for further checks.
expect_exit() {
	local want=$1 name=$2; shift 2
	local errf rc
	errf=$(mktemp)
	"$@" > /dev/null 2> "$errf"; rc=$?
	TAP_STDERR=$(cat "$errf"); rm -f "$errf"
	if [ "$rc" = "$want" ]; then ok "$name"
	else not_ok "$name" "expected exit $want, got $rc: $TAP_STDERR"; fi
}
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" = 0 ]; }

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Fresh scratch directory removed at exit (chain your own traps with
# tap_on_exit CMD).
TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bootrino-test.XXXXXX")
_tap_exit_cmds="rm -rf '$TAP_TMP'"
# The commands are expanded now on purpose: the trap runs the list as built.
# shellcheck disable=SC2064
tap_on_exit() { _tap_exit_cmds="$1; $_tap_exit_cmds"; trap "$_tap_exit_cmds" EXIT; }
# shellcheck disable=SC2064
trap "$_tap_exit_cmds" EXIT

# run NAME WANT_RC CMD...: passes when CMD exits with WANT_RC; its stdout
# and stderr are kept in $OUT and $ERR for the checks below. (A test may
# redefine run() around run_cmd, e.g. to prefix a subcommand.)
run() { run_cmd "$@"; }
run_cmd() {
	local name=$1 want=$2 rc
	shift 2
	"$@" > "$TAP_TMP/.run-out" 2> "$TAP_TMP/.run-err"
	rc=$?
	OUT=$(cat "$TAP_TMP/.run-out") ERR=$(cat "$TAP_TMP/.run-err")
	if [ "$rc" = "$want" ]; then ok "$name"
	else not_ok "$name" "expected exit $want, got $rc; stdout: $OUT; stderr: $ERR"; fi
}
# err_is NAME REGEX: the last run's stderr is exactly one line matching REGEX
# (the "one clear line" rule for bad input)
err_is() {
	if [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] && printf '%s\n' "$ERR" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1" "stderr: $ERR"
	fi
}
one_line_err() { err_is "$@"; }
# out_has NAME REGEX: the last run's stdout matches REGEX
out_has() {
	if printf '%s\n' "$OUT" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1" "stdout: $OUT"; fi
}
# stderr_has NAME TEXT: expect_exit's stderr contains TEXT (grep pattern)
stderr_has() {
	if printf '%s' "$TAP_STDERR" | grep -q -- "$2"; then ok "$1: says '$2'"
	else not_ok "$1: says '$2'" "$TAP_STDERR"; fi
}
# absent NAME FILE: FILE does not exist
absent() {
	if [ -e "$2" ]; then not_ok "$1: no output file" "$(ls -la "$2")"; else ok "$1: no output file"; fi
}
# tap_require TOOL…: fail the whole test (one not ok) unless each is on PATH
tap_require() {
	local tool
	for tool in "$@"; do
		if ! command -v "$tool" > /dev/null; then
			not_ok "$tool is installed" "run scripts/setup.sh test"
			done_testing
			exit 1
		fi
	done
}
# has NAME TEXT REGEX: TEXT matches REGEX
has() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else not_ok "$1" "no /$3/ in: $2"; fi
}
