/* Unit tests: cloudinit/ (DMI detection on fake sysfs trees, user-data
 * generation and validation, instance-data / resolv.conf / authorized_keys
 * / metadata parsing, netlink parsing of canned dumps). */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloudinit/cloudinit.h"
#include "common/err.h"

#define KEY1 "RWT+zmHNKUlAj4Rtyupz8gdNi3m8mLiYCyOG9QxEmxtGB5UTCsc+Ow6X"
#define KEY2 "RWQbPpf69X5dUuAoYoHMySKPaHNRLdOZ0/4J+BF69xZIBvEIyB4nAFkk"
#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* --- helpers -------------------------------------------------------------- */

static char tmpdir[64];

static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	/* mkdir -p of the parents */
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cloudinit.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1; // NOLINT(cert-env33-c): a fixed command on our own dir
}

static const char *detect_with(const char *name, const char *const *kv)
{
	char root[256], rel[256];

	snprintf(root, sizeof(root), "%s/%s", tmpdir, name);
	mkdir(root, 0700);
	for (; kv && kv[0]; kv += 2) {
		snprintf(rel, sizeof(rel), "sys/class/dmi/id/%s", kv[0]);
		write_file(root, rel, kv[1]);
	}
	return cloud_detect_at(root);
}

/* --- detection -------------------------------------------------------------- */

static void test_detect(void **state)
{
	static const char *const nitro[] = {"sys_vendor", "Amazon EC2\n", "product_name",
					    "m5.large\n", "board_vendor", "Amazon EC2\n",
					    NULL};
	static const char *const xen[] = {"sys_vendor", "Xen\n",	"product_name",
					  "HVM domU\n", "bios_version", "4.11.amazon\n",
					  NULL};
	static const char *const plain_xen[] = {"sys_vendor", "Xen\n", "bios_version", "4.11\n",
						NULL};
	static const char *const gce[] = {
	    "sys_vendor", "Google\n", "product_name", "Google Compute Engine\n", "bios_vendor",
	    "Google\n",	  NULL};
	static const char *const droplet[] = {"sys_vendor", "DigitalOcean\n", "product_name",
					      "Droplet\n",  "bios_vendor",    "DigitalOcean\n",
					      NULL};
	static const char *const qemu[] = {"sys_vendor", "QEMU\n", "product_name",
					   "Standard PC (i440FX + PIIX, 1996)\n", NULL};
	static const char *const asset_only[] = {"chassis_asset_tag", "Amazon EC2", NULL};

	(void)state;
	assert_string_equal(detect_with("nitro", nitro), "aws");
	assert_string_equal(detect_with("xen", xen), "aws");
	assert_string_equal(detect_with("plainxen", plain_xen), "unknown");
	assert_string_equal(detect_with("gce", gce), "gcp");
	assert_string_equal(detect_with("droplet", droplet), "digitalocean");
	assert_string_equal(detect_with("qemu", qemu), "unknown");
	assert_string_equal(detect_with("asset", asset_only), "aws");
	assert_string_equal(detect_with("empty", NULL), "unknown");
	assert_string_equal(cloud_detect_at("/nonexistent/root"), "unknown");
	assert_string_equal(cloud_name_canonical("gcp"), "gcp");
	assert_null(cloud_name_canonical("azure"));
	assert_null(cloud_name_canonical(NULL));
}

/* --- user-data ---------------------------------------------------------------- */

static void ud_init(struct cloud_userdata_opts *u, const char *cloud)
{
	memset(u, 0, sizeof(*u));
	u->cloud = cloud;
	u->agent_url = "https://example.com/dl/bootrino";
	u->agent_sha256 = SHA;
	u->script_url = "https://example.com/bootrino.sh";
	u->pubkeys[0] = KEY1;
	u->n_pubkeys = 1;
}

/* Run `sh -n` on text; 0 when the syntax is fine. */
static int sh_syntax(const char *text)
{
	char path[128], cmd[256];

	snprintf(path, sizeof(path), "%s/ud.sh", tmpdir);
	write_file(tmpdir, "ud.sh", text);
	snprintf(cmd, sizeof(cmd), "sh -n '%s' 2>/dev/null", path);
	return system(cmd); // NOLINT(cert-env33-c): the point is to ask sh
}

