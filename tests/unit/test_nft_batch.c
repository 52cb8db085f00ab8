/* nft_batch: build batches in memory, parse every message back with
 * libnftnl and compare with what was asked. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "addr.h"
#include "nft_batch.h"
#include "whitelist.h"

#define FIRST_SEQ 1000u
/* Our own codes for the batch delimiters: NFNL_MSG_BATCH_BEGIN/END (16, 17)
 * share numbers with NFT_MSG_GETGEN/NFT_MSG_TRACE once the subsystem is
 * masked off, so they are told apart on the full nlmsg_type. */
#define MSG_BEGIN 0x1000
#define MSG_END 0x1001
#define ELEMS_MAX 4096
#define TYPES_MAX 8192

/* nftables' datatype numbers (src/datatype.h), for `nft list`. */
enum { TYPE_IPADDR = 7, TYPE_IP6ADDR = 8, TYPE_ETHERADDR = 9, TYPE_INET_SERVICE = 13 };

struct pmsg {
	uint16_t type;		/* NFT_MSG_* or MSG_BEGIN/MSG_END */
	uint16_t flags;
	uint32_t seq, len;
	uint8_t family;
	uint16_t res_id;
	struct nftnl_table *t;
	struct nftnl_set *s;	/* NEWSET, NEWSETELEM, DELSETELEM */
	struct nftnl_chain *c;
	struct nftnl_rule *r;
};

struct elem {
	uint8_t key[16];
	uint32_t len;
	bool has_flags, has_timeout;
	uint32_t flags;
	uint64_t timeout;
};

struct fx {
	struct nft_batch b;
	struct whitelist wl;
	struct pmsg *m;
	size_t n, cap;
	struct elem *e;		/* collect_elems() output */
	size_t ne;
	struct nft_block_elem *blocks;
	char types[TYPES_MAX];
};

static const uint16_t port25[] = { 25 };
static const uint16_t ports3[] = { 25, 465, 587 };

static struct nft_ruleset default_rs(void)
{
	struct nft_ruleset rs = {
		.table = "nflogd", .group = 25, .ports = port25, .nports = 1,
		.scope_all = false, .log_rule = true, .timeouts = true, .snaplen = 128,
	};
	return rs;
}

/* --- fixture --- */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->e = calloc(ELEMS_MAX, sizeof(*f->e));
	if (f->e == NULL) {
		free(f);
		return -1;
	}
	whitelist_init(&f->wl);
	nft_batch_init(&f->b, FIRST_SEQ);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < f->n; i++) {
		if (f->m[i].t)
			nftnl_table_free(f->m[i].t);
		if (f->m[i].s)
			nftnl_set_free(f->m[i].s);
		if (f->m[i].c)
			nftnl_chain_free(f->m[i].c);
		if (f->m[i].r)
			nftnl_rule_free(f->m[i].r);
	}
	free(f->m);
	free(f->e);
	free(f->blocks);
	whitelist_free(&f->wl);
	nft_batch_free(&f->b);
	free(f);
	return 0;
}

/* --- parsing the batch back --- */

/* libnftnl 1.2.4 numbers the element nests it builds 1, 2, 3... (the kernel
 * reads any type there), but its parser takes NFTA_LIST_ELEM only, so it
 * refuses its own messages of more than one element. Parse a copy with the
 * nests renumbered; each must be a nest. */
static struct nlmsghdr *renumbered(const struct nlmsghdr *nlh)
{
	struct nlmsghdr *copy = malloc(nlh->nlmsg_len);
	struct nlattr *a, *el;

	assert_non_null(copy);
	memcpy(copy, nlh, nlh->nlmsg_len);
	mnl_attr_for_each(a, copy, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a) {
			if (!(el->nla_type & NLA_F_NESTED)) {
				free(copy);
				fail_msg("element attribute without NLA_F_NESTED");
			}
			el->nla_type = NLA_F_NESTED | NFTA_LIST_ELEM;
		}
	}
	return copy;
}

static int parse_elems(const struct nlmsghdr *nlh, struct nftnl_set *s)
{
	struct nlmsghdr *copy = renumbered(nlh);
	int rc = nftnl_set_elems_nlmsg_parse(copy, s);

	free(copy);
	return rc;
}

static void parse_batch(struct fx *f)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)f->b.buf;
	int rem = (int)f->b.len;

	assert_false(f->b.failed);
	assert_non_null(f->b.buf);
	assert_true(f->b.len <= f->b.cap);
	while (mnl_nlmsg_ok(nlh, rem)) {
		const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
		struct pmsg *pm;
		int rc = 0;

		if (f->n == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 64;
			struct pmsg *p = realloc(f->m, cap * sizeof(*p));

			assert_non_null(p);
			f->m = p;
			f->cap = cap;
		}
		pm = &f->m[f->n++];
		memset(pm, 0, sizeof(*pm));
		pm->flags = nlh->nlmsg_flags;
		pm->seq = nlh->nlmsg_seq;
		pm->len = nlh->nlmsg_len;
		pm->family = nfg->nfgen_family;
		pm->res_id = ntohs(nfg->res_id);
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN) {
			pm->type = MSG_BEGIN;
		} else if (nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
			pm->type = MSG_END;
		} else {
			assert_int_equal(NFNL_SUBSYS_ID(nlh->nlmsg_type), NFNL_SUBSYS_NFTABLES);
			pm->type = NFNL_MSG_TYPE(nlh->nlmsg_type);
			switch (pm->type) {
			case NFT_MSG_NEWTABLE:
			case NFT_MSG_DELTABLE:
				pm->t = nftnl_table_alloc();
				assert_non_null(pm->t);
				rc = nftnl_table_nlmsg_parse(nlh, pm->t);
				break;
			case NFT_MSG_NEWSET:
				pm->s = nftnl_set_alloc();
				assert_non_null(pm->s);
				rc = nftnl_set_nlmsg_parse(nlh, pm->s);
				break;
			case NFT_MSG_NEWSETELEM:
			case NFT_MSG_DELSETELEM:
				pm->s = nftnl_set_alloc();
				assert_non_null(pm->s);
				rc = parse_elems(nlh, pm->s);
				break;
			case NFT_MSG_NEWCHAIN:
				pm->c = nftnl_chain_alloc();
				assert_non_null(pm->c);
				rc = nftnl_chain_nlmsg_parse(nlh, pm->c);
				break;
			case NFT_MSG_NEWRULE:
				pm->r = nftnl_rule_alloc();
				assert_non_null(pm->r);
				rc = nftnl_rule_nlmsg_parse(nlh, pm->r);
				break;
			default:
				fail_msg("unexpected message type %u at seq %u", pm->type, pm->seq);
			}
			assert_true(rc >= 0);
		}
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	assert_int_equal(rem, 0);	/* the whole buffer is well-formed messages */
}

