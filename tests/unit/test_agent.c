/* Unit tests: agent/ policy layer — plan verbs and JSON, config JSON and
 * kernel command line, loader.json. */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* clang-format off */
#include <cmocka.h>
/* clang-format on */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/carry.h"
#include "agent/doc/config.h"
#include "agent/doc/loader_json.h"
#include "agent/doc/plan.h"
#include "agent/init.h"
#include "agent/timing.h"
#include "common/err.h"
#include "common/log.h"
#include "fetch/url.h"

#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H2 "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"
#define BASE "https://example.com/dir/bootrino.sh"
/* the variadic list ends with a typed null pointer, not a bare NULL */
#define END ((const char *)NULL)

static int verb(struct cli_plan *p, const char *v, ...)
{
	char *argv[32];
	va_list ap;
	int argc = 0;
	const char *a;

	va_start(ap, v);
	while ((a = va_arg(ap, const char *)) != NULL && argc < 32)
		argv[argc++] = (char *)a;
	va_end(ap);
	return cli_plan_verb(p, fetch_url_resolve, v, argc, argv);
}

static void plan_setup(struct cli_plan *p, int insecure)
{
	cli_plan_init(p);
	assert_int_equal(cli_plan_set_header(p, BASE, insecure), 0);
}

static void test_plan_kernel_relative(void **state)
{
	struct cli_plan p;

	(void)state;
	plan_setup(&p, 0);
	assert_int_equal(
	    verb(&p, "kernel", "v42/vmlinuz", "sha256=" H2, "console=ttyS0", "quiet", END), 0);
	assert_string_equal(p.kernel.url, "https://example.com/dir/v42/vmlinuz");
	/* pins are stored lower-case */
	assert_string_equal(p.kernel.sha256, "abcdef0123456789abcdef0123456789abcdef0123456789"
					     "abcdef0123456789");
	assert_string_equal(p.cmdline, "console=ttyS0 quiet");
	assert_int_equal(verb(&p, "initrd", "../other/initrd.gz", "sha256=" H1, END), 0);
	assert_string_equal(p.images[0].url, "https://example.com/other/initrd.gz");
	assert_int_equal(verb(&p, "initrd", "http://mirror.test/x.img", "sha256=" H1, END), 0);
	assert_string_equal(p.images[1].url, "http://mirror.test/x.img");
	assert_int_equal(p.n_images, 2);
	assert_int_equal(verb(&p, "cmdline", "ip=dhcp", END), 0);
	assert_string_equal(p.cmdline, "console=ttyS0 quiet ip=dhcp");
	assert_int_equal(verb(&p, "boot", END), 0);
	assert_int_equal(p.boot, 1);
	/* sealed */
	assert_int_equal(verb(&p, "cmdline", "x", END), -BR_EUSAGE);
	cli_plan_free(&p);
}

static void test_plan_missing_pin(void **state)
{
	struct cli_plan p;

	(void)state;
	plan_setup(&p, 0);
	assert_int_equal(verb(&p, "kernel", "vmlinuz", "console=ttyS0", END), -BR_EINSECURE);
	assert_non_null(strstr(br_errdetail(), "no sha256 pin"));
	assert_int_equal(p.kind, CLI_PLAN_NONE);
	assert_int_equal(verb(&p, "kernel", "vmlinuz", END), -BR_EINSECURE);
	assert_int_equal(verb(&p, "kernel", "vmlinuz", "sha256=" H1, END), 0);
	assert_int_equal(verb(&p, "initrd", "i.img", END), -BR_EINSECURE);
	assert_int_equal(verb(&p, "file", "/etc/x", "@x.txt", END), -BR_EINSECURE);
	cli_plan_free(&p);

	/* --insecure: accepted, and the plan says so */
	plan_setup(&p, 1);
	assert_int_equal(verb(&p, "kernel", "vmlinuz", "console=ttyS0", END), 0);
	assert_string_equal(p.kernel.sha256, "");
	assert_string_equal(p.cmdline, "console=ttyS0");
	assert_int_equal(cli_plan_check_bootable(&p), 0);
	cli_plan_free(&p);
}

static void test_plan_bad_hex(void **state)
{
	struct cli_plan p;

	(void)state;
	plan_setup(&p, 0);
	assert_int_equal(verb(&p, "kernel", "k", "sha256=abc", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "kernel", "k", "sha256=" H1 "0", END), -BR_EUSAGE);
	assert_int_equal(
	    verb(&p, "kernel", "k",
		 "sha256=g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", END),
	    -BR_EUSAGE);
	assert_int_equal(verb(&p, "kernel", "k", "sha256=", END), -BR_EUSAGE);
	assert_int_equal(p.kind, CLI_PLAN_NONE);
	cli_plan_free(&p);
}

