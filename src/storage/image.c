/* SPDX-License-Identifier: MIT */
#include "storage/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/proc.h"
#include "util/strv.h"

int image_probe_format(const char *path, char *fmt, size_t n)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char magic[4];
	struct stat st;

	if (fd < 0)
		return err_errno(-errno, "cannot open disk %s", path);
	if (fstat(fd, &st) < 0)
		return err_errno(-errno, "cannot stat disk %s", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return err_set(-EINVAL, "disk %s is neither a file nor a block device", path);
	/* qcow2 spec: the header starts with "QFI\xfb" */
	if (pread(fd, magic, 4, 0) == 4 && !memcmp(magic, "QFI\xfb", 4))
		snprintf(fmt, n, "qcow2");
	else
		snprintf(fmt, n, "raw");
	return 0;
}

int image_create(const char *path, const char *format, uint64_t size)
{
	_cleanup_free_ char *qemu_img = NULL;
	_cleanup_strv_ struct strv argv = { 0 };
	int pipefd[2], status, r;
	char msg[512] = "";
	pid_t pid;

	if (proc_find_exe("qemu-img", &qemu_img) < 0)
		return err_set(-ENOENT, "qemu-img not found; install it with: apt-get install qemu-utils");
	if ((r = strv_add(&argv, qemu_img)) < 0 || (r = strv_add(&argv, "create")) < 0 ||
	    (r = strv_add(&argv, "-q")) < 0 || (r = strv_add(&argv, "-f")) < 0 || (r = strv_add(&argv, format)) < 0 ||
	    (r = strv_add(&argv, path)) < 0 || (r = strv_addf(&argv, "%llu", (unsigned long long)size)) < 0)
		return r;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_errno(-errno, "pipe");
	pid = fork();
	if (pid < 0)
		return err_errno(-errno, "fork");
	if (pid == 0) {
		dup2(pipefd[1], 2);
		dup2(pipefd[1], 1);
		execv(argv.v[0], argv.v);
		_exit(127);
	}
	close(pipefd[1]);
	ssize_t k = read(pipefd[0], msg, sizeof(msg) - 1);
	msg[k > 0 ? k : 0] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(path);
		return err_set(-EIO, "qemu-img create %s failed: %s", path, msg[0] ? msg : "unknown error");
	}
	return 0;
}
