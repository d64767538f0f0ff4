/* node_cors.c -- CORS headers around a route handler (node_cors.h).
 *
 * The wrapped handler answers as always; afterwards, when it did answer
 * and the request's Origin is listed, the CORS headers are appended to
 * its response.  Nothing else of the answer changes, so a route's
 * behaviour is the same with and without CORS, and a preflight is the
 * route's own OPTIONS answer with the CORS headers added.
 */
#include "node_cors.h"

#include <stdlib.h>
#include <string.h>

#define EXPOSE                                                                                     \
    "Location, Link, GS1-EPCIS-Version, GS1-EPCIS-Min, GS1-EPCIS-Max, GS1-CBV-Version, "           \
    "GS1-Vendor-Version, GS1-EPCIS-Capture-Limit, GS1-EPCIS-Capture-File-Size-Limit, "             \
    "Server-Timing, ETag, WWW-Authenticate"
#define ALLOW_HEADERS                                                                              \
    "Authorization, Content-Type, Accept, If-None-Match, GS1-EPCIS-Version, GS1-EPCIS-Min, "       \
    "GS1-EPCIS-Max, GS1-CBV-Version, GS1-CBV-XML-Format, GS1-EPC-Format, "                         \
    "GS1-Capture-Error-Behaviour"
#define MAX_AGE "600"

struct node_cors {
    char (*origins)[NODE_CORS_ORIGIN_MAX];
    size_t n;
    int any; /* "*" listed */
    node_http_handler_fn fn;
    void *ctx;
    char methods[128];
};

int node_cors_origin_ok(const char *s)
{
    const char *h;
    size_t n;
    if (!strcmp(s, "*"))
        return 1;
    if (!strncmp(s, "https://", 8))
        h = s + 8;
    else if (!strncmp(s, "http://", 7))
        h = s + 7;
    else
        return 0;
    n = strlen(h);
    if (n == 0 || strlen(s) >= NODE_CORS_ORIGIN_MAX)
        return 0;
    if (h[0] == '[') { /* [IPv6][:port] */
        const char *e = strchr(h, ']');
        if (!e || e == h + 1 || strspn(h + 1, "0123456789abcdefABCDEF:.") != (size_t)(e - h - 1))
            return 0;
        h = e + 1;
        if (!*h)
            return 1;
        return h[0] == ':' && h[1] && strspn(h + 1, "0123456789") == strlen(h + 1);
    }
    {
        size_t host = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
        if (host == 0 || h[0] == '.' || h[0] == '-')
            return 0;
        if (host == n)
            return 1;
        return h[host] == ':' && h[host + 1] &&
               strspn(h + host + 1, "0123456789") == strlen(h + host + 1);
    }
}

int node_cors_new(const char (*origins)[NODE_CORS_ORIGIN_MAX], size_t norigins,
                  node_http_handler_fn fn, void *ctx, const char *methods, node_cors_t **out,
                  ledger_err_t *err)
{
    node_cors_t *c;
    *out = NULL;
    for (size_t i = 0; i < norigins; i++)
        if (!node_cors_origin_ok(origins[i]))
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "http cors: \"%s\" is no origin: give \"https://host[:port]\" "
                                  "(no path, no trailing /) or \"*\"",
                                  origins[i]);
    if (!(c = calloc(1, sizeof *c)) ||
        (norigins && !(c->origins = calloc(norigins, sizeof *c->origins)))) {
        free(c);
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < norigins; i++) {
        memcpy(c->origins[i], origins[i], NODE_CORS_ORIGIN_MAX);
        c->any = c->any || !strcmp(origins[i], "*");
    }
    c->n = norigins;
    c->fn = fn;
    c->ctx = ctx;
    snprintf(c->methods, sizeof c->methods, "%s", methods ? methods : "GET, HEAD, OPTIONS");
    *out = c;
    return 0;
}

void node_cors_free(node_cors_t *c)
{
    if (c)
        free(c->origins);
    free(c);
}

static int listed(const node_cors_t *c, const char *origin)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->origins[i], origin))
            return 1;
    return 0;
}

/* The CORS headers of an answer to a request from origin. */
static int add_headers(const node_cors_t *c, const node_http_req_t *req, const char *origin,
                       node_http_resp_t *resp)
{
    int rc;
    if ((rc = node_http_resp_header(resp, "Access-Control-Allow-Origin", "%s",
                                    listed(c, origin) ? origin : "*")) ||
        (rc = node_http_resp_header(resp, "Access-Control-Expose-Headers", "%s", EXPOSE)))
        return rc;
    if (!strcmp(req->method, "OPTIONS") && node_http_header(req, "access-control-request-method") &&
        ((rc = node_http_resp_header(resp, "Access-Control-Allow-Methods", "%s", c->methods)) ||
         (rc = node_http_resp_header(resp, "Access-Control-Allow-Headers", "%s", ALLOW_HEADERS)) ||
         (rc = node_http_resp_header(resp, "Access-Control-Max-Age", MAX_AGE))))
        return rc;
    return 0;
}

int node_cors_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    node_cors_t *c = ctx;
    const char *origin = node_http_header(req, "origin");
    int rc = c->fn(c->ctx, req, resp), e;
    if (rc != 1 || !origin)
        return rc;
    if ((e = node_http_resp_header(resp, "Vary", "Origin")))
        return e;
    if ((c->any || listed(c, origin)) && (e = add_headers(c, req, origin, resp)))
        return e;
    return 1;
}
