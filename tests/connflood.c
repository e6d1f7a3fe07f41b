/*
 * connflood.c - open N connections to a Unix socket that send nothing,
 * hold them up to SECONDS, and print how many the server closed (or
 * refused) and how many were still open at the end:
 *   connflood SOCKET N SECONDS   ->   "closed C open O"
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct pollfd		*pfd;
	struct rlimit		 rl;
	struct timespec		 t0, t;
	int			 n, secs, open = 0, closed = 0;
	char			 buf[4096];

	if (argc != 4)
		return 2;
	n = atoi(argv[2]);
	secs = atoi(argv[3]);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	strncpy(sun.sun_path, argv[1], sizeof sun.sun_path - 1);
	pfd = calloc((size_t)n, sizeof *pfd);
	for (int i = 0; i < n; i++) {
		pfd[i].fd = socket(AF_UNIX, SOCK_STREAM, 0);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0 || connect(pfd[i].fd, (struct sockaddr *)&sun,
		    sizeof sun) != 0) {
			perror("connect");
			return 1;
		}
		open++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (open == 0 || t.tv_sec - t0.tv_sec >= secs)
			break;
		if (poll(pfd, (nfds_t)n, 100) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (read(pfd[i].fd, buf, sizeof buf) > 0)
				continue;	/* a refusal, then EOF */
			close(pfd[i].fd);
			pfd[i].fd = -1;
			open--;
			closed++;
		}
	}
	printf("closed %d open %d\n", closed, open);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	free(pfd);
	return 0;
}
