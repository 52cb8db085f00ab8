/* Holding back log lines in a storm: at most `burst` lines a period, the
 * rest counted and told in one line after. 100,000 bots crossing the
 * threshold at once would otherwise write 100,000 lines, which costs more
 * than blocking them and which syslog daemons drop anyway (journald's
 * default limit is 10,000 in 30 s), without saying how many. Pure. */
#ifndef NFLOGD_RATELIMIT_H
#define NFLOGD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint32_t burst;
	uint32_t period_ms;
	uint64_t start_ms;		/* of the current period */
	uint32_t used;			/* lines let through in it */
	uint64_t held;			/* lines held back in it */
	uint64_t held_before;		/* ... in periods over, not yet told */
};

/* burst 0 (also a zeroed struct): no limit. */
void ratelimit_init(struct ratelimit *r, uint32_t burst, uint32_t period_ms);
/* May this line go out now? If not it is counted as held. */
bool ratelimit_allow(struct ratelimit *r, uint64_t now_ms);
/* The lines held back in periods that are over, each counted once: asked
 * once a second, a steady storm is told every second. */
uint64_t ratelimit_take_held(struct ratelimit *r, uint64_t now_ms);
/* Every line held back, the current period's too (at a stop). */
uint64_t ratelimit_take_all(struct ratelimit *r);

#endif
