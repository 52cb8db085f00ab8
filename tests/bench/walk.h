/* walk_datagram: what intake_parse_datagram does, in one inline pass.
 *
 * The same checks (message and attribute bounds, the message ending exactly
 * on its last attribute, a payload present), the same fields picked
 * (payload, hwaddr, seq; the timestamp is not needed by nflogd's decisions
 * and skipped here) and the same sequence accounting, without
 * libnetfilter_log's nflog_nlmsg_parse (a callback and several libmnl calls
 * per attribute) and without a second walk (attrs_fill_message). The
 * benchmarks use it as a reference for what the intake parse could cost:
 * it is not nflogd's code. */
#ifndef NFLOGD_BENCH_WALK_H
#define NFLOGD_BENCH_WALK_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <libnetfilter_log/libnetfilter_log.h>

#include "intake.h"

#ifndef NFLOG_PACKET_TYPE
#define NFLOG_PACKET_TYPE ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)
#endif

static inline void walk_datagram(const void *buf, size_t len, struct intake_state *state,
				 struct intake_stats *st, intake_event_fn fn, void *ctx)
{
	const uint8_t *p = buf, *end = p + len;

	st->datagrams++;
	st->bytes += len;
	while ((size_t)(end - p) >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const void *)p;
		const uint8_t *a, *mend;
		struct intake_event ev = { 0 };
		bool ok = true, have_seq = false;
		uint32_t got = 0;

		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > (size_t)(end - p))
			break;
		mend = p + nlh->nlmsg_len;
		p += NLMSG_ALIGN(nlh->nlmsg_len);
		if (nlh->nlmsg_type != NFLOG_PACKET_TYPE) {
			if (nlh->nlmsg_type != NLMSG_DONE)
				st->other++;
			continue;
		}
		a = (const uint8_t *)nlh + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
		while (a + sizeof(struct nlattr) <= mend) {
			const struct nlattr *at = (const void *)a;
			size_t alen = at->nla_len, plen = alen - sizeof(*at);
			const uint8_t *pl = a + sizeof(*at);

			if (alen < sizeof(*at) || alen > (size_t)(mend - a)) {
				ok = false;
				break;
			}
			switch (at->nla_type & NLA_TYPE_MASK) {
			case NFULA_SEQ:
				if (plen != 4) { ok = false; break; }
				memcpy(&got, pl, 4);
				have_seq = true;
				break;
			case NFULA_PAYLOAD:
				ev.payload = pl;
				ev.len = plen;
				break;
			case NFULA_HWADDR:
				if (plen >= sizeof(struct nfulnl_msg_packet_hw)) {
					uint16_t hl = (uint16_t)(pl[0] << 8 | pl[1]);

					if (hl > 0 && hl <= 8) {
						ev.hwaddr = pl + 4;
						ev.hwaddr_len = hl;
					}
				}
				break;
			}
			a += NLA_ALIGN(alen);
		}
		if (have_seq) {
			got = ntohl(got);
			if (state->seq_seen && got != state->seq_next) {
				if (got - state->seq_next < (1u << 31))
					st->lost += got - state->seq_next;
				else
					st->seq_resets++;
			}
			state->seq_seen = true;
			state->seq_next = got + 1;
		}
		if (!ok || a != mend || ev.payload == NULL) {
			st->malformed++;
			continue;
		}
		st->events++;
		fn(ctx, &ev);
	}
	if (p != end)
		st->malformed++;
}

#endif
