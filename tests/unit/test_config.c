/* Unit tests for config.c: nflogd.conf defaults, every key, every error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define NAME "test.conf"

/* ---- helpers ----------------------------------------------------------- */

/* Feed `text` to config_parse() through fmemopen(). */
static int parse_as(struct config *cfg, const char *text, const char *name, struct error *err)
{
	FILE *f = text_stream(text);
	int rc = config_parse(cfg, f, name, err);

	fclose(f);
	return rc;
}

/* Parse text over the defaults; it must succeed. */
static void parse_ok(struct config *cfg, const char *text)
{
	struct error err = { "" };

	config_defaults(cfg);
	if (parse_as(cfg, text, NAME, &err) != 0)
		fail_msg("config_parse refused:\n%s\nwith: %s", text, err.msg);
}

/* A starting config that differs from the defaults in many fields, so a failed
 * parse that resets or half-applies anything shows up in the memcmp. */
static void nondefault_config(struct config *cfg)
{
	config_defaults(cfg);
	cfg->nflog_group = 7;
	cfg->ports[0] = 25;
	cfg->ports[1] = 587;
	cfg->nports = 2;
	cfg->threshold = 33;
	cfg->window = 120;
	cfg->min_destinations = 3;
	cfg->block_time = 1800;
	cfg->block_time_max = 86400;
	cfg->block_scope = SCOPE_ALL;
	cfg->install_rules = false;
	snprintf(cfg->table, sizeof(cfg->table), "prev");
	snprintf(cfg->socket_group, sizeof(cfg->socket_group), "prevgroup");
	snprintf(cfg->on_block, sizeof(cfg->on_block), "/usr/local/bin/prev");
	cfg->max_hosts = 1000;
	cfg->max_blocked = 500;
}

/* config_parse must fail with "test.conf:LINE: ..." (mentioning `needle` if
 * given) and leave the config exactly as it was. */
static void expect_error_from(const struct config *start, const char *text,
			      unsigned line, const char *needle)
{
	struct config cfg, before;
	struct error e;
	const char *err = e.msg;
	char prefix[64];
	int rc;

	memcpy(&cfg, start, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(cfg));
	memset(&e, 0, sizeof(e));
	rc = parse_as(&cfg, text, NAME, &e);
	if (rc != -1)
		fail_msg("config_parse accepted (rc %d):\n%s", rc, text);
	snprintf(prefix, sizeof(prefix), NAME ":%u: ", line);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, prefix);
	if (strlen(err) <= strlen(prefix))
		fail_msg("error \"%s\" has no message", err);
	if (needle && strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
	if (memcmp(&cfg, &before, sizeof(cfg)) != 0)
		fail_msg("a failed config_parse changed the config:\n%s", text);
}

static void expect_error(const char *text, unsigned line, const char *needle)
{
	struct config start;

	nondefault_config(&start);
	expect_error_from(&start, text, line, needle);
}

/* Three harmless lines (comment, blank, a valid key) before the bad one, so
 * line numbers are really counted. The bad line is line 4. */
#define PRE "# nflogd test\n\nthreshold = 30\n"

#define ERROR_TEST(fn, text, line, needle)                                    \
	static void fn(void **state)                                          \
	{                                                                     \
		(void)state;                                                  \
		expect_error(text, line, needle);                             \
	}

/* ---- defaults ---------------------------------------------------------- */

static void check_defaults(const struct config *cfg)
{
	assert_int_equal(cfg->nflog_group, 25);
	assert_int_equal(cfg->nports, 1);
	assert_int_equal(cfg->ports[0], 25);
	assert_int_equal(cfg->threshold, 20);
	assert_int_equal(cfg->window, 60);
	assert_int_equal(cfg->min_destinations, 1);
	assert_int_equal(cfg->block_time, 3600);
	assert_int_equal(cfg->block_time_max, 7 * 86400);
	assert_int_equal(cfg->block_scope, SCOPE_SMTP);
	assert_true(cfg->install_rules);
	assert_string_equal(cfg->table, "nflogd");
	assert_string_equal(cfg->whitelist, "/etc/nflogd/whitelist");
	assert_string_equal(cfg->state_file, "/var/lib/nflogd/state");
	assert_string_equal(cfg->socket, "/run/nflogd/nflogd.sock");
	assert_string_equal(cfg->socket_group, "");
	assert_int_equal(cfg->max_hosts, 65536);
	assert_int_equal(cfg->max_blocked, 65536);
	assert_string_equal(cfg->leases_file, "/var/lib/dnsmasq/dnsmasq.leases");
	assert_string_equal(cfg->on_block, "");
	assert_true(cfg->set_timeouts);
}

static void test_set_timeouts(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok(&cfg, "set_timeouts = no\n");
	assert_false(cfg.set_timeouts);
	parse_ok(&cfg, "set_timeouts = no\nset_timeouts = auto\n");
	assert_true(cfg.set_timeouts);
	expect_error("# kernel\nset_timeouts = yes\n", 2, "set_timeouts: expected auto or no");
}

static void test_defaults(void **state)
{
	struct config cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));	/* defaults must set everything */
	config_defaults(&cfg);
	check_defaults(&cfg);
}

