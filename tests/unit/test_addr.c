/* Unit tests for addr.c: addresses, CIDR prefixes, MACs, the keyed hash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "addr.h"

/* Parse a string that must be a valid address (fails the test otherwise). */
static struct addr A(const char *s)
{
	struct addr a;

	memset(&a, 0xee, sizeof(a));
	if (addr_parse(s, &a) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return a;
}

static struct cidr C(const char *s)
{
	struct cidr c;

	memset(&c, 0xee, sizeof(c));
	if (cidr_parse(s, &c) != 0)
		fail_msg("cidr_parse(\"%s\") failed", s);
	return c;
}

static void assert_addr_bytes(const struct addr *a, const uint8_t want[16])
{
	assert_memory_equal(a->b, want, 16);
}

/* ---- addr_parse / addr_format ---------------------------------------- */

static void test_addr_parse_v4(void **state)
{
	static const uint8_t want[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10
	};
	struct addr a;

	(void)state;
	assert_int_equal(addr_parse("192.0.2.10", &a), 0);
	assert_addr_bytes(&a, want);
	assert_true(addr_is_v4(&a));
	assert_memory_equal(addr_v4_bytes(&a), want + 12, 4);

	assert_int_equal(addr_parse("0.0.0.0", &a), 0);
	assert_true(addr_is_v4(&a));
	assert_int_equal(addr_parse("255.255.255.255", &a), 0);
	assert_true(addr_is_v4(&a));
}

static void test_addr_parse_v6(void **state)
{
	static const uint8_t want[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
	};
	static const uint8_t zero[16] = { 0 };
	struct addr a;

	(void)state;
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_addr_bytes(&a, want);
	assert_false(addr_is_v4(&a));

	assert_int_equal(addr_parse("2001:0DB8:0000:0000:0000:0000:0000:0001", &a), 0);
	assert_addr_bytes(&a, want);

	assert_int_equal(addr_parse("::", &a), 0);
	assert_addr_bytes(&a, zero);
	assert_false(addr_is_v4(&a));
}

static void test_addr_parse_v4_mapped(void **state)
{
	struct addr mapped, plain;

	(void)state;
	/* An IPv6 address of ::ffff:0:0/96 is IPv6 (the kernel's blocked6 and
	 * allow6 hold it), never the IPv4 host its last 32 bits name. */
	assert_int_equal(addr_parse("::ffff:192.0.2.10", &mapped), 0);
	assert_int_equal(addr_parse("192.0.2.10", &plain), 0);
	assert_false(addr_is_v4(&mapped));
	assert_true(addr_is_v4(&plain));
	assert_false(addr_equal(&mapped, &plain));
	assert_true(addr_cmp(&mapped, &plain) != 0);
	assert_true(addr_hash(&mapped, 1) != addr_hash(&plain, 1));

	/* The hex form of the same mapped address is the same IPv6 address. */
	{
		struct addr hex;

		assert_int_equal(addr_parse("::ffff:c000:20a", &hex), 0);
		assert_true(addr_equal(&hex, &mapped));
		assert_false(addr_equal(&hex, &plain));
	}

	/* The deprecated v4-compatible form (::a.b.c.d) is NOT IPv4. */
	assert_int_equal(addr_parse("::192.0.2.10", &mapped), 0);
	assert_false(addr_is_v4(&mapped));
	assert_false(addr_equal(&mapped, &plain));
}

static void test_addr_parse_garbage(void **state)
{
	static const char *const bad[] = {
		"", " ", "hello", "192.0.2", "192.0.2.256", "192.0.2.1.5",
		"192.0.2.-1", " 192.0.2.1", "192.0.2.1 ", "192.0.2.1/32",
		"2001:db8:::1", "2001:db8::g", "2001:db8::1::2", ":::",
		"2001:db8:1:2:3:4:5:6:7", "[2001:db8::1]", "::ffff:192.0.2",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct addr a;

		if (addr_parse(bad[i], &a) != -1)
			fail_msg("addr_parse(\"%s\") accepted garbage", bad[i]);
	}
}

static void test_addr_format(void **state)
{
	static const char *const same[] = {
		"192.0.2.10", "0.0.0.0", "255.255.255.255", "203.0.113.255",
		"2001:db8::1", "2001:db8::", "::", "2001:db8:0:1:2:3:4:5",
	};
	char buf[ADDR_STRLEN];
	struct addr a;

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		a = A(same[i]);
		assert_string_equal(addr_format(&a, buf), same[i]);
	}
	/* Canonical forms; a mapped IPv6 address stays IPv6. */
	a = A("::ffff:198.51.100.7");
	assert_string_equal(addr_format(&a, buf), "::ffff:198.51.100.7");
	a = A("::FFFF:c633:6407");
	assert_string_equal(addr_format(&a, buf), "::ffff:198.51.100.7");
	a = A("2001:DB8:0:0:0:0:0:1");
	assert_string_equal(addr_format(&a, buf), "2001:db8::1");
	/* The return value is the buffer. */
	assert_ptr_equal(addr_format(&a, buf), buf);
	/* The longest IPv6 text fits in ADDR_STRLEN. */
	a = A("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	assert_string_equal(addr_format(&a, buf),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_addr_cmp_order(void **state)
{
	struct addr a = A("192.0.2.1"), b = A("192.0.2.2"), c = A("2001:db8::1");

	(void)state;
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &a) > 0);
	/* Mapped IPv4 (::ffff:...) sorts below 2001:db8::. */
	assert_true(addr_cmp(&b, &c) < 0);
	assert_false(addr_equal(&a, &b));
}

