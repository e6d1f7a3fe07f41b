/*
 * ytree.c - YAML documents loaded with libyaml into trees whose nodes
 * remember file, line, column and key path, so that every error about a
 * value can say exactly where it is.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common.h"

#define YTREE_MAX_DEPTH	64
#define YTREE_MAX_FILE	(4u * 1024 * 1024)

static struct ynode *
convert(struct ydoc *d, yaml_document_t *doc, yaml_node_t *yn,
    const char *path, int depth, char **cause)
{
	struct ynode	*n;
	size_t		 i;

	if (depth > YTREE_MAX_DEPTH) {
		xasprintf(cause, "%s:%zu:%zu: nested too deeply (or an alias "
		    "loop)", d->file, yn->start_mark.line + 1,
		    yn->start_mark.column + 1);
		return NULL;
	}
	n = xcalloc(1, sizeof *n);
	n->file = d->file;
	n->line = (int)yn->start_mark.line + 1;
	n->col = (int)yn->start_mark.column + 1;
	n->path = xstrdup(path);
	n->errs = &d->errs;

	switch (yn->type) {
	case YAML_SCALAR_NODE:
		n->kind = YNODE_SCALAR;
		n->str = xstrndup((char *)yn->data.scalar.value,
		    yn->data.scalar.length);
		n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE: {
		yaml_node_item_t *it;

		n->kind = YNODE_SEQ;
		n->n = (size_t)(yn->data.sequence.items.top -
		    yn->data.sequence.items.start);
		n->items = xcalloc(n->n, sizeof *n->items);
		for (i = 0, it = yn->data.sequence.items.start;
		    it < yn->data.sequence.items.top; it++, i++) {
			char *p;

			xasprintf(&p, "%s[%zu]", path, i);
			n->items[i] = convert(d, doc,
			    yaml_document_get_node(doc, *it), p, depth + 1,
			    cause);
			free(p);
			if (n->items[i] == NULL)
				return n;
		}
		break;
	}
	case YAML_MAPPING_NODE: {
		yaml_node_pair_t *pr;

		n->kind = YNODE_MAP;
		n->n = (size_t)(yn->data.mapping.pairs.top -
		    yn->data.mapping.pairs.start);
		n->keys = xcalloc(n->n, sizeof *n->keys);
		n->items = xcalloc(n->n, sizeof *n->items);
		for (i = 0, pr = yn->data.mapping.pairs.start;
		    pr < yn->data.mapping.pairs.top; pr++, i++) {
			yaml_node_t	*k = yaml_document_get_node(doc, pr->key);
			char		*p;

			if (k->type != YAML_SCALAR_NODE) {
				xasprintf(cause, "%s:%zu:%zu: %s: mapping keys "
				    "must be plain words", d->file,
				    k->start_mark.line + 1,
				    k->start_mark.column + 1,
				    *path ? path : "document");
				return n;
			}
			xasprintf(&p, "%s%s%.*s", path, *path ? "." : "",
			    (int)k->data.scalar.length,
			    (char *)k->data.scalar.value);
			n->keys[i] = convert(d, doc, k, p, depth + 1, cause);
			free(p);
			for (size_t j = 0; j < i; j++) {
				if (strcmp(n->keys[j]->str, n->keys[i]->str))
					continue;
				xasprintf(cause, "%s:%d:%d: %s%s%s: duplicate "
				    "key (first at line %d)", d->file,
				    n->keys[i]->line, n->keys[i]->col, path,
				    *path ? "." : "", n->keys[i]->str,
				    n->keys[j]->line);
				return n;
			}
			xasprintf(&p, "%s%s%s", path, *path ? "." : "",
			    n->keys[i]->str);
			n->items[i] = convert(d, doc,
			    yaml_document_get_node(doc, pr->value), p,
			    depth + 1, cause);
			free(p);
			if (n->items[i] == NULL)
				return n;
		}
		break;
	}
	default:
		xasprintf(cause, "%s:%d:%d: empty node", d->file, n->line,
		    n->col);
		break;
	}
	return n;
}

static void
ynode_free(struct ynode *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys != NULL)
			ynode_free(n->keys[i]);
		if (n->items != NULL)
			ynode_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->path);
	free(n->str);
	free(n);
}

void
ydoc_free(struct ydoc *d)
{
	if (d == NULL)
		return;
	ynode_free(d->root);
	errlist_clear(&d->errs);
	free(d->file);
	free(d);
}

/*
 * ydoc_load - parse one YAML document from buf; file names it in errors.
 * A second document in the same stream is an error.
 */
