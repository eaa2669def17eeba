// SPDX-License-Identifier: GPL-2.0
/* Range header values against a file size. */
#include "ht.h"
#include "http_range.h"

static unsigned long long start, count;

static int range(const char *v, unsigned long long size)
{
	u64 s = 0, c = 0;
	int r = http_range_parse(v, strlen(v), size, &s, &c);

	start = s;
	count = c;
	return r;
}

#define CHECK_RANGE(v, size, want)					\
	do {								\
		int _r = range(v, size);				\
		CHECK(_r == (want), "\"%s\" on %llu bytes gives %d, expected %d", \
		      v, (unsigned long long)(size), _r, (want));	\
	} while (0)

#define CHECK_SINGLE(v, size, s, c)					\
	do {								\
		CHECK_RANGE(v, size, HTTP_RANGE_SINGLE);		\
		CHECK(start == (s) && count == (c),			\
		      "\"%s\" gives start %llu count %llu, expected %llu %llu", \
		      v, start, count, (unsigned long long)(s),		\
		      (unsigned long long)(c));				\
	} while (0)

TEST(range_first_and_last_is_single)
{
	CHECK_SINGLE("bytes=0-99", 1000, 0, 100);
	CHECK_SINGLE("bytes=10-19", 1000, 10, 10);
}

TEST(range_single_byte)
{
	CHECK_SINGLE("bytes=0-0", 1000, 0, 1);
	CHECK_SINGLE("bytes=999-999", 1000, 999, 1);
}

TEST(range_open_ended_runs_to_the_end)
{
	CHECK_SINGLE("bytes=100-", 1000, 100, 900);
}

TEST(range_suffix_is_the_last_bytes)
{
	CHECK_SINGLE("bytes=-100", 1000, 900, 100);
	CHECK_SINGLE("bytes=-1", 1000, 999, 1);
}

TEST(range_suffix_longer_than_file_is_whole_file)
{
	CHECK_SINGLE("bytes=-5000", 1000, 0, 1000);
}

TEST(range_last_beyond_size_is_clamped)
{
	CHECK_SINGLE("bytes=500-5000", 1000, 500, 500);
}

TEST(range_first_at_or_beyond_size_is_unsatisfiable)
{
	CHECK_RANGE("bytes=1000-", 1000, HTTP_RANGE_UNSATISFIABLE);
	CHECK_RANGE("bytes=1000-2000", 1000, HTTP_RANGE_UNSATISFIABLE);
	CHECK_RANGE("bytes=5000-", 1000, HTTP_RANGE_UNSATISFIABLE);
}

TEST(range_suffix_of_zero_is_unsatisfiable)
{
	CHECK_RANGE("bytes=-0", 1000, HTTP_RANGE_UNSATISFIABLE);
}

TEST(range_unit_is_case_insensitive)
{
	CHECK_SINGLE("Bytes=0-1", 10, 0, 2);
	CHECK_SINGLE("BYTES=0-1", 10, 0, 2);
}

TEST(range_unknown_unit_is_ignored)
{
	CHECK_RANGE("items=0-1", 10, HTTP_RANGE_NONE);
	CHECK_RANGE("byte=0-1", 10, HTTP_RANGE_NONE);
	CHECK_RANGE("bytesx=0-1", 10, HTTP_RANGE_NONE);
}

TEST(range_without_unit_is_ignored)
{
	CHECK_RANGE("0-1", 10, HTTP_RANGE_NONE);
	CHECK_RANGE("", 10, HTTP_RANGE_NONE);
}

TEST(range_space_around_equals_is_not_the_bytes_unit)
{
	CHECK_RANGE("bytes =0-1", 10, HTTP_RANGE_NONE);
}

TEST(range_ows_around_commas_is_accepted)
{
	CHECK_RANGE("bytes=0-1 , 5-6", 10, HTTP_RANGE_MULTI);
	CHECK_RANGE("bytes=0-1,\t5-6", 10, HTTP_RANGE_MULTI);
	CHECK_SINGLE("bytes=0-1 ,", 10, 0, 2);
}

TEST(range_whitespace_inside_a_range_is_invalid)
{
	CHECK_RANGE("bytes=0 -1", 10, HTTP_RANGE_INVALID);
	CHECK_RANGE("bytes=0- 1", 10, HTTP_RANGE_INVALID);
	CHECK_RANGE("bytes=- 1", 10, HTTP_RANGE_INVALID);
}

