/*
 * test-journal.c - the journal's lines and the results in them: a
 * task's result (lib/result.c) is written so that it reads back as
 * exactly the same JSON (strings with anything in them, integers,
 * doubles to the last bit), and a journal with a torn last line still
 * reads.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common.h"

/* roundtrip - o as a result, written: reads back equal to o; the text. */
static char *
roundtrip(json_t *o)
{
	struct result	*r = result_from(o);
	char		*text = result_text(r);
	json_t		*back, *j;

	assert_non_null(text);
	back = json_loads(text, JSON_ALLOW_NUL, NULL);
	if (back == NULL || !json_equal(back, o))
		fail_msg("%s did not read back as it was", text);
	j = result_json(r, NULL);
	if (!json_equal(j, o))
		fail_msg("%s: result_json differs", text);
	json_decref(j);
	json_decref(back);
	result_free(r);
	return text;
}

static void
test_result_text(void **state)
{
	static const double reals[] = { 0.001234, 0.1, 1.0, 0.5e-6,
	    12345.678901, -0.25, 1e-7, 1.0 / 3, 123456789.123, 9e9 + 0.5,
	    1e300, -1e-300, 0.0, 4503599627370496.0, 2.0000000000000004 };
	json_t	*o;
	char	*t;

	assert_null(result_text(NULL));
	o = json_pack("{s:s, s:i, s:f, s:f, s:b, s:n}", "url",
	    "http://127.0.0.1:1/a?b=\"c\"&d=\\e", "status", 200, "ttfb_s",
	    0.001234, "total_s", 0.0125, "ok", 1, "none");
	t = roundtrip(o);
	assert_string_equal(t, "{\"url\":\"http://127.0.0.1:1/a?b=\\\"c\\\"&"
	    "d=\\\\e\",\"status\":200,\"ttfb_s\":0.001234,\"total_s\":0.0125,"
	    "\"ok\":true,\"none\":null}");
	free(t);
	json_decref(o);
	for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) {
		o = json_pack("{s:f}", "x", reals[i]);
		free(roundtrip(o));
		json_decref(o);
	}
	/* Control characters, a NUL, UTF-8 and an escaped key. */
	o = json_object();
	json_object_set_new(o, "line\n\"k\"", json_stringn("a\0b\x01\t\r\n"
	    "\xc3\xa9\xe2\x80\xa8/", 13));
	json_object_set_new(o, "min", json_integer(-9223372036854775807LL -
	    1));
	free(roundtrip(o));
	json_decref(o);
	/* Nested values are kept as JSON, and still read back. */
	o = json_pack("{s:[i, i], s:{s:s}}", "list", 1, 2, "map", "k", "v");
	free(roundtrip(o));
	json_decref(o);
	o = json_string("not an object");
	assert_null(result_from(o));
	json_decref(o);
}

