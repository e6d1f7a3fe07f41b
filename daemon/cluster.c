/*
 * cluster.c - weftd's part in a weft cluster (lib/cluster.h): one
 * asynchronous Redis connection on the loop (hiredis's libevent
 * adapter), never a plugin.
 *
 * Every node: warns once per connection if the Redis server would lose
 * queued tasks (appendonly no) or evict keys, and deletes the keys of
 * the cluster runs it coordinated once their record is written (the
 * coordinator does so itself; this covers a coordinator that died).
 *
 * A worker node (cluster.worker): announces itself every 2 s in
 * weft:nodes with its slots and workloads, looks at weft:active every
 * second, and runs one cluster run at a time: a weft-runner (WORK) that
 * takes the run's tasks from Redis with the node's local strategy.  If
 * that runner dies of a signal, the task it was running is noted in the
 * run's K:why (the dead letter says it) and a new runner takes its place.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "weftd.h"
#include "cluster.h"

#define DONE_MAX	256	/* runs remembered as finished here */

static struct {
	redisAsyncContext	*ac;
	redisAsyncContext	*sub;		/* SUBSCRIBE weft:runs (worker) */
	struct event		*tick;
	double			 retry_at, heartbeat_at;
	int			 warned;	/* about the server, this conn */
	int			 up;		/* connected */
	int			 looking;	/* a discovery in flight */
	/* The worker runner: one cluster run at a time. */
	char			*key;
	pid_t			 pid;
	int			 fd;
	struct event		*ev;
	struct evbuffer		*in;
	struct run_shared	*sh;
	double			 started;
	/* Runs this node is done with (or cannot run). */
	char			*done[DONE_MAX];
	size_t			 ndone, donepos;
	double			 backoff_until;
} cl = { .pid = -1, .fd = -1 };

static const struct cluster_conf *
conf(void)
{
	return weftd.conf ? weftd.conf->cluster : NULL;
}

static void
done_add(const char *key)
{
	free(cl.done[cl.donepos]);
	cl.done[cl.donepos] = xstrdup(key);
	cl.donepos = (cl.donepos + 1) % DONE_MAX;
	if (cl.ndone < DONE_MAX)
		cl.ndone++;
}

static int
done_has(const char *key)
{
	for (size_t i = 0; i < cl.ndone; i++)
		if (cl.done[i] != NULL && strcmp(cl.done[i], key) == 0)
			return 1;
	return 0;
}

/* ---- the connection ---- */

static void
on_reply_check(redisAsyncContext *ac, void *r, void *what)
{
	redisReply *rep = r;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != 2)
		return;
	if (strcmp(what, "appendonly") == 0 &&
	    strcmp(rep->element[1]->str, "yes") != 0)
		log_warnx("cluster: Redis at %s has appendonly no: if it "
		    "crashes, queued cluster tasks are lost (set appendonly "
		    "yes)", conf()->redis);
	if (strcmp(what, "maxmemory-policy") == 0 &&
	    strcmp(rep->element[1]->str, "noeviction") != 0)
		log_warnx("cluster: Redis at %s evicts keys (maxmemory-policy "
		    "%s): a run's streams can vanish under memory pressure; "
		    "use noeviction", conf()->redis, rep->element[1]->str);
}

static void
on_reply_log(redisAsyncContext *ac, void *r, void *what)
{
	redisReply *rep = r;

	if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		log_warnx("cluster: Redis: %s: %s", (const char *)what,
		    rep->str);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK) {
		log_warnx("cluster: cannot connect to Redis at %s: %s; "
		    "retrying", conf()->redis, ac->errstr);
		cl.ac = NULL;
		cl.retry_at = now_mono() + 1;
		return;
	}
	cl.up = 1;
	log_info("cluster: node %s connected to Redis at %s%s", conf()->node,
	    conf()->redis, conf()->worker ? " (worker)" : "");
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK && !weftd.stopping)
		log_warnx("cluster: lost Redis at %s: %s; reconnecting",
		    conf()->redis, ac->errstr);
	cl.ac = NULL;
	cl.up = 0;
	cl.retry_at = now_mono() + 1;
}

