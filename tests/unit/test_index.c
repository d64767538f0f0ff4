/* test_index.c -- the index walks that read no entry (ledger_index.c):
 * an identifier's events in eventTime order and in a time window, event
 * cards (what a trace needs of an event, read without its payload), the
 * entries of an event ID, and the upgrade of a store of format version 1
 * (ident rows without time, no edge database), 2 and 3 when it is opened,
 * for writing or read-only; format 4's temperatures in CEL and lots of
 * Digital Links and of every GTIN of an event. */
#include <jansson.h>
#include <lmdb.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ledger_epcis.h"
#include "ledger_identity.h"
#include "ledger_store.h"
#include "store_testlib.h"

#define SGTIN "urn:epc:id:sgtin:4012345.011111.987"
#define SGTIN_DL "https://id.gs1.org/01/04012345111118/21/987"
#define CASE "urn:epc:id:sscc:4012345.0000000111"
#define CASE_DL "https://id.gs1.org/00/040123450000001112"
#define LOC_URN "urn:epc:id:sgln:4012345.00002.0" /* record_chain's bizLocation */

static const char ctx[] = "\"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/"
                          "epcis-context.jsonld\"]";

typedef struct fx {
    char dir[300];
    tl_node_t n;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (!f || tl_tmpdir(f->dir, sizeof f->dir, "keten-index"))
        return -1;
    tl_node_open(&f->n, f->dir, "a");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    tl_node_close(&f->n);
    if (tl_rmtree(f->dir))
        return -1;
    free(f);
    return 0;
}

static uint64_t rec(fx_t *f, const char *fmt, ...)
{
    va_list ap;
    uint64_t seq;
    va_start(ap, fmt);
    seq = tl_vrec(&f->n, 0, fmt, ap);
    va_end(ap);
    return seq;
}

/* Three events of one product recorded out of time order, and a packing. */
static void record_chain(fx_t *f)
{
    rec(f,
        "{%s, \"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-02T10:00:00+01:00\", "
        "\"eventTimeZoneOffset\": \"+01:00\", \"action\": \"OBSERVE\", \"bizStep\": "
        "\"receiving\", \"epcList\": [\"%s\"], \"bizLocation\": {\"id\": "
        "\"urn:epc:id:sgln:4012345.00002.0\"}, \"sensorElementList\": [{\"sensorReport\": "
        "[{\"type\": \"gs1:Temperature\", \"value\": 3.5, \"uom\": \"CEL\"}, {\"type\": "
        "\"gs1:Temperature\", \"maxValue\": 7, \"uom\": \"CEL\"}, {\"type\": "
        "\"gs1:RelativeHumidity\", \"value\": 90, \"uom\": \"A93\"}]}]}",
        ctx, SGTIN);
    rec(f,
        "{%s, \"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-01T08:00:00Z\", "
        "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"bizStep\": "
        "\"commissioning\", \"disposition\": \"active\", \"epcList\": [\"%s\"], \"eventID\": "
        "\"urn:uuid:6f0e1a2b-0000-4000-8000-000000000001\"}",
        ctx, SGTIN);
    rec(f,
        "{%s, \"type\": \"AggregationEvent\", \"eventTime\": \"2026-03-01T12:00:00Z\", "
        "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"bizStep\": \"packing\", "
        "\"parentID\": \"%s\", \"childEPCs\": [\"%s\", \"urn:epc:id:sgtin:4012345.011111.988\"], "
        "\"childQuantityList\": [{\"epcClass\": \"urn:epc:class:lgtin:4012345.011111.L7\", "
        "\"quantity\": 2.5, \"uom\": \"KGM\"}], "
        "\"sourceList\": [{\"type\": \"owning_party\", \"source\": "
        "\"urn:epc:id:pgln:4012345.00000\"}]}",
        ctx, CASE, SGTIN);
}

typedef struct locs {
    uint64_t lseq[4];
    int role[4];
    size_t n;
} locs_t;

