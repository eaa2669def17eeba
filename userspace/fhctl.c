// SPDX-License-Identifier: GPL-2.0
/*
 * fhctl - control the firehose in-kernel TCP request server.
 *
 * Talks to the module over the "firehose" generic netlink family described in
 * include/uapi/firehose.h and netlink/firehose.yaml.
 *
 * Exit status: 0 success, 1 runtime or kernel error, 2 usage error. Every
 * error is a single line on stderr starting with "fhctl: ", and every argument
 * is checked before the first message is sent, so a rejected command never
 * changes anything.
 *
 * "fhctl -b FILE" runs one command per line and stops at the first error,
 * which names the line ("fhctl: FILE:LINE: ..."); "fhctl apply FILE" makes
 * the running upstreams, listeners and settings equal a file of "upstream",
 * "listener add" and "set" lines, all or nothing. --dry-run checks everything and changes
 * nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhctl.h"

/* The build passes -DFH_VERSION="..." from the top-level VERSION file. */
#ifndef FH_VERSION
#define FH_VERSION	"unknown"
#endif

/* ------------------------------------------------------------------------ */
/* Error reporting                                                           */

/* What every error line needs to know (fhctl.h says what each one is). */
const struct cmd *cur_cmd;
const char *batch_name;
unsigned long batch_line;
bool dry_run;

static const char usage_text[] =
	"Usage: fhctl listener add PROTO ADDR:PORT [--cpus LIST] [--max-connections N]\n"
	"                          [--root DIR [--user NAME] [--cache SIZE] [--one-file-system]]\n"
	"                          [--route PREFIX=UPSTREAM]... [--fallback UPSTREAM]\n"
	"                          [--access-log]\n"
	"       fhctl listener add kv ADDR:PORT [--cpus LIST] [--max-connections N]\n"
	"                          [--mem SIZE] [--item-max SIZE]\n"
	"       fhctl listener set ADDR:PORT --mem SIZE\n"
	"       fhctl listener del ADDR:PORT\n"
	"       fhctl listener list [-j]\n"
	"       fhctl upstream add NAME ADDR:PORT... [--keepalive N]\n"
	"                          [--connect-timeout DURATION] [--read-timeout DURATION]\n"
	"                          [--max-fails N] [--fail-timeout DURATION]\n"
	"       fhctl upstream del NAME\n"
	"       fhctl upstream list [-j]\n"
	"       fhctl upstream show NAME [-j]\n"
	"       fhctl stats [-j] [--per-cpu] [--watch [--count N] [--interval SECONDS]]\n"
	"       fhctl set {max-connections N | max-connections-per-source N |\n"
	"                  idle-timeout DURATION | send-timeout DURATION |\n"
	"                  keepalive SECONDS | keepalive-interval SECONDS | keepalive-count N |\n"
	"                  http-header-timeout DURATION | http-max-header SIZE |\n"
	"                  http-pin-limit SIZE | source-prefix6 BITS}...\n"
	"       fhctl show settings [-j]\n"
	"       fhctl cache flush [--listener ADDR:PORT]\n"
	"       fhctl cache stats [-j]\n"
	"       fhctl log [-j] [--follow]\n"
	"       fhctl apply FILE [--dry-run]\n"
	"       fhctl -b FILE [--dry-run]\n"
	"       fhctl --dry-run COMMAND...\n"
	"       fhctl --version | -h | --help | help\n"
	"\n"
	"ADDR:PORT  IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:7777 or [::1]:8080\n"
	"LIST       cpulist such as 0-3,6 (default: every worker CPU)\n"
	"DURATION   N[ms|s|m|h], seconds if no unit; 0 or off disables\n"
	"SECONDS    a DURATION of whole seconds (TCP keepalive: new connections only;\n"
	"           keepalive 0 or off disables it)\n"
	"SIZE       bytes: N[K|M|G], powers of 1024\n"
	"--root DIR http: the document root (required without --route and --fallback);\n"
	"           --user NAME: the user files are opened as (default nobody);\n"
	"           --cache SIZE: the content cache's limit, 0 for none;\n"
	"           --one-file-system: no lookup crosses into a file system mounted\n"
	"           below the root (403 behind a mount point); --access-log: record\n"
	"           every response, read with 'fhctl log'\n"
	"--route PREFIX=UPSTREAM  http (up to 32): requests whose path starts with\n"
	"           PREFIX (which starts with '/') go to UPSTREAM, the longest prefix\n"
	"           winning; --fallback UPSTREAM: gets what would be a 404 or a 405\n"
	"--mem SIZE kv: the memory limit, 1M..1T (default 64M; 'listener set' changes\n"
	"           it on a running listener); --item-max SIZE: the largest item,\n"
	"           1K..128M (default 1M)\n"
	"upstream   a named group of 1..16 servers (ADDR:PORT) http routes proxy to;\n"
	"           NAME: up to 31 letters, digits, '-', '_' and '.'; --keepalive N\n"
	"           (0..1024, default 32): idle connections each worker keeps;\n"
	"           --connect-timeout, --read-timeout (default 60s),\n"
	"           --fail-timeout (default 10s): 100ms..24h; --max-fails N (0..1000,\n"
	"           default 1; 0: never): a server that failed N times within\n"
	"           fail-timeout is skipped for fail-timeout\n"
	"log        print the access log's records and consume them, in the Common\n"
	"           Log Format (-j: one JSON object per line); --follow (-f) reads\n"
	"           again (after 10 ms, 200 ms when quiet) until interrupted\n"
	"-j         JSON output\n"
	"-b FILE    run the commands in FILE ('-': standard input), one per line as\n"
	"           typed after 'fhctl'; '#' starts a comment, \"double quotes\" group;\n"
	"           stops at the first error, which names FILE:LINE\n"
	"--dry-run  check every command, change nothing; with -b the module need\n"
	"           not be loaded\n"
	"apply FILE make the running upstreams, listeners and settings equal FILE,\n"
	"           which holds 'upstream', 'listener add' and 'set' lines (the -b\n"
	"           syntax; 'upstream NAME ...' is short for 'upstream add NAME ...'):\n"
	"           adds what is missing, deletes upstreams and listeners not in\n"
	"           FILE, keeps identical ones (listeners with their connections);\n"
	"           checks all of FILE before changing anything and undoes its\n"
	"           changes if the kernel refuses one\n";

