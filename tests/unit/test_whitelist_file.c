/* Unit tests for whitelist_file.c: atomic add, del and list on real files
 * in a private directory under /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "whitelist.h"
#include "whitelist_file.h"

/* ---- fixture: a fresh directory per test --------------------------------- */

struct fx {
	char dir[64];
	char path[128];		/* DIR/whitelist */
	char tmp[136];		/* DIR/whitelist.tmp */
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/nflogd-wlf.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/whitelist", fx->dir);
	snprintf(fx->tmp, sizeof(fx->tmp), "%s.tmp", fx->path);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	DIR *d = opendir(fx->dir);
	struct dirent *de;
	char p[512];

	while (d && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The whole file as a string; NULL if it does not exist. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];

	if (f == NULL) {
		assert_int_equal(errno, ENOENT);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf = realloc(buf, len + n + 1);
		assert_non_null(buf);
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (buf == NULL)
		buf = calloc(1, 1);
	assert_non_null(buf);
	buf[len] = '\0';
	assert_int_equal(strlen(buf), len);	/* no NUL bytes in test files */
	return buf;
}

static void check_file(const char *path, const char *want)
{
	char *have = slurp(path);

	if (have == NULL)
		fail_msg("%s does not exist, want:\n%s", path, want);
	if (strcmp(have, want) != 0)
		fail_msg("%s is:\n---\n%s---\nwant:\n---\n%s---", path, have, want);
	free(have);
}

static void check_no_tmp(const struct fx *fx)
{
	if (access(fx->tmp, F_OK) == 0)
		fail_msg("%s left behind", fx->tmp);
	assert_int_equal(errno, ENOENT);
}

static void check_one_line(const char *err)
{
	if (err[0] == '\0')
		fail_msg("no error message");
	if (strchr(err, '\n') != NULL)
		fail_msg("error message spans lines: %s", err);
}

static void add_ok(const struct fx *fx, const char *entry, const char *comment)
{
	struct error e = { "" };
	const char *err = e.msg;

	if (whitelist_file_add(fx->path, entry, comment, &e) != 0)
		fail_msg("add '%s' refused: %s", entry, err);
	check_no_tmp(fx);
}

static void del_ok(const struct fx *fx, const char *entry)
{
	struct error e = { "" };
	const char *err = e.msg;

	if (whitelist_file_del(fx->path, entry, &e) != 0)
		fail_msg("del '%s' refused: %s", entry, err);
	check_no_tmp(fx);
}

/* What the file looks like now, for showing a refused call left it alone. */
struct snap {
	char *text;		/* NULL: no file */
	struct stat st;
};

static struct snap snap_take(const char *path)
{
	struct snap s = { .text = slurp(path) };

	if (s.text)
		assert_int_equal(stat(path, &s.st), 0);
	return s;
}

/* Same bytes, and the same inode: not even rewritten with equal content. */
static void snap_check(const struct snap *s, const char *path)
{
	struct stat st;
	char *now = slurp(path);

	if (s->text == NULL) {
		if (now != NULL)
			fail_msg("%s was created:\n%s", path, now);
		return;
	}
	if (now == NULL)
		fail_msg("%s was removed", path);
	if (strcmp(now, s->text) != 0)
		fail_msg("%s changed from:\n%s\nto:\n%s", path, s->text, now);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_ino, s->st.st_ino);
	assert_int_equal(st.st_mode, s->st.st_mode);
	free(now);
}

/* Refused, with one line of error containing WANT, file untouched. */
static void refused(const struct fx *fx, int rc, const char *err, const char *want,
		    const struct snap *before)
{
	if (rc != -1)
		fail_msg("accepted (rc %d), want error containing '%s'", rc, want);
	check_one_line(err);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
	snap_check(before, fx->path);
	check_no_tmp(fx);
}

static void add_refused(const struct fx *fx, const char *entry, const char *comment,
			const char *want)
{
	struct snap before = snap_take(fx->path);
	struct error e = { "" };
	const char *err = e.msg;
	int rc = whitelist_file_add(fx->path, entry, comment, &e);

	refused(fx, rc, err, want, &before);
	free(before.text);
}

