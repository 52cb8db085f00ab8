/* intake_parse_datagram over NFLOG datagrams built in memory with libmnl.
 * Each datagram is handed over as an exact-size heap copy. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnetfilter_log/libnetfilter_log.h>

#include "intake.h"
#include "testutil.h"

#define NFLOG_PACKET_TYPE ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)
#define GROUP 25
#define MAX_EVENTS 64

/* --- building datagrams --- */

struct dgram {
	uint32_t words[4096];	/* netlink alignment */
	size_t len;
};

static uint8_t *dgram_bytes(struct dgram *d)
{
	return (uint8_t *)d->words;
}

static void dgram_init(struct dgram *d)
{
	memset(d, 0, sizeof(*d));
}

static struct nlmsghdr *msg_begin(struct dgram *d, uint16_t type)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(dgram_bytes(d) + d->len);
	struct nfgenmsg *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	g->version = NFNETLINK_V0;
	g->res_id = htons(GROUP);
	return nlh;
}

static void msg_end(struct dgram *d, const struct nlmsghdr *nlh)
{
	d->len += NLMSG_ALIGN(nlh->nlmsg_len);
	assert_true(d->len < sizeof(d->words));
}

struct pkt_opts {
	bool no_seq;
	uint32_t seq;
	bool no_payload;
	uint8_t marker;		/* written into the payload, to tell events apart */
	size_t payload_len;	/* 0: 40 */
	bool hw;
	uint16_t hw_addrlen;	/* the field, host order */
	bool ts;
	uint64_t ts_sec, ts_usec;
};

static void fill_payload(uint8_t *buf, size_t len, uint8_t marker)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(marker + i);
	buf[0] = 0x45;	/* looks like IPv4; intake does not care */
}

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* Attributes in the order the kernel writes them. */
static struct nlmsghdr *put_packet(struct dgram *d, const struct pkt_opts *o)
{
	struct nlmsghdr *nlh = msg_begin(d, NFLOG_PACKET_TYPE);
	struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons(0x0800), .hook = 2 };
	uint8_t payload[256];
	size_t plen = o->payload_len ? o->payload_len : 40;

	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(3));
	if (o->hw) {
		struct nfulnl_msg_packet_hw hw;

		memset(&hw, 0, sizeof(hw));
		hw.hw_addrlen = htons(o->hw_addrlen);
		memcpy(hw.hw_addr, test_mac, sizeof(test_mac));
		hw.hw_addr[6] = 0xaa;
		hw.hw_addr[7] = 0xbb;
		mnl_attr_put(nlh, NFULA_HWADDR, sizeof(hw), &hw);
	}
	if (o->ts) {
		struct nfulnl_msg_packet_timestamp ts = {
			.sec = htobe64(o->ts_sec),
			.usec = htobe64(o->ts_usec),
		};
		mnl_attr_put(nlh, NFULA_TIMESTAMP, sizeof(ts), &ts);
	}
	if (!o->no_seq)
		mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(o->seq));
	if (!o->no_payload) {
		assert_true(plen <= sizeof(payload));
		fill_payload(payload, plen, o->marker);
		mnl_attr_put(nlh, NFULA_PAYLOAD, plen, payload);
	}
	return nlh;
}

static void add_packet(struct dgram *d, const struct pkt_opts *o)
{
	msg_end(d, put_packet(d, o));
}

static void add_seq(struct dgram *d, uint32_t seq)
{
	struct pkt_opts o = { .seq = seq, .marker = (uint8_t)seq };

	add_packet(d, &o);
}

static void add_done(struct dgram *d)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(dgram_bytes(d) + d->len);
	int32_t zero = 0;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(zero)), &zero, sizeof(zero));
	msg_end(d, nlh);
}

/* --- receiving --- */

struct rec_event {
	uint8_t payload[256];
	size_t len;
	bool has_hw;
	uint8_t hw[8];
	size_t hwlen;
	uint64_t tstamp_us;
};

struct recorder {
	size_t n;
	struct rec_event ev[MAX_EVENTS];
	const uint8_t *lo, *hi;	/* the datagram being parsed */
};

static void record_event(void *ctx, const struct intake_event *ev)
{
	struct recorder *r = ctx;
	struct rec_event *e;

	assert_true(r->n < MAX_EVENTS);
	/* Pointers into the datagram, within it. */
	assert_non_null(ev->payload);
	assert_true(ev->payload >= r->lo && ev->payload + ev->len <= r->hi);
	if (ev->hwaddr)
		assert_true(ev->hwaddr >= r->lo && ev->hwaddr + ev->hwaddr_len <= r->hi);
	e = &r->ev[r->n++];
	assert_true(ev->len <= sizeof(e->payload));
	memcpy(e->payload, ev->payload, ev->len);
	e->len = ev->len;
	e->has_hw = ev->hwaddr != NULL;
	if (ev->hwaddr) {
		assert_true(ev->hwaddr_len <= sizeof(e->hw));
		memcpy(e->hw, ev->hwaddr, ev->hwaddr_len);
	}
	e->hwlen = ev->hwaddr_len;
	e->tstamp_us = ev->tstamp_us;
}

