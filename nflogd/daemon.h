/* The daemon's state and its handlers: one per event source in main.c.
 * Here the pure parts (tracker, policy) meet the edges (NFLOG, nft, log). */
#ifndef NFLOGD_DAEMON_H
#define NFLOGD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "control.h"
#include "intake.h"
#include "latency.h"
#include "leases.h"
#include "nft.h"
#include "nft_monitor.h"
#include "policy.h"
#include "neigh.h"
#include "ratelimit.h"
#include "recent.h"
#include "spoof.h"
#include "tracker.h"
#include "version.h"
#include "whitelist.h"

#define DAEMON_HOUSEKEEPING_MS 1000
#define DAEMON_STATE_SAVE_MS 1000	/* blocks reach the state file within this */
#define DAEMON_MAX_HOOKS 16		/* on_block programs running at once */
/* Events counted together, so their cache misses overlap (tracker.h). A
 * batch never outlives a wake-up: daemon_on_intake counts the rest. */
#define DAEMON_BATCH 16
/* Blocks of one wake-up whose latency is measured (the rest are not). */
#define DAEMON_LATENCY_PENDING 64
/* Batches of this many changes go out with the nf_tables monitor paused
 * (nft_monitor.h); the table is checked after. */
#define DAEMON_QUIET_BATCH 64
/* Block and unblock lines a second; the rest are counted in one line. */
#define DAEMON_ACTION_LINES 100

/* epoll tags (the high half of data.u64); control.h has 3 and 4. */
enum { TAG_SIGNAL = 1, TAG_INTAKE = 2, TAG_MONITOR = 5 };

struct event_stats {
	uint64_t counted;	/* connection attempts counted toward a host */
	uint64_t retransmits;	/* the same attempt again */
	uint64_t malformed;	/* packet data truncated or impossible */
	uint64_t unparsed_counted;	/* counted by source, TCP header out of reach */
	uint64_t not_tcp;	/* other protocol or later fragment */
	uint64_t not_attempt;	/* TCP without SYN (conntrack's loose pick-up) */
	uint64_t other_port;	/* not one of `ports` (a rule from elsewhere) */
	uint64_t whitelisted;
	uint64_t spoofed;	/* from a MAC the source is not known by (spoof.h) */
	uint64_t spoof_floods;	/* spoofed past threshold in one's name (spoof.h) */
	uint64_t blocked_while_blocked;	/* from a host already blocked */
	uint64_t blocks, unblocks;
	uint64_t block_refused;	/* max_blocked full of permanent blocks */
	uint64_t kernel_errors;	/* batches the kernel refused */
	uint64_t hooks_run, hooks_skipped;
	uint64_t state_saves, state_errors;
	uint64_t table_restores;
	uint64_t elements_restored;	/* set elements someone deleted, put back */
};

struct nflogd {
	struct config cfg;
	const char *config_path;
	bool dry_run;
	struct whitelist wl;
	struct tracker *tracker;
	struct policy *policy;
	struct intake intake;
	struct nft nft;
	struct nft_ruleset rs;
	struct control control;
	struct nft_monitor monitor;
	struct recent *recent;
	struct leases leases;
	/* Which MAC each LAN address is known by, and who sent in others' names. */
	struct neigh neigh;
	struct expect_table expect;
	struct spoof_suspects suspects;
	bool neigh_failing;
	uint64_t expect_read_ms;	/* the expectations' last read */
	int epfd;
	bool state_dirty;
	uint64_t state_saved_ms;
	unsigned hooks_running;
	uint64_t seed;
	uint64_t started_ms;
	uint64_t now_ms;			/* read once per wake-up, not per event */
	uint64_t last_housekeeping_ms;
	uint64_t lost_reported;		/* intake loss already logged */
	uint64_t overruns_reported;
	unsigned wakeup_blocks;			/* blocks decided in this wake-up */
	/* Events that passed the filters, waiting to be counted. */
	struct counted_event {
		struct conn c;
		struct mac mac;
		bool has_mac;
		uint64_t tstamp_us;	/* the kernel's, wall clock; 0 if none */
		struct tracker_hint hint;
		bool policy_hint;	/* likely looked up in the policy */
		uint32_t policy_hash, policy_guess;
	} batch[DAEMON_BATCH];
	unsigned nbatch;
	/* Block latency: the timestamp of the event behind the block being
	 * made, then of the blocks queued until their ACK. */
	uint64_t block_tstamp_us;
	struct {
		struct addr addr;
		uint64_t tstamp_us;
	} latency_pending[DAEMON_LATENCY_PENDING];
	unsigned nlatency_pending;
	struct latency block_latency;
	/* The daemon's own share of it: from the wake-up that brought the
	 * event (wake_us, monotonic) to the same ACK. */
	uint64_t wake_us;
	struct latency block_handling;
	bool table_unsure;	/* the monitor was paused: look at the table */
	bool table_foreign;	/* ... and someone else committed meanwhile */
	bool monitor_rejoin_failing;
	struct ratelimit action_lines;	/* block/unblock log lines */
	/* Kernel changes decided while draining, sent as one batch after. */
	struct pending {
		struct nft_block_elem *v;
		size_t n, cap;
	} adds, dels;
	struct event_stats stats;
};

