/* node_resolve.c -- the GS1 Digital Link resolver routes (node_resolve.h).
 *
 * A request path (under the operator's prefix, or under /trace/) is read
 * as a Digital Link on https://id.gs1.org by ledger_key_read (gs1_ident,
 * the one entry point from a code to keten's identifier key): a GS1
 * identifier is ours, a path that claims to be a Digital Link but is wrong
 * is a 400 with the parser's message, anything else is another route's.
 * The identifier is traced with ledger_trace_run_key, and the
 * trace's event nodes are filtered to what the node may show (its own
 * and the public feeds', not private).  The links point at this server: resolverRoot is the base
 * URL (configured, else http:// and the Host the client sent, else the
 * listen address) and the prefix.
 */
#include "node_resolve.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ledger_epcis.h"
#include "ledger_replica.h"
#include "ledger_trace.h"
#include "node_page.h"

#define GS1_VOC "https://gs1.org/voc/"
#define DL_HOST "https://id.gs1.org" /* the host of canonical keys (ledger_epcis.h) */
#define TRACE_ROUTE "/trace"
#define WELL_KNOWN "/.well-known/gs1resolver"

struct node_resolve {
    ledger_store_t *st;
    uint8_t self[LEDGER_FEED_LEN];
    char prefix[NODE_RESOLVE_PREFIX_MAX + 1];
    char base[300]; /* "" when taken from the request */
    char listen[300];
    char name[201];
    uint8_t (*pub)[LEDGER_FEED_LEN]; /* the feeds shown besides self */
    size_t npub;
};

/* Are feed's events shown (the node's own, or a public feed)? */
static int feed_shown(const node_resolve_t *r, const uint8_t *feed)
{
    if (!memcmp(feed, r->self, LEDGER_FEED_LEN))
        return 1;
    for (size_t i = 0; i < r->npub; i++)
        if (!memcmp(feed, r->pub[i], LEDGER_FEED_LEN))
            return 1;
    return 0;
}

static const char *shown_rule(const node_resolve_t *r)
{
    return r->npub ? "own events and the public partners' (not private)"
                   : "own events (not private)";
}

/* The link types offered, in the linkset's order; keten:bundle is keten's
 * own name for the second target of gs1:traceability (the bundle). */
static const char *const link_types[] = {"pip", "traceability", "defaultLink"};
#define NLINKS (sizeof link_types / sizeof link_types[0])
#define LINK_BUNDLE ((int)NLINKS) /* link_index of keten:bundle */
#define KETEN_BUNDLE "keten:bundle"

/* ---- small things ---------------------------------------------------------- */

static int host_ok(const char *h)
{
    size_t n = strlen(h);
    return n > 0 && n < 256 &&
           strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789.-:[]") == n;
}

/* resolverRoot of this request: base URL and prefix. */
static void root_of(const node_resolve_t *r, const node_http_req_t *req, char *out, size_t cap)
{
    const char *host = node_http_header(req, "host");
    if (r->base[0])
        snprintf(out, cap, "%s%s", r->base, r->prefix);
    else
        snprintf(out, cap, "http://%s%s", host && host_ok(host) ? host : r->listen, r->prefix);
}

static void server_of(const node_resolve_t *r, const node_http_req_t *req, char *out, size_t cap)
{
    const char *host = node_http_header(req, "host");
    if (r->base[0])
        snprintf(out, cap, "%s", r->base);
    else
        snprintf(out, cap, "http://%s", host && host_ok(host) ? host : r->listen);
}

/* The link type named by v ("gs1:pip", "https://gs1.org/voc/pip",
 * "http://gs1.org/voc/pip"): its index in link_types, -1 when none. */
static int link_index(const char *v)
{
    const char *local = NULL;
    if (!strcmp(v, KETEN_BUNDLE))
        return LINK_BUNDLE;
    if (!strncmp(v, "gs1:", 4))
        local = v + 4;
    else if (!strncmp(v, GS1_VOC, strlen(GS1_VOC)))
        local = v + strlen(GS1_VOC);
    else if (!strncmp(v, "http://gs1.org/voc/", 19))
        local = v + 19;
    if (!local)
        return -1;
    for (size_t i = 0; i < NLINKS; i++)
        if (!strcmp(local, link_types[i]))
            return (int)i;
    return -1;
}

