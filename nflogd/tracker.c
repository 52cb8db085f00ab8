/* Per-host sliding-window counting; see tracker.h for the semantics. */
#include "tracker.h"

#include <stdlib.h>
#include <string.h>

#define NONE ADDRMAP_NONE

static const struct addr *host_key(const void *owner, uint32_t idx)
{
	return &((const struct tracker *)owner)->hosts[idx].addr;
}

struct tracker *tracker_new(uint32_t max_hosts, uint32_t window_seconds, uint64_t seed,
			    uint64_t now_ms)
{
	struct tracker *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->capacity = max_hosts;
	/* calloc: untouched pages cost no memory until hosts arrive. */
	t->hosts = calloc(max_hosts, sizeof(*t->hosts));
	t->dedupe = calloc(1u << TRACKER_DEDUPE_BITS, sizeof(*t->dedupe));
	if (t->hosts == NULL || t->dedupe == NULL ||
	    addrmap_init(&t->map, max_hosts, seed, host_key, t) < 0) {
		tracker_free(t);
		return NULL;
	}
	t->slot_ms = (uint32_t)(((uint64_t)window_seconds * 1000 + TRACKER_SLOTS - 2) /
				(TRACKER_SLOTS - 1));
	t->idle_seconds = window_seconds > TRACKER_IDLE_SECONDS ? window_seconds
								: TRACKER_IDLE_SECONDS;
	t->epoch_ms = now_ms;
	t->seed = seed;
	t->free_list = t->lru_head = t->lru_tail = NONE;
	t->clock.ms = UINT64_MAX;	/* no clock read yet */
	return t;
}

void tracker_free(struct tracker *t)
{
	if (t == NULL)
		return;
	addrmap_free(&t->map);
	free(t->hosts);
	free(t->dedupe);
	free(t);
}

static uint32_t seconds_of(const struct tracker *t, uint64_t now_ms)
{
	return (uint32_t)((now_ms - t->epoch_ms) / 1000);
}

/* The slot clock at now_ms: the cached one when now_ms is its instant. */
static struct tracker_clock clock_at(const struct tracker *t, uint64_t now_ms)
{
	struct tracker_clock c;

	if (now_ms == t->clock.ms)
		return t->clock;
	c.ms = now_ms;
	c.slot_ms = t->slot_ms;
	c.slot = (uint32_t)(now_ms / t->slot_ms);
	c.elapsed = (uint32_t)(now_ms % t->slot_ms);
	c.seconds = seconds_of(t, now_ms);
#ifdef __SIZEOF_INT128__
	c.oldest_weight = c.elapsed == 0 ? 0
			  : (uint64_t)((((unsigned __int128)(t->slot_ms - c.elapsed) << 64) +
					t->slot_ms - 1) / t->slot_ms);
#else
	c.oldest_weight = 0;	/* unused: weigh_oldest divides */
#endif
	return c;
}

uint64_t tracker_host_ms(const struct tracker *t, uint32_t seconds)
{
	return t->epoch_ms + (uint64_t)seconds * 1000;
}

static void lru_unlink(struct tracker *t, uint32_t i)
{
	struct host *h = &t->hosts[i];

	if (h->lru_prev != NONE)
		t->hosts[h->lru_prev].lru_next = h->lru_next;
	else
		t->lru_head = h->lru_next;
	if (h->lru_next != NONE)
		t->hosts[h->lru_next].lru_prev = h->lru_prev;
	else
		t->lru_tail = h->lru_prev;
}

static void lru_push_front(struct tracker *t, uint32_t i)
{
	struct host *h = &t->hosts[i];

	h->lru_prev = NONE;
	h->lru_next = t->lru_head;
	if (t->lru_head != NONE)
		t->hosts[t->lru_head].lru_prev = i;
	t->lru_head = i;
	if (t->lru_tail == NONE)
		t->lru_tail = i;
}

static void forget_index(struct tracker *t, uint32_t i)
{
	addrmap_remove(&t->map, i);
	lru_unlink(t, i);
	t->hosts[i].live = false;
	t->hosts[i].lru_next = t->free_list;
	t->free_list = i;
	t->used--;
}

void tracker_forget(struct tracker *t, struct host *h)
{
	forget_index(t, (uint32_t)(h - t->hosts));
}