static const char *type_name(uint16_t t)
{
	switch (t) {
	case MSG_BEGIN: return "begin";
	case MSG_END: return "end";
	case NFT_MSG_NEWTABLE: return "newtable";
	case NFT_MSG_DELTABLE: return "deltable";
	case NFT_MSG_NEWSET: return "newset";
	case NFT_MSG_NEWSETELEM: return "newsetelem";
	case NFT_MSG_DELSETELEM: return "delsetelem";
	case NFT_MSG_NEWCHAIN: return "newchain";
	case NFT_MSG_NEWRULE: return "newrule";
	default: return "?";
	}
}

/* "begin,newtable,...,end", for one readable comparison. */
static const char *types(struct fx *f)
{
	size_t off = 0;

	f->types[0] = '\0';
	for (size_t i = 0; i < f->n && off < sizeof(f->types); i++)
		off += (size_t)snprintf(f->types + off, sizeof(f->types) - off, "%s%s",
					i ? "," : "", type_name(f->m[i].type));
	assert_true(off < sizeof(f->types));
	return f->types;
}

/* Begin first, end last, consecutive sequence numbers, ACKs asked for,
 * b.nmsgs counting exactly the object messages. */
static void check_framing(const struct fx *f)
{
	uint32_t objects = 0;

	assert_true(f->n >= 2);
	assert_int_equal(f->m[0].type, MSG_BEGIN);
	assert_int_equal(f->m[f->n - 1].type, MSG_END);
	for (size_t i = 0; i < f->n; i++) {
		const struct pmsg *pm = &f->m[i];

		assert_int_equal(pm->seq, FIRST_SEQ + i);
		assert_true(pm->flags & NLM_F_REQUEST);
		if (i == 0 || i == f->n - 1) {
			/* libnftnl 1.1.9 (Debian 11) writes it in host order;
			 * the kernel takes either (nfnetlink_rcv_batch). */
			assert_true(pm->res_id == NFNL_SUBSYS_NFTABLES ||
				    pm->res_id == NFNL_SUBSYS_NFTABLES << 8);
			continue;
		}
		assert_int_not_equal(pm->type, MSG_BEGIN);
		assert_int_not_equal(pm->type, MSG_END);
		assert_true(pm->flags & NLM_F_ACK);
		assert_int_equal(pm->family, NFPROTO_INET);
		objects++;
	}
	assert_int_equal(objects, f->b.nmsgs);
	assert_int_equal(f->b.seq, FIRST_SEQ + f->n);
}

static void build_ruleset(struct fx *f, const struct nft_ruleset *rs,
			  const struct nft_block_elem *blocks, size_t nblocks)
{
	nft_batch_start(&f->b);
	nft_batch_put_ruleset(&f->b, rs, &f->wl, blocks, nblocks);
	nft_batch_finish(&f->b);
	parse_batch(f);
	check_framing(f);
}

static void load_whitelist(struct fx *f, const char *text)
{
	struct error err = { "" };
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(in);
	rc = whitelist_parse(&f->wl, in, "test-whitelist", &err);
	fclose(in);
	if (rc != 0)
		fail_msg("whitelist_parse: %s", err.msg);
}

static size_t count_type(const struct fx *f, uint16_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += f->m[i].type == type;
	return n;
}

/* Index of the idx-th message of a type. */
static size_t nth_index(const struct fx *f, uint16_t type, size_t idx)
{
	for (size_t i = 0, k = 0; i < f->n; i++)
		if (f->m[i].type == type && k++ == idx)
			return i;
	fail_msg("no message %s #%zu", type_name(type), idx);
	return 0;
}

static struct nftnl_rule *nth_rule(const struct fx *f, size_t idx)
{
	return f->m[nth_index(f, NFT_MSG_NEWRULE, idx)].r;
}

static const struct pmsg *newset_named(const struct fx *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->m[i].type == NFT_MSG_NEWSET &&
		    strcmp(nftnl_set_get_str(f->m[i].s, NFTNL_SET_NAME), name) == 0)
			return &f->m[i];
	fail_msg("no NEWSET %s", name);
	return NULL;
}

static int collect_one(struct nftnl_set_elem *se, void *data)
{
	struct fx *f = data;
	struct elem *e;
	const void *key;
	uint32_t len = 0;

	if (f->ne == ELEMS_MAX)
		return -1;
	e = &f->e[f->ne++];
	memset(e, 0, sizeof(*e));
	key = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &len);
	if (key == NULL || len > sizeof(e->key))
		return -1;
	memcpy(e->key, key, len);
	e->len = len;
	e->has_flags = nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_FLAGS);
	if (e->has_flags)
		e->flags = nftnl_set_elem_get_u32(se, NFTNL_SET_ELEM_FLAGS);
	e->has_timeout = nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_TIMEOUT);
	if (e->has_timeout)
		e->timeout = nftnl_set_elem_get_u64(se, NFTNL_SET_ELEM_TIMEOUT);
	return 0;
}

/* All elements of messages of a type naming a set (by name), in order, into
 * f->e / f->ne. Returns how many messages carried them; each must also name
 * the table and carry the set ID the NEWSET of the same batch gave it
 * (set_id 0: not checked). */
static size_t collect_elems(struct fx *f, uint16_t type, const char *set, uint32_t set_id)
{
	size_t msgs = 0;

	f->ne = 0;
	for (size_t i = 0; i < f->n; i++) {
		struct nftnl_set *s = f->m[i].s;

		if (f->m[i].type != type || strcmp(nftnl_set_get_str(s, NFTNL_SET_NAME), set) != 0)
			continue;
		msgs++;
		assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_TABLE), "nflogd");
		if (set_id) {
			assert_true(nftnl_set_is_set(s, NFTNL_SET_ID));
			assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_ID), set_id);
		}
		assert_int_equal(nftnl_set_elem_foreach(s, collect_one, f), 0);
	}
	return msgs;
}

static void key_of(const char *text, uint8_t key[16], uint32_t *len)
{
	if (strchr(text, ':')) {
		assert_int_equal(inet_pton(AF_INET6, text, key), 1);
		*len = 16;
	} else {
		assert_int_equal(inet_pton(AF_INET, text, key), 1);
		*len = 4;
	}
}

/* An element with the given address; end: flagged as an interval end. */
static void assert_elem(const struct elem *e, const char *addr_text, bool end)
{
	uint8_t key[16];
	uint32_t len;

	key_of(addr_text, key, &len);
	assert_int_equal(e->len, len);
	if (memcmp(e->key, key, len) != 0) {
		char got[INET6_ADDRSTRLEN] = "?";

		inet_ntop(len == 4 ? AF_INET : AF_INET6, e->key, got, sizeof(got));
		fail_msg("element %s, expected %s", got, addr_text);
	}
	assert_int_equal(e->has_flags && (e->flags & NFT_SET_ELEM_INTERVAL_END), end);
	assert_false(e->has_timeout);
}

/* --- rules --- */