static void del_refused(const struct fx *fx, const char *entry, const char *want)
{
	struct snap before = snap_take(fx->path);
	struct error e = { "" };
	const char *err = e.msg;
	int rc = whitelist_file_del(fx->path, entry, &e);

	refused(fx, rc, err, want, &before);
	free(before.text);
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static struct addr A(const char *s)
{
	struct addr a;

	if (addr_parse(s, &a) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return a;
}

/* A user-edited file: comments, blanks, odd spacing, upper case, a tab. */
static const char sample[] =
	"# LAN mail server and friends\n"
	"\n"
	"192.0.2.25\t# mail server\n"
	"   198.51.100.0/24   #   branch office   \n"
	"\n"
	"# BYOD\n"
	"52:54:00:AB:CD:EF\n"
	"2001:db8:0:0::25\n"
	"#192.0.2.99 (disabled)\n";

/* ---- add ------------------------------------------------------------------ */

static void test_add_creates_missing(void **state)
{
	struct fx *fx = *state;
	struct whitelist wl;
	struct error wl_err = { "" };
	struct addr a = A("192.0.2.25"), b = A("192.0.2.26");
	char *text;
	mode_t old = umask(077);	/* the mode must not come from the umask */

	add_ok(fx, "192.0.2.25", "mail server");
	umask(old);
	text = slurp(fx->path);
	assert_non_null(text);
	assert_int_equal(text[0], '#');		/* a header comment first */
	{
		const char *tail = "\n192.0.2.25  # mail server\n";
		size_t n = strlen(text), m = strlen(tail);

		if (n < m || strcmp(text + n - m, tail) != 0)
			fail_msg("file does not end with the entry:\n%s", text);
	}
	free(text);
	assert_int_equal(file_mode(fx->path), 0644);
	if (whitelist_load(&wl, fx->path, &wl_err) != 0)
		fail_msg("created file does not load: %s", wl_err.msg);
	assert_int_equal(wl.nnets, 1);
	assert_int_equal(wl.nmacs, 0);
	assert_true(whitelist_covers_addr(&wl, &a));
	assert_false(whitelist_covers_addr(&wl, &b));
	whitelist_free(&wl);
}

static void test_add_keeps_lines(void **state)
{
	struct fx *fx = *state;
	char want[1024];

	write_file(fx->path, sample);
	add_ok(fx, "203.0.113.7", "laptop");
	snprintf(want, sizeof(want), "%s203.0.113.7  # laptop\n", sample);
	check_file(fx->path, want);

	add_ok(fx, "2001:db8:1::/48", NULL);
	snprintf(want, sizeof(want), "%s203.0.113.7  # laptop\n2001:db8:1::/48\n", sample);
	check_file(fx->path, want);
}

static void test_add_no_final_newline(void **state)
{
	struct fx *fx = *state;

	write_file(fx->path, "# hand written\n192.0.2.25 # mail");
	add_ok(fx, "198.51.100.1", "");
	check_file(fx->path, "# hand written\n192.0.2.25 # mail\n198.51.100.1\n");

	/* An existing empty file stays headerless: it was the user's choice. */
	write_file(fx->path, "");
	add_ok(fx, "198.51.100.2", NULL);
	check_file(fx->path, "198.51.100.2\n");
}

static void test_add_canonical(void **state)
{
	struct fx *fx = *state;

	write_file(fx->path, "");
	add_ok(fx, "192.0.2.5/32", NULL);
	add_ok(fx, "2001:DB8:0:0:0:0:0:1/128", NULL);
	add_ok(fx, "2001:0db8:00ff::/48", NULL);
	add_ok(fx, "52-54-00-AB-CD-EF", NULL);
	add_ok(fx, "198.51.100.0/24", NULL);
	add_ok(fx, "203.0.113.0/24", "  padded  ");
	check_file(fx->path,
		   "192.0.2.5\n"
		   "2001:db8::1\n"
		   "2001:db8:ff::/48\n"
		   "52:54:00:ab:cd:ef\n"
		   "198.51.100.0/24\n"
		   "203.0.113.0/24  # padded\n");
}

static void test_add_duplicates(void **state)
{
	struct fx *fx = *state;
	static const char *const same[] = {
		"192.0.2.25", "192.0.2.25/32",
		"198.51.100.0/24",
		"52:54:00:ab:cd:ef", "52-54-00-ab-cd-ef", "52:54:00:AB:CD:EF",
		"2001:db8::25", "2001:DB8::25/128", "2001:0db8:0000::0025",
	};

	write_file(fx->path, sample);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		add_refused(fx, same[i], "again", "already in the whitelist");

	/* The message names the argument and the line holding it. */
	{
		struct error e = { "" };
		const char *err = e.msg;
		char want[256];

		assert_int_equal(whitelist_file_add(fx->path, "52-54-00-ab-cd-ef", NULL,
						    &e), -1);
		snprintf(want, sizeof(want),
			 "52-54-00-ab-cd-ef is already in the whitelist (%s:7)", fx->path);
		assert_string_equal(err, want);
	}

	/* Not the same network: a host inside a listed one, a narrower or
	 * wider prefix, a commented-out line, a neighbouring MAC. */
	add_ok(fx, "198.51.100.7", NULL);
	add_ok(fx, "198.51.100.0/25", NULL);
	add_ok(fx, "198.51.0.0/16", NULL);
	add_ok(fx, "192.0.2.99", NULL);
	add_ok(fx, "52:54:00:ab:cd:ee", NULL);
	{
		char want[1024];

		snprintf(want, sizeof(want), "%s%s", sample,
			 "198.51.100.7\n198.51.100.0/25\n198.51.0.0/16\n"
			 "192.0.2.99\n52:54:00:ab:cd:ee\n");
		check_file(fx->path, want);
	}
}

static void test_add_invalid_entry(void **state)
{
	struct fx *fx = *state;
	static const char *const bad[] = {
		"192.0.2.256", "192.0.2.1/24", "192.0.2.0/33", "2001:db8::1/129",
		"mail.example", "192.0.2.1 ", " 192.0.2.1", "192.0.2.1 # x",
		"192.0.2.1\n198.51.100.1", "52:54:00:ab:cd", "52:54:00:ab:cd:eg",
		"#", "",
	};

	/* Refused on a missing file: nothing created. */
	add_refused(fx, "192.0.2.256", NULL, "not an address, CIDR or MAC");
	add_refused(fx, NULL, NULL, "no address");

	write_file(fx->path, sample);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		add_refused(fx, bad[i], "x", bad[i][0] ? "not an address" : "no address");

	/* The message names what was given. */
	{
		struct error e = { "" };
		const char *err = e.msg;

		assert_int_equal(whitelist_file_add(fx->path, "mail.example", NULL,
						    &e), -1);
		assert_string_equal(err, "'mail.example': not an address, CIDR or MAC");
	}
}

static void test_add_bad_comment(void **state)
{
	struct fx *fx = *state;
	char longest[WHITELIST_COMMENT_MAX + 2];
	char want[1024];

	write_file(fx->path, sample);
	add_refused(fx, "203.0.113.7", "two\nlines", "comment");
	add_refused(fx, "203.0.113.7", "cr\r", "comment");
	add_refused(fx, "203.0.113.7", "tab\there", "comment");
	add_refused(fx, "203.0.113.7", "\x1b[31mred", "comment");
	add_refused(fx, "203.0.113.7", "del\x7f", "comment");

	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';	/* one byte too many */
	add_refused(fx, "203.0.113.7", longest, "comment");

	/* Exactly the limit is fine, and surrounding blanks do not count. */
	longest[WHITELIST_COMMENT_MAX] = '\0';
	{
		char padded[WHITELIST_COMMENT_MAX + 8];

		snprintf(padded, sizeof(padded), "  %s  ", longest);
		add_ok(fx, "203.0.113.7", padded);
	}
	/* '#' and UTF-8 are text, not control characters. */
	add_ok(fx, "203.0.113.8", "J\xc3\xbcrgen's laptop #2");
	snprintf(want, sizeof(want), "%s203.0.113.7  # %s\n203.0.113.8  # J\xc3\xbcrgen's laptop #2\n",
		 sample, longest);
	check_file(fx->path, want);
}

/* The longest entry with the longest comment still fits the parser's line. */
static void test_add_longest_line(void **state)
{
	struct fx *fx = *state;
	char comment[WHITELIST_COMMENT_MAX + 1];
	struct whitelist wl;
	struct error wl_err = { "" };

	memset(comment, 'c', WHITELIST_COMMENT_MAX);
	comment[WHITELIST_COMMENT_MAX] = '\0';
	add_ok(fx, "2001:db8:1111:2222:3333:4444:5555:6666/127", comment);
	if (whitelist_load(&wl, fx->path, &wl_err) != 0)
		fail_msg("does not load: %s", wl_err.msg);
	assert_int_equal(wl.nnets, 1);
	whitelist_free(&wl);
}

static void test_add_refuses_bad_file(void **state)
{
	struct fx *fx = *state;
	char long_line[600];
	char want[256];
	struct whitelist_line *lines = NULL;
	size_t n = 99;
	struct error e = { "" };
	const char *err = e.msg;

	write_file(fx->path, "192.0.2.25\n\nmail.example # typo\n198.51.100.1\n");
	snprintf(want, sizeof(want), "%s:3: ", fx->path);
	add_refused(fx, "203.0.113.7", NULL, want);
	del_refused(fx, "192.0.2.25", want);
	assert_int_equal(whitelist_file_list(fx->path, &lines, &n, &e), -1);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	assert_null(lines);
	assert_int_equal(n, 0);

	/* A line the daemon cannot read whole is as bad. */
	memset(long_line, ' ', sizeof(long_line));
	memcpy(long_line, "192.0.2.25", 10);
	long_line[sizeof(long_line) - 2] = '\n';
	long_line[sizeof(long_line) - 1] = '\0';
	write_file(fx->path, long_line);
	snprintf(want, sizeof(want), "%s:1: line too long", fx->path);
	add_refused(fx, "203.0.113.7", NULL, want);
}

/* ---- del ------------------------------------------------------------------ */

/* What would whitelist every IPv4 host in the daemon, or IPv6 addresses
 * written like IPv4 ones, is refused naming the argument; the file stays. */
static void test_add_refused_families(void **state)
{
	struct fx *fx = *state;
	static const char *const wide[] = {
		"0.0.0.0/0", "::/0", "::/64", "::/80", "::ffff:0:0/96",
		"::ffff:192.0.2.0/120", "::ffff:192.0.2.30",
	};

	write_file(fx->path, sample);
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "'%s' refused: ", wide[i]);
		add_refused(fx, wide[i], NULL, want);
	}
	add_refused(fx, "::/64", NULL, "overlaps ::ffff:0:0/96");
	add_refused(fx, "0.0.0.0/0", NULL, "every IPv4 address");
	add_refused(fx, "::/0", NULL, "every IPv6 address");
	/* A file that holds one (written by hand) does not load: FILE:LINE. */
	write_file(fx->path, "192.0.2.1\n::/64  # oops\n");
	add_refused(fx, "192.0.2.2", NULL, ":2: '::/64' refused");
}

