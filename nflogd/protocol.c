/* Control protocol: reply encoding and request/record parsing. */
#include "protocol.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void reply_init(struct reply *r)
{
	memset(r, 0, sizeof(*r));
}

void reply_free(struct reply *r)
{
	free(r->buf);
	reply_init(r);
}

static void put(struct reply *r, const char *s, size_t n)
{
	if (r->failed)
		return;
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *p;

		while (r->len + n + 1 > cap)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (p == NULL) {
			r->failed = true;
			return;
		}
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
}

static void puts_(struct reply *r, const char *s)
{
	put(r, s, strlen(s));
}

void reply_ok(struct reply *r)
{
	puts_(r, "ok\n");
}

void reply_error(struct reply *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* An error replaces whatever was built: one line, nothing else. */
	r->len = 0;
	r->in_record = false;
	r->more = NULL;
	puts_(r, "error ");
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	puts_(r, msg);
	puts_(r, "\n");
}

static void end_record(struct reply *r)
{
	if (r->in_record)
		puts_(r, "\n");
	r->in_record = false;
}

void reply_record(struct reply *r, const char *type)
{
	end_record(r);
	puts_(r, "type=");
	puts_(r, type);
	r->in_record = true;
}

static void put_escaped(struct reply *r, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': puts_(r, "\\\\"); break;
		case '\t': puts_(r, "\\t"); break;
		case '\n': puts_(r, "\\n"); break;
		default: put(r, s, 1);
		}
	}
}

void reply_str(struct reply *r, const char *key, const char *value)
{
	puts_(r, "\t");
	puts_(r, key);
	puts_(r, "=");
	put_escaped(r, value);
}

void reply_num(struct reply *r, const char *key, int64_t value)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", (long long)value);
	puts_(r, "\t#");
	puts_(r, key);
	puts_(r, "=");
	puts_(r, num);
}

void reply_finish(struct reply *r)
{
	end_record(r);
	if (r->failed) {
		r->failed = false;
		r->len = 0;
		r->cap = 0;
		r->more = NULL;
		free(r->buf);
		r->buf = NULL;
		puts_(r, "error out of memory\n");
	}
	if (r->more == NULL)
		puts_(r, PROTOCOL_END "\n");
}

bool reply_next_slice(struct reply *r, void *ctx)
{
	if (r->more == NULL)
		return false;
	r->len = 0;
	if (!r->more(ctx, r))
		r->more = NULL;
	if (r->failed) {	/* mid-reply: no "end", the client sees it cut */
		r->failed = false;
		r->more = NULL;
		r->len = 0;
	} else {
		reply_finish(r);
	}
	return true;
}

bool reply_complete(const char *buf, size_t len)
{
	const size_t n = sizeof(PROTOCOL_END);	/* with its newline */

	return len >= n && memcmp(buf + len - n, PROTOCOL_END "\n", n) == 0 &&
	       (len == n || buf[len - n - 1] == '\n');
}

char *protocol_request_line(char *req, size_t len, struct reply *r)
{
	if (len > 0 && req[len - 1] == '\r')
		len--;
	req[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)req[i];

		if (b == 0) {
			reply_error(r, "request holds a NUL byte (at %zu)", i);
			return NULL;
		}
		if ((b < 0x20 && b != '\t') || b == 0x7f) {
			reply_error(r, "request holds control byte 0x%02x (at %zu)", b, i);
			return NULL;
		}
	}
	return req;
}

int protocol_split(char *line, char **words, int max, bool keep_rest)
{
	int n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (*p == ' ')
		p++;
	while (*p && n < max) {
		if (keep_rest && n == max - 1) {
			words[n++] = p;
			break;
		}
		words[n++] = p;
		p += strcspn(p, " ");
		if (*p)
			*p++ = '\0';
		while (*p == ' ')
			p++;
	}
	if (n == 0 || (*p && !keep_rest))
		return -1;
	return n;
}

static char *unescape(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (*p != '\\') {
			*w++ = *p;
			continue;
		}
		p++;
		if (*p == 't')
			*w++ = '\t';
		else if (*p == 'n')
			*w++ = '\n';
		else if (*p == '\\')
			*w++ = '\\';
		else
			return NULL;
	}
	*w = '\0';
	return s;
}

