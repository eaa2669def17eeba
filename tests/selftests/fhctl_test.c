// SPDX-License-Identifier: GPL-2.0
/*
 * fhctl, the command line: listeners and upstreams are added, listed and
 * removed; settings are set and shown; statistics come as lines, a per-CPU
 * table, JSON or a bounded watch. Every error is one "fhctl: " line on stderr with a non-zero
 * exit (1 at run time, 2 for a bad command line) and changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "fh_util.h"
#include "fh_harness.h"

#define NOBODY		65534
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

#define DEFAULT_SETTINGS_JSON \
	"{\"max_connections\":100000,\"max_connections_per_source\":4096," \
	"\"idle_timeout_ms\":60000,\"send_timeout_ms\":30000," \
	"\"keepalive_s\":60,\"keepalive_intvl_s\":10,\"keepalive_cnt\":6," \
	"\"http_header_timeout_ms\":10000,\"http_max_header\":32768," \
	"\"http_pin_limit\":67108864,\"source_prefix6\":64}\n"


/* Runs fhctl quietly, for cleanup that may legitimately fail. */
static int __attribute__((format(printf, 1, 2))) fhctl_quiet(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fh_fhctl_v(NULL, 0, "", fmt, ap);
	va_end(ap);
	return ret;
}

static int count_substr(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* Listeners `fhctl listener list -j` reports, or -1 when it fails. */
static int listener_count(void)
{
	char out[8192];

	if (fh_fhctl_out(out, sizeof(out), "listener list -j"))
		return -1;
	return count_substr(out, "\"address\":");
}

/* The upstreams every test may add; the teardown deletes them. */
#define UP1	"fh-ctl-up1"
#define UP2	"fh-ctl-up2"

/* Whether `fhctl upstream list -j` lists an upstream of this name; -1 when it fails. */
static int upstream_listed(const char *name)
{
	char out[16384], key[64];

	if (fh_fhctl_out(out, sizeof(out), "upstream list -j"))
		return -1;
	snprintf(key, sizeof(key), "\"name\":\"%s\"", name);
	return strstr(out, key) != NULL;
}

/* `fhctl show settings -j` into out; -1 when it fails. */
static int settings_json(char *out, size_t len)
{
	return fh_fhctl_out(out, len, "show settings -j") ? -1 : 0;
}

/*
 * The value of "field" in the object of `listener list -j` whose address is
 * address (string values without their quotes). False if there is none.
 */
static bool listener_json_field(const char *json, const char *address,
				const char *field, char *val, size_t vlen)
{
	const char *p, *obj, *end, *f, *q;
	char key[128];
	size_t n;

	snprintf(key, sizeof(key), "\"address\":\"%s\"", address);
	p = strstr(json, key);
	if (!p)
		return false;
	for (obj = p; obj > json && *obj != '{'; obj--)
		;
	end = strchr(p, '}');
	snprintf(key, sizeof(key), "\"%s\":", field);
	f = strstr(obj, key);
	if (!end || !f || f > end)
		return false;
	f += strlen(key);
	if (*f == '"')
		q = strchr(++f, '"');
	else
		q = f + strcspn(f, ",}");
	if (!q || q > end)
		return false;
	n = (size_t)(q - f) < vlen - 1 ? (size_t)(q - f) : vlen - 1;
	memcpy(val, f, n);
	val[n] = '\0';
	return true;
}

/* Braces, brackets and quotes nest properly: the shape of one JSON value. */
static bool json_balanced(const char *s)
{
	char stack[64];
	int depth = 0;
	bool str = false;

	for (; *s; s++) {
		if (str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				str = false;
		} else if (*s == '"') {
			str = true;
		} else if (*s == '{' || *s == '[') {
			if (depth == (int)sizeof(stack))
				return false;
			stack[depth++] = *s == '{' ? '}' : ']';
		} else if (*s == '}' || *s == ']') {
			if (!depth || stack[--depth] != *s)
				return false;
		}
	}
	return !str && !depth;
}


/*
 * Runs fhctl with argv as uid/gid 65534 without supplementary groups;
 * stderr into err. Returns the exit status, or -1. The guest's initramfs
 * root is 0755, so an unprivileged user reaches fhctl and its libraries.
 */
static int fhctl_as_nobody(char *err, size_t len, char *const argv[])
{
	long long end = fh_now_ms() + 10000;
	size_t got = 0;
	int pfd[2], st;
	pid_t pid;

	err[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, STDOUT_FILENO) < 0 ||
		    dup2(pfd[1], STDERR_FILENO) < 0)
			_exit(126);
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ||
		    getuid() != NOBODY || geteuid() != NOBODY)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int left = (int)(end - fh_now_ms());
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		n = read(pfd[0], err + got, len - 1 - got);
		if (n <= 0)
			break;
		got += n;
		err[got] = '\0';
		if (got == len - 1)
			break;
	}
	close(pfd[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

FIXTURE(fhctl) {
	int port;
	char addr4[64];		/* 127.0.0.1:port */
	char addr6[64];		/* [::1]:port */
};

FIXTURE_SETUP(fhctl)
{
	ASSERT_EQ(0, fh_module_load());
	self->port = fh_test_port(20000);
	snprintf(self->addr4, sizeof(self->addr4), "127.0.0.1:%d", self->port);
	snprintf(self->addr6, sizeof(self->addr6), "[::1]:%d", self->port);
	/* Each test starts from no listener at all. */
	ASSERT_EQ(0, listener_count());
}

FIXTURE_TEARDOWN(fhctl)
{
	if (!fh_module_loaded())
		fh_module_load();
	/* Whichever of these the test added; the others fail harmlessly. */
	fhctl_quiet("listener del %s", self->addr4);
	fhctl_quiet("listener del %s", self->addr6);
	/* After the listeners that may route to them. */
	fhctl_quiet("upstream del " UP1);
	fhctl_quiet("upstream del " UP2);
	fh_fhctl_ok("set " FH_DEFAULT_SETTINGS);
}

/* ---- listener add / list / del ---------------------------------------- */

TEST_F(fhctl, listener_add_is_listed_by_address_in_json)
{
	char out[8192], val[64];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	EXPECT_TRUE(json_balanced(out)) TH_LOG("not JSON: %s", out);
	EXPECT_EQ(1, count_substr(out, "\"address\":")) TH_LOG("%s", out);
	ASSERT_TRUE(listener_json_field(out, self->addr4, "proto", val, sizeof(val)))
		TH_LOG("no listener %s in: %s", self->addr4, out);
	EXPECT_STREQ("echo", val);
}

TEST_F(fhctl, listener_list_prints_a_header_and_one_row_per_listener)
{
	char out[8192], proto[32], addr[80];
	const char *row;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list"));
	EXPECT_EQ(0, strncmp(out, "PROTO", 5)) TH_LOG("%s", out);
	row = strchr(out, '\n');
	ASSERT_NE(NULL, row) TH_LOG("%s", out);
	row++;
	ASSERT_EQ(2, sscanf(row, "%31s %79s", proto, addr)) TH_LOG("%s", out);
	EXPECT_STREQ("echo", proto);
	EXPECT_STREQ(self->addr4, addr);
	/* Header plus one row, nothing else. */
	EXPECT_EQ(2, count_substr(out, "\n")) TH_LOG("%s", out);
}

TEST_F(fhctl, listener_add_ipv6_serves_echo_over_ipv6)
{
	char in[1000], out[sizeof(in)], list[8192];
	int fd;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr6));
	ASSERT_EQ(0, fh_fhctl_out(list, sizeof(list), "listener list -j"));
	EXPECT_NE(NULL, strstr(list, self->addr6)) TH_LOG("%s", list);
	fh_fill_random(in, sizeof(in), 6);
	fd = fh_connect("::1", self->port);
	ASSERT_LE(0, fd) TH_LOG("connect [::1]:%d: %s", self->port, strerror(errno));
	ASSERT_EQ(0, fh_echo_exchange(fd, in, sizeof(in), out, 10000));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	close(fd);
}

