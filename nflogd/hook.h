/* on_block: run the administrator's program on each block and unblock,
 * with the details in its environment. Never waits for it. */
#ifndef NFLOGD_HOOK_H
#define NFLOGD_HOOK_H

#include <sys/types.h>

/* Environment entries "NAME=value" (at most 16), NULL-terminated. Returns
 * the child's pid, or -1 (the reason in errno). The caller reaps it. */
pid_t hook_spawn(const char *program, char *const env[]);

#endif
