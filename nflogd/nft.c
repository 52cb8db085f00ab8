/* Sending nf_tables batches, reading every ACK, naming what failed. */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "compat/compat.h"
#include "sockbuf.h"

#define ACK_WAIT_MS 1000	/* the kernel answers within the send; this is a safety net */

/* -1 with errno e: the kernel's answer, or what stood in for one. */
static int fail_errno(int e)
{
	errno = e;
	return -1;
}

int nft_open(struct nft *n, bool timeouts, struct error *err)
{
	int one = 1;

	memset(n, 0, sizeof(*n));
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (n->nl == NULL || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		error_errno(err, "nft: netlink socket");
		nft_close(n);
		return -1;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (uint32_t)time(NULL);
	n->timeouts = timeouts;
	/* Short ACKs (no echo of our message), and the kernel's reason on error. */
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(n->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	sockbuf_set_rcvbuf(mnl_socket_get_fd(n->nl), 4 << 20);
	return 0;
}

void nft_close(struct nft *n)
{
	if (n->nl)
		mnl_socket_close(n->nl);
	n->nl = NULL;
}

void nft_batch_new(struct nft *n, struct nft_batch *b)
{
	nft_batch_init(b, n->seq);
	nft_batch_start(b);
}

/* The batch must fit the socket's send buffer in one message. The size is
 * remembered: a block's batch goes out without a system call to ask. */
static void fit_sndbuf(struct nft *n, size_t len)
{
	int fd = mnl_socket_get_fd(n->nl), cur = 0, want;
	socklen_t sl = sizeof(cur);

	if (n->sndbuf >= len + 4096)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) == 0 && (size_t)cur >= len + 4096) {
		n->sndbuf = (size_t)cur;
		return;
	}
	want = (int)(len + 65536);
	sockbuf_set_sndbuf(fd, want);
	n->sndbuf = getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) == 0 ? (size_t)cur : 0;
}

struct ack_state {
	struct error *err;
	const struct nft_batch *b;
	uint32_t acks;
	int first_err;
};

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct ack_state *st = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_ERROR;
	st->acks++;
	if (e->error != 0 && st->first_err == 0) {
		st->first_err = -e->error;
		errno = st->first_err;
		error_errno(st->err, "nft: %s", nft_batch_label(st->b, e->msg.nlmsg_seq));
	}
	return MNL_CB_OK;
}

int nft_parse_acks(struct nft *n, const struct nft_batch *b, const void *buf, size_t len,
		   uint32_t *acks, int *first_err, struct error *err)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_error };
	struct ack_state st = { err, b, *acks, *first_err };
	int r = mnl_cb_run2(buf, len, 0, n->portid, NULL, &st, ctl, NLMSG_MIN_TYPE);

	*acks = st.acks;
	*first_err = st.first_err;
	return r;
}

static int read_acks(struct nft *n, const struct nft_batch *b, struct error *err)
{
	uint32_t acks = 0;
	int first_err = 0;
	char buf[65536];
	int fd = mnl_socket_get_fd(n->nl);

	while (acks < b->nmsgs) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		/* The replies are usually there already (the kernel runs the
		 * batch inside our send): read first, wait only if not. */
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, ACK_WAIT_MS) <= 0) {
				error_set(err, "nft: %u of %u replies missing", b->nmsgs - acks,
					  b->nmsgs);
				return fail_errno(ETIMEDOUT);
			}
			continue;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: replies were dropped, the outcome is unknown. */
			return error_errno(err, "nft: reading replies");
		}
		/* Every reply is an ACK or an error; there is no NLMSG_DONE to wait for. */
		nft_parse_acks(n, b, buf, (size_t)r, &acks, &first_err, err);
	}
	return first_err ? fail_errno(first_err) : 0;
}

