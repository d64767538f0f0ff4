/* node_page.h -- the product page of the node's HTTP server (docs/http.md):
 * a route handler for node_http.h that serves
 *
 *   GET|HEAD /page/{a Digital Link path}   the product page (web/page.html):
 *            what gs1:pip links to, and where the resolver sends a browser
 *            (Accept: text/html first).  Its script fetches the item's
 *            bundle (below), verifies it in the browser (web/keten-verify.js)
 *            and shows the story as a timeline.  A Digital Link that does
 *            not parse: 400; a path that is none: 404.
 *   GET|HEAD /bundle/{a Digital Link path}  the item's provenance bundle
 *            (ledger_bundle.h), application/vnd.keten.bundle+cbor, made now
 *            and signed by the node's key: the steps of ledger_bundle_steps
 *            (at most NODE_PAGE_TRACE_NODES trace nodes), only the events of
 *            the node's own feed and of the public feeds (conf->public_feeds)
 *            disclosed: other partners' steps and private entries appear
 *            sealed, no sealed payload is ever sent.  404 when the node
 *            holds no event of the item, or none of those feeds'.
 *            Server-Timing: bundle;dur=<ms> says how long the bundle took
 *            to make.
 *   GET|HEAD /_keten/ (or /_keten/verify)  the same page without an item:
 *            a buyer opens or drops a bundle file onto it.
 *   GET|HEAD /_keten/{file}  the page's files (page.css, page.js,
 *            keten-verify.js, ...), embedded in the program at build time
 *            (node_page_assets, generated from web/ by web/embed.py), with
 *            their Content-Type, an ETag (304 on If-None-Match) and
 *            Cache-Control.  /_keten/keten-sw.js is the page's service
 *            worker (it keeps the page for use offline, web/keten-sw.js):
 *            Cache-Control: no-cache and Service-Worker-Allowed: /.
 *   OPTIONS on these: 204 with Allow; another method: 405.
 *
 * Every answer of these routes carries a strict Content-Security-Policy
 * (scripts, styles and fetches from the server itself only: no inline
 * script or style, no frames), X-Content-Type-Options: nosniff and
 * Referrer-Policy: no-referrer.
 *
 * A bundle is made on the loop thread: a bounded trace (the resolver's
 * bounds) and one signature; docs/http.md gives the time it takes.
 */
#ifndef NODE_PAGE_H
#define NODE_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_epcis.h"
#include "ledger_error.h"
#include "ledger_identity.h"
#include "ledger_store.h"
#include "node_http.h"

#define NODE_PAGE_ROUTE "/page"     /* the product page: /page/01/... */
#define NODE_PAGE_BUNDLE "/bundle"  /* the bundle: /bundle/01/... */
#define NODE_PAGE_ASSETS "/_keten/" /* the page's files */
#define NODE_PAGE_SW "keten-sw.js"  /* among them, the page's service worker */
#define NODE_PAGE_BUNDLE_TYPE "application/vnd.keten.bundle+cbor"
#define NODE_PAGE_TRACE_NODES 20000 /* nodes of one item's trace, at most */

/* One embedded file of web/. */
typedef struct node_page_asset {
    const char *name;  /* "page.js" */
    const char *ctype; /* "text/javascript; charset=utf-8" */
    const unsigned char *data;
    size_t len;
    const char *etag; /* "\"<16 hex of its SHA-256>\"" */
} node_page_asset_t;

/* The files, generated at build time (build/gen/node_page_assets.c). */
extern const node_page_asset_t node_page_assets[];
extern const size_t node_page_nassets;

/* The embedded file called name, NULL when there is none. */
const node_page_asset_t *node_page_asset(const char *name);

/* The feeds whose events the public routes show (the product page's
 * bundle here, the resolver's trace and linkset in node_resolve.h): the
 * node's own and the feeds the operator made public (keten.json's
 * http.public).  The one list both build and ask. */
typedef struct node_page_feeds {
    uint8_t self[32];
    uint8_t (*pub)[32]; /* the public feeds but self, each once */
    size_t npub;
} node_page_feeds_t;

/* Fills f (which it owns until node_page_feeds_free) with self and the n
 * feeds pub (NULL/0: none), self and repeats kept out.  LEDGER_ENOMEM, f
 * then empty. */
int node_page_feeds_init(node_page_feeds_t *f, const uint8_t self[32], const uint8_t (*pub)[32],
                         size_t n, ledger_err_t *err);

/* Is feed shown (self or one of f's public feeds)? */
int node_page_feeds_has(const node_page_feeds_t *f, const uint8_t feed[32]);

/* Frees f's list; f is empty after (and may be freed again). */
void node_page_feeds_free(node_page_feeds_t *f);

/* Names a partner for the bundle: writes its name (or "") into
 * out[0..cap) and returns out. */
typedef const char *(*node_page_name_fn)(void *ctx, const uint8_t feed[32], char *out, size_t cap);

typedef struct node_page_conf {
    const ledger_identity_t *id; /* signs the bundles; must outlive the page */
    node_page_name_fn name;      /* NULL: partners get no name */
    void *name_ctx;
    /* the feeds whose events are disclosed besides the node's own
     * (keten.json's http.public, node_public_feeds); NULL/0: own only */
    const uint8_t (*public_feeds)[32];
    size_t npublic;
} node_page_conf_t;

typedef struct node_page node_page_t;

/* The page routes over st (which must outlive them).  LEDGER_EINPUT
 * without an identity, LEDGER_ENOMEM. */
int node_page_new(ledger_store_t *st, const node_page_conf_t *conf, node_page_t **out,
                  ledger_err_t *err);
void node_page_free(node_page_t *p);

/* The bundle of the identifier key (as the route makes it) appended to
 * out; *ms (may be NULL) the milliseconds it took.  LEDGER_ENOTFOUND
 * (message in err) when the node holds no event of it or none of its own
 * or a public feed's,
 * the errors of ledger_bundle_steps and ledger_bundle_create. */
int node_page_bundle(node_page_t *p, const ledger_key_t *key, ledger_buf_t *out, double *ms,
                     ledger_err_t *err);

/* The route handler (node_http_handler_fn); ctx is the node_page_t. */
int node_page_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp);

#endif
