/* nflogd: count new outbound SMTP connections per LAN host (NFLOG) and
 * block the hosts that spam (nftables). Options, start-up, the event loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
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
	char err[CONFIG_ERR_MAX];

	config_defaults(&cfg);
	if (config_load(&cfg, path, err) < 0 || whitelist_load(&wl, cfg.whitelist, err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok (whitelist %s: %zu entries)\n", path, cfg.whitelist, wl.nnets + wl.nmacs);
	whitelist_free(&wl);
	return 0;
}

static int signals_fd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int epoll_with(int sfd, int intake_fd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };

	ev.data.fd = sfd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0)
		return -1;
	ev.data.fd = intake_fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, intake_fd, &ev) < 0)
		return -1;
	return ep;
}

/* Returns true to keep running. */
static bool on_signal(struct nflogd *d, int sfd, int *ep)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGHUP)
			return false;
		int old_fd = intake_fd(&d->intake);

		daemon_reload(d);
		if (intake_fd(&d->intake) != old_fd) {	/* group changed: new socket */
			close(*ep);
			*ep = epoll_with(sfd, intake_fd(&d->intake));
			if (*ep < 0)
				fatalx("epoll after reload: %s", strerror(errno));
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	const char *config_path = CONFIG_DEFAULT_PATH;
	bool foreground = false, dry_run = false, test_only = false;
	int verbose = 0, opt, sfd, ep;
	struct nflogd d;
	bool running = true;

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
	if (sfd < 0)
		fatalx("signalfd: %s", strerror(errno));
	if (daemon_start(&d, config_path, dry_run) < 0)
		return 1;
	ep = epoll_with(sfd, intake_fd(&d.intake));
	if (ep < 0)
		fatalx("epoll: %s", strerror(errno));
	if (!foreground) {
		if (daemon(0, 0) < 0)
			fatalx("daemon: %s", strerror(errno));
		log_init("nflogd", false, verbose);
	}

	while (running) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, daemon_next_timeout(&d));

		if (n < 0 && errno != EINTR)
			fatalx("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd)
				running = on_signal(&d, sfd, &ep);
			else
				daemon_on_intake(&d);
		}
		daemon_on_timer(&d);
	}
	daemon_stop(&d);
	return 0;
}