/* The value sh gives variable var after the script's assignments. */
static void sh_value(const char *script, const char *var, char *out, size_t outlen)
{
	const char *end = strstr(script, "\numask");
	char cmd[256];
	char *head;
	FILE *p;
	size_t n;

	assert_non_null(end);
	head = strndup(script, (size_t)(end - script + 1));
	write_file(tmpdir, "assign.sh", head);
	free(head);
	snprintf(cmd, sizeof(cmd), "sh -c '. %s/assign.sh; printf %%s \"$%s\"'", tmpdir, var);
	p = popen(cmd, "r"); // NOLINT(cert-env33-c): the point is to ask sh
	assert_non_null(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
}

static void test_userdata_script(void **state)
{
	struct cloud_userdata_opts u;
	char *out = NULL, val[512];
	size_t len = 0;

	(void)state;
	ud_init(&u, "aws");
	u.pubkeys[1] = KEY2;
	u.n_pubkeys = 2;
	assert_int_equal(cloud_userdata_generate(&u, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	assert_true(!strncmp(out, "#!/bin/sh\n", 10));
	assert_int_equal(sh_syntax(out), 0);
	assert_non_null(strstr(out, "AGENT_SHA256=" SHA "\n"));
	assert_non_null(strstr(out, "sha256sum -c"));
	assert_non_null(strstr(out, "--pubkey '" KEY1 "'"));
	assert_non_null(strstr(out, "--pubkey '" KEY2 "'"));
	assert_non_null(strstr(out, "/var/log/bootrino-userdata.log"));
	assert_non_null(strstr(out, "curl "));
	assert_non_null(strstr(out, "wget "));
	assert_null(strstr(out, "--direct"));
	assert_null(strstr(out, "--no-install"));
	assert_null(strstr(out, "\t--cacert"));
	assert_null(strstr(out, "BOOTRINO_CA_EOF"));
	sh_value(out, "AGENT_URL", val, sizeof(val));
	assert_string_equal(val, "https://example.com/dl/bootrino");
	free(out);

	/* quotes and shell syntax in a URL stay data */
	ud_init(&u, "generic");
	u.script_url = "https://example.com/a'b/$(reboot)`id`;x=\"y\"/bootrino.sh";
	u.direct = 1;
	u.no_install = 1;
	u.agent_sha256 = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
	assert_int_equal(cloud_userdata_generate(&u, &out, &len), 0);
	assert_int_equal(sh_syntax(out), 0);
	sh_value(out, "SCRIPT_URL", val, sizeof(val));
	assert_string_equal(val, u.script_url);
	sh_value(out, "AGENT_SHA256", val, sizeof(val));
	assert_string_equal(val, SHA); /* lower-cased for sha256sum -c */
	assert_non_null(strstr(out, "--direct"));
	/* userdata --no-install: takeover writes no disk */
	assert_non_null(strstr(out, "\t--no-install"));
	free(out);
}

static void test_userdata_duplicate_keys(void **state)
{
	struct cloud_userdata_opts u;
	char *out = NULL, *first;

	(void)state;
	ud_init(&u, "gcp");
	u.pubkeys[1] = KEY1;
	u.n_pubkeys = 2;
	assert_int_equal(cloud_userdata_generate(&u, &out, NULL), 0);
	first = strstr(out, KEY1);
	assert_non_null(first);
	assert_null(strstr(first + 1, KEY1));
	free(out);
}

static void test_userdata_cloud_config(void **state)
{
	struct cloud_userdata_opts u;
	char *out = NULL, *script = NULL, *line, *save = NULL, *copy;

	(void)state;
	ud_init(&u, "digitalocean");
	u.format = CLOUD_USERDATA_CLOUD_CONFIG;
	assert_int_equal(cloud_userdata_generate(&u, &out, NULL), 0);
	assert_true(!strncmp(out, "#cloud-config\n", 14));
	assert_non_null(strstr(out, "\nwrite_files:\n"));
	assert_non_null(strstr(out, "\nruncmd:\n  - [ sh, /run/bootrino-userdata.sh ]\n"));
	/* the literal block, de-indented, is the script itself */
	u.format = CLOUD_USERDATA_SCRIPT;
	assert_int_equal(cloud_userdata_generate(&u, &script, NULL), 0);
	copy = strdup(strstr(out, "    content: |\n") + 15);
	*strstr(copy, "runcmd:") = '\0';
	{
		char *rebuilt = calloc(1, strlen(copy) + 1);
		size_t pos = 0;

		assert_non_null(rebuilt);
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			assert_true(!strncmp(line, "      ", 6));
			memcpy(rebuilt + pos, line + 6, strlen(line + 6));
			pos += strlen(line + 6);
			rebuilt[pos++] = '\n';
		}
		rebuilt[pos] = '\0';
		/* strtok drops blank lines: compare without them */
		{
			char *s2 = calloc(1, strlen(script) + 1), *p, *q = s2;

			for (p = script; *p; p++)
				if (!(*p == '\n' && p > script && p[-1] == '\n'))
					*q++ = *p;
			assert_string_equal(rebuilt, s2);
			free(s2);
		}
		free(rebuilt);
	}
	free(copy);
	free(script);
	free(out);
}

static void test_userdata_validation(void **state)
{
	struct cloud_userdata_opts u;
	char *out = (char *)1;

	(void)state;
#define REFUSED(field, value)                                                                      \
	do {                                                                                       \
		ud_init(&u, "aws");                                                                \
		u.field = value;                                                                   \
		assert_int_equal(cloud_userdata_generate(&u, &out, NULL), -BR_EUSAGE);             \
		assert_null(out);                                                                  \
	} while (0)
	REFUSED(cloud, "azure");
	REFUSED(cloud, NULL);
	REFUSED(agent_url, "ftp://example.com/bootrino");
	REFUSED(agent_url, "file:///bin/sh");
	REFUSED(agent_url, "example.com/bootrino");
	REFUSED(agent_url, "https:///nohost");
	REFUSED(agent_url, "https://example.com/a b");
	REFUSED(agent_url, "https://example.com/a\nb");
	REFUSED(agent_url, "https://example.com/\xc3\xa9");
	REFUSED(agent_url, "");
	REFUSED(script_url, "javascript:alert(1)");
	REFUSED(agent_sha256, "abc");
	REFUSED(agent_sha256, SHA "0");
	REFUSED(agent_sha256, "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	REFUSED(pubkeys[0], "RWQnotakey");
	REFUSED(pubkeys[0], "/etc/passwd");
	REFUSED(pubkeys[0], KEY1 "'; reboot; '");
	REFUSED(n_pubkeys, 0);
	REFUSED(cacert_pem, "not a certificate");
	REFUSED(cacert_pem, "-----BEGIN CERTIFICATE-----\nBOOTRINO_CA_EOF\n");
	REFUSED(cacert_pem, "-----BEGIN CERTIFICATE-----\n\x01\n");
#undef REFUSED
	assert_non_null(strstr(br_errdetail(), "--cacert"));
}

static void test_userdata_limits(void **state)
{
	struct cloud_userdata_opts u;
	char *pem, *out = NULL;
	size_t len = 0, i;

	(void)state;
	assert_int_equal(cloud_userdata_limit("aws"), 16384);
	assert_int_equal(cloud_userdata_limit("gcp"), 262144);
	assert_int_equal(cloud_userdata_limit("digitalocean"), 65536);
	assert_int_equal(cloud_userdata_limit("generic"), 16384);
	assert_int_equal(cloud_userdata_limit("azure"), 0);

	/* a 40 KiB CA bundle: over AWS's and generic's limit, fine for DO/GCP */
	pem = malloc(40 << 10);
	assert_non_null(pem);
	i = (size_t)snprintf(pem, 64, "-----BEGIN CERTIFICATE-----\n");
	for (; i < (40 << 10) - 64; i += 65)
		snprintf(pem + i, 66, "%s\n",
			 "MIIBszCCAVmgAwIBAgIUQ0xwZXJpbWVudGFsIGJvb3RyaW5vIHRlc3QgQ0EwHhcN");
	snprintf(pem + i, 64, "-----END CERTIFICATE-----\n");
	ud_init(&u, "aws");
	u.cacert_pem = pem;
	assert_int_equal(cloud_userdata_generate(&u, &out, &len), -BR_ETOOBIG);
	assert_null(out);
	assert_non_null(strstr(br_errdetail(), "16384-byte limit of aws"));
	u.cloud = "generic";
	assert_int_equal(cloud_userdata_generate(&u, &out, &len), -BR_ETOOBIG);
	u.cloud = "digitalocean";
	assert_int_equal(cloud_userdata_generate(&u, &out, &len), 0);
	assert_true(len > 40000 && len <= 65536);
	assert_int_equal(sh_syntax(out), 0);
	assert_non_null(strstr(out, "--cacert \"$CACERT\""));
	assert_non_null(strstr(out, "<< 'BOOTRINO_CA_EOF'\n-----BEGIN CERTIFICATE-----\n"));
	free(out);
	u.cloud = "gcp";
	u.format = CLOUD_USERDATA_CLOUD_CONFIG;
	assert_int_equal(cloud_userdata_generate(&u, &out, &len), 0);
	free(out);
	free(pem);
}

/* --- files: instance-data, resolv.conf, authorized_keys ----------------------- */

static const char instance_data[] =
    "{\n"
    " \"_beta_keys\": [\"subplatform\"],\n"
    " \"availability_zone\": \"eu-west-1b\",\n"
    " \"ds\": {\"meta_data\": {\"instance-id\": \"i-0abc\", \"local-hostname\": \"ip-1\"}},\n"
    " \"v1\": {\n"
    "  \"cloud_name\": \"aws\",\n"
    "  \"instance_id\": \"i-0123456789abcdef0\",\n"
    "  \"local_hostname\": \"ip-172-31-5-6\",\n"
    "  \"region\": \"eu-west-1\",\n"
    "  \"availability_zone\": \"eu-west-1b\",\n"
    "  \"public_ssh_keys\": [\"ssh-ed25519 AAAAkey1 a@b\", \"ssh-rsa AAAAkey2 c@d\",\n"
    "                      \"ssh-ed25519 AAAAkey1 a@b\", \"bad\\nkey\", 42]\n"
    " }\n"
    "}\n";

static void test_instance_data(void **state)
{
	cJSON *facts = cJSON_CreateObject(), *keys;

	(void)state;
	assert_int_equal(cloud_instance_data_parse(instance_data, strlen(instance_data), facts), 0);
	assert_string_equal(cJSON_GetObjectItem(facts, "instance_id")->valuestring,
			    "i-0123456789abcdef0");
	assert_string_equal(cJSON_GetObjectItem(facts, "hostname")->valuestring, "ip-172-31-5-6");
	assert_string_equal(cJSON_GetObjectItem(facts, "region")->valuestring, "eu-west-1");
	assert_string_equal(cJSON_GetObjectItem(facts, "zone")->valuestring, "eu-west-1b");
	keys = cJSON_GetObjectItem(facts, "ssh_authorized_keys");
	assert_int_equal(cJSON_GetArraySize(keys), 2);
	assert_string_equal(cJSON_GetArrayItem(keys, 1)->valuestring, "ssh-rsa AAAAkey2 c@d");
	cJSON_Delete(facts);

	facts = cJSON_CreateObject();
	assert_int_equal(cloud_instance_data_parse("{\"v1\": ", 7, facts), -BR_ECONFIG);
	assert_int_equal(cloud_instance_data_parse("[1]", 3, facts), -BR_ECONFIG);
	assert_int_equal(cloud_instance_data_parse("{}", 2, facts), -BR_ECONFIG);
	assert_int_equal(cloud_instance_data_parse("{\"v1\":{}}\0x", 10, facts), -BR_ECONFIG);
	assert_int_equal(cloud_instance_data_parse("{}", CLOUD_INSTANCE_DATA_MAX + 1, facts),
			 -BR_ETOOBIG);
	assert_null(cJSON_GetObjectItem(facts, "instance_id"));
	cJSON_Delete(facts);
}

/* issue 10: each fact by what it is; "no control characters" let
 * "i-1 init=/bin/sh rd.break" through */
static void test_fact_valid(void **state)
{
	(void)state;
	assert_true(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "aws", "i-0123456789abcdef0"));
	assert_true(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "aws", "i-01234567"));
	assert_false(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "aws", "i-1 init=/bin/sh rd.break"));
	assert_false(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "aws", "i-0123456789ABCDEF0"));
	assert_false(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "aws", "i-012345678"));
	/* found by fuzz_facts: shorter than the prefix */
	assert_false(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "aws", ""));
	assert_false(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "aws", "i"));
	assert_true(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "gcp", "4520960131526453040"));
	assert_false(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "gcp", "45209a"));
	assert_true(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "digitalocean", "123456789"));
	assert_true(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "unknown", "iid-local_01.x"));
	assert_false(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "unknown", "a b"));
	assert_false(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "unknown", "a\"b"));
	assert_false(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "unknown", ""));
	{
		/* U+202E, built at run time: a literal would be the very
		 * "Trojan Source" trick the check is about */
		const char rlo[] = {(char)0xe2, (char)0x80, (char)0xae, 0};

		assert_false(cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, "unknown", rlo));
	}
	assert_true(cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, "ip-172-31-5-6.ec2.internal"));
	assert_true(cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, "web1"));
	assert_false(cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, "h;reboot"));
	assert_false(cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, "a..b"));
	assert_false(cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, "-a"));
	assert_false(cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, "a-"));
	assert_false(cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, "a b"));
	assert_true(cloud_fact_valid(CLOUD_FACT_REGION, NULL, "us-central1-a"));
	assert_false(cloud_fact_valid(CLOUD_FACT_REGION, NULL, "EU west"));
	assert_false(cloud_fact_valid(CLOUD_FACT_REGION, NULL, "projects/1/zones/x"));
	assert_true(cloud_fact_valid(CLOUD_FACT_SSH_KEY, NULL, "ssh-ed25519 AAAAC3Nza me@x"));
	assert_true(cloud_fact_valid(CLOUD_FACT_SSH_KEY, NULL,
				     "from=\"10.0.0.1\",no-pty ssh-rsa AAAAB3Nza c"));
	assert_false(cloud_fact_valid(CLOUD_FACT_SSH_KEY, NULL, "not a key"));
	assert_false(cloud_fact_valid(CLOUD_FACT_SSH_KEY, NULL, "ssh-ed25519 AAAA\nssh-rsa AAAA"));
	assert_false(cloud_fact_valid(CLOUD_FACT_SSH_KEY, NULL, "ssh-ed25519 !!!!"));
	assert_false(cloud_fact_valid(CLOUD_FACT_SSH_KEY, NULL, NULL));
}

