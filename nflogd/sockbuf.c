/* Socket buffer sizes past the system's limit (sockbuf.h). */
#include "sockbuf.h"

#include <sys/socket.h>

static void set_size(int fd, int force_opt, int opt, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

void sockbuf_set_rcvbuf(int fd, int bytes)
{
	set_size(fd, SO_RCVBUFFORCE, SO_RCVBUF, bytes);
}

void sockbuf_set_sndbuf(int fd, int bytes)
{
	set_size(fd, SO_SNDBUFFORCE, SO_SNDBUF, bytes);
}
