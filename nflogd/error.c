/* The one way a failure's message is handed up (error.h). */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int verror(struct error *e, bool with_errno, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int verror(struct error *e, bool with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t len;

	if (e == NULL)
		return -1;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (with_errno) {
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(saved));
	}
	errno = saved;
	return -1;
}

int error_set(struct error *e, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verror(e, false, fmt, ap);
	va_end(ap);
	return ret;
}

int error_errno(struct error *e, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verror(e, true, fmt, ap);
	va_end(ap);
	return ret;
}
