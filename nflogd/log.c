/* syslog, and stderr too in the foreground. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "escape.h"

static bool to_stderr = true;
static int verbosity;
static bool syslog_open;

void log_init(const char *ident, bool foreground, int verbose)
{
	to_stderr = foreground;
	verbosity = verbose;
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	syslog_open = true;
}

static void vlog(int prio, const char *fmt, va_list ap, const char *suffix)
	__attribute__((format(printf, 2, 0)));

static void vlog(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char raw[1024], msg[2048];

	/* Names, comments and messages from files and clients are in it: no
	 * control character reaches the log or the terminal. */
	vsnprintf(raw, sizeof(raw), fmt, ap);
	escape_display(msg, sizeof(msg), raw);
	if (syslog_open)
		syslog(prio, "%s%s", msg, suffix);
	if (to_stderr) {
		fprintf(stderr, "%s%s\n", msg, suffix);
		fflush(stderr);
	}
}

#define LOG_BODY(prio, suffix)            \
	do {                              \
		va_list ap;               \
		va_start(ap, fmt);        \
		vlog(prio, fmt, ap, suffix); \
		va_end(ap);               \
	} while (0)

void log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, "");
}

void log_debug(const char *fmt, ...)
{
	if (verbosity > 0)
		LOG_BODY(LOG_DEBUG, "");
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, "");
}

void log_warn(const char *fmt, ...)
{
	char suffix[256];

	snprintf(suffix, sizeof(suffix), ": %s", strerror(errno));
	LOG_BODY(LOG_WARNING, suffix);
}

void fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_ERR, "");
	exit(1);
}

void fatal(const char *fmt, ...)
{
	char suffix[256];

	snprintf(suffix, sizeof(suffix), ": %s", strerror(errno));
	LOG_BODY(LOG_ERR, suffix);
	exit(1);
}
