// SPDX-License-Identifier: GPL-2.0
/* kv's store: sharded RCU hash, LRU per shard, a memory limit (store.h). */
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

#include "store.h"
#include "../pool.h"
#include "../worker.h"

/*
 * Item sizes, each with its own cache: what an item occupies is its
 * class's size. Up to 256 bytes (small values, most of a cache's items)
 * every 8 bytes, so a small item wastes at most 7; above, about 1.125
 * apart, as memcached's slab classes are 1.25 apart.
 */
static const u32 fh_kv_sizes[] = {
	80, 88, 96, 104, 112, 120, 128, 136, 144, 152, 160, 168, 176, 184,
	192, 200, 208, 216, 224, 232, 240, 248, 256,
	288, 320, 368, 416, 464, 512, 576, 640, 720, 816, 912, 1024,
	1152, 1296, 1456, 1640, 1848, 2048, 2304, 2592, 2912, 3280, 3688,
	4096,
};

/* Memory per item is what the bench weighs against memcached's (store.h). */
static_assert(sizeof(struct fh_kv_item) <= 72);

#define FH_KV_NCLS	ARRAY_SIZE(fh_kv_sizes)
#define FH_KV_CLS_BIG	0xff
#define FH_KV_REAP_BUCKETS	512	/* per shard per second */
/* A shard's table: from 64 buckets, up to 2^20 (2^26 over the shards). */
#define FH_KV_BITS_MIN		6
#define FH_KV_BITS_MAX		20
/* The used-bytes counter's per-CPU slack: exact sums near the limit. */
#define FH_KV_USED_BATCH	(64 * 1024)

static struct kmem_cache *fh_kv_caches[FH_KV_NCLS];

/*
 * Each worker's lookaside lists of free items, one per size class, as the
 * engine keeps for connections and segments: a SET on a worker reuses what
 * its earlier SETs and DELETEs freed there, with no atomic and no slab.
 * Only the worker's own thread touches them (fh_worker_cpu()); items freed
 * anywhere else go back to the slab.
 *
 * A linked item may still be read by a lookup when its last reference goes
 * (RCU), so it waits a grace period first. Rather than call_rcu(), whose
 * callback runs in softirq where the lists cannot be touched, the worker
 * keeps the items in two batches: @pend, freed since the last turn, and
 * @wait, freed before it, whose grace period (@cookie, polled) must end
 * before they join the lists. Both batches advance on every allocation and
 * before the worker sleeps; what stays unused goes back to the slab within
 * two sweep periods (fh_pool_sweep()).
 */
#define FH_KV_LA_BYTES		(16 * 1024)	/* per class per worker */
#define FH_KV_LA_SWEEP		(5 * HZ)
#define FH_KV_LA_POLL		(HZ / 50 ?: 1)

struct fh_kv_la {
	struct fh_pool cls[FH_KV_NCLS];
	struct fh_pool_stats stats;	/* all classes' */
	struct fh_kv_item *pend;	/* linked through their rcu heads */
	struct fh_kv_item *wait;
	unsigned long cookie;		/* @wait's grace period */
	unsigned long next_sweep;
	/*
	 * A list may hold items: set by each free into one, cleared by the
	 * tick that finds them all empty. The tick runs every time the
	 * worker goes idle, kv listener or not: without items it looks at
	 * nothing else.
	 */
	bool held;
};

static struct fh_kv_la __percpu *fh_kv_las;

static unsigned int fh_kv_cls(size_t size)
{
	unsigned int i;

	for (i = 0; i < FH_KV_NCLS; i++)
		if (size <= fh_kv_sizes[i])
			return i;
	return FH_KV_CLS_BIG;
}

u32 fh_kv_now(const struct fh_kv_store *s)
{
	/* Never 0 (no expiry) nor 1 (long expired): store seconds start at 2. */
	return (u32)ktime_get_seconds() + 2;
}

/*
 * memcached's realtime(): 0 never expires; a negative time has expired;
 * up to 30 days is relative; more is a unix time. Expired: 1, always past.
 */
u32 fh_kv_exptime(const struct fh_kv_store *s, s64 exptime)
{
	s64 rel;

	if (!exptime)
		return 0;
	if (exptime < 0)
		return 1;
	rel = exptime;
	if (exptime > 60 * 60 * 24 * 30) {
		rel = exptime - ktime_get_real_seconds();
		if (rel <= 0)
			return 1;
	}
	return fh_kv_now(s) + (u32)min_t(s64, rel, U32_MAX / 2);
}

/*
 * As memcached's item_size_max, the limit is on the whole item: its header
 * (about 50 bytes there), its key and its value.
 */
bool fh_kv_too_large(const struct fh_kv_store *s, u8 klen, u64 nbytes)
{
	return nbytes + klen + 50 > s->item_max;
}

/*
 * The store's generation: a delayed flush_all whose time has come becomes
 * a new one here, before anyone reads it, so every item stored before the
 * deadline is of an older generation and every one stored since is not.
 * The pending time is cleared after the bump (release): whoever sees it
 * cleared sees the new generation.
 */
static void fh_kv_bump(struct fh_kv_store *s)
{
	lockdep_assert_held(&s->flush_lock);
	WRITE_ONCE(s->flush_gen, s->flush_gen + 1);
	/* Pairs with fh_kv_gen()'s acquire: no flush pending, new generation. */
	smp_store_release(&s->flush_at, 0);
}

static u32 fh_kv_gen(struct fh_kv_store *s, u32 now)
{
	/* Pairs with fh_kv_bump()'s release. */
	u32 at = smp_load_acquire(&s->flush_at);

	if (unlikely(at && at <= now)) {
		spin_lock(&s->flush_lock);
		if (s->flush_at && s->flush_at <= now)
			fh_kv_bump(s);
		spin_unlock(&s->flush_lock);
	}
	return READ_ONCE(s->flush_gen);
}

