/* util.c - small helpers: clocks, signal names, name checks. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* write_all - all len bytes of buf to fd.  0, or -1 (errno). */
int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * json_add_last - obj, the text of a JSON object (n bytes), with
 * "key":value (value: vlen bytes of JSON; key needs no escaping) as its
 * last member: malloc'd, NUL-terminated, with room for one byte more
 * (a newline); its length in *len.  How a big member, a record's
 * results, is printed once and put in whole.
 */
char *
json_add_last(const char *obj, size_t n, const char *key, const char *value,
    size_t vlen, size_t *len)
{
	size_t	 klen = strlen(key);
	char	*s = xmalloc(n + klen + vlen + 8), *p = s;

	memcpy(p, obj, n - 1);		/* without its } */
	p += n - 1;
	if (n > 2)
		*p++ = ',';
	*p++ = '"';
	memcpy(p, key, klen);
	p += klen;
	*p++ = '"';
	*p++ = ':';
	memcpy(p, value, vlen);
	p += vlen;
	*p++ = '}';
	*p = '\0';
	*len = (size_t)(p - s);
	return s;
}

/* Two decimal digits at a time: half the divisions. */
static const char digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* fmt_int - v in decimal at p (21 bytes suffice); returns the length. */
size_t
fmt_int(char *p, long long v)
{
	char			 tmp[24], *q = tmp + sizeof tmp;
	unsigned long long	 u = v < 0 ? -(unsigned long long)v :
				    (unsigned long long)v;
	size_t			 n;

	while (u >= 100) {
		q -= 2;
		memcpy(q, digits2 + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		q -= 2;
		memcpy(q, digits2 + 2 * u, 2);
	} else
		*--q = (char)('0' + u);
	if (v < 0)
		*--q = '-';
	n = (size_t)(tmp + sizeof tmp - q);
	memcpy(p, q, n);
	return n;
}

/*
 * fmt_us - us microseconds as seconds, "12.345678", at p (32 bytes
 * suffice); returns the length.
 */
size_t
fmt_us(char *p, long long us)
{
	long long	 frac;
	size_t		 len = 0;

	if (us < 0) {
		p[len++] = '-';
		us = -us;
	}
	len += fmt_int(p + len, us / 1000000);
	p[len++] = '.';
	frac = us % 1000000;
	memcpy(p + len, digits2 + 2 * (frac / 10000), 2);
	memcpy(p + len + 2, digits2 + 2 * (frac / 100 % 100), 2);
	memcpy(p + len + 4, digits2 + 2 * (frac % 100), 2);
	return len + 6;
}

/*
 * fmt_micros - v seconds to the microsecond, as "12.345678", at p (32
 * bytes suffice); returns the length.  printf's %.6f takes ten times as
 * long, which shows in a timeline of a million tasks.  Values that are
 * not finite or beyond 2^53 microseconds are written as 0.
 */
size_t
fmt_micros(char *p, double v)
{
	if (!isfinite(v) || fabs(v) > 9e9)
		v = 0;
	return fmt_us(p, llround(v * 1e6));
}

/* signal_name - "SIGSEGV" for 11; "signal 42" for an unnamed one. */
const char *
signal_name(int sig)
{
	static char	 buf[32];
	const char	*abbrev = sigabbrev_np(sig);

	if (abbrev != NULL) {
		snprintf(buf, sizeof buf, "SIG%s", abbrev);
		return buf;
	}
	snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

/* valid_name - job and plugin names: [A-Za-z0-9_.-], 1 to 64 bytes. */
int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/*
 * select_kth - rearrange v[0..n) so that v[k] is the value a sort would
 * put there, everything before it no greater and everything after no
 * smaller (Hoare's quickselect): linear on average, where sorting a
 * million task durations for three percentiles was a third of a noop
 * run's time.
 */
static void
select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		double	pivot = v[lo + (hi - lo) / 2], t;
		size_t	i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/* median - the lower median of the n values of v (reordered), or 0. */
double
median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	select_kth(v, n, (n - 1) / 2);
	return v[(n - 1) / 2];
}

/* rank - the index of the p-th percentile among n sorted values. */
static size_t
rank(size_t n, double p)
{
	size_t i = (size_t)ceil(p * (double)n);

	return i == 0 ? 0 : i - 1;
}

/*
 * percentiles - p50, p95, p99 and max of the n values of v (reordered):
 * each selection narrows the next, since everything below the p99
 * element is no greater than it.
 */
json_t *
percentiles(double *v, size_t n)
{
	double	max = 0, p[3] = { 0, 0, 0 };
	size_t	k[3];

	if (n > 0) {
		for (size_t i = 0; i < n; i++)
			if (v[i] > max)
				max = v[i];
		k[0] = rank(n, 0.99);
		k[1] = rank(n, 0.95);
		k[2] = rank(n, 0.50);
		select_kth(v, n, k[0]);
		select_kth(v, k[0] + 1, k[1]);
		select_kth(v, k[1] + 1, k[2]);
		for (int i = 0; i < 3; i++)
			p[i] = v[k[i]];
	}
	return json_pack("{s:f, s:f, s:f, s:f}", "p50", p[2], "p95", p[1],
	    "p99", p[0], "max", max);
}

