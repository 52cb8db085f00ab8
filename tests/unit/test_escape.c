/* Unit tests for escape.c: what reaches a terminal, a log line or JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "escape.h"

static void check_display(const char *in, const char *want)
{
	char out[256];
	size_t n = escape_display(out, sizeof(out), in);

	if (strcmp(out, want) != 0)
		fail_msg("escape_display(\"%s\") = \"%s\", want \"%s\"", in, out, want);
	assert_int_equal(n, strlen(want));
}

static void check_json(const char *in, const char *want)
{
	char out[256];
	size_t n = escape_json(out, sizeof(out), in);

	if (strcmp(out, want) != 0)
		fail_msg("escape_json(\"%s\") = \"%s\", want \"%s\"", in, out, want);
	assert_int_equal(n, strlen(want));
}

static void test_display_plain_and_utf8_pass(void **state)
{
	(void)state;
	check_display("", "");
	check_display("mail server, room 4", "mail server, room 4");
	check_display("Büro Köln \xe2\x82\xac \xf0\x9f\x93\xa7", "Büro Köln \xe2\x82\xac \xf0\x9f\x93\xa7");
	check_display("C:\\path", "C:\\path");	/* a backslash is text */
}

static void test_display_c0_del_escaped(void **state)
{
	(void)state;
	check_display("a\tb\nc\rd", "a\\tb\\nc\\rd");
	check_display("\x1b[2Jgone", "\\x1b[2Jgone");
	check_display("bell\x07", "bell\\x07");
	check_display("del\x7f", "del\\x7f");
	check_display("\x01\x1f", "\\x01\\x1f");
}

static void test_display_c1_escaped(void **state)
{
	(void)state;
	/* U+009B (CSI), U+0085 (NEL), U+0080 and U+009F: the C1 range's ends. */
	check_display("x\xc2\x9b" "31mred", "x\\u009b31mred");
	check_display("\xc2\x85\xc2\x80\xc2\x9f", "\\u0085\\u0080\\u009f");
	check_display("\xc2\xa0nbsp", "\xc2\xa0nbsp");	/* U+00A0 is text */
}

/* Every bidirectional formatting character, as UTF-8 and as escaped. */
static const struct {
	const char *utf8, *escaped;
} bidi[] = {
	{ "\xd8\x9c", "\\u061c" },		/* ARABIC LETTER MARK */
	{ "\xe2\x80\x8e", "\\u200e" },	/* LRM */
	{ "\xe2\x80\x8f", "\\u200f" },	/* RLM */
	{ "\xe2\x80\xaa", "\\u202a" },	/* LRE */
	{ "\xe2\x80\xab", "\\u202b" },	/* RLE */
	{ "\xe2\x80\xac", "\\u202c" },	/* PDF */
	{ "\xe2\x80\xad", "\\u202d" },	/* LRO */
	{ "\xe2\x80\xae", "\\u202e" },	/* RLO */
	{ "\xe2\x81\xa6", "\\u2066" },	/* LRI */
	{ "\xe2\x81\xa7", "\\u2067" },	/* RLI */
	{ "\xe2\x81\xa8", "\\u2068" },	/* FSI */
	{ "\xe2\x81\xa9", "\\u2069" },	/* PDI */
};

static void test_display_bidi_escaped(void **state)
{
	char in[32], want[32];

	(void)state;
	for (size_t i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++) {
		snprintf(in, sizeof(in), "ab%scd", bidi[i].utf8);
		snprintf(want, sizeof(want), "ab%scd", bidi[i].escaped);
		check_display(in, want);
	}
	/* The Trojan Source comment: reads "allow" raw, shows what it is. */
	check_display("office \xe2\x80\xae" "wolla\xe2\x80\xac",
		      "office \\u202ewolla\\u202c");
	/* Their neighbours are text: U+061B, U+200D (emoji joiner), U+2010,
	 * U+2029, U+202F, U+2065, U+206A. */
	check_display("\xd8\x9b\xe2\x80\x8d\xe2\x80\x90\xe2\x80\xa9\xe2\x80\xaf"
		      "\xe2\x81\xa5\xe2\x81\xaa",
		      "\xd8\x9b\xe2\x80\x8d\xe2\x80\x90\xe2\x80\xa9\xe2\x80\xaf"
		      "\xe2\x81\xa5\xe2\x81\xaa");
}

