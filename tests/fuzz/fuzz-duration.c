/* fuzz-duration.c - durations: parsed, formatted, parsed back alike. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const unsigned char *, size_t);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	char		*s = xstrndup((const char *)data, len), buf[64];
	uint64_t	 ms, again;

	if (duration_parse(s, &ms) == 0 &&
	    (duration_parse(duration_format(ms, buf, sizeof buf), &again) != 0
	    || again != ms))
		abort();
	free(s);
	return 0;
}
