// SPDX-License-Identifier: GPL-2.0
/* KUnit: buffer chains, and that every reference they take is given back. */
#include <kunit/test.h>
#include <linux/skbuff.h>

#include "../../kmod/buf.c"

struct fh_buf_test {
	struct kmem_cache *cache;
	struct fh_pool segs;
	struct fh_pool_stats stats;
	struct fh_chain ch;
	struct page *page;
};

static int fh_buf_test_init(struct kunit *test)
{
	struct fh_buf_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->cache = KMEM_CACHE(fh_seg, 0);
	KUNIT_ASSERT_NOT_NULL(test, t->cache);
	fh_pool_init(&t->segs, t->cache, 64, &t->stats);
	fh_chain_init(&t->ch);
	t->page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->page);
	memset(page_address(t->page), 'p', PAGE_SIZE);
	test->priv = t;
	return 0;
}

static void fh_buf_test_exit(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;

	fh_chain_purge(&t->ch, &t->segs);
	fh_pool_drain(&t->segs);
	kmem_cache_destroy(t->cache);
	__free_page(t->page);
}

/* An skb clone with @len bytes of @c in its linear area, as received. */
static struct sk_buff *fh_test_skb(struct kunit *test, char c, unsigned int len)
{
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL), *clone;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	memset(skb_put(skb, len), c, len);
	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	kfree_skb(skb);
	return clone;
}

static void fh_chain_append_page_takes_a_reference(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	int before = page_count(t->page);

	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, t->page, 0, 100), 0);
	KUNIT_EXPECT_EQ(test, page_count(t->page), before + 1);
	KUNIT_EXPECT_EQ(test, t->ch.len, (size_t)100);
	fh_chain_purge(&t->ch, &t->segs);
	KUNIT_EXPECT_EQ(test, page_count(t->page), before);
	KUNIT_EXPECT_TRUE(test, fh_chain_empty(&t->ch));
}

/* Payload in two fragments of @page, none in the linear area, as TCP sends. */
static struct sk_buff *fh_test_frag_skb(struct kunit *test, struct page *page)
{
	struct sk_buff *skb = alloc_skb(0, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	get_page(page);
	skb_fill_page_desc(skb, 0, page, 0, 100);
	get_page(page);
	skb_fill_page_desc(skb, 1, page, 200, 50);
	skb->len = 150;
	skb->data_len = 150;
	return skb;
}

static void fh_chain_append_frags_references_the_fragment_pages(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	struct sk_buff *skb = fh_test_frag_skb(test, t->page);
	int before = page_count(t->page);

	KUNIT_ASSERT_EQ(test, fh_chain_append_frags(&t->ch, &t->segs, skb, 90, 60), 0);
	KUNIT_EXPECT_EQ(test, page_count(t->page), before + 2);
	KUNIT_EXPECT_EQ(test, t->ch.len, (size_t)60);
	KUNIT_EXPECT_EQ(test, t->ch.head->kind, (u8)FH_SEG_PAGE);
	KUNIT_EXPECT_EQ(test, t->ch.head->off, 90U);
	KUNIT_EXPECT_EQ(test, t->ch.head->len, 10U);
	KUNIT_EXPECT_EQ(test, t->ch.head->next->off, 200U);
	KUNIT_EXPECT_EQ(test, t->ch.head->next->len, 50U);
	/* The data outlives the skb, as it must once tcp_read_sock frees it. */
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, page_count(t->page), before);
	fh_chain_purge(&t->ch, &t->segs);
	KUNIT_EXPECT_EQ(test, page_count(t->page), before - 2);
}

static void fh_chain_append_frags_leaves_linear_data_to_the_caller(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	struct sk_buff *skb = fh_test_skb(test, 's', 40);

	KUNIT_EXPECT_EQ(test, fh_chain_append_frags(&t->ch, &t->segs, skb, 0, 40), -EAGAIN);
	KUNIT_EXPECT_TRUE(test, fh_chain_empty(&t->ch));
	KUNIT_EXPECT_EQ(test, u64_stats_read(&t->stats.slab), 0ULL);
	kfree_skb(skb);
}

static void fh_chain_copy_prefix_reads_past_the_first_page_of_a_compound_page(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	struct page *pages = alloc_pages(GFP_KERNEL | __GFP_COMP, 1);
	char out[12];

	KUNIT_ASSERT_NOT_NULL(test, pages);
	memset(page_address(pages), 'a', PAGE_SIZE);
	memset(page_address(pages) + PAGE_SIZE, 'b', PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, pages,
						   PAGE_SIZE - 4, 12), 0);
	KUNIT_EXPECT_EQ(test, fh_chain_copy_prefix(&t->ch, out, sizeof(out)), sizeof(out));
	KUNIT_EXPECT_EQ(test, memcmp(out, "aaaabbbbbbbb", sizeof(out)), 0);
	fh_chain_purge(&t->ch, &t->segs);
	__free_pages(pages, 1);
}