static size_t expr_count(const struct nftnl_rule *r)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	size_t n = 0;

	assert_non_null(it);
	while (nftnl_expr_iter_next(it))
		n++;
	nftnl_expr_iter_destroy(it);
	return n;
}

static struct nftnl_expr *expr_at(const struct nftnl_rule *r, size_t idx)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	size_t k = 0;

	assert_non_null(it);
	while ((e = nftnl_expr_iter_next(it)) != NULL && k++ < idx)
		;
	nftnl_expr_iter_destroy(it);
	if (e == NULL)
		fail_msg("rule has no expression #%zu", idx);
	return e;
}

static void assert_exprs(const struct nftnl_rule *r, const char *want)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	char got[512] = "";
	size_t off = 0;

	assert_non_null(it);
	while ((e = nftnl_expr_iter_next(it)) != NULL && off < sizeof(got))
		off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s", off ? "," : "",
					nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	nftnl_expr_iter_destroy(it);
	assert_string_equal(got, want);
}

static void assert_expr_data(const struct nftnl_expr *e, uint16_t attr, const void *want,
			     uint32_t want_len)
{
	uint32_t len = 0;
	const void *data = nftnl_expr_get(e, attr, &len);

	assert_non_null(data);
	assert_int_equal(len, want_len);
	assert_memory_equal(data, want, want_len);
}

static void assert_rule_home(const struct nftnl_rule *r)
{
	assert_int_equal(nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY), NFPROTO_INET);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), "nflogd");
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), NFT_CHAIN_NAME);
}

static void assert_meta_cmp(const struct nftnl_rule *r, size_t at, uint32_t key,
			    const void *val, uint32_t len)
{
	const struct nftnl_expr *m = expr_at(r, at), *c = expr_at(r, at + 1);

	assert_int_equal(nftnl_expr_get_u32(m, NFTNL_EXPR_META_KEY), key);
	assert_int_equal(nftnl_expr_get_u32(m, NFTNL_EXPR_META_DREG), NFT_REG_1);
	assert_int_equal(nftnl_expr_get_u32(c, NFTNL_EXPR_CMP_SREG), NFT_REG_1);
	assert_int_equal(nftnl_expr_get_u32(c, NFTNL_EXPR_CMP_OP), NFT_CMP_EQ);
	assert_expr_data(c, NFTNL_EXPR_CMP_DATA, val, len);
}

static void assert_payload(const struct nftnl_rule *r, size_t at, uint32_t base,
			   uint32_t offset, uint32_t len)
{
	const struct nftnl_expr *e = expr_at(r, at);

	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE), base);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), offset);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN), len);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), NFT_REG_1);
}

/* A lookup of reg 1 in a named set, linked to that set's NEWSET by ID. */
static void assert_lookup_named(const struct fx *f, const struct nftnl_rule *r, size_t at,
				const char *set)
{
	const struct nftnl_expr *e = expr_at(r, at);
	const struct pmsg *s = newset_named(f, set);

	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG), NFT_REG_1);
	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET), set);
	assert_true(nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_SET_ID));
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SET_ID),
			 nftnl_set_get_u32(s->s, NFTNL_SET_ID));
	assert_false(nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG));	/* a match, not a map */
}

static void assert_verdict(const struct nftnl_rule *r, size_t at, int verdict)
{
	const struct nftnl_expr *e = expr_at(r, at);

	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG), NFT_REG_VERDICT);
	assert_int_equal((int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT), verdict);
}

/* "ip saddr @set" / "ip6 saddr @set" at the start of a rule */
static void assert_saddr_in(const struct fx *f, const struct nftnl_rule *r, bool v4,
			    const char *set)
{
	uint8_t proto = v4 ? NFPROTO_IPV4 : NFPROTO_IPV6;

	assert_meta_cmp(r, 0, NFT_META_NFPROTO, &proto, 1);
	assert_payload(r, 2, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, v4 ? 4 : 16);
	assert_lookup_named(f, r, 3, set);
}

/* "meta l4proto tcp" + "th dport" load at expression at */
static void assert_tcp_dport_load(const struct nftnl_rule *r, size_t at)
{
	uint8_t tcp = 6;

	assert_meta_cmp(r, at, NFT_META_L4PROTO, &tcp, 1);
	assert_payload(r, at + 2, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
}

static void assert_port_cmp(const struct nftnl_rule *r, size_t at, uint16_t port)
{
	const struct nftnl_expr *e = expr_at(r, at);
	uint16_t be = htons(port);

	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "cmp");
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG), NFT_REG_1);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), NFT_CMP_EQ);
	assert_expr_data(e, NFTNL_EXPR_CMP_DATA, &be, sizeof(be));
}

/* "ct state new" at expression at */
static void assert_ct_new(const struct nftnl_rule *r, size_t at)
{
	const struct nftnl_expr *ct = expr_at(r, at), *bw = expr_at(r, at + 1),
				*c = expr_at(r, at + 2);
	uint32_t mask = 8, zero = 0;	/* NF_CT_STATE_BIT(IP_CT_NEW) */

	assert_int_equal(nftnl_expr_get_u32(ct, NFTNL_EXPR_CT_KEY), NFT_CT_STATE);
	assert_int_equal(nftnl_expr_get_u32(ct, NFTNL_EXPR_CT_DREG), NFT_REG_1);
	assert_int_equal(nftnl_expr_get_u32(bw, NFTNL_EXPR_BITWISE_SREG), NFT_REG_1);
	assert_int_equal(nftnl_expr_get_u32(bw, NFTNL_EXPR_BITWISE_DREG), NFT_REG_1);
	assert_int_equal(nftnl_expr_get_u32(bw, NFTNL_EXPR_BITWISE_LEN), 4);
	assert_expr_data(bw, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	assert_expr_data(bw, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	assert_int_equal(nftnl_expr_get_u32(c, NFTNL_EXPR_CMP_OP), NFT_CMP_NEQ);
	assert_expr_data(c, NFTNL_EXPR_CMP_DATA, &zero, 4);
}

static void assert_log(const struct nftnl_rule *r, size_t at, uint16_t group, uint32_t snaplen)
{
	const struct nftnl_expr *e = expr_at(r, at);

	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "log");
	assert_int_equal(nftnl_expr_get_u16(e, NFTNL_EXPR_LOG_GROUP), group);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_LOG_SNAPLEN), snaplen);
}

static bool rule_has_expr(const struct nftnl_rule *r, const char *name)
{
	for (size_t i = 0, n = expr_count(r); i < n; i++)
		if (strcmp(nftnl_expr_get_str(expr_at(r, i), NFTNL_EXPR_NAME), name) == 0)
			return true;
	return false;
}

