/* tracker: sliding window, retransmit dedupe, distinct destinations,
 * LRU eviction, idle expiry, top list. Time is passed in, in milliseconds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "tracker.h"

#define SEED 0x5eed5eed12345678ULL
#define NET_HOSTS 131072u	/* 198.18.0.0/15 */

/* Host i of 198.18.0.0/15. */
static struct addr src_addr(uint32_t i)
{
	uint8_t b[4] = { 198, (uint8_t)(18 + (i >> 16 & 1)), (uint8_t)(i >> 8), (uint8_t)i };
	struct addr a;

	addr_from_v4(&a, b);
	return a;
}

/* Destination i: 203.0.113.0/24, then 198.51.100.0/24, then 2001:db8::/32. */
static struct addr dst_addr(uint32_t i)
{
	struct addr a;

	if (i < 256) {
		uint8_t b[4] = { 203, 0, 113, (uint8_t)i };

		addr_from_v4(&a, b);
	} else if (i < 512) {
		uint8_t b[4] = { 198, 51, 100, (uint8_t)i };

		addr_from_v4(&a, b);
	} else {
		uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
				  (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
				  (uint8_t)i };

		addr_from_v6(&a, b);
	}
	return a;
}

static struct conn make_conn(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	struct conn c;

	memset(&c, 0, sizeof(c));
	c.src = src_addr(src);
	c.dst = dst_addr(dst);
	c.sport = sport;
	c.dport = dport;
	c.tcp_flags = TCP_FLAG_SYN;
	return c;
}

/* Record and require it to count. */
static struct host *hit(struct tracker *t, uint32_t src, uint32_t dst, uint16_t sport,
			uint64_t now)
{
	struct conn c = make_conn(src, dst, sport, 25);
	bool counted = false;
	struct host *h = tracker_record(t, &c, NULL, now, &counted);

	assert_non_null(h);
	assert_true(counted);
	assert_true(addr_equal(&h->addr, &c.src));
	return h;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	return xorshift(&rng_state);
}

/* --- the window --- */

static void test_window_edges(void **state)
{
	struct tracker *t = tracker_new(1024, 70, SEED, 0);
	struct host *h = NULL;

	(void)state;
	assert_non_null(t);
	assert_int_equal(t->slot_ms, 10000);
	for (uint16_t i = 0; i < 21; i++)
		h = hit(t, 1, i, (uint16_t)(40000 + i), 0);
	assert_int_equal(h->total, 21);
	assert_int_equal(tracker_window_count(t, h, 0), 21);
	assert_int_equal(tracker_window_count(t, h, 59999), 21);
	assert_int_equal(tracker_window_count(t, h, 69999), 21);
	/* From 70 s on, slot 0 is the oldest, partly covered slot: its
	 * attempts are taken as spread over it. */
	for (uint64_t e = 0; e < 10000; e += 250)
		assert_int_equal(tracker_window_count(t, h, 70000 + e), 21 * (10000 - e) / 10000);
	assert_int_equal(tracker_window_count(t, h, 75000), 21 * 5000 / 10000);
	assert_int_equal(tracker_window_count(t, h, 75000), 10);
	assert_int_equal(tracker_window_count(t, h, 79999), 0);
	assert_int_equal(tracker_window_count(t, h, 80000), 0);
	assert_int_equal(tracker_window_count(t, h, 1000000), 0);
	assert_int_equal(h->total, 21);
	tracker_free(t);
}

static void test_window_mixed_slots(void **state)
{
	struct tracker *t = tracker_new(1024, 70, SEED, 0);
	struct host *h = NULL;
	uint16_t sport = 1000;

	(void)state;
	for (int i = 0; i < 20; i++)
		h = hit(t, 2, 1, sport++, 1000);	/* slot 0 */
	for (int i = 0; i < 7; i++)
		h = hit(t, 2, 1, sport++, 33000);	/* slot 3 */
	for (int i = 0; i < 5; i++)
		h = hit(t, 2, 1, sport++, 65000);	/* slot 6 */
	assert_int_equal(tracker_window_count(t, h, 65000), 32);
	/* Slot 0 half covered: 10 of 20. */
	assert_int_equal(tracker_window_count(t, h, 75000), 5 + 7 + 10);
	assert_int_equal(tracker_window_count(t, h, 80000), 5 + 7);
	/* Recording moves the ring: slot 0's data is overwritten at slot 8. */
	h = hit(t, 2, 1, sport++, 85000);
	assert_int_equal(tracker_window_count(t, h, 85000), 1 + 5 + 7);
	assert_int_equal(tracker_window_count(t, h, 105000), 1 + 5 + (7 * 5000 / 10000));
	assert_int_equal(tracker_window_count(t, h, 110000), 1 + 5);
	/* After a long silence, the ring starts afresh. */
	h = hit(t, 2, 1, sport++, 10000000);
	assert_int_equal(tracker_window_count(t, h, 10000000), 1);
	assert_int_equal(h->total, 34);
	tracker_free(t);
}

