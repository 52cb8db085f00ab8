/* Who gets blocked, for how long, and when it ends. Pure: takes `now`
 * (milliseconds, monotonic), does no I/O; the caller applies each change to
 * the kernel and the log.
 *
 * A host is blocked when its attempts in the window exceed `threshold` and
 * its distinct destinations reach `min_destinations`. The n-th automatic
 * block of a host lasts block_time * 2^(n-1), at most block_time_max
 * (block_time 0: until unblocked by hand). A host's offence count is kept
 * for OFFENCE_MEMORY after its last block ended (block_time_max, at least a
 * day); after that it starts again at one.
 *
 * At most max_blocked hosts are blocked at once. When a new block would pass
 * that, the timed block closest to its end is released early to make room
 * (the caller logs it): the cap bounds kernel memory, and the newest
 * offender is the one still sending. With only permanent blocks left, the
 * new block is refused (and logged). Such early releases are counted
 * (released_early): a flood of spoofed sources can cause them. */
#ifndef NFLOGD_POLICY_H
#define NFLOGD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "addrmap.h"

#define OFFENCE_MEMORY_MIN_MS (86400ULL * 1000)
#define POLICY_NO_EXPIRY 0	/* expires_ms of a block until unblocked */

enum block_reason { REASON_AUTO, REASON_MANUAL };

struct policy_cfg {
	uint32_t threshold;
	uint32_t min_destinations;
	uint64_t block_time_ms;		/* 0 = until unblocked */
	uint64_t block_time_max_ms;
	uint32_t max_blocked;
};

struct offender {
	struct addr addr;
	struct mac mac;
	bool has_mac;
	bool in_use;			/* false: a free record */
	bool blocked;
	uint8_t reason;			/* enum block_reason */
	uint32_t offences;		/* automatic blocks so far */
	uint32_t conns, dsts;		/* what fired the block */
	uint64_t since_ms;
	uint64_t expires_ms;		/* POLICY_NO_EXPIRY = until unblocked */
	uint64_t last_end_ms;		/* when the last block ended */
	uint32_t heap_pos;		/* in the expiry heap, or ADDRMAP_NONE;
					 * a free record's next free one */
};

struct policy {
	struct policy_cfg cfg;
	struct offender *recs;
	uint32_t capacity, fresh, free_list;
	struct addrmap map;
	uint32_t *heap;			/* timed blocks, soonest expiry first */
	uint32_t heap_len;
	uint32_t nblocked;
	uint64_t released_early;	/* blocks ended to make room under the cap */
};

struct policy *policy_new(const struct policy_cfg *cfg, uint64_t seed);
void policy_free(struct policy *p);
/* New limits apply to new blocks; running blocks keep their end. A lower
 * max_blocked is enforced as blocks end (nothing is released at once). */
void policy_set_cfg(struct policy *p, const struct policy_cfg *cfg);

bool policy_exceeds(const struct policy_cfg *cfg, uint32_t conns, uint32_t dsts_min);
/* Length of a host's block number `offence` (1-based); 0 = until unblocked. */
uint64_t policy_block_duration(const struct policy_cfg *cfg, uint32_t offence);

struct offender *policy_find(const struct policy *p, const struct addr *a);
/* A batch's hints (as tracker.h's): load the index line policy_find(a)
 * reads, then, in a later pass, the record it probably finds (returned:
 * the guess, or ADDRMAP_NONE). */
uint32_t policy_prefetch_index(const struct policy *p, const struct addr *a);
uint32_t policy_prefetch_record(const struct policy *p, uint32_t hash);
/* policy_find with those hints: the guess if it still holds a (records may
 * have come and gone since), else the index searched by the hash. */
struct offender *policy_find_hinted(const struct policy *p, const struct addr *a,
				    uint32_t hash, uint32_t guess);

/* Block a host. duration_ms: POLICY_BY_OFFENCE for the escalation rule,
 * else the length (0 = until unblocked). If the cap forced a release,
 * *released is a copy of that block (its blocked flag set) for the caller
 * to undo in the kernel; else released->blocked is false.
 * Returns the block, or NULL if the cap is full of permanent blocks or the
 * host is already blocked. */
#define POLICY_BY_OFFENCE UINT64_MAX
struct offender *policy_block(struct policy *p, const struct addr *a, const struct mac *mac,
			      uint64_t now_ms, enum block_reason reason, uint64_t duration_ms,
			      uint32_t conns, uint32_t dsts, struct offender *released);
void policy_unblock(struct policy *p, struct offender *o, uint64_t now_ms);

/* Put back a record saved earlier (its times already on now_ms's clock). A
 * block whose end has passed, or one past the max_blocked cap, comes back
 * as offence history only. Returns the record, or NULL if the table is full. */
struct offender *policy_restore(struct policy *p, const struct offender *saved, uint64_t now_ms);

/* Iterate over every record in use: blocks and remembered offenders. */
#define POLICY_FOREACH(p, o) \
	for (struct offender *o = (p)->recs; o < (p)->recs + (p)->fresh; o++) \
		if (o->in_use)

/* The next block whose time is up at now, or NULL. Unblock it, then ask again. */
struct offender *policy_next_expired(const struct policy *p, uint64_t now_ms);
/* When the next block ends (the same clock as now_ms), or UINT64_MAX when
 * none is pending. */
uint64_t policy_next_expiry(const struct policy *p);
/* Forget offence records past their memory; returns how many. */
uint32_t policy_forget_old(struct policy *p, uint64_t now_ms);

/* Blocks in force. */
uint32_t policy_blocked_count(const struct policy *p);
/* Length of the host's next automatic block; 0 = until unblocked. */
uint64_t policy_next_block_ms(const struct policy *p, const struct offender *o);
/* The first block at record *cursor or after it (*cursor moved to it), or
 * NULL: a walk over the blocks that may stop and go on later. */
const struct offender *policy_next_blocked(const struct policy *p, uint64_t *cursor);

/* Every blocked host, o pointing to its record: every record ever handed
 * out is scanned, and those not blocked (free ones, offence history) are
 * skipped. */
#define POLICY_FOREACH_BLOCKED(p, o) \
	for (struct offender *o = (p)->recs; o < (p)->recs + (p)->fresh; o++) \
		if (o->blocked)

#endif
