// SPDX-License-Identifier: GPL-2.0
/* The protocols firehose knows of, and the shared state some of them keep. */
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <net/netlink.h>

#include "proto.h"

static const struct {
	const char *name;
	const struct fh_proto *proto;
} fh_protos[] = {
	{ "echo", &fh_proto_echo },
	{ "chargen", &fh_proto_chargen },
	{ "http", &fh_proto_http },
	{ "kv", &fh_proto_kv },
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

/* On a worker before it sleeps: the soonest any protocol is due (0: none). */
unsigned long fh_protos_worker_tick(void)
{
	unsigned long next = 0, t;
	const struct fh_proto *p;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fh_protos); i++) {
		p = fh_protos[i].proto;
		if (!p || !p->worker_tick)
			continue;
		t = p->worker_tick();
		if (t && (!next || time_before(t, next)))
			next = t;
	}
	return next;
}

/*
 * Each built protocol's policy below its option nest in a request's
 * policy (NLA_POLICY_NESTED, filled in at init: the control plane does
 * not know the protocols' attributes), so the nest is checked as the
 * request is, and the family's policy dump shows it.
 */
void fh_protos_opts_policy(struct nla_policy *policy)
{
	const struct fh_proto *p;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fh_protos); i++) {
		p = fh_protos[i].proto;
		if (!p || !p->opts_attr)
			continue;
		policy[p->opts_attr].type = NLA_NESTED;
		policy[p->opts_attr].nested_policy = p->opts_policy;
		policy[p->opts_attr].len = p->opts_maxattr;
	}
}

int fh_protos_init(void)
{
	int ret;

	ret = fh_chargen_init();
	if (ret)
		return ret;
	ret = fh_http_init();
	if (ret)
		goto err_chargen;
	ret = fh_kv_proto_init();
	if (ret)
		goto err_http;
	return 0;
err_http:
	fh_http_exit();
err_chargen:
	fh_chargen_exit();
	return ret;
}

/*
 * Every connection is closed: work the protocols' other stages still
 * have (http's loader) finishes, handing its connections back to the
 * workers, which are still there to let them go.
 */
void fh_protos_quiesce(void)
{
	fh_http_quiesce();
}

void fh_protos_exit(void)
{
	fh_kv_proto_exit();
	fh_http_exit();
	fh_chargen_exit();
}