TEST(range_empty_list_elements_are_skipped)
{
	CHECK_SINGLE("bytes=,,0-1,,", 10, 0, 2);
}

TEST(range_several_satisfiable_is_multi)
{
	CHECK_RANGE("bytes=0-1,5-6", 10, HTTP_RANGE_MULTI);
	CHECK_RANGE("bytes=0-1,-1", 10, HTTP_RANGE_MULTI);
	CHECK_RANGE("bytes=0-5,3-8", 10, HTTP_RANGE_MULTI);
}

TEST(range_several_with_one_satisfiable_is_that_one)
{
	CHECK_SINGLE("bytes=50-60,2-3", 10, 2, 2);
	CHECK_SINGLE("bytes=-0,2-", 10, 2, 8);
}

TEST(range_several_none_satisfiable_is_unsatisfiable)
{
	CHECK_RANGE("bytes=50-60,70-", 10, HTTP_RANGE_UNSATISFIABLE);
}

TEST(range_first_after_last_is_invalid)
{
	CHECK_RANGE("bytes=5-2", 10, HTTP_RANGE_INVALID);
	CHECK_RANGE("bytes=0-1,5-2", 10, HTTP_RANGE_INVALID);
}

TEST(range_syntax_errors_are_invalid)
{
	static const char * const bad[] = {
		"bytes=", "bytes=,", "bytes=-", "bytes=abc", "bytes=1-2-3",
		"bytes=1", "bytes=--1", "bytes=+1-2", "bytes=0x1-2",
		"bytes=1-2;x", "bytes=1-2 3-4", "bytes=0-1,a",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_RANGE(bad[i], 10, HTTP_RANGE_INVALID);
}

TEST(range_huge_first_is_unsatisfiable)
{
	CHECK_RANGE("bytes=99999999999999999999999-", 10,
		    HTTP_RANGE_UNSATISFIABLE);
	CHECK_RANGE("bytes=18446744073709551615-", 10,
		    HTTP_RANGE_UNSATISFIABLE);
}

TEST(range_huge_last_is_clamped)
{
	CHECK_SINGLE("bytes=2-99999999999999999999999", 10, 2, 8);
}

TEST(range_huge_suffix_is_the_whole_file)
{
	CHECK_SINGLE("bytes=-99999999999999999999999", 10, 0, 10);
}

TEST(range_huge_numbers_compare_exactly)
{
	CHECK_RANGE("bytes=99999999999999999999-99999999999999999998", 10,
		    HTTP_RANGE_INVALID);
	CHECK_RANGE("bytes=99999999999999999998-99999999999999999999", 10,
		    HTTP_RANGE_UNSATISFIABLE);
	CHECK_RANGE("bytes=000099999999999999999999-99999999999999999999", 10,
		    HTTP_RANGE_UNSATISFIABLE);
	CHECK_RANGE("bytes=99999999999999999999-0099999999999999999999", 10,
		    HTTP_RANGE_UNSATISFIABLE);
}

TEST(range_leading_zeros_are_accepted)
{
	CHECK_SINGLE("bytes=0002-0003", 10, 2, 2);
}

TEST(range_on_huge_file_near_u64_max)
{
	CHECK_SINGLE("bytes=18446744073709551613-", 18446744073709551615ULL,
		     18446744073709551613ULL, 2);
	CHECK_SINGLE("bytes=-3", 18446744073709551615ULL,
		     18446744073709551612ULL, 3);
}

TEST(range_zero_length_file_from_zero_is_whole_file)
{
	CHECK_RANGE("bytes=0-", 0, HTTP_RANGE_NONE);
	CHECK_RANGE("bytes=0-10", 0, HTTP_RANGE_NONE);
}

TEST(range_zero_length_file_suffix_is_whole_file)
{
	CHECK_RANGE("bytes=-5", 0, HTTP_RANGE_NONE);
	CHECK_RANGE("bytes=-0", 0, HTTP_RANGE_NONE);
}

TEST(range_zero_length_file_other_range_is_unsatisfiable)
{
	CHECK_RANGE("bytes=1-2", 0, HTTP_RANGE_UNSATISFIABLE);
	CHECK_RANGE("bytes=5-", 0, HTTP_RANGE_UNSATISFIABLE);
}

TEST(range_ows_around_the_value_is_trimmed)
{
	CHECK_SINGLE(" \tbytes=0-1 \t", 10, 0, 2);
}
