/*
 * workload-download.c - download URLs with libcurl, one task per URL,
 * written once for every strategy:
 *  - under a strategy with an event loop (coro), one curl multi handle
 *    per loop is driven by libevent (CURLMOPT_SOCKETFUNCTION and
 *    CURLMOPT_TIMERFUNCTION, as in curl's docs/examples/hiperfifo.c),
 *    and each task parks until its own transfer is done;
 *  - elsewhere, each execution context (thread, worker process) keeps
 *    one easy handle and so one connection cache, like the Python
 *    examples' thread-local requests Session and Pool initializer.
 *
 * params:
 *   urls:            list of URLs           } at least one of these
 *   urls_file:       one URL per line (#: comment)
 *   repeat:          how many times the list is fetched (default 1)
 *   timeout:         whole transfer, e.g. 30s (default 30s)
 *   connect_timeout: connection only (default 10s)
 *   retries:         extra attempts for a failed transfer (default 0);
 *                    network errors and 5xx are retried, after
 *                    exponential backoff (100 ms, 200 ms, ...) with jitter
 *   max_redirects:   redirects followed (default 5; 0: none)
 *   buffer_size_kb:  curl's receive buffer per transfer (1 to 512,
 *                    default 64; curl's own default is 16)
 *   headers:         list of "Name: value" request headers
 *   user_agent:      default "weft-download/1.0"
 *   method:          GET (default) or HEAD
 *   save_to:         directory: bodies are written there atomically
 *                    (temp file, then rename), named by a 64-bit FNV-1a
 *                    hash of the URL in hex
 *   expect_status:   accepted statuses: "2xx" (default), a number, or a
 *                    list of numbers and "Nxx" classes
 *
 * Proxies are curl's: the environment's http_proxy, https_proxy,
 * all_proxy and no_proxy (and their upper-case forms), as for the curl
 * tool.
 *
 * Each task's results: url, status, bytes, ttfb_s, total_s, attempts,
 * and on failure reason (dns, refused, timeout, tls, status, redirects,
 * protocol: the server's reply is not HTTP, network: the connection
 * broke mid-transfer, write, other) with the error text.  The run summary adds total bytes
 * and histograms of status and reason.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include <weft/weft-plugin.h>

extern const struct weft_plugin weft_plugin;

struct dl {
	const struct weft_host	*h;
	char			**urls;
	size_t			 nurls;
	/* params */
	struct weft_strings	 urlv;
	const char		*urls_file;
	long long		 repeat;
	long long		 timeout_ms, connect_timeout_ms;
	long long		 retries, max_redirects;
	long long		 buffer_kb;
	struct weft_strings	 headerv;
	const char		*user_agent;
	int			 head;
	const char		*save_to;
	const struct weft_node	*expect;
	/* made of them */
	struct curl_slist	*headers;
	unsigned char		 accept[6];	/* classes 1xx-5xx accepted */
	int			*accept_codes;
	size_t			 naccept;
	int			 proxy_env;	/* a *_proxy variable is set */
};

/* One loop's curl multi handle, driven by libevent (coro). */
struct multi {
	const struct weft_host	*h;
	CURLM			*multi;
	struct event_base	*base;
	struct event		*timer;
	CURL			**idle;		/* easy handles to reuse */
	size_t			 nidle, capidle;
	struct sock		*spare;		/* socket watches to reuse */
};

/* A transfer in flight on a multi handle. */
struct xfer {
	struct weft_task	*t;
	int			 done;
	CURLcode		 rc;
};

/* Per execution context. */
struct dctx {
	CURL		*easy;		/* blocking strategies */
	struct multi	*m;		/* strategies with a loop */
};

/* Per socket curl tells us about (multi mode); its event is reused. */
struct sock {
	struct event	 ev;
	short		 kind;		/* what ev watches */
	struct sock	*next;		/* in multi's spare list */
};

/* ---- parameters ---- */

static const char *const methods[] = { "GET", "HEAD", NULL };

