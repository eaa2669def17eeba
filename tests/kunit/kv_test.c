// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: kv's store (kmod/kv/store.c) and its command-line parser
 * (kmod/kv/kv_parse.c), both compiled into this module. The store: which
 * item a small memory limit evicts (the least recently used; one read
 * since gives it a second chance), expiry (fh_kv_exptime's rules, and an
 * expired item is never returned), cas, append and prepend, incr's wrap
 * and decr's floor, flush_all's generation. The parser: every line of a
 * small set, arriving in two pieces split at every byte, is found whole
 * and split into the same tokens.
 *
 * Every check is an assertion or stops its loop at the first failure: on
 * 6.1 a case's debugfs log holds 512 bytes.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "../../kmod/kv/kv_parse.c"
#include "../../kmod/kv/store.c"

/*
 * This module has no workers: the store asks whether it runs on one, and
 * a case makes its own thread one to use the lookaside lists. As on a
 * worker, an interrupt it takes or another thread (RCU callbacks freeing
 * an earlier case's items) is not.
 */
static struct task_struct *fh_kvt_worker;

int fh_worker_cpu(void)
{
	return in_task() && READ_ONCE(fh_kvt_worker) == current ?
	       raw_smp_processor_id() : -1;
}

/* ---- the store ---- */

#define FH_KVT_ITEM_MAX	(1024 * 1024)

static int fh_kvt_suite_init(struct kunit_suite *suite)
{
	return fh_kv_init();
}

static void fh_kvt_suite_exit(struct kunit_suite *suite)
{
	fh_kv_exit();
}

/* A case's store, made by fh_kvt_store(), destroyed when the case ends. */
static int fh_kvt_init(struct kunit *test)
{
	test->priv = NULL;
	return 0;
}

static void fh_kvt_exit(struct kunit *test)
{
	WRITE_ONCE(fh_kvt_worker, NULL);
	if (test->priv)
		fh_kv_store_destroy(test->priv);
	test->priv = NULL;
}

/* A store of @limit bytes (one a case). */
static struct fh_kv_store *fh_kvt_store(struct kunit *test, u64 limit)
{
	struct fh_kv_store *s;

	KUNIT_ASSERT_NULL(test, test->priv);
	s = fh_kv_store_create(limit, FH_KVT_ITEM_MAX);
	KUNIT_ASSERT_NOT_NULL(test, s);
	test->priv = s;
	return s;
}

/* An item @key = @val (@len bytes), not stored yet; the caller puts it. */
static struct fh_kv_item *fh_kvt_item(struct kunit *test, struct fh_kv_store *s,
				      const char *key, const void *val, u32 len)
{
	struct fh_kv_item *it = fh_kv_alloc(s, key, strlen(key), len);

	KUNIT_ASSERT_NOT_NULL(test, it);
	fh_kv_write(it, 0, val, len);
	return it;
}

/* Stores @key = @val as @mode says: the result; *@cas (if given) the new cas. */
static enum fh_kv_res fh_kvt_store_str(struct kunit *test, struct fh_kv_store *s,
				       const char *key, const char *val,
				       enum fh_kv_mode mode, u64 cas_in, s64 exptime,
				       u64 *cas)
{
	struct fh_kv_item *it = fh_kvt_item(test, s, key, val, strlen(val));
	enum fh_kv_res res;

	/* What an append or prepend brings has flags of its own: not kept. */
	it->flags = mode == FH_KV_APPEND || mode == FH_KV_PREPEND ? 99 : 7;
	it->exp = fh_kv_exptime(s, exptime);
	res = fh_kv_store_item(s, it, mode, cas_in);
	if (cas)
		*cas = it->cas;
	fh_kv_put(it);
	return res;
}

static enum fh_kv_res fh_kvt_set(struct kunit *test, struct fh_kv_store *s,
				 const char *key, const char *val)
{
	return fh_kvt_store_str(test, s, key, val, FH_KV_SET, 0, 0, NULL);
}

/* Whether @key is there, without marking it read (no second chance). */
static bool fh_kvt_has(struct fh_kv_store *s, const char *key)
{
	struct fh_kv_item *it = fh_kv_get(s, key, strlen(key), FH_KV_PEEK, 0, NULL);

	if (it)
		fh_kv_put(it);
	return it;
}

