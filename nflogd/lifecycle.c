/* The daemon's life: start, reload, stop. */
#include "lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "compat/compat.h"
#include "log.h"

struct policy_cfg daemon_policy_cfg(const struct config *cfg)
{
	struct policy_cfg p = {
		.threshold = cfg->threshold,
		.min_destinations = cfg->min_destinations,
		.block_time_ms = cfg->block_time * 1000,
		.block_time_max_ms = cfg->block_time_max * 1000,
		.max_blocked = cfg->max_blocked,
	};
	return p;
}

static int load_settings(const char *config_path, struct config *cfg, struct whitelist *wl,
			 struct error *err)
{
	config_defaults(cfg);
	if (config_load(cfg, config_path, err) < 0 || whitelist_load(wl, cfg->whitelist, err) < 0)
		return -1;
	return 0;
}

/* --- start, reload, stop --- */

static int watch(struct nflogd *d, int fd, uint32_t tag, struct error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)tag << 32 };

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return error_errno(err, "epoll");
	return 0;
}

int daemon_start(struct nflogd *d, const char *config_path, bool dry_run, int epfd)
{
	struct error e;
	struct policy_cfg pc;

	memset(d, 0, sizeof(*d));
	d->config_path = config_path;
	d->dry_run = dry_run;
	d->epfd = epfd;
	d->control.fd = -1;
	leases_init(&d->leases);
	ratelimit_init(&d->action_lines, DAEMON_ACTION_LINES, 1000);
	d->now_ms = d->started_ms = d->last_housekeeping_ms = monotonic_ms();
	persist_init(&d->persist, &d->cfg, dry_run, d->now_ms);
	if (getrandom(&d->seed, sizeof(d->seed), 0) != sizeof(d->seed))
		d->seed = d->now_ms ^ (uint64_t)getpid() << 32;
	if (load_settings(config_path, &d->cfg, &d->wl, &e) < 0) {
		log_warnx("%s", e.msg);
		return -1;
	}
	pc = daemon_policy_cfg(&d->cfg);
	d->tracker = tracker_new(d->cfg.max_hosts, d->cfg.window, d->seed, d->now_ms);
	d->policy = policy_new(&pc, d->seed);
	d->recent = calloc(1, sizeof(*d->recent));
	if (d->tracker == NULL || d->policy == NULL || d->recent == NULL) {
		log_warnx("out of memory for %u hosts", d->cfg.max_hosts);
		return -1;
	}
	table_init(&d->table, &d->cfg, &d->wl, d->policy, dry_run);
	/* A dry run never blocks: it neither enforces saved blocks nor saves
	 * the ones it only pretends to make. */
	if (!dry_run)
		persist_restore(&d->persist, d->policy, &d->wl, d->now_ms);
	/* Bind the group and open the socket before the rule that feeds the
	 * group exists: no event of the start-up is lost, and "table exists"
	 * means "ready" to scripts. */
	if (intake_open(&d->intake, d->cfg.nflog_group, &e) < 0 ||
	    watch(d, intake_fd(&d->intake), TAG_INTAKE, &e) < 0 ||
	    control_open(&d->control, epfd, d->cfg.socket, d->cfg.socket_group, &e) < 0) {
		log_warnx("%s", e.msg);
		return -1;
	}
	/* Watch before installing: a deletion right after start is seen too. */
	if (table_open(&d->table, &e) < 0) {
		log_warnx("%s", e.msg);
		return -1;
	}
	if (watch(d, table_monitor_fd(&d->table), TAG_MONITOR, &e) < 0) {
		log_warnx("nft monitor: %s", e.msg);
		return -1;
	}
	/* Before the table is replaced: what a crash left in it. */
	if (!dry_run)
		persist_adopt_kernel_blocks(&d->persist, d->policy, &d->wl, &d->table, d->now_ms);
	/* Spoofed sources are told from the first event on. */
	daemon_refresh_expectations(d);
	/* A dry run installs the table too: the NFLOG rule feeds it. */
	if (table_install(&d->table, d->now_ms, NULL) < 0)
		return -1;
	log_info("nflogd %s started: group %u, threshold %u per %us, whitelist entries %zu%s",
		 NFLOGD_VERSION, d->cfg.nflog_group, d->cfg.threshold, d->cfg.window,
		 d->wl.nnets + d->wl.nmacs, dry_run ? ", dry run (never blocks)" : "");
	return 0;
}

/* Blocks of hosts the whitelist now covers end at once. */
static void unblock_whitelisted(struct nflogd *d)
{
	POLICY_FOREACH_BLOCKED(d->policy, o) {
		if (daemon_whitelisted(d, &o->addr, o->has_mac ? &o->mac : NULL))
			daemon_unblock(d, o, "whitelisted");
	}
}