/* open_ctx - an async connection on weftd's loop, authenticated; NULL
 * (logged) if it cannot even start. */
static redisAsyncContext *
open_ctx(void)
{
	const struct redis_addr	*a = &conf()->addr;
	redisAsyncContext	*c;

	c = a->unix_path ? redisAsyncConnectUnix(a->unix_path) :
	    redisAsyncConnect(a->host, a->port);
	if (c == NULL || c->err) {
		log_warnx("cluster: Redis at %s: %s", conf()->redis,
		    c ? c->errstr : "out of memory");
		if (c != NULL)
			redisAsyncFree(c);
		return NULL;
	}
	redisLibeventAttach(c, weftd.base);
	if (a->password != NULL) {
		if (a->user != NULL)
			redisAsyncCommand(c, on_reply_log, "AUTH",
			    "AUTH %s %s", a->user, a->password);
		else
			redisAsyncCommand(c, on_reply_log, "AUTH",
			    "AUTH %s", a->password);
	}
	return c;
}

static void	discover(void);

/* on_announce - a coordinator published a new run: look now rather
 * than at the next tick. */
static void
on_announce(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply *rep = r;

	if (rep != NULL && rep->type == REDIS_REPLY_ARRAY &&
	    rep->elements == 3 && rep->element[0]->type ==
	    REDIS_REPLY_STRING && strcmp(rep->element[0]->str,
	    "message") == 0)
		discover();
}

static void
on_sub_disconnect(const redisAsyncContext *ac, int status)
{
	cl.sub = NULL;		/* the tick opens it again */
}

static void
on_sub_connect(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK)
		cl.sub = NULL;	/* hiredis frees it, without a disconnect */
}

static void
subscribe(void)
{
	if ((cl.sub = open_ctx()) == NULL)
		return;
	redisAsyncSetConnectCallback(cl.sub, on_sub_connect);
	redisAsyncSetDisconnectCallback(cl.sub, on_sub_disconnect);
	redisAsyncCommand(cl.sub, on_announce, NULL, "SUBSCRIBE %s",
	    CLUSTER_ANNOUNCE);
}

static void
connect_redis(void)
{
	const struct redis_addr *a = &conf()->addr;

	if ((cl.ac = open_ctx()) == NULL) {
		cl.retry_at = now_mono() + 1;
		return;
	}
	redisAsyncSetConnectCallback(cl.ac, on_connect);
	redisAsyncSetDisconnectCallback(cl.ac, on_disconnect);
	if (a->db != 0)
		redisAsyncCommand(cl.ac, on_reply_log, "SELECT", "SELECT %d",
		    a->db);
	redisAsyncCommand(cl.ac, on_reply_check, "appendonly",
	    "CONFIG GET appendonly");
	redisAsyncCommand(cl.ac, on_reply_check, "maxmemory-policy",
	    "CONFIG GET maxmemory-policy");
	cl.heartbeat_at = 0;
}

/* ---- a worker node ---- */

static void
heartbeat(void)
{
	json_t	*o = json_object(), *w = json_object();
	char	*s;

	for (size_t i = 0; i < weftd.catalog->n; i++) {
		const struct plugin *p = &weftd.catalog->v[i];

		if (p->rejected == NULL && p->kind == WEFT_KIND_WORKLOAD)
			json_object_set_new(w, p->name,
			    json_integer(p->abi_major));
	}
	json_object_set_new(o, "workloads", w);
	json_object_set_new(o, "slots", json_integer(conf()->slots));
	json_object_set_new(o, "strategy", json_string(conf()->strategy));
	json_object_set_new(o, "seen", json_real(now_wall()));
	json_object_set_new(o, "pid", json_integer(getpid()));
	if (cl.key != NULL)
		json_object_set_new(o, "running", json_string(cl.key));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	redisAsyncCommand(cl.ac, on_reply_log, "HSET", "HSET %s %s %s",
	    CLUSTER_NODES, conf()->node, s);
	free(s);
}

