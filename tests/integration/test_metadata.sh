#!/bin/bash
# `bootrino metadata` against tests/lib/metadata_server.py on 127.0.0.1,
# which imitates the AWS (IMDSv2), GCP and DigitalOcean metadata services
# (and refuses requests without the headers the real ones want).
set -u
. "$(dirname "$0")/../lib/tap.sh"

T=$TAP_TMP
SRV=$BOOTRINO_ROOT/tests/lib/metadata_server.py

# start_server [FAULT]: sets MD_URL, MD_LOG
start_server() {
	local pf=$T/port.$$.$RANDOM
	MD_LOG=$T/md-${1:-ok}.log
	timeout 300 python3 "$SRV" --port-file "$pf" --log "$MD_LOG" ${1:+--fault "$1"} --lifetime 240 &
	tap_on_exit "kill $! 2> /dev/null"
	for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	MD_URL=http://127.0.0.1:$(cat "$pf")
}
jq_() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

start_server

# --- DigitalOcean ------------------------------------------------------------------
run "digitalocean: facts with metadata" 0 "$BOOTRINO" metadata --cloud digitalocean --metadata-url "$MD_URL"
if [ "$(printf '%s' "$OUT" | jq_ 'd["cloud"], d["instance_id"], d["hostname"], d["region"]')" = "('digitalocean', '2756294', 'droplet-1', 'ams3')" ]; then
	ok "digitalocean: cloud, droplet id, hostname, region"
else
	not_ok "digitalocean: fields" "$OUT"
fi
printf '%s' "$OUT" | jq_ '"do-key" in d["ssh_authorized_keys"][0] and "metadata" in d["sources"]' | grep -qx True &&
	ok "digitalocean: ssh key from public_keys" || not_ok "digitalocean: ssh key" "$OUT"

# --- AWS IMDSv2 ----------------------------------------------------------------------
run_cloud() { # CLOUD NAME
	"$BOOTRINO" metadata --cloud "$1" --metadata-url "$MD_URL" > "$T/out" 2> "$T/err"
	RC=$? OUT=$(cat "$T/out") ERR=$(cat "$T/err")
	if [ "$RC" = 0 ]; then ok "$2"; else not_ok "$2" "exit $RC: $ERR"; return 1; fi
}
if run_cloud aws "aws: facts with IMDSv2 metadata"; then
	[ "$(printf '%s' "$OUT" | jq_ 'd["instance_id"], d["zone"], d["hostname"]')" = "('i-0123456789abcdef0', 'eu-west-1b', 'ip-172-31-5-6.eu-west-1.compute.internal')" ] &&
		ok "aws: instance id, zone, hostname" || not_ok "aws: fields" "$OUT"
	printf '%s' "$OUT" | jq_ '"aws-key" in d["ssh_authorized_keys"][0]' | grep -qx True &&
		ok "aws: ssh key from public-keys/0/openssh-key" || not_ok "aws: ssh key" "$OUT"
	grep -q '^PUT /latest/api/token 200 .*X-aws-ec2-metadata-token-ttl-seconds' "$MD_LOG" &&
		ok "aws: token via PUT with a TTL" || not_ok "aws: token via PUT" "$(cat "$MD_LOG")"
	! grep -q '^GET /latest/.* 401' "$MD_LOG" && ok "aws: every GET carried the token" ||
		not_ok "aws: every GET carried the token" "$(cat "$MD_LOG")"
fi

# --- GCP ------------------------------------------------------------------------------
if run_cloud gcp "gcp: facts with metadata"; then
	[ "$(printf '%s' "$OUT" | jq_ 'd["instance_id"], d["zone"], d["region"]')" = "('7334521912345678901', 'us-central1-a', 'us-central1')" ] &&
		ok "gcp: 64-bit instance id exact, zone, region" || not_ok "gcp: fields" "$OUT"
	printf '%s' "$OUT" | jq_ 'len(d["ssh_authorized_keys"])' | grep -qx 2 &&
		ok "gcp: instance + project ssh-keys" || not_ok "gcp: ssh keys" "$OUT"
	! grep -q ' 403 ' "$MD_LOG" && ok "gcp: every request had Metadata-Flavor: Google" ||
		not_ok "gcp: Metadata-Flavor" "$(cat "$MD_LOG")"
fi

# --- throttling: IMDS answers 429 until the client slows down (metadata_server.py
# cites the source); every request is retried after Retry-After and succeeds ---
start_server throttle
if run_cloud aws "aws throttled (429 first): facts all the same"; then
	printf '%s' "$OUT" | jq_ '"aws-key" in d["ssh_authorized_keys"][0] and d["instance_id"]' | grep -qx i-0123456789abcdef0 &&
		ok "aws throttled: id and key after the retries" || not_ok "aws throttled: fields" "$OUT"
	grep -q '^PUT /latest/api/token 429' "$MD_LOG" && grep -q '^PUT /latest/api/token 200' "$MD_LOG" &&
		ok "aws throttled: the token PUT was retried after 429" || not_ok "aws throttled: retried" "$(cat "$MD_LOG")"
