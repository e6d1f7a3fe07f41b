/*
 * anchors.c - the raw C programs weft's benchmarks are measured against,
 * written the way one would without weft.  Each prints its wall time in
 * seconds.
 *
 *   anchors sumsq THREADS      sum(i*i for i < 5000000 + x), x < 20
 *   anchors fib THREADS        fib(40) and fib(41), naive
 *   anchors calls N            N indirect calls of an empty function
 *   anchors swapcontext N      N round trips between two ucontexts
 *   anchors spawn N            N times posix_spawn /bin/true and wait
 *                              (prints seconds per spawn)
 *   anchors lines N            N lines of 40-120 random bytes (to stdout)
 *   anchors resp FILE          the lines of FILE as RESP SET n line
 *                              commands, for redis-cli --pipe (stdout)
 *   anchors xadd N [KEY]       N commands XADD KEY 0-(i+1) t i, as
 *                              strategy cluster enqueues (RESP, stdout)
 */
#include <sys/wait.h>

#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The same loop as plugins/workload-sumsq.c (a function of its own there). */
__attribute__((noinline)) static unsigned __int128
sumsq(unsigned long long n)
{
	unsigned __int128 sum = 0;

	for (unsigned long long i = 0; i < n; i++)
		sum += (unsigned __int128)i * i;
	return sum;
}

/* The same recursion as plugins/workload-fib.c. */
static unsigned long long
fib(unsigned n)
{
	if (n <= 2)
		return n - 1;
	return fib(n - 1) + fib(n - 2);
}

static atomic_int	next;
static int		ntasks;
static const char	*what;
static volatile unsigned long long sink;

static void *
worker(void *arg)
{
	int i;

	while ((i = atomic_fetch_add(&next, 1)) < ntasks) {
		if (strcmp(what, "sumsq") == 0)
			sink += (unsigned long long)sumsq(5000000ULL + (unsigned)i);
		else
			sink += fib(40 + (unsigned)i);
	}
	return NULL;
}

static void empty(void) { }
static void (*volatile fn)(void) = empty;

static ucontext_t	main_uc, co_uc;
static long		rounds;

static void
co_main(void)
{
	for (;;)
		swapcontext(&co_uc, &main_uc);
}

int
main(int argc, char **argv)
{
	double		t0;
	long		n;

	if (argc == 4 && strcmp(argv[1], "xadd") == 0) {
		const char *key = argv[3];

		n = atol(argv[2]);
		for (long i = 0; i < n; i++) {
			char id[32], t[32];
			int  il, tl;

			il = snprintf(id, sizeof id, "0-%ld", i + 1);
			tl = snprintf(t, sizeof t, "%ld", i);
			printf("*5\r\n$4\r\nXADD\r\n$%zu\r\n%s\r\n$%d\r\n%s"
			    "\r\n$1\r\nt\r\n$%d\r\n%s\r\n", strlen(key), key,
			    il, id, tl, t);
		}
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "xadd") == 0) {
		char *v[] = { argv[0], argv[1], argv[2], "bench:xadd", NULL };

		return main(4, v);
	}
	if (argc != 3)
		return 2;
	what = argv[1];
	if (strcmp(what, "lines") == 0) {
		unsigned long long x = 88172645463325252ULL;

		n = atol(argv[2]);
		for (long i = 0; i < n; i++) {
			int len = 40 + (int)(i * 7 % 81);

			for (int k = 0; k < len; k++) {
				int c;

				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				c = (int)(x % 256);
				putchar(c == '\n' ? ' ' : c);
			}
			putchar('\n');
		}
		return 0;
	}
	if (strcmp(what, "resp") == 0) {
		FILE	*f = fopen(argv[2], "r");
		char	*line = NULL;
		size_t	 cap = 0;
		ssize_t	 len;
		long	 i = 0;

		if (f == NULL)
			return 1;
		while ((len = getline(&line, &cap, f)) > 0) {
			char key[32];
			int  klen;

			if (line[len - 1] == '\n')
				len--;
			klen = snprintf(key, sizeof key, "%ld", i++);
			printf("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%zd\r\n",
			    klen, key, len);
			fwrite(line, 1, (size_t)len, stdout);
			fputs("\r\n", stdout);
		}
		return 0;
	}
	n = atol(argv[2]);
	t0 = now();
	if (strcmp(what, "sumsq") == 0 || strcmp(what, "fib") == 0) {
		pthread_t tids[64];

		ntasks = strcmp(what, "sumsq") == 0 ? 20 : 2;
		for (long i = 0; i < n; i++)
			pthread_create(&tids[i], NULL, worker, NULL);
		for (long i = 0; i < n; i++)
			pthread_join(tids[i], NULL);
	} else if (strcmp(what, "calls") == 0) {
		for (long i = 0; i < n; i++)
			fn();
	} else if (strcmp(what, "swapcontext") == 0) {
		static char stack[65536];

		getcontext(&co_uc);
		co_uc.uc_stack.ss_sp = stack;
		co_uc.uc_stack.ss_size = sizeof stack;
		co_uc.uc_link = NULL;
		makecontext(&co_uc, co_main, 0);
		t0 = now();
		for (rounds = 0; rounds < n; rounds++)
			swapcontext(&main_uc, &co_uc);
	} else if (strcmp(what, "spawn") == 0) {
		extern char	**environ;
		char		 *argv_true[] = { "true", NULL };
		pid_t		  pid;
		int		  status;

		for (long i = 0; i < n; i++) {
			if (posix_spawn(&pid, "/bin/true", NULL, NULL,
			    argv_true, environ) != 0)
				return 1;
			waitpid(pid, &status, 0);
		}
		printf("%.6f\n", (now() - t0) / (double)n);
		return 0;
	} else
		return 2;
	printf("%.6f\n", now() - t0);
	return 0;
}
