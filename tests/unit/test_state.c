/* Unit tests for state.c: the state file's format, atomic save, strict load. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "policy.h"
#include "state.h"

#define NAME "state.test"
#define HDR "# nflogd state 1\n"
/* Every key after the address, in the order nflogd writes them. */
#define TAIL "reason=auto offences=1 conns=21 dsts=3 since=100 expires=200 last_end=0 mac=-"
#define GOOD(addr) addr " blocked=1 " TAIL "\n"

/* ---- helpers ----------------------------------------------------------- */

static struct addr A(const char *s)
{
	struct addr a;

	if (addr_parse(s, &a) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return a;
}

static struct state_entry entry(const char *addr, const char *mac, bool blocked,
				uint8_t reason, uint32_t offences, uint32_t conns,
				uint32_t dsts, int64_t since, int64_t expires, int64_t last_end)
{
	struct state_entry e;

	memset(&e, 0, sizeof(e));
	e.addr = A(addr);
	if (mac) {
		e.has_mac = true;
		if (mac_parse(mac, &e.mac) != 0)
			fail_msg("mac_parse(\"%s\") failed", mac);
	}
	e.blocked = blocked;
	e.reason = reason;
	e.offences = offences;
	e.conns = conns;
	e.dsts = dsts;
	e.since = since;
	e.expires = expires;
	e.last_end = last_end;
	return e;
}

/* Field by field: padding in the struct is not part of the value. */
static void check_entry_equal(const struct state_entry *got, const struct state_entry *want,
			      size_t i)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (!addr_equal(&got->addr, &want->addr))
		fail_msg("entry %zu: address %s, want %s", i, addr_format(&got->addr, a),
			 addr_format(&want->addr, b));
	assert_int_equal(got->has_mac, want->has_mac);
	if (want->has_mac)
		assert_memory_equal(got->mac.b, want->mac.b, sizeof(want->mac.b));
	assert_int_equal(got->blocked, want->blocked);
	assert_int_equal(got->reason, want->reason);
	assert_int_equal(got->offences, want->offences);
	assert_int_equal(got->conns, want->conns);
	assert_int_equal(got->dsts, want->dsts);
	if (got->since != want->since || got->expires != want->expires ||
	    got->last_end != want->last_end)
		fail_msg("entry %zu: times %" PRId64 "/%" PRId64 "/%" PRId64
			 ", want %" PRId64 "/%" PRId64 "/%" PRId64, i, got->since,
			 got->expires, got->last_end, want->since, want->expires, want->last_end);
}

/* The lines the parser set aside, for the tests to look at. */
#define BAD_MAX 16
struct bad_lines {
	unsigned n;
	unsigned line[BAD_MAX];
	char msg[BAD_MAX][ERROR_MAX];
	char text[BAD_MAX][STATE_LINE_MAX];
	size_t len[BAD_MAX];
};

static void collect_bad(void *ctx, unsigned line, const char *msg, const char *text, size_t len)
{
	struct bad_lines *b = ctx;

	assert_true(len < STATE_LINE_MAX);
	if (b->n < BAD_MAX) {
		b->line[b->n] = line;
		snprintf(b->msg[b->n], sizeof(b->msg[0]), "%s", msg);
		memcpy(b->text[b->n], text, len);
		b->len[b->n] = len;
	}
	b->n++;
}

/* Parse `len` bytes (NULs allowed) through a temporary file. */
static int parse_bytes(const char *text, size_t len, struct state_entry **out, size_t *n,
		       struct bad_lines *bad, struct error *err)
{
	FILE *f = tmpfile();
	int rc;

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	rewind(f);
	memset(bad, 0, sizeof(*bad));
	rc = state_parse(f, NAME, out, n, collect_bad, bad, err);
	fclose(f);
	/* The count returned is the count handed over. */
	if (rc >= 0)
		assert_int_equal((unsigned)rc, bad->n);
	return rc;
}

static struct state_entry *parse_ok(const char *text, size_t *n)
{
	struct error e = { "" };
	const char *err = e.msg;
	struct state_entry *v;
	struct bad_lines bad;
	int rc = parse_bytes(text, strlen(text), &v, n, &bad, &e);

	if (rc != 0)
		fail_msg("state_parse refused:\n%s\nwith: %s", text, rc < 0 ? err : bad.msg[0]);
	return v;
}

static void check_message(const char *err, unsigned line, const char *needle, const char *text)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), NAME ":%u: ", line);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\", for:\n%s", err, prefix, text);
	if (strlen(err) <= strlen(prefix))
		fail_msg("error \"%s\" has no message", err);
	if (strchr(err, '\n'))
		fail_msg("error \"%s\" is more than one line", err);
	if (needle && strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

/* Not a state file at all: refused whole, nothing handed back. */
static void expect_fatal(const char *text, unsigned line, const char *needle)
{
	struct error e = { "" };
	const char *err = e.msg;
	struct state_entry *v = (struct state_entry *)(uintptr_t)1;
	struct bad_lines bad;
	size_t n = 99;

	memset(&e, 0, sizeof(e));
	if (parse_bytes(text, strlen(text), &v, &n, &bad, &e) != -1)
		fail_msg("state_parse accepted:\n%s", text);
	check_message(err, line, needle, text);
	assert_null(v);
	assert_int_equal(n, 0);
}

/* Entry lines (not the header, comments or blank ones) in len bytes. */
static size_t count_entry_lines(const char *text, size_t len)
{
	size_t count = 0;
	bool first = true;

	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && (text[j] == ' ' || text[j] == '\t'))
			j++;
		if (!first && j < len && text[j] != '\n' && text[j] != '#' && text[j] != '\r')
			count++;
		first = false;
		while (i < len && text[i] != '\n')
			i++;
		i++;
	}
	return count;
}

