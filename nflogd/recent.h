/* The last RECENT_SIZE connection attempts, to say where a host has been
 * sending (nflogctl show). A fixed ring: adding costs one copy, nothing else. */
#ifndef NFLOGD_RECENT_H
#define NFLOGD_RECENT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define RECENT_SIZE 16384
#define RECENT_TOP_MAX 32

struct recent_conn {
	struct addr src, dst;
	uint64_t when_ms;
};

struct recent {
	struct recent_conn ring[RECENT_SIZE];
	uint64_t added;
};

struct recent_dst {
	struct addr dst;
	uint32_t count;
	uint64_t last_ms;
};

void recent_add(struct recent *r, const struct addr *src, const struct addr *dst, uint64_t now_ms);
/* src's most frequent destinations among the attempts still in the ring,
 * most frequent first; returns how many (at most n, n <= RECENT_TOP_MAX). */
size_t recent_top_dsts(const struct recent *r, const struct addr *src, struct recent_dst *out,
		       size_t n);

#endif
