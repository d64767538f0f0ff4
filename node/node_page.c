/* node_page.c -- the product page routes (node_page.h).
 *
 * The page is one static HTML file (web/page.html) for every item: its
 * script reads the item's Digital Link path from its own URL (/page/01/...)
 * and fetches /bundle/01/..., so nothing is templated and the page can be
 * served with a Content-Security-Policy that forbids every inline script.
 * The files of web/ are compiled into the program (node_page_assets, made
 * by web/embed.py from the Makefile) and answered from memory.  One of them
 * is the page's service worker (web/keten-sw.js, the build stamped in by
 * embed.py), which keeps the page in the browser for use with no node.
 *
 * A bundle is made per request: the item's path is read as a Digital Link
 * (ledger_key_read, as the resolver does), its steps are chosen by
 * ledger_bundle_steps (the one choice `keten bundle create` makes too),
 * every partner is named by the node's callback, and ledger_bundle_create
 * writes it with only the events of the node's own feed and of the feeds
 * the operator made public disclosed (every other step sealed), signed by
 * its key.
 */
#include "node_page.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_bundle.h"

#define DL_HOST "https://id.gs1.org" /* the host of canonical keys (ledger_epcis.h) */

/* What the page may load: itself only.  No inline script or style, no
 * plug-ins, no frames, no forms; fetch() to this server only. */
#define CSP                                                                                        \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct node_page {
    ledger_store_t *st;
    const ledger_identity_t *id;
    node_page_name_fn name;
    void *name_ctx;
    node_page_feeds_t feeds; /* whose payloads are disclosed */
};

int node_page_feeds_init(node_page_feeds_t *f, const uint8_t self[32], const uint8_t (*pub)[32],
                         size_t n, ledger_err_t *err)
{
    memset(f, 0, sizeof *f);
    memcpy(f->self, self, LEDGER_FEED_LEN);
    for (size_t i = 0; i < n; i++) {
        uint8_t(*v)[LEDGER_FEED_LEN];
        if (node_page_feeds_has(f, pub[i]))
            continue;
        if (!(v = realloc(f->pub, (f->npub + 1) * sizeof *v))) {
            node_page_feeds_free(f);
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        }
        f->pub = v;
        memcpy(f->pub[f->npub++], pub[i], LEDGER_FEED_LEN);
    }
    return 0;
}

int node_page_feeds_has(const node_page_feeds_t *f, const uint8_t feed[32])
{
    if (!memcmp(feed, f->self, LEDGER_FEED_LEN))
        return 1;
    for (size_t i = 0; i < f->npub; i++)
        if (!memcmp(feed, f->pub[i], LEDGER_FEED_LEN))
            return 1;
    return 0;
}

void node_page_feeds_free(node_page_feeds_t *f)
{
    free(f->pub);
    f->pub = NULL;
    f->npub = 0;
}

const node_page_asset_t *node_page_asset(const char *name)
{
    for (size_t i = 0; i < node_page_nassets; i++)
        if (!strcmp(node_page_assets[i].name, name))
            return &node_page_assets[i];
    return NULL;
}

static int security_headers(node_http_resp_t *resp)
{
    int rc;
    if ((rc = node_http_resp_header(resp, "Content-Security-Policy", "%s", CSP)) ||
        (rc = node_http_resp_header(resp, "X-Content-Type-Options", "nosniff")) ||
        (rc = node_http_resp_header(resp, "Referrer-Policy", "no-referrer")))
        return rc;
    return 0;
}

/* OPTIONS and methods other than GET and HEAD: answered (1), else 0. */
static int allow(const node_http_req_t *req, node_http_resp_t *resp)
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

/* Answers the embedded file a (304 when the client holds it already).
 * cache: the Cache-Control value.  The service worker's script may rule
 * the whole origin (Service-Worker-Allowed), so that it can answer for
 * /page/... too, and is always revalidated: a new build shows at once. */
