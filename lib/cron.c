/*
 * cron.c - five-field cron expressions (minute hour day-of-month month
 * day-of-week) as in crontab(5): *, lists, ranges, steps, month and day
 * names, 7 for Sunday, and the @hourly/@daily/@weekly/@monthly/@yearly
 * shorthands.  As in Vixie cron, when both day fields are restricted a
 * time matches if either matches.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may",
    "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu",
    "fri", "sat", NULL };

static const struct field {
	const char		*name;
	int			 min, max;
	const char *const	*names;
	int			 names_base;
} fields[] = {
	{ "minute", 0, 59, NULL, 0 },
	{ "hour", 0, 23, NULL, 0 },
	{ "day of month", 1, 31, NULL, 0 },
	{ "month", 1, 12, month_names, 1 },
	{ "day of week", 0, 7, dow_names, 0 },
};

static int
parse_value(const struct field *f, const char **sp, int *out)
{
	const char	*s = *sp;
	char		*end;
	long		 v;

	if (f->names != NULL && isalpha((unsigned char)*s)) {
		for (int i = 0; f->names[i] != NULL; i++) {
			if (strncasecmp(s, f->names[i], 3) == 0 &&
			    !isalpha((unsigned char)s[3])) {
				*out = i + f->names_base;
				*sp = s + 3;
				return 0;
			}
		}
		return -1;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (v < f->min || v > f->max)
		return -1;
	*out = (int)v;
	*sp = end;
	return 0;
}

/* parse_field - one comma-separated field into a bit set. */
static int
parse_field(const struct field *f, const char *s, uint64_t *bits, int *any)
{
	*bits = 0;
	*any = strcmp(s, "*") == 0;
	for (;;) {
		int lo, hi, step = 1;

		if (*s == '*') {
			lo = f->min;
			hi = f->max;
			s++;
		} else {
			if (parse_value(f, &s, &lo) != 0)
				return -1;
			hi = lo;
			if (*s == '-') {
				s++;
				if (parse_value(f, &s, &hi) != 0 || hi < lo)
					return -1;
			}
		}
		if (*s == '/') {
			char *end;
			long  v;

			s++;
			if (!isdigit((unsigned char)*s))
				return -1;
			v = strtol(s, &end, 10);
			if (v < 1 || v > f->max)
				return -1;
			step = (int)v;
			s = end;
			if (hi == lo)	/* "5/10" means 5-max/10 */
				hi = f->max;
		}
		for (int v = lo; v <= hi; v += step)
			*bits |= 1ULL << v;
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			return -1;
	}
}

/*
 * cron_parse - parse expr into c.  On error returns -1 and writes a
 * message naming the bad field into err.
 */
int
cron_parse(const char *expr, struct cron *c, char *err, size_t errlen)
{
	static const struct { const char *name, *expr; } macros[] = {
		{ "@hourly", "0 * * * *" }, { "@daily", "0 0 * * *" },
		{ "@midnight", "0 0 * * *" }, { "@weekly", "0 0 * * 0" },
		{ "@monthly", "0 0 1 * *" }, { "@yearly", "0 0 1 1 *" },
		{ "@annually", "0 0 1 1 *" },
	};
	char		*copy, *p, *tok[6];
	int		 n = 0, any;
	uint64_t	 bits[5];

	for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
		if (strcmp(expr, macros[i].name) == 0)
			expr = macros[i].expr;
	copy = xstrdup(expr);
	for (p = strtok(copy, " \t"); p != NULL; p = strtok(NULL, " \t")) {
		if (n == 5) {
			n++;
			break;
		}
		tok[n++] = p;
	}
	if (n != 5) {
		snprintf(err, errlen, "expected 5 fields (minute hour "
		    "day-of-month month day-of-week), got %d", n > 5 ? 6 : n);
		free(copy);
		return -1;
	}
	memset(c, 0, sizeof *c);
	for (int i = 0; i < 5; i++) {
		if (parse_field(&fields[i], tok[i], &bits[i], &any) != 0) {
			snprintf(err, errlen, "bad %s field \"%s\" (allowed "
			    "%d-%d, *, lists, ranges, /steps)", fields[i].name,
			    tok[i], fields[i].min, fields[i].max);
			free(copy);
			return -1;
		}
		if (i == 2)
			c->dom_any = any;
		if (i == 4)
			c->dow_any = any;
	}
	free(copy);
	c->minute = bits[0];
	c->hour = (uint32_t)bits[1];
	c->dom = (uint32_t)bits[2];
	c->month = (uint16_t)bits[3];
	if (bits[4] & (1u << 7))	/* 7 is Sunday too */
		bits[4] |= 1;
	c->dow = (uint8_t)(bits[4] & 0x7f);
	return 0;
}

static int
day_matches(const struct cron *c, const struct tm *tm)
{
	int dom = (c->dom >> tm->tm_mday) & 1;
	int dow = (c->dow >> tm->tm_wday) & 1;

	if (c->dom_any || c->dow_any)
		return dom && dow;
	return dom || dow;
}

/*
 * cron_next - the first whole minute strictly after t (local time) that
 * matches c, or -1 if none within five years (e.g. "0 0 31 2 *").
 */
time_t
cron_next(const struct cron *c, time_t t)
{
	struct tm	tm;
	int		year_limit;
	time_t		prev;

	t = t - t % 60 + 60;
	localtime_r(&t, &tm);
	tm.tm_sec = 0;
	year_limit = tm.tm_year + 5;
	while (tm.tm_year <= year_limit) {
		if (!((c->month >> (tm.tm_mon + 1)) & 1)) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = tm.tm_min = 0;
		} else if (!day_matches(c, &tm)) {
			tm.tm_mday++;
			tm.tm_hour = tm.tm_min = 0;
		} else if (!((c->hour >> tm.tm_hour) & 1)) {
			tm.tm_hour++;
			tm.tm_min = 0;
		} else if (!((c->minute >> tm.tm_min) & 1)) {
			tm.tm_min++;
		} else
			return mktime(&tm);
		/*
		 * Normalize (rolls over days, months, years).  Around a DST
		 * change mktime may step back; never let time go backwards.
		 */
		prev = t;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t <= prev)
			t = prev + 60;
		localtime_r(&t, &tm);
	}
	return (time_t)-1;
}