/* The three whitelist rules every ruleset starts with. */
static void assert_allow_rules(const struct fx *f)
{
	const struct nftnl_rule *r;
	uint16_t ether = 1;	/* ARPHRD_ETHER, host order like dev->type */

	for (int v4 = 1; v4 >= 0; v4--) {
		r = nth_rule(f, v4 ? 0 : 1);
		assert_rule_home(r);
		assert_exprs(r, "meta,cmp,payload,lookup,immediate");
		assert_saddr_in(f, r, v4, v4 ? "allow4" : "allow6");
		assert_verdict(r, 4, NFT_RETURN);
	}
	r = nth_rule(f, 2);
	assert_rule_home(r);
	assert_exprs(r, "meta,cmp,payload,lookup,immediate");
	assert_meta_cmp(r, 0, NFT_META_IIFTYPE, &ether, sizeof(ether));
	assert_payload(r, 2, NFT_PAYLOAD_LL_HEADER, 6, 6);
	assert_lookup_named(f, r, 3, "allowmac");
	assert_verdict(r, 4, NFT_RETURN);
}

/* --- tests --- */

/* Defaults, empty whitelist: the messages, the table, sets and chain. */
static void test_ruleset_defaults_objects(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();
	static const struct {
		const char *name;
		uint32_t flags, key_type, key_len;
	} sets[] = {
		{ "allow4", NFT_SET_INTERVAL, TYPE_IPADDR, 4 },
		{ "allow6", NFT_SET_INTERVAL, TYPE_IP6ADDR, 16 },
		{ "allowmac", 0, TYPE_ETHERADDR, 6 },
		{ "blocked4", NFT_SET_TIMEOUT, TYPE_IPADDR, 4 },
		{ "blocked6", NFT_SET_TIMEOUT, TYPE_IP6ADDR, 16 },
	};
	const struct nftnl_chain *c;
	uint32_t ids[5];

	build_ruleset(f, &rs, NULL, 0);
	assert_string_equal(types(f), "begin,newtable,deltable,newtable,"
			    "newset,newset,newset,newset,newset,newchain,"
			    "newrule,newrule,newrule,newrule,newrule,newrule,end");
	assert_int_equal(f->b.nmsgs, 15);

	for (size_t i = 1; i <= 3; i++) {
		assert_int_equal(nftnl_table_get_u32(f->m[i].t, NFTNL_TABLE_FAMILY), NFPROTO_INET);
		assert_string_equal(nftnl_table_get_str(f->m[i].t, NFTNL_TABLE_NAME), "nflogd");
	}
	assert_true(f->m[1].flags & NLM_F_CREATE);
	assert_false(f->m[1].flags & NLM_F_EXCL);	/* an old copy must not fail the batch */
	assert_true(f->m[3].flags & NLM_F_CREATE);

	for (size_t i = 0; i < 5; i++) {
		const struct nftnl_set *s = f->m[4 + i].s;

		assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), sets[i].name);
		assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_TABLE), "nflogd");
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_FAMILY), NFPROTO_INET);
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_FLAGS), sets[i].flags);
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), sets[i].key_type);
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), sets[i].key_len);
		assert_true(nftnl_set_is_set(s, NFTNL_SET_ID));
		ids[i] = nftnl_set_get_u32(s, NFTNL_SET_ID);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(ids[i], ids[j]);
		assert_true(f->m[4 + i].flags & NLM_F_CREATE);
	}

	c = f->m[9].c;
	assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY), NFPROTO_INET);
	assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), "nflogd");
	assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), "forward");
	assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), "filter");
	assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), NF_INET_FORWARD);
	assert_int_equal(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), -10);
	assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY), NF_ACCEPT);

	for (size_t i = 0; i < 6; i++)
		assert_int_equal(f->m[nth_index(f, NFT_MSG_NEWRULE, i)].flags &
				 (NLM_F_CREATE | NLM_F_APPEND), NLM_F_CREATE | NLM_F_APPEND);
}

/* Defaults: the six rules, expression by expression. */
static void test_ruleset_defaults_rules(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();
	const struct nftnl_rule *r;

	build_ruleset(f, &rs, NULL, 0);
	assert_int_equal(count_type(f, NFT_MSG_NEWRULE), 6);
	/* What the daemon later compares the kernel's count with. */
	assert_int_equal(f->b.nrules, 6);
	assert_allow_rules(f);

	for (int v4 = 1; v4 >= 0; v4--) {	/* blocked: tcp dport 25 counter drop */
		r = nth_rule(f, v4 ? 3 : 4);
		assert_rule_home(r);
		assert_exprs(r, "meta,cmp,payload,lookup,meta,cmp,payload,cmp,counter,immediate");
		assert_saddr_in(f, r, v4, v4 ? "blocked4" : "blocked6");
		assert_tcp_dport_load(r, 4);
		assert_port_cmp(r, 7, 25);
		assert_verdict(r, 9, NF_DROP);
	}

	r = nth_rule(f, 5);	/* tcp dport 25 ct state new log group 25 snaplen 128 */
	assert_rule_home(r);
	assert_exprs(r, "meta,cmp,payload,cmp,ct,bitwise,cmp,log");
	assert_tcp_dport_load(r, 0);
	assert_port_cmp(r, 3, 25);
	assert_ct_new(r, 4);
	assert_log(r, 7, 25, 128);
}

/* Other group and snaplen reach the log rule. */
static void test_ruleset_log_group_snaplen(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();

	rs.group = 7;
	rs.snaplen = 96;
	build_ruleset(f, &rs, NULL, 0);
	assert_log(nth_rule(f, 5), 7, 7, 96);
}

static void test_scope_all(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();

	rs.scope_all = true;
	build_ruleset(f, &rs, NULL, 0);
	assert_int_equal(count_type(f, NFT_MSG_NEWRULE), 6);
	assert_allow_rules(f);
	for (int v4 = 1; v4 >= 0; v4--) {
		const struct nftnl_rule *r = nth_rule(f, v4 ? 3 : 4);

		assert_exprs(r, "meta,cmp,payload,lookup,counter,immediate");
		assert_saddr_in(f, r, v4, v4 ? "blocked4" : "blocked6");
		assert_verdict(r, 5, NF_DROP);
	}
	/* The log rule still matches the ports. */
	assert_exprs(nth_rule(f, 5), "meta,cmp,payload,cmp,ct,bitwise,cmp,log");
	assert_port_cmp(nth_rule(f, 5), 3, 25);
}

/* scope all with several ports: only the log rule needs a port set. */
static void test_scope_all_several_ports(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();

	rs.scope_all = true;
	rs.ports = ports3;
	rs.nports = 3;
	build_ruleset(f, &rs, NULL, 0);
	assert_int_equal(count_type(f, NFT_MSG_NEWSET), 6);
	assert_exprs(nth_rule(f, 3), "meta,cmp,payload,lookup,counter,immediate");
	assert_exprs(nth_rule(f, 5), "meta,cmp,payload,lookup,ct,bitwise,cmp,log");
}

