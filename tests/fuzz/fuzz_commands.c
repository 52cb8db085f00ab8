/* daemon_command, the control socket's request handler, over arbitrary
 * requests: one input is up to MAX_REQUESTS lines, each handed over as
 * control.c does (newline cut, at most PROTOCOL_REQUEST_MAX bytes, then
 * protocol_request_line: CR cut, control bytes refused), against
 * a daemon set up without the kernel.
 *
 * What stays out of the kernel, and how:
 * - dry_run: daemon_block/daemon_unblock queue nothing and run no on_block
 *   program, so table_flush has nothing to send and "block" and "unblock"
 *   are pure (policy changes only). d.table.nft.nl is NULL: should a change ever
 *   be queued, nft_blocks would crash on it, and the fuzzer would say so.
 * - "reload" is not fuzzed: it reads the config and then calls
 *   table_install (nft_install) and perhaps intake_open (a new NFLOG socket).
 * - "whitelist add|del" run with the whitelist at DIR/notadir/whitelist,
 *   where notadir is a regular file: the arguments are checked as usual,
 *   then reading the file fails (ENOTDIR, root or not), so no file is
 *   written and daemon_reload_whitelist -> table_install is never reached.
 *   A self-test at start-up aborts if an add there ever succeeds.
 *   "whitelist list" reads a real sample file in DIR.
 * - log.c is replaced by the silent stubs below (one block logs a line).
 * The tracker and the recent ring are filled once (commands only read
 * them); the policy is made afresh for each input with a few blocks, so
 * an input's outcome does not depend on the ones before it. */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "whitelist_file.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQUESTS 16
#define SEED 0x6e666c6f67640a01ULL

/* --- log.c, silenced --- */

void log_init(const char *ident, bool foreground, int verbose)
{
	(void)ident;
	(void)foreground;
	(void)verbose;
}

void log_info(const char *fmt, ...)
{
	(void)fmt;
}

void log_debug(const char *fmt, ...)
{
	(void)fmt;
}

void log_warnx(const char *fmt, ...)
{
	(void)fmt;
}

