/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_POOL_H
#define _FH_POOL_H

#include <linux/slab.h>
#include <linux/u64_stats_sync.h>

/*
 * A lookaside list in front of a kmem_cache, owned by exactly one worker.
 * Only the owner touches it, so it needs no lock and no atomic. Freed objects
 * go on the "fresh" list; each sweep frees what sat on the "stale" list for a
 * whole period and makes the fresh list stale, so memory that stays idle goes
 * back to the slab within two periods.
 */
struct fh_pool_stats {
	struct u64_stats_sync syncp;
	u64_stats_t hits;	/* served from the lookaside list */
	u64_stats_t slab;	/* had to come from the slab */
	u64_stats_t swept;	/* returned to the slab by the sweeper */
	u64_stats_t in_use;	/* handed out and not yet freed */
};

/*
 * Counters one thread writes and any CPU reads: u64_stats_t, so a reader
 * sees each value whole on 32-bit machines too (it retries on the writer's
 * sequence count there; on 64-bit the count is empty and each update one
 * unlocked add), and the accesses are marked as the data races they are.
 * @st holds the syncp and the counter @ctr points to. A gauge goes down by
 * adding -1: the counters wrap, as unsigned arithmetic does.
 */
static inline void fh_stat_add_to(struct u64_stats_sync *syncp,
				  u64_stats_t *c, u64 n)
{
	u64_stats_update_begin(syncp);
	u64_stats_add(c, n);
	u64_stats_update_end(syncp);
}

#define fh_stat_add(st, ctr, n)	fh_stat_add_to(&(st)->syncp, (ctr), (n))
#define fh_stat_inc(st, ctr)	fh_stat_add(st, ctr, 1)
#define fh_stat_dec(st, ctr)	fh_stat_add(st, ctr, (u64)-1)

struct fh_pool {
	struct kmem_cache *cache;
	void *fresh;		/* singly linked through the object's first word */
	void *stale;
	unsigned int nr_fresh;
	unsigned int nr_stale;
	unsigned int max;	/* beyond this many cached objects, free at once */
	struct fh_pool_stats *stats;
};

/* A snapshot of @st's counters, each whole (any CPU). */
void fh_pool_stats_read(const struct fh_pool_stats *st, u64 *hits, u64 *slab,
			u64 *swept);
void fh_pool_init(struct fh_pool *pool, struct kmem_cache *cache,
		  unsigned int max, struct fh_pool_stats *stats);
void *fh_pool_alloc(struct fh_pool *pool, gfp_t gfp);
void fh_pool_free(struct fh_pool *pool, void *obj);
bool fh_pool_sweep_due(unsigned long *next, bool cached, unsigned long period);
unsigned int fh_pool_sweep(struct fh_pool *pool);
void fh_pool_drain(struct fh_pool *pool);

static inline unsigned int fh_pool_cached(const struct fh_pool *pool)
{
	return pool->nr_fresh + pool->nr_stale;
}

#endif /* _FH_POOL_H */
