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
	{ "max-connections", "max_connections", FH_A_MAX_CONNS, SETTING_COUNT, false,
	  1, FH_MAX_CONNS_LIMIT },
	{ "max-connections-per-source", "max_connections_per_source",
	  FH_A_MAX_CONNS_PER_SOURCE, SETTING_COUNT, true, 1, FH_MAX_CONNS_LIMIT },
	{ "idle-timeout", "idle_timeout_ms", FH_A_IDLE_TIMEOUT_MS, SETTING_MS, true,
	  FH_TIMEOUT_MIN_MS, FH_TIMEOUT_MAX_MS },
	{ "send-timeout", "send_timeout_ms", FH_A_SEND_TIMEOUT_MS, SETTING_MS, true,
	  FH_TIMEOUT_MIN_MS, FH_TIMEOUT_MAX_MS },
	{ "keepalive", "keepalive_s", FH_A_KEEPALIVE_S, SETTING_S, true,
	  1, FH_KEEPALIVE_MAX_S },
	{ "keepalive-interval", "keepalive_intvl_s", FH_A_KEEPALIVE_INTVL_S, SETTING_S, false,
	  1, FH_KEEPALIVE_MAX_S },
	{ "keepalive-count", "keepalive_cnt", FH_A_KEEPALIVE_CNT, SETTING_COUNT, false,
	  1, FH_KEEPALIVE_CNT_MAX },
	{ "http-header-timeout", "http_header_timeout_ms", FH_A_HTTP_HEADER_TIMEOUT_MS,
	  SETTING_MS, true, FH_TIMEOUT_MIN_MS, FH_TIMEOUT_MAX_MS },
	{ "http-max-header", "http_max_header", FH_A_HTTP_MAX_HEADER, SETTING_SIZE, false,
	  FH_HTTP_MAX_HEADER_MIN, FH_HTTP_MAX_HEADER_MAX },
	{ "http-pin-limit", "http_pin_limit", FH_A_HTTP_PIN_LIMIT, SETTING_SIZE, false,
	  FH_HTTP_PIN_LIMIT_MIN, FH_HTTP_PIN_LIMIT_MAX },
	{ "source-prefix6", "source_prefix6", FH_A_SOURCE_PREFIX6, SETTING_COUNT, false,
	  FH_SOURCE_PREFIX6_MIN, FH_SOURCE_PREFIX6_MAX },
};

_Static_assert(sizeof(settings) / sizeof(settings[0]) == NSETTINGS,
	       "NSETTINGS counts the settings");
_Static_assert(2 * NSETTINGS <= MAX_POS, "set takes a name and a value per setting");

/* Milliseconds per unit of a duration setting's value. */
static uint64_t setting_unit_ms(const struct setting *s)
{
	return s->kind == SETTING_S ? 1000 : 1;
}

static void __attribute__((noreturn))
setting_out_of_range(const struct setting *s, const char *val)
{
	const char *off = s->off_ok ? "0 (off) or " : "";
	char lo[32], hi[32];

	if (s->kind == SETTING_SIZE)
		bad_value("%s %s out of range: expected %s%s..%s", s->name, val, off,
			  format_size(lo, sizeof(lo), s->min), format_size(hi, sizeof(hi), s->max));
	if (s->kind == SETTING_COUNT)
		bad_value("%s %s out of range: expected %s%" PRIu32 "..%" PRIu32, s->name, val,
			  off, s->min, s->max);
	bad_value("%s %s out of range: expected %s%s..%s", s->name, val, off,
		  format_ms(lo, sizeof(lo), s->min * setting_unit_ms(s)),
		  format_ms(hi, sizeof(hi), s->max * setting_unit_ms(s)));
}

uint32_t parse_setting(const struct setting *s, const char *val)
{
	uint64_t v, unit = setting_unit_ms(s);

	if (s->kind == SETTING_COUNT) {
		if (s->off_ok && !strcmp(val, "off"))
			v = 0;
		else if (!parse_u64(val, &v))
			bad_value("bad number '%s' for %s%s", val, s->name,
				  s->off_ok ? ": expected N, 0 or off" : "");
	} else if (s->kind == SETTING_SIZE) {
		if (!parse_size(val, &v))
			bad_value("bad size '%s' for %s: expected N[K|M|G]", val, s->name);
	} else {
		if (!parse_duration_ms(val, &v))
			bad_value("bad duration '%s' for %s: expected N[ms|s|m|h]%s", val,
				  s->name, s->off_ok ? ", 0 or off" : "");
		/* Only keepalive counts in seconds (UINT64_MAX: too large for any). */
		if (v % unit && v != UINT64_MAX)
			bad_value("%s %s: TCP keepalive takes whole seconds", s->name, val);
		v /= unit;
	}
	if ((v || !s->off_ok) && (v < s->min || v > s->max))
		setting_out_of_range(s, val);
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
		for (size_t k = 0; k < NSETTINGS; k++)
			printf("%c\"%s\":%" PRIu32, k ? ',' : '{', settings[k].json,
			       r.v[settings[k].attr]);
		printf("}\n");
		return 0;
	}
	for (size_t k = 0; k < NSETTINGS; k++)
		printf("%s %s\n", settings[k].name,
		       setting_str(&settings[k], r.v[settings[k].attr], buf, sizeof(buf)));
	return 0;
}

const char *setting_str(const struct setting *s, uint32_t v, char *buf, size_t size)
{
	if (s->kind == SETTING_SIZE)
		return format_size(buf, size, v);
	if (s->kind != SETTING_COUNT)
		return format_ms(buf, size, v * setting_unit_ms(s));
	snprintf(buf, size, "%" PRIu32, v);
	return buf;
}