/* One bad line: it alone is set aside, named by its line, every other
 * entry kept. */
static void expect_error_bytes(const char *text, size_t len, unsigned line, const char *needle)
{
	struct error e = { "" };
	const char *err = e.msg;
	struct state_entry *v = (struct state_entry *)(uintptr_t)1;
	struct bad_lines bad;
	size_t n = 99, want = count_entry_lines(text, len) - 1;
	int rc = parse_bytes(text, len, &v, &n, &bad, &e);

	if (rc != 1)
		fail_msg("state_parse gave %d (%s), want one bad line, for:\n%s", rc,
			 rc < 0 ? err : bad.msg[0], text);
	assert_int_equal(bad.line[0], line);
	check_message(bad.msg[0], line, needle, text);
	if (n != want)
		fail_msg("%zu entries kept, want %zu, for:\n%s", n, want, text);
	assert_true((n == 0) == (v == NULL));
	free(v);
}

static void expect_error(const char *text, unsigned line, const char *needle)
{
	expect_error_bytes(text, strlen(text), line, needle);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The whole file as a string (malloc'd). */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t len;

	assert_non_null(f);
	assert_non_null(buf);
	len = fread(buf, 1, 65535, f);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static void save_ok(const char *path, const struct state_entry *e, size_t n)
{
	struct error err = { "" };
	char tmp[300];

	if (state_save(path, e, n, &err) != 0)
		fail_msg("state_save(%s) failed: %s", path, err.msg);
	/* Atomic: nothing is left beside the file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (exists(tmp))
		fail_msg("%s is left behind", tmp);
}

static struct state_entry *load_ok(const char *path, size_t *n)
{
	struct error err = { "" };
	struct state_entry *v = (struct state_entry *)(uintptr_t)1;

	if (state_load(path, &v, n, NULL, NULL, &err) != 0)
		fail_msg("state_load(%s) failed: %s", path, err.msg);
	return v;
}

/* ---- save and load ------------------------------------------------------- */

/* Many hosts of every kind: the arrays must grow and nothing may shift. */
static void test_roundtrip_many(void **state)
{
	const char *dir = *state;
	char path[128];
	enum { N = 700 };
	struct state_entry *want = calloc(N, sizeof(*want)), *got;
	size_t n;

	assert_non_null(want);
	snprintf(path, sizeof(path), "%s/state", dir);
	for (unsigned i = 0; i < N; i++) {
		char addr[64], mac[32];
		int64_t since = 1700000000 + (int64_t)i * 37;

		if (i % 3 == 0)
			snprintf(addr, sizeof(addr), "2001:db8:%x::%x", i / 256, i % 256 + 1);
		else if (i % 3 == 1)
			snprintf(addr, sizeof(addr), "198.51.100.%u", i % 256);
		else
			snprintf(addr, sizeof(addr), "203.0.113.%u", i % 256);
		snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:%02x", i >> 8, i & 0xff, i * 7 & 0xff);
		want[i] = entry(addr, i % 4 == 0 ? NULL : mac, i % 5 != 0,
				i % 7 == 0 ? REASON_MANUAL : REASON_AUTO, i % 9, 20 + i, i % 50,
				since, i % 6 == 0 ? 0 : since + 3600 * (i % 10 + 1),
				i % 8 == 0 ? 0 : since - 86400);
	}
	save_ok(path, want, N);
	got = load_ok(path, &n);
	assert_int_equal(n, N);
	for (size_t i = 0; i < N; i++)
		check_entry_equal(&got[i], &want[i], i);
	free(got);
	free(want);
}

/* The extremes of every field survive the text form. */
static void test_roundtrip_extremes(void **state)
{
	const char *dir = *state;
	char path[128];
	struct state_entry want[] = {
		entry("192.0.2.1", "ff:ff:ff:ff:ff:ff", true, REASON_MANUAL, STATE_OFFENCES_MAX,
		      UINT32_MAX, UINT32_MAX, STATE_TIME_MAX, STATE_TIME_MAX, STATE_TIME_MAX),
		entry("0.0.0.0", "00:00:00:00:00:00", false, REASON_AUTO, 0, 0, 0, 0, 0, 0),
		entry("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", NULL, true, REASON_AUTO, 1, 1,
		      1, 1, 0, 0),
		entry("::ffff:203.0.113.9", NULL, true, REASON_AUTO, 3, 4, 5, 6, 7, 8),
	};
	size_t n, nwant = sizeof(want) / sizeof(want[0]);
	struct state_entry *got;

	snprintf(path, sizeof(path), "%s/state", dir);
	save_ok(path, want, nwant);
	got = load_ok(path, &n);
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < nwant; i++)
		check_entry_equal(&got[i], &want[i], i);
	/* The mapped form is the IPv6 address it is (blocked6), not IPv4. */
	assert_false(addr_is_v4(&got[3].addr));
	free(got);
}

/* The file as text: versioned, commented, one greppable line per host. */
static void test_save_format(void **state)
{
	const char *dir = *state;
	char path[128];
	struct state_entry e[] = {
		entry("192.0.2.10", "52:54:00:12:34:56", true, REASON_AUTO, 2, 21, 17,
		      1700000000, 1700003600, 1699990000),
		entry("2001:db8::25", NULL, true, REASON_MANUAL, 0, 0, 0, 1700000100, 0, 0),
		entry("198.51.100.7", "AA:BB:CC:DD:EE:0F", false, REASON_AUTO, 4, 30, 9,
		      1690000000, 1690086400, 1690086400),
	};
	char *text, *line, *save;
	unsigned entries = 0, comments = 0;

	snprintf(path, sizeof(path), "%s/state", dir);
	save_ok(path, e, 3);
	text = read_file(path);
	assert_true(strncmp(text, HDR, strlen(HDR)) == 0);
	assert_true(text[strlen(text) - 1] == '\n');
	assert_non_null(strstr(text, "\n192.0.2.10 blocked=1 reason=auto offences=2 conns=21 "
				     "dsts=17 since=1700000000 expires=1700003600 "
				     "last_end=1699990000 mac=52:54:00:12:34:56\n"));
	assert_non_null(strstr(text, "\n2001:db8::25 blocked=1 reason=manual offences=0 "
				     "conns=0 dsts=0 since=1700000100 expires=0 last_end=0 "
				     "mac=-\n"));
	assert_non_null(strstr(text, "\n198.51.100.7 blocked=0 reason=auto offences=4 "
				     "conns=30 dsts=9 since=1690000000 expires=1690086400 "
				     "last_end=1690086400 mac=aa:bb:cc:dd:ee:0f\n"));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			comments++;
		else
			entries++;
	}
	assert_int_equal(entries, 3);
	/* The header plus at least one line that explains the fields. */
	assert_true(comments >= 2);
	free(text);
}

static void test_save_empty(void **state)
{
	const char *dir = *state;
	char path[128];
	struct state_entry *got;
	size_t n = 99;
	char *text;

	snprintf(path, sizeof(path), "%s/state", dir);
	save_ok(path, NULL, 0);
	text = read_file(path);
	assert_true(strncmp(text, HDR, strlen(HDR)) == 0);
	free(text);
	got = load_ok(path, &n);
	assert_null(got);
	assert_int_equal(n, 0);
}

/* A new save replaces the file by rename (a new inode), never in place, and
 * clears a tmp file a crash left behind without following a symlink there. */
static void test_save_replaces(void **state)
{
	const char *dir = *state;
	char path[128], tmp[140], victim[140];
	struct state_entry first[] = {
		entry("192.0.2.1", NULL, true, REASON_AUTO, 1, 21, 2, 10, 20, 0),
		entry("192.0.2.2", NULL, true, REASON_AUTO, 1, 21, 2, 10, 20, 0),
		entry("192.0.2.3", NULL, true, REASON_AUTO, 1, 21, 2, 10, 20, 0),
	};
	struct state_entry second[] = {
		entry("2001:db8::9", "52:54:00:00:00:09", true, REASON_MANUAL, 0, 0, 0, 30, 0, 0),
	};
	struct state_entry *got;
	struct stat st1, st2;
	size_t n;
	char *text;

	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);

	save_ok(path, first, 3);
	assert_int_equal(stat(path, &st1), 0);
	save_ok(path, second, 1);
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st1.st_ino != st2.st_ino);
	got = load_ok(path, &n);
	assert_int_equal(n, 1);
	check_entry_equal(&got[0], &second[0], 0);
	free(got);

	/* A stale tmp file from a crash. */
	write_file(tmp, "half a state fi");
	save_ok(path, first, 3);
	got = load_ok(path, &n);
	assert_int_equal(n, 3);
	check_entry_equal(&got[2], &first[2], 2);
	free(got);

	/* A symlink planted at the tmp name: its target is left alone. */
	write_file(victim, "precious\n");
	assert_int_equal(symlink(victim, tmp), 0);
	save_ok(path, second, 1);
	text = read_file(victim);
	assert_string_equal(text, "precious\n");
	free(text);
	got = load_ok(path, &n);
	assert_int_equal(n, 1);
	free(got);
}

