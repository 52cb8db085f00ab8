/* The state file: blocks and offence history across restarts. */
#include "state.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

#define HEADER "# nflogd state "

static const char explain[] =
	"# One host per line: its address, then every key below (all required).\n"
	"#   blocked    1 while blocked; 0 keeps only the host's offence history\n"
	"#   reason     auto (crossed the threshold) or manual (nflogctl block)\n"
	"#   offences   automatic blocks so far: the next one lasts longer\n"
	"#   conns dsts new connections and distinct destinations that fired it\n"
	"#   since expires last_end  seconds since the epoch (UTC);\n"
	"#              expires=0: until unblocked, last_end=0: none ended yet\n"
	"#   mac        the host's MAC address, or - when unknown\n";

static int check_dirs(const char *dir, const char *path, char *real, struct error *err);

/* ---- saving --------------------------------------------------------------- */

/* PATH's directory into dir: "." for a bare name, "/" for a file in /. */
static int dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);

	if (len >= size)
		return -1;
	if (slash == NULL)
		snprintf(dir, size, ".");
	else
		snprintf(dir, size, "%.*s", (int)len, path);
	return 0;
}

/* mkdir -p: each missing level gets mode 0750 (the state names hosts). */
static int make_dir(char *dir, struct error *err)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return 0;
	for (char *p = dir + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
			error_errno(err, "%s: cannot create directory", dir);
			*p = c;
			return -1;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

static void write_entry(FILE *f, const struct state_entry *e)
{
	char a[ADDR_STRLEN], m[MAC_STRLEN];

	fprintf(f, "%s blocked=%d reason=%s offences=%" PRIu32 " conns=%" PRIu32
		" dsts=%" PRIu32 " since=%" PRId64 " expires=%" PRId64 " last_end=%" PRId64
		" mac=%s\n", addr_format(&e->addr, a), e->blocked ? 1 : 0,
		e->reason == REASON_MANUAL ? "manual" : "auto", e->offences, e->conns,
		e->dsts, e->since, e->expires, e->last_end,
		e->has_mac ? mac_format(&e->mac, m) : "-");
}

/* Write the whole file to tmp and make it durable; tmp is removed on error. */
static int write_tmp(const char *tmp, const struct state_entry *e, size_t n, struct error *err)
{
	FILE *f;
	int fd;

	/* A stale tmp (a crash mid-save) goes; O_EXCL then refuses anything
	 * that reappears in its place, a symlink included. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return error_errno(err, "%s", tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return error_errno(err, "%s", tmp);
	f = fdopen(fd, "w");
	if (f == NULL) {
		error_errno(err, "%s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	errno = 0;
	fprintf(f, HEADER "%d\n%s", STATE_VERSION, explain);
	for (size_t i = 0; i < n; i++)
		write_entry(f, &e[i]);
	if (fflush(f) != 0 || ferror(f) || fsync(fd) < 0) {
		if (errno == 0)
			errno = EIO;
		error_errno(err, "%s: write", tmp);
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0) {
		error_errno(err, "%s: close", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Make the rename itself durable. */
static int sync_dir(const char *dir, struct error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return error_errno(err, "%s", dir);
	/* EINVAL: this file system cannot sync a directory; nothing to do. */
	if (fsync(fd) < 0 && errno != EINVAL) {
		error_errno(err, "%s: fsync", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int state_save(const char *path, const struct state_entry *e, size_t n, struct error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX], real[PATH_MAX];
	int len = snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	if (len < 0 || (size_t)len >= sizeof(tmp) || dir_of(path, dir, sizeof(dir)) < 0)
		return error_set(err, "%s: path too long", path);
	if (make_dir(dir, err) < 0)
		return -1;
	/* What load would refuse is not written either: others could swap it. */
	if (check_dirs(dir, path, real, err) < 0)
		return STATE_REFUSED;
	if (write_tmp(tmp, e, n, err) < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		error_errno(err, "%s: rename to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return sync_dir(dir, err);
}

/* ---- parsing -------------------------------------------------------------- */

enum kind { K_BOOL, K_REASON, K_U32, K_OFFENCES, K_TIME, K_MAC };

static const struct field {
	const char *key;
	enum kind kind;
	size_t off;
} fields[] = {
	{ "blocked", K_BOOL, offsetof(struct state_entry, blocked) },
	{ "reason", K_REASON, offsetof(struct state_entry, reason) },
	{ "offences", K_OFFENCES, offsetof(struct state_entry, offences) },
	{ "conns", K_U32, offsetof(struct state_entry, conns) },
	{ "dsts", K_U32, offsetof(struct state_entry, dsts) },
	{ "since", K_TIME, offsetof(struct state_entry, since) },
	{ "expires", K_TIME, offsetof(struct state_entry, expires) },
	{ "last_end", K_TIME, offsetof(struct state_entry, last_end) },
	{ "mac", K_MAC, offsetof(struct state_entry, mac) },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct parser {
	FILE *f;
	const char *name;
	unsigned line;
	struct error msg;	/* what is wrong with the current line */
	struct state_entry *v;
	unsigned *lines;		/* the line of each entry */
	size_t n, cap;
	uint32_t *slots;		/* entry index + 1 by address; 0 empty */
	size_t nslots;
};

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "NAME:LINE: message" in p->msg. */
static int perr(struct parser *p, const char *fmt, ...)
{
	char what[ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error_set(&p->msg, "%s:%u: %s", p->name, p->line, what);
}

/* One line into buf, its newline stripped and at most size - 1 of its bytes
 * kept (*len of them): 1 got one, 0 end of file, -1 read error. *why is
 * what makes the line unusable, or NULL. Every line we write ends in a
 * newline, so a last line without one was cut short and its last number
 * may be wrong. */
static int read_line(struct parser *p, char *buf, size_t size, size_t *len, const char **why)
{
	size_t n = 0, total = 0;
	bool nul = false;
	int c;

	/* The stream is ours alone: no lock taken per byte. */
	while ((c = getc_unlocked(p->f)) != EOF && c != '\n') {
		nul |= c == '\0';
		if (n < size - 1)
			buf[n++] = (char)c;
		total++;
	}
	if (c == EOF && ferror(p->f)) {
		struct error e;

		p->line++;
		error_errno(&e, "read error");
		return perr(p, "%s", e.msg);
	}
	if (c == EOF && total == 0)
		return 0;
	p->line++;
	buf[n] = '\0';
	*len = n;
	*why = total >= size ? "line too long" : nul ? "NUL byte in line"
		: c == EOF ? "last line has no newline: the file was cut short" : NULL;
	return 1;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_header(struct parser *p, char *buf, size_t size)
{
	const char *why;
	size_t hlen = strlen(HEADER), len;
	uint64_t version;
	int rc = read_line(p, buf, size, &len, &why);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		p->line = 1;
		return perr(p, "empty file: expected '" HEADER "%d'", STATE_VERSION);
	}
	if (why)
		return perr(p, "%s", why);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	if (strncmp(buf, HEADER, hlen) != 0 || parse_u64(buf + hlen, UINT32_MAX, &version) < 0)
		return perr(p, "not an nflogd state file: the first line must be '"
			    HEADER "%d'", STATE_VERSION);
	if (version != STATE_VERSION)
		return perr(p, "state version %" PRIu64 " is not supported (this nflogd reads %d)",
			    version, STATE_VERSION);
	return 0;
}

/* NULL, or what is wrong with the value. */
static const char *set_field(struct state_entry *e, const struct field *fd, const char *v)
{
	char *dst = (char *)e + fd->off;
	uint64_t u;

	switch (fd->kind) {
	case K_BOOL:
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return "expected 0 or 1";
		*(bool *)(void *)dst = v[0] == '1';
		return NULL;
	case K_REASON:
		if (strcmp(v, "auto") == 0)
			e->reason = REASON_AUTO;
		else if (strcmp(v, "manual") == 0)
			e->reason = REASON_MANUAL;
		else
			return "expected auto or manual";
		return NULL;
	case K_U32:
		if (parse_u64(v, UINT32_MAX, &u) < 0)
			return "expected a number from 0 to 4294967295";
		*(uint32_t *)(void *)dst = (uint32_t)u;
		return NULL;
	case K_OFFENCES:
		if (parse_u64(v, STATE_OFFENCES_MAX, &u) < 0)
			return "expected a number from 0 to 1000000";
		*(uint32_t *)(void *)dst = (uint32_t)u;
		return NULL;
	case K_TIME:
		/* Never negative: 0 means none, and a time before 1970 is damage. */
		if (parse_u64(v, (uint64_t)STATE_TIME_MAX, &u) < 0)
			return "expected seconds since the epoch, 0 to 253402300799";
		*(int64_t *)(void *)dst = (int64_t)u;
		return NULL;
	case K_MAC:
		e->has_mac = strcmp(v, "-") != 0;
		if (e->has_mac && mac_parse(v, &e->mac) < 0)
			return "expected a MAC address or -";
		return NULL;
	}
	return "unknown field type";
}

static int parse_entry(struct parser *p, char *s, struct state_entry *e)
{
	const char *sep = " \t\r";
	char *save, *tok = strtok_r(s, sep, &save);
	unsigned have = 0;

	memset(e, 0, sizeof(*e));
	if (addr_parse(tok, &e->addr) < 0)
		return perr(p, "bad address '%.64s'", tok);
	while ((tok = strtok_r(NULL, sep, &save)) != NULL) {
		char *eq = strchr(tok, '=');
		const char *msg;
		size_t i;

		if (eq == NULL)
			return perr(p, "expected key=value, got '%.64s'", tok);
		*eq = '\0';
		for (i = 0; i < NFIELDS && strcmp(fields[i].key, tok) != 0; i++)
			;
		if (i == NFIELDS)
			return perr(p, "unknown key '%.64s'", tok);
		if (have & (1u << i))
			return perr(p, "key '%s' given twice", tok);
		have |= 1u << i;
		if ((msg = set_field(e, &fields[i], eq + 1)) != NULL)
			return perr(p, "%s: %s: '%.64s'", tok, msg, eq + 1);
	}
	for (size_t i = 0; i < NFIELDS; i++)
		if (!(have & (1u << i)))
			return perr(p, "missing key '%s'", fields[i].key);
	if (e->blocked && e->since == 0)
		return perr(p, "blocked=1 needs its since");
	if (e->blocked && e->expires != 0 && e->expires < e->since)
		return perr(p, "expires %" PRId64 " is before since %" PRId64, e->expires, e->since);
	return 0;
}

/* Room for one more entry. */
static int reserve(struct parser *p)
{
	size_t cap = p->cap ? p->cap * 2 : 16;
	void *v, *lines;

	if (p->n < p->cap)
		return 0;
	if ((v = realloc(p->v, cap * sizeof(*p->v))) == NULL)
		return -1;
	p->v = v;
	if ((lines = realloc(p->lines, cap * sizeof(*p->lines))) == NULL)
		return -1;
	p->lines = lines;
	p->cap = cap;
	return 0;
}

static size_t slot_of(const struct parser *p, const struct addr *a)
{
	size_t mask = p->nslots - 1, i = addr_hash(a, 0) & mask;

	while (p->slots[i] != 0 && !addr_equal(&p->v[p->slots[i] - 1].addr, a))
		i = (i + 1) & mask;
	return i;
}

/* The index stays at most half full: grown (and rebuilt) before that. */
static int index_grow(struct parser *p)
{
	size_t want = p->nslots ? p->nslots * 2 : 64;
	uint32_t *slots;

	if ((p->n + 1) * 2 <= p->nslots)
		return 0;
	if (p->n >= UINT32_MAX / 2 || (slots = calloc(want, sizeof(*slots))) == NULL)
		return -1;
	free(p->slots);
	p->slots = slots;
	p->nslots = want;
	for (size_t i = 0; i < p->n; i++)
		p->slots[slot_of(p, &p->v[i].addr)] = (uint32_t)(i + 1);
	return 0;
}

/* Keep the entry parsed into v[n], unless its host came earlier: two lines
 * for one host cannot both be right, and the first is kept. */
static int keep_entry(struct parser *p)
{
	char a[ADDR_STRLEN];
	size_t i;

	if (index_grow(p) < 0)
		return -2;
	i = slot_of(p, &p->v[p->n].addr);
	if (p->slots[i] != 0)
		return perr(p, "duplicate address %s (also on line %u, which is kept)",
			    addr_format(&p->v[p->n].addr, a), p->lines[p->slots[i] - 1]);
	p->slots[i] = (uint32_t)(p->n + 1);
	p->lines[p->n++] = p->line;
	return 0;
}

/* One line after the header: 0 kept or skipped, -1 bad (p->msg says why),
 * -2 out of memory. */
static int parse_line(struct parser *p, char *buf, const char *why)
{
	char *s = buf;

	if (why)
		return perr(p, "%s", why);
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	if (reserve(p) < 0)
		return -2;
	if (parse_entry(p, s, &p->v[p->n]) < 0)
		return -1;
	return keep_entry(p);
}

static int parse_lines(struct parser *p, state_bad_line_fn *bad, void *ctx)
{
	char buf[STATE_LINE_MAX], copy[STATE_LINE_MAX];
	const char *why;
	size_t len;
	int rc, nbad = 0;

	if (parse_header(p, buf, sizeof(buf)) < 0)
		return -1;
	while ((rc = read_line(p, buf, sizeof(buf), &len, &why)) > 0) {
		memcpy(copy, buf, len);	/* parsing cuts buf up; the bad line goes as read */
		rc = parse_line(p, buf, why);
		if (rc == -2)
			return perr(p, "out of memory");
		if (rc == -1) {
			if (bad)
				bad(ctx, p->line, p->msg.msg, copy, len);
			nbad += nbad < INT32_MAX;
		}
	}
	return rc < 0 ? -1 : nbad;
}

int state_parse(FILE *f, const char *name, struct state_entry **out, size_t *n,
		state_bad_line_fn *bad, void *ctx, struct error *err)
{
	struct parser p = { .f = f, .name = name };
	int rc = parse_lines(&p, bad, ctx);

	free(p.lines);
	free(p.slots);
	if (rc < 0)
		error_set(err, "%s", p.msg.msg);
	if (rc < 0 || p.n == 0) {
		free(p.v);
		p.v = NULL;
		p.n = 0;
	}
	*out = p.v;
	*n = p.n;
	return rc;
}

/* Whoever may write the file or replace it in its directory could forge
 * blocks: refuse what is not ours alone (as sshd does for its keys). */
static const char *untrusted(const struct stat *st)
{
	if (st->st_uid != geteuid())
		return "owned by another user";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

size_t state_dirs_untrusted(const struct state_dir *dirs, size_t n, uid_t me, const char **why)
{
	for (size_t i = 0; i < n; i++) {
		bool open_to_others = dirs[i].mode & (S_IWGRP | S_IWOTH);

		*why = NULL;
		if (i == 0 && dirs[i].uid != me)
			*why = "owned by another user";
		else if (i > 0 && dirs[i].uid != 0 && dirs[i].uid != me)
			*why = "owned by another user";
		/* The daemon creates files in the holding directory (tmp, .bad,
		 * refused-...): there even a sticky bit would let others plant
		 * them. Above it, a sticky root directory (/tmp) lets nobody
		 * rename what they do not own. */
		else if (open_to_others && (i == 0 || !(dirs[i].mode & S_ISVTX) || dirs[i].uid != 0))
			*why = "writable by group or others";
		if (*why != NULL)
			return i;
	}
	return n;
}

/* The (uid, mode) of the real path's directories, from real itself up to /;
 * len[i] is the length of the i-th one's name in real. */
static int collect_dirs(const char *real, struct state_dir *dirs, size_t *len, size_t max,
			size_t *n, struct error *err)
{
	char p[PATH_MAX];
	size_t l = strlen(real);
	struct stat st;

	for (*n = 0; *n < max; (*n)++) {
		snprintf(p, sizeof(p), "%.*s", (int)(l ? l : 1), real);
		if (stat(p, &st) < 0)
			return error_errno(err, "%s", p);
		dirs[*n] = (struct state_dir){ st.st_uid, st.st_mode };
		len[*n] = l ? l : 1;
		if (l <= 1) {
			(*n)++;
			return 0;
		}
		while (l > 0 && real[l - 1] != '/')
			l--;
		if (l > 1)
			l--;	/* "/a/b" -> "/a"; "/a" -> "/" */
	}
	return error_set(err, "%s: too deep", real);
}

#define STATE_DIRS_MAX (PATH_MAX / 2)

/* DIR and every directory above it, symbolic links resolved, as
 * state_dirs_untrusted wants them; the real path into real. */
static int check_dirs(const char *dir, const char *path, char *real, struct error *err)
{
	struct state_dir dirs[STATE_DIRS_MAX];
	size_t len[STATE_DIRS_MAX];
	const char *why;
	struct error e;
	size_t n, bad;

	if (realpath(dir, real) == NULL) {
		error_errno(&e, "%s: its directory %s", path, dir);
		return error_set(err, "%s: refused", e.msg);
	}
	if (collect_dirs(real, dirs, len, STATE_DIRS_MAX, &n, &e) < 0)
		return error_set(err, "%s: its directory %s: %s: refused", path, dir, e.msg);
	bad = state_dirs_untrusted(dirs, n, geteuid(), &why);
	if (bad == n)
		return 0;
	if (bad == 0)
		return error_set(err, "%s: its directory %s is %s (uid %u, mode %04o): refused",
				 path, real, why, (unsigned)dirs[0].uid,
				 (unsigned)(dirs[0].mode & 07777));
	return error_set(err, "%s: the directory %.*s above it is %s (uid %u, mode %04o): "
			 "refused; whoever may write there can replace it", path, (int)len[bad],
			 real, why, (unsigned)dirs[bad].uid, (unsigned)(dirs[bad].mode & 07777));
}

static int check_trust(int fd, const char *path, struct error *err)
{
	struct stat st, again;
	char dir[PATH_MAX], real[PATH_MAX], file[PATH_MAX + 2];
	const char *why, *base = strrchr(path, '/');
	struct error e;

	if (fstat(fd, &st) < 0) {
		error_errno(&e, "%s", path);
		return error_set(err, "%s: refused", e.msg);
	}
	if (!S_ISREG(st.st_mode))
		return error_set(err, "%s: not a regular file: refused", path);
	if ((why = untrusted(&st)) != NULL)
		return error_set(err, "%s: %s (uid %u, mode %04o): refused; it must be the daemon's "
				 "alone", path, why, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	if (dir_of(path, dir, sizeof(dir)) < 0)
		return error_set(err, "%s: path too long: refused", path);
	if (check_dirs(dir, path, real, err) < 0)
		return -1;
	/* The file read must be the one in the directories just checked. */
	snprintf(file, sizeof(file), "%s/%s", strcmp(real, "/") ? real : "",
		 base ? base + 1 : path);
	if (lstat(file, &again) < 0 || again.st_dev != st.st_dev || again.st_ino != st.st_ino)
		return error_set(err, "%s: replaced while it was checked: refused", path);
	return 0;
}

int state_load(const char *path, struct state_entry **out, size_t *n,
	       state_bad_line_fn *bad, void *ctx, struct error *err)
{
	/* Not blocking: a FIFO put there must not hang the start. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	FILE *f;
	int rc;

	*out = NULL;
	*n = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP) {
			error_set(err, "%s: a symbolic link: refused", path);
			return STATE_REFUSED;
		}
		return error_errno(err, "%s", path);
	}
	if (check_trust(fd, path, err) < 0) {
		close(fd);
		return STATE_REFUSED;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		error_errno(err, "%s", path);
		close(fd);
		return -1;
	}
	rc = state_parse(f, path, out, n, bad, ctx, err);
	fclose(f);
	return rc;
}

int state_move_aside(const char *path, const char *tag, char *newpath, size_t len)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	struct stat st;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) == 0) {
		errno = EOVERFLOW;
		return -1;
	}
	/* Keep every copy set aside: a second one in the same second gets -1. */
	for (unsigned i = 0; i < 100; i++) {
		int w = i == 0 ? snprintf(newpath, len, "%s.%s-%s", path, tag, stamp)
			       : snprintf(newpath, len, "%s.%s-%s-%u", path, tag, stamp, i);

		if (w < 0 || (size_t)w >= len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (lstat(newpath, &st) == 0)
			continue;
		if (errno != ENOENT)
			return -1;
		return rename(path, newpath);
	}
	errno = EEXIST;
	return -1;
}
