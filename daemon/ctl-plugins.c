/* ctl-plugins.c - "plugins": the catalog, with each rejection's reason. */
#include "weftd.h"

static void
ctl_plugins(struct conn *c, json_t *req)
{
	conn_reply(c, json_pack("{s:o}", "plugins",
	    catalog_to_json(weftd.catalog)));
}

const struct handler ctl_plugins_entry = {
	.name = "plugins",
	.exec = ctl_plugins,
};