/* issue 10: documents with \u0000, invalid UTF-8 or duplicate keys */
static void test_instance_data_strict(void **state)
{
	static const char *const bad[] = {
	    "{\"v1\": {\"instance_id\": \"i-1\\u0000x\"}}",
	    "{\"v1\": {\"instance_id\": \"i-1\", \"instance_id\": \"i-2\"}}",
	    "{\"v1\": {\"a\": [{\"k\": 1, \"k\": 2}]}}",
	    "{\"v1\": {\"x\": \"\xc0\xaf\"}}",
	    "{\"v1\": {\"x\": \"\xed\xa0\x80\"}}",     /* a surrogate in UTF-8 */
	    "{\"v1\": {\"x\": \"\xf4\x90\x80\x80\"}}", /* past U+10FFFF */
	};
	cJSON *facts;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		facts = cJSON_CreateObject();
		if (cloud_instance_data_parse(bad[i], strlen(bad[i]), facts) != -BR_ECONFIG)
			fail_msg("accepted: %s", bad[i]);
		cJSON_Delete(facts);
	}
	/* an escaped backslash before "u0000" is not a NUL escape; UTF-8 is fine */
	facts = cJSON_CreateObject();
	assert_int_equal(cloud_instance_data_parse(
			     "{\"v1\": {\"x\": \"a\\\\u0000\", \"y\": \"\xc3\xa9\"}}",
			     strlen("{\"v1\": {\"x\": \"a\\\\u0000\", \"y\": \"\xc3\xa9\"}}"),
			     facts),
			 0);
	cJSON_Delete(facts);
}

