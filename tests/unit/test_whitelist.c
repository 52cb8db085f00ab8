/* Unit tests for whitelist.c: parsing, lookups, merged kernel ranges. */
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

#include "addr.h"
#include "whitelist.h"

#define NAME "wl.test"

/* ---- helpers ----------------------------------------------------------- */

static int parse_text(struct whitelist *wl, const char *text, struct error *err)
{
	FILE *f = text_stream(text);
	int rc = whitelist_parse(wl, f, NAME, err);

	fclose(f);
	return rc;
}

static void parse_ok(struct whitelist *wl, const char *text)
{
	struct error e = { "" };
	const char *err = e.msg;

	if (parse_text(wl, text, &e) != 0)
		fail_msg("whitelist_parse refused:\n%s\nwith: %s", text, err);
}

static struct addr A(const char *s)
{
	struct addr a;

	if (addr_parse(s, &a) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return a;
}

static struct mac M(const char *s)
{
	struct mac m;

	if (mac_parse(s, &m) != 0)
		fail_msg("mac_parse(\"%s\") failed", s);
	return m;
}

static void check_covers(const struct whitelist *wl, const char *addr, bool want)
{
	struct addr a = A(addr);

	if (whitelist_covers_addr(wl, &a) != want)
		fail_msg("whitelist_covers_addr(%s) should be %s", addr,
			 want ? "true" : "false");
}

static void check_covers_mac(const struct whitelist *wl, const char *mac, bool want)
{
	struct mac m = M(mac);

	if (whitelist_covers_mac(wl, &m) != want)
		fail_msg("whitelist_covers_mac(%s) should be %s", mac,
			 want ? "true" : "false");
}

/* Parse `text`, take the ranges of one family and compare them with `want`,
 * a list of "first-last" strings. */
static void check_ranges(const char *text, bool v4, const char *const *want, size_t nwant)
{
	struct whitelist wl;
	struct addr_range *out;
	size_t n;

	parse_ok(&wl, text);
	/* Room for nnets, plus a guard element that must stay untouched. */
	out = calloc(wl.nnets + 1, sizeof(*out));
	assert_non_null(out);
	memset(out, 0xa5, (wl.nnets + 1) * sizeof(*out));
	n = whitelist_ranges(&wl, v4, out);

	{
		struct addr_range guard;

		memset(&guard, 0xa5, sizeof(guard));
		assert_memory_equal(&out[wl.nnets], &guard, sizeof(guard));
	}
	if (n != nwant) {
		char b1[ADDR_STRLEN], b2[ADDR_STRLEN];

		for (size_t i = 0; i < n && i < wl.nnets; i++)
			print_message("  got %s-%s\n", addr_format(&out[i].first, b1),
				      addr_format(&out[i].last, b2));
		fail_msg("whitelist_ranges(v4=%d) gave %zu ranges, want %zu, for:\n%s",
			 v4, n, nwant, text);
	}
	for (size_t i = 0; i < n; i++) {
		char range[2 * ADDR_STRLEN + 2], b1[ADDR_STRLEN], b2[ADDR_STRLEN];

		snprintf(range, sizeof(range), "%s-%s", addr_format(&out[i].first, b1),
			 addr_format(&out[i].last, b2));
		if (strcmp(range, want[i]) != 0)
			fail_msg("range %zu is %s, want %s, for:\n%s", i, range, want[i], text);
		/* Each range is of the family asked for. */
		assert_int_equal(addr_is_v4(&out[i].first), v4);
		assert_int_equal(addr_is_v4(&out[i].last), v4);
	}
	free(out);
	whitelist_free(&wl);
}

#define RANGES(text, v4, ...)                                                   \
	do {                                                                    \
		static const char *const want_[] = { __VA_ARGS__ };             \
		check_ranges(text, v4, want_, sizeof(want_) / sizeof(want_[0])); \
	} while (0)

#define NO_RANGES(text, v4) check_ranges(text, v4, NULL, 0)

/* ---- parsing ------------------------------------------------------------- */

static const char sample[] =
	"# nflogd whitelist\n"
	"\n"
	"192.0.2.10\n"
	"198.51.100.0/24   # the office\n"
	"   \t\n"
	"2001:db8:1::/48\n"
	"52:54:00:12:34:56 # BYOD laptop\n"
	"  203.0.113.5  \n"
	"\t2001:db8::25\t# mail server\n"
	"AA-BB-CC-DD-EE-0F\n"
	"#192.0.2.99\n"
	"    # indented comment\n"
	"203.0.113.128/25#no space before the hash\n";

static void test_parse_entries(void **state)
{
	struct whitelist wl;
	char buf[CIDR_STRLEN], mbuf[MAC_STRLEN];

	(void)state;
	parse_ok(&wl, sample);
	assert_int_equal(wl.nnets, 6);
	assert_int_equal(wl.nmacs, 2);

	/* Entries are kept in file order. */
	assert_string_equal(cidr_format(&wl.nets[0], buf), "192.0.2.10/32");
	assert_string_equal(cidr_format(&wl.nets[1], buf), "198.51.100.0/24");
	assert_string_equal(cidr_format(&wl.nets[2], buf), "2001:db8:1::/48");
	assert_string_equal(cidr_format(&wl.nets[3], buf), "203.0.113.5/32");
	assert_string_equal(cidr_format(&wl.nets[4], buf), "2001:db8::25/128");
	assert_string_equal(cidr_format(&wl.nets[5], buf), "203.0.113.128/25");
	assert_string_equal(mac_format(&wl.macs[0], mbuf), "52:54:00:12:34:56");
	assert_string_equal(mac_format(&wl.macs[1], mbuf), "aa:bb:cc:dd:ee:0f");
	whitelist_free(&wl);
	assert_int_equal(wl.nnets, 0);
	assert_int_equal(wl.nmacs, 0);
	assert_null(wl.nets);
	assert_null(wl.macs);
}

static void test_parse_empty(void **state)
{
	static const char *const texts[] = {
		"", "\n", "# only a comment\n", "\n\n  \t\n# a\n#b\n", "   # x",
	};
	struct whitelist wl;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		parse_ok(&wl, texts[i]);
		assert_int_equal(wl.nnets, 0);
		assert_int_equal(wl.nmacs, 0);
		whitelist_free(&wl);
	}
}

