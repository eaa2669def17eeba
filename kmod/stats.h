/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_STATS_H
#define _FH_STATS_H

#include <linux/types.h>
#include <uapi/firehose.h>

#include "pool.h"

struct net;
struct proc_dir_entry;

/*
 * One worker's counters. Only the owning worker writes them, so they are
 * plain u64s: readers on other CPUs see each value whole (64-bit stores)
 * and accept that a snapshot is not atomic across counters.
 */
struct fh_stats {
	u64 accepted;
	u64 active;
	u64 closed;
	u64 refused;
	u64 requests;
	u64 bytes_in;
	u64 bytes_out;
	u64 zerocopy;
	u64 copied;
	u64 wakeups;
	u64 batches;
	u64 timeouts;
	u64 errors;
	u64 polled_ns;
	struct fh_pool_stats conn_pool;
	struct fh_pool_stats seg_pool;
};

/* A snapshot, indexed by enum fh_stat (FH_STAT_CPU and FH_STAT_PAD unused). */
struct fh_stats_snap {
	u64 v[__FH_STAT_MAX];
};

void fh_stats_snap_cpu(unsigned int cpu, struct fh_stats_snap *s);
void fh_stats_snap_total(struct fh_stats_snap *s);

struct proc_dir_entry *fh_stats_net_dir(struct net *net);

int fh_stats_init(void);
void fh_stats_exit(void);

#endif /* _FH_STATS_H */
