/* bootrino.sh: fetch, verify, run. See agent/boot_script.h. */
#include "agent/boot_script.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/doc/detail.h"
#include "agent/doc/plan_file.h"
#include "agent/fetch_signed.h"
#include "agent/state.h"
#include "agent/workdir.h"
#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "fetch/url.h"
#include "verify/comment.h"
#include "verify/rollback.h"

static int read_local(const char *path, char **buf, size_t *len)
{
	return br_file_read(path, CLI_SCRIPT_MAX, 0, -BR_ETOOBIG, buf, len);
}

/* Fetch (or read) the script and its signature and verify them. */
static int get_verified(struct cli_run *r, char **script, size_t *len)
{
	char sigurl[CLI_PLAN_URL_MAX + 8], *sig = NULL;
	size_t siglen = 0;
	uint64_t last = 0;
	int rc, want_sig = r->keys && r->keys->n > 0;

	if (r->script_file) {
		rc = read_local(r->script_file, script, len);
		if (rc)
			return rc;
		snprintf(sigurl, sizeof(sigurl), "%s.minisig", r->script_file);
		if (want_sig)
			rc = read_local(sigurl, &sig, &siglen);
		if (rc) {
			rc = br_fail(-BR_ESIG, "%s: cannot read the signature (unsigned script?)",
				     sigurl);
			goto out;
		}
	} else if (want_sig) {
		rc = cli_fetch_signed(r->url, CLI_SCRIPT_MAX, r->fetch, r->keys, r->site, script,
				      len, &r->sig);
		if (rc)
			return rc;
		goto rollback;
	} else {
		rc = fetch_to_memory(r->url, CLI_SCRIPT_MAX, r->fetch, script, len, NULL);
		if (rc)
			return rc;
	}
	if (!want_sig) {
		br_log(BR_LOG_WARN, "%s: running WITHOUT signature verification (no --pubkey)",
		       r->script_file ? r->script_file : r->url);
		goto out;
	}
	rc = verify_minisign_buf(r->keys, *script, *len, sig, siglen, &r->sig);
	if (!rc)
		rc = cli_check_binding(r->script_file, r->site, &r->sig);
	if (rc) {
		rc = cli_wrap_detail(rc, r->script_file ? r->script_file : r->url);
		goto out;
	}
rollback:
	/* the newest of the state dir's and the one carried in the config
	 * (the host's preflight accepted it: the loader must not go back) */
	if (r->state_dir)
		rc = cli_state_read_u64(r->state_dir, "last-timestamp", &last);
	if (!rc && r->min_timestamp > last)
		last = r->min_timestamp;
	if (!rc && (r->state_dir || r->min_timestamp))
		rc = verify_check_rollback(last, &r->sig);
	if (rc) {
		rc = cli_wrap_detail(rc, r->script_file ? r->script_file : r->url);
		goto out;
	}
	r->signed_ok = 1;
out:
	free(sig);
	if (rc) {
		free(*script);
		*script = NULL;
	}
	return rc;
}

void cli_run_cleanup(struct cli_run *r)
{
	cli_workdir_remove(r->workdir);
}

