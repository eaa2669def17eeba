/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_STATS_H
#define _FH_STATS_H

#include <linux/types.h>
#include <uapi/firehose.h>

/*
 * A snapshot of the workers' counters (struct fh_stats), indexed by enum
 * fh_stat (FH_STAT_CPU and FH_STAT_PAD unused).
 */
struct fh_stats_snap {
	u64 v[__FH_STAT_MAX];
};

void fh_stats_snap_cpu(unsigned int cpu, struct fh_stats_snap *s);
void fh_stats_snap_total(struct fh_stats_snap *s);

int fh_stats_init(void);
void fh_stats_exit(void);

#endif /* _FH_STATS_H */
