/*
 * cluster.h - what weftd and weft-runner share about a weft cluster: the
 * cluster: settings, the Redis address, and the names of the keys.
 *
 * A cluster is weftd nodes that share one Redis (7.0 or later), used as
 * the broker through Streams consumer groups, the way Celery, Sidekiq and
 * BullMQ use it; weft has no cluster protocol of its own.  The keys:
 *
 *   weft:nodes            hash: node -> {"slots", "workloads": {name:
 *                         ABI major}, "seen": unix time}, written by
 *                         each worker node every HEARTBEAT_MS
 *   weft:active           hash: run key -> {"workload", "abi", "ntasks"}:
 *                         the cluster runs workers should take part in
 *   weft:dead             list: dead letters, JSON, newest first (capped)
 *   weft:runs             Pub/Sub channel: a run key, when it is added
 *                         to weft:active (workers also poll every 1 s)
 *   weft:run:NODE:ID      a run's key prefix K (NODE: its coordinator):
 *     K:spec              the job as its coordinator runs it (JSON)
 *     K:tasks             stream, group "w": one entry per task, id
 *                         0-(task + 1), so a retried XADD cannot add it
 *                         twice; pending entries are leases
 *     K:done              hash: task -> node: the one outcome that counts
 *     K:out               stream: the outcomes, read by the coordinator
 *     K:state             "run", "cancel" or "end"
 *     K:why               hash: task -> why its worker died running it
 *     K:stale             counter: outcomes refused (a task run twice)
 */
#ifndef WEFT_CLUSTER_H
#define WEFT_CLUSTER_H

#include <stdint.h>

#include <jansson.h>

#define CLUSTER_GROUP		"w"
#define CLUSTER_NODES		"weft:nodes"
#define CLUSTER_ACTIVE		"weft:active"
#define CLUSTER_ANNOUNCE	"weft:runs"	/* channel: a run began */
#define CLUSTER_DEAD		"weft:dead"
#define CLUSTER_DEAD_MAX	10000	/* dead letters kept */
#define CLUSTER_HEARTBEAT_MS	2000	/* worker nodes announce themselves */
#define CLUSTER_NODE_TTL_S	10	/* a node not seen this long is gone */

struct redis_addr {
	char		*host;		/* TCP, or NULL */
	int		 port;
	char		*unix_path;	/* or a Unix socket */
	char		*user;		/* AUTH user password (Redis 6 ACL) */
	char		*password;	/* AUTH password; NULL: none */
	int		 db;
};

struct cluster_conf {
	char		*redis;		/* as written, without a password */
	struct redis_addr addr;
	char		*node;		/* this node's name */
	uint64_t	 lease_ms;
	int		 max_deliveries;
	int		 worker;	/* this node runs cluster tasks */
	int		 slots;		/* tasks at once (worker) */
	char		*strategy;	/* the local strategy running them */
};

int	 redis_addr_parse(const char *, struct redis_addr *, char **);
void	 redis_addr_clear(struct redis_addr *);
char	*redis_addr_string(const struct redis_addr *);
void	 cluster_conf_free(struct cluster_conf *);
json_t	*cluster_conf_json(const struct cluster_conf *);
int	 cluster_conf_from_json(const json_t *, struct cluster_conf *,
	    char **);

#endif
