// SPDX-License-Identifier: GPL-2.0
/*
 * echo: every byte received goes back, in order. Input segments move to the
 * output chain whole, so a payload is sent from the very pages it arrived in.
 */
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
