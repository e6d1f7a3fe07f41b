/*
 * test-proto.c - the runner <-> supervisor messages: what is encoded
 * decodes to the same fields, and every malformed message is refused
 * with the reason before anyone reads it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common.h"
#include "proto.h"

/* decode_text - decode a JSON text; the error, or "" if it decoded. */
static const char *
decode_text(const char *text, struct proto_msg *m)
{
	static char	err[256];
	json_t		*o = json_loads(text, 0, NULL);

	assert_non_null(o);
	err[0] = '\0';
	if (proto_decode(o, m, err, sizeof err) != 0)
		assert_true(err[0] != '\0');
	return err;
}

static void
test_roundtrip(void **state)
{
	struct proto_run	 r = { 0 };
	struct proto_msg	 m;
	json_t			*sets = json_pack("[s]", "n=5");
	unsigned char		 buf[4096];
	int			 fds[2];
	ssize_t			 n;
	size_t			 used;
	char			 err[128];

	r.id = 42;
	r.job = "fib";
	r.file = "/etc/weft/jobs.d/fib.yaml";
	r.text = "workload: fib\nparams: {n: 3}\n";
	r.sets = sets;
	r.strategy = "threads";
	r.concurrency = 4;
	r.workload_path = "/x/workload-fib.so";
	r.strategy_path = "/x/strategy-threads.so";
	r.trace_max = 100;
	r.log_level = 3;
	r.log_dest = 1;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(proto_send(fds[1], PROTO_RUN, &r), 0);
	n = read(fds[0], buf, sizeof buf);
	assert_true(n > 4);
	for (size_t k = 0; k < (size_t)n; k++)
		assert_int_equal(proto_parse(buf, k, &used, &m, err,
		    sizeof err), 0);
	assert_int_equal(proto_parse(buf, (size_t)n, &used, &m, err,
	    sizeof err), 1);
	assert_int_equal(m.type, PROTO_RUN);
	assert_int_equal(m.u.run.id, 42);
	assert_string_equal(m.u.run.job, "fib");
	assert_string_equal(m.u.run.text, r.text);
	assert_string_equal(json_string_value(json_array_get(m.u.run.sets, 0)),
	    "n=5");
	assert_int_equal(m.u.run.concurrency, 4);
	assert_int_equal(m.u.run.log_dest, 1);
	proto_clear(&m);
	json_decref(sets);
	close(fds[0]);
	close(fds[1]);
}

static void
test_refused(void **state)
{
	struct proto_msg m;

	assert_string_equal(decode_text("{\"type\":\"progress\",\"done\":1,"
	    "\"failed\":0,\"total\":2,\"units_done\":0}", &m),
	    "progress message: missing units_total");
	assert_string_equal(decode_text("{\"type\":\"progress\",\"done\":\"1\","
	    "\"failed\":0,\"total\":2,\"units_done\":0,\"units_total\":0}", &m),
	    "progress message: done: expected an integer");
	assert_string_equal(decode_text("{\"type\":\"progress\",\"done\":3,"
	    "\"failed\":0,\"total\":2,\"units_done\":0,\"units_total\":0}", &m),
	    "progress message: counts do not add up (0 failed, 3 done, 2 "
	    "total)");
	assert_string_equal(decode_text("{\"type\":\"progress\",\"done\":-1,"
	    "\"failed\":0,\"total\":2,\"units_done\":0,\"units_total\":0}", &m),
	    "progress message: done: -1 is out of range");
	assert_string_equal(decode_text("{\"type\":\"start\",\"total\":1,"
	    "\"strategy\":\"x\",\"concurrency\":1,\"extra\":1}", &m),
	    "start message: unknown field \"extra\"");
	assert_string_equal(decode_text("{\"type\":\"launch\"}", &m),
	    "unknown message type \"launch\"");
	/* A plugin's params (ABI 2.3), each an object with a name and a
	 * type. */
	assert_string_equal(decode_text("{\"type\":\"plugin\",\"name\":"
	    "\"x\",\"version\":\"1\",\"summary\":\"s\",\"kind\":1,"
	    "\"params\":[{\"name\":\"n\",\"type\":\"integer\"},"
	    "{\"name\":\"m\"}]}", &m),
	    "plugin message: params[1]: expected an object with a name and a "
	    "type");
	assert_string_equal(decode_text("{\"type\":\"plugin\",\"name\":"
	    "\"x\",\"version\":\"1\",\"summary\":\"s\",\"kind\":1,"
	    "\"params\":{}}", &m), "plugin message: params: expected an array");
	assert_string_equal(decode_text("[1]", &m),
	    "a message without a type");
	assert_string_equal(decode_text("{\"type\":\"record\",\"strategy\":"
	    "\"x\",\"concurrency\":1,\"tasks\":{\"total\":3,\"ok\":1,"
	    "\"failed\":1,\"cancelled\":0},\"latency\":{\"p50\":0,\"p95\":0,"
	    "\"p99\":0,\"max\":0},\"results\":[],\"failures\":[],"
	    "\"cancelled\":false}", &m),
	    "record message: tasks: expected {total, ok, failed, cancelled[, "
	    "duplicated, lost]} that add up");
	assert_string_equal(decode_text("{\"type\":\"record\",\"strategy\":"
	    "\"x\",\"concurrency\":1,\"tasks\":{\"total\":2,\"ok\":1,"
	    "\"failed\":1,\"cancelled\":0,\"lost\":-1},\"latency\":{\"p50\":0,"
	    "\"p95\":0,\"p99\":0,\"max\":0},\"results\":[],\"failures\":[],"
	    "\"cancelled\":false}", &m),
	    "record message: tasks: expected {total, ok, failed, cancelled[, "
	    "duplicated, lost]} that add up");
	/* A cluster run's counts are accepted. */
	assert_string_equal(decode_text("{\"type\":\"record\",\"strategy\":"
	    "\"x\",\"concurrency\":1,\"tasks\":{\"total\":2,\"ok\":1,"
	    "\"failed\":1,\"cancelled\":0,\"duplicated\":3,\"lost\":1},"
	    "\"latency\":{\"p50\":0,\"p95\":0,\"p99\":0,\"max\":0},"
	    "\"results\":[],\"failures\":[],\"cancelled\":false}", &m), "");
	proto_clear(&m);
	assert_string_equal(decode_text("{\"type\":\"trace\",\"tasks\":"
	    "[[0,0.1,0.2,0,9]],\"not_kept\":0}", &m),
	    "trace message: task 0 is not [task, start, end, lane, state]");
	/* The tasks are in the runner's trace file or in the message. */
	assert_string_equal(decode_text("{\"type\":\"trace\",\"tasks\":"
	    "[[0,0.1,0.2,0,1]],\"not_kept\":0,\"in_file\":40}", &m),
	    "trace message: tasks both in the file and in the message");
	assert_string_equal(decode_text("{\"type\":\"trace\",\"tasks\":"
	    "[],\"not_kept\":0,\"in_file\":-1}", &m),
	    "trace message: in_file: -1 is out of range");
	assert_string_equal(decode_text("{\"type\":\"plugin\",\"name\":\"x\"}",
	    &m), "plugin message: a usable plugin needs name, version, "
	    "summary and kind");
	assert_string_equal(decode_text("{\"type\":\"run\",\"id\":1,\"job\":"
	    "\"j\",\"file\":\"f\",\"text\":\"t\",\"sets\":[1],\"strategy\":"
	    "\"s\",\"concurrency\":0,\"workload_path\":\"w\","
	    "\"strategy_path\":\"s\",\"trace_max\":0,\"log_level\":2,"
	    "\"log_dest\":0}", &m), "run message: sets: expected strings");
	/* And a good one decodes. */
	assert_string_equal(decode_text("{\"type\":\"error\",\"message\":"
	    "\"no\"}", &m), "");
	assert_int_equal(m.type, PROTO_ERROR);
	assert_string_equal(m.u.error.message, "no");
	proto_clear(&m);
}

