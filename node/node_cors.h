/* node_cors.h -- CORS (the Fetch standard's cross-origin rules) for some
 * of the node's HTTP routes, off unless the operator lists origins
 * (keten.json's http.cors; docs/http.md).
 *
 * A node_cors_t wraps one route handler (node_http.h): it asks that
 * handler, and when the handler answered a request whose Origin header
 * is a listed origin (exactly, as the browser sends it: scheme, host and
 * port; or any origin when "*" is listed) it adds to the answer
 *   Access-Control-Allow-Origin: <that origin> (or *)
 *   Access-Control-Expose-Headers: Location, Link, GS1-EPCIS-Version, ...
 * and, to a preflight (OPTIONS with Access-Control-Request-Method; the
 * routes answer OPTIONS themselves, 204),
 *   Access-Control-Allow-Methods, Access-Control-Allow-Headers
 *   (Authorization, Content-Type, Accept and the GS1 request headers),
 *   Access-Control-Max-Age: 600.
 * Every answer to a request with an Origin header carries Vary: Origin
 * (a cache must not hand one origin's answer to another).  An origin not
 * listed gets none of these: the browser withholds the answer from its
 * script.  No Access-Control-Allow-Credentials: cookies are not used; a
 * bearer token goes in Authorization, which the preflight allows.
 *
 * node.c wraps the public routes (resolver, page and bundle) and the
 * query routes; capture is for servers, not wrapped.
 */
#ifndef NODE_CORS_H
#define NODE_CORS_H

#include <stddef.h>

#include "ledger_error.h"
#include "node_http.h"

#define NODE_CORS_MAX 32         /* origins listed, at most */
#define NODE_CORS_ORIGIN_MAX 256 /* bytes of one origin, with its NUL */

/* 1 when s is an origin that may be listed: "*", or http(s)://host[:port]
 * (letters, digits, '.', '-', an [IPv6] in brackets; no path, no trailing
 * '/'), else 0. */
int node_cors_origin_ok(const char *s);

typedef struct node_cors node_cors_t;

/* A wrapper of the handler fn (with ctx) allowing the norigins origins
 * (copied); methods: the Access-Control-Allow-Methods value ("GET, HEAD,
 * OPTIONS").  LEDGER_EINPUT for an origin node_cors_origin_ok refuses,
 * LEDGER_ENOMEM. */
int node_cors_new(const char (*origins)[NODE_CORS_ORIGIN_MAX], size_t norigins,
                  node_http_handler_fn fn, void *ctx, const char *methods, node_cors_t **out,
                  ledger_err_t *err);
void node_cors_free(node_cors_t *c);

/* The route handler (node_http_handler_fn); ctx is the node_cors_t. */
int node_cors_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp);

#endif
