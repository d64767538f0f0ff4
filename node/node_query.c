/* node_query.c -- the EPCIS 2.0 REST query routes (node_query.h).
 *
 * A request is read into one value per known parameter (the query string
 * split at '&' and '=', percent-decoded; a resource path such as
 * /bizSteps/{s}/events sets one more).  The parameters that an index
 * answers (identifiers: ledger_store_ident_hits; locations:
 * ledger_store_find_location; eventID: ledger_store_event_lseqs) each give
 * a sorted set of local positions; the smallest set is the candidates and
 * the others are membership checks; with none, every entry of the log is a
 * candidate.  Each candidate's card (ledger_store_card: no payload) is
 * checked against what the node shows and the remaining filters (type,
 * action, CBV words, times); the matches are sorted by the order asked for
 * (then by local position), the page after nextPageToken is cut, and only
 * its events are decoded into the EPCISQueryDocument.
 *
 * nextPageToken is the sort key and local position of the last event of
 * the page ("ea1764489600000.42": orderBy e|r, direction a|d): the next
 * page is what sorts after it, so events recorded meanwhile do not shift
 * the pages.
 */
#include "node_query.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_cbv.h"
#include "ledger_epcis.h"
#include "ledger_replica.h"
#include "node__query.h"

#define QPE "https://ref.gs1.org/standards/epcis/2.0.0/#QueryParameterException"
#define QTL "https://ref.gs1.org/standards/epcis/2.0.0/#QueryTooLargeException"
#define ALLOW "GET, HEAD, OPTIONS"

static const char *const pname[NPARAM] = {
    "eventType",       "EQ_action",      "EQ_bizStep",   "EQ_disposition", "EQ_readPoint",
    "EQ_bizLocation",  "MATCH_epc",      "MATCH_anyEPC", "MATCH_parentID", "MATCH_inputEPC",
    "MATCH_outputEPC", "MATCH_epcClass", "EQ_eventID",   "GE_eventTime",   "LT_eventTime",
    "GE_recordTime",   "LT_recordTime",  "orderBy",      "orderDirection", "perPage",
    "nextPageToken"};

/* The identifier parameters and the roles each matches (bit 1 << role). */
#define R(x) (1u << LEDGER_ROLE_##x)
static const struct {
    int p;
    unsigned roles;
} ident_params[] = {
    {P_EPC, R(EPC) | R(CHILD)}, {P_ANY, R(EPC) | R(CHILD) | R(PARENT) | R(INPUT) | R(OUTPUT)},
    {P_PARENT, R(PARENT)},      {P_INPUT, R(INPUT)},
    {P_OUTPUT, R(OUTPUT)},      {P_CLASS, R(CLASS) | R(CHILD) | R(INPUT) | R(OUTPUT)},
};
#undef R

/* The resource paths: /{name}/{value}/events sets parameter p. */
static const struct {
    const char *name;
    int p;
} resources[] = {
    {"eventTypes", P_TYPE}, {"epcs", P_ANY},      {"bizSteps", P_BIZSTEP},
    {"bizLocations", P_BL}, {"readPoints", P_RP}, {"dispositions", P_DISP},
};

static const char *const event_types[] = {"ObjectEvent", "AggregationEvent", "TransactionEvent",
                                          "TransformationEvent", "AssociationEvent"};

/* ---- small things ------------------------------------------------------- */

int node_query_gs1_headers(node_http_resp_t *resp)
{
    int rc;
    if ((rc = node_http_resp_header(resp, "GS1-EPCIS-Version", "2.0.0")) ||
        (rc = node_http_resp_header(resp, "GS1-CBV-Version", "2.0.0")) ||
        (rc = node_http_resp_header(resp, "GS1-EPCIS-Min", "2.0.0")) ||
        (rc = node_http_resp_header(resp, "GS1-EPCIS-Max", "2.0.0")) ||
        (rc = node_http_resp_header(resp, "GS1-Vendor-Version", "keten")))
        return rc;
    return 0;
}

/* A problem of EPCIS's exception type (type URI), status, detail. */
static int problem(node_http_resp_t *resp, int status, const char *type, const char *detail)
{
    json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title",
                          strrchr(type, '#') ? strrchr(type, '#') + 1 : type, "status", status,
                          "detail", detail);
    int rc;
    if (!o)
        return LEDGER_ENOMEM;
    rc = node_http_resp_json(resp, status, "application/problem+json", o);
    json_decref(o);
    return rc ? rc : 1;
}

static int bad_param(node_http_resp_t *resp, const char *name, const char *fmt, const char *v)
{
    char d[600];
    char shown[200];
    snprintf(shown, sizeof shown, "%.199s", v ? v : "");
    snprintf(d, sizeof d, fmt, name, shown);
    return problem(resp, 400, QPE, d);
}

