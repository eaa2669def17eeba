// SPDX-License-Identifier: GPL-2.0
/*
 * fhctl -b FILE: one command per line, as typed after "fhctl". Reading and
 * splitting the lines is shared with apply.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhctl.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The words of one line; they point into the line. */
/*
 * Splits @line in place on blanks. Parts of a word may be "double-quoted",
 * keeping blanks and '#', with \" and \\ inside quotes for " and \. A '#'
 * that starts a word starts a comment. False on an unterminated quote.
 */
static bool split_words(char *line, struct words *w)
{
	char *r = line, *o;

	w->n = 0;
	for (;;) {
		bool quoted = false;

		while (is_blank(*r))
			r++;
		if (!*r || *r == '#')
			break;
		if (w->n + 1 >= w->cap) {
			int cap = w->cap ? w->cap * 2 : 16;
			char **v = realloc(w->v, (size_t)cap * sizeof(*v));

			if (!v)
				die("out of memory");
			w->v = v;
			w->cap = cap;
		}
		w->v[w->n++] = o = r;
		for (; *r && (quoted || !is_blank(*r)); r++) {
			if (*r == '"') {
				quoted = !quoted;
				continue;
			}
			if (quoted && *r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
			*o++ = *r;
		}
		if (quoted)
			return false;
		if (*r)
			r++;
		*o = '\0';
	}
	if (w->v)
		w->v[w->n] = NULL;
	return true;
}

/* "-" is standard input. Errors from here on name the file. */
void cmd_file_open(struct cmd_file *cf, const char *path)
{
	bool in = !strcmp(path, "-");

	memset(cf, 0, sizeof(*cf));
	batch_name = in ? "stdin" : path;
	batch_line = 0;
	cf->f = in ? stdin : fopen(path, "r");
	if (!cf->f)
		die("%s", strerror(errno));
}

/* The next line that has words (in cf->w); false at the end of the file. */
bool cmd_file_next(struct cmd_file *cf)
{
	for (;;) {
		errno = 0;
		if (getline(&cf->line, &cf->cap, cf->f) < 0) {
			if (ferror(cf->f)) {
				batch_line = 0;
				die("read error: %s", strerror(errno ? errno : EIO));
			}
			return false;
		}
		batch_line++;
		cur_cmd = NULL;
		if (!split_words(cf->line, &cf->w))
			usage_err("unterminated quote");
		if (cf->w.n)
			return true;
	}
}

void cmd_file_close(struct cmd_file *cf)
{
	if (cf->f != stdin)
		fclose(cf->f);
	free(cf->line);
	free(cf->w.v);
}

int run_batch(const char *path)
{
	struct cmd_file cf;
	unsigned long n = 0;
	const char *name;
	int ret = 0;

	cmd_file_open(&cf, path);
	while (!ret && cmd_file_next(&cf)) {
		ret = run_command(cf.w.n, cf.w.v);
		n++;
		/* Each command's output before the next one's errors. */
		fflush(stdout);
	}
	cmd_file_close(&cf);
	name = batch_name;
	batch_name = NULL;
	if (dry_run && !ret)
		printf("%s: %lu command%s checked, nothing changed\n", name, n, n == 1 ? "" : "s");
	return ret;
}
