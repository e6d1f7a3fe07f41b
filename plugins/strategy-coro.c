/*
 * strategy-coro.c - coroutines on a libevent loop: the asyncio of weft.
 *
 * `concurrency` coroutines per run (the Python examples' asyncio
 * Semaphore) pull tasks from the run's queue, each task written in plain
 * blocking style: when it calls weft's wait_fd or sleep_ms, only its
 * coroutine is suspended and the loop runs the others.  Coroutines are
 * created once and reused for task after task.
 *
 * Switching.  A coroutine is created with makecontext and entered once
 * with swapcontext; every later switch is a setjmp/longjmp pair (see
 * SAVE and JUMP below), which, unlike swapcontext, saves no signal mask
 * and so makes no system call (QEMU's coroutine-ucontext does the same
 * with sigsetjmp(env, 0)).
 * glibc's _FORTIFY_SOURCE turns longjmp into __longjmp_chk, which aborts
 * on a jump to another stack ("longjmp causes uninitialized stack
 * frame"), so it is turned off for this file alone, before any header.
 *
 * Stacks.  mmap'd, stack_size_kb each (default 64), with one of two
 * overflow checks (strategy_params stack_guard):
 *  - page: an inaccessible guard page below each stack.  An overflow
 *    faults at once, before it touches anything else, and the run ends
 *    "crashed: stack overflow (SIGSEGV) in task N".  Each guarded stack
 *    costs two memory mappings, and Linux allows vm.max_map_count
 *    (65530 by default) per process.
 *  - canary: all stacks in one mapping with a single guard page below
 *    it, a 64-byte pattern at the bottom of each stack, checked every
 *    time the coroutine yields.  It costs no more mappings, so 100,000
 *    coroutines fit, but it notices an overflow only at the next yield
 *    (an overflow of the lowest stack hits the guard page at once):
 *    the run is then aborted at once with a log line naming the task,
 *    so corruption is never silent, but it may already have happened
 *    to the neighbouring coroutine's stack, and a frame that writes
 *    nothing where the pattern lies can step over it.  Use page when
 *    in doubt.
 *  - auto (default): page while the guards fit in half of
 *    vm.max_map_count, else canary (logged).
 *
 * strategy_params:
 *   loops:          event loop threads (default 1), for several cores;
 *                   each gets concurrency / loops coroutines and its own
 *                   execution context (the per-loop slot)
 *   stack_size_kb:  coroutine stack size (16 to 8192, default 64)
 *   stack_guard:    page, canary or auto
 */
#undef _FORTIFY_SOURCE

#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include <weft/weft-plugin.h>

/*
 * SAVE and JUMP switch stacks.  GCC's __builtin_setjmp saves only the
 * frame and stack pointers and the resume address (the compiler spills
 * every live register around it), so a switch costs a few instructions:
 * no signal mask, no system call, none of siglongjmp's unwinding
 * bookkeeping.  Under AddressSanitizer, which must see every jump to
 * keep its picture of the stacks, the sigsetjmp(env, 0) / siglongjmp
 * pair is used instead (also free of system calls).
 */
#if defined(__SANITIZE_ADDRESS__) || !defined(__GNUC__)
typedef sigjmp_buf jmpbuf;
#define SAVE(env)	sigsetjmp((env), 0)
#define JUMP(env)	siglongjmp((env), 1)
#else
typedef void *jmpbuf[5];
#define SAVE(env)	__builtin_setjmp(env)
#define JUMP(env)	jump(env)

/* GCC: __builtin_longjmp may not be called where __builtin_setjmp is. */
__attribute__((noinline, noreturn)) static void
jump(jmpbuf env)
{
	__builtin_longjmp(env, 1);
}
#endif

/*
 * ThreadSanitizer must be told about stack switches, or it sees one
 * thread's accesses jump between stacks.  Each coroutine is a TSan
 * fiber; the scheduler is the thread's own fiber.
 */
#if defined(__SANITIZE_THREAD__)
void	*__tsan_get_current_fiber(void);
void	*__tsan_create_fiber(unsigned);
void	 __tsan_destroy_fiber(void *);
void	 __tsan_switch_to_fiber(void *, unsigned);
#define FIBER_SWITCH(f)	__tsan_switch_to_fiber((f), 0)
#else
#define FIBER_SWITCH(f)	((void)0)
#endif

