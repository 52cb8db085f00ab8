/* packet_parse over hand-built IPv4 / IPv6 / TCP bytes. Every parse runs on
 * an exact-size heap copy, so ASan or valgrind catch a read past len. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "packet.h"

#define PKT_MAX 512

static const uint8_t v4_src[4] = { 192, 0, 2, 10 };
static const uint8_t v4_dst[4] = { 203, 0, 113, 25 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25 };

/* Parse a copy of exactly len bytes on the heap. */
static enum packet_result parse_exact(const uint8_t *bytes, size_t len, struct conn *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum packet_result r;

	assert_non_null(copy);
	if (len)
		memcpy(copy, bytes, len);
	r = packet_parse(copy, len, out);
	free(copy);
	return r;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A 20-byte TCP header without options. */
static size_t put_tcp(uint8_t *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	memset(p, 0, 20);
	put16(p, sport);
	put16(p + 2, dport);
	p[4] = 0x11; p[5] = 0x22; p[6] = 0x33; p[7] = 0x44;	/* seq */
	if (flags & TCP_FLAG_ACK) {
		p[8] = 0x55; p[11] = 0x01;			/* ack */
	}
	p[12] = 5 << 4;						/* data offset */
	p[13] = flags;
	put16(p + 14, 64240);					/* window */
	return 20;
}

/* IPv4 header of ihl_words 32-bit words (options NOP-filled), then TCP. */
static size_t build_v4(uint8_t *p, unsigned ihl_words, uint8_t proto,
		       uint16_t sport, uint16_t dport, uint8_t flags)
{
	size_t ihl = ihl_words * 4, len = ihl + 20;

	memset(p, 0, len);
	p[0] = (uint8_t)(0x40 | ihl_words);
	put16(p + 2, (uint16_t)len);
	put16(p + 4, 0x1c46);	/* id */
	p[6] = 0x40;		/* DF */
	p[8] = 64;		/* ttl */
	p[9] = proto;
	memcpy(p + 12, v4_src, 4);
	memcpy(p + 16, v4_dst, 4);
	for (size_t i = 20; i < ihl; i++)
		p[i] = 1;	/* NOP option */
	put_tcp(p + ihl, sport, dport, flags);
	return len;
}

static void expect_v4_addrs(const struct conn *c)
{
	struct addr want;

	assert_true(addr_is_v4(&c->src));
	assert_true(addr_is_v4(&c->dst));
	addr_from_v4(&want, v4_src);
	assert_true(addr_equal(&c->src, &want));
	addr_from_v4(&want, v4_dst);
	assert_true(addr_equal(&c->dst, &want));
}

static void expect_v6_addrs(const struct conn *c)
{
	struct addr want;

	assert_false(addr_is_v4(&c->src));
	assert_false(addr_is_v4(&c->dst));
	addr_from_v6(&want, v6_src);
	assert_true(addr_equal(&c->src, &want));
	addr_from_v6(&want, v6_dst);
	assert_true(addr_equal(&c->dst, &want));
}

/* The 40-byte IPv6 fixed header; payload length is filled in by v6_finish. */
static size_t build_v6_header(uint8_t *p, uint8_t next)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[1] = 0x01;	/* a flow label, to be ignored */
	p[6] = next;
	p[7] = 64;	/* hop limit */
	memcpy(p + 8, v6_src, 16);
	memcpy(p + 24, v6_dst, 16);
	return 40;
}

static void v6_finish(uint8_t *p, size_t len)
{
	put16(p + 4, (uint16_t)(len - 40));
}

/* An options-type extension header (hop-by-hop, routing, destination) of
 * (hdrlen + 1) * 8 bytes, padded with PadN. */
static size_t put_ext(uint8_t *p, uint8_t next, uint8_t hdrlen)
{
	size_t len = ((size_t)hdrlen + 1) * 8;

	memset(p, 0, len);
	p[0] = next;
	p[1] = hdrlen;
	p[2] = 1;		/* PadN */
	p[3] = (uint8_t)(len - 4);
	return len;
}

static size_t put_frag(uint8_t *p, uint8_t next, uint16_t offset_units, int more)
{
	memset(p, 0, 8);
	p[0] = next;
	put16(p + 2, (uint16_t)(offset_units << 3 | (more ? 1 : 0)));
	p[4] = 0xde; p[5] = 0xad; p[6] = 0xbe; p[7] = 0xef;	/* identification */
	return 8;
}

