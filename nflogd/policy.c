/* Blocking decisions, escalation, the max_blocked cap and expiry. */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

#define NONE ADDRMAP_NONE

static const struct addr *rec_key(const void *owner, uint32_t idx)
{
	return &((const struct policy *)owner)->recs[idx].addr;
}

struct policy *policy_new(const struct policy_cfg *cfg, uint64_t seed)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->cfg = *cfg;
	/* Room for every blocked host plus as many remembered offenders. */
	p->capacity = cfg->max_blocked * 2;
	p->recs = calloc(p->capacity, sizeof(*p->recs));
	p->heap = calloc(p->capacity, sizeof(*p->heap));
	if (p->recs == NULL || p->heap == NULL ||
	    addrmap_init(&p->map, p->capacity, seed, rec_key, p) < 0) {
		policy_free(p);
		return NULL;
	}
	p->free_list = NONE;
	return p;
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	addrmap_free(&p->map);
	free(p->recs);
	free(p->heap);
	free(p);
}

void policy_set_cfg(struct policy *p, const struct policy_cfg *cfg)
{
	uint32_t cap = p->cfg.max_blocked;

	p->cfg = *cfg;
	/* The arrays were sized for the first cap; they do not grow. */
	if (p->cfg.max_blocked > cap)
		p->cfg.max_blocked = cap;
}

bool policy_exceeds(const struct policy_cfg *cfg, uint32_t conns, uint32_t dsts_min)
{
	return conns > cfg->threshold && dsts_min >= cfg->min_destinations;
}

uint64_t policy_block_duration(const struct policy_cfg *cfg, uint32_t offence)
{
	uint64_t d = cfg->block_time_ms;

	if (d == 0)
		return 0;
	for (uint32_t i = 1; i < offence && d < cfg->block_time_max_ms; i++)
		d *= 2;
	return d < cfg->block_time_max_ms ? d : cfg->block_time_max_ms;
}

/* --- the expiry heap: a binary min-heap of record indices by expires_ms --- */

static bool heap_less(const struct policy *p, uint32_t a, uint32_t b)
{
	return p->recs[p->heap[a]].expires_ms < p->recs[p->heap[b]].expires_ms;
}

static void heap_swap(struct policy *p, uint32_t a, uint32_t b)
{
	uint32_t t = p->heap[a];

	p->heap[a] = p->heap[b];
	p->heap[b] = t;
	p->recs[p->heap[a]].heap_pos = a;
	p->recs[p->heap[b]].heap_pos = b;
}