static void test_no_log_rule(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();

	rs.log_rule = false;
	build_ruleset(f, &rs, NULL, 0);
	assert_string_equal(types(f), "begin,newtable,deltable,newtable,"
			    "newset,newset,newset,newset,newset,newchain,"
			    "newrule,newrule,newrule,newrule,newrule,end");
	for (size_t i = 0; i < 5; i++)
		assert_false(rule_has_expr(nth_rule(f, i), "log"));
	assert_exprs(nth_rule(f, 3), "meta,cmp,payload,lookup,meta,cmp,payload,cmp,counter,immediate");
	assert_exprs(nth_rule(f, 4), "meta,cmp,payload,lookup,meta,cmp,payload,cmp,counter,immediate");
}

/* Ports {25, 465, 587}: one anonymous constant set per rule that matches
 * them, filled before the rule that uses it, linked by set ID. */
static void test_several_ports(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();
	uint32_t anon_ids[3];
	size_t nanon = 0;

	rs.ports = ports3;
	rs.nports = 3;
	build_ruleset(f, &rs, NULL, 0);
	assert_int_equal(count_type(f, NFT_MSG_NEWSET), 5 + 3);
	assert_int_equal(count_type(f, NFT_MSG_NEWSETELEM), 3);
	assert_int_equal(count_type(f, NFT_MSG_NEWRULE), 6);

	for (size_t i = 0; i < f->n; i++) {
		const struct nftnl_set *s = f->m[i].s;
		uint32_t id;
		size_t users = 0, elems_at = 0, rule_at = 0;

		if (f->m[i].type != NFT_MSG_NEWSET ||
		    !(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS))
			continue;
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
				 NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
		assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), "__set%d");
		assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_TABLE), "nflogd");
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), 2);
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), TYPE_INET_SERVICE);
		assert_true(nftnl_set_is_set(s, NFTNL_SET_ID));
		id = nftnl_set_get_u32(s, NFTNL_SET_ID);
		assert_true(id >= SET_PORTS_FIRST);	/* apart from the named sets */
		assert_true(nanon < 3);
		for (size_t j = 0; j < nanon; j++)
			assert_int_not_equal(anon_ids[j], id);
		anon_ids[nanon++] = id;

		/* Its elements: one message, by ID, after the set. */
		for (size_t j = 0; j < f->n; j++) {
			struct nftnl_set *es = f->m[j].s;

			if (f->m[j].type != NFT_MSG_NEWSETELEM ||
			    nftnl_set_get_u32(es, NFTNL_SET_ID) != id)
				continue;
			assert_int_equal(elems_at, 0);
			elems_at = j;
			f->ne = 0;
			assert_int_equal(nftnl_set_elem_foreach(es, collect_one, f), 0);
			assert_int_equal(f->ne, 3);
			for (size_t k = 0; k < 3; k++) {
				uint16_t be = htons(ports3[k]);

				assert_int_equal(f->e[k].len, 2);
				assert_memory_equal(f->e[k].key, &be, 2);
				assert_false(f->e[k].has_timeout);
			}
		}
		assert_true(elems_at > i);

		/* Exactly one rule looks it up, after set and elements. */
		for (size_t j = 0; j < f->n; j++) {
			const struct nftnl_rule *r = f->m[j].r;

			if (f->m[j].type != NFT_MSG_NEWRULE)
				continue;
			for (size_t k = 0, n = expr_count(r); k < n; k++) {
				const struct nftnl_expr *e = expr_at(r, k);

				if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "lookup") == 0 &&
				    nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SET_ID) == id) {
					users++;
					rule_at = j;
				}
			}
		}
		assert_int_equal(users, 1);
		assert_true(rule_at > elems_at);
	}
	assert_int_equal(nanon, 3);

	for (int v4 = 1; v4 >= 0; v4--) {
		const struct nftnl_rule *r = nth_rule(f, v4 ? 3 : 4);

		assert_exprs(r, "meta,cmp,payload,lookup,meta,cmp,payload,lookup,counter,immediate");
		assert_saddr_in(f, r, v4, v4 ? "blocked4" : "blocked6");
		assert_tcp_dport_load(r, 4);
		assert_int_equal(nftnl_expr_get_u32(expr_at(r, 7), NFTNL_EXPR_LOOKUP_SREG), NFT_REG_1);
		assert_verdict(r, 9, NF_DROP);
	}
	assert_exprs(nth_rule(f, 5), "meta,cmp,payload,lookup,ct,bitwise,cmp,log");
	assert_log(nth_rule(f, 5), 7, 25, 128);
}

static void test_whitelist_elements(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();

	load_whitelist(f, "# the office\n192.0.2.0/24\n198.51.100.7  # printer\n\n"
			  "2001:db8::/32\n02:00:5e:10:20:30\n");
	build_ruleset(f, &rs, NULL, 0);
	assert_string_equal(types(f), "begin,newtable,deltable,newtable,"
			    "newset,newset,newset,newset,newset,"
			    "newsetelem,newsetelem,newsetelem,newchain,"
			    "newrule,newrule,newrule,newrule,newrule,newrule,end");

	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "allow4", SET_ALLOW4), 1);
	assert_int_equal(f->ne, 4);
	assert_elem(&f->e[0], "192.0.2.0", false);
	assert_elem(&f->e[1], "192.0.3.0", true);
	assert_elem(&f->e[2], "198.51.100.7", false);
	assert_elem(&f->e[3], "198.51.100.8", true);

	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "allow6", SET_ALLOW6), 1);
	assert_int_equal(f->ne, 2);
	assert_elem(&f->e[0], "2001:db8::", false);
	assert_elem(&f->e[1], "2001:db9::", true);

	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "allowmac", SET_ALLOWMAC), 1);
	assert_int_equal(f->ne, 1);
	assert_int_equal(f->e[0].len, 6);
	assert_memory_equal(f->e[0].key, mac, 6);
	assert_false(f->e[0].has_flags && f->e[0].flags != 0);

	for (size_t i = 0; i < 3; i++)
		assert_true(f->m[nth_index(f, NFT_MSG_NEWSETELEM, i)].flags & NLM_F_CREATE);
	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "blocked4", 0), 0);
	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "blocked6", 0), 0);
}

/* All of IPv4 (two halves: a /0 entry is refused): the range ends at the
 * top of the space, an END element at "last + 1" would wrap to 0.0.0.0;
 * there must be none. */
static void test_whitelist_everything_v4(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();

	load_whitelist(f, "0.0.0.0/1\n128.0.0.0/1\n");
	build_ruleset(f, &rs, NULL, 0);
	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "allow4", SET_ALLOW4), 1);
	assert_int_equal(f->ne, 1);
	assert_elem(&f->e[0], "0.0.0.0", false);
	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "allow6", 0), 0);
}

