/* test_replica.c -- the ledger side of replication (ledger_replica.h):
 * entries ranged out of one store and ingested into another arrive whole
 * (heads equal, the events found by ID and identifier, verify passes);
 * duplicates are skipped; a relay store hands on a feed whose signatures
 * the third store checks itself; private entries and LEDGER_RANGE_SEAL
 * travel sealed and index nothing; tampered runs (payload, signature, prev,
 * gap, foreign entry, truncated bytes) fail with the right code and index
 * and keep only an authenticated prefix; two stores signing with one key
 * make a fork that a third store detects, keeps as evidence and flags;
 * several runs and a 100,000-entry batch go in one transaction; a store
 * made before the "private" database opens read-only. Ingest reads event
 * payloads straight from CBOR; every GS1 example event, replicated, gets
 * exactly the index rows that verify (which decodes to JSON) expects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>
#include <sodium.h>

#include "epcis_testlib.h"
#include "ledger_stmt.h"
#include "ledger_stmts.h"
#include "ledger_buf.h"
#include "ledger_cbor.h"
#include "ledger_entry.h"
#include "ledger_identity.h"
#include "ledger_replica.h"
#include "ledger_store.h"
#include "store_testlib.h"

/* ---- fixtures: stores with their own keys in one temp dir ---------------- */

typedef tl_node_t node_t;

typedef struct fixture {
    char dir[256];
    node_t a, b, c;
} fixture_t;

static void node_open(fixture_t *f, node_t *n, const char *name)
{
    tl_node_open(n, f->dir, name);
}

static void node_close(node_t *n)
{
    tl_node_close(n);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (tl_tmpdir(f->dir, sizeof f->dir, "keten-replica"))
        return -1;
    node_open(f, &f->a, "a");
    node_open(f, &f->b, "b");
    node_open(f, &f->c, "c");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    node_close(&f->a);
    node_close(&f->b);
    node_close(&f->c);
    if (tl_rmtree(f->dir))
        return -1;
    free(f);
    return 0;
}

/* An ObjectEvent for serial n (distinct n: distinct events). */
static json_t *object_event(int n, const char *step)
{
    char epc[80], t[40];
    snprintf(epc, sizeof epc, "urn:epc:id:sgtin:5412345.000001.%d", n);
    snprintf(t, sizeof t, "2025-11-30T08:%02d:%02d.000+01:00", (n / 60) % 60, n % 60);
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:s, s:{s:s}, s:{s:s}}", "type", "ObjectEvent",
                     "action", "OBSERVE", "bizStep", step, "epcList", epc, "eventTime", t,
                     "eventTimeZoneOffset", "+01:00", "bizLocation", "id",
                     "urn:epc:id:sgln:5412345.00000.0", "readPoint", "id",
                     "urn:epc:id:sgln:5412345.00000.1");
}

/* Appends events for serials from..from+n-1 to st, signed with id; their
 * eventIDs go to ids (may be NULL). */
static void append_n(ledger_store_t *st, const ledger_identity_t *id, int from, int n,
                     unsigned flags, char (*ids)[520])
{
    json_t **evs = calloc((size_t)n, sizeof *evs);
    ledger_append_result_t *res = calloc((size_t)n, sizeof *res);
    ledger_err_t err;
    for (int i = 0; i < n; i++)
        evs[i] = object_event(from + i, "shipping");
    if (ledger_store_append_events(st, id, evs, (size_t)n, flags, res, &err))
        fail_msg("append: %s", err.msg);
    for (int i = 0; i < n; i++) {
        if (ids)
            memcpy(ids[i], res[i].event_id, sizeof ids[i]);
        json_decref(evs[i]);
    }
    free(evs);
    free(res);
}

/* ---- runs of entries -------------------------------------------------- */

typedef struct run {
    uint8_t **e;
    size_t *len;
    size_t n, cap;
} run_t;

static void run_push(run_t *r, const uint8_t *p, size_t len)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->e = realloc(r->e, r->cap * sizeof *r->e);
        r->len = realloc(r->len, r->cap * sizeof *r->len);
    }
    r->e[r->n] = malloc(len);
    memcpy(r->e[r->n], p, len);
    r->len[r->n++] = len;
}

static void run_free(run_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->e[i]);
    free(r->e);
    free(r->len);
    memset(r, 0, sizeof *r);
}

static int collect_cb(const uint8_t *bytes, size_t len, uint64_t seq, void *ctx)
{
    (void)seq;
    run_push(ctx, bytes, len);
    return 0;
}

/* feed:from..to (0: head) of st, unlimited, into a new run. */
static run_t range(ledger_store_t *st, const uint8_t *feed, uint64_t from, uint64_t to,
                   unsigned flags)
{
    run_t r = {0};
    uint64_t next;
    ledger_err_t err;
    if (ledger_replica_range(st, feed, from, to, 0, 0, flags, collect_cb, &r, &next, &err))
        fail_msg("range: %s", err.msg);
    return r;
}

/* Ingests entries [i, i+n) of r into st in one transaction. */
static int ingest(ledger_store_t *st, const uint8_t *feed, const run_t *r, size_t i, size_t n,
                  ledger_ingest_report_t *rep, ledger_err_t *err)
{
    ledger_ingest_t *in;
    int rc, rc2;
    if ((rc = ledger_ingest_begin(st, &in, err)))
        fail_msg("begin: %s", err->msg);
    rc = ledger_ingest_add(in, feed, (const uint8_t *const *)r->e + i, r->len + i, n, rep, err);
    if (rc == LEDGER_EIO || rc == LEDGER_ENOMEM) {
        ledger_ingest_abort(in);
        return rc;
    }
    if ((rc2 = ledger_ingest_commit(in, NULL)))
        fail_msg("commit failed: %d after add said %d (%s)", rc2, rc, rc ? err->msg : "");
    return rc;
}

