#!/bin/bash
# images/lib/net-apply.sh (the target's copy of the loader's static
# network, docs/networking.md) with busybox's sh and ip, on a veth pair in
# a network namespace of the test's own: every setting applies to the link
# with the MAC address it names, a link with a DHCP lease takes only the
# IPv6 ones, other MACs and other lines are left alone. Test addresses only.
set -u
. "$(dirname "$0")/../lib/tap.sh"

APPLY=$BOOTRINO_ROOT/images/lib/net-apply.sh
BB=$(command -v busybox)
if [ -z "$BB" ] || ! unshare -n -m --propagation private true 2> /dev/null; then
	skip "net-apply in a namespace" "needs busybox and unshare -n -m (root)"
	done_testing
	exit 0
fi
T=$TAP_TMP
mkdir -p "$T/bin" "$T/leases"
ln -s "$BB" "$T/bin/ip"
MAC=52:54:00:aa:00:01
cat > "$T/network" << EOF
mtu $MAC 1460
addr $MAC -4 198.51.100.20/32
addr $MAC -6 2001:db8:10::10/64
route $MAC -4 default via 198.51.100.1 onlink
route $MAC -4 198.51.100.1/32
route $MAC -6 default via 2001:db8:10::1 onlink
addr 52:54:00:aa:00:99 -4 192.0.2.99/24
nameserver 198.51.100.53
garbage line here
EOF

# apply [LEASE]: a fresh namespace with v0 (MAC) and its peer, net-apply
# run there with busybox; prints the result as `ip -o` lines
apply() {
	[ -n "${1:-}" ] && : > "$T/leases/lease.v0" || rm -f "$T/leases/lease.v0"
	# a mount namespace too: /sys/class/net shows the namespace's links only
	# once sysfs is mounted from inside it
	unshare -n -m --propagation private sh -c 'mount -t sysfs sysfs /sys &&
		ip link add v0 address '"$MAC"' type veth peer name v1 &&
		ip link set v0 up && ip link set v1 up &&
		PATH='"$T/bin"':$PATH '"$BB"' sh '"$APPLY"' '"$T/network"' '"$T/leases"' &&
		echo --- && ip -o link show v0 && ip -o addr show dev v0 scope global &&
		ip -4 route show && ip -6 route show dev v0'
}

out=$(apply)
if grep -q "^v0: from the carried facts: route $MAC -4 default via 198.51.100.1 onlink (rc 0)" <<< "$out"; then
	ok "every setting reported with its link, source and result"
else
	not_ok "settings reported" "$out"
fi
result=$(sed -n '/^---$/,$p' <<< "$out")
grep -q "v0.* mtu 1460 " <<< "$result" && ok "MTU 1460 on the link with that MAC" || not_ok "MTU" "$result"
grep -q "inet 198.51.100.20/32" <<< "$result" && grep -q "inet6 2001:db8:10::10/64" <<< "$result" &&
	ok "IPv4 /32 and IPv6 /64 addresses" || not_ok "addresses" "$result"
grep -q "^default via 198.51.100.1 dev v0 onlink" <<< "$result" &&
	ok "IPv4 default route via the off-link gateway, onlink" || not_ok "IPv4 default route" "$result"
grep -q "^default via 2001:db8:10::1 .*onlink" <<< "$result" &&
	ok "IPv6 default route" || not_ok "IPv6 default route" "$result"
! grep -q "192.0.2.99" <<< "$out" && ok "another MAC's settings are left alone" ||
	not_ok "another MAC's settings" "$out"

out=$(apply lease)
result=$(sed -n '/^---$/,$p' <<< "$out")
if ! grep -q "inet 198.51.100.20" <<< "$result" && grep -q "inet6 2001:db8:10::10/64" <<< "$result" &&
	grep -q "v0.* mtu 1500 " <<< "$result"; then
	ok "a link with a DHCP lease takes only the IPv6 settings"
else
	not_ok "a link with a DHCP lease takes only the IPv6 settings" "$out"
fi
done_testing