static void test_resolv(void **state)
{
	static const char conf[] = "# generated\n"
				   "nameserver 10.0.0.2\n"
				   "nameserver\t2001:db8::53 \r\n"
				   "nameserver 10.0.0.2\n"
				   "search ec2.internal example.com\n"
				   "options edns0 trust-ad\n"
				   "nameserver";
	static const char resolved[] = "nameserver 10.0.2.3\nsearch .\n";
	cJSON *facts = cJSON_CreateObject(), *dns, *ns, *search;

	(void)state;
	assert_int_equal(cloud_resolv_parse(conf, strlen(conf), facts), 0);
	dns = cJSON_GetObjectItem(facts, "dns");
	ns = cJSON_GetObjectItem(dns, "nameservers");
	search = cJSON_GetObjectItem(dns, "search");
	assert_int_equal(cJSON_GetArraySize(ns), 2);
	assert_string_equal(cJSON_GetArrayItem(ns, 0)->valuestring, "10.0.0.2");
	assert_string_equal(cJSON_GetArrayItem(ns, 1)->valuestring, "2001:db8::53");
	assert_int_equal(cJSON_GetArraySize(search), 2);
	assert_string_equal(cJSON_GetArrayItem(search, 1)->valuestring, "example.com");
	cJSON_Delete(facts);

	/* systemd-resolved's files as Debian 13 writes them without search
	 * domains (tests/e2e/test_takeover_trixie.sh): "search ." is the root
	 * domain, not a domain to search */
	facts = cJSON_CreateObject();
	assert_int_equal(cloud_resolv_parse(resolved, strlen(resolved), facts), 0);
	search = cJSON_GetObjectItem(cJSON_GetObjectItem(facts, "dns"), "search");
	assert_int_equal(cJSON_GetArraySize(search), 0);
	cJSON_Delete(facts);
}

static void test_authorized_keys(void **state)
{
	static const char text[] = "# keys\n"
				   "ssh-ed25519 AAAAC3 me@host\r\n"
				   "\n"
				   "   \n"
				   "no-port-forwarding ssh-rsa AAAAB3 other\n"
				   "ssh-ed25519 AAAAC3 me@host\n"
				   "ecdsa-sha2-nistp256 AAAAE2 last";
	cJSON *arr = cJSON_CreateArray();

	(void)state;
	assert_int_equal(cloud_authorized_keys_parse(text, strlen(text), arr), 0);
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	assert_string_equal(cJSON_GetArrayItem(arr, 0)->valuestring, "ssh-ed25519 AAAAC3 me@host");
	assert_string_equal(cJSON_GetArrayItem(arr, 1)->valuestring,
			    "no-port-forwarding ssh-rsa AAAAB3 other");
	assert_string_equal(cJSON_GetArrayItem(arr, 2)->valuestring,
			    "ecdsa-sha2-nistp256 AAAAE2 last");
	cJSON_Delete(arr);
}

static void test_facts_from_files(void **state)
{
	struct cloud_facts_opts o;
	cJSON *facts = NULL, *keys;
	char root[256];

	(void)state;
	snprintf(root, sizeof(root), "%s/fsroot", tmpdir);
	mkdir(root, 0700);
	write_file(root, "sys/class/dmi/id/sys_vendor", "DigitalOcean\n");
	write_file(root, "run/cloud-init/instance-data.json", instance_data);
	write_file(root, "etc/hostname", "fromfile\n");
	write_file(root, "root/.ssh/authorized_keys", "ssh-ed25519 AAAArootkey root@x\n");
	write_file(root, "home/ubuntu/.ssh/authorized_keys", "ssh-rsa AAAAkey2 c@d\n");
	write_file(root, "etc/resolv.conf", "nameserver 127.0.0.53\nsearch x\n");
	write_file(root, "run/systemd/resolve/resolv.conf", "nameserver 10.1.1.1\n");
	cloud_facts_opts_init(&o);
	o.root = root;
	o.metadata = 0;
	o.netlink = 0;
	assert_int_equal(cloud_facts_collect_opts(&o, &facts), 0);
	assert_int_equal(cJSON_GetObjectItem(facts, "version")->valueint, CLOUD_FACTS_VERSION);
	assert_string_equal(cJSON_GetObjectItem(facts, "cloud")->valuestring, "digitalocean");
	/* instance-data wins over /etc/hostname */
	assert_string_equal(cJSON_GetObjectItem(facts, "hostname")->valuestring, "ip-172-31-5-6");
	keys = cJSON_GetObjectItem(facts, "ssh_authorized_keys");
	assert_int_equal(cJSON_GetArraySize(keys), 3);
	assert_string_equal(cJSON_GetArrayItem(keys, 2)->valuestring,
			    "ssh-ed25519 AAAArootkey root@x");
	/* resolved's stub replaced by its upstream list */
	assert_string_equal(
	    cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(facts, "dns"), "nameservers"), 0)
		->valuestring,
	    "10.1.1.1");
	assert_null(cJSON_GetObjectItem(facts, "network"));
	cJSON_Delete(facts);

	/* without instance-data: /etc/hostname */
	snprintf(root, sizeof(root), "%s/fsroot/run/cloud-init/instance-data.json", tmpdir);
	unlink(root);
	snprintf(root, sizeof(root), "%s/fsroot", tmpdir);
	assert_int_equal(cloud_facts_collect_opts(&o, &facts), 0);
	assert_string_equal(cJSON_GetObjectItem(facts, "hostname")->valuestring, "fromfile");
	assert_null(cJSON_GetObjectItem(facts, "instance_id"));
	cJSON_Delete(facts);
}

