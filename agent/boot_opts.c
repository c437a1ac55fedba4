/* Shared options of the boot-flow commands. */
#include "agent/boot_opts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/progress.h"
#include "common/err.h"
#include "common/log.h"
#include "verify/base64.h"
#include "verify/comment.h"

void cli_boot_args_init(struct cli_boot_args *a)
{
	memset(a, 0, sizeof(*a));
	cli_config_init(&a->cli);
	cli_config_init(&a->cfg);
	fetch_opts_init(&a->fetch);
}

void cli_boot_args_free(struct cli_boot_args *a)
{
	cli_config_free(&a->cli);
	cli_config_free(&a->cfg);
	if (a->cacert_tmp[0])
		unlink(a->cacert_tmp);
	a->cacert_tmp[0] = '\0';
}

int cli_boot_opt_str(void *field, const char *arg)
{
	return cli_config_set_str(field, arg);
}

int cli_boot_opt_pubkey(void *field, const char *arg)
{
	int rc = cli_check_pubkey_arg(arg);

	return rc ? rc : cli_config_add_pubkey(field, arg);
}

int cli_boot_opt_deadline(void *field, const char *arg)
{
	unsigned long v;

	if (cli_parse_uint(arg, CLI_DEADLINE_MAX_S, &v) || v == 0)
		return br_fail(-BR_EUSAGE, "'%.32s': expected 1 to %d seconds", arg,
			       CLI_DEADLINE_MAX_S);
	*(long *)field = (long)v;
	return 0;
}

int cli_boot_opt_site(void *field, const char *arg)
{
	if (!verify_tc_site_valid(arg))
		return br_fail(-BR_EUSAGE, "'%.64s': 1 to 64 of [A-Za-z0-9._-]", arg);
	return cli_config_set_str(field, arg);
}

int cli_boot_opt_timeout(void *field, const char *arg)
{
	unsigned long v;

	if (cli_parse_uint(arg, 3600, &v) || v == 0)
		return br_fail(-BR_EUSAGE, "'%.32s': expected 1 to 3600 seconds", arg);
	*(long *)field = (long)v;
	return 0;
}

static int check_cacert(const char *path, const char *pem)
{
	char buf[65536];
	size_t keep = 0, len;
	ssize_t n;
	int fd, rc = 0;

	if (pem)
		return cli_check_no_private_key("cacert_pem", pem);
	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return br_fail(-errno, "%s: %s", path, strerror(errno));
	/* in pieces that overlap by more than a marker's length */
	for (;;) {
		n = read(fd, buf + keep, sizeof(buf) - 1 - keep);
		if (n <= 0)
			break;
		len = keep + (size_t)n;
		buf[len] = '\0';
		rc = cli_check_no_private_key(path, buf);
		if (rc)
			break;
		keep = len > 64 ? 64 : len;
		memmove(buf, buf + len - keep, keep);
	}
	close(fd);
	return rc;
}

static int take(char **dst, char **src)
{
	if (*src) {
		free(*dst);
		*dst = *src;
		*src = NULL;
	}
	return 0;
}

int cli_boot_args_finish(const struct br_command *cmd, struct cli_boot_args *a, int need_script)
{
	size_t i;
	int rc;

	if (a->config_path) {
		rc = cli_config_load(&a->cfg, a->config_path);
		if (rc) {
			cli_fail(rc, a->config_path);
			return BR_EXIT_USAGE;
		}
	}
	a->state_dir_set = a->state_dir != NULL;
	take(&a->cfg.script, &a->cli.script);
	take(&a->cfg.cacert, &a->cli.cacert);
	take(&a->cfg.loader, &a->cli.loader);
	take(&a->cfg.site, &a->cli.site);
	if (a->cli.insecure)
		a->cfg.insecure = 1;
	if (a->cli.script_timeout)
		a->cfg.script_timeout = a->cli.script_timeout;
	if (a->cli.deadline)
		a->cfg.deadline = a->cli.deadline;
	if (a->cli.script_deadline)
		a->cfg.script_deadline = a->cli.script_deadline;
	if (a->cli.allow_rollback)
		a->cfg.allow_rollback = 1;
	/* the stage starts now: all of its downloads share one deadline */
	a->fetch.deadline_at =
	    fetch_clock() + (double)(a->cfg.deadline ? a->cfg.deadline : CLI_DEADLINE_DEFAULT_S);
	if (a->cli.mode != CLI_MODE_UNSET)
		a->cfg.mode = a->cli.mode;
	if (a->cli.n_pubkeys) {
		for (i = 0; i < a->cfg.n_pubkeys; i++)
			free(a->cfg.pubkeys[i]);
		memcpy(a->cfg.pubkeys, a->cli.pubkeys, sizeof(a->cfg.pubkeys));
		a->cfg.n_pubkeys = a->cli.n_pubkeys;
		a->cli.n_pubkeys = 0;
	}
	memset(&a->keys, 0, sizeof(a->keys));
	for (i = 0; i < a->cfg.n_pubkeys; i++) {
		rc = cli_check_pubkey_arg(a->cfg.pubkeys[i]);
		if (!rc)
			rc = verify_keyring_add(&a->keys, a->cfg.pubkeys[i]);
		if (rc) {
			cli_fail(rc, "--pubkey");
			return BR_EXIT_USAGE;
		}
	}
	/* From here on the configuration names keys by their key lines, never
	 * by a .pub path: what takeover carries into the loader must not
	 * depend on a file that only exists on the host. */
	for (i = 0; i < a->cfg.n_pubkeys; i++)
		free(a->cfg.pubkeys[i]);
	a->cfg.n_pubkeys = 0;
	for (i = 0; i < a->keys.n; i++) {
		char *line = verify_pubkey_line(&a->keys.keys[i]);

		if (!line)
			return cli_fail(-ENOMEM, "--pubkey");
		a->cfg.pubkeys[a->cfg.n_pubkeys++] = line;
	}
	/* a CA bundle is carried to the loader (takeover): certificates
	 * only, refused before anything is fetched */
	rc = check_cacert(a->cfg.cacert, a->cfg.cacert_pem);
	if (rc)
		return cli_fail_as(rc, NULL, BR_EXIT_USAGE);
	if (need_script && !a->cfg.script)
		return cli_usage_error(cmd, "missing --script URL");
	if (need_script && a->keys.n == 0)
		return cli_usage_error(cmd, "missing --pubkey KEY");
	/* the loader carries the CA bundle's contents; fetch/ wants a file */
	if (!a->cfg.cacert && a->cfg.cacert_pem) {
		const char *tmp = getenv("TMPDIR");
		size_t len = strlen(a->cfg.cacert_pem);
		int fd;

		snprintf(a->cacert_tmp, sizeof(a->cacert_tmp), "%s/bootrino-ca.XXXXXX",
			 tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
		fd = mkstemp(a->cacert_tmp);
		if (fd < 0 || write(fd, a->cfg.cacert_pem, len) != (ssize_t)len) {
			if (fd >= 0)
				close(fd);
			return cli_fail(-errno, "cacert_pem");
		}
		close(fd);
		a->cfg.cacert = strdup(a->cacert_tmp);
		if (!a->cfg.cacert)
			return cli_fail(-ENOMEM, "cacert");
	}
	a->fetch.cacert = a->cfg.cacert;
	/* a run-from-RAM boot on a serial console: progress lines, not bars */
	a->fetch.progress = 1;
	a->fetch.progress_cb = cli_fetch_progress;
	return 0;
}
