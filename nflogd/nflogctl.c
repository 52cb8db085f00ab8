/* nflogctl: the administrator's CLI. Sends one request to nflogd's control
 * socket (protocol.h) and prints the reply as aligned columns or JSON. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "duration.h"
#include "error.h"
#include "escape.h"
#include "protocol.h"
#include "version.h"

struct field {
	char *key, *value;
	bool number;
};

struct record {
	char *type;
	struct field *f;
	int n, cap;
	bool failed;		/* out of memory */
};

struct reply_view {
	struct record *r;
	size_t n;
};

static void usage(void)
{
	fprintf(stderr, "usage: nflogctl [-s SOCKET] [--json] COMMAND\n");
	command_print_help(stderr);
	exit(2);
}

/* The command the arguments are, as the daemon will take them; usage if none. */
static const struct command *check_usage(int argc, char **argv)
{
	const struct command *c = command_match(argv, argc, NULL);

	if (c == NULL)
		usage();
	return c;
}

static int ask(const char *path, const char *request, char **out, size_t *outlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct error err;
	ssize_t r;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (buf == NULL || fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		error_errno(&err, "nflogctl: cannot reach nflogd at %s", path);
		fprintf(stderr, "%s%s\n", err.msg,
			errno == ENOENT || errno == ECONNREFUSED ? " (is nflogd running?)"
			: errno == EACCES ? " (root or socket_group only)" : "");
		goto fail;
	}
	/* The daemon may refuse us (and close) before reading the request:
	 * its one-line reason is then waiting to be read, so a failed send
	 * is not the end. */
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) != (ssize_t)strlen(request) &&
	    errno != EPIPE && errno != ECONNRESET) {
		error_errno(&err, "nflogctl: %s", path);
		fprintf(stderr, "%s\n", err.msg);
		goto fail;
	}
	while ((r = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (len + 1 == cap) {
			char *p = realloc(buf, cap *= 2);

			if (p == NULL) {
				fprintf(stderr, "nflogctl: out of memory for the reply\n");
				goto fail;
			}
			buf = p;
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return -1;
}

static void add_field(void *ctx, const char *key, const char *value, bool number)
{
	struct record *rec = ctx;

	if (strcmp(key, "type") == 0) {
		rec->type = (char *)value;
		return;
	}
	if (rec->n == rec->cap) {
		int cap = rec->cap ? rec->cap * 2 : 16;
		struct field *f = realloc(rec->f, (size_t)cap * sizeof(*f));

		if (f == NULL) {
			rec->failed = true;
			return;
		}
		rec->f = f;
		rec->cap = cap;
	}
	rec->f[rec->n++] = (struct field){ (char *)key, (char *)value, number };
}

static void free_records(struct reply_view *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->r[i].f);
	free(v->r);
	v->r = NULL;
	v->n = 0;
}

/* Split the reply body into records; the strings point into body. */
static int parse_records(char *body, struct reply_view *v)
{
	char *line, *save = NULL;

	size_t cap = 0;

	v->n = 0;
	v->r = NULL;
	for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct record *rec;

		if (v->n == cap) {
			struct record *p = realloc(v->r, (cap = cap ? cap * 2 : 64) * sizeof(*p));

			if (p == NULL)
				return -1;
			v->r = p;
		}
		rec = &v->r[v->n++];
		memset(rec, 0, sizeof(*rec));
		if (protocol_parse_record(line, add_field, rec) < 0 || !rec->type || rec->failed)
			return -1;
	}
	return 0;
}

static const char *get(const struct record *r, const char *key)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->f[i].key, key) == 0)
			return r->f[i].value;
	return NULL;
}

/* --- JSON --- */

/* Escaped text for s, to print; NULL (and a message) if memory ran out. */
typedef size_t (*escape_fn)(char *out, size_t outlen, const char *in);

static char *escaped(escape_fn fn, const char *s)
{
	size_t n = fn(NULL, 0, s) + 1;
	char *out = malloc(n);

	if (out == NULL) {
		fprintf(stderr, "nflogctl: out of memory\n");
		exit(1);
	}
	fn(out, n, s);
	return out;
}

/* Always valid UTF-8 and free of raw controls, whatever the daemon sent. */
static void json_string(const char *s)
{
	char *e = escaped(escape_json, s);

	printf("\"%s\"", e);
	free(e);
}

/* For the terminal: no control character gets through. */
static void print_safe(FILE *f, const char *s)
{
	char *e = escaped(escape_display, s);

	fputs(e, f);
	free(e);
}

