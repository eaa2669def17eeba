// SPDX-License-Identifier: GPL-2.0
/*
 * fhctl -b FILE runs one command per line and stops at the first error,
 * naming FILE:LINE; --dry-run checks every line and changes nothing.
 * fhctl apply FILE makes the running upstreams, listeners and settings equal
 * the file: it adds, replaces and deletes listeners, keeps identical ones
 * with their connections, changes only settings that differ, adds upstreams
 * before the listeners that route to them and deletes them after, replaces
 * none in use, and changes nothing at all when the file has a bad line or
 * the kernel refuses one of its changes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2




/* The upstreams a test may add; the teardown deletes them. */
#define UP_A	"fh-apply-a"
#define UP_B	"fh-apply-b"

/* `fhctl upstream list -j`, or "" when it fails. */
static void upstreams_json(char *out, size_t len)
{
	if (fh_fhctl_out(out, len, "upstream list -j"))
		out[0] = '\0';
}

/* `fhctl listener list -j`, or "" when it fails. */
static void listeners_json(char *out, size_t len)
{
	if (fh_fhctl_out(out, len, "listener list -j"))
		out[0] = '\0';
}

/* `fhctl show settings`, or "" when it fails. */
static void settings_text(char *out, size_t len)
{
	if (fh_fhctl_out(out, len, "show settings"))
		out[0] = '\0';
}

/*
 * The CPUS column of `fhctl listener list` for address into cpus; false
 * when the address is not listed.
 */
static bool listed(const char *address, char *cpus, size_t len)
{
	char out[8192], proto[32], addr[80], c[300];
	const char *row;

	if (fh_fhctl_out(out, sizeof(out), "listener list"))
		return false;
	for (row = strchr(out, '\n'); row && row[1]; row = strchr(row, '\n')) {
		row++;
		if (sscanf(row, "%31s %79s %299s", proto, addr, c) == 3 && !strcmp(addr, address)) {
			if (cpus)
				snprintf(cpus, len, "%s", c);
			return true;
		}
	}
	return false;
}

/* The ACCEPTED column of `fhctl listener list` for address; -1 if not listed. */
static long long listed_accepted(const char *address)
{
	char out[8192], proto[32], addr[80], c[300];
	const char *row;
	long long acc;

	if (fh_fhctl_out(out, sizeof(out), "listener list"))
		return -1;
	for (row = strchr(out, '\n'); row && row[1]; row = strchr(row, '\n')) {
		row++;
		if (sscanf(row, "%31s %79s %299s %lld", proto, addr, c, &acc) == 4 &&
		    !strcmp(addr, address))
			return acc;
	}
	return -1;
}

/* Every CPU, as the kernel lists a listener added without --cpus. */
static void all_cpus(char *buf, size_t len)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n <= 1)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "0-%ld", n - 1);
}

FIXTURE(apply) {
	int port;
	char a[64], b[64], c[64];	/* three addresses no other test uses */
	char conf[128];			/* the command file of the test */
};

FIXTURE_SETUP(apply)
{
	ASSERT_EQ(0, fh_module_load());
	self->port = fh_test_port(21000);
	snprintf(self->a, sizeof(self->a), "127.0.0.1:%d", self->port);
	snprintf(self->b, sizeof(self->b), "127.0.0.1:%d", self->port + 1);
	snprintf(self->c, sizeof(self->c), "[::1]:%d", self->port + 2);
	snprintf(self->conf, sizeof(self->conf), "/tmp/apply_test.%d.conf", (int)getpid());
	/* Each test starts from no listener at all. */
	ASSERT_FALSE(listed(self->a, NULL, 0) || listed(self->b, NULL, 0) ||
		     listed(self->c, NULL, 0));
}

FIXTURE_TEARDOWN(apply)
{
	char out[256];

	if (!fh_module_loaded())
		fh_module_load();
	fh_run(out, sizeof(out), "fhctl listener del %s", self->a);
	fh_run(out, sizeof(out), "fhctl listener del %s", self->b);
	fh_run(out, sizeof(out), "fhctl listener del '%s'", self->c);
	/* After the listeners that may route to them. */
	fh_run(out, sizeof(out), "fhctl upstream del " UP_A);
	fh_run(out, sizeof(out), "fhctl upstream del " UP_B);
	fh_fhctl_ok("set " FH_DEFAULT_SETTINGS);
	unlink(self->conf);
}

