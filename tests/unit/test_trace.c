/* test_trace.c -- trace, recall, lifecycle and origin (ledger_trace.h,
 * ledger_trace_report.h) on chains built here: every partner has its own
 * key and store, records its own events, and an auditor's store receives
 * every feed through ledger_replica ingest (as a node would).
 *
 * Meat: farm (two animals) -> slaughterhouse (carcass lot, plus a private
 * inspection that travels sealed) -> processor (the lot split into two cut
 * lots and six portions, three pallets, three shipments: one to the wrong
 * kitchen, declared erroneous and corrected) -> two kitchens.
 * Workwear: maker -> laundry (50 wash cycles for a rated maximum of 55, a
 * repair) -> recycler (the garment becomes recycled fibre).
 * The expected values are the chain's own facts as written below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ledger_epcis.h"
#include "ledger_identity.h"
#include "ledger_replica.h"
#include "ledger_store.h"
#include "ledger_recall.h"
#include "ledger_trace.h"
#include "ledger_trace_report.h"
#include "store_testlib.h"

typedef tl_node_t node_t;

enum { FARM, SLAUGHTER, PROC, K1, K2, MAKER, LAUNDRY, RECYCLER, AUDIT, NNODES };

typedef struct fixture {
    char dir[256];
    node_t n[NNODES];
} fixture_t;

#define CTX                                                                                        \
    "\"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\", "          \
    "{\"meat\": \"https://keten.dev/ns/meat#\", \"garment\": "                                     \
    "\"https://keten.dev/ns/garment#\"}], "

#define A1 "urn:epc:id:giai:5412345.A1"
#define A2 "urn:epc:id:giai:5412345.A2"
#define CARC "urn:epc:class:lgtin:5412345.000002.CARC1"
#define CUTA "urn:epc:class:lgtin:5412345.000012.CUTA"
#define CUTB "urn:epc:class:lgtin:5412345.000012.CUTB"
#define P(n) "urn:epc:id:sgtin:5412345.000012.P" #n
#define SSCC(n) "urn:epc:id:sscc:5412345.000000000" #n
#define PG(n) "urn:epc:id:pgln:5412345.0000" #n
#define SG(n) "urn:epc:id:sgln:5412345.0000" #n ".0"
#define G1 "urn:epc:id:sgtin:5412345.000020.G1"
#define FIBRE "urn:epc:class:lgtin:5412345.000030.FIB1"

/* An identifier read as a command reads its argument (ledger_key_read):
 * the queries take keys.  A few slots, so that one call may use two. */
static const ledger_key_t *K(const char *id)
{
    static ledger_key_t slot[4];
    static unsigned next;
    ledger_key_t *k = &slot[next++ % 4];
    ledger_err_t err;
    if (ledger_key_read(id, k, &err))
        fail_msg("key of %s: %s", id, err.msg);
    return k;
}

/* A recall as the JSON document keten prints (streamed, read back): the
 * tests check the document users get. 0 or an error. */
static int recall_json(ledger_store_t *st, const char *lot, int have_max, double max, json_t **out,
                       ledger_err_t *err)
{
    ledger_recall_t *r;
    int rc = ledger_recall_run(st, K(lot), NULL, have_max, max, &r, err);
    *out = NULL;
    if (rc)
        return rc;
    *out = ledger_recall_json(r, err);
    ledger_recall_free(r);
    return *out ? 0 : LEDGER_EIO;
}

static void node_open(fixture_t *f, node_t *n, int i)
{
    char name[16];
    snprintf(name, sizeof name, "n%d", i);
    tl_node_open(n, f->dir, name);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (tl_tmpdir(f->dir, sizeof f->dir, "keten-trace"))
        return -1;
    for (int i = 0; i < NNODES; i++)
        node_open(f, &f->n[i], i);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < NNODES; i++)
        tl_node_close(&f->n[i]);
    if (tl_rmtree(f->dir))
        return -1;
    free(f);
    return 0;
}

/* Records one event (JSON text, checked as EPCIS) in node n; its seq. */
static uint64_t rec(node_t *n, unsigned flags, const char *fmt, ...)
{
    va_list ap;
    uint64_t seq;
    va_start(ap, fmt);
    seq = tl_vrec(n, flags, fmt, ap);
    va_end(ap);
    return seq;
}

typedef struct run {
    uint8_t **e;
    size_t *len;
    size_t n;
} run_t;

static int collect_cb(const uint8_t *bytes, size_t len, uint64_t seq, void *ctx)
{
    run_t *r = ctx;
    (void)seq;
    r->e = realloc(r->e, (r->n + 1) * sizeof *r->e);
    r->len = realloc(r->len, (r->n + 1) * sizeof *r->len);
    r->e[r->n] = malloc(len);
    memcpy(r->e[r->n], bytes, len);
    r->len[r->n++] = len;
    return 0;
}

/* Replicates src's own feed into dst (private entries arrive sealed). */
static void merge(node_t *dst, node_t *src)
{
    run_t r = {0};
    uint64_t next;
    ledger_err_t err;
    ledger_ingest_t *in;
    ledger_ingest_report_t rep;
    const uint8_t *feed = ledger_identity_public(src->id);
    if (ledger_replica_range(src->st, feed, 1, 0, 0, 0, 0, collect_cb, &r, &next, &err))
        fail_msg("range: %s", err.msg);
    if (ledger_ingest_begin(dst->st, &in, &err) ||
        ledger_ingest_add(in, feed, (const uint8_t *const *)r.e, r.len, r.n, &rep, &err) ||
        ledger_ingest_commit(in, &err))
        fail_msg("ingest: %s", err.msg);
    for (size_t i = 0; i < r.n; i++)
        free(r.e[i]);
    free(r.e);
    free(r.len);
}

/* ---- the meat chain ------------------------------------------------------ */