static void test_plan_quoting(void **state)
{
	struct cli_plan p;

	(void)state;
	plan_setup(&p, 0);
	/* words are joined verbatim with one space; quotes are kept */
	assert_int_equal(
	    verb(&p, "kernel", "k", "sha256=" H1, "msg=\"hello world\"", "console=ttyS0", END), 0);
	assert_string_equal(p.cmdline, "msg=\"hello world\" console=ttyS0");
	assert_int_equal(verb(&p, "cmdline", "a=1", "b=2", END), 0);
	assert_string_equal(p.cmdline, "msg=\"hello world\" console=ttyS0 a=1 b=2");
	/* issue 10: one argument is one parameter, so an unsigned fact in
	 * "app.id=$BOOTRINO_INSTANCE_ID" cannot add parameters */
	assert_int_equal(verb(&p, "cmdline", "app.id=i-1 init=/bin/sh", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "cmdline", "a=1 b=2", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "kernel", "k2", "sha256=" H1, "x=\"a\" b", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "cmdline", "x=\"a b\"\"c d\"", END), 0);
	/* an unbalanced quote would eat the rest of the line */
	assert_int_equal(verb(&p, "cmdline", "x=\"oops", END), -BR_EUSAGE);
	/* control characters never reach the kernel */
	assert_int_equal(verb(&p, "cmdline", "a\nb", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "cmdline", "a\tb", END), -BR_EUSAGE);
	assert_string_equal(p.cmdline,
			    "msg=\"hello world\" console=ttyS0 a=1 b=2 x=\"a b\"\"c d\"");
	cli_plan_free(&p);
}

/* issue 10: size=N right after the pin, not a command-line word */
static void test_plan_size(void **state)
{
	struct cli_plan p, q;
	cJSON *j;
	char *text;

	(void)state;
	plan_setup(&p, 0);
	assert_int_equal(verb(&p, "kernel", "k", "sha256=" H1, "size=4096", "quiet", END), 0);
	assert_true(p.kernel.size == 4096);
	assert_string_equal(p.cmdline, "quiet");
	assert_int_equal(verb(&p, "initrd", "i", "sha256=" H1, "size=0", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "initrd", "i", "sha256=" H1, "size=01", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "initrd", "i", "sha256=" H1, "size=1e3", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "initrd", "i", "sha256=" H1, "size=", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "initrd", "i", "sha256=" H1, "size=1000000000000000", END),
			 -BR_EUSAGE);
	assert_int_equal(verb(&p, "initrd", "i", "sha256=" H1, "size=999999999999999", END), 0);
	j = cli_plan_to_json(&p);
	text = cJSON_PrintUnformatted(j);
	assert_non_null(text);
	assert_int_equal(cli_plan_from_json(&q, text, strlen(text)), 0);
	assert_true(q.kernel.size == 4096 && q.images[0].size == 999999999999999ULL);
	cli_plan_free(&q);
	free(text);
	cJSON_Delete(j);
	cli_plan_free(&p);
}

static void test_plan_cmdline_cap(void **state)
{
	struct cli_plan p;
	char *big = malloc(CLI_PLAN_CMDLINE_MAX);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', CLI_PLAN_CMDLINE_MAX - 1);
	big[CLI_PLAN_CMDLINE_MAX - 1] = '\0';
	plan_setup(&p, 0);
	assert_int_equal(verb(&p, "cmdline", big, END), -BR_EUSAGE);
	big[1000] = '\0';
	assert_int_equal(verb(&p, "cmdline", big, END), 0);
	assert_int_equal(verb(&p, "cmdline", big, END), 0);
	assert_int_equal(verb(&p, "cmdline", big, END), -BR_EUSAGE);
	free(big);
	cli_plan_free(&p);
}