/* @key's value is exactly @want. */
static void fh_kvt_expect_value(struct kunit *test, struct fh_kv_store *s,
				const char *key, const char *want)
{
	struct fh_kv_item *it = fh_kv_get(s, key, strlen(key), FH_KV_PEEK, 0, NULL);
	size_t n = strlen(want);
	char *got;

	KUNIT_ASSERT_NOT_NULL_MSG(test, it, "%s is missing", key);
	got = kunit_kzalloc(test, it->nbytes + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, got);
	fh_kv_read(it, 0, got, it->nbytes);
	KUNIT_EXPECT_EQ_MSG(test, (size_t)it->nbytes, n, "%s", key);
	KUNIT_EXPECT_EQ_MSG(test, 0, memcmp(got, want, min_t(size_t, n, it->nbytes)),
			    "%s", key);
	fh_kv_put(it);
}

/*
 * A store that holds four items of 1000 bytes and no more (its limit the
 * bytes they occupy), @val such a value.
 */
static struct fh_kv_store *fh_kvt_four(struct kunit *test, char **val)
{
	struct fh_kv_store *s = fh_kvt_store(test, 1 << 20);
	struct fh_kv_item *it;

	*val = kunit_kzalloc(test, 1001, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, *val);
	memset(*val, 'v', 1000);
	it = fh_kvt_item(test, s, "e0", *val, 1000);
	WRITE_ONCE(s->limit, 4ULL * fh_kv_charge(it));
	fh_kv_put(it);
	return s;
}

static void fh_kv_eviction_takes_the_least_recently_used_first(struct kunit *test)
{
	char key[8], *val;
	struct fh_kv_store *s = fh_kvt_four(test, &val);
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "e%d", i);
		KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, key, val));
	}
	KUNIT_ASSERT_EQ(test, 4ULL, fh_kv_items(s));
	/* Each new item pushes out the oldest of those left. */
	for (i = 4; i < 8; i++) {
		snprintf(key, sizeof(key), "e%d", i);
		KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, key, val));
		snprintf(key, sizeof(key), "e%d", i - 4);
		KUNIT_ASSERT_FALSE_MSG(test, fh_kvt_has(s, key), "%s still there", key);
		snprintf(key, sizeof(key), "e%d", i - 3);
		KUNIT_ASSERT_TRUE_MSG(test, fh_kvt_has(s, key), "%s evicted", key);
	}
	KUNIT_EXPECT_EQ(test, 4ULL, fh_kv_items(s));
}

static void fh_kv_eviction_gives_a_read_item_a_second_chance(struct kunit *test)
{
	char key[8], *val;
	struct fh_kv_store *s = fh_kvt_four(test, &val);
	struct fh_kv_item *it;
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "e%d", i);
		KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, key, val));
	}
	/* A read of the oldest: the next to go is the one after it. */
	it = fh_kv_get(s, "e0", 2, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, it);
	fh_kv_put(it);
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "e4", val));
	KUNIT_EXPECT_TRUE(test, fh_kvt_has(s, "e0"));
	KUNIT_EXPECT_FALSE(test, fh_kvt_has(s, "e1"));
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "e5", val));
	KUNIT_EXPECT_FALSE(test, fh_kvt_has(s, "e2"));
	KUNIT_EXPECT_TRUE(test, fh_kvt_has(s, "e0"));
	/*
	 * Its chance is spent: unread since, it goes with e3 (which of the
	 * two first is a tie: it went back as old as the newest item then).
	 */
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "e6", val));
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "e7", val));
	KUNIT_EXPECT_FALSE(test, fh_kvt_has(s, "e3"));
	KUNIT_EXPECT_FALSE(test, fh_kvt_has(s, "e0"));
	KUNIT_EXPECT_TRUE(test, fh_kvt_has(s, "e4"));
}

static void fh_kv_exptime_follows_memcached(struct kunit *test)
{
	struct fh_kv_store *s = fh_kvt_store(test, 1 << 20);
	s64 real = ktime_get_real_seconds(), month = 60 * 60 * 24 * 30;
	u32 now = fh_kv_now(s), e;

	KUNIT_EXPECT_EQ(test, 0U, fh_kv_exptime(s, 0));		/* never */
	KUNIT_EXPECT_EQ(test, 1U, fh_kv_exptime(s, -1));	/* expired */
	KUNIT_EXPECT_EQ(test, 1U, fh_kv_exptime(s, -(s64)S32_MAX));
	/* Up to 30 days: seconds from now. */
	e = fh_kv_exptime(s, 100);
	KUNIT_EXPECT_TRUE(test, e >= now + 100 && e <= now + 102);
	e = fh_kv_exptime(s, month);
	KUNIT_EXPECT_TRUE(test, e >= now + month && e <= now + month + 2);
	/* More: a unix time, here one long past, and one 100 s ahead. */
	KUNIT_EXPECT_EQ(test, 1U, fh_kv_exptime(s, month + 1));
	KUNIT_EXPECT_EQ(test, 1U, fh_kv_exptime(s, real - 10));
	e = fh_kv_exptime(s, real + 100);
	KUNIT_EXPECT_TRUE(test, e >= now + 98 && e <= now + 102);
}