static int make_workdir(struct cli_run *r)
{
	char bin[300], self[4096], link[320];
	ssize_t n;
	int rc = cli_workdir_new(r->workdir, sizeof(r->workdir));

	if (rc)
		return rc;
	/* `bootrino` on the script's PATH is this very binary */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return br_fail(-errno, "/proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	snprintf(bin, sizeof(bin), "%s/bin", r->workdir);
	snprintf(link, sizeof(link), "%s/bootrino", bin);
	if (mkdir(bin, 0700) < 0 || symlink(self, link) < 0)
		return br_fail(-errno, "%s: %s", link, strerror(errno));
	return 0;
}

static void base_url(const char *url, char *out, size_t outlen)
{
	if (fetch_url_resolve(url, ".", out, outlen))
		snprintf(out, outlen, "%s", url);
}

struct envbuf {
	char *v[24];
	size_t n;
};

static void env_add(struct envbuf *e, const char *k, const char *v)
{
	if (!v || e->n + 1 >= sizeof(e->v) / sizeof(e->v[0]))
		return;
	if (asprintf(&e->v[e->n], "%s=%s", k, v) >= 0)
		e->n++;
}

/* The script's environment: fixed, not inherited, so that the same script
 * behaves the same on the host (cloud-init's environment) and in the
 * loader (PID 1's nearly empty one). */
static void build_env(const struct cli_run *r, const char *plan, struct envbuf *e)
{
	char path[600], base[CLI_PLAN_URL_MAX], count[24];
	const char *dbg = getenv("BOOTRINO_DEBUG");

	memset(e, 0, sizeof(*e));
	snprintf(path, sizeof(path),
		 "%s/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		 "/sbin:/bin",
		 r->workdir);
	base_url(r->url, base, sizeof(base));
	snprintf(count, sizeof(count), "%lu", r->boot_count);
	env_add(e, "PATH", path);
	env_add(e, "HOME", "/");
	env_add(e, "TERM", getenv("TERM"));
	env_add(e, "BOOTRINO_DEBUG", dbg);
	env_add(e, "BOOTRINO_STAGE", r->stage ? r->stage : "host");
	env_add(e, "BOOTRINO_CLOUD", r->cloud ? r->cloud : "unknown");
	env_add(e, "BOOTRINO_INSTANCE_ID", r->instance_id ? r->instance_id : "");
	env_add(e, "BOOTRINO_SCRIPT_URL", r->url);
	env_add(e, "BOOTRINO_BASE_URL", base);
	env_add(e, "BOOTRINO_BOOT_COUNT", count);
	env_add(e, "BOOTRINO_PLAN", plan);
	e->v[e->n] = NULL;
}

static void env_free(struct envbuf *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
}

static int exit_status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Called in the forked child before it execs the shell. A process group
 * is not enough to end everything the script started: `setsid cmd &`
 * leaves it, and would outlive the plan (editing it, or anything else, as
 * root, while the parent fetches and loads). So the shell runs in a PID
 * namespace of its own: a process of ours is its PID 1 and, when the
 * shell exits, exits too, and the kernel then kills every process left in
 * the namespace before that exit is reported — setsid or not, nothing
 * survives the script. Returns only in the process that must exec the
 * shell; where PID namespaces are not available (no CONFIG_PID_NS, not
 * root), it returns at once and the process group is the fallback. */
static void run_in_pid_ns(void)
{
	pid_t init, sh, w;
	int st = 0;

	if (unshare(CLONE_NEWPID) < 0)
		return;
	init = fork(); /* PID 1 of the new namespace */
	if (init < 0)
		_exit(127);
	if (init > 0) {
		while ((w = waitpid(init, &st, 0)) < 0 && errno == EINTR)
			;
		_exit(w < 0 ? 127 : exit_status_of(st));
	}
	sh = fork();
	if (sh < 0)
		_exit(127);
	if (sh == 0)
		return; /* exec the shell */
	/* init: reap everything (orphans come to PID 1) until the shell is
	 * done, then leave, which tears the namespace down */
	for (;;) {
		w = wait(&st);
		if (w == sh)
			_exit(exit_status_of(st));
		if (w < 0 && errno != EINTR)
			_exit(127);
	}
}

/* Run /bin/sh SCRIPT in its own process group and PID namespace; kill the
 * group at the end (a background job must not edit the plan after we read
 * it). */
static int run_sh(struct cli_run *r, const char *script, char *const *env, int *status)
{
	long limit = r->timeout_s > 0 ? r->timeout_s : CLI_SCRIPT_TIMEOUT_S;
	struct timespec start, now, nap = {0, 20000000L};
	pid_t pid, w;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &start);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return br_fail(-errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = {"sh", (char *)script, NULL};

		setpgid(0, 0);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		/* stdout is ours (plans, JSON): the script talks on stderr */
		dup2(2, 1);
		if (chdir(r->workdir) < 0)
			_exit(127);
		run_in_pid_ns();
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	setpgid(pid, pid);
	for (;;) {
		w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			kill(-pid, SIGKILL);
			return br_fail(-errno, "waitpid: %s", strerror(errno));
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= limit) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return br_fail(-BR_ECONFIG, "%s: the script did not finish within %lds",
				       r->url, limit);
		}
		nanosleep(&nap, NULL);
	}
	kill(-pid, SIGKILL);
	return 0;
}

