/* Unit tests for nflogd/compat/: each shim does what the real one does.
 * Where this machine has the real one, byte for byte against it; in every
 * build, against what the kernel and a child process see. The COMPAT=el7
 * build runs the daemon on these shims. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "compat/compat.h"
#include "hook.h"

/* ---- libnetfilter_log 1.0.2 nlmsg helpers -------------------------------- */

static size_t config_msg(char *buf, bool real)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, MNL_SOCKET_BUFFER_SIZE);
#ifdef HAVE_NFLOG_NLMSG_HELPERS
	if (real) {
		nlh = nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, AF_INET6, 0x1234);
		nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_BIND);
		nflog_attr_put_cfg_mode(nlh, NFULNL_COPY_PACKET, 0x10203);
		return nlh->nlmsg_len;
	}
#endif
	(void)real;
	nlh = compat_nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, AF_INET6, 0x1234);
	assert_int_equal(compat_nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_BIND), 0);
	assert_int_equal(compat_nflog_attr_put_cfg_mode(nlh, NFULNL_COPY_PACKET, 0x10203), 0);
	return nlh->nlmsg_len;
}

struct cfg_seen {
	int cmd, mode;
	uint32_t range;
};

static int cfg_attr(const struct nlattr *a, void *data)
{
	struct cfg_seen *s = data;

	if (mnl_attr_get_type(a) == NFULA_CFG_CMD) {
		const struct nfulnl_msg_config_cmd *c = mnl_attr_get_payload(a);

		assert_int_equal(mnl_attr_get_payload_len(a), sizeof(*c));
		s->cmd = c->command;
	} else if (mnl_attr_get_type(a) == NFULA_CFG_MODE) {
		const struct nfulnl_msg_config_mode *m = mnl_attr_get_payload(a);

		assert_int_equal(mnl_attr_get_payload_len(a), sizeof(*m));
		s->mode = m->copy_mode;
		s->range = ntohl(m->copy_range);
	}
	return MNL_CB_OK;
}

static void test_nflog_config_message(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	size_t len = config_msg(buf, false);
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct cfg_seen seen = { -1, -1, 0 };

	(void)state;
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
	assert_int_equal(nfg->nfgen_family, AF_INET6);
	assert_int_equal(nfg->version, NFNETLINK_V0);
	assert_int_equal(ntohs(nfg->res_id), 0x1234);
	assert_true(mnl_nlmsg_ok(nlh, (int)len));
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*nfg), cfg_attr, &seen), MNL_CB_OK);
	assert_int_equal(seen.cmd, NFULNL_CFG_CMD_BIND);
	assert_int_equal(seen.mode, NFULNL_COPY_PACKET);
	assert_int_equal(seen.range, 0x10203);
}

static void test_nflog_config_message_as_library(void **state)
{
#ifdef HAVE_NFLOG_NLMSG_HELPERS
	char mine[MNL_SOCKET_BUFFER_SIZE], lib[MNL_SOCKET_BUFFER_SIZE];
	size_t n = config_msg(mine, false);

	(void)state;
	assert_int_equal(n, config_msg(lib, true));
	assert_memory_equal(mine, lib, n);
#else
	(void)state;
	skip();		/* no libnetfilter_log 1.0.2 to compare with in this build */
#endif
}

/* ---- libmnl 1.0.4 mnl_socket_open2 ------------------------------------- */

