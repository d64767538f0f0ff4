/* fuzz_http.c -- libFuzzer target for every byte of ours that sees a raw
 * HTTP request: node_http's connection (http-parser callbacks, header and
 * body collection, the limits, pipelining, keep-alive), its query-string
 * and header look-ups, the EPCIS query routes (node_query.h: the query
 * string's parameters and values, the resource paths, nextPageToken) and
 * the resolver routes (node_resolve.h: the path read as a Digital Link,
 * linkType, Accept) over a store of a few events (an item whose events
 * carry certificationInfo, a lot in a quantity list, a place: every kind
 * of gs1:epcis and gs1:certificationInfo link), the query routes wrapped
 * in CORS (node_cors.h: Origin, preflights) for one listed origin.
 *
 * data[0] picks how the rest is cut into reads (0: one read, else 1..255
 * bytes each).  The limits are small (1 KB of headers, 4 KB of body) so
 * that the fuzzer reaches them.  Properties: whatever the bytes, the
 * server answers only with well-formed status lines ("HTTP/1.1 NNN "
 * first), and a connection it closes ends with a response that said
 * "Connection: close".  Any crash, leak or abort is a finding. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger_epcis.h"
#include "ledger_identity.h"
#include "node_cors.h"
#include "node_http.h"
#include "node_query.h"
#include "node_resolve.h"

static uv_loop_t loop;
static node_http_t *srv;
static ledger_store_t *st;
static node_resolve_t *res;
static node_query_t *qry;
static node_cors_t *cors;
static const char origins[1][NODE_CORS_ORIGIN_MAX] = {"https://shop.example"};

/* /echo?q=...: the query and header look-ups on fuzzed text */
static int echo(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    char q[64];
    const char *a;
    (void)ctx;
    if (strcmp(req->path, "/echo") != 0)
        return 0;
    if (!node_http_query(req, "q", q, sizeof q))
        q[0] = '\0';
    a = node_http_header(req, "accept");
    if (node_http_resp_header(resp, "X-Accept", "%s", a ? a : "") ||
        node_http_resp_set(resp, 200, "text/plain", q, strlen(q)))
        return LEDGER_ENOMEM;
    return 1;
}

/* The first route: notes whether each request dispatched was a HEAD (its
 * answer has no body), then lets the others answer. */
static unsigned char heads[65536];
static size_t nheads;

static int note(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    (void)ctx;
    (void)resp;
    if (nheads < sizeof heads)
        heads[nheads] = (unsigned char)req->head;
    nheads++;
    return 0;
}

/* The value of the header line `name` ("Name: ") in the head [p, hend),
 * matched at a line's start only (a header value may quote another's
 * name: the echo route sends the request's Accept back); NULL if none. */
static const char *hdr(const char *p, const char *hend, const char *name)
{
    size_t nl = strlen(name);
    const char *l = memchr(p, '\n', (size_t)(hend - p)); /* past the status line */
    while (l && l + 1 < hend) {
        l++;
        if ((size_t)(hend - l) >= nl && memcmp(l, name, nl) == 0)
            return l + nl;
        l = memchr(l, '\n', (size_t)(hend - l));
    }
    return NULL;
}

/* Checks the responses in out[0..n): each starts "HTTP/1.1 NNN " and has
 * a Content-Length (not a 100 or 204) that its body (none for a HEAD)
 * matches exactly;
 * returns whether the last one said Connection: close. */
