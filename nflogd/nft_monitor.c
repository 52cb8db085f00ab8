/* nf_tables notifications: noticing that our table was deleted or flushed. */
#include "nft_monitor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "compat/compat.h"
#include "sockbuf.h"

#define MONITOR_BUF (256 << 10)
#define MONITOR_RCVBUF (4 << 20)	/* a ruleset flush sends one event per object */

int nft_monitor_open(struct nft_monitor *m, struct error *err)
{
	memset(m, 0, sizeof(*m));
	m->buf = malloc(MONITOR_BUF);
	m->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (m->buf == NULL || m->nl == NULL ||
	    mnl_socket_bind(m->nl, 1u << (NFNLGRP_NFTABLES - 1), MNL_SOCKET_AUTOPID) < 0) {
		error_errno(err, "nft monitor");
		nft_monitor_close(m);
		return -1;
	}
	sockbuf_set_rcvbuf(mnl_socket_get_fd(m->nl), MONITOR_RCVBUF);
	return 0;
}

void nft_monitor_close(struct nft_monitor *m)
{
	if (m->nl)
		mnl_socket_close(m->nl);
	free(m->buf);
	m->nl = NULL;
	m->buf = NULL;
}

int nft_monitor_fd(const struct nft_monitor *m)
{
	return mnl_socket_get_fd(m->nl);
}

static int membership(struct nft_monitor *m, int op)
{
	int group = NFNLGRP_NFTABLES;

	if (m->nl == NULL)
		return 0;
	return setsockopt(mnl_socket_get_fd(m->nl), SOL_NETLINK, op, &group, sizeof(group));
}

void nft_monitor_pause(struct nft_monitor *m)
{
	if (membership(m, NETLINK_DROP_MEMBERSHIP) == 0 && m->nl)
		m->left = true;
}

int nft_monitor_resume(struct nft_monitor *m)
{
	if (!m->left)
		return 0;
	if (membership(m, NETLINK_ADD_MEMBERSHIP) < 0)
		return -1;
	m->left = false;
	return 0;
}

static bool removes_part(uint16_t type)
{
	switch (type) {
	case NFT_MSG_DELTABLE:
	case NFT_MSG_DELCHAIN:
	case NFT_MSG_DELRULE:
	case NFT_MSG_DELSET:
		return true;
	default:	/* element deletions: nft_monitor_classify looks at those */
		return false;
	}
}

/* Elements added by hand matter too: one in a whitelist set lets a host
 * through that the daemon counts and "blocks". */
static bool changes_elements(uint16_t type)
{
	return type == NFT_MSG_DELSETELEM || type == NFT_MSG_NEWSETELEM;
}

/* Every one of these messages names its table in attribute 1
 * (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE). */
static bool names_table(const struct nlmsghdr *nlh, const char *table)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) == 1 && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return strcmp(mnl_attr_get_str(attr), table) == 0;
	}
	return false;
}

enum monitor_verdict nft_monitor_classify(const void *buf, size_t len, const char *table,
					  uint32_t our_portid)
{
	const struct nlmsghdr *nlh = buf;
	int remaining = len > INT32_MAX ? INT32_MAX : (int)len;
	enum monitor_verdict v = MONITOR_UNTOUCHED;

	for (; remaining >= (int)NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN &&
	       nlh->nlmsg_len <= (uint32_t)remaining;
	     nlh = mnl_nlmsg_next(nlh, &remaining)) {
		if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
		    nlh->nlmsg_pid == our_portid || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
			continue;
		if (removes_part(NFNL_MSG_TYPE(nlh->nlmsg_type)) && names_table(nlh, table))
			return MONITOR_HIT;
		/* NFTA_SET_ELEM_LIST_TABLE is attribute 1 too. */
		if (changes_elements(NFNL_MSG_TYPE(nlh->nlmsg_type)) && nlh->nlmsg_pid != 0 &&
		    names_table(nlh, table))
			v = MONITOR_ELEMENTS;
	}
	return v;
}

bool nft_monitor_hits(const void *buf, size_t len, const char *table, uint32_t our_portid)
{
	return nft_monitor_classify(buf, len, table, our_portid) == MONITOR_HIT;
}

enum monitor_verdict nft_monitor_drain(struct nft_monitor *m, const char *table,
				       uint32_t our_portid)
{
	int fd = mnl_socket_get_fd(m->nl);
	bool hit = false, lost = false, elems = false;

	for (;;) {
		ssize_t r = recv(fd, m->buf, MONITOR_BUF, MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				m->overruns++;
				lost = true;
				continue;
			}
			return hit ? MONITOR_HIT : lost ? MONITOR_UNSURE
			       : elems ? MONITOR_ELEMENTS : MONITOR_UNTOUCHED;
		}
		m->events++;
		switch (nft_monitor_classify(m->buf, (size_t)r, table, our_portid)) {
		case MONITOR_HIT:
			hit = true;
			break;
		case MONITOR_ELEMENTS:
			elems = true;
			break;
		default:
			break;
		}
	}
}
