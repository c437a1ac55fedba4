# shellcheck shell=bash
# The one choice of QEMU accelerator for every test, bench and the demo:
# TCG by default (nested KVM hangs on these machines), KVM only with
# BOOTRINO_KVM=1 and a writable /dev/kvm.
#
#   qemu_accel    prints the -accel and -cpu arguments
#
# TCG gets the most complete CPU (-cpu max: the default lacks features
# Debian's kernel likes) and a 64 MiB translation cache
# (BOOTRINO_TCG_TB_SIZE): QEMU's default 1 GiB keeps the translations of a
# kernel that kexec replaced, and every later write to those pages takes
# QEMU's self-modifying-code path, 12-30 s per kexec (docs/performance.md,
# "Why kexec was slow under TCG").
qemu_accel() {
	if [ "${BOOTRINO_KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then
		echo "-accel kvm -cpu host"
	else
		echo "-accel tcg,tb-size=${BOOTRINO_TCG_TB_SIZE:-64} -cpu max"
	fi
}
