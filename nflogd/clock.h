/* The daemon's clocks: monotonic for every decision, wall-clock for what
 * people read (the log, nflogctl, the state file). */
#ifndef NFLOGD_CLOCK_H
#define NFLOGD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static inline uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wall-clock seconds of a monotonic instant. Signed: mono_ms may lie ahead
 * (an expiry). */
static inline int64_t wall_of_monotonic(uint64_t mono_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec + ((int64_t)mono_ms - (int64_t)monotonic_ms()) / 1000;
}

#endif
