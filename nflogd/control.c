/* The control socket: accept, check the peer, read one request, reply. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static uint64_t tag(uint32_t kind, uint32_t value)
{
	return (uint64_t)kind << 32 | value;
}

/* A socket file left by a daemon that died: remove it, but never one that
 * a live daemon still answers on. */
static int clear_stale(const char *path, struct error *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (access(path, F_OK) != 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		return error_set(err, "control: %s: another nflogd answers there", path);
	}
	unlink(path);
	return 0;
}

int control_open(struct control *c, int epfd, const char *path, const char *group,
		 struct error *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	char dir[sizeof(c->path)];
	mode_t old;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->epfd = epfd;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (group[0]) {
		struct group *g = getgrnam(group);

		if (g == NULL) {
			return error_set(err, "control: socket_group '%s': no such group", group);
		}
		c->has_group = true;
		c->group = g->gr_gid;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	mkdir(dirname(dir), 0755);	/* /run/nflogd on a fresh boot; EEXIST is fine */
	if (clear_stale(path, err) < 0)
		return -1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	old = umask(0117);	/* srw-rw----: the kernel checks the mode on connect */
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		error_errno(err, "control: %s", path);
		umask(old);
		control_close(c);
		return -1;
	}
	umask(old);
	if ((c->has_group && chown(path, 0, c->group) < 0) || listen(c->fd, 64) < 0) {
		error_errno(err, "control: %s", path);
		control_close(c);
		return -1;
	}
	ev.data.u64 = tag(CONTROL_TAG_LISTEN, 0);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		error_errno(err, "control: epoll");
		control_close(c);
		return -1;
	}
	return 0;
}

static void drop(struct control *c, struct control_client *cl)
{
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	reply_free(&cl->out);
	cl->fd = -1;
}

void control_close(struct control *c)
{
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			drop(c, &c->clients[i]);
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	c->fd = -1;
}

/* Is gid among the supplementary groups of process pid? The kernel's own
 * list in /proc, so no NSS lookup can stall the daemon. */
static bool pid_in_group(pid_t pid, gid_t gid)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = line + 7;; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			if (g == gid)
				found = true;
		}
	}
	fclose(f);
	return found;
}

static bool peer_allowed(const struct control *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	return c->has_group && (cred.gid == c->group || pid_in_group(cred.pid, c->group));
}

/* Best effort, for a client we will not serve: one line, then close. */
static void refuse(int fd, const char *msg)
{
	ssize_t w = write(fd, msg, strlen(msg));

	(void)w;
	close(fd);
}

void control_accept(struct control *c, uint64_t now_ms)
{
	for (;;) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		int slot;

		if (fd < 0)
			return;		/* EAGAIN: all taken; EMFILE etc.: try at the next wake-up */
		if (!peer_allowed(c, fd)) {
			c->refused++;
			refuse(fd, "error permission denied: only root or socket_group may use nflogd\n");
			continue;
		}
		for (slot = 0; slot < CONTROL_MAX_CLIENTS && c->clients[slot].fd >= 0; slot++)
			;
		if (slot == CONTROL_MAX_CLIENTS) {
			c->dropped++;
			refuse(fd, "error busy: too many control clients, try again\n");
			continue;
		}
		ev.data.u64 = tag(CONTROL_TAG_CLIENT, (uint32_t)slot);
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		memset(&c->clients[slot], 0, sizeof(c->clients[slot]));
		c->clients[slot].fd = fd;
		c->clients[slot].since_ms = now_ms;
	}
}

static void want_out(struct control *c, struct control_client *cl)
{
	struct epoll_event ev = { .events = EPOLLOUT };

	if (cl->want_out)
		return;
	ev.data.u64 = tag(CONTROL_TAG_CLIENT, (uint32_t)(cl - c->clients));
	epoll_ctl(c->epfd, EPOLL_CTL_MOD, cl->fd, &ev);
	cl->want_out = true;
}

/* Send what the reply holds; once the client has taken it all, build the
 * next slice if `may_build` (one per call, so that a long reply to one
 * client does not hold up the event loop) and go on. */
