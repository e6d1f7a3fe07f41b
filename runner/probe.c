/*
 * probe.c - PROBE: load one plugin file and describe it (weftd's catalog
 * and `weftctl plugin verify` ask).  A constructor that crashes or hangs
 * ends this process, which the asker reports as the reason to reject
 * the file.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

void
runner_probe(const struct proto_probe *req)
{
	struct proto_plugin		 p = { 0 };
	const struct weft_plugin	*d;
	void				*h;
	char				 why[512];
	Dl_info				 info;

	if ((h = dlopen(req->path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *e = dlerror();

		snprintf(why, sizeof why, "cannot load: %s%s", e ? e : "?",
		    strstr(e ? e : "", "invalid ELF header") ||
		    strstr(e ? e : "", "file too short") ?
		    " (not a shared object)" :
		    "; use ldd(1) to check the plugin's dependencies");
		p.rejected = why;
		goto out;
	}
	d = dlsym(h, WEFT_PLUGIN_SYMBOL);
	if (d == NULL || dladdr(d, &info) == 0 || info.dli_fbase == NULL) {
		snprintf(why, sizeof why, "missing descriptor: the file does "
		    "not export the symbol \"%s\"", WEFT_PLUGIN_SYMBOL);
		p.rejected = why;
		goto out;
	}
	p.abi_major = d->abi_major;
	p.abi_minor = d->abi_minor;
	if (plugin_check_desc(d, sizeof *d, why, sizeof why) != 0) {
		p.rejected = why;
		if (d->abi_major == WEFT_ABI_MAJOR && d->name != NULL &&
		    valid_name(d->name))
			p.name = d->name;
		goto out;
	}
	p.name = d->name;
	p.kind = d->kind;
	p.version = d->version;
	p.summary = d->summary;
	p.traits = d->traits;
	/* 2.3: the params it reads, if its descriptor is that long. */
	if (d->size >= offsetof(struct weft_plugin, params) +
	    sizeof d->params && d->abi_minor >= 3 && d->params != NULL &&
	    (p.params = plugin_params_json(d->params, why,
	    sizeof why)) == NULL)
		p.rejected = why;
out:
	proto_send(SUPERVISOR_FD, PROTO_PLUGIN, &p);
	_exit(0);
}