static void test_plan_file(void **state)
{
	struct cli_plan p;
	char *big;

	(void)state;
	plan_setup(&p, 0);
	assert_int_equal(verb(&p, "file", "/etc/motd", "hello\nfrom \"bootrino\"\n", END), 0);
	assert_string_equal(p.files[0].content, "hello\nfrom \"bootrino\"\n");
	assert_int_equal(p.files[0].len, 22);
	assert_int_equal(verb(&p, "file", "/etc/app.conf", "@conf/app.conf", "sha256=" H1, END), 0);
	assert_string_equal(p.files[1].url, "https://example.com/dir/conf/app.conf");
	assert_string_equal(p.files[1].sha256, H1);
	assert_null(p.files[1].content);
	/* "@@" is a literal "@" */
	assert_int_equal(verb(&p, "file", "/etc/at", "@@home", END), 0);
	assert_string_equal(p.files[2].content, "@home");
	/* hostile and malformed paths */
	assert_int_equal(verb(&p, "file", "/etc/../shadow", "x", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "file", "/..", "x", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "file", "etc/motd", "x", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "file", "/etc//motd", "x", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "file", "/etc/./motd", "x", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "file", "/etc/", "x", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "file", "/", "x", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "file", "/etc/a\nb", "x", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "file", CLI_PLAN_FACTS_PATH, "x", END), -BR_EUSAGE);
	/* a path twice, content split in two words, no content */
	assert_int_equal(verb(&p, "file", "/etc/motd", "again", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "file", "/etc/y", "two", "words", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "file", "/etc/y", END), -BR_EUSAGE);
	/* oversized inline content */
	big = malloc(CLI_PLAN_CONTENT_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', CLI_PLAN_CONTENT_MAX + 1);
	big[CLI_PLAN_CONTENT_MAX + 1] = '\0';
	assert_int_equal(verb(&p, "file", "/big", big, END), -BR_EUSAGE);
	free(big);
	assert_int_equal(p.n_files, 3);
	cli_plan_free(&p);
}

static void test_plan_too_many(void **state)
{
	struct cli_plan p;
	char path[32];
	int i;

	(void)state;
	plan_setup(&p, 0);
	for (i = 0; i < CLI_PLAN_MAX_FILES; i++) {
		snprintf(path, sizeof(path), "/f/%d", i);
		assert_int_equal(verb(&p, "file", path, "x", END), 0);
	}
	assert_int_equal(verb(&p, "file", "/f/last", "x", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "kernel", "k", "sha256=" H1, END), 0);
	for (i = 0; i < CLI_PLAN_MAX_IMAGES; i++)
		assert_int_equal(verb(&p, "initrd", "i", "sha256=" H1, END), 0);
	assert_int_equal(verb(&p, "initrd", "i", "sha256=" H1, END), -BR_EUSAGE);
	cli_plan_free(&p);
}

static void test_plan_kinds(void **state)
{
	struct cli_plan p;

	(void)state;
	plan_setup(&p, 0);
	assert_int_equal(verb(&p, "initrd", "i", "sha256=" H1, END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "boot", END), -BR_ECONFIG);
	assert_int_equal(verb(&p, "multiboot", "u.elf", "sha256=" H1, "arg1", END), 0);
	assert_int_equal(verb(&p, "kernel", "k", "sha256=" H1, END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "initrd", "i", "sha256=" H1, END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "module", "m.bin", "sha256=" H1, "name=m", "x=1", END), 0);
	assert_string_equal(p.images[0].args, "name=m x=1");
	assert_string_equal(p.cmdline, "arg1");
	assert_int_equal(verb(&p, "frobnicate", END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "boot", "now", END), -BR_EUSAGE);
	cli_plan_free(&p);
	/* no script URL: only absolute URLs */
	cli_plan_init(&p);
	assert_int_equal(verb(&p, "kernel", "vmlinuz", "sha256=" H1, END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "kernel", "ftp://x/vmlinuz", "sha256=" H1, END), -BR_EUSAGE);
	assert_int_equal(verb(&p, "kernel", "file:///srv/vmlinuz", "sha256=" H1, END), 0);
	cli_plan_free(&p);
}

static void test_plan_json_roundtrip(void **state)
{
	struct cli_plan p, q;
	cJSON *j, *j2;
	char *s, *s2;

	(void)state;
	plan_setup(&p, 0);
	assert_int_equal(
	    verb(&p, "kernel", "v42/vmlinuz", "sha256=" H1, "console=ttyS0", "msg=\"a b\"", END),
	    0);
	assert_int_equal(verb(&p, "initrd", "v42/initrd.gz", "sha256=" H2, END), 0);
	assert_int_equal(verb(&p, "file", "/etc/motd", "line1\nline2 \"q\" \\ \xc3\xa9\n", END), 0);
	assert_int_equal(verb(&p, "file", "/etc/x.conf", "@x.conf", "sha256=" H1, END), 0);
	assert_int_equal(verb(&p, "boot", END), 0);
	j = cli_plan_to_json(&p);
	assert_non_null(j);
	s = cJSON_PrintUnformatted(j);
	assert_non_null(s);
	assert_int_equal(cli_plan_from_json(&q, s, strlen(s)), 0);
	j2 = cli_plan_to_json(&q);
	s2 = cJSON_PrintUnformatted(j2);
	assert_string_equal(s, s2);
	assert_string_equal(q.files[0].content, "line1\nline2 \"q\" \\ \xc3\xa9\n");
	assert_int_equal(q.boot, 1);
	assert_int_equal(q.kind, CLI_PLAN_LINUX);
	assert_string_equal(q.script_url, BASE);
	free(s);
	free(s2);
	cJSON_Delete(j);
	cJSON_Delete(j2);
	cli_plan_free(&p);
	cli_plan_free(&q);

	/* an error recorded by a failed verb survives and blocks boot */
	plan_setup(&p, 0);
	assert_int_equal(verb(&p, "kernel", "k", "sha256=" H1, END), 0);
	cli_plan_set_error(&p, 3, "initrd: no sha256 pin");
	j = cli_plan_to_json(&p);
	s = cJSON_PrintUnformatted(j);
	assert_int_equal(cli_plan_from_json(&q, s, strlen(s)), 0);
	assert_string_equal(q.error, "initrd: no sha256 pin");
	assert_int_equal(cli_plan_check_bootable(&q), -BR_EINSECURE);
	assert_int_equal(verb(&q, "boot", END), -BR_ECONFIG);
	free(s);
	cJSON_Delete(j);
	cli_plan_free(&p);
	cli_plan_free(&q);
}

static int plan_json(const char *s)
{
	struct cli_plan p;
	int rc = cli_plan_from_json(&p, s, strlen(s));

	cli_plan_free(&p);
	return rc;
}

static void test_plan_json_strict(void **state)
{
	(void)state;
	assert_int_equal(plan_json("{\"version\":1}"), 0);
	assert_int_equal(plan_json("{\"version\":2}"), -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1,\"bogus\":1}"), -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1,\"boot\":true,\"boot\":false}"), -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1} x"), -BR_ECONFIG);
	assert_int_equal(plan_json("[1]"), -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1,"), -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1,\"kernel\":{\"url\":\"relative\"}}"),
			 -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1,\"kernel\":{\"url\":\"http://h/k\","
				   "\"sha256\":\"00\"}}"),
			 -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1,\"initrd\":[]}"), -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1,\"files\":[{\"path\":\"/a/../b\","
				   "\"content\":\"x\"}]}"),
			 -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1,\"files\":[{\"path\":\"/a\"}]}"), -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1,\"files\":[{\"path\":\"/a\",\"content\":\"x\","
				   "\"url\":\"http://h/x\"}]}"),
			 -BR_ECONFIG);
	assert_int_equal(plan_json("{\"version\":1,\"kernel\":{\"url\":\"http://h/k\"},"
				   "\"multiboot\":{\"url\":\"http://h/k\"}}"),
			 -BR_ECONFIG);
	/* an embedded NUL */
	{
		struct cli_plan p;

		assert_int_equal(cli_plan_from_json(&p, "{\"version\":1}\0x", 15), -BR_ECONFIG);
		cli_plan_free(&p);
	}
}

