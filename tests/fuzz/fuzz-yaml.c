/*
 * fuzz-yaml.c - the job and configuration loader: YAML text in, a job
 * (or a configuration) or errors out, within the loader's bounds.
 */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const unsigned char *, size_t);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	static int	 memfd = -1;
	struct errlist	 el = { 0 };
	struct job	*j;
	struct config	*c;
	char		 path[64], *cause, *text;
	int		 bad;

	if (memfd < 0) {
		log_init("fuzz", 0, LOG_TO_STDERR);
		memfd = memfd_create("weftd.yaml", 0);
	}
	/* The text may hold NULs: copy len bytes, not a string. */
	text = xmalloc(len + 1);
	memcpy(text, data, len);
	text[len] = '\0';
	j = job_parse("fuzz.yaml", text, len, &el);
	job_free(j);
	errlist_clear(&el);
	/* The same text as weftd.yaml. */
	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, len, 0) !=
	    (ssize_t)len)
		return 0;
	snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
	c = config_load(path, NULL, &el, &bad);
	config_free(c);
	errlist_clear(&el);
	/* And as a --set value. */
	{
		char		*kv;
		struct ydoc	*d;

		xasprintf(&kv, "n=%.*s", (int)(len > 4096 ? 4096 : len),
		    (const char *)data);
		if ((d = parse_set(kv, &cause)) == NULL)
			free(cause);
		ydoc_free(d);
		free(kv);
	}
	return 0;
}