static void test_empty_and_comment_only_files_keep_defaults(void **state)
{
	static const char *const texts[] = {
		"",
		"\n",
		"# nothing here\n",
		"\n\n   \n\t\n# a comment\n   # an indented comment\n\t# tab\n",
		"#threshold = 99\n",
		"# no newline at the end",
	};
	struct config cfg, def;

	(void)state;
	config_defaults(&def);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		parse_ok(&cfg, texts[i]);
		if (memcmp(&cfg, &def, sizeof(cfg)) != 0)
			fail_msg("config changed by:\n%s", texts[i]);
	}
}

/* ---- every key, valid values -------------------------------------------- */

static void test_every_key(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok(&cfg,
		 "nflog_group = 3\n"
		 "ports = 25,465,587\n"
		 "threshold = 50\n"
		 "window = 5m\n"
		 "min_destinations = 4\n"
		 "block_time = 2h\n"
		 "block_time_max = 30d\n"
		 "block_scope = all\n"
		 "install_rules = no\n"
		 "table = spamblock\n"
		 "whitelist = /etc/nflogd/wl\n"
		 "state_file = /var/lib/nflogd/st\n"
		 "socket = /run/nflogd/ctl.sock\n"
		 "socket_group = nflogadm\n"
		 "max_hosts = 1024\n"
		 "max_blocked = 256\n"
		 "leases_file = /var/lib/misc/dnsmasq.leases\n"
		 "on_block = /usr/local/bin/on-block\n");
	assert_int_equal(cfg.nflog_group, 3);
	assert_int_equal(cfg.nports, 3);
	assert_int_equal(cfg.ports[0], 25);
	assert_int_equal(cfg.ports[1], 465);
	assert_int_equal(cfg.ports[2], 587);
	assert_int_equal(cfg.threshold, 50);
	assert_int_equal(cfg.window, 300);
	assert_int_equal(cfg.min_destinations, 4);
	assert_int_equal(cfg.block_time, 7200);
	assert_int_equal(cfg.block_time_max, 30 * 86400);
	assert_int_equal(cfg.block_scope, SCOPE_ALL);
	assert_false(cfg.install_rules);
	assert_string_equal(cfg.table, "spamblock");
	assert_string_equal(cfg.whitelist, "/etc/nflogd/wl");
	assert_string_equal(cfg.state_file, "/var/lib/nflogd/st");
	assert_string_equal(cfg.socket, "/run/nflogd/ctl.sock");
	assert_string_equal(cfg.socket_group, "nflogadm");
	assert_int_equal(cfg.max_hosts, 1024);
	assert_int_equal(cfg.max_blocked, 256);
	assert_string_equal(cfg.leases_file, "/var/lib/misc/dnsmasq.leases");
	assert_string_equal(cfg.on_block, "/usr/local/bin/on-block");
}

static void test_numeric_limits_accepted(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok(&cfg, "nflog_group = 0\nthreshold = 1\nmin_destinations = 1\n"
		       "max_hosts = 16\nmax_blocked = 1\n");
	assert_int_equal(cfg.nflog_group, 0);
	assert_int_equal(cfg.threshold, 1);
	assert_int_equal(cfg.min_destinations, 1);
	assert_int_equal(cfg.max_hosts, 16);
	assert_int_equal(cfg.max_blocked, 1);

	parse_ok(&cfg, "nflog_group = 65535\nthreshold = 1000000\n"
		       "min_destinations = 32\nmax_hosts = 16777216\n"
		       "max_blocked = 1048576\n");
	assert_int_equal(cfg.nflog_group, 65535);
	assert_int_equal(cfg.threshold, 1000000);
	assert_int_equal(cfg.min_destinations, 32);
	assert_int_equal(cfg.max_hosts, 16777216);
	assert_int_equal(cfg.max_blocked, 1048576);
}

static void test_durations_accepted(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok(&cfg, "window = 1\nblock_time = 0\nblock_time_max = 1\n");
	assert_int_equal(cfg.window, 1);
	assert_int_equal(cfg.block_time, 0);	/* until unblocked */
	assert_int_equal(cfg.block_time_max, 1);

	parse_ok(&cfg, "window = 1d\nblock_time = 90\nblock_time_max = 90s\n");
	assert_int_equal(cfg.window, 86400);
	assert_int_equal(cfg.block_time, 90);	/* equal to the max is fine */
	assert_int_equal(cfg.block_time_max, 90);

	parse_ok(&cfg, "window = 86400\nblock_time = 36500d\nblock_time_max = 36500d\n");
	assert_int_equal(cfg.window, 86400);
	assert_int_equal(cfg.block_time, 36500ULL * 86400);
	assert_int_equal(cfg.block_time_max, 36500ULL * 86400);

	/* A long block_time is fine when block_time_max comes later and allows it. */
	parse_ok(&cfg, "block_time = 10d\nblock_time_max = 20d\n");
	assert_int_equal(cfg.block_time, 10 * 86400);
	assert_int_equal(cfg.block_time_max, 20 * 86400);
}