static void json_record(const struct record *r)
{
	putchar('{');
	for (int i = 0; i < r->n; i++) {
		if (i)
			putchar(',');
		json_string(r->f[i].key);
		putchar(':');
		if (r->f[i].number)
			fputs(r->f[i].value, stdout);
		else
			json_string(r->f[i].value);
	}
	putchar('}');
}

/* Is type one of the command's lists, or its one record of that type? */
static const struct command_record *declared(const struct command *c, const char *type)
{
	for (int i = 0; i < COMMAND_MAX_RECORDS && c->records[i].type; i++)
		if (strcmp(c->records[i].type, type) == 0)
			return &c->records[i];
	return NULL;
}

/* Records of one type become an array under its name, except those the
 * command has one of (status, host), which are objects. The command's
 * lists appear even when empty; a type it does not declare is a list. */
static void print_json(const struct reply_view *v, const struct command *c)
{
	const char **seen = NULL;
	size_t nseen = 0;
	bool first = true;

	printf("{\"ok\":true");
	for (size_t i = 0; i < v->n; i++) {
		bool done = false, single = false;
		const char **p;

		for (size_t j = 0; j < nseen; j++)
			done |= strcmp(seen[j], v->r[i].type) == 0;
		if (done)
			continue;
		p = realloc(seen, (nseen + 1) * sizeof(*seen));
		if (p == NULL) {
			fprintf(stderr, "nflogctl: out of memory\n");
			exit(1);
		}
		seen = p;
		seen[nseen++] = v->r[i].type;
		single = declared(c, v->r[i].type) && !declared(c, v->r[i].type)->list;
		printf(",");
		json_string(v->r[i].type);
		printf(":");
		if (single) {
			json_record(&v->r[i]);
			continue;
		}
		printf("[");
		first = true;
		for (size_t k = i; k < v->n; k++) {
			if (strcmp(v->r[k].type, v->r[i].type) != 0)
				continue;
			if (!first)
				putchar(',');
			json_record(&v->r[k]);
			first = false;
		}
		printf("]");
	}
	for (int l = 0; l < COMMAND_MAX_RECORDS && c->records[l].type; l++) {
		bool present = false;

		if (!c->records[l].list)
			continue;
		for (size_t j = 0; j < nseen; j++)
			present |= strcmp(seen[j], c->records[l].type) == 0;
		if (!present) {
			printf(",");
			json_string(c->records[l].type);
			printf(":[]");
		}
	}
	free(seen);
	printf("}\n");
}

/* --- human output --- */

static const char *when(const char *unix_s, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (unix_s == NULL)
		return "-";
	t = (time_t)strtoll(unix_s, NULL, 10);
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static const char *ago(const char *unix_s, char *buf, size_t len)
{
	char d[DURATION_STRLEN];
	long long s;

	if (unix_s == NULL)
		return "-";
	s = (long long)time(NULL) - strtoll(unix_s, NULL, 10);
	snprintf(buf, len, "%s ago", duration_format(s > 0 ? (uint64_t)s : 0, d));
	return buf;
}

static const char *expires(const struct record *r, char *buf, size_t len)
{
	const char *in = get(r, "expires_in");

	if (in == NULL)
		return get(r, "expires") ? get(r, "expires") : "-";
	duration_format(strtoull(in, NULL, 10), buf);
	(void)len;
	return buf;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* An aligned table: collect the cells (escaped for the terminal), then
 * print them padded. As many rows as the reply has. */
#define TABLE_COLS 10
struct table {
	char *(*cells)[TABLE_COLS];
	size_t rows, cap, cols;
	size_t width[TABLE_COLS];
};

static void table_row(struct table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char *(*p)[TABLE_COLS] = realloc(t->cells, cap * sizeof(*p));

		if (p == NULL) {
			fprintf(stderr, "nflogctl: out of memory\n");
			exit(1);
		}
		t->cells = p;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->cols; c++) {
		char *e = escaped(escape_display, cells[c] ? cells[c] : "");
		size_t w = strlen(e);

		t->cells[t->rows][c] = e;
		if (w > t->width[c])
			t->width[c] = w;
	}
	t->rows++;
}

static void table_print(struct table *t)
{
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->cols; c++) {
			const char *s = t->cells[r][c] ? t->cells[r][c] : "";

			if (c + 1 == t->cols)
				printf("%s\n", s);
			else
				printf("%-*s  ", (int)t->width[c], s);
			free(t->cells[r][c]);
		}
	}
	free(t->cells);
	t->cells = NULL;
	t->rows = t->cap = 0;
}

