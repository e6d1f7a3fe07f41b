/*
 * control.c - the control socket: a Unix stream socket speaking one JSON
 * object per line in each direction.  Requests are checked for size,
 * syntax and protocol version before they reach a handler; a bad one
 * gets a JSON error and the connection is closed.  All I/O is
 * non-blocking, so slow or many clients cannot stall the loop.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "weftd.h"

/*
 * The longest request line: 64 KiB, and for trusted peers (who may ask
 * weftd to check a job file's text) a job file's 4 MiB and room for its
 * escaping.
 */
#define REQUEST_MAX		(64 * 1024)
#define REQUEST_MAX_TRUSTED	(9 * 1024 * 1024)
#define REPLY_BACKLOG	(16 * 1024 * 1024)
/*
 * Limits (weftd(8) documents them): at most CONNS_MAX connections; a
 * user has at most max_conns_per_uid (root and weftd's own user:
 * CONNS_MAX / 2), so no one user takes every slot.  A user at its limit,
 * or anyone when every slot is taken, gets in by closing the oldest idle
 * connection (no request in progress) of that user, or of the user
 * holding the most; a new client is refused only when none is idle.  A connection must send a complete request within REQUEST_S
 * seconds of connecting (or of its last reply), and read a reply within
 * REPLY_S seconds.
 */
#define CONNS_MAX	256
#define REQUEST_S	5
#define REPLY_S		10

struct conn {
	struct bufferevent	*bev;
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
	int			 waiting;	/* a reply is pending */
	long long		 wait_run;	/* for this run's end */
	int			 closing;
	int			 trusted;	/* may change state */
	struct event		*ev_idle;	/* no request in time */
	json_t			*captured;	/* control_query: the reply */
	TAILQ_ENTRY(conn)	 entry;
};
static TAILQ_HEAD(, conn) conns = TAILQ_HEAD_INITIALIZER(conns);
static int			 nconns;
static struct evconnlistener	*listener;
static char			*socket_path;

/* The commands, one file each (ctl-*.c). */
static const struct handler *const handlers[] = {
	&ctl_status_entry, &ctl_jobs_entry, &ctl_job_show_entry,
	&ctl_run_entry, &ctl_runs_entry, &ctl_run_show_entry,
	&ctl_cancel_entry, &ctl_plugins_entry, &ctl_reload_entry,
	&ctl_trace_entry, &ctl_check_entry, &ctl_resume_entry, NULL,
};

static void
conn_free(struct conn *c)
{
	checks_forget_conn(c);
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	event_free(c->ev_idle);
	bufferevent_free(c->bev);
	free(c);
}

/* await_request - give the client REQUEST_S seconds to send one. */
static void
await_request(struct conn *c)
{
	struct timeval tv = { REQUEST_S, 0 };

	evtimer_add(c->ev_idle, &tv);
}

static void
on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	log_warnx("control: uid %u (pid %ld) sent no complete request within "
	    "%d s; closing the connection", (unsigned)c->uid, (long)c->pid,
	    REQUEST_S);
	conn_free(c);
}

/* backlogged - c's client stopped reading its replies: then closing. */
static int
backlogged(struct conn *c)
{
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) <=
	    REPLY_BACKLOG)
		return 0;
	log_warnx("control: client (uid %u) is not reading its replies; "
	    "closing", (unsigned)c->uid);
	c->closing = 1;
	return 1;
}

static void
send_line(struct conn *c, json_t *o)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	char		*s;

	if (o == NULL) {	/* a reply that could not be built */
		log_warnx("control: a reply could not be encoded; sending an "
		    "error instead");
		o = json_pack("{s:b, s:s}", "ok", 0, "error", "weftd could not "
		    "encode its reply (see its log)");
	}
	json_object_set_new(o, "v", json_integer(WEFTD_PROTOCOL));
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
	json_decref(o);
	if (s == NULL) {
		log_warnx("control: a reply could not be encoded");
		c->closing = 1;
		return;
	}
	if (backlogged(c)) {
		free(s);
		return;
	}
	evbuffer_add(out, s, strlen(s));
	evbuffer_add(out, "\n", 1);
	free(s);
}

/* conn_reply - the final reply to the current request (takes o). */
void
conn_reply(struct conn *c, json_t *o)
{
	if (json_object_get(o, "ok") == NULL)
		json_object_set_new(o, "ok", json_true());
	c->waiting = 0;
	if (c->bev == NULL) {		/* control_query */
		json_decref(c->captured);
		c->captured = o;
		return;
	}
	send_line(c, o);
	if (!c->closing)
		await_request(c);	/* another may follow */
}

/*
 * reply_record - the final reply {"record":TEXT,"ok":true,"v":N} with
 * the record's text as the history printed it (2 ms saved for a record
 * of 1,000 results).
 */
