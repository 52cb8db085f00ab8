/* Socket buffers larger than net.core.rmem_max / wmem_max: the FORCE
 * options pass the limit with CAP_NET_ADMIN; without it, take what the
 * limit allows. Best effort: the socket works either way. */
#ifndef NFLOGD_SOCKBUF_H
#define NFLOGD_SOCKBUF_H

void sockbuf_set_rcvbuf(int fd, int bytes);
void sockbuf_set_sndbuf(int fd, int bytes);

#endif
