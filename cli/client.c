/* client.c - talking to weftd over its control socket. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftctl.h"

#define PROTOCOL	1

/* client_available - whether weftd answers on the socket (quietly). */
int
client_available(void)
{
	struct sockaddr_un	sun;
	int			fd, ok;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(socket_path) >= sizeof sun.sun_path ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	strcpy(sun.sun_path, socket_path);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	return ok;
}

static int
client_connect(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(socket_path) >= sizeof sun.sun_path) {
		fprintf(stderr, "weftctl: socket path too long: %s\n",
		    socket_path);
		return -1;
	}
	strcpy(sun.sun_path, socket_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		fprintf(stderr, "weftctl: cannot connect to %s: %s (is weftd "
		    "running? -s or WEFT_SOCKET selects the socket)\n",
		    socket_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * client_request - send req (taken) and return the final reply, calling
 * more for each interim one.  NULL after a message if weftd is
 * unreachable or the reply is unreadable.
 */
json_t *
client_request(json_t *req, more_cb more)
{
	static char	 inbuf[65536];
	FILE	*f;
	char	*line = NULL, *s;
	size_t	 cap = 0, len;
	int	 fd;
	json_t	*rep = NULL;

	json_object_set_new(req, "v", json_integer(PROTOCOL));
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if ((fd = client_connect()) < 0) {
		free(s);
		return NULL;
	}
	/* The request and its newline in one write: weftd acts on a line,
	 * and a line in two pieces cost it a second turn of its loop. */
	len = strlen(s);
	s = xreallocarray(s, len + 2, 1);
	memcpy(s + len, "\n", 2);
	if (write_all(fd, s, len + 1) != 0) {
		fprintf(stderr, "weftctl: write to %s: %s\n", socket_path,
		    strerror(errno));
		free(s);
		close(fd);
		return NULL;
	}
	free(s);
	if ((f = fdopen(fd, "r")) == NULL) {
		fprintf(stderr, "weftctl: %s\n", strerror(errno));
		close(fd);
		return NULL;
	}
	/*
	 * A record of 1,000 results is 135 KB: read in 64 KB, not 4 KB.
	 * The buffer must be given: glibc ignores the size without one.
	 */
	setvbuf(f, inbuf, _IOFBF, sizeof inbuf);
	while (getline(&line, &cap, f) > 0) {
		json_error_t err;

		if ((rep = json_loads(line, 0, &err)) == NULL ||
		    !json_is_object(rep)) {
			fprintf(stderr, "weftctl: unreadable reply from "
			    "weftd: %s\n", rep ? "not an object" : err.text);
			json_decref(rep);
			rep = NULL;
			break;
		}
		if (!json_is_true(json_object_get(rep, "more")))
			break;
		if (more != NULL)
			more(rep);
		json_decref(rep);
		rep = NULL;
	}
	if (rep == NULL && !ferror(f) && feof(f))
		fprintf(stderr, "weftctl: weftd closed the connection without "
		    "a reply\n");
	free(line);
	fclose(f);
	return rep;
}

/* reply_ok - 1 if rep says ok; else print its error, free rep, return 0. */
int
reply_ok(json_t *rep)
{
	json_t	*errs;
	size_t	 i;
	json_t	*e;

	if (json_is_true(json_object_get(rep, "ok")))
		return 1;
	fprintf(stderr, "weftctl: %s\n", jstr(rep, "error"));
	errs = json_object_get(rep, "errors");
	json_array_foreach(errs, i, e)
		fprintf(stderr, "%s\n", json_string_value(e));
	json_decref(rep);
	return 0;
}

/*
 * unleak - o (a reply weftctl is done with, just before it exits) is
 * freed by the exit: a record of 1,000 results is a hundred thousand
 * allocations, 1.5 ms of frees for nothing.  Kept where leak checkers
 * still reach it (git's UNLEAK).
 */
void
unleak(json_t *o)
{
	static json_t *kept;

	json_decref(kept);
	kept = o;
}

void
print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9));
	putchar('\n');
}
