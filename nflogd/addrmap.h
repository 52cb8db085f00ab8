/* A hash index from address to a slot number in an array its owner keeps.
 * Fixed capacity, chained through a parallel next[] array: inserting and
 * removing never allocate, so the per-event path stays allocation-free. */
#ifndef NFLOGD_ADDRMAP_H
#define NFLOGD_ADDRMAP_H

#include <stdint.h>

#include "addr.h"

#define ADDRMAP_NONE UINT32_MAX

typedef const struct addr *(*addrmap_key_fn)(const void *owner, uint32_t idx);

struct addrmap {
	uint32_t *bucket;
	uint32_t *next;
	uint32_t mask;
	uint64_t seed;
	addrmap_key_fn key;
	const void *owner;
};

int addrmap_init(struct addrmap *m, uint32_t capacity, uint64_t seed,
		 addrmap_key_fn key, const void *owner);
void addrmap_free(struct addrmap *m);
uint32_t addrmap_find(const struct addrmap *m, const struct addr *a);
/* idx must not be in the map; its key is read through the key function. */
void addrmap_insert(struct addrmap *m, uint32_t idx);
void addrmap_remove(struct addrmap *m, uint32_t idx);

#endif
