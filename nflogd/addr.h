/* Addresses, CIDR prefixes and MACs: small value types with parse/format. */
#ifndef NFLOGD_ADDR_H
#define NFLOGD_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* IPv4 is held IPv4-mapped (::ffff:a.b.c.d) so one 16-byte key serves both
 * families in hash tables and comparisons. An IPv6 address of that range is
 * a different host (the kernel matches it in the IPv6 sets; a LAN host may
 * send from one): v6_mapped tells it apart, so the family is explicit. */
struct addr {
	uint8_t b[16];
	uint8_t v6_mapped;	/* 1: b is IPv6 in ::ffff:0:0/96, not IPv4 */
};

/* One family: an IPv4 network never covers IPv6 addresses, nor the other
 * way round, as the kernel's allow4 and allow6 sets. */
struct cidr {
	struct addr base;	/* masked to the prefix */
	uint8_t prefix;		/* 0..128, over the mapped form for IPv4 */
};

struct mac {
	uint8_t b[6];
};

#define ADDR_STRLEN 46	/* INET6_ADDRSTRLEN */
#define CIDR_STRLEN 50
#define MAC_STRLEN 18

bool addr_is_v4(const struct addr *a);
void addr_from_v4(struct addr *a, const uint8_t v4[4]);
void addr_from_v6(struct addr *a, const uint8_t v6[16]);
const uint8_t *addr_v4_bytes(const struct addr *a);
static inline bool addr_equal(const struct addr *a, const struct addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0 && a->v6_mapped == b->v6_mapped;
}
int addr_cmp(const struct addr *a, const struct addr *b);

/* The text names the family: a dotted quad is IPv4, any form with ':' is
 * IPv6, ::ffff:a.b.c.d included (the kernel's blocked6 and allow6 hold it). */
int addr_parse(const char *s, struct addr *out);
const char *addr_format(const struct addr *a, char buf[ADDR_STRLEN]);

/* "192.0.2.0/24", "2001:db8::/32" or a bare address (/32 or /128), its
 * family as addr_parse's. Host bits set below the prefix are an error: the
 * user meant something else. */
int cidr_parse(const char *s, struct cidr *out);
const char *cidr_format(const struct cidr *c, char buf[CIDR_STRLEN]);
bool cidr_is_v4(const struct cidr *c);
/* Only addresses of the network's own family. */
bool cidr_contains(const struct cidr *c, const struct addr *a);
/* First and last address covered. */
void cidr_range(const struct cidr *c, struct addr *first, struct addr *last);

int mac_parse(const char *s, struct mac *out);
const char *mac_format(const struct mac *m, char buf[MAC_STRLEN]);
bool mac_equal(const struct mac *a, const struct mac *b);

/* Keyed hash (seeded per run, so spoofed sources cannot aim at one chain). */
/* splitmix64's finaliser: cheap, and every input bit reaches every output
 * bit. Inline: the per-event path uses it. */
static inline uint64_t hash_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Seeded, for hash tables; inline: it runs twice per event. One 64x64 ->
 * 128-bit multiply of the two halves, folded (wyhash's mum): every input
 * bit reaches the low bits the tables index by. */
static inline uint32_t addr_hash(const struct addr *a, uint64_t seed)
{
	uint64_t hi, lo, x;

	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	/* hi is 0 for every mapped address: the flag makes it differ. */
	hi ^= (uint64_t)a->v6_mapped << 63;
#ifdef __SIZEOF_INT128__
	{
		__uint128_t m = (__uint128_t)(hi ^ seed ^ 0xa0761d6478bd642fULL) *
				(lo ^ 0xe7037ed1a0b428dbULL);

		x = (uint64_t)(m >> 64) ^ (uint64_t)m;
	}
#else	/* 32-bit targets: two rounds of splitmix64's finaliser */
	x = hash_mix64(hash_mix64(hi ^ seed) ^ lo);
#endif
	return (uint32_t)(x ^ x >> 32);
}

#endif
