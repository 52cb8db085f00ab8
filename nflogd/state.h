/* Persistence of blocks and offence history: the state file lets blocks
 * survive restarts.
 *
 * A versioned text file a human can read:
 *
 *	# nflogd state 1
 *	# (comment lines explaining the fields)
 *	192.0.2.10 blocked=1 reason=auto offences=2 conns=21 dsts=17 since=T
 *	    expires=T last_end=T mac=52:54:00:12:34:56	(one line per host)
 *
 * Every key is required on every line: a line cut short must not turn a
 * timed block into a permanent one. Times are wall clock, seconds since the
 * epoch, so they mean the same after a reboot.
 *
 * A bad line costs that line only: it is handed to the caller to set aside
 * and the rest of the file is kept. Only a file that is not a state file at
 * all (its first line), or one that is not safe to trust, is refused whole. */
#ifndef NFLOGD_STATE_H
#define NFLOGD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "addr.h"
#include "error.h"

#define STATE_VERSION 1
#define STATE_LINE_MAX 512		/* an entry is about 200 bytes */
/* Field ranges: beyond them a value means damage, not a host. */
#define STATE_TIME_MAX 253402300799LL	/* 9999-12-31T23:59:59Z */
#define STATE_OFFENCES_MAX 1000000u	/* escalation saturates long before */

struct state_entry {
	struct addr addr;
	struct mac mac;
	bool has_mac;
	bool blocked;
	uint8_t reason;		/* enum block_reason from policy.h */
	uint32_t offences, conns, dsts;
	int64_t since;		/* wall clock, seconds since the epoch */
	int64_t expires;	/* wall clock; 0 = until unblocked */
	int64_t last_end;	/* wall clock; 0 = no block has ended yet */
};

#define STATE_REFUSED (-2)

/* Write all entries atomically: PATH.tmp in the same directory, fsync,
 * rename over PATH, fsync the directory. Creates the parent directory
 * (mode 0750) if missing. 0 or -1 with a one-line message; on failure the
 * old PATH is untouched and no PATH.tmp is left behind. STATE_REFUSED,
 * nothing written, when the directories fail state_load's check. */
int state_save(const char *path, const struct state_entry *e, size_t n, struct error *err);

/* A line that was not kept: msg is "NAME:LINE: what is wrong", text its
 * bytes as read (NULs included, at most STATE_LINE_MAX, no newline). */
typedef void state_bad_line_fn(void *ctx, unsigned line, const char *msg, const char *text,
			       size_t len);

/* Parse a state stream; *out is malloc'd (free it), *n entries. Each bad
 * line goes to bad (may be NULL) and is skipped; of two lines for one host
 * the first is kept. Returns the number of bad lines, or -1 when the stream
 * is no state file (a bad first line, a read error, no memory): then err
 * is "NAME:LINE: message", *out NULL, *n 0. */
int state_parse(FILE *f, const char *name, struct state_entry **out, size_t *n,
		state_bad_line_fn *bad, void *ctx, struct error *err);

/* Load PATH as state_parse; a missing file is 0 entries, not an error. It
 * is opened without following a symbolic link and without blocking, and
 * refused (STATE_REFUSED, err saying why) unless it is a regular file owned
 * by us, not writable by group or others, and every directory of its real
 * path passes state_dirs_untrusted: whoever can write it or replace it
 * could forge blocks (of the mail server, say) or hang the start. */
int state_load(const char *path, struct state_entry **out, size_t *n,
	       state_bad_line_fn *bad, void *ctx, struct error *err);

/* One directory of the state file's real path. */
struct state_dir {
	uid_t uid;
	mode_t mode;
};

/* dirs[0] holds the file, dirs[1] is its parent, ... dirs[n-1] is /. The
 * holding directory must be ME's and writable by no one else; the others
 * root's or ME's, and writable by group or others only when sticky and
 * root's (as /tmp). The index of the first that fails, *why saying how, or
 * n when all pass. */
size_t state_dirs_untrusted(const struct state_dir *dirs, size_t n, uid_t me, const char **why);

/* Rename a file aside to PATH.TAG-YYYYMMDDTHHMMSS (UTC; TAG "corrupt",
 * "refused"...), with "-1", "-2"... appended rather than replace an earlier
 * one; the new name in newpath. 0 or -1 (errno set). */
int state_move_aside(const char *path, const char *tag, char *newpath, size_t len);

#endif
