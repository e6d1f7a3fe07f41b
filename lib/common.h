/*
 * common.h - code shared by weftd, weft-runner and weftctl: logging,
 * allocation, YAML trees with positions, durations, cron expressions,
 * the job and daemon configuration, message framing, plugin files and
 * starting weft-runner.  (The runner protocol has its own header,
 * proto.h.)
 */
#ifndef WEFT_COMMON_H
#define WEFT_COMMON_H

#include <sys/types.h>
#include <sys/queue.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))

/* log.c */
enum { LOG_TO_STDERR, LOG_TO_JOURNAL, LOG_TO_SYSLOG };
void	 log_init(const char *, int, int);
void	 log_setlevel(int);
int	 log_getlevel(void);
int	 log_level_parse(const char *);
const char *log_level_name(int);
void	 log_warn(const char *, ...) PRINTFLIKE(1, 2);
void	 log_warnx(const char *, ...) PRINTFLIKE(1, 2);
void	 log_info(const char *, ...) PRINTFLIKE(1, 2);
void	 log_debug(const char *, ...) PRINTFLIKE(1, 2);
void	 log_msg(int, const char *, ...) PRINTFLIKE(2, 3);
void	 log_vmsg(int, const char *, va_list) PRINTFLIKE(2, 0);
void	 fatal(const char *, ...) PRINTFLIKE(1, 2) NORETURN;
void	 fatalx(const char *, ...) PRINTFLIKE(1, 2) NORETURN;

/* xmalloc.c */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) PRINTFLIKE(2, 3);
int	 xvasprintf(char **, const char *, va_list) PRINTFLIKE(2, 0);

/* errors.c: a list of user-facing error messages */
struct errlist {
	char	**v;
	size_t	  n;
};
void	 errlist_add(struct errlist *, const char *, ...) PRINTFLIKE(2, 3);
void	 errlist_vadd(struct errlist *, const char *, va_list)
	    PRINTFLIKE(2, 0);
void	 errlist_clear(struct errlist *);
void	 errlist_move(struct errlist *, struct errlist *);

/* ytree.c: YAML documents as trees whose nodes know their position */
enum ynode_kind { YNODE_SCALAR = 1, YNODE_SEQ = 2, YNODE_MAP = 3 };
struct ydoc;
struct ynode {
	unsigned char	  kind;
	unsigned char	  plain;	/* scalar was unquoted */
	unsigned char	  is_key;	/* a mapping's key */
	unsigned	  line;		/* 1-based */
	unsigned	  col;		/* 1-based */
	unsigned	  index;	/* its place in its parent */
	unsigned	  n;		/* items (seq) or pairs (map) */
	struct ynode	 *parent;	/* NULL for the root */
	struct ydoc	 *doc;		/* its file, where errors go */
	const char	 *name;		/* a path that replaces the computed
					   one (ynode_new_map), or NULL */
	char		 *str;		/* scalar text */
	struct ynode	**keys;		/* map keys (scalars) */
	struct ynode	**items;	/* seq items or map values */
};
struct ydoc {
	char		*file;
	int		 nopos;		/* errors name file alone: a value
					   given as an argument (--set) */
	struct ynode	*root;		/* NULL for an empty document */
	struct errlist	 errs;
	struct errlist	*errs_to;	/* errors go here instead, if set */
	void		*arena;		/* its nodes and strings */
};
struct ydoc	*ydoc_load(const char *, const char *, size_t, char **);
struct ydoc	*ydoc_load_arg(const char *, const char *, size_t, char **);
struct ydoc	*ydoc_load_file(const char *, char **);
int		 yaml_read_file(const char *, char **, size_t *, char **);
void		 ydoc_free(struct ydoc *);
void		*ydoc_alloc(struct ydoc *, size_t);
struct ynode	*ynode_new_map(struct ydoc *, const char *);
const char	*ynode_path(const struct ynode *, char *, size_t);
struct ynode	*ynode_get(const struct ynode *, const char *);
void		 ynode_error(const struct ynode *, const char *, ...)
		    PRINTFLIKE(2, 3);
void		 ynode_verror(const struct ynode *, const char *, va_list)
		    PRINTFLIKE(2, 0);
const char	*ynode_kind_name(const struct ynode *);
int		 ynode_check_keys(const struct ynode *, const char *const *);
int		 ynode_int(const struct ynode *, long long, long long,
		    long long *);