static void print_list(const struct reply_view *v)
{
	static struct table t = { .cols = 9 };
	const char *head[] = { "ADDRESS", "MAC", "HOST", "SINCE", "EXPIRES", "CONNS", "DSTS",
			       "OFFENCE", "REASON" };
	char since[32], exp[32];

	table_row(&t, head);
	for (size_t i = 0; i < v->n; i++) {
		const struct record *r = &v->r[i];
		const char *row[] = { get(r, "addr"), or_dash(get(r, "mac")),
				      or_dash(get(r, "hostname")),
				      when(get(r, "since"), since, sizeof(since)),
				      expires(r, exp, sizeof(exp)), or_dash(get(r, "conns")),
				      or_dash(get(r, "dsts")), or_dash(get(r, "offence")),
				      or_dash(get(r, "reason")) };

		table_row(&t, row);
	}
	table_print(&t);
	if (v->n == 0)
		printf("(no host is blocked)\n");
}

static void print_top(const struct reply_view *v)
{
	static struct table t = { .cols = 7 };
	const char *head[] = { "ADDRESS", "MAC", "HOST", "WINDOW", "TOTAL", "DSTS", "LAST SEEN" };
	char seen[32];

	table_row(&t, head);
	for (size_t i = 0; i < v->n; i++) {
		const struct record *r = &v->r[i];
		const char *row[] = { get(r, "addr"), or_dash(get(r, "mac")),
				      or_dash(get(r, "hostname")), or_dash(get(r, "window")),
				      or_dash(get(r, "total")), or_dash(get(r, "dsts")),
				      ago(get(r, "last_seen"), seen, sizeof(seen)) };

		table_row(&t, row);
	}
	table_print(&t);
	if (v->n == 0)
		printf("(no SMTP sender seen yet)\n");
}

/* key: value lines, times made readable. */
static void print_fields(const struct record *r)
{
	size_t w = 0;
	char buf[64];

	for (int i = 0; i < r->n; i++)
		if (strlen(r->f[i].key) > w)
			w = strlen(r->f[i].key);
	for (int i = 0; i < r->n; i++) {
		const char *k = r->f[i].key, *val = r->f[i].value;

		bool is_time = !strcmp(k, "since") || !strcmp(k, "first_seen") ||
			       !strcmp(k, "last_seen");
		/* In status, "window" is the setting; in a host, its count. */
		bool is_duration = !strcmp(k, "expires_in") || !strcmp(k, "uptime") ||
				   !strcmp(k, "next_block") || !strcmp(k, "block_time") ||
				   !strcmp(k, "block_time_max") ||
				   (!strcmp(k, "window") && !strcmp(r->type, "status"));

		if (is_time)
			val = when(val, buf, sizeof(buf));
		else if (is_duration)
			val = duration_format(strtoull(val, NULL, 10), buf);
		printf("%-*s  ", (int)w + 1, k);
		print_safe(stdout, val);
		putchar('\n');
	}
}

static void print_show(const struct reply_view *v)
{
	static struct table t = { .cols = 3 };
	const char *head[] = { "DESTINATION", "CONNS", "LAST" };
	char last[32];
	size_t ndst = 0;

	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->r[i].type, "host") == 0)
			print_fields(&v->r[i]);
	table_row(&t, head);
	for (size_t i = 0; i < v->n; i++) {
		const struct record *r = &v->r[i];

		if (strcmp(r->type, "destination") != 0)
			continue;
		const char *row[] = { get(r, "addr"), get(r, "conns"),
				      ago(get(r, "last"), last, sizeof(last)) };

		table_row(&t, row);
		ndst++;
	}
	printf("\nrecent destinations:\n");
	if (ndst)
		table_print(&t);
	else
		printf("(none in the recent-connections ring)\n");
}

static void print_whitelist(const struct reply_view *v)
{
	static struct table t = { .cols = 2 };
	const char *head[] = { "ENTRY", "COMMENT" };

	table_row(&t, head);
	for (size_t i = 0; i < v->n; i++) {
		const char *row[] = { get(&v->r[i], "entry"), or_dash(get(&v->r[i], "comment")) };

		table_row(&t, row);
	}
	table_print(&t);
}

static void print_block(char **argv, const struct reply_view *v)
{
	char exp[32];
	const char *e = v->n ? expires(&v->r[0], exp, sizeof(exp)) : "?";

	if (strcmp(e, "never") == 0)
		printf("blocked %s until unblocked\n", argv[1]);
	else
		printf("blocked %s for %s\n", argv[1], e);
}

static void print_whitelist_edit(char **argv, const struct reply_view *v)
{
	printf("whitelist %s %s: done; %s host(s) unblocked\n", argv[1], argv[2],
	       or_dash(v->n ? get(&v->r[0], "unblocked") : NULL));
}

