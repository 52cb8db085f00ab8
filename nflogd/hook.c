/* Spawning the on_block program: no shell, a small fixed environment. */
#include "hook.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>

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
	/* Only stdin, stdout and stderr: a descriptor opened without
	 * O_CLOEXEC (by us or a library) is no business of the program's. */
	posix_spawn_file_actions_init(&fds);
	rc = posix_spawn_file_actions_addclosefrom_np(&fds, 3);
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