struct fixture {
	struct intake_state state;
	struct intake_stats st;
	struct recorder rec;
};

static void feed_bytes(struct fixture *f, const void *bytes, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	if (len)
		memcpy(copy, bytes, len);
	f->rec.lo = copy;
	f->rec.hi = copy + len;
	intake_parse_datagram(copy, len, &f->state, &f->st, record_event, &f->rec);
	free(copy);
}

static void feed(struct fixture *f, struct dgram *d)
{
	feed_bytes(f, dgram_bytes(d), d->len);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void expect_payload(const struct rec_event *e, uint8_t marker, size_t len)
{
	uint8_t want[256];

	fill_payload(want, len, marker);
	assert_int_equal(e->len, len);
	assert_memory_equal(e->payload, want, len);
}

/* --- tests --- */

static void test_one_message(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct pkt_opts o = {
		.seq = 0, .marker = 7, .hw = true, .hw_addrlen = 6,
		.ts = true, .ts_sec = 1700000000, .ts_usec = 123456,
	};

	dgram_init(&d);
	add_packet(&d, &o);
	feed(f, &d);

	assert_int_equal(f->rec.n, 1);
	expect_payload(&f->rec.ev[0], 7, 40);
	assert_true(f->rec.ev[0].has_hw);
	assert_int_equal(f->rec.ev[0].hwlen, 6);
	assert_memory_equal(f->rec.ev[0].hw, test_mac, 6);
	assert_int_equal(f->rec.ev[0].tstamp_us, 1700000000123456ULL);

	assert_int_equal(f->st.datagrams, 1);
	assert_int_equal(f->st.bytes, d.len);
	assert_int_equal(f->st.events, 1);
	assert_int_equal(f->st.lost, 0);
	assert_int_equal(f->st.malformed, 0);
	assert_int_equal(f->st.seq_resets, 0);
	assert_int_equal(f->st.other, 0);
	assert_true(f->state.seq_seen);
	assert_int_equal(f->state.seq_next, 1);
}

static void test_batch_with_done(void **state)
{
	struct fixture *f = *state;
	struct dgram d;

	dgram_init(&d);
	for (uint32_t s = 10; s < 16; s++) {
		struct pkt_opts o = { .seq = s, .marker = (uint8_t)(s * 3),
				      .payload_len = 20 + s };	/* odd lengths: padding */
		add_packet(&d, &o);
	}
	add_done(&d);
	feed(f, &d);

	assert_int_equal(f->rec.n, 6);
	for (uint32_t s = 10; s < 16; s++)
		expect_payload(&f->rec.ev[s - 10], (uint8_t)(s * 3), 20 + s);
	assert_int_equal(f->st.events, 6);
	assert_int_equal(f->st.other, 0);
	assert_int_equal(f->st.malformed, 0);
	assert_int_equal(f->st.lost, 0);
	assert_int_equal(f->st.datagrams, 1);
	assert_int_equal(f->state.seq_next, 16);
}

static void test_hwaddr(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct pkt_opts absent = { .seq = 1, .marker = 1 };
	struct pkt_opts present = { .seq = 2, .marker = 2, .hw = true, .hw_addrlen = 6 };
	struct pkt_opts zero = { .seq = 3, .marker = 3, .hw = true, .hw_addrlen = 0 };
	struct pkt_opts too_long = { .seq = 4, .marker = 4, .hw = true, .hw_addrlen = 9 };
	struct pkt_opts huge = { .seq = 5, .marker = 5, .hw = true, .hw_addrlen = 0xffff };
	struct pkt_opts eight = { .seq = 6, .marker = 6, .hw = true, .hw_addrlen = 8 };

	dgram_init(&d);
	add_packet(&d, &absent);
	add_packet(&d, &present);
	add_packet(&d, &zero);
	add_packet(&d, &too_long);
	add_packet(&d, &huge);
	add_packet(&d, &eight);
	feed(f, &d);

	/* A bad address length drops the address, not the event. */
	assert_int_equal(f->rec.n, 6);
	assert_int_equal(f->st.malformed, 0);
	assert_false(f->rec.ev[0].has_hw);
	assert_int_equal(f->rec.ev[0].hwlen, 0);
	assert_true(f->rec.ev[1].has_hw);
	assert_int_equal(f->rec.ev[1].hwlen, 6);
	assert_memory_equal(f->rec.ev[1].hw, test_mac, 6);
	assert_false(f->rec.ev[2].has_hw);
	assert_int_equal(f->rec.ev[2].hwlen, 0);
	assert_false(f->rec.ev[3].has_hw);
	assert_int_equal(f->rec.ev[3].hwlen, 0);
	assert_false(f->rec.ev[4].has_hw);
	assert_true(f->rec.ev[5].has_hw);
	assert_int_equal(f->rec.ev[5].hwlen, 8);
	assert_int_equal(f->rec.ev[5].hw[7], 0xbb);
	for (int i = 0; i < 6; i++)
		expect_payload(&f->rec.ev[i], (uint8_t)(i + 1), 40);
}

static void test_hwaddr_attr_too_short(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct pkt_opts o = { .seq = 1, .marker = 1 };
	struct nlmsghdr *nlh;
	uint8_t short_hw[4] = { 0, 6, 0, 0 };

	/* An HWADDR attribute shorter than its struct: the message does not
	 * parse, and nothing is read past the attribute. */
	dgram_init(&d);
	nlh = msg_begin(&d, NFLOG_PACKET_TYPE);
	mnl_attr_put(nlh, NFULA_HWADDR, sizeof(short_hw), short_hw);
	mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(1));
	mnl_attr_put(nlh, NFULA_PAYLOAD, 4, "\x45\0\0\0");
	msg_end(&d, nlh);
	o.seq = 2;
	add_packet(&d, &o);
	feed(f, &d);

	assert_int_equal(f->st.malformed, 1);
	assert_int_equal(f->st.events, 1);
	assert_int_equal(f->rec.n, 1);
	expect_payload(&f->rec.ev[0], 1, 40);
}

