/* nflogsink: a reference NFLOG consumer for the end-to-end benchmark.
 *
 *   nflogsink -g GROUP [-q QTHRESHOLD | -q busy | -a] [-d]
 *
 * Binds GROUP with nflogd's own intake (intake_open: copy range, nlbufsiz,
 * flush timeout 0, sequence numbers, 8 MiB receive buffer), then sets the
 * kernel's qthreshold to QTHRESHOLD (default 1: every event at once), to
 * the daemon's busy setting (INTAKE_QTHRESH_BUSY and its flush timeout)
 * with "-q busy", or lets intake_adapt switch it with the event rate as the
 * daemon does (-a). Then
 * it loops: epoll_wait, drain the socket with intake_drain. Per event it
 * runs either nothing beyond the intake parse (the floor) or, with -d,
 * nflogd's whole per-event path (daemon_on_event on a dry-run struct nflogd,
 * threshold 1000000, no timers, no nft).
 *
 * Prints "ready" on stdout once bound, and on SIGTERM/SIGINT one line
 * "RESULT q=Q events=N lost=N overruns=N datagrams=N truncated=N malformed=N".
 * CPU time is read from outside (/proc/PID/stat) like for the daemons. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>

#include "config.h"
#include "daemon.h"
#include "intake.h"
#include "leases.h"
#include "policy.h"
#include "recent.h"
#include "tracker.h"
#include "compat/compat.h"

static void on_event_empty(void *ctx, const struct intake_event *ev)
{
	(void)ctx;
	(void)ev;
}

static void on_event_daemon(void *ctx, const struct intake_event *ev)
{
	struct nflogd *d = ctx;

	daemon_on_event(d, ev);
}

static int setup_daemon(struct nflogd *d)
{
	struct policy_cfg pc;

	memset(d, 0, sizeof(*d));
	config_defaults(&d->cfg);
	d->cfg.threshold = 1000000;
	d->dry_run = true;
	d->seed = 0x9e3779b97f4a7c15ull;
	d->now_ms = d->started_ms = monotonic_ms();
	pc = (struct policy_cfg){ .threshold = d->cfg.threshold,
				  .min_destinations = d->cfg.min_destinations,
				  .block_time_ms = d->cfg.block_time * 1000,
				  .block_time_max_ms = d->cfg.block_time_max * 1000,
				  .max_blocked = d->cfg.max_blocked };
	d->tracker = tracker_new(d->cfg.max_hosts, d->cfg.window, d->seed, d->now_ms);
	d->policy = policy_new(&pc, d->seed);
	table_init(&d->table, &d->cfg, &d->wl, d->policy, true);
	d->recent = calloc(1, sizeof(*d->recent));
	leases_init(&d->leases);
	d->control.fd = -1;
	return d->tracker && d->policy && d->recent ? 0 : -1;
}

/* The kernel's qthreshold for our group, with the flush timeout the daemon
 * pairs with it (no ACK asked: it would land among the events; an error
 * reply is counted with the non-events). */
static int set_qthreshold(struct intake *n, uint16_t group, uint32_t q)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, AF_UNSPEC, group);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(q));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT,
			 htonl(q == INTAKE_QTHRESH_QUIET ? INTAKE_TIMEOUT_QUIET : INTAKE_TIMEOUT_BUSY));
	return mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) == (ssize_t)nlh->nlmsg_len ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct nflogd d;
	struct intake in;
	char qbuf[16];
	struct error err;
	unsigned group = 27, qthreshold = 1;
	bool full = false, adaptive = false;
	int opt, ep, sfd;
	sigset_t mask;
	struct epoll_event ev = { .events = EPOLLIN };

	while ((opt = getopt(argc, argv, "g:q:ad")) != -1) {
		switch (opt) {
		case 'g': group = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'q':
#ifdef INTAKE_QTHRESH_BUSY
			qthreshold = strcmp(optarg, "busy") == 0 ? INTAKE_QTHRESH_BUSY
								 : (unsigned)strtoul(optarg, NULL, 10);
#else
			qthreshold = strcmp(optarg, "busy") == 0 ? 64 : (unsigned)strtoul(optarg, NULL, 10);
#endif
			break;
		case 'a': adaptive = true; break;
		case 'd': full = true; break;
		default:
			fprintf(stderr, "usage: nflogsink -g GROUP [-q QTHRESHOLD | -q busy | -a] [-d]\n");
			return 2;
		}
	}
	if (full && setup_daemon(&d) < 0) {
		fprintf(stderr, "nflogsink: out of memory\n");
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	/* The intake opens quiet (every event at once); set the batching
	 * asked for, unless -a leaves it to the daemon's adaptive rule. */
	if (intake_open(&in, (uint16_t)group, &err) < 0) {
		fprintf(stderr, "nflogsink: %s\n", err.msg);
		return 1;
	}
	if (!adaptive && qthreshold != in.qthreshold &&
	    set_qthreshold(&in, (uint16_t)group, qthreshold) == 0)
		in.qthreshold = qthreshold;
	ev.data.u32 = 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, intake_fd(&in), &ev);
	ev.data.u32 = 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, -1);
		bool stop = false;

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 2) {
				stop = true;
			} else {
				intake_event_fn fn = full ? on_event_daemon : on_event_empty;

				if (full)
					d.now_ms = monotonic_ms();
				intake_drain(&in, fn, &d);
				if (full)
					daemon_count_batch(&d);
#ifdef INTAKE_QTHRESH_BUSY
				if (adaptive)
					intake_adapt(&in, monotonic_ms());
#endif
			}
		}
		if (stop)
			break;
	}
	snprintf(qbuf, sizeof(qbuf), "%u", qthreshold);
	printf("RESULT q=%s events=%llu lost=%llu overruns=%llu datagrams=%llu truncated=%llu "
	       "malformed=%llu\n", adaptive ? "adaptive" : qbuf, (unsigned long long)in.stats.events,
	       (unsigned long long)in.stats.lost, (unsigned long long)in.stats.overruns,
	       (unsigned long long)in.stats.datagrams, (unsigned long long)in.stats.truncated,
	       (unsigned long long)in.stats.malformed);
	intake_close(&in);
	return 0;
}
