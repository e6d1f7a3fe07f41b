/*
 * fakesrv.c - small misbehaving servers on 127.0.0.1, for testing what
 * weft's workloads do with garbage.  One thread per connection.
 *
 *   fakesrv http PORT
 *	GET /ok        200, body "hello\n"
 *	GET /garbage   bytes that are not HTTP, then close
 *	GET /truncate  200 with Content-Length 100000, 1000 bytes, close
 *	GET /trickle   200 with Content-Length 100, one byte a second
 *   fakesrv redis PORT MODE [K]
 *	garbage        a malformed reply to every command
 *	error          -ERR to every command
 *	silent         reads, never answers
 *	ok-then-garbage K   +OK to the first K commands (over all
 *	               connections), then malformed replies
 *	close-after K  reads K commands of each connection, never
 *	               answers, and closes it (a reset, with more unread)
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char	*mode;
static long		 ok_left;	/* ok-then-garbage */
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;

static void
put(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void *
http(void *arg)
{
	int	fd = (int)(long)arg;
	char	req[4096], body[1000];
	ssize_t	n = read(fd, req, sizeof req - 1);

	if (n <= 0)
		goto out;
	req[n] = '\0';
	if (strncmp(req, "GET /ok ", 8) == 0) {
		static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 6"
		    "\r\nConnection: close\r\n\r\nhello\n";

		put(fd, r, sizeof r - 1);
	} else if (strncmp(req, "GET /garbage ", 13) == 0) {
		static const char r[] = "\x01\x02GARBAGE \xff\xfe not http\r\n"
		    "\r\n\x00\x00";

		put(fd, r, sizeof r - 1);
	} else if (strncmp(req, "GET /truncate ", 14) == 0) {
		static const char h[] = "HTTP/1.1 200 OK\r\nContent-Length: "
		    "100000\r\n\r\n";

		put(fd, h, sizeof h - 1);
		memset(body, 'x', sizeof body);
		put(fd, body, sizeof body);
	} else if (strncmp(req, "GET /trickle ", 13) == 0) {
		static const char h[] = "HTTP/1.1 200 OK\r\nContent-Length: "
		    "100\r\n\r\n";

		put(fd, h, sizeof h - 1);
		for (int i = 0; i < 100; i++) {
			sleep(1);
			if (write(fd, "x", 1) != 1)
				break;
		}
	}
out:
	close(fd);
	return NULL;
}

/* command - read one RESP command (an array of bulk strings).  0 or -1. */
static int
command(FILE *in)
{
	char	line[128];
	long	n, len;

	if (fgets(line, sizeof line, in) == NULL || line[0] != '*')
		return -1;
	n = atol(line + 1);
	while (n-- > 0) {
		if (fgets(line, sizeof line, in) == NULL || line[0] != '$')
			return -1;
		len = atol(line + 1);
		while (len-- > 0)
			if (fgetc(in) == EOF)
				return -1;
		if (fgetc(in) != '\r' || fgetc(in) != '\n')
			return -1;
	}
	return 0;
}

static void *
redis(void *arg)
{
	int	 fd = (int)(long)arg;
	FILE	*in = fdopen(dup(fd), "r");
	long	 seen = 0;

	while (in != NULL && command(in) == 0) {
		int ok = 0;

		if (strcmp(mode, "close-after") == 0 && ++seen >= ok_left)
			break;
		if (strcmp(mode, "silent") == 0 ||
		    strcmp(mode, "close-after") == 0)
			continue;
		if (strcmp(mode, "error") == 0) {
			put(fd, "-ERR nope\r\n", 11);
			continue;
		}
		if (strcmp(mode, "ok-then-garbage") == 0) {
			pthread_mutex_lock(&mu);
			if (ok_left > 0) {
				ok_left--;
				ok = 1;
			}
			pthread_mutex_unlock(&mu);
		}
		if (ok)
			put(fd, "+OK\r\n", 5);
		else
			put(fd, "?what\r\n", 7);
	}
	if (in != NULL)
		fclose(in);
	close(fd);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	void			*(*serve)(void *);
	int			 s, one = 1;

	if (argc < 3)
		return 2;
	serve = strcmp(argv[1], "http") == 0 ? http : redis;
	if (serve == redis) {
		if (argc < 4)
			return 2;
		mode = argv[3];
		ok_left = argc > 4 ? atol(argv[4]) : 0;
	}
	signal(SIGPIPE, SIG_IGN);
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(s, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(s, 64) != 0) {
		perror("fakesrv");
		return 1;
	}
	for (;;) {
		pthread_t	t;
		int		c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, serve, (void *)(long)c) != 0)
			close(c);
		else
			pthread_detach(t);
	}
}