static bool fh_kv_live(struct fh_kv_store *s, const struct fh_kv_item *it,
		       u32 now)
{
	if (it->exp && it->exp <= now)
		return false;
	return it->gen == fh_kv_gen(s, now);
}

static u32 fh_kv_hash(const struct fh_kv_store *s, const char *key, u8 klen)
{
	return (u32)siphash(key, klen, &s->hkey);
}

static struct fh_kv_shard *fh_kv_shard_of(struct fh_kv_store *s, u32 hash)
{
	return &s->shards[hash & (FH_KV_SHARDS - 1)];
}

/* The low 6 bits of a hash pick the shard; the next ones the bucket. */
static struct fh_kv_item __rcu **fh_kv_slot(struct fh_kv_table *t, u32 hash)
{
	return &t->b[(hash >> 6) & ((1U << t->bits) - 1)];
}

/* A chain's pointer, read under its shard's lock. */
#define fh_kv_locked(p, sh) rcu_dereference_protected(p, lockdep_is_held(&(sh)->lock))

/* Under the shard lock. */
static struct fh_kv_item __rcu **fh_kv_bucket(struct fh_kv_shard *sh,
					      u32 hash)
{
	return fh_kv_slot(fh_kv_locked(sh->tbl, sh), hash);
}

static size_t fh_kv_head_size(u8 klen, u32 nbytes, unsigned int npages)
{
	if (npages)
		return sizeof(struct fh_kv_item) + ALIGN(klen, sizeof(void *)) +
		       npages * sizeof(struct page *);
	return sizeof(struct fh_kv_item) + klen + nbytes;
}

/* What @it occupies, charged against the limit: its class and its pages. */
u32 fh_kv_charge(const struct fh_kv_item *it)
{
	u32 head = it->cls == FH_KV_CLS_BIG ?
		   fh_kv_head_size(it->klen, it->nbytes, it->npages) :
		   fh_kv_sizes[it->cls];

	return head + it->npages * PAGE_SIZE;
}

/* The shard lock, counted: contention says whether more shards would help. */
static void fh_kv_lock(struct fh_kv_store *s, struct fh_kv_shard *sh)
	__acquires(&sh->lock)
{
	fh_kv_count(s, FH_KV_SHARD_LOCKS);
	if (spin_trylock(&sh->lock))
		return;
	fh_kv_count(s, FH_KV_SHARD_CONTENDED);
	spin_lock(&sh->lock);
}

/* This worker's lists, or NULL anywhere else. */
static struct fh_kv_la *fh_kv_la_self(void)
{
	int cpu = fh_kv_las ? fh_worker_cpu() : -1;

	return cpu < 0 ? NULL : per_cpu_ptr(fh_kv_las, cpu);
}

static void fh_kv_free(struct fh_kv_item *it)
{
	struct fh_kv_la *la;
	unsigned int i;

	for (i = 0; i < it->npages; i++)
		put_page(fh_kv_pages(it)[i]);
	if (it->cls == FH_KV_CLS_BIG) {
		kvfree(it);
		return;
	}
	la = fh_kv_la_self();
	if (la) {
		fh_pool_free(&la->cls[it->cls], it);
		la->held = true;
	} else {
		kmem_cache_free(fh_kv_caches[it->cls], it);
	}
}

static void fh_kv_free_rcu(struct rcu_head *head)
{
	fh_kv_free(container_of(head, struct fh_kv_item, rcu));
}

/* A batch of items chained through their rcu heads: to the lists. */
static void fh_kv_free_batch(struct fh_kv_item *it)
{
	struct fh_kv_item *next;

	for (; it; it = next) {
		next = (struct fh_kv_item *)it->rcu.next;
		fh_kv_free(it);
	}
}

/* On the worker: @wait joins the lists once its grace period ended. */
static void fh_kv_la_advance(struct fh_kv_la *la)
{
	if (la->wait) {
		if (!poll_state_synchronize_rcu(la->cookie))
			return;
		fh_kv_free_batch(la->wait);
		la->wait = NULL;
	}
	if (la->pend) {
		/* Every item in @pend was unlinked before this. */
		la->wait = la->pend;
		la->pend = NULL;
		la->cookie = start_poll_synchronize_rcu();
	}
}

/*
 * Lookups may still be reading an unlinked item's key (they fail to take
 * a reference): it goes after a grace period. One never linked goes now.
 */
void fh_kv_put(struct fh_kv_item *it)
{
	struct fh_kv_la *la;

	if (!refcount_dec_and_test(&it->ref))
		return;
	if (!(it->mflags & FH_KV_SEEN)) {
		fh_kv_free(it);
		return;
	}
	la = it->cls == FH_KV_CLS_BIG ? NULL : fh_kv_la_self();
	if (!la) {
		call_rcu(&it->rcu, fh_kv_free_rcu);
		return;
	}
	it->rcu.next = (struct rcu_head *)la->pend;
	la->pend = it;
}

/*
 * Before the worker sleeps: advance the batches and sweep what sat unused.
 * Returns when to look again (0: nothing is held).
 */
unsigned long fh_kv_worker_tick(void)
{
	struct fh_kv_la *la = fh_kv_la_self();
	unsigned long now = jiffies;
	bool cached = false;
	unsigned int i;

	if (!la)
		return 0;
	fh_kv_la_advance(la);
	for (i = 0; i < FH_KV_NCLS && la->held && !cached; i++)
		cached = fh_pool_cached(&la->cls[i]);
	la->held = cached;
	if (fh_pool_sweep_due(&la->next_sweep, cached, FH_KV_LA_SWEEP))
		for (i = 0; i < FH_KV_NCLS; i++)
			fh_pool_sweep(&la->cls[i]);
	if (la->wait || la->pend)
		return now + FH_KV_LA_POLL;
	return cached ? la->next_sweep : 0;
}

