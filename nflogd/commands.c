/* The control commands, daemon side: each turns a request into a reply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "daemon.h"
#include "duration.h"
#include "lifecycle.h"
#include "log.h"
#include "whitelist_file.h"

#define TOP_DEFAULT 10
#define TOP_MAX 1000
#define SHOW_DSTS 10

/* MAC (ours or from the leases file) and DHCP host name of an address. */
static void put_identity(struct nflogd *d, struct reply *r, const struct addr *a,
			 const struct mac *mac)
{
	struct identity id = daemon_identify(d, a, mac);
	char m[MAC_STRLEN];

	if (id.mac)
		reply_str(r, "mac", mac_format(id.mac, m));
	if (id.hostname[0])
		reply_str(r, "hostname", id.hostname);
}

/* "expires_in" seconds (rounded up), or "expires" never. */
static void put_expiry(struct nflogd *d, struct reply *r, const struct offender *o)
{
	if (o->expires_ms == POLICY_NO_EXPIRY)
		reply_str(r, "expires", "never");
	else
		reply_num(r, "expires_in", (int64_t)((o->expires_ms - d->now_ms + 999) / 1000));
}

static void put_block(struct nflogd *d, struct reply *r, const struct offender *o)
{
	char a[ADDR_STRLEN];

	reply_str(r, "addr", addr_format(&o->addr, a));
	put_identity(d, r, &o->addr, o->has_mac ? &o->mac : NULL);
	reply_num(r, "since", wall_of_monotonic(o->since_ms));
	put_expiry(d, r, o);
	reply_num(r, "conns", o->conns);
	reply_num(r, "dsts", o->dsts);
	reply_num(r, "offence", o->offences);
	reply_str(r, "reason", o->reason == REASON_MANUAL ? "manual" : "auto");
}

/* Each handler gets the words of a request that command_parse (protocol.c)
 * matched against the command table: their count and kinds are checked. */
static void cmd_status(struct nflogd *d, char **w, int n, struct reply *r)
{
	struct daemon_status st;
	const struct intake_stats *in = &st.intake;
	const struct event_stats *ev = &st.events;
	const struct table_stats *tab = &st.table.stats;
	const struct latency_summary *lat = &st.table.latency, *own = &st.table.handling;
	char ports[96];

	(void)w;
	(void)n;
	daemon_status(d, &st);
	config_format_ports(&d->cfg, ports, sizeof(ports));
	reply_ok(r);
	reply_record(r, "status");
	reply_str(r, "version", NFLOGD_VERSION);
	reply_num(r, "uptime", (int64_t)st.uptime_s);
	reply_str(r, "mode", d->dry_run ? "dry-run" : "blocking");
	reply_num(r, "nflog_group", d->cfg.nflog_group);
	reply_str(r, "ports", ports);
	reply_num(r, "threshold", d->cfg.threshold);
	reply_num(r, "window", d->cfg.window);
	reply_num(r, "min_destinations", d->cfg.min_destinations);
	reply_num(r, "block_time", (int64_t)d->cfg.block_time);
	reply_num(r, "block_time_max", (int64_t)d->cfg.block_time_max);
	reply_str(r, "block_scope", d->cfg.block_scope == SCOPE_ALL ? "all" : "smtp");
	reply_str(r, "table", d->cfg.table);
	reply_str(r, "kernel_timeouts", st.table.timeouts ? "yes" : "no");
	reply_str(r, "expiry", st.table.expiry);
	reply_num(r, "events_received", (int64_t)in->events);
	reply_num(r, "events_lost", (int64_t)in->lost);
	reply_num(r, "overruns", (int64_t)in->overruns);
	reply_num(r, "datagrams_dropped", st.intake_drops);
	reply_num(r, "datagrams", (int64_t)in->datagrams);
	reply_num(r, "bytes", (int64_t)in->bytes);
	reply_num(r, "kernel_batching", st.kernel_batching);
	reply_num(r, "malformed", (int64_t)(in->malformed + ev->malformed));
	reply_num(r, "counted", (int64_t)ev->counted);
	reply_num(r, "unparsed_counted", (int64_t)ev->unparsed_counted);
	reply_num(r, "retransmits", (int64_t)ev->retransmits);
	reply_num(r, "whitelisted", (int64_t)ev->whitelisted);
	reply_num(r, "spoofed_events", (int64_t)ev->spoofed);
	reply_num(r, "spoof_suspects", (int64_t)st.spoof_suspects);
	reply_num(r, "spoof_floods", (int64_t)ev->spoof_floods);
	reply_num(r, "hosts_tracked", (int64_t)st.hosts_tracked);
	reply_num(r, "hosts_evicted", (int64_t)st.hosts_evicted);
	reply_num(r, "hosts_blocked", st.hosts_blocked);
	reply_num(r, "blocks", (int64_t)ev->blocks);
	reply_num(r, "unblocks", (int64_t)ev->unblocks);
	reply_num(r, "block_refused", (int64_t)ev->block_refused);
	reply_num(r, "released_early_cap", (int64_t)st.released_early);
	reply_num(r, "kernel_errors", (int64_t)tab->kernel_errors);
	reply_num(r, "table_restores", (int64_t)tab->restores);
	reply_num(r, "elements_restored", (int64_t)tab->elements_restored);
	reply_num(r, "block_latency_samples", lat->n);
	reply_num(r, "block_latency_p50_us", lat->p50);
	reply_num(r, "block_latency_p99_us", lat->p99);
	reply_num(r, "block_latency_max_us", lat->max);
	reply_num(r, "block_handling_p50_us", own->p50);
	reply_num(r, "block_handling_p99_us", own->p99);
	reply_num(r, "block_handling_max_us", own->max);
	reply_num(r, "control_busy", (int64_t)st.control_busy);
	reply_num(r, "control_cut", (int64_t)st.control_cut);
}