TEST_F(fhctl, listener_add_with_cpus_0_is_listed_with_cpus_0)
{
	char out[8192], proto[32], addr[80], cpus[300];
	const char *row;
	bool found = false;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s --cpus 0", self->addr4));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list"));
	for (row = strchr(out, '\n'); row && row[1]; row = strchr(row, '\n')) {
		row++;
		if (sscanf(row, "%31s %79s %299s", proto, addr, cpus) == 3 &&
		    !strcmp(addr, self->addr4)) {
			found = true;
			EXPECT_STREQ("0", cpus) TH_LOG("%s", out);
		}
	}
	EXPECT_TRUE(found) TH_LOG("no %s in: %s", self->addr4, out);
}

TEST_F(fhctl, listener_add_without_cpus_uses_every_cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char out[8192], val[300], want[32];

	ASSERT_LT(0, n);
	if (n == 1)
		snprintf(want, sizeof(want), "0");
	else
		snprintf(want, sizeof(want), "0-%ld", n - 1);
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	ASSERT_TRUE(listener_json_field(out, self->addr4, "cpus", val, sizeof(val)))
		TH_LOG("%s", out);
	EXPECT_STREQ(want, val);
}

TEST_F(fhctl, listener_add_with_cpus_99_fails_and_adds_nothing)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "listener add echo %s --cpus 99",
					  self->addr4));
	fh_expect_error_line(_metadata, err, "Invalid argument");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_unknown_protocol_fails_and_adds_nothing)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "listener add gopher %s",
					  self->addr4));
	fh_expect_error_line(_metadata, err, "unknown protocol");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_bad_address_is_a_usage_error)
{
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.256:7000", "localhost:7000", "::1:7000",
		"[::1]7000", "[::1:7000", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:-5", "",
	};
	char err[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "listener add echo '%s'",
						bad[i])) TH_LOG("address '%s'", bad[i]);
		fh_expect_error_line(_metadata, err, "bad ");
	}
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_on_a_port_in_use_fails_and_adds_nothing)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(self->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	char err[1024];
	int fd;

	/* A plain userspace listener, without SO_REUSEPORT. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(fd, 8));
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "listener add echo %s",
					  self->addr4));
	fh_expect_error_line(_metadata, err, "Address already in use");
	EXPECT_EQ(0, listener_count());
	close(fd);
}

TEST_F(fhctl, listener_add_twice_fails_with_eexist_and_keeps_one_listener)
{
	char err[1024];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "listener add echo %s",
					  self->addr4));
	fh_expect_error_line(_metadata, err, "File exists");
	EXPECT_EQ(1, listener_count());
}

TEST_F(fhctl, listener_del_of_an_unknown_address_fails_with_enoent)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "listener del %s", self->addr4));
	fh_expect_error_line(_metadata, err, "No such file or directory");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_del_stops_new_connections_and_unlists_it)
{
	int fd;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	fd = fh_connect("127.0.0.1", self->port);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, fh_fhctl_ok("listener del %s", self->addr4));
	EXPECT_EQ(0, listener_count());
	fd = fh_connect("127.0.0.1", self->port);
	EXPECT_EQ(-1, fd) TH_LOG("connected after listener del");
	if (fd >= 0)
		close(fd);
}

/* ---- privileges and module presence ----------------------------------- */

TEST_F(fhctl, unprivileged_listener_add_fails_with_operation_not_permitted)
{
	char *argv[] = { "fhctl", "listener", "add", "echo", self->addr4, NULL };
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fhctl_as_nobody(err, sizeof(err), argv));
	fh_expect_error_line(_metadata, err, "Operation not permitted");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, unprivileged_set_fails_and_changes_nothing)
{
	char *argv[] = { "fhctl", "set", "max-connections", "5", NULL };
	char before[512], after[512], err[1024];

	ASSERT_EQ(0, settings_json(before, sizeof(before)));
	EXPECT_EQ(EXIT_RUNTIME, fhctl_as_nobody(err, sizeof(err), argv));
	fh_expect_error_line(_metadata, err, "Operation not permitted");
	ASSERT_EQ(0, settings_json(after, sizeof(after)));
	EXPECT_STREQ(before, after);
}

TEST_F(fhctl, unprivileged_show_settings_succeeds)
{
	char *argv[] = { "fhctl", "show", "settings", NULL };
	char err[1024];

	EXPECT_EQ(0, fhctl_as_nobody(err, sizeof(err), argv));
	EXPECT_STREQ("", err);
}

TEST_F(fhctl, any_command_without_the_module_says_not_loaded)
{
	char err[1024];

	ASSERT_EQ(0, fh_module_unload());
	ASSERT_FALSE(fh_module_loaded());
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "listener list"));
	fh_expect_error_line(_metadata, err, "not loaded");
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "show settings"));
	fh_expect_error_line(_metadata, err, "not loaded");
	ASSERT_EQ(0, fh_module_load());
}

/* ---- settings ---------------------------------------------------------- */

TEST_F(fhctl, fresh_module_has_the_documented_default_settings)
{
	char out[512];

	ASSERT_EQ(0, fh_module_unload());
	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, settings_json(out, sizeof(out)));
	EXPECT_STREQ(DEFAULT_SETTINGS_JSON, out);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "show settings"));
	EXPECT_STREQ("max-connections 100000\nmax-connections-per-source 4096\n"
		     "idle-timeout 60s\nsend-timeout 30s\n"
		     "keepalive 60s\nkeepalive-interval 10s\nkeepalive-count 6\n"
		     "http-header-timeout 10s\nhttp-max-header 32K\n"
		     "http-pin-limit 64M\nsource-prefix6 64\n", out);
}