/* Writes the test's command file. */
static void __attribute__((format(printf, 3, 4)))
write_conf(struct __test_metadata *_metadata, const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	va_list ap;

	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ASSERT_EQ(0, fclose(f));
}

/* ---- fhctl -b --------------------------------------------------------- */

TEST_F(apply, batch_runs_every_line)
{
	char cpus[300], out[512];

	write_conf(_metadata, self->conf,
		   "listener add echo %s\n"
		   "listener add echo \"%s\" --cpus 0\n"
		   "set idle-timeout 30s\n",
		   self->a, self->c);
	ASSERT_EQ(0, fh_fhctl_ok("-b %s", self->conf));
	EXPECT_TRUE(listed(self->a, NULL, 0));
	ASSERT_TRUE(listed(self->c, cpus, sizeof(cpus)));
	EXPECT_STREQ("0", cpus);
	settings_text(out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "idle-timeout 30s\n")) TH_LOG("%s", out);
}

TEST_F(apply, batch_reads_standard_input_for_dash)
{
	char out[1024];

	EXPECT_EQ(0, fh_run(out, sizeof(out), "printf 'listener add echo %s\\n' | fhctl -b -",
			    self->a)) TH_LOG("%s", out);
	EXPECT_TRUE(listed(self->a, NULL, 0));
}

TEST_F(apply, batch_error_names_the_line_and_stops_there)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf,
		   "listener add echo %s\n"
		   "listener add gopher %s\n"
		   "listener add echo %s\n",
		   self->a, self->b, self->c);
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "-b %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:2: listener add: unknown protocol", self->conf);
	fh_expect_error_line(_metadata, err, want);
	/* The line before ran; the line after did not. */
	EXPECT_TRUE(listed(self->a, NULL, 0));
	EXPECT_FALSE(listed(self->b, NULL, 0));
	EXPECT_FALSE(listed(self->c, NULL, 0));
}

TEST_F(apply, batch_usage_error_names_the_line_and_exits_2)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf,
		   "listener add echo %s\n"
		   "set idle-timeout 50ms\n"
		   "listener add echo %s\n",
		   self->a, self->b);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "-b %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:2: idle-timeout 50ms out of range", self->conf);
	fh_expect_error_line(_metadata, err, want);
	EXPECT_FALSE(listed(self->b, NULL, 0));
}

TEST_F(apply, batch_ignores_comments_and_blank_lines)
{
	char out[1024];

	write_conf(_metadata, self->conf,
		   "# listeners\n"
		   "\n"
		   "   \t\n"
		   "  # listener add echo %s\n"
		   "listener add echo %s   # the only one\n"
		   "#\n",
		   self->b, self->a);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "-b %s", self->conf));
	EXPECT_STREQ("", out);
	EXPECT_TRUE(listed(self->a, NULL, 0));
	EXPECT_FALSE(listed(self->b, NULL, 0));
}

TEST_F(apply, batch_error_line_counts_comments_and_blank_lines)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf,
		   "# a comment\n"
		   "\n"
		   "listener add echo %s\n"
		   "\n"
		   "listener frobnicate\n",
		   self->a);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "-b %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:5: listener: unknown subcommand", self->conf);
	fh_expect_error_line(_metadata, err, want);
}

TEST_F(apply, batch_unterminated_quote_is_an_error_naming_the_line)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf, "listener add echo %s\nlistener add \"echo %s\n",
		   self->a, self->b);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "-b %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:2: unterminated quote", self->conf);
	fh_expect_error_line(_metadata, err, want);
}

