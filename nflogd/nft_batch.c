/* nf_tables batch encoding with libnftnl. */
#include "nft_batch.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#define MSG_RESERVE (32 << 10)	/* room made before each message is built */

/* nftables' datatype numbers, so `nft list` prints keys in their form. */
enum { TYPE_IPADDR = 7, TYPE_IP6ADDR = 8, TYPE_ETHERADDR = 9, TYPE_INET_SERVICE = 13 };

void nft_batch_init(struct nft_batch *b, uint32_t first_seq)
{
	memset(b, 0, sizeof(*b));
	b->seq = first_seq;
}

void nft_batch_free(struct nft_batch *b)
{
	free(b->buf);
	free(b->labels);
	memset(b, 0, sizeof(*b));
}

static bool reserve(struct nft_batch *b, size_t need)
{
	if (b->failed)
		return false;
	if (b->len + need > b->cap) {
		size_t cap = b->cap ? b->cap : 64 << 10;
		char *p;

		while (b->len + need > cap)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (p == NULL) {
			b->failed = true;
			return false;
		}
		memset(p + b->cap, 0, cap - b->cap);
		b->buf = p;
		b->cap = cap;
	}
	return true;
}

static void add_label(struct nft_batch *b, uint32_t seq, const char *what)
{
	if (b->nlabels == b->labels_cap) {
		size_t cap = b->labels_cap ? b->labels_cap * 2 : 32;
		struct nft_msg_label *p = realloc(b->labels, cap * sizeof(*p));

		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->labels = p;
		b->labels_cap = cap;
	}
	b->labels[b->nlabels].seq = seq;
	snprintf(b->labels[b->nlabels].what, sizeof(b->labels[0].what), "%s", what);
	b->nlabels++;
}

const char *nft_batch_label(const struct nft_batch *b, uint32_t seq)
{
	for (size_t i = 0; i < b->nlabels; i++)
		if (b->labels[i].seq == seq)
			return b->labels[i].what;
	return "batch";
}

static struct nlmsghdr *msg_start(struct nft_batch *b, uint16_t type, uint16_t flags,
				  const char *what)
{
	struct nlmsghdr *nlh;

	if (!reserve(b, MSG_RESERVE))
		return NULL;
	nlh = nftnl_nlmsg_build_hdr(b->buf + b->len, type, NFPROTO_INET, flags | NLM_F_ACK,
				    b->seq);
	add_label(b, b->seq, what);
	b->seq++;
	b->nmsgs++;
	return nlh;
}

static void msg_end(struct nft_batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

void nft_batch_start(struct nft_batch *b)
{
	if (reserve(b, MNL_SOCKET_BUFFER_SIZE))
		b->len += NLMSG_ALIGN(nftnl_batch_begin(b->buf + b->len, b->seq++)->nlmsg_len);
}

void nft_batch_finish(struct nft_batch *b)
{
	if (reserve(b, MNL_SOCKET_BUFFER_SIZE))
		b->len += NLMSG_ALIGN(nftnl_batch_end(b->buf + b->len, b->seq++)->nlmsg_len);
}

/* --- tables, chains, sets --- */

static void put_table(struct nft_batch *b, const char *name, uint16_t type)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	char what[48];

	snprintf(what, sizeof(what), "%s table inet %s",
		 type == NFT_MSG_NEWTABLE ? "add" : "delete", name);
	nlh = msg_start(b, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, what);
	if (t == NULL || nlh == NULL) {
		b->failed = true;
	} else {
		nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
		nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
		nftnl_table_nlmsg_build_payload(nlh, t);
		msg_end(b, nlh);
	}
	nftnl_table_free(t);
}

void nft_batch_put_table_delete(struct nft_batch *b, const char *table)
{
	put_table(b, table, NFT_MSG_DELTABLE);
}

static void put_chain(struct nft_batch *b, const char *table)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh = msg_start(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, "add chain forward");

	if (c == NULL || nlh == NULL) {
		b->failed = true;
	} else {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, NFT_CHAIN_NAME);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NFT_CHAIN_PRIORITY);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		nftnl_chain_nlmsg_build_payload(nlh, c);
		msg_end(b, nlh);
	}
	nftnl_chain_free(c);
}