static void test_parse_many_entries(void **state)
{
	/* Enough entries to make the arrays grow several times. */
	char text[64 * 40];
	size_t used = 0;
	struct whitelist wl;

	(void)state;
	for (unsigned i = 0; i < 40; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "192.0.2.%u\n52:54:00:00:00:%02x\n", i, i);
	parse_ok(&wl, text);
	assert_int_equal(wl.nnets, 40);
	assert_int_equal(wl.nmacs, 40);
	for (unsigned i = 0; i < 40; i++) {
		char a[32], m[32];

		snprintf(a, sizeof(a), "192.0.2.%u", i);
		snprintf(m, sizeof(m), "52:54:00:00:00:%02x", i);
		check_covers(&wl, a, true);
		check_covers_mac(&wl, m, true);
	}
	check_covers(&wl, "192.0.2.40", false);
	check_covers_mac(&wl, "52:54:00:00:00:28", false);	/* 0x28 = 40 */
	whitelist_free(&wl);
}

/* LEN bytes of TEXT (NULs allowed) through whitelist_parse. */
static int parse_bytes(struct whitelist *wl, const char *text, size_t len, struct error *err)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int rc;

	assert_non_null(f);
	rc = whitelist_parse(wl, f, NAME, err);
	fclose(f);
	return rc;
}

static void expect_parse_error_bytes(const char *text, size_t len, unsigned line,
				     const char *needle)
{
	struct whitelist wl;
	struct error e = { "" };
	const char *err = e.msg;
	char prefix[64];

	memset(&wl, 0xa5, sizeof(wl));
	if (parse_bytes(&wl, text, len, &e) != -1)
		fail_msg("whitelist_parse accepted:\n%s", text);
	snprintf(prefix, sizeof(prefix), NAME ":%u: ", line);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, prefix);
	if (strlen(err) <= strlen(prefix))
		fail_msg("error \"%s\" has no message", err);
	if (needle && strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
	/* The list is left empty (and freeing it again is harmless). */
	assert_int_equal(wl.nnets, 0);
	assert_int_equal(wl.nmacs, 0);
	assert_null(wl.nets);
	assert_null(wl.macs);
	whitelist_free(&wl);
}

