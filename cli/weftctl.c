/*
 * weftctl.c - the command-line client of weftd.  Each command lives in
 * its own cmd-*.c file and exports one struct cmd_entry that declares
 * its arguments and options; this file parses them for every command
 * alike and makes the usage text from the table.
 * Exit codes: 0 ok, 1 failed, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftctl.h"

#ifndef WEFT_SOCKET
#define WEFT_SOCKET	"/run/weft/weftd.sock"
#endif

static const struct cmd_entry *const cmd_table[] = {
	&cmd_status_entry, &cmd_jobs_entry, &cmd_job_show_entry,
	&cmd_run_show_entry, &cmd_run_entry, &cmd_runs_entry,
	&cmd_cancel_entry, &cmd_plugins_entry, &cmd_reload_entry,
	&cmd_check_entry, &cmd_plugin_verify_entry, &cmd_trace_entry,
	&cmd_follow_entry, &cmd_compare_entry, &cmd_resume_entry, NULL,
};

const char	*socket_path;
int		 json_output;

/* usage_of - "NAME [--opt ARG] [--flag]" for a command. */
static char *
usage_of(const struct cmd_entry *c)
{
	char	*s = xstrdup(c->args ? c->args : ""), *t;

	for (const struct cmd_opt *o = c->opts; o != NULL && o->name; o++) {
		xasprintf(&t, "%s%s[--%s%s%s]%s", s, *s ? " " : "", o->name,
		    o->arg ? " " : "", o->arg ? o->arg : "",
		    o->repeat ? "..." : "");
		free(s);
		s = t;
	}
	return s;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: weftctl [-s socket] [--json] command [args]\n"
	    "commands:\n");
	for (const struct cmd_entry *const *c = cmd_table; *c; c++) {
		char *u = usage_of(*c);

		fprintf(f, "  %s%s%s\n      %s\n", (*c)->name, *u ? " " : "",
		    u, (*c)->summary);
		free(u);
	}
	fprintf(f, "weftctl help COMMAND (or COMMAND --help): one command.\n"
	    "The socket is -s, else $WEFT_SOCKET, else %s.\n", WEFT_SOCKET);
}

/* cmd_help - one command's usage and summary, for --help and help. */
static void
cmd_help(const struct cmd_entry *c)
{
	char *u = usage_of(c);

	printf("usage: weftctl %s%s%s\n  %s\n", c->name, *u ? " " : "", u,
	    c->summary);
	free(u);
}

/* usage_error - report a misuse of a command; returns 2. */
int
usage_error(const struct cmd_entry *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*u = usage_of(c);

	fprintf(stderr, "weftctl %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: weftctl %s %s\n", c->name, u);
	free(u);
	return 2;
}

static const struct cmd_opt *
find_opt(const struct cmd_entry *c, const char *word, const char **inline_val)
{
	size_t len;

	*inline_val = NULL;
	for (const struct cmd_opt *o = c->opts; o != NULL && o->name; o++) {
		if (word[1] != '-') {
			if (word[1] == o->ch && word[2] == '\0')
				return o;
			continue;
		}
		len = strlen(o->name);
		if (strncmp(word + 2, o->name, len) != 0)
			continue;
		if (word[2 + len] == '\0')
			return o;
		if (word[2 + len] == '=' && o->arg != NULL) {
			*inline_val = word + 3 + len;
			return o;
		}
	}
	return NULL;
}

/*
 * parse - split a command's words into options (checked against its
 * table) and positional arguments (counted).  0, or 2 after a usage
 * error.
 */
static int
parse(const struct cmd_entry *c, int argc, char **argv, struct args *a)
{
	int	only_args = 0;

	memset(a, 0, sizeof *a);
	a->entry = c;
	a->argv = xcalloc((size_t)argc + 1, sizeof *a->argv);
	a->opt = xcalloc((size_t)argc + 1, sizeof *a->opt);
	a->val = xcalloc((size_t)argc + 1, sizeof *a->val);
	for (int i = 0; i < argc; i++) {
		const struct cmd_opt	*o;
		const char		*v;

		if (only_args || argv[i][0] != '-' || argv[i][1] == '\0') {
			a->argv[a->argc++] = argv[i];
			continue;
		}
		if (strcmp(argv[i], "--") == 0) {
			only_args = 1;
			continue;
		}
		if ((o = find_opt(c, argv[i], &v)) == NULL &&
		    (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)) {
			a->help = 1;
			continue;
		}
		if (o == NULL)
			return usage_error(c, "unexpected argument \"%s\"",
			    argv[i]);
		if (o->arg != NULL && v == NULL) {
			if (i + 1 == argc)
				return usage_error(c, "%s needs a value",
				    argv[i]);
			v = argv[++i];
		}
		if (!o->repeat && args_has(a, o->name))
			return usage_error(c, "--%s is given twice", o->name);
		a->opt[a->nopts] = o;
		a->val[a->nopts++] = v;
	}
	if (a->help)
		return 0;
	if (c->upper == 0 && a->argc > 0)
		return usage_error(c, "takes no arguments");
	if (a->argc < c->lower)
		return usage_error(c, "expects %s", c->need);
	if (c->upper >= 0 && a->argc > c->upper)
		return usage_error(c, "unexpected argument \"%s\"",
		    a->argv[c->upper]);
	return 0;
}

