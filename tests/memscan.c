/*
 * memscan.c - count the occurrences of a string in another process's
 * memory (every readable mapping of /proc/PID/mem): for checking that a
 * runner does not hold what it was never sent.  Needs ptrace access to
 * the process (root, or the same user with ptrace_scope 0).  Mappings
 * of more than 4 GiB are address space reserved, not memory (the
 * sanitizers' shadow), and are skipped.
 *   memscan PID STRING
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char		 path[64], line[512], perms[8];
	unsigned long	 lo, hi;
	FILE		*maps;
	int		 mem;
	size_t		 nlen, found = 0;

	if (argc != 3)
		return 2;
	nlen = strlen(argv[2]);
	snprintf(path, sizeof path, "/proc/%s/maps", argv[1]);
	if ((maps = fopen(path, "r")) == NULL) {
		perror(path);
		return 2;
	}
	snprintf(path, sizeof path, "/proc/%s/mem", argv[1]);
	if ((mem = open(path, O_RDONLY)) < 0) {
		perror(path);
		return 2;
	}
	while (fgets(line, sizeof line, maps) != NULL) {
		static char	 buf[(1 << 20) + 256];
		size_t		 keep = 0;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r' || strstr(line, "[vvar]") != NULL ||
		    hi - lo > (4UL << 30))
			continue;
		/* In chunks; the tail of one is kept for a match across. */
		for (unsigned long at = lo; at < hi;) {
			size_t	 want = hi - at > (1 << 20) ? (1 << 20) : hi - at;
			ssize_t	 n = pread(mem, buf + keep, want, (off_t)at);
			char	*p;
			size_t	 len;

			if (n <= 0)
				break;
			len = keep + (size_t)n;
			for (p = buf; (p = memmem(p, len - (size_t)(p - buf),
			    argv[2], nlen)) != NULL; p += nlen)
				found++;
			keep = nlen - 1 < len ? nlen - 1 : len;
			memmove(buf, buf + len - keep, keep);
			at += (unsigned long)n;
		}
	}
	printf("%zu\n", found);
	return 0;
}
