/* Network facts over rtnetlink (no libnl): links, addresses, routes.
 *
 * The parsers take a buffer of netlink messages as the kernel sends them
 * for a dump, so tests and the fuzzer feed canned bytes; the collector
 * only opens the socket, sends three dump requests and hands the answers
 * over. Unknown attributes are skipped, truncated ones refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cloudinit/cloudinit.h"
#include "common/err.h"
#include "common/log.h"

/* linux/if.h has it but clashes with net/if.h */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

#define DUMP_MAX (8u << 20) /* a dump larger than this is not a cloud VM's */
#define RECV_CHUNK (64u << 10)

static cJSON *array_in(cJSON *obj, const char *name)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (cJSON_IsArray(arr))
		return arr;
	return cJSON_AddArrayToObject(obj, name);
}

/* Walk the attributes of one message: tb[type] = attribute, last wins. */
static void parse_attrs(struct rtattr *rta, int len, struct rtattr **tb, int max)
{
	int i;

	for (i = 0; i <= max; i++)
		tb[i] = NULL;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type <= max)
			tb[rta->rta_type] = rta;
}

static int addr_to_string(int family, const struct rtattr *rta, char *out, size_t outlen)
{
	size_t need = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;

	if (!rta || !need || RTA_PAYLOAD(rta) != need)
		return -EINVAL;
	return inet_ntop(family, RTA_DATA(rta), out, (socklen_t)outlen) ? 0 : -EINVAL;
}

/* Iterate messages; returns the message or NULL at the end. A NLMSG_ERROR
 * in a dump is reported as rc. */
struct nl_iter {
	const char *buf;
	size_t len, off;
	int rc;
};

static const struct nlmsghdr *nl_next(struct nl_iter *it)
{
	const struct nlmsghdr *h;

	while (it->len - it->off >= sizeof(struct nlmsghdr)) {
		h = (const struct nlmsghdr *)(const void *)(it->buf + it->off);
		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > it->len - it->off) {
			it->rc = br_fail(-BR_EMALFORMED, "netlink: truncated message");
			return NULL;
		}
		it->off += NLMSG_ALIGN(h->nlmsg_len) < it->len - it->off ? NLMSG_ALIGN(h->nlmsg_len)
									 : it->len - it->off;
		if (h->nlmsg_type == NLMSG_DONE)
			return NULL;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			/* only -4095..-1 is an errno; anything else is garbage */
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error) {
				int err = e->error < 0 && e->error > -4096 ? e->error : -EPROTO;

				it->rc = br_fail(err, "netlink: kernel says %s", strerror(-err));
			}
			return NULL;
		}
		if (h->nlmsg_type == NLMSG_NOOP)
			continue;
		return h;
	}
	return NULL;
}

/* Copy of a message in aligned memory (the buffer may be any bytes). */
static struct nlmsghdr *nl_copy(const struct nlmsghdr *h, void *store, size_t storelen)
{
	size_t n = h->nlmsg_len < storelen ? h->nlmsg_len : storelen;

	memcpy(store, h, n);
	((struct nlmsghdr *)store)->nlmsg_len = (unsigned)n;
	return store;
}

#define MSG_STORE 16384
static _Alignas(8) char msg_store[MSG_STORE];