#define OBJ(t, step, what, rest)                                                                   \
    "{\"type\": \"ObjectEvent\", \"action\": \"OBSERVE\", \"eventTime\": \"" t                     \
    "\", \"eventTimeZoneOffset\": \"+00:00\", \"bizStep\": \"" step "\", " what rest "}"

static void meat_chain(fixture_t *f)
{
    node_t *F = &f->n[FARM], *S = &f->n[SLAUGHTER], *Pr = &f->n[PROC];
    rec(F, 0,
        "{" CTX "\"type\": \"ObjectEvent\", \"action\": \"ADD\", \"bizStep\": \"commissioning\", "
        "\"eventTime\": \"2023-04-02T08:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
        "\"epcList\": [\"" A1 "\", \"" A2
        "\"], \"bizLocation\": {\"id\": \"" SG(9) "\"}, "
                                                  "\"ilmd\": {\"meat:species\": \"bovine\", "
                                                  "\"meat:bornIn\": \"BE\", \"meat:rearedIn\": "
                                                  "\"BE\"}}");
    rec(F, 0,
        OBJ("2025-11-27T15:00:00Z", "shipping", "\"epcList\": [\"" A1 "\", \"" A2 "\"], ",
            "\"readPoint\": {\"id\": \"" SG(
                9) "\"}, \"sourceList\": [{\"type\": \"owning_party\", "
                   "\"source\": \"" PG(
                       9) "\"}], \"destinationList\": [{\"type\": \"owning_party\", "
                          "\"destination\": \"" PG(1) "\"}]"));
    rec(S, 0,
        OBJ("2025-11-27T17:00:00Z", "receiving", "\"epcList\": [\"" A1 "\", \"" A2 "\"], ",
            "\"bizLocation\": {\"id\": \"" SG(1) "\"}"));
    rec(S, 0,
        "{" CTX "\"type\": \"TransformationEvent\", \"bizStep\": \"commissioning\", "
        "\"eventTime\": \"2025-11-28T05:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
        "\"inputEPCList\": [\"" A1 "\", \"" A2 "\"], \"outputQuantityList\": [{\"epcClass\": "
        "\"" CARC "\", \"quantity\": 2}], \"bizLocation\": {\"id\": \"" SG(
            1) "\"}, "
               "\"ilmd\": {\"cbvmda:lotNumber\": \"CARC1\", \"meat:slaughteredIn\": \"BE\", "
               "\"meat:slaughterhouseApproval\": \"BE 1234\", \"meat:referenceCode\": \"CARC1\"}}");
    rec(S, 0,
        OBJ("2025-11-28T06:00:00Z", "shipping",
            "\"quantityList\": [{\"epcClass\": \"" CARC "\", \"quantity\": 2}], ",
            "\"readPoint\": {\"id\": \"" SG(
                1) "\"}, \"sourceList\": [{\"type\": \"owning_party\", "
                   "\"source\": \"" PG(
                       1) "\"}], \"destinationList\": [{\"type\": \"owning_party\", "
                          "\"destination\": \"" PG(
                              0) "\"}, {\"type\": \"location\", \"destination\": "
                                 "\"" SG(0) "\"}]"));
    rec(S, LEDGER_APPEND_PRIVATE,
        OBJ("2025-11-28T07:00:00Z", "inspecting", "\"epcList\": [\"" A1 "\"]", ""));
    rec(Pr, 0,
        OBJ("2025-11-28T10:00:00Z", "receiving",
            "\"quantityList\": [{\"epcClass\": \"" CARC "\", \"quantity\": 2}], ",
            "\"bizLocation\": {\"id\": \"" SG(0) "\"}"));
    rec(Pr, 0,
        "{" CTX "\"type\": \"TransformationEvent\", \"bizStep\": \"commissioning\", "
        "\"eventTime\": \"2025-11-29T06:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
        "\"inputQuantityList\": [{\"epcClass\": \"" CARC "\", \"quantity\": 1}], "
        "\"outputEPCList\": [\"" P(1) "\", \"" P(2) "\", \"" P(3) "\", \"" P(
            4) "\"], "
               "\"outputQuantityList\": [{\"epcClass\": \"" CUTA "\", \"quantity\": 4}], "
               "\"bizLocation\": {\"id\": \"" SG(
                   0) "\"}, \"ilmd\": {\"cbvmda:lotNumber\": \"CUTA\", "
                      "\"meat:cutIn\": \"BE\", \"meat:cuttingPlantApproval\": \"BE 5678\", "
                      "\"meat:referenceCode\": \"CARC1\"}}");
    rec(Pr, 0,
        "{" CTX "\"type\": \"TransformationEvent\", \"bizStep\": \"commissioning\", "
        "\"eventTime\": \"2025-11-29T06:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
        "\"inputQuantityList\": [{\"epcClass\": \"" CARC "\", \"quantity\": 1}], "
        "\"outputEPCList\": [\"" P(5) "\", \"" P(
            6) "\"], "
               "\"outputQuantityList\": [{\"epcClass\": \"" CUTB "\", \"quantity\": 2}], "
               "\"bizLocation\": {\"id\": \"" SG(
                   0) "\"}, \"ilmd\": {\"cbvmda:lotNumber\": \"CUTB\", "
                      "\"meat:cutIn\": \"BE\", \"meat:cuttingPlantApproval\": \"BE 5678\"}}");
    for (int i = 0; i < 3; i++)
        rec(Pr, 0,
            "{\"type\": \"AggregationEvent\", \"action\": \"ADD\", \"bizStep\": \"packing\", "
            "\"eventTime\": \"2025-11-29T07:0%d:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
            "\"parentID\": \"urn:epc:id:sscc:5412345.000000000%d\", \"childEPCs\": "
            "[\"urn:epc:id:sgtin:5412345.000012.P%d\", \"urn:epc:id:sgtin:5412345.000012.P%d\"], "
            "\"bizLocation\": {\"id\": \"" SG(0) "\"}}",
            i, i + 1, 2 * i + 1, 2 * i + 2);
#define SHIP(t, sscc, k, temp, extra)                                                              \
    "{\"type\": \"ObjectEvent\", \"action\": \"OBSERVE\", \"bizStep\": \"shipping\", "             \
    "\"eventTime\": \"" t "\", \"eventTimeZoneOffset\": \"+00:00\", " extra                        \
    "\"epcList\": [\"" sscc "\"], \"readPoint\": {\"id\": \"" SG(                                  \
        0) "\"}, \"sourceList\": [{\"type\": \"owning_party\", "                                   \
           "\"source\": \"" PG(0) "\"}], \"destinationList\": [{\"type\": \"owning_party\", "      \
                                  "\"destination\": \"" PG(                                        \
                                      k) "\"}, {\"type\": \"location\", \"destination\": "         \
                                         "\"" SG(k) "\"}], "                                       \
                                                    "\"sensorElementList\": "                      \
                                                    "[{\"sensorReport\": [{\"type\": "             \
                                                    "\"Temperature\", \"value\": " temp            \
                                                    ", \"uom\": \"CEL\"}]}]}"
    rec(Pr, 0, SHIP("2025-11-29T08:00:00Z", SSCC(1), 2, "2.8", ""));
    rec(Pr, 0, SHIP("2025-11-29T08:01:00Z", SSCC(2), 3, "9.5", ""));
    rec(Pr, 0,
        SHIP("2025-11-29T08:02:00Z", SSCC(3), 3, "3.0",
             "\"eventID\": \"urn:uuid:00000000-0000-4000-8000-000000000009\", "));
    rec(Pr, 0,
        SHIP("2025-11-29T08:02:00Z", SSCC(3), 3, "3.0",
             "\"eventID\": \"urn:uuid:00000000-0000-4000-8000-000000000009\", "
             "\"errorDeclaration\": {\"declarationTime\": \"2025-11-29T09:00:00Z\", \"reason\": "
             "\"incorrect_data\", \"correctiveEventIDs\": "
             "[\"urn:uuid:00000000-0000-4000-8000-000000000010\"]}, "));
    rec(Pr, 0,
        SHIP("2025-11-29T08:03:00Z", SSCC(3), 2, "3.1",
             "\"eventID\": \"urn:uuid:00000000-0000-4000-8000-000000000010\", "));
    rec(&f->n[K1], 0,
        OBJ("2025-11-29T11:00:00Z", "receiving",
            "\"epcList\": [\"" SSCC(1) "\", \"" SSCC(3) "\"], ",
            "\"bizLocation\": {\"id\": \"" SG(2) "\"}"));
    rec(&f->n[K1], 0,
        "{\"type\": \"AggregationEvent\", \"action\": \"DELETE\", \"bizStep\": \"unpacking\", "
        "\"eventTime\": \"2025-11-29T11:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
        "\"parentID\": \"" SSCC(1) "\", \"childEPCs\": [], \"bizLocation\": {\"id\": \"" SG(
            2) "\"}}");
    rec(&f->n[K2], 0,
        OBJ("2025-11-29T12:00:00Z", "receiving", "\"epcList\": [\"" SSCC(2) "\"], ",
            "\"bizLocation\": {\"id\": \"" SG(3) "\"}"));
    for (int i = FARM; i <= K2; i++)
        merge(&f->n[AUDIT], &f->n[i]);
}

