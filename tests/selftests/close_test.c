// SPDX-License-Identifier: GPL-2.0
/*
 * Closing: a connection firehose closes finishes as a userspace server's
 * does. Its FIN is resent until the peer acknowledges it or TCP gives up,
 * and the orphan it leaves is reaped either way, even when the peer has
 * gone silent. A peer that vanishes without a FIN is found by TCP
 * keepalive, which ends the connection, even with the idle timeout off.
 * The peer lives in a network namespace of its own, behind a veth pair
 * whose far end the test takes down.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

#define NS "fhpeer"
/* iproute2, not busybox's ip (earlier in the guest's PATH): netns and veth. */
#define IP "/usr/bin/ip"
#define SERVER "10.77.0.1"
#define PEER "10.77.0.2"
#define ORPHAN_RETRIES "/proc/sys/net/ipv4/tcp_orphan_retries"
/* Stock guests carry veth as a module (tests/check.sh packs it here). */
#define VETH_KO "/fh/mod/extra/veth.ko"

#define TCP_ESTABLISHED	1
#define TCP_FIN_WAIT1	4

#define DEFAULT_SETTINGS \
	"idle-timeout 60s keepalive 60s keepalive-interval 10s keepalive-count 6"

/*
 * State of the server-side socket SERVER:port <-> PEER in /proc/net/tcp,
 * or 0 when there is none.
 */
static int server_sock_state(int port)
{
	unsigned int laddr, lport, raddr, rport, st;
	in_addr_t want_l = inet_addr(SERVER), want_r = inet_addr(PEER);
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*u: %8X:%4X %8X:%4X %2X", &laddr, &lport,
			   &raddr, &rport, &st) != 5)
			continue;
		if (laddr == want_l && (int)lport == port && raddr == want_r) {
			found = (int)st;
			break;
		}
	}
	fclose(f);
	return found;
}

/* A TCP connection from inside the peer namespace. */
static int connect_from_peer(int port)
{
	int self = open("/proc/self/ns/net", O_RDONLY);
	int peer = open("/run/netns/" NS, O_RDONLY);

	if (peer < 0)
		peer = open("/var/run/netns/" NS, O_RDONLY);
	int fd = -1;

	if (self >= 0 && peer >= 0 && !setns(peer, CLONE_NEWNET)) {
		fd = fh_connect(SERVER, port);
		if (setns(self, CLONE_NEWNET)) {
			close(fd);
			fd = -1;
		}
	}
	if (self >= 0)
		close(self);
	if (peer >= 0)
		close(peer);
	return fd;
}

FIXTURE(close) {
	int port;
	char addr[64];
	char orphan_retries[16];
};

FIXTURE_SETUP(close)
{
	char out[512];

	ASSERT_EQ(0, fh_module_load());
	if (access(VETH_KO, R_OK) == 0)
		fh_run(out, sizeof(out), "grep -q '^veth ' /proc/modules || insmod " VETH_KO);
	fh_run(out, sizeof(out), IP " netns del " NS " 2>/dev/null");
	ASSERT_EQ(0, fh_run(out, sizeof(out),
			    IP " netns add " NS " && "
			    IP " link add fh0 type veth peer name fh1 netns " NS " && "
			    IP " addr add " SERVER "/24 dev fh0 && " IP " link set fh0 up && "
			    IP " -n " NS " addr add " PEER "/24 dev fh1 && "
			    IP " -n " NS " link set fh1 up && " IP " -n " NS " link set lo up"))
		TH_LOG("namespace setup: %s", out);
	self->port = fh_test_port(13000);
	snprintf(self->addr, sizeof(self->addr), SERVER ":%d", self->port);
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr));
	ASSERT_NE((size_t)0, fh_read_file(ORPHAN_RETRIES, self->orphan_retries,
				  sizeof(self->orphan_retries)));
	/* Give up on a silent peer after one retransmission, not eight. */
	ASSERT_EQ(0, fh_write_file(ORPHAN_RETRIES, "1"));
}

FIXTURE_TEARDOWN(close)
{
	fh_write_file(ORPHAN_RETRIES, self->orphan_retries);
	fh_fhctl_ok("listener del %s", self->addr);
	fh_fhctl_ok("set " DEFAULT_SETTINGS);
	fh_run(NULL, 0, IP " netns del " NS "; " IP " link del fh0 2>/dev/null");
}

