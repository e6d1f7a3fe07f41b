/*
 * load.c - loading a plugin the supervisor named: dlopen it, find its
 * descriptor and check that it is still the plugin the catalog saw.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

/*
 * A warm runner's two plugins, loaded before it had a run: weftd starts
 * one when a run ends, with that run's plugin files, so that the next
 * run of the same two plugins does not wait for the exec and the
 * loading (a download plugin's libcurl and its thirty libraries: 5 ms).
 */
static struct {
	char	 path[32];
	void	*h;
}	warm[2];

/*
 * runner_warm - weft-runner --warm: load the plugins of fds 5 and 6 (as
 * a run would), then wait, as long as weftd keeps the socket open, for
 * the descriptors of the run it is given (runner_give_fds): its crash
 * page, and with a journal its journal and its trace file, placed where
 * a runner started for the run has them.  Its RUN message follows.
 */
void
runner_warm(void)
{
	static const int	 at[RUNNER_FDS_MAX] = { SHARED_FD, JOURNAL_FD,
				    TRACE_FD };
	int			 fds[RUNNER_FDS_MAX], n;

	for (int i = 0; i < 2; i++) {
		snprintf(warm[i].path, sizeof warm[i].path, PLUGIN_FD_PATH,
		    5 + i);
		if ((warm[i].h = dlopen(warm[i].path, RTLD_NOW |
		    RTLD_LOCAL)) == NULL) {
			log_warnx("warm runner: cannot load %s: %s",
			    warm[i].path, dlerror());
			_exit(1);
		}
		close(5 + i);
	}
	if ((n = runner_take_fds(SUPERVISOR_FD, fds, RUNNER_FDS_MAX)) <= 0) {
		if (n < 0)
			log_warnx("warm runner: no run's descriptors from "
			    "weftd; exiting");
		_exit(n < 0);
	}
	/* Above every target first, so that no dup2 clobbers a source. */
	for (int i = 0; i < n; i++) {
		int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, TRACE_FD + 1);

		close(fds[i]);
		fds[i] = fd;
	}
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0 || dup2(fds[i], at[i]) < 0)
			fatal("warm runner: placing the run's descriptors");
		close(fds[i]);
	}
}

/*
 * plugin_load - the descriptor of the kind plugin called name in the
 * file path; on any failure the runner reports it on fd and exits.
 */
const struct weft_plugin *
plugin_load(int fd, const char *path, int kind, const char *name)
{
	void				*h;
	const struct weft_plugin	*d;
	char				 why[512], c;
	int				 n;

	h = NULL;
	for (int i = 0; i < 2 && h == NULL; i++)
		if (warm[i].h != NULL && strcmp(warm[i].path, path) == 0)
			h = warm[i].h;
	if (h == NULL) {
		if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
			runner_fail(fd, "cannot load %s plugin %s: %s",
			    plugin_kind_name(kind), path, dlerror());
		/* A copy weftd handed over (/proc/self/fd/N): mapped now. */
		if (sscanf(path, PLUGIN_FD_PATH "%c", &n, &c) == 1 && n > 3)
			close(n);
	}
	if ((d = dlsym(h, WEFT_PLUGIN_SYMBOL)) == NULL)
		runner_fail(fd, "%s: no %s symbol", path, WEFT_PLUGIN_SYMBOL);
	if (plugin_check_desc(d, sizeof *d, why, sizeof why) != 0)
		runner_fail(fd, "%s: %s", path, why);
	if (d->kind != kind || strcmp(d->name, name) != 0)
		runner_fail(fd, "%s no longer holds %s %s (it changed since "
		    "the catalog scan; reload)", path, plugin_kind_name(kind),
		    name);
	return d;
}