/* Does the comma-separated list contain word (cbv: compared as short words)? */
static int in_list(const char *list, const char *word, int cbv)
{
    char w[512], item[512];
    const char *p = list;
    if (!word)
        return 0;
    if (cbv)
        ledger_cbv_short(word, w, sizeof w);
    else
        snprintf(w, sizeof w, "%s", word);
    for (;;) {
        size_t n = strcspn(p, ",");
        char it[512];
        snprintf(it, sizeof it, "%.*s", (int)(n < sizeof it ? n : sizeof it - 1), p);
        if (cbv)
            ledger_cbv_short(it, item, sizeof item);
        else
            snprintf(item, sizeof item, "%s", it);
        if (!strcmp(item, w))
            return 1;
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

static int set_add(set_t *s, uint64_t lseq)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return LEDGER_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = lseq;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void set_sort(set_t *s)
{
    size_t o = 0;
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, cmp_u64);
    for (size_t i = 0; i < s->n; i++)
        if (o == 0 || s->v[o - 1] != s->v[i])
            s->v[o++] = s->v[i];
    s->n = o;
}

static int set_has(const set_t *s, uint64_t lseq)
{
    return bsearch(&lseq, s->v, s->n, sizeof *s->v, cmp_u64) != NULL;
}

static void q_free(q_t *q)
{
    for (size_t i = 0; i < q->nsets; i++)
        free(q->sets[i].v);
    free(q->hits);
}

/* ---- reading the parameters --------------------------------------------- */

/* Reads the query string qs into q->val; a parameter not in allowed (bit
 * 1 << k) is a 400 saying why_not.  1 when answered (400), 0, <0. */
static int read_query_str(const char *qs, unsigned allowed, const char *why_not, q_t *q,
                          node_http_resp_t *resp)
{
    const char *p = qs;
    while (*p) {
        size_t n = strcspn(p, "&"), nl = strcspn(p, "=&");
        char name[64];
        int k = -1;
        if (n == 0) {
            p++;
            continue;
        }
        if (node_http_pct_decode(p, nl, name, sizeof name, NODE_HTTP_PCT_PLUS))
            snprintf(name, sizeof name, "%.*s", (int)(nl < 40 ? nl : 40), p);
        for (int i = 0; i < NPARAM; i++)
            if (!strcmp(name, pname[i]))
                k = i;
        if (k < 0)
            return bad_param(resp, name,
                             "%s%s: not a query parameter this node knows (docs/http.md lists "
                             "them)",
                             "");
        if (!(allowed & (1u << k)))
            return bad_param(resp, name, "%s: %s", why_not);
        if (q->given[k])
            return bad_param(resp, name, "%s: given twice%s", "");
        if (nl == n ||
            node_http_pct_decode(p + nl + 1, n - nl - 1, q->val[k], VAL_MAX, NODE_HTTP_PCT_PLUS) ||
            !q->val[k][0])
            return bad_param(resp, name,
                             "%s: needs a value (percent-encoded, at most 4096 "
                             "bytes)%s",
                             "");
        q->given[k] = 1;
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

static int read_query(const node_http_req_t *req, q_t *q, node_http_resp_t *resp)
{
    return read_query_str(req->query, ALL_PARAMS, "", q, resp);
}

static int read_time(q_t *q, int k, int64_t *ms, node_http_resp_t *resp)
{
    const char *why = NULL;
    if (!q->given[k])
        return 0;
    if (ledger_epcis_time_ms(q->val[k], ms, &why))
        return bad_param(resp, pname[k],
                         "%s: \"%s\" is not a date-time with a zone "
                         "(2025-11-30T08:00:00Z)",
                         q->val[k]);
    return 0;
}

/* Checks and converts the values.  1 when answered (400), 0. */
static int check_values(q_t *q, node_http_resp_t *resp)
{
    int rc;
    q->ge_et = q->ge_rt = INT64_MIN;
    q->lt_et = q->lt_rt = INT64_MAX;
    if ((rc = read_time(q, P_GE_ET, &q->ge_et, resp)) ||
        (rc = read_time(q, P_LT_ET, &q->lt_et, resp)) ||
        (rc = read_time(q, P_GE_RT, &q->ge_rt, resp)) ||
        (rc = read_time(q, P_LT_RT, &q->lt_rt, resp)))
        return rc;
    if (q->given[P_TYPE]) {
        const char *p = q->val[P_TYPE];
        for (;;) {
            size_t n = strcspn(p, ","), ok = 0;
            for (size_t i = 0; i < 5; i++)
                ok |= strlen(event_types[i]) == n && !strncmp(p, event_types[i], n);
            if (!ok)
                return bad_param(resp, pname[P_TYPE],
                                 "%s: \"%s\" is not an EPCIS 2.0 event type (ObjectEvent, "
                                 "AggregationEvent, TransactionEvent, TransformationEvent, "
                                 "AssociationEvent)",
                                 q->val[P_TYPE]);
            if (!p[n])
                break;
            p += n + 1;
        }
    }
    if (q->given[P_ACTION]) {
        const char *p = q->val[P_ACTION];
        for (;;) {
            size_t n = strcspn(p, ",");
            if (!((n == 3 && (!strncmp(p, "ADD", 3))) || (n == 7 && !strncmp(p, "OBSERVE", 7)) ||
                  (n == 6 && !strncmp(p, "DELETE", 6))))
                return bad_param(resp, pname[P_ACTION], "%s: \"%s\" is not ADD, OBSERVE or DELETE",
                                 q->val[P_ACTION]);
            if (!p[n])
                break;
            p += n + 1;
        }
    }
    for (int k = P_BIZSTEP; k <= P_DISP; k++) {
        const char *p = q->val[k];
        if (!q->given[k])
            continue;
        for (;;) {
            size_t n = strcspn(p, ",");
            char it[512], why[200];
            snprintf(it, sizeof it, "%.*s", (int)(n < sizeof it ? n : sizeof it - 1), p);
            if (ledger_cbv_check(k == P_BIZSTEP ? &ledger_cbv_bizstep : &ledger_cbv_disp, it, why,
                                 sizeof why) < 0) {
                char d[800];
                snprintf(d, sizeof d, "%s: \"%.200s\" %s", pname[k], it, why);
                return problem(resp, 400, QPE, d);
            }
            if (!p[n])
                break;
            p += n + 1;
        }
    }
    q->by_record = q->given[P_ORDER] && !strcmp(q->val[P_ORDER], "recordTime");
    if (q->given[P_ORDER] && !q->by_record && strcmp(q->val[P_ORDER], "eventTime"))
        return bad_param(resp, pname[P_ORDER], "%s: \"%s\": eventTime or recordTime",
                         q->val[P_ORDER]);
    q->desc = q->given[P_DIR] && !strcmp(q->val[P_DIR], "DESC");
    if (q->given[P_DIR] && !q->desc && strcmp(q->val[P_DIR], "ASC"))
        return bad_param(resp, pname[P_DIR], "%s: \"%s\": ASC or DESC", q->val[P_DIR]);
    q->per_page = NODE_QUERY_PER_PAGE;
    if (q->given[P_PER]) {
        char *end;
        unsigned long v = strtoul(q->val[P_PER], &end, 10);
        if (*end || q->val[P_PER][0] < '1' || q->val[P_PER][0] > '9' || v > NODE_QUERY_PER_PAGE_MAX)
            return bad_param(resp, pname[P_PER], "%s: \"%s\": a whole number from 1 to 1000",
                             q->val[P_PER]);
        q->per_page = v;
    }
    if (q->given[P_TOKEN]) {
        char o, d, again[80];
        long long key;
        unsigned long long lseq;
        if (strlen(q->val[P_TOKEN]) > 60 ||
            sscanf(q->val[P_TOKEN], "%c%c%lld.%llu", &o, &d, &key, &lseq) != 4 ||
            snprintf(again, sizeof again, "%c%c%lld.%llu", o, d, key, lseq) < 0 ||
            strcmp(again, q->val[P_TOKEN]) || o != (q->by_record ? 'r' : 'e') ||
            d != (q->desc ? 'd' : 'a'))
            return bad_param(resp, pname[P_TOKEN],
                             "%s: \"%s\" is not a token of this query's order (take it from "
                             "the Link header, with the same orderBy and orderDirection)",
                             q->val[P_TOKEN]);
        q->has_token = 1;
        q->tok_key = key;
        q->tok_lseq = lseq;
    }
    return 0;
}

/* ---- the candidates ----------------------------------------------------- */

static int new_set(q_t *q, set_t **s)
{
    *s = &q->sets[q->nsets++];
    (*s)->active = 1;
    return 0;
}

typedef struct loc_ctx {
    set_t *s;
    int role;
    q_t *q;
} loc_ctx_t;

static int on_loc(uint64_t lseq, int role, void *ctx)
{
    loc_ctx_t *c = ctx;
    if (role != c->role)
        return 0;
    if (c->s->n >= NODE_QUERY_WALK_MAX) {
        c->q->too_large = 1;
        return 1;
    }
    return set_add(c->s, lseq);
}

/* Fills the sets of the index parameters.  1 when answered, 0, <0. */
static int index_sets(node_query_t *nq, q_t *q, node_http_resp_t *resp)
{
    ledger_err_t err;
    set_t *s;
    int rc;
    for (size_t i = 0; i < sizeof ident_params / sizeof ident_params[0]; i++) {
        int k = ident_params[i].p;
        const char *p = q->val[k];
        ledger_ident_hit_t *hits = NULL;
        size_t n = 0, cap = 0;
        if (!q->given[k])
            continue;
        new_set(q, &s);
        for (;;) {
            size_t len = strcspn(p, ",");
            char it[VAL_MAX];
            snprintf(it, sizeof it, "%.*s", (int)len, p);
            if (strchr(it, '*')) {
                free(hits);
                return bad_param(resp, pname[k],
                                 "%s: \"%s\": patterns (*) are not supported yet: give whole "
                                 "identifiers",
                                 it);
            }
            n = 0;
            rc = ledger_store_ident_hits(nq->st, it, q->ge_et,
                                         q->lt_et == INT64_MIN ? INT64_MIN : q->lt_et - 1, &hits,
                                         &n, &cap, &err);
            if (rc == LEDGER_EINPUT) {
                char d[800];
                free(hits);
                snprintf(d, sizeof d, "%s: \"%.200s\": %.300s", pname[k], it, err.msg);
                return problem(resp, 400, QPE, d);
            }
            if (rc && rc != LEDGER_ENOTFOUND) {
                free(hits);
                return rc;
            }
            for (size_t j = 0; j < n; j++)
                if (hits[j].role > 0 && hits[j].role < 32 &&
                    (ident_params[i].roles & (1u << hits[j].role)) &&
                    (rc = set_add(s, hits[j].lseq))) {
                    free(hits);
                    return rc;
                }
            if (s->n > NODE_QUERY_WALK_MAX)
                q->too_large = 1;
            if (!p[len] || q->too_large)
                break;
            p += len + 1;
        }
        free(hits);
        set_sort(s);
    }
    for (int k = P_RP; k <= P_BL; k++) {
        const char *p = q->val[k];
        if (!q->given[k])
            continue;
        new_set(q, &s);
        for (;;) {
            size_t len = strcspn(p, ",");
            char it[VAL_MAX];
            loc_ctx_t c = {s, k == P_BL ? 1 : 2, q};
            snprintf(it, sizeof it, "%.*s", (int)len, p);
            if ((rc = ledger_store_find_location(nq->st, it, on_loc, &c, &err)) < 0)
                return rc;
            if (!p[len] || q->too_large)
                break;
            p += len + 1;
        }
        set_sort(s);
    }
    if (q->given[P_EVID]) {
        const char *p = q->val[P_EVID];
        new_set(q, &s);
        for (;;) {
            size_t len = strcspn(p, ","), nf = 0;
            char it[VAL_MAX];
            uint64_t l[64];
            snprintf(it, sizeof it, "%.*s", (int)len, p);
            if ((rc = ledger_store_event_lseqs(nq->st, it, l, 64, &nf, &err)) < 0)
                return rc;
            for (size_t j = 0; j < nf && j < 64; j++)
                if ((rc = set_add(s, l[j])))
                    return rc;
            if (!p[len])
                break;
            p += len + 1;
        }
        set_sort(s);
    }
    if (q->too_large)
        return problem(resp, 413, QTL,
                       "the query names more than 20000 events: narrow it (a time window, "
                       "another filter)");
    return 0;
}

/* Does the card pass the filters that are not index sets (and the node show it)? */
static int card_ok(node_query_t *nq, q_t *q, const ledger_card_t *c)
{
    ledger_err_t err;
    int rc;
    if (c->error_declaration || (!q->all_feeds && memcmp(c->feed, nq->self, LEDGER_FEED_LEN)))
        return 0;
    if (c->lseq <= q->init_upto && (int64_t)c->record_time_ms < q->init_rt)
        return 0;
    if (q->given[P_TYPE] && !in_list(q->val[P_TYPE], c->type, 0))
        return 0;
    if (q->given[P_ACTION] && !in_list(q->val[P_ACTION], c->action, 0))
        return 0;
    if (q->given[P_BIZSTEP] && !in_list(q->val[P_BIZSTEP], c->biz_step, 1))
        return 0;
    if (q->given[P_DISP] && !in_list(q->val[P_DISP], c->disposition, 1))
        return 0;
    if (c->time_ms < q->ge_et || c->time_ms >= q->lt_et)
        return 0;
    if ((int64_t)c->record_time_ms < q->ge_rt || (int64_t)c->record_time_ms >= q->lt_rt)
        return 0;
    if ((rc = ledger_replica_is_private(nq->st, c->feed, c->seq, &err)) != 0)
        return rc < 0 ? rc : 0;
    return 1;
}

static int consider(node_query_t *nq, q_t *q, uint64_t lseq, const set_t *cand)
{
    ledger_card_t c;
    ledger_err_t err;
    int rc;
    if (lseq <= q->after || (q->upto && lseq > q->upto))
        return 0;
    for (size_t i = 0; i < q->nsets; i++)
        if (&q->sets[i] != cand && !set_has(&q->sets[i], lseq))
            return 0;
    rc = ledger_store_card(nq->st, lseq, &c, &err);
    if (rc == LEDGER_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    rc = card_ok(nq, q, &c);
    if (rc == 1) {
        if (q->nhits == q->hcap) {
            size_t cap = q->hcap ? q->hcap * 2 : 64;
            hit_t *v = realloc(q->hits, cap * sizeof *v);
            if (!v) {
                ledger_card_free(&c);
                return LEDGER_ENOMEM;
            }
            q->hits = v;
            q->hcap = cap;
        }
        q->hits[q->nhits].key = q->by_record ? (int64_t)c.record_time_ms : c.time_ms;
        q->hits[q->nhits++].lseq = lseq;
        rc = 0;
    }
    ledger_card_free(&c);
    return rc;
}

static int cmp_hit(const hit_t *a, const hit_t *b)
{
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->lseq < b->lseq ? -1 : a->lseq > b->lseq;
}

static int cmp_asc(const void *a, const void *b)
{
    return cmp_hit(a, b);
}

static int cmp_desc(const void *a, const void *b)
{
    return cmp_hit(b, a);
}

/* The matching events, sorted.  1 when answered (413), 0, <0. */
static int run(node_query_t *nq, q_t *q, node_http_resp_t *resp)
{
    ledger_err_t err;
    const set_t *cand = NULL;
    int rc;
    if ((rc = index_sets(nq, q, resp)))
        return rc;
    for (size_t i = 0; i < q->nsets; i++)
        if (!cand || q->sets[i].n < cand->n)
            cand = &q->sets[i];
    if ((rc = ledger_store_hold(nq->st, &err)))
        return rc;
    if (cand) {
        for (size_t i = 0; i < cand->n && rc == 0; i++)
            rc = consider(nq, q, cand->v[i], cand);
    } else {
        ledger_store_stats_t stt;
        if ((rc = ledger_store_stats(nq->st, &stt, &err)) == 0) {
            uint64_t last = q->upto && q->upto < stt.entries ? q->upto : stt.entries;
            if (last - (q->after < last ? q->after : last) > NODE_QUERY_WALK_MAX) {
                ledger_store_release(nq->st);
                return problem(resp, 413, QTL,
                               "the store holds more than 20000 entries: narrow the query by "
                               "an identifier, a location or an eventID");
            }
            for (uint64_t l = q->after + 1; l <= last && rc == 0; l++)
                rc = consider(nq, q, l, NULL);
        }
    }
    ledger_store_release(nq->st);
    if (rc)
        return rc;
    if (q->nhits)
        qsort(q->hits, q->nhits, sizeof *q->hits, q->desc ? cmp_desc : cmp_asc);
    return 0;
}

/* ---- the answers -------------------------------------------------------- */

static int decode_event(const ledger_stored_t *s, void *ctx)
{
    json_t **ev = ctx;
    if (!s->e.payload)
        return 0;
    return ledger_event_payload_decode(s->e.payload, s->e.plen, ev, NULL, 0, NULL);
}

static json_t *event_at(node_query_t *nq, uint64_t lseq)
{
    json_t *ev = NULL, *o;
    ledger_err_t err;
    if (ledger_store_get_lseq(nq->st, lseq, decode_event, &ev, &err) < 0 || !ev)
        return NULL;
    o = ledger_epcis_json_binding(ev);
    json_decref(ev);
    return o;
}

static void now_text(char *out, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The Link to the next page: the request's target without its
 * nextPageToken, with the new one. */
static int next_link(const node_http_req_t *req, const char *token, node_http_resp_t *resp)
{
    ledger_buf_t b = {0};
    const char *p = req->query;
    int rc, first = 1;
    if ((rc = ledger_buf_append(&b, req->path, strlen(req->path))))
        goto out;
    while (*p) {
        size_t n = strcspn(p, "&");
        if (n && strncmp(p, "nextPageToken=", 14)) {
            if ((rc = ledger_buf_append(&b, first ? "?" : "&", 1)) ||
                (rc = ledger_buf_append(&b, p, n)))
                goto out;
            first = 0;
        }
        p += n;
        if (*p)
            p++;
    }
    if ((rc = ledger_buf_append(&b, first ? "?" : "&", 1)) ||
        (rc = ledger_buf_append(&b, "nextPageToken=", 14)) ||
        (rc = ledger_buf_append(&b, token, strlen(token))) || (rc = ledger_buf_append(&b, "", 1)))
        goto out;
    rc = node_http_resp_header(resp, "Link", "<%s>; rel=\"next\"", (const char *)b.data);
out:
    ledger_buf_free(&b);
    return rc;
}

static int answer_query(node_query_t *nq, const node_http_req_t *req, q_t *q,
                        node_http_resp_t *resp)
{
    json_t *doc = NULL, *list;
    char now[40], token[80];
    size_t start = 0, end;
    int rc;
    if ((rc = check_values(q, resp)) || (rc = run(nq, q, resp)))
        return rc;
    if (q->has_token) {
        hit_t t = {q->tok_key, q->tok_lseq};
        while (start < q->nhits &&
               (q->desc ? cmp_hit(&q->hits[start], &t) >= 0 : cmp_hit(&q->hits[start], &t) <= 0))
            start++;
    }
    end = start + q->per_page < q->nhits ? start + q->per_page : q->nhits;
    now_text(now, sizeof now);
    if (!(list = json_array()) ||
        !(doc = json_pack("{s:[s], s:s, s:s, s:s, s:{s:{s:s, s:{s:o}}}}", "@context", EPCIS_CONTEXT,
                          "type", "EPCISQueryDocument", "schemaVersion", "2.0", "creationDate", now,
                          "epcisBody", "queryResults", "queryName", "SimpleEventQuery",
                          "resultsBody", "eventList", list)))
        return LEDGER_ENOMEM;
    for (size_t i = start; i < end; i++) {
        json_t *ev = event_at(nq, q->hits[i].lseq);
        if (!ev || json_array_append_new(list, ev)) {
            rc = LEDGER_ENOMEM;
            goto out;
        }
    }
    if (end < q->nhits && end > start) {
        snprintf(token, sizeof token, "%c%c%lld.%llu", q->by_record ? 'r' : 'e',
                 q->desc ? 'd' : 'a', (long long)q->hits[end - 1].key,
                 (unsigned long long)q->hits[end - 1].lseq);
        if ((rc = next_link(req, token, resp)))
            goto out;
    }
    rc = node_query_wants_xml(req) ? node_query__xml_answer(nq, resp, list)
                                   : node_http_resp_json(resp, 200, "application/ld+json", doc);
out:
    json_decref(doc);
    return rc < 0 ? rc : 1;
}

/* GET /events/{eventID}: the event itself as JSON-LD, or, when Accept asks
 * for XML, the EPCISQueryDocument enclosing it that GS1's openapi.yaml
 * gives (200EPCISQueryDocumentSinglePage). */
static int answer_event(node_query_t *nq, const node_http_req_t *req, const char *raw, int all,
                        node_http_resp_t *resp)
{
    char id[VAL_MAX], full[VAL_MAX + 40];
    uint64_t l[64];
    size_t n = 0;
    ledger_err_t err;
    int rc;
    if (node_http_pct_decode(raw, strlen(raw), id, sizeof id, 0) || !id[0])
        return problem(resp, 400, QPE, "eventID: not a percent-encoded event ID");
    if (!strchr(id, ':'))
        snprintf(full, sizeof full, "ni:///sha-256;%s?ver=CBV2.0", id);
    else
        snprintf(full, sizeof full, "%s", id);
    if ((rc = ledger_store_event_lseqs(nq->st, full, l, 64, &n, &err)) < 0)
        return rc;
    for (size_t i = 0; i < n && i < 64; i++) {
        ledger_card_t c;
        q_t *q = calloc(1, sizeof *q);
        json_t *ev;
        if (!q)
            return LEDGER_ENOMEM;
        q->ge_et = q->ge_rt = INT64_MIN;
        q->lt_et = q->lt_rt = INT64_MAX;
        q->all_feeds = all;
        rc = ledger_store_card(nq->st, l[i], &c, &err);
        if (rc == 0) {
            rc = card_ok(nq, q, &c);
            ledger_card_free(&c);
        } else if (rc == LEDGER_ENOTFOUND)
            rc = 0;
        free(q);
        if (rc < 0)
            return rc;
        if (rc == 0)
            continue;
        if (!(ev = event_at(nq, l[i])))
            return LEDGER_ENOMEM;
        if (node_query_wants_xml(req)) {
            json_t *one = json_pack("[o]", ev);
            if (!one)
                return LEDGER_ENOMEM;
            rc = node_query__xml_answer(nq, resp, one);
            json_decref(one);
            return rc < 0 ? rc : 1;
        }
        if (!json_object_get(ev, "@context"))
            json_object_set_new(ev, "@context", json_pack("[s]", EPCIS_CONTEXT));
        rc = node_http_resp_json(resp, 200, "application/ld+json", ev);
        json_decref(ev);
        return rc < 0 ? rc : 1;
    }
    {
        char d[600];
        snprintf(d, sizeof d, "no event %.400s that this node shows%s", full,
                 all ? "" : " (its own events only)");
        json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "type",
                              "https://ref.gs1.org/standards/epcis/2.0.0/#NoSuchResourceException",
                              "title", "NoSuchResourceException", "status", 404, "detail", d);
        if (!o)
            return LEDGER_ENOMEM;
        rc = node_http_resp_json(resp, 404, "application/problem+json", o);
        json_decref(o);
        return rc < 0 ? rc : 1;
    }
}

/* ---- discovery -------------------------------------------------------------- */

/* GET /bizSteps, /dispositions, /readPoints, /bizLocations: the values the
 * events the node shows use (as written, once each, sorted), from one
 * bounded walk of the log's cards. */
static const char *const discovery[] = {"/bizSteps", "/dispositions", "/readPoints",
                                        "/bizLocations"};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int answer_discovery(node_query_t *nq, int which, int all, node_http_resp_t *resp)
{
    ledger_store_stats_t stt;
    ledger_err_t err;
    json_t *seen = json_object(), *list = json_array();
    const char **keys = NULL;
    q_t *q = calloc(1, sizeof *q);
    int rc = LEDGER_ENOMEM;
    if (!seen || !list || !q)
        goto out;
    q->ge_et = q->ge_rt = INT64_MIN;
    q->lt_et = q->lt_rt = INT64_MAX;
    q->all_feeds = all;
    if ((rc = ledger_store_stats(nq->st, &stt, &err)))
        goto out;
    if (stt.entries > NODE_QUERY_WALK_MAX) {
        rc = problem(resp, 413, QTL,
                     "the store holds more than 20000 entries: the discovery lists walk the "
                     "whole log, so they are not served on a store this large yet");
        goto out;
    }
    if ((rc = ledger_store_hold(nq->st, &err)))
        goto out;
    for (uint64_t l = 1; l <= stt.entries && rc == 0; l++) {
        ledger_card_t c;
        const char *v;
        if ((rc = ledger_store_card(nq->st, l, &c, &err)) == LEDGER_ENOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc)
            break;
        v = which == 0   ? c.biz_step
            : which == 1 ? c.disposition
            : which == 2 ? c.read_point
                         : c.biz_location;
        if ((rc = card_ok(nq, q, &c)) == 1) {
            rc = v && json_object_set_new(seen, v, json_true()) ? LEDGER_ENOMEM : 0;
        }
        ledger_card_free(&c);
    }
    ledger_store_release(nq->st);
    if (rc < 0)
        goto out;
    {
        size_t n = json_object_size(seen), i = 0;
        const char *k;
        json_t *v;
        if (!(keys = malloc((n + 1) * sizeof *keys))) {
            rc = LEDGER_ENOMEM;
            goto out;
        }
        json_object_foreach(seen, k, v) keys[i++] = k;
        qsort(keys, n, sizeof *keys, cmp_str);
        for (i = 0; i < n; i++)
            if (json_array_append_new(list, json_string(keys[i]))) {
                rc = LEDGER_ENOMEM;
                goto out;
            }
    }
    rc = node_http_resp_json(resp, 200, NULL, list);
    rc = rc < 0 ? rc : 1;
out:
    free(keys);
    free(q);
    json_decref(seen);
    json_decref(list);
    return rc;
}

/* ---- the handler -------------------------------------------------------- */

/* Which route is path?  0 none; 1 /events; 2 /events/{id} (*rest the id);
 * 3 a resource's events (*res its index, *rest its value, up to "/events");
 * 4 /eventTypes; 5 a discovery list (*res which). */
static int route_of(const char *path, const char **rest, size_t *rlen, int *res)
{
    if (!strcmp(path, "/events"))
        return 1;
    if (!strncmp(path, "/events/", 8) && path[8] && !strchr(path + 8, '/')) {
        *rest = path + 8;
        *rlen = strlen(path + 8);
        return 2;
    }
    if (!strcmp(path, "/eventTypes"))
        return 4;
    for (int i = 0; i < 4; i++)
        if (!strcmp(path, discovery[i])) {
            *res = i;
            return 5;
        }
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
        size_t nl = strlen(resources[i].name), pl = strlen(path);
        if (path[0] == '/' && !strncmp(path + 1, resources[i].name, nl) && path[1 + nl] == '/' &&
            pl > nl + 2 + 7 && !strcmp(path + pl - 7, "/events")) {
            *rest = path + 2 + nl;
            *rlen = pl - 7 - (2 + nl);
            if (*rlen == 0 || memchr(*rest, '/', *rlen))
                return 0;
            *res = (int)i;
            return 3;
        }
    }
    return 0;
}

int node_query_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    node_query_t *nq = ctx;
    const char *rest = NULL;
    size_t rlen = 0;
    int res = -1, rc, route = route_of(req->path, &rest, &rlen, &res);
    q_t *q = NULL;
    if (!route)
        return 0;
    if ((rc = node_query_gs1_headers(resp)))
        return rc;
    if (!strcmp(req->method, "OPTIONS")) {
        if ((rc = node_http_resp_header(resp, "Allow", ALLOW)) ||
            (rc = node_http_resp_set(resp, 204, NULL, NULL, 0)))
            return rc;
        return 1;
    }
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
        if ((rc = node_http_resp_header(resp, "Allow", ALLOW)) ||
            (rc = node_http_resp_problem(resp, 405, "%s is not allowed here: GET or HEAD",
                                         req->method)))
            return rc;
        return 1;
    }
    if (nq->gate && (rc = nq->gate(nq->gate_ctx, req, resp)))
        return rc;
    if (route == 2)
        return answer_event(nq, req, rest, node_query_all_feeds(nq, req), resp);
    if (route == 5)
        return answer_discovery(nq, res, node_query_all_feeds(nq, req), resp);
    if (route == 4) {
        json_t *o = json_pack("[s,s,s,s,s]", event_types[0], event_types[1], event_types[2],
                              event_types[3], event_types[4]);
        if (!o)
            return LEDGER_ENOMEM;
        rc = node_http_resp_json(resp, 200, NULL, o);
        json_decref(o);
        return rc < 0 ? rc : 1;
    }
    if (!(q = calloc(1, sizeof *q))) /* about 90 KB: not on the loop's stack */
        return LEDGER_ENOMEM;
    q->all_feeds = node_query_all_feeds(nq, req);
    if ((rc = read_query(req, q, resp)))
        goto out;
    if (route == 3) {
        int k = resources[res].p;
        if (q->given[k]) {
            rc = bad_param(resp, pname[k], "%s: given in the path already%s", "");
            goto out;
        }
        if (node_http_pct_decode(rest, rlen, q->val[k], VAL_MAX, 0) || !q->val[k][0]) {
            rc =
                bad_param(resp, pname[k], "%s: the path's value is not percent-encoded text%s", "");
            goto out;
        }
        q->given[k] = 1;
    }
    rc = answer_query(nq, req, q, resp);
out:
    q_free(q);
    free(q);
    return rc;
}

int node_query_new(ledger_store_t *st, node_query_t **out, ledger_err_t *err)
{
    node_query_t *q = calloc(1, sizeof *q);
    *out = NULL;
    if (!q)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    q->st = st;
    memcpy(q->self, ledger_store_self(st), LEDGER_FEED_LEN);
    *out = q;
    return 0;
}

void node_query_set_gate(node_query_t *q, node_query_gate_fn fn, void *ctx)
{
    q->gate = fn;
    q->gate_ctx = ctx;
}

void node_query_free(node_query_t *q)
{
    if (q)
        json_decref(q->xml_ns);
    free(q);
}

int node_query_set_xml_namespaces(node_query_t *q, const char (*prefix)[64],
                                  const char (*uri)[401], size_t n, ledger_err_t *err)
{
    json_t *ns = n ? json_object() : NULL;
    for (size_t i = 0; i < n; i++)
        if (!ns || json_object_set_new(ns, prefix[i], json_string(uri[i])) < 0) {
            json_decref(ns);
            ns = NULL;
            break;
        }
    json_decref(q->xml_ns);
    q->xml_ns = ns;
    return n && !ns ? ledger_err_set(err, LEDGER_ENOMEM, "out of memory") : 0;
}

void node_query_set_feeds(node_query_t *q, node_query_feeds_fn fn, void *ctx)
{
    q->feeds = fn;
    q->feeds_ctx = ctx;
}

int node_query_gate_check(node_query_t *nq, const node_http_req_t *req, node_http_resp_t *resp)
{
    return nq->gate ? nq->gate(nq->gate_ctx, req, resp) : 0;
}

int node_query_all_feeds(node_query_t *nq, const node_http_req_t *req)
{
    return nq->feeds && nq->feeds(nq->feeds_ctx, req) == 1;
}

/* ---- for node_query_named.c (node__query.h) --------------------------------- */

int node__query_read(const char *qs, unsigned allowed, const char *why_not, q_t *q,
                     node_http_resp_t *resp)
{
    return read_query_str(qs, allowed, why_not, q, resp);
}

int node__query_check(q_t *q, node_http_resp_t *resp)
{
    return check_values(q, resp);
}

int node__query_run(node_query_t *nq, q_t *q, node_http_resp_t *resp)
{
    return run(nq, q, resp);
}

int node__query_answer(node_query_t *nq, const node_http_req_t *req, q_t *q, node_http_resp_t *resp)
{
    return answer_query(nq, req, q, resp);
}

json_t *node__query_event(node_query_t *nq, uint64_t lseq)
{
    return event_at(nq, lseq);
}

void node__query_free(q_t *q)
{
    q_free(q);
}

void node__query_now(char *out, size_t cap)
{
    now_text(out, cap);
}
