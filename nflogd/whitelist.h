/* The whitelist: addresses, CIDRs and MACs never counted and never blocked. */
#ifndef NFLOGD_WHITELIST_H
#define NFLOGD_WHITELIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "addr.h"
#include "error.h"

/* An inclusive address range, for the kernel's interval sets. */
struct addr_range {
	struct addr first, last;
};

struct whitelist {
	struct cidr *nets;
	size_t nnets;
	struct mac *macs;
	size_t nmacs;
	/* The lookup index whitelist_parse builds, so every event's check is
	 * a binary search however many BYOD laptops are listed: the nets as
	 * sorted, merged ranges, and the MACs as sorted 48-bit numbers. Without
	 * it (a list built by hand, or out of memory) the lookups scan. */
	struct addr_range *ranges;	/* the IPv4 ones first, then IPv6 */
	size_t nranges, nranges4;
	uint64_t *mac_keys;
};

void whitelist_init(struct whitelist *wl);
void whitelist_free(struct whitelist *wl);

/* Parse one entry ("192.0.2.0/24", "2001:db8::1", "aa:bb:cc:dd:ee:ff"),
 * comment and blanks already stripped. 0 ok, -1 not an entry. */
int whitelist_parse_entry(const char *s, struct cidr *net, struct mac *mac, bool *is_mac);
/* Why a network is not taken, or NULL: the whole of one family (0.0.0.0/0,
 * ::/0), or one that overlaps ::ffff:0:0/96 (::/64, ::ffff:192.0.2.0/120):
 * IPv6 addresses, not the IPv4 ones their text suggests. */
const char *whitelist_entry_refused(const struct cidr *net);

/* Parse a whole file into a fresh whitelist; on error "name:LINE: message"
 * and *wl is left empty. */
int whitelist_parse(struct whitelist *wl, FILE *f, const char *name, struct error *err);
/* A missing file is an empty whitelist. */
int whitelist_load(struct whitelist *wl, const char *path, struct error *err);

/* Only by entries of the address's own family (allow4 or allow6). */
bool whitelist_covers_addr(const struct whitelist *wl, const struct addr *a);
bool whitelist_covers_mac(const struct whitelist *wl, const struct mac *m);
/* The address, or the MAC it came from (NULL: not known). */
static inline bool whitelist_covers(const struct whitelist *wl, const struct addr *a,
				    const struct mac *mac)
{
	return whitelist_covers_addr(wl, a) || (mac && whitelist_covers_mac(wl, mac));
}

/* Sorted, merged ranges of one family (overlaps and adjacency joined, as the
 * kernel's interval sets refuse overlapping elements). Returns how many were
 * written; out needs room for wl->nnets. */
size_t whitelist_ranges(const struct whitelist *wl, bool v4, struct addr_range *out);

#endif
