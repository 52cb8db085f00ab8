/* The daemon's life: start, reload, persistence of blocks, stop. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "compat/compat.h"
#include "daemon.h"
#include "log.h"
#include "state.h"

struct policy_cfg daemon_policy_cfg(const struct config *cfg)
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
static size_t current_blocks(const struct nflogd *d, struct nft_block_elem **out)
{
	size_t n = 0;

	*out = malloc((d->policy->nblocked ? d->policy->nblocked : 1) * sizeof(**out));
	if (*out == NULL || d->dry_run)	/* a dry run's blocks are pretend */
		return 0;
	POLICY_FOREACH_BLOCKED(d->policy, o) {
		(*out)[n].addr = o->addr;
		(*out)[n].timeout_ms = daemon_kernel_timeout(o, d->now_ms);
		n++;
	}
	return n;
}

/* Put the table in the kernel as it should be now: rules, whitelist, blocks,
 * in one atomic step that also replaces any copy left by an earlier run. A
 * failure is logged here and its message left in err. */
static int install_table(struct nflogd *d, struct error *err)
{
	struct nft_block_elem *blocks;
	size_t n = current_blocks(d, &blocks);
	bool quiet = n >= DAEMON_QUIET_BATCH;
	struct quiet q;
	int rc;

	ruleset_of(d);
	if (quiet)	/* as daemon_send_quietly */
		daemon_quiet_begin(d, &q);
	rc = nft_install(&d->nft, &d->rs, &d->wl, blocks, n, err);
	if (quiet) {
		daemon_quiet_end(d, &q);
		/* Not after a failure: a table the kernel refuses would be
		 * retried at every wake-up. */
		if (rc < 0)
			d->table_unsure = d->table_foreign = false;
	}
	free(blocks);
	d->dels.n = d->adds.n = 0;	/* the table now holds exactly the policy's blocks */
	if (rc < 0)
		log_warnx("installing table inet %s failed: %s", d->cfg.table, err->msg);
	else if (!d->nft.timeouts)
		log_info("blocked sets without timeouts (%s): blocks end by the daemon alone",
			 d->cfg.set_timeouts ? nft_expiry_mode(&d->nft) : "set_timeouts = no");
	return rc;
}

static int load_settings(const char *config_path, struct config *cfg, struct whitelist *wl,
			 struct error *err)
{
	config_defaults(cfg);
	if (config_load(cfg, config_path, err) < 0 || whitelist_load(wl, cfg->whitelist, err) < 0)
		return -1;
	return 0;
}

/* --- persistence: wall-clock times in the file, monotonic in memory --- */

/* The state file's times are range-checked (state.h), so none of this
 * overflows; an instant before the daemon's clock began is its first. */
static uint64_t mono_of(const struct nflogd *d, int64_t wall)
{
	int64_t now_wall = daemon_wall(d, d->now_ms);
	int64_t ago_ms;

	if (wall <= 0)
		return 0;
	if (wall > STATE_TIME_MAX)
		wall = STATE_TIME_MAX;
	ago_ms = (now_wall - wall) * 1000;
	if (ago_ms < 0)			/* in the future: an expiry */
		return d->now_ms + (uint64_t)-ago_ms;
	return (uint64_t)ago_ms < d->now_ms ? d->now_ms - (uint64_t)ago_ms : 1;
}