static void fh_kv_expired_item_is_never_returned(struct kunit *test)
{
	struct fh_kv_store *s = fh_kvt_store(test, 1 << 20);
	s64 real = ktime_get_real_seconds();
	struct fh_kv_arith_req r = { .incr = true, .delta = 1 };

	KUNIT_ASSERT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "neg", "v", FH_KV_SET, 0, -1, NULL));
	KUNIT_ASSERT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "abs", "1", FH_KV_SET, 0, real - 5, NULL));
	KUNIT_ASSERT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "live", "v", FH_KV_SET, 0, 1000, NULL));
	KUNIT_EXPECT_FALSE(test, fh_kvt_has(s, "neg"));
	KUNIT_EXPECT_NULL(test, fh_kv_get(s, "abs", 3, 0, 0, NULL));
	KUNIT_EXPECT_NULL(test, fh_kv_get(s, "abs", 3, FH_KV_TOUCH, 0, NULL));
	KUNIT_EXPECT_TRUE(test, fh_kvt_has(s, "live"));
	/* Nor used by what reads before it writes. */
	KUNIT_EXPECT_EQ(test, FH_KV_NOT_STORED,
			fh_kvt_store_str(test, s, "neg", "x", FH_KV_APPEND, 0, 0, NULL));
	KUNIT_EXPECT_EQ(test, FH_KV_NOT_STORED,
			fh_kvt_store_str(test, s, "neg", "x", FH_KV_REPLACE, 0, 0, NULL));
	KUNIT_EXPECT_EQ(test, FH_KV_NOT_FOUND, fh_kv_arith(s, "abs", 3, &r));
	KUNIT_EXPECT_EQ(test, FH_KV_NOT_FOUND, fh_kv_delete(s, "abs", 3, 0));
	/* And an add takes its place. */
	KUNIT_EXPECT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "neg", "new", FH_KV_ADD, 0, 0, NULL));
	fh_kvt_expect_value(test, s, "neg", "new");
}

static void fh_kv_cas_stale_is_exists_fresh_is_stored_missing_is_not_found(struct kunit *test)
{
	struct fh_kv_store *s = fh_kvt_store(test, 1 << 20);
	u64 stale, fresh, next;

	KUNIT_ASSERT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "c", "1", FH_KV_SET, 0, 0, &stale));
	KUNIT_ASSERT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "c", "2", FH_KV_SET, 0, 0, &fresh));
	KUNIT_ASSERT_NE(test, stale, fresh);
	KUNIT_EXPECT_EQ(test, FH_KV_EXISTS,
			fh_kvt_store_str(test, s, "c", "3", FH_KV_CAS, stale, 0, NULL));
	fh_kvt_expect_value(test, s, "c", "2");
	KUNIT_EXPECT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "c", "4", FH_KV_CAS, fresh, 0, &next));
	fh_kvt_expect_value(test, s, "c", "4");
	KUNIT_EXPECT_NE(test, fresh, next);
	/* The unique it stored with is spent. */
	KUNIT_EXPECT_EQ(test, FH_KV_EXISTS,
			fh_kvt_store_str(test, s, "c", "5", FH_KV_CAS, fresh, 0, NULL));
	KUNIT_EXPECT_EQ(test, FH_KV_NOT_FOUND,
			fh_kvt_store_str(test, s, "none", "6", FH_KV_CAS, fresh, 0, NULL));
	KUNIT_EXPECT_FALSE(test, fh_kvt_has(s, "none"));
}

