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

	FUZZ_CHECK(r == PACKET_OK || r == PACKET_TRUNCATED || r == PACKET_MALFORMED ||
		   r == PACKET_NOT_TCP);
	if (r == PACKET_OK) {
		/* An IPv4 header gives IPv4 addresses. (An IPv6 one may carry a
		 * v4-mapped source; Linux drops those on receive.) */
		FUZZ_CHECK(size >= 20 && (data[0] >> 4 == 4 || data[0] >> 4 == 6));
		if (data[0] >> 4 == 4)
			FUZZ_CHECK(addr_is_v4(&c.src) && addr_is_v4(&c.dst));
	}
	/* Pure: the same bytes give the same answer. */
	FUZZ_CHECK(packet_parse(data, size, &again) == r);
	FUZZ_CHECK(memcmp(&c, &again, sizeof(c)) == 0);
	return 0;
}
