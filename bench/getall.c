/*
 * getall.c - the raw libcurl program the download benchmarks are
 * measured against: GET every URL of FILE (one per line), at most C
 * transfers in flight, through one multi handle driven by
 * curl_multi_socket_action on epoll (the way curl's hiperfifo example
 * drives it on libevent), easy handles reused, bodies discarded.
 * Prints the wall seconds; exits 1 if a transfer failed.  With a user
 * agent, it sends what weft's download sends by default: that
 * User-Agent in the header list, a 30 s timeout, 10 s to connect; with
 * a buffer size too, it reads into a buffer of that many KB, as weft's
 * download does (64 by default) and curl's own default (16) does not.
 *
 *   getall FILE C [USER-AGENT [BUFFER-KB]]
 */
#include <sys/epoll.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

static int		 ep;
static long		 timeout_ms = -1;	/* the multi's timer; -1: none */
static char		**urls;
static size_t		 nurls, next_url, inflight, done;
static long		 failed;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* on_socket - libcurl says what to watch on s. */
static int
on_socket(CURL *e, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct epoll_event ev = { 0 };

	(void)e;
	(void)arg;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	ev.data.fd = s;
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) |
	    (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev) != 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	(void)sockp;
	return 0;
}

static int
on_timer(CURLM *m, long ms, void *arg)
{
	(void)m;
	(void)arg;
	timeout_ms = ms;
	return 0;
}

/* start - give e the next URL, if any.  1 if it was started. */
static int
start(CURLM *m, CURL *e)
{
	if (next_url == nurls)
		return 0;
	curl_easy_setopt(e, CURLOPT_URL, urls[next_url++]);
	curl_multi_add_handle(m, e);
	inflight++;
	return 1;
}

/* reap - finished transfers: count failures, reuse their handles. */
static void
reap(CURLM *m)
{
	CURLMsg	*msg;
	int	 left;

	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		CURL	*e = msg->easy_handle;
		long	 code = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
		if (msg->data.result != CURLE_OK || code != 200)
			failed++;
		inflight--;
		done++;
		curl_multi_remove_handle(m, e);
		if (!start(m, e))
			curl_easy_cleanup(e);
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event	 evs[256];
	FILE			*f;
	CURLM			*m;
	char			*line = NULL;
	size_t			 cap = 0, cap_urls = 0;
	ssize_t			 len;
	long			 c, bufkb = 0;
	int			 running = 1;
	double			 t0;
	char			 ua[512];
	struct curl_slist	*headers = NULL;

	if (argc < 3 || argc > 5 || (c = atol(argv[2])) < 1 ||
	    (argc == 5 && (bufkb = atol(argv[4])) < 1) ||
	    (f = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: getall FILE CONCURRENCY "
		    "[USER-AGENT [BUFFER-KB]]\n");
		return 2;
	}
	if (argc == 4) {
		snprintf(ua, sizeof ua, "User-Agent: %s", argv[3]);
		headers = curl_slist_append(NULL, ua);
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (nurls == cap_urls) {
			cap_urls = cap_urls ? 2 * cap_urls : 1024;
			urls = realloc(urls, cap_urls * sizeof *urls);
		}
		urls[nurls++] = strdup(line);
	}
	fclose(f);
	t0 = now();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ep = epoll_create1(EPOLL_CLOEXEC);
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, c);
	for (long i = 0; i < c; i++) {
		CURL *e = curl_easy_init();

		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		if (bufkb > 0)
			curl_easy_setopt(e, CURLOPT_BUFFERSIZE, bufkb * 1024);
		if (headers != NULL) {
			curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
			curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
			curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
		}
		if (!start(m, e)) {
			curl_easy_cleanup(e);
			break;
		}
	}
	curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
	/* Until every transfer is done: curl's running count can be 0
	 * while the handles just added have not been started yet. */
	while (inflight > 0) {
		int n = epoll_wait(ep, evs, 256, timeout_ms < 0 ? 1000 :
		    (int)timeout_ms);

		if (n == 0)
			curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0,
			    &running);
		for (int i = 0; i < n; i++) {
			int mask = (evs[i].events & EPOLLIN ?
			    CURL_CSELECT_IN : 0) | (evs[i].events & EPOLLOUT ?
			    CURL_CSELECT_OUT : 0) | (evs[i].events &
			    (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);

			curl_multi_socket_action(m, evs[i].data.fd, mask,
			    &running);
		}
		reap(m);
		/* A timer that fired while sockets were busy. */
		if (timeout_ms == 0)
			curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0,
			    &running);
		reap(m);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(headers);
	printf("%.6f\n", now() - t0);
	if (done != nurls) {
		fprintf(stderr, "getall: %zu of %zu transfers done\n", done,
		    nurls);
		return 1;
	}
	if (failed > 0) {
		fprintf(stderr, "getall: %ld transfers failed\n", failed);
		return 1;
	}
	return 0;
}
