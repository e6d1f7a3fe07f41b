/*
 * raddr.c - the cluster's Redis address and settings, as weftd.yaml
 * writes them and as weftd hands them to its runners.  No hiredis here:
 * weftctl links this library too.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "cluster.h"

/* port_of - a TCP port in s, or -1. */
static int
port_of(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

/*
 * host_port - "host:port", "[v6]:port" or "host" (port 6379) into a.
 * 0, or -1 with *cause.
 */
static int
host_port(const char *s, struct redis_addr *a, char **cause)
{
	const char	*colon;
	char		*host;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL) {
			xasprintf(cause, "\"%s\": an IPv6 address needs its "
			    "closing ]", s);
			return -1;
		}
		host = xstrndup(s + 1, (size_t)(close - s - 1));
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL) {
			free(host);
			xasprintf(cause, "\"%s\": expected :PORT after ]", s);
			return -1;
		}
	} else if ((colon = strrchr(s, ':')) != NULL)
		host = xstrndup(s, (size_t)(colon - s));
	else
		host = xstrdup(s);
	if (*host == '\0') {
		free(host);
		xasprintf(cause, "\"%s\": no host", s);
		return -1;
	}
	a->port = 6379;
	if (colon != NULL && (a->port = port_of(colon + 1)) < 0) {
		free(host);
		xasprintf(cause, "\"%s\": the port must be 1 to 65535", s);
		return -1;
	}
	a->host = host;
	return 0;
}

/*
 * redis_addr_parse - "host:port", "unix:/path", or
 * "redis://[user:password@]host[:port][/db]".  0, or -1 with *cause
 * saying what is expected.
 */
int
redis_addr_parse(const char *s, struct redis_addr *a, char **cause)
{
	memset(a, 0, sizeof *a);
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/') {
			xasprintf(cause, "\"%s\": expected unix:/absolute/path",
			    s);
			return -1;
		}
		a->unix_path = xstrdup(s + 5);
		return 0;
	}
	if (strncmp(s, "redis://", 8) == 0) {
		const char	*p = s + 8, *at = strrchr(p, '@'), *slash;
		char		*hp;
		int		 rc;

		if (at != NULL) {
			const char	*colon = memchr(p, ':', (size_t)(at - p));

			if (colon == NULL) {
				/* redis://password@host, as redis-cli -u */
				a->password = xstrndup(p, (size_t)(at - p));
			} else {
				if (colon > p)
					a->user = xstrndup(p, (size_t)(colon - p));
				a->password = xstrndup(colon + 1,
				    (size_t)(at - colon - 1));
			}
			p = at + 1;
		}
		if ((slash = strchr(p, '/')) != NULL) {
			char	*end;
			long	 db;

			errno = 0;
			db = strtol(slash + 1, &end, 10);
			if (slash[1] == '\0' || *end != '\0' || errno != 0 ||
			    db < 0 || db > INT_MAX) {
				xasprintf(cause, "\"%s\": the database after / "
				    "must be a number", s);
				redis_addr_clear(a);
				return -1;
			}
			a->db = (int)db;
			hp = xstrndup(p, (size_t)(slash - p));
		} else
			hp = xstrdup(p);
		rc = host_port(hp, a, cause);
		free(hp);
		if (rc != 0)
			redis_addr_clear(a);
		return rc;
	}
	if (strstr(s, "://") != NULL) {
		xasprintf(cause, "\"%s\": only redis:// URLs (Debian's hiredis "
		    "has no TLS: use a private network or a tunnel)", s);
		return -1;
	}
	return host_port(s, a, cause);
}

void
redis_addr_clear(struct redis_addr *a)
{
	free(a->host);
	free(a->unix_path);
	free(a->user);
	if (a->password != NULL)
		explicit_bzero(a->password, strlen(a->password));
	free(a->password);
	memset(a, 0, sizeof *a);
}

/* redis_addr_string - the address for people: never the password. */
char *
redis_addr_string(const struct redis_addr *a)
{
	char *s;

	if (a->unix_path != NULL)
		xasprintf(&s, "unix:%s%s%.0d", a->unix_path, a->db ? " db " :
		    "", a->db);
	else
		xasprintf(&s, "%s%s%s:%d%s%.0d", strchr(a->host, ':') ? "[" :
		    "", a->host, strchr(a->host, ':') ? "]" : "", a->port,
		    a->db ? "/" : "", a->db);
	return s;
}

void
cluster_conf_free(struct cluster_conf *c)
{
	if (c == NULL)
		return;
	free(c->redis);
	redis_addr_clear(&c->addr);
	free(c->node);
	free(c->strategy);
	free(c);
}

/*
 * cluster_conf_json - the settings a runner needs, password included
 * (a runner of a cluster run talks to that Redis itself).
 */
json_t *
cluster_conf_json(const struct cluster_conf *c)
{
	json_t *o = json_pack("{s:s, s:I, s:i, s:i, s:i, s:s*}", "node",
	    c->node, "lease_ms", (json_int_t)c->lease_ms, "max_deliveries",
	    c->max_deliveries, "db", c->addr.db, "slots", c->slots,
	    "strategy", c->strategy);

	if (c->addr.unix_path != NULL)
		json_object_set_new(o, "unix", json_string(c->addr.unix_path));
	else {
		json_object_set_new(o, "host", json_string(c->addr.host));
		json_object_set_new(o, "port", json_integer(c->addr.port));
	}
	if (c->addr.user != NULL)
		json_object_set_new(o, "user", json_string(c->addr.user));
	if (c->addr.password != NULL)
		json_object_set_new(o, "password",
		    json_string(c->addr.password));
	return o;
}

/* cluster_conf_from_json - the other way.  0, or -1 with *cause. */
int
cluster_conf_from_json(const json_t *o, struct cluster_conf *c, char **cause)
{
	const char	*node, *host = NULL, *unix_path = NULL, *user = NULL;
	const char	*password = NULL, *strategy = NULL;
	json_int_t	 lease, maxd, db = 0, port = 6379, slots = 0;
	json_error_t	 e;

	memset(c, 0, sizeof *c);
	if (json_unpack_ex((json_t *)o, &e, 0, "{s:s, s:I, s:I, s?I, s?s, "
	    "s?I, s?s, s?s, s?s, s?I, s?s}", "node", &node, "lease_ms", &lease,
	    "max_deliveries", &maxd, "db", &db, "host", &host, "port", &port,
	    "unix", &unix_path, "user", &user, "password", &password,
	    "slots", &slots, "strategy", &strategy) != 0) {
		xasprintf(cause, "cluster settings: %s", e.text);
		return -1;
	}
	if ((host == NULL) == (unix_path == NULL) || lease <= 0 || maxd <= 0) {
		xasprintf(cause, "cluster settings: need host or unix, and a "
		    "positive lease and max_deliveries");
		return -1;
	}
	c->node = xstrdup(node);
	c->lease_ms = (uint64_t)lease;
	c->max_deliveries = (int)maxd;
	c->slots = (int)slots;
	c->strategy = strategy ? xstrdup(strategy) : NULL;
	c->addr.host = host ? xstrdup(host) : NULL;
	c->addr.port = (int)port;
	c->addr.unix_path = unix_path ? xstrdup(unix_path) : NULL;
	c->addr.user = user ? xstrdup(user) : NULL;
	c->addr.password = password ? xstrdup(password) : NULL;
	c->addr.db = (int)db;
	c->redis = redis_addr_string(&c->addr);
	return 0;
}
