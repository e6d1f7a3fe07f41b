/*
 * workload-redis.c - write the lines of a file into Redis, `SET key
 * line`, pipelined, without losing a line.
 *
 * The Python example runs 8 processes that each read the whole file and
 * keep the lines with n % 8 == i, one round trip per line.  Here each
 * task is a shard of contiguous lines (the file is mapped once and
 * indexed, so a shard reads only its own part, sequentially), and keeps
 * up to `pipeline` commands in flight on one connection.
 *
 * The shard logic is written once; only the transport differs:
 *  - with an event loop (coro): hiredis's async API on the loop through
 *    its libevent adapter; each shard is a coroutine that parks until
 *    enough of its pipeline has been answered;
 *  - otherwise: a hiredis context driven through weft's wait_fd, which
 *    blocks the thread or worker process; connections are kept per
 *    execution context and reused by the next shard.
 *
 * Nothing lost: replies come in order, so the shard knows exactly which
 * commands Redis acknowledged.  If the connection drops (Redis restarts,
 * a timeout), it reconnects with backoff and sends again every command
 * without a reply (SET is idempotent).  Error replies (OOM, WRONGTYPE,
 * NOAUTH, READONLY, ...) are counted with the first line that got one.
 *
 * params:
 *   file:       the file (required)
 *   host, port: Redis over TCP (default 127.0.0.1:6379)
 *   unix:       Redis over a Unix socket (instead of host/port)
 *   db:         SELECT this database first
 *   username, password: AUTH
 *   key:        key format, {n} is the 0-based line number (default {n})
 *   shards:     number of tasks (default 8, as in the Python example)
 *   pipeline:   commands in flight per connection (default 1000)
 *   ttl:        SET ... EX ttl (seconds)
 *   verify:     after writing, STRLEN every key of the shard and compare
 *               it with its line's length (default false)
 *   retry_for:  how long to keep reconnecting before failing (10s)
 *   timeout:    a reply later than this counts as a lost connection (5s)
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include <weft/weft-plugin.h>

extern const struct weft_plugin weft_plugin;

struct rd {
	const struct weft_host	*h;
	const char		*data;	/* the mapped file */
	size_t			 size;
	size_t			*line;	/* start of each line; line[n] = end */
	size_t			 nlines;
	size_t			 nshards;
	char			*host, *unixpath, *username, *password;
	char			*key_prefix, *key_suffix;	/* around {n} */
	long long		 port, db, pipeline, ttl;
	long long		 retry_for_ms, timeout_ms;
	int			 verify;
};

/* Idle connections of one execution context. */
struct rctx {
	redisContext	**idle;
	size_t		  nidle, cap;
};

/* ---- parameters and the file ---- */

static char *
opt_str(const struct weft_host *h, const struct weft_node *params,
    const char *key, const char *def, int *bad)
{
	const struct weft_node	*n = h->param(params, key);
	const char		*s;

	if (n == NULL)
		return def ? strdup(def) : NULL;
	if ((s = h->node_str(n)) == NULL) {
		*bad = 1;
		return NULL;
	}
	return strdup(s);
}

static int
index_lines(struct rd *d)
{
	size_t n = 0, cap = 1024;

	if ((d->line = malloc(cap * sizeof *d->line)) == NULL)
		return -1;
	for (size_t off = 0; off < d->size;) {
		const char	*nl = memchr(d->data + off, '\n', d->size - off);
		size_t		 next = nl ? (size_t)(nl - d->data) + 1 : d->size;

		if (n + 2 > cap) {
			size_t *v = realloc(d->line, 2 * cap * sizeof *v);

			if (v == NULL)
				return -1;
			d->line = v;
			cap *= 2;
		}
		d->line[n++] = off;
		off = next;
	}
	d->line[n] = d->size;
	d->nlines = n;
	return 0;
}

static void
rd_free(void *state)
{
	struct rd *d = state;

	if (d->data != NULL && d->size != 0)
		munmap((void *)d->data, d->size);
	free(d->line);
	free(d->host);
	free(d->unixpath);
	free(d->username);
	free(d->password);
	free(d->key_prefix);
	free(d->key_suffix);
	free(d);
}

