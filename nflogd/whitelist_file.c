/* The whitelist file edited in place for nflogctl: read it whole, check it
 * loads, change lines, write PATH.tmp beside it, fsync, rename, fsync the
 * directory. Lines other than the one added or removed are copied as bytes. */
#include "whitelist_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"
#include "whitelist.h"

/* whitelist_parse reads lines into 512 bytes: 510 characters, '\n', NUL. */
#define LINE_MAX_LEN 510

/* "ENTRY  # COMMENT\n" */
_Static_assert(CIDR_STRLEN - 1 + 4 + WHITELIST_COMMENT_MAX + 1 <= LINE_MAX_LEN + 1,
	       "an added line must fit whitelist_parse's line buffer");

static const char header[] =
	"# nflogd whitelist: hosts never counted and never blocked.\n"
	"# One address, CIDR or MAC per line; a comment may follow '#'.\n";

struct entry {
	bool is_mac;
	struct cidr net;
	struct mac mac;
};

/* The file as read, and what it takes to replace it alike. */
struct text {
	const char *name;	/* as the caller gave it, for messages */
	char *path;		/* symlinks resolved: the file rename replaces */
	char *buf;
	size_t len;
	bool exists;
	struct stat st;
};

/* Explicit ranges, not iscntrl: its answer for bytes >= 0x80 (UTF-8) depends
 * on the locale. */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool entry_equal(const struct entry *a, const struct entry *b)
{
	if (a->is_mac != b->is_mac)
		return false;
	if (a->is_mac)
		return mac_equal(&a->mac, &b->mac);
	return a->net.prefix == b->net.prefix && addr_equal(&a->net.base, &b->net.base);
}

/* A single host prints bare, as an administrator writes it. IPv4 is held
 * mapped, so a /32 is a prefix of 128 too. */
static const char *entry_format(const struct entry *e, char buf[CIDR_STRLEN])
{
	if (e->is_mac)
		return mac_format(&e->mac, buf);
	if (e->net.prefix == 128)
		return addr_format(&e->net.base, buf);
	return cidr_format(&e->net, buf);
}

static int entry_arg(const char *s, struct entry *e, struct error *err)
{
	memset(e, 0, sizeof(*e));
	if (s == NULL || *s == '\0')
		return error_set(err, "no address, CIDR or MAC given");
	if (whitelist_parse_entry(s, &e->net, &e->mac, &e->is_mac) == 0)
		return 0;
	if (has_control(s))	/* not echoed: the message must stay one line */
		return error_set(err, "entry: not an address, CIDR or MAC");
	return error_set(err, "'%s': not an address, CIDR or MAC", s);
}

/* The comment as it will be written: one line, trimmed, short enough. */
static int comment_arg(const char *s, char out[WHITELIST_COMMENT_MAX + 1],
		       struct error *err)
{
	size_t len;

