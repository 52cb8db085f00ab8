/* The daemon's table in the kernel: queued changes, install, monitor, repair. */
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "intake.h"
#include "log.h"

void table_init(struct table *t, const struct config *cfg, const struct whitelist *wl,
		const struct policy *p, bool dry_run)
{
	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	t->wl = wl;
	t->policy = p;
	t->dry_run = dry_run;
}

int table_open(struct table *t, struct error *e)
{
	if (t->cfg->set_timeouts) {
		char note[160];

		if (nft_load_hash_backend(note, sizeof(note)) < 0)
			log_warnx("%s", note);
		else
			log_info("%s", note);
	}
	if (nft_open(&t->nft, t->cfg->set_timeouts, e) < 0)
		return -1;
	/* Watch before installing: a deletion right after start is seen too. */
	return nft_monitor_open(&t->monitor, e);
}

int table_monitor_fd(const struct table *t)
{
	return nft_monitor_fd(&t->monitor);
}

void table_close(struct table *t)
{
	nft_monitor_close(&t->monitor);
	nft_close(&t->nft);
	free(t->adds.v);
	free(t->dels.v);
	t->adds = t->dels = (struct table_queue){ 0 };
}

/* --- the monitor paused around big batches --- */

/* The ruleset's generation when the monitor left its group. */
struct monitor_pause {
	bool known;
	uint32_t gen;
	uint64_t commits;
};

static void table_pause_monitor(struct table *t, struct monitor_pause *p)
{
	p->known = nft_generation(&t->nft, &p->gen) == 0;
	p->commits = t->nft.commits;
	nft_monitor_pause(&t->monitor);
}

/* Put the monitor back in its group after a pause; retried each second. */
static void rejoin_monitor(struct table *t)
{
	bool was_failing = t->rejoin_failing;

	if (!t->monitor.left)
		return;
	t->rejoin_failing = nft_monitor_resume(&t->monitor) < 0;
	if (t->rejoin_failing && !was_failing)
		log_warn("nf_tables monitor: cannot rejoin its notifications; retrying every "
			 "second, and a removed table is noticed only then");
	else if (!t->rejoin_failing && was_failing) {
		log_info("nf_tables monitor: notifications rejoined");
		t->unsure = true;	/* whatever happened meanwhile */
	}
}

static void table_resume_monitor(struct table *t, const struct monitor_pause *p)
{
	uint32_t gen;

	rejoin_monitor(t);
	/* Each applied batch moves the generation by one: more than ours
	 * means someone else's change went by unseen. */
	if (!p->known || nft_generation(&t->nft, &gen) < 0 ||
	    gen - p->gen != (uint32_t)(t->nft.commits - p->commits))
		t->foreign = true;
	t->unsure = true;
}

/* A big batch goes with the monitor paused (then t->unsure is set). */
static int send_blocks(struct table *t, bool add, const struct nft_block_elem *v, size_t n,
		       struct error *e)
{
	struct monitor_pause p;
	int rc;

	if (n < TABLE_UNMONITORED_BATCH)
		return nft_blocks(&t->nft, t->cfg->table, add, v, n, e);
	table_pause_monitor(t, &p);
	rc = nft_blocks(&t->nft, t->cfg->table, add, v, n, e);
	table_resume_monitor(t, &p);
	return rc;
}

/* --- queued kernel changes --- */

/* Kernel timeout for a block: its remaining time; 0 = permanent. Whichever
 * of the kernel and the daemon's own expiry comes first, the other finds the
 * element gone, which nft_blocks() takes as done. */
uint64_t table_kernel_timeout(const struct offender *o, uint64_t now_ms)
{
	if (o->expires_ms == POLICY_NO_EXPIRY)
		return 0;
	return o->expires_ms > now_ms ? o->expires_ms - now_ms : 1;
}

static bool grow(struct table_queue *q)
{
	size_t n = q->cap ? q->cap * 2 : 64;
	struct nft_block_elem *p = realloc(q->v, n * sizeof(*p));

	if (p == NULL)
		return false;
	q->v = p;
	q->cap = n;
	return true;
}