static void *
rd_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	static const char *const keys[] = { "file", "host", "port", "unix",
	    "db", "username", "password", "key", "shards", "pipeline", "ttl",
	    "verify", "retry_for", "timeout", NULL };
	const struct weft_node	*n, *fn;
	struct rd		*d;
	struct stat		 st;
	const char		*path, *brace;
	char			*key;
	int			 bad = 0, fd;
	long long		 shards = 0;

	if (params == NULL || (fn = h->param(params, "file")) == NULL) {
		if (params != NULL)
			h->node_error(params, "file: missing; name the file "
			    "whose lines go to Redis");
		else
			h->log(&weft_plugin, WEFT_LOG_ERR, "params: give file");
		return NULL;
	}
	if (h->params_allow(params, keys) != 0 ||
	    (path = h->node_str(fn)) == NULL)
		return NULL;
	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	d->h = h;
	d->port = 6379;
	d->pipeline = 1000;
	d->retry_for_ms = 10000;
	d->timeout_ms = 5000;
	d->db = -1;
	d->host = opt_str(h, params, "host", "127.0.0.1", &bad);
	d->unixpath = opt_str(h, params, "unix", NULL, &bad);
	d->username = opt_str(h, params, "username", NULL, &bad);
	d->password = opt_str(h, params, "password", NULL, &bad);
	key = opt_str(h, params, "key", "{n}", &bad);
	if (key != NULL) {
		if ((brace = strstr(key, "{n}")) == NULL) {
			h->node_error(h->param(params, "key"), "the key format "
			    "must contain {n} (the line number), got \"%s\"",
			    key);
			bad = 1;
		} else {
			d->key_prefix = strndup(key, (size_t)(brace - key));
			d->key_suffix = strdup(brace + 3);
		}
		free(key);
	}
	if ((n = h->param(params, "port")) != NULL &&
	    h->node_int(n, 1, 65535, &d->port) != 0)
		bad = 1;
	if ((n = h->param(params, "db")) != NULL &&
	    h->node_int(n, 0, 1000000, &d->db) != 0)
		bad = 1;
	if ((n = h->param(params, "shards")) != NULL &&
	    h->node_int(n, 1, 100000, &shards) != 0)
		bad = 1;
	if ((n = h->param(params, "pipeline")) != NULL &&
	    h->node_int(n, 1, 1000000, &d->pipeline) != 0)
		bad = 1;
	if ((n = h->param(params, "ttl")) != NULL &&
	    h->node_int(n, 1, LLONG_MAX / 1000, &d->ttl) != 0)
		bad = 1;
	if ((n = h->param(params, "retry_for")) != NULL &&
	    h->node_duration_ms(n, &d->retry_for_ms) != 0)
		bad = 1;
	if ((n = h->param(params, "timeout")) != NULL &&
	    h->node_duration_ms(n, &d->timeout_ms) != 0)
		bad = 1;
	if ((n = h->param(params, "verify")) != NULL) {
		const char *s = h->node_str(n);

		if (s != NULL && (strcmp(s, "true") == 0 ||
		    strcmp(s, "yes") == 0))
			d->verify = 1;
		else if (s == NULL || (strcmp(s, "false") != 0 &&
		    strcmp(s, "no") != 0)) {
			if (s != NULL)
				h->node_error(n, "expected true or false, got "
				    "\"%s\"", s);
			bad = 1;
		}
	}
	if (bad) {
		rd_free(d);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		h->node_error(fn, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		rd_free(d);
		return NULL;
	}
	d->size = (size_t)st.st_size;
	if (d->size != 0) {
		d->data = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (d->data == MAP_FAILED) {
			h->node_error(fn, "cannot map %s: %s", path,
			    strerror(errno));
			d->data = NULL;
			close(fd);
			rd_free(d);
			return NULL;
		}
		madvise((void *)d->data, d->size, MADV_SEQUENTIAL);
	}
	close(fd);
	if (index_lines(d) != 0) {
		rd_free(d);
		return NULL;
	}
	d->nshards = shards ? (size_t)shards : 8;
	if (d->nshards > d->nlines)
		d->nshards = d->nlines ? d->nlines : 1;
	*ntasks = d->nlines ? d->nshards : 0;
	return d;
}

