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
#   net_compare                the carried facts against what the loader
#                              and the target report (net-compare.py), per MAC
#   net_left                   seconds left of the guest's GUEST_TIMEOUT
#   net_journey NAME NETCONFIG IF,MAC… -- CHECK…   one static-network journey
#                              (below)
#
# Under TCG on a loaded machine the loader's kernel alone has taken 4-5
# minutes to start (the same step took 40 s when the machine was idle):
# every wait is bounded by what is left of the guest's own timeout, set
# with GUEST_BOOT_TIMEOUT below run.sh's 900 s per test.
NS=
nsx() { nsenter --net="/proc/$NS/ns/net" "$@"; }

net_ns() {
	unshare -n sleep "$((GUEST_TIMEOUT + 900))" &
	NS=$!
	tap_on_exit "kill $NS 2> /dev/null"
	local _
	for _ in $(seq 50); do
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
	local _
	for _ in $(seq 50); do
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

net_left() {
	local l=$((${POWERON%.*} + GUEST_TIMEOUT - $(date +%s)))
	echo $((l > 0 ? l : 1))
}

# net_journey NAME NETCONFIG TAPS… -- CHECKS: boots the stock guest on the
# taps (IF,MAC) with NETCONFIG as its NoCloud network-config and checks,
# stage by stage, that no DHCP answered, the loader gave up on it within
# its bound and applied the carried facts by MAC, the target did the same,
# and both equal the stock OS per MAC (net_compare). CHECKS: "page ADDR"
# (the target's page answers there from the namespace), "route FAMILY
# ROUTE" (a route the loader and the target both have).
net_journey() {
	local name=$1 netcfg=$2 taps=() checks=() a loader target out
	shift 2
	while [ "$1" != -- ]; do taps+=(--tap "$1"); shift; done
	shift
	checks=("$@")
	takeover_userdata "$TAP_TMP/$name.ud" --no-install
	net_boot "$name" "$TAP_TMP/$name.ud" --ifnames --network-config "$netcfg" "${taps[@]}"
	if wait_for "$SERIAL" "bootrino-userdata: fetching the agent" "$(net_left)"; then
		ok "$name: stock OS configured from network-config, fetches the agent from $URL"
	else
		not_ok "$name: stock OS runs the user-data" "$(tail -30 "$SERIAL")"
		guest_stop
		return
	fi
	if ! wait_for "$SERIAL" "bootrino: init: attempt 1" "$(net_left)"; then
		not_ok "$name: loader configures the network" "$(tail -30 "$SERIAL")"
		guest_stop
		return
	fi
	sleep 2
	loader=$(loader_log)
	# every link gave up on DHCP within the bound, then took the facts
	out=$(sed -n 's/.*no DHCP lease (.*DHCP took \([0-9.]*\) s of at most.*/\1/p' <<< "$loader")
	if [ "$(wc -l <<< "$out")" = "$((${#taps[@]} / 2))" ] &&
		awk -v b="$BOUND" '$1 > b + 0.5 { bad = 1 } END { exit bad }' <<< "$out"; then
		ok "$name: loader gave up on DHCP within ${BOUND} s on every link (took $(tr '\n' ' ' <<< "$out")s)"
	else
		not_ok "$name: loader gives up on DHCP within ${BOUND} s" "$(grep -a 'DHCP' <<< "$loader")"
	fi
	# the same bound from the console's own time stamps, not the loader's sum
	if out=$(python3 "$G/dhcp-bound.py" "$SERIAL" "$BOUND" 2>&1); then
		ok "$name: console time stamps: asking DHCP -> carried facts applied within ${BOUND} s ($(tr '\n' ';' <<< "$out"))"
	else
		not_ok "$name: console time stamps: carried facts applied within ${BOUND} s of asking DHCP" "$out"
	fi
	if [ "$(grep -c 'from the carried facts (the host.s [a-z]' <<< "$loader")" = "$((${#taps[@]} / 2))" ]; then
		ok "$name: loader says each link's settings come from the carried facts, matched by MAC to the host's link"
	else
		not_ok "$name: loader names the carried facts as the source" "$(grep -a 'init:' <<< "$loader")"
	fi
	if wait_for "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-HTTP-UP" "$(net_left)"; then
		ok "$name: loader reached the web server through the carried settings: target up"
	else
		not_ok "$name: the target is up" "$(grep -aE 'bootrino|BOOTRINO|udhcpc' "$SERIAL" | tail -30)"
		guest_stop
		return
	fi
	target=$(target_log)
	if grep -q "tinylinux: eth[0-9]: from the carried facts: addr" <<< "$target"; then
		ok "$name: target applied the carried settings where DHCP answered nothing"
	else
		not_ok "$name: target applied the carried settings" "$(grep -a 'tinylinux:\|udhcpc' <<< "$target")"
	fi
	if out=$(net_compare); then
		ok "$name: loader and target = the stock OS (carried facts), per MAC: $(tr '\n' ';' <<< "$out")"
	else
		not_ok "$name: target's network is the stock OS's" "$out"
	fi
	for c in "${checks[@]}"; do
		case $c in
		page\ *)
			a=${c#page }
			case $a in *:*) a="[$a]" ;; esac
			page=$(nsx curl -s --max-time 20 "http://$a/")
			case $page in
			*"bootrino demo tinylinux"*) ok "$name: the target's page answers at $a" ;;
			*) not_ok "$name: the target's page answers at $a" "got: $page" ;;
			esac
			;;
		route\ *)
			a=${c#route }
			if grep -Eq "init: net: ${a#* }" <<< "$loader" && grep -Eq "^route $a" <<< "$target"; then
				ok "$name: loader and target route: ${a#* }"
			else
				not_ok "$name: loader and target route: ${a#* }" \
					"$(grep -a 'init: net:' <<< "$loader"; grep -a '^route' <<< "$target")"
			fi
			;;
		esac
	done
	guest_stop
}



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
