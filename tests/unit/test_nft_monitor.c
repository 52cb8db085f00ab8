/* nft_monitor's reading of notifications: what touched our table, and who. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "addr.h"
#include "nft_batch.h"
#include "nft_monitor.h"

#define OURS 4242u
#define THEIRS 777u

/* Notifications as the kernel sends them: the messages of a batch (its
 * begin and end markers left out), each from portid pid. */
struct notes {
	char buf[1 << 16];
	size_t len;
};

static void add_batch(struct notes *n, struct nft_batch *b, uint32_t pid)
{
	const struct nlmsghdr *nlh = (const void *)b->buf;
	int left = (int)b->len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		struct nlmsghdr *copy = (void *)(n->buf + n->len);

		if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
			continue;	/* the batch markers */
		assert_true(n->len + NLMSG_ALIGN(nlh->nlmsg_len) <= sizeof(n->buf));
		memcpy(copy, nlh, nlh->nlmsg_len);
		copy->nlmsg_pid = pid;
		n->len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	nft_batch_free(b);
}

static void add_element_delete(struct notes *n, const char *table, uint32_t pid)
{
	struct nft_batch b;
	struct nft_block_elem e = { .timeout_ms = 0 };

	assert_int_equal(addr_parse("192.0.2.10", &e.addr), 0);
	nft_batch_init(&b, 1);
	nft_batch_put_blocks(&b, table, false, false, &e, 1);
	add_batch(n, &b, pid);
}

static void add_element_add(struct notes *n, const char *table, uint32_t pid)
{
	struct nft_batch b;
	struct nft_block_elem e = { .timeout_ms = 0 };

	assert_int_equal(addr_parse("192.0.2.11", &e.addr), 0);
	nft_batch_init(&b, 1);
	nft_batch_put_blocks(&b, table, true, false, &e, 1);
	add_batch(n, &b, pid);
}

static void add_table_delete(struct notes *n, const char *table, uint32_t pid)
{
	struct nft_batch b;

	nft_batch_init(&b, 1);
	nft_batch_put_table_delete(&b, table);
	add_batch(n, &b, pid);
}

static enum monitor_verdict classify(const struct notes *n)
{
	return nft_monitor_classify(n->buf, n->len, "nflogd", OURS);
}

/* An element deleted by someone else (nft flush set, nft delete element)
 * is news; our own deletions and the kernel's (portid 0) are not. */
static void test_element_deletes(void **state)
{
	static struct notes n;

	(void)state;
	memset(&n, 0, sizeof(n));
	add_element_delete(&n, "nflogd", THEIRS);
	assert_int_equal(classify(&n), MONITOR_ELEMENTS);
	assert_false(nft_monitor_hits(n.buf, n.len, "nflogd", OURS));

	memset(&n, 0, sizeof(n));
	add_element_delete(&n, "nflogd", OURS);
	add_element_delete(&n, "nflogd", 0);
	add_element_delete(&n, "other", THEIRS);
	assert_int_equal(classify(&n), MONITOR_UNTOUCHED);

	/* An element added by someone else: news too (a whitelist entry
	 * slipped in by hand); our own adds are not. */
	memset(&n, 0, sizeof(n));
	add_element_add(&n, "nflogd", OURS);
	add_element_add(&n, "nflogd", 0);
	assert_int_equal(classify(&n), MONITOR_UNTOUCHED);
	add_element_add(&n, "nflogd", THEIRS);
	assert_int_equal(classify(&n), MONITOR_ELEMENTS);

	/* Among others, one foreign deletion is enough. */
	memset(&n, 0, sizeof(n));
	add_element_delete(&n, "nflogd", OURS);
	add_element_delete(&n, "nflogd", THEIRS);
	add_element_delete(&n, "nflogd", OURS);
	assert_int_equal(classify(&n), MONITOR_ELEMENTS);
}

/* A removed table outweighs element deletions, in any order. */
static void test_table_delete_wins(void **state)
{
	static struct notes n;

	(void)state;
	memset(&n, 0, sizeof(n));
	add_element_delete(&n, "nflogd", THEIRS);
	add_table_delete(&n, "nflogd", THEIRS);
	assert_int_equal(classify(&n), MONITOR_HIT);
	assert_true(nft_monitor_hits(n.buf, n.len, "nflogd", OURS));

	memset(&n, 0, sizeof(n));
	add_table_delete(&n, "nflogd", THEIRS);
	add_element_delete(&n, "nflogd", THEIRS);
	assert_int_equal(classify(&n), MONITOR_HIT);

	memset(&n, 0, sizeof(n));
	add_table_delete(&n, "nflogd", OURS);
	assert_int_equal(classify(&n), MONITOR_UNTOUCHED);
}

/* Cut or empty datagrams are read as far as they are whole. */
static void test_truncated(void **state)
{
	static struct notes n;

	(void)state;
	memset(&n, 0, sizeof(n));
	assert_int_equal(nft_monitor_classify(n.buf, 0, "nflogd", OURS), MONITOR_UNTOUCHED);
	add_element_delete(&n, "nflogd", THEIRS);
	for (size_t len = 0; len < n.len; len++)
		assert_int_equal(nft_monitor_classify(n.buf, len, "nflogd", OURS),
				 MONITOR_UNTOUCHED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_element_deletes),
		cmocka_unit_test(test_table_delete_wins),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