/* No default: a command added to the table needs its rendering here. */
static void print_human(const struct command *c, char **argv, const struct reply_view *v)
{
	switch (command_id_of(c)) {
	case CMD_STATUS:
		if (v->n)
			print_fields(&v->r[0]);
		return;
	case CMD_LIST: print_list(v); return;
	case CMD_TOP: print_top(v); return;
	case CMD_SHOW: print_show(v); return;
	case CMD_BLOCK: print_block(argv, v); return;
	case CMD_UNBLOCK:
		printf("unblocked %s host(s)\n", v->n ? or_dash(get(&v->r[0], "count")) : "0");
		return;
	case CMD_WHITELIST_LIST: print_whitelist(v); return;
	case CMD_WHITELIST_ADD:
	case CMD_WHITELIST_DEL: print_whitelist_edit(argv, v); return;
	case CMD_RELOAD:
	case COMMAND_COUNT: break;
	}
	printf("%s: done\n", c->name);
}

/* An "ok" reply without its end line: say so, and how much came. */
static void incomplete(const char *reply, bool json)
{
	size_t lines = 0;

	for (const char *p = strchr(reply, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		lines++;
	fprintf(stderr, "nflogctl: incomplete reply: nflogd cut it off after %zu record(s) "
		"(a reader slower than %d s, or nflogd stopped); try again\n", lines,
		CONTROL_TIMEOUT_MS / 1000);
	if (json)
		printf("{\"ok\":false,\"error\":\"incomplete reply\"}\n");
}

/* The daemon sends blocks in its own order: oldest first here. */
static int by_since(const void *a, const void *b)
{
	const char *x = get(a, "since"), *y = get(b, "since");
	long long p = x ? strtoll(x, NULL, 10) : 0, q = y ? strtoll(y, NULL, 10) : 0;

	if (p != q)
		return p < q ? -1 : 1;
	x = get(a, "addr");
	y = get(b, "addr");
	return strcmp(x ? x : "", y ? y : "");
}

int main(int argc, char **argv)
{
	const char *socket_path = NULL;
	bool json = false;
	char request[PROTOCOL_REQUEST_MAX + 2] = "", *reply, *body;
	const struct command *cmd;
	struct reply_view v;
	size_t len;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			json = true;
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			socket_path = argv[++i];
		else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("nflogctl %s\n", NFLOGD_VERSION);
			return 0;
		} else
			usage();
	}
	cmd = check_usage(argc - i, argv + i);
	if (socket_path == NULL) {	/* the daemon's own setting, if it changed it */
		static struct config cfg;
		config_defaults(&cfg);
		config_load(&cfg, CONFIG_DEFAULT_PATH, NULL);
		socket_path = cfg.socket;
	}
	for (int k = i; k < argc; k++) {
		if (strchr(argv[k], '\n') ||
		    strlen(request) + strlen(argv[k]) + 2 > PROTOCOL_REQUEST_MAX) {
			fprintf(stderr, "nflogctl: request too long or with a newline\n");
			return 2;
		}
		strcat(request, argv[k]);
		strcat(request, k + 1 < argc ? " " : "\n");
	}
	if (ask(socket_path, request, &reply, &len) < 0)
		return 1;
	if (strncmp(reply, "ok", 2) == 0 && !reply_complete(reply, len)) {
		incomplete(reply, json);
		free(reply);
		return 1;
	}
	body = strchr(reply, '\n');
	if (body)
		*body++ = '\0';
	if (strcmp(reply, "ok") != 0) {
		const char *msg = strncmp(reply, "error ", 6) == 0 ? reply + 6 : reply;

		fputs("nflogctl: ", stderr);
		print_safe(stderr, *msg ? msg : "no answer from nflogd");
		fputc('\n', stderr);
		if (json) {
			printf("{\"ok\":false,\"error\":");
			json_string(*msg ? msg : "no answer from nflogd");
			printf("}\n");
		}
		free(reply);
		return 1;
	}
	reply[len - sizeof(PROTOCOL_END)] = '\0';	/* the end line, checked above */
	if (parse_records(body, &v) < 0) {
		fprintf(stderr, "nflogctl: malformed reply from nflogd\n");
		free_records(&v);
		free(reply);
		return 1;
	}
	if (command_id_of(cmd) == CMD_LIST)
		qsort(v.r, v.n, sizeof(v.r[0]), by_since);
	if (json)
		print_json(&v, cmd);
	else
		print_human(cmd, argv + i, &v);
	free_records(&v);
	free(reply);
	return 0;
}
