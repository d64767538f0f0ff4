/* node_query_xml.c -- the XML side of the query routes' and the
 * subscriptions' content negotiation (contracts: node_query.h,
 * node__query.h): whether a request's Accept asks for EPCIS XML, and events
 * (a page of a query, one event of GET /events/{eventID}, a subscription's
 * message) written as an EPCIS 2.0 XML EPCISQueryDocument.
 *
 * How: Accept is read left to right; the first of the media types keten
 * answers (application/ld+json, application/json, application/xml,
 * text/xml) that it names without q=0 decides, so "application/xml" or
 * "text/xml, application/json" gets XML and a browser's or curl's default
 * keeps JSON-LD. The document is written by ledger_epcis_xmlw.h into memory
 * (open_memstream: one page, at most perPage events) and sent whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ledger_epcis_xmlw.h"
#include "node__query.h"

int node_query_wants_xml(const node_http_req_t *req)
{
    const char *a = node_http_header(req, "Accept");

    while (a && *a) {
        size_t n = strcspn(a, ","), t;
        const char *p = a;
        while (p < a + n && (*p == ' ' || *p == '\t'))
            p++;
        t = strcspn(p, ";,");
        while (t && (p[t - 1] == ' ' || p[t - 1] == '\t'))
            t--;
        /* q=0 means "not this one" */
        int refused = 0;
        for (const char *q = p + t; q < a + n; q++)
            if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=' && (q[-1] == ';' || q[-1] == ' '))
                refused = strtod(q + 2, NULL) <= 0.0;
        if (!refused) {
            if ((t == 15 && !strncasecmp(p, "application/xml", 15)) ||
                (t == 8 && !strncasecmp(p, "text/xml", 8)))
                return 1;
            if ((t == 19 && !strncasecmp(p, "application/ld+json", 19)) ||
                (t == 16 && !strncasecmp(p, "application/json", 16)))
                return 0;
        }
        a += n;
        if (*a)
            a++;
    }
    return 0;
}

int node_query_xml_document(const node_query_t *q, const char *query_name,
                            const char *subscription_id, const json_t *events, char **buf,
                            size_t *len, ledger_err_t *err)
{
    FILE *f;
    ledger_epcis_xmlw_t *w = NULL;
    const json_t *ev;
    size_t i;
    int rc;

    *buf = NULL;
    *len = 0;
    if (!(f = open_memstream(buf, len)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if ((rc = ledger_epcis_xmlw_new(f, LEDGER_EPCIS_XMLW_QUERY, &w, err)) < 0 ||
        (query_name &&
         (rc = ledger_epcis_xmlw_query_names(w, query_name, subscription_id, err)) < 0))
        goto out;
    if (q && q->xml_ns) {
        const char *k;
        json_t *v;
        json_object_foreach(q->xml_ns, k, v)
        {
            if ((rc = ledger_epcis_xmlw_namespace(w, k, json_string_value(v), err)) < 0)
                goto out;
        }
    }
    if ((rc = ledger_epcis_xmlw_begin(w, err)) < 0)
        goto out;
    json_array_foreach(events, i, ev) if ((rc = ledger_epcis_xmlw_event(w, ev, err)) < 0) goto out;
    rc = ledger_epcis_xmlw_end(w, err);
    w = NULL;
out:
    ledger_epcis_xmlw_free(w);
    if (fclose(f) != 0 && rc == 0)
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if (rc < 0) {
        free(*buf);
        *buf = NULL;
        *len = 0;
    }
    return rc;
}

int node_query__xml_answer(const node_query_t *q, node_http_resp_t *resp, const json_t *events)
{
    char *buf = NULL;
    size_t len = 0;
    ledger_err_t err;
    int rc = node_query_xml_document(q, NULL, NULL, events, &buf, &len, &err);

    if (rc == 0)
        rc = node_http_resp_set(resp, 200, "application/xml", buf, len);
    free(buf);
    if (rc == LEDGER_EINPUT) /* a stored event XML cannot hold: say so, not 500 */
        return node_http_resp_problem(resp, 406, "an event of this page has no EPCIS XML form: %s",
                                      err.msg);
    return rc;
}
