/*
 * cluster.c - strategy cluster: a run's tasks spread over the worker
 * nodes of a weft cluster through one Redis (lib/cluster.h has the keys).
 *
 * The coordinator is the runner of the run, on the node where it was
 * started: it announces the run, adds the tasks to the run's stream (at
 * most `concurrency` not yet done), and records the outcomes workers
 * publish, as it would record a fork worker's.  Its journal, progress,
 * timeline and record are those of any run.
 *
 * A worker is a runner that a worker node's weftd starts for the run
 * (WORK): it loads the same workload, runs the local strategy with the
 * tasks it reads from the stream through the consumer group, and commits
 * each outcome with a script that checks it still owns the entry (a
 * worker paused past its lease cannot commit over the node that took the
 * task over), records it once, publishes it and acknowledges it.  It
 * renews its leases (XCLAIM JUSTID of the entries it still owns: idle
 * time restarts, the delivery count does not grow) every lease / 3, and
 * takes over entries idle for a lease with XAUTOCLAIM; an entry
 * delivered more than max_deliveries times goes to the dead letters,
 * and one deleted from the stream while pending is reported lost.
 *
 * Until the run ends, a worker's strategy never runs out of tasks: when
 * none is at hand, next() hands out a wait (an index past the last task)
 * that waits on an eventfd through the task primitives, so it suspends
 * only a coroutine under coro.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "runner.h"
#include "cluster.h"

/* ---- one connection to the cluster's Redis, reconnecting ---- */

static const char commit_lua[] =
    "local ok, stale = 0, 0\n"
    "for i = 2, #ARGV, 2 do\n"
    "  local idx = ARGV[i]\n"
    "  local id = '0-' .. string.format('%d', tonumber(idx) + 1)\n"
    "  local p = redis.call('XPENDING', KEYS[1], 'w', id, id, 1)\n"
    "  if #p == 1 and p[1][2] == ARGV[1] then\n"
    "    if redis.call('HSETNX', KEYS[2], idx, ARGV[1]) == 1 then\n"
    "      redis.call('XADD', KEYS[3], '*', 't', idx, 'o', ARGV[i + 1])\n"
    "      ok = ok + 1\n"
    "    else\n"
    "      stale = stale + 1\n"
    "    end\n"
    "    redis.call('XACK', KEYS[1], 'w', id)\n"
    "  elseif redis.call('HGET', KEYS[2], idx) == ARGV[1] then\n"
    "    ok = ok + 1\n"		/* ours already: a retry */
    "  else\n"
    "    stale = stale + 1\n"
    "  end\n"
    "end\n"
    "if stale > 0 then redis.call('INCRBY', KEYS[4], stale) end\n"
    "return {ok, stale}\n";

/* An outcome nobody owns (a lost entry): recorded once, published. */
static const char lost_lua[] =
    "if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[1]) == 1 then\n"
    "  redis.call('XADD', KEYS[2], '*', 't', ARGV[2], 'o', ARGV[3])\n"
    "  return 1\n"
    "end\n"
    "return 0\n";

/* Renew the entries named (ARGV[2]...) that are still ours; answer
 * their ids.  Only these: an entry Redis thinks ours but this runner
 * does not hold (a reply lost with a connection) is left to expire and
 * be taken over. */
static const char renew_lua[] =
    "local p = redis.call('XPENDING', KEYS[1], 'w', '-', '+', "
    "1000000, ARGV[1])\n"
    "local mine, ids = {}, {}\n"
    "for _, e in ipairs(p) do mine[e[1]] = true end\n"
    "for i = 2, #ARGV do\n"
    "  if mine[ARGV[i]] then ids[#ids + 1] = ARGV[i] end\n"
    "end\n"
    "for i = 1, #ids, 500 do\n"
    "  local a = {KEYS[1], 'w', ARGV[1], 0}\n"
    "  for k = i, math.min(i + 499, #ids) do a[#a + 1] = ids[k] end\n"
    "  a[#a + 1] = 'JUSTID'\n"
    "  redis.call('XCLAIM', unpack(a))\n"
    "end\n"
    "return ids\n";

/* Give back what is ours (this node stops): claimable by others at
 * once, without counting a delivery. */
static const char release_lua[] =
    "local p = redis.call('XPENDING', KEYS[1], 'w', '-', '+', 100000, "
    "ARGV[1])\n"
    "local ids = {}\n"
    "for i, e in ipairs(p) do ids[i] = e[1] end\n"
    "for i = 1, #ids, 500 do\n"
    "  local a = {KEYS[1], 'w', ARGV[2], 0}\n"
    "  for k = i, math.min(i + 499, #ids) do a[#a + 1] = ids[k] end\n"
    "  a[#a + 1] = 'IDLE'\n"
    "  a[#a + 1] = ARGV[3]\n"
    "  a[#a + 1] = 'JUSTID'\n"
    "  redis.call('XCLAIM', unpack(a))\n"
    "end\n"
    "return #ids\n";

enum script { S_COMMIT, S_LOST, S_RENEW, S_RELEASE, NSCRIPTS };
static const char *const scripts[NSCRIPTS] = { commit_lua, lost_lua,
    renew_lua, release_lua };

struct link {
	const struct cluster_conf *cc;
	const char		*who;
	redisContext		*c;
	unsigned		 gen;		/* connections made */
	double			 next_try, backoff;
	double			 down_since;	/* 0: up */
	double			 logged;
	char			 sha[NSCRIPTS][41];
};

static int
link_fail(struct link *l, const char *what)
{
	double now = now_mono();

	if (l->down_since == 0)
		l->down_since = now;
	if (now - l->logged >= 5) {
		log_warnx("cluster %s: Redis at %s: %s; retrying", l->who,
		    l->cc->redis, what);
		l->logged = now;
	}
	if (l->c != NULL) {
		redisFree(l->c);
		l->c = NULL;
	}
	l->backoff = l->backoff == 0 ? 0.05 : l->backoff * 2;
	if (l->backoff > 1)
		l->backoff = 1;
	l->next_try = now + l->backoff;
	return -1;
}