static void test_del(void **state)
{
	struct fx *fx = *state;

	write_file(fx->path,
		   "# head\n"
		   "192.0.2.25 # mail\n"
		   "\n"
		   "198.51.100.0/24\n"
		   "  192.0.2.25/32\t# again, other spelling\n"
		   "52-54-00-AB-CD-EF # phone\n"
		   "# tail\n");
	del_ok(fx, "192.0.2.25");
	check_file(fx->path,
		   "# head\n"
		   "\n"
		   "198.51.100.0/24\n"
		   "52-54-00-AB-CD-EF # phone\n"
		   "# tail\n");

	del_ok(fx, "52:54:00:ab:cd:ef");
	check_file(fx->path, "# head\n\n198.51.100.0/24\n# tail\n");

	/* A host inside a listed network is not that network. */
	del_refused(fx, "198.51.100.1", "198.51.100.1 is not in the whitelist");
	del_ok(fx, "198.51.100.0/24");
	check_file(fx->path, "# head\n\n# tail\n");
}

static void test_del_last_line_without_newline(void **state)
{
	struct fx *fx = *state;

	write_file(fx->path, "192.0.2.1\n2001:db8::1");
	del_ok(fx, "2001:db8::1/128");
	check_file(fx->path, "192.0.2.1\n");
	del_ok(fx, "192.0.2.1");
	check_file(fx->path, "");
}

