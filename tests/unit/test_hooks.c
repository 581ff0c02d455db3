/* SPDX-License-Identifier: MIT */
/* OCI hooks: the state reaches the hook's stdin within the timeout, a hook
 * that does not read it cannot hang the runtime, one that exits early
 * cannot kill it with SIGPIPE, and nothing process-wide changes. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/hooks.h"
#include "t.h"
#include "util/err.h"
#include "util/proc.h"

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static char *big_state(size_t n)
{
	char *s = malloc(n + 1);

	memset(s, 'x', n);
	s[0] = '"';
	s[n - 1] = '"';
	s[n] = '\0';
	return s;
}

int main(void)
{
	char *state = big_state(512 * 1024); /* far above a pipe's 64 KiB */
	char *sleep_args[] = { "sleep", "30", NULL };
	char *wc_args[] = { "sh", "-c", "test $(wc -c) = 524288", NULL };
	struct oci_hook sleeper = { .path = "/bin/sleep", .args = sleep_args, .timeout = 1 };
	struct oci_hook quitter = { .path = "/bin/true", .timeout = 5 };
	struct oci_hook reader = { .path = "/bin/sh", .args = wc_args, .timeout = 10 };
	struct sigaction sa;
	sigset_t mask;
	int r, fds = count_fds();

	/* a hook that never reads its stdin: the timeout still holds */
	uint64_t t0 = proc_now_ms();
	r = hook_run(&sleeper, state, "prestart");
	uint64_t took = proc_now_ms() - t0;
	CHECK(r == -ETIMEDOUT, "a hook that does not read a big state times out (r=%d: %s)", r, err_msg());
	CHECK(took < 5000, "within its timeout of 1 s (took %llu ms)", (unsigned long long)took);
	CHECK(strstr(err_msg(), "prestart hook /bin/sleep timed out") != NULL, "the message names it: %s", err_msg());

	/* a hook that exits without reading: no SIGPIPE kills us */
	r = hook_run(&quitter, state, "poststop");
	CHECK(r == 0, "a hook that exits without reading succeeds (r=%d: %s)", r, err_msg());
	CHECK(sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL, "SIGPIPE is left at its default");
	sigprocmask(SIG_SETMASK, NULL, &mask);
	CHECK(!sigismember(&mask, SIGPIPE), "SIGPIPE is not left blocked");
	sigpending(&mask);
	CHECK(!sigismember(&mask, SIGPIPE), "no SIGPIPE left pending");

	/* a hook that reads it all gets it all */
	r = hook_run(&reader, state, "createRuntime");
	CHECK(r == 0, "a reading hook gets the whole state (r=%d: %s)", r, err_msg());
	CHECK(count_fds() == fds, "no fd left open (%d before, %d after)", fds, count_fds());

	/* fork fails (no processes left for the user): no fd leaks */
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit none = { 0, 0 };
		int before;
		if (setgid(65534) < 0 || setuid(65534) < 0 || setrlimit(RLIMIT_NPROC, &none) < 0)
			_exit(2);
		before = count_fds();
		r = hook_run(&quitter, "{}", "prestart");
		_exit(r < 0 && count_fds() == before && strstr(err_msg(), "fork") ? 0 : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a failed fork leaks no pipe and says so (status %d)",
	      status);
	free(state);
	T_DONE();
}
