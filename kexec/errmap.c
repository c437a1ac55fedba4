/* What a kexec syscall's errno means for the operator, and whether the
 * kexec_load path (kexec-tools) is worth trying after kexec_file_load
 * failed. docs/kexec.md has the same table in prose. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "kexec/internal.h"

int kexec_errno_falls_back(int err)
{
	switch (err) {
	case ENOSYS:	 /* kernel built without CONFIG_KEXEC_FILE */
	case ENOEXEC:	 /* no in-kernel loader recognises the image */
	case EOPNOTSUPP: /* image type or PE signature wrapper unsupported */
	case EINVAL:	 /* the in-kernel loader refused the image's layout */
		return 1;
	default:
		/* Not EPERM: it means not root, lockdown (which blocks
		 * kexec_load as well) or kexec disabled by sysctl. Not a
		 * signature verdict: the kernel demands signed images, and
		 * going around that through kexec_load would defeat the
		 * policy (under lockdown it is blocked anyway). Not ENOMEM,
		 * EFBIG, EBUSY: kexec_load would hit the same wall. */
		return 0;
	}
}

/* Why EPERM: the most specific cause the system shows. */
static int map_eperm(const char *what, const char *root, int is_root)
{
	char mode[32] = "";
	int lockdown;
	long v;

	if (!is_root)
		return br_fail(-BR_EKEXEC, "%s: not permitted: kexec needs root (CAP_SYS_BOOT)",
			       what);
	lockdown = kexec_sys_lockdown(root, mode, sizeof(mode));
	if (lockdown == 1)
		return br_fail(-BR_EKEXEC,
			       "%s: refused by kernel lockdown (%s; Secure Boot?): only a kernel "
			       "signed with a key the running kernel trusts can be loaded, and "
			       "kexec_load (kexec-tools) is blocked too",
			       what, mode);
	if (kexec_sys_read_long(root, "/proc/sys/kernel/kexec_load_disabled", &v) == 0 && v)
		return br_fail(-BR_EKEXEC,
			       "%s: not permitted: kexec is disabled until reboot "
			       "(sysctl kernel.kexec_load_disabled=1)",
			       what);
	if (kexec_sys_read_long(root, "/proc/sys/kernel/kexec_load_limit_reboot", &v) == 0 &&
	    v == 0)
		return br_fail(-BR_EKEXEC,
			       "%s: not permitted: no kexec loads left "
			       "(sysctl kernel.kexec_load_limit_reboot=0)",
			       what);
	if (lockdown < 0)
		return br_fail(-BR_EKEXEC,
			       "%s: not permitted by the running kernel: kernel lockdown (Secure "
			       "Boot?) or a security module refused it; under lockdown only a "
			       "kernel signed with a trusted key loads, and kexec_load "
			       "(kexec-tools) is blocked too",
			       what);
	return br_fail(-BR_EKEXEC,
		       "%s: not permitted by the running kernel (a security module refused it)",
		       what);
}

int kexec_map_errno(int err, const char *what, const char *root, int is_root)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return map_eperm(what, root, is_root);
	case EKEYREJECTED:
	case EBADMSG:
	case ENOKEY:
	case EKEYREVOKED:
	case EKEYEXPIRED:
	case ENOPKG:
		return br_fail(-BR_EKEXEC,
			       "%s: signature rejected (%s): the running kernel only loads kernels "
			       "signed with a key it trusts (KEXEC_SIG)",
			       what, strerror(err));
	case ENODATA:
		return br_fail(-BR_EKEXEC,
			       "%s: the kernel is not signed, and the running kernel only loads "
			       "signed kernels (KEXEC_SIG)",
			       what);
	case ENOEXEC:
		return br_fail(
		    -BR_EFORMAT,
		    "%s: wrong format: the running kernel cannot load this image (ENOEXEC)", what);
	case ENOMEM:
	case EADDRNOTAVAIL:
		return br_fail(-BR_EKEXEC, "%s: out of memory: no room for the image in RAM (%s)",
			       what, strerror(err));
	case EFBIG:
		return br_fail(-BR_EKEXEC, "%s: file too large for kexec (2 GiB at most per file)",
			       what);
	case EBUSY:
		return br_fail(-BR_EKEXEC, "%s: another kexec load or reboot is in progress", what);
	case ETXTBSY:
		return br_fail(-BR_EKEXEC, "%s: a file is still open for writing elsewhere", what);
	case EINVAL:
		return br_fail(-BR_EKEXEC,
			       "%s: the kernel refused the image or its command line (EINVAL)",
			       what);
	case ENOSYS:
		return br_fail(-BR_EKEXEC,
			       "%s: the running kernel has no kexec support (CONFIG_KEXEC off)",
			       what);
	default:
		return br_fail(-BR_EKEXEC, "%s: %s", what, strerror(err));
	}
}

/* kexec-tools ends its complaints with strerror(errno). */
int kexec_errno_from_text(const char *line)
{
	static const int candidates[] = {EPERM,	  EKEYREJECTED, EBADMSG,       ENOKEY, ENODATA,
					 ENOEXEC, ENOMEM,	EADDRNOTAVAIL, EFBIG,  EBUSY,
					 ETXTBSY, ENOSYS,	EINVAL};
	size_t i;

	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (strstr(line, strerror(candidates[i])))
			return candidates[i];
	return 0;
}