/* ---- connections ---- */

static int
rd_ctx_init(void *state, void **ctx)
{
	return (*ctx = calloc(1, sizeof(struct rctx))) == NULL ? -1 : 0;
}

static void
rd_ctx_fini(void *state, void *ctx)
{
	struct rctx *c = ctx;

	while (c->nidle > 0)
		redisFree(c->idle[--c->nidle]);
	free(c->idle);
	free(c);
}

/* A shard at work. */
struct shard {
	struct rd		*d;
	struct weft_task	*t;
	redisContext		*c;		/* blocking transport */
	redisAsyncContext	*ac;		/* loop transport */
	int			 connected, lost, fatal, waiting;
	size_t			 lo, hi;	/* its lines */
	size_t			 sent, acked;	/* next to send / to ack */
	int			 verifying;
	long long		 errors, mismatches, reconnects, bytes;
	long long		 reported;	/* lines told to progress */
	char			 first_error[256];
	char			 why[512];	/* why the last attempt failed */
};

/* flush - write hiredis's output buffer out, waiting as needed. */
static int
flush(struct shard *s)
{
	int done = 0;

	while (!done) {
		if (redisBufferWrite(s->c, &done) != REDIS_OK)
			return -1;
		if (!done && s->d->h->wait_fd(s->t, s->c->fd, WEFT_WRITE,
		    (int)s->d->timeout_ms) <= 0)
			return -1;
	}
	return 0;
}

/* reply - the next reply, waiting for it.  NULL: connection trouble. */
static redisReply *
reply(struct shard *s)
{
	void	*r = NULL;
	int	 ev;

	for (;;) {
		if (redisGetReplyFromReader(s->c, &r) != REDIS_OK)
			return NULL;
		if (r != NULL)
			return r;
		ev = s->d->h->wait_fd(s->t, s->c->fd, WEFT_READ,
		    (int)s->d->timeout_ms);
		if (ev <= 0) {
			snprintf(s->why, sizeof s->why, ev == 0 ? "no reply "
			    "within %lld ms" : "cancelled", s->d->timeout_ms);
			return NULL;
		}
		if (redisBufferRead(s->c) != REDIS_OK)
			return NULL;
	}
}

/* command - send one command and wait for its reply (AUTH, SELECT). */
static redisReply *
command(struct shard *s, int argc, const char **argv)
{
	if (redisAppendCommandArgv(s->c, argc, argv, NULL) != REDIS_OK ||
	    flush(s) != 0)
		return NULL;
	return reply(s);
}

