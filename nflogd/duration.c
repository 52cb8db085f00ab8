/* Durations as users write them. */
#include "duration.h"

#include <ctype.h>
#include <stdio.h>

static const struct {
	char suffix;
	uint64_t seconds;
} units[] = {
	{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
};

int duration_parse(const char *s, uint64_t *seconds)
{
	uint64_t n = 0, mult = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > DURATION_MAX)
			return -1;
	}
	if (*p != '\0') {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*p == units[i].suffix)
				break;
		if (i == sizeof(units) / sizeof(units[0]) || p[1] != '\0')
			return -1;
		mult = units[i].seconds;
	}
	if (n > DURATION_MAX / mult)
		return -1;
	*seconds = n * mult;
	return 0;
}

const char *duration_format(uint64_t seconds, char buf[DURATION_STRLEN])
{
	size_t i, used = 0;
	int shown = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && shown < 2; i++) {
		uint64_t n = seconds / units[i].seconds;

		if (n == 0 && shown == 0)
			continue;
		if (n == 0)	/* "1h" rather than "1h0m" */
			break;
		used += (size_t)snprintf(buf + used, DURATION_STRLEN - used, "%llu%c",
					 (unsigned long long)n, units[i].suffix);
		seconds %= units[i].seconds;
		shown++;
	}
	if (shown == 0)
		snprintf(buf, DURATION_STRLEN, "0s");
	return buf;
}