void log_warn(const char *fmt, ...)
{
	(void)fmt;
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

/* --- the daemon without a kernel --- */

static struct nflogd d;
static char dir[PATH_MAX];
static char list_path[PATH_MAX], edit_path[PATH_MAX], notadir[PATH_MAX];
static char leases_path[PATH_MAX];

static const char whitelist_text[] =
	"# sample whitelist\n"
	"192.0.2.1            # the gateway\n"
	"198.51.100.0/24\n"
	"2001:db8:1::/64      # LAN v6\n"
	"52:54:00:aa:bb:cc    # the mail server\n";

static const char leases_text[] =
	"1900000000 52:54:00:12:34:56 192.0.2.10 laptop 01:52:54:00:12:34:56\n"
	"1900000000 52:54:00:12:34:57 192.0.2.20 * *\n"
	"duid 00:01:00:01:2c:4f:6a:b2:52:54:00:12:34:56\n"
	"1900000000 305419896 2001:db8:1::10 phone 00:01:00:01:2c:4f:6a:b2\n";

static void cleanup(void)
{
	unlink(list_path);
	unlink(leases_path);
	unlink(notadir);
	rmdir(dir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	FUZZ_CHECK(f != NULL);
	fputs(text, f);
	FUZZ_CHECK(fclose(f) == 0);
}

static void addr_of(const char *s, struct addr *a)
{
	FUZZ_CHECK(addr_parse(s, a) == 0);
}

/* Hosts the tracker and the recent ring know: top and show have data. */
static void fill_tracker(void)
{
	static const char *const srcs[] = { "192.0.2.10", "192.0.2.20", "2001:db8:1::10",
					    "192.0.2.30" };
	static const char *const dsts[] = { "203.0.113.5", "203.0.113.6", "2001:db8:ff::25" };

	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		for (unsigned k = 0; k < 5 * (i + 1); k++) {
			struct conn c = { .sport = (uint16_t)(40000 + k), .dport = 25,
					  .tcp_flags = TCP_FLAG_SYN };
			struct mac mac = { { 0x52, 0x54, 0, 0, 0, (uint8_t)i } };
			bool counted;

			addr_of(srcs[i], &c.src);
			addr_of(dsts[k % 3], &c.dst);
			if (addr_is_v4(&c.src) != addr_is_v4(&c.dst))
				addr_of(addr_is_v4(&c.src) ? "203.0.113.7" : "2001:db8:ff::26", &c.dst);
			tracker_record(d.tracker, &c, i % 2 ? &mac : NULL, d.now_ms, &counted);
			recent_add(d.recent, &c.src, &c.dst, d.now_ms);
		}
	}
}

static void setup(void)
{
	struct whitelist_line *lines;
	struct error err;
	size_t n;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/nflogd-fuzz-commands.XXXXXX");
	FUZZ_CHECK(mkdtemp(dir) != NULL);
	snprintf(list_path, sizeof(list_path), "%s/whitelist", dir);
	snprintf(notadir, sizeof(notadir), "%s/notadir", dir);
	snprintf(edit_path, sizeof(edit_path), "%s/whitelist", notadir);
	snprintf(leases_path, sizeof(leases_path), "%s/dnsmasq.leases", dir);
	atexit(cleanup);
	write_file(list_path, whitelist_text);
	write_file(notadir, "a regular file, so nothing can be created under it\n");
	write_file(leases_path, leases_text);

	memset(&d, 0, sizeof(d));
	config_defaults(&d.cfg);
	d.cfg.max_hosts = 64;
	d.cfg.max_blocked = 8;		/* small: the cap's release path is reachable */
	snprintf(d.cfg.whitelist, sizeof(d.cfg.whitelist), "%s", edit_path);
	snprintf(d.cfg.state_file, sizeof(d.cfg.state_file), "%s/state", notadir);
	snprintf(d.cfg.leases_file, sizeof(d.cfg.leases_file), "%s", leases_path);
	snprintf(d.cfg.socket, sizeof(d.cfg.socket), "%s/nflogd.sock", notadir);
	d.cfg.on_block[0] = '\0';
	d.config_path = edit_path;	/* never read: reload is not fuzzed */
	d.dry_run = true;
	d.epfd = -1;
	d.control.fd = -1;
	d.seed = SEED;
	d.now_ms = d.started_ms = d.last_housekeeping_ms = monotonic_ms();
	leases_init(&d.leases);
	d.tracker = tracker_new(d.cfg.max_hosts, d.cfg.window, d.seed, d.now_ms);
	d.recent = calloc(1, sizeof(*d.recent));
	FUZZ_CHECK(d.tracker != NULL && d.recent != NULL);
	f = fmemopen((void *)(uintptr_t)whitelist_text, strlen(whitelist_text), "r");
	FUZZ_CHECK(f != NULL && whitelist_parse(&d.wl, f, "sample", NULL) == 0);
	fclose(f);
	fill_tracker();

	/* The guard that keeps "whitelist add" away from table_install. */
	if (whitelist_file_add(edit_path, "192.0.2.77", "self-test", &err) == 0) {
		fprintf(stderr, "fuzz_commands: %s is writable; whitelist add would reach "
			"the kernel\n", edit_path);
		abort();
	}
	/* And "whitelist list" has a file to show. */
	FUZZ_CHECK(whitelist_file_list(list_path, &lines, &n, &err) == 0 && n == 4);
	free(lines);
}

static void restore(const char *addr, bool blocked, enum block_reason reason,
		    uint64_t expires_ms, uint32_t offences, uint64_t now)
{
	struct offender o = { .blocked = blocked, .reason = (uint8_t)reason,
			      .offences = offences, .conns = 30, .dsts = 7,
			      .since_ms = now > 60000 ? now - 60000 : 1,
			      .expires_ms = expires_ms,
			      .last_end_ms = blocked ? 0 : (now > 1000 ? now - 1000 : 1) };

	addr_of(addr, &o.addr);
	FUZZ_CHECK(policy_restore(d.policy, &o, now) != NULL);
}

/* A fresh policy with a timed block, a permanent one and some history. */
static void new_policy(void)
{
	struct policy_cfg pc = { .threshold = d.cfg.threshold,
				 .min_destinations = d.cfg.min_destinations,
				 .block_time_ms = d.cfg.block_time * 1000,
				 .block_time_max_ms = d.cfg.block_time_max * 1000,
				 .max_blocked = d.cfg.max_blocked };
	uint64_t now = monotonic_ms();

	d.now_ms = now;
	d.policy = policy_new(&pc, d.seed);
	table_init(&d.table, &d.cfg, &d.wl, d.policy, true);
	d.table.nft.timeouts = true;
	FUZZ_CHECK(d.policy != NULL);
	restore("192.0.2.10", true, REASON_AUTO, now + 3600 * 1000, 2, now);
	restore("2001:db8:1::10", true, REASON_MANUAL, POLICY_NO_EXPIRY, 0, now);
	restore("192.0.2.20", false, REASON_AUTO, POLICY_NO_EXPIRY, 1, now);
	memset(&d.stats, 0, sizeof(d.stats));
}

static bool skipped(const char *req)
{
	size_t len = strcspn(req, " ");

	return len == strlen("reload") && strncmp(req, "reload", len) == 0;
}

/* "whitelist list" reads the sample; add and del get the path they cannot use. */
static void pick_whitelist(const char *req)
{
	char copy[PROTOCOL_REQUEST_MAX + 1], *w[PROTOCOL_MAX_WORDS];
	int n;

	snprintf(copy, sizeof(copy), "%s", req);
	n = protocol_split(copy, w, PROTOCOL_MAX_WORDS, true);
	snprintf(d.cfg.whitelist, sizeof(d.cfg.whitelist), "%s",
		 n >= 2 && strcmp(w[1], "list") == 0 ? list_path : edit_path);
}

static void on_field(void *ctx, const char *key, const char *value, bool number)
{
	int *fields = ctx;

	FUZZ_CHECK(*fields > 0 || (strcmp(key, "type") == 0 && !number));
	(void)value;
	(*fields)++;
}

/* The whole reply, its slices as control.c sends them: each slice whole
 * lines, and no more than a slice and a record. */
static char *collect_reply(struct reply *r, size_t *len)
{
	char *all = NULL;

	*len = 0;
	do {
		FUZZ_CHECK(r->buf != NULL && r->len > 0 && r->len == strlen(r->buf));
		FUZZ_CHECK(r->buf[r->len - 1] == '\n');
		FUZZ_CHECK(r->len < REPLY_SLICE_BYTES + 4096);
		all = realloc(all, *len + r->len + 1);
		FUZZ_CHECK(all != NULL);
		memcpy(all + *len, r->buf, r->len + 1);
		*len += r->len;
	} while (reply_next_slice(r, &d));
	return all;
}

/* What nflogctl will read: "ok" and records, or one "error" line; then
 * the end line. */
static void check_reply(struct reply *r)
{
	char *line, *save = NULL, *all;
	size_t len;

	all = collect_reply(r, &len);
	FUZZ_CHECK(reply_complete(all, len));
	all[len - strlen(PROTOCOL_END "\n")] = '\0';
	if (strncmp(all, "error ", 6) == 0) {
		FUZZ_CHECK(strchr(all, '\n') == all + strlen(all) - 1);
		free(all);
		return;
	}
	FUZZ_CHECK(strncmp(all, "ok\n", 3) == 0);
	for (line = strtok_r(all + 3, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		int fields = 0;

		FUZZ_CHECK(protocol_parse_record(line, on_field, &fields) == 0 && fields > 0);
	}
	free(all);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	size_t off = 0;

	if (!ready) {
		setup();
		ready = true;
	}
	new_policy();
	for (int k = 0; k < MAX_REQUESTS && off < size; k++) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (data + off)) : size - off;
		char req[PROTOCOL_REQUEST_MAX + 1];
		struct reply r;

		/* control.c refuses a longer line before the handler sees it. */
		if (len <= PROTOCOL_REQUEST_MAX) {
			char *line;

			memcpy(req, data + off, len);
			reply_init(&r);
			line = protocol_request_line(req, len, &r);
			if (line == NULL) {
				reply_finish(&r);
				check_reply(&r);
			} else if (!skipped(line)) {
				pick_whitelist(line);
				daemon_command(&d, line, &r);
				reply_finish(&r);
				check_reply(&r);
			}
			reply_free(&r);
		}
		off += len + 1;
	}
	policy_free(d.policy);
	d.policy = NULL;
	return 0;
}