static void expect_parse_error(const char *text, unsigned line, const char *needle)
{
	expect_parse_error_bytes(text, strlen(text), line, needle);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_parse_error("not-an-address\n", 1, "not-an-address");
	expect_parse_error("192.0.2.1\n198.51.100.0/24\n# c\n\n192.0.2.300\n", 5,
			   "192.0.2.300");
	/* Entries already read (nets and MACs) are dropped. */
	expect_parse_error("192.0.2.1\n52:54:00:12:34:56\n2001:db8::/32\n"
			   "52:54:00:12:34:57\nbogus # comment\n", 5, "bogus");
	expect_parse_error("# header\n192.0.2.1/24\n", 2, "192.0.2.1/24");	/* host bits */
	expect_parse_error("192.0.2.0/33\n", 1, NULL);
	expect_parse_error("2001:db8::/129\n", 1, NULL);
	expect_parse_error("192.0.2.1 198.51.100.1\n", 1, NULL);	/* two on a line */
	expect_parse_error("192.0.2.1, 198.51.100.1\n", 1, NULL);
	expect_parse_error("52:54:00:12:34\n", 1, NULL);
	expect_parse_error("52:54:00:12:34:5g\n", 1, NULL);
	expect_parse_error("192.0.2.1\n\n\n\n\n\n\n\n\n/24\n", 10, NULL);
}

/* The whole of a family, and IPv6 entries overlapping ::ffff:0:0/96 (whose
 * text looks like IPv4 but whose set is allow6), are refused by line. */
static void test_parse_refused(void **state)
{
	static const char *const refused[] = {
		"0.0.0.0/0", "::/0", "::/64", "::/80", "::ffff:0:0/96",
		"::ffff:192.0.2.0/120", "::ffff:192.0.2.30", "::fffe:0:0/95",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char text[128];
		struct cidr net;
		struct mac mac;
		bool is_mac;

		snprintf(text, sizeof(text), "192.0.2.1\n# c\n%s  # mine\n", refused[i]);
		expect_parse_error(text, 3, refused[i]);
		assert_int_equal(whitelist_parse_entry(refused[i], &net, &mac, &is_mac), 0);
		assert_non_null(whitelist_entry_refused(&net));
	}
	/* Wide but within one family and clear of the mapped range: taken. */
	{
		static const char *const taken[] = {
			"0.0.0.0/1", "128.0.0.0/1", "8000::/1", "::1", "::/96", "::1:0:0:0/80",
			"::fffe:0:0/96", "::1:0:0/96", "2001:db8::/32", "10.0.0.0/8",
		};

		for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
			struct cidr net;
			struct mac mac;
			bool is_mac;

			assert_int_equal(whitelist_parse_entry(taken[i], &net, &mac, &is_mac), 0);
			if (whitelist_entry_refused(&net) != NULL)
				fail_msg("%s refused: %s", taken[i], whitelist_entry_refused(&net));
		}
	}
}

/* An IPv4 entry never covers an IPv6 address of the mapped range, nor an
 * IPv6 entry an IPv4 address, with or without the index (a list built by
 * hand, as the kernel's sets would hold it). */
static void test_covers_families_apart(void **state)
{
	struct whitelist wl;
	struct cidr nets[2];

	(void)state;
	parse_ok(&wl, "192.0.2.0/24\n2001:db8::/32\n");
	check_covers(&wl, "192.0.2.30", true);
	check_covers(&wl, "::ffff:192.0.2.30", false);
	check_covers(&wl, "::ffff:c000:21e", false);
	whitelist_free(&wl);

	whitelist_init(&wl);
	assert_int_equal(cidr_parse("::/64", &nets[0]), 0);
	assert_int_equal(cidr_parse("192.0.2.0/24", &nets[1]), 0);
	wl.nets = nets;
	wl.nnets = 2;
	check_covers(&wl, "192.0.2.30", true);
	check_covers(&wl, "198.51.100.1", false);	/* ::/64 does not hold IPv4 */
	check_covers(&wl, "::ffff:198.51.100.1", true);
	check_covers(&wl, "::ffff:192.0.2.30", true);
	wl.nnets = 1;
	check_covers(&wl, "192.0.2.30", false);
}

static void test_parse_error_long_line(void **state)
{
	char text[1200];

	(void)state;
	snprintf(text, sizeof(text), "192.0.2.1\n");
	memset(text + strlen(text), '1', 1000);
	text[10 + 1000] = '\0';
	strcat(text, "\n");
	expect_parse_error(text, 2, NULL);
}

/* A NUL byte is named as such, wherever it is on the line: string
 * functions stop at it, so it must not be read as the line's end. */
