/* The daemon's table in the kernel: block changes queued while events are
 * drained and sent as one batch, the nf_tables monitor paused around big
 * batches, and the table put back when someone else took part of it. It
 * reads the configuration, whitelist and policy it is bound to and writes
 * only the kernel (and the log). */
#ifndef NFLOGD_TABLE_H
#define NFLOGD_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "latency.h"
#include "nft.h"
#include "nft_monitor.h"
#include "policy.h"
#include "whitelist.h"

/* Batches of this many changes go out with the monitor paused
 * (nft_monitor.h); the table is checked after. */
#define TABLE_UNMONITORED_BATCH 64
/* Blocks of one wake-up whose latency is measured (the rest are not). */
#define TABLE_TIMED_BLOCKS 64
/* A block this close to its end may be gone by its kernel timeout already
 * (or about to be): its absence is no damage, its presence no news. */
#define TABLE_EXPIRY_MARGIN_MS 2000

struct table_stats {
	uint64_t kernel_errors;		/* batches the kernel refused */
	uint64_t restores;		/* the table or its blocks put back */
	uint64_t elements_restored;	/* set elements someone deleted, put back */
};

/* What nflogctl status shows of the table. */
struct table_status {
	bool timeouts;			/* the kernel expires blocks too */
	const char *expiry;		/* nft_expiry_mode */
	struct table_stats stats;
	struct latency_summary latency, handling;
};

struct table_queue {
	struct nft_block_elem *v;
	size_t n, cap;
};

struct table {
	struct nft nft;
	struct nft_ruleset rs;
	struct nft_monitor monitor;
	const struct config *cfg;
	const struct whitelist *wl;
	const struct policy *policy;
	bool dry_run;			/* nothing queued, no blocks installed */
	bool unsure;			/* the monitor was paused: look at the table */
	bool foreign;			/* ... and someone else committed meanwhile */
	bool rejoin_failing;
	/* Kernel changes decided while draining, sent as one batch after. */
	struct table_queue adds, dels;
	/* Block latency: the kernel timestamp of the event behind each block
	 * queued (event_us, wall clock) and the wake-up that brought it
	 * (wake_us, monotonic: the daemon's own share), until the ACK. */
	struct {
		struct addr addr;
		uint64_t event_us, wake_us;
	} timed[TABLE_TIMED_BLOCKS];
	unsigned ntimed;
	struct latency block_latency, block_handling;
	struct table_stats stats;
};

/* Bind the table to what it is made of (kept by the caller, read at each
 * install); no I/O. Then table_open for the kernel. */
void table_init(struct table *t, const struct config *cfg, const struct whitelist *wl,
		const struct policy *p, bool dry_run);
/* The nf_tables socket and the monitor (the hash backend loaded first if
 * the sets want timeouts). 0, or -1 with e filled. */
int table_open(struct table *t, struct error *e);
int table_monitor_fd(const struct table *t);
void table_close(struct table *t);

/* A block's remaining time for the kernel element; 0 = permanent. */
uint64_t table_kernel_timeout(const struct offender *o, uint64_t now_ms);
/* Queue a block's element (sent by table_flush). */
void table_queue_add(struct table *t, const struct addr *a, uint64_t timeout_ms);
/* Queue an element's removal; an add still queued for it is withdrawn. */
void table_queue_del(struct table *t, const struct addr *a);
/* Measure the latency of the block just queued for a: from its event's
 * kernel timestamp and its wake-up to the kernel's ACK. */
void table_time_block(struct table *t, const struct addr *a, uint64_t event_us,
		      uint64_t wake_us);
/* Hand the queued changes to the kernel, deletions first. */
void table_flush(struct table *t);

/* Put the table in the kernel as it should be at now: rules, whitelist,
 * blocks, in one atomic step that also replaces any copy left by an earlier
 * run. 0, or -1 (logged, and in e). */
int table_install(struct table *t, uint64_t now_ms, struct error *e);
/* Delete a table of ours (a clean stop, a renamed table). 0, or -1 with e. */
int table_delete(struct table *t, const char *name, struct error *e);
/* A reload changed set_timeouts: try per-element timeouts again (or not). */
void table_want_timeouts(struct table *t, bool timeouts);

/* Both blocked sets of the table in the kernel, sorted; 0, 1 no such table
 * (a clean stop, a boot), -1. */
int table_kernel_blocks(struct table *t, struct nft_elem_list *l);
/* The element of such a list that blocks a, or NULL; the address an
 * element blocks. */
const struct nft_elem *table_kernel_elem(const struct nft_elem_list *l, const struct addr *a);
struct addr table_elem_addr(const struct nft_elem *e);

/* The monitor's socket is readable: put back what someone else removed. */
void table_on_monitor(struct table *t);
/* After a batch sent with the monitor paused: look at the table, put back
 * what is gone. Nothing when no batch went out unmonitored. */
void table_check(struct table *t);
/* Each second: rejoin the monitor's group if that failed, and look at the
 * table while nobody tells us of changes. */
void table_housekeeping(struct table *t);

void table_status(const struct table *t, struct table_status *st);

#endif