/* The blocks from record `cursor` on, a slice at a time, in the policy's
 * record order (nflogctl sorts them): a list is not a snapshot, a block
 * made or ended while it streams may or may not be in it. */
static bool list_more(void *ctx, struct reply *r)
{
	struct nflogd *d = ctx;
	const struct offender *o;

	d->now_ms = monotonic_ms();
	for (; (o = policy_next_blocked(d->policy, &r->cursor)) != NULL; r->cursor++) {
		if (r->len >= REPLY_SLICE_BYTES)
			return true;
		reply_record(r, "blocked");
		put_block(d, r, o);
	}
	return false;
}

static void cmd_list(struct nflogd *d, char **w, int n, struct reply *r)
{
	(void)w;
	(void)n;
	reply_ok(r);
	r->cursor = 0;
	r->more = list_more;
	if (!list_more(d, r))
		r->more = NULL;
}

static void put_host(struct nflogd *d, struct reply *r, const struct host *h)
{
	char a[ADDR_STRLEN];

	reply_str(r, "addr", addr_format(&h->addr, a));
	put_identity(d, r, &h->addr, h->has_mac ? &h->mac : NULL);
	reply_num(r, "window", tracker_window_count(d->tracker, h, d->now_ms));
	reply_num(r, "total", h->total);
	reply_num(r, "dsts", tracker_window_dsts(d->tracker, h, d->now_ms));
	reply_num(r, "last_seen", wall_of_monotonic(tracker_host_ms(d->tracker, h->last_seen)));
}

static void cmd_top(struct nflogd *d, char **w, int n, struct reply *r)
{
	unsigned long want = TOP_DEFAULT;
	struct host **v;
	size_t found;

	if (n == 2) {
		char *end;

		want = strtoul(w[1], &end, 10);
		if (*end || want == 0 || want > TOP_MAX) {
			reply_error(r, "top: N must be 1 to %d, not '%s'", TOP_MAX, w[1]);
			return;
		}
	}
	v = malloc(want * sizeof(*v));
	if (v == NULL) {
		reply_error(r, "out of memory");
		return;
	}
	found = tracker_top(d->tracker, d->now_ms, v, want);
	reply_ok(r);
	for (size_t i = 0; i < found; i++) {
		reply_record(r, "top");
		put_host(d, r, v[i]);
	}
	free(v);
}

static int parse_addr_arg(const char *s, struct addr *a, struct reply *r)
{
	if (addr_parse(s, a) < 0) {
		reply_error(r, "'%s' is not an IPv4 or IPv6 address", s);
		return -1;
	}
	return 0;
}

/* Events others sent in a's name (spoof.h): counted here, not toward a. */
static void put_spoof(struct nflogd *d, struct reply *r, const struct addr *a)
{
	const struct spoof_suspect *p = spoof_find(&d->suspects, a);
	uint64_t window_ms = (uint64_t)d->cfg.window * 1000;
	char m[MAC_STRLEN];

	if (p == NULL)
		return;
	reply_num(r, "spoofed_events", p->events);
	reply_str(r, "spoofed_from", mac_format(&p->sender, m));
	if (p->several)
		reply_str(r, "spoofed_from_several", "yes");
	reply_str(r, "expected_mac", mac_format(&p->expected, m));
	reply_str(r, "expected_by", expect_by_name(p->expected_by));
	reply_num(r, "spoofed_in_window", spoof_window_count(p, d->now_ms, window_ms));
	reply_str(r, "spoof_flood", spoof_flooding(p, d->now_ms, window_ms) ? "yes" : "no");
}

