/* `bootrino kexec`: load (and start) a kernel the operator names on the
 * command line, or only check it with --dry-run. The boot path
 * (`bootrino boot`) calls the same kexec/ functions with pinned artifacts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "common/err.h"
#include "common/log.h"
#include "kexec/kexec.h"
#include "verify/sha256.h"

static int cmd_kexec(int argc, char **argv);

struct kexec_args {
	const char *kernel;
	const char *kernel_sha;
	const char *initrds[KEXEC_MAX_INITRDS];
	const char *module_args[KEXEC_MAX_INITRDS];
	size_t n_initrds, n_modules;
	struct cli_list initrd_list, module_list, overlay_list, initrd_sha;
	const char *cmdline;
	int multiboot, load_only, dry_run;
};

#define A struct kexec_args
static const struct cli_option kexec_options[] = {
    CLI_OPT("kernel", "", "FILE", CLI_STR, A, kernel, CLI_REQUIRED,
	    "the kernel (bzImage, or multiboot ELF with --multiboot)"),
    CLI_OPT_RANGE("initrd", "i", "FILE", CLI_LIST, A, initrd_list, 0, KEXEC_MAX_INITRDS, 0,
		  "an initrd, repeatable, in order (Linux)"),
    CLI_OPT("cmdline", "c", "TEXT", CLI_STR, A, cmdline, 0, "the kernel command line"),
    CLI_OPT_RANGE("overlay", "", "DIR", CLI_LIST, A, overlay_list, 0, KEXEC_MAX_INITRDS, 0,
		  "put DIR's files into the target's / (a newc cpio\n"
		  "appended after the last initrd), repeatable"),
    CLI_OPT("multiboot", "", NULL, CLI_FLAG, A, multiboot, 0, "FILE is a multiboot (v1) kernel"),
    CLI_OPT_RANGE("module", "M", "'FILE ARGS'", CLI_LIST, A, module_list, 0, KEXEC_MAX_INITRDS, 0,
		  "a multiboot module and its command line, repeatable"),
    CLI_OPT("load-only", "l", NULL, CLI_FLAG, A, load_only, 0, "load, but do not start it"),
    CLI_OPT("dry-run", "n", NULL, CLI_FLAG, A, dry_run, 0,
	    "check formats, sizes and free memory, print what\n"
	    "would be loaded; touches nothing"),
    CLI_OPT("sha256-kernel", "", "HEX", CLI_STR, A, kernel_sha, 0,
	    "refuse the kernel unless its sha256 is HEX"),
    CLI_OPT_RANGE("sha256-initrd", "", "HEX", CLI_LIST, A, initrd_sha, 0, KEXEC_MAX_INITRDS, 0,
		  "the same for the initrds (modules), in order"),
};
#undef A

BR_COMMAND(kexec) = {
    .name = "kexec",
    .summary = "load and start a kernel or multiboot image from RAM (kexec)",
    .synopsis = "--kernel FILE [--initrd FILE]... [--cmdline TEXT] [--overlay DIR]...\n"
		"--kernel FILE --multiboot [--module 'FILE ARGS']... [--dry-run | --load-only]",
    .description = "Load a Linux bzImage with its initrds (joined into one, the overlay last)\n"
		   "with kexec_file_load, or through kexec-tools when the running kernel cannot\n"
		   "take it that way; a multiboot kernel and its modules always go through\n"
		   "kexec-tools. Then start it: `systemctl kexec` when systemd is PID 1,\n"
		   "otherwise sync + reboot(LINUX_REBOOT_CMD_KEXEC).\n",
    CLI_OPTIONS(kexec_options),
    .exit_status = "0  ok (a started kernel never returns)\n"
		   "2  usage error or a file that cannot be opened\n3  sha256 mismatch\n"
		   "5  the kernel refused or the image is not loadable (wrong format,\n"
		   "   not root, lockdown, out of memory, ...)\n",
    .example =
	"bootrino kexec --dry-run --kernel vmlinuz --initrd initrd.img --cmdline console=ttyS0\n",
    .run = cmd_kexec,
    .fail_exit = BR_EXIT_BOOT,
};

/* "M ARGS" -> path M, args ARGS (kexec-tools' convention), split in
 * place: spec is an argv string, which the program may modify. */
