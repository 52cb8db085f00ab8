/* Unit tests for leases.c: dnsmasq lease lines, host name hygiene, refresh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "leases.h"

#define DUID "duid 00:01:00:01:2c:5f:6a:7b:52:54:00:12:34:56\n"

/* ---- helpers ----------------------------------------------------------- */

static struct addr A(const char *s)
{
	struct addr a;

	if (addr_parse(s, &a) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return a;
}

/* Parse `len` bytes (NULs allowed) through a temporary file. */
static void parse_bytes(struct leases *l, const char *text, size_t len, size_t *bad)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	rewind(f);
	assert_int_equal(leases_parse(l, f, bad), 0);
	fclose(f);
}

static void parse_text(struct leases *l, const char *text, size_t *bad)
{
	parse_bytes(l, text, strlen(text), bad);
}

/* addr must have a lease with this MAC ("" for none) and host name. */
static void check_lease(const struct leases *l, const char *addr, const char *mac,
			const char *hostname)
{
	struct addr a = A(addr);
	const struct lease *le = leases_find(l, &a);
	char m[MAC_STRLEN];

	if (le == NULL)
		fail_msg("no lease for %s", addr);
	assert_true(addr_equal(&le->addr, &a));
	if (mac[0] == '\0' && le->has_mac)
		fail_msg("lease of %s has MAC %s, want none", addr, mac_format(&le->mac, m));
	if (mac[0] != '\0' && (!le->has_mac || strcmp(mac_format(&le->mac, m), mac) != 0))
		fail_msg("lease of %s: MAC %s, want %s", addr,
			 le->has_mac ? mac_format(&le->mac, m) : "(none)", mac);
	if (strcmp(le->hostname, hostname) != 0)
		fail_msg("lease of %s: host name \"%s\", want \"%s\"", addr, le->hostname,
			 hostname);
}

