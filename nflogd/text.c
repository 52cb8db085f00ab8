/* Small helpers for the line-oriented files. */
#include "text.h"

#include <ctype.h>
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
