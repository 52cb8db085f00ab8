/* Editing the whitelist file for nflogctl: add, delete and list entries,
 * atomically, keeping every other line (comments, blanks, order) as it was. */
#ifndef NFLOGD_WHITELIST_FILE_H
#define NFLOGD_WHITELIST_FILE_H

#include <stddef.h>

#include "addr.h"
#include "error.h"

#define WHITELIST_COMMENT_MAX 200

struct whitelist_line {
	/* Canonical: a single host bare ("192.0.2.1", "2001:db8::1"), a network
	 * as cidr_format gives it ("192.0.2.0/24"), a MAC lower case with ':'. */
	char entry[CIDR_STRLEN];
	/* The text after '#', trimmed, cut to WHITELIST_COMMENT_MAX bytes at a
	 * UTF-8 character boundary; "" if none. */
	char comment[WHITELIST_COMMENT_MAX + 1];
};

/*
 * Add ENTRY (address, CIDR or MAC, as whitelist_parse_entry reads it) with an
 * optional COMMENT (NULL or "" for none) at the end of the file at PATH, as
 * "ENTRY  # COMMENT\n" or "ENTRY\n", ENTRY in canonical form. Refused: an
 * invalid entry; one already present (same network or MAC however written:
 * "192.0.2.1" is "192.0.2.1/32", MACs in any case with ':' or '-'); a comment
 * with control characters or longer than WHITELIST_COMMENT_MAX bytes once
 * trimmed; a file that does not load as it is. A missing file is created
 * with a short header comment, mode 0644.
 *
 * The file is replaced atomically: PATH.tmp in the same directory (a
 * symlink at PATH is followed, so the target is edited), same mode and,
 * where permitted, owner as the original, every existing line kept byte for
 * byte (a missing final newline is added), fsync, rename, fsync of the
 * directory. The new content is parsed with whitelist_parse before the
 * rename, so a file that would not load is never installed.
 *
 * 0 on success. -1 on error, with one line in ERR naming the argument or
 * "PATH:LINE: ...", the file unchanged and no PATH.tmp left behind; the one
 * exception is a failed fsync of the directory after the rename, where the
 * new file is in place and ERR says so.
 */
int whitelist_file_add(const char *path, const char *entry, const char *comment,
		       struct error *err);

/* Remove every line whose entry equals ENTRY (equal as above), keeping all
 * other lines byte for byte. "ENTRY is not in the whitelist" if none
 * (a missing file holds none). Same atomicity and errors as add. */
int whitelist_file_del(const char *path, const char *entry, struct error *err);

/* The file's entries in order with their comments; *out is malloc'd (NULL
 * when *n is 0) and the caller frees it. A missing file has 0 entries. A
 * file that does not load: -1 with "PATH:LINE: ..." in ERR. */
int whitelist_file_list(const char *path, struct whitelist_line **out, size_t *n,
			struct error *err);

#endif
