// SPDX-License-Identifier: GPL-2.0
/* A KUnit case that never returns: the VM timeout must end the run. */
#include <kunit/test.h>
#include <linux/delay.h>

static void fh_faulty_never_returns(struct kunit *test)
{
	for (;;)
		ssleep(10);
}

static struct kunit_case fh_faulty_hang_cases[] = {
	KUNIT_CASE(fh_faulty_never_returns),
	{}
};

static struct kunit_suite fh_faulty_hang_suite = {
	.name = "fh_faulty_hang",
	.test_cases = fh_faulty_hang_cases,
};

kunit_test_suite(fh_faulty_hang_suite);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("firehose harness check: a hung guest");
