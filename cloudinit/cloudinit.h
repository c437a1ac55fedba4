/* cloudinit/: what bootrino knows about the cloud it runs on.
 *
 *   cloud_detect()          which cloud, from DMI (no network)
 *   cloud_facts_collect()   hostname, instance id, ssh keys, network (netlink),
 *                           DNS: the JSON of docs/facts.md
 *   cloud_metadata_fetch()  the cloud's metadata service (AWS IMDSv2, GCP, DO)
 *   cloud_userdata_*()      paste-ready user-data (see docs/userdata.md)
 *
 * Mechanism only: returns 0 or a negative code with a br_fail() detail,
 * never prints above debug. cJSON trees returned here belong to the caller
 * (cJSON_Delete()).
 */
#ifndef BOOTRINO_CLOUDINIT_CLOUDINIT_H
#define BOOTRINO_CLOUDINIT_CLOUDINIT_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Cloud names as BOOTRINO_CLOUD carries them (docs/design.md, "Contracts"). */
#define CLOUD_AWS "aws"
#define CLOUD_GCP "gcp"
#define CLOUD_DIGITALOCEAN "digitalocean"
#define CLOUD_UNKNOWN "unknown"

/* Version of the facts.json schema (docs/facts.md). */
#define CLOUD_FACTS_VERSION 1

/* --- detection ------------------------------------------------------------ */

/* "aws", "gcp", "digitalocean" or "unknown", from /sys/class/dmi/id. */
const char *cloud_detect(void);

/* The same under another root ("/" for the real one): root/sys/class/dmi/id. */
const char *cloud_detect_at(const char *root);

/* "aws"/"gcp"/"digitalocean"/"unknown" → the same static string; anything
 * else → NULL. */
const char *cloud_name_canonical(const char *name);

/* --- facts ------------------------------------------------------------------ */

struct cloud_facts_opts {
	const char *root;	  /* filesystem root for files read; NULL: "/" */
	const char *cloud;	  /* NULL: cloud_detect_at(root) */
	const char *metadata_url; /* metadata base URL; NULL: the cloud's default */
	int metadata;		  /* ask the metadata service (else files only) */
	int metadata_required;	  /* a metadata failure fails the whole call */
	int netlink;		  /* read links/addresses/routes via netlink */
	unsigned timeout_s;	  /* metadata deadline; 0: 5 s */
	/* DigitalOcean without a route to the metadata address: the
	 * temporary address (IPv4 ADDR/PREFIX) to add for the request;
	 * NULL: a random 169.254.[1-168].x/16, as cloud-init does */
	const char *link_local;
};

void cloud_facts_opts_init(struct cloud_facts_opts *o);

/* Facts of this machine as docs/facts.md describes: files and netlink,
 * plus the metadata service when cloud_detect() names a cloud. A failing
 * metadata service is not an error (the facts say "metadata": {"error": …}). */
int cloud_facts_collect(cJSON **out);

int cloud_facts_collect_opts(const struct cloud_facts_opts *o, cJSON **out);

/* Each fact checked by what it is (docs/facts.md): they are unsigned input
 * that reaches the target's files, bootrino.sh's environment and, through
 * a script, kernel command lines. cloud ("aws", "gcp", "digitalocean",
 * else any) narrows instance ids. 1 if valid. */
#define CLOUD_FACT_KEY_MAX 8192
enum cloud_fact {
	CLOUD_FACT_INSTANCE_ID, /* aws i-<8|17 hex>; gcp/do digits; else [A-Za-z0-9._-]{1,128} */
	CLOUD_FACT_HOSTNAME,	/* RFC 1123 */
	CLOUD_FACT_REGION,	/* regions and zones: [a-z0-9-]{1,64} */
	CLOUD_FACT_SSH_KEY,	/* an authorized_keys line with a known key type */
};
int cloud_fact_valid(enum cloud_fact kind, const char *cloud, const char *s);

/* --- pieces of the facts (exposed for tests and the loader) ---------------- */

/* Parse cloud-init's instance-data.json: fills hostname, instance_id and
 * ssh_authorized_keys of facts when present. -BR_ECONFIG on bad JSON. */
#define CLOUD_INSTANCE_DATA_MAX (1u << 20)
int cloud_instance_data_parse(const char *buf, size_t len, cJSON *facts);

/* Parse resolv.conf text: sets facts["dns"] = {"nameservers": [...],
 * "search": [...]} (merged with what is there). */
int cloud_resolv_parse(const char *buf, size_t len, cJSON *facts);