static void test_del_refused(void **state)
{
	struct fx *fx = *state;

	/* Missing file: nothing to delete, and nothing created. */
	del_refused(fx, "192.0.2.25", "192.0.2.25 is not in the whitelist");

	write_file(fx->path, sample);
	del_refused(fx, "203.0.113.7", "203.0.113.7 is not in the whitelist");
	del_refused(fx, "192.0.2.99", "is not in the whitelist");	/* commented out */
	del_refused(fx, "198.51.100.0/25", "is not in the whitelist");
	del_refused(fx, "192.0.2.256", "not an address, CIDR or MAC");
	del_refused(fx, "", "no address");
}

/* ---- list ----------------------------------------------------------------- */

static void test_list(void **state)
{
	struct fx *fx = *state;
	struct whitelist_line *l = NULL;
	size_t n = 0;
	struct error e = { "" };
	const char *err = e.msg;

	write_file(fx->path, sample);
	if (whitelist_file_list(fx->path, &l, &n, &e) != 0)
		fail_msg("list: %s", err);
	assert_int_equal(n, 4);
	assert_string_equal(l[0].entry, "192.0.2.25");
	assert_string_equal(l[0].comment, "mail server");
	assert_string_equal(l[1].entry, "198.51.100.0/24");
	assert_string_equal(l[1].comment, "branch office");
	assert_string_equal(l[2].entry, "52:54:00:ab:cd:ef");
	assert_string_equal(l[2].comment, "");
	assert_string_equal(l[3].entry, "2001:db8::25");
	assert_string_equal(l[3].comment, "");
	free(l);
}

