// SPDX-License-Identifier: GPL-2.0
/* kv's command lines (kmod/kv/kv_parse.c), as memcached reads them. */
#include "ht.h"
#include "../../kmod/kv/kv_parse.h"

static struct kv_line l;

static void split(const char *s)
{
	kv_split(s, strlen(s), &l);
}

static struct kv_tok tok(const char *s)
{
	struct kv_tok t = { s, (u32)strlen(s) };

	return t;
}

TEST(kv_line_ends_at_its_newline_and_not_before)
{
	CHECK_INT(kv_line_len("get a\r\nget b\r\n", 14), 7);
	CHECK_INT(kv_line_len("get a\n", 6), 6);
	CHECK_INT(kv_line_len("get a\r", 6), 0);
}

TEST(kv_tokens_split_on_spaces_and_skip_empty_ones)
{
	split("  set  k 0 0   5 ");
	CHECK_INT(l.n, 5);
	CHECK(kv_tok_is(&l.t[0], "set"), "first token");
	CHECK(kv_tok_is(&l.t[4], "5"), "last token");
	CHECK(!l.more, "not more");
}

TEST(kv_tabs_are_not_separators)
{
	split("get\ta");
	CHECK_INT(l.n, 1);
	CHECK_INT(kv_cmd_of(&l.t[0]), KV_CMD_UNKNOWN);
}

TEST(kv_more_than_24_tokens_are_marked)
{
	split("a b c d e f g h i j k l m n o p q r s t u v w x y");
	CHECK_INT(l.n, KV_TOKENS_MAX);
	CHECK(l.more, "25 tokens are more");
}

TEST(kv_commands_are_named_exactly)
{
	struct kv_tok t = tok("gets");

	CHECK_INT(kv_cmd_of(&t), KV_CMD_GETS);
	t = tok("GET");
	CHECK_INT(kv_cmd_of(&t), KV_CMD_UNKNOWN);
	t = tok("ge");
	CHECK_INT(kv_cmd_of(&t), KV_CMD_UNKNOWN);
	t = tok("flush_all");
	CHECK_INT(kv_cmd_of(&t), KV_CMD_FLUSH_ALL);
}

TEST(kv_keys_of_250_bytes_pass_and_251_do_not)
{
	char k[252];
	struct kv_tok t = { k, 250 };

	memset(k, 'k', sizeof(k));
	CHECK(kv_key_ok(&t), "250 bytes");
	t.len = 251;
	CHECK(!kv_key_ok(&t), "251 bytes");
	k[3] = 0x7f;
	t.len = 10;
	CHECK(!kv_key_ok(&t), "DEL inside");
}

TEST(kv_numbers_are_strict)
{
	struct kv_tok t = tok("4294967295");
	u32 v32;
	u64 v64;
	s64 s;

	CHECK(kv_u32(&t, &v32) && v32 == 4294967295U, "u32 max");
	t = tok("4294967296");
	CHECK(!kv_u32(&t, &v32), "u32 overflow");
	t = tok("18446744073709551615");
	CHECK(kv_u64(&t, &v64) && v64 == ~0ULL, "u64 max");
	t = tok("18446744073709551616");
	CHECK(!kv_u64(&t, &v64), "u64 overflow");
	t = tok("12a");
	CHECK(!kv_u64(&t, &v64), "trailing letter");
	t = tok("-1");
	CHECK(!kv_u64(&t, &v64), "sign on unsigned");
	CHECK(kv_s32(&t, &s) && s == -1, "negative exptime");
	t = tok("-");
	CHECK(!kv_s32(&t, &s), "sign alone");
}