static void cmd_show(struct nflogd *d, char **w, int n, struct reply *r)
{
	struct addr a;
	const struct offender *o;
	const struct host *h;
	struct recent_dst top[SHOW_DSTS];
	size_t ntop;
	char text[ADDR_STRLEN], why[160];

	(void)n;
	if (parse_addr_arg(w[1], &a, r) < 0)
		return;
	o = policy_find(d->policy, &a);
	h = tracker_find(d->tracker, &a);
	reply_ok(r);
	reply_record(r, "host");
	reply_str(r, "addr", addr_format(&a, text));
	put_identity(d, r, &a, h && h->has_mac ? &h->mac : o && o->has_mac ? &o->mac : NULL);
	reply_str(r, "whitelisted", daemon_whitelisted(d, &a, h && h->has_mac ? &h->mac : NULL)
					    ? "yes" : "no");
	reply_str(r, "blocked", o && o->blocked ? "yes" : "no");
	if (o && o->blocked) {
		if (o->reason == REASON_MANUAL)
			snprintf(why, sizeof(why), "blocked by hand");
		else
			snprintf(why, sizeof(why),
				 "%u new connections in %us > threshold %u, to %u destinations "
				 ">= min_destinations %u", o->conns, d->cfg.window, d->cfg.threshold,
				 o->dsts, d->cfg.min_destinations);
		reply_str(r, "why", why);
		reply_num(r, "since", wall_of_monotonic(o->since_ms));
		put_expiry(d, r, o);
		reply_num(r, "conns", o->conns);
		reply_num(r, "dsts", o->dsts);
		reply_str(r, "reason", o->reason == REASON_MANUAL ? "manual" : "auto");
	} else if (h) {
		uint32_t c = tracker_window_count(d->tracker, h, d->now_ms);

		snprintf(why, sizeof(why), "%u of %u new connections allowed in %us; blocks at %u",
			 c, d->cfg.threshold, d->cfg.window, d->cfg.threshold + 1);
		reply_str(r, "why", why);
	}
	if (o) {
		reply_num(r, "offences", o->offences);
		reply_num(r, "next_block", (int64_t)policy_next_block_ms(d->policy, o) / 1000);
	}
	if (h) {
		reply_num(r, "first_seen", wall_of_monotonic(tracker_host_ms(d->tracker, h->first_seen)));
		reply_num(r, "last_seen", wall_of_monotonic(tracker_host_ms(d->tracker, h->last_seen)));
		reply_num(r, "window", tracker_window_count(d->tracker, h, d->now_ms));
		reply_num(r, "window_dsts", tracker_window_dsts(d->tracker, h, d->now_ms));
		reply_num(r, "total", h->total);
	}
	put_spoof(d, r, &a);
	ntop = recent_top_dsts(d->recent, &a, top, SHOW_DSTS);
	for (size_t i = 0; i < ntop; i++) {
		reply_record(r, "destination");
		reply_str(r, "addr", addr_format(&top[i].dst, text));
		reply_num(r, "conns", top[i].count);
		reply_num(r, "last", wall_of_monotonic(top[i].last_ms));
	}
}

static void cmd_block(struct nflogd *d, char **w, int n, struct reply *r)
{
	struct addr a;
	uint64_t seconds = d->cfg.block_time;
	struct offender *o;

	if (parse_addr_arg(w[1], &a, r) < 0)
		return;
	if (n == 3 && duration_parse(w[2], &seconds) < 0) {
		reply_error(r, "'%s' is not a duration (90, 30m, 2h, 7d; 0 = until unblocked)", w[2]);
		return;
	}
	if (daemon_whitelisted(d, &a, NULL)) {
		reply_error(r, "%s is whitelisted; remove it from the whitelist first", w[1]);
		return;
	}
	o = policy_find(d->policy, &a);
	if (o && o->blocked)	/* a new length replaces the old one */
		daemon_unblock(d, o, "blocked again by hand");
	o = daemon_block(d, &a, NULL, REASON_MANUAL, seconds * 1000, 0, 0);
	table_flush(&d->table);
	if (o == NULL) {
		reply_error(r, "max_blocked %u reached with blocks until unblocked", d->cfg.max_blocked);
		return;
	}
	reply_ok(r);
	reply_record(r, "blocked");
	put_block(d, r, o);
}

