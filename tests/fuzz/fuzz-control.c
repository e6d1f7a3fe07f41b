/*
 * fuzz-control.c - the control request handler: one request line in,
 * over a real connection (a socketpair end served by control_accept),
 * one reply line out, in a weftd with defaults, no plugins and a state
 * directory of its own.  Requests that start a run or a check cannot
 * (no plugins), and everything else answers at once.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

int LLVMFuzzerTestOneInput(const unsigned char *, size_t);

static void
setup(void)
{
	struct errlist	 el = { 0 };
	char		 dir[] = "/tmp/weft-fuzz.XXXXXX";
	int		 bad;

	log_init("fuzz", 0, LOG_TO_STDERR);
	if (mkdtemp(dir) == NULL)
		abort();
	weftd.base = event_base_new();
	weftd.conf = config_load(NULL, NULL, &el, &bad);
	free(weftd.conf->state_dir);
	weftd.conf->state_dir = xstrdup(dir);
	free(weftd.conf->jobs_dir);
	xasprintf(&weftd.conf->jobs_dir, "%s/jobs", dir);
	weftd.catalog = xcalloc(1, sizeof *weftd.catalog);
	weftd.config_path = NULL;
	history_init();
	errlist_clear(&el);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	static int	 ready;
	int		 sv[2];
	char		 buf[65536];

	if (!ready) {
		setup();
		ready = 1;
	}
	if (memchr(data, '\n', len) != NULL || len > 60000)
		return 0;	/* one request line */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	control_accept(sv[0]);
	if (write(sv[1], data, len) != (ssize_t)len || write(sv[1], "\n", 1)
	    != 1)
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 4; i++)
		event_base_loop(weftd.base, EVLOOP_NONBLOCK);
	if (read(sv[1], buf, sizeof buf) <= 0 && errno != EAGAIN)
		abort();
	close(sv[1]);
	/* weftd notices the end of the connection and frees it. */
	for (int i = 0; i < 4; i++)
		event_base_loop(weftd.base, EVLOOP_NONBLOCK);
	return 0;
}