int cloud_netlink_parse_links(const void *buf, size_t len, cJSON *net)
{
	struct nl_iter it = {buf, len, 0, 0};
	const struct nlmsghdr *h;
	cJSON *links = array_in(net, "links");

	if (!links)
		return -ENOMEM;
	while ((h = nl_next(&it))) {
		struct rtattr *tb[IFLA_MAX + 1];
		const struct ifinfomsg *ifi;
		struct nlmsghdr *m;
		cJSON *o;
		char name[IF_NAMESIZE + 1], mac[3 * 32];
		int alen;

		if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
			continue;
		m = nl_copy(h, msg_store, sizeof(msg_store));
		ifi = NLMSG_DATA(m);
		parse_attrs(IFLA_RTA(ifi), (int)(m->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi))), tb,
			    IFLA_MAX);
		if (!tb[IFLA_IFNAME] || RTA_PAYLOAD(tb[IFLA_IFNAME]) < 2 ||
		    RTA_PAYLOAD(tb[IFLA_IFNAME]) > IF_NAMESIZE)
			continue;
		memcpy(name, RTA_DATA(tb[IFLA_IFNAME]), RTA_PAYLOAD(tb[IFLA_IFNAME]));
		name[RTA_PAYLOAD(tb[IFLA_IFNAME])] = '\0';
		if (!name[0] || strlen(name) != strnlen(name, IF_NAMESIZE))
			continue;
		if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(links, o))
			return -ENOMEM;
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddNumberToObject(o, "index", ifi->ifi_index);
		mac[0] = '\0';
		alen = tb[IFLA_ADDRESS] ? (int)RTA_PAYLOAD(tb[IFLA_ADDRESS]) : 0;
		if (alen > 0 && alen <= 31) {
			const unsigned char *a = RTA_DATA(tb[IFLA_ADDRESS]);
			static const char hexd[] = "0123456789abcdef";
			size_t i;

			for (i = 0; i < (size_t)alen; i++) {
				mac[3 * i] = hexd[a[i] >> 4];
				mac[3 * i + 1] = hexd[a[i] & 15];
				mac[3 * i + 2] = i + 1 < (size_t)alen ? ':' : '\0';
			}
		}
		cJSON_AddStringToObject(o, "mac", mac);
		if (tb[IFLA_MTU] && RTA_PAYLOAD(tb[IFLA_MTU]) == 4) {
			unsigned mtu;

			memcpy(&mtu, RTA_DATA(tb[IFLA_MTU]), 4);
			cJSON_AddNumberToObject(o, "mtu", mtu);
		}
		cJSON_AddBoolToObject(o, "up", !!(ifi->ifi_flags & IFF_UP));
		cJSON_AddBoolToObject(o, "carrier", !!(ifi->ifi_flags & IFF_LOWER_UP));
		cJSON_AddBoolToObject(o, "loopback", !!(ifi->ifi_flags & IFF_LOOPBACK));
	}
	return it.rc;
}

static const char *scope_name(unsigned scope)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE:
		return "global";
	case RT_SCOPE_SITE:
		return "site";
	case RT_SCOPE_LINK:
		return "link";
	case RT_SCOPE_HOST:
		return "host";
	default:
		return "other";
	}
}

int cloud_netlink_parse_addrs(const void *buf, size_t len, cJSON *net)
{
	struct nl_iter it = {buf, len, 0, 0};
	const struct nlmsghdr *h;
	cJSON *addrs = array_in(net, "addresses");

	if (!addrs)
		return -ENOMEM;
	while ((h = nl_next(&it))) {
		struct rtattr *tb[IFA_MAX + 1];
		const struct ifaddrmsg *ifa;
		struct nlmsghdr *m;
		char ip[INET6_ADDRSTRLEN];
		unsigned flags;
		cJSON *o;

		if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
			continue;
		m = nl_copy(h, msg_store, sizeof(msg_store));
		ifa = NLMSG_DATA(m);
		if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
			continue;
		parse_attrs(IFA_RTA(ifa), (int)(m->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa))), tb,
			    IFA_MAX);
		/* IFA_LOCAL is our address; IFA_ADDRESS is the peer on
		 * point-to-point links and the same as IFA_LOCAL elsewhere. */
		if (addr_to_string(ifa->ifa_family, tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS],
				   ip, sizeof(ip)) < 0)
			continue;
		if (ifa->ifa_prefixlen > (ifa->ifa_family == AF_INET ? 32 : 128))
			continue;
		flags = ifa->ifa_flags;
		if (tb[IFA_FLAGS] && RTA_PAYLOAD(tb[IFA_FLAGS]) == 4)
			memcpy(&flags, RTA_DATA(tb[IFA_FLAGS]), 4);
		if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(addrs, o))
			return -ENOMEM;
		cJSON_AddNumberToObject(o, "index", ifa->ifa_index);
		cJSON_AddStringToObject(o, "family", ifa->ifa_family == AF_INET ? "inet" : "inet6");
		cJSON_AddStringToObject(o, "address", ip);
		cJSON_AddNumberToObject(o, "prefix", ifa->ifa_prefixlen);
		cJSON_AddStringToObject(o, "scope", scope_name(ifa->ifa_scope));
		cJSON_AddBoolToObject(o, "dynamic", !(flags & IFA_F_PERMANENT));
	}
	return it.rc;
}

static const char *proto_name(unsigned p)
{
	switch (p) {
	case RTPROT_KERNEL:
		return "kernel";
	case RTPROT_BOOT:
		return "boot";
	case RTPROT_STATIC:
		return "static";
	case RTPROT_DHCP:
		return "dhcp";
	case RTPROT_RA:
		return "ra";
	default:
		return "other";
	}
}

