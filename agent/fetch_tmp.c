/* Temp files of `bootrino fetch`: signal cleanup and stale sweep. See
 * agent/fetch_tmp.h. */
#include "agent/fetch_tmp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"

static const int guarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* What the handler needs, set before the signals are caught. */
static int g_dirfd = -1;
static char g_prefix[CLI_TMP_PREFIXES][300];
static size_t g_n;

/* prefix + 6 mkstemp characters, each further temp file made next to it
 * adding ".bootrino-XXXXXX" (fetch/) or ".minisig-XXXXXX" (a signed
 * download): the names bootrino gives its temp files, nothing else */
static int matches(const char *name, const char *prefix)
{
	static const char *const more[] = {".bootrino-", ".minisig-"};
	size_t n = strlen(prefix), i, k;

	if (!prefix[0] || strncmp(name, prefix, n) != 0)
		return 0;
	name += n;
	for (k = 0; k < 3; k++) {
		if (strlen(name) < 6)
			return 0;
		name += 6;
		if (!*name)
			return 1;
		for (i = 0; i < 2; i++)
			if (strncmp(name, more[i], strlen(more[i])) == 0)
				break;
		if (i == 2)
			return 0;
		name += strlen(more[i]);
	}
	return 0;
}

/* No process but possibly ours holds a lock on it: stale, or ours. */
static int unlocked(int dirfd, const char *name)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct stat st;
	int fd, free_ = 0;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK)
		free_ = 1;
	close(fd);
	return free_;
}

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Async-signal-safe: getdents64, openat, fcntl, unlinkat only. */
static void on_signal(int sig)
{
	char buf[4096];
	long n, off;
	size_t i;

	if (g_dirfd >= 0 && lseek(g_dirfd, 0, SEEK_SET) == 0) {
		while ((n = syscall(SYS_getdents64, g_dirfd, buf, sizeof(buf))) > 0) {
			for (off = 0; off < n;) {
				struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);

				for (i = 0; i < g_n; i++)
					if (matches(d->d_name, g_prefix[i]) &&
					    unlocked(g_dirfd, d->d_name))
						unlinkat(g_dirfd, d->d_name, 0);
				off += d->d_reclen;
			}
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int cli_tmp_guard(const char *dir, const char *const *prefixes, size_t n)
{
	struct sigaction sa;
	struct dirent *e;
	DIR *d;
	size_t i;
	int removed = 0;

	if (n > CLI_TMP_PREFIXES)
		n = CLI_TMP_PREFIXES;
	g_n = 0;
	for (i = 0; i < n; i++)
		snprintf(g_prefix[g_n++], sizeof(g_prefix[0]), "%s", prefixes[i]);
	if (g_dirfd >= 0)
		close(g_dirfd);
	g_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g_dirfd < 0)
		return 0;
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL)
		for (i = 0; i < g_n; i++)
			if (matches(e->d_name, g_prefix[i]) && unlocked(g_dirfd, e->d_name) &&
			    unlinkat(g_dirfd, e->d_name, 0) == 0) {
				br_log(BR_LOG_INFO, "%s/%s: removed a stale temp file", dir,
				       e->d_name);
				removed++;
			}
	if (d)
		closedir(d);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++)
		sigaddset(&sa.sa_mask, guarded[i]);
	for (i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++)
		sigaction(guarded[i], &sa, NULL);
	return removed;
}

void cli_tmp_unguard(void)
{
	size_t i;

	for (i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++)
		signal(guarded[i], SIG_DFL);
	if (g_dirfd >= 0)
		close(g_dirfd);
	g_dirfd = -1;
	g_n = 0;
}

int cli_tmp_names(const char *out, char *dir, size_t dirlen, char prefixes[][300])
{
	char *a = strdup(out), *b = strdup(out);
	int rc = 0;

	if (!a || !b)
		rc = -ENOMEM;
	else {
		snprintf(dir, dirlen, "%s", dirname(a));
		snprintf(prefixes[0], 300, ".%s.bootrino-", basename(b));
		snprintf(prefixes[1], 300, ".%s.minisig-", basename(b));
		snprintf(prefixes[2], 300, "..%s.minisig-", basename(b));
	}
	free(a);
	free(b);
	return rc;
}
