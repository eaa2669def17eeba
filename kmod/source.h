/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_SOURCE_H
#define _FH_SOURCE_H

#include <net/sock.h>

/*
 * Connections per peer address, for the per-source cap: a table touched on
 * accept and close only, never on the request path.
 */
struct fh_source;

struct fh_source *fh_source_get(const struct sock *sk, unsigned int cap,
				unsigned int prefix6);
void fh_source_put(struct fh_source *s);

int fh_sources_init(void);
void fh_sources_exit(void);

#endif /* _FH_SOURCE_H */