static void cmd_unblock(struct nflogd *d, char **w, int n, struct reply *r)
{
	struct addr a;
	struct offender *o;
	int64_t count = 0;

	(void)n;
	if (strcmp(w[1], "all") == 0) {
		POLICY_FOREACH_BLOCKED(d->policy, b) {
			daemon_unblock(d, b, "by hand");
			count++;
		}
	} else {
		if (parse_addr_arg(w[1], &a, r) < 0)
			return;
		o = policy_find(d->policy, &a);
		if (o == NULL || !o->blocked) {
			reply_error(r, "%s is not blocked", w[1]);
			return;
		}
		daemon_unblock(d, o, "by hand");
		count = 1;
	}
	table_flush(&d->table);
	reply_ok(r);
	reply_record(r, "unblocked");
	reply_num(r, "count", count);
}

static void cmd_whitelist(struct nflogd *d, char **w, int n, struct reply *r)
{
	struct error err;
	struct whitelist_line *lines;
	size_t nlines;
	uint32_t before = policy_blocked_count(d->policy);

	if (strcmp(w[1], "list") == 0) {
		if (whitelist_file_list(d->cfg.whitelist, &lines, &nlines, &err) < 0) {
			reply_error(r, "%s", err.msg);
			return;
		}
		reply_ok(r);
		for (size_t i = 0; i < nlines; i++) {
			reply_record(r, "whitelist");
			reply_str(r, "entry", lines[i].entry);
			reply_str(r, "comment", lines[i].comment);
		}
		free(lines);
		return;
	}
	if (strcmp(w[1], "add") == 0 ?
		    whitelist_file_add(d->cfg.whitelist, w[2], n == 4 ? w[3] : NULL, &err) < 0 :
		    whitelist_file_del(d->cfg.whitelist, w[2], &err) < 0) {
		reply_error(r, "%s", err.msg);
		return;
	}
	log_info("whitelist %s %s (by hand)", w[1], w[2]);
	if (daemon_reload_whitelist(d, &err) < 0) {
		reply_error(r, "the file changed but applying it failed: %s", err.msg);
		return;
	}
	table_flush(&d->table);
	reply_ok(r);
	reply_record(r, "whitelist");
	reply_str(r, "entry", w[2]);
	reply_num(r, "unblocked", before - policy_blocked_count(d->policy));
}

static void cmd_reload(struct nflogd *d, char **w, int n, struct reply *r)
{
	struct error err;

	(void)w;
	(void)n;
	if (daemon_reload(d, &err) < 0) {
		reply_error(r, "reload refused, old settings kept: %s", err.msg);
		return;
	}
	reply_ok(r);
}

typedef void (*command_fn)(struct nflogd *d, char **w, int n, struct reply *r);

/* Each command of protocol_commands[] to its handler. No default: a
 * command added to the table without one is a -Wswitch warning, and
 * test_commands checks every one has a handler. */
static command_fn handler(enum command_id id)
{
	switch (id) {
	case CMD_STATUS: return cmd_status;
	case CMD_LIST: return cmd_list;
	case CMD_TOP: return cmd_top;
	case CMD_SHOW: return cmd_show;
	case CMD_BLOCK: return cmd_block;
	case CMD_UNBLOCK: return cmd_unblock;
	case CMD_WHITELIST_LIST:
	case CMD_WHITELIST_ADD:
	case CMD_WHITELIST_DEL: return cmd_whitelist;
	case CMD_RELOAD: return cmd_reload;
	case COMMAND_COUNT: break;
	}
	return NULL;
}

bool command_has_handler(enum command_id id)
{
	return handler(id) != NULL;
}

/* The table checks the words (protocol.h, command_parse) before a
 * handler sees them. */
void daemon_command(void *ctx, char *request, struct reply *r)
{
	struct nflogd *d = ctx;
	char *words[PROTOCOL_MAX_WORDS];
	const struct command *c;
	struct error e;
	command_fn fn;
	int n;

	d->now_ms = monotonic_ms();
	c = command_parse(request, words, &n, &e);
	if (c == NULL) {
		reply_error(r, "%s", e.msg);
		return;
	}
	fn = handler(command_id_of(c));
	if (fn == NULL) {
		reply_error(r, "%s: not handled by this nflogd", c->name);
		return;
	}
	fn(d, words, n, r);
}
