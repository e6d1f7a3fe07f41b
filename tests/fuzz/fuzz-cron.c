/* fuzz-cron.c - cron expressions: parsed, and the next time computed. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const unsigned char *, size_t);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct cron	 c;
	char		*s = xstrndup((const char *)data, len), err[256];

	if (cron_parse(s, &c, err, sizeof err) == 0)
		(void)cron_next(&c, 1800000000);
	free(s);
	return 0;
}