/* The fixed header holds, the TCP header is out of reach: the addresses
 * are read, ports and flags are not, and the kernel's "new" makes it an
 * attempt (counted by its source, see daemon_on_event). */
static void expect_ip_only(const uint8_t *p, size_t len, bool v4)
{
	struct conn c;
	enum packet_result r = parse_exact(p, len, &c);

	if (r != PACKET_IP_ONLY)
		fail_msg("%zu bytes: result %d, want PACKET_IP_ONLY", len, (int)r);
	if (v4)
		expect_v4_addrs(&c);
	else
		expect_v6_addrs(&c);
	assert_true(c.ip_only);
	assert_int_equal(c.sport, 0);
	assert_int_equal(c.dport, 0);
	assert_int_equal(c.tcp_flags, 0);
	assert_true(conn_is_attempt(&c));
}

/* --- IPv4 --- */

static void test_v4_syn(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v4(p, 5, 6, 49152, 25, TCP_FLAG_SYN);
	struct conn c;

	(void)state;
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	expect_v4_addrs(&c);
	assert_int_equal(c.sport, 49152);
	assert_int_equal(c.dport, 25);
	assert_int_equal(c.tcp_flags, TCP_FLAG_SYN);
	assert_true(conn_is_attempt(&c));
	assert_false(c.ip_only);

	/* SYN with ECN bits (ECE|CWR) is still an attempt. */
	p[20 + 13] = TCP_FLAG_SYN | 0x40 | 0x80;
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_int_equal(c.tcp_flags, TCP_FLAG_SYN | 0xc0);
	assert_true(conn_is_attempt(&c));
}

