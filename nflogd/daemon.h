/* The daemon's state and its per-event path: events in, decisions out to
 * the table (table.h), the log and on_block. Start, reload and stop are
 * lifecycle.h's; the control commands commands.c's. */
#ifndef NFLOGD_DAEMON_H
#define NFLOGD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "event_tags.h"
#include "intake.h"
#include "leases.h"
#include "persist.h"
#include "policy.h"
#include "neigh.h"
#include "ratelimit.h"
#include "recent.h"
#include "spoof.h"
#include "table.h"
#include "tracker.h"
#include "version.h"
#include "whitelist.h"

#define DAEMON_HOUSEKEEPING_MS 1000
#define DAEMON_MAX_HOOKS 16		/* on_block programs running at once */
/* Events counted together, so their cache misses overlap (tracker.h). A
 * batch never outlives a wake-up: daemon_on_intake counts the rest. */
#define DAEMON_BATCH 16
/* Block and unblock lines a second; the rest are counted in one line. */
#define DAEMON_ACTION_LINES 100

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
	uint64_t hooks_run, hooks_skipped;
};

struct nflogd {
	struct config cfg;
	const char *config_path;
	bool dry_run;
	struct whitelist wl;
	struct tracker *tracker;
	struct policy *policy;
	struct intake intake;
	struct table table;		/* bound to cfg, wl and policy */
	struct control control;
	struct recent *recent;
	struct leases leases;
	/* Which MAC each LAN address is known by, and who sent in others' names. */
	struct neigh neigh;
	struct expect_table expect;
	struct spoof_suspects suspects;
	bool neigh_failing;
	uint64_t expect_read_ms;	/* the expectations' last read */
	int epfd;
	struct persist persist;		/* bound to cfg */
	unsigned hooks_running;
	uint64_t seed;
	uint64_t started_ms;
	uint64_t now_ms;			/* read once per wake-up, not per event */
	uint64_t wake_us;			/* the same, monotonic microseconds */
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
	/* The timestamp of the event behind the block being made (0: none). */
	uint64_t block_tstamp_us;
	struct ratelimit action_lines;	/* block/unblock log lines */
	struct event_stats stats;
};

/* Wall-clock seconds of a monotonic instant (for display). */
int64_t daemon_wall(const struct nflogd *d, uint64_t mono_ms);

/* The NFLOG socket is readable. */
void daemon_on_intake(struct nflogd *d);
/* Expire blocks, forget idle hosts, report loss. Call when the timeout
 * from daemon_next_timeout passes (or any time). */
void daemon_on_timer(struct nflogd *d);
/* Milliseconds until daemon_on_timer is due. */
int daemon_next_timeout(const struct nflogd *d);
/* A child (an on_block program) exited. */
void daemon_on_child(struct nflogd *d);
/* Say how many block and unblock lines were held back in a storm: those of
 * finished seconds, or all of them (at a stop). */
void daemon_report_held_lines(struct nflogd *d, bool all);

/* One event as NFLOG delivered it (exposed for tests and benchmarks). It
 * may wait in the batch: call daemon_count_batch when the events run out. */
void daemon_on_event(void *ctx, const struct intake_event *ev);
void daemon_count_batch(struct nflogd *d);

/* Decisions, also for the control commands (commands.c). Each queues its
 * kernel change (table_flush sends it). */
struct offender *daemon_block(struct nflogd *d, const struct addr *a, const struct mac *mac,
			      enum block_reason reason, uint64_t duration_ms, uint32_t conns,
			      uint32_t dsts);
void daemon_unblock(struct nflogd *d, struct offender *o, const char *why);
bool daemon_whitelisted(const struct nflogd *d, const struct addr *a, const struct mac *mac);

/* Who a host is: its MAC (its own, else the leases file's) and its DHCP
 * name ("" when unknown). Valid until the next lookup. */
struct identity {
	const struct mac *mac;		/* NULL: not known */
	const char *hostname;
};
struct identity daemon_identify(struct nflogd *d, const struct addr *a, const struct mac *mac);

/* Rebuild the expected MACs from the leases file and the neighbour table
 * (housekeeping; also for tests after changing either). */
void daemon_refresh_expectations(struct nflogd *d);

/* What nflogctl status shows: the daemon's counters with those of the
 * modules it holds, each filled by its owner. */
struct daemon_status {
	uint64_t uptime_s;
	struct intake_stats intake;
	uint32_t intake_drops;		/* at the socket (intake_socket_drops) */
	uint32_t kernel_batching;	/* qthreshold in force */
	struct event_stats events;
	size_t spoof_suspects;
	size_t hosts_tracked;
	uint64_t hosts_evicted;
	uint32_t hosts_blocked;
	uint64_t released_early;
	struct table_status table;
	uint64_t control_busy, control_cut;
};
void daemon_status(const struct nflogd *d, struct daemon_status *st);

/* The control socket's request handler (commands.c). */
void daemon_command(void *ctx, char *request, struct reply *r);

#endif
