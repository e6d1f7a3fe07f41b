/* test-abi.c - plugin descriptor validation. */
#include <sys/stat.h>

#include <fcntl.h>
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
#include "weft/weft-plugin.h"

static int dummy_task(void *s, void *c, struct weft_task *t, size_t i)
{
	return 0;
}
static void *dummy_init(const struct weft_host *h, const struct weft_node *p,
    size_t *n)
{
	return NULL;
}
static int dummy_run(const struct weft_host *h, struct weft_run *r)
{
	return 0;
}

static const struct weft_workload_ops wops = { .init = dummy_init,
    .task = dummy_task };
static const struct weft_strategy_ops sops = { .run = dummy_run };

static struct weft_plugin
good(void)
{
	struct weft_plugin d = { WEFT_PLUGIN_HEADER, .kind = WEFT_KIND_WORKLOAD,
	    .name = "ok", .version = "1", .summary = "s", .ops = &wops };

	return d;
}

static void
test_good(void **state)
{
	struct weft_plugin	d = good();
	char			why[256];

	assert_int_equal(plugin_check_desc(&d, sizeof d, why, sizeof why), 0);
	d.kind = WEFT_KIND_STRATEGY;
	d.ops = &sops;
	assert_int_equal(plugin_check_desc(&d, sizeof d, why, sizeof why), 0);
	/* A newer minor is fine. */
	d.abi_minor = WEFT_ABI_MINOR + 5;
	assert_int_equal(plugin_check_desc(&d, sizeof d, why, sizeof why), 0);
}

static void
test_bad(void **state)
{
	struct weft_plugin	d;
	char			why[256];

	d = good();
	d.abi_major = 3;
	d.abi_minor = 7;
	assert_int_equal(plugin_check_desc(&d, sizeof d, why, sizeof why), -1);
	assert_string_equal(why, "ABI major mismatch: plugin built for ABI "
	    "3.7, weftd provides ABI 2.3; rebuild the plugin against this "
	    "weft's weft-plugin.h");
	/* ABI 1 (before the host table had sections) is refused too. */
	d = good();
	d.abi_major = 1;
	d.abi_minor = 0;
	assert_int_equal(plugin_check_desc(&d, sizeof d, why, sizeof why), -1);
	assert_string_equal(why, "ABI major mismatch: plugin built for ABI "
	    "1.0, weftd provides ABI 2.3; rebuild the plugin against this "
	    "weft's weft-plugin.h");
	d = good();
	d.kind = 3;
	assert_int_equal(plugin_check_desc(&d, sizeof d, why, sizeof why), -1);
	assert_string_equal(why, "wrong kind 3: expected workload (1) or "
	    "strategy (2)");
	d = good();
	d.size = 8;
	assert_int_equal(plugin_check_desc(&d, sizeof d, why, sizeof why), -1);
	d = good();
	d.name = "bad name";
	assert_int_equal(plugin_check_desc(&d, sizeof d, why, sizeof why), -1);
	assert_string_equal(why, "descriptor has no valid name");
	d = good();
	d.ops = NULL;
	assert_int_equal(plugin_check_desc(&d, sizeof d, why, sizeof why), -1);
	assert_string_equal(why, "descriptor of ok has no ops table");
}

/* put - path holds text now. */
static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "r+");

	if (f == NULL)
		f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* id_now - the id of the file at path now. */
static void
id_now(const char *path, struct plugin_id *id)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	plugin_id_of(&st, id);
}

/*
 * A plugin file is known again by its inode, size and times; one
 * changed within a second of its copy (its times may not have ticked)
 * asks for its bytes to be compared, and they tell a rewrite in place
 * of the same size.
 */
static void
test_file_id(void **state)
{
	char			 dir[] = "/tmp/weft-test-abi.XXXXXX", path[64];
	struct plugin_id	 was, now;
	char			*cause = NULL;
	int			 fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/x.so", dir);
	put(path, "version one");
	fd = plugin_copy(path, &was, &cause);
	assert_true(fd >= 0);
	id_now(path, &now);
	assert_int_equal(plugin_id_same(&now, &was), 2);	/* just written */
	assert_int_equal(plugin_same_content(path, fd), 1);
	was.copied.tv_sec += 5;		/* as if copied well after */
	assert_int_equal(plugin_id_same(&now, &was), 1);

	put(path, "version two");	/* in place, the same size */
	assert_int_equal(plugin_same_content(path, fd), 0);
	now.size++;
	assert_int_equal(plugin_id_same(&now, &was), 0);
	now.size--;
	now.ctime.tv_nsec ^= 1;
	assert_int_equal(plugin_id_same(&now, &was), 0);
	now.ctime.tv_nsec ^= 1;
	now.ino++;
	assert_int_equal(plugin_id_same(&now, &was), 0);

	put(path, "version one, longer");
	assert_int_equal(plugin_same_content(path, fd), 0);
	close(fd);
	unlink(path);
	assert_int_equal(plugin_same_content(path, -1), 0);
	rmdir(dir);
}

/* A params table as weftctl plugins NAME shows it, and the tables
 * weft refuses with the entry named. */
static void
test_params_json(void **state)
{
	static const char *const ab[] = { "a", "b", NULL };
	static const struct weft_param good[] = {
		{ "n", WEFT_P_INTS, WEFT_P_REQUIRED, 0, 1, 92, NULL, NULL },
		{ "wait", WEFT_P_DURATION, 0, 0, 0, 0, NULL, "5s" },
		{ "mode", WEFT_P_ENUM, 0, 0, 0, 0, ab, "b" },
		{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
	};
	static const struct weft_param badtype[] = {
		{ "x", 42, 0, 0, 0, 0, NULL, NULL },
		{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
	};
	static const struct weft_param nochoices[] = {
		{ "x", WEFT_P_ENUM, 0, 0, 0, 0, NULL, NULL },
		{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
	};
	static const struct weft_param escape[] = {
		{ "x", WEFT_P_STRING, 0, 0, 0, 0, NULL, "\033[2J" },
		{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
	};
	static struct weft_param many[300];
	char	 why[256], *text;
	json_t	*j;

	j = plugin_params_json(good, why, sizeof why);
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "[{\"max\":92,\"min\":1,\"name\":\"n\","
	    "\"required\":true,\"type\":\"integers\"},{\"default\":\"5s\","
	    "\"name\":\"wait\",\"type\":\"duration\"},{\"choices\":[\"a\","
	    "\"b\"],\"default\":\"b\",\"name\":\"mode\",\"type\":"
	    "\"choice\"}]");
	free(text);
	json_decref(j);
	assert_null(plugin_params_json(badtype, why, sizeof why));
	assert_string_equal(why, "params table: x: unknown type 42");
	assert_null(plugin_params_json(nochoices, why, sizeof why));
	assert_string_equal(why, "params table: x: a choice without choices");
	assert_null(plugin_params_json(escape, why, sizeof why));
	assert_string_equal(why, "params table: x: the default is longer than "
	    "256 bytes or holds a control character");
	for (size_t i = 0; i < 300; i++)
		many[i] = (struct weft_param){ "k", WEFT_P_INT, 0, 0, 0, 1,
		    NULL, NULL };
	assert_null(plugin_params_json(many, why, sizeof why));
	assert_string_equal(why, "params table: more than 256 entries (or no "
	    "entry with a NULL key at its end)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_file_id),
		cmocka_unit_test(test_params_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