TEST_F(apply, batch_dry_run_applies_nothing)
{
	char before_l[8192], after_l[8192], before_s[512], after_s[512];

	listeners_json(before_l, sizeof(before_l));
	settings_text(before_s, sizeof(before_s));
	write_conf(_metadata, self->conf,
		   "listener add echo %s\n"
		   "listener add echo %s --cpus 0\n"
		   "set max-connections 5 idle-timeout 1s\n"
		   "listener del %s\n",
		   self->a, self->b, self->a);
	ASSERT_EQ(0, fh_fhctl_ok("-b %s --dry-run", self->conf));
	ASSERT_EQ(0, fh_fhctl_ok("--dry-run -b %s", self->conf));
	listeners_json(after_l, sizeof(after_l));
	settings_text(after_s, sizeof(after_s));
	EXPECT_STREQ(before_l, after_l);
	EXPECT_STREQ(before_s, after_s);
}

TEST_F(apply, batch_dry_run_reports_an_error_with_its_line)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf,
		   "listener add echo %s\n"
		   "listener add echo %s\n"
		   "listener add echo 127.0.0.1:65536\n",
		   self->a, self->b);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "-b %s --dry-run", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:3: bad port '65536'", self->conf);
	fh_expect_error_line(_metadata, err, want);
	EXPECT_FALSE(listed(self->a, NULL, 0));
	EXPECT_FALSE(listed(self->b, NULL, 0));
}

TEST_F(apply, batch_dry_run_needs_no_module)
{
	char out[1024], err[1024], want[256];

	write_conf(_metadata, self->conf, "listener add echo %s\nshow settings\n", self->a);
	ASSERT_EQ(0, fh_module_unload());
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "-b %s --dry-run", self->conf));
	EXPECT_NE(NULL, strstr(out, "2 commands checked")) TH_LOG("%s", out);
	/* A real run of the same file does need it. */
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "-b %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:1: firehose module not loaded", self->conf);
	fh_expect_error_line(_metadata, err, want);
	ASSERT_EQ(0, fh_module_load());
}

/* ---- fhctl apply ------------------------------------------------------ */

TEST_F(apply, apply_adds_missing_listeners)
{
	char out[4096], cpus[300], want[128];

	write_conf(_metadata, self->conf,
		   "listener add echo %s\nlistener add echo %s --cpus 0\n", self->a, self->b);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "added echo %s ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "added echo %s cpus 0\n", self->b);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out, "apply: 2 added, 0 replaced, 0 deleted"))
		TH_LOG("%s", out);
	EXPECT_TRUE(listed(self->a, NULL, 0));
	ASSERT_TRUE(listed(self->b, cpus, sizeof(cpus)));
	EXPECT_STREQ("0", cpus);
}

TEST_F(apply, apply_deletes_listeners_not_in_the_file)
{
	char out[4096], want[128];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->a));
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->b));
	write_conf(_metadata, self->conf, "listener add echo %s\n", self->a);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "deleted echo %s ", self->b);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	EXPECT_TRUE(listed(self->a, NULL, 0));
	EXPECT_FALSE(listed(self->b, NULL, 0));
}

TEST_F(apply, apply_of_an_empty_file_deletes_every_listener)
{
	char out[4096];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->a));
	write_conf(_metadata, self->conf, "# nothing\n");
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	EXPECT_EQ(1, fh_count_lines_starting(out, "apply: 0 added, 0 replaced, 1 deleted"))
		TH_LOG("%s", out);
	EXPECT_FALSE(listed(self->a, NULL, 0));
}

TEST_F(apply, apply_keeps_an_unchanged_listener_and_its_connection)
{
	char in[1000], back[sizeof(in)], out[4096], want[128];
	int fd;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->a));
	fd = fh_connect("127.0.0.1", self->port);
	ASSERT_LE(0, fd) TH_LOG("connect: %s", strerror(errno));
	fh_fill_random(in, sizeof(in), 1);
	ASSERT_EQ(0, fh_echo_exchange(fd, in, sizeof(in), back, 10000));
	ASSERT_EQ(1, listed_accepted(self->a));

	write_conf(_metadata, self->conf, "listener add echo %s\nlistener add echo %s\n",
		   self->a, self->b);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "kept echo %s ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	/* The same listener, not a new one at the same address: its count stays. */
	EXPECT_EQ(1, listed_accepted(self->a));

	/* The same connection is still served. */
	fh_fill_random(in, sizeof(in), 2);
	memset(back, 0, sizeof(back));
	EXPECT_EQ(0, fh_echo_exchange(fd, in, sizeof(in), back, 10000));
	EXPECT_EQ(0, memcmp(in, back, sizeof(in)));
	close(fd);
}