static void test_ports_forms(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok(&cfg, "ports = 587\n");
	assert_int_equal(cfg.nports, 1);
	assert_int_equal(cfg.ports[0], 587);

	parse_ok(&cfg, "ports =  25 , 465,\t587 \n");
	assert_int_equal(cfg.nports, 3);
	assert_int_equal(cfg.ports[0], 25);
	assert_int_equal(cfg.ports[1], 465);
	assert_int_equal(cfg.ports[2], 587);

	parse_ok(&cfg, "ports = 1,65535\n");
	assert_int_equal(cfg.nports, 2);
	assert_int_equal(cfg.ports[0], 1);
	assert_int_equal(cfg.ports[1], 65535);

	parse_ok(&cfg, "ports = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n");
	assert_int_equal(cfg.nports, CONFIG_MAX_PORTS);
	for (size_t i = 0; i < CONFIG_MAX_PORTS; i++)
		assert_int_equal(cfg.ports[i], i + 1);

	/* A second "ports" line replaces the list, it does not append. */
	parse_ok(&cfg, "ports = 25,465\nports = 2525\n");
	assert_int_equal(cfg.nports, 1);
	assert_int_equal(cfg.ports[0], 2525);
}

static void test_words_accepted(void **state)
{
	static const struct {
		const char *text;
		bool install;
	} yn[] = {
		{ "install_rules = yes\n", true }, { "install_rules = true\n", true },
		{ "install_rules = 1\n", true },   { "install_rules = no\n", false },
		{ "install_rules = false\n", false }, { "install_rules = 0\n", false },
	};
	struct config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(yn) / sizeof(yn[0]); i++) {
		config_defaults(&cfg);
		cfg.install_rules = !yn[i].install;
		{
			struct error err;

			assert_int_equal(parse_as(&cfg, yn[i].text, NAME, &err), 0);
		}
		if (cfg.install_rules != yn[i].install)
			fail_msg("%s gave install_rules = %d", yn[i].text, cfg.install_rules);
	}

	parse_ok(&cfg, "block_scope = all\n");
	assert_int_equal(cfg.block_scope, SCOPE_ALL);
	parse_ok(&cfg, "block_scope = all\nblock_scope = smtp\n");
	assert_int_equal(cfg.block_scope, SCOPE_SMTP);

	parse_ok(&cfg, "table = nflogd_2-test\n");
	assert_string_equal(cfg.table, "nflogd_2-test");
	parse_ok(&cfg, "table = abcdefghijklmnopqrstuvwxyz01234\n");	/* 31 */
	assert_string_equal(cfg.table, "abcdefghijklmnopqrstuvwxyz01234");
	parse_ok(&cfg, "table = X\n");
	assert_string_equal(cfg.table, "X");
}

static void test_paths_accepted(void **state)
{
	struct config cfg;
	char text[256], want[128];

	(void)state;
	parse_ok(&cfg, "on_block = /usr/local/bin/notify\n");
	assert_string_equal(cfg.on_block, "/usr/local/bin/notify");

	/* on_block = "" turns the hook off again. */
	config_defaults(&cfg);
	snprintf(cfg.on_block, sizeof(cfg.on_block), "/usr/local/bin/old");
	{
		struct error err;

		assert_int_equal(parse_as(&cfg, "on_block = \"\"\n", NAME, &err), 0);
	}
	assert_string_equal(cfg.on_block, "");

	/* The longest socket path that fits sun_path (107 + NUL). */
	memset(want, 'a', 107);
	want[0] = '/';
	want[107] = '\0';
	snprintf(text, sizeof(text), "socket = %s\n", want);
	parse_ok(&cfg, text);
	assert_string_equal(cfg.socket, want);
}

/* ---- syntax: quotes, comments, whitespace ------------------------------ */

static void test_quoted_values(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok(&cfg, "table = \"dq\"\n");
	assert_string_equal(cfg.table, "dq");
	parse_ok(&cfg, "table = 'sq'\n");
	assert_string_equal(cfg.table, "sq");
	parse_ok(&cfg, "threshold = \"42\"\nwindow = '2m'\n");
	assert_int_equal(cfg.threshold, 42);
	assert_int_equal(cfg.window, 120);

	/* Quotes keep spaces and a " #" that would otherwise start a comment. */
	parse_ok(&cfg, "on_block = \"/usr/local/bin/on block\"\n");
	assert_string_equal(cfg.on_block, "/usr/local/bin/on block");
	parse_ok(&cfg, "whitelist = '/etc/nflogd/white list # 2'\n");
	assert_string_equal(cfg.whitelist, "/etc/nflogd/white list # 2");
	/* The other kind of quote inside is just a character. */
	parse_ok(&cfg, "on_block = \"/opt/it's\"\n");
	assert_string_equal(cfg.on_block, "/opt/it's");
}

static void test_inline_comments(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok(&cfg, "threshold = 30 # per window\n");
	assert_int_equal(cfg.threshold, 30);
	parse_ok(&cfg, "table = blk\t# tab before the hash\n");
	assert_string_equal(cfg.table, "blk");
	parse_ok(&cfg, "ports = 25, 587   # smtp and submission\n");
	assert_int_equal(cfg.nports, 2);
	assert_int_equal(cfg.ports[1], 587);
	parse_ok(&cfg, "on_block = /usr/local/bin/hook # runs on block # and unblock\n");
	assert_string_equal(cfg.on_block, "/usr/local/bin/hook");
	/* A '#' glued to the value is part of it. */
	parse_ok(&cfg, "on_block = /opt/hook#1\n");
	assert_string_equal(cfg.on_block, "/opt/hook#1");
}

