/* Block latency: from the kernel timestamp of the event that crossed the
 * threshold to the kernel's ACK of the set insert it caused, over the last
 * LATENCY_SAMPLES automatic blocks. What `nflogctl status` reports as
 * block_latency_*; pure (the caller measures). */
#ifndef NFLOGD_LATENCY_H
#define NFLOGD_LATENCY_H

#include <stdint.h>

#define LATENCY_SAMPLES 1024

struct latency {
	uint32_t us[LATENCY_SAMPLES];	/* a ring */
	uint64_t added;
};

struct latency_summary {
	uint32_t n;			/* samples summarised (at most LATENCY_SAMPLES) */
	uint32_t p50, p99, max;		/* microseconds, nearest rank; 0 if n is 0 */
};

/* Microseconds; larger than 32 bits is clamped. */
void latency_add(struct latency *l, uint64_t us);
struct latency_summary latency_summarize(const struct latency *l);

#endif
