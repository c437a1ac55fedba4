/* The loader's network: DHCP on every link (busybox udhcpc, all links at
 * once), and the facts carried from the host for links that got no lease
 * (clouds whose network is static or whose DHCP is slow). */
#include "agent/init.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define BUSYBOX "/bin/busybox"
#define UDHCPC_SCRIPT "/usr/share/udhcpc/default.script"

size_t cli_init_links(struct cli_link *out, size_t max)
{
	char path[300];
	struct dirent *d;
	size_t n = 0;
	DIR *dir = opendir("/sys/class/net");
	FILE *f;

	if (!dir)
		return 0;
	while ((d = readdir(dir)) != NULL && n < max) {
		if (d->d_name[0] == '.' || strcmp(d->d_name, "lo") == 0 ||
		    strlen(d->d_name) >= sizeof(out[n].name))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(out[n].name, d->d_name, strlen(d->d_name) + 1); /* length checked */
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", out[n].name);
		f = fopen(path, "r");
		if (f) {
			if (fgets(out[n].mac, sizeof(out[n].mac), f))
				out[n].mac[strcspn(out[n].mac, "\n")] = '\0';
			fclose(f);
		}
		n++;
	}
	closedir(dir);
	return n;
}

/* Only what an address, a prefix or "default" may hold: the words go to
 * exec, never to a shell, but a fact should not smuggle extra argv words. */
static int is_addr(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != '.' && *s != ':' && *s != '/')
			return 0;
	return 1;
}