static void test_window_default_60s(void **state)
{
	/* window 60 s: slots of ceil(60000 / 7) = 8572 ms. */
	struct tracker *t = tracker_new(1024, 60, SEED, 0);
	struct host *h = NULL;
	uint16_t sport = 1;

	(void)state;
	assert_int_equal(t->slot_ms, 8572);
	/* A burst spread over 6/7 of the window is counted exactly until the
	 * window has passed its first slot. */
	for (uint64_t ms = 0; ms < 6 * 8572; ms += 857)
		h = hit(t, 3, (uint32_t)(ms % 200), sport++, ms);
	assert_int_equal(tracker_window_count(t, h, 6 * 8572), sport - 1);
	assert_int_equal(tracker_window_count(t, h, 7 * 8572 - 1), sport - 1);
	assert_int_equal(tracker_window_count(t, h, 8 * 8572 + 8 * 8572), 0);
	tracker_free(t);
}

/* The approximation claim: the count differs from the exact count of the
 * last `window` by at most the oldest slot's attempts. */
static void test_window_error_bound(void **state)
{
	enum { N = 6000 };
	static uint64_t times[N];
	struct tracker *t = tracker_new(1024, 60, SEED, 0);
	struct host *h = NULL;
	uint64_t now = 500000, w = t->slot_ms, window = 60000;

	(void)state;
	rng_state = 42;
	for (int i = 0; i < N; i++) {
		/* Bursts and gaps: mostly short steps, sometimes long pauses. */
		now += (rng() % 16 == 0) ? rng() % 40000 : rng() % 60;
		times[i] = now;
		h = hit(t, 4, (uint32_t)(rng() % 1000), (uint16_t)i, now);
		if (i % 7)
			continue;
		{
			/* the oldest, partly covered slot: [old_lo, old_hi) */
			uint64_t slot = now / w;
			uint64_t old_lo = (slot - 7) * w, old_hi = (slot - 6) * w;
			uint32_t exact = 0, in_old = 0, got;

			for (int j = 0; j <= i; j++) {
				if (times[j] + window > now)
					exact++;
				if (times[j] >= old_lo && times[j] < old_hi)
					in_old++;
			}
			got = tracker_window_count(t, h, now);
			assert_true(got <= exact + in_old);
			assert_true(got + in_old >= exact);
			/* Without attempts in the oldest slot it is exact
			 * (up to the 7 * w - window ms of overlap). */
			if (in_old == 0) {
				uint32_t exact_w = 0;

				for (int j = 0; j <= i; j++)
					if (times[j] + 7 * w > now)
						exact_w++;
				assert_int_equal(got, exact_w);
			}
		}
	}
	tracker_free(t);
}

/* --- retransmits --- */

static void test_retransmit_dedupe(void **state)
{
	struct tracker *t = tracker_new(1024, 600, SEED, 0);
	struct conn c = make_conn(10, 20, 51000, 25);
	struct host *h, *h2;
	bool counted = false;

	(void)state;
	h = tracker_record(t, &c, NULL, 0, &counted);
	assert_true(counted);
	assert_int_equal(h->total, 1);

	h2 = tracker_record(t, &c, NULL, 1000, &counted);
	assert_false(counted);
	assert_ptr_equal(h2, h);
	assert_int_equal(h->total, 1);
	assert_int_equal(tracker_window_count(t, h, 1000), 1);
	assert_int_equal(t->stats.retransmits, 1);
	assert_int_equal(t->stats.attempts, 1);
	assert_int_equal(h->last_seen, 1);	/* still seen */

	/* Still a retransmit TRACKER_DEDUPE_SECONDS after the first. */
	tracker_record(t, &c, NULL, TRACKER_DEDUPE_SECONDS * 1000ULL, &counted);
	assert_false(counted);
	assert_int_equal(h->total, 1);
	/* One second later, the same 4-tuple is a new connection. */
	tracker_record(t, &c, NULL, (TRACKER_DEDUPE_SECONDS + 1) * 1000ULL, &counted);
	assert_true(counted);
	assert_int_equal(h->total, 2);
	assert_int_equal(t->stats.retransmits, 2);

	/* Any other port or destination is another connection. */
	c.sport = 51001;
	tracker_record(t, &c, NULL, 140000, &counted);
	assert_true(counted);
	c.dport = 587;
	tracker_record(t, &c, NULL, 140000, &counted);
	assert_true(counted);
	c.dst = dst_addr(21);
	tracker_record(t, &c, NULL, 140000, &counted);
	assert_true(counted);
	/* ... and another source with the same ports and destination. */
	c.src = src_addr(11);
	h2 = tracker_record(t, &c, NULL, 140000, &counted);
	assert_true(counted);
	assert_ptr_not_equal(h2, h);
	assert_int_equal(h->total, 5);
	assert_int_equal(h2->total, 1);
	tracker_free(t);
}

