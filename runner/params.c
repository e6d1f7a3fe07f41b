/*
 * params.c - h->params: reading a job's params and strategy_params.
 *
 * Nodes are lib/ytree.c's trees, which remember file, line, column and
 * key path, so every error a plugin reports through here says exactly
 * where the value is.  params->parse reads a whole mapping from a
 * table (collectd's config_keys, tmux's .args): unknown keys, missing
 * ones, types and ranges are checked the same way for every plugin.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#define Y(n)	((const struct ynode *)(n))

static const struct weft_node *
p_get(const struct weft_node *map, const char *key)
{
	return (const struct weft_node *)ynode_get(Y(map), key);
}

static int
p_allow(const struct weft_node *map, const char *const *keys)
{
	if (map == NULL || Y(map)->kind != YNODE_MAP)
		return 0;
	return ynode_check_keys(Y(map), keys);
}

static int
p_node_kind(const struct weft_node *n)
{
	return Y(n)->kind;
}

static size_t
p_node_len(const struct weft_node *n)
{
	return Y(n)->kind == YNODE_SCALAR ? 0 : Y(n)->n;
}

static const struct weft_node *
p_node_at(const struct weft_node *n, size_t i)
{
	if (Y(n)->kind == YNODE_SCALAR || i >= Y(n)->n)
		return NULL;
	return (const struct weft_node *)Y(n)->items[i];
}

static const char *
p_node_key(const struct weft_node *n, size_t i)
{
	if (Y(n)->kind != YNODE_MAP || i >= Y(n)->n)
		return NULL;
	return Y(n)->keys[i]->str;
}

static const char *
p_node_str(const struct weft_node *n)
{
	return ynode_scalar(Y(n));
}

static int
p_node_int(const struct weft_node *n, long long min, long long max,
    long long *out)
{
	return ynode_int(Y(n), min, max, out);
}

static int
p_node_bool(const struct weft_node *n, int *out)
{
	return ynode_bool(Y(n), out);
}

/* choices_text - "a, b or c". */
static void
choices_text(const char *const *choices, char *buf, size_t len)
{
	size_t	off = 0, n = 0;

	while (choices[n] != NULL)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", choices[i]);
}

static int
p_node_enum(const struct weft_node *n, const char *const *choices, int *out)
{
	char list[512];

	if (Y(n)->kind == YNODE_SCALAR)
		for (int i = 0; choices[i] != NULL; i++)
			if (strcmp(Y(n)->str, choices[i]) == 0) {
				*out = i;
				return 0;
			}
	choices_text(choices, list, sizeof list);
	if (Y(n)->kind == YNODE_SCALAR)
		ynode_error(Y(n), "expected %s, got \"%s\"", list, Y(n)->str);
	else
		ynode_error(Y(n), "expected %s, got %s", list,
		    ynode_kind_name(Y(n)));
	return -1;
}

static int
p_node_duration_ms(const struct weft_node *n, long long *out)
{
	uint64_t ms;

	if (ynode_duration(Y(n), &ms) != 0)
		return -1;
	*out = ms > LLONG_MAX ? LLONG_MAX : (long long)ms;
	return 0;
}

static void
p_node_error(const struct weft_node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ynode_verror(Y(n), fmt, ap);
	va_end(ap);
}

/* ---- the declarative parser ---- */

/* The lists parse makes live in the document's arena, as its nodes. */

static int
parse_ints(const struct ynode *n, const struct weft_param *p,
    struct weft_ints *out)
{
	long long	 lo = p->min, hi = p->max;
	size_t		 count = n->kind == YNODE_SEQ ? n->n : 1;

	if (lo == 0 && hi == 0) {
		lo = LLONG_MIN;
		hi = LLONG_MAX;
	}
	if (n->kind == YNODE_MAP || count == 0) {
		ynode_error(n, "expected a number or a non-empty list of "
		    "numbers");
		return -1;
	}
	out->v = ydoc_alloc(n->doc, count * sizeof *out->v);
	out->n = count;
	for (size_t i = 0; i < count; i++)
		if (ynode_int(n->kind == YNODE_SEQ ? n->items[i] : n, lo, hi,
		    &out->v[i]) != 0)
			return -1;
	return 0;
}

static int
parse_strings(const struct ynode *n, struct weft_strings *out)
{
	size_t count = n->kind == YNODE_SEQ ? n->n : 1;

	if (n->kind == YNODE_MAP) {
		ynode_error(n, "expected a value or a list of values, got a "
		    "mapping");
		return -1;
	}
	out->v = ydoc_alloc(n->doc, (count ? count : 1) * sizeof *out->v);
	out->n = count;
	for (size_t i = 0; i < count; i++)
		if ((out->v[i] = ynode_scalar(n->kind == YNODE_SEQ ?
		    n->items[i] : n)) == NULL)
			return -1;
	return 0;
}