static void
reply_record(struct conn *c, const char *text, size_t len)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	char		 tail[48];
	struct iovec	 v[3];
	ssize_t		 n = 0;
	size_t		 skip;

	c->waiting = 0;
	if (backlogged(c))
		return;
	v[0].iov_base = (void *)"{\"record\":";
	v[0].iov_len = 10;
	v[1].iov_base = (void *)text;
	v[1].iov_len = len;
	v[2].iov_base = tail;
	v[2].iov_len = (size_t)snprintf(tail, sizeof tail,
	    ",\"ok\":true,\"v\":%d}\n", WEFTD_PROTOCOL);
	/*
	 * Out now, what the socket takes, not after the rest of this turn
	 * of the loop (what weftd does once a run has ended: 0.5-1.5 ms
	 * for a record of 1,000 results).  Only with nothing queued before
	 * it; the bufferevent writes what is left.  (evbuffer_write on the
	 * bufferevent's own buffer does nothing: its start is frozen.)
	 */
	if (evbuffer_get_length(out) == 0 && (n = writev(bufferevent_getfd(
	    c->bev), v, 3)) < 0)
		n = 0;		/* EAGAIN, or an error the bufferevent sees */
	skip = (size_t)n;
	for (int i = 0; i < 3; i++) {
		if (skip >= v[i].iov_len) {
			skip -= v[i].iov_len;
			continue;
		}
		evbuffer_add(out, (char *)v[i].iov_base + skip,
		    v[i].iov_len - skip);
		skip = 0;
	}
	await_request(c);	/* another may follow */
}

/* conn_reply_more - an interim reply; the final one follows (takes o). */
void
conn_reply_more(struct conn *c, json_t *o)
{
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "more", json_true());
	send_line(c, o);
}

/* conn_fail - the final reply to the current request: an error. */
void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*m;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	conn_reply(c, json_pack("{s:b, s:s}", "ok", 0, "error", m));
	free(m);
}

/* conn_wait_run - the final reply is the record of run id, when it ends. */
void
conn_wait_run(struct conn *c, long long id)
{
	c->wait_run = id;
}

/* on_run - a run ended: its record is the answer for who waits for it. */
static void
on_run(enum run_event ev, const struct run *r, const json_t *rec,
    enum run_status st, void *arg)
{
	struct conn *c, *tmp;

	if (ev != RUN_ENDED)
		return;
	for (c = TAILQ_FIRST(&conns); c != NULL; c = tmp) {
		tmp = TAILQ_NEXT(c, entry);
		if (c->wait_run != r->id)
			continue;
		c->wait_run = 0;
		if (r->line != NULL && c->bev != NULL)
			reply_record(c, r->line, r->line_len);
		else
			conn_reply(c, json_pack("{s:O}", "record", rec));
	}
}

/* req_job - the job a request names, or NULL after replying why not. */
struct job *
req_job(struct conn *c, json_t *req)
{
	const char	*name = json_string_value(json_object_get(req, "job"));
	struct job	*j;

	if (name == NULL) {
		conn_fail(c, "missing \"job\"");
		return NULL;
	}
	if ((j = config_find_job(weftd.conf, name)) == NULL)
		conn_fail(c, "no job named \"%s\" (see weftctl jobs)", name);
	return j;
}

/* req_id - the run id a request names: 0, or -1 after replying. */
int
req_id(struct conn *c, json_t *req, long long *id)
{
	json_t *v = json_object_get(req, "id");

	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		conn_fail(c, "missing or bad run \"id\" (a positive integer)");
		return -1;
	}
	*id = json_integer_value(v);
	return 0;
}

json_t *
errors_json(const struct errlist *el)
{
	json_t *a = json_array();

	for (size_t i = 0; i < el->n; i++)
		json_array_append_new(a, json_string(el->v[i]));
	return a;
}

static void
reply_error(struct conn *c, const char *msg, int fatal_to_conn)
{
	conn_reply(c, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
	if (fatal_to_conn)
		c->closing = 1;
}

/*
 * trusted - may this peer change state?  Root, weftd's own user, or a
 * member of control_group (from the peer's credentials, SO_PEERGROUPS,
 * as the kernel saw them when it connected).
 */
static int
trusted(struct conn *c)
{
	struct group	*gr;
	gid_t		 groups[256];
	socklen_t	 len = sizeof groups;
	int		 fd = bufferevent_getfd(c->bev);

	if (c->uid == 0 || c->uid == geteuid())
		return 1;
	if (weftd.conf->control_group == NULL ||
	    (gr = getgrnam(weftd.conf->control_group)) == NULL)
		return 0;
	if (c->gid == gr->gr_gid)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0)
		return 0;
	for (size_t i = 0; i < len / sizeof *groups; i++)
		if (groups[i] == gr->gr_gid)
			return 1;
	return 0;
}