	out[0] = '\0';
	if (s == NULL)
		return 0;
	if (has_control(s))
		return error_set(err, "comment: control characters are not allowed");
	while (*s == ' ')
		s++;
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (len > WHITELIST_COMMENT_MAX)
		return error_set(err, "comment: longer than %d bytes",
			    WHITELIST_COMMENT_MAX);
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Cut at WHITELIST_COMMENT_MAX bytes, backing off to the start of a UTF-8
 * character rather than splitting it. */
static void comment_copy(char out[WHITELIST_COMMENT_MAX + 1], const char *s)
{
	size_t n = strlen(s);

	if (n > WHITELIST_COMMENT_MAX) {
		n = WHITELIST_COMMENT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

/* The line at *off in BUF, with its '\n' if it has one; false at the end. */
static bool next_line(const char *buf, size_t len, size_t *off, const char **line,
		      size_t *linelen)
{
	const char *nl;

	if (*off >= len)
		return false;
	*line = buf + *off;
	nl = memchr(*line, '\n', len - *off);
	*linelen = nl ? (size_t)(nl - *line) + 1 : len - *off;
	*off += *linelen;
	return true;
}

/* One line read the way whitelist_parse reads it: the entry before '#',
 * the comment after, both trimmed. 1 an entry, 0 none, -1 not an entry.
 * COMMENT may be NULL. */
static int line_read(const char *line, size_t len, struct entry *e,
		     char comment[WHITELIST_COMMENT_MAX + 1])
{
	char buf[LINE_MAX_LEN + 2];
	char *hash, *s;

	if (len >= sizeof(buf))		/* text_check lets none through */
		return -1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (comment)
		comment[0] = '\0';
	hash = strchr(buf, '#');
	if (hash) {
		*hash = '\0';
		if (comment)
			comment_copy(comment, text_trim(hash + 1));
	}
	s = text_trim(buf);
	if (*s == '\0')
		return 0;
	memset(e, 0, sizeof(*e));
	if (whitelist_parse_entry(s, &e->net, &e->mac, &e->is_mac) < 0)
		return -1;
	return 1;
}

static void text_free(struct text *t)
{
	free(t->path);
	free(t->buf);
}

static int read_all(int fd, struct text *t)
{
	size_t cap = 0;

	for (;;) {
		ssize_t n;

		if (t->len == cap) {
			/* st_size is a hint: one byte more sees the end in one go. */
			size_t want = cap ? cap * 2 : (size_t)t->st.st_size + 1;
			char *p = realloc(t->buf, want);

			if (p == NULL)
				return -1;
			t->buf = p;
			cap = want;
		}
		n = read(fd, t->buf + t->len, cap - t->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		t->len += (size_t)n;
	}
}

/* Read all of PATH; a missing file reads as empty with exists false. */
static int text_read(struct text *t, const char *path, struct error *err)
{
	int fd, rc;

	memset(t, 0, sizeof(*t));
	t->name = path;
	/* Edit through a symlink, not over it: the file may live elsewhere
	 * (a configuration repository) and be linked into /etc. */
	t->path = realpath(path, NULL);
	if (t->path == NULL && errno == ENOENT)
		t->path = strdup(path);
	if (t->path == NULL)
		return error_errno(err, "%s", path);
	fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return error_errno(err, "%s", path);
	t->exists = true;
	if (fstat(fd, &t->st) < 0) {
		rc = error_errno(err, "%s", path);
	} else if (!S_ISREG(t->st.st_mode)) {
		rc = error_set(err, "%s: not a regular file", path);
	} else {
		rc = read_all(fd, t);
		if (rc < 0)
			error_errno(err, "%s", path);
	}
	close(fd);
	return rc;
}

/* Refuse what the daemon would not load, with the error it would give. */
static int text_check(const char *name, char *buf, size_t len, struct error *err)
{
	struct whitelist wl;
	FILE *f;
	int rc;

	if (len == 0)		/* loads as empty; fmemopen may refuse size 0 */
		return 0;
	f = fmemopen(buf, len, "r");
	if (f == NULL)
		return error_errno(err, "%s", name);
	rc = whitelist_parse(&wl, f, name, err);
	fclose(f);
	if (rc < 0)
		return -1;
	whitelist_free(&wl);
	return 0;
}

/* Line number of the first line holding E, 0 if none. */
static unsigned text_find(const struct text *t, const struct entry *e)
{
	const char *line;
	size_t off = 0, len;
	unsigned lineno = 0;
	struct entry have;

	while (next_line(t->buf, t->len, &off, &line, &len)) {
		lineno++;
		if (line_read(line, len, &have, NULL) == 1 && entry_equal(&have, e))
			return lineno;
	}
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory holding PATH, opened for fsync. */
static int open_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash == NULL)
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (slash == path)
		return open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	return fd;
}

/* Fill the fresh TMP: owner where we may (only root can give a file away,
 * and EPERM is no reason to refuse the edit), then mode, as chown can clear
 * mode bits. */
static int tmp_fill(int fd, const struct text *t, const char *buf, size_t len)
{
	if (t->exists && fchown(fd, t->st.st_uid, t->st.st_gid) < 0 && errno != EPERM)
		return -1;
	if (fchmod(fd, t->exists ? t->st.st_mode & 07777 : 0644) < 0)
		return -1;
	if (write_all(fd, buf, len) < 0 || fsync(fd) < 0)
		return -1;
	return 0;
}

/* Replace the file with BUF through PATH.tmp; on failure the file is as it
 * was and the .tmp gone. */
static int text_install(const struct text *t, char *buf, size_t len, struct error *err)
{
	char *tmp = NULL;
	int fd, dfd, rc = -1;

	if (text_check(t->name, buf, len, err) < 0)
		return -1;
	if (asprintf(&tmp, "%s.tmp", t->path) < 0)
		return error_set(err, "%s: out of memory", t->name);
	dfd = open_dir(t->path);
	if (dfd < 0) {
		error_errno(err, "%s: directory", t->name);
		goto out;
	}
	/* A .tmp left by a crash is ours to replace; O_EXCL and O_NOFOLLOW
	 * then guarantee we write a file of our own making. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		error_errno(err, "%s", tmp);
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		error_errno(err, "%s", tmp);
		goto out;
	}
	if (tmp_fill(fd, t, buf, len) < 0) {
		error_errno(err, "%s", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, t->path) < 0) {
		error_errno(err, "%s", tmp);
		unlink(tmp);
		goto out;
	}
	/* Without this the rename may not survive a crash. */
	if (fsync(dfd) < 0) {
		error_errno(err, "%s: replaced, but syncing its directory failed", t->name);
		goto out;
	}
	rc = 0;
out:
	if (dfd >= 0)
		close(dfd);
	free(tmp);
	return rc;
}

/* The old content (or the header for a new file), a newline if the last
 * line lacked one, then LINE. */
static char *text_append(const struct text *t, const char *line, size_t *len)
{
	const char *old = t->exists ? t->buf : header;
	size_t oldlen = t->exists ? t->len : strlen(header);
	bool newline = oldlen > 0 && old[oldlen - 1] != '\n';
	size_t linelen = strlen(line);
	char *buf = malloc(oldlen + 1 + linelen);

	if (buf == NULL)
		return NULL;
	memcpy(buf, old, oldlen);
	if (newline)
		buf[oldlen] = '\n';
	memcpy(buf + oldlen + newline, line, linelen);
	*len = oldlen + newline + linelen;
	return buf;
}

int whitelist_file_add(const char *path, const char *entry, const char *comment,
		       struct error *err)
{
	char note[WHITELIST_COMMENT_MAX + 1], canon[CIDR_STRLEN];
	char line[LINE_MAX_LEN + 1];
	struct entry e;
	struct text t;
	const char *why;
	unsigned dup;
	char *buf;
	size_t len;
	int rc = -1;

	if (entry_arg(entry, &e, err) < 0 ||
	    comment_arg(comment, note, err) < 0)
		return -1;
	if (!e.is_mac && (why = whitelist_entry_refused(&e.net)) != NULL)
		return error_set(err, "'%s' refused: %s", entry, why);
	entry_format(&e, canon);
	if (note[0])
		snprintf(line, sizeof(line), "%s  # %s\n", canon, note);
	else
		snprintf(line, sizeof(line), "%s\n", canon);
	if (text_read(&t, path, err) < 0 ||
	    text_check(t.name, t.buf, t.len, err) < 0)
		goto out;
	if ((dup = text_find(&t, &e)) > 0) {
		error_set(err, "%s is already in the whitelist (%s:%u)", entry, path, dup);
		goto out;
	}
	if ((buf = text_append(&t, line, &len)) == NULL) {
		error_set(err, "%s: out of memory", path);
		goto out;
	}
	rc = text_install(&t, buf, len, err);
	free(buf);
out:
	text_free(&t);
	return rc;
}

int whitelist_file_del(const char *path, const char *entry, struct error *err)
{
	struct entry want, have;
	struct text t;
	const char *line;
	size_t off = 0, linelen, len = 0;
	unsigned removed = 0;
	char *buf = NULL;
	int rc = -1;

	if (entry_arg(entry, &want, err) < 0)
		return -1;
	if (text_read(&t, path, err) < 0 ||
	    text_check(t.name, t.buf, t.len, err) < 0)
		goto out;
	if ((buf = malloc(t.len + 1)) == NULL) {
		error_set(err, "%s: out of memory", path);
		goto out;
	}
	while (next_line(t.buf, t.len, &off, &line, &linelen)) {
		if (line_read(line, linelen, &have, NULL) == 1 && entry_equal(&have, &want)) {
			removed++;
			continue;
		}
		memcpy(buf + len, line, linelen);
		len += linelen;
	}
	if (removed == 0)
		error_set(err, "%s is not in the whitelist", entry);
	else
		rc = text_install(&t, buf, len, err);
out:
	free(buf);
	text_free(&t);
	return rc;
}

int whitelist_file_list(const char *path, struct whitelist_line **out, size_t *n,
			struct error *err)
{
	struct whitelist_line *lines;
	struct entry e;
	struct text t;
	const char *line;
	size_t off = 0, linelen, count = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (text_read(&t, path, err) < 0 ||
	    text_check(t.name, t.buf, t.len, err) < 0)
		goto out;
	/* Every line could be an entry: size for that, checked already. */
	while (next_line(t.buf, t.len, &off, &line, &linelen))
		count++;
	lines = calloc(count ? count : 1, sizeof(*lines));
	if (lines == NULL) {
		error_set(err, "%s: out of memory", path);
		goto out;
	}
	off = 0;
	while (next_line(t.buf, t.len, &off, &line, &linelen)) {
		struct whitelist_line *l = &lines[*n];

		if (line_read(line, linelen, &e, l->comment) == 1) {
			entry_format(&e, l->entry);
			(*n)++;
		}
	}
	if (*n > 0)
		*out = lines;
	else
		free(lines);
	rc = 0;
out:
	text_free(&t);
	return rc;
}
