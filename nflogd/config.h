/* nflogd.conf: "key = value" lines, every key optional. */
#ifndef NFLOGD_CONFIG_H
#define NFLOGD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

#define CONFIG_DEFAULT_PATH "/etc/nflogd/nflogd.conf"
#define CONFIG_MAX_PORTS 16
#define CONFIG_PATH_MAX 256
#define CONFIG_TABLE_MAX 32
/* Distinct destinations are a lower bound read from a 64-bit bitmap (see
 * tracker.h); past 32 that bound falls too far below the truth. */
#define CONFIG_MAX_MIN_DESTINATIONS 32

enum block_scope { SCOPE_SMTP, SCOPE_ALL };

struct config {
	uint16_t nflog_group;
	uint16_t ports[CONFIG_MAX_PORTS];
	size_t nports;
	uint32_t threshold;
	uint32_t window;		/* seconds */
	uint32_t min_destinations;
	uint64_t block_time;		/* seconds, 0 = until unblocked */
	uint64_t block_time_max;	/* seconds */
	enum block_scope block_scope;
	bool install_rules;
	char table[CONFIG_TABLE_MAX];
	char whitelist[CONFIG_PATH_MAX];
	char state_file[CONFIG_PATH_MAX];
	char socket[108];		/* sun_path */
	char socket_group[64];
	unsigned socket_group_line;	/* where it was set, for config_load's check */
	uint32_t max_hosts;
	uint32_t max_blocked;
	char leases_file[CONFIG_PATH_MAX];
	char on_block[CONFIG_PATH_MAX];
	/* Per-element timeouts in the kernel's blocked sets: detected (a kernel
	 * that refuses them is used without), or never (old backports that
	 * accept but mishandle them). Blocks end by the daemon either way. */
	bool set_timeouts;
};

void config_defaults(struct config *cfg);

/* Parse a stream named `name` (for messages) over the defaults.
 * 0 on success; -1 with "name:LINE: message" in err, cfg untouched. */
int config_parse(struct config *cfg, FILE *f, const char *name, struct error *err);

/* Load a file; a missing file means all defaults. Same contract as above;
 * also checks that socket_group names a group of this system. */
int config_load(struct config *cfg, const char *path, struct error *err);

bool config_port_counted(const struct config *cfg, uint16_t port);
/* "25,465,587" */
void config_format_ports(const struct config *cfg, char *buf, size_t len);

#endif
