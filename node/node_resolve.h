/* node_resolve.h -- the GS1 Digital Link resolver of the node's HTTP server
 * (GS1-Conformant Resolver standard; docs/http.md): a route handler for
 * node_http.h.
 *
 *   GET|HEAD {prefix}/{a Digital Link path}   /01/{gtin}[/10/{lot}|/21/{serial}],
 *            /00/{sscc}, /414/{gln}, /8003/{grai}, /8004/{giai}, ... every
 *            form gs1_dl (via gs1_ident.h) accepts, with query attributes.
 *     Accept: application/linkset+json, or ?linkType=linkset (or all):
 *            200, an RFC 9264 linkset (application/linkset+json) whose
 *            anchor is the resolver's URI of the identifier (the canonical
 *            path under resolverRoot), with gs1:pip (the product page,
 *            node_page.h: /page/...), gs1:traceability (the events as
 *            JSON, /trace/..., and a second target: the signed bundle,
 *            /bundle/..., NODE_PAGE_BUNDLE_TYPE), gs1:epcis (the EPCIS 2.0
 *            query of its events, application/ld+json: /events?MATCH_anyEPC=
 *            {key} when the shown events name it as an EPC (epcList,
 *            parentID, child, input or output EPCs); MATCH_epcClass={key}
 *            when they name it as the epcClass of a quantity list (a lot, a
 *            class); both when both; EQ_bizLocation= and/or EQ_readPoint=
 *            for a location; the key percent-encoded; absent when no
 *            parameter matches how it is named), gs1:certificationInfo (one per distinct URI of the
 *            certificationInfo of the events /trace/... lists, not of one
 *            declared erroneous by its own partner, at most
 *            NODE_RESOLVE_CERTS_MAX; absent when none) and gs1:defaultLink
 *            (the events);
 *     ?linkType=gs1:pip | gs1:traceability | gs1:epcis |
 *            gs1:certificationInfo | gs1:defaultLink (or the full
 *            https://gs1.org/voc/... URI) | keten:bundle: 307 to that link
 *            (the first target; gs1:traceability to the bundle when Accept
 *            names its type); gs1:epcis or gs1:certificationInfo that the
 *            item has not: 404;
 *     no linkType: 307 to the product page for a browser (Accept: text/html
 *            or application/xhtml+xml first), else to the default link;
 *     another linkType: 404; every answer about an identifier carries
 *            Link: <...?linkType=linkset>; rel="linkset".
 *     A Digital Link that does not parse: 400 naming what is wrong (the
 *     gs1 parser's message).  An identifier of which the node shows no
 *     event: 404.  Both as application/problem+json.
 *   GET|HEAD /trace/{a Digital Link path}   the item's events as JSON
 *            ("keten.resolve.events/1"): the trace of ledger_trace.h (back
 *            and forward, at most NODE_RESOLVE_TRACE_NODES nodes), its
 *            events that the node may show (the first NODE_RESOLVE_EVENTS_MAX
 *            in time order; "truncated" says when there were more).  An
 *            identifier no event names (a GLN) lists the events that
 *            happened at it as bizLocation or readPoint instead (the loc
 *            index, at most NODE_RESOLVE_TRACE_NODES rows read).  What
 *            gs1:traceability and gs1:defaultLink link to.
 *   GET|HEAD /.well-known/gs1resolver   the resolver description.
 *   OPTIONS on these: 204 with Allow.
 *
 * What is shown: the node's own events (its own feed) and those of the
 * feeds the operator made public (conf->public_feeds: keten.json's
 * http.public), never an entry recorded private, never a sealed entry.
 * Partners' events are not published unless listed.
 *
 * Every request is a bounded index walk on the loop thread (the trace's
 * bounds); nothing scans the log.
 */
#ifndef NODE_RESOLVE_H
#define NODE_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"
#include "ledger_store.h"
#include "node_http.h"

#define NODE_RESOLVE_TRACE_NODES 20000 /* nodes of one item's trace, at most */
#define NODE_RESOLVE_EVENTS_MAX 1000   /* events listed by /trace/..., at most */
#define NODE_RESOLVE_PREFIX_MAX 200
#define NODE_RESOLVE_CERTS_MAX 64  /* gs1:certificationInfo links of one item, at most */
#define NODE_RESOLVE_CERT_LEN 1500 /* a certificate URI longer than this is not linked */

typedef struct node_resolve_conf {
    const char *prefix;   /* path prefix of Digital Links: "" or "/gs1" (no trailing '/') */
    const char *base_url; /* "https://example.com": the links' scheme and host; NULL:
                             http:// and the request's Host (else listen) */
    const char *listen;   /* the HTTP listen address (for links when no Host is sent) */
    const char *name;     /* the node's name, for the description */
    /* the feeds whose events are shown besides the node's own (keten.json's
     * http.public, node_public_feeds); NULL/0: own events only */
    const uint8_t (*public_feeds)[32];
    size_t npublic;
} node_resolve_conf_t;

typedef struct node_resolve node_resolve_t;

/* A resolver over st (which must outlive it) with its own feed self.
 * LEDGER_EINPUT for a bad prefix or base URL, LEDGER_ENOMEM. */
int node_resolve_new(ledger_store_t *st, const node_resolve_conf_t *conf, node_resolve_t **out,
                     ledger_err_t *err);
void node_resolve_free(node_resolve_t *r);

/* The route handler (node_http_handler_fn); ctx is the node_resolve_t. */
int node_resolve_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp);

#endif
