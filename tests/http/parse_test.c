// SPDX-License-Identifier: GPL-2.0
/* The request-head parser: one behaviour per test. */
#include <stdio.h>

#include "ht.h"
#include "http_parse.h"

/* 2025-01-01 00:00:00 UTC */
#define NOW 1735689600LL

static struct http_req R;

/* Parse @s whole: 200 for DONE, the status for ERROR, 0 for AGAIN. */
static int parse_lim(const char *s, size_t n, unsigned int max_target,
		     unsigned int max_head)
{
	http_req_init(&R, max_target, max_head);
	R.now = NOW;
	switch (http_parse(&R, s, n)) {
	case HTTP_PARSE_DONE:
		return 200;
	case HTTP_PARSE_ERROR:
		return R.status;
	default:
		return 0;
	}
}

static int parse_n(const char *s, size_t n)
{
	return parse_lim(s, n, 0, 0);
}

#define PARSE(lit) parse_n(S(lit))

#define CHECK_STATUS(lit, want)						\
	do {								\
		int _s = PARSE(lit);					\
		CHECK(_s == (want), "\"%s\" gives %d, expected %d",	\
		      ht_esc(S(lit)), _s, (want));			\
	} while (0)

#define GET11 "GET / HTTP/1.1\r\nHost: a\r\n"

/* ---- request line: the good cases ---- */

TEST(get_origin_form_1_1_is_done)
{
	CHECK_STATUS("GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n",
		     200);
	CHECK_INT(R.method, HTTP_METHOD_GET);
	CHECK_INT(R.form, HTTP_FORM_ORIGIN);
	CHECK_INT(R.version, 11);
	CHECK_BYTES(R.target, R.path_len, "/index.html");
	CHECK_BYTES(R.host, R.host_len, "example.com");
	CHECK(R.complete, "complete not set");
	CHECK_INT(R.body_len, 0);
}

TEST(head_method_is_accepted)
{
	CHECK_STATUS("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", 200);
	CHECK_INT(R.method, HTTP_METHOD_HEAD);
}

TEST(http_1_0_without_host_is_done)
{
	CHECK_STATUS("GET / HTTP/1.0\r\n\r\n", 200);
	CHECK_INT(R.version, 10);
	CHECK_INT(R.host_len, 0);
}

TEST(used_is_the_head_length)
{
	static const char req[] = GET11 "\r\nGET /next";

	CHECK_INT(PARSE(req), 200);
	CHECK_INT(R.used, sizeof(GET11 "\r\n") - 1);
	CHECK_INT(R.head_len, sizeof(GET11 "\r\n") - 1);
}

TEST(path_and_query_are_split)
{
	size_t n;
	const char *q;

	CHECK_STATUS("GET /a/b.txt?x=1&y=2 HTTP/1.1\r\nHost: a\r\n\r\n", 200);
	CHECK_BYTES(R.target, R.path_len, "/a/b.txt");
	CHECK(R.has_query, "has_query not set");
	q = http_req_query(&R, &n);
	CHECK_BYTES(q, n, "x=1&y=2");
}

TEST(query_keeps_later_question_marks)
{
	size_t n;
	const char *q;

	CHECK_STATUS("GET /a?b?c/d HTTP/1.1\r\nHost: a\r\n\r\n", 200);
	CHECK_BYTES(R.target, R.path_len, "/a");
	q = http_req_query(&R, &n);
	CHECK_BYTES(q, n, "b?c/d");
}

TEST(empty_query_is_present_but_empty)
{
	size_t n;

	CHECK_STATUS("GET /a? HTTP/1.1\r\nHost: a\r\n\r\n", 200);
	CHECK(R.has_query, "has_query not set");
	http_req_query(&R, &n);
	CHECK_INT(n, 0);
}

TEST(no_query_means_none)
{
	size_t n;
	const char *p;

	CHECK_STATUS(GET11 "\r\n", 200);
	CHECK(!R.has_query, "has_query set");
	p = http_req_path(&R, &n);
	CHECK_BYTES(p, n, "/");
}

TEST(target_keeps_percent_escapes_undecoded)
{
	CHECK_STATUS("GET /a%20b HTTP/1.1\r\nHost: a\r\n\r\n", 200);
	CHECK_BYTES(R.target, R.path_len, "/a%20b");
}

TEST(target_accepts_ascii_browsers_send_raw)
{
	CHECK_STATUS("GET /a|b^c[d]{e}\"<>`\\ HTTP/1.1\r\nHost: a\r\n\r\n",
		     200);
	CHECK_BYTES(R.target, R.path_len, "/a|b^c[d]{e}\"<>`\\");
}

