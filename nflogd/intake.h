/* NFLOG intake: bind one group, receive batched datagrams, walk their
 * messages, count what the kernel could not deliver. */
#ifndef NFLOGD_INTAKE_H
#define NFLOGD_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INTAKE_COPY_RANGE 128		/* IPv6 + extension headers + TCP flags */
#define INTAKE_NLBUFSIZ 131072		/* the kernel ignores larger values */
#define INTAKE_RCVBUF (8 << 20)		/* socket buffer: room for bursts */
#define INTAKE_RECV_BUF (512 << 10)	/* one datagram, well above nlbufsiz */

struct intake_event {
	const uint8_t *payload;		/* the copied packet, from its IP header */
	size_t len;
	const uint8_t *hwaddr;		/* source MAC, or NULL */
	size_t hwaddr_len;
	uint64_t tstamp_us;		/* kernel timestamp, 0 if absent */
};

struct intake_stats {
	uint64_t datagrams, bytes;
	uint64_t events;		/* packet messages handed on */
	uint64_t lost;			/* exactly, from sequence gaps */
	uint64_t overruns;		/* ENOBUFS: socket buffer full, datagrams dropped */
	uint64_t truncated;		/* datagrams larger than our buffer */
	uint64_t malformed;		/* messages that failed to parse */
	uint64_t seq_resets;		/* sequence went backwards (group re-created) */
	uint64_t other;			/* acks, errors, unknown message types */
};

struct intake_seq {
	bool seen;
	uint32_t next;
};

typedef void (*intake_event_fn)(void *ctx, const struct intake_event *ev);

/* Pure: walk one datagram's netlink messages, account sequence numbers and
 * call fn for each packet message. */
void intake_parse_datagram(const void *buf, size_t len, struct intake_seq *seq,
			  struct intake_stats *st, intake_event_fn fn, void *ctx);

struct intake {
	struct mnl_socket *nl;
	uint16_t group;
	uint8_t *buf;
	struct intake_seq seq;
	struct intake_stats stats;
};

/* Bind the group with headers-only copy, sequence numbers, a short flush
 * timeout. 0, or -1 with a message in err. */
int intake_open(struct intake *n, uint16_t group, uint32_t qthreshold, char *err, size_t errlen);
void intake_close(struct intake *n);
int intake_fd(const struct intake *n);
/* Receive until the socket is empty. Returns datagrams read. */
size_t intake_drain(struct intake *n, intake_event_fn fn, void *ctx);

#endif