TEST_F(apply, apply_keeps_a_listener_whose_cpu_list_is_written_differently)
{
	char out[4096], cpus[300], want[512];
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		SKIP(return, "needs two CPUs");
	/* Added without --cpus: every worker CPU, listed as 0-N. */
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->a));
	all_cpus(cpus, sizeof(cpus));
	write_conf(_metadata, self->conf, "listener add echo %s --cpus %ld,0-%ld,0\n", self->a,
		   n - 1, n - 1);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "kept echo %s cpus %s\n", self->a, cpus);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
}

TEST_F(apply, apply_replaces_a_listener_whose_cpus_differ)
{
	char out[4096], cpus[300], want[128];

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->a));
	write_conf(_metadata, self->conf, "listener add echo %s --cpus 0\n", self->a);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "replaced echo %s cpus 0 (was echo cpus ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	ASSERT_TRUE(listed(self->a, cpus, sizeof(cpus)));
	EXPECT_STREQ("0", cpus);
}

TEST_F(apply, apply_replaces_a_listener_whose_connection_limit_differs)
{
	char out[4096], want[160];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s --max-connections 5", self->a));
	write_conf(_metadata, self->conf, "listener add echo %s --max-connections 9\n", self->a);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "replaced echo %s cpus ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "max-connections 9 (was echo cpus ")) TH_LOG("%s", out);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	EXPECT_NE(NULL, strstr(out, "\"max_connections\":9")) TH_LOG("%s", out);
	/* The same file again: nothing to change. */
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "kept echo %s cpus ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
}

TEST_F(apply, apply_changes_a_setting_that_differs)
{
	char out[4096], settings[512];

	write_conf(_metadata, self->conf, "set idle-timeout 30s max-connections 100000\n");
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	EXPECT_EQ(1, fh_count_lines_starting(out, "set idle-timeout 30s (was 60s)\n"))
		TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out, "kept max-connections 100000\n"))
		TH_LOG("%s", out);
	settings_text(settings, sizeof(settings));
	EXPECT_NE(NULL, strstr(settings, "idle-timeout 30s\n")) TH_LOG("%s", settings);
}

TEST_F(apply, apply_changes_the_keepalive_settings_that_differ)
{
	char out[4096], settings[512];

	write_conf(_metadata, self->conf,
		   "set keepalive off keepalive-interval 10s\n"
		   "set keepalive-count 3\n");
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	EXPECT_EQ(1, fh_count_lines_starting(out, "set keepalive off (was 60s)\n")) TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out, "kept keepalive-interval 10s\n")) TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out, "set keepalive-count 3 (was 6)\n"))
		TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out, "apply: 0 added, 0 replaced, 0 deleted, 0 kept, "
					  "2 settings changed\n")) TH_LOG("%s", out);
	settings_text(settings, sizeof(settings));
	EXPECT_NE(NULL, strstr(settings, "keepalive off\nkeepalive-interval 10s\n"
				   "keepalive-count 3\n")) TH_LOG("%s", settings);
}

TEST_F(apply, second_apply_is_a_no_op)
{
	char first[8192], second[8192], out[4096];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->b));
	write_conf(_metadata, self->conf,
		   "listener add echo %s\n"
		   "listener add echo \"%s\" --cpus 0\n"
		   "set idle-timeout 30s\n",
		   self->a, self->c);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	listeners_json(first, sizeof(first));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	listeners_json(second, sizeof(second));
	EXPECT_STREQ(first, second);
	EXPECT_EQ(0, fh_count_lines_starting(out, "added ")) TH_LOG("%s", out);
	EXPECT_EQ(0, fh_count_lines_starting(out, "deleted ")) TH_LOG("%s", out);
	EXPECT_EQ(0, fh_count_lines_starting(out, "replaced ")) TH_LOG("%s", out);
	EXPECT_EQ(0, fh_count_lines_starting(out, "set ")) TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out,
					  "apply: 0 added, 0 replaced, 0 deleted, 2 kept, 0 settings changed\n"))
		TH_LOG("%s", out);
}

