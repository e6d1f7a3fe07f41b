/*
 * switch.c - the cost of one coroutine round trip (resume + yield) in
 * weft's coro strategy, measured on its own code: this file includes
 * plugins/strategy-coro.c and drives one coroutine through a host whose
 * task yields at once, N times.  Prints seconds for N round trips.
 */
#include "../plugins/strategy-coro.c"

#include <time.h>

static long	 rounds, limit;

static void note(struct weft_ctx *c, long long idx, const void *g,
    size_t len) { }
static void lane(struct weft_ctx *c, unsigned l) { }

static int
next(struct weft_run *r, size_t *idx)
{
	*idx = 0;
	return rounds++ < limit;
}

static int
exec_yield(struct weft_ctx *c, size_t idx)
{
	yield(this_loop->cur);
	return 0;
}

int
main(int argc, char **argv)
{
	struct weft_strategy_api s = { .note_running = note, .next = next,
				    .exec = exec_yield, .note_lane = lane };
	struct weft_host	h = { .strategy = &s };
	struct loop		l = { .h = &h, .s = &s, .ncoro = 1 };
	struct coro		co = { .loop = &l, .task = -1 };
	struct timespec		a, b;

	limit = argc > 1 ? atol(argv[1]) : 10000000;
	l.coros = &co;
	l.page = 4096;
	co.stack_size = 65536;
	co.stack = malloc(co.stack_size);
	this_loop = &l;
	coro_init(&co);
	clock_gettime(CLOCK_MONOTONIC, &a);
	while (!co.done)
		resume(&l, &co);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.6f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