/* After "fhctl set CMD", show settings has HUMAN and its JSON has JSON. */
static void expect_setting_shown(struct __test_metadata *_metadata,
				 const char *cmd, const char *human, const char *json)
{
	char out[512];

	ASSERT_EQ(0, fh_fhctl_ok("set %s", cmd));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "show settings"));
	EXPECT_NE(NULL, strstr(out, human)) TH_LOG("%s", out);
	ASSERT_EQ(0, settings_json(out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, json)) TH_LOG("%s", out);
}

TEST_F(fhctl, set_max_connections_shows_in_show_settings)
{
	expect_setting_shown(_metadata, "max-connections 1234",
			     "max-connections 1234\n", "\"max_connections\":1234");
}

TEST_F(fhctl, set_idle_timeout_shows_in_show_settings)
{
	expect_setting_shown(_metadata, "idle-timeout 30s",
			     "idle-timeout 30s\n", "\"idle_timeout_ms\":30000");
}

TEST_F(fhctl, set_send_timeout_shows_in_show_settings)
{
	expect_setting_shown(_metadata, "send-timeout 10s",
			     "send-timeout 10s\n", "\"send_timeout_ms\":10000");
}

TEST_F(fhctl, set_with_one_bad_value_fails_and_changes_no_setting)
{
	char before[512], after[512], err[1024];

	ASSERT_EQ(0, settings_json(before, sizeof(before)));
	/* The first setting is fine, the second below the 100 ms minimum. */
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err),
					"set max-connections 5 idle-timeout 50ms"));
	fh_expect_error_line(_metadata, err, "idle-timeout");
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "set max-connections 0"));
	fh_expect_error_line(_metadata, err, "max-connections");
	ASSERT_EQ(0, settings_json(after, sizeof(after)));
	EXPECT_STREQ(before, after);
}

TEST_F(fhctl, set_keepalive_shows_in_show_settings)
{
	expect_setting_shown(_metadata, "keepalive 2m",
			     "keepalive 120s\n", "\"keepalive_s\":120");
}

TEST_F(fhctl, set_keepalive_off_shows_off)
{
	expect_setting_shown(_metadata, "keepalive off",
			     "keepalive off\n", "\"keepalive_s\":0");
}

TEST_F(fhctl, set_keepalive_interval_shows_in_show_settings)
{
	expect_setting_shown(_metadata, "keepalive-interval 3",
			     "keepalive-interval 3s\n", "\"keepalive_intvl_s\":3");
}

TEST_F(fhctl, set_keepalive_count_shows_in_show_settings)
{
	expect_setting_shown(_metadata, "keepalive-count 127",
			     "keepalive-count 127\n", "\"keepalive_cnt\":127");
}

/*
 * "fhctl set max-connections 5 ARGS" is a usage error whose one line says
 * NEEDLE, and every setting is as it was, max-connections too.
 */
static void expect_set_refused(struct __test_metadata *_metadata, const char *args,
			       const char *needle)
{
	char before[512], after[512], err[1024];

	ASSERT_EQ(0, settings_json(before, sizeof(before)));
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "set max-connections 5 %s", args));
	fh_expect_error_line(_metadata, err, needle);
	ASSERT_EQ(0, settings_json(after, sizeof(after)));
	EXPECT_STREQ(before, after);
}

TEST_F(fhctl, set_keepalive_above_32767s_fails_and_changes_nothing)
{
	expect_set_refused(_metadata, "keepalive 32768",
			   "keepalive 32768 out of range: expected 0 (off) or 1s..32767s");
}

TEST_F(fhctl, set_keepalive_interval_out_of_range_fails_and_changes_nothing)
{
	expect_set_refused(_metadata, "keepalive-interval 0",
			   "keepalive-interval 0 out of range: expected 1s..32767s");
	expect_set_refused(_metadata, "keepalive-interval off",
			   "keepalive-interval off out of range");
	expect_set_refused(_metadata, "keepalive-interval 32768s",
			   "keepalive-interval 32768s out of range");
}

TEST_F(fhctl, set_keepalive_count_out_of_range_fails_and_changes_nothing)
{
	expect_set_refused(_metadata, "keepalive-count 0",
			   "keepalive-count 0 out of range: expected 1..127");
	expect_set_refused(_metadata, "keepalive-count 128",
			   "keepalive-count 128 out of range: expected 1..127");
}

TEST_F(fhctl, set_keepalive_of_a_fraction_of_a_second_fails_and_changes_nothing)
{
	expect_set_refused(_metadata, "keepalive 1500ms",
			   "keepalive 1500ms: TCP keepalive takes whole seconds");
	expect_set_refused(_metadata, "keepalive-interval 500ms",
			   "keepalive-interval 500ms: TCP keepalive takes whole seconds");
}

TEST_F(fhctl, set_http_header_timeout_shows_in_show_settings)
{
	expect_setting_shown(_metadata, "http-header-timeout 2500ms",
			     "http-header-timeout 2500ms\n", "\"http_header_timeout_ms\":2500");
}

TEST_F(fhctl, set_http_header_timeout_off_shows_off)
{
	expect_setting_shown(_metadata, "http-header-timeout off",
			     "http-header-timeout off\n", "\"http_header_timeout_ms\":0");
}

TEST_F(fhctl, set_http_max_header_takes_a_size_and_shows_it)
{
	expect_setting_shown(_metadata, "http-max-header 64k",
			     "http-max-header 64K\n", "\"http_max_header\":65536");
}

TEST_F(fhctl, set_http_max_header_in_plain_bytes_shows_them)
{
	expect_setting_shown(_metadata, "http-max-header 5000",
			     "http-max-header 5000\n", "\"http_max_header\":5000");
}

TEST_F(fhctl, set_http_header_timeout_below_100ms_fails_and_changes_nothing)
{
	expect_set_refused(_metadata, "http-header-timeout 50ms",
			   "http-header-timeout 50ms out of range: expected 0 (off) or 100ms..");
}

TEST_F(fhctl, set_http_max_header_out_of_range_fails_and_changes_nothing)
{
	expect_set_refused(_metadata, "http-max-header 1023",
			   "http-max-header 1023 out of range: expected 1K..1M");
	expect_set_refused(_metadata, "http-max-header 2M",
			   "http-max-header 2M out of range: expected 1K..1M");
}

TEST_F(fhctl, set_http_max_header_that_is_no_size_fails_and_changes_nothing)
{
	expect_set_refused(_metadata, "http-max-header 4X",
			   "bad size '4X' for http-max-header: expected N[K|M|G]");
	expect_set_refused(_metadata, "http-max-header K", "bad size 'K'");
}

/* ---- site options and the cache commands ------------------------------ */