uint64_t monotonic_ms(void);

/* Wall-clock seconds of a monotonic instant (for display and the state file). */
int64_t daemon_wall(const struct nflogd *d, uint64_t mono_ms);

/* Load config, whitelist and state, bind NFLOG, open the control socket,
 * then install the table (so no event of the start-up is lost and scripts
 * may take "table exists" for "ready"). Registers its fds with epfd.
 * 0, or -1 after logging why. */
int daemon_start(struct nflogd *d, const char *config_path, bool dry_run, int epfd);
/* The NFLOG socket is readable. */
void daemon_on_intake(struct nflogd *d);
/* Expire blocks, forget idle hosts, report loss. Call when the timeout
 * from daemon_next_timeout passes (or any time). */
void daemon_on_timer(struct nflogd *d);
/* Milliseconds until daemon_on_timer is due. */
int daemon_next_timeout(const struct nflogd *d);
/* SIGHUP: re-read config and whitelist; a bad file keeps the old settings
 * (-1, the reason in err). */
int daemon_reload(struct nflogd *d, struct error *err);
/* Re-read only the whitelist (after an edit) and apply it. */
int daemon_reload_whitelist(struct nflogd *d, struct error *err);
/* nf_tables notifications arrived: put our table back if someone removed it. */
void daemon_on_monitor(struct nflogd *d);
/* After a paused monitor: put the table back if it is gone. */
void daemon_check_table(struct nflogd *d);
/* Put the monitor back in its group after a pause; retried each second. */
void daemon_monitor_rejoin(struct nflogd *d);
/* Around our own big batches: the monitor leaves its group, and the
 * ruleset's generation before and after tells whether anyone else
 * committed meanwhile (then the table's rules are counted). */
struct quiet {
	bool known;
	uint32_t gen;
	uint64_t commits;
};
void daemon_quiet_begin(struct nflogd *d, struct quiet *q);
void daemon_quiet_end(struct nflogd *d, const struct quiet *q);
/* Send a big batch with the monitor paused (sets table_unsure). */
int daemon_send_quietly(struct nflogd *d, bool add, const struct nft_block_elem *v, size_t n,
			struct error *err);
/* A child (an on_block program) exited. */
void daemon_on_child(struct nflogd *d);
/* Say how many block and unblock lines were held back in a storm: those of
 * finished seconds, or all of them (at a stop). */
void daemon_report_held_lines(struct nflogd *d, bool all);
/* Clean stop: delete the table. */
void daemon_stop(struct nflogd *d);

/* One event as NFLOG delivered it (exposed for tests and benchmarks). It
 * may wait in the batch: call daemon_count_batch when the events run out. */
void daemon_on_event(void *ctx, const struct intake_event *ev);
void daemon_count_batch(struct nflogd *d);
/* Hand queued block changes to the kernel. */
void daemon_flush(struct nflogd *d);

/* The policy's limits from the configuration. */
struct policy_cfg daemon_policy_cfg(const struct config *cfg);
/* Write blocks and offences to state_file now (coalesced by the timer). */
void daemon_save_state(struct nflogd *d);
/* A block's remaining time for the kernel element; 0 = permanent. */
uint64_t daemon_kernel_timeout(const struct offender *o, uint64_t now_ms);

/* For the control commands (commands.c). */
struct offender *daemon_block(struct nflogd *d, const struct addr *a, const struct mac *mac,
			      enum block_reason reason, uint64_t duration_ms, uint32_t conns,
			      uint32_t dsts);
void daemon_unblock(struct nflogd *d, struct offender *o, const char *why);
bool daemon_whitelisted(const struct nflogd *d, const struct addr *a, const struct mac *mac);
/* Rebuild the expected MACs from the leases file and the neighbour table
 * (housekeeping; also for tests after changing either). */
void daemon_refresh_expectations(struct nflogd *d);
/* The control socket's request handler. */
void daemon_command(void *ctx, char *request, struct reply *r);

#endif
