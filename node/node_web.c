/* node_web.c -- the node's HTTP side: started from keten.json and the
 * command line, read again on SIGHUP (see node_web.h).
 *
 * How a reload works: the settings are loaded and checked, then everything
 * that depends on them and can be replaced is built anew beside the old --
 * the resolver, the product page and the CORS wrappers (the "public"
 * routes) -- and, when the address changed, the new listener bound.  Only
 * when all of that succeeded are the routes swapped (node_http_route_replace)
 * and the old objects freed: handlers run on the loop, as this does, so no
 * request is inside them.  The capture writer, the tokens, the query routes,
 * subscriptions and named queries are not rebuilt: they hold work in
 * flight and nothing in "http" configures them but the body limit, which
 * the server enforces.
 */
#include "node_web.h"

#include <string.h>

#include "node__int.h"
#include "node_state.h"

/* the routes, in the order they are added */
enum { ROUTE_CAPTURE, ROUTE_NAMEDQ, ROUTE_QUERY, ROUTE_PAGE, ROUTE_RESOLVE };

/* What a reload replaces. */
typedef struct {
    node_resolve_t *resolve;
    node_page_t *page;
    node_cors_t *cors[3]; /* around the query, page and resolver routes, or NULL */
} web_pub_t;

static void http_log(void *ctx, const char *peer, const char *line)
{
    node_log_from(ctx, peer, "%s", line);
}

static void on_captured(void *ctx, size_t events)
{
    node_t *n = ctx;
    if (n->web_captured)
        n->web_captured(n, events);
}

/* A partner's name for the bundles of the product page: the node's own,
 * the peer's in peers.json, else the one learned from partners. */
static const char *feed_name(void *ctx, const uint8_t feed[32], char *out, size_t cap)
{
    node_t *n = ctx;
    const node_peer_t *p;
    const char *s;
    char hex[65];
    out[0] = '\0';
    if (!memcmp(feed, n->self, 32))
        snprintf(out, cap, "%s", n->name);
    else if ((p = node_peers_find(&n->peers, feed)) && p->name[0])
        snprintf(out, cap, "%s", p->name);
    else if ((s = json_string_value(json_object_get(n->names, ledger_hex(feed, 32, hex)))))
        snprintf(out, cap, "%s", s);
    return out;
}

/* Who sees the partners' feeds in the query routes: a request with a
 * token of scope query (node_query_set_feeds). */
static int query_all_feeds(void *ctx, const node_http_req_t *req)
{
    node_t *n = ctx;
    return node_tokens_check(n->tokens, node_http_header(req, "Authorization"), NODE_SCOPE_QUERY,
                             NULL) == NODE_AUTH_OK;
}

/* keten.json's "http" with --http over its address; checked. */
static int load_conf(node_t *n, node_http_conf_t *hc, ledger_err_t *err)
{
    int rc;
    if ((rc = node_http_conf_load(n->home_path, hc, err)))
        return rc;
    if (n->opt.http) {
        snprintf(hc->listen, sizeof hc->listen, "%s", n->opt.http);
        hc->expose = hc->expose || n->opt.http_expose;
    }
    if (hc->listen[0] && !node_addr_is_loopback(hc->listen) && !hc->expose)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "HTTP address %s is not a loopback address: the node serves HTTP "
                              "beyond this machine only with --http-expose (or \"expose\": true "
                              "in keten.json's \"http\"; docs/http.md)",
                              hc->listen);
    return 0;
}

static void pub_free(web_pub_t *w)
{
    node_resolve_free(w->resolve);
    node_page_free(w->page);
    for (int i = 0; i < 3; i++)
        node_cors_free(w->cors[i]);
    memset(w, 0, sizeof *w);
}

/* The resolver, the page and the CORS wrappers of hc (the query routes'
 * wrapper around n->query).  On failure nothing is left. */
static int pub_new(node_t *n, const node_http_conf_t *hc, web_pub_t *w, ledger_err_t *err)
{
    node_resolve_conf_t rconf;
    node_page_conf_t pc = {n->id, feed_name, n, NULL, 0};
    uint8_t pubfeeds[NODE_PUBLIC_MAX * 2 + 1][32];
    size_t npub = 0;
    node_http_handler_fn fns[3] = {node_query_handle, node_page_handle, node_resolve_handle};
    void *ctxs[3];
    int rc;
    memset(w, 0, sizeof *w);
    memset(&rconf, 0, sizeof rconf);
    rconf.prefix = hc->prefix;
    rconf.base_url = hc->base_url;
    rconf.listen = hc->listen;
    rconf.name = n->name;
    if ((rc = node_public_feeds(&hc->pub, &n->peers, ledger_store_self(n->st), pubfeeds,
                                NODE_PUBLIC_MAX * 2 + 1, &npub, err)))
        return rc;
    rconf.public_feeds = (const uint8_t(*)[32])pubfeeds;
    rconf.npublic = npub;
    pc.public_feeds = (const uint8_t(*)[32])pubfeeds;
    pc.npublic = npub;
    if ((rc = node_resolve_new(n->st, &rconf, &w->resolve, err)) ||
        (rc = node_page_new(n->st, &pc, &w->page, err)))
        goto fail;
    ctxs[0] = n->query;
    ctxs[1] = w->page;
    ctxs[2] = w->resolve;
    for (int i = 0; i < 3 && hc->ncors; i++)
        if ((rc = node_cors_new((const char(*)[NODE_CORS_ORIGIN_MAX])hc->cors, hc->ncors, fns[i],
                                ctxs[i], "GET, HEAD, OPTIONS", &w->cors[i], err)))
            goto fail;
    return 0;
fail:
    pub_free(w);
    return rc;
}