/* A quoted value followed by a comment: the quotes are balanced and the
 * comment is an ordinary " # comment" after a value. */
static void test_quoted_value_then_comment(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok(&cfg, "table = \"blk\" # the daemon's table\n");
	assert_string_equal(cfg.table, "blk");
	parse_ok(&cfg, "on_block = '/usr/local/bin/on block'  # notify the NOC\n");
	assert_string_equal(cfg.on_block, "/usr/local/bin/on block");
}

static void test_whitespace_and_line_endings(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok(&cfg, "threshold=31\n");
	assert_int_equal(cfg.threshold, 31);
	parse_ok(&cfg, "   threshold   =   32   \n");
	assert_int_equal(cfg.threshold, 32);
	parse_ok(&cfg, "\tthreshold\t=\t33\t\n");
	assert_int_equal(cfg.threshold, 33);
	parse_ok(&cfg, "# dos file\r\nthreshold = 34\r\n\r\nwindow = 2m\r\n");
	assert_int_equal(cfg.threshold, 34);
	assert_int_equal(cfg.window, 120);
	parse_ok(&cfg, "window = 2m\nthreshold = 35");	/* no final newline */
	assert_int_equal(cfg.threshold, 35);
	/* The last of two settings wins. */
	parse_ok(&cfg, "threshold = 36\nthreshold = 37\n");
	assert_int_equal(cfg.threshold, 37);
}

/* ---- error paths --------------------------------------------------------- */

ERROR_TEST(test_err_unknown_key, PRE "bogus = 1\n", 4, "bogus")
ERROR_TEST(test_err_unknown_key_case, PRE "Threshold = 5\n", 4, "Threshold")
ERROR_TEST(test_err_empty_key, PRE "= 5\n", 4, NULL)
ERROR_TEST(test_err_no_equals, PRE "threshold 30\n", 4, NULL)
ERROR_TEST(test_err_bare_word, "smtp\n", 1, NULL)
ERROR_TEST(test_err_line_2, "threshold = 30\nwindow\n", 2, NULL)

ERROR_TEST(test_err_number_word, PRE "threshold = abc\n", 4, "threshold")
ERROR_TEST(test_err_number_suffix, PRE "threshold = 12abc\n", 4, "threshold")
ERROR_TEST(test_err_number_negative, PRE "threshold = -5\n", 4, "threshold")
ERROR_TEST(test_err_number_plus, PRE "threshold = +5\n", 4, "threshold")
ERROR_TEST(test_err_number_empty, PRE "threshold =\n", 4, "threshold")
ERROR_TEST(test_err_number_fraction, PRE "min_destinations = 1.5\n", 4, "min_destinations")
ERROR_TEST(test_err_number_hex, PRE "nflog_group = 0x19\n", 4, "nflog_group")
ERROR_TEST(test_err_number_space, PRE "max_hosts = 10 00\n", 4, "max_hosts")
ERROR_TEST(test_err_number_erange, PRE "threshold = 99999999999999999999999\n", 4, "threshold")
ERROR_TEST(test_err_number_wraps, PRE "nflog_group = 18446744073709551641\n", 4, "nflog_group")

ERROR_TEST(test_err_nflog_group_range, PRE "nflog_group = 65536\n", 4, "nflog_group")
ERROR_TEST(test_err_threshold_zero, PRE "threshold = 0\n", 4, "threshold")
ERROR_TEST(test_err_threshold_high, PRE "threshold = 1000001\n", 4, "threshold")
ERROR_TEST(test_err_min_dest_zero, PRE "min_destinations = 0\n", 4, "min_destinations")
ERROR_TEST(test_err_min_dest_33, PRE "min_destinations = 33\n", 4, "min_destinations")
ERROR_TEST(test_err_max_hosts_15, PRE "max_hosts = 15\n", 4, "max_hosts")
ERROR_TEST(test_err_max_hosts_high, PRE "max_hosts = 16777217\n", 4, "max_hosts")
ERROR_TEST(test_err_max_blocked_zero, PRE "max_blocked = 0\n", 4, "max_blocked")
ERROR_TEST(test_err_max_blocked_high, PRE "max_blocked = 1048577\n", 4, "max_blocked")