static void check_mode(const char *path, mode_t want)
{
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("%s was not created: %s", path, strerror(errno));
	assert_true(S_ISDIR(st.st_mode));
	if ((st.st_mode & 07777) != want)
		fail_msg("%s has mode %o, want %o", path, (unsigned)(st.st_mode & 07777),
			 (unsigned)want);
}

static void test_save_creates_dir(void **state)
{
	const char *dir = *state;
	char sub[128], deep[160], path[192];
	struct state_entry e[] = {
		entry("203.0.113.50", NULL, true, REASON_AUTO, 1, 21, 2, 10, 0, 0),
	};
	struct state_entry *got;
	size_t n;

	/* One missing level, as for /var/lib/nflogd. */
	snprintf(sub, sizeof(sub), "%s/nflogd", dir);
	snprintf(path, sizeof(path), "%s/state", sub);
	save_ok(path, e, 1);
	check_mode(sub, 0750);
	got = load_ok(path, &n);
	assert_int_equal(n, 1);
	free(got);

	/* Several missing levels. */
	snprintf(sub, sizeof(sub), "%s/a", dir);
	snprintf(deep, sizeof(deep), "%s/b/c", sub);
	snprintf(path, sizeof(path), "%s/state", deep);
	save_ok(path, e, 1);
	check_mode(sub, 0750);
	check_mode(deep, 0750);
	got = load_ok(path, &n);
	assert_int_equal(n, 1);
	check_entry_equal(&got[0], &e[0], 0);
	free(got);
}

