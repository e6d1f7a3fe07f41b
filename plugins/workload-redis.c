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
 * One shard loop (run_phase) does the work for every strategy, over a
 * small transport interface (connect, send, await replies, drop) with
 * two implementations:
 *  - blocking: a hiredis context driven through weft's wait_fd, which
 *    blocks the thread or worker process; connections are kept per
 *    execution context and reused by the next shard;
 *  - async, with an event loop (coro): hiredis's async API on the loop
 *    through its libevent adapter; the shard parks until enough of its
 *    pipeline has been answered.
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
 *   pipeline:   commands in flight per connection (default 10000, the
 *               batch Redis's pipelining guide suggests; with 1000, a
 *               shard's connection waited on its replies often enough
 *               to cost about 3% of 1M SETs under threads x2)
 *   ttl:        SET ... EX ttl (seconds)
 *   verify:     after writing, STRLEN every key of the shard and compare
 *               it with its line's length (default false)
 *   retry_for:  how long to keep reconnecting, or getting no reply that
 *               makes sense, before failing (10s)
 *   timeout:    a reply later than this counts as a lost connection (5s)
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
	char			*key_prefix, *key_suffix;	/* around {n} */
	/* params */
	const char		*file, *host, *unixpath, *username, *password;
	const char		*key;
	long long		 port, db, shards, pipeline, ttl;
	long long		 retry_for_ms, timeout_ms;
	int			 verify;
};

/* Idle connections of one execution context (blocking transport). */
struct rctx {
	redisContext	**idle;
	size_t		  nidle, cap;
};

struct shard;

/*
 * A transport: how a shard talks to Redis.
 *   connected  whether there is a connection now
 *   connect    a new connection, authenticated, on the right db:
 *              0, -1 (try again; s->why says why), -2 (refused for good)
 *   send       queue one command, already in RESP
 *   kick       write what is queued as far as the socket takes it now,
 *              without waiting: 0, or -1 when the connection is lost
 *   await      take replies until part of the window is answered
 *              (check() sees each): 0, or -1 when the connection is
 *              lost or silent (s->why)
 *   drop       let the connection go
 *   keep       at the end of the shard: keep a healthy connection for
 *              the context's next shard, or drop it (optional)
 */
struct transport {
	int	(*connected)(struct shard *);
	int	(*connect)(struct shard *);
	int	(*send)(struct shard *, const char *, size_t);
	int	(*kick)(struct shard *);
	int	(*await)(struct shard *);
	void	(*drop)(struct shard *);
	void	(*keep)(struct shard *, struct rctx *, int);
};

/* A shard at work. */
struct shard {
	struct rd		*d;
	const struct transport	*tp;
	struct weft_task	*t;
	redisContext		*c;		/* blocking transport */
	redisAsyncContext	*ac;		/* async transport */
	struct event_base	*base;
	int			 connected, lost, fatal, waiting;
	size_t			 lo, hi;	/* its lines */
	size_t			 sent, acked;	/* next to send / to ack */
	int			 verifying;
	long long		 written;	/* SETs Redis accepted */
	long long		 errors, mismatches, reconnects, bytes;
	long long		 reported;	/* lines told to progress */
	long long		 pause;		/* before the next reconnect (ms) */
	char			 first_error[256];
	char			 why[512];	/* why the last attempt failed */
};

/* ---- parameters and the file ---- */

