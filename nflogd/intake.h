/* NFLOG intake: bind one group, receive batched datagrams, walk their
 * messages, count what the kernel could not deliver. */
#ifndef NFLOGD_INTAKE_H
#define NFLOGD_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define INTAKE_COPY_RANGE 256		/* PACKET_COPY_LEN (packet.h) */
/* Kernel batching adapts to the load. Quiet (the usual case, and a lone
 * bot): every event is sent at once, so a block is never held back by the
 * kernel. Busy (above 2000 events/s): the kernel gathers events until its
 * buffer is full or 50 ms have passed, because a wake-up costs far more
 * than an event; flushing every tick instead would wake the daemon for
 * near-empty datagrams. From about 30000 events/s on, datagrams fill up
 * before the timer; below that the timer bounds the wait. The price: in a
 * flood, a block may come up to 50 ms after its event. The busy threshold
 * is above what the buffer holds (128 KiB asked, 256 KiB as the kernel's
 * allocator rounds it: some 1480 SYN events of 176 bytes), so the buffer,
 * not an event count, decides when a datagram goes: each is as full as it
 * can be. */
#define INTAKE_QTHRESH_QUIET 1
#define INTAKE_QTHRESH_BUSY 4096
#define INTAKE_TIMEOUT_QUIET 0		/* hundredths of a second: the next tick */
#define INTAKE_TIMEOUT_BUSY 5
#define INTAKE_BUSY_RATE 2000		/* events/s that switch batching on */
#define INTAKE_QUIET_RATE 500		/* ... and off again */
/* The rate is measured over 10 ms while quiet, and batching turns on after
 * two such periods in a row above the busy rate: a flood is noticed after
 * some 40 events, not thousands (each of which, alone in its datagram,
 * costs a wake-up), and a burst of 25 parallel connections from one mail
 * server does not hold everyone's events back. Over 100 ms while busy, so
 * a short lull does not turn it off. A bot at 1000 SYN/s stays quiet. */
#define INTAKE_RATE_PERIOD_QUIET_MS 10
#define INTAKE_RATE_PERIOD_BUSY_MS 100
#define INTAKE_BUSY_PERIODS 2
/* A busy datagram holds up to this much (~500 messages); the kernel takes
 * no more than 128 KiB. Quiet datagrams are trimmed to their one message. */
#define INTAKE_NLBUFSIZ 131072
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

/* The kernel builds the messages of a group alike: the same attributes in
 * the same order and of the same sizes, but for the payload, which comes
 * last. The layout of the last message walked (each attribute's offset and
 * header) is checked against the next message, a handful of loads that do
 * not wait on each other where a walk is a chain of them; only a message
 * that differs is walked. The same headers at the same offsets, and a last
 * attribute of the same type that ends the message, are exactly what the
 * walk would find, so the result is the same either way. */
#define INTAKE_LAYOUT_ATTRS 24		/* more: always walked */

struct intake_layout {
	uint8_t nattrs;			/* 0: nothing learnt */
	uint16_t off[INTAKE_LAYOUT_ATTRS];	/* from the message's start */
	uint32_t hdr[INTAKE_LAYOUT_ATTRS];	/* nla_len and nla_type, as in memory */
	/* Where the attributes read lie (0: absent); the payload is last. */
	uint16_t seq_off, hwaddr_off, timestamp_off;
};

/* What parsing carries from one datagram to the next. */
struct intake_state {
	bool seq_seen;
	uint32_t seq_next;
	struct intake_layout layout;
	bool walk_always;		/* tests: compare with the layout unused */
};

typedef void (*intake_event_fn)(void *ctx, const struct intake_event *ev);

/* Pure: walk one datagram's netlink messages, account sequence numbers and
 * call fn for each packet message. */
void intake_parse_datagram(const void *buf, size_t len, struct intake_state *state,
			  struct intake_stats *st, intake_event_fn fn, void *ctx);

struct intake {
	struct mnl_socket *nl;
	uint16_t group;
	uint8_t *buf;
	struct intake_state state;
	struct intake_stats stats;
	uint32_t qthreshold;		/* in force in the kernel */
	uint32_t busy_streak;		/* quiet periods in a row above the busy rate */
	uint64_t rate_since_ms, rate_events;
	uint64_t mode_switches;
};

/* Pure: the qthreshold for an event rate, with hysteresis. */
uint32_t intake_qthreshold_for(uint32_t current, uint64_t events_per_s);
/* Pure: the same, turning busy only after INTAKE_BUSY_PERIODS periods in a
 * row call for it (*streak counts them). */
uint32_t intake_next_qthreshold(uint32_t current, uint64_t events_per_s, uint32_t *streak);
/* Pure: over how many milliseconds to measure the rate in this mode. */
uint64_t intake_rate_period_ms(uint32_t qthreshold);

/* Bind the group with headers-only copy, sequence numbers, a short flush
 * timeout, quiet batching. 0, or -1 with a message in err. */
int intake_open(struct intake *n, uint16_t group, struct error *err);
/* Datagrams the kernel dropped at our socket (SO_MEMINFO): a loss at the
 * very end of a flood shows here before a sequence gap can show it. */
uint32_t intake_socket_drops(const struct intake *n);
/* After a drain: measure the rate and switch the kernel's batching. */
void intake_adapt(struct intake *n, uint64_t now_ms);
void intake_close(struct intake *n);
int intake_fd(const struct intake *n);
/* Receive until the socket is empty. Returns datagrams read. */
size_t intake_drain(struct intake *n, intake_event_fn fn, void *ctx);

#endif