/* A save that cannot complete says why and leaves the old file as it was. */
static void test_save_failure_keeps_old(void **state)
{
	const char *dir = *state;
	char path[128], tmp[140], file[140];
	struct error e = { "" };
	const char *err = e.msg;
	struct state_entry old[] = {
		entry("192.0.2.77", NULL, true, REASON_AUTO, 2, 40, 8, 100, 200, 50),
	};
	struct state_entry new[] = {
		entry("192.0.2.88", NULL, true, REASON_AUTO, 1, 21, 2, 10, 20, 0),
	};
	struct state_entry *got;
	size_t n;

	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	save_ok(path, old, 1);

	/* Something that is not a file sits at the tmp name. */
	assert_int_equal(mkdir(tmp, 0700), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(state_save(path, new, 1, &e), -1);
	if (strstr(err, tmp) == NULL || strchr(err, '\n'))
		fail_msg("error \"%s\" should be one line naming %s", err, tmp);
	got = load_ok(path, &n);
	assert_int_equal(n, 1);
	check_entry_equal(&got[0], &old[0], 0);
	free(got);
	assert_int_equal(rmdir(tmp), 0);

	/* The parent "directory" is a regular file. */
	snprintf(file, sizeof(file), "%s/plain", dir);
	write_file(file, "x\n");
	snprintf(path, sizeof(path), "%s/plain/state", dir);
	memset(&e, 0, sizeof(e));
	assert_int_equal(state_save(path, new, 1, &e), -1);
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
}

static void test_load_missing(void **state)
{
	const char *dir = *state;
	char path[160];
	struct state_entry *got;
	size_t n = 99;

	snprintf(path, sizeof(path), "%s/state", dir);
	got = load_ok(path, &n);
	assert_null(got);
	assert_int_equal(n, 0);
	/* Nor is a missing directory an error: the first start. */
	snprintf(path, sizeof(path), "%s/nflogd/state", dir);
	n = 99;
	got = load_ok(path, &n);
	assert_null(got);
	assert_int_equal(n, 0);
}

/* Errors from a file name the file and its line. */
static void test_load_corrupt_names_file(void **state)
{
	const char *dir = *state;
	char path[128], prefix[160];
	struct error e = { "" };
	const char *err = e.msg;
	struct state_entry *got = (struct state_entry *)(uintptr_t)1;
	size_t n = 99;

	snprintf(path, sizeof(path), "%s/state", dir);
	struct bad_lines bad = { 0 };

	write_file(path, HDR "# comment\n" GOOD("192.0.2.1") "192.0.2.2 blocked=yes " TAIL "\n");
	assert_int_equal(state_load(path, &got, &n, collect_bad, &bad, &e), 1);
	snprintf(prefix, sizeof(prefix), "%s:4: ", path);
	if (strncmp(bad.msg[0], prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", bad.msg[0], prefix);
	assert_int_equal(n, 1);
	free(got);

	/* A directory where the file should be. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(state_load(path, &got, &n, NULL, NULL, &e), STATE_REFUSED);
	assert_non_null(strstr(err, path));
	assert_null(got);
}

/* ---- parsing ----------------------------------------------------------- */

static void test_parse_lenient_layout(void **state)
{
	struct state_entry *v;
	size_t n;

	(void)state;
	/* Comments, blank lines, tabs, any key order, CRLF, trailing blanks. */
	v = parse_ok("# nflogd state 1  \r\n"
		     "\n"
		     "   # an indented comment\n"
		     "\t\n"
		     "  192.0.2.5\tmac=52:54:00:12:34:56  last_end=0 expires=0 since=5 dsts=2 "
		     "conns=30 offences=1 reason=manual blocked=1\r\n"
		     "# between\n"
		     "2001:DB8::1 blocked=0 " TAIL "  \n", &n);
	assert_int_equal(n, 2);
	{
		struct state_entry want0 = entry("192.0.2.5", "52:54:00:12:34:56", true,
						 REASON_MANUAL, 1, 30, 2, 5, 0, 0);
		struct state_entry want1 = entry("2001:db8::1", NULL, false, REASON_AUTO, 1,
						 21, 3, 100, 200, 0);

		check_entry_equal(&v[0], &want0, 0);
		check_entry_equal(&v[1], &want1, 1);
	}
	free(v);

	/* A header alone is an empty state. */
	v = parse_ok(HDR, &n);
	assert_null(v);
	assert_int_equal(n, 0);
}

static void test_parse_errors_header(void **state)
{
	(void)state;
	expect_fatal("", 1, "empty");
	expect_fatal(GOOD("192.0.2.1"), 1, "first line");
	expect_fatal("# nflogd state 2\n" GOOD("192.0.2.1"), 1, "version 2");
	expect_fatal("# nflogd state 10\n", 1, "version 10");
	expect_fatal("# nflogd state 0\n", 1, "version 0");
	expect_fatal("# nflogd state\n", 1, NULL);
	expect_fatal("# nflogd state 1x\n", 1, NULL);
	expect_fatal("# nflogd state -1\n", 1, NULL);
	expect_fatal("#nflogd state 1\n", 1, NULL);
	expect_fatal("# NFLOGD STATE 1\n", 1, NULL);
	expect_fatal("# some other file\n", 1, NULL);
	/* The header is the first line or nothing. */
	expect_fatal("\n" HDR, 1, NULL);
	expect_fatal("# comment\n" HDR, 1, NULL);
	expect_fatal("# nflogd state 1", 1, "cut short");
}

static void test_parse_errors_entries(void **state)
{
	(void)state;
	/* Unknown keys and broken key=value pairs, after good lines. */
	expect_error(HDR "# c\n\n" GOOD("192.0.2.1") "192.0.2.2 blocked=1 " TAIL " colour=red\n",
		     5, "colour");
	expect_error(HDR "192.0.2.2 blocked=1 " TAIL " Mac=-\n", 2, "Mac");
	expect_error(HDR "192.0.2.2 blocked " TAIL "\n", 2, "blocked");
	expect_error(HDR "192.0.2.2 blocked=1 " TAIL " # a comment\n", 2, NULL);
	expect_error(HDR "192.0.2.2 =1 " TAIL "\n", 2, NULL);
	/* Addresses. */
	expect_error(HDR "192.0.2.300 blocked=1 " TAIL "\n", 2, "192.0.2.300");
	expect_error(HDR "192.0.2.0/24 blocked=1 " TAIL "\n", 2, "192.0.2.0/24");
	expect_error(HDR "mail.example.com blocked=1 " TAIL "\n", 2, "mail.example.com");
	expect_error(HDR "blocked=1 " TAIL "\n", 2, NULL);
	expect_error(HDR "2001:db8::g blocked=1 " TAIL "\n", 2, NULL);
	/* Values. */
	expect_error(HDR "192.0.2.2 blocked=2 " TAIL "\n", 2, "blocked");
	expect_error(HDR "192.0.2.2 blocked= " TAIL "\n", 2, "blocked");
	expect_error(HDR "192.0.2.2 blocked=yes " TAIL "\n", 2, "yes");
	expect_error(HDR "192.0.2.2 blocked=1 reason=Auto offences=1 conns=21 dsts=3 since=100 "
		     "expires=200 last_end=0 mac=-\n", 2, "reason");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=-1 conns=21 dsts=3 since=100 "
		     "expires=200 last_end=0 mac=-\n", 2, "offences");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=4294967296 dsts=3 "
		     "since=100 expires=200 last_end=0 mac=-\n", 2, "conns");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3a "
		     "since=100 expires=200 last_end=0 mac=-\n", 2, "dsts");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=+1 conns=21 dsts=3 "
		     "since=100 expires=200 last_end=0 mac=-\n", 2, "offences");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences= conns=21 dsts=3 "
		     "since=100 expires=200 last_end=0 mac=-\n", 2, "offences");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
		     "since=9223372036854775808 expires=200 last_end=0 mac=-\n", 2, "since");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
		     "since=1e9 expires=200 last_end=0 mac=-\n", 2, "since");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
		     "since=100 expires=0x10 last_end=0 mac=-\n", 2, "expires");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
		     "since=100 expires=1.5 last_end=0 mac=-\n", 2, "expires");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
		     "since=100 expires=200 last_end=- mac=-\n", 2, "last_end");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
		     "since=100 expires=200 last_end=0 mac=52:54:00:12:34\n", 2, "mac");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
		     "since=100 expires=200 last_end=0 mac=52:54:00:12:34:5g\n", 2, "mac");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
		     "since=100 expires=200 last_end=0 mac=\n", 2, "mac");
}

