/* Per-host counting of connection attempts over a sliding window.
 * Pure: every call takes `now` (milliseconds, monotonic); no I/O, no clock.
 *
 * Window semantics. The window is cut into TRACKER_SLOTS - 1 = 7 slots of
 * width w = ceil(window / 7); a host keeps one counter per slot for the
 * current slot and the 7 before it. The count "in the window" at time now is
 *
 *     the current slot (elapsed part e) + the 6 full slots before it
 *     + the 7th slot back weighted by (w - e) / w   (rounded down)
 *
 * which covers exactly the last `window`. The one approximation is inside
 * the oldest, partly covered slot: its attempts are assumed spread evenly.
 * So the error is at most that slot's count, and zero for a burst that fits
 * in 6/7 of the window — the case that blocks spam bots.
 *
 * Distinct destinations: each pair of slots has a 64-bit bitmap of hashed
 * destination addresses; the union of the 4 pairs spans the last 6 to 8
 * slots (6/7 to 8/7 of the window, as the pairs turn over). It is read two
 * ways: its popcount, a lower bound on the true number (two destinations may
 * share a bit), used for the block decision so it never fires early; and
 * the linear-counting estimate of the true number (never more than the
 * attempts it saw), for display.
 *
 * Retransmitted SYNs (same source, destination and ports) count once: a
 * direct-mapped cache of recent connection fingerprints remembers each for
 * TRACKER_DEDUPE_SECONDS, longer than Linux's SYN retries (127 s). A
 * collision in it can only let a retransmit count twice. An event without
 * its TCP header (conn.ip_only) has no ports: each counts.
 *
 * Memory: hosts live in one array of max_hosts entries allocated (lazily
 * backed by the kernel) at creation; the least recently seen host is
 * forgotten when it is full, and hosts idle for TRACKER_IDLE_SECONDS (or the
 * window if longer) are forgotten by tracker_expire. The LRU list is kept
 * in last_seen order. Above half full, a host moves to its front at every
 * event: the least recently seen is forgotten first. At most half full, no
 * eviction is near, and a host moves only at its first event of a second,
 * so a busy host costs no list surgery (and no neighbours' cache lines) per
 * event. Either way a host is forgotten only if at least max_hosts / 2
 * others were seen since its last event (with every move: max_hosts - 1):
 * spoofed newcomers cannot push out a host that keeps sending. */
#ifndef NFLOGD_TRACKER_H
#define NFLOGD_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "addrmap.h"
#include "packet.h"

#define TRACKER_SLOTS 8
#define TRACKER_DEDUPE_BITS 17
#define TRACKER_DEDUPE_SECONDS 130
#define TRACKER_IDLE_SECONDS 3600
#define TRACKER_DST_PAIRS (TRACKER_SLOTS / 2)

struct host {
	struct addr addr;
	struct mac mac;
	/* One byte for both: with addr's family flag, 96 bytes in all. */
	bool has_mac : 1;
	bool live : 1;			/* false: a free slot (its addr is stale) */
	uint32_t lru_prev, lru_next;	/* most recent at lru_head */
	uint32_t first_seen, last_seen;	/* seconds since the tracker's epoch */
	uint32_t total;			/* attempts since first seen */
	uint32_t head_slot;		/* number of the newest slot with data */
	uint16_t count[TRACKER_SLOTS];
	uint64_t dstbits[TRACKER_DST_PAIRS];	/* by slot pair */
};

struct dedupe_entry {
	uint32_t fingerprint;
	uint32_t seen;			/* seconds since the tracker's epoch */
};

struct tracker_stats {
	uint64_t attempts;		/* counted toward a host */
	uint64_t retransmits;		/* same connection seen again */
	uint64_t evicted;		/* forgotten at the max_hosts cap */
	uint64_t expired;		/* forgotten when idle */
};

/* The clock of the last tracker_record, so the events of one wake-up (one
 * `now`) share one division. */
