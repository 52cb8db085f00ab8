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
 * newline as \\ \t \n. A whole reply ends with the line "end": without it
 * the reply was cut short (the daemon gave up on a slow reader, or
 * stopped). The daemon closes the connection after the reply.
 *
 * A request line may end in CRLF; it is complete at its newline or when the
 * client shuts down its side. A NUL or other control byte (but tab) in it
 * is refused. */
#ifndef NFLOGD_PROTOCOL_H
#define NFLOGD_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTOCOL_REQUEST_MAX 1024
#define PROTOCOL_MAX_WORDS 4
#define PROTOCOL_END "end"
/* A long reply is built this much at a time (then a few records' worth). */
#define REPLY_SLICE_BYTES 16384

struct reply;
/* Appends the next slice of a long reply; returns false after the last. */
typedef bool (*reply_more_fn)(void *ctx, struct reply *r);

/* A reply being built: a growing buffer. A command with many records sets
 * `more` (and `cursor`, its place) and builds the first slice; the control
 * socket asks for the next only when the client has read the previous. */
struct reply {
	char *buf;
	size_t len, cap;
	bool failed;		/* out of memory: the reply says so instead */
	bool in_record;
	reply_more_fn more;
	uint64_t cursor;
};

void reply_init(struct reply *r);
void reply_free(struct reply *r);
void reply_ok(struct reply *r);
void reply_error(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_record(struct reply *r, const char *type);
void reply_str(struct reply *r, const char *key, const char *value);
void reply_num(struct reply *r, const char *key, int64_t value);
/* Ends the last record, and the reply with PROTOCOL_END unless more is to
 * come; the text to send is then r->buf, r->len. */
void reply_finish(struct reply *r);
/* A sliced reply's next slice in place of the one sent: false if it has
 * none (the reply was finished). Calls reply_finish itself. */
bool reply_next_slice(struct reply *r, void *ctx);
/* Is buf[0..len) a whole reply, ending with the PROTOCOL_END line? */
bool reply_complete(const char *buf, size_t len);

/* The request in req[0..len) (req has room for a NUL at len): a trailing
 * CR cut, the line NUL-terminated. NULL, with the error in r, if it holds
 * a NUL or another control byte but tab. */
char *protocol_request_line(char *req, size_t len, struct reply *r);

/* Split a request line (modified in place) into at most PROTOCOL_MAX_WORDS
 * words; with keep_rest the last word is the rest of the line. Returns the
 * number of words, -1 for an empty or over-long request. */
int protocol_split(char *line, char **words, int max, bool keep_rest);

/* Walk one record line (modified in place): calls fn for each field with
 * the unescaped value. Returns -1 on a malformed field. */
typedef void (*protocol_field_fn)(void *ctx, const char *key, const char *value, bool number);
int protocol_parse_record(char *line, protocol_field_fn fn, void *ctx);

#endif