ERROR_TEST(test_err_window_word, PRE "window = soon\n", 4, "window")
ERROR_TEST(test_err_window_compound, PRE "window = 1m30s\n", 4, "window")
ERROR_TEST(test_err_window_unit, PRE "window = 5w\n", 4, "window")
ERROR_TEST(test_err_window_empty, PRE "window = ''\n", 4, "window")
ERROR_TEST(test_err_window_zero, PRE "window = 0\n", 4, "window")
ERROR_TEST(test_err_window_zero_unit, PRE "window = 0m\n", 4, "window")
ERROR_TEST(test_err_window_over_day, PRE "window = 86401\n", 4, "window")
ERROR_TEST(test_err_window_25h, PRE "window = 25h\n", 4, "window")
ERROR_TEST(test_err_window_2d, PRE "window = 2d\n", 4, "window")
ERROR_TEST(test_err_block_time_word, PRE "block_time = forever\n", 4, "block_time")
ERROR_TEST(test_err_block_time_negative, PRE "block_time = -1\n", 4, "block_time")
ERROR_TEST(test_err_block_time_unit, PRE "block_time = 5x\n", 4, "block_time")
ERROR_TEST(test_err_block_time_huge, PRE "block_time = 36501d\n", 4, "block_time")
ERROR_TEST(test_err_block_time_max_word, PRE "block_time_max = 1w\n", 4, "block_time_max")
ERROR_TEST(test_err_block_time_max_empty, PRE "block_time_max =\n", 4, "block_time_max")
ERROR_TEST(test_err_block_time_max_zero, PRE "block_time_max = 0\n", 4, "block_time_max")
ERROR_TEST(test_err_block_time_max_huge, PRE "block_time_max = 99999999999999999999\n", 4,
	   "block_time_max")

ERROR_TEST(test_err_ports_empty, PRE "ports =\n", 4, "ports")
ERROR_TEST(test_err_ports_empty_quoted, PRE "ports = \"\"\n", 4, "ports")
ERROR_TEST(test_err_ports_zero, PRE "ports = 0\n", 4, "ports")
ERROR_TEST(test_err_ports_zero_in_list, PRE "ports = 25,0\n", 4, "ports")
ERROR_TEST(test_err_ports_65536, PRE "ports = 25,65536\n", 4, "ports")
ERROR_TEST(test_err_ports_huge, PRE "ports = 18446744073709551641\n", 4, "ports")
ERROR_TEST(test_err_ports_duplicate, PRE "ports = 25,465,25\n", 4, "ports")
ERROR_TEST(test_err_ports_duplicate_spaced, PRE "ports = 587, 587\n", 4, "ports")
ERROR_TEST(test_err_ports_17, PRE "ports = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n", 4,
	   "ports")
ERROR_TEST(test_err_ports_word, PRE "ports = smtp\n", 4, "ports")
ERROR_TEST(test_err_ports_mixed, PRE "ports = 25,smtp\n", 4, "ports")
ERROR_TEST(test_err_ports_negative, PRE "ports = -25\n", 4, "ports")
ERROR_TEST(test_err_ports_double_comma, PRE "ports = 25,,465\n", 4, "ports")
ERROR_TEST(test_err_ports_trailing_comma, PRE "ports = 25,\n", 4, "ports")
ERROR_TEST(test_err_ports_leading_comma, PRE "ports = ,25\n", 4, "ports")
ERROR_TEST(test_err_ports_semicolon, PRE "ports = 25;465\n", 4, "ports")
ERROR_TEST(test_err_ports_space_list, PRE "ports = 25 465\n", 4, "ports")

ERROR_TEST(test_err_block_scope_word, PRE "block_scope = both\n", 4, "block_scope")
ERROR_TEST(test_err_block_scope_empty, PRE "block_scope =\n", 4, "block_scope")
ERROR_TEST(test_err_install_rules_word, PRE "install_rules = maybe\n", 4, "install_rules")
ERROR_TEST(test_err_install_rules_empty, PRE "install_rules = ''\n", 4, "install_rules")
ERROR_TEST(test_err_install_rules_2, PRE "install_rules = 2\n", 4, "install_rules")

ERROR_TEST(test_err_table_dot, PRE "table = bad.name\n", 4, "table")
ERROR_TEST(test_err_table_space, PRE "table = \"bad name\"\n", 4, "table")
ERROR_TEST(test_err_table_slash, PRE "table = a/b\n", 4, "table")
ERROR_TEST(test_err_table_semicolon, PRE "table = x;flush\n", 4, "table")
ERROR_TEST(test_err_table_too_long, PRE "table = abcdefghijklmnopqrstuvwxyz0123456789abcd\n", 4,
	   "table")
ERROR_TEST(test_err_table_32, PRE "table = abcdefghijklmnopqrstuvwxyz012345\n", 4, "table")	/* 32 */
ERROR_TEST(test_err_table_digit_first, PRE "table = 1table\n", 4, "table")
ERROR_TEST(test_err_table_empty, PRE "table = \"\"\n", 4, "table")

ERROR_TEST(test_err_whitelist_relative, PRE "whitelist = etc/nflogd/whitelist\n", 4, "whitelist")
ERROR_TEST(test_err_whitelist_empty, PRE "whitelist =\n", 4, "whitelist")
ERROR_TEST(test_err_state_file_relative, PRE "state_file = state\n", 4, "state_file")
ERROR_TEST(test_err_socket_relative, PRE "socket = nflogd.sock\n", 4, "socket")
ERROR_TEST(test_err_leases_file_relative, PRE "leases_file = ./dnsmasq.leases\n", 4, "leases_file")
ERROR_TEST(test_err_on_block_relative, PRE "on_block = notify.sh\n", 4, "on_block")
ERROR_TEST(test_err_on_block_tilde, PRE "on_block = ~/bin/notify\n", 4, "on_block")
ERROR_TEST(test_err_socket_group_space, PRE "socket_group = \"mail admins\"\n", 4, "socket_group")
ERROR_TEST(test_err_socket_group_colon, PRE "socket_group = mail:x\n", 4, "socket_group")