/* --- metadata documents ------------------------------------------------------------ */

static void test_metadata_parse(void **state)
{
	static const char aws[] =
	    "{\"instanceId\":\"i-0abc\",\"region\":\"eu-west-1\","
	    "\"availabilityZone\":\"eu-west-1b\",\"instanceType\":\"t3.micro\","
	    "\"privateIp\":\"172.31.5.6\",\"accountId\":\"1\"}\n";
	static const char gcp[] =
	    "{\"instance\":{\"id\":7334521912345678901,\"hostname\":\"vm-1.c.p.internal\","
	    "\"zone\":\"projects/1/zones/us-central1-a\",\"attributes\":{\"ssh-keys\":"
	    "\"alice:ssh-ed25519 AAAAalice alice\\nbob:ssh-rsa AAAAbob bob\\n\"}},"
	    "\"project\":{\"attributes\":{\"ssh-keys\":\"carol:ssh-ed25519 AAAAcarol c\"}}}";
	static const char gcp_block[] =
	    "{\"instance\":{\"id\":12345,\"attributes\":{\"block-project-ssh-keys\":\"true\"}},"
	    "\"project\":{\"attributes\":{\"ssh-keys\":\"carol:ssh-ed25519 AAAAcarol c\"}}}";
	static const char dig[] =
	    "{\"droplet_id\":2756294,\"hostname\":\"droplet-1\","
	    "\"region\":\"ams3\",\"public_keys\":[\"ssh-ed25519 AAAAdo do\"]}";
	cJSON *o = cJSON_CreateObject(), *keys;

	(void)state;
	assert_int_equal(cloud_metadata_parse("aws-identity", aws, strlen(aws), o), 0);
	assert_string_equal(cJSON_GetObjectItem(o, "instance_id")->valuestring, "i-0abc");
	assert_string_equal(cJSON_GetObjectItem(o, "zone")->valuestring, "eu-west-1b");
	cJSON_Delete(o);

	o = cJSON_CreateObject();
	assert_int_equal(cloud_metadata_parse("gcp", gcp, strlen(gcp), o), 0);
	/* beyond 2^53 a JSON number is not exact: left to the text endpoint */
	assert_null(cJSON_GetObjectItem(o, "instance_id"));
	assert_string_equal(cJSON_GetObjectItem(o, "zone")->valuestring, "us-central1-a");
	assert_string_equal(cJSON_GetObjectItem(o, "region")->valuestring, "us-central1");
	keys = cJSON_GetObjectItem(o, "public_keys");
	assert_int_equal(cJSON_GetArraySize(keys), 3);
	assert_string_equal(cJSON_GetArrayItem(keys, 0)->valuestring,
			    "ssh-ed25519 AAAAalice alice");
	assert_string_equal(cJSON_GetArrayItem(keys, 2)->valuestring, "ssh-ed25519 AAAAcarol c");
	cJSON_Delete(o);

	o = cJSON_CreateObject();
	assert_int_equal(cloud_metadata_parse("gcp", gcp_block, strlen(gcp_block), o), 0);
	assert_string_equal(cJSON_GetObjectItem(o, "instance_id")->valuestring, "12345");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "public_keys")), 0);
	cJSON_Delete(o);

	o = cJSON_CreateObject();
	assert_int_equal(cloud_metadata_parse("digitalocean", dig, strlen(dig), o), 0);
	assert_string_equal(cJSON_GetObjectItem(o, "instance_id")->valuestring, "2756294");
	assert_string_equal(cJSON_GetObjectItem(o, "region")->valuestring, "ams3");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "public_keys")), 1);

	/* strict: trailing bytes, NUL, not an object, missing id, oversize */
	assert_int_equal(cloud_metadata_parse("digitalocean", "{} x", 4, o), -BR_EMALFORMED);
	assert_int_equal(cloud_metadata_parse("digitalocean", "{}\0", 3, o), -BR_EMALFORMED);
	assert_int_equal(cloud_metadata_parse("digitalocean", "[]", 2, o), -BR_EMALFORMED);
	assert_int_equal(cloud_metadata_parse("digitalocean", "{\"droplet_id\":1.5}", 18, o),
			 -BR_EMALFORMED);
	/* a string of digits, as a droplet served cloud-init (DO_META in its
	 * tests/unittests/sources/test_digitalocean.py); anything else not */
	assert_int_equal(
	    cloud_metadata_parse("digitalocean", "{\"droplet_id\":\"22532410\"}", 25, o), 0);
	assert_string_equal(cJSON_GetObjectItem(o, "instance_id")->valuestring, "22532410");
	assert_int_equal(cloud_metadata_parse("digitalocean", "{\"droplet_id\":\"1 x\"}", 20, o),
			 -BR_EMALFORMED);
	assert_int_equal(cloud_metadata_parse("digitalocean", "{\"droplet_id\":\"\"}", 17, o),
			 -BR_EMALFORMED);
	assert_int_equal(cloud_metadata_parse("aws-identity", "{}", 2, o), -BR_EMALFORMED);
	assert_int_equal(cloud_metadata_parse("gcp", "{\"instance\":1}", 14, o), -BR_EMALFORMED);
	assert_int_equal(cloud_metadata_parse("gcp", "{}", CLOUD_METADATA_MAX + 1, o), -BR_ETOOBIG);
	assert_int_equal(cloud_metadata_parse("azure", "{}", 2, o), -EINVAL);
	cJSON_Delete(o);
}

