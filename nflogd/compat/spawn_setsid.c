/* posix_spawn with POSIX_SPAWN_SETSID (glibc 2.26) and
 * POSIX_SPAWN_SETSIGMASK, for glibc 2.17 (EL7): fork, then in the child the
 * signal mask, a new session, execve. As glibc's posix_spawn does since
 * 2.24, a failure in the child (exec included) comes back as the return
 * value, through a close-on-exec pipe, rather than as exit status 127. */
#include "compat/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static void child(int fd, const char *path, char *const argv[], char *const envp[],
		  const sigset_t *mask)
{
	int e;

	if (sigprocmask(SIG_SETMASK, mask, NULL) == 0 && setsid() >= 0)
		execve(path, argv, envp);
	e = errno;
	while (write(fd, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

int compat_spawn_setsid(pid_t *pid, const char *path, char *const argv[], char *const envp[],
			const sigset_t *mask)
{
	int p[2], e = 0;
	ssize_t r;
	pid_t c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return errno;
	c = fork();
	if (c < 0) {
		e = errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (c == 0) {
		close(p[0]);
		child(p[1], path, argv, envp, mask);
	}
	close(p[1]);
	/* EOF: the exec closed the pipe; an int: the child's errno. */
	while ((r = read(p[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (r == (ssize_t)sizeof(e)) {
		while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
			;
		return e;
	}
	*pid = c;
	return 0;
}
