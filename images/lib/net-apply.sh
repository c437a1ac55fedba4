#!/bin/sh
# net-apply FILE [LEASEDIR]: apply the host's network carried by bootrino
# (FILE, /etc/bootrino/network: one setting per line, links named by MAC
# address, see docs/networking.md) to this machine's links, as the loader
# does: every setting for a link that got no DHCP lease (no LEASEDIR/lease.DEV
# file), only the IPv6 ones for a link that did (DHCPv4 says nothing about
# IPv6). Prints one line per setting: "DEV: from the carried facts: …".
# Busybox sh and ip are enough; the words are addresses, MACs and numbers,
# checked by bootrino when it wrote them.
file=${1:-/etc/bootrino/network} leases=${2:-/tmp}
[ -f "$file" ] || exit 0

# MAC address -> this kernel's name for the link
link_of() {
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address" 2> /dev/null)" = "$1" ] && echo "${d##*/}" && return
	done
}

# "route MAC -4 default via GW onlink": the trailing _ keeps "onlink" out of $d
while read -r kind mac a b c d _; do
	case $kind in mtu | addr | route) ;; *) continue ;; esac
	dev=$(link_of "$mac")
	[ -n "$dev" ] || continue
	[ ! -e "$leases/lease.$dev" ] || [ "$a" = -6 ] || continue
	case $kind in
	mtu) ip link set dev "$dev" mtu "$a" ;;
	addr) ip "$a" addr add "$b" dev "$dev" ;;
	route)
		if [ "$c" = via ]; then
			ip "$a" route add "$b" via "$d" dev "$dev" onlink
		else
			ip "$a" route add "$b" dev "$dev"
		fi
		;;
	esac
	echo "$dev: from the carried facts: $kind $mac $a $b${c:+ $c $d onlink} (rc $?)"
done < "$file"
