/*
 * memscan.c - count the occurrences of a string in another process's
 * memory (every readable mapping of /proc/PID/mem): for checking that a
 * runner does not hold what it was never sent.  Needs ptrace access to
 * the process (root, or the same user with ptrace_scope 0).
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
		char	*buf, *p;
		size_t	 len, left;
		ssize_t	 n;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r' || strstr(line, "[vvar]") != NULL)
			continue;
		len = hi - lo;
		if ((buf = malloc(len)) == NULL)
			continue;
		n = pread(mem, buf, len, (off_t)lo);
		if (n > 0)
			for (p = buf, left = (size_t)n;
			    (p = memmem(p, left, argv[2], nlen)) != NULL;
			    left = (size_t)n - (size_t)(p - buf)) {
				found++;
				p += nlen;
			}
		free(buf);
	}
	printf("%zu\n", found);
	return 0;
}
