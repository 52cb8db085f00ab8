/* Unit tests for protocol.c: request lines, sliced replies, the end line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static char *request(const char *text, size_t len, struct reply *r, char *buf)
{
	memcpy(buf, text, len);
	reply_init(r);
	return protocol_request_line(buf, len, r);
}

static void test_request_line_crlf_and_controls(void **state)
{
	char buf[64];
	struct reply r;
	char *line;

	(void)state;
	line = request("list\r", 5, &r, buf);
	assert_non_null(line);
	assert_string_equal(line, "list");
	assert_int_equal(r.len, 0);

	line = request("whitelist add 192.0.2.1 a\tb", 27, &r, buf);
	assert_non_null(line);	/* a tab is the one control byte let through */

	assert_null(request("sta\0tus", 7, &r, buf));
	assert_string_equal(r.buf, "error request holds a NUL byte (at 3)\n");
	reply_free(&r);
	assert_null(request("list\rstatus", 11, &r, buf));
	assert_string_equal(r.buf, "error request holds control byte 0x0d (at 4)\n");
	reply_free(&r);
	assert_null(request("show \x1b[2J", 9, &r, buf));
	assert_string_equal(r.buf, "error request holds control byte 0x1b (at 5)\n");
	reply_free(&r);
	assert_null(request("x\x7f", 2, &r, buf));
	reply_free(&r);
	line = request("", 0, &r, buf);
	assert_non_null(line);
	assert_string_equal(line, "");
}

/* A long reply: NUMBERS records "type=n\t#i=K", a slice at a time. */
#define NUMBERS 5000
static bool numbers_more(void *ctx, struct reply *r)
{
	(void)ctx;
	for (; r->cursor < NUMBERS; r->cursor++) {
		if (r->len >= REPLY_SLICE_BYTES)
			return true;
		reply_record(r, "n");
		reply_num(r, "i", (int64_t)r->cursor);
	}
	return false;
}

static void test_sliced_reply(void **state)
{
	struct reply r;
	char *all = NULL, *line, *save = NULL;
	size_t len = 0, slices = 0;
	int64_t want = 0;

	(void)state;
	reply_init(&r);
	reply_ok(&r);
	r.more = numbers_more;
	if (!numbers_more(NULL, &r))
		r.more = NULL;
	reply_finish(&r);
	do {
		/* Whole lines, one slice and a record at most, no end line yet. */
		assert_true(r.len > 0 && r.buf[r.len - 1] == '\n');
		assert_true(r.len < REPLY_SLICE_BYTES + 64);
		assert_int_equal(reply_complete(r.buf, r.len), r.more == NULL);
		all = realloc(all, len + r.len + 1);
		assert_non_null(all);
		memcpy(all + len, r.buf, r.len + 1);
		len += r.len;
		slices++;
	} while (reply_next_slice(&r, NULL));
	assert_true(slices > 1);
	assert_true(reply_complete(all, len));
	all[len - strlen(PROTOCOL_END "\n")] = '\0';
	assert_memory_equal(all, "ok\n", 3);
	for (line = strtok_r(all + 3, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char expect[64];

		snprintf(expect, sizeof(expect), "type=n\t#i=%lld", (long long)want++);
		assert_string_equal(line, expect);
	}
	assert_int_equal(want, NUMBERS);
	reply_free(&r);
	free(all);
}

static void test_error_ends_a_sliced_reply(void **state)
{
	struct reply r;

	(void)state;
	reply_init(&r);
	reply_ok(&r);
	r.more = numbers_more;
	reply_error(&r, "busy: try again");
	reply_finish(&r);
	assert_string_equal(r.buf, "error busy: try again\nend\n");
	assert_false(reply_next_slice(&r, NULL));
	reply_free(&r);
}

static void test_reply_complete(void **state)
{
	(void)state;
	assert_true(reply_complete("end\n", 4));
	assert_true(reply_complete("ok\nend\n", 7));
	assert_true(reply_complete("ok\ntype=x\t#a=1\nend\n", 19));
	assert_false(reply_complete("", 0));
	assert_false(reply_complete("ok\n", 3));
	assert_false(reply_complete("ok\ntype=x\t#a=1\n", 15));
	assert_false(reply_complete("ok\nen", 5));
	assert_false(reply_complete("ok\nxend\n", 8));
	assert_false(reply_complete("ok\nend", 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_line_crlf_and_controls),
		cmocka_unit_test(test_sliced_reply),
		cmocka_unit_test(test_error_ends_a_sliced_reply),
		cmocka_unit_test(test_reply_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
