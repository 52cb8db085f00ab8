/* The control socket's small protocol, shared by nflogd and nflogctl.
 *
 * Request: one line of at most PROTOCOL_REQUEST_MAX bytes, words separated
 * by spaces; the whitelist comment is the rest of its line:
 *   status | list | top [N] | show ADDR | block ADDR [DURATION]
 *   unblock ADDR|all | whitelist list | whitelist add ENTRY [COMMENT]
 *   whitelist del ENTRY | reload
 *
 * Reply: "ok" or "error MESSAGE" on the first line, then one record per
 * line: "type=NAME" and fields separated by tabs, each "key=value" (a
 * string) or "#key=value" (a number). Values escape backslash, tab and
 * newline as \\ \t \n. The daemon closes the connection after the reply. */
#ifndef NFLOGD_PROTOCOL_H
#define NFLOGD_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTOCOL_REQUEST_MAX 1024
#define PROTOCOL_MAX_WORDS 4

/* A reply being built: a growing buffer. */
struct reply {
	char *buf;
	size_t len, cap;
	bool failed;		/* out of memory: the reply says so instead */
	bool in_record;
};

void reply_init(struct reply *r);
void reply_free(struct reply *r);
void reply_ok(struct reply *r);
void reply_error(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_record(struct reply *r, const char *type);
void reply_str(struct reply *r, const char *key, const char *value);
void reply_num(struct reply *r, const char *key, int64_t value);
/* Ends the last record; the text to send is then r->buf, r->len. */
void reply_finish(struct reply *r);

/* Split a request line (modified in place) into at most PROTOCOL_MAX_WORDS
 * words; with keep_rest the last word is the rest of the line. Returns the
 * number of words, -1 for an empty or over-long request. */
int protocol_split(char *line, char **words, int max, bool keep_rest);

/* Walk one record line (modified in place): calls fn for each field with
 * the unescaped value. Returns -1 on a malformed field. */
typedef void (*protocol_field_fn)(void *ctx, const char *key, const char *value, bool number);
int protocol_parse_record(char *line, protocol_field_fn fn, void *ctx);

#endif
