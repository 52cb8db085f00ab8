/* Dropping capabilities with the raw syscalls: libcap for two calls would be
 * one more dependency for the gateway to carry. */
#include "privdrop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int n = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = CAP_LAST_CAP;
		fclose(f);
	}
	return n;
}

int privdrop_keep_net_admin(struct error *err)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	/* The bounding set first: dropping from it takes CAP_SETPCAP, which
	 * goes with the rest below. Without it (a unit that already limits the
	 * set), there is nothing more to drop there. */
	if (prctl(PR_CAPBSET_READ, CAP_SETPCAP) == 1) {
		for (int cap = 0; cap <= last_cap(); cap++)
			if (cap != CAP_NET_ADMIN && prctl(PR_CAPBSET_DROP, cap) < 0 &&
			    errno != EINVAL) {
				return error_errno(err, "dropping capability %d", cap);
			}
	}
	memset(data, 0, sizeof(data));
	data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective = CAP_TO_MASK(CAP_NET_ADMIN);
	data[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted = CAP_TO_MASK(CAP_NET_ADMIN);
	if (syscall(SYS_capset, &hdr, data) < 0) {
		return error_errno(err, "capset");
	}
	return 0;
}