static void fd_flags(struct mnl_socket *nl, bool *cloexec, bool *nonblock)
{
	int fd = mnl_socket_get_fd(nl);

	*cloexec = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
	*nonblock = (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

static void check_open2(struct mnl_socket *(*open2)(int, int))
{
	static const int flags[] = { 0, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_CLOEXEC | SOCK_NONBLOCK };

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct mnl_socket *nl = open2(NETLINK_NETFILTER, flags[i]);
		bool cloexec, nonblock;

		assert_non_null(nl);
		fd_flags(nl, &cloexec, &nonblock);
		assert_int_equal(cloexec, (flags[i] & SOCK_CLOEXEC) != 0);
		assert_int_equal(nonblock, (flags[i] & SOCK_NONBLOCK) != 0);
		/* It is a usable libmnl socket. */
		assert_int_equal(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0);
		assert_int_not_equal(mnl_socket_get_portid(nl), 0);
		mnl_socket_close(nl);
	}
	errno = 0;
	assert_null(open2(NETLINK_NETFILTER, 0x40000000));
	assert_int_equal(errno, EINVAL);
}

static void test_mnl_socket_open2(void **state)
{
	(void)state;
	check_open2(compat_mnl_socket_open2);
#ifdef HAVE_MNL_SOCKET_OPEN2
	check_open2(mnl_socket_open2);	/* the test itself holds for the real one */
#endif
}

/* ---- glibc 2.25 getrandom ---------------------------------------------- */

static void check_random(ssize_t (*fill)(void *, size_t))
{
	unsigned char a[64], b[64], zero[64] = { 0 };

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(fill(a, sizeof(a)), sizeof(a));
	assert_int_equal(fill(b, sizeof(b)), sizeof(b));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(fill(a, 0), 0);
}

static ssize_t fill_getrandom(void *buf, size_t len)
{
	return compat_getrandom(buf, len, 0);
}

static void test_getrandom(void **state)
{
	(void)state;
	check_random(fill_getrandom);
	check_random(compat_getrandom_urandom);	/* a kernel without the system call */
}

/* ---- glibc 2.26 POSIX_SPAWN_SETSID -------------------------------------- */

struct spawn_fx {
	char dir[64], prog[96], out[96];
};

static int spawn_setup(void **state)
{
	struct spawn_fx *fx = calloc(1, sizeof(*fx));
	FILE *f;

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/nflogd-compat.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->prog, sizeof(fx->prog), "%s/child", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s/out", fx->dir);
	f = fopen(fx->prog, "w");
	if (f == NULL)
		return -1;
	/* Its pid, its session, its blocked signals and one variable. */
	fputs("#!/bin/sh\nset -- $(cat /proc/$$/stat)\n"
	      "echo \"$1 $6 $(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$$/status) $V\" >\"$OUT\"\n",
	      f);
	fclose(f);
	chmod(fx->prog, 0755);
	*state = fx;
	return 0;
}

static int spawn_teardown(void **state)
{
	struct spawn_fx *fx = *state;

	unlink(fx->prog);
	unlink(fx->out);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Run a spawner with SIGUSR1 blocked here; what did the child see? */
static void check_child(struct spawn_fx *fx, pid_t (*spawn)(const char *, char *const[]))
{
	char envout[128], line[256], blk[32], v[16];
	char *env[] = { envout, "V=seen", NULL };
	sigset_t usr1, old;
	long cpid, csid;
	int status;
	pid_t pid;
	FILE *f;

	snprintf(envout, sizeof(envout), "OUT=%s", fx->out);
	unlink(fx->out);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	pid = spawn(fx->prog, env);
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	f = fopen(fx->out, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(sscanf(line, "%ld %ld %31s %15s", &cpid, &csid, blk, v), 4);
	assert_int_equal(cpid, pid);
	assert_int_equal(csid, pid);		/* a session of its own */
	assert_string_equal(blk, "0000000000000000");	/* no signal blocked */
	assert_string_equal(v, "seen");		/* the environment given, only */

	/* A program that is not there: the error, and no child left behind. */
	errno = 0;
	assert_int_equal(spawn("/nonexistent/nflogd-hook", env), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static pid_t spawn_compat(const char *prog, char *const env[])
{
	char *const argv[] = { (char *)prog, NULL };
	sigset_t none;
	pid_t pid;
	int rc;

	sigemptyset(&none);
	rc = compat_spawn_setsid(&pid, prog, argv, env, &none);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}

static void test_spawn_setsid_shim(void **state)
{
	check_child(*state, spawn_compat);
}

/* The on_block spawner, on whichever path this build takes. */
static void test_hook_spawn(void **state)
{
	check_child(*state, hook_spawn);
}

/* ---- kernel header constants -------------------------------------------- */

static void test_kernel_constants(void **state)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	uint32_t mem[SK_MEMINFO_VARS + 4];
	socklen_t len = sizeof(mem);
	int one = 1, got = 0;

	(void)state;
	assert_int_equal(NETLINK_CAP_ACK, 10);
	assert_int_equal(NETLINK_EXT_ACK, 11);
	assert_int_equal(SO_MEMINFO, 55);
	assert_int_equal(SK_MEMINFO_DROPS, 8);
	assert_int_equal(SK_MEMINFO_VARS, 9);
	/* This kernel takes them (an EL7 kernel answers ENOPROTOOPT). */
	assert_non_null(nl);
	assert_int_equal(mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one)), 0);
	len = sizeof(got);
	assert_int_equal(mnl_socket_getsockopt(nl, NETLINK_CAP_ACK, &got, &len), 0);
	assert_int_equal(got, 1);
	assert_int_equal(mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one)), 0);
	len = sizeof(mem);
	assert_int_equal(getsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_MEMINFO, mem, &len), 0);
	assert_true(len >= SK_MEMINFO_VARS * sizeof(uint32_t));
	mnl_socket_close(nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nflog_config_message),
		cmocka_unit_test(test_nflog_config_message_as_library),
		cmocka_unit_test(test_mnl_socket_open2),
		cmocka_unit_test(test_getrandom),
		cmocka_unit_test_setup_teardown(test_spawn_setsid_shim, spawn_setup, spawn_teardown),
		cmocka_unit_test_setup_teardown(test_hook_spawn, spawn_setup, spawn_teardown),
		cmocka_unit_test(test_kernel_constants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
