/* policy: threshold decision, escalation, offence memory, manual blocks,
 * expiry order, the max_blocked cap, forgetting old offenders. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define SEED 0x0123456789abcdefULL
#define MIN (60ULL * 1000)
#define HOUR (3600ULL * 1000)
#define DAY (86400ULL * 1000)

/* Host i: 198.18.0.0/15. */
static struct addr host(uint32_t i)
{
	uint8_t b[4] = { 198, (uint8_t)(18 + (i >> 16 & 1)), (uint8_t)(i >> 8), (uint8_t)i };
	struct addr a;

	addr_from_v4(&a, b);
	return a;
}

static struct policy_cfg default_cfg(void)
{
	struct policy_cfg c = {
		.threshold = 20,
		.min_destinations = 1,
		.block_time_ms = HOUR,
		.block_time_max_ms = 7 * DAY,
		.max_blocked = 100,
	};
	return c;
}

static struct policy *new_policy(const struct policy_cfg *cfg)
{
	struct policy *p = policy_new(cfg, SEED);

	assert_non_null(p);
	return p;
}

static struct offender *block_auto(struct policy *p, uint32_t i, uint64_t now)
{
	struct addr a = host(i);
	struct offender released;
	struct offender *o = policy_block(p, &a, NULL, now, REASON_AUTO, POLICY_BY_OFFENCE,
					  21, 5, &released);

	assert_non_null(o);
	assert_false(released.blocked);
	return o;
}

static struct offender *block_manual(struct policy *p, uint32_t i, uint64_t now, uint64_t dur)
{
	struct addr a = host(i);
	struct offender released;
	struct offender *o = policy_block(p, &a, NULL, now, REASON_MANUAL, dur, 0, 0, &released);

	assert_non_null(o);
	assert_false(released.blocked);
	return o;
}

static uint32_t count_blocked(const struct policy *p)
{
	uint32_t n = 0;

	POLICY_FOREACH_BLOCKED(p, o)
		n++;
	return n;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	return xorshift(&rng_state);
}

/* --- the decision --- */

static void test_exceeds(void **state)
{
	struct policy_cfg c = default_cfg();

	(void)state;
	/* threshold is what is allowed; one more blocks. */
	assert_false(policy_exceeds(&c, 0, 0));
	assert_false(policy_exceeds(&c, 19, 19));
	assert_false(policy_exceeds(&c, 20, 20));
	assert_true(policy_exceeds(&c, 21, 1));
	assert_true(policy_exceeds(&c, 1000, 1));
	assert_false(policy_exceeds(&c, 21, 0));	/* min_destinations 1 */

	c.min_destinations = 5;
	assert_false(policy_exceeds(&c, 21, 4));
	assert_true(policy_exceeds(&c, 21, 5));
	assert_true(policy_exceeds(&c, 21, 6));
	assert_false(policy_exceeds(&c, 20, 5));

	c.threshold = 0;
	c.min_destinations = 0;
	assert_false(policy_exceeds(&c, 0, 0));
	assert_true(policy_exceeds(&c, 1, 0));

	c.threshold = UINT32_MAX - 1;
	assert_false(policy_exceeds(&c, UINT32_MAX - 1, 100));
	assert_true(policy_exceeds(&c, UINT32_MAX, 100));
}

static void test_duration_escalation(void **state)
{
	struct policy_cfg c = default_cfg();

	(void)state;
	for (uint32_t n = 1; n <= 8; n++)
		assert_int_equal(policy_block_duration(&c, n), HOUR << (n - 1));
	assert_int_equal(policy_block_duration(&c, 8), 128 * HOUR);
	assert_int_equal(policy_block_duration(&c, 9), 7 * DAY);	/* 256 h capped */
	assert_int_equal(policy_block_duration(&c, 10), 7 * DAY);
	assert_int_equal(policy_block_duration(&c, 64), 7 * DAY);
	assert_int_equal(policy_block_duration(&c, 65), 7 * DAY);
	assert_int_equal(policy_block_duration(&c, UINT32_MAX), 7 * DAY);

	/* A cap that is not a power of two apart. */
	c.block_time_max_ms = 5 * HOUR;
	assert_int_equal(policy_block_duration(&c, 1), HOUR);
	assert_int_equal(policy_block_duration(&c, 2), 2 * HOUR);
	assert_int_equal(policy_block_duration(&c, 3), 4 * HOUR);
	assert_int_equal(policy_block_duration(&c, 4), 5 * HOUR);
	assert_int_equal(policy_block_duration(&c, 1000), 5 * HOUR);

	/* The first block equal to the cap. */
	c.block_time_max_ms = HOUR;
	assert_int_equal(policy_block_duration(&c, 1), HOUR);
	assert_int_equal(policy_block_duration(&c, 2), HOUR);

	/* A very large cap: doubling never overflows into a short block. */
	c.block_time_max_ms = UINT64_MAX / 2 + 12345;
	for (uint32_t n = 1; n < 200; n++) {
		uint64_t d = policy_block_duration(&c, n);

		assert_true(d >= HOUR);
		assert_true(d <= c.block_time_max_ms);
		if (n > 1)
			assert_true(d >= policy_block_duration(&c, n - 1));
	}
}

