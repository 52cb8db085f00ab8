/* rtnetlink neighbour dumps: address -> MAC for the spoof check. */
#include "neigh.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

/* A neighbour dump answers at once; a stuck one must not hold up the loop. */
#define NEIGH_RECV_TIMEOUT_MS 200
/* As libmnl's MNL_SOCKET_DUMP_SIZE: the kernel fills dump skbs up to 32 KiB. */
#define NEIGH_DUMP_BUF 32768

/* States in which the kernel has a link-layer address it believes in. */
#define NEIGH_RESOLVED (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

struct attrs {
	const struct nlattr *dst, *lladdr;
	int bad;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *at = data;

	if (mnl_attr_type_valid(a, NDA_MAX) < 0)
		return MNL_CB_OK;	/* newer than our headers: not ours to judge */
	switch (mnl_attr_get_type(a)) {
	case NDA_DST:
		at->dst = a;
		break;
	case NDA_LLADDR:
		at->lladdr = a;
		break;
	}
	return MNL_CB_OK;
}

int neigh_parse_msg(const struct nlmsghdr *nlh, struct neigh_entry *out)
{
	const struct ndmsg *ndm;
	struct attrs at = { 0 };
	uint16_t alen;

	if (nlh->nlmsg_type != RTM_NEWNEIGH)
		return 0;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ndm)))
		return -1;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, &at) < 0)
		return -1;
	if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
		return 0;
	if (!(ndm->ndm_state & NEIGH_RESOLVED) || (ndm->ndm_flags & NTF_PROXY))
		return 0;
	if (at.dst == NULL || at.lladdr == NULL ||
	    mnl_attr_get_payload_len(at.lladdr) != sizeof(out->mac.b))
		return 0;
	alen = mnl_attr_get_payload_len(at.dst);
	if (ndm->ndm_family == AF_INET && alen == 4)
		addr_from_v4(&out->addr, mnl_attr_get_payload(at.dst));
	else if (ndm->ndm_family == AF_INET6 && alen == 16)
		addr_from_v6(&out->addr, mnl_attr_get_payload(at.dst));
	else
		return -1;
	memcpy(out->mac.b, mnl_attr_get_payload(at.lladdr), sizeof(out->mac.b));
	return 1;
}

struct dump_ctx {
	neigh_fn fn;
	void *ctx;
};

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *dc = data;
	struct neigh_entry e;

	/* One odd message is skipped, not the rest of the table. */
	if (neigh_parse_msg(nlh, &e) == 1)
		dc->fn(dc->ctx, &e);
	return MNL_CB_OK;
}

static int neigh_open(struct neigh *n)
{
	struct timeval tv = { 0, NEIGH_RECV_TIMEOUT_MS * 1000 };

	n->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (n->nl == NULL)
		return -1;
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		neigh_close(n);
		return -1;
	}
	return 0;
}

int neigh_dump(struct neigh *n, neigh_fn fn, void *ctx)
{
	char buf[NEIGH_DUMP_BUF];
	struct dump_ctx dc = { fn, ctx };
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	uint32_t seq, portid;
	ssize_t len;
	int rc;

	if (n->nl == NULL && neigh_open(n) < 0)
		return -1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = ++n->seq;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_UNSPEC;
	portid = mnl_socket_get_portid(n->nl);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		goto broken;
	do {
		len = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
		if (len < 0)
			goto broken;
		rc = mnl_cb_run(buf, (size_t)len, seq, portid, msg_cb, &dc);
	} while (rc > 0);
	if (rc < 0)
		goto broken;
	return 0;
broken:
	/* A timed-out or interrupted dump leaves parts of it queued: start
	 * the next one on a fresh socket. */
	rc = errno;
	neigh_close(n);
	errno = rc;
	return -1;
}

void neigh_close(struct neigh *n)
{
	if (n->nl)
		mnl_socket_close(n->nl);
	n->nl = NULL;
}