static void fh_chain_consume_partial_segment_advances_offset(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, t->page, 10, 100), 0);
	fh_chain_consume(&t->ch, &t->segs, 30);
	KUNIT_EXPECT_EQ(test, t->ch.len, (size_t)70);
	KUNIT_EXPECT_EQ(test, t->ch.head->off, 40U);
	KUNIT_EXPECT_EQ(test, t->ch.head->len, 70U);
}

static void fh_chain_consume_across_segments_frees_them(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	int before = page_count(t->page);

	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, t->page, 0, 10), 0);
	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, t->page, 10, 10), 0);
	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, t->page, 20, 10), 0);
	fh_chain_consume(&t->ch, &t->segs, 25);
	KUNIT_EXPECT_EQ(test, t->ch.len, (size_t)5);
	KUNIT_EXPECT_EQ(test, page_count(t->page), before + 1);
	KUNIT_EXPECT_EQ(test, fh_pool_cached(&t->segs), 2U);
	KUNIT_EXPECT_EQ(test, t->ch.head->off, 25U);
}

static void fh_chain_consume_all_allows_append_again(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, t->page, 0, 10), 0);
	fh_chain_consume(&t->ch, &t->segs, 10);
	KUNIT_EXPECT_TRUE(test, fh_chain_empty(&t->ch));
	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, t->page, 0, 7), 0);
	KUNIT_EXPECT_EQ(test, t->ch.len, (size_t)7);
	KUNIT_EXPECT_PTR_EQ(test, t->ch.tail, &t->ch.head->next);
}

static void fh_chain_copy_prefix_spans_pages_and_skbs(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	char out[32], want[32];

	memset(want, 'p', 5);
	memset(want + 5, 's', 20);
	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, t->page, 0, 5), 0);
	KUNIT_ASSERT_EQ(test, fh_chain_append_skb(&t->ch, &t->segs,
						  fh_test_skb(test, 's', 40), 3, 30), 0);
	KUNIT_EXPECT_EQ(test, fh_chain_copy_prefix(&t->ch, out, 25), (size_t)25);
	KUNIT_EXPECT_EQ(test, memcmp(out, want, 25), 0);
	KUNIT_EXPECT_EQ(test, t->ch.len, (size_t)35);
}

static void fh_chain_copy_prefix_stops_at_chain_end(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	char out[64];

	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, t->page, 0, 12), 0);
	KUNIT_EXPECT_EQ(test, fh_chain_copy_prefix(&t->ch, out, sizeof(out)), (size_t)12);
}

static void fh_chain_splice_moves_every_segment(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	struct fh_chain src;

	fh_chain_init(&src);
	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs, t->page, 0, 10), 0);
	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&src, &t->segs, t->page, 10, 20), 0);
	KUNIT_ASSERT_EQ(test, fh_chain_append_page(&src, &t->segs, t->page, 30, 30), 0);
	fh_chain_splice(&t->ch, &src);
	KUNIT_EXPECT_TRUE(test, fh_chain_empty(&src));
	KUNIT_EXPECT_EQ(test, src.len, (size_t)0);
	KUNIT_EXPECT_EQ(test, t->ch.len, (size_t)60);
	KUNIT_EXPECT_NULL(test, *t->ch.tail);
	KUNIT_EXPECT_EQ(test, t->ch.head->next->next->off, 30U);
}

static void fh_chain_purge_releases_skb_clones(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	struct sk_buff *skb = alloc_skb(64, GFP_KERNEL), *clone;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put(skb, 64);
	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	KUNIT_EXPECT_EQ(test, atomic_read(&skb_shinfo(skb)->dataref), 2);
	KUNIT_ASSERT_EQ(test, fh_chain_append_skb(&t->ch, &t->segs, clone, 0, 64), 0);
	fh_chain_purge(&t->ch, &t->segs);
	KUNIT_EXPECT_EQ(test, atomic_read(&skb_shinfo(skb)->dataref), 1);
	kfree_skb(skb);
}

static void fh_chain_returns_every_segment_to_the_pool(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	int i;

	for (i = 0; i < 10; i++)
		KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs,
							   t->page, i, 1), 0);
	KUNIT_EXPECT_EQ(test, u64_stats_read(&t->stats.slab), 10ULL);
	fh_chain_purge(&t->ch, &t->segs);
	KUNIT_EXPECT_EQ(test, fh_pool_cached(&t->segs), 10U);
}

