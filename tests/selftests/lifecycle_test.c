// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifecycle: rmmod is safe at any moment, also with a thousand busy
 * connections, and load/serve/unload cycles leave nothing behind.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

#define ADDR "127.0.0.1"
#define NCONN 1000
#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

/*
 * Child: keep NCONN connections busy echoing until every one of them has
 * been closed by the server. Exit status: 0 when all were closed, else 1.
 */
static int busy_clients(int port, int ready_fd)
{
	static struct pollfd pfd[NCONN];
	static char closed[NCONN];
	long long end;
	char buf[4096];
	int i, nclosed = 0;

	memset(buf, 'l', sizeof(buf));
	for (i = 0; i < NCONN; i++) {
		pfd[i].fd = fh_connect(ADDR, port);
		if (pfd[i].fd < 0)
			return 2;
		fh_set_nonblock(pfd[i].fd);
		pfd[i].events = POLLIN | POLLOUT;
	}
	if (write(ready_fd, "r", 1) != 1)
		return 3;
	end = fh_now_ms() + 120000;
	while (nclosed < NCONN && fh_now_ms() < end) {
		if (poll(pfd, NCONN, 1000) < 0)
			return 4;
		for (i = 0; i < NCONN; i++) {
			ssize_t n;

			if (closed[i] || !pfd[i].revents)
				continue;
			if (pfd[i].revents & POLLOUT)
				send(pfd[i].fd, buf, 512, MSG_NOSIGNAL);
			n = recv(pfd[i].fd, buf, sizeof(buf), 0);
			if (n == 0 || (n < 0 && errno != EAGAIN) ||
			    (pfd[i].revents & (POLLHUP | POLLERR))) {
				closed[i] = 1;
				pfd[i].events = 0;
				nclosed++;
			}
		}
	}
	return nclosed == NCONN ? 0 : 1;
}

/* Sanitizers under emulation make the debug kernel some 50 times slower. */
static long long rmmod_limit_ms(void)
{
	return fh_debug_kernel() ? 60000 : 5000;
}

FIXTURE(lifecycle) {
	int port;
};

FIXTURE_SETUP(lifecycle)
{
	self->port = fh_test_port(11000);
}

FIXTURE_TEARDOWN(lifecycle)
{
	/* Leave the module loaded and every CPU online for whatever runs next. */
	if (!access(CPU1_ONLINE, W_OK))
		fh_write_file(CPU1_ONLINE, "1");
	fh_module_load();
}

TEST_F_TIMEOUT(lifecycle, rmmod_under_load_closes_every_connection_quickly, 300)
{
	int port = self->port, pipefd[2], status;
	long long start, took;
	pid_t pid;
	char c;

	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", port));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(busy_clients(port, pipefd[1]));
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	ASSERT_TRUE(fh_wait_stat("active", NCONN, 60000));
	usleep(500000);		/* traffic flowing on all of them */

	start = fh_now_ms();
	ASSERT_EQ(0, fh_module_unload());
	took = fh_now_ms() - start;
	TH_LOG("rmmod with %d busy connections took %lld ms", NCONN, took);
	EXPECT_LT(took, rmmod_limit_ms());
	EXPECT_FALSE(fh_module_loaded());

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("clients saw not every connection closed");
	ASSERT_EQ(0, fh_module_load());
}

TEST_F_TIMEOUT(lifecycle, fifty_load_serve_unload_cycles, 900)
{
	int port = self->port + 1, i, j, fd[10];
	char in[1024], out[1024];

	fh_fill_random(in, sizeof(in), 50);
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, fh_module_load()) TH_LOG("cycle %d: insmod", i);
		ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", port));
		for (j = 0; j < 10; j++) {
			fd[j] = fh_connect(ADDR, port);
			ASSERT_LE(0, fd[j]) TH_LOG("cycle %d: connect %d", i, j);
			ASSERT_EQ(0, fh_echo_exchange(fd[j], in, sizeof(in), out, 10000));
			ASSERT_EQ(0, memcmp(in, out, sizeof(in)));
		}
		/* Unload with the connections still open. */
		ASSERT_EQ(0, fh_module_unload()) TH_LOG("cycle %d: rmmod", i);
		for (j = 0; j < 10; j++) {
			EXPECT_TRUE(fh_wait_closed(fd[j], 5000));
			close(fd[j]);
		}
	}
	ASSERT_EQ(0, fh_module_load());
}

