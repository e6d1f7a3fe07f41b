/*
 * workload-exec.c - run a program once per input: GNU parallel's and
 * xargs -P's job, as a weft workload, so that weft's strategies,
 * schedules, timeouts, retries, records and resume apply to any program.
 *
 * params:
 *   command:        the argv as a list (run directly), or one string
 *                   run by /bin/sh -c when shell is true
 *   shell:          true: command is a shell script (default false)
 *   args:           inputs, one task each               } at most
 *   args_file:      one input per line                  } one of
 *   null_separated: args_file inputs end with NUL, not newline
 *   range:          {from, to}: the integers from..to (inclusive)
 *   tasks:          with none of those: run command this many times (1)
 *   env:            a mapping added to the base environment below
 *   cwd:            working directory (default: weftd's, usually /)
 *   stdin:          a file to read (replacement strings allowed), or
 *                   none (default): /dev/null
 *   timeout:        per task: SIGTERM to its process group then
 *   kill_after:     SIGKILL this long after (default 5s)
 *   keep:           bytes of the end of stdout and of stderr kept in
 *                   the results (default 65536; at most 16 MiB)
 *   output_dir:     a directory: each stream is saved whole as {#}.out
 *                   and {#}.err (a temporary file, renamed at the end)
 *   success_exit:   exit statuses that count as success (default [0])
 *
 * Replacement strings, as in GNU parallel: {} the input, {.} without
 * its extension, {/} its basename, {//} its dirname, {/.} basename
 * without extension, {#} the task's number from 1, {%} its lane from 1
 * (no two tasks running at once share one).  Without any of the input
 * ones ({} {.} {/} {//} {/.}) the input is appended as one more
 * argument.  Under shell: true each substituted input is quoted ('...')
 * so that it stays one word whatever it holds.
 *
 * The base environment is clean, not weftd's: PATH=/usr/local/sbin:
 * /usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin, HOME, USER and LOGNAME
 * of the user weft runs as, SHELL=/bin/sh, LANG=C.UTF-8, and
 * WEFT_SEQ ({#}) and WEFT_SLOT ({%}).  env adds to it or replaces.
 * A command without a slash is looked up in that PATH.
 *
 * Each task's program is started with posix_spawn (vfork speed) in a
 * process group of its own, with fds 0-2 only and every signal at its
 * default.  The task waits for it, and its output pipes, through one
 * epoll descriptor handed to wait_fd, so under coro only the task's
 * coroutine waits.  Nothing of the task outlives it: when its program
 * exits, what is left of its process group gets SIGTERM and, kill_after
 * later, SIGKILL; a timeout or a cancelled run does the same to the
 * whole group.  When the run ends, even if the runner was killed, weftd
 * kills what is left of the run's session (this workload has the
 * processes trait), which catches processes that changed group; only a
 * process that starts a session of its own (setsid) escapes both.
 *
 * Results: input, exit or signal ("SIGKILL"), stdout and stderr (their
 * last keep bytes, as UTF-8 with invalid bytes replaced), stdout_bytes
 * and stderr_bytes (whole sizes), wall_s, cpu_s (user + system, the
 * program and the children it waited for), max_rss_kb (Linux's
 * ru_maxrss, which counts in the runner's size: posix_spawn's child
 * shares the runner's memory until exec, and the kernel keeps that
 * image's peak), and on failure
 * reason: exit, signal, timeout, spawn (the program could not be
 * started: the error says why) or output (output_dir could not be
 * written).  The summary counts exit, signal and reason, and adds up
 * cpu_s.
 */
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <weft/weft-plugin.h>

extern const struct weft_plugin weft_plugin;

#define KEEP_MAX	(16LL * 1024 * 1024)
#define CHUNK		65536
#define BASE_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
			"/sbin:/bin"

enum source { SRC_NONE, SRC_ARGS, SRC_FILE, SRC_RANGE };

struct exec {
	const struct weft_host	*h;
	/* params */
	const struct weft_node	*command;
	int			 shell;
	struct weft_strings	 args;
	const char		*args_file;
	int			 null_separated;
	const struct weft_node	*range;
	long long		 tasks;
	const struct weft_node	*env;
	const char		*cwd;
	const char		*stdin_path;
	long long		 timeout_ms, kill_after_ms, keep;
	const char		*output_dir;
	struct weft_ints	 success;
	/* made of them */
	char			**argv;		/* templates; shell: one */
	size_t			 argc;
	int			 uses_input;	/* {} {.} {/} {//} {/.} */
	char			*prog;		/* argv[0] found in PATH, if
						   it has no replacement */
	int			 prog_errno;	/* why prog was not found */
	char			**envp;		/* base + env, then 2 free */
	size_t			 nenv;
	const char		*path;		/* the children's PATH */
	enum source		 src;
	char			*file;		/* args_file, split in place */
	size_t			*offs;		/* its inputs */
	long long		 from;
	size_t			 ninputs;
};

/* Per execution context: a read buffer, shared by its coroutines (a
 * read and its copy never yield). */
struct xctx {
	char	buf[CHUNK];
};

/* ---- a string builder ---- */