static void test_parse_error_nul_byte(void **state)
{
	static const char in_comment[] = "192.0.2.1\n192.0.2.60 # nul\0x\n";
	static const char in_entry[] = "192.0.2.1\n\n192.0.2\0.60\n198.51.100.1\n";
	static const char last_no_newline[] = "192.0.2.1\n\0";

	(void)state;
	expect_parse_error_bytes(in_comment, sizeof(in_comment) - 1, 2, "NUL byte");
	expect_parse_error_bytes(in_entry, sizeof(in_entry) - 1, 3, "NUL byte");
	expect_parse_error_bytes(last_no_newline, sizeof(last_no_newline) - 1, 2, "NUL byte");
}

/* The longest line read is 510 bytes and its newline, as before. */
static void test_parse_line_length_limit(void **state)
{
	char text[600];
	struct whitelist wl;
	size_t len = (size_t)snprintf(text, sizeof(text), "192.0.2.1 #");

	(void)state;
	memset(text + len, 'c', 510 - len);
	text[510] = '\0';
	strcat(text, "\n");
	parse_ok(&wl, text);
	assert_int_equal(wl.nnets, 1);
	whitelist_free(&wl);

	text[510] = 'c';
	text[511] = '\0';
	strcat(text, "\n");
	expect_parse_error(text, 1, "too long");
	text[511] = '\0';		/* the same without the newline */
	expect_parse_error(text, 1, "too long");
}

static void test_parse_no_final_newline(void **state)
{
	struct whitelist wl;

	(void)state;
	parse_ok(&wl, "192.0.2.1\n198.51.100.7");
	assert_int_equal(wl.nnets, 2);
	check_covers(&wl, "198.51.100.7", true);
	whitelist_free(&wl);

	parse_ok(&wl, "192.0.2.1\r\n52:54:00:12:34:56\r\n");	/* CRLF */
	assert_int_equal(wl.nnets, 1);
	assert_int_equal(wl.nmacs, 1);
	whitelist_free(&wl);
}

static void test_parse_entry(void **state)
{
	struct cidr net;
	struct mac mac;
	bool is_mac = false;

	(void)state;
	assert_int_equal(whitelist_parse_entry("52:54:00:12:34:56", &net, &mac, &is_mac), 0);
	assert_true(is_mac);
	assert_int_equal(whitelist_parse_entry("192.0.2.0/24", &net, &mac, &is_mac), 0);
	assert_false(is_mac);
	assert_int_equal(net.prefix, 120);
	is_mac = true;
	assert_int_equal(whitelist_parse_entry("2001:db8::1", &net, &mac, &is_mac), 0);
	assert_false(is_mac);
	assert_int_equal(net.prefix, 128);
	assert_int_equal(whitelist_parse_entry("", &net, &mac, &is_mac), -1);
	assert_int_equal(whitelist_parse_entry("nope", &net, &mac, &is_mac), -1);
}

/* ---- lookups ------------------------------------------------------------- */

static void test_covers_addr(void **state)
{
	struct whitelist wl;

	(void)state;
	parse_ok(&wl, sample);
	check_covers(&wl, "192.0.2.10", true);
	check_covers(&wl, "192.0.2.11", false);
	check_covers(&wl, "192.0.2.9", false);
	check_covers(&wl, "198.51.100.0", true);
	check_covers(&wl, "198.51.100.255", true);
	check_covers(&wl, "198.51.101.0", false);
	check_covers(&wl, "198.51.99.255", false);
	check_covers(&wl, "203.0.113.5", true);
	check_covers(&wl, "203.0.113.127", false);
	check_covers(&wl, "203.0.113.128", true);
	check_covers(&wl, "203.0.113.255", true);
	check_covers(&wl, "::ffff:198.51.100.9", false);	/* IPv6, not 198.51.100.9 */
	check_covers(&wl, "2001:db8:1::", true);
	check_covers(&wl, "2001:db8:1:ffff:ffff:ffff:ffff:ffff", true);
	check_covers(&wl, "2001:db8:2::", false);
	check_covers(&wl, "2001:db8::25", true);
	check_covers(&wl, "2001:db8::26", false);
	/* A v4-compatible address is not the IPv4 one. */
	check_covers(&wl, "::192.0.2.10", false);
	whitelist_free(&wl);

	/* Nothing is covered by an empty list. */
	whitelist_init(&wl);
	check_covers(&wl, "192.0.2.10", false);
	check_covers_mac(&wl, "52:54:00:12:34:56", false);
	whitelist_free(&wl);

	/* All of IPv4 (a /0 is refused, not its halves) and no IPv6. */
	parse_ok(&wl, "0.0.0.0/1\n128.0.0.0/1\n");
	check_covers(&wl, "0.0.0.0", true);
	check_covers(&wl, "255.255.255.255", true);
	check_covers(&wl, "2001:db8::1", false);
	check_covers(&wl, "::ffff:192.0.2.1", false);
	check_covers(&wl, "::", false);
	whitelist_free(&wl);
}

