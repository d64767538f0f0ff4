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
    char prefix[NODE_RESOLVE_PREFIX_MAX + 1];
    char base[300]; /* "" when taken from the request */
    char listen[300];
    char name[201];
    node_page_feeds_t feeds; /* whose events are shown */
};

static const char *shown_rule(const node_resolve_t *r)
{
    return r->feeds.npub ? "own events and the public partners' (not private)"
                         : "own events (not private)";
}

/* The link types offered; keten:bundle is keten's own name for the second
 * target of gs1:traceability (the bundle).  gs1:epcis and
 * gs1:certificationInfo are in a linkset only when the item has them. */
static const char *const link_types[] = {"pip", "traceability", "defaultLink", "epcis",
                                         "certificationInfo"};
#define NLINKS (sizeof link_types / sizeof link_types[0])
enum { LI_PIP, LI_TRACE, LI_DEFAULT, LI_EPCIS, LI_CERT };
#define LINK_BUNDLE ((int)NLINKS) /* link_index of keten:bundle */
#define KETEN_BUNDLE "keten:bundle"
#define EPCIS_TYPE "application/ld+json"
#define EPCIS_HREF_MAX 1600 /* a gs1:epcis link, at most (else none) */
#define LOC_BIZ 1u          /* bit of a location role (ledger_store_find_location): bizLocation */
#define LOC_RP 2u           /* readPoint */
#define NAMED_EPC 4u        /* named as an EPC (named_as) */
#define NAMED_CLASS 8u      /* named as the epcClass of a quantity list */

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
    unsigned char *loc_role; /* per loc[i]: LOC_BIZ | LOC_RP */
    size_t nloc, loc_cap;
    int loc_more; /* there were more than NODE_RESOLVE_EVENTS_MAX */
    /* how the shown events name the identifier: NAMED_EPC | NAMED_CLASS (a
     * trace), LOC_BIZ | LOC_RP (a location) */
    unsigned roles;
    /* the certificate URIs of the shown events (item_certs), distinct */
    char *cert[NODE_RESOLVE_CERTS_MAX];
    size_t ncert;
} item_t;

static void item_free(item_t *it)
{
    ledger_trace_free(it->trace);
    free(it->shown);
    free(it->loc);
    free(it->loc_role);
    for (size_t i = 0; i < it->ncert; i++)
        free(it->cert[i]);
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
    if (card->error_declaration || !node_page_feeds_has(&r->feeds, card->feed) ||
        (rc = ledger_replica_is_private(r->st, card->feed, card->seq, &err)) != 0) {
        ledger_card_free(card);
        return rc < 0 ? rc : 0;
    }
    return 1;
}

static int collect_loc(uint64_t lseq, int role, void *ctx)
{
    item_t *it = ctx;
    unsigned bit = role == 1 ? LOC_BIZ : role == 2 ? LOC_RP : 0;
    if (it->nloc && it->loc[it->nloc - 1] == lseq) {
        it->loc_role[it->nloc - 1] |= (unsigned char)bit; /* bizLocation and readPoint: once */
        return 0;
    }
    if (it->nloc >= NODE_RESOLVE_TRACE_NODES) { /* a bounded walk, like the trace's */
        it->loc_more = 1;
        return 1;
    }
    if (it->nloc == it->loc_cap) {
        size_t cap = it->loc_cap ? it->loc_cap * 2 : 64;
        uint64_t *v = realloc(it->loc, cap * sizeof *v);
        unsigned char *rv;
        if (!v)
            return LEDGER_ENOMEM;
        it->loc = v;
        if (!(rv = realloc(it->loc_role, cap)))
            return LEDGER_ENOMEM;
        it->loc_role = rv;
        it->loc_cap = cap;
    }
    it->loc_role[it->nloc] = (unsigned char)bit;
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
        it->roles |= it->loc_role[i];
        it->loc_role[kept] = it->loc_role[i];
        it->loc[kept++] = it->loc[i];
    }
    it->nloc = kept;
    return 0;
}

