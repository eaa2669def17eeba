/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_KV_STORE_H
#define _FH_KV_STORE_H

#include <linux/list.h>
#include <linux/percpu_counter.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

/*
 * kv's store: one per kv listener (each has its own memory limit, as each
 * memcached process has; sharing one would make --mem ambiguous and let
 * one port's load evict another's data).
 *
 * Items are immutable once linked: a SET, an APPEND or an INCR builds a new
 * item and swaps it in, so a reader never sees a torn or mixed value. The
 * key space is split into shards; a lookup takes no lock (RCU, then a
 * reference), a change locks one shard. Small values live inline in the
 * item and are copied into the answer (cheaper than a page reference and a
 * segment); larger ones live in pages of their own, sent by reference, so
 * a value being sent stays alive, page by page, until TCP lets it go.
 */
#define FH_KV_SHARDS		64
#define FH_KV_INLINE_MAX	1024	/* larger values live in pages */

/*
 * 72 bytes, the header of every item (memcached's is 48 plus an 8-byte cas):
 * nothing here that can be derived. Its size comes from its class, its
 * hash from its key, and a delayed flush_all is a generation bump at its
 * deadline, so no store time is kept.
 */
struct fh_kv_item {
	struct fh_kv_item __rcu *hnext;	/* its bucket's chain (RCU) */
	union {
		struct list_head lru;	/* in its shard's LRU, while linked */
		struct rcu_head rcu;	/* unlinked: on its way out */
	};
	u64 cas;
	u64 stamp;			/* the store's clock when last used */
	refcount_t ref;			/* the table's, and each reader's */
	u32 flags;			/* the client's opaque flags */
	u32 nbytes;			/* value length, without "\r\n" */
	u32 exp;			/* store seconds it expires at; 0: never */
	u32 atime;			/* store seconds it was last read at */
	u32 gen;			/* the store's flush_gen when stored */
	u16 npages;			/* 0: the value is inline */
	u8 klen;
	u8 cls;				/* its kmem_cache; FH_KV_CLS_BIG: kvmalloc */
	bool linked;			/* under the shard lock */
	bool fetched;
	bool active;			/* read since the LRU's tail last saw it */
	u8 mflags;			/* FH_KV_STALE...; under the shard lock */
	char data[];			/* key, then the value or its pages */
};

/* A shard's hash table; replaced by a larger one as its items grow. */
struct fh_kv_table {
	unsigned int bits;
	struct rcu_head rcu;
	struct fh_kv_item __rcu *b[];
};

struct fh_kv_shard {
	spinlock_t lock;		/* its buckets' chains, LRU and items */
	/* Odd while its items move to a larger table: a miss looks again. */
	seqcount_spinlock_t resize;
	struct list_head lru;		/* most recent first */
	struct fh_kv_table __rcu *tbl;
	unsigned long items;		/* under the lock */
	u64 tail_stamp;			/* its LRU tail's stamp; U64_MAX: empty */
	unsigned int reap_pos;		/* the reaper's next bucket */
} ____cacheline_aligned_in_smp;

enum fh_kv_stat {
	FH_KV_CMD_GET,
	FH_KV_GET_HITS,
	FH_KV_GET_MISSES,
	FH_KV_GET_EXPIRED,
	FH_KV_GET_FLUSHED,
	FH_KV_CMD_SET,
	FH_KV_CMD_TOUCH,
	FH_KV_TOUCH_HITS,
	FH_KV_TOUCH_MISSES,
	FH_KV_CMD_FLUSH,
	FH_KV_DELETE_HITS,
	FH_KV_DELETE_MISSES,
	FH_KV_INCR_HITS,
	FH_KV_INCR_MISSES,
	FH_KV_DECR_HITS,
	FH_KV_DECR_MISSES,
	FH_KV_CAS_HITS,
	FH_KV_CAS_MISSES,
	FH_KV_CAS_BADVAL,
	FH_KV_EVICTIONS,
	FH_KV_EXPIRED_UNFETCHED,
	FH_KV_EVICTED_UNFETCHED,
	FH_KV_RECLAIMED,
	FH_KV_TOTAL_ITEMS,
	FH_KV_SHARD_LOCKS,
	FH_KV_SHARD_CONTENDED,
	FH_KV_OOM,
	FH_KV_NSTATS,
};

struct fh_kv_stats {
	u64 v[FH_KV_NSTATS];
};

struct fh_kv_store {
	siphash_key_t hkey;		/* random: no one picks our collisions */
	u64 limit;			/* bytes; changed with WRITE_ONCE */
	u32 item_max;
	spinlock_t flush_lock;		/* a due flush_at becomes a new flush_gen */
	u32 flush_at;			/* store seconds; 0: no flush pending */
	u32 flush_gen;			/* items of an older one are flushed */
	time64_t real_base;		/* wall clock at store second 0 */
	struct percpu_counter used;	/* bytes charged */
	atomic64_t cas;
	struct fh_kv_stats __percpu *stats;
	struct delayed_work reaper;
	struct work_struct grow;	/* a shard's table is full: a larger one */
	bool dying;
	struct fh_kv_shard shards[FH_KV_SHARDS];
};

