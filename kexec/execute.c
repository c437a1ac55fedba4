/* Starting the loaded kernel. Under systemd, `systemctl kexec` stops
 * services and unmounts filesystems first (the old OS shuts down
 * cleanly); anywhere else (the loader's PID 1, a plain initramfs) there is
 * nothing to stop, so sync and reboot(LINUX_REBOOT_CMD_KEXEC) directly. */
#include <errno.h>
#include <linux/reboot.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "kexec/internal.h"

extern char **environ;

/* systemd stops everything and kills us; if we are still alive after
 * this, the job did not start. */
#define SYSTEMCTL_GRACE_SECONDS 120

static int run_systemctl(int force)
{
	static const char *const candidates[] = {"/usr/bin/systemctl", "/bin/systemctl"};
	char *argv[] = {(char *)"systemctl", (char *)"kexec", force ? (char *)"--force" : NULL,
			NULL};
	const char *bin = "systemctl";
	pid_t pid;
	int status, rc;
	size_t i;

	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (access(candidates[i], X_OK) == 0) {
			bin = candidates[i];
			break;
		}
	br_debug("kexec: running %s kexec", bin);
	rc = posix_spawnp(&pid, bin, NULL, NULL, argv, environ);
	if (rc)
		return br_fail(-BR_EKEXEC, "systemctl kexec: cannot run %s: %s", bin, strerror(rc));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return br_fail(-BR_EKEXEC, "systemctl kexec: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return br_fail(-BR_EKEXEC, "systemctl kexec failed (status %d)",
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	sleep(SYSTEMCTL_GRACE_SECONDS);
	return br_fail(-BR_EKEXEC, "systemctl kexec: the system did not go down within %d s",
		       SYSTEMCTL_GRACE_SECONDS);
}

int kexec_execute(void)
{
	return kexec_execute_how(KEXEC_SHUTDOWN_ORDERLY);
}

int kexec_execute_how(enum kexec_shutdown how)
{
	long loaded;

	if (getenv("BOOTRINO_KEXEC_NO_LOAD"))
		return br_fail(-BR_EKEXEC, "kexec: not executed: BOOTRINO_KEXEC_NO_LOAD is set");
	if (kexec_sys_read_long(NULL, "/sys/kernel/kexec_loaded", &loaded) == 0 && !loaded)
		return br_fail(-BR_EKEXEC, "kexec: no kernel is loaded");
	if (how != KEXEC_SHUTDOWN_IMMEDIATE && kexec_sys_systemd_pid1(NULL))
		return run_systemctl(how == KEXEC_SHUTDOWN_FORCE);
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	return kexec_map_errno(errno, "reboot(LINUX_REBOOT_CMD_KEXEC)", NULL, geteuid() == 0);
}
