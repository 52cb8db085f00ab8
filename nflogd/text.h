/* Small helpers for the line-oriented files (config, whitelist). */
#ifndef NFLOGD_TEXT_H
#define NFLOGD_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Cut leading and trailing white space in place; returns the new start. */
char *text_trim(char *s);

/* One line of f into buf, its newline cut: 1 got one, 0 end of file, -1
 * read error. *why names what makes the line unusable, or is NULL: a line
 * that with its newline does not fit in size - 1 bytes, or one holding a
 * NUL byte (every string function would stop there and read a shorter
 * line than the file has). The rest of a long line is read and dropped. */
int text_read_line(FILE *f, char *buf, size_t size, const char **why);

#endif