/* The lists' counters, summed over the workers. */
void fh_kv_la_stats(u64 *hits, u64 *slab)
{
	u64 h, sl, swept;
	unsigned int cpu;

	*hits = 0;
	*slab = 0;
	if (!fh_kv_las)
		return;
	for_each_possible_cpu(cpu) {
		fh_pool_stats_read(&per_cpu_ptr(fh_kv_las, cpu)->stats, &h, &sl,
				   &swept);
		*hits += h;
		*slab += sl;
	}
}

struct fh_kv_item *fh_kv_alloc(struct fh_kv_store *s, const char *key,
			       u8 klen, u32 nbytes)
{
	unsigned int npages = 0, cls, i;
	struct fh_kv_la *la;
	struct fh_kv_item *it;
	size_t size;

	if (nbytes > FH_KV_INLINE_MAX)
		npages = DIV_ROUND_UP(nbytes, PAGE_SIZE);
	size = fh_kv_head_size(klen, nbytes, npages);
	cls = fh_kv_cls(size);
	la = cls == FH_KV_CLS_BIG ? NULL : fh_kv_la_self();
	if (la) {
		fh_kv_la_advance(la);
		it = fh_pool_alloc(&la->cls[cls], GFP_KERNEL);
	} else if (cls == FH_KV_CLS_BIG) {
		it = kvmalloc(size, GFP_KERNEL);
	} else {
		it = kmem_cache_alloc(fh_kv_caches[cls], GFP_KERNEL);
	}
	if (!it)
		return NULL;
	memset(it, 0, sizeof(*it));
	refcount_set(&it->ref, 1);
	it->klen = klen;
	it->cls = cls;
	it->nbytes = nbytes;
	it->npages = npages;
	memcpy(it->data, key, klen);
	for (i = 0; i < npages; i++) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_NOWARN);

		fh_kv_pages(it)[i] = page;
		if (!page) {
			it->npages = i;
			fh_kv_put(it);
			return NULL;
		}
	}
	return it;
}

void fh_kv_write(struct fh_kv_item *it, u32 off, const void *src, u32 len)
{
	u32 take;

	if (!it->npages) {
		memcpy(fh_kv_inline(it) + off, src, len);
		return;
	}
	while (len) {
		take = min_t(u32, len, PAGE_SIZE - off % PAGE_SIZE);
		memcpy(page_address(fh_kv_pages(it)[off / PAGE_SIZE]) +
		       off % PAGE_SIZE, src, take);
		src += take;
		off += take;
		len -= take;
	}
}

void fh_kv_read(struct fh_kv_item *it, u32 off, void *dst, u32 len)
{
	u32 take;

	if (!it->npages) {
		memcpy(dst, fh_kv_inline(it) + off, len);
		return;
	}
	while (len) {
		take = min_t(u32, len, PAGE_SIZE - off % PAGE_SIZE);
		memcpy(dst, page_address(fh_kv_pages(it)[off / PAGE_SIZE]) +
		       off % PAGE_SIZE, take);
		dst += take;
		off += take;
		len -= take;
	}
}

/*
 * Under the shard lock or rcu_read_lock(). No hash is kept in the item: a
 * chain is short (a table grows past 1.5 items per bucket) and the length
 * and first bytes of a key differ for nearly every other one.
 */
static struct fh_kv_item *fh_kv_lookup(struct fh_kv_shard *sh, u32 hash,
				       const char *key, u8 klen)
{
	struct fh_kv_table *t;
	struct fh_kv_item *it;

	t = rcu_dereference_check(sh->tbl, lockdep_is_held(&sh->lock));
	for (it = rcu_dereference_check(*fh_kv_slot(t, hash),
					lockdep_is_held(&sh->lock));
	     it; it = rcu_dereference_check(it->hnext,
					    lockdep_is_held(&sh->lock)))
		if (it->klen == klen && !memcmp(it->data, key, klen))
			return it;
	return NULL;
}

/*
 * Without the lock: while a shard's items move to a larger table, a chain
 * may lead a reader into the new one, past its key; a miss then looks
 * again once the move is done.
 */
static struct fh_kv_item *fh_kv_lookup_rcu(struct fh_kv_shard *sh, u32 hash,
					   const char *key, u8 klen)
{
	struct fh_kv_item *it;
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&sh->resize);
		it = fh_kv_lookup(sh, hash, key, klen);
	} while (!it && read_seqcount_retry(&sh->resize, seq));
	return it;
}

/* Under the shard lock: where the link to @it (its key's @hash) is. */
static struct fh_kv_item __rcu **fh_kv_link_to(struct fh_kv_shard *sh,
					       struct fh_kv_item *it, u32 hash)
{
	struct fh_kv_item __rcu **pp = fh_kv_bucket(sh, hash);
	struct fh_kv_item *cur;

	while ((cur = fh_kv_locked(*pp, sh)) != it)
		pp = &cur->hnext;
	return pp;
}

/*
 * Under the shard lock, after its LRU changed: what the oldest item there
 * is, so that room is made in the shard whose tail is the oldest of all
 * and eviction stays close to one LRU over the whole store.
 */
static void fh_kv_tail(struct fh_kv_shard *sh)
{
	WRITE_ONCE(sh->tail_stamp, list_empty(&sh->lru) ? U64_MAX :
		   list_last_entry(&sh->lru, struct fh_kv_item, lru)->stamp);
}

/*
 * Under the shard lock: out of the table; the table's reference dropped.
 * @hash is its key's, which a caller that looked the key up has at hand.
 */
static void fh_kv_unlink(struct fh_kv_store *s, struct fh_kv_shard *sh,
			 struct fh_kv_item *it, u32 hash)
{
	struct fh_kv_item __rcu **pp = fh_kv_link_to(sh, it, hash);

