/*
 * fuzz-commit.c - the outcome text a fork worker sends (the runner's
 * commit): bytes in, a recorded task or a refusal, never a crash.  The
 * first byte picks the task.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

#define NTASKS	4

atomic_int cancel_flag;

void
runner_fail(int fd, const char *fmt, ...)
{
	abort();
}

void
run_ended(struct weft_run *r)	/* run.c's, which is not linked here */
{
}

static void *
w_init(const struct weft_host *h, const struct weft_node *p, size_t *n)
{
	return NULL;
}

static int
w_task(void *s, void *c, struct weft_task *t, size_t i)
{
	return WEFT_TASK_OK;
}

static const struct weft_workload_ops wops = { .init = w_init,
    .task = w_task };
static const struct weft_strategy_ops sops = { .run = NULL };

int LLVMFuzzerTestOneInput(const unsigned char *, size_t);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	static int	 fd = -1;
	struct weft_run	 r;
	struct task_rec	 recs[NTASKS];

	if (len < 1)
		return 0;
	if (fd < 0) {
		int fds[2];

		signal(SIGPIPE, SIG_IGN);
		if (pipe(fds) != 0)
			abort();
		close(fds[0]);
		fd = fds[1];
	}
	memset(&r, 0, sizeof r);
	memset(recs, 0, sizeof recs);
	r.wops = &wops;
	r.sops = &sops;
	r.ntasks = NTASKS;
	r.recs = recs;
	r.fd = fd;
	pthread_mutex_init(&r.mu, NULL);
	host.strategy->commit(&r, data[0] % (NTASKS + 1), 0,
	    (const char *)data + 1, len - 1);
	for (size_t i = 0; i < NTASKS; i++) {
		result_free(recs[i].result);
		free(recs[i].error);
	}
	pthread_mutex_destroy(&r.mu);
	return 0;
}
