// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for kv's command lines (make fuzz): every line of the
 * input is split and read as kv.c reads it; tokens lie within the line,
 * are never empty and hold no space; a key that passes is 1..250 bytes
 * with no control character.
 */
#include <stdlib.h>
#include <string.h>

#include "../../../kmod/kv/kv_parse.h"

static void check_tok(const char *s, size_t len, const struct kv_tok *t)
{
	u32 i;

	if (t->p < s || t->p + t->len > s + len || !t->len)
		abort();
	for (i = 0; i < t->len; i++)
		if (t->p[i] == ' ')
			abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data;
	struct kv_store_req r;
	struct kv_line l;
	struct kv_tok t;
	size_t len, pos;
	u32 i;

	while (size) {
		len = kv_line_len(s, size);
		if (!len)
			len = size;
		kv_split(s, len, &l);
		for (i = 0; i < l.n; i++)
			check_tok(s, len, &l.t[i]);
		if (l.n)
			(void)kv_cmd_of(&l.t[0]);
		(void)kv_is_get_line(s, len);
		if (!kv_parse_store(&l, l.n == 6 || l.n == 7, &r) &&
		    (!kv_key_ok(&r.key) || r.key.len > KV_KEY_MAX))
			abort();
		pos = 0;
		while (kv_next(s, len, &pos, &t))
			check_tok(s, len, &t);
		if (l.n >= 2) {
			struct kv_meta m;
			unsigned char key[KV_KEY_MAX];
			char enc[4 * ((KV_KEY_MAX + 2) / 3)];
			int k;

			(void)kv_meta_parse(&l, 2, "bcCEFhIJklMNOqRsStTuvx", &m);
			/* A key that decodes encodes back to the same text. */
			k = kv_b64_decode(l.t[1].p, l.t[1].len, key, sizeof(key));
			if (k > 0 && (kv_b64_encode(key, (u32)k, enc) != l.t[1].len ||
				      memcmp(enc, l.t[1].p, l.t[1].len)))
				abort();
		}
		s += len;
		size -= len;
	}
	return 0;
}
