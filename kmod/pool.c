// SPDX-License-Identifier: GPL-2.0
/*
 * Per-worker lookaside lists over kmem_cache. The hot path is a pointer pop
 * or push on memory only this CPU's worker touches; the slab is the fallback.
 */
#include <linux/jiffies.h>

#include "pool.h"

void fh_pool_stats_read(const struct fh_pool_stats *st, u64 *hits, u64 *slab,
			u64 *swept)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&st->syncp);
		*hits = u64_stats_read(&st->hits);
		*slab = u64_stats_read(&st->slab);
		*swept = u64_stats_read(&st->swept);
	} while (u64_stats_fetch_retry(&st->syncp, start));
}

void fh_pool_init(struct fh_pool *pool, struct kmem_cache *cache,
		  unsigned int max, struct fh_pool_stats *stats)
{
	pool->cache = cache;
	pool->fresh = NULL;
	pool->stale = NULL;
	pool->nr_fresh = 0;
	pool->nr_stale = 0;
	pool->max = max;
	pool->stats = stats;
	u64_stats_init(&stats->syncp);
}

static void *fh_pool_pop(void **list, unsigned int *nr)
{
	void *obj = *list;

	*list = *(void **)obj;
	(*nr)--;
	return obj;
}

void *fh_pool_alloc(struct fh_pool *pool, gfp_t gfp)
{
	void *obj;

	/* Fresh objects first: they are the ones most likely still in cache. */
	if (pool->fresh) {
		obj = fh_pool_pop(&pool->fresh, &pool->nr_fresh);
	} else if (pool->stale) {
		obj = fh_pool_pop(&pool->stale, &pool->nr_stale);
	} else {
		obj = kmem_cache_alloc(pool->cache, gfp);
		if (obj) {
			fh_stat_inc(pool->stats, &pool->stats->slab);
			fh_stat_inc(pool->stats, &pool->stats->in_use);
		}
		return obj;
	}
	fh_stat_inc(pool->stats, &pool->stats->hits);
	fh_stat_inc(pool->stats, &pool->stats->in_use);
	return obj;
}

void fh_pool_free(struct fh_pool *pool, void *obj)
{
	fh_stat_dec(pool->stats, &pool->stats->in_use);
	if (fh_pool_cached(pool) >= pool->max) {
		kmem_cache_free(pool->cache, obj);
		return;
	}
	*(void **)obj = pool->fresh;
	pool->fresh = obj;
	pool->nr_fresh++;
}

static unsigned int fh_pool_free_list(struct fh_pool *pool, void *list)
{
	unsigned int n = 0;
	void *next;

	while (list) {
		next = *(void **)list;
		kmem_cache_free(pool->cache, list);
		list = next;
		n++;
	}
	return n;
}

/*
 * Whether the owner's lists are due a sweep, every @period jiffies while
 * any of them holds objects (@cached); *@next is when. With nothing
 * cached the period starts again, so the first objects freed get a whole
 * period before the sweep that makes them stale.
 */
bool fh_pool_sweep_due(unsigned long *next, bool cached, unsigned long period)
{
	unsigned long now = jiffies;

	if (!cached) {
		*next = now + period;
		return false;
	}
	if (time_before(now, *next))
		return false;
	*next = now + period;
	return true;
}

/* Returns how many objects went back to the slab. */
unsigned int fh_pool_sweep(struct fh_pool *pool)
{
	unsigned int n = fh_pool_free_list(pool, pool->stale);

	pool->stale = pool->fresh;
	pool->nr_stale = pool->nr_fresh;
	pool->fresh = NULL;
	pool->nr_fresh = 0;
	fh_stat_add(pool->stats, &pool->stats->swept, n);
	return n;
}

void fh_pool_drain(struct fh_pool *pool)
{
	fh_pool_free_list(pool, pool->fresh);
	fh_pool_free_list(pool, pool->stale);
	pool->fresh = NULL;
	pool->stale = NULL;
	pool->nr_fresh = 0;
	pool->nr_stale = 0;
}
