/* `bootrino init`: PID 1 of the loader's initramfs (docs/design.md, "Boot flow").
 *
 * Mounts, console, modules, network, configuration; then runs the boot
 * flow in a child process and reaps every process (PID 1 inherits all
 * orphans). It never exits — the kernel panics when PID 1 does, and a
 * panic on a cloud VM is a machine nobody can log into: on failure it
 * prints the reason on the console and tries again with exponential
 * backoff (5 s doubling up to 5 min; a verification failure waits the
 * full 5 min, as the same bytes will not verify sooner). See
 * docs/stages.md. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/boot_flow.h"
#include "agent/cli.h"
#include "agent/doc/config.h"
#include "agent/facts.h"
#include "agent/init.h"
#include "agent/install.h"
#include "agent/slot_store.h"
#include "agent/timing.h"
#include "common/err.h"
#include "common/log.h"

#define BACKOFF_MIN_S 5
#define BACKOFF_MAX_S 300

static int cmd_init(int argc, char **argv);

BR_COMMAND(init) = {
    .name = "init",
    .summary = "PID 1 of the loader: network up, then run bootrino.sh (never exits)",
    .synopsis = "  (as /init, PID 1 of the loader's initramfs)",
    .description = "Mount /proc /sys /dev /run /tmp, load the modules listed in\n"
		   "/lib/modules/$(uname -r)/bootrino.modules, bring up DHCP on every link\n"
		   "(falling back to the host's carried facts), read /etc/bootrino/config.json\n"
		   "and the kernel command line (bootrino.script=URL, bootrino.pubkey=KEY\n"
		   "(repeatable), bootrino.loader=URL, bootrino.insecure, bootrino.shell),\n"
		   "then run the boot flow; on failure retry with backoff, forever.\n",
    .max_args = 0,
    .exit_status = "never exits as PID 1\n2  run as anything but PID 1\n",
    .example = "bootrino init   # only as the loader's /init\n",
    .run = cmd_init,
};

/* Time stamps count from the takeover's start when the host carried it
 * (docs/performance.md); a loader booted from disk counts from its own
 * kernel's start. */
static void set_log_epoch(void)
{
	unsigned long long t0 = 0, now = br_log_now_ms();
	char buf[32];
	struct timespec ts;
	ssize_t n;
	int fd;

	fd = open(CLI_TIMING_EPOCH_PATH, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			t0 = strtoull(buf, NULL, 10);
		}
	}
	if ((!t0 || t0 > now) && clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
		t0 = now - ((unsigned long long)ts.tv_sec * 1000ULL +
			    (unsigned long long)ts.tv_nsec / 1000000ULL);
	br_log_set_epoch(t0);
}