TEST_F_TIMEOUT(close, fin_lost_after_close_is_resent_until_the_orphan_is_reaped, 120)
{
	long long closed = fh_stat("closed"), end;
	char out[8];
	int fd, st;

	fd = connect_from_peer(self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_echo_exchange(fd, "hello", 5, out, 10000));

	/* The peer goes silent; the idle timeout then closes the connection. */
	ASSERT_EQ(0, fh_run(NULL, 0, IP " -n " NS " link set fh1 down"));
	ASSERT_EQ(0, fh_fhctl_ok("set idle-timeout 1s"));
	ASSERT_TRUE(fh_wait_stat("closed", closed + 1, 30000));

	/* Its FIN went nowhere: the orphan waits for an acknowledgement. */
	st = server_sock_state(self->port);
	EXPECT_EQ(TCP_FIN_WAIT1, st);

	/*
	 * Resent FINs time out after tcp_orphan_retries and TCP reaps the
	 * orphan. A socket whose timers were stopped at close stays forever.
	 */
	end = fh_now_ms() + 60000;
	while ((st = server_sock_state(self->port)) > 0 && fh_now_ms() < end)
		usleep(100 * 1000);
	EXPECT_EQ(0, st) {
		TH_LOG("the closed connection is still in state %d", st);
	}
	close(fd);
}

/*
 * With the idle timeout off, only keepalive notices a peer that is gone:
 * its probes go unanswered, TCP drops the connection with ETIMEDOUT, and
 * firehose closes it as a socket error. With keepalive 1s, interval 1s and
 * count 2 that takes about 3 s.
 */
TEST_F_TIMEOUT(close, keepalive_reclaims_a_peer_that_vanished_silently, 60)
{
	long long closed = fh_stat("closed"), errors = fh_stat("errors");
	long long timeouts = fh_stat("timeouts"), end;
	char out[8];
	int fd, st;

	/* Keepalive is set on a connection as it is accepted. */
	ASSERT_EQ(0, fh_fhctl_ok("set idle-timeout off keepalive 1s keepalive-interval 1s "
				 "keepalive-count 2"));
	fd = connect_from_peer(self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_echo_exchange(fd, "hello", 5, out, 10000));

	ASSERT_EQ(0, fh_run(NULL, 0, IP " -n " NS " link set fh1 down"));
	EXPECT_TRUE(fh_wait_stat("closed", closed + 1, 15000)) {
		TH_LOG("still open after 15 s: closed %lld, socket state %d",
		       fh_stat("closed"), server_sock_state(self->port));
	}
	/* Dropped by TCP, not timed out by firehose. */
	EXPECT_EQ(errors + 1, fh_stat("errors"));
	EXPECT_EQ(timeouts, fh_stat("timeouts"));
	/* A connection keepalive ended leaves no orphan behind. */
	end = fh_now_ms() + 5000;
	while ((st = server_sock_state(self->port)) > 0 && fh_now_ms() < end)
		usleep(100 * 1000);
	EXPECT_EQ(0, st) {
		TH_LOG("the server socket is still in state %d", st);
	}
	close(fd);
}

TEST_F_TIMEOUT(close, without_keepalive_a_silent_peer_is_kept, 60)
{
	long long closed = fh_stat("closed");
	char out[8];
	int fd;

	ASSERT_EQ(0, fh_fhctl_ok("set idle-timeout off keepalive off"));
	fd = connect_from_peer(self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_echo_exchange(fd, "hello", 5, out, 10000));

	ASSERT_EQ(0, fh_run(NULL, 0, IP " -n " NS " link set fh1 down"));
	sleep(6);
	EXPECT_EQ(closed, fh_stat("closed"));
	EXPECT_EQ(TCP_ESTABLISHED, server_sock_state(self->port));

	/* The peer comes back and says goodbye: nothing is left open. */
	EXPECT_EQ(0, fh_run(NULL, 0, IP " -n " NS " link set fh1 up"));
	close(fd);
	EXPECT_TRUE(fh_wait_stat("closed", closed + 1, 30000));
}

TEST_HARNESS_MAIN