	/* Readers on @it still find their way on along its hnext. */
	rcu_assign_pointer(*pp, fh_kv_locked(it->hnext, sh));
	list_del(&it->lru);
	fh_kv_tail(sh);
	it->linked = false;
	sh->items--;
	percpu_counter_add_batch(&s->used, -(s64)fh_kv_charge(it),
				 FH_KV_USED_BATCH);
	fh_kv_put(it);
}

/* More than 1.5 items per bucket, and room to grow: a larger table. */
static bool fh_kv_crowded(const struct fh_kv_shard *sh,
			  const struct fh_kv_table *t)
{
	return sh->items > 3UL << (t->bits - 1) && t->bits < FH_KV_BITS_MAX;
}

/* Under the shard lock: @it (its key's @hash) in, in place of @old if given. */
static void fh_kv_link(struct fh_kv_store *s, struct fh_kv_shard *sh,
		       struct fh_kv_item *it, u32 hash, struct fh_kv_item *old)
{
	struct fh_kv_item __rcu **head = fh_kv_bucket(sh, hash);

	if (old)
		fh_kv_unlink(s, sh, old, hash);
	refcount_inc(&it->ref);
	it->mflags |= FH_KV_SEEN;
	RCU_INIT_POINTER(it->hnext, fh_kv_locked(*head, sh));
	rcu_assign_pointer(*head, it);
	it->stamp = it->cas;
	list_add(&it->lru, &sh->lru);
	fh_kv_tail(sh);
	it->linked = true;
	sh->items++;
	if (fh_kv_crowded(sh, fh_kv_locked(sh->tbl, sh)))
		queue_work(system_unbound_wq, &s->grow);
	percpu_counter_add_batch(&s->used, fh_kv_charge(it), FH_KV_USED_BATCH);
	fh_kv_count(s, FH_KV_TOTAL_ITEMS);
}

/* A found item is live; if not, says why in the counters (unless @how peeks). */
static bool fh_kv_usable(struct fh_kv_store *s, const struct fh_kv_item *it,
			 u32 now, unsigned int how)
{
	if (fh_kv_live(s, it, now))
		return true;
	if (!(how & FH_KV_PEEK) && it->exp && it->exp <= now)
		fh_kv_count(s, FH_KV_GET_EXPIRED);
	else if (!(how & FH_KV_PEEK))
		fh_kv_count(s, FH_KV_GET_FLUSHED);
	return false;
}

/*
 * A read only marks the item (once: a line written by every read would
 * bounce between CPUs); the LRU's tail gives a marked item a second
 * chance. So a GET takes no lock.
 */
static void fh_kv_mark_read(struct fh_kv_item *it, u32 now)
{
	if (!READ_ONCE(it->fetched))
		WRITE_ONCE(it->fetched, true);
	if (!READ_ONCE(it->active))
		WRITE_ONCE(it->active, true);
	if (READ_ONCE(it->atime) != now)
		WRITE_ONCE(it->atime, now);
}

/*
 * Under rcu_read_lock(): @key's live item, marked read, and no reference
 * taken: it stays valid until rcu_read_unlock() (fh_kv_hold() keeps it
 * longer). A GET that copies an inline value out within that costs no
 * atomic on the item, whose line every CPU reading the key shares. An
 * item a writer unlinks meanwhile is still served: the GET came first.
 */
struct fh_kv_item *fh_kv_find_rcu(struct fh_kv_store *s, const char *key,
				  u8 klen)
{
	u32 hash = fh_kv_hash(s, key, klen), now = fh_kv_now(s);
	struct fh_kv_item *it;

	it = fh_kv_lookup_rcu(fh_kv_shard_of(s, hash), hash, key, klen);
	if (!it || !fh_kv_usable(s, it, now, 0))
		return NULL;
	fh_kv_mark_read(it, now);
	return it;
}

/* Under rcu_read_lock(): a reference on what fh_kv_find_rcu() found. */
bool fh_kv_hold(struct fh_kv_item *it)
{
	return refcount_inc_not_zero(&it->ref);
}

struct fh_kv_item *fh_kv_get(struct fh_kv_store *s, const char *key, u8 klen,
			     unsigned int how, u32 exp, bool *was_fetched)
{
	u32 hash = fh_kv_hash(s, key, klen), now = fh_kv_now(s);
	struct fh_kv_shard *sh = fh_kv_shard_of(s, hash);
	struct fh_kv_item *it;

	rcu_read_lock();
	it = fh_kv_lookup_rcu(sh, hash, key, klen);
	if (it && !refcount_inc_not_zero(&it->ref))
		it = NULL;
	rcu_read_unlock();
	if (!it)
		return NULL;
	if (!fh_kv_usable(s, it, now, how)) {
		fh_kv_put(it);
		return NULL;
	}
	if (was_fetched)
		*was_fetched = READ_ONCE(it->fetched);
	if (how & FH_KV_PEEK)
		return it;
	fh_kv_mark_read(it, now);
	if (how & FH_KV_TOUCH) {
		fh_kv_lock(s, sh);
		if (it->linked)
			it->exp = exp;
		spin_unlock(&sh->lock);
	}
	return it;
}

/* The first to ask of a stale or new item wins (W): it is to recache it. */
bool fh_kv_win(struct fh_kv_store *s, struct fh_kv_item *it)
{
	struct fh_kv_shard *sh;
	bool won = false;

	sh = fh_kv_shard_of(s, fh_kv_hash(s, fh_kv_key(it), it->klen));

	fh_kv_lock(s, sh);
	if (it->linked && !(it->mflags & FH_KV_WON)) {
		it->mflags |= FH_KV_WON;
		won = true;
	}
	spin_unlock(&sh->lock);
	return won;
}

/*
 * md I: the item stays, marked stale with a new cas (and expiry), so that
 * one client recaches it while the others are served the old value.
 */
