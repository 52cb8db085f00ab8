/* The daemon's handlers: events in, decisions out to the kernel and the log. */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"
#include "log.h"
#include "packet.h"

/* Messages the kernel gathers before it sends a datagram. 1: every event at
 * once, without waiting for the flush timer's next tick (up to 4 ms at
 * HZ=250, 4 more SYNs of a bot at 1000/s). */
#define INTAKE_QTHRESHOLD 1

uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct policy_cfg policy_cfg_of(const struct config *cfg)
{
	struct policy_cfg p = {
		.threshold = cfg->threshold,
		.min_destinations = cfg->min_destinations,
		.block_time_ms = cfg->block_time * 1000,
		.block_time_max_ms = cfg->block_time_max * 1000,
		.max_blocked = cfg->max_blocked,
	};
	return p;
}

static void ruleset_of(struct nflogd *d)
{
	d->rs.table = d->cfg.table;
	d->rs.group = d->cfg.nflog_group;
	d->rs.ports = d->cfg.ports;
	d->rs.nports = d->cfg.nports;
	d->rs.scope_all = d->cfg.block_scope == SCOPE_ALL;
	d->rs.log_rule = d->cfg.install_rules;
	d->rs.snaplen = INTAKE_COPY_RANGE;
}

/* --- queued kernel changes --- */

static void queue(struct nflogd *d, bool add, const struct addr *a, uint64_t timeout_ms)
{
	struct nft_block_elem **list = add ? &d->pending_add : &d->pending_del;
	size_t *n = add ? &d->nadd : &d->ndel;

	if (d->dry_run)
		return;
	if (*n == d->pending_cap) {
		/* Grows only when blocks pile up in one wake-up; reused after. */
		size_t cap = d->pending_cap ? d->pending_cap * 2 : 64;
		struct nft_block_elem *pa = realloc(d->pending_add, cap * sizeof(*pa));

		if (pa)
			d->pending_add = pa;
		struct nft_block_elem *pd = realloc(d->pending_del, cap * sizeof(*pd));

		if (pd)
			d->pending_del = pd;
		if (pa == NULL || pd == NULL) {
			log_warnx("out of memory queueing a kernel change; flushing now");
			return;
		}
		d->pending_cap = cap;
		list = add ? &d->pending_add : &d->pending_del;
	}
	(*list)[*n].addr = *a;
	(*list)[*n].timeout_ms = timeout_ms;
	(*n)++;
}

void daemon_flush(struct nflogd *d)
{
	int rc;

	if (d->ndel) {
		rc = nft_blocks(&d->nft, d->cfg.table, false, d->pending_del, d->ndel);
		if (rc < 0) {
			d->stats.kernel_errors++;
			log_warnx("removing %zu blocks from the kernel failed: %s", d->ndel,
				  d->nft.err);
		}
		d->ndel = 0;
	}
	if (d->nadd) {
		rc = nft_blocks(&d->nft, d->cfg.table, true, d->pending_add, d->nadd);
		if (rc < 0) {
			d->stats.kernel_errors++;
			log_warnx("adding %zu blocks to the kernel failed: %s", d->nadd,
				  d->nft.err);
		}
		d->nadd = 0;
	}
}

/* Kernel timeout for a block: its remaining time; 0 = permanent. Whichever
 * of the kernel and the daemon's own expiry comes first, the other finds the
 * element gone, which nft_blocks() takes as done. */
static uint64_t kernel_timeout(const struct offender *o, uint64_t now_ms)
{
	if (o->expires_ms == POLICY_NO_EXPIRY)
		return 0;
	return o->expires_ms > now_ms ? o->expires_ms - now_ms : 1;
}

/* --- decisions --- */