static void test_retransmit_many(void **state)
{
	struct tracker *t = tracker_new(1024, 600, SEED, 0);
	bool counted;
	struct host *h = NULL;

	(void)state;
	/* 2000 connections, each sent 3 times (SYN retries at 2 s and 4 s).
	 * A new connection always counts; a retransmit may count again only
	 * when another fingerprint took its cache entry (direct-mapped: some
	 * 15 colliding pairs expected among 2000 in 2^17 entries, each pair
	 * adding at most 4 counts over the two retries; 60 pairs is far out). */
	for (int r = 0; r < 3; r++) {
		for (uint16_t i = 0; i < 2000; i++) {
			struct conn c = make_conn(12, i % 300, (uint16_t)(30000 + i), 25);

			h = tracker_record(t, &c, NULL, (uint64_t)r * 2000 + i, &counted);
			if (r == 0)
				assert_true(counted);
		}
	}
	assert_true(h->total >= 2000);
	assert_true(h->total <= 2000 + 4 * 60);
	assert_int_equal(t->stats.attempts, h->total);
	assert_int_equal(t->stats.attempts + t->stats.retransmits, 6000);
	tracker_free(t);
}

/* --- distinct destinations --- */

static void test_dsts_one(void **state)
{
	struct tracker *t = tracker_new(1024, 60, SEED, 0);
	struct host *h = NULL;

	(void)state;
	for (uint16_t i = 0; i < 50; i++)
		h = hit(t, 5, 7, (uint16_t)(2000 + i), 1000 + i);
	assert_int_equal(tracker_window_count(t, h, 2000), 50);
	assert_int_equal(tracker_window_dsts_min(t, h, 2000), 1);
	assert_int_equal(tracker_window_dsts(t, h, 2000), 1);
	tracker_free(t);
}

static void test_dsts_many(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct tracker *t = tracker_new(1024, 60, seed * 0x9e3779b97f4a7c15ULL, 0);

		for (uint32_t n = 1; n <= 600; n += (n < 40 ? 1 : 37)) {
			struct host *h = NULL;
			uint32_t lo, est;

			/* Host n sends to n distinct destinations, twice each. */
			for (uint32_t k = 0; k < 2 * n; k++)
				h = hit(t, n, (k % n) * 7 % 1024, (uint16_t)k, 5000);
			lo = tracker_window_dsts_min(t, h, 5000);
			est = tracker_window_dsts(t, h, 5000);
			assert_true(lo >= 1);
			assert_true(lo <= n);
			assert_true(lo <= 64);
			assert_true(est >= lo);
			/* never more than the attempts seen */
			assert_true(est <= tracker_window_count(t, h, 5000));
			if (n == 1)
				assert_int_equal(lo, 1);
		}
		tracker_free(t);
	}
}

static void test_dsts_window(void **state)
{
	struct tracker *t = tracker_new(1024, 70, SEED, 0);
	struct host *h = NULL;

	(void)state;
	/* Twenty destinations at t = 0 ... */
	for (uint16_t i = 0; i < 20; i++)
		h = hit(t, 6, i, i, 0);
	assert_true(tracker_window_dsts_min(t, h, 0) >= 1);
	assert_true(tracker_window_dsts_min(t, h, 75000) >= 1);	/* oldest slot, fully */
	/* ... have left the window once their slot has. */
	assert_int_equal(tracker_window_dsts_min(t, h, 80000), 0);
	assert_int_equal(tracker_window_dsts(t, h, 80000), 0);
	/* A new one alone, afterwards. */
	h = hit(t, 6, 100, 100, 85000);
	assert_int_equal(tracker_window_dsts_min(t, h, 85000), 1);
	assert_int_equal(tracker_window_dsts(t, h, 85000), 1);
	assert_int_equal(tracker_window_count(t, h, 85000), 1);
	tracker_free(t);
}

static void test_dsts_leave_window(void **state)
{
	struct tracker *t = tracker_new(1024, 70, SEED, 0);
	uint32_t src = 100;

	(void)state;
	/* Destinations recorded at t0 count while they are in the last 6
	 * slots, and not once their slot is 8 or more back. */
	for (uint64_t t0 = 0; t0 < 40000; t0 += 1250, src++) {
		uint64_t s0 = t0 / t->slot_ms;
		struct host *h = NULL;

		for (uint16_t i = 0; i < 10; i++)
			h = hit(t, src, i * 13u, i, t0);
		for (uint64_t q = t0; q < t0 + 120000; q += 500) {
			uint64_t back = q / t->slot_ms - s0;
			uint32_t lo = tracker_window_dsts_min(t, h, q);

			if (back <= 6) {
				assert_true(lo >= 1);
				assert_true(tracker_window_dsts(t, h, q) >= lo);
			}
			if (back >= 8) {
				assert_int_equal(lo, 0);
				assert_int_equal(tracker_window_dsts(t, h, q), 0);
			}
		}
	}
	tracker_free(t);
}

/* --- the host table --- */

