/* Telling a spoofed source from the real host. The frame of an event
 * carries the sender's MAC (NFULA_HWADDR); the DHCP leases and the kernel's
 * neighbour table say which MAC an address belongs to. An event from a MAC
 * that neither of them names for its address is spoofed: it is counted on
 * its own (a suspect per address, with the MAC that sent it) and never
 * toward blocking that address, so a LAN machine cannot get an innocent
 * host blocked by sending in its name. Events that match, or that have no
 * MAC or no expectation to compare with, count as before: a spoofer cannot
 * shield the real host either, because the real host's own events still
 * add up.
 *
 * The expectations are a table rebuilt by housekeeping (leases file and a
 * neighbour dump, once a second), so the per-event cost is one hash lookup
 * in it and a MAC compare, and nothing at all while it is empty. Pure: no
 * I/O, `now` passed in. */
#ifndef NFLOGD_SPOOF_H
#define NFLOGD_SPOOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "addrmap.h"
#include "leases.h"
#include "neigh.h"

/* Where an expectation comes from (bits). */
enum expect_by { EXPECT_LEASE = 1, EXPECT_NEIGH = 2 };

/* 32 bytes: two to a cache line. */
struct expect_entry {
	struct addr addr;
	struct mac lease_mac, neigh_mac;
	uint8_t by;			/* enum expect_by bits; 0: a free slot */
	uint8_t pad[2];
};

/* Open addressing over the entries themselves, at most half full: a lookup
 * reads one cache line, mostly (an index beside them would cost a second
 * miss per event). */
struct expect_table {
	struct expect_entry *slots;
	uint32_t mask;
	uint32_t n;			/* entries in use */
	uint64_t seed;
};

/* Replace t's contents with the leases' MACs and the neighbour entries
 * (an address may have one of each). 0, or -1 on out of memory with t
 * unchanged. */
int expect_build(struct expect_table *t, const struct leases *l, const struct neigh_entry *ne,
		 size_t nne, uint64_t seed);
void expect_free(struct expect_table *t);
/* The expectation for a, or NULL. */
const struct expect_entry *expect_find(const struct expect_table *t, const struct addr *a);
/* Start loading the line expect_find(a) reads first (a batch's early stage). */
void expect_prefetch(const struct expect_table *t, const struct addr *a);

enum spoof_verdict {
	SPOOF_UNKNOWN,		/* no MAC in the event, or none expected: counts */
	SPOOF_MATCH,		/* the event's MAC is one the address is known by: counts */
	SPOOF_MISMATCH,		/* another MAC sent it: spoofed, does not count */
};

/* The decision, for one event: x may be NULL (no expectation), mac NULL
 * (the event had no MAC). */
enum spoof_verdict spoof_judge(const struct expect_entry *x, const struct mac *mac);
/* Does an event with this verdict count toward blocking its source? */
static inline bool spoof_counts(enum spoof_verdict v)
{
	return v != SPOOF_MISMATCH;
}

/* Addresses others sent in the name of, most recently spoofed kept. */
#define SPOOF_SUSPECTS_MAX 256
#define SPOOF_SUSPECT_IDLE_MS (3600ULL * 1000)	/* forgotten an hour after */

#define SPOOF_SLOTS 8

struct spoof_suspect {
	struct addr addr;
	struct mac sender;		/* the last MAC that sent in its name */
	struct mac expected;		/* the MAC it is known by */
	uint8_t expected_by;		/* EXPECT_LEASE or EXPECT_NEIGH */
	bool several;			/* more than one MAC sent in its name */
	uint32_t events;
	uint64_t first_ms, last_ms;
	uint64_t logged_ms;		/* its last log line */
	/* Its spoofed events in the last window (spoof_window_*), as the
	 * tracker counts (tracker.h): SPOOF_SLOTS - 1 slots cover the window,
	 * the oldest weighted by how much of it the window still covers. */
	uint64_t slot;			/* number of the newest slot */
	uint32_t in_slot[SPOOF_SLOTS];
	uint32_t floods;		/* spoof floods flagged */
	uint64_t flood_ms;		/* the last one */
};

struct spoof_suspects {
	struct spoof_suspect v[SPOOF_SUSPECTS_MAX];
	uint32_t n;
	bool ready;			/* map initialised */
	struct addrmap map;
};

int spoof_suspects_init(struct spoof_suspects *s, uint64_t seed);
void spoof_suspects_free(struct spoof_suspects *s);
/* Count one spoofed event of a, sent by sender, contradicting x. When the
 * table is full the suspect spoofed least recently makes room. *fresh: a
 * new suspect (for the log). Never NULL once initialised. */
struct spoof_suspect *spoof_note(struct spoof_suspects *s, const struct addr *a,
				 const struct mac *sender, const struct expect_entry *x,
				 uint64_t now_ms, bool *fresh);
const struct spoof_suspect *spoof_find(const struct spoof_suspects *s, const struct addr *a);
/* Forget suspects not spoofed for SPOOF_SUSPECT_IDLE_MS; returns how many. */
uint32_t spoof_expire(struct spoof_suspects *s, uint64_t now_ms);

/* Spoof floods: more than a threshold of spoofed events in one address's
 * name within the window. The daemon cannot tell a host forging its own
 * MAC from another one framing it, so it says so, once a window. */
/* Count n spoofed events of p at now (window_ms > 0); returns its events
 * in the window ending now, these included. */
uint32_t spoof_window_add(struct spoof_suspect *p, uint64_t now_ms, uint64_t window_ms,
			  uint32_t n);
/* Its events in the window ending now; off by at most the oldest slot's
 * count (its events are taken as spread evenly over it). */
uint32_t spoof_window_count(const struct spoof_suspect *p, uint64_t now_ms, uint64_t window_ms);
/* After spoof_window_add returned in_window: true, at most once a window,
 * when in_window exceeds threshold (then flood_ms and floods are set). */
bool spoof_flood_due(struct spoof_suspect *p, uint32_t in_window, uint32_t threshold,
		     uint64_t now_ms, uint64_t window_ms);
/* Was a flood flagged within the window ending now? */
bool spoof_flooding(const struct spoof_suspect *p, uint64_t now_ms, uint64_t window_ms);

/* "lease" or "neigh", for logs and replies. */
const char *expect_by_name(uint8_t by);

#endif