static void check_no_lease(const struct leases *l, const char *addr)
{
	struct addr a = A(addr);

	if (leases_find(l, &a) != NULL)
		fail_msg("unexpected lease for %s", addr);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void set_mtime(const char *path, time_t sec)
{
	struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };

	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* ---- parsing ------------------------------------------------------------- */

static void test_v4(void **state)
{
	struct leases l;
	size_t bad = 99;

	(void)state;
	leases_init(&l);
	parse_text(&l,
		   "1700000000 52:54:00:12:34:56 192.0.2.10 laptop 01:52:54:00:12:34:56\n"
		   "1700000100 52:54:00:AB:CD:EF 192.0.2.11 * *\n"
		   "0 52:54:00:00:00:01 198.51.100.7 printer.lan *\n"	/* infinite lease */
		   "1700000200 52:54:00:00:00:02 203.0.113.4 Old_Box-2\n",	/* no client id */
		   &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(l.n, 4);
	check_lease(&l, "192.0.2.10", "52:54:00:12:34:56", "laptop");
	check_lease(&l, "192.0.2.11", "52:54:00:ab:cd:ef", "");
	check_lease(&l, "198.51.100.7", "52:54:00:00:00:01", "printer.lan");
	check_lease(&l, "203.0.113.4", "52:54:00:00:00:02", "Old_Box-2");
	check_no_lease(&l, "::ffff:192.0.2.10");	/* IPv6, another host */
	check_no_lease(&l, "192.0.2.12");
	check_no_lease(&l, "192.0.2.1");
	check_no_lease(&l, "2001:db8::10");
	leases_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	check_no_lease(&l, "192.0.2.10");
	leases_free(&l);
}

static void test_v6_section(void **state)
{
	struct leases l;
	size_t bad = 99;

	(void)state;
	leases_init(&l);
	parse_text(&l,
		   "1700000000 52:54:00:12:34:56 192.0.2.10 laptop 01:52:54:00:12:34:56\n"
		   DUID
		   "1700000000 1234567 2001:db8::10 laptop 00:01:00:01:2c:5f:6a:7b:52:54:00:12:34:56\n"
		   "1700000300 T42 2001:db8::11 * *\n"
		   "1700000400 4294967295 2001:db8:1::abcd phone *\n",
		   &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(l.n, 4);
	check_lease(&l, "192.0.2.10", "52:54:00:12:34:56", "laptop");
	/* An IAID is no MAC. */
	check_lease(&l, "2001:db8::10", "", "laptop");
	check_lease(&l, "2001:db8::11", "", "");
	check_lease(&l, "2001:db8:1::abcd", "", "phone");
	check_no_lease(&l, "2001:db8::12");
	leases_free(&l);
}

/* Each line of the wrong shape is skipped and counted; the rest is kept. */
static void test_bad_lines(void **state)
{
	static const char text[] =
		"garbage\n"
		"1700000000 52:54:00:12:34:56 192.0.2.300 bad-ip *\n"
		"abc 52:54:00:12:34:56 192.0.2.2 bad-expiry *\n"
		"-5 52:54:00:12:34:56 192.0.2.2 bad-expiry *\n"
		"1700000000 52:54:00:12:34 192.0.2.2 short-mac *\n"
		"1700000000 zz-00 192.0.2.2 bad-hwaddr *\n"
		"1700000000 52:54:00:12:34:56 192.0.2.2\n"			/* too few */
		"1700000000 52:54:00:12:34:56 192.0.2.2 h * extra\n"		/* too many */
		"1700000000 52:54:00:12:34:56 2001:db8::1 v6-too-soon *\n"
		"1700000000 52:54:00:12:34:56 192.0.2.1 good1 *\n"
		"\n"								/* not counted */
		DUID
		"1700000000 52:54:00:12:34:56 192.0.2.3 v4-in-v6 *\n"
		"1700000000 x12 2001:db8::2 bad-iaid *\n"
		"1700000000 4294967296 2001:db8::2 big-iaid *\n"
		"1700000000 T 2001:db8::2 empty-iaid *\n"
		"1700000000 12 2001:db8::zz bad-ip6 *\n"
		"1700000000 12 2001:db8::5 good2 *\n"
		"agent-info 192.0.2.1 01:02:03\n"				/* not counted */
		"vendorclass 192.0.2.1 4d:53:46:54\n"				/* not counted */
		"1700000000 52:54:00:12:34:56";					/* cut short */
	struct leases l;
	size_t bad = 0;

	(void)state;
	leases_init(&l);
	parse_text(&l, text, &bad);
	assert_int_equal(bad, 15);
	assert_int_equal(l.n, 2);
	check_lease(&l, "192.0.2.1", "52:54:00:12:34:56", "good1");
	check_lease(&l, "2001:db8::5", "", "good2");
	check_no_lease(&l, "192.0.2.2");
	check_no_lease(&l, "192.0.2.3");
	check_no_lease(&l, "2001:db8::2");
	/* bad may be NULL. */
	parse_text(&l, text, NULL);
	assert_int_equal(l.n, 2);
	leases_free(&l);
}

/* A line too long for the buffer, or with a NUL, costs that line only. */
static void test_long_and_nul_lines(void **state)
{
	char *text = malloc(8192);
	struct leases l;
	size_t bad = 0, len;

	(void)state;
	assert_non_null(text);
	len = (size_t)sprintf(text, "1700000000 52:54:00:12:34:56 192.0.2.1 ");
	memset(text + len, 'a', 5000);
	len += 5000;
	len += (size_t)sprintf(text + len, " *\n"
			       "1700000000 52:54:00:12:34:57 192.0.2.2 after-long *\n"
			       "1700000000 52:54:00:12:34:58 192.0.2.3 n");
	text[len++] = '\0';
	len += (size_t)sprintf(text + len, "ul *\n"
			       "1700000000 52:54:00:12:34:59 192.0.2.4 after-nul *\n");
	leases_init(&l);
	parse_bytes(&l, text, len, &bad);
	assert_int_equal(bad, 2);
	assert_int_equal(l.n, 2);
	check_no_lease(&l, "192.0.2.1");
	check_lease(&l, "192.0.2.2", "52:54:00:12:34:57", "after-long");
	check_no_lease(&l, "192.0.2.3");
	check_lease(&l, "192.0.2.4", "52:54:00:12:34:59", "after-nul");
	leases_free(&l);
	free(text);
}

/* dnsmasq writes other hardware types as "TT-xx:xx...": a lease, no MAC. */
static void test_other_hwaddr(void **state)
{
	struct leases l;
	size_t bad = 99;

	(void)state;
	leases_init(&l);
	parse_text(&l,
		   "1700000000 20-80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:a1:b2:c3 "
		   "192.0.2.20 ib-host *\n"
		   "1700000000 00- 192.0.2.21 no-hwaddr *\n"
		   "1700000000 06-00:11:22:33:44:55 192.0.2.22 token-ring *\n",
		   &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(l.n, 3);
	check_lease(&l, "192.0.2.20", "", "ib-host");
	check_lease(&l, "192.0.2.21", "", "no-hwaddr");
	check_lease(&l, "192.0.2.22", "", "token-ring");
	leases_free(&l);
}

/* Host names go into logs and JSON: only [A-Za-z0-9._-], at most 63. */
static void test_hostile_hostnames(void **state)
{
	char text[2048], longname[101], want63[64];
	struct leases l;
	size_t bad = 99, len = 0;

	(void)state;
	memset(longname, 'a', 100);
	longname[100] = '\0';
	memset(want63, 'a', 63);
	want63[63] = '\0';
	len += (size_t)snprintf(text + len, sizeof(text) - len,
				"1 52:54:00:00:00:01 192.0.2.1 a\"b\\c{d}<e>'f' *\n"
				"1 52:54:00:00:00:02 192.0.2.2 \x1b[31mred\x1b[0m *\n"
				"1 52:54:00:00:00:03 192.0.2.3 %%s%%n$(rm) *\n"
				"1 52:54:00:00:00:04 192.0.2.4 \xe6\x97\xa5\xe6\x9c\xac *\n"
				"1 52:54:00:00:00:05 192.0.2.5 %s *\n"
				"1 52:54:00:00:00:06 192.0.2.6 x,y;z|w&v *\n"
				"1 52:54:00:00:00:07 192.0.2.7 ok.host_name-1 *\n"
				"1 52:54:00:00:00:08 192.0.2.8 \x7f\x01\x02 *\n",
				longname);
	assert_true(len < sizeof(text));
	leases_init(&l);
	parse_text(&l, text, &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(l.n, 8);
	check_lease(&l, "192.0.2.1", "52:54:00:00:00:01", "abcdef");
	check_lease(&l, "192.0.2.2", "52:54:00:00:00:02", "31mred0m");
	check_lease(&l, "192.0.2.3", "52:54:00:00:00:03", "snrm");
	check_lease(&l, "192.0.2.4", "52:54:00:00:00:04", "");
	check_lease(&l, "192.0.2.5", "52:54:00:00:00:05", want63);
	check_lease(&l, "192.0.2.6", "52:54:00:00:00:06", "xyzwv");
	check_lease(&l, "192.0.2.7", "52:54:00:00:00:07", "ok.host_name-1");
	check_lease(&l, "192.0.2.8", "52:54:00:00:00:08", "");
	for (size_t i = 0; i < l.n; i++)
		assert_true(strlen(l.v[i].hostname) < sizeof(l.v[i].hostname));
	leases_free(&l);
}

/* An address listed twice keeps its last line; the table is sorted. */
static void test_duplicates_and_order(void **state)
{
	struct leases l;
	size_t bad = 99;

	(void)state;
	leases_init(&l);
	parse_text(&l,
		   "1 52:54:00:00:00:01 203.0.113.9 first *\n"
		   "1 52:54:00:00:00:02 192.0.2.1 one *\n"
		   "1 52:54:00:00:00:03 203.0.113.9 second *\n"
		   "1 52:54:00:00:00:04 198.51.100.1 two *\n"
		   "1 52:54:00:00:00:05 203.0.113.9 third *\n"
		   DUID
		   "1 7 2001:db8::1 v6-first *\n"
		   "1 8 2001:db8::1 v6-second *\n",
		   &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(l.n, 4);
	check_lease(&l, "203.0.113.9", "52:54:00:00:00:05", "third");
	check_lease(&l, "2001:db8::1", "", "v6-second");
	for (size_t i = 1; i < l.n; i++)
		assert_true(addr_cmp(&l.v[i - 1].addr, &l.v[i].addr) < 0);
	leases_free(&l);
}

/* A parse replaces the table whole. */
static void test_parse_replaces(void **state)
{
	struct leases l;

	(void)state;
	leases_init(&l);
	parse_text(&l, "1 52:54:00:00:00:01 192.0.2.1 old *\n"
		       "1 52:54:00:00:00:02 192.0.2.2 old2 *\n", NULL);
	assert_int_equal(l.n, 2);
	parse_text(&l, "1 52:54:00:00:00:03 192.0.2.3 new *\n", NULL);
	assert_int_equal(l.n, 1);
	check_no_lease(&l, "192.0.2.1");
	check_lease(&l, "192.0.2.3", "52:54:00:00:00:03", "new");
	parse_text(&l, "", NULL);
	assert_int_equal(l.n, 0);
	check_no_lease(&l, "192.0.2.3");
	leases_free(&l);
}

/* Enough leases to grow the table many times; every one is found. */
static void test_many(void **state)
{
	enum { NV4 = 250, NV6 = 1500 };
	char *text = malloc((NV4 + NV6) * 96 + 128), addr[64], name[32];
	struct leases l;
	size_t len = 0, bad = 99;

	(void)state;
	assert_non_null(text);
	for (unsigned i = 0; i < NV4; i++)
		len += (size_t)sprintf(text + len, "1700000000 52:54:00:00:%02x:%02x 198.51.100.%u "
				       "v4-%u *\n", i >> 8, i & 0xff, i, i);
	len += (size_t)sprintf(text + len, DUID);
	for (unsigned i = 0; i < NV6; i++)
		len += (size_t)sprintf(text + len, "1700000000 %u 2001:db8::%x v6-%u *\n",
				       i, i + 1, i);
	leases_init(&l);
	parse_text(&l, text, &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(l.n, NV4 + NV6);
	for (unsigned i = 0; i < NV4; i++) {
		char mac[MAC_STRLEN];

		snprintf(addr, sizeof(addr), "198.51.100.%u", i);
		snprintf(mac, sizeof(mac), "52:54:00:00:%02x:%02x", i >> 8, i & 0xff);
		snprintf(name, sizeof(name), "v4-%u", i);
		check_lease(&l, addr, mac, name);
	}
	for (unsigned i = 0; i < NV6; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x", i + 1);
		snprintf(name, sizeof(name), "v6-%u", i);
		check_lease(&l, addr, "", name);
	}
	check_no_lease(&l, "198.51.100.250");
	check_no_lease(&l, "2001:db8::");
	check_no_lease(&l, "2001:db8::5dd");	/* 1501 */
	leases_free(&l);
	free(text);
}

/* ---- leases_refresh ------------------------------------------------------ */

#define LEASE_ALPHA "1700000000 52:54:00:12:34:56 192.0.2.10 alpha *\n"
#define LEASE_BRAVO "1700000000 52:54:00:12:34:56 192.0.2.10 bravo *\n"
#define LEASE_DELTA "1700000000 52:54:00:12:34:56 192.0.2.10 delta *\n"
#define LEASE_ECHOS "1700000000 52:54:00:12:34:56 192.0.2.10 echos *\n"

static void test_refresh(void **state)
{
	const char *dir = *state;
	char path[128], tmp[140];
	struct leases l;

	snprintf(path, sizeof(path), "%s/dnsmasq.leases", dir);
	snprintf(tmp, sizeof(tmp), "%s/new", dir);
	leases_init(&l);

	/* No file: an empty table, quietly. */
	leases_refresh(&l, path, 1000);
	assert_int_equal(l.n, 0);

	/* The file appears, but this second has been checked already. */
	write_file(path, LEASE_ALPHA);
	set_mtime(path, 1600000000);
	leases_refresh(&l, path, 1000);
	assert_int_equal(l.n, 0);
	leases_refresh(&l, path, 1001);
	assert_int_equal(l.n, 1);
	check_lease(&l, "192.0.2.10", "52:54:00:12:34:56", "alpha");

	/* Rewritten in place, same size, new mtime: read again next second. */
	write_file(path, LEASE_BRAVO);
	set_mtime(path, 1600000100);
	leases_refresh(&l, path, 1001);
	check_lease(&l, "192.0.2.10", "52:54:00:12:34:56", "alpha");
	leases_refresh(&l, path, 1002);
	check_lease(&l, "192.0.2.10", "52:54:00:12:34:56", "bravo");

	/* Same inode, size and mtime: not read again (the cache is real). */
	write_file(path, LEASE_DELTA);
	set_mtime(path, 1600000100);
	leases_refresh(&l, path, 1003);
	check_lease(&l, "192.0.2.10", "52:54:00:12:34:56", "bravo");

	/* Only the size differs. */
	write_file(path, LEASE_DELTA "1700000000 52:54:00:00:00:01 192.0.2.11 x *\n");
	set_mtime(path, 1600000100);
	leases_refresh(&l, path, 1004);
	check_lease(&l, "192.0.2.10", "52:54:00:12:34:56", "delta");
	check_lease(&l, "192.0.2.11", "52:54:00:00:00:01", "x");

	/* Only the inode differs: renamed over, same size and mtime. */
	write_file(path, LEASE_DELTA);
	set_mtime(path, 1600000100);
	leases_refresh(&l, path, 1005);
	check_lease(&l, "192.0.2.10", "52:54:00:12:34:56", "delta");
	write_file(tmp, LEASE_ECHOS);
	set_mtime(tmp, 1600000100);
	assert_int_equal(rename(tmp, path), 0);
	leases_refresh(&l, path, 1006);
	check_lease(&l, "192.0.2.10", "52:54:00:12:34:56", "echos");

	/* Deleted: empty; back again: read again. */
	assert_int_equal(unlink(path), 0);
	leases_refresh(&l, path, 1007);
	assert_int_equal(l.n, 0);
	check_no_lease(&l, "192.0.2.10");
	write_file(path, LEASE_ALPHA);
	set_mtime(path, 1600000000);	/* the very first identity again */
	leases_refresh(&l, path, 1008);
	check_lease(&l, "192.0.2.10", "52:54:00:12:34:56", "alpha");

	leases_free(&l);
	assert_int_equal(unlink(path), 0);
}

/* Not a regular file, or too big: empty, and nothing may hang the daemon. */
static void test_refresh_not_a_file(void **state)
{
	const char *dir = *state;
	char path[128];
	struct leases l;

	snprintf(path, sizeof(path), "%s/dnsmasq.leases", dir);
	leases_init(&l);
	write_file(path, LEASE_ALPHA);
	leases_refresh(&l, path, 1);
	assert_int_equal(l.n, 1);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	leases_refresh(&l, path, 2);
	assert_int_equal(l.n, 0);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(mkdir(path, 0700), 0);
	leases_refresh(&l, path, 3);
	assert_int_equal(l.n, 0);
	assert_int_equal(rmdir(path), 0);

	/* A device that never ends: refused before reading (else alarm() ends
	 * the test instead of letting it hang). */
	write_file(path, LEASE_ALPHA);
	leases_refresh(&l, path, 4);
	assert_int_equal(l.n, 1);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/dev/zero", path), 0);
	alarm(10);
	leases_refresh(&l, path, 5);
	alarm(0);
	assert_int_equal(l.n, 0);
	assert_int_equal(unlink(path), 0);

	/* Larger than any lease file: not read. */
	write_file(path, LEASE_ALPHA);
	assert_int_equal(truncate(path, LEASES_MAX_BYTES + 1), 0);
	leases_refresh(&l, path, 6);
	assert_int_equal(l.n, 0);
	assert_int_equal(truncate(path, LEASES_MAX_BYTES), 0);
	leases_refresh(&l, path, 7);
	assert_int_equal(l.n, 1);
	assert_int_equal(unlink(path), 0);

	leases_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v6_section),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_long_and_nul_lines),
		cmocka_unit_test(test_other_hwaddr),
		cmocka_unit_test(test_hostile_hostnames),
		cmocka_unit_test(test_duplicates_and_order),
		cmocka_unit_test(test_parse_replaces),
		cmocka_unit_test(test_many),
		cmocka_unit_test_setup_teardown(test_refresh, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_refresh_not_a_file, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
