/*
 * oracle.c - independent answers for the integration tests:
 *   oracle sumsq N   n(n-1)(2n-1)/6, the closed form, in 128 bits
 *   oracle fib N     fib(N) computed iteratively (fib(1) = 0)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	unsigned long long	n;
	unsigned __int128	v;
	char			buf[48], *p = buf + sizeof buf - 1;

	if (argc != 3)
		return 2;
	n = strtoull(argv[2], NULL, 10);
	if (strcmp(argv[1], "sumsq") == 0) {
		unsigned __int128 a = n, b = n ? n - 1 : 0, c = 2 * (unsigned __int128)n;

		v = n ? a * b * (c - 1) / 6 : 0;
	} else if (strcmp(argv[1], "fib") == 0) {
		unsigned long long x = 0, y = 1;

		for (unsigned long long i = 1; i < n; i++) {
			unsigned long long t = x + y;

			x = y;
			y = t;
		}
		v = x;
	} else
		return 2;
	*p = '\0';
	do {
		*--p = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0);
	puts(p);
	return 0;
}