static void test_eviction_lru(void **state)
{
	struct tracker *t = tracker_new(16, 60, SEED, 0);
	struct host *h;
	struct addr a;

	(void)state;
	for (uint32_t i = 0; i < 16; i++)
		hit(t, i, 1, 1, (uint64_t)i * 1000);
	assert_int_equal(tracker_count(t), 16);
	assert_int_equal(t->stats.evicted, 0);

	/* Host 0 seen again: host 1 is now the least recently seen. */
	hit(t, 0, 2, 2, 20000);
	h = hit(t, 16, 1, 1, 21000);
	assert_int_equal(h->total, 1);
	assert_int_equal(tracker_count(t), 16);
	assert_int_equal(t->stats.evicted, 1);
	a = src_addr(1);
	assert_null(tracker_find(t, &a));
	a = src_addr(0);
	h = tracker_find(t, &a);
	assert_non_null(h);
	assert_int_equal(h->total, 2);
	for (uint32_t i = 2; i <= 16; i++) {
		a = src_addr(i);
		h = tracker_find(t, &a);
		assert_non_null(h);
		assert_true(addr_equal(&h->addr, &a));
	}

	/* The next newcomer evicts host 2; a retransmit also counts as seen. */
	{
		struct conn c = make_conn(2, 1, 1, 25);
		bool counted;

		tracker_record(t, &c, NULL, 22000, &counted);
		assert_false(counted);
	}
	hit(t, 17, 1, 1, 23000);
	a = src_addr(2);
	assert_non_null(tracker_find(t, &a));
	a = src_addr(3);
	assert_null(tracker_find(t, &a));
	assert_int_equal(t->stats.evicted, 2);

	/* An evicted host comes back with a fresh record. */
	h = hit(t, 1, 3, 3, 24000);
	assert_int_equal(h->total, 1);
	assert_int_equal(h->first_seen, 24);
	assert_int_equal(tracker_window_count(t, h, 24000), 1);
	assert_int_equal(tracker_count(t), 16);
	tracker_free(t);
}

static void test_forget(void **state)
{
	struct tracker *t = tracker_new(16, 60, SEED, 0);
	struct addr a;

	(void)state;
	for (uint32_t i = 0; i < 16; i++)
		hit(t, i, 1, 1, 1000);
	a = src_addr(5);
	tracker_forget(t, tracker_find(t, &a));
	assert_null(tracker_find(t, &a));
	assert_int_equal(tracker_count(t), 15);
	/* The freed record is reused without evicting anyone. */
	hit(t, 100, 1, 1, 2000);
	assert_int_equal(tracker_count(t), 16);
	assert_int_equal(t->stats.evicted, 0);
	for (uint32_t i = 0; i < 16; i++) {
		a = src_addr(i);
		if (i == 5)
			assert_null(tracker_find(t, &a));
		else
			assert_non_null(tracker_find(t, &a));
	}
	tracker_free(t);
}

static void test_idle_expiry(void **state)
{
	uint64_t epoch = 123456789;
	struct tracker *t = tracker_new(1024, 60, SEED, epoch);
	struct addr a, b;

	(void)state;
	hit(t, 1, 1, 1, epoch);
	hit(t, 2, 1, 1, epoch + 1000 * 1000);
	a = src_addr(1);
	b = src_addr(2);
	assert_int_equal(tracker_count(t), 2);

	assert_int_equal(tracker_expire(t, epoch + TRACKER_IDLE_SECONDS * 1000ULL), 0);
	assert_int_equal(tracker_count(t), 2);
	assert_int_equal(tracker_expire(t, epoch + (TRACKER_IDLE_SECONDS + 1) * 1000ULL), 1);
	assert_null(tracker_find(t, &a));
	assert_non_null(tracker_find(t, &b));
	assert_int_equal(tracker_count(t), 1);
	assert_int_equal(t->stats.expired, 1);

	assert_int_equal(tracker_expire(t, epoch + (1000 + TRACKER_IDLE_SECONDS + 1) * 1000ULL), 1);
	assert_null(tracker_find(t, &b));
	assert_int_equal(tracker_count(t), 0);
	assert_int_equal(t->stats.expired, 2);
	assert_int_equal(tracker_expire(t, epoch + 100000000ULL), 0);

	/* Records are reusable afterwards. */
	hit(t, 3, 1, 1, epoch + 100000000ULL);
	assert_int_equal(tracker_count(t), 1);
	tracker_free(t);
}

static void test_idle_expiry_long_window(void **state)
{
	/* A window longer than the idle time keeps hosts for the window. */
	struct tracker *t = tracker_new(1024, 7200, SEED, 0);

	(void)state;
	hit(t, 1, 1, 1, 0);
	assert_int_equal(tracker_expire(t, 3601 * 1000ULL), 0);
	assert_int_equal(tracker_expire(t, 7200 * 1000ULL), 0);
	assert_int_equal(tracker_expire(t, 7201 * 1000ULL), 1);
	tracker_free(t);
}

static void test_reset_window(void **state)
{
	struct tracker *t = tracker_new(1024, 60, SEED, 0);
	struct host *h = NULL;

	(void)state;
	for (uint16_t i = 0; i < 30; i++)
		h = hit(t, 7, i, i, 10000 + i);
	assert_int_equal(tracker_window_count(t, h, 20000), 30);
	tracker_reset_window(h);
	assert_int_equal(tracker_window_count(t, h, 20000), 0);
	assert_int_equal(tracker_window_dsts_min(t, h, 20000), 0);
	assert_int_equal(tracker_window_dsts(t, h, 20000), 0);
	assert_int_equal(h->total, 30);
	h = hit(t, 7, 1, 500, 21000);
	assert_int_equal(tracker_window_count(t, h, 21000), 1);
	assert_int_equal(tracker_window_dsts_min(t, h, 21000), 1);
	assert_int_equal(h->total, 31);
	tracker_free(t);
}

