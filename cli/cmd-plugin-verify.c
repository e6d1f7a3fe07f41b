/*
 * cmd-plugin-verify.c - weftctl plugin verify FILE.so: check a plugin
 * without installing it, with weftd's own checks (safe location, probe
 * in a child, descriptor, ABI), and print what weftd would say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftctl.h"
#include "weftd.h"

static int
cmd_plugin_verify(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2)
		return usage_error(&cmd_plugin_verify_entry, "expects plugin "
		    "files");
	for (int i = 1; i < argc; i++) {
		struct plugin	 p;
		char		 why[1024];
		char		*traits;

		memset(&p, 0, sizeof p);
		if (unsafe_path(argv[i], why, sizeof why) != NULL) {
			p.path = xstrdup(argv[i]);
			p.rejected = xstrdup(why);
		} else
			catalog_probe(argv[i], &p);
		if (p.rejected != NULL) {
			printf("%s: rejected: %s\n", argv[i], p.rejected);
			bad++;
		} else {
			traits = plugin_traits_string(p.traits);
			printf("%s: ok: %s %s %s (ABI %d.%d, traits %s): %s\n",
			    argv[i], plugin_kind_name(p.kind), p.name,
			    p.version, p.abi_major, p.abi_minor, traits,
			    p.summary);
			free(traits);
		}
		free(p.path);
		free(p.name);
		free(p.version);
		free(p.summary);
		free(p.rejected);
	}
	return bad ? 1 : 0;
}

const struct cmd_entry cmd_plugin_verify_entry = {
	.name = "plugin verify",
	.usage = "FILE.so...",
	.summary = "check plugin files as weftd would, without installing",
	.needs_daemon = 0,
	.exec = cmd_plugin_verify,
};