static const struct weft_param spec[] = {
	{ "file", WEFT_P_PATH, WEFT_P_REQUIRED, offsetof(struct rd, file), 0,
	    0, NULL, NULL },
	{ "host", WEFT_P_STRING, 0, offsetof(struct rd, host), 0, 0, NULL,
	    "127.0.0.1" },
	{ "port", WEFT_P_INT, 0, offsetof(struct rd, port), 1, 65535, NULL,
	    "6379" },
	{ "unix", WEFT_P_PATH, 0, offsetof(struct rd, unixpath), 0, 0, NULL,
	    NULL },
	{ "db", WEFT_P_INT, 0, offsetof(struct rd, db), 0, 1000000, NULL,
	    NULL },
	{ "username", WEFT_P_STRING, 0, offsetof(struct rd, username), 0, 0,
	    NULL, NULL },
	{ "password", WEFT_P_STRING, 0, offsetof(struct rd, password), 0, 0,
	    NULL, NULL },
	{ "key", WEFT_P_STRING, 0, offsetof(struct rd, key), 0, 0, NULL,
	    "{n}" },
	{ "shards", WEFT_P_INT, 0, offsetof(struct rd, shards), 1, 100000,
	    NULL, "8" },
	{ "pipeline", WEFT_P_INT, 0, offsetof(struct rd, pipeline), 1, 1000000,
	    NULL, "10000" },
	{ "ttl", WEFT_P_INT, 0, offsetof(struct rd, ttl), 1, LLONG_MAX / 1000,
	    NULL, NULL },
	{ "verify", WEFT_P_BOOL, 0, offsetof(struct rd, verify), 0, 0, NULL,
	    "false" },
	{ "retry_for", WEFT_P_DURATION, 0, offsetof(struct rd, retry_for_ms),
	    0, 0, NULL, "10s" },
	{ "timeout", WEFT_P_DURATION, 0, offsetof(struct rd, timeout_ms), 0, 0,
	    NULL, "5s" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

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
	free(d->key_prefix);
	free(d->key_suffix);
	free(d);
}

static void *
rd_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	const struct weft_params_api	*p = h->params;
	struct rd			*d;
	struct stat			 st;
	const char			*brace;
	int				 fd;

	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	d->h = h;
	d->db = -1;
	if (p->parse(params, spec, d) != 0)
		goto fail;
	if ((brace = strstr(d->key, "{n}")) == NULL) {
		p->node_error(p->get(params, "key"), "the key format must "
		    "contain {n} (the line number), got \"%s\"", d->key);
		goto fail;
	}
	d->key_prefix = strndup(d->key, (size_t)(brace - d->key));
	d->key_suffix = strdup(brace + 3);
	if ((fd = open(d->file, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		p->node_error(p->get(params, "file"), "cannot read %s: %s",
		    d->file, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	d->size = (size_t)st.st_size;
	if (d->size != 0) {
		d->data = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (d->data == MAP_FAILED) {
			p->node_error(p->get(params, "file"), "cannot map %s: "
			    "%s", d->file, strerror(errno));
			d->data = NULL;
			close(fd);
			goto fail;
		}
		madvise((void *)d->data, d->size, MADV_SEQUENTIAL);
	}
	close(fd);
	if (index_lines(d) != 0)
		goto fail;
	d->nshards = (size_t)d->shards;
	if (d->nshards > d->nlines)
		d->nshards = d->nlines ? d->nlines : 1;
	*ntasks = d->nlines ? d->nshards : 0;
	return d;
fail:
	rd_free(d);
	return NULL;
}

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

/* ---- what both transports share ---- */

/* why_connect - s->why = "connect to WHERE: err". */
static void
why_connect(struct shard *s, const char *err)
{
	struct rd *d = s->d;

	if (d->unixpath != NULL)
		snprintf(s->why, sizeof s->why, "connect to %s: %s",
		    d->unixpath, err);
	else
		snprintf(s->why, sizeof s->why, "connect to %s:%lld: %s",
		    d->host, d->port, err);
}

/*
 * struct setup - the commands a new connection sends before any SET:
 * AUTH (with the username if there is one), then SELECT.
 */
struct setup {
	int		 n;
	int		 argc[2];
	const char	*argv[2][3];
	char		 what[2][32];
	char		 db[32];
};

static void
setup_commands(const struct rd *d, struct setup *su)
{
	su->n = 0;
	if (d->password != NULL) {
		su->argv[su->n][0] = "AUTH";
		su->argv[su->n][1] = d->username ? d->username : d->password;
		su->argv[su->n][2] = d->password;
		su->argc[su->n] = d->username ? 3 : 2;
		snprintf(su->what[su->n++], sizeof su->what[0], "AUTH");
	}
	if (d->db >= 0) {
		snprintf(su->db, sizeof su->db, "%lld", d->db);
		su->argv[su->n][0] = "SELECT";
		su->argv[su->n][1] = su->db;
		su->argc[su->n] = 2;
		snprintf(su->what[su->n++], sizeof su->what[0], "SELECT %lld",
		    d->db);
	}
}

/* check - what the reply to line n's command says. */
static void
check(struct shard *s, size_t n, redisReply *r)
{
	struct rd	*d = s->d;
	size_t		 len = d->line[n + 1] - d->line[n];

	if (r->type == REDIS_REPLY_ERROR) {
		if (s->errors++ == 0)
			snprintf(s->first_error, sizeof s->first_error,
			    "line %zu: %s", n, r->str);
		return;
	}
	if (len > 0 && d->data[d->line[n + 1] - 1] == '\n')
		len--;
	if (!s->verifying) {
		s->written++;
		s->bytes += (long long)len;	/* once, however often sent */
	} else if (r->type != REDIS_REPLY_INTEGER ||
	    (size_t)r->integer != len) {
		if (s->mismatches++ == 0 && s->errors == 0)
			snprintf(s->first_error, sizeof s->first_error,
			    "line %zu: key holds %lld bytes, the line has %zu",
			    n, r->type == REDIS_REPLY_INTEGER ? r->integer :
			    -1LL, len);
	}
}

/* ---- the blocking transport: a hiredis context and wait_fd ---- */

/* flush - write hiredis's output buffer out, waiting as needed. */
static int
flush(struct shard *s)
{
	int done = 0;

	while (!done) {
		if (redisBufferWrite(s->c, &done) != REDIS_OK)
			return -1;
		if (!done && s->d->h->task->wait_fd(s->t, s->c->fd, WEFT_WRITE,
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
		ev = s->d->h->task->wait_fd(s->t, s->c->fd, WEFT_READ,
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

static int
b_connected(struct shard *s)
{
	return s->c != NULL;
}

static void
b_drop(struct shard *s)
{
	redisFree(s->c);
	s->c = NULL;
}

static int
b_send(struct shard *s, const char *cmd, size_t len)
{
	return redisAppendFormattedCommand(s->c, cmd, len) == REDIS_OK ? 0 :
	    -1;
}

static int
b_kick(struct shard *s)
{
	int done;

	return redisBufferWrite(s->c, &done) == REDIS_OK ? 0 : -1;
}

/* lost_why - why the blocking connection failed, if s->why is empty. */
static void
lost_why(struct shard *s)
{
	if (s->why[0] == '\0' || s->c->err)
		snprintf(s->why, sizeof s->why, "%s", s->c->err ?
		    s->c->errstr : "connection lost");
}

static int
b_connect(struct shard *s)
{
	struct rd	*d = s->d;
	redisContext	*c;
	redisReply	*r;
	struct setup	 su;
	int		 err = 0;
	socklen_t	 len = sizeof err;

	c = d->unixpath ? redisConnectUnixNonBlock(d->unixpath) :
	    redisConnectNonBlock(d->host, (int)d->port);
	if (c == NULL || c->err) {
		why_connect(s, c ? c->errstr : "out of memory");
		redisFree(c);
		return -1;
	}
	s->c = c;
	/* A non-blocking connect completes when the socket is writable. */
	if (d->h->task->wait_fd(s->t, c->fd, WEFT_WRITE,
	    (int)d->timeout_ms) <= 0 ||
	    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
		why_connect(s, err ? strerror(err) : "timed out");
		b_drop(s);
		return -1;
	}
	setup_commands(d, &su);
	for (int i = 0; i < su.n; i++) {
		if (redisAppendCommandArgv(s->c, su.argc[i], su.argv[i],
		    NULL) != REDIS_OK ||
		    flush(s) != 0 || (r = reply(s)) == NULL) {
			lost_why(s);
			b_drop(s);
			return -1;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			snprintf(s->why, sizeof s->why, "%s failed: %s",
			    su.what[i], r->str);
			freeReplyObject(r);
			b_drop(s);
			return -2;
		}
		freeReplyObject(r);
	}
	return 0;
}

static int
b_await(struct shard *s)
{
	redisReply *r;

	if (flush(s) != 0 || (r = reply(s)) == NULL) {
		lost_why(s);
		return -1;
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
	return 0;
}

/* b_keep - keep a healthy connection for the context's next shard. */
static void
b_keep(struct shard *s, struct rctx *c, int failed)
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

static const struct transport blocking = {
	.connected = b_connected,
	.connect = b_connect,
	.send = b_send,
	.kick = b_kick,
	.await = b_await,
	.drop = b_drop,
	.keep = b_keep,
};

/* ---- the async transport: hiredis async on the task's loop ---- */

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
		s->d->h->task->unpark(s->t);
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
	s->d->h->task->unpark(s->t);
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
	s->d->h->task->unpark(s->t);
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
	s->d->h->task->unpark(s->t);
}

static int
a_connected(struct shard *s)
{
	return s->ac != NULL;
}

/* a_drop - let go of the connection; no callback reaches s after. */
static void
a_drop(struct shard *s)
{
	redisAsyncContext *ac = s->ac;

	s->lost = 0;
	if (ac == NULL)
		return;
	s->ac = NULL;
	ac->data = NULL;
	redisAsyncFree(ac);
}

static int
a_send(struct shard *s, const char *cmd, size_t len)
{
	return redisAsyncFormattedCommand(s->ac, on_reply, NULL, cmd, len) ==
	    REDIS_OK ? 0 : -1;
}

/* a_kick - hiredis writes when the loop runs; a shard filling its window
 * does not let it run.  A failed write ends in on_disconnect. */
static int
a_kick(struct shard *s)
{
	redisAsyncHandleWrite(s->ac);
	return s->ac != NULL ? 0 : -1;
}

static int
a_connect(struct shard *s)
{
	struct rd			*d = s->d;
	const struct weft_task_api	*ta = d->h->task;
	redisAsyncContext		*ac;
	struct setup			 su;

	ac = d->unixpath ? redisAsyncConnectUnix(d->unixpath) :
	    redisAsyncConnect(d->host, (int)d->port);
	if (ac == NULL || ac->err) {
		why_connect(s, ac ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		return -1;
	}
	ac->data = s;
	s->ac = ac;
	s->connected = s->lost = s->fatal = 0;
	redisLibeventAttach(ac, s->base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	while (s->ac != NULL && !s->connected)
		if (ta->park(s->t, (int)d->timeout_ms) <= 0)
			break;
	if (!s->connected) {
		char err[sizeof s->why];

		snprintf(err, sizeof err, "%s", s->why[0] ? s->why :
		    "timed out");
		why_connect(s, err);
		a_drop(s);
		return -1;
	}
	s->connected = 0;
	setup_commands(d, &su);
	for (int i = 0; i < su.n; i++)
		redisAsyncCommandArgv(ac, on_setup_reply, su.what[i],
		    su.argc[i], su.argv[i], NULL);
	while (s->ac != NULL && s->connected < su.n && !s->fatal)
		if (ta->park(s->t, (int)d->timeout_ms) <= 0)
			break;
	if (s->fatal) {
		a_drop(s);
		return -2;
	}
	if (s->ac == NULL || s->connected < su.n) {
		if (s->why[0] == '\0')
			snprintf(s->why, sizeof s->why, "no reply to %s "
			    "within %lld ms", su.what[0], d->timeout_ms);
		a_drop(s);
		return -1;
	}
	return 0;
}

static int
a_await(struct shard *s)
{
	int rc;

	s->waiting = 1;
	rc = s->d->h->task->park(s->t, (int)s->d->timeout_ms);
	s->waiting = 0;
	if (s->lost)
		return -1;
	if (rc == 0) {
		snprintf(s->why, sizeof s->why, "no reply within %lld ms",
		    s->d->timeout_ms);
		return -1;
	}
	return 0;	/* answered, or cancelled: the shard loop checks */
}

static const struct transport async = {
	.connected = a_connected,
	.connect = a_connect,
	.send = a_send,
	.kick = a_kick,
	.await = a_await,
	.drop = a_drop,
};

/* ---- the shard loop, over either transport ---- */

/*
 * reconnect - connect, retrying with backoff (50 ms doubling to 1 s)
 * for retry_for.  0, -1 (gave up: s->why), -2 (refused for good).
 */
/* backoff_next - the pause after ms: 50 ms first, doubling to 1 s. */
static long long
backoff_next(long long ms)
{
	return ms == 0 ? 50 : ms * 2 > 1000 ? 1000 : ms * 2;
}

static int
reconnect(struct shard *s)
{
	const struct weft_task_api	*ta = s->d->h->task;
	long long			 waited = 0, backoff = 50;
	int				 rc;

	s->tp->drop(s);
	for (;;) {
		s->why[0] = '\0';
		if ((rc = s->tp->connect(s)) != -1)
			return rc;
		if (ta->cancelled(s->t) || waited >= s->d->retry_for_ms)
			return -1;
		if (ta->sleep_ms(s->t, backoff) != 0)
			return -1;
		waited += backoff;
		backoff = backoff_next(backoff);
	}
}

/* put_num - v in decimal at p; the end. */
static char *
put_num(char *p, unsigned long long v)
{
	char	tmp[24];
	size_t	n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* put_bulk - a RESP bulk string at p: $len, the bytes; the end. */
static char *
put_bulk(char *p, const char *s, size_t len)
{
	*p++ = '$';
	p = put_num(p, len);
	*p++ = '\r';
	*p++ = '\n';
	memcpy(p, s, len);
	p += len;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

/* key_add - s (len bytes) after the key's klen, within 511; its length. */
static size_t
key_add(char *key, size_t klen, const char *s, size_t len)
{
	if (len > 511 - klen)
		len = 511 - klen;
	memcpy(key + klen, s, len);
	return klen + len;
}

/*
 * send_line - queue line n's command: SET (or STRLEN when verifying),
 * written in RESP here: hiredis's argv formatting (sdscatfmt, an sds
 * made and freed per command) and snprintf for the key were most of
 * the client's CPU, which on two cores is taken from redis-server.
 */
static int
send_line(struct shard *s, size_t n)
{
	struct rd	*d = s->d;
	const char	*line = d->data + d->line[n];
	size_t		 len = d->line[n + 1] - d->line[n];
	size_t		 plen = strlen(d->key_prefix);
	size_t		 slen = strlen(d->key_suffix);
	char		 stack[4096], key[512], num[24], *buf = stack, *p;
	size_t		 need, klen = 0;
	int		 rc;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	/* The key: prefix, n, suffix, cut to 511 bytes as it always was. */
	klen = key_add(key, klen, d->key_prefix, plen);
	klen = key_add(key, klen, num, (size_t)(put_num(num, n) - num));
	klen = key_add(key, klen, d->key_suffix, slen);
	need = klen + len + 128;
	if (need > sizeof stack && (buf = malloc(need)) == NULL) {
		snprintf(s->why, sizeof s->why, "out of memory");
		return -1;
	}
	p = buf;
	if (s->verifying) {
		memcpy(p, "*2\r\n$6\r\nSTRLEN\r\n", 16);
		p = put_bulk(p + 16, key, klen);
	} else {
		if (d->ttl) {
			memcpy(p, "*5\r\n$3\r\nSET\r\n", 13);
			p += 13;
		} else {
			memcpy(p, "*3\r\n$3\r\nSET\r\n", 13);
			p += 13;
		}
		p = put_bulk(p, key, klen);
		p = put_bulk(p, line, len);
		if (d->ttl) {
			char ttl[24];

			memcpy(p, "$2\r\nEX\r\n", 8);
			p += 8;
			p = put_bulk(p, ttl, (size_t)(put_num(ttl,
			    (unsigned long long)d->ttl) - ttl));
		}
	}
	rc = s->tp->send(s, buf, (size_t)(p - buf));
	if (buf != stack)
		free(buf);
	return rc;
}

/* report_progress - tell weft how many more lines are written. */
static void
report_progress(struct shard *s)
{
	if (s->verifying)
		return;
	s->d->h->task->progress(s->t, (long long)(s->acked - s->lo) -
	    s->reported, 0);
	s->reported = (long long)(s->acked - s->lo);
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * run_phase - send every line's command and take every reply, keeping
 * `pipeline` in flight; on connection trouble reconnect and send again
 * what has no reply.  A server that takes connections but answers with
 * garbage, or not at all, is given retry_for without a single reply
 * before the shard gives up.  0, or -1 with s->why.
 */
#define KICK_EVERY	256	/* commands (about 28 KB of 100-byte lines) */

static int
run_phase(struct shard *s)
{
	const struct weft_task_api	*ta = s->d->h->task;
	long long			 since = mono_ms();
	size_t				 seen;

	s->sent = s->acked = seen = s->lo;
	while (s->acked < s->hi) {
		if (ta->cancelled(s->t)) {
			snprintf(s->why, sizeof s->why, "cancelled");
			return -1;
		}
		if (!s->tp->connected(s)) {
			if (reconnect(s) != 0)
				return -1;
			s->sent = s->acked;	/* resend what has no reply */
		}
		/* The window is written as it fills, KICK_EVERY commands at
		 * a time: Redis starts on the first while the rest is
		 * formatted (8 shards of 10,000 kept it idle for 15 ms). */
		for (size_t k = 1; s->sent < s->hi &&
		    s->sent - s->acked < (size_t)s->d->pipeline; k++)
			if (send_line(s, s->sent++) != 0 ||
			    (k % KICK_EVERY == 0 && s->tp->kick(s) != 0))
				break;
		if (!s->tp->connected(s) || s->tp->await(s) != 0) {
			if (ta->cancelled(s->t))
				continue;
			if (s->acked == seen &&
			    mono_ms() - since >= s->d->retry_for_ms) {
				s->tp->drop(s);
				return -1;
			}
			s->d->h->log(&weft_plugin, WEFT_LOG_WARN, "shard %zu: "
			    "lost the connection at line %zu (%s); "
			    "reconnecting", ta->index(s->t), s->acked, s->why);
			s->reconnects++;
			s->tp->drop(s);
			/* A server that takes connections and drops them
			 * unanswered is not called again at once (it was,
			 * 3,000 times a second): 50 ms doubling to 1 s,
			 * until a connection gets replies again. */
			if (s->acked == seen) {
				s->pause = backoff_next(s->pause);
				ta->sleep_ms(s->t, s->pause);
			}
			continue;
		}
		if (s->acked != seen) {
			seen = s->acked;
			since = mono_ms();
			s->pause = 0;
		}
		report_progress(s);
	}
	return 0;
}

static int
rd_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct rd			*d = state;
	const struct weft_task_api	*h = d->h->task;
	struct rctx			*c = ctx;
	struct shard			 s = { .d = d, .t = t };
	int				 failed = 0;

	s.lo = d->nlines * idx / d->nshards;
	s.hi = d->nlines * (idx + 1) / d->nshards;
	s.base = h->loop_base(t);
	s.tp = s.base != NULL ? &async : &blocking;
	h->progress(t, 0, (long long)(s.hi - s.lo));
	if (s.base == NULL && c->nidle > 0)
		s.c = c->idle[--c->nidle];
	if (run_phase(&s) != 0)
		failed = 1;
	if (!failed && d->verify) {
		s.verifying = 1;
		if (run_phase(&s) != 0)
			failed = 1;
	}
	if (s.tp->keep != NULL)
		s.tp->keep(&s, c, failed);
	else
		s.tp->drop(&s);

	h->result_int(t, "shard", (long long)idx);
	h->result_int(t, "lines", (long long)(s.hi - s.lo));
	h->result_int(t, "written", s.written);
	h->result_int(t, "bytes", s.bytes);
	h->result_int(t, "errors", s.errors);
	h->result_int(t, "reconnects", s.reconnects);
	if (d->verify)
		h->result_int(t, "mismatches", s.mismatches);
	if (failed)
		return h->fail(t, "shard %zu (lines %zu-%zu): %s", idx, s.lo,
		    s.hi - 1, s.why);
	if (s.errors)
		return h->fail(t, "shard %zu: %lld error replies, first %s",
		    idx, s.errors, s.first_error);
	if (s.mismatches)
		return h->fail(t, "shard %zu: verify found %lld keys that "
		    "differ, first %s", idx, s.mismatches, s.first_error);
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
	.params = spec,
};
