/* PID 1's filesystems and console. */
#include "agent/init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

struct mnt {
	const char *src, *dir, *type, *opts;
	unsigned long flags;
	mode_t mode;
};

int cli_init_mounts(void)
{
	static const struct mnt m[] = {
	    {"proc", "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0555},
	    {"sysfs", "/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0555},
	    {"devtmpfs", "/dev", "devtmpfs", "mode=0755", MS_NOSUID, 0755},
	    {"devpts", "/dev/pts", "devpts", "gid=5,mode=0620,ptmxmode=0666", MS_NOSUID | MS_NOEXEC,
	     0755},
	    {"tmpfs", "/run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV, 0755},
	    {"tmpfs", "/tmp", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV, 01777},
	};
	size_t i;
	int failed = 0;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (mkdir(m[i].dir, m[i].mode) < 0 && errno != EEXIST)
			br_log(BR_LOG_WARN, "init: mkdir %s: %s", m[i].dir, strerror(errno));
		if (mount(m[i].src, m[i].dir, m[i].type, m[i].flags, m[i].opts) < 0 &&
		    errno != EBUSY) {
			br_log(BR_LOG_ERROR, "init: mount %s on %s: %s", m[i].type, m[i].dir,
			       strerror(errno));
			failed++;
		}
	}
	return failed;
}

/* Copy everything written to the pipe to every console: the kernel sends
 * its own messages to all of them, but /dev/console is only the last one
 * named on the command line, and a cloud's serial log (ttyS0) must show
 * why a boot failed even when "console=ttyS0 console=tty0" makes tty0
 * /dev/console. */
static void tee_loop(int in, const int *out, size_t n)
{
	char buf[4096];
	ssize_t got;
	size_t i;

	for (;;) {
		got = read(in, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			_exit(0);
		for (i = 0; i < n; i++)
			if (write(out[i], buf, (size_t)got) < 0)
				continue; /* a dead console must not stop the others */
	}
}

void cli_init_console(void)
{
	char active[256], dev[64], *save = NULL, *name;
	int fd = open("/dev/console", O_RDWR | O_NOCTTY), outs[8], p[2];
	size_t n = 0;
	ssize_t len;
	int afd;

	if (fd < 0)
		return; /* keep what the kernel gave us */
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	afd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
	if (afd < 0)
		return;
	len = read(afd, active, sizeof(active) - 1);
	close(afd);
	if (len <= 0)
		return;
	active[len] = '\0';
	for (name = strtok_r(active, " \n", &save); name && n < 8;
	     name = strtok_r(NULL, " \n", &save)) {
		snprintf(dev, sizeof(dev), "/dev/%s", name);
		fd = open(dev, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0)
			outs[n++] = fd;
	}
	if (n < 2 || pipe(p) < 0) {
		while (n)
			close(outs[--n]);
		return;
	}
	if (fork() == 0) {
		close(p[1]);
		close(1);
		close(2);
		tee_loop(p[0], outs, n);
	}
	close(p[0]);
	dup2(p[1], 1);
	dup2(p[1], 2);
	close(p[1]);
	while (n)
		close(outs[--n]);
}