static const struct weft_param spec[] = {
	{ "urls", WEFT_P_STRINGS, 0, offsetof(struct dl, urlv), 0, 0, NULL,
	    NULL },
	{ "urls_file", WEFT_P_PATH, 0, offsetof(struct dl, urls_file), 0, 0,
	    NULL, NULL },
	{ "repeat", WEFT_P_INT, 0, offsetof(struct dl, repeat), 1, 1000000,
	    NULL, "1" },
	{ "timeout", WEFT_P_DURATION, 0, offsetof(struct dl, timeout_ms), 0,
	    0, NULL, "30s" },
	{ "connect_timeout", WEFT_P_DURATION, 0,
	    offsetof(struct dl, connect_timeout_ms), 0, 0, NULL, "10s" },
	{ "retries", WEFT_P_INT, 0, offsetof(struct dl, retries), 0, 20, NULL,
	    "0" },
	{ "max_redirects", WEFT_P_INT, 0, offsetof(struct dl, max_redirects),
	    0, 100, NULL, "5" },
	{ "buffer_size_kb", WEFT_P_INT, 0, offsetof(struct dl, buffer_kb), 1,
	    512, NULL, "64" },
	{ "headers", WEFT_P_STRINGS, 0, offsetof(struct dl, headerv), 0, 0,
	    NULL, NULL },
	{ "user_agent", WEFT_P_STRING, 0, offsetof(struct dl, user_agent), 0,
	    0, NULL, "weft-download/1.0" },
	{ "method", WEFT_P_ENUM, 0, offsetof(struct dl, head), 0, 0, methods,
	    "GET" },
	{ "save_to", WEFT_P_PATH, 0, offsetof(struct dl, save_to), 0, 0, NULL,
	    NULL },
	{ "expect_status", WEFT_P_NODE, 0, offsetof(struct dl, expect), 0, 0,
	    NULL, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static int
add_url(struct dl *d, const char *u)
{
	char **v = realloc(d->urls, (d->nurls + 1) * sizeof *v);

	if (v == NULL)
		return -1;
	d->urls = v;
	if ((d->urls[d->nurls] = strdup(u)) == NULL)
		return -1;
	d->nurls++;
	return 0;
}

static int
read_urls_file(struct dl *d)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;

	if ((f = fopen(d->urls_file, "r")) == NULL)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		char *s = line;

		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
		    s[len - 1] == ' '))
			s[--len] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (add_url(d, s) != 0)
			break;
	}
	free(line);
	fclose(f);
	return 0;
}

/* parse_expect - "2xx" (default), a status, or a list of both. */
static int
parse_expect(struct dl *d, const struct weft_node *n)
{
	const struct weft_params_api	*p = d->h->params;
	size_t				 count = p->node_kind(n) ==
					    WEFT_NODE_SEQ ? p->node_len(n) : 1;

	memset(d->accept, 0, sizeof d->accept);
	for (size_t i = 0; i < count; i++) {
		const struct weft_node	*v = p->node_kind(n) ==
					    WEFT_NODE_SEQ ? p->node_at(n, i) : n;
		const char		*s = p->node_str(v);
		long long		 code;

		if (s == NULL)
			return -1;
		if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' &&
		    strcmp(s + 1, "xx") == 0) {
			d->accept[s[0] - '0'] = 1;
			continue;
		}
		if (p->node_int(v, 100, 599, &code) != 0)
			return -1;
		d->accept_codes = realloc(d->accept_codes,
		    (d->naccept + 1) * sizeof *d->accept_codes);
		if (d->accept_codes == NULL)
			return -1;
		d->accept_codes[d->naccept++] = (int)code;
	}
	return 0;
}

/* has_header - l has a header called name (any case). */
static int
has_header(const struct curl_slist *l, const char *name)
{
	size_t n = strlen(name);

	for (; l != NULL; l = l->next)
		if (strncasecmp(l->data, name, n) == 0 && (l->data[n] == ':' ||
		    l->data[n] == ';'))
			return 1;
	return 0;
}

static void
dl_free(void *state)
{
	struct dl *d = state;

	for (size_t i = 0; i < d->nurls; i++)
		free(d->urls[i]);
	free(d->urls);
	curl_slist_free_all(d->headers);
	free(d->accept_codes);
	free(d);
}