fi
# IMDSv1 disabled: the stub refuses a GET without a token, as AWS does then
code=$(curl -s -o /dev/null -w '%{http_code}' "$MD_URL/latest/meta-data/local-hostname")
[ "$code" = 401 ] && ok "aws stub: a GET without a token gets 401 (IMDSv1 disabled)" || not_ok "aws stub 401" "$code"

# --- hostile or absent services --------------------------------------------------------
for fault in garbage trailing huge; do
	start_server "$fault"
	run "digitalocean $fault document: exit 3" 3 "$BOOTRINO" metadata --cloud digitalocean --metadata-url "$MD_URL"
	one_line_err "digitalocean $fault document: one line naming the URL" "$MD_URL"
	[ -z "$OUT" ] && ok "digitalocean $fault document: no JSON printed" || not_ok "no JSON printed" "$OUT"
done
port=$(free_port)
start=$(date +%s)
run "nothing listening: exit 4" 4 "$BOOTRINO" metadata --cloud digitalocean --metadata-url "http://127.0.0.1:$port" --timeout 5
took=$(($(date +%s) - start))
[ "$took" -le 15 ] && ok "nothing listening: bounded (${took}s)" || not_ok "nothing listening: bounded" "${took}s"

# --- DigitalOcean without an address: a temporary link-local one ----------------------------
# As DigitalOcean documents and cloud-init's DigitalOcean helper does
# (assign_ipv4_link_local / del_ipv4_link_local): add an address, ask, remove
# it. Proved in two network namespaces of the test's own joined by a veth
# pair, with documentation addresses standing in for 169.254.169.254 (the
# service, 192.0.2.254) and 169.254.x.y/16 (the temporary address,
# 192.0.2.77/24): nothing here can reach any other network.
if unshare -n true 2> /dev/null; then
	unshare -n sleep 300 &
	NC=$!
	unshare -n sleep 300 &
	NSV=$!
	tap_on_exit "kill $NC $NSV 2> /dev/null"
	for _ in $(seq 50); do
		[ "$(readlink /proc/$NC/ns/net)" != "$(readlink /proc/self/ns/net)" ] &&
			[ "$(readlink /proc/$NSV/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.1
	done
	inc() { nsenter --net="/proc/$NC/ns/net" "$@"; }
	ins() { nsenter --net="/proc/$NSV/ns/net" "$@"; }
	inc ip link set lo up
	inc ip link add ll0 address 52:54:00:00:11:01 type veth peer name md0
	inc ip link set md0 netns "$NSV"
	ins ip link set lo up
	ins ip addr add 192.0.2.254/24 dev md0
	ins ip link set md0 up
	# ll0 stays down and without an address: a droplet before its network
	# is configured
	ll_server() { # [FAULT]: sets LL_URL
		local pf=$T/llport.$RANDOM
		ins timeout 120 python3 "$SRV" --bind 192.0.2.254 --port-file "$pf" \
			--log "$T/ll-${1:-ok}.log" ${1:+--fault "$1"} --lifetime 100 &
		tap_on_exit "kill $! 2> /dev/null"
		for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
		LL_URL=http://192.0.2.254:$(cat "$pf")
	}
	ll_clean() { # NAME: the address is gone and the link down again
		local a
		a=$(inc ip -4 -o addr show dev ll0)
		if [ -z "$a" ] && ! inc ip -o link show dev ll0 | grep -q '[<,]UP[,>]'; then
			ok "$1: the temporary address removed, the link down again as it was"
		else
			not_ok "$1: the temporary address removed, the link down again" "$a $(inc ip -o link show dev ll0)"
		fi
	}
	ll_server
	if inc curl -s --max-time 3 -o /dev/null "$LL_URL/metadata/v1.json"; then
		not_ok "link-local: the service is unreachable without an address" "curl reached $LL_URL"
	else
		ok "link-local: the service is unreachable without an address"
	fi
	run "link-local: metadata through a temporary address" 0 \
		inc "$BOOTRINO" metadata --cloud digitalocean --metadata-url "$LL_URL" --link-local 192.0.2.77/24
	[ "$(printf '%s' "$OUT" | jq_ 'd["instance_id"], d["metadata"]["link_local"], d["metadata"]["link_local_link"]')" = "('2756294', '192.0.2.77/24', 'll0')" ] &&
		ok "link-local: droplet id read; the facts say which address on which link" ||
		not_ok "link-local: fields" "$OUT"
	printf '%s' "$OUT" | jq_ 'any(a["address"] == "192.0.2.77" for a in d["network"]["addresses"])' | grep -qx False &&
		ok "link-local: the temporary address is not among the carried addresses" ||
		not_ok "link-local: not carried" "$OUT"
	ll_clean "link-local, success"
	run "link-local: --check says so" 0 \
		inc "$BOOTRINO" metadata --cloud digitalocean --metadata-url "$LL_URL" --link-local 192.0.2.77/24 --check
	grep -q '^           asked through the temporary 192.0.2.77/24 on ll0 (no route before), removed again$' <<< "$OUT" &&
		ok "link-local: --check names the temporary address and its link" || not_ok "link-local: --check" "$OUT"
	ll_clean "link-local, --check"
	ll_server garbage
	run "link-local: a garbage answer still fails (exit 3)" 3 \
		inc "$BOOTRINO" metadata --cloud digitalocean --metadata-url "$LL_URL" --link-local 192.0.2.77/24
	one_line_err "link-local, garbage: one line naming the temporary address" "temporary 192.0.2.77/24 on ll0, removed again"
	ll_clean "link-local, garbage answer"
	run "link-local: nothing listening (exit 4)" 4 \
		inc "$BOOTRINO" metadata --cloud digitalocean --metadata-url "http://192.0.2.254:$(free_port)" \
		--link-local 192.0.2.77/24 --timeout 2
	ll_clean "link-local, nothing listening"
	# with a route to the service no address is added
	inc ip addr add 192.0.2.10/24 dev ll0
	inc ip link set ll0 up
	ll_server
	run "link-local: a configured droplet asks directly" 0 \
		inc "$BOOTRINO" metadata --cloud digitalocean --metadata-url "$LL_URL" --link-local 192.0.2.77/24
	printf '%s' "$OUT" | jq_ '"link_local" in d["metadata"] and d["instance_id"]' | grep -qx False &&
		ok "link-local: no temporary address when a route exists" || not_ok "link-local: direct" "$OUT"
else
	skip "link-local: metadata through a temporary address" "no network namespaces here (unshare -n)"
fi

# --- never the link-local address off-cloud ------------------------------------------------
run "--cloud aws without a URL on a non-AWS machine" 0 "$BOOTRINO" metadata --cloud aws --timeout 1
printf '%s' "$OUT" | jq_ 'd["metadata"]["error"]' | grep -q "not on aws; give the metadata URL explicitly" &&
	ok "…records why it did not ask 169.254.169.254" || not_ok "metadata error recorded" "$OUT"
run "--metadata-url without --cloud" 2 "$BOOTRINO" metadata --metadata-url "$MD_URL"
run "--cloud azure" 2 "$BOOTRINO" metadata --cloud azure

# --- files and netlink -----------------------------------------------------------------------
run "--no-metadata" 0 "$BOOTRINO" metadata --no-metadata
printf '%s' "$OUT" | jq_ '[l["name"] for l in d["network"]["links"] if l["loopback"]] == ["lo"] and any(a["address"] == "127.0.0.1" and a["link"] == "lo" for a in d["network"]["addresses"])' | grep -qx True &&
	ok "netlink: lo with 127.0.0.1/8" || not_ok "netlink: lo" "$OUT"
want=$(ip -4 route show default 2> /dev/null | awk '/default via/ {print $3; exit}')
if [ -n "$want" ]; then
	printf '%s' "$OUT" | jq_ 'any(r["dst"] == "default" and r.get("gateway") == "'"$want"'" for r in d["network"]["routes"])' | grep -qx True &&
		ok "netlink: default route via $want (as ip route says)" || not_ok "netlink: default route" "$OUT"
else
	skip "netlink: default route" "this machine has no IPv4 default route"
fi
root=$T/fakeroot
mkdir -p "$root/sys/class/dmi/id" "$root/run/cloud-init" "$root/etc"
echo "Google" > "$root/sys/class/dmi/id/sys_vendor"
echo "Google Compute Engine" > "$root/sys/class/dmi/id/product_name"
echo '{"v1": {"instance_id": "123", "local_hostname": "vm-1", "public_ssh_keys": ["ssh-ed25519 AAAAx a@b"]}}' > "$root/run/cloud-init/instance-data.json"
echo "nameserver 169.254.169.254" > "$root/etc/resolv.conf"
run "fake root: detection + instance-data.json" 0 "$BOOTRINO" metadata --root "$root" --no-metadata
[ "$(printf '%s' "$OUT" | jq_ 'd["cloud"], d["instance_id"], d["hostname"], d["ssh_authorized_keys"], d["dns"]["nameservers"]')" = "('gcp', '123', 'vm-1', ['ssh-ed25519 AAAAx a@b'], ['169.254.169.254'])" ] &&
	ok "fake root: gcp, id, hostname, keys, DNS from the files" || not_ok "fake root facts" "$OUT"

# --- metadata --check: one screen, loud when nothing would let anyone in ---------------------
run "--check with a key" 0 "$BOOTRINO" metadata --root "$root" --no-metadata --check
if grep -q '^cloud:     gcp$' <<< "$OUT" && grep -q '^ssh keys:  1 ' <<< "$OUT" &&
	grep -q '^loader:    DHCP on every link first' <<< "$OUT" && ! grep -q 'no ssh key' <<< "$OUT"; then
	ok "--check: cloud, key count, the loader's plan; no key warning"
else
	not_ok "--check with a key" "$OUT"
fi
rm "$root/run/cloud-init/instance-data.json"
run "--check without any key" 0 "$BOOTRINO" metadata --root "$root" --no-metadata --check
grep -q '^WARNING: no ssh key at all: the target will be unreachable over ssh' <<< "$OUT" &&
	ok "--check: warns loudly when there is no ssh key" || not_ok "--check without a key" "$OUT"
done_testing
