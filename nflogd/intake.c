/* NFLOG intake over libmnl and libnetfilter_log's nlmsg helpers. */
#include "intake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnetfilter_log/libnetfilter_log.h>

#include "compat/compat.h"
#include "sockbuf.h"

static void account_seq(struct intake_state *state, struct intake_stats *st, uint32_t got)
{
	if (state->seq_seen && got != state->seq_next) {
		uint32_t gap = got - state->seq_next;

		if (gap < (1u << 31))
			st->lost += gap;
		else
			st->seq_resets++;
	}
	state->seq_seen = true;
	state->seq_next = got + 1;
}

/* One message's attributes, in a single pass with every bound checked.
 * Not nflog_nlmsg_parse(): its callback and several libmnl calls per
 * attribute made the parse ten times the cost of the walk itself (make
 * bench), and it stops quietly at an attribute that overruns the message,
 * which needs a second walk to notice. */
struct packet_attrs {
	struct intake_event ev;
	bool have_seq;
	uint32_t seq;
};

/* The attributes read; the others are only stepped over. */
#define WANTED_ATTRS (1u << NFULA_SEQ | 1u << NFULA_PAYLOAD | 1u << NFULA_HWADDR | \
		      1u << NFULA_TIMESTAMP)

static bool is_wanted(unsigned type)
{
	return type < 32 && (WANTED_ATTRS >> type & 1);
}

/* Readers of the wanted attributes, their sizes checked by the caller. */
static void take_seq(const uint8_t *pl, struct packet_attrs *out)
{
	memcpy(&out->seq, pl, sizeof(out->seq));
	out->seq = ntohl(out->seq);
	out->have_seq = true;
}

static void take_hwaddr(const uint8_t *pl, struct packet_attrs *out)
{
	struct nfulnl_msg_packet_hw hw;

	memcpy(&hw, pl, sizeof(hw));
	if (ntohs(hw.hw_addrlen) > 0 && ntohs(hw.hw_addrlen) <= sizeof(hw.hw_addr)) {
		out->ev.hwaddr = pl + offsetof(struct nfulnl_msg_packet_hw, hw_addr);
		out->ev.hwaddr_len = ntohs(hw.hw_addrlen);
	}
}

static void take_timestamp(const uint8_t *pl, struct packet_attrs *out)
{
	struct nfulnl_msg_packet_timestamp ts;

	memcpy(&ts, pl, sizeof(ts));
	out->ev.tstamp_us = be64toh(ts.sec) * 1000000 + be64toh(ts.usec);
}

/* Read a wanted attribute; false if its size is wrong. */
static bool take_attr(unsigned type, const uint8_t *pl, size_t plen, struct packet_attrs *out)
{
	switch (type) {
	case NFULA_SEQ:
		if (plen != sizeof(uint32_t))
			return false;
		take_seq(pl, out);
		break;
	case NFULA_PAYLOAD:
		out->ev.payload = pl;
		out->ev.len = plen;
		break;
	case NFULA_HWADDR:
		if (plen < sizeof(struct nfulnl_msg_packet_hw))
			return false;
		take_hwaddr(pl, out);
		break;
	case NFULA_TIMESTAMP:
		if (plen < sizeof(struct nfulnl_msg_packet_timestamp))
			return false;
		take_timestamp(pl, out);
		break;
	}
	return true;
}

#define ATTRS_START (NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)))

/* Keep the layout of a whole message that has the kernel's shape: the
 * payload last, no attribute we read twice (the walk would keep the last
 * of two, by their contents). Otherwise nattrs stays 0: walked each time. */
static void layout_learn(struct intake_layout *l, unsigned n, unsigned last_type,
			 bool repeats, uint32_t msg_len)
{
	if (n == 0 || n > INTAKE_LAYOUT_ATTRS || msg_len > UINT16_MAX || repeats ||
	    last_type != NFULA_PAYLOAD)
		return;
	l->nattrs = (uint8_t)n;
}

/* false: the message is broken (an attribute overruns it or has the wrong
 * size); what was read before the break, the sequence number included,
 * stays in *out. */
static bool walk_attrs(const struct nlmsghdr *nlh, struct packet_attrs *out,
		       struct intake_layout *layout)
{
	const uint8_t *msg = (const uint8_t *)nlh, *p = msg + ATTRS_START;
	const uint8_t *end = msg + nlh->nlmsg_len;
	unsigned n = 0, type = 0;
	uint32_t seen = 0;
	bool repeats = false;