static void queue(struct table *t, struct table_queue *q, const struct addr *a,
		  uint64_t timeout_ms)
{
	/* Grows only when changes pile up in one wake-up; reused after. */
	if (q->n == q->cap && !grow(q)) {
		log_warnx("out of memory queueing a kernel change; sending what is queued");
		table_flush(t);
		if (q->cap == 0)
			return;
	}
	q->v[q->n].addr = *a;
	q->v[q->n].timeout_ms = timeout_ms;
	q->n++;
}

void table_queue_add(struct table *t, const struct addr *a, uint64_t timeout_ms)
{
	if (!t->dry_run)
		queue(t, &t->adds, a, timeout_ms);
}

void table_queue_del(struct table *t, const struct addr *a)
{
	if (t->dry_run)
		return;
	/* Deletions go out before additions: an add still queued for the
	 * same host is withdrawn, so "block, then release" in one wake-up
	 * does not end with the host in the kernel. */
	for (size_t i = 0; i < t->adds.n; i++)
		if (addr_equal(&t->adds.v[i].addr, a))
			t->adds.v[i--] = t->adds.v[--t->adds.n];
	/* ... and its latency, for an insert that will not happen. */
	for (unsigned i = 0; i < t->ntimed; i++)
		if (addr_equal(&t->timed[i].addr, a))
			t->timed[i--] = t->timed[--t->ntimed];
	queue(t, &t->dels, a, 0);
}

void table_time_block(struct table *t, const struct addr *a, uint64_t event_us,
		      uint64_t wake_us)
{
	if (t->dry_run || t->ntimed == TABLE_TIMED_BLOCKS)
		return;
	t->timed[t->ntimed].addr = *a;
	t->timed[t->ntimed].event_us = event_us;
	t->timed[t->ntimed++].wake_us = wake_us;
}

/* The kernel has ACKed the blocks queued since the last flush. */
static void record_latency(struct table *t)
{
	uint64_t now, mono;

	if (t->ntimed == 0)
		return;
	now = clock_us(CLOCK_REALTIME);
	mono = clock_us(CLOCK_MONOTONIC);
	for (unsigned i = 0; i < t->ntimed; i++) {
		/* A clock step back can put the event "after" the ACK: neither
		 * figure is kept for that block, so both cover the same ones. */
		if (now < t->timed[i].event_us)
			continue;
		latency_add(&t->block_latency, now - t->timed[i].event_us);
		latency_add(&t->block_handling, mono - t->timed[i].wake_us);
	}
}

void table_flush(struct table *t)
{
	struct error err;

	/* Deletions first (see table_queue_del): unblocked and blocked again
	 * in one wake-up ends blocked. */
	if (t->dels.n) {
		if (send_blocks(t, false, t->dels.v, t->dels.n, &err) < 0) {
			t->stats.kernel_errors++;
			log_warnx("removing %zu blocks from the kernel failed: %s", t->dels.n,
				  err.msg);
		}
		t->dels.n = 0;
	}
	if (t->adds.n) {
		if (send_blocks(t, true, t->adds.v, t->adds.n, &err) < 0) {
			t->stats.kernel_errors++;
			log_warnx("adding %zu blocks to the kernel failed: %s", t->adds.n,
				  err.msg);
		} else {
			record_latency(t);
		}
		t->adds.n = 0;
	}
	t->ntimed = 0;
}

/* --- install --- */

static void ruleset_of(struct table *t)
{
	const struct config *cfg = t->cfg;

	t->rs.table = cfg->table;
	t->rs.group = cfg->nflog_group;
	t->rs.ports = cfg->ports;
	t->rs.nports = cfg->nports;
	t->rs.scope_all = cfg->block_scope == SCOPE_ALL;
	t->rs.log_rule = cfg->install_rules;
	t->rs.snaplen = INTAKE_COPY_RANGE;
}

static size_t current_blocks(const struct table *t, uint64_t now_ms, struct nft_block_elem **out)
{
	const struct policy *p = t->policy;
	size_t n = 0;

	*out = malloc((p->nblocked ? p->nblocked : 1) * sizeof(**out));
	if (*out == NULL || t->dry_run)	/* a dry run's blocks are pretend */
		return 0;
	POLICY_FOREACH_BLOCKED(p, o) {
		(*out)[n].addr = o->addr;
		(*out)[n].timeout_ms = table_kernel_timeout(o, now_ms);
		n++;
	}
	return n;
}

