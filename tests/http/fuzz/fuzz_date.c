// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the HTTP date parser (make fuzz): a date that
 * parses, formatted again as an IMF-fixdate and parsed again, is the same
 * second; and a formatted date is exactly HTTP_DATE_LEN bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "http_date.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char buf[HTTP_DATE_LEN + 1];
	s64 t, t2;

	if (!http_date_parse((const char *)data, size, 1735689600, &t))
		return 0;
	if (t < 0 || t > HTTP_DATE_MAX)
		return 0;
	memset(buf, 0, sizeof(buf));
	http_date_format(t, buf);
	if (buf[HTTP_DATE_LEN])
		abort();
	if (!http_date_parse(buf, HTTP_DATE_LEN, 1735689600, &t2) || t2 != t)
		abort();
	return 0;
}
