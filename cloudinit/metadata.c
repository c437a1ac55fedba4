/* Metadata service clients: AWS IMDSv2, GCP, DigitalOcean.
 *
 * The answers are untrusted input (anything on the instance's link can
 * answer 169.254.169.254): every document is capped, parsed strictly and
 * reduced to the few fields the facts need, each checked.
 *
 * The link-local default is used only on the cloud that cloud_detect()
 * names; anywhere else the caller must pass a base URL (tests pass a
 * server on 127.0.0.1), so this code never probes a network it is not on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cloudinit/cloudinit.h"
#include "cloudinit/text.h"
#include "common/err.h"
#include "common/log.h"
#include "fetch/fetch.h"

#define MD_URL_MAX 1024
#define TOKEN_MAX 512
#define TEXT_MAX 4096
#define ID_MAX 256
#define NAME_MAX_ 253
#define KEY_MAX 16384
#define KEYS_MAX 32

/* --- parsing ---------------------------------------------------------------- */

static const char *str_of(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int put(cJSON *out, const char *name, const char *val, size_t maxlen)
{
	if (!cloud_text_valid(val, maxlen))
		return 0;
	cJSON_DeleteItemFromObjectCaseSensitive(out, name);
	return cJSON_AddStringToObject(out, name, val) ? 0 : -ENOMEM;
}

static cJSON *keys_of(cJSON *out)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(out, "public_keys");

	return cJSON_IsArray(arr) ? arr : cJSON_AddArrayToObject(out, "public_keys");
}

static int add_key(cJSON *arr, const char *key, size_t len)
{
	const cJSON *it;
	char *k;
	int rc = 0;

	while (len && (key[len - 1] == '\r' || key[len - 1] == ' '))
		len--;
	if (!len || len > KEY_MAX || cJSON_GetArraySize(arr) >= KEYS_MAX)
		return 0;
	k = strndup(key, len);
	if (!k)
		return -ENOMEM;
	if (strlen(k) != len || !cloud_text_valid(k, KEY_MAX))
		goto out;
	cJSON_ArrayForEach(it, arr) if (cJSON_IsString(it) && !strcmp(it->valuestring, k)) goto out;
	if (!cJSON_AddItemToArray(arr, cJSON_CreateString(k)))
		rc = -ENOMEM;
out:
	free(k);
	return rc;
}

/* cJSON is lenient about what follows the value; we are not. */
static int parse_strict(const char *what, const char *buf, size_t len, cJSON **out)
{
	const char *end = NULL;
	cJSON *doc;

	*out = NULL;
	if (!buf)
		return br_fail(-BR_EMALFORMED, "%s: no document", what);
	if (len > CLOUD_METADATA_MAX)
		return br_fail(-BR_ETOOBIG, "%s: larger than %u bytes", what, CLOUD_METADATA_MAX);
	if (memchr(buf, '\0', len))
		return br_fail(-BR_EMALFORMED, "%s: NUL byte in JSON", what);
	if (cloud_json_prescan(what, buf, len))
		return -BR_EMALFORMED;
	doc = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!doc)
		return br_fail(-BR_EMALFORMED, "%s: not JSON", what);
	while (end && end < buf + len &&
	       (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
		end++;
	if (!cJSON_IsObject(doc) || !end || end != buf + len) {
		cJSON_Delete(doc);
		return br_fail(-BR_EMALFORMED, "%s: not one JSON object", what);
	}
	if (cloud_json_check_dups(what, doc)) {
		cJSON_Delete(doc);
		return -BR_EMALFORMED;
	}
	*out = doc;
	return 0;
}

/* A JSON number that is an exact integer, as text (ids). */
static int integer_text(const cJSON *n, char *out, size_t outlen)
{
	if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 9007199254740991.0 ||
	    n->valuedouble != (double)(long long)n->valuedouble)
		return -EINVAL;
	snprintf(out, outlen, "%lld", (long long)n->valuedouble);
	return 0;
}