/* The event node whose eventTime (UTC text) is t, or NULL. */
static const ledger_trace_node_t *at(const ledger_trace_t *t, const char *tm, size_t *idx)
{
    for (size_t i = 0; i < ledger_trace_node_count(t); i++) {
        const ledger_trace_node_t *n = ledger_trace_node(t, i);
        const json_t *ev = ledger_trace_node_event(t, n);
        const char *et = ev ? json_string_value(json_object_get(ev, "eventTime")) : 0;
        if (n->kind == LEDGER_TNODE_EVENT && et && strcmp(et, tm) == 0 && !n->erroneous) {
            if (idx)
                *idx = i;
            return n;
        }
    }
    return NULL;
}

static size_t count_kind(const ledger_trace_t *t, enum ledger_trace_kind k)
{
    size_t c = 0;
    for (size_t i = 0; i < ledger_trace_node_count(t); i++)
        c += ledger_trace_node(t, i)->kind == k;
    return c;
}

static int has_edge(const ledger_trace_t *t, size_t from, size_t to, int kind, int role)
{
    for (size_t i = 0; i < ledger_trace_edge_count(t); i++) {
        const ledger_trace_edge_t *e = ledger_trace_edge(t, i);
        if (e->from == from && e->to == to && (int)e->kind == kind && e->role == role)
            return 1;
    }
    return 0;
}