struct tracker_clock {
	uint64_t ms;
	uint32_t slot, elapsed, seconds;
	uint32_t slot_ms;
	/* ceil((slot_ms - elapsed) / slot_ms * 2^64): the oldest slot's weight
	 * as a multiplier (exact after rounding down; 0 when elapsed is 0). */
	uint64_t oldest_weight;
};

struct tracker {
	struct host *hosts;
	struct addrmap map;
	uint32_t capacity, used, fresh, free_list;
	uint32_t lru_head, lru_tail;
	uint32_t slot_ms;
	uint32_t idle_seconds;
	uint64_t epoch_ms;
	uint64_t seed;
	struct dedupe_entry *dedupe;
	struct tracker_clock clock;
	struct tracker_stats stats;
};

/* What tracker_record needs to know of an event before it runs: hashes
 * computed once, and the host it will probably find. */
struct tracker_hint {
	uint32_t src_hash, dst_hash;
	uint32_t dedupe_slot, dedupe_fp;
	uint32_t guess;			/* host index, or ADDRMAP_NONE */
};

struct tracker *tracker_new(uint32_t max_hosts, uint32_t window_seconds, uint64_t seed,
			    uint64_t now_ms);
void tracker_free(struct tracker *t);

/* Count one connection attempt. Returns its source host (never NULL);
 * *counted is false when it was a retransmit. */
struct host *tracker_record(struct tracker *t, const struct conn *c,
			    const struct mac *mac, uint64_t now_ms, bool *counted);

/* Counting a batch. Each record costs a few cache misses (index line, host,
 * its LRU neighbours, dedupe entry) that, one event after the other, are
 * waited for in turn. Running each stage over the whole batch before the
 * next lets the misses of different events overlap:
 *   tracker_hint            every event: hashes; loads index line and dedupe entry
 *   tracker_prefetch_host   every event: reads the index line; loads the host
 *   tracker_prefetch_lru    every event: reads the host; loads its neighbours
 *   tracker_record_hinted   every event, in order
 * The prefetch stages change nothing: a stale guess costs time, not truth. */
void tracker_hint(const struct tracker *t, const struct conn *c, struct tracker_hint *hint);
void tracker_prefetch_host(const struct tracker *t, struct tracker_hint *hint);
/* Returns the host guessed (NULL if none), for the caller's own hints. */
const struct host *tracker_prefetch_lru(const struct tracker *t, const struct tracker_hint *hint);
/* As tracker_record; when counted, *window is the host's count in the
 * window now (tracker_window_count), this attempt included. */
struct host *tracker_record_hinted(struct tracker *t, const struct conn *c,
				   const struct tracker_hint *hint, const struct mac *mac,
				   uint64_t now_ms, bool *counted, uint32_t *window);

struct host *tracker_find(const struct tracker *t, const struct addr *a);
/* Start the host's window afresh (after a block, so its release is clean). */
void tracker_reset_window(struct host *h);
void tracker_forget(struct tracker *t, struct host *h);
/* Forget idle hosts; returns how many. */
size_t tracker_expire(struct tracker *t, uint64_t now_ms);

uint32_t tracker_window_count(const struct tracker *t, const struct host *h, uint64_t now_ms);
/* Lower bound on distinct destinations in the window (decisions). */
uint32_t tracker_window_dsts_min(const struct tracker *t, const struct host *h, uint64_t now_ms);
/* Estimate of distinct destinations in the window (display). */
uint32_t tracker_window_dsts(const struct tracker *t, const struct host *h, uint64_t now_ms);

/* Seconds since the epoch → wall-clock conversion is the caller's. */
uint64_t tracker_host_ms(const struct tracker *t, uint32_t seconds);

/* The n busiest hosts now (by window count, then total), busiest first. */
size_t tracker_top(const struct tracker *t, uint64_t now_ms, struct host **out, size_t n);
size_t tracker_count(const struct tracker *t);

#endif