static void test_covers_mac(void **state)
{
	struct whitelist wl;

	(void)state;
	parse_ok(&wl, sample);
	check_covers_mac(&wl, "52:54:00:12:34:56", true);
	check_covers_mac(&wl, "52-54-00-12-34-56", true);
	check_covers_mac(&wl, "aa:bb:cc:dd:ee:0f", true);	/* written upper case */
	check_covers_mac(&wl, "52:54:00:12:34:57", false);
	check_covers_mac(&wl, "53:54:00:12:34:56", false);
	check_covers_mac(&wl, "aa:bb:cc:dd:ee:f0", false);
	whitelist_free(&wl);
}

/* The index (binary search over merged ranges, sorted MACs) against a scan
 * of the entries as written: random whitelists of overlapping and nested
 * CIDRs of both families, probed at random and at every range's edges. */
static bool covered_by_scan(const struct whitelist *wl, const struct addr *a)
{
	for (size_t i = 0; i < wl->nnets; i++)
		if (cidr_contains(&wl->nets[i], a))
			return true;
	return false;
}

static struct addr random_addr(uint64_t *rng)
{
	struct addr a;
	uint64_t r = xorshift(rng);

	if (r % 2) {	/* IPv4, clustered in 198.51.100.0/22 so entries overlap */
		uint8_t b[4] = { 198, 51, (uint8_t)(100 + (r >> 8) % 4), (uint8_t)(r >> 16) };

		addr_from_v4(&a, b);
	} else {	/* IPv6, clustered in 2001:db8::/32 */
		uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, (uint8_t)((r >> 8) % 3), 0, 0, 0,
				  0, 0, 0, 0, 0, 0, (uint8_t)((r >> 16) % 4), (uint8_t)(r >> 24) };

		addr_from_v6(&a, b);
	}
	return a;
}

static void test_index_matches_scan(void **state)
{
	uint64_t rng = 0x1dea5;

	(void)state;
	for (int round = 0; round < 200; round++) {
		char text[8192];
		size_t used = 0;
		int n = 1 + (int)(xorshift(&rng) % 40);
		struct whitelist wl;

		for (int i = 0; i < n; i++) {
			struct addr a = random_addr(&rng);
			char buf[ADDR_STRLEN];
			unsigned prefix = addr_is_v4(&a) ? 116 + (unsigned)(xorshift(&rng) % 13)
							: 100 + (unsigned)(xorshift(&rng) % 29);

			/* Host bits cleared, so the entry parses. */
			for (unsigned bit = prefix; bit < 128; bit++)
				a.b[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
			used += (size_t)snprintf(text + used, sizeof(text) - used, "%s/%u\n",
						 addr_format(&a, buf),
						 addr_is_v4(&a) ? prefix - 96 : prefix);
		}
		parse_ok(&wl, text);
		assert_non_null(wl.ranges);
		for (int k = 0; k < 2000; k++) {
			struct addr a = random_addr(&rng);

			assert_int_equal(whitelist_covers_addr(&wl, &a), covered_by_scan(&wl, &a));
		}
		for (size_t r = 0; r < wl.nranges; r++) {
			struct addr edge[4] = { wl.ranges[r].first, wl.ranges[r].first,
						wl.ranges[r].last, wl.ranges[r].last };
			int i;

			/* first - 1 and last + 1 (when they exist) */
			for (i = 15; i >= 0 && edge[1].b[i]-- == 0; i--)
				;
			for (i = 15; i >= 0 && ++edge[3].b[i] == 0; i--)
				;
			for (int e = 0; e < 4; e++)
				assert_int_equal(whitelist_covers_addr(&wl, &edge[e]),
						 covered_by_scan(&wl, &edge[e]));
		}
		whitelist_free(&wl);
	}
}

static void test_index_macs(void **state)
{
	char text[64 * 24];
	size_t used = 0;
	struct whitelist wl;
	struct mac m[64];

	(void)state;
	for (int i = 0; i < 64; i++) {
		char buf[MAC_STRLEN];

		for (int j = 0; j < 6; j++)
			m[i].b[j] = (uint8_t)(i * 37 + j * 11 + (i % 3) * 90);
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s\n",
					 mac_format(&m[i], buf));
	}
	parse_ok(&wl, text);
	assert_non_null(wl.mac_keys);
	for (int i = 0; i < 64; i++) {
		struct mac other = m[i];

		bool listed = false;

		assert_true(whitelist_covers_mac(&wl, &m[i]));
		other.b[5] ^= 0x80;
		for (int j = 0; j < 64; j++)
			listed |= mac_equal(&m[j], &other);
		assert_int_equal(whitelist_covers_mac(&wl, &other), listed);
	}
	whitelist_free(&wl);
}

