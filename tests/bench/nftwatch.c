/* nftwatch: watch nftables from outside the daemon, with monotonic timestamps.
 *
 *   nftwatch monitor [-g GROUP] TABLE SET [TABLE SET...]
 *	Subscribe to nf_tables events (what `nft monitor` reads) and print one
 *	line "NS ADDR" per element added to inet TABLE SET, NS being
 *	CLOCK_MONOTONIC nanoseconds when the event was read. The kernel sends
 *	an element-add event while it commits the batch, just before it ACKs
 *	the batch to the daemon. Prints "ready" on stderr once subscribed;
 *	"# overrun" if the kernel dropped events (ENOBUFS). Runs until
 *	SIGTERM/SIGINT. With -g it also binds NFLOG group GROUP (feed it with a
 *	log rule of your own) and prints "L KTS RECV ADDR" per IPv4 packet
 *	logged: the kernel's timestamp of the packet (NFULA_TIMESTAMP, turned
 *	from CLOCK_REALTIME into CLOCK_MONOTONIC ns; 0 when the message has
 *	none) and when we read it. That timestamp is the event's: the one the
 *	daemon receives for the same packet on its own group.
 *
 *   nftwatch start TABLE SET N TIMEOUT_S -- PROGRAM ARGS...
 *	Fork and exec PROGRAM (the daemon), then poll (no subscription, so the
 *	kernel does no extra work in the daemon's commit) for inet TABLE every
 *	millisecond, then count SET's elements until N are there. Prints
 *	"RESULT pid=PID table_s=S first_count=N full_s=S elems=N", times from
 *	just before the fork; first_count is the count read right after the
 *	table appeared (a dump of 100k elements itself takes a good part of a
 *	second, so full_s is late by that much). PROGRAM keeps running: the
 *	caller stops it.
 *
 *   nftwatch count TABLE SET
 *	Print the number of elements in the set (-1 if it does not exist).
 *
 *   nftwatch probe TABLE SET N INTERVAL_MS
 *	The reference for block latency: add N elements 198.19.200.0, .1, ...
 *	to inet TABLE SET (an ipv4_addr set), one batch each, INTERVAL_MS
 *	apart, as the daemon adds a block (libnftnl batch, wait for the ACK).
 *	Prints "NS ADDR ACK_NS" per element: the time just before the send and
 *	when the ACK was read. Joined with a running monitor's lines it gives
 *	the kernel's commit + event + watcher wake-up, without the daemon.
 *
 * Only for the namespace lab (run it with ip netns exec). */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <endian.h>
#include <poll.h>

#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "compat/compat.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct mnl_socket *open_nl(unsigned groups)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	int rcvbuf = 64 << 20;

	if (nl == NULL || mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		perror("nftwatch: netlink");
		exit(1);
	}
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return nl;
}

/* --- monitor --- */

struct mon {
	char **pairs;		/* TABLE SET TABLE SET ... */
	int npairs;
	uint64_t t;
	unsigned long elems;
};

static bool watched(const struct mon *m, const char *table, const char *set)
{
	for (int i = 0; i < m->npairs; i++)
		if (strcmp(m->pairs[2 * i], table) == 0 && strcmp(m->pairs[2 * i + 1], set) == 0)
			return true;
	return false;
}

static int elem_key_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= NFTA_SET_ELEM_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static void print_elem(struct mon *m, const struct nlattr *elem)
{
	const struct nlattr *tb[NFTA_SET_ELEM_MAX + 1] = { 0 };
	const struct nlattr *key;
	char buf[INET6_ADDRSTRLEN];

	mnl_attr_parse_nested(elem, elem_key_cb, tb);
	if (!tb[NFTA_SET_ELEM_KEY])
		return;
	key = mnl_attr_get_payload(tb[NFTA_SET_ELEM_KEY]);	/* NFTA_DATA_VALUE */
	if (mnl_attr_get_payload_len(key) == 4)
		inet_ntop(AF_INET, mnl_attr_get_payload(key), buf, sizeof(buf));
	else if (mnl_attr_get_payload_len(key) == 16)
		inet_ntop(AF_INET6, mnl_attr_get_payload(key), buf, sizeof(buf));
	else
		return;
	printf("%llu %s\n", (unsigned long long)m->t, buf);
	m->elems++;
}

static int setelem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mon *m = data;
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1] = { 0 };
	const struct nlattr *attr, *nest;

	if (nlh->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM))
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		int type = mnl_attr_get_type(attr);

		if (type <= NFTA_SET_ELEM_LIST_MAX)
			tb[type] = attr;
	}
	if (!tb[NFTA_SET_ELEM_LIST_TABLE] || !tb[NFTA_SET_ELEM_LIST_SET] ||
	    !tb[NFTA_SET_ELEM_LIST_ELEMENTS] ||
	    !watched(m, mnl_attr_get_str(tb[NFTA_SET_ELEM_LIST_TABLE]),
		     mnl_attr_get_str(tb[NFTA_SET_ELEM_LIST_SET])))
		return MNL_CB_OK;
	mnl_attr_for_each_nested(nest, tb[NFTA_SET_ELEM_LIST_ELEMENTS])
		print_elem(m, nest);
	return MNL_CB_OK;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* --- NFLOG: the kernel's timestamp of each logged packet --- */

