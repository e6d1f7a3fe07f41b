/* test-abi.c - plugin descriptor validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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
	    "3.7, weftd provides ABI 2.2; rebuild the plugin against this "
	    "weft's weft-plugin.h");
	/* ABI 1 (before the host table had sections) is refused too. */
	d = good();
	d.abi_major = 1;
	d.abi_minor = 0;
	assert_int_equal(plugin_check_desc(&d, sizeof d, why, sizeof why), -1);
	assert_string_equal(why, "ABI major mismatch: plugin built for ABI "
	    "1.0, weftd provides ABI 2.2; rebuild the plugin against this "
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
