/* error.c: the message handed up, truncation, errno kept. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"

static void test_set_returns_minus_one_and_formats(void **state)
{
	struct error e;

	(void)state;
	assert_int_equal(error_set(&e, "%s:%d: bad value", "f.conf", 3), -1);
	assert_string_equal(e.msg, "f.conf:3: bad value");
}

static void test_errno_appends_strerror_and_keeps_errno(void **state)
{
	struct error e;
	char want[128];

	(void)state;
	snprintf(want, sizeof(want), "open x: %s", strerror(ENOENT));
	errno = ENOENT;
	assert_int_equal(error_errno(&e, "open %s", "x"), -1);
	assert_string_equal(e.msg, want);
	assert_int_equal(errno, ENOENT);
}

static void test_null_error_is_allowed(void **state)
{
	(void)state;
	errno = EPERM;
	assert_int_equal(error_set(NULL, "nobody asked"), -1);
	assert_int_equal(error_errno(NULL, "nobody asked"), -1);
	assert_int_equal(errno, EPERM);
}

static void test_long_message_truncated_not_overrun(void **state)
{
	struct error e;
	char big[2 * ERROR_MAX];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	errno = EIO;
	error_errno(&e, "%s", big);
	assert_int_equal(strlen(e.msg), ERROR_MAX - 1);
	error_set(&e, "%s", big);
	assert_int_equal(strlen(e.msg), ERROR_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_returns_minus_one_and_formats),
		cmocka_unit_test(test_errno_appends_strerror_and_keeps_errno),
		cmocka_unit_test(test_null_error_is_allowed),
		cmocka_unit_test(test_long_message_truncated_not_overrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
