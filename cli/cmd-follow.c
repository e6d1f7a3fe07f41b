/*
 * cmd-follow.c - weftctl follow ID: watch a run until it ends.  On a
 * terminal, a progress bar redrawn in place a few times a second (tasks
 * done/total, failures, rate, elapsed, ETA); otherwise a plain line
 * every second.  Then the run's record.  Ctrl-C detaches and leaves the
 * run going, unless --cancel-on-interrupt.  Colour only on a terminal
 * and never with NO_COLOR.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "weftctl.h"

static volatile sig_atomic_t interrupted;

static void
on_int(int sig)
{
	interrupted = 1;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* bar - one progress line for a running run. */
static void
bar(json_t *r, int tty, int colour)
{
	json_t		*t = json_object_get(r, "tasks");
	json_t		*u = json_object_get(r, "units");
	long long	 done = jint(t, "done"), total = jint(t, "total");
	long long	 failed = jint(t, "failed");
	double		 el = jnum(r, "wall_s"), frac, rate, eta;
	char		 b[41];
	int		 fill;

	if (u != NULL && jint(u, "total") > 0) {
		frac = (double)jint(u, "done") / (double)jint(u, "total");
		rate = el > 0 ? (double)jint(u, "done") / el : 0;
	} else {
		frac = total ? (double)done / (double)total : 0;
		rate = el > 0 ? (double)done / el : 0;
	}
	eta = frac > 0 ? el * (1 - frac) / frac : -1;
	fill = (int)(frac * 40 + 0.5);
	if (fill > 40)
		fill = 40;
	memset(b, '=', (size_t)fill);
	memset(b + fill, ' ', (size_t)(40 - fill));
	if (fill > 0 && fill < 40)
		b[fill - 1] = '>';
	b[40] = '\0';
	if (tty)
		printf("\r\033[K");
	printf("run %lld [%s] %lld/%lld tasks", jint(r, "id"), b, done,
	    total);
	if (u != NULL)
		printf(" (%lld/%lld)", jint(u, "done"), jint(u, "total"));
	if (failed)
		printf(", %s%lld failed%s", colour ? "\033[31m" : "", failed,
		    colour ? "\033[0m" : "");
	printf(", %.1f/s, %.1f s", rate, el);
	if (eta >= 0)
		printf(", ETA %.1f s", eta);
	if (!tty)
		putchar('\n');
	fflush(stdout);
}

/*
 * follow_run - watch run id to its end and print its record.  Returns
 * the exit status: 0 if it succeeded (or we detached), 1 if not.
 */
int
follow_run(long long id, int cancel_on_int)
{
	int		 tty = isatty(STDOUT_FILENO);
	int		 colour = tty && getenv("NO_COLOR") == NULL;
	double		 last_plain = -1;
	struct sigaction sa;
	json_t		*rep, *r;
	int		 rc, cancel_sent = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_int;
	sigaction(SIGINT, &sa, NULL);
	for (;;) {
		if (interrupted && !cancel_on_int) {
			if (tty)
				printf("\r\033[K");
			printf("detached; run %lld goes on (weftctl follow "
			    "%lld)\n", id, id);
			return 0;
		}
		if (interrupted && !cancel_sent) {
			json_t *c = client_request(json_pack("{s:s, s:I}",
			    "cmd", "cancel", "id", (json_int_t)id), NULL);

			json_decref(c);
			cancel_sent = 1;
		}
		rep = client_request(json_pack("{s:s, s:I}", "cmd", "run.show",
		    "id", (json_int_t)id), NULL);
		if (rep == NULL)
			return 1;
		if (!reply_ok(rep))
			return 1;
		r = json_object_get(rep, "run");
		if (json_object_get(r, "ended") != NULL) {
			if (tty)
				printf("\r\033[K");
			if (json_output)
				print_json(r);
			else {
				if (colour)
					printf("%s", strcmp(jstr(r, "status"),
					    "ok") == 0 ? "\033[32m" :
					    "\033[31m");
				print_record(r);
				if (colour)
					printf("\033[0m");
			}
			rc = strcmp(jstr(r, "status"), "ok") == 0 ? 0 : 1;
			json_decref(rep);
			return rc;
		}
		if (!json_output && (tty || jnum(r, "wall_s") - last_plain >=
		    1.0)) {
			bar(r, tty, colour);
			last_plain = jnum(r, "wall_s");
		}
		json_decref(rep);
		pause_ms(tty ? 200 : 250);
	}
}

static int
cmd_follow(struct args *a)
{
	long long id;

	if ((id = args_run_id(a, 0)) < 0)
		return 2;
	return follow_run(id, args_has(a, "cancel-on-interrupt"));
}

static const struct cmd_opt follow_opts[] = {
	{ "cancel-on-interrupt", 0, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

const struct cmd_entry cmd_follow_entry = {
	.name = "follow",
	.args = "ID",
	.need = "a run id",
	.lower = 1,
	.upper = 1,
	.opts = follow_opts,
	.summary = "watch a run's progress until it ends",
	.exec = cmd_follow,
};
