/*
 * load.c - loading a plugin the supervisor named: dlopen it, find its
 * descriptor and check that it is still the plugin the catalog saw.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

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

	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
		runner_fail(fd, "cannot load %s plugin %s: %s",
		    plugin_kind_name(kind), path, dlerror());
	/* A copy weftd handed over (/proc/self/fd/N): mapped now. */
	if (sscanf(path, PLUGIN_FD_PATH "%c", &n, &c) == 1 && n > 3)
		close(n);
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