/* ---- cidr_parse -------------------------------------------------------- */

static void test_cidr_parse_v4(void **state)
{
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(c.prefix, 96);
	assert_true(addr_is_v4(&c.base));
	{
		struct addr z = A("0.0.0.0");
		assert_true(addr_equal(&c.base, &z));
	}

	assert_int_equal(cidr_parse("192.0.2.0/24", &c), 0);
	assert_int_equal(c.prefix, 96 + 24);
	{
		struct addr b = A("192.0.2.0");
		assert_true(addr_equal(&c.base, &b));
	}

	assert_int_equal(cidr_parse("203.0.113.7/32", &c), 0);
	assert_int_equal(c.prefix, 128);
	{
		struct addr b = A("203.0.113.7");
		assert_true(addr_equal(&c.base, &b));
	}

	assert_int_equal(cidr_parse("10.0.0.0/8", &c), 0);
	assert_int_equal(c.prefix, 96 + 8);
}

static void test_cidr_parse_v6(void **state)
{
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse("2001:db8::/32", &c), 0);
	assert_int_equal(c.prefix, 32);
	assert_false(addr_is_v4(&c.base));
	{
		struct addr b = A("2001:db8::");
		assert_true(addr_equal(&c.base, &b));
	}

	assert_int_equal(cidr_parse("2001:db8::1/128", &c), 0);
	assert_int_equal(c.prefix, 128);
	{
		struct addr b = A("2001:db8::1");
		assert_true(addr_equal(&c.base, &b));
	}

	assert_int_equal(cidr_parse("::/0", &c), 0);
	assert_int_equal(c.prefix, 0);

	/* A v4-mapped literal is an IPv6 network with an IPv6 prefix length. */
	assert_int_equal(cidr_parse("::ffff:192.0.2.0/120", &c), 0);
	assert_int_equal(c.prefix, 120);
	assert_false(addr_is_v4(&c.base));
	assert_false(cidr_is_v4(&c));
}

static void test_cidr_parse_bare(void **state)
{
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse("192.0.2.10", &c), 0);
	assert_int_equal(c.prefix, 128);	/* /32 over the mapped form */
	{
		struct addr b = A("192.0.2.10");
		assert_true(addr_equal(&c.base, &b));
	}
	assert_int_equal(cidr_parse("2001:db8::10", &c), 0);
	assert_int_equal(c.prefix, 128);
	{
		struct addr b = A("2001:db8::10");
		assert_true(addr_equal(&c.base, &b));
	}
}

static void test_cidr_parse_errors(void **state)
{
	static const char *const bad[] = {
		/* host bits set below the prefix */
		"192.0.2.1/24", "192.0.2.128/24", "10.1.0.0/8", "198.51.100.1/31",
		"192.0.2.0/0", "2001:db8::1/32", "2001:db8::/16", "2001:db8::1/127",
		/* prefix too long for the family */
		"192.0.2.0/33", "192.0.2.0/128", "192.0.2.0/96", "2001:db8::/129",
		"192.0.2.0/99999999999999999999999",
		/* malformed prefix */
		"192.0.2.4/", "/24", "/", "192.0.2.0/-1", "192.0.2.0/+24",
		"192.0.2.0/ 24", "192.0.2.0/24 ", "192.0.2.0/24x", "192.0.2.0/2 4",
		"192.0.2.0/24/24", "192.0.2.0/0x18",
		/* malformed address */
		"", "garbage", "192.0.2/24", "192.0.2.256/32", " 192.0.2.0/24",
		"2001:db8:::/32",
		/* longer than any address before the slash */
		"2001:0db8:0000:0000:0000:0000:0000:0000:0000:0000/32",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cidr c;

		if (cidr_parse(bad[i], &c) != -1)
			fail_msg("cidr_parse(\"%s\") accepted a bad prefix", bad[i]);
	}
}

