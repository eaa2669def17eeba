/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_PROTO_H
#define _FH_PROTO_H

#include <linux/types.h>

struct fh_conn;

/*
 * A protocol sees chains, never sockets. on_data is called with new input on
 * c->in; it consumes what it can parse and appends its answers to c->out,
 * which the engine sends. on_writable is called whenever c->out has all
 * gone out: a protocol that streams appends its next part there, and the
 * engine sends it in the same turn. c->priv is the protocol's own word per
 * connection. A negative return closes the connection.
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
int fh_protos_init(void);
void fh_protos_exit(void);

extern const struct fh_proto fh_proto_echo;
extern const struct fh_proto fh_proto_chargen;
int fh_chargen_init(void);
void fh_chargen_exit(void);

#endif /* _FH_PROTO_H */
