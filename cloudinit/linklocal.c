/* A temporary link-local address to reach a metadata service from a
 * machine without any configured address (DigitalOcean droplets whose
 * network is configured from the metadata itself).
 *
 * DigitalOcean routes 169.254.169.254 on each droplet's public link; a
 * droplet without an address reaches it by adding one from 169.254.0.0/16
 * for the time of the request. cloud-init's DigitalOcean helper does the
 * same (assign_ipv4_link_local: a random 169.254.[1-168].[0-255]/16 on the
 * physical link with the lowest ifindex, link set up; del_ipv4_link_local
 * afterwards). Unlike it, only the address added here is removed (not
 * every address of the link) and a link that was down is set down again.
 *
 * Whether it is needed is asked of the kernel without sending anything: a
 * UDP socket's connect() to the metadata address fails with ENETUNREACH
 * when no route leads there. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cloudinit/cloudinit.h"
#include "common/err.h"
#include "common/log.h"

int cloud_linklocal_needed(const char *base_url)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
	char host[INET_ADDRSTRLEN];
	const char *p;
	size_t n;
	int fd, rc;

	if (strncmp(base_url, "http://", 7) != 0)
		return 0;
	p = base_url + 7;
	n = strcspn(p, ":/");
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, p, n);
	host[n] = '\0';
	/* only a literal IPv4 address (a name would need DNS, which a
	 * machine without an address does not have either) */
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	     (errno == ENETUNREACH || errno == EHOSTUNREACH);
	close(fd);
	return rc;
}

/* One request, one acknowledgement. */
static int nl_request(void *req, unsigned len)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = 5};
	struct nlmsghdr *h = req;
	_Alignas(8) char buf[4096];
	ssize_t n;
	int fd, rc;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = 1;
	if (sendto(fd, req, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		const struct nlmsghdr *r = (const void *)buf;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if ((size_t)n < sizeof(*r) + sizeof(struct nlmsgerr) || r->nlmsg_seq != 1)
			continue;
		if (r->nlmsg_type == NLMSG_ERROR) {
			rc = ((const struct nlmsgerr *)NLMSG_DATA(r))->error;
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

static int link_set_up(int ifindex, int up)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.i));
	req.h.nlmsg_type = RTM_NEWLINK;
	req.i.ifi_family = AF_UNSPEC;
	req.i.ifi_index = ifindex;
	req.i.ifi_flags = up ? IFF_UP : 0;
	req.i.ifi_change = IFF_UP;
	return nl_request(&req, req.h.nlmsg_len);
}

static int addr_change(int add, int ifindex, const struct in_addr *a, unsigned prefix)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg i;
		char attrs[64];
	} req;
	struct rtattr *rta;
	int k;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.i));
	req.h.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	req.h.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	req.i.ifa_family = AF_INET;
	req.i.ifa_prefixlen = (unsigned char)prefix;
	req.i.ifa_scope = RT_SCOPE_LINK;
	req.i.ifa_index = (unsigned)ifindex;
	for (k = 0; k < 2; k++) {
		rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.h.nlmsg_len));
		rta->rta_type = k ? IFA_ADDRESS : IFA_LOCAL;
		rta->rta_len = RTA_LENGTH(sizeof(*a));
		memcpy(RTA_DATA(rta), a, sizeof(*a));
		req.h.nlmsg_len = NLMSG_ALIGN(req.h.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	}
	return nl_request(&req, req.h.nlmsg_len);
}

/* The link cloud-init's helper picks: not loopback, with a MAC address,
 * lowest ifindex. */
static int pick_link(char *name, size_t namelen, int *up)
{
	cJSON *net = cJSON_CreateObject(), *l;
	int best = -1, rc;

	if (!net)
		return -ENOMEM;
	rc = cloud_netlink_collect(net);
	if (rc < 0)
		goto out;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(net, "links"))
	{
		const cJSON *idx = cJSON_GetObjectItemCaseSensitive(l, "index");
		const cJSON *mac = cJSON_GetObjectItemCaseSensitive(l, "mac");
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(l, "name");

		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "loopback")) ||
		    !cJSON_IsNumber(idx) || !cJSON_IsString(mac) || !mac->valuestring[0] ||
		    !cJSON_IsString(nm) || (best >= 0 && idx->valueint >= best))
			continue;
		best = idx->valueint;
		snprintf(name, namelen, "%s", nm->valuestring);
		*up = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "up"));
	}
	rc =
	    best >= 0 ? best : br_fail(-ENODEV, "link-local: no network link to add an address to");
out:
	cJSON_Delete(net);
	return rc;
}

int cloud_linklocal_add(const char *addr, struct cloud_linklocal *ll)
{
	char text[INET_ADDRSTRLEN + 4], *slash;
	unsigned char rnd[2] = {0, 0};
	unsigned long prefix;
	int rc;

	memset(ll, 0, sizeof(*ll));
	ll->ifindex = -1;
	if (!addr) {
		/* as cloud-init: 169.254.[1-168].[0-255]/16 (clear of
		 * 169.254.169.254 and of the reserved first and last /24) */
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			rnd[0] = (unsigned char)getpid(), rnd[1] = (unsigned char)time(NULL);
		snprintf(text, sizeof(text), "169.254.%u.%u/16", 1u + rnd[0] % 168u, rnd[1]);
	} else if (strlen(addr) >= sizeof(text)) {
		return br_fail(-BR_EUSAGE, "link-local address '%.40s': too long", addr);
	} else {
		snprintf(text, sizeof(text), "%s", addr);
	}
	slash = strchr(text, '/');
	if (!slash)
		return br_fail(-BR_EUSAGE, "link-local address '%s': want ADDR/PREFIX", text);
	*slash = '\0';
	prefix = strtoul(slash + 1, &slash, 10);
	if (*slash || prefix < 1 || prefix > 32 || inet_pton(AF_INET, text, &ll->addr) != 1)
		return br_fail(-BR_EUSAGE, "link-local address '%s': want an IPv4 ADDR/PREFIX",
			       addr);
	ll->prefix = (unsigned)prefix;
	rc = pick_link(ll->link, sizeof(ll->link), &ll->was_up);
	if (rc < 0)
		return rc;
	ll->ifindex = rc;
	if (!ll->was_up && (rc = link_set_up(ll->ifindex, 1)) < 0) {
		ll->ifindex = -1;
		return br_fail(rc, "link-local: set %s up: %s", ll->link, strerror(-rc));
	}
	rc = addr_change(1, ll->ifindex, &ll->addr, ll->prefix);
	if (rc < 0) {
		if (!ll->was_up)
			link_set_up(ll->ifindex, 0);
		ll->ifindex = -1;
		return br_fail(rc, "link-local: add %s/%u to %s: %s", text, ll->prefix, ll->link,
			       strerror(-rc));
	}
	snprintf(ll->text, sizeof(ll->text), "%s/%u", text, ll->prefix);
	br_debug("link-local: %s added to %s", ll->text, ll->link);
	return 0;
}

int cloud_linklocal_del(struct cloud_linklocal *ll)
{
	int rc, rc2 = 0;

	if (ll->ifindex < 0)
		return 0;
	rc = addr_change(0, ll->ifindex, &ll->addr, ll->prefix);
	if (!ll->was_up)
		rc2 = link_set_up(ll->ifindex, 0);
	ll->ifindex = -1;
	if (rc < 0)
		return br_fail(rc, "link-local: remove %s from %s: %s", ll->text, ll->link,
			       strerror(-rc));
	return rc2 < 0 ? br_fail(rc2, "link-local: set %s down again: %s", ll->link, strerror(-rc2))
		       : 0;
}
