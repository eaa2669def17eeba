/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_NETLINK_H
#define _FH_NETLINK_H

#include <net/genetlink.h>

extern struct genl_family fh_genl_family;

int fh_netlink_init(void);
void fh_netlink_exit(void);

#endif /* _FH_NETLINK_H */
