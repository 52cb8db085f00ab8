/* Expected MACs per address, the spoof decision, and the suspects. */
#include "spoof.h"

#include <stdlib.h>
#include <string.h>

/* ---- expectations ------------------------------------------------------- */

static struct expect_entry *slot_of(struct expect_entry *slots, uint32_t mask, uint64_t seed,
				    const struct addr *a)
{
	uint32_t pos = addr_hash(a, seed) & mask;

	while (slots[pos].by && !addr_equal(&slots[pos].addr, a))
		pos = (pos + 1) & mask;
	return &slots[pos];
}

int expect_build(struct expect_table *t, const struct leases *l, const struct neigh_entry *ne,
		 size_t nne, uint64_t seed)
{
	size_t want = l->n + nne;
	uint32_t size = 16, n = 0;
	struct expect_entry *slots;

	if (want > UINT32_MAX / 4)
		return -1;
	while (size < 2 * want)
		size <<= 1;
	_Static_assert(sizeof(*slots) == 32, "two expectations to a cache line");
	slots = aligned_alloc(64, (size_t)size * sizeof(*slots));
	if (slots == NULL)
		return -1;
	memset(slots, 0, (size_t)size * sizeof(*slots));
	for (size_t i = 0; i < l->n; i++) {
		struct expect_entry *x;

		if (!l->v[i].has_mac)
			continue;
		x = slot_of(slots, size - 1, seed, &l->v[i].addr);
		n += x->by == 0;
		x->addr = l->v[i].addr;
		x->lease_mac = l->v[i].mac;
		x->by |= EXPECT_LEASE;
	}
	for (size_t i = 0; i < nne; i++) {
		struct expect_entry *x = slot_of(slots, size - 1, seed, &ne[i].addr);

		/* The same address on two links: the first entry stands. */
		if (x->by & EXPECT_NEIGH)
			continue;
		n += x->by == 0;
		x->addr = ne[i].addr;
		x->neigh_mac = ne[i].mac;
		x->by |= EXPECT_NEIGH;
	}
	expect_free(t);
	t->slots = slots;
	t->mask = size - 1;
	t->n = n;
	t->seed = seed;
	return 0;
}

