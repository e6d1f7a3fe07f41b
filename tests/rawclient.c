/*
 * rawclient.c - send stdin to a Unix socket as is and print what comes
 * back until the server closes or `wait` seconds pass: for feeding
 * weftd malformed control messages.
 *   rawclient SOCKET [wait-seconds]
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	char			buf[65536];
	ssize_t			n;
	int			fd, wait_ms;

	if (argc < 2)
		return 2;
	signal(SIGPIPE, SIG_IGN);	/* weftd may close before we finish */
	wait_ms = argc > 2 ? atoi(argv[2]) * 1000 : 2000;
	strncpy(sun.sun_path, argv[1], sizeof sun.sun_path - 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		perror("connect");
		return 1;
	}
	while ((n = read(0, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (poll(&pfd, 1, wait_ms) <= 0) {
			printf("(still open)\n");
			return 0;
		}
		if ((n = read(fd, buf, sizeof buf)) <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	printf("(closed)\n");
	return 0;
}
