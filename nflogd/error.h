/* How a failure's message travels up: a function that can fail returns -1
 * (never -errno) and, when it has something to say, fills the caller's
 * struct error; the caller adds context or logs it once, at the edge
 * (log_warnx("%s", e.msg), fatalx). Nothing else formats strerror. */
#ifndef NFLOGD_ERROR_H
#define NFLOGD_ERROR_H

#define ERROR_MAX 512

struct error {
	char msg[ERROR_MAX];
};

/* Fill e (which may be NULL) and return -1: "return error_set(e, ...);". */
int error_set(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, with ": strerror(errno)" after it (errno as on entry, kept). */
int error_errno(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