TEST_F(fhctl, listener_add_echo_with_root_is_a_usage_error_and_adds_nothing)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "listener add echo %s --root /tmp",
					self->addr4));
	fh_expect_error_line(_metadata, err, "--root is only for http, not echo");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_echo_with_cache_is_a_usage_error_and_adds_nothing)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "listener add echo %s --cache 1M",
					self->addr4));
	fh_expect_error_line(_metadata, err, "--cache is only for http, not echo");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_echo_with_access_log_is_a_usage_error_and_adds_nothing)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "listener add echo %s --access-log",
					self->addr4));
	fh_expect_error_line(_metadata, err, "--access-log is only for http, not echo");
	EXPECT_EQ(0, listener_count());
}

/* ---- kv's options: parsed and checked before the kernel is asked ------- */

/* fhctl ARGS exits with a usage error naming want, and adds nothing. */
static void expect_kv_usage_error(struct __test_metadata *_metadata, const char *args,
				  const char *want)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "%s", args)) TH_LOG("%s", args);
	fh_expect_error_line(_metadata, err, want);
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_kv_mem_out_of_range_is_a_usage_error)
{
	expect_kv_usage_error(_metadata, "listener add kv 127.0.0.1:11211 --mem 1023K",
			      "--mem 1023K out of range: expected 1M..1T");
	expect_kv_usage_error(_metadata, "listener add kv 127.0.0.1:11211 --mem 1025G",
			      "--mem 1025G out of range: expected 1M..1T");
	expect_kv_usage_error(_metadata, "listener add kv 127.0.0.1:11211 --mem 64X",
			      "bad size '64X' for --mem: expected N[K|M|G]");
}

TEST_F(fhctl, listener_add_kv_item_max_out_of_range_is_a_usage_error)
{
	expect_kv_usage_error(_metadata, "listener add kv 127.0.0.1:11211 --item-max 1023",
			      "--item-max 1023 out of range: expected 1K..128M");
	expect_kv_usage_error(_metadata, "listener add kv 127.0.0.1:11211 --item-max 129M",
			      "--item-max 129M out of range: expected 1K..128M");
	expect_kv_usage_error(_metadata, "listener add kv 127.0.0.1:11211 --item-max M",
			      "bad size 'M' for --item-max");
}

TEST_F(fhctl, kv_options_on_http_and_http_options_on_kv_are_usage_errors)
{
	expect_kv_usage_error(_metadata, "listener add http 127.0.0.1:8080 --root / --mem 64M",
			      "--mem is only for kv, not http");
	expect_kv_usage_error(_metadata, "listener add echo 127.0.0.1:7 --item-max 1M",
			      "--item-max is only for kv, not echo");
	expect_kv_usage_error(_metadata, "listener add kv 127.0.0.1:11211 --root /",
			      "--root is only for http, not kv");
	expect_kv_usage_error(_metadata, "listener add kv 127.0.0.1:11211 --route /a=b",
			      "--route is only for http, not kv");
}

TEST_F(fhctl, listener_set_usage_errors_exit_before_the_kernel)
{
	expect_kv_usage_error(_metadata, "listener set 127.0.0.1:11211",
			      "nothing to set: expected --mem SIZE");
	expect_kv_usage_error(_metadata, "listener set 127.0.0.1:11211 --mem 2M --item-max 2M",
			      "--item-max cannot change on a running listener");
	expect_kv_usage_error(_metadata, "listener set 127.0.0.1:11211 --mem 512K",
			      "--mem 512K out of range: expected 1M..1T");
	expect_kv_usage_error(_metadata, "listener set 127.0.0.1:11211 --root /",
			      "unknown option '--root'");
	expect_kv_usage_error(_metadata, "listener set --mem 64M", "missing ADDR:PORT");
}

/* The kernel's reason, as fhctl prints every refusal. */
TEST_F(fhctl, listener_set_of_a_missing_listener_prints_the_kernels_reason)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "listener set %s --mem 64M",
					  self->addr4));
	fh_expect_error_line(_metadata, err, "no firehose listener has this address");
}

TEST_F(fhctl, dry_run_listener_add_kv_with_its_options_succeeds)
{
	EXPECT_EQ(0, fh_fhctl_ok("--dry-run listener add kv 127.0.0.1:11211 --mem 256M "
				 "--item-max 2M"));
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_http_without_root_is_a_usage_error)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "listener add http %s",
					self->addr4));
	fh_expect_error_line(_metadata, err, "http needs --root DIR");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_http_with_a_missing_root_fails_and_adds_nothing)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err),
					  "listener add http %s --root /nonexistent/fh",
					  self->addr4));
	fh_expect_error_line(_metadata, err, "--root /nonexistent/fh: No such file or directory");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_http_with_a_file_for_root_fails_and_adds_nothing)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err),
					  "listener add http %s --root /proc/version",
					  self->addr4));
	fh_expect_error_line(_metadata, err, "--root /proc/version: not a directory");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_http_with_an_unknown_user_fails_and_adds_nothing)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err),
					  "listener add http %s --root / --user no-such-user-fh",
					  self->addr4));
	fh_expect_error_line(_metadata, err, "--user no-such-user-fh: no such user");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_http_with_a_bad_cache_size_is_a_usage_error)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err),
					"listener add http %s --root / --cache 12Q", self->addr4));
	fh_expect_error_line(_metadata, err, "bad size '12Q' for --cache");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_list_of_echo_shows_no_root_user_or_cache)
{
	char out[8192], val[64];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	EXPECT_FALSE(listener_json_field(out, self->addr4, "root", val, sizeof(val)));
	EXPECT_FALSE(listener_json_field(out, self->addr4, "uid", val, sizeof(val)));
	EXPECT_FALSE(listener_json_field(out, self->addr4, "cache", val, sizeof(val)));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list"));
	EXPECT_NE(NULL, strstr(out, "  USER  CACHE  LOG  ROOT\n")) TH_LOG("%s", out);
}

TEST_F(fhctl, cache_flush_of_an_unknown_listener_fails_with_enoent)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "cache flush --listener %s",
					  self->addr4));
	fh_expect_error_line(_metadata, err, "no firehose listener has this address");
}

TEST_F(fhctl, cache_flush_of_an_echo_listener_fails_saying_it_has_no_cache)
{
	char err[1024];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "cache flush --listener %s",
					  self->addr4));
	fh_expect_error_line(_metadata, err, "this listener's protocol has no cache");
	EXPECT_EQ(1, listener_count());
}

TEST_F(fhctl, cache_flush_of_every_listener_without_a_cache_succeeds)
{
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	EXPECT_EQ(0, fh_fhctl_ok("cache flush"));
}

TEST_F(fhctl, cache_flush_with_a_bad_address_is_a_usage_error)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "cache flush --listener 127.0.0.1"));
	fh_expect_error_line(_metadata, err, "bad address '127.0.0.1'");
}

TEST_F(fhctl, cache_stats_without_a_cache_prints_nothing)
{
	char out[1024];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "cache stats"));
	EXPECT_STREQ("", out);
}

