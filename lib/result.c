/*
 * result.c - a task's result as weft-runner keeps it: the named strings,
 * integers and reals a task gives (the task table's result_* calls), in
 * one allocation, written out as JSON by hand.
 *
 * A 20,000-GET run kept its results as jansson objects: seven
 * allocations and a hash table per task, each walked again for the
 * summary and the journal.  That was a sixth of the run's time (1.24x
 * the raw libcurl program with results, 1.06x without any).
 *
 * The entries, one after another in r->d, each:
 *	type (1 byte), flags (1: PLAIN_*), key length (2), value length
 *	(4), the key, the value: 8 bytes (long long, double) or the
 *	string's bytes.
 * A key set again replaces its value: in place when it is a number,
 * else the old entry is marked dead and the new one appended.  Values a
 * task cannot give but JSON can (true, null, lists: a result read back
 * from a journal or another process) are kept as their JSON text.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct result {
	size_t		len, cap;	/* bytes of d used, allocated */
	uint64_t	keys;		/* a bit for each key's key_bit */
	unsigned char	d[];
};

#define HDR		8
#define KEY_MAX		65535

enum { DEAD = 0 };
#define PLAIN_KEY	1	/* nothing in the key to escape in JSON */
#define PLAIN_VALUE	2	/* nor in the string value */

/* decode - entry e's type, key and value into *v; its size. */
static size_t
decode(const unsigned char *e, struct result_val *v)
{
	uint16_t	kl;
	uint32_t	vl;

	memcpy(&kl, e + 2, 2);
	memcpy(&vl, e + 4, 4);
	v->type = e[0];
	v->plain = e[1];
	v->key = (const char *)e + HDR;
	v->klen = kl;
	v->s = (const char *)e + HDR + kl;
	v->len = vl;
	if (v->type == RESULT_INT)
		memcpy(&v->i, v->s, sizeof v->i);
	else if (v->type == RESULT_REAL)
		memcpy(&v->d, v->s, sizeof v->d);
	return HDR + kl + vl;
}

/*
 * find - the live entry for key (klen bytes), or NULL.  Only the sizes
 * of the entries it passes are read: a task sets each key once, so
 * every set walks the whole result.
 */
static unsigned char *
find(const struct result *r, const char *key, size_t klen)
{
	size_t off = 0;

	while (r != NULL && off < r->len) {
		unsigned char	*e = (unsigned char *)r->d + off;
		uint16_t	 kl;
		uint32_t	 vl;

		memcpy(&kl, e + 2, 2);
		memcpy(&vl, e + 4, 4);
		if (kl == klen && e[0] != DEAD && memcmp(e + HDR, key,
		    klen) == 0)
			return e;
		off += HDR + (size_t)kl + vl;
	}
	return NULL;
}

/*
 * key_bit - one of 64 bits for a key: a result with its bit clear has
 * no such key, and add and result_get need not walk it (a task sets
 * each of its half-dozen keys once).
 */
static uint64_t
key_bit(const char *key, size_t klen)
{
	unsigned h = (unsigned)klen * 31u;

	if (klen > 0)
		h += (unsigned char)key[0] * 7u + (unsigned char)key[klen - 1];
	return (uint64_t)1 << (h & 63);
}

/* utf8_len - the length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	size_t		n;
	uint32_t	c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

/* Bytes a JSON string cannot hold as they are. */
static const unsigned char must_escape[256] = {
	[0x00] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

/*
 * utf8_scan - whether s (len bytes) is UTF-8; and *plain, whether it
 * holds no byte a JSON string must escape (result_put copies such a
 * key or string as it is, a byte loop fewer for every task's result).
 */
static int
utf8_scan(const char *s, size_t len, int *plain)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 n;
	unsigned char		 esc = 0;

	for (size_t i = 0; i < len; i += n) {
		if (u[i] < 0x80) {	/* most of it: URLs, names */
			esc |= must_escape[u[i]];
			n = 1;
			continue;
		}
		if ((n = utf8_len(u + i, len - i)) == 0)
			return 0;
	}
	*plain = !esc;
	return 1;
}

/*
 * add - append an entry of type for key with vlen value bytes (a
 * string's plain as utf8_scan said).
 */