static int accepts_linkset(const node_http_req_t *req)
{
    const char *a = node_http_header(req, "accept");
    return a && strstr(a, "application/linkset+json") != NULL;
}

/* A browser: the first media range of Accept is text/html (or
 * application/xhtml+xml). */
static int accepts_html_first(const node_http_req_t *req)
{
    const char *a = node_http_header(req, "accept");
    size_t n;
    if (!a)
        return 0;
    a += strspn(a, " \t");
    n = strcspn(a, ",; \t");
    return (n == 9 && !strncasecmp(a, "text/html", 9)) ||
           (n == 21 && !strncasecmp(a, "application/xhtml+xml", 21));
}

static int allow(node_http_resp_t *resp, const node_http_req_t *req)
{
    int rc;
    if (!strcmp(req->method, "OPTIONS")) {
        if ((rc = node_http_resp_header(resp, "Allow", "GET, HEAD, OPTIONS")) ||
            (rc = node_http_resp_set(resp, 204, NULL, NULL, 0)))
            return rc;
        return 1;
    }
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
        if ((rc = node_http_resp_header(resp, "Allow", "GET, HEAD, OPTIONS")) ||
            (rc = node_http_resp_problem(resp, 405, "%s is not allowed here: GET or HEAD",
                                         req->method)))
            return rc;
        return 1;
    }
    return 0;
}

/* ---- the item's events ------------------------------------------------------ */

typedef struct item {
    char uri[NODE_HTTP_TARGET_MAX + 64]; /* what was read (key.given points here) */
    ledger_key_t key;
    char path[LEDGER_IDENT_KEY_MAX + LEDGER_KEY_LOT_MAX]; /* "/01/05412345000013/21/1" */
    ledger_trace_t *trace;
    size_t *shown; /* trace node indexes of the events shown */
    size_t nshown;
    /* when no event names it as an identifier: the events at it as a
     * location (bizLocation or readPoint), by local position */
    uint64_t *loc;
    size_t nloc, loc_cap;
    int loc_more; /* there were more than NODE_RESOLVE_EVENTS_MAX */
} item_t;

static void item_free(item_t *it)
{
    ledger_trace_free(it->trace);
    free(it->shown);
    free(it->loc);
}

/* Reads the path dl (and req's query: its data attributes are checked too)
 * as a Digital Link on any host: 1 when it is a GS1 identifier (it->key,
 * it->path the canonical path: the key's, with the lot a label gave it
 * next to its serial), 0 when it is not a Digital Link at all (another
 * route's), LEDGER_EINPUT (message in err) for a Digital Link that is
 * wrong. */
static int item_key(const node_http_req_t *req, const char *dl, item_t *it, ledger_err_t *err)
{
    size_t hl = strlen(DL_HOST);
    int rc;
    snprintf(it->uri, sizeof it->uri, "%s%s%s%s", DL_HOST, dl, req->query[0] ? "?" : "",
             req->query);
    if ((rc = ledger_key_read(it->uri, &it->key, err)))
        return rc;
    if (!it->key.gs1 || strncmp(it->key.text, DL_HOST "/", hl + 1) != 0)
        return 0;
    snprintf(it->path, sizeof it->path, "%s", it->key.text + hl);
    if (it->key.lot[0] && !strncmp(it->key.lot, DL_HOST "/01/", hl + 4)) {
        /* /01/G/10/L and /01/G/21/S: /01/G/10/L/21/S */
        const char *lot = it->key.lot + hl, *ser = it->path + 4 + strcspn(it->path + 4, "/");
        if (!strncmp(lot, it->path, (size_t)(ser - it->path)) && ser[0] == '/') {
            char p[sizeof it->path];
            snprintf(p, sizeof p, "%s%s", lot, ser);
            snprintf(it->path, sizeof it->path, "%s", p);
        }
    }
    return 1;
}

/* May the node show the entry at lseq (its own or a public feed's, not
 * private, an event)?
 * 1 yes, 0 no, <0 an error; *card filled when 1 (free it). */
static int showable(node_resolve_t *r, uint64_t lseq, ledger_card_t *card)
{
    ledger_err_t err;
    int rc = ledger_store_card(r->st, lseq, card, &err);
    if (rc == LEDGER_ENOTFOUND)
        return 0; /* sealed, fork evidence: no card */
    if (rc)
        return rc;
    if (card->error_declaration || !feed_shown(r, card->feed) ||
        (rc = ledger_replica_is_private(r->st, card->feed, card->seq, &err)) != 0) {
        ledger_card_free(card);
        return rc < 0 ? rc : 0;
    }
    return 1;
}