struct set_desc {
	const char *name;
	uint32_t id, flags, key_type, key_len;
};

static const struct set_desc named_sets[] = {
	{ "allow4", SET_ALLOW4, NFT_SET_INTERVAL, TYPE_IPADDR, 4 },
	{ "allow6", SET_ALLOW6, NFT_SET_INTERVAL, TYPE_IP6ADDR, 16 },
	{ "allowmac", SET_ALLOWMAC, 0, TYPE_ETHERADDR, 6 },
	{ "blocked4", SET_BLOCKED4, NFT_SET_TIMEOUT, TYPE_IPADDR, 4 },
	{ "blocked6", SET_BLOCKED6, NFT_SET_TIMEOUT, TYPE_IP6ADDR, 16 },
};

static struct nftnl_set *set_for(const char *table, const char *name, uint32_t id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (s) {
		nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
		nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, name);
		nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	}
	return s;
}

static void put_set(struct nft_batch *b, const char *table, const struct set_desc *d)
{
	struct nftnl_set *s = set_for(table, d->name, d->id);
	struct nlmsghdr *nlh;
	char what[48];

	snprintf(what, sizeof(what), "add set %s", d->name);
	nlh = msg_start(b, NFT_MSG_NEWSET, NLM_F_CREATE, what);
	if (s == NULL || nlh == NULL) {
		b->failed = true;
	} else {
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
		nftnl_set_nlmsg_build_payload(nlh, s);
		msg_end(b, nlh);
	}
	nftnl_set_free(s);
}

/* Elements go out in messages of at most NFT_ELEMS_PER_MSG. */
struct chunker {
	struct nft_batch *b;
	const char *table, *set, *what;
	uint32_t set_id;
	bool add;
	struct nftnl_set *s;
	int n;
};

static void chunk_flush(struct chunker *c)
{
	struct nlmsghdr *nlh;

	if (c->s == NULL)
		return;
	nlh = msg_start(c->b, c->add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
			c->add ? NLM_F_CREATE : 0, c->what);
	if (nlh == NULL) {
		c->b->failed = true;
	} else {
		nftnl_set_elems_nlmsg_build_payload(nlh, c->s);
		msg_end(c->b, nlh);
	}
	nftnl_set_free(c->s);
	c->s = NULL;
	c->n = 0;
}

static void chunk_add(struct chunker *c, const void *key, size_t len, uint32_t flags,
		      uint64_t timeout_ms)
{
	struct nftnl_set_elem *e;

	if (c->s == NULL)
		c->s = set_for(c->table, c->set, c->set_id);
	e = nftnl_set_elem_alloc();
	if (c->s == NULL || e == NULL) {
		c->b->failed = true;
		nftnl_set_elem_free(e);
		return;
	}
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)len);
	if (flags)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, flags);
	if (timeout_ms)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
	nftnl_set_elem_add(c->s, e);
	if (++c->n == NFT_ELEMS_PER_MSG)
		chunk_flush(c);
}

/* key + 1 over a big-endian number of len bytes; false when it overflows. */
static bool key_increment(uint8_t *key, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (++key[i] != 0)
			return true;
	return false;
}

/* An interval set holds [first, last] as first and an END element at last + 1. */
static int range_elems(const struct whitelist *wl, bool v4, struct nft_elem_list *out)
{
	struct addr_range *r = calloc(wl->nnets ? wl->nnets : 1, sizeof(*r));
	size_t n = r ? whitelist_ranges(wl, v4, r) : 0, len = v4 ? 4 : 16, off = v4 ? 12 : 0;
	int rc = r ? 0 : -1;

	for (size_t i = 0; i < n && rc == 0; i++) {
		uint8_t end[16];

		rc = nft_elem_push(out, r[i].first.b + off, len, 0, 0, 0);
		memcpy(end, r[i].last.b + off, len);
		if (rc == 0 && key_increment(end, len))
			rc = nft_elem_push(out, end, len, NFT_SET_ELEM_INTERVAL_END, 0, 0);
	}
	free(r);
	return rc;
}