TEST_F(fhctl, cache_stats_json_without_a_cache_is_an_empty_array)
{
	char out[1024];

	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "cache stats -j"));
	EXPECT_STREQ("[]\n", out);
}

TEST_F(fhctl, cache_with_an_unknown_subcommand_is_a_usage_error)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "cache drop"));
	fh_expect_error_line(_metadata, err, "expected flush or stats");
}

/* ---- http listeners (need the http protocol built in) ------------------ */

TEST_F(fhctl, listener_add_http_lists_root_user_nobody_and_the_default_cache_in_json)
{
	char root[] = "/tmp/fh-ctl-XXXXXX", out[8192], val[128];

	ASSERT_NE(NULL, mkdtemp(root));
	EXPECT_EQ(0, fh_fhctl_ok("listener add http %s --root %s", self->addr4, root));
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	rmdir(root);
	EXPECT_TRUE(json_balanced(out)) TH_LOG("not JSON: %s", out);
	ASSERT_TRUE(listener_json_field(out, self->addr4, "root", val, sizeof(val)))
		TH_LOG("%s", out);
	EXPECT_STREQ(root, val);
	ASSERT_TRUE(listener_json_field(out, self->addr4, "uid", val, sizeof(val)));
	EXPECT_STREQ("65534", val);
	ASSERT_TRUE(listener_json_field(out, self->addr4, "gid", val, sizeof(val)));
	EXPECT_STREQ("65534", val);
	ASSERT_TRUE(listener_json_field(out, self->addr4, "cache", val, sizeof(val)));
	EXPECT_STREQ("67108864", val);
}

TEST_F(fhctl, listener_add_http_lists_root_user_and_cache_in_the_table)
{
	char root[] = "/tmp/fh-ctl-XXXXXX", out[8192], want[128];

	ASSERT_NE(NULL, mkdtemp(root));
	EXPECT_EQ(0, fh_fhctl_ok("listener add http %s --root %s --user root --cache 8M",
				 self->addr4, root));
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list"));
	rmdir(root);
	snprintf(want, sizeof(want), "  root  8M     off  %s\n", root);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in:\n%s", want, out);
}

TEST_F(fhctl, listener_add_http_with_access_log_lists_it_true_in_json)
{
	char root[] = "/tmp/fh-ctl-XXXXXX", out[8192], val[64];

	ASSERT_NE(NULL, mkdtemp(root));
	EXPECT_EQ(0, fh_fhctl_ok("listener add http %s --root %s --access-log", self->addr4,
				 root));
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	rmdir(root);
	EXPECT_TRUE(json_balanced(out)) TH_LOG("not JSON: %s", out);
	ASSERT_TRUE(listener_json_field(out, self->addr4, "access_log", val, sizeof(val)))
		TH_LOG("%s", out);
	EXPECT_STREQ("true", val);
}

TEST_F(fhctl, listener_add_http_with_access_log_lists_log_on_in_the_table)
{
	char root[] = "/tmp/fh-ctl-XXXXXX", out[8192], want[128];

	ASSERT_NE(NULL, mkdtemp(root));
	EXPECT_EQ(0, fh_fhctl_ok("listener add http %s --root %s --user root --cache 8M "
				 "--access-log", self->addr4, root));
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list"));
	rmdir(root);
	snprintf(want, sizeof(want), "  root  8M     on   %s\n", root);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in:\n%s", want, out);
}

TEST_F(fhctl, listener_add_http_without_access_log_lists_it_false_in_json)
{
	char root[] = "/tmp/fh-ctl-XXXXXX", out[8192], val[64];

	ASSERT_NE(NULL, mkdtemp(root));
	EXPECT_EQ(0, fh_fhctl_ok("listener add http %s --root %s", self->addr4, root));
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	rmdir(root);
	ASSERT_TRUE(listener_json_field(out, self->addr4, "access_log", val, sizeof(val)))
		TH_LOG("%s", out);
	EXPECT_STREQ("false", val);
}

TEST_F(fhctl, listener_list_of_echo_has_no_access_log_field)
{
	char out[8192], val[64];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	EXPECT_FALSE(listener_json_field(out, self->addr4, "access_log", val, sizeof(val)))
		TH_LOG("%s", out);
}

TEST_F(fhctl, listener_add_http_with_a_relative_root_lists_it_absolute)
{
	char root[] = "/tmp/fh-ctl-XXXXXX", out[8192], val[128];

	ASSERT_NE(NULL, mkdtemp(root));
	/* "tmp/fh-ctl-...", from / */
	EXPECT_EQ(0, fh_run(out, sizeof(out), "cd / && fhctl listener add http %s --root %s",
			    self->addr4, root + 1)) TH_LOG("%s", out);
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	rmdir(root);
	ASSERT_TRUE(listener_json_field(out, self->addr4, "root", val, sizeof(val)))
		TH_LOG("%s", out);
	EXPECT_STREQ(root, val);
}

TEST_F(fhctl, cache_stats_lists_an_http_listener_with_its_limit)
{
	char root[] = "/tmp/fh-ctl-XXXXXX", out[4096];
	const char *row;

	ASSERT_NE(NULL, mkdtemp(root));
	EXPECT_EQ(0, fh_fhctl_ok("listener add http %s --root %s --cache 1M", self->addr4, root));
	rmdir(root);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "cache stats"));
	EXPECT_EQ(0, strncmp(out, "ADDRESS", 7)) TH_LOG("%s", out);
	row = strchr(out, '\n');
	ASSERT_NE(NULL, row) TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp(row + 1, self->addr4, strlen(self->addr4))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(row, "  1M  ")) TH_LOG("%s", out);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "cache stats -j"));
	EXPECT_TRUE(json_balanced(out)) TH_LOG("not JSON: %s", out);
	EXPECT_NE(NULL, strstr(out, "\"limit\":1048576")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"hit_rate\":null")) TH_LOG("%s", out);
}

TEST_F(fhctl, cache_flush_of_an_http_listener_succeeds)
{
	char root[] = "/tmp/fh-ctl-XXXXXX";

	ASSERT_NE(NULL, mkdtemp(root));
	EXPECT_EQ(0, fh_fhctl_ok("listener add http %s --root %s", self->addr4, root));
	rmdir(root);
	EXPECT_EQ(0, fh_fhctl_ok("cache flush --listener %s", self->addr4));
	EXPECT_EQ(0, fh_fhctl_ok("cache flush"));
}

/* ---- the access log ---------------------------------------------------- */

