/* whitelist_parse over arbitrary bytes, then what the daemon does with a
 * whitelist: the kernel's merged interval ranges and the lookups. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "whitelist.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.whitelist"
#define QUADRATIC_MAX 64	/* entries checked against every range */

/* Ranges as the kernel's interval set wants them: sorted, apart, each in order. */
static void check_ranges(const struct whitelist *wl, bool v4)
{
	struct addr_range *r = malloc((wl->nnets ? wl->nnets : 1) * sizeof(*r));
	size_t n;

	FUZZ_CHECK(r != NULL);
	n = whitelist_ranges(wl, v4, r);
	FUZZ_CHECK(n <= wl->nnets);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(addr_cmp(&r[i].first, &r[i].last) <= 0);
		if (v4)
			FUZZ_CHECK(addr_is_v4(&r[i].first) && addr_is_v4(&r[i].last));
		FUZZ_CHECK(whitelist_covers_addr(wl, &r[i].first));
		FUZZ_CHECK(whitelist_covers_addr(wl, &r[i].last));
		if (i > 0)	/* merged: a gap of at least one address */
			FUZZ_CHECK(addr_cmp(&r[i - 1].last, &r[i].first) < 0);
	}
	/* Every entry of this family lies inside one range. */
	for (size_t k = 0; k < wl->nnets && k < QUADRATIC_MAX; k++) {
		const struct cidr *c = &wl->nets[k];
		struct addr first, last;
		bool found = false;

		if ((addr_is_v4(&c->base) && c->prefix >= 96) != v4)
			continue;
		cidr_range(c, &first, &last);
		for (size_t i = 0; i < n && !found; i++)
			found = addr_cmp(&r[i].first, &first) <= 0 &&
				addr_cmp(&last, &r[i].last) <= 0;
		FUZZ_CHECK(found);
	}
	free(r);
}

/* What is written back (nflogctl whitelist list, the kernel) reads the same. */
static void check_entries(const struct whitelist *wl)
{
	for (size_t i = 0; i < wl->nnets; i++) {
		char text[CIDR_STRLEN];
		struct cidr back;

		FUZZ_CHECK(wl->nets[i].prefix <= 128);
		FUZZ_CHECK(cidr_contains(&wl->nets[i], &wl->nets[i].base));
		cidr_format(&wl->nets[i], text);
		FUZZ_CHECK(cidr_parse(text, &back) == 0);
		FUZZ_CHECK(addr_equal(&back.base, &wl->nets[i].base) &&
			   back.prefix == wl->nets[i].prefix);
	}
	for (size_t i = 0; i < wl->nmacs; i++) {
		char text[MAC_STRLEN];
		struct mac back;

		FUZZ_CHECK(mac_parse(mac_format(&wl->macs[i], text), &back) == 0);
		FUZZ_CHECK(mac_equal(&back, &wl->macs[i]));
		if (i < QUADRATIC_MAX)
			FUZZ_CHECK(whitelist_covers_mac(wl, &wl->macs[i]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct whitelist wl;
	struct error e;
	const char *err = e.msg;
	FILE *f = fuzz_open(data, size);
	int rc;

	if (f == NULL)
		return 0;
	memset(&e, 0x5a, sizeof(e));
	rc = whitelist_parse(&wl, f, NAME, &e);
	fclose(f);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		FUZZ_CHECK(wl.nets == NULL && wl.nnets == 0 && wl.macs == NULL && wl.nmacs == 0);
		FUZZ_CHECK(fuzz_terminated(err, sizeof(e.msg)));
		FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
		return 0;
	}
	check_entries(&wl);
	check_ranges(&wl, true);
	check_ranges(&wl, false);
	whitelist_free(&wl);
	return 0;
}