/* An skb with one page fragment holding [off, off + len) of @page. */
static struct sk_buff *fh_test_one_frag_skb(struct kunit *test, struct page *page,
					    u32 off, u32 len)
{
	struct sk_buff *skb = alloc_skb(0, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	get_page(page);
	skb_fill_page_desc(skb, 0, page, off, len);
	skb->len = len;
	skb->data_len = len;
	return skb;
}

static void fh_chain_append_frags_extends_a_segment_the_bytes_continue(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	int before = page_count(t->page), i;
	struct sk_buff *skb;

	for (i = 0; i < 5; i++) {
		skb = fh_test_one_frag_skb(test, t->page, 100 + i, 1);
		KUNIT_ASSERT_EQ(test, fh_chain_append_frags(&t->ch, &t->segs, skb, 0, 1), 0);
		kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, t->ch.nsegs, 1U);
	KUNIT_EXPECT_EQ(test, t->ch.len, (size_t)5);
	KUNIT_EXPECT_EQ(test, page_count(t->page), before + 1);
}

static void fh_chain_compact_copies_tiny_segments_into_one_page(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	int before = page_count(t->page), i;
	char *p = page_address(t->page), out[100];

	for (i = 0; i < 100; i++) {
		p[2 * i] = (char)i;
		KUNIT_ASSERT_EQ(test, fh_chain_append_page(&t->ch, &t->segs,
							   t->page, 2 * i, 1), 0);
	}
	KUNIT_EXPECT_EQ(test, t->ch.nsegs, 100U);
	KUNIT_EXPECT_EQ(test, fh_chain_compact(&t->ch, &t->segs, GFP_KERNEL), 100L);
	KUNIT_EXPECT_EQ(test, t->ch.nsegs, 1U);
	KUNIT_EXPECT_EQ(test, t->ch.len, (size_t)100);
	KUNIT_EXPECT_EQ(test, page_count(t->page), before);
	KUNIT_ASSERT_EQ(test, fh_chain_copy_prefix(&t->ch, out, 100), (size_t)100);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, out[i], (char)i);
}

static void fh_chain_compact_fills_whole_pages_across_skbs(struct kunit *test)
{
	struct fh_buf_test *t = test->priv;
	size_t n = 0;
	int i;

	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, fh_chain_append_skb(&t->ch, &t->segs,
							  fh_test_skb(test, 'a' + i, 3000),
							  0, 3000), 0);
		n += 3000;
	}
	KUNIT_EXPECT_EQ(test, fh_chain_compact(&t->ch, &t->segs, GFP_KERNEL), 9000L);
	KUNIT_EXPECT_EQ(test, t->ch.nsegs, 3U);	/* 4096 + 4096 + 808 */
	KUNIT_EXPECT_EQ(test, t->ch.len, n);
	KUNIT_EXPECT_EQ(test, t->ch.head->len, (u32)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, t->ch.head->next->next->len, 808U);
}

static struct kunit_case fh_buf_cases[] = {
	KUNIT_CASE(fh_chain_append_frags_extends_a_segment_the_bytes_continue),
	KUNIT_CASE(fh_chain_compact_copies_tiny_segments_into_one_page),
	KUNIT_CASE(fh_chain_compact_fills_whole_pages_across_skbs),
	KUNIT_CASE(fh_chain_append_page_takes_a_reference),
	KUNIT_CASE(fh_chain_append_frags_references_the_fragment_pages),
	KUNIT_CASE(fh_chain_append_frags_leaves_linear_data_to_the_caller),
	KUNIT_CASE(fh_chain_copy_prefix_reads_past_the_first_page_of_a_compound_page),
	KUNIT_CASE(fh_chain_consume_partial_segment_advances_offset),
	KUNIT_CASE(fh_chain_consume_across_segments_frees_them),
	KUNIT_CASE(fh_chain_consume_all_allows_append_again),
	KUNIT_CASE(fh_chain_copy_prefix_spans_pages_and_skbs),
	KUNIT_CASE(fh_chain_copy_prefix_stops_at_chain_end),
	KUNIT_CASE(fh_chain_splice_moves_every_segment),
	KUNIT_CASE(fh_chain_purge_releases_skb_clones),
	KUNIT_CASE(fh_chain_returns_every_segment_to_the_pool),
	{}
};

static struct kunit_suite fh_buf_suite = {
	.name = "fh_buf",
	.init = fh_buf_test_init,
	.exit = fh_buf_test_exit,
	.test_cases = fh_buf_cases,
};

kunit_test_suite(fh_buf_suite);
