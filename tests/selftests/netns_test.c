// SPDX-License-Identifier: GPL-2.0
/*
 * Network namespaces going away: one firehose never served costs the
 * workers nothing, and one it served disturbs only the workers that have
 * something in it (the worker_calls counter counts each disturbance).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

FIXTURE(netns) {
	int port;
};

FIXTURE_SETUP(netns)
{
	ASSERT_EQ(0, fh_module_load());
	self->port = fh_test_port(16000);
}

FIXTURE_TEARDOWN(netns)
{
}

/* A namespace that lives as long as a child that does @what in it. */
static int run_in_new_netns(const char *what, int port)
{
	char out[256];
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (unshare(CLONE_NEWNET))
			_exit(2);
		if (what && (fh_run(out, sizeof(out), "ip link set lo up") ||
			     fh_run(out, sizeof(out), what, port)))
			_exit(3);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Namespaces are dismantled later, in order, by one kernel thread: once the
 * calls of the last namespace show, those before it have been dismantled.
 */
static long long calls_after_exits(int settle_ms, long long base, long long expect)
{
	fh_wait_stat("worker_calls", base + expect, 10000);
	usleep(settle_ms * 1000);
	return fh_stat("worker_calls") - base;
}

TEST_F(netns, namespace_never_served_costs_no_worker_call)
{
	long long base = fh_stat("worker_calls");
	int i;

	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, run_in_new_netns(NULL, 0));
	/* The last one served, on one CPU: its listener socket's close only. */
	ASSERT_EQ(0, run_in_new_netns("fhctl listener add echo 127.0.0.1:%d --cpus 0",
				      self->port));
	EXPECT_EQ(1, calls_after_exits(300, base, 1));
}

TEST_F(netns, served_namespace_without_connections_calls_only_its_listener_workers)
{
	long long base = fh_stat("worker_calls");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	ASSERT_EQ(0, run_in_new_netns("fhctl listener add echo 127.0.0.1:%d", self->port));
	/* One call per listening socket (one per CPU), none for connections. */
	EXPECT_EQ(cpus, calls_after_exits(300, base, cpus));
}

TEST_HARNESS_MAIN