int protocol_parse_record(char *line, protocol_field_fn fn, void *ctx)
{
	char *field, *save = NULL;

	for (field = strtok_r(line, "\t", &save); field; field = strtok_r(NULL, "\t", &save)) {
		char *eq = strchr(field, '=');
		bool number = field[0] == '#';
		char *value;

		if (eq == NULL || eq == field + number)
			return -1;
		*eq = '\0';
		value = unescape(eq + 1);
		if (value == NULL)
			return -1;
		fn(ctx, field + number, value, number);
	}
	return 0;
}

/* --- the commands --- */

const struct command protocol_commands[COMMAND_COUNT] = {
	[CMD_STATUS] = {
		.name = "status",
		.records = { { "status", false } },
		.help = "daemon, settings and counters",
	},
	[CMD_LIST] = {
		.name = "list",
		.records = { { "blocked", true } },
		.help = "blocked hosts",
	},
	[CMD_TOP] = {
		.name = "top",
		.args = { { ARG_COUNT, true } },
		.records = { { "top", true } },
		.help = "the N busiest SMTP senders now (10)",
	},
	[CMD_SHOW] = {
		.name = "show",
		.args = { { ARG_ADDR, false } },
		.records = { { "host", false }, { "destination", true } },
		.help = "one host explained",
	},
	[CMD_BLOCK] = {
		.name = "block",
		.args = { { ARG_ADDR, false }, { ARG_DURATION, true } },
		.records = { { "blocked", true } },
		.help = "block by hand (90, 30m, 2h, 7d; 0 = until unblocked)",
	},
	[CMD_UNBLOCK] = {
		.name = "unblock",
		.args = { { ARG_ADDR_OR_ALL, false } },
		.records = { { "unblocked", false } },
		.help = "end a block by hand, or every block",
	},
	[CMD_WHITELIST_LIST] = {
		.name = "whitelist", .sub = "list",
		.records = { { "whitelist", true } },
		.help = "the whitelist file's entries and comments",
	},
	[CMD_WHITELIST_ADD] = {
		.name = "whitelist", .sub = "add",
		.args = { { ARG_ENTRY, false }, { ARG_TEXT, true } },
		.records = { { "whitelist", true } },
		.help = "add to the whitelist, ending the blocks it covers",
	},
	[CMD_WHITELIST_DEL] = {
		.name = "whitelist", .sub = "del",
		.args = { { ARG_ENTRY, false } },
		.records = { { "whitelist", true } },
		.help = "remove from the whitelist",
	},
	[CMD_RELOAD] = {
		.name = "reload",
		.help = "re-read config and whitelist",
	},
};

const char *command_arg_name(enum arg_kind kind)
{
	switch (kind) {
	case ARG_NONE: break;
	case ARG_ADDR: return "ADDR";
	case ARG_ADDR_OR_ALL: return "ADDR|all";
	case ARG_COUNT: return "N";
	case ARG_DURATION: return "DURATION";
	case ARG_ENTRY: return "ADDR|CIDR|MAC";
	case ARG_TEXT: return "COMMENT";
	}
	return "";
}

enum command_id command_id_of(const struct command *c)
{
	return (enum command_id)(c - protocol_commands);
}

static int nargs(const struct command *c)
{
	int n = 0;

	while (n < COMMAND_MAX_ARGS && c->args[n].kind != ARG_NONE)
		n++;
	return n;
}

static int min_args(const struct command *c)
{
	int n = 0;

	while (n < nargs(c) && !c->args[n].optional)
		n++;
	return n;
}

/* An ARG_TEXT takes one word of a request, any number of nflogctl's. */
static bool ends_in_text(const struct command *c)
{
	int n = nargs(c);

	return n > 0 && c->args[n - 1].kind == ARG_TEXT;
}

static int max_args(const struct command *c)
{
	return ends_in_text(c) ? INT_MAX : nargs(c);
}

static int words_of(const struct command *c)
{
	return (c->sub ? 2 : 1) + nargs(c);
}

