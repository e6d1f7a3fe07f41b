/*
 * spawn.c - starting weft-runner, the program that loads plugins and
 * runs one job (or probes one plugin file, or judges one job's params).
 *
 * The runner is exec'd, not forked from weftd: it starts with a fresh
 * address space that holds only what it is sent (OpenSMTPD re-execs its
 * children for the same reason), so a plugin cannot read another job's
 * params or weftd's configuration out of its own memory.  Its fd 3 is
 * one end of a socketpair; lib/proto.c's messages go over it.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "proto.h"

#ifndef WEFT_RUNNER_PATH
#define WEFT_RUNNER_PATH	"/usr/libexec/weft/weft-runner"
#endif

extern char **environ;

/*
 * runner_path - $WEFT_RUNNER (for running weft from its build tree),
 * else where make install put weft-runner.
 */
const char *
runner_path(void)
{
	const char *p = getenv("WEFT_RUNNER");

	return p != NULL && *p != '\0' ? p : WEFT_RUNNER_PATH;
}

/*
 * runner_spawn - start weft-runner in a session of its own, with
 * one end of a new socketpair as its fd 3, then the nfds descriptors of
 * fds as its fds 4, 5, ... (a crash page, plugin files), /dev/null as
 * stdin (and as stdout too with SPAWN_QUIET), stderr shared (its log
 * lines), as a warm runner with SPAWN_WARM (runner_give_fds),
 * nothing else open, every signal at its default and none blocked.
 * 0 with the other end in *sock (close-on-exec) and its pid in *pid;
 * -1 with *cause.
 */
int
runner_spawn(int flags, const int *fds, int nfds, int *sock, pid_t *pid,
    char **cause)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 none, all;
	char				*argv[] = { "weft-runner", NULL, NULL };
	const char			*path = runner_path();
	int				 sv[2], src[8], rc, i;

	if (nfds > 7) {
		xasprintf(cause, "runner_spawn: too many descriptors");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		xasprintf(cause, "socketpair: %s", strerror(errno));
		return -1;
	}
	/*
	 * Copies above every target first, so that no dup2 below has its
	 * target as a source (and none onto itself, which would keep
	 * close-on-exec).
	 */
	src[0] = fcntl(sv[1], F_DUPFD_CLOEXEC, 3 + nfds + 1);
	close(sv[1]);
	for (i = 0; i < nfds; i++)
		src[i + 1] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3 + nfds + 1);
	posix_spawn_file_actions_init(&fa);
	if (flags & SPAWN_WARM)
		argv[1] = "--warm";
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (flags & SPAWN_QUIET)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
		    O_WRONLY, 0);
	for (i = 0; i <= nfds; i++)
		posix_spawn_file_actions_adddup2(&fa, src[i], 3 + i);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3 + nfds + 1);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	/* A session of its own (and so a process group): what its
	 * workload starts stays in it, for session_kill. */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	rc = posix_spawn(pid, path, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	for (i = 0; i <= nfds; i++)
		close(src[i]);
	if (rc != 0) {
		xasprintf(cause, "cannot start %s: %s (set WEFT_RUNNER to "
		    "weft-runner's path, or reinstall weft)", path,
		    strerror(rc));
		close(sv[0]);
		return -1;
	}
	*sock = sv[0];
	return 0;
}

/*
 * runner_give_fds - hand a warm runner (SPAWN_WARM: it has loaded its
 * plugins and waits) the descriptors of the run it is given: the n (at
 * most RUNNER_FDS_MAX) of fds, as SCM_RIGHTS with one byte, ahead of
 * the RUN message.  0, or -1 with errno (it has died, say).
 */
int
runner_give_fds(int sock, const int *fds, int n)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(RUNNER_FDS_MAX * sizeof(int))];
	}		 u;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*c;
	char		 byte = 'F';
	ssize_t		 w;

	if (n < 1 || n > RUNNER_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&u, 0, sizeof u);
	memset(&mh, 0, sizeof mh);
	iov.iov_base = &byte;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	do
		w = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w == 1 ? 0 : -1;
}

