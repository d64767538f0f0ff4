/* node_query_named.c -- the query routes' matching for named queries and
 * live subscriptions (node_query.h, "for named queries and
 * subscriptions"): a stored query string read and checked as GET /events
 * reads it, its answer paged as /events pages it, and node_query_since,
 * the same matching restricted to the local positions after a cursor
 * (q_t's after and upto), the matches taken in local order.
 */
#include <stdlib.h>
#include <string.h>

#include "node__query.h"

#define STORED_PARAMS (ALL_PARAMS & ~(1u << P_PER) & ~(1u << P_TOKEN))

int node_query_check(node_query_t *nq, const char *params, node_http_resp_t *resp)
{
    q_t *q = calloc(1, sizeof *q);
    int rc;
    (void)nq;
    if (!q)
        return LEDGER_ENOMEM;
    if (!(rc = node__query_read(params, STORED_PARAMS,
                                "pages are asked for when the query is run, not stored with it", q,
                                resp)))
        rc = node__query_check(q, resp);
    node__query_free(q);
    free(q);
    return rc;
}

int node_query_named(node_query_t *nq, const node_http_req_t *req, const char *params,
                     node_http_resp_t *resp)
{
    q_t *q = calloc(1, sizeof *q);
    int rc;
    if (!q)
        return LEDGER_ENOMEM;
    q->all_feeds = node_query_all_feeds(nq, req);
    if (!(rc = node__query_read(params, STORED_PARAMS, "not in a stored query", q, resp)) &&
        !(rc = node__query_read(req->query, (1u << P_PER) | (1u << P_TOKEN),
                                "the named query sets its filters: only perPage and nextPageToken "
                                "here",
                                q, resp)))
        rc = node__query_answer(nq, req, q, resp);
    node__query_free(q);
    free(q);
    return rc;
}

static int cmp_lseq(const void *a, const void *b)
{
    const hit_t *x = a, *y = b;
    return x->lseq < y->lseq ? -1 : x->lseq > y->lseq;
}

int node_query_since(node_query_t *nq, const node_query_since_t *s, uint64_t *after,
                     json_t **events, ledger_err_t *err)
{
    q_t *q = calloc(1, sizeof *q);
    ledger_store_stats_t stt;
    node_http_resp_t resp = {0};
    json_t *list = NULL;
    int rc;
    *events = NULL;
    if (!q)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if ((rc = ledger_store_hold(nq->st, err)))
        goto out;
    if ((rc = ledger_store_stats(nq->st, &stt, err))) {
        ledger_store_release(nq->st);
        goto out;
    }
    q->all_feeds = s->all_feeds;
    q->after = *after;
    q->upto =
        stt.entries < *after + NODE_QUERY_WALK_MAX ? stt.entries : *after + NODE_QUERY_WALK_MAX;
    if (s->upto && s->upto < q->upto)
        q->upto = s->upto;
    q->init_rt = s->initial_rt_ms;
    q->init_upto = s->initial_upto;
    if (q->upto <= q->after) {
        ledger_store_release(nq->st);
        rc = 0;
        goto out;
    }
    rc = node__query_read(s->params, STORED_PARAMS, "not in a stored query", q, &resp);
    if (rc == 0)
        rc = node__query_check(q, &resp);
    if (rc == 0)
        rc = node__query_run(nq, q, &resp);
    if (rc == 1) { /* a 400 (the stored query no longer reads) or a 413 */
        json_t *b = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
        rc = ledger_err_set(err, LEDGER_EINPUT, "%s",
                            json_string_value(json_object_get(b, "detail"))
                                ? json_string_value(json_object_get(b, "detail"))
                                : "the query cannot be run");
        json_decref(b);
    } else if (rc < 0)
        ledger_err_set(err, rc, "cannot run the query (%d)", rc);
    if (rc == 0) {
        size_t n = q->nhits < s->max ? q->nhits : s->max;
        if (q->nhits)
            qsort(q->hits, q->nhits, sizeof *q->hits, cmp_lseq);
        if (!(list = json_array()))
            rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        for (size_t i = 0; i < n && rc == 0; i++) {
            json_t *ev = node__query_event(nq, q->hits[i].lseq);
            if (!ev || json_array_append_new(list, ev))
                rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        }
        if (rc == 0)
            *after = n < q->nhits ? q->hits[n - 1].lseq : q->upto;
    }
    ledger_store_release(nq->st);
out:
    ledger_buf_free(&resp.head);
    ledger_buf_free(&resp.body);
    node__query_free(q);
    free(q);
    if (rc == 0 && list)
        *events = list;
    else
        json_decref(list);
    return rc;
}

uint64_t node_query_entries(node_query_t *nq)
{
    ledger_store_stats_t stt;
    ledger_err_t err;
    return ledger_store_stats(nq->st, &stt, &err) ? 0 : stt.entries;
}

json_t *node_query_document(const char *query_name, const char *subscription_id, json_t *events)
{
    char now[40];
    json_t *doc;
    node__query_now(now, sizeof now);
    doc = json_pack("{s:[s], s:s, s:s, s:s, s:{s:{s:s, s:s, s:{s:o}}}}", "@context", EPCIS_CONTEXT,
                    "type", "EPCISQueryDocument", "schemaVersion", "2.0", "creationDate", now,
                    "epcisBody", "queryResults", "queryName", query_name, "subscriptionID",
                    subscription_id, "resultsBody", "eventList", events);
    return doc;
}
