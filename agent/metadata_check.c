/* `bootrino metadata --check`: one screen on what takeover would carry to
 * the target and what looks wrong, for a user who wonders whether the
 * instance will still be reachable after the switch (docs/networking.md). */
#include "agent/metadata_check.h"

#include <stdio.h>
#include <string.h>

#include "agent/init.h"

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num(const cJSON *o, const char *k, int dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valueint : dflt;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void sources_line(const cJSON *facts, FILE *out)
{
	const cJSON *it;
	int first = 1;

	fprintf(out, "sources:   ");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(facts, "sources"))
	{
		if (cJSON_IsString(it)) {
			fprintf(out, "%s%s", first ? "" : ", ", it->valuestring);
			first = 0;
		}
	}
	fprintf(out, "%s\n", first ? "none" : "");
}

int cli_metadata_check(const cJSON *facts, FILE *out)
{
	static char text[CLI_INIT_MAX_SETTINGS * CLI_INIT_CMD_MAX + 1024];
	const cJSON *net = cJSON_GetObjectItemCaseSensitive(facts, "network");
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(facts, "ssh_authorized_keys");
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(facts, "metadata");
	const cJSON *dns = cJSON_GetObjectItemCaseSensitive(facts, "dns");
	const cJSON *it;
	int warnings = 0, n_addr = 0, n_default = 0, n_keys = cJSON_GetArraySize(keys);
	const char *line, *nl;

	fprintf(out, "cloud:     %s\n", or_dash(str(facts, "cloud")));
	fprintf(out, "instance:  %s  hostname %s  region %s  zone %s\n",
		or_dash(str(facts, "instance_id")), or_dash(str(facts, "hostname")),
		or_dash(str(facts, "region")), or_dash(str(facts, "zone")));
	sources_line(facts, out);
	if (cJSON_IsObject(md) && str(md, "error"))
		fprintf(out, "metadata:  error: %s\n", str(md, "error"));
	else if (cJSON_IsObject(md))
		fprintf(out, "metadata:  %s (%s)\n", or_dash(str(md, "url")),
			or_dash(str(md, "cloud")));
	else
		fprintf(out, "metadata:  not asked\n");
	if (cJSON_IsObject(md) && str(md, "link_local"))
		fprintf(out,
			"           asked through the temporary %s on %s (no route "
			"before), removed again\n",
			str(md, "link_local"), or_dash(str(md, "link_local_link")));
	fprintf(out, "ssh keys:  %d (instance-data.json, metadata, authorized_keys files)\n",
		n_keys);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(net, "links"))
	{
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "loopback")))
			continue;
		fprintf(out, "link:      %s mac %s mtu %d%s\n", or_dash(str(it, "name")),
			or_dash(str(it, "mac")), num(it, "mtu", 0),
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "up")) ? "" : " (down)");
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(net, "addresses"))
	{
		const char *scope = str(it, "scope");

		if (!scope || strcmp(scope, "global") != 0)
			continue;
		n_addr++;
		fprintf(out, "address:   %s %s/%d (%s)\n", or_dash(str(it, "link")),
			or_dash(str(it, "address")), num(it, "prefix", -1),
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "dynamic"))
			    ? "with a lifetime: DHCP or SLAAC"
			    : "static");
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(net, "routes"))
	{
		const char *dst = str(it, "dst"), *proto = str(it, "protocol");

		if (proto && strcmp(proto, "kernel") == 0)
			continue;
		if (dst && strcmp(dst, "default") == 0)
			n_default++;
		fprintf(out, "route:     %s %s%s%s dev %s%s (%s)\n",
			strcmp(or_dash(str(it, "family")), "inet6") == 0 ? "-6" : "-4",
			or_dash(dst), str(it, "gateway") ? " via " : "",
			str(it, "gateway") ? str(it, "gateway") : "", or_dash(str(it, "link")),
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "onlink")) ? " onlink"
										     : "",
			or_dash(proto));
	}
	fprintf(out, "dns:       ");
	cJSON_ArrayForEach(
	    it, cJSON_GetObjectItemCaseSensitive(dns, "nameservers")) if (cJSON_IsString(it))
	    fprintf(out, "%s ", it->valuestring);
	fprintf(out, "(resolv.conf)\n");
	fprintf(out,
		"loader:    DHCP on every link first (at most %d s), then for links without a "
		"lease, matched by MAC:\n",
		CLI_INIT_DHCP_BOUND_S);
	cli_net_text(facts, text, sizeof(text));
	for (line = text; *line; line = *nl ? nl + 1 : nl) {
		nl = line + strcspn(line, "\n");
		fprintf(out, "           %.*s\n", (int)(nl - line), line);
	}
	if (n_keys == 0) {
		fprintf(out, "WARNING: no ssh key at all: the target will be unreachable over ssh "
			     "(add one to the instance's metadata or to authorized_keys)\n");
		warnings++;
	}
	if (n_addr == 0) {
		fprintf(out, "WARNING: no global address on any link: the loader has only DHCP to "
			     "count on\n");
		warnings++;
	}
	if (n_default == 0) {
		fprintf(out, "WARNING: no default route: the loader reaches the web server only "
			     "through DHCP or an on-link address\n");
		warnings++;
	}
	if (cJSON_IsObject(md) && str(md, "error")) {
		fprintf(out, "WARNING: the metadata service did not answer: keys and names come "
			     "from files only\n");
		warnings++;
	}
	if (!warnings)
		fprintf(out, "ok: nothing looks wrong\n");
	return warnings;
}
