/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_KV_PARSE_H
#define _FH_KV_PARSE_H

/*
 * memcached's text protocol, the part that is only text: finding a command
 * line, splitting it into tokens as memcached does (on spaces only, empty
 * tokens skipped), naming the command and reading its numbers with
 * memcached's strictness. Plain C with no kernel include, so the same file
 * builds in userspace for unit tests and fuzzing (tests/kv/).
 */
#include "../http/http_types.h"

#define KV_KEY_MAX	250
/* memcached's MAX_TOKENS: a command line has at most this many tokens. */
#define KV_TOKENS_MAX	24
/*
 * A command line without its end in this many bytes is cut off, as
 * memcached cuts it (2048); a get, gets, gat or gats line may be as long
 * as KV_GET_LINE_MAX, so a large multiget still works.
 */
#define KV_LINE_MAX	2048
#define KV_GET_LINE_MAX	(256 * 1024)

enum kv_cmd {
	KV_CMD_UNKNOWN,
	KV_CMD_GET, KV_CMD_GETS, KV_CMD_GAT, KV_CMD_GATS,
	KV_CMD_SET, KV_CMD_ADD, KV_CMD_REPLACE, KV_CMD_APPEND,
	KV_CMD_PREPEND, KV_CMD_CAS,
	KV_CMD_DELETE, KV_CMD_INCR, KV_CMD_DECR, KV_CMD_TOUCH,
	KV_CMD_FLUSH_ALL, KV_CMD_STATS, KV_CMD_VERSION, KV_CMD_VERBOSITY,
	KV_CMD_QUIT,
	KV_CMD_MG, KV_CMD_MS, KV_CMD_MD, KV_CMD_MA, KV_CMD_MN, KV_CMD_ME,
};

struct kv_tok {
	const char *p;
	u32 len;
};

struct kv_line {
	u32 n;			/* tokens */
	bool more;		/* more than KV_TOKENS_MAX: the rest not split */
	struct kv_tok t[KV_TOKENS_MAX];
};

/* The storage commands' line, read (set, add, replace, append, prepend, cas). */
struct kv_store_req {
	struct kv_tok key;
	u32 flags;
	s64 exptime;
	u32 bytes;		/* the data block's length, without its \r\n */
	u64 cas;
	bool noreply;
};

/*
 * A meta command's flags (mg, ms, md, ma): one letter each, some with a
 * token after it (T30, O123, MS). The tokens stay in the line, in the
 * order given, because return flags are answered in that order.
 */
#define KV_OPAQUE_MAX	32

struct kv_meta {
	u64 seen;		/* a bit per letter, kv_meta_bit() */
	u32 first, n;		/* the flags are l->t[first .. first + n) */
	bool q, b, v, noupdate;
	char mode;		/* M's letter, 0 if none */
	s64 ttl, vivify, recache;	/* T, N, R: exptimes */
	u32 client_flags;	/* F */
	u64 cas, new_cas;	/* C, E */
	u64 delta, initial;	/* D, J */
};

enum kv_meta_err {
	KV_META_OK,
	KV_META_INVALID,	/* "CLIENT_ERROR invalid flag" */
	KV_META_DUPLICATE,	/* "CLIENT_ERROR duplicate flag" */
	KV_META_BAD_TOKEN,	/* "CLIENT_ERROR bad token in command line format" */
	KV_META_OPAQUE,		/* "CLIENT_ERROR opaque token too long" */
};

static inline u64 kv_meta_bit(char c)
{
	if (c >= 'a' && c <= 'z')
		return 1ULL << (c - 'a');
	if (c >= 'A' && c <= 'Z')
		return 1ULL << (26 + c - 'A');
	return 0;
}

static inline bool kv_meta_has(const struct kv_meta *m, char c)
{
	return m->seen & kv_meta_bit(c);
}

/*
 * Reads the flags l->t[first..] of a command that takes the letters in
 * @allowed; @m says what was given.
 */
enum kv_meta_err kv_meta_parse(const struct kv_line *l, u32 first,
			       const char *allowed, struct kv_meta *m);

/*
 * Base64 (RFC 4648, padded) for b-flag keys: the decoded length, or -1.
 * Encoding writes 4 * ceil(len / 3) bytes.
 */
int kv_b64_decode(const char *in, u32 len, unsigned char *out, u32 cap);
u32 kv_b64_encode(const unsigned char *in, u32 len, char *out);

/*
 * The length of the line @buf starts with, its '\n' included; 0 when
 * @len bytes hold no '\n'.
 */
size_t kv_line_len(const char *buf, size_t len);
/*
 * The next token of @s from *@pos on, for lines with any number of them
 * (a multiget); false at the end.
 */
bool kv_next(const char *s, size_t len, size_t *pos, struct kv_tok *t);
/* Splits a line (its "\r\n" or "\n" removed) into @l. */
void kv_split(const char *s, size_t len, struct kv_line *l);
enum kv_cmd kv_cmd_of(const struct kv_tok *t);
/* Whether a line starting with @buf may be as long as KV_GET_LINE_MAX. */
bool kv_is_get_line(const char *buf, size_t len);
/* 1..KV_KEY_MAX bytes, none a control character (spaces split tokens). */
bool kv_key_ok(const struct kv_tok *t);
bool kv_tok_is(const struct kv_tok *t, const char *word);
/* Decimal only, whole token, no sign, no overflow (memcached's safe_strtoul). */
bool kv_u32(const struct kv_tok *t, u32 *v);
bool kv_u64(const struct kv_tok *t, u64 *v);
/* An optional '-', then decimal digits, within 32 bits (safe_strtol). */
bool kv_s32(const struct kv_tok *t, s64 *v);
/*
 * A storage command's line: 0; -1: "CLIENT_ERROR bad command line format"
 * (a bad key or number); -2: "ERROR" (too few or too many tokens, as
 * memcached takes it for no command it knows). @cas: the line is cas's,
 * with its unique before noreply.
 */
int kv_parse_store(const struct kv_line *l, bool cas, struct kv_store_req *r);

#endif /* _FH_KV_PARSE_H */
