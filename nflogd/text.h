/* Small helpers for the line-oriented files (config, whitelist). */
#ifndef NFLOGD_TEXT_H
#define NFLOGD_TEXT_H

/* Cut leading and trailing white space in place; returns the new start. */
char *text_trim(char *s);

#endif
