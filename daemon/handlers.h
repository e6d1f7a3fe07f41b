/* handlers.h - the control protocol's commands, one entry each. */
#ifndef WEFTD_HANDLERS_H
#define WEFTD_HANDLERS_H

struct conn;
struct handler {
	const char	*name;
	int		 changes_state;	/* only for trusted peers */
	void		(*exec)(struct conn *, json_t *);
};
extern const struct handler *const handlers[];

#endif
