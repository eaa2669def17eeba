// SPDX-License-Identifier: GPL-2.0
/* HTTP-date: formatting and the three formats of RFC 9110 5.6.7. */
#include <stdio.h>

#include "ht.h"
#include "http_date.h"

/* 2025-01-01 00:00:00 UTC */
#define NOW 1735689600LL

static char buf[HTTP_DATE_LEN + 1];

static const char *fmt(long long t)
{
	memset(buf, '?', sizeof(buf));
	http_date_format(t, buf);
	buf[HTTP_DATE_LEN] = '\0';
	return buf;
}

#define CHECK_FMT(t, want)						\
	CHECK(strcmp(fmt(t), want) == 0, "%lld formats as \"%s\", expected \"%s\"", \
	      (long long)(t), buf, want)

static long long parsed;

static bool parse_at(const char *s, long long now)
{
	s64 t = -12345;
	bool ok = http_date_parse(s, strlen(s), now, &t);

	parsed = t;
	return ok;
}

#define CHECK_PARSE(s, want)						\
	do {								\
		CHECK(parse_at(s, NOW), "\"%s\" refused", s);		\
		CHECK(parsed == (want), "\"%s\" is %lld, expected %lld", \
		      s, parsed, (long long)(want));			\
	} while (0)

#define CHECK_REFUSED(s)						\
	CHECK(!parse_at(s, NOW) && parsed == -12345, "\"%s\" accepted", s)

TEST(date_format_writes_exactly_29_bytes)
{
	memset(buf, '?', sizeof(buf));
	http_date_format(0, buf);
	CHECK(buf[HTTP_DATE_LEN] == '?', "wrote past 29 bytes");
}