TEST_F(apply, apply_with_a_bad_line_changes_nothing)
{
	char before_l[8192], after_l[8192], before_s[512], after_s[512], err[1024], want[256];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->a));
	listeners_json(before_l, sizeof(before_l));
	settings_text(before_s, sizeof(before_s));
	write_conf(_metadata, self->conf,
		   "listener add echo %s\n"
		   "set idle-timeout 30s\n"
		   "listener add echo 127.0.0.1\n",
		   self->b);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:3: bad address", self->conf);
	fh_expect_error_line(_metadata, err, want);
	listeners_json(after_l, sizeof(after_l));
	settings_text(after_s, sizeof(after_s));
	EXPECT_STREQ(before_l, after_l);
	EXPECT_STREQ(before_s, after_s);
}

TEST_F(apply, apply_refuses_other_commands_naming_the_line)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf, "listener add echo %s\nlistener del %s\n", self->a,
		   self->a);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:2: apply: only 'upstream', 'listener add' and 'set'",
		 self->conf);
	fh_expect_error_line(_metadata, err, want);
	EXPECT_FALSE(listed(self->a, NULL, 0));
}

TEST_F(apply, apply_with_a_cpu_without_a_worker_changes_nothing)
{
	char before[8192], after[8192], err[1024], want[256];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->a));
	listeners_json(before, sizeof(before));
	write_conf(_metadata, self->conf, "listener add echo %s\nlistener add echo %s --cpus 0,999\n",
		   self->b, self->c);
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:2: listener add: CPU 999 has no firehose worker",
		 self->conf);
	fh_expect_error_line(_metadata, err, want);
	listeners_json(after, sizeof(after));
	EXPECT_STREQ(before, after);
}

TEST_F(apply, apply_refused_by_the_kernel_undoes_its_changes)
{
	char before_l[8192], after_l[8192], before_s[512], after_s[512], err[1024], want[256];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->a));
	listeners_json(before_l, sizeof(before_l));
	settings_text(before_s, sizeof(before_s));
	/* b is added first, then the kernel refuses c's protocol. */
	write_conf(_metadata, self->conf,
		   "listener add echo %s\n"
		   "set idle-timeout 30s\n"
		   "listener add gopher \"%s\"\n",
		   self->b, self->c);
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:3: listener add %s: unknown protocol",
		 self->conf, self->c);
	fh_expect_error_line(_metadata, err, want);
	EXPECT_NE(NULL, strstr(err, "nothing changed")) TH_LOG("%s", err);
	listeners_json(after_l, sizeof(after_l));
	settings_text(after_s, sizeof(after_s));
	EXPECT_STREQ(before_l, after_l);
	EXPECT_STREQ(before_s, after_s);
}

TEST_F(apply, apply_dry_run_says_what_it_would_do_and_changes_nothing)
{
	char before[8192], after[8192], out[4096], want[128];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->a));
	listeners_json(before, sizeof(before));
	write_conf(_metadata, self->conf, "listener add echo %s\n", self->b);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s --dry-run", self->conf));
	snprintf(want, sizeof(want), "would add echo %s ", self->b);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "would delete echo %s ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "nothing changed")) TH_LOG("%s", out);
	listeners_json(after, sizeof(after));
	EXPECT_STREQ(before, after);
}

TEST_F(apply, apply_changes_the_http_settings_that_differ)
{
	char out[4096], settings[512];

	write_conf(_metadata, self->conf, "set http-header-timeout 5s http-max-header 32K\n");
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	EXPECT_EQ(1, fh_count_lines_starting(out, "set http-header-timeout 5s (was 10s)\n"))
		TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out, "kept http-max-header 32K\n")) TH_LOG("%s", out);
	settings_text(settings, sizeof(settings));
	EXPECT_NE(NULL, strstr(settings, "http-header-timeout 5s\nhttp-max-header 32K\n"))
		TH_LOG("%s", settings);
}

