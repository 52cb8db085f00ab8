/* The whitelist: parse, look up, and turn into kernel interval ranges. */
#include "whitelist.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

void whitelist_init(struct whitelist *wl)
{
	memset(wl, 0, sizeof(*wl));
}

void whitelist_free(struct whitelist *wl)
{
	free(wl->nets);
	free(wl->macs);
	free(wl->ranges);
	free(wl->mac_keys);
	whitelist_init(wl);
}

/* A MAC as a number, so that it sorts and compares as one. */
static uint64_t mac_key(const struct mac *m)
{
	uint64_t k = 0;

	for (size_t i = 0; i < sizeof(m->b); i++)
		k = k << 8 | m->b[i];
	return k;
}

static int key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

enum family_filter { ONLY_V6, ONLY_V4 };
static size_t merged_ranges(const struct whitelist *wl, enum family_filter which,
			    struct addr_range *out);

/* Best effort: without the index the lookups are right, only slower. */
static void build_index(struct whitelist *wl)
{
	if (wl->nnets && (wl->ranges = malloc(wl->nnets * sizeof(*wl->ranges))) != NULL) {
		wl->nranges4 = merged_ranges(wl, ONLY_V4, wl->ranges);
		wl->nranges = wl->nranges4 +
			      merged_ranges(wl, ONLY_V6, wl->ranges + wl->nranges4);
	}
	if (wl->nmacs && (wl->mac_keys = malloc(wl->nmacs * sizeof(*wl->mac_keys))) != NULL) {
		for (size_t i = 0; i < wl->nmacs; i++)
			wl->mac_keys[i] = mac_key(&wl->macs[i]);
		qsort(wl->mac_keys, wl->nmacs, sizeof(*wl->mac_keys), key_cmp);
	}
}

int whitelist_parse_entry(const char *s, struct cidr *net, struct mac *mac, bool *is_mac)
{
	if (mac_parse(s, mac) == 0) {
		*is_mac = true;
		return 0;
	}
	*is_mac = false;
	return cidr_parse(s, net);
}

/* Does network c overlap the IPv4-mapped range ::ffff:0:0/96? Prefixes
 * overlap when one holds the other. */
static bool overlaps_mapped(const struct cidr *c)
{
	static const struct cidr mapped = {
		.base = { .b = { [10] = 0xff, [11] = 0xff }, .v6_mapped = 1 },
		.prefix = 96,
	};

	if (cidr_is_v4(c))
		return false;
	return c->prefix <= mapped.prefix ? cidr_contains(c, &mapped.base)
					  : cidr_contains(&mapped, &c->base);
}

const char *whitelist_entry_refused(const struct cidr *net)
{
	if (net->prefix == 96 && cidr_is_v4(net))
		return "covers every IPv4 address";
	if (net->prefix == 0)
		return "covers every IPv6 address";
	if (overlaps_mapped(net))
		return "overlaps ::ffff:0:0/96, whose addresses are IPv6 ones, not the "
		       "IPv4 hosts they spell (write IPv4 networks as a.b.c.d/n)";
	return NULL;
}

static int push(void **arr, size_t *n, size_t size, const void *item)
{
	/* Grow by doubling: n is a power of two exactly when the array is full. */
	if ((*n & (*n - 1)) == 0) {
		void *p = realloc(*arr, (*n ? *n * 2 : 4) * size);

		if (p == NULL)
			return -1;
		*arr = p;
	}
	memcpy((char *)*arr + *n * size, item, size);
	(*n)++;
	return 0;
}

int whitelist_parse(struct whitelist *wl, FILE *f, const char *name, struct error *err)
{
	char buf[512];
	unsigned line = 0;
	const char *unusable;
	int got;

	whitelist_init(wl);
	while ((got = text_read_line(f, buf, sizeof(buf), &unusable)) > 0) {
		char *s;
		struct cidr net;
		struct mac mac;
		bool is_mac;
		const char *why;
		int rc;

		line++;
		if (unusable) {
			error_set(err, "%s:%u: %s", name, line, unusable);
			goto fail;
		}
		buf[strcspn(buf, "#")] = '\0';
		s = text_trim(buf);
		if (*s == '\0')
			continue;
		if (whitelist_parse_entry(s, &net, &mac, &is_mac) < 0) {
			error_set(err, "%s:%u: not an address, CIDR or MAC: '%s'", name, line, s);
			goto fail;
		}
		if (!is_mac && (why = whitelist_entry_refused(&net)) != NULL) {
			error_set(err, "%s:%u: '%s' refused: %s", name, line, s, why);
			goto fail;
		}
		rc = is_mac ? push((void **)&wl->macs, &wl->nmacs, sizeof(mac), &mac)
			    : push((void **)&wl->nets, &wl->nnets, sizeof(net), &net);
		if (rc < 0) {
			error_set(err, "%s:%u: out of memory", name, line);
			goto fail;
		}
	}
	if (got == 0) {
		build_index(wl);
		return 0;
	}
	error_set(err, "%s:%u: read error", name, line);
fail:
	whitelist_free(wl);
	return -1;
}

