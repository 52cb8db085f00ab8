/* pipeline: nflogd's per-event path (intake -> packet -> tracker -> policy)
 * on synthetic NFLOG datagrams, without a kernel.
 *
 *   pipeline [-6] [-s NSRC] [-n EVENTS] [-m MAX_HOSTS] [-b PER_DGRAM]
 *            [-o random|cyclic] [-r EVENTS_PER_S] [-w ENTRIES] [-t THRESHOLD]
 *            [-R REPEATS] [-F]
 *
 * Datagrams are built in memory in the kernel's format (nfnetlink_log.c,
 * __build_packet_message): per message NFULA_PACKET_HDR, TIMESTAMP (the daemon
 * turns timestamps on), IFINDEX_INDEV, IFINDEX_OUTDEV, HWADDR, HWTYPE, HWLEN,
 * HWHEADER, SEQ and a PAYLOAD holding an IPv4 (or IPv6) + TCP SYN with Linux's
 * usual options (60 or 80 bytes);
 * PER_DGRAM messages (default 64) then NLMSG_DONE, as the kernel closes a
 * batch. Each event: a source drawn uniformly at random from NSRC (or round
 * robin with -o cyclic), one of 200 destinations, a fresh source port, the
 * next sequence number, a MAC per source.
 *
 * Passes over the identical stream (the generator is reseeded):
 *   floor   intake_parse_datagram with an empty callback (the reference)
 *   packet  intake_parse_datagram + packet_parse
 *   full    intake_parse_datagram + daemon_on_event on a dry-run struct nflogd,
 *           REPEATS times (default 3) on fresh tables: the median, and the
 *           spread (a shared machine's noise)
 *   memory  no parse, no logic: the cache lines an event touches on the
 *           daemon's layout (index, host, dedupe; then also the two LRU
 *           neighbours a host's move to the front touches), batched and
 *           prefetched alike
 * RSS is measured around the first full pass only.
 * Only the parse calls are timed: a group of 16 datagrams is written (untimed,
 * like the kernel's copy into the receive buffer, so the bytes are as
 * cache-warm as after a recv), then parsed between two clock reads.
 * The synthetic clock (d.now_ms) advances with the events at EVENTS_PER_S
 * (default 1M/s: 10M events span 10 s, inside the default 60 s window).
 *
 * Bytes per host: RSS (/proc/self/statm) after the full pass minus RSS before
 * the daemon's tables were allocated, divided by the hosts tracked. It
 * includes the fixed-size tables (dedupe cache, recent ring, policy).
 *
 * Output: one human line per pass, then one "RESULT key=value..." line.
 * A block logs a line on stderr: redirect stderr (run.sh counts them). */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnetfilter_log/libnetfilter_log.h>

#include "config.h"
#include "daemon.h"
#include "lifecycle.h"
#include "intake.h"
#include "leases.h"
#include "packet.h"
#include "policy.h"
#include "recent.h"
#include "tracker.h"

#define NFLOG_PACKET_TYPE ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)
#define GROUP 25
#define NDST 200
#define GROUP_DGRAMS 16		/* datagrams written, then parsed and timed */
#define DGRAM_MAX (64 << 10)

struct opts {
	bool v6;
	uint32_t nsrc;
	uint64_t events;
	uint32_t max_hosts;
	uint32_t per_dgram;
	bool cyclic;
	bool full_only;		/* -F: skip the reference passes (for a profiler) */
	uint32_t whitelist;	/* -w: entries, half CIDRs and half MACs, none matching */
	uint32_t threshold;	/* -t: instead of the default */
	uint64_t rate;
	uint32_t repeats;	/* -R: full passes */
};

/* Where each message's varying fields sit in its datagram. */
struct slot {
	uint32_t seq_off, ts_off, hwaddr_off, hwhdr_off, payload_off;
};

struct dgram {
	uint8_t *buf;
	size_t len;
	struct slot *slots;
};

struct gen {
	const struct opts *o;
	uint64_t rng;
	uint64_t k;		/* events generated */
	uint32_t seq;
};

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long rss_bytes(void)
{
	long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL || fscanf(f, "%ld %ld", &size, &resident) != 2) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

