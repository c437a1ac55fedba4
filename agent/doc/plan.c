/* The plan model: verbs, validation, JSON. See agent/doc/plan.h and
 * docs/bootrino-sh.md. */
#include "agent/doc/plan.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/doc/detail.h"
#include "agent/doc/json.h"
#include "common/err.h"

#define PIN_PREFIX "sha256="

void cli_plan_init(struct cli_plan *p)
{
	memset(p, 0, sizeof(*p));
}

static void artifact_free(struct cli_plan_artifact *a)
{
	free(a->url);
	free(a->args);
	memset(a, 0, sizeof(*a));
}

void cli_plan_free(struct cli_plan *p)
{
	size_t i;

	free(p->script_url);
	artifact_free(&p->kernel);
	for (i = 0; i < p->n_images; i++)
		artifact_free(&p->images[i]);
	for (i = 0; i < p->n_files; i++) {
		free(p->files[i].path);
		free(p->files[i].content);
		free(p->files[i].url);
	}
	free(p->cmdline);
	free(p->error);
	memset(p, 0, sizeof(*p));
}

int cli_plan_is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < CLI_PLAN_HEX_LEN; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[i] == '\0';
}

static int has_ctrl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int cli_plan_check_path(const char *path)
{
	const char *c = path, *slash;
	size_t len = strlen(path);

	if (path[0] != '/')
		return br_fail(-BR_EUSAGE, "%.64s: overlay path must be absolute", path);
	if (len > CLI_PLAN_PATH_MAX)
		return br_fail(-BR_EUSAGE, "overlay path longer than %d bytes", CLI_PLAN_PATH_MAX);
	if (has_ctrl(path))
		return br_fail(-BR_EUSAGE, "overlay path holds a control character");
	if (path[len - 1] == '/')
		return br_fail(-BR_EUSAGE, "%s: overlay path names a directory", path);
	/* every component: not empty, not "." and not ".." */
	while (*c == '/') {
		size_t n;

		c++;
		slash = strchr(c, '/');
		n = slash ? (size_t)(slash - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return br_fail(-BR_EUSAGE,
				       "%s: overlay path has an empty, '.' or '..' component",
				       path);
		c += n;
	}
	if (strcmp(path, CLI_PLAN_FACTS_PATH) == 0)
		return br_fail(-BR_EUSAGE, "%s: reserved for the facts bootrino writes", path);
	return 0;
}

static int is_absolute_url(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0 ||
	       strncmp(u, "file://", 7) == 0;
}

static int check_url(const char *url)
{
	size_t len = strlen(url);
	const char *s;

	if (len == 0)
		return br_fail(-BR_EUSAGE, "empty URL");
	if (len >= CLI_PLAN_URL_MAX)
		return br_fail(-BR_EUSAGE, "URL longer than %d bytes", CLI_PLAN_URL_MAX - 1);
	for (s = url; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return br_fail(-BR_EUSAGE, "%.64s: URL holds a space or control character",
				       url);
	return 0;
}

static int resolve_url(const struct cli_plan *p, cli_plan_resolver resolve, const char *ref,
		       char **out)
{
	char buf[CLI_PLAN_URL_MAX];
	int rc;

	rc = check_url(ref);
	if (rc)
		return rc;
	if (p->script_url && resolve) {
		rc = resolve(p->script_url, ref, buf, sizeof(buf));
		if (rc)
			return br_fail(-BR_EUSAGE, "%.128s: cannot resolve against %.128s", ref,
				       p->script_url);
	} else {
		if (!is_absolute_url(ref))
			return br_fail(-BR_EUSAGE,
				       "%.128s: relative URL, but no script URL to "
				       "resolve it against",
				       ref);
		memcpy(buf, ref, strlen(ref) + 1); /* length checked by check_url */
	}
	if (!is_absolute_url(buf))
		return br_fail(-BR_EUSAGE, "%.128s: only http, https and file URLs", buf);
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

/* "sha256=HEX" → lower-case hex in out. */
static int parse_pin(const char *arg, char out[CLI_PLAN_HEX_LEN + 1])
{
	const char *hex = arg + strlen(PIN_PREFIX);
	size_t i;

	if (!cli_plan_is_hex64(hex))
		return br_fail(-BR_EUSAGE, "%.80s: sha256 must be 64 hex digits", arg);
	for (i = 0; i < CLI_PLAN_HEX_LEN; i++)
		out[i] = (char)tolower((unsigned char)hex[i]);
	out[CLI_PLAN_HEX_LEN] = '\0';
	return 0;
}

/* "size=N": 1 to CLI_PLAN_SIZE_MAX, decimal, no sign or leading zero. */
static int parse_size(const char *arg, unsigned long long *out)
{
	const char *d = arg + 5;
	unsigned long long v = 0;
	size_t i;

	for (i = 0; d[i]; i++) {
		if (d[i] < '0' || d[i] > '9' || i >= 16 || (i == 0 && d[i] == '0'))
			return br_fail(-BR_EUSAGE, "%.40s: size must be a byte count", arg);
		v = v * 10 + (unsigned)(d[i] - '0');
	}
	if (i == 0 || v > CLI_PLAN_SIZE_MAX)
		return br_fail(-BR_EUSAGE, "%.40s: size must be a byte count", arg);
	*out = v;
	return 0;
}

static int is_pin(const char *arg)
{
	return strncmp(arg, PIN_PREFIX, strlen(PIN_PREFIX)) == 0;
}

static int require_pin(const struct cli_plan *p, const char *url, const char *pin)
{
	if (pin[0] || p->insecure)
		return 0;
	return br_fail(-BR_EINSECURE, "%s: no sha256 pin (write sha256=HEX after the URL)", url);
}

/* Append one argument to a command line. Words are joined with one space
 * and otherwise taken verbatim: the result is kernel command-line syntax,
 * where a value with spaces is written param="a b" (as iPXE's `kernel`
 * does). A word with unbalanced double quotes would swallow the words
 * after it when the kernel splits the line, so it is refused. */
static int append_word(char *buf, size_t *len, size_t cap, const char *word)
{
	size_t quotes = 0, wlen = strlen(word);
	const char *q;

	if (has_ctrl(word))
		return br_fail(-BR_EUSAGE, "command line argument holds a control character");
	for (q = word; (q = strchr(q, '"')) != NULL; q++)
		quotes++;
	if (quotes % 2)
		return br_fail(-BR_EUSAGE,
			       "%.64s: unbalanced double quote in a command line "
			       "argument",
			       word);
	/* One argument is one parameter: a space outside quotes would split
	 * it in two, and `cmdline "app.id=$BOOTRINO_INSTANCE_ID"` would then
	 * give the target whatever parameters an unsigned fact holds. */
	for (q = word, quotes = 0; *q; q++) {
		if (*q == '"')
			quotes++;
		else if (*q == ' ' && quotes % 2 == 0)
			return br_fail(-BR_EUSAGE,
				       "%.64s: a space outside double quotes: one argument "
				       "is one parameter (write param=\"a b\")",
				       word);
	}
	if (*len + (*len ? 1 : 0) + wlen >= cap)
		return br_fail(-BR_EUSAGE, "command line longer than %zu bytes", cap - 1);
	if (*len && wlen)
		buf[(*len)++] = ' ';
	memcpy(buf + *len, word, wlen + 1);
	*len += wlen;
	return 0;
}

static int join_words(int argc, char *const *argv, size_t cap, char **out)
{
	char *buf = malloc(cap);
	size_t len = 0;
	int i, rc;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	for (i = 0; i < argc; i++) {
		rc = append_word(buf, &len, cap, argv[i]);
		if (rc) {
			free(buf);
			return rc;
		}
	}
	*out = buf;
	return 0;
}

static int cmdline_append(struct cli_plan *p, int argc, char *const *argv)
{
	char *words, *joined;
	size_t have = p->cmdline ? strlen(p->cmdline) : 0;
	int rc;

	if (argc == 0)
		return 0;
	rc = join_words(argc, argv, CLI_PLAN_CMDLINE_MAX, &words);
	if (rc)
		return rc;
	if (!words[0]) {
		free(words);
		return 0;
	}
	if (have + 1 + strlen(words) >= CLI_PLAN_CMDLINE_MAX) {
		free(words);
		return br_fail(-BR_EUSAGE, "command line longer than %d bytes",
			       CLI_PLAN_CMDLINE_MAX - 1);
	}
	if (!have) {
		free(p->cmdline);
		p->cmdline = words;
		return 0;
	}
	joined = malloc(have + 1 + strlen(words) + 1);
	if (!joined) {
		free(words);
		return -ENOMEM;
	}
	memcpy(joined, p->cmdline, have);
	joined[have] = ' ';
	memcpy(joined + have + 1, words, strlen(words) + 1);
	free(words);
	free(p->cmdline);
	p->cmdline = joined;
	return 0;
}

/* URL [sha256=H] [ARGS…] into a; *used is how many argv entries the URL
 * and pin took. */
static int parse_artifact(struct cli_plan *p, cli_plan_resolver resolve, const char *verb, int argc,
			  char *const *argv, struct cli_plan_artifact *a, int *used)
{
	int rc;

	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return br_fail(-BR_EUSAGE, "%s: missing URL", verb);
	rc = resolve_url(p, resolve, argv[0], &a->url);
	if (rc)
		return rc;
	*used = 1;
	if (argc >= 2 && is_pin(argv[1])) {
		rc = parse_pin(argv[1], a->sha256);
		if (rc)
			goto fail;
		*used = 2;
		/* optional size=N right after the pin: the exact size, so that
		 * no server can send more and the disk space is known first */
		if (argc >= 3 && strncmp(argv[2], "size=", 5) == 0) {
			rc = parse_size(argv[2], &a->size);
			if (rc)
				goto fail;
			*used = 3;
		}
	}
	rc = require_pin(p, a->url, a->sha256);
	if (rc)
		goto fail;
	return 0;
fail:
	artifact_free(a);
	return rc;
}

static int verb_kernel(struct cli_plan *p, cli_plan_resolver resolve, const char *verb,
		       enum cli_plan_kind kind, int argc, char *const *argv)
{
	struct cli_plan_artifact a;
	int used = 0, rc;

	if (p->kind != CLI_PLAN_NONE)
		return br_fail(-BR_EUSAGE, "%s: the plan already has a %s", verb,
			       p->kind == CLI_PLAN_LINUX ? "kernel" : "multiboot kernel");
	rc = parse_artifact(p, resolve, verb, argc, argv, &a, &used);
	if (rc)
		return rc;
	rc = cmdline_append(p, argc - used, argv + used);
	if (rc) {
		artifact_free(&a);
		return rc;
	}
	p->kernel = a;
	p->kind = kind;
	return 0;
}

static int verb_image(struct cli_plan *p, cli_plan_resolver resolve, const char *verb,
		      enum cli_plan_kind kind, int argc, char *const *argv)
{
	struct cli_plan_artifact a;
	int used = 0, rc;

	if (p->kind != kind)
		return br_fail(-BR_EUSAGE, "%s: needs a%s first", verb,
			       kind == CLI_PLAN_LINUX ? " `kernel`" : " `multiboot` kernel");
	if (p->n_images >= CLI_PLAN_MAX_IMAGES)
		return br_fail(-BR_EUSAGE, "%s: more than %d in one plan", verb,
			       CLI_PLAN_MAX_IMAGES);
	rc = parse_artifact(p, resolve, verb, argc, argv, &a, &used);
	if (rc)
		return rc;
	if (kind == CLI_PLAN_LINUX && used < argc) {
		artifact_free(&a);
		return br_fail(-BR_EUSAGE, "%s: unexpected argument '%.64s'", verb, argv[used]);
	}
	if (used < argc) {
		rc = join_words(argc - used, argv + used, CLI_PLAN_ARGS_MAX, &a.args);
		if (rc) {
			artifact_free(&a);
			return rc;
		}
	}
	p->images[p->n_images++] = a;
	return 0;
}

static int verb_file(struct cli_plan *p, cli_plan_resolver resolve, int argc, char *const *argv)
{
	struct cli_plan_file f;
	const char *content;
	size_t i;
	int rc;

	memset(&f, 0, sizeof(f));
	if (argc < 2)
		return br_fail(-BR_EUSAGE, "file: usage: file PATH CONTENT|@URL sha256=HEX");
	if (p->n_files >= CLI_PLAN_MAX_FILES)
		return br_fail(-BR_EUSAGE, "file: more than %d files in one plan",
			       CLI_PLAN_MAX_FILES);
	rc = cli_plan_check_path(argv[0]);
	if (rc)
		return rc;
	for (i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i].path, argv[0]) == 0)
			return br_fail(-BR_EUSAGE, "file: %s is already in the plan", argv[0]);
	content = argv[1];
	if (content[0] == '@' && content[1] != '@') {
		rc = resolve_url(p, resolve, content + 1, &f.url);
		if (rc)
			goto fail;
		if (argc >= 3 && is_pin(argv[2])) {
			rc = parse_pin(argv[2], f.sha256);
			if (rc)
				goto fail;
		}
		if (argc > (f.sha256[0] ? 3 : 2)) {
			rc = br_fail(-BR_EUSAGE, "file: unexpected argument '%.64s'",
				     argv[f.sha256[0] ? 3 : 2]);
			goto fail;
		}
		rc = require_pin(p, f.url, f.sha256);
		if (rc)
			goto fail;
	} else {
		if (argc > 2) {
			rc = br_fail(-BR_EUSAGE,
				     "file: unexpected argument '%.64s' (quote the "
				     "content as one argument)",
				     argv[2]);
			goto fail;
		}
		/* "@@x" is the literal content "@x" */
		if (content[0] == '@')
			content++;
		f.len = strlen(content);
		if (f.len > CLI_PLAN_CONTENT_MAX) {
			rc =
			    br_fail(-BR_EUSAGE, "file: %s: inline content over %u bytes (use @URL)",
				    argv[0], CLI_PLAN_CONTENT_MAX);
			goto fail;
		}
		f.content = strdup(content);
		if (!f.content) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	f.path = strdup(argv[0]);
	if (!f.path) {
		rc = -ENOMEM;
		goto fail;
	}
	p->files[p->n_files++] = f;
	return 0;
fail:
	free(f.url);
	free(f.content);
	return rc;
}

int cli_plan_set_header(struct cli_plan *p, const char *script_url, int insecure)
{
	free(p->script_url);
	p->script_url = NULL;
	p->insecure = insecure ? 1 : 0;
	if (!script_url)
		return 0;
	if (check_url(script_url) || !is_absolute_url(script_url))
		return br_fail(-BR_EUSAGE,
			       "%.128s: script URL must be an absolute http, https "
			       "or file URL",
			       script_url);
	p->script_url = strdup(script_url);
	return p->script_url ? 0 : -ENOMEM;
}

/* `confirm [BOOTS]`: the dead-man switch (docs/every-boot.md). */
static int verb_confirm(struct cli_plan *p, int argc, char *const *argv)
{
	char *end;
	long n = CLI_PLAN_CONFIRM_DEFAULT;

	if (argc > 1)
		return br_fail(-BR_EUSAGE, "confirm: takes at most one argument, BOOTS");
	if (argc == 1) {
		n = strtol(argv[0], &end, 10);
		if (end == argv[0] || *end || n < 1 || n > CLI_PLAN_CONFIRM_MAX)
			return br_fail(-BR_EUSAGE, "confirm: BOOTS must be 1..%d, not '%.32s'",
				       CLI_PLAN_CONFIRM_MAX, argv[0]);
	}
	p->confirm = (unsigned)n;
	return 0;
}

int cli_plan_verb(struct cli_plan *p, cli_plan_resolver resolve, const char *verb, int argc,
		  char *const *argv)
{
	int rc;

	if (p->error)
		return br_fail(-BR_ECONFIG, "%s: refused, an earlier verb failed: %s", verb,
			       p->error);
	if (p->boot)
		return br_fail(-BR_EUSAGE, "%s: the plan is sealed: `boot` was already called",
			       verb);
	if (strcmp(verb, "kernel") == 0)
		return verb_kernel(p, resolve, verb, CLI_PLAN_LINUX, argc, argv);
	if (strcmp(verb, "multiboot") == 0)
		return verb_kernel(p, resolve, verb, CLI_PLAN_MULTIBOOT, argc, argv);
	if (strcmp(verb, "initrd") == 0)
		return verb_image(p, resolve, verb, CLI_PLAN_LINUX, argc, argv);
	if (strcmp(verb, "module") == 0)
		return verb_image(p, resolve, verb, CLI_PLAN_MULTIBOOT, argc, argv);
	if (strcmp(verb, "cmdline") == 0) {
		if (argc < 1)
			return br_fail(-BR_EUSAGE, "cmdline: missing TEXT");
		return cmdline_append(p, argc, argv);
	}
	if (strcmp(verb, "file") == 0)
		return verb_file(p, resolve, argc, argv);
	if (strcmp(verb, "confirm") == 0)
		return verb_confirm(p, argc, argv);
	if (strcmp(verb, "boot") == 0) {
		if (argc)
			return br_fail(-BR_EUSAGE, "boot: takes no arguments inside bootrino.sh");
		rc = cli_plan_check_bootable(p);
		if (rc)
			return rc;
		p->boot = 1;
		return 0;
	}
	return br_fail(-BR_EUSAGE, "%.32s: unknown verb", verb);
}

void cli_plan_set_error(struct cli_plan *p, int exit_code, const char *msg)
{
	if (p->error)
		return;
	char *c;

	p->error = strndup(msg && *msg ? msg : "verb failed", 512);
	p->error_exit = exit_code;
	/* the message quotes script arguments: keep it one printable line */
	for (c = p->error; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

int cli_plan_check_bootable(const struct cli_plan *p)
{
	size_t i;

	if (p->error)
		return br_fail(p->error_exit == BR_EXIT_VERIFY ? -BR_EINSECURE : -BR_ECONFIG,
			       "a verb of bootrino.sh failed: %s", p->error);
	if (p->kind == CLI_PLAN_NONE)
		return br_fail(-BR_ECONFIG, "the plan names no kernel (`kernel` or `multiboot`)");
	if (!p->insecure) {
		if (!p->kernel.sha256[0])
			return br_fail(-BR_EINSECURE, "%s: no sha256 pin", p->kernel.url);
		for (i = 0; i < p->n_images; i++)
			if (!p->images[i].sha256[0])
				return br_fail(-BR_EINSECURE, "%s: no sha256 pin",
					       p->images[i].url);
		for (i = 0; i < p->n_files; i++)
			if (p->files[i].url && !p->files[i].sha256[0])
				return br_fail(-BR_EINSECURE, "%s: no sha256 pin", p->files[i].url);
	}
	return 0;
}

/* --- JSON out ---------------------------------------------------------------- */

static cJSON *artifact_json(const struct cli_plan_artifact *a)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "url", a->url) ||
	    (a->sha256[0] && !cJSON_AddStringToObject(o, "sha256", a->sha256)) ||
	    (a->size && !cJSON_AddNumberToObject(o, "size", (double)a->size)) ||
	    (a->args && !cJSON_AddStringToObject(o, "args", a->args))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int add_item(cJSON *to, const char *key, cJSON *item)
{
	if (!item)
		return -ENOMEM;
	if (key ? !cJSON_AddItemToObject(to, key, item) : !cJSON_AddItemToArray(to, item)) {
		cJSON_Delete(item);
		return -ENOMEM;
	}
	return 0;
}

cJSON *cli_plan_to_json(const struct cli_plan *p)
{
	cJSON *o = cJSON_CreateObject(), *arr, *f, *err;
	int linux_kind = p->kind == CLI_PLAN_LINUX;
	size_t i;

	if (!o || !cJSON_AddNumberToObject(o, "version", CLI_PLAN_VERSION) ||
	    (p->script_url && !cJSON_AddStringToObject(o, "script_url", p->script_url)) ||
	    !cJSON_AddBoolToObject(o, "insecure", p->insecure))
		goto fail;
	if (p->kind != CLI_PLAN_NONE &&
	    add_item(o, linux_kind ? "kernel" : "multiboot", artifact_json(&p->kernel)))
		goto fail;
	if (p->kind != CLI_PLAN_NONE) {
		arr = cJSON_AddArrayToObject(o, linux_kind ? "initrd" : "module");
		if (!arr)
			goto fail;
		for (i = 0; i < p->n_images; i++)
			if (add_item(arr, NULL, artifact_json(&p->images[i])))
				goto fail;
	}
	if (!cJSON_AddStringToObject(o, "cmdline", p->cmdline ? p->cmdline : ""))
		goto fail;
	if (p->confirm && !cJSON_AddNumberToObject(o, "confirm", p->confirm))
		goto fail;
	arr = cJSON_AddArrayToObject(o, "files");
	if (!arr)
		goto fail;
	for (i = 0; i < p->n_files; i++) {
		const struct cli_plan_file *pf = &p->files[i];

		f = cJSON_CreateObject();
		if (add_item(arr, NULL, f) || !cJSON_AddStringToObject(f, "path", pf->path))
			goto fail;
		if (pf->url) {
			if (!cJSON_AddStringToObject(f, "url", pf->url) ||
			    (pf->sha256[0] && !cJSON_AddStringToObject(f, "sha256", pf->sha256)))
				goto fail;
		} else if (!cJSON_AddStringToObject(f, "content", pf->content)) {
			goto fail;
		}
	}
	if (!cJSON_AddBoolToObject(o, "boot", p->boot))
		goto fail;
	if (p->error) {
		err = cJSON_AddObjectToObject(o, "error");
		if (!err || !cJSON_AddNumberToObject(err, "exit", p->error_exit) ||
		    !cJSON_AddStringToObject(err, "message", p->error))
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* --- JSON in ----------------------------------------------------------------- */

static int dup_checked_url(const char *url, char **out)
{
	int rc = check_url(url);

	if (rc)
		return cli_wrap_detail(-BR_ECONFIG, "plan");
	if (!is_absolute_url(url))
		return br_fail(-BR_ECONFIG, "plan: %.128s: not an absolute http, https or file URL",
			       url);
	*out = strdup(url);
	return *out ? 0 : -ENOMEM;
}

static int pin_from_json(const cJSON *o, char out[CLI_PLAN_HEX_LEN + 1])
{
	const char *hex;
	size_t i;
	int rc = cli_json_get_string("plan", o, "sha256", 0, CLI_PLAN_HEX_LEN, 0, &hex);

	out[0] = '\0';
	if (rc || !hex)
		return rc;
	if (!cli_plan_is_hex64(hex))
		return br_fail(-BR_ECONFIG, "plan: sha256 must be 64 hex digits");
	for (i = 0; i <= CLI_PLAN_HEX_LEN; i++)
		out[i] = (char)tolower((unsigned char)hex[i]);
	return 0;
}

static int artifact_from_json(const cJSON *o, int with_args, struct cli_plan_artifact *a)
{
	static const char *const keys[] = {"url", "sha256", "size", "args", NULL};
	const char *url, *args;
	long size = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	if (!cJSON_IsObject(o))
		return br_fail(-BR_ECONFIG, "plan: an artifact must be an object");
	rc = cli_json_check_keys("plan artifact", o, keys);
	if (!rc)
		rc = cli_json_get_string("plan", o, "url", 1, CLI_PLAN_URL_MAX - 1, 0, &url);
	if (!rc)
		rc = cli_json_get_string("plan", o, "args", 0, CLI_PLAN_ARGS_MAX - 1, 0, &args);
	if (!rc)
		rc = cli_json_get_int("plan", o, "size", 1, (long)CLI_PLAN_SIZE_MAX, &size);
	if (rc)
		return rc;
	if (args && !with_args)
		return br_fail(-BR_ECONFIG, "plan: \"args\" only on multiboot modules");
	rc = pin_from_json(o, a->sha256);
	a->size = (unsigned long long)size;
	if (!rc && a->size && !a->sha256[0])
		rc = br_fail(-BR_ECONFIG, "plan: \"size\" only next to a sha256");
	if (!rc)
		rc = dup_checked_url(url, &a->url);
	if (!rc && args && !(a->args = strdup(args)))
		rc = -ENOMEM;
	if (rc)
		artifact_free(a);
	return rc;
}

static int file_from_json(const cJSON *o, struct cli_plan *p)
{
	static const char *const keys[] = {"path", "content", "url", "sha256", NULL};
	struct cli_plan_file *f = &p->files[p->n_files];
	const char *path, *content, *url;
	size_t i;
	int rc;

	if (!cJSON_IsObject(o))
		return br_fail(-BR_ECONFIG, "plan: a file entry must be an object");
	rc = cli_json_check_keys("plan file", o, keys);
	if (!rc)
		rc = cli_json_get_string("plan", o, "path", 1, CLI_PLAN_PATH_MAX, 0, &path);
	if (!rc)
		rc =
		    cli_json_get_string("plan", o, "content", 0, CLI_PLAN_CONTENT_MAX, 1, &content);
	if (!rc)
		rc = cli_json_get_string("plan", o, "url", 0, CLI_PLAN_URL_MAX - 1, 0, &url);
	if (rc)
		return rc;
	if (!content == !url)
		return br_fail(-BR_ECONFIG, "plan: file %.64s needs exactly one of content, url",
			       path);
	if (cli_plan_check_path(path))
		return cli_wrap_detail(-BR_ECONFIG, "plan");
	for (i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i].path, path) == 0)
			return br_fail(-BR_ECONFIG, "plan: file %s twice", path);
	memset(f, 0, sizeof(*f));
	rc = pin_from_json(o, f->sha256);
	if (!rc && content && f->sha256[0])
		rc = br_fail(-BR_ECONFIG, "plan: file %s: sha256 only with url", path);
	if (!rc && url)
		rc = dup_checked_url(url, &f->url);
	if (!rc && content) {
		f->len = strlen(content);
		f->content = strdup(content);
		if (!f->content)
			rc = -ENOMEM;
	}
	if (!rc && !(f->path = strdup(path)))
		rc = -ENOMEM;
	if (rc) {
		free(f->url);
		free(f->content);
		memset(f, 0, sizeof(*f));
		return rc;
	}
	p->n_files++;
	return 0;
}

static int body_from_json(struct cli_plan *p, const cJSON *root)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(root, "kernel");
	const cJSON *mb = cJSON_GetObjectItemCaseSensitive(root, "multiboot");
	const cJSON *ird = cJSON_GetObjectItemCaseSensitive(root, "initrd");
	const cJSON *mod = cJSON_GetObjectItemCaseSensitive(root, "module");
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
	const cJSON *images, *it;
	int rc;

	if (k && mb)
		return br_fail(-BR_ECONFIG, "plan: both \"kernel\" and \"multiboot\"");
	if ((ird && !k) || (mod && !mb))
		return br_fail(-BR_ECONFIG, "plan: initrd needs kernel, module needs multiboot");
	if (k || mb) {
		p->kind = k ? CLI_PLAN_LINUX : CLI_PLAN_MULTIBOOT;
		rc = artifact_from_json(k ? k : mb, 0, &p->kernel);
		if (rc)
			return rc;
	}
	images = k ? ird : mod;
	if (images) {
		if (!cJSON_IsArray(images))
			return br_fail(-BR_ECONFIG, "plan: initrd/module must be an array");
		cJSON_ArrayForEach(it, images)
		{
			if (p->n_images >= CLI_PLAN_MAX_IMAGES)
				return br_fail(-BR_ECONFIG, "plan: more than %d initrds/modules",
					       CLI_PLAN_MAX_IMAGES);
			rc = artifact_from_json(it, p->kind == CLI_PLAN_MULTIBOOT,
						&p->images[p->n_images]);
			if (rc)
				return rc;
			p->n_images++;
		}
	}
	if (files) {
		if (!cJSON_IsArray(files))
			return br_fail(-BR_ECONFIG, "plan: files must be an array");
		cJSON_ArrayForEach(it, files)
		{
			if (p->n_files >= CLI_PLAN_MAX_FILES)
				return br_fail(-BR_ECONFIG, "plan: more than %d files",
					       CLI_PLAN_MAX_FILES);
			rc = file_from_json(it, p);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int error_from_json(struct cli_plan *p, const cJSON *err)
{
	static const char *const keys[] = {"exit", "message", NULL};
	const char *msg;
	long code = 1;
	int rc;

	if (!cJSON_IsObject(err))
		return br_fail(-BR_ECONFIG, "plan: \"error\" must be an object");
	rc = cli_json_check_keys("plan error", err, keys);
	if (!rc)
		rc = cli_json_get_int("plan", err, "exit", 1, 255, &code);
	if (!rc)
		rc = cli_json_get_string("plan", err, "message", 1, 512, 0, &msg);
	if (rc)
		return rc;
	cli_plan_set_error(p, (int)code, msg);
	return p->error ? 0 : -ENOMEM;
}

int cli_plan_from_json(struct cli_plan *p, const char *buf, size_t len)
{
	static const char *const keys[] = {
	    "version", "script_url", "insecure", "kernel", "multiboot", "initrd", "module",
	    "cmdline", "files",	     "boot",	 "error",  "confirm",	NULL};
	const char *script_url = NULL, *cmdline = NULL;
	const cJSON *err;
	cJSON *root;
	long version = 0, confirm = 0;
	int rc, insecure = 0, boot = 0;

	cli_plan_init(p);
	rc = cli_json_parse_object("plan", buf, len, CLI_PLAN_MAX_BYTES, &root);
	if (rc)
		return rc;
	rc = cli_json_check_keys("plan", root, keys);
	if (!rc)
		rc = cli_json_get_int("plan", root, "version", 0, 1000, &version);
	if (!rc && version != CLI_PLAN_VERSION)
		rc = br_fail(-BR_ECONFIG, "plan: version %ld, expected %d", version,
			     CLI_PLAN_VERSION);
	if (!rc)
		rc = cli_json_get_string("plan", root, "script_url", 0, CLI_PLAN_URL_MAX - 1, 0,
					 &script_url);
	if (!rc)
		rc = cli_json_get_bool("plan", root, "insecure", &insecure);
	if (!rc)
		rc = cli_json_get_bool("plan", root, "boot", &boot);
	if (!rc)
		rc = cli_json_get_string("plan", root, "cmdline", 0, CLI_PLAN_CMDLINE_MAX - 1, 0,
					 &cmdline);
	if (!rc)
		rc = cli_plan_set_header(p, script_url, insecure);
	if (rc == -BR_EUSAGE)
		rc = cli_wrap_detail(-BR_ECONFIG, "plan");
	if (!rc && cmdline && cmdline[0] && !(p->cmdline = strdup(cmdline)))
		rc = -ENOMEM;
	if (!rc)
		rc = body_from_json(p, root);
	if (!rc)
		rc = cli_json_get_int("plan", root, "confirm", 1, CLI_PLAN_CONFIRM_MAX, &confirm);
	p->confirm = (unsigned)confirm;
	err = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (!rc && err)
		rc = error_from_json(p, err);
	p->boot = boot;
	cJSON_Delete(root);
	if (rc)
		cli_plan_free(p);
	return rc;
}