static void test_timestamp(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct pkt_opts none = { .seq = 1, .marker = 1 };
	struct pkt_opts zero = { .seq = 2, .marker = 2, .ts = true };
	struct pkt_opts usec_only = { .seq = 3, .marker = 3, .ts = true, .ts_usec = 999999 };
	struct pkt_opts big = { .seq = 4, .marker = 4, .ts = true,
				.ts_sec = 4102444800ULL, .ts_usec = 1 };	/* 2100-01-01 */

	dgram_init(&d);
	add_packet(&d, &none);
	add_packet(&d, &zero);
	add_packet(&d, &usec_only);
	add_packet(&d, &big);
	feed(f, &d);

	assert_int_equal(f->rec.n, 4);
	assert_int_equal(f->rec.ev[0].tstamp_us, 0);
	assert_int_equal(f->rec.ev[1].tstamp_us, 0);
	assert_int_equal(f->rec.ev[2].tstamp_us, 999999);
	assert_int_equal(f->rec.ev[3].tstamp_us, 4102444800000001ULL);
}

static void test_seq_consecutive_across_datagrams(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	uint32_t s = 1000;

	for (int k = 0; k < 5; k++) {
		dgram_init(&d);
		for (int i = 0; i < 4; i++)
			add_seq(&d, s++);
		add_done(&d);
		feed(f, &d);
	}
	assert_int_equal(f->st.events, 20);
	assert_int_equal(f->rec.n, 20);
	assert_int_equal(f->st.lost, 0);
	assert_int_equal(f->st.seq_resets, 0);
	assert_int_equal(f->st.datagrams, 5);
	assert_int_equal(f->state.seq_next, 1020);
}

static void test_seq_gap(void **state)
{
	struct fixture *f = *state;
	struct dgram d;

	dgram_init(&d);
	add_seq(&d, 5);
	add_seq(&d, 9);		/* 6, 7, 8 lost */
	add_seq(&d, 10);
	feed(f, &d);
	assert_int_equal(f->st.lost, 3);
	assert_int_equal(f->st.events, 3);
	assert_int_equal(f->st.seq_resets, 0);
}

static void test_seq_gap_across_datagrams(void **state)
{
	struct fixture *f = *state;
	struct dgram d;

	dgram_init(&d);
	add_seq(&d, 5);
	add_seq(&d, 6);
	feed(f, &d);
	assert_int_equal(f->st.lost, 0);

	dgram_init(&d);
	add_seq(&d, 10);	/* 7, 8, 9 lost: a whole datagram dropped */
	add_seq(&d, 11);
	feed(f, &d);
	assert_int_equal(f->st.lost, 3);

	dgram_init(&d);
	add_seq(&d, 12);
	feed(f, &d);
	assert_int_equal(f->st.lost, 3);
	assert_int_equal(f->st.events, 5);
}

static void test_seq_first_is_not_a_gap(void **state)
{
	struct fixture *f = *state;
	struct dgram d;

	/* The first sequence number seen is wherever the kernel is. */
	dgram_init(&d);
	add_seq(&d, 123456);
	feed(f, &d);
	assert_int_equal(f->st.lost, 0);
	assert_int_equal(f->st.seq_resets, 0);
}

static void test_seq_backwards(void **state)
{
	struct fixture *f = *state;
	struct dgram d;

	dgram_init(&d);
	add_seq(&d, 100);
	add_seq(&d, 101);
	feed(f, &d);

	dgram_init(&d);
	add_seq(&d, 0);		/* group re-created */
	add_seq(&d, 1);
	feed(f, &d);
	assert_int_equal(f->st.seq_resets, 1);
	assert_int_equal(f->st.lost, 0);
	assert_int_equal(f->st.events, 4);

	/* Counting resumes from the new base. */
	dgram_init(&d);
	add_seq(&d, 4);
	feed(f, &d);
	assert_int_equal(f->st.lost, 2);
	assert_int_equal(f->st.seq_resets, 1);

	/* A repeated number is a step back too, not 4 billion lost. */
	dgram_init(&d);
	add_seq(&d, 4);
	feed(f, &d);
	assert_int_equal(f->st.seq_resets, 2);
	assert_int_equal(f->st.lost, 2);
}