/* Every key on every line: a line cut short is not a permanent block. */
static void test_parse_errors_keys(void **state)
{
	(void)state;
	expect_error(HDR "192.0.2.2 blocked=1 blocked=1 " TAIL "\n", 2, "twice");
	expect_error(HDR "192.0.2.2 blocked=1 " TAIL " expires=300\n", 2, "twice");
	expect_error(HDR "192.0.2.2\n", 2, "missing");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
		     "since=100\n", 2, "expires");
	expect_error(HDR "192.0.2.2 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
		     "since=100 expires=200 last_end=0\n", 2, "mac");
	expect_error(HDR "192.0.2.2 reason=auto offences=1 conns=21 dsts=3 "
		     "since=100 expires=200 last_end=0 mac=-\n", 2, "blocked");
}

static void test_parse_errors_duplicates(void **state)
{
	(void)state;
	expect_error(HDR GOOD("192.0.2.1") GOOD("198.51.100.1") "# c\n" GOOD("192.0.2.1"), 5,
		     "192.0.2.1 (also on line 2");
	/* The same host however it is spelled. */
	expect_error(HDR GOOD("192.0.2.1") GOOD("::ffff:192.0.2.1") GOOD("::FFFF:c000:201"), 4,
		     "::ffff:192.0.2.1 (also on line 3, which is kept)");
	expect_error(HDR GOOD("2001:db8::1") GOOD("192.0.2.1") GOOD("2001:0DB8:0:0::0:1"), 4,
		     "2001:db8::1 (also on line 2");
	/* Of several, each later line is set aside, the first kept. */
	{
		static const char text[] = HDR GOOD("203.0.113.9") GOOD("192.0.2.1")
			GOOD("192.0.2.1") GOOD("203.0.113.9");
		struct state_entry *v;
		struct bad_lines bad;
		struct error e = { "" };
		size_t n;

		assert_int_equal(parse_bytes(text, strlen(text), &v, &n, &bad, &e), 2);
		assert_int_equal(n, 2);
		assert_int_equal(bad.line[0], 4);
		check_message(bad.msg[0], 4, "192.0.2.1 (also on line 3", text);
		assert_int_equal(bad.line[1], 5);
		check_message(bad.msg[1], 5, "203.0.113.9 (also on line 2", text);
		free(v);
	}
	/* The same last byte in two families is no duplicate. */
	{
		struct state_entry *v;
		size_t n;

		v = parse_ok(HDR GOOD("192.0.2.1") GOOD("::1") GOOD("::192.0.2.1"), &n);
		assert_int_equal(n, 3);
		free(v);
	}
}

static void test_parse_errors_damage(void **state)
{
	char text[1024];

	(void)state;
	/* Cut short: the last number may be missing digits. */
	expect_error(HDR GOOD("192.0.2.1") "192.0.2.2 blocked=1 reason=auto offences=1 "
		     "conns=21 dsts=3 since=100 expires=17", 3, "cut short");
	expect_error(HDR "192.0.2.2 blocked=1 " TAIL, 2, "cut short");
	/* A NUL byte, as a crash on some file systems leaves. */
	{
		static const char nul[] = HDR "192.0.2.2 blocked=1\0" TAIL "\n" GOOD("192.0.2.3");

		expect_error_bytes(nul, sizeof(nul) - 1, 2, "NUL");
	}
	{
		static const char nul[] = HDR GOOD("192.0.2.3") "\0\0\0\0\n";

		expect_error_bytes(nul, sizeof(nul) - 1, 3, "NUL");
	}
	/* Garbage that is too long to be an entry. */
	snprintf(text, sizeof(text), HDR GOOD("192.0.2.1"));
	memset(text + strlen(text), 'x', 700);
	text[strlen(HDR GOOD("192.0.2.1")) + 700] = '\0';
	strcat(text, "\n");
	expect_error(text, 3, "too long");
}

/* One bad line costs that line only: every valid one around it is kept and
 * each bad one is handed back as it was read, to be set aside. */
