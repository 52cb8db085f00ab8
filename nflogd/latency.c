/* The last block latencies and their percentiles. */
#include "latency.h"

#include <stdlib.h>
#include <string.h>

void latency_add(struct latency *l, uint64_t us)
{
	l->us[l->added++ % LATENCY_SAMPLES] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p percent at or below it. */
static uint32_t rank(const uint32_t *sorted, uint32_t n, uint32_t percent)
{
	uint32_t r = (uint32_t)(((uint64_t)n * percent + 99) / 100);

	return sorted[r > 0 ? r - 1 : 0];
}

struct latency_summary latency_summarize(const struct latency *l)
{
	struct latency_summary s = { 0 };
	uint32_t sorted[LATENCY_SAMPLES];

	s.n = l->added < LATENCY_SAMPLES ? (uint32_t)l->added : LATENCY_SAMPLES;
	if (s.n == 0)
		return s;
	memcpy(sorted, l->us, s.n * sizeof(sorted[0]));
	qsort(sorted, s.n, sizeof(sorted[0]), cmp_u32);
	s.p50 = rank(sorted, s.n, 50);
	s.p99 = rank(sorted, s.n, 99);
	s.max = sorted[s.n - 1];
	return s;
}