enum fh_kv_res fh_kv_invalidate(struct fh_kv_store *s, const char *key,
				u8 klen, u64 cas, bool set_exp, u32 exp)
{
	u32 hash = fh_kv_hash(s, key, klen), now = fh_kv_now(s);
	struct fh_kv_shard *sh = fh_kv_shard_of(s, hash);
	enum fh_kv_res res = FH_KV_STORED;
	struct fh_kv_item *it;

	fh_kv_lock(s, sh);
	it = fh_kv_lookup(sh, hash, key, klen);
	if (!it || !fh_kv_live(s, it, now)) {
		res = FH_KV_NOT_FOUND;
	} else if (cas && it->cas != cas) {
		res = FH_KV_EXISTS;
	} else {
		it->mflags = (it->mflags | FH_KV_STALE) & ~FH_KV_WON;
		it->cas = atomic64_inc_return(&s->cas);
		if (set_exp)
			it->exp = exp;
	}
	spin_unlock(&sh->lock);
	return res;
}

enum fh_kv_evict {
	FH_KV_EMPTY,
	FH_KV_RESCUED,
	FH_KV_EVICTED,
};

/*
 * Evicts the least recently used item of @sh. One read since the tail last
 * saw it gets a second chance instead (unless @force): it goes back to the
 * head, and the caller looks again for the oldest tail of all.
 */
static enum fh_kv_evict fh_kv_evict_one(struct fh_kv_store *s,
					struct fh_kv_shard *sh, bool force)
{
	struct fh_kv_item *it;
	u32 now = fh_kv_now(s);

	fh_kv_lock(s, sh);
	if (list_empty(&sh->lru)) {
		spin_unlock(&sh->lock);
		return FH_KV_EMPTY;
	}
	it = list_last_entry(&sh->lru, struct fh_kv_item, lru);
	if (fh_kv_live(s, it, now) && READ_ONCE(it->active) && !force) {
		WRITE_ONCE(it->active, false);
		it->stamp = atomic64_read(&s->cas);
		list_move(&it->lru, &sh->lru);
		fh_kv_tail(sh);
		spin_unlock(&sh->lock);
		return FH_KV_RESCUED;
	}
	if (!fh_kv_live(s, it, now)) {
		if (!it->fetched)
			fh_kv_count(s, FH_KV_EXPIRED_UNFETCHED);
		fh_kv_count(s, FH_KV_RECLAIMED);
	} else {
		if (!it->fetched)
			fh_kv_count(s, FH_KV_EVICTED_UNFETCHED);
		fh_kv_count(s, FH_KV_EVICTIONS);
	}
	fh_kv_unlink(s, sh, it, fh_kv_hash(s, fh_kv_key(it), it->klen));
	spin_unlock(&sh->lock);
	return FH_KV_EVICTED;
}

static bool fh_kv_over(struct fh_kv_store *s, u64 add)
{
	u64 limit = READ_ONCE(s->limit);
	s64 used = percpu_counter_read(&s->used);

	if (used + add + FH_KV_USED_BATCH * num_online_cpus() <= limit)
		return false;
	return percpu_counter_sum(&s->used) + add > limit;
}

/*
 * Room for @size more bytes: the shard whose LRU tail is the oldest gives
 * it up, again and again; at most 64 second chances per call, so a store
 * of items all read lately still makes room at once. False: nothing is
 * left to evict.
 */
static bool fh_kv_make_room(struct fh_kv_store *s, u32 size)
{
	unsigned int i, best, misses = 0, rescued = 0;
	enum fh_kv_evict res;
	u64 oldest, t;

	while (fh_kv_over(s, size)) {
		oldest = U64_MAX;
		best = 0;
		for (i = 0; i < FH_KV_SHARDS; i++) {
			t = READ_ONCE(s->shards[i].tail_stamp);
			if (t < oldest) {
				oldest = t;
				best = i;
			}
		}
		if (oldest == U64_MAX)
			return false;
		res = fh_kv_evict_one(s, &s->shards[best], rescued >= 64);
		if (res == FH_KV_RESCUED)
			rescued++;
		/* Emptied meanwhile: look again, a bounded number of times. */
		if (res == FH_KV_EMPTY && ++misses > FH_KV_SHARDS)
			return false;
	}
	return true;
}

/*
 * Links @it (the caller's reference stays the caller's) as @mode says. For
 * append and prepend, @it holds only the new bytes: the joined item is
 * built here, outside the lock, and linked only if the one it was built
 * from is still the current one (else built again).
 */
enum fh_kv_res fh_kv_store_item(struct fh_kv_store *s, struct fh_kv_item *it,
				enum fh_kv_mode mode, u64 cas)
{
	u32 hash = fh_kv_hash(s, fh_kv_key(it), it->klen);
	struct fh_kv_shard *sh = fh_kv_shard_of(s, hash);
	struct fh_kv_item *old, *cur, *joined = NULL;
	enum fh_kv_res res;
	u32 now = fh_kv_now(s);
	char buf[256];
	u32 off, take;

again:
	if (mode == FH_KV_APPEND || mode == FH_KV_PREPEND) {
		old = fh_kv_get(s, fh_kv_key(it), it->klen, 0, 0, NULL);
		if (!old)
			return FH_KV_NOT_STORED;
		if (fh_kv_too_large(s, it->klen, (u64)old->nbytes + it->nbytes)) {
			fh_kv_put(old);
			return FH_KV_TOO_LARGE;
		}
		joined = fh_kv_alloc(s, fh_kv_key(it), it->klen,
				     old->nbytes + it->nbytes);
		if (!joined) {
			fh_kv_put(old);
			fh_kv_count(s, FH_KV_OOM);
			return FH_KV_NOMEM;
		}
		joined->flags = old->flags;
		joined->exp = old->exp;
		for (off = 0; off < joined->nbytes; off += take) {
			struct fh_kv_item *first = mode == FH_KV_APPEND ? old : it;
			struct fh_kv_item *second = first == old ? it : old;
			struct fh_kv_item *from = off < first->nbytes ? first : second;
			u32 at = from == first ? off : off - first->nbytes;

			take = min_t(u32, sizeof(buf), from->nbytes - at);
			fh_kv_read(from, at, buf, take);
			fh_kv_write(joined, off, buf, take);
		}
	} else {
		old = NULL;
		joined = it;
		refcount_inc(&joined->ref);
	}
	if (!fh_kv_make_room(s, fh_kv_charge(joined))) {
		res = FH_KV_NOMEM;
		fh_kv_count(s, FH_KV_OOM);
		goto out;
	}
	joined->atime = now;
	joined->gen = fh_kv_gen(s, now);
	/* ms E: the client names the new cas. */
	if (!joined->cas || joined != it)
		joined->cas = atomic64_inc_return(&s->cas);