#define CANARY_WORDS	8
#define CANARY		0x5eedc0de5eedc0deULL

extern const struct weft_plugin weft_plugin;

struct loop;

struct coro {
	jmpbuf		 env;
	struct loop	*loop;
	char		*stack;		/* lowest usable byte */
	size_t		 stack_size;
	const void	*guard;		/* guard page, if any */
	long long	 task;		/* running task, -1 if none */
	unsigned	 lane;		/* its timeline track */
	struct event	 ev;		/* the one thing it waits for */
	int		 waiting;
	int		 wake;		/* what wait_fd / sleep_ms return */
	int		 done;
	struct weft_task *parked;	/* in park, for unpark */
	int		 unparked;
	jmpbuf		*creator;	/* only during creation */
	void		*fiber;		/* ThreadSanitizer's, if any */
};

/* What a run's loops share: how many have not yet ended, and whether
 * any failed (then the run is recorded when run returns). */
struct loops {
	atomic_size_t		 left;
	atomic_int		 failed;
};

struct loop {
	struct loops		*all;
	const struct weft_host	*h;
	const struct weft_strategy_api *s;	/* h->strategy */
	struct weft_run		*r;
	unsigned		 id;
	unsigned		 first_lane;	/* of its first coroutine */
	size_t			 ncoro;
	size_t			 ndone;
	struct coro		*coros;
	struct event_base	*base;
	struct weft_ctx		*ctx;
	struct coro		*cur;
	jmpbuf			 sched;
	void			*fiber;		/* the scheduler's (TSan) */
	int			 canary;
	size_t			 page;
	char			*arena;		/* all its stacks */
	size_t			 arena_len;
	int			 failed;
	pthread_t		 tid;
};

static __thread struct loop *this_loop;

/* ---- switching ---- */

/* resume - from the scheduler, run co until it yields. */
static void
resume(struct loop *l, struct coro *co)
{
	l->cur = co;
	l->s->note_running(l->ctx, co->task, co->guard,
	    co->guard ? l->page : 0);
	if (!SAVE(l->sched)) {
		FIBER_SWITCH(co->fiber);
		JUMP(co->env);
	}
	l->cur = NULL;
	l->s->note_running(l->ctx, -1, NULL, 0);
	if (l->canary) {
		const unsigned long long *c = (void *)co->stack;

		for (int i = 0; i < CANARY_WORDS; i++) {
			if (c[i] == CANARY)
				continue;
			l->h->log(&weft_plugin, WEFT_LOG_ERR, "stack overflow "
			    "in task %lld: the %zu KiB coroutine stack was "
			    "exceeded (detected by its canary); raise "
			    "strategy_params.stack_size_kb", co->task,
			    co->stack_size / 1024);
			l->s->note_running(l->ctx, co->task, NULL, 0);
			abort();
		}
	}
}

/* yield - from a coroutine, back to the scheduler. */
static void
yield(struct coro *co)
{
	if (!SAVE(co->env)) {
		FIBER_SWITCH(co->loop->fiber);
		JUMP(co->loop->sched);
	}
}

/* body - what every coroutine does: take tasks until there are none. */
static void
body(struct coro *co)
{
	struct loop	*l = co->loop;
	size_t		 idx;

	while (l->s->next(l->r, &idx)) {
		co->task = (long long)idx;
		l->s->note_lane(l->ctx, co->lane);
		l->s->note_running(l->ctx, co->task, co->guard,
		    co->guard ? l->page : 0);
		l->s->exec(l->ctx, idx);
		co->task = -1;
	}
	co->done = 1;
	l->ndone++;
	yield(co);
	abort();	/* a finished coroutine is never resumed */
}

static void
trampoline(int lo, int hi)
{
	struct coro *co = (struct coro *)(((uintptr_t)(unsigned)hi << 32) |
	    (uintptr_t)(unsigned)lo);

	/* Set up the jump target, then straight back to the creator. */
	if (!SAVE(co->env)) {
		FIBER_SWITCH(co->loop->fiber);
		JUMP(*co->creator);
	}
	body(co);
}

