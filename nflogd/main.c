/* nflogd: count new outbound SMTP connections per LAN host (NFLOG) and
 * block the hosts that spam (nftables). Options, start-up, the event loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "event_tags.h"
#include "escape.h"
#include "lifecycle.h"
#include "log.h"
#include "notify.h"
#include "privdrop.h"
#include "whitelist.h"

static void usage(void)
{
	fprintf(stderr, "usage: nflogd [-c FILE] [-f] [-n] [-t] [-v] [-V]\n");
	exit(2);
}

/* -t: check config and whitelist, say what is wrong, exit 0 or 1. */
static int check_config(const char *path)
{
	struct config cfg;
	struct whitelist wl;
	struct error err;
	char shown[4 * ERROR_MAX];

	config_defaults(&cfg);
	if (config_load(&cfg, path, &err) < 0 || whitelist_load(&wl, cfg.whitelist, &err) < 0) {
		escape_display(shown, sizeof(shown), err.msg);	/* it may quote a line */
		fprintf(stderr, "%s\n", shown);
		return 1;
	}
	printf("%s: ok (whitelist %s: %zu entries)\n", path, cfg.whitelist, wl.nnets + wl.nmacs);
	whitelist_free(&wl);
	return 0;
}

/* Signals arrive as reads on a descriptor, in the loop like everything else. */
static int signals_fd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Returns false when it is time to stop. */
static bool on_signal(struct nflogd *d, int sfd)
{
	struct signalfd_siginfo si;
	struct error err;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			notify_systemd("RELOADING=1");
			daemon_reload(d, &err);
			notify_systemd("READY=1");
			break;
		case SIGCHLD:
			daemon_on_child(d);
			break;
		default:
			return false;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	const char *config_path = CONFIG_DEFAULT_PATH;
	bool foreground = false, dry_run = false, test_only = false, running = true;
	int verbose = 0, opt, sfd, ep;
	struct error err;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)TAG_SIGNAL << 32 };
	static struct nflogd d;

	while ((opt = getopt(argc, argv, "c:fntvV")) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'f': foreground = true; break;
		case 'n': dry_run = true; break;
		case 't': test_only = true; break;
		case 'v': verbose++; break;
		case 'V': printf("nflogd %s\n", NFLOGD_VERSION); return 0;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (test_only)
		return check_config(config_path);

	/* Until the daemon is ready, errors go to stderr as well. */
	log_init("nflogd", true, verbose);
	sfd = signals_fd();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0)
		fatal("signalfd/epoll");
	if (daemon_start(&d, config_path, dry_run, ep) < 0)
		return 1;
	if (privdrop_keep_net_admin(&err) < 0)
		log_warnx("least privilege: %s; running with the capabilities we were given", err.msg);
	if (!foreground) {
		if (daemon(0, 0) < 0)
			fatal("daemon");
		log_init("nflogd", false, verbose);
	}
	/* The table exists now: under systemd, "started" means "blocking". */
	notify_systemd("READY=1");

	while (running) {
		struct epoll_event evs[16];
		int n = epoll_wait(ep, evs, 16, daemon_next_timeout(&d));

		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		for (int i = 0; i < n; i++) {
			uint32_t tag = (uint32_t)(evs[i].data.u64 >> 32);
			uint32_t slot = (uint32_t)evs[i].data.u64;

			switch (tag) {
			case TAG_SIGNAL:
				running = on_signal(&d, sfd) && running;
				break;
			case TAG_INTAKE:
				daemon_on_intake(&d);
				break;
			case TAG_MONITOR:
				table_on_monitor(&d.table);
				break;
			case CONTROL_TAG_LISTEN:
				control_accept(&d.control, monotonic_ms());
				break;
			case CONTROL_TAG_CLIENT:
				/* NFLOG between requests and slices: no control
				 * load holds up counting and blocking. */
				if (control_client_ready(&d.control, (int)slot, evs[i].events,
							 daemon_command, &d))
					daemon_on_intake(&d);
				break;
			}
		}
		daemon_on_timer(&d);
	}
	notify_systemd("STOPPING=1");
	daemon_stop(&d);
	return 0;
}