int nft_whitelist_elems(const struct whitelist *wl, enum nft_set_id set,
			struct nft_elem_list *out)
{
	if (set == SET_ALLOW4 || set == SET_ALLOW6)
		return range_elems(wl, set == SET_ALLOW4, out);
	for (size_t i = 0; i < wl->nmacs; i++)
		if (nft_elem_push(out, wl->macs[i].b, sizeof(wl->macs[i].b), 0, 0, 0) < 0)
			return -1;
	return 0;
}

static void put_whitelist(struct nft_batch *b, const char *table, const struct whitelist *wl,
			  const struct set_desc *d)
{
	char what[48];
	struct chunker c = { b, table, d->name, what, d->id, true, NULL, 0 };
	struct nft_elem_list l = { 0 };

	snprintf(what, sizeof(what), "add whitelist to %s", d->name);
	if (nft_whitelist_elems(wl, d->id, &l) < 0)
		b->failed = true;
	for (size_t i = 0; i < l.n; i++)
		chunk_add(&c, l.v[i].key, l.v[i].len, l.v[i].flags, 0);
	chunk_flush(&c);
	nft_elem_list_free(&l);
}

/* One family's elements of a block list. */
static void put_family_blocks(struct nft_batch *b, const char *table, bool v4, bool add,
			      bool timeouts, const struct nft_block_elem *elems, size_t n)
{
	struct chunker c = { b, table, v4 ? "blocked4" : "blocked6",
			     add ? (v4 ? "add block to blocked4" : "add block to blocked6")
				 : (v4 ? "delete block from blocked4" : "delete block from blocked6"),
			     v4 ? SET_BLOCKED4 : SET_BLOCKED6, add, NULL, 0 };

	for (size_t i = 0; i < n; i++)
		if (addr_is_v4(&elems[i].addr) == v4)
			chunk_add(&c, elems[i].addr.b + (v4 ? 12 : 0), v4 ? 4 : 16, 0,
				  add && timeouts ? elems[i].timeout_ms : 0);
	chunk_flush(&c);
}

void nft_batch_put_blocks(struct nft_batch *b, const char *table, bool add, bool timeouts,
			  const struct nft_block_elem *elems, size_t n)
{
	put_family_blocks(b, table, true, add, timeouts, elems, n);
	put_family_blocks(b, table, false, add, timeouts, elems, n);
}

/* --- rules --- */

static void expr_add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(r, e);
}

static void meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	expr_add(r, e);
}

static void cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	expr_add(r, e);
}

static void payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	}
	expr_add(r, e);
}

static void lookup(struct nftnl_rule *r, const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	}
	expr_add(r, e);
}

static void verdict(struct nftnl_rule *r, int v)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
	}
	expr_add(r, e);
}

static void counter(struct nftnl_rule *r)
{
	expr_add(r, nftnl_expr_alloc("counter"));
}

static void match_nfproto(struct nftnl_rule *r, uint8_t proto)
{
	meta(r, NFT_META_NFPROTO);
	cmp(r, NFT_CMP_EQ, &proto, 1);
}

/* "ip saddr @set", "ip6 saddr @set" */
static void match_saddr_in(struct nftnl_rule *r, bool v4, const char *set, uint32_t set_id)
{
	match_nfproto(r, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, v4 ? 4 : 16);
	lookup(r, set, set_id);
}

/* "ether saddr @allowmac" */
static void match_ether_saddr_in(struct nftnl_rule *r, const char *set, uint32_t set_id)
{
	uint16_t ether = 1;	/* ARPHRD_ETHER */

	meta(r, NFT_META_IIFTYPE);
	cmp(r, NFT_CMP_EQ, &ether, sizeof(ether));
	payload(r, NFT_PAYLOAD_LL_HEADER, 6, 6);
	lookup(r, set, set_id);
}

