/* intake_parse_datagram over arbitrary bytes: one datagram as recv() would
 * leave it, handed on event by event to packet_parse as the daemon does.
 * Parsed twice, with the learnt layout and always walked: the two must hand
 * on the same events and count the same. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "intake.h"
#include "packet.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEN 8192		/* > the most messages a 64 KiB input holds */

struct seen_event {
	size_t payload, len, hwaddr, hwaddr_len;	/* offsets into the input */
	uint64_t tstamp_us;
};

struct walk {
	const uint8_t *buf;
	size_t len;
	uint64_t events;
	struct seen_event *seen;
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

	FUZZ_CHECK(ev->payload != NULL && inside(w, ev->payload, ev->len));
	if (ev->hwaddr)
		FUZZ_CHECK(ev->hwaddr_len > 0 && inside(w, ev->hwaddr, ev->hwaddr_len));
	else
		FUZZ_CHECK(ev->hwaddr_len == 0);
	if (w->events < MAX_SEEN) {
		struct seen_event *e = &w->seen[w->events];

		e->payload = (size_t)(ev->payload - w->buf);
		e->len = ev->len;
		e->hwaddr = ev->hwaddr ? (size_t)(ev->hwaddr - w->buf) : SIZE_MAX;
		e->hwaddr_len = ev->hwaddr_len;
		e->tstamp_us = ev->tstamp_us;
	}
	w->events++;
	packet_parse(ev->payload, ev->len, &c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen_event seen_fast[MAX_SEEN], seen_walked[MAX_SEEN];
	struct walk fast = { data, size, 0, seen_fast }, walked = { data, size, 0, seen_walked };
	struct intake_state fast_state = { 0 }, walked_state = { .walk_always = true };
	struct intake_stats st = { 0 }, walked_st = { 0 };

	intake_parse_datagram(data, size, &fast_state, &st, on_event, &fast);
	FUZZ_CHECK(st.datagrams == 1 && st.bytes == size);
	FUZZ_CHECK(st.events == fast.events);
	/* A message needs at least a netlink header (16 bytes). */
	FUZZ_CHECK(st.events + st.malformed + st.other <= size / 16 + 1);

	intake_parse_datagram(data, size, &walked_state, &walked_st, on_event, &walked);
	FUZZ_CHECK(memcmp(&st, &walked_st, sizeof(st)) == 0);
	FUZZ_CHECK(fast.events == walked.events);
	FUZZ_CHECK(memcmp(seen_fast, seen_walked,
			  (fast.events < MAX_SEEN ? fast.events : MAX_SEEN) * sizeof(seen_fast[0])) == 0);
	FUZZ_CHECK(fast_state.seq_seen == walked_state.seq_seen &&
		   fast_state.seq_next == walked_state.seq_next);
	return 0;
}
