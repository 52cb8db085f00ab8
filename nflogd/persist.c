/* Persistence of blocks and offences: the state file, and the kernel's
 * table after a crash. */
#include "persist.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "state.h"

void persist_init(struct persist *s, const struct config *cfg, bool dry_run, uint64_t now_ms)
{
	*s = (struct persist){ .cfg = cfg, .dry_run = dry_run, .saved_ms = now_ms };
}

void persist_changed(struct persist *s)
{
	s->dirty = true;
}

/* The state file's times are range-checked (state.h), so none of this
 * overflows; an instant before the daemon's clock began is its first. */
static uint64_t mono_of(uint64_t now_ms, int64_t wall)
{
	int64_t now_wall = wall_of_monotonic(now_ms);
	int64_t ago_ms;

	if (wall <= 0)
		return 0;
	if (wall > STATE_TIME_MAX)
		wall = STATE_TIME_MAX;
	ago_ms = (now_wall - wall) * 1000;
	if (ago_ms < 0)			/* in the future: an expiry */
		return now_ms + (uint64_t)-ago_ms;
	return (uint64_t)ago_ms < now_ms ? now_ms - (uint64_t)ago_ms : 1;
}

static void entry_of(struct state_entry *e, const struct offender *o, uint64_t now_ms)
{
	e->addr = o->addr;
	e->mac = o->mac;
	e->has_mac = o->has_mac;
	e->blocked = o->blocked;
	e->reason = o->reason;
	e->offences = o->offences;
	e->conns = o->conns;
	e->dsts = o->dsts;
	e->since = o->since_ms ? wall_of_monotonic(o->since_ms) : 0;
	/* Rounded down: a restart never lengthens a block. */
	e->expires = o->blocked && o->expires_ms != POLICY_NO_EXPIRY
			     ? wall_of_monotonic(now_ms) + (int64_t)((o->expires_ms - now_ms) / 1000)
			     : 0;
	e->last_end = o->last_end_ms ? wall_of_monotonic(o->last_end_ms) : 0;
}

void persist_save(struct persist *s, const struct policy *p, uint64_t now_ms)
{
	struct state_entry *v;
	struct error err;
	size_t n = 0;
	int rc;

	s->saved_ms = now_ms;
	if (s->dry_run) {
		s->dirty = false;
		return;
	}
	v = calloc(p->fresh ? p->fresh : 1, sizeof(*v));
	if (v == NULL) {
		s->errors++;
		log_warnx("state: out of memory; %s not written", s->cfg->state_file);
		return;
	}
	POLICY_FOREACH(p, o)
		entry_of(&v[n++], o, now_ms);
	rc = state_save(s->cfg->state_file, v, n, &err);
	if (rc < 0) {
		s->errors++;
		/* Kept dirty: the next tick tries again. A refused directory
		 * stays refused until fixed: said once, not every second. */
		if (rc != STATE_REFUSED)
			log_warnx("state: %s", err.msg);
		else if (!s->refused)
			log_warnx("state: %s; blocks kept in memory, not written until it is fixed",
				  err.msg);
		s->refused = rc == STATE_REFUSED;
	} else {
		if (s->refused)
			log_info("state: %s written again", s->cfg->state_file);
		s->refused = false;
		s->saves++;
		s->dirty = false;
	}
	free(v);
}

void persist_tick(struct persist *s, const struct policy *p, uint64_t now_ms)
{
	if (s->dirty && now_ms - s->saved_ms >= PERSIST_SAVE_MS)
		persist_save(s, p, now_ms);
}

uint64_t persist_due_ms(const struct persist *s)
{
	return s->dirty ? s->saved_ms + PERSIST_SAVE_MS : UINT64_MAX;
}

/* --- the state file read back --- */

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

static struct offender offender_of(const struct state_entry *e, uint64_t now_ms)
{
	struct offender o = {
		.addr = e->addr, .mac = e->mac, .has_mac = e->has_mac,
		.blocked = e->blocked, .reason = e->reason,
		.offences = e->offences, .conns = e->conns, .dsts = e->dsts,
		.since_ms = mono_of(now_ms, e->since),
		.expires_ms = e->blocked && e->expires ? mono_of(now_ms, e->expires)
						       : POLICY_NO_EXPIRY,
		.last_end_ms = mono_of(now_ms, e->last_end),
	};
	return o;
}