static void test_plan_json_oversized(void **state)
{
	size_t n = CLI_PLAN_MAX_BYTES + 10, i;
	char *big = malloc(n + 1);
	struct cli_plan p;

	(void)state;
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = ' ';
	memcpy(big, "{\"version\":1}", 13);
	big[n] = '\0';
	assert_int_equal(cli_plan_from_json(&p, big, n), -BR_ETOOBIG);
	cli_plan_free(&p);
	free(big);
}

static int config(struct cli_config *c, const char *s)
{
	cli_config_init(c);
	return cli_config_parse(c, s, strlen(s));
}

static void test_config_json(void **state)
{
	struct cli_config c;

	(void)state;
	assert_int_equal(config(&c, "{\"script\":\"https://h/bootrino.sh\",\"pubkeys\":[\"RWQa\","
				    "\"RWQb\",\"RWQa\"],\"mode\":\"direct\",\"insecure\":false,"
				    "\"script_timeout\":30,\"cacert_pem\":\"-----BEGIN\\nX\\n\"}"),
			 0);
	assert_string_equal(c.script, "https://h/bootrino.sh");
	assert_int_equal(c.n_pubkeys, 2);
	assert_string_equal(c.pubkeys[1], "RWQb");
	assert_int_equal(c.mode, CLI_MODE_DIRECT);
	assert_int_equal(c.script_timeout, 30);
	assert_string_equal(c.cacert_pem, "-----BEGIN\nX\n");
	{
		/* round trip through what takeover writes for the loader */
		char *s = cli_config_to_json(&c);
		struct cli_config d;

		assert_non_null(s);
		assert_int_equal(config(&d, s), 0);
		assert_string_equal(d.script, c.script);
		assert_int_equal(d.n_pubkeys, 2);
		assert_string_equal(d.cacert_pem, c.cacert_pem);
		free(s);
		cli_config_free(&d);
	}
	cli_config_free(&c);

	assert_int_equal(config(&c, "{\"scrip\":\"x\"}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"script\":1}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"script\":\"\"}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"script\":\"a\nb\"}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"pubkeys\":\"RWQ\"}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"pubkeys\":[1]}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"pubkeys\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\","
				    "\"8\",\"9\"]}"),
			 -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"mode\":\"sideways\"}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"script_timeout\":0}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"script_timeout\":1.5}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"insecure\":\"yes\"}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"script\":\"a\",\"script\":\"b\"}"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, "not json"), -BR_ECONFIG);
	cli_config_free(&c);
	assert_int_equal(config(&c, ""), -BR_ECONFIG);
	cli_config_free(&c);

	/* the install record travels to the loader and comes back as is;
	 * anything but an object is refused */
	assert_int_equal(config(&c, "{\"install\":{\"disk\":{\"size\":3}}}"), 0);
	assert_string_equal(c.install, "{\"disk\":{\"size\":3}}");
	{
		char *s = cli_config_to_json(&c);

		assert_non_null(strstr(s, "\"install\":{\"disk\":{\"size\":3}}"));
		free(s);
	}
	cli_config_free(&c);
	assert_int_equal(config(&c, "{\"install\":true}"), -BR_ECONFIG);
	cli_config_free(&c);
}

