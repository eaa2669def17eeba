// SPDX-License-Identifier: GPL-2.0
/* KUnit: per-worker lookaside lists and their sweeper. */
#include <kunit/test.h>

#include "../../kmod/pool.c"

struct fh_pool_test {
	struct kmem_cache *cache;
	struct fh_pool pool;
	struct fh_pool_stats stats;
};

static int fh_pool_test_init(struct kunit *test)
{
	struct fh_pool_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->cache = kmem_cache_create("fh_pool_test", 64, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, t->cache);
	fh_pool_init(&t->pool, t->cache, 4, &t->stats);
	test->priv = t;
	return 0;
}

static void fh_pool_test_exit(struct kunit *test)
{
	struct fh_pool_test *t = test->priv;

	fh_pool_drain(&t->pool);
	kmem_cache_destroy(t->cache);
}

static void fh_pool_empty_list_allocates_from_slab(struct kunit *test)
{
	struct fh_pool_test *t = test->priv;
	void *obj = fh_pool_alloc(&t->pool, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, u64_stats_read(&t->stats.slab), 1ULL);
	KUNIT_EXPECT_EQ(test, u64_stats_read(&t->stats.hits), 0ULL);
	fh_pool_free(&t->pool, obj);
}

static void fh_pool_freed_object_is_reused(struct kunit *test)
{
	struct fh_pool_test *t = test->priv;
	void *a = fh_pool_alloc(&t->pool, GFP_KERNEL), *b;

	KUNIT_ASSERT_NOT_NULL(test, a);
	fh_pool_free(&t->pool, a);
	KUNIT_EXPECT_EQ(test, fh_pool_cached(&t->pool), 1U);
	b = fh_pool_alloc(&t->pool, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, a, b);
	KUNIT_EXPECT_EQ(test, u64_stats_read(&t->stats.hits), 1ULL);
	KUNIT_EXPECT_EQ(test, u64_stats_read(&t->stats.slab), 1ULL);
	KUNIT_EXPECT_EQ(test, fh_pool_cached(&t->pool), 0U);
	fh_pool_free(&t->pool, b);
}

static void fh_pool_caches_at_most_max(struct kunit *test)
{
	struct fh_pool_test *t = test->priv;
	void *objs[6];
	int i;

	for (i = 0; i < 6; i++) {
		objs[i] = fh_pool_alloc(&t->pool, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < 6; i++)
		fh_pool_free(&t->pool, objs[i]);
	KUNIT_EXPECT_EQ(test, fh_pool_cached(&t->pool), 4U);
}

static void fh_pool_sweep_frees_only_what_stayed_a_whole_period(struct kunit *test)
{
	struct fh_pool_test *t = test->priv;
	void *a = fh_pool_alloc(&t->pool, GFP_KERNEL);
	void *b = fh_pool_alloc(&t->pool, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	fh_pool_free(&t->pool, a);
	fh_pool_free(&t->pool, b);
	/* First period: fresh objects only age. */
	KUNIT_EXPECT_EQ(test, fh_pool_sweep(&t->pool), 0U);
	KUNIT_EXPECT_EQ(test, fh_pool_cached(&t->pool), 2U);
	/* Second period: still unused, so they go back to the slab. */
	KUNIT_EXPECT_EQ(test, fh_pool_sweep(&t->pool), 2U);
	KUNIT_EXPECT_EQ(test, fh_pool_cached(&t->pool), 0U);
	KUNIT_EXPECT_EQ(test, u64_stats_read(&t->stats.swept), 2ULL);
}

static void fh_pool_alloc_rescues_stale_objects(struct kunit *test)
{
	struct fh_pool_test *t = test->priv;
	void *a = fh_pool_alloc(&t->pool, GFP_KERNEL), *b;

	KUNIT_ASSERT_NOT_NULL(test, a);
	fh_pool_free(&t->pool, a);
	fh_pool_sweep(&t->pool);
	b = fh_pool_alloc(&t->pool, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, a, b);
	KUNIT_EXPECT_EQ(test, u64_stats_read(&t->stats.hits), 1ULL);
	fh_pool_free(&t->pool, b);
	/* Used again this period: it is fresh, the next sweep keeps it. */
	KUNIT_EXPECT_EQ(test, fh_pool_sweep(&t->pool), 0U);
	KUNIT_EXPECT_EQ(test, fh_pool_cached(&t->pool), 1U);
}

static void fh_pool_drain_empties_both_lists(struct kunit *test)
{
	struct fh_pool_test *t = test->priv;
	void *a = fh_pool_alloc(&t->pool, GFP_KERNEL);
	void *b = fh_pool_alloc(&t->pool, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	fh_pool_free(&t->pool, a);
	fh_pool_sweep(&t->pool);
	fh_pool_free(&t->pool, b);
	fh_pool_drain(&t->pool);
	KUNIT_EXPECT_EQ(test, fh_pool_cached(&t->pool), 0U);
	KUNIT_EXPECT_NULL(test, t->pool.fresh);
	KUNIT_EXPECT_NULL(test, t->pool.stale);
}

static struct kunit_case fh_pool_cases[] = {
	KUNIT_CASE(fh_pool_empty_list_allocates_from_slab),
	KUNIT_CASE(fh_pool_freed_object_is_reused),
	KUNIT_CASE(fh_pool_caches_at_most_max),
	KUNIT_CASE(fh_pool_sweep_frees_only_what_stayed_a_whole_period),
	KUNIT_CASE(fh_pool_alloc_rescues_stale_objects),
	KUNIT_CASE(fh_pool_drain_empties_both_lists),
	{}
};

static struct kunit_suite fh_pool_suite = {
	.name = "fh_pool",
	.init = fh_pool_test_init,
	.exit = fh_pool_test_exit,
	.test_cases = fh_pool_cases,
};

kunit_test_suite(fh_pool_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("firehose KUnit suites");