/* A Linux SYN: 20-byte TCP header + MSS, SACK-permitted, timestamps, NOP, wscale. */
static const uint8_t tcp_syn[40] = {
	0x04, 0x00, 0x00, 0x19, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0,
	0xa0, 0x02, 0xfa, 0xf0, 0, 0, 0, 0,
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 0,
	0x01, 0x03, 0x03, 0x07,
};

static size_t payload_len(const struct opts *o)
{
	return o->v6 ? 40 + sizeof(tcp_syn) : 20 + sizeof(tcp_syn);
}

static void fill_payload(uint8_t *p, const struct opts *o)
{
	if (o->v6) {
		memset(p, 0, 40);
		p[0] = 0x60;
		p[5] = sizeof(tcp_syn);
		p[6] = 6;
		p[7] = 64;
		memcpy(p + 40, tcp_syn, sizeof(tcp_syn));
	} else {
		memset(p, 0, 20);
		p[0] = 0x45;
		p[3] = 20 + sizeof(tcp_syn);
		p[6] = 0x40;	/* DF */
		p[8] = 64;
		p[9] = 6;
		memcpy(p + 20, tcp_syn, sizeof(tcp_syn));
	}
}

/* One datagram's layout; the varying fields are written per event later. */
static void build_dgram(struct dgram *d, const struct opts *o)
{
	size_t plen = payload_len(o);
	uint8_t payload[128], hwhdr[14] = { 0 };
	struct nfulnl_msg_packet_hdr ph = { htons(o->v6 ? 0x86dd : 0x0800), 2 /* forward */, 0 };
	struct nfulnl_msg_packet_hw hw = { htons(6), 0, { 0 } };
	struct nfulnl_msg_packet_timestamp ts = { 0, 0 };

	fill_payload(payload, o);
	hwhdr[12] = o->v6 ? 0x86 : 0x08;
	hwhdr[13] = o->v6 ? 0xdd : 0x00;
	d->len = 0;
	for (uint32_t i = 0; i < o->per_dgram; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
		struct nfgenmsg *g;
		struct nlattr *a;

		nlh->nlmsg_type = NFLOG_PACKET_TYPE;
		nlh->nlmsg_flags = o->per_dgram > 1 ? NLM_F_MULTI : 0;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->nfgen_family = o->v6 ? AF_INET6 : AF_INET;
		g->version = NFNETLINK_V0;
		g->res_id = htons(GROUP);
		mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
		a = mnl_nlmsg_get_payload_tail(nlh);
		mnl_attr_put(nlh, NFULA_TIMESTAMP, sizeof(ts), &ts);
		d->slots[i].ts_off = (uint32_t)((uint8_t *)mnl_attr_get_payload(a) - d->buf);
		mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(2));
		mnl_attr_put_u32(nlh, NFULA_IFINDEX_OUTDEV, htonl(3));
		a = mnl_nlmsg_get_payload_tail(nlh);
		mnl_attr_put(nlh, NFULA_HWADDR, sizeof(hw), &hw);
		d->slots[i].hwaddr_off = (uint32_t)((uint8_t *)mnl_attr_get_payload(a) - d->buf) +
					 offsetof(struct nfulnl_msg_packet_hw, hw_addr);
		mnl_attr_put_u16(nlh, NFULA_HWTYPE, htons(1));
		mnl_attr_put_u16(nlh, NFULA_HWLEN, htons(14));
		a = mnl_nlmsg_get_payload_tail(nlh);
		mnl_attr_put(nlh, NFULA_HWHEADER, sizeof(hwhdr), hwhdr);
		d->slots[i].hwhdr_off = (uint32_t)((uint8_t *)mnl_attr_get_payload(a) - d->buf);
		a = mnl_nlmsg_get_payload_tail(nlh);
		mnl_attr_put_u32(nlh, NFULA_SEQ, 0);
		d->slots[i].seq_off = (uint32_t)((uint8_t *)mnl_attr_get_payload(a) - d->buf);
		a = mnl_nlmsg_get_payload_tail(nlh);
		mnl_attr_put(nlh, NFULA_PAYLOAD, plen, payload);
		d->slots[i].payload_off = (uint32_t)((uint8_t *)mnl_attr_get_payload(a) - d->buf);
		d->len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (o->per_dgram > 1) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
		struct nfgenmsg *g;

		nlh->nlmsg_type = NLMSG_DONE;
		nlh->nlmsg_flags = NLM_F_MULTI;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->nfgen_family = AF_UNSPEC;
		g->version = NFNETLINK_V0;
		g->res_id = htons(GROUP);
		d->len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
}