int cli_run_script(struct cli_run *r, struct cli_plan *plan)
{
	char spath[320], ppath[320], *script = NULL;
	struct cli_plan header;
	struct envbuf env;
	size_t len = 0;
	int rc, status = 0;

	cli_plan_init(plan);
	r->workdir[0] = '\0';
	r->exit_code = 0;
	r->signed_ok = 0;
	if (r->script_file) {
		char *abs = realpath(r->script_file, NULL);

		if (!abs)
			return br_fail(-errno, "%s: %s", r->script_file, strerror(errno));
		snprintf(r->url, sizeof(r->url), "file://%s", abs);
		free(abs);
	} else {
		snprintf(r->url, sizeof(r->url), "%s", r->script_url);
	}
	rc = get_verified(r, &script, &len);
	if (rc)
		return rc;
	rc = make_workdir(r);
	if (rc)
		goto out;
	snprintf(spath, sizeof(spath), "%s/bootrino.sh", r->workdir);
	snprintf(ppath, sizeof(ppath), "%s/plan.json", r->workdir);
	/* the verified bytes, not a re-read of the URL */
	rc = br_file_write(spath, script, len, 0400);
	if (rc)
		goto out;
	cli_plan_init(&header);
	rc = cli_plan_set_header(&header, r->url, r->insecure);
	if (rc == -BR_EUSAGE)
		rc = br_err_recode(-BR_ECONFIG);
	if (!rc)
		rc = cli_plan_file_write(ppath, &header);
	cli_plan_free(&header);
	if (rc)
		goto out;
	build_env(r, ppath, &env);
	br_debug("running %s (from %s)", spath, r->url);
	rc = run_sh(r, spath, env.v, &status);
	env_free(&env);
	if (rc)
		goto out;
	rc = cli_plan_file_read(ppath, plan);
	if (rc)
		goto out;
	/* The plan file lives where the script can write it: its header is
	 * only a copy of our settings for the verbs. What counts is what this
	 * process started with; a plan that says otherwise was rewritten. */
	if (plan->insecure != (r->insecure ? 1 : 0) || !plan->script_url ||
	    strcmp(plan->script_url, r->url) != 0) {
		rc = br_fail(-BR_EINSECURE,
			     "%s: the plan's header was changed by the script (insecure or "
			     "script_url differ from this run's): refusing it",
			     r->url);
		goto out;
	}
	if (plan->error) {
		r->exit_code = plan->error_exit;
		rc = br_fail(-BR_ECONFIG, "%s: a verb failed: %s", r->url, plan->error);
	} else if (WIFSIGNALED(status)) {
		rc = br_fail(-BR_ECONFIG, "%s: the script was killed by signal %d", r->url,
			     WTERMSIG(status));
	} else if (WEXITSTATUS(status) != 0) {
		r->exit_code = WEXITSTATUS(status) >= 2 && WEXITSTATUS(status) <= 6
				   ? WEXITSTATUS(status)
				   : BR_EXIT_USAGE;
		rc = br_fail(-BR_ECONFIG, "%s: the script exited with status %d", r->url,
			     WEXITSTATUS(status));
	}
out:
	free(script);
	if (rc && rc != -BR_ECONFIG)
		r->exit_code = 0;
	else if (rc && !r->exit_code)
		r->exit_code = BR_EXIT_USAGE;
	return rc;
}