int table_install(struct table *t, uint64_t now_ms, struct error *e)
{
	struct nft_block_elem *blocks;
	size_t n = current_blocks(t, now_ms, &blocks);
	bool unmonitored = n >= TABLE_UNMONITORED_BATCH;
	struct monitor_pause p;
	int rc;

	ruleset_of(t);
	if (unmonitored)	/* as send_blocks */
		table_pause_monitor(t, &p);
	rc = nft_install(&t->nft, &t->rs, t->wl, blocks, n, e);
	if (unmonitored) {
		table_resume_monitor(t, &p);
		/* Not after a failure: a table the kernel refuses would be
		 * retried at every wake-up. */
		if (rc < 0)
			t->unsure = t->foreign = false;
	}
	free(blocks);
	t->dels.n = t->adds.n = 0;	/* the table now holds exactly the policy's blocks */
	if (rc < 0) {
		log_warnx("installing table inet %s failed: %s", t->cfg->table, e->msg);
		return -1;
	}
	if (!t->nft.timeouts)
		log_info("blocked sets without timeouts (%s): blocks end by the daemon alone",
			 t->cfg->set_timeouts ? nft_expiry_mode(&t->nft) : "set_timeouts = no");
	return 0;
}

int table_delete(struct table *t, const char *name, struct error *e)
{
	return nft_table_delete(&t->nft, name, e);
}

void table_want_timeouts(struct table *t, bool timeouts)
{
	t->nft.timeouts = timeouts;	/* auto tries again */
}

/* --- the table checked, and put back --- */

struct addr table_elem_addr(const struct nft_elem *e)
{
	struct addr a;

	if (e->len == 4)
		addr_from_v4(&a, e->key);
	else
		addr_from_v6(&a, e->key);
	return a;
}

const struct nft_elem *table_kernel_elem(const struct nft_elem_list *l, const struct addr *a)
{
	bool v4 = addr_is_v4(a);

	return nft_elem_find(l, a->b + (v4 ? 12 : 0), v4 ? 4 : 16, 0);
}

int table_kernel_blocks(struct table *t, struct nft_elem_list *l)
{
	int rc = nft_set_elems(&t->nft, t->cfg->table, "blocked4", l);

	if (rc == 0)
		rc = nft_set_elems(&t->nft, t->cfg->table, "blocked6", l);
	nft_elems_sort(l);
	return rc;
}

/* how: "" after a notification, else what made us look. */
static void restore_table(struct table *t, const char *how)
{
	table_flush(t);
	if (table_install(t, monotonic_ms(), NULL) == 0) {
		t->stats.restores++;
		log_warnx("table inet %s restored (%u blocks, %zu whitelist entries)%s",
			  t->cfg->table, t->policy->nblocked, t->wl->nnets + t->wl->nmacs, how);
	}
}

/* Is our table still whole? Its rules counted: a set or chain goes only
 * with rules, so this sees what the monitor would have. */
static bool table_whole(struct table *t)
{
	uint32_t rules;

	return nft_table_exists(&t->nft, t->cfg->table) == 1 &&
	       nft_count_rules(&t->nft, t->cfg->table, &rules) == 0 &&
	       rules == t->nft.rules_installed;
}

/* A whitelist set exactly as the whitelist makes it? 1 yes, 0 no (why in
 * how), -1 cannot tell. */
