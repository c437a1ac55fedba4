/* libFuzzer: everything cloudinit/ parses from outside — metadata
 * documents (AWS identity, GCP, DigitalOcean), cloud-init's
 * instance-data.json, resolv.conf, authorized_keys and netlink dumps.
 * The first byte picks the parser, the rest is its input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloudinit/cloudinit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const docs[] = {"aws-identity", "gcp", "digitalocean"};
	cJSON *out;
	char *buf;
	unsigned which;

	if (size < 1)
		return 0;
	which = data[0] % 9;
	/* a private, aligned copy: netlink parsers read structs from it */
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	out = which == 5 ? cJSON_CreateArray() : cJSON_CreateObject();
	if (!out) {
		free(buf);
		return 0;
	}
	switch (which) {
	case 0:
	case 1:
	case 2:
		cloud_metadata_parse(docs[which], buf, size - 1, out);
		break;
	case 3:
		cloud_instance_data_parse(buf, size - 1, out);
		break;
	case 4:
		cloud_resolv_parse(buf, size - 1, out);
		break;
	case 5:
		cloud_authorized_keys_parse(buf, size - 1, out);
		break;
	case 6:
		cloud_netlink_parse_links(buf, size - 1, out);
		break;
	case 7:
		cloud_netlink_parse_addrs(buf, size - 1, out);
		break;
	default:
		cloud_netlink_parse_routes(buf, size - 1, out);
		break;
	}
	/* whatever came out must print as JSON */
	free(cJSON_PrintUnformatted(out));
	cJSON_Delete(out);
	free(buf);
	return 0;
}
