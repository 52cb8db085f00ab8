/* latency: the ring of block latencies and its nearest-rank percentiles. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "latency.h"

static void test_empty(void **state)
{
	struct latency l = { 0 };
	struct latency_summary s = latency_summarize(&l);

	(void)state;
	assert_int_equal(s.n, 0);
	assert_int_equal(s.p50, 0);
	assert_int_equal(s.p99, 0);
	assert_int_equal(s.max, 0);
}

static void test_one(void **state)
{
	struct latency l = { 0 };
	struct latency_summary s;

	(void)state;
	latency_add(&l, 250);
	s = latency_summarize(&l);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.p50, 250);
	assert_int_equal(s.p99, 250);
	assert_int_equal(s.max, 250);
}

/* 1..100 in shuffled order: p50 is 50, p99 is 99, max 100. */
static void test_hundred(void **state)
{
	struct latency l = { 0 };
	struct latency_summary s;
	uint32_t v[100];
	uint64_t rng = 7;

	(void)state;
	for (uint32_t i = 0; i < 100; i++)
		v[i] = i + 1;
	for (uint32_t i = 99; i > 0; i--) {
		uint32_t j = (uint32_t)(xorshift(&rng) % (i + 1)), t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
	for (uint32_t i = 0; i < 100; i++)
		latency_add(&l, v[i]);
	s = latency_summarize(&l);
	assert_int_equal(s.n, 100);
	assert_int_equal(s.p50, 50);
	assert_int_equal(s.p99, 99);
	assert_int_equal(s.max, 100);
}

/* The ring keeps the newest LATENCY_SAMPLES: old outliers age out. */
static void test_ring_forgets(void **state)
{
	struct latency l = { 0 };
	struct latency_summary s;

	(void)state;
	latency_add(&l, 1000000);
	for (int i = 0; i < LATENCY_SAMPLES; i++)
		latency_add(&l, 300);
	s = latency_summarize(&l);
	assert_int_equal(s.n, LATENCY_SAMPLES);
	assert_int_equal(s.max, 300);
	assert_int_equal(s.p99, 300);
	/* Eleven slow ones in the last 1024 (just over 1%) move p99, not p50. */
	for (int i = 0; i < 11; i++)
		latency_add(&l, 5000);
	s = latency_summarize(&l);
	assert_int_equal(s.p50, 300);
	assert_int_equal(s.p99, 5000);
	assert_int_equal(s.max, 5000);
}

static void test_clamped(void **state)
{
	struct latency l = { 0 };

	(void)state;
	latency_add(&l, 1ULL << 40);
	assert_int_equal(latency_summarize(&l).max, UINT32_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_one),
		cmocka_unit_test(test_hundred),
		cmocka_unit_test(test_ring_forgets),
		cmocka_unit_test(test_clamped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
