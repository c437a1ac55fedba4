#!/bin/bash
# The command line as a user meets it (docs/cli.md), table-driven: every
# command with --help, no arguments, an unknown option, each required
# option missing, and each documented error; checks the exit code, that
# stderr is exactly one error line (plus curl's "Try 'bootrino CMD
# --help'." for usage errors; help aside) with the one prefix, and that
# docs/cli.md lists every option the code declares.
set -u
root=${BOOTRINO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/lib/tap.sh"
B=${BOOTRINO:-$root/build/bootrino}
cd "$TAP_TMP" || exit 1

minisign -G -W -p k.pub -s k.key > /dev/null
K=$(tail -n 1 k.pub)
echo data > data.bin
minisign -S -s k.key -m data.bin > /dev/null
SHA=$(printf '%064d' 0)
UD="--cloud aws --agent-url https://boot.example.com/bootrino --agent-sha256 $SHA --script https://boot.example.com/bootrino.sh"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
	-subj /CN=test-ca > /dev/null 2>&1
cat ca.crt ca.key > ca-with-key.pem
printf '#!/bin/sh\nset -e\n\nbootrino kernal vmlinuz sha256=%s\nbootrino boot\n' "$SHA" > misspelled.sh
printf '#!/bin/sh\nset -e\necho start >&2\nif then\n' > syntax.sh
printf '#!/bin/sh\nbootrino cmdline a\nbootrino kernel k1 sha256=00\nbootrino boot\n' > badpin.sh
printf '#!/bin/sh\nbootrino kernel tinylinux/vmlinuz sha256=%s\nbootrino boot\n' "$SHA" > good.sh
for f in misspelled.sh syntax.sh badpin.sh; do minisign -S -s k.key -m "$f" > /dev/null; done

# one_error NAME RC USAGE REGEX: the last run exited RC; stderr is one line
# "bootrino: error: …" matching REGEX, plus the Try line exactly when USAGE=1
# (takeover stamps its lines with the time since it started: "[+0.0s] ")
STAMP_RE='(\[\+[0-9]+\.[0-9]s\] )'
one_error() {
	local name=$1 rc=$2 usage=$3 re=$4 errs tries what="one line"
	[ "$usage" = 1 ] && what="one line + Try"
	errs=$(printf '%s\n' "$ERR" | grep -vc "^Try 'bootrino .*--help'\.$")
	tries=$(printf '%s\n' "$ERR" | grep -c "^Try 'bootrino .*--help'\.$")
	if [ "$LAST_RC" != "$rc" ]; then
		not_ok "$name: exit $rc" "got $LAST_RC; stderr: $ERR"
	elif [ "$errs" != 1 ] || [ "$tries" != "$usage" ]; then
		not_ok "$name: $what" "stderr: $ERR"
	elif ! printf '%s\n' "$ERR" | head -n 1 | grep -Eq -- "^$STAMP_RE?bootrino: error: ($re)"; then
		not_ok "$name: says /$re/" "stderr: $ERR"
	else
		ok "$name: exit $rc, $what, /$re/"
	fi
}
# the names in a directory, dot files too, one a line
names() { find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n'; }
runb() {
	"$B" "$@" > "$TAP_TMP/.out" 2> "$TAP_TMP/.err"
	LAST_RC=$?
	OUT=$(cat "$TAP_TMP/.out") ERR=$(cat "$TAP_TMP/.err")
}

# --- every command, from the binary's own tables ----------------------------------------------
cmds=$("$B" help --options | cut -d' ' -f1 | sort -u)
verbs="kernel initrd multiboot module cmdline file"
for c in $cmds init version $verbs; do
	runb "$c" --help
	if [ "$LAST_RC" = 0 ] && [ -z "$ERR" ] &&
		printf '%s\n' "$OUT" | head -n 1 | grep -q "^usage: bootrino $c " &&
		printf '%s\n' "$OUT" | grep -qx 'options:' &&
		printf '%s\n' "$OUT" | grep -qx 'exit status:' &&
		printf '%s\n' "$OUT" | grep -qx 'example:'; then
		ok "$c --help: usage, options, exit status, example on stdout"
	else
		not_ok "$c --help: usage, options, exit status, example on stdout" \
			"rc $LAST_RC; stderr: $ERR; stdout: $(printf '%s' "$OUT" | head -n 3)"
	fi
done
for c in $cmds init version; do
	runb "$c" --no-such-option
	one_error "$c --no-such-option" 2 1 "$c: unknown option '--no-such-option'$"
	runb "$c" -Z
	one_error "$c -Z" 2 1 "$c: unknown option '-Z'$"
	runb "$c" --version
	if [ "$LAST_RC" = 0 ] && printf '%s\n' "$OUT" | head -n 1 | grep -q '^bootrino '; then
		ok "$c --version"
	else not_ok "$c --version" "rc $LAST_RC: $ERR"; fi
done

# no arguments: what each command says first
while IFS='|' read -r c re; do
	runb $c
	one_error "$c without arguments" 2 1 "$re"
done << 'EOF'
fetch|fetch: missing URL$
verify|verify: missing --pubkey KEY$
kexec|kexec: missing --kernel FILE$
plan|plan: missing --script URL\|FILE \(or PLAN.json\)$
boot|boot: missing --script URL$
takeover|takeover: missing --script URL$
userdata|userdata: missing --cloud NAME$
EOF
runb init
one_error "init, not PID 1" 2 0 "init: only as PID 1"
for v in $verbs; do
	runb "$v" x
	one_error "$v outside a bootrino.sh" 2 0 "$v: only inside a bootrino.sh"
done
runb
one_error "no command" 2 1 "missing COMMAND$"

# each required option missing: the one missing option is named
full_userdata="$UD --pubkey $K"
for opt in cloud agent-url agent-sha256 script pubkey; do
	# drop "--opt VALUE" from the full command line
	args=$(printf '%s\n' $full_userdata | awk -v o="--$opt" '$0 == o { skip = 1; next } skip { skip = 0; next } { print }')
	runb userdata $args
	one_error "userdata without --$opt" 2 1 "userdata: missing --$opt [A-Z]+$"
done
runb fetch file:///etc/hostname
one_error "fetch without -o" 2 1 "fetch: missing --output FILE$"
runb verify data.bin
one_error "verify without --pubkey" 2 1 "verify: missing --pubkey KEY$"
runb kexec -n --initrd x
one_error "kexec without --kernel" 2 1 "kexec: missing --kernel FILE$"
runb boot --script http://127.0.0.1:9/x.sh
one_error "boot without --pubkey" 2 1 "boot: missing --pubkey KEY$"
runb takeover --pubkey "$K"
one_error "takeover without --script" 2 1 "takeover: missing --script URL$"

# --- documented errors: FILE|exit|usage?|regex|args (eval'd) -------------------------------------
while IFS='|' read -r name rc usage re args; do
	[ -z "$name" ] && continue
	eval "set -- $args"
	runb "$@"
	one_error "$name" "$rc" "$usage" "$re"
done << EOF
option without its value|2|1|fetch: option '--output' needs a value$|fetch file:///etc/hostname --output
short option without its value|2|1|fetch: option '-o' needs a value$|fetch file:///etc/hostname -o
flag given a value|2|1|kexec: option '--dry-run' takes no value$|kexec --dry-run=yes --kernel x
option given twice|2|1|kexec: --kernel given twice$|kexec --kernel a --kernel b
bad number|2|1|fetch: --retry: 'many': expected a number from 0 to 100$|fetch file:///etc/hostname -o out --retry many
bad size|2|1|fetch: --max-size: 'lots'|fetch file:///etc/hostname -o out --max-size lots
bad sha256|2|1|fetch: --sha256: 'xyz': expected 64 hex digits$|fetch file:///etc/hostname -o out --sha256 xyz
unexpected argument|2|1|fetch: unexpected argument 'extra'$|fetch file:///etc/hostname extra -o out
misspelled command|2|1|unknown command 'kernal' \(did you mean 'kernel'\?\)$|kernal
help for an unknown command|2|1|help: unknown command 'nosuch'$|help nosuch
userdata -o in a missing directory|2|0|userdata: /nonexistent/dir/ud: No such file or directory$|userdata $UD --pubkey $K -o /nonexistent/dir/ud
plan --script of a missing file|2|0|plan: /nonexistent.sh: No such file or directory$|plan --script /nonexistent.sh
plan --script of a directory|2|0|plan: $TAP_TMP: not a regular file$|plan --script $TAP_TMP
fetch -o into /proc|2|0|fetch: /proc/version: |fetch -q file:///etc/hostname -o /proc/version
fetch -o a directory|2|0|fetch: --output: $TAP_TMP: is a directory|fetch -q file:///etc/hostname -o $TAP_TMP
--config that does not exist, path once|2|0|takeover: /nonexistent.json: No such file or directory$|takeover --config /nonexistent.json --script http://127.0.0.1:9/s --pubkey $K
--cacert with a private key (item 1)|2|0|userdata: ca-with-key.pem: holds a private key .*refusing it$|userdata $UD --pubkey $K --cacert ca-with-key.pem
takeover --cacert with a private key (item 1)|2|0|takeover: ca-with-key.pem: holds a private key|takeover --cacert ca-with-key.pem --script http://127.0.0.1:9/x.sh --pubkey $K
--pubkey file that does not exist (item 7)|2|1|userdata: --pubkey: nosuch.pub: no such file$|userdata $UD --pubkey nosuch.pub
--pubkey of a secret key file (item 7)|2|1|verify: --pubkey: k.key: that is a minisign secret key|verify data.bin --pubkey k.key
--pubkey of a secret key line (item 7)|2|1|fetch: --pubkey: RW.*that is a minisign secret key|fetch file:///etc/hostname -o out -x x.minisig -P $(tail -n 1 k.key)
--pubkey not a key (same line everywhere)|2|0|verify: --pubkey: RWnotakey|verify data.bin --pubkey RWnotakey
--minisig without --pubkey|2|1|fetch: --minisig needs at least one --pubkey$|fetch file:///etc/hostname -o out --minisig x
--metadata-url with --no-metadata|2|1|metadata: --metadata-url and --no-metadata exclude each other$|metadata --no-metadata --metadata-url http://127.0.0.1:9/
metadata --cloud not a cloud|2|1|metadata: --cloud: 'azure': expected aws, gcp, digitalocean or generic$|metadata --cloud azure --no-metadata
plan FILE.sh without --script|2|1|plan: good.sh: not a PLAN.json; a bootrino.sh goes after --script$|plan good.sh
misspelled verb names the file and line (item 3)|2|0|plan: ./misspelled.sh:4: kernal \(did you mean 'kernel'\?\): unknown verb$|plan --script ./misspelled.sh --pubkey $K
bad verb argument names the file and line (item 3)|2|0|plan: ./badpin.sh:3: kernel: |plan --script ./badpin.sh --pubkey $K
wrong signature (verdict)|3|0|verify: data.bin: |verify data.bin -P $K -x good.sh
fetch: sha256 mismatch|3|0|fetch: file://$TAP_TMP/data.bin: sha256 mismatch|fetch -q file://$TAP_TMP/data.bin -o out --sha256 $SHA
fetch: nothing listens|4|0|fetch: http://127.0.0.1:9/x: |fetch -q http://127.0.0.1:9/x -o out --retry 0
kexec: missing kernel file|2|0|kexec: --kernel: /nonexistent/vmlinuz: No such file or directory$|kexec -n --kernel /nonexistent/vmlinuz
EOF

# a bad key: the same line in every command that takes --pubkey
lines=""
for c in "verify data.bin" "fetch file:///etc/hostname -o out -x x" "boot --script http://127.0.0.1:9/s" \
	"plan --script ./good.sh" "takeover --script http://127.0.0.1:9/s" "userdata $UD"; do
	runb $c --pubkey RWQbadkey
	lines="$lines$(printf '%s\n' "$ERR" | head -n 1 | sed -E "s/^$STAMP_RE?bootrino: error: [a-z]*: //")
"
done
if [ "$(printf '%s' "$lines" | sort -u | wc -l)" = 1 ] && printf '%s' "$lines" | grep -q '^--pubkey: RWQbadkey: '; then
	ok "a bad --pubkey: the same line in all six commands"
else not_ok "a bad --pubkey: the same line in all six commands" "$lines"; fi

# --- what works (item 8, conventions) -------------------------------------------------------
expect_exit 0 "bootrino -V" "$B" -V
expect_exit 0 "bootrino -v (the version, as minisign -v)" "$B" -v
expect_exit 0 "bootrino --version" "$B" --version
expect_exit 0 "metadata --cloud generic (userdata's name) is accepted" "$B" metadata \
	--cloud generic --no-metadata
runb init --help
if [ "$LAST_RC" = 0 ] && printf '%s\n' "$OUT" | grep -q '^usage: bootrino init'; then ok "init --help: exit 0, help"
else not_ok "init --help: exit 0, help" "rc $LAST_RC: $ERR"; fi
expect_exit 0 "verify with minisign -V's letters (-m FILE -P KEY -x SIG)" "$B" verify \
	-m data.bin -P "$K" -x data.bin.minisig
expect_exit 0 "verify -p KEYFILE (minisign -p)" "$B" verify data.bin -p k.pub
runb fetch -s file://"$TAP_TMP"/data.bin -o -
if [ "$LAST_RC" = 0 ] && [ "$OUT" = data ] && [ -z "$ERR" ]; then ok "fetch -s -o -: the bytes on stdout, nothing else"
else not_ok "fetch -s -o -: the bytes on stdout" "rc $LAST_RC; out $OUT; err $ERR"; fi
runb fetch -q file://"$TAP_TMP"/data.bin -o - --sha256 "$SHA"
if [ "$LAST_RC" = 3 ] && [ -z "$OUT" ]; then ok "fetch -o - with a wrong pin: exit 3, nothing on stdout"
else not_ok "fetch -o - with a wrong pin: exit 3, nothing on stdout" "rc $LAST_RC; out $OUT"; fi
if names "${TMPDIR:-/tmp}" | grep -q "^\.\?bootrino-stdout\.......$"; then
	not_ok "fetch -o -: no temp file left in TMPDIR" "$(names "${TMPDIR:-/tmp}" | grep bootrino-stdout)"
else ok "fetch -o -: no temp file left in TMPDIR"; fi
runb fetch -k --help
printf '%s\n' "$OUT" | grep -q -- '^  -k, --insecure ' && ok "fetch -k is --insecure (curl)" ||
	not_ok "fetch -k is --insecure (curl)" "$OUT"

# the user-data's wget fallback is bounded (item 8)
runb userdata $UD --pubkey "$K"
has "user-data: wget has bounded tries" "$OUT" 'wget .*-t 4 '
# Debian's own CA bundle fits where the cloud's limit allows it (item 8)
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
	runb userdata ${UD#--cloud aws } --pubkey "$K" --cloud gcp --cacert /etc/ssl/certs/ca-certificates.crt
	[ "$LAST_RC" = 0 ] && ok "Debian's CA bundle: accepted for gcp (256 KiB)" ||
		not_ok "Debian's CA bundle: accepted for gcp" "$ERR"
else
	skip "Debian's CA bundle" "no /etc/ssl/certs/ca-certificates.crt"
fi

# a shell syntax error in the user's script names the user's file, not our copy
runb plan --script ./syntax.sh --pubkey "$K"
if [ "$LAST_RC" = 2 ] && printf '%s\n' "$ERR" | grep -q '^\./syntax\.sh: 4: .*Syntax error' &&
	! printf '%s\n' "$ERR" | grep -q '/bootrino\.[A-Za-z0-9]\{6\}/'; then
	ok "syntax error: names ./syntax.sh and line 4, not the temp copy"
else not_ok "syntax error: names ./syntax.sh and line 4, not the temp copy" "$ERR"; fi

# --- short letters: one meaning across commands; docs/cli.md lists every option -------------------
"$B" help --options > options.txt 2> /dev/null
if [ "$(wc -l < options.txt)" -ge 40 ] && grep -q '^fetch --output o required$' options.txt; then
	ok "help --options lists the declared options ($(wc -l < options.txt))"
else
	not_ok "help --options lists the declared options" "$(head -n 3 options.txt)"
	echo "nothing declared" > options.txt # every check below then fails
fi
bad=$(awk '$3 != "-" { n = split($3, l, ""); for (i = 1; i <= n; i++) {
		if ((l[i] in seen) && seen[l[i]] != $2) print "-" l[i] ": " seen[l[i]] " and " $2
		seen[l[i]] = $2 } }' options.txt)
[ -z "$bad" ] && ok "every short letter means one option in every command" ||
	not_ok "every short letter means one option in every command" "$bad"
for l in k s m r t; do
	if ! grep -q '^fetch ' options.txt ||
		awk -v l="$l" '$1 == "fetch" && index($3, l) { f = 1 } END { exit !f }' options.txt &&
		! { [ "$l" = k ] && grep -q '^fetch --insecure k' options.txt; } &&
		! { [ "$l" = s ] && grep -q '^fetch --quiet qs' options.txt; }; then
		not_ok "fetch -$l means what curl's does or nothing" "$(grep "^fetch .* [a-zA-Z]*$l" options.txt)"
	else ok "fetch -$l means what curl's does or nothing"; fi
done
sig=$(awk '$2 ~ /sig/ { print $2 }' options.txt | sort -u)
[ "$sig" = "--minisig" ] && ok "one name for the signature option: --minisig" ||
	not_ok "one name for the signature option" "$sig"
missing=""
while read -r c o _ flags; do
	case $flags in *hidden*) continue ;; esac
	# the option must appear in the command's section of docs/cli.md
	if ! awk -v c="### bootrino $c" -v o="$o" '$0 == c { in_c = 1; next }
		/^### / { in_c = 0 } in_c && index($0, o) { found = 1 } END { exit !found }' \
		"$root/docs/cli.md"; then
		missing="$missing $c$o"
	fi
done < options.txt
[ -z "$missing" ] && ok "docs/cli.md lists every declared option ($(wc -l < options.txt))" ||
	not_ok "docs/cli.md lists every declared option" "missing:$missing (scripts/gen-cli-doc)"

# --- fetch temp files: signals clean up, a SIGKILL's leftover goes on the next run (item 2) ----------
python3 "$root/tests/lib/faultserver.py" --body data.bin --port-file port --lifetime 120 &
srv=$!
tap_on_exit "kill $srv 2>/dev/null"
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
U=http://127.0.0.1:$(cat port)
mkdir -p sig
temps() { names sig | grep -c '^\.\{1,2\}out\..*-......' ; }
for s in INT TERM HUP; do
	"$B" fetch -q "$U/endless/$s" -o sig/out --timeout 60 2> /dev/null &
	pid=$!
	for _ in $(seq 100); do [ "$(temps)" -gt 0 ] && break; sleep 0.05; done
	n=$(temps)
	kill -"$s" "$pid"
	wait "$pid"
	rc=$?
	if [ "$n" -gt 0 ] && [ "$(temps)" = 0 ] && [ "$rc" -gt 128 ]; then
		ok "SIG$s during fetch: temp file removed, died of the signal (rc $rc)"
	else not_ok "SIG$s during fetch: temp file removed" "before $n, after: $(ls -A sig), rc $rc"; fi
done
# a signed download: its own temp file and fetch/'s inside it
"$B" fetch -q "$U/endless/signed" -o sig/out -x data.bin.minisig -P "$K" --timeout 60 2> /dev/null &
pid=$!
for _ in $(seq 100); do [ "$(temps)" -gt 1 ] && break; sleep 0.05; done
n=$(temps)
kill -TERM "$pid"
wait "$pid"
[ "$n" = 2 ] && [ "$(temps)" = 0 ] && ok "SIGTERM during a signed fetch: both temp files removed" ||
	not_ok "SIGTERM during a signed fetch: both temp files removed" "before $n, after: $(ls -A sig)"
# -o -: the private temp file in TMPDIR
mkdir -p tmpd
TMPDIR=$TAP_TMP/tmpd "$B" fetch -q "$U/endless/stdout" -o - --timeout 60 > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -n "$(ls -A tmpd)" ] && break; sleep 0.05; done
n=$(ls -A tmpd | wc -l)
kill -INT "$pid"
wait "$pid"
[ "$n" -gt 0 ] && [ -z "$(ls -A tmpd)" ] && ok "SIGINT during fetch -o -: TMPDIR temp files removed" ||
	not_ok "SIGINT during fetch -o -: TMPDIR temp files removed" "before $n, after: $(ls -A tmpd)"