static void log_block(const struct nflogd *d, const struct offender *o)
{
	char a[ADDR_STRLEN], m[MAC_STRLEN], dur[DURATION_STRLEN], win[DURATION_STRLEN];
	char macpart[MAC_STRLEN + 8] = "";

	if (o->has_mac)
		snprintf(macpart, sizeof(macpart), " mac %s", mac_format(&o->mac, m));
	if (o->expires_ms == POLICY_NO_EXPIRY)
		snprintf(dur, sizeof(dur), "ever");
	else
		duration_format((o->expires_ms - o->since_ms + 500) / 1000, dur);
	log_info("%sblock %s%s conns %u/%s dsts %u for %s (offence %u)",
		 d->dry_run ? "dry-run: " : "", addr_format(&o->addr, a), macpart, o->conns,
		 duration_format(d->cfg.window, win), o->dsts, dur, o->offences);
}

static void unblock(struct nflogd *d, struct offender *o, const char *why)
{
	char a[ADDR_STRLEN];

	queue(d, false, &o->addr, 0);
	policy_unblock(d->policy, o, d->now_ms);
	d->stats.unblocks++;
	log_info("%sunblock %s (%s)", d->dry_run ? "dry-run: " : "", addr_format(&o->addr, a),
		 why);
}

static void block_host(struct nflogd *d, struct host *h, uint32_t conns, uint32_t dsts)
{
	struct offender released;
	struct offender *o = policy_block(d->policy, &h->addr, h->has_mac ? &h->mac : NULL,
					  d->now_ms, REASON_AUTO, POLICY_BY_OFFENCE, conns, dsts,
					  &released);
	char a[ADDR_STRLEN];

	if (released.blocked) {
		queue(d, false, &released.addr, 0);
		d->stats.unblocks++;
		log_warnx("unblock %s (max_blocked %u reached: its block was nearest its end)",
			  addr_format(&released.addr, a), d->cfg.max_blocked);
	}
	if (o == NULL) {
		d->stats.block_refused++;
		log_warnx("cannot block %s: max_blocked %u reached, all of them until unblocked",
			  addr_format(&h->addr, a), d->cfg.max_blocked);
		return;
	}
	/* A released host starts with a clean window, not with the burst that
	 * blocked it. */
	tracker_reset_window(h);
	queue(d, true, &o->addr, kernel_timeout(o, d->now_ms));
	d->stats.blocks++;
	log_block(d, o);
}

void daemon_on_event(void *ctx, const struct intake_event *ev)
{
	struct nflogd *d = ctx;
	struct conn c;
	struct mac mac;
	bool has_mac = ev->hwaddr && ev->hwaddr_len == sizeof(mac.b);
	bool counted;
	struct host *h;
	uint32_t conns, dsts;

	switch (packet_parse(ev->payload, ev->len, &c)) {
	case PACKET_OK:
		break;
	case PACKET_NOT_TCP:
		d->stats.not_tcp++;
		return;
	default:
		d->stats.malformed++;
		return;
	}
	if (!conn_is_attempt(&c)) {
		d->stats.not_attempt++;
		return;
	}
	if (!config_port_counted(&d->cfg, c.dport)) {
		d->stats.other_port++;
		return;
	}
	if (has_mac)
		memcpy(mac.b, ev->hwaddr, sizeof(mac.b));
	if (whitelist_covers_addr(&d->wl, &c.src) || (has_mac && whitelist_covers_mac(&d->wl, &mac))) {
		d->stats.whitelisted++;
		return;
	}
	h = tracker_record(d->tracker, &c, has_mac ? &mac : NULL, d->now_ms, &counted);
	if (!counted) {
		d->stats.retransmits++;
		return;
	}
	d->stats.counted++;
	conns = tracker_window_count(d->tracker, h, d->now_ms);
	if (conns <= d->cfg.threshold)
		return;
	dsts = tracker_window_dsts_min(d->tracker, h, d->now_ms);
	if (!policy_exceeds(&d->policy->cfg, conns, dsts))
		return;
	{
		const struct offender *o = policy_find(d->policy, &h->addr);

		/* Still reaching us while blocked: a rule from elsewhere logs
		 * before ours drops, or the kernel lost the element. */
		if (o && o->blocked) {
			d->stats.blocked_while_blocked++;
			return;
		}
	}
	block_host(d, h, conns, tracker_window_dsts(d->tracker, h, d->now_ms));
}