static int parse_aws_identity(const cJSON *doc, cJSON *out)
{
	int rc;

	if (!cloud_text_valid(str_of(doc, "instanceId"), ID_MAX))
		return br_fail(-BR_EMALFORMED, "aws identity document: no instanceId");
	if ((rc = put(out, "instance_id", str_of(doc, "instanceId"), ID_MAX)) < 0 ||
	    (rc = put(out, "region", str_of(doc, "region"), 64)) < 0 ||
	    (rc = put(out, "zone", str_of(doc, "availabilityZone"), 64)) < 0 ||
	    (rc = put(out, "instance_type", str_of(doc, "instanceType"), 64)) < 0 ||
	    (rc = put(out, "private_ip", str_of(doc, "privateIp"), 64)) < 0)
		return rc;
	return 0;
}

/* GCP's key format: "ssh-ed25519 AAAA… google-ssh {"userName":"u",
 * "expireOn":"2018-12-04T20:12:00+0000"}" — such a key stops working at
 * expireOn. As cloud-init's DataSourceGCE (_has_expired): only that exact
 * time format counts; anything else does not expire. */
static int gcp_key_expired(const char *key, size_t len, time_t now)
{
	char buf[KEY_MAX + 1], *save = NULL, *w;
	const char *exp;
	cJSON *doc;
	struct tm tm;
	int i, expired = 0;

	if (len > KEY_MAX)
		return 0;
	memcpy(buf, key, len);
	buf[len] = '\0';
	for (i = 0, w = strtok_r(buf, " \t", &save); w && i < 2; i++)
		w = strtok_r(NULL, " \t", &save);
	if (!w || strcmp(w, "google-ssh") != 0 || !save)
		return 0;
	doc = cJSON_Parse(save);
	exp = str_of(doc, "expireOn");
	memset(&tm, 0, sizeof(tm));
	if (exp && strlen(exp) == 24) {
		const char *end = strptime(exp, "%Y-%m-%dT%H:%M:%S+0000", &tm);

		expired = end && !*end && now > timegm(&tm);
	}
	cJSON_Delete(doc);
	return expired;
}

/* GCP "ssh-keys" values: lines "user:ssh-ed25519 AAAA… comment". Lines
 * without "user:", with bytes outside ASCII or expired are skipped, as
 * cloud-init's DataSourceGCE (_parse_public_keys) does. Unlike it, every
 * user's key is kept: the target has one account, root. */
static int gcp_ssh_keys(const char *val, cJSON *arr)
{
	const char *line = val, *nl, *colon, *p;
	time_t now = time(NULL);
	int rc;

	if (!val)
		return 0;
	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		for (p = line; p < nl && !((unsigned char)*p & 0x80); p++)
			;
		colon = memchr(line, ':', (size_t)(nl - line));
		if (p == nl && colon &&
		    !gcp_key_expired(colon + 1, (size_t)(nl - colon - 1), now) &&
		    (rc = add_key(arr, colon + 1, (size_t)(nl - colon - 1))) < 0)
			return rc;
		if (!*nl)
			break;
	}
	return 0;
}

/* block-project-ssh-keys: cloud-init blocks on value.lower() == "true",
 * Google's guest agent on Go's strconv.ParseBool ("1", "t", "T", "TRUE",
 * "true", "True"). Either one blocking is enough: fewer keys, never more. */
static int gcp_blocks_project_keys(const char *v)
{
	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "t") == 0 ||
		     strcmp(v, "T") == 0);
}