int daemon_reload_whitelist(struct nflogd *d, struct error *err)
{
	struct whitelist wl;

	if (whitelist_load(&wl, d->cfg.whitelist, err) < 0)
		return -1;
	whitelist_free(&d->wl);
	d->wl = wl;
	d->now_ms = monotonic_ms();
	unblock_whitelisted(d);
	return table_install(&d->table, d->now_ms, err);
}

/* A new NFLOG group: bind it first, and only then let the old one go. */
static int switch_group(struct nflogd *d, uint16_t group, struct error *err)
{
	struct intake fresh;

	if (intake_open(&fresh, group, err) < 0)
		return -1;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, intake_fd(&d->intake), NULL);
	intake_close(&d->intake);
	d->intake = fresh;
	return watch(d, intake_fd(&d->intake), TAG_INTAKE, err);
}

static int reload_settings(struct nflogd *d, struct error *err)
{
	struct config cfg;
	struct whitelist wl;
	struct policy_cfg pc;
	char old_table[CONFIG_TABLE_MAX];
	struct error e;

	if (load_settings(d->config_path, &cfg, &wl, err) < 0)
		return -1;
	d->now_ms = monotonic_ms();
	if (cfg.nflog_group != d->cfg.nflog_group &&
	    switch_group(d, cfg.nflog_group, err) < 0) {
		whitelist_free(&wl);
		return -1;
	}
	if (cfg.window != d->cfg.window || cfg.max_hosts != d->cfg.max_hosts) {
		struct tracker *t = tracker_new(cfg.max_hosts, cfg.window, d->seed, d->now_ms);

		if (t == NULL) {
			log_warnx("reload: out of memory for %u hosts; keeping the old window and cap",
				  cfg.max_hosts);
			cfg.window = d->cfg.window;
			cfg.max_hosts = d->cfg.max_hosts;
		} else {
			tracker_free(d->tracker);
			d->tracker = t;
			log_info("reload: window or max_hosts changed, counting starts afresh");
		}
	}
	if (strcmp(cfg.socket, d->cfg.socket) || strcmp(cfg.socket_group, d->cfg.socket_group)) {
		log_warnx("reload: socket and socket_group changes take a restart");
		memcpy(cfg.socket, d->cfg.socket, sizeof(cfg.socket));
		memcpy(cfg.socket_group, d->cfg.socket_group, sizeof(cfg.socket_group));
	}
	snprintf(old_table, sizeof(old_table), "%s", d->cfg.table);
	if (cfg.set_timeouts != d->cfg.set_timeouts)
		table_want_timeouts(&d->table, cfg.set_timeouts);
	d->cfg = cfg;
	whitelist_free(&d->wl);
	d->wl = wl;
	pc = daemon_policy_cfg(&d->cfg);
	policy_set_cfg(d->policy, &pc);
	unblock_whitelisted(d);
	if (strcmp(old_table, d->cfg.table) != 0 && table_delete(&d->table, old_table, &e) < 0)
		log_warnx("reload: deleting old table inet %s: %s", old_table, e.msg);
	if (table_install(&d->table, d->now_ms, err) < 0)
		return -1;
	log_info("reloaded %s: whitelist entries %zu", d->config_path, d->wl.nnets + d->wl.nmacs);
	return 0;
}

int daemon_reload(struct nflogd *d, struct error *err)
{
	int rc = reload_settings(d, err);

	if (rc < 0)
		log_warnx("reload refused, keeping the settings in force: %s", err->msg);
	table_flush(&d->table);
	return rc;
}

void daemon_stop(struct nflogd *d)
{
	struct error e;

	d->now_ms = monotonic_ms();
	table_flush(&d->table);
	persist_save(&d->persist, d->policy, d->now_ms);
	/* Blocks live on in the state file and return at the next start. */
	if (table_delete(&d->table, d->cfg.table, &e) < 0)
		log_warnx("deleting table inet %s: %s", d->cfg.table, e.msg);
	daemon_report_held_lines(d, true);
	log_info("stopped: %llu events, %llu lost, %llu blocks",
		 (unsigned long long)d->intake.stats.events,
		 (unsigned long long)d->intake.stats.lost, (unsigned long long)d->stats.blocks);
	control_close(&d->control);
	table_close(&d->table);
	intake_close(&d->intake);
	tracker_free(d->tracker);
	policy_free(d->policy);
	whitelist_free(&d->wl);
	leases_free(&d->leases);
	neigh_close(&d->neigh);
	expect_free(&d->expect);
	spoof_suspects_free(&d->suspects);
	free(d->recent);
}
