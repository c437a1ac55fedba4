#!/bin/bash
# Issue 9's power cut: a slot update (v1 on slot a → v2 published) is cut
# by killing QEMU (SIGKILL: whatever the guest had not written is lost) at
# points picked from the loader's console lines, never from a fixed time:
#
#   during the artifact download    `slot: step fetch-artifact` (1st, 2nd,
#                                   3rd artifact: kernel, initrd, demo cpio)
#   during the state switch         `slot: step kexec-load` (loaded, not
#                                   yet recorded), `artifacts-synced`,
#                                   `slot-json-written`, `state-json-renamed`,
#                                   `dir-synced`
#   right after                     the `slot: outcome=` line (kexec next),
#                                   the target up (on trial, not confirmed),
#                                   the target's confirmation written
#
# Every cut runs on its own qcow2 overlay over one cached installed disk
# (tests/e2e/lib/every-boot.sh; the stock OS is not booted again), and the
# disk is powered on again: that boot must reach v1 or v2 — never nothing —
# and bootrino-state must read back offline (`bootrino status --disk` on a
# copy whose ext4 journal was replayed, as the loader's mount replays it)
# naming a slot that holds a whole version. Without that replay status
# --disk can fail right after a cut ("state.json: Bad message", seen at
# slot-json-written): the test prints that as a diagnostic line.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/every-boot.sh"

# NAME|REGEX|NTH: kill right after the NTH line matching REGEX
POINTS=(
	"download-kernel|slot: step fetch-artifact|1"
	"download-initrd|slot: step fetch-artifact|2"
	"download-demo-cpio|slot: step fetch-artifact|3"
	"kexec-load|slot: step kexec-load|1"
	"artifacts-synced|slot: step artifacts-synced|1"
	"slot-json-written|slot: step slot-json-written|1"
	"state-json-renamed|slot: step state-json-renamed|1"
	"dir-synced|slot: step dir-synced|1"
	"outcome-line|slot: outcome=|1"
	"target-up-unconfirmed|BOOTRINO-DEMO-TINYLINUX-UP|1"
	"target-confirmed|BOOTRINO-DEMO-CONFIRMED|1"
)
[ -n "${POWER_CUT_ONLY:-}" ] && mapfile -t POINTS < <(printf '%s\n' "${POINTS[@]}" | grep -E "^($POWER_CUT_ONLY)\|")

eb_setup
eb_publish --version v2 --confirm 2 || {
	not_ok "publish v2" "$(cat "$TAP_TMP/publish.log")"
	done_testing
	exit 1
}

# Waits for the NTH line matching REGEX on $SERIAL (up to SECS), then
# SIGKILLs QEMU at once. The console log is polled every 20 ms: a cut
# lands within a few tens of milliseconds of the line (downloading the
# kernel alone takes longer).
cut_at() { # REGEX NTH SECS
	local end=$(($(date +%s) + $3)) n qpid
	while :; do
		n=$(grep -acE -- "$1" "$SERIAL" 2> /dev/null)
		[ "${n:-0}" -ge "$2" ] && break
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.02
	done
	qpid=$(eb_qemu_pid)
	[ -n "$qpid" ] && kill -KILL "$qpid" 2> /dev/null
	return 0
}

reached=()
for p in "${POINTS[@]}"; do
	IFS='|' read -r name re nth <<< "$p"
	DISK=$TAP_TMP/$name.qcow2
	eb_overlay "$DISK"
	eb_boot "cut-$name" "$DISK"
	if ! cut_at "$re" "$nth" 600; then
		not_ok "$name: the update reaches the cut point ($re #$nth)" \
			"$(grep -aE 'bootrino|BOOTRINO|Kernel panic' "$SERIAL" | tail -20)"
		eb_off "$DISK"
		rm -f "$DISK"
		continue
	fi
	eb_off "$DISK"
	# status --disk reads without replaying ext4's journal: right after a
	# cut that can fail (EBADMSG); say so, then read the replayed copy
	eb_status "$DISK" > /dev/null 2> "$TAP_TMP/status.err" ||
		echo "# $name: status --disk before the journal replay: $(tail -1 "$TAP_TMP/status.err")"
	st=$(eb_status "$DISK" --replay 2> "$TAP_TMP/status.err" | python3 -c '
import json, sys
s = json.load(sys.stdin)
C, T = s["current"], s["trial"]
assert C and C["slot"] in ("a", "b"), s
for x in filter(None, (C, T)):
    assert x["timestamp"] > 0 and len(x["artifacts"]) == 3, x
print("current=%s trial=%s" % (C["slot"], T and T["slot"]))
' 2>&1)
	if [ $? = 0 ]; then
		ok "$name: cut; bootrino-state reads back offline (journal replayed): $st"
	else
		not_ok "$name: bootrino-state reads back after the cut" "$st $(cat "$TAP_TMP/status.err")"
	fi
	eb_boot "after-$name" "$DISK"
	if eb_target 600 && { [ "$T_VERSION" = v1 ] || [ "$T_VERSION" = v2 ]; }; then
		ok "$name: the next boot reaches $T_VERSION (slot $T_SLOT), $(secs "$POWERON" "$(now)")s after power-on; $(eb_outcome | sed 's/^slot: //')"
		reached+=("$name=$T_VERSION")
	else
		not_ok "$name: the next boot reaches v1 or v2" \
			"$(grep -aE 'bootrino|BOOTRINO|Kernel panic' "$SERIAL" | tail -25)"
	fi
	eb_off "$DISK"
	rm -f "$DISK"
done
echo "# reached after each cut: ${reached[*]}"
done_testing