/* link_up - connected (and authenticated), or -1 (try again later). */
static int
link_up(struct link *l)
{
	const struct redis_addr	*a = &l->cc->addr;
	struct timeval		 tv = { 2, 0 };
	redisReply		*rep;

	if (l->c != NULL)
		return 0;
	if (now_mono() < l->next_try)
		return -1;
	l->c = a->unix_path ? redisConnectUnixWithTimeout(a->unix_path, tv) :
	    redisConnectWithTimeout(a->host, a->port, tv);
	if (l->c == NULL)
		return link_fail(l, "out of memory");
	if (l->c->err)
		return link_fail(l, l->c->errstr);
	tv.tv_sec = 10;		/* past any BLOCK we use */
	redisSetTimeout(l->c, tv);
	if (a->password != NULL) {
		rep = a->user ? redisCommand(l->c, "AUTH %s %s", a->user,
		    a->password) : redisCommand(l->c, "AUTH %s", a->password);
		if (rep == NULL)
			return link_fail(l, l->c->errstr);
		if (rep->type == REDIS_REPLY_ERROR) {
			char m[300];

			snprintf(m, sizeof m, "AUTH refused: %s", rep->str);
			freeReplyObject(rep);
			return link_fail(l, m);
		}
		freeReplyObject(rep);
	}
	if (a->db != 0) {
		if ((rep = redisCommand(l->c, "SELECT %d", a->db)) == NULL)
			return link_fail(l, l->c->errstr);
		freeReplyObject(rep);
	}
	for (int i = 0; i < NSCRIPTS; i++) {
		rep = redisCommand(l->c, "SCRIPT LOAD %s", scripts[i]);
		if (rep == NULL)
			return link_fail(l, l->c->errstr);
		if (rep->type != REDIS_REPLY_STRING) {
			freeReplyObject(rep);
			return link_fail(l, "SCRIPT LOAD failed");
		}
		snprintf(l->sha[i], sizeof l->sha[i], "%s", rep->str);
		freeReplyObject(rep);
	}
	if (l->down_since != 0 && l->gen > 0)
		log_info("cluster %s: Redis at %s is back after %.1fs", l->who,
		    l->cc->redis, now_mono() - l->down_since);
	l->down_since = 0;
	l->backoff = 0;
	l->gen++;
	return 0;
}

/*
 * lcmd - one command.  Its reply (an error reply included), or NULL if
 * the link is down (it reconnects on a later call).  hiredis formats
 * %s, %b, and d/u/x with h, hh, l or ll only: no %zu.
 */
static redisReply *
lcmd(struct link *l, const char *fmt, ...)
{
	redisReply	*rep;
	va_list		 ap;

	if (link_up(l) != 0)
		return NULL;
	va_start(ap, fmt);
	rep = redisvCommand(l->c, fmt, ap);
	va_end(ap);
	if (rep == NULL)
		link_fail(l, l->c->errstr);
	return rep;
}

static redisReply *
lcmdv(struct link *l, int argc, const char **argv, const size_t *lens)
{
	redisReply *rep;

	if (link_up(l) != 0)
		return NULL;
	rep = redisCommandArgv(l->c, argc, argv, lens);
	if (rep == NULL)
		link_fail(l, l->c->errstr);
	return rep;
}

/* An argv being built: strings copied. */
struct args {
	char	**v;
	size_t	 *len;
	int	  n, cap;
};

static void
args_add(struct args *a, const char *s, size_t len)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->v = xreallocarray(a->v, (size_t)a->cap, sizeof *a->v);
		a->len = xreallocarray(a->len, (size_t)a->cap, sizeof *a->len);
	}
	a->v[a->n] = xmalloc(len + 1);
	memcpy(a->v[a->n], s, len);
	a->v[a->n][len] = '\0';
	a->len[a->n++] = len;
}

static void
args_str(struct args *a, const char *s)
{
	args_add(a, s, strlen(s));
}

static void
args_fmt(struct args *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	args_str(a, s);
	free(s);
}

static void
args_clear(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

static void
args_free(struct args *a)
{
	args_clear(a);
	free(a->v);
	free(a->len);
}

/* lscript - EVALSHA script with a's arguments after the numkeys. */
static redisReply *
lscript(struct link *l, enum script s, int nkeys, struct args *a)
{
	struct args	 full = { 0 };
	redisReply	*rep;

	if (link_up(l) != 0)
		return NULL;
	args_str(&full, "EVALSHA");
	args_str(&full, l->sha[s]);
	args_fmt(&full, "%d", nkeys);
	for (int i = 0; i < a->n; i++)
		args_add(&full, a->v[i], a->len[i]);
	rep = lcmdv(l, full.n, (const char **)full.v, full.len);
	args_free(&full);
	return rep;
}

static int
is_error(const redisReply *rep, const char *prefix)
{
	return rep != NULL && rep->type == REDIS_REPLY_ERROR &&
	    (prefix == NULL || strncmp(rep->str, prefix, strlen(prefix)) == 0);
}

/* idx_of - the task of stream entry id "0-N": N - 1, or -1. */
static long long
idx_of(const char *id)
{
	char		*end;
	long long	 n;

	if (strncmp(id, "0-", 2) != 0)
		return -1;
	n = strtoll(id + 2, &end, 10);
	return *end == '\0' && n >= 1 ? n - 1 : -1;
}

/* ---- the coordinator ---- */

/* What the run's strategy descriptor says: built in, no plugin file. */
static const struct weft_strategy_ops cluster_ops = { .max_concurrency = 0 };
const struct weft_plugin cluster_strategy = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_STRATEGY,
	.name = "cluster",
	.version = "1.0",
	.summary = "tasks spread over the worker nodes of a cluster "
	    "(Redis Streams)",
	.ops = &cluster_ops,
};

struct lanes {
	char	**v;		/* "node/lane" */
	size_t	  n;
};

static long
lane_of(struct lanes *ls, const char *node, long lane)
{
	char *k;

	xasprintf(&k, "%s/%ld", node, lane);
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->v[i], k) == 0) {
			free(k);
			return (long)i;
		}
	ls->v = xreallocarray(ls->v, ls->n + 1, sizeof *ls->v);
	ls->v[ls->n] = k;
	return (long)ls->n++;
}

