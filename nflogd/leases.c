/* dnsmasq.leases: address -> MAC and host name. */
#include "leases.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEASE_LINE_MAX 2048	/* a 255-byte client id is 765 characters */

void leases_init(struct leases *l)
{
	memset(l, 0, sizeof(*l));
}

void leases_free(struct leases *l)
{
	free(l->v);
	leases_init(l);
}

/* ---- one line --------------------------------------------------------------- */

static bool is_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* dnsmasq writes a hardware address that is not Ethernet as "TT-" (its
 * ARP type) and hex pairs: a real lease, just no MAC to report. */
static bool is_other_hwaddr(const char *s)
{
	if (!is_hex(s[0]) || !is_hex(s[1]) || s[2] != '-')
		return false;
	for (s += 3; *s; s += 3) {
		if (!is_hex(s[0]) || !is_hex(s[1]))
			return false;
		if (s[2] == '\0')
			return true;
		if (s[2] != ':')
			return false;
	}
	return true;
}

/* An IAID, "T" first for a temporary address. */
static bool is_iaid(const char *s)
{
	char *end;
	unsigned long long v;

	if (*s == 'T')
		s++;
	if (!is_digits(s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	return errno != ERANGE && v <= UINT32_MAX;
}

/* Host names end up in logs and JSON: ASCII letters, digits, '.', '_' and
 * '-' only; anything else is dropped, not escaped. */
static void copy_hostname(char dst[LEASE_HOSTNAME_LEN], const char *src)
{
	size_t n = 0;

	if (strcmp(src, "*") == 0)
		src = "";
	for (; *src && n < LEASE_HOSTNAME_LEN - 1; src++) {
		char c = *src;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			dst[n++] = c;
	}
	dst[n] = '\0';
}

/* 1 a lease, 0 a line that is not one (section marker, extra data), -1 bad. */
static int parse_line(char *s, bool *v6, struct lease *out)
{
	const char *sep = " \t\r\n";
	char *save, *tok[6];
	size_t n = 0;
	char *t;

	for (t = strtok_r(s, sep, &save); t && n < 6; t = strtok_r(NULL, sep, &save))
		tok[n++] = t;
	if (n == 0)
		return 0;
	if (strcmp(tok[0], "duid") == 0) {
		*v6 = true;
		return n == 2 ? 0 : -1;
	}
	/* Newer dnsmasq appends relay and vendor data after the leases. */
	if (strcmp(tok[0], "agent-info") == 0 || strcmp(tok[0], "vendorclass") == 0)
		return 0;
	/* The client id is "*" when unknown, but is optional to older writers. */
	if (n < 4 || n > 5 || !is_digits(tok[0]))
		return -1;
	memset(out, 0, sizeof(*out));
	if (addr_parse(tok[2], &out->addr) < 0 || (strchr(tok[2], ':') != NULL) != *v6)
		return -1;
	if (*v6) {
		if (!is_iaid(tok[1]))
			return -1;
	} else if (mac_parse(tok[1], &out->mac) == 0) {
		out->has_mac = true;
	} else if (!is_other_hwaddr(tok[1])) {
		return -1;
	}
	copy_hostname(out->hostname, tok[3]);
	return 1;
}

/* 1 a whole line, 0 end of file, -1 a bad line (already skipped). */
static int read_line(FILE *f, char *buf, size_t size)
{
	size_t len;
	int c;

	if (fgets(buf, (int)size, f) == NULL)
		return 0;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		return 1;
	if (len == size - 1)		/* too long: drop the rest of it */
		while ((c = getc(f)) != EOF && c != '\n')
			;
	return -1;			/* or a NUL byte, or cut short at the end */
}

/* ---- the table ---------------------------------------------------------- */

struct key {
	struct addr addr;
	size_t pos;			/* file order */
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = addr_cmp(&x->addr, &y->addr);

	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* raw in file order -> sorted by address, the last line of each address
 * kept. *out is NULL for none. */
static int sort_unique(const struct lease *raw, size_t n, struct lease **out, size_t *nout)
{
	struct key *keys;
	struct lease *v;
	size_t m = 0;

	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	keys = calloc(n, sizeof(*keys));
	v = calloc(n, sizeof(*v));
	if (keys == NULL || v == NULL) {
		free(keys);
		free(v);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		keys[i].addr = raw[i].addr;
		keys[i].pos = i;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (size_t i = 0; i < n; i++)
		if (i + 1 == n || !addr_equal(&keys[i].addr, &keys[i + 1].addr))
			v[m++] = raw[keys[i].pos];
	free(keys);
	*out = v;
	*nout = m;
	return 0;
}

int leases_parse(struct leases *l, FILE *f, size_t *bad)
{
	char buf[LEASE_LINE_MAX];
	struct lease *raw = NULL, *v;
	size_t n = 0, cap = 0, nbad = 0, nv;
	bool v6 = false;
	int rc;

	while ((rc = read_line(f, buf, sizeof(buf))) != 0) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct lease *p = realloc(raw, ncap * sizeof(*raw));

			if (p == NULL) {
				free(raw);
				return -1;
			}
			raw = p;
			cap = ncap;
		}
		if (rc > 0)
			rc = parse_line(buf, &v6, &raw[n]);
		if (rc > 0)
			n++;
		else if (rc < 0)
			nbad++;
	}
	rc = sort_unique(raw, n, &v, &nv);
	free(raw);
	if (rc < 0)
		return -1;
	free(l->v);
	l->v = v;
	l->n = nv;
	if (bad)
		*bad = nbad;
	return 0;
}

/* ---- the file ----------------------------------------------------------- */

static bool same_file(const struct leases *l, const struct stat *st)
{
	return l->loaded && l->dev == st->st_dev && l->ino == st->st_ino &&
	       l->size == st->st_size && l->mtime.tv_sec == st->st_mtim.tv_sec &&
	       l->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void forget(struct leases *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->loaded = false;
}

static bool usable(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_size <= LEASES_MAX_BYTES;
}

/* Read the file open on fd; the table is left as it was if that fails. */
static void reload(struct leases *l, int fd)
{
	struct stat st;
	FILE *f;

	/* The identity is taken before reading: if dnsmasq rewrites the file
	 * meanwhile, the next refresh sees the change and reads it again. */
	if (fstat(fd, &st) < 0 || !usable(&st)) {
		close(fd);
		forget(l);
		return;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		return;
	}
	if (leases_parse(l, f, NULL) == 0) {
		l->loaded = true;
		l->dev = st.st_dev;
		l->ino = st.st_ino;
		l->size = st.st_size;
		l->mtime = st.st_mtim;
	}
	fclose(f);
}

void leases_refresh(struct leases *l, const char *path, time_t now)
{
	struct stat st;
	int fd;

	if (l->checked && l->checked_at == now)
		return;
	l->checked = true;
	l->checked_at = now;
	if (stat(path, &st) < 0 || !usable(&st)) {
		forget(l);
		return;
	}
	if (same_file(l, &st))
		return;
	/* O_NONBLOCK: should a FIFO replace the file after stat, do not hang. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		forget(l);
		return;
	}
	reload(l, fd);
}

static int lease_cmp(const void *key, const void *elem)
{
	return addr_cmp(key, &((const struct lease *)elem)->addr);
}

const struct lease *leases_find(const struct leases *l, const struct addr *a)
{
	if (l->n == 0)
		return NULL;
	return bsearch(a, l->v, l->n, sizeof(*l->v), lease_cmp);
}