void daemon_on_intake(struct nflogd *d)
{
	d->now_ms = monotonic_ms();
	intake_drain(&d->intake, daemon_on_event, d);
	daemon_flush(d);
}

/* --- time --- */

static void report_loss(struct nflogd *d)
{
	const struct intake_stats *st = &d->intake.stats;

	if (st->lost > d->lost_reported) {
		log_warnx("lost %llu events (%s; %llu lost since start)",
			  (unsigned long long)(st->lost - d->lost_reported),
			  st->overruns ? "receive buffer overrun" : "sequence gap",
			  (unsigned long long)st->lost);
		d->lost_reported = st->lost;
	}
}

void daemon_on_timer(struct nflogd *d)
{
	struct offender *o;

	d->now_ms = monotonic_ms();
	while ((o = policy_next_expired(d->policy, d->now_ms)) != NULL)
		unblock(d, o, "expired");
	daemon_flush(d);
	if (d->now_ms - d->last_housekeeping_ms >= DAEMON_HOUSEKEEPING_MS) {
		d->last_housekeeping_ms = d->now_ms;
		tracker_expire(d->tracker, d->now_ms);
		policy_forget_old(d->policy, d->now_ms);
		report_loss(d);
	}
}

int daemon_next_timeout(const struct nflogd *d)
{
	uint64_t now = monotonic_ms();
	uint64_t next = d->last_housekeeping_ms + DAEMON_HOUSEKEEPING_MS;
	uint64_t expiry = policy_next_expiry(d->policy);

	if (expiry < next)
		next = expiry;
	return next <= now ? 0 : (int)(next - now);
}

/* --- start, reload, stop --- */

static size_t current_blocks(const struct nflogd *d, struct nft_block_elem **out)
{
	size_t n = 0;

	*out = malloc((d->policy->nblocked ? d->policy->nblocked : 1) * sizeof(**out));
	if (*out == NULL)
		return 0;
	POLICY_FOREACH_BLOCKED(d->policy, o) {
		(*out)[n].addr = o->addr;
		(*out)[n].timeout_ms = kernel_timeout(o, d->now_ms);
		n++;
	}
	return n;
}

/* Put the table in the kernel as it should be now: rules, whitelist, blocks. */
static int install_table(struct nflogd *d)
{
	struct nft_block_elem *blocks;
	size_t n = current_blocks(d, &blocks);
	int rc;

	ruleset_of(d);
	rc = nft_install(&d->nft, &d->rs, &d->wl, blocks, n);
	free(blocks);
	if (rc < 0)
		log_warnx("installing table inet %s failed: %s", d->cfg.table, d->nft.err);
	else if (!d->nft.timeouts)
		log_info("kernel has no set timeouts: blocks expire by the daemon alone");
	return rc;
}