static void test_seq_wraps(void **state)
{
	struct fixture *f = *state;
	struct dgram d;

	dgram_init(&d);
	add_seq(&d, UINT32_MAX - 1);
	add_seq(&d, UINT32_MAX);
	add_seq(&d, 0);
	add_seq(&d, 1);
	feed(f, &d);
	assert_int_equal(f->st.lost, 0);
	assert_int_equal(f->st.seq_resets, 0);

	dgram_init(&d);
	add_seq(&d, UINT32_MAX - 1);	/* reset */
	add_seq(&d, 2);			/* UINT32_MAX, 0, 1 lost */
	feed(f, &d);
	assert_int_equal(f->st.seq_resets, 1);
	assert_int_equal(f->st.lost, 3);
}

static void test_no_seq_attribute(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct pkt_opts o = { .no_seq = true, .marker = 9 };

	dgram_init(&d);
	add_packet(&d, &o);
	add_packet(&d, &o);
	feed(f, &d);
	assert_int_equal(f->rec.n, 2);
	assert_int_equal(f->st.lost, 0);
	assert_false(f->state.seq_seen);
}

static void test_missing_payload(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct pkt_opts nopay = { .seq = 2, .no_payload = true };

	dgram_init(&d);
	add_seq(&d, 1);
	add_packet(&d, &nopay);
	add_seq(&d, 3);
	feed(f, &d);
	assert_int_equal(f->st.malformed, 1);
	assert_int_equal(f->st.events, 2);
	assert_int_equal(f->rec.n, 2);
	expect_payload(&f->rec.ev[0], 1, 40);
	expect_payload(&f->rec.ev[1], 3, 40);
	/* Its sequence number was accounted: no gap. */
	assert_int_equal(f->st.lost, 0);
	assert_int_equal(f->state.seq_next, 4);

	/* ... and a gap before it is seen at it, not after it. */
	dgram_init(&d);
	nopay.seq = 8;
	add_packet(&d, &nopay);
	feed(f, &d);
	assert_int_equal(f->st.lost, 4);
	dgram_init(&d);
	add_seq(&d, 9);
	feed(f, &d);
	assert_int_equal(f->st.lost, 4);
	assert_int_equal(f->st.malformed, 2);
}

static void test_truncated_payload_attribute(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct pkt_opts o = { .seq = 2, .marker = 2 };
	struct nlmsghdr *nlh;
	struct nlattr *last = NULL, *a;

	dgram_init(&d);
	add_seq(&d, 1);
	/* The payload attribute says it is longer than its message. */
	nlh = put_packet(&d, &o);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		last = a;
	assert_non_null(last);
	assert_int_equal(mnl_attr_get_type(last), NFULA_PAYLOAD);
	last->nla_len = (uint16_t)(last->nla_len + 64);
	msg_end(&d, nlh);
	add_seq(&d, 3);
	feed(f, &d);

	assert_int_equal(f->st.malformed, 1);
	assert_int_equal(f->rec.n, 2);
	expect_payload(&f->rec.ev[0], 1, 40);
	expect_payload(&f->rec.ev[1], 3, 40);
	assert_int_equal(f->st.lost, 0);
}

static void test_truncated_seq_attribute(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct nlmsghdr *nlh;
	uint16_t half = 7;

	/* A 2-byte NFULA_SEQ: an attribute too short for its type. */
	dgram_init(&d);
	nlh = msg_begin(&d, NFLOG_PACKET_TYPE);
	mnl_attr_put(nlh, NFULA_SEQ, sizeof(half), &half);
	mnl_attr_put(nlh, NFULA_PAYLOAD, 4, "\x45\0\0\0");
	msg_end(&d, nlh);
	add_seq(&d, 1);
	feed(f, &d);
	assert_int_equal(f->st.malformed, 1);
	assert_int_equal(f->rec.n, 1);
	expect_payload(&f->rec.ev[0], 1, 40);
}

static void test_truncated_trailing_attribute(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct pkt_opts o = { .seq = 1, .marker = 1 };
	struct nlmsghdr *nlh;
	struct nlattr *bad;

	/* After the payload, an attribute header claiming 64 bytes where the
	 * message has 4 left: the message's attribute stream is broken. */
	dgram_init(&d);
	nlh = put_packet(&d, &o);
	bad = mnl_nlmsg_get_payload_tail(nlh);
	bad->nla_len = 64;
	bad->nla_type = NFULA_TIMESTAMP;
	memset(bad + 1, 0, 4);
	nlh->nlmsg_len += 8;
	msg_end(&d, nlh);
	add_seq(&d, 2);
	feed(f, &d);
	assert_int_equal(f->st.malformed, 1);
	assert_int_equal(f->st.lost, 0);	/* its sequence number was read */
}