TEST_F(apply, batch_cache_flush_of_every_listener_runs)
{
	char out[4096];

	write_conf(_metadata, self->conf, "listener add echo %s\ncache flush\n", self->a);
	EXPECT_EQ(0, fh_run(out, sizeof(out), "fhctl -b %s", self->conf)) TH_LOG("%s", out);
	EXPECT_TRUE(listed(self->a, NULL, 0));
}

TEST_F(apply, apply_with_a_root_on_echo_changes_nothing_naming_the_line)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf, "listener add echo %s\nlistener add echo %s --root /\n",
		   self->a, self->b);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:2: listener add: --root is only for http",
		 self->conf);
	fh_expect_error_line(_metadata, err, want);
	EXPECT_FALSE(listed(self->a, NULL, 0));
}

TEST_F(apply, apply_with_kv_mem_out_of_range_changes_nothing_naming_the_line)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf, "listener add echo %s\nlistener add kv %s --mem 2048G\n",
		   self->a, self->b);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:2: --mem 2048G out of range: expected 1M..1T",
		 self->conf);
	fh_expect_error_line(_metadata, err, want);
	EXPECT_FALSE(listed(self->a, NULL, 0));
}

TEST_F(apply, apply_with_kv_item_max_on_http_changes_nothing_naming_the_line)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf, "listener add echo %s\n"
		   "listener add http %s --root / --item-max 1M\n", self->a, self->b);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:2: listener add: --item-max is only for kv, not http",
		 self->conf);
	fh_expect_error_line(_metadata, err, want);
	EXPECT_FALSE(listed(self->a, NULL, 0));
}

TEST_F(apply, dry_run_apply_of_a_kv_listener_with_its_options_parses)
{
	char out[4096];

	write_conf(_metadata, self->conf, "listener add kv %s --mem 256M --item-max 2M\n", self->a);
	EXPECT_EQ(0, fh_run(out, sizeof(out), "fhctl apply %s --dry-run", self->conf))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " mem 256M item-max 2M")) TH_LOG("%s", out);
	EXPECT_FALSE(listed(self->a, NULL, 0));
}

TEST_F(apply, apply_refuses_cache_flush_naming_the_line)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf, "cache flush\n");
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:1: apply: only 'upstream', 'listener add' and 'set'",
		 self->conf);
	fh_expect_error_line(_metadata, err, want);
}

/* ---- http listeners (need the http protocol built in) ------------------ */

/* Two fresh directories for document roots; the test removes them. */
static void two_roots(struct __test_metadata *_metadata, char *r1, char *r2)
{
	ASSERT_NE(NULL, mkdtemp(r1));
	ASSERT_NE(NULL, mkdtemp(r2));
}

TEST_F(apply, apply_adds_an_http_listener_with_its_root_user_and_cache)
{
	char r1[] = "/tmp/fh-apply-XXXXXX", r2[] = "/tmp/fh-apply-XXXXXX";
	char out[4096], want[256];

	two_roots(_metadata, r1, r2);
	write_conf(_metadata, self->conf, "listener add http %s --root %s --cache 2M\n", self->a,
		   r1);
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "root %s user nobody cache 2M\n", r1);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in: %s", want, out);
	listeners_json(out, sizeof(out));
	snprintf(want, sizeof(want), "\"root\":\"%s\",\"uid\":65534,\"gid\":65534,"
		 "\"cache\":2097152,\"access_log\":false,\"one_file_system\":false,"
		 "\"routes\":[]}", r1);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in: %s", want, out);
	rmdir(r1);
	rmdir(r2);
}

TEST_F(apply, apply_keeps_an_http_listener_with_the_same_root_and_default_cache)
{
	char r1[] = "/tmp/fh-apply-XXXXXX", r2[] = "/tmp/fh-apply-XXXXXX";
	char out[4096], want[256];

	two_roots(_metadata, r1, r2);
	EXPECT_EQ(0, fh_fhctl_ok("listener add http %s --root %s", self->a, r1));
	write_conf(_metadata, self->conf, "listener add http %s --root %s\n", self->a, r1);
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "kept http %s cpus ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	rmdir(r1);
	rmdir(r2);
}