int whitelist_load(struct whitelist *wl, const char *path, struct error *err)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		whitelist_init(wl);
		if (errno == ENOENT)
			return 0;
		return error_errno(err, "%s", path);
	}
	rc = whitelist_parse(wl, f, path, err);
	fclose(f);
	return rc;
}

/* An address as a 128-bit number, in two halves. */
struct addr_key {
	uint64_t hi, lo;
};

static struct addr_key addr_key(const struct addr *a)
{
	struct addr_key k;

	memcpy(&k.hi, a->b, 8);
	memcpy(&k.lo, a->b + 8, 8);
	k.hi = be64toh(k.hi);
	k.lo = be64toh(k.lo);
	return k;
}

static bool key_le(struct addr_key x, struct addr_key y)
{
	return (x.hi < y.hi) | ((x.hi == y.hi) & (x.lo <= y.lo));
}

/* The searches below halve the span without a branch on the comparison
 * (the compiler picks with a conditional move): an event's lookup takes
 * no mispredicted jumps, whatever the list holds. */

bool whitelist_covers_addr(const struct whitelist *wl, const struct addr *a)
{
	const struct addr_range *base;
	struct addr_key k;
	size_t n;

	if (wl->nnets == 0)
		return false;
	if (wl->ranges == NULL) {
		for (size_t i = 0; i < wl->nnets; i++)
			if (cidr_contains(&wl->nets[i], a))
				return true;
		return false;
	}
	/* Only the ranges of a's own family: IPv4 first, then IPv6. */
	if (addr_is_v4(a)) {
		base = wl->ranges;
		n = wl->nranges4;
	} else {
		base = wl->ranges + wl->nranges4;
		n = wl->nranges - wl->nranges4;
	}
	/* The last range starting at or below a, if any, is the only one that
	 * may hold it: the ranges are sorted and do not overlap. */
	k = addr_key(a);
	while (n > 1) {
		size_t half = n / 2;

		base = key_le(addr_key(&base[half].first), k) ? base + half : base;
		n -= half;
	}
	return n == 1 && key_le(addr_key(&base->first), k) && key_le(k, addr_key(&base->last));
}

bool whitelist_covers_mac(const struct whitelist *wl, const struct mac *m)
{
	const uint64_t *base = wl->mac_keys;
	uint64_t k;
	size_t n = wl->nmacs;

	if (wl->nmacs == 0)
		return false;
	if (wl->mac_keys == NULL) {
		for (size_t i = 0; i < wl->nmacs; i++)
			if (mac_equal(&wl->macs[i], m))
				return true;
		return false;
	}
	k = mac_key(m);
	while (n > 1) {
		size_t half = n / 2;

		base = base[half] <= k ? base + half : base;
		n -= half;
	}
	return *base == k;
}

static int range_cmp(const void *a, const void *b)
{
	return addr_cmp(&((const struct addr_range *)a)->first,
			&((const struct addr_range *)b)->first);
}

/* a + 1 == b, as 128-bit big-endian numbers. */
static bool addr_adjacent(const struct addr *a, const struct addr *b)
{
	struct addr next = *a;
	int i;

	for (i = 15; i >= 0 && ++next.b[i] == 0; i--)
		;
	return i >= 0 && memcmp(next.b, b->b, sizeof(next.b)) == 0;
}

size_t whitelist_ranges(const struct whitelist *wl, bool v4, struct addr_range *out)
{
	return merged_ranges(wl, v4 ? ONLY_V4 : ONLY_V6, out);
}

static size_t merged_ranges(const struct whitelist *wl, enum family_filter which,
			    struct addr_range *out)
{
	size_t n = 0, merged = 0;

	for (size_t i = 0; i < wl->nnets; i++) {
		const struct cidr *c = &wl->nets[i];

		if (cidr_is_v4(c) == (which == ONLY_V4)) {
			cidr_range(c, &out[n].first, &out[n].last);
			n++;
		}
	}
	qsort(out, n, sizeof(*out), range_cmp);
	for (size_t i = 0; i < n; i++) {
		if (merged > 0 && (addr_cmp(&out[i].first, &out[merged - 1].last) <= 0 ||
				   addr_adjacent(&out[merged - 1].last, &out[i].first))) {
			if (addr_cmp(&out[i].last, &out[merged - 1].last) > 0)
				out[merged - 1].last = out[i].last;
			continue;
		}
		out[merged++] = out[i];
	}
	return merged;
}