static int check(const uint8_t *out, size_t n)
{
    const char *p = (const char *)out, *end = p + n;
    int last_close = 0;
    size_t i = 0;
    while (p < end) {
        const char *hend, *cl, *conn;
        unsigned long len;
        if ((size_t)(end - p) < 13 || memcmp(p, "HTTP/1.1 ", 9) != 0 || p[9] < '1' || p[9] > '5' ||
            p[12] != ' ')
            abort();
        if (!(hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4)))
            abort();
        if (p[9] == '1') { /* 100 Continue: an interim answer, no body */
            p = hend + 4;
            continue;
        }
        cl = hdr(p, hend + 2, "Content-Length: ");
        if (!cl && memcmp(p + 9, "204", 3) != 0) /* only 204 goes without */
            abort();
        len = cl ? strtoul(cl, NULL, 10) : 0;
        conn = hdr(p, hend + 2, "Connection: ");
        last_close = conn && (size_t)(hend - conn) >= 5 && memcmp(conn, "close", 5) == 0;
        p = hend + 4;
        if (i < nheads && i < sizeof heads && heads[i])
            len = 0;
        if ((size_t)(end - p) < len)
            abort();
        p += len;
        i++;
    }
    return last_close;
}

/* The events the resolver answers about: GET /01/05412345000129/21/C1,
 * /01/05412345000112/10/L1, /414/5412345000013. */
static const char *const events[] = {
    "{\"type\":\"ObjectEvent\",\"action\":\"ADD\",\"eventTime\":\"2025-12-01T00:00:00Z\","
    "\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[\"urn:epc:id:sgtin:5412345.000012.C1\"],"
    "\"certificationInfo\":[\"https://cert.example/a\",\"https://cert.example/b\"]}",
    "{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":\"2025-12-01T01:00:00Z\","
    "\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[\"urn:epc:id:sgtin:5412345.000012.C1\"],"
    "\"certificationInfo\":\"https://cert.example/a\"}",
    "{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":\"2025-12-01T02:00:00Z\","
    "\"eventTimeZoneOffset\":\"+00:00\",\"quantityList\":[{\"epcClass\":"
    "\"urn:epc:class:lgtin:5412345.000011.L1\",\"quantity\":2}],"
    "\"readPoint\":{\"id\":\"urn:epc:id:sgln:5412345.00001.0\"},"
    "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:5412345.00001.0\"}}"};
#define NEVENTS (sizeof events / sizeof events[0])

static void init(void)
{
    char dir[] = "/tmp/fuzz_http.XXXXXX";
    node_http_limits_t lim = {1024, 4096, 0, 0, 0};
    node_resolve_conf_t rc = {"", NULL, "127.0.0.1:8080", "fuzz"};
    ledger_identity_t *id = NULL;
    json_t *evs[NEVENTS];
    if (srv)
        return;
    if (!mkdtemp(dir) || ledger_identity_generate(&id, NULL) ||
        ledger_store_open(dir, LEDGER_STORE_CREATE, ledger_identity_public(id), &st, NULL))
        abort();
    for (size_t i = 0; i < NEVENTS; i++)
        if (!(evs[i] = json_loads(events[i], 0, NULL)) ||
            ledger_epcis_event_check(evs[i], "fuzz", NULL))
            abort();
    if (ledger_store_append_events(st, id, evs, NEVENTS, 0, NULL, NULL))
        abort();
    for (size_t i = 0; i < NEVENTS; i++)
        json_decref(evs[i]);
    ledger_identity_free(id);
    if (uv_loop_init(&loop) || node_http_new(&loop, &lim, NULL, NULL, &srv, NULL) ||
        node_resolve_new(st, &rc, &res, NULL) || node_http_route(srv, note, NULL, NULL) ||
        node_http_route(srv, echo, NULL, NULL) || node_query_new(st, &qry, NULL) ||
        node_cors_new(origins, 1, node_query_handle, qry, NULL, &cors, NULL) ||
        node_http_route(srv, node_cors_handle, cors, NULL) ||
        node_http_route(srv, node_resolve_handle, res, NULL))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_buf_t out = LEDGER_BUF_INIT;
    int closed;
    init();
    if (size < 1)
        return 0;
    nheads = 0;
    closed = node_http_drive(srv, data + 1, size - 1, data[0], &out);
    if (closed < 0)
        abort();
    /* closed: by an answer that said so, or (nothing answered) at once */
    if (out.len && check(out.data, out.len) != (closed == 1))
        abort();
    ledger_buf_free(&out);
    return 0;
}
