#include "agent/doc/plan_print.h"

#include <errno.h>
#include <stdlib.h>

int cli_plan_print_json(FILE *f, const struct cli_plan *p)
{
	cJSON *j = cli_plan_to_json(p);
	char *s = j ? cJSON_Print(j) : NULL;

	cJSON_Delete(j);
	if (!s)
		return -ENOMEM;
	fprintf(f, "%s\n", s);
	free(s);
	return 0;
}

/* Control characters from a (signed) script should not drive the
 * operator's terminal. */
static void safe(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void artifact(FILE *f, const char *what, const struct cli_plan_artifact *a)
{
	fprintf(f, "%-9s ", what);
	safe(f, a->url);
	fprintf(f, "\n          sha256 %s\n", a->sha256[0] ? a->sha256 : "(none: --insecure)");
	if (a->args) {
		fprintf(f, "          args ");
		safe(f, a->args);
		fputc('\n', f);
	}
}

void cli_plan_print_text(FILE *f, const struct cli_plan *p)
{
	int lx = p->kind == CLI_PLAN_LINUX;
	size_t i;

	if (p->kind != CLI_PLAN_NONE)
		artifact(f, lx ? "kernel" : "multiboot", &p->kernel);
	for (i = 0; i < p->n_images; i++)
		artifact(f, lx ? "initrd" : "module", &p->images[i]);
	fprintf(f, "cmdline   ");
	safe(f, p->cmdline ? p->cmdline : "");
	fputc('\n', f);
	for (i = 0; i < p->n_files; i++) {
		fprintf(f, "file      ");
		safe(f, p->files[i].path);
		if (p->files[i].url) {
			fprintf(f, " <- ");
			safe(f, p->files[i].url);
			fprintf(f, " sha256 %s\n",
				p->files[i].sha256[0] ? p->files[i].sha256 : "(none)");
		} else {
			fprintf(f, " (%zu bytes inline)\n", p->files[i].len);
		}
	}
	fprintf(f, "boot      %s\n", p->boot ? "requested" : "not requested");
}