static void test_mac(void **state)
{
	struct tracker *t = tracker_new(1024, 60, SEED, 0);
	struct mac m = { { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef } };
	struct conn c = make_conn(8, 1, 1, 25);
	struct host *h;
	bool counted;

	(void)state;
	h = tracker_record(t, &c, NULL, 0, &counted);
	assert_false(h->has_mac);
	c.sport = 2;
	h = tracker_record(t, &c, &m, 0, &counted);
	assert_true(h->has_mac);
	assert_true(mac_equal(&h->mac, &m));
	tracker_free(t);
}

static void test_count_saturates(void **state)
{
	struct tracker *t = tracker_new(1024, 60, SEED, 0);
	struct host *h = NULL;

	(void)state;
	/* 70000 attempts in one slot: the slot counter stops at its maximum. */
	for (uint32_t i = 0; i < 70000; i++)
		h = hit(t, 9, i % 200, (uint16_t)i, 1000 + (i >> 16));
	assert_int_equal(h->total, 70000);
	assert_int_equal(tracker_window_count(t, h, 2000), UINT16_MAX);
	tracker_free(t);
}

/* --- top --- */

static void test_top(void **state)
{
	struct tracker *t = tracker_new(1024, 70, SEED, 0);
	struct host *top[8], *a = NULL, *b = NULL, *c = NULL, *d;
	uint16_t sport = 1;

	(void)state;
	/* c: 20 old attempts (out of the window by t = 100 s). */
	for (int i = 0; i < 20; i++)
		hit(t, 3, 1, sport++, 0);
	for (int i = 0; i < 5; i++)
		a = hit(t, 1, 1, sport++, 100000);
	for (int i = 0; i < 9; i++)
		b = hit(t, 2, 1, sport++, 100000);
	for (int i = 0; i < 9; i++)
		c = hit(t, 3, 1, sport++, 100000);
	d = hit(t, 4, 1, sport++, 100000);

	assert_int_equal(tracker_top(t, 100000, top, 8), 4);
	/* b and c tie on the window; c has the larger total. */
	assert_ptr_equal(top[0], c);
	assert_ptr_equal(top[1], b);
	assert_ptr_equal(top[2], a);
	assert_ptr_equal(top[3], d);

	assert_int_equal(tracker_top(t, 100000, top, 2), 2);
	assert_ptr_equal(top[0], c);
	assert_ptr_equal(top[1], b);
	assert_int_equal(tracker_top(t, 100000, top, 1), 1);
	assert_ptr_equal(top[0], c);
	assert_int_equal(tracker_top(t, 100000, top, 0), 0);

	/* Later, a's attempts have left the window: all at 0, ordered by total. */
	assert_int_equal(tracker_top(t, 1000000, top, 8), 4);
	assert_ptr_equal(top[0], c);	/* 29 */
	assert_ptr_equal(top[1], b);	/* 9 */
	assert_ptr_equal(top[2], a);	/* 5 */
	assert_ptr_equal(top[3], d);	/* 1 */
	tracker_free(t);
}

static int top_before(const struct tracker *t, uint64_t now, const struct host *x,
		      const struct host *y)
{
	uint32_t cx = tracker_window_count(t, x, now), cy = tracker_window_count(t, y, now);

	return cx > cy || (cx == cy && x->total > y->total);
}

static void test_top_random(void **state)
{
	enum { H = 300, N = 10 };
	struct tracker *t = tracker_new(1024, 60, SEED, 0);
	struct host *hosts[H], *top[N];
	uint64_t now = 1000;

	(void)state;
	rng_state = 7;
	for (uint32_t i = 0; i < H; i++)
		hosts[i] = hit(t, i, 1, 0, now);
	for (int k = 0; k < 5000; k++) {
		uint32_t i = (uint32_t)(rng() % H);

		now += rng() % 40;
		hosts[i] = hit(t, i, (uint32_t)(rng() % 100), (uint16_t)(k + 1), now);
	}
	assert_int_equal(tracker_top(t, now, top, N), N);
	for (int j = 1; j < N; j++)
		assert_false(top_before(t, now, top[j], top[j - 1]));
	/* No host left out ranks above the last one shown. */
	for (uint32_t i = 0; i < H; i++) {
		int shown = 0;

		for (int j = 0; j < N; j++)
			shown |= top[j] == hosts[i];
		if (!shown)
			assert_false(top_before(t, now, hosts[i], top[N - 1]));
	}
	tracker_free(t);
}


/* --- batches --- */

/* Counting in batches (every stage over the batch before the next, as the
 * daemon does) gives what counting one by one gives, though the guesses of
 * a batch go stale as its earlier events insert, move and evict hosts. */
