/* The control socket's small protocol, shared by nflogd and nflogctl.
 *
 * Request: one line of at most PROTOCOL_REQUEST_MAX bytes, words separated
 * by spaces: a command of protocol_commands[] below and its arguments; an
 * argument of kind ARG_TEXT (the whitelist comment) is the rest of its line.
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
#include <stdio.h>

#include "error.h"

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

/* --- The commands: the one table nflogd (commands.c) and nflogctl read --- */

/* What an argument is. Its value is parsed where it is used (addr_parse,
 * duration_parse, whitelist_parse_entry); the table says which it is. */
enum arg_kind {
	ARG_NONE,		/* ends a command's arguments */
	ARG_ADDR,		/* an IPv4 or IPv6 address */
	ARG_ADDR_OR_ALL,	/* an address, or "all" */
	ARG_COUNT,		/* a whole number */
	ARG_DURATION,		/* 90, 30m, 2h, 7d; 0 = until unblocked */
	ARG_ENTRY,		/* a whitelist entry: an address, a CIDR or a MAC */
	ARG_TEXT,		/* the rest of the line, spaces and all (last only) */
};

struct command_arg {
	enum arg_kind kind;
	bool optional;		/* it and every argument after it may be left out */
};

/* A record type a reply carries: one (a JSON object) or a list (a JSON
 * array, there even when empty). */
struct command_record {
	const char *type;
	bool list;
};

#define COMMAND_MAX_ARGS 2
#define COMMAND_MAX_RECORDS 2

struct command {
	const char *name;
	const char *sub;	/* the subcommand word, or NULL */
	struct command_arg args[COMMAND_MAX_ARGS];
	struct command_record records[COMMAND_MAX_RECORDS];
	const char *help;	/* one line, for nflogctl's usage */
};

/* A command is its enum, its entry in protocol_commands (protocol.c), its
 * handler in commands.c and its rendering in nflogctl.c: the switches
 * there have no default, so the compiler names what a new one lacks. */
enum command_id {
	CMD_STATUS,
	CMD_LIST,
	CMD_TOP,
	CMD_SHOW,
	CMD_BLOCK,
	CMD_UNBLOCK,
	CMD_WHITELIST_LIST,
	CMD_WHITELIST_ADD,
	CMD_WHITELIST_DEL,
	CMD_RELOAD,
	COMMAND_COUNT
};

extern const struct command protocol_commands[COMMAND_COUNT];

/* How an argument of this kind is written in a usage text: "ADDR|CIDR|MAC". */
const char *command_arg_name(enum arg_kind kind);
/* "block ADDR [DURATION]": c as typed, into buf. */
void command_synopsis(const struct command *c, char *buf, size_t len);
/* One line per command, "  SYNOPSIS  HELP" (nflogctl's usage). */
void command_print_help(FILE *f);
/* Every form of the command `name`, as the daemon's usage error gives it:
 * "show ADDR", "whitelist list | add ADDR|CIDR|MAC [COMMENT] | del ...". */
void command_usage(const char *name, char *buf, size_t len);

/* The command words[0..n) are (nflogctl's arguments, or a request split
 * by command_parse): its name, its subcommand and a number of arguments
 * it takes. NULL, with why in e, if none: "unknown command 'X'" or
 * "usage: ..." (command_usage). */
const struct command *command_match(char *const *words, int n, struct error *e);
/* A request line as the daemon takes it: split (modified in place) into
 * words, at most PROTOCOL_MAX_WORDS, and matched. NULL, with why in e, as
 * command_match, or "X: too many arguments". */
const struct command *command_parse(char *line, char **words, int *n, struct error *e);
/* The command's id: its place in protocol_commands. */
enum command_id command_id_of(const struct command *c);

#endif
