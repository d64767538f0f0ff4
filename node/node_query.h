/* node_query.h -- the EPCIS 2.0 REST query routes of the node's HTTP server
 * (GS1 EPCIS 2.0 §12, openapi.yaml; docs/http.md): a route handler for
 * node_http.h, added after the resolver's.
 *
 *   GET|HEAD /events?{params}   an EPCISQueryDocument (application/ld+json)
 *            of the events matching the parameters (below), one page of
 *            perPage events; when there are more, Link: <...>; rel="next"
 *            with nextPageToken.
 *   GET|HEAD /events/{eventID}  the event whose eventID (ni:///..., URL-encoded
 *            or not, or the bare hash) or event hash it is, as a JSON-LD
 *            event; 404 when the node shows none.
 *   GET|HEAD /eventTypes/{t}/events, /epcs/{epc}/events, /bizSteps/{s}/events,
 *            /bizLocations/{l}/events, /readPoints/{r}/events,
 *            /dispositions/{d}/events: /events with that one more filter
 *            (eventType, MATCH_anyEPC, EQ_bizStep, EQ_bizLocation,
 *            EQ_readPoint, EQ_disposition), and the same parameters.
 *   GET|HEAD /eventTypes        the five event types (a JSON list).
 *   GET|HEAD /bizSteps, /dispositions, /readPoints, /bizLocations   the
 *            values the shown events use (as written, once each, sorted; a
 *            JSON list) from one walk of the log: 413 on a store of more
 *            than NODE_QUERY_WALK_MAX entries.
 *   OPTIONS on these: 204 with Allow.  Every answer carries GS1-EPCIS-Version,
 *            GS1-CBV-Version, GS1-EPCIS-Min, GS1-EPCIS-Max, GS1-Vendor-Version.
 *
 * Parameters (a list value is comma-separated; any one matches):
 *   eventType, EQ_action, EQ_bizStep, EQ_disposition (CBV values in any
 *   form: compared by their short word), EQ_readPoint, EQ_bizLocation
 *   (through the location index: SGLN URN or Digital Link alike),
 *   MATCH_epc (epcList, childEPCs), MATCH_anyEPC (also parentID,
 *   inputEPCList, outputEPCList), MATCH_parentID, MATCH_inputEPC,
 *   MATCH_outputEPC, MATCH_epcClass (quantity lists) -- all through the
 *   identifier index, so an EPC URN and its Digital Link give the same
 *   events; no patterns ("...*") yet -- EQ_eventID, GE_eventTime,
 *   LT_eventTime, GE_recordTime, LT_recordTime (RFC 3339 with a zone),
 *   orderBy=eventTime|recordTime (default eventTime), orderDirection=ASC|DESC
 *   (default ASC), perPage (1..NODE_QUERY_PER_PAGE_MAX, default
 *   NODE_QUERY_PER_PAGE), nextPageToken (as the Link header gave it).
 *   Any other parameter, or a bad value: 400, application/problem+json
 *   whose type is EPCIS's QueryParameterException and whose detail names
 *   the parameter.
 *
 * Who may ask: everyone, unless a gate is set (node_query_set_gate; the
 * node's asks for a bearer token of scope query once the home has tokens,
 * node_capture.h).  POST /events is capture (node_capture.h, whose route
 * comes first).
 *
 * What is shown: as the resolver, the node's own events only, never one it
 * recorded private, never a sealed entry, not the errorDeclaration
 * restatements; to a request that node_query_set_feeds's fn allows, the
 * partners' events too (under the same rules).
 *
 * Bounds (nothing slow on the loop): the candidate events of a request are
 * read from the narrowest index a parameter gives (identifier, location,
 * event ID), else the whole log; more than NODE_QUERY_WALK_MAX candidates
 * is a 413 (QueryTooLargeException) asking for a narrower query.  Each
 * candidate costs one card read (no payload); only the page's events are
 * decoded.
 */
#ifndef NODE_QUERY_H
#define NODE_QUERY_H

#include "ledger_error.h"
#include "ledger_store.h"
#include "node_http.h"

#define NODE_QUERY_PER_PAGE 100      /* events per page when perPage is not given */
#define NODE_QUERY_PER_PAGE_MAX 1000 /* perPage at most */
#define NODE_QUERY_WALK_MAX 20000    /* candidate events read per request, at most */

typedef struct node_query node_query_t;

/* Query routes over st (which must outlive them), showing its own feed's
 * events.  LEDGER_ENOMEM. */
int node_query_new(ledger_store_t *st, node_query_t **out, ledger_err_t *err);
void node_query_free(node_query_t *q);

/* Who may ask: fn is called for every GET or HEAD of these routes before
 * it is answered (not for OPTIONS); it returns 1 when it answered the
 * request itself (a refusal: 401, 403), 0 to go on, or a negative error.
 * NULL (the default): everyone.  The node sets node_capture_query_gate. */
typedef int (*node_query_gate_fn)(void *ctx, const node_http_req_t *req, node_http_resp_t *resp);
void node_query_set_gate(node_query_t *q, node_query_gate_fn fn, void *ctx);

