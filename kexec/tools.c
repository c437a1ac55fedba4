/* The kexec_load(2) path, through the static kexec-tools binary: for
 * kernels without kexec_file_load, images it does not understand, and
 * multiboot (which only kexec-tools implements).
 *
 * kexec-tools gets the verified bytes, never a path it could reopen to
 * something else: each fd is duplicated without O_CLOEXEC so the child
 * inherits it, and named /proc/self/fd/N on its command line (the child's
 * own /proc/self, so no ptrace access to the parent is needed). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "kexec/internal.h"

extern char **environ;

#define TOOLS_MAX_ARGS (8 + 2 * KEXEC_MAX_INITRDS)
#define TOOLS_OUTPUT_MAX 8192

/* kexec-tools runs as root with the verified kernel: it must be a file
 * only root (or we) could have put there — owned by root or by us, not
 * writable by group or others, in a directory of the same kind. */
static int trusted(const char *path, const struct stat *st)
{
	char dir[PATH_MAX], *slash;
	struct stat dst;

	if ((st->st_uid != 0 && st->st_uid != geteuid()) || (st->st_mode & 022))
		return 0;
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return 0;
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*(slash == dir ? slash + 1 : slash) = '\0';
	return stat(dir, &dst) == 0 && (dst.st_uid == 0 || dst.st_uid == geteuid()) &&
	       !(dst.st_mode & 022);
}

static int executable(const char *path)
{
	struct stat st;

	return path[0] == '/' && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0 && trusted(path, &st);
}

static int try_candidate(const char *path, char *out, size_t len)
{
	if (!executable(path) || strlen(path) >= len)
		return 0;
	snprintf(out, len, "%s", path);
	return 1;
}

int kexec_tools_find(char *out, size_t len)
{
	char self[PATH_MAX], cand[PATH_MAX + 16];
	char *slash;
	ssize_t n;

	/* next to bootrino itself: the loader ships both at the root */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(cand, sizeof(cand), "%s/kexec", self);
			if (try_candidate(cand, out, len))
				return 0;
		}
	}
	/* Known, absolute places only: never $PATH, which the caller (a
	 * cloud-init environment, a relative "." entry) decides and which
	 * would make root run whatever kexec comes first. */
	if (try_candidate("/sbin/kexec", out, len) || try_candidate("/usr/sbin/kexec", out, len))
		return 0;
	return -ENOENT;
}

struct spawn_args {
	char *argv[TOOLS_MAX_ARGS + 1];
	int argc;
	int inherit[KEXEC_MAX_INITRDS + 3]; /* fds duplicated for the child */
	int n_inherit;
};

static int push(struct spawn_args *sa, char *arg)
{
	if (!arg)
		return -ENOMEM;
	if (sa->argc >= TOOLS_MAX_ARGS) {
		free(arg);
		return -E2BIG;
	}
	sa->argv[sa->argc++] = arg;
	return 0;
}

/* "/proc/self/fd/N" for an inheritable duplicate of fd */
static int inherit(struct spawn_args *sa, int fd, char *path, size_t len)
{
	int dup;

	if (sa->n_inherit >= (int)(sizeof(sa->inherit) / sizeof(sa->inherit[0])))
		return -E2BIG;
	dup = fcntl(fd, F_DUPFD, 3); /* F_DUPFD, not _CLOEXEC: the child needs it */
	if (dup < 0)
		return -errno;
	sa->inherit[sa->n_inherit++] = dup;
	snprintf(path, len, "/proc/self/fd/%d", dup);
	return 0;
}

static void spawn_args_free(struct spawn_args *sa)
{
	int i;

	for (i = 0; i < sa->argc; i++)
		free(sa->argv[i]);
	for (i = 0; i < sa->n_inherit; i++)
		close(sa->inherit[i]);
}

/* a + b + c in a new string */
static char *cat3(const char *a, const char *b, const char *c)
{
	char *s;

	return asprintf(&s, "%s%s%s", a, b, c) < 0 ? NULL : s;
}

