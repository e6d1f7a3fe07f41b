/* log.c - logging to stderr, the journal's stderr stream, or syslog. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char	*log_prog = "weft";
static int		 log_level = 2;	/* 0 err, 1 warn, 2 info, 3 debug */
static int		 log_dest = LOG_TO_STDERR;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

/* log_init - set the program name, level and destination. */
void
log_init(const char *prog, int level, int dest)
{
	log_prog = prog;
	log_level = level;
	log_dest = dest;
	if (dest == LOG_TO_SYSLOG)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

/* log_level_parse - "error", "warning", "info" or "debug"; -1 if none. */
int
log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	if (strcmp(s, "warn") == 0)
		return 1;
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < 0 || level > 3)
		return "?";
	return level_names[level];
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	static const int sysprio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char		 buf[4096];
	int		 saved = errno;

	if (level > log_level)
		return;
	vsnprintf(buf, sizeof buf, fmt, ap);
	switch (log_dest) {
	case LOG_TO_SYSLOG:
		syslog(sysprio[level], "%s", buf);
		break;
	case LOG_TO_JOURNAL:
		/* sd-daemon(3) priority prefix; journald adds the rest. */
		fprintf(stderr, "<%d>%s\n", sysprio[level], buf);
		break;
	default: {
		char		ts[32];
		time_t		t = time(NULL);
		struct tm	tm;

		localtime_r(&t, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s %s[%ld] %s: %s\n", ts, log_prog,
		    (long)getpid(), level_names[level], buf);
	}
	}
	errno = saved;
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* log_warn - a warning with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	*m;
	int	 e = errno;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	log_msg(1, "%s: %s", m, strerror(e));
	free(m);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(1, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(2, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(3, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	*m;
	int	 e = errno;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	log_msg(0, "fatal: %s: %s", m, strerror(e));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;
	char	*m;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	log_msg(0, "fatal: %s", m);
	exit(1);
}