static uint32_t take_slot(struct tracker *t)
{
	uint32_t i;

	if (t->free_list != NONE) {
		i = t->free_list;
		t->free_list = t->hosts[i].lru_next;
	} else if (t->fresh < t->capacity) {
		i = t->fresh++;
	} else {
		i = t->lru_tail;	/* full: forget the least recently seen */
		forget_index(t, i);
		t->free_list = t->hosts[i].lru_next;
		t->stats.evicted++;
	}
	t->used++;
	return i;
}

/* Does h's event at now_s move it to the front of the LRU list? Every event
 * does above half full; at most half full only a host's first of a second
 * (the list stays in last_seen order either way; see tracker.h). */
static bool lru_moves(const struct tracker *t, const struct host *h, uint32_t now_s)
{
	return h->last_seen != now_s || t->used > t->capacity / 2;
}

/* The host of address a: the guess when it still holds a (a stale guess
 * from earlier in the batch does not), else found in or added to the index. */
static struct host *host_get(struct tracker *t, const struct addr *a,
			     const struct tracker_hint *hint, uint32_t now_s)
{
	uint32_t i = hint->guess;
	struct host *h;

	if (i == NONE || !t->hosts[i].live || !addr_equal(&t->hosts[i].addr, a))
		i = addrmap_find_hashed(&t->map, a, hint->src_hash);
	if (i != NONE) {
		h = &t->hosts[i];
		if (t->lru_head != i && lru_moves(t, h, now_s)) {
			lru_unlink(t, i);
			lru_push_front(t, i);
		}
		return h;
	}
	i = take_slot(t);
	h = &t->hosts[i];
	memset(h, 0, sizeof(*h));
	h->addr = *a;
	h->live = true;
	h->first_seen = now_s;
	addrmap_insert_hashed(&t->map, i, hint->src_hash);
	lru_push_front(t, i);
	return h;
}

/* Move the host's ring forward to `slot`, clearing the slots (and slot
 * pairs) it skips. */
static void advance(struct host *h, uint32_t slot)
{
	uint32_t gap = slot - h->head_slot;

	if (gap == 0)
		return;
	if (gap >= TRACKER_SLOTS) {
		memset(h->count, 0, sizeof(h->count));
		memset(h->dstbits, 0, sizeof(h->dstbits));
	} else {
		for (uint32_t s = h->head_slot + 1; s != slot + 1; s++) {
			h->count[s % TRACKER_SLOTS] = 0;
			if (s % 2 == 0)	/* a new pair begins */
				h->dstbits[s / 2 % TRACKER_DST_PAIRS] = 0;
		}
	}
	h->head_slot = slot;
}

/* count * (slot_ms - elapsed) / slot_ms, rounded down, without a division:
 * the error of the rounded-up weight stays below 2^-48 (count < 2^16), less
 * than the 1/slot_ms that separates the exact result from the next integer. */
static uint32_t weigh_oldest(const struct tracker_clock *clk, uint32_t count)
{
	if (clk->elapsed == 0)
		return count;
#ifdef __SIZEOF_INT128__
	return (uint32_t)(((unsigned __int128)count * clk->oldest_weight) >> 64);
#else
	return (uint32_t)((uint64_t)count * (clk->slot_ms - clk->elapsed) / clk->slot_ms);
#endif
}

/* The count in the window right after advance(h, clk->slot): the whole
 * ring, its oldest slot weighted. */
static uint32_t window_at_head(const struct tracker_clock *clk, const struct host *h)
{
	uint32_t sum = 0, oldest = h->count[(clk->slot - (TRACKER_SLOTS - 1)) % TRACKER_SLOTS];

	/* A loop the compiler unrolls. */
	for (uint32_t i = 0; i < TRACKER_SLOTS; i++)
		sum += h->count[i];
	return sum - oldest + weigh_oldest(clk, oldest);
}

static bool is_retransmit(struct tracker *t, const struct tracker_hint *hint, uint32_t now_s)
{
	struct dedupe_entry *e = &t->dedupe[hint->dedupe_slot];

	if (hint->dedupe_fp == 0)	/* no ports: each is a new attempt */
		return false;
	if (e->fingerprint == hint->dedupe_fp && now_s - e->seen <= TRACKER_DEDUPE_SECONDS)
		return true;
	e->fingerprint = hint->dedupe_fp;
	e->seen = now_s;
	return false;
}

