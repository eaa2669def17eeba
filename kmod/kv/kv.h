/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_KV_H
#define _FH_KV_H

struct fh_conn;
struct fh_kv_store;
struct kv_line;

/* stats [settings|items|slabs]: memcached's names for what they count. */
int fh_kv_stats_cmd(struct fh_conn *c, struct fh_kv_store *s,
		    const struct kv_line *l, u32 item_max);

#endif /* _FH_KV_H */