static int answer_asset(const node_http_req_t *req, const node_page_asset_t *a, const char *cache,
                        node_http_resp_t *resp)
{
    const char *inm = node_http_header(req, "if-none-match");
    int sw = !strcmp(a->name, NODE_PAGE_SW);
    int rc;
    if ((rc = security_headers(resp)) ||
        (rc = node_http_resp_header(resp, "ETag", "%s", a->etag)) ||
        (rc = node_http_resp_header(resp, "Cache-Control", "%s", sw ? "no-cache" : cache)) ||
        (sw && (rc = node_http_resp_header(resp, "Service-Worker-Allowed", "/"))))
        return rc;
    if (inm && strstr(inm, a->etag))
        rc = node_http_resp_set(resp, 304, NULL, NULL, 0);
    else
        rc = node_http_resp_set(resp, 200, a->ctype, a->data, a->len);
    return rc < 0 ? rc : 1;
}

static int answer_page(const node_http_req_t *req, node_http_resp_t *resp)
{
    const node_page_asset_t *a = node_page_asset("page.html");
    if (!a) {
        int rc = node_http_resp_problem(resp, 404, "this keten was built without web/page.html");
        return rc < 0 ? rc : 1;
    }
    /* the page itself is small: always revalidated, so that a new build shows */
    return answer_asset(req, a, "no-cache", resp);
}

/* Reads dl (and req's query) as a Digital Link on any host: 1 when it is a
 * GS1 identifier (*key), 0 when it is no Digital Link (not ours),
 * LEDGER_EINPUT for a Digital Link that is wrong (message in err). */
static int read_dl(const node_http_req_t *req, const char *dl, char *uri, size_t cap,
                   ledger_key_t *key, ledger_err_t *err)
{
    size_t hl = strlen(DL_HOST);
    int rc;
    snprintf(uri, cap, "%s%s%s%s", DL_HOST, dl, req->query[0] ? "?" : "", req->query);
    if ((rc = ledger_key_read(uri, key, err)))
        return rc;
    return key->gs1 && !strncmp(key->text, DL_HOST "/", hl + 1);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int node_page_bundle(node_page_t *p, const ledger_key_t *key, ledger_buf_t *out, double *ms,
                     ledger_err_t *err)
{
    double t0 = now_ms();
    ledger_bundle_step_t *steps = NULL;
    ledger_bundle_partner_t *parts = NULL;
    char(*names)[256] = NULL;
    size_t nsteps = 0, np = 0, own = 0;
    ledger_bundle_spec_t spec = {0};
    struct timespec ts;
    int rc;
    if ((rc = ledger_bundle_steps(p->st, key, NODE_PAGE_TRACE_NODES, &steps, &nsteps, err)))
        goto out;
    for (size_t i = 0; i < nsteps; i++) { /* the public rule: other feeds' steps sealed */
        steps[i].seal = !node_page_feeds_has(&p->feeds, steps[i].feed);
        own += !steps[i].seal;
    }
    if (!own) {
        rc = ledger_err_set(
            err, LEDGER_ENOTFOUND, "this node has no events of it that it shows (%s)",
            p->feeds.npub ? "its own events and its public partners'" : "its own events only");
        goto out;
    }
    if (!(parts = calloc(nsteps + 1, sizeof *parts)) ||
        !(names = calloc(nsteps + 1, sizeof *names))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i <= nsteps; i++) { /* every feed once, and the node itself */
        const uint8_t *feed = i < nsteps ? steps[i].feed : p->feeds.self;
        size_t k;
        for (k = 0; k < np && memcmp(parts[k].feed, feed, LEDGER_FEED_LEN); k++)
            ;
        if (k < np)
            continue;
        memcpy(parts[np].feed, feed, LEDGER_FEED_LEN);
        if (p->name)
            p->name(p->name_ctx, feed, names[np], sizeof names[np]);
        parts[np].name = names[np];
        np++;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    spec.subject = key->text;
    spec.created_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)(ts.tv_nsec / 1000000);
    spec.partners = parts;
    spec.npartners = np;
    spec.steps = steps;
    spec.nsteps = nsteps;
    spec.flags = 0; /* disclosure by each step's seal (above); private entries never */
    rc = ledger_bundle_create(p->st, p->id, &spec, out, err);
out:
    if (ms)
        *ms = now_ms() - t0;
    free(steps);
    free(parts);
    free(names);
    return rc;
}

static int answer_bundle(node_page_t *p, const ledger_key_t *key, const char *dl,
                         node_http_resp_t *resp)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_err_t err;
    double ms = 0;
    int rc = node_page_bundle(p, key, &b, &ms, &err);
    if (rc == LEDGER_ENOTFOUND) {
        rc = node_http_resp_problem(resp, 404, "%s: %s", dl, err.msg);
        goto out;
    }
    if (rc)
        goto out;
    if ((rc = security_headers(resp)) ||
        (rc = node_http_resp_header(resp, "Cache-Control", "no-store")) ||
        (rc = node_http_resp_header(resp, "Content-Disposition",
                                    "attachment; filename=\"provenance.keten\"")) ||
        (rc = node_http_resp_header(resp, "Server-Timing", "bundle;dur=%.2f", ms)) ||
        (rc = node_http_resp_set(resp, 200, NODE_PAGE_BUNDLE_TYPE, b.data, b.len)))
        goto out;
out:
    ledger_buf_free(&b);
    return rc < 0 ? rc : 1;
}

