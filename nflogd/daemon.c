/* The per-event path and its decisions: events in, changes out to the table and the log. */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"
#include "hook.h"
#include "log.h"
#include "packet.h"

/* --- decisions --- */

bool daemon_whitelisted(const struct nflogd *d, const struct addr *a, const struct mac *mac)
{
	return whitelist_covers(&d->wl, a, mac);
}

struct identity daemon_identify(struct nflogd *d, const struct addr *a, const struct mac *mac)
{
	const struct lease *l;
	struct identity id = { mac, "" };

	leases_refresh(&d->leases, d->cfg.leases_file, time(NULL));
	l = leases_find(&d->leases, a);
	if (id.mac == NULL && l && l->has_mac)
		id.mac = &l->mac;
	if (l)
		id.hostname = l->hostname;
	return id;
}

/* " mac M host H", as much as is known of the host. */
static void describe(struct nflogd *d, const struct offender *o, char *buf, size_t len)
{
	struct identity id = daemon_identify(d, &o->addr, o->has_mac ? &o->mac : NULL);
	char m[MAC_STRLEN];
	size_t used = 0;

	buf[0] = '\0';
	if (id.mac)
		used += (size_t)snprintf(buf, len, " mac %s", mac_format(id.mac, m));
	if (id.hostname[0] && used < len)
		snprintf(buf + used, len - used, " host %s", id.hostname);
}