TEST_F(lifecycle, rmmod_with_listeners_but_no_connections)
{
	int port = self->port + 2;

	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", port));
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo [::1]:%d", port));
	ASSERT_EQ(0, fh_module_unload());
	/* The port is free again: nothing of ours still holds it. */
	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", port));
	ASSERT_EQ(0, fh_fhctl_ok("listener del " ADDR ":%d", port));
}

TEST_F(lifecycle, deleted_listener_lets_its_connections_finish)
{
	int port = self->port + 3, fd;
	char in[100], out[100];

	fh_fill_random(in, sizeof(in), 9);
	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", port));
	fd = fh_connect(ADDR, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_fhctl_ok("listener del " ADDR ":%d", port));
	ASSERT_EQ(0, fh_echo_exchange(fd, in, sizeof(in), out, 10000));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	close(fd);
	EXPECT_GT(0, fh_connect(ADDR, port));
}

static void echo_once(struct __test_metadata *_metadata, int port)
{
	char in[512], out[512];
	int fd;

	fh_fill_random(in, sizeof(in), port);
	fd = fh_connect(ADDR, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_echo_exchange(fd, in, sizeof(in), out, 10000));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	close(fd);
}

TEST_F(lifecycle, serves_with_polling_off_and_after_turning_it_on)
{
	const char *mod = getenv("FH_MOD");
	int port = self->port + 4;
	char out[64];

	ASSERT_EQ(0, fh_module_unload());
	ASSERT_EQ(0, fh_run(out, sizeof(out), "insmod %s poll_us=0",
			    mod ? mod : FH_MODULE_DEFAULT));
	ASSERT_EQ(0, fh_run(out, sizeof(out), "cat /sys/module/firehose/parameters/poll_us"));
	EXPECT_EQ(0, strcmp(out, "0\n"));
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", port));
	echo_once(_metadata, port);
	ASSERT_EQ(0, fh_run(out, sizeof(out),
			    "echo 200 > /sys/module/firehose/parameters/poll_us"));
	echo_once(_metadata, port);
	ASSERT_EQ(0, fh_module_unload());
	ASSERT_EQ(0, fh_module_load());
}

/*
 * A worker's CPU going away moves the worker, not its connections' fate:
 * they keep being served, new ones are accepted, and the module still
 * unloads with the CPU offline.
 */
TEST_F_TIMEOUT(lifecycle, connections_survive_their_cpu_going_offline_and_back, 300)
{
	char in[300], out[300], state[8];
	int port = self->port + 5, fd[8], i, round;

	if (access(CPU1_ONLINE, W_OK))
		SKIP(return, "this kernel cannot take CPU 1 offline");
	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo " ADDR ":%d", port));
	for (i = 0; i < 8; i++) {
		fd[i] = fh_connect(ADDR, port);
		ASSERT_LE(0, fd[i]);
	}
	/* Round 0 as is, round 1 with CPU 1 offline, round 2 back online. */
	for (round = 0; round < 3; round++) {
		if (round)
			ASSERT_EQ(0, fh_write_file(CPU1_ONLINE, round == 1 ? "0" : "1"));
		for (i = 0; i < 8; i++) {
			fh_fill_random(in, sizeof(in), round * 8 + i);
			ASSERT_EQ(0, fh_echo_exchange(fd[i], in, sizeof(in), out, 10000));
			EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
		}
		echo_once(_metadata, port);
	}
	for (i = 0; i < 8; i++)
		close(fd[i]);
	ASSERT_EQ(0, fh_write_file(CPU1_ONLINE, "0"));
	EXPECT_EQ(0, fh_module_unload());
	ASSERT_EQ(0, fh_write_file(CPU1_ONLINE, "1"));
	fh_read_file(CPU1_ONLINE, state, sizeof(state));
	EXPECT_EQ(0, strcmp(state, "1\n"));
}

TEST_HARNESS_MAIN
