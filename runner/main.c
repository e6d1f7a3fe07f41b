/*
 * main.c - weft-runner: the process that runs plugin code.
 *
 * weftd starts one with lib/spawn.c for each run, each plugin file it
 * probes and each job whose params `weftd --check` judges.  Its first
 * message (fd 3) says which; the answer goes back the same way.  It
 * starts from exec, so it holds only what that message carries: one
 * job, never another job's params or weftd's configuration.  A warm
 * runner (--warm, load.c) is started before its run, with the two
 * plugins it will load, and gets the run's descriptors and message
 * when there is one.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

/*
 * Set by the SIGTERM handler, read by every worker thread: a lock-free
 * atomic is both async-signal-safe and free of data races.
 */
atomic_int	cancel_flag;

/*
 * runner_fail - tell the supervisor why the runner cannot go on (an
 * ERROR message on fd), and exit.
 */
void
runner_fail(int fd, const char *fmt, ...)
{
	struct proto_error	 e;
	va_list			 ap;
	char			*m;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	e.message = m;
	proto_send(fd, PROTO_ERROR, &e);
	_exit(1);
}

int
main(int argc, char **argv)
{
	struct proto_msg	m;
	struct stat		st;
	char			err[256];
	int			rc, warm;

	log_init("weft-runner", 2, LOG_TO_STDERR);
	warm = argc == 2 && strcmp(argv[1], "--warm") == 0;
	if ((argc != 1 && !warm) || fstat(SUPERVISOR_FD, &st) != 0 ||
	    !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "weft-runner: weftd starts this program and "
		    "sends it its work on fd 3; it is not run by hand\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (warm)
		runner_warm();		/* returns when it has a run */
	rc = proto_recv(SUPERVISOR_FD, 10000, &m, err, sizeof err);
	if (rc != 1) {
		log_warnx("no request from weftd: %s", rc == 0 ? "it closed "
		    "the connection" : rc == -2 ? "none within 10 s" : err);
		if (rc == -1)
			runner_fail(SUPERVISOR_FD, "bad request: %s", err);
		return 1;
	}
	switch (m.type) {
	case PROTO_RUN:
		log_init("weft-runner", (int)m.u.run.log_level,
		    (int)m.u.run.log_dest);
		runner_run(&m.u.run);
	case PROTO_CHECK:
		log_init("weft-runner", (int)m.u.check.log_level,
		    (int)m.u.check.log_dest);
		runner_check(&m.u.check);
	case PROTO_PROBE:
		runner_probe(&m.u.probe);
	case PROTO_WORK:
		log_init("weft-runner", (int)m.u.work.log_level,
		    (int)m.u.work.log_dest);
		runner_work(&m.u.work);
	default:
		runner_fail(SUPERVISOR_FD, "a %s message cannot start a "
		    "runner", proto_type_name(m.type));
	}
}
