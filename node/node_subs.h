/* node_subs.h -- live subscriptions to named queries over WebSocket
 * (EPCIS 2.0 openapi.yaml: GET /queries/{name}/events with Upgrade:
 * websocket; docs/http.md "Live subscriptions").
 *
 * A subscriber opens a WebSocket (node_ws.h) on a named query; from then
 * on every new event of the store that the query matches (captured over
 * HTTP, recorded by `keten record`, arriving by replication from a
 * partner) is sent to it as an EPCISQueryDocument in a text frame (at most
 * NODE_SUBS_EVENTS_PER_DOC events per document; queryResults.queryName
 * and .subscriptionID say which subscription it is).  "New" is by local
 * position: what reached the store after the subscription opened (or,
 * with initialRecordTime, also the older entries recorded since then).
 *
 * Query parameters of the opening request:
 *   stream=true        required (the openapi: a subscription without a
 *                      schedule must ask for the stream); the schedule
 *                      parameters (second, minute, hour, dayOfMonth,
 *                      month, dayOfWeek) are a 400: not supported.
 *   initialRecordTime  RFC 3339: first send the matching events already
 *                      stored whose recordTime is at or after it (then
 *                      the new ones).
 *   reportIfEmpty      true: send a document also when that first look
 *                      finds nothing (an empty eventList), so the client
 *                      knows the subscription is live.
 *
 * When: node_subs_poll, which the node calls whenever its feeds' heads may
 * have moved (after a group commit of replicated entries, after a capture,
 * when another process wrote to the store, and every 200 ms), sends what
 * is new.  Bounds, so that nothing slow runs on the loop: one poll looks
 * at most NODE_SUBS_WINDOW new local positions in all, shared between the
 * subscriptions (each at least 256; the rest in the next polls); at most
 * NODE_SUBS_MAX subscriptions at once (the next gets 503); nothing more is
 * read for a subscriber while more than a quarter of NODE_SUBS_QUEUE_MAX
 * of what it was sent waits unsent (it lags; a backlog goes out as fast as
 * it reads), and one that stays so for NODE_SUBS_STALL_MS, or whose unsent
 * bytes would pass NODE_SUBS_QUEUE_MAX, is dropped (its connection closed
 * without a close frame: it does not read); a ping every
 * NODE_SUBS_PING_MS, and a subscriber that sent nothing (not even a pong)
 * for NODE_SUBS_DEAD_MS is closed.  A client frame that breaks RFC 6455 or
 * node_ws.h's limits closes that connection (1002, 1009) and no other.
 *
 * Who sees what: the request that opened the subscription decides
 * (node_query_all_feeds), once; a token revoked later does not end a
 * subscription made with it (the connection does).
 */
#ifndef NODE_SUBS_H
#define NODE_SUBS_H

#include <jansson.h>
#include <uv.h>

#include "ledger_error.h"
#include "node_http.h"
#include "node_query.h"

#define NODE_SUBS_MAX 64                  /* live subscriptions at once */
#define NODE_SUBS_QUEUE_MAX (1024 * 1024) /* unsent bytes before a subscriber is dropped */
#define NODE_SUBS_EVENTS_PER_DOC 100      /* events per EPCISQueryDocument frame */
#define NODE_SUBS_WINDOW 20000            /* new local positions looked at per poll */
#define NODE_SUBS_STALL_MS 10000 /* over a quarter of the queue unsent this long: dropped */
#define NODE_SUBS_PING_MS 20000
#define NODE_SUBS_DEAD_MS 60000

typedef struct node_subs node_subs_t;

/* Subscriptions answered through q (which must outlive them), timed by
 * loop.  LEDGER_ENOMEM. */
int node_subs_new(uv_loop_t *loop, node_query_t *q, node_subs_t **out, ledger_err_t *err);
/* Frees; call after the HTTP server closed its connections (each
 * connection's close ends its subscription).  NULL is fine. */
void node_subs_free(node_subs_t *s);

/* Opens a subscription on the named query name (stored parameters params)
 * when req asks for a WebSocket: the answer in resp is then the 101 (or a
 * 400, 426, 503) and 1 is returned.  0 when req asks for no upgrade (the
 * caller answers it), <0 (LEDGER_ENOMEM). */
int node_subs_start(node_subs_t *s, const node_http_req_t *req, const char *name,
                    const char *params, node_http_resp_t *resp);

/* Sends what is new to every subscriber (see above).  Runs on the loop. */
void node_subs_poll(node_subs_t *s);

/* Closes every subscription of query name (it was deleted): close frame
 * 1001 with the reason. */
void node_subs_drop(node_subs_t *s, const char *name);

/* The live subscriptions of name: a new JSON array of {"subscriptionID",
 * "stream": true, "createdAt", "keten:eventsSent"}, or NULL (no memory). */
json_t *node_subs_list(node_subs_t *s, const char *name);

/* Live subscriptions now. */
size_t node_subs_count(const node_subs_t *s);

#endif