static int collect_loc(uint64_t lseq, int role, void *ctx)
{
    item_t *it = ctx;
    (void)role;
    if (it->nloc && it->loc[it->nloc - 1] == lseq)
        return 0;                               /* bizLocation and readPoint both: once */
    if (it->nloc >= NODE_RESOLVE_TRACE_NODES) { /* a bounded walk, like the trace's */
        it->loc_more = 1;
        return 1;
    }
    if (it->nloc == it->loc_cap) {
        size_t cap = it->loc_cap ? it->loc_cap * 2 : 64;
        uint64_t *v = realloc(it->loc, cap * sizeof *v);
        if (!v)
            return LEDGER_ENOMEM;
        it->loc = v;
        it->loc_cap = cap;
    }
    it->loc[it->nloc++] = lseq;
    return 0;
}

/* The events at it->key as a location that the node may show (at most
 * NODE_RESOLVE_EVENTS_MAX; it->loc_more when there were more). */
static int item_at_location(node_resolve_t *r, item_t *it)
{
    ledger_err_t err;
    size_t kept = 0;
    int rc = ledger_store_find_location_key(r->st, &it->key, collect_loc, it, &err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < it->nloc; i++) {
        ledger_card_t card;
        if ((rc = showable(r, it->loc[i], &card)) < 0)
            return rc;
        if (rc == 0)
            continue;
        ledger_card_free(&card);
        if (kept == NODE_RESOLVE_EVENTS_MAX) {
            it->loc_more = 1;
            break;
        }
        it->loc[kept++] = it->loc[i];
    }
    it->nloc = kept;
    return 0;
}

/* Traces it->key; keeps the events the node may show.  1 when answered
 * already (404), 0 when it holds events to show, <0 an error. */
static int item_trace(node_resolve_t *r, item_t *it, node_http_resp_t *resp)
{
    ledger_err_t err;
    ledger_trace_opts_t opts = {0};
    int rc;
    opts.max_nodes = NODE_RESOLVE_TRACE_NODES;
    rc = ledger_trace_run_key(r->st, &it->key, &opts, &it->trace, &err);
    if (rc == LEDGER_ENOTFOUND) { /* no event names it: a place where events happened? */
        if ((rc = item_at_location(r, it)))
            return rc;
        if (it->nloc)
            return 0;
        rc = node_http_resp_problem(resp, 404, "%s: this node has no events of it", it->path);
        return rc ? rc : 1;
    }
    if (rc)
        return rc;
    if (!(it->shown = malloc((ledger_trace_node_count(it->trace) + 1) * sizeof *it->shown)))
        return LEDGER_ENOMEM;
    for (size_t i = 0; i < ledger_trace_node_count(it->trace); i++) {
        const ledger_trace_node_t *n = ledger_trace_node(it->trace, i);
        if (n->kind != LEDGER_TNODE_EVENT || !feed_shown(r, n->feed))
            continue; /* sealed steps and events of feeds not public are not shown */
        if ((rc = ledger_replica_is_private(r->st, n->feed, n->seq, &err)) < 0)
            return rc;
        if (rc == 0)
            it->shown[it->nshown++] = i;
    }
    if (it->nshown == 0) {
        rc = node_http_resp_problem(
            resp, 404, "%s: this node has no events of it that it shows (%s)", it->path,
            r->npub ? "its own events and its public partners'" : "its own events only");
        return rc ? rc : 1;
    }
    return 0;
}

static int decode_event(const ledger_stored_t *s, void *ctx)
{
    json_t **ev = ctx;
    if (!s->e.payload)
        return 0;
    return ledger_event_payload_decode(s->e.payload, s->e.plen, ev, NULL, 0, NULL);
}

/* Appends the event at lseq (found at a location) to events, as the trace
 * nodes are: feed, seq, eventHash, erroneous (its own feed declared it
 * so), event. */