/* Write the next per_dgram events into d (what the kernel's copy does). */
static void fill_dgram(struct dgram *d, struct gen *g)
{
	const struct opts *o = g->o;

	for (uint32_t i = 0; i < o->per_dgram; i++, g->k++) {
		const struct slot *s = &d->slots[i];
		uint64_t r = xorshift(&g->rng);
		uint32_t src = o->cyclic ? (uint32_t)(g->k % o->nsrc) : (uint32_t)(r % o->nsrc);
		uint32_t dst = (uint32_t)((r >> 32) % NDST) + 1;
		uint16_t sport = (uint16_t)(1024 + g->k % 64000);
		uint32_t seq = htonl(g->seq++);
		/* Wall-clock microseconds at the synthetic rate (big-endian, as sent). */
		uint64_t us = 1800000000000000ull + g->k * 1000000 / o->rate;
		uint64_t ts[2] = { htobe64(us / 1000000), htobe64(us % 1000000) };
		uint8_t *p = d->buf + s->payload_off;
		uint8_t mac[6] = { 0x52, 0x54, 0, (uint8_t)(src >> 16), (uint8_t)(src >> 8),
				   (uint8_t)src };

		memcpy(d->buf + s->seq_off, &seq, 4);
		memcpy(d->buf + s->ts_off, ts, sizeof(ts));
		memcpy(d->buf + s->hwaddr_off, mac, 6);
		memcpy(d->buf + s->hwhdr_off + 6, mac, 6);
		if (o->v6) {
			/* 2001:db8:1::/64 + src, to 2001:db8:ff::dst */
			static const uint8_t s6[12] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
			static const uint8_t d6[12] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff };
			uint32_t sb = htonl(src + 1), db = htonl(dst);

			memcpy(p + 8, s6, 12);
			memcpy(p + 20, &sb, 4);
			memcpy(p + 24, d6, 12);
			memcpy(p + 36, &db, 4);
			p += 40;
		} else {
			/* 198.18.0.0/15 + src, to 203.0.113.dst */
			uint32_t sb = htonl((198u << 24 | 18u << 16) + src + 1);
			uint8_t db[4] = { 203, 0, 113, (uint8_t)dst };

			memcpy(p + 12, &sb, 4);
			memcpy(p + 16, db, 4);
			p += 20;
		}
		p[0] = (uint8_t)(sport >> 8);
		p[1] = (uint8_t)sport;
	}
}

enum stage { STAGE_FLOOR, STAGE_PACKET, STAGE_FULL };

static void on_event_empty(void *ctx, const struct intake_event *ev)
{
	(void)ctx;
	(void)ev;
	__asm__ volatile("" ::"r"(ev->payload) : "memory");
}

static void on_event_packet(void *ctx, const struct intake_event *ev)
{
	struct conn c;

	*(uint64_t *)ctx += packet_parse(ev->payload, ev->len, &c) == PACKET_OK &&
			    conn_is_attempt(&c);
}

/* A BYOD-sized whitelist that matches none of the sources: every event
 * pays for a full lookup. Entries in 192.0.2.0/24 and 2001:db8:ffff::/48,
 * MACs 02:..., through whitelist_parse like the daemon's file. */