/* "fhctl: " and, inside a file, "FILE:LINE: ". */
static void err_prefix(void)
{
	fputs("fhctl: ", stderr);
	if (batch_name && batch_line)
		fprintf(stderr, "%s:%lu: ", batch_name, batch_line);
	else if (batch_name)
		fprintf(stderr, "%s: ", batch_name);
}

void __attribute__((format(printf, 2, 3), noreturn))
vdie(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	err_prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* The shape of the command line is wrong: append the synopsis as the hint. */
void __attribute__((format(printf, 1, 2), noreturn))
usage_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	err_prefix();
	if (cur_cmd)
		fprintf(stderr, "%s%s%s: ", cur_cmd->word,
			cur_cmd->sub ? " " : "", cur_cmd->sub ? cur_cmd->sub : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cur_cmd)
		fprintf(stderr, " (usage: fhctl %s)\n", cur_cmd->synopsis);
	else
		fputs(" (try 'fhctl --help')\n", stderr);
	exit(EXIT_USAGE);
}

void __attribute__((noreturn)) usage_ok(void)
{
	if (batch_name)
		usage_err("help is not a command for a file");
	fputs(usage_text, stdout);
	exit(fflush(stdout) ? EXIT_RUNTIME : 0);
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */

static const struct cmd cmds[] = {
	{ "listener", "add", cmd_listener_add,
	  "listener add PROTO ADDR:PORT [--cpus LIST] [--max-connections N] "
	  "[--root DIR [--user NAME] [--cache SIZE] [--one-file-system]] "
	  "[--route PREFIX=UPSTREAM]... [--fallback UPSTREAM] [--access-log] "
	  "[--mem SIZE] [--item-max SIZE]" },
	{ "listener", "set", cmd_listener_set, "listener set ADDR:PORT --mem SIZE" },
	{ "listener", "del", cmd_listener_del, "listener del ADDR:PORT" },
	{ "listener", "list", cmd_listener_list, "listener list [-j]" },
	{ "upstream", "add", cmd_upstream_add,
	  "upstream add NAME ADDR:PORT... [--keepalive N] [--connect-timeout DURATION] "
	  "[--read-timeout DURATION] [--max-fails N] [--fail-timeout DURATION]" },
	{ "upstream", "del", cmd_upstream_del, "upstream del NAME" },
	{ "upstream", "list", cmd_upstream_list, "upstream list [-j]" },
	{ "upstream", "show", cmd_upstream_show, "upstream show NAME [-j]" },
	{ "stats", NULL, cmd_stats,
	  "stats [-j] [--per-cpu] [--watch [--count N] [--interval SECONDS]]" },
	{ "set", NULL, cmd_set,
	  "set {max-connections N | max-connections-per-source N | idle-timeout DURATION | "
	  "send-timeout DURATION | "
	  "keepalive SECONDS | keepalive-interval SECONDS | keepalive-count N | "
	  "http-header-timeout DURATION | http-max-header SIZE | http-pin-limit SIZE | "
	  "source-prefix6 BITS}..." },
	{ "show", "settings", cmd_show_settings, "show settings [-j]" },
	{ "cache", "flush", cmd_cache_flush, "cache flush [--listener ADDR:PORT]" },
	{ "cache", "stats", cmd_cache_stats, "cache stats [-j]" },
	{ "log", NULL, cmd_log, "log [-j] [--follow]" },
	{ "apply", NULL, cmd_apply, "apply FILE [--dry-run]" },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

const struct cmd *find_cmd(const char *word, const char *sub)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(word, cmds[i].word) &&
		    (!cmds[i].sub || (sub && !strcmp(sub, cmds[i].sub))))
			return &cmds[i];
	return NULL;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help");
}