/* "ct state new" */
static void match_ct_new(struct nftnl_rule *r)
{
	struct nftnl_expr *ct = nftnl_expr_alloc("ct");
	struct nftnl_expr *bw = nftnl_expr_alloc("bitwise");
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_NEW), zero = 0;

	if (ct) {
		nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	expr_add(r, ct);
	if (bw) {
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	}
	expr_add(r, bw);
	cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* An anonymous constant set of ports, for a rule that names several. */
static void put_port_set(struct nft_batch *b, const char *table, uint32_t id,
			 const uint16_t *ports, size_t n)
{
	struct set_desc d = { "__set%d", id, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT,
			      TYPE_INET_SERVICE, 2 };
	struct chunker c = { b, table, d.name, "add ports to anonymous set", id, true, NULL, 0 };

	put_set(b, table, &d);
	for (size_t i = 0; i < n; i++) {
		uint16_t port = htons(ports[i]);

		chunk_add(&c, &port, sizeof(port), 0, 0);
	}
	chunk_flush(&c);
}

/* "tcp dport 25" or "tcp dport { 25, 587 }" */
static void match_tcp_dport(struct nft_batch *b, struct nftnl_rule *r, const struct nft_ruleset *rs,
			    uint32_t *next_set_id)
{
	uint8_t tcp = 6;

	meta(r, NFT_META_L4PROTO);
	cmp(r, NFT_CMP_EQ, &tcp, 1);
	payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	if (rs->nports == 1) {
		uint16_t port = htons(rs->ports[0]);

		cmp(r, NFT_CMP_EQ, &port, sizeof(port));
	} else {
		uint32_t id = (*next_set_id)++;

		put_port_set(b, rs->table, id, rs->ports, rs->nports);
		lookup(r, "__set%d", id);
	}
}

static struct nftnl_rule *rule_new(const char *table)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r) {
		nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NFT_CHAIN_NAME);
	}
	return r;
}

static void put_rule(struct nft_batch *b, struct nftnl_rule *r, const char *what)
{
	struct nlmsghdr *nlh = msg_start(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, what);

	if (r == NULL || nlh == NULL) {
		b->failed = true;
	} else {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		msg_end(b, nlh);
		b->nrules++;
	}
	nftnl_rule_free(r);
}

static void put_rules(struct nft_batch *b, const struct nft_ruleset *rs)
{
	uint32_t next_set_id = SET_PORTS_FIRST;
	struct nftnl_rule *r;

	for (int v4 = 1; v4 >= 0; v4--) {	/* whitelisted sources: return */
		r = rule_new(rs->table);
		if (r) {
			match_saddr_in(r, v4, v4 ? "allow4" : "allow6", v4 ? SET_ALLOW4 : SET_ALLOW6);
			verdict(r, NFT_RETURN);
		}
		put_rule(b, r, v4 ? "add rule: allow4 return" : "add rule: allow6 return");
	}
	r = rule_new(rs->table);
	if (r) {
		match_ether_saddr_in(r, "allowmac", SET_ALLOWMAC);
		verdict(r, NFT_RETURN);
	}
	put_rule(b, r, "add rule: allowmac return");

	for (int v4 = 1; v4 >= 0; v4--) {	/* blocked sources: drop */
		r = rule_new(rs->table);
		if (r) {
			match_saddr_in(r, v4, v4 ? "blocked4" : "blocked6",
				       v4 ? SET_BLOCKED4 : SET_BLOCKED6);
			if (!rs->scope_all)
				match_tcp_dport(b, r, rs, &next_set_id);
			counter(r);
			verdict(r, NF_DROP);
		}
		put_rule(b, r, v4 ? "add rule: blocked4 drop" : "add rule: blocked6 drop");
	}

	if (rs->log_rule) {	/* feed the daemon */
		struct nftnl_expr *log;

		r = rule_new(rs->table);
		if (r) {
			match_tcp_dport(b, r, rs, &next_set_id);
			match_ct_new(r);
			log = nftnl_expr_alloc("log");
			if (log) {
				nftnl_expr_set_u16(log, NFTNL_EXPR_LOG_GROUP, rs->group);
				nftnl_expr_set_u32(log, NFTNL_EXPR_LOG_SNAPLEN, rs->snaplen);
			}
			expr_add(r, log);
		}
		put_rule(b, r, "add rule: log group");
	}
}