#define R(x) (1u << LEDGER_ROLE_##x)
/* How an event names an identifier, for gs1:epcis: NAMED_EPC as an EPC
 * (epcList, parentID, childEPCs, inputEPCList, outputEPCList), NAMED_CLASS
 * as the epcClass of a quantity list, 0 otherwise (the lot of instances, a
 * source or destination). */
static unsigned named_as(const ledger_card_ident_t *id)
{
    unsigned role = id->role > 0 && id->role < 32 ? 1u << id->role : 0;
    if (!id->listed && (role & (R(EPC) | R(PARENT) | R(CHILD) | R(INPUT) | R(OUTPUT))))
        return NAMED_EPC;
    if (id->listed && (role & (R(CLASS) | R(CHILD) | R(INPUT) | R(OUTPUT))))
        return NAMED_CLASS;
    return 0;
}
#undef R

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
        if (n->kind != LEDGER_TNODE_EVENT || !node_page_feeds_has(&r->feeds, n->feed))
            continue; /* sealed steps and events of feeds not public are not shown */
        if ((rc = ledger_replica_is_private(r->st, n->feed, n->seq, &err)) < 0)
            return rc;
        if (rc)
            continue;
        it->shown[it->nshown++] = i;
        for (size_t j = 0; n->card && j < n->card->nids; j++) /* how it is named */
            if (n->card->ids[j].id && !strcmp(n->card->ids[j].id, it->key.text))
                it->roles |= named_as(&n->card->ids[j]);
    }
    if (it->nshown == 0) {
        rc = node_http_resp_problem(
            resp, 404, "%s: this node has no events of it that it shows (%s)", it->path,
            r->feeds.npub ? "its own events and its public partners'" : "its own events only");
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

/* Has the event of card been declared erroneous by its own feed? */
static int loc_erroneous(node_resolve_t *r, const ledger_card_t *card)
{
    ledger_err_t err;
    uint64_t decl[16];
    size_t nd = 0;
    int erroneous = 0;
    if (ledger_store_declarations(r->st, card->event_id ? card->event_id : card->event_hash, decl,
                                  16, &nd, &err) == 0)
        for (size_t i = 0; i < nd && i < 16 && !erroneous; i++) {
            ledger_card_t dc;
            if (ledger_store_card(r->st, decl[i], &dc, NULL) == 0) {
                erroneous = !memcmp(dc.feed, card->feed, LEDGER_FEED_LEN);
                ledger_card_free(&dc);
            }
        }
    return erroneous;
}

/* Appends the event at lseq (found at a location) to events, as the trace
 * nodes are: feed, seq, eventHash, erroneous (its own feed declared it
 * so), event. */
static int loc_event(node_resolve_t *r, uint64_t lseq, json_t *events)
{
    ledger_card_t card;
    ledger_err_t err;
    json_t *ev = NULL, *e;
    int rc, erroneous;
    char hex[2 * LEDGER_FEED_LEN + 1];
    if ((rc = showable(r, lseq, &card)) <= 0)
        return rc;
    if ((rc = ledger_store_get_lseq(r->st, lseq, decode_event, &ev, &err)) < 0)
        goto out;
    erroneous = loc_erroneous(r, &card);
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
        !(o = json_pack("{s:s, s:s, s:s+, s:{s:s, s:s}, s:s, s:b, s:o}", "schema",
                        "keten.resolve.events/1", "identifier", it.key.text, "digitalLink", root,
                        it.path, "node", "name", r->name, "id",
                        ledger_hex(r->feeds.self, LEDGER_FEED_LEN, hex), "shown", shown_rule(r),
                        "truncated",
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

/* ---- gs1:certificationInfo and gs1:epcis --------------------------------- */

/* A certificate URI fit for a link: a scheme, no spaces or controls, short
 * enough for a Location header. */
static int cert_ok(const char *u)
{
    size_t n = strlen(u), s = strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789+-.");
    if (n == 0 || n > NODE_RESOLVE_CERT_LEN || s == 0 || u[s] != ':')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f || u[i] == '"' || u[i] == '<' ||
            u[i] == '>')
            return 0;
    return 1;
}

static int cert_add(item_t *it, const json_t *v)
{
    const char *u = json_string_value(v);
    if (!u || !cert_ok(u))
        return 0;
    for (size_t i = 0; i < it->ncert; i++)
        if (!strcmp(it->cert[i], u))
            return 0;
    if (it->ncert == NODE_RESOLVE_CERTS_MAX)
        return 0;
    if (!(it->cert[it->ncert] = strdup(u)))
        return LEDGER_ENOMEM;
    it->ncert++;
    return 0;
}

/* Adds the certificationInfo of event ev (EPCIS 2.0: a URI, or an array of
 * them) to it->cert. */
static int event_certs(item_t *it, const json_t *ev)
{
    const json_t *ci = json_object_get(ev, "certificationInfo");
    int rc;
    if (json_is_string(ci))
        return cert_add(it, ci);
    for (size_t i = 0; i < json_array_size(ci); i++) /* 0 when not an array */
        if ((rc = cert_add(it, json_array_get(ci, i))))
            return rc;
    return 0;
}

/* The distinct certificate URIs that the events /trace/... lists carry
 * (not those of an event its own partner declared erroneous), in the
 * events' order: at most NODE_RESOLVE_CERTS_MAX, from at most
 * NODE_RESOLVE_EVENTS_MAX events.  Decodes those events. */
static int item_certs(node_resolve_t *r, item_t *it)
{
    ledger_err_t err;
    int rc;
    for (size_t i = 0; i < it->nloc; i++) {
        ledger_card_t card;
        json_t *ev = NULL;
        if ((rc = showable(r, it->loc[i], &card)) < 0)
            return rc;
        if (rc == 0)
            continue;
        rc = loc_erroneous(r, &card)
                 ? 0
                 : ledger_store_get_lseq(r->st, it->loc[i], decode_event, &ev, &err);
        ledger_card_free(&card);
        if (rc >= 0 && ev)
            rc = event_certs(it, ev);
        json_decref(ev);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < it->nshown && i < NODE_RESOLVE_EVENTS_MAX; i++) {
        const ledger_trace_node_t *n = ledger_trace_node(it->trace, it->shown[i]);
        const json_t *ev;
        if (n->erroneous || !(ev = ledger_trace_node_event(it->trace, n)))
            continue;
        if ((rc = event_certs(it, ev)))
            return rc;
    }
    return 0;
}

/* The EPCIS 2.0 query parameters (GET /events, node_query.h) that find the
 * item's events, chosen by how the shown events name it (EPCIS 2.0
 * 8.2.7.1): as an EPC (epcList, parentID, childEPCs, input or output
 * EPCs): MATCH_anyEPC; as the epcClass of a quantity list (a lot, a
 * class): MATCH_epcClass; a location: EQ_bizLocation and/or EQ_readPoint.
 * None when no query parameter matches how it is named (only as the lot of
 * instances, or in a source or destination list).  *n of at most 2. */
static void epcis_params(const item_t *it, const char *out[2], size_t *n)
{
    *n = 0;
    if (it->nloc) {
        if (it->roles & LOC_BIZ)
            out[(*n)++] = "EQ_bizLocation";
        if (it->roles & LOC_RP)
            out[(*n)++] = "EQ_readPoint";
        return;
    }
    if (it->roles & NAMED_EPC)
        out[(*n)++] = "MATCH_anyEPC";
    if (it->roles & NAMED_CLASS)
        out[(*n)++] = "MATCH_epcClass";
}

/* {server}/events?{param}={the item's key, percent-encoded}: 0, or -1 when
 * it does not fit in cap (no link then). */
static int epcis_href(const char *server, const item_t *it, const char *param, char *out,
                      size_t cap)
{
    static const char hexd[] = "0123456789ABCDEF";
    int n = snprintf(out, cap, "%s/events?%s=", server, param);
    size_t o;
    if (n < 0 || (size_t)n >= cap)
        return -1;
    o = (size_t)n;
    for (const unsigned char *p = (const unsigned char *)it->key.text; *p; p++) {
        int plain = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (o + 4 > cap)
            return -1;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hexd[*p >> 4];
            out[o++] = hexd[*p & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

/* The URL of link type li (link_index) of the item. */
static void link_href(const char *server, const item_t *it, int li, char *out, size_t cap)
{
    const char *route = li == LI_PIP        ? NODE_PAGE_ROUTE
                        : li == LINK_BUNDLE ? NODE_PAGE_BUNDLE
                                            : TRACE_ROUTE;
    snprintf(out, cap, "%s%s%s", server, route, it->path);
}

/* The targets of gs1:epcis (epcis_params), appended to targets. */
static int epcis_targets(const char *server, const item_t *it, json_t *targets)
{
    const char *param[2];
    char href[EPCIS_HREF_MAX], title[200];
    size_t n;
    epcis_params(it, param, &n);
    for (size_t i = 0; i < n; i++) {
        if (epcis_href(server, it, param[i], href, sizeof href))
            continue;
        snprintf(title, sizeof title, "EPCIS 2.0 query of the item's events (%s)", param[i]);
        if (json_array_append_new(targets, json_pack("{s:s, s:s, s:s}", "href", href, "title",
                                                     title, "type", EPCIS_TYPE)))
            return LEDGER_ENOMEM;
    }
    return 0;
}

/* Sets rel (a link type's local name) of set to targets when it has any. */
static int set_rel(json_t *set, const char *local, json_t *targets)
{
    char rel[64];
    if (!targets)
        return LEDGER_ENOMEM;
    if (!json_array_size(targets)) {
        json_decref(targets);
        return 0;
    }
    snprintf(rel, sizeof rel, "%s%s", GS1_VOC, local);
    return json_object_set_new(set, rel, targets) ? LEDGER_ENOMEM : 0;
}

/* The linkset of the item (RFC 9264, GS1 resolver): gs1:pip the product
 * page, gs1:traceability the events as JSON and the signed bundle (two
 * targets told apart by type), gs1:epcis the EPCIS query of its events,
 * gs1:certificationInfo each certificate its events carry (item_certs
 * done), gs1:defaultLink the events.  NULL when out of memory. */
static json_t *linkset(const char *root, const char *server, const item_t *it)
{
    json_t *set = json_object(), *targets;
    char href[sizeof it->path + 700], bundle[sizeof it->path + 700], anchor[sizeof it->path + 700];
    int rc = 0;
    snprintf(anchor, sizeof anchor, "%s%s", root, it->path);
    link_href(server, it, LINK_BUNDLE, bundle, sizeof bundle);
    if (!set || json_object_set_new(set, "anchor", json_string(anchor)))
        goto fail;
    link_href(server, it, LI_PIP, href, sizeof href);
    if ((rc = set_rel(set, "pip",
                      json_pack("[{s:s, s:s, s:s}]", "href", href, "title",
                                "Product information: the item's story, verified in the browser",
                                "type", "text/html"))))
        goto fail;
    link_href(server, it, LI_TRACE, href, sizeof href);
    if ((rc = set_rel(set, "traceability",
                      json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "href", href, "title",
                                "Traceability: the item's events (EPCIS 2.0 JSON-LD)", "type",
                                "application/json", "href", bundle, "title",
                                "Provenance bundle, signed by this node (docs/bundle.md; "
                                "linkType=keten:bundle)",
                                "type", NODE_PAGE_BUNDLE_TYPE))))
        goto fail;
    if (!(targets = json_array()) || (rc = epcis_targets(server, it, targets))) {
        json_decref(targets);
        goto fail;
    }
    if ((rc = set_rel(set, "epcis", targets)) || !(targets = json_array()))
        goto fail;
    for (size_t i = 0; i < it->ncert; i++)
        if (json_array_append_new(targets, json_pack("{s:s, s:s}", "href", it->cert[i], "title",
                                                     "Certification information of the item's "
                                                     "events (EPCIS certificationInfo)"))) {
            json_decref(targets);
            goto fail;
        }
    if ((rc = set_rel(set, "certificationInfo", targets)))
        goto fail;
    link_href(server, it, LI_DEFAULT, href, sizeof href);
    if ((rc = set_rel(set, "defaultLink",
                      json_pack("[{s:s, s:s, s:s}]", "href", href, "title",
                                "The item's events (EPCIS 2.0 JSON-LD)", "type",
                                "application/json"))))
        goto fail;
    return json_pack("{s:[o]}", "linkset", set);
fail:
    json_decref(set);
    return NULL;
}

/* The URL that ?linkType=li redirects to: 0, or 1 when the item has no
 * such link (gs1:epcis, gs1:certificationInfo). */
static int redirect_href(const char *server, const item_t *it, int li, char *out, size_t cap)
{
    if (li == LI_CERT) {
        if (!it->ncert)
            return 1;
        snprintf(out, cap, "%s", it->cert[0]);
        return 0;
    }
    if (li == LI_EPCIS) {
        const char *param[2];
        size_t n;
        epcis_params(it, param, &n);
        for (size_t i = 0; i < n; i++)
            if (!epcis_href(server, it, param[i], out, cap))
                return 0;
        return 1;
    }
    link_href(server, it, li, out, cap);
    return 0;
}

#define OFFERED                                                                                    \
    "this resolver offers gs1:pip, gs1:traceability, gs1:epcis, gs1:certificationInfo (when the "  \
    "item's events carry one), gs1:defaultLink, keten:bundle and linkset"

/* GET {prefix}/{dl}. */
static int answer_resolve(node_resolve_t *r, const node_http_req_t *req, item_t *itp,
                          node_http_resp_t *resp)
{
#define it (*itp)
    char root[700], server[400], lt[300] = "", url[sizeof it.path + 1200];
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
            rc = node_http_resp_problem(resp, 404, "%s: no link of type %s: " OFFERED, it.path, lt);
            goto out;
        }
    } else if (!(want_set = accepts_linkset(req)))
        li = accepts_html_first(req) ? LI_PIP : LI_DEFAULT; /* a browser: the page */
    if ((want_set || li == LI_CERT) && (rc = item_certs(r, itp)) < 0)
        goto out;
    if (want_set) {
        if (!(ls = linkset(root, server, &it))) {
            rc = LEDGER_ENOMEM;
            goto out;
        }
        rc = node_http_resp_json(resp, 200, "application/linkset+json", ls);
        goto out;
    }
    if (li == LI_TRACE) { /* gs1:traceability has two targets: the type asked for */
        const char *a = node_http_header(req, "accept");
        if (a && strstr(a, NODE_PAGE_BUNDLE_TYPE))
            li = LINK_BUNDLE;
    }
    if (redirect_href(server, &it, li, url, sizeof url)) {
        rc = node_http_resp_problem(
            resp, 404, "%s: no link of type %s for this item: %s", it.path, lt,
            li == LI_CERT ? "none of the events it shows carries certificationInfo"
                          : "no EPCIS query parameter matches how its events name it");
        goto out;
    }
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
    o = json_pack("{s:s, s:s, s:[s], s:b, s:b, s:[{s:s, s:s, s:s}], s:[s,s,s,s,s,s,s]}", "name",
                  name, "resolverRoot", root, "supportedPrimaryKeys", "all",
                  "linkTypeDefaultCanBeLinkset", 1, "linkTypeDefaultCanBeAll", 1,
                  "supportedLinkType", "namespace", GS1_VOC, "prefix", "gs1:", "profile",
                  "https://gs1.org/voc/?show=linktypes", "keten:linkTypes", "gs1:pip",
                  "gs1:traceability", "gs1:epcis", "gs1:certificationInfo", "gs1:defaultLink",
                  KETEN_BUNDLE, "linkset");
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
    int rc;
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
    snprintf(r->prefix, sizeof r->prefix, "%s", p);
    snprintf(r->base, sizeof r->base, "%s", conf->base_url ? conf->base_url : "");
    snprintf(r->listen, sizeof r->listen, "%s", conf->listen ? conf->listen : "localhost");
    snprintf(r->name, sizeof r->name, "%s", conf->name ? conf->name : "");
    if ((rc = node_page_feeds_init(&r->feeds, ledger_store_self(st), conf->public_feeds,
                                   conf->npublic, err))) {
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void node_resolve_free(node_resolve_t *r)
{
    if (r)
        node_page_feeds_free(&r->feeds);
    free(r);
}
