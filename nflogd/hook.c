/* Spawning the on_block program: no shell, a small fixed environment. */
#include "hook.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdlib.h>

#include "compat/compat.h"

/* Every descriptor of ours past stderr closes at the program's exec: one
 * opened without O_CLOEXEC (by us, a library, or whoever started us) is no
 * business of the program's. The open ones are listed in /proc/self/fd,
 * which works with every libc and with the compat spawn as well
 * (posix_spawn_file_actions_addclosefrom_np needs glibc 2.34). The daemon
 * itself never execs anything else. 0, or -1 (errno of the last one that
 * could not be marked). */
static int cloexec_inherited(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int self, failed = 0;

	if (dir == NULL)
		return -1;
	self = dirfd(dir);
	while ((e = readdir(dir)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		int flags;

		if (*end || end == e->d_name || fd <= 2 || fd == self)
			continue;
		flags = fcntl((int)fd, F_GETFD);
		if (flags >= 0 && !(flags & FD_CLOEXEC) &&
		    fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC) < 0)
			failed = errno;
	}
	closedir(dir);
	if (failed == 0)
		return 0;
	errno = failed;
	return -1;
}

pid_t hook_spawn(const char *program, char *const env[])
{
	char *const argv[] = { (char *)program, NULL };
#ifdef HAVE_POSIX_SPAWN_SETSID
	posix_spawnattr_t attr;
#endif
	sigset_t none;
	pid_t pid;
	int rc;

	if (cloexec_inherited() < 0)
		return -1;
	/* The daemon blocks its signals for signalfd; the child must not
	 * inherit that mask, nor our process group's terminal signals. */
	sigemptyset(&none);
#ifdef HAVE_POSIX_SPAWN_SETSID
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID);
	rc = posix_spawn(&pid, program, NULL, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
#else
	rc = compat_spawn_setsid(&pid, program, argv, env, &none);
#endif
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}