TEST(date_format_epoch)
{
	CHECK_FMT(0, "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(date_format_rfc_example)
{
	CHECK_FMT(784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(date_format_leap_day)
{
	CHECK_FMT(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(date_format_end_of_year)
{
	CHECK_FMT(1735689599, "Tue, 31 Dec 2024 23:59:59 GMT");
}

TEST(date_format_beyond_2038)
{
	CHECK_FMT(2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT");
	CHECK_FMT(4102444800LL, "Fri, 01 Jan 2100 00:00:00 GMT");
}

TEST(date_format_clamps_out_of_range_times)
{
	CHECK_FMT(-1, "Thu, 01 Jan 1970 00:00:00 GMT");
	CHECK_FMT(HTTP_DATE_MAX, "Fri, 31 Dec 9999 23:59:59 GMT");
	CHECK_FMT(HTTP_DATE_MAX + 1, "Fri, 31 Dec 9999 23:59:59 GMT");
	CHECK_FMT(0x7fffffffffffffffLL, "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(date_parse_imf_fixdate)
{
	CHECK_PARSE("Sun, 06 Nov 1994 08:49:37 GMT", 784111777);
}

TEST(date_parse_rfc850)
{
	CHECK_PARSE("Sunday, 06-Nov-94 08:49:37 GMT", 784111777);
	CHECK_PARSE("Wednesday, 09-Nov-94 08:49:37 GMT", 784370977);
}

TEST(date_parse_asctime_space_padded_day)
{
	CHECK_PARSE("Sun Nov  6 08:49:37 1994", 784111777);
}

TEST(date_parse_asctime_two_digit_day)
{
	CHECK_PARSE("Wed Nov 16 08:49:37 1994", 784975777);
	CHECK_PARSE("Sun Nov 06 08:49:37 1994", 784111777);
}

TEST(date_parse_leap_day)
{
	CHECK_PARSE("Tue, 29 Feb 2000 00:00:00 GMT", 951782400);
	CHECK_PARSE("Thu, 29 Feb 2024 12:00:00 GMT", 1709208000);
}

TEST(date_parse_before_1970)
{
	CHECK_PARSE("Wed, 31 Dec 1969 23:59:59 GMT", -1);
	CHECK_PARSE("Mon, 01 Jan 0001 00:00:00 GMT", -62135596800LL);
}

TEST(date_parse_leap_second)
{
	CHECK_PARSE("Sat, 31 Dec 2016 23:59:60 GMT", 1483228800);
}

TEST(date_rfc850_two_digit_year_within_50_years_is_this_century)
{
	CHECK_PARSE("Tuesday, 01-Jan-30 00:00:00 GMT", 1893456000);
	CHECK_PARSE("Saturday, 01-Jan-75 00:00:00 GMT", 3313526400LL);
}

TEST(date_rfc850_two_digit_year_over_50_years_ahead_is_last_century)
{
	CHECK_PARSE("Sunday, 06-Nov-94 08:49:37 GMT", 784111777);
	CHECK_PARSE("Thursday, 01-Jan-76 00:00:00 GMT", 189302400);
}

TEST(date_rfc850_year_window_follows_now)
{
	/* In 2090, "94" is 2094, four years ahead. */
	CHECK(parse_at("Sunday, 06-Nov-94 08:49:37 GMT", 3786912000LL),
	      "refused");
	CHECK(parsed == 3939871777LL, "is %lld", parsed);
}

TEST(date_rejects_day_31_of_a_30_day_month)
{
	CHECK_REFUSED("Thu, 31 Apr 2025 00:00:00 GMT");
}

TEST(date_rejects_february_30)
{
	CHECK_REFUSED("Sun, 30 Feb 2025 00:00:00 GMT");
}

TEST(date_rejects_february_29_of_common_years)
{
	CHECK_REFUSED("Sat, 29 Feb 2025 00:00:00 GMT");
	CHECK_REFUSED("Thu, 29 Feb 1900 00:00:00 GMT");
}

TEST(date_rejects_day_zero)
{
	CHECK_REFUSED("Sun, 00 Nov 1994 08:49:37 GMT");
	CHECK_REFUSED("Sun Nov  0 08:49:37 1994");
}

TEST(date_rejects_hour_24_minute_60_second_61)
{
	CHECK_REFUSED("Sun, 06 Nov 1994 24:00:00 GMT");
	CHECK_REFUSED("Sun, 06 Nov 1994 08:60:00 GMT");
	CHECK_REFUSED("Sun, 06 Nov 1994 08:49:61 GMT");
}

TEST(date_rejects_unknown_month)
{
	CHECK_REFUSED("Sun, 06 Foo 1994 08:49:37 GMT");
}

TEST(date_names_are_case_sensitive)
{
	CHECK_REFUSED("Sun, 06 nov 1994 08:49:37 GMT");
	CHECK_REFUSED("sun, 06 Nov 1994 08:49:37 GMT");
	CHECK_REFUSED("Sun, 06 Nov 1994 08:49:37 gmt");
	CHECK_REFUSED("sunday, 06-Nov-94 08:49:37 GMT");
}

TEST(date_rejects_a_zone_other_than_gmt)
{
	CHECK_REFUSED("Sun, 06 Nov 1994 08:49:37 UTC");
	CHECK_REFUSED("Sun, 06 Nov 1994 08:49:37 +0000");
}

TEST(date_rejects_unknown_day_name)
{
	CHECK_REFUSED("Xyz, 06 Nov 1994 08:49:37 GMT");
	CHECK_REFUSED("Sundae, 06-Nov-94 08:49:37 GMT");
}

TEST(date_day_name_is_not_checked_against_the_date)
{
	/* As nginx: the date alone names the day. */
	CHECK_PARSE("Mon, 06 Nov 1994 08:49:37 GMT", 784111777);
}

TEST(date_rejects_wrong_separators_and_lengths)
{
	CHECK_REFUSED("Sun 06 Nov 1994 08:49:37 GMT");
	CHECK_REFUSED("Sun,  06 Nov 1994 08:49:37 GMT");
	CHECK_REFUSED("Sun, 6 Nov 1994 08:49:37 GMT");
	CHECK_REFUSED("Sun, 06-Nov-1994 08:49:37 GMT");
	CHECK_REFUSED("Sun, 06 Nov 94 08:49:37 GMT");
	CHECK_REFUSED("Sun, 06 Nov 1994 08.49.37 GMT");
	CHECK_REFUSED("Sun, 06 Nov 1994 8:49:37 GMT");
	CHECK_REFUSED("Sunday, 06-Nov-1994 08:49:37 GMT");
	CHECK_REFUSED("Sun Nov 6 08:49:37 1994");
	CHECK_REFUSED("Sun Nov  6 08:49:37 94");
}

TEST(date_rejects_trailing_or_leading_bytes)
{
	CHECK_REFUSED("Sun, 06 Nov 1994 08:49:37 GMTx");
	CHECK_REFUSED(" Sun, 06 Nov 1994 08:49:37 GMT");
	CHECK_REFUSED("Sun, 06 Nov 1994 08:49:37 GMT ");
	CHECK_REFUSED("Sun Nov  6 08:49:37 1994 GMT");
}

TEST(date_rejects_empty_and_short_input)
{
	CHECK_REFUSED("");
	CHECK_REFUSED("Sun");
	CHECK_REFUSED("Sunday");
	CHECK_REFUSED("Sun, 06 Nov");
}

TEST(date_rejects_non_digits_in_numbers)
{
	CHECK_REFUSED("Sun, 0x Nov 1994 08:49:37 GMT");
	CHECK_REFUSED("Sun, 06 Nov 19x4 08:49:37 GMT");
	CHECK_REFUSED("Sun, 06 Nov 1994 08:4 :37 GMT");
}

TEST(date_format_then_parse_round_trips)
{
	long long t;
	s64 back;

	for (t = 0; t < 253402300799LL; t += 86399LL * 37 + 12345) {
		fmt(t);
		CHECK(http_date_parse(buf, HTTP_DATE_LEN, NOW, &back),
		      "\"%s\" refused", buf);
		CHECK(back == t, "\"%s\" is %lld, expected %lld", buf,
		      (long long)back, t);
	}
}

TEST(date_every_day_of_four_centuries_round_trips)
{
	long long d;
	s64 back;

	/* 1970..2370: every leap rule (4, 100, 400) and every month end. */
	for (d = 0; d < 146097; d++) {
		fmt(d * 86400 + 43199);
		CHECK(http_date_parse(buf, HTTP_DATE_LEN, NOW, &back),
		      "\"%s\" refused", buf);
		CHECK(back == d * 86400 + 43199, "\"%s\" is %lld", buf,
		      (long long)back);
	}
}