static void test_duration_zero(void **state)
{
	struct policy_cfg c = default_cfg();

	(void)state;
	c.block_time_ms = 0;
	for (uint32_t n = 1; n < 100; n++)
		assert_int_equal(policy_block_duration(&c, n), 0);
	assert_int_equal(policy_block_duration(&c, UINT32_MAX), 0);
}

/* --- blocks --- */

static void test_block_find_unblock(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p = new_policy(&c);
	struct mac m = { { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };
	struct addr a = host(1), b = host(2);
	struct offender released;
	struct offender *o;

	(void)state;
	assert_null(policy_find(p, &a));
	o = policy_block(p, &a, &m, 5000, REASON_AUTO, POLICY_BY_OFFENCE, 21, 7, &released);
	assert_non_null(o);
	assert_false(released.blocked);
	assert_true(addr_equal(&o->addr, &a));
	assert_true(o->blocked);
	assert_true(o->in_use);
	assert_int_equal(o->reason, REASON_AUTO);
	assert_int_equal(o->offences, 1);
	assert_int_equal(o->conns, 21);
	assert_int_equal(o->dsts, 7);
	assert_int_equal(o->since_ms, 5000);
	assert_int_equal(o->expires_ms, 5000 + HOUR);
	assert_true(o->has_mac);
	assert_true(mac_equal(&o->mac, &m));
	assert_int_equal(p->nblocked, 1);
	assert_ptr_equal(policy_find(p, &a), o);
	assert_null(policy_find(p, &b));
	assert_int_equal(policy_next_expiry(p), 5000 + HOUR);

	policy_unblock(p, o, 9000);
	assert_false(o->blocked);
	assert_int_equal(o->last_end_ms, 9000);
	assert_int_equal(p->nblocked, 0);
	assert_int_equal(count_blocked(p), 0);
	/* The offender is remembered, not blocked. */
	assert_ptr_equal(policy_find(p, &a), o);
	assert_int_equal(o->offences, 1);
	assert_null(policy_next_expired(p, UINT64_MAX - 1));
	assert_int_equal(policy_next_expiry(p), UINT64_MAX);

	/* Unblocking twice changes nothing. */
	policy_unblock(p, o, 12000);
	assert_int_equal(p->nblocked, 0);
	assert_int_equal(o->last_end_ms, 9000);
	policy_free(p);
}

static void test_block_already_blocked(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p = new_policy(&c);
	struct addr a = host(1);
	struct offender released;
	struct offender *o;

	(void)state;
	o = block_auto(p, 1, 0);
	assert_null(policy_block(p, &a, NULL, 1000, REASON_AUTO, POLICY_BY_OFFENCE, 30, 3,
				 &released));
	assert_false(released.blocked);
	assert_null(policy_block(p, &a, NULL, 1000, REASON_MANUAL, 0, 0, 0, &released));
	assert_false(released.blocked);
	/* The running block is untouched. */
	assert_true(o->blocked);
	assert_int_equal(o->offences, 1);
	assert_int_equal(o->conns, 21);
	assert_int_equal(o->expires_ms, HOUR);
	assert_int_equal(o->reason, REASON_AUTO);
	assert_int_equal(p->nblocked, 1);
	policy_free(p);
}

/* Let the block of host i run out at its end; returns that time. */
static uint64_t run_out(struct policy *p, uint32_t i)
{
	struct addr a = host(i);
	struct offender *o = policy_find(p, &a);
	uint64_t end;

	assert_non_null(o);
	assert_true(o->blocked);
	end = o->expires_ms;
	assert_int_not_equal(end, POLICY_NO_EXPIRY);
	assert_null(policy_next_expired(p, end - 1));
	assert_ptr_equal(policy_next_expired(p, end), o);
	policy_unblock(p, o, end);
	return end;
}

static void test_offence_escalation(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p = new_policy(&c);
	uint64_t now = 1000;

	(void)state;
	/* Back again ten minutes after each release. */
	for (uint32_t n = 1; n <= 12; n++) {
		struct offender *o = block_auto(p, 1, now);
		uint64_t want = n <= 8 ? HOUR << (n - 1) : 7 * DAY;

		assert_int_equal(o->offences, n);
		assert_int_equal(o->expires_ms - o->since_ms, want);
		now = run_out(p, 1) + 10 * MIN;
	}
	policy_free(p);
}

static void test_offence_memory(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p = new_policy(&c);
	const uint64_t memory = 7 * DAY;	/* block_time_max, over a day */
	struct offender *o;
	uint64_t end;

	(void)state;
	o = block_auto(p, 1, 1000);
	end = run_out(p, 1);
	o = block_auto(p, 1, end + 10 * MIN);
	assert_int_equal(o->offences, 2);
	end = run_out(p, 1);
	/* Exactly the memory after the last block ended: still remembered. */
	o = block_auto(p, 1, end + memory);
	assert_int_equal(o->offences, 3);
	assert_int_equal(o->expires_ms - o->since_ms, 4 * HOUR);
	end = run_out(p, 1);
	/* One millisecond more: starts again at one. */
	o = block_auto(p, 1, end + memory + 1);
	assert_int_equal(o->offences, 1);
	assert_int_equal(o->expires_ms - o->since_ms, HOUR);
	end = run_out(p, 1);
	o = block_auto(p, 1, end + 1);
	assert_int_equal(o->offences, 2);
	policy_free(p);
}

static void test_offence_memory_at_least_a_day(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p;
	struct offender *o;
	uint64_t end;

	(void)state;
	c.block_time_max_ms = 4 * HOUR;	/* memory: a day, not 4 h */
	p = new_policy(&c);
	block_auto(p, 1, 0);
	end = run_out(p, 1);
	o = block_auto(p, 1, end + 5 * HOUR);
	assert_int_equal(o->offences, 2);
	end = run_out(p, 1);
	o = block_auto(p, 1, end + DAY);
	assert_int_equal(o->offences, 3);
	assert_int_equal(o->expires_ms - o->since_ms, 4 * HOUR);
	end = run_out(p, 1);
	o = block_auto(p, 1, end + DAY + 1);
	assert_int_equal(o->offences, 1);
	policy_free(p);
}

static void test_offence_memory_long_max(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p;
	struct offender *o;
	uint64_t end;

	(void)state;
	c.block_time_max_ms = 30 * DAY;	/* memory: 30 days */
	p = new_policy(&c);
	block_auto(p, 1, 0);
	end = run_out(p, 1);
	o = block_auto(p, 1, end + 20 * DAY);
	assert_int_equal(o->offences, 2);
	end = run_out(p, 1);
	o = block_auto(p, 1, end + 30 * DAY + 1);
	assert_int_equal(o->offences, 1);
	policy_free(p);
}

static void test_manual_blocks(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p = new_policy(&c);
	struct addr a = host(1);
	struct offender *o;
	uint64_t end;

	(void)state;
	o = block_manual(p, 1, 1000, 30 * MIN);
	assert_int_equal(o->reason, REASON_MANUAL);
	assert_int_equal(o->offences, 0);
	assert_int_equal(o->expires_ms, 1000 + 30 * MIN);
	assert_int_equal(policy_next_expiry(p), 1000 + 30 * MIN);
	end = run_out(p, 1);

	/* The first automatic block after it is offence 1. */
	o = block_auto(p, 1, end + MIN);
	assert_int_equal(o->offences, 1);
	end = run_out(p, 1);

	/* A manual block lasts what it was given, whatever the offences. */
	o = block_manual(p, 1, end + MIN, 3 * DAY);
	assert_int_equal(o->offences, 1);
	assert_int_equal(o->expires_ms - o->since_ms, 3 * DAY);
	end = run_out(p, 1);

	/* Until unblocked. */
	o = block_manual(p, 1, end + MIN, 0);
	assert_int_equal(o->expires_ms, POLICY_NO_EXPIRY);
	assert_int_equal(o->offences, 1);
	assert_true(o->blocked);
	assert_int_equal(p->nblocked, 1);
	assert_int_equal(policy_next_expiry(p), UINT64_MAX);
	assert_null(policy_next_expired(p, UINT64_MAX - 1));
	policy_unblock(p, o, end + 2 * DAY);
	assert_int_equal(p->nblocked, 0);
	assert_ptr_equal(policy_find(p, &a), o);

	/* Offences carry on past manual blocks. */
	o = block_auto(p, 1, end + 2 * DAY + MIN);
	assert_int_equal(o->offences, 2);
	assert_int_equal(o->expires_ms - o->since_ms, 2 * HOUR);
	policy_free(p);
}

static void test_block_time_zero(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p;
	struct offender *o;

	(void)state;
	c.block_time_ms = 0;
	p = new_policy(&c);
	o = block_auto(p, 1, 1000);
	assert_int_equal(o->expires_ms, POLICY_NO_EXPIRY);
	assert_int_equal(o->offences, 1);
	assert_int_equal(policy_next_expiry(p), UINT64_MAX);
	assert_null(policy_next_expired(p, 1000 + 365 * DAY));
	assert_true(o->blocked);
	policy_free(p);
}

/* --- expiry --- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Pop every pending block in order; checks order, timing, uniqueness.
 * skip[i]: host i was unblocked early and must not come back. */
static void pop_all(struct policy *p, uint32_t nhosts, const uint64_t *expires,
		    const bool *skip)
{
	uint64_t *want = calloc(nhosts, sizeof(*want));
	bool *popped = calloc(nhosts, sizeof(*popped));
	size_t nwant = 0, k = 0;

	assert_non_null(want);
	assert_non_null(popped);
	for (uint32_t i = 0; i < nhosts; i++)
		if (!skip || !skip[i])
			want[nwant++] = expires[i];
	qsort(want, nwant, sizeof(*want), cmp_u64);

	while (policy_next_expiry(p) != UINT64_MAX) {
		uint64_t at = policy_next_expiry(p);
		struct offender *o;
		uint32_t i;

		assert_true(k < nwant);
		assert_int_equal(at, want[k]);
		/* Not a millisecond early. */
		assert_null(policy_next_expired(p, at - 1));
		o = policy_next_expired(p, at);
		assert_non_null(o);
		assert_int_equal(o->expires_ms, at);
		assert_true(o->blocked);
		i = (uint32_t)addr_v4_bytes(&o->addr)[3] | (uint32_t)addr_v4_bytes(&o->addr)[2] << 8;
		assert_true(i < nhosts);
		assert_false(popped[i]);
		assert_true(!skip || !skip[i]);
		assert_int_equal(expires[i], at);
		popped[i] = true;
		policy_unblock(p, o, at);
		k++;
	}
	assert_int_equal(k, nwant);
	assert_null(policy_next_expired(p, UINT64_MAX - 1));
	free(want);
	free(popped);
}

static void test_expiry_order(void **state)
{
	enum { N = 50 };
	struct policy_cfg c = default_cfg();
	struct policy *p = new_policy(&c);
	uint64_t expires[N];

	(void)state;
	rng_state = 2024;
	for (uint32_t i = 0; i < N; i++) {
		uint64_t now = 1000 + i * 10;
		/* Some equal ends, most distinct. */
		uint64_t dur = i % 10 == 9 ? expires[i - 1] - now : 1 + rng() % (10 * HOUR);
		struct offender *o = block_manual(p, i, now, dur);

		expires[i] = o->expires_ms;
		assert_int_equal(expires[i], now + dur);
	}
	assert_int_equal(p->nblocked, N);
	pop_all(p, N, expires, NULL);
	assert_int_equal(p->nblocked, 0);
	policy_free(p);
}

static void test_expiry_order_with_unblocks(void **state)
{
	enum { N = 200 };
	struct policy_cfg c = default_cfg();
	struct policy *p;
	uint64_t expires[N];
	bool skip[N];

	(void)state;
	c.max_blocked = 256;
	p = new_policy(&c);
	rng_state = 77;
	for (uint32_t i = 0; i < N; i++) {
		struct offender *o = i % 3 ? block_manual(p, i, i, 1 + rng() % DAY)
					   : block_auto(p, i, i);

		expires[i] = o->expires_ms;
		skip[i] = false;
	}
	/* Unblock 70 at random, from anywhere in the heap. */
	for (int k = 0; k < 70; k++) {
		uint32_t i = (uint32_t)(rng() % N);
		struct addr a = host(i);

		if (skip[i])
			continue;
		skip[i] = true;
		policy_unblock(p, policy_find(p, &a), 5000);
	}
	assert_int_equal(p->nblocked, count_blocked(p));
	pop_all(p, N, expires, skip);
	assert_int_equal(p->nblocked, 0);
	policy_free(p);
}

static void test_next_expiry(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p = new_policy(&c);
	struct offender *a, *b;

	(void)state;
	assert_int_equal(policy_next_expiry(p), UINT64_MAX);
	assert_null(policy_next_expired(p, 0));
	block_manual(p, 1, 0, 0);			/* permanent: not pending */
	assert_int_equal(policy_next_expiry(p), UINT64_MAX);
	a = block_manual(p, 2, 1000, 5 * HOUR);
	assert_int_equal(policy_next_expiry(p), 1000 + 5 * HOUR);
	b = block_auto(p, 3, 2000);
	assert_int_equal(policy_next_expiry(p), 2000 + HOUR);
	/* Unblocked early: the next one is pending. */
	policy_unblock(p, b, 3000);
	assert_int_equal(policy_next_expiry(p), 1000 + 5 * HOUR);
	assert_null(policy_next_expired(p, 1000 + 5 * HOUR - 1));
	assert_ptr_equal(policy_next_expired(p, 1000 + 5 * HOUR), a);
	/* Asking again without unblocking gives the same one. */
	assert_ptr_equal(policy_next_expired(p, 2000 + 5 * HOUR), a);
	policy_unblock(p, a, 2000 + 5 * HOUR);
	assert_int_equal(policy_next_expiry(p), UINT64_MAX);
	assert_int_equal(p->nblocked, 1);
	policy_free(p);
}

/* --- the max_blocked cap --- */

static void test_cap_releases_nearest_end(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p;
	struct addr a = host(1), b = host(2), cc = host(3), d = host(4), e = host(5);
	struct offender released;
	struct offender *o;

	(void)state;
	c.max_blocked = 3;
	p = new_policy(&c);
	block_manual(p, 1, 0, 10 * HOUR);
	block_manual(p, 2, 0, 2 * HOUR);
	block_manual(p, 3, 0, 5 * HOUR);
	assert_int_equal(p->nblocked, 3);

	o = policy_block(p, &d, NULL, 1000, REASON_AUTO, POLICY_BY_OFFENCE, 21, 2, &released);
	assert_non_null(o);
	assert_true(o->blocked);
	assert_true(addr_equal(&o->addr, &d));
	assert_true(released.blocked);
	assert_true(addr_equal(&released.addr, &b));
	assert_int_equal(released.expires_ms, 2 * HOUR);
	assert_int_equal(released.reason, REASON_MANUAL);
	assert_int_equal(p->released_early, 1);	/* status shows it */
	assert_int_equal(p->nblocked, 3);
	assert_int_equal(count_blocked(p), 3);
	assert_false(policy_find(p, &b)->blocked);
	assert_int_equal(policy_find(p, &b)->last_end_ms, 1000);
	assert_true(policy_find(p, &a)->blocked);
	assert_true(policy_find(p, &cc)->blocked);

	/* Next: d itself ends soonest (1000 + 1 h). */
	o = policy_block(p, &e, NULL, 2000, REASON_AUTO, POLICY_BY_OFFENCE, 21, 2, &released);
	assert_non_null(o);
	assert_true(released.blocked);
	assert_true(addr_equal(&released.addr, &d));
	assert_int_equal(released.expires_ms, 1000 + HOUR);
	assert_int_equal(p->released_early, 2);
	assert_int_equal(p->nblocked, 3);
	assert_false(policy_find(p, &d)->blocked);
	/* Pending: c (5 h), a (10 h), e (2000 + 1 h). */
	assert_int_equal(policy_next_expiry(p), 2000 + HOUR);
	policy_free(p);
}

static void test_cap_permanent_refused(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p;
	struct addr b = host(2), d = host(4);
	struct offender released;

	(void)state;
	c.max_blocked = 3;
	p = new_policy(&c);
	block_manual(p, 1, 0, 0);
	block_manual(p, 2, 0, 0);
	block_manual(p, 3, 0, 0);
	released.blocked = true;	/* must be cleared */
	assert_null(policy_block(p, &d, NULL, 1000, REASON_AUTO, POLICY_BY_OFFENCE, 21, 2,
				 &released));
	assert_false(released.blocked);
	assert_null(policy_block(p, &d, NULL, 1000, REASON_MANUAL, HOUR, 0, 0, &released));
	assert_false(released.blocked);
	assert_int_equal(p->nblocked, 3);
	assert_int_equal(count_blocked(p), 3);
	assert_null(policy_find(p, &d));

	/* Room again once one is lifted. */
	policy_unblock(p, policy_find(p, &b), 2000);
	assert_non_null(policy_block(p, &d, NULL, 3000, REASON_AUTO, POLICY_BY_OFFENCE, 21, 2,
				     &released));
	assert_false(released.blocked);
	assert_int_equal(p->nblocked, 3);
	policy_free(p);
}

static void test_cap_mixed(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p;
	struct addr b = host(2), d = host(4), e = host(5);
	struct offender released;

	(void)state;
	c.max_blocked = 3;
	p = new_policy(&c);
	block_manual(p, 1, 0, 0);
	block_manual(p, 2, 0, 5 * HOUR);
	block_manual(p, 3, 0, 0);
	/* The only timed block goes, though it ends last of all in time. */
	assert_non_null(policy_block(p, &d, NULL, 1000, REASON_MANUAL, 0, 0, 0, &released));
	assert_true(released.blocked);
	assert_true(addr_equal(&released.addr, &b));
	assert_int_equal(p->nblocked, 3);
	/* Now all three are permanent. */
	assert_null(policy_block(p, &e, NULL, 2000, REASON_AUTO, POLICY_BY_OFFENCE, 21, 2,
				 &released));
	assert_false(released.blocked);
	assert_int_equal(p->nblocked, 3);
	policy_free(p);
}

static void test_cap_recycles_records(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p;

	(void)state;
	c.max_blocked = 3;	/* records for 6 hosts */
	p = new_policy(&c);
	/* 40 hosts, each blocked at the cap: the records of released hosts
	 * make room, blocked ones are never dropped. */
	for (uint32_t i = 0; i < 40; i++) {
		struct addr a = host(i);
		struct offender released;
		struct offender *o = policy_block(p, &a, NULL, i * 1000, REASON_AUTO,
						  POLICY_BY_OFFENCE, 21, 2, &released);

		assert_non_null(o);
		assert_true(addr_equal(&o->addr, &a));
		assert_int_equal(o->offences, 1);
		assert_int_equal(released.blocked, i >= 3);
		if (i >= 3) {
			struct addr r = host(i - 3);	/* all 1 h: the oldest ends first */

			assert_true(addr_equal(&released.addr, &r));
		}
		assert_int_equal(p->nblocked, i < 3 ? i + 1 : 3);
		assert_int_equal(count_blocked(p), p->nblocked);
		for (uint32_t j = i < 2 ? 0 : i - 2; j <= i; j++) {
			struct addr b = host(j);
			struct offender *q = policy_find(p, &b);

			assert_non_null(q);
			assert_true(q->blocked);
			assert_true(addr_equal(&q->addr, &b));
		}
	}
	policy_free(p);
}

static void test_set_cfg_keeps_cap(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p;

	(void)state;
	c.max_blocked = 3;
	p = new_policy(&c);
	c.max_blocked = 10;
	c.threshold = 50;
	policy_set_cfg(p, &c);
	assert_int_equal(p->cfg.max_blocked, 3);
	assert_int_equal(p->cfg.threshold, 50);
	policy_free(p);
}

/* --- forgetting --- */

static void test_forget_old(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p = new_policy(&c);
	struct addr a = host(1), b = host(2), d = host(3);
	struct offender *o;
	uint64_t end;

	(void)state;
	block_auto(p, 1, 0);
	end = run_out(p, 1);			/* a: ended at 1 h */
	block_manual(p, 2, 0, 0);		/* b: blocked for good */
	block_auto(p, 3, 0);			/* d: blocked again later */
	run_out(p, 3);

	assert_int_equal(policy_forget_old(p, end + 7 * DAY), 0);
	assert_non_null(policy_find(p, &a));
	o = block_auto(p, 3, end + 7 * DAY - MIN);	/* d back before the memory ran out */
	assert_int_equal(o->offences, 2);

	assert_int_equal(policy_forget_old(p, end + 7 * DAY + 1), 1);
	assert_null(policy_find(p, &a));
	assert_non_null(policy_find(p, &b));
	assert_true(policy_find(p, &b)->blocked);
	assert_non_null(policy_find(p, &d));
	assert_true(policy_find(p, &d)->blocked);

	/* Blocked records are never forgotten, however old. */
	policy_unblock(p, policy_find(p, &d), end + 8 * DAY);
	assert_int_equal(policy_forget_old(p, 100 * DAY), 1);	/* d */
	assert_null(policy_find(p, &d));
	assert_non_null(policy_find(p, &b));
	assert_int_equal(p->nblocked, 1);
	assert_int_equal(policy_forget_old(p, 1000 * DAY), 0);

	/* A forgotten host starts again at one. */
	o = block_auto(p, 1, 1000 * DAY);
	assert_int_equal(o->offences, 1);
	assert_int_equal(p->nblocked, 2);
	assert_int_equal(count_blocked(p), 2);
	policy_free(p);
}

/* --- everything at random, checked against a model --- */

static void check_invariants(const struct policy *p, uint32_t nhosts, const bool *model)
{
	uint64_t soonest = UINT64_MAX;
	uint32_t n = 0;

	assert_true(p->nblocked <= p->cfg.max_blocked);
	POLICY_FOREACH_BLOCKED(p, o) {
		n++;
		assert_true(o->in_use);
		assert_ptr_equal(policy_find(p, &o->addr), o);
		if (o->expires_ms != POLICY_NO_EXPIRY && o->expires_ms < soonest)
			soonest = o->expires_ms;
	}
	assert_int_equal(n, p->nblocked);
	assert_int_equal(policy_next_expiry(p), soonest);
	for (uint32_t i = 0; i < nhosts; i++) {
		struct addr a = host(i);
		const struct offender *o = policy_find(p, &a);

		assert_int_equal(o != NULL && o->blocked, model[i]);
		if (o)
			assert_true(addr_equal(&o->addr, &a));
	}
}

/* Hints taken before records came and went: a guess that no longer holds
 * the address (forgotten, or reused for another host) is not trusted. */
static void test_find_hinted(void **state)
{
	struct policy_cfg c = default_cfg();
	struct policy *p = new_policy(&c);
	struct addr a = host(1), zero;
	struct offender released, *o;
	uint32_t hash, guess, zhash, zguess;
	uint64_t end;

	(void)state;
	assert_int_equal(addr_parse("::", &zero), 0);	/* what a freed record holds */
	o = block_auto(p, 1, 0);
	hash = policy_prefetch_index(p, &a);
	guess = policy_prefetch_record(p, hash);
	assert_int_not_equal(guess, ADDRMAP_NONE);
	assert_ptr_equal(policy_find_hinted(p, &a, hash, guess), o);
	assert_ptr_equal(policy_find_hinted(p, &a, hash, ADDRMAP_NONE), o);

	assert_non_null(policy_block(p, &zero, NULL, 0, REASON_AUTO, POLICY_BY_OFFENCE, 21, 5,
				     &released));
	zhash = policy_prefetch_index(p, &zero);
	zguess = policy_prefetch_record(p, zhash);

	/* Both forgotten: their records are free. */
	end = run_out(p, 1);
	policy_unblock(p, policy_find(p, &zero), end);
	assert_int_equal(policy_forget_old(p, end + 7 * DAY + 1), 2);
	assert_null(policy_find_hinted(p, &a, hash, guess));
	assert_null(policy_find_hinted(p, &zero, zhash, zguess));

	/* A record reused by another host. */
	o = block_auto(p, 2, end + 8 * DAY);
	assert_true(o == &p->recs[guess] || o == &p->recs[zguess]);
	assert_null(policy_find_hinted(p, &a, hash, guess));
	assert_null(policy_find_hinted(p, &zero, zhash, zguess));
	policy_free(p);
}

static void test_random_model(void **state)
{
	enum { HOSTS = 40, OPS = 20000 };
	struct policy_cfg c = default_cfg();
	struct policy *p;
	bool model[HOSTS] = { false };
	uint64_t now = 0;
	uint32_t refused = 0, released_n = 0;

	(void)state;
	c.max_blocked = 8;
	c.block_time_max_ms = DAY;
	p = new_policy(&c);
	rng_state = 31337;
	for (int k = 0; k < OPS; k++) {
		uint32_t i = (uint32_t)(rng() % HOSTS);
		struct addr a = host(i);
		uint64_t r = rng() % 100;

		now += rng() % (10 * MIN);
		if (r < 55) {
			bool manual = r >= 40;
			uint64_t dur = manual ? (rng() % 4 ? 1 + rng() % (3 * HOUR) : 0)
					      : POLICY_BY_OFFENCE;
			uint32_t before = p->nblocked;
			bool all_permanent = policy_next_expiry(p) == UINT64_MAX;
			uint64_t soonest = policy_next_expiry(p);
			struct offender released;
			struct offender *o = policy_block(p, &a, NULL, now,
							  manual ? REASON_MANUAL : REASON_AUTO,
							  dur, 21, 3, &released);

			if (model[i]) {
				assert_null(o);
				assert_false(released.blocked);
			} else if (before >= c.max_blocked && all_permanent) {
				assert_null(o);
				assert_false(released.blocked);
				refused++;
			} else {
				assert_non_null(o);
				assert_true(o->blocked);
				assert_true(addr_equal(&o->addr, &a));
				if (!manual)
					assert_true(o->offences >= 1);
				assert_true(released.blocked == (before >= c.max_blocked));
				if (released.blocked) {
					const struct offender *q = policy_find(p, &released.addr);
					uint32_t j = addr_v4_bytes(&released.addr)[3];

					assert_int_equal(released.expires_ms, soonest);
					assert_true(q == NULL || !q->blocked);
					assert_true(model[j]);
					model[j] = false;
					released_n++;
				}
				model[i] = true;
			}
		} else if (r < 75) {
			struct offender *o = policy_find(p, &a);

			if (o)
				policy_unblock(p, o, now);
			model[i] = false;
		} else if (r < 95) {
			struct offender *o;

			while ((o = policy_next_expired(p, now)) != NULL) {
				assert_true(o->expires_ms != POLICY_NO_EXPIRY);
				assert_true(o->expires_ms <= now);
				model[addr_v4_bytes(&o->addr)[3]] = false;
				policy_unblock(p, o, now);
			}
			assert_true(policy_next_expiry(p) > now);
		} else {
			policy_forget_old(p, now);
		}
		check_invariants(p, HOSTS, model);
	}
	/* The run went through the interesting cases. */
	assert_true(refused > 0);
	assert_true(released_n > 0);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exceeds),
		cmocka_unit_test(test_duration_escalation),
		cmocka_unit_test(test_duration_zero),
		cmocka_unit_test(test_block_find_unblock),
		cmocka_unit_test(test_block_already_blocked),
		cmocka_unit_test(test_offence_escalation),
		cmocka_unit_test(test_offence_memory),
		cmocka_unit_test(test_offence_memory_at_least_a_day),
		cmocka_unit_test(test_offence_memory_long_max),
		cmocka_unit_test(test_manual_blocks),
		cmocka_unit_test(test_block_time_zero),
		cmocka_unit_test(test_expiry_order),
		cmocka_unit_test(test_expiry_order_with_unblocks),
		cmocka_unit_test(test_next_expiry),
		cmocka_unit_test(test_cap_releases_nearest_end),
		cmocka_unit_test(test_cap_permanent_refused),
		cmocka_unit_test(test_cap_mixed),
		cmocka_unit_test(test_cap_recycles_records),
		cmocka_unit_test(test_set_cfg_keeps_cap),
		cmocka_unit_test(test_forget_old),
		cmocka_unit_test(test_find_hinted),
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