/*
 * take_outcome - an outcome a worker published: on this run's clock, on
 * a lane of its node, with the node in its result.  0 if recorded.
 */
static int
take_outcome(struct weft_run *r, struct lanes *ls, long long idx,
    const char *text, size_t len)
{
	struct outcome	 o;
	json_t		*x;
	const char	*node;
	double		 now = now_mono() - r->t0;

	if (idx < 0 || (size_t)idx >= r->ntasks ||
	    r->recs[idx].state != T_PENDING ||
	    outcome_parse(text, len, &o, &x) != 0)
		return -1;
	node = json_string_value(json_object_get(x, "n"));
	if (json_is_number(json_object_get(x, "w0"))) {
		o.start = json_number_value(json_object_get(x, "w0")) - r->wall0;
		o.end = json_number_value(json_object_get(x, "w1")) - r->wall0;
		/* Clocks of other machines: keep the timeline sane. */
		if (o.start < 0)
			o.start = 0;
		if (o.end > now)
			o.end = now;
		if (o.end < o.start)
			o.end = o.start;
	}
	if (node != NULL) {
		o.lane = lane_of(ls, node, o.lane >= 0 ? o.lane : 0);
		result_str(&o.result, "node", node, strlen(node));
	}
	if (json_is_true(json_object_get(x, "lost")))
		r->lost++;
	json_decref(x);
	task_record(r, (size_t)idx, 0, &o);
	return 0;
}

/* lost_text - the outcome of a task whose queue entry was deleted. */
static char *
lost_text(struct weft_run *r, const char *node, const char *how)
{
	struct outcome	 o = { .state = T_FAILED, .lane = -1, .attempts = 1 };
	json_t		*j;
	size_t		 len;
	char		*s, *t;

	o.start = o.end = now_mono() - r->t0;
	xasprintf(&o.error, "lost: its entry was deleted from the run's "
	    "stream %s (XDEL or XTRIM); it may or may not have run", how);
	s = outcome_text(r, &o, &len);
	j = json_loads(s, 0, NULL);
	free(s);
	json_object_set_new(j, "lost", json_true());
	if (node != NULL)
		json_object_set_new(j, "n", json_string(node));
	t = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return t;
}

/* node_report - whether a live worker node can run workload w (ABI
 * major abi); *why says which nodes are up and what they lack, *slots
 * how many tasks at once those that can run. */
static int
node_report(struct link *l, const char *w, int abi, char **why,
    long long *slots)
{
	redisReply	*rep;
	char		*s = xstrdup("");
	int		 can = 0, live = 0;
	double		 now = now_wall();

	*slots = 0;
	if ((rep = lcmd(l, "HGETALL %s", CLUSTER_NODES)) == NULL ||
	    rep->type != REDIS_REPLY_ARRAY) {
		if (rep)
			freeReplyObject(rep);
		*why = s;
		return -1;
	}
	for (size_t i = 0; i + 1 < rep->elements; i += 2) {
		json_t		*n = json_loads(rep->element[i + 1]->str, 0,
				    NULL);
		json_t		*v = json_object_get(json_object_get(n,
				    "workloads"), w);
		const char	*name = rep->element[i]->str;
		char		*t;

		if (now - json_number_value(json_object_get(n, "seen")) >
		    CLUSTER_NODE_TTL_S) {
			json_decref(n);
			continue;
		}
		live++;
		if (json_is_integer(v) && json_integer_value(v) == abi) {
			can++;
			*slots += json_integer_value(json_object_get(n,
			    "slots"));
		}
		xasprintf(&t, "%s%s%s (%s)", s, *s ? ", " : "", name,
		    v == NULL ? "no such workload" : json_integer_value(v) ==
		    abi ? "can" : "another ABI major");
		free(s);
		s = t;
		json_decref(n);
	}
	freeReplyObject(rep);
	if (live == 0) {
		free(s);
		xasprintf(&s, "no worker node is up (none announced itself in "
		    "%s in the last %d s): start weftd with cluster.worker on "
		    "some node", CLUSTER_NODES, CLUSTER_NODE_TTL_S);
	}
	*why = s;
	return can > 0;
}

/*
 * sweep_lost - nothing came for a lease: if no entry is pending or
 * waiting for a worker, the tasks enqueued without an outcome lost
 * their entries before any worker read them.  Report them.
 */
static void
sweep_lost(struct weft_run *r, struct link *l, const char *key,
    const size_t *todo, size_t enq)
{
	redisReply	*rep, *sub;
	char		 last[64] = "", *k1, *k2;
	long long	 pending = -1;

	rep = lcmd(l, "XINFO GROUPS %s:tasks", key);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
		if (rep)
			freeReplyObject(rep);
		return;
	}
	for (size_t g = 0; g < rep->elements; g++) {
		redisReply *e = rep->element[g];

		for (size_t i = 0; i + 1 < e->elements; i += 2) {
			if (strcmp(e->element[i]->str, "pending") == 0)
				pending = e->element[i + 1]->integer;
			else if (strcmp(e->element[i]->str,
			    "last-delivered-id") == 0)
				snprintf(last, sizeof last, "%s",
				    e->element[i + 1]->str);
		}
	}
	freeReplyObject(rep);
	if (pending != 0 || *last == '\0')
		return;
	/* Anything not yet delivered still in the stream? */
	rep = lcmd(l, "XRANGE %s:tasks (%s + COUNT 1", key, last);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != 0) {
		if (rep)
			freeReplyObject(rep);
		return;
	}
	freeReplyObject(rep);
	xasprintf(&k1, "%s:done", key);
	xasprintf(&k2, "%s:out", key);
	for (size_t i = 0; i < enq; i++) {
		size_t		 idx = todo ? todo[i] : i;
		struct args	 a = { 0 };
		char		*t;

		if (r->recs[idx].state != T_PENDING)
			continue;
		t = lost_text(r, NULL, "before any worker read it");
		args_str(&a, k1);
		args_str(&a, k2);
		args_str(&a, "coordinator");
		args_fmt(&a, "%zu", idx);
		args_str(&a, t);
		free(t);
		if ((sub = lscript(l, S_LOST, 2, &a)) != NULL)
			freeReplyObject(sub);
		args_free(&a);
	}
	free(k1);
	free(k2);
}