static void fh_kv_append_and_prepend_join_values(struct kunit *test)
{
	struct fh_kv_store *s = fh_kvt_store(test, 4 << 20);
	char *big = kunit_kzalloc(test, 5102, GFP_KERNEL);
	struct fh_kv_item *it;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "j", "mid"));
	KUNIT_EXPECT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "j", "end", FH_KV_APPEND, 0, 0, NULL));
	KUNIT_EXPECT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "j", "pre", FH_KV_PREPEND, 0, 0, NULL));
	fh_kvt_expect_value(test, s, "j", "premidend");
	it = fh_kv_get(s, "j", 1, FH_KV_PEEK, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, it);
	KUNIT_EXPECT_EQ(test, 7U, it->flags);
	fh_kv_put(it);
	KUNIT_EXPECT_EQ(test, FH_KV_NOT_STORED,
			fh_kvt_store_str(test, s, "nj", "x", FH_KV_APPEND, 0, 0, NULL));
	KUNIT_EXPECT_EQ(test, FH_KV_NOT_STORED,
			fh_kvt_store_str(test, s, "nj", "x", FH_KV_PREPEND, 0, 0, NULL));
	/* In pages: 5000 bytes, 100 appended across a page boundary's reach. */
	for (i = 0; i < 5100; i++)
		big[i] = 'a' + i % 23;
	big[5000] = '\0';
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "bj", big));
	big[5000] = 'a' + 5000 % 23;
	big[5100] = '\0';
	KUNIT_EXPECT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "bj", big + 5000, FH_KV_APPEND, 0, 0, NULL));
	fh_kvt_expect_value(test, s, "bj", big);
}

static void fh_kv_incr_wraps_at_2_64_and_decr_stops_at_0(struct kunit *test)
{
	struct fh_kv_store *s = fh_kvt_store(test, 1 << 20);
	struct fh_kv_arith_req r = { .incr = true, .delta = 1 };

	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "n", "18446744073709551615"));
	KUNIT_EXPECT_EQ(test, FH_KV_STORED, fh_kv_arith(s, "n", 1, &r));
	KUNIT_EXPECT_EQ(test, 0ULL, r.value);
	fh_kvt_expect_value(test, s, "n", "0");
	r.delta = U64_MAX;
	KUNIT_EXPECT_EQ(test, FH_KV_STORED, fh_kv_arith(s, "n", 1, &r));
	KUNIT_EXPECT_EQ(test, U64_MAX, r.value);
	r.delta = 2;
	KUNIT_EXPECT_EQ(test, FH_KV_STORED, fh_kv_arith(s, "n", 1, &r));
	KUNIT_EXPECT_EQ(test, 1ULL, r.value);

	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "d", "5"));
	r = (struct fh_kv_arith_req){ .incr = false, .delta = 3 };
	KUNIT_EXPECT_EQ(test, FH_KV_STORED, fh_kv_arith(s, "d", 1, &r));
	KUNIT_EXPECT_EQ(test, 2ULL, r.value);
	r.delta = 10;
	KUNIT_EXPECT_EQ(test, FH_KV_STORED, fh_kv_arith(s, "d", 1, &r));
	KUNIT_EXPECT_EQ(test, 0ULL, r.value);
	fh_kvt_expect_value(test, s, "d", "0");
	KUNIT_EXPECT_EQ(test, FH_KV_STORED, fh_kv_arith(s, "d", 1, &r));
	KUNIT_EXPECT_EQ(test, 0ULL, r.value);
	/* The flags stay; a value that is no number, or a miss, is refused. */
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "x", "12a"));
	KUNIT_EXPECT_EQ(test, FH_KV_NON_NUMERIC, fh_kv_arith(s, "x", 1, &r));
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "o", "18446744073709551616"));
	KUNIT_EXPECT_EQ(test, FH_KV_NON_NUMERIC, fh_kv_arith(s, "o", 1, &r));
	KUNIT_EXPECT_EQ(test, FH_KV_NOT_FOUND, fh_kv_arith(s, "m", 1, &r));
}

