// SPDX-License-Identifier: GPL-2.0
/*
 * The content cache: files as pages of their own with their headers made,
 * in a hash table that workers read under RCU, taking no lock and no
 * reference for a file that fits one window (the pages they queue hold
 * themselves). Writers (the loader inserting, a worker dropping a stale
 * entry, a flush) take the cache's lock. Eviction is a clock over the
 * entries: a hit only sets a bit, so hits never write shared lists.
 *
 * Staleness is checked on every hit against the inode the entry holds:
 * its change time (moved by a write, truncate, chmod, rename or link
 * count change) and size, and whether it still has a name. A changed file
 * is loaded again on the very request after the change completes.
 */
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "http.h"

/* Frees after a grace period, drained before the module goes. */
static struct workqueue_struct *fh_http_free_wq;

static void fh_http_obj_free_fn(struct work_struct *work)
{
	struct fh_http_obj *o = container_of(to_rcu_work(work),
					     struct fh_http_obj, free_work);
	unsigned int i;

	for (i = 0; i < o->nr_pages; i++)
		if (o->pages[i])
			put_page(o->pages[i]);
	kvfree(o->pages);
	if (o->pinned)
		atomic64_sub(o->cost, &fh_http_pinned);
	if (o->file)
		fput(o->file);
	kfree(o);
}

atomic64_t fh_http_pinned = ATOMIC64_INIT(0);

struct fh_http_obj *fh_http_obj_alloc(const char *key, size_t len)
{
	struct fh_http_obj *o = kzalloc(struct_size(o, key, len), GFP_KERNEL);

	if (!o)
		return NULL;
	refcount_set(&o->ref, 1);
	INIT_RCU_WORK(&o->free_work, fh_http_obj_free_fn);
	INIT_LIST_HEAD(&o->lru);
	memcpy(o->key, key, len);
	o->key_len = len;
	/* Made by the loader right after the path resolved to its file. */
	o->checked = jiffies;
	return o;
}

/*
 * The last reference may go on a worker: the pages, the inode and the
 * file are let go after a grace period (readers under RCU may still look
 * at the entry), in process context (iput and fput may sleep).
 */
void fh_http_obj_put(struct fh_http_obj *o)
{
	if (refcount_dec_and_test(&o->ref))
		queue_rcu_work(fh_http_free_wq, &o->free_work);
}

/* Whether the file is still what the entry holds. Lockless. */
bool fh_http_obj_fresh(const struct fh_http_obj *o)
{
	const struct inode *inode = o->inode;
	struct timespec64 ct = fh_inode_ctime(inode);

	return READ_ONCE(inode->i_nlink) && i_size_read(inode) == o->size &&
	       timespec64_equal(&ct, &o->ctime);
}

static struct hlist_head *fh_http_bucket(struct fh_http_cache *cache, u64 hash)
{
	return &cache->table[hash & ((1U << cache->bits) - 1)];
}

int fh_http_cache_init(struct fh_http_cache *cache, u64 limit)
{
	/* About one bucket per 16 KiB of limit: short chains at any size. */
	u64 want = limit >> 14;

	spin_lock_init(&cache->lock);
	INIT_LIST_HEAD(&cache->lru);
	cache->limit = limit;
	/* A quarter of the cache at most: one file cannot empty it. */
	cache->max_entry = limit / 4;
	cache->bits = clamp_t(unsigned int, want ? ilog2(want) : 0, 6, 16);
	get_random_bytes(&cache->key, sizeof(cache->key));
	cache->table = kvcalloc(1U << cache->bits, sizeof(*cache->table),
				GFP_KERNEL);
	cache->cpu = alloc_percpu(struct fh_http_cache_cpu);
	if (!cache->table || !cache->cpu) {
		kvfree(cache->table);
		free_percpu(cache->cpu);
		return -ENOMEM;
	}
	return 0;
}

