/* test-cron.c - cron expressions: parsing and the next firing time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common.h"

/* at - a UTC time (TZ is UTC in these tests). */
static time_t
at(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi, .tm_isdst = 0 };

	return timegm(&tm);
}

static time_t
next(const char *expr, time_t from)
{
	struct cron	c;
	char		err[128];

	assert_int_equal(cron_parse(expr, &c, err, sizeof err), 0);
	return cron_next(&c, from);
}

static void
test_next(void **state)
{
	time_t base = at(2026, 11, 22, 10, 7);	/* a Sunday */

	assert_int_equal(next("*/5 * * * *", base), at(2026, 11, 22, 10, 10));
	assert_int_equal(next("* * * * *", base), at(2026, 11, 22, 10, 8));
	assert_int_equal(next("0 * * * *", base), at(2026, 11, 22, 11, 0));
	assert_int_equal(next("30 2 * * *", base), at(2026, 11, 23, 2, 30));
	assert_int_equal(next("0 0 1 * *", base), at(2026, 12, 1, 0, 0));
	assert_int_equal(next("0 9 * * mon-fri", base),
	    at(2026, 11, 23, 9, 0));
	assert_int_equal(next("0 9 * * 7", base), at(2026, 11, 29, 9, 0));
	assert_int_equal(next("@yearly", base), at(2027, 1, 1, 0, 0));
	assert_int_equal(next("15,45 8-10/2 * jan *", base),
	    at(2027, 1, 1, 8, 15));
	/* Both day fields restricted: either one matches (Vixie cron). */
	assert_int_equal(next("0 0 25 * 1", base), at(2026, 11, 23, 0, 0));
	/* Strictly after: a matching minute is not repeated. */
	assert_int_equal(next("10 10 * * *", at(2026, 11, 22, 10, 10)),
	    at(2026, 11, 23, 10, 10));
	assert_int_equal(next("0 0 29 2 *", base), at(2028, 2, 29, 0, 0));
	assert_int_equal(next("0 0 31 2 *", base), (time_t)-1);
}

static void
test_errors(void **state)
{
	struct cron	c;
	char		err[128];

	assert_int_equal(cron_parse("* * * *", &c, err, sizeof err), -1);
	assert_string_equal(err, "expected 5 fields (minute hour "
	    "day-of-month month day-of-week), got 4");
	assert_int_equal(cron_parse("61 * * * *", &c, err, sizeof err), -1);
	assert_string_equal(err, "bad minute field \"61\" (allowed 0-59, *, "
	    "lists, ranges, /steps)");
	assert_int_equal(cron_parse("* * * foo *", &c, err, sizeof err), -1);
	assert_string_equal(err, "bad month field \"foo\" (allowed 1-12, *, "
	    "lists, ranges, /steps)");
	assert_int_equal(cron_parse("*/0 * * * *", &c, err, sizeof err), -1);
	assert_int_equal(cron_parse("5-1 * * * *", &c, err, sizeof err), -1);
	assert_int_equal(cron_parse("* * * * * *", &c, err, sizeof err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_errors),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