/* Append to buf[0..len), cutting at its end. */
static void append(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s", s);
}

static void append_args(const struct command *c, char *buf, size_t len)
{
	int open = 0;

	for (int i = 0; i < nargs(c); i++) {
		append(buf, len, c->args[i].optional ? " [" : " ");
		open += c->args[i].optional;
		append(buf, len, command_arg_name(c->args[i].kind));
	}
	while (open-- > 0)
		append(buf, len, "]");
}

void command_synopsis(const struct command *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
	append_args(c, buf, len);
}

void command_usage(const char *name, char *buf, size_t len)
{
	bool first = true;

	snprintf(buf, len, "%s", name);
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		const struct command *c = &protocol_commands[i];

		if (strcmp(c->name, name) != 0)
			continue;
		if (c->sub) {
			append(buf, len, first ? " " : " | ");
			append(buf, len, c->sub);
		}
		append_args(c, buf, len);
		first = false;
	}
}

#define HELP_COLUMN 28

void command_print_help(FILE *f)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		const struct command *c = &protocol_commands[i];
		char synopsis[128];

		command_synopsis(c, synopsis, sizeof(synopsis));
		if (strlen(synopsis) + 2 <= HELP_COLUMN)
			fprintf(f, "  %-*s%s\n", HELP_COLUMN, synopsis, c->help);
		else
			fprintf(f, "  %s\n  %-*s%s\n", synopsis, HELP_COLUMN, "", c->help);
	}
}

static bool is_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(protocol_commands[i].name, name) == 0)
			return true;
	return false;
}

/* The entry for name and sub (sub ignored for a command without them). */
static const struct command *find(const char *name, const char *sub)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		const struct command *c = &protocol_commands[i];

		if (strcmp(c->name, name) == 0 && (c->sub == NULL || strcmp(c->sub, sub) == 0))
			return c;
	}
	return NULL;
}

static int usage_error(struct error *e, const char *name)
{
	char usage[256];

	command_usage(name, usage, sizeof(usage));
	return error_set(e, "usage: %s", usage);
}

const struct command *command_match(char *const *words, int n, struct error *e)
{
	const struct command *c;
	int args;

	if (n < 1 || !is_command(words[0])) {
		error_set(e, "unknown command '%.15s'", n >= 1 ? words[0] : "");
		return NULL;
	}
	c = find(words[0], n >= 2 ? words[1] : "");
	if (c == NULL) {
		usage_error(e, words[0]);
		return NULL;
	}
	args = n - (c->sub ? 2 : 1);
	if (args < min_args(c) || args > max_args(c)) {
		usage_error(e, words[0]);
		return NULL;
	}
	return c;
}

/* The word at the start of *s (spaces skipped) into buf, cut to fit; *s
 * moves past it. */
static void next_word(const char **s, char *buf, size_t len)
{
	size_t n;

	*s += strspn(*s, " ");
	n = strcspn(*s, " ");
	snprintf(buf, len, "%.*s", (int)n, *s);
	*s += n;
}

/* A command with a text argument keeps the rest of the line as its last
 * word: every form of that command is split so, and the one with the text
 * into as many words as it has. */
static bool keeps_rest(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(protocol_commands[i].name, name) == 0 &&
		    ends_in_text(&protocol_commands[i]))
			return true;
	return false;
}

const struct command *command_parse(char *line, char **words, int *n, struct error *e)
{
	const char *p = line;
	char name[16], sub[16];
	const struct command *c;
	int max = PROTOCOL_MAX_WORDS;

	line[strcspn(line, "\r\n")] = '\0';	/* as protocol_split takes it */
	next_word(&p, name, sizeof(name));
	next_word(&p, sub, sizeof(sub));
	if (!is_command(name)) {
		error_set(e, "unknown command '%s'", name);
		return NULL;
	}
	c = find(name, sub);
	if (c && ends_in_text(c) && words_of(c) < max)
		max = words_of(c);
	*n = protocol_split(line, words, max, keeps_rest(name));
	if (*n < 0) {
		error_set(e, "%s: too many arguments", name);
		return NULL;
	}
	return command_match(words, *n, e);
}