/* Reap whatever died (orphans re-parented to us) for up to secs seconds. */
static void sleep_reaping(unsigned secs)
{
	while (secs--) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		sleep(1);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void start_shell(void)
{
	pid_t pid = fork();

	if (pid != 0)
		return;
	setsid();
	{
		int fd = open("/dev/console", O_RDWR);
		char *argv[] = {"sh", NULL};

		if (fd >= 0) {
			ioctl(fd, TIOCSCTTY, 1);
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv("/bin/busybox", argv);
	}
	_exit(127);
}

static void load_config(struct cli_config *cfg)
{
	char cmdline[CLI_CONFIG_CMDLINE_MAX];
	ssize_t n;
	int fd, rc;

	cli_config_init(cfg);
	if (access(CLI_CONFIG_PATH, F_OK) == 0 && (rc = cli_config_load(cfg, CLI_CONFIG_PATH)))
		br_log(BR_LOG_ERROR, "init: %s: %s (ignored)", CLI_CONFIG_PATH, br_errmsg(rc));
	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	if (n <= 0)
		return;
	cmdline[n] = '\0';
	/* the command line wins: whoever boots the loader by hand (PXE, a
	 * test) says what to run */
	rc = cli_config_parse_cmdline(cfg, cmdline);
	if (rc)
		br_log(BR_LOG_ERROR, "init: kernel command line: %s", br_errmsg(rc));
}

/* bootrino-state for the every-boot decision (docs/every-boot.md), or why
 * the target boots from RAM only. */
static void mount_slots(struct cli_boot_args *a, int slots)
{
	static char dev[128], why[CLI_SLOTS_REASON_MAX];
	int rc;

	if (!slots) {
		a->slots_why = "not booted from disk: RAM only";
		return;
	}
	rc = cli_slot_store_find(NULL, dev, sizeof(dev));
	if (!rc)
		rc = cli_slot_store_mount(dev, CLI_STATE_MNT, 0);
	if (rc) {
		snprintf(why, sizeof(why), "no bootrino-state (%.200s): RAM only", br_errmsg(rc));
		br_log(BR_LOG_ERROR, "init: %s", why);
		a->slots_why = why;
		return;
	}
	a->slots_dir = CLI_STATE_MNT;
	a->slots_dev = dev;
}

/* The boot flow (or the install), in a child: a crash or a leak there
 * costs one attempt, not PID 1. slots: boot through bootrino-state. */
static int run_boot(const struct cli_config *cfg, int install, int slots)
{
	static struct cli_boot_args a;
	struct cli_flow flow = {.stage = "loader", .dry_run = 0, .json = 0};
	pid_t pid, w;
	int st = 0, ret;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		br_log(BR_LOG_ERROR, "init: fork: %s", strerror(errno));
		return BR_EXIT_BOOT;
	}
	if (pid == 0) {
		cli_boot_args_init(&a);
		a.cfg = *cfg; /* shared with the parent's copy: never freed here */
		ret = cli_boot_args_finish(&br_command_init, &a, 0);
		if (!ret && !install)
			mount_slots(&a, slots);
		if (!ret)
			ret = install ? cli_install_run(&a) : cli_boot_flow(&a, &flow);
		/* a failed attempt leaves the state mounted: the next one mounts
		 * it again */
		if (a.slots_dir)
			(void)umount(CLI_STATE_MNT);
		fflush(NULL);
		_exit(ret ? ret : install ? 0 : BR_EXIT_BOOT);
	}
	/* reap everyone until our child is among them */
	for (;;) {
		w = waitpid(-1, &st, 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return BR_EXIT_BOOT;
	}
	if (WIFSIGNALED(st)) {
		br_log(BR_LOG_ERROR, "init: the boot flow was killed by signal %d", WTERMSIG(st));
		return BR_EXIT_BOOT;
	}
	return WEXITSTATUS(st);
}

static int cmd_init(int argc, char **argv)
{
	struct cli_config cfg;
	cJSON *facts = NULL;
	unsigned delay = BACKOFF_MIN_S, attempt = 0;
	int need_net = 1, code, n, rc, install, installed = 0;

	/* as PID 1, argv holds what the kernel passed on: never parsed */
	if (getpid() != 1) {
		n = cli_parse(&br_command_init, argc, argv, NULL);
		if (n < 0)
			return cli_parse_exit(n);
		fprintf(stderr, "bootrino: error: init: only as PID 1 of the loader (its /init)\n");
		return BR_EXIT_USAGE;
	}
	cli_timing_start(1);
	cli_init_mounts();
	cli_init_console();
	set_log_epoch();
	cli_timing_mark("kernel");
	/* PID 1 gets no default signal actions: nothing may stop us */
	signal(SIGPIPE, SIG_IGN);
	br_log(BR_LOG_INFO, "init: bootrino loader starting");
	n = cli_init_modules(NULL);
	br_log(BR_LOG_INFO, "init: %d kernel modules loaded", n);
	cli_timing_mark("modules");
	load_config(&cfg);
	if (cfg.shell) {
		br_log(BR_LOG_WARN, "init: bootrino.shell: root shell on the console");
		start_shell();
	}
	rc = cli_facts_get("loader", &facts);
	if (rc) {
		br_log(BR_LOG_WARN, "init: facts: %s", br_errmsg(rc));
		facts = NULL;
	}
	/* takeover recorded a disk to install on: once, before the first
	 * boot (again only after a fetch failure); whatever its outcome, the
	 * target then boots from RAM (docs/disk.md) */
	install = cfg.install != NULL;
	for (;;) {
		attempt++;
		if (need_net) {
			if (cli_init_network(facts) == 0)
				need_net = 0;
			else
				br_log(BR_LOG_ERROR, "init: no network configured");
			cli_timing_mark("network");
		}
		if (!cfg.script || cfg.n_pubkeys == 0) {
			br_log(BR_LOG_ERROR,
			       "init: no bootrino.sh to run: %s missing in %s and on the "
			       "kernel command line",
			       !cfg.script ? "bootrino.script=URL" : "bootrino.pubkey=KEY",
			       CLI_CONFIG_PATH);
			code = BR_EXIT_USAGE;
		} else {
			if (install) {
				code = run_boot(&cfg, 1, 0);
				if (code != BR_EXIT_FETCH)
					install = 0;
				/* installed: the first boot seeds slot a */
				if (code == 0)
					installed = 1;
				cli_timing_mark("disk write");
			}
			br_log(BR_LOG_INFO, "init: attempt %u: %s", attempt, cfg.script);
			code = run_boot(&cfg, 0, cfg.from_disk || installed);
		}
		/* a fetch failure may be the network: set it up again */
		if (code == BR_EXIT_FETCH)
			need_net = 1;
		if (code == BR_EXIT_VERIFY || code == BR_EXIT_USAGE)
			delay = BACKOFF_MAX_S;
		br_log(BR_LOG_ERROR, "init: boot failed (exit %d); retrying in %u s", code, delay);
		sleep_reaping(delay);
		cli_timing_mark("backoff");
		delay = delay * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : delay * 2;
	}
}