/* Parse doc as cloud `what` and return how many keys it yields; *first
 * gets the first one. */
static int keys_of_doc(const char *what, const char *doc, const char **first, cJSON **hold)
{
	cJSON *keys;

	*first = NULL;
	*hold = cJSON_CreateObject();
	if (cloud_metadata_parse(what, doc, strlen(doc), *hold) < 0)
		return -1;
	keys = cJSON_GetObjectItem(*hold, "public_keys");
	*first = cJSON_GetArraySize(keys) ? cJSON_GetArrayItem(keys, 0)->valuestring : NULL;
	return cJSON_GetArraySize(keys);
}

/* Which ssh keys apply, as each cloud's own agents decide. Sources:
 * GCP: cloud-init cloudinit/sources/DataSourceGCE.py (read_md: instance
 * "sshKeys" and "ssh-keys", project keys unless block-project-ssh-keys
 * lower-cases to "true" or the instance has legacy "sshKeys";
 * _parse_public_keys: "user:key" lines, ASCII only; _has_expired:
 * "google-ssh {"expireOn":"%Y-%m-%dT%H:%M:%S+0000"}"), Google's guest
 * agent (block-project-ssh-keys read with Go's strconv.ParseBool: "1",
 * "t", "T" block too) and Google's key format documentation
 * (cloud.google.com/compute/docs/connect/add-ssh-keys: USERNAME:KEY and the
 * expiring form). DigitalOcean: the metadata API (public_keys, a list) and
 * cloud-init's normalize_pubkey_data (cloudinit/sources/__init__.py: a
 * string of lines, a list, or an object of strings or lists). */
static void test_metadata_cloud_shapes(void **state)
{
	static const struct {
		const char *what, *doc, *first;
		int n;
	} cases[] = {
	    /* GCP: "True" blocks project keys (cloud-init lower-cases) */
	    {"gcp",
	     "{\"instance\":{\"attributes\":{\"block-project-ssh-keys\":\"True\",\"ssh-keys\":"
	     "\"a:ssh-ed25519 AAAAi i\"}},\"project\":{\"attributes\":{\"ssh-keys\":"
	     "\"p:ssh-ed25519 AAAAp p\"}}}",
	     "ssh-ed25519 AAAAi i", 1},
	    /* "1" blocks them too (the guest agent's ParseBool); "false" does not */
	    {"gcp",
	     "{\"instance\":{\"attributes\":{\"block-project-ssh-keys\":\"1\"}},"
	     "\"project\":{\"attributes\":{\"ssh-keys\":\"p:ssh-ed25519 AAAAp p\"}}}",
	     NULL, 0},
	    {"gcp",
	     "{\"instance\":{\"attributes\":{\"block-project-ssh-keys\":\"false\"}},"
	     "\"project\":{\"attributes\":{\"ssh-keys\":\"p:ssh-ed25519 AAAAp p\"}}}",
	     "ssh-ed25519 AAAAp p", 1},
	    /* the legacy instance "sshKeys" applies and blocks project keys */
	    {"gcp",
	     "{\"instance\":{\"attributes\":{\"sshKeys\":\"old:ssh-rsa AAAAold old\"}},"
	     "\"project\":{\"attributes\":{\"ssh-keys\":\"p:ssh-ed25519 AAAAp p\","
	     "\"sshKeys\":\"q:ssh-ed25519 AAAAq q\"}}}",
	     "ssh-rsa AAAAold old", 1},
	    /* project "sshKeys" (legacy) next to "ssh-keys" */
	    {"gcp",
	     "{\"instance\":{\"attributes\":{}},\"project\":{\"attributes\":{"
	     "\"ssh-keys\":\"p:ssh-ed25519 AAAAp p\",\"sshKeys\":\"q:ssh-ed25519 AAAAq q\"}}}",
	     "ssh-ed25519 AAAAp p", 2},
	    /* expired keys are dropped, future and undated ones kept; lines
	     * without "user:" and with non-ASCII bytes are skipped */
	    {"gcp",
	     "{\"instance\":{\"attributes\":{\"ssh-keys\":"
	     "\"u:ecdsa-sha2-nistp256 AAAAold google-ssh {\\\"userName\\\":\\\"u@x\\\","
	     "\\\"expireOn\\\":\\\"2018-12-04T20:12:00+0000\\\"}\\n"
	     "u:ssh-rsa AAAAnew google-ssh {\\\"userName\\\":\\\"u@x\\\","
	     "\\\"expireOn\\\":\\\"2099-01-01T00:00:00+0000\\\"}\\n"
	     "nouser-ssh-rsa AAAAx\\nv:ssh-rsa AAAA\u00e9 v\\n"
	     "w:ssh-rsa AAAAw google-ssh {\\\"userName\\\":\\\"w@x\\\"}\\n\"}}}",
	     "ssh-rsa AAAAnew google-ssh "
	     "{\"userName\":\"u@x\",\"expireOn\":\"2099-01-01T00:00:00+0000\"}",
	     2},
	    /* DigitalOcean: a list (the metadata API), a string of lines, an object */
	    {"digitalocean",
	     "{\"droplet_id\":1,\"public_keys\":[\"ssh-rsa AAAAa a\",\"ssh-rsa AAAAb b\"]}",
	     "ssh-rsa AAAAa a", 2},
	    {"digitalocean",
	     "{\"droplet_id\":1,\"public_keys\":\"ssh-rsa AAAAa a\\nssh-rsa AAAAb b\\n\"}",
	     "ssh-rsa AAAAa a", 2},
	    {"digitalocean",
	     "{\"droplet_id\":1,\"public_keys\":{\"k1\":\"ssh-rsa AAAAa a\",\"k2\":[\"ssh-rsa "
	     "AAAAb b\","
	     "\"\",\"ssh-rsa AAAAc c\"]}}",
	     "ssh-rsa AAAAa a", 3},
	    {"digitalocean", "{\"droplet_id\":1,\"public_keys\":null}", NULL, 0},
	};
	const char *first;
	cJSON *hold;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = keys_of_doc(cases[i].what, cases[i].doc, &first, &hold);

		if (n != cases[i].n ||
		    (cases[i].first && (!first || strcmp(first, cases[i].first) != 0)))
			fail_msg("case %zu: %d keys (want %d), first '%s' (want '%s')", i, n,
				 cases[i].n, first ? first : "",
				 cases[i].first ? cases[i].first : "");
		cJSON_Delete(hold);
	}
}