static int nflog_config(struct mnl_socket *nl, uint16_t group, int what)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, AF_UNSPEC, group);
	ssize_t r;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (what == 0) {
		nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_BIND);
	} else {
		nflog_attr_put_cfg_mode(nlh, NFULNL_COPY_PACKET, 64);
		mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(0));
		mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	r = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	return r < 0 ? -1 : mnl_cb_run(buf, (size_t)r, 0, mnl_socket_get_portid(nl), NULL, NULL);
}

static struct mnl_socket *log_group_open(uint16_t group)
{
	struct mnl_socket *nl = open_nl(0);
	int one = 1;

	/* Any socket asking for timestamps makes the kernel stamp every
	 * packet it receives (net_enable_timestamp); NFLOG then carries it. */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (nflog_config(nl, group, 0) < 0 || nflog_config(nl, group, 1) < 0) {
		perror("nftwatch: NFLOG group");
		exit(1);
	}
	return nl;
}

/* "L KTS RECV ADDR": the packet's kernel timestamp (0 if the message has
 * none) and when we read it, both CLOCK_MONOTONIC ns. */
static int nflog_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr[NFULA_MAX + 1] = { 0 };
	const struct mon *m = data;
	uint64_t kts = 0;
	char a[INET6_ADDRSTRLEN];
	const uint8_t *p;

	if (nflog_nlmsg_parse(nlh, attr) != MNL_CB_OK || !attr[NFULA_PAYLOAD])
		return MNL_CB_OK;
	p = mnl_attr_get_payload(attr[NFULA_PAYLOAD]);
	if (mnl_attr_get_payload_len(attr[NFULA_PAYLOAD]) < 20 || p[0] >> 4 != 4)
		return MNL_CB_OK;
	if (attr[NFULA_TIMESTAMP]) {
		struct nfulnl_msg_packet_timestamp ts;
		struct timespec rt, mo;
		int64_t real_ns, off;

		memcpy(&ts, mnl_attr_get_payload(attr[NFULA_TIMESTAMP]), sizeof(ts));
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mo);
		off = ((int64_t)rt.tv_sec - (int64_t)mo.tv_sec) * 1000000000 + (rt.tv_nsec - mo.tv_nsec);
		real_ns = (int64_t)be64toh(ts.sec) * 1000000000 + (int64_t)be64toh(ts.usec) * 1000;
		kts = (uint64_t)(real_ns - off);
	}
	inet_ntop(AF_INET, p + 12, a, sizeof(a));
	printf("L %llu %llu %s\n", (unsigned long long)kts, (unsigned long long)m->t, a);
	return MNL_CB_OK;
}

static int monitor(char **pairs, int npairs, int group)
{
	struct mnl_socket *nl = open_nl(1u << (NFNLGRP_NFTABLES - 1));
	struct mnl_socket *lg = group >= 0 ? log_group_open((uint16_t)group) : NULL;
	static char buf[1 << 20];
	struct mon m = { pairs, npairs, 0, 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd[2] = { { mnl_socket_get_fd(nl), POLLIN, 0 },
				 { lg ? mnl_socket_get_fd(lg) : -1, POLLIN, 0 } };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fprintf(stderr, "ready\n");
	while (!stop) {
		if (poll(pfd, lg ? 2 : 1, -1) < 0)
			continue;
		for (int k = 0; k < 2; k++) {
			ssize_t r;

			if (pfd[k].fd < 0 || !(pfd[k].revents & (POLLIN | POLLERR)))
				continue;
			r = recv(pfd[k].fd, buf, sizeof(buf), MSG_DONTWAIT);
			m.t = now_ns();
			if (r < 0) {
				if (errno == ENOBUFS)
					printf("# overrun%s\n", k ? " (NFLOG)" : "");
				continue;
			}
			mnl_cb_run(buf, (size_t)r, 0, 0, k ? nflog_cb : setelem_cb, &m);
		}
	}
	mnl_socket_close(nl);
	if (lg)
		mnl_socket_close(lg);
	return 0;
}

/* --- polling --- */

static uint32_t seq = 1;

/* 1 exists, 0 does not. */
static int table_exists(struct mnl_socket *nl, const char *table)
{
	char buf[8192];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0, seq);
	ssize_t r;
	int rc;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return 0;
	r = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	rc = r > 0 ? mnl_cb_run(buf, (size_t)r, seq, mnl_socket_get_portid(nl), NULL, NULL) : -1;
	seq++;
	return rc >= 0;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	long *n = data;
	const struct nlattr *attr, *nest;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(nest, attr)
			(*n)++;
	}
	return MNL_CB_OK;
}