static void test_config_oversized(void **state)
{
	size_t n = CLI_CONFIG_MAX_BYTES + 1;
	char *big = malloc(n);
	struct cli_config c;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	cli_config_init(&c);
	assert_int_equal(cli_config_parse(&c, big, n), -BR_ETOOBIG);
	assert_int_equal(cli_config_parse(&c, big, n - 1 - 1), -BR_ECONFIG);
	cli_config_free(&c);
	free(big);
}

static void test_config_cmdline(void **state)
{
	struct cli_config c;

	(void)state;
	cli_config_init(&c);
	assert_int_equal(cli_config_parse_cmdline(
			     &c, "BOOT_IMAGE=/vmlinuz console=ttyS0 bootrino.script=http://"
				 "10.0.2.2:8080/bootrino.sh bootrino.pubkey=RWQone\n"
				 "bootrino.pubkey=\"RWQtwo\" quiet bootrino.insecure "
				 "\"bootrino.loader=http://h/a b/loader.json\" bootrino.shell "
				 "bootrino.unknown=1\n"),
			 0);
	assert_string_equal(c.script, "http://10.0.2.2:8080/bootrino.sh");
	assert_int_equal(c.n_pubkeys, 2);
	assert_string_equal(c.pubkeys[0], "RWQone");
	assert_string_equal(c.pubkeys[1], "RWQtwo");
	assert_string_equal(c.loader, "http://h/a b/loader.json");
	assert_int_equal(c.insecure, 1);
	assert_int_equal(c.shell, 1);
	cli_config_free(&c);

	cli_config_init(&c);
	assert_int_equal(cli_config_parse_cmdline(&c, "quiet"), 0);
	assert_null(c.script);
	assert_int_equal(c.n_pubkeys, 0);
	assert_int_equal(cli_config_parse_cmdline(&c, "bootrino.script="), -BR_ECONFIG);
	assert_int_equal(cli_config_parse_cmdline(&c, "bootrino.pubkey="), -BR_ECONFIG);
	cli_config_free(&c);
}

/* issue 10: keys on the loader's command line replace the config's
 * (never a union); site and min_timestamp cross over from the host */
static void test_config_cmdline_keys_replace(void **state)
{
	struct cli_config c;
	char *json;

	(void)state;
	cli_config_init(&c);
	assert_int_equal(cli_config_parse(&c,
					  "{\"pubkeys\":[\"RWQcfg\"],\"site\":\"prod\","
					  "\"min_timestamp\":1700000000}",
					  strlen("{\"pubkeys\":[\"RWQcfg\"],\"site\":\"prod\","
						 "\"min_timestamp\":1700000000}")),
			 0);
	assert_string_equal(c.site, "prod");
	assert_true(c.min_timestamp == 1700000000ULL);
	json = cli_config_to_json(&c);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"site\":\"prod\""));
	assert_non_null(strstr(json, "\"min_timestamp\":1700000000"));
	free(json);
	assert_int_equal(
	    cli_config_parse_cmdline(&c, "bootrino.pubkey=RWQone bootrino.pubkey=RWQtwo"), 0);
	assert_int_equal(c.n_pubkeys, 2);
	assert_string_equal(c.pubkeys[0], "RWQone");
	assert_string_equal(c.pubkeys[1], "RWQtwo");
	assert_int_equal(cli_config_parse_cmdline(&c, "bootrino.site=staging"), 0);
	assert_string_equal(c.site, "staging");
	assert_int_equal(cli_config_parse_cmdline(&c, "bootrino.site=a/b"), -BR_ECONFIG);
	cli_config_free(&c);

	cli_config_init(&c);
	assert_int_equal(cli_config_parse(&c, "{\"site\":\"a b\"}", 12), -BR_ECONFIG);
	assert_int_equal(cli_config_parse(&c, "{\"min_timestamp\":-1}", 19), -BR_ECONFIG);
	cli_config_free(&c);
}

static int loader(struct cli_plan *p, const char *s)
{
	return cli_loader_json_parse(p, fetch_url_resolve, "http://h/site/loader/loader.json", s,
				     strlen(s));
}

