/*
 * api.c - weftd's JSON API for scripts, on the HTTP listener
 * (http_listen): the control socket's read-only replies, the same JSON,
 * with the values of secret-looking params hidden.
 *
 *   GET /api/status            status
 *   GET /api/jobs              jobs
 *   GET /api/jobs/NAME         job.show
 *   GET /api/runs[?job=&limit=] runs
 *   GET /api/runs/ID           run.show
 *   GET /api/runs/ID/trace     trace
 *   GET /api/plugins           plugins
 *
 * The pages (web.c) share the listener; anything else is 404; methods
 * other than GET and HEAD are 405.  Read-only: nothing here changes
 * weftd's state.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "weftd.h"

#define HIDDEN	"(hidden)"

/* secret_key - whether a params key names a secret. */
static int
secret_key(const char *k)
{
	static const char *const words[] = { "password", "passwd", "token",
	    "secret", "key", "auth", "credential", NULL };

	for (int i = 0; words[i] != NULL; i++)
		if (strcasestr(k, words[i]) != NULL)
			return 1;
	return 0;
}

/* A "Name: value" HTTP header (download's headers) that carries a
 * secret: the name kept, the value hidden, or NULL. */
static char *
hidden_header(const char *s)
{
	const char	*colon = strchr(s, ':');
	char		*name, *out = NULL;

	if (colon == NULL)
		return NULL;
	name = xstrndup(s, (size_t)(colon - s));
	if (secret_key(name) || strcasecmp(name, "cookie") == 0)
		xasprintf(&out, "%s: %s", name, HIDDEN);
	free(name);
	return out;
}

/* hide_in - hide the values under secret keys, at any depth of v. */
static void
hide_in(json_t *v)
{
	const char	*k;
	json_t		*x;
	size_t		 i;
	char		*h;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			if (secret_key(k) && !json_is_object(x) &&
			    !json_is_array(x))
				json_object_set_new(v, k, json_string(HIDDEN));
			else
				hide_in(x);
		}
	} else if (json_is_array(v))
		json_array_foreach(v, i, x) {
			if (json_is_string(x) && (h = hidden_header(
			    json_string_value(x))) != NULL) {
				json_array_set_new(v, i, json_string(h));
				free(h);
			} else
				hide_in(x);
		}
}

/*
 * api_hide - hide secrets in a reply: the values of params (and
 * strategy_params) whose keys name secrets.
 */
void
api_hide(json_t *v)
{
	const char	*k;
	json_t		*x;
	size_t		 i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			if (strcmp(k, "params") == 0 ||
			    strcmp(k, "strategy_params") == 0)
				hide_in(x);
			else
				api_hide(x);
		}
	} else if (json_is_array(v))
		json_array_foreach(v, i, x)
			api_hide(x);
}

static void
reply_json(struct evhttp_request *req, int code, const char *why, json_t *o)
{
	struct evbuffer		*b = evbuffer_new();
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	char			*s;

	s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
	evbuffer_add(b, s, strlen(s));
	evbuffer_add(b, "\n", 1);
	free(s);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, code, why, b);
	evbuffer_free(b);
}

static void
not_found(struct evhttp_request *req, const char *path)
{
	json_t *o = json_pack("{s:b, s:s+}", "ok", 0, "error", "no such "
	    "route: ", path ? path : "?");

	reply_json(req, HTTP_NOTFOUND, "Not Found", o);
	json_decref(o);
}

/* http_number - the number len bytes of s spell (digits only, at most
 * 15: a run id, a page), or -1. */
long long
http_number(const char *s, size_t len)
{
	long long v = 0;

	if (len == 0 || len > 15)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* query - a control command's reply as the HTTP reply. */
static void
query(struct evhttp_request *req, const char *cmd, json_t *args)
{
	json_t *o = control_query(cmd, args);

	json_decref(args);
	if (o == NULL) {
		not_found(req, cmd);
		return;
	}
	/* What does not exist (a run, a job) is the one way to fail. */
	if (json_is_false(json_object_get(o, "ok")))
		reply_json(req, HTTP_NOTFOUND, "Not Found", o);
	else
		reply_json(req, HTTP_OK, "OK", o);
	json_decref(o);
}

/*
 * http_readable - whether req is a GET or HEAD; if not, it has been
 * answered 405 (every route of weftd's listener only reads).
 */
int
http_readable(struct evhttp_request *req)
{
	enum evhttp_cmd_type	m = evhttp_request_get_command(req);
	struct evbuffer		*b;

	if (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD)
		return 1;
	b = evbuffer_new();
	evbuffer_add_printf(b, "only GET and HEAD here\n");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    "GET, HEAD");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evhttp_send_reply(req, 405, "Method Not Allowed", b);
	evbuffer_free(b);
	return 0;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char		*q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq	 params;
	const char		*rest, *slash;
	long long		 id;

	if (path != NULL && web_action(req, path))
		return;
	if (!http_readable(req))
		return;
	if (path != NULL && web_request(req, path, q))
		return;
	if (path == NULL || strncmp(path, "/api/", 5) != 0) {
		not_found(req, path);
		return;
	}
	rest = path + 5;
	if (strcmp(rest, "status") == 0)
		query(req, "status", json_object());
	else if (strcmp(rest, "jobs") == 0)
		query(req, "jobs", json_object());
	else if (strcmp(rest, "plugins") == 0)
		query(req, "plugins", json_object());
	else if (strncmp(rest, "jobs/", 5) == 0 && rest[5] != '\0' &&
	    strchr(rest + 5, '/') == NULL)
		query(req, "job.show", json_pack("{s:s}", "job", rest + 5));
	else if (strcmp(rest, "runs") == 0) {
		json_t		*args = json_object();
		const char	*v;

		TAILQ_INIT(&params);
		if (q != NULL && evhttp_parse_query_str(q, &params) == 0) {
			if ((v = evhttp_find_header(&params, "job")) != NULL)
				json_object_set_new(args, "job",
				    json_string(v));
			if ((v = evhttp_find_header(&params, "limit")) !=
			    NULL && (id = http_number(v, strlen(v))) > 0)
				json_object_set_new(args, "limit",
				    json_integer(id > 10000 ? 10000 : id));
		}
		evhttp_clear_headers(&params);
		query(req, "runs", args);
	} else if (strncmp(rest, "runs/", 5) == 0) {
		rest += 5;
		slash = strchr(rest, '/');
		id = http_number(rest, slash ? (size_t)(slash - rest) :
		    strlen(rest));
		if (id < 0)
			not_found(req, path);
		else if (slash == NULL)
			query(req, "run.show", json_pack("{s:I}", "id",
			    (json_int_t)id));
		else if (strcmp(slash, "/trace") == 0)
			query(req, "trace", json_pack("{s:I}", "id",
			    (json_int_t)id));
		else
			not_found(req, path);
	} else
		not_found(req, path);
}

/* api_attach - serve the API (and 404 for the rest) on http. */
void
api_attach(struct evhttp *http)
{
	evhttp_set_gencb(http, on_request, NULL);
}
