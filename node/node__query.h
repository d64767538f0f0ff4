/* node__query.h -- what node_query.c (the query routes) and
 * node_query_named.c (the same matching for named queries and
 * subscriptions) share: the parsed query and node_query.c's steps.  Not a
 * public contract (node_query.h is). */
#ifndef NODE__QUERY_H
#define NODE__QUERY_H

#include <jansson.h>
#include <stdint.h>

#include "ledger_store.h"
#include "node_http.h"
#include "node_query.h"

#define EPCIS_CONTEXT "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#define VAL_MAX 4096 /* a parameter's value, bytes (decoded) */

struct node_query {
    ledger_store_t *st;
    uint8_t self[LEDGER_FEED_LEN];
    node_query_gate_fn gate; /* who may ask (node_capture_query_gate), or NULL */
    void *gate_ctx;
    node_query_feeds_fn feeds; /* who sees the partners' feeds, or NULL: nobody */
    void *feeds_ctx;
    json_t *xml_ns; /* prefix -> namespace for the XML answers, or NULL */
};

enum {
    P_TYPE,
    P_ACTION,
    P_BIZSTEP,
    P_DISP,
    P_RP,
    P_BL,
    P_EPC,
    P_ANY,
    P_PARENT,
    P_INPUT,
    P_OUTPUT,
    P_CLASS,
    P_EVID,
    P_GE_ET,
    P_LT_ET,
    P_GE_RT,
    P_LT_RT,
    P_ORDER,
    P_DIR,
    P_PER,
    P_TOKEN,
    NPARAM
};

#define ALL_PARAMS ((1u << NPARAM) - 1)

typedef struct set {
    int active;
    uint64_t *v;
    size_t n, cap;
} set_t;

typedef struct hit {
    int64_t key;
    uint64_t lseq;
} hit_t;

typedef struct q {
    char val[NPARAM][VAL_MAX];
    int given[NPARAM];
    int64_t ge_et, lt_et, ge_rt, lt_rt;
    int by_record, desc;
    size_t per_page;
    int has_token;
    int64_t tok_key;
    uint64_t tok_lseq;
    set_t sets[8];
    size_t nsets;
    hit_t *hits;
    size_t nhits, hcap;
    int too_large;
    int all_feeds;        /* 1: partners' feeds too (node_query_set_feeds) */
    uint64_t after, upto; /* only lseq in (after, upto]; upto 0: no bound */
    int64_t init_rt;      /* entries up to init_upto: recordTime >= init_rt */
    uint64_t init_upto;
} q_t;

/* Reads the query string qs into q (a parameter not in allowed, bit 1 << P_x,
 * is a 400 saying why_not); checks and converts the values; finds and
 * sorts the matching events; answers them as an EPCISQueryDocument page.
 * Each: 1 when it answered (a 400 or 413 in resp, or the page), 0 to go
 * on, <0.  q is calloc'd by the caller (it is large) and freed with
 * node__query_free (its sets and hits) and free. */
int node__query_read(const char *qs, unsigned allowed, const char *why_not, q_t *q,
                     node_http_resp_t *resp);
int node__query_check(q_t *q, node_http_resp_t *resp);
int node__query_run(node_query_t *nq, q_t *q, node_http_resp_t *resp);
int node__query_answer(node_query_t *nq, const node_http_req_t *req, q_t *q,
                       node_http_resp_t *resp);
/* The event at local position lseq as JSON-LD (ordered), or NULL. */
json_t *node__query_event(node_query_t *nq, uint64_t lseq);
void node__query_free(q_t *q);
/* Now as RFC 3339 UTC ("2026-12-07T12:00:00Z"). */
void node__query_now(char *out, size_t cap);

/* Answers 200 with events (an array, borrowed) as an EPCIS 2.0 XML
 * EPCISQueryDocument; 406 (a problem) when one has no XML form. 0 or
 * LEDGER_ENOMEM. */
int node_query__xml_answer(const node_query_t *q, node_http_resp_t *resp, const json_t *events);

#endif
