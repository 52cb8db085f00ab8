/* Spawning the on_block program: no shell, a small fixed environment. */
#include "hook.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdlib.h>

/* Close actions for every descriptor of ours past stderr: one opened
 * without O_CLOEXEC (by us or a library) is no business of the program's.
 * The open ones are listed in /proc/self/fd, which works with every libc
 * (posix_spawn_file_actions_addclosefrom_np needs glibc 2.34). */
static int close_inherited(posix_spawn_file_actions_t *fa)
{
	DIR *dir = opendir("/proc/self/fd");
	int fds[1024], n = 0, self, rc = 0;
	struct dirent *e;

	if (dir == NULL)
		return errno;
	self = dirfd(dir);
	while ((e = readdir(dir)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end || end == e->d_name || fd <= 2 || fd == self)
			continue;
		if (n == (int)(sizeof(fds) / sizeof(fds[0]))) {
			rc = EMFILE;
			break;
		}
		fds[n++] = (int)fd;
	}
	closedir(dir);
	for (int i = 0; i < n && rc == 0; i++)
		rc = posix_spawn_file_actions_addclose(fa, fds[i]);
	return rc;
}

pid_t hook_spawn(const char *program, char *const env[])
{
	char *const argv[] = { (char *)program, NULL };
	posix_spawn_file_actions_t fds;
	posix_spawnattr_t attr;
	sigset_t none;
	pid_t pid;
	int rc;

	/* The daemon blocks its signals for signalfd; the child must not
	 * inherit that mask, nor our process group's terminal signals. */
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID);
	posix_spawn_file_actions_init(&fds);
	rc = close_inherited(&fds);
	if (rc == 0)
		rc = posix_spawn(&pid, program, &fds, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fds);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}