/* enqueue - add todo[from..to) to the run's stream (pipelined). */
static int
enqueue(struct link *l, const char *key, const size_t *todo, size_t from,
    size_t to)
{
	redisReply	*rep;
	size_t		 n = 0;
	int		 rc = 0;

	if (link_up(l) != 0)
		return -1;
	for (size_t i = from; i < to; i++, n++) {
		size_t idx = todo ? todo[i] : i;

		redisAppendCommand(l->c, "XADD %s:tasks 0-%llu t %llu", key,
		    (unsigned long long)idx + 1, (unsigned long long)idx);
	}
	while (n-- > 0) {
		if (redisGetReply(l->c, (void **)&rep) != REDIS_OK) {
			link_fail(l, l->c->errstr);
			return -1;
		}
		/* A retried XADD: that entry is there already. */
		if (rep->type == REDIS_REPLY_ERROR &&
		    strstr(rep->str, "equal or smaller") == NULL) {
			log_warnx("cluster coordinator: XADD: %s", rep->str);
			rc = -1;
		}
		freeReplyObject(rep);
	}
	return rc;
}

static void
check_server(struct link *l)
{
	redisReply *rep;

	if ((rep = lcmd(l, "CONFIG GET appendonly")) != NULL &&
	    rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    strcmp(rep->element[1]->str, "yes") != 0)
		log_warnx("cluster coordinator: Redis at %s has appendonly no: "
		    "if it crashes, the tasks queued for this run are lost",
		    l->cc->redis);
	if (rep)
		freeReplyObject(rep);
	if ((rep = lcmd(l, "CONFIG GET maxmemory-policy")) != NULL &&
	    rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    strcmp(rep->element[1]->str, "noeviction") != 0)
		log_warnx("cluster coordinator: Redis at %s evicts keys "
		    "(maxmemory-policy %s): a run's streams can vanish under "
		    "memory pressure; use noeviction", l->cc->redis,
		    rep->element[1]->str);
	if (rep)
		freeReplyObject(rep);
}

static void
cleanup(struct link *l, const char *key)
{
	redisReply *rep;

	if ((rep = lcmd(l, "SET %s:state end EX 600", key)) != NULL)
		freeReplyObject(rep);
	if ((rep = lcmd(l, "HDEL %s %s", CLUSTER_ACTIVE, key)) != NULL)
		freeReplyObject(rep);
	if ((rep = lcmd(l, "DEL %s:tasks %s:out %s:done %s:spec %s:why "
	    "%s:stale", key, key, key, key, key, key)) != NULL)
		freeReplyObject(rep);
}

/* The coordinator's state, from cluster_prepare to its end. */
static struct {
	struct cluster_conf	 cc;
	struct link		 l;
	char			 key[160];
	long long		 slots;		/* of the nodes that can */
} co;

/*
 * cluster_prepare - strategy cluster, before the run starts: reach
 * Redis, and find worker nodes that can run the workload (the run fails
 * here, with the nodes and what they lack, if none can).  The default
 * concurrency: twice their slots.
 */
size_t
cluster_prepare(struct weft_run *r, const struct proto_run *req)
{
	char	*cause, *why;
	double	 t_start = now_mono();

	if (cluster_conf_from_json(req->cluster, &co.cc, &cause) != 0)
		runner_fail(SUPERVISOR_FD, "strategy cluster: %s", cause);
	co.l.cc = &co.cc;
	co.l.who = "coordinator";
	snprintf(co.key, sizeof co.key, "weft:run:%s:%lld", co.cc.node, r->id);
	while (link_up(&co.l) != 0) {
		if (now_mono() - t_start > 10 || CANCELLED())
			runner_fail(SUPERVISOR_FD, "strategy cluster: cannot "
			    "reach Redis at %s (see the log)", co.cc.redis);
		usleep(100000);
	}
	check_server(&co.l);
	if (node_report(&co.l, r->wdesc->name, r->wdesc->abi_major, &why,
	    &co.slots) <= 0)
		runner_fail(SUPERVISOR_FD, "strategy cluster: no worker node "
		    "can run workload %s (ABI %u): %s", r->wdesc->name,
		    r->wdesc->abi_major, why);
	free(why);
	return co.slots > 0 ? 2 * (size_t)co.slots : 1;
}

/*
 * cluster_coordinate - strategy cluster's run, on the node it started
 * on.  0 when the run is over (ok, failed or cancelled).
 */