/* connect_once - a new connection, authenticated and on the right db. */
static int
connect_once(struct shard *s)
{
	struct rd	*d = s->d;
	redisContext	*c;
	redisReply	*r;
	int		 err = 0;
	socklen_t	 len = sizeof err;
	char		 db[32];

	c = d->unixpath ? redisConnectUnixNonBlock(d->unixpath) :
	    redisConnectNonBlock(d->host, (int)d->port);
	if (c == NULL || c->err) {
		snprintf(s->why, sizeof s->why, "%s", c ? c->errstr :
		    "out of memory");
		redisFree(c);
		return -1;
	}
	s->c = c;
	/* A non-blocking connect completes when the socket is writable. */
	if (d->h->wait_fd(s->t, c->fd, WEFT_WRITE, (int)d->timeout_ms) <= 0 ||
	    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
		snprintf(s->why, sizeof s->why, "connect to %s%s%lld: %s",
		    d->unixpath ? d->unixpath : d->host, d->unixpath ? "" : ":",
		    d->unixpath ? 0LL : d->port, err ? strerror(err) :
		    "timed out");
		if (d->unixpath)
			snprintf(s->why, sizeof s->why, "connect to %s: %s",
			    d->unixpath, err ? strerror(err) : "timed out");
		goto fail;
	}
	if (d->password != NULL) {
		const char *argv[3] = { "AUTH", d->username ? d->username :
		    d->password, d->password };

		if ((r = command(s, d->username ? 3 : 2, argv)) == NULL)
			goto lost;
		if (r->type == REDIS_REPLY_ERROR) {
			snprintf(s->why, sizeof s->why, "AUTH failed: %s",
			    r->str);
			freeReplyObject(r);
			goto fatal;
		}
		freeReplyObject(r);
	}
	if (d->db >= 0) {
		const char *argv[2] = { "SELECT", db };

		snprintf(db, sizeof db, "%lld", d->db);
		if ((r = command(s, 2, argv)) == NULL)
			goto lost;
		if (r->type == REDIS_REPLY_ERROR) {
			snprintf(s->why, sizeof s->why, "SELECT %lld failed: "
			    "%s", d->db, r->str);
			freeReplyObject(r);
			goto fatal;
		}
		freeReplyObject(r);
	}
	return 0;
lost:
	if (s->why[0] == '\0' || s->c->err)
		snprintf(s->why, sizeof s->why, "%s", s->c->err ?
		    s->c->errstr : "connection lost");
fail:
	redisFree(s->c);
	s->c = NULL;
	return -1;
fatal:
	redisFree(s->c);
	s->c = NULL;
	return -2;
}

/*
 * reconnect - connect, retrying with backoff (50 ms doubling to 1 s)
 * for retry_for.  0, -1 (gave up: s->why), -2 (refused for good).
 */
static int
reconnect(struct shard *s)
{
	long long	waited = 0, backoff = 50;
	int		rc;

	if (s->c != NULL) {
		redisFree(s->c);
		s->c = NULL;
	}
	for (;;) {
		s->why[0] = '\0';
		if ((rc = connect_once(s)) != -1)
			return rc;
		if (s->d->h->cancelled(s->t) || waited >= s->d->retry_for_ms)
			return -1;
		if (s->d->h->sleep_ms(s->t, backoff) != 0)
			return -1;
		waited += backoff;
		backoff = backoff * 2 > 1000 ? 1000 : backoff * 2;
	}
}

static void	on_reply(redisAsyncContext *, void *, void *);

static int
append_line(struct shard *s, size_t n)
{
	struct rd	*d = s->d;
	const char	*line = d->data + d->line[n];
	size_t		 len = d->line[n + 1] - d->line[n];
	char		 key[512], ttl[32];
	const char	*argv[5];
	size_t		 argvlen[5];
	int		 argc;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	argvlen[1] = (size_t)snprintf(key, sizeof key, "%s%zu%s",
	    d->key_prefix, n, d->key_suffix);
	if (argvlen[1] >= sizeof key)
		argvlen[1] = sizeof key - 1;
	argv[1] = key;
	if (s->verifying) {
		argv[0] = "STRLEN";
		argvlen[0] = 6;
		argc = 2;
	} else {
		argv[0] = "SET";
		argvlen[0] = 3;
		argv[2] = line;
		argvlen[2] = len;
		argc = 3;
		if (d->ttl) {
			argv[3] = "EX";
			argvlen[3] = 2;
			argvlen[4] = (size_t)snprintf(ttl, sizeof ttl, "%lld",
			    d->ttl);
			argv[4] = ttl;
			argc = 5;
		}
		s->bytes += (long long)len;
	}
	if (s->ac != NULL)
		return redisAsyncCommandArgv(s->ac, on_reply, NULL, argc, argv,
		    argvlen) == REDIS_OK ? 0 : -1;
	return redisAppendCommandArgv(s->c, argc, argv, argvlen) == REDIS_OK ?
	    0 : -1;
}

