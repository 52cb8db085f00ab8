/* Unit tests for spoof.c (the expected-MAC table, the per-event decision,
 * the suspects) and for how the daemon applies it: events from a MAC the
 * address is not known by never block that address, its own still do. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <string.h>

#include "addr.h"
#include "daemon.h"
#include "lifecycle.h"
#include "spoof.h"

#define SEED 0x5eedULL

static struct addr A(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static struct mac M(const char *s)
{
	struct mac m;

	assert_int_equal(mac_parse(s, &m), 0);
	return m;
}

static struct lease L(const char *addr, const char *mac)
{
	struct lease l = { .addr = A(addr) };

	if (mac) {
		l.mac = M(mac);
		l.has_mac = true;
	}
	return l;
}

static struct neigh_entry N(const char *addr, const char *mac)
{
	struct neigh_entry e = { A(addr), M(mac) };

	return e;
}

/* ---- the decision ------------------------------------------------------ */

static void test_judge(void **state)
{
	struct expect_entry lease = { .lease_mac = M("02:00:00:00:00:20"), .by = EXPECT_LEASE };
	struct expect_entry neigh = { .neigh_mac = M("02:00:00:00:00:20"), .by = EXPECT_NEIGH };
	struct expect_entry both = { .lease_mac = M("02:00:00:00:00:20"),
				     .neigh_mac = M("02:00:00:00:00:21"),
				     .by = EXPECT_LEASE | EXPECT_NEIGH };
	struct expect_entry none = { 0 };
	struct mac own = M("02:00:00:00:00:20"), other = M("02:00:00:00:00:66");
	struct mac second = M("02:00:00:00:00:21");

	(void)state;
	/* Nothing to compare with: the event counts as before. */
	assert_int_equal(spoof_judge(NULL, &other), SPOOF_UNKNOWN);
	assert_int_equal(spoof_judge(&none, &other), SPOOF_UNKNOWN);
	assert_int_equal(spoof_judge(&lease, NULL), SPOOF_UNKNOWN);
	assert_true(spoof_counts(SPOOF_UNKNOWN));
	/* The MAC the address is known by. */
	assert_int_equal(spoof_judge(&lease, &own), SPOOF_MATCH);
	assert_int_equal(spoof_judge(&neigh, &own), SPOOF_MATCH);
	assert_true(spoof_counts(SPOOF_MATCH));
	/* Another machine's. */
	assert_int_equal(spoof_judge(&lease, &other), SPOOF_MISMATCH);
	assert_int_equal(spoof_judge(&neigh, &other), SPOOF_MISMATCH);
	assert_false(spoof_counts(SPOOF_MISMATCH));
	/* Lease and neighbour table disagree: either one is the host's. */
	assert_int_equal(spoof_judge(&both, &own), SPOOF_MATCH);
	assert_int_equal(spoof_judge(&both, &second), SPOOF_MATCH);
	assert_int_equal(spoof_judge(&both, &other), SPOOF_MISMATCH);
}

static void test_expect_build(void **state)
{
	struct lease lv[] = { L("192.0.2.20", "02:00:00:00:00:20"), L("2001:db8:1::20", NULL),
			      L("192.0.2.30", "02:00:00:00:00:30") };
	struct leases l = { .v = lv, .n = 3 };
	struct neigh_entry nv[] = { N("192.0.2.20", "02:00:00:00:00:21"),
				    N("192.0.2.40", "02:00:00:00:00:40"),
				    N("192.0.2.40", "02:00:00:00:00:41") };
	struct expect_table t = { 0 };
	const struct expect_entry *x;
	struct addr a;
	struct mac m;

	(void)state;
	assert_null(expect_find(&t, &(struct addr){ .v6_mapped = 0 }));
	assert_int_equal(expect_build(&t, &l, nv, 3, SEED), 0);
	assert_int_equal(t.n, 3);
	a = A("192.0.2.20");
	x = expect_find(&t, &a);
	assert_non_null(x);
	assert_int_equal(x->by, EXPECT_LEASE | EXPECT_NEIGH);
	m = M("02:00:00:00:00:20");
	assert_true(mac_equal(&x->lease_mac, &m));
	m = M("02:00:00:00:00:21");
	assert_true(mac_equal(&x->neigh_mac, &m));
	/* A DHCPv6 lease names no MAC: no expectation. */
	a = A("2001:db8:1::20");
	assert_null(expect_find(&t, &a));
	a = A("192.0.2.30");
	assert_int_equal(expect_find(&t, &a)->by, EXPECT_LEASE);
	/* The same address twice in the neighbour table: the first stands. */
	a = A("192.0.2.40");
	x = expect_find(&t, &a);
	assert_int_equal(x->by, EXPECT_NEIGH);
	m = M("02:00:00:00:00:40");
	assert_true(mac_equal(&x->neigh_mac, &m));
	/* Rebuilt from nothing: no expectations at all. */
	l.n = 0;
	assert_int_equal(expect_build(&t, &l, NULL, 0, SEED), 0);
	assert_int_equal(t.n, 0);
	assert_null(expect_find(&t, &a));
	expect_free(&t);
}