static void test_v4_synack_and_ack(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len;
	struct conn c;

	(void)state;
	len = build_v4(p, 5, 6, 25, 49152, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_int_equal(c.tcp_flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(c.sport, 25);
	assert_int_equal(c.dport, 49152);
	assert_false(conn_is_attempt(&c));

	len = build_v4(p, 5, 6, 49152, 25, TCP_FLAG_ACK);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_int_equal(c.tcp_flags, TCP_FLAG_ACK);
	assert_false(conn_is_attempt(&c));

	/* No flags at all (a null scan): not an attempt either. */
	len = build_v4(p, 5, 6, 49152, 25, 0);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_false(conn_is_attempt(&c));
}

static void test_v4_options(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v4(p, 6, 6, 40000, 587, TCP_FLAG_SYN);
	struct conn c;

	(void)state;
	assert_int_equal(len, 44);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	expect_v4_addrs(&c);
	assert_int_equal(c.sport, 40000);
	assert_int_equal(c.dport, 587);
	assert_true(conn_is_attempt(&c));

	/* The largest header, IHL 15 (40 bytes of options). */
	len = build_v4(p, 15, 6, 40001, 465, TCP_FLAG_SYN);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_int_equal(c.sport, 40001);
	assert_int_equal(c.dport, 465);
	/* ... cut inside the options (a rule with a short snaplen): the
	 * addresses are in the first 20 bytes. */
	expect_ip_only(p, 59, true);
}

static void test_v4_not_tcp(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len;
	struct conn c;

	(void)state;
	len = build_v4(p, 5, 17, 5353, 53, 0);	/* UDP */
	assert_int_equal(parse_exact(p, len, &c), PACKET_NOT_TCP);
	len = build_v4(p, 5, 1, 0, 0, 0);	/* ICMP */
	assert_int_equal(parse_exact(p, len, &c), PACKET_NOT_TCP);
}

static void test_v4_fragments(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v4(p, 5, 6, 49152, 25, TCP_FLAG_SYN);
	struct conn c;

	(void)state;
	/* A later fragment: offset 185 * 8 bytes, carries no TCP header. */
	p[6] = 0x00;
	p[7] = 0xb9;
	assert_int_equal(parse_exact(p, len, &c), PACKET_NOT_TCP);
	/* Offset high bits only, more-fragments set. */
	p[6] = 0x21;
	p[7] = 0x00;
	assert_int_equal(parse_exact(p, len, &c), PACKET_NOT_TCP);
	/* The first fragment (more-fragments, offset 0) has the TCP header. */
	p[6] = 0x20;
	p[7] = 0x00;
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_int_equal(c.dport, 25);
	assert_true(conn_is_attempt(&c));
}

static void test_v4_truncated_each_length(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v4(p, 5, 6, 49152, 25, TCP_FLAG_SYN);
	struct conn c;

	(void)state;
	assert_int_equal(len, 40);
	/* The parser needs 20 (IP) + 14 (ports .. flags) bytes; the 20 of
	 * the fixed header are enough to count the source. */
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(parse_exact(p, n, &c), PACKET_TRUNCATED);
	for (size_t n = 20; n < 34; n++)
		expect_ip_only(p, n, true);
	for (size_t n = 34; n <= len; n++) {
		assert_int_equal(parse_exact(p, n, &c), PACKET_OK);
		assert_int_equal(c.dport, 25);
		assert_int_equal(c.tcp_flags, TCP_FLAG_SYN);
	}
}

static void test_v4_total_length(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v4(p, 5, 6, 49152, 25, TCP_FLAG_SYN);
	struct conn c;

	(void)state;
	/* Trailing bytes beyond the datagram (link padding) are fine. */
	memset(p + len, 0xee, 6);
	assert_int_equal(parse_exact(p, len + 6, &c), PACKET_OK);
	/* A datagram whose own total length ends inside the TCP header. */
	put16(p + 2, 30);
	expect_ip_only(p, len, true);
	/* Exactly IP + 14 bytes of TCP. */
	put16(p + 2, 34);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_int_equal(c.dport, 25);
}

static void test_v4_malformed(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len;
	struct conn c;

	(void)state;
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		len = build_v4(p, 5, 6, 49152, 25, TCP_FLAG_SYN);
		p[0] = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse_exact(p, len, &c), PACKET_MALFORMED);
	}

	len = build_v4(p, 5, 6, 49152, 25, TCP_FLAG_SYN);
	put16(p + 2, 16);		/* total length < IHL */
	assert_int_equal(parse_exact(p, len, &c), PACKET_MALFORMED);
	put16(p + 2, 0);
	assert_int_equal(parse_exact(p, len, &c), PACKET_MALFORMED);

	len = build_v4(p, 6, 6, 49152, 25, TCP_FLAG_SYN);
	put16(p + 2, 20);		/* total covers IHL 5 but not IHL 6 */
	assert_int_equal(parse_exact(p, len, &c), PACKET_MALFORMED);

	for (unsigned doff = 0; doff < 5; doff++) {
		len = build_v4(p, 5, 6, 49152, 25, TCP_FLAG_SYN);
		p[20 + 12] = (uint8_t)(doff << 4);
		assert_int_equal(parse_exact(p, len, &c), PACKET_MALFORMED);
	}

	len = build_v4(p, 5, 6, 49152, 25, TCP_FLAG_SYN);
	p[0] = 0x55;			/* version 5 */
	assert_int_equal(parse_exact(p, len, &c), PACKET_MALFORMED);
	for (unsigned v = 0; v < 16; v++) {
		if (v == 4 || v == 6)
			continue;
		p[0] = (uint8_t)(v << 4 | 5);
		assert_int_equal(parse_exact(p, len, &c), PACKET_MALFORMED);
		assert_int_equal(parse_exact(p, 1, &c), PACKET_MALFORMED);
	}
}

/* --- IPv6 --- */

static void test_v6_syn(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v6_header(p, 6);
	struct conn c;

	(void)state;
	len += put_tcp(p + len, 50000, 25, TCP_FLAG_SYN);
	v6_finish(p, len);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	expect_v6_addrs(&c);
	assert_int_equal(c.sport, 50000);
	assert_int_equal(c.dport, 25);
	assert_true(conn_is_attempt(&c));

	for (size_t n = 0; n < 40; n++)
		assert_int_equal(parse_exact(p, n, &c), PACKET_TRUNCATED);
	for (size_t n = 40; n < 54; n++)
		expect_ip_only(p, n, false);
	assert_int_equal(parse_exact(p, 54, &c), PACKET_OK);

	p[40 + 13] = TCP_FLAG_SYN | TCP_FLAG_ACK;
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_false(conn_is_attempt(&c));

	p[40 + 12] = 4 << 4;
	assert_int_equal(parse_exact(p, len, &c), PACKET_MALFORMED);
}