static void fh_kv_flush_ends_the_generation_stored_before_it(struct kunit *test)
{
	struct fh_kv_store *s = fh_kvt_store(test, 1 << 20);

	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "f1", "a"));
	/* A delayed flush leaves everything until its time. */
	fh_kv_flush(s, 100);
	KUNIT_EXPECT_TRUE(test, fh_kvt_has(s, "f1"));
	fh_kv_flush(s, 0);
	KUNIT_EXPECT_FALSE(test, fh_kvt_has(s, "f1"));
	KUNIT_EXPECT_EQ(test, FH_KV_NOT_FOUND, fh_kv_delete(s, "f1", 2, 0));
	/* What comes after it is served, and an add sees no older item. */
	KUNIT_EXPECT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "f2", "b"));
	KUNIT_EXPECT_TRUE(test, fh_kvt_has(s, "f2"));
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "f3", "c"));
	fh_kv_flush(s, 0);
	KUNIT_EXPECT_EQ(test, FH_KV_STORED,
			fh_kvt_store_str(test, s, "f3", "d", FH_KV_ADD, 0, 0, NULL));
	fh_kvt_expect_value(test, s, "f3", "d");
	KUNIT_EXPECT_FALSE(test, fh_kvt_has(s, "f2"));
}

static void fh_kv_delayed_flush_takes_what_was_stored_before_its_time(struct kunit *test)
{
	struct fh_kv_store *s = fh_kvt_store(test, 1 << 20);

	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "d1", "a"));
	fh_kv_flush(s, 100);
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "d2", "b"));
	KUNIT_EXPECT_TRUE(test, fh_kvt_has(s, "d2"));
	/* Its time comes (as if 100 s had passed): both were stored before. */
	WRITE_ONCE(s->flush_at, fh_kv_now(s));
	KUNIT_EXPECT_FALSE(test, fh_kvt_has(s, "d1"));
	KUNIT_EXPECT_FALSE(test, fh_kvt_has(s, "d2"));
	KUNIT_EXPECT_EQ(test, 0U, READ_ONCE(s->flush_at));
	/* Stored since: served; the flush is not taken twice. */
	KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "d3", "c"));
	fh_kvt_expect_value(test, s, "d3", "c");
}

static void fh_kv_table_grows_with_its_items_and_finds_every_key(struct kunit *test)
{
	struct fh_kv_store *s = fh_kvt_store(test, 64 << 20);
	unsigned int i, n = 20000, bits_min = 99;
	char key[16];

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "g%u", i);
		KUNIT_ASSERT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, key, "v"));
	}
	flush_work(&s->grow);
	/* About 312 items a shard, from 64 buckets: each table grew. */
	for (i = 0; i < FH_KV_SHARDS; i++) {
		struct fh_kv_shard *sh = &s->shards[i];
		struct fh_kv_table *t = rcu_dereference_protected(sh->tbl, true);

		KUNIT_EXPECT_LE_MSG(test, sh->items, 3UL << (t->bits - 1),
				    "shard %u: %lu items, %u bits", i, sh->items, t->bits);
		bits_min = min(bits_min, t->bits);
	}
	KUNIT_EXPECT_GT(test, bits_min, 6U);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "g%u", i);
		KUNIT_EXPECT_TRUE_MSG(test, fh_kvt_has(s, key), "%s lost", key);
	}
}

/*
 * On a worker, a replaced item waits for its grace period in the worker's
 * batches, then the next allocation of its size takes it back from the
 * worker's list instead of the slab.
 */
static void fh_kv_item_freed_on_a_worker_is_reused_after_its_grace_period(struct kunit *test)
{
	struct fh_kv_store *s = fh_kvt_store(test, 1 << 20);
	u64 hits0, slab0, hits, slab;
	struct fh_kv_item *old, *it;

	/* The lists are this CPU's: stay on it. */
	migrate_disable();
	WRITE_ONCE(fh_kvt_worker, current);
	KUNIT_EXPECT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "k", "v1"));
	old = fh_kv_get(s, "k", 1, FH_KV_PEEK, 0, NULL);
	KUNIT_EXPECT_NOT_NULL(test, old);
	if (old)
		fh_kv_put(old);
	KUNIT_EXPECT_EQ(test, FH_KV_STORED, fh_kvt_set(test, s, "k", "v2"));
	fh_kv_la_stats(&hits0, &slab0);
	fh_kv_worker_tick();		/* freed since: now waits */
	synchronize_rcu();
	fh_kv_worker_tick();		/* its grace period ended: listed */
	it = fh_kv_alloc(s, "k", 1, 2);
	fh_kv_la_stats(&hits, &slab);
	KUNIT_EXPECT_PTR_EQ(test, it, old);
	KUNIT_EXPECT_EQ(test, hits, hits0 + 1);
	KUNIT_EXPECT_EQ(test, slab, slab0);
	if (it)
		fh_kv_put(it);
	WRITE_ONCE(fh_kvt_worker, NULL);
	migrate_enable();
}

