// SPDX-License-Identifier: GPL-2.0
/* Request paths: decode once, resolve beneath the root; content types. */
#include "http_path.h"

static int http_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The segment out[seg..*o) has just ended. Drop it if it is empty (a
 * repeated slash) or ".", drop it and its parent if it is "..", else keep
 * it. Returns 400 for a ".." at the root, else 0; *kept says whether a
 * segment remains (so a slash follows).
 */
static int http_seg_end(char *out, size_t seg, size_t *o, bool *kept)
{
	size_t n = *o - seg;

	*kept = false;
	if (n == 0)
		return 0;
	if (n == 1 && out[seg] == '.') {
		*o = seg;
		return 0;
	}
	if (n == 2 && out[seg] == '.' && out[seg + 1] == '.') {
		/* out[seg - 1] is the slash before ".."; seg == 1: the root */
		if (seg == 1)
			return 400;
		*o = seg - 1;
		while (out[*o - 1] != '/')
			(*o)--;
		return 0;
	}
	*kept = true;
	return 0;
}

int http_path_normalize(const char *in, size_t len, char *out, size_t cap,
			size_t *out_len, bool *is_dir)
{
	size_t i, o = 0, seg;
	bool kept = false;
	int err;

	if (cap < 1)
		return 414;
	out[o++] = '/';
	seg = o;
	for (i = 0; i < len; i++) {
		unsigned char c = in[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return 400;
			hi = http_hex(in[i + 1]);
			lo = http_hex(in[i + 2]);
			if (hi < 0 || lo < 0)
				return 400;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return 400;
		if (c == '/') {
			err = http_seg_end(out, seg, &o, &kept);
			if (err)
				return err;
			if (kept) {
				if (o == cap)
					return 414;
				out[o++] = '/';
			}
			seg = o;
			continue;
		}
		if (o == cap)
			return 414;
		out[o++] = c;
	}
	err = http_seg_end(out, seg, &o, &kept);
	if (err)
		return err;
	*out_len = o;
	*is_dir = !kept;
	return 0;
}

size_t http_path_ext(const char *path, size_t len, const char **ext)
{
	size_t i = len;

	while (i > 0 && path[i - 1] != '/') {
		if (path[i - 1] == '.') {
			*ext = path + i;
			return len - i;
		}
		i--;
	}
	*ext = path + len;
	return 0;
}

struct http_mime {
	const char *ext;
	const char *type;
};

/* The common web types; the names follow nginx's mime.types and IANA. */
static const struct http_mime http_mimes[] = {
	{ "html", "text/html" },
	{ "htm", "text/html" },
	{ "css", "text/css" },
	{ "js", "text/javascript" },
	{ "mjs", "text/javascript" },
	{ "json", "application/json" },
	{ "txt", "text/plain" },
	{ "xml", "text/xml" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "ico", "image/x-icon" },
	{ "avif", "image/avif" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "pdf", "application/pdf" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "wasm", "application/wasm" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "wav", "audio/wav" },
	{ "csv", "text/csv" },
	{ "md", "text/markdown" },
};

#define HTTP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* @e (@len bytes, any case) equals the lower-case NUL-terminated @name. */
static bool http_ext_eq(const char *e, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = e[i];

		if (name[i] == '\0')
			return false;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != name[i])
			return false;
	}
	return name[len] == '\0';
}

const char *http_mime_type(const char *ext, size_t len)
{
	size_t i;

	for (i = 0; i < HTTP_ARRAY_SIZE(http_mimes); i++)
		if (http_ext_eq(ext, len, http_mimes[i].ext))
			return http_mimes[i].type;
	return "application/octet-stream";
}

const char *http_content_type(const char *path, size_t len)
{
	const char *ext;
	size_t n = http_path_ext(path, len, &ext);

	return http_mime_type(ext, n);
}