static void test_batch_matches_one_by_one(void **state)
{
	enum { OPS = 60000, CAP = 96, BATCH = 16 };
	struct tracker *one = tracker_new(CAP, 60, SEED, 0);
	struct tracker *many = tracker_new(CAP, 60, SEED, 0);
	struct conn c[BATCH];
	struct tracker_hint hint[BATCH];
	uint64_t now = 0;

	(void)state;
	rng_state = 0xba7c4;
	for (int k = 0; k < OPS; k += BATCH) {
		now += rng() % 700;
		for (int i = 0; i < BATCH; i++) {
			/* 200 sources over 96 places: hits, misses and evictions;
			 * few ports: retransmits too. */
			c[i] = make_conn((uint32_t)(rng() % 200), (uint32_t)(rng() % 70),
					 (uint16_t)(40000 + rng() % 8), 25);
			tracker_hint(many, &c[i], &hint[i]);
		}
		for (int i = 0; i < BATCH; i++)
			tracker_prefetch_host(many, &hint[i]);
		for (int i = 0; i < BATCH; i++)
			tracker_prefetch_lru(many, &hint[i]);
		for (int i = 0; i < BATCH; i++) {
			bool counted_one, counted_many;
			uint32_t window;
			struct host *a = tracker_record(one, &c[i], NULL, now, &counted_one);
			struct host *b = tracker_record_hinted(many, &c[i], &hint[i], NULL, now,
							       &counted_many, &window);

			assert_true(addr_equal(&b->addr, &c[i].src));
			assert_int_equal(counted_one, counted_many);
			if (counted_many)
				assert_int_equal(window, tracker_window_count(many, b, now));
			assert_int_equal(a - one->hosts, b - many->hosts);
			assert_int_equal(tracker_window_count(one, a, now),
					 tracker_window_count(many, b, now));
			assert_int_equal(a->total, b->total);
		}
	}
	assert_int_equal(one->stats.attempts, many->stats.attempts);
	assert_int_equal(one->stats.retransmits, many->stats.retransmits);
	assert_int_equal(one->stats.evicted, many->stats.evicted);
	assert_true(many->stats.evicted > 1000);
	assert_true(many->stats.retransmits > 1000);
	tracker_free(one);
	tracker_free(many);
}

/* The window count against the definition, computed with a division, for
 * hosts built by hand: any window (so any slot width), counts up to the
 * 16-bit maximum, every elapsed part of a slot, times before, at and long
 * after the host's newest slot. */
static uint32_t window_count_reference(uint32_t slot_ms, const struct host *h, uint64_t now)
{
	uint32_t slot = (uint32_t)(now / slot_ms), sum = 0;
	uint64_t elapsed = now % slot_ms;

	for (uint32_t k = 0; k < TRACKER_SLOTS; k++) {
		uint32_t s = slot - k, c;

		if (s > h->head_slot || h->head_slot - s >= TRACKER_SLOTS)
			continue;
		c = h->count[s % TRACKER_SLOTS];
		sum += k < TRACKER_SLOTS - 1 ? c : (uint32_t)((uint64_t)c * (slot_ms - elapsed) / slot_ms);
	}
	return sum;
}

/* A slot's counter stops at 65535; the window count reported by the record
 * stops with it. */
static void test_record_window_saturates(void **state)
{
	struct tracker *t = tracker_new(4, 60, SEED, 0);
	uint32_t window = 0;

	(void)state;
	for (uint32_t k = 0; k < 70000; k++) {
		struct conn c = make_conn(0, k / 60000, (uint16_t)(k % 60000), 25);
		struct tracker_hint hint;
		bool counted;
		struct host *h;

		tracker_hint(t, &c, &hint);
		h = tracker_record_hinted(t, &c, &hint, NULL, 5000, &counted, &window);
		assert_true(counted);
		assert_int_equal(window, tracker_window_count(t, h, 5000));
	}
	assert_int_equal(window, UINT16_MAX);
	tracker_free(t);
}

/* A guess made before its host was forgotten points to a free slot that
 * still holds the address: the record must not land there. */
static void test_stale_guess_of_freed_slot(void **state)
{
	struct tracker *t = tracker_new(4, 60, SEED, 0);
	struct conn c = make_conn(0, 7, 7, 25);
	struct tracker_hint hint;
	struct host *h;
	uint32_t window;
	bool counted;

	(void)state;
	hit(t, 0, 1, 1, 1000);
	hit(t, 1, 1, 1, 1000);
	tracker_hint(t, &c, &hint);
	tracker_prefetch_host(t, &hint);
	assert_int_not_equal(hint.guess, ADDRMAP_NONE);
	tracker_forget(t, tracker_find(t, &c.src));
	h = tracker_record_hinted(t, &c, &hint, NULL, 2000, &counted, &window);
	assert_true(counted);
	assert_int_equal(window, 1);
	assert_ptr_equal(tracker_find(t, &c.src), h);
	assert_int_equal(h->total, 1);
	assert_int_equal(tracker_count(t), 2);
	/* The slot is in use once, not also on the free list. */
	hit(t, 2, 1, 1, 3000);
	hit(t, 3, 1, 1, 3000);
	assert_ptr_equal(tracker_find(t, &c.src), h);
	assert_true(addr_equal(&h->addr, &c.src));
	tracker_free(t);
}

