/* Spawning the on_block program: no shell, a small fixed environment. */
#include "hook.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>

#include "compat/compat.h"

pid_t hook_spawn(const char *program, char *const env[])
{
	char *const argv[] = { (char *)program, NULL };
#ifdef HAVE_POSIX_SPAWN_SETSID
	posix_spawnattr_t attr;
#endif
	sigset_t none;
	pid_t pid;
	int rc;

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