TEST(kv_storage_line_reads_its_numbers_and_noreply)
{
	struct kv_store_req r;

	split("set key 7 100 5 noreply");
	CHECK_INT(kv_parse_store(&l, false, &r), 0);
	CHECK_INT(r.flags, 7);
	CHECK_INT(r.exptime, 100);
	CHECK_INT(r.bytes, 5);
	CHECK(r.noreply, "noreply");
	split("cas key 0 0 5 99");
	CHECK_INT(kv_parse_store(&l, true, &r), 0);
	CHECK_INT(r.cas, 99);
	CHECK(!r.noreply, "no noreply");
	split("set key 0 0 -1");
	CHECK_INT(kv_parse_store(&l, false, &r), -1);
	split("set key 0 0");
	CHECK_INT(kv_parse_store(&l, false, &r), -2);
}

TEST(kv_get_lines_are_recognised_for_their_longer_limit)
{
	CHECK(kv_is_get_line("get a", 5), "get");
	CHECK(kv_is_get_line("  gets a", 8), "gets");
	CHECK(kv_is_get_line("gat 0 a", 7), "gat");
	CHECK(!kv_is_get_line("getx", 4), "getx");
	CHECK(!kv_is_get_line("set a", 5), "set");
}

TEST(kv_next_walks_any_number_of_keys)
{
	const char *s = "get a  bb ccc";
	struct kv_tok t;
	size_t pos = 0;
	int n = 0;

	while (kv_next(s, strlen(s), &pos, &t))
		n++;
	CHECK_INT(n, 4);
	CHECK_INT(t.len, 3);
}

TEST(kv_meta_flags_are_read_with_their_tokens)
{
	struct kv_meta m;

	split("mg key v T30 O123 k q");
	CHECK_INT(kv_meta_parse(&l, 2, "bcfhklOqstuvENRT", &m), KV_META_OK);
	CHECK(m.v && m.q, "v and q");
	CHECK_INT(m.ttl, 30);
	CHECK(kv_meta_has(&m, 'O') && kv_meta_has(&m, 'k'), "O and k");
	CHECK_INT(m.n, 5);
}

TEST(kv_meta_unknown_repeated_and_bad_flags_are_told_apart)
{
	struct kv_meta m;

	split("mg key zz");
	CHECK_INT(kv_meta_parse(&l, 2, "bcfhklOqstuvENRT", &m), KV_META_INVALID);
	split("mg key v v");
	CHECK_INT(kv_meta_parse(&l, 2, "bcfhklOqstuvENRT", &m), KV_META_DUPLICATE);
	split("mg key Tabc");
	CHECK_INT(kv_meta_parse(&l, 2, "bcfhklOqstuvENRT", &m), KV_META_BAD_TOKEN);
	split("mg key O123456789012345678901234567890123");
	CHECK_INT(kv_meta_parse(&l, 2, "bcfhklOqstuvENRT", &m), KV_META_OPAQUE);
	split("ms key 1 MS");
	CHECK_INT(kv_meta_parse(&l, 3, "bcCEFkOqsTM", &m), KV_META_OK);
	CHECK_INT(m.mode, 'S');
}

TEST(kv_base64_keys_decode_and_encode_back)
{
	unsigned char out[16];
	char enc[16];
	int n;

	n = kv_b64_decode("Zm9vYmFy", 8, out, sizeof(out));
	CHECK_INT(n, 6);
	CHECK(!memcmp(out, "foobar", 6), "foobar");
	CHECK_INT(kv_b64_encode(out, 6, enc), 8);
	CHECK(!memcmp(enc, "Zm9vYmFy", 8), "encodes back");
	CHECK_INT(kv_b64_decode("Zm8=", 4, out, sizeof(out)), 2);
	CHECK_INT(kv_b64_encode((const unsigned char *)"fo", 2, enc), 4);
	CHECK(!memcmp(enc, "Zm8=", 4), "padded");
	CHECK_INT(kv_b64_decode("!!!!", 4, out, sizeof(out)), -1);
	CHECK_INT(kv_b64_decode("Zm8", 3, out, sizeof(out)), -1);
	CHECK_INT(kv_b64_decode("Zm=v", 4, out, sizeof(out)), -1);
}
