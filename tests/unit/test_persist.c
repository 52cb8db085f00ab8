/* Unit tests for persist.c: when a save is due, and the state file written
 * from a policy and read back into a fresh one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <unistd.h>

#include "clock.h"
#include "persist.h"

static struct addr A(const char *s)
{
	struct addr a;

	if (addr_parse(s, &a) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return a;
}

static struct policy *new_policy(void)
{
	struct policy_cfg pc = { .threshold = 20, .min_destinations = 1,
				 .block_time_ms = 3600 * 1000, .block_time_max_ms = 86400 * 1000,
				 .max_blocked = 100 };
	struct policy *p = policy_new(&pc, 42);

	assert_non_null(p);
	return p;
}

/* A change is saved once the last save is PERSIST_SAVE_MS old, not before. */
static void test_save_due(void **state)
{
	struct config cfg;
	struct persist s;
	struct policy *p = new_policy();

	(void)state;
	config_defaults(&cfg);
	persist_init(&s, &cfg, true, 10000);
	assert_int_equal(persist_due_ms(&s), UINT64_MAX);
	persist_changed(&s);
	assert_int_equal(persist_due_ms(&s), 10000 + PERSIST_SAVE_MS);
	persist_tick(&s, p, 10000 + PERSIST_SAVE_MS - 1);
	assert_true(s.dirty);
	persist_tick(&s, p, 10000 + PERSIST_SAVE_MS);
	assert_false(s.dirty);	/* a dry run saves nothing, and is done */
	assert_int_equal(s.saved_ms, 10000 + PERSIST_SAVE_MS);
	assert_int_equal(persist_due_ms(&s), UINT64_MAX);
	policy_free(p);
}

/* Saved and restored: the block keeps its end (rounded down to the second)
 * and offences, a history record comes back as history, and a host the
 * whitelist covers meanwhile keeps its history but not its block. */
static void test_round_trip(void **state)
{
	const char *dir = *state;
	struct config cfg;
	struct whitelist wl = { 0 };
	struct persist s;
	struct policy *p = new_policy(), *back = new_policy();
	struct addr bot = A("192.0.2.30"), old = A("2001:db8::40");
	struct offender released, *o;
	uint64_t now = monotonic_ms();
	struct error err;
	FILE *f;

	config_defaults(&cfg);
	snprintf(cfg.state_file, sizeof(cfg.state_file), "%s/state", dir);
	persist_init(&s, &cfg, false, now);
	assert_non_null(policy_block(p, &bot, NULL, now, REASON_AUTO, POLICY_BY_OFFENCE, 30, 5,
				     &released));
	o = policy_block(p, &old, NULL, now, REASON_MANUAL, 60000, 0, 0, &released);
	assert_non_null(o);
	policy_unblock(p, o, now);
	persist_changed(&s);
	persist_save(&s, p, now);
	assert_false(s.dirty);
	assert_int_equal(s.saves, 1);
	assert_int_equal(s.errors, 0);

	persist_restore(&s, back, &wl, now);
	o = policy_find(back, &bot);
	assert_non_null(o);
	assert_true(o->blocked);
	assert_int_equal(o->offences, 1);
	assert_int_equal(o->conns, 30);
	assert_true(o->expires_ms <= now + 3600 * 1000 && o->expires_ms + 2000 >= now + 3600 * 1000);
	o = policy_find(back, &old);
	assert_non_null(o);
	assert_false(o->blocked);
	policy_free(back);

	/* Whitelisted now: history kept, block not. */
	back = new_policy();
	f = text_stream("192.0.2.30\n");
	assert_int_equal(whitelist_parse(&wl, f, "test", &err), 0);
	fclose(f);
	persist_restore(&s, back, &wl, now);
	o = policy_find(back, &bot);
	assert_non_null(o);
	assert_false(o->blocked);
	assert_int_equal(o->offences, 1);
	whitelist_free(&wl);
	policy_free(back);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_due),
		cmocka_unit_test_setup_teardown(test_round_trip, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