static int load_settings(const char *config_path, struct config *cfg, struct whitelist *wl)
{
	char err[CONFIG_ERR_MAX];

	config_defaults(cfg);
	if (config_load(cfg, config_path, err) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	if (whitelist_load(wl, cfg->whitelist, err) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

int daemon_start(struct nflogd *d, const char *config_path, bool dry_run)
{
	char err[256];
	struct policy_cfg pc;

	memset(d, 0, sizeof(*d));
	d->config_path = config_path;
	d->dry_run = dry_run;
	d->now_ms = d->started_ms = d->last_housekeeping_ms = monotonic_ms();
	if (getrandom(&d->seed, sizeof(d->seed), 0) != sizeof(d->seed))
		d->seed = d->now_ms ^ (uint64_t)getpid() << 32;
	if (load_settings(config_path, &d->cfg, &d->wl) < 0)
		return -1;
	pc = policy_cfg_of(&d->cfg);
	d->tracker = tracker_new(d->cfg.max_hosts, d->cfg.window, d->seed, d->now_ms);
	d->policy = policy_new(&pc, d->seed);
	if (d->tracker == NULL || d->policy == NULL) {
		log_warnx("out of memory for %u hosts", d->cfg.max_hosts);
		return -1;
	}
	/* Bind the group before the rule that feeds it exists. */
	if (intake_open(&d->intake, d->cfg.nflog_group, INTAKE_QTHRESHOLD, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	if (nft_open(&d->nft) < 0) {
		log_warnx("%s", d->nft.err);
		return -1;
	}
	/* A dry run installs the table too: the NFLOG rule feeds it. */
	if (install_table(d) < 0)
		return -1;
	log_info("nflogd %s started: group %u, threshold %u per %us, whitelist entries %zu%s",
		 NFLOGD_VERSION, d->cfg.nflog_group, d->cfg.threshold, d->cfg.window,
		 d->wl.nnets + d->wl.nmacs, dry_run ? ", dry run (never blocks)" : "");
	return 0;
}

/* Blocks of hosts the whitelist now covers end at once. */
static void unblock_whitelisted(struct nflogd *d)
{
	POLICY_FOREACH_BLOCKED(d->policy, o) {
		if (whitelist_covers_addr(&d->wl, &o->addr) ||
		    (o->has_mac && whitelist_covers_mac(&d->wl, &o->mac)))
			unblock(d, o, "whitelisted");
	}
}

void daemon_reload(struct nflogd *d)
{
	struct config cfg;
	struct whitelist wl;
	struct policy_cfg pc;
	char old_table[CONFIG_TABLE_MAX], err[256];
	bool new_tracker;

	if (load_settings(d->config_path, &cfg, &wl) < 0) {
		log_warnx("reload refused, keeping the settings in force");
		return;
	}
	d->now_ms = monotonic_ms();
	if (cfg.nflog_group != d->cfg.nflog_group) {
		struct intake fresh;

		if (intake_open(&fresh, cfg.nflog_group, INTAKE_QTHRESHOLD, err, sizeof(err)) < 0) {
			log_warnx("reload refused, keeping the settings in force: %s", err);
			whitelist_free(&wl);
			return;
		}
		intake_close(&d->intake);
		d->intake = fresh;
	}
	new_tracker = cfg.window != d->cfg.window || cfg.max_hosts != d->cfg.max_hosts;
	if (new_tracker) {
		struct tracker *t = tracker_new(cfg.max_hosts, cfg.window, d->seed, d->now_ms);

		if (t == NULL) {
			log_warnx("reload: out of memory for %u hosts; keeping the old window and cap",
				  cfg.max_hosts);
			cfg.window = d->cfg.window;
			cfg.max_hosts = d->cfg.max_hosts;
		} else {
			tracker_free(d->tracker);
			d->tracker = t;
			log_info("reload: window or max_hosts changed, counting starts afresh");
		}
	}
	snprintf(old_table, sizeof(old_table), "%s", d->cfg.table);
	d->cfg = cfg;
	whitelist_free(&d->wl);
	d->wl = wl;
	pc = policy_cfg_of(&d->cfg);
	policy_set_cfg(d->policy, &pc);
	unblock_whitelisted(d);
	d->ndel = 0;	/* the table is rebuilt whole below */
	if (strcmp(old_table, d->cfg.table) != 0 && nft_table_delete(&d->nft, old_table) < 0)
		log_warnx("reload: deleting old table inet %s: %s", old_table, d->nft.err);
	d->nadd = 0;
	install_table(d);
	log_info("reloaded %s: whitelist entries %zu", d->config_path, d->wl.nnets + d->wl.nmacs);
}

void daemon_stop(struct nflogd *d)
{
	/* Blocks live on in the state file (once it exists), not in the kernel. */
	if (nft_table_delete(&d->nft, d->cfg.table) < 0)
		log_warnx("deleting table inet %s: %s", d->cfg.table, d->nft.err);
	log_info("stopped: %llu events, %llu lost, %llu blocks",
		 (unsigned long long)d->intake.stats.events,
		 (unsigned long long)d->intake.stats.lost, (unsigned long long)d->stats.blocks);
	intake_close(&d->intake);
	nft_close(&d->nft);
	tracker_free(d->tracker);
	policy_free(d->policy);
	whitelist_free(&d->wl);
	free(d->pending_add);
	free(d->pending_del);
}