	layout->seq_off = layout->hwaddr_off = layout->timestamp_off = 0;
	while (end - p >= (ptrdiff_t)sizeof(struct nlattr)) {
		const struct nlattr *at = (const void *)p;
		size_t alen = at->nla_len;

		type = at->nla_type & NLA_TYPE_MASK;
		/* One test for both bounds: the padded length covers the
		 * length, and a kernel message pads its last attribute too. */
		if (alen < NLA_HDRLEN || NLA_ALIGN(alen) > (size_t)(end - p))
			return false;
		if (is_wanted(type)) {
			if (!take_attr(type, p + NLA_HDRLEN, alen - NLA_HDRLEN, out))
				return false;
			repeats |= (seen >> type & 1) != 0;
			seen |= 1u << type;
		}
		if (n < INTAKE_LAYOUT_ATTRS) {
			uint16_t off = (uint16_t)(p - msg);

			layout->off[n] = off;
			memcpy(&layout->hdr[n], p, sizeof(layout->hdr[n]));
			if (type == NFULA_SEQ)
				layout->seq_off = off;
			else if (type == NFULA_HWADDR)
				layout->hwaddr_off = off;
			else if (type == NFULA_TIMESTAMP)
				layout->timestamp_off = off;
		}
		n++;
		p += NLA_ALIGN(alen);
	}
	if (p != end)		/* a kernel message ends on its last attribute */
		return false;
	layout_learn(layout, n, type, repeats, nlh->nlmsg_len);
	return true;
}

/* The message has the layout learnt: at each offset the same attribute
 * header, but for the last, the payload, whose length may differ as long as
 * it ends the message. Then the walk would step exactly where it stepped. */
static bool layout_matches(const struct intake_layout *l, const struct nlmsghdr *nlh)
{
	const uint8_t *msg = (const uint8_t *)nlh;
	unsigned last = l->nattrs - 1u;
	uint32_t diff = 0;
	struct nlattr tail, learnt;

	if (l->nattrs == 0 || nlh->nlmsg_len < l->off[last] + (uint32_t)NLA_HDRLEN)
		return false;
	for (unsigned i = 0; i < last; i++) {
		uint32_t hdr;

		memcpy(&hdr, msg + l->off[i], sizeof(hdr));
		diff |= hdr ^ l->hdr[i];
	}
	memcpy(&tail, msg + l->off[last], sizeof(tail));
	memcpy(&learnt, &l->hdr[last], sizeof(learnt));
	return diff == 0 && tail.nla_type == learnt.nla_type && tail.nla_len >= NLA_HDRLEN &&
	       (uint32_t)NLA_ALIGN(tail.nla_len) == nlh->nlmsg_len - l->off[last];
}

/* walk_attrs' result for a message with the learnt layout: the attributes
 * before the payload have the sizes that passed then; the contents are
 * read afresh. */
static void layout_take(const struct intake_layout *l, const struct nlmsghdr *nlh,
			struct packet_attrs *out)
{
	const uint8_t *msg = (const uint8_t *)nlh, *tail = msg + l->off[l->nattrs - 1];
	uint16_t tail_len;

	if (l->seq_off)
		take_seq(msg + l->seq_off + NLA_HDRLEN, out);
	if (l->hwaddr_off)
		take_hwaddr(msg + l->hwaddr_off + NLA_HDRLEN, out);
	if (l->timestamp_off)
		take_timestamp(msg + l->timestamp_off + NLA_HDRLEN, out);
	memcpy(&tail_len, tail, sizeof(tail_len));	/* nla_len */
	out->ev.payload = tail + NLA_HDRLEN;
	out->ev.len = tail_len - NLA_HDRLEN;
}

static void parse_packet_msg(const struct nlmsghdr *nlh, struct intake_state *state,
			     struct intake_stats *st, intake_event_fn fn, void *ctx)
{
	struct packet_attrs a = { 0 };
	bool whole = true;