TEST_F(fhctl, apply_replaces_an_http_listener_whose_access_log_differs)
{
	char root[] = "/tmp/fh-ctl-XXXXXX", file[] = "/tmp/fh-ctl-apply-XXXXXX";
	char out[8192], val[64], line[256];
	int fd;

	ASSERT_NE(NULL, mkdtemp(root));
	ASSERT_EQ(0, fh_fhctl_ok("listener add http %s --root %s", self->addr4, root));
	fd = mkstemp(file);
	ASSERT_LE(0, fd);
	snprintf(line, sizeof(line), "listener add http %s --root %s --access-log\n",
		 self->addr4, root);
	ASSERT_EQ((ssize_t)strlen(line), write(fd, line, strlen(line)));
	close(fd);
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", file));
	EXPECT_NE(NULL, strstr(out, "replaced http")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " access-log")) TH_LOG("%s", out);
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	ASSERT_TRUE(listener_json_field(out, self->addr4, "access_log", val, sizeof(val)))
		TH_LOG("%s", out);
	EXPECT_STREQ("true", val);
	/* the same file again changes nothing */
	EXPECT_EQ(0, fh_fhctl_out(out, sizeof(out), "apply %s", file));
	EXPECT_NE(NULL, strstr(out, "kept http")) TH_LOG("%s", out);
	unlink(file);
	rmdir(root);
}

TEST_F(fhctl, log_read_twice_prints_nothing_the_second_time)
{
	char out[65536];

	/* Whatever earlier tests left is consumed by the first read. */
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "log"));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "log"));
	EXPECT_STREQ("", out);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "log -j"));
	EXPECT_STREQ("", out);
}

TEST_F(fhctl, unprivileged_log_fails_with_operation_not_permitted)
{
	char *argv[] = { "fhctl", "log", NULL };
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fhctl_as_nobody(err, sizeof(err), argv));
	fh_expect_error_line(_metadata, err, "Operation not permitted");
}

TEST_F(fhctl, log_with_an_argument_is_a_usage_error)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "log %s", self->addr4));
	fh_expect_error_line(_metadata, err, "unexpected argument");
}

TEST_F(fhctl, log_follow_in_a_command_file_is_a_usage_error)
{
	char out[1024];

	EXPECT_EQ(EXIT_USAGE, fh_run(out, sizeof(out), "echo 'log --follow' | fhctl -b -"));
	fh_expect_error_line(_metadata, out, "stdin:1: log: --follow is not for a command file");
}

/*
 * --follow on a quiet log polls every 200 ms without spinning, and SIGTERM ends it with
 * exit 0: its CPU time over 2 s stays far below the 2 s a busy loop takes.
 */
TEST_F(fhctl, log_follow_sleeps_between_reads_and_exits_0_on_sigterm)
{
	long hz = sysconf(_SC_CLK_TCK);
	char out[1024];
	long ticks = -1;
	int st = -1;

	ASSERT_EQ(0, fh_run(out, sizeof(out),
			    "fhctl log --follow >/dev/null & p=$!; sleep 2; "
			    "t=$(awk '{ print $14 + $15 }' /proc/$p/stat); kill -TERM $p; "
			    "wait $p; echo \"status $? ticks $t\"")) TH_LOG("%s", out);
	ASSERT_EQ(2, sscanf(out, "status %d ticks %ld", &st, &ticks)) TH_LOG("%s", out);
	EXPECT_EQ(0, st);
	EXPECT_LE(0, ticks);
	EXPECT_GT(hz / 2, ticks) TH_LOG("%ld ticks of CPU in 2 s (%ld a second)", ticks, hz);
}

TEST_F(fhctl, log_follow_exits_0_on_sigint)
{
	char out[1024];

	/* A background job ignores SIGINT unless it sets its own handler: fhctl does. */
	ASSERT_EQ(0, fh_run(out, sizeof(out),
			    "fhctl log --follow >/dev/null & p=$!; sleep 1; kill -INT $p; "
			    "wait $p; echo \"status $?\"")) TH_LOG("%s", out);
	EXPECT_STREQ("status 0\n", out);
}

/* ---- upstreams: what fhctl refuses before it sends ---------------------- */

TEST_F(fhctl, upstream_add_with_a_bad_name_is_a_usage_error_and_adds_nothing)
{
	static const char *const bad[] = {
		"''", "'a b'", "a/b", "a=b", "a:b", "fh-ctl-up1-with-a-name-32-bytes-",
	};
	char err[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "upstream add %s 127.0.0.1:%d",
						bad[i], self->port)) TH_LOG("name %s", bad[i]);
		fh_expect_error_line(_metadata, err, "bad upstream name");
	}
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "upstream del a/b"));
	fh_expect_error_line(_metadata, err, "bad upstream name 'a/b'");
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "upstream show 'a b'"));
	fh_expect_error_line(_metadata, err, "bad upstream name 'a b'");
	EXPECT_EQ(0, upstream_listed("fh-ctl-up1-with-a-name-32-bytes-"));
}

TEST_F(fhctl, upstream_add_with_a_bad_server_is_a_usage_error_and_adds_nothing)
{
	static const char *const bad[] = {
		"127.0.0.1", "localhost:8000", "::1:8000", "[::1]8000", "[::1:8000",
		"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-5", "127.1:8000", "''",
	};
	char err[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* A good server first: one bad one refuses the whole upstream. */
		EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err),
						"upstream add " UP1 " 127.0.0.1:%d %s",
						self->port, bad[i])) TH_LOG("server %s", bad[i]);
		fh_expect_error_line(_metadata, err, "bad ");
	}
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "upstream add " UP1));
	fh_expect_error_line(_metadata, err, "missing ADDR:PORT");
	EXPECT_EQ(0, upstream_listed(UP1));
}

TEST_F(fhctl, upstream_add_with_17_servers_is_a_usage_error)
{
	char cmd[512], err[1024];
	size_t len;

	len = (size_t)snprintf(cmd, sizeof(cmd), "upstream add " UP1);
	for (int i = 0; i < 17; i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " 127.0.0.1:%d", 1000 + i);
	ASSERT_GT(sizeof(cmd), len);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "%s", cmd));
	fh_expect_error_line(_metadata, err, "too many servers (17): at most 16");
	EXPECT_EQ(0, upstream_listed(UP1));
}

TEST_F(fhctl, upstream_add_with_an_option_out_of_range_is_a_usage_error)
{
	static const struct { const char *opt, *msg; } bad[] = {
		{ "--keepalive 1025", "--keepalive 1025 out of range: expected 0..1024" },
		{ "--keepalive -1", "bad number '-1' for --keepalive" },
		{ "--connect-timeout 50ms", "--connect-timeout 50ms out of range: expected 100ms.." },
		{ "--read-timeout 25h", "--read-timeout 25h out of range" },
		{ "--read-timeout off", "--read-timeout off out of range" },
		{ "--fail-timeout 1x", "bad duration '1x' for --fail-timeout" },
		{ "--max-fails 1001", "--max-fails 1001 out of range: expected 0..1000" },
		{ "--weight 3", "unknown option '--weight'" },
	};
	char err[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err),
						"upstream add " UP1 " 127.0.0.1:%d %s",
						self->port, bad[i].opt)) TH_LOG("%s", bad[i].opt);
		fh_expect_error_line(_metadata, err, bad[i].msg);
	}
	EXPECT_EQ(0, upstream_listed(UP1));
}