static void test_short_nlmsg(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct nlmsghdr *nlh;

	/* nlmsg_len covering only part of the nfgenmsg, then only the header. */
	dgram_init(&d);
	for (uint32_t l = NLMSG_HDRLEN; l < NLMSG_HDRLEN + sizeof(struct nfgenmsg); l++) {
		nlh = mnl_nlmsg_put_header(dgram_bytes(&d) + d.len);
		nlh->nlmsg_type = NFLOG_PACKET_TYPE;
		nlh->nlmsg_len = l;
		msg_end(&d, nlh);
	}
	add_seq(&d, 1);		/* still found after them */
	feed(f, &d);
	assert_int_equal(f->st.malformed, sizeof(struct nfgenmsg));
	assert_int_equal(f->st.events, 1);
	assert_int_equal(f->rec.n, 1);
	expect_payload(&f->rec.ev[0], 1, 40);
}

/* One packet message, then tail_len bytes that are no message. */
static void feed_with_tail(struct fixture *f, uint32_t seq, uint32_t tail_nlmsg_len,
			   uint8_t fill, size_t tail_len)
{
	struct dgram d;
	uint8_t *tail;

	dgram_init(&d);
	add_seq(&d, seq);
	tail = dgram_bytes(&d) + d.len;
	memset(tail, fill, tail_len);
	if (tail_len >= sizeof(uint32_t))
		memcpy(tail, &tail_nlmsg_len, sizeof(uint32_t));
	d.len += tail_len;
	feed(f, &d);
}

static void test_trailing_garbage(void **state)
{
	struct fixture *f = *state;

	/* nlmsg_len below a header. */
	feed_with_tail(f, 1, 8, 0xa5, 24);
	assert_int_equal(f->st.events, 1);
	assert_int_equal(f->st.malformed, 1);
	assert_int_equal(f->st.other, 0);
	/* nlmsg_len past the end of the datagram. */
	feed_with_tail(f, 2, 200, 0xa5, 24);
	assert_int_equal(f->st.events, 2);
	assert_int_equal(f->st.malformed, 2);
	assert_int_equal(f->st.other, 0);
	/* A zeroed tail (nlmsg_len 0). */
	feed_with_tail(f, 3, 0, 0, 32);
	assert_int_equal(f->st.events, 3);
	assert_int_equal(f->st.malformed, 3);
	assert_int_equal(f->rec.n, 3);
	assert_int_equal(f->st.lost, 0);
	assert_int_equal(f->st.other, 0);
}

static void test_trailing_garbage_huge_len(void **state)
{
	struct fixture *f = *state;

	/* Garbage whose nlmsg_len has the top bit set (0xa5a5a5a5): it must
	 * not be taken for a message, nor make the walk jump 2.7 GB ahead. */
	feed_with_tail(f, 1, 0xa5a5a5a5u, 0xa5, 24);
	assert_int_equal(f->st.events, 1);
	assert_int_equal(f->st.malformed, 1);
	assert_int_equal(f->st.other, 0);
	feed_with_tail(f, 2, 0x80000000u, 0, 16);
	assert_int_equal(f->st.events, 2);
	assert_int_equal(f->st.malformed, 2);
	assert_int_equal(f->st.other, 0);
}

static void test_trailing_garbage_short(void **state)
{
	struct fixture *f = *state;
	struct dgram d;

	/* 8 bytes after the last message: less than a header, still no
	 * message (netlink padding is consumed with each message). */
	dgram_init(&d);
	add_seq(&d, 1);
	memset(dgram_bytes(&d) + d.len, 0xa5, 8);
	d.len += 8;
	feed(f, &d);
	assert_int_equal(f->st.events, 1);
	assert_int_equal(f->st.malformed, 1);
}

static void test_unpadded_message_length(void **state)
{
	struct fixture *f = *state;
	struct dgram d;

	/* A message whose length is not a multiple of 4 and ends the
	 * datagram: libmnl's walks round it up and would read past the end
	 * (found by fuzz_intake). The kernel always pads: malformed. */
	dgram_init(&d);
	add_seq(&d, 1);
	((struct nlmsghdr *)dgram_bytes(&d))->nlmsg_len -= 3;
	d.len -= 3;
	feed(f, &d);
	assert_int_equal(f->st.events, 0);
	assert_int_equal(f->st.malformed, 1);
}

