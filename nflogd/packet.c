/* IPv4 / IPv6 / TCP header parsing over untrusted bytes. */
#include "packet.h"

#include <string.h>

#define IPPROTO_TCP_ 6
#define TCP_MIN_PARSED 14	/* ports, seq, ack, data offset, flags */
#define IPV6_MAX_EXT_HEADERS 8	/* more is an evasion attempt or garbage */

static enum packet_result parse_tcp(const uint8_t *tcp, size_t len, struct conn *out)
{
	if (len < TCP_MIN_PARSED)
		return PACKET_TRUNCATED;
	out->sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
	out->dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
	if ((tcp[12] >> 4) < 5)	/* data offset below the fixed header */
		return PACKET_MALFORMED;
	out->tcp_flags = tcp[13];
	return PACKET_OK;
}

static enum packet_result parse_ipv4(const uint8_t *p, size_t len, struct conn *out)
{
	size_t ihl, total;

	if (len < 20)
		return PACKET_TRUNCATED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	total = (size_t)(p[2] << 8 | p[3]);
	if (ihl < 20 || total < ihl)
		return PACKET_MALFORMED;
	if (len < ihl)
		return PACKET_TRUNCATED;
	addr_from_v4(&out->src, p + 12);
	addr_from_v4(&out->dst, p + 16);
	if (p[9] != IPPROTO_TCP_)
		return PACKET_NOT_TCP;
	if ((p[6] & 0x1f) != 0 || p[7] != 0)	/* a later fragment: no TCP header */
		return PACKET_NOT_TCP;
	/* The copy may be cut short (snaplen) but never past the datagram. */
	if (len > total)
		len = total;
	return parse_tcp(p + ihl, len - ihl, out);
}

static enum packet_result parse_ipv6(const uint8_t *p, size_t len, struct conn *out)
{
	size_t off = 40;
	uint8_t next;

	if (len < 40)
		return PACKET_TRUNCATED;
	addr_from_v6(&out->src, p + 8);
	addr_from_v6(&out->dst, p + 24);
	next = p[6];
	for (int n = 0; n <= IPV6_MAX_EXT_HEADERS; n++) {
		switch (next) {
		case IPPROTO_TCP_:
			return parse_tcp(p + off, len - off, out);
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
			if (len - off < 8)
				return PACKET_TRUNCATED;
			next = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51:	/* authentication header: length in 4-octet units */
			if (len - off < 8)
				return PACKET_TRUNCATED;
			next = p[off];
			off += ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44:	/* fragment */
			if (len - off < 8)
				return PACKET_TRUNCATED;
			/* Only the first fragment carries the TCP header. */
			if ((p[off + 2] << 8 | (p[off + 3] & 0xf8)) != 0)
				return PACKET_NOT_TCP;
			next = p[off];
			off += 8;
			break;
		default:	/* ESP, no-next-header, UDP, ICMPv6, ... */
			return PACKET_NOT_TCP;
		}
		if (off > len)
			return PACKET_TRUNCATED;
	}
	return PACKET_MALFORMED;
}

enum packet_result packet_parse(const uint8_t *pkt, size_t len, struct conn *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return PACKET_TRUNCATED;
	switch (pkt[0] >> 4) {
	case 4:
		return parse_ipv4(pkt, len, out);
	case 6:
		return parse_ipv6(pkt, len, out);
	default:
		return PACKET_MALFORMED;
	}
}