void daemon_save_state(struct nflogd *d)
{
	struct state_entry *v;
	struct error err;
	size_t n = 0;
	int rc;

	d->state_saved_ms = d->now_ms;
	if (d->dry_run) {
		d->state_dirty = false;
		return;
	}
	v = calloc(d->policy->fresh ? d->policy->fresh : 1, sizeof(*v));
	if (v == NULL) {
		d->stats.state_errors++;
		log_warnx("state: out of memory; %s not written", d->cfg.state_file);
		return;
	}
	POLICY_FOREACH(d->policy, o) {
		struct state_entry *e = &v[n++];

		e->addr = o->addr;
		e->mac = o->mac;
		e->has_mac = o->has_mac;
		e->blocked = o->blocked;
		e->reason = o->reason;
		e->offences = o->offences;
		e->conns = o->conns;
		e->dsts = o->dsts;
		e->since = o->since_ms ? daemon_wall(d, o->since_ms) : 0;
		/* Rounded down: a restart never lengthens a block. */
		e->expires = o->blocked && o->expires_ms != POLICY_NO_EXPIRY
				     ? daemon_wall(d, d->now_ms) +
					       (int64_t)((o->expires_ms - d->now_ms) / 1000)
				     : 0;
		e->last_end = o->last_end_ms ? daemon_wall(d, o->last_end_ms) : 0;
	}
	rc = state_save(d->cfg.state_file, v, n, &err);
	if (rc < 0) {
		d->stats.state_errors++;
		/* Kept dirty: the next tick tries again. A refused directory
		 * stays refused until fixed: said once, not every second. */
		if (rc != STATE_REFUSED)
			log_warnx("state: %s", err.msg);
		else if (!d->state_refused)
			log_warnx("state: %s; blocks kept in memory, not written until it is fixed",
				  err.msg);
		d->state_refused = rc == STATE_REFUSED;
	} else {
		if (d->state_refused)
			log_info("state: %s written again", d->cfg.state_file);
		d->state_refused = false;
		d->stats.state_saves++;
		d->state_dirty = false;
	}
	free(v);
}

#define STATE_BAD_LOGGED 10	/* bad lines named in the log; the rest counted */

/* Bad lines of the state file go to STATE.bad, each after a comment naming
 * it, so nothing is lost and the file itself is rewritten clean. */
struct set_aside {
	char path[PATH_MAX];
	int fd;
	unsigned lines;
};

static void set_aside_line(void *ctx, unsigned line, const char *msg, const char *text,
			   size_t len)
{
	struct set_aside *a = ctx;

	(void)line;
	/* Not blocking: a FIFO put there must not hang the start either. */
	if (a->fd < 0 && a->lines == 0)
		a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
				      O_CLOEXEC, 0600);
	if (a->fd >= 0 && (dprintf(a->fd, "# %s\n", msg) < 0 || write(a->fd, text, len) < 0 ||
			   write(a->fd, "\n", 1) < 0)) {
		close(a->fd);
		a->fd = -1;
	}
	if (a->lines++ < STATE_BAD_LOGGED)
		log_warnx("state: %s; line set aside%s%s", msg, a->fd >= 0 ? " in " : " (lost: ",
			  a->fd >= 0 ? a->path : "cannot write the .bad file)");
}

static void restore_state(struct nflogd *d)
{
	struct state_entry *v = NULL;
	struct set_aside bad = { .fd = -1 };
	struct error err;
	char aside[PATH_MAX];
	size_t n = 0, blocks = 0;
	int nbad;

	snprintf(bad.path, sizeof(bad.path), "%s.bad", d->cfg.state_file);
	nbad = state_load(d->cfg.state_file, &v, &n, set_aside_line, &bad, &err);
	if (bad.fd >= 0)
		close(bad.fd);
	if (nbad < 0) {
		const char *tag = nbad == STATE_REFUSED ? "refused" : "corrupt";

		if (state_move_aside(d->cfg.state_file, tag, aside, sizeof(aside)) == 0)
			log_warnx("state: %s; moved it aside to %s, starting without blocks",
				  err.msg, aside);
		else
			log_warnx("state: %s; starting without blocks", err.msg);
		return;
	}
	if (nbad > 0) {
		log_warnx("state: %d bad lines of %s set aside in %s, the other %zu kept", nbad,
			  d->cfg.state_file, bad.path, n);
		d->state_dirty = true;	/* rewritten without them */
	}
	for (size_t i = 0; i < n; i++) {
		struct offender saved = {
			.addr = v[i].addr, .mac = v[i].mac, .has_mac = v[i].has_mac,
			.blocked = v[i].blocked, .reason = v[i].reason,
			.offences = v[i].offences, .conns = v[i].conns, .dsts = v[i].dsts,
			.since_ms = mono_of(d, v[i].since),
			.expires_ms = v[i].blocked && v[i].expires ? mono_of(d, v[i].expires)
								  : POLICY_NO_EXPIRY,
			.last_end_ms = mono_of(d, v[i].last_end),
		};
		const struct offender *o;

		/* A host whitelisted meanwhile keeps its history, not its block. */
		if (daemon_whitelisted(d, &saved.addr, saved.has_mac ? &saved.mac : NULL) &&
		    saved.blocked) {
			saved.blocked = false;
			saved.last_end_ms = d->now_ms;
		}
		o = policy_restore(d->policy, &saved, d->now_ms);
		blocks += o && o->blocked;
	}
	free(v);
	if (n)
		log_info("state: %zu blocks and %zu offender records restored from %s", blocks,
			 n - blocks, d->cfg.state_file);
}

