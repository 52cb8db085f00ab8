/* The kernel writer: sends nf_tables batches and reads back every ACK. */
#ifndef NFLOGD_NFT_H
#define NFLOGD_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "nft_batch.h"

struct nft {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	bool timeouts;		/* the kernel takes per-element timeouts */
	int timeouts_refused;	/* the errno the kernel refused them with, or 0 */
	size_t sndbuf;		/* the send buffer as last read or set */
	uint64_t commits;	/* batches the kernel applied */
	uint32_t rules_installed;	/* in the table as nft_install last made it */
};

/* timeouts: try per-element timeouts (false: never use them). 0, or -1
 * with a message in err. */
int nft_open(struct nft *n, bool timeouts, struct error *err);
void nft_close(struct nft *n);

/* Start a batch with the next sequence numbers. */
void nft_batch_new(struct nft *n, struct nft_batch *b);
/* Send a finished batch and wait for every ACK. 0 when the kernel applied
 * it; else -1 with err naming the object that failed and errno the kernel's
 * answer (ETIMEDOUT: replies missing, ENOMEM: the batch could not be built),
 * which nft_install and nft_blocks tell apart. */
int nft_commit(struct nft *n, struct nft_batch *b, struct error *err);

/* One datagram of the kernel's replies to batch b: ACKs counted in *acks,
 * the first error kept in *first_err (the kernel's errno, positive) and
 * named in err. */
int nft_parse_acks(struct nft *n, const struct nft_batch *b, const void *buf, size_t len,
		   uint32_t *acks, int *first_err, struct error *err);
/* Does this answer (an errno, as nft_commit leaves it) to a table with
 * timeout sets mean "no set timeouts here"? */
bool nft_timeouts_refused(int answer);
/* Who expires blocks, and why, for the log and nflogctl status. */
const char *nft_expiry_mode(const struct nft *n);
/* Create (or atomically replace) the table with whitelist and blocks. Falls
 * back to sets without timeouts on kernels that lack them (n->timeouts). */
int nft_install(struct nft *n, struct nft_ruleset *rs, const struct whitelist *wl,
		const struct nft_block_elem *blocks, size_t nblocks, struct error *err);
/* Add or delete blocks. A delete of an element already gone (its kernel
 * timeout ran out first) is not an error. */
int nft_blocks(struct nft *n, const char *table, bool add,
	       const struct nft_block_elem *elems, size_t nelems, struct error *err);
int nft_table_delete(struct nft *n, const char *table, struct error *err);
/* 1 exists, 0 does not, -1 could not tell. */
int nft_table_exists(struct nft *n, const char *table);
/* The ruleset's generation: every applied batch, anyone's, moves it by one.
 * 0, or -1. */
int nft_generation(struct nft *n, uint32_t *gen);
/* The rules in the table (0 if it is gone). 0, or -1. */
int nft_count_rules(struct nft *n, const char *table, uint32_t *count);
/* One datagram of a rule dump: count the rules of table. mnl_cb_run's
 * result (1: more to come, 0: done, -1: error). */
int nft_rule_dump_count(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			const char *table, uint32_t *count);

/* The module holding the hash set backend, as modules.dep lists it; NULL
 * when the kernel has it built in. */
const char *nft_hash_backend_module(const char *modules_dep);
/* Load it if this kernel needs that done; note says what was found or
 * done, for the log. 0, or -1 if it could not be loaded. */
int nft_load_hash_backend(char *note, size_t len);

/* Every element of table's set, appended to out (with the time left of
 * each timeout). 0; 1 when the table or set does not exist; -1 when the
 * kernel's answer could not be read (out may hold part of it). */
int nft_set_elems(struct nft *n, const char *table, const char *set, struct nft_elem_list *out);

#endif