static int parse_gcp(const cJSON *doc, cJSON *out)
{
	const cJSON *inst = cJSON_GetObjectItemCaseSensitive(doc, "instance");
	const cJSON *proj = cJSON_GetObjectItemCaseSensitive(doc, "project");
	const cJSON *iattr = cJSON_GetObjectItemCaseSensitive(inst, "attributes");
	const cJSON *pattr = cJSON_GetObjectItemCaseSensitive(proj, "attributes");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(inst, "id");
	const char *zone = str_of(inst, "zone"), *block;
	char idtext[32], region[72];
	cJSON *keys;
	int rc;

	if (!cJSON_IsObject(inst))
		return br_fail(-BR_EMALFORMED, "gcp metadata: no \"instance\" object");
	/* ids are 64-bit: exact only when below 2^53 (the caller asks the
	 * text endpoint instance/id for the real value) */
	if (cJSON_IsString(id))
		rc = put(out, "instance_id", id->valuestring, ID_MAX);
	else if (integer_text(id, idtext, sizeof(idtext)) == 0)
		rc = put(out, "instance_id", idtext, ID_MAX);
	else
		rc = 0;
	if (rc < 0 || (rc = put(out, "hostname", str_of(inst, "hostname"), NAME_MAX_)) < 0)
		return rc;
	if (zone) {
		/* "projects/123/zones/us-central1-a" */
		const char *z = strrchr(zone, '/') ? strrchr(zone, '/') + 1 : zone;
		const char *dash = strrchr(z, '-');

		if ((rc = put(out, "zone", z, 64)) < 0)
			return rc;
		if (dash && (size_t)(dash - z) < sizeof(region)) {
			memcpy(region, z, (size_t)(dash - z));
			region[dash - z] = '\0';
			if ((rc = put(out, "region", region, 64)) < 0)
				return rc;
		}
	}
	if (!(keys = keys_of(out)))
		return -ENOMEM;
	if ((rc = gcp_ssh_keys(str_of(iattr, "ssh-keys"), keys)) < 0 ||
	    (rc = gcp_ssh_keys(str_of(iattr, "sshKeys"), keys)) < 0)
		return rc;
	block = str_of(iattr, "block-project-ssh-keys");
	/* the legacy instance attribute "sshKeys" blocks project keys too
	 * (cloud-init's read_md; the guest agent likewise) */
	if (!gcp_blocks_project_keys(block) && !str_of(iattr, "sshKeys"))
		if ((rc = gcp_ssh_keys(str_of(pattr, "ssh-keys"), keys)) < 0 ||
		    (rc = gcp_ssh_keys(str_of(pattr, "sshKeys"), keys)) < 0)
			return rc;
	return 0;
}

/* One string of keys, one per line. */
static int add_key_lines(cJSON *keys, const char *s)
{
	const char *nl;
	int rc;

	for (; s && *s; s = *nl ? nl + 1 : nl) {
		nl = s + strcspn(s, "\n");
		if ((rc = add_key(keys, s, (size_t)(nl - s))) < 0)
			return rc;
	}
	return 0;
}

/* public_keys as cloud-init reads it (normalize_pubkey_data in
 * cloudinit/sources/__init__.py): a string (one key per line), a list of
 * strings, or an object whose values are strings or lists of strings. */
static int do_public_keys(const cJSON *pk, cJSON *keys)
{
	const cJSON *it, *k;
	int rc;

	if (cJSON_IsString(pk))
		return add_key_lines(keys, pk->valuestring);
	if (cJSON_IsArray(pk)) {
		cJSON_ArrayForEach(it, pk) if (cJSON_IsString(it) &&
					       (rc = add_key_lines(keys, it->valuestring)) <
						   0) return rc;
		return 0;
	}
	if (!cJSON_IsObject(pk))
		return 0;
	cJSON_ArrayForEach(it, pk)
	{
		if (cJSON_IsString(it) && (rc = add_key_lines(keys, it->valuestring)) < 0)
			return rc;
		if (cJSON_IsArray(it))
			cJSON_ArrayForEach(k, it) if (cJSON_IsString(k) &&
						      (rc = add_key_lines(keys, k->valuestring)) <
							  0) return rc;
	}
	return 0;
}

static int parse_digitalocean(const cJSON *doc, cJSON *out)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "droplet_id");
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(doc, "public_keys");
	char idtext[32];
	cJSON *keys;
	int rc;

	/* a number in the metadata API's documentation, a string of digits
	 * in what a droplet served cloud-init (DO_META in its
	 * tests/unittests/sources/test_digitalocean.py) */
	if (cJSON_IsString(id) && id->valuestring[0] &&
	    strspn(id->valuestring, "0123456789") == strlen(id->valuestring) &&
	    strlen(id->valuestring) < sizeof(idtext))
		snprintf(idtext, sizeof(idtext), "%s", id->valuestring);
	else if (integer_text(id, idtext, sizeof(idtext)) < 0)
		return br_fail(-BR_EMALFORMED, "digitalocean metadata: no numeric droplet_id");
	if ((rc = put(out, "instance_id", idtext, ID_MAX)) < 0 ||
	    (rc = put(out, "hostname", str_of(doc, "hostname"), NAME_MAX_)) < 0 ||
	    (rc = put(out, "region", str_of(doc, "region"), 64)) < 0)
		return rc;
	if (!(keys = keys_of(out)))
		return -ENOMEM;
	return do_public_keys(pk, keys);
}