/* Ranges reaching the top, v4 and v6, next to ordinary ones. */
static void test_whitelist_top_of_space(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();

	load_whitelist(f, "240.0.0.0/4\n10.0.0.0/8\nffff::/16\n8000::/1\n");
	build_ruleset(f, &rs, NULL, 0);
	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "allow4", SET_ALLOW4), 1);
	assert_int_equal(f->ne, 3);
	assert_elem(&f->e[0], "10.0.0.0", false);
	assert_elem(&f->e[1], "11.0.0.0", true);
	assert_elem(&f->e[2], "240.0.0.0", false);
	/* 8000::/1 swallows ffff::/16: one open range. */
	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "allow6", SET_ALLOW6), 1);
	assert_int_equal(f->ne, 1);
	assert_elem(&f->e[0], "8000::", false);
}

/* More ranges than fit one message: every start/end pair, in order. */
static void test_whitelist_many_ranges(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();
	size_t n = 300, cap = n * 20 + 1, off = 0, msgs;
	char *text = malloc(cap);

	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, cap - off, "10.%zu.%zu.1\n", i / 250, i % 250);
	load_whitelist(f, text);
	free(text);
	build_ruleset(f, &rs, NULL, 0);
	msgs = collect_elems(f, NFT_MSG_NEWSETELEM, "allow4", SET_ALLOW4);
	assert_int_equal(msgs, (2 * n + NFT_ELEMS_PER_MSG - 1) / NFT_ELEMS_PER_MSG);
	assert_int_equal(f->ne, 2 * n);
	for (size_t i = 0; i < n; i++) {
		char a[32], b[32];

		snprintf(a, sizeof(a), "10.%zu.%zu.1", i / 250, i % 250);
		snprintf(b, sizeof(b), "10.%zu.%zu.2", i / 250, i % 250);
		assert_elem(&f->e[2 * i], a, false);
		assert_elem(&f->e[2 * i + 1], b, true);
	}
}

static void parse_block(struct nft_block_elem *e, const char *text, uint64_t timeout_ms)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(addr_parse(text, &e->addr), 0);
	e->timeout_ms = timeout_ms;
}

static void assert_block_elem(const struct elem *e, const struct nft_block_elem *want,
			      bool timeouts)
{
	bool v4 = addr_is_v4(&want->addr);

	assert_int_equal(e->len, v4 ? 4 : 16);
	assert_memory_equal(e->key, want->addr.b + (v4 ? 12 : 0), v4 ? 4 : 16);
	assert_false(e->has_flags && e->flags != 0);
	if (timeouts && want->timeout_ms) {
		assert_true(e->has_timeout);
		assert_int_equal(e->timeout, want->timeout_ms);
	} else {
		assert_false(e->has_timeout);
	}
}

static void check_ruleset_blocks(struct fx *f, bool timeouts)
{
	struct nft_ruleset rs = default_rs();
	struct nft_block_elem blocks[5];
	const struct nft_block_elem *v4[3] = { &blocks[0], &blocks[2], &blocks[3] };
	const struct nft_block_elem *v6[2] = { &blocks[1], &blocks[4] };

	parse_block(&blocks[0], "203.0.113.1", 5000);
	parse_block(&blocks[1], "2001:db8::1", 5000);
	parse_block(&blocks[2], "203.0.113.2", 0);
	parse_block(&blocks[3], "203.0.113.3", 5000);
	/* An IPv4-mapped IPv6 source goes to blocked6, all 16 bytes of it. */
	parse_block(&blocks[4], "::ffff:203.0.113.2", 0);
	rs.timeouts = timeouts;
	build_ruleset(f, &rs, blocks, 5);
	assert_string_equal(types(f), "begin,newtable,deltable,newtable,"
			    "newset,newset,newset,newset,newset,"
			    "newsetelem,newsetelem,newchain,"
			    "newrule,newrule,newrule,newrule,newrule,newrule,end");
	assert_int_equal(nftnl_set_get_u32(newset_named(f, "blocked4")->s, NFTNL_SET_FLAGS),
			 timeouts ? NFT_SET_TIMEOUT : 0);
	assert_int_equal(nftnl_set_get_u32(newset_named(f, "blocked6")->s, NFTNL_SET_FLAGS),
			 timeouts ? NFT_SET_TIMEOUT : 0);

	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "blocked4", SET_BLOCKED4), 1);
	assert_int_equal(f->ne, 3);
	for (size_t i = 0; i < 3; i++)
		assert_block_elem(&f->e[i], v4[i], timeouts);
	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "blocked6", SET_BLOCKED6), 1);
	assert_int_equal(f->ne, 2);
	for (size_t i = 0; i < 2; i++)
		assert_block_elem(&f->e[i], v6[i], timeouts);
}

static void test_ruleset_blocks_timeouts(void **state)
{
	check_ruleset_blocks(*state, true);
}

static void test_ruleset_blocks_no_timeouts(void **state)
{
	check_ruleset_blocks(*state, false);
}

/* Many blocks: NFT_ELEMS_PER_MSG per message, each message small enough,
 * every element exactly once and in order. */
static void check_put_blocks(struct fx *f, bool v4, bool add, size_t n)
{
	uint16_t type = add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM;
	const char *set = v4 ? "blocked4" : "blocked6";
	size_t msgs, nfull = n / NFT_ELEMS_PER_MSG;

	f->blocks = calloc(n, sizeof(*f->blocks));
	assert_non_null(f->blocks);
	for (size_t i = 0; i < n; i++) {
		char text[64];

		if (v4)
			snprintf(text, sizeof(text), "10.%zu.%zu.%zu", i >> 16, (i >> 8) & 255, i & 255);
		else
			snprintf(text, sizeof(text), "2001:db8:%zx::%zx", i >> 16, i & 0xffff);
		parse_block(&f->blocks[i], text, 1000 * (i + 1));
	}
	nft_batch_start(&f->b);
	nft_batch_put_blocks(&f->b, "nflogd", add, true, f->blocks, n);
	nft_batch_finish(&f->b);
	parse_batch(f);
	check_framing(f);

	msgs = collect_elems(f, type, set, v4 ? SET_BLOCKED4 : SET_BLOCKED6);
	assert_int_equal(msgs, (n + NFT_ELEMS_PER_MSG - 1) / NFT_ELEMS_PER_MSG);
	assert_int_equal(f->n, msgs + 2);	/* nothing else in the batch */
	assert_int_equal(f->ne, n);
	for (size_t i = 0; i < n; i++)
		assert_block_elem(&f->e[i], &f->blocks[i], add);
	for (size_t i = 1; i + 1 < f->n; i++) {
		size_t elems = 0;

		assert_int_equal(f->m[i].type, type);
		assert_true(f->m[i].len < 16384);	/* "well under 16 KiB" */
		f->ne = 0;
		assert_int_equal(nftnl_set_elem_foreach(f->m[i].s, collect_one, f), 0);
		elems = f->ne;
		assert_int_equal(elems, i <= nfull ? NFT_ELEMS_PER_MSG : n % NFT_ELEMS_PER_MSG);
	}
}