int
cluster_coordinate(struct weft_run *r, const struct proto_run *req)
{
	struct link		*l = &co.l;
	struct lanes		 lanes = { 0 };
	redisReply		*rep;
	const char		*key = co.key;
	char			 last[64] = "0-0", *why;
	json_t			*spec;
	char			*s;
	size_t			 ntodo = r->todo ? r->ntodo : r->ntasks;
	size_t			 enq = 0, got = 0;
	double			 last_news, warned = 0, cancel_end = 0;
	long long		 slots;

	/* The run, for workers: its job, then its tasks, then announced. */
	spec = json_pack("{s:s, s:s, s:O?, s:s, s:i, s:I}", "file", req->file,
	    "text", req->text, "sets", req->sets, "workload", r->wdesc->name,
	    "abi", (int)r->wdesc->abi_major, "ntasks", (json_int_t)r->ntasks);
	s = json_dumps(spec, JSON_COMPACT);
	json_decref(spec);
	rep = lcmd(l, "SET %s:spec %s", key, s);
	free(s);
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR)
		runner_fail(SUPERVISOR_FD, "strategy cluster: Redis: %s",
		    rep ? rep->str : "connection lost");
	freeReplyObject(rep);
	rep = lcmd(l, "XGROUP CREATE %s:tasks %s 0 MKSTREAM", key,
	    CLUSTER_GROUP);
	if (rep == NULL || (is_error(rep, NULL) && !is_error(rep, "BUSYGROUP")))
		runner_fail(SUPERVISOR_FD, "strategy cluster: Redis: %s",
		    rep ? rep->str : "connection lost");
	freeReplyObject(rep);
	if ((rep = lcmd(l, "SET %s:state run", key)) != NULL)
		freeReplyObject(rep);
	spec = json_pack("{s:s, s:i, s:I, s:s}", "workload", r->wdesc->name,
	    "abi", (int)r->wdesc->abi_major, "ntasks", (json_int_t)r->ntasks,
	    "coordinator", co.cc.node);
	s = json_dumps(spec, JSON_COMPACT);
	json_decref(spec);
	if ((rep = lcmd(l, "HSET %s %s %s", CLUSTER_ACTIVE, key, s)) != NULL)
		freeReplyObject(rep);
	free(s);
	/* Wake the workers now (they would find it within a second). */
	if ((rep = lcmd(l, "PUBLISH %s %s", CLUSTER_ANNOUNCE, key)) != NULL)
		freeReplyObject(rep);
	log_info("cluster coordinator: run %lld: %zu tasks, at most %zu in "
	    "flight, through %s (%s)", r->id, ntodo, r->concurrency,
	    co.cc.redis, key);

	last_news = now_mono();
	while (got < ntodo) {
		double now = now_mono();

		if (CANCELLED() && cancel_end == 0) {
			/* Workers stop their tasks; what they finish counts. */
			if ((rep = lcmd(l, "SET %s:state cancel", key)) != NULL)
				freeReplyObject(rep);
			cancel_end = now + 10;
		}
		if (cancel_end != 0 && now >= cancel_end)
			break;
		if (cancel_end == 0 && enq < ntodo &&
		    enq - got < r->concurrency) {
			size_t to = got + r->concurrency;

			if (to > ntodo)
				to = ntodo;
			if (to > enq + 1000)
				to = enq + 1000;
			if (enqueue(l, key, r->todo, enq, to) == 0)
				enq = to;
		}
		rep = lcmd(l, "XREAD COUNT 1000 BLOCK %d STREAMS %s:out %s",
		    cancel_end != 0 ? 100 : 200, key, last);
		if (rep == NULL) {
			usleep(50000);
			continue;
		}
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1) {
			redisReply *es = rep->element[0]->element[1];

			for (size_t i = 0; i < es->elements; i++) {
				redisReply	*e = es->element[i];
				redisReply	*f = e->element[1];
				long long	 idx = -1;
				const char	*o = NULL;
				size_t		 olen = 0;

				snprintf(last, sizeof last, "%s",
				    e->element[0]->str);
				for (size_t k = 0; k + 1 < f->elements; k += 2) {
					if (strcmp(f->element[k]->str, "t") == 0)
						idx = strtoll(f->element[k +
						    1]->str, NULL, 10);
					else if (strcmp(f->element[k]->str,
					    "o") == 0) {
						o = f->element[k + 1]->str;
						olen = f->element[k + 1]->len;
					}
				}
				if (o != NULL && take_outcome(r, &lanes, idx, o,
				    olen) == 0) {
					got++;
					last_news = now_mono();
				}
			}
		}
		freeReplyObject(rep);
		if (cancel_end != 0) {
			/* Done when nothing is in flight any more. */
			rep = lcmd(l, "XPENDING %s:tasks %s", key,
			    CLUSTER_GROUP);
			if (rep != NULL && rep->type == REDIS_REPLY_ARRAY &&
			    rep->elements > 0 && rep->element[0]->integer == 0) {
				freeReplyObject(rep);
				break;
			}
			if (rep)
				freeReplyObject(rep);
			continue;
		}
		now = now_mono();
		if (now - last_news >= co.cc.lease_ms / 1e3 &&
		    now - warned >= co.cc.lease_ms / 1e3) {
			warned = now;
			sweep_lost(r, l, key, r->todo, enq);
			if (node_report(l, r->wdesc->name,
			    r->wdesc->abi_major, &why, &slots) == 0)
				log_warnx("cluster coordinator: run %lld: no "
				    "outcome for %.0fs, and no live worker "
				    "node can run workload %s: %s", r->id,
				    now - last_news, r->wdesc->name, why);
			free(why);
		}
	}
	if ((rep = lcmd(l, "GET %s:stale", key)) != NULL) {
		if (rep->type == REDIS_REPLY_STRING)
			r->duplicated = strtoll(rep->str, NULL, 10);
		freeReplyObject(rep);
	}
	cleanup(l, key);
	for (size_t i = 0; i < lanes.n; i++)
		free(lanes.v[i]);
	free(lanes.v);
	return 0;
}

/* ---- the worker ---- */

static struct weft_run	 wrun;

/* dead_letter - task idx was delivered n times without an outcome. */
static void
dead_letter(struct work *w, struct link *l, size_t idx, long long n)
{
	struct outcome	 o = { .state = T_FAILED, .lane = -1, .attempts = 1 };
	redisReply	*rep;
	const char	*why = "each time, its worker stopped without an "
			    "outcome (killed, or paused past its lease)";
	char		*text, *entry;
	size_t		 len;
	json_t		*j;

	rep = lcmd(l, "HGET %s:why %llu", w->key, (unsigned long long)idx);
	if (rep != NULL && rep->type == REDIS_REPLY_STRING)
		why = rep->str;
	o.start = o.end = now_mono() - wrun.t0;
	xasprintf(&o.error, "dead letter: delivered %lld times, more than "
	    "max_deliveries (%d); last: %s", n, w->cc.max_deliveries, why);
	j = json_pack("{s:s, s:I, s:I, s:s, s:s, s:f}", "run", w->key, "task",
	    (json_int_t)idx, "deliveries", (json_int_t)n, "reason", o.error,
	    "node", w->cc.node, "at", now_wall());
	entry = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (rep)
		freeReplyObject(rep);
	log_warnx("cluster worker: %s task %zu: %s", w->key, idx, o.error);
	if ((rep = lcmd(l, "LPUSH %s %s", CLUSTER_DEAD, entry)) != NULL)
		freeReplyObject(rep);
	if ((rep = lcmd(l, "LTRIM %s 0 %d", CLUSTER_DEAD,
	    CLUSTER_DEAD_MAX - 1)) != NULL)
		freeReplyObject(rep);
	free(entry);
	text = outcome_text(&wrun, &o, &len);
	pthread_mutex_lock(&w->mu);
	w->dead++;
	commit_add(w, idx, text, 0);
	pthread_mutex_unlock(&w->mu);
}

