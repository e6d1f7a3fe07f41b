/* weftctl.h - weftctl's internal interfaces. */
#ifndef WEFTCTL_H
#define WEFTCTL_H

#include "common.h"

/* An option of a command: --name [ARG], or -c. */
struct cmd_opt {
	const char	*name;
	char		 ch;		/* a short form, or 0 */
	const char	*arg;		/* the value's name; NULL: a flag */
	int		 repeat;	/* may be given more than once */
};

/* What weftctl.c parsed of a command's words. */
struct args {
	const struct cmd_entry	 *entry;
	int			  argc;		/* positional arguments */
	char			**argv;
	size_t			  nopts;	/* options given, in order */
	const struct cmd_opt	**opt;
	const char		**val;
	int			  help;		/* --help or -h was given */
};

/*
 * One command, as tmux's struct cmd_entry: what it takes is declared
 * here, and weftctl.c parses and checks it (and makes the usage text)
 * the same way for every command.
 */
struct cmd_entry {
	const char		*name;		/* "run" or "run show" */
	const char		*args;		/* positional, for usage: "ID" */
	const char		*need;		/* "a run id", when missing */
	int			 lower, upper;	/* how many (-1: no limit) */
	const struct cmd_opt	*opts;		/* ended by a NULL name */
	const char		*summary;
	int			(*exec)(struct args *);
};

/* cmd-*.c: one command each */
extern const struct cmd_entry cmd_status_entry, cmd_jobs_entry,
    cmd_job_show_entry, cmd_run_entry, cmd_run_show_entry, cmd_runs_entry,
    cmd_cancel_entry, cmd_plugins_entry, cmd_reload_entry, cmd_check_entry,
    cmd_plugin_verify_entry, cmd_trace_entry, cmd_follow_entry,
    cmd_compare_entry, cmd_resume_entry;

/* cmd-follow.c */
int	 follow_run(long long, int);

/* weftctl.c */
extern const char	*socket_path;
extern int		 json_output;
int	 usage_error(const struct cmd_entry *, const char *, ...)
	    PRINTFLIKE(2, 3);
int	 args_has(const struct args *, const char *);
const char *args_get(const struct args *, const char *);
size_t	 args_count(const struct args *, const char *);
const char *args_value(const struct args *, const char *, size_t);
long long args_run_id(struct args *, int);

/* client.c */
typedef void (*more_cb)(json_t *);
json_t	*client_request(json_t *, more_cb);
int	 client_available(void);
int	 reply_ok(json_t *);
void	 unleak(json_t *);
void	 print_json(json_t *);

/* format.c */
void	 print_record(json_t *);
void	 print_running(json_t *);
long long parse_run_id(const char *);
const char *jstr(json_t *, const char *);
long long jint(json_t *, const char *);
double	 jnum(json_t *, const char *);

#endif
