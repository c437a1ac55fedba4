/* The loader's network: DHCP on every link (busybox udhcpc, all links at
 * once), and the facts carried from the host for links that got no lease
 * (clouds whose network is static or whose DHCP is slow). */
#include "agent/init.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
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

size_t cli_init_static_cmds(const cJSON *facts, const struct cli_link *links, size_t n_links,
			    char (*cmds)[CLI_INIT_CMD_MAX], size_t max)
{
	const cJSON *net = cJSON_GetObjectItemCaseSensitive(facts, "network");
	const cJSON *flinks = cJSON_GetObjectItemCaseSensitive(net, "links");
	const cJSON *addrs = cJSON_GetObjectItemCaseSensitive(net, "addresses");
	const cJSON *routes = cJSON_GetObjectItemCaseSensitive(net, "routes");
	const cJSON *fl, *it;
	size_t i, n = 0;

#define EMIT(...)                                                                                  \
	do {                                                                                       \
		if (n < max)                                                                       \
			snprintf(cmds[n++], CLI_INIT_CMD_MAX, __VA_ARGS__);                        \
	} while (0)

	for (i = 0; i < n_links; i++) {
		const char *name = links[i].name;
		int index = -1;

		cJSON_ArrayForEach(fl, flinks)
		{
			const char *mac = jstr(fl, "mac");

			if (mac && links[i].mac[0] && strcasecmp(mac, links[i].mac) == 0 &&
			    !jtrue(fl, "loopback")) {
				index = jint(fl, "index", -1);
				break;
			}
		}
		if (index < 0)
			continue;
		EMIT("ip link set dev %s up", name);
		cJSON_ArrayForEach(it, addrs)
		{
			const char *a = jstr(it, "address"), *fam = jstr(it, "family");
			const char *scope = jstr(it, "scope");
			int prefix = jint(it, "prefix", -1);

			if (jint(it, "index", -2) != index || !is_addr(a) || !fam ||
			    (scope && strcmp(scope, "global") != 0) || prefix < 0 || prefix > 128)
				continue;
			EMIT("ip %s addr add %s/%d dev %s", strcmp(fam, "inet6") == 0 ? "-6" : "-4",
			     a, prefix, name);
		}
		cJSON_ArrayForEach(it, routes)
		{
			const char *dst = jstr(it, "dst"), *gw = jstr(it, "gateway");
			const char *fam = jstr(it, "family"), *proto = jstr(it, "protocol");
			const char *ver;

			if (jint(it, "index", -2) != index || !fam || !dst ||
			    (strcmp(dst, "default") != 0 && !is_addr(dst)) || (gw && !is_addr(gw)))
				continue;
			/* the kernel adds the prefix routes of the addresses itself */
			if (proto && strcmp(proto, "kernel") == 0)
				continue;
			ver = strcmp(fam, "inet6") == 0 ? "-6" : "-4";
			/* onlink: clouds hand out /32s with a gateway outside them */
			if (gw)
				EMIT("ip %s route add %s via %s dev %s onlink", ver, dst, gw, name);
			else
				EMIT("ip %s route add %s dev %s", ver, dst, name);
		}
	}
#undef EMIT
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

int cli_init_network(const cJSON *facts)
{
	static char cmds[64][CLI_INIT_CMD_MAX];
	struct cli_link links[CLI_INIT_MAX_LINKS], pending[CLI_INIT_MAX_LINKS];
	pid_t pids[CLI_INIT_MAX_LINKS];
	char lo[] = "ip link set lo up", up[CLI_INIT_CMD_MAX], resolv[1024];
	size_t n, i, n_pending = 0, n_cmds;
	int leases = 0, fd;

	run_words(lo);
	n = cli_init_links(links, CLI_INIT_MAX_LINKS);
	if (n == 0)
		br_log(BR_LOG_WARN, "init: no network link found (missing NIC driver?)");
	/* every link at once: a cloud VM may have several NICs, and each
	 * udhcpc waits up to 5 tries x 2 s. busybox does not ask for
	 * classless static routes (option 121) or the MTU (26) unless told:
	 * GCP hands out a /32 whose only route is in option 121, and without
	 * it the loader has an address and no way out. */
	for (i = 0; i < n; i++) {
		char *argv[] = {BUSYBOX, "udhcpc", "-i", links[i].name, "-n", "-q",
				"-t",	 "5",	   "-T", "2",		"-O", "staticroutes",
				"-O",	 "mtu",	   "-s", UDHCPC_SCRIPT, NULL};

		snprintf(up, sizeof(up), "ip link set %.31s up", links[i].name);
		run_words(up);
		pids[i] = spawn(argv);
	}
	for (i = 0; i < n; i++) {
		if (wait_for(pids[i]) == 0) {
			br_log(BR_LOG_INFO, "init: %s: DHCP lease", links[i].name);
			leases++;
		} else {
			br_log(BR_LOG_WARN, "init: %s: no DHCP lease", links[i].name);
			pending[n_pending++] = links[i];
		}
	}
	if (!n_pending || !facts)
		return leases ? 0 : -1;
	n_cmds = cli_init_static_cmds(facts, pending, n_pending, cmds, 64);
	for (i = 0; i < n_cmds; i++) {
		br_log(BR_LOG_INFO, "init: static (from the host's facts): %s", cmds[i]);
		if (run_words(cmds[i]) != 0)
			br_log(BR_LOG_WARN, "init: failed: %s", cmds[i]);
	}
	if (!leases && cli_init_resolv_conf(facts, resolv, sizeof(resolv))) {
		fd = open("/etc/resolv.conf", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			if (write(fd, resolv, strlen(resolv)) < 0)
				br_log(BR_LOG_WARN, "init: /etc/resolv.conf: %s", strerror(errno));
			close(fd);
		}
	}
	return leases || n_cmds ? 0 : -1;
}
