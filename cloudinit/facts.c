/* Facts of this machine (docs/facts.md): what the target needs to come
 * up as the same instance — hostname, instance id, ssh keys, network.
 *
 * Sources, best first: cloud-init's instance-data.json (what the cloud
 * said, already parsed by cloud-init), the cloud's metadata service, then
 * plain files (/etc/hostname, authorized_keys). Network state comes from
 * the kernel over netlink, DNS from resolv.conf. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloudinit/cloudinit.h"
#include "cloudinit/text.h"
#include "common/err.h"
#include "common/file.h"
#include "common/log.h"

#define FILE_MAX (1u << 20)
#define KEYS_MAX 64
#define KEY_LINE_MAX 16384
#define HOSTNAME_MAX 253

void cloud_facts_opts_init(struct cloud_facts_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->metadata = 1;
	o->netlink = 1;
}

/* Read root/path (at most cap bytes) into a NUL-terminated buffer. */
static int read_file(const char *root, const char *path, size_t cap, char **out, size_t *len)
{
	char full[PATH_MAX];

	*out = NULL;
	*len = 0;
	if ((size_t)snprintf(full, sizeof(full), "%s%s", strcmp(root, "/") != 0 ? root : "",
			     path) >= sizeof(full))
		return -ENAMETOOLONG;
	return br_file_read(full, cap, 0, -BR_ETOOBIG, out, len);
}

static int array_has(const cJSON *arr, const char *s)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr) if (cJSON_IsString(it) && !strcmp(it->valuestring, s)) return 1;
	return 0;
}

static int add_key(cJSON *arr, const char *key)
{
	if (!cloud_text_valid(key, KEY_LINE_MAX) ||
	    !cloud_fact_valid(CLOUD_FACT_SSH_KEY, NULL, key) || array_has(arr, key))
		return 0;
	if (cJSON_GetArraySize(arr) >= KEYS_MAX)
		return 0;
	return cJSON_AddItemToArray(arr, cJSON_CreateString(key)) ? 0 : -ENOMEM;
}

static cJSON *get_array(cJSON *obj, const char *name)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (cJSON_IsArray(arr))
		return arr;
	cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
	return cJSON_AddArrayToObject(obj, name);
}

static int set_string(cJSON *obj, const char *name, const char *val)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
	return cJSON_AddStringToObject(obj, name, val) ? 0 : -ENOMEM;
}