static void test_back_from_portion(void **state)
{
    fixture_t *f = *state;
    ledger_trace_t *t;
    ledger_trace_opts_t o = {.dir = LEDGER_TRACE_BACK};
    ledger_err_t err;
    size_t i_s2, i_p2;
    static const char *const want[] = {
        "2023-04-02T08:00:00Z", "2025-11-27T15:00:00Z", "2025-11-27T17:00:00Z",
        "2025-11-28T05:00:00Z", "2025-11-28T06:00:00Z", "2025-11-28T10:00:00Z",
        "2025-11-29T06:00:00Z", "2025-11-29T07:00:00Z", "2025-11-29T08:00:00Z",
        "2025-11-29T11:00:00Z", "2025-11-29T11:30:00Z"};
    static const char *const not_want[] = {"2025-11-29T06:30:00Z", "2025-11-29T07:01:00Z",
                                           "2025-11-29T08:01:00Z", "2025-11-29T12:00:00Z"};
    meat_chain(f);
    if (ledger_trace_run(f->n[AUDIT].st, P(1), &o, &t, &err))
        fail_msg("trace: %s", err.msg);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!at(t, want[i], NULL))
            fail_msg("trace back from P1 misses the event at %s", want[i]);
    for (size_t i = 0; i < sizeof not_want / sizeof not_want[0]; i++)
        if (at(t, not_want[i], NULL))
            fail_msg("trace back from P1 has the unrelated event at %s", not_want[i]);
    /* events in time order after the identifiers; the start first */
    assert_int_equal(ledger_trace_start(t), 0);
    assert_string_equal(ledger_trace_node(t, 0)->id, "https://id.gs1.org/01/05412345000129/21/P1");
    for (size_t i = 1, last = 0; i < ledger_trace_node_count(t); i++) {
        const ledger_trace_node_t *a = ledger_trace_node(t, i - 1), *b = ledger_trace_node(t, i);
        if (a->kind != LEDGER_TNODE_IDENT && b->kind == LEDGER_TNODE_IDENT)
            fail_msg("identifier after an event at %zu", i);
        if (a->kind != LEDGER_TNODE_IDENT && b->time_ms < a->time_ms)
            fail_msg("events out of time order at %zu", i);
        last = i;
        (void)last;
    }
    /* the animals are inputs of the slaughter, the lot of the cutting */
    at(t, "2025-11-28T05:00:00Z", &i_s2);
    at(t, "2025-11-29T06:00:00Z", &i_p2);
    assert_true(has_edge(t, ledger_trace_find(t, A1), i_s2, LEDGER_TEDGE_TRANSFORMATION,
                         LEDGER_ROLE_INPUT));
    assert_true(has_edge(t, ledger_trace_find(t, CARC), i_p2, LEDGER_TEDGE_TRANSFORMATION,
                         LEDGER_ROLE_INPUT));
    assert_true(has_edge(t, i_p2, ledger_trace_find(t, P(1)), LEDGER_TEDGE_TRANSFORMATION,
                         LEDGER_ROLE_OUTPUT));
    /* the portion belongs to lot CUTA (ilmd), not CUTB */
    assert_true(ledger_trace_find(t, CUTA) != (size_t)-1);
    assert_true(ledger_trace_find(t, CUTB) == (size_t)-1);
    assert_true(
        has_edge(t, ledger_trace_find(t, P(1)), ledger_trace_find(t, CUTA), LEDGER_TEDGE_LOT, 0));
    /* the slaughterhouse's private inspection: one sealed step, its feed */
    assert_int_equal(count_kind(t, LEDGER_TNODE_SEALED), 1);
    for (size_t i = 0; i < ledger_trace_node_count(t); i++)
        if (ledger_trace_node(t, i)->kind == LEDGER_TNODE_SEALED) {
            assert_memory_equal(ledger_trace_node(t, i)->feed,
                                ledger_identity_public(f->n[SLAUGHTER].id), 32);
            assert_int_equal(ledger_trace_node(t, i)->seq, 4);
        }
    assert_false(ledger_trace_truncated(t));
    {
        json_t *j = ledger_trace_json(t);
        assert_string_equal(json_string_value(json_object_get(j, "schema")), "keten.trace/1");
        assert_int_equal(json_array_size(json_object_get(j, "nodes")), ledger_trace_node_count(t));
        assert_int_equal(json_array_size(json_object_get(j, "edges")), ledger_trace_edge_count(t));
        json_decref(j);
    }
    ledger_trace_free(t);

    /* bounded: depth 1 stops before the farm */
    o.max_depth = 1;
    if (ledger_trace_run(f->n[AUDIT].st, P(1), &o, &t, &err))
        fail_msg("trace: %s", err.msg);
    assert_true(ledger_trace_truncated(t));
    assert_null(at(t, "2023-04-02T08:00:00Z", NULL));
    ledger_trace_free(t);
    o.max_depth = 0;
    o.max_nodes = 5;
    if (ledger_trace_run(f->n[AUDIT].st, P(1), &o, &t, &err))
        fail_msg("trace: %s", err.msg);
    assert_true(ledger_trace_truncated(t));
    assert_true(ledger_trace_node_count(t) <= 5 + 2 * LEDGER_TRACE_SEALED_RUN);
    ledger_trace_free(t);
    /* the same product by its Digital Link (with the lot) finds the same */
    o.max_nodes = 0;
    if (ledger_trace_run(f->n[AUDIT].st, "https://example.com/01/05412345000129/10/CUTA/21/P1", &o,
                         &t, &err))
        fail_msg("trace DL: %s", err.msg);
    assert_non_null(at(t, "2023-04-02T08:00:00Z", NULL));
    ledger_trace_free(t);
    assert_int_equal(
        ledger_trace_run(f->n[AUDIT].st, "urn:epc:id:sgtin:5412345.000012.NOPE", &o, &t, &err),
        LEDGER_ENOTFOUND);
    assert_null(t);
    assert_int_equal(
        ledger_trace_run(f->n[AUDIT].st, "urn:epc:id:sgtin:5412345.12.X", &o, &t, &err),
        LEDGER_EINPUT);
}

