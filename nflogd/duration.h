/* Durations as users write them: "90", "90s", "30m", "2h", "7d". */
#ifndef NFLOGD_DURATION_H
#define NFLOGD_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define DURATION_MAX (100ULL * 365 * 86400)	/* a century is "forever enough" */
#define DURATION_STRLEN 24

/* Seconds; -1 on anything else (negative, empty, unknown unit, overflow). */
int duration_parse(const char *s, uint64_t *seconds);
/* Largest two units: "1h", "1h30m", "2d3h", "45s", "0s". */
const char *duration_format(uint64_t seconds, char buf[DURATION_STRLEN]);

#endif
