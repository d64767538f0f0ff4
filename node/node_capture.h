/* node_capture.h -- the EPCIS 2.0 REST capture routes of the node's HTTP
 * server (GS1 EPCIS 2.0 §12, openapi.yaml; docs/http.md "Capture"), and the
 * bearer-token gate of the query routes.  A route handler for node_http.h,
 * added before the query routes (it takes POST /events).
 *
 *   POST /capture      body: an EPCISDocument or EPCISQueryDocument
 *            (application/ld+json or application/json; also an array of
 *            events or one event, as `keten record` reads).  202 Accepted,
 *            Location: /capture/{captureID}, the job as body; the document
 *            is then checked and stored by the writer (node_writer.h), all
 *            or nothing under GS1-Capture-Error-Behaviour rollback (the
 *            default); under proceed every good event is stored and each
 *            bad one or duplicate is an error of the job naming its index
 *            (node_writer.h); another value is a 400.  More than NODE_CAPTURE_EVENTS_MAX
 *            events fail the job (GS1-EPCIS-Capture-Limit); a body over the
 *            server's body limit is the server's 413
 *            (GS1-EPCIS-Capture-File-Size-Limit).  503 with Retry-After when
 *            NODE_WRITER_QUEUE_MAX captures wait already.
 *   POST /events       one event (a document of one event too): stored by
 *            the writer like a capture, and answered only then
 *            (node_http_defer: the loop goes on meanwhile): 201 Created
 *            with Location: /events/{eventID} (percent-encoded as one path
 *            segment, as GET /events/{eventID} reads it) and the event as
 *            stored (eventID added) after the commit is durable; 400 for a
 *            bad event (the detail names the field), 409 for a duplicate,
 *            413 for more than one event, 503 when the writer's queue is
 *            full.  No capture job is kept for it.
 *   GET|HEAD /capture/{captureID}   the CaptureJob: captureID, createdAt,
 *            finishedAt (when done), running, success,
 *            captureErrorBehaviour, errors (RFC 7807 problems whose detail
 *            names the event: "document: event 1: epcList[0]: ...";
 *            proceed: one per event not stored, with keten:event its index),
 *            and keten:events / keten:stored / keten:firstSeq / keten:lastSeq
 *            (proceed: keten:failed).
 *            404 for a job not (or no longer) kept.
 *   GET|HEAD /capture  the kept jobs, newest first (a JSON array), paged:
 *            perPage (1..NODE_CAPTURE_JOBS, default NODE_CAPTURE_PER_PAGE),
 *            nextPageToken, Link rel="next" while more are kept.
 *   OPTIONS /capture, /capture/{id}: 204 with Allow and the GS1 capture
 *            headers (GS1-Capture-Error-Behaviour: all).  Every answer carries the GS1-EPCIS-* headers.
 *
 * Jobs are kept in the home (node_jobs.h: <home>/capture-jobs.jsonl), the
 * last NODE_CAPTURE_JOBS of them: GET /capture/{id} gives the same job
 * after a restart.  A job running when the node was killed is given as
 * failed, keten:interrupted (its events are stored only if the query
 * routes show them).
 *
 * Tokens (node_token.h): every capture route needs a token with scope
 * capture; when the home has no tokens at all the answer is 401 saying to
 * run `keten token add`.  401 carries WWW-Authenticate: Bearer; a known
 * token without the scope is 403.  Nothing about tokens is logged except
 * the token's name.
 */
#ifndef NODE_CAPTURE_H
#define NODE_CAPTURE_H

#include <uv.h>

#include "ledger_error.h"
#include "ledger_identity.h"
#include "ledger_store.h"
#include "node_http.h"
#include "node_token.h"

#define NODE_CAPTURE_EVENTS_MAX 10000 /* events per captured document, at most */
#define NODE_CAPTURE_JOBS 256         /* capture jobs kept for GET /capture/{id} */
#define NODE_CAPTURE_PER_PAGE 30      /* jobs per page of GET /capture by default */

typedef struct node_capture node_capture_t;

/* Called on the loop after a capture stored events (the node pushes them
 * to its partners). */
typedef void (*node_capture_stored_fn)(void *ctx, size_t events);

/* Capture routes storing into st's own feed, signed with id, through a
 * writer thread on loop; tokens decides who may (all must outlive it); the
 * jobs are kept in the home directory home.  body_max is the server's body
 * limit (announced).  LEDGER_ENOMEM, LEDGER_EIO, LEDGER_EINPUT (the jobs
 * file is not one: node_jobs_open). */
int node_capture_new(uv_loop_t *loop, const char *home, ledger_store_t *st,
                     const ledger_identity_t *id, node_tokens_t *tokens, size_t body_max,
                     node_capture_stored_fn stored, void *ctx, node_capture_t **out,
                     ledger_err_t *err);
/* Stops the writer (waits for a running capture) and frees.  NULL is fine. */
void node_capture_free(node_capture_t *c);

/* The route handler (node_http_handler_fn); ctx is the node_capture_t. */
int node_capture_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp);

/* The query routes' gate (node_query_gate_fn): once the home has a
 * tokens.json, a token with scope query; else open.  1 when it answered
 * (401/403/503), 0 to go on.  ctx is the node_tokens_t. */
int node_capture_query_gate(void *ctx, const node_http_req_t *req, node_http_resp_t *resp);

#endif