struct sb {
	char	*s;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t	 cap = b->cap ? b->cap : 64;
		char	*p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* sb_done - the string (never NULL unless out of memory). */
static char *
sb_done(struct sb *b)
{
	if (b->s == NULL && !b->oom)
		sb_add(b, "", 0);
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

/* ---- replacement strings ---- */

enum repl { R_INPUT, R_NOEXT, R_BASE, R_DIR, R_BASENOEXT, R_SEQ, R_SLOT };

static const struct {
	const char	*s;
	size_t		 len;
	enum repl	 r;
} repls[] = {
	{ "{}", 2, R_INPUT }, { "{.}", 3, R_NOEXT }, { "{/}", 3, R_BASE },
	{ "{//}", 4, R_DIR }, { "{/.}", 4, R_BASENOEXT }, { "{#}", 3, R_SEQ },
	{ "{%}", 3, R_SLOT },
};

/* repl_at - the replacement string at s, or -1; its length in *len. */
static int
repl_at(const char *s, size_t *len)
{
	if (*s != '{')
		return -1;
	for (size_t i = 0; i < sizeof repls / sizeof *repls; i++)
		if (strncmp(s, repls[i].s, repls[i].len) == 0) {
			*len = repls[i].len;
			return (int)repls[i].r;
		}
	return -1;
}

/* uses - whether template s holds an input replacement string (mask
 * 1) or any replacement string (mask 2). */
static int
uses(const char *s)
{
	int	m = 0, r;
	size_t	len;

	for (; *s != '\0'; s++)
		if ((r = repl_at(s, &len)) >= 0) {
			m |= 2;
			if (r != R_SEQ && r != R_SLOT)
				m |= 1;
			s += len - 1;
		}
	return m;
}

/* strip_ext - GNU parallel's s:\.[^/.]*$:: - the length without it. */
static size_t
strip_ext(const char *s, size_t n)
{
	for (size_t i = n; i > 0; i--) {
		if (s[i - 1] == '/')
			break;
		if (s[i - 1] == '.')
			return i - 1;
	}
	return n;
}

/* base - GNU parallel's s:^.*\/:: - where the basename starts. */
static size_t
base(const char *s, size_t n)
{
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == '/')
			return i;
	return 0;
}

/* dirname_of - POSIX dirname(1) of s[0..n) into b. */
static void
dirname_of(struct sb *b, const char *s, size_t n)
{
	while (n > 1 && s[n - 1] == '/')
		n--;
	while (n > 0 && s[n - 1] != '/')
		n--;
	if (n == 0) {
		sb_str(b, ".");
		return;
	}
	while (n > 1 && s[n - 1] == '/')
		n--;
	sb_add(b, s, n);
}

/* quote - s as one shell word: '...', with ' written '\''. */
static void
quote(struct sb *b, const char *s, size_t n)
{
	sb_add(b, "'", 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			sb_add(b, "'\\''", 4);
		else
			sb_add(b, &s[i], 1);
	}
	sb_add(b, "'", 1);
}

struct subst {
	const char	*in;		/* the input; NULL: none */
	size_t		 inlen;
	size_t		 seq, slot;	/* from 1 */
	int		 quote;		/* shell: quote inputs */
};

static void
put_value(struct sb *b, const struct subst *v, const char *s, size_t n)
{
	if (v->quote)
		quote(b, s, n);
	else
		sb_add(b, s, n);
}

/* expand - template t with v's values into b. */
static void
expand(struct sb *b, const char *t, const struct subst *v)
{
	const char	*in = v->in ? v->in : "";
	size_t		 n = v->in ? v->inlen : 0, len, bs;
	char		 num[32];
	int		 r;
	struct sb	 d = { 0 };

	for (; *t != '\0'; t++) {
		if ((r = repl_at(t, &len)) < 0) {
			sb_add(b, t, 1);
			continue;
		}
		t += len - 1;
		switch (r) {
		case R_INPUT:
			put_value(b, v, in, n);
			break;
		case R_NOEXT:
			put_value(b, v, in, strip_ext(in, n));
			break;
		case R_BASE:
			bs = base(in, n);
			put_value(b, v, in + bs, n - bs);
			break;
		case R_BASENOEXT:
			bs = base(in, n);
			put_value(b, v, in + bs, strip_ext(in + bs, n - bs));
			break;
		case R_DIR:
			d.len = 0;
			dirname_of(&d, in, n);
			if (d.s != NULL)
				put_value(b, v, d.s, d.len);
			else
				b->oom = 1;
			break;
		case R_SEQ:
		case R_SLOT:
			snprintf(num, sizeof num, "%zu",
			    r == R_SEQ ? v->seq : v->slot);
			sb_str(b, num);
			break;
		}
	}
	free(d.s);
}

/* ---- parameters ---- */

static const struct weft_param spec[] = {
	{ "command", WEFT_P_NODE, WEFT_P_REQUIRED,
	    offsetof(struct exec, command), 0, 0, NULL, NULL },
	{ "shell", WEFT_P_BOOL, 0, offsetof(struct exec, shell), 0, 0, NULL,
	    "false" },
	{ "args", WEFT_P_STRINGS, 0, offsetof(struct exec, args), 0, 0, NULL,
	    NULL },
	{ "args_file", WEFT_P_PATH, 0, offsetof(struct exec, args_file), 0,
	    0, NULL, NULL },
	{ "null_separated", WEFT_P_BOOL, 0,
	    offsetof(struct exec, null_separated), 0, 0, NULL, "false" },
	{ "range", WEFT_P_NODE, 0, offsetof(struct exec, range), 0, 0, NULL,
	    NULL },
	{ "tasks", WEFT_P_INT, 0, offsetof(struct exec, tasks), 1,
	    1000000000, NULL, NULL },
	{ "env", WEFT_P_NODE, 0, offsetof(struct exec, env), 0, 0, NULL,
	    NULL },
	{ "cwd", WEFT_P_PATH, 0, offsetof(struct exec, cwd), 0, 0, NULL,
	    NULL },
	{ "stdin", WEFT_P_PATH, 0, offsetof(struct exec, stdin_path), 0, 0,
	    NULL, "none" },
	{ "timeout", WEFT_P_DURATION, 0, offsetof(struct exec, timeout_ms), 0,
	    0, NULL, "0s" },
	{ "kill_after", WEFT_P_DURATION, 0,
	    offsetof(struct exec, kill_after_ms), 0, 0, NULL, "5s" },
	{ "keep", WEFT_P_INT, 0, offsetof(struct exec, keep), 0, KEEP_MAX,
	    NULL, "65536" },
	{ "output_dir", WEFT_P_PATH, 0, offsetof(struct exec, output_dir), 0,
	    0, NULL, NULL },
	{ "success_exit", WEFT_P_INTS, 0, offsetof(struct exec, success), 0,
	    255, NULL, "0" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static void
exec_free(void *state)
{
	struct exec *x = state;

	if (x == NULL)
		return;
	for (size_t i = 0; i < x->argc; i++)
		free(x->argv[i]);
	free(x->argv);
	free(x->prog);
	for (size_t i = 0; i < x->nenv; i++)
		free(x->envp[i]);
	free(x->envp);
	free(x->file);
	free(x->offs);
	free(x);
}

static int
parse_command(struct exec *x)
{
	const struct weft_params_api	*p = x->h->params;
	const struct weft_node		*n = x->command;
	const char			*s;

	if (p->node_kind(n) == WEFT_NODE_SCALAR) {
		if ((s = p->node_str(n)) == NULL)
			return -1;
		if (!x->shell) {
			p->node_error(n, "a string is a shell command: add "
			    "shell: true to run it with /bin/sh -c, or write "
			    "the argv as a list, e.g. [gzip, -k, \"{}\"]");
			return -1;
		}
		if (*s == '\0') {
			p->node_error(n, "the command is empty");
			return -1;
		}
		x->argc = 1;
	} else if (p->node_kind(n) == WEFT_NODE_SEQ) {
		if (x->shell) {
			p->node_error(n, "shell: true takes the command as "
			    "one string (a shell script), not a list");
			return -1;
		}
		if ((x->argc = p->node_len(n)) == 0) {
			p->node_error(n, "the command is empty: give the "
			    "program and its arguments");
			return -1;
		}
	} else {
		p->node_error(n, "expected the argv as a list, or a string "
		    "with shell: true");
		return -1;
	}
	if ((x->argv = calloc(x->argc, sizeof *x->argv)) == NULL)
		return -1;
	for (size_t i = 0; i < x->argc; i++) {
		const struct weft_node *a = x->argc == 1 &&
		    p->node_kind(n) == WEFT_NODE_SCALAR ? n : p->node_at(n, i);

		if ((s = p->node_str(a)) == NULL ||
		    (x->argv[i] = strdup(s)) == NULL)
			return -1;
		if (uses(s) & 1)
			x->uses_input = 1;
	}
	if (!x->shell && x->argv[0][0] == '\0') {
		p->node_error(p->node_at(n, 0), "the program name is empty");
		return -1;
	}
	return 0;
}

static int
env_set(struct exec *x, const char *name, const char *value)
{
	size_t	 nlen = strlen(name);
	char	*e, **v;

	if (asprintf(&e, "%s=%s", name, value) < 0)
		return -1;
	for (size_t i = 0; i < x->nenv; i++)
		if (strncmp(x->envp[i], name, nlen) == 0 &&
		    x->envp[i][nlen] == '=') {
			free(x->envp[i]);
			x->envp[i] = e;
			return 0;
		}
	/* Room for this one, WEFT_SEQ, WEFT_SLOT and the NULL. */
	if ((v = realloc(x->envp, (x->nenv + 4) * sizeof *v)) == NULL) {
		free(e);
		return -1;
	}
	x->envp = v;
	x->envp[x->nenv++] = e;
	x->envp[x->nenv] = NULL;
	return 0;
}

static int
valid_env_name(const char *s)
{
	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s != '\0'; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

static int
parse_env(struct exec *x)
{
	const struct weft_params_api	*p = x->h->params;
	struct passwd			*pw = getpwuid(geteuid());
	const char			*v;

	if (env_set(x, "PATH", BASE_PATH) != 0 ||
	    env_set(x, "HOME", pw ? pw->pw_dir : "/") != 0 ||
	    env_set(x, "USER", pw ? pw->pw_name : "") != 0 ||
	    env_set(x, "LOGNAME", pw ? pw->pw_name : "") != 0 ||
	    env_set(x, "SHELL", "/bin/sh") != 0 ||
	    env_set(x, "LANG", "C.UTF-8") != 0)
		return -1;
	if (x->env != NULL) {
		if (p->node_kind(x->env) != WEFT_NODE_MAP) {
			p->node_error(x->env, "expected a mapping of "
			    "variable names to values");
			return -1;
		}
		for (size_t i = 0; i < p->node_len(x->env); i++) {
			const char *k = p->node_key(x->env, i);

			if (!valid_env_name(k)) {
				p->node_error(p->node_at(x->env, i), "env: "
				    "\"%s\" is not a variable name (letters, "
				    "digits and _, not starting with a digit)",
				    k);
				return -1;
			}
			if (strncmp(k, "WEFT_", 5) == 0) {
				p->node_error(p->node_at(x->env, i), "env: "
				    "%s: the WEFT_ names are weft's own", k);
				return -1;
			}
			if ((v = p->node_str(p->node_at(x->env, i))) == NULL ||
			    env_set(x, k, v) != 0)
				return -1;
		}
	}
	for (size_t i = 0; i < x->nenv; i++)
		if (strncmp(x->envp[i], "PATH=", 5) == 0)
			x->path = x->envp[i] + 5;
	return 0;
}

/* find_prog - name (no slash) in path; a new string, or NULL (errno). */
static char *
find_prog(const char *path, const char *name)
{
	int	 err = ENOENT;
	char	*full;

	for (const char *d = path; ; ) {
		const char	*e = strchr(d, ':');
		size_t		 dl = e ? (size_t)(e - d) : strlen(d);
		struct stat	 st;

		if (asprintf(&full, "%.*s/%s", (int)dl, dl ? d : ".", name) < 0)
			return NULL;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(full, X_OK) == 0)
				return full;
			err = EACCES;
		}
		free(full);
		if (e == NULL)
			break;
		d = e + 1;
	}
	errno = err;
	return NULL;
}

static int
read_args_file(struct exec *x)
{
	char				 sep = x->null_separated ? '\0' : '\n';
	int				 fd;
	struct stat			 st;
	size_t				 len = 0, cap, count = 0;

	if ((fd = open(x->args_file, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	cap = (size_t)st.st_size + 1;
	if ((x->file = malloc(cap)) == NULL) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r;

		if (len + 1 >= cap) {
			char *q = realloc(x->file, cap * 2);

			if (q == NULL) {
				close(fd);
				return -1;
			}
			x->file = q;
			cap *= 2;
		}
		r = read(fd, x->file + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	/* Every separator ends an input; so does the end of the file. */
	for (size_t i = 0; i < len; i++)
		if (x->file[i] == sep)
			count++;
	if (len > 0 && x->file[len - 1] != sep)
		count++;
	x->file[len] = '\0';
	if ((x->offs = calloc(count ? count : 1, sizeof *x->offs)) == NULL)
		return -1;
	for (size_t i = 0, start = 0; i < len; i++) {
		if (x->file[i] != sep && i + 1 < len)
			continue;
		x->offs[x->ninputs++] = start;
		if (x->file[i] == sep)
			x->file[i] = '\0';
		start = i + 1;
	}
	return 0;
}

static int
parse_range(struct exec *x)
{
	const struct weft_params_api	*p = x->h->params;
	const struct weft_node		*f, *t;
	long long			 to;

	if (p->node_kind(x->range) != WEFT_NODE_MAP) {
		p->node_error(x->range, "expected {from: N, to: M}");
		return -1;
	}
	if (p->allow(x->range, (const char *const[]){ "from", "to", NULL })
	    != 0)
		return -1;
	f = p->get(x->range, "from");
	t = p->get(x->range, "to");
	if (f == NULL || t == NULL) {
		p->node_error(x->range, "range needs both from and to, e.g. "
		    "{from: 1, to: 100}");
		return -1;
	}
	if (p->node_int(f, -1000000000000000000LL, 1000000000000000000LL,
	    &x->from) != 0 || p->node_int(t, -1000000000000000000LL,
	    1000000000000000000LL, &to) != 0)
		return -1;
	if (to < x->from || to - x->from >= 1000000000LL) {
		p->node_error(x->range, "range: from %lld to %lld is %s",
		    x->from, to, to < x->from ? "empty (to is below from)" :
		    "more than 1,000,000,000 tasks");
		return -1;
	}
	x->ninputs = (size_t)(to - x->from + 1);
	return 0;
}

static void *
exec_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	const struct weft_params_api	*p = h->params;
	struct exec			*x;
	struct stat			 st;
	int				 nsrc;

	if ((x = calloc(1, sizeof *x)) == NULL)
		return NULL;
	x->h = h;
	if (p->parse(params, spec, x) != 0 || parse_command(x) != 0 ||
	    parse_env(x) != 0)
		goto bad;
	nsrc = (p->get(params, "args") != NULL) + (x->args_file != NULL) +
	    (x->range != NULL);
	if (nsrc > 1) {
		p->node_error(params, "give one of args, args_file and range, "
		    "not several");
		goto bad;
	}
	if (nsrc == 1 && x->tasks != 0) {
		p->node_error(p->get(params, "tasks"), "tasks goes without "
		    "args, args_file and range: the inputs make the tasks");
		goto bad;
	}
	if (x->null_separated && x->args_file == NULL) {
		p->node_error(p->get(params, "null_separated"),
		    "null_separated is about args_file, which is not given");
		goto bad;
	}
	if (p->get(params, "args") != NULL) {
		x->src = SRC_ARGS;
		x->ninputs = x->args.n;
	} else if (x->args_file != NULL) {
		x->src = SRC_FILE;
		if (read_args_file(x) != 0) {
			p->node_error(p->get(params, "args_file"), "cannot "
			    "read %s: %s", x->args_file, strerror(errno));
			goto bad;
		}
		if (x->ninputs == 0) {
			p->node_error(p->get(params, "args_file"), "%s holds "
			    "no inputs", x->args_file);
			goto bad;
		}
	} else if (x->range != NULL) {
		x->src = SRC_RANGE;
		if (parse_range(x) != 0)
			goto bad;
	} else {
		x->src = SRC_NONE;
		x->ninputs = x->tasks ? (size_t)x->tasks : 1;
	}
	if (x->cwd != NULL && (stat(x->cwd, &st) != 0 ||
	    !S_ISDIR(st.st_mode))) {
		p->node_error(p->get(params, "cwd"), "%s is not a directory",
		    x->cwd);
		goto bad;
	}
	if (x->output_dir != NULL && (stat(x->output_dir, &st) != 0 ||
	    !S_ISDIR(st.st_mode) || access(x->output_dir, W_OK | X_OK) != 0)) {
		p->node_error(p->get(params, "output_dir"), "%s is not a "
		    "directory weft can write to", x->output_dir);
		goto bad;
	}
	if (strcmp(x->stdin_path, "none") == 0)
		x->stdin_path = NULL;
	if (!x->shell && strchr(x->argv[0], '/') == NULL &&
	    !(uses(x->argv[0]) & 2)) {
		/* The same program every time: look it up once.  Not
		 * found is each task's failure, as it would be later. */
		if ((x->prog = find_prog(x->path, x->argv[0])) == NULL)
			x->prog_errno = errno;
	}
	*ntasks = x->ninputs;
	return x;
bad:
	exec_free(x);
	return NULL;
}

/*
 * ctx_init - also makes this process (the runner, or a fork worker) a
 * child subreaper: what a task's program leaves running becomes our
 * child when the program exits, so that its zombie keeps the group's id
 * until we reap it, and a signal to the group can never reach a group
 * that reused the id.
 */
static int
exec_ctx_init(void *state, void **ctx)
{
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L);
	return (*ctx = malloc(sizeof(struct xctx))) != NULL ? 0 : -1;
}

static void
exec_ctx_fini(void *state, void *ctx)
{
	free(ctx);
}

/* ---- children of every task of this process, for a cancel ---- */

static pthread_mutex_t	 kids_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t		*kids;		/* unreaped: their groups are theirs */
static size_t		 nkids, capkids;
static double		 swept_at;	/* when a cancel sent SIGTERM */

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
kids_add(pid_t pid)
{
	pthread_mutex_lock(&kids_mu);
	if (nkids == capkids) {
		size_t	 cap = capkids ? 2 * capkids : 16;
		pid_t	*v = realloc(kids, cap * sizeof *v);

		if (v != NULL) {
			kids = v;
			capkids = cap;
		}
	}
	if (nkids < capkids)
		kids[nkids++] = pid;
	pthread_mutex_unlock(&kids_mu);
}

static void
kids_del(pid_t pid)
{
	pthread_mutex_lock(&kids_mu);
	for (size_t i = 0; i < nkids; i++)
		if (kids[i] == pid) {
			kids[i] = kids[--nkids];
			break;
		}
	pthread_mutex_unlock(&kids_mu);
}

/*
 * sweep - the run is cancelled: SIGTERM every task's process group at
 * once (so that tasks waiting their turn under coro do not each wait
 * kill_after in a row).  Returns when that was.
 */
static double
sweep(void)
{
	double t;

	pthread_mutex_lock(&kids_mu);
	if (swept_at == 0) {
		swept_at = now_mono();
		for (size_t i = 0; i < nkids; i++)
			kill(-kids[i], SIGTERM);
	}
	t = swept_at;
	pthread_mutex_unlock(&kids_mu);
	return t;
}

/* ---- one task's child ---- */

/* The last keep bytes of a stream, in a ring that grows up to keep. */
struct tail {
	char			*buf;
	size_t			 cap, len, start;
	unsigned long long	 total;
};

static void
tail_add(struct tail *t, size_t keep, const char *s, size_t n)
{
	size_t w, first;

	t->total += n;
	if (keep == 0 || n == 0)
		return;
	if (n >= keep) {
		s += n - keep;
		n = keep;
	}
	if (t->start == 0 && t->len + n > t->cap) {
		size_t	 cap = t->cap ? t->cap : 4096;
		char	*p;

		while (cap < t->len + n)
			cap *= 2;
		if (cap > keep)
			cap = keep;
		if ((p = realloc(t->buf, cap)) == NULL)
			return;
		t->buf = p;
		t->cap = cap;
	}
	/* Now cap == keep, or the bytes fit after len. */
	w = (t->start + t->len) % t->cap;
	first = t->cap - w < n ? t->cap - w : n;
	memcpy(t->buf + w, s, first);
	memcpy(t->buf, s + first, n - first);
	if (t->len + n <= t->cap)
		t->len += n;
	else {
		t->len = t->cap;
		t->start = (w + n) % t->cap;
	}
}

/* utf8_len - the length of a valid UTF-8 sequence at s (n bytes
 * left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t	 len;
	unsigned cp;

	if (s[0] < 0x80)
		return s[0] != 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * text - n bytes as UTF-8 for the results: invalid bytes and NULs
 * become U+FFFD; a sequence cut by the start of a tail is dropped.
 */
static char *
text(const char *s, size_t n, int cut)
{
	const unsigned char	*u = (const unsigned char *)s;
	struct sb		 b = { 0 };
	size_t			 i = 0, len;

	if (cut)
		while (i < n && i < 3 && (u[i] & 0xc0) == 0x80)
			i++;
	while (i < n) {
		size_t j = i;

		while (j < n && u[j] >= 0x01 && u[j] < 0x80)
			j++;
		sb_add(&b, s + i, j - i);
		if ((i = j) >= n)
			break;
		if ((len = utf8_len(u + i, n - i)) > 0) {
			sb_add(&b, s + i, len);
			i += len;
		} else {
			sb_add(&b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	return sb_done(&b);
}

static char *
tail_text(const struct tail *t)
{
	char	*lin, *r;

	if (t->len == 0)
		return strdup("");
	if ((lin = malloc(t->len)) == NULL)
		return NULL;
	if (t->start == 0)
		memcpy(lin, t->buf, t->len);
	else {		/* full: from start to the end, then the beginning */
		memcpy(lin, t->buf + t->start, t->cap - t->start);
		memcpy(lin + (t->cap - t->start), t->buf, t->start);
	}
	r = text(lin, t->len, t->total > t->len);
	free(lin);
	return r;
}

struct child {
	pid_t		 pid;
	int		 pidfd, ep;
	int		 fd[2];		/* stdout, stderr pipes; -1: closed */
	struct tail	 tail[2];
	int		 reaped, status;
	struct rusage	 ru;
	double		 t0, t1;
	double		 kill_at;	/* SIGKILL then; 0: not planned */
	double		 give_up_at;	/* stop reading then; 0: never */
	int		 termed, killed, timed_out, cancelled, leftovers;
};

/*
 * group_alive - whether process group pg has a member left, after
 * reaping the ones that died (our children: we are a subreaper).
 */
static int
group_alive(pid_t pg)
{
	while (waitpid(-pg, NULL, WNOHANG) > 0)
		;
	return kill(-pg, 0) == 0;
}

static int
ms_until(double when, double now)
{
	double ms = (when - now) * 1000;

	return ms <= 0 ? 0 : ms > 86400000 ? 86400000 : (int)ms + 1;
}

/* reap - the program has exited: take its status and resources, then
 * see to what is left of its group. */
static void
reap(struct exec *x, struct child *c)
{
	double now;

	kids_del(c->pid);
	while (wait4(c->pid, &c->status, 0, &c->ru) < 0 && errno == EINTR)
		;
	c->reaped = 1;
	c->t1 = now = now_mono();
	epoll_ctl(c->ep, EPOLL_CTL_DEL, c->pidfd, NULL);
	close(c->pidfd);
	c->pidfd = -1;
	/*
	 * Its group may outlive it (a process it left running in the
	 * background).  The group keeps its id while any member lives or
	 * is our unreaped zombie, so the signals below reach no one else.
	 */
	if (group_alive(c->pid)) {
		kill(-c->pid, SIGTERM);
		c->leftovers = 1;
		if (c->kill_at == 0 || c->kill_at > now + x->kill_after_ms / 1e3)
			c->kill_at = now + x->kill_after_ms / 1e3;
		c->give_up_at = c->kill_at + 1;
	} else
		c->give_up_at = now + x->kill_after_ms / 1e3;
}

static void
drain(struct exec *x, struct xctx *xc, struct child *c, int which)
{
	/* A bounded number of reads, so one noisy task cannot starve the
	 * other coroutines of its loop; the rest is read next time. */
	for (int i = 0; i < 16 && c->fd[which] >= 0; i++) {
		ssize_t n = read(c->fd[which], xc->buf, sizeof xc->buf);

		if (n > 0) {
			tail_add(&c->tail[which], (size_t)x->keep, xc->buf,
			    (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(c->fd[which]);	/* EOF (or an error: the same) */
		c->fd[which] = -1;
	}
}

/* wait_child - run c to its end: read its output, time it out. */
static void
wait_child(struct exec *x, struct xctx *xc, struct weft_task *t,
    struct child *c)
{
	const struct weft_task_api	*ta = x->h->task;
	double				 deadline = x->timeout_ms > 0 ?
					    c->t0 + x->timeout_ms / 1e3 : 0;

	for (;;) {
		double			 now = now_mono(), next = 0;
		struct epoll_event	 ev[3];
		int			 n, tmo, open = c->fd[0] >= 0 ||
					    c->fd[1] >= 0;

		if (!c->reaped && deadline > 0 && !c->termed &&
		    now >= deadline) {
			c->timed_out = c->termed = 1;
			kill(-c->pid, SIGTERM);
			c->kill_at = now + x->kill_after_ms / 1e3;
		}
		if (c->kill_at > 0 && !c->killed && now >= c->kill_at &&
		    (!c->reaped || c->leftovers)) {
			kill(-c->pid, SIGKILL);
			c->killed = 1;
		}
		if (c->reaped) {
			int gone = !c->leftovers || !group_alive(c->pid);

			if (gone)
				c->leftovers = 0;
			if (open && now >= c->give_up_at) {
				/* Someone outside the group holds the pipes. */
				for (int i = 0; i < 2; i++)
					if (c->fd[i] >= 0) {
						close(c->fd[i]);
						c->fd[i] = -1;
					}
				open = 0;
			}
			if (!open && (gone || now >= c->give_up_at))
				break;
		}
#define SOONER(w) do { if ((w) > 0 && (next == 0 || (w) < next)) \
		next = (w); } while (0)
		if (!c->reaped && !c->termed)
			SOONER(deadline);
		if (!c->killed)
			SOONER(c->kill_at);
		if (c->reaped && open)
			SOONER(c->give_up_at);
#undef SOONER
		tmo = next > 0 ? ms_until(next, now) : -1;
		if (c->reaped && !open && (tmo < 0 || tmo > 20))
			tmo = 20;	/* leftovers without pipes: poll */
		if (!c->cancelled) {
			n = ta->wait_fd(t, c->ep, WEFT_READ, tmo);
			if (n < 0) {
				double at = sweep();

				c->cancelled = 1;
				if (!c->reaped && !c->termed) {
					c->termed = 1;
					kill(-c->pid, SIGTERM);
				}
				if (c->kill_at == 0 || c->kill_at > at +
				    x->kill_after_ms / 1e3)
					c->kill_at = at + x->kill_after_ms / 1e3;
				continue;
			}
		} else {
			/* Cancelled: wait_fd answers -1 from now on, so wait
			 * here; every group got SIGTERM at once (sweep). */
			struct pollfd pfd = { .fd = c->ep, .events = POLLIN };

			(void)poll(&pfd, 1, tmo);
		}
		n = epoll_wait(c->ep, ev, 3, 0);
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == c->pidfd)
				continue;
			drain(x, xc, c, fd == c->fd[0] ? 0 : 1);
		}
		/* Read what it wrote before it exited, then reap it. */
		for (int i = 0; i < n; i++)
			if (ev[i].data.fd == c->pidfd && !c->reaped) {
				reap(x, c);
				break;
			}
	}
}

/* ---- the task ---- */

struct argv {
	char	**v;
	size_t	  n;
};

static void
argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* build_argv - the task's argv; -1 if out of memory. */
static int
build_argv(struct exec *x, const struct subst *v, struct argv *a)
{
	size_t n = x->shell ? 3 : x->argc + (v->in != NULL && !x->uses_input);

	if ((a->v = calloc(n + 1, sizeof *a->v)) == NULL)
		return -1;
	a->n = n;
	if (x->shell) {
		struct sb b = { 0 };

		expand(&b, x->argv[0], v);
		if (v->in != NULL && !x->uses_input) {
			sb_add(&b, " ", 1);
			quote(&b, v->in, v->inlen);
		}
		a->v[0] = strdup("/bin/sh");
		a->v[1] = strdup("-c");
		a->v[2] = sb_done(&b);
	} else {
		struct subst raw = *v;

		raw.quote = 0;
		for (size_t i = 0; i < x->argc; i++) {
			struct sb b = { 0 };

			expand(&b, x->argv[i], &raw);
			a->v[i] = sb_done(&b);
		}
		if (v->in != NULL && !x->uses_input)
			a->v[x->argc] = strndup(v->in, v->inlen);
	}
	for (size_t i = 0; i < n; i++)
		if (a->v[i] == NULL)
			return -1;
	return 0;
}

static const char *
input_of(struct exec *x, size_t idx, char *num, size_t numlen, size_t *len)
{
	const char *s;

	switch (x->src) {
	case SRC_ARGS:
		s = x->args.v[idx];
		break;
	case SRC_FILE:
		s = x->file + x->offs[idx];
		break;
	case SRC_RANGE:
		snprintf(num, numlen, "%lld", x->from + (long long)idx);
		s = num;
		break;
	default:
		return NULL;
	}
	*len = strlen(s);
	return s;
}

/* out_open - a temporary file for stream which of task seq in
 * output_dir; its name in *tmp. */
static int
out_open(struct exec *x, size_t seq, int which, char **tmp)
{
	int fd;

	if (asprintf(tmp, "%s/.%zu.%s.XXXXXX", x->output_dir, seq,
	    which ? "err" : "out") < 0)
		return -1;
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0) {
		free(*tmp);
		*tmp = NULL;
	}
	return fd;
}

/* file_tail - the last keep bytes of the file fd, as text. */
static char *
file_tail(struct exec *x, int fd, unsigned long long *total)
{
	struct stat	 st;
	size_t		 n;
	off_t		 off;
	char		*buf, *r;
	ssize_t		 got;

	if (fstat(fd, &st) != 0)
		return NULL;
	*total = (unsigned long long)st.st_size;
	n = (size_t)st.st_size < (size_t)x->keep ? (size_t)st.st_size :
	    (size_t)x->keep;
	off = st.st_size - (off_t)n;
	if ((buf = malloc(n + 1)) == NULL)
		return NULL;
	got = n ? pread(fd, buf, n, off) : 0;
	r = text(buf, got > 0 ? (size_t)got : 0, off > 0);
	free(buf);
	return r;
}

static const char *
sig_name(int sig, char *buf, size_t len)
{
	const char *s = sigabbrev_np(sig);

	if (s != NULL)
		snprintf(buf, len, "SIG%s", s);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

static int
exec_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct exec			*x = state;
	struct xctx			*xc = ctx;
	const struct weft_task_api	*ta = x->h->task;
	struct subst			 v = { 0 };
	struct argv			 a = { 0 };
	struct child			 c = { .pidfd = -1, .ep = -1,
					    .fd = { -1, -1 } };
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 none, all;
	char				 num[32], *prog = NULL, *tmp[2] = { 0 };
	char				*sin = NULL, seqv[48], slotv[48];
	int				 pipes[2][2] = { { -1, -1 }, { -1, -1 } };
	int				 out[2] = { -1, -1 }, infd = -1, rc, ok;
	int				 fa_ready = 0;
	size_t				 nenv = x->nenv;
	const char			*why = NULL;

	v.in = input_of(x, idx, num, sizeof num, &v.inlen);
	v.seq = idx + 1;
	v.slot = (WEFT_HAS(ta, lane) ? ta->lane(t) : ta->worker(t)) + 1;
	v.quote = x->shell;
	if (v.in != NULL) {
		char *s = text(v.in, v.inlen, 0);

		ta->result_str(t, "input", s ? s : "");
		free(s);
	}
	if (ta->cancelled(t))
		return ta->fail(t, "cancelled before it started");
	if (build_argv(x, &v, &a) != 0) {
		rc = ta->fail(t, "out of memory");
		goto out;
	}

	/* The program: found once at init, or now. */
	if (x->shell || strchr(a.v[0], '/') != NULL)
		prog = strdup(a.v[0]);
	else if (x->prog != NULL)
		prog = strdup(x->prog);
	else if (x->prog_errno != 0)
		errno = x->prog_errno;
	else
		prog = find_prog(x->path, a.v[0]);
	if (prog == NULL) {
		ta->result_str(t, "reason", "spawn");
		rc = ta->fail(t, "cannot run %s: %s in PATH=%s", a.v[0],
		    errno == EACCES ? "not executable (permission denied)" :
		    "not found", x->path);
		goto out;
	}

	/* Its stdin, relative to cwd as it would be in a shell. */
	if (x->stdin_path != NULL) {
		struct sb	 b = { 0 };
		struct subst	 raw = v;

		raw.quote = 0;
		if (x->cwd != NULL && *x->stdin_path != '/') {
			sb_str(&b, x->cwd);
			sb_str(&b, "/");
		}
		expand(&b, x->stdin_path, &raw);
		if ((sin = sb_done(&b)) == NULL ||
		    (infd = open(sin, O_RDONLY | O_CLOEXEC)) < 0) {
			ta->result_str(t, "reason", "spawn");
			rc = ta->fail(t, "cannot open stdin %s: %s", sin ? sin :
			    x->stdin_path, strerror(errno));
			goto out;
		}
	}

	/* Its stdout and stderr: files in output_dir, or pipes to us. */
	for (int i = 0; i < 2; i++) {
		if (x->output_dir != NULL) {
			if ((out[i] = out_open(x, v.seq, i, &tmp[i])) < 0) {
				ta->result_str(t, "reason", "output");
				rc = ta->fail(t, "cannot create a file in %s: %s",
				    x->output_dir, strerror(errno));
				goto out;
			}
		} else if (pipe2(pipes[i], O_CLOEXEC) != 0) {
			rc = ta->fail(t, "pipe: %s", strerror(errno));
			goto out;
		}
	}

	/* WEFT_SEQ and WEFT_SLOT after the base environment. */
	snprintf(seqv, sizeof seqv, "WEFT_SEQ=%zu", v.seq);
	snprintf(slotv, sizeof slotv, "WEFT_SLOT=%zu", v.slot);
	{
		char *envp[x->nenv + 3];

		memcpy(envp, x->envp, x->nenv * sizeof *envp);
		envp[nenv] = seqv;
		envp[nenv + 1] = slotv;
		envp[nenv + 2] = NULL;

		posix_spawn_file_actions_init(&fa);
		fa_ready = 1;
		if (x->cwd != NULL)
			posix_spawn_file_actions_addchdir_np(&fa, x->cwd);
		if (infd >= 0)
			posix_spawn_file_actions_adddup2(&fa, infd, 0);
		else
			posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
			    O_RDONLY, 0);
		for (int i = 0; i < 2; i++)
			posix_spawn_file_actions_adddup2(&fa, out[i] >= 0 ?
			    out[i] : pipes[i][1], 1 + i);
		posix_spawn_file_actions_addclosefrom_np(&fa, 3);
		posix_spawnattr_init(&attr);
		sigemptyset(&none);
		sigfillset(&all);
		posix_spawnattr_setsigmask(&attr, &none);
		posix_spawnattr_setsigdefault(&attr, &all);
		posix_spawnattr_setpgroup(&attr, 0);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
		    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
		c.t0 = now_mono();
		rc = posix_spawn(&c.pid, prog, &fa, &attr, a.v, envp);
		posix_spawnattr_destroy(&attr);
	}
	for (int i = 0; i < 2; i++)
		if (pipes[i][1] >= 0) {
			close(pipes[i][1]);
			pipes[i][1] = -1;
		}
	if (rc != 0) {
		ta->result_str(t, "reason", "spawn");
		rc = ta->fail(t, "cannot run %s%s%s: %s", prog,
		    x->cwd ? " in " : "", x->cwd ? x->cwd : "", strerror(rc));
		goto out;
	}
	kids_add(c.pid);
	if ((c.pidfd = (int)syscall(SYS_pidfd_open, c.pid, 0)) < 0 ||
	    (c.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		/* Cannot watch it: do not leave it running unwatched. */
		why = strerror(errno);
		kill(-c.pid, SIGKILL);
		kids_del(c.pid);
		while (waitpid(c.pid, NULL, 0) < 0 && errno == EINTR)
			;
		rc = ta->fail(t, "cannot watch process %ld: %s", (long)c.pid,
		    why);
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		if ((c.fd[i] = pipes[i][0]) < 0)
			continue;
		pipes[i][0] = -1;
		fcntl(c.fd[i], F_SETFL, O_NONBLOCK);
		ev.data.fd = c.fd[i];
		epoll_ctl(c.ep, EPOLL_CTL_ADD, c.fd[i], &ev);
	}
	{
		struct epoll_event ev = { .events = EPOLLIN,
		    .data.fd = c.pidfd };

		epoll_ctl(c.ep, EPOLL_CTL_ADD, c.pidfd, &ev);
	}
	wait_child(x, xc, t, &c);

	/* Results. */
	ta->result_num(t, "wall_s", c.t1 - c.t0);
	ta->result_num(t, "cpu_s", (double)c.ru.ru_utime.tv_sec +
	    (double)c.ru.ru_utime.tv_usec / 1e6 +
	    (double)c.ru.ru_stime.tv_sec + (double)c.ru.ru_stime.tv_usec / 1e6);
	ta->result_int(t, "max_rss_kb", c.ru.ru_maxrss);
	for (int i = 0; i < 2; i++) {
		static const char *const key[] = { "stdout", "stderr" };
		static const char *const bytes[] = { "stdout_bytes",
		    "stderr_bytes" };
		unsigned long long	 total = c.tail[i].total;
		char			*s = out[i] >= 0 ?
					    file_tail(x, out[i], &total) :
					    tail_text(&c.tail[i]);

		ta->result_str(t, key[i], s ? s : "");
		ta->result_int(t, bytes[i], (long long)total);
		free(s);
	}
	for (int i = 0; i < 2 && why == NULL; i++) {
		char name[64];

		if (tmp[i] == NULL)
			continue;
		snprintf(name, sizeof name, "%s/%zu.%s", x->output_dir, v.seq,
		    i ? "err" : "out");
		if (close(out[i]) != 0 || (out[i] = -1, rename(tmp[i],
		    name) != 0))
			why = strerror(errno);
		out[i] = -1;
	}
	if (WIFSIGNALED(c.status)) {
		char sn[32];

		ta->result_str(t, "signal", sig_name(WTERMSIG(c.status), sn,
		    sizeof sn));
	} else
		ta->result_int(t, "exit", WEXITSTATUS(c.status));
	ok = 0;
	if (WIFEXITED(c.status))
		for (size_t i = 0; i < x->success.n; i++)
			if (x->success.v[i] == WEXITSTATUS(c.status))
				ok = 1;
	if (c.timed_out) {
		ta->result_str(t, "reason", "timeout");
		rc = ta->fail(t, "timed out after %.3gs: SIGTERM to its "
		    "process group%s", x->timeout_ms / 1e3, c.killed ?
		    ", then SIGKILL" : "");
	} else if (c.cancelled && !ok)
		rc = ta->fail(t, "cancelled: SIGTERM to its process group%s",
		    c.killed ? ", then SIGKILL" : "");
	else if (WIFSIGNALED(c.status)) {
		char sn[32];

		ta->result_str(t, "reason", "signal");
		rc = ta->fail(t, "killed by %s%s", sig_name(WTERMSIG(c.status),
		    sn, sizeof sn), WCOREDUMP(c.status) ? " (core dumped)" :
		    "");
	} else if (!ok) {
		ta->result_str(t, "reason", "exit");
		rc = ta->fail(t, "exit status %d", WEXITSTATUS(c.status));
	} else if (why != NULL) {
		ta->result_str(t, "reason", "output");
		rc = ta->fail(t, "cannot save its output in %s: %s",
		    x->output_dir, why);
	} else
		rc = WEFT_TASK_OK;
out:
	if (fa_ready)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (pipes[i][0] >= 0)
			close(pipes[i][0]);
		if (pipes[i][1] >= 0)
			close(pipes[i][1]);
		if (c.fd[i] >= 0)
			close(c.fd[i]);
		if (out[i] >= 0) {	/* not renamed: the task failed */
			close(out[i]);
			unlink(tmp[i]);
		}
		free(tmp[i]);
		free(c.tail[i].buf);
	}
	if (c.pidfd >= 0)
		close(c.pidfd);
	if (c.ep >= 0)
		close(c.ep);
	if (infd >= 0)
		close(infd);
	free(sin);
	free(prog);
	argv_free(&a);
	return rc;
}

static const char *const exec_sums[] = { "cpu_s", NULL };
static const char *const exec_counts[] = { "exit", "signal", "reason",
    NULL };

static const struct weft_workload_ops exec_ops = {
	.init = exec_init,
	.ctx_init = exec_ctx_init,
	.ctx_fini = exec_ctx_fini,
	.task = exec_task,
	.fini = exec_free,
	.sum_keys = exec_sums,
	.count_keys = exec_counts,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "exec",
	.version = "1.0",
	.summary = "run a program once per input (GNU parallel's {} "
	    "replacement strings), with timeouts and its output kept",
	.traits = WEFT_TRAIT_IO_BOUND | WEFT_TRAIT_PROCESSES,
	.ops = &exec_ops,
	.params = spec,
};