/*
 * runner_take_fds - the warm runner's side: wait (as long as it takes)
 * for runner_give_fds, and put up to max descriptors in fds
 * (close-on-exec).  How many; 0 if weftd closed the socket first; -1
 * on an error or a message that is not that.
 */
int
runner_take_fds(int sock, int *fds, int max)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(RUNNER_FDS_MAX * sizeof(int))];
	}		 u;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*c;
	char		 byte;
	ssize_t		 r;
	int		 n = 0;

	memset(&mh, 0, sizeof mh);
	iov.iov_base = &byte;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof u.b;
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return (int)r;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t	k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	if (byte != 'F' || (mh.msg_flags & MSG_CTRUNC) || n == 0) {
		while (n > 0)
			close(fds[--n]);
		return -1;
	}
	return n;
}

/*
 * runner_call - start a runner (with file, if not -1, as its fd 4),
 * send it one message, take its one answer within timeout_ms, and reap
 * it.  Returns 1 with *m set; 0 if it sent no valid answer (*status
 * says how it ended); -1 if it took too long (it is killed); -2 if it
 * could not be started (*cause).
 */
int
runner_call(enum proto_type type, const void *body, int file, int timeout_ms,
    struct proto_msg *m, int *status, char **cause)
{
	pid_t	pid;
	int	fd, rc;
	char	err[256];

	memset(m, 0, sizeof *m);
	*status = 0;
	if (runner_spawn(SPAWN_QUIET, &file, file >= 0, &fd, &pid, cause) != 0)
		return -2;
	if (proto_send(fd, type, body) != 0)
		rc = 0;		/* it died at once; its status says why */
	else
		rc = proto_recv(fd, timeout_ms, m, err, sizeof err);
	if (rc == -2)
		kill(pid, SIGKILL);
	close(fd);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (rc == -2)
		return -1;
	return rc == 1;
}

/*
 * session_kill - SIGKILL every process left in session sid (an exited
 * runner's): what its workload started in process groups of its own and
 * left behind, even if the runner was killed before it could clean up.
 * Passes over /proc until one finds nobody, since a process may fork
 * while we look.  Returns how many were killed.
 */
int
session_kill(pid_t sid)
{
	pid_t	self = getpid(), seen[256];
	int	total = 0, nseen = 0, fresh;

	if (sid <= 1)
		return 0;
	for (int pass = 0; pass < 16; pass++) {
		DIR		*d = opendir("/proc");
		struct dirent	*e;

		if (d == NULL)
			return total;
		fresh = 0;
		while ((e = readdir(d)) != NULL) {
			char		 path[64], buf[512], *p, state;
			long		 pid, ppid, pgrp, session;
			ssize_t		 n;
			int		 fd, i;

			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			pid = strtol(e->d_name, NULL, 10);
			if (pid == self || pid == sid)
				continue;
			snprintf(path, sizeof path, "/proc/%ld/stat", pid);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
				continue;
			n = read(fd, buf, sizeof buf - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = '\0';
			/* pid (comm) state ppid pgrp session ...; comm may
			 * hold anything, so parse after its last ')'. */
			if ((p = strrchr(buf, ')')) == NULL ||
			    sscanf(p + 1, " %c %ld %ld %ld", &state, &ppid, &pgrp,
			    &session) != 4)
				continue;
			if (session != sid || state == 'Z' || state == 'X' ||
			    kill((pid_t)pid, SIGKILL) != 0)
				continue;
			/* One killed in an earlier pass may not be dead yet:
			 * count each once; a pass that finds only those ends. */
			for (i = 0; i < nseen && seen[i] != (pid_t)pid; i++)
				;
			if (i < nseen)
				continue;
			if (nseen < (int)(sizeof seen / sizeof *seen))
				seen[nseen++] = (pid_t)pid;
			fresh++;
			total++;
		}
		closedir(d);
		if (fresh == 0)
			break;
	}
	return total;
}
