// SPDX-License-Identifier: GPL-2.0
/* A KUnit case that reads past the end of a slab object: KASAN must report. */
#include <kunit/test.h>
#include <linux/slab.h>

static void fh_faulty_reads_out_of_bounds(struct kunit *test)
{
	char *p = kmalloc(16, GFP_KERNEL);
	volatile char c;

	KUNIT_ASSERT_NOT_NULL(test, p);
	OPTIMIZER_HIDE_VAR(p);
	c = p[16];
	(void)c;
	kfree(p);
}

static struct kunit_case fh_faulty_kasan_cases[] = {
	KUNIT_CASE(fh_faulty_reads_out_of_bounds),
	{}
};

static struct kunit_suite fh_faulty_kasan_suite = {
	.name = "fh_faulty_kasan",
	.test_cases = fh_faulty_kasan_cases,
};

kunit_test_suite(fh_faulty_kasan_suite);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("firehose harness check: a KASAN report");
