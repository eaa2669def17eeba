/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_HTTP_RANGE_H
#define _FH_HTTP_RANGE_H

#include "http_types.h"

/*
 * What a Range header field value asks of a representation of a given size
 * (RFC 9110 14.1.2, 14.2), and what to answer.
 */
enum http_range_result {
	/* No range to apply: answer 200 with the whole representation. */
	HTTP_RANGE_NONE,
	/* One satisfiable range, in *start and *count: answer 206. */
	HTTP_RANGE_SINGLE,
	/* No range overlaps the representation: 416, "bytes * /SIZE". */
	HTTP_RANGE_UNSATISFIABLE,
	/*
	 * Two or more satisfiable ranges: answer 200 with the whole
	 * representation (RFC 9110 14.2 lets a server ignore Range; this one
	 * sends no multipart/byteranges).
	 */
	HTTP_RANGE_MULTI,
	/*
	 * The value is not a valid bytes ranges-specifier (bad syntax, a
	 * last-pos below its first-pos, an other-range): ignore the field and
	 * answer 200. RFC 9110 14.2 lets a server ignore or reject it; nginx
	 * rejects what follows "bytes=" with 416, so a caller that wants
	 * nginx's answer maps this to 416.
	 */
	HTTP_RANGE_INVALID,
};

/*
 * Evaluate the Range field value @v (@len bytes, OWS already trimmed or
 * not) against a representation of @size bytes. The unit is matched
 * case-insensitively; a unit other than "bytes" is ignored (NONE), as RFC
 * 9110 14.2 requires. Whitespace is accepted only where the ABNF has OWS:
 * around the commas of the range-set. Numbers of any length are compared
 * exactly; one too large for 64 bits is simply beyond any size.
 *
 * A zero-length representation: RFC 9110 14.1.1 leaves only a suffix-range
 * satisfiable, yet a 206 of zero bytes cannot be written (Content-Range
 * has no empty form). As nginx does, a set with a suffix-range or a range
 * starting at 0 gets the whole (empty) representation (NONE, 200), and any
 * other set is UNSATISFIABLE (416).
 */
enum http_range_result http_range_parse(const char *v, size_t len, u64 size,
					u64 *start, u64 *count);

#endif /* _FH_HTTP_RANGE_H */
