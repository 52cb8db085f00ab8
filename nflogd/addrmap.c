/* Address → index hash: linear probing, backward-shift removal. */
#include "addrmap.h"

#include <stdbool.h>
#include <stdlib.h>

/* Entries hold idx + 1, so an all-zero (calloc'd, not yet touched) page is
 * all empty entries and costs no memory until used. */
#define EMPTY 0

int addrmap_init(struct addrmap *m, uint32_t capacity, uint64_t seed,
		 addrmap_key_fn key, const void *owner)
{
	uint32_t n = 16;

	/* At most half full: probes stay short and mostly inside one line. */
	while (n < 2 * (uint64_t)capacity && n < (1u << 31))
		n <<= 1;
	m->e = calloc(n, sizeof(*m->e));
	if (m->e == NULL)
		return -1;
	m->mask = n - 1;
	m->seed = seed;
	m->key = key;
	m->owner = owner;
	return 0;
}

void addrmap_free(struct addrmap *m)
{
	free(m->e);
	m->e = NULL;
}

uint32_t addrmap_hash(const struct addrmap *m, const struct addr *a)
{
	return addr_hash(a, m->seed);
}

void addrmap_prefetch(const struct addrmap *m, uint32_t hash)
{
	__builtin_prefetch(&m->e[hash & m->mask]);
}

uint32_t addrmap_find_hashed(const struct addrmap *m, const struct addr *a, uint32_t hash)
{
	for (uint32_t pos = hash & m->mask; m->e[pos].idx != EMPTY; pos = (pos + 1) & m->mask)
		if (m->e[pos].hash == hash && addr_equal(m->key(m->owner, m->e[pos].idx - 1), a))
			return m->e[pos].idx - 1;
	return ADDRMAP_NONE;
}

uint32_t addrmap_find(const struct addrmap *m, const struct addr *a)
{
	return addrmap_find_hashed(m, a, addrmap_hash(m, a));
}

uint32_t addrmap_guess(const struct addrmap *m, uint32_t hash)
{
	for (uint32_t pos = hash & m->mask; m->e[pos].idx != EMPTY; pos = (pos + 1) & m->mask)
		if (m->e[pos].hash == hash)
			return m->e[pos].idx - 1;
	return ADDRMAP_NONE;
}

void addrmap_insert_hashed(struct addrmap *m, uint32_t idx, uint32_t hash)
{
	uint32_t pos = hash & m->mask;

	while (m->e[pos].idx != EMPTY)
		pos = (pos + 1) & m->mask;
	m->e[pos].hash = hash;
	m->e[pos].idx = idx + 1;
}

void addrmap_insert(struct addrmap *m, uint32_t idx)
{
	addrmap_insert_hashed(m, idx, addrmap_hash(m, m->key(m->owner, idx)));
}

/* Is `home` cyclically within (gap, pos]? Then the entry at pos may not
 * move back to gap: its probe from home would no longer pass it. */
static bool stays(uint32_t gap, uint32_t pos, uint32_t home)
{
	return gap <= pos ? gap < home && home <= pos : gap < home || home <= pos;
}

void addrmap_remove(struct addrmap *m, uint32_t idx)
{
	uint32_t pos = addrmap_hash(m, m->key(m->owner, idx)) & m->mask, gap;

	while (m->e[pos].idx != idx + 1) {
		if (m->e[pos].idx == EMPTY)
			return;		/* not in the map */
		pos = (pos + 1) & m->mask;
	}
	/* Backward shift: pull later entries of the run into the gap so every
	 * remaining entry is still reached from its home position. */
	gap = pos;
	for (;;) {
		pos = (pos + 1) & m->mask;
		if (m->e[pos].idx == EMPTY)
			break;
		if (stays(gap, pos, m->e[pos].hash & m->mask))
			continue;
		m->e[gap] = m->e[pos];
		gap = pos;
	}
	m->e[gap].idx = EMPTY;
	m->e[gap].hash = 0;
}
