/* Unit tests for duration.c: "90", "90s", "30m", "2h", "7d" and back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

static void check_parse(const char *s, uint64_t want)
{
	uint64_t got = 0xdeadbeefULL;

	if (duration_parse(s, &got) != 0)
		fail_msg("duration_parse(\"%s\") refused, want %" PRIu64, s, want);
	if (got != want)
		fail_msg("duration_parse(\"%s\") = %" PRIu64 ", want %" PRIu64, s, got, want);
}

static void check_reject(const char *s)
{
	uint64_t got = 0;

	if (duration_parse(s, &got) != -1)
		fail_msg("duration_parse(\"%s\") accepted (%" PRIu64 ")", s, got);
}

static void check_format(uint64_t seconds, const char *want)
{
	char buf[DURATION_STRLEN];

	memset(buf, 'X', sizeof(buf));
	assert_ptr_equal(duration_format(seconds, buf), buf);
	if (strcmp(buf, want) != 0)
		fail_msg("duration_format(%" PRIu64 ") = \"%s\", want \"%s\"", seconds,
			 buf, want);
}

static void test_parse_plain_seconds(void **state)
{
	(void)state;
	check_parse("90", 90);
	check_parse("0", 0);
	check_parse("1", 1);
	check_parse("007", 7);
	check_parse("86400", 86400);
}

static void test_parse_units(void **state)
{
	(void)state;
	check_parse("90s", 90);
	check_parse("30m", 30 * 60);
	check_parse("2h", 2 * 3600);
	check_parse("7d", 7 * 86400);
	check_parse("0s", 0);
	check_parse("0m", 0);
	check_parse("0h", 0);
	check_parse("0d", 0);
	check_parse("1d", 86400);
	check_parse("90m", 5400);
}

static void test_parse_rejects_malformed(void **state)
{
	(void)state;
	check_reject("");
	check_reject("-1");
	check_reject("+1");
	check_reject("1x");
	check_reject("1h30m");	/* compound durations are not supported */
	check_reject("1d2h");
	check_reject("m");
	check_reject("s");
	check_reject(" 5");
	check_reject("5 ");
	check_reject("5 s");
	check_reject("5ss");
	check_reject("5\n");
	check_reject("1.5h");
	check_reject("0x10");
	check_reject("five");
}

static void test_parse_rejects_overflow(void **state)
{
	(void)state;
	check_reject("99999999999999999999");
	check_reject("18446744073709551615");	/* UINT64_MAX */
	check_reject("18446744073709551616");	/* wraps to 0 */
	check_reject("18446744073709551621");	/* wraps to 5 */
	check_reject("99999999999999999999d");
	/* n fits, n * unit wraps around 2^64 */
	check_reject("213503982334602d");
	check_reject("5124095576030432h");
}

static void test_parse_max(void **state)
{
	char buf[64];

	(void)state;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)DURATION_MAX);
	check_parse(buf, DURATION_MAX);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)DURATION_MAX + 1);
	check_reject(buf);
	snprintf(buf, sizeof(buf), "%llus", (unsigned long long)DURATION_MAX + 1);
	check_reject(buf);

	/* DURATION_MAX is a whole number of days, hours and minutes. */
	check_parse("36500d", DURATION_MAX);
	check_reject("36501d");
	check_parse("876000h", DURATION_MAX);
	check_reject("876001h");
	check_parse("52560000m", DURATION_MAX);
	check_reject("52560001m");
}

static void test_format(void **state)
{
	(void)state;
	check_format(0, "0s");
	check_format(1, "1s");
	check_format(45, "45s");
	check_format(60, "1m");
	check_format(61, "1m1s");
	check_format(3599, "59m59s");
	check_format(3600, "1h");
	check_format(5400, "1h30m");
	check_format(7260, "2h1m");
	check_format(86400, "1d");
	check_format(90061, "1d1h");	/* 1d1h1m1s: largest two units */
	check_format(2 * 86400 + 3 * 3600 + 59 * 60 + 59, "2d3h");
	check_format(604800, "7d");
	check_format(DURATION_MAX, "36500d");
}

static void test_format_huge_fits(void **state)
{
	char buf[DURATION_STRLEN + 8];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	duration_format(UINT64_MAX, buf);
	assert_string_equal(buf, "213503982334601d7h");
	for (size_t i = DURATION_STRLEN; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'X');
}

static void test_format_parse_round_trip(void **state)
{
	static const uint64_t exact[] = { 0, 45, 60, 3600, 7200, 86400, 604800,
					  DURATION_MAX };
	char buf[DURATION_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		uint64_t back = 12345;

		duration_format(exact[i], buf);
		assert_int_equal(duration_parse(buf, &back), 0);
		assert_int_equal(back, exact[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_plain_seconds),
		cmocka_unit_test(test_parse_units),
		cmocka_unit_test(test_parse_rejects_malformed),
		cmocka_unit_test(test_parse_rejects_overflow),
		cmocka_unit_test(test_parse_max),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_huge_fits),
		cmocka_unit_test(test_format_parse_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
