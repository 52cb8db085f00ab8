/* Sending nf_tables batches, reading every ACK, naming what failed. */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "compat/compat.h"

#define ACK_WAIT_MS 1000	/* the kernel answers within the send; this is a safety net */

int nft_open(struct nft *n, bool timeouts)
{
	int one = 1, rcvbuf = 4 << 20;

	memset(n, 0, sizeof(*n));
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (n->nl == NULL || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(n->err, sizeof(n->err), "nft: netlink socket: %s", strerror(errno));
		nft_close(n);
		return -1;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (uint32_t)time(NULL);
	n->timeouts = timeouts;
	/* Short ACKs (no echo of our message), and the kernel's reason on error. */
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(n->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	return 0;
}

void nft_close(struct nft *n)
{
	if (n->nl)
		mnl_socket_close(n->nl);
	n->nl = NULL;
}

void nft_batch_new(struct nft *n, struct nft_batch *b)
{
	nft_batch_init(b, n->seq);
	nft_batch_start(b);
}

/* The batch must fit the socket's send buffer in one message. The size is
 * remembered: a block's batch goes out without a system call to ask. */
static void fit_sndbuf(struct nft *n, size_t len)
{
	int fd = mnl_socket_get_fd(n->nl), cur = 0, want;
	socklen_t sl = sizeof(cur);

	if (n->sndbuf >= len + 4096)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) == 0 && (size_t)cur >= len + 4096) {
		n->sndbuf = (size_t)cur;
		return;
	}
	want = (int)(len + 65536);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	n->sndbuf = getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) == 0 ? (size_t)cur : 0;
}

struct ack_state {
	struct nft *n;
	const struct nft_batch *b;
	uint32_t acks;
	int first_err;
};

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct ack_state *st = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_ERROR;
	st->acks++;
	if (e->error != 0 && st->first_err == 0) {
		st->first_err = e->error;
		snprintf(st->n->err, sizeof(st->n->err), "nft: %s: %s",
			 nft_batch_label(st->b, e->msg.nlmsg_seq), strerror(-e->error));
	}
	return MNL_CB_OK;
}

static int read_acks(struct nft *n, const struct nft_batch *b)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_error };
	struct ack_state st = { n, b, 0, 0 };
	char buf[65536];
	int fd = mnl_socket_get_fd(n->nl);

	while (st.acks < b->nmsgs) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		/* The replies are usually there already (the kernel runs the
		 * batch inside our send): read first, wait only if not. */
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, ACK_WAIT_MS) <= 0) {
				snprintf(n->err, sizeof(n->err), "nft: %u of %u replies missing",
					 b->nmsgs - st.acks, b->nmsgs);
				return -ETIMEDOUT;
			}
			continue;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: replies were dropped, the outcome is unknown. */
			snprintf(n->err, sizeof(n->err), "nft: reading replies: %s", strerror(errno));
			return -errno;
		}
		/* Every reply is an ACK or an error; there is no NLMSG_DONE to wait for. */
		mnl_cb_run2(buf, (size_t)r, 0, n->portid, NULL, &st, ctl, NLMSG_MIN_TYPE);
	}
	return st.first_err;
}

int nft_commit(struct nft *n, struct nft_batch *b)
{
	ssize_t sent;
	int rc;

	nft_batch_finish(b);
	n->seq = b->seq;
	if (b->failed) {
		snprintf(n->err, sizeof(n->err), "nft: out of memory building a batch");
		return -ENOMEM;
	}
	fit_sndbuf(n, b->len);
	sent = mnl_socket_sendto(n->nl, b->buf, b->len);
	if (sent < 0) {
		int e = errno;

		snprintf(n->err, sizeof(n->err), "nft: sending %zu bytes: %s", b->len, strerror(e));
		return -e;
	}
	rc = read_acks(n, b);
	if (rc == 0)
		n->commits++;
	return rc;
}