static void test_metadata_refuses_link_local_elsewhere(void **state)
{
	cJSON *o = NULL;

	(void)state;
	/* this test machine is no cloud instance: without a URL nothing is sent */
	if (strcmp(cloud_detect(), "unknown") != 0)
		skip();
	assert_int_equal(cloud_metadata_fetch("aws", NULL, 1, &o), -BR_EUSAGE);
	assert_null(o);
	assert_int_equal(cloud_metadata_fetch("azure", "http://127.0.0.1:1", 1, &o), -BR_EUSAGE);
	assert_int_equal(cloud_metadata_fetch("gcp", "ftp://127.0.0.1:1", 1, &o), -BR_EUSAGE);
}

/* --- netlink ---------------------------------------------------------------------- */

struct nlbuf {
	_Alignas(8) char b[8192];
	size_t len;
	struct nlmsghdr *cur;
};

static void *nl_begin(struct nlbuf *nb, int type, const void *hdr, size_t hlen)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(nb->b + nb->len);

	memset(h, 0, NLMSG_SPACE(hlen));
	h->nlmsg_type = (unsigned short)type;
	h->nlmsg_len = NLMSG_LENGTH(hlen);
	h->nlmsg_flags = NLM_F_MULTI;
	memcpy(NLMSG_DATA(h), hdr, hlen);
	nb->cur = h;
	return h;
}

static void nl_attr(struct nlbuf *nb, int type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nb->cur + NLMSG_ALIGN(nb->cur->nlmsg_len));

	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nb->cur->nlmsg_len = NLMSG_ALIGN(nb->cur->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static void nl_end(struct nlbuf *nb)
{
	nb->len += NLMSG_ALIGN(nb->cur->nlmsg_len);
}

static void nl_done(struct nlbuf *nb)
{
	int zero = 0;

	nl_begin(nb, NLMSG_DONE, &zero, sizeof(zero));
	nl_end(nb);
}

static void test_netlink_links_addrs(void **state)
{
	struct nlbuf nb = {.len = 0};
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
				.ifi_index = 2,
				.ifi_flags = IFF_UP | 0x10000 /* IFF_LOWER_UP */};
	struct ifaddrmsg ifa = {.ifa_family = AF_INET,
				.ifa_prefixlen = 20,
				.ifa_scope = RT_SCOPE_UNIVERSE,
				.ifa_index = 2};
	const unsigned char mac[6] = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
	unsigned mtu = 9001;
	struct in_addr a4;
	struct in6_addr a6;
	cJSON *net = cJSON_CreateObject(), *l, *a;

	(void)state;
	nl_begin(&nb, RTM_NEWLINK, &ifi, sizeof(ifi));
	nl_attr(&nb, IFLA_IFNAME, "ens5", 5);
	nl_attr(&nb, IFLA_ADDRESS, mac, 6);
	nl_attr(&nb, IFLA_MTU, &mtu, 4);
	nl_end(&nb);
	/* a link without a name is skipped */
	ifi.ifi_index = 3;
	nl_begin(&nb, RTM_NEWLINK, &ifi, sizeof(ifi));
	nl_end(&nb);
	nl_done(&nb);
	assert_int_equal(cloud_netlink_parse_links(nb.b, nb.len, net), 0);
	l = cJSON_GetArrayItem(cJSON_GetObjectItem(net, "links"), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(net, "links")), 1);
	assert_string_equal(cJSON_GetObjectItem(l, "name")->valuestring, "ens5");
	assert_string_equal(cJSON_GetObjectItem(l, "mac")->valuestring, "02:42:ac:11:00:02");
	assert_int_equal(cJSON_GetObjectItem(l, "mtu")->valueint, 9001);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(l, "up")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(l, "carrier")));

	nb.len = 0;
	inet_pton(AF_INET, "172.31.5.6", &a4);
	nl_begin(&nb, RTM_NEWADDR, &ifa, sizeof(ifa));
	nl_attr(&nb, IFA_ADDRESS, &a4, 4);
	nl_attr(&nb, IFA_LOCAL, &a4, 4);
	nl_end(&nb);
	ifa.ifa_family = AF_INET6;
	ifa.ifa_prefixlen = 64;
	ifa.ifa_flags = IFA_F_PERMANENT;
	inet_pton(AF_INET6, "2001:db8::5", &a6);
	nl_begin(&nb, RTM_NEWADDR, &ifa, sizeof(ifa));
	nl_attr(&nb, IFA_ADDRESS, &a6, 16);
	nl_end(&nb);
	/* wrong address length: skipped */
	nl_begin(&nb, RTM_NEWADDR, &ifa, sizeof(ifa));
	nl_attr(&nb, IFA_ADDRESS, &a4, 4);
	nl_end(&nb);
	nl_done(&nb);
	assert_int_equal(cloud_netlink_parse_addrs(nb.b, nb.len, net), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(net, "addresses")), 2);
	a = cJSON_GetArrayItem(cJSON_GetObjectItem(net, "addresses"), 0);
	assert_string_equal(cJSON_GetObjectItem(a, "address")->valuestring, "172.31.5.6");
	assert_int_equal(cJSON_GetObjectItem(a, "prefix")->valueint, 20);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(a, "dynamic")));
	a = cJSON_GetArrayItem(cJSON_GetObjectItem(net, "addresses"), 1);
	assert_string_equal(cJSON_GetObjectItem(a, "family")->valuestring, "inet6");
	assert_string_equal(cJSON_GetObjectItem(a, "address")->valuestring, "2001:db8::5");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(a, "dynamic")));
	cJSON_Delete(net);
}

