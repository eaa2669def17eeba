// SPDX-License-Identifier: GPL-2.0
/* Range: bytes=... against a file size (RFC 9110 14.1.2, 14.2). */
#include "http_range.h"

#define HTTP_U64_MAX ((u64)~0ULL)

static bool http_range_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool http_range_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char http_range_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * A run of digits at v[*i]: its value, saturated at U64_MAX, and its
 * significant digits (no leading zeros) for an exact comparison of two
 * saturated values. False if there is no digit.
 */
struct http_range_num {
	u64 val;
	size_t sig;	/* offset of the first significant digit */
	size_t nsig;	/* number of significant digits */
	bool sat;
};

static bool http_range_num(const char *v, size_t len, size_t *i,
			   struct http_range_num *n)
{
	size_t p = *i;

	n->val = 0;
	n->sat = false;
	if (p >= len || !http_range_digit(v[p]))
		return false;
	while (p < len && v[p] == '0')
		p++;
	n->sig = p;
	for (; p < len && http_range_digit(v[p]); p++) {
		u64 d = v[p] - '0';

		if (n->sat || n->val > (HTTP_U64_MAX - d) / 10)
			n->sat = true;
		else
			n->val = n->val * 10 + d;
	}
	if (n->sat)
		n->val = HTTP_U64_MAX;
	n->nsig = p - n->sig;
	*i = p;
	return true;
}

/* a > b, exactly, whatever their size. */
static bool http_range_gt(const char *v, const struct http_range_num *a,
			  const struct http_range_num *b)
{
	size_t k;

	if (!a->sat && !b->sat)
		return a->val > b->val;
	if (a->nsig != b->nsig)
		return a->nsig > b->nsig;
	for (k = 0; k < a->nsig; k++)
		if (v[a->sig + k] != v[b->sig + k])
			return v[a->sig + k] > v[b->sig + k];
	return false;
}

enum http_range_result http_range_parse(const char *v, size_t len, u64 size,
					u64 *start, u64 *count)
{
	static const char unit[] = "bytes";
	struct http_range_num first, last;
	size_t i = 0, k, found = 0, specs = 0;
	u64 s = 0, e = 0;
	bool whole = false;

	while (len && http_range_ows(v[len - 1]))
		len--;
	while (i < len && http_range_ows(v[i]))
		i++;

	/*
	 * range-unit "=": any other unit must be ignored (RFC 9110 14.2), and
	 * so is a value with no unit at all, as nginx does.
	 */
	for (k = 0; i + k < len && v[i + k] != '='; k++)
		;
	if (i + k == len || k != sizeof(unit) - 1)
		return HTTP_RANGE_NONE;
	for (k = 0; k < sizeof(unit) - 1; k++)
		if (http_range_lower(v[i + k]) != unit[k])
			return HTTP_RANGE_NONE;
	i += sizeof(unit);

	/* 1#range-spec, empty list elements allowed (RFC 9110 5.6.1.2). */
	for (;;) {
		while (i < len && http_range_ows(v[i]))
			i++;
		if (i < len && v[i] == ',') {
			i++;
			continue;
		}
		if (i == len)
			break;

		if (v[i] == '-') {
			/* suffix-range: the last n bytes; n = 0 is nothing */
			i++;
			if (!http_range_num(v, len, &i, &last))
				return HTTP_RANGE_INVALID;
			if (size == 0) {
				whole = true;
			} else if (last.val) {
				found++;
				if (found == 1) {
					s = last.val >= size ? 0 : size - last.val;
					e = size - 1;
				}
			}
		} else {
			/* int-range: first-pos "-" [ last-pos ] */
			if (!http_range_num(v, len, &i, &first))
				return HTTP_RANGE_INVALID;
			if (i == len || v[i] != '-')
				return HTTP_RANGE_INVALID;
			i++;
			last.val = HTTP_U64_MAX;
			if (i < len && http_range_digit(v[i])) {
				http_range_num(v, len, &i, &last);
				if (http_range_gt(v, &first, &last))
					return HTTP_RANGE_INVALID;
			}
			if (size == 0 && first.val == 0) {
				whole = true;
			} else if (first.val < size) {
				found++;
				if (found == 1) {
					s = first.val;
					e = last.val < size ? last.val : size - 1;
				}
			}
		}
		specs++;

		while (i < len && http_range_ows(v[i]))
			i++;
		if (i == len)
			break;
		if (v[i] != ',')
			return HTTP_RANGE_INVALID;
		i++;
	}

	if (!specs)
		return HTTP_RANGE_INVALID;
	if (whole)
		return HTTP_RANGE_NONE;
	if (!found)
		return HTTP_RANGE_UNSATISFIABLE;
	if (found > 1)
		return HTTP_RANGE_MULTI;
	*start = s;
	*count = e - s + 1;
	return HTTP_RANGE_SINGLE;
}
