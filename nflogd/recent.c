/* A ring of recent connection attempts. */
#include "recent.h"

#include <string.h>

void recent_add(struct recent *r, const struct addr *src, const struct addr *dst, uint64_t now_ms)
{
	struct recent_conn *c = &r->ring[r->added++ % RECENT_SIZE];

	c->src = *src;
	c->dst = *dst;
	c->when_ms = now_ms;
}

size_t recent_top_dsts(const struct recent *r, const struct addr *src, struct recent_dst *out,
		       size_t n)
{
	struct recent_dst seen[256];	/* distinct destinations tallied */
	size_t nseen = 0, filled = r->added < RECENT_SIZE ? r->added : RECENT_SIZE;

	for (size_t i = 0; i < filled; i++) {
		const struct recent_conn *c = &r->ring[i];
		size_t j;

		if (!addr_equal(&c->src, src))
			continue;
		for (j = 0; j < nseen && !addr_equal(&seen[j].dst, &c->dst); j++)
			;
		if (j == nseen) {
			if (nseen == sizeof(seen) / sizeof(seen[0]))
				continue;	/* past 256 the tail does not make the top */
			seen[nseen].dst = c->dst;
			seen[nseen].count = 0;
			seen[nseen].last_ms = 0;
			nseen++;
		}
		seen[j].count++;
		if (c->when_ms > seen[j].last_ms)
			seen[j].last_ms = c->when_ms;
	}
	/* Selection of the n largest: n and nseen are small. */
	if (n > RECENT_TOP_MAX)
		n = RECENT_TOP_MAX;
	for (size_t k = 0; k < n && k < nseen; k++) {
		size_t best = k;

		for (size_t j = k + 1; j < nseen; j++)
			if (seen[j].count > seen[best].count)
				best = j;
		struct recent_dst t = seen[k];

		seen[k] = seen[best];
		seen[best] = t;
		out[k] = seen[k];
	}
	return n < nseen ? n : nseen;
}
