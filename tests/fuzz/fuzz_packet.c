/* packet_parse over arbitrary bytes: the packet NFLOG copied is whatever a
 * LAN host sent, so every header length in it is the sender's choice. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "packet.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn c, again;
	enum packet_result r = packet_parse(data, size, &c);

	FUZZ_CHECK(r == PACKET_OK || r == PACKET_IP_ONLY || r == PACKET_TRUNCATED ||
		   r == PACKET_MALFORMED || r == PACKET_NOT_TCP);
	/* Counted (by source at least) only behind a whole IP fixed header. */
	if (r == PACKET_OK || r == PACKET_IP_ONLY) {
		uint8_t version = data[0] >> 4;

		FUZZ_CHECK(version == 4 ? size >= 20 : version == 6 && size >= 40);
		/* Each family gives its own addresses: an IPv6 header never
		 * an IPv4 one, whatever its source (::ffff:a.b.c.d included). */
		FUZZ_CHECK(addr_is_v4(&c.src) == (version == 4));
		FUZZ_CHECK(addr_is_v4(&c.dst) == (version == 4));
		FUZZ_CHECK(c.ip_only == (r == PACKET_IP_ONLY));
		FUZZ_CHECK(conn_is_attempt(&c) || r == PACKET_OK);
	}
	if (r == PACKET_IP_ONLY)
		FUZZ_CHECK(c.sport == 0 && c.dport == 0 && c.tcp_flags == 0);
	/* Pure: the same bytes give the same answer. */
	FUZZ_CHECK(packet_parse(data, size, &again) == r);
	FUZZ_CHECK(memcmp(&c, &again, sizeof(c)) == 0);
	return 0;
}