struct ydoc *
ydoc_load(const char *file, const char *buf, size_t len, char **cause)
{
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	struct ydoc	*d;
	yaml_node_t	*root;

	*cause = NULL;
	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		xasprintf(cause, "%s:%zu:%zu: YAML syntax error: %s%s%s", file,
		    parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
		    parser.problem ? parser.problem : "unknown",
		    parser.context ? " " : "",
		    parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return NULL;
	}
	d = xcalloc(1, sizeof *d);
	d->file = xstrdup(file);
	root = yaml_document_get_root_node(&doc);
	if (root != NULL)
		d->root = convert(d, &doc, root, "", 0, cause);
	yaml_document_delete(&doc);
	if (*cause == NULL) {
		yaml_document_t extra;

		if (!yaml_parser_load(&parser, &extra)) {
			xasprintf(cause, "%s:%zu:%zu: YAML syntax error: %s",
			    file, parser.problem_mark.line + 1,
			    parser.problem_mark.column + 1,
			    parser.problem ? parser.problem : "unknown");
		} else {
			if (yaml_document_get_root_node(&extra) != NULL)
				xasprintf(cause, "%s:%zu:%zu: a second YAML "
				    "document; put one job in each file", file,
				    extra.start_mark.line + 1,
				    extra.start_mark.column + 1);
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	if (*cause != NULL) {
		ydoc_free(d);
		return NULL;
	}
	return d;
}

/*
 * yaml_read_file - read a YAML file whole (at most YTREE_MAX_FILE
 * bytes) into a NUL-terminated buffer.  0, or -1 with *cause (errno
 * kept from the failing call).
 */
int
yaml_read_file(const char *file, char **text, size_t *lenp, char **cause)
{
	FILE	*f;
	char	*buf;
	size_t	 len;
	int	 e;

	if ((f = fopen(file, "r")) == NULL) {
		e = errno;
		xasprintf(cause, "%s: cannot open: %s", file, strerror(e));
		errno = e;
		return -1;
	}
	buf = xmalloc(YTREE_MAX_FILE + 1);
	len = fread(buf, 1, YTREE_MAX_FILE + 1, f);
	if (ferror(f)) {
		e = errno;
		xasprintf(cause, "%s: cannot read: %s", file, strerror(e));
		goto fail;
	}
	if (len > YTREE_MAX_FILE) {
		e = EFBIG;
		xasprintf(cause, "%s: larger than %u bytes", file,
		    YTREE_MAX_FILE);
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	*text = xreallocarray(buf, len + 1, 1);
	*lenp = len;
	return 0;
fail:
	fclose(f);
	free(buf);
	errno = e;
	return -1;
}

/* ydoc_load_file - read and parse a YAML file. */
struct ydoc *
ydoc_load_file(const char *file, char **cause)
{
	char		*buf;
	size_t		 len;
	struct ydoc	*d;

	if (yaml_read_file(file, &buf, &len, cause) != 0)
		return NULL;
	d = ydoc_load(file, buf, len, cause);
	free(buf);
	return d;
}

/* ynode_get - the value for key in mapping n, or NULL. */
struct ynode *
ynode_get(const struct ynode *n, const char *key)
{
	if (n == NULL || n->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < n->n; i++)
		if (strcmp(n->keys[i]->str, key) == 0)
			return n->items[i];
	return NULL;
}

void
ynode_verror(const struct ynode *n, const char *fmt, va_list ap)
{
	char *m;

	xvasprintf(&m, fmt, ap);
	if (*n->path != '\0')
		errlist_add(n->errs, "%s:%d:%d: %s: %s", n->file, n->line,
		    n->col, n->path, m);
	else
		errlist_add(n->errs, "%s:%d:%d: %s", n->file, n->line, n->col,
		    m);
	free(m);
}

/* ynode_error - record "file:line:col: key.path: message". */
void
ynode_error(const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ynode_verror(n, fmt, ap);
	va_end(ap);
}

const char *
ynode_kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_SEQ:
		return "a list";
	case YNODE_MAP:
		return "a mapping";
	}
	return "?";
}

/* ynode_check_keys - report each key of map n not in keys; the count. */
int
ynode_check_keys(const struct ynode *n, const char *const *keys)
{
	int bad = 0;

	for (size_t i = 0; i < n->n; i++) {
		const char *const	*k;
		char			 list[512];
		size_t			 off = 0;

		for (k = keys; *k != NULL; k++)
			if (strcmp(*k, n->keys[i]->str) == 0)
				break;
		if (*k != NULL)
			continue;
		list[0] = '\0';
		for (k = keys; *k != NULL && off < sizeof list; k++)
			off += (size_t)snprintf(list + off, sizeof list - off,
			    "%s%s", k == keys ? "" : ", ", *k);
		ynode_error(n->keys[i], "unknown key \"%s\" (expected one "
		    "of: %s)", n->keys[i]->str, list);
		bad++;
	}
	return bad;
}

/* ynode_scalar - the text of a scalar, or NULL after reporting. */
const char *
ynode_scalar(const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR) {
		ynode_error(n, "expected a single value, got %s",
		    ynode_kind_name(n));
		return NULL;
	}
	return n->str;
}