static void
dispatch(struct conn *c, const char *line, size_t len)
{
	json_t				*req, *v;
	json_error_t			 err;
	const char			*cmd;
	const struct handler *const	*h;
	char				 msg[300];

	evtimer_del(c->ev_idle);

	if ((req = json_loadb(line, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL || !json_is_object(req)) {
		snprintf(msg, sizeof msg, "malformed request: %s",
		    req ? "not a JSON object" : err.text);
		/* jansson quotes the bytes it choked on: maybe not UTF-8. */
		for (char *p = msg; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80 ||
			    (unsigned char)*p < 0x20)
				*p = '?';
		json_decref(req);
		reply_error(c, msg, 1);
		return;
	}
	v = json_object_get(req, "v");
	if (v != NULL && (!json_is_integer(v) ||
	    json_integer_value(v) != WEFTD_PROTOCOL)) {
		snprintf(msg, sizeof msg, "unsupported protocol version; "
		    "this weftd speaks version %d", WEFTD_PROTOCOL);
		json_decref(req);
		reply_error(c, msg, 1);
		return;
	}
	if ((cmd = json_string_value(json_object_get(req, "cmd"))) == NULL) {
		json_decref(req);
		reply_error(c, "malformed request: no \"cmd\" string", 1);
		return;
	}
	for (h = handlers; *h != NULL; h++)
		if (strcmp((*h)->name, cmd) == 0)
			break;
	if (*h == NULL) {
		snprintf(msg, sizeof msg, "unknown command \"%.64s\"", cmd);
		reply_error(c, msg, 0);
	} else if ((*h)->changes_state && !c->trusted) {
		log_warnx("control: refused %s for uid %u (pid %ld)", cmd,
		    (unsigned)c->uid, (long)c->pid);
		snprintf(msg, sizeof msg, "permission denied: %s changes "
		    "weftd's state, which is for root, weftd's user%s%s%s",
		    cmd, weftd.conf->control_group ? " and members of group " :
		    "", weftd.conf->control_group ? weftd.conf->control_group :
		    "", weftd.conf->control_group ? "" : " (set control_group "
		    "in weftd.yaml to allow a group)");
		reply_error(c, msg, 0);
	} else {
		log_debug("control: uid %u: %s", (unsigned)c->uid, cmd);
		c->waiting = 1;
		(*h)->exec(c, req);
	}
	json_decref(req);
}

/*
 * control_query - the reply a read-only command (one that answers at
 * once) gives req, as the control socket would send it, secrets hidden
 * (api_hide): for weftd's HTTP API and pages.  NULL if cmd is not such
 * a command.
 */
json_t *
control_query(const char *cmd, json_t *req)
{
	static const struct handler *const readonly[] = { &ctl_status_entry,
	    &ctl_jobs_entry, &ctl_job_show_entry, &ctl_runs_entry,
	    &ctl_run_show_entry, &ctl_plugins_entry, &ctl_trace_entry, NULL };
	struct conn c = { .bev = NULL };

	for (const struct handler *const *h = readonly; *h != NULL; h++)
		if (strcmp((*h)->name, cmd) == 0) {
			(*h)->exec(&c, req);
			if (c.captured != NULL)
				api_hide(c.captured);
			return c.captured;
		}
	return NULL;
}

static void
on_conn_read(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len, max = c->trusted ? REQUEST_MAX_TRUSTED :
			    REQUEST_MAX;

	while (!c->closing && !c->waiting &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > max)
			reply_error(c, "request too large", 1);
		else
			dispatch(c, line, len);
		free(line);
	}
	if (!c->closing && evbuffer_get_length(in) > max)
		reply_error(c, c->trusted ? "request too large (no newline "
		    "within 9 MiB)" : "request too large (no newline within "
		    "64 KiB)", 1);
	if (c->closing)
		bufferevent_disable(bev, EV_READ);
}

static void
on_conn_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->closing)
		conn_free(c);
}

static void
on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_TIMEOUT)
		log_warnx("control: uid %u (pid %ld) did not read its reply "
		    "within %d s; closing the connection", (unsigned)c->uid,
		    (long)c->pid, REPLY_S);
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(c);
}

static int
conns_of(uid_t uid)
{
	struct conn	*c;
	int		 n = 0;

	TAILQ_FOREACH(c, &conns, entry)
		n += c->uid == uid;
	return n;
}

/* cap_of - how many connections uid may have open. */
static int
cap_of(uid_t uid)
{
	return uid == 0 || uid == geteuid() ? CONNS_MAX / 2 :
	    weftd.conf->max_conns_per_uid;
}