static void test_suspects(void **state)
{
	static struct spoof_suspects s;
	struct expect_entry x = { .neigh_mac = M("02:00:00:00:00:20"), .by = EXPECT_NEIGH };
	struct mac s1 = M("02:00:00:00:00:66"), s2 = M("02:00:00:00:00:67");
	struct addr a = A("192.0.2.20"), b;
	const struct spoof_suspect *p;
	bool fresh;

	(void)state;
	assert_int_equal(spoof_suspects_init(&s, SEED), 0);
	assert_null(spoof_find(&s, &a));
	p = spoof_note(&s, &a, &s1, &x, 1000, &fresh);
	assert_true(fresh);
	p = spoof_note(&s, &a, &s1, &x, 2000, &fresh);
	assert_false(fresh);
	assert_int_equal(p->events, 2);
	assert_false(p->several);
	assert_true(mac_equal(&p->sender, &s1));
	assert_true(mac_equal(&p->expected, &x.neigh_mac));
	assert_int_equal(p->expected_by, EXPECT_NEIGH);
	p = spoof_note(&s, &a, &s2, &x, 3000, &fresh);
	assert_true(p->several);
	assert_true(mac_equal(&p->sender, &s2));
	assert_ptr_equal(spoof_find(&s, &a), p);
	/* Full: the one spoofed least recently (a, at 3000) makes room. */
	for (unsigned i = 1; i < SPOOF_SUSPECTS_MAX; i++) {
		uint8_t v4[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };

		addr_from_v4(&b, v4);
		spoof_note(&s, &b, &s1, &x, 4000 + i, &fresh);
	}
	assert_int_equal(s.n, SPOOF_SUSPECTS_MAX);
	assert_non_null(spoof_find(&s, &a));
	b = A("198.51.100.7");
	spoof_note(&s, &b, &s1, &x, 9000, &fresh);
	assert_int_equal(s.n, SPOOF_SUSPECTS_MAX);
	assert_null(spoof_find(&s, &a));
	assert_non_null(spoof_find(&s, &b));
	for (unsigned i = 1; i < SPOOF_SUSPECTS_MAX; i++) {
		uint8_t v4[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };

		addr_from_v4(&b, v4);
		assert_non_null(spoof_find(&s, &b));
	}
	/* An hour after its last event a suspect is forgotten. */
	assert_int_equal(spoof_expire(&s, 4000 + SPOOF_SUSPECT_IDLE_MS + 100), 100);
	assert_int_equal(s.n, SPOOF_SUSPECTS_MAX - 100);
	b = A("198.51.100.7");
	assert_non_null(spoof_find(&s, &b));
	assert_int_equal(spoof_expire(&s, 9000 + SPOOF_SUSPECT_IDLE_MS), SPOOF_SUSPECTS_MAX - 100);
	assert_int_equal(s.n, 0);
	spoof_suspects_free(&s);
}