void tracker_hint(const struct tracker *t, const struct conn *c, struct tracker_hint *hint)
{
	uint64_t k;

	hint->src_hash = addrmap_hash(&t->map, &c->src);
	hint->dst_hash = addr_hash(&c->dst, t->seed);
	k = hash_mix64(hint->src_hash ^ (uint64_t)hint->dst_hash << 32 ^
		       ((uint64_t)c->sport << 16 | c->dport));
	hint->dedupe_slot = (uint32_t)(k & ((1u << TRACKER_DEDUPE_BITS) - 1));
	/* Never 0 for a fingerprint: 0 marks an empty entry, and an event
	 * without ports (which a bot could not be told apart by). */
	hint->dedupe_fp = c->ip_only ? 0 : (uint32_t)(k >> 32) | 1;
	hint->guess = NONE;
	addrmap_prefetch(&t->map, hint->src_hash);
	__builtin_prefetch(&t->dedupe[hint->dedupe_slot], 1);
}

void tracker_prefetch_host(const struct tracker *t, struct tracker_hint *hint)
{
	const char *h;

	hint->guess = addrmap_guess(&t->map, hint->src_hash);
	if (hint->guess == NONE)
		return;
	h = (const char *)&t->hosts[hint->guess];
	__builtin_prefetch(h, 1);	/* a host spans two cache lines */
	__builtin_prefetch(h + sizeof(struct host) - 1, 1);
}

const struct host *tracker_prefetch_lru(const struct tracker *t, const struct tracker_hint *hint)
{
	const struct host *h;

	if (hint->guess == NONE)
		return NULL;
	h = &t->hosts[hint->guess];
	/* The clock may be a wake-up old here: a missed prefetch costs
	 * time, not truth. */
	if (!lru_moves(t, h, t->clock.seconds))
		return h;
	if (h->lru_prev != NONE)
		__builtin_prefetch(&t->hosts[h->lru_prev].lru_next, 1);
	if (h->lru_next != NONE)
		__builtin_prefetch(&t->hosts[h->lru_next].lru_prev, 1);
	return h;
}

struct host *tracker_record(struct tracker *t, const struct conn *c,
			    const struct mac *mac, uint64_t now_ms, bool *counted)
{
	struct tracker_hint hint;
	uint32_t window;

	tracker_hint(t, c, &hint);
	return tracker_record_hinted(t, c, &hint, mac, now_ms, counted, &window);
}

struct host *tracker_record_hinted(struct tracker *t, const struct conn *c,
				   const struct tracker_hint *hint, const struct mac *mac,
				   uint64_t now_ms, bool *counted, uint32_t *window)
{
	uint32_t now_s, slot;
	struct host *h;

	if (now_ms != t->clock.ms)
		t->clock = clock_at(t, now_ms);
	now_s = t->clock.seconds;
	slot = t->clock.slot;
	h = host_get(t, &c->src, hint, now_s);

	h->last_seen = now_s;
	if (mac) {
		h->mac = *mac;
		h->has_mac = true;
	}
	if (is_retransmit(t, hint, now_s)) {
		t->stats.retransmits++;
		*counted = false;
		return h;
	}
	advance(h, slot);
	/* Summed before the increment: reading the ring right after a store
	 * into it would wait for the store (no forwarding into a wider load). */
	*window = window_at_head(&t->clock, h);
	if (h->count[slot % TRACKER_SLOTS] < UINT16_MAX) {
		h->count[slot % TRACKER_SLOTS]++;
		++*window;
	}
	h->dstbits[slot / 2 % TRACKER_DST_PAIRS] |= 1ULL << (hint->dst_hash & 63);
	h->total++;
	t->stats.attempts++;
	*counted = true;
	return h;
}

struct host *tracker_find(const struct tracker *t, const struct addr *a)
{
	uint32_t i = addrmap_find(&t->map, a);

	return i == NONE ? NULL : &t->hosts[i];
}

void tracker_reset_window(struct host *h)
{
	memset(h->count, 0, sizeof(h->count));
	memset(h->dstbits, 0, sizeof(h->dstbits));
}

size_t tracker_expire(struct tracker *t, uint64_t now_ms)
{
	uint32_t now_s = seconds_of(t, now_ms);
	size_t n = 0;

	while (t->lru_tail != NONE &&
	       now_s - t->hosts[t->lru_tail].last_seen > t->idle_seconds) {
		forget_index(t, t->lru_tail);
		n++;
	}
	t->stats.expired += n;
	return n;
}

