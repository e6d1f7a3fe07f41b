/*
 * cmd-plugin-verify.c - weftctl plugin verify FILE.so: check a plugin
 * without installing it, with weftd's own checks (safe location, probe
 * in a child, descriptor, ABI), and print what weftd would say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftctl.h"

static int
cmd_plugin_verify(struct args *a)
{
	int	 bad = 0;
	char	**argv = a->argv;

	for (int i = 0; i < a->argc; i++) {
		struct plugin	 p;
		char		*traits;

		plugin_probe(argv[i], &p);
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
		plugin_clear(&p);
	}
	return bad ? 1 : 0;
}

const struct cmd_entry cmd_plugin_verify_entry = {
	.name = "plugin verify",
	.args = "FILE.so...",
	.need = "plugin files",
	.lower = 1,
	.upper = -1,
	.summary = "check plugin files as weftd would, without installing",
	.exec = cmd_plugin_verify,
};
