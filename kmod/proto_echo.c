// SPDX-License-Identifier: GPL-2.0
/*
 * echo: every byte received goes back, in order. Input segments move to the
 * output chain whole, so a payload is sent from the very pages it arrived in.
 */
#include <linux/string.h>

#include "conn.h"
#include "proto.h"

static int fh_echo_on_data(struct fh_conn *c)
{
	fh_chain_splice(&c->out, &c->in);
	return 0;
}

const struct fh_proto fh_proto_echo = {
	.name = "echo",
	.on_data = fh_echo_on_data,
};

/* Protocols firehose knows of, built or planned. */
static const struct {
	const char *name;
	const struct fh_proto *proto;
} fh_protos[] = {
	{ "echo", &fh_proto_echo },
	{ "http", NULL },
	{ "kv", NULL },
};

/* NULL with *known set: a firehose protocol this build does not have. */
const struct fh_proto *fh_proto_find(const char *name, bool *known)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fh_protos); i++) {
		if (!strcmp(name, fh_protos[i].name)) {
			*known = true;
			return fh_protos[i].proto;
		}
	}
	*known = false;
	return NULL;
}