static void test_netlink_routes(void **state)
{
	struct nlbuf nb = {.len = 0};
	struct rtmsg rtm = {.rtm_family = AF_INET,
			    .rtm_table = RT_TABLE_MAIN,
			    .rtm_protocol = RTPROT_DHCP,
			    .rtm_scope = RT_SCOPE_UNIVERSE,
			    .rtm_type = RTN_UNICAST,
			    .rtm_flags = RTNH_F_ONLINK};
	struct in_addr gw, dst;
	int oif = 2;
	unsigned metric = 100;
	cJSON *net = cJSON_CreateObject(), *r, *hops;
	char mp[64];
	struct rtnexthop *nh;
	struct rtattr *rta;

	(void)state;
	/* GCP style: default via a gateway outside the /32, on-link */
	inet_pton(AF_INET, "10.128.0.1", &gw);
	nl_begin(&nb, RTM_NEWROUTE, &rtm, sizeof(rtm));
	nl_attr(&nb, RTA_GATEWAY, &gw, 4);
	nl_attr(&nb, RTA_OIF, &oif, 4);
	nl_attr(&nb, RTA_PRIORITY, &metric, 4);
	nl_end(&nb);
	/* a local-table route is not configuration */
	rtm.rtm_table = RT_TABLE_LOCAL;
	rtm.rtm_type = RTN_LOCAL;
	nl_begin(&nb, RTM_NEWROUTE, &rtm, sizeof(rtm));
	nl_end(&nb);
	/* 10.0.0.0/8 over two next hops */
	rtm.rtm_table = RT_TABLE_MAIN;
	rtm.rtm_type = RTN_UNICAST;
	rtm.rtm_flags = 0;
	rtm.rtm_dst_len = 8;
	inet_pton(AF_INET, "10.0.0.0", &dst);
	memset(mp, 0, sizeof(mp));
	nh = (struct rtnexthop *)(void *)mp;
	nh->rtnh_len = RTNH_LENGTH(RTA_LENGTH(4));
	nh->rtnh_ifindex = 2;
	nh->rtnh_flags = RTNH_F_ONLINK;
	rta = RTNH_DATA(nh);
	rta->rta_type = RTA_GATEWAY;
	rta->rta_len = RTA_LENGTH(4);
	inet_pton(AF_INET, "10.0.0.1", RTA_DATA(rta));
	nh = (struct rtnexthop *)(void *)(mp + RTNH_ALIGN(nh->rtnh_len));
	nh->rtnh_len = RTNH_LENGTH(0);
	nh->rtnh_ifindex = 3;
	nh->rtnh_hops = 1;
	nl_begin(&nb, RTM_NEWROUTE, &rtm, sizeof(rtm));
	nl_attr(&nb, RTA_DST, &dst, 4);
	nl_attr(&nb, RTA_MULTIPATH, mp, 2 * RTNH_LENGTH(0) + RTA_LENGTH(4));
	nl_end(&nb);
	nl_done(&nb);
	assert_int_equal(cloud_netlink_parse_routes(nb.b, nb.len, net), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(net, "routes")), 2);
	r = cJSON_GetArrayItem(cJSON_GetObjectItem(net, "routes"), 0);
	assert_string_equal(cJSON_GetObjectItem(r, "dst")->valuestring, "default");
	assert_string_equal(cJSON_GetObjectItem(r, "gateway")->valuestring, "10.128.0.1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r, "onlink")));
	assert_int_equal(cJSON_GetObjectItem(r, "index")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(r, "metric")->valueint, 100);
	assert_string_equal(cJSON_GetObjectItem(r, "protocol")->valuestring, "dhcp");
	r = cJSON_GetArrayItem(cJSON_GetObjectItem(net, "routes"), 1);
	assert_string_equal(cJSON_GetObjectItem(r, "dst")->valuestring, "10.0.0.0/8");
	hops = cJSON_GetObjectItem(r, "nexthops");
	assert_int_equal(cJSON_GetArraySize(hops), 2);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(hops, 0), "gateway")->valuestring, "10.0.0.1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(hops, 0), "onlink")));
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(hops, 1), "index")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(hops, 1), "weight")->valueint, 2);
	cJSON_Delete(net);
}

static void test_netlink_malformed(void **state)
{
	struct nlbuf nb = {.len = 0};
	struct rtmsg rtm = {.rtm_family = AF_INET};
	struct nlmsgerr err = {.error = -EPERM};
	cJSON *net = cJSON_CreateObject();

	(void)state;
	nl_begin(&nb, RTM_NEWROUTE, &rtm, sizeof(rtm));
	nl_end(&nb);
	/* claims more bytes than there are */
	assert_int_equal(cloud_netlink_parse_routes(nb.b, nb.len - 4, net), -BR_EMALFORMED);
	nb.len = 0;
	nl_begin(&nb, NLMSG_ERROR, &err, sizeof(err));
	nl_end(&nb);
	assert_int_equal(cloud_netlink_parse_links(nb.b, nb.len, net), -EPERM);
	/* a few stray bytes (shorter than a header) are ignored */
	assert_int_equal(cloud_netlink_parse_addrs("abc", 3, net), 0);
	cJSON_Delete(net);
}

static void test_netlink_live(void **state)
{
	cJSON *net = cJSON_CreateObject(), *arr;
	int lo = 0, i;

	(void)state;
	assert_int_equal(cloud_netlink_collect(net), 0);
	arr = cJSON_GetObjectItem(net, "links");
	for (i = 0; i < cJSON_GetArraySize(arr); i++)
		if (!strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, i), "name")->valuestring,
			    "lo"))
			lo = 1;
	assert_true(lo);
	arr = cJSON_GetObjectItem(net, "addresses");
	for (i = 0; i < cJSON_GetArraySize(arr); i++)
		assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, i), "link"));
	cJSON_Delete(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_userdata_script),
	    cmocka_unit_test(test_userdata_duplicate_keys),
	    cmocka_unit_test(test_userdata_cloud_config),
	    cmocka_unit_test(test_userdata_validation),
	    cmocka_unit_test(test_userdata_limits),
	    cmocka_unit_test(test_instance_data),
	    cmocka_unit_test(test_fact_valid),
	    cmocka_unit_test(test_instance_data_strict),
	    cmocka_unit_test(test_resolv),
	    cmocka_unit_test(test_authorized_keys),
	    cmocka_unit_test(test_facts_from_files),
	    cmocka_unit_test(test_metadata_parse),
	    cmocka_unit_test(test_metadata_cloud_shapes),
	    cmocka_unit_test(test_metadata_refuses_link_local_elsewhere),
	    cmocka_unit_test(test_netlink_links_addrs),
	    cmocka_unit_test(test_netlink_routes),
	    cmocka_unit_test(test_netlink_malformed),
	    cmocka_unit_test(test_netlink_live),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