static void test_put_blocks_add_1000(void **state)
{
	check_put_blocks(*state, true, true, 1000);
}

static void test_put_blocks_add_1000_v6(void **state)
{
	check_put_blocks(*state, false, true, 1000);
}

static void test_put_blocks_delete(void **state)
{
	check_put_blocks(*state, true, false, 1000);
}

static void test_put_blocks_delete_v6(void **state)
{
	check_put_blocks(*state, false, false, 300);
}

static void test_put_blocks_exact_multiple(void **state)
{
	check_put_blocks(*state, true, true, 2 * NFT_ELEMS_PER_MSG);
}

static void test_put_blocks_none(void **state)
{
	struct fx *f = *state;

	nft_batch_start(&f->b);
	nft_batch_put_blocks(&f->b, "nflogd", true, true, NULL, 0);
	nft_batch_finish(&f->b);
	parse_batch(f);
	check_framing(f);
	assert_string_equal(types(f), "begin,end");
	assert_int_equal(f->b.nmsgs, 0);
}

static void test_table_delete(void **state)
{
	struct fx *f = *state;

	nft_batch_start(&f->b);
	nft_batch_put_table_delete(&f->b, "nflogd");
	nft_batch_finish(&f->b);
	parse_batch(f);
	check_framing(f);
	assert_string_equal(types(f), "begin,deltable,end");
	assert_string_equal(nftnl_table_get_str(f->m[1].t, NFTNL_TABLE_NAME), "nflogd");
	assert_int_equal(nftnl_table_get_u32(f->m[1].t, NFTNL_TABLE_FAMILY), NFPROTO_INET);
	assert_non_null(strstr(nft_batch_label(&f->b, f->m[1].seq), "nflogd"));
}

static void assert_label_has(const struct fx *f, size_t msg, const char *part)
{
	const char *l = nft_batch_label(&f->b, f->m[msg].seq);

	if (strstr(l, part) == NULL)
		fail_msg("label of message %zu is '%s', expected it to name '%s'", msg, l, part);
}

static void test_labels(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();
	struct nft_block_elem blocks[2];

	parse_block(&blocks[0], "203.0.113.1", 5000);
	parse_block(&blocks[1], "2001:db8::1", 0);
	load_whitelist(f, "192.0.2.0/24\n");
	build_ruleset(f, &rs, blocks, 2);
	assert_string_equal(types(f), "begin,newtable,deltable,newtable,"
			    "newset,newset,newset,newset,newset,"
			    "newsetelem,newsetelem,newsetelem,newchain,"
			    "newrule,newrule,newrule,newrule,newrule,newrule,end");
	for (size_t i = 1; i + 1 < f->n; i++) {
		const char *l = nft_batch_label(&f->b, f->m[i].seq);

		assert_string_not_equal(l, "batch");
		assert_true(l[0] != '\0');
	}
	assert_label_has(f, 1, "nflogd");
	assert_label_has(f, 2, "delete");
	assert_label_has(f, 4, "allow4");
	assert_label_has(f, 8, "blocked6");
	assert_label_has(f, 9, "allow4");
	assert_label_has(f, 10, "blocked4");
	assert_label_has(f, 11, "blocked6");
	assert_label_has(f, 12, "chain");
	assert_label_has(f, 13, "allow4");
	assert_label_has(f, 14, "allow6");
	assert_label_has(f, 15, "allowmac");
	assert_label_has(f, 16, "blocked4");
	assert_label_has(f, 17, "blocked6");
	assert_label_has(f, 18, "log");
	/* The delimiters and unknown numbers name the batch. */
	assert_string_equal(nft_batch_label(&f->b, FIRST_SEQ), "batch");
	assert_string_equal(nft_batch_label(&f->b, f->m[f->n - 1].seq), "batch");
	assert_string_equal(nft_batch_label(&f->b, FIRST_SEQ + 5000), "batch");
	assert_string_equal(nft_batch_label(&f->b, 0), "batch");
}

/* One call takes both families, in order, and leaves timeouts out when
 * the sets were made without them. */
static void test_blocks_mixed_families_without_timeouts(void **state)
{
	struct fx *f = *state;
	struct nft_block_elem blocks[3];

	parse_block(&blocks[0], "203.0.113.1", 5000);
	parse_block(&blocks[1], "2001:db8::1", 5000);
	parse_block(&blocks[2], "203.0.113.2", 5000);
	nft_batch_start(&f->b);
	nft_batch_put_blocks(&f->b, "nflogd", true, false, blocks, 3);
	nft_batch_finish(&f->b);
	parse_batch(f);
	check_framing(f);
	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "blocked4", SET_BLOCKED4), 1);
	assert_int_equal(f->ne, 2);
	assert_elem(&f->e[0], "203.0.113.1", false);
	assert_elem(&f->e[1], "203.0.113.2", false);
	assert_int_equal(collect_elems(f, NFT_MSG_NEWSETELEM, "blocked6", SET_BLOCKED6), 1);
	assert_int_equal(f->ne, 1);
	assert_elem(&f->e[0], "2001:db8::1", false);
}

static void test_labels_blocks(void **state)
{
	struct fx *f = *state;
	struct nft_block_elem blocks[2];

	parse_block(&blocks[0], "203.0.113.1", 5000);
	parse_block(&blocks[1], "2001:db8::1", 0);
	nft_batch_start(&f->b);
	nft_batch_put_blocks(&f->b, "nflogd", true, true, &blocks[0], 1);
	nft_batch_put_blocks(&f->b, "nflogd", false, true, &blocks[1], 1);
	nft_batch_finish(&f->b);
	parse_batch(f);
	check_framing(f);
	assert_string_equal(types(f), "begin,newsetelem,delsetelem,end");
	assert_label_has(f, 1, "blocked4");
	assert_label_has(f, 2, "blocked6");
	assert_string_equal(nft_batch_label(&f->b, f->m[3].seq + 1), "batch");
}

/* Sequence numbers go on from where the caller's counter stands. */
static void test_seq_continues(void **state)
{
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();
	uint32_t next;

	build_ruleset(f, &rs, NULL, 0);
	next = f->b.seq;
	nft_batch_free(&f->b);
	nft_batch_init(&f->b, next);
	nft_batch_start(&f->b);
	nft_batch_put_table_delete(&f->b, "nflogd");
	nft_batch_finish(&f->b);
	assert_int_equal(f->b.seq, next + 3);
	assert_int_equal(f->b.nmsgs, 1);
	assert_string_equal(nft_batch_label(&f->b, next), "batch");
	assert_non_null(strstr(nft_batch_label(&f->b, next + 1), "delete"));
}

/* ---- element lists: the table check's view of the kernel's sets ---- */

/* A NEWSETELEM message of a batch as the kernel's dump would carry it (its
 * nests numbered as the kernel does, see renumbered()). */