static void test_forward_and_recall(void **state)
{
    fixture_t *f = *state;
    ledger_trace_t *t;
    ledger_trace_opts_t o = {.dir = LEDGER_TRACE_FORWARD};
    ledger_err_t err;
    json_t *r;
    size_t wrong = (size_t)-1, idx;
    meat_chain(f);
    /* forward from P5: the wrong shipment is shown erroneous, the
     * correction follows; the other kitchen's receiving is not reached */
    if (ledger_trace_run(f->n[AUDIT].st, P(5), &o, &t, &err))
        fail_msg("trace: %s", err.msg);
    for (size_t i = 0; i < ledger_trace_node_count(t); i++)
        if (ledger_trace_node(t, i)->erroneous)
            wrong = i;
    assert_true(wrong != (size_t)-1);
    assert_string_equal(ledger_trace_node(t, wrong)->id,
                        "urn:uuid:00000000-0000-4000-8000-000000000009");
    assert_memory_equal(ledger_trace_node(t, wrong)->decl_feed,
                        ledger_identity_public(f->n[PROC].id), 32);
    assert_non_null(at(t, "2025-11-29T08:03:00Z", &idx));
    assert_true(has_edge(t, wrong, idx, LEDGER_TEDGE_CORRECTION, 0));
    assert_non_null(at(t, "2025-11-29T11:00:00Z", NULL));
    assert_null(at(t, "2025-11-29T12:00:00Z", NULL));
    assert_null(at(t, "2025-11-29T08:00:00Z", NULL));
    ledger_trace_free(t);

    /* recall of the carcass lot: every portion, every shipment */
    if (recall_json(f->n[AUDIT].st, CARC, 1, 4.0, &r, &err))
        fail_msg("recall: %s", err.msg);
    {
        json_t *products = json_object_get(r, "products"), *ships = json_object_get(r, "shipments");
        json_t *exc = json_object_get(r, "excursions");
        size_t i, found = 0;
        json_t *v;
        json_array_foreach(products, i, v)
        {
            const char *id = json_string_value(json_object_get(v, "id"));
            for (int k = 1; k <= 6; k++) {
                char want[80];
                snprintf(want, sizeof want, "https://id.gs1.org/01/05412345000129/21/P%d", k);
                found += strcmp(id, want) == 0;
            }
        }
        assert_int_equal(found, 6);
        /* s3 (to the processor, received by p1), three pallets shipped
         * (one corrected), K1 (pallets 1 and 3 at once) and K2 received:
         * 4 shipments, each received; the wrong one is listed, apart */
        assert_int_equal(json_integer_value(json_object_get(r, "shipmentCount")), 4);
        assert_int_equal(json_integer_value(json_object_get(r, "receivedCount")), 4);
        assert_int_equal(json_array_size(ships), 5);
        json_array_foreach(ships, i, v)
        {
            json_t *rc = json_object_get(v, "receipts");
            const char *tm = json_string_value(json_object_get(v, "eventTimeUTC"));
            assert_string_equal(json_string_value(json_object_get(v, "bizStep")), "shipping");
            if (json_is_true(json_object_get(v, "erroneous"))) {
                assert_int_equal(json_array_size(rc), 0);
                continue;
            }
            assert_int_equal(json_array_size(rc), 1);
            assert_string_equal(
                json_string_value(json_object_get(json_array_get(rc, 0), "bizStep")),
                "receiving");
            /* the pallets to K1 (1 and the corrected 3) share one receipt */
            if (strncmp(tm, "2025-11-29T08:00", 16) == 0 || strncmp(tm, "2025-11-29T08:03", 16) == 0)
                assert_string_equal(
                    json_string_value(json_object_get(json_array_get(rc, 0), "eventTimeUTC")),
                    "2025-11-29T11:00:00.000Z");
        }
        assert_int_equal(json_array_size(exc), 1);
        assert_true(json_real_value(json_object_get(json_array_get(exc, 0), "value")) == 9.5);
        /* P1 was last seen in its pallet's unpacking at kitchen 1 */
        json_array_foreach(products, i, v)
        {
            if (strcmp(json_string_value(json_object_get(v, "id")),
                       "https://id.gs1.org/01/05412345000129/21/P1") == 0)
                assert_string_equal(
                    json_string_value(json_object_get(json_object_get(v, "lastSeen"), "location")),
                    SG(2));
        }
    }
    json_decref(r);
}

/* Both ways from a product: its events are met by the back walk and the
 * forward walk alike, and every edge is still there once. */
static void test_both_ways(void **state)
{
    fixture_t *f = *state;
    ledger_trace_opts_t o = {0}, b = {.dir = LEDGER_TRACE_BACK};
    ledger_trace_t *t, *tb;
    ledger_err_t err;
    size_t n;
    meat_chain(f);
    if (ledger_trace_run(f->n[AUDIT].st, P(1), &o, &t, &err) ||
        ledger_trace_run(f->n[AUDIT].st, P(1), &b, &tb, &err))
        fail_msg("trace: %s", err.msg);
    n = ledger_trace_edge_count(t);
    assert_true(n >= ledger_trace_edge_count(tb));
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const ledger_trace_edge_t *x = ledger_trace_edge(t, i), *y = ledger_trace_edge(t, j);
            if (x->from == y->from && x->to == y->to && x->kind == y->kind && x->role == y->role)
                fail_msg("edge %zu and %zu are the same (%s -> %s)", i, j,
                         ledger_trace_node(t, x->from)->id, ledger_trace_node(t, x->to)->id);
        }
    /* every edge of the back walk is one of both ways' */
    for (size_t i = 0; i < ledger_trace_edge_count(tb); i++) {
        const ledger_trace_edge_t *x = ledger_trace_edge(tb, i);
        const char *from = ledger_trace_node(tb, x->from)->id,
                   *to = ledger_trace_node(tb, x->to)->id;
        size_t k;
        for (k = 0; k < n; k++) {
            const ledger_trace_edge_t *y = ledger_trace_edge(t, k);
            if (strcmp(ledger_trace_node(t, y->from)->id, from) == 0 &&
                strcmp(ledger_trace_node(t, y->to)->id, to) == 0 && x->kind == y->kind &&
                x->role == y->role)
                break;
        }
        if (k == n)
            fail_msg("back edge %s -> %s missing both ways", from, to);
    }
    ledger_trace_free(t);
    ledger_trace_free(tb);
}

/* Lots given by ILMD, the usual GS1 way: a processor commissions packs
 * with ilmd cbvmda:lotNumber (and a cutting plant names its outputs' lot
 * with its own prefix for the CBV master data namespace). Recall of the lot
 * finds its members in both stores (own appends and, merged, a partner's
 * entries read from CBOR), a pack of another GTIN in the same event belongs
 * to its own lot, and a trace back from a pack reaches its lot and, through
 * the cutting, the carcass. */