	/* The kernel pads every message to 4 bytes. */
	if (nlh->nlmsg_len < ATTRS_START || nlh->nlmsg_len % NLMSG_ALIGNTO != 0) {
		st->malformed++;
		return;
	}
	if (!state->walk_always && layout_matches(&state->layout, nlh)) {
		layout_take(&state->layout, nlh, &a);
	} else {
		state->layout.nattrs = 0;	/* learnt again from a whole message */
		whole = walk_attrs(nlh, &a, &state->layout);
	}
	/* The sequence number counts even for a message we cannot use. */
	if (a.have_seq)
		account_seq(state, st, a.seq);
	if (!whole || a.ev.payload == NULL) {
		st->malformed++;
		return;
	}
	st->events++;
	fn(ctx, &a.ev);
}

/* mnl_nlmsg_next(), here so it inlines: it runs for every message. The
 * padded length may pass the end (by up to 3 bytes): remaining < 0 ends it. */
static const struct nlmsghdr *next_msg(const struct nlmsghdr *nlh, int *remaining)
{
	size_t step = NLMSG_ALIGN((size_t)nlh->nlmsg_len);

	*remaining = step > (size_t)*remaining ? -1 : *remaining - (int)step;
	return (const void *)((const uint8_t *)nlh + step);
}

void intake_parse_datagram(const void *buf, size_t len, struct intake_state *state,
			  struct intake_stats *st, intake_event_fn fn, void *ctx)
{
	const struct nlmsghdr *nlh = buf;
	int remaining = len > INT32_MAX ? INT32_MAX : (int)len;

	st->datagrams++;
	st->bytes += len;
	/* Not mnl_nlmsg_ok(): it compares nlmsg_len as a signed int, so a length
	 * with the top bit set would pass and walk us far past the buffer. */
	for (; remaining >= (int)NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN &&
	       nlh->nlmsg_len <= (uint32_t)remaining;
	     nlh = next_msg(nlh, &remaining)) {
		if (nlh->nlmsg_type == (NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET))
			parse_packet_msg(nlh, state, st, fn, ctx);
		else if (nlh->nlmsg_type == NLMSG_DONE)
			continue;	/* closes a batch of several messages */
		else
			st->other++;
	}
	/* Bytes left that do not form a message: a broken datagram. */
	if (remaining > 0)
		st->malformed++;
}

/* --- the socket --- */

static int send_config(struct intake *n, uint16_t family, uint16_t group,
		       void (*put)(struct nlmsghdr *nlh, const void *arg), const void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	memset(buf, 0, sizeof(buf));	/* attribute padding goes out too */
	nlh = nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, family, group);
	nlh->nlmsg_flags |= NLM_F_ACK;
	put(nlh, arg);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	ret = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
	if (ret < 0)
		return -1;
	return mnl_cb_run(buf, (size_t)ret, 0, mnl_socket_get_portid(n->nl), NULL, NULL) < 0
		       ? -1 : 0;
}

static void put_bind(struct nlmsghdr *nlh, const void *arg)
{
	(void)arg;
	nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_BIND);
}

/* A batching mode: its threshold and the flush timeout that goes with it. */
static void put_qthreshold(struct nlmsghdr *nlh, const void *arg)
{
	uint32_t qthreshold = *(const uint32_t *)arg;

	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(qthreshold));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT,
			 htonl(qthreshold == INTAKE_QTHRESH_QUIET ? INTAKE_TIMEOUT_QUIET
								  : INTAKE_TIMEOUT_BUSY));
}

static void put_settings(struct nlmsghdr *nlh, const void *arg)
{
	uint32_t qthreshold = *(const uint32_t *)arg;

	nflog_attr_put_cfg_mode(nlh, NFULNL_COPY_PACKET, INTAKE_COPY_RANGE);
	mnl_attr_put_u32(nlh, NFULA_CFG_NLBUFSIZ, htonl(INTAKE_NLBUFSIZ));
	/* With the flush timeout: not the default second. */
	put_qthreshold(nlh, &qthreshold);
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));
}

/* Asking for receive timestamps on any socket makes the kernel stamp every
 * packet it receives (one clock read each, as while tcpdump runs), so NFLOG
 * events carry NFULA_TIMESTAMP: the arrival time that block latency is
 * measured from. Best effort: without it, latency is not measured. */
static void enable_timestamps(int fd)
{
	int on = 1;

	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on));
}

