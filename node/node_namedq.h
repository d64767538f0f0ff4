/* node_namedq.h -- EPCIS 2.0 named queries (openapi.yaml /queries;
 * docs/http.md "Named queries"): a route handler for node_http.h, added
 * before the query routes.
 *
 *   POST /queries      body {"name": NAME, "query": {PARAM: VALUE or
 *            [VALUES], ...}} (the openapi's QueryDefinition; "query" may
 *            also be the query string GET /events takes,
 *            "EQ_bizStep=shipping&MATCH_epc=..."), with the parameters of
 *            GET /events except perPage and nextPageToken, checked as
 *            GET /events checks them.  201 Created, Location:
 *            /queries/NAME.  409 ResourceAlreadyExistsException for a name
 *            that is taken, 400 for a bad name, body or parameter, 413 past
 *            NODE_NAMEDQ_MAX queries, 415 for a body that is not JSON.
 *   GET /queries       the named queries, oldest first: [{"name", "query"}].
 *   GET /queries/NAME  one: {"name", "query", "createdAt", "createdBy"}.
 *   DELETE /queries/NAME   204; its live subscriptions are closed (1001).
 *   GET /queries/NAME/events   the query's answer, an EPCISQueryDocument
 *            exactly as GET /events with the stored parameters answers it
 *            (paged with perPage and nextPageToken, the only parameters
 *            taken here); with Upgrade: websocket, a live subscription
 *            (node_subs.h), as the openapi describes it.
 *   GET /queries/NAME/subscriptions   with Upgrade: websocket, the same
 *            live subscription; without, the query's live subscriptions
 *            as a JSON list.
 *   OPTIONS on these: 204 with Allow.  Every answer carries the GS1-EPCIS-*
 *            headers.  404 NoSuchResourceException for an unknown NAME.
 *
 * Names: 1..NODE_NAMEDQ_NAME_MAX bytes of letters, digits, '-', '_', '.'.
 *
 * Who may: reading (GET, HEAD, the subscriptions) as the query routes (the
 * gate of node_query_set_gate); creating and deleting always need a token
 * of scope query, also before the home has any token (401): they write to
 * the home, and a node whose queries are open (no token made yet) should
 * not let every local process leave queries behind.  A query's answer
 * shows what the asking request may see (node_query_set_feeds), not what
 * its creator could.
 *
 * Storage: <home>/queries.json, {"keten-queries": 1, "queries": [{"name",
 * "query", "params", "createdAt", "createdBy"}]}, replaced atomically
 * (node_file_replace: tmp file, fsync, rename) on every change, mode 0600.
 * A file and not an LMDB table: the loop would have to wait for the
 * store's writer lock (held by a capture's writer thread or a `keten
 * record` in another process for the length of an fsync'd append); the
 * file is small (at most NODE_NAMEDQ_MAX queries) and read once at start.
 * The write and its fsync run on the loop (p50 5.4 ms, at most 29 ms
 * measured on a shared machine): queries are made rarely.  A
 * damaged file stops the node from starting (it is the operator's).
 */
#ifndef NODE_NAMEDQ_H
#define NODE_NAMEDQ_H

#include "ledger_error.h"
#include "node_http.h"
#include "node_query.h"
#include "node_subs.h"
#include "node_token.h"

#define NODE_NAMEDQ_FILE "queries.json"
#define NODE_NAMEDQ_MAX 100         /* named queries in one home, at most */
#define NODE_NAMEDQ_NAME_MAX 64     /* bytes of a query's name */
#define NODE_NAMEDQ_PARAMS_MAX 4096 /* bytes of its query string, at most */

typedef struct node_namedq node_namedq_t;

/* The named queries of home, read from its queries.json (none when it is
 * absent), answered through q, guarded by tokens, with live subscriptions
 * by subs (NULL: no subscriptions, a WebSocket is a 501); all must outlive
 * it.  LEDGER_EINPUT for a damaged file (err names it), LEDGER_EIO,
 * LEDGER_ENOMEM. */
int node_namedq_open(const char *home, node_query_t *q, node_tokens_t *tokens, node_subs_t *subs,
                     node_namedq_t **out, ledger_err_t *err);
void node_namedq_close(node_namedq_t *nq);

/* The route handler (node_http_handler_fn); ctx is the node_namedq_t. */
int node_namedq_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp);

#endif
