/* duration.c - durations written as 500ms, 30s, 5m, 2h or 1h30m. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

/*
 * duration_parse - parse s into milliseconds.  One or more groups of
 * digits each followed by a unit (ms, s, m, h); a bare number is refused
 * because "30" could mean seconds or minutes.  Returns 0 or -1.
 */
int
duration_parse(const char *s, uint64_t *out)
{
	uint64_t	total = 0;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		uint64_t	v = 0, mul;

		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s)) {
			if (v > (UINT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (uint64_t)(*s++ - '0');
		}
		if (strncmp(s, "ms", 2) == 0) {
			mul = 1;
			s += 2;
		} else if (*s == 's') {
			mul = 1000;
			s++;
		} else if (*s == 'm') {
			mul = 60 * 1000;
			s++;
		} else if (*s == 'h') {
			mul = 3600 * 1000;
			s++;
		} else
			return -1;
		if (v > (UINT64_MAX - total) / mul)
			return -1;
		total += v * mul;
	}
	*out = total;
	return 0;
}

/* duration_format - the shortest exact spelling of ms ("1m30s"). */
char *
duration_format(uint64_t ms, char *buf, size_t len)
{
	static const struct { uint64_t ms; const char *unit; } u[] = {
		{ 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" },
	};
	size_t off = 0;

	if (ms == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < 4 && off < len; i++) {
		if (ms < u[i].ms)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%llu%s",
		    (unsigned long long)(ms / u[i].ms), u[i].unit);
		ms %= u[i].ms;
	}
	return buf;
}