static uint64_t head_seq(ledger_store_t *st, const uint8_t *feed, uint32_t *flags)
{
    ledger_feed_head_t h;
    if (ledger_store_head(st, feed, &h, NULL))
        return 0;
    if (flags)
        *flags = h.flags;
    return h.seq;
}

static void assert_heads_equal(ledger_store_t *x, ledger_store_t *y, const uint8_t *feed)
{
    ledger_feed_head_t hx, hy;
    assert_int_equal(ledger_store_head(x, feed, &hx, NULL), 0);
    assert_int_equal(ledger_store_head(y, feed, &hy, NULL), 0);
    assert_int_equal(hx.seq, hy.seq);
    assert_memory_equal(hx.hash, hy.hash, LEDGER_HASH_LEN);
}

static void assert_verifies(ledger_store_t *st)
{
    ledger_err_t err;
    if (ledger_store_verify(st, NULL, NULL, &err))
        fail_msg("verify: %s", err.msg);
}

static int count_cb(const ledger_stored_t *s, void *ctx)
{
    (void)s;
    (*(int *)ctx)++;
    return 0;
}

static int count_ident_cb(const ledger_stored_t *s, int role, void *ctx)
{
    (void)s;
    (void)role;
    (*(int *)ctx)++;
    return 0;
}

static int sealed_cb(const ledger_stored_t *s, void *ctx)
{
    *(int *)ctx = s->e.payload == NULL;
    return 0;
}

static const uint8_t *pub(const node_t *n)
{
    return ledger_identity_public(n->id);
}

/* ---- tests ------------------------------------------------------------ */

static void test_replicate(void **state)
{
    fixture_t *f = *state;
    char ids[20][520];
    ledger_ingest_report_t rep;
    ledger_err_t err;
    run_t r;
    int n;

    append_n(f->a.st, f->a.id, 1, 20, 0, ids);
    r = range(f->a.st, pub(&f->a), 1, 0, 0);
    assert_int_equal(r.n, 20);
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, 20, &rep, &err), 0);
    assert_int_equal(rep.accepted, 20);
    assert_int_equal(rep.duplicates, 0);
    assert_int_equal(rep.head_seq, 20);
    assert_heads_equal(f->a.st, f->b.st, pub(&f->a));
    /* B finds A's events by ID and by identifier, in either of its forms */
    n = 0;
    assert_int_equal(ledger_store_find_event(f->b.st, ids[7], count_cb, &n, &err), 0);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(ledger_store_find_ident(f->b.st, "urn:epc:id:sgtin:5412345.000001.9",
                                             count_ident_cb, &n, &err),
                     0);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(ledger_store_find_ident(f->b.st, "https://id.gs1.org/01/05412345000013/21/9",
                                             count_ident_cb, &n, &err),
                     0);
    assert_int_equal(n, 1);
    assert_verifies(f->b.st);
    {
        ledger_store_stats_t sa, sb;
        assert_int_equal(ledger_store_stats(f->a.st, &sa, NULL), 0);
        assert_int_equal(ledger_store_stats(f->b.st, &sb, NULL), 0);
        assert_int_equal(sa.evid_rows, sb.evid_rows);
        assert_int_equal(sa.ident_rows, sb.ident_rows);
        assert_int_equal(sa.loc_rows, sb.loc_rows);
        assert_int_equal(sa.time_rows, sb.time_rows);
    }
    /* the same again: all duplicates */
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, 20, &rep, &err), 0);
    assert_int_equal(rep.accepted, 0);
    assert_int_equal(rep.duplicates, 20);
    /* an overlapping run: duplicates skipped, the new ones stored */
    append_n(f->a.st, f->a.id, 100, 5, 0, NULL);
    run_free(&r);
    r = range(f->a.st, pub(&f->a), 18, 0, 0);
    assert_int_equal(r.n, 8);
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.duplicates, 3);
    assert_int_equal(rep.accepted, 5);
    assert_int_equal(rep.head_seq, 25);
    assert_heads_equal(f->a.st, f->b.st, pub(&f->a));
    assert_verifies(f->b.st);
    /* the hash of a seq, as heads are compared */
    {
        uint8_t ha[32], hb[32];
        assert_int_equal(ledger_replica_hash(f->a.st, pub(&f->a), 13, ha, NULL), 0);
        assert_int_equal(ledger_replica_hash(f->b.st, pub(&f->a), 13, hb, NULL), 0);
        assert_memory_equal(ha, hb, 32);
        assert_int_equal(ledger_replica_hash(f->b.st, pub(&f->a), 26, hb, NULL), LEDGER_ENOTFOUND);
    }
    run_free(&r);
}