/* --- the kernel's table outlives a crash --- */

/* A block this close to its end may be gone by its kernel timeout already
 * (or about to be): its absence is no damage, its presence no news. */
#define DAEMON_EXPIRY_MARGIN_MS 2000
#define DAEMON_ADOPT_LOGGED 10	/* adopted blocks named in the log */

static struct addr addr_of_key(const struct nft_elem *e)
{
	struct addr a;

	if (e->len == 4)
		addr_from_v4(&a, e->key);
	else
		addr_from_v6(&a, e->key);
	return a;
}

static const struct nft_elem *kernel_elem(const struct nft_elem_list *l, const struct addr *a)
{
	bool v4 = addr_is_v4(a);

	return nft_elem_find(l, a->b + (v4 ? 12 : 0), v4 ? 4 : 16, 0);
}

/* Both blocked sets of table; 0, 1 no such table (a clean stop, a boot), -1. */
static int kernel_blocks(struct nflogd *d, struct nft_elem_list *l)
{
	int rc = nft_set_elems(&d->nft, d->cfg.table, "blocked4", l);

	if (rc == 0)
		rc = nft_set_elems(&d->nft, d->cfg.table, "blocked6", l);
	nft_elems_sort(l);
	return rc;
}

/* The automatic offence whose block lasts timeout_ms, or 0 if none does. */
static uint32_t offence_of_length(const struct policy_cfg *pc, uint64_t timeout_ms)
{
	for (uint32_t k = 1; k <= 64; k++) {
		uint64_t len = policy_block_duration(pc, k);

		if (len + 1000 >= timeout_ms && len <= timeout_ms + 1000)
			return k;
		if (len >= pc->block_time_max_ms)
			break;
	}
	return 0;
}

/* A block the kernel holds and the state file missed (it was made after the
 * last save). Its length tells an automatic block (one of the escalation's
 * lengths: of the next offence for a known host, of any offence for a new
 * one) from a manual one; an element without a timeout is a permanent
 * block, automatic when block_time is 0 (or the sets have no timeouts, when
 * the policy gives it its length). */
static void adopt_block(struct nflogd *d, const struct nft_elem *e, const struct addr *a)
{
	struct policy_cfg pc = daemon_policy_cfg(&d->cfg);
	struct offender *o = policy_find(d->policy, a), released;
	uint32_t known = o ? o->offences : 0, k = 0;
	enum block_reason reason = REASON_MANUAL;
	uint64_t duration = e->expires_ms;

	if (e->timeout_ms == 0) {
		reason = pc.block_time_ms == 0 || !d->cfg.set_timeouts ? REASON_AUTO : REASON_MANUAL;
		duration = reason == REASON_AUTO ? POLICY_BY_OFFENCE : 0;
	} else if (policy_block_duration(&pc, known + 1) + 1000 >= e->timeout_ms &&
		   policy_block_duration(&pc, known + 1) <= e->timeout_ms + 1000) {
		reason = REASON_AUTO;
	} else if (o == NULL && (k = offence_of_length(&pc, e->timeout_ms)) != 0) {
		struct offender history = { .addr = *a, .offences = k - 1,
					    .last_end_ms = d->now_ms };

		reason = REASON_AUTO;
		policy_restore(d->policy, &history, d->now_ms);
	}
	o = policy_block(d->policy, a, NULL, d->now_ms, reason, duration, 0, 0, &released);
	if (o != NULL && e->timeout_ms > e->expires_ms && d->now_ms > e->timeout_ms - e->expires_ms)
		o->since_ms = d->now_ms - (e->timeout_ms - e->expires_ms);
}

