/* The control commands, daemon side (commands.c); daemon_command, the
 * control socket's handler, is declared in daemon.h. */
#ifndef NFLOGD_COMMANDS_H
#define NFLOGD_COMMANDS_H

#include <stdbool.h>

#include "protocol.h"

/* Does this daemon handle the table's command id? (Every one should.) */
bool command_has_handler(enum command_id id);

#endif