TEST_F(fhctl, upstream_with_an_unknown_subcommand_is_a_usage_error)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "upstream get " UP1));
	fh_expect_error_line(_metadata, err, "expected add, del, list or show");
}

/* ---- routes: what fhctl refuses before it sends ------------------------- */

TEST_F(fhctl, listener_add_with_a_bad_route_is_a_usage_error_and_adds_nothing)
{
	static const struct { const char *route, *msg; } bad[] = {
		{ "api=" UP1, "PREFIX must start with '/'" },
		{ "=" UP1, "PREFIX must start with '/'" },
		{ "/api", "expected PREFIX=UPSTREAM" },
		{ "/api=", "bad upstream name ''" },
		{ "/api=a/b", "bad upstream name 'a/b'" },
		{ "'/a b=" UP1 "'", "PREFIX holds a blank or a control character" },
	};
	char err[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "listener add http %s --route %s",
						self->addr4, bad[i].route)) TH_LOG("%s", bad[i].route);
		fh_expect_error_line(_metadata, err, bad[i].msg);
	}
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err),
					"listener add http %s --route /a=" UP1 " --route /a=" UP2,
					self->addr4));
	fh_expect_error_line(_metadata, err, "/a is routed twice");
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "listener add http %s --fallback a:b",
					self->addr4));
	fh_expect_error_line(_metadata, err, "bad --fallback 'a:b'");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_with_33_routes_is_a_usage_error)
{
	char cmd[2048], err[1024];
	size_t len;

	len = (size_t)snprintf(cmd, sizeof(cmd), "listener add http %s", self->addr4);
	for (int i = 0; i < 33; i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " --route /%d=" UP1, i);
	ASSERT_GT(sizeof(cmd), len);
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "%s", cmd));
	fh_expect_error_line(_metadata, err, "too many --route: at most 32");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_echo_with_a_route_is_a_usage_error)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "listener add echo %s --route /=" UP1,
					self->addr4));
	fh_expect_error_line(_metadata, err, "--route is only for http, not echo");
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err), "listener add echo %s --fallback " UP1,
					self->addr4));
	fh_expect_error_line(_metadata, err, "--fallback is only for http, not echo");
	EXPECT_EQ(0, listener_count());
}

TEST_F(fhctl, listener_add_http_proxy_with_user_but_no_root_is_a_usage_error)
{
	char err[1024];

	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err),
					"listener add http %s --fallback " UP1 " --user root",
					self->addr4));
	fh_expect_error_line(_metadata, err, "--user needs --root DIR");
	EXPECT_EQ(EXIT_USAGE, fh_fhctl_err(err, sizeof(err),
					"listener add http %s --route /=" UP1 " --cache 1M",
					self->addr4));
	fh_expect_error_line(_metadata, err, "--cache needs --root DIR");
	EXPECT_EQ(0, listener_count());
}

/* ---- upstreams and routes in the kernel ---------------------------------- */

TEST_F(fhctl, upstream_add_is_listed_and_shown_with_its_servers_and_options)
{
	char out[16384], want[256];

	ASSERT_EQ(0, fh_fhctl_ok("upstream add " UP1 " 127.0.0.1:%d '[::0001]:%d' --keepalive 8 "
				 "--connect-timeout 1500ms --read-timeout 2m --max-fails 0 "
				 "--fail-timeout 30", self->port, self->port));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "upstream list -j"));
	EXPECT_TRUE(json_balanced(out)) TH_LOG("not JSON: %s", out);
	/* Servers as inet_ntop writes them, options in ms. */
	snprintf(want, sizeof(want), "{\"name\":\"" UP1 "\",\"servers\":[\"127.0.0.1:%d\","
		 "\"[::1]:%d\"],\"keepalive\":8,\"connect_timeout_ms\":1500,"
		 "\"read_timeout_ms\":120000,\"max_fails\":0,\"fail_timeout_ms\":30000,"
		 "\"users\":0,", self->port, self->port);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in: %s", want, out);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "upstream show " UP1 " -j"));
	EXPECT_EQ(0, strncmp(out, want, strlen(want))) TH_LOG("%s", out);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "upstream show " UP1));
	snprintf(want, sizeof(want), "name " UP1 "\nservers 127.0.0.1:%d [::1]:%d\nkeepalive 8\n"
		 "connect-timeout 1500ms\nread-timeout 120s\nmax-fails 0\nfail-timeout 30s\n"
		 "users 0\n", self->port, self->port);
	EXPECT_EQ(0, strncmp(out, want, strlen(want))) TH_LOG("%s", out);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "upstream list"));
	EXPECT_EQ(0, strncmp(out, "NAME ", 5)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "  127.0.0.1:%d,[::1]:%d\n", self->port, self->port);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in: %s", want, out);
}

TEST_F(fhctl, upstream_add_without_options_shows_the_documented_defaults)
{
	char out[4096];

	ASSERT_EQ(0, fh_fhctl_ok("upstream add " UP1 " 127.0.0.1:%d", self->port));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "upstream show " UP1 " -j"));
	EXPECT_NE(NULL, strstr(out, "\"keepalive\":32,\"connect_timeout_ms\":60000,"
				    "\"read_timeout_ms\":60000,\"max_fails\":1,"
				    "\"fail_timeout_ms\":10000,")) TH_LOG("%s", out);
}

TEST_F(fhctl, upstream_add_twice_fails_with_eexist)
{
	char err[1024];

	ASSERT_EQ(0, fh_fhctl_ok("upstream add " UP1 " 127.0.0.1:%d", self->port));
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "upstream add " UP1 " 127.0.0.1:%d",
					  self->port + 1));
	fh_expect_error_line(_metadata, err, "File exists");
}

TEST_F(fhctl, upstream_show_and_del_of_an_unknown_name_fail_with_enoent)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "upstream show " UP1));
	fh_expect_error_line(_metadata, err, "No such file or directory");
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "upstream del " UP1));
	fh_expect_error_line(_metadata, err, "No such file or directory");
}

TEST_F(fhctl, unprivileged_upstream_add_fails_and_list_succeeds)
{
	char server[64], err[1024];
	char *add[] = { "fhctl", "upstream", "add", UP1, server, NULL };
	char *list[] = { "fhctl", "upstream", "list", NULL };

	snprintf(server, sizeof(server), "127.0.0.1:%d", self->port);
	EXPECT_EQ(EXIT_RUNTIME, fhctl_as_nobody(err, sizeof(err), add));
	fh_expect_error_line(_metadata, err, "Operation not permitted");
	EXPECT_EQ(0, fhctl_as_nobody(err, sizeof(err), list));
	EXPECT_STREQ("", err);
	EXPECT_EQ(0, upstream_listed(UP1));
}