/* After a crash the kernel's blocked sets are newer than the state file
 * (written within DAEMON_STATE_SAVE_MS of a change): they decide who is
 * blocked. What the state file knows of a host (its offences) is kept. */
static void adopt_kernel_blocks(struct nflogd *d)
{
	struct nft_elem_list l = { 0 };
	unsigned adopted = 0, ended = 0;
	char a[ADDR_STRLEN];
	int rc = kernel_blocks(d, &l);

	if (rc != 0) {
		if (rc < 0)
			log_warnx("reading the blocks of the old table inet %s failed; the state file "
				  "alone decides", d->cfg.table);
		nft_elem_list_free(&l);
		return;
	}
	POLICY_FOREACH_BLOCKED(d->policy, o) {
		if (kernel_elem(&l, &o->addr) == NULL) {	/* ended after the save */
			policy_unblock(d->policy, o, d->now_ms);
			ended++;
		}
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct nft_elem *e = &l.v[i];
		struct addr host = addr_of_key(e);
		const struct offender *o = policy_find(d->policy, &host);

		const struct mac *mac = o && o->has_mac ? &o->mac : NULL;

		if ((o && o->blocked) || daemon_whitelisted(d, &host, mac) ||
		    (e->timeout_ms && e->expires_ms < DAEMON_EXPIRY_MARGIN_MS))
			continue;
		adopt_block(d, e, &host);
		o = policy_find(d->policy, &host);
		if (o && o->blocked && adopted++ < DAEMON_ADOPT_LOGGED)
			log_info("state: block %s (%s, offence %u) found only in the kernel's table: "
				 "kept", addr_format(&host, a),
				 o->reason == REASON_MANUAL ? "manual" : "auto", o->offences);
	}
	if (adopted || ended) {
		log_info("state: the old table inet %s had %u blocks the state file missed and "
			 "lacked %u it listed: the kernel's kept", d->cfg.table, adopted, ended);
		d->state_dirty = true;
	}
	nft_elem_list_free(&l);
}

/* --- start, reload, stop --- */

static int watch(struct nflogd *d, int fd, uint32_t tag, struct error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)tag << 32 };

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return error_errno(err, "epoll");
	return 0;
}