/* deliveries - how many times entry idx has been delivered, or -1. */
static long long
deliveries(struct work *w, struct link *l, size_t idx)
{
	redisReply	*rep;
	long long	 n = -1;

	rep = lcmd(l, "XPENDING %s:tasks %s 0-%llu 0-%llu 1", w->key,
	    CLUSTER_GROUP, (unsigned long long)idx + 1,
	    (unsigned long long)idx + 1);
	if (rep != NULL && rep->type == REDIS_REPLY_ARRAY &&
	    rep->elements == 1 && rep->element[0]->elements == 4)
		n = rep->element[0]->element[3]->integer;
	if (rep)
		freeReplyObject(rep);
	return n;
}

/* claimed - entries a read or a takeover gave us (an array of
 * [id, fields]); check takeovers against max_deliveries. */
static void
claimed(struct work *w, struct link *l, redisReply *es, int takeover)
{
	for (size_t i = 0; i < es->elements; i++) {
		redisReply	*e = es->element[i];
		long long	 idx, n;

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
		    (idx = idx_of(e->element[0]->str)) < 0 ||
		    (size_t)idx >= wrun.ntasks)
			continue;
		if (takeover && (n = deliveries(w, l, (size_t)idx)) >
		    w->cc.max_deliveries) {
			dead_letter(w, l, (size_t)idx, n);
			continue;
		}
		if (takeover)
			log_info("cluster worker: %s task %lld: taken over "
			    "(idle for a lease)", w->key, idx);
		pthread_mutex_lock(&w->mu);
		push(w, (size_t)idx);
		pthread_mutex_unlock(&w->mu);
	}
}

/* run_state - K:state: 1 run, 0 over (ended or gone), 2 cancelled. */
static int
run_state(struct work *w, struct link *l)
{
	redisReply	*rep = lcmd(l, "GET %s:state", w->key);
	int		 st = 1;

	if (rep == NULL)
		return 1;	/* Redis is down: assume it goes on */
	if (rep->type == REDIS_REPLY_NIL ||
	    (rep->type == REDIS_REPLY_STRING && strcmp(rep->str, "end") == 0))
		st = 0;
	else if (rep->type == REDIS_REPLY_STRING &&
	    strcmp(rep->str, "cancel") == 0)
		st = 2;
	freeReplyObject(rep);
	return st;
}

static void
set_over(struct work *w)
{
	pthread_mutex_lock(&w->mu);
	w->over = 1;
	efd_set(w);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* read_claims - an XREADGROUP reply: its entries, to run here (frees
 * rep).  -1 if the run's group is gone (the run is over), else 0. */
static int
read_claims(struct work *w, struct link *l, redisReply *rep)
{
	if (is_error(rep, "NOGROUP")) {
		freeReplyObject(rep);
		set_over(w);
		return -1;
	}
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1)
		claimed(w, l, rep->element[0]->element[1], 0);
	freeReplyObject(rep);
	return 0;
}

/*
 * feeder - claims tasks: takes over abandoned entries, reads new ones,
 * and after every (re)connection first reads back what the group still
 * holds for us (a reply lost with a connection).
 */
static void *
feeder(void *arg)
{
	struct work	*w = arg;
	struct link	 l = { .cc = &w->cc, .who = "worker" };
	redisReply	*rep;
	unsigned	 gen = 0;
	double		 claim_at = 0, state_at = 0;
	char		 cursor[64] = "0-0";
	long long	 lease = (long long)w->cc.lease_ms;

	for (;;) {
		double	now = now_mono();
		size_t	want, ahead;
		int	st;

		pthread_mutex_lock(&w->mu);
		if (w->stop || w->over) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		/* Hold up to work_ahead(): claim a quarter of it at once,
		 * or less when slots could go idle. */
		ahead = work_ahead(w);
		want = w->nown < ahead && (w->qn < w->slots ||
		    ahead - w->nown >= ahead / 4) ? ahead - w->nown : 0;
		pthread_mutex_unlock(&w->mu);

		if (now >= state_at) {
			state_at = now + 0.25;
			if ((st = run_state(w, &l)) == 0) {
				set_over(w);
				break;
			}
			if (st == 2) {
				log_info("cluster worker: %s was cancelled",
				    w->key);
				atomic_store(&w->run_cancelled, 1);
				atomic_store(&cancel_flag, 1);
				set_over(w);
				break;
			}
		}
		if (link_up(&l) != 0) {
			usleep(50000);
			continue;
		}
		if (gen != l.gen) {
			/* What the group holds for us: ours to run. */
			rep = lcmd(&l, "XREADGROUP GROUP %s %s COUNT 100000 "
			    "STREAMS %s:tasks 0", CLUSTER_GROUP, w->consumer,
			    w->key);
			if (rep == NULL)
				continue;
			if (read_claims(w, &l, rep) != 0)
				break;
			gen = l.gen;
		}
		if (want == 0) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_mutex_lock(&w->mu);
			ahead = work_ahead(w);
			if (!w->stop && (w->nown >= ahead || (w->qn >=
			    w->slots && ahead - w->nown < ahead / 4)))
				pthread_cond_timedwait(&w->cv, &w->mu, &ts);
			pthread_mutex_unlock(&w->mu);
			continue;
		}
		if (now >= claim_at) {
			rep = lcmd(&l, "XAUTOCLAIM %s:tasks %s %s %lld %s "
			    "COUNT %llu", w->key, CLUSTER_GROUP, w->consumer,
			    lease, cursor, (unsigned long long)want);
			if (rep == NULL)
				continue;
			if (rep->type == REDIS_REPLY_ARRAY &&
			    rep->elements >= 2) {
				snprintf(cursor, sizeof cursor, "%s",
				    rep->element[0]->str);
				claimed(w, &l, rep->element[1], 1);
				/* Pending entries deleted from the stream. */
				if (rep->elements >= 3)
					for (size_t i = 0; i <
					    rep->element[2]->elements; i++) {
						long long idx = idx_of(rep->
						    element[2]->element[i]->str);

						if (idx < 0 || (size_t)idx >=
						    wrun.ntasks)
							continue;
						pthread_mutex_lock(&w->mu);
						w->lost++;
						commit_add(w, (size_t)idx,
						    lost_text(&wrun, w->cc.node,
						    "while pending"), 1);
						pthread_mutex_unlock(&w->mu);
					}
			} else if (is_error(rep, "NOGROUP")) {
				freeReplyObject(rep);
				set_over(w);
				break;
			}
			freeReplyObject(rep);
			if (strcmp(cursor, "0-0") == 0)
				claim_at = now + lease / 4e3;
			continue;
		}
		rep = lcmd(&l, "XREADGROUP GROUP %s %s COUNT %llu BLOCK 100 "
		    "STREAMS %s:tasks >", CLUSTER_GROUP, w->consumer,
		    (unsigned long long)want, w->key);
		if (rep == NULL)
			continue;
		if (read_claims(w, &l, rep) != 0)
			break;
	}
	if (l.c != NULL)
		redisFree(l.c);
	return NULL;
}