static struct kunit_case fh_kv_store_cases[] = {
	KUNIT_CASE(fh_kv_eviction_takes_the_least_recently_used_first),
	KUNIT_CASE(fh_kv_eviction_gives_a_read_item_a_second_chance),
	KUNIT_CASE(fh_kv_exptime_follows_memcached),
	KUNIT_CASE(fh_kv_expired_item_is_never_returned),
	KUNIT_CASE(fh_kv_cas_stale_is_exists_fresh_is_stored_missing_is_not_found),
	KUNIT_CASE(fh_kv_append_and_prepend_join_values),
	KUNIT_CASE(fh_kv_incr_wraps_at_2_64_and_decr_stops_at_0),
	KUNIT_CASE(fh_kv_flush_ends_the_generation_stored_before_it),
	KUNIT_CASE(fh_kv_delayed_flush_takes_what_was_stored_before_its_time),
	KUNIT_CASE(fh_kv_table_grows_with_its_items_and_finds_every_key),
	KUNIT_CASE(fh_kv_item_freed_on_a_worker_is_reused_after_its_grace_period),
	{}
};

static struct kunit_suite fh_kv_store_suite = {
	.name = "fh_kv_store",
	.init = fh_kvt_init,
	.exit = fh_kvt_exit,
	.suite_init = fh_kvt_suite_init,
	.suite_exit = fh_kvt_suite_exit,
	.test_cases = fh_kv_store_cases,
};

/* ---- the parser ---- */

/* A command line, then the tokens it holds, separated by '|'. */
static const struct {
	const char *line;
	const char *tokens;
	enum kv_cmd cmd;
} fh_kvt_lines[] = {
	{ "get a\r\n", "get|a", KV_CMD_GET },
	{ "gets a bb ccc\r\n", "gets|a|bb|ccc", KV_CMD_GETS },
	{ "gat 10 k1 k2\r\n", "gat|10|k1|k2", KV_CMD_GAT },
	{ "  set   key 0   0 5  \r\n", "set|key|0|0|5", KV_CMD_SET },
	{ "cas k 1 2 3 99 noreply\r\n", "cas|k|1|2|3|99|noreply", KV_CMD_CAS },
	{ "append k 0 0 1\n", "append|k|0|0|1", KV_CMD_APPEND },
	{ "delete k noreply\r\n", "delete|k|noreply", KV_CMD_DELETE },
	{ "incr n 18446744073709551615\r\n", "incr|n|18446744073709551615", KV_CMD_INCR },
	{ "touch k -1\r\n", "touch|k|-1", KV_CMD_TOUCH },
	{ "flush_all 10 noreply\r\n", "flush_all|10|noreply", KV_CMD_FLUSH_ALL },
	{ "mg a2V5 b v f t c k O123 q\r\n", "mg|a2V5|b|v|f|t|c|k|O123|q", KV_CMD_MG },
	{ "ms k 5 T0 F5 MS I\r\n", "ms|k|5|T0|F5|MS|I", KV_CMD_MS },
	{ "ma n N0 J13 D2 MD\r\n", "ma|n|N0|J13|D2|MD", KV_CMD_MA },
	{ "mn\r\n", "mn", KV_CMD_MN },
	{ "version\r\n", "version", KV_CMD_VERSION },
	{ "bogus x\r\n", "bogus|x", KV_CMD_UNKNOWN },
	{ "\r\n", "", KV_CMD_UNKNOWN },
	{ "with\ra cr\r\n", "with\ra|cr", KV_CMD_UNKNOWN },
};

/* What comes after the line in the input: its end must not reach into it. */
#define FH_KVT_NEXT	"get next\r\n"

/*
 * The line's length as the connection finds it: kv_line_len() on each
 * piece of the input in turn (the first piece @split bytes of @in, the
 * rest the second), each piece a buffer of its own.
 */
static size_t fh_kvt_find(struct kunit *test, const char *in, size_t len,
			  size_t split)
{
	char *a = kunit_kmalloc(test, split ?: 1, GFP_KERNEL);
	char *b = kunit_kmalloc(test, len - split ?: 1, GFP_KERNEL);
	size_t at;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	memcpy(a, in, split);
	memcpy(b, in + split, len - split);
	at = kv_line_len(a, split);
	if (!at) {
		at = kv_line_len(b, len - split);
		at = at ? split + at : 0;
	}
	kunit_kfree(test, a);
	kunit_kfree(test, b);
	return at;
}