static void test_v6_ext_chain(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v6_header(p, 0), tcp_off;
	struct conn c;

	(void)state;
	len += put_ext(p + len, 43, 0);		/* hop-by-hop, 8 bytes */
	len += put_ext(p + len, 60, 2);		/* routing, 24 bytes */
	p[len - 24 + 2] = 0;			/* routing type 0 ... */
	p[len - 24 + 3] = 0;			/* ... segments left 0 */
	len += put_ext(p + len, 6, 1);		/* destination options, 16 bytes */
	tcp_off = len;
	len += put_tcp(p + len, 50001, 587, TCP_FLAG_SYN);
	v6_finish(p, len);
	assert_int_equal(tcp_off, 88);

	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	expect_v6_addrs(&c);
	assert_int_equal(c.sport, 50001);
	assert_int_equal(c.dport, 587);
	assert_true(conn_is_attempt(&c));

	/* Cut anywhere before the TCP flags: the addresses, never a wrong read. */
	for (size_t n = 0; n < 40; n++)
		assert_int_equal(parse_exact(p, n, &c), PACKET_TRUNCATED);
	for (size_t n = 40; n < tcp_off + 14; n++)
		expect_ip_only(p, n, false);
	assert_int_equal(parse_exact(p, tcp_off + 14, &c), PACKET_OK);
}

static void test_v6_fragment(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v6_header(p, 44);
	struct conn c;

	(void)state;
	len += put_frag(p + len, 6, 0, 1);	/* first fragment, more follow */
	len += put_tcp(p + len, 50002, 25, TCP_FLAG_SYN);
	v6_finish(p, len);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_int_equal(c.sport, 50002);
	assert_int_equal(c.dport, 25);
	assert_true(conn_is_attempt(&c));

	/* Non-first fragments carry no TCP header. */
	put_frag(p + 40, 6, 1, 0);
	assert_int_equal(parse_exact(p, len, &c), PACKET_NOT_TCP);
	put_frag(p + 40, 6, 185, 1);
	assert_int_equal(parse_exact(p, len, &c), PACKET_NOT_TCP);
	put_frag(p + 40, 6, 0x1fff, 0);
	assert_int_equal(parse_exact(p, len, &c), PACKET_NOT_TCP);

	/* An atomic fragment (offset 0, no more) is a whole packet. */
	put_frag(p + 40, 6, 0, 0);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_int_equal(c.dport, 25);

	/* Fragment header cut short. */
	for (size_t n = 40; n < 48; n++)
		expect_ip_only(p, n, false);
}

static void test_v6_ah(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v6_header(p, 51);
	struct conn c;

	(void)state;
	/* AH with a 12-byte ICV: 24 bytes, payload length field (24 / 4) - 2 = 4. */
	memset(p + len, 0, 24);
	p[len] = 6;
	p[len + 1] = 4;
	p[len + 4] = 0x01;	/* SPI */
	p[len + 11] = 0x07;	/* sequence */
	memset(p + len + 12, 0xa5, 12);
	len += 24;
	len += put_tcp(p + len, 50003, 25, TCP_FLAG_SYN);
	v6_finish(p, len);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	expect_v6_addrs(&c);
	assert_int_equal(c.sport, 50003);
	assert_int_equal(c.dport, 25);
	assert_true(conn_is_attempt(&c));
	for (size_t n = 40; n < 40 + 24 + 14; n++)
		expect_ip_only(p, n, false);

	/* The same length byte in a hop-by-hop header means (4 + 1) * 8 = 40
	 * bytes, past the end of this 78-byte cut: the units differ. */
	p[6] = 0;
	expect_ip_only(p, 40 + 24 + 14, false);
}

static void test_v6_not_tcp(void **state)
{
	static const uint8_t nexts[] = { 50, 59, 17, 58, 4, 41, 132 };
	uint8_t p[PKT_MAX];
	size_t len;
	struct conn c;

	(void)state;
	for (size_t i = 0; i < sizeof(nexts); i++) {
		len = build_v6_header(p, nexts[i]);
		memset(p + len, 0x5a, 32);	/* opaque: ESP SPI + ciphertext etc. */
		len += 32;
		v6_finish(p, len);
		assert_int_equal(parse_exact(p, len, &c), PACKET_NOT_TCP);
		/* Even with nothing after the fixed header. */
		assert_int_equal(parse_exact(p, 40, &c), PACKET_NOT_TCP);
	}

	/* ESP / no-next-header behind a hop-by-hop header. */
	len = build_v6_header(p, 0);
	len += put_ext(p + len, 50, 0);
	memset(p + len, 0x5a, 16);
	len += 16;
	assert_int_equal(parse_exact(p, len, &c), PACKET_NOT_TCP);
	p[40] = 59;
	assert_int_equal(parse_exact(p, len, &c), PACKET_NOT_TCP);
}