/*
 * proxy_in_env - whether any variable curl reads for its proxy is set:
 * a name ending in "_proxy", in any case (http_proxy, HTTPS_PROXY,
 * all_proxy, no_proxy, ...).
 */
static int
proxy_in_env(void)
{
	extern char	**environ;
	static const char suffix[] = "_proxy";

	for (char **e = environ; *e != NULL; e++) {
		const char	*eq = strchr(*e, '=');
		size_t		 n = eq != NULL ? (size_t)(eq - *e) : strlen(*e);

		if (n >= sizeof suffix - 1 && strncasecmp(*e + n -
		    (sizeof suffix - 1), suffix, sizeof suffix - 1) == 0)
			return 1;
	}
	return 0;
}

static void *
dl_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	const struct weft_params_api	*p = h->params;
	struct dl			*d;
	struct stat			 st;
	int				 bad = 0;

	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	d->h = h;
	d->accept[2] = 1;
	if (p->parse(params, spec, d) != 0) {
		dl_free(d);
		return NULL;
	}
	for (size_t i = 0; i < d->urlv.n; i++)
		if (add_url(d, d->urlv.v[i]) != 0)
			bad = 1;
	if (d->urls_file != NULL && read_urls_file(d) != 0) {
		p->node_error(p->get(params, "urls_file"), "cannot open %s: %s",
		    d->urls_file, strerror(errno));
		bad = 1;
	}
	if (!bad && d->nurls == 0) {
		p->node_error(params, "no URLs: give urls (a list) or "
		    "urls_file");
		bad = 1;
	}
	for (size_t i = 0; i < d->headerv.n; i++) {
		const char *s = d->headerv.v[i];

		if (strchr(s, ':') == NULL) {
			const struct weft_node *hn = p->get(params, "headers");

			p->node_error(p->node_kind(hn) == WEFT_NODE_SEQ ?
			    p->node_at(hn, i) : hn, "expected \"Name: "
			    "value\", got \"%s\"", s);
			bad = 1;
		} else
			d->headers = curl_slist_append(d->headers, s);
	}
	/*
	 * The user agent goes in the header list, unless the list has one:
	 * curl formats CURLOPT_USERAGENT into a header anew for every
	 * transfer: 6,200 instructions each (callgrind), against 3,800 for
	 * a header of the list.
	 */
	if (!bad && !has_header(d->headers, "User-Agent")) {
		char *ua;

		if (asprintf(&ua, "User-Agent: %s", d->user_agent) < 0)
			bad = 1;
		else {
			d->headers = curl_slist_append(d->headers, ua);
			free(ua);
		}
	}
	if (d->save_to != NULL && (stat(d->save_to, &st) != 0 ||
	    !S_ISDIR(st.st_mode))) {
		p->node_error(p->get(params, "save_to"), "%s is not a directory",
		    d->save_to);
		bad = 1;
	}
	if (d->expect != NULL && parse_expect(d, d->expect) != 0)
		bad = 1;
	if (bad) {
		dl_free(d);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		h->log(&weft_plugin, WEFT_LOG_ERR, "curl_global_init failed");
		dl_free(d);
		return NULL;
	}
	d->proxy_env = proxy_in_env();
	*ntasks = d->nurls * (size_t)d->repeat;
	return d;
}

/* ---- the multi handle on a libevent loop (hiperfifo's pattern) ---- */

static void	setup_handle(const struct dl *, CURL *);

static void
check_done(struct multi *m)
{
	CURLMsg	*msg;
	int	 left;

	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		struct xfer *x;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &x);
		x->done = 1;
		x->rc = msg->data.result;
		curl_multi_remove_handle(m->multi, msg->easy_handle);
		m->h->task->unpark(x->t);
	}
}

