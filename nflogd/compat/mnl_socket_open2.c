/* libmnl 1.0.4's mnl_socket_open2, for 1.0.3 (EL7): the socket flags
 * (SOCK_CLOEXEC, SOCK_NONBLOCK) set right after opening. Not atomic with
 * the open, which matters only to a program that forks from other threads
 * meanwhile; nflogd has one thread. */
#include "compat/compat.h"

#include <errno.h>
#include <fcntl.h>

#include <libmnl/libmnl.h>

struct mnl_socket *compat_mnl_socket_open2(int bus, int flags)
{
	struct mnl_socket *nl;
	int fd, fl;

	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) {
		errno = EINVAL;	/* what socket() answers to unknown flags */
		return NULL;
	}
	nl = mnl_socket_open(bus);
	if (nl == NULL)
		return NULL;
	fd = mnl_socket_get_fd(nl);
	if (((flags & SOCK_CLOEXEC) && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) ||
	    ((flags & SOCK_NONBLOCK) &&
	     ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))) {
		int e = errno;

		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}
