/* ctl-cancel.c - "cancel": stop a running run. */
#include <stdlib.h>

#include "weftd.h"

static void
ctl_cancel(struct conn *c, json_t *req)
{
	long long	 id;
	char		*cause;

	if (req_id(c, req, &id) != 0)
		return;
	if (run_cancel(id, &cause) != 0) {
		conn_fail(c, "%s", cause);
		free(cause);
		return;
	}
	conn_reply(c, json_pack("{s:I}", "cancelled", (json_int_t)id));
}

const struct handler ctl_cancel_entry = {
	.name = "cancel",
	.changes_state = 1,
	.exec = ctl_cancel,
};
