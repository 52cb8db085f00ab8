/* dnsmasq's DHCP leases, to name a host by its MAC and host name in logs,
 * `list` and `show`, and to tell a spoofed source by its MAC (spoof.h). A
 * missing, unreadable or odd file is an empty table (no names, no
 * expectations) and never an error the daemon has to handle. */
#ifndef NFLOGD_LEASES_H
#define NFLOGD_LEASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "addr.h"

#define LEASE_HOSTNAME_LEN 64		/* 63 characters and the NUL */
#define LEASES_MAX_BYTES (4 << 20)	/* a bigger file is not a lease file */

struct lease {
	struct addr addr;
	struct mac mac;
	bool has_mac;			/* false for DHCPv6 (an IAID is no MAC) */
	char hostname[LEASE_HOSTNAME_LEN];	/* [A-Za-z0-9._-] only; "" unknown */
};

struct leases {
	struct lease *v;		/* sorted by address, one per address */
	size_t n;
	/* The file as last read, so an unchanged file is not read again. */
	bool loaded;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool checked;			/* checked_at is valid */
	time_t checked_at;
};

void leases_init(struct leases *l);
void leases_free(struct leases *l);

/* Parse dnsmasq.leases lines: "EXPIRY MAC IP HOSTNAME CLIENTID" (hostname
 * "*" = unknown -> ""); IPv6 sections: a "duid ..." line, then
 * "EXPIRY IAID IPV6 HOSTNAME CLIENTID". Bad lines (a last line without its
 * newline too: dnsmasq may be halfway through rewriting the file) are
 * skipped and counted in *bad (may be NULL). An address listed twice keeps
 * its last line. Replaces l's contents. Returns 0, or -1 on out of memory
 * with l unchanged. */
int leases_parse(struct leases *l, FILE *f, size_t *bad);

/* Re-read PATH if it changed (inode, size or mtime) and at most once per
 * `now` second; a missing file is an empty table. Never fails loudly: the
 * daemon must not care. */
void leases_refresh(struct leases *l, const char *path, time_t now);

/* The lease of address a, or NULL. Valid until the next parse or refresh. */
const struct lease *leases_find(const struct leases *l, const struct addr *a);

#endif