/* Who sees the partners' feeds: fn returns 1 when the request may see
 * every feed the node holds (its own and its partners', never its own
 * private entries, never a sealed entry's payload), else only the node's
 * own events.  NULL (the default): own events only for everyone.  The
 * node's says 1 for a request that carries a token of scope query
 * (docs/http.md, "What the query routes show"). */
typedef int (*node_query_feeds_fn)(void *ctx, const node_http_req_t *req);
void node_query_set_feeds(node_query_t *q, node_query_feeds_fn fn, void *ctx);
/* Runs the gate of node_query_set_gate for req (the named queries' read
 * routes use it): 1 when it answered (a refusal), 0 to go on, <0. */
int node_query_gate_check(node_query_t *q, const node_http_req_t *req, node_http_resp_t *resp);
/* 1 when req may see every feed (the fn above), else 0. */
int node_query_all_feeds(node_query_t *q, const node_http_req_t *req);

/* ---- for named queries and subscriptions (node_namedq.h) ---------------- */

/* Checks params, a query string of /events's parameters without perPage
 * and nextPageToken ("EQ_bizStep=shipping&MATCH_epc=..."), as GET /events
 * would.  0 when it reads; 1 when not, with a 400 QueryParameterException
 * naming the parameter in resp; <0 (LEDGER_ENOMEM). */
int node_query_check(node_query_t *q, const char *params, node_http_resp_t *resp);

/* Answers GET /queries/{name}/events: the events of the stored params as
 * GET /events answers them; req's own query may carry only perPage and
 * nextPageToken (else 400).  1 (answered), or <0. */
int node_query_named(node_query_t *q, const node_http_req_t *req, const char *params,
                     node_http_resp_t *resp);

/* One run of a subscription (node_query_since). */
typedef struct node_query_since {
    const char *params;    /* the stored query (as node_query_check accepts) */
    int all_feeds;         /* 1: partners' feeds too */
    int64_t initial_rt_ms; /* entries at local positions <= initial_upto must have */
    uint64_t initial_upto; /* a recordTime >= initial_rt_ms (initialRecordTime) */
    size_t max;            /* events at most */
    uint64_t upto;         /* look at no position beyond it (0: no bound) */
} node_query_since_t;

/* The events of s->params that reached the store after local position
 * *after, oldest first (local order), at most s->max and from at most
 * NODE_QUERY_WALK_MAX positions: *events a new JSON array of JSON-LD
 * events, *after moved to the last position looked at (call again while
 * it moves).  0; LEDGER_EINPUT when the query cannot be run (a stored
 * query that no longer reads, or one naming more than NODE_QUERY_WALK_MAX
 * events: err says which), LEDGER_EIO, LEDGER_ENOMEM; on error *after is
 * unchanged and *events NULL. */
int node_query_since(node_query_t *q, const node_query_since_t *s, uint64_t *after, json_t **events,
                     ledger_err_t *err);

/* The store's last local position now (0 on error): where a new
 * subscription starts. */
uint64_t node_query_entries(node_query_t *q);

/* An EPCISQueryDocument of events (a JSON array, stolen) for a
 * subscription: queryResults with queryName and subscriptionID.  A new
 * reference, or NULL (out of memory). */
json_t *node_query_document(const char *query_name, const char *subscription_id, json_t *events);

/* 1 when req's Accept asks for EPCIS XML (application/xml or text/xml
 * named, without q=0, before any JSON type), else 0: the query routes'
 * content negotiation, and a subscription's (the WebSocket opening's
 * Accept). */
int node_query_wants_xml(const node_http_req_t *req);

/* The XML form of node_query_document: an EPCIS 2.0 XML
 * EPCISQueryDocument of events (a JSON array, borrowed) with queryName
 * query_name and, when not NULL, subscriptionID subscription_id (with q's
 * namespaces, node_query_set_xml_namespaces; q may be NULL), as text in
 * *buf (malloc'd, *len bytes, the caller frees). 0; LEDGER_EINPUT (an
 * event has no XML form: err says which), LEDGER_ENOMEM, LEDGER_EIO; *buf
 * is then NULL. */
int node_query_xml_document(const node_query_t *q, const char *query_name,
                            const char *subscription_id, const json_t *events, char **buf,
                            size_t *len, ledger_err_t *err);

/* The namespaces of extension prefixes the XML answers use where an event's
 * own @context binds none (keten.json http.xmlNamespaces): n pairs, copied;
 * the ones before are dropped. 0 or LEDGER_ENOMEM (then none). */
int node_query_set_xml_namespaces(node_query_t *q, const char (*prefix)[64],
                                  const char (*uri)[401], size_t n, ledger_err_t *err);

/* Adds the headers of the EPCIS 2.0 REST binding every answer carries
 * (GS1-EPCIS-Version, GS1-CBV-Version, GS1-EPCIS-Min/-Max,
 * GS1-Vendor-Version) to resp: the query's and the capture's. 0 or the
 * code of node_http_resp_header. */
int node_query_gs1_headers(node_http_resp_t *resp);

/* The route handler (node_http_handler_fn); ctx is the node_query_t. */
int node_query_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp);

#endif