/* The sliding count of a suspect's events, and the flood flag it drives. */
static void test_window_count(void **state)
{
	struct spoof_suspect p = { 0 };
	const uint64_t w = 60000, slot = (w + 6) / 7, t0 = 600 * slot;
	uint32_t n = 0;

	(void)state;
	assert_int_equal(spoof_window_count(&p, t0, w), 0);
	/* 20 events in 2 s: no flood at threshold 20. */
	for (unsigned i = 0; i < 20; i++) {
		n = spoof_window_add(&p, t0 + i * 100, w, 1);
		assert_false(spoof_flood_due(&p, n, 20, t0 + i * 100, w));
	}
	assert_int_equal(n, 20);
	assert_false(spoof_flooding(&p, t0 + 2000, w));
	/* The 21st is one too many: flagged once ... */
	n = spoof_window_add(&p, t0 + 2000, w, 1);
	assert_int_equal(n, 21);
	assert_true(spoof_flood_due(&p, n, 20, t0 + 2000, w));
	assert_true(spoof_flooding(&p, t0 + 2000, w));
	assert_int_equal(p.floods, 1);
	/* ... and not again within the window. */
	n = spoof_window_add(&p, t0 + 3000, w, 1);
	assert_false(spoof_flood_due(&p, n, 20, t0 + 3000, w));
	assert_int_equal(p.floods, 1);
	/* All in the window while their slot is one of the last 7 whole. */
	assert_int_equal(spoof_window_count(&p, t0 + 6 * slot + 1, w), 22);
	/* Half covered, the oldest slot counts half (its events taken as
	 * spread evenly); the flag lapses a window after it was raised. */
	assert_int_equal(spoof_window_count(&p, t0 + 7 * slot + slot / 2, w), 11);
	assert_false(spoof_flooding(&p, t0 + 2000 + w, w));
	/* Past the window, nothing is left. */
	assert_int_equal(spoof_window_count(&p, t0 + 8 * slot, w), 0);
	/* A new flood after the window is flagged again. */
	for (unsigned i = 0; i < 20; i++)
		n = spoof_window_add(&p, t0 + 8 * slot + i * 10, w, 1);
	assert_int_equal(n, 20);
	assert_false(spoof_flood_due(&p, n, 20, t0 + 8 * slot + 200, w));
	n = spoof_window_add(&p, t0 + 8 * slot + 200, w, 1);
	assert_true(spoof_flood_due(&p, n, 20, t0 + 8 * slot + 200, w));
	assert_int_equal(p.floods, 2);
	/* Several at once (a window found to be a spoofer's). */
	memset(&p, 0, sizeof(p));
	n = spoof_window_add(&p, t0, w, 21);
	assert_int_equal(n, 21);
	assert_true(spoof_flood_due(&p, n, 20, t0, w));
	assert_int_equal(spoof_window_add(&p, t0, w, UINT32_MAX), UINT32_MAX);
}

/* ---- the daemon -------------------------------------------------------- */

static const struct mac REAL = { { 0x02, 0, 0, 0, 0, 0x20 } };
static const struct mac SPOOFER = { { 0x02, 0, 0, 0, 0, 0x66 } };

static struct nflogd *daemon_new(void)
{
	static struct nflogd d;
	struct policy_cfg pc;

	memset(&d, 0, sizeof(d));
	config_defaults(&d.cfg);
	snprintf(d.cfg.leases_file, sizeof(d.cfg.leases_file), "/nonexistent/nflogd-test");
	d.dry_run = true;
	d.seed = SEED;
	d.now_ms = d.started_ms = d.last_housekeeping_ms = 1000000;
	pc = daemon_policy_cfg(&d.cfg);
	d.tracker = tracker_new(1024, d.cfg.window, d.seed, d.now_ms);
	d.policy = policy_new(&pc, d.seed);
	table_init(&d.table, &d.cfg, &d.wl, d.policy, true);
	d.recent = calloc(1, sizeof(*d.recent));
	leases_init(&d.leases);
	d.control.fd = -1;
	assert_non_null(d.tracker);
	assert_non_null(d.policy);
	assert_non_null(d.recent);
	assert_int_equal(spoof_suspects_init(&d.suspects, d.seed), 0);
	return &d;
}

static void daemon_free(struct nflogd *d)
{
	tracker_free(d->tracker);
	policy_free(d->policy);
	free(d->recent);
	expect_free(&d->expect);
	spoof_suspects_free(&d->suspects);
	neigh_close(&d->neigh);	/* a block without expectation reads the table */
	table_close(&d->table);
}

/* The neighbour table says 192.0.2.20 is at REAL. */
static void expect_real(struct nflogd *d)
{
	struct neigh_entry e = { A("192.0.2.20"), REAL };

	assert_int_equal(expect_build(&d->expect, &d->leases, &e, 1, d->seed), 0);
}