static void
on_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct multi	*m = arg;
	int		 action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(m->multi, fd, action, &running);
	check_done(m);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct multi	*m = arg;
	int		 running;

	curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(m);
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what curl wants. */
static int
sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct multi	*m = userp;
	struct sock	*sk = sockp;
	short		 kind = EV_PERSIST;

	/*
	 * A kept-alive connection is removed after each transfer and
	 * watched again by the next: its watch goes to a spare list
	 * rather than back to malloc.
	 */
	if (what == CURL_POLL_REMOVE) {
		if (sk != NULL) {
			event_del(&sk->ev);
			sk->next = m->spare;
			m->spare = sk;
		}
		curl_multi_assign(m->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (sk != NULL && sk->kind == kind)
		return 0;	/* watched so already */
	if (sk == NULL) {
		if ((sk = m->spare) != NULL)
			m->spare = sk->next;
		else if ((sk = malloc(sizeof *sk)) == NULL)
			return -1;
		curl_multi_assign(m->multi, s, sk);
	} else
		event_del(&sk->ev);
	sk->kind = kind;
	event_assign(&sk->ev, m->base, s, kind, on_sock_event, m);
	event_add(&sk->ev, NULL);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called back after ms. */
static int
timer_cb(CURLM *multi, long ms, void *userp)
{
	struct multi	*m = userp;
	struct timeval	 tv;

	if (ms < 0) {
		evtimer_del(m->timer);
		return 0;
	}
	/* "At once": every transfer added asks for it.  Made active
	 * directly, not through libevent's timer heap (an insert and a
	 * removal a task); a later deadline still armed fires once for
	 * nothing, which curl takes in its stride. */
	if (ms == 0) {
		event_active(m->timer, EV_TIMEOUT, 0);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(m->timer, &tv);
	return 0;
}

static struct multi *
multi_new(const struct weft_host *h, struct event_base *base)
{
	struct multi *m = calloc(1, sizeof *m);

	if (m == NULL)
		return NULL;
	m->h = h;
	m->base = base;
	m->multi = curl_multi_init();
	m->timer = evtimer_new(base, on_timer, m);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	/* Keep up to 1024 idle connections for reuse (default: 4 x handles). */
	curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, 1024L);
	return m;
}

/* easy_get, easy_put - a pool of easy handles per loop, set up for
 * the job's transfers once. */
static CURL *
easy_get(const struct dl *d, struct multi *m)
{
	CURL *e;

	/* No curl_easy_reset (here or for a blocking strategy's handle): a
	 * reset costs more than the transfer's own bookkeeping, and a
	 * transfer sets the options it changes (setup_xfer, and
	 * CURLOPT_PRIVATE or the progress callback in perform). */
	if (m->nidle > 0)
		return m->idle[--m->nidle];
	if ((e = curl_easy_init()) != NULL)
		setup_handle(d, e);
	return e;
}

static void
easy_put(struct multi *m, CURL *e)
{
	if (m->nidle == m->capidle) {
		size_t	 cap = m->capidle ? 2 * m->capidle : 64;
		CURL	**v = realloc(m->idle, cap * sizeof *v);

		if (v == NULL) {
			curl_easy_cleanup(e);
			return;
		}
		m->idle = v;
		m->capidle = cap;
	}
	m->idle[m->nidle++] = e;
}

static void
multi_free(struct multi *m)
{
	if (m == NULL)
		return;
	while (m->nidle > 0)
		curl_easy_cleanup(m->idle[--m->nidle]);
	free(m->idle);
	curl_multi_cleanup(m->multi);
	while (m->spare != NULL) {
		struct sock *sk = m->spare;

		m->spare = sk->next;
		free(sk);
	}
	event_free(m->timer);
	free(m);
}

/* ---- contexts ---- */

static int
dl_ctx_init(void *state, void **ctx)
{
	struct dctx *c = calloc(1, sizeof *c);

	if (c == NULL)
		return -1;
	*ctx = c;
	return 0;
}

static void
dl_ctx_fini(void *state, void *ctx)
{
	struct dctx *c = ctx;

	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	multi_free(c->m);
	free(c);
}

/* ---- one transfer ---- */

struct body {
	FILE		*f;
	curl_off_t	 bytes;
	int		 write_error;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;

	b->bytes += (curl_off_t)(size * n);
	if (b->f != NULL && fwrite(p, size, n, b->f) != n) {
		b->write_error = errno ? errno : EIO;
		return 0;
	}
	return size * n;
}

/* A blocking transfer checks for cancellation as it goes. */
struct watch {
	const struct weft_host	*h;
	struct weft_task	*t;
};

static int
xferinfo(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct watch *w = arg;

	return w->h->task->cancelled(w->t) ? 1 : 0;
}

static unsigned long long
fnv1a(const char *s)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
accepted(const struct dl *d, long status)
{
	if (status >= 100 && status < 600 && d->accept[status / 100])
		return 1;
	for (size_t i = 0; i < d->naccept; i++)
		if (d->accept_codes[i] == status)
			return 1;
	return 0;
}

static const char *
reason_of(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "dns";
	case CURLE_COULDNT_CONNECT:
		return "refused";
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		return "tls";
	case CURLE_TOO_MANY_REDIRECTS:
		return "redirects";
	case CURLE_UNSUPPORTED_PROTOCOL:	/* and "HTTP/0.9 not allowed" */
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return "protocol";
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return "network";
	case CURLE_WRITE_ERROR:
		return "write";
	default:
		return "other";
	}
}

/* setup_handle - the options every transfer of the job shares: set once
 * per easy handle (20,000 transfers made 260,000 setopt calls). */
static void
setup_handle(const struct dl *d, CURL *e)
{
	/*
	 * With no proxy variable in the environment, say so: curl would
	 * look for five of them in it for every transfer (1,600
	 * instructions of getenv each, callgrind).  An empty proxy and
	 * no_proxy are curl's "no proxy", which the lookup would find.
	 */
	if (!d->proxy_env) {
		curl_easy_setopt(e, CURLOPT_PROXY, "");
		curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	}
	/*
	 * curl reads into a 16 KB buffer unless told otherwise: a 20 KB
	 * page took two reads and three polls.  The curl tool asks for
	 * 100 KB; 64 KB is a page of most sizes in one read, and costs
	 * memory only where a reply fills it.
	 */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)d->buffer_kb * 1024);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)d->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)d->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, d->max_redirects ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)d->max_redirects);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->headers);
	curl_easy_setopt(e, CURLOPT_NOBODY, d->head ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
}