TEST(fragment_in_target_is_400)
{
	CHECK_STATUS("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(control_byte_in_target_is_400)
{
	CHECK_STATUS("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(nul_in_target_is_400)
{
	CHECK_STATUS("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

/* ---- absolute-form ---- */

TEST(absolute_form_host_overrides_host_field)
{
	CHECK_STATUS("GET http://example.com/x?q HTTP/1.1\r\nHost: other\r\n\r\n",
		     200);
	CHECK_INT(R.form, HTTP_FORM_ABSOLUTE);
	CHECK_BYTES(R.host, R.host_len, "example.com");
	CHECK_BYTES(R.target, R.path_len, "/x");
	CHECK(R.has_query, "has_query not set");
}

TEST(absolute_form_host_field_before_target_host_still_loses)
{
	/* The Host line is read after the target: it must not win. */
	CHECK_STATUS("GET http://t.example/ HTTP/1.1\r\nHost: h.example\r\n\r\n",
		     200);
	CHECK_BYTES(R.host, R.host_len, "t.example");
}

TEST(absolute_form_scheme_is_case_insensitive)
{
	CHECK_STATUS("GET HtTp://a/b HTTP/1.1\r\nHost: a\r\n\r\n", 200);
	CHECK_BYTES(R.target, R.path_len, "/b");
}

TEST(absolute_form_https_is_accepted)
{
	CHECK_STATUS("GET https://a/b HTTP/1.1\r\nHost: a\r\n\r\n", 200);
}

TEST(absolute_form_empty_path_is_slash)
{
	CHECK_STATUS("GET http://a HTTP/1.1\r\nHost: a\r\n\r\n", 200);
	CHECK_BYTES(R.target, R.target_len, "/");
	CHECK_INT(R.path_len, 1);
}

TEST(absolute_form_query_without_path_gets_slash)
{
	size_t n;
	const char *q;

	CHECK_STATUS("GET http://a?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", 200);
	CHECK_BYTES(R.target, R.path_len, "/");
	q = http_req_query(&R, &n);
	CHECK_BYTES(q, n, "x=1");
}

TEST(absolute_form_keeps_port)
{
	CHECK_STATUS("GET http://a.example:8080/p HTTP/1.1\r\nHost: a\r\n\r\n",
		     200);
	CHECK_BYTES(R.host, R.host_len, "a.example:8080");
}

TEST(absolute_form_ipv6_host_is_accepted)
{
	CHECK_STATUS("GET http://[::1]:80/p HTTP/1.1\r\nHost: a\r\n\r\n", 200);
	CHECK_BYTES(R.host, R.host_len, "[::1]:80");
}

TEST(absolute_form_other_scheme_is_400)
{
	CHECK_STATUS("GET ftp://a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(absolute_form_userinfo_is_400)
{
	CHECK_STATUS("GET http://u:p@a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(absolute_form_empty_host_is_400)
{
	CHECK_STATUS("GET http:///b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET http://:80/b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(absolute_form_bad_host_is_400)
{
	CHECK_STATUS("GET http://a b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET http://a:x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(absolute_form_still_needs_host_field_on_1_1)
{
	CHECK_STATUS("GET http://a/b HTTP/1.1\r\n\r\n", 400);
}

TEST(absolute_form_with_invalid_host_field_is_400)
{
	CHECK_STATUS("GET http://a/b HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
}

TEST(absolute_form_on_1_0_without_host_is_done)
{
	CHECK_STATUS("GET http://a/b HTTP/1.0\r\n\r\n", 200);
	CHECK_BYTES(R.host, R.host_len, "a");
}

/* ---- other target forms ---- */

TEST(asterisk_form_on_get_is_400)
{
	CHECK_STATUS("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(asterisk_form_on_head_is_400)
{
	CHECK_STATUS("HEAD * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(asterisk_form_on_options_is_405)
{
	CHECK_STATUS("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 405);
	CHECK_INT(R.form, HTTP_FORM_ASTERISK);
}

TEST(authority_form_on_get_is_400)
{
	CHECK_STATUS("GET example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(authority_form_on_connect_is_405)
{
	CHECK_STATUS("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
		     405);
	CHECK_INT(R.form, HTTP_FORM_AUTHORITY);
}

TEST(authority_form_without_port_is_400)
{
	CHECK_STATUS("CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(relative_target_is_400)
{
	CHECK_STATUS("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET ?x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

/* ---- methods ---- */

TEST(known_methods_other_than_get_head_are_405)
{
	static const char * const reqs[] = {
		"POST / HTTP/1.1\r\nHost: a\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\n\r\n",
		"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n",
		"OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n",
		"TRACE / HTTP/1.1\r\nHost: a\r\n\r\n",
		"PATCH / HTTP/1.1\r\nHost: a\r\n\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		int s = parse_n(reqs[i], strlen(reqs[i]));

		CHECK(s == 405, "\"%s\" gives %d", ht_esc(reqs[i], 8), s);
	}
}

TEST(connect_with_origin_form_is_405)
{
	CHECK_STATUS("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 405);
	CHECK_INT(R.method, HTTP_METHOD_CONNECT);
}

TEST(unknown_method_is_501)
{
	CHECK_STATUS("BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	CHECK_INT(R.method, HTTP_METHOD_OTHER);
}

TEST(methods_are_case_sensitive_so_lowercase_get_is_501)
{
	CHECK_STATUS("get / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
}

TEST(long_unknown_method_is_501)
{
	CHECK_STATUS("GETGETGETGETGETGETGETGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		     501);
}

TEST(method_sharing_a_prefix_with_get_is_501)
{
	CHECK_STATUS("GETS / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	CHECK_STATUS("HEADER / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
}

TEST(token_method_with_symbols_is_501)
{
	CHECK_STATUS("M-SEARCH / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
}

TEST(non_token_method_is_400)
{
	CHECK_STATUS("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("\x80GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(empty_method_is_400)
{
	CHECK_STATUS(" / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(not_allowed_waits_for_the_whole_head_so_missing_host_is_400)
{
	CHECK_STATUS("POST / HTTP/1.1\r\n\r\n", 400);
}

TEST(not_allowed_is_not_reported_before_the_head_ends)
{
	CHECK_STATUS("POST / HTTP/1.1\r\nHost: a\r\n", 0);
}

TEST(not_allowed_reports_the_whole_head_and_its_body)
{
	static const char req[] =
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";

	CHECK_INT(PARSE(req), 405);
	CHECK(R.complete, "complete not set");
	CHECK_INT(R.used, sizeof(req) - 4);
	CHECK_INT(R.body_len, 3);
	CHECK(R.keep_alive, "keep_alive not set");
}

TEST(not_implemented_reports_the_whole_head)
{
	CHECK_INT(PARSE("FOO / HTTP/1.1\r\nHost: a\r\n\r\n"), 501);
	CHECK(R.complete, "complete not set");
	CHECK_INT(R.used, sizeof("FOO / HTTP/1.1\r\nHost: a\r\n\r\n") - 1);
}

TEST(errors_before_the_head_ends_are_not_complete)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400);
	CHECK(!R.complete, "complete set");
}

/* ---- version ---- */

TEST(http_2_0_is_505)
{
	CHECK_STATUS("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
}

TEST(http_3_0_is_505)
{
	CHECK_STATUS("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505);
}

TEST(http_0_9_is_505)
{
	CHECK_STATUS("GET / HTTP/0.9\r\n\r\n", 505);
}

TEST(http_1_2_is_served_as_1_1)
{
	CHECK_STATUS("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 200);
	CHECK_INT(R.version, 11);
}

TEST(http_1_9_without_host_is_400_like_1_1)
{
	CHECK_STATUS("GET / HTTP/1.9\r\n\r\n", 400);
}

TEST(version_505_comes_at_the_end_of_the_request_line)
{
	CHECK_STATUS("GET / HTTP/2.0\r\n", 505);
	CHECK_STATUS("GET / HTTP/2.0", 0);
}

TEST(lowercase_http_name_is_400)
{
	CHECK_STATUS("GET / http/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(version_missing_minor_is_400)
{
	CHECK_STATUS("GET / HTTP/1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTP/1.\r\nHost: a\r\n\r\n", 400);
}

TEST(version_with_two_digit_minor_is_400)
{
	CHECK_STATUS("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
}

TEST(version_with_two_digit_major_is_400)
{
	CHECK_STATUS("GET / HTTP/11.1\r\nHost: a\r\n\r\n", 400);
}

TEST(version_with_letters_is_400)
{
	CHECK_STATUS("GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTPS/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(missing_version_is_400)
{
	CHECK_STATUS("GET /\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET / \r\nHost: a\r\n\r\n", 400);
}

TEST(space_after_version_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
}

TEST(extra_part_after_version_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", 400);
}

/* ---- separators and line ends ---- */

TEST(two_spaces_after_method_is_400)
{
	CHECK_STATUS("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(two_spaces_after_target_is_400)
{
	CHECK_STATUS("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(tab_as_separator_is_400)
{
	CHECK_STATUS("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET /\tHTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(leading_space_is_400)
{
	CHECK_STATUS(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(space_in_target_is_400)
{
	CHECK_STATUS("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(bare_lf_line_ends_are_accepted)
{
	CHECK_STATUS("GET / HTTP/1.1\nHost: a\n\n", 200);
	CHECK_BYTES(R.host, R.host_len, "a");
}

TEST(mixed_crlf_and_lf_are_accepted)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\n", 200);
}

TEST(bare_cr_in_request_line_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\rHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(bare_cr_in_field_value_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400);
}

TEST(bare_cr_ending_a_field_line_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400);
}

TEST(bare_cr_ending_the_head_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400);
}

TEST(bare_cr_in_field_name_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a\r\nX\r: y\r\n\r\n", 400);
}

TEST(leading_empty_lines_are_skipped)
{
	CHECK_STATUS("\r\n\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 200);
}

TEST(leading_bare_cr_is_400)
{
	CHECK_STATUS("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(incomplete_head_needs_more)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a\r\n", 0);
	CHECK_INT(R.used, sizeof("GET / HTTP/1.1\r\nHost: a\r\n") - 1);
}

TEST(empty_input_needs_more)
{
	CHECK_STATUS("", 0);
}

/* ---- field lines ---- */

TEST(whitespace_before_colon_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
}

TEST(tab_before_colon_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400);
}

TEST(obs_fold_is_400)
{
	CHECK_STATUS(GET11 "X: a\r\n b\r\n\r\n", 400);
}

TEST(obs_fold_with_tab_is_400)
{
	CHECK_STATUS(GET11 "X: a\r\n\tb\r\n\r\n", 400);
}

TEST(whitespace_before_first_field_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
}

TEST(empty_field_name_is_400)
{
	CHECK_STATUS(GET11 ": x\r\n\r\n", 400);
}

TEST(field_line_without_colon_is_400)
{
	CHECK_STATUS(GET11 "NoColon\r\n\r\n", 400);
	CHECK_STATUS(GET11 "No Colon\r\n\r\n", 400);
}

TEST(non_token_field_name_is_400)
{
	CHECK_STATUS(GET11 "X(y): z\r\n\r\n", 400);
	CHECK_STATUS(GET11 "X/y: z\r\n\r\n", 400);
	CHECK_STATUS(GET11 "X\x80y: z\r\n\r\n", 400);
}

TEST(underscore_in_field_name_is_accepted)
{
	CHECK_STATUS(GET11 "X_Y: z\r\n\r\n", 200);
}

TEST(nul_in_field_value_is_400)
{
	CHECK_STATUS(GET11 "X: a\0b\r\n\r\n", 400);
}

TEST(nul_in_field_name_is_400)
{
	CHECK_STATUS(GET11 "X\0: b\r\n\r\n", 400);
}

TEST(control_byte_in_field_value_is_400)
{
	CHECK_STATUS(GET11 "X: a\x01" "b\r\n\r\n", 400);
	CHECK_STATUS(GET11 "X: a\x1b" "b\r\n\r\n", 400);
}

TEST(del_in_field_value_is_400)
{
	CHECK_STATUS(GET11 "X: a\x7f" "b\r\n\r\n", 400);
}

TEST(leading_control_byte_in_value_is_400)
{
	CHECK_STATUS(GET11 "X: \x01\r\n\r\n", 400);
}

TEST(htab_and_obs_text_in_field_value_are_accepted)
{
	CHECK_STATUS(GET11 "X: a\tb \xff\x80 c\r\n\r\n", 200);
}

TEST(empty_field_value_is_accepted)
{
	CHECK_STATUS(GET11 "X:\r\nY: \r\n\r\n", 200);
}

TEST(unknown_fields_are_ignored)
{
	CHECK_STATUS(GET11 "X-Anything: !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\r\n\r\n",
		     200);
}

TEST(field_names_are_case_insensitive)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nhOsT: a\r\nCONNECTION: close\r\n\r\n",
		     200);
	CHECK_BYTES(R.host, R.host_len, "a");
	CHECK(!R.keep_alive, "keep_alive set");
}

TEST(ows_around_values_is_trimmed)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: \t a.example \t \r\nRange:   bytes=0-1  \r\n\r\n",
		     200);
	CHECK_BYTES(R.host, R.host_len, "a.example");
	CHECK_BYTES(R.range, R.range_len, "bytes=0-1");
}

TEST(value_without_ows_after_colon_is_accepted)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost:a\r\n\r\n", 200);
	CHECK_BYTES(R.host, R.host_len, "a");
}

TEST(long_unknown_field_name_is_accepted)
{
	CHECK_STATUS(GET11 "X-A-Very-Long-Field-Name-Beyond-Any-Known: 1\r\n\r\n",
		     200);
}

TEST(known_name_as_prefix_is_not_that_field)
{
	/* "Hostname" is not Host: the second Host is still the first. */
	CHECK_STATUS(GET11 "Hostname: x\r\nContent-Lengthy: x\r\n\r\n", 200);
	CHECK_INT(R.body_len, 0);
}

/* ---- Host ---- */

TEST(host_missing_on_1_1_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nX: y\r\n\r\n", 400);
}

TEST(host_twice_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
}

TEST(host_twice_on_1_0_is_400)
{
	CHECK_STATUS("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400);
}

TEST(host_with_space_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
}

TEST(host_with_slash_or_at_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400);
}

TEST(host_list_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", 400);
}

TEST(host_with_port_is_accepted)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", 200);
	CHECK_BYTES(R.host, R.host_len, "a.example:8080");
}

TEST(host_with_bad_port_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", 400);
}

TEST(host_ipv4_is_accepted)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n", 200);
}

TEST(host_ipv6_literal_is_accepted)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n", 200);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [::ffff:192.0.2.1]\r\n\r\n", 200);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [1:2:3:4:5:6:7:8]\r\n\r\n", 200);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [::]\r\n\r\n", 200);
}

TEST(host_bad_ipv6_literal_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [1::2::3]\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [12345::]\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [1:2:3:4:5:6:7:8:9]\r\n\r\n",
		     400);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [g::1]\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400);
}

TEST(host_ipvfuture_is_accepted)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: [v1.a:b]\r\n\r\n", 200);
}

TEST(host_percent_encoded_is_accepted)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a%2Db\r\n\r\n", 200);
}

TEST(host_bad_percent_escape_is_400)
{
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a%2\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400);
}

TEST(host_empty_on_an_origin_form_target_is_400)
{
	/* RFC 9112 3.2: an origin-form target needs the authority Host names. */
	CHECK_STATUS("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400);
	CHECK_STATUS("GET / HTTP/1.1\r\nHost:   \r\n\r\n", 400);
}

TEST(host_empty_beside_an_absolute_form_target_is_accepted)
{
	/* RFC 9112 3.2.2: the target's authority wins; Host may be empty. */
	CHECK_STATUS("GET http://a/ HTTP/1.1\r\nHost:\r\n\r\n", 200);
}

TEST(raw_bytes_above_0x7f_in_the_target_are_400)
{
	/* Non-ASCII is percent-encoded in a URI (RFC 3986 2.1). */
	CHECK_STATUS("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET /\xc0\xae\xc0\xae/x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	CHECK_STATUS("GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(host_too_long_is_400)
{
	char req[600];
	int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %0300d\r\n\r\n", 0);

	CHECK_INT(parse_n(req, n), 400);
}

/* ---- Connection and keep-alive ---- */

TEST(keep_alive_is_default_on_1_1)
{
	CHECK_STATUS(GET11 "\r\n", 200);
	CHECK(R.keep_alive, "keep_alive not set");
}

TEST(keep_alive_is_default_off_on_1_0)
{
	CHECK_STATUS("GET / HTTP/1.0\r\n\r\n", 200);
	CHECK(!R.keep_alive, "keep_alive set");
}

TEST(connection_keep_alive_on_1_0_keeps_alive)
{
	CHECK_STATUS("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200);
	CHECK(R.keep_alive, "keep_alive not set");
}

TEST(connection_close_on_1_1_closes)
{
	CHECK_STATUS(GET11 "Connection: close\r\n\r\n", 200);
	CHECK(!R.keep_alive, "keep_alive set");
}

TEST(connection_close_wins_over_keep_alive)
{
	CHECK_STATUS("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		     200);
	CHECK(!R.keep_alive, "keep_alive set");
	CHECK_STATUS(GET11 "Connection: close\r\nConnection: keep-alive\r\n\r\n",
		     200);
	CHECK(!R.keep_alive, "keep_alive set");
}

TEST(connection_tokens_are_case_insensitive)
{
	CHECK_STATUS(GET11 "Connection: ClOsE\r\n\r\n", 200);
	CHECK(!R.keep_alive, "keep_alive set");
	CHECK_STATUS("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 200);
	CHECK(R.keep_alive, "keep_alive not set");
}

TEST(connection_close_among_other_tokens_closes)
{
	CHECK_STATUS(GET11 "Connection: Upgrade ,, close , TE\r\n\r\n", 200);
	CHECK(!R.keep_alive, "keep_alive set");
}

TEST(connection_close_on_a_second_line_closes)
{
	CHECK_STATUS(GET11 "Connection: TE\r\nConnection: close\r\n\r\n", 200);
	CHECK(!R.keep_alive, "keep_alive set");
}

TEST(connection_token_must_match_whole)
{
	CHECK_STATUS(GET11 "Connection: closed, xclose, close-ish\r\n\r\n", 200);
	CHECK(R.keep_alive, "keep_alive not set");
	CHECK_STATUS("GET / HTTP/1.0\r\nConnection: keep-alive2\r\n\r\n", 200);
	CHECK(!R.keep_alive, "keep_alive set");
}

TEST(connection_keep_alive_on_1_1_changes_nothing)
{
	CHECK_STATUS(GET11 "Connection: keep-alive\r\n\r\n", 200);
	CHECK(R.keep_alive, "keep_alive not set");
}

/* ---- Content-Length, Transfer-Encoding ---- */

TEST(content_length_on_get_is_reported_as_body_len)
{
	CHECK_STATUS(GET11 "Content-Length: 5\r\n\r\nhello", 200);
	CHECK_INT(R.body_len, 5);
	CHECK(!R.chunked, "chunked set");
}

TEST(content_length_zero_is_no_body)
{
	CHECK_STATUS(GET11 "Content-Length: 0\r\n\r\n", 200);
	CHECK_INT(R.body_len, 0);
}

TEST(content_length_leading_zeros_are_accepted)
{
	CHECK_STATUS(GET11 "Content-Length: 007\r\n\r\n", 200);
	CHECK_INT(R.body_len, 7);
}

TEST(content_length_and_transfer_encoding_is_400)
{
	CHECK_STATUS(GET11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		     400);
	CHECK_STATUS(GET11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
		     400);
	CHECK_STATUS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n",
		     400);
}

TEST(content_length_not_a_number_is_400)
{
	CHECK_STATUS(GET11 "Content-Length: abc\r\n\r\n", 400);
	CHECK_STATUS(GET11 "Content-Length: 5a\r\n\r\n", 400);
	CHECK_STATUS(GET11 "Content-Length: 0x10\r\n\r\n", 400);
	CHECK_STATUS(GET11 "Content-Length: 1.0\r\n\r\n", 400);
}

TEST(content_length_with_sign_is_400)
{
	CHECK_STATUS(GET11 "Content-Length: -1\r\n\r\n", 400);
	CHECK_STATUS(GET11 "Content-Length: +5\r\n\r\n", 400);
}

TEST(content_length_empty_is_400)
{
	CHECK_STATUS(GET11 "Content-Length:\r\n\r\n", 400);
	CHECK_STATUS(GET11 "Content-Length:  \r\n\r\n", 400);
}

TEST(content_length_space_inside_is_400)
{
	CHECK_STATUS(GET11 "Content-Length: 1 2\r\n\r\n", 400);
}

TEST(content_length_differing_list_values_is_400)
{
	CHECK_STATUS(GET11 "Content-Length: 5, 6\r\n\r\n", 400);
}

TEST(content_length_differing_lines_is_400)
{
	CHECK_STATUS(GET11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
		     400);
}

TEST(content_length_identical_list_values_are_one)
{
	CHECK_STATUS(GET11 "Content-Length: 5 , 5,5\r\n\r\n", 200);
	CHECK_INT(R.body_len, 5);
}

TEST(content_length_identical_lines_are_one)
{
	CHECK_STATUS(GET11 "Content-Length: 5\r\ncontent-length: 005\r\n\r\n",
		     200);
	CHECK_INT(R.body_len, 5);
}

TEST(content_length_empty_list_element_is_400)
{
	CHECK_STATUS(GET11 "Content-Length: 5,\r\n\r\n", 400);
	CHECK_STATUS(GET11 "Content-Length: ,5\r\n\r\n", 400);
	CHECK_STATUS(GET11 "Content-Length: 5,,5\r\n\r\n", 400);
}

TEST(content_length_largest_value_is_accepted)
{
	CHECK_STATUS(GET11 "Content-Length: 9223372036854775807\r\n\r\n", 200);
	CHECK_INT(R.body_len, 9223372036854775807LL);
}

TEST(content_length_overflow_is_400)
{
	CHECK_STATUS(GET11 "Content-Length: 9223372036854775808\r\n\r\n", 400);
	CHECK_STATUS(GET11 "Content-Length: 99999999999999999999999\r\n\r\n",
		     400);
}

TEST(transfer_encoding_on_get_is_400)
{
	CHECK_STATUS(GET11 "Transfer-Encoding: chunked\r\n\r\n", 400);
}

TEST(transfer_encoding_on_head_is_400)
{
	CHECK_STATUS("HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		     400);
}

TEST(transfer_encoding_on_1_0_is_400)
{
	CHECK_STATUS("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		     400);
}

TEST(transfer_encoding_empty_is_400)
{
	CHECK_STATUS(GET11 "Transfer-Encoding:\r\n\r\n", 400);
	CHECK_STATUS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n",
		     400);
}

TEST(transfer_encoding_chunked_on_post_is_405_and_chunked)
{
	CHECK_STATUS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n",
		     405);
	CHECK(R.chunked, "chunked not set");
	CHECK(!R.keep_alive, "keep_alive set with a chunked body");
}

TEST(transfer_encoding_not_ending_in_chunked_is_400)
{
	CHECK_STATUS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
		     400);
	CHECK_STATUS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
		     400);
	CHECK_STATUS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
		     400);
}

/* ---- conditionals and ranges kept for later ---- */

TEST(if_modified_since_imf_fixdate_is_parsed)
{
	CHECK_STATUS(GET11 "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
		     200);
	CHECK(R.ims_valid, "ims_valid not set");
	CHECK_INT(R.ims, 784111777);
}

TEST(if_modified_since_rfc850_is_parsed)
{
	CHECK_STATUS(GET11 "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n",
		     200);
	CHECK(R.ims_valid, "ims_valid not set");
	CHECK_INT(R.ims, 784111777);
}

TEST(if_modified_since_asctime_is_parsed)
{
	CHECK_STATUS(GET11 "If-Modified-Since: Sun Nov  6 08:49:37 1994\r\n\r\n",
		     200);
	CHECK(R.ims_valid, "ims_valid not set");
	CHECK_INT(R.ims, 784111777);
}

TEST(if_modified_since_invalid_is_ignored)
{
	CHECK_STATUS(GET11 "If-Modified-Since: yesterday\r\n\r\n", 200);
	CHECK(!R.ims_valid, "ims_valid set");
}

TEST(if_modified_since_twice_is_ignored)
{
	CHECK_STATUS(GET11 "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		     "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n", 200);
	CHECK(!R.ims_valid, "ims_valid set");
}

TEST(if_modified_since_later_than_now_is_ignored)
{
	CHECK_STATUS(GET11 "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n\r\n",
		     200);
	CHECK(!R.ims_valid, "ims_valid set");
}

TEST(if_none_match_is_kept_raw)
{
	CHECK_STATUS(GET11 "If-None-Match:  \"a\", W/\"b\" \r\n\r\n", 200);
	CHECK(R.inm_present, "inm_present not set");
	CHECK_BYTES(R.inm, R.inm_len, "\"a\", W/\"b\"");
}

TEST(if_none_match_lines_are_joined)
{
	CHECK_STATUS(GET11 "If-None-Match: \"a\"\r\nIf-None-Match: \"b\"\r\n\r\n",
		     200);
	CHECK_BYTES(R.inm, R.inm_len, "\"a\", \"b\"");
}

TEST(if_none_match_empty_second_line_adds_nothing)
{
	CHECK_STATUS(GET11 "If-None-Match: \"a\"\r\nIf-None-Match: \r\n\r\n",
		     200);
	CHECK_BYTES(R.inm, R.inm_len, "\"a\"");
}

TEST(if_none_match_too_long_is_flagged)
{
	char req[2048];
	int n = snprintf(req, sizeof(req), GET11 "If-None-Match: \"%0600d\"\r\n\r\n", 0);

	CHECK_INT(parse_n(req, n), 200);
	CHECK(R.inm_overflow, "inm_overflow not set");
	CHECK(!http_req_not_modified(&R, "\"x\"", 3, 0), "304 on overflow");
}

TEST(range_is_kept_raw)
{
	CHECK_STATUS(GET11 "Range: bytes=0-99\r\n\r\n", 200);
	CHECK(R.range_present && !R.range_ignore, "range not usable");
	CHECK_BYTES(R.range, R.range_len, "bytes=0-99");
}

TEST(range_twice_is_ignored)
{
	CHECK_STATUS(GET11 "Range: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n", 200);
	CHECK(R.range_ignore, "range_ignore not set");
}

TEST(range_too_long_is_ignored)
{
	char req[2048];
	int n = snprintf(req, sizeof(req), GET11 "Range: bytes=%0300d-\r\n\r\n", 0);

	CHECK_INT(parse_n(req, n), 200);
	CHECK(R.range_ignore, "range_ignore not set");
}

TEST(range_trailing_ows_beyond_buffer_is_not_overflow)
{
	char req[2048];
	int n = snprintf(req, sizeof(req), GET11 "Range: bytes=0-%0245d%300s\r\n\r\n",
			 1, "");

	CHECK_INT(parse_n(req, n), 200);
	CHECK(!R.range_ignore, "range_ignore set");
	CHECK_INT(R.range_len, 253);
}

TEST(if_range_is_kept_raw)
{
	CHECK_STATUS(GET11 "Range: bytes=0-1\r\nIf-Range: \"e\"\r\n\r\n", 200);
	CHECK(R.if_range_present, "if_range_present not set");
	CHECK_BYTES(R.if_range, R.if_range_len, "\"e\"");
}

/* ---- limits ---- */

static int long_target(unsigned int tlen, unsigned int max_target,
		       unsigned int max_head)
{
	static char req[20000];
	int n = sprintf(req, "GET /");

	memset(req + n, 'a', tlen - 1);
	n += tlen - 1;
	n += sprintf(req + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	return parse_lim(req, n, max_target, max_head);
}

TEST(target_at_max_length_is_accepted)
{
	CHECK_INT(long_target(100, 100, 0), 200);
	CHECK_INT(R.target_len, 100);
}

TEST(target_one_over_max_length_is_414)
{
	CHECK_INT(long_target(101, 100, 0), 414);
}

TEST(target_at_buffer_capacity_is_accepted)
{
	CHECK_INT(long_target(HTTP_TARGET_CAP, 0, 0), 200);
}

TEST(target_over_buffer_capacity_is_414)
{
	CHECK_INT(long_target(HTTP_TARGET_CAP + 1, 0, 0), 414);
}

TEST(max_target_above_capacity_is_capped)
{
	CHECK_INT(long_target(HTTP_TARGET_CAP + 1, HTTP_TARGET_CAP * 2, 0), 414);
}

TEST(request_line_over_max_head_is_414)
{
	CHECK_INT(long_target(100, 0, 50), 414);
}

TEST(method_longer_than_the_head_limit_is_400_not_414)
{
	static char req[200];

	int n;

	memset(req, 'G', 100);
	n = 100 + sprintf(req + 100, " / HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_INT(parse_lim(req, n, 0, 50), 400);
}

TEST(target_of_8000_bytes_is_accepted_by_default)
{
	/* RFC 9112 3: at least 8000 octets of request line. */
	CHECK_INT(long_target(8000, 0, 32768), 200);
}

static int big_head(unsigned int len, unsigned int max_head)
{
	static char req[70000];
	int n = sprintf(req, GET11 "X: ");
	int fill = len - n - 4;

	memset(req + n, 'x', fill);
	n += fill;
	n += sprintf(req + n, "\r\n\r\n");
	return parse_lim(req, n, 0, max_head);
}

TEST(head_at_max_length_is_accepted)
{
	CHECK_INT(big_head(1000, 1000), 200);
	CHECK_INT(R.head_len, 1000);
}

TEST(head_one_over_max_length_is_431)
{
	CHECK_INT(big_head(1001, 1000), 431);
}

TEST(default_head_limit_is_431_beyond_32k)
{
	CHECK_INT(big_head(HTTP_HEAD_DEFAULT, 0), 200);
	CHECK_INT(big_head(HTTP_HEAD_DEFAULT + 1, 0), 431);
}

TEST(many_small_fields_count_against_the_head_limit)
{
	static char req[70000];
	int n = sprintf(req, GET11), i;

	for (i = 0; i < 5000; i++)
		n += sprintf(req + n, "X-%d: y\r\n", i);
	n += sprintf(req + n, "\r\n");
	CHECK_INT(parse_lim(req, n, 0, 16384), 431);
}

TEST(leading_empty_lines_count_against_the_head_limit)
{
	static char req[3000];
	int n;

	memset(req, '\n', 2000);
	n = 2000 + sprintf(req + 2000, GET11 "\r\n");
	CHECK_INT(parse_lim(req, n, 0, 1000), 400);
}

/* ---- incremental use, pipelining ---- */

TEST(again_consumes_every_byte_given)
{
	http_req_init(&R, 0, 0);
	CHECK_INT(http_parse(&R, S("GET /ab")), HTTP_PARSE_AGAIN);
	CHECK_INT(R.used, 7);
	CHECK_INT(http_parse(&R, S("c HTTP/1.1\r\nHo")), HTTP_PARSE_AGAIN);
	CHECK_INT(http_parse(&R, S("st: a\r\n\r\nGET")), HTTP_PARSE_DONE);
	CHECK_INT(R.used, 9);
	CHECK_BYTES(R.target, R.path_len, "/abc");
}

TEST(done_is_sticky_until_reset)
{
	CHECK_STATUS(GET11 "\r\n", 200);
	CHECK_INT(http_parse(&R, S("GET / HTTP/1.1\r\n")), HTTP_PARSE_DONE);
	CHECK_INT(R.used, 0);
}

TEST(error_is_sticky)
{
	CHECK_STATUS("GET  / HTTP/1.1\r\n", 400);
	CHECK_INT(http_parse(&R, S(GET11 "\r\n")), HTTP_PARSE_ERROR);
	CHECK_INT(R.status, 400);
}

TEST(pipelined_requests_parse_in_order)
{
	static const char buf[] =
		"GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
		"HEAD /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
		"GET /three HTTP/1.0\r\n\r\n";
	static const char * const paths[] = { "/one", "/two", "/three" };
	const char *p = buf;
	size_t left = sizeof(buf) - 1;
	int i;

	http_req_init(&R, 0, 0);
	for (i = 0; i < 3; i++) {
		CHECK_INT(http_parse(&R, p, left), HTTP_PARSE_DONE);
		CHECK_BYTES(R.target, R.path_len, paths[i]);
		CHECK_INT(R.keep_alive, i == 0);
		p += R.used;
		left -= R.used;
		http_req_reset(&R);
	}
	CHECK_INT(left, 0);
}

TEST(pipelined_request_after_a_body_starts_after_body_len)
{
	static const char buf[] =
		"GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nBODY"
		"GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
	const char *p = buf;

	http_req_init(&R, 0, 0);
	CHECK_INT(http_parse(&R, p, sizeof(buf) - 1), HTTP_PARSE_DONE);
	CHECK_INT(R.body_len, 4);
	p += R.used + R.body_len;
	http_req_reset(&R);
	CHECK_INT(http_parse(&R, p, buf + sizeof(buf) - 1 - p), HTTP_PARSE_DONE);
	CHECK_BYTES(R.target, R.path_len, "/b");
}

TEST(reset_keeps_limits_and_clock)
{
	http_req_init(&R, 10, 100);
	R.now = NOW;
	http_req_reset(&R);
	CHECK_INT(R.max_target, 10);
	CHECK_INT(R.max_head, 100);
	CHECK_INT(R.now, NOW);
}

TEST(reset_clears_the_previous_request)
{
	CHECK_STATUS("GET /x?y HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n"
		     "If-None-Match: \"a\"\r\nContent-Length: 3\r\n\r\n", 200);
	http_req_reset(&R);
	CHECK_INT(http_parse(&R, S("GET / HTTP/1.0\r\n\r\n")), HTTP_PARSE_DONE);
	CHECK(!R.range_present && !R.inm_present && !R.has_query,
	      "fields of the previous request remain");
	CHECK_INT(R.body_len, 0);
	CHECK_INT(R.host_len, 0);
	CHECK_INT(R.head_len, sizeof("GET / HTTP/1.0\r\n\r\n") - 1);
}

/* ---- conditional helpers ---- */

TEST(etag_weak_comparison_ignores_w_prefix)
{
	CHECK(http_etag_match_weak(S("W/\"a\""), S("\"a\"")), "W/a vs a");
	CHECK(http_etag_match_weak(S("\"a\""), S("W/\"a\"")), "a vs W/a");
	CHECK(http_etag_match_weak(S("W/\"a\""), S("W/\"a\"")), "W/a vs W/a");
}

TEST(etag_star_matches_any)
{
	CHECK(http_etag_match_weak(S("*"), S("\"a\"")), "* vs a");
	CHECK(http_etag_match_weak(S(" * "), NULL, 0), "* without etag");
}

TEST(etag_list_matches_any_member)
{
	CHECK(http_etag_match_weak(S("\"x\", \"y\",W/\"a\""), S("\"a\"")),
	      "list");
	CHECK(http_etag_match_weak(S(",\"a\" ,,"), S("\"a\"")),
	      "empty elements");
}

TEST(etag_different_tag_does_not_match)
{
	CHECK(!http_etag_match_weak(S("\"ab\", \"A\""), S("\"a\"")), "matched");
	CHECK(!http_etag_match_weak(S("\"a\""), S("\"ab\"")), "prefix matched");
}

TEST(etag_malformed_list_never_matches)
{
	CHECK(!http_etag_match_weak(S("\"a\" \"b\""), S("\"a\"")), "no comma");
	CHECK(!http_etag_match_weak(S("a"), S("\"a\"")), "unquoted");
	CHECK(!http_etag_match_weak(S("\"a\", b"), S("\"a\"")), "junk after");
	CHECK(!http_etag_match_weak(S("\"a"), S("\"a\"")), "unterminated");
	CHECK(!http_etag_match_weak(S("w/\"a\""), S("\"a\"")), "lowercase w/");
	CHECK(!http_etag_match_weak(S("*, \"a\""), S("\"a\"")), "* in a list");
	CHECK(!http_etag_match_weak(S("\"a b\""), S("\"a b\"")), "space inside");
}

TEST(etag_empty_list_never_matches)
{
	CHECK(!http_etag_match_weak(S(""), S("\"a\"")), "empty");
}

TEST(not_modified_when_if_none_match_matches)
{
	CHECK_STATUS(GET11 "If-None-Match: W/\"v1\"\r\n\r\n", 200);
	CHECK(http_req_not_modified(&R, S("\"v1\""), 100), "no 304");
	CHECK(!http_req_not_modified(&R, S("\"v2\""), 100), "304");
}

TEST(if_none_match_overrides_if_modified_since)
{
	CHECK_STATUS(GET11 "If-None-Match: \"v2\"\r\n"
		     "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n", 200);
	CHECK(!http_req_not_modified(&R, S("\"v1\""), 0), "304 from IMS");
}

TEST(not_modified_when_mtime_is_not_after_ims)
{
	CHECK_STATUS(GET11 "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
		     200);
	CHECK(http_req_not_modified(&R, S("\"v\""), 784111777), "equal");
	CHECK(http_req_not_modified(&R, S("\"v\""), 784111700), "earlier");
	CHECK(!http_req_not_modified(&R, S("\"v\""), 784111778), "later");
}

TEST(no_conditionals_is_never_not_modified)
{
	CHECK_STATUS(GET11 "\r\n", 200);
	CHECK(!http_req_not_modified(&R, S("\"v\""), 0), "304");
}

TEST(use_range_without_if_range)
{
	CHECK_STATUS(GET11 "Range: bytes=0-1\r\n\r\n", 200);
	CHECK(http_req_use_range(&R, S("\"v\""), 5), "range not used");
}

TEST(use_range_never_for_head)
{
	CHECK_STATUS("HEAD / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n",
		     200);
	CHECK(!http_req_use_range(&R, S("\"v\""), 5), "range used for HEAD");
}

TEST(use_range_not_without_range)
{
	CHECK_STATUS(GET11 "If-Range: \"v\"\r\n\r\n", 200);
	CHECK(!http_req_use_range(&R, S("\"v\""), 5), "range used");
}

TEST(if_range_strong_etag_must_be_identical)
{
	CHECK_STATUS(GET11 "Range: bytes=0-1\r\nIf-Range: \"v\"\r\n\r\n", 200);
	CHECK(http_req_use_range(&R, S("\"v\""), 5), "same etag refused");
	CHECK(!http_req_use_range(&R, S("\"w\""), 5), "other etag used");
	CHECK(!http_req_use_range(&R, S("W/\"v\""), 5), "weak etag used");
	CHECK(!http_req_use_range(&R, NULL, 0, 5), "no etag used");
}

TEST(if_range_weak_etag_never_matches)
{
	CHECK_STATUS(GET11 "Range: bytes=0-1\r\nIf-Range: W/\"v\"\r\n\r\n", 200);
	CHECK(!http_req_use_range(&R, S("W/\"v\""), 5), "weak matched");
}

TEST(if_range_date_must_equal_mtime)
{
	CHECK_STATUS(GET11 "Range: bytes=0-1\r\n"
		     "If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n", 200);
	CHECK(http_req_use_range(&R, S("\"v\""), 784111777), "equal refused");
	CHECK(!http_req_use_range(&R, S("\"v\""), 784111776), "older used");
}

TEST(if_range_garbage_never_matches)
{
	CHECK_STATUS(GET11 "Range: bytes=0-1\r\nIf-Range: soon\r\n\r\n", 200);
	CHECK(!http_req_use_range(&R, S("\"v\""), 5), "garbage matched");
}

TEST(if_range_twice_never_matches)
{
	CHECK_STATUS(GET11 "Range: bytes=0-1\r\nIf-Range: \"v\"\r\nIf-Range: \"v\"\r\n\r\n",
		     200);
	CHECK(!http_req_use_range(&R, S("\"v\""), 5), "matched");
}