/* coro_init - prepare co on its stack; it first runs at resume. */
static int
coro_init(struct coro *co)
{
	ucontext_t	uc, old;
	jmpbuf		creator;
	uintptr_t	p = (uintptr_t)co;

	if (getcontext(&uc) != 0)
		return -1;
	uc.uc_stack.ss_sp = co->stack;
	uc.uc_stack.ss_size = co->stack_size;
	uc.uc_link = NULL;
	makecontext(&uc, (void (*)(void))trampoline, 2,
	    (int)(unsigned)(p & 0xffffffffu), (int)(unsigned)(p >> 32));
	co->creator = &creator;
#if defined(__SANITIZE_THREAD__)
	if (co->loop->fiber == NULL)
		co->loop->fiber = __tsan_get_current_fiber();
	co->fiber = __tsan_create_fiber(0);
#endif
	if (!SAVE(creator)) {
		FIBER_SWITCH(co->fiber);
		swapcontext(&old, &uc);
	}
	co->creator = NULL;
	return 0;
}

/* ---- stacks ---- */

static long
max_map_count(void)
{
	FILE	*f = fopen("/proc/sys/vm/max_map_count", "r");
	long	 n = 65530;

	if (f != NULL) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 65530;
		fclose(f);
	}
	return n;
}

/*
 * stacks_alloc - one mapping for all of a loop's stacks, so that the end
 * of a run is one munmap (one TLB shootdown when the journal thread runs
 * on the other core), not one per coroutine: 1,000 coroutines took 8 ms
 * to unmap one by one.  page: each stack has its own guard page below
 * it, made inaccessible in place (two memory mappings a stack, as
 * before).  canary: one guard page below them all.
 */
static int
stacks_alloc(struct loop *l, size_t size)
{
	size_t	 slot = l->canary ? size : size + l->page;

	l->arena_len = (l->canary ? l->page : 0) + slot * l->ncoro;
	l->arena = mmap(NULL, l->arena_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (l->arena == MAP_FAILED) {
		l->arena = NULL;
		return -1;
	}
	if (l->canary) {
		if (mprotect(l->arena, l->page, PROT_NONE) != 0)
			return -1;
		l->coros[0].guard = l->arena;
		for (size_t i = 0; i < l->ncoro; i++) {
			unsigned long long *c;

			l->coros[i].stack = l->arena + l->page + i * slot;
			l->coros[i].stack_size = size;
			c = (void *)l->coros[i].stack;
			for (int k = 0; k < CANARY_WORDS; k++)
				c[k] = CANARY;
		}
		return 0;
	}
	for (size_t i = 0; i < l->ncoro; i++) {
		char *m = l->arena + i * slot;

		if (mprotect(m, l->page, PROT_NONE) != 0)
			return -1;
		l->coros[i].guard = m;
		l->coros[i].stack = m + l->page;
		l->coros[i].stack_size = size;
	}
	return 0;
}

static void
stacks_free(struct loop *l)
{
#if defined(__SANITIZE_THREAD__)
	for (size_t i = 0; i < l->ncoro; i++)
		if (l->coros[i].fiber != NULL)
			__tsan_destroy_fiber(l->coros[i].fiber);
#endif
	if (l->arena != NULL)
		munmap(l->arena, l->arena_len);
}

/* ---- the task primitives, suspending only the coroutine ---- */

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct coro *co = arg;

	co->wake = 0;
	if (what & EV_READ)
		co->wake |= WEFT_READ;
	if (what & EV_WRITE)
		co->wake |= WEFT_WRITE;
	resume(co->loop, co);
}

/* suspend - wait for co->ev (already assigned) or the timeout. */
static int
suspend(struct coro *co, long timeout_ms)
{
	struct timeval tv;

	if (co->loop->s->cancelled(co->loop->r))
		return -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	event_add(&co->ev, timeout_ms >= 0 ? &tv : NULL);
	co->waiting = 1;
	yield(co);
	co->waiting = 0;
	return co->wake;
}

static int
coro_wait_fd(struct weft_task *t, int fd, int events, int timeout_ms)
{
	struct loop	*l = this_loop;
	struct coro	*co = l ? l->cur : NULL;
	short		 what = 0;

	if (co == NULL)
		return -1;
	if (events & WEFT_READ)
		what |= EV_READ;
	if (events & WEFT_WRITE)
		what |= EV_WRITE;
	event_assign(&co->ev, l->base, fd, what, on_wake, co);
	return suspend(co, timeout_ms);
}