static int add_nexthop(cJSON *hops, int family, const struct rtnexthop *nh, size_t avail)
{
	struct rtattr *tb[RTA_MAX + 1];
	char gw[INET6_ADDRSTRLEN];
	cJSON *o;

	if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(hops, o))
		return -ENOMEM;
	cJSON_AddNumberToObject(o, "index", nh->rtnh_ifindex);
	parse_attrs(RTNH_DATA(nh), (int)(avail - RTNH_LENGTH(0)), tb, RTA_MAX);
	if (addr_to_string(family, tb[RTA_GATEWAY], gw, sizeof(gw)) == 0)
		cJSON_AddStringToObject(o, "gateway", gw);
	cJSON_AddBoolToObject(o, "onlink", !!(nh->rtnh_flags & RTNH_F_ONLINK));
	cJSON_AddNumberToObject(o, "weight", nh->rtnh_hops + 1);
	return 0;
}

int cloud_netlink_parse_routes(const void *buf, size_t len, cJSON *net)
{
	struct nl_iter it = {buf, len, 0, 0};
	const struct nlmsghdr *h;
	cJSON *routes = array_in(net, "routes");
	int rc;

	if (!routes)
		return -ENOMEM;
	while ((h = nl_next(&it))) {
		struct rtattr *tb[RTA_MAX + 1];
		const struct rtmsg *rtm;
		struct nlmsghdr *m;
		char dst[INET6_ADDRSTRLEN + 4], ip[INET6_ADDRSTRLEN];
		unsigned table;
		cJSON *o;

		if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
			continue;
		m = nl_copy(h, msg_store, sizeof(msg_store));
		rtm = NLMSG_DATA(m);
		if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
			continue;
		parse_attrs(RTM_RTA(rtm), (int)(m->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm))), tb,
			    RTA_MAX);
		table = rtm->rtm_table;
		if (tb[RTA_TABLE] && RTA_PAYLOAD(tb[RTA_TABLE]) == 4)
			memcpy(&table, RTA_DATA(tb[RTA_TABLE]), 4);
		/* The main table's unicast routes are the configuration; local,
		 * broadcast and multicast ones the kernel makes by itself. */
		if (table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST)
			continue;
		if (rtm->rtm_dst_len > (rtm->rtm_family == AF_INET ? 32 : 128))
			continue;
		if (rtm->rtm_dst_len == 0) {
			snprintf(dst, sizeof(dst), "default");
		} else {
			if (addr_to_string(rtm->rtm_family, tb[RTA_DST], ip, sizeof(ip)) < 0)
				continue;
			snprintf(dst, sizeof(dst), "%s/%u", ip, rtm->rtm_dst_len);
		}
		if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(routes, o))
			return -ENOMEM;
		cJSON_AddStringToObject(o, "family", rtm->rtm_family == AF_INET ? "inet" : "inet6");
		cJSON_AddStringToObject(o, "dst", dst);
		if (addr_to_string(rtm->rtm_family, tb[RTA_GATEWAY], ip, sizeof(ip)) == 0)
			cJSON_AddStringToObject(o, "gateway", ip);
		if (tb[RTA_OIF] && RTA_PAYLOAD(tb[RTA_OIF]) == 4) {
			int oif;

			memcpy(&oif, RTA_DATA(tb[RTA_OIF]), 4);
			cJSON_AddNumberToObject(o, "index", oif);
		}
		if (addr_to_string(rtm->rtm_family, tb[RTA_PREFSRC], ip, sizeof(ip)) == 0)
			cJSON_AddStringToObject(o, "src", ip);
		if (tb[RTA_PRIORITY] && RTA_PAYLOAD(tb[RTA_PRIORITY]) == 4) {
			unsigned metric;

			memcpy(&metric, RTA_DATA(tb[RTA_PRIORITY]), 4);
			cJSON_AddNumberToObject(o, "metric", metric);
		}
		/* A gateway outside every local prefix (GCP's /32 addresses)
		 * is only reachable with the on-link flag. */
		cJSON_AddBoolToObject(o, "onlink", !!(rtm->rtm_flags & RTNH_F_ONLINK));
		cJSON_AddStringToObject(o, "scope", scope_name(rtm->rtm_scope));
		cJSON_AddStringToObject(o, "protocol", proto_name(rtm->rtm_protocol));
		if (tb[RTA_MULTIPATH]) {
			const char *p = RTA_DATA(tb[RTA_MULTIPATH]);
			size_t left = RTA_PAYLOAD(tb[RTA_MULTIPATH]);
			cJSON *hops = cJSON_AddArrayToObject(o, "nexthops");

			if (!hops)
				return -ENOMEM;
			while (left >= sizeof(struct rtnexthop)) {
				const struct rtnexthop *nh = (const void *)p;

				if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > left)
					break;
				if ((rc = add_nexthop(hops, rtm->rtm_family, nh, nh->rtnh_len)) < 0)
					return rc;
				if ((size_t)RTNH_ALIGN(nh->rtnh_len) >= left)
					break;
				left -= (size_t)RTNH_ALIGN(nh->rtnh_len);
				p += RTNH_ALIGN(nh->rtnh_len);
			}
		}
	}
	return it.rc;
}

