/* Unit tests for neigh.c: RTM_NEWNEIGH messages as the kernel builds them
 * (neigh_fill_info: ndmsg, NDA_DST, NDA_LLADDR, ...). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <arpa/inet.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "addr.h"
#include "neigh.h"

static const uint8_t MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x20 };

struct msg {
	uint8_t buf[256] __attribute__((aligned(4)));
	struct nlmsghdr *nlh;
};

/* A message for dst (text) at mac (len bytes; NULL: no NDA_LLADDR). */
static struct nlmsghdr *build(struct msg *m, uint16_t type, uint8_t family, uint16_t state,
			      uint8_t flags, const char *dst, const uint8_t *mac, size_t maclen)
{
	struct ndmsg *ndm;
	uint8_t a[16];

	memset(m->buf, 0, sizeof(m->buf));
	m->nlh = mnl_nlmsg_put_header(m->buf);
	m->nlh->nlmsg_type = type;
	ndm = mnl_nlmsg_put_extra_header(m->nlh, sizeof(*ndm));
	ndm->ndm_family = family;
	ndm->ndm_state = state;
	ndm->ndm_flags = flags;
	ndm->ndm_ifindex = 3;
	if (dst) {
		bool v6 = strchr(dst, ':') != NULL;

		assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, dst, a), 1);
		mnl_attr_put(m->nlh, NDA_DST, v6 ? 16 : 4, a);
	}
	if (mac)
		mnl_attr_put(m->nlh, NDA_LLADDR, maclen, mac);
	mnl_attr_put_u32(m->nlh, NDA_PROBES, 0);
	return m->nlh;
}

static struct addr A(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static void test_ipv4_reachable(void **state)
{
	struct msg m;
	struct neigh_entry e;
	struct addr want = A("192.0.2.20");

	(void)state;
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, 0, "192.0.2.20", MAC, 6);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 1);
	assert_true(addr_equal(&e.addr, &want));
	assert_memory_equal(e.mac.b, MAC, 6);
}

static void test_ipv6_and_other_resolved_states(void **state)
{
	const uint16_t states[] = { NUD_STALE, NUD_DELAY, NUD_PROBE, NUD_PERMANENT };
	struct neigh_entry e;
	struct addr want = A("2001:db8:1::20");
	struct msg m;

	(void)state;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		build(&m, RTM_NEWNEIGH, AF_INET6, states[i], NTF_ROUTER, "2001:db8:1::20", MAC, 6);
		assert_int_equal(neigh_parse_msg(m.nlh, &e), 1);
		assert_true(addr_equal(&e.addr, &want));
		assert_memory_equal(e.mac.b, MAC, 6);
	}
}

/* Entries that name no MAC the host is known by: no expectation. */
static void test_says_nothing(void **state)
{
	const uint8_t ib[20] = { 0 };
	struct neigh_entry e;
	struct msg m;

	(void)state;
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_INCOMPLETE, 0, "192.0.2.20", NULL, 0);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 0);
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_FAILED, 0, "192.0.2.20", MAC, 6);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 0);
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_NOARP, 0, "192.0.2.20", MAC, 6);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 0);
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, NTF_PROXY, "192.0.2.20", MAC, 6);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 0);
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, 0, "192.0.2.20", NULL, 0);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 0);
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, 0, "192.0.2.20", ib, sizeof(ib));
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 0);
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, 0, NULL, MAC, 6);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 0);
	build(&m, RTM_DELNEIGH, AF_INET, NUD_REACHABLE, 0, "192.0.2.20", MAC, 6);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 0);
	/* A bridge's forwarding database comes in the same messages. */
	build(&m, RTM_NEWNEIGH, AF_BRIDGE, NUD_REACHABLE, 0, NULL, MAC, 6);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 0);
}

static void test_malformed(void **state)
{
	const uint8_t five[5] = { 192, 0, 2, 20, 1 };
	struct neigh_entry e;
	struct msg m;

	(void)state;
	/* An IPv4 entry whose address is not 4 bytes. */
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, 0, NULL, MAC, 6);
	mnl_attr_put(m.nlh, NDA_DST, sizeof(five), five);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), -1);
	/* IPv6 family with an IPv4-sized address. */
	build(&m, RTM_NEWNEIGH, AF_INET6, NUD_REACHABLE, 0, "192.0.2.20", MAC, 6);
	assert_int_equal(neigh_parse_msg(m.nlh, &e), -1);
	/* Shorter than its ndmsg. */
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, 0, "192.0.2.20", MAC, 6);
	m.nlh->nlmsg_len = sizeof(struct nlmsghdr) + 4;
	assert_int_equal(neigh_parse_msg(m.nlh, &e), -1);
	/* An attribute running past the message: libmnl stops before it, so
	 * the entry has no address and says nothing. */
	build(&m, RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, 0, "192.0.2.20", MAC, 6);
	((struct nlattr *)((uint8_t *)m.nlh + mnl_nlmsg_size(sizeof(struct ndmsg))))->nla_len = 200;
	assert_int_equal(neigh_parse_msg(m.nlh, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_reachable),
		cmocka_unit_test(test_ipv6_and_other_resolved_states),
		cmocka_unit_test(test_says_nothing),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