static bool send_reply(struct control *c, struct control_client *cl, bool may_build, void *ctx)
{
	bool built = false;

	for (;;) {
		while (cl->sent < cl->out.len) {
			ssize_t w = send(cl->fd, cl->out.buf + cl->sent, cl->out.len - cl->sent,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
				want_out(c, cl);
				return built;	/* the rest when the client reads */
			}
			if (w < 0) {
				drop(c, cl);	/* gone: nothing more to do */
				return built;
			}
			cl->sent += (size_t)w;
		}
		if (cl->out.more == NULL)
			break;
		if (!may_build) {
			want_out(c, cl);	/* writable again at the next wake-up */
			return built;
		}
		reply_next_slice(&cl->out, ctx);
		cl->sent = 0;
		may_build = false;
		built = true;
	}
	c->served++;
	drop(c, cl);
	return built;
}

size_t control_reply_bytes(const struct control *c)
{
	size_t sum = 0;

	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			sum += c->clients[i].out.cap;
	return sum;
}

static void answer(struct control *c, struct control_client *cl, size_t len, bool whole,
		   control_handler_fn fn, void *ctx)
{
	char *line;

	reply_init(&cl->out);
	if (!whole) {
		reply_error(&cl->out, "request longer than %d bytes", PROTOCOL_REQUEST_MAX);
	} else {
		line = protocol_request_line(cl->req, len, &cl->out);
		if (line)
			fn(ctx, line, &cl->out);
	}
	/* Short replies are always given (status stays readable under load);
	 * a long one (sliced, or past a slice: a big whitelist, top 1000) only
	 * while the others leave room. */
	if ((cl->out.more || cl->out.len > REPLY_SLICE_BYTES) &&
	    control_reply_bytes(c) - cl->out.cap >= CONTROL_REPLY_MEMORY) {
		c->busy++;
		reply_error(&cl->out, "busy: replies in progress hold %zu KiB, try again",
			    (control_reply_bytes(c) - cl->out.cap) / 1024);
	}
	reply_finish(&cl->out);
	cl->replying = true;
	(void)send_reply(c, cl, false, ctx);
}

/* A request is complete at its newline, or at the client's shutdown. */
static bool read_request(struct control *c, struct control_client *cl,
			 control_handler_fn fn, void *ctx)
{
	for (;;) {
		ssize_t r = recv(cl->fd, cl->req + cl->reqlen, sizeof(cl->req) - 1 - cl->reqlen,
				 MSG_DONTWAIT);
		char *nl;

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return false;	/* wait for the rest of the line */
		if (r < 0 || (r == 0 && cl->reqlen == 0)) {
			drop(c, cl);	/* hung up before asking */
			return false;
		}
		if (r == 0) {
			answer(c, cl, cl->reqlen, true, fn, ctx);
			return true;
		}
		cl->reqlen += (size_t)r;
		nl = memchr(cl->req, '\n', cl->reqlen);
		if (nl) {
			answer(c, cl, (size_t)(nl - cl->req), true, fn, ctx);
			return true;
		}
		if (cl->reqlen == sizeof(cl->req) - 1) {
			answer(c, cl, cl->reqlen, false, fn, ctx);
			return true;
		}
	}
}

bool control_client_ready(struct control *c, int slot, uint32_t events,
			  control_handler_fn fn, void *ctx)
{
	struct control_client *cl;

	if (slot < 0 || slot >= CONTROL_MAX_CLIENTS || c->clients[slot].fd < 0)
		return false;
	cl = &c->clients[slot];
	if (cl->replying)
		return send_reply(c, cl, true, ctx);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		return read_request(c, cl, fn, ctx);
	return false;
}

void control_expire(struct control *c, uint64_t now_ms)
{
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0 && now_ms - c->clients[i].since_ms > CONTROL_TIMEOUT_MS) {
			/* A reply cut here lacks its "end" line: the client
			 * can tell that it is incomplete. */
			if (c->clients[i].replying)
				c->cut++;
			c->dropped++;
			drop(c, &c->clients[i]);
		}
}