static void add_module(struct kexec_args *ka, char *spec)
{
	char *sp = strchr(spec, ' ');

	if (sp) {
		*sp++ = '\0';
		while (*sp == ' ')
			sp++;
	}
	ka->initrds[ka->n_modules] = spec;
	ka->module_args[ka->n_modules] = sp && *sp ? sp : NULL;
	ka->n_modules++;
}

static int parse(int argc, char **argv, struct kexec_args *ka)
{
	const struct br_command *cmd = &br_command_kexec;
	size_t i;
	int n = cli_parse(cmd, argc, argv, ka);

	if (n < 0)
		return cli_parse_exit(n);
	for (i = 0; i < ka->initrd_list.n; i++)
		ka->initrds[ka->n_initrds++] = ka->initrd_list.v[i];
	for (i = 0; i < ka->module_list.n && ka->n_modules < KEXEC_MAX_INITRDS; i++) {
		const char *m = ka->module_list.v[i];

		if (!m[0] || m[0] == ' ')
			return cli_usage_error(cmd, "--module needs a file name first");
		add_module(ka, (char *)m);
	}
	if (ka->multiboot && ka->n_initrds)
		return cli_usage_error(
		    cmd, "--initrd is for Linux kernels; give --module with --multiboot");
	if (!ka->multiboot && ka->n_modules)
		return cli_usage_error(cmd, "--module needs --multiboot");
	if (ka->multiboot)
		ka->n_initrds = ka->n_modules;
	if (ka->initrd_sha.n > ka->n_initrds)
		return cli_usage_error(cmd, "more --sha256-initrd than initrds/modules");
	if (ka->dry_run && ka->load_only)
		return cli_usage_error(cmd, "--dry-run and --load-only exclude each other");
	return -1;
}

/* A file the operator named: pinned if a sha256 was given, else unpinned. */
static int open_artifact(const char *opt, const char *path, const char *hex,
			 struct verify_artifact **out)
{
	uint8_t digest[VERIFY_SHA256_LEN];
	int rc;

	if (hex) {
		if (verify_sha256_parse(hex, digest))
			return cli_usage_error(&br_command_kexec, "%s: '%.80s' is not a sha256",
					       opt, hex);
		rc = verify_artifact_open(path, digest, out);
	} else {
		br_debug("kexec: %s %s is unpinned (named on the command line)", opt, path);
		rc = verify_artifact_open_unpinned(path, out);
	}
	if (rc == 0)
		return 0;
	cli_fail(rc, opt);
	/* a file that does not exist, cannot be read or is no regular file
	 * is an argument error; a digest mismatch keeps its exit code (3) */
	return rc == -BR_EHASH ? BR_EXIT_VERIFY : BR_EXIT_USAGE;
}

static void print_report(const struct kexec_args *ka, const struct kexec_image *img,
			 const struct kexec_report *rep, const char *state)
{
	char hex[VERIFY_SHA256_HEXLEN + 1];
	size_t i;

	printf("bootrino kexec: %s\n", state);
	printf("  method:  %s", rep->method);
	if (strcmp(rep->method, "kexec_file_load") == 0 && rep->tools_path[0])
		printf(" (fallback: kexec-tools %s)", rep->tools_path);
	else if (strcmp(rep->method, "kexec-tools") == 0)
		printf(" %s", rep->tools_path[0] ? rep->tools_path : "(not found)");
	putchar('\n');
	if (rep->why[0])
		printf("  why:     %s\n", rep->why);
	verify_sha256_hex(verify_artifact_digest(img->kernel), hex);
	printf("  kernel:  %s: %s, %llu bytes, sha256 %s%s\n", ka->kernel, rep->kernel_format,
	       (unsigned long long)rep->kernel_bytes, hex,
	       verify_artifact_pinned(img->kernel) ? "" : " (unpinned)");
	for (i = 0; i < rep->n_initrds; i++) {
		verify_sha256_hex(verify_artifact_digest(img->initrds[i]), hex);
		printf("  %s:  %s: %s, %llu bytes, sha256 %s%s",
		       ka->multiboot ? "module" : "initrd", ka->initrds[i], rep->initrd_format[i],
		       (unsigned long long)rep->initrd_bytes[i], hex,
		       verify_artifact_pinned(img->initrds[i]) ? "" : " (unpinned)");
		if (img->module_args[i])
			printf(", args \"%s\"", img->module_args[i]);
		putchar('\n');
	}
	if (img->overlay)
		printf("  overlay: %zu entries, %llu bytes\n", rep->overlay_entries,
		       (unsigned long long)rep->overlay_bytes);
	printf("  cmdline: %s\n", img->cmdline ? img->cmdline : "");
	printf("  total:   %llu bytes", (unsigned long long)rep->total_bytes);
	if (rep->mem_available)
		printf(" (MemAvailable %llu MiB)", (unsigned long long)(rep->mem_available >> 20));
	putchar('\n');
	if (rep->warning[0])
		printf("  warning: %s\n", rep->warning);
	fflush(stdout);
}