static void
test_recv(void **state)
{
	struct proto_msg	 m;
	struct proto_error	 e = { "bye" };
	int			 fds[2];
	char			 err[128];
	unsigned char		 big[4] = { 0x7f, 0xff, 0xff, 0xff };

	assert_int_equal(pipe(fds), 0);
	/* Nothing within the time: -2. */
	assert_int_equal(proto_recv(fds[0], 50, &m, err, sizeof err), -2);
	assert_int_equal(proto_send(fds[1], PROTO_ERROR, &e), 0);
	assert_int_equal(proto_recv(fds[0], 1000, &m, err, sizeof err), 1);
	assert_string_equal(m.u.error.message, "bye");
	proto_clear(&m);
	/* An oversized frame is refused from its header. */
	assert_int_equal(write(fds[1], big, 4), 4);
	assert_int_equal(proto_recv(fds[0], 1000, &m, err, sizeof err), -1);
	assert_string_equal(err, "frame of 2147483647 bytes exceeds the "
	    "16777216 byte limit");
	close(fds[1]);
	/* End of stream: 0. */
	assert_int_equal(proto_recv(fds[0], 1000, &m, err, sizeof err), 0);
	close(fds[0]);
}

/* micros - fmt_micros as a string. */
static const char *
micros(double v)
{
	static char buf[32];

	buf[fmt_micros(buf, v)] = '\0';
	return buf;
}

static void
test_trace_text(void **state)
{
	struct proto_trace_row	 rows[] = {
		{ 0, 0, 0.0000005, 0, 1 },
		{ 7, 1.5, 12345.6789012, 3, 2 },
		{ 9, -0.25, 0.1, 12, 3 },
	};
	struct proto_msg	 m;
	char			*text, buf[32];
	size_t			 len;

	assert_string_equal(micros(0), "0.000000");
	assert_string_equal(micros(2.0000004), "2.000000");
	assert_string_equal(micros(0.0000005), "0.000001");
	assert_string_equal(micros(-0.25), "-0.250000");
	assert_string_equal(micros(0.1), "0.100000");
	assert_string_equal(micros(86400.123456), "86400.123456");
	assert_string_equal(micros(NAN), "0.000000");
	buf[fmt_int(buf, -9223372036854775807LL - 1)] = '\0';
	assert_string_equal(buf, "-9223372036854775808");

	text = proto_trace_text(rows, 3, 4, &len);
	assert_string_equal(text, "{\"type\":\"trace\",\"tasks\":["
	    "[0,0.000000,0.000001,0,1],[7,1.500000,12345.678901,3,2],"
	    "[9,-0.250000,0.100000,12,3]],\"not_kept\":4}");
	assert_int_equal(len, strlen(text));
	/* It is a TRACE message like any other. */
	assert_string_equal(decode_text(text, &m), "");
	assert_int_equal(m.type, PROTO_TRACE);
	assert_int_equal(json_array_size(m.u.trace.tasks), 3);
	assert_int_equal(m.u.trace.not_kept, 4);
	assert_true(json_real_value(json_array_get(json_array_get(
	    m.u.trace.tasks, 1), 2)) == 12345.678901);
	proto_clear(&m);
	free(text);
	text = proto_trace_text(NULL, 0, 0, &len);
	assert_string_equal(decode_text(text, &m), "");
	assert_int_equal(json_array_size(m.u.trace.tasks), 0);
	proto_clear(&m);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_recv),
		cmocka_unit_test(test_trace_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
