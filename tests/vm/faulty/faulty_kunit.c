// SPDX-License-Identifier: GPL-2.0
/* A KUnit suite with one passing and one failing case. */
#include <kunit/test.h>

static void fh_faulty_passes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1, 1);
}

static void fh_faulty_fails(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1, 2);
}

static struct kunit_case fh_faulty_cases[] = {
	KUNIT_CASE(fh_faulty_passes),
	KUNIT_CASE(fh_faulty_fails),
	{}
};

static struct kunit_suite fh_faulty_suite = {
	.name = "fh_faulty",
	.test_cases = fh_faulty_cases,
};

kunit_test_suite(fh_faulty_suite);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("firehose harness check: a failing KUnit case");