/* setup_xfer - the options of one transfer. */
static void
setup_xfer(CURL *e, const char *url, struct body *b, char *errbuf)
{
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
}

/*
 * multi_of - the multi handle of c's loop, made on first use (the one
 * place it is made); NULL without a loop or memory.
 */
static struct multi *
multi_of(const struct dl *d, struct dctx *c, struct weft_task *t)
{
	struct event_base *base = d->h->task->loop_base(t);

	if (c->m == NULL && base != NULL)
		c->m = multi_new(d->h, base);
	return c->m;
}

/* perform - one attempt; the loop's multi handle, or a blocking easy. */
static CURLcode
perform(const struct dl *d, struct dctx *c, struct weft_task *t, CURL *e)
{
	const struct weft_task_api	*ta = d->h->task;
	struct xfer			 x = { .t = t };

	if (c->m == NULL) {
		struct watch w = { d->h, t };

		curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, xferinfo);
		curl_easy_setopt(e, CURLOPT_XFERINFODATA, &w);
		curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
		return curl_easy_perform(e);
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, &x);
	/* Adding arms curl's timer (timer_cb); the loop starts the transfer. */
	curl_multi_add_handle(c->m->multi, e);
	while (!x.done) {
		if (ta->park(t, -1) < 0) {
			/* Cancelled: take the transfer back from curl. */
			curl_multi_remove_handle(c->m->multi, e);
			return CURLE_ABORTED_BY_CALLBACK;
		}
	}
	return x.rc;
}

