/* Stand-ins for what older libraries, glibc and kernel headers lack (the
 * model: OpenSSH's openbsd-compat). scripts/configure.sh probes each and
 * defines HAVE_* in the build's config.h, forced into every object; where
 * one is missing, the name maps to the shim here. The shims are always
 * built, so the unit tests can hold them against the real ones.
 * Include after the system and library headers it stands in for. */
#ifndef NFLOGD_COMPAT_H
#define NFLOGD_COMPAT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>

struct nlmsghdr;
struct mnl_socket;

/* libnetfilter_log 1.0.2 (1.0.1: Debian 11, Ubuntu 20.04, EL7): the nlmsg
 * helpers that build NFULNL_MSG_CONFIG messages. nflog_nlmsg.c. */
struct nlmsghdr *compat_nflog_nlmsg_put_header(char *buf, uint8_t type, uint8_t family,
					       uint16_t gnum);
int compat_nflog_attr_put_cfg_mode(struct nlmsghdr *nlh, uint8_t mode, uint32_t range);
int compat_nflog_attr_put_cfg_cmd(struct nlmsghdr *nlh, uint8_t cmd);
#ifndef HAVE_NFLOG_NLMSG_HELPERS
#define nflog_nlmsg_put_header compat_nflog_nlmsg_put_header
#define nflog_attr_put_cfg_mode compat_nflog_attr_put_cfg_mode
#define nflog_attr_put_cfg_cmd compat_nflog_attr_put_cfg_cmd
#endif

/* libmnl 1.0.4 (1.0.3: EL7): socket flags at open. mnl_socket_open2.c. */
struct mnl_socket *compat_mnl_socket_open2(int bus, int flags);
#ifndef HAVE_MNL_SOCKET_OPEN2
#define mnl_socket_open2 compat_mnl_socket_open2
#endif

/* glibc 2.25 (2.17: EL7): getrandom(). getrandom.c. */
ssize_t compat_getrandom(void *buf, size_t len, unsigned int flags);
ssize_t compat_getrandom_urandom(void *buf, size_t len);
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#else
#define getrandom compat_getrandom
#endif

/* glibc 2.26 (2.17: EL7): posix_spawn with POSIX_SPAWN_SETSID and
 * POSIX_SPAWN_SETSIGMASK. 0 or an errno value, as posix_spawn. spawn_setsid.c. */
int compat_spawn_setsid(pid_t *pid, const char *path, char *const argv[], char *const envp[],
			const sigset_t *mask);

/* Kernel header constants (EL7's are 3.10). The values are the kernel's
 * ABI; a kernel that lacks the option refuses it at run time (ENOPROTOOPT),
 * which the callers take as "not available". */
#ifndef HAVE_NETLINK_CAP_ACK	/* Linux 4.3 */
#undef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef HAVE_NETLINK_EXT_ACK	/* Linux 4.12 */
#undef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef HAVE_SO_MEMINFO		/* Linux 4.12 */
#undef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#ifndef HAVE_SK_MEMINFO_DROPS	/* Linux 4.6: an enum, so a macro shadows it */
#define SK_MEMINFO_DROPS 8
#define SK_MEMINFO_VARS 9
#endif

#endif
