/* addrmap: the open-addressing index. Checked against a plain array as the
 * reference, through long random runs on tables small enough that probe
 * runs collide, merge and wrap around the table's end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "addrmap.h"

struct owner {
	struct addr keys[4096];
	bool present[4096];
};

static const struct addr *key_of(const void *owner, uint32_t idx)
{
	return &((const struct owner *)owner)->keys[idx];
}

static struct addr addr_n(uint32_t n, bool v6)
{
	struct addr a;

	if (v6) {
		uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0,
				  (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
				  (uint8_t)n };

		addr_from_v6(&a, b);
	} else {
		uint8_t b[4] = { 198, (uint8_t)(18 + (n >> 16 & 1)), (uint8_t)(n >> 8), (uint8_t)n };

		addr_from_v4(&a, b);
	}
	return a;
}

/* Every slot number: found exactly when present; an absent key never is. */
static void check_all(const struct addrmap *m, const struct owner *o, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t got = addrmap_find(m, &o->keys[i]);

		if (o->present[i])
			assert_int_equal(got, i);
		else
			assert_int_equal(got, ADDRMAP_NONE);
	}
}

static void test_empty(void **state)
{
	struct addrmap m;
	struct owner *o = calloc(1, sizeof(*o));
	struct addr a = addr_n(1, false);

	(void)state;
	assert_int_equal(addrmap_init(&m, 100, 42, key_of, o), 0);
	assert_int_equal(addrmap_find(&m, &a), ADDRMAP_NONE);
	assert_int_equal(addrmap_guess(&m, addrmap_hash(&m, &a)), ADDRMAP_NONE);
	addrmap_remove(&m, 0);	/* not there: nothing happens */
	assert_int_equal(addrmap_find(&m, &a), ADDRMAP_NONE);
	addrmap_free(&m);
	free(o);
}

static void test_insert_find_remove(void **state)
{
	struct addrmap m;
	struct owner *o = calloc(1, sizeof(*o));

	(void)state;
	assert_int_equal(addrmap_init(&m, 64, 7, key_of, o), 0);
	for (uint32_t i = 0; i < 64; i++) {
		o->keys[i] = addr_n(i, i % 2);
		addrmap_insert(&m, i);
		o->present[i] = true;
	}
	check_all(&m, o, 64);
	for (uint32_t i = 0; i < 64; i += 3) {
		addrmap_remove(&m, i);
		o->present[i] = false;
	}
	check_all(&m, o, 64);
	/* The guess for a present key is the key's own slot when no other
	 * entry on its probe path has the same 32-bit hash. */
	for (uint32_t i = 1; i < 64; i += 3)
		assert_int_equal(addrmap_guess(&m, addrmap_hash(&m, &o->keys[i])), i);
	addrmap_free(&m);
	free(o);
}

/* Random inserts and removals at up to full capacity: backward-shift
 * removal must keep every remaining key reachable. Capacities of 8 and
 * 16 give 16- and 32-entry tables: long runs that wrap around. */
static void random_run(uint32_t capacity, uint64_t seed, bool v6, uint32_t steps)
{
	struct addrmap m;
	struct owner *o = calloc(1, sizeof(*o));
	uint64_t rng = seed;
	uint32_t used = 0, nkeys = capacity * 3;

	assert_true(nkeys <= 4096);
	assert_int_equal(addrmap_init(&m, capacity, seed, key_of, o), 0);
	for (uint32_t i = 0; i < nkeys; i++)
		o->keys[i] = addr_n(i * 2654435761u, v6);
	for (uint32_t s = 0; s < steps; s++) {
		uint32_t i = (uint32_t)(xorshift(&rng) % nkeys);

		if (o->present[i]) {
			addrmap_remove(&m, i);
			o->present[i] = false;
			used--;
		} else if (used < capacity) {
			addrmap_insert(&m, i);
			o->present[i] = true;
			used++;
		}
		if (s % 7 == 0)
			check_all(&m, o, nkeys);
	}
	check_all(&m, o, nkeys);
	addrmap_free(&m);
	free(o);
}

static void test_random_tiny(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++)
		random_run(8, seed * 0x9e3779b97f4a7c15ULL, seed % 2, 2000);
}

static void test_random_small(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 10; seed++)
		random_run(100, seed * 0x2545f4914f6cdd1dULL, seed % 2, 20000);
}

static void test_random_large(void **state)
{
	(void)state;
	random_run(1365, 99, true, 200000);	/* 4096 keys, one third in at a time */
}

/* The hashed calls agree with the plain ones. */
static void test_hashed(void **state)
{
	struct addrmap m;
	struct owner *o = calloc(1, sizeof(*o));

	(void)state;
	assert_int_equal(addrmap_init(&m, 32, 3, key_of, o), 0);
	for (uint32_t i = 0; i < 32; i++) {
		o->keys[i] = addr_n(i, true);
		addrmap_insert_hashed(&m, i, addrmap_hash(&m, &o->keys[i]));
	}
	for (uint32_t i = 0; i < 32; i++) {
		uint32_t h = addrmap_hash(&m, &o->keys[i]);

		addrmap_prefetch(&m, h);
		assert_int_equal(addrmap_find_hashed(&m, &o->keys[i], h), i);
		assert_int_equal(addrmap_find(&m, &o->keys[i]), i);
	}
	addrmap_free(&m);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_insert_find_remove),
		cmocka_unit_test(test_random_tiny),
		cmocka_unit_test(test_random_small),
		cmocka_unit_test(test_random_large),
		cmocka_unit_test(test_hashed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