int		 ynode_bool(const struct ynode *, int *);
int		 ynode_duration(const struct ynode *, uint64_t *);
const char	*ynode_scalar(const struct ynode *);
json_t		*ynode_to_json(const struct ynode *);

/* duration.c */
int	 duration_parse(const char *, uint64_t *);
char	*duration_format(uint64_t, char *, size_t);

/* cron.c */
struct cron {
	uint64_t	minute;		/* bits 0-59 */
	uint32_t	hour;		/* bits 0-23 */
	uint32_t	dom;		/* bits 1-31 */
	uint16_t	month;		/* bits 1-12 */
	uint8_t		dow;		/* bits 0-6, Sunday is 0 */
	int		dom_any;
	int		dow_any;
};
int	 cron_parse(const char *, struct cron *, char *, size_t);
time_t	 cron_next(const struct cron *, time_t);

/* config.c */
enum sched_kind { SCHED_ON_DEMAND, SCHED_AT_START, SCHED_EVERY, SCHED_CRON };
struct job {
	char		*name;
	char		*file;
	char		*workload;
	char		*strategy;
	long		 concurrency;	/* 0: the strategy's default */
	enum sched_kind	 sched;
	uint64_t	 every_ms;
	struct cron	 cron;
	char		*sched_text;	/* as written, for display */
	uint64_t	 timeout_ms;	/* 0: none */
	int		 retries;
	int		 enabled;
	int		 resume_auto;	/* resume: auto */
	char		*stale;		/* its file is broken now: why, and
					   this is the version loaded before */
	struct ydoc	*doc;		/* owns params */
	char		*text;		/* the file as loaded (for runners) */
	size_t		 textlen;
	struct ynode	*params;	/* mapping, or NULL */
	struct ynode	*sparams;	/* strategy_params mapping, or NULL */
	TAILQ_ENTRY(job) entry;
};
TAILQ_HEAD(jobs, job);

struct cluster_conf;
struct config {
	char		*path;		/* NULL: built-in defaults */
	char		*socket;
	mode_t		 socket_mode;
	char		**plugin_dirs;
	size_t		 nplugin_dirs;
	char		*jobs_dir;
	char		*state_dir;
	char		*metrics_log;
	int		 log_level;
	int		 max_concurrent_runs;
	uint64_t	 shutdown_grace_ms;
	int		 warm_runners;	/* runners kept started, each for the
					   next run of a pair of plugins */
	int		 history_size;
	char		*control_group;	/* may run, cancel, reload */
	char		*metrics_listen;	/* HOST:PORT, or NULL */
	char		*http_token_file;	/* pages may run and cancel */
	int		 trace_max;	/* tasks kept in a run's timeline */
	int		 max_conns_per_uid;
	struct cluster_conf *cluster;	/* or NULL: not in a cluster */
	struct jobs	 jobs;
	size_t		 njobs;
	struct badfile {
		char	*file;
		char	*error;		/* its first error */
	}		*bad;		/* job files rejected */
	size_t		 nbad;
};
struct config	*config_load(const char *, const char *, struct errlist *,
		    int *);
void		 config_free(struct config *);
struct job	*job_load(const char *, struct errlist *);
struct job	*job_parse(const char *, const char *, size_t,
		    struct errlist *);
struct ydoc	*parse_set(const char *, char **);
struct ynode	*apply_sets(struct job *, struct ydoc **, size_t);
void		 job_free(struct job *);
struct job	*config_find_job(struct config *, const char *);
json_t		*job_to_json(const struct job *);

/* frame.c: length-prefixed JSON messages between runner and supervisor */
#define FRAME_MAX	(16u * 1024 * 1024)
int	 frame_write(int, const json_t *);
int	 frame_write_text(int, const char *, size_t);
size_t	 frame_length(const unsigned char *);
int	 frame_parse(const unsigned char *, size_t, size_t *, json_t **,
	    char *, size_t);

/* plugin.c: plugin files, as weftd and weftctl see them */
struct weft_plugin;
/* what says a plugin file is the one copied before (st_ctim changes with
 * any write, rename or chmod, and no one can set it) */
struct plugin_id {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime, ctime;
	struct timespec	 copied;	/* when (CLOCK_REALTIME) */
};

