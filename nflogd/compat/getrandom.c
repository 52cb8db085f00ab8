/* glibc 2.25's getrandom(), for 2.17 (EL7): the system call where the
 * kernel has it, else /dev/urandom (a kernel older than 3.17). Both block
 * only before the pool is initialised, long before nflogd starts. */
#include "compat/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

ssize_t compat_getrandom_urandom(void *buf, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;

			close(fd);
			errno = e;
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	return (ssize_t)got;
}

ssize_t compat_getrandom(void *buf, size_t len, unsigned int flags)
{
#ifdef SYS_getrandom
	long r = syscall(SYS_getrandom, buf, len, flags);

	if (r >= 0 || errno != ENOSYS)
		return r;
#endif
	(void)flags;
	return compat_getrandom_urandom(buf, len);
}
