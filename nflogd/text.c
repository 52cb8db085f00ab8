/* Small helpers for the line-oriented files. */
#include "text.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

char *text_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int text_read_line(FILE *f, char *buf, size_t size, const char **why)
{
	size_t n = 0, total = 0;
	bool nul = false;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		nul |= c == '\0';
		if (n + 2 < size)	/* room kept for the newline, as fgets has it */
			buf[n++] = (char)c;
		total++;
	}
	if (c == EOF && (ferror(f) || total == 0))
		return ferror(f) ? -1 : 0;
	buf[n] = '\0';
	*why = total + 2 > size ? "line too long" : nul ? "NUL byte in line" : NULL;
	return 1;
}