/* Route slot (0 query, 1 page, 2 resolver) of w: the CORS wrapper, or the
 * handler itself when no origins are listed. */
static void pub_route(node_t *n, const web_pub_t *w, int slot, node_http_handler_fn *fn,
                      void **ctx)
{
    static const node_http_handler_fn fns[3] = {node_query_handle, node_page_handle,
                                                node_resolve_handle};
    void *ctxs[3] = {n->query, w->page, w->resolve};
    if (w->cors[slot]) {
        *fn = node_cors_handle;
        *ctx = w->cors[slot];
    } else {
        *fn = fns[slot];
        *ctx = ctxs[slot];
    }
}

/* The current public routes as a web_pub_t (owned by n). */
static web_pub_t pub_of(node_t *n)
{
    web_pub_t w = {n->resolve, n->page, {n->cors[0], n->cors[1], n->cors[2]}};
    return w;
}

static void pub_install(node_t *n, const web_pub_t *w)
{
    n->resolve = w->resolve;
    n->page = w->page;
    for (int i = 0; i < 3; i++)
        n->cors[i] = w->cors[i];
}

static int start(node_t *n, const node_http_conf_t *hc, ledger_err_t *err)
{
    web_pub_t w;
    node_http_handler_fn fn;
    void *ctx;
    int rc;
    if ((rc = node_query_new(n->st, &n->query, err)) ||
        (rc = node_tokens_open(n->home_path, &n->tokens, err)) ||
        (rc = node_capture_new(n->loop, n->home_path, n->st, n->id, n->tokens,
                               hc->limits.body_max ? hc->limits.body_max : NODE_HTTP_BODY_MAX,
                               on_captured, n, &n->capture, err)) ||
        (rc = node_subs_new(n->loop, n->query, &n->subs, err)) ||
        (rc = node_namedq_open(n->home_path, n->query, n->tokens, n->subs, &n->namedq, err)) ||
        (rc = pub_new(n, hc, &w, err)))
        return rc;
    pub_install(n, &w);
    if ((rc = node_http_new(n->loop, &hc->limits, http_log, n, &n->http, err)) ||
        (rc = node_http_route(n->http, node_capture_handle, n->capture, err)) ||
        (rc = node_http_route(n->http, node_namedq_handle, n->namedq, err)))
        return rc;
    /* the page before the resolver: a Digital Link may carry a path before its key */
    for (int slot = 0; slot < 3; slot++) {
        pub_route(n, &w, slot, &fn, &ctx);
        if ((rc = node_http_route(n->http, fn, ctx, err)))
            return rc;
    }
    if ((rc = node_http_listen(n->http, hc->listen, err)))
        return rc;
    node_query_set_gate(n->query, node_capture_query_gate, n->tokens);
    node_query_set_feeds(n->query, query_all_feeds, n);
    if ((rc = node_query_set_xml_namespaces(n->query, (const char(*)[64])hc->xmlns_prefix,
                                            (const char(*)[401])hc->xmlns_uri, hc->nxmlns, err)))
        return rc;
    snprintf(n->http_addr, sizeof n->http_addr, "%s", hc->listen);
    return 0;
}

int node_web_start(node_t *n, node_web_captured_fn captured, ledger_err_t *err)
{
    node_http_conf_t hc;
    int rc;
    n->web_captured = captured;
    if ((rc = load_conf(n, &hc, err)))
        return rc;
    return hc.listen[0] ? start(n, &hc, err) : 0;
}

int node_web_reload(node_t *n, ledger_err_t *err)
{
    node_http_conf_t hc;
    web_pub_t w, old;
    node_http_handler_fn fn;
    void *ctx;
    int rc, moved;
    if ((rc = load_conf(n, &hc, err)))
        return rc;
    if (!n->http) {
        if (!hc.listen[0])
            return 0;
        /* what a failed start built is freed when the node stops */
        if ((rc = start(n, &hc, err)))
            return rc;
        node_log(n, "SIGHUP: HTTP started on http://%s", n->http_addr);
        return 0;
    }
    if (!hc.listen[0])
        return ledger_err_set(err, LEDGER_EINPUT,
                              "keten.json gives no HTTP address any more: HTTP goes on at "
                              "http://%s until the node restarts",
                              n->http_addr);
    if ((rc = pub_new(n, &hc, &w, err)))
        return rc;
    moved = strcmp(hc.listen, n->http_addr) != 0;
    if (moved && (rc = node_http_listen(n->http, hc.listen, err))) {
        pub_free(&w);
        return rc;
    }
    for (int slot = 0; slot < 3; slot++) {
        pub_route(n, &w, slot, &fn, &ctx);
        /* ROUTE_QUERY + slot exists: start() added them in this order */
        (void)node_http_route_replace(n->http, ROUTE_QUERY + (size_t)slot, fn, ctx, err);
    }
    old = pub_of(n);
    pub_free(&old);
    pub_install(n, &w);
    node_http_set_limits(n->http, &hc.limits);
    if ((rc = node_query_set_xml_namespaces(n->query, (const char(*)[64])hc.xmlns_prefix,
                                            (const char(*)[401])hc.xmlns_uri, hc.nxmlns, err)))
        return rc;
    snprintf(n->http_addr, sizeof n->http_addr, "%s", hc.listen);
    node_log(n, "SIGHUP: HTTP settings read again: http://%s%s%s, %zu public feeds and partners, "
                "%zu CORS origins",
             n->http_addr, moved ? " (moved: the old address is closed)" : "", hc.prefix,
             hc.pub.nfeeds + hc.pub.npartners, hc.ncors);
    return 0;
}
