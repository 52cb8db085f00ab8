/* Text from outside (whitelist comments, host names, error messages) made
 * safe to show: on a terminal or in a log line no control character gets
 * through, and JSON is always valid UTF-8. */
#ifndef NFLOGD_ESCAPE_H
#define NFLOGD_ESCAPE_H

#include <stddef.h>

/* For a terminal or a log line: tab, newline and CR become \t \n \r, other
 * C0 controls, DEL and bytes that are not UTF-8 become \xNN, C1 controls
 * (U+0080 to U+009F, such as CSI U+009B) become \u00NN, the bidirectional
 * formatting characters (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066
 * to U+2069) \uNNNN; other valid UTF-8 text passes as it is. Writes at
 * most outlen - 1 bytes and a NUL (an escape is never cut in half);
 * returns the length the whole text needs, as snprintf does. */
size_t escape_display(char *out, size_t outlen, const char *in);

/* The inside of a JSON string: " and \ escaped, controls (C0, DEL, C1 and
 * the bidirectional ones above) as \uNNNN, and each byte that is not UTF-8
 * replaced by U+FFFD. Same contract. */
size_t escape_json(char *out, size_t outlen, const char *in);

/* Length of the valid UTF-8 sequence at s (1 to 4; no overlong forms,
 * surrogates or code points past U+10FFFF), its code point in *cp; 0 if
 * the bytes there are not one. */
size_t utf8_sequence(const unsigned char *s, unsigned *cp);

#endif
