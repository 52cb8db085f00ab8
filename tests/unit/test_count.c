/* Unit tests for the daemon's event counting (daemon_on_event and
 * count_event) on a dry-run struct nflogd: what is counted toward whom. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "lifecycle.h"
#include "packet.h"

#define NOW_MS 1000000

static const uint8_t bot6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x66 };
static const uint8_t mapped6[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 30 };
static const uint8_t bot4[4] = { 192, 0, 2, 30 };

static int setup(void **state)
{
	struct nflogd *d = calloc(1, sizeof(*d));
	struct policy_cfg pc;

	assert_non_null(d);
	config_defaults(&d->cfg);
	snprintf(d->cfg.leases_file, sizeof(d->cfg.leases_file), "/nonexistent/nflogd-test");
	d->dry_run = true;
	d->seed = 0x9e3779b97f4a7c15ull;
	d->now_ms = d->started_ms = d->last_housekeeping_ms = NOW_MS;
	pc = daemon_policy_cfg(&d->cfg);
	d->tracker = tracker_new(d->cfg.max_hosts, d->cfg.window, d->seed, NOW_MS);
	d->policy = policy_new(&pc, d->seed);
	table_init(&d->table, &d->cfg, &d->wl, d->policy, true);
	d->recent = calloc(1, sizeof(*d->recent));
	leases_init(&d->leases);
	d->control.fd = -1;
	assert_non_null(d->tracker);
	assert_non_null(d->policy);
	assert_non_null(d->recent);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct nflogd *d = *state;

	tracker_free(d->tracker);
	policy_free(d->policy);
	free(d->recent);
	whitelist_free(&d->wl);
	leases_free(&d->leases);
	table_close(&d->table);
	free(d);
	return 0;
}

/* One event, as much of the packet as the kernel copies. */
static void feed(struct nflogd *d, const uint8_t *pkt, size_t len)
{
	struct intake_event ev = { .payload = pkt,
				   .len = len < PACKET_COPY_LEN ? len : PACKET_COPY_LEN };

	daemon_on_event(d, &ev);
	daemon_count_batch(d);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t put_syn(uint8_t *p, unsigned sport)
{
	memset(p, 0, 20);
	put16(p, sport);
	put16(p + 2, 25);
	p[12] = 5 << 4;
	p[13] = TCP_FLAG_SYN;
	return 20;
}

/* An IPv6 SYN from src to 2001:db8:2::DST, behind nhdr destination-options
 * headers of hdrlen (8-byte units, less one) each. */
static size_t build_v6(uint8_t *p, const uint8_t src[16], unsigned dst, unsigned sport,
		       unsigned nhdr, unsigned hdrlen)
{
	size_t len = 40;

	memset(p, 0, 40);
	p[0] = 0x60;
	p[6] = nhdr ? 60 : 6;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[29] = 2;
	put16(p + 38, dst);
	for (unsigned i = 0; i < nhdr; i++) {
		size_t hl = ((size_t)hdrlen + 1) * 8;

		memset(p + len, 0, hl);
		p[len] = i + 1 < nhdr ? 60 : 6;
		p[len + 1] = (uint8_t)hdrlen;
		p[len + 2] = 1;			/* PadN */
		p[len + 3] = (uint8_t)(hl - 4);
		len += hl;
	}
	len += put_syn(p + len, sport);
	put16(p + 4, (unsigned)(len - 40));
	return len;
}

static size_t build_v4(uint8_t *p, const uint8_t src[4], unsigned dst, unsigned sport)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, 40);
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, src, 4);
	p[16] = 203, p[17] = 0, p[18] = 113, p[19] = (uint8_t)dst;
	return 20 + put_syn(p + 20, sport);
}

static bool blocked(const struct nflogd *d, const struct addr *a)
{
	const struct offender *o = policy_find(d->policy, a);

	return o && o->blocked;
}

/* The review's evasion: an 80-byte destination-options header. Counted
 * with its ports, blocked past the threshold. */