static int build_overlay(const struct kexec_args *ka, struct kexec_overlay **out)
{
	struct kexec_overlay *ov;
	size_t i;
	int rc;

	*out = NULL;
	if (!ka->overlay_list.n)
		return 0;
	rc = kexec_overlay_new(&ov);
	if (rc)
		return cli_fail(rc, "--overlay");
	for (i = 0; i < ka->overlay_list.n; i++) {
		rc = kexec_overlay_add_dir(ov, ka->overlay_list.v[i]);
		if (rc) {
			kexec_overlay_free(ov);
			return cli_fail(rc, "--overlay");
		}
	}
	*out = ov;
	return 0;
}

static int run(struct kexec_args *ka)
{
	struct verify_artifact *kernel = NULL, *initrds[KEXEC_MAX_INITRDS] = {NULL};
	struct kexec_overlay *ov = NULL;
	struct kexec_image img;
	struct kexec_report rep;
	const char *opt = ka->multiboot ? "--module" : "--initrd";
	size_t i;
	int rc, ex;

	memset(&img, 0, sizeof(img));
	ex = open_artifact("--kernel", ka->kernel, ka->kernel_sha, &kernel);
	if (ex)
		goto out;
	for (i = 0; i < ka->n_initrds; i++) {
		ex = open_artifact(opt, ka->initrds[i],
				   i < ka->initrd_sha.n ? ka->initrd_sha.v[i] : NULL, &initrds[i]);
		if (ex)
			goto out;
	}
	ex = build_overlay(ka, &ov);
	if (ex)
		goto out;

	img.type = ka->multiboot ? KEXEC_MULTIBOOT : KEXEC_LINUX;
	img.kernel = kernel;
	for (i = 0; i < ka->n_initrds; i++) {
		img.initrds[i] = initrds[i];
		img.module_args[i] = ka->multiboot ? ka->module_args[i] : NULL;
	}
	img.n_initrds = ka->n_initrds;
	img.cmdline = ka->cmdline;
	img.overlay = ov;

	/* files named on the command line: the operator vouches for them */
	rc = kexec_load(&img, KEXEC_ALLOW_UNPINNED | (ka->dry_run ? KEXEC_DRY_RUN : 0), &rep);
	if (rc) {
		/* a failure without a class of its own is still a failed boot */
		ex = cli_fail_as(rc, NULL, BR_EXIT_BOOT);
		goto out;
	}
	print_report(ka, &img, &rep,
		     ka->dry_run     ? "dry run, nothing was loaded"
		     : ka->load_only ? "loaded (not started: --load-only)"
				     : "loaded, starting it");
	if (ka->dry_run || ka->load_only)
		goto out;
	rc = kexec_execute();
	ex = cli_fail_as(rc, NULL, BR_EXIT_BOOT);
out:
	kexec_overlay_free(ov);
	for (i = 0; i < ka->n_initrds; i++)
		verify_artifact_close(initrds[i]);
	verify_artifact_close(kernel);
	return ex;
}

static int cmd_kexec(int argc, char **argv)
{
	struct kexec_args ka;
	int rc;

	memset(&ka, 0, sizeof(ka));
	rc = parse(argc, argv, &ka);
	if (rc == -1)
		rc = run(&ka);
	return rc;
}
