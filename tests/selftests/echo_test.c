// SPDX-License-Identifier: GPL-2.0
/*
 * echo service: every byte comes back, in order, for any size, any number of
 * connections, pipelined or half-closed; and the connection limits hold.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

#define ADDR "127.0.0.1"

FIXTURE(echo) {
	int port;
	char addr[64];
};

FIXTURE_SETUP(echo)
{
	ASSERT_EQ(0, fh_module_load());
	self->port = fh_test_port(10000);
	snprintf(self->addr, sizeof(self->addr), ADDR ":%d", self->port);
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr));
}

FIXTURE_TEARDOWN(echo)
{
	fh_fhctl_ok("listener del %s", self->addr);
	fh_fhctl_ok("set max-connections 100000");
	fh_fhctl_ok("set idle-timeout 60s");
}

static void roundtrip(struct __test_metadata *_metadata, int port, size_t len)
{
	char *in = malloc(len), *out = malloc(len);
	int fd;

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	fh_fill_random(in, len, len);
	fd = fh_connect(ADDR, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_echo_exchange(fd, in, len, out, 120000));
	EXPECT_EQ(0, memcmp(in, out, len));
	close(fd);
	free(in);
	free(out);
}

TEST_F(echo, one_byte_comes_back)
{
	roundtrip(_metadata, self->port, 1);
}

TEST_F(echo, small_message_comes_back_byte_exact)
{
	roundtrip(_metadata, self->port, 100);
}

TEST_F(echo, page_sized_message_comes_back_byte_exact)
{
	roundtrip(_metadata, self->port, 4096);
}

TEST_F(echo, message_larger_than_socket_buffers_comes_back)
{
	roundtrip(_metadata, self->port, 1 << 20);
}

TEST_F_TIMEOUT(echo, sixteen_mebibytes_come_back_byte_exact, 300)
{
	roundtrip(_metadata, self->port, 16 << 20);
}

TEST_F(echo, pipelined_messages_come_back_in_order)
{
	char in[64 * 100], out[sizeof(in)];
	int fd, i;

	for (i = 0; i < 100; i++)
		fh_fill_random(in + i * 64, 64, i);
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	/* All requests leave before any answer is read. */
	for (i = 0; i < 100; i++)
		ASSERT_EQ(64, send(fd, in + i * 64, 64, 0));
	ASSERT_EQ((long)sizeof(in), fh_read_to_eof(fd, out, sizeof(out), 30000));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	close(fd);
}

TEST_F(echo, half_close_gets_everything_then_eof)
{
	char in[50000], out[sizeof(in) + 1];
	int fd;

	fh_fill_random(in, sizeof(in), 7);
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ((long)sizeof(in), send(fd, in, sizeof(in), 0));
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	EXPECT_EQ((long)sizeof(in), fh_read_to_eof(fd, out, sizeof(out), 30000));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	close(fd);
}

TEST_F(echo, client_reset_mid_stream_leaves_server_serving)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	long long closed = fh_stat("closed");
	char buf[65536];
	int fd;

	fh_fill_random(buf, sizeof(buf), 3);
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ((long)sizeof(buf), send(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(fd);		/* RST with data in flight both ways */
	EXPECT_TRUE(fh_wait_stat("closed", closed + 1, 10000));
	roundtrip(_metadata, self->port, 1000);
}

/*
 * An urgent byte (MSG_OOB) is taken inline, where the peer put it in the
 * stream, as SO_OOBINLINE would: the connection neither wedges at it nor
 * loses it, and goes on serving.
 */
TEST_F(echo, urgent_byte_comes_back_inline_and_the_stream_goes_on)
{
	const char want[] = "abcde!xyz!xyz!xyz";
	char out[sizeof(want)];
	int fd, i;

	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(2, send(fd, "ab", 2, 0));
	ASSERT_EQ(1, send(fd, "c", 1, MSG_OOB));
	ASSERT_EQ(2, send(fd, "de", 2, 0));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, send(fd, "!", 1, MSG_OOB));
		ASSERT_EQ(3, send(fd, "xyz", 3, 0));
	}
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	ASSERT_EQ((long)strlen(want), fh_read_to_eof(fd, out, sizeof(out), 10000));
	EXPECT_EQ(0, memcmp(want, out, strlen(want)));
	close(fd);
}

#define NCONN 1000
#define PER_CONN 16384

TEST_F_TIMEOUT(echo, thousand_concurrent_streams_verify, 600)
{
	static struct pollfd pfd[NCONN];
	static size_t sent[NCONN], got[NCONN];
	static unsigned char data[NCONN][PER_CONN];
	unsigned char buf[PER_CONN];
	long long end = fh_now_ms() + 500000;
	int i, done = 0;
	ssize_t n;

	for (i = 0; i < NCONN; i++) {
		fh_fill_random(data[i], PER_CONN, 1000 + i);
		pfd[i].fd = fh_connect(ADDR, self->port);
		ASSERT_LE(0, pfd[i].fd) TH_LOG("connection %d failed", i);
		fh_set_nonblock(pfd[i].fd);
	}
	while (done < NCONN && fh_now_ms() < end) {
		for (i = 0; i < NCONN; i++)
			pfd[i].events = got[i] == PER_CONN ? 0 :
					POLLIN | (sent[i] < PER_CONN ? POLLOUT : 0);
		ASSERT_LE(0, poll(pfd, NCONN, 1000));
		for (i = 0; i < NCONN; i++) {
			if (sent[i] < PER_CONN && (pfd[i].revents & POLLOUT)) {
				n = send(pfd[i].fd, data[i] + sent[i],
					 PER_CONN - sent[i], MSG_NOSIGNAL);
				if (n > 0)
					sent[i] += n;
			}
			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) {
				n = recv(pfd[i].fd, buf, PER_CONN - got[i], 0);
				ASSERT_NE(0, n) TH_LOG("connection %d closed early", i);
				if (n < 0) {
					ASSERT_EQ(EAGAIN, errno);
					continue;
				}
				ASSERT_EQ(0, memcmp(buf, data[i] + got[i], n))
					TH_LOG("connection %d corrupt at %zu", i, got[i]);
				got[i] += n;
				if (got[i] == PER_CONN)
					done++;
			}
		}
	}
	EXPECT_EQ(NCONN, done);
	for (i = 0; i < NCONN; i++)
		close(pfd[i].fd);
}