int
args_has(const struct args *a, const char *name)
{
	return args_count(a, name) != 0;
}

size_t
args_count(const struct args *a, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < a->nopts; i++)
		n += strcmp(a->opt[i]->name, name) == 0;
	return n;
}

/* args_value - the value of the k-th --name given, or NULL. */
const char *
args_value(const struct args *a, const char *name, size_t k)
{
	for (size_t i = 0; i < a->nopts; i++)
		if (strcmp(a->opt[i]->name, name) == 0 && k-- == 0)
			return a->val[i];
	return NULL;
}

/* args_get - the value of --name (the last one given), or NULL. */
const char *
args_get(const struct args *a, const char *name)
{
	size_t n = args_count(a, name);

	return n ? args_value(a, name, n - 1) : NULL;
}

/*
 * args_run_id - positional argument i as a run id; -1 after a usage
 * error (the caller returns 2).
 */
long long
args_run_id(struct args *a, int i)
{
	long long id = parse_run_id(a->argv[i]);

	if (id < 0)
		usage_error(a->entry, "expects a run id, not \"%s\"",
		    a->argv[i]);
	return id;
}

/*
 * find_cmd - the table's entry for the command in argv's first word, or
 * first two ("job show"), or NULL.
 */
static const struct cmd_entry *const *
find_cmd(int argc, char **argv)
{
	const struct cmd_entry *const	*c;

	for (c = cmd_table; *c != NULL; c++) {
		const char	*sp = strchr((*c)->name, ' ');

		if (sp == NULL) {
			if (strcmp(argv[0], (*c)->name) == 0)
				return c;
		} else if (argc > 1 &&
		    strncmp(argv[0], (*c)->name, (size_t)(sp - (*c)->name)) ==
		    0 && argv[0][sp - (*c)->name] == '\0' &&
		    strcmp(argv[1], sp + 1) == 0)
			return c;
	}
	return NULL;
}

/*
 * help - "weftctl help WORD [WORD]": the two-word command they name
 * ("help run show"), else every command whose first word is WORD ("help
 * run": run and run show; "help job": job show).
 */
static int
help(int argc, char **argv)
{
	const struct cmd_entry *const	*c;
	size_t				 len = strlen(argv[0]);
	int				 n = 0;

	if (argc > 1 && (c = find_cmd(argc, argv)) != NULL &&
	    strchr((*c)->name, ' ') != NULL) {
		cmd_help(*c);
		return 0;
	}
	for (c = cmd_table; *c != NULL; c++)
		if (strncmp((*c)->name, argv[0], len) == 0 &&
		    ((*c)->name[len] == ' ' || (*c)->name[len] == '\0')) {
			cmd_help(*c);
			n++;
		}
	if (n == 0) {
		fprintf(stderr, "weftctl help: unknown command \"%s\"\n",
		    argv[0]);
		usage(stderr);
		return 2;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const struct cmd_entry *const	*c;
	struct args			 a;
	int				 i, nwords, rc;
	static char			 outbuf[65536];

	/* A record of 1,000 results is 135 KB of text: written in 64 KB,
	 * not 4 KB, unless to a terminal (which stays line-buffered). */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
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
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 == argc) {
			usage(stdout);
			return 0;
		}
		return help(argc - i - 1, argv + i + 1);
	}
	if ((c = find_cmd(argc - i, argv + i)) == NULL) {
		fprintf(stderr, "weftctl: unknown command \"%s\"\n", argv[i]);
		usage(stderr);
		return 2;
	}
	nwords = strchr((*c)->name, ' ') ? 2 : 1;
	if ((rc = parse(*c, argc - i - nwords, argv + i + nwords, &a)) == 0 &&
	    a.help)
		cmd_help(*c);
	else if (rc == 0)
		rc = (*c)->exec(&a);
	free(a.argv);
	free(a.opt);
	free(a.val);
	return rc;
}