/* What a store command did (memcached's replies). */
enum fh_kv_res {
	FH_KV_STORED,
	FH_KV_NOT_STORED,
	FH_KV_EXISTS,
	FH_KV_NOT_FOUND,
	FH_KV_NON_NUMERIC,
	FH_KV_TOO_LARGE,
	FH_KV_NOMEM,
};

enum fh_kv_mode {
	FH_KV_SET,
	FH_KV_ADD,
	FH_KV_REPLACE,
	FH_KV_APPEND,
	FH_KV_PREPEND,
	FH_KV_CAS,
	FH_KV_CAS_STALE,	/* ms I: a cas older than the item's stores it stale */
	FH_KV_SWAP,	/* as CAS, not counted as one (incr, decr) */
};

/* What the meta protocol marks an item with. */
#define FH_KV_STALE	1	/* md I: invalidated, served until replaced */
#define FH_KV_WON	2	/* a client was told to recache it (W) */
#define FH_KV_BINKEY	4	/* its key came in base64 (b) */
#define FH_KV_SEEN	8	/* was linked: lookups may hold it (RCU) */

/* How fh_kv_get() looks. */
#define FH_KV_TOUCH	1	/* set the expiry to @exp */
#define FH_KV_PEEK	2	/* not a fetch: no mark, no LRU move */

#define fh_kv_count(s, i)	this_cpu_inc((s)->stats->v[(i)])

struct fh_kv_store *fh_kv_store_create(u64 limit, u32 item_max);
void fh_kv_store_destroy(struct fh_kv_store *s);
void fh_kv_store_set_limit(struct fh_kv_store *s, u64 limit);
u32 fh_kv_now(const struct fh_kv_store *s);
bool fh_kv_too_large(const struct fh_kv_store *s, u8 klen, u64 nbytes);
u32 fh_kv_exptime(const struct fh_kv_store *s, s64 exptime);
void fh_kv_stats_sum(struct fh_kv_store *s, struct fh_kv_stats *sum);
u64 fh_kv_items(struct fh_kv_store *s);
u64 fh_kv_bytes(struct fh_kv_store *s);
u64 fh_kv_hash_bytes(struct fh_kv_store *s);

static inline const char *fh_kv_key(const struct fh_kv_item *it)
{
	return it->data;
}

static inline char *fh_kv_inline(struct fh_kv_item *it)
{
	return it->data + it->klen;
}

static inline struct page **fh_kv_pages(struct fh_kv_item *it)
{
	return (struct page **)(it->data + ALIGN(it->klen, sizeof(void *)));
}

struct fh_kv_item *fh_kv_alloc(struct fh_kv_store *s, const char *key,
			       u8 klen, u32 nbytes);
void fh_kv_write(struct fh_kv_item *it, u32 off, const void *src, u32 len);
void fh_kv_read(struct fh_kv_item *it, u32 off, void *dst, u32 len);
void fh_kv_put(struct fh_kv_item *it);
u32 fh_kv_charge(const struct fh_kv_item *it);
struct fh_kv_item *fh_kv_get(struct fh_kv_store *s, const char *key, u8 klen,
			     unsigned int how, u32 exp, bool *was_fetched);
struct fh_kv_item *fh_kv_find_rcu(struct fh_kv_store *s, const char *key,
				  u8 klen);
bool fh_kv_hold(struct fh_kv_item *it);
bool fh_kv_win(struct fh_kv_store *s, struct fh_kv_item *it);
enum fh_kv_res fh_kv_invalidate(struct fh_kv_store *s, const char *key,
				u8 klen, u64 cas, bool set_exp, u32 exp);
enum fh_kv_res fh_kv_store_item(struct fh_kv_store *s, struct fh_kv_item *it,
				enum fh_kv_mode mode, u64 cas);
enum fh_kv_res fh_kv_delete(struct fh_kv_store *s, const char *key, u8 klen,
			    u64 cas);
/* incr, decr and ma: what to do, and (out) what was done. */
struct fh_kv_arith_req {
	bool incr;
	u64 delta;
	bool vivify;		/* ma N: a miss creates it with @initial */
	u64 initial;
	u32 vivify_exp;
	bool set_exp;		/* ma T */
	u32 exp;
	u64 cas;		/* ma C: only if the item's is this; 0: any */
	bool binkey;
	/* out */
	u64 value;
	u64 new_cas;
	u32 new_exp;
};

enum fh_kv_res fh_kv_arith(struct fh_kv_store *s, const char *key, u8 klen,
			   struct fh_kv_arith_req *r);
void fh_kv_flush(struct fh_kv_store *s, s64 delay);
unsigned long fh_kv_worker_tick(void);
void fh_kv_la_stats(u64 *hits, u64 *slab);
int fh_kv_init(void);
void fh_kv_exit(void);

#endif /* _FH_KV_STORE_H */