static int load_whitelist(struct whitelist *wl, uint32_t n)
{
	size_t len = (size_t)n * 48 + 1;
	char *text = malloc(len);
	struct error err = { "" };
	size_t used = 0;
	FILE *f;
	int rc;

	if (text == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = i / 2;	/* distinct entries up to 2048 */

		if (i % 2)
			used += (size_t)snprintf(text + used, len - used, "02:00:5e:%02x:%02x:01\n",
						 k >> 8 & 0xff, k & 0xff);
		else if (k % 2)
			used += (size_t)snprintf(text + used, len - used,
						 "2001:db8:ffff:%x::/64\n", k);
		else
			used += (size_t)snprintf(text + used, len - used, "192.0.2.%u/32\n",
						 k / 2 & 0xff);
	}
	f = fmemopen(text, used, "r");
	rc = f ? whitelist_parse(wl, f, "bench-whitelist", &err) : -1;
	if (f)
		fclose(f);
	if (rc < 0)
		fprintf(stderr, "pipeline: whitelist: %s\n", err.msg);
	free(text);
	return rc;
}

static int setup_daemon(struct nflogd *d, const struct opts *o, uint64_t start_ms)
{
	struct policy_cfg pc;

	memset(d, 0, sizeof(*d));
	config_defaults(&d->cfg);
	d->cfg.max_hosts = o->max_hosts;
	if (o->threshold)
		d->cfg.threshold = o->threshold;
	snprintf(d->cfg.leases_file, sizeof(d->cfg.leases_file), "/nonexistent/nflogd-bench");
	d->dry_run = true;
	d->seed = 0x9e3779b97f4a7c15ull;
	d->now_ms = d->started_ms = d->last_housekeeping_ms = start_ms;
	pc = daemon_policy_cfg(&d->cfg);
	d->tracker = tracker_new(d->cfg.max_hosts, d->cfg.window, d->seed, start_ms);
	d->policy = policy_new(&pc, d->seed);
	table_init(&d->table, &d->cfg, &d->wl, d->policy, true);
	d->recent = calloc(1, sizeof(*d->recent));
	leases_init(&d->leases);
	d->control.fd = -1;
	if (o->whitelist && load_whitelist(&d->wl, o->whitelist) < 0)
		return -1;
	return d->tracker && d->policy && d->recent ? 0 : -1;
}

struct result {
	double ns_per_event;
	uint64_t events;
	uint64_t intake_events, malformed, lost;
	uint64_t passed;	/* packet stage: attempts parsed */
};

static struct result run_stage(enum stage st, const struct opts *o, struct dgram *pool,
			       struct nflogd *d)
{
	struct gen g = { .o = o, .rng = 0x2545f4914f6cdd1dull, .k = 0, .seq = 0 };
	struct intake_state state = { 0 };
	struct intake_stats stats = { 0 };
	struct result r = { 0 };
	uint64_t busy = 0, start_ms = d ? d->now_ms : 0;
	bool full = st == STAGE_FULL;
	intake_event_fn fn = full ? daemon_on_event
			     : st == STAGE_PACKET ? on_event_packet : on_event_empty;
	void *ctx = full ? (void *)d : (void *)&r.passed;

	while (g.k < o->events) {
		uint64_t t0, t1;

		for (int i = 0; i < GROUP_DGRAMS; i++)
			fill_dgram(&pool[i], &g);
		t0 = now_ns();
		for (int i = 0; i < GROUP_DGRAMS; i++) {
			if (d)	/* read once per wake-up in the daemon: per datagram here */
				d->now_ms = start_ms + (g.k - (uint64_t)(GROUP_DGRAMS - i) *
							  o->per_dgram) * 1000 / o->rate;
			intake_parse_datagram(pool[i].buf, pool[i].len, &state, &stats, fn, ctx);
			if (full)	/* the end of a wake-up: the batch's rest */
				daemon_count_batch(d);
		}
		t1 = now_ns();
		busy += t1 - t0;
	}
	r.events = g.k;
	r.intake_events = stats.events;
	r.malformed = stats.malformed;
	r.lost = stats.lost;
	r.ns_per_event = (double)busy / (double)g.k;
	return r;
}

