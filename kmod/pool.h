/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_POOL_H
#define _FH_POOL_H

#include <linux/slab.h>

/*
 * A lookaside list in front of a kmem_cache, owned by exactly one worker.
 * Only the owner touches it, so it needs no lock and no atomic. Freed objects
 * go on the "fresh" list; each sweep frees what sat on the "stale" list for a
 * whole period and makes the fresh list stale, so memory that stays idle goes
 * back to the slab within two periods.
 */
struct fh_pool_stats {
	u64 hits;	/* served from the lookaside list */
	u64 slab;	/* had to come from the slab */
	u64 swept;	/* returned to the slab by the sweeper */
	u64 in_use;	/* handed out and not yet freed */
};

struct fh_pool {
	struct kmem_cache *cache;
	void *fresh;		/* singly linked through the object's first word */
	void *stale;
	unsigned int nr_fresh;
	unsigned int nr_stale;
	unsigned int max;	/* beyond this many cached objects, free at once */
	struct fh_pool_stats *stats;
};

void fh_pool_init(struct fh_pool *pool, struct kmem_cache *cache,
		  unsigned int max, struct fh_pool_stats *stats);
void *fh_pool_alloc(struct fh_pool *pool, gfp_t gfp);
void fh_pool_free(struct fh_pool *pool, void *obj);
unsigned int fh_pool_sweep(struct fh_pool *pool);
void fh_pool_drain(struct fh_pool *pool);

static inline unsigned int fh_pool_cached(const struct fh_pool *pool)
{
	return pool->nr_fresh + pool->nr_stale;
}

#endif /* _FH_POOL_H */