static void test_loader_json(void **state)
{
	struct cli_plan p;

	(void)state;
	assert_int_equal(loader(&p, "{\"kernel\":{\"url\":\"vmlinuz\",\"sha256\":\"" H1 "\"},"
				    "\"initrd\":[{\"url\":\"initrd.img\",\"sha256\":\"" H2 "\"}],"
				    "\"cmdline\":\"console=ttyS0 console=tty0\"}"),
			 0);
	assert_string_equal(p.kernel.url, "http://h/site/loader/vmlinuz");
	assert_string_equal(p.images[0].url, "http://h/site/loader/initrd.img");
	assert_int_equal(p.n_images, 1);
	assert_string_equal(p.cmdline, "console=ttyS0 console=tty0");
	assert_int_equal(cli_plan_check_bootable(&p), 0);
	cli_plan_free(&p);

	/* a pin is always required, even for an --insecure run */
	assert_int_equal(loader(&p, "{\"kernel\":{\"url\":\"vmlinuz\"}}"), -BR_EINSECURE);
	cli_plan_free(&p);
	assert_int_equal(loader(&p, "{\"kernel\":{\"url\":\"vmlinuz\",\"sha256\":\"12\"}}"),
			 -BR_ECONFIG);
	cli_plan_free(&p);
	assert_int_equal(loader(&p, "{\"initrd\":[]}"), -BR_ECONFIG);
	cli_plan_free(&p);
	assert_int_equal(loader(&p, "{\"kernel\":{\"url\":\"vmlinuz\",\"sha256\":\"" H1 "\","
				    "\"x\":1}}"),
			 -BR_ECONFIG);
	cli_plan_free(&p);
	assert_int_equal(loader(&p, "{\"kernel\":{\"url\":\"vmlinuz\",\"sha256\":\"" H1 "\"},"
				    "\"initrd\":{\"url\":\"i\"}}"),
			 -BR_ECONFIG);
	cli_plan_free(&p);
	assert_int_equal(loader(&p, "{\"kernel\":{\"url\":\"vmlinuz\",\"sha256\":\"" H1 "\"},"
				    "\"cmdline\":\"a\\nb\"}"),
			 -BR_ECONFIG);
	cli_plan_free(&p);
	assert_int_equal(
	    loader(&p, "{\"kernel\":{\"url\":\"ftp://x/vmlinuz\",\"sha256\":\"" H1 "\"}}"),
	    -BR_ECONFIG);
	cli_plan_free(&p);

	/* the boot-disk image: optional, pinned, relative to loader.json */
	{
		static const char doc[] = "{\"kernel\":{\"url\":\"vmlinuz\",\"sha256\":\"" H1 "\"},"
					  "\"bootdisk\":{\"url\":\"bootdisk-x.img.zst\","
					  "\"sha256\":\"" H2 "\"}}";
		char url[256], sha[65];

		assert_int_equal(loader(&p, doc), 0);
		cli_plan_free(&p);
		assert_int_equal(
		    cli_loader_json_bootdisk(fetch_url_resolve, "http://h/site/loader/loader.json",
					     doc, strlen(doc), url, sizeof(url), sha, sizeof(sha)),
		    0);
		assert_string_equal(url, "http://h/site/loader/bootdisk-x.img.zst");
		assert_string_equal(sha, H2);
		assert_int_equal(cli_loader_json_bootdisk(fetch_url_resolve, "http://h/l.json",
							  "{\"kernel\":{}}", 13, url, sizeof(url),
							  sha, sizeof(sha)),
				 -ENOENT);
		assert_int_equal(cli_loader_json_bootdisk(fetch_url_resolve, "http://h/l.json",
							  "{\"bootdisk\":{\"url\":\"b\"}}", 24, url,
							  sizeof(url), sha, sizeof(sha)),
				 -BR_EINSECURE);
	}
}

static void test_init_module_line(void **state)
{
	char l1[] = "kernel/drivers/net/virtio_net.ko\n", l2[] = "  # comment\n", l3[] = "\n";
	char l4[] = "/lib/x.ko\n", l5[] = "../x.ko\n", l6[] = "\ta/b.ko.xz  # tail\n";
	const char *path = NULL;

	(void)state;
	assert_int_equal(cli_init_module_line(l1, &path), 1);
	assert_string_equal(path, "kernel/drivers/net/virtio_net.ko");
	assert_int_equal(cli_init_module_line(l2, &path), 0);
	assert_int_equal(cli_init_module_line(l3, &path), 0);
	assert_int_equal(cli_init_module_line(l4, &path), -BR_ECONFIG);
	assert_int_equal(cli_init_module_line(l5, &path), -BR_ECONFIG);
	assert_int_equal(cli_init_module_line(l6, &path), 1);
	assert_string_equal(path, "a/b.ko.xz");
}