static void test_ilmd_lots(void **state)
{
    fixture_t *f = *state;
    node_t *S = &f->n[SLAUGHTER], *Pr = &f->n[PROC];
    ledger_trace_opts_t back = {.dir = LEDGER_TRACE_BACK};
    ledger_trace_t *t;
    ledger_err_t err;
    json_t *r;
    const char *const lot = "urn:epc:class:lgtin:5412345.000012.L900";
    rec(S, 0,
        "{\"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\", "
        "{\"mda\": \"urn:epcglobal:cbv:mda:\"}], \"type\": \"TransformationEvent\", "
        "\"eventTime\": \"2025-12-01T06:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
        "\"inputEPCList\": [\"" A1 "\"], \"outputEPCList\": [\"" P(901) "\", \"" P(
            902) "\"], "
                 "\"ilmd\": {\"mda:lotNumber\": \"L900\"}}");
    rec(Pr, 0,
        "{" CTX "\"type\": \"ObjectEvent\", \"action\": \"ADD\", \"bizStep\": \"commissioning\", "
        "\"eventTime\": \"2025-12-01T08:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
        "\"epcList\": [\"" P(
            903) "\", \"urn:epc:id:sgtin:5412345.000013.Q1\"], "
                 "\"ilmd\": {\"urn:epcglobal:cbv:mda:lotNumber\": \"L900\", \"cbvmda:lotNumber\": "
                 "\"L900\"}}");
    rec(Pr, 0,
        OBJ("2025-12-02T08:00:00Z", "shipping", "\"epcList\": [\"" P(903) "\"], ",
            "\"destinationList\": [{\"type\": \"location\", \"destination\": \"" SG(7) "\"}]"));
    /* the own appends verify (the rows of the event as given and as
     * stored agree, whatever the order of the ILMD members) */
    assert_int_equal(ledger_store_verify(Pr->st, NULL, NULL, &err), 0);
    assert_int_equal(ledger_store_verify(S->st, NULL, NULL, &err), 0);
    /* in the processor's own store: the commissioned pack, not the pack
     * of the other GTIN */
    if (recall_json(Pr->st, lot, 0, 0, &r, &err))
        fail_msg("recall: %s", err.msg);
    {
        char *text = json_dumps(r, 0);
        assert_non_null(strstr(text, "/21/P903\""));
        assert_null(strstr(text, "Q1"));
        assert_int_equal(json_integer_value(json_object_get(r, "shipmentCount")), 1);
        free(text);
    }
    json_decref(r);
    /* merged into the auditor (a partner's entries: rows from CBOR) */
    merge(&f->n[AUDIT], S);
    merge(&f->n[AUDIT], Pr);
    assert_int_equal(ledger_store_verify(f->n[AUDIT].st, NULL, NULL, &err), 0);
    if (recall_json(f->n[AUDIT].st, lot, 0, 0, &r, &err))
        fail_msg("recall: %s", err.msg);
    {
        char *text = json_dumps(r, 0);
        for (int k = 901; k <= 903; k++) {
            char want[64];
            snprintf(want, sizeof want, "/21/P%d\"", k);
            if (!strstr(text, want))
                fail_msg("recall of the ILMD lot misses P%d: %s", k, text);
        }
        assert_null(strstr(text, "Q1"));
        free(text);
    }
    json_decref(r);
    /* the other GTIN's pack has its own lot */
    if (recall_json(f->n[AUDIT].st, "urn:epc:class:lgtin:5412345.000013.L900", 0, 0, &r, &err))
        fail_msg("recall: %s", err.msg);
    {
        char *text = json_dumps(r, 0);
        assert_non_null(strstr(text, "Q1"));
        assert_null(strstr(text, "P903"));
        free(text);
    }
    json_decref(r);
    /* back from a pack: its lot, and through the cutting the animal */
    if (ledger_trace_run(f->n[AUDIT].st, P(901), &back, &t, &err))
        fail_msg("trace: %s", err.msg);
    assert_true(ledger_trace_find(t, lot) != (size_t)-1);
    assert_true(ledger_trace_find(t, A1) != (size_t)-1);
    assert_true(
        has_edge(t, ledger_trace_find(t, P(901)), ledger_trace_find(t, lot), LEDGER_TEDGE_LOT, 0));
    ledger_trace_free(t);
    /* and from the lot back: the inputs of the cutting that made it */
    if (ledger_trace_run(f->n[AUDIT].st, lot, &back, &t, &err))
        fail_msg("trace: %s", err.msg);
    assert_true(ledger_trace_find(t, A1) != (size_t)-1);
    ledger_trace_free(t);
}

static void test_origin(void **state)
{
    fixture_t *f = *state;
    ledger_err_t err;
    json_t *r, *o;
    meat_chain(f);
    if (ledger_trace_origin(f->n[AUDIT].st, K(P(1)), &r, &err))
        fail_msg("origin: %s", err.msg);
    o = json_object_get(r, "origin");
#define ONE(key, val)                                                                              \
    do {                                                                                           \
        json_t *a = json_object_get(o, key);                                                       \
        if (json_array_size(a) != 1)                                                               \
            fail_msg("origin %s: %zu values", key, json_array_size(a));                            \
        assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "value")),     \
                            val);                                                                  \
    } while (0)
    ONE("bornIn", "BE");
    ONE("rearedIn", "BE");
    ONE("slaughteredIn", "BE");
    ONE("slaughterhouseApproval", "BE 1234");
    ONE("cutIn", "BE");
    ONE("cuttingPlantApproval", "BE 5678");
    ONE("referenceCode", "CARC1");
    assert_int_equal(json_array_size(json_object_get(r, "lots")), 2); /* CARC1, CUTA */
    json_decref(r);
}