static int whitelist_set_whole(struct table *t, enum nft_set_id id, const char *name,
			       char *how, size_t howlen)
{
	struct nft_elem_list want = { 0 }, have = { 0 };
	int rc = nft_whitelist_elems(t->wl, id, &want) < 0 ? -1
		 : nft_set_elems(&t->nft, t->cfg->table, name, &have);
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
static void restore_blocks(struct table *t, uint64_t now_ms)
{
	const struct policy *p = t->policy;
	struct nft_elem_list have = { 0 };
	struct nft_block_elem *missing;
	size_t n[2] = { 0, 0 }, total;
	struct error err;
	int rc;

	if (t->dry_run || p->nblocked == 0)
		return;
	rc = table_kernel_blocks(t, &have);
	missing = malloc(p->nblocked * sizeof(*missing));
	if (rc != 0 || missing == NULL) {
		nft_elem_list_free(&have);
		free(missing);
		return;
	}
	POLICY_FOREACH_BLOCKED(p, o) {
		uint64_t left = table_kernel_timeout(o, now_ms);

		if ((o->expires_ms == POLICY_NO_EXPIRY ||
		     o->expires_ms > now_ms + TABLE_EXPIRY_MARGIN_MS) &&
		    table_kernel_elem(&have, &o->addr) == NULL) {
			missing[n[0] + n[1]].addr = o->addr;
			missing[n[0] + n[1]].timeout_ms = left;
			n[addr_is_v4(&o->addr) ? 0 : 1]++;
		}
	}
	total = n[0] + n[1];
	if (total && send_blocks(t, true, missing, total, &err) == 0) {
		t->stats.restores++;
		t->stats.elements_restored += total;
		for (int v4 = 1; v4 >= 0; v4--)
			if (n[v4 ? 0 : 1])
				log_warnx("table inet %s: restored %zu elements of %s", t->cfg->table,
					  n[v4 ? 0 : 1], v4 ? "blocked4" : "blocked6");
	} else if (total) {
		t->stats.kernel_errors++;
		log_warnx("table inet %s: restoring %zu blocks failed: %s", t->cfg->table, total,
			  err.msg);
	}
	nft_elem_list_free(&have);
	free(missing);
}

/* The sets' elements against what the daemon holds: a whitelist set that
 * lacks any is rebuilt with the table (it is small, and interval elements
 * come in pairs); missing blocks are added back. Costs a dump of every set:
 * only after someone else deleted elements, or could have. */
static void check_elements(struct table *t)
{
	static const struct { enum nft_set_id id; const char *name; } allow[] = {
		{ SET_ALLOW4, "allow4" }, { SET_ALLOW6, "allow6" }, { SET_ALLOWMAC, "allowmac" },
	};
	char how[128];

	table_flush(t);
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
		int whole = whitelist_set_whole(t, allow[i].id, allow[i].name, how, sizeof(how));

		if (whole < 0)
			return;
		if (whole == 0) {
			restore_table(t, how);
			return;
		}
	}
	restore_blocks(t, monotonic_ms());
}

void table_on_monitor(struct table *t)
{
	enum monitor_verdict v = nft_monitor_drain(&t->monitor, t->cfg->table, t->nft.portid);

	if (v == MONITOR_UNTOUCHED)
		return;
	/* Lost notifications: look rather than rebuild, or rebuilding a big
	 * table (its own flood of notifications) could overrun us again. */
	if (v == MONITOR_HIT || (v == MONITOR_UNSURE && !table_whole(t))) {
		restore_table(t, "");
		return;
	}
	check_elements(t);
}

static void check_unmonitored(struct table *t)
{
	bool foreign = t->foreign;

	t->unsure = t->foreign = false;
	/* As after lost notifications, but an answer we cannot read counts
	 * as missing: the pause hid whatever happened. */
	if (nft_table_exists(&t->nft, t->cfg->table) != 1) {
		restore_table(t, ", found missing after a batch sent unmonitored");
		return;
	}
	/* Someone committed during the pause: a rule or chain of ours may be
	 * gone with the table still there, or elements of its sets. */
	if (!foreign)
		return;
	if (!table_whole(t))
		restore_table(t, ", found changed after a batch sent unmonitored");
	else
		check_elements(t);
}

void table_check(struct table *t)
{
	if (t->unsure)
		check_unmonitored(t);
}

void table_housekeeping(struct table *t)
{
	rejoin_monitor(t);
	if (t->unsure || t->monitor.left)	/* left: nobody tells us */
		check_unmonitored(t);
}

void table_status(const struct table *t, struct table_status *st)
{
	st->timeouts = t->nft.timeouts;
	st->expiry = nft_expiry_mode(&t->nft);
	st->stats = t->stats;
	st->latency = latency_summarize(&t->block_latency);
	st->handling = latency_summarize(&t->block_handling);
}