ERROR_TEST(test_err_quote_open_double, PRE "table = \"nflogd\n", 4, "quote")
ERROR_TEST(test_err_quote_open_single, PRE "table = 'nflogd\n", 4, "quote")
ERROR_TEST(test_err_quote_mismatched, PRE "on_block = '/usr/bin/x\"\n", 4, "quote")
ERROR_TEST(test_err_quote_lone, PRE "on_block = \"\n", 4, "quote")

/* block_time > block_time_max: reported on the later of the two lines. */
/* (expect_error starts from block_time 30m, block_time_max 1d) */
ERROR_TEST(test_err_block_time_over_current_max, PRE "block_time = 2d\n", 4, "block_time")
ERROR_TEST(test_err_block_time_max_below_current, PRE "block_time_max = 20m\n", 4,
	   "block_time_max")
ERROR_TEST(test_err_block_time_over_max_later, "block_time = 2h\n# c\nblock_time_max = 1h\n"
	   "threshold = 30\n", 3, "block_time")
ERROR_TEST(test_err_block_time_over_max_earlier, "block_time_max = 1h\n\nthreshold = 30\n"
	   "block_time = 2h\nwindow = 2m\n", 4, "block_time")

/* The same check against the documented defaults (block_time 1h, max 7d). */
static void test_err_block_time_vs_default_max(void **state)
{
	struct config def;

	(void)state;
	config_defaults(&def);
	expect_error_from(&def, PRE "block_time = 8d\n", 4, "block_time");
	expect_error_from(&def, PRE "block_time_max = 30m\n", 4, "block_time_max");
	expect_error_from(&def, "block_time_max = 59m\nthreshold = 30\n", 1, "block_time");
}

/* An error after valid lines leaves none of them applied. */
ERROR_TEST(test_err_after_many_good_lines,
	   "nflog_group = 3\nports = 2525\nthreshold = 50\nwindow = 5m\n"
	   "min_destinations = 4\nblock_time = 2h\nblock_time_max = 30d\n"
	   "block_scope = smtp\ninstall_rules = yes\ntable = other\n"
	   "whitelist = /tmp/wl\nstate_file = /tmp/st\nsocket = /tmp/s\n"
	   "socket_group = wheel\nmax_hosts = 99\nmax_blocked = 98\n"
	   "leases_file = /tmp/l\non_block = /tmp/hook\n\n# the end\n"
	   "threshold = 0\n", 21, "threshold")

/* sun_path holds 107 characters and a NUL. */
static void test_err_socket_too_long(void **state)
{
	char text[256], path[109];

	(void)state;
	memset(path, 'a', 108);
	path[0] = '/';
	path[108] = '\0';
	snprintf(text, sizeof(text), PRE "socket = %s\n", path);
	expect_error(text, 4, "socket");
}

static void test_err_line_too_long(void **state)
{
	char text[2100];

	(void)state;
	snprintf(text, sizeof(text), PRE "on_block = /");
	memset(text + strlen(text), 'a', 1500);
	text[sizeof(PRE "on_block = /") - 1 + 1500] = '\0';
	strcat(text, "\nthreshold = 40\n");
	expect_error(text, 4, NULL);
}

/* A NUL byte is named, not taken for the end of the line (nor for a
 * line too long), and the config stays as it was. */