/* Elements in the set, or -1 if it does not exist. */
static long count_elems(struct mnl_socket *nl, const char *table, const char *set)
{
	static char buf[1 << 20];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET,
						     NLM_F_DUMP | NLM_F_ACK, seq);
	uint32_t portid = mnl_socket_get_portid(nl);
	long n = 0;
	int rc;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		ssize_t r = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (r <= 0)
			return -1;
		rc = mnl_cb_run(buf, (size_t)r, seq, portid, count_cb, &n);
	} while (rc > 0);
	seq++;
	return rc < 0 ? -1 : n;
}

static int start(const char *table, const char *set, long want, double timeout_s, char **argv)
{
	struct mnl_socket *nl = open_nl(0);
	uint64_t t0 = now_ns(), t_table = 0, t_full = 0, deadline;
	long n = -1, first = -1;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		perror("nftwatch: fork");
		return 1;
	}
	if (pid == 0) {
		/* Not our stdout: a caller reading it until EOF would wait for
		 * the daemon to exit. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		perror("nftwatch: exec");
		_exit(127);
	}
	deadline = t0 + (uint64_t)(timeout_s * 1e9);
	while (now_ns() < deadline) {
		if (!t_table) {
			if (table_exists(nl, table))
				t_table = now_ns();
			else {
				usleep(1000);
				continue;
			}
		}
		n = count_elems(nl, table, set);
		if (first < 0)
			first = n;
		if (n >= want) {
			t_full = now_ns();
			break;
		}
		usleep(10000);
	}
	printf("RESULT pid=%d table_s=%.4f first_count=%ld full_s=%.4f elems=%ld\n", (int)pid,
	       t_table ? (double)(t_table - t0) / 1e9 : -1.0, first,
	       t_full ? (double)(t_full - t0) / 1e9 : -1.0, n);
	mnl_socket_close(nl);
	return t_full ? 0 : 1;
}

static int probe(const char *table, const char *set, int n, int interval_ms)
{
	struct mnl_socket *nl = open_nl(0);
	uint32_t portid = mnl_socket_get_portid(nl);
	char buf[8192];

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < n; i++) {
		struct mnl_nlmsg_batch *batch = mnl_nlmsg_batch_start(buf, sizeof(buf));
		struct nftnl_set *s = nftnl_set_alloc();
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		struct nlmsghdr *nlh;
		uint8_t key[4] = { 198, 19, (uint8_t)(200 + i / 256), (uint8_t)(i % 256) };
		char a[INET_ADDRSTRLEN];
		uint64_t t0, t1;
		ssize_t r;
		int rc = 1;

		nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, set);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
		nftnl_set_elem_add(s, e);
		nftnl_batch_begin(mnl_nlmsg_batch_current(batch), seq++);
		mnl_nlmsg_batch_next(batch);
		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(batch), NFT_MSG_NEWSETELEM,
					    NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, seq++);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		mnl_nlmsg_batch_next(batch);
		nftnl_batch_end(mnl_nlmsg_batch_current(batch), seq++);
		mnl_nlmsg_batch_next(batch);
		t0 = now_ns();
		if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch)) < 0) {
			perror("nftwatch: probe send");
			return 1;
		}
		mnl_nlmsg_batch_stop(batch);
		while (rc > 0 && (r = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
			rc = mnl_cb_run(buf, (size_t)r, 0, portid, NULL, NULL);
		t1 = now_ns();
		if (rc < 0) {
			perror("nftwatch: probe");
			return 1;
		}
		inet_ntop(AF_INET, key, a, sizeof(a));
		printf("%llu %s %llu\n", (unsigned long long)t0, a, (unsigned long long)t1);
		usleep((useconds_t)interval_ms * 1000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && argc % 2 == 0 && strcmp(argv[1], "monitor") == 0 &&
	    strcmp(argv[2], "-g") == 0)
		return monitor(argv + 4, (argc - 4) / 2, atoi(argv[3]));
	if (argc >= 4 && argc % 2 == 0 && strcmp(argv[1], "monitor") == 0)
		return monitor(argv + 2, (argc - 2) / 2, -1);
	if (argc == 6 && strcmp(argv[1], "probe") == 0)
		return probe(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	if (argc == 4 && strcmp(argv[1], "count") == 0) {
		struct mnl_socket *nl = open_nl(0);

		printf("%ld\n", count_elems(nl, argv[2], argv[3]));
		return 0;
	}
	if (argc >= 8 && strcmp(argv[1], "start") == 0 && strcmp(argv[6], "--") == 0)
		return start(argv[2], argv[3], strtol(argv[4], NULL, 10), strtod(argv[5], NULL),
			     argv + 7);
	fprintf(stderr, "usage: nftwatch monitor [-g GROUP] TABLE SET [TABLE SET...] | count TABLE SET |\n"
			"       probe TABLE SET N INTERVAL_MS |\n"
			"       start TABLE SET N TIMEOUT_S -- PROGRAM ARGS...\n");
	return 2;
}