static int
coro_sleep_ms(struct weft_task *t, long ms)
{
	struct loop	*l = this_loop;
	struct coro	*co = l ? l->cur : NULL;

	if (co == NULL)
		return -1;
	event_assign(&co->ev, l->base, -1, 0, on_wake, co);
	return suspend(co, ms) < 0 ? -1 : 0;
}

/*
 * park - suspend until unpark or the timeout.  unpark may run inside
 * a libevent callback or another coroutine, so it never switches
 * itself: it makes the parked coroutine's event active, and the loop
 * resumes it.
 */
static int
coro_park(struct weft_task *t, int timeout_ms)
{
	struct loop	*l = this_loop;
	struct coro	*co = l ? l->cur : NULL;
	int		 rc;

	if (co == NULL)
		return -1;
	co->parked = t;
	co->unparked = 0;
	*l->s->slot(t) = co;
	event_assign(&co->ev, l->base, -1, 0, on_wake, co);
	rc = suspend(co, timeout_ms);
	co->parked = NULL;
	*l->s->slot(t) = NULL;
	if (rc < 0)
		return -1;
	return co->unparked;
}

static void
coro_unpark(struct weft_task *t)
{
	struct loop	*l = this_loop;
	struct coro	*co;

	if (l == NULL || (co = *l->s->slot(t)) == NULL ||
	    co->parked != t || co->unparked)
		return;		/* not parked (any more): nothing to wake */
	co->unparked = 1;
	event_del(&co->ev);
	event_active(&co->ev, EV_TIMEOUT, 0);
}

static void *
coro_loop_base(struct weft_task *t)
{
	return this_loop ? this_loop->base : NULL;
}

/* on_tick - on cancellation, wake every suspended coroutine with -1. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;

	if (!l->s->cancelled(l->r))
		return;
	for (size_t i = 0; i < l->ncoro; i++) {
		struct coro *co = &l->coros[i];

		if (!co->waiting)
			continue;
		event_del(&co->ev);
		co->wake = -1;
		resume(l, co);
	}
}

/* ---- loops ---- */

