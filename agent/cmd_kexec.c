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

BR_COMMAND(kexec) = {
    .name = "kexec",
    .summary = "load and start a kernel or multiboot image from RAM (kexec)",
    .usage =
	"usage: bootrino kexec --kernel K [--initrd I]… [--cmdline C] [--overlay DIR]…\n"
	"                      [--multiboot] [--module \"M [ARGS]\"]… [--load-only] [--dry-run]\n"
	"                      [--sha256-kernel H] [--sha256-initrd H]…\n\n"
	"Load a Linux bzImage with its initrds (joined into one, the overlay last)\n"
	"with kexec_file_load, or through kexec-tools when the running kernel cannot\n"
	"take it that way; a multiboot kernel and its modules always go through\n"
	"kexec-tools. Then start it: `systemctl kexec` when systemd is PID 1,\n"
	"otherwise sync + reboot(LINUX_REBOOT_CMD_KEXEC).\n\n"
	"  -k, --kernel K         the kernel (bzImage, or multiboot ELF with --multiboot)\n"
	"  -i, --initrd I         an initrd, repeatable, in order (Linux)\n"
	"  -c, --cmdline C        the kernel command line\n"
	"  -o, --overlay DIR      put DIR's files into the target's / (a newc cpio\n"
	"                         appended after the last initrd), repeatable\n"
	"  -m, --multiboot        K is a multiboot (v1) kernel\n"
	"  -M, --module \"M ARGS\"  a multiboot module and its command line, repeatable\n"
	"  -l, --load-only        load, but do not start it\n"
	"  -n, --dry-run          check formats, sizes and free memory, print what\n"
	"                         would be loaded; touches nothing\n"
	"      --sha256-kernel H  refuse K unless its sha256 is H\n"
	"      --sha256-initrd H  the same for the initrds (modules), in order\n"
	"  -v, --verbose          debug output\n"
	"  -h, --help             this text\n\n"
	"Exit status: 0 ok (a started kernel never returns), 2 usage error or a file\n"
	"that cannot be opened, 3 sha256 mismatch, 5 the kernel refused or the image\n"
	"is not loadable (wrong format, not root, lockdown, out of memory, …).\n",
    .run = cmd_kexec,
};

#define OPT_SHA_KERNEL 1000
#define OPT_SHA_INITRD 1001

struct kexec_args {
	const char *kernel;
	const char *kernel_sha;
	const char *initrds[KEXEC_MAX_INITRDS];
	const char *module_args[KEXEC_MAX_INITRDS];
	char *module_copies[KEXEC_MAX_INITRDS];
	size_t n_initrds, n_modules;
	const char *initrd_sha[KEXEC_MAX_INITRDS];
	size_t n_sha;
	const char *cmdline;
	const char *overlays[KEXEC_MAX_INITRDS];
	size_t n_overlays;
	int multiboot, load_only, dry_run;
};

/* "M ARGS" -> path M, args ARGS (kexec-tools' convention). */
static int add_module(struct kexec_args *ka, const char *spec)
{
	char *copy = strdup(spec), *sp;

	if (!copy)
		return -ENOMEM;
	sp = strchr(copy, ' ');
	if (sp) {
		*sp++ = '\0';
		while (*sp == ' ')
			sp++;
	}
	ka->module_copies[ka->n_modules] = copy;
	ka->initrds[ka->n_modules] = copy;
	ka->module_args[ka->n_modules] = sp && *sp ? sp : NULL;
	ka->n_modules++;
	return 0;
}