/* Caller holds rcu_read_lock(); the entry is valid until it drops it. */
struct fh_http_obj *fh_http_cache_lookup(struct fh_http_cache *cache,
					 const char *key, size_t len)
{
	u64 hash = siphash(key, len, &cache->key);
	struct fh_http_obj *o;

	hlist_for_each_entry_rcu(o, fh_http_bucket(cache, hash), node)
		if (o->hash == hash && o->key_len == len &&
		    !memcmp(o->key, key, len))
			return o;
	return NULL;
}

/* Cache lock held. */
static void fh_http_cache_unlink(struct fh_http_cache *cache,
				 struct fh_http_obj *o)
{
	hlist_del_rcu(&o->node);
	list_del_init(&o->lru);
	o->cached = false;
	cache->bytes -= o->cost;
	cache->entries--;
	/* Its pages stay until the last response sending them lets go. */
	if (o->pages) {
		o->pinned = true;
		atomic64_add(o->cost, &fh_http_pinned);
	}
	fh_http_obj_put(o);
}

/*
 * Make room for @cost bytes: the clock hand gives each entry hit since it
 * last passed a second chance. Cache lock held. Each entry is looked
 * at no more than twice, so the walk is bounded even if all were hit.
 */
static bool fh_http_cache_room(struct fh_http_cache *cache, u64 cost)
{
	u64 budget = 2 * cache->entries + 1;
	struct fh_http_obj *o;

	while (cache->bytes + cost > cache->limit && budget--) {
		o = list_first_entry_or_null(&cache->lru, struct fh_http_obj, lru);
		if (!o)
			break;
		if (READ_ONCE(o->referenced)) {
			WRITE_ONCE(o->referenced, false);
			list_move_tail(&o->lru, &cache->lru);
			continue;
		}
		fh_http_cache_unlink(cache, o);
		cache->evictions++;
	}
	return cache->bytes + cost <= cache->limit;
}

/*
 * Publish @o (the caller keeps its own reference), replacing any entry of
 * the same path. An entry that cannot be made room for is not cached:
 * false, and the caller streams the file instead of keeping the copy.
 */
bool fh_http_cache_insert(struct fh_http_cache *cache, struct fh_http_obj *o)
{
	struct fh_http_obj *old;
	bool cached = false;

	o->hash = siphash(o->key, o->key_len, &cache->key);
	spin_lock(&cache->lock);
	old = fh_http_cache_lookup(cache, o->key, o->key_len);
	if (old) {
		fh_http_cache_unlink(cache, old);
		cache->invalidations++;
	}
	if (fh_http_cache_room(cache, o->cost)) {
		refcount_inc(&o->ref);
		o->cached = true;
		hlist_add_head_rcu(&o->node, fh_http_bucket(cache, o->hash));
		list_add_tail(&o->lru, &cache->lru);
		cache->bytes += o->cost;
		cache->entries++;
		cache->loads++;
		cached = true;
	}
	spin_unlock(&cache->lock);
	return cached;
}

/* A stale entry goes; one that another CPU already dropped is left alone. */
void fh_http_cache_drop(struct fh_http_cache *cache, struct fh_http_obj *o)
{
	spin_lock(&cache->lock);
	if (o->cached) {
		fh_http_cache_unlink(cache, o);
		cache->invalidations++;
	}
	spin_unlock(&cache->lock);
}

void fh_http_cache_flush(struct fh_http_cache *cache)
{
	struct fh_http_obj *o, *tmp;

	spin_lock(&cache->lock);
	list_for_each_entry_safe(o, tmp, &cache->lru, lru) {
		fh_http_cache_unlink(cache, o);
		cache->invalidations++;
	}
	spin_unlock(&cache->lock);
}

/* No reader is left: the listener and all its connections are gone. */
void fh_http_cache_destroy(struct fh_http_cache *cache)
{
	fh_http_cache_flush(cache);
	kvfree(cache->table);
	free_percpu(cache->cpu);
}

int fh_http_objs_init(void)
{
	fh_http_free_wq = alloc_workqueue("fh_http_free", WQ_UNBOUND, 0);
	return fh_http_free_wq ? 0 : -ENOMEM;
}

/* Every object is released: wait for their grace periods and frees. */
void fh_http_objs_exit(void)
{
	rcu_barrier();
	destroy_workqueue(fh_http_free_wq);
}