static void test_list_after_add(void **state)
{
	struct fx *fx = *state;
	struct whitelist_line *l = NULL;
	size_t n = 0;
	struct error e = { "" };
	const char *err = e.msg;

	add_ok(fx, "2001:DB8::/32", "v6 lab");
	add_ok(fx, "52-54-00-12-34-56", "tablet # 2");
	if (whitelist_file_list(fx->path, &l, &n, &e) != 0)
		fail_msg("list: %s", err);
	assert_int_equal(n, 2);		/* the header is no entry */
	assert_string_equal(l[0].entry, "2001:db8::/32");
	assert_string_equal(l[0].comment, "v6 lab");
	assert_string_equal(l[1].entry, "52:54:00:12:34:56");
	assert_string_equal(l[1].comment, "tablet # 2");
	free(l);
}

static void test_list_missing_and_empty(void **state)
{
	struct fx *fx = *state;
	struct whitelist_line *l = (struct whitelist_line *)fx;	/* must be reset */
	size_t n = 99;
	struct error e = { "" };

	assert_int_equal(whitelist_file_list(fx->path, &l, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_null(l);
	assert_int_equal(access(fx->path, F_OK), -1);

	write_file(fx->path, "# nothing yet\n\n");
	n = 99;
	assert_int_equal(whitelist_file_list(fx->path, &l, &n, &e), 0);
	assert_int_equal(n, 0);
	free(l);
}

/* A hand-written comment longer than add allows is cut, not refused, and
 * not in the middle of a UTF-8 character. */
static void test_list_long_comment(void **state)
{
	struct fx *fx = *state;
	char text[400], want[WHITELIST_COMMENT_MAX + 1];
	struct whitelist_line *l = NULL;
	size_t n = 0;
	struct error e = { "" };
	const char *err = e.msg;
	int len;

	/* 199 'a', then a 2-byte character straddling byte 200. */
	memset(want, 'a', WHITELIST_COMMENT_MAX - 1);
	want[WHITELIST_COMMENT_MAX - 1] = '\0';
	len = snprintf(text, sizeof(text), "192.0.2.25 # %s\xc3\xa9zzzz\n", want);
	assert_true(len > 0 && (size_t)len < sizeof(text));
	write_file(fx->path, text);
	if (whitelist_file_list(fx->path, &l, &n, &e) != 0)
		fail_msg("list: %s", err);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].comment, want);
	free(l);
}

/* ---- the file itself ------------------------------------------------------ */

static void test_mode_preserved(void **state)
{
	struct fx *fx = *state;

	write_file(fx->path, sample);
	assert_int_equal(chmod(fx->path, 0600), 0);
	add_ok(fx, "203.0.113.7", NULL);
	assert_int_equal(file_mode(fx->path), 0600);
	assert_int_equal(chmod(fx->path, 0640), 0);
	del_ok(fx, "203.0.113.7");
	assert_int_equal(file_mode(fx->path), 0640);
	check_file(fx->path, sample);
}