/*
 * make_room - close the oldest idle connection (no request in progress)
 * of uid.  0, or -1 if uid has none idle.
 */
static int
make_room(uid_t uid, const char *why)
{
	struct conn *c;

	TAILQ_FOREACH(c, &conns, entry)	/* oldest first */
		if (c->uid == uid && !c->waiting && !c->closing)
			break;
	if (c == NULL)
		return -1;
	log_warnx("control: %s; closing the oldest idle connection of uid %u "
	    "(pid %ld) to make room", why, (unsigned)uid, (long)c->pid);
	conn_free(c);
	return 0;
}

/* top_user - the uid holding the most connections. */
static uid_t
top_user(void)
{
	struct conn	*c;
	uid_t		 top = 0;
	int		 most = 0, n;

	TAILQ_FOREACH(c, &conns, entry)
		if ((n = conns_of(c->uid)) > most) {
			most = n;
			top = c->uid;
		}
	return top;
}

/* refuse - tell a client why it cannot connect, and hang up. */
static void
refuse(int fd, const char *why)
{
	char *s;

	xasprintf(&s, "{\"v\":%d,\"ok\":false,\"error\":\"%s\"}\n",
	    WEFTD_PROTOCOL, why);
	(void)!write(fd, s, strlen(s));
	free(s);
	close(fd);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	control_accept(fd);
}

/*
 * control_accept - serve a new connection on fd (from the listener, or
 * a socketpair's end for tests/fuzz/fuzz-control): its peer's
 * credentials decide what it may do and how many it may hold.
 */
void
control_accept(int fd)
{
	struct conn	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;
	struct timeval	 reply = { REPLY_S, 0 };

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	if (conns_of(cred.uid) >= cap_of(cred.uid) &&
	    make_room(cred.uid, "a user at its connection limit") != 0) {
		log_warnx("control: uid %u has %d connections open, none idle; "
		    "refusing another", (unsigned)cred.uid, conns_of(cred.uid));
		refuse(fd, "too many connections from your user");
		return;
	}
	if (nconns >= CONNS_MAX &&
	    make_room(top_user(), "every connection slot is taken") != 0) {
		log_warnx("control: %d connections open, none idle; refusing "
		    "another", nconns);
		refuse(fd, "too many connections");
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->bev = bufferevent_socket_new(weftd.base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, on_conn_read, on_conn_write, on_conn_event,
	    c);
	bufferevent_set_timeouts(c->bev, NULL, &reply);
	/* A reply whole in one write when the socket takes it (libevent
	 * writes 16 KB a turn of the loop: a record of 1,000 results took
	 * nine, with whatever else the loop had to do between them). */
	bufferevent_set_max_single_write(c->bev, 1024 * 1024);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->trusted = trusted(c);
	c->ev_idle = evtimer_new(weftd.base, on_idle, c);
	await_request(c);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
}

/*
 * control_listen - create the control socket at path with the given mode:
 * refuse if a live weftd answers there, else unlink, bind under a tight
 * umask, chmod, listen.  0, or -1 with *cause.
 */
int
control_listen(const char *path, mode_t mode, char **cause)
{
	struct sockaddr_un	 sun;
	int			 fd;
	mode_t			 old;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "socket path %s is longer than %zu bytes",
		    path, sizeof sun.sun_path - 1);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
		xasprintf(cause, "another weftd is already listening on %s",
		    path);
		close(fd);
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		xasprintf(cause, "cannot remove stale socket %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		xasprintf(cause, "bind %s: %s", path, strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, mode) != 0) {
		xasprintf(cause, "chmod %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	evutil_make_socket_nonblocking(fd);
	listener = evconnlistener_new(weftd.base, on_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE, 64, fd);
	if (listener == NULL) {
		xasprintf(cause, "listen %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	socket_path = xstrdup(path);
	log_info("control socket %s (mode %04o)", path, (unsigned)mode);
	runs_observe(on_run, NULL);
	return 0;
}

/*
 * control_adopt - listen on a socket systemd made (socket activation).
 * It is not ours to remove at exit.
 */
int
control_adopt(int fd, char **cause)
{
	evutil_make_socket_nonblocking(fd);
	listener = evconnlistener_new(weftd.base, on_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (listener == NULL) {
		xasprintf(cause, "cannot listen on the socket systemd passed "
		    "(fd %d): %s", fd, strerror(errno));
		return -1;
	}
	log_info("control socket from systemd (fd %d)", fd);
	runs_observe(on_run, NULL);
	return 0;
}

/* control_close - stop listening and remove the socket file. */
void
control_close(void)
{
	if (listener == NULL)
		return;
	evconnlistener_free(listener);
	listener = NULL;
	if (socket_path != NULL)
		unlink(socket_path);
	free(socket_path);
	socket_path = NULL;
}