static void test_parse_keeps_good_lines(void **state)
{
	char text[8192];
	struct error e;
	size_t len = 0, n;
	struct state_entry *v;
	struct bad_lines bad;
	static const char truncated[] = "192.0.2.101 blocked=1 reason=auto offences=1 conns=21";
	static const char changed[] = "192.0.2.102 blocked=7 " TAIL;
	static const char nul[] = "192.0.2.103 blocked=1\0" TAIL;
	static const char cut[] = "192.0.2.105 blocked=1 reason=auto offences=1 conns=21 dsts=3 "
				  "since=100 expires=2";

	(void)state;
	len += (size_t)snprintf(text + len, sizeof(text) - len, HDR);
	for (unsigned i = 1; i <= 20; i++) {
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"198.51.100.%u blocked=1 " TAIL "\n", i);
		if (i == 5)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", truncated);
		if (i == 10)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", changed);
		if (i == 15) {
			memcpy(text + len, nul, sizeof(nul) - 1);
			len += sizeof(nul) - 1;
			text[len++] = '\n';
			/* A line given twice, exactly: the copy goes. */
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"198.51.100.15 blocked=1 " TAIL "\n");
		}
	}
	len += (size_t)snprintf(text + len, sizeof(text) - len, "%s", cut);

	assert_int_equal(parse_bytes(text, len, &v, &n, &bad, &e), 5);
	assert_int_equal(n, 20);
	for (unsigned i = 0; i < 20; i++) {
		char want[32];
		struct addr a;

		snprintf(want, sizeof(want), "198.51.100.%u", i + 1);
		a = A(want);
		assert_true(addr_equal(&v[i].addr, &a));
		assert_int_equal(v[i].offences, 1);
	}
	free(v);
	/* Lines 2-6 hold .1-.5, 7 the truncated one; .6-.10 8-12, 13 the
	 * changed one; .11-.15 14-18, 19 the NUL, 20 the copy; .16-.20 21-25. */
	assert_int_equal(bad.line[0], 7);
	check_message(bad.msg[0], 7, "missing key", truncated);
	assert_int_equal(bad.len[0], strlen(truncated));
	assert_memory_equal(bad.text[0], truncated, strlen(truncated));
	assert_int_equal(bad.line[1], 13);
	check_message(bad.msg[1], 13, "blocked", changed);
	assert_memory_equal(bad.text[1], changed, strlen(changed));
	assert_int_equal(bad.line[2], 19);
	check_message(bad.msg[2], 19, "NUL", "");
	assert_int_equal(bad.len[2], sizeof(nul) - 1);
	assert_memory_equal(bad.text[2], nul, sizeof(nul) - 1);
	assert_int_equal(bad.line[3], 20);
	check_message(bad.msg[3], 20, "duplicate address 198.51.100.15 (also on line 18", "");
	assert_int_equal(bad.line[4], 26);
	check_message(bad.msg[4], 26, "cut short", cut);
	assert_memory_equal(bad.text[4], cut, strlen(cut));
}

/* A line longer than any entry is set aside (its start) and the next one read. */
static void test_parse_long_line_then_good(void **state)
{
	char text[4096];
	struct error e;
	struct state_entry *v;
	struct bad_lines bad;
	size_t n, len = (size_t)snprintf(text, sizeof(text), HDR);

	(void)state;
	memset(text + len, 'x', 2000);
	len += 2000;
	len += (size_t)snprintf(text + len, sizeof(text) - len, "\n" GOOD("192.0.2.9"));
	assert_int_equal(parse_bytes(text, len, &v, &n, &bad, &e), 1);
	assert_int_equal(bad.line[0], 2);
	check_message(bad.msg[0], 2, "too long", "");
	assert_int_equal(bad.len[0], STATE_LINE_MAX - 1);
	assert_int_equal(n, 1);
	free(v);
}

#define LINE(since, expires, last_end, offences) \
	"192.0.2.2 blocked=1 reason=auto offences=" offences " conns=21 dsts=3 since=" since \
	" expires=" expires " last_end=" last_end " mac=-\n"

/* Every field within what it can mean: no overflow, no wrap later. */
static void test_parse_ranges(void **state)
{
	struct state_entry *v;
	size_t n;

	(void)state;
	expect_error(HDR GOOD("192.0.2.1") LINE("-9223372036854775808", "0", "0", "1"), 3, "since");
	expect_error(HDR LINE("-1", "0", "0", "1"), 2, "since");
	expect_error(HDR LINE("100", "-200", "0", "1"), 2, "expires");
	expect_error(HDR LINE("100", "200", "-86400", "1"), 2, "last_end");
	expect_error(HDR LINE("100", "253402300800", "0", "1"), 2, "expires");
	expect_error(HDR LINE("100", "200", "9223372036854775807", "1"), 2, "last_end");
	expect_error(HDR LINE("100", "200", "0", "4294967295"), 2, "offences");
	expect_error(HDR LINE("100", "200", "0", "1000001"), 2, "offences");
	/* A block needs its start, and cannot end before it. */
	expect_error(HDR LINE("0", "200", "0", "1"), 2, "since");
	expect_error(HDR LINE("300", "200", "0", "1"), 2, "before since");
	/* The limits themselves are good. */
	v = parse_ok(HDR LINE("253402300799", "253402300799", "253402300799", "1000000"), &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].offences, STATE_OFFENCES_MAX);
	assert_true(v[0].since == STATE_TIME_MAX);
	free(v);
	/* Not blocked: no start needed (history only). */
	v = parse_ok(HDR "192.0.2.3 blocked=0 reason=auto offences=2 conns=0 dsts=0 since=0 "
		     "expires=0 last_end=100 mac=-\n", &n);
	assert_int_equal(n, 1);
	free(v);
}