int nft_commit(struct nft *n, struct nft_batch *b, struct error *err)
{
	nft_batch_finish(b);
	n->seq = b->seq;
	if (b->failed) {
		error_set(err, "nft: out of memory building a batch");
		return fail_errno(ENOMEM);
	}
	fit_sndbuf(n, b->len);
	if (mnl_socket_sendto(n->nl, b->buf, b->len) < 0)
		return error_errno(err, "nft: sending %zu bytes", b->len);
	if (read_acks(n, b, err) < 0)
		return -1;
	n->commits++;
	return 0;
}

/* A kernel without set timeouts answers the timeout flag with EOPNOTSUPP;
 * RHEL 7's 3.10 (and a kernel whose only loaded set backend, rbtree, has no
 * timeouts) with EINVAL. */
bool nft_timeouts_refused(int answer)
{
	return answer == EOPNOTSUPP || answer == EINVAL;
}

const char *nft_expiry_mode(const struct nft *n)
{
	if (n->timeouts)
		return "kernel";
	switch (n->timeouts_refused) {
	case 0: return "daemon";
	case EINVAL: return "daemon (kernel refused timeout sets: EINVAL)";
	case EOPNOTSUPP: return "daemon (kernel refused timeout sets: EOPNOTSUPP)";
	default: return "daemon (kernel refused timeout sets)";
	}
}

int nft_install(struct nft *n, struct nft_ruleset *rs, const struct whitelist *wl,
		const struct nft_block_elem *blocks, size_t nblocks, struct error *err)
{
	struct nft_batch b;
	int rc, answer;

	for (;;) {
		rs->timeouts = n->timeouts;
		nft_batch_new(n, &b);
		nft_batch_put_ruleset(&b, rs, wl, blocks, nblocks);
		rc = nft_commit(n, &b, err);
		answer = rc < 0 ? errno : 0;
		if (rc == 0)
			n->rules_installed = b.nrules;
		nft_batch_free(&b);
		/* Old kernels refuse timeout sets: the daemon expires blocks
		 * itself anyway, so go on without. */
		if (n->timeouts && nft_timeouts_refused(answer)) {
			n->timeouts = false;
			n->timeouts_refused = answer;
			continue;
		}
		return rc;
	}
}

/* As nft_commit: errno is the kernel's answer on failure. */
static int commit_blocks(struct nft *n, const char *table, bool add,
			 const struct nft_block_elem *elems, size_t nelems, struct error *err)
{
	struct nft_batch b;
	int rc, answer;

	nft_batch_new(n, &b);
	nft_batch_put_blocks(&b, table, add, n->timeouts, elems, nelems);
	rc = nft_commit(n, &b, err);
	answer = errno;
	nft_batch_free(&b);
	errno = answer;
	return rc;
}

int nft_blocks(struct nft *n, const char *table, bool add,
	       const struct nft_block_elem *elems, size_t nelems, struct error *err)
{
	int rc;

	if (nelems == 0)
		return 0;
	rc = commit_blocks(n, table, add, elems, nelems, err);
	if (rc == 0 || add || errno != ENOENT)
		return rc;
	if (nelems == 1)
		return 0;	/* it was gone already: what we wanted */
	/* One element already gone fails the whole batch: delete one by one. */
	rc = 0;
	for (size_t i = 0; i < nelems; i++)
		if (commit_blocks(n, table, false, &elems[i], 1, err) < 0 && errno != ENOENT)
			rc = -1;
	return rc;
}

int nft_table_delete(struct nft *n, const char *table, struct error *err)
{
	struct nft_batch b;
	int rc;

	nft_batch_new(n, &b);
	nft_batch_put_table_delete(&b, table);
	rc = nft_commit(n, &b, err);
	nft_batch_free(&b);
	return rc;
}