static void test_relay(void **state)
{
    fixture_t *f = *state;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    run_t r;

    append_n(f->a.st, f->a.id, 1, 30, 0, NULL);
    append_n(f->b.st, f->b.id, 500, 4, 0, NULL);
    r = range(f->a.st, pub(&f->a), 1, 0, 0);
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    run_free(&r);
    /* C hears A's feed only from B */
    r = range(f->b.st, pub(&f->a), 1, 0, 0);
    assert_int_equal(ingest(f->c.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.accepted, 30);
    run_free(&r);
    r = range(f->b.st, pub(&f->b), 1, 0, 0);
    assert_int_equal(ingest(f->c.st, pub(&f->b), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.accepted, 4);
    assert_heads_equal(f->a.st, f->c.st, pub(&f->a));
    assert_heads_equal(f->b.st, f->c.st, pub(&f->b));
    assert_verifies(f->c.st); /* every signature of A and B, checked by C */
    /* A relayed entry forged on the way (B changes a signature) fails */
    run_free(&r);
    append_n(f->a.st, f->a.id, 40, 1, 0, NULL);
    r = range(f->a.st, pub(&f->a), 31, 0, 0);
    r.e[0][r.len[0] - 1 - 5] ^= 1; /* inside the payload */
    assert_int_equal(ingest(f->c.st, pub(&f->a), &r, 0, 1, &rep, &err), LEDGER_EVERIFY);
    assert_int_equal(head_seq(f->c.st, pub(&f->a), NULL), 30);
    run_free(&r);
}

static void test_private(void **state)
{
    fixture_t *f = *state;
    char ids[7][520];
    ledger_ingest_report_t rep;
    ledger_err_t err;
    run_t r;
    int n, sealed;

    append_n(f->a.st, f->a.id, 1, 3, 0, ids);
    append_n(f->a.st, f->a.id, 4, 2, LEDGER_APPEND_PRIVATE, ids + 3);
    append_n(f->a.st, f->a.id, 6, 2, 0, ids + 5);
    assert_verifies(f->a.st); /* the private rows name own entries */
    assert_int_equal(ledger_replica_is_private(f->a.st, pub(&f->a), 3, NULL), 0);
    assert_int_equal(ledger_replica_is_private(f->a.st, pub(&f->a), 4, NULL), 1);
    assert_int_equal(ledger_replica_is_private(f->a.st, pub(&f->a), 5, NULL), 1);
    assert_int_equal(ledger_replica_is_private(f->a.st, pub(&f->a), 6, NULL), 0);
    /* at home the payload stays readable */
    assert_int_equal(ledger_store_get(f->a.st, pub(&f->a), 4, sealed_cb, &sealed, NULL), 0);
    assert_int_equal(sealed, 0);
    r = range(f->a.st, pub(&f->a), 1, 0, 0);
    assert_int_equal(r.n, 7);
    for (size_t i = 0; i < r.n; i++) {
        ledger_entry_t e;
        assert_int_equal(ledger_entry_decode(r.e[i], r.len[i], &e, NULL), 0);
        assert_int_equal(e.payload == NULL, i == 3 || i == 4);
        assert_int_equal(ledger_entry_check_sig(&e, NULL), 0);
    }
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.accepted, 7);
    assert_heads_equal(f->a.st, f->b.st, pub(&f->a));
    assert_int_equal(ledger_store_get(f->b.st, pub(&f->a), 4, sealed_cb, &sealed, NULL), 0);
    assert_int_equal(sealed, 1);
    assert_int_equal(ledger_store_get(f->b.st, pub(&f->a), 6, sealed_cb, &sealed, NULL), 0);
    assert_int_equal(sealed, 0);
    /* the sealed ones index nothing on B */
    n = 0;
    assert_int_equal(ledger_store_find_event(f->b.st, ids[3], count_cb, &n, NULL),
                     LEDGER_ENOTFOUND);
    assert_int_equal(ledger_store_find_ident(f->b.st, "urn:epc:id:sgtin:5412345.000001.4",
                                             count_ident_cb, &n, NULL),
                     LEDGER_ENOTFOUND);
    assert_int_equal(ledger_store_find_event(f->b.st, ids[5], count_cb, &n, NULL), 0);
    {
        ledger_store_stats_t s;
        assert_int_equal(ledger_store_stats(f->b.st, &s, NULL), 0);
        assert_int_equal(s.entries, 7);
        assert_int_equal(s.evid_rows, 5);
        assert_int_equal(s.time_rows, 5);
    }
    assert_verifies(f->b.st);
    /* B hands them on sealed as it holds them, and C takes them */
    run_free(&r);
    r = range(f->b.st, pub(&f->a), 1, 0, 0);
    assert_int_equal(ingest(f->c.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_verifies(f->c.st);
    /* the entries A received back from B (a restored home) are duplicates */
    assert_int_equal(ingest(f->a.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.duplicates, 7);
    assert_int_equal(ledger_store_get(f->a.st, pub(&f->a), 4, sealed_cb, &sealed, NULL), 0);
    assert_int_equal(sealed, 0);
    run_free(&r);
}

static void test_range_seal_and_limits(void **state)
{
    fixture_t *f = *state;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    run_t r = {0};
    uint64_t next;

    append_n(f->a.st, f->a.id, 1, 10, 0, NULL);
    r = range(f->a.st, pub(&f->a), 1, 0, LEDGER_RANGE_SEAL);
    assert_int_equal(r.n, 10);
    for (size_t i = 0; i < r.n; i++) {
        ledger_entry_t e;
        assert_int_equal(ledger_entry_decode(r.e[i], r.len[i], &e, NULL), 0);
        assert_null(e.payload);
    }
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.accepted, 10);
    {
        ledger_store_stats_t s;
        assert_int_equal(ledger_store_stats(f->b.st, &s, NULL), 0);
        assert_int_equal(s.evid_rows + s.ident_rows + s.loc_rows + s.time_rows, 0);
    }
    assert_verifies(f->b.st);
    run_free(&r);
    /* limits: entries, bytes (at least one entry), to, from past the head */
    assert_int_equal(
        ledger_replica_range(f->a.st, pub(&f->a), 2, 0, 3, 0, 0, collect_cb, &r, &next, &err), 0);
    assert_int_equal(r.n, 3);
    assert_int_equal(next, 5);
    {
        size_t one = r.len[0];
        run_free(&r);
        assert_int_equal(ledger_replica_range(f->a.st, pub(&f->a), 1, 0, 0, 2 * one + one / 2, 0,
                                              collect_cb, &r, &next, &err),
                         0);
        assert_int_equal(r.n, 2);
        assert_int_equal(next, 3);
        run_free(&r);
        assert_int_equal(
            ledger_replica_range(f->a.st, pub(&f->a), 1, 0, 0, 1, 0, collect_cb, &r, &next, &err),
            0);
        assert_int_equal(r.n, 1);
        run_free(&r);
    }
    assert_int_equal(
        ledger_replica_range(f->a.st, pub(&f->a), 4, 6, 0, 0, 0, collect_cb, &r, &next, &err), 0);
    assert_int_equal(r.n, 3);
    assert_int_equal(next, 7);
    run_free(&r);
    assert_int_equal(
        ledger_replica_range(f->a.st, pub(&f->a), 11, 0, 0, 0, 0, collect_cb, &r, &next, &err), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(next, 11);
    assert_int_equal(
        ledger_replica_range(f->a.st, pub(&f->b), 1, 0, 0, 0, 0, collect_cb, &r, &next, &err),
        LEDGER_ENOTFOUND);
}

/* Offsets of the parts of entry bytes p. */
static size_t part_off(const uint8_t *p, size_t len, int part)
{
    ledger_entry_t e;
    assert_int_equal(ledger_entry_decode(p, len, &e, NULL), 0);
    return part == 0   ? (size_t)(e.payload - p)
           : part == 1 ? (size_t)(e.sig - p)
                       : (size_t)(e.hbytes - p);
}

/* A fresh run of A's 10 entries; B holds A's first 5 (so runs start at 6). */
static run_t tamper_setup(fixture_t *f)
{
    ledger_ingest_report_t rep;
    run_t r;
    if (head_seq(f->a.st, pub(&f->a), NULL) == 0) {
        append_n(f->a.st, f->a.id, 1, 15, 0, NULL);
        r = range(f->a.st, pub(&f->a), 1, 5, 0);
        assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, NULL), 0);
        run_free(&r);
    }
    return range(f->a.st, pub(&f->a), 6, 15, 0);
}

/* Ingests r into B (which holds A's seqs 1..5) expecting code rc at
 * bad_index bad with `accepted` entries kept and the message naming
 * `what`; then B's head is 5 + accepted and verify passes. */
static void expect_bad(fixture_t *f, run_t *r, int rc, size_t bad, uint64_t accepted,
                       const char *what)
{
    ledger_ingest_report_t rep;
    ledger_err_t err;
    int got = ingest(f->b.st, pub(&f->a), r, 0, r->n, &rep, &err);
    if (got != rc)
        fail_msg("ingest returned %d (%s), expected %d", got, got ? err.msg : "", rc);
    assert_int_equal(rep.bad_index, bad);
    assert_int_equal(rep.accepted, accepted);
    if (!strstr(err.msg, what))
        fail_msg("message \"%s\" does not name \"%s\"", err.msg, what);
    assert_int_equal(head_seq(f->b.st, pub(&f->a), NULL), 5 + accepted);
    assert_verifies(f->b.st);
    run_free(r);
}

static void test_tamper_payload(void **state)
{
    fixture_t *f = *state;
    run_t r = tamper_setup(f);
    r.e[3][part_off(r.e[3], r.len[3], 0) + 30] ^= 1;
    expect_bad(f, &r, LEDGER_EVERIFY, 3, 3, "seq 9: payload SHA-256");
}

static void test_tamper_sig_newest(void **state)
{
    fixture_t *f = *state;
    run_t r = tamper_setup(f);
    r.e[9][part_off(r.e[9], r.len[9], 1) + 10] ^= 1;
    expect_bad(f, &r, LEDGER_EVERIFY, 9, 9, "seq 15: Ed25519 signature does not verify");
}

static void test_tamper_sig_middle(void **state)
{
    fixture_t *f = *state;
    run_t r = tamper_setup(f);
    /* a changed signature changes the entry's hash: the next link breaks */
    r.e[4][part_off(r.e[4], r.len[4], 1) + 10] ^= 1;
    expect_bad(f, &r, LEDGER_EVERIFY, 4, 4, "seq 10: Ed25519 signature");
}

static void test_tamper_prev(void **state)
{
    fixture_t *f = *state;
    run_t r = tamper_setup(f);
    r.e[6][part_off(r.e[6], r.len[6], 2) + 1 + 1 + 2 + 32 + 1 + 2 + 7] ^= 1;
    expect_bad(f, &r, LEDGER_EVERIFY, 6, 6, "seq 12: chain link broken");
}

static void test_tamper_gap(void **state)
{
    fixture_t *f = *state;
    run_t r = tamper_setup(f);
    free(r.e[5]);
    memmove(r.e + 5, r.e + 6, 4 * sizeof *r.e);
    memmove(r.len + 5, r.len + 6, 4 * sizeof *r.len);
    r.n = 9;
    expect_bad(f, &r, LEDGER_EINPUT, 5, 5, "seq gap");
}

static void test_tamper_foreign(void **state)
{
    fixture_t *f = *state;
    run_t r = tamper_setup(f), other;
    append_n(f->c.st, f->c.id, 1, 8, 0, NULL);
    other = range(f->c.st, pub(&f->c), 8, 8, 0);
    free(r.e[2]);
    r.e[2] = other.e[0];
    r.len[2] = other.len[0];
    other.n = 0;
    run_free(&other);
    expect_bad(f, &r, LEDGER_EINPUT, 2, 2, "belongs to feed");
}

static void test_tamper_truncated(void **state)
{
    fixture_t *f = *state;
    run_t r = tamper_setup(f);
    r.len[7] -= 3;
    expect_bad(f, &r, LEDGER_EINPUT, 7, 7, "does not decode");
}

/* Sets entry j's prev to the hash of entry j-1 (its signature no longer
 * matches). */
static void relink(run_t *r, size_t j)
{
    ledger_entry_t a, b;
    uint8_t h[32];
    assert_int_equal(ledger_entry_decode(r->e[j - 1], r->len[j - 1], &a, NULL), 0);
    ledger_entry_hash(&a, h);
    assert_int_equal(ledger_entry_decode(r->e[j], r->len[j], &b, NULL), 0);
    assert_true(b.h.seq < 24);
    memcpy((uint8_t *)b.hbytes + 1 + 1 + 2 + 32 + 1 + 2, h, 32); /* prev */
    assert_int_equal(ledger_entry_decode(r->e[j], r->len[j], &b, NULL), 0);
    assert_memory_equal(b.h.prev, h, 32);
}

/* The links hold but the newest signatures are bad: the entries before the
 * last good signature are kept. */
static void test_tamper_relinked(void **state)
{
    fixture_t *f = *state;
    run_t r = tamper_setup(f);
    r.e[8][part_off(r.e[8], r.len[8], 1) + 10] ^= 1;
    relink(&r, 9);
    expect_bad(f, &r, LEDGER_EVERIFY, 8, 8, "seq 14: Ed25519 signature");
}

/* ... and when the two newest before the bad one fail too, nothing is
 * authenticated: nothing is kept. */
static void test_tamper_unauthenticated(void **state)
{
    fixture_t *f = *state;
    run_t r = tamper_setup(f);
    r.e[7][part_off(r.e[7], r.len[7], 1) + 10] ^= 1;
    relink(&r, 8);
    relink(&r, 9);
    expect_bad(f, &r, LEDGER_EVERIFY, 8, 0, "seq 14: Ed25519 signature");
}

/* A bad payload decode in a run long enough for the helper thread. */
static void test_long_run_bad_payload(void **state)
{
    fixture_t *f = *state;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    run_t r;
    append_n(f->a.st, f->a.id, 1, 600, 0, NULL);
    r = range(f->a.st, pub(&f->a), 1, 0, 0);
    r.e[400][part_off(r.e[400], r.len[400], 0) + 40] ^= 1;
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), LEDGER_EVERIFY);
    assert_int_equal(rep.bad_index, 400);
    assert_int_equal(rep.accepted, 400);
    assert_non_null(strstr(err.msg, "seq 401"));
    assert_int_equal(head_seq(f->b.st, pub(&f->a), NULL), 400);
    assert_verifies(f->b.st);
    /* a changed signature at seq 451: entry 452's link breaks, 451 is the
     * first problem, and its put (rows and all) is taken back */
    run_free(&r);
    r = range(f->a.st, pub(&f->a), 401, 0, 0);
    r.e[50][part_off(r.e[50], r.len[50], 1) + 3] ^= 1;
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), LEDGER_EVERIFY);
    assert_int_equal(rep.bad_index, 50);
    assert_int_equal(rep.accepted, 50);
    assert_non_null(strstr(err.msg, "seq 451: Ed25519 signature"));
    assert_int_equal(head_seq(f->b.st, pub(&f->a), NULL), 450);
    assert_verifies(f->b.st);
    /* the newest signature bad: all before it are kept */
    run_free(&r);
    r = range(f->a.st, pub(&f->a), 451, 0, 0);
    r.e[r.n - 1][part_off(r.e[r.n - 1], r.len[r.n - 1], 1) + 3] ^= 1;
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), LEDGER_EVERIFY);
    assert_int_equal(rep.bad_index, r.n - 1);
    assert_int_equal(rep.accepted, r.n - 1);
    assert_int_equal(head_seq(f->b.st, pub(&f->a), NULL), 599);
    assert_verifies(f->b.st);
    /* the rest, in one more run */
    run_free(&r);
    r = range(f->a.st, pub(&f->a), 401, 0, 0);
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.accepted, 1);
    assert_int_equal(rep.duplicates, 199);
    assert_heads_equal(f->a.st, f->b.st, pub(&f->a));
    assert_verifies(f->b.st);
    run_free(&r);
}