int daemon_start(struct nflogd *d, const char *config_path, bool dry_run, int epfd)
{
	struct error err;
	struct policy_cfg pc;

	memset(d, 0, sizeof(*d));
	d->config_path = config_path;
	d->dry_run = dry_run;
	d->epfd = epfd;
	d->control.fd = -1;
	leases_init(&d->leases);
	ratelimit_init(&d->action_lines, DAEMON_ACTION_LINES, 1000);
	d->now_ms = d->started_ms = d->last_housekeeping_ms = d->state_saved_ms = monotonic_ms();
	if (getrandom(&d->seed, sizeof(d->seed), 0) != sizeof(d->seed))
		d->seed = d->now_ms ^ (uint64_t)getpid() << 32;
	if (load_settings(config_path, &d->cfg, &d->wl, &err) < 0) {
		log_warnx("%s", err.msg);
		return -1;
	}
	pc = daemon_policy_cfg(&d->cfg);
	d->tracker = tracker_new(d->cfg.max_hosts, d->cfg.window, d->seed, d->now_ms);
	d->policy = policy_new(&pc, d->seed);
	d->recent = calloc(1, sizeof(*d->recent));
	if (d->tracker == NULL || d->policy == NULL || d->recent == NULL) {
		log_warnx("out of memory for %u hosts", d->cfg.max_hosts);
		return -1;
	}
	/* A dry run never blocks: it neither enforces saved blocks nor saves
	 * the ones it only pretends to make. */
	if (!dry_run)
		restore_state(d);
	/* Bind the group and open the socket before the rule that feeds the
	 * group exists: no event of the start-up is lost, and "table exists"
	 * means "ready" to scripts. */
	if (intake_open(&d->intake, d->cfg.nflog_group, &err) < 0 ||
	    watch(d, intake_fd(&d->intake), TAG_INTAKE, &err) < 0 ||
	    control_open(&d->control, epfd, d->cfg.socket, d->cfg.socket_group, &err) < 0) {
		log_warnx("%s", err.msg);
		return -1;
	}
	if (d->cfg.set_timeouts) {
		char note[160];

		if (nft_load_hash_backend(note, sizeof(note)) < 0)
			log_warnx("%s", note);
		else
			log_info("%s", note);
	}
	if (nft_open(&d->nft, d->cfg.set_timeouts, &err) < 0) {
		log_warnx("%s", err.msg);
		return -1;
	}
	/* Watch before installing: a deletion right after start is seen too. */
	if (nft_monitor_open(&d->monitor, &err) < 0 ||
	    watch(d, nft_monitor_fd(&d->monitor), TAG_MONITOR, &err) < 0) {
		log_warnx("%s", err.msg);
		return -1;
	}
	/* Before the table is replaced: what a crash left in it. */
	if (!dry_run)
		adopt_kernel_blocks(d);
	/* Spoofed sources are told from the first event on. */
	daemon_refresh_expectations(d);
	/* A dry run installs the table too: the NFLOG rule feeds it. */
	if (install_table(d, &err) < 0)
		return -1;
	log_info("nflogd %s started: group %u, threshold %u per %us, whitelist entries %zu%s",
		 NFLOGD_VERSION, d->cfg.nflog_group, d->cfg.threshold, d->cfg.window,
		 d->wl.nnets + d->wl.nmacs, dry_run ? ", dry run (never blocks)" : "");
	return 0;
}

/* how: "" after a notification, else what made us look. */
static void restore_table(struct nflogd *d, const char *how)
{
	struct error err;

	d->now_ms = monotonic_ms();
	daemon_flush(d);
	if (install_table(d, &err) == 0) {
		d->stats.table_restores++;
		log_warnx("table inet %s restored (%u blocks, %zu whitelist entries)%s",
			  d->cfg.table, d->policy->nblocked, d->wl.nnets + d->wl.nmacs, how);
	}
}

/* Is our table still whole? Its rules counted: a set or chain goes only
 * with rules, so this sees what the monitor would have. */
static bool table_whole(struct nflogd *d)
{
	uint32_t rules;

	return nft_table_exists(&d->nft, d->cfg.table) == 1 &&
	       nft_count_rules(&d->nft, d->cfg.table, &rules) == 0 &&
	       rules == d->nft.rules_installed;
}

/* A whitelist set exactly as the whitelist makes it? 1 yes, 0 no (why in
 * how), -1 cannot tell. */
static int whitelist_set_whole(struct nflogd *d, enum nft_set_id id, const char *name,
			       char *how, size_t howlen)
{
	struct nft_elem_list want = { 0 }, have = { 0 };
	int rc = nft_whitelist_elems(&d->wl, id, &want) < 0 ? -1
		 : nft_set_elems(&d->nft, d->cfg.table, name, &have);
	size_t missing;

	if (rc == 1) {
		snprintf(how, howlen, ", set %s was gone", name);
		rc = 0;
	} else if (rc == 0) {
		nft_elems_sort(&have);
		missing = nft_elems_missing(&want, &have);
		rc = missing == 0 && have.n == want.n;
		if (missing)
			snprintf(how, howlen, ", %zu of the %zu elements of %s were gone", missing,
				 want.n, name);
		else if (!rc)	/* one added by hand lets a host through unseen */
			snprintf(how, howlen, ", %s held %zu elements the whitelist does not", name,
				 have.n - want.n);
	}
	nft_elem_list_free(&want);
	nft_elem_list_free(&have);
	return rc;
}

/* Put back the blocks someone deleted from the kernel's sets. Only blocks
 * with more than the margin left count: the kernel's own timeout may have
 * ended the others. */
