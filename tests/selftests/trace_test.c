// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoints: an echo connection shows up as fh_accept, fh_request and
 * fh_close (with its reason) for perf and bpftrace users.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

#define ADDR "127.0.0.1"
#define TRACEFS "/sys/kernel/tracing"

FIXTURE(trace) {
	int port;
	char addr[64];
};

FIXTURE_SETUP(trace)
{
	if (access(TRACEFS "/events", F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	ASSERT_EQ(0, access(TRACEFS "/events", F_OK));
	ASSERT_EQ(0, fh_module_load());
	self->port = fh_test_port(14000);
	snprintf(self->addr, sizeof(self->addr), ADDR ":%d", self->port);
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr));
	ASSERT_EQ(0, fh_write_file(TRACEFS "/trace", ""));
	ASSERT_EQ(0, fh_write_file(TRACEFS "/events/firehose/enable", "1"));
}

FIXTURE_TEARDOWN(trace)
{
	fh_write_file(TRACEFS "/events/firehose/enable", "0");
	fh_fhctl_ok("listener del %s", self->addr);
}

TEST_F(trace, echo_connection_traces_accept_request_and_close_reason)
{
	static char buf[1 << 16];
	char in[300], out[300], want[64];
	int fd;

	fh_fill_random(in, sizeof(in), 21);
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_echo_exchange(fd, in, sizeof(in), out, 10000));
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	EXPECT_TRUE(fh_wait_closed(fd, 10000));
	close(fd);
	ASSERT_EQ(0, fh_write_file(TRACEFS "/events/firehose/enable", "0"));
	ASSERT_LT(0U, fh_read_file(TRACEFS "/trace", buf, sizeof(buf)));

	snprintf(want, sizeof(want), "fh_accept: lport=%d peer=127.0.0.1:", self->port);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("trace: %s", buf);
	snprintf(want, sizeof(want), "fh_request: lport=%d", self->port);
	EXPECT_NE(NULL, strstr(buf, want));
	EXPECT_NE(NULL, strstr(buf, " in=300 out=300"));
	snprintf(want, sizeof(want), "fh_close: lport=%d", self->port);
	EXPECT_NE(NULL, strstr(buf, want));
	EXPECT_NE(NULL, strstr(buf, "reason=eof"));
}

TEST_F(trace, idle_timeout_close_is_traced_as_timeout)
{
	static char buf[1 << 16];
	int fd;

	ASSERT_EQ(0, fh_fhctl_ok("set idle-timeout 1s"));
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(fh_wait_closed(fd, 10000));
	close(fd);
	fh_fhctl_ok("set idle-timeout 60s");
	ASSERT_EQ(0, fh_write_file(TRACEFS "/events/firehose/enable", "0"));
	ASSERT_LT(0U, fh_read_file(TRACEFS "/trace", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "reason=timeout")) TH_LOG("trace: %s", buf);
}

TEST_HARNESS_MAIN