/* What a task gives: set again, replaced; not UTF-8, repaired. */
static void
test_result_set(void **state)
{
	struct result		*r = NULL;
	struct result_val	 v;
	char			*t;

	result_str(&r, "url", "u1", 2);
	result_int(&r, "status", 0);
	result_real(&r, "ttfb_s", 0.5);
	result_int(&r, "status", 200);		/* in place */
	result_str(&r, "url", "a longer one", 12);	/* moves to the end */
	result_real(&r, "inf", 1.0 / 0.0);
	result_str(&r, "bad", "a\xff\xc3(\xed\xa0\x80z", 8);
	result_int(&r, "\xff", 1);		/* a key that is not UTF-8 */
	t = result_text(r);
	assert_string_equal(t, "{\"status\":200,\"ttfb_s\":0.5,\"url\":"
	    "\"a longer one\",\"inf\":null,\"bad\":\"a\xef\xbf\xbd\xef\xbf\xbd("
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\"}");
	free(t);
	assert_true(result_get(r, "status", &v));
	assert_int_equal(v.type, RESULT_INT);
	assert_int_equal(v.i, 200);
	assert_true(result_get(r, "url", &v));
	assert_int_equal(v.len, 12);
	assert_false(result_get(r, "nothing", &v));
	/* Many entries: the buffer grows. */
	for (int i = 0; i < 200; i++) {
		char key[16];

		snprintf(key, sizeof key, "k%d", i);
		result_int(&r, key, i);
	}
	assert_true(result_get(r, "k199", &v));
	assert_int_equal(v.i, 199);
	assert_true(result_get(r, "url", &v));
	/* Among 200 keys, a key set again is found and replaced (a number
	 * in place; a number become a string moved), not added twice. */
	result_int(&r, "k5", 555);
	result_str(&r, "k7", "seven", 5);
	assert_true(result_get(r, "k5", &v));
	assert_int_equal(v.i, 555);
	assert_true(result_get(r, "k7", &v));
	assert_int_equal(v.type, RESULT_STR);
	assert_false(result_get(r, "k200", &v));
	t = result_text(r);
	assert_non_null(strstr(t, ",\"k5\":555,"));
	assert_null(strstr(strstr(t, "\"k5\"") + 1, "\"k5\""));
	assert_null(strstr(t, "\"k7\":7,"));
	free(t);
	result_free(r);
	/* Long strings: a valid sequence after an ASCII run is kept, an
	 * invalid byte after one repaired. */
	r = NULL;
	result_str(&r, "ok", "abcdefghij\xc3\xa9klmnopqrstuvwxyz", 28);
	result_str(&r, "bad", "abcdefghijklmnop\xff", 17);
	t = result_text(r);
	assert_string_equal(t, "{\"ok\":\"abcdefghij\xc3\xa9klmnopqrstuvwxyz\","
	    "\"bad\":\"abcdefghijklmnop\xef\xbf\xbd\"}");
	free(t);
	result_free(r);
}

/* The outcome lines, byte for byte (weftd and resume read them back). */
static void
test_outcome_line(void **state)
{
	char	line[512];
	size_t	n;

	n = journal_outcome(line, 3, 1, 1, 1500, "{\"a\":1}", NULL);
	line[n] = '\0';
	assert_string_equal(line, "[3,1,1,1500,{\"a\":1},null]\n");
	n = journal_outcome(line, 4, 2, 2, 10, NULL, "it \"broke\"\n");
	line[n] = '\0';
	assert_string_equal(line, "[4,2,2,10,null,\"it \\\"broke\\\"\\n\"]\n");
	n = journal_outcome(line, 5, 2, 1, 7, "{}", "not \xff UTF-8");
	line[n] = '\0';
	assert_string_equal(line, "[5,2,1,7,{},null]\n");
	n = journal_outcome(line, 6, 1, 1, -4, NULL, NULL);
	line[n] = '\0';
	assert_string_equal(line, "[6,1,1,0]\n");
}

static void
test_read(void **state)
{
	char		 path[] = "/tmp/weft-test-journal.XXXXXX", *cause, *rt,
			 line[512];
	json_t		*res = json_pack("{s:s, s:f}", "url", "u", "t", 0.5);
	struct journal	*j;
	struct result	*rr;
	FILE		*f;
	int		 fd;
	size_t		 n;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fputs("{\"journal\":1,\"id\":7,\"job\":\"j\"}\n", f);
	rr = result_from(res);
	rt = result_text(rr);
	result_free(rr);
	n = journal_outcome(line, 3, 1, 1, 1500, rt, NULL);
	assert_true(n < sizeof line);
	fwrite(line, 1, n, f);
	n = journal_outcome(line, 4, 2, 2, 10, NULL, "it \"broke\"\n");
	fwrite(line, 1, n, f);
	fputs("[17,1,1,10", f);		/* torn */
	fclose(f);
	free(rt);
	j = journal_read(path, &cause);
	if (j == NULL)
		fail_msg("%s", cause);
	assert_int_equal(j->id, 7);
	assert_int_equal(j->skipped, 1);
	assert_int_equal(j->finished, 2);
	assert_true(j->ntasks > 4);
	assert_int_equal(j->tasks[3].state, 1);
	assert_int_equal(j->tasks[3].micros, 1500);
	assert_true(json_equal(j->tasks[3].result, res));
	assert_int_equal(j->tasks[4].state, 2);
	assert_int_equal(j->tasks[4].attempts, 2);
	assert_string_equal(j->tasks[4].error, "it \"broke\"\n");
	journal_free(j);
	unlink(path);
	json_decref(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_text),
		cmocka_unit_test(test_result_set),
		cmocka_unit_test(test_outcome_line),
		cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