static void restore_blocks(struct nflogd *d)
{
	struct nft_elem_list have = { 0 };
	struct nft_block_elem *missing;
	size_t n[2] = { 0, 0 }, total;
	struct error err;
	int rc;

	if (d->dry_run || d->policy->nblocked == 0)
		return;
	rc = kernel_blocks(d, &have);
	missing = malloc(d->policy->nblocked * sizeof(*missing));
	if (rc != 0 || missing == NULL) {
		nft_elem_list_free(&have);
		free(missing);
		return;
	}
	POLICY_FOREACH_BLOCKED(d->policy, o) {
		uint64_t left = daemon_kernel_timeout(o, d->now_ms);

		if ((o->expires_ms == POLICY_NO_EXPIRY ||
		     o->expires_ms > d->now_ms + DAEMON_EXPIRY_MARGIN_MS) &&
		    kernel_elem(&have, &o->addr) == NULL) {
			missing[n[0] + n[1]].addr = o->addr;
			missing[n[0] + n[1]].timeout_ms = left;
			n[addr_is_v4(&o->addr) ? 0 : 1]++;
		}
	}
	total = n[0] + n[1];
	if (total && daemon_send_quietly(d, true, missing, total, &err) == 0) {
		d->stats.table_restores++;
		d->stats.elements_restored += total;
		for (int v4 = 1; v4 >= 0; v4--)
			if (n[v4 ? 0 : 1])
				log_warnx("table inet %s: restored %zu elements of %s", d->cfg.table,
					  n[v4 ? 0 : 1], v4 ? "blocked4" : "blocked6");
	} else if (total) {
		d->stats.kernel_errors++;
		log_warnx("table inet %s: restoring %zu blocks failed: %s", d->cfg.table, total,
			  err.msg);
	}
	nft_elem_list_free(&have);
	free(missing);
}

/* The sets' elements against what the daemon holds: a whitelist set that
 * lacks any is rebuilt with the table (it is small, and interval elements
 * come in pairs); missing blocks are added back. Costs a dump of every set:
 * only after someone else deleted elements, or could have. */
static void check_elements(struct nflogd *d)
{
	static const struct { enum nft_set_id id; const char *name; } allow[] = {
		{ SET_ALLOW4, "allow4" }, { SET_ALLOW6, "allow6" }, { SET_ALLOWMAC, "allowmac" },
	};
	char how[128];

	d->now_ms = monotonic_ms();
	daemon_flush(d);
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
		int whole = whitelist_set_whole(d, allow[i].id, allow[i].name, how, sizeof(how));

		if (whole < 0)
			return;
		if (whole == 0) {
			restore_table(d, how);
			return;
		}
	}
	restore_blocks(d);
}

void daemon_on_monitor(struct nflogd *d)
{
	enum monitor_verdict v = nft_monitor_drain(&d->monitor, d->cfg.table, d->nft.portid);

	if (v == MONITOR_QUIET)
		return;
	/* Lost notifications: look rather than rebuild, or rebuilding a big
	 * table (its own flood of notifications) could overrun us again. */
	if (v == MONITOR_HIT || (v == MONITOR_UNSURE && !table_whole(d))) {
		restore_table(d, "");
		return;
	}
	check_elements(d);
}

void daemon_check_table(struct nflogd *d)
{
	bool foreign = d->table_foreign;

	d->table_unsure = d->table_foreign = false;
	/* As after lost notifications, but an answer we cannot read counts
	 * as missing: the pause hid whatever happened. */
	if (nft_table_exists(&d->nft, d->cfg.table) != 1) {
		restore_table(d, ", found missing after a batch sent unmonitored");
		return;
	}
	/* Someone committed during the pause: a rule or chain of ours may be
	 * gone with the table still there, or elements of its sets. */
	if (!foreign)
		return;
	if (!table_whole(d))
		restore_table(d, ", found changed after a batch sent unmonitored");
	else
		check_elements(d);
}

/* Blocks of hosts the whitelist now covers end at once. */
static void unblock_whitelisted(struct nflogd *d)
{
	POLICY_FOREACH_BLOCKED(d->policy, o) {
		if (daemon_whitelisted(d, &o->addr, o->has_mac ? &o->mac : NULL))
			daemon_unblock(d, o, "whitelisted");
	}
}

