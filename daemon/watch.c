/*
 * watch.c - drop-in plugins: weftd watches its plugin directories with
 * inotify.  A .so written in place (closed after writing) or renamed
 * in, replaced or removed leads, after a short quiet period, to a new
 * catalog scan (each file probed in a child, as always).  Runs already
 * going keep the plugins they loaded; the next run uses the new ones.
 */
#include <sys/inotify.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

#define SETTLE_MS	200	/* wait for a burst of changes to end */

static int		 ifd = -1;
static struct event	*ev_read, *ev_settle;

static void
on_settle(evutil_socket_t fd, short what, void *arg)
{
	struct catalog *cat;

	cat = catalog_scan(weftd.conf->plugin_dirs, weftd.conf->nplugin_dirs,
	    weftd.catalog);
	log_info("plugin directories changed: %zu plugins (was %zu)", cat->n,
	    weftd.catalog->n);
	catalog_free(weftd.catalog);
	weftd.catalog = cat;
	warm_trim(weftd.conf->warm_runners);
}

static void
on_inotify(evutil_socket_t fd, short what, void *arg)
{
	char		 buf[8192] __attribute__((aligned(8)));
	ssize_t		 n;
	int		 relevant = 0;
	struct timeval	 tv = { 0, SETTLE_MS * 1000 };

	while ((n = read(ifd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event	*e = (void *)p;
			size_t			 len = e->len ?
						    strlen(e->name) : 0;

			if (len > 3 && strcmp(e->name + len - 3, ".so") == 0)
				relevant = 1;
			p += sizeof *e + e->len;
		}
	}
	if (relevant)
		evtimer_add(ev_settle, &tv);
}

/* catalog_watch - (re)watch the configured plugin directories. */
void
catalog_watch(void)
{
	catalog_unwatch();
	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		log_warn("inotify: plugins will change only on reload");
		return;
	}
	for (size_t i = 0; i < weftd.conf->nplugin_dirs; i++)
		if (inotify_add_watch(ifd, weftd.conf->plugin_dirs[i],
		    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
		    IN_ATTRIB) < 0)
			log_warn("inotify: cannot watch %s",
			    weftd.conf->plugin_dirs[i]);
	ev_read = event_new(weftd.base, ifd, EV_READ | EV_PERSIST,
	    on_inotify, NULL);
	event_add(ev_read, NULL);
	ev_settle = evtimer_new(weftd.base, on_settle, NULL);
}

void
catalog_unwatch(void)
{
	if (ev_read != NULL)
		event_free(ev_read);
	if (ev_settle != NULL)
		event_free(ev_settle);
	ev_read = ev_settle = NULL;
	if (ifd >= 0)
		close(ifd);
	ifd = -1;
}