static void test_big_dstopts_counted(void **state)
{
	struct nflogd *d = *state;
	uint8_t p[512];
	struct addr bot;

	addr_from_v6(&bot, bot6);
	for (unsigned i = 0; i < d->cfg.threshold; i++)
		feed(d, p, build_v6(p, bot6, i, 40000 + i, 1, 9));
	assert_int_equal(d->stats.counted, d->cfg.threshold);
	assert_int_equal(d->stats.malformed, 0);
	assert_int_equal(d->stats.unparsed_counted, 0);
	assert_false(blocked(d, &bot));
	feed(d, p, build_v6(p, bot6, 99, 41000, 1, 9));
	assert_true(blocked(d, &bot));
	/* The same connection again is a retransmit: the ports were read. */
	feed(d, p, build_v6(p, bot6, 99, 41000, 1, 9));
	assert_int_equal(d->stats.retransmits, 1);
}

/* TCP past the copy (a chain longer than any walk): counted by the source,
 * each event anew (no ports to tell a retransmit by), in its own counter. */
static void test_unparsed_counted_by_source(void **state)
{
	struct nflogd *d = *state;
	uint8_t p[1024];
	struct addr bot;
	size_t len = build_v6(p, bot6, 1, 40000, PACKET_MAX_EXT_HEADERS + 5, 0);

	assert_true(len > PACKET_COPY_LEN);
	addr_from_v6(&bot, bot6);
	/* Identical bytes every time: a bot's SYNs with their ports hidden. */
	for (unsigned i = 0; i <= d->cfg.threshold; i++)
		feed(d, p, len);
	assert_int_equal(d->stats.counted, d->cfg.threshold + 1);
	assert_int_equal(d->stats.unparsed_counted, d->cfg.threshold + 1);
	assert_int_equal(d->stats.retransmits, 0);
	assert_int_equal(d->stats.malformed, 0);
	assert_true(blocked(d, &bot));

	/* Nine 8-byte headers (raw SYNs of the review): walked, ports read. */
	feed(d, p, build_v6(p, bot6, 1, 40000, 9, 0));
	assert_int_equal(d->stats.unparsed_counted, d->cfg.threshold + 1);
}

/* Bytes that are no IP header frame nobody. */
static void test_garbage_not_counted(void **state)
{
	struct nflogd *d = *state;
	uint8_t p[PACKET_COPY_LEN];
	size_t len = build_v4(p, bot4, 1, 40000);

	p[0] = 0x55;			/* version 5 */
	feed(d, p, len);
	len = build_v4(p, bot4, 1, 40000);
	p[0] = 0x44;			/* IHL below 5 */
	feed(d, p, len);
	len = build_v4(p, bot4, 1, 40000);
	feed(d, p, 19);			/* not even the fixed header */
	len = build_v6(p, bot6, 1, 40000, 0, 0);
	feed(d, p, 39);
	assert_int_equal(d->stats.malformed, 4);
	assert_int_equal(d->stats.counted, 0);
	assert_int_equal(tracker_count(d->tracker), 0);
}

/* An IPv6 bot with a mapped source is counted and blocked as the IPv6
 * address it is; the IPv4 host of the same digits is left alone. */
static void test_mapped_source_is_ipv6(void **state)
{
	struct nflogd *d = *state;
	uint8_t p[PACKET_COPY_LEN];
	struct addr as6, as4;

	addr_from_v6(&as6, mapped6);
	addr_from_v4(&as4, bot4);
	/* A whitelist of 192.0.2.0/24 spares the IPv4 host, not the IPv6 one. */
	{
		FILE *f = text_stream("192.0.2.0/24\n");
		assert_int_equal(whitelist_parse(&d->wl, f, "wl", NULL), 0);
		fclose(f);
	}
	for (unsigned i = 0; i <= d->cfg.threshold; i++)
		feed(d, p, build_v6(p, mapped6, i, 40000 + i, 0, 0));
	assert_int_equal(d->stats.whitelisted, 0);
	assert_true(blocked(d, &as6));
	assert_false(blocked(d, &as4));
	assert_null(tracker_find(d->tracker, &as4));
	for (unsigned i = 0; i <= d->cfg.threshold; i++)
		feed(d, p, build_v4(p, bot4, i, 40000 + i));
	assert_int_equal(d->stats.whitelisted, d->cfg.threshold + 1);
	assert_false(blocked(d, &as4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_big_dstopts_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unparsed_counted_by_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_not_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mapped_source_is_ipv6, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