static void heap_up(struct policy *p, uint32_t i)
{
	while (i > 0 && heap_less(p, i, (i - 1) / 2)) {
		heap_swap(p, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct policy *p, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < p->heap_len && heap_less(p, l, m))
			m = l;
		if (r < p->heap_len && heap_less(p, r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(p, i, m);
		i = m;
	}
}

static void heap_push(struct policy *p, uint32_t rec)
{
	p->heap[p->heap_len] = rec;
	p->recs[rec].heap_pos = p->heap_len;
	heap_up(p, p->heap_len++);
}

static void heap_remove(struct policy *p, uint32_t rec)
{
	uint32_t i = p->recs[rec].heap_pos;

	if (i == NONE)
		return;
	p->recs[rec].heap_pos = NONE;
	if (i != --p->heap_len) {
		p->heap[i] = p->heap[p->heap_len];
		p->recs[p->heap[i]].heap_pos = i;
		heap_down(p, i);
		heap_up(p, i);
	}
}

/* --- records --- */

uint32_t policy_prefetch_index(const struct policy *p, const struct addr *a)
{
	uint32_t hash = addrmap_hash(&p->map, a);

	addrmap_prefetch(&p->map, hash);
	return hash;
}

uint32_t policy_prefetch_record(const struct policy *p, uint32_t hash)
{
	uint32_t i = addrmap_guess(&p->map, hash);

	if (i != NONE)
		__builtin_prefetch(&p->recs[i]);
	return i;
}

struct offender *policy_find_hinted(const struct policy *p, const struct addr *a,
				    uint32_t hash, uint32_t guess)
{
	if (guess == NONE || !p->recs[guess].in_use || !addr_equal(&p->recs[guess].addr, a))
		guess = addrmap_find_hashed(&p->map, a, hash);
	return guess == NONE ? NULL : &p->recs[guess];
}

struct offender *policy_find(const struct policy *p, const struct addr *a)
{
	uint32_t i = addrmap_find(&p->map, a);

	return i == NONE ? NULL : &p->recs[i];
}

static void forget_record(struct policy *p, uint32_t i)
{
	addrmap_remove(&p->map, i);
	memset(&p->recs[i], 0, sizeof(p->recs[i]));
	p->recs[i].heap_pos = p->free_list;
	p->free_list = i;
}

/* A record for a, new if need be; a full table forgets the oldest offender
 * that is not blocked (there always is one: blocks are at most half). */
static struct offender *record_get(struct policy *p, const struct addr *a)
{
	uint32_t i = addrmap_find(&p->map, a);

	if (i != NONE)
		return &p->recs[i];
	if (p->free_list == NONE && p->fresh == p->capacity) {
		uint32_t oldest = NONE;

		for (uint32_t j = 0; j < p->fresh; j++) {
			const struct offender *o = &p->recs[j];

			if (o->in_use && !o->blocked &&
			    (oldest == NONE || o->last_end_ms < p->recs[oldest].last_end_ms))
				oldest = j;
		}
		if (oldest == NONE)
			return NULL;
		forget_record(p, oldest);
	}
	if (p->free_list != NONE) {
		i = p->free_list;
		p->free_list = p->recs[i].heap_pos;
	} else {
		i = p->fresh++;
	}
	memset(&p->recs[i], 0, sizeof(p->recs[i]));
	p->recs[i].addr = *a;
	p->recs[i].in_use = true;
	p->recs[i].heap_pos = NONE;
	addrmap_insert(&p->map, i);
	return &p->recs[i];
}

static uint64_t offence_memory(const struct policy *p)
{
	return p->cfg.block_time_max_ms > OFFENCE_MEMORY_MIN_MS ? p->cfg.block_time_max_ms
								  : OFFENCE_MEMORY_MIN_MS;
}

struct offender *policy_block(struct policy *p, const struct addr *a, const struct mac *mac,
			      uint64_t now_ms, enum block_reason reason, uint64_t duration_ms,
			      uint32_t conns, uint32_t dsts, struct offender *released)
{
	struct offender *o = policy_find(p, a);

	released->blocked = false;
	if (o && o->blocked)
		return NULL;
	if (p->nblocked >= p->cfg.max_blocked) {
		struct offender *victim;

		if (p->heap_len == 0)
			return NULL;
		victim = &p->recs[p->heap[0]];
		*released = *victim;
		policy_unblock(p, victim, now_ms);
		p->released_early++;
	}
	o = record_get(p, a);
	if (o == NULL)
		return NULL;
	if (o->offences > 0 && now_ms - o->last_end_ms > offence_memory(p))
		o->offences = 0;
	if (reason == REASON_AUTO)
		o->offences++;
	if (duration_ms == POLICY_BY_OFFENCE)
		duration_ms = policy_block_duration(&p->cfg, o->offences ? o->offences : 1);
	if (mac) {
		o->mac = *mac;
		o->has_mac = true;
	}
	o->blocked = true;
	o->reason = (uint8_t)reason;
	o->conns = conns;
	o->dsts = dsts;
	o->since_ms = now_ms;
	o->expires_ms = duration_ms == 0 ? POLICY_NO_EXPIRY : now_ms + duration_ms;
	if (o->expires_ms != POLICY_NO_EXPIRY)
		heap_push(p, (uint32_t)(o - p->recs));
	p->nblocked++;
	return o;
}

struct offender *policy_restore(struct policy *p, const struct offender *saved, uint64_t now_ms)
{
	struct offender *o = policy_find(p, &saved->addr);
	bool live = saved->blocked && p->nblocked < p->cfg.max_blocked &&
		    (saved->expires_ms == POLICY_NO_EXPIRY || saved->expires_ms > now_ms);

	if (o && o->blocked)
		return o;	/* a second line for the same host: the first wins */
	o = record_get(p, &saved->addr);
	if (o == NULL)
		return NULL;
	o->mac = saved->mac;
	o->has_mac = saved->has_mac;
	o->reason = saved->reason;
	o->offences = saved->offences;
	o->conns = saved->conns;
	o->dsts = saved->dsts;
	o->since_ms = saved->since_ms;
	o->expires_ms = saved->expires_ms;
	if (saved->blocked && !live)	/* ended while we were away, or no room */
		o->last_end_ms = saved->expires_ms == POLICY_NO_EXPIRY ||
				 saved->expires_ms > now_ms ? now_ms : saved->expires_ms;
	else
		o->last_end_ms = saved->last_end_ms;
	o->blocked = live;
	if (live) {
		if (o->expires_ms != POLICY_NO_EXPIRY)
			heap_push(p, (uint32_t)(o - p->recs));
		p->nblocked++;
	}
	return o;
}

void policy_unblock(struct policy *p, struct offender *o, uint64_t now_ms)
{
	if (!o->blocked)
		return;
	heap_remove(p, (uint32_t)(o - p->recs));
	o->blocked = false;
	o->last_end_ms = now_ms;
	p->nblocked--;
}

struct offender *policy_next_expired(const struct policy *p, uint64_t now_ms)
{
	if (p->heap_len == 0)
		return NULL;
	struct offender *o = &p->recs[p->heap[0]];

	return o->expires_ms <= now_ms ? o : NULL;
}

uint64_t policy_next_expiry(const struct policy *p)
{
	return p->heap_len ? p->recs[p->heap[0]].expires_ms : UINT64_MAX;
}

uint32_t policy_forget_old(struct policy *p, uint64_t now_ms)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < p->fresh; i++) {
		const struct offender *o = &p->recs[i];

		if (o->in_use && !o->blocked &&
		    now_ms - o->last_end_ms > offence_memory(p)) {
			forget_record(p, i);
			n++;
		}
	}
	return n;
}

uint32_t policy_blocked_count(const struct policy *p)
{
	return p->nblocked;
}

uint64_t policy_next_block_ms(const struct policy *p, const struct offender *o)
{
	return policy_block_duration(&p->cfg, o->offences + 1);
}

const struct offender *policy_next_blocked(const struct policy *p, uint64_t *cursor)
{
	for (; *cursor < p->fresh; (*cursor)++)
		if (p->recs[*cursor].blocked)
			return &p->recs[*cursor];
	return NULL;
}
