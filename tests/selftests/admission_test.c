// SPDX-License-Identifier: GPL-2.0
/*
 * Fair admission: besides the module-wide max-connections, a listener may
 * have a limit of its own, and max-connections-per-source keeps one peer
 * address from taking every slot. A connection over a limit is closed at
 * once and counted in refused, and by reason.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

#define ADDR "127.0.0.1"

FIXTURE(admission) {
	int port;
	int fd[8];
	int nfd;
};

FIXTURE_SETUP(admission)
{
	ASSERT_EQ(0, fh_module_load());
	self->port = fh_test_port(18000);
	self->nfd = 0;
}

FIXTURE_TEARDOWN(admission)
{
	int i;

	for (i = 0; i < self->nfd; i++)
		close(self->fd[i]);
	fh_fhctl_ok("set max-connections-per-source 4096 source-prefix6 64");
	fh_fhctl_ok("listener del " ADDR ":%d", self->port);
	fh_fhctl_ok("listener del [::]:%d", self->port + 1);
	fh_run(NULL, 0, "fhctl listener del [::1]:%d 2>/dev/null", self->port + 1);
}

/* A connection from @from (an IPv4 literal) to @to:@port; kept for teardown. */
static int connect_from(struct __test_metadata *_metadata, FIXTURE_DATA(admission) *self,
			const char *from, const char *to, int port)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, from, &src.sin_addr);
	inet_pton(AF_INET, to, &dst.sin_addr);
	dst.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		close(fd);
		return -1;
	}
	if (self->nfd < (int)(sizeof(self->fd) / sizeof(self->fd[0])))
		self->fd[self->nfd++] = fd;
	return fd;
}

static bool echoes(int fd)
{
	char c = 'x', r = 0;

	return !fh_echo_exchange(fd, &c, 1, &r, 5000) && r == 'x';
}

TEST_F(admission, listener_limit_refuses_the_excess_and_counts_it)
{
	long long refused = fh_stat("refused"), why = fh_stat("refused_listener");
	int i, fd;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d --max-connections 2",
				 self->port));
	for (i = 0; i < 3; i++) {
		fd = connect_from(_metadata, self, ADDR, ADDR, self->port);
		ASSERT_LE(0, fd);
		if (i < 2) {
			ASSERT_TRUE(echoes(fd));
		} else {
			EXPECT_TRUE(fh_wait_closed(fd, 5000));
		}
	}
	EXPECT_EQ(refused + 1, fh_stat("refused"));
	EXPECT_EQ(why + 1, fh_stat("refused_listener"));
}

TEST_F(admission, listener_limit_frees_a_slot_when_a_connection_closes)
{
	int a, b;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d --max-connections 1",
				 self->port));
	a = connect_from(_metadata, self, ADDR, ADDR, self->port);
	ASSERT_LE(0, a);
	ASSERT_TRUE(echoes(a));
	shutdown(a, SHUT_WR);
	ASSERT_TRUE(fh_wait_closed(a, 5000));
	ASSERT_TRUE(fh_wait_stat("closed", 1, 5000));
	usleep(100000);
	b = connect_from(_metadata, self, ADDR, ADDR, self->port);
	ASSERT_LE(0, b);
	EXPECT_TRUE(echoes(b));
}

TEST_F(admission, listener_list_shows_the_listener_limit)
{
	char out[4096];

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d --max-connections 7",
				 self->port));
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	EXPECT_NE(NULL, strstr(out, "\"max_connections\":7")) TH_LOG("%s", out);
}

TEST_F(admission, per_source_limit_refuses_one_address_but_not_another)
{
	long long refused = fh_stat("refused"), why = fh_stat("refused_source");
	int i, fd;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", self->port));
	ASSERT_EQ(0, fh_fhctl_ok("set max-connections-per-source 2"));
	for (i = 0; i < 3; i++) {
		fd = connect_from(_metadata, self, "127.0.0.1", ADDR, self->port);
		ASSERT_LE(0, fd);
		if (i < 2) {
			ASSERT_TRUE(echoes(fd));
		} else {
			EXPECT_TRUE(fh_wait_closed(fd, 5000));
		}
	}
	fd = connect_from(_metadata, self, "127.0.0.2", ADDR, self->port);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(echoes(fd));
	EXPECT_EQ(refused + 1, fh_stat("refused"));
	EXPECT_EQ(why + 1, fh_stat("refused_source"));
}

TEST_F(admission, per_source_limit_counts_across_listeners_and_ipv4_mapped_peers)
{
	int a, b;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", self->port));
	/* Dual-stack: an IPv4 peer arrives as ::ffff:127.0.0.1. */
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo [::]:%d", self->port + 1));
	ASSERT_EQ(0, fh_fhctl_ok("set max-connections-per-source 1"));
	a = connect_from(_metadata, self, "127.0.0.1", ADDR, self->port);
	ASSERT_LE(0, a);
	ASSERT_TRUE(echoes(a));
	b = connect_from(_metadata, self, "127.0.0.1", ADDR, self->port + 1);
	ASSERT_LE(0, b);
	EXPECT_TRUE(fh_wait_closed(b, 5000));
}