static int build_args(struct spawn_args *sa, const char *bin, const struct kexec_image *img,
		      int initrd_fd, int overlay_fd)
{
	char path[64], kernel_path[64];
	size_t i;
	int rc, kfd;

	kfd = verify_artifact_fd(img->kernel);
	if (kfd < 0)
		return kfd;
	rc = inherit(sa, kfd, kernel_path, sizeof(kernel_path));
	if (rc)
		return rc;
	/* -c: the kexec_load syscall; kexec_file_load was tried (or is
	 * pointless) already */
	if ((rc = push(sa, strdup(bin))) || (rc = push(sa, strdup("-l"))) ||
	    (rc = push(sa, strdup("-c"))))
		return rc;
	if (img->type == KEXEC_MULTIBOOT &&
	    ((rc = push(sa, strdup("--type"))) || (rc = push(sa, strdup("multiboot-x86")))))
		return rc;
	if (img->cmdline && (rc = push(sa, cat3("--command-line=", img->cmdline, ""))))
		return rc;
	if (img->type == KEXEC_LINUX && initrd_fd >= 0) {
		rc = inherit(sa, initrd_fd, path, sizeof(path));
		if (rc || (rc = push(sa, cat3("--initrd=", path, ""))))
			return rc;
	}
	if (img->type == KEXEC_MULTIBOOT) {
		for (i = 0; i < img->n_initrds; i++) {
			int mfd = verify_artifact_fd(img->initrds[i]);
			const char *args = img->module_args[i];

			if (mfd < 0)
				return mfd;
			rc = inherit(sa, mfd, path, sizeof(path));
			/* kexec-tools splits "FILE ARGS" at the first space */
			if (rc || (rc = push(sa, cat3("--module=", path, ""))))
				return rc;
			if (args && *args) {
				char *with = cat3(sa->argv[sa->argc - 1], " ", args);

				if (!with)
					return -ENOMEM;
				free(sa->argv[sa->argc - 1]);
				sa->argv[sa->argc - 1] = with;
			}
		}
		if (overlay_fd >= 0) {
			rc = inherit(sa, overlay_fd, path, sizeof(path));
			if (rc || (rc = push(sa, cat3("--module=", path, " bootrino.overlay"))))
				return rc;
		}
	}
	return push(sa, strdup(kernel_path));
}

/* Read the child's output until EOF (its tail, if it is long). */
static void collect(int fd, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf + used, len - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		if (used == len - 1) {
			/* keep the tail */
			memmove(buf, buf + used / 2, used - used / 2);
			used -= used / 2;
		}
	}
	buf[used] = '\0';
	br_debug("kexec-tools said: %s", buf);
}

/* The line that explains a failure: kexec-tools prints "kexec_load
 * failed: <strerror>" and then a dump of the segments, so the last line
 * is not it. Prefer a line naming an errno, then one saying "failed",
 * "error" or "cannot", then the last non-empty line. *err gets the errno. */
void kexec_tools_reason(char *out, char *line_out, size_t len, int *err)
{
	static const char *const words[] = {"failed", "error", "Error", "annot", "Invalid"};
	char *line, *save = NULL, *best = NULL, *last = NULL;
	size_t i;

	*err = 0;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!*line)
			continue;
		last = line;
		if (!*err && (*err = kexec_errno_from_text(line)) != 0) {
			best = line;
			break;
		}
		for (i = 0; !best && i < sizeof(words) / sizeof(words[0]); i++)
			if (strstr(line, words[i]))
				best = line;
	}
	snprintf(line_out, len, "%s", best ? best : last ? last : "no message");
}

int kexec_tools_load(const char *bin, const struct kexec_image *img, int initrd_fd, int overlay_fd)
{
	const char *what = verify_artifact_path(img->kernel);
	struct spawn_args sa = {.argc = 0};
	posix_spawn_file_actions_t fa;
	char out[TOOLS_OUTPUT_MAX], reason[512];
	int pipefd[2], status, rc, i, err;
	pid_t pid;

	rc = build_args(&sa, bin, img, initrd_fd, overlay_fd);
	if (rc) {
		if (!br_errdetail()[0])
			br_fail(rc, "%s: preparing kexec-tools: %s", what, strerror(-rc));
		goto out_args;
	}
	for (i = 0; i < sa.argc; i++)
		br_debug("kexec-tools argv[%d]: %s", i, sa.argv[i]);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		rc = br_fail(-errno, "%s: pipe: %s", what, strerror(errno));
		goto out_args;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	rc = posix_spawn(&pid, bin, &fa, NULL, sa.argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		rc = br_fail(-BR_EKEXEC, "%s: cannot run %s: %s", what, bin, strerror(rc));
		goto out_args;
	}
	collect(pipefd[0], out, sizeof(out));
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = br_fail(-BR_EKEXEC, "%s: waiting for %s: %s", what, bin,
				     strerror(errno));
			goto out_args;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = 0;
	} else if (WIFSIGNALED(status)) {
		rc = br_fail(-BR_EKEXEC, "%s: %s killed by signal %d", what, bin, WTERMSIG(status));
	} else {
		kexec_tools_reason(out, reason, sizeof(reason), &err);
		if (err) {
			char whatk[512];

			snprintf(whatk, sizeof(whatk), "%s (kexec-tools)", what);
			rc = kexec_map_errno(err, whatk, NULL, geteuid() == 0);
		} else {
			rc = br_fail(-BR_EKEXEC, "%s: kexec-tools failed (exit %d): %s", what,
				     WEXITSTATUS(status), reason);
		}
	}
out_args:
	spawn_args_free(&sa);
	return rc;
}
