#!/bin/bash
# Negative main e2e (issue 5): the user-data and takeover must refuse before
# touching anything when what they would run or boot does not verify, and
# the stock guest (Debian 12, real cloud-init, NoCloud seed) must keep
# running its OS. One stock guest boot runs every refusal in turn (each a
# user-data part of its own against a copy of the site with one file
# changed; cloud-init runs the next part after one failed), then a last
# part prints a marker: five refusals in a row leave the OS running.
#   - the agent's sha256 in the user-data is wrong: the user-data script
#     refuses before running anything and leaves no agent installed
#   - bootrino.sh changed after signing (--direct: takeover runs it)
#   - tinylinux's initrd changed after bootrino.sh pinned it (--direct)
#   - loader.json changed after signing (default path: takeover checks it)
#   - the same bootrino.sh and initrd changes on the default path: takeover's
#     preflight verifies the loader's whole run on the host first
# Every other part runs the real agent (its sha256 right): the console
# shows the check and nginx served it. One boot instead of one per refusal
# saves five stock boots (~6 min of CI).
# SCENARIOS="NAME…" runs only those (default: all).
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"

takeover_setup
ok "site published and served; guest image ready"

wanted() { [ -z "${SCENARIOS:-}" ] || [[ " $SCENARIOS " == *" $1 "* ]]; }

# variant NAME FILE CHANGE: $SITE/NAME/ is the site (hard links) with FILE
# replaced by a changed copy (CHANGE: a sed expression, or "append LINE")
variant() {
	local dir=$SITE/$1 f=$SITE/$1/$2
	local e
	mkdir -p "$dir"
	for e in "$SITE"/*; do
		case ${e##*/} in neg-*) ;; *) cp -al "$e" "$dir/" ;; esac
	done
	rm -f "$f"
	case $3 in
	append\ *) { cat "$SITE/$2"; printf '%s\n' "${3#append }"; } > "$f" ;;
	*) sed "$3" "$SITE/$2" > "$f" ;;
	esac
	cmp -s "$f" "$SITE/$2" && { not_ok "$1: the variant differs from the site"; return 1; }
	chmod -R a+rX "$dir"
}

# name | file changed | change | what the refusal must name | userdata args
SCEN=(
	"neg-tampered-script|bootrino.sh|append echo tampered|bootrino.sh|--direct"
	"neg-tampered-script-loader|bootrino.sh|append echo tampered|takeover: .*bootrino.sh|"
	"neg-wrong-initrd|tinylinux/initrd.img|append x|initrd.img.*sha256 mismatch|--direct"
	"neg-wrong-initrd-loader|tinylinux/initrd.img|append x|takeover: .*initrd.img.*sha256 mismatch|"
	"neg-tampered-loader|loader/loader.json|s/console=ttyS0/console=ttyS0 tampered/|loader.json|"
)

parts=() names=() whats=()
if wanted bad-agent; then
	BAD=$(printf '%s' "$AGENT_SHA" | tr '0-9a-f' '1-9a-f0')
	"$BOOTRINO" userdata --cloud generic --agent-url "$URL/bootrino" --agent-sha256 "$BAD" \
		--script "$URL/bootrino.sh" --pubkey "$PUB" > "$TAP_TMP/neg-bad-agent.ud"
	parts+=("$TAP_TMP/neg-bad-agent.ud") names+=(neg-bad-agent)
	whats+=("bootrino-userdata: FAILED: .*sha256 mismatch: expected $BAD, got $AGENT_SHA; not running it")
fi
for s in "${SCEN[@]}"; do
	IFS='|' read -r name file change what args <<< "$s"
	wanted "${name#neg-}" || continue
	variant "$name" "$file" "$change" || continue
	# shellcheck disable=SC2086 # args: zero or one word
	"$BOOTRINO" userdata --cloud generic --agent-url "$URL/bootrino" --agent-sha256 "$AGENT_SHA" \
		--script "$URL/$name/bootrino.sh" --pubkey "$PUB" $args > "$TAP_TMP/$name.ud"
	parts+=("$TAP_TMP/$name.ud") names+=("$name") whats+=("$what")
done