/* One SYN from 192.0.2.20 to port 25, in a frame from mac. */
static void syn(struct nflogd *d, const struct mac *mac, unsigned k)
{
	uint8_t p[40] = { 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 20,
			  203, 0, 113, (uint8_t)(1 + k % 20) };
	struct intake_event ev = { p, sizeof(p), mac->b, 6, 0 };

	p[20] = (uint8_t)((1024 + k) >> 8);	/* a fresh source port each */
	p[21] = (uint8_t)(1024 + k);
	p[23] = 25;
	p[32] = 5 << 4;				/* data offset: 20 bytes */
	p[33] = 0x02;				/* SYN */
	daemon_on_event(d, &ev);
	daemon_count_batch(d);
	d->now_ms += 10;
}

static bool blocked(struct nflogd *d)
{
	struct addr a = A("192.0.2.20");
	const struct offender *o = policy_find(d->policy, &a);

	return o && o->blocked;
}

static void test_spoofed_events_do_not_block(void **state)
{
	struct nflogd *d = daemon_new();
	struct addr a = A("192.0.2.20");
	const struct spoof_suspect *p;

	(void)state;
	expect_real(d);
	for (unsigned k = 0; k < 60; k++)
		syn(d, &SPOOFER, k);
	assert_false(blocked(d));
	assert_int_equal(d->stats.spoofed, 60);
	assert_int_equal(d->stats.counted, 0);
	p = spoof_find(&d->suspects, &a);
	assert_non_null(p);
	assert_int_equal(p->events, 60);
	assert_true(mac_equal(&p->sender, &SPOOFER));
	assert_true(mac_equal(&p->expected, &REAL));
	assert_int_equal(p->expected_by, EXPECT_NEIGH);
	/* The real host's traffic is its own: 20 of them stay under the
	 * threshold, the spoofed ones before do not add to them. */
	for (unsigned k = 60; k < 80; k++)
		syn(d, &REAL, k);
	assert_false(blocked(d));
	assert_int_equal(d->stats.counted, 20);
	daemon_free(d);
}

/* A bot forging its own MAC looks like a framer: not blocked, but past the
 * threshold in one window it is a spoof flood, counted once a window. */
static void test_spoof_flood_counted_once_a_window(void **state)
{
	struct nflogd *d = daemon_new();
	struct addr a = A("192.0.2.20");

	(void)state;
	expect_real(d);
	for (unsigned k = 0; k < 20; k++)
		syn(d, &SPOOFER, k);
	assert_int_equal(d->stats.spoof_floods, 0);
	for (unsigned k = 20; k < 60; k++)
		syn(d, &SPOOFER, k);
	assert_false(blocked(d));
	assert_int_equal(d->stats.spoof_floods, 1);
	assert_true(spoof_flooding(spoof_find(&d->suspects, &a), d->now_ms,
				   d->cfg.window * 1000ULL));
	/* A window later, still at it: flagged again. */
	d->now_ms += d->cfg.window * 1000ULL;
	for (unsigned k = 60; k < 90; k++)
		syn(d, &SPOOFER, k);
	assert_int_equal(d->stats.spoof_floods, 2);
	daemon_free(d);
}

/* A spoofer cannot shield the real host when it is the bot. */
static void test_real_bot_blocked_among_spoofs(void **state)
{
	struct nflogd *d = daemon_new();
	struct addr a = A("192.0.2.20");

	(void)state;
	expect_real(d);
	for (unsigned k = 0; k < 42; k++)
		syn(d, k % 2 ? &REAL : &SPOOFER, k);
	assert_true(blocked(d));
	assert_int_equal(d->stats.counted, 21);
	assert_int_equal(d->stats.spoofed, 21);
	assert_true(mac_equal(&policy_find(d->policy, &a)->mac, &REAL));
	daemon_free(d);
}

/* Without an expectation, the MAC says nothing and every event counts. */
static void test_no_expectation_counts(void **state)
{
	struct nflogd *d = daemon_new();

	(void)state;
	for (unsigned k = 0; k < 21; k++)
		syn(d, &SPOOFER, k);
	assert_true(blocked(d));
	assert_int_equal(d->stats.spoofed, 0);
	daemon_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_expect_build),
		cmocka_unit_test(test_suspects),
		cmocka_unit_test(test_window_count),
		cmocka_unit_test(test_spoofed_events_do_not_block),
		cmocka_unit_test(test_spoof_flood_counted_once_a_window),
		cmocka_unit_test(test_real_bot_blocked_among_spoofs),
		cmocka_unit_test(test_no_expectation_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
