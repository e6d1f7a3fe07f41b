/*
 * notifysock.c - a stand-in for systemd's NOTIFY_SOCKET: bind a datagram
 * socket at PATH and print every datagram received (one per line,
 * newlines inside shown as '|') for SECONDS seconds.
 *   notifysock PATH SECONDS
 */
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
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	char			buf[4096];
	int			fd;
	time_t			end;

	if (argc != 3)
		return 2;
	strncpy(sun.sun_path, argv[1], sizeof sun.sun_path - 1);
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		perror("bind");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	end = time(NULL) + atoi(argv[2]);
	while (time(NULL) < end) {
		struct pollfd	pfd = { fd, POLLIN, 0 };
		ssize_t		n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof buf - 1, 0)) <= 0)
			continue;
		buf[n] = '\0';
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = '|';
		printf("%s\n", buf);
	}
	return 0;
}
