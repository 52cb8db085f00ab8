/* syslog (facility daemon), and stderr too in the foreground. */
#ifndef NFLOGD_LOG_H
#define NFLOGD_LOG_H

#include <stdbool.h>

void log_init(const char *ident, bool foreground, int verbose);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Appends ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A broken invariant or an unusable start-up: log and exit(1); fatal()
 * appends ": strerror(errno)". */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