/* renew - restart the idle time of what this runner holds; drop from
 * the queue what another node took over. */
static void
renew(struct work *w, struct link *l)
{
	struct args	 a = { 0 };
	redisReply	*rep;
	size_t		*held, nheld, *queued, nqueued;

	/* What we hold now: anything claimed later is not judged. */
	pthread_mutex_lock(&w->mu);
	nheld = w->nown;
	held = xcalloc(nheld + 1, sizeof *held);
	for (size_t i = 0; i < nheld; i++)
		held[i] = w->own[i];
	nqueued = w->qn;
	queued = xcalloc(nqueued + 1, sizeof *queued);
	for (size_t i = 0; i < w->qn; i++)
		queued[i] = w->q[(w->qhead + i) % w->qcap];
	pthread_mutex_unlock(&w->mu);
	if (nheld == 0)
		goto out;
	args_fmt(&a, "%s:tasks", w->key);
	args_str(&a, w->consumer);
	for (size_t i = 0; i < nheld; i++)
		args_fmt(&a, "0-%zu", held[i] + 1);
	rep = lscript(l, S_RENEW, 1, &a);
	args_free(&a);
	if (rep == NULL)
		goto out;
	if (rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		goto out;
	}
	for (size_t i = 0; i < nqueued; i++) {
		int mine = 0;

		for (size_t k = 0; k < rep->elements && !mine; k++)
			mine = idx_of(rep->element[k]->str) ==
			    (long long)queued[i];
		if (mine)
			continue;
		/* Taken over while it waited here: not ours to run. */
		pthread_mutex_lock(&w->mu);
		for (size_t k = 0; k < w->qn; k++) {
			size_t pos = (w->qhead + k) % w->qcap;

			if (w->q[pos] != queued[i])
				continue;
			log_info("cluster worker: %s task %zu: taken over by "
			    "another node; not run here", w->key, queued[i]);
			own_del(w, queued[i]);
			/* Keep the order: shift the rest down. */
			for (size_t m = k; m + 1 < w->qn; m++)
				w->q[(w->qhead + m) % w->qcap] =
				    w->q[(w->qhead + m + 1) % w->qcap];
			w->qn--;
			break;
		}
		if (w->qn == 0)
			efd_set(w);
		pthread_mutex_unlock(&w->mu);
	}
	freeReplyObject(rep);
out:
	free(held);
	free(queued);
}

/*
 * committer - commits outcomes in batches, renews leases.  Ends when
 * told to stop and nothing is left to commit (or the run's keys are
 * gone).
 */
static void *
committer(void *arg)
{
	struct work	*w = arg;
	struct link	 l = { .cc = &w->cc, .who = "worker" };
	double		 renew_at = 0, gone_since = 0;
	char		 k[4][200];

	snprintf(k[0], sizeof k[0], "%s:tasks", w->key);
	snprintf(k[1], sizeof k[1], "%s:done", w->key);
	snprintf(k[2], sizeof k[2], "%s:out", w->key);
	snprintf(k[3], sizeof k[3], "%s:stale", w->key);
	for (;;) {
		struct commit	*batch;
		size_t		 n;
		double		 now = now_mono();
		struct timespec	 ts;

		if (now >= renew_at && link_up(&l) == 0) {
			renew(w, &l);
			renew_at = now + w->cc.lease_ms / 3e3;
		}
		pthread_mutex_lock(&w->mu);
		if (w->nc == 0) {
			if (w->stop) {
				pthread_mutex_unlock(&w->mu);
				break;
			}
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 50 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
			pthread_mutex_unlock(&w->mu);
			continue;
		}
		n = w->nc > 256 ? 256 : w->nc;
		batch = xcalloc(n, sizeof *batch);
		memcpy(batch, w->c, n * sizeof *batch);
		memmove(w->c, w->c + n, (w->nc - n) * sizeof *w->c);
		w->nc -= n;
		pthread_mutex_unlock(&w->mu);

		for (size_t i = 0; i < n; ) {
			struct args	 a = { 0 };
			redisReply	*rep;
			size_t		 j = i;

			if (batch[i].lost) {
				args_str(&a, k[1]);
				args_str(&a, k[2]);
				args_str(&a, w->consumer);
				args_fmt(&a, "%zu", batch[i].idx);
				args_str(&a, batch[i].text);
				rep = lscript(&l, S_LOST, 2, &a);
				j = i + 1;
			} else {
				for (int x = 0; x < 4; x++)
					args_str(&a, k[x]);
				args_str(&a, w->consumer);
				for (; j < n && !batch[j].lost; j++) {
					args_fmt(&a, "%zu", batch[j].idx);
					args_str(&a, batch[j].text);
				}
				rep = lscript(&l, S_COMMIT, 4, &a);
			}
			args_free(&a);
			if (rep == NULL) {
				/* Redis is away: keep them, try again. */
				if (gone_since == 0)
					gone_since = now_mono();
				usleep(100000);
				continue;
			}
			gone_since = 0;
			if (rep->type == REDIS_REPLY_ARRAY &&
			    rep->elements == 2) {
				pthread_mutex_lock(&w->mu);
				w->stale += (size_t)rep->element[1]->integer;
				pthread_mutex_unlock(&w->mu);
			} else if (rep->type == REDIS_REPLY_ERROR) {
				/* The run's keys are gone: it is over. */
				log_debug("cluster worker: %s: commit: %s",
				    w->key, rep->str);
				set_over(w);
			}
			freeReplyObject(rep);
			for (size_t x = i; x < j; x++)
				free(batch[x].text);
			i = j;
		}
		free(batch);
	}
	if (l.c != NULL)
		redisFree(l.c);
	return NULL;
}