/* ---- cidr_contains / cidr_range --------------------------------------- */

static void check_contains(const char *net, const char *addr, bool want)
{
	struct cidr c = C(net);
	struct addr a = A(addr);

	if (cidr_contains(&c, &a) != want)
		fail_msg("cidr_contains(%s, %s) should be %s", net, addr,
			 want ? "true" : "false");
}

static void test_cidr_contains_v4(void **state)
{
	(void)state;
	check_contains("192.0.2.0/24", "192.0.2.0", true);	/* first */
	check_contains("192.0.2.0/24", "192.0.2.255", true);	/* last */
	check_contains("192.0.2.0/24", "192.0.2.77", true);
	check_contains("192.0.2.0/24", "192.0.3.0", false);	/* one past */
	check_contains("192.0.2.0/24", "192.0.1.255", false);	/* one before */

	check_contains("198.51.100.128/25", "198.51.100.128", true);
	check_contains("198.51.100.128/25", "198.51.100.255", true);
	check_contains("198.51.100.128/25", "198.51.100.127", false);
	check_contains("198.51.100.128/25", "198.51.101.0", false);

	check_contains("203.0.113.7/32", "203.0.113.7", true);
	check_contains("203.0.113.7/32", "203.0.113.6", false);
	check_contains("203.0.113.7/32", "203.0.113.8", false);
	check_contains("203.0.113.7", "203.0.113.7", true);

	check_contains("10.0.0.0/8", "10.255.255.255", true);
	check_contains("10.0.0.0/8", "11.0.0.0", false);
	check_contains("10.0.0.0/8", "9.255.255.255", false);

	check_contains("0.0.0.0/0", "0.0.0.0", true);
	check_contains("0.0.0.0/0", "255.255.255.255", true);
	check_contains("0.0.0.0/0", "203.0.113.9", true);
	/* ...but an IPv4 /0 does not reach into IPv6. */
	check_contains("0.0.0.0/0", "2001:db8::1", false);
	check_contains("0.0.0.0/0", "::", false);
	check_contains("192.0.2.0/24", "::192.0.2.1", false);
}