TEST_F(fhctl, listener_with_routes_lists_them_and_holds_its_upstreams)
{
	char out[16384], want[256], val[64];

	ASSERT_EQ(0, fh_fhctl_ok("upstream add " UP1 " 127.0.0.1:%d", self->port + 1));
	ASSERT_EQ(0, fh_fhctl_ok("upstream add " UP2 " 127.0.0.1:%d", self->port + 2));
	/* No --root: a pure proxy. */
	ASSERT_EQ(0, fh_fhctl_ok("listener add http %s --route /api/=" UP1 " --route /=" UP2
				 " --fallback " UP2 " --access-log", self->addr4));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	EXPECT_TRUE(json_balanced(out)) TH_LOG("not JSON: %s", out);
	EXPECT_FALSE(listener_json_field(out, self->addr4, "root", val, sizeof(val)));
	ASSERT_TRUE(listener_json_field(out, self->addr4, "fallback", val, sizeof(val)))
		TH_LOG("%s", out);
	EXPECT_STREQ(UP2, val);
	ASSERT_TRUE(listener_json_field(out, self->addr4, "access_log", val, sizeof(val)));
	EXPECT_STREQ("true", val);
	EXPECT_NE(NULL, strstr(out, "\"routes\":[{\"prefix\":\"/api/\",\"upstream\":\"" UP1
				    "\"},{\"prefix\":\"/\",\"upstream\":\"" UP2 "\"}]"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list"));
	EXPECT_NE(NULL, strstr(out, "  ROUTES  ")) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "  /api/=" UP1 ",/=" UP2 "  " UP2 "  ");
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in:\n%s", want, out);

	/* In use: neither goes while the listener routes to it. */
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "upstream show " UP1 " -j"));
	EXPECT_NE(NULL, strstr(out, "\"users\":1,")) TH_LOG("%s", out);
	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(out, sizeof(out), "upstream del " UP1));
	fh_expect_error_line(_metadata, out, "Device or resource busy");
	EXPECT_EQ(1, upstream_listed(UP1));
	ASSERT_EQ(0, fh_fhctl_ok("listener del %s", self->addr4));
	EXPECT_EQ(0, fh_fhctl_ok("upstream del " UP1));
	EXPECT_EQ(0, upstream_listed(UP1));
}

TEST_F(fhctl, listener_add_with_a_route_to_an_unknown_upstream_fails_and_adds_nothing)
{
	char err[1024];

	EXPECT_EQ(EXIT_RUNTIME, fh_fhctl_err(err, sizeof(err), "listener add http %s --route /=" UP1,
					  self->addr4));
	fh_expect_error_line(_metadata, err, "No such file or directory");
	EXPECT_EQ(0, listener_count());
}

/* ---- stats ------------------------------------------------------------- */

TEST_F(fhctl, stats_json_has_total_and_one_entry_per_cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char out[16384];

	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "stats -j"));
	EXPECT_TRUE(json_balanced(out)) TH_LOG("not JSON: %s", out);
	EXPECT_EQ(0, strncmp(out, "{\"total\":{", 10)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ",\"cpus\":[")) TH_LOG("%s", out);
	EXPECT_EQ(n, count_substr(out, "{\"cpu\":")) TH_LOG("%s", out);
	/* Every counter appears in the total and in each CPU's entry. */
	EXPECT_EQ(n + 1, count_substr(out, "\"accepted\":")) TH_LOG("%s", out);
	EXPECT_EQ(n + 1, count_substr(out, "\"errors\":")) TH_LOG("%s", out);
	EXPECT_EQ(n + 1, count_substr(out, "\"proxied\":")) TH_LOG("%s", out);
	EXPECT_EQ(n + 1, count_substr(out, "\"relay_copied_bytes\":")) TH_LOG("%s", out);
}

TEST_F(fhctl, stats_per_cpu_prints_one_row_per_cpu_and_a_total)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN), cpu;
	char out[16384], prefix[32];

	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "stats --per-cpu"));
	EXPECT_EQ(0, strncmp(out, "cpu ", 4)) TH_LOG("%s", out);
	for (cpu = 0; cpu < n; cpu++) {
		snprintf(prefix, sizeof(prefix), "%ld ", cpu);
		EXPECT_EQ(1, fh_count_lines_starting(out, prefix)) TH_LOG("cpu %ld: %s", cpu, out);
	}
	EXPECT_EQ(1, fh_count_lines_starting(out, "total ")) TH_LOG("%s", out);
	/* Header, a row per CPU, the total. */
	EXPECT_EQ(n + 2, count_substr(out, "\n")) TH_LOG("%s", out);
}

TEST_F(fhctl, stats_counts_an_accepted_connection)
{
	char out[4096], in[10] = "0123456789", back[sizeof(in)];
	long long before = -1, after = -1;
	const char *p;
	int fd;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr4));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "stats"));
	p = strstr(out, "accepted ");
	ASSERT_NE(NULL, p) TH_LOG("%s", out);
	ASSERT_EQ(1, sscanf(p, "accepted %lld", &before));
	fd = fh_connect("127.0.0.1", self->port);
	ASSERT_LE(0, fd);
	/* The answer proves the connection was accepted. */
	ASSERT_EQ(0, fh_echo_exchange(fd, in, sizeof(in), back, 10000));
	close(fd);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "stats"));
	p = strstr(out, "accepted ");
	ASSERT_NE(NULL, p) TH_LOG("%s", out);
	ASSERT_EQ(1, sscanf(p, "accepted %lld", &after));
	EXPECT_EQ(before + 1, after);
}

TEST_F(fhctl, stats_watch_count_2_prints_two_samples_and_exits)
{
	long long start = fh_now_ms(), took;
	char out[16384];
	int st;

	/* One-second samples: two take about 2 s; timeout only guards a hang. */
	st = fh_run(out, sizeof(out), "timeout 15 fhctl stats --watch --count 2 2>/dev/null");
	took = fh_now_ms() - start;
	EXPECT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_GT(10000, took);
	EXPECT_EQ(2, fh_count_lines_starting(out, "accepted ")) TH_LOG("%s", out);
}

TEST_F(fhctl, stats_watch_json_count_2_prints_two_json_lines)
{
	char out[16384];
	const char *nl;

	ASSERT_EQ(0, fh_run(out, sizeof(out),
			    "timeout 15 fhctl stats -j --watch --count 2 2>/dev/null"));
	EXPECT_EQ(2, fh_count_lines_starting(out, "{\"total\":{")) TH_LOG("%s", out);
	EXPECT_EQ(2, count_substr(out, "\n")) TH_LOG("%s", out);
	nl = strchr(out, '\n');
	ASSERT_NE(NULL, nl);
	EXPECT_TRUE(json_balanced(nl + 1)) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
