// SPDX-License-Identifier: GPL-2.0
/*
 * What a connection holds is bounded in memory, not in payload: a peer that
 * trickles one-byte packets and never reads its answers costs a bounded
 * number of buffer segments (each may pin a page), and what it sent still
 * comes back intact once it reads.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

#define ADDR "127.0.0.1"
/* One-byte writes per connection, at most: far more than the bound. */
#define TRICKLE		20000
#define BLOCK		32768
/*
 * Two connections, each at most max_held (256 KiB) / 4 KiB segments, plus
 * the fragments of the one packet a read may take whole (MAX_SKB_FRAGS).
 */
#define SEGS_BOUND	(2 * (256 / 4 + 17 + 2))

#define WMEM "/proc/sys/net/ipv4/tcp_wmem"
#define RMEM "/proc/sys/net/ipv4/tcp_rmem"

FIXTURE(memory) {
	int port;
	char addr[64];
	int fd[2];
	char wmem[64];
	char rmem[64];
};

/*
 * Small, fixed send buffers and large receive buffers (taken by the
 * listening socket, and from it by the connections, when it is created):
 * the server's socket fills after a few packets, so what the peer does not
 * read piles up in firehose's own chains, where the bound under test
 * applies; and a backlog of tiny packets waits in the receive queue as it
 * came, not collapsed by TCP, as on a server tuned for fast peers.
 */
FIXTURE_SETUP(memory)
{
	ASSERT_LT(0U, fh_read_file(WMEM, self->wmem, sizeof(self->wmem)));
	ASSERT_LT(0U, fh_read_file(RMEM, self->rmem, sizeof(self->rmem)));
	ASSERT_EQ(0, fh_write_file(WMEM, "4096 4096 4096"));
	ASSERT_EQ(0, fh_write_file(RMEM, "4096 8388608 8388608"));
	ASSERT_EQ(0, fh_module_load());
	/* A blocked sender is the point here: debug kernels take their time. */
	ASSERT_EQ(0, fh_fhctl_ok("set send-timeout 0"));
	self->port = fh_test_port(15000);
	snprintf(self->addr, sizeof(self->addr), ADDR ":%d", self->port);
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr));
	self->fd[0] = self->fd[1] = -1;
}

FIXTURE_TEARDOWN(memory)
{
	if (self->fd[0] >= 0)
		close(self->fd[0]);
	if (self->fd[1] >= 0)
		close(self->fd[1]);
	fh_fhctl_ok("listener del %s", self->addr);
	fh_fhctl_ok("set send-timeout 30s");
	fh_write_file(WMEM, self->wmem);
	fh_write_file(RMEM, self->rmem);
}

/* What connection @conn sends: a block of whole pages, then the trickle. */
static unsigned char sent_byte(int conn, int i)
{
	static unsigned char block[2][BLOCK];
	static int filled;

	if (!filled) {
		fh_fill_random(block[0], BLOCK, 1);
		fh_fill_random(block[1], BLOCK, 2);
		filled = 1;
	}
	return i < BLOCK ? block[conn][i] : (unsigned char)(i * 7 + conn * 101);
}

/* Wait until the server has read nothing new for 300 ms. */
static void settle(void)
{
	long long last = -1, now = fh_stat("bytes_in"), end = fh_now_ms() + 10000;

	while (now != last && fh_now_ms() < end) {
		last = now;
		usleep(300000);
		now = fh_stat("bytes_in");
	}
}

/*
 * A client with a tiny receive window that reads almost nothing, on two
 * connections. A block fills the window and the server's send buffer, so
 * the server stops reading; one-byte writes alternating between the two
 * connections then pile up in the server's receive queue (TCP lays each in
 * the sender's page frag, so no two of one connection are adjacent and
 * none can be merged for free); a single read of the client's then lets
 * the server take in the whole backlog at once. Returns the bytes sent on
 * each connection.
 */