"$B" fetch -q "$U/endless/kill" -o sig/out --timeout 60 2> /dev/null &
pid=$!
for _ in $(seq 100); do [ "$(temps)" -gt 0 ] && break; sleep 0.05; done
kill -KILL "$pid"
wait "$pid" 2> /dev/null
[ "$(temps)" = 1 ] && ok "SIGKILL leaves its temp file (documented)" ||
	not_ok "SIGKILL leaves its temp file" "$(ls -A sig)"
runb fetch -q file://"$TAP_TMP"/data.bin -o sig/out
if [ "$LAST_RC" = 0 ] && [ "$(temps)" = 0 ] && printf '%s\n' "$ERR" | grep -q 'removed a stale temp file'; then
	ok "the next fetch to the same file removes the stale temp file"
else not_ok "the next fetch removes the stale temp file" "rc $LAST_RC; $(ls -A sig); $ERR"; fi
# a temp file in use by a running fetch is not stale
"$B" fetch -q "$U/endless/busy" -o sig/out --timeout 60 2> /dev/null &
pid=$!
for _ in $(seq 100); do [ "$(temps)" -gt 0 ] && break; sleep 0.05; done
busy=$(names sig | grep '^\.out\.')
"$B" fetch -q file://"$TAP_TMP"/data.bin -o sig/out 2> /dev/null
[ -n "$busy" ] && [ -e "sig/$busy" ] && ok "a running download's temp file is left alone" ||
	not_ok "a running download's temp file is left alone" "$busy: $(ls -A sig)"
kill -TERM "$pid"
wait "$pid" 2> /dev/null

# with a takeover's epoch (carried across kexec as BOOTRINO_T0), an error
# line carries the same time stamp as every other console line
runb_t0() { BOOTRINO_T0=$(($(date +%s%3N) - 2500)) runb "$@"; }
runb_t0 verify --pubkey "$K" "$TAP_TMP/nonexistent"
if [ "$LAST_RC" = 3 ] && printf '%s\n' "$ERR" | grep -Eq '^\[\+2\.[5-9]s\] bootrino: error: verify: '; then
	ok "an error line starts with the takeover's time stamp"
else not_ok "an error line starts with the takeover's time stamp" "rc $LAST_RC; $ERR"; fi

done_testing