static void parse_as_dump(const struct nlmsghdr *nlh, struct nft_elem_list *l)
{
	struct nlmsghdr *copy = renumbered(nlh);

	assert_int_equal(nft_elems_parse(copy, l), 0);
	free(copy);
}

/* Every NEWSETELEM message of the batch, as a dump reply, into one list. */
static void parse_batch_elems(struct fx *f, struct nft_elem_list *l)
{
	const struct nlmsghdr *nlh = (const void *)f->b.buf;
	int left = (int)f->b.len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWSETELEM &&
		    NFNL_SUBSYS_ID(nlh->nlmsg_type) == NFNL_SUBSYS_NFTABLES)
			parse_as_dump(nlh, l);
}

static void test_elems_parse_blocks(void **state)
{
	struct fx *f = *state;
	struct nft_elem_list l = { 0 };
	enum { N = 600 };

	f->blocks = calloc(N, sizeof(*f->blocks));
	assert_non_null(f->blocks);
	for (size_t i = 0; i < N; i++) {
		char text[64];

		snprintf(text, sizeof(text), i % 2 ? "10.1.%zu.%zu" : "2001:db8::%zx:%zx", i >> 8,
			 i & 255);
		parse_block(&f->blocks[i], text, i % 3 ? 1000 * (i + 1) : 0);
	}
	nft_batch_start(&f->b);
	nft_batch_put_blocks(&f->b, "nflogd", true, true, f->blocks, N);
	nft_batch_finish(&f->b);
	parse_batch_elems(f, &l);
	assert_int_equal(l.n, N);
	nft_elems_sort(&l);
	for (size_t i = 0; i < N; i++) {
		bool v4 = addr_is_v4(&f->blocks[i].addr);
		const struct nft_elem *e = nft_elem_find(&l, f->blocks[i].addr.b + (v4 ? 12 : 0),
							 v4 ? 4 : 16, 0);

		assert_non_null(e);
		assert_int_equal(e->timeout_ms, f->blocks[i].timeout_ms);
		assert_int_equal(e->expires_ms, 0);
	}
	/* An address not put, and a right key with the wrong flags, are not found. */
	{
		static const uint8_t other[4] = { 10, 9, 9, 9 };

		assert_null(nft_elem_find(&l, other, 4, 0));
		assert_null(nft_elem_find(&l, f->blocks[1].addr.b + 12, 4, NFT_SET_ELEM_INTERVAL_END));
	}
	nft_elem_list_free(&l);
}

/* A dump reply carries the time left of each element. */
static void test_elems_parse_expiration(void **state)
{
	static const uint8_t key[4] = { 192, 0, 2, 10 };
	char buf[4096];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	struct nft_elem_list l = { 0 };
	struct nlmsghdr *nlh;

	(void)state;
	assert_non_null(s);
	assert_non_null(e);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "nflogd");
	nftnl_set_set_str(s, NFTNL_SET_NAME, "blocked4");
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
	nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, 600000);
	nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_EXPIRATION, 599300);
	nftnl_set_elem_add(s, e);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSETELEM, NFPROTO_INET, 0, 1);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	assert_int_equal(nft_elems_parse(nlh, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].len, 4);
	assert_memory_equal(l.v[0].key, key, 4);
	assert_int_equal(l.v[0].timeout_ms, 600000);
	assert_int_equal(l.v[0].expires_ms, 599300);
	nft_elem_list_free(&l);

	/* Too short to be an element message: refused, nothing added. */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSETELEM, NFPROTO_INET, 0, 1);
	nlh->nlmsg_len = NLMSG_HDRLEN;	/* no nfgenmsg, no attributes */
	assert_int_equal(nft_elems_parse(nlh, &l), -1);
	assert_int_equal(l.n, 0);
	nft_elem_list_free(&l);
}

/* What the check expects in the whitelist sets is exactly what the install
 * puts there; one element gone is seen. */
static void test_whitelist_elems_as_installed(void **state)
{
	static const struct { enum nft_set_id id; const char *name; size_t n; } sets[] = {
		{ SET_ALLOW4, "allow4", 4 }, { SET_ALLOW6, "allow6", 2 }, { SET_ALLOWMAC, "allowmac", 1 },
	};
	struct fx *f = *state;
	struct nft_ruleset rs = default_rs();

	load_whitelist(f, "192.0.2.0/24\n198.51.100.7\n2001:db8::/32\n02:00:5e:10:20:30\n");
	build_ruleset(f, &rs, NULL, 0);
	for (size_t i = 0; i < 3; i++) {
		struct nft_elem_list want = { 0 }, have = { 0 };
		const struct nlmsghdr *nlh = (const void *)f->b.buf;
		int left = (int)f->b.len;

		assert_int_equal(nft_whitelist_elems(&f->wl, sets[i].id, &want), 0);
		assert_int_equal(want.n, sets[i].n);
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			struct nftnl_set *s = nftnl_set_alloc();

			assert_non_null(s);
			if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWSETELEM &&
			    NFNL_SUBSYS_ID(nlh->nlmsg_type) == NFNL_SUBSYS_NFTABLES &&
			    parse_elems(nlh, s) == 0 &&
			    strcmp(nftnl_set_get_str(s, NFTNL_SET_NAME), sets[i].name) == 0)
				parse_as_dump(nlh, &have);
			nftnl_set_free(s);
		}
		nft_elems_sort(&have);
		assert_int_equal(have.n, want.n);
		assert_int_equal(nft_elems_missing(&want, &have), 0);
		/* The last one gone (an END element for the ranges). */
		have.n--;
		assert_int_equal(nft_elems_missing(&want, &have), 1);
		have.n = 0;
		assert_int_equal(nft_elems_missing(&want, &have), want.n);
		nft_elem_list_free(&want);
		nft_elem_list_free(&have);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_ruleset_defaults_objects),
		T(test_ruleset_defaults_rules),
		T(test_ruleset_log_group_snaplen),
		T(test_scope_all),
		T(test_scope_all_several_ports),
		T(test_no_log_rule),
		T(test_several_ports),
		T(test_whitelist_elements),
		T(test_whitelist_everything_v4),
		T(test_whitelist_top_of_space),
		T(test_whitelist_many_ranges),
		T(test_ruleset_blocks_timeouts),
		T(test_ruleset_blocks_no_timeouts),
		T(test_put_blocks_add_1000),
		T(test_put_blocks_add_1000_v6),
		T(test_put_blocks_delete),
		T(test_put_blocks_delete_v6),
		T(test_put_blocks_exact_multiple),
		T(test_put_blocks_none),
		T(test_table_delete),
		T(test_labels),
		T(test_blocks_mixed_families_without_timeouts),
		T(test_labels_blocks),
		T(test_seq_continues),
		T(test_elems_parse_blocks),
		T(test_elems_parse_expiration),
		T(test_whitelist_elems_as_installed),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