static int loc_event(node_resolve_t *r, uint64_t lseq, json_t *events)
{
    ledger_card_t card;
    ledger_err_t err;
    json_t *ev = NULL, *e;
    uint64_t decl[16];
    size_t nd = 0;
    int rc, erroneous = 0;
    char hex[2 * LEDGER_FEED_LEN + 1];
    if ((rc = showable(r, lseq, &card)) <= 0)
        return rc;
    if ((rc = ledger_store_get_lseq(r->st, lseq, decode_event, &ev, &err)) < 0)
        goto out;
    if (ledger_store_declarations(r->st, card.event_id ? card.event_id : card.event_hash, decl, 16,
                                  &nd, &err) == 0)
        for (size_t i = 0; i < nd && i < 16 && !erroneous; i++) {
            ledger_card_t dc;
            if (ledger_store_card(r->st, decl[i], &dc, NULL) == 0) {
                erroneous = !memcmp(dc.feed, card.feed, LEDGER_FEED_LEN);
                ledger_card_free(&dc);
            }
        }
    e = json_pack("{s:s, s:I, s:s, s:b, s:O?}", "feed", ledger_hex(card.feed, LEDGER_FEED_LEN, hex),
                  "seq", (json_int_t)card.seq, "eventHash", card.event_hash ? card.event_hash : "",
                  "erroneous", erroneous, "event", ev);
    rc = !e || json_array_append_new(events, e) ? LEDGER_ENOMEM : 0;
out:
    json_decref(ev);
    ledger_card_free(&card);
    return rc;
}

/* GET /trace/{dl}: the item's events. */
static int answer_events(node_resolve_t *r, const node_http_req_t *req, item_t *itp,
                         node_http_resp_t *resp)
{
#define it (*itp)
    json_t *o = NULL, *events;
    char hex[2 * LEDGER_FEED_LEN + 1], root[700];
    int rc;
    if ((rc = item_trace(r, itp, resp)))
        goto out;
    root_of(r, req, root, sizeof root);
    if (!(events = json_array()) ||
        !(o = json_pack(
              "{s:s, s:s, s:s+, s:{s:s, s:s}, s:s, s:b, s:o}", "schema", "keten.resolve.events/1",
              "identifier", it.key.text, "digitalLink", root, it.path, "node", "name", r->name,
              "id", ledger_hex(r->self, LEDGER_FEED_LEN, hex), "shown", shown_rule(r), "truncated",
              (it.trace && ledger_trace_truncated(it.trace)) ||
                  it.nshown > NODE_RESOLVE_EVENTS_MAX || it.loc_more,
              "events", events))) {
        rc = LEDGER_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < it.nloc; i++)
        if ((rc = loc_event(r, it.loc[i], events)) < 0)
            goto out;
    for (size_t i = 0; i < it.nshown && i < NODE_RESOLVE_EVENTS_MAX; i++) {
        const ledger_trace_node_t *n = ledger_trace_node(it.trace, it.shown[i]);
        const json_t *ev = ledger_trace_node_event(it.trace, n);
        json_t *e = json_pack("{s:s, s:I, s:s, s:b, s:O?}", "feed",
                              ledger_hex(n->feed, LEDGER_FEED_LEN, hex), "seq", (json_int_t)n->seq,
                              "eventHash", n->event_hash ? n->event_hash : "", "erroneous",
                              n->erroneous, "event", ev);
        if (!e || json_array_append_new(events, e)) {
            rc = LEDGER_ENOMEM;
            goto out;
        }
    }
    rc = node_http_resp_json(resp, 200, NULL, o);
out:
    json_decref(o);
    return rc < 0 ? rc : 1;
#undef it
}

/* The URL of link type li (link_index) of the item. */
static void link_href(const char *server, const item_t *it, int li, char *out, size_t cap)
{
    const char *route = li == 0             ? NODE_PAGE_ROUTE
                        : li == LINK_BUNDLE ? NODE_PAGE_BUNDLE
                                            : TRACE_ROUTE;
    snprintf(out, cap, "%s%s%s", server, route, it->path);
}

/* The linkset of the item (RFC 9264, GS1 resolver): gs1:pip the product
 * page, gs1:traceability the events as JSON and the signed bundle (two
 * targets told apart by type), gs1:defaultLink the events. */