/* "52:54:00:12:34:56", either case */
static int is_mac(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 17)
		return 0;
	for (i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jint(const cJSON *o, const char *k, int dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valueint : dflt;
}

static int jtrue(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

size_t cli_net_settings(const cJSON *facts, char (*out)[CLI_INIT_CMD_MAX], size_t max)
{
	const cJSON *net = cJSON_GetObjectItemCaseSensitive(facts, "network");
	const cJSON *flinks = cJSON_GetObjectItemCaseSensitive(net, "links");
	const cJSON *addrs = cJSON_GetObjectItemCaseSensitive(net, "addresses");
	const cJSON *routes = cJSON_GetObjectItemCaseSensitive(net, "routes");
	const cJSON *fl, *it;
	size_t n = 0;
	char mac[18];

#define EMIT(...)                                                                                  \
	do {                                                                                       \
		if (n < max)                                                                       \
			snprintf(out[n++], CLI_INIT_CMD_MAX, __VA_ARGS__);                         \
	} while (0)

	cJSON_ArrayForEach(fl, flinks)
	{
		int index = jint(fl, "index", -1), mtu = jint(fl, "mtu", 0);
		size_t i;

		if (!is_mac(jstr(fl, "mac")) || jtrue(fl, "loopback") || index < 0)
			continue;
		for (i = 0; i < sizeof(mac); i++)
			mac[i] = (char)tolower((unsigned char)jstr(fl, "mac")[i]);
		/* 68: IPv4's minimum; a cloud's 1460 (GCP) or 9001 (AWS) */
		if (mtu >= 68 && mtu <= 65535)
			EMIT("mtu %s %d", mac, mtu);
		cJSON_ArrayForEach(it, addrs)
		{
			const char *a = jstr(it, "address"), *fam = jstr(it, "family");
			const char *scope = jstr(it, "scope");
			int prefix = jint(it, "prefix", -1);

			if (jint(it, "index", -2) != index || !is_addr(a) || !fam ||
			    (scope && strcmp(scope, "global") != 0) || prefix < 0 ||
			    prefix > (strcmp(fam, "inet6") == 0 ? 128 : 32))
				continue;
			EMIT("addr %s %s %s/%d", mac, strcmp(fam, "inet6") == 0 ? "-6" : "-4", a,
			     prefix);
		}
		cJSON_ArrayForEach(it, routes)
		{
			const char *dst = jstr(it, "dst"), *gw = jstr(it, "gateway");
			const char *fam = jstr(it, "family"), *proto = jstr(it, "protocol");

			if (jint(it, "index", -2) != index || !fam || !dst ||
			    (strcmp(dst, "default") != 0 && !is_addr(dst)) || (gw && !is_addr(gw)))
				continue;
			/* the kernel adds the prefix routes of the addresses itself */
			if (proto && strcmp(proto, "kernel") == 0)
				continue;
			/* onlink: clouds hand out /32s with a gateway outside them */
			if (gw)
				EMIT("route %s %s %s via %s onlink", mac,
				     strcmp(fam, "inet6") == 0 ? "-6" : "-4", dst, gw);
			else
				EMIT("route %s %s %s", mac, strcmp(fam, "inet6") == 0 ? "-6" : "-4",
				     dst);
		}
	}
#undef EMIT
	return n;
}

size_t cli_net_text(const cJSON *facts, char *out, size_t outlen)
{
	static char lines[CLI_INIT_MAX_SETTINGS][CLI_INIT_CMD_MAX];
	size_t n = cli_net_settings(facts, lines, CLI_INIT_MAX_SETTINGS), i, len = 0;
	int w;

	if (!outlen)
		return 0;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		w = snprintf(out + len, outlen - len, "%s\n", lines[i]);
		if (w < 0 || (size_t)w >= outlen - len) {
			out[len] = '\0';
			break;
		}
		len += (size_t)w;
	}
	return len + cli_init_resolv_conf(facts, out + len, outlen - len);
}

size_t cli_init_static_cmds(const cJSON *facts, const struct cli_link *links, size_t n_links,
			    char (*cmds)[CLI_INIT_CMD_MAX], size_t max)
{
	static char set[CLI_INIT_MAX_SETTINGS][CLI_INIT_CMD_MAX];
	size_t n_set = cli_net_settings(facts, set, CLI_INIT_MAX_SETTINGS), i, j, n = 0;
	char kind[8], mac[18], fam[72], a[72], via[8], gw[72];

	for (i = 0; i < n_links; i++) {
		const char *name = links[i].name;
		int matched = 0;

		for (j = 0; j < n_set; j++) {
			int k = sscanf(set[j], "%7s %17s %71s %71s %7s %71s", kind, mac, fam, a,
				       via, gw);

			if (k < 3 || strcasecmp(mac, links[i].mac) != 0 || n >= max)
				continue;
			if (!matched && n < max) {
				snprintf(cmds[n++], CLI_INIT_CMD_MAX, "ip link set dev %s up",
					 name);
				matched = 1;
			}
			if (n >= max)
				break;
			if (strcmp(kind, "mtu") == 0)
				snprintf(cmds[n++], CLI_INIT_CMD_MAX, "ip link set dev %s mtu %s",
					 name, fam);
			else if (strcmp(kind, "addr") == 0 && k == 4)
				snprintf(cmds[n++], CLI_INIT_CMD_MAX, "ip %s addr add %s dev %s",
					 fam, a, name);
			else if (strcmp(kind, "route") == 0 && k == 6)
				snprintf(cmds[n++], CLI_INIT_CMD_MAX,
					 "ip %s route add %s via %s dev %s onlink", fam, a, gw,
					 name);
			else if (strcmp(kind, "route") == 0 && k == 4)
				snprintf(cmds[n++], CLI_INIT_CMD_MAX, "ip %s route add %s dev %s",
					 fam, a, name);
		}
	}
	return n;
}

size_t cli_init_resolv_conf(const cJSON *facts, char *out, size_t outlen)
{
	const cJSON *dns = cJSON_GetObjectItemCaseSensitive(facts, "dns");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(dns, "nameservers");
	const cJSON *it;
	size_t len = 0;
	int w;

	if (!outlen)
		return 0;
	out[0] = '\0';
	cJSON_ArrayForEach(it, ns)
	{
		if (!cJSON_IsString(it) || !is_addr(it->valuestring))
			continue;
		w = snprintf(out + len, outlen - len, "nameserver %s\n", it->valuestring);
		if (w < 0 || (size_t)w >= outlen - len) {
			out[len] = '\0';
			break;
		}
		len += (size_t)w;
	}
	return len;
}

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int wait_for(pid_t pid)
{
	int st;

	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* "ip a b c" → busybox ip a b c */
static int run_words(char *cmd)
{
	char *argv[24], *save = NULL, *w;
	int argc = 0;

	argv[argc++] = BUSYBOX;
	for (w = strtok_r(cmd, " ", &save); w && argc < 23; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return wait_for(spawn(argv));
}

/* The host's name of the link with this MAC address, for the console. */
static const char *host_link_name(const cJSON *facts, const char *mac)
{
	const cJSON *net = cJSON_GetObjectItemCaseSensitive(facts, "network");
	const cJSON *fl;

	cJSON_ArrayForEach(fl, cJSON_GetObjectItemCaseSensitive(net, "links"))
	{
		const char *m = jstr(fl, "mac"), *name = jstr(fl, "name");

		if (m && name && mac[0] && strcasecmp(m, mac) == 0)
			return name;
	}
	return NULL;
}

/* Wait for every udhcpc until the deadline; kill what is left then. A
 * link that answers nothing must not hold the loader longer than the
 * bound: the carried facts are applied right after (docs/networking.md). */
static unsigned wait_dhcp(const pid_t *pids, int *rcs, size_t n, unsigned bound_s)
{
	struct timespec t0, now, tick = {0, 100000000L};
	size_t i, left = n;
	int st;

	for (i = 0; i < n; i++)
		rcs[i] = pids[i] < 0 ? -1 : -2; /* -2: still running */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		left = 0;
		for (i = 0; i < n; i++) {
			if (rcs[i] != -2)
				continue;
			if (waitpid(pids[i], &st, WNOHANG) == pids[i])
				rcs[i] = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
			else
				left++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!left || now.tv_sec - t0.tv_sec >= (time_t)bound_s)
			break;
		nanosleep(&tick, NULL);
	}
	for (i = 0; i < n; i++) {
		if (rcs[i] != -2)
			continue;
		kill(pids[i], SIGKILL);
		wait_for(pids[i]);
		rcs[i] = -3; /* cut off at the bound */
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned)((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
}

/* Each line `busybox ip ARGS` prints, as "init: net: LINE" on the console:
 * what the loader came up with, next to where it came from. */
static void log_ip(const char *args)
{
	char cmd[CLI_INIT_CMD_MAX], line[512], *argv[16], *save = NULL, *w;
	int p[2], argc = 0;
	pid_t pid;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip %s", args);
	argv[argc++] = BUSYBOX;
	for (w = strtok_r(cmd, " ", &save); w && argc < 15; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	if (!f) {
		close(p[0]);
	} else {
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0])
				br_log(BR_LOG_INFO, "init: net: %s", line);
		}
		fclose(f);
	}
	wait_for(pid);
}

int cli_init_network(const cJSON *facts)
{
	static char cmds[CLI_INIT_MAX_SETTINGS][CLI_INIT_CMD_MAX];
	struct cli_link links[CLI_INIT_MAX_LINKS];
	pid_t pids[CLI_INIT_MAX_LINKS];
	int rcs[CLI_INIT_MAX_LINKS];
	char lo[] = "ip link set lo up", up[CLI_INIT_CMD_MAX], resolv[1024];
	size_t n, i, j, n_cmds, applied = 0;
	unsigned waited_ms;
	int leases = 0, fd;

	run_words(lo);
	n = cli_init_links(links, CLI_INIT_MAX_LINKS);
	if (n == 0)
		br_log(BR_LOG_WARN, "init: no network link found (missing NIC driver?)");
	/* every link at once: a cloud VM may have several NICs. busybox does
	 * not ask for classless static routes (option 121) or the MTU (26)
	 * unless told: GCP hands out a /32 whose only route is in option 121,
	 * and without it the loader has an address and no way out. */
	for (i = 0; i < n; i++) {
		char *argv[] = {BUSYBOX, "udhcpc", "-i", links[i].name, "-n", "-q",
				"-t",	 "5",	   "-T", "2",		"-O", "staticroutes",
				"-O",	 "mtu",	   "-s", UDHCPC_SCRIPT, NULL};

		br_log(BR_LOG_INFO, "init: %s (%s): asking DHCP (at most %u s)", links[i].name,
		       links[i].mac, CLI_INIT_DHCP_BOUND_S);
		snprintf(up, sizeof(up), "ip link set %.31s up", links[i].name);
		run_words(up);
		pids[i] = spawn(argv);
	}
	waited_ms = wait_dhcp(pids, rcs, n, CLI_INIT_DHCP_BOUND_S);
	for (i = 0; i < n; i++) {
		const char *host = facts ? host_link_name(facts, links[i].mac) : NULL;
		struct cli_link one = links[i];

		if (rcs[i] == 0) {
			br_log(BR_LOG_INFO, "init: %s (%s): address, routes, MTU from DHCP",
			       links[i].name, links[i].mac);
			leases++;
			/* DHCPv4 says nothing about IPv6, and the loader runs no
			 * DHCPv6 client: the host's IPv6 settings still apply */
			n_cmds = facts ? cli_init_static_cmds(facts, &one, 1, cmds,
							      CLI_INIT_MAX_SETTINGS)
				       : 0;
			for (j = 0; j < n_cmds; j++) {
				if (strncmp(cmds[j], "ip -6 ", 6) != 0)
					continue;
				br_log(BR_LOG_INFO, "init: %s: IPv6 from the carried facts: %s",
				       links[i].name, cmds[j]);
				if (run_words(cmds[j]) != 0)
					br_log(BR_LOG_WARN, "init: failed: %s", cmds[j]);
			}
			continue;
		}
		br_log(BR_LOG_WARN,
		       "init: %s (%s): no DHCP lease (%s; DHCP took %u.%u s of at most %u s)",
		       links[i].name, links[i].mac, rcs[i] == -3 ? "cut off" : "udhcpc gave up",
		       waited_ms / 1000, waited_ms % 1000 / 100, CLI_INIT_DHCP_BOUND_S);
		n_cmds =
		    facts ? cli_init_static_cmds(facts, &one, 1, cmds, CLI_INIT_MAX_SETTINGS) : 0;
		if (!n_cmds) {
			br_log(BR_LOG_WARN, "init: %s (%s): no carried facts for this MAC address",
			       links[i].name, links[i].mac);
			continue;
		}
		br_log(BR_LOG_INFO, "init: %s (%s): from the carried facts (the host's %s)",
		       links[i].name, links[i].mac, host ? host : "?");
		for (j = 0; j < n_cmds; j++) {
			br_log(BR_LOG_INFO, "init: %s: from the carried facts: %s", links[i].name,
			       cmds[j]);
			if (run_words(cmds[j]) != 0)
				br_log(BR_LOG_WARN, "init: failed: %s", cmds[j]);
		}
		applied++;
	}
	if (!leases && facts && cli_init_resolv_conf(facts, resolv, sizeof(resolv))) {
		br_log(BR_LOG_INFO, "init: /etc/resolv.conf from the carried facts");
		fd = open("/etc/resolv.conf", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			if (write(fd, resolv, strlen(resolv)) < 0)
				br_log(BR_LOG_WARN, "init: /etc/resolv.conf: %s", strerror(errno));
			close(fd);
		}
	}
	log_ip("-o addr show scope global");
	log_ip("-o link show");
	log_ip("-4 route show");
	log_ip("-6 route show");
	return leases || applied ? 0 : -1;
}