static int count_at_cb(const ledger_stored_t *s, void *ctx)
{
    ((int *)ctx)[0]++;
    ((int *)ctx)[1] += s->e.payload != NULL;
    return 0;
}

/* A2 signs with A's key: A2 restores A's first 3 entries (an own-feed
 * ingest), then A and A2 each append different entries. */
static void test_fork(void **state)
{
    fixture_t *f = *state;
    ledger_identity_t *key2 = NULL;
    ledger_store_t *a2;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    char dir[400];
    uint8_t seed[32];
    uint32_t flags = 0;
    run_t r;
    int at[2] = {0, 0};

    /* A with a known seed, so that A2 can hold the same key */
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i * 7 + 3);
    ledger_store_close(f->a.st);
    ledger_identity_free(f->a.id);
    assert_int_equal(ledger_identity_from_seed(seed, &f->a.id, NULL), 0);
    assert_int_equal(ledger_identity_from_seed(seed, &key2, NULL), 0);
    snprintf(f->a.dir, sizeof f->a.dir, "%s/a-seeded", f->dir);
    assert_int_equal(ledger_store_open(f->a.dir, LEDGER_STORE_CREATE, pub(&f->a), &f->a.st, &err),
                     0);
    snprintf(dir, sizeof dir, "%s/a2", f->dir);
    assert_int_equal(
        ledger_store_open(dir, LEDGER_STORE_CREATE, ledger_identity_public(key2), &a2, &err), 0);
    append_n(f->a.st, f->a.id, 1, 3, 0, NULL);
    r = range(f->a.st, pub(&f->a), 1, 0, 0);
    assert_int_equal(ingest(a2, pub(&f->a), &r, 0, r.n, &rep, &err), 0); /* restored home */
    assert_int_equal(rep.accepted, 3);
    run_free(&r);
    append_n(f->a.st, f->a.id, 10, 3, 0, NULL); /* A: seqs 4..6 */
    append_n(a2, key2, 20, 2, 0, NULL);         /* A2: seqs 4..5, other events */
    assert_verifies(a2);

    /* C gets A's chain, then A2's: a fork at seq 4 */
    r = range(f->a.st, pub(&f->a), 1, 0, 0);
    assert_int_equal(ingest(f->c.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    run_free(&r);
    r = range(a2, pub(&f->a), 3, 0, 0);
    assert_int_equal(ingest(f->c.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.forked, 1);
    assert_int_equal(rep.fork_seq, 4);
    assert_int_equal(rep.duplicates, 1);
    assert_int_equal(rep.accepted, 0);
    assert_int_equal(head_seq(f->c.st, pub(&f->a), &flags), 6);
    assert_true(flags & LEDGER_FEED_FORKED);
    assert_int_equal(ledger_replica_at(f->c.st, pub(&f->a), 4, count_at_cb, at, &err), 0);
    assert_int_equal(at[0], 2);
    assert_verifies(f->c.st);
    /* the same evidence again: a duplicate; new entries: refused */
    assert_int_equal(ingest(f->c.st, pub(&f->a), &r, 1, 1, &rep, &err), 0);
    assert_int_equal(rep.duplicates, 1);
    run_free(&r);
    append_n(f->a.st, f->a.id, 30, 1, 0, NULL);
    r = range(f->a.st, pub(&f->a), 7, 0, 0);
    assert_int_equal(ingest(f->c.st, pub(&f->a), &r, 0, r.n, &rep, &err), LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, "is forked"));
    assert_int_equal(rep.bad_index, 0);
    assert_int_equal(head_seq(f->c.st, pub(&f->a), NULL), 6);
    run_free(&r);
    /* the evidence is not handed on as part of the chain */
    r = range(f->c.st, pub(&f->a), 4, 4, 0);
    assert_int_equal(r.n, 1);
    {
        uint8_t h1[32], h2[32];
        ledger_entry_t e;
        assert_int_equal(ledger_entry_decode(r.e[0], r.len[0], &e, NULL), 0);
        ledger_entry_hash(&e, h1);
        assert_int_equal(ledger_replica_hash(f->a.st, pub(&f->a), 4, h2, NULL), 0);
        assert_memory_equal(h1, h2, 32);
    }
    run_free(&r);
    assert_verifies(f->c.st);

    /* B gets A2's chain first, then A's continuation: no link to B's head;
     * B then asks for A's entry at its head's seq and gets the evidence */
    r = range(a2, pub(&f->a), 1, 0, 0);
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.accepted, 5);
    run_free(&r);
    r = range(f->a.st, pub(&f->a), 6, 0, 0);
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), LEDGER_EVERIFY);
    assert_int_equal(rep.link_mismatch, 1);
    assert_int_equal(rep.bad_index, 0);
    assert_int_equal(rep.accepted, 0);
    assert_int_equal(rep.forked, 0);
    run_free(&r);
    r = range(f->a.st, pub(&f->a), 5, 5, 0);
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.forked, 1);
    assert_int_equal(rep.fork_seq, 5);
    run_free(&r);
    assert_verifies(f->b.st);

    ledger_store_close(a2);
    ledger_identity_free(key2);
    /* an empty run changes nothing */
    {
        run_t none = {0};
        assert_int_equal(ingest(f->c.st, pub(&f->a), &none, 0, 0, &rep, &err), 0);
        assert_int_equal(rep.head_seq, 6);
    }
    /* a fake "fork": a differing entry with a bad signature is refused */
    {
        ledger_store_t *d;
        run_t r4 = range(f->a.st, pub(&f->a), 1, 3, 0);
        snprintf(dir, sizeof dir, "%s/d", f->dir);
        assert_int_equal(ledger_store_open(dir, LEDGER_STORE_CREATE, pub(&f->b), &d, &err), 0);
        assert_int_equal(ingest(d, pub(&f->a), &r4, 0, r4.n, &rep, &err), 0);
        r4.e[1][part_off(r4.e[1], r4.len[1], 2) + 40] ^= 1; /* seq 2's header changes */
        assert_int_equal(ingest(d, pub(&f->a), &r4, 1, 1, &rep, &err), LEDGER_EVERIFY);
        assert_non_null(strstr(err.msg, "not valid"));
        assert_int_equal(rep.forked, 0);
        assert_int_equal(head_seq(d, pub(&f->a), &flags), 3);
        assert_int_equal(flags, 0);
        assert_verifies(d);
        ledger_store_close(d);
        run_free(&r4);
    }
}