/* ---- workwear ------------------------------------------------------------ */

static void workwear(fixture_t *f, int cycles, int retire)
{
    node_t *M = &f->n[MAKER], *L = &f->n[LAUNDRY], *R = &f->n[RECYCLER];
    rec(M, 0,
        "{" CTX "\"type\": \"ObjectEvent\", \"action\": \"ADD\", \"bizStep\": \"commissioning\", "
        "\"eventTime\": \"2024-01-10T08:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
        "\"epcList\": [\"" G1 "\"], \"bizLocation\": {\"id\": \"" SG(
            5) "\"}, "
               "\"ilmd\": {\"garment:fibreComposition\": \"65%% polyester, 35%% cotton\", "
               "\"garment:recycledContent\": 30, \"garment:maxWashCycles\": 55, "
               "\"garment:madeIn\": \"PT\"}}");
    rec(M, 0,
        OBJ("2024-01-11T08:00:00Z", "shipping", "\"epcList\": [\"" G1 "\"], ",
            "\"bizLocation\": {\"id\": \"" SG(5) "\"}, \"destinationList\": [{\"type\": "
                                                 "\"location\", \"destination\": \"" SG(6) "\"}]"));
    for (int i = 0; i < cycles; i++) {
        rec(L, 0,
            "{\"type\": \"ObjectEvent\", \"action\": \"OBSERVE\", \"bizStep\": \"receiving\", "
            "\"eventTime\": \"2024-03-%02dT%02d:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
            "\"epcList\": [\"" G1 "\"], \"bizLocation\": {\"id\": \"" SG(6) "\"}}",
            1 + i / 10, 2 * (i % 10));
        rec(L, 0,
            "{\"type\": \"ObjectEvent\", \"action\": \"OBSERVE\", \"bizStep\": \"shipping\", "
            "\"eventTime\": \"2024-03-%02dT%02d:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
            "\"epcList\": [\"" G1 "\"], \"bizLocation\": {\"id\": \"" SG(
                6) "\"}, "
                   "\"destinationList\": [{\"type\": \"location\", \"destination\": \"" SG(
                       7) "\"}]}",
            1 + i / 10, 2 * (i % 10));
    }
    rec(L, 0,
        OBJ("2024-04-01T08:00:00Z", "repairing", "\"epcList\": [\"" G1 "\"], ",
            "\"bizLocation\": {\"id\": \"" SG(6) "\"}"));
    rec(L, 0,
        OBJ("2024-04-01T09:00:00Z", "shipping", "\"epcList\": [\"" G1 "\"], ",
            "\"bizLocation\": {\"id\": \"" SG(6) "\"}, \"destinationList\": [{\"type\": "
                                                 "\"location\", \"destination\": \"" SG(7) "\"}]"));
    if (retire) {
        rec(R, 0,
            OBJ("2025-06-01T08:00:00Z", "receiving", "\"epcList\": [\"" G1 "\"], ",
                "\"bizLocation\": {\"id\": \"" SG(8) "\"}"));
        rec(R, 0,
            "{\"type\": \"TransformationEvent\", \"bizStep\": \"disassembling\", "
            "\"eventTime\": \"2025-06-02T08:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
            "\"inputEPCList\": [\"" G1 "\"], \"outputQuantityList\": [{\"epcClass\": \"" FIBRE
            "\", \"quantity\": 0.4, \"uom\": \"KGM\"}], \"bizLocation\": {\"id\": \"" SG(8) "\"}}");
    }
    merge(&f->n[AUDIT], M);
    merge(&f->n[AUDIT], L);
    if (retire)
        merge(&f->n[AUDIT], R);
}

static void test_lifecycle(void **state)
{
    fixture_t *f = *state;
    ledger_err_t err;
    json_t *r, *c;
    const char *other[] = {SG(1)};
    const char *laundry[] = {"https://id.gs1.org/414/5412345000068"}; /* SG(6) as Digital Link */
    workwear(f, 51, 0); /* the first stay is the delivery and first issue: 50 washes */
    if (ledger_trace_lifecycle(f->n[AUDIT].st, K(G1), NULL, 0, &r, &err))
        fail_msg("lifecycle: %s", err.msg);
    assert_int_equal(json_integer_value(json_object_get(r, "washes")), 50);
    assert_int_equal(json_integer_value(json_object_get(r, "maxWashCycles")), 55);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "due"); /* 50 >= 49.5 */
    assert_int_equal(json_array_size(json_object_get(r, "repairs")), 1);
    c = json_object_get(json_object_get(r, "commissioned"), "ilmd");
    assert_string_equal(json_string_value(json_object_get(c, "fibreComposition")),
                        "65% polyester, 35% cotton");
    assert_int_equal(json_integer_value(json_object_get(c, "recycledContent")), 30);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "holder"), "location")), SG(7));
    assert_true(json_is_null(json_object_get(r, "endOfLife")));
    json_decref(r);
    /* only pairs at named laundries count */
    if (ledger_trace_lifecycle(f->n[AUDIT].st, K(G1), other, 1, &r, &err))
        fail_msg("lifecycle: %s", err.msg);
    assert_int_equal(json_integer_value(json_object_get(r, "washes")), 0);
    json_decref(r);
    if (ledger_trace_lifecycle(f->n[AUDIT].st, K(G1), laundry, 1, &r, &err))
        fail_msg("lifecycle: %s", err.msg);
    assert_int_equal(json_integer_value(json_object_get(r, "washes")), 50);
    json_decref(r);
    /* due at the customer's location */
    if (ledger_trace_due(f->n[AUDIT].st, K(SG(7)), NULL, 0, 1, &r, &err))
        fail_msg("due: %s", err.msg);
    assert_int_equal(json_array_size(json_object_get(r, "garments")), 1);
    json_decref(r);
    if (ledger_trace_due(f->n[AUDIT].st, K(SG(1)), NULL, 0, 1, &r, &err))
        fail_msg("due: %s", err.msg);
    assert_int_equal(json_array_size(json_object_get(r, "garments")), 0);
    json_decref(r);
}

