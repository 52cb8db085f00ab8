/* Bytes copied by NFLOG to a connection attempt: addresses, ports, flags. */
#ifndef NFLOGD_PACKET_H
#define NFLOGD_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct conn {
	struct addr src, dst;
	uint16_t sport, dport;
	uint8_t tcp_flags;
};

enum packet_result {
	PACKET_OK,
	PACKET_TRUNCATED,	/* shorter than its own headers say */
	PACKET_MALFORMED,	/* impossible header values */
	PACKET_NOT_TCP,		/* another protocol, or a later fragment */
};

#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

/* Parse an IPv4 or IPv6 packet (extension headers walked) up to the TCP
 * flags. Reads nothing past len. */
enum packet_result packet_parse(const uint8_t *pkt, size_t len, struct conn *out);

/* A connection attempt is a SYN without ACK; conntrack's "new" also tags a
 * mid-stream packet it picks up loosely, which is not one. */
static inline int conn_is_attempt(const struct conn *c)
{
	return (c->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

#endif
