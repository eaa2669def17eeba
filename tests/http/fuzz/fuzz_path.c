// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the path normaliser (make fuzz). Whatever the
 * input, a path that normalises is absolute, has no "." or ".." segment,
 * no "//", no NUL or control byte, and normalising it again changes
 * nothing: it is what the loader hands to the VFS beneath the root.
 */
#include <stdlib.h>
#include <string.h>

#include "http_path.h"

static char out[256], again[256];

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	size_t ol, al, i;
	bool dir, dir2;

	if (http_path_normalize((const char *)data, size, out, sizeof(out), &ol, &dir))
		return 0;
	if (!ol || out[0] != '/')
		abort();
	for (i = 0; i < ol; i++) {
		unsigned char c = out[i];

		if (c < 0x20 || c == 0x7f)
			abort();
		if (c == '/' && i + 1 < ol && out[i + 1] == '/')
			abort();
		if (c == '/' && i + 2 <= ol && out[i + 1] == '.' &&
		    (i + 2 == ol || out[i + 2] == '/'))
			abort();
		if (c == '/' && i + 3 <= ol && out[i + 1] == '.' && out[i + 2] == '.' &&
		    (i + 3 == ol || out[i + 3] == '/'))
			abort();
	}
	/* Stable: but '%' in a name is a literal, re-decoding would differ. */
	if (!memchr(out, '%', ol)) {
		if (http_path_normalize(out, ol, again, sizeof(again), &al, &dir2))
			abort();
		if (al != ol || memcmp(out, again, ol))
			abort();
	}
	http_content_type(out, ol);
	return 0;
}
