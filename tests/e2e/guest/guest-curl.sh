#!/bin/bash
# guest-curl.sh WORKDIR CURL-ARGS…: curl from inside the network namespace
# boot-guest.sh put QEMU in, where its --hostfwd ports listen.
w=$1
shift
if [ -s "$w/anchor.pid" ]; then
	exec nsenter --net="/proc/$(cat "$w/netns.pid")/ns/net" curl "$@"
fi
exec curl "$@"