	fh_kv_lock(s, sh);
	cur = fh_kv_lookup(sh, hash, fh_kv_key(it), it->klen);
	if (cur && !fh_kv_live(s, cur, now)) {
		fh_kv_unlink(s, sh, cur, hash);
		cur = NULL;
	}
	res = FH_KV_STORED;
	switch (mode) {
	case FH_KV_SET:
		break;
	case FH_KV_ADD:
		if (cur) {
			/* memcached: a failed add still moves the item up. */
			list_move(&cur->lru, &sh->lru);
			res = FH_KV_NOT_STORED;
		}
		break;
	case FH_KV_REPLACE:
		if (!cur)
			res = FH_KV_NOT_STORED;
		break;
	case FH_KV_APPEND:
	case FH_KV_PREPEND:
		if (cur != old) {
			spin_unlock(&sh->lock);
			fh_kv_put(old);
			fh_kv_put(joined);
			joined = NULL;
			goto again;
		}
		break;
	case FH_KV_CAS:
	case FH_KV_CAS_STALE:
	case FH_KV_SWAP:
		if (!cur) {
			res = FH_KV_NOT_FOUND;
		} else if (cur->cas == cas) {
			break;
		} else if (mode == FH_KV_CAS_STALE && cas < cur->cas) {
			/*
			 * A value computed from an older one: stored, but
			 * stale, with the item's expiry and its recache token
			 * as they were, so the client that won keeps it.
			 */
			joined->exp = cur->exp;
			joined->mflags |= FH_KV_STALE | (cur->mflags & FH_KV_WON);
		} else {
			res = FH_KV_EXISTS;
		}
		break;
	}
	if (res == FH_KV_STORED) {
		fh_kv_link(s, sh, joined, hash, cur);
		it->cas = joined->cas;
	}
	spin_unlock(&sh->lock);
	if (mode == FH_KV_CAS || mode == FH_KV_CAS_STALE) {
		if (res == FH_KV_STORED)
			fh_kv_count(s, FH_KV_CAS_HITS);
		else if (res == FH_KV_EXISTS)
			fh_kv_count(s, FH_KV_CAS_BADVAL);
		else
			fh_kv_count(s, FH_KV_CAS_MISSES);
	}
out:
	if (old)
		fh_kv_put(old);
	fh_kv_put(joined);
	return res;
}

/* @cas: only if the item's is this one (md C); 0: any. */
enum fh_kv_res fh_kv_delete(struct fh_kv_store *s, const char *key, u8 klen,
			    u64 cas)
{
	u32 hash = fh_kv_hash(s, key, klen), now = fh_kv_now(s);
	struct fh_kv_shard *sh = fh_kv_shard_of(s, hash);
	struct fh_kv_item *it;
	bool live = false;

	fh_kv_lock(s, sh);
	it = fh_kv_lookup(sh, hash, key, klen);
	if (it) {
		live = fh_kv_live(s, it, now);
		if (live && cas && it->cas != cas) {
			spin_unlock(&sh->lock);
			return FH_KV_EXISTS;
		}
		fh_kv_unlink(s, sh, it, hash);
	}
	spin_unlock(&sh->lock);
	if (live)
		fh_kv_count(s, FH_KV_DELETE_HITS);
	else
		fh_kv_count(s, FH_KV_DELETE_MISSES);
	return live ? FH_KV_STORED : FH_KV_NOT_FOUND;
}

/*
 * incr, decr and ma: the value must be a decimal number of at most 20
 * digits (memcached's safe_strtoull); incr wraps at 2^64, decr stops at 0.
 * The result is a new item with the old one's flags and expiry, swapped
 * in only if the old one is still current (else done again).
 */
enum fh_kv_res fh_kv_arith(struct fh_kv_store *s, const char *key, u8 klen,
			   struct fh_kv_arith_req *r)
{
	struct fh_kv_item *old, *it;
	char num[24];
	enum fh_kv_res res;
	u64 v;
	u32 i, len;

	for (;;) {
		old = fh_kv_get(s, key, klen, 0, 0, NULL);
		if (!old && !r->vivify)
			return FH_KV_NOT_FOUND;
		if (old && r->cas && old->cas != r->cas) {
			fh_kv_put(old);
			return FH_KV_EXISTS;
		}
		if (old && (!old->nbytes || old->nbytes > 20)) {
			fh_kv_put(old);
			return FH_KV_NON_NUMERIC;
		}
		v = r->initial;
		if (old) {
			fh_kv_read(old, 0, num, old->nbytes);
			v = 0;
			for (i = 0; i < old->nbytes; i++) {
				unsigned int d = num[i] - '0';

				if (d > 9 || v > (U64_MAX - d) / 10) {
					fh_kv_put(old);
					return FH_KV_NON_NUMERIC;
				}
				v = v * 10 + d;
			}
			if (r->incr)
				v += r->delta;
			else
				v = v > r->delta ? v - r->delta : 0;
		}
		len = scnprintf(num, sizeof(num), "%llu", v);
		it = fh_kv_alloc(s, key, klen, len);
		if (!it) {
			if (old)
				fh_kv_put(old);
			fh_kv_count(s, FH_KV_OOM);
			return FH_KV_NOMEM;
		}
		fh_kv_write(it, 0, num, len);
		if (old) {
			it->flags = old->flags;
			it->exp = r->set_exp ? r->exp : old->exp;
			it->mflags = old->mflags & FH_KV_BINKEY;
			/* A CAS on the old item's unique: lost only to another change. */
			res = fh_kv_store_item(s, it, FH_KV_SWAP, old->cas);
			fh_kv_put(old);
		} else {
			it->exp = r->vivify_exp;
			it->mflags = r->binkey ? FH_KV_BINKEY : 0;
			res = fh_kv_store_item(s, it, FH_KV_ADD, 0);
			if (res == FH_KV_NOT_STORED)
				res = FH_KV_EXISTS;	/* made meanwhile: again */
		}
		r->new_cas = it->cas;
		r->new_exp = it->exp;
		fh_kv_put(it);
		if (res != FH_KV_EXISTS && res != FH_KV_NOT_FOUND)
			break;
	}
	if (res != FH_KV_STORED)
		return res;
	r->value = v;
	return FH_KV_STORED;
}