static const char *FACTS =
    "{\"network\":{\"links\":[{\"name\":\"lo\",\"index\":1,\"mac\":\"00:00:00:00:00:00\","
    "\"loopback\":true},{\"name\":\"ens4\",\"index\":2,\"mac\":\"42:01:0A:80:00:02\","
    "\"mtu\":1460},{\"name\":\"bad\",\"index\":4,\"mac\":\"42:01:0a:80:00:0 \"},"
    "{\"name\":\"ens5\",\"index\":3,\"mac\":\"42:01:0a:80:00:03\"}],"
    "\"addresses\":[{\"index\":1,\"family\":\"inet\",\"address\":\"127.0.0.1\",\"prefix\":8,"
    "\"scope\":\"host\"},{\"index\":2,\"family\":\"inet\",\"address\":\"10.128.0.2\",\"prefix\":32,"
    "\"scope\":\"global\"},{\"index\":3,\"family\":\"inet6\",\"address\":\"2001:db8::5\","
    "\"prefix\":64,\"scope\":\"global\"},{\"index\":3,\"family\":\"inet6\",\"address\":"
    "\"2001:db8::6\",\"prefix\":129,\"scope\":\"global\"},"
    "{\"index\":2,\"family\":\"inet6\",\"address\":\"fe80::1\",\"prefix\":64,"
    "\"scope\":\"link\"},{\"index\":2,\"family\":\"inet\",\"address\":\"10.0.0.1 -x\",\"prefix\":8,"
    "\"scope\":\"global\"}],"
    "\"routes\":[{\"index\":2,\"family\":\"inet\",\"dst\":\"default\",\"gateway\":\"10.128.0.1\","
    "\"protocol\":\"dhcp\"},{\"index\":2,\"family\":\"inet\",\"dst\":\"10.128.0.1/32\","
    "\"protocol\":\"dhcp\"},{\"index\":2,\"family\":\"inet\",\"dst\":\"10.0.0.0/8\","
    "\"protocol\":\"kernel\"},{\"index\":3,\"family\":\"inet\",\"dst\":\"default\","
    "\"gateway\":\"10.1.0.1\"},{\"index\":3,\"family\":\"inet6\",\"dst\":\"default\","
    "\"gateway\":\"fe80::1\",\"protocol\":\"ra\"}]},"
    "\"dns\":{\"nameservers\":[\"169.254.169.254\",\"bad; rm\"],\"search\":[\"x\"]}}";

static void test_init_static_network(void **state)
{
	struct cli_link links[2] = {{"eth0", "42:01:0a:80:00:02"}, {"eth9", "aa:bb:cc:dd:ee:ff"}};
	char cmds[16][CLI_INIT_CMD_MAX], resolv[256], text[1024];
	cJSON *facts = cJSON_Parse(FACTS);
	size_t n;

	(void)state;
	assert_non_null(facts);
	/* matched by MAC (case-insensitive), renamed to the loader's name */
	n = cli_init_static_cmds(facts, links, 2, cmds, 16);
	assert_int_equal(n, 5);
	assert_string_equal(cmds[0], "ip link set dev eth0 up");
	assert_string_equal(cmds[1], "ip link set dev eth0 mtu 1460");
	assert_string_equal(cmds[2], "ip -4 addr add 10.128.0.2/32 dev eth0");
	assert_string_equal(cmds[3], "ip -4 route add default via 10.128.0.1 dev eth0 onlink");
	assert_string_equal(cmds[4], "ip -4 route add 10.128.0.1/32 dev eth0");
	/* the target's copy: keyed by MAC (lower case), the kernel's routes
	 * and the malformed MAC left out, DNS last */
	n = cli_net_text(facts, text, sizeof(text));
	assert_int_equal(n, strlen(text));
	assert_string_equal(text, "mtu 42:01:0a:80:00:02 1460\n"
				  "addr 42:01:0a:80:00:02 -4 10.128.0.2/32\n"
				  "route 42:01:0a:80:00:02 -4 default via 10.128.0.1 onlink\n"
				  "route 42:01:0a:80:00:02 -4 10.128.0.1/32\n"
				  "addr 42:01:0a:80:00:03 -6 2001:db8::5/64\n"
				  "route 42:01:0a:80:00:03 -4 default via 10.1.0.1 onlink\n"
				  "route 42:01:0a:80:00:03 -6 default via fe80::1 onlink\n"
				  "nameserver 169.254.169.254\n");
	/* the cap holds */
	assert_int_equal(cli_init_static_cmds(facts, links, 2, cmds, 2), 2);
	/* the text never overruns, and ends on a whole line */
	assert_int_equal(cli_net_text(facts, text, 40), strlen("mtu 42:01:0a:80:00:02 1460\n"));
	assert_int_equal(cli_init_resolv_conf(facts, resolv, sizeof(resolv)),
			 strlen("nameserver 169.254.169.254\n"));
	assert_string_equal(resolv, "nameserver 169.254.169.254\n");
	cJSON_Delete(facts);
	/* no facts, no commands */
	assert_int_equal(cli_init_static_cmds(NULL, links, 2, cmds, 16), 0);
	assert_int_equal(cli_init_resolv_conf(NULL, resolv, sizeof(resolv)), 0);
}

/* The stage summary: stages in order, a repeated stage adds up. */
static void test_timing_summary(void **state)
{
	char line[256];

	(void)state;
	/* (not started in this process yet) */
	assert_int_equal(cli_timing_format(line, sizeof(line), "x"), -1);
	cli_timing_start(0);
	cli_timing_mark("network");
	cli_timing_mark("script");
	cli_timing_mark("network");
	assert_int_equal(cli_timing_format(line, sizeof(line), "loader"), 0);
	assert_non_null(strstr(line, "loader: stages: network "));
	assert_non_null(strstr(line, ", script "));
	/* one entry per name */
	assert_null(strstr(strstr(line, "network") + 1, "network"));
	assert_non_null(strstr(line, "(total "));
	/* a tiny buffer is cut, never overrun */
	assert_int_equal(cli_timing_format(line, 12, "loader"), 0);
	assert_true(strlen(line) < 12);
}