/*
 * runner_work - a worker node's part in one cluster run: run its tasks
 * with the local strategy until the run is over, then exit.
 */
void
runner_work(const struct proto_work *req)
{
	struct weft_run	*r = &wrun;
	struct work	*w = xcalloc(1, sizeof *w);
	struct job	*job;
	pthread_t	 tf, tc;
	redisReply	*rep;
	struct link	 l = { 0 };
	char		*cause;
	int		 fd = SUPERVISOR_FD;

	host_crash_setup();
	if (cluster_conf_from_json(req->cluster, &w->cc, &cause) != 0)
		runner_fail(fd, "%s", cause);
	snprintf(w->key, sizeof w->key, "%s", req->key);
	snprintf(w->consumer, sizeof w->consumer, "%s/%ld", w->cc.node,
	    (long)getpid());
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		runner_fail(fd, "eventfd: %s", strerror(errno));

	job = job_of(fd, req->file, req->text, req->sets);
	fd_room(w->cc.slots);	/* before the feeder and committer */
	r->fd = fd;
	r->jfd = -1;
	r->retries = job->retries;
	r->trace_max = 0;
	r->strategy = req->strategy;
	r->sparams = job->sparams;
	pthread_mutex_init(&r->mu, NULL);
	r->wdesc = plugin_load(fd, req->workload_path, WEFT_KIND_WORKLOAD,
	    job->workload);
	r->sdesc = plugin_load(fd, req->strategy_path, WEFT_KIND_STRATEGY,
	    req->strategy);
	r->wops = r->wdesc->ops;
	r->sops = r->sdesc->ops;
	r->wstate = r->wops->init(&host, (const struct weft_node *)job->params,
	    &r->ntasks);
	if (job->doc->errs.n != 0 || r->wstate == NULL)
		runner_fail(fd, "workload %s: its params do not work on this "
		    "node: %s", job->workload, job->doc->errs.n ?
		    job->doc->errs.v[0] : "initialization failed (see the log)");
	if (r->ntasks != (size_t)req->ntasks)
		runner_fail(fd, "workload %s: its params make %zu tasks on this "
		    "node and %lld on the coordinator (paths in params must "
		    "resolve the same on every node)", job->workload,
		    r->ntasks, req->ntasks);
	w->slots = (size_t)w->cc.slots;
	r->concurrency = w->slots;
	if (r->sops->max_concurrency != 0 &&
	    r->concurrency > r->sops->max_concurrency)
		r->concurrency = r->sops->max_concurrency;
	r->work = w;
	r->t0 = now_mono();
	r->wall0 = now_wall();
	log_info("cluster worker: %s: %s x%zu as %s", w->key, req->strategy,
	    r->concurrency, w->consumer);

	if (pthread_create(&tf, NULL, feeder, w) != 0 ||
	    pthread_create(&tc, NULL, committer, w) != 0)
		runner_fail(fd, "cannot start threads: %s", strerror(errno));
	if (r->sops->run(&host, r) != 0)
		log_warnx("cluster worker: %s: strategy %s failed", w->key,
		    req->strategy);
	/* Every task handed out has its outcome queued: commit them. */
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(tf, NULL);
	pthread_join(tc, NULL);
	if (r->wops->fini != NULL)
		r->wops->fini(r->wstate);

	/* This node stops before the run ends: give back what is ours. */
	l.cc = &w->cc;
	l.who = "worker";
	if (CANCELLED() && !atomic_load(&w->run_cancelled)) {
		struct args	a = { 0 };
		char		idle[32];

		snprintf(idle, sizeof idle, "%llu",
		    (unsigned long long)w->cc.lease_ms);
		args_fmt(&a, "%s:tasks", w->key);
		args_str(&a, w->consumer);
		args_fmt(&a, "%s/released", w->cc.node);
		args_str(&a, idle);
		if ((rep = lscript(&l, S_RELEASE, 1, &a)) != NULL) {
			if (rep->type == REDIS_REPLY_INTEGER && rep->integer)
				log_info("cluster worker: %s: %lld tasks left "
				    "to other nodes", w->key, rep->integer);
			freeReplyObject(rep);
		}
		args_free(&a);
	}
	/* Leave the group if nothing is left pending for us. */
	rep = lcmd(&l, "XPENDING %s:tasks %s - + 1 %s", w->key, CLUSTER_GROUP,
	    w->consumer);
	if (rep != NULL && rep->type == REDIS_REPLY_ARRAY &&
	    rep->elements == 0) {
		freeReplyObject(rep);
		rep = lcmd(&l, "XGROUP DELCONSUMER %s:tasks %s %s", w->key,
		    CLUSTER_GROUP, w->consumer);
	}
	if (rep)
		freeReplyObject(rep);
	if (l.c != NULL)
		redisFree(l.c);
	log_info("cluster worker: %s: ran %zu tasks here (%zu ok, %zu "
	    "failed); %zu outcomes refused (run elsewhere too), %zu dead "
	    "letters, %zu lost entries", w->key, w->ran, w->ok, w->failed,
	    w->stale, w->dead, w->lost);
	_exit(0);
}