/* Every item of @sh whose time has come goes (@all: every item). */
static void fh_kv_reap_shard(struct fh_kv_store *s, struct fh_kv_shard *sh,
			     bool all, unsigned int nbuckets)
{
	struct fh_kv_item *it, *next;
	u32 now = fh_kv_now(s);
	struct fh_kv_table *t;
	unsigned int n, i;

	fh_kv_lock(s, sh);
	t = fh_kv_locked(sh->tbl, sh);
	n = 1U << t->bits;
	sh->reap_pos &= n - 1;
	for (i = 0; i < min(n, nbuckets); i++) {
		for (it = fh_kv_locked(t->b[sh->reap_pos], sh); it;
		     it = next) {
			next = fh_kv_locked(it->hnext, sh);
			if (!all && fh_kv_live(s, it, now))
				continue;
			if (!all) {
				if (!it->fetched)
					fh_kv_count(s, FH_KV_EXPIRED_UNFETCHED);
				fh_kv_count(s, FH_KV_RECLAIMED);
			}
			fh_kv_unlink(s, sh, it, fh_kv_hash(s, fh_kv_key(it), it->klen));
		}
		sh->reap_pos = (sh->reap_pos + 1) & (n - 1);
	}
	spin_unlock(&sh->lock);
}

/*
 * flush_all: at once, items of older generations read as misses from now
 * on; with a delay, items stored before then read as misses from then on.
 * Either way the reaper gives their memory back, and the LRU's tail goes
 * first when room is needed: a flush costs the worker nothing.
 */
void fh_kv_flush(struct fh_kv_store *s, s64 delay)
{
	fh_kv_count(s, FH_KV_CMD_FLUSH);
	spin_lock(&s->flush_lock);
	if (delay > 0)
		WRITE_ONCE(s->flush_at, fh_kv_exptime(s, delay));
	else
		fh_kv_bump(s);
	spin_unlock(&s->flush_lock);
}

/*
 * Once a second, a few buckets of every shard: expired items give their
 * memory back without a worker ever waiting for it; and a limit lowered
 * at run time is reached.
 */
static void fh_kv_reap(struct work_struct *work)
{
	struct fh_kv_store *s = container_of(to_delayed_work(work),
					     struct fh_kv_store, reaper);
	unsigned int i;

	for (i = 0; i < FH_KV_SHARDS; i++) {
		fh_kv_reap_shard(s, &s->shards[i], false, FH_KV_REAP_BUCKETS);
		cond_resched();
	}
	fh_kv_make_room(s, 0);
	if (!READ_ONCE(s->dying))
		queue_delayed_work(system_unbound_wq, &s->reaper, HZ);
}

static struct fh_kv_table *fh_kv_table_alloc(unsigned int bits)
{
	struct fh_kv_table *t;

	t = kvzalloc(struct_size(t, b, 1UL << bits), GFP_KERNEL);
	if (t)
		t->bits = bits;
	return t;
}

/*
 * A crowded shard's items move to a table with 1 to 2 buckets for each
 * (as memcached grows its own, past 1.5 items a bucket, in a thread). The
 * move is under the shard lock, so writers wait for it; readers do not,
 * and one whose chain led it astray meanwhile looks again (resize). A
 * table that cannot be had leaves the chains longer: the next link asks
 * again.
 */
static void fh_kv_grow_shard(struct fh_kv_store *s, struct fh_kv_shard *sh)
{
	struct fh_kv_item __rcu **slot;
	struct fh_kv_table *old, *t;
	struct fh_kv_item *it, *next;
	unsigned long items;
	unsigned int bits, i;
	bool crowded;

	spin_lock(&sh->lock);
	old = fh_kv_locked(sh->tbl, sh);
	items = sh->items;
	crowded = fh_kv_crowded(sh, old);
	spin_unlock(&sh->lock);
	if (!crowded)
		return;
	bits = clamp_t(unsigned int, fls_long(items), old->bits + 1,
		       FH_KV_BITS_MAX);
	t = fh_kv_table_alloc(bits);
	if (!t)
		return;
	spin_lock(&sh->lock);
	write_seqcount_begin(&sh->resize);
	for (i = 0; i < 1U << old->bits; i++) {
		for (it = fh_kv_locked(old->b[i], sh); it; it = next) {
			next = fh_kv_locked(it->hnext, sh);
			slot = fh_kv_slot(t, fh_kv_hash(s, fh_kv_key(it), it->klen));
			/* Both published already: no barrier needed. */
			RCU_INIT_POINTER(it->hnext, fh_kv_locked(*slot, sh));
			RCU_INIT_POINTER(*slot, it);
		}
	}
	rcu_assign_pointer(sh->tbl, t);
	write_seqcount_end(&sh->resize);
	spin_unlock(&sh->lock);
	kvfree_rcu(old, rcu);
}

