/* Least privilege: once its sockets are open and its table installed, the
 * daemon needs only CAP_NET_ADMIN (nf_tables writes, NFLOG configuration,
 * forced socket buffers). It stays uid 0 so its files keep their owner. */
#ifndef NFLOGD_PRIVDROP_H
#define NFLOGD_PRIVDROP_H

#include "error.h"

/* Keep CAP_NET_ADMIN, drop every other capability from the effective,
 * permitted and inheritable sets and, when allowed, the bounding set (so an
 * on_block program cannot regain them). 0, or -1 with a message. */
int privdrop_keep_net_admin(struct error *err);

#endif