/* Parse authorized_keys text: appends each key line as is (options
 * included; comments and blank lines skipped) to arr, without duplicates. */
int cloud_authorized_keys_parse(const char *buf, size_t len, cJSON *arr);

/* Netlink dumps (RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE messages as the
 * kernel sends them) into the "links"/"addresses"/"routes" arrays of net.
 * Pure parsers over a buffer, so tests feed canned messages. */
int cloud_netlink_parse_links(const void *buf, size_t len, cJSON *net);
int cloud_netlink_parse_addrs(const void *buf, size_t len, cJSON *net);
int cloud_netlink_parse_routes(const void *buf, size_t len, cJSON *net);

/* Dump links, addresses and routes of this machine into net["links"],
 * net["addresses"], net["routes"] (rtnetlink socket, no libnl). */
int cloud_netlink_collect(cJSON *net);

/* --- metadata service ------------------------------------------------------ */

#define CLOUD_METADATA_MAX (256u << 10) /* any one document */
#define CLOUD_METADATA_DEFAULT_URL "http://169.254.169.254"

/* Ask cloud's metadata service at base_url for instance id, hostname,
 * ssh keys, region/zone; returns a JSON object
 * {"cloud","url","instance_id","hostname","public_keys":[...],"region","zone",…}.
 * base_url NULL means the link-local default, which is used only when
 * cloud_detect() names that cloud (-BR_EUSAGE otherwise): nothing is ever
 * sent to 169.254.169.254 from a machine that is not on that cloud. */
int cloud_metadata_fetch(const char *cloud, const char *base_url, unsigned timeout_s, cJSON **out);

/* Parse one cloud's metadata document into the object above (strict JSON,
 * capped at CLOUD_METADATA_MAX). doc names the endpoint:
 *   "aws-identity"  /latest/dynamic/instance-identity/document
 *   "gcp"           /computeMetadata/v1/?recursive=true
 *   "digitalocean"  /metadata/v1.json
 * Fuzzed by tests/fuzz/fuzz_metadata.c. */
int cloud_metadata_parse(const char *doc, const char *buf, size_t len, cJSON *out);

/* --- a temporary link-local address (DigitalOcean) ------------------------- */

/* 1 when the kernel has no route to base_url's host (a literal IPv4
 * address): a UDP connect() says so without sending anything. */
int cloud_linklocal_needed(const char *base_url);

struct cloud_linklocal {
	int ifindex; /* -1: nothing added */
	int was_up;
	unsigned prefix;
	struct in_addr addr;
	char link[IF_NAMESIZE + 1];
	char text[24]; /* "169.254.7.9/16" */
};

/* Add addr (IPv4 ADDR/PREFIX, scope link; NULL: random in
 * 169.254.[1-168].0/16) to the non-loopback link with the lowest index,
 * setting the link up if it was down. cloud_linklocal_del() undoes both;
 * call it whatever happened in between. */
int cloud_linklocal_add(const char *addr, struct cloud_linklocal *ll);
int cloud_linklocal_del(struct cloud_linklocal *ll);

/* --- user-data --------------------------------------------------------------- */

enum cloud_userdata_format { CLOUD_USERDATA_SCRIPT, CLOUD_USERDATA_CLOUD_CONFIG };

#define CLOUD_USERDATA_MAX_KEYS 8

struct cloud_userdata_opts {
	const char *cloud;			      /* aws|gcp|digitalocean|generic */
	const char *agent_url;			      /* http(s) */
	const char *agent_sha256;		      /* 64 hex */
	const char *script_url;			      /* http(s) */
	const char *pubkeys[CLOUD_USERDATA_MAX_KEYS]; /* minisign base64 keys */
	size_t n_pubkeys;
	int direct;
	int no_install; /* takeover --no-install: RAM only, no disk written */
	enum cloud_userdata_format format;
	const char *cacert_pem; /* CA bundle contents to embed, or NULL */
	const char *site;	/* --site for takeover ([A-Za-z0-9._-]{1,64}), or NULL */
};

/* Size limit of user-data on that cloud (bytes), 0 for an unknown name. */
size_t cloud_userdata_limit(const char *cloud);

/* Validate o: -BR_EUSAGE with a detail naming the bad field. */
int cloud_userdata_validate(const struct cloud_userdata_opts *o);

/* Generate the user-data into a malloc()ed NUL-terminated buffer.
 * -BR_EUSAGE on bad input, -BR_ETOOBIG over the cloud's limit. */
int cloud_userdata_generate(const struct cloud_userdata_opts *o, char **out, size_t *len);

#endif