static int loc_cb(uint64_t lseq, int role, void *ctx)
{
    locs_t *l = ctx;
    if (l->n < 4) {
        l->lseq[l->n] = lseq;
        l->role[l->n] = role;
    }
    l->n++;
    return 0;
}

/* The events at a location, by its URN or its Digital Link alike. */
static void check_locations(ledger_store_t *st)
{
    char dl[LEDGER_IDENT_KEY_MAX];
    const char *forms[2] = {LOC_URN, dl};
    ledger_err_t err;
    assert_int_equal(ledger_ident_key(LOC_URN, dl, sizeof dl, NULL), 0);
    for (int i = 0; i < 2; i++) {
        locs_t l = {0};
        assert_int_equal(ledger_store_find_location(st, forms[i], loc_cb, &l, &err), 0);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.lseq[0], 1);
        assert_int_equal(l.role[0], 1); /* bizLocation */
    }
    {
        locs_t l = {0};
        assert_int_equal(
            ledger_store_find_location(st, "urn:epc:id:sgln:4012345.00003.0", loc_cb, &l, &err), 0);
        assert_int_equal(l.n, 0);
    }
}

static void check_hits(ledger_store_t *st)
{
    ledger_ident_hit_t *h = NULL;
    size_t n = 0, cap = 0;
    ledger_err_t err;
    /* the three events of the product, in eventTime order, whatever their
     * recording order and however the identifier is written */
    assert_int_equal(
        ledger_store_ident_hits(st, SGTIN_DL, INT64_MIN, INT64_MAX, &h, &n, &cap, &err), 0);
    assert_int_equal(n, 3);
    assert_true(h[0].time_ms < h[1].time_ms && h[1].time_ms < h[2].time_ms);
    assert_int_equal(h[0].lseq, 2);
    assert_int_equal(h[0].role, LEDGER_ROLE_EPC);
    assert_int_equal(h[1].lseq, 3);
    assert_int_equal(h[1].role, LEDGER_ROLE_CHILD);
    assert_int_equal(h[2].lseq, 1);
    /* a window: [commissioning + 1 ms, receiving] */
    n = 0;
    assert_int_equal(
        ledger_store_ident_hits(st, SGTIN, h[0].time_ms + 1, h[2].time_ms, &h, &n, &cap, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(h[0].lseq, 3);
    assert_int_equal(h[1].lseq, 1);
    /* nothing in the window: 0 and no hit; a stranger: ENOTFOUND */
    n = 0;
    assert_int_equal(ledger_store_ident_hits(st, SGTIN, INT64_MIN, 0, &h, &n, &cap, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ledger_store_ident_hits(st, "urn:epc:id:sgtin:4012345.011111.1", INT64_MIN,
                                             INT64_MAX, &h, &n, &cap, &err),
                     LEDGER_ENOTFOUND);
    assert_int_equal(ledger_store_ident_hits(st, "urn:epc:id:sgtin:4012345.01111x.1", INT64_MIN,
                                             INT64_MAX, &h, &n, &cap, &err),
                     LEDGER_EINPUT);
    free(h);
    check_locations(st);
}

static void check_cards(fx_t *f, ledger_store_t *st)
{
    ledger_card_t c;
    ledger_err_t err;
    uint64_t ls[4];
    size_t n;

    assert_int_equal(ledger_store_card(st, 2, &c, &err), 0);
    assert_string_equal(c.type, "ObjectEvent");
    assert_string_equal(c.action, "ADD");
    assert_string_equal(c.biz_step, "commissioning");
    assert_string_equal(c.disposition, "active");
    assert_string_equal(c.event_id, "urn:uuid:6f0e1a2b-0000-4000-8000-000000000001");
    assert_memory_equal(c.feed, ledger_identity_public(f->n.id), LEDGER_FEED_LEN);
    assert_int_equal(c.seq, 2);
    assert_int_equal(c.lseq, 2);
    assert_null(c.read_point);
    assert_null(c.biz_location);
    assert_int_equal(c.error_declaration, 0);
    assert_int_equal(c.nids, 1);
    assert_string_equal(c.ids[0].id, SGTIN_DL);
    assert_int_equal(c.time_ms, 1772352000000LL);
    /* the event ID index leads to it by eventID and by event hash */
    assert_int_equal(ledger_store_event_lseqs(st, c.event_id, ls, 4, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ls[0], 2);
    assert_int_equal(ledger_store_event_lseqs(st, c.event_hash, ls, 4, &n, &err), 0);
    assert_int_equal(n, 1);
    ledger_card_free(&c);

    /* the packing: identifiers in the event's order (children after the
     * parent; front-coded in the card, whole here), sources too */
    assert_int_equal(ledger_store_card(st, 3, &c, &err), 0);
    assert_string_equal(c.type, "AggregationEvent");
    assert_null(c.disposition);
    assert_string_equal(c.event_id, c.event_hash); /* no eventID: the hash */
    assert_int_equal(c.nids, 5);
    assert_int_equal(c.ids[0].role, LEDGER_ROLE_PARENT);
    assert_string_equal(c.ids[0].id, CASE_DL);
    assert_int_equal(c.ids[0].listed, 0);
    assert_int_equal(c.ids[1].role, LEDGER_ROLE_CHILD);
    assert_string_equal(c.ids[1].id, SGTIN_DL);
    assert_int_equal(c.ids[1].listed, 0);
    assert_string_equal(c.ids[2].id, "https://id.gs1.org/01/04012345111118/21/988");
    /* a class-level child: its quantity and uom */
    assert_int_equal(c.ids[3].role, LEDGER_ROLE_CHILD);
    assert_string_equal(c.ids[3].id, "https://id.gs1.org/01/04012345111118/10/L7");
    assert_int_equal(c.ids[3].listed, 1);
    assert_string_equal(c.ids[3].quantity, "2.5");
    assert_string_equal(c.ids[3].uom, "KGM");
    /* a source: its type as written */
    assert_int_equal(c.ids[4].role, LEDGER_ROLE_SOURCE);
    assert_string_equal(c.ids[4].id, "https://id.gs1.org/417/4012345000009");
    assert_string_equal(c.ids[4].type, "owning_party");
    assert_null(c.ids[4].quantity);
    assert_string_equal(c.event_time, "2026-03-01T12:00:00Z");
    assert_int_equal(c.has_sensors, 0);
    assert_null(c.max_temp);
    ledger_card_free(&c);

    assert_int_equal(ledger_store_card(st, 1, &c, &err), 0);
    assert_string_equal(c.biz_location, "urn:epc:id:sgln:4012345.00002.0"); /* as written */
    assert_int_equal(c.time_ms, 1772442000000LL);                           /* 10:00+01:00 */
    assert_int_equal(c.has_sensors, 1);
    assert_string_equal(c.max_temp, "7"); /* the maxValue; humidity is no temperature */
    ledger_card_free(&c);
    assert_int_equal(ledger_store_card(st, 99, &c, &err), LEDGER_ENOTFOUND);
    assert_int_equal(ledger_store_event_lseqs(st, "urn:uuid:nothing", ls, 4, &n, &err), 0);
    assert_int_equal(n, 0);
}

static void test_hits_and_cards(void **state)
{
    fx_t *f = *state;
    ledger_err_t err;
    record_chain(f);
    check_hits(f->n.st);
    check_cards(f, f->n.st);
    assert_int_equal(ledger_store_verify(f->n.st, NULL, NULL, &err), 0);
}

/* An errorDeclaration is found by the ID of the event it declares
 * erroneous, in the decl index (empty for a store without any). */
static void test_declarations(void **state)
{
    fx_t *f = *state;
    uint64_t ls[4];
    size_t n;
    ledger_card_t c;
    ledger_err_t err;
    const char *id = "urn:uuid:6f0e1a2b-0000-4000-8000-000000000001";

    record_chain(f);
    assert_int_equal(ledger_store_declarations(f->n.st, id, ls, 4, &n, &err), 0);
    assert_int_equal(n, 0);
    rec(f,
        "{%s, \"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-01T08:00:00Z\", "
        "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"bizStep\": "
        "\"commissioning\", \"disposition\": \"active\", \"epcList\": [\"%s\"], \"eventID\": "
        "\"%s\", \"errorDeclaration\": {\"declarationTime\": \"2026-03-05T08:00:00Z\", "
        "\"reason\": \"incorrect_data\"}}",
        ctx, SGTIN, id);
    assert_int_equal(ledger_store_declarations(f->n.st, id, ls, 4, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ls[0], 4);
    assert_int_equal(ledger_store_card(f->n.st, 4, &c, &err), 0);
    assert_int_equal(c.error_declaration, 1);
    ledger_card_free(&c);
    /* both entries share the eventID */
    assert_int_equal(ledger_store_event_lseqs(f->n.st, id, ls, 4, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ledger_store_verify(f->n.st, NULL, NULL, &err), 0);
}

/* The store in dir opened with LMDB itself, in a write transaction: what
 * an older keten left is made by hand. */
static MDB_env *open_raw(const char *dir, MDB_txn **txn)
{
    MDB_env *env;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, txn), 0);
    return env;
}

/* The loc rows of the store open in txn keyed as keten wrote them before
 * format 3: the location as written (here: the SGLN URN of record_chain,
 * whose rows format 3 files under its Digital Link). */
static void loc_as_written(MDB_txn *txn)
{
    MDB_dbi loc;
    MDB_cursor *c;
    MDB_val k, v, old = {sizeof LOC_URN - 1, LOC_URN};
    uint8_t vals[8][9];
    char canon[64], want[LEDGER_IDENT_KEY_MAX];
    size_t n = 0;
    int rc, op = MDB_FIRST;
    assert_int_equal(ledger_ident_key(LOC_URN, want, sizeof want, NULL), 0);
    assert_string_not_equal(want, LOC_URN);
    assert_int_equal(mdb_dbi_open(txn, "loc", MDB_DUPSORT | MDB_DUPFIXED, &loc), 0);
    assert_int_equal(mdb_cursor_open(txn, loc, &c), 0);
    uint8_t wkey[LEDGER_IDENT_KEY_MAX];
    int wlen = ledger_store_index_key("loc", want, wkey, sizeof wkey);
    assert_true(wlen > 0);
    while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        assert_true(k.mv_size < sizeof canon);
        assert_int_equal(k.mv_size, (size_t)wlen); /* format 3 on: canonical (packed in 6) */
        assert_memory_equal(k.mv_data, wkey, (size_t)wlen);
        assert_true(n < 8 && v.mv_size == 9);
        memcpy(vals[n++], v.mv_data, 9);
    }
    assert_int_equal(rc, MDB_NOTFOUND);
    mdb_cursor_close(c);
    assert_true(n > 0);
    assert_int_equal(mdb_drop(txn, loc, 0), 0);
    for (size_t i = 0; i < n; i++) {
        MDB_val rv = {9, vals[i]};
        assert_int_equal(mdb_put(txn, loc, &old, &rv, 0), 0);
    }
}

/* Turns the store in dir into what keten made in format 2: version "2",
 * loc rows keyed by the location as written. */
static void make_v2(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    MDB_val vk = {7, "version"}, vv = {1, "2"};
    env = open_raw(dir, &txn);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_put(txn, meta, &vk, &vv, 0), 0);
    loc_as_written(txn);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* Turns the store in dir into what keten made before format 2: version
 * "1", no edge database, ident rows lseq | role, loc rows as written. */
static void make_v1(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, ident, edge, decl;
    MDB_cursor *c;
    MDB_val k, v, vk = {7, "version"}, vv = {1, "1"};
    struct row {
        uint8_t key[512];
        size_t klen;
        uint8_t val[9];
    } *rows = calloc(64, sizeof *rows);
    size_t n = 0;
    int rc;

    assert_non_null(rows);
    env = open_raw(dir, &txn);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_dbi_open(txn, "ident", MDB_DUPSORT | MDB_DUPFIXED, &ident), 0);
    assert_int_equal(mdb_dbi_open(txn, "edge", 0, &edge), 0);
    assert_int_equal(mdb_put(txn, meta, &vk, &vv, 0), 0);
    loc_as_written(txn);
    assert_int_equal(mdb_drop(txn, edge, 1), 0);
    assert_int_equal(mdb_dbi_open(txn, "decl", MDB_DUPSORT | MDB_DUPFIXED, &decl), 0);
    assert_int_equal(mdb_drop(txn, decl, 1), 0);
    assert_int_equal(mdb_cursor_open(txn, ident, &c), 0);
    while ((rc = mdb_cursor_get(c, &k, &v, n ? MDB_NEXT : MDB_FIRST)) == 0) {
        assert_true(n < 64 && v.mv_size == 17 && k.mv_size <= 512);
        memcpy(rows[n].key, k.mv_data, k.mv_size);
        rows[n].klen = k.mv_size;
        memcpy(rows[n].val, (uint8_t *)v.mv_data + 8, 9);
        n++;
    }
    assert_int_equal(rc, MDB_NOTFOUND);
    mdb_cursor_close(c);
    assert_true(n > 0);
    assert_int_equal(mdb_drop(txn, ident, 0), 0);
    for (size_t i = 0; i < n; i++) {
        MDB_val rk = {rows[i].klen, rows[i].key}, rv = {9, rows[i].val};
        assert_int_equal(mdb_put(txn, ident, &rk, &rv, 0), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    free(rows);
}

/* A store that make() turned into an older format is upgraded when it is
 * opened: read-only (by one open for writing, then read) and for writing
 * (in place); everything is found and verifies. f->n.st is left open. */
static void check_upgrade(fx_t *f, void (*make)(const char *dir))
{
    ledger_store_t *st;
    ledger_err_t err;

    record_chain(f);
    ledger_store_close(f->n.st);
    f->n.st = NULL;
    make(f->n.dir);
    assert_int_equal(ledger_store_open(f->n.dir, LEDGER_STORE_RDONLY, NULL, &st, &err), 0);
    check_hits(st);
    ledger_store_close(st);
    make(f->n.dir);
    assert_int_equal(
        ledger_store_open(f->n.dir, 0, ledger_identity_public(f->n.id), &f->n.st, &err), 0);
    check_hits(f->n.st);
    check_cards(f, f->n.st);
    assert_int_equal(ledger_store_verify(f->n.st, NULL, NULL, &err), 0);
}

static void test_upgrade(void **state)
{
    fx_t *f = *state;
    ledger_err_t err;

    check_upgrade(f, make_v1);
    /* and goes on recording */
    rec(f,
        "{%s, \"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-03T08:00:00Z\", "
        "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"OBSERVE\", \"epcList\": [\"%s\"]}",
        ctx, SGTIN);
    assert_int_equal(ledger_store_verify(f->n.st, NULL, NULL, &err), 0);
}

/* A format-2 store (loc rows keyed as written) is upgraded when opened:
 * its locations are found by either form, and everything verifies. */
static void test_upgrade_v2(void **state)
{
    check_upgrade(*state, make_v2);
}

/* Events for format 4 (issue 12): temperatures in FAH and KEL, one with no
 * unit, a pack whose Digital Link carries its lot, and a transformation
 * whose ILMD lot is that of 300 GTINs. lseqs 1..4. */
static void record_units_and_lots(fx_t *f)
{
    rec(f,
        "{%s, \"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-04T08:00:00Z\", "
        "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"OBSERVE\", \"epcList\": [\"%s\"], "
        "\"sensorElementList\": [{\"sensorReport\": [{\"type\": \"gs1:Temperature\", \"value\": "
        "39, \"uom\": \"FAH\"}, {\"type\": \"Temperature\", \"minValue\": 275, \"maxValue\": 280, "
        "\"sDev\": 400, \"uom\": \"KEL\"}]}]}",
        ctx, SGTIN);
    rec(f,
        "{%s, \"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-04T09:00:00Z\", "
        "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"OBSERVE\", \"epcList\": [\"%s\"], "
        "\"sensorElementList\": [{\"sensorReport\": [{\"type\": \"gs1:Temperature\", \"value\": "
        "3.5}, {\"type\": \"gs1:Temperature\", \"value\": 2, \"uom\": \"CEL\"}]}]}",
        ctx, SGTIN);
    rec(f,
        "{%s, \"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-04T10:00:00Z\", "
        "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"OBSERVE\", \"bizStep\": "
        "\"shipping\", \"epcList\": [\"https://example.com/01/04012345111118/10/L9/21/77\"]}",
        ctx);
    {
        /* too long for rec's text: built as JSON */
        json_t *outs = json_array(), *ev;
        ledger_append_result_t res;
        ledger_err_t err;
        char id[64];
        for (int k = 1; k <= 300; k++) {
            snprintf(id, sizeof id, "urn:epc:id:sgtin:4012345.1%05d.1", k);
            json_array_append_new(outs, json_string(id));
        }
        ev = json_pack("{s:[s], s:s, s:s, s:s, s:[s], s:o, s:{s:s}}", "@context",
                       "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", "type",
                       "TransformationEvent", "eventTime", "2026-03-04T11:00:00Z",
                       "eventTimeZoneOffset", "+00:00", "inputEPCList", SGTIN, "outputEPCList",
                       outs, "ilmd", "cbvmda:lotNumber", "BIG");
        assert_non_null(ev);
        assert_int_equal(ledger_epcis_event_check(ev, "test", &err), 0);
        assert_int_equal(ledger_store_append_events(f->n.st, f->n.id, &ev, 1, 0, &res, &err), 0);
        json_decref(ev);
    }
}

/* What format 4 stores of them: cards with the highest temperature in CEL
 * (and the flag for a reading with no unit), the Digital Link's lot and
 * the 300th GTIN's lot in the identifier index (role lot). */
static void check_units_and_lots(ledger_store_t *st)
{
    ledger_card_t c;
    ledger_err_t err;
    ledger_ident_hit_t *h = NULL;
    size_t n = 0, cap = 0;
    assert_int_equal(ledger_store_card(st, 1, &c, &err), 0);
    assert_non_null(c.max_temp); /* 280 KEL: 6.85 CEL; 39 FAH is 3.9; sDev is no reading */
    assert_true(fabs(strtod(c.max_temp, NULL) - 6.85) < 1e-9);
    assert_int_equal(c.temp_uncompared, 0);
    ledger_card_free(&c);
    assert_int_equal(ledger_store_card(st, 2, &c, &err), 0);
    assert_string_equal(c.max_temp, "2");
    assert_int_equal(c.temp_uncompared, 1); /* 3.5 with no uom */
    ledger_card_free(&c);
    assert_int_equal(ledger_store_ident_hits(st, "urn:epc:class:lgtin:4012345.011111.L9", INT64_MIN,
                                             INT64_MAX, &h, &n, &cap, &err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].lseq, 3);
    assert_int_equal(h[0].role, LEDGER_ROLE_LOT);
    n = 0;
    assert_int_equal(ledger_store_ident_hits(st, "urn:epc:class:lgtin:4012345.100300.BIG",
                                             INT64_MIN, INT64_MAX, &h, &n, &cap, &err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].lseq, 4);
    assert_int_equal(h[0].role, LEDGER_ROLE_LOT);
    free(h);
}

static void test_units_and_lots(void **state)
{
    fx_t *f = *state;
    ledger_err_t err;
    record_units_and_lots(f);
    check_units_and_lots(f->n.st);
    assert_int_equal(ledger_store_verify(f->n.st, NULL, NULL, &err), 0);
}

/* Turns the store in dir into one that claims format 3 and lacks what
 * format 4 adds: its ident and edge databases emptied (the upgrade
 * rebuilds both from the log). */
static void make_v3(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, ident, edge;
    MDB_val vk = {7, "version"}, vv = {1, "3"};
    env = open_raw(dir, &txn);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_put(txn, meta, &vk, &vv, 0), 0);
    assert_int_equal(mdb_dbi_open(txn, "ident", MDB_DUPSORT | MDB_DUPFIXED, &ident), 0);
    assert_int_equal(mdb_drop(txn, ident, 0), 0);
    assert_int_equal(mdb_dbi_open(txn, "edge", 0, &edge), 0);
    assert_int_equal(mdb_drop(txn, edge, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* A format-3 store is upgraded when opened (read-only too): temperatures
 * in CEL on the cards, the lots of Digital Links and of every GTIN. */
static void test_upgrade_v3(void **state)
{
    fx_t *f = *state;
    ledger_store_t *st;
    ledger_err_t err;
    record_units_and_lots(f);
    ledger_store_close(f->n.st);
    f->n.st = NULL;
    make_v3(f->n.dir);
    assert_int_equal(ledger_store_open(f->n.dir, LEDGER_STORE_RDONLY, NULL, &st, &err), 0);
    check_units_and_lots(st);
    ledger_store_close(st);
    assert_int_equal(
        ledger_store_open(f->n.dir, 0, ledger_identity_public(f->n.id), &f->n.st, &err), 0);
    check_units_and_lots(f->n.st);
    assert_int_equal(ledger_store_verify(f->n.st, NULL, NULL, &err), 0);
}

/* Turns the store in dir into one of format 4, whose ident rows were keyed
 * by the event hash's canonical form (an EPC tag URN as written): emptied,
 * so that only the upgrade can find anything again. */
static void make_v4(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, ident;
    MDB_val vk = {7, "version"}, vv = {1, "4"};
    env = open_raw(dir, &txn);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_put(txn, meta, &vk, &vv, 0), 0);
    assert_int_equal(mdb_dbi_open(txn, "ident", MDB_DUPSORT | MDB_DUPFIXED, &ident), 0);
    assert_int_equal(mdb_drop(txn, ident, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static int count_hit(const ledger_stored_t *s, int role, void *ctx)
{
    (void)s;
    (void)role;
    ++*(int *)ctx;
    return 0;
}

/* Format 5 keys every identifier by gs1_ident_key, the key `keten decode`
 * prints: an event that names a UHF tag by its tag URN is found by the
 * tag's pure identity URN and Digital Link.  A format-4 store is rebuilt
 * so when opened. */
static void test_upgrade_v4(void **state)
{
    fx_t *f = *state;
    ledger_store_t *st;
    ledger_err_t err;
    static const char *const forms[] = {"urn:epc:id:sgtin:0614141.812345.6789",
                                        "https://example.com/01/80614141123458/21/6789",
                                        "urn:epc:tag:sgtin-96:3.0614141.812345.6789"};
    rec(f,
        "{%s, \"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-04T08:00:00Z\", "
        "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"OBSERVE\", \"epcList\": "
        "[\"urn:epc:tag:sgtin-96:3.0614141.812345.6789\"]}",
        ctx);
    ledger_store_close(f->n.st);
    f->n.st = NULL;
    make_v4(f->n.dir);
    assert_int_equal(ledger_store_open(f->n.dir, LEDGER_STORE_RDONLY, NULL, &st, &err), 0);
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int n = 0;
        if (ledger_store_find_ident(st, forms[i], count_hit, &n, &err) != 0)
            fail_msg("%s: %s", forms[i], err.msg);
        assert_int_equal(n, 1);
    }
    ledger_store_close(st);
    assert_int_equal(
        ledger_store_open(f->n.dir, 0, ledger_identity_public(f->n.id), &f->n.st, &err), 0);
    assert_int_equal(ledger_store_verify(f->n.st, NULL, NULL, &err), 0);
}

/* verify notices a card that does not match its event */
static void test_verify_card(void **state)
{
    fx_t *f = *state;
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi edge;
    uint8_t kb[8] = {0, 0, 0, 0, 0, 0, 0, 2};
    MDB_val k = {8, kb}, v;
    uint8_t *copy;
    ledger_err_t err;

    record_chain(f);
    ledger_store_close(f->n.st);
    f->n.st = NULL;
    env = open_raw(f->n.dir, &txn);
    assert_int_equal(mdb_dbi_open(txn, "edge", 0, &edge), 0);
    assert_int_equal(mdb_get(txn, edge, &k, &v), 0);
    copy = malloc(v.mv_size);
    assert_non_null(copy);
    memcpy(copy, v.mv_data, v.mv_size);
    copy[v.mv_size - 1] ^= 1; /* the last identifier's last character */
    v.mv_data = copy;
    assert_int_equal(mdb_put(txn, edge, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    free(copy);
    assert_int_equal(ledger_store_open(f->n.dir, 0, NULL, &f->n.st, &err), 0);
    assert_int_equal(ledger_store_verify(f->n.st, NULL, NULL, &err), LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, "event card differs"));
}

/* The packed keys of ident and loc (docs/format.md, "The store"): the
 * documented vector, digits and other segments, texts that stay texts,
 * and no two texts with one key. */
static void test_ident_key_packed(void **state)
{
    static const uint8_t want[] = {0x02, 0x82, 0x01, 0x8e, 0x05, 0x41, 0x23, 0x45, 0x00,
                                   0x01, 0x29, 0x82, 0x21, 0x87, 0x30, 0x00, 0x00, 0x1f};
    static const uint8_t mixed[] = {0x02, 0x82, 0x01, 0x8e, 0x05, 0x41, 0x23, 0x45, 0x00,
                                    0x01, 0x29, 0x82, 0x21, 0x04, 'A', 'B', '-', '1'};
    const char *distinct[] = {"https://id.gs1.org/01/05412345000129/21/12",
                              "https://id.gs1.org/01/05412345000129/21/1/2",
                              "https://id.gs1.org/01/05412345000129/21/012",
                              "https://id.gs1.org/01/05412345000129/21/12/",
                              "https://id.gs1.org/01/05412345000129/2112",
                              "\x02\x82\x01",
                              "\x01" "abc",
                              "urn:epc:id:sgtin:5412345.000012.12",
                              "https://example.com/01/05412345000129/21/12"};
    uint8_t k[8][600], out[600];
    int n, len[9];
    (void)state;
    n = ledger_store_index_key("ident", "https://id.gs1.org/01/05412345000129/21/3000001", out,
                               sizeof out);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    n = ledger_store_index_key("loc", "https://id.gs1.org/01/05412345000129/21/AB-1", out,
                               sizeof out);
    assert_int_equal(n, sizeof mixed);
    assert_memory_equal(out, mixed, sizeof mixed);
    n = ledger_store_index_key("ident", "\x01" "abc", out, sizeof out);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "\x00\x01" "abc", 5);
    n = ledger_store_index_key("ident", "urn:epc:id:sgtin:5412345.000012.12", out, sizeof out);
    assert_int_equal(n, 34);
    assert_memory_equal(out, "urn:epc:id:sgtin:5412345.000012.12", 34);
    for (int i = 0; i < 9; i++) {
        uint8_t *p = i < 8 ? k[i] : out;
        assert_true((len[i] = ledger_store_index_key("ident", distinct[i], p, 600)) > 0);
        for (int j = 0; j < i; j++)
            assert_false(len[j] == len[i] && memcmp(k[j], p, (size_t)len[i]) == 0);
    }
    assert_int_equal(ledger_store_index_key("time", "x", out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ident_key_packed),
        cmocka_unit_test_setup_teardown(test_hits_and_cards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_declarations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_card, setup, teardown),
        cmocka_unit_test_setup_teardown(test_units_and_lots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_v3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_v4, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
