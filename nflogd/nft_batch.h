/* Building nf_tables batches in memory: the table nflogd owns, and block
 * elements. Pure encoding (libnftnl), no socket: tests parse it back. */
#ifndef NFLOGD_NFT_BATCH_H
#define NFLOGD_NFT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "whitelist.h"

#define NFT_CHAIN_NAME "forward"
#define NFT_CHAIN_PRIORITY (-10)	/* before the usual filter chains (0) */
#define NFT_ELEMS_PER_MSG 256		/* keeps each message well under 16 KiB */

enum nft_set_id { SET_ALLOW4 = 1, SET_ALLOW6, SET_ALLOWMAC, SET_BLOCKED4, SET_BLOCKED6,
		  SET_PORTS_FIRST };

/* What the daemon's table holds. */
struct nft_ruleset {
	const char *table;
	uint16_t group;
	const uint16_t *ports;
	size_t nports;
	bool scope_all;		/* drop everything a blocked host forwards */
	bool log_rule;		/* install the NFLOG rule (install_rules) */
	bool timeouts;		/* blocked sets with per-element timeouts */
	uint32_t snaplen;
};

struct nft_block_elem {
	struct addr addr;
	uint64_t timeout_ms;	/* 0: no timeout */
};

/* One element of a set: as the table should hold it, or as the kernel
 * dumped it. */
struct nft_elem {
	uint8_t key[16];
	uint8_t len;
	uint32_t flags;		/* NFT_SET_ELEM_INTERVAL_END */
	uint64_t timeout_ms;	/* 0: none */
	uint64_t expires_ms;	/* time left of the timeout; 0: none */
};

struct nft_elem_list {
	struct nft_elem *v;
	size_t n, cap;
};

/* Why each message is there, to name the object in a kernel error. */
struct nft_msg_label {
	uint32_t seq;
	char what[48];
};

struct nft_batch {
	char *buf;
	size_t len, cap;
	uint32_t seq;
	uint32_t nmsgs;		/* object messages, each asking for an ACK */
	uint32_t nrules;	/* of them rules */
	struct nft_msg_label *labels;
	size_t nlabels, labels_cap;
	bool failed;		/* out of memory while building */
};

void nft_batch_init(struct nft_batch *b, uint32_t first_seq);
void nft_batch_free(struct nft_batch *b);
/* The batch's first and last message. Not nft_batch_begin/end: libnftnl up
 * to 1.0.7 declares those names. */
void nft_batch_start(struct nft_batch *b);
void nft_batch_finish(struct nft_batch *b);
const char *nft_batch_label(const struct nft_batch *b, uint32_t seq);

/* The whole table, replacing any copy left behind (add, delete, add: one
 * atomic step, so there is no moment without it), filled with the
 * whitelist and the given blocks. */
void nft_batch_put_ruleset(struct nft_batch *b, const struct nft_ruleset *rs,
			   const struct whitelist *wl, const struct nft_block_elem *blocks,
			   size_t nblocks);
void nft_batch_put_table_delete(struct nft_batch *b, const char *table);
/* Add or delete block elements, IPv4 and IPv6 alike. Timeouts go out only
 * with add and timeouts (a set made without the timeout flag refuses them). */
void nft_batch_put_blocks(struct nft_batch *b, const char *table, bool add, bool timeouts,
			  const struct nft_block_elem *elems, size_t n);

/* --- elements: what a set should hold, what the kernel says it holds --- */

struct nlmsghdr;
void nft_elem_list_free(struct nft_elem_list *l);
/* Append one element. 0, or -1 out of memory. */
int nft_elem_push(struct nft_elem_list *l, const void *key, size_t len, uint32_t flags,
		  uint64_t timeout_ms, uint64_t expires_ms);
/* Append the elements of a NEWSETELEM message (a GETSETELEM dump's reply).
 * 0, or -1 when it does not parse or memory ran out. */
int nft_elems_parse(const struct nlmsghdr *nlh, struct nft_elem_list *out);
/* The elements the whitelist puts in set (SET_ALLOW4, SET_ALLOW6 or
 * SET_ALLOWMAC): ranges as a start and an end element. 0, or -1. */
int nft_whitelist_elems(const struct whitelist *wl, enum nft_set_id set,
			struct nft_elem_list *out);
/* Order by key, then flags; nft_elem_find on a sorted list. */
void nft_elems_sort(struct nft_elem_list *l);
const struct nft_elem *nft_elem_find(const struct nft_elem_list *l, const void *key, size_t len,
				     uint32_t flags);
/* Elements of want (sorted) missing from have (sorted). */
size_t nft_elems_missing(const struct nft_elem_list *want, const struct nft_elem_list *have);

#endif
