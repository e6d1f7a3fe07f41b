/* test-duration.c - durations: ms/s/m/h, combinations, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common.h"

static void
test_units(void **state)
{
	uint64_t ms;

	assert_int_equal(duration_parse("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(duration_parse("30s", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(duration_parse("5m", &ms), 0);
	assert_int_equal(ms, 300000);
	assert_int_equal(duration_parse("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(duration_parse("1h30m15s", &ms), 0);
	assert_int_equal(ms, 5415000);
	assert_int_equal(duration_parse("0s", &ms), 0);
	assert_int_equal(ms, 0);
}

static void
test_refused(void **state)
{
	uint64_t ms;
	const char *bad[] = { "", "30", "s", "5 m", "-1s", "1.5s", "10d",
	    "5ms5", "99999999999999999999h", NULL };

	for (int i = 0; bad[i] != NULL; i++)
		assert_int_equal(duration_parse(bad[i], &ms), -1);
}

static void
test_format(void **state)
{
	char buf[32];

	assert_string_equal(duration_format(5415000, buf, sizeof buf),
	    "1h30m15s");
	assert_string_equal(duration_format(250, buf, sizeof buf), "250ms");
	assert_string_equal(duration_format(0, buf, sizeof buf), "0s");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
