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
 * epoch, so they mean the same after a reboot. */
#ifndef NFLOGD_STATE_H
#define NFLOGD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

#define STATE_VERSION 1
#define STATE_ERR_MAX 512

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

/* Write all entries atomically: PATH.tmp in the same directory, fsync,
 * rename over PATH, fsync the directory. Creates the parent directory
 * (mode 0750) if missing. 0 or -1 with a one-line message; on failure the
 * old PATH is untouched and no PATH.tmp is left behind. */
int state_save(const char *path, const struct state_entry *e, size_t n,
	       char err[STATE_ERR_MAX]);

/* Parse a state stream; *out is malloc'd (free it), *n entries. On any
 * malformed line: -1 with "NAME:LINE: message", *out NULL, *n 0. */
int state_parse(FILE *f, const char *name, struct state_entry **out, size_t *n,
		char err[STATE_ERR_MAX]);

/* Load PATH; a missing file is 0 entries, not an error. */
int state_load(const char *path, struct state_entry **out, size_t *n,
	       char err[STATE_ERR_MAX]);

/* Rename a corrupt file aside to PATH.corrupt-YYYYMMDDTHHMMSS (UTC), with
 * "-1", "-2"... appended rather than replace an earlier one; the new name in
 * newpath. 0 or -1 (errno set). */
int state_move_aside(const char *path, char *newpath, size_t len);

#endif