/* ---- whitelist_ranges ---------------------------------------------------- */

static void test_ranges_sorted(void **state)
{
	(void)state;
	RANGES("203.0.113.0/24\n192.0.2.10\n198.51.100.0/24\n192.0.2.200\n", true,
	       "192.0.2.10-192.0.2.10", "192.0.2.200-192.0.2.200",
	       "198.51.100.0-198.51.100.255", "203.0.113.0-203.0.113.255");
	RANGES("2001:db8:5::/48\n2001:db8::1\n2001:db8:2::/48\n", false,
	       "2001:db8::1-2001:db8::1",
	       "2001:db8:2::-2001:db8:2:ffff:ffff:ffff:ffff:ffff",
	       "2001:db8:5::-2001:db8:5:ffff:ffff:ffff:ffff:ffff");
}

static void test_ranges_merge_overlap(void **state)
{
	(void)state;
	RANGES("10.0.0.0/8\n10.1.0.0/16\n", true, "10.0.0.0-10.255.255.255");
	RANGES("10.1.0.0/16\n10.0.0.0/8\n", true, "10.0.0.0-10.255.255.255");
	/* A range inside the one before must not shrink it. */
	RANGES("10.0.0.0/8\n10.0.0.5\n10.200.0.0/16\n", true, "10.0.0.0-10.255.255.255");
	/* Duplicates. */
	RANGES("192.0.2.7\n192.0.2.7\n", true, "192.0.2.7-192.0.2.7");
	RANGES("192.0.2.0/24\n192.0.2.0/24\n198.51.100.1\n", true,
	       "192.0.2.0-192.0.2.255", "198.51.100.1-198.51.100.1");
	/* Same first address, the longer one wins whichever order. */
	RANGES("192.0.2.0/26\n192.0.2.0/24\n", true, "192.0.2.0-192.0.2.255");
	RANGES("192.0.2.0/24\n192.0.2.0/26\n", true, "192.0.2.0-192.0.2.255");
	RANGES("2001:db8::/32\n2001:db8:1::/48\n2001:db8::1\n", false,
	       "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_ranges_merge_adjacent(void **state)
{
	(void)state;
	RANGES("192.0.2.0/25\n192.0.2.128/25\n", true, "192.0.2.0-192.0.2.255");
	RANGES("192.0.2.128/25\n192.0.2.0/25\n", true, "192.0.2.0-192.0.2.255");
	/* A chain of neighbours joins into one. */
	RANGES("192.0.2.192/26\n192.0.2.0/26\n192.0.2.128/26\n192.0.2.64/26\n", true,
	       "192.0.2.0-192.0.2.255");
	/* Adjacent across a byte boundary. */
	RANGES("192.0.2.255\n192.0.3.0\n", true, "192.0.2.255-192.0.3.0");
	RANGES("2001:db8::/33\n2001:db8:8000::/33\n", false,
	       "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	RANGES("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\n2001:db9::\n", false,
	       "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff-2001:db9::");
}

static void test_ranges_keep_gap(void **state)
{
	(void)state;
	RANGES("192.0.2.0/25\n192.0.2.129/32\n", true,
	       "192.0.2.0-192.0.2.127", "192.0.2.129-192.0.2.129");
	RANGES("192.0.2.0/26\n192.0.2.128/25\n", true,
	       "192.0.2.0-192.0.2.63", "192.0.2.128-192.0.2.255");
	RANGES("192.0.2.1\n192.0.2.3\n", true,
	       "192.0.2.1-192.0.2.1", "192.0.2.3-192.0.2.3");
	RANGES("2001:db8::1\n2001:db8::3\n", false,
	       "2001:db8::1-2001:db8::1", "2001:db8::3-2001:db8::3");
	/* A gap, then the next range is merged with what follows. */
	RANGES("192.0.2.0/25\n198.51.100.0/25\n198.51.100.128/25\n", true,
	       "192.0.2.0-192.0.2.127", "198.51.100.0-198.51.100.255");
}

static void test_ranges_by_family(void **state)
{
	static const char mixed[] =
		"2001:db8::/32\n192.0.2.0/24\n52:54:00:12:34:56\n"
		"2001:db8::1\n198.51.100.7\n203.0.113.9\n";

	(void)state;
	RANGES(mixed, true, "192.0.2.0-192.0.2.255", "198.51.100.7-198.51.100.7",
	       "203.0.113.9-203.0.113.9");
	RANGES(mixed, false, "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	NO_RANGES("192.0.2.0/24\n", false);
	NO_RANGES("2001:db8::/32\n", true);
	NO_RANGES("52:54:00:12:34:56\n", true);
	NO_RANGES("52:54:00:12:34:56\n", false);
	NO_RANGES("", true);
}

static void test_ranges_whole_space(void **state)
{
	(void)state;
	/* A /0 is refused; its halves merge into the whole space. */
	RANGES("0.0.0.0/1\n128.0.0.0/1\n", true, "0.0.0.0-255.255.255.255");
	NO_RANGES("0.0.0.0/1\n128.0.0.0/1\n", false);
	RANGES("192.0.2.0/24\n128.0.0.0/1\n0.0.0.0/1\n203.0.113.1\n", true,
	       "0.0.0.0-255.255.255.255");
	RANGES("255.255.255.255\n255.255.255.254\n", true,
	       "255.255.255.254-255.255.255.255");
	RANGES("8000::/1\n2001:db8::/32\n", false, "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	       "8000::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* ---- whitelist_load ------------------------------------------------------ */

static void test_load_missing_file(void **state)
{
	char dir[] = "/tmp/nflogd-test-wl-XXXXXX", path[128];
	struct error e = { "" };
	struct whitelist wl;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/whitelist", dir);
	memset(&wl, 0xa5, sizeof(wl));
	assert_int_equal(whitelist_load(&wl, path, &e), 0);
	assert_int_equal(wl.nnets, 0);
	assert_int_equal(wl.nmacs, 0);
	assert_null(wl.nets);
	assert_null(wl.macs);
	whitelist_free(&wl);
	assert_int_equal(rmdir(dir), 0);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/nflogd-test-wl-XXXXXX", path[128], prefix[160];
	struct error e = { "" };
	const char *err = e.msg;
	struct whitelist wl;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/whitelist", dir);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("192.0.2.0/24 # lan\n52:54:00:12:34:56\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(whitelist_load(&wl, path, &e), 0);
	assert_int_equal(wl.nnets, 1);
	assert_int_equal(wl.nmacs, 1);
	check_covers(&wl, "192.0.2.99", true);
	whitelist_free(&wl);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("192.0.2.0/24\n\n192.0.2.0/2x\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(whitelist_load(&wl, path, &e), -1);
	snprintf(prefix, sizeof(prefix), "%s:3: ", path);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, prefix);
	assert_int_equal(wl.nnets, 0);
	assert_null(wl.nets);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_entries),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_many_entries),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_covers_families_apart),
		cmocka_unit_test(test_parse_error_long_line),
		cmocka_unit_test(test_parse_error_nul_byte),
		cmocka_unit_test(test_parse_line_length_limit),
		cmocka_unit_test(test_parse_no_final_newline),
		cmocka_unit_test(test_parse_entry),
		cmocka_unit_test(test_covers_addr),
		cmocka_unit_test(test_covers_mac),
		cmocka_unit_test(test_index_matches_scan),
		cmocka_unit_test(test_index_macs),
		cmocka_unit_test(test_ranges_sorted),
		cmocka_unit_test(test_ranges_merge_overlap),
		cmocka_unit_test(test_ranges_merge_adjacent),
		cmocka_unit_test(test_ranges_keep_gap),
		cmocka_unit_test(test_ranges_by_family),
		cmocka_unit_test(test_ranges_whole_space),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
