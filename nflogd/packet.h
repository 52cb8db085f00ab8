/* Bytes copied by NFLOG to a connection attempt: addresses, ports, flags. */
#ifndef NFLOGD_PACKET_H
#define NFLOGD_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct conn {
	struct addr src, dst;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	bool ip_only;		/* the TCP header out of reach: ports, flags 0 */
};

enum packet_result {
	PACKET_OK,
	PACKET_IP_ONLY,		/* addresses read, the TCP header out of reach */
	PACKET_TRUNCATED,	/* shorter than the IP fixed header */
	PACKET_MALFORMED,	/* impossible header values */
	PACKET_NOT_TCP,		/* another protocol, or a later fragment */
};

/* Bytes NFLOG copies of each packet (the rule's snaplen and the group's
 * copy range). A SYN is 60 (IPv4) or 80 (IPv6) bytes and comes whole; the
 * rest leaves 202 bytes of IPv6 extension headers before the 14 of TCP
 * read. Past that, the kernel's rule still saw TCP to a counted port:
 * PACKET_IP_ONLY, and the event counts by its source. */
#define PACKET_COPY_LEN 256
/* Every header is 8 bytes or more: a longer chain cannot end in a TCP
 * header inside the copy. */
#define PACKET_MAX_EXT_HEADERS ((PACKET_COPY_LEN - 40 - 14) / 8)

#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

/* Parse an IPv4 or IPv6 packet (up to PACKET_MAX_EXT_HEADERS extension
 * headers walked) up to the TCP flags. Reads nothing past len. */
enum packet_result packet_parse(const uint8_t *pkt, size_t len, struct conn *out);

/* A connection attempt is a SYN without ACK; conntrack's "new" also tags a
 * mid-stream packet it picks up loosely, which is not one. Without the
 * TCP header, the kernel's "new" is all there is to go by. */
static inline int conn_is_attempt(const struct conn *c)
{
	return c->ip_only || (c->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

#endif