static void test_window_count_exact(void **state)
{
	(void)state;
	rng_state = 0x3c0de;
	for (int round = 0; round < 400; round++) {
		uint32_t window = 1 + (uint32_t)(rng() % 3600);
		struct tracker *t = tracker_new(16, window, SEED, 0);
		struct host h;

		assert_non_null(t);
		memset(&h, 0, sizeof(h));
		h.head_slot = 20 + (uint32_t)(rng() % 1000);
		for (int s = 0; s < TRACKER_SLOTS; s++)
			h.count[s] = (uint16_t)(rng() % 4 == 0 ? 65535 : rng() % 65536);
		for (int k = 0; k < 200; k++) {
			/* From 3 slots before the newest to 10 after it. */
			uint64_t now = ((uint64_t)h.head_slot - 3) * t->slot_ms +
				       rng() % (13ULL * t->slot_ms);

			if (k % 5 == 0)	/* exactly at a slot's start */
				now -= now % t->slot_ms;
			assert_int_equal(tracker_window_count(t, &h, now),
					 window_count_reference(t->slot_ms, &h, now));
		}
		tracker_free(t);
	}
}

/* --- stress --- */

/* The model of the LRU order the tracker keeps (tracker.h): a host takes a
 * new place at each event while more than half the table is in use, and at
 * its first event of a second otherwise; a newcomer to a full table evicts
 * the present host with the lowest place. */
struct lru_model {
	uint64_t place[NET_HOSTS], next_place;
	uint32_t second[NET_HOSTS];
	uint8_t present[NET_HOSTS];
	uint32_t list[NET_HOSTS], n;
	uint64_t evicted;
};

static void lru_model_touch(struct lru_model *m, uint32_t i, uint32_t second, uint32_t cap)
{
	if (m->present[i]) {
		if (m->second[i] != second || m->n > cap / 2)
			m->place[i] = ++m->next_place;
		m->second[i] = second;
		return;
	}
	if (m->n == cap) {
		uint32_t low = 0;

		for (uint32_t k = 1; k < m->n; k++)
			if (m->place[m->list[k]] < m->place[m->list[low]])
				low = k;
		m->present[m->list[low]] = 0;
		m->list[low] = m->list[--m->n];
		m->evicted++;
	}
	m->present[i] = 1;
	m->place[i] = ++m->next_place;
	m->second[i] = second;
	m->list[m->n++] = i;
}

/* Host i of src_addr(), back from its address. */
static uint32_t src_index(const struct addr *a)
{
	return (uint32_t)(a->b[13] - 18) << 16 | (uint32_t)a->b[14] << 8 | a->b[15];
}

/* The tracker's list, head to tail, in the model's order of places. */
static void assert_lru_matches(const struct tracker *t, const struct lru_model *m)
{
	uint64_t above = UINT64_MAX;
	uint32_t n = 0;

	for (uint32_t k = t->lru_head; k != ADDRMAP_NONE; k = t->hosts[k].lru_next) {
		uint32_t i = src_index(&t->hosts[k].addr);

		assert_true(m->present[i]);
		assert_true(m->place[i] < above);
		above = m->place[i];
		n++;
	}
	assert_int_equal(n, m->n);
}

/* Random traffic over a small table (full, evicting) and over a large one
 * (half empty, then past half): the tracker keeps the model's hosts, in the
 * model's order. */
static void stress_lru(uint32_t cap, uint32_t pool, uint64_t seed)
{
	enum { OPS = 100000 };
	static uint32_t seq[OPS];
	static struct lru_model model;
	struct tracker *t = tracker_new(cap, 60, SEED, 0);
	size_t present = 0;

	memset(&model, 0, sizeof(model));
	rng_state = seed;
	for (int k = 0; k < OPS; k++) {
		/* Half the time a recent host, else any of the pool; about 333
		 * events a second, so many share one. */
		uint32_t i = (k > 0 && rng() % 2) ? seq[k - 1 - rng() % (k < 2000 ? k : 2000)]
						  : (uint32_t)(rng() % pool);
		struct conn c = make_conn(i, (uint32_t)(rng() % 500), (uint16_t)rng(), 25);
		uint64_t now = (uint64_t)k * 3;
		bool counted;
		struct host *h;

		h = tracker_record(t, &c, NULL, now, &counted);
		lru_model_touch(&model, i, (uint32_t)(now / 1000), cap);
		assert_non_null(h);
		assert_true(addr_equal(&h->addr, &c.src));
		assert_true(tracker_count(t) <= cap);
		seq[k] = i;
		if (k % 10007 == 0)
			assert_lru_matches(t, &model);
	}
	assert_int_equal(t->stats.evicted, model.evicted);
	assert_lru_matches(t, &model);
	/* Exactly the hosts the model keeps remain. */
	for (uint32_t i = 0; i < NET_HOSTS; i++) {
		struct addr a = src_addr(i);
		struct host *h = tracker_find(t, &a);

		if (h) {
			assert_true(addr_equal(&h->addr, &a));
			present++;
		}
		assert_true((h != NULL) == (model.present[i] != 0));
	}
	assert_int_equal(present, model.n);
	tracker_free(t);
}

static void test_stress_lru(void **state)
{
	(void)state;
	stress_lru(1024, NET_HOSTS, 0xabcdef);	/* full: evictions in every second */
	stress_lru(4096, 3000, 0x5eed);		/* half full, then past half */
}

/* The list, head first, is exactly these hosts. */
static void assert_lru_is(const struct tracker *t, const uint32_t *want, uint32_t n)
{
	uint32_t k = t->lru_head;

	for (uint32_t j = 0; j < n; j++, k = t->hosts[k].lru_next) {
		assert_int_not_equal(k, ADDRMAP_NONE);
		assert_int_equal(src_index(&t->hosts[k].addr), want[j]);
	}
	assert_int_equal(k, ADDRMAP_NONE);
}

