/* Unit tests for nft.c's decisions on old kernels (RHEL 7's 3.10 and the
 * like), fed the answers such a kernel gives: this machine's kernel cannot
 * be made to give them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>

#include "nft.h"
#include "whitelist.h"

/* ---- rule dumps that ignore the table filter ---------------------------- */

static size_t put_rule(char *buf, const char *table, const char *chain, uint32_t seq)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_INET,
						     NLM_F_MULTI, seq);

	assert_non_null(r);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

static size_t put_done(char *buf, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

/* What 3.10 answers to "rules of table nflogd": every inet rule. */
static size_t unfiltered_dump(char *buf, uint32_t seq, bool done)
{
	size_t len = 0;

	len += put_rule(buf + len, "filter", "input", seq);
	len += put_rule(buf + len, "nflogd", "forward", seq);
	len += put_rule(buf + len, "nflogd2", "forward", seq);	/* a prefix is not a match */
	len += put_rule(buf + len, "firewalld", "forward", seq);
	len += put_rule(buf + len, "nflogd", "forward", seq);
	if (done)
		len += put_done(buf + len, seq);
	return len;
}

static void test_count_rules_of_our_table_only(void **state)
{
	char buf[8192];
	size_t len = unfiltered_dump(buf, 7, true);
	uint32_t count = 0;

	(void)state;
	assert_int_equal(nft_rule_dump_count(buf, len, 7, 0, "nflogd", &count), MNL_CB_STOP);
	assert_int_equal(count, 2);
	count = 0;
	assert_int_equal(nft_rule_dump_count(buf, len, 7, 0, "filter", &count), MNL_CB_STOP);
	assert_int_equal(count, 1);
	count = 0;
	assert_int_equal(nft_rule_dump_count(buf, len, 7, 0, "absent", &count), MNL_CB_STOP);
	assert_int_equal(count, 0);
}

static void test_count_rules_across_datagrams(void **state)
{
	char buf[8192];
	uint32_t count = 0;
	size_t len = unfiltered_dump(buf, 9, false);

	(void)state;
	/* The first datagram has no NLMSG_DONE: more to come. */
	assert_int_equal(nft_rule_dump_count(buf, len, 9, 0, "nflogd", &count), MNL_CB_OK);
	len = unfiltered_dump(buf, 9, true);
	assert_int_equal(nft_rule_dump_count(buf, len, 9, 0, "nflogd", &count), MNL_CB_STOP);
	assert_int_equal(count, 4);
}

/* ---- a kernel without set timeouts --------------------------------------- */

/* The kernel's answer to the ruleset batch: an ACK for every object
 * message, error err (-errno, as netlink carries it) for the first set made
 * with the timeout flag. */
static size_t answer(const struct nft_batch *b, int err, char *buf)
{
	size_t len = 0;
	bool answered = false;

	for (size_t i = 0; i < b->nlabels; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + len);
		struct nlmsgerr *e;

		nlh->nlmsg_type = NLMSG_ERROR;
		nlh->nlmsg_seq = b->labels[i].seq;
		e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
		e->msg.nlmsg_seq = b->labels[i].seq;
		if (!answered && strstr(b->labels[i].what, "set blocked4") != NULL) {
			e->error = err;
			answered = true;
		}
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	assert_true(answered);
	return len;
}

static int parse_answer(struct nft *n, int err, struct error *msg)
{
	static const uint16_t port25[] = { 25 };
	struct nft_ruleset rs = {
		.table = "nflogd", .group = 25, .ports = port25, .nports = 1,
		.log_rule = true, .timeouts = true, .snaplen = 128,
	};
	static char buf[65536];
	struct whitelist wl;
	struct nft_batch b;
	uint32_t acks = 0;
	int first_err = 0;

	whitelist_init(&wl);
	nft_batch_init(&b, 100);
	nft_batch_start(&b);
	nft_batch_put_ruleset(&b, &rs, &wl, NULL, 0);
	nft_batch_finish(&b);
	assert_false(b.failed);
	memset(n, 0, sizeof(*n));
	n->timeouts = true;
	assert_int_equal(nft_parse_acks(n, &b, buf, answer(&b, err, buf), &acks, &first_err, msg),
			 MNL_CB_OK);
	assert_int_equal(acks, b.nmsgs);
	nft_batch_free(&b);
	whitelist_free(&wl);
	return first_err;
}

/* 3.10's answer to the timeout flag (EINVAL) means "no timeouts", as a
 * later kernel's EOPNOTSUPP does; another error on that set does not. */
static void test_timeout_set_refused_answers(void **state)
{
	struct nft n;
	struct error msg = { "" };
	int rc;

	(void)state;
	rc = parse_answer(&n, -EINVAL, &msg);
	assert_int_equal(rc, EINVAL);
	assert_non_null(strstr(msg.msg, "blocked4"));
	assert_true(nft_timeouts_refused(rc));
	assert_true(nft_timeouts_refused(parse_answer(&n, -EOPNOTSUPP, &msg)));
	assert_false(nft_timeouts_refused(parse_answer(&n, -ENOMEM, &msg)));
	assert_int_equal(parse_answer(&n, 0, &msg), 0);
}

/* nft_install and nft_blocks tell refusals apart by errno after a failed
 * commit: one that never reaches the kernel (a batch out of memory) sets
 * it as well, with its message. */
static void test_commit_failure_in_errno(void **state)
{
	struct nft n;
	struct nft_batch b;
	struct error msg = { "" };

	(void)state;
	memset(&n, 0, sizeof(n));
	nft_batch_new(&n, &b);
	b.failed = true;
	errno = 0;
	assert_int_equal(nft_commit(&n, &b, &msg), -1);
	assert_int_equal(errno, ENOMEM);
	assert_string_equal(msg.msg, "nft: out of memory building a batch");
	nft_batch_free(&b);
}

static void test_timeouts_refused(void **state)
{
	(void)state;
	assert_true(nft_timeouts_refused(EOPNOTSUPP));
	assert_true(nft_timeouts_refused(EINVAL));	/* 3.10's answer */
	assert_false(nft_timeouts_refused(0));
	assert_false(nft_timeouts_refused(ENOENT));
	assert_false(nft_timeouts_refused(EPERM));
	assert_false(nft_timeouts_refused(ENOBUFS));
}

static void test_expiry_mode_says_why(void **state)
{
	struct nft n;

	(void)state;
	memset(&n, 0, sizeof(n));
	n.timeouts = true;
	assert_string_equal(nft_expiry_mode(&n), "kernel");
	n.timeouts = false;
	assert_string_equal(nft_expiry_mode(&n), "daemon");
	n.timeouts_refused = EINVAL;
	assert_string_equal(nft_expiry_mode(&n), "daemon (kernel refused timeout sets: EINVAL)");
	n.timeouts_refused = EOPNOTSUPP;
	assert_string_equal(nft_expiry_mode(&n),
			    "daemon (kernel refused timeout sets: EOPNOTSUPP)");
}

/* ---- which module holds the hash set backend ----------------------------- */

/* modules.dep lines as the kernels of each generation write them. */
static const char dep_3_10[] =
	"kernel/net/netfilter/nf_tables.ko.xz: kernel/net/netfilter/nfnetlink.ko.xz\n"
	"kernel/net/netfilter/nft_hash.ko.xz: kernel/net/netfilter/nf_tables.ko.xz "
	"kernel/net/netfilter/nfnetlink.ko.xz\n"
	"kernel/net/netfilter/nft_rbtree.ko.xz: kernel/net/netfilter/nf_tables.ko.xz\n"
	"kernel/net/netfilter/nft_ct.ko.xz: kernel/net/netfilter/nf_tables.ko.xz\n";
static const char dep_4_14[] =
	"kernel/net/netfilter/nf_tables.ko: kernel/net/netfilter/nfnetlink.ko\n"
	"kernel/net/netfilter/nft_set_rbtree.ko: kernel/net/netfilter/nf_tables.ko\n"
	"kernel/net/netfilter/nft_set_hash.ko: kernel/net/netfilter/nf_tables.ko\n"
	"kernel/net/netfilter/nft_hash.ko: kernel/net/netfilter/nf_tables.ko\n";
/* Since 4.18 nft_hash is only the hash expression: nothing to load. */
static const char dep_6_1[] =
	"kernel/net/netfilter/nf_tables.ko: kernel/net/netfilter/nfnetlink.ko\n"
	"kernel/net/netfilter/nft_hash.ko: kernel/net/netfilter/nf_tables.ko\n"
	"kernel/net/netfilter/nft_ct.ko: kernel/net/netfilter/nf_tables.ko\n";

static void test_hash_backend_module(void **state)
{
	(void)state;
	assert_string_equal(nft_hash_backend_module(dep_3_10), "nft_hash");
	assert_string_equal(nft_hash_backend_module(dep_4_14), "nft_set_hash");
	assert_null(nft_hash_backend_module(dep_6_1));
	assert_null(nft_hash_backend_module(""));
	/* A name is the whole file name, not a prefix or a directory. */
	assert_null(nft_hash_backend_module("kernel/nft_hash_x.ko: a\nkernel/nft_rbtree2.ko:\n"));
	assert_null(nft_hash_backend_module("kernel/nft_set_hash/other.ko: a\n"));
	/* No trailing newline. */
	assert_string_equal(nft_hash_backend_module("kernel/nft_set_hash.ko.zst:"),
			    "nft_set_hash");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_rules_of_our_table_only),
		cmocka_unit_test(test_count_rules_across_datagrams),
		cmocka_unit_test(test_timeout_set_refused_answers),
		cmocka_unit_test(test_commit_failure_in_errno),
		cmocka_unit_test(test_timeouts_refused),
		cmocka_unit_test(test_expiry_mode_says_why),
		cmocka_unit_test(test_hash_backend_module),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
