/* IPv4 / IPv6 / TCP header parsing over untrusted bytes. */
#include "packet.h"

#include <string.h>

#define IPPROTO_TCP_ 6
#define TCP_MIN_PARSED 14	/* ports, seq, ack, data offset, flags */

static enum packet_result ip_only(struct conn *out)
{
	out->ip_only = true;
	return PACKET_IP_ONLY;
}

static enum packet_result parse_tcp(const uint8_t *tcp, size_t len, struct conn *out)
{
	if (len < TCP_MIN_PARSED)
		return ip_only(out);
	if ((tcp[12] >> 4) < 5)	/* data offset below the fixed header */
		return PACKET_MALFORMED;
	out->sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
	out->dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
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
	addr_from_v4(&out->src, p + 12);
	addr_from_v4(&out->dst, p + 16);
	if (p[9] != IPPROTO_TCP_)
		return PACKET_NOT_TCP;
	if ((p[6] & 0x1f) != 0 || p[7] != 0)	/* a later fragment: no TCP header */
		return PACKET_NOT_TCP;
	/* The copy may be cut short (snaplen) but never past the datagram. */
	if (len > total)
		len = total;
	if (len < ihl)
		return ip_only(out);
	return parse_tcp(p + ihl, len - ihl, out);
}

/* The extension headers Linux walks to find TCP (ipv6_find_hdr), and the
 * others of RFC 8200's format (RFC 7045): anything else is the upper
 * layer, which the kernel would not have taken for TCP either. */
static bool is_ext_header(uint8_t next)
{
	switch (next) {
	case 0:		/* hop-by-hop options */
	case 43:	/* routing */
	case 44:	/* fragment */
	case 51:	/* authentication header */
	case 60:	/* destination options */
	case 135:	/* mobility */
	case 139:	/* HIP */
	case 140:	/* shim6 */
	case 253:	/* experiments */
	case 254:
		return true;
	default:
		return false;
	}
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
	/* From here on the addresses are known: a chain that leaves the copy
	 * or goes on too long is PACKET_IP_ONLY, never a drop. */
	for (int n = 0;; n++) {
		size_t hdrlen;

		if (next == IPPROTO_TCP_)
			return parse_tcp(p + off, len - off, out);
		if (!is_ext_header(next))	/* ESP, no-next-header, UDP, ICMPv6, ... */
			return PACKET_NOT_TCP;
		if (n == PACKET_MAX_EXT_HEADERS || len - off < 8)
			return ip_only(out);
		switch (next) {
		case 51:	/* authentication header: length in 4-octet units */
			hdrlen = ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44:	/* fragment */
			/* Only the first fragment carries the TCP header. */
			if ((p[off + 2] << 8 | (p[off + 3] & 0xf8)) != 0)
				return PACKET_NOT_TCP;
			hdrlen = 8;
			break;
		default:
			hdrlen = ((size_t)p[off + 1] + 1) * 8;
			break;
		}
		next = p[off];
		off += hdrlen;
		if (off > len)
			return ip_only(out);
	}
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