static void run_hook(struct nflogd *d, const char *action, const struct offender *o,
		     const char *why)
{
	char e[10][96], a[ADDR_STRLEN], m[MAC_STRLEN];
	char *env[11];
	struct identity id;
	int n = 0;

	if (!d->cfg.on_block[0] || d->dry_run)
		return;
	if (d->hooks_running >= DAEMON_MAX_HOOKS) {
		d->stats.hooks_skipped++;
		if (ratelimit_allow(&d->action_lines, d->now_ms))
			log_warnx("on_block: %u still running, not run for %s %s", d->hooks_running,
				  action, addr_format(&o->addr, a));
		return;
	}
	id = daemon_identify(d, &o->addr, o->has_mac ? &o->mac : NULL);
	snprintf(e[n++], sizeof(e[0]), "NFLOGD_ACTION=%s", action);
	snprintf(e[n++], sizeof(e[0]), "NFLOGD_ADDR=%s", addr_format(&o->addr, a));
	snprintf(e[n++], sizeof(e[0]), "NFLOGD_MAC=%s", id.mac ? mac_format(id.mac, m) : "");
	snprintf(e[n++], sizeof(e[0]), "NFLOGD_HOSTNAME=%s", id.hostname);
	snprintf(e[n++], sizeof(e[0]), "NFLOGD_REASON=%s", why);
	snprintf(e[n++], sizeof(e[0]), "NFLOGD_CONNS=%u", o->conns);
	snprintf(e[n++], sizeof(e[0]), "NFLOGD_DSTS=%u", o->dsts);
	snprintf(e[n++], sizeof(e[0]), "NFLOGD_OFFENCE=%u", o->offences);
	snprintf(e[n++], sizeof(e[0]), "NFLOGD_DURATION=%llu",
		 o->expires_ms == POLICY_NO_EXPIRY ? 0ULL
		 : (unsigned long long)((o->expires_ms - o->since_ms) / 1000));
	snprintf(e[n++], sizeof(e[0]), "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	for (int i = 0; i < n; i++)
		env[i] = e[i];
	env[n] = NULL;
	if (hook_spawn(d->cfg.on_block, env) < 0) {
		log_warn("on_block %s", d->cfg.on_block);
		return;
	}
	d->hooks_running++;
	d->stats.hooks_run++;
}

void daemon_on_child(struct nflogd *d)
{
	int status;

	while (waitpid(-1, &status, WNOHANG) > 0)
		if (d->hooks_running > 0)
			d->hooks_running--;
}

static void log_block(struct nflogd *d, const struct offender *o)
{
	char a[ADDR_STRLEN], who[160], dur[DURATION_STRLEN];

	if (!ratelimit_allow(&d->action_lines, d->now_ms))
		return;

	describe(d, o, who, sizeof(who));
	if (o->expires_ms == POLICY_NO_EXPIRY)
		snprintf(dur, sizeof(dur), "ever");
	else
		duration_format((o->expires_ms - o->since_ms + 500) / 1000, dur);
	if (o->reason == REASON_MANUAL)
		log_info("%sblock %s%s for %s (by hand)", d->dry_run ? "dry-run: " : "",
			 addr_format(&o->addr, a), who, dur);
	else
		log_info("%sblock %s%s conns %u/%us dsts %u for %s (offence %u)",
			 d->dry_run ? "dry-run: " : "", addr_format(&o->addr, a), who, o->conns,
			 d->cfg.window, o->dsts, dur, o->offences);
}

void daemon_unblock(struct nflogd *d, struct offender *o, const char *why)
{
	char a[ADDR_STRLEN];

	table_queue_del(&d->table, &o->addr);
	policy_unblock(d->policy, o, d->now_ms);
	d->stats.unblocks++;
	persist_changed(&d->persist);
	if (ratelimit_allow(&d->action_lines, d->now_ms))
		log_info("%sunblock %s (%s)", d->dry_run ? "dry-run: " : "",
			 addr_format(&o->addr, a), why);
	run_hook(d, "unblock", o, why);
}

struct offender *daemon_block(struct nflogd *d, const struct addr *a, const struct mac *mac,
			      enum block_reason reason, uint64_t duration_ms, uint32_t conns,
			      uint32_t dsts)
{
	struct offender released, *o = policy_find(d->policy, a);
	char text[ADDR_STRLEN];
	uint64_t tstamp_us = d->block_tstamp_us;	/* this block's event, if any */

	d->block_tstamp_us = 0;
	if (o && o->blocked)
		return o;	/* already: nothing changes */
	o = policy_block(d->policy, a, mac, d->now_ms, reason, duration_ms, conns, dsts, &released);
	if (released.blocked) {
		table_queue_del(&d->table, &released.addr);
		d->stats.unblocks++;
		if (ratelimit_allow(&d->action_lines, d->now_ms))
			log_warnx("unblock %s (max_blocked %u reached: its block was nearest its end)",
				  addr_format(&released.addr, text), d->cfg.max_blocked);
		run_hook(d, "unblock", &released, "max_blocked");
	}
	if (o == NULL) {
		d->stats.block_refused++;
		if (ratelimit_allow(&d->action_lines, d->now_ms))
			log_warnx("cannot block %s: max_blocked %u reached, all of them until "
				  "unblocked", addr_format(a, text), d->cfg.max_blocked);
		return NULL;
	}
	table_queue_add(&d->table, &o->addr, table_kernel_timeout(o, d->now_ms));
	if (tstamp_us)
		table_time_block(&d->table, &o->addr, tstamp_us, d->wake_us);
	/* The kernel first: the log line, the leases file and on_block can
	 * wait, the bot's next SYN cannot. Only the first block of a wake-up
	 * goes alone; in a flood of them the rest share one batch at the end
	 * of the drain (one batch per block would fall behind the flood). */
	if (d->wakeup_blocks++ == 0)
		table_flush(&d->table);
	d->stats.blocks++;
	persist_changed(&d->persist);
	log_block(d, o);
	run_hook(d, "block", o, reason == REASON_MANUAL ? "manual" : "auto");
	return o;
}

/* The copy the parser's limits are made for is the one asked for. */
_Static_assert(INTAKE_COPY_RANGE == PACKET_COPY_LEN, "NFLOG copy range != PACKET_COPY_LEN");
/* --- spoofed sources (spoof.h) --- */

/* Spoof log lines per suspect: its first event, then at most one a minute. */
#define SPOOF_LOG_EVERY_MS 60000

static void log_spoof(struct nflogd *d, struct spoof_suspect *p, bool fresh)
{
	char a[ADDR_STRLEN], m[MAC_STRLEN], x[MAC_STRLEN];

	if (!fresh && d->now_ms - p->logged_ms < SPOOF_LOG_EVERY_MS)
		return;
	if (!ratelimit_allow(&d->action_lines, d->now_ms))
		return;
	p->logged_ms = d->now_ms;
	addr_format(&p->addr, a);
	mac_format(&p->sender, m);
	mac_format(&p->expected, x);
	if (fresh)
		log_warnx("spoofed %s from mac %s (%s says %s): not counted toward blocking it "
			  "(nflogctl show %s)", a, m, expect_by_name(p->expected_by), x, a);
	else
		log_warnx("spoofed %s from mac %s (%s says %s): %u events in all, not counted "
			  "toward blocking it", a, m, expect_by_name(p->expected_by), x, p->events);
}

/* Too many spoofed events in one address's name: a bot forging its own
 * frames' MAC looks exactly like another machine framing it, so neither is
 * blocked; the administrator is told, once a window (log, status, show,
 * on_block with NFLOGD_ACTION=spoof). */
static void spoof_flood(struct nflogd *d, struct spoof_suspect *p, uint32_t in_window)
{
	char a[ADDR_STRLEN], m[MAC_STRLEN];
	struct offender o = { .addr = p->addr, .mac = p->sender, .has_mac = true,
			      .conns = in_window };

	d->stats.spoof_floods++;
	if (ratelimit_allow(&d->action_lines, d->now_ms)) {
		addr_format(&p->addr, a);
		mac_format(&p->sender, m);
		log_warnx("spoof flood: %u SYNs in %s's name from mac %s in %us: %s itself may be "
			  "forging its MAC, or %s is framing it; nflogctl show %s", in_window, a,
			  m, d->cfg.window, a, m, a);
	}
	run_hook(d, "spoof", &o, "spoof");
}

/* Per event, as it joins the batch: the expectation's line is loaded while
 * the rest of the batch comes in (spoofed() reads it when counting). */
static void spoof_prefetch(const struct nflogd *d, const struct addr *src)
{
	expect_prefetch(&d->expect, src);
}

/* Per event, before counting: true if the frame came from a MAC the source
 * address is not known by; then the event is a suspect's, not the host's.
 * Costs nothing while no expectation is known, else one lookup. */
static bool spoofed_as(struct nflogd *d, const struct addr *src, const struct mac *mac,
		       uint32_t events)
{
	const struct expect_entry *x;
	struct spoof_suspect *p;
	uint64_t window_ms = (uint64_t)d->cfg.window * 1000;
	uint32_t in_window;
	bool fresh;

	if (d->expect.n == 0 || !d->suspects.ready)
		return false;
	x = expect_find(&d->expect, src);
	if (spoof_counts(spoof_judge(x, mac)))
		return false;
	d->stats.spoofed += events;
	p = spoof_note(&d->suspects, src, mac, x, d->now_ms, &fresh);
	p->events += events - 1;
	log_spoof(d, p, fresh);
	in_window = spoof_window_add(p, d->now_ms, window_ms, events);
	if (spoof_flood_due(p, in_window, d->cfg.threshold, d->now_ms, window_ms))
		spoof_flood(d, p, in_window);
	return true;
}

static bool spoofed(struct nflogd *d, const struct addr *src, const struct mac *mac)
{
	return spoofed_as(d, src, mac, 1);
}

/* Expectations re-read at a block, at most this often (and so at most once
 * a wake-up: now_ms is the wake-up's): a storm of blocks costs one dump. */
#define SPOOF_RECHECK_MS 100

/* At the moment h would be blocked, for an address with no expectation:
 * the events that framed it may have made the gateway resolve the real
 * host only milliseconds ago, after the last read. Read the table again
 * and judge the crossing event once more; spoofed, the window it crossed
 * on (conns, this event included) is taken as the spoofer's: it counts
 * toward the suspect, and leaves the host's count. */
static bool spoofed_on_second_look(struct nflogd *d, const struct counted_event *e,
				   struct host *h, uint32_t conns)
{
	if (!e->has_mac || expect_find(&d->expect, &e->c.src) != NULL)
		return false;
	if (d->expect_read_ms && d->now_ms - d->expect_read_ms < SPOOF_RECHECK_MS)
		return false;
	daemon_refresh_expectations(d);
	if (!spoofed_as(d, &e->c.src, &e->mac, conns))
		return false;
	tracker_reset_window(h);
	return true;
}

struct neigh_list {
	struct neigh_entry *v;
	size_t n, cap;
	bool short_of_memory;
};

static void collect_neigh(void *ctx, const struct neigh_entry *e)
{
	struct neigh_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct neigh_entry *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			l->short_of_memory = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
}

void daemon_refresh_expectations(struct nflogd *d)
{
	struct neigh_list l = { 0 };
	bool failing;

	if (!d->suspects.ready && spoof_suspects_init(&d->suspects, d->seed) < 0)
		return;
	d->expect_read_ms = d->now_ms;
	leases_refresh(&d->leases, d->cfg.leases_file, time(NULL));
	failing = neigh_dump(&d->neigh, collect_neigh, &l) < 0;
	if (failing && !d->neigh_failing)
		log_warn("neighbour table: cannot read it; spoofed sources are told by the "
			 "leases file alone until it can be read (tried every second)");
	else if (!failing && d->neigh_failing)
		log_info("neighbour table: read again");
	d->neigh_failing = failing;
	/* Short of memory, the table from before stays: better stale than none. */
	if (!l.short_of_memory)
		expect_build(&d->expect, &d->leases, l.v, l.n, d->seed);
	free(l.v);
	spoof_expire(&d->suspects, d->now_ms);
}

void daemon_on_event(void *ctx, const struct intake_event *ev)
{
	struct nflogd *d = ctx;
	struct counted_event *e = &d->batch[d->nbatch];
	bool has_mac = ev->hwaddr && ev->hwaddr_len == sizeof(e->mac.b);

	switch (packet_parse(ev->payload, ev->len, &e->c)) {
	case PACKET_OK:
		if (!conn_is_attempt(&e->c)) {
			d->stats.not_attempt++;
			return;
		}
		if (!config_port_counted(&d->cfg, e->c.dport)) {
			d->stats.other_port++;
			return;
		}
		break;
	case PACKET_IP_ONLY:
		/* The kernel's rule matched a new connection to a counted port
		 * past what was copied or walked: the source still counts. */
		break;
	case PACKET_NOT_TCP:
		d->stats.not_tcp++;
		return;
	default:
		d->stats.malformed++;
		return;
	}
	if (has_mac)
		memcpy(e->mac.b, ev->hwaddr, sizeof(e->mac.b));
	if (whitelist_covers(&d->wl, &e->c.src, has_mac ? &e->mac : NULL)) {
		d->stats.whitelisted++;
		return;
	}
	if (has_mac)
		spoof_prefetch(d, &e->c.src);
	e->has_mac = has_mac;
	e->tstamp_us = ev->tstamp_us;
	tracker_hint(d->tracker, &e->c, &e->hint);
	if (++d->nbatch == DAEMON_BATCH)
		daemon_count_batch(d);
}

static void count_event(struct nflogd *d, const struct counted_event *e)
{
	bool counted;
	struct host *h;
	const struct offender *o;
	uint32_t conns, dsts;

	if (e->has_mac && spoofed(d, &e->c.src, &e->mac))
		return;
	h = tracker_record_hinted(d->tracker, &e->c, &e->hint, e->has_mac ? &e->mac : NULL,
				  d->now_ms, &counted, &conns);
	if (!counted) {
		d->stats.retransmits++;
		return;
	}
	d->stats.counted++;
	if (e->c.ip_only)
		d->stats.unparsed_counted++;	/* never a retransmit (tracker.h) */
	recent_add(d->recent, &e->c.src, &e->c.dst, d->now_ms);
	if (conns <= d->cfg.threshold)
		return;
	/* Blocked first: a host whose SYNs still reach us while blocked (a
	 * rule from elsewhere logs before ours drops, or the kernel lost the
	 * element) stays past the threshold, event after event. */
	o = e->policy_hint ? policy_find_hinted(d->policy, &h->addr, e->policy_hash, e->policy_guess)
			   : policy_find(d->policy, &h->addr);
	if (o && o->blocked) {
		d->stats.blocked_while_blocked++;
		return;
	}
	dsts = tracker_window_dsts_min(d->tracker, h, d->now_ms);
	if (!policy_exceeds(&d->policy->cfg, conns, dsts))
		return;
	if (spoofed_on_second_look(d, e, h, conns))
		return;
	/* A released host starts with a clean window, not with the burst that
	 * blocked it. */
	d->block_tstamp_us = e->tstamp_us;
	if (daemon_block(d, &h->addr, h->has_mac ? &h->mac : NULL, REASON_AUTO, POLICY_BY_OFFENCE,
			 conns, tracker_window_dsts(d->tracker, h, d->now_ms)))
		tracker_reset_window(h);
}

void daemon_count_batch(struct nflogd *d)
{
	unsigned n = d->nbatch;

	for (unsigned i = 0; i < n; i++)
		tracker_prefetch_host(d->tracker, &d->batch[i].hint);
	for (unsigned i = 0; i < n; i++) {
		struct counted_event *e = &d->batch[i];
		const struct host *h = tracker_prefetch_lru(d->tracker, &e->hint);

		/* Only a host past the threshold is looked up in the policy. */
		e->policy_hint = h && h->total > d->cfg.threshold;
		if (e->policy_hint)
			e->policy_hash = policy_prefetch_index(d->policy, &e->c.src);
	}
	for (unsigned i = 0; i < n; i++)
		if (d->batch[i].policy_hint)
			d->batch[i].policy_guess = policy_prefetch_record(d->policy,
									  d->batch[i].policy_hash);
	for (unsigned i = 0; i < n; i++)
		count_event(d, &d->batch[i]);
	d->nbatch = 0;
}

void daemon_on_intake(struct nflogd *d)
{
	d->wake_us = clock_us(CLOCK_MONOTONIC);
	d->now_ms = d->wake_us / 1000;
	d->wakeup_blocks = 0;
	intake_drain(&d->intake, daemon_on_event, d);
	daemon_count_batch(d);
	table_flush(&d->table);
	table_check(&d->table);
	intake_adapt(&d->intake, d->now_ms);
}

/* --- time --- */

static void report_loss(struct nflogd *d)
{
	const struct intake_stats *st = &d->intake.stats;

	/* The exact count comes with the next event (a gap in the kernel's
	 * sequence numbers); say at once that events were lost. */
	if (st->overruns > d->overruns_reported) {
		log_warnx("receive buffer overrun: events lost, counted exactly when the next "
			  "event arrives (nflogctl status: events_lost)");
		d->overruns_reported = st->overruns;
	}
	if (st->lost > d->lost_reported) {
		log_warnx("lost %llu events (%s; %llu lost since start)",
			  (unsigned long long)(st->lost - d->lost_reported),
			  st->overruns ? "receive buffer overrun" : "sequence gap",
			  (unsigned long long)st->lost);
		d->lost_reported = st->lost;
	}
}

void daemon_report_held_lines(struct nflogd *d, bool all)
{
	uint64_t held = all ? ratelimit_take_all(&d->action_lines)
			    : ratelimit_take_held(&d->action_lines, d->now_ms);

	if (held)
		log_info("%llu more block, unblock and on_block lines not written one by one "
			 "(over %u a second; nflogctl status and list count and show them)",
			 (unsigned long long)held, DAEMON_ACTION_LINES);
}

void daemon_on_timer(struct nflogd *d)
{
	struct offender *o;

	d->now_ms = monotonic_ms();
	while ((o = policy_next_expired(d->policy, d->now_ms)) != NULL)
		daemon_unblock(d, o, "expired");
	table_flush(&d->table);
	table_check(&d->table);
	persist_tick(&d->persist, d->policy, d->now_ms);
	if (d->now_ms - d->last_housekeeping_ms >= DAEMON_HOUSEKEEPING_MS) {
		d->last_housekeeping_ms = d->now_ms;
		tracker_expire(d->tracker, d->now_ms);
		if (policy_forget_old(d->policy, d->now_ms))
			persist_changed(&d->persist);
		control_expire(&d->control, d->now_ms);
		daemon_refresh_expectations(d);
		/* Events alone switch batching (after a drain): without this
		 * a flood's end would leave it busy, and the next bot's first
		 * event waiting for the busy flush timeout. */
		intake_adapt(&d->intake, d->now_ms);
		table_housekeeping(&d->table);
		report_loss(d);
		daemon_report_held_lines(d, false);
	}
}

int daemon_next_timeout(const struct nflogd *d)
{
	uint64_t now = monotonic_ms();
	uint64_t next = d->last_housekeeping_ms + DAEMON_HOUSEKEEPING_MS;
	uint64_t expiry = policy_next_expiry(d->policy);
	uint64_t save = persist_due_ms(&d->persist);

	if (expiry < next)
		next = expiry;
	if (save < next)
		next = save;
	return next <= now ? 0 : (int)(next - now);
}


void daemon_status(const struct nflogd *d, struct daemon_status *st)
{
	st->uptime_s = (d->now_ms - d->started_ms) / 1000;
	st->intake = d->intake.stats;
	st->intake_drops = intake_socket_drops(&d->intake);
	st->kernel_batching = d->intake.qthreshold;
	st->events = d->stats;
	st->spoof_suspects = d->suspects.n;
	st->hosts_tracked = tracker_count(d->tracker);
	st->hosts_evicted = d->tracker->stats.evicted;
	st->hosts_blocked = d->policy->nblocked;
	st->released_early = d->policy->released_early;
	table_status(&d->table, &st->table);
	st->control_busy = d->control.busy;
	st->control_cut = d->control.cut;
}
