/* Telling systemd (Type=notify) that the daemon is ready or stopping,
 * without linking libsystemd for one datagram. */
#ifndef NFLOGD_NOTIFY_H
#define NFLOGD_NOTIFY_H

/* Send "READY=1" etc. to $NOTIFY_SOCKET; nothing when it is not set. */
void notify_systemd(const char *state);

#endif