int cloud_metadata_parse(const char *doc, const char *buf, size_t len, cJSON *out)
{
	cJSON *json;
	int rc;

	if (!strcmp(doc, "aws-identity") || !strcmp(doc, "gcp") || !strcmp(doc, "digitalocean")) {
		if ((rc = parse_strict(doc, buf, len, &json)) < 0)
			return rc;
		if (!strcmp(doc, "aws-identity"))
			rc = parse_aws_identity(json, out);
		else if (!strcmp(doc, "gcp"))
			rc = parse_gcp(json, out);
		else
			rc = parse_digitalocean(json, out);
		cJSON_Delete(json);
		return rc;
	}
	return br_fail(-EINVAL, "metadata: unknown document '%s'", doc);
}

/* --- transport -------------------------------------------------------------- */

struct md_client {
	char base[MD_URL_MAX];
	unsigned timeout_s;
	const char *headers[3];
	const char *method;
};

static int md_get(const struct md_client *c, const char *path, size_t cap, char **buf, size_t *len)
{
	char url[MD_URL_MAX + 256];
	struct fetch_opts o;
	int rc;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", c->base, path) >= sizeof(url))
		return br_fail(-BR_EUSAGE, "metadata: URL too long");
	fetch_opts_init(&o);
	o.retries = 2;
	o.connect_timeout_s = 2;
	o.stall_timeout_s = c->timeout_s;
	o.deadline_s = c->timeout_s;
	o.backoff_ms = 200;
	o.max_size = cap;
	o.headers = c->headers[0] ? c->headers : NULL;
	o.method = c->method;
	/* a metadata service never redirects: a redirect is someone else
	 * asking for our token (docs/threat-model.md) */
	o.no_redirects = 1;
	rc = fetch_to_memory(url, cap, &o, buf, len, NULL);
	br_debug("metadata: %s %s -> %d", c->method ? c->method : "GET", url, rc);
	return rc;
}

/* A short text answer (token, hostname, id): one line, no controls. */
static int md_get_text(const struct md_client *c, const char *path, char *out, size_t outlen)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = md_get(c, path, TEXT_MAX, &buf, &len)) < 0)
		return rc;
	if (!buf)
		return br_fail(-BR_EMALFORMED, "%s%s: empty answer", c->base, path);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len >= outlen || strlen(buf) != len || !cloud_text_valid(buf, outlen - 1))
		rc = br_fail(-BR_EMALFORMED, "%s%s: not a one-line answer", c->base, path);
	else
		memcpy(out, buf, len + 1);
	free(buf);
	return rc;
}

static int md_get_doc(const struct md_client *c, const char *path, const char *doc, cJSON *out)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = md_get(c, path, CLOUD_METADATA_MAX, &buf, &len)) < 0)
		return rc;
	rc = cloud_metadata_parse(doc, buf, len, out);
	free(buf);
	return rc;
}