/* @argv[0] is the command's first word. */
int run_command(int argc, char **argv)
{
	const char *word = argv[0], *sub = argc > 1 ? argv[1] : NULL;
	bool known = false;

	cur_cmd = NULL;
	if (is_help(word))
		usage_ok();
	for (size_t i = 0; i < NCMDS; i++)
		known |= !strcmp(word, cmds[i].word);
	if (!known)
		usage_err("unknown command '%s'", word);
	cur_cmd = find_cmd(word, sub);
	if (!cur_cmd) {
		const char *expect = !strcmp(word, "listener") ? "add, set, del or list" :
				     !strcmp(word, "upstream") ? "add, del, list or show" :
				     !strcmp(word, "cache") ? "flush or stats" : "settings";

		if (sub && is_help(sub))
			usage_ok();
		if (sub)
			usage_err("%s: unknown subcommand '%s': expected %s", word, sub, expect);
		usage_err("%s: missing subcommand: expected %s", word, expect);
	}
	if (cur_cmd->sub)
		return cur_cmd->fn(argc - 2, argv + 2);
	return cur_cmd->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	const char *batch = NULL;
	int i, ret;

	/* Options before the command: -b FILE, --dry-run, --version, --help. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (is_help(a)) {
			usage_ok();
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf("fhctl %s (firehose netlink version %d)\n", FH_VERSION,
			       FH_GENL_VERSION);
			return fflush(stdout) ? EXIT_RUNTIME : 0;
		} else if (!strcmp(a, "--dry-run")) {
			dry_run = true;
		} else if (!strcmp(a, "-b") || !strcmp(a, "--batch") ||
			   !strncmp(a, "--batch=", 8)) {
			if (batch)
				usage_err("-b given twice");
			if (a[1] == '-' && a[7] == '=')
				batch = a + 8;
			else if (i + 1 < argc)
				batch = argv[++i];
			else
				usage_err("option %s needs a FILE", a);
		} else {
			usage_err("unknown option '%s'", a);
		}
	}
	if (batch) {
		if (i < argc)
			usage_err("unexpected argument '%s' after -b FILE", argv[i]);
		ret = run_batch(batch);
	} else {
		if (i >= argc)
			usage_err("missing command");
		ret = run_command(argc - i, argv + i);
	}

	/* Output to a full disk or closed pipe is a failure, not a success. */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "fhctl: write error: %s\n", strerror(errno ? errno : EIO));
		return EXIT_RUNTIME;
	}
	return ret;
}
