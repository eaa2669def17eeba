// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP-date (RFC 9110 5.6.7), written and read without any libc or kernel
 * time function: the civil calendar arithmetic is Howard Hinnant's
 * days_from_civil / civil_from_days, exact for the proleptic Gregorian
 * calendar.
 */
#include "http_date.h"

static const char http_wday[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};

static const char * const http_wday_long[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};

static const char http_mon[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

#define HTTP_DAY_SECS 86400

static bool http_date_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static bool http_date_digits(const char *s, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return true;
}

/* Days since 1970-01-01 of the civil date y-m-d (m 1..12). */
static s64 http_days_from_civil(s64 y, int m, int d)
{
	s64 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The civil date of day @z since 1970-01-01, for z >= 0. */
static void http_civil_from_days(s64 z, s64 *y, int *m, int *d)
{
	s64 era, doe, yoe, doy, mp;

	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int http_mdays(s64 y, int m)
{
	static const u8 days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

static void http_put2(char *out, int v)
{
	out[0] = '0' + v / 10;
	out[1] = '0' + v % 10;
}

void http_date_format(s64 t, char *out)
{
	s64 days, secs, y;
	int m, d, i;

	if (t < 0)
		t = 0;
	if (t > HTTP_DATE_MAX)
		t = HTTP_DATE_MAX;
	days = t / HTTP_DAY_SECS;
	secs = t % HTTP_DAY_SECS;
	http_civil_from_days(days, &y, &m, &d);

	/* 1970-01-01 was a Thursday. */
	for (i = 0; i < 3; i++) {
		out[i] = http_wday[(days + 4) % 7][i];
		out[8 + i] = http_mon[m - 1][i];
	}
	out[3] = ',';
	out[4] = ' ';
	http_put2(out + 5, d);
	out[7] = ' ';
	out[11] = ' ';
	http_put2(out + 12, (int)(y / 100));
	http_put2(out + 14, (int)(y % 100));
	out[16] = ' ';
	http_put2(out + 17, (int)(secs / 3600));
	out[19] = ':';
	http_put2(out + 20, (int)(secs / 60 % 60));
	out[22] = ':';
	http_put2(out + 23, (int)(secs % 60));
	out[25] = ' ';
	out[26] = 'G';
	out[27] = 'M';
	out[28] = 'T';
}

/* "Jan".."Dec" (case-sensitive, as HTTP-date is) to 1..12; 0 if none. */
static int http_date_month(const char *s)
{
	int i;

	for (i = 0; i < 12; i++)
		if (http_date_eq(s, http_mon[i], 3))
			return i + 1;
	return 0;
}

/* "HH:MM:SS", 00:00:00 to 23:59:60 (the 60th second is a leap second). */
static bool http_date_time(const char *s, int *secs)
{
	int h, m, sec;

	if (s[2] != ':' || s[5] != ':' ||
	    !http_date_digits(s, 2, &h) || !http_date_digits(s + 3, 2, &m) ||
	    !http_date_digits(s + 6, 2, &sec))
		return false;
	if (h > 23 || m > 59 || sec > 60)
		return false;
	*secs = h * 3600 + m * 60 + sec;
	return true;
}

static bool http_date_make(s64 y, int m, int d, int secs, s64 *t)
{
	if (m < 1 || d < 1 || d > http_mdays(y, m))
		return false;
	*t = http_days_from_civil(y, m, d) * HTTP_DAY_SECS + secs;
	return true;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static bool http_date_imf(const char *s, s64 *t)
{
	int d, y, secs;

	if (s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[25] != ' ' || !http_date_eq(s + 26, "GMT", 3))
		return false;
	if (!http_date_digits(s + 5, 2, &d) ||
	    !http_date_digits(s + 12, 4, &y) || !http_date_time(s + 17, &secs))
		return false;
	return http_date_make(y, http_date_month(s + 8), d, secs, t);
}

/* "Sun Nov  6 08:49:37 1994" */
static bool http_date_asctime(const char *s, s64 *t)
{
	int d, y, secs;

	if (s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
		return false;
	if (s[8] == ' ') {
		if (!http_date_digits(s + 9, 1, &d))
			return false;
	} else if (!http_date_digits(s + 8, 2, &d)) {
		return false;
	}
	if (!http_date_time(s + 11, &secs) || !http_date_digits(s + 20, 4, &y))
		return false;
	return http_date_make(y, http_date_month(s + 4), d, secs, t);
}

/*
 * "Sunday, 06-Nov-94 08:49:37 GMT", @s past the day name. RFC 9110: a
 * two-digit year that appears to be more than 50 years in the future is the
 * most recent past year with those digits. Taking the year from the century
 * that puts it within (now - 50, now + 50] does exactly that.
 */
static bool http_date_rfc850(const char *s, s64 now, s64 *t)
{
	int d, yy, secs;
	s64 now_y, y;
	int now_m, now_d;

	if (s[0] != ',' || s[1] != ' ' || s[4] != '-' || s[8] != '-' ||
	    s[11] != ' ' || s[20] != ' ' || !http_date_eq(s + 21, "GMT", 3))
		return false;
	if (!http_date_digits(s + 2, 2, &d) ||
	    !http_date_digits(s + 9, 2, &yy) || !http_date_time(s + 12, &secs))
		return false;
	if (now < 0)
		now = 0;
	if (now > HTTP_DATE_MAX)
		now = HTTP_DATE_MAX;
	http_civil_from_days(now / HTTP_DAY_SECS, &now_y, &now_m, &now_d);
	y = now_y - now_y % 100 + yy;
	if (y > now_y + 50)
		y -= 100;
	else if (y <= now_y - 50)
		y += 100;
	return http_date_make(y, http_date_month(s + 5), d, secs, t);
}

bool http_date_parse(const char *s, size_t len, s64 now, s64 *t)
{
	size_t n = 0;
	int i;

	while (n < len && n < 10 &&
	       ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z')))
		n++;
	/*
	 * The day name must be one of the seven, but it is not checked against
	 * the date: the date alone names the day, and nginx does not check it
	 * either.
	 */
	for (i = 0; i < 7; i++) {
		if (n == 3 && http_date_eq(s, http_wday[i], 3)) {
			if (len == 29)
				return http_date_imf(s, t);
			if (len == 24)
				return http_date_asctime(s, t);
			return false;
		}
		/* eq stops at the name's NUL, so name[n] is in bounds. */
		if (n > 3 && http_date_eq(s, http_wday_long[i], n) &&
		    http_wday_long[i][n] == '\0')
			return len == n + 24 && http_date_rfc850(s + n, now, t);
	}
	return false;
}
