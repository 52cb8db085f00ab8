/* The whitelist: parse, look up, and turn into kernel interval ranges. */
#include "whitelist.h"

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
	free(wl->sorted_macs);
	whitelist_init(wl);
}

static int mac_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct mac));
}

enum family_filter { ONLY_V6, ONLY_V4, BOTH };
static size_t merged_ranges(const struct whitelist *wl, enum family_filter which,
			    struct addr_range *out);

/* Best effort: without the index the lookups are right, only slower. */
static void build_index(struct whitelist *wl)
{
	if (wl->nnets && (wl->ranges = malloc(wl->nnets * sizeof(*wl->ranges))) != NULL)
		wl->nranges = merged_ranges(wl, BOTH, wl->ranges);
	if (wl->nmacs && (wl->sorted_macs = malloc(wl->nmacs * sizeof(*wl->macs))) != NULL) {
		memcpy(wl->sorted_macs, wl->macs, wl->nmacs * sizeof(*wl->macs));
		qsort(wl->sorted_macs, wl->nmacs, sizeof(*wl->macs), mac_cmp);
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

int whitelist_parse(struct whitelist *wl, FILE *f, const char *name, char err[WHITELIST_ERR_MAX])
{
	char buf[512];
	unsigned line = 0;

	whitelist_init(wl);
	while (fgets(buf, sizeof(buf), f)) {
		char *s;
		struct cidr net;
		struct mac mac;
		bool is_mac;
		int rc;

		line++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			snprintf(err, WHITELIST_ERR_MAX, "%s:%u: line too long", name, line);
			goto fail;
		}
		buf[strcspn(buf, "#")] = '\0';
		s = text_trim(buf);
		if (*s == '\0')
			continue;
		if (whitelist_parse_entry(s, &net, &mac, &is_mac) < 0) {
			snprintf(err, WHITELIST_ERR_MAX,
				 "%s:%u: not an address, CIDR or MAC: '%s'", name, line, s);
			goto fail;
		}
		rc = is_mac ? push((void **)&wl->macs, &wl->nmacs, sizeof(mac), &mac)
			    : push((void **)&wl->nets, &wl->nnets, sizeof(net), &net);
		if (rc < 0) {
			snprintf(err, WHITELIST_ERR_MAX, "%s:%u: out of memory", name, line);
			goto fail;
		}
	}
	if (!ferror(f)) {
		build_index(wl);
		return 0;
	}
	snprintf(err, WHITELIST_ERR_MAX, "%s:%u: read error", name, line);
fail:
	whitelist_free(wl);
	return -1;
}

int whitelist_load(struct whitelist *wl, const char *path, char err[WHITELIST_ERR_MAX])
{
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		whitelist_init(wl);
		if (errno == ENOENT)
			return 0;
		snprintf(err, WHITELIST_ERR_MAX, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = whitelist_parse(wl, f, path, err);
	fclose(f);
	return rc;
}

bool whitelist_covers_addr(const struct whitelist *wl, const struct addr *a)
{
	size_t lo = 0, hi = wl->nranges;

	if (wl->nnets == 0)
		return false;
	if (wl->ranges == NULL) {
		for (size_t i = 0; i < wl->nnets; i++)
			if (cidr_contains(&wl->nets[i], a))
				return true;
		return false;
	}
	/* The last range starting at or below a, if any, is the only one that
	 * may hold it: the ranges are sorted and do not overlap. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr_cmp(&wl->ranges[mid].first, a) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && addr_cmp(a, &wl->ranges[lo - 1].last) <= 0;
}

bool whitelist_covers_mac(const struct whitelist *wl, const struct mac *m)
{
	if (wl->nmacs == 0)
		return false;
	if (wl->sorted_macs == NULL) {
		for (size_t i = 0; i < wl->nmacs; i++)
			if (mac_equal(&wl->macs[i], m))
				return true;
		return false;
	}
	return bsearch(m, wl->sorted_macs, wl->nmacs, sizeof(*m), mac_cmp) != NULL;
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
	return i >= 0 && addr_equal(&next, b);
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
		/* A v4-mapped /96 or wider reaches past IPv4: it is an IPv6 entry. */
		bool is_v4 = addr_is_v4(&c->base) && c->prefix >= 96;

		if (which == BOTH || is_v4 == (which == ONLY_V4)) {
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