static json_t *linkset(const char *root, const char *server, const item_t *it)
{
    json_t *set = json_object(), *ls;
    char href[sizeof it->path + 700], bundle[sizeof it->path + 700], anchor[sizeof it->path + 700];
    snprintf(anchor, sizeof anchor, "%s%s", root, it->path);
    link_href(server, it, LINK_BUNDLE, bundle, sizeof bundle);
    if (!set)
        return NULL;
    json_object_set_new(set, "anchor", json_string(anchor));
    for (size_t i = 0; i < NLINKS; i++) {
        char rel[64];
        json_t *targets;
        snprintf(rel, sizeof rel, "%s%s", GS1_VOC, link_types[i]);
        link_href(server, it, (int)i, href, sizeof href);
        targets =
            json_pack("[{s:s, s:s, s:s}]", "href", href, "title",
                      i == 0   ? "Product information: the item's story, verified in the browser"
                      : i == 1 ? "Traceability: the item's events (EPCIS 2.0 JSON-LD)"
                               : "The item's events (EPCIS 2.0 JSON-LD)",
                      "type", i == 0 ? "text/html" : "application/json");
        if (targets && i == 1)
            json_array_append_new(targets, json_pack("{s:s, s:s, s:s}", "href", bundle, "title",
                                                     "Provenance bundle, signed by this node "
                                                     "(docs/bundle.md; linkType=keten:bundle)",
                                                     "type", NODE_PAGE_BUNDLE_TYPE));
        json_object_set_new(set, rel, targets);
    }
    ls = json_pack("{s:[o]}", "linkset", set);
    return ls;
}

/* GET {prefix}/{dl}. */
static int answer_resolve(node_resolve_t *r, const node_http_req_t *req, item_t *itp,
                          node_http_resp_t *resp)
{
#define it (*itp)
    char root[700], server[400], lt[300], url[sizeof it.path + 1200];
    int rc, want_set, li = 0;
    json_t *ls = NULL;
    if ((rc = item_trace(r, itp, resp)))
        goto out;
    root_of(r, req, root, sizeof root);
    server_of(r, req, server, sizeof server);
    snprintf(url, sizeof url, "%s%s?linkType=linkset", root, it.path);
    if ((rc = node_http_resp_header(
             resp, "Link", "<%s>; rel=\"linkset\"; type=\"application/linkset+json\"", url)))
        goto out;
    if (node_http_query(req, "linkType", lt, sizeof lt)) {
        want_set = !strcmp(lt, "linkset") || !strcmp(lt, "all");
        if (!want_set && (li = link_index(lt)) < 0) {
            rc = node_http_resp_problem(resp, 404,
                                        "%s: no link of type %s: this resolver offers gs1:pip, "
                                        "gs1:traceability, gs1:defaultLink, keten:bundle and "
                                        "linkset",
                                        it.path, lt);
            goto out;
        }
    } else if (!(want_set = accepts_linkset(req)))
        li = accepts_html_first(req) ? 0 : 2; /* a browser: the page; else the default link */
    if (want_set) {
        if (!(ls = linkset(root, server, &it))) {
            rc = LEDGER_ENOMEM;
            goto out;
        }
        rc = node_http_resp_json(resp, 200, "application/linkset+json", ls);
        goto out;
    }
    if (li == 1) { /* gs1:traceability has two targets: the type asked for */
        const char *a = node_http_header(req, "accept");
        if (a && strstr(a, NODE_PAGE_BUNDLE_TYPE))
            li = LINK_BUNDLE;
    }
    link_href(server, &it, li, url, sizeof url);
    if (!(rc = node_http_resp_header(resp, "Location", "%s", url)))
        rc = node_http_resp_set(resp, 307, NULL, NULL, 0);
out:
    json_decref(ls);
    return rc < 0 ? rc : 1;
#undef it
}

static int answer_description(node_resolve_t *r, const node_http_req_t *req, node_http_resp_t *resp)
{
    char root[700], name[260];
    json_t *o;
    int rc;
    root_of(r, req, root, sizeof root);
    snprintf(name, sizeof name, "keten node %s", r->name);
    o = json_pack("{s:s, s:s, s:[s], s:b, s:b, s:[{s:s, s:s, s:s}], s:[s,s,s,s,s]}", "name", name,
                  "resolverRoot", root, "supportedPrimaryKeys", "all",
                  "linkTypeDefaultCanBeLinkset", 1, "linkTypeDefaultCanBeAll", 1,
                  "supportedLinkType", "namespace", GS1_VOC, "prefix", "gs1:", "profile",
                  "https://gs1.org/voc/?show=linktypes", "keten:linkTypes", "gs1:pip",
                  "gs1:traceability", "gs1:defaultLink", KETEN_BUNDLE, "linkset");
    if (!o)
        return LEDGER_ENOMEM;
    rc = node_http_resp_json(resp, 200, NULL, o);
    json_decref(o);
    return rc < 0 ? rc : 1;
}

