/* Escaping for terminals, log lines and JSON (escape.h). */
#include "escape.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

size_t utf8_sequence(const unsigned char *s, unsigned *cp)
{
	size_t n;
	unsigned c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;	/* a continuation byte, or a lead byte of no valid form */
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	c = s[0] & (0x7f >> n);
	min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* The Unicode bidirectional formatting characters (embeddings, overrides,
 * isolates, marks): shown raw they reorder the text around them, so a
 * comment could make a line read differently from what it is (Trojan
 * Source). */
static bool is_bidi_control(unsigned cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Output that never cuts a piece: once one does not fit, nothing more is
 * written, but the length is still counted. */
struct sink {
	char *out;
	size_t cap, len;
	bool full;
};

static void emit(struct sink *k, const char *piece, size_t n)
{
	if (!k->full && k->len + n < k->cap) {
		memcpy(k->out + k->len, piece, n);
		k->out[k->len + n] = '\0';
	} else {
		k->full = true;
	}
	k->len += n;
}

static size_t sink_end(struct sink *k)
{
	return k->len;
}

static void sink_init(struct sink *k, char *out, size_t outlen)
{
	*k = (struct sink){ .out = out, .cap = outlen };
	if (outlen)
		out[0] = '\0';
	else
		k->full = true;
}

size_t escape_display(char *out, size_t outlen, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	struct sink k;
	char esc[12];		/* room for any unsigned, though all fit in 6 */
	unsigned cp;

	sink_init(&k, out, outlen);
	while (*s) {
		size_t n = utf8_sequence(s, &cp);

		if (n == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", *s);
			emit(&k, esc, 4);
			s++;
			continue;
		}
		if (cp == '\t' || cp == '\n' || cp == '\r') {
			emit(&k, cp == '\t' ? "\\t" : cp == '\n' ? "\\n" : "\\r", 2);
		} else if (cp < 0x20 || cp == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", cp);
			emit(&k, esc, 4);
		} else if ((cp >= 0x80 && cp <= 0x9f) || is_bidi_control(cp)) {
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			emit(&k, esc, 6);
		} else {
			emit(&k, (const char *)s, n);
		}
		s += n;
	}
	return sink_end(&k);
}

size_t escape_json(char *out, size_t outlen, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	struct sink k;
	char esc[12];		/* room for any unsigned, though all fit in 6 */
	unsigned cp;

	sink_init(&k, out, outlen);
	while (*s) {
		size_t n = utf8_sequence(s, &cp);

		if (n == 0) {
			emit(&k, "\xef\xbf\xbd", 3);	/* U+FFFD */
			s++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			esc[0] = '\\', esc[1] = (char)cp;
			emit(&k, esc, 2);
		} else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
			   is_bidi_control(cp)) {
			/* C1 and bidi controls need no escape in JSON, but \uXXXX
			 * reads back as the same character in any JSON reader, and
			 * JSON printed raw to a terminal is then harmless too. */
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			emit(&k, esc, 6);
		} else {
			emit(&k, (const char *)s, n);
		}
		s += n;
	}
	return sink_end(&k);
}