/* parse_value - one value n as p says, into field. 0 or -1 (reported). */
static int
parse_value(const struct ynode *n, const struct weft_param *p, void *field)
{
	long long	lo = p->min, hi = p->max, v;
	int		b;

	switch (p->type) {
	case WEFT_P_INT:
		if (lo == 0 && hi == 0) {
			lo = LLONG_MIN;
			hi = LLONG_MAX;
		}
		return ynode_int(n, lo, hi, field);
	case WEFT_P_DURATION:
		if (p_node_duration_ms((const struct weft_node *)n, &v) != 0)
			return -1;
		if (v < lo || (hi != 0 && v > hi)) {
			char a[32], z[32];

			ynode_error(n, "expected a duration from %s to %s, got "
			    "\"%s\"", duration_format((uint64_t)lo, a,
			    sizeof a), duration_format((uint64_t)hi, z,
			    sizeof z), n->str);
			return -1;
		}
		*(long long *)field = v;
		return 0;
	case WEFT_P_BOOL:
		if (ynode_bool(n, &b) != 0)
			return -1;
		*(int *)field = b;
		return 0;
	case WEFT_P_ENUM:
		return p_node_enum((const struct weft_node *)n, p->choices,
		    field);
	case WEFT_P_STRING:
	case WEFT_P_PATH: {
		const char *s = ynode_scalar(n);

		if (s == NULL)
			return -1;
		if (p->type == WEFT_P_PATH && *s == '\0') {
			ynode_error(n, "expected a path, got an empty string");
			return -1;
		}
		*(const char **)field = s;
		return 0;
	}
	case WEFT_P_INTS:
		return parse_ints(n, p, field);
	case WEFT_P_STRINGS:
		return parse_strings(n, field);
	case WEFT_P_NODE:
		*(const struct weft_node **)field =
		    (const struct weft_node *)n;
		return 0;
	}
	ynode_error(n, "parameter %s has an unknown type %d (a bug in the "
	    "plugin)", p->key, p->type);
	return -1;
}

/*
 * parse_default - the default text of p as if it had been written in
 * the job file.  A default that does not parse is the plugin's bug: it
 * is reported at the mapping (or logged, without one), naming the key.
 */
static int
parse_default(const struct ynode *map, const struct weft_param *p,
    void *field)
{
	struct ynode	 d;
	struct ydoc	 tmp, *doc = map ? map->doc : &tmp;
	struct errlist	 el = { 0 }, *saved = doc->errs_to;
	int		 rc;

	/* In the mapping's document (its arena holds any list), with the
	 * errors caught here: they are the plugin's, reported once. */
	memset(&tmp, 0, sizeof tmp);
	tmp.file = (char *)"default";
	memset(&d, 0, sizeof d);
	d.kind = YNODE_SCALAR;
	d.line = d.col = 1;
	d.doc = doc;
	d.name = p->key;
	d.str = (char *)p->def;
	d.plain = 1;
	doc->errs_to = &el;
	rc = parse_value(&d, p, field);
	doc->errs_to = saved;
	if (rc != 0 && map != NULL)
		ynode_error(map, "the plugin's default for %s does not parse "
		    "(%s); report this to its author", p->key, el.n ?
		    el.v[0] : "?");
	else if (rc != 0)
		log_warnx("the plugin's default for %s does not parse (%s); "
		    "report this to its author", p->key, el.n ? el.v[0] : "?");
	errlist_clear(&el);
	return rc;
}

static int
p_parse(const struct weft_node *mapn, const struct weft_param *spec,
    void *out)
{
	const struct ynode	 *map = Y(mapn);
	const char		**keys;
	size_t			  n = 0;
	int			  errors = 0;

	for (const struct weft_param *p = spec; p->key; p++)
		n++;
	if (map != NULL && map->kind != YNODE_MAP) {
		ynode_error(map, "expected a mapping of parameters, got %s",
		    ynode_kind_name(map));
		return 1;
	}
	keys = xcalloc(n + 1, sizeof *keys);
	for (size_t i = 0; i < n; i++)
		keys[i] = spec[i].key;
	if (map != NULL)
		errors += ynode_check_keys(map, keys);
	free(keys);
	for (const struct weft_param *p = spec; p->key; p++) {
		const struct ynode	*v = ynode_get(map, p->key);
		void			*field = (char *)out + p->offset;

		if (v != NULL)
			errors += parse_value(v, p, field) != 0;
		else if ((p->flags & WEFT_P_REQUIRED) && map != NULL) {
			ynode_error(map, "%s: missing (a required parameter)",
			    p->key);
			errors++;
		} else if (p->flags & WEFT_P_REQUIRED) {
			log_warnx("params: %s: missing (a required parameter)",
			    p->key);
			errors++;
		} else if (p->def != NULL)
			errors += parse_default(map, p, field) != 0;
	}
	return errors;
}

const struct weft_params_api params_api = {
	.size = sizeof(struct weft_params_api),
	.parse = p_parse,
	.get = p_get,
	.allow = p_allow,
	.node_kind = p_node_kind,
	.node_len = p_node_len,
	.node_at = p_node_at,
	.node_key = p_node_key,
	.node_str = p_node_str,
	.node_int = p_node_int,
	.node_bool = p_node_bool,
	.node_enum = p_node_enum,
	.node_duration_ms = p_node_duration_ms,
	.node_error = p_node_error,
};