static void test_adaptive_batching(void **state)
{
	(void)state;
	/* Quiet stays quiet up to the busy rate, then batches. */
	assert_int_equal(intake_qthreshold_for(INTAKE_QTHRESH_QUIET, 0), INTAKE_QTHRESH_QUIET);
	assert_int_equal(intake_qthreshold_for(INTAKE_QTHRESH_QUIET, INTAKE_BUSY_RATE),
			 INTAKE_QTHRESH_QUIET);
	assert_int_equal(intake_qthreshold_for(INTAKE_QTHRESH_QUIET, INTAKE_BUSY_RATE + 1),
			 INTAKE_QTHRESH_BUSY);
	/* Hysteresis: busy stays busy until the rate falls below the quiet rate. */
	assert_int_equal(intake_qthreshold_for(INTAKE_QTHRESH_BUSY, INTAKE_BUSY_RATE - 1),
			 INTAKE_QTHRESH_BUSY);
	assert_int_equal(intake_qthreshold_for(INTAKE_QTHRESH_BUSY, INTAKE_QUIET_RATE),
			 INTAKE_QTHRESH_BUSY);
	assert_int_equal(intake_qthreshold_for(INTAKE_QTHRESH_BUSY, INTAKE_QUIET_RATE - 1),
			 INTAKE_QTHRESH_QUIET);
	/* A lone bot at 1000 SYN/s is no flood: every event goes out at once. */
	assert_int_equal(intake_qthreshold_for(INTAKE_QTHRESH_QUIET, 1000), INTAKE_QTHRESH_QUIET);
	/* Quiet measures over a short period, so a flood is noticed within
	 * tens of events: the bot's one per millisecond stays quiet, 21 in a
	 * period (a flood's first milliseconds) switch. Busy measures longer. */
	assert_true(intake_rate_period_ms(INTAKE_QTHRESH_QUIET) <= 10);
	assert_true(intake_rate_period_ms(INTAKE_QTHRESH_BUSY) >= 100);
	{
		uint64_t p = intake_rate_period_ms(INTAKE_QTHRESH_QUIET);

		uint64_t bot = p;	/* one SYN per millisecond */

		assert_int_equal(intake_qthreshold_for(INTAKE_QTHRESH_QUIET, bot * 1000 / p),
				 INTAKE_QTHRESH_QUIET);
		assert_int_equal(intake_qthreshold_for(INTAKE_QTHRESH_QUIET, 21 * 1000 / p),
				 INTAKE_QTHRESH_BUSY);
	}
}

/* Busy only after two quiet periods in a row above the busy rate: a burst
 * in one period is no flood. Back to quiet at once (hysteresis aside). */
static void test_busy_needs_a_streak(void **state)
{
	uint32_t streak = 0, q = INTAKE_QTHRESH_QUIET;
	uint64_t high = INTAKE_BUSY_RATE * 2, low = 10;

	(void)state;
	q = intake_next_qthreshold(q, high, &streak);	/* a burst */
	assert_int_equal(q, INTAKE_QTHRESH_QUIET);
	q = intake_next_qthreshold(q, low, &streak);	/* and quiet again */
	assert_int_equal(q, INTAKE_QTHRESH_QUIET);
	q = intake_next_qthreshold(q, high, &streak);	/* a flood: one period... */
	assert_int_equal(q, INTAKE_QTHRESH_QUIET);
	q = intake_next_qthreshold(q, high, &streak);	/* ...two */
	assert_int_equal(q, INTAKE_QTHRESH_BUSY);
	q = intake_next_qthreshold(q, INTAKE_QUIET_RATE, &streak);
	assert_int_equal(q, INTAKE_QTHRESH_BUSY);
	q = intake_next_qthreshold(q, low, &streak);
	assert_int_equal(q, INTAKE_QTHRESH_QUIET);
	q = intake_next_qthreshold(q, high, &streak);	/* a new streak from zero */
	assert_int_equal(q, INTAKE_QTHRESH_QUIET);
}

static void test_cut_message(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	size_t first;

	/* The datagram ends inside its second message. */
	dgram_init(&d);
	add_seq(&d, 1);
	first = d.len;
	add_seq(&d, 2);
	d.len = first + (d.len - first) / 2;
	feed(f, &d);
	assert_int_equal(f->st.events, 1);
	assert_int_equal(f->rec.n, 1);
	assert_int_equal(f->st.malformed, 1);
}

static void test_other_types(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct nlmsghdr *nlh;
	struct nlmsgerr *err;

	dgram_init(&d);
	msg_end(&d, msg_begin(&d, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG));
	msg_end(&d, msg_begin(&d, (NFNL_SUBSYS_QUEUE << 8) | NFULNL_MSG_PACKET));
	msg_end(&d, msg_begin(&d, 0x7f7f));
	nlh = mnl_nlmsg_put_header(dgram_bytes(&d) + d.len);
	nlh->nlmsg_type = NLMSG_ERROR;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = 0;		/* an ACK */
	msg_end(&d, nlh);
	add_seq(&d, 1);
	feed(f, &d);
	assert_int_equal(f->st.other, 4);
	assert_int_equal(f->st.events, 1);
	assert_int_equal(f->st.malformed, 0);
	assert_int_equal(f->rec.n, 1);
}

