/* The loader's PID 1 (`bootrino init`): helpers for mounts, kernel
 * modules, network. See docs/stages.md. */
#ifndef BOOTRINO_AGENT_INIT_H
#define BOOTRINO_AGENT_INIT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define CLI_INIT_MODULES_LIST "bootrino.modules"
#define CLI_INIT_MAX_LINKS 16
#define CLI_INIT_CMD_MAX 256
#define CLI_INIT_MAX_SETTINGS 64
/* the target's copy of cli_net_text(), next to facts.json */
#define CLI_NET_SETTINGS_PATH "/etc/bootrino/network"
/* The longest the loader waits for DHCP before the carried facts apply:
 * udhcpc's own 5 tries x 2 s, plus the request round trip, cut off here
 * (docs/networking.md). */
#define CLI_INIT_DHCP_BOUND_S 15

/* mount /proc /sys /dev /dev/pts /run /tmp (already mounted is fine) and
 * point stdin/stdout/stderr at /dev/console. Returns how many failed. */
int cli_init_mounts(void);
void cli_init_console(void);

/* Load the modules named in dir/bootrino.modules (one path per line,
 * relative to dir, dependencies first; '#' comments) with finit_module(2).
 * Returns the number loaded; failures are logged and skipped. */
int cli_init_modules(const char *dir);

/* One line of bootrino.modules: 1 and the path when it names a module, 0
 * for a blank or comment line, -BR_ECONFIG for an absolute path or "..". */
int cli_init_module_line(char *line, const char **path);

struct cli_link {
	char name[32];
	char mac[18]; /* "52:54:00:12:34:56" */
};

/* The links of this machine but lo (from /sys/class/net). */
size_t cli_init_links(struct cli_link *out, size_t max);

/* Run every command a helper (`ip`, `udhcpc`) needs: lo up, DHCP on each
 * link; links left without a lease get the carried static facts. Returns
 * 0 if at least one link is configured. */
int cli_init_network(const cJSON *facts);

/* Pure: the host's network from the facts as MAC-keyed settings, one per
 * line (the target gets them as /etc/bootrino/network; docs/networking.md):
 *   mtu MAC N
 *   addr MAC -4|-6 ADDR/PREFIX
 *   route MAC -4|-6 DST [via GW onlink]
 * Links without a MAC address, loopback, non-global addresses, the
 * kernel's own prefix routes and anything that is not an address are
 * left out. Returns how many (at most max). */
size_t cli_net_settings(const cJSON *facts, char (*out)[CLI_INIT_CMD_MAX], size_t max);

/* Pure: the settings above, then "nameserver ADDR" lines, as text. */
size_t cli_net_text(const cJSON *facts, char *out, size_t outlen);

/* Pure: the busybox `ip` commands that apply the carried facts
 * (facts["network"], matched to links by MAC address) to the links that
 * got no lease. Writes up to max NUL-terminated commands of
 * CLI_INIT_CMD_MAX bytes, argv words separated by single spaces; returns
 * how many. */
size_t cli_init_static_cmds(const cJSON *facts, const struct cli_link *links, size_t n_links,
			    char (*cmds)[CLI_INIT_CMD_MAX], size_t max);

/* Pure: resolv.conf text from facts["dns"] into out; 0 if there is none. */
size_t cli_init_resolv_conf(const cJSON *facts, char *out, size_t outlen);

#endif