static void test_v6_ext_beyond_buffer(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v6_header(p, 0);
	struct conn c;

	(void)state;
	/* Hop-by-hop claiming (10 + 1) * 8 = 88 bytes in a 40 + 8 + 20 packet:
	 * TCP lies past the copy, the source still counts. */
	len += put_ext(p + len, 6, 0);
	p[41] = 10;
	len += put_tcp(p + len, 50004, 25, TCP_FLAG_SYN);
	v6_finish(p, len);
	expect_ip_only(p, len, false);
	/* Maximal length byte: 2048 bytes. */
	p[41] = 255;
	expect_ip_only(p, len, false);

	/* AH claiming (255 + 2) * 4 bytes. */
	p[6] = 51;
	expect_ip_only(p, len, false);

	/* A header ending exactly at the end of the buffer, TCP missing. */
	p[6] = 0;
	p[41] = 0;
	expect_ip_only(p, 48, false);
	/* Fewer than the 8 bytes every extension header has. */
	for (size_t n = 40; n < 48; n++)
		expect_ip_only(p, n, false);
}

/* n destination-options headers, then TCP. */
static size_t build_v6_chain(uint8_t *p, unsigned n)
{
	size_t len = build_v6_header(p, n ? 60 : 6);

	for (unsigned i = 0; i < n; i++)
		len += put_ext(p + len, i + 1 < n ? 60 : 6, 0);
	len += put_tcp(p + len, 50005, 25, TCP_FLAG_SYN);
	v6_finish(p, len);
	return len;
}

static void test_v6_long_chain(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len;
	struct conn c;

	(void)state;
	/* As many extension headers are walked as fit the copy before TCP. */
	assert_int_equal(PACKET_MAX_EXT_HEADERS, 25);
	assert_int_equal(40 + 8 * PACKET_MAX_EXT_HEADERS + 14, PACKET_COPY_LEN - 2);
	for (unsigned n = 0; n <= PACKET_MAX_EXT_HEADERS; n++) {
		len = build_v6_chain(p, n);
		assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
		assert_int_equal(c.sport, 50005);
		assert_int_equal(c.dport, 25);
		assert_false(c.ip_only);
		/* ... also in what the kernel copies of it. */
		if (len > PACKET_COPY_LEN)
			len = PACKET_COPY_LEN;
		assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
		assert_int_equal(c.dport, 25);
	}
	/* More: no TCP header inside any copy; counted by the source. */
	for (unsigned n = PACKET_MAX_EXT_HEADERS + 1; n <= 50; n++) {	/* fits PKT_MAX */
		len = build_v6_chain(p, n);
		expect_ip_only(p, len, false);
		expect_ip_only(p, len < PACKET_COPY_LEN ? len : PACKET_COPY_LEN, false);
	}
	/* A 9-long chain of mixed kinds (the review's evasion) is walked. */
	len = build_v6_header(p, 0);
	len += put_ext(p + len, 43, 0);		/* hop-by-hop -> routing */
	len += put_ext(p + len, 44, 0);		/* routing -> fragment */
	len += put_frag(p + len, 51, 0, 1);	/* fragment -> AH */
	memset(p + len, 0, 16);			/* AH, 16 bytes */
	p[len] = 60;				/* AH -> destination options */
	p[len + 1] = 2;
	len += 16;
	for (unsigned i = 0; i < 5; i++)
		len += put_ext(p + len, i < 4 ? 60 : 6, 0);
	len += put_tcp(p + len, 50006, 25, TCP_FLAG_SYN);
	v6_finish(p, len);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_int_equal(c.sport, 50006);
	assert_int_equal(c.dport, 25);
	assert_true(conn_is_attempt(&c));
}

/* setsockopt(IPV6_DSTOPTS) with an 80-byte header: 40 + 80 + 20 = 140
 * bytes, past the old 128-byte copy; inside this one, ports and all. */
static void test_v6_big_dstopts(void **state)
{
	uint8_t p[PKT_MAX];
	size_t len = build_v6_header(p, 60);
	struct conn c;

	(void)state;
	len += put_ext(p + len, 6, 9);		/* (9 + 1) * 8 = 80 bytes */
	len += put_tcp(p + len, 50007, 25, TCP_FLAG_SYN);
	v6_finish(p, len);
	assert_int_equal(len, 140);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	expect_v6_addrs(&c);
	assert_int_equal(c.sport, 50007);
	assert_int_equal(c.dport, 25);
	assert_true(conn_is_attempt(&c));
	/* A header as long as the copy (2048 bytes claimed): the source. */
	p[41] = 255;
	expect_ip_only(p, len, false);
}