/* Time stamps: "[+S.ds] bootrino: …" once an epoch is set, and the epoch
 * reaches child processes through the environment. */
static void test_log_epoch(void **state)
{
	(void)state;
	br_log_set_epoch(0);
	assert_null(getenv(BR_LOG_EPOCH_ENV));
	br_log_set_epoch(br_log_now_ms() - 1500);
	assert_non_null(getenv(BR_LOG_EPOCH_ENV));
	assert_true(br_log_now_ms() - br_log_epoch() >= 1500);
	br_log_set_epoch(0);
}

/* The host's side of the handover: a tree named by sha256, within the
 * byte budget; what does not fit is left out (1), never an error. */
static void test_carry_host(void **state)
{
	char wd[] = "/tmp/bootrino-carry-XXXXXX", root[300], path[600], f[700];
	const char *hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	unsigned long long budget = 4;
	struct stat st;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(wd));
	assert_int_equal(cli_carry_begin(wd, "http://h/bootrino.sh", "#!/bin/sh\n", 10, "sig", 3,
					 root, sizeof(root)),
			 0);
	snprintf(path, sizeof(path), "%s%s/bootrino.sh.minisig", root, CLI_CARRY_DIR);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 3);
	snprintf(f, sizeof(f), "%s/kernel", wd);
	fp = fopen(f, "w");
	assert_non_null(fp);
	fputs("test", fp);
	fclose(fp);
	assert_int_equal(cli_carry_add_file(root, hex, f, &budget), 0);
	assert_int_equal(budget, 0);
	snprintf(path, sizeof(path), "%s%s/sha256/%s", root, CLI_CARRY_DIR, hex);
	assert_int_equal(stat(path, &st), 0);
	/* what is left of the budget for the boot-disk image */
	assert_int_equal(cli_carry_used(root), 4);
	/* the same bytes again: nothing more is spent */
	assert_int_equal(cli_carry_add_file(root, hex, f, &budget), 0);
	/* over budget: left for the loader to fetch */
	assert_int_equal(
	    cli_carry_add_buf(root,
			      "0000000000000000000000000000000000000000000000000000000000000000",
			      "x", 1, &budget),
	    1);
	/* never a path out of the tree */
	assert_int_not_equal(cli_carry_add_buf(root, "../../etc/passwd", "x", 1, &budget), 0);
	assert_true(cli_carry_budget() > 0);
	/* leave nothing behind */
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s%s/sha256", root, CLI_CARRY_DIR);
	assert_int_equal(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s%s", root, CLI_CARRY_DIR);
	for (const char *n = "url"; n; n = strcmp(n, "url") == 0	   ? "bootrino.sh"
					   : strcmp(n, "bootrino.sh") == 0 ? "bootrino.sh.minisig"
									   : NULL) {
		snprintf(f, sizeof(f), "%s/%s", path, n);
		assert_int_equal(unlink(f), 0);
	}
	/* carry/var/lib/bootrino/carried up to the work dir */
	for (int up = 0; up < 5; up++) {
		assert_int_equal(rmdir(path), 0);
		*strrchr(path, '/') = '\0';
	}
	snprintf(f, sizeof(f), "%s/kernel", wd);
	assert_int_equal(unlink(f), 0);
	assert_int_equal(rmdir(wd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_kernel_relative),
	    cmocka_unit_test(test_plan_missing_pin),
	    cmocka_unit_test(test_plan_bad_hex),
	    cmocka_unit_test(test_plan_quoting),
	    cmocka_unit_test(test_plan_cmdline_cap),
	    cmocka_unit_test(test_plan_file),
	    cmocka_unit_test(test_plan_too_many),
	    cmocka_unit_test(test_plan_kinds),
	    cmocka_unit_test(test_plan_json_roundtrip),
	    cmocka_unit_test(test_plan_json_strict),
	    cmocka_unit_test(test_plan_json_oversized),
	    cmocka_unit_test(test_config_json),
	    cmocka_unit_test(test_config_oversized),
	    cmocka_unit_test(test_config_cmdline),
	    cmocka_unit_test(test_config_cmdline_keys_replace),
	    cmocka_unit_test(test_plan_size),
	    cmocka_unit_test(test_loader_json),
	    cmocka_unit_test(test_init_module_line),
	    cmocka_unit_test(test_init_static_network),
	    cmocka_unit_test(test_timing_summary),
	    cmocka_unit_test(test_log_epoch),
	    cmocka_unit_test(test_carry_host),
	};
	return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}