int cloud_authorized_keys_parse(const char *buf, size_t len, cJSON *arr)
{
	const char *line = buf, *end = buf + len, *nl;
	char tmp[KEY_LINE_MAX + 1];
	int rc;

	while (line < end) {
		size_t n;

		nl = memchr(line, '\n', (size_t)(end - line));
		n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		while (n && (*line == ' ' || *line == '\t')) {
			line++;
			n--;
		}
		if (n && *line != '#' && n <= KEY_LINE_MAX && !memchr(line, '\0', n)) {
			memcpy(tmp, line, n);
			tmp[n] = '\0';
			if ((rc = add_key(arr, tmp)) < 0)
				return rc;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

int cloud_resolv_parse(const char *buf, size_t len, cJSON *facts)
{
	const char *line = buf, *end = buf + len, *nl;
	cJSON *dns, *ns, *search;
	char tmp[512];

	dns = cJSON_GetObjectItemCaseSensitive(facts, "dns");
	if (!cJSON_IsObject(dns)) {
		cJSON_DeleteItemFromObjectCaseSensitive(facts, "dns");
		dns = cJSON_AddObjectToObject(facts, "dns");
	}
	if (!dns || !(ns = get_array(dns, "nameservers")) || !(search = get_array(dns, "search")))
		return -ENOMEM;
	while (line < end) {
		size_t n;
		char *save = NULL, *tok;

		nl = memchr(line, '\n', (size_t)(end - line));
		n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		if (n < sizeof(tmp) && !memchr(line, '\0', n)) {
			memcpy(tmp, line, n);
			tmp[n] = '\0';
			tok = strtok_r(tmp, " \t\r", &save);
			if (tok && !strcmp(tok, "nameserver")) {
				tok = strtok_r(NULL, " \t\r", &save);
				/* 127.0.0.53 is systemd-resolved's stub: useless in the
				 * target, the caller reads resolved's upstream list. */
				if (tok && cloud_text_valid(tok, 64) && !array_has(ns, tok) &&
				    cJSON_GetArraySize(ns) < 16)
					cJSON_AddItemToArray(ns, cJSON_CreateString(tok));
			} else if (tok && (!strcmp(tok, "search") || !strcmp(tok, "domain"))) {
				/* "." is the root domain: systemd-resolved writes
				 * "search ." when there are no search domains */
				while ((tok = strtok_r(NULL, " \t\r", &save)))
					if (strcmp(tok, ".") != 0 &&
					    cloud_text_valid(tok, HOSTNAME_MAX) &&
					    !array_has(search, tok) &&
					    cJSON_GetArraySize(search) < 8)
						cJSON_AddItemToArray(search,
								     cJSON_CreateString(tok));
			}
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

static const char *obj_string(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(it) && it->valuestring[0] ? it->valuestring : NULL;
}

int cloud_instance_data_parse(const char *buf, size_t len, cJSON *facts)
{
	const cJSON *v1, *keys, *it;
	const char *s;
	cJSON *doc, *arr;
	int rc = 0;

	if (!buf)
		return br_fail(-BR_ECONFIG, "instance-data.json: no data");
	if (len > CLOUD_INSTANCE_DATA_MAX)
		return br_fail(-BR_ETOOBIG, "instance-data.json: larger than %u bytes",
			       CLOUD_INSTANCE_DATA_MAX);
	if (memchr(buf, '\0', len))
		return br_fail(-BR_ECONFIG, "instance-data.json: NUL byte");
	if (cloud_json_prescan("instance-data.json", buf, len))
		return -BR_ECONFIG;
	doc = cJSON_ParseWithLength(buf, len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return br_fail(-BR_ECONFIG, "instance-data.json: not a JSON object");
	}
	if (cloud_json_check_dups("instance-data.json", doc)) {
		cJSON_Delete(doc);
		return -BR_ECONFIG;
	}
	v1 = cJSON_GetObjectItemCaseSensitive(doc, "v1");
	if (!cJSON_IsObject(v1)) {
		rc = br_fail(-BR_ECONFIG, "instance-data.json: no \"v1\" object");
		goto out;
	}
	if ((s = obj_string(v1, "instance_id")) &&
	    cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, obj_string(facts, "cloud"), s))
		rc = set_string(facts, "instance_id", s);
	if (!rc && (s = obj_string(v1, "local_hostname")) &&
	    cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, s))
		rc = set_string(facts, "hostname", s);
	if (!rc && (s = obj_string(v1, "cloud_name")) && cloud_text_valid(s, 64))
		rc = set_string(facts, "cloud_init_cloud_name", s);
	if (!rc && (s = obj_string(v1, "region")) && cloud_fact_valid(CLOUD_FACT_REGION, NULL, s))
		rc = set_string(facts, "region", s);
	if (!rc && (s = obj_string(v1, "availability_zone")) &&
	    cloud_fact_valid(CLOUD_FACT_REGION, NULL, s))
		rc = set_string(facts, "zone", s);
	keys = cJSON_GetObjectItemCaseSensitive(v1, "public_ssh_keys");
	if (!rc && cJSON_IsArray(keys)) {
		if (!(arr = get_array(facts, "ssh_authorized_keys"))) {
			rc = -ENOMEM;
			goto out;
		}
		cJSON_ArrayForEach(it, keys) if (cJSON_IsString(it) &&
						 (rc = add_key(arr, it->valuestring)) < 0) break;
	}
out:
	cJSON_Delete(doc);
	return rc;
}

/* --- collection --------------------------------------------------------- */

static void collect_instance_data(const char *root, cJSON *facts, cJSON *sources)
{
	char *buf = NULL;
	size_t len = 0;

	if (read_file(root, "/run/cloud-init/instance-data.json", CLOUD_INSTANCE_DATA_MAX, &buf,
		      &len) < 0)
		return;
	if (cloud_instance_data_parse(buf, len, facts) == 0)
		cJSON_AddItemToArray(sources, cJSON_CreateString("cloud-init"));
	else
		br_debug("facts: ignoring instance-data.json: %s", br_errdetail());
	free(buf);
}

static void collect_hostname(const char *root, cJSON *facts)
{
	char name[HOSTNAME_MAX + 1], *buf = NULL, *nl;
	size_t len = 0;

	if (obj_string(facts, "hostname"))
		return;
	if (read_file(root, "/etc/hostname", 4096, &buf, &len) == 0 && buf) {
		nl = strpbrk(buf, "\r\n");
		if (nl)
			*nl = '\0';
		if (cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, buf))
			set_string(facts, "hostname", buf);
		free(buf);
	}
	if (!obj_string(facts, "hostname") && !strcmp(root, "/") &&
	    gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		if (cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, name))
			set_string(facts, "hostname", name);
	}
}

/* The default users of the stock images whose keys the cloud installs. */
static const char *const key_files[] = {
    "/root/.ssh/authorized_keys",	   "/home/ubuntu/.ssh/authorized_keys",
    "/home/admin/.ssh/authorized_keys",	   "/home/debian/.ssh/authorized_keys",
    "/home/ec2-user/.ssh/authorized_keys",
};

static void collect_key_files(const char *root, cJSON *facts)
{
	cJSON *arr = get_array(facts, "ssh_authorized_keys");
	size_t i, len = 0;
	char *buf = NULL;

	if (!arr)
		return;
	for (i = 0; i < sizeof(key_files) / sizeof(key_files[0]); i++) {
		if (read_file(root, key_files[i], FILE_MAX, &buf, &len) < 0)
			continue;
		cloud_authorized_keys_parse(buf, len, arr);
		free(buf);
	}
}

static void collect_dns(const char *root, cJSON *facts)
{
	cJSON *dns, *ns, *it;
	char *buf = NULL;
	size_t len = 0;
	int stub = 0;

	if (read_file(root, "/etc/resolv.conf", FILE_MAX, &buf, &len) == 0) {
		cloud_resolv_parse(buf, len, facts);
		free(buf);
	}
	dns = cJSON_GetObjectItemCaseSensitive(facts, "dns");
	ns = cJSON_GetObjectItemCaseSensitive(dns, "nameservers");
	cJSON_ArrayForEach(it, ns) if (cJSON_IsString(it) && !strcmp(it->valuestring, "127.0.0.53"))
	    stub = 1;
	if (!stub && dns)
		return;
	/* systemd-resolved: its upstream servers are what the target needs */
	if (read_file(root, "/run/systemd/resolve/resolv.conf", FILE_MAX, &buf, &len) == 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(facts, "dns");
		cloud_resolv_parse(buf, len, facts);
		free(buf);
	}
}

/* Metadata answers fill what instance-data did not say. */
static void merge_metadata(cJSON *facts, cJSON *md)
{
	static const struct {
		const char *name;
		enum cloud_fact kind;
	} fields[] = {
	    {"instance_id", CLOUD_FACT_INSTANCE_ID},
	    {"hostname", CLOUD_FACT_HOSTNAME},
	    {"region", CLOUD_FACT_REGION},
	    {"zone", CLOUD_FACT_REGION},
	};
	cJSON *keys, *it, *arr;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = obj_string(md, fields[i].name);

		if (!v)
			continue;
		/* a value that is not what it claims to be goes nowhere, not
		 * even into the carried "metadata" object */
		if (!cloud_fact_valid(fields[i].kind, obj_string(facts, "cloud"), v)) {
			cJSON_DeleteItemFromObjectCaseSensitive(md, fields[i].name);
			continue;
		}
		if (!obj_string(facts, fields[i].name))
			set_string(facts, fields[i].name, v);
	}
	keys = cJSON_GetObjectItemCaseSensitive(md, "public_keys");
	arr = get_array(facts, "ssh_authorized_keys");
	if (arr)
		cJSON_ArrayForEach(it, keys) if (cJSON_IsString(it)) add_key(arr, it->valuestring);
	if (cJSON_IsArray(keys)) {
		int j;

		for (j = cJSON_GetArraySize(keys) - 1; j >= 0; j--) {
			it = cJSON_GetArrayItem(keys, j);
			if (!cJSON_IsString(it) ||
			    !cloud_fact_valid(CLOUD_FACT_SSH_KEY, NULL, it->valuestring))
				cJSON_DeleteItemFromArray(keys, j);
		}
	}
}

/* DigitalOcean configures a droplet's network from the metadata: before
 * that there may be no address at all, and the service answers on the
 * public link to any 169.254.0.0/16 address (cloudinit/linklocal.c). */
static int fetch_metadata(const struct cloud_facts_opts *o, const char *cloud, cJSON **md)
{
	const char *url = o->metadata_url ? o->metadata_url : CLOUD_METADATA_DEFAULT_URL;
	unsigned timeout_s = o->timeout_s ? o->timeout_s : 5;
	struct cloud_linklocal ll;
	char detail[512];
	int rc, rc2;

	if (strcmp(cloud, CLOUD_DIGITALOCEAN) != 0 ||
	    (!o->metadata_url && strcmp(cloud_detect(), cloud) != 0) ||
	    !cloud_linklocal_needed(url))
		return cloud_metadata_fetch(cloud, o->metadata_url, timeout_s, md);
	rc = cloud_linklocal_add(o->link_local, &ll);
	if (rc < 0)
		return rc;
	rc = cloud_metadata_fetch(cloud, o->metadata_url, timeout_s, md);
	/* the fetch's failure detail outlives the removal's */
	snprintf(detail, sizeof(detail), "%s", rc < 0 ? br_errdetail() : "");
	rc2 = cloud_linklocal_del(&ll);
	if (rc < 0) {
		br_fail(rc, "%s (through the temporary %s on %s, removed again)", detail, ll.text,
			ll.link);
		cJSON_Delete(*md);
		*md = NULL;
		return rc;
	}
	if (rc2 < 0 || !cJSON_AddStringToObject(*md, "link_local", ll.text) ||
	    !cJSON_AddStringToObject(*md, "link_local_link", ll.link)) {
		cJSON_Delete(*md);
		*md = NULL;
		return rc2 < 0 ? rc2 : -ENOMEM;
	}
	return 0;
}

int cloud_facts_collect_opts(const struct cloud_facts_opts *o, cJSON **out)
{
	const char *root = o->root && *o->root ? o->root : "/";
	const char *cloud = o->cloud ? o->cloud : cloud_detect_at(root);
	cJSON *facts, *sources, *net, *md = NULL;
	int rc;

	*out = NULL;
	facts = cJSON_CreateObject();
	if (!facts)
		return -ENOMEM;
	if (!cJSON_AddNumberToObject(facts, "version", CLOUD_FACTS_VERSION) ||
	    !cJSON_AddStringToObject(facts, "cloud", cloud) ||
	    !(sources = cJSON_AddArrayToObject(facts, "sources")) ||
	    !get_array(facts, "ssh_authorized_keys")) {
		rc = -ENOMEM;
		goto fail;
	}
	collect_instance_data(root, facts, sources);
	if (o->metadata && strcmp(cloud, CLOUD_UNKNOWN) != 0) {
		rc = fetch_metadata(o, cloud, &md);
		if (rc == 0) {
			merge_metadata(facts, md);
			cJSON_AddItemToArray(sources, cJSON_CreateString("metadata"));
			cJSON_AddItemToObject(facts, "metadata", md);
		} else if (o->metadata_required) {
			goto fail;
		} else {
			/* the instance still boots without it: say why in the facts */
			cJSON *err = cJSON_AddObjectToObject(facts, "metadata");

			if (err)
				cJSON_AddStringToObject(err, "error",
							br_errdetail()[0] ? br_errdetail()
									  : br_strerror(rc));
		}
	}
	collect_hostname(root, facts);
	collect_key_files(root, facts);
	cJSON_AddItemToArray(sources, cJSON_CreateString("files"));
	collect_dns(root, facts);
	if (o->netlink) {
		net = cJSON_AddObjectToObject(facts, "network");
		if (!net) {
			rc = -ENOMEM;
			goto fail;
		}
		rc = cloud_netlink_collect(net);
		if (rc < 0)
			goto fail;
		cJSON_AddItemToArray(sources, cJSON_CreateString("netlink"));
	}
	*out = facts;
	return 0;
fail:
	cJSON_Delete(facts);
	return rc;
}

int cloud_facts_collect(cJSON **out)
{
	struct cloud_facts_opts o;

	cloud_facts_opts_init(&o);
	return cloud_facts_collect_opts(&o, out);
}
