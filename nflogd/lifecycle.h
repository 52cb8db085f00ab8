/* The daemon's life: start, reload, stop. It sets up the per-event path
 * (daemon.h), the table (table.h) and persistence (persist.h), and is
 * called by none of them. */
#ifndef NFLOGD_LIFECYCLE_H
#define NFLOGD_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"
#include "error.h"

/* Load config, whitelist and state, bind NFLOG, open the control socket,
 * then install the table (so no event of the start-up is lost and scripts
 * may take "table exists" for "ready"). Registers its fds with epfd.
 * 0, or -1 after logging why. */
int daemon_start(struct nflogd *d, const char *config_path, bool dry_run, int epfd);
/* SIGHUP and nflogctl reload: re-read config and whitelist, apply them and
 * send what changed to the kernel. A bad file keeps the old settings: -1,
 * logged, and the reason in err. */
int daemon_reload(struct nflogd *d, struct error *err);
/* Re-read only the whitelist (after an edit) and apply it. */
int daemon_reload_whitelist(struct nflogd *d, struct error *err);
/* Clean stop: save the state, delete the table. */
void daemon_stop(struct nflogd *d);

/* The policy's limits from the configuration. */
struct policy_cfg daemon_policy_cfg(const struct config *cfg);

#endif
