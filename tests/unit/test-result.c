/*
 * test-result.c - a task's result as weft-runner keeps it and writes it:
 * the JSON text byte for byte (keys and strings copied or escaped,
 * integers, reals to the microsecond or in full), what jansson reads
 * back, and the number formatting under it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common.h"

/* text - r as result_put writes it (within result_room), NUL-ended. */
static char *
text(const struct result *r)
{
	size_t	 room = result_room(r);
	char	*buf = malloc(room + 1), *end;

	assert_non_null(buf);
	end = result_put(r, buf);
	assert_true((size_t)(end - buf) <= room);
	*end = '\0';
	return buf;
}

static void
test_plain_and_escaped(void **state)
{
	struct result	*r = NULL;
	char		*t;

	result_str(&r, "url", "http://127.0.0.1:8080/pages/20k.bin", 35);
	result_int(&r, "status", 200);
	result_str(&r, "say \"hi\"", "a\tb\nc\\d\x01", 8);
	result_str(&r, "caf\xc3\xa9", "\xe2\x82\xac 5", 5);
	result_str(&r, "bad", "x\xffy", 3);
	t = text(r);
	assert_string_equal(t, "{\"url\":\"http://127.0.0.1:8080/pages/20k."
	    "bin\",\"status\":200,\"say \\\"hi\\\"\":\"a\\tb\\nc\\\\d\\u0001\","
	    "\"caf\xc3\xa9\":\"\xe2\x82\xac 5\",\"bad\":\"x\xef\xbf\xbdy\"}");
	free(t);
	result_free(r);
}

static void
test_numbers(void **state)
{
	struct result	*r = NULL;
	char		*t;

	result_int(&r, "zero", 0);
	result_int(&r, "neg", -5);
	result_int(&r, "n99", 99);
	result_int(&r, "n100", 100);
	result_int(&r, "big", 12345678901234LL);
	result_int(&r, "min", LLONG_MIN);
	result_int(&r, "max", LLONG_MAX);
	result_real(&r, "us", 0.000001);
	result_real(&r, "half", 1.5);
	result_real(&r, "negr", -2.25);
	result_real(&r, "t", 123.456789);
	result_real(&r, "whole", 3.0);
	result_real(&r, "fine", 1e-7);
	t = text(r);
	assert_string_equal(t, "{\"zero\":0,\"neg\":-5,\"n99\":99,\"n100\":100,"
	    "\"big\":12345678901234,\"min\":-9223372036854775808,"
	    "\"max\":9223372036854775807,\"us\":0.000001,\"half\":1.5,"
	    "\"negr\":-2.25,\"t\":123.456789,\"whole\":3.0,"
	    "\"fine\":9.9999999999999995e-08}");
	free(t);
	result_free(r);
}

/* A key set again: a number in place, a string appended. */
static void
test_set_again(void **state)
{
	struct result	*r = NULL;
	char		*t;

	result_int(&r, "a", 1);
	result_str(&r, "b", "x", 1);
	result_int(&r, "a", 2);
	result_str(&r, "b", "y\"", 2);
	t = text(r);
	assert_string_equal(t, "{\"a\":2,\"b\":\"y\\\"\"}");
	free(t);
	result_free(r);
}

/* From jansson (a journal, another process) and back, the same text. */
static void
test_from_json(void **state)
{
	const char	*in = "{\"s\":\"a\\u0000b\",\"q\":\"\\\"\",\"i\":7,"
			    "\"d\":0.25,\"l\":[1,true,null]}";
	json_t		*o = json_loads(in, JSON_ALLOW_NUL, NULL);
	struct result	*r;
	char		*t;

	assert_non_null(o);
	r = result_from(o);
	t = text(r);
	assert_string_equal(t, in);
	free(t);
	result_free(r);
	json_decref(o);
}

static void
test_fmt(void **state)
{
	char	buf[64];
	size_t	n;

	n = fmt_us(buf, 1234567);
	buf[n] = '\0';
	assert_string_equal(buf, "1.234567");
	n = fmt_us(buf, -7);
	buf[n] = '\0';
	assert_string_equal(buf, "-0.000007");
	n = fmt_micros(buf, 86400.5);
	buf[n] = '\0';
	assert_string_equal(buf, "86400.500000");
	for (long long v = -1000; v <= 1000; v++) {
		char want[32];

		n = fmt_int(buf, v);
		buf[n] = '\0';
		snprintf(want, sizeof want, "%lld", v);
		assert_string_equal(buf, want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_escaped),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_set_again),
		cmocka_unit_test(test_from_json),
		cmocka_unit_test(test_fmt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
