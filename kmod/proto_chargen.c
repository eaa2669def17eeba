// SPDX-License-Identifier: GPL-2.0
/*
 * chargen (RFC 864): from the moment a connection opens, an endless stream
 * of 72-character lines, each starting one character further along the 95
 * printable ASCII characters; input is read and discarded. The 95 lines of
 * one period live in two pages made at load, shared by every connection:
 * the stream goes out by page reference, never copied, a part at a time as
 * the socket takes it (on_writable), so it is also the engine's test of
 * streaming output.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "conn.h"
#include "proto.h"

#define FH_CHARGEN_LINE		72
#define FH_CHARGEN_CHARS	95	/* ' ' to '~' */
#define FH_CHARGEN_PERIOD	(FH_CHARGEN_CHARS * (FH_CHARGEN_LINE + 2))
#define FH_CHARGEN_PAGES	DIV_ROUND_UP(FH_CHARGEN_PERIOD, PAGE_SIZE)
/* Output queued per turn: enough to fill a socket, little to hold. */
#define FH_CHARGEN_BURST	(64 * 1024)

static struct page *fh_chargen_pages[FH_CHARGEN_PAGES];

static int fh_chargen_on_writable(struct fh_conn *c)
{
	u32 pos = c->priv, off, len;
	int ret;

	while (c->out.len < FH_CHARGEN_BURST) {
		off = pos % PAGE_SIZE;
		len = min_t(u32, PAGE_SIZE - off, FH_CHARGEN_PERIOD - pos);
		ret = fh_chain_append_page(&c->out, &c->w->seg_pool,
					   fh_chargen_pages[pos / PAGE_SIZE],
					   off, len);
		if (ret)
			return ret;
		pos = (pos + len) % FH_CHARGEN_PERIOD;
	}
	c->priv = pos;
	return 0;
}

static int fh_chargen_on_accept(struct fh_conn *c)
{
	c->priv = 0;
	return fh_chargen_on_writable(c);
}

static int fh_chargen_on_data(struct fh_conn *c)
{
	fh_chain_consume(&c->in, &c->w->seg_pool, c->in.len);
	return 0;
}

const struct fh_proto fh_proto_chargen = {
	.name = "chargen",
	.on_accept = fh_chargen_on_accept,
	.on_data = fh_chargen_on_data,
	.on_writable = fh_chargen_on_writable,
};

int fh_chargen_init(void)
{
	unsigned int i, pos;
	char *p;

	for (i = 0; i < FH_CHARGEN_PAGES; i++) {
		fh_chargen_pages[i] = alloc_page(GFP_KERNEL);
		if (!fh_chargen_pages[i]) {
			fh_chargen_exit();
			return -ENOMEM;
		}
	}
	for (pos = 0; pos < FH_CHARGEN_PERIOD; pos++) {
		unsigned int line = pos / (FH_CHARGEN_LINE + 2);
		unsigned int col = pos % (FH_CHARGEN_LINE + 2);

		p = page_address(fh_chargen_pages[pos / PAGE_SIZE]);
		if (col == FH_CHARGEN_LINE)
			p[pos % PAGE_SIZE] = '\r';
		else if (col == FH_CHARGEN_LINE + 1)
			p[pos % PAGE_SIZE] = '\n';
		else
			p[pos % PAGE_SIZE] = ' ' + (line + col) % FH_CHARGEN_CHARS;
	}
	return 0;
}

void fh_chargen_exit(void)
{
	unsigned int i;

	for (i = 0; i < FH_CHARGEN_PAGES; i++) {
		if (fh_chargen_pages[i])
			__free_page(fh_chargen_pages[i]);
		fh_chargen_pages[i] = NULL;
	}
}
