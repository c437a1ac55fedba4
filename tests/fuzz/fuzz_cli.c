/* libFuzzer: the command line. First byte even: argv (NUL-separated
 * words) parsed against a table with every value type; odd: "MSG\nSCRIPT"
 * for cli_script_line (the line of a failed verb in a bootrino.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/script_line.h"

struct f_args {
	const char *s;
	int flag;
	unsigned long n;
	unsigned long long size;
	struct cli_list list;
	struct cli_pin pin;
};

static const struct cli_option f_options[] = {
    CLI_OPT("str", "s", "S", CLI_STR, struct f_args, s, CLI_REQUIRED, "a string"),
    CLI_OPT("flag", "f", NULL, CLI_FLAG, struct f_args, flag, 0, "a flag"),
    CLI_OPT_RANGE("num", "n", "N", CLI_UINT, struct f_args, n, 1, 100, 0, "a number"),
    CLI_OPT_RANGE("size", "", "B", CLI_SIZE, struct f_args, size, 1, 0, 0, "a size"),
    CLI_OPT_RANGE("item", "iI", "X", CLI_LIST, struct f_args, list, 0, 4, 0, "items"),
    CLI_OPT_PARSER("sha256", "", "HEX", cli_opt_sha256, struct f_args, pin, 0, "a pin"),
};
static const struct br_command f_cmd = {
    .name = "fuzz",
    .summary = "fuzz",
    CLI_OPTIONS(f_options),
    .max_args = 2,
    .args_name = "A",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[64], *p, *nl;
	struct f_args a;
	int argc = 1, n;

	if (size < 1 || size > 4096)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (data[0] & 1) {
		nl = memchr(buf, '\n', size - 1);
		if (nl) {
			*nl = '\0';
			(void)cli_script_line(nl + 1, (size_t)(buf + size - 1 - (nl + 1)), buf);
		}
		free(buf);
		return 0;
	}
	/* -V / --version print the libraries' versions, and libarchive's
	 * version string leaks inside libarchive: fuzz our parser, not that */
	for (p = buf; p < buf + size - 1; p++)
		if (*p == 'V')
			*p = 'v';
	argv[0] = "fuzz";
	for (p = buf; p < buf + size - 1 && argc < 63; p += strlen(p) + 1) {
		if (strncmp(p, "--vers", 6) == 0)
			p[5] = 'b';
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	memset(&a, 0, sizeof(a));
	n = cli_parse(&f_cmd, argc, argv, &a);
	if (n >= 0 && (n > argc || !a.s || a.list.n > 4))
		abort(); /* success means every required option and a bounded list */
	free(buf);
	return 0;
}