/* At most half full, a host keeps its place within a second; past half,
 * every event moves it to the front. */
static void test_lru_moves(void **state)
{
	struct tracker *t = tracker_new(8, 60, SEED, 0);

	(void)state;
	hit(t, 0, 1, 1, 10000);
	hit(t, 1, 1, 1, 10100);
	hit(t, 0, 2, 2, 10900);		/* the same second, 2 of 8: stays */
	assert_lru_is(t, (const uint32_t[]){ 1, 0 }, 2);
	hit(t, 0, 3, 3, 11000);		/* a new second: moves */
	assert_lru_is(t, (const uint32_t[]){ 0, 1 }, 2);
	hit(t, 2, 1, 1, 11100);
	hit(t, 3, 1, 1, 11200);		/* 4 of 8: still half */
	hit(t, 2, 2, 2, 11300);
	assert_lru_is(t, (const uint32_t[]){ 3, 2, 0, 1 }, 4);
	hit(t, 4, 1, 1, 11400);		/* 5 of 8: past half */
	hit(t, 2, 3, 3, 11500);		/* the same second, but moves */
	assert_lru_is(t, (const uint32_t[]){ 2, 4, 3, 0, 1 }, 5);
	tracker_free(t);
}

/* A host that keeps sending is not pushed out by newcomers arriving in the
 * same second: past half full, its every event moves it. */
static void test_lru_keeps_active_host(void **state)
{
	struct tracker *t = tracker_new(4, 60, SEED, 0);
	struct addr a;

	(void)state;
	hit(t, 0, 1, 1, 10000);		/* the bot */
	hit(t, 1, 1, 1, 10100);
	hit(t, 2, 1, 1, 10200);
	hit(t, 3, 1, 1, 10300);		/* full */
	hit(t, 0, 2, 2, 10500);		/* the bot again, the same second */
	hit(t, 4, 1, 1, 10960);		/* a newcomer evicts host 1 */
	a = src_addr(0);
	assert_non_null(tracker_find(t, &a));
	assert_int_equal(tracker_find(t, &a)->total, 2);
	a = src_addr(1);
	assert_null(tracker_find(t, &a));
	assert_int_equal(t->stats.evicted, 1);
	tracker_free(t);
}

static void test_stress_churn(void **state)
{
	enum { OPS = 100000, CAP = 1024 };
	static uint8_t used[NET_HOSTS];
	struct tracker *t = tracker_new(CAP, 60, SEED, 0);
	uint64_t now = 0;

	(void)state;
	rng_state = 99;
	memset(used, 0, sizeof(used));
	for (int k = 0; k < OPS; k++) {
		uint32_t i = (uint32_t)(rng() % 4096);	/* a smaller pool: hits and misses */
		uint64_t r = rng() % 100;

		now += rng() % 2000;
		if (r < 90) {
			struct conn c = make_conn(i, (uint32_t)(rng() % 50), (uint16_t)rng(), 25);
			bool counted;
			struct host *h = tracker_record(t, &c, NULL, now, &counted);

			assert_true(addr_equal(&h->addr, &c.src));
			used[i] = 1;
		} else if (r < 98) {
			struct addr a = src_addr(i);
			struct host *h = tracker_find(t, &a);

			if (h) {
				assert_true(addr_equal(&h->addr, &a));
				tracker_forget(t, h);
				assert_null(tracker_find(t, &a));
			}
		} else {
			now += 3000 * 1000;	/* quiet hour */
			tracker_expire(t, now);
		}
		assert_true(tracker_count(t) <= CAP);
		if (k % 10000 == 9999) {
			size_t found = 0;

			for (uint32_t j = 0; j < 4096; j++) {
				struct addr a = src_addr(j);
				struct host *h = tracker_find(t, &a);

				if (h) {
					assert_true(used[j]);
					assert_true(addr_equal(&h->addr, &a));
					found++;
				}
			}
			assert_int_equal(found, tracker_count(t));
		}
	}
	tracker_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_window_mixed_slots),
		cmocka_unit_test(test_window_default_60s),
		cmocka_unit_test(test_window_error_bound),
		cmocka_unit_test(test_retransmit_dedupe),
		cmocka_unit_test(test_retransmit_many),
		cmocka_unit_test(test_dsts_one),
		cmocka_unit_test(test_dsts_many),
		cmocka_unit_test(test_dsts_window),
		cmocka_unit_test(test_dsts_leave_window),
		cmocka_unit_test(test_eviction_lru),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_idle_expiry_long_window),
		cmocka_unit_test(test_reset_window),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_count_saturates),
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_top_random),
		cmocka_unit_test(test_stress_lru),
		cmocka_unit_test(test_lru_moves),
		cmocka_unit_test(test_lru_keeps_active_host),
		cmocka_unit_test(test_stress_churn),
		cmocka_unit_test(test_batch_matches_one_by_one),
		cmocka_unit_test(test_stale_guess_of_freed_slot),
		cmocka_unit_test(test_record_window_saturates),
		cmocka_unit_test(test_window_count_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
