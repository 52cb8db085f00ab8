/* Addresses, CIDR prefixes and MACs. */
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static bool bytes_mapped(const uint8_t b[16])
{
	return memcmp(b, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

bool addr_is_v4(const struct addr *a)
{
	return bytes_mapped(a->b) && !a->v6_mapped;
}

void addr_from_v4(struct addr *a, const uint8_t v4[4])
{
	memcpy(a->b, v4_mapped_prefix, sizeof(v4_mapped_prefix));
	memcpy(a->b + 12, v4, 4);
	a->v6_mapped = 0;
}

void addr_from_v6(struct addr *a, const uint8_t v6[16])
{
	memcpy(a->b, v6, 16);
	a->v6_mapped = bytes_mapped(v6);
}

const uint8_t *addr_v4_bytes(const struct addr *a)
{
	return a->b + 12;
}

int addr_cmp(const struct addr *a, const struct addr *b)
{
	int c = memcmp(a->b, b->b, sizeof(a->b));

	return c ? c : a->v6_mapped - b->v6_mapped;
}

int addr_parse(const char *s, struct addr *out)
{
	uint8_t buf[16];

	if (inet_pton(AF_INET, s, buf) == 1) {
		addr_from_v4(out, buf);
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		addr_from_v6(out, buf);
		return 0;
	}
	return -1;
}

const char *addr_format(const struct addr *a, char buf[ADDR_STRLEN])
{
	if (addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, ADDR_STRLEN);
	else
		inet_ntop(AF_INET6, a->b, buf, ADDR_STRLEN);
	return buf;
}

static void mask_prefix(struct addr *a, unsigned prefix, bool set_host_bits)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
		uint8_t netmask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if (set_host_bits)
			a->b[i] |= (uint8_t)~netmask;
		else
			a->b[i] &= netmask;
	}
}

int cidr_parse(const char *s, struct cidr *out)
{
	char host[ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t hostlen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long prefix;
	struct addr masked;

	if (hostlen == 0 || hostlen >= sizeof(host))
		return -1;
	memcpy(host, s, hostlen);
	host[hostlen] = '\0';
	if (addr_parse(host, &out->base) < 0)
		return -1;

	bool v4 = addr_is_v4(&out->base);
	unsigned maxlen = v4 ? 32 : 128;

	if (slash) {
		char *end;

		if (!isdigit((unsigned char)slash[1]))
			return -1;
		prefix = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || prefix > maxlen)
			return -1;
	} else {
		prefix = maxlen;
	}
	out->prefix = (uint8_t)(v4 ? prefix + 96 : prefix);
	masked = out->base;
	mask_prefix(&masked, out->prefix, false);
	if (!addr_equal(&masked, &out->base))
		return -1;
	return 0;
}

const char *cidr_format(const struct cidr *c, char buf[CIDR_STRLEN])
{
	char a[ADDR_STRLEN];
	bool v4 = cidr_is_v4(c);

	snprintf(buf, CIDR_STRLEN, "%s/%u", addr_format(&c->base, a),
		 v4 ? c->prefix - 96u : c->prefix);
	return buf;
}

bool cidr_is_v4(const struct cidr *c)
{
	return addr_is_v4(&c->base);
}

bool cidr_contains(const struct cidr *c, const struct addr *a)
{
	struct addr masked = *a;

	if (addr_is_v4(a) != cidr_is_v4(c))
		return false;
	mask_prefix(&masked, c->prefix, false);
	return memcmp(masked.b, c->base.b, sizeof(masked.b)) == 0;
}

void cidr_range(const struct cidr *c, struct addr *first, struct addr *last)
{
	*first = c->base;
	*last = c->base;
	mask_prefix(last, c->prefix, true);
	/* An IPv6 range's ends are IPv6 addresses, whatever their bytes. */
	if (!cidr_is_v4(c)) {
		addr_from_v6(first, first->b);
		addr_from_v6(last, last->b);
	}
}

int mac_parse(const char *s, struct mac *out)
{
	unsigned v[6];
	char tail;

	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return -1;
		if (i < 5 && p[2] != ':' && p[2] != '-')
			return -1;
	}
	if (sscanf(s, "%2x%*c%2x%*c%2x%*c%2x%*c%2x%*c%2x%c", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		out->b[i] = (uint8_t)v[i];
	return 0;
}

const char *mac_format(const struct mac *m, char buf[MAC_STRLEN])
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0],
		 m->b[1], m->b[2], m->b[3], m->b[4], m->b[5]);
	return buf;
}

bool mac_equal(const struct mac *a, const struct mac *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}


