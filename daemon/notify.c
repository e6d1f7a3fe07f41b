/*
 * notify.c - talking to systemd: the sd_notify(3) datagram protocol
 * (READY=1, STATUS=, RELOADING=1, STOPPING=1, WATCHDOG=1) and socket
 * activation (LISTEN_FDS), both as documented, without libsystemd, so
 * weftd builds and runs the same where systemd is absent.  Every call
 * is a no-op when systemd did not ask for it.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

static int			 notify_fd = -1;
static struct sockaddr_un	 notify_sa;
static socklen_t		 notify_len;
static struct event		*watchdog_ev;

static void
on_run(enum run_event ev, const struct run *r, const json_t *rec,
    enum run_status st, void *arg)
{
	if (ev != RUN_PROGRESS)
		notify_status();
}

/* notify_init - take NOTIFY_SOCKET from the environment (and hide it
 * from runners and plugins). */
void
notify_init(void)
{
	const char	*path = getenv("NOTIFY_SOCKET");
	size_t		 len;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof notify_sa.sun_path) {
		log_warnx("NOTIFY_SOCKET is too long; not notifying systemd");
		return;
	}
	memset(&notify_sa, 0, sizeof notify_sa);
	notify_sa.sun_family = AF_UNIX;
	memcpy(notify_sa.sun_path, path, len);
	if (path[0] == '@')	/* abstract namespace */
		notify_sa.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0)
		log_warn("socket for NOTIFY_SOCKET");
	unsetenv("NOTIFY_SOCKET");
	runs_observe(on_run, NULL);
}

/* notify - send one datagram of newline-separated assignments. */
void
notify(const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[512];
	int	 n;

	if (notify_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		return;
	if (sendto(notify_fd, buf, (size_t)n, MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_sa, notify_len) < 0)
		log_debug("sd_notify: %s", strerror(errno));
}

/* notify_status - STATUS= with the daemon's state in a few words. */
void
notify_status(void)
{
	notify("STATUS=%zu jobs, %d running", weftd.conf->njobs,
	    runs_active());
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	notify("WATCHDOG=1");
}

/*
 * watchdog_init - with WatchdogSec= set, send WATCHDOG=1 from the loop
 * every half interval, so a stuck loop gets weftd restarted.
 */
void
watchdog_init(void)
{
	const char		*usec = getenv("WATCHDOG_USEC");
	const char		*pid = getenv("WATCHDOG_PID");
	unsigned long long	 us;
	struct timeval		 tv;

	if (usec == NULL || notify_fd < 0)
		return;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return;
	if ((us = strtoull(usec, NULL, 10)) == 0)
		return;
	us /= 2;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	watchdog_ev = event_new(weftd.base, -1, EV_PERSIST, on_watchdog, NULL);
	event_add(watchdog_ev, &tv);
	notify("WATCHDOG=1");
	log_info("systemd watchdog: WATCHDOG=1 every %llu ms", us / 1000);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

void
notify_close(void)
{
	if (watchdog_ev != NULL)
		event_free(watchdog_ev);
	watchdog_ev = NULL;
}

/*
 * listen_fd - the control socket systemd passed (socket activation),
 * or -1: LISTEN_PID must be us and LISTEN_FDS at least 1; the socket
 * is fd 3 (SD_LISTEN_FDS_START).
 */
int
listen_fd(void)
{
	const char	*pid = getenv("LISTEN_PID");
	const char	*fds = getenv("LISTEN_FDS");
	int		 fd = -1;

	if (pid != NULL && fds != NULL &&
	    strtol(pid, NULL, 10) == (long)getpid() &&
	    strtol(fds, NULL, 10) >= 1) {
		fd = 3;
		if (strtol(fds, NULL, 10) > 1)
			log_warnx("systemd passed %s sockets; using the first",
			    fds);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}