/* The headers of RFC 8200's format that Linux does not walk are walked
 * too; what is neither that nor TCP is another protocol. */
static void test_v6_other_ext_headers(void **state)
{
	static const uint8_t exts[] = { 135, 139, 140, 253, 254 };
	uint8_t p[PKT_MAX];
	size_t len;
	struct conn c;

	(void)state;
	for (size_t i = 0; i < sizeof(exts); i++) {
		len = build_v6_header(p, exts[i]);
		len += put_ext(p + len, 6, 1);
		len += put_tcp(p + len, 50008, 25, TCP_FLAG_SYN);
		v6_finish(p, len);
		assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
		assert_int_equal(c.dport, 25);
	}
}

/* An IPv4-mapped IPv6 source is an IPv6 address, never the IPv4 host. */
static void test_v6_mapped_source(void **state)
{
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 30 };
	uint8_t p[PKT_MAX];
	size_t len = build_v6_header(p, 6);
	struct addr v4;
	struct conn c;

	(void)state;
	memcpy(p + 8, mapped, 16);
	len += put_tcp(p + len, 50009, 25, TCP_FLAG_SYN);
	v6_finish(p, len);
	assert_int_equal(parse_exact(p, len, &c), PACKET_OK);
	assert_false(addr_is_v4(&c.src));
	addr_from_v4(&v4, mapped + 12);
	assert_false(addr_equal(&c.src, &v4));
	assert_memory_equal(c.src.b, mapped, 16);
}

/* --- fuzz --- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	return xorshift(&rng_state);
}

static void test_fuzz(void **state)
{
	uint8_t p[PKT_MAX], seedpkt[PKT_MAX];
	size_t seedlen;
	unsigned counts[5] = { 0 };
	struct conn c;

	(void)state;
	rng_state = 0x6e666c6f67640001ULL;
	seedlen = build_v6_chain(seedpkt, 3);
	for (int i = 0; i < 100000; i++) {
		size_t len = (size_t)(rng() % 129);
		enum packet_result r;

		for (size_t j = 0; j < len; j++)
			p[j] = (uint8_t)rng();
		/* Steer part of the inputs into the IPv4 / IPv6 paths, and part
		 * into mutations of a valid chained packet. */
		switch (rng() % 4) {
		case 0:
			if (len)
				p[0] = (uint8_t)(0x40 | (p[0] & 0x0f));
			break;
		case 1:
			if (len)
				p[0] = 0x60;
			if (len > 6)
				p[6] = (uint8_t)((const uint8_t[]){ 0, 43, 44, 51, 60, 6 })[rng() % 6];
			break;
		case 2:
			memcpy(p, seedpkt, len < seedlen ? len : seedlen);
			for (int k = 0; k < 3 && len; k++)
				p[rng() % len] = (uint8_t)rng();
			break;
		default:
			break;
		}
		r = parse_exact(p, len, &c);
		assert_in_range(r, PACKET_OK, PACKET_NOT_TCP);
		counts[r]++;
	}
	/* The steering reached every outcome. */
	for (int k = 0; k < 5; k++)
		assert_true(counts[k] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_syn),
		cmocka_unit_test(test_v4_synack_and_ack),
		cmocka_unit_test(test_v4_options),
		cmocka_unit_test(test_v4_not_tcp),
		cmocka_unit_test(test_v4_fragments),
		cmocka_unit_test(test_v4_truncated_each_length),
		cmocka_unit_test(test_v4_total_length),
		cmocka_unit_test(test_v4_malformed),
		cmocka_unit_test(test_v6_syn),
		cmocka_unit_test(test_v6_ext_chain),
		cmocka_unit_test(test_v6_fragment),
		cmocka_unit_test(test_v6_ah),
		cmocka_unit_test(test_v6_not_tcp),
		cmocka_unit_test(test_v6_ext_beyond_buffer),
		cmocka_unit_test(test_v6_long_chain),
		cmocka_unit_test(test_v6_big_dstopts),
		cmocka_unit_test(test_v6_other_ext_headers),
		cmocka_unit_test(test_v6_mapped_source),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