static int parse(int argc, char **argv, struct kexec_args *ka)
{
	static const struct option opts[] = {
	    {"kernel", required_argument, NULL, 'k'},
	    {"initrd", required_argument, NULL, 'i'},
	    {"cmdline", required_argument, NULL, 'c'},
	    {"overlay", required_argument, NULL, 'o'},
	    {"multiboot", no_argument, NULL, 'm'},
	    {"module", required_argument, NULL, 'M'},
	    {"load-only", no_argument, NULL, 'l'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"sha256-kernel", required_argument, NULL, OPT_SHA_KERNEL},
	    {"sha256-initrd", required_argument, NULL, OPT_SHA_INITRD},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	const struct br_command *cmd = &br_command_kexec;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+hvk:i:c:o:mM:ln", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (ka->kernel)
				return cli_usage_error(cmd, "--kernel given twice");
			ka->kernel = optarg;
			break;
		case 'i':
			if (ka->n_initrds >= KEXEC_MAX_INITRDS)
				return cli_usage_error(cmd, "more than %d --initrd",
						       KEXEC_MAX_INITRDS);
			ka->initrds[ka->n_initrds++] = optarg;
			break;
		case 'M':
			if (ka->n_modules >= KEXEC_MAX_INITRDS)
				return cli_usage_error(cmd, "more than %d --module",
						       KEXEC_MAX_INITRDS);
			if (!optarg || !optarg[0] || optarg[0] == ' ')
				return cli_usage_error(cmd, "--module needs a file name first");
			if (add_module(ka, optarg))
				return cli_fail(-ENOMEM, "--module");
			break;
		case 'c':
			if (ka->cmdline)
				return cli_usage_error(cmd, "--cmdline given twice");
			ka->cmdline = optarg;
			break;
		case 'o':
			if (ka->n_overlays >= KEXEC_MAX_INITRDS)
				return cli_usage_error(cmd, "more than %d --overlay",
						       KEXEC_MAX_INITRDS);
			ka->overlays[ka->n_overlays++] = optarg;
			break;
		case 'm':
			ka->multiboot = 1;
			break;
		case 'l':
			ka->load_only = 1;
			break;
		case 'n':
			ka->dry_run = 1;
			break;
		case OPT_SHA_KERNEL:
			ka->kernel_sha = optarg;
			break;
		case OPT_SHA_INITRD:
			if (ka->n_sha >= KEXEC_MAX_INITRDS)
				return cli_usage_error(cmd, "more than %d --sha256-initrd",
						       KEXEC_MAX_INITRDS);
			ka->initrd_sha[ka->n_sha++] = optarg;
			break;
		default:
			rc = cli_common_option(cmd, c);
			if (rc != CLI_CONTINUE)
				return rc;
		}
	}
	if (optind != argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!ka->kernel)
		return cli_usage_error(cmd, "--kernel is required");
	if (ka->multiboot && ka->n_initrds)
		return cli_usage_error(
		    cmd, "--initrd is for Linux kernels; give --module with --multiboot");
	if (!ka->multiboot && ka->n_modules)
		return cli_usage_error(cmd, "--module needs --multiboot");
	if (ka->multiboot)
		ka->n_initrds = ka->n_modules;
	if (ka->n_sha > ka->n_initrds)
		return cli_usage_error(cmd, "more --sha256-initrd than initrds/modules");
	if (ka->dry_run && ka->load_only)
		return cli_usage_error(cmd, "--dry-run and --load-only exclude each other");
	return CLI_CONTINUE;
}

/* A file the operator named: pinned if a sha256 was given, else unpinned. */
static int open_artifact(const char *opt, const char *path, const char *hex,
			 struct verify_artifact **out)
{
	uint8_t digest[VERIFY_SHA256_LEN];
	int rc;

	if (hex) {
		if (verify_sha256_parse(hex, digest)) {
			fprintf(stderr, "bootrino: kexec: usage error: %s: '%s' is not a sha256\n",
				opt, hex);
			return BR_EXIT_USAGE;
		}
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
	if (!ka->n_overlays)
		return 0;
	rc = kexec_overlay_new(&ov);
	if (rc)
		return cli_fail(rc, "--overlay");
	for (i = 0; i < ka->n_overlays; i++) {
		rc = kexec_overlay_add_dir(ov, ka->overlays[i]);
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
		ex = open_artifact(opt, ka->initrds[i], i < ka->n_sha ? ka->initrd_sha[i] : NULL,
				   &initrds[i]);
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
		ex = cli_fail(rc, "kexec");
		/* a failure without a class of its own is still a failed boot */
		if (ex == BR_EXIT_FAIL)
			ex = BR_EXIT_BOOT;
		goto out;
	}
	print_report(ka, &img, &rep,
		     ka->dry_run     ? "dry run, nothing was loaded"
		     : ka->load_only ? "loaded (not started: --load-only)"
				     : "loaded, starting it");
	if (ka->dry_run || ka->load_only)
		goto out;
	rc = kexec_execute();
	ex = cli_fail(rc, "kexec");
	if (ex == BR_EXIT_FAIL)
		ex = BR_EXIT_BOOT;
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
	size_t i;
	int rc;

	memset(&ka, 0, sizeof(ka));
	rc = parse(argc, argv, &ka);
	if (rc == CLI_CONTINUE)
		rc = run(&ka);
	for (i = 0; i < ka.n_modules; i++)
		free(ka.module_copies[i]);
	return rc;
}