int nft_table_exists(struct nft *n, const char *table)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 2];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	uint32_t seq = n->seq++;
	ssize_t r;

	if (t == NULL)
		return -1;
	/* No ACK flag: the answer is the table or an error, one message. */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0, seq);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	r = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
	if (r < 0)
		return -1;
	/* A NEWTABLE reply means it exists; an error ENOENT that it does not. */
	r = mnl_cb_run(buf, (size_t)r, seq, n->portid, NULL, NULL);
	if (r >= 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

struct gen_reply {
	bool found;
	uint32_t gen;
};

static int gen_attr(const struct nlattr *a, void *data)
{
	struct gen_reply *g = data;

	if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
		g->gen = ntohl(mnl_attr_get_u32(a));
		g->found = true;
	}
	return MNL_CB_OK;
}

static int on_gen(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct nfgenmsg), gen_attr, data) < 0 ? MNL_CB_ERROR
										: MNL_CB_OK;
}

int nft_generation(struct nft *n, uint32_t *gen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct gen_reply g = { false, 0 };
	uint32_t seq = n->seq++;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, 0, seq);
	ssize_t r;

	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	r = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
	if (r < 0 || mnl_cb_run(buf, (size_t)r, seq, n->portid, on_gen, &g) < 0 || !g.found)
		return -1;
	*gen = g.gen;
	return 0;
}

struct rule_count {
	const char *table;
	uint32_t *count;
};

static int rule_table_attr(const struct nlattr *a, void *data)
{
	const char **table = data;

	if (mnl_attr_get_type(a) == NFTA_RULE_TABLE && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		*table = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

/* Kernels before 4.x (RHEL 7's 3.10) ignore the dump's table filter and
 * answer every rule of the family: count the ones whose table is ours. */
static int on_rule(const struct nlmsghdr *nlh, void *data)
{
	struct rule_count *rc = data;
	const char *table = NULL;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWRULE)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), rule_table_attr, &table) < 0)
		return MNL_CB_ERROR;
	if (table != NULL && strcmp(table, rc->table) == 0)
		(*rc->count)++;
	return MNL_CB_OK;
}

int nft_rule_dump_count(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			const char *table, uint32_t *count)
{
	struct rule_count rc = { table, count };

	return mnl_cb_run(buf, len, seq, portid, on_rule, &rc);
}

#define DUMP_BUF (MNL_SOCKET_BUFFER_SIZE * 8)

/* Send the dump request in buf (sequence seq) and hand every message of the
 * answer to cb. mnl_cb_run's result for the last datagram (0 done, -1 with
 * errno: ENOENT when the object asked for does not exist), or -1. */
static int dump(struct nft *n, char *buf, uint32_t seq, mnl_cb_t cb, void *data)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int ret;

	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		ssize_t len = mnl_socket_recvfrom(n->nl, buf, DUMP_BUF);

		if (len < 0)
			return -1;
		ret = mnl_cb_run(buf, (size_t)len, seq, n->portid, cb, data);
	} while (ret > 0);
	return ret;
}

int nft_count_rules(struct nft *n, const char *table, uint32_t *count)
{
	char buf[DUMP_BUF];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct rule_count rc = { table, count };
	uint32_t seq = n->seq++;
	struct nlmsghdr *nlh;

	if (r == NULL)
		return -1;
	/* A dump filtered by table: a table that is gone gives no rules. */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, seq);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	*count = 0;
	return dump(n, buf, seq, on_rule, &rc) < 0 ? -1 : 0;
}

struct elems_dump {
	struct nft_elem_list *out;
	bool failed;
};

static int on_elems(const struct nlmsghdr *nlh, void *data)
{
	struct elems_dump *d = data;

	if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM && nft_elems_parse(nlh, d->out) < 0)
		d->failed = true;
	return MNL_CB_OK;
}

int nft_set_elems(struct nft *n, const char *table, const char *set, struct nft_elem_list *out)
{
	char buf[DUMP_BUF];
	struct nftnl_set *s = nftnl_set_alloc();
	struct elems_dump d = { out, false };
	uint32_t seq = n->seq++;
	struct nlmsghdr *nlh;

	if (s == NULL)
		return -1;
	memset(buf, 0, MNL_SOCKET_BUFFER_SIZE);	/* the request's padding goes out too */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, seq);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (dump(n, buf, seq, on_elems, &d) < 0)
		return errno == ENOENT ? 1 : -1;
	return d.failed ? -1 : 0;
}

