/*
 * weftctl.c - the command-line client of weftd.  Each command lives in
 * its own cmd-*.c file and exports one struct cmd_entry.
 * Exit codes: 0 ok, 1 failed, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftctl.h"

#ifndef WEFT_SOCKET
#define WEFT_SOCKET	"/run/weft/weftd.sock"
#endif

static const struct cmd_entry *const cmd_table[] = {
	&cmd_status_entry, &cmd_jobs_entry, &cmd_job_show_entry,
	&cmd_run_show_entry, &cmd_run_entry, &cmd_runs_entry,
	&cmd_cancel_entry, &cmd_plugins_entry, &cmd_reload_entry,
	&cmd_check_entry, &cmd_plugin_verify_entry, &cmd_trace_entry,
	&cmd_follow_entry, &cmd_compare_entry, NULL,
};

const char	*socket_path;
int		 json_output;

static void
usage(FILE *f)
{
	fprintf(f, "usage: weftctl [-s socket] [--json] command [args]\n"
	    "commands:\n");
	for (const struct cmd_entry *const *c = cmd_table; *c; c++)
		fprintf(f, "  %-10s %-34s %s\n", (*c)->name, (*c)->usage,
		    (*c)->summary);
	fprintf(f, "The socket is -s, else $WEFT_SOCKET, else %s.\n",
	    WEFT_SOCKET);
}

/* usage_error - report a misuse of a command; returns 2. */
int
usage_error(const struct cmd_entry *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "weftctl %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: weftctl %s %s\n", c->name, c->usage);
	return 2;
}

int
main(int argc, char **argv)
{
	const struct cmd_entry *const	*c;
	int				 i, nwords;

	socket_path = getenv("WEFT_SOCKET");
	if (socket_path == NULL || *socket_path == '\0')
		socket_path = WEFT_SOCKET;
	/* Global options come before the command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "--socket") == 0) {
			if (++i == argc) {
				fprintf(stderr, "weftctl: -s needs a path\n");
				return 2;
			}
			socket_path = argv[i];
		} else if (strcmp(argv[i], "--json") == 0)
			json_output = 1;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0) {
			printf("weftctl %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			fprintf(stderr, "weftctl: unknown option %s\n",
			    argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	/* --json may also follow the command, as scripts often write it. */
	for (int k = i; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0) {
			json_output = 1;
			memmove(&argv[k], &argv[k + 1],
			    (size_t)(argc - k) * sizeof *argv);
			argc--;
			k--;
		}
	}
	for (c = cmd_table; *c != NULL; c++) {
		const char	*sp = strchr((*c)->name, ' ');

		if (sp == NULL) {
			if (strcmp(argv[i], (*c)->name) == 0)
				break;
		} else if (i + 1 < argc &&
		    strncmp(argv[i], (*c)->name, (size_t)(sp - (*c)->name)) ==
		    0 && argv[i][sp - (*c)->name] == '\0' &&
		    strcmp(argv[i + 1], sp + 1) == 0)
			break;
	}
	if (*c == NULL) {
		fprintf(stderr, "weftctl: unknown command \"%s\"\n", argv[i]);
		usage(stderr);
		return 2;
	}
	nwords = strchr((*c)->name, ' ') ? 2 : 1;
	return (*c)->exec(argc - i - nwords + 1, argv + i + nwords - 1);
}
