# shellcheck shell=bash
# The signed web site the integration tests serve from nginx on loopback.
# Source tests/lib/tap.sh and tests/lib/nginx.sh first.
#
#   site_begin DIR…          T=$TAP_TMP, S=$T/site; makes $S/DIR… and
#                            $T/state, lets nginx's unprivileged workers
#                            through $T, and cd's there
#   site_key FILE…           a minisign key pair FILE.pub/FILE.key (no
#                            password) for each FILE; K holds the first
#                            one's public key line
#   site_kernel OUT [real]   a bzImage at OUT: with "real", the built
#                            tinylinux (or loader) kernel when there is one,
#                            else a file with only a bzImage setup header
#                            (enough for `kexec --dry-run`'s format checks)

# shellcheck disable=SC2034 # T and S are for the test that sources this
site_begin() {
	T=$TAP_TMP
	S=$T/site
	local d
	mkdir -p "$T/state"
	for d in "$@"; do mkdir -p "$S/$d"; done
	chmod 711 "$T"
	cd "$T" || exit 1
}

site_key() {
	local f
	for f in "$@"; do
		mkdir -p "$(dirname "$f")"
		minisign -G -W -p "$f.pub" -s "$f.key" > /dev/null 2>&1 ||
			{ not_ok "minisign -G makes the key $f"; done_testing; exit 1; }
	done
	# shellcheck disable=SC2034 # for the test that sources this
	K=$(sed -n 2p "$1.pub")
}

site_kernel() {
	local k
	if [ "${2:-}" = real ]; then
		for k in "$BOOTRINO_ROOT/build/images/tinylinux/vmlinuz" \
			"$BOOTRINO_ROOT/build/images/loader/vmlinuz"; do
			[ -r "$k" ] && { cp "$k" "$1"; return; }
		done
	fi
	python3 - "$1" <<'PY'
import struct, sys
# Boot protocol 2.15 header: setup_sects=4, "HdrS", 64-bit entry flag.
img = bytearray(5 * 512 + 65536)
img[0x1f1] = 4
struct.pack_into("<H", img, 0x1fe, 0xAA55)
img[0x202:0x206] = b"HdrS"
struct.pack_into("<H", img, 0x206, 0x020f)
img[0x211] = 0x01                               # loadflags: LOADED_HIGH
struct.pack_into("<I", img, 0x230, 0x200000)    # kernel_alignment
img[0x234] = 1                                  # relocatable_kernel
struct.pack_into("<H", img, 0x236, 0x3)         # xloadflags: XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G
struct.pack_into("<I", img, 0x260, 0x1000000)   # init_size
open(sys.argv[1], "wb").write(img)
PY
}
