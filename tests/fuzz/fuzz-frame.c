/* fuzz-frame.c - the frame decoder: bytes in, whole frames or an error. */
#include <stdlib.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const unsigned char *, size_t);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	size_t	 off = 0, used;
	json_t	*m;
	char	 err[256];

	while (off < len && frame_parse(data + off, len - off, &used, &m,
	    err, sizeof err) == 1) {
		json_decref(m);
		off += used;
	}
	return 0;
}
