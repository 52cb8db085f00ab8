/* Address → index hash, fixed capacity, no allocation after init. */
#include "addrmap.h"

#include <stdlib.h>
#include <string.h>

int addrmap_init(struct addrmap *m, uint32_t capacity, uint64_t seed,
		 addrmap_key_fn key, const void *owner)
{
	uint32_t nbuckets = 16;

	while (nbuckets < capacity && nbuckets < (1u << 31))
		nbuckets <<= 1;
	m->bucket = malloc((size_t)nbuckets * sizeof(*m->bucket));
	m->next = malloc((size_t)capacity * sizeof(*m->next));
	if (m->bucket == NULL || m->next == NULL) {
		addrmap_free(m);
		return -1;
	}
	memset(m->bucket, 0xff, (size_t)nbuckets * sizeof(*m->bucket));
	m->mask = nbuckets - 1;
	m->seed = seed;
	m->key = key;
	m->owner = owner;
	return 0;
}

void addrmap_free(struct addrmap *m)
{
	free(m->bucket);
	free(m->next);
	m->bucket = m->next = NULL;
}

uint32_t addrmap_find(const struct addrmap *m, const struct addr *a)
{
	uint32_t i = m->bucket[addr_hash(a, m->seed) & m->mask];

	while (i != ADDRMAP_NONE && !addr_equal(m->key(m->owner, i), a))
		i = m->next[i];
	return i;
}

void addrmap_insert(struct addrmap *m, uint32_t idx)
{
	uint32_t *head = &m->bucket[addr_hash(m->key(m->owner, idx), m->seed) & m->mask];

	m->next[idx] = *head;
	*head = idx;
}

void addrmap_remove(struct addrmap *m, uint32_t idx)
{
	uint32_t *p = &m->bucket[addr_hash(m->key(m->owner, idx), m->seed) & m->mask];

	while (*p != ADDRMAP_NONE && *p != idx)
		p = &m->next[*p];
	if (*p == idx)
		*p = m->next[idx];
}
