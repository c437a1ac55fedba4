/* kexec_file_load(2): the kernel reads, checks (signature under lockdown)
 * and places the kernel and initrd itself, from file descriptors. glibc
 * has no wrapper, hence the raw syscall. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kexec/internal.h"

#ifndef KEXEC_FILE_NO_INITRAMFS
#define KEXEC_FILE_NO_INITRAMFS 0x00000004
#endif

int kexec_file_load_fds(int kernel_fd, int initrd_fd, const char *cmdline)
{
#ifdef SYS_kexec_file_load
	const char *cl = cmdline ? cmdline : "";
	unsigned long flags = initrd_fd < 0 ? KEXEC_FILE_NO_INITRAMFS : 0;

	/* cmdline_len counts the terminating NUL, which the kernel checks */
	if (syscall(SYS_kexec_file_load, kernel_fd, initrd_fd, strlen(cl) + 1, cl, flags) < 0)
		return -errno;
	return 0;
#else
	(void)kernel_fd;
	(void)initrd_fd;
	(void)cmdline;
	return -ENOSYS;
#endif
}
