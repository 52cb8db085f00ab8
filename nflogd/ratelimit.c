/* A fixed-window line budget with a count of what it held back. */
#include "ratelimit.h"

void ratelimit_init(struct ratelimit *r, uint32_t burst, uint32_t period_ms)
{
	r->burst = burst;
	r->period_ms = period_ms;
	r->start_ms = 0;
	r->used = 0;
	r->held = 0;
	r->held_before = 0;
}

static bool period_over(const struct ratelimit *r, uint64_t now_ms)
{
	/* An earlier time (a clock set back) ends the period too. */
	return now_ms - r->start_ms >= r->period_ms || now_ms < r->start_ms;
}

bool ratelimit_allow(struct ratelimit *r, uint64_t now_ms)
{
	if (r->burst == 0)
		return true;
	if (period_over(r, now_ms)) {
		r->held_before += r->held;	/* due to be told */
		r->held = 0;
		r->start_ms = now_ms;
		r->used = 0;
	}
	if (r->used < r->burst) {
		r->used++;
		return true;
	}
	r->held++;
	return false;
}

uint64_t ratelimit_take_held(struct ratelimit *r, uint64_t now_ms)
{
	uint64_t n = r->held_before;

	if (period_over(r, now_ms)) {
		n += r->held;
		r->held = 0;
	}
	r->held_before = 0;
	return n;
}

uint64_t ratelimit_take_all(struct ratelimit *r)
{
	uint64_t n = r->held_before + r->held;

	r->held_before = r->held = 0;
	return n;
}
