/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_HTTP_PATH_H
#define _FH_HTTP_PATH_H

#include "http_types.h"

/*
 * Turn the path of a request-target into a path beneath the root.
 *
 * @in (@len bytes) is the path as received, without the query. It is
 * percent-decoded exactly once ("%252e" becomes the three bytes "%2e", a
 * file name), and only then normalised, so an encoded "." or "/" ("%2e",
 * "%2F") is a dot or a slash like any other: repeated slashes collapse,
 * "." segments go, ".." removes the segment before it. The result, in @out
 * (@cap bytes, not NUL-terminated; its length in *@out_len), always begins
 * with "/" and has no "." or ".." segment and no "//".
 *
 * Returns 0, or the status to answer:
 *   400  a "%" not followed by two hex digits (either case); a NUL or any
 *        other control character (0x00-0x1f, 0x7f), raw or encoded; a ".."
 *        that would climb above the root (nginx answers 400 too)
 *   414  the result does not fit in @cap (never when @cap > @len)
 *
 * *@is_dir tells whether the result ends with "/" (a directory: the input
 * ended with "/", "/." or "/.."), for index handling.
 *
 * Bytes are bytes: a backslash is an ordinary file-name byte on Linux (as
 * in nginx there), and bytes >= 0x80 pass unchanged, so an overlong UTF-8
 * "%c0%ae" is the byte 0xc0 then 0xae, never a dot.
 */
int http_path_normalize(const char *in, size_t len, char *out, size_t cap,
			size_t *out_len, bool *is_dir);

/*
 * The extension of the last segment of @path: the bytes after its last
 * ".", as nginx takes it (".htaccess" has the extension "htaccess"). Returns
 * its length (0: none) and points *@ext at it.
 */
size_t http_path_ext(const char *path, size_t len, const char **ext);

/*
 * The Content-Type for an extension, matched case-insensitively against a
 * built-in table of the common web types; anything else is
 * "application/octet-stream". No charset parameter is added, as nginx adds
 * none by default.
 */
const char *http_mime_type(const char *ext, size_t len);

/* http_mime_type() of http_path_ext() of @path. */
const char *http_content_type(const char *path, size_t len);

#endif /* _FH_HTTP_PATH_H */