static void test_replaced_atomically(void **state)
{
	struct fx *fx = *state;
	struct stat before, after;

	/* rename gives a new inode; an in-place rewrite would keep it. */
	write_file(fx->path, sample);
	assert_int_equal(stat(fx->path, &before), 0);
	add_ok(fx, "203.0.113.7", NULL);
	assert_int_equal(stat(fx->path, &after), 0);
	assert_int_not_equal(before.st_ino, after.st_ino);
}

static void test_stale_tmp(void **state)
{
	struct fx *fx = *state;
	char victim[160];
	char want[1024];

	/* A .tmp left by a crash is replaced, whatever it holds. */
	write_file(fx->path, sample);
	write_file(fx->tmp, "garbage from a crash\n");
	add_ok(fx, "203.0.113.7", NULL);
	snprintf(want, sizeof(want), "%s203.0.113.7\n", sample);
	check_file(fx->path, want);

	/* A .tmp planted as a symlink is not written through. */
	snprintf(victim, sizeof(victim), "%s/victim", fx->dir);
	write_file(victim, "precious\n");
	assert_int_equal(symlink(victim, fx->tmp), 0);
	add_ok(fx, "203.0.113.8", NULL);
	check_file(victim, "precious\n");
	snprintf(want, sizeof(want), "%s203.0.113.7\n203.0.113.8\n", sample);
	check_file(fx->path, want);
}

static void test_through_symlink(void **state)
{
	struct fx *fx = *state;
	char target[160], want[1024];
	struct stat st;

	snprintf(target, sizeof(target), "%s/real", fx->dir);
	write_file(target, sample);
	assert_int_equal(symlink("real", fx->path), 0);
	add_ok(fx, "203.0.113.7", NULL);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	snprintf(want, sizeof(want), "%s203.0.113.7\n", sample);
	check_file(target, want);
	snprintf(want, sizeof(want), "%s.tmp", target);
	assert_int_equal(access(want, F_OK), -1);
}

/* A write that fails halfway (file size limit, as a full disk would): the
 * half-written .tmp is removed and the file is as it was. */
static void test_write_failure_leaves_file(void **state)
{
	struct fx *fx = *state;
	struct rlimit old, small;
	void (*oldsig)(int);

	write_file(fx->path, sample);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 16;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	add_refused(fx, "203.0.113.7", NULL, "whitelist.tmp: File too large");
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
}

/* Something in the way of the .tmp that cannot be removed: refused early. */
static void test_tmp_in_the_way(void **state)
{
	struct fx *fx = *state;
	struct snap before;
	struct error e = { "" };
	const char *err = e.msg;

	write_file(fx->path, sample);
	assert_int_equal(mkdir(fx->tmp, 0700), 0);
	before = snap_take(fx->path);
	assert_int_equal(whitelist_file_add(fx->path, "203.0.113.7", NULL,
					    &e), -1);
	check_one_line(err);
	assert_non_null(strstr(err, "whitelist.tmp"));
	snap_check(&before, fx->path);
	free(before.text);
	assert_int_equal(rmdir(fx->tmp), 0);
}

static void test_not_regular_file(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(mkdir(fx->path, 0700), 0);
	{
		struct error e = { "" };
		const char *err = e.msg;

		assert_int_equal(whitelist_file_add(fx->path, "192.0.2.1", NULL,
						    &e), -1);
		check_one_line(err);
		check_no_tmp(fx);
	}
	assert_int_equal(rmdir(fx->path), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_add_creates_missing),
		T(test_add_keeps_lines),
		T(test_add_no_final_newline),
		T(test_add_canonical),
		T(test_add_duplicates),
		T(test_add_invalid_entry),
		T(test_add_bad_comment),
		T(test_add_longest_line),
		T(test_add_refuses_bad_file),
		T(test_add_refused_families),
		T(test_del),
		T(test_del_last_line_without_newline),
		T(test_del_refused),
		T(test_list),
		T(test_list_after_add),
		T(test_list_missing_and_empty),
		T(test_list_long_comment),
		T(test_mode_preserved),
		T(test_replaced_atomically),
		T(test_stale_tmp),
		T(test_through_symlink),
		T(test_write_failure_leaves_file),
		T(test_tmp_in_the_way),
		T(test_not_regular_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