static void fh_kv_grow(struct work_struct *work)
{
	struct fh_kv_store *s = container_of(work, struct fh_kv_store, grow);
	unsigned int i;

	for (i = 0; i < FH_KV_SHARDS; i++) {
		fh_kv_grow_shard(s, &s->shards[i]);
		cond_resched();
	}
}

void fh_kv_store_set_limit(struct fh_kv_store *s, u64 limit)
{
	WRITE_ONCE(s->limit, limit);
	mod_delayed_work(system_unbound_wq, &s->reaper, 0);
}

u64 fh_kv_items(struct fh_kv_store *s)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < FH_KV_SHARDS; i++)
		n += READ_ONCE(s->shards[i].items);
	return n;
}

u64 fh_kv_bytes(struct fh_kv_store *s)
{
	s64 v = percpu_counter_sum(&s->used);

	return v > 0 ? v : 0;
}

/* What the shards' hash tables take (memcached's hash_bytes). */
u64 fh_kv_hash_bytes(struct fh_kv_store *s)
{
	u64 n = 0;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < FH_KV_SHARDS; i++)
		n += sizeof(void *) << rcu_dereference(s->shards[i].tbl)->bits;
	rcu_read_unlock();
	return n;
}

void fh_kv_stats_sum(struct fh_kv_store *s, struct fh_kv_stats *sum)
{
	unsigned int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const u64 *src = (const u64 *)per_cpu_ptr(s->stats, cpu);
		u64 *dst = (u64 *)sum;

		for (i = 0; i < sizeof(*sum) / sizeof(u64); i++)
			dst[i] += READ_ONCE(src[i]);
	}
}

/* Small tables to start with: they grow with the items (fh_kv_grow). */
struct fh_kv_store *fh_kv_store_create(u64 limit, u32 item_max)
{
	struct fh_kv_store *s;
	unsigned int i;

	s = kvzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->stats = alloc_percpu(struct fh_kv_stats);
	if (!s->stats || percpu_counter_init(&s->used, 0, GFP_KERNEL))
		goto err_stats;
	get_random_bytes(&s->hkey, sizeof(s->hkey));
	spin_lock_init(&s->flush_lock);
	s->limit = limit;
	s->item_max = item_max;
	for (i = 0; i < FH_KV_SHARDS; i++) {
		struct fh_kv_shard *sh = &s->shards[i];

		spin_lock_init(&sh->lock);
		seqcount_spinlock_init(&sh->resize, &sh->lock);
		INIT_LIST_HEAD(&sh->lru);
		sh->tail_stamp = U64_MAX;
		RCU_INIT_POINTER(sh->tbl, fh_kv_table_alloc(FH_KV_BITS_MIN));
		if (!rcu_access_pointer(sh->tbl))
			goto err;
	}
	INIT_WORK(&s->grow, fh_kv_grow);
	INIT_DELAYED_WORK(&s->reaper, fh_kv_reap);
	queue_delayed_work(system_unbound_wq, &s->reaper, HZ);
	return s;
err:
	for (i = 0; i < FH_KV_SHARDS; i++)
		kvfree(rcu_access_pointer(s->shards[i].tbl));
	percpu_counter_destroy(&s->used);
err_stats:
	free_percpu(s->stats);
	kvfree(s);
	return NULL;
}

/* No connection uses @s any more; items being sent hold their pages. */
void fh_kv_store_destroy(struct fh_kv_store *s)
{
	unsigned int i;

	WRITE_ONCE(s->dying, true);
	cancel_delayed_work_sync(&s->reaper);
	cancel_work_sync(&s->grow);
	for (i = 0; i < FH_KV_SHARDS; i++) {
		fh_kv_reap_shard(s, &s->shards[i], true, U32_MAX);
		kvfree(rcu_access_pointer(s->shards[i].tbl));
	}
	percpu_counter_destroy(&s->used);
	free_percpu(s->stats);
	kvfree(s);
}

int fh_kv_init(void)
{
	unsigned int i, cpu, max;
	char name[24];

	for (i = 0; i < FH_KV_NCLS; i++) {
		snprintf(name, sizeof(name), "fh_kv_%u", fh_kv_sizes[i]);
		fh_kv_caches[i] = kmem_cache_create(name, fh_kv_sizes[i], 8,
						    0, NULL);
		if (!fh_kv_caches[i])
			goto err;
	}
	fh_kv_las = alloc_percpu(struct fh_kv_la);
	if (!fh_kv_las)
		goto err;
	for_each_possible_cpu(cpu) {
		struct fh_kv_la *la = per_cpu_ptr(fh_kv_las, cpu);

		for (i = 0; i < FH_KV_NCLS; i++) {
			max = clamp_t(u32, FH_KV_LA_BYTES / fh_kv_sizes[i], 4, 256);
			fh_pool_init(&la->cls[i], fh_kv_caches[i], max,
				     &la->stats);
		}
	}
	return 0;
err:
	fh_kv_exit();
	return -ENOMEM;
}

/*
 * After every store is gone and the workers stopped: items still on their
 * way out first, then what the workers' lists held.
 */
void fh_kv_exit(void)
{
	unsigned int i, cpu;

	rcu_barrier();
	if (fh_kv_las) {
		synchronize_rcu();	/* the batches' grace periods */
		for_each_possible_cpu(cpu) {
			struct fh_kv_la *la = per_cpu_ptr(fh_kv_las, cpu);

			fh_kv_free_batch(la->wait);
			fh_kv_free_batch(la->pend);
			for (i = 0; i < FH_KV_NCLS; i++)
				fh_pool_drain(&la->cls[i]);
		}
		free_percpu(fh_kv_las);
		fh_kv_las = NULL;
	}
	for (i = 0; i < FH_KV_NCLS; i++) {
		kmem_cache_destroy(fh_kv_caches[i]);
		fh_kv_caches[i] = NULL;
	}
}