/* The memory the daemon's layout makes an event touch, without the logic:
 * the index line, the host's two lines and the dedupe entry, in batches of
 * DAEMON_BATCH with the same staged prefetching. Tables of the daemon's
 * sizes, touched beforehand (no page faults timed). What no counting code
 * on this layout can go below. With lru, also the two neighbours a host's
 * move to the front of the LRU list writes, for every event (as with 1M
 * sources, where almost every event is its host's first in a second). */
static double memory_floor(const struct opts *o, bool lru)
{
	uint32_t cap = o->max_hosts, nidx = 16;
	struct host *hosts;
	uint32_t *idx;
	uint64_t *dedupe, rng = 0x2545f4914f6cdd1dull, t0, sum = 0;
	uint32_t pos[DAEMON_BATCH], dd[DAEMON_BATCH], slot[DAEMON_BATCH];
	uint32_t prev[DAEMON_BATCH], next[DAEMON_BATCH];
	uint64_t n = o->events - o->events % DAEMON_BATCH;

	while (nidx < 2 * (uint64_t)cap)
		nidx <<= 1;
	hosts = calloc(cap, sizeof(*hosts));
	idx = calloc(nidx, 2 * sizeof(*idx));	/* 8-byte entries, as addrmap's */
	dedupe = calloc(1u << TRACKER_DEDUPE_BITS, sizeof(*dedupe));
	if (hosts == NULL || idx == NULL || dedupe == NULL)
		return 0;
	memset(hosts, 1, (size_t)cap * sizeof(*hosts));
	memset(dedupe, 1, (1u << TRACKER_DEDUPE_BITS) * sizeof(*dedupe));
	for (uint32_t src = 0; src < o->nsrc; src++)
		idx[2 * (hash_mix64(src) & (nidx - 1)) + 1] = src % cap;
	t0 = now_ns();
	for (uint64_t k = 0; k < n; k += DAEMON_BATCH) {
		for (int i = 0; i < DAEMON_BATCH; i++) {
			uint64_t h = hash_mix64(xorshift(&rng) % o->nsrc);

			pos[i] = (uint32_t)(h & (nidx - 1));
			dd[i] = (uint32_t)(h >> 40) & ((1u << TRACKER_DEDUPE_BITS) - 1);
			__builtin_prefetch(&idx[2 * pos[i]]);
			__builtin_prefetch(&dedupe[dd[i]], 1);
		}
		for (int i = 0; i < DAEMON_BATCH; i++) {
			slot[i] = idx[2 * pos[i] + 1];
			__builtin_prefetch(&hosts[slot[i]], 1);
			__builtin_prefetch((char *)&hosts[slot[i]] + sizeof(struct host) - 1, 1);
		}
		if (lru) {
			for (int i = 0; i < DAEMON_BATCH; i++) {
				prev[i] = (uint32_t)(xorshift(&rng) % o->nsrc) % cap;
				next[i] = (uint32_t)(xorshift(&rng) % o->nsrc) % cap;
				__builtin_prefetch(&hosts[prev[i]].lru_next, 1);
				__builtin_prefetch(&hosts[next[i]].lru_prev, 1);
			}
		}
		for (int i = 0; i < DAEMON_BATCH; i++) {
			struct host *h = &hosts[slot[i]];

			h->total++;
			h->dstbits[TRACKER_DST_PAIRS - 1] |= 1;
			sum += dedupe[dd[i]]++;
			if (lru) {
				hosts[prev[i]].lru_next = slot[i];
				hosts[next[i]].lru_prev = slot[i];
			}
		}
	}
	t0 = now_ns() - t0;
	__asm__ volatile("" ::"r"(sum) : "memory");
	free(hosts);
	free(idx);
	free(dedupe);
	return (double)t0 / (double)n;
}