/* Several runs (two feeds, consecutive runs of one) in one transaction. */
static void test_many_runs_one_txn(void **state)
{
    fixture_t *f = *state;
    ledger_ingest_t *in;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    run_t ra, rb;

    append_n(f->a.st, f->a.id, 1, 12, 0, NULL);
    append_n(f->b.st, f->b.id, 100, 7, 0, NULL);
    ra = range(f->a.st, pub(&f->a), 1, 0, 0);
    rb = range(f->b.st, pub(&f->b), 1, 0, 0);
    assert_int_equal(ledger_ingest_begin(f->c.st, &in, &err), 0);
    assert_int_equal(
        ledger_ingest_add(in, pub(&f->a), (const uint8_t *const *)ra.e, ra.len, 5, &rep, &err), 0);
    assert_int_equal(rep.head_seq, 5);
    assert_int_equal(
        ledger_ingest_add(in, pub(&f->b), (const uint8_t *const *)rb.e, rb.len, 7, &rep, &err), 0);
    assert_int_equal(ledger_ingest_add(in, pub(&f->a), (const uint8_t *const *)ra.e + 5, ra.len + 5,
                                       7, &rep, &err),
                     0);
    assert_int_equal(rep.accepted, 7);
    assert_int_equal(rep.head_seq, 12);
    /* a bad run in between leaves the transaction usable */
    assert_int_equal(
        ledger_ingest_add(in, pub(&f->a), (const uint8_t *const *)rb.e, rb.len, 2, &rep, &err),
        LEDGER_EINPUT);
    /* nothing visible before commit */
    assert_int_equal(head_seq(f->c.st, pub(&f->a), NULL), 0);
    assert_int_equal(ledger_ingest_commit(in, &err), 0);
    assert_heads_equal(f->a.st, f->c.st, pub(&f->a));
    assert_heads_equal(f->b.st, f->c.st, pub(&f->b));
    assert_verifies(f->c.st);
    /* abort drops everything */
    append_n(f->a.st, f->a.id, 50, 2, 0, NULL);
    run_free(&ra);
    ra = range(f->a.st, pub(&f->a), 13, 0, 0);
    assert_int_equal(ledger_ingest_begin(f->c.st, &in, &err), 0);
    assert_int_equal(
        ledger_ingest_add(in, pub(&f->a), (const uint8_t *const *)ra.e, ra.len, 2, &rep, &err), 0);
    ledger_ingest_abort(in);
    assert_int_equal(head_seq(f->c.st, pub(&f->a), NULL), 12);
    run_free(&ra);
    run_free(&rb);
}

