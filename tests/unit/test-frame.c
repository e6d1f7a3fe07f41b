/* test-frame.c - runner/supervisor message framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common.h"

static void
test_roundtrip(void **state)
{
	int		 fds[2];
	unsigned char	 buf[256];
	ssize_t		 n;
	size_t		 used;
	json_t		*m = json_pack("{s:s, s:i}", "type", "progress", "done",
			    7), *got;
	char		 err[128];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(frame_write(fds[1], m), 0);
	assert_int_equal(frame_write(fds[1], m), 0);
	n = read(fds[0], buf, sizeof buf);
	assert_true(n > 8);
	/* Every prefix of a frame asks for more. */
	for (size_t k = 0; k < (size_t)n / 2; k++)
		assert_int_equal(frame_parse(buf, k, &used, &got, err,
		    sizeof err), 0);
	assert_int_equal(frame_parse(buf, (size_t)n, &used, &got, err,
	    sizeof err), 1);
	assert_int_equal(used, (size_t)n / 2);
	assert_int_equal(json_integer_value(json_object_get(got, "done")), 7);
	json_decref(got);
	assert_int_equal(frame_parse(buf + used, (size_t)n - used, &used, &got,
	    err, sizeof err), 1);
	json_decref(got);
	json_decref(m);
	close(fds[0]);
	close(fds[1]);
}

static void
test_garbage(void **state)
{
	size_t		 used;
	json_t		*got;
	char		 err[128];
	unsigned char	 huge[4] = { 0x7f, 0xff, 0xff, 0xff };
	unsigned char	 notjson[] = { 0, 0, 0, 3, 'a', 'b', 'c' };
	unsigned char	 notype[] = { 0, 0, 0, 2, '{', '}' };
	unsigned char	 array[] = { 0, 0, 0, 2, '[', ']' };

	assert_int_equal(frame_parse(huge, 4, &used, &got, err, sizeof err),
	    -1);
	assert_string_equal(err, "frame of 2147483647 bytes exceeds the "
	    "16777216 byte limit");
	assert_int_equal(frame_parse(notjson, sizeof notjson, &used, &got,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "bad JSON in frame"));
	assert_int_equal(frame_parse(notype, sizeof notype, &used, &got, err,
	    sizeof err), -1);
	assert_string_equal(err, "frame is not an object with a type");
	assert_int_equal(frame_parse(array, sizeof array, &used, &got, err,
	    sizeof err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