/* A FIFO at the path must not hang the start: refused at once. */
static void test_load_refuses_fifo(void **state)
{
	const char *dir = *state;
	char path[160];
	struct error e = { "" };
	const char *err = e.msg;
	struct state_entry *v = NULL;
	size_t n = 99;

	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);	/* a hang fails the test rather than stall the suite */
	assert_int_equal(state_load(path, &v, &n, NULL, NULL, &e), STATE_REFUSED);
	alarm(0);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a regular file"));
	assert_null(v);
	assert_int_equal(n, 0);
}

static void expect_refused(const char *path, const char *needle)
{
	struct error e = { "" };
	const char *err = e.msg;
	struct state_entry *v = NULL;
	size_t n = 99;

	if (state_load(path, &v, &n, NULL, NULL, &e) != STATE_REFUSED)
		fail_msg("%s loaded; want it refused (%s)", path, needle);
	if (strstr(err, needle) == NULL || strstr(err, "refused") == NULL)
		fail_msg("error \"%s\" does not say \"%s\" and refused", err, needle);
	assert_null(v);
	assert_int_equal(n, 0);
}

/* Whoever can write the file, or replace it, could forge blocks. */
static void test_load_refuses_untrusted(void **state)
{
	const char *dir = *state;
	char sub[128], path[160], link[160];
	struct state_entry *v;
	size_t n;

	snprintf(sub, sizeof(sub), "%s/d", dir);
	snprintf(path, sizeof(path), "%s/state", sub);
	snprintf(link, sizeof(link), "%s/link", sub);
	assert_int_equal(mkdir(sub, 0750), 0);
	write_file(path, HDR GOOD("192.0.2.25"));
	assert_int_equal(chmod(path, 0640), 0);
	v = load_ok(path, &n);
	assert_int_equal(n, 1);
	free(v);

	assert_int_equal(chmod(path, 0660), 0);
	expect_refused(path, "writable by group or others");
	assert_int_equal(chmod(path, 0602), 0);
	expect_refused(path, "writable by group or others");
	assert_int_equal(chmod(path, 0640), 0);

	assert_int_equal(chmod(sub, 0770), 0);
	expect_refused(path, "its directory");
	assert_int_equal(chmod(sub, 01777), 0);
	expect_refused(path, "its directory");
	assert_int_equal(chmod(sub, 0750), 0);

	assert_int_equal(symlink(path, link), 0);
	expect_refused(link, "symbolic link");

	if (geteuid() == 0) {	/* only root can give a file away */
		assert_int_equal(chown(path, 65534, 0), 0);
		expect_refused(path, "owned by another user");
		assert_int_equal(chown(path, 0, 0), 0);
		assert_int_equal(chown(sub, 65534, 0), 0);
		expect_refused(path, "its directory");
		assert_int_equal(chown(sub, 0, 0), 0);
	} else {
		print_message("owner checks skipped: not root\n");
	}
	v = load_ok(path, &n);
	assert_int_equal(n, 1);
	free(v);
}

/* The decision alone, over (uid, mode) from the holding directory up to /. */
static void expect_dirs(const struct state_dir *d, size_t n, size_t want, const char *needle)
{
	const char *why = NULL;
	size_t got = state_dirs_untrusted(d, n, 0, &why);

	if (got != want)
		fail_msg("first untrusted directory %zu, want %zu (%s)", got, want,
			 why ? why : "none");
	if (needle != NULL && (why == NULL || strstr(why, needle) == NULL))
		fail_msg("reason \"%s\" does not say \"%s\"", why ? why : "", needle);
}

static void test_dirs_untrusted(void **state)
{
	(void)state;
	/* /tmp/nflX.Y/state: the mktemp dir under a sticky root /tmp. */
	expect_dirs((struct state_dir[]){ { 0, 040700 }, { 0, 041777 }, { 0, 040755 } }, 3, 3,
		    NULL);
	/* /var/lib/nflogd/state. */
	expect_dirs((struct state_dir[]){ { 0, 040750 }, { 0, 040755 }, { 0, 040755 },
					  { 0, 040755 } }, 4, 4, NULL);
	/* The hostile tester's case: a good sub in a 0777 grandparent. */
	expect_dirs((struct state_dir[]){ { 0, 040755 }, { 0, 040777 }, { 0, 040755 } }, 3, 1,
		    "writable");
	/* Group-writable above, sticky but not root's, sticky yet writable
	 * in the holding directory itself: all refused. */
	expect_dirs((struct state_dir[]){ { 0, 040700 }, { 0, 040775 }, { 0, 040755 } }, 3, 1,
		    "writable");
	expect_dirs((struct state_dir[]){ { 0, 040700 }, { 1000, 041777 }, { 0, 040755 } }, 3, 1,
		    NULL);
	expect_dirs((struct state_dir[]){ { 0, 041777 }, { 0, 040755 } }, 2, 0, "writable");
	/* Another user's directory anywhere on the way. */
	expect_dirs((struct state_dir[]){ { 0, 040700 }, { 0, 040755 }, { 1000, 040755 } }, 3, 2,
		    "owned by another user");
	expect_dirs((struct state_dir[]){ { 1000, 040700 }, { 0, 040755 } }, 2, 0,
		    "owned by another user");
	/* / itself is checked. */
	expect_dirs((struct state_dir[]){ { 0, 040700 }, { 0, 040777 } }, 2, 1, "writable");
	expect_dirs((struct state_dir[]){ { 0, 040700 } }, 1, 1, NULL);
}

/* On real directories: a grandparent others may write fails the file, also
 * through a symbolic link, and no new state file is written under it. */