static int fetch_aws(struct md_client *c, cJSON *out)
{
	char token[TOKEN_MAX], hdr[TOKEN_MAX + 64], text[TEXT_MAX], path[128];
	char *list = NULL, *line, *save = NULL;
	size_t len;
	cJSON *keys;
	int rc, i;

	/* IMDSv2: a session token first (PUT), then every GET carries it */
	c->method = "PUT";
	c->headers[0] = "X-aws-ec2-metadata-token-ttl-seconds: 300";
	rc = md_get_text(c, "/latest/api/token", token, sizeof(token));
	if (rc < 0)
		return rc;
	snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s", token);
	c->method = NULL;
	c->headers[0] = hdr;
	if ((rc = md_get_doc(c, "/latest/dynamic/instance-identity/document", "aws-identity",
			     out)) < 0)
		return rc;
	/* cloud-init takes the instance id from meta-data/instance-id, not
	 * from the identity document; so do we when it answers */
	if (md_get_text(c, "/latest/meta-data/instance-id", text, sizeof(text)) == 0 &&
	    (rc = put(out, "instance_id", text, ID_MAX)) < 0)
		return rc;
	/* and the zone from placement/availability-zone (its region from
	 * the identity document) */
	if (md_get_text(c, "/latest/meta-data/placement/availability-zone", text, sizeof(text)) ==
		0 &&
	    (rc = put(out, "zone", text, 64)) < 0)
		return rc;
	if (md_get_text(c, "/latest/meta-data/local-hostname", text, sizeof(text)) == 0 &&
	    (rc = put(out, "hostname", text, NAME_MAX_)) < 0)
		return rc;
	if (!(keys = keys_of(out)))
		return -ENOMEM;
	/* "0=my-key\n1=other" — an instance without keys answers 404 */
	if (md_get(c, "/latest/meta-data/public-keys/", TEXT_MAX, &list, &len) < 0 || !list)
		return 0;
	for (i = 0, line = strtok_r(list, "\r\n", &save); line && i < KEYS_MAX;
	     line = strtok_r(NULL, "\r\n", &save), i++) {
		char *key = NULL;
		size_t klen = 0;
		unsigned long idx;
		char *end;

		idx = strtoul(line, &end, 10);
		if (end == line || *end != '=' || idx > 1000)
			continue;
		snprintf(path, sizeof(path), "/latest/meta-data/public-keys/%lu/openssh-key", idx);
		/* one key per line: a key pair entry may hold several
		 * (cloud-init's ec2 tests register lists joined by "\n") */
		if (md_get(c, path, KEY_MAX, &key, &klen) == 0 && key) {
			rc = strlen(key) == klen ? add_key_lines(keys, key) : 0;
			free(key);
			if (rc < 0)
				break;
		}
	}
	free(list);
	return rc < 0 ? rc : 0;
}

static int fetch_gcp(struct md_client *c, cJSON *out)
{
	char id[ID_MAX];
	int rc;

	c->headers[0] = "Metadata-Flavor: Google";
	if ((rc = md_get_doc(c, "/computeMetadata/v1/?recursive=true&alt=json", "gcp", out)) < 0)
		return rc;
	/* the JSON number loses digits past 2^53; the text endpoint does not */
	if (md_get_text(c, "/computeMetadata/v1/instance/id", id, sizeof(id)) == 0 &&
	    strspn(id, "0123456789") == strlen(id))
		return put(out, "instance_id", id, ID_MAX);
	return 0;
}

int cloud_metadata_fetch(const char *cloud, const char *base_url, unsigned timeout_s, cJSON **out)
{
	struct md_client c;
	cJSON *res;
	size_t n;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.timeout_s = timeout_s ? timeout_s : 5;
	if (!cloud || (strcmp(cloud, CLOUD_AWS) != 0 && strcmp(cloud, CLOUD_GCP) != 0 &&
		       strcmp(cloud, CLOUD_DIGITALOCEAN) != 0))
		return br_fail(-BR_EUSAGE, "metadata: no metadata service for cloud '%s'",
			       cloud ? cloud : "");
	if (!base_url) {
		if (strcmp(cloud_detect(), cloud) != 0)
			return br_fail(-BR_EUSAGE,
				       "metadata: this machine is not on %s; give the metadata URL "
				       "explicitly",
				       cloud);
		base_url = CLOUD_METADATA_DEFAULT_URL;
	}
	if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
		return br_fail(-BR_EUSAGE, "metadata: '%s': not an http(s) URL", base_url);
	n = strlen(base_url);
	while (n && base_url[n - 1] == '/')
		n--;
	if (n >= sizeof(c.base))
		return br_fail(-BR_EUSAGE, "metadata: URL too long");
	memcpy(c.base, base_url, n);
	c.base[n] = '\0';
	res = cJSON_CreateObject();
	if (!res || !cJSON_AddStringToObject(res, "cloud", cloud) ||
	    !cJSON_AddStringToObject(res, "url", c.base)) {
		cJSON_Delete(res);
		return -ENOMEM;
	}
	if (!strcmp(cloud, CLOUD_AWS))
		rc = fetch_aws(&c, res);
	else if (!strcmp(cloud, CLOUD_GCP))
		rc = fetch_gcp(&c, res);
	else
		rc = md_get_doc(&c, "/metadata/v1.json", "digitalocean", res);
	if (rc < 0) {
		cJSON_Delete(res);
		return rc;
	}
	if (!keys_of(res)) {
		cJSON_Delete(res);
		return -ENOMEM;
	}
	*out = res;
	return 0;
}
