/* Unit tests for table.c's queue, without a kernel: what a flush would send
 * (deletions withdraw a queued add and its latency), kernel timeouts, and
 * a dry run queueing nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "table.h"

static struct addr A(const char *s)
{
	struct addr a;

	if (addr_parse(s, &a) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return a;
}

static struct config cfg;
static struct whitelist wl;

static void new_table(struct table *t, bool dry_run)
{
	config_defaults(&cfg);
	memset(&wl, 0, sizeof(wl));
	table_init(t, &cfg, &wl, NULL, dry_run);
}

static bool queued(const struct table_queue *q, const struct addr *a)
{
	for (size_t i = 0; i < q->n; i++)
		if (addr_equal(&q->v[i].addr, a))
			return true;
	return false;
}

/* Block then release in one wake-up: the add is withdrawn, the delete
 * goes out, so the host does not end in the kernel. */
static void test_del_withdraws_queued_add(void **state)
{
	struct table t;
	struct addr a = A("192.0.2.10"), b = A("2001:db8::20");

	(void)state;
	new_table(&t, false);
	table_queue_add(&t, &a, 60000);
	table_queue_add(&t, &b, 0);
	table_time_block(&t, &a, 1000, 2000);
	table_time_block(&t, &b, 1000, 2000);
	table_queue_del(&t, &a);
	assert_int_equal(t.adds.n, 1);
	assert_false(queued(&t.adds, &a));
	assert_true(queued(&t.adds, &b));
	assert_int_equal(t.adds.v[0].timeout_ms, 0);
	assert_int_equal(t.dels.n, 1);
	assert_true(queued(&t.dels, &a));
	/* Its latency goes with it: no insert will be ACKed for it. */
	assert_int_equal(t.ntimed, 1);
	assert_true(addr_equal(&t.timed[0].addr, &b));
	table_close(&t);
}

/* Many changes in one wake-up: the queue grows, nothing is lost. */
static void test_queue_grows(void **state)
{
	struct table t;
	struct addr a = A("198.51.100.0");

	(void)state;
	new_table(&t, false);
	for (unsigned i = 0; i < 1000; i++) {
		a.b[15] = (uint8_t)i;
		a.b[14] = (uint8_t)(i >> 8);
		table_queue_add(&t, &a, i);
	}
	assert_int_equal(t.adds.n, 1000);
	assert_int_equal(t.adds.v[999].timeout_ms, 999);
	/* Only the first TABLE_TIMED_BLOCKS of a wake-up are timed. */
	for (unsigned i = 0; i < TABLE_TIMED_BLOCKS + 10; i++)
		table_time_block(&t, &a, 1, 2);
	assert_int_equal(t.ntimed, TABLE_TIMED_BLOCKS);
	table_close(&t);
}

static void test_dry_run_queues_nothing(void **state)
{
	struct table t;
	struct addr a = A("192.0.2.10");

	(void)state;
	new_table(&t, true);
	table_queue_add(&t, &a, 1000);
	table_time_block(&t, &a, 1, 2);
	table_queue_del(&t, &a);
	assert_int_equal(t.adds.n, 0);
	assert_int_equal(t.dels.n, 0);
	assert_int_equal(t.ntimed, 0);
	table_flush(&t);	/* nothing to send: no kernel needed */
	table_close(&t);
}

static void test_kernel_timeout(void **state)
{
	struct offender o = { .expires_ms = POLICY_NO_EXPIRY };

	(void)state;
	assert_int_equal(table_kernel_timeout(&o, 5000), 0);	/* permanent */
	o.expires_ms = 65000;
	assert_int_equal(table_kernel_timeout(&o, 5000), 60000);
	/* Due or past: the shortest timeout, never 0 (which is permanent). */
	assert_int_equal(table_kernel_timeout(&o, 65000), 1);
	assert_int_equal(table_kernel_timeout(&o, 99000), 1);
}

/* The elements of a kernel dump found by address, either family. */
static void test_kernel_elem_lookup(void **state)
{
	struct nft_elem_list l = { 0 };
	struct nft_elem e[2] = { { .key = { 192, 0, 2, 10 }, .len = 4 },
				 { .key = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x20 }, .len = 16 } };
	struct addr v4 = A("192.0.2.10"), v6 = A("2001:db8::20"), other = A("192.0.2.11");

	(void)state;
	l.v = e;
	l.n = 2;
	nft_elems_sort(&l);
	assert_non_null(table_kernel_elem(&l, &v4));
	assert_non_null(table_kernel_elem(&l, &v6));
	assert_null(table_kernel_elem(&l, &other));
	for (size_t i = 0; i < l.n; i++) {
		struct addr got = table_elem_addr(&l.v[i]);

		assert_true(addr_equal(&got, l.v[i].len == 4 ? &v4 : &v6));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_del_withdraws_queued_add),
		cmocka_unit_test(test_queue_grows),
		cmocka_unit_test(test_dry_run_queues_nothing),
		cmocka_unit_test(test_kernel_timeout),
		cmocka_unit_test(test_kernel_elem_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
