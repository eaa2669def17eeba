// SPDX-License-Identifier: GPL-2.0
/* The path normaliser, the extension and the content-type table. */
#include "ht.h"
#include "http_path.h"

static char out[512];
static size_t out_len;
static bool is_dir;

static int norm_n(const char *in, size_t n)
{
	out_len = 0;
	is_dir = false;
	return http_path_normalize(in, n, out, sizeof(out), &out_len, &is_dir);
}

#define NORM(lit) norm_n(S(lit))

/* Normalises to want (is_dir as given), or fails the test. */
#define CHECK_NORM(lit, want, dir)					\
	do {								\
		int _e = NORM(lit);					\
		CHECK(_e == 0, "\"%s\" gives %d", ht_esc(S(lit)), _e);	\
		CHECK(ht_bytes_eq(out, out_len, want),			\
		      "\"%s\" gives \"%s\", expected \"%s\"",		\
		      ht_esc(S(lit)), ht_esc(out, out_len), want);	\
		CHECK(is_dir == (dir), "\"%s\": is_dir %d",		\
		      ht_esc(S(lit)), is_dir);				\
	} while (0)

#define CHECK_REJECT(lit, status)					\
	do {								\
		int _e = NORM(lit);					\
		CHECK(_e == (status), "\"%s\" gives %d (\"%s\"), expected %d", \
		      ht_esc(S(lit)), _e, ht_esc(out, out_len), status); \
	} while (0)

TEST(path_root_is_slash_and_a_directory)
{
	CHECK_NORM("/", "/", true);
}

TEST(path_plain_file_is_unchanged)
{
	CHECK_NORM("/a/b/c.html", "/a/b/c.html", false);
}

TEST(path_trailing_slash_is_a_directory)
{
	CHECK_NORM("/a/b/", "/a/b/", true);
}

TEST(path_is_percent_decoded)
{
	CHECK_NORM("/a%20b/%41%42", "/a b/AB", false);
}

TEST(path_hex_digits_of_either_case_decode)
{
	CHECK_NORM("/%4a%4A%6f%6F", "/JJoo", false);
}

TEST(path_malformed_escape_is_400)
{
	CHECK_REJECT("/a%", 400);
	CHECK_REJECT("/a%4", 400);
	CHECK_REJECT("/a%zz", 400);
	CHECK_REJECT("/a%4g", 400);
	CHECK_REJECT("/a%g4", 400);
	CHECK_REJECT("/a%%41", 400);
}

TEST(path_encoded_percent_is_decoded_once)
{
	CHECK_NORM("/100%25", "/100%", false);
}

TEST(path_double_encoded_dots_stay_a_file_name)
{
	CHECK_NORM("/%252e%252e/x", "/%2e%2e/x", false);
	CHECK_NORM("/%252e%252e%252f", "/%2e%2e%2f", false);
}

TEST(path_raw_nul_is_400)
{
	CHECK_REJECT("/a\0b", 400);
}

TEST(path_encoded_nul_is_400)
{
	CHECK_REJECT("/a%00b", 400);
	CHECK_REJECT("/a%00", 400);
}

TEST(path_encoded_control_characters_are_400)
{
	CHECK_REJECT("/a%0ab", 400);
	CHECK_REJECT("/a%0D%0Ab", 400);
	CHECK_REJECT("/a%1f", 400);
	CHECK_REJECT("/a%7f", 400);
	CHECK_REJECT("/a%09", 400);
}

TEST(path_raw_control_characters_are_400)
{
	CHECK_REJECT("/a\x01", 400);
	CHECK_REJECT("/a\x7f", 400);
}

TEST(path_repeated_slashes_collapse)
{
	CHECK_NORM("//a///b//", "/a/b/", true);
	CHECK_NORM("////", "/", true);
}

TEST(path_dot_segments_are_removed)
{
	CHECK_NORM("/./a/./b/.", "/a/b/", true);
	CHECK_NORM("/a/.//./b", "/a/b", false);
}