static void trickle(struct __test_metadata *_metadata, FIXTURE_DATA(memory) *self,
		    int sent[2])
{
	static unsigned char buf[BLOCK];
	int one = 1, small = 4096, big = 1 << 20, c, i;
	long long end;
	unsigned char b;

	for (c = 0; c < 2; c++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sin = {
			.sin_family = AF_INET,
			.sin_port = htons(self->port),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		};

		ASSERT_LE(0, fd);
		self->fd[c] = fd;
		ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
		/* The client's own send buffer must not be what stops it. */
		ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)));
		ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
		ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
		for (i = 0; i < BLOCK; i++)
			buf[i] = sent_byte(c, i);
		ASSERT_EQ(0, fh_set_timeout(fd, 10000));
		ASSERT_EQ(BLOCK, send(fd, buf, BLOCK, 0));
		ASSERT_EQ(0, fh_set_nonblock(fd));
	}
	settle();
	end = fh_now_ms() + 60000;
	sent[0] = sent[1] = BLOCK;
	for (i = BLOCK; i < BLOCK + TRICKLE && fh_now_ms() < end; i++) {
		for (c = 0; c < 2; c++) {
			struct pollfd p = { .fd = self->fd[c], .events = POLLOUT };

			b = sent_byte(c, i);
			if (send(self->fd[c], &b, 1, MSG_NOSIGNAL) != 1 &&
			    (poll(&p, 1, 500) != 1 ||
			     send(self->fd[c], &b, 1, MSG_NOSIGNAL) != 1))
				break;
			sent[c]++;
		}
		if (c < 2)
			break;
	}
	TH_LOG("%d and %d one-byte writes", sent[0] - BLOCK, sent[1] - BLOCK);
	ASSERT_LT(BLOCK + 1000, sent[1]);
	/*
	 * Take back the block's echo, and nothing more: the server, with
	 * nothing left to send, reads the whole backlog in one turn.
	 */
	for (c = 0; c < 2; c++) {
		int got = 0;

		while (got < BLOCK) {
			struct pollfd p = { .fd = self->fd[c], .events = POLLIN };
			ssize_t r;

			ASSERT_EQ(1, poll(&p, 1, 10000));
			r = read(self->fd[c], buf + got, BLOCK - got);
			ASSERT_LT(0, r);
			got += r;
		}
		for (i = 0; i < BLOCK; i++)
			ASSERT_EQ(sent_byte(c, i), buf[i]);
	}
	settle();
}

TEST_F_TIMEOUT(memory, peer_trickling_a_backlog_holds_bounded_segments, 120)
{
	long long segs;
	int sent[2];

	trickle(_metadata, self, sent);
	segs = fh_stat("segments");
	ASSERT_LE(0, segs);
	EXPECT_GE(SEGS_BOUND, segs) {
		TH_LOG("%lld segments held", segs);
	}
}

TEST_F_TIMEOUT(memory, trickled_bytes_come_back_intact_and_in_order, 120)
{
	static unsigned char got[BLOCK + TRICKLE];
	int sent[2], c, i;
	long n;

	trickle(_metadata, self, sent);
	for (c = 0; c < 2; c++) {
		ASSERT_EQ(0, shutdown(self->fd[c], SHUT_WR));
		n = fh_read_to_eof(self->fd[c], got, sizeof(got), 30000);
		/* trickle() took back the block; the trickle must follow. */
		ASSERT_EQ(sent[c] - BLOCK, n);
		for (i = 0; i < n; i++)
			if (got[i] != sent_byte(c, BLOCK + i))
				break;
		EXPECT_EQ(n, i) {
			TH_LOG("connection %d: wrong byte %d of %ld", c, i, n);
		}
	}
}

TEST_F(memory, echo_of_whole_pages_copies_nothing)
{
	static char in[65536], out[65536];
	long long before = fh_stat("compacted_bytes");
	int fd = fh_connect(ADDR, self->port);

	ASSERT_LE(0, fd);
	fh_fill_random(in, sizeof(in), 3);
	ASSERT_EQ(0, fh_echo_exchange(fd, in, sizeof(in), out, 30000));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	EXPECT_EQ(before, fh_stat("compacted_bytes"));
	close(fd);
}

TEST_HARNESS_MAIN
