// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/firehose: counters and listeners, readable by people and
 * scripts, read-only, without kernel addresses, per network namespace.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

#define ADDR "127.0.0.1"

static const char *const counters[] = {
	"accepted", "active", "closed", "refused", "requests", "bytes_in",
	"bytes_out", "zerocopy_bytes", "copied_bytes", "wakeups", "batches",
	"lookaside_hits", "slab_allocs", "sweep_frees", "timeouts", "errors",
	"polled_us", "segments", "compacted_bytes", "worker_calls",
	"refused_listener", "refused_source",
};

/* A run of 16 hex digits starting ffff is what a leaked pointer looks like. */
static bool has_kernel_address(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "ffff"))) {
		int n = 0;

		while (isxdigit((unsigned char)p[n]))
			n++;
		if (n >= 12)
			return true;
		p += 4;
	}
	return false;
}

FIXTURE(proc) {
	int port;
	char addr[64];
};

FIXTURE_SETUP(proc)
{
	ASSERT_EQ(0, fh_module_load());
	self->port = fh_test_port(12000);
	snprintf(self->addr, sizeof(self->addr), ADDR ":%d", self->port);
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr));
}

FIXTURE_TEARDOWN(proc)
{
	fh_fhctl_ok("listener del %s", self->addr);
}

TEST_F(proc, stats_names_every_counter_once)
{
	char buf[16384], *line, *save;
	size_t i, n = sizeof(counters) / sizeof(counters[0]);
	int seen[sizeof(counters) / sizeof(counters[0])] = { 0 };

	ASSERT_LT(0U, fh_read_file("/proc/net/firehose/stats", buf, sizeof(buf)));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		for (i = 0; i < n; i++)
			if (!strncmp(line, counters[i], strlen(counters[i])) &&
			    line[strlen(counters[i])] == ' ')
				seen[i]++;
	for (i = 0; i < n; i++) {
		EXPECT_EQ(1, seen[i]) TH_LOG("counter %s seen %d times", counters[i], seen[i]);
	}
}

TEST_F(proc, stats_has_one_row_per_online_cpu)
{
	char buf[16384], *line, *save;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), rows = 0, header = 0;

	ASSERT_LT(0U, fh_read_file("/proc/net/firehose/stats", buf, sizeof(buf)));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "cpu ", 4))
			header++;
		else if (header && isdigit((unsigned char)line[0]))
			rows++;
	}
	EXPECT_EQ(1, header);
	EXPECT_EQ(cpus, rows);
}

TEST_F(proc, listeners_shows_the_added_listener)
{
	char buf[8192], want[128];

	ASSERT_LT(0U, fh_read_file("/proc/net/firehose/listeners", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "echo %s ", self->addr);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("listeners: %s", buf);
}

TEST_F(proc, listeners_shows_ipv6_in_brackets)
{
	char buf[8192], want[128];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo [::1]:%d", self->port + 2));
	ASSERT_LT(0U, fh_read_file("/proc/net/firehose/listeners", buf, sizeof(buf)));
	ASSERT_EQ(0, fh_fhctl_ok("listener del [::1]:%d", self->port + 2));
	snprintf(want, sizeof(want), "echo [::1]:%d ", self->port + 2);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("listeners: %s", buf);
}

TEST_F(proc, listeners_forgets_a_deleted_listener)
{
	char buf[8192];

	ASSERT_EQ(0, fh_fhctl_ok("listener del %s", self->addr));
	ASSERT_LT(0U, fh_read_file("/proc/net/firehose/listeners", buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, self->addr));
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr));
}

TEST_F(proc, files_show_no_kernel_addresses)
{
	char buf[16384];

	ASSERT_LT(0U, fh_read_file("/proc/net/firehose/stats", buf, sizeof(buf)));
	EXPECT_FALSE(has_kernel_address(buf));
	ASSERT_LT(0U, fh_read_file("/proc/net/firehose/listeners", buf, sizeof(buf)));
	EXPECT_FALSE(has_kernel_address(buf));
}