static void
add(struct result **rp, int type, const char *key, const void *v,
    size_t vlen, int vplain)
{
	struct result		*r = *rp;
	size_t			 klen = strlen(key), need;
	unsigned char		*e;
	uint16_t		 kl;
	uint32_t		 vl = (uint32_t)vlen;
	uint64_t		 bit;
	int			 kplain;

	/* A key that is not UTF-8 (jansson refused it too), or a key or
	 * value too long for an entry, is not kept. */
	if (klen > KEY_MAX || vlen > UINT32_MAX || !utf8_scan(key, klen,
	    &kplain))
		return;
	bit = key_bit(key, klen);
	if (r != NULL && (r->keys & bit) && (e = find(r, key, klen)) != NULL) {
		if (e[0] == type && (type == RESULT_INT || type ==
		    RESULT_REAL)) {
			memcpy(e + HDR + klen, v, vlen);
			return;
		}
		e[0] = DEAD;
	}
	need = HDR + klen + vlen;
	if (r == NULL || r->cap - r->len < need) {
		/* 256: what a download's six values take, with room. */
		size_t cap = r ? 2 * r->cap + need : (need < 192 ? 256 : need +
		    64);

		r = realloc(r, sizeof *r + cap);
		if (r == NULL)
			fatal("realloc");
		if (*rp == NULL) {
			r->len = 0;
			r->keys = 0;
		}
		r->cap = cap;
		*rp = r;
	}
	e = r->d + r->len;
	kl = (uint16_t)klen;
	e[0] = (unsigned char)type;
	e[1] = (unsigned char)((kplain ? PLAIN_KEY : 0) | (vplain ?
	    PLAIN_VALUE : 0));
	memcpy(e + 2, &kl, 2);
	memcpy(e + 4, &vl, 4);
	memcpy(e + HDR, key, klen);
	memcpy(e + HDR + klen, v, vlen);
	r->len += need;
	r->keys |= bit;
}

/*
 * result_str - set key to the string s (len bytes).  Bytes that are not
 * UTF-8 become U+FFFD, so that the record stays JSON (jansson dropped
 * such a value without a word).
 */
void
result_str(struct result **rp, const char *key, const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n;
	char			*fixed, *p;
	int			 plain;

	if (utf8_scan(s, len, &plain)) {
		add(rp, RESULT_STR, key, s, len, plain);
		return;
	}
	p = fixed = xmalloc(3 * len);
	for (i = 0; i < len; i += n) {
		if ((n = utf8_len(u + i, len - i)) == 0) {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
			n = 1;
		} else {
			memcpy(p, s + i, n);
			p += n;
		}
	}
	if (!utf8_scan(fixed, (size_t)(p - fixed), &plain))
		plain = 0;
	add(rp, RESULT_STR, key, fixed, (size_t)(p - fixed), plain);
	free(fixed);
}

void
result_int(struct result **rp, const char *key, long long v)
{
	add(rp, RESULT_INT, key, &v, sizeof v, 0);
}

/* result_real - set key to v; not a number or infinite: null, as JSON
 * has neither (jansson refused them). */
void
result_real(struct result **rp, const char *key, double v)
{
	if (!isfinite(v)) {
		add(rp, RESULT_JSON, key, "null", 4, 0);
		return;
	}
	add(rp, RESULT_REAL, key, &v, sizeof v, 0);
}

void
result_free(struct result *r)
{
	free(r);
}

/*
 * result_next - the live entry after *off (start at 0): its key and
 * value in *v; 0 when there are no more.
 */
int
result_next(const struct result *r, size_t *off, struct result_val *v)
{
	while (r != NULL && *off < r->len) {
		const unsigned char *e = r->d + *off;

		*off += decode(e, v);
		if (e[0] != DEAD)
			return 1;
	}
	return 0;
}

/* result_get - key's value in *v; 0 if it has none. */
int
result_get(const struct result *r, const char *key, struct result_val *v)
{
	size_t			 klen = strlen(key);
	const unsigned char	*e = NULL;

	if (r != NULL && (r->keys & key_bit(key, klen)))
		e = find(r, key, klen);
	if (e != NULL)
		decode(e, v);
	return e != NULL;
}

/* json_put_string - s (len bytes, UTF-8) as a JSON string at p (room:
 * 6 * len + 2); returns the end. */
char *
json_put_string(char *p, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	*p++ = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char	c;
		size_t		j;

		/* Runs that need no escape, copied whole. */
		for (j = i; j < len && !must_escape[(unsigned char)s[j]]; j++)
			;
		memcpy(p, s + i, j - i);
		p += j - i;
		if ((i = j) == len)
			break;
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else if (c == '\t') {
			*p++ = '\\';
			*p++ = 't';
		} else if (c < 0x20) {
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		} else
			*p++ = (char)c;
	}
	*p++ = '"';
	return p;
}

