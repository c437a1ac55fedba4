#!/bin/bash
# `bootrino metadata` against replays of cloud-init's own unit-test
# fixtures (tests/lib/metadata_replay.py on 127.0.0.1), shape by shape.
# Each shape's source is canonical/cloud-init's
# tests/unittests/sources/test_{ec2,gce,digitalocean}.py, fixture or test
# named in the shape (and in metadata_replay.py). Where bootrino differs
# from cloud-init on purpose the check says so (docs/facts.md).
set -u
. "$(dirname "$0")/../lib/tap.sh"

T=$TAP_TMP
SRV=$BOOTRINO_ROOT/tests/lib/metadata_replay.py
K="ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQReplayKey"

# replay SHAPE CLOUD: runs `bootrino metadata` against the shape; OUT, RC
replay() {
	local pf=$T/port.$1
	timeout 120 python3 "$SRV" --shape "$1" --port-file "$pf" --log "$T/$1.log" --lifetime 60 &
	tap_on_exit "kill $! 2> /dev/null"
	for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	"$BOOTRINO" metadata --cloud "$2" --metadata-url "http://127.0.0.1:$(cat "$pf")" \
		> "$T/out" 2> "$T/err" < /dev/null
	RC=$? OUT=$(cat "$T/out")
}
# expect SHAPE CLOUD PYEXPR WANT NOTE: PYEXPR over the facts d prints WANT
expect() {
	local got
	replay "$1" "$2"
	if [ "$RC" != 0 ]; then
		not_ok "$1: $5" "exit $RC: $(cat "$T/err")"
		return
	fi
	got=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$3" 2>&1)
	if [ "$got" = "$4" ]; then ok "$1: $5"; else not_ok "$1: $5" "want: $4; got: $got"; fi
}
F='(d.get("instance_id"), d.get("hostname"), d.get("region"), d.get("zone"), d["ssh_authorized_keys"])'

# --- DigitalOcean: test_digitalocean.py ------------------------------------------------
expect do-meta digitalocean "$F" "('22532410', 'utl-96268', 'nyc3', None, [])" \
	"DO_META (taken from a droplet): droplet_id as a string of digits; the elided key dropped (cloud-init keeps it)"
expect do-meta-wellformed digitalocean 'd["ssh_authorized_keys"]' "['$K test@do.co']" \
	"test_metadata: public_keys as one string"
expect do-multiple-keys-wellformed digitalocean 'd["ssh_authorized_keys"]' "['$K test1@do.co', '$K test2@do.co']" \
	"test_multiple_ssh_keys: public_keys as a list, order kept"
expect do-meta-empty-keys digitalocean '(d["instance_id"], d["ssh_authorized_keys"])' "('22532410', [])" \
	"DO_META as served: public_keys \"\" means no key"
expect do-meta-2-wellformed digitalocean "$F" "('27223699', 'smtest1', 'nyc3', None, ['$K smoser@brickies'])" \
	"DO_META_2: droplet_id a number, tags null, one key in a list"

# --- GCE: test_gce.py ---------------------------------------------------------------------
expect gce-meta gcp "$F" "('123', 'server.project-foo.local', None, 'bar', [])" \
	"GCE_META: id, hostname; only the last part of the zone (test_only_last_part_of_zone_used_for_availability_zone)"
expect gce-cloudinit-ssh-keys gcp 'sorted(d["ssh_authorized_keys"])' \
	"['ssh-rsa INVALID 0', 'ssh-rsa INVALID 1', 'ssh-rsa INVALID 2', 'ssh-rsa VALID 0', 'ssh-rsa VALID 1', 'ssh-rsa VALID 2']" \
	"test_cloudinit_ssh_keys: instance and project keys, block \"False\"; every user's key kept (cloud-init: only user cloudinit's, the VALID ones)"
expect gce-instance-ssh-keys-override gcp 'sorted(d["ssh_authorized_keys"])' "['ssh-rsa VALID 0', 'ssh-rsa VALID 1']" \
	"test_instance_ssh_keys_override: the instance's legacy sshKeys blocks project keys (as cloud-init)"
expect gce-block-project-ssh-keys-override gcp 'd["ssh_authorized_keys"]' "['ssh-rsa VALID 0']" \
	"test_block_project_ssh_keys_override: block-project-ssh-keys \"True\" (as cloud-init)"
expect gce-parse-public-keys-non-ascii gcp 'd["ssh_authorized_keys"]' "['ssh-rsa test1', 'ssh-rsa test2', 'ssh-rsa test3']" \
	"test_parse_public_keys_non_ascii: lines with non-ASCII bytes skipped (as cloud-init); every user kept"
grep -q '^GET /computeMetadata/v1/instance/id 200' "$T/gce-meta.log" &&
	ok "gce-meta: the id read as text from instance/id" || not_ok "gce-meta: instance/id asked" "$(cat "$T/gce-meta.log")"

# --- EC2: test_ec2.py ---------------------------------------------------------------------
expect ec2-default aws "$F" "('i-0a33f80f09c96477f', 'ip-172-3-3-15.us-east-2.compute.internal', 'us-west-2', 'us-east-2b', [])" \
	"DEFAULT_METADATA + DYNAMIC_METADATA: id from meta-data/instance-id and zone from placement (as cloud-init), region from the identity document; the elided key dropped"
expect ec2-default-wellformed aws 'd["ssh_authorized_keys"]' "['$K brickies']" \
	"DEFAULT_METADATA: public-keys \"0=brickies\", 0/openssh-key"
expect ec2-secondary-ip-2018-09-24 aws '(d["instance_id"], d["zone"], d["ssh_authorized_keys"])' \
	"('i-069e01e8cc43732f8', 'us-east-2c', ['$K yourkeyname', '$K second'])" \
	"SECONDARY_IP_METADATA_2018_09_24: a key name with a comma; an entry holding two keys, one per line"
if grep -q '^PUT /latest/api/token 200' "$T/ec2-default.log" && ! grep -q ' 401$' "$T/ec2-default.log"; then
	ok "ec2: IMDSv2 only (token first, every GET with it)"
else
	not_ok "ec2: IMDSv2 only" "$(cat "$T/ec2-default.log")"
fi
done_testing