static void test_cidr_contains_v6(void **state)
{
	(void)state;
	check_contains("2001:db8::/32", "2001:db8::", true);
	check_contains("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true);
	check_contains("2001:db8::/32", "2001:db9::", false);
	check_contains("2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false);
	check_contains("2001:db8::/32", "192.0.2.1", false);

	check_contains("2001:db8:1::/48", "2001:db8:1:ffff:ffff:ffff:ffff:ffff", true);
	check_contains("2001:db8:1::/48", "2001:db8:2::", false);

	check_contains("2001:db8::1/128", "2001:db8::1", true);
	check_contains("2001:db8::1/128", "2001:db8::2", false);
	check_contains("2001:db8::1/128", "2001:db8::", false);

	check_contains("2001:db8::/33", "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff", true);
	check_contains("2001:db8::/33", "2001:db8:8000::", false);
}

/* An IPv6 network holds IPv6 addresses only, as allow6 does: not the IPv4
 * hosts whose mapped form its bits would cover; and an IPv4 one only IPv4. */
static void test_cidr_contains_families_apart(void **state)
{
	static const char *const v6_nets[] = {
		"::/0", "::/64", "::/80", "::ffff:0:0/96", "::ffff:192.0.2.0/120",
		"::ffff:192.0.2.30",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v6_nets) / sizeof(v6_nets[0]); i++) {
		check_contains(v6_nets[i], "192.0.2.30", false);
		check_contains(v6_nets[i], "::ffff:192.0.2.30", true);
	}
	check_contains("::/0", "2001:db8::1", true);
	check_contains("::/80", "::ffff:0:1", true);
	check_contains("192.0.2.0/24", "::ffff:192.0.2.30", false);
	check_contains("0.0.0.0/0", "::ffff:192.0.2.30", false);
	check_contains("192.0.2.30", "::ffff:192.0.2.30", false);
}

/* A range's ends are of the network's family. */
static void test_cidr_range_families(void **state)
{
	struct cidr c = C("::/80");
	struct addr first, last, v4 = A("255.255.255.255");

	(void)state;
	cidr_range(&c, &first, &last);
	assert_false(addr_is_v4(&last));
	assert_false(addr_equal(&last, &v4));
	c = C("192.0.2.0/24");
	cidr_range(&c, &first, &last);
	assert_true(addr_is_v4(&first));
	assert_true(addr_is_v4(&last));
}

static void check_range(const char *net, const char *first, const char *last)
{
	struct cidr c = C(net);
	struct addr f, l, wf = A(first), wl = A(last);
	char b1[ADDR_STRLEN], b2[ADDR_STRLEN];

	memset(&f, 0xee, sizeof(f));
	memset(&l, 0xee, sizeof(l));
	cidr_range(&c, &f, &l);
	if (!addr_equal(&f, &wf) || !addr_equal(&l, &wl))
		fail_msg("cidr_range(%s) = %s-%s, want %s-%s", net,
			 addr_format(&f, b1), addr_format(&l, b2), first, last);
	/* The ends are inside, the neighbours are not (checked elsewhere). */
	assert_true(cidr_contains(&c, &f));
	assert_true(cidr_contains(&c, &l));
}

static void test_cidr_range(void **state)
{
	(void)state;
	check_range("192.0.2.0/24", "192.0.2.0", "192.0.2.255");
	check_range("198.51.100.128/25", "198.51.100.128", "198.51.100.255");
	check_range("203.0.113.7/32", "203.0.113.7", "203.0.113.7");
	check_range("203.0.113.6/31", "203.0.113.6", "203.0.113.7");
	check_range("10.0.0.0/8", "10.0.0.0", "10.255.255.255");
	check_range("0.0.0.0/0", "0.0.0.0", "255.255.255.255");
	check_range("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	check_range("2001:db8::/33", "2001:db8::", "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff");
	check_range("2001:db8::1/128", "2001:db8::1", "2001:db8::1");
	check_range("::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* ---- cidr_format ------------------------------------------------------- */

static void test_cidr_format_round_trip(void **state)
{
	static const char *const nets[] = {
		"192.0.2.0/24", "0.0.0.0/0", "203.0.113.7/32", "10.0.0.0/8",
		"198.51.100.128/25", "2001:db8::/32", "2001:db8::1/128",
		"2001:db8:8000::/33", "::/0",
	};
	char buf[CIDR_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct cidr c = C(nets[i]), again;

		assert_string_equal(cidr_format(&c, buf), nets[i]);
		assert_int_equal(cidr_parse(buf, &again), 0);
		assert_true(addr_equal(&again.base, &c.base));
		assert_int_equal(again.prefix, c.prefix);
	}
	{
		/* Bare addresses get their full prefix length spelled out. */
		struct cidr c = C("192.0.2.10");

		assert_string_equal(cidr_format(&c, buf), "192.0.2.10/32");
		c = C("2001:db8::10");
		assert_string_equal(cidr_format(&c, buf), "2001:db8::10/128");
		/* A mapped literal comes back as the IPv6 network it is. */
		c = C("::ffff:192.0.2.0/120");
		assert_string_equal(cidr_format(&c, buf), "::ffff:192.0.2.0/120");
		assert_ptr_equal(cidr_format(&c, buf), buf);
	}
}

/* ---- MACs -------------------------------------------------------------- */

static void test_mac_parse_forms(void **state)
{
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	struct mac m;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(mac_parse("52:54:00:ab:cd:ef", &m), 0);
	assert_memory_equal(m.b, want, 6);

	memset(&m, 0, sizeof(m));
	assert_int_equal(mac_parse("52-54-00-ab-cd-ef", &m), 0);
	assert_memory_equal(m.b, want, 6);

	memset(&m, 0, sizeof(m));
	assert_int_equal(mac_parse("52:54:00:AB:CD:EF", &m), 0);
	assert_memory_equal(m.b, want, 6);

	memset(&m, 0, sizeof(m));
	assert_int_equal(mac_parse("52-54-00-aB-Cd-eF", &m), 0);
	assert_memory_equal(m.b, want, 6);

	assert_int_equal(mac_parse("ff:ff:ff:ff:ff:ff", &m), 0);
	assert_memory_equal(m.b, "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(mac_parse("00:00:00:00:00:00", &m), 0);
	assert_memory_equal(m.b, "\0\0\0\0\0\0", 6);
}

static void test_mac_parse_errors(void **state)
{
	static const char *const bad[] = {
		"",
		/* wrong length */
		"52:54:00:ab:cd", "52:54:00:ab:cd:e", "52:54:00:ab:cd:ef:",
		"52:54:00:ab:cd:ef:01", "52:54:00:ab:cd:eff", " 52:54:00:ab:cd:ef",
		"52:54:00:ab:cd:ef ", "2:54:00:ab:cd:ef", "5:4:0:a:c:e",
		/* bad hex */
		"52:54:00:ab:cd:eg", "g2:54:00:ab:cd:ef", "52:54:00:xx:cd:ef",
		"52:54:00: b:cd:ef", "52:54:00:+b:cd:ef", "52:54:00:-b:cd:ef",
		/* missing or wrong separators */
		"525400abcdef", "525400abcdef12345", "5254:00:ab:cd:ef:",
		"52:5400:ab:cd:e:f", "52::54:00:ab:cdef", "52.54.00.ab.cd.ef",
		"52 54 00 ab cd ef", "52_54_00_ab_cd_ef",
		/* an IP address is not a MAC */
		"192.0.2.100/32:aa",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mac m;

		if (mac_parse(bad[i], &m) != -1)
			fail_msg("mac_parse(\"%s\") accepted a bad MAC", bad[i]);
	}
}

static void test_mac_format(void **state)
{
	struct mac m = { { 0x02, 0x00, 0x0a, 0xbc, 0xde, 0xf0 } };
	struct mac back;
	char buf[MAC_STRLEN];

	(void)state;
	assert_string_equal(mac_format(&m, buf), "02:00:0a:bc:de:f0");
	assert_ptr_equal(mac_format(&m, buf), buf);
	assert_int_equal(strlen(buf), MAC_STRLEN - 1);

	assert_int_equal(mac_parse(buf, &back), 0);
	assert_true(mac_equal(&m, &back));

	assert_int_equal(mac_parse("AA-BB-CC-DD-EE-FF", &back), 0);
	assert_string_equal(mac_format(&back, buf), "aa:bb:cc:dd:ee:ff");

	back.b[5] ^= 1;
	assert_false(mac_equal(&m, &back));
}

/* ---- addr_hash --------------------------------------------------------- */

static void test_addr_hash(void **state)
{
	static const char *const addrs[] = {
		"192.0.2.1", "192.0.2.2", "198.51.100.1", "203.0.113.254",
		"10.0.0.1", "10.255.255.255", "2001:db8::1", "2001:db8::2",
		"2001:db8:ffff::1", "::", "0.0.0.0", "255.255.255.255",
	};
	const size_t n = sizeof(addrs) / sizeof(addrs[0]);
	const uint64_t seed1 = 0x0123456789abcdefULL, seed2 = 0xfedcba9876543210ULL;
	size_t seed_differs = 0, addr_differs = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct addr a = A(addrs[i]), b = A(addrs[i]);

		/* Deterministic: same input and seed, same hash. */
		assert_int_equal(addr_hash(&a, seed1), addr_hash(&b, seed1));
		assert_int_equal(addr_hash(&a, seed2), addr_hash(&a, seed2));
		assert_int_equal(addr_hash(&a, 0), addr_hash(&b, 0));
		if (addr_hash(&a, seed1) != addr_hash(&a, seed2))
			seed_differs++;
		if (i > 0) {
			struct addr p = A(addrs[i - 1]);

			if (addr_hash(&a, seed1) != addr_hash(&p, seed1))
				addr_differs++;
		}
	}
	/* The seed matters (a fixed hash could be aimed at). With a decent mix
	 * every one of these differs; demand at least most of them. */
	assert_true(seed_differs >= n - 1);
	assert_true(addr_differs >= n - 2);

	/* Seeds that differ in a single bit still change the hash somewhere. */
	{
		size_t differs = 0;

		for (unsigned bit = 0; bit < 64; bit++) {
			struct addr a = A("192.0.2.1");

			if (addr_hash(&a, 0) != addr_hash(&a, 1ULL << bit))
				differs++;
		}
		assert_true(differs >= 60);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse_v4),
		cmocka_unit_test(test_addr_parse_v6),
		cmocka_unit_test(test_addr_parse_v4_mapped),
		cmocka_unit_test(test_addr_parse_garbage),
		cmocka_unit_test(test_addr_format),
		cmocka_unit_test(test_addr_cmp_order),
		cmocka_unit_test(test_cidr_parse_v4),
		cmocka_unit_test(test_cidr_parse_v6),
		cmocka_unit_test(test_cidr_parse_bare),
		cmocka_unit_test(test_cidr_parse_errors),
		cmocka_unit_test(test_cidr_contains_v4),
		cmocka_unit_test(test_cidr_contains_v6),
		cmocka_unit_test(test_cidr_contains_families_apart),
		cmocka_unit_test(test_cidr_range_families),
		cmocka_unit_test(test_cidr_range),
		cmocka_unit_test(test_cidr_format_round_trip),
		cmocka_unit_test(test_mac_parse_forms),
		cmocka_unit_test(test_mac_parse_errors),
		cmocka_unit_test(test_mac_format),
		cmocka_unit_test(test_addr_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
