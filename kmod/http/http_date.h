/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_HTTP_DATE_H
#define _FH_HTTP_DATE_H

#include "http_types.h"

/* "Sun, 06 Nov 1994 08:49:37 GMT": the only form a server sends. */
#define HTTP_DATE_LEN 29

/* The range http_date_format() can write: 1970-01-01 to 9999-12-31. */
#define HTTP_DATE_MAX 253402300799LL

/*
 * Write @t (seconds since the epoch) as an IMF-fixdate into exactly
 * HTTP_DATE_LEN bytes of @out, without a terminating NUL. A time outside
 * 0..HTTP_DATE_MAX is clamped to it.
 */
void http_date_format(s64 t, char *out);

/*
 * Parse an HTTP-date (RFC 9110 5.6.7) in any of its three forms:
 * IMF-fixdate, the obsolete RFC 850 form and asctime's. @now (seconds since
 * the epoch) resolves RFC 850's two-digit year: a year more than 50 years
 * after @now's is taken from the century before. Returns false, leaving @t
 * alone, for anything that is not exactly one of the three forms or names no
 * real instant (30 February, hour 24, ...).
 */
bool http_date_parse(const char *s, size_t len, s64 now, s64 *t);

#endif /* _FH_HTTP_DATE_H */