/* 100,000 entries, ranged out in runs of at most 3,000 entries or 1 MiB,
 * ingested in one transaction. */
static void test_big_batch(void **state)
{
    fixture_t *f = *state;
    const int total = 100000;
    ledger_ingest_t *in;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    uint64_t from = 1, accepted = 0;

    for (int done = 0; done < total; done += 10000)
        append_n(f->a.st, f->a.id, done, 10000, 0, NULL);
    assert_int_equal(ledger_ingest_begin(f->b.st, &in, &err), 0);
    while (from <= (uint64_t)total) {
        run_t r = {0};
        uint64_t next;
        assert_int_equal(ledger_replica_range(f->a.st, pub(&f->a), from, 0, 3000, 1 << 20, 0,
                                              collect_cb, &r, &next, &err),
                         0);
        assert_true(r.n > 0 && r.n <= 3000);
        if (ledger_ingest_add(in, pub(&f->a), (const uint8_t *const *)r.e, r.len, r.n, &rep, &err))
            fail_msg("ingest: %s", err.msg);
        accepted += rep.accepted;
        from = next;
        run_free(&r);
    }
    assert_int_equal(ledger_ingest_commit(in, &err), 0);
    assert_int_equal(accepted, total);
    assert_heads_equal(f->a.st, f->b.st, pub(&f->a));
    assert_verifies(f->b.st);
}

