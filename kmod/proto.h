/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_PROTO_H
#define _FH_PROTO_H

#include <linux/types.h>

struct fh_conn;

/*
 * A protocol sees chains, never sockets. on_data is called with new input on
 * c->in; it consumes what it can parse and appends its answers to c->out,
 * which the engine sends. A negative return closes the connection.
 */
struct fh_proto {
	const char *name;
	/* Bytes of input plus unsent output a connection may hold. */
	size_t max_held;
	int (*on_accept)(struct fh_conn *c);
	int (*on_data)(struct fh_conn *c);
	int (*on_writable)(struct fh_conn *c);
	void (*on_close)(struct fh_conn *c);
};

const struct fh_proto *fh_proto_find(const char *name, bool *known);

extern const struct fh_proto fh_proto_echo;

#endif /* _FH_PROTO_H */