/*
 * json_put_real - v (finite) as JSON at p (room: 32); returns the end.
 * A time that is a whole number of microseconds (curl's, and most
 * durations) is written as such, "0.001234", which reads back as
 * exactly v and costs a tenth of printf's 17 digits; any other value
 * gets those.
 */
char *
json_put_real(char *p, double v)
{
	size_t		n;
	long long	us;

	if (fabs(v) < 9e9 && (double)(us = llround(v * 1e6)) / 1e6 == v) {
		n = fmt_us(p, us);
		while (p[n - 1] == '0' && p[n - 2] != '.')
			n--;
		return p + n;
	}
	n = (size_t)snprintf(p, 32, "%.17g", v);
	if (strpbrk(p, ".e") == NULL) {	/* still a real when read */
		memcpy(p + n, ".0", 2);
		n += 2;
	}
	return p + n;
}

/*
 * result_room - bytes result_put may write for r, at most: an entry of
 * HDR + klen + vlen bytes takes at most 6 x klen + 4 for its key, and
 * 6 x vlen + 2 for a string (every byte a \u00XX), vlen for JSON text
 * or 32 for a number (vlen 8): under six bytes for each of its own.
 * Without a walk over the entries, as the journal asks for every task.
 */
size_t
result_room(const struct result *r)
{
	return 3 + (r != NULL ? 6 * r->len : 0);
}

/* put_plain - s (len bytes, nothing to escape) as a JSON string. */
static char *
put_plain(char *p, const char *s, size_t len)
{
	*p++ = '"';
	memcpy(p, s, len);
	p += len;
	*p++ = '"';
	return p;
}

/* result_put - r as a JSON object at p (room: result_room); the end. */
char *
result_put(const struct result *r, char *p)
{
	size_t			off = 0;
	struct result_val	v;

	*p++ = '{';
	while (result_next(r, &off, &v)) {
		if (p[-1] != '{')
			*p++ = ',';
		p = (v.plain & PLAIN_KEY) ? put_plain(p, v.key, v.klen) :
		    json_put_string(p, v.key, v.klen);
		*p++ = ':';
		switch (v.type) {
		case RESULT_STR:
			p = (v.plain & PLAIN_VALUE) ? put_plain(p, v.s, v.len) :
			    json_put_string(p, v.s, v.len);
			break;
		case RESULT_INT:
			p += fmt_int(p, v.i);
			break;
		case RESULT_REAL:
			p = json_put_real(p, v.d);
			break;
		default:
			memcpy(p, v.s, v.len);
			p += v.len;
			break;
		}
	}
	*p++ = '}';
	return p;
}

/* result_text - r as a JSON object (malloc'd), or NULL for none. */
char *
result_text(const struct result *r)
{
	char *text, *end;

	if (r == NULL)
		return NULL;
	text = xmalloc(result_room(r) + 1);
	end = result_put(r, text);
	*end = '\0';
	return text;
}

/* result_json - r as a new jansson object (into o, if not NULL). */
json_t *
result_json(const struct result *r, json_t *o)
{
	size_t			off = 0;
	struct result_val	v;
	json_t			*j;

	if (o == NULL)
		o = json_object();
	while (result_next(r, &off, &v)) {
		switch (v.type) {
		case RESULT_STR:
			j = json_stringn_nocheck(v.s, v.len);
			break;
		case RESULT_INT:
			j = json_integer(v.i);
			break;
		case RESULT_REAL:
			j = json_real(v.d);
			break;
		default:
			j = json_loadb(v.s, v.len, JSON_DECODE_ANY |
			    JSON_ALLOW_NUL, NULL);
			break;
		}
		json_object_setn_new_nocheck(o, v.key, v.klen, j);
	}
	return o;
}

/*
 * result_from - a result from a JSON object (a journal's, another
 * process's); NULL for anything else, or an empty object.
 */
struct result *
result_from(const json_t *o)
{
	struct result	*r = NULL;
	const char	*key;
	json_t		*v;
	char		*text;
	int		 plain;

	json_object_foreach((json_t *)o, key, v) {
		switch (json_typeof(v)) {
		case JSON_STRING:
			if (!utf8_scan(json_string_value(v),
			    json_string_length(v), &plain))
				plain = 0;
			add(&r, RESULT_STR, key, json_string_value(v),
			    json_string_length(v), plain);
			break;
		case JSON_INTEGER:
			result_int(&r, key, (long long)json_integer_value(v));
			break;
		case JSON_REAL:
			result_real(&r, key, json_real_value(v));
			break;
		default:
			text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			add(&r, RESULT_JSON, key, text, strlen(text), 0);
			free(text);
			break;
		}
	}
	return r;
}
