/* libnetfilter_log 1.0.2's nlmsg helpers, for 1.0.1 (Debian 11, Ubuntu
 * 20.04, EL7), which has only the nflog_handle API: the same messages,
 * byte for byte (tests/unit/test_compat.c holds them against 1.0.2). */
#include "compat/compat.h"

#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

struct nlmsghdr *compat_nflog_nlmsg_put_header(char *buf, uint8_t type, uint8_t family,
					       uint16_t gnum)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(gnum);
	return nlh;
}

int compat_nflog_attr_put_cfg_mode(struct nlmsghdr *nlh, uint8_t mode, uint32_t range)
{
	struct nfulnl_msg_config_mode m = { .copy_range = htonl(range), .copy_mode = mode };

	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(m), &m);
	return 0;
}

int compat_nflog_attr_put_cfg_cmd(struct nlmsghdr *nlh, uint8_t cmd)
{
	struct nfulnl_msg_config_cmd c = { .command = cmd };

	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(c), &c);
	return 0;
}