static void
on_worker_read(evutil_socket_t fd, short what, void *arg)
{
	struct proto_msg	 m;
	char			 err[256];
	size_t			 used;
	int			 n;

	n = evbuffer_read(cl.in, fd, 65536);
	if (n <= 0) {
		event_del(cl.ev);
		return;
	}
	while (proto_parse(evbuffer_pullup(cl.in, -1), evbuffer_get_length(
	    cl.in), &used, &m, err, sizeof err) == 1) {
		evbuffer_drain(cl.in, used);
		if (m.type == PROTO_ERROR) {
			/* This node cannot take part: leave it to others. */
			log_warnx("cluster: %s: not run on this node: %s",
			    cl.key, m.u.error.message);
			done_add(cl.key);
		}
		proto_clear(&m);
	}
}

static void
spawn_worker(const char *key, json_t *spec)
{
	const struct plugin	*wp, *sp;
	struct proto_work	 msg = { 0 };
	const char		*wname = json_string_value(json_object_get(spec,
				    "workload"));
	char			 wpath[64], spath[64], *cause;
	int			 shfd, fds[3];
	json_t			*cj;

	if (wname == NULL || (wp = catalog_find(weftd.catalog,
	    WEFT_KIND_WORKLOAD, wname)) == NULL ||
	    (sp = catalog_find(weftd.catalog, WEFT_KIND_STRATEGY,
	    conf()->strategy)) == NULL) {
		log_warnx("cluster: %s: not run on this node: %s", key,
		    wname == NULL ? "its spec is unreadable" : "the local "
		    "strategy or the workload plugin is missing");
		done_add(key);
		return;
	}
	if ((cl.sh = shared_page(&shfd)) == NULL) {
		log_warn("cluster: memfd");
		return;
	}
	fds[0] = shfd;
	fds[1] = wp->fd;
	fds[2] = sp->fd;
	if (runner_spawn(0, fds, 3, &cl.fd, &cl.pid, &cause) != 0) {
		log_warnx("cluster: %s", cause);
		free(cause);
		close(shfd);
		munmap(cl.sh, sizeof *cl.sh);
		cl.sh = NULL;
		cl.pid = -1;
		return;
	}
	close(shfd);
	cl.key = xstrdup(key);
	cl.started = now_mono();
	snprintf(wpath, sizeof wpath, PLUGIN_FD_PATH, 5);
	snprintf(spath, sizeof spath, PLUGIN_FD_PATH, 6);
	cj = cluster_conf_json(conf());
	msg.key = key;
	msg.file = json_string_value(json_object_get(spec, "file"));
	msg.text = json_string_value(json_object_get(spec, "text"));
	msg.sets = json_object_get(spec, "sets");
	msg.ntasks = json_integer_value(json_object_get(spec, "ntasks"));
	msg.workload_path = wpath;
	msg.strategy = conf()->strategy;
	msg.strategy_path = spath;
	msg.cluster = cj;
	msg.log_level = log_getlevel();
	msg.log_dest = weftd.log_dest;
	if (msg.file == NULL || msg.text == NULL ||
	    proto_send(cl.fd, PROTO_WORK, &msg) != 0)
		log_warnx("cluster: %s: could not hand it to a runner", key);
	json_decref(cj);
	cl.in = evbuffer_new();
	evutil_make_socket_nonblocking(cl.fd);
	cl.ev = event_new(weftd.base, cl.fd, EV_READ | EV_PERSIST,
	    on_worker_read, NULL);
	event_add(cl.ev, NULL);
	log_info("cluster: node %s takes part in %s (runner pid %ld, %s x%d)",
	    conf()->node, key, (long)cl.pid, conf()->strategy, conf()->slots);
}

static void
on_spec(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply	*rep = r;
	char		*key = arg;
	json_t		*spec;

	cl.looking = 0;
	if (rep != NULL && rep->type == REDIS_REPLY_STRING && cl.pid < 0 &&
	    !weftd.stopping &&
	    (spec = json_loads(rep->str, 0, NULL)) != NULL) {
		spawn_worker(key, spec);
		json_decref(spec);
	}
	free(key);
}