TEST(path_dotdot_resolves_lexically)
{
	CHECK_NORM("/a/b/../c", "/a/c", false);
	CHECK_NORM("/a/b/../../c", "/c", false);
	CHECK_NORM("/a//b/..//c", "/a/c", false);
}

TEST(path_trailing_dotdot_is_the_parent_directory)
{
	CHECK_NORM("/a/b/..", "/a/", true);
	CHECK_NORM("/a/..", "/", true);
}

TEST(path_trailing_dot_is_the_directory)
{
	CHECK_NORM("/a/.", "/a/", true);
	CHECK_NORM("/a/%2e", "/a/", true);
}

TEST(path_dotdot_above_root_is_400)
{
	CHECK_REJECT("/..", 400);
	CHECK_REJECT("/../", 400);
	CHECK_REJECT("/../etc/passwd", 400);
	CHECK_REJECT("/a/../../b", 400);
	CHECK_REJECT("/a/b/../../../", 400);
	CHECK_REJECT("/./..", 400);
	CHECK_REJECT("//..", 400);
}

TEST(path_encoded_dotdot_above_root_is_400)
{
	CHECK_REJECT("/%2e%2e/etc/passwd", 400);
	CHECK_REJECT("/%2E%2e%2fetc", 400);
	CHECK_REJECT("/%2e./x", 400);
	CHECK_REJECT("/.%2E/x", 400);
	CHECK_REJECT("/a/%2e%2e/%2e%2e/x", 400);
	CHECK_REJECT("/a%2f..%2f..%2fx", 400);
}

TEST(path_encoded_slash_is_a_separator)
{
	CHECK_NORM("/a%2fb%2F%2Fc", "/a/b/c", false);
}

TEST(path_overlong_utf8_dot_is_not_a_dot)
{
	CHECK_NORM("/%c0%ae%c0%ae/x", "/\xc0\xae\xc0\xae/x", false);
	CHECK_NORM("/%c0%2e%c0%2e/x", "/\xc0.\xc0./x", false);
	CHECK_NORM("/%e0%80%ae%e0%80%ae/", "/\xe0\x80\xae\xe0\x80\xae/", true);
}

TEST(path_overlong_utf8_slash_is_not_a_slash)
{
	CHECK_NORM("/..%c0%af..%c0%afetc", "/..\xc0\xaf..\xc0\xaf" "etc", false);
}

TEST(path_backslash_is_an_ordinary_byte)
{
	CHECK_NORM("/..\\..\\etc", "/..\\..\\etc", false);
	CHECK_NORM("/a\\..\\b", "/a\\..\\b", false);
	CHECK_NORM("/%5c..%5c", "/\\..\\", false);
}

TEST(path_segments_with_more_dots_are_names)
{
	CHECK_NORM("/.../a", "/.../a", false);
	CHECK_NORM("/..a/.b/a..", "/..a/.b/a..", false);
}

TEST(path_raw_utf8_passes_unchanged)
{
	CHECK_NORM("/caf\xc3\xa9", "/caf\xc3\xa9", false);
}

TEST(path_without_leading_slash_gets_one)
{
	CHECK_NORM("a/b", "/a/b", false);
	CHECK_NORM("", "/", true);
}

TEST(path_output_that_does_not_fit_is_414)
{
	char small[4];
	size_t n;
	bool d;

	CHECK_INT(http_path_normalize(S("/abcd"), small, sizeof(small), &n, &d),
		  414);
	CHECK_INT(http_path_normalize(S("/abc"), small, sizeof(small), &n, &d),
		  0);
	CHECK_INT(http_path_normalize(S("/ab/"), small, sizeof(small), &n, &d),
		  0);
	CHECK_INT(http_path_normalize(S("/abc/"), small, sizeof(small), &n, &d),
		  414);
	CHECK_INT(http_path_normalize(S("/a"), small, 0, &n, &d), 414);
}