# cloud-init runs the parts in file-name order: NN-a-begin-NAME, NN-b-NAME, …
mime=() i=0
for part in "${parts[@]}"; do
	name=${part##*/} name=${name%.ud} n=$(printf '%02d' "$i")
	printf '#!/bin/sh\necho NEG-BEGIN %s\n' "$name" > "$TAP_TMP/$name.begin"
	mime+=("$n-a-begin-$name" "$TAP_TMP/$name.begin" "$n-b-$name" "$part")
	if [ "$name" = neg-bad-agent ]; then # before any later part installs the real one
		printf '#!/bin/sh\ntest -e /var/lib/bootrino/bootrino || echo NO-AGENT-INSTALLED\n' > "$TAP_TMP/check.sh"
		mime+=("$n-c-check" "$TAP_TMP/check.sh")
	fi
	i=$((i + 1))
done
printf '#!/bin/sh\necho GUEST-ALIVE-AFTER-USERDATA\n' > "$TAP_TMP/alive.sh"
mime_userdata "$TAP_TMP/neg.mime" "${mime[@]}" 99-alive "$TAP_TMP/alive.sh"

guest_boot negative "$TAP_TMP/neg.mime"
if wait_for "$SERIAL" "GUEST-ALIVE-AFTER-USERDATA" "$GUEST_TIMEOUT"; then
	ok "the guest keeps running its OS after ${#names[@]} refusals"
else
	not_ok "the guest keeps running its OS after ${#names[@]} refusals" "$(tail -20 "$SERIAL")"
fi
guest_stop

# The serial between NEG-BEGIN NAME and the next NEG-BEGIN (or the alive
# marker) is what NAME's takeover printed.
for i in "${!names[@]}"; do
	name=${names[$i]} what=${whats[$i]}
	sect=$TAP_TMP/$name.section
	awk -v b="NEG-BEGIN $name" '
		index($0, b) { on = 1; next }
		on && (/NEG-BEGIN / || /GUEST-ALIVE-AFTER-USERDATA/) { exit }
		on' "$SERIAL" > "$sect"
	if [ "$name" = neg-bad-agent ]; then
		grep -aEq -- "$what" "$sect" && ok "bad-agent: the user-data refuses the agent" ||
			not_ok "bad-agent: the user-data refuses the agent" "$(grep -a 'bootrino' "$sect" | tail -10)"
		grep -aq "NO-AGENT-INSTALLED" "$sect" && ok "bad-agent: no agent left installed" ||
			not_ok "bad-agent: no agent left installed"
		grep -aq "running: bootrino" "$sect" && not_ok "bad-agent: the agent never ran" ||
			ok "bad-agent: the agent never ran"
		continue
	fi
	grep -aqF "bootrino-userdata: agent sha256 OK ($AGENT_SHA)" "$sect" &&
		ok "${name#neg-}: the user-data checked the agent's sha256" ||
		not_ok "${name#neg-}: the user-data checked the agent's sha256"
	if grep -aq "bootrino-userdata: FAILED: bootrino takeover exited with status 3" "$sect"; then
		ok "${name#neg-}: takeover exits 3"
	else
		not_ok "${name#neg-}: takeover exits 3" "$(grep -aE 'bootrino|BOOTRINO|NEG-' "$sect" | tail -20)"
	fi
	grep -aEq -- "$what" "$sect" && ok "${name#neg-}: the refusal names the problem" ||
		not_ok "${name#neg-}: the refusal names the problem" "$(grep -a 'bootrino' "$sect" | tail -10)"
done
grep -aq "BOOTRINO-DEMO-TINYLINUX-UP" "$SERIAL" && not_ok "no target booted" || ok "no target booted"
grep -q "GET /bootrino HTTP" "$TAP_TMP/nginx/logs/access.log" && ok "the agent came from nginx on loopback" ||
	not_ok "the agent came from nginx on loopback"
# the refusals ran in order, and the alive marker came after the last one
order=$(grep -aoE "NEG-BEGIN [a-z-]+|GUEST-ALIVE-AFTER-USERDATA" "$SERIAL" | awk '!seen[$0]++' |
	sed 's/NEG-BEGIN //' | tr '\n' ' ')
[ "$order" = "${names[*]} GUEST-ALIVE-AFTER-USERDATA " ] && ok "the refusals ran in order, the OS after them" ||
	not_ok "the refusals ran in order, the OS after them" "order: $order"
done_testing
