// SPDX-License-Identifier: GPL-2.0
/* fhctl set / show settings. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "fhctl.h"

const struct setting settings[] = {
	{ "max-connections", FH_A_MAX_CONNS, false },
	{ "idle-timeout", FH_A_IDLE_TIMEOUT_MS, true },
	{ "send-timeout", FH_A_SEND_TIMEOUT_MS, true },
};

_Static_assert(sizeof(settings) / sizeof(settings[0]) == NSETTINGS,
	       "NSETTINGS counts the settings");
_Static_assert(2 * NSETTINGS <= MAX_POS, "set takes a name and a value per setting");

static uint32_t parse_setting(const struct setting *s, const char *val)
{
	uint64_t v;

	if (!s->duration) {
		if (!parse_u64(val, &v))
			bad_value("bad number '%s' for %s", val, s->name);
		if (v < 1 || v > FH_MAX_CONNS_LIMIT)
			bad_value("%s %s out of range: expected 1..%d", s->name, val,
				  FH_MAX_CONNS_LIMIT);
		return (uint32_t)v;
	}
	if (!parse_duration_ms(val, &v))
		bad_value("bad duration '%s' for %s: expected N[ms|s|m|h], 0 or off", val,
			  s->name);
	if (v && (v < FH_TIMEOUT_MIN_MS || v > FH_TIMEOUT_MAX_MS)) {
		char lo[32], hi[32];

		bad_value("%s %s out of range: expected 0 (off) or %s..%s", s->name, val,
			  format_ms(lo, sizeof(lo), FH_TIMEOUT_MIN_MS),
			  format_ms(hi, sizeof(hi), FH_TIMEOUT_MAX_MS));
	}
	return (uint32_t)v;
}

void parse_set(int argc, char **argv, struct settings_req *r)
{
	struct opts o = { .max_pos = 2 * NSETTINGS };

	memset(r, 0, sizeof(*r));
	parse_opts(argc, argv, 0, &o);
	if (!o.npos)
		usage_err("missing setting");
	for (int i = 0; i < o.npos; i += 2) {
		size_t k;

		for (k = 0; k < NSETTINGS && strcmp(o.pos[i], settings[k].name); k++)
			;
		if (k == NSETTINGS)
			usage_err("unknown setting '%s'", o.pos[i]);
		if (r->given[k])
			usage_err("%s given twice", o.pos[i]);
		if (i + 1 >= o.npos)
			usage_err("missing value for %s", o.pos[i]);
		r->value[k] = parse_setting(&settings[k], o.pos[i + 1]);
		r->given[k] = true;
	}
}

/* Several settings in one request are applied by the kernel together. */
int settings_set(struct genl *g, const struct settings_req *r)
{
	struct nlmsghdr *nlh = fh_msg(g, FH_CMD_SETTINGS_SET, 0);

	for (size_t k = 0; k < NSETTINGS; k++)
		if (r->given[k])
			mnl_attr_put_u32(nlh, (uint16_t)settings[k].attr, r->value[k]);
	return genl_talk(g, nlh, NULL, NULL);
}

int cmd_set(int argc, char **argv)
{
	struct settings_req r;
	struct genl g;

	parse_set(argc, argv, &r);
	if (dry_run)
		return 0;
	genl_open(&g, "set");
	if (settings_set(&g, &r))
		genl_report(&g, "set");
	genl_close(&g);
	return 0;
}

int settings_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[FH_A_MAX + 1] = { 0 };
	struct settings_reply *r = data;

	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fh_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	for (size_t k = 0; k < NSETTINGS; k++) {
		const struct nlattr *a = tb[settings[k].attr];

		if (!a)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) {
			errno = EPROTO;
			return MNL_CB_ERROR;
		}
		r->have[settings[k].attr] = true;
		r->v[settings[k].attr] = mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

int cmd_show_settings(int argc, char **argv)
{
	struct opts o = { .max_pos = 0 };
	struct settings_reply r = { 0 };
	struct genl g;
	char buf[32];

	parse_opts(argc, argv, 0, &o);
	if (dry_run)
		return 0;
	genl_open(&g, "show settings");
	genl_do(&g, fh_msg(&g, FH_CMD_SETTINGS_GET, 0), settings_cb, &r, "show settings");
	genl_close(&g);
	for (size_t k = 0; k < NSETTINGS; k++)
		if (!r.have[settings[k].attr])
			die("show settings: the kernel did not report %s", settings[k].name);

	if (o.json) {
		printf("{\"max_connections\":%" PRIu32 ",\"idle_timeout_ms\":%" PRIu32
		       ",\"send_timeout_ms\":%" PRIu32 "}\n",
		       r.v[FH_A_MAX_CONNS], r.v[FH_A_IDLE_TIMEOUT_MS], r.v[FH_A_SEND_TIMEOUT_MS]);
		return 0;
	}
	printf("max-connections %" PRIu32 "\n", r.v[FH_A_MAX_CONNS]);
	printf("idle-timeout %s\n", format_ms(buf, sizeof(buf), r.v[FH_A_IDLE_TIMEOUT_MS]));
	printf("send-timeout %s\n", format_ms(buf, sizeof(buf), r.v[FH_A_SEND_TIMEOUT_MS]));
	return 0;
}

const char *setting_str(const struct setting *s, uint32_t v, char *buf, size_t size)
{
	if (s->duration)
		return format_ms(buf, size, v);
	snprintf(buf, size, "%" PRIu32, v);
	return buf;
}