TEST_F(apply, apply_replaces_an_http_listener_whose_root_differs)
{
	char r1[] = "/tmp/fh-apply-XXXXXX", r2[] = "/tmp/fh-apply-XXXXXX";
	char out[4096], want[256];

	two_roots(_metadata, r1, r2);
	EXPECT_EQ(0, fh_fhctl_ok("listener add http %s --root %s", self->a, r1));
	write_conf(_metadata, self->conf, "listener add http %s --root %s\n", self->a, r2);
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "replaced http %s cpus ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	listeners_json(out, sizeof(out));
	snprintf(want, sizeof(want), "\"root\":\"%s\"", r2);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	rmdir(r1);
	rmdir(r2);
}

TEST_F(apply, apply_replaces_an_http_listener_whose_user_differs)
{
	char r1[] = "/tmp/fh-apply-XXXXXX", r2[] = "/tmp/fh-apply-XXXXXX";
	char out[4096], want[256];

	two_roots(_metadata, r1, r2);
	EXPECT_EQ(0, fh_fhctl_ok("listener add http %s --root %s", self->a, r1));
	write_conf(_metadata, self->conf, "listener add http %s --root %s --user root\n",
		   self->a, r1);
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf));
	snprintf(want, sizeof(want), "replaced http %s cpus ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "user root")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "user nobody")) TH_LOG("%s", out);
	rmdir(r1);
	rmdir(r2);
}

TEST_F(apply, apply_dry_run_shows_the_http_site_it_would_add_and_adds_nothing)
{
	char root[] = "/tmp/fh-apply-XXXXXX", out[4096], want[256];

	ASSERT_NE(NULL, mkdtemp(root));
	write_conf(_metadata, self->conf, "listener add http %s --root %s --user root --cache 0\n",
		   self->a, root);
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s --dry-run", self->conf));
	rmdir(root);
	snprintf(want, sizeof(want), "would add http %s cpus ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), " root %s user root cache 0\n", root);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in: %s", want, out);
	EXPECT_FALSE(listed(self->a, NULL, 0));
}

/* ---- upstreams and routes ---------------------------------------------- */

TEST_F(apply, apply_adds_upstreams_before_the_listeners_that_route_to_them)
{
	char out[8192], want[256];

	write_conf(_metadata, self->conf,
		   "listener add http %s --route /api/=" UP_A " --fallback " UP_B "\n"
		   "upstream " UP_A " 127.0.0.1:%d --keepalive 4\n"
		   "upstream add " UP_B " 127.0.0.1:%d\n",
		   self->a, self->port + 3, self->port + 4);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "added upstream " UP_A " 127.0.0.1:%d keepalive 4\n",
		 self->port + 3);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "added http %s cpus ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " route /api/=" UP_A " fallback " UP_B "\n")) TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out, "apply: upstreams: 2 added, 0 replaced, "
					  "0 deleted, 0 kept\n")) TH_LOG("%s", out);
	upstreams_json(out, sizeof(out));
	snprintf(want, sizeof(want), "{\"name\":\"" UP_A "\",\"servers\":[\"127.0.0.1:%d\"],"
		 "\"keepalive\":4,", self->port + 3);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in: %s", want, out);

	/* The same file again keeps everything. */
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf)) TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out, "kept upstream " UP_A " ")) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "kept http %s cpus ", self->a);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out, "apply: upstreams: 0 added, 0 replaced, "
					  "0 deleted, 2 kept\n")) TH_LOG("%s", out);
}