void expect_free(struct expect_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

void expect_prefetch(const struct expect_table *t, const struct addr *a)
{
	if (t->n)
		__builtin_prefetch(&t->slots[addr_hash(a, t->seed) & t->mask]);
}

const struct expect_entry *expect_find(const struct expect_table *t, const struct addr *a)
{
	const struct expect_entry *x;

	if (t->n == 0)
		return NULL;
	x = slot_of(t->slots, t->mask, t->seed, a);
	return x->by ? x : NULL;
}

/* ---- the decision ------------------------------------------------------- */

enum spoof_verdict spoof_judge(const struct expect_entry *x, const struct mac *mac)
{
	if (x == NULL || x->by == 0 || mac == NULL)
		return SPOOF_UNKNOWN;
	/* Either source naming this MAC is enough: a lease left from an
	 * earlier machine, or a neighbour entry not yet refreshed, must not
	 * make the real host's own events "spoofed" (and spare a bot). */
	if ((x->by & EXPECT_LEASE) && mac_equal(&x->lease_mac, mac))
		return SPOOF_MATCH;
	if ((x->by & EXPECT_NEIGH) && mac_equal(&x->neigh_mac, mac))
		return SPOOF_MATCH;
	return SPOOF_MISMATCH;
}

const char *expect_by_name(uint8_t by)
{
	return by == EXPECT_LEASE ? "lease" : "neigh";
}

/* ---- suspects ----------------------------------------------------------- */

static const struct addr *suspect_key(const void *owner, uint32_t idx)
{
	return &((const struct spoof_suspect *)owner)[idx].addr;
}

int spoof_suspects_init(struct spoof_suspects *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	if (addrmap_init(&s->map, SPOOF_SUSPECTS_MAX, seed, suspect_key, s->v) < 0)
		return -1;
	s->ready = true;
	return 0;
}

void spoof_suspects_free(struct spoof_suspects *s)
{
	if (s->ready)
		addrmap_free(&s->map);
	s->ready = false;
	s->n = 0;
}

static uint32_t least_recent(const struct spoof_suspects *s)
{
	uint32_t oldest = 0;

	for (uint32_t i = 1; i < s->n; i++)
		if (s->v[i].last_ms < s->v[oldest].last_ms)
			oldest = i;
	return oldest;
}

/* Drop slot i: the last suspect moves into it. */
static void drop(struct spoof_suspects *s, uint32_t i)
{
	uint32_t last = s->n - 1;

	addrmap_remove(&s->map, i);
	if (i != last) {
		addrmap_remove(&s->map, last);
		s->v[i] = s->v[last];
		addrmap_insert(&s->map, i);
	}
	s->n--;
}

/* The MAC x names for the address (the lease's first: DHCP handed it out). */
static void expected_of(const struct expect_entry *x, struct spoof_suspect *p)
{
	if (x->by & EXPECT_LEASE) {
		p->expected = x->lease_mac;
		p->expected_by = EXPECT_LEASE;
	} else {
		p->expected = x->neigh_mac;
		p->expected_by = EXPECT_NEIGH;
	}
}

struct spoof_suspect *spoof_note(struct spoof_suspects *s, const struct addr *a,
				 const struct mac *sender, const struct expect_entry *x,
				 uint64_t now_ms, bool *fresh)
{
	uint32_t i = addrmap_find(&s->map, a);
	struct spoof_suspect *p;

	*fresh = i == ADDRMAP_NONE;
	if (*fresh) {
		if (s->n == SPOOF_SUSPECTS_MAX)
			drop(s, least_recent(s));
		i = s->n++;
		p = &s->v[i];
		memset(p, 0, sizeof(*p));
		p->addr = *a;
		p->sender = *sender;
		p->first_ms = now_ms;
		addrmap_insert(&s->map, i);
	}
	p = &s->v[i];
	if (!mac_equal(&p->sender, sender)) {
		p->several = true;
		p->sender = *sender;
	}
	expected_of(x, p);
	p->events++;
	p->last_ms = now_ms;
	return p;
}

const struct spoof_suspect *spoof_find(const struct spoof_suspects *s, const struct addr *a)
{
	uint32_t i;

	if (!s->ready || s->n == 0)
		return NULL;
	i = addrmap_find(&s->map, a);
	return i == ADDRMAP_NONE ? NULL : &s->v[i];
}

uint32_t spoof_expire(struct spoof_suspects *s, uint64_t now_ms)
{
	uint32_t gone = 0;

	for (uint32_t i = 0; i < s->n;) {
		if (now_ms - s->v[i].last_ms >= SPOOF_SUSPECT_IDLE_MS) {
			drop(s, i);
			gone++;
		} else {
			i++;
		}
	}
	return gone;
}

/* ---- floods ------------------------------------------------------------- */

static uint64_t slot_width(uint64_t window_ms)
{
	return (window_ms + SPOOF_SLOTS - 2) / (SPOOF_SLOTS - 1);
}

/* Move p's newest slot up to the one holding now, emptying those passed. */
static void window_advance(struct spoof_suspect *p, uint64_t now_ms, uint64_t width)
{
	uint64_t slot = now_ms / width;

	for (uint64_t k = 1; k <= SPOOF_SLOTS && p->slot + k <= slot; k++)
		p->in_slot[(p->slot + k) % SPOOF_SLOTS] = 0;
	if (slot > p->slot)
		p->slot = slot;
}

static uint32_t window_sum(const struct spoof_suspect *p, uint64_t now_ms, uint64_t width)
{
	uint64_t sum = 0, left = width - now_ms % width;

	for (unsigned k = 0; k < SPOOF_SLOTS - 1; k++)
		sum += p->in_slot[(p->slot - k) % SPOOF_SLOTS];
	sum += ((uint64_t)p->in_slot[(p->slot + 1) % SPOOF_SLOTS] * left + width - 1) / width;
	return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

uint32_t spoof_window_add(struct spoof_suspect *p, uint64_t now_ms, uint64_t window_ms,
			  uint32_t n)
{
	uint64_t width = slot_width(window_ms);
	uint32_t *c;

	window_advance(p, now_ms, width);
	c = &p->in_slot[p->slot % SPOOF_SLOTS];
	*c = n > UINT32_MAX - *c ? UINT32_MAX : *c + n;
	return window_sum(p, now_ms, width);
}

uint32_t spoof_window_count(const struct spoof_suspect *p, uint64_t now_ms, uint64_t window_ms)
{
	uint64_t width = slot_width(window_ms);
	struct spoof_suspect q = *p;

	window_advance(&q, now_ms, width);
	return window_sum(&q, now_ms, width);
}

bool spoof_flood_due(struct spoof_suspect *p, uint32_t in_window, uint32_t threshold,
		     uint64_t now_ms, uint64_t window_ms)
{
	if (in_window <= threshold || spoof_flooding(p, now_ms, window_ms))
		return false;
	p->floods++;
	p->flood_ms = now_ms;
	return true;
}

bool spoof_flooding(const struct spoof_suspect *p, uint64_t now_ms, uint64_t window_ms)
{
	return p->floods && now_ms - p->flood_ms < window_ms;
}