static int
dl_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct dl			*d = state;
	const struct weft_task_api	*h = d->h->task;
	struct dctx			*c = ctx;
	const char			*url = d->urls[idx % d->nurls];
	char				 errbuf[CURL_ERROR_SIZE], tmp[4096];
	char				 dst[4096], why[8192 + 64];
	struct body			 b;
	CURL				*e;
	CURLcode			 rc = CURLE_OK;
	long				 status = 0, attempt;
	double				 ttfb = 0, total = 0;
	const char			*reason = NULL;
	int				 blocking = multi_of(d, c, t) == NULL;

	if (blocking) {
		if (h->loop_base(t) != NULL)
			return h->fail(t, "out of memory");
		if (c->easy == NULL) {
			if ((c->easy = curl_easy_init()) == NULL)
				return h->fail(t, "curl_easy_init failed");
			setup_handle(d, c->easy);
		}
		e = c->easy;
	} else if ((e = easy_get(d, c->m)) == NULL)
		return h->fail(t, "curl_easy_init failed");
	h->result_str(t, "url", url);
	for (attempt = 0; attempt <= d->retries; attempt++) {
		if (attempt > 0) {
			/* Exponential backoff with up to 50% jitter. */
			long ms = 100L << (attempt - 1 > 10 ? 10 : attempt - 1);

			ms += (long)((unsigned)rand() % (unsigned)(ms / 2 + 1));
			if (h->sleep_ms(t, ms) != 0)
				break;
		}
		memset(&b, 0, sizeof b);
		errbuf[0] = '\0';
		if (d->save_to != NULL) {
			snprintf(tmp, sizeof tmp, "%s/.%016llx.%ld.tmp",
			    d->save_to, fnv1a(url), (long)getpid());
			if ((b.f = fopen(tmp, "w")) == NULL) {
				snprintf(why, sizeof why, "cannot write %s: %s",
				    tmp, strerror(errno));
				reason = "write";
				break;
			}
		}
		setup_xfer(e, url, &b, errbuf);
		rc = perform(d, c, t, e);
		status = 0;
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME, &ttfb);
		curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &total);
		if (b.f != NULL && fclose(b.f) != 0 && rc == CURLE_OK)
			b.write_error = errno;
		reason = NULL;
		if (rc == CURLE_WRITE_ERROR && b.write_error) {
			snprintf(why, sizeof why, "writing the body: %s",
			    strerror(b.write_error));
			reason = "write";
		} else if (rc == CURLE_ABORTED_BY_CALLBACK) {
			snprintf(why, sizeof why, "cancelled");
			reason = "other";
		} else if (rc != CURLE_OK) {
			snprintf(why, sizeof why, "%s", errbuf[0] ? errbuf :
			    curl_easy_strerror(rc));
			reason = reason_of(rc);
		} else if (!accepted(d, status)) {
			snprintf(why, sizeof why, "HTTP status %ld", status);
			reason = "status";
		} else if (d->save_to != NULL) {
			snprintf(dst, sizeof dst, "%s/%016llx", d->save_to,
			    fnv1a(url));
			if (rename(tmp, dst) != 0) {
				snprintf(why, sizeof why, "rename %s: %s", dst,
				    strerror(errno));
				reason = "write";
			}
		}
		if (reason != NULL && d->save_to != NULL)
			unlink(tmp);
		if (reason == NULL || h->cancelled(t))
			break;
		/* Retry network trouble and 5xx; a 4xx will not change. */
		if (strcmp(reason, "status") == 0 && status < 500)
			break;
		if (strcmp(reason, "write") == 0)
			break;
	}
	if (!blocking)
		easy_put(c->m, e);
	h->result_int(t, "status", status);
	h->result_int(t, "bytes", (long long)b.bytes);
	h->result_num(t, "ttfb_s", ttfb);
	h->result_num(t, "total_s", total);
	h->result_int(t, "attempts", attempt > d->retries ? attempt : attempt + 1);
	if (reason != NULL) {
		h->result_str(t, "reason", reason);
		return h->fail(t, "%s: %s", url, why);
	}
	return WEFT_TASK_OK;
}

static void
dl_fini(void *state)
{
	dl_free(state);
	curl_global_cleanup();
}

static const char *const dl_sum_keys[] = { "bytes", NULL };
static const char *const dl_count_keys[] = { "status", "reason", NULL };

static const struct weft_workload_ops dl_ops = {
	.init = dl_init,
	.ctx_init = dl_ctx_init,
	.ctx_fini = dl_ctx_fini,
	.task = dl_task,
	.fini = dl_fini,
	.sum_keys = dl_sum_keys,
	.count_keys = dl_count_keys,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "download",
	.version = "1.0",
	.summary = "download URLs with libcurl (one task per URL)",
	.traits = WEFT_TRAIT_IO_BOUND,
	.ops = &dl_ops,
	.params = spec,
};