static void test_err_nul_byte(void **state)
{
	static const char text[] = PRE "threshold = 40 # nul\0x\nwindow = 99\n";
	struct config cfg, before;
	struct error e = { "" };
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	(void)state;
	assert_non_null(f);
	nondefault_config(&cfg);
	before = cfg;
	assert_int_equal(config_parse(&cfg, f, NAME, &e), -1);
	fclose(f);
	if (strncmp(e.msg, NAME ":4: ", strlen(NAME ":4: ")) != 0 ||
	    strstr(e.msg, "NUL byte") == NULL)
		fail_msg("error \"%s\" is not \"" NAME ":4: ...NUL byte...\"", e.msg);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

/* The "NAME:LINE: " prefix may not push the message past the caller's
 * struct error, however long the file name is (nflogd -c PATH). */
static void test_err_long_name_stays_in_buffer(void **state)
{
	struct {
		struct error err;
		char guard[4096];
	} b;
	char name[700];
	struct config cfg;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[0] = '/';
	name[sizeof(name) - 1] = '\0';
	memset(&b, 0x5a, sizeof(b));
	config_defaults(&cfg);
	assert_int_equal(parse_as(&cfg, "bogus = 1\n", name, &b.err), -1);
	assert_non_null(memchr(b.err.msg, '\0', sizeof(b.err.msg)));
	for (size_t i = 0; i < sizeof(b.guard); i++)
		if (b.guard[i] != 0x5a)
			fail_msg("config_parse wrote past its struct error (byte %zu "
				 "beyond the end) for a %zu-character name",
				 i, strlen(name));
}

/* ---- config_load ------------------------------------------------------- */

static void test_load_missing_file(void **state)
{
	char dir[] = "/tmp/nflogd-test-config-XXXXXX", path[128];
	struct error e;
	struct config cfg, def;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nflogd.conf", dir);
	config_defaults(&cfg);
	config_defaults(&def);
	assert_int_equal(config_load(&cfg, path, &e), 0);
	assert_memory_equal(&cfg, &def, sizeof(cfg));
	check_defaults(&cfg);
	assert_int_equal(rmdir(dir), 0);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/nflogd-test-config-XXXXXX", path[128], prefix[160];
	struct error e;
	const char *err = e.msg;
	struct config cfg, before;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nflogd.conf", dir);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# test\nthreshold = 45\nports = 25,587\n", f);
	assert_int_equal(fclose(f), 0);
	config_defaults(&cfg);
	assert_int_equal(config_load(&cfg, path, &e), 0);
	assert_int_equal(cfg.threshold, 45);
	assert_int_equal(cfg.nports, 2);

	/* Errors name the file by its path. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("threshold = 45\nthreshold = lots\n", f);
	assert_int_equal(fclose(f), 0);
	config_defaults(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(config_load(&cfg, path, &e), -1);
	snprintf(prefix, sizeof(prefix), "%s:2: ", path);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, prefix);
	assert_memory_equal(&cfg, &before, sizeof(cfg));

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* A socket_group the system does not have fails the load (nflogd -t, start,
 * reload) at its line; one it has loads. */
static void test_load_unknown_group(void **state)
{
	char dir[] = "/tmp/nflogd-test-config-XXXXXX", path[128], want[200];
	struct error e;
	const char *err = e.msg;
	struct config cfg, before;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nflogd.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("threshold = 45\nsocket_group = nflogd-no-such-group\n", f);
	assert_int_equal(fclose(f), 0);
	config_defaults(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(config_load(&cfg, path, &e), -1);
	snprintf(want, sizeof(want), "%s:2: socket_group: no such group: 'nflogd-no-such-group'",
		 path);
	assert_string_equal(err, want);
	assert_memory_equal(&cfg, &before, sizeof(cfg));

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("socket_group = root\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_load(&cfg, path, &e), 0);
	assert_string_equal(cfg.socket_group, "root");

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- ports helpers ----------------------------------------------------- */

static void test_port_counted(void **state)
{
	struct config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_true(config_port_counted(&cfg, 25));
	assert_false(config_port_counted(&cfg, 587));
	assert_false(config_port_counted(&cfg, 0));

	parse_ok(&cfg, "ports = 25,465,587\n");
	assert_true(config_port_counted(&cfg, 25));
	assert_true(config_port_counted(&cfg, 465));
	assert_true(config_port_counted(&cfg, 587));
	assert_false(config_port_counted(&cfg, 2525));
	assert_false(config_port_counted(&cfg, 26));

	parse_ok(&cfg, "ports = 2525\n");
	assert_false(config_port_counted(&cfg, 25));
	assert_true(config_port_counted(&cfg, 2525));
}

static void test_format_ports(void **state)
{
	struct config cfg;
	char buf[128];

	(void)state;
	config_defaults(&cfg);
	config_format_ports(&cfg, buf, sizeof(buf));
	assert_string_equal(buf, "25");

	parse_ok(&cfg, "ports = 25,465,587\n");
	config_format_ports(&cfg, buf, sizeof(buf));
	assert_string_equal(buf, "25,465,587");

	parse_ok(&cfg, "ports = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,65535\n");
	config_format_ports(&cfg, buf, sizeof(buf));
	assert_string_equal(buf, "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,65535");

	/* A short buffer is cut, terminated, and not overrun. */
	parse_ok(&cfg, "ports = 25,465,587\n");
	for (size_t len = 1; len <= 11; len++) {
		memset(buf, 'X', sizeof(buf));
		config_format_ports(&cfg, buf, len);
		assert_non_null(memchr(buf, '\0', len));
		assert_int_equal(strncmp(buf, "25,465,587", strlen(buf)), 0);
		for (size_t i = len; i < sizeof(buf); i++)
			if (buf[i] != 'X')
				fail_msg("config_format_ports(len %zu) wrote buf[%zu]", len, i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set_timeouts),
		cmocka_unit_test(test_empty_and_comment_only_files_keep_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_numeric_limits_accepted),
		cmocka_unit_test(test_durations_accepted),
		cmocka_unit_test(test_ports_forms),
		cmocka_unit_test(test_words_accepted),
		cmocka_unit_test(test_paths_accepted),
		cmocka_unit_test(test_quoted_values),
		cmocka_unit_test(test_inline_comments),
		cmocka_unit_test(test_quoted_value_then_comment),
		cmocka_unit_test(test_whitespace_and_line_endings),

		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_unknown_key_case),
		cmocka_unit_test(test_err_empty_key),
		cmocka_unit_test(test_err_no_equals),
		cmocka_unit_test(test_err_bare_word),
		cmocka_unit_test(test_err_line_2),
		cmocka_unit_test(test_err_number_word),
		cmocka_unit_test(test_err_number_suffix),
		cmocka_unit_test(test_err_number_negative),
		cmocka_unit_test(test_err_number_plus),
		cmocka_unit_test(test_err_number_empty),
		cmocka_unit_test(test_err_number_fraction),
		cmocka_unit_test(test_err_number_hex),
		cmocka_unit_test(test_err_number_space),
		cmocka_unit_test(test_err_number_erange),
		cmocka_unit_test(test_err_number_wraps),
		cmocka_unit_test(test_err_nflog_group_range),
		cmocka_unit_test(test_err_threshold_zero),
		cmocka_unit_test(test_err_threshold_high),
		cmocka_unit_test(test_err_min_dest_zero),
		cmocka_unit_test(test_err_min_dest_33),
		cmocka_unit_test(test_err_max_hosts_15),
		cmocka_unit_test(test_err_max_hosts_high),
		cmocka_unit_test(test_err_max_blocked_zero),
		cmocka_unit_test(test_err_max_blocked_high),
		cmocka_unit_test(test_err_window_word),
		cmocka_unit_test(test_err_window_compound),
		cmocka_unit_test(test_err_window_unit),
		cmocka_unit_test(test_err_window_empty),
		cmocka_unit_test(test_err_window_zero),
		cmocka_unit_test(test_err_window_zero_unit),
		cmocka_unit_test(test_err_window_over_day),
		cmocka_unit_test(test_err_window_25h),
		cmocka_unit_test(test_err_window_2d),
		cmocka_unit_test(test_err_block_time_word),
		cmocka_unit_test(test_err_block_time_negative),
		cmocka_unit_test(test_err_block_time_unit),
		cmocka_unit_test(test_err_block_time_huge),
		cmocka_unit_test(test_err_block_time_max_word),
		cmocka_unit_test(test_err_block_time_max_empty),
		cmocka_unit_test(test_err_block_time_max_zero),
		cmocka_unit_test(test_err_block_time_max_huge),
		cmocka_unit_test(test_err_ports_empty),
		cmocka_unit_test(test_err_ports_empty_quoted),
		cmocka_unit_test(test_err_ports_zero),
		cmocka_unit_test(test_err_ports_zero_in_list),
		cmocka_unit_test(test_err_ports_65536),
		cmocka_unit_test(test_err_ports_huge),
		cmocka_unit_test(test_err_ports_duplicate),
		cmocka_unit_test(test_err_ports_duplicate_spaced),
		cmocka_unit_test(test_err_ports_17),
		cmocka_unit_test(test_err_ports_word),
		cmocka_unit_test(test_err_ports_mixed),
		cmocka_unit_test(test_err_ports_negative),
		cmocka_unit_test(test_err_ports_double_comma),
		cmocka_unit_test(test_err_ports_trailing_comma),
		cmocka_unit_test(test_err_ports_leading_comma),
		cmocka_unit_test(test_err_ports_semicolon),
		cmocka_unit_test(test_err_ports_space_list),
		cmocka_unit_test(test_err_block_scope_word),
		cmocka_unit_test(test_err_block_scope_empty),
		cmocka_unit_test(test_err_install_rules_word),
		cmocka_unit_test(test_err_install_rules_empty),
		cmocka_unit_test(test_err_install_rules_2),
		cmocka_unit_test(test_err_table_dot),
		cmocka_unit_test(test_err_table_space),
		cmocka_unit_test(test_err_table_slash),
		cmocka_unit_test(test_err_table_semicolon),
		cmocka_unit_test(test_err_table_too_long),
		cmocka_unit_test(test_err_table_32),
		cmocka_unit_test(test_err_table_digit_first),
		cmocka_unit_test(test_err_table_empty),
		cmocka_unit_test(test_err_whitelist_relative),
		cmocka_unit_test(test_err_whitelist_empty),
		cmocka_unit_test(test_err_state_file_relative),
		cmocka_unit_test(test_err_socket_relative),
		cmocka_unit_test(test_err_socket_too_long),
		cmocka_unit_test(test_err_leases_file_relative),
		cmocka_unit_test(test_err_on_block_relative),
		cmocka_unit_test(test_err_on_block_tilde),
		cmocka_unit_test(test_err_socket_group_space),
		cmocka_unit_test(test_err_socket_group_colon),
		cmocka_unit_test(test_err_quote_open_double),
		cmocka_unit_test(test_err_quote_open_single),
		cmocka_unit_test(test_err_quote_mismatched),
		cmocka_unit_test(test_err_quote_lone),
		cmocka_unit_test(test_err_block_time_over_current_max),
		cmocka_unit_test(test_err_block_time_max_below_current),
		cmocka_unit_test(test_err_block_time_vs_default_max),
		cmocka_unit_test(test_err_block_time_over_max_later),
		cmocka_unit_test(test_err_block_time_over_max_earlier),
		cmocka_unit_test(test_err_after_many_good_lines),
		cmocka_unit_test(test_err_line_too_long),
		cmocka_unit_test(test_err_nul_byte),
		cmocka_unit_test(test_err_long_name_stays_in_buffer),

		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_unknown_group),
		cmocka_unit_test(test_port_counted),
		cmocka_unit_test(test_format_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
