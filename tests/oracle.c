/*
 * oracle.c - independent answers for the integration tests:
 *   oracle sumsq N   n(n-1)(2n-1)/6, the closed form, in 128 bits
 *   oracle fib N     fib(N) computed iteratively (fib(1) = 0)
 *   oracle lines N   N lines of 0 to 119 bytes: empty lines, spaces,
 *                    bytes that are not UTF-8; the last without a newline
 *   oracle line I    line I of that, exactly, without its newline
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* line - line i of the generated file into buf; its length. */
static size_t
line(unsigned long long i, unsigned char *buf)
{
	unsigned long long	x = i * 2654435761ULL + 12345;
	size_t			len = (size_t)((i * 7919) % 120);

	if (i % 17 == 0)
		len = 0;
	for (size_t k = 0; k < len; k++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		buf[k] = (unsigned char)(1 + (x >> 33) % 255);
		if (buf[k] == '\n')
			buf[k] = ' ';
	}
	if (len > 3 && i % 5 == 0)
		buf[1] = ' ';
	return len;
}

int
main(int argc, char **argv)
{
	unsigned long long	n;
	unsigned __int128	v;
	char			buf[48], *p = buf + sizeof buf - 1;

	if (argc != 3)
		return 2;
	n = strtoull(argv[2], NULL, 10);
	if (strcmp(argv[1], "lines") == 0 || strcmp(argv[1], "line") == 0) {
		unsigned char b[128];

		if (argv[1][4] == 's') {
			for (unsigned long long i = 0; i < n; i++) {
				fwrite(b, 1, line(i, b), stdout);
				if (i + 1 < n)
					putchar('\n');
			}
		} else
			fwrite(b, 1, line(n, b), stdout);
		return 0;
	}
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