static void *
loop_main(void *arg)
{
	struct loop		*l = arg;
	struct event		*tick;
	struct event_config	*cfg;
	struct timeval		 tv = { 0, 50000 };

	this_loop = l;
	/* epoll's change list turns a del + add of the same fd within
	 * one turn of the loop (curl moving a socket from writing to
	 * reading) into one epoll_ctl. */
	if ((cfg = event_config_new()) != NULL)
		event_config_set_flag(cfg,
		    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	l->base = cfg != NULL ? event_base_new_with_config(cfg) : NULL;
	if (cfg != NULL)
		event_config_free(cfg);
	if (l->base == NULL ||
	    (l->ctx = l->s->ctx_open(l->r, l->id)) == NULL) {
		l->failed = 1;
		goto out;
	}
	tick = event_new(l->base, -1, EV_PERSIST, on_tick, l);
	event_add(tick, &tv);
	for (size_t i = 0; i < l->ncoro; i++) {
		struct coro *co = &l->coros[i];

		co->loop = l;
		co->task = -1;
		co->lane = l->first_lane + (unsigned)i;
		if (coro_init(co) != 0) {
			l->h->log(&weft_plugin, WEFT_LOG_ERR, "cannot create "
			    "coroutine %zu: %s", i, strerror(errno));
			l->failed = 1;
			co->done = 1;
			l->ndone++;
			continue;
		}
		resume(l, co);
	}
	while (l->ndone < l->ncoro)
		if (event_base_loop(l->base, EVLOOP_ONCE) < 0)
			break;
	event_free(tick);
out:
	/* The last loop to end says so before anything is released. */
	if (l->failed || l->ndone < l->ncoro)
		atomic_store(&l->all->failed, 1);
	if (atomic_fetch_sub(&l->all->left, 1) == 1 &&
	    !atomic_load(&l->all->failed) && WEFT_HAS(l->s, ended))
		l->s->ended(l->r);
	if (l->ctx != NULL)
		l->s->ctx_close(l->ctx);
	if (l->base != NULL)
		event_base_free(l->base);
	this_loop = NULL;
	return NULL;
}

struct params {
	long long	loops;
	long long	stack_kb;
	int		guard;
};
enum { GUARD_PAGE, GUARD_CANARY, GUARD_AUTO };
static const char *const guards[] = { "page", "canary", "auto", NULL };

static const struct weft_param spec[] = {
	{ "loops", WEFT_P_INT, 0, offsetof(struct params, loops), 1, 256,
	    NULL, "1" },
	{ "stack_size_kb", WEFT_P_INT, 0, offsetof(struct params, stack_kb),
	    16, 8192, NULL, "64" },
	{ "stack_guard", WEFT_P_ENUM, 0, offsetof(struct params, guard), 0, 0,
	    guards, "auto" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static int
coro_run(const struct weft_host *h, struct weft_run *r)
{
	size_t			 n = h->strategy->concurrency(r);
	struct params		 p;
	long long		 loops, stack_kb;
	struct loop		*ls;
	struct loops		 all;
	size_t			 page = (size_t)sysconf(_SC_PAGESIZE);
	int			 canary, rc = 0;

	if (h->params->parse(h->strategy->params(r), spec, &p) != 0)
		return -1;
	loops = p.loops;
	stack_kb = p.stack_kb;
	if ((size_t)loops > n)
		loops = (long long)n;
	canary = p.guard == GUARD_CANARY;
	if (p.guard == GUARD_AUTO &&
	    (long)(2 * n) > max_map_count() / 2) {
		canary = 1;
		h->log(&weft_plugin, WEFT_LOG_INFO, "%zu coroutines: guard "
		    "pages would need %zu of the %ld memory mappings allowed "
		    "(vm.max_map_count); using stack canaries", n, 2 * n,
		    max_map_count());
	}
	if ((ls = calloc((size_t)loops, sizeof *ls)) == NULL)
		return -1;
	atomic_init(&all.left, (size_t)loops);
	atomic_init(&all.failed, 0);
	for (long long i = 0; i < loops; i++) {
		struct loop *l = &ls[i];

		l->all = &all;
		l->h = h;
		l->s = h->strategy;
		l->r = r;
		l->id = (unsigned)i;
		l->page = page;
		l->canary = canary;
		l->ncoro = n / (size_t)loops + ((size_t)i < n % (size_t)loops);
		l->first_lane = i == 0 ? 0 : ls[i - 1].first_lane +
		    (unsigned)ls[i - 1].ncoro;
		l->coros = calloc(l->ncoro, sizeof *l->coros);
		if (l->coros == NULL ||
		    stacks_alloc(l, (size_t)stack_kb * 1024) != 0) {
			h->log(&weft_plugin, WEFT_LOG_ERR, "cannot allocate "
			    "%zu coroutine stacks of %lld KiB: %s", l->ncoro,
			    stack_kb, strerror(errno));
			rc = -1;
			loops = i + 1;
			goto out;
		}
	}
	if (loops == 1)
		loop_main(&ls[0]);
	else {
		for (long long i = 0; i < loops; i++)
			if (pthread_create(&ls[i].tid, NULL, loop_main,
			    &ls[i]) != 0)
				ls[i].failed = 1;
		for (long long i = 0; i < loops; i++)
			if (!ls[i].failed)
				pthread_join(ls[i].tid, NULL);
	}
	for (long long i = 0; i < loops; i++)
		if (ls[i].failed)
			rc = -1;
out:
	for (long long i = 0; i < loops; i++) {
		if (ls[i].coros != NULL)
			stacks_free(&ls[i]);
		free(ls[i].coros);
	}
	free(ls);
	return rc;
}

static const struct weft_strategy_ops coro_ops = {
	.run = coro_run,
	.wait_fd = coro_wait_fd,
	.sleep_ms = coro_sleep_ms,
	.loop_base = coro_loop_base,
	.park = coro_park,
	.unpark = coro_unpark,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_STRATEGY,
	.name = "coro",
	.version = "1.0",
	.summary = "coroutines on a libevent loop; waits suspend only the task",
	.traits = WEFT_TRAIT_IO_BOUND | WEFT_TRAIT_MULTIPLEX,
	.ops = &coro_ops,
	.params = spec,
};