/* /page{dl} and /bundle{dl}. */
static int route_dl(node_page_t *p, const node_http_req_t *req, const char *dl, int bundle,
                    node_http_resp_t *resp)
{
    struct {
        char uri[NODE_HTTP_TARGET_MAX + 64];
        ledger_key_t key;
    } *w = malloc(sizeof *w); /* about 12 KB: not on the loop's stack */
    ledger_err_t err;
    int rc;
    if (!w)
        return LEDGER_ENOMEM;
    rc = read_dl(req, dl, w->uri, sizeof w->uri, &w->key, &err);
    if (rc == LEDGER_EINPUT) {
        if ((rc = allow(req, resp)) == 0 &&
            (rc = node_http_resp_problem(resp, 400, "%s is not a GS1 Digital Link: %s", dl,
                                         err.msg)) == 0)
            rc = 1;
    } else if (rc == 0) {
        rc = node_http_resp_problem(resp, 404, "%s is not a GS1 Digital Link", dl);
        rc = rc < 0 ? rc : 1;
    } else if (rc == 1 && (rc = allow(req, resp)) == 0)
        rc = bundle ? answer_bundle(p, &w->key, dl, resp) : answer_page(req, resp);
    free(w);
    return rc;
}

int node_page_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    node_page_t *p = ctx;
    size_t al = strlen(NODE_PAGE_ASSETS), pl = strlen(NODE_PAGE_ROUTE),
           bl = strlen(NODE_PAGE_BUNDLE);
    int rc;
    if (!strncmp(req->path, NODE_PAGE_ASSETS, al)) {
        const char *name = req->path + al;
        const node_page_asset_t *a;
        if ((rc = allow(req, resp)))
            return rc;
        if (!name[0] || !strcmp(name, "verify"))
            return answer_page(req, resp);
        if (!(a = node_page_asset(name))) {
            rc = node_http_resp_problem(resp, 404, "no file %s here", req->path);
            return rc < 0 ? rc : 1;
        }
        return answer_asset(req, a, "public, max-age=3600", resp);
    }
    if (!strncmp(req->path, NODE_PAGE_ROUTE, pl) && req->path[pl] == '/')
        return route_dl(p, req, req->path + pl, 0, resp);
    if (!strncmp(req->path, NODE_PAGE_BUNDLE, bl) && req->path[bl] == '/')
        return route_dl(p, req, req->path + bl, 1, resp);
    return 0;
}

int node_page_new(ledger_store_t *st, const node_page_conf_t *conf, node_page_t **out,
                  ledger_err_t *err)
{
    node_page_t *p;
    int rc;
    *out = NULL;
    if (!conf || !conf->id)
        return ledger_err_set(err, LEDGER_EINPUT, "the product page needs the node's key");
    if (!(p = calloc(1, sizeof *p)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    p->st = st;
    p->id = conf->id;
    p->name = conf->name;
    p->name_ctx = conf->name_ctx;
    if ((rc = node_page_feeds_init(&p->feeds, ledger_store_self(st), conf->public_feeds,
                                   conf->npublic, err))) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void node_page_free(node_page_t *p)
{
    if (p)
        node_page_feeds_free(&p->feeds);
    free(p);
}