static void test_counters(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	size_t total = 0;

	/* An empty datagram is counted and is nothing else. */
	feed_bytes(f, "", 0);
	assert_int_equal(f->st.datagrams, 1);
	assert_int_equal(f->st.bytes, 0);
	assert_int_equal(f->st.malformed, 0);

	for (uint32_t k = 0; k < 3; k++) {
		dgram_init(&d);
		for (uint32_t i = 0; i <= k; i++)
			add_seq(&d, 10 * k + i);
		feed(f, &d);
		total += d.len;
	}
	assert_int_equal(f->st.datagrams, 4);
	assert_int_equal(f->st.bytes, total);
	assert_int_equal(f->st.events, 6);
	assert_int_equal(f->rec.n, 6);
	/* 0 | 10 11 | 20 21 22: 9 + 8 lost. */
	assert_int_equal(f->st.lost, 17);
	assert_int_equal(f->st.overruns, 0);
	assert_int_equal(f->st.truncated, 0);
}

/* --- the learnt layout against the walk --- */

struct seen_event {
	ptrdiff_t payload, hwaddr;	/* offsets into the datagram; hwaddr -1: none */
	size_t len, hwaddr_len;
	uint64_t tstamp_us;
};

struct seen {
	const uint8_t *base;
	size_t n;
	struct seen_event ev[MAX_EVENTS];
};

static void see_event(void *ctx, const struct intake_event *ev)
{
	struct seen *s = ctx;
	struct seen_event *e = &s->ev[s->n++];

	assert_true(s->n <= MAX_EVENTS);
	memset(e, 0, sizeof(*e));
	e->payload = ev->payload - s->base;
	e->len = ev->len;
	e->hwaddr = ev->hwaddr ? ev->hwaddr - s->base : -1;
	e->hwaddr_len = ev->hwaddr_len;
	e->tstamp_us = ev->tstamp_us;
}

/* Random datagrams, mostly of one shape and some with bytes changed, parsed
 * twice: with the layout learnt from message to message, and always walked.
 * Events and counters must be the same. */
static void test_layout_same_as_walk(void **state)
{
	static struct dgram d;
	struct intake_state fast = { 0 }, walked = { .walk_always = true };
	struct intake_stats fast_st = { 0 }, walked_st = { 0 };
	uint64_t rng = 0x1a4047;
	uint32_t seq = 0, learnt = 0;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		struct seen a = { 0 }, b = { 0 };
		unsigned msgs = 1 + (unsigned)(xorshift(&rng) % 6);
		uint64_t shape = xorshift(&rng);
		uint8_t *bytes;

		dgram_init(&d);
		for (unsigned m = 0; m < msgs; m++) {
			/* One shape for the datagram, or (1 in 5) per message. */
			uint64_t r = shape % 5 == 0 ? xorshift(&rng) : shape;
			static const uint16_t hwlens[] = { 6, 6, 6, 0, 8, 9, 0xffff };
			struct pkt_opts o = {
				.seq = seq++,
				.no_seq = xorshift(&rng) % 50 == 0,
				.no_payload = xorshift(&rng) % 50 == 0,
				.marker = (uint8_t)m,
				.payload_len = 20 + xorshift(&rng) % 100,
				.hw = r >> 8 & 1,
				.hw_addrlen = hwlens[xorshift(&rng) % 7],
				.ts = r >> 9 & 1,
				.ts_sec = xorshift(&rng) % 2000000000,
				.ts_usec = xorshift(&rng) % 1000000,
			};

			add_packet(&d, &o);
			if (xorshift(&rng) % 10 == 0)
				add_done(&d);
		}
		bytes = dgram_bytes(&d);
		/* Half of them damaged: a few bytes anywhere, often a length. */
		if (xorshift(&rng) % 2) {
			for (unsigned k = 1 + (unsigned)(xorshift(&rng) % 3); k > 0; k--) {
				size_t at = xorshift(&rng) % d.len;

				bytes[at] = xorshift(&rng) % 3 ? (uint8_t)(bytes[at] + 4)
							       : (uint8_t)xorshift(&rng);
			}
		}
		a.base = b.base = bytes;
		intake_parse_datagram(bytes, d.len, &fast, &fast_st, see_event, &a);
		intake_parse_datagram(bytes, d.len, &walked, &walked_st, see_event, &b);
		assert_int_equal(a.n, b.n);
		assert_memory_equal(a.ev, b.ev, a.n * sizeof(a.ev[0]));
		assert_memory_equal(&fast_st, &walked_st, sizeof(fast_st));
		assert_int_equal(fast.seq_seen, walked.seq_seen);
		assert_int_equal(fast.seq_next, walked.seq_next);
		learnt += fast.layout.nattrs != 0;
	}
	/* The layout was in use most of the time, and messages were broken. */
	assert_true(learnt > 10000);
	assert_true(fast_st.malformed > 1000);
	assert_true(fast_st.events > 20000);
}

/* Messages of one shape whose payloads, MACs, timestamps and sequence
 * numbers differ: each read afresh through the learnt layout. */
