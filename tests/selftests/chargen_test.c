// SPDX-License-Identifier: GPL-2.0
/*
 * chargen (RFC 864): a stream that never ends, in the RFC's pattern, sent
 * by page reference as fast as the client reads; input is discarded. It is
 * the engine's streaming-output path: the protocol adds output each time
 * the last has gone, and the engine must send it in that same turn.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

#define ADDR "127.0.0.1"
#define LINE 72
#define PERIOD (95 * (LINE + 2))

FIXTURE(chargen) {
	int port;
	char addr[64];
};

FIXTURE_SETUP(chargen)
{
	ASSERT_EQ(0, fh_module_load());
	self->port = fh_test_port(17000);
	snprintf(self->addr, sizeof(self->addr), ADDR ":%d", self->port);
	ASSERT_EQ(0, fh_fhctl_ok("listener add chargen %s", self->addr));
}

FIXTURE_TEARDOWN(chargen)
{
	fh_fhctl_ok("listener del %s", self->addr);
}

/* Byte @pos of the RFC 864 stream. */
static char pattern(long pos)
{
	long line = (pos % PERIOD) / (LINE + 2), col = pos % (LINE + 2);

	if (col == LINE)
		return '\r';
	if (col == LINE + 1)
		return '\n';
	return (char)(' ' + (line + col) % 95);
}

/* Read @len bytes of the stream; returns the offset of the first wrong one. */
static long read_stream(int fd, long len, int timeout_ms)
{
	static char buf[65536];
	long pos = 0, end = fh_now_ms() + timeout_ms, i;

	while (pos < len && fh_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, end - fh_now_ms()) != 1)
			break;
		size_t want = sizeof(buf);

		if ((long)want > len - pos)
			want = len - pos;
		n = read(fd, buf, want);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(pos + i))
				return pos + i;
		pos += n;
	}
	return pos;
}

TEST_F_TIMEOUT(chargen, streams_four_mebibytes_in_the_rfc_pattern, 120)
{
	int fd = fh_connect(ADDR, self->port);

	ASSERT_LE(0, fd);
	EXPECT_EQ(4L << 20, read_stream(fd, 4L << 20, 60000));
	close(fd);
}

TEST_F_TIMEOUT(chargen, first_line_is_the_printable_characters_from_space, 30)
{
	char line[LINE + 2];
	int fd = fh_connect(ADDR, self->port), i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_set_timeout(fd, 10000));
	ASSERT_EQ((ssize_t)sizeof(line), recv(fd, line, sizeof(line), MSG_WAITALL));
	for (i = 0; i < LINE; i++)
		ASSERT_EQ(' ' + i, line[i]);
	EXPECT_EQ('\r', line[LINE]);
	EXPECT_EQ('\n', line[LINE + 1]);
	close(fd);
}

TEST_F_TIMEOUT(chargen, input_is_read_and_discarded_while_streaming, 60)
{
	static char junk[100000];
	long long in0 = fh_stat("bytes_in");
	int fd = fh_connect(ADDR, self->port);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_set_timeout(fd, 10000));
	memset(junk, 'x', sizeof(junk));
	ASSERT_EQ((ssize_t)sizeof(junk), send(fd, junk, sizeof(junk), 0));
	EXPECT_EQ(1L << 20, read_stream(fd, 1L << 20, 30000));
	EXPECT_TRUE(fh_wait_stat("bytes_in", in0 + sizeof(junk), 10000));
	close(fd);
}

TEST_F_TIMEOUT(chargen, stream_goes_out_by_page_reference, 60)
{
	long long zc = fh_stat("zerocopy_bytes"), copied = fh_stat("copied_bytes");
	int fd = fh_connect(ADDR, self->port);

	ASSERT_LE(0, fd);
	ASSERT_EQ(1L << 20, read_stream(fd, 1L << 20, 30000));
	EXPECT_LE(zc + (1LL << 20), fh_stat("zerocopy_bytes"));
	EXPECT_EQ(copied, fh_stat("copied_bytes"));
	close(fd);
}

TEST_F_TIMEOUT(chargen, client_that_stops_reading_holds_bounded_output, 60)
{
	long long segs;
	int fd = fh_connect(ADDR, self->port);

	ASSERT_LE(0, fd);
	ASSERT_EQ(65536, read_stream(fd, 65536, 30000));
	usleep(500000);
	/* One burst queued (64 KiB in pages of the pattern), not more. */
	segs = fh_stat("segments");
	EXPECT_GE(2 * (65536 / 4096) + 4, segs);
	close(fd);
}

TEST_HARNESS_MAIN