TEST_F(apply, apply_deletes_upstreams_after_the_listeners_that_routed_to_them)
{
	char out[8192];

	ASSERT_EQ(0, fh_fhctl_ok("upstream add " UP_A " 127.0.0.1:%d", self->port + 3));
	ASSERT_EQ(0, fh_fhctl_ok("listener add http %s --route /=" UP_A, self->a));
	write_conf(_metadata, self->conf, "listener add echo %s\n", self->b);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf)) TH_LOG("%s", out);
	EXPECT_EQ(1, fh_count_lines_starting(out, "deleted upstream " UP_A " ")) TH_LOG("%s", out);
	EXPECT_FALSE(listed(self->a, NULL, 0));
	upstreams_json(out, sizeof(out));
	EXPECT_EQ(NULL, strstr(out, UP_A)) TH_LOG("%s", out);
}

TEST_F(apply, apply_replaces_an_unused_upstream_whose_servers_differ)
{
	char out[8192], want[256];

	ASSERT_EQ(0, fh_fhctl_ok("upstream add " UP_A " 127.0.0.1:%d", self->port + 3));
	write_conf(_metadata, self->conf, "upstream " UP_A " 127.0.0.1:%d\n", self->port + 4);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", self->conf)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "replaced upstream " UP_A " 127.0.0.1:%d (was 127.0.0.1:%d ",
		 self->port + 4, self->port + 3);
	EXPECT_EQ(1, fh_count_lines_starting(out, want)) TH_LOG("%s", out);
	upstreams_json(out, sizeof(out));
	snprintf(want, sizeof(want), "\"servers\":[\"127.0.0.1:%d\"]", self->port + 4);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
}

TEST_F(apply, apply_refuses_to_replace_an_upstream_in_use_and_changes_nothing)
{
	char before_l[8192], after_l[8192], before_u[8192], after_u[8192], err[1024], want[256];

	ASSERT_EQ(0, fh_fhctl_ok("upstream add " UP_A " 127.0.0.1:%d", self->port + 3));
	ASSERT_EQ(0, fh_fhctl_ok("listener add http %s --route /=" UP_A, self->a));
	listeners_json(before_l, sizeof(before_l));
	upstreams_json(before_u, sizeof(before_u));
	write_conf(_metadata, self->conf,
		   "upstream " UP_B " 127.0.0.1:%d\n"
		   "upstream " UP_A " 127.0.0.1:%d --max-fails 3\n"
		   "listener add http %s --route /=" UP_A "\n",
		   self->port + 4, self->port + 3, self->a);
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:2: upstream " UP_A ": differs from the running one",
		 self->conf);
	fh_expect_error_line(_metadata, err, want);
	EXPECT_NE(NULL, strstr(err, "1 listener routes to it")) TH_LOG("%s", err);
	listeners_json(after_l, sizeof(after_l));
	upstreams_json(after_u, sizeof(after_u));
	EXPECT_STREQ(before_l, after_l);
	EXPECT_STREQ(before_u, after_u);
}

TEST_F(apply, apply_with_a_route_to_an_upstream_not_in_the_file_changes_nothing)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf,
		   "upstream " UP_A " 127.0.0.1:%d\n"
		   "listener add echo %s\n"
		   "listener add http %s --route /=" UP_A " --fallback " UP_B "\n",
		   self->port + 3, self->a, self->b);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:3: listener add: --fallback " UP_B
		 ": no upstream " UP_B " in this file", self->conf);
	fh_expect_error_line(_metadata, err, want);
	EXPECT_FALSE(listed(self->a, NULL, 0));
}

TEST_F(apply, apply_with_an_upstream_twice_names_both_lines)
{
	char err[1024], want[256];

	write_conf(_metadata, self->conf, "upstream " UP_A " 127.0.0.1:%d\n"
		   "upstream add " UP_A " 127.0.0.1:%d\n", self->port + 3, self->port + 4);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "apply %s", self->conf));
	snprintf(want, sizeof(want), "fhctl: %s:2: upstream " UP_A " is already on line 1",
		 self->conf);
	fh_expect_error_line(_metadata, err, want);
}

TEST_F(apply, apply_of_a_missing_file_fails)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "apply /nonexistent/firehose.conf"));
	fh_expect_error_line(_metadata, err,
			  "fhctl: /nonexistent/firehose.conf: No such file or directory");
}

TEST_HARNESS_MAIN
