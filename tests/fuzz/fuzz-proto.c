/*
 * fuzz-proto.c - the runner <-> supervisor message decoder: a JSON text
 * in, a checked message (re-encoded and decoded again, which must give
 * the same) or an error out.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const unsigned char *, size_t);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct proto_msg	 m, again;
	json_t			*o;
	char			 err[256];

	if ((o = json_loadb((const char *)data, len, 0, NULL)) == NULL)
		return 0;
	if (proto_decode(o, &m, err, sizeof err) != 0)
		return 0;
	/* What decodes re-encodes to something that decodes the same. */
	o = proto_encode(m.type, &m.u);
	if (proto_decode(o, &again, err, sizeof err) != 0 ||
	    again.type != m.type)
		abort();
	proto_clear(&again);
	proto_clear(&m);
	return 0;
}