/* on_active - the cluster runs going on: take part in one we can run. */
static void
on_active(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply *rep = r;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || cl.pid >= 0 ||
	    weftd.stopping) {
		cl.looking = 0;
		return;
	}
	for (size_t i = 0; i + 1 < rep->elements; i += 2) {
		const char		*key = rep->element[i]->str;
		json_t			*a;
		const struct plugin	*wp;
		int			 ok;

		if (done_has(key))
			continue;
		a = json_loads(rep->element[i + 1]->str, 0, NULL);
		wp = catalog_find(weftd.catalog, WEFT_KIND_WORKLOAD,
		    json_string_value(json_object_get(a, "workload")));
		ok = wp != NULL && wp->abi_major ==
		    json_integer_value(json_object_get(a, "abi"));
		json_decref(a);
		if (!ok)
			continue;	/* others can run it */
		redisAsyncCommand(cl.ac, on_spec, xstrdup(key), "GET %s:spec",
		    key);
		return;
	}
	cl.looking = 0;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	double now = now_mono();

	if (conf() == NULL)
		return;
	if (cl.ac == NULL) {
		if (now >= cl.retry_at && !weftd.stopping)
			connect_redis();
		return;
	}
	if (!conf()->worker || weftd.stopping)
		return;
	if (cl.sub == NULL)
		subscribe();
	if (now >= cl.heartbeat_at) {
		heartbeat();
		cl.heartbeat_at = now + CLUSTER_HEARTBEAT_MS / 1e3;
	}
	discover();	/* announcements can be missed: look anyway */
}

/* discover - a worker with no run at hand looks for one. */
static void
discover(void)
{
	if (cl.ac != NULL && conf() != NULL && conf()->worker &&
	    !weftd.stopping && cl.pid < 0 && !cl.looking &&
	    now_mono() >= cl.backoff_until) {
		cl.looking = 1;
		redisAsyncCommand(cl.ac, on_active, NULL, "HGETALL %s",
		    CLUSTER_ACTIVE);
	}
}

/*
 * The entries a crashed runner (ARGV[1]) held, but the one it crashed
 * in (ARGV[3]), to ARGV[2], claimable at once (idle for a lease), with
 * the delivery count as before that runner got them.
 */
static const char release_lua[] =
    "local p = redis.call('XPENDING', KEYS[1], 'w', '-', '+', 1000000, "
    "ARGV[1])\n"
    "for _, e in ipairs(p) do\n"
    "  if e[1] ~= ARGV[3] then\n"
    "    redis.call('XCLAIM', KEYS[1], 'w', ARGV[2], 0, e[1], 'IDLE', "
    "ARGV[4], 'RETRYCOUNT', math.max(e[4] - 1, 0), 'JUSTID')\n"
    "  end\n"
    "end\n"
    "return #p\n";

/*
 * cluster_reaped - a child weftd reaped that is not a run: if it was the
 * worker runner, see to how it ended.
 */