TEST(path_output_as_long_as_input_always_fits)
{
	static const char in[] = "/a/./b//c/../d%20e/";
	char buf[sizeof(in) - 1];
	size_t n;
	bool d;

	CHECK_INT(http_path_normalize(in, sizeof(in) - 1, buf, sizeof(buf), &n,
				      &d), 0);
}

/*
 * The traversal corpus: whatever the encoding, the result is 400 or a path
 * that starts with "/", holds no "//" and no "." or ".." segment, so it
 * stays beneath the root once joined to it.
 */
static const char * const traversal[] = {
	"/../", "/..", "/../../../../etc/passwd", "/..%2f..%2fetc%2fpasswd",
	"/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/", "/%2e%2E%2f", "/%2E%2e%2F..",
	"/.%2e/", "/%2e./", "/a/%2e%2e/%2e%2e/", "/a/b/%2e%2e%2f%2e%2e%2f%2e%2e",
	"/%252e%252e/", "/%252e%252e%252f", "/%25%32%65%25%32%65/",
	"/%c0%ae%c0%ae/", "/%c0%ae%c0%ae%c0%af", "/%e0%80%ae%e0%80%ae/",
	"/%c1%9c..", "/..\\..\\", "/%5c..%5c..%5c", "/a/..\\..\\b",
	"/a%00/../..", "/%00", "/a/.%00./", "/./././..", "/a/./../..",
	"//..//..//", "/a/b/c/../../../..", "/a/b/c/../../..", "/a/..//../",
	"/a/....//", "/.", "/./", "/a/..", "/a/.", "/%2e", "/%2e/", "/a/%2e%2e",
	"/a/%2e%2e/", "/%2f%2f..", "/%2F..%2F", "/x/%2e%2e%2f%2e%2e%2fetc",
	"/x/%2e%2e%5c%2e%2e%5cetc", "/x/..%252f..%252fetc", "/%ef%bc%8e%ef%bc%8e/",
	"/..;/", "/.;/..", "/%2e%2e;/", "/x/..%00/", "/x/.../", "/ ../",
};

