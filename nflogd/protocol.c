/* Control protocol: reply encoding and request/record parsing. */
#include "protocol.h"

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
