/* ratelimit: a burst per period, the rest counted and handed over once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "ratelimit.h"

static void test_quiet_never_held(void **state)
{
	struct ratelimit r;

	(void)state;
	ratelimit_init(&r, 3, 1000);
	/* One line a second, for an hour: all go out. */
	for (uint64_t t = 5000; t < 3600 * 1000; t += 1000)
		assert_true(ratelimit_allow(&r, t));
	assert_int_equal(ratelimit_take_held(&r, 3600 * 1000), 0);
}

static void test_zero_is_unlimited(void **state)
{
	struct ratelimit r = { 0 };

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_true(ratelimit_allow(&r, 7));
	assert_int_equal(ratelimit_take_held(&r, 100000), 0);
}

static void test_storm(void **state)
{
	struct ratelimit r;
	int out = 0;

	(void)state;
	ratelimit_init(&r, 100, 1000);
	/* 100,000 lines within 250 ms: 100 go out, the rest are held. */
	for (int i = 0; i < 100000; i++)
		out += ratelimit_allow(&r, 10000 + (uint64_t)i / 400);
	assert_int_equal(out, 100);
	/* Not told before the period is over... */
	assert_int_equal(ratelimit_take_held(&r, 10999), 0);
	/* ...then told once. */
	assert_int_equal(ratelimit_take_held(&r, 11000), 99900);
	assert_int_equal(ratelimit_take_held(&r, 12000), 0);
	/* A new period has a new budget. */
	assert_true(ratelimit_allow(&r, 11500));
}

static void test_storm_across_periods(void **state)
{
	struct ratelimit r;
	uint64_t told = 0, out = 0, tellings = 0;

	(void)state;
	ratelimit_init(&r, 10, 1000);
	/* 50 lines a second for 10 s, the held ones asked for once a second
	 * at a time that has nothing to do with the periods (as the daemon's
	 * housekeeping): told every second, every line out or told once. */
	for (uint64_t t = 0; t < 10000; t += 20) {
		out += ratelimit_allow(&r, 1000 + t);
		if (t % 1000 == 500) {
			uint64_t n = ratelimit_take_held(&r, 1000 + t);

			told += n;
			tellings += n > 0;
		}
	}
	assert_true(tellings >= 9);
	told += ratelimit_take_all(&r);
	assert_int_equal(out, 100);
	assert_int_equal(out + told, 500);
	assert_int_equal(ratelimit_take_all(&r), 0);
}

static void test_clock_back(void **state)
{
	struct ratelimit r;

	(void)state;
	ratelimit_init(&r, 1, 1000);
	assert_true(ratelimit_allow(&r, 50000));
	assert_false(ratelimit_allow(&r, 50001));
	/* An earlier time starts a new period rather than waiting ~forever. */
	assert_true(ratelimit_allow(&r, 1000));
	assert_int_equal(ratelimit_take_held(&r, 500), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_never_held),
		cmocka_unit_test(test_zero_is_unlimited),
		cmocka_unit_test(test_storm),
		cmocka_unit_test(test_storm_across_periods),
		cmocka_unit_test(test_clock_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
