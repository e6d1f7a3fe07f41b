/* weftctl.h - weftctl's internal interfaces. */
#ifndef WEFTCTL_H
#define WEFTCTL_H

#include "common.h"

struct cmd_entry {
	const char	*name;		/* "run" or "run show" */
	const char	*usage;		/* arguments, for the usage line */
	const char	*summary;
	int		 needs_daemon;
	int		 (*exec)(int, char **);
};

/* cmd-*.c: one command each */
extern const struct cmd_entry cmd_status_entry, cmd_jobs_entry,
    cmd_job_show_entry, cmd_run_entry, cmd_run_show_entry, cmd_runs_entry,
    cmd_cancel_entry, cmd_plugins_entry, cmd_reload_entry, cmd_check_entry,
    cmd_plugin_verify_entry, cmd_trace_entry, cmd_follow_entry,
    cmd_compare_entry;

/* cmd-follow.c */
int	 follow_run(long long, int);

/* weftctl.c */
extern const char	*socket_path;
extern int		 json_output;
int	 usage_error(const struct cmd_entry *, const char *, ...)
	    PRINTFLIKE(2, 3);

/* client.c */
typedef void (*more_cb)(json_t *);
json_t	*client_request(json_t *, more_cb);
int	 reply_ok(json_t *);
void	 print_json(json_t *);

/* format.c */
void	 print_record(json_t *);
void	 print_running(json_t *);
long long parse_run_id(const char *);
const char *jstr(json_t *, const char *);
long long jint(json_t *, const char *);
double	 jnum(json_t *, const char *);

#endif