int nft_install(struct nft *n, struct nft_ruleset *rs, const struct whitelist *wl,
		const struct nft_block_elem *blocks, size_t nblocks)
{
	struct nft_batch b;
	int rc;

	for (;;) {
		rs->timeouts = n->timeouts;
		nft_batch_new(n, &b);
		nft_batch_put_ruleset(&b, rs, wl, blocks, nblocks);
		rc = nft_commit(n, &b);
		if (rc == 0)
			n->rules_installed = b.nrules;
		nft_batch_free(&b);
		/* Old kernels (e.g. RHEL 7 backports) refuse timeout sets: the
		 * daemon expires blocks itself anyway, so go on without. */
		if (rc == -EOPNOTSUPP && n->timeouts) {
			n->timeouts = false;
			continue;
		}
		return rc;
	}
}

static int commit_blocks(struct nft *n, const char *table, bool add,
			 const struct nft_block_elem *elems, size_t nelems)
{
	struct nft_batch b;
	int rc;

	nft_batch_new(n, &b);
	nft_batch_put_blocks(&b, table, add, n->timeouts, elems, nelems);
	rc = nft_commit(n, &b);
	nft_batch_free(&b);
	return rc;
}

int nft_blocks(struct nft *n, const char *table, bool add,
	       const struct nft_block_elem *elems, size_t nelems)
{
	int rc;

	if (nelems == 0)
		return 0;
	rc = commit_blocks(n, table, add, elems, nelems);
	if (add || rc != -ENOENT)
		return rc;
	if (nelems == 1)
		return 0;	/* it was gone already: what we wanted */
	/* One element already gone fails the whole batch: delete one by one. */
	rc = 0;
	for (size_t i = 0; i < nelems; i++) {
		int r = commit_blocks(n, table, false, &elems[i], 1);

		if (r != 0 && r != -ENOENT)
			rc = r;
	}
	return rc;
}

int nft_table_delete(struct nft *n, const char *table)
{
	struct nft_batch b;
	int rc;

	nft_batch_new(n, &b);
	nft_batch_put_table_delete(&b, table);
	rc = nft_commit(n, &b);
	nft_batch_free(&b);
	return rc;
}

int nft_table_exists(struct nft *n, const char *table)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 2];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	uint32_t seq = n->seq++;
	ssize_t r;

	if (t == NULL)
		return -1;
	/* No ACK flag: the answer is the table or an error, one message. */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0, seq);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	r = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
	if (r < 0)
		return -1;
	/* A NEWTABLE reply means it exists; an error ENOENT that it does not. */
	r = mnl_cb_run(buf, (size_t)r, seq, n->portid, NULL, NULL);
	if (r >= 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

struct gen_reply {
	bool found;
	uint32_t gen;
};

static int gen_attr(const struct nlattr *a, void *data)
{
	struct gen_reply *g = data;

	if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
		g->gen = ntohl(mnl_attr_get_u32(a));
		g->found = true;
	}
	return MNL_CB_OK;
}

static int on_gen(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct nfgenmsg), gen_attr, data) < 0 ? MNL_CB_ERROR
										: MNL_CB_OK;
}

int nft_generation(struct nft *n, uint32_t *gen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct gen_reply g = { false, 0 };
	uint32_t seq = n->seq++;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, 0, seq);
	ssize_t r;

	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	r = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
	if (r < 0 || mnl_cb_run(buf, (size_t)r, seq, n->portid, on_gen, &g) < 0 || !g.found)
		return -1;
	*gen = g.gen;
	return 0;
}

static int on_rule(const struct nlmsghdr *nlh, void *data)
{
	if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWRULE)
		(*(uint32_t *)data)++;
	return MNL_CB_OK;
}

int nft_count_rules(struct nft *n, const char *table, uint32_t *count)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 8];
	struct nftnl_rule *r = nftnl_rule_alloc();
	uint32_t seq = n->seq++;
	struct nlmsghdr *nlh;
	int ret;

	if (r == NULL)
		return -1;
	/* A dump filtered by table: a table that is gone gives no rules. */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, seq);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	*count = 0;
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		ssize_t len = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));

		if (len < 0)
			return -1;
		ret = mnl_cb_run(buf, (size_t)len, seq, n->portid, on_rule, count);
	} while (ret > 0);
	return ret < 0 ? -1 : 0;
}