/* The count of slot number `slot`, or 0 if the ring no longer (or not yet) holds it. */
static uint32_t slot_count(const struct host *h, uint32_t slot)
{
	if (slot > h->head_slot || h->head_slot - slot >= TRACKER_SLOTS)
		return 0;
	return h->count[slot % TRACKER_SLOTS];
}

uint32_t tracker_window_count(const struct tracker *t, const struct host *h, uint64_t now_ms)
{
	struct tracker_clock other;
	const struct tracker_clock *clk = now_ms == t->clock.ms ? &t->clock
				       : (other = clock_at(t, now_ms), &other);
	uint32_t slot = clk->slot, gap = slot - h->head_slot, sum = 0, oldest;

	if (slot < h->head_slot) {	/* asked about an earlier time: the general way */
		for (uint32_t k = 0; k < TRACKER_SLOTS - 1; k++)
			sum += slot_count(h, slot - k);
		return sum + weigh_oldest(clk, slot_count(h, slot - (TRACKER_SLOTS - 1)));
	}
	if (gap >= TRACKER_SLOTS)
		return 0;
	if (gap == 0)	/* the usual case: the whole ring is the window */
		return window_at_head(clk, h);
	oldest = h->count[(slot - (TRACKER_SLOTS - 1)) % TRACKER_SLOTS];
	/* The ring holds slots head_slot back to head_slot - 7: those from
	 * head_slot to slot - 6 count in full, slot - 7 by its weight. */
	for (uint32_t k = gap; k < TRACKER_SLOTS - 1; k++)
		sum += h->count[(slot - k) % TRACKER_SLOTS];
	return sum + weigh_oldest(clk, oldest);
}

static uint64_t window_dstbits(const struct tracker *t, const struct host *h, uint64_t now_ms)
{
	uint32_t pair = (now_ms == t->clock.ms ? t->clock.slot : clock_at(t, now_ms).slot) / 2;
	uint32_t head = h->head_slot / 2;
	uint64_t bits = 0;

	for (uint32_t k = 0; k < TRACKER_DST_PAIRS; k++) {
		uint32_t p = pair - k;

		if (p <= head && head - p < TRACKER_DST_PAIRS)
			bits |= h->dstbits[p % TRACKER_DST_PAIRS];
	}
	return bits;
}

uint32_t tracker_window_dsts_min(const struct tracker *t, const struct host *h, uint64_t now_ms)
{
	return (uint32_t)__builtin_popcountll(window_dstbits(t, h, now_ms));
}

uint32_t tracker_window_dsts(const struct tracker *t, const struct host *h, uint64_t now_ms)
{
	/* round(64 * ln(64 / zero_bits)), the linear-counting estimate. */
	static const uint16_t estimate[65] = {
		266, 266, 222, 196, 177, 163, 151, 142, 133, 126, 119, 113, 107, 102, 97,
		93, 89, 85, 81, 78, 74, 71, 68, 65, 63, 60, 58, 55, 53, 51, 48, 46, 44,
		42, 40, 39, 37, 35, 33, 32, 30, 28, 27, 25, 24, 23, 21, 20, 18, 17, 16,
		15, 13, 12, 11, 10, 9, 7, 6, 5, 4, 3, 2, 1, 0,
	};
	uint32_t est = estimate[64 - __builtin_popcountll(window_dstbits(t, h, now_ms))];
	uint32_t seen = 0, slot = clock_at(t, now_ms).slot;

	/* No more destinations than attempts in the slots the bitmaps cover. */
	for (uint32_t k = 0; k < TRACKER_SLOTS; k++)
		seen += slot_count(h, slot - k);
	return est < seen ? est : seen;
}

size_t tracker_top(const struct tracker *t, uint64_t now_ms, struct host **out, size_t n)
{
	size_t found = 0;

	for (uint32_t i = t->lru_head; i != NONE; i = t->hosts[i].lru_next) {
		struct host *h = &t->hosts[i];
		uint32_t c = tracker_window_count(t, h, now_ms);
		size_t pos = found;

		/* Insertion into a short sorted list: n is small (a screenful). */
		while (pos > 0) {
			uint32_t above = tracker_window_count(t, out[pos - 1], now_ms);

			if (c < above || (c == above && h->total <= out[pos - 1]->total))
				break;
			pos--;
		}
		if (pos >= n)
			continue;
		if (found < n)
			found++;
		memmove(&out[pos + 1], &out[pos], (found - 1 - pos) * sizeof(*out));
		out[pos] = h;
	}
	return found;
}

size_t tracker_count(const struct tracker *t)
{
	return t->used;
}