/* check - what the reply to line n's command says. */
static void
check(struct shard *s, size_t n, redisReply *r)
{
	struct rd *d = s->d;

	if (r->type == REDIS_REPLY_ERROR) {
		if (s->errors++ == 0)
			snprintf(s->first_error, sizeof s->first_error,
			    "line %zu: %s", n, r->str);
		return;
	}
	if (s->verifying) {
		size_t len = d->line[n + 1] - d->line[n];

		if (len > 0 && d->data[d->line[n + 1] - 1] == '\n')
			len--;
		if (r->type != REDIS_REPLY_INTEGER ||
		    (size_t)r->integer != len) {
			if (s->mismatches++ == 0 && s->errors == 0)
				snprintf(s->first_error, sizeof
				    s->first_error, "line %zu: key holds %lld "
				    "bytes, the line has %zu", n,
				    r->type == REDIS_REPLY_INTEGER ?
				    r->integer : -1LL, len);
		}
	}
}

/* report_progress - tell weft how many more lines are written. */
static void
report_progress(struct shard *s)
{
	if (s->verifying)
		return;
	s->d->h->progress(s->t, (long long)(s->acked - s->lo) - s->reported,
	    0);
	s->reported = (long long)(s->acked - s->lo);
}

/*
 * run_phase - send every line's command and take every reply, keeping
 * `pipeline` in flight; on connection trouble reconnect and send again
 * what has no reply.  0, or -1 with s->why.
 */
static int
run_phase(struct shard *s, struct event_base *unused)
{
	struct rd		*d = s->d;
	const struct weft_host	*h = d->h;
	int			 rc;

	s->sent = s->acked = s->lo;
	while (s->acked < s->hi) {
		redisReply *r;

		if (h->cancelled(s->t)) {
			snprintf(s->why, sizeof s->why, "cancelled");
			return -1;
		}
		if (s->c == NULL) {
			if ((rc = reconnect(s)) != 0)
				return -1;
			s->sent = s->acked;	/* resend what has no reply */
		}
		while (s->sent < s->hi &&
		    s->sent - s->acked < (size_t)d->pipeline)
			if (append_line(s, s->sent++) != 0)
				break;
		if (flush(s) != 0 || (r = reply(s)) == NULL) {
			if (h->cancelled(s->t))
				continue;
			h->log(&weft_plugin, WEFT_LOG_WARN, "shard %zu: lost "
			    "the connection at line %zu (%s); reconnecting",
			    h->task_index(s->t), s->acked, s->c->err ?
			    s->c->errstr : s->why);
			s->reconnects++;
			redisFree(s->c);
			s->c = NULL;
			continue;
		}
		check(s, s->acked++, r);
		freeReplyObject(r);
		/* Take every reply already here before writing more. */
		while (s->acked < s->sent) {
			void *more = NULL;

			if (redisGetReplyFromReader(s->c, &more) != REDIS_OK ||
			    more == NULL)
				break;
			check(s, s->acked++, more);
			freeReplyObject(more);
		}
		report_progress(s);
	}
	return 0;
}

/* ---- the loop transport: hiredis async on libevent ---- */

static void
on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct shard	*s = ac->data;
	redisReply	*r = reply;

	if (s == NULL || r == NULL)
		return;		/* the connection is gone; see on_disconnect */
	check(s, s->acked++, r);
	/* Wake the shard when half its window is answered, or all of it. */
	if (s->waiting && (s->acked == s->sent ||
	    s->sent - s->acked <= (size_t)s->d->pipeline / 2))
		s->d->h->unpark(s->t);
}

static void
on_setup_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct shard	*s = ac->data;
	redisReply	*r = reply;

	if (s == NULL || r == NULL)
		return;
	if (r->type == REDIS_REPLY_ERROR && !s->fatal) {
		snprintf(s->why, sizeof s->why, "%s failed: %s",
		    (const char *)priv, r->str);
		s->fatal = 1;
	}
	s->connected++;
	s->d->h->unpark(s->t);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct shard *s = ac->data;

	if (s == NULL)
		return;
	if (status != REDIS_OK) {
		snprintf(s->why, sizeof s->why, "%s", ac->errstr);
		s->ac = NULL;	/* hiredis frees it */
	} else
		s->connected = 1;
	s->d->h->unpark(s->t);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct shard *s = ac->data;

	if (s == NULL || s->ac != ac)
		return;
	snprintf(s->why, sizeof s->why, "%s", status == REDIS_OK ?
	    "disconnected" : ac->errstr);
	s->ac = NULL;		/* hiredis frees it */
	s->lost = 1;
	s->d->h->unpark(s->t);
}

