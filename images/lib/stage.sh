# shellcheck shell=bash
# Shared steps of the initramfs recipes (sourced by images/*/build.sh).
# Nothing here needs root: files are staged in a directory owned by
# whoever runs the build and archived with `cpio --owner 0:0`, so the
# image says root owns everything without chown or a fakeroot.

# stage_new OUT BUSYBOX_ROOT: sets $stage to a fresh staging directory
# under OUT (private, so two builds running at once never share one;
# removed at exit) holding stage_base and stage_busybox.
stage_new() {
	mkdir -p "$1"
	stage=$(mktemp -d "$1/.stage.XXXXXX")
	# shellcheck disable=SC2064 # the name is fixed now
	trap "rm -rf '$stage'" EXIT
	stage_base "$stage"
	stage_busybox "$stage" "$2"
}

# stage_base DIR: the directories every initramfs wants.
stage_base() {
	mkdir -p "$1"/bin "$1"/sbin "$1"/etc "$1"/proc "$1"/sys "$1"/dev "$1"/run \
		"$1"/tmp "$1"/root "$1"/usr/bin "$1"/usr/sbin "$1"/usr/share/udhcpc "$1"/var/run
	chmod 1777 "$1"/tmp
}

# stage_busybox DIR BUSYBOX_ROOT: busybox-static at /bin/busybox and a
# symlink for each applet at the path busybox itself lists (sh, ip,
# udhcpc, mount, insmod, httpd, …), plus the udhcpc hook.
stage_busybox() {
	local dir=$1 bb=$2/bin/busybox applet
	install -m 0755 "$bb" "$dir/bin/busybox"
	for applet in $("$bb" --list-full); do
		case $applet in
		linuxrc|*/init) continue ;; # /init belongs to the image
		esac
		[ -e "$dir/$applet" ] && continue
		mkdir -p "$dir/$(dirname "$applet")"
		ln -s /bin/busybox "$dir/$applet"
	done
	install -m 0755 "$STAGE_LIB/udhcpc.script" "$dir/usr/share/udhcpc/default.script"
}

# stage_modules DIR KERNEL_ROOT MODULE… [--optional MODULE…]: the modules
# and their dependencies under /lib/modules/<kver>/ + bootrino.modules.
stage_modules() {
	local dir=$1 kroot=$2 kver
	shift 2
	kver=$(cat "$kroot/KVER")
	mkdir -p "$dir/lib/modules/$kver"
	cp "$kroot/lib/modules/$kver/modules.builtin" "$dir/lib/modules/$kver/"
	python3 "$STAGE_LIB/../modules-resolve.py" "$kroot/lib/modules/$kver" \
		"$dir/lib/modules/$kver" "$@"
}

# stage_cpio DIR OUT: a newc archive of DIR, owned by root, sorted, every
# mtime set to SOURCE_DATE_EPOCH (default 0), so the same inputs give the
# same bytes (and the same sha256 in bootrino.sh); compressed with
# $COMPRESS (zstd|gzip|none). Written to OUT.tmp.PID and renamed: no
# half-written image survives a failure.
stage_cpio() {
	local dir=$1 out=$2
	find "$dir" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
	(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc --owner 0:0 --reproducible) > "$out.cpio.tmp.$$"
	case ${COMPRESS:-zstd} in
	gzip) gzip -n -9 < "$out.cpio.tmp.$$" > "$out.tmp.$$" ;;
	zstd) zstd -q -19 -T2 -c "$out.cpio.tmp.$$" > "$out.tmp.$$" ;;
	none) cp "$out.cpio.tmp.$$" "$out.tmp.$$" ;;
	*) echo "stage_cpio: unknown COMPRESS=$COMPRESS" >&2; return 1 ;;
	esac
	rm -f "$out.cpio.tmp.$$"
	mv "$out.tmp.$$" "$out"
}