/* A store made before the "private" database: read-only it opens (no
 * private entries), read-write it gets the database. */
static void test_old_store(void **state)
{
    fixture_t *f = *state;
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    ledger_store_t *ro;
    ledger_err_t err;

    append_n(f->a.st, f->a.id, 1, 3, 0, NULL);
    ledger_store_close(f->a.st);
    f->a.st = NULL;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_set_mapsize(env, (size_t)1 << 38), 0);
    assert_int_equal(mdb_env_open(env, f->a.dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "private", 0, &dbi), 0);
    assert_int_equal(mdb_drop(txn, dbi, 1), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(ledger_store_open(f->a.dir, LEDGER_STORE_RDONLY, NULL, &ro, &err), 0);
    assert_int_equal(ledger_replica_is_private(ro, pub(&f->a), 2, &err), 0);
    assert_verifies(ro);
    {
        run_t r = range(ro, pub(&f->a), 1, 0, 0);
        assert_int_equal(r.n, 3);
        run_free(&r);
    }
    ledger_store_close(ro);
    assert_int_equal(ledger_store_open(f->a.dir, 0, NULL, &f->a.st, &err), 0);
    append_n(f->a.st, f->a.id, 10, 1, LEDGER_APPEND_PRIVATE, NULL);
    assert_int_equal(ledger_replica_is_private(f->a.st, pub(&f->a), 4, &err), 1);
    assert_verifies(f->a.st);
}

/* Every event of every GS1 example, appended in A (indexed from JSON) and
 * ingested in B (indexed from CBOR): B's verify recomputes each entry's
 * rows from JSON and finds exactly those. */
static void test_examples(void **state)
{
    fixture_t *f = *state;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    ledger_store_stats_t sa, sb;
    size_t total = 0;
    run_t r;

    for (size_t i = 0; i < N_EXAMPLES; i++) {
        ledger_epcis_doc_t *doc = parse_example(examples[i].path);
        size_t n = ledger_epcis_doc_count(doc);
        json_t **evs = calloc(n, sizeof *evs);
        for (size_t j = 0; j < n; j++)
            evs[j] = ledger_epcis_doc_event(doc, j);
        if (ledger_store_append_events(f->a.st, f->a.id, evs, n, LEDGER_APPEND_SKIP_DUPLICATES,
                                       NULL, &err))
            fail_msg("%s: %s", examples[i].path, err.msg);
        total += n;
        free(evs);
        ledger_epcis_doc_free(doc);
    }
    r = range(f->a.st, pub(&f->a), 1, 0, 0);
    assert_true(r.n > 30 && r.n <= total);
    assert_int_equal(ingest(f->b.st, pub(&f->a), &r, 0, r.n, &rep, &err), 0);
    assert_int_equal(rep.accepted, r.n);
    assert_verifies(f->b.st);
    assert_int_equal(ledger_store_stats(f->a.st, &sa, NULL), 0);
    assert_int_equal(ledger_store_stats(f->b.st, &sb, NULL), 0);
    assert_int_equal(sa.evid_rows, sb.evid_rows);
    assert_int_equal(sa.ident_rows, sb.ident_rows);
    assert_int_equal(sa.loc_rows, sb.loc_rows);
    assert_int_equal(sa.time_rows, sb.time_rows);
    run_free(&r);
}

/* A run whose entry 3 carries a payload its signer signed but that is no
 * event payload: refused there (the three before it are kept). */