static void test_display_invalid_utf8_escaped(void **state)
{
	(void)state;
	check_display("\xff\xfe", "\\xff\\xfe");
	check_display("\x9b" "31m", "\\x9b31m");		/* a lone 8-bit CSI */
	check_display("\xc3", "\\xc3");			/* cut at the end */
	check_display("\xc3(", "\\xc3(");
	check_display("\xc0\xaf", "\\xc0\\xaf");		/* overlong '/' */
	check_display("\xe0\x80\xaf", "\\xe0\\x80\\xaf");	/* overlong, 3 bytes */
	check_display("\xed\xa0\x80", "\\xed\\xa0\\x80");	/* a surrogate */
	check_display("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");	/* past U+10FFFF */
	check_display("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");	/* U+10FFFF itself */
}

static void test_display_truncates_whole_escapes(void **state)
{
	char out[6];

	(void)state;
	/* "ab" + "\x1b" (4 bytes) does not fit in 5: the escape is left out
	 * whole; the return says how much the whole text needs. */
	assert_int_equal(escape_display(out, sizeof(out), "ab\x1b" "cd"), 8);
	assert_string_equal(out, "ab");
	assert_int_equal(escape_display(out, sizeof(out), "\xe2\x82\xac\xe2\x82\xac"), 6);
	assert_string_equal(out, "\xe2\x82\xac");
	assert_int_equal(escape_display(NULL, 0, "abc"), 3);
}

static void test_json(void **state)
{
	(void)state;
	check_json("plain", "plain");
	check_json("say \"hi\" \\o/", "say \\\"hi\\\" \\\\o/");
	check_json("a\tb\nc\rd\x1b\x7f", "a\\u0009b\\u000ac\\u000dd\\u001b\\u007f");
	check_json("\xc2\x9b", "\\u009b");
	check_json("Büro", "Büro");
	/* Each byte that is not UTF-8 becomes U+FFFD. */
	check_json("a\xff" "b", "a\xef\xbf\xbd" "b");
	check_json("\xc3", "\xef\xbf\xbd");
	check_json("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* Bidi controls as \uNNNN: the same string to a JSON reader, and
	 * harmless when the JSON itself is shown. */
	for (size_t i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++)
		check_json(bidi[i].utf8, bidi[i].escaped);
	check_json("\xe2\x80\x8d\xe2\x81\xaa", "\xe2\x80\x8d\xe2\x81\xaa");
}

static void test_utf8_sequence(void **state)
{
	unsigned cp = 0;

	(void)state;
	assert_int_equal(utf8_sequence((const unsigned char *)"A", &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_sequence((const unsigned char *)"\xc2\x9b", &cp), 2);
	assert_int_equal(cp, 0x9b);
	assert_int_equal(utf8_sequence((const unsigned char *)"\xe2\x82\xac", &cp), 3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(utf8_sequence((const unsigned char *)"\xf0\x9f\x93\xa7", &cp), 4);
	assert_int_equal(cp, 0x1f4e7);
	assert_int_equal(utf8_sequence((const unsigned char *)"\x80", &cp), 0);
	assert_int_equal(utf8_sequence((const unsigned char *)"\xe2\x82", &cp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_display_plain_and_utf8_pass),
		cmocka_unit_test(test_display_c0_del_escaped),
		cmocka_unit_test(test_display_c1_escaped),
		cmocka_unit_test(test_display_bidi_escaped),
		cmocka_unit_test(test_display_invalid_utf8_escaped),
		cmocka_unit_test(test_display_truncates_whole_escapes),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_utf8_sequence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
