/* The kernel's neighbour table (IPv4 ARP, IPv6 NDP): which MAC answers for
 * an address on a link, so an event whose frame came from another MAC can
 * be told apart (spoof.h). Read by a dump over rtnetlink from housekeeping,
 * never on the per-event path. */
#ifndef NFLOGD_NEIGH_H
#define NFLOGD_NEIGH_H

#include <stddef.h>

#include "addr.h"

struct nlmsghdr;

struct neigh_entry {
	struct addr addr;
	struct mac mac;
};

/* Pure: one RTM_NEWNEIGH message. 1 and *out filled for an Ethernet entry
 * the kernel has resolved (reachable, stale, delay, probe or permanent);
 * 0 for one that says nothing about a MAC (incomplete, failed, no-ARP,
 * proxy, another family or address length); -1 if the message is malformed. */
int neigh_parse_msg(const struct nlmsghdr *nlh, struct neigh_entry *out);

struct neigh {
	struct mnl_socket *nl;
	unsigned seq;
};

typedef void (*neigh_fn)(void *ctx, const struct neigh_entry *e);

/* Dump the table and call fn for each usable entry. The socket is opened
 * at the first dump. 0, or -1 (errno set; the entries seen so far were
 * passed on). */
int neigh_dump(struct neigh *n, neigh_fn fn, void *ctx);
void neigh_close(struct neigh *n);

#endif
