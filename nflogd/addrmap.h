/* A hash index from address to a slot number in an array its owner keeps.
 *
 * Open addressing with linear probing over 8-byte entries (the address's
 * 32-bit hash beside the slot number), at most half full. A lookup reads one
 * cache line of the index, compares hashes there, and touches the owner's
 * array only for an entry whose hash matches: one cache miss for the index
 * and one for the entry found, instead of a miss per link of a chain.
 * Removal shifts the following entries back (no tombstones), so the index
 * never degrades. Fixed capacity, no allocation after init: the per-event
 * path stays allocation-free. */
#ifndef NFLOGD_ADDRMAP_H
#define NFLOGD_ADDRMAP_H

#include <stdint.h>

#include "addr.h"

#define ADDRMAP_NONE UINT32_MAX

typedef const struct addr *(*addrmap_key_fn)(const void *owner, uint32_t idx);

struct addrmap_entry {
	uint32_t hash;
	uint32_t idx;			/* the slot number + 1; 0: empty */
};

struct addrmap {
	struct addrmap_entry *e;
	uint32_t mask;
	uint64_t seed;
	addrmap_key_fn key;
	const void *owner;
};

int addrmap_init(struct addrmap *m, uint32_t capacity, uint64_t seed,
		 addrmap_key_fn key, const void *owner);
void addrmap_free(struct addrmap *m);

uint32_t addrmap_hash(const struct addrmap *m, const struct addr *a);
uint32_t addrmap_find(const struct addrmap *m, const struct addr *a);
/* The same, with the hash from addrmap_hash (computed once per event). */
uint32_t addrmap_find_hashed(const struct addrmap *m, const struct addr *a, uint32_t hash);
/* Start loading the index line a lookup of this hash reads first. */
void addrmap_prefetch(const struct addrmap *m, uint32_t hash);
/* The first slot number whose hash matches, without reading any key: a
 * guess to prefetch the owner's entry by (ADDRMAP_NONE if none). */
uint32_t addrmap_guess(const struct addrmap *m, uint32_t hash);

/* idx must not be in the map and the map must hold fewer than capacity
 * entries; the key is read through the key function. */
void addrmap_insert(struct addrmap *m, uint32_t idx);
void addrmap_insert_hashed(struct addrmap *m, uint32_t idx, uint32_t hash);
/* Call while idx's key is still in place. */
void addrmap_remove(struct addrmap *m, uint32_t idx);

#endif
