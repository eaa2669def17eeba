// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the Range parser (make fuzz): a satisfiable single
 * range always lies inside the file, for files of every size the first
 * eight bytes pick.
 */
#include <stdlib.h>
#include <string.h>

#include "http_range.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	u64 fsize = 0, start, count;

	if (size < 8)
		return 0;
	memcpy(&fsize, data, 8);
	/* Small sizes most of the time, every size some of the time. */
	if (data[0] & 1)
		fsize &= 0xffff;
	if (http_range_parse((const char *)data + 8, size - 8, fsize, &start, &count) ==
	    HTTP_RANGE_SINGLE && (!count || start >= fsize || count > fsize - start))
		abort();
	return 0;
}