TEST_F(proc, files_are_read_only)
{
	const char *files[] = { "/proc/net/firehose/stats", "/proc/net/firehose/listeners" };
	int i, fd;

	for (i = 0; i < 2; i++) {
		fd = open(files[i], O_WRONLY);
		if (fd >= 0) {
			EXPECT_GT(0, write(fd, "0", 1)) TH_LOG("%s took a write", files[i]);
			close(fd);
		}
	}
}

TEST_F(proc, echo_moves_the_byte_counters)
{
	long long in = fh_stat("bytes_in"), out = fh_stat("bytes_out");
	long long req = fh_stat("requests"), acc = fh_stat("accepted");
	char msg[1000], back[1000];
	int fd;

	fh_fill_random(msg, sizeof(msg), 5);
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_echo_exchange(fd, msg, sizeof(msg), back, 10000));
	close(fd);
	EXPECT_LE(in + (long long)sizeof(msg), fh_stat("bytes_in"));
	/* The worker counts a send after it returns: the echo may be here first. */
	EXPECT_TRUE(fh_wait_stat("bytes_out", out + (long long)sizeof(msg), 2000));
	EXPECT_LT(req, fh_stat("requests"));
	EXPECT_EQ(acc + 1, fh_stat("accepted"));
}

TEST_F(proc, echo_payload_goes_back_by_page_reference)
{
	long long zc = fh_stat("zerocopy_bytes"), copied = fh_stat("copied_bytes");
	size_t len = 256 * 1024;
	char *msg = malloc(len), *back = malloc(len);
	long long dzc, dcopied;
	int fd;

	ASSERT_NE(NULL, msg);
	ASSERT_NE(NULL, back);
	fh_fill_random(msg, len, 6);
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_echo_exchange(fd, msg, len, back, 30000));
	close(fd);
	dzc = fh_stat("zerocopy_bytes") - zc;
	dcopied = fh_stat("copied_bytes") - copied;
	/*
	 * Loopback TCP keeps payload in page frags, which go back by
	 * reference. Only what the stack itself collapsed into an skb's
	 * linear area under receive-queue pressure must be copied.
	 */
	EXPECT_EQ((long long)len, dzc + dcopied);
	EXPECT_LE((long long)len * 9 / 10, dzc) TH_LOG("%lld of %zu bytes copied", dcopied, len);
	free(msg);
	free(back);
}

TEST_F(proc, closed_connection_leaves_active_at_zero)
{
	int fd = fh_connect(ADDR, self->port);
	long long end;

	ASSERT_LE(0, fd);
	ASSERT_TRUE(fh_wait_stat("active", 1, 5000));
	close(fd);
	end = fh_now_ms() + 5000;
	while (fh_stat("active") != 0 && fh_now_ms() < end)
		usleep(20000);
	EXPECT_EQ(0, fh_stat("active"));
}

TEST_F(proc, listener_in_another_namespace_is_invisible_here)
{
	int to_parent[2], to_child[2], status;
	char buf[8192], other[64], c;
	pid_t pid;

	snprintf(other, sizeof(other), ADDR ":%d ", self->port + 1);
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char out[256];

		if (unshare(CLONE_NEWNET) || fh_run(out, sizeof(out), "ip link set lo up"))
			_exit(2);
		if (fh_run(out, sizeof(out), "fhctl listener add echo %.*s",
			   (int)strlen(other) - 1, other))
			_exit(3);
		fh_read_file("/proc/net/firehose/listeners", buf, sizeof(buf));
		if (!strstr(buf, other) || strstr(buf, self->addr))
			_exit(4);
		if (write(to_parent[1], "a", 1) != 1)
			_exit(5);
		/* Wait for the parent's look, then let the namespace die. */
		if (read(to_child[0], &c, 1) != 1)
			_exit(6);
		_exit(0);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_LT(0U, fh_read_file("/proc/net/firehose/listeners", buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, other));
	ASSERT_EQ(1, write(to_child[1], "b", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The namespace went with its listener; the address is free here too. */
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", self->port + 1));
	ASSERT_EQ(0, fh_fhctl_ok("listener del " ADDR ":%d", self->port + 1));
}

TEST_HARNESS_MAIN
