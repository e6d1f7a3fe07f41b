/*
 * frame.c - the framing of messages between weft-runner and weftd
 * (lib/proto.c gives them types): a 4-byte big-endian length, then that
 * many bytes of one JSON object.  The length is checked against
 * FRAME_MAX before anything is buffered, and the payload must be an
 * object with a string "type".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

/* frame_write - send msg on fd (blocking), whole.  0 or -1 (errno). */
int
frame_write(int fd, const json_t *msg)
{
	char	*body;
	int	 rc;

	if ((body = json_dumps(msg, JSON_COMPACT)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	rc = frame_write_text(fd, body, strlen(body));
	free(body);
	return rc;
}

/*
 * frame_write_text - send len bytes of JSON text (already serialized:
 * an object with a "type") as one frame.  0 or -1 (errno).
 */
int
frame_write_text(int fd, const char *body, size_t len)
{
	unsigned char	*buf;
	int		 rc;

	if (len > FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	buf = xmalloc(len + 4);
	buf[0] = (unsigned char)(len >> 24);
	buf[1] = (unsigned char)(len >> 16);
	buf[2] = (unsigned char)(len >> 8);
	buf[3] = (unsigned char)len;
	memcpy(buf + 4, body, len);
	rc = write_all(fd, buf, len + 4);
	free(buf);
	return rc;
}

/* frame_length - the payload length a frame's 4-byte header announces. */
size_t
frame_length(const unsigned char *hdr)
{
	return (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | hdr[3];
}

/*
 * frame_parse - try to take one message from the len bytes at buf.
 * Returns 1 with *msg and *used set, 0 if more bytes are needed, or -1
 * with a reason in err if the stream is corrupt (oversized frame, bad
 * JSON, not an object with a "type").
 */
int
frame_parse(const unsigned char *buf, size_t len, size_t *used, json_t **msg,
    char *err, size_t errlen)
{
	size_t		n;
	json_error_t	jerr;
	json_t		*j;

	if (len < 4)
		return 0;
	n = frame_length(buf);
	if (n > FRAME_MAX) {
		snprintf(err, errlen, "frame of %zu bytes exceeds the %u byte "
		    "limit", n, FRAME_MAX);
		return -1;
	}
	if (len - 4 < n)
		return 0;
	j = json_loadb((const char *)buf + 4, n, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		snprintf(err, errlen, "bad JSON in frame: %s", jerr.text);
		return -1;
	}
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "type"))) {
		snprintf(err, errlen, "frame is not an object with a type");
		json_decref(j);
		return -1;
	}
	*used = n + 4;
	*msg = j;
	return 1;
}
