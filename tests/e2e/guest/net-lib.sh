# shellcheck shell=bash
# Shared by tests/e2e/test_net_*.sh (a cloud's network shapes): source
# tests/lib/tap.sh, tests/lib/nginx.sh and takeover-lib.sh first, then call
# takeover_setup.
#
#   net_ns                     a network namespace of the test's own (a
#                              sleeping process holds it): sets NS; `nsx CMD`
#                              runs CMD inside it. Nothing in it routes
#                              anywhere but to the guest's tap devices.
#   net_tap NAME               a tap device NAME in it, up, for --tap
#   net_server ADDR...         the web server at ADDR:8080 in the namespace
#                              (ns-relay.py to nginx on 127.0.0.1); sets URL
#                              to http://FIRST-ADDR:8080
#   net_boot NAME USERDATA ARGS...  the stock guest on the namespace's taps
#                              (ARGS: --tap IF,MAC --network-config F …)
#   loader_log / target_log    the serial log's loader part (from init's
#                              first line to the target's marker) and the
#                              target's part
#   net_compare                the carried facts against what the target
#                              reports (net-compare.py), per MAC address
NS=
nsx() { nsenter --net="/proc/$NS/ns/net" "$@"; }

net_ns() {
	unshare -n sleep "$((GUEST_TIMEOUT + 900))" &
	NS=$!
	tap_on_exit "kill $NS 2> /dev/null"
	local i
	for i in $(seq 50); do
		[ "$(readlink "/proc/$NS/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.1
	done
	nsx ip link set lo up
}

net_tap() {
	nsx ip tuntap add dev "$1" mode tap && nsx ip link set dev "$1" up
}

net_server() {
	local a
	for a in "$@"; do
		case $a in
		*:*) nsx ip -6 addr add "$a/128" dev lo nodad ;;
		*) nsx ip addr add "$a/32" dev lo ;;
		esac
	done
	python3 "$G/ns-relay.py" "$NS" 8080 "$NGINX_PORT" "$@" > "$TAP_TMP/relay.out" 2>&1 &
	tap_on_exit "kill $! 2> /dev/null"
	local i
	for i in $(seq 50); do
		grep -q ready "$TAP_TMP/relay.out" && break
		sleep 0.1
	done
	case $1 in *:*) URL=http://[$1]:8080 ;; *) URL=http://$1:8080 ;; esac
	nsx curl -sf -o /dev/null "$URL/bootrino.sh"
}

net_boot() {
	local name=$1 ud=$2
	shift 2
	W=$TAP_TMP/$name SERIAL=$TAP_TMP/$name.serial
	"$G/boot-guest.sh" --user-data "$ud" --serial "$SERIAL" --netns "$NS" "$@" \
		--pidfile "$TAP_TMP/$name.pid" --workdir "$W" --timeout "$GUEST_TIMEOUT" \
		--mem "${GUEST_MEM:-1024}"
	GUEST_PIDFILE=$TAP_TMP/$name.pid
	tap_on_exit "kill \$(cat '$GUEST_PIDFILE' 2> /dev/null) 2> /dev/null"
	POWERON=$(cat "$W/poweron")
}

loader_log() {
	sed -n '/bootrino: init: bootrino loader starting/,/BOOTRINO-DEMO-TINYLINUX-UP/p' "$SERIAL" | tr -d '\r'
}
target_log() { sed -n '/BOOTRINO-DEMO-TINYLINUX-UP/,$p' "$SERIAL" | tr -d '\r'; }

net_compare() { python3 "$G/net-compare.py" "$SERIAL"; }

# net_loader_earlyprintk: the published loader.json asks the loader's kernel
# for an early serial console (re-signed with the test key), so that a
# loader that dies before its console comes up still says why in SERIAL.
net_loader_earlyprintk() {
	local j=$SITE/loader/loader.json
	sed -i 's/"cmdline": "console=tty0 console=ttyS0"/"cmdline": "console=tty0 console=ttyS0 earlyprintk=serial,ttyS0,115200"/' "$j" &&
		grep -q earlyprintk "$j" &&
		minisign -S -s "$KEY" -m "$j" -x "$j.minisig" \
			-t "timestamp:$(date +%s)	file:loader.json" > /dev/null
}