/* ---- the handler ----------------------------------------------------------- */

/* A Digital Link route: dl is the path after the route's prefix. */
static int route_dl(node_resolve_t *r, const node_http_req_t *req, const char *dl, int events,
                    node_http_resp_t *resp)
{
    item_t *it = calloc(1, sizeof *it); /* about 8 KB: not on the loop's stack */
    ledger_err_t err;
    int rc;
    if (!it)
        return LEDGER_ENOMEM;
    rc = item_key(req, dl, it, &err);
    if (rc == LEDGER_EINPUT) {
        rc = allow(resp, req);
        if (rc == 0 && (rc = node_http_resp_problem(resp, 400, "%s is not a GS1 Digital Link: %s",
                                                    dl, err.msg)) == 0)
            rc = 1;
    } else if (rc == 1 && (rc = allow(resp, req)) == 0)
        rc = events ? answer_events(r, req, it, resp) : answer_resolve(r, req, it, resp);
    item_free(it);
    free(it);
    return rc;
}

int node_resolve_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    node_resolve_t *r = ctx;
    size_t pl = strlen(r->prefix), tl = strlen(TRACE_ROUTE);
    int rc;
    if (!strcmp(req->path, WELL_KNOWN)) {
        if ((rc = allow(resp, req)))
            return rc;
        return answer_description(r, req, resp);
    }
    if (!strncmp(req->path, TRACE_ROUTE, tl) && req->path[tl] == '/' &&
        (rc = route_dl(r, req, req->path + tl, 1, resp)))
        return rc;
    if (!strncmp(req->path, r->prefix, pl) && req->path[pl] == '/')
        return route_dl(r, req, req->path + pl, 0, resp);
    return 0;
}

int node_resolve_new(ledger_store_t *st, const node_resolve_conf_t *conf, node_resolve_t **out,
                     ledger_err_t *err)
{
    node_resolve_t *r;
    const char *p = conf->prefix ? conf->prefix : "";
    size_t pl = strlen(p);
    *out = NULL;
    if (pl > NODE_RESOLVE_PREFIX_MAX || (pl && (p[0] != '/' || p[pl - 1] == '/')) ||
        strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/") != pl)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "http prefix \"%s\": give a path like /gs1 (letters, digits, - . _ "
                              "~ /; no trailing /)",
                              p);
    if (conf->base_url && conf->base_url[0] &&
        ((strncmp(conf->base_url, "http://", 7) && strncmp(conf->base_url, "https://", 8)) ||
         strlen(conf->base_url) >= 300 || strpbrk(conf->base_url, " \"<>\\^`{|}") ||
         conf->base_url[strlen(conf->base_url) - 1] == '/'))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "http baseUrl \"%s\": give http(s)://host[:port] without a "
                              "trailing /",
                              conf->base_url);
    if (!(r = calloc(1, sizeof *r)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    r->st = st;
    memcpy(r->self, ledger_store_self(st), LEDGER_FEED_LEN);
    snprintf(r->prefix, sizeof r->prefix, "%s", p);
    snprintf(r->base, sizeof r->base, "%s", conf->base_url ? conf->base_url : "");
    snprintf(r->listen, sizeof r->listen, "%s", conf->listen ? conf->listen : "localhost");
    snprintf(r->name, sizeof r->name, "%s", conf->name ? conf->name : "");
    for (size_t i = 0; i < conf->npublic; i++) /* self is shown anyway: kept out */
        if (memcmp(conf->public_feeds[i], r->self, LEDGER_FEED_LEN)) {
            uint8_t(*v)[LEDGER_FEED_LEN] = realloc(r->pub, (r->npub + 1) * sizeof *v);
            if (!v) {
                node_resolve_free(r);
                return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
            }
            r->pub = v;
            memcpy(r->pub[r->npub++], conf->public_feeds[i], LEDGER_FEED_LEN);
        }
    *out = r;
    return 0;
}

void node_resolve_free(node_resolve_t *r)
{
    if (r)
        free(r->pub);
    free(r);
}