/* --- the live dump -------------------------------------------------------- */

static int nl_dump(int fd, unsigned seq, int type, int family, char **out, size_t *outlen)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		char pad[16];
	} req;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	int rc, done = 0;

	memset(&req, 0, sizeof(req));
	/* ifinfomsg/ifaddrmsg/rtmsg all start with the family byte and the
	 * kernel accepts a bare rtgenmsg for dumps */
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.g));
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.g.rtgen_family = (unsigned char)family;
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return br_fail(-errno, "netlink: send: %s", strerror(errno));
	while (!done) {
		struct iovec iov;
		struct msghdr mh = {
		    .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1};
		const struct nlmsghdr *h;
		ssize_t n;
		size_t off;

		if (cap - len < RECV_CHUNK) {
			if (cap >= DUMP_MAX) {
				rc = br_fail(-BR_ETOOBIG, "netlink: dump larger than %u bytes",
					     DUMP_MAX);
				goto fail;
			}
			nb = realloc(buf, cap + RECV_CHUNK);
			if (!nb) {
				rc = -ENOMEM;
				goto fail;
			}
			buf = nb;
			cap += RECV_CHUNK;
		}
		iov.iov_base = buf + len;
		iov.iov_len = cap - len;
		n = recvmsg(fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = br_fail(-errno, "netlink: receive: %s", strerror(errno));
			goto fail;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			rc = br_fail(-EMSGSIZE, "netlink: message truncated");
			goto fail;
		}
		if (n == 0 || sa.nl_pid != 0)
			continue;
		for (off = 0; (size_t)n - off >= sizeof(struct nlmsghdr);
		     off += NLMSG_ALIGN(h->nlmsg_len)) {
			h = (const void *)(buf + len + off);
			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > (size_t)n - off)
				break;
			if (h->nlmsg_seq == seq &&
			    (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR))
				done = 1;
		}
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return rc;
}

/* Give addresses and routes their link's name, so the target needs no
 * index table (indexes differ across kernels). */
static void name_links(cJSON *net)
{
	static const char *const arrays[] = {"addresses", "routes"};
	const cJSON *links = cJSON_GetObjectItemCaseSensitive(net, "links");
	cJSON *arr, *it, *l;
	size_t i;

	for (i = 0; i < 2; i++) {
		arr = cJSON_GetObjectItemCaseSensitive(net, arrays[i]);
		cJSON_ArrayForEach(it, arr)
		{
			const cJSON *idx = cJSON_GetObjectItemCaseSensitive(it, "index");

			if (!cJSON_IsNumber(idx))
				continue;
			cJSON_ArrayForEach(l, links)
			{
				const cJSON *li = cJSON_GetObjectItemCaseSensitive(l, "index");
				const cJSON *ln = cJSON_GetObjectItemCaseSensitive(l, "name");

				if (cJSON_IsNumber(li) && li->valueint == idx->valueint &&
				    cJSON_IsString(ln)) {
					cJSON_AddStringToObject(it, "link", ln->valuestring);
					break;
				}
			}
		}
	}
}

int cloud_netlink_collect(cJSON *net)
{
	static const struct {
		int type;
		int (*parse)(const void *, size_t, cJSON *);
	} dumps[] = {
	    {RTM_GETLINK, cloud_netlink_parse_links},
	    {RTM_GETADDR, cloud_netlink_parse_addrs},
	    {RTM_GETROUTE, cloud_netlink_parse_routes},
	};
	struct sockaddr_nl local = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = 5};
	size_t i, len = 0;
	char *buf = NULL;
	int fd, rc = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return br_fail(-errno, "netlink: socket: %s", strerror(errno));
	/* a kernel that never answers must not hang the takeover */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		rc = br_fail(-errno, "netlink: bind: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		rc = nl_dump(fd, (unsigned)(i + 1), dumps[i].type, AF_UNSPEC, &buf, &len);
		if (rc < 0)
			goto out;
		rc = dumps[i].parse(buf, len, net);
		free(buf);
		if (rc < 0)
			goto out;
	}
	name_links(net);
out:
	close(fd);
	return rc;
}
