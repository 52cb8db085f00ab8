/* The control socket: a UNIX stream socket, non-blocking, many clients at
 * once, one request and one reply per connection (protocol.h). */
#ifndef NFLOGD_CONTROL_H
#define NFLOGD_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "event_tags.h"
#include "protocol.h"

#define CONTROL_MAX_CLIENTS 256
#define CONTROL_TIMEOUT_MS 5000		/* a client that neither asks nor reads */
/* What the replies in progress may hold together: past it, a request for
 * a long reply (more than a slice) is answered "error busy". A sliced reply
 * holds one slice at a time; short ones are always answered. */
#define CONTROL_REPLY_MEMORY (4u << 20)

struct control_client {
	int fd;				/* -1: free */
	char req[PROTOCOL_REQUEST_MAX + 1];
	size_t reqlen;
	struct reply out;
	size_t sent;
	bool replying;
	bool want_out;			/* registered for EPOLLOUT */
	uint64_t since_ms;
};

typedef void (*control_handler_fn)(void *ctx, char *request, struct reply *r);

struct control {
	int fd;
	int epfd;
	char path[108];
	bool has_group;
	gid_t group;
	struct control_client clients[CONTROL_MAX_CLIENTS];
	uint64_t refused, served, dropped;
	uint64_t busy;			/* requests refused for CONTROL_REPLY_MEMORY */
	uint64_t cut;			/* replies cut off at CONTROL_TIMEOUT_MS */
};

/* Create the socket at path (mode 0660, group `group` if not empty) and
 * register it with epfd. 0, or -1 with a message. */
int control_open(struct control *c, int epfd, const char *path, const char *group,
		 struct error *err);
void control_close(struct control *c);
void control_accept(struct control *c, uint64_t now_ms);
/* A client's socket is ready: read its request and answer it, or send the
 * next part of its reply (at most one new slice of a long one). Returns
 * true when it did work that took time (a request handled or a slice
 * built): the caller then lets other event sources have their turn. */
bool control_client_ready(struct control *c, int slot, uint32_t events,
			  control_handler_fn fn, void *ctx);
/* Bytes the replies in progress hold. */
size_t control_reply_bytes(const struct control *c);
/* Drop clients idle past CONTROL_TIMEOUT_MS. */
void control_expire(struct control *c, uint64_t now_ms);

#endif