int daemon_reload_whitelist(struct nflogd *d, struct error *err)
{
	struct whitelist wl;

	if (whitelist_load(&wl, d->cfg.whitelist, err) < 0)
		return -1;
	whitelist_free(&d->wl);
	d->wl = wl;
	d->now_ms = monotonic_ms();
	unblock_whitelisted(d);
	return install_table(d, err);
}

/* A new NFLOG group: bind it first, and only then let the old one go. */
static int switch_group(struct nflogd *d, uint16_t group, struct error *err)
{
	struct intake fresh;

	if (intake_open(&fresh, group, err) < 0)
		return -1;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, intake_fd(&d->intake), NULL);
	intake_close(&d->intake);
	d->intake = fresh;
	return watch(d, intake_fd(&d->intake), TAG_INTAKE, err);
}

int daemon_reload(struct nflogd *d, struct error *err)
{
	struct config cfg;
	struct whitelist wl;
	struct policy_cfg pc;
	char old_table[CONFIG_TABLE_MAX];
	struct error e;	/* the old table's: not a reason to refuse the reload */

	if (load_settings(d->config_path, &cfg, &wl, err) < 0)
		return -1;
	d->now_ms = monotonic_ms();
	if (cfg.nflog_group != d->cfg.nflog_group &&
	    switch_group(d, cfg.nflog_group, err) < 0) {
		whitelist_free(&wl);
		return -1;
	}
	if (cfg.window != d->cfg.window || cfg.max_hosts != d->cfg.max_hosts) {
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
	if (strcmp(cfg.socket, d->cfg.socket) || strcmp(cfg.socket_group, d->cfg.socket_group)) {
		log_warnx("reload: socket and socket_group changes take a restart");
		memcpy(cfg.socket, d->cfg.socket, sizeof(cfg.socket));
		memcpy(cfg.socket_group, d->cfg.socket_group, sizeof(cfg.socket_group));
	}
	snprintf(old_table, sizeof(old_table), "%s", d->cfg.table);
	if (cfg.set_timeouts != d->cfg.set_timeouts)
		d->nft.timeouts = cfg.set_timeouts;	/* auto tries again */
	d->cfg = cfg;
	whitelist_free(&d->wl);
	d->wl = wl;
	pc = daemon_policy_cfg(&d->cfg);
	policy_set_cfg(d->policy, &pc);
	unblock_whitelisted(d);
	if (strcmp(old_table, d->cfg.table) != 0 && nft_table_delete(&d->nft, old_table, &e) < 0)
		log_warnx("reload: deleting old table inet %s: %s", old_table, e.msg);
	if (install_table(d, err) < 0)
		return -1;
	log_info("reloaded %s: whitelist entries %zu", d->config_path, d->wl.nnets + d->wl.nmacs);
	return 0;
}

void daemon_stop(struct nflogd *d)
{
	struct error err;

	d->now_ms = monotonic_ms();
	daemon_flush(d);
	daemon_save_state(d);
	/* Blocks live on in the state file and return at the next start. */
	if (nft_table_delete(&d->nft, d->cfg.table, &err) < 0)
		log_warnx("deleting table inet %s: %s", d->cfg.table, err.msg);
	daemon_report_held_lines(d, true);
	log_info("stopped: %llu events, %llu lost, %llu blocks",
		 (unsigned long long)d->intake.stats.events,
		 (unsigned long long)d->intake.stats.lost, (unsigned long long)d->stats.blocks);
	control_close(&d->control);
	nft_monitor_close(&d->monitor);
	intake_close(&d->intake);
	nft_close(&d->nft);
	tracker_free(d->tracker);
	policy_free(d->policy);
	whitelist_free(&d->wl);
	leases_free(&d->leases);
	neigh_close(&d->neigh);
	expect_free(&d->expect);
	spoof_suspects_free(&d->suspects);
	free(d->recent);
	free(d->adds.v);
	free(d->dels.v);
}