/* drop_async - let go of the async connection; no callback reaches s. */
static void
drop_async(struct shard *s)
{
	redisAsyncContext *ac = s->ac;

	if (ac == NULL)
		return;
	s->ac = NULL;
	ac->data = NULL;
	redisAsyncFree(ac);
}

/* connect_async - one attempt: connect, AUTH, SELECT.  0, -1, -2. */
static int
connect_async(struct shard *s, struct event_base *base)
{
	struct rd		*d = s->d;
	const struct weft_host	*h = d->h;
	redisAsyncContext	*ac;
	char			 db[32];
	int			 want = 0;

	ac = d->unixpath ? redisAsyncConnectUnix(d->unixpath) :
	    redisAsyncConnect(d->host, (int)d->port);
	if (ac == NULL || ac->err) {
		snprintf(s->why, sizeof s->why, "%s", ac ? ac->errstr :
		    "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		return -1;
	}
	ac->data = s;
	s->ac = ac;
	s->connected = s->lost = s->fatal = 0;
	redisLibeventAttach(ac, base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	while (s->ac != NULL && !s->connected)
		if (h->park(s->t, (int)d->timeout_ms) <= 0)
			break;
	if (!s->connected) {
		if (s->why[0] == '\0')
			snprintf(s->why, sizeof s->why, "connect timed out");
		drop_async(s);
		goto fail;
	}
	s->connected = 0;
	if (d->password != NULL) {
		const char *argv[3] = { "AUTH", d->username ? d->username :
		    d->password, d->password };

		redisAsyncCommandArgv(ac, on_setup_reply, "AUTH",
		    d->username ? 3 : 2, argv, NULL);
		want++;
	}
	if (d->db >= 0) {
		const char *argv[2] = { "SELECT", db };

		snprintf(db, sizeof db, "%lld", d->db);
		redisAsyncCommandArgv(ac, on_setup_reply, "SELECT", 2, argv,
		    NULL);
		want++;
	}
	while (s->ac != NULL && s->connected < want)
		if (h->park(s->t, (int)d->timeout_ms) <= 0)
			break;
	if (s->fatal) {
		drop_async(s);
		return -2;
	}
	if (s->ac == NULL || s->connected < want) {
		drop_async(s);
		goto fail;
	}
	return 0;
fail:
	if (d->unixpath == NULL && strncmp(s->why, "connect", 7) != 0) {
		char	tmp[sizeof s->why + 320];
		size_t	n;

		snprintf(tmp, sizeof tmp, "connect to %s:%lld: %s", d->host,
		    d->port, s->why);
		n = strlen(tmp) < sizeof s->why ? strlen(tmp) :
		    sizeof s->why - 1;
		memcpy(s->why, tmp, n);
		s->why[n] = '\0';
	}
	return -1;
}

/* run_phase_async - run_phase's loop over the async transport. */
static int
run_phase_async(struct shard *s, struct event_base *base)
{
	struct rd		*d = s->d;
	const struct weft_host	*h = d->h;
	long long		 waited, backoff;
	int			 rc;

	s->sent = s->acked = s->lo;
	while (s->acked < s->hi) {
		if (h->cancelled(s->t)) {
			snprintf(s->why, sizeof s->why, "cancelled");
			return -1;
		}
		if (s->ac == NULL) {
			for (waited = 0, backoff = 50;;) {
				s->why[0] = '\0';
				if ((rc = connect_async(s, base)) == 0)
					break;
				if (rc == -2 || h->cancelled(s->t) ||
				    waited >= d->retry_for_ms ||
				    h->sleep_ms(s->t, backoff) != 0)
					return -1;
				waited += backoff;
				backoff = backoff * 2 > 1000 ? 1000 :
				    backoff * 2;
			}
			s->sent = s->acked;	/* resend what has no reply */
		}
		while (s->sent < s->hi &&
		    s->sent - s->acked < (size_t)d->pipeline)
			if (append_line(s, s->sent++) != 0)
				break;
		s->waiting = 1;
		rc = h->park(s->t, (int)d->timeout_ms);
		s->waiting = 0;
		if (rc < 0)
			continue;	/* cancelled: checked above */
		if (s->lost || rc == 0) {
			if (rc == 0 && !s->lost)
				snprintf(s->why, sizeof s->why, "no reply "
				    "within %lld ms", d->timeout_ms);
			h->log(&weft_plugin, WEFT_LOG_WARN, "shard %zu: lost "
			    "the connection at line %zu (%s); reconnecting",
			    h->task_index(s->t), s->acked, s->why);
			drop_async(s);
			s->lost = 0;
			s->reconnects++;
		}
		report_progress(s);
	}
	return 0;
}

/* keep_conn - keep a healthy connection for the context's next shard. */
static void
keep_conn(struct rctx *c, struct shard *s, int failed)
{
	if (s->c == NULL)
		return;
	if (!s->c->err && !failed && c->nidle == c->cap) {
		size_t		 cap = c->cap ? 2 * c->cap : 8;
		redisContext	**v = realloc(c->idle, cap * sizeof *v);

		if (v != NULL) {
			c->idle = v;
			c->cap = cap;
		}
	}
	if (!s->c->err && !failed && c->nidle < c->cap)
		c->idle[c->nidle++] = s->c;
	else
		redisFree(s->c);
	s->c = NULL;
}

static int
rd_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct rd		*d = state;
	const struct weft_host	*h = d->h;
	struct rctx		*c = ctx;
	struct shard		 s = { .d = d, .t = t };
	struct event_base	*base = h->loop_base(t);
	int			 failed = 0;
	int			 (*phase)(struct shard *, struct event_base *);

	s.lo = d->nlines * idx / d->nshards;
	s.hi = d->nlines * (idx + 1) / d->nshards;
	h->progress(t, 0, (long long)(s.hi - s.lo));
	phase = base != NULL ? run_phase_async : run_phase;
	if (base == NULL && c->nidle > 0)
		s.c = c->idle[--c->nidle];
	if (phase(&s, base) != 0)
		failed = 1;
	if (!failed && d->verify) {
		s.verifying = 1;
		if (phase(&s, base) != 0)
			failed = 1;
	}
	drop_async(&s);
	keep_conn(c, &s, failed);

	h->result_int(t, "shard", (long long)idx);
	h->result_int(t, "lines", (long long)(s.hi - s.lo));
	h->result_int(t, "written", failed ? 0 : (long long)(s.hi - s.lo) -
	    s.errors);
	h->result_int(t, "bytes", s.bytes);
	h->result_int(t, "errors", s.errors);
	h->result_int(t, "reconnects", s.reconnects);
	if (d->verify)
		h->result_int(t, "mismatches", s.mismatches);
	if (failed)
		return h->task_fail(t, "shard %zu (lines %zu-%zu): %s", idx,
		    s.lo, s.hi - 1, s.why);
	if (s.errors)
		return h->task_fail(t, "shard %zu: %lld error replies, first "
		    "%s", idx, s.errors, s.first_error);
	if (s.mismatches)
		return h->task_fail(t, "shard %zu: verify found %lld keys "
		    "that differ, first %s", idx, s.mismatches, s.first_error);
	return WEFT_TASK_OK;
}

static const char *const rd_sum_keys[] = { "lines", "written", "bytes",
    "errors", "reconnects", NULL };

static const struct weft_workload_ops rd_ops = {
	.init = rd_init,
	.ctx_init = rd_ctx_init,
	.ctx_fini = rd_ctx_fini,
	.task = rd_task,
	.fini = rd_free,
	.sum_keys = rd_sum_keys,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "redis",
	.version = "1.0",
	.summary = "SET each line of a file in Redis, pipelined, nothing lost",
	.traits = WEFT_TRAIT_IO_BOUND,
	.ops = &rd_ops,
};