static void test_end_of_life(void **state)
{
    fixture_t *f = *state;
    ledger_err_t err;
    json_t *r, *eol;
    workwear(f, 56, 1);
    if (ledger_trace_lifecycle(f->n[AUDIT].st, K(G1), NULL, 0, &r, &err))
        fail_msg("lifecycle: %s", err.msg);
    assert_int_equal(json_integer_value(json_object_get(r, "washes")), 55);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "retired");
    assert_true(json_is_false(json_object_get(r, "overMaximum"))); /* 55 of 55 */
    eol = json_object_get(r, "endOfLife");
    assert_string_equal(json_string_value(json_object_get(eol, "bizStep")), "disassembling");
    assert_string_equal(json_string_value(json_array_get(json_object_get(eol, "outputs"), 0)),
                        "https://id.gs1.org/01/05412345000303/10/FIB1");
    json_decref(r);
}

static void test_over(void **state)
{
    fixture_t *f = *state;
    ledger_err_t err;
    json_t *r;
    workwear(f, 57, 0);
    if (ledger_trace_lifecycle(f->n[AUDIT].st, K(G1), NULL, 0, &r, &err))
        fail_msg("lifecycle: %s", err.msg);
    assert_int_equal(json_integer_value(json_object_get(r, "washes")), 56);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "over");
    assert_int_equal(json_integer_value(json_object_get(r, "washesLeft")), 0);
    assert_true(json_is_true(json_object_get(r, "overMaximum")));
    json_decref(r);
}

/* Products packed in one case travel in it as one carrier item; a DELETE
 * that names one of them ends its window only: the case's later shipment
 * carries the one left inside, not the one taken out. */
static void test_partial_unpacking(void **state)
{
    fixture_t *f = *state;
    node_t *Pr = &f->n[PROC];
    ledger_trace_t *t;
    ledger_err_t err;
    ledger_trace_opts_t o = {.dir = LEDGER_TRACE_FORWARD, .no_sealed = 1};
    size_t p7, p8, ship;
    json_t *r, *v;
    size_t i;
    int p8_moved = 0;

    rec(Pr, 0,
        "{" CTX "\"type\": \"ObjectEvent\", \"action\": \"ADD\", \"bizStep\": "
        "\"commissioning\", \"eventTime\": \"2025-12-01T06:00:00Z\", \"eventTimeZoneOffset\": "
        "\"+00:00\", \"epcList\": [\"" P(7) "\", \"" P(
            8) "\"], \"quantityList\": "
               "[{\"epcClass\": \"urn:epc:class:lgtin:5412345.000012.L78\", \"quantity\": 2}]}");
    rec(Pr, 0,
        "{\"type\": \"AggregationEvent\", \"action\": \"ADD\", \"bizStep\": \"packing\", "
        "\"eventTime\": \"2025-12-01T07:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
        "\"parentID\": \"" SSCC(9) "\", \"childEPCs\": [\"" P(7) "\", \"" P(8) "\"]}");
    rec(Pr, 0,
        "{\"type\": \"AggregationEvent\", \"action\": \"DELETE\", \"bizStep\": "
        "\"unpacking\", \"eventTime\": \"2025-12-01T08:00:00Z\", \"eventTimeZoneOffset\": "
        "\"+00:00\", \"parentID\": \"" SSCC(9) "\", \"childEPCs\": [\"" P(7) "\"]}");
    rec(Pr, 0,
        OBJ("2025-12-01T09:00:00Z", "shipping", "\"epcList\": [\"" SSCC(9) "\"], ",
            "\"destinationList\": [{\"type\": \"location\", \"destination\": \"" SG(2) "\"}]"));
    /* forward from the lot: both products, one carrier item for the case */
    assert_int_equal(
        ledger_trace_run(Pr->st, "urn:epc:class:lgtin:5412345.000012.L78", &o, &t, &err), 0);
    p7 = ledger_trace_find(t, "https://id.gs1.org/01/05412345000129/21/P7");
    p8 = ledger_trace_find(t, "https://id.gs1.org/01/05412345000129/21/P8");
    assert_true(p7 != (size_t)-1 && p8 != (size_t)-1);
    assert_non_null(at(t, "2025-12-01T09:00:00Z", &ship));
    assert_true(has_edge(t, p8, ship, LEDGER_TEDGE_SHIPMENT, LEDGER_TRACE_ROLE_CARRIED));
    assert_false(has_edge(t, p7, ship, LEDGER_TEDGE_SHIPMENT, LEDGER_TRACE_ROLE_CARRIED));
    ledger_trace_free(t);
    /* the recall says the same: the shipment moved P8 (and the case), not P7 */
    assert_int_equal(recall_json(Pr->st, "urn:epc:class:lgtin:5412345.000012.L78", 0, 0, &r, &err),
                     0);
    json_array_foreach(json_object_get(r, "shipments"), i, v)
    {
        size_t k;
        json_t *it;
        if (strcmp(json_string_value(json_object_get(v, "eventTime")), "2025-12-01T09:00:00Z"))
            continue;
        json_array_foreach(json_object_get(v, "items"), k, it)
        {
            assert_string_not_equal(json_string_value(it),
                                    "https://id.gs1.org/01/05412345000129/21/P7");
            p8_moved |=
                !strcmp(json_string_value(it), "https://id.gs1.org/01/05412345000129/21/P8");
        }
    }
    assert_true(p8_moved);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_back_from_portion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forward_and_recall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ilmd_lots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_origin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_end_of_life, setup, teardown),
        cmocka_unit_test_setup_teardown(test_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_unpacking, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