/* Splits the line in @buf (@len with its end) as kv.c does, into @l. */
static void fh_kvt_split(const char *buf, size_t len, struct kv_line *l)
{
	len--;
	if (len && buf[len - 1] == '\r')
		len--;
	kv_split(buf, len, l);
}

/* @l holds exactly the tokens in @want ('|' between them). */
static bool fh_kvt_tokens_are(const struct kv_line *l, const char *want)
{
	const char *p = want, *bar;
	u32 i = 0;
	size_t n;

	while (*p) {
		bar = strchr(p, '|');
		n = bar ? bar - p : strlen(p);
		if (i >= l->n || l->t[i].len != n || memcmp(l->t[i].p, p, n))
			return false;
		i++;
		p += n + !!bar;
	}
	return i == l->n && !l->more;
}

static void fh_kv_parse_every_split_finds_the_same_line_and_tokens(struct kunit *test)
{
	char *in = kunit_kmalloc(test, 256, GFP_KERNEL), *line;
	struct kv_line *whole = kunit_kzalloc(test, sizeof(*whole), GFP_KERNEL);
	struct kv_line *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	size_t i, n, len, split, at;

	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_NOT_NULL(test, whole);
	KUNIT_ASSERT_NOT_NULL(test, l);
	for (i = 0; i < ARRAY_SIZE(fh_kvt_lines); i++) {
		len = strlen(fh_kvt_lines[i].line);
		n = len + strlen(FH_KVT_NEXT);
		KUNIT_ASSERT_LT(test, n, (size_t)256);
		memcpy(in, fh_kvt_lines[i].line, len);
		memcpy(in + len, FH_KVT_NEXT, n - len);
		KUNIT_ASSERT_EQ_MSG(test, len, kv_line_len(in, n), "line %zu", i);
		fh_kvt_split(in, len, whole);
		KUNIT_ASSERT_TRUE_MSG(test, fh_kvt_tokens_are(whole, fh_kvt_lines[i].tokens),
				      "line %zu: %u tokens", i, whole->n);
		KUNIT_ASSERT_EQ_MSG(test, fh_kvt_lines[i].cmd,
				    whole->n ? kv_cmd_of(&whole->t[0]) : KV_CMD_UNKNOWN,
				    "line %zu", i);
		for (split = 0; split <= n; split++) {
			at = fh_kvt_find(test, in, n, split);
			KUNIT_ASSERT_EQ_MSG(test, len, at, "line %zu split at %zu", i, split);
			/* The line, copied out of its pieces, as kv.c copies it. */
			line = kunit_kmalloc(test, at, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, line);
			memcpy(line, in, at);
			fh_kvt_split(line, at, l);
			KUNIT_ASSERT_TRUE_MSG(test, fh_kvt_tokens_are(l, fh_kvt_lines[i].tokens),
					      "line %zu split at %zu", i, split);
			kunit_kfree(test, line);
		}
		/* Cut short of its '\n', it is no line yet. */
		KUNIT_ASSERT_EQ_MSG(test, (size_t)0, kv_line_len(in, len - 1), "line %zu", i);
	}
}

static void fh_kv_parse_more_than_24_tokens_is_marked(struct kunit *test)
{
	static const char many[] = "get a b c d e f g h i j k l m n o p q r s t u v w x y z";
	struct kv_line *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	size_t pos = 0, n = 0;
	struct kv_tok t;

	KUNIT_ASSERT_NOT_NULL(test, l);
	kv_split(many, sizeof(many) - 1, l);
	KUNIT_EXPECT_EQ(test, (u32)KV_TOKENS_MAX, l->n);
	KUNIT_EXPECT_TRUE(test, l->more);
	/* A multiget reads them all with kv_next. */
	while (kv_next(many, sizeof(many) - 1, &pos, &t))
		n++;
	KUNIT_EXPECT_EQ(test, (size_t)27, n);
}

static struct kunit_case fh_kv_parse_cases[] = {
	KUNIT_CASE(fh_kv_parse_every_split_finds_the_same_line_and_tokens),
	KUNIT_CASE(fh_kv_parse_more_than_24_tokens_is_marked),
	{}
};

static struct kunit_suite fh_kv_parse_suite = {
	.name = "fh_kv_parse",
	.test_cases = fh_kv_parse_cases,
};

kunit_test_suites(&fh_kv_store_suite, &fh_kv_parse_suite);