static void test_signed_garbage(void **state)
{
    fixture_t *f = *state;
    static const uint8_t junk[][8] = {
        {0x83, 0x01, 0x61, 0x61, 0xa0}, /* [1, "a", {}]: hash not ni:/// */
        {0x82, 0x01, 0x02},             /* not three items */
        {0xff, 0xff},                   /* not CBOR */
    };
    static const size_t junk_len[] = {5, 3, 2};
    ledger_ingest_report_t rep;
    ledger_err_t err;

    append_n(f->a.st, f->a.id, 1, 3, 0, NULL);
    for (size_t t = 0; t < sizeof junk_len / sizeof junk_len[0]; t++) {
        run_t r = range(f->a.st, pub(&f->a), 1, 0, 0);
        ledger_entry_t prev;
        ledger_header_t h;
        ledger_buf_t hb = LEDGER_BUF_INIT, eb = LEDGER_BUF_INIT;
        uint8_t sig[64];
        char dir[400];
        ledger_store_t *d;

        assert_int_equal(ledger_entry_decode(r.e[2], r.len[2], &prev, NULL), 0);
        memset(&h, 0, sizeof h);
        h.version = 1;
        memcpy(h.feed, pub(&f->a), 32);
        h.seq = 4;
        ledger_entry_hash(&prev, h.prev);
        h.record_time_ms = 1764547200000ULL;
        h.ptype = LEDGER_PT_EVENT;
        h.plen = junk_len[t];
        crypto_hash_sha256(h.phash, junk[t], junk_len[t]);
        assert_int_equal(ledger_header_encode(&h, &hb), 0);
        ledger_identity_sign(f->a.id, hb.data, hb.len, sig);
        assert_int_equal(ledger_entry_encode(hb.data, hb.len, sig, junk[t], junk_len[t], &eb), 0);
        run_push(&r, eb.data, eb.len);
        snprintf(dir, sizeof dir, "%s/g%zu", f->dir, t);
        assert_int_equal(ledger_store_open(dir, LEDGER_STORE_CREATE, pub(&f->b), &d, &err), 0);
        assert_int_equal(ingest(d, pub(&f->a), &r, 0, r.n, &rep, &err), LEDGER_EINPUT);
        assert_int_equal(rep.bad_index, 3);
        assert_int_equal(rep.accepted, 3);
        assert_non_null(strstr(err.msg, "seq 4: payload does not decode"));
        assert_int_equal(head_seq(d, pub(&f->a), NULL), 3);
        assert_verifies(d);
        ledger_store_close(d);
        ledger_buf_free(&hb);
        ledger_buf_free(&eb);
        run_free(&r);
    }
}

/* Statements (payload type 4, ledger_stmt.h) replicate like events; one
 * whose payload does not check against its feed (an endorsement of the
 * feed by itself, signed by that feed) is refused at ingest, naming it,
 * and nothing of it is stored. */
static void test_statements(void **state)
{
    fixture_t *f = *state;
    ledger_stmt_t s;
    ledger_buf_t pb = LEDGER_BUF_INIT, hb = LEDGER_BUF_INIT, eb = LEDGER_BUF_INIT;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    ledger_stmts_t all;
    ledger_store_t *d;
    ledger_entry_t prev;
    ledger_header_t h;
    uint8_t sig[64];
    uint64_t seq = 0;
    char dir[400];

    append_n(f->a.st, f->a.id, 1, 3, 0, NULL);
    memset(&s, 0, sizeof s);
    s.kind = LEDGER_STMT_IDENTITY;
    memcpy(s.subject, pub(&f->a), 32);
    strcpy(s.name, "Boerderij");
    strcpy(s.gln, "5412345000006");
    assert_int_equal(ledger_stmt_encode(&s, &pb, &err), 0);
    assert_int_equal(ledger_store_append_payload(f->a.st, f->a.id, LEDGER_PT_STATEMENT, pb.data,
                                                 pb.len, &seq, &err),
                     0);
    assert_int_equal(seq, 4);
    assert_int_equal(ledger_store_append_payload(f->a.st, f->a.id, LEDGER_PT_EVENT, pb.data,
                                                 pb.len, &seq, &err),
                     LEDGER_EINVAL);
    assert_verifies(f->a.st);

    run_t r = range(f->a.st, pub(&f->a), 1, 0, 0);
    assert_int_equal(r.n, 4);
    /* seq 5: an endorsement of A by A, signed by A */
    ledger_buf_reset(&pb);
    s.kind = LEDGER_STMT_ENDORSEMENT;
    assert_int_equal(ledger_stmt_encode(&s, &pb, &err), 0);
    assert_int_equal(ledger_entry_decode(r.e[3], r.len[3], &prev, NULL), 0);
    memset(&h, 0, sizeof h);
    h.version = 1;
    memcpy(h.feed, pub(&f->a), 32);
    h.seq = 5;
    ledger_entry_hash(&prev, h.prev);
    h.record_time_ms = 1764547200000ULL;
    h.ptype = LEDGER_PT_STATEMENT;
    h.plen = pb.len;
    crypto_hash_sha256(h.phash, pb.data, pb.len);
    assert_int_equal(ledger_header_encode(&h, &hb), 0);
    ledger_identity_sign(f->a.id, hb.data, hb.len, sig);
    assert_int_equal(ledger_entry_encode(hb.data, hb.len, sig, pb.data, pb.len, &eb), 0);
    run_push(&r, eb.data, eb.len);

    snprintf(dir, sizeof dir, "%s/stmt", f->dir);
    assert_int_equal(ledger_store_open(dir, LEDGER_STORE_CREATE, pub(&f->b), &d, &err), 0);
    assert_int_equal(ingest(d, pub(&f->a), &r, 0, r.n, &rep, &err), LEDGER_EINPUT);
    assert_int_equal(rep.bad_index, 4);
    assert_int_equal(rep.accepted, 4);
    if (!strstr(err.msg, "seq 5") || !strstr(err.msg, "by itself"))
        fail_msg("message: %s", err.msg);
    assert_int_equal(head_seq(d, pub(&f->a), NULL), 4);
    assert_verifies(d);
    assert_int_equal(ledger_stmts_load(d, &all, &err), 0);
    assert_int_equal(all.n, 1);
    assert_int_equal(all.bad, 0);
    assert_string_equal(all.v[0].s.name, "Boerderij");
    assert_non_null(ledger_stmts_identity(&all, pub(&f->a)));
    ledger_stmts_free(&all);
    ledger_store_close(d);
    ledger_buf_free(&pb);
    ledger_buf_free(&hb);
    ledger_buf_free(&eb);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_range_seal_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_sig_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_sig_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_prev, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_foreign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_relinked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_unauthenticated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_run_bad_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_runs_one_txn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_examples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statements, setup, teardown),
    };
    return cmocka_run_group_tests_name("replica", tests, NULL, NULL);
}
