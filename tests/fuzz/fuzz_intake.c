/* intake_parse_datagram over arbitrary bytes: one datagram as recv() would
 * leave it, handed on event by event to packet_parse as the daemon does. */
#include <stddef.h>
#include <stdint.h>

#include "intake.h"
#include "packet.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
	const uint8_t *buf;
	size_t len;
	uint64_t events;
};

/* Whatever the walk hands on lies inside the datagram. */
static int inside(const struct walk *w, const uint8_t *p, size_t n)
{
	return p >= w->buf && p <= w->buf + w->len && n <= (size_t)(w->buf + w->len - p);
}

static void on_event(void *ctx, const struct intake_event *ev)
{
	struct walk *w = ctx;
	struct conn c;

	w->events++;
	FUZZ_CHECK(ev->payload != NULL && inside(w, ev->payload, ev->len));
	if (ev->hwaddr)
		FUZZ_CHECK(ev->hwaddr_len > 0 && inside(w, ev->hwaddr, ev->hwaddr_len));
	else
		FUZZ_CHECK(ev->hwaddr_len == 0);
	packet_parse(ev->payload, ev->len, &c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w = { data, size, 0 };
	struct intake_seq seq = { 0 };
	struct intake_stats st = { 0 };

	intake_parse_datagram(data, size, &seq, &st, on_event, &w);
	FUZZ_CHECK(st.datagrams == 1 && st.bytes == size);
	FUZZ_CHECK(st.events == w.events);
	/* A message needs at least a netlink header (16 bytes). */
	FUZZ_CHECK(st.events + st.malformed + st.other <= size / 16 + 1);
	return 0;
}