struct plugin {
	char		*path;
	char		*name;		/* NULL if rejected before it was read */
	int		 kind;
	char		*version;
	char		*summary;
	unsigned	 traits;
	int		 abi_major, abi_minor;
	char		*rejected;	/* NULL: ok; else the reason */
	int		 fd;		/* a sealed copy of the file (memfd)
					   that was probed, for runners;
					   -1: none */
	char		*stale;		/* the file is bad now: why (this is
					   the copy loaded before) */
	struct plugin_id id;		/* the file's, when it was copied */
	json_t		*params;	/* what plugin_params_json made of
					   its table; NULL: none said */
};
#define PLUGIN_FD_PATH	"/proc/self/fd/%d"
int	 plugin_check_desc(const struct weft_plugin *, size_t, char *, size_t);
const char *plugin_kind_name(int);
char	*plugin_traits_string(unsigned);
const char *unsafe_path(const char *, char *, size_t);
void	 plugin_probe(const char *, struct plugin *);
struct weft_param;
json_t	*plugin_params_json(const struct weft_param *, char *, size_t);
char	*plugin_param_text(json_t *, char *, size_t);
int	 plugin_copy(const char *, struct plugin_id *, char **);
struct stat;
void	 plugin_id_of(const struct stat *, struct plugin_id *);
int	 plugin_id_same(const struct plugin_id *, const struct plugin_id *);
int	 plugin_same_content(const char *, int);
void	 plugin_clear(struct plugin *);

/* spawn.c: starting weft-runner (runner_call is in proto.h) */
#define SPAWN_QUIET	1	/* its stdout is /dev/null */
#define SPAWN_WARM	2	/* weft-runner --warm */
#define RUNNER_FDS_MAX	3	/* a warm runner's: crash page, journal, trace */
const char *runner_path(void);
int	 runner_spawn(int, const int *, int, int *, pid_t *, char **);
int	 runner_give_fds(int, const int *, int);
int	 runner_take_fds(int, int *, int);
int	 session_kill(pid_t);

/* journal.c: a run's journal (state_dir/runs/ID.journal) */
#define JOURNAL_LINE_MAX	80	/* an outcome line without results */
struct joutcome {
	unsigned char	 state;		/* 0: none; 1 ok, 2 failed, 3 cancelled */
	unsigned	 attempts;
	long long	 micros;
	json_t		*result;
	char		*error;
};
struct journal {
	long long	 id;
	json_t		*header;
	long long	 total;		/* from the start line; 0: unknown */
	struct joutcome	*tasks;		/* by task; state 0 if not there */
	size_t		 ntasks;	/* slots (more than tasks seen) */
	size_t		 finished;	/* tasks with an outcome */
	json_t		*record;	/* the runner's, if it ended */
	json_t		*trace;
	double		 ended;		/* wall clock of the record */
	size_t		 skipped;	/* lines that did not parse */
};
char	*journal_path(const char *, long long);
size_t	 journal_outcome(char *, size_t, int, unsigned, long long,
	    const char *, const char *);
size_t	 journal_outcome_len(const char *, const char *);
struct journal *journal_read(const char *, char **);
void	 journal_free(struct journal *);

/* result.c: a task's result, kept compact (weft-runner) */
enum { RESULT_STR = 1, RESULT_INT, RESULT_REAL, RESULT_JSON };
struct result;
struct result_val {
	int		 type;		/* RESULT_* */
	int		 plain;		/* result.c's: what needs no escape */
	const char	*key;		/* klen bytes, not NUL-terminated */
	size_t		 klen;
	const char	*s;		/* STR, JSON: len bytes */
	size_t		 len;
	long long	 i;
	double		 d;
};
void	 result_str(struct result **, const char *, const char *, size_t);
void	 result_int(struct result **, const char *, long long);
void	 result_real(struct result **, const char *, double);
void	 result_free(struct result *);
int	 result_next(const struct result *, size_t *, struct result_val *);
int	 result_get(const struct result *, const char *, struct result_val *);
size_t	 result_room(const struct result *);
char	*result_put(const struct result *, char *);
char	*result_text(const struct result *);
json_t	*result_json(const struct result *, json_t *);
struct result *result_from(const json_t *);
char	*json_put_string(char *, const char *, size_t);
char	*json_put_real(char *, double);

/* util.c */
uint64_t now_ms(void);
double	 now_wall(void);
int	 write_all(int, const void *, size_t);
char	*json_add_last(const char *, size_t, const char *, const char *,
	    size_t, size_t *);
size_t	 fmt_int(char *, long long);
size_t	 fmt_micros(char *, double);
size_t	 fmt_us(char *, long long);
double	 now_mono(void);
const char *signal_name(int);
int	 valid_name(const char *);
json_t	*percentiles(double *, size_t);
double	 median(double *, size_t);

#endif