static bool segment_is_dots(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

TEST(traversal_corpus_never_leaves_the_root)
{
	size_t i, k, seg;
	int e;

	for (i = 0; i < sizeof(traversal) / sizeof(traversal[0]); i++) {
		e = norm_n(traversal[i], strlen(traversal[i]));
		if (e) {
			CHECK(e == 400, "\"%s\" gives %d", traversal[i], e);
			continue;
		}
		CHECK(out_len && out[0] == '/', "\"%s\": no leading slash",
		      traversal[i]);
		seg = 1;
		for (k = 1; k <= out_len; k++) {
			if (k < out_len && out[k] != '/')
				continue;
			CHECK(k > seg || k == out_len,
			      "\"%s\" gives \"%s\": empty segment", traversal[i],
			      ht_esc(out, out_len));
			CHECK(!segment_is_dots(out + seg, k - seg),
			      "\"%s\" gives \"%s\": dot segment", traversal[i],
			      ht_esc(out, out_len));
			seg = k + 1;
		}
		CHECK(memchr(out, '\0', out_len) == NULL,
		      "\"%s\": NUL in the result", traversal[i]);
	}
}

TEST(traversal_corpus_climbs_are_400)
{
	static const char * const climbs[] = {
		"/../", "/%2e%2e/", "/%2E%2e%2f", "/.%2e", "/%2e.",
		"/a/%2e%2e/%2e%2e/x", "/a%2f%2e%2e%2f%2e%2e", "//%2e%2e//",
		"/a/b/c/../../../..", "/./././..", "/a/..//../",
	};
	size_t i;
	int e;

	for (i = 0; i < sizeof(climbs) / sizeof(climbs[0]); i++) {
		e = norm_n(climbs[i], strlen(climbs[i]));
		CHECK(e == 400, "\"%s\" gives %d, expected 400", climbs[i], e);
	}
}

/* ---- extension and content type ---- */

static const char *ext_of(const char *path)
{
	static char e[64];
	const char *p;
	size_t n = http_path_ext(path, strlen(path), &p);

	memcpy(e, p, n);
	e[n] = '\0';
	return e;
}

TEST(ext_is_after_the_last_dot_of_the_last_segment)
{
	CHECK(strcmp(ext_of("/a/b.tar.gz"), "gz") == 0, "got %s",
	      ext_of("/a/b.tar.gz"));
	CHECK(strcmp(ext_of("/a.d/file"), "") == 0, "got %s",
	      ext_of("/a.d/file"));
	CHECK(strcmp(ext_of("/a/"), "") == 0, "got %s", ext_of("/a/"));
	CHECK(strcmp(ext_of("/a."), "") == 0, "got %s", ext_of("/a."));
	CHECK(strcmp(ext_of("noslash.css"), "css") == 0, "got %s",
	      ext_of("noslash.css"));
}

TEST(ext_of_a_dotfile_is_its_name_as_in_nginx)
{
	CHECK(strcmp(ext_of("/.htaccess"), "htaccess") == 0, "got %s",
	      ext_of("/.htaccess"));
}

TEST(mime_table_has_the_common_web_types)
{
	static const char * const table[][2] = {
		{ "html", "text/html" }, { "htm", "text/html" },
		{ "css", "text/css" }, { "js", "text/javascript" },
		{ "mjs", "text/javascript" }, { "json", "application/json" },
		{ "txt", "text/plain" }, { "xml", "text/xml" },
		{ "svg", "image/svg+xml" }, { "png", "image/png" },
		{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
		{ "gif", "image/gif" }, { "webp", "image/webp" },
		{ "ico", "image/x-icon" }, { "avif", "image/avif" },
		{ "woff", "font/woff" }, { "woff2", "font/woff2" },
		{ "ttf", "font/ttf" }, { "otf", "font/otf" },
		{ "pdf", "application/pdf" }, { "zip", "application/zip" },
		{ "gz", "application/gzip" }, { "wasm", "application/wasm" },
		{ "mp4", "video/mp4" }, { "webm", "video/webm" },
		{ "mp3", "audio/mpeg" }, { "ogg", "audio/ogg" },
		{ "wav", "audio/wav" }, { "csv", "text/csv" },
		{ "md", "text/markdown" },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *t = http_mime_type(table[i][0], strlen(table[i][0]));

		CHECK(strcmp(t, table[i][1]) == 0, "%s is %s, expected %s",
		      table[i][0], t, table[i][1]);
	}
}

TEST(mime_extension_is_case_insensitive)
{
	CHECK(strcmp(http_mime_type(S("HTML")), "text/html") == 0, "HTML");
	CHECK(strcmp(http_mime_type(S("Png")), "image/png") == 0, "Png");
	CHECK(strcmp(http_mime_type(S("WOFF2")), "font/woff2") == 0, "WOFF2");
}

TEST(mime_unknown_is_octet_stream)
{
	CHECK(strcmp(http_mime_type(S("exe")), "application/octet-stream") == 0,
	      "exe");
	CHECK(strcmp(http_mime_type(S("")), "application/octet-stream") == 0,
	      "empty");
	CHECK(strcmp(http_mime_type(S("htmlx")), "application/octet-stream") == 0,
	      "htmlx");
	CHECK(strcmp(http_mime_type(S("ht")), "application/octet-stream") == 0,
	      "ht");
	CHECK(strcmp(http_mime_type(S("ht\0l")), "application/octet-stream") == 0,
	      "embedded NUL");
}

TEST(mime_text_types_have_no_charset)
{
	CHECK(strcmp(http_content_type(S("/index.html")), "text/html") == 0,
	      "html");
	CHECK(strcmp(http_content_type(S("/a.txt")), "text/plain") == 0, "txt");
}

TEST(content_type_of_a_path_without_extension_is_octet_stream)
{
	CHECK(strcmp(http_content_type(S("/README")),
		     "application/octet-stream") == 0, "README");
	CHECK(strcmp(http_content_type(S("/dir.html/")),
		     "application/octet-stream") == 0, "directory");
}
