/* Watching nf_tables for someone else deleting or flushing our table, so
 * the daemon can put it back (nft flush ruleset, a firewall restart). */
#ifndef NFLOGD_NFT_MONITOR_H
#define NFLOGD_NFT_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct nft_monitor {
	struct mnl_socket *nl;
	uint8_t *buf;
	uint64_t events, overruns;
	bool left;		/* out of the group: paused, or rejoining failed */
};

/* 0, or -1 with a message in err. */
int nft_monitor_open(struct nft_monitor *m, struct error *err);
void nft_monitor_close(struct nft_monitor *m);
int nft_monitor_fd(const struct nft_monitor *m);
/* Leave and rejoin the notification group around our own big batches:
 * with no other listener the kernel then builds no notification for each
 * element, which would otherwise cost a storm of blocks most of its time.
 * What others change meanwhile goes unseen: look at the table after. */
void nft_monitor_pause(struct nft_monitor *m);
/* 0, or -1 (errno set) with the monitor still out of the group: call again. */
int nft_monitor_resume(struct nft_monitor *m);

enum monitor_verdict {
	MONITOR_UNTOUCHED,	/* nothing touched our table */
	MONITOR_ELEMENTS,	/* someone changed elements of its sets */
	MONITOR_HIT,		/* someone removed part of it */
	MONITOR_UNSURE,		/* notifications were lost: check the kernel */
};

/* Pure: does this datagram of nf_tables notifications remove part of table
 * (a table, chain, rule or set deletion) on behalf of anyone but our_portid? */
bool nft_monitor_hits(const void *buf, size_t len, const char *table, uint32_t our_portid);
/* Pure: the same datagram's worst news for table: MONITOR_HIT as above,
 * MONITOR_ELEMENTS for element changes (a set flushed, an element deleted
 * or added by hand) by anyone but our_portid and the kernel itself (portid
 * 0: its own expiries, should it report them), else MONITOR_UNTOUCHED. */
enum monitor_verdict nft_monitor_classify(const void *buf, size_t len, const char *table,
					  uint32_t our_portid);

/* Read everything queued and say what it means for our table. */
enum monitor_verdict nft_monitor_drain(struct nft_monitor *m, const char *table,
				       uint32_t our_portid);

#endif