TEST_F(admission, per_source_slot_comes_back_when_its_connection_closes)
{
	int a, b;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", self->port));
	ASSERT_EQ(0, fh_fhctl_ok("set max-connections-per-source 1"));
	a = connect_from(_metadata, self, "127.0.0.1", ADDR, self->port);
	ASSERT_LE(0, a);
	ASSERT_TRUE(echoes(a));
	shutdown(a, SHUT_WR);
	ASSERT_TRUE(fh_wait_closed(a, 5000));
	usleep(200000);
	b = connect_from(_metadata, self, "127.0.0.1", ADDR, self->port);
	ASSERT_LE(0, b);
	EXPECT_TRUE(echoes(b));
}

TEST_F(admission, per_source_limit_off_admits_every_connection)
{
	int i, fd;

	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", self->port));
	ASSERT_EQ(0, fh_fhctl_ok("set max-connections-per-source off"));
	for (i = 0; i < 6; i++) {
		fd = connect_from(_metadata, self, "127.0.0.1", ADDR, self->port);
		ASSERT_LE(0, fd);
		EXPECT_TRUE(echoes(fd));
	}
}

/*
 * A connection from IPv6 @from to [::1]:@port; kept for teardown. An
 * address just added may still be settling: tried for up to 5 s.
 */
static int connect_from6(FIXTURE_DATA(admission) *self, const char *from, int port)
{
	struct sockaddr_in6 src = { .sin6_family = AF_INET6 }, dst = { .sin6_family = AF_INET6 };
	long long end = fh_now_ms() + 5000;
	int fd;

	inet_pton(AF_INET6, from, &src.sin6_addr);
	dst.sin6_addr = in6addr_loopback;
	dst.sin6_port = htons(port);
	for (;;) {
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (!bind(fd, (struct sockaddr *)&src, sizeof(src)) &&
		    !connect(fd, (struct sockaddr *)&dst, sizeof(dst)))
			break;
		fprintf(stderr, "# connect from %s: %s\n", from, strerror(errno));
		close(fd);
		if (fh_now_ms() > end)
			return -1;
		usleep(100 * 1000);
	}
	if (self->nfd < (int)(sizeof(self->fd) / sizeof(self->fd[0])))
		self->fd[self->nfd++] = fd;
	return fd;
}

/* Two addresses of one /64 on lo (iproute2: busybox's ip has no nodad). */
static int two_v6_addresses(void)
{
	return fh_run(NULL, 0, "for a in fd00:f1::1 fd00:f1::2; do "
		      "/usr/bin/ip -6 addr show dev lo | grep -q \"$a/\" || "
		      "/usr/bin/ip -6 addr add $a/128 dev lo nodad || exit 1; done");
}

TEST_F(admission, per_source_limit_is_on_by_default)
{
	char out[1024];

	ASSERT_EQ(0, fh_module_unload());
	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "show settings"));
	EXPECT_NE(NULL, strstr(out, "max-connections-per-source 4096\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "source-prefix6 64\n")) TH_LOG("%s", out);
}

/*
 * With one connection per source and @settings, a peer at fd00:f1::1 is
 * served; whether fd00:f1::2, of the same /64, is too.
 */
static void second_of_one_64(struct __test_metadata *_metadata,
			     FIXTURE_DATA(admission) *self, const char *settings,
			     bool served)
{
	int a, b;

	ASSERT_EQ(0, two_v6_addresses());
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo [::1]:%d", self->port + 1));
	ASSERT_EQ(0, fh_fhctl_ok("set max-connections-per-source 1 %s", settings));
	a = connect_from6(self, "fd00:f1::1", self->port + 1);
	ASSERT_LE(0, a);
	ASSERT_TRUE(echoes(a));
	b = connect_from6(self, "fd00:f1::2", self->port + 1);
	ASSERT_LE(0, b);
	if (served) {
		EXPECT_TRUE(echoes(b));
	} else {
		EXPECT_TRUE(fh_wait_closed(b, 5000));
	}
}

TEST_F(admission, per_source_limit_counts_ipv6_peers_of_one_64_as_one_source)
{
	second_of_one_64(_metadata, self, "", false);
}

TEST_F(admission, source_prefix6_128_counts_each_ipv6_address_alone)
{
	second_of_one_64(_metadata, self, "source-prefix6 128", true);
}

TEST_F(admission, listener_limit_out_of_range_is_a_usage_error)
{
	char err[512];

	EXPECT_EQ(2, fh_fhctl_err(err, sizeof(err),
				  "listener add echo " ADDR ":%d --max-connections 0", self->port));
	EXPECT_NE(NULL, strstr(err, "--max-connections")) TH_LOG("%s", err);
}

TEST_HARNESS_MAIN