static void test_load_refuses_open_ancestor(void **state)
{
	const char *dir = *state;
	char top[128], sub[140], path[160], alias[160], via[180];
	struct state_entry one = entry("192.0.2.26", NULL, true, REASON_AUTO, 1, 21, 3, 10, 20, 0);
	struct error e = { "" };
	struct stat st;
	struct state_entry *v;
	size_t n;

	snprintf(top, sizeof(top), "%s/sd2", dir);
	snprintf(sub, sizeof(sub), "%s/sub", top);
	snprintf(path, sizeof(path), "%s/st", sub);
	snprintf(alias, sizeof(alias), "%s/alias", dir);
	snprintf(via, sizeof(via), "%s/st", alias);
	assert_int_equal(mkdir(top, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(path, HDR GOOD("192.0.2.25"));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(symlink(sub, alias), 0);
	v = load_ok(via, &n);
	assert_int_equal(n, 1);
	free(v);

	assert_int_equal(chmod(top, 0777), 0);
	expect_refused(path, "the directory");
	expect_refused(path, top);
	expect_refused(via, top);	/* the real path is checked */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(state_save(path, &one, 1, &e), STATE_REFUSED);
	assert_non_null(strstr(e.msg, top));
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);

	/* Sticky and root's: nobody can rename sub, so it is trusted. */
	if (geteuid() == 0) {
		assert_int_equal(chmod(top, 01777), 0);
		save_ok(path, &one, 1);
		v = load_ok(path, &n);
		assert_int_equal(n, 1);
		free(v);
	} else {
		print_message("sticky case skipped: not root\n");
	}
	assert_int_equal(chmod(top, 0755), 0);
}

/* ---- state_move_aside ---------------------------------------------------- */

static void check_aside_name(const char *path, const char *newpath, time_t before, time_t after)
{
	char prefix[160];
	const char *stamp;
	struct tm tm;
	const char *end;
	time_t t;

	snprintf(prefix, sizeof(prefix), "%s.corrupt-", path);
	if (strncmp(newpath, prefix, strlen(prefix)) != 0)
		fail_msg("new name %s does not start with %s", newpath, prefix);
	stamp = newpath + strlen(prefix);
	/* YYYYMMDDTHHMMSS, possibly followed by -N. */
	for (int i = 0; i < 15; i++)
		if (i == 8 ? stamp[i] != 'T' : (stamp[i] < '0' || stamp[i] > '9'))
			fail_msg("bad time stamp in %s", newpath);
	memset(&tm, 0, sizeof(tm));
	end = strptime(stamp, "%Y%m%dT%H%M%S", &tm);
	assert_non_null(end);
	assert_true(*end == '\0' || *end == '-');
	t = timegm(&tm);
	/* UTC: within the seconds the call took, whatever the local zone. */
	if (t < before || t > after)
		fail_msg("time stamp of %s is %lld, want %lld..%lld", newpath, (long long)t,
			 (long long)before, (long long)after);
}

static void test_move_aside(void **state)
{
	const char *dir = *state;
	char path[128];
	char aside1[256], aside2[256], tiny[16];
	time_t before, after;
	char *text;

	setenv("TZ", "NFL-5", 1);	/* a local zone 5 hours from UTC, no tzdata needed */
	tzset();
	snprintf(path, sizeof(path), "%s/state", dir);
	write_file(path, "# nflogd state 9\ngarbage\n");
	before = time(NULL);
	assert_int_equal(state_move_aside(path, "corrupt", aside1, sizeof(aside1)), 0);
	after = time(NULL);
	assert_false(exists(path));
	check_aside_name(path, aside1, before, after);
	text = read_file(aside1);
	assert_string_equal(text, "# nflogd state 9\ngarbage\n");
	free(text);

	/* A second one (likely the same second) does not replace the first. */
	write_file(path, "second\n");
	before = time(NULL);
	assert_int_equal(state_move_aside(path, "corrupt", aside2, sizeof(aside2)), 0);
	after = time(NULL);
	assert_false(exists(path));
	check_aside_name(path, aside2, before, after);
	assert_string_not_equal(aside1, aside2);
	text = read_file(aside1);
	assert_string_equal(text, "# nflogd state 9\ngarbage\n");
	free(text);
	text = read_file(aside2);
	assert_string_equal(text, "second\n");
	free(text);

	/* After the move the next load starts empty. */
	{
		struct state_entry *v;
		size_t n = 99;

		v = load_ok(path, &n);
		assert_null(v);
		assert_int_equal(n, 0);
	}

	/* No room for the new name: nothing moves. */
	write_file(path, "third\n");
	assert_int_equal(state_move_aside(path, "corrupt", tiny, sizeof(tiny)), -1);
	assert_true(exists(path));
	assert_int_equal(unlink(path), 0);

	/* Nothing to move. */
	assert_int_equal(state_move_aside(path, "corrupt", aside1, sizeof(aside1)), -1);
	assert_int_equal(errno, ENOENT);
	unsetenv("TZ");
	tzset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_many, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_extremes, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_save_format, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_save_empty, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_save_replaces, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_save_creates_dir, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_save_failure_keeps_old, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_load_missing, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_load_corrupt_names_file, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_parse_lenient_layout),
		cmocka_unit_test(test_parse_errors_header),
		cmocka_unit_test(test_parse_errors_entries),
		cmocka_unit_test(test_parse_errors_keys),
		cmocka_unit_test(test_parse_errors_duplicates),
		cmocka_unit_test(test_parse_errors_damage),
		cmocka_unit_test(test_parse_keeps_good_lines),
		cmocka_unit_test(test_parse_long_line_then_good),
		cmocka_unit_test(test_parse_ranges),
		cmocka_unit_test_setup_teardown(test_load_refuses_fifo, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_load_refuses_untrusted, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_dirs_untrusted),
		cmocka_unit_test_setup_teardown(test_load_refuses_open_ancestor, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_move_aside, tmpdir_setup, tmpdir_teardown),
	};

	/* Directory modes are checked against 0750 exactly, files are 0644. */
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