TEST_F(echo, idle_timeout_closes_quiet_connection)
{
	long long timeouts = fh_stat("timeouts");
	int fd;

	ASSERT_EQ(0, fh_fhctl_ok("set idle-timeout 1s"));
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(fh_wait_closed(fd, 10000));
	EXPECT_LT(timeouts, fh_stat("timeouts"));
	close(fd);
}

TEST_F(echo, active_connection_outlives_idle_timeout)
{
	char in[16] = "still here", out[16];
	int fd, i;

	ASSERT_EQ(0, fh_fhctl_ok("set idle-timeout 1s"));
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	for (i = 0; i < 6; i++) {
		usleep(400000);
		ASSERT_EQ(0, fh_echo_exchange(fd, in, sizeof(in), out, 5000));
	}
	close(fd);
}

/*
 * Once a full socket has drained, acknowledgements stop waking the worker:
 * the write-space callback queues the connection only when the socket is
 * writable again, and clears SOCK_NOSPACE, so a reader that stalled once
 * does not cost an empty turn per ACK for the rest of its life. Counted in
 * ready-list batches: one worker, one connection, one batch per request,
 * against two if the client's delayed ACK between requests woke it too.
 */
TEST_F_TIMEOUT(echo, acks_after_a_stall_wake_the_worker_no_more, 120)
{
	static char buf[65536], back[sizeof(buf)];
	size_t sent = 0, got = 0;
	long long batches, end;
	struct pollfd pfd;
	char msg[64];
	int fd, i, rounds = 20;
	ssize_t n;

	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_set_nonblock(fd));
	/* Write without reading until the server cannot send: a stall. */
	end = fh_now_ms() + 10000;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (fh_now_ms() < end) {
		n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n > 0) {
			sent += n;
			continue;
		}
		ASSERT_TRUE(n < 0 && errno == EAGAIN);
		if (poll(&pfd, 1, 500) == 0)
			break;
	}
	/* Drain it all: the server resumes, then has nothing left to send. */
	end = fh_now_ms() + 30000;
	while (got < sent && fh_now_ms() < end) {
		n = recv(fd, back, sizeof(back), 0);
		if (n > 0)
			got += n;
		else if (n == 0 || errno != EAGAIN)
			break;
		else
			usleep(1000);
	}
	ASSERT_EQ(sent, got);

	/* Slow ping-pong: each reply's ACK leaves on its own, delayed. */
	memset(msg, 'p', sizeof(msg));
	usleep(200000);
	batches = fh_stat("batches");
	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(0, fh_echo_exchange(fd, msg, sizeof(msg), back, 5000));
		usleep(100000);
	}
	batches = fh_stat("batches") - batches;
	TH_LOG("%lld ready-list batches for %d requests", batches, rounds);
	EXPECT_LE(batches, rounds * 3 / 2);
	close(fd);
}

TEST_F(echo, send_timeout_closes_a_reader_that_stopped_reading)
{
	long long timeouts = fh_stat("timeouts"), end;
	static char buf[65536];
	size_t sent = 0;
	ssize_t n;
	int fd;

	ASSERT_EQ(0, fh_fhctl_ok("set send-timeout 1s"));
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_set_nonblock(fd));
	/* Write, never read: the echo backs up until the server cannot send. */
	end = fh_now_ms() + 10000;
	while (fh_now_ms() < end) {
		n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n > 0) {
			sent += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			break;		/* the server already gave up on us */
		usleep(100000);
	}
	TH_LOG("wrote %zu bytes before the server stalled", sent);
	EXPECT_TRUE(fh_wait_stat("timeouts", timeouts + 1, 15000));
	close(fd);
	fh_fhctl_ok("set send-timeout 30s");
}

TEST_F(echo, max_connections_refuses_the_excess)
{
	long long refused = fh_stat("refused");
	char c = 'x', r;
	int fd[5], i;

	ASSERT_EQ(0, fh_fhctl_ok("set max-connections 3"));
	for (i = 0; i < 5; i++) {
		fd[i] = fh_connect(ADDR, self->port);
		ASSERT_LE(0, fd[i]);
		if (i < 3) {
			ASSERT_EQ(0, fh_echo_exchange(fd[i], &c, 1, &r, 5000));
		} else {
			EXPECT_TRUE(fh_wait_closed(fd[i], 5000));
		}
	}
	EXPECT_EQ(refused + 2, fh_stat("refused"));
	for (i = 0; i < 5; i++)
		close(fd[i]);
}

TEST_HARNESS_MAIN