static void usage(void)
{
	fprintf(stderr, "usage: pipeline [-6] [-s NSRC] [-n EVENTS] [-m MAX_HOSTS] "
			"[-b PER_DGRAM] [-o random|cyclic] [-r EVENTS_PER_S] [-w ENTRIES] "
			"[-t THRESHOLD] [-R REPEATS] [-F]\n");
	exit(2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void free_daemon(struct nflogd *d)
{
	tracker_free(d->tracker);
	policy_free(d->policy);
	free(d->recent);
	whitelist_free(&d->wl);
	leases_free(&d->leases);
}

int main(int argc, char **argv)
{
	struct opts o = { .nsrc = 5000, .events = 10000000, .max_hosts = 65536, .per_dgram = 64,
			  .rate = 1000000, .repeats = 3 };
	struct dgram pool[GROUP_DGRAMS];
	static struct nflogd d;
	struct result floor = { 0 }, pkt = { 0 }, full;
	double full_ns[16], mem_ns = 0, mem_lru_ns = 0, median;
	long rss0, rss1;
	int opt;

	while ((opt = getopt(argc, argv, "6Fs:n:m:b:o:r:w:t:R:")) != -1) {
		switch (opt) {
		case '6': o.v6 = true; break;
		case 's': o.nsrc = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'n': o.events = strtoull(optarg, NULL, 10); break;
		case 'm': o.max_hosts = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'b': o.per_dgram = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'o': o.cyclic = strcmp(optarg, "cyclic") == 0; break;
		case 'r': o.rate = strtoull(optarg, NULL, 10); break;
		case 'F': o.full_only = true; break;
		case 'w': o.whitelist = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 't': o.threshold = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'R': o.repeats = (uint32_t)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (o.nsrc == 0 || o.per_dgram == 0 || o.per_dgram > 256 || o.rate == 0 ||
	    o.max_hosts == 0 || o.repeats == 0 || o.repeats > 16)
		usage();
	if (o.full_only)
		o.repeats = 1;
	/* Whole groups of datagrams only. */
	o.events -= o.events % ((uint64_t)o.per_dgram * GROUP_DGRAMS);
	for (int i = 0; i < GROUP_DGRAMS; i++) {
		pool[i].buf = aligned_alloc(64, DGRAM_MAX);
		pool[i].slots = calloc(o.per_dgram, sizeof(*pool[i].slots));
		if (pool[i].buf == NULL || pool[i].slots == NULL) {
			perror("pipeline");
			return 1;
		}
		memset(pool[i].buf, 0, DGRAM_MAX);
		build_dgram(&pool[i], &o);
	}

	if (!o.full_only) {
		floor = run_stage(STAGE_FLOOR, &o, pool, NULL);
		pkt = run_stage(STAGE_PACKET, &o, pool, NULL);
		mem_ns = memory_floor(&o, false);
		mem_lru_ns = memory_floor(&o, true);
	}
	/* The first pass's tables stay for the figures below; the others are
	 * fresh ones, freed after. The memory passes' freed tables go back to
	 * the system first: reused from the heap, they would not show in RSS. */
	malloc_trim(0);
	rss0 = rss_bytes();
	if (setup_daemon(&d, &o, 10000000) < 0) {
		fprintf(stderr, "pipeline: out of memory for %u hosts\n", o.max_hosts);
		return 1;
	}
	full = run_stage(STAGE_FULL, &o, pool, &d);
	rss1 = rss_bytes();
	full_ns[0] = full.ns_per_event;
	for (uint32_t r = 1; r < o.repeats; r++) {
		static struct nflogd d2;

		if (setup_daemon(&d2, &o, 10000000) < 0) {
			fprintf(stderr, "pipeline: out of memory for %u hosts\n", o.max_hosts);
			return 1;
		}
		full_ns[r] = run_stage(STAGE_FULL, &o, pool, &d2).ns_per_event;
		free_daemon(&d2);
	}
	qsort(full_ns, o.repeats, sizeof(full_ns[0]), cmp_double);
	median = o.repeats % 2 ? full_ns[o.repeats / 2]
			       : (full_ns[o.repeats / 2 - 1] + full_ns[o.repeats / 2]) / 2;
	if (o.full_only) {
		printf("full: %.1f ns/event\n", median);
		return 0;
	}

	size_t hosts = tracker_count(d.tracker);
	double bph = hosts ? (double)(rss1 - rss0) / (double)hosts : 0;
	/* The index's share at full capacity: it is sized for max_hosts. */
	double index_bph = (double)((size_t)d.tracker->map.mask + 1) *
			   sizeof(struct addrmap_entry) / d.tracker->capacity;

	printf("  %s, %u sources (%s), %llu events, %u per datagram (%zu bytes), "
	       "clock %llu events/s\n", o.v6 ? "IPv6" : "IPv4", o.nsrc,
	       o.cyclic ? "round robin" : "uniform random", (unsigned long long)full.events,
	       o.per_dgram, pool[0].len, (unsigned long long)o.rate);
	printf("  floor  intake_parse_datagram, empty callback: %7.1f ns/event %6.1f M/s\n",
	       floor.ns_per_event, 1e3 / floor.ns_per_event);
	printf("  packet + packet_parse:                      %7.1f ns/event %6.1f M/s\n",
	       pkt.ns_per_event, 1e3 / pkt.ns_per_event);
	printf("  memory: index line, host (2 lines), dedupe entry per event, batched and\n"
	       "         prefetched as the daemon does, no logic:  %7.1f ns/event %6.1f M/s\n"
	       "         ... and the host's two LRU neighbours:    %7.1f ns/event %6.1f M/s\n",
	       mem_ns, 1e3 / mem_ns, mem_lru_ns, 1e3 / mem_lru_ns);
	printf("  full   + daemon_on_event (dry run), median of %u: %7.1f ns/event %6.1f M/s "
	       "(%.2fx floor; passes %.1f to %.1f ns)\n", o.repeats, median, 1e3 / median,
	       median / floor.ns_per_event, full_ns[0], full_ns[o.repeats - 1]);
	printf("  hosts tracked %zu, counted %llu, retransmits %llu, blocks %llu, "
	       "blocked_while_blocked %llu, evicted %llu, malformed %llu, lost %llu\n", hosts,
	       (unsigned long long)d.stats.counted, (unsigned long long)d.stats.retransmits,
	       (unsigned long long)d.stats.blocks,
	       (unsigned long long)d.stats.blocked_while_blocked,
	       (unsigned long long)d.tracker->stats.evicted,
	       (unsigned long long)(full.malformed + d.stats.malformed),
	       (unsigned long long)full.lost);
	printf("  RSS %+.1f MiB over %zu hosts = %.1f bytes/host (struct host %zu B, "
	       "index %.1f B/host)\n", (double)(rss1 - rss0) / 1048576.0, hosts, bph,
	       sizeof(struct host), index_bph);
	if (full.intake_events != full.events || pkt.passed != pkt.events ||
	    floor.intake_events != floor.events || floor.malformed || floor.lost) {
		fprintf(stderr, "pipeline: %llu of %llu events parsed, %llu SYNs: generator broken\n",
			(unsigned long long)full.intake_events, (unsigned long long)full.events,
			(unsigned long long)pkt.passed);
		return 1;
	}
	printf("RESULT family=%d sources=%u order=%s events=%llu per_dgram=%u floor_ns=%.2f "
	       "packet_ns=%.2f full_ns=%.2f full_min_ns=%.2f full_max_ns=%.2f repeats=%u "
	       "full_meps=%.3f ratio=%.3f hosts=%zu bytes_per_host=%.1f blocks=%llu "
	       "struct_host=%zu index_bph=%.1f mem_ns=%.2f mem_lru_ns=%.2f\n",
	       o.v6 ? 6 : 4, o.nsrc, o.cyclic ? "cyclic" : "random",
	       (unsigned long long)full.events, o.per_dgram, floor.ns_per_event,
	       pkt.ns_per_event, median, full_ns[0], full_ns[o.repeats - 1], o.repeats,
	       1e3 / median, median / floor.ns_per_event, hosts, bph,
	       (unsigned long long)d.stats.blocks, sizeof(struct host), index_bph, mem_ns,
	       mem_lru_ns);
	return 0;
}