int intake_open(struct intake *n, uint16_t group, struct error *err)
{
	uint32_t qthreshold = INTAKE_QTHRESH_QUIET;

	memset(n, 0, sizeof(*n));
	n->qthreshold = qthreshold;
	n->group = group;
	n->buf = malloc(INTAKE_RECV_BUF);
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (n->buf == NULL || n->nl == NULL || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		error_errno(err, "intake: netlink socket");
		goto fail;
	}
	sockbuf_set_rcvbuf(mnl_socket_get_fd(n->nl), INTAKE_RCVBUF);
	enable_timestamps(mnl_socket_get_fd(n->nl));
	/* Config replies come at once; read them blocking. */
	if (send_config(n, AF_UNSPEC, group, put_bind, NULL) < 0) {
		struct error e;

		error_errno(&e, "intake: bind group %u", group);
		error_set(err, "%s%s", e.msg, errno == EBUSY || errno == EPERM
				 ? " (another program, ulogd?, holds this group)" : "");
		goto fail;
	}
	if (send_config(n, AF_UNSPEC, group, put_settings, &qthreshold) < 0) {
		error_errno(err, "intake: configure group %u", group);
		goto fail;
	}
	return 0;
fail:
	intake_close(n);
	return -1;
}

uint32_t intake_socket_drops(const struct intake *n)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (n->nl == NULL)	/* not open (yet) */
		return 0;
	if (getsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len < sizeof(mem))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

uint32_t intake_qthreshold_for(uint32_t current, uint64_t events_per_s)
{
	if (current == INTAKE_QTHRESH_QUIET && events_per_s > INTAKE_BUSY_RATE)
		return INTAKE_QTHRESH_BUSY;
	if (current != INTAKE_QTHRESH_QUIET && events_per_s < INTAKE_QUIET_RATE)
		return INTAKE_QTHRESH_QUIET;
	return current;
}

uint32_t intake_next_qthreshold(uint32_t current, uint64_t events_per_s, uint32_t *streak)
{
	uint32_t want = intake_qthreshold_for(current, events_per_s);

	if (current != INTAKE_QTHRESH_QUIET || want == current) {
		*streak = 0;
		return want;
	}
	if (++*streak < INTAKE_BUSY_PERIODS)
		return current;
	*streak = 0;
	return want;
}

uint64_t intake_rate_period_ms(uint32_t qthreshold)
{
	return qthreshold == INTAKE_QTHRESH_QUIET ? INTAKE_RATE_PERIOD_QUIET_MS
						  : INTAKE_RATE_PERIOD_BUSY_MS;
}

void intake_adapt(struct intake *n, uint64_t now_ms)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint64_t elapsed = now_ms - n->rate_since_ms;
	uint32_t want;
	struct nlmsghdr *nlh;

	if (n->nl == NULL || elapsed < intake_rate_period_ms(n->qthreshold))
		return;
	want = intake_next_qthreshold(n->qthreshold,
				      (n->stats.events - n->rate_events) * 1000 / elapsed,
				      &n->busy_streak);
	n->rate_since_ms = now_ms;
	n->rate_events = n->stats.events;
	if (want == n->qthreshold)
		return;
	/* No ACK asked: its reply would land among the events. An error
	 * comes back anyway, and is counted with the other non-events. */
	memset(buf, 0, sizeof(buf));
	nlh = nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, AF_UNSPEC, n->group);
	put_qthreshold(nlh, &want);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) == (ssize_t)nlh->nlmsg_len) {
		n->qthreshold = want;
		n->mode_switches++;
	}
}

void intake_close(struct intake *n)
{
	if (n->nl)
		mnl_socket_close(n->nl);
	free(n->buf);
	n->nl = NULL;
	n->buf = NULL;
}

int intake_fd(const struct intake *n)
{
	return mnl_socket_get_fd(n->nl);
}

size_t intake_drain(struct intake *n, intake_event_fn fn, void *ctx)
{
	int fd = mnl_socket_get_fd(n->nl);
	size_t datagrams = 0;

	for (;;) {
		ssize_t r = recv(fd, n->buf, INTAKE_RECV_BUF, MSG_DONTWAIT | MSG_TRUNC);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {	/* dropped datagrams: seq gaps will say how many */
				n->stats.overruns++;
				continue;
			}
			break;		/* EAGAIN: drained */
		}
		datagrams++;
		if ((size_t)r > INTAKE_RECV_BUF) {
			n->stats.truncated++;	/* its events show up as a seq gap */
			continue;
		}
		intake_parse_datagram(n->buf, (size_t)r, &n->state, &n->stats, fn, ctx);
	}
	return datagrams;
}