void persist_restore(struct persist *s, struct policy *p, const struct whitelist *wl,
		     uint64_t now_ms)
{
	const char *path = s->cfg->state_file;
	struct state_entry *v = NULL;
	struct set_aside bad = { .fd = -1 };
	struct error err;
	char aside[PATH_MAX];
	size_t n = 0, blocks = 0;
	int nbad;

	snprintf(bad.path, sizeof(bad.path), "%s.bad", path);
	nbad = state_load(path, &v, &n, set_aside_line, &bad, &err);
	if (bad.fd >= 0)
		close(bad.fd);
	if (nbad < 0) {
		const char *tag = nbad == STATE_REFUSED ? "refused" : "corrupt";

		if (state_move_aside(path, tag, aside, sizeof(aside)) == 0)
			log_warnx("state: %s; moved it aside to %s, starting without blocks", err.msg,
				  aside);
		else
			log_warnx("state: %s; starting without blocks", err.msg);
		return;
	}
	if (nbad > 0) {
		log_warnx("state: %d bad lines of %s set aside in %s, the other %zu kept", nbad,
			  path, bad.path, n);
		s->dirty = true;	/* rewritten without them */
	}
	for (size_t i = 0; i < n; i++) {
		struct offender saved = offender_of(&v[i], now_ms);
		const struct offender *o;

		/* A host whitelisted meanwhile keeps its history, not its block. */
		if (whitelist_covers(wl, &saved.addr, saved.has_mac ? &saved.mac : NULL) &&
		    saved.blocked) {
			saved.blocked = false;
			saved.last_end_ms = now_ms;
		}
		o = policy_restore(p, &saved, now_ms);
		blocks += o && o->blocked;
	}
	free(v);
	if (n)
		log_info("state: %zu blocks and %zu offender records restored from %s", blocks,
			 n - blocks, path);
}

/* --- the kernel's table outlives a crash --- */

#define ADOPT_LOGGED 10		/* adopted blocks named in the log */

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
static void adopt_block(const struct persist *s, struct policy *p, const struct nft_elem *e,
			const struct addr *a, uint64_t now_ms)
{
	const struct policy_cfg pc = p->cfg;
	struct offender *o = policy_find(p, a), released;
	uint32_t known = o ? o->offences : 0, k = 0;
	enum block_reason reason = REASON_MANUAL;
	uint64_t duration = e->expires_ms;

	if (e->timeout_ms == 0) {
		reason = pc.block_time_ms == 0 || !s->cfg->set_timeouts ? REASON_AUTO
									 : REASON_MANUAL;
		duration = reason == REASON_AUTO ? POLICY_BY_OFFENCE : 0;
	} else if (policy_block_duration(&pc, known + 1) + 1000 >= e->timeout_ms &&
		   policy_block_duration(&pc, known + 1) <= e->timeout_ms + 1000) {
		reason = REASON_AUTO;
	} else if (o == NULL && (k = offence_of_length(&pc, e->timeout_ms)) != 0) {
		struct offender history = { .addr = *a, .offences = k - 1, .last_end_ms = now_ms };

		reason = REASON_AUTO;
		policy_restore(p, &history, now_ms);
	}
	o = policy_block(p, a, NULL, now_ms, reason, duration, 0, 0, &released);
	if (o != NULL && e->timeout_ms > e->expires_ms && now_ms > e->timeout_ms - e->expires_ms)
		o->since_ms = now_ms - (e->timeout_ms - e->expires_ms);
}

/* What the state file knows of a host (its offences) is kept. */
void persist_adopt_kernel_blocks(struct persist *s, struct policy *p,
				 const struct whitelist *wl, struct table *t, uint64_t now_ms)
{
	const char *table = s->cfg->table;
	struct nft_elem_list l = { 0 };
	unsigned adopted = 0, ended = 0;
	char a[ADDR_STRLEN];
	int rc = table_kernel_blocks(t, &l);

	if (rc != 0) {
		if (rc < 0)
			log_warnx("reading the blocks of the old table inet %s failed; the state file "
				  "alone decides", table);
		nft_elem_list_free(&l);
		return;
	}
	/* Sets with no block at all are a dry run's table or a flushed one,
	 * not every block ended in the second since the last save. */
	if (l.n == 0 && policy_blocked_count(p) > 0) {
		log_warnx("state: the old table inet %s holds no blocks (a dry run's, or flushed): "
			  "the state file's %u kept", table, policy_blocked_count(p));
		nft_elem_list_free(&l);
		return;
	}
	POLICY_FOREACH_BLOCKED(p, o) {
		if (table_kernel_elem(&l, &o->addr) == NULL) {	/* ended after the save */
			policy_unblock(p, o, now_ms);
			ended++;
		}
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct nft_elem *e = &l.v[i];
		struct addr host = table_elem_addr(e);
		const struct offender *o = policy_find(p, &host);
		const struct mac *mac = o && o->has_mac ? &o->mac : NULL;

		if ((o && o->blocked) || whitelist_covers(wl, &host, mac) ||
		    (e->timeout_ms && e->expires_ms < TABLE_EXPIRY_MARGIN_MS))
			continue;
		adopt_block(s, p, e, &host, now_ms);
		o = policy_find(p, &host);
		if (o && o->blocked && adopted++ < ADOPT_LOGGED)
			log_info("state: block %s (%s, offence %u) found only in the kernel's table: "
				 "kept", addr_format(&host, a),
				 o->reason == REASON_MANUAL ? "manual" : "auto", o->offences);
	}
	if (adopted || ended) {
		log_info("state: the old table inet %s had %u blocks the state file missed and "
			 "lacked %u it listed: the kernel's kept", table, adopted, ended);
		s->dirty = true;
	}
	nft_elem_list_free(&l);
}
