/* Blocks and offences outlive the daemon: written to state_file within
 * PERSIST_SAVE_MS of a change (wall-clock times in the file, monotonic in
 * memory), read back at the start, and after a crash reconciled with the
 * blocks the kernel's table kept. */
#ifndef NFLOGD_PERSIST_H
#define NFLOGD_PERSIST_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "policy.h"
#include "table.h"
#include "whitelist.h"

#define PERSIST_SAVE_MS 1000	/* blocks reach the state file within this */

struct persist {
	const struct config *cfg;	/* state_file */
	bool dry_run;			/* a dry run's blocks are pretend: never saved */
	bool dirty;			/* changed since the last save */
	bool refused;			/* its directory failed the check; said once */
	uint64_t saved_ms;
	uint64_t saves, errors;
};

void persist_init(struct persist *s, const struct config *cfg, bool dry_run, uint64_t now_ms);
/* A block, unblock or offence changed: save within PERSIST_SAVE_MS. */
void persist_changed(struct persist *s);
/* Write every record of the policy to state_file now. */
void persist_save(struct persist *s, const struct policy *p, uint64_t now_ms);
/* Save if a change waits and the last save is PERSIST_SAVE_MS old. */
void persist_tick(struct persist *s, const struct policy *p, uint64_t now_ms);
/* When persist_tick will save, or UINT64_MAX when nothing waits. */
uint64_t persist_due_ms(const struct persist *s);

/* The state file's records into the policy (at the start); a host the
 * whitelist covers keeps its history, not its block. A bad file is moved
 * aside, bad lines set aside, each logged. */
void persist_restore(struct persist *s, struct policy *p, const struct whitelist *wl,
		     uint64_t now_ms);
/* After a crash the kernel's blocked sets are newer than the state file:
 * they decide who is blocked (before the table is replaced). */
void persist_adopt_kernel_blocks(struct persist *s, struct policy *p,
				 const struct whitelist *wl, struct table *t, uint64_t now_ms);

#endif