static void test_layout_reads_each_message(void **state)
{
	struct fixture *f = *state;
	struct dgram d;

	dgram_init(&d);
	for (uint32_t s = 0; s < 8; s++) {
		struct pkt_opts o = { .seq = 100 + s, .marker = (uint8_t)(s * 11),
				      .payload_len = 40 + 3 * s, .hw = true,
				      .hw_addrlen = s == 5 ? 0 : 6, .ts = true,
				      .ts_sec = 1700000000 + s, .ts_usec = s };
		add_packet(&d, &o);
	}
	feed(f, &d);
	assert_int_not_equal(f->state.layout.nattrs, 0);
	assert_int_equal(f->rec.n, 8);
	for (uint32_t s = 0; s < 8; s++) {
		expect_payload(&f->rec.ev[s], (uint8_t)(s * 11), 40 + 3 * s);
		assert_int_equal(f->rec.ev[s].has_hw, s != 5);
		assert_int_equal(f->rec.ev[s].tstamp_us, (1700000000ULL + s) * 1000000 + s);
	}
	assert_int_equal(f->state.seq_next, 108);
	assert_int_equal(f->st.lost, 0);
}

/* A payload attribute shorter than its own header, last in a message whose
 * other attributes match the learnt layout: malformed, as the walk finds
 * it, never an event (its length would underflow). */
static void test_short_tail_attribute(void **state)
{
	struct fixture *f = *state;
	struct dgram d;
	struct pkt_opts o = { .seq = 1, .marker = 1 };
	struct nlmsghdr *nlh;
	struct nlattr *at;

	dgram_init(&d);
	add_packet(&d, &o);			/* the layout: ... SEQ, PAYLOAD */
	o.seq = 2;
	o.no_payload = true;
	nlh = put_packet(&d, &o);
	at = mnl_nlmsg_get_payload_tail(nlh);
	at->nla_len = 1;			/* shorter than the header */
	at->nla_type = NFULA_PAYLOAD;
	nlh->nlmsg_len += NLA_HDRLEN;		/* ends 4 bytes after it */
	msg_end(&d, nlh);
	feed(f, &d);
	assert_int_equal(f->rec.n, 1);
	assert_int_equal(f->st.events, 1);
	assert_int_equal(f->st.malformed, 1);
	assert_int_equal(f->state.seq_next, 3);
}

/* Two HWADDR attributes, the second without an address: the walk keeps the
 * first, so such messages are walked every time, not read by a layout. */
static void test_repeated_attribute_walked(void **state)
{
	struct fixture *f = *state;
	struct dgram d;

	dgram_init(&d);
	for (uint32_t s = 0; s < 2; s++) {
		struct nlmsghdr *nlh = msg_begin(&d, NFLOG_PACKET_TYPE);
		struct nfulnl_msg_packet_hw hw;
		uint8_t payload[40];

		memset(&hw, 0, sizeof(hw));
		hw.hw_addrlen = htons(6);
		memcpy(hw.hw_addr, test_mac, sizeof(test_mac));
		mnl_attr_put(nlh, NFULA_HWADDR, sizeof(hw), &hw);
		hw.hw_addrlen = 0;
		mnl_attr_put(nlh, NFULA_HWADDR, sizeof(hw), &hw);
		mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(s));
		fill_payload(payload, sizeof(payload), (uint8_t)s);
		mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof(payload), payload);
		msg_end(&d, nlh);
	}
	feed(f, &d);
	assert_int_equal(f->rec.n, 2);
	for (uint32_t s = 0; s < 2; s++) {
		assert_true(f->rec.ev[s].has_hw);
		assert_int_equal(f->rec.ev[s].hwlen, 6);
		assert_memory_equal(f->rec.ev[s].hw, test_mac, 6);
	}
	assert_int_equal(f->state.layout.nattrs, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_one_message),
		T(test_batch_with_done),
		T(test_hwaddr),
		T(test_hwaddr_attr_too_short),
		T(test_timestamp),
		T(test_seq_consecutive_across_datagrams),
		T(test_seq_gap),
		T(test_seq_gap_across_datagrams),
		T(test_seq_first_is_not_a_gap),
		T(test_seq_backwards),
		T(test_seq_wraps),
		T(test_no_seq_attribute),
		T(test_missing_payload),
		T(test_truncated_payload_attribute),
		T(test_truncated_seq_attribute),
		T(test_truncated_trailing_attribute),
		T(test_short_nlmsg),
		T(test_trailing_garbage),
		T(test_trailing_garbage_huge_len),
		T(test_trailing_garbage_short),
		T(test_unpadded_message_length),
		T(test_adaptive_batching),
		T(test_busy_needs_a_streak),
		T(test_cut_message),
		T(test_other_types),
		T(test_counters),
		T(test_layout_reads_each_message),
		T(test_repeated_attribute_walked),
		T(test_short_tail_attribute),
		cmocka_unit_test(test_layout_same_as_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