void nft_batch_put_ruleset(struct nft_batch *b, const struct nft_ruleset *rs,
			   const struct whitelist *wl, const struct nft_block_elem *blocks,
			   size_t nblocks)
{
	/* Replace a table left by an earlier run in the same step. */
	put_table(b, rs->table, NFT_MSG_NEWTABLE);
	put_table(b, rs->table, NFT_MSG_DELTABLE);
	put_table(b, rs->table, NFT_MSG_NEWTABLE);
	for (size_t i = 0; i < sizeof(named_sets) / sizeof(named_sets[0]); i++) {
		struct set_desc d = named_sets[i];

		if (!rs->timeouts)
			d.flags &= ~(uint32_t)NFT_SET_TIMEOUT;
		put_set(b, rs->table, &d);
	}
	for (size_t i = 0; i < 3; i++)	/* allow4, allow6, allowmac */
		put_whitelist(b, rs->table, wl, &named_sets[i]);
	nft_batch_put_blocks(b, rs->table, true, rs->timeouts, blocks, nblocks);
	put_chain(b, rs->table);
	put_rules(b, rs);
}

/* --- element lists --- */

void nft_elem_list_free(struct nft_elem_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int nft_elem_push(struct nft_elem_list *l, const void *key, size_t len, uint32_t flags,
		  uint64_t timeout_ms, uint64_t expires_ms)
{
	struct nft_elem *e;

	if (len > sizeof(e->key))
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct nft_elem *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, len);
	e->len = (uint8_t)len;
	e->flags = flags;
	e->timeout_ms = timeout_ms;
	e->expires_ms = expires_ms;
	return 0;
}

static uint64_t elem_u64(struct nftnl_set_elem *e, uint16_t attr)
{
	return nftnl_set_elem_is_set(e, attr) ? nftnl_set_elem_get_u64(e, attr) : 0;
}

int nft_elems_parse(const struct nlmsghdr *nlh, struct nft_elem_list *out)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *e;
	int rc = -1;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) || s == NULL ||
	    nftnl_set_elems_nlmsg_parse(nlh, s) < 0 ||
	    (it = nftnl_set_elems_iter_create(s)) == NULL)
		goto out;
	rc = 0;
	while (rc == 0 && (e = nftnl_set_elems_iter_next(it)) != NULL) {
		uint32_t len = 0;
		const void *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
		uint32_t flags = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS)
					 ? nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) : 0;

		if (key == NULL)	/* the catch-all element: not one of ours */
			continue;
		rc = nft_elem_push(out, key, len, flags, elem_u64(e, NFTNL_SET_ELEM_TIMEOUT),
				   elem_u64(e, NFTNL_SET_ELEM_EXPIRATION));
	}
out:
	if (it)
		nftnl_set_elems_iter_destroy(it);
	if (s)
		nftnl_set_free(s);
	return rc;
}

static int elem_cmp(const void *a, const void *b)
{
	const struct nft_elem *x = a, *y = b;
	int c = x->len != y->len ? (x->len > y->len) - (x->len < y->len)
				 : memcmp(x->key, y->key, x->len);

	return c ? c : (x->flags > y->flags) - (x->flags < y->flags);
}

void nft_elems_sort(struct nft_elem_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), elem_cmp);
}

const struct nft_elem *nft_elem_find(const struct nft_elem_list *l, const void *key, size_t len,
				     uint32_t flags)
{
	struct nft_elem probe = { .len = (uint8_t)len, .flags = flags };

	if (len > sizeof(probe.key) || l->n == 0)
		return NULL;
	memcpy(probe.key, key, len);
	return bsearch(&probe, l->v, l->n, sizeof(*l->v), elem_cmp);
}

size_t nft_elems_missing(const struct nft_elem_list *want, const struct nft_elem_list *have)
{
	size_t missing = 0;

	for (size_t i = 0; i < want->n; i++)
		missing += nft_elem_find(have, want->v[i].key, want->v[i].len,
					 want->v[i].flags) == NULL;
	return missing;
}