void
cluster_reaped(pid_t pid, int status)
{
	char *why;

	if (pid != cl.pid || cl.pid < 0)
		return;
	if (WIFSIGNALED(status)) {
		long long task = cl.sh ? cl.sh->crash_task : -1;

		xasprintf(&why, "node %s: its runner died of %s%s", conf() ?
		    conf()->node : "?", signal_name(WTERMSIG(status)),
		    task >= 0 ? " while running it" : "");
		log_warnx("cluster: %s: the runner (pid %ld) died of %s%s%lld",
		    cl.key, (long)pid, signal_name(WTERMSIG(status)),
		    task >= 0 ? " in task " : "", task >= 0 ? task : 0);
		if (task >= 0 && cl.ac != NULL) {
			redisAsyncCommand(cl.ac, on_reply_log, "HSET",
			    "HSET %s:why %lld %s", cl.key, task, why);
			/* The others it held are not to blame: back to the
			 * group at once, this delivery not counted. */
			redisAsyncCommand(cl.ac, on_reply_log, "EVAL",
			    "EVAL %s 1 %s:tasks %s/%ld %s/released 0-%lld %lld",
			    release_lua, cl.key, conf()->node, (long)pid,
			    conf()->node, task + 1, (long long)conf()->lease_ms);
		}
		free(why);
		/* Its tasks go back to the group after a lease; a new
		 * runner takes part again after a moment. */
		cl.backoff_until = now_mono() + 1;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		done_add(cl.key);
	else
		cl.backoff_until = now_mono() + 1;
	session_kill(pid);	/* what its workload left */
	if (cl.ev != NULL)
		event_free(cl.ev);
	cl.ev = NULL;
	if (cl.in != NULL)
		evbuffer_free(cl.in);
	cl.in = NULL;
	if (cl.fd >= 0)
		close(cl.fd);
	cl.fd = -1;
	if (cl.sh != NULL)
		munmap(cl.sh, sizeof *cl.sh);
	cl.sh = NULL;
	free(cl.key);
	cl.key = NULL;
	cl.pid = -1;
	discover();	/* another run may be waiting */
}

/* ---- every node ---- */

/* on_run - a cluster run this node coordinated has its record: make
 * sure its keys are gone (its runner may have died before it could). */
static void
on_run(enum run_event ev, const struct run *r, const json_t *rec,
    enum run_status st, void *arg)
{
	char key[160];

	if (ev != RUN_ENDED || strcmp(r->strategy, "cluster") != 0 ||
	    cl.ac == NULL || conf() == NULL)
		return;
	snprintf(key, sizeof key, "weft:run:%s:%lld", conf()->node, r->id);
	redisAsyncCommand(cl.ac, on_reply_log, "SET", "SET %s:state end EX "
	    "600", key);
	redisAsyncCommand(cl.ac, on_reply_log, "HDEL", "HDEL %s %s",
	    CLUSTER_ACTIVE, key);
	redisAsyncCommand(cl.ac, on_reply_log, "DEL", "DEL %s:tasks %s:out "
	    "%s:done %s:spec %s:why %s:stale", key, key, key, key, key, key);
}

void
cluster_start(void)
{
	static int observing;
	struct timeval tv = { 1, 0 };

	if (conf() == NULL)
		return;
	if (!observing) {
		runs_observe(on_run, NULL);
		observing = 1;
	}
	if (cl.tick == NULL) {
		cl.tick = event_new(weftd.base, -1, EV_PERSIST, on_tick, NULL);
		event_add(cl.tick, &tv);
	}
	if (cl.ac == NULL)
		connect_redis();
}

/* cluster_stop - weftd stops: the worker runner leaves its tasks to
 * other nodes (SIGTERM: it releases them), and the node leaves. */
void
cluster_stop(void)
{
	if (cl.pid > 0)
		kill(cl.pid, SIGTERM);
	if (cl.ac != NULL && conf() != NULL && conf()->worker)
		redisAsyncCommand(cl.ac, NULL, NULL, "HDEL %s %s",
		    CLUSTER_NODES, conf()->node);
	if (cl.tick != NULL)
		event_free(cl.tick);
	cl.tick = NULL;
	if (cl.sub != NULL)
		redisAsyncDisconnect(cl.sub);
}

/* cluster_same - whether two cluster: settings are the same. */
int
cluster_same(const struct cluster_conf *a, const struct cluster_conf *b)
{
	json_t	*ja, *jb;
	int	 same;

	if (a == NULL || b == NULL)
		return a == b;
	ja = cluster_conf_json(a);
	jb = cluster_conf_json(b);
	same = json_equal(ja, jb) && strcmp(a->redis, b->redis) == 0 &&
	    a->worker == b->worker;
	json_decref(ja);
	json_decref(jb);
	return same;
}

/* cluster_status - for weftctl status; NULL outside a cluster. */
json_t *
cluster_status(void)
{
	json_t *o;

	if (conf() == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:b}", "node", conf()->node, "redis",
	    conf()->redis, "connected", cl.ac != NULL && cl.up);
	if (conf()->worker) {
		json_object_set_new(o, "worker", json_pack("{s:i, s:s}",
		    "slots", conf()->slots, "strategy", conf()->strategy));
		if (cl.key != NULL)
			json_object_set_new(o, "running", json_string(cl.key));
	}
	return o;
}