/* ynode_int - a decimal integer in [min, max]; 0, or -1 after reporting. */
int
ynode_int(const struct ynode *n, long long min, long long max,
    long long *out)
{
	char		*end;
	long long	 v;

	if (n->kind != YNODE_SCALAR) {
		ynode_error(n, "expected an integer, got %s",
		    ynode_kind_name(n));
		return -1;
	}
	errno = 0;
	v = strtoll(n->str, &end, 10);
	if (n->str[0] == '\0' || *end != '\0' || errno == ERANGE ||
	    v < min || v > max) {
		if (min == 1 && max == LLONG_MAX)
			ynode_error(n, "expected a positive integer, got "
			    "\"%s\"", n->str);
		else if (min == 0 && max == LLONG_MAX)
			ynode_error(n, "expected a non-negative integer, got "
			    "\"%s\"", n->str);
		else
			ynode_error(n, "expected an integer from %lld to "
			    "%lld, got \"%s\"", min, max, n->str);
		return -1;
	}
	*out = v;
	return 0;
}

/* ynode_bool - YAML 1.1 booleans (true/false/yes/no/on/off). */
int
ynode_bool(const struct ynode *n, int *out)
{
	static const char *const t[] = { "true", "yes", "on", NULL };
	static const char *const f[] = { "false", "no", "off", NULL };

	if (n->kind == YNODE_SCALAR) {
		for (int i = 0; t[i] != NULL; i++) {
			if (strcasecmp(n->str, t[i]) == 0) {
				*out = 1;
				return 0;
			}
			if (strcasecmp(n->str, f[i]) == 0) {
				*out = 0;
				return 0;
			}
		}
	}
	ynode_error(n, "expected true or false, got %s%s%s",
	    n->kind == YNODE_SCALAR ? "\"" : "",
	    n->kind == YNODE_SCALAR ? n->str : ynode_kind_name(n),
	    n->kind == YNODE_SCALAR ? "\"" : "");
	return -1;
}

/* ynode_duration - "250ms", "30s", "5m", "1h30m" as milliseconds. */
int
ynode_duration(const struct ynode *n, uint64_t *out)
{
	if (n->kind != YNODE_SCALAR || duration_parse(n->str, out) != 0) {
		ynode_error(n, "expected a duration such as 500ms, 30s, 5m or "
		    "1h, got %s%s%s", n->kind == YNODE_SCALAR ? "\"" : "",
		    n->kind == YNODE_SCALAR ? n->str : ynode_kind_name(n),
		    n->kind == YNODE_SCALAR ? "\"" : "");
		return -1;
	}
	return 0;
}

/*
 * ynode_set_scalar - replace a scalar's text (weftctl run --set); origin
 * replaces the position in later errors.
 */
void
ynode_set_scalar(struct ynode *n, const char *value, const char *origin)
{
	free(n->str);
	n->str = xstrdup(value);
	n->plain = 1;
	n->file = origin;
	n->line = n->col = 1;
}

/* ynode_to_json - plain JSON for display (scalars stay strings). */
json_t *
ynode_to_json(const struct ynode *n)
{
	json_t *j;

	if (n == NULL)
		return json_null();
	switch (n->kind) {
	case YNODE_SCALAR:
		return json_string(n->str);
	case YNODE_SEQ:
		j = json_array();
		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(j, ynode_to_json(n->items[i]));
		return j;
	case YNODE_MAP:
		j = json_object();
		for (size_t i = 0; i < n->n; i++)
			json_object_set_new(j, n->keys[i]->str,
			    ynode_to_json(n->items[i]));
		return j;
	}
	return json_null();
}