/* Is module NAME (as NAME.ko, NAME.ko.xz, ...) the target of a modules.dep line? */
static bool dep_lists(const char *modules_dep, const char *name)
{
	size_t nlen = strlen(name);

	for (const char *line = modules_dep; *line != '\0';) {
		const char *colon = strchr(line, ':'), *eol = strchr(line, '\n');
		const char *base;

		if (eol == NULL)
			eol = line + strlen(line);
		if (colon != NULL && colon < eol) {
			for (base = colon; base > line && base[-1] != '/'; base--)
				;
			if ((size_t)(colon - base) >= nlen + 3 && strncmp(base, name, nlen) == 0 &&
			    strncmp(base + nlen, ".ko", 3) == 0 &&
			    (base + nlen + 3 == colon || base[nlen + 3] == '.'))
				return true;
		}
		line = *eol != '\0' ? eol + 1 : eol;
	}
	return false;
}

/* Set backends were modules of their own in older kernels: nft_hash and
 * nft_rbtree (3.10, RHEL 7), later nft_set_hash and nft_set_rbtree, when
 * the name nft_hash went to the hash expression. Newer kernels have them
 * in one module loaded with nf_tables (or built in). */
const char *nft_hash_backend_module(const char *modules_dep)
{
	if (dep_lists(modules_dep, "nft_set_hash"))
		return "nft_set_hash";
	if (dep_lists(modules_dep, "nft_hash") && dep_lists(modules_dep, "nft_rbtree"))
		return "nft_hash";
	return NULL;
}

static char *read_modules_dep(void)
{
	char path[sizeof(((struct utsname *)0)->release) + 32];
	struct utsname u;
	char *text = NULL;
	size_t len = 0;
	FILE *f, *m;

	if (uname(&u) < 0)
		return NULL;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	m = open_memstream(&text, &len);
	if (m != NULL) {
		char chunk[8192];
		size_t r;

		while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, r, m);
		fclose(m);
	}
	fclose(f);
	return text;
}

static int run_modprobe(const char *module)
{
	static const char *const paths[] = { "/sbin/modprobe", "/usr/sbin/modprobe" };
	char *const argv[] = { "modprobe", "-q", (char *)module, NULL };
	char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	posix_spawnattr_t attr;
	sigset_t none;
	int rc = ENOENT, status;
	pid_t pid;

	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && rc == ENOENT; i++)
		if (access(paths[i], X_OK) == 0)
			rc = posix_spawn(&pid, paths[i], NULL, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* A kernel that autoloads a set backend only while none is loaded (RHEL
 * 7's 3.10 among them) refuses timeout sets once rbtree
 * alone is there (our interval sets load it first). Load the hash backend
 * now, while the daemon may still load modules. */
int nft_load_hash_backend(char *note, size_t len)
{
	char *dep = read_modules_dep(), sys[64];
	const char *module = dep != NULL ? nft_hash_backend_module(dep) : NULL;
	struct stat st;
	int rc = 0;

	if (dep == NULL) {
		snprintf(note, len, "set backends: no modules.dep, as the kernel autoloads them");
	} else if (module == NULL) {
		snprintf(note, len, "set backends: built into nf_tables, nothing to load");
	} else {
		snprintf(sys, sizeof(sys), "/sys/module/%s", module);
		if (stat(sys, &st) == 0)
			snprintf(note, len, "set backends: %s already loaded", module);
		else if (run_modprobe(module) == 0)
			snprintf(note, len, "set backends: loaded %s for timeout sets", module);
		else {
			snprintf(note, len, "set backends: could not load %s (modprobe failed):"
				 " timeout sets may be refused, then blocks expire by the daemon",
				 module);
			rc = -1;
		}
	}
	free(dep);
	return rc;
}
