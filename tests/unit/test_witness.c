/* test_witness.c -- the cosignatures a store keeps (ledger_witness.h):
 * stores a (a feed's owner), b and c (its witnesses) in one temporary
 * directory.  b cosigns a's checkpoint once, not twice for the same one;
 * c's cosignature is dropped by b while b does not hold c's feed and
 * merged once it does; the cosigned note carries both lines and opens as
 * a's checkpoint; a forged line, a line replayed onto a newer checkpoint
 * and a checkpoint of entries not held are dropped or let be with nothing
 * stored; a newer checkpoint replaces b's row (one per feed per witness);
 * a cosignature of a's checkpoint by a's own key is dropped;
 * the rows survive verify.  The node's use of it: tests/e2e/witness.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ledger_cosig.h"
#include "ledger_note.h"
#include "ledger_replica.h"
#include "ledger_store.h"
#include "ledger_witness.h"
#include "store_testlib.h"

typedef struct fixture {
    char dir[256];
    tl_node_t a, b, c;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (tl_tmpdir(f->dir, sizeof f->dir, "keten-witness"))
        return -1;
    tl_node_open(&f->a, f->dir, "a");
    tl_node_open(&f->b, f->dir, "b");
    tl_node_open(&f->c, f->dir, "c");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    tl_node_close(&f->a);
    tl_node_close(&f->b);
    tl_node_close(&f->c);
    if (tl_rmtree(f->dir))
        return -1;
    free(f);
    return 0;
}

static const uint8_t *pub(const tl_node_t *n)
{
    return ledger_identity_public(n->id);
}

static void vrec(tl_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tl_vrec(n, 0, fmt, ap);
    va_end(ap);
}

static void rec(tl_node_t *n, int serial)
{
    vrec(n,
           "{\"type\":\"ObjectEvent\",\"action\":\"ADD\",\"bizStep\":\"commissioning\","
           "\"epcList\":[\"urn:epc:id:sgtin:5412345.000001.%d\"],"
           "\"eventTime\":\"2025-11-30T08:00:00.000Z\",\"eventTimeZoneOffset\":\"+00:00\"}",
           serial);
}

typedef struct run {
    uint8_t *e[64];
    size_t len[64], n;
} run_t;

static int collect(const uint8_t *bytes, size_t len, uint64_t seq, void *ctx)
{
    run_t *r = ctx;
    (void)seq;
    r->e[r->n] = malloc(len);
    memcpy(r->e[r->n], bytes, len);
    r->len[r->n++] = len;
    return 0;
}

/* Copies feed's entries from..head of src into dst. */
static void copy_feed(tl_node_t *src, tl_node_t *dst, const uint8_t *feed, uint64_t from)
{
    run_t r = {0};
    uint64_t next;
    ledger_err_t err;
    ledger_ingest_t *in;
    ledger_ingest_report_t rep;
    if (ledger_replica_range(src->st, feed, from, 0, 0, 0, 0, collect, &r, &next, &err))
        fail_msg("range: %s", err.msg);
    assert_int_equal(ledger_ingest_begin(dst->st, &in, &err), 0);
    if (ledger_ingest_add(in, feed, (const uint8_t *const *)r.e, r.len, r.n, &rep, &err))
        fail_msg("ingest: %s", err.msg);
    assert_int_equal(ledger_ingest_commit(in, &err), 0);
    for (size_t i = 0; i < r.n; i++)
        free(r.e[i]);
}

/* Takes note into n as a checkpoint of feed from a partner, cosigning
 * with n's key when cosign; the report. */
static ledger_witness_report_t take(tl_node_t *n, const uint8_t *feed, const ledger_buf_t *note,
                                    int cosign, uint64_t now)
{
    ledger_ingest_t *in;
    ledger_err_t err;
    ledger_witness_report_t rep;
    int kept;
    assert_int_equal(ledger_ingest_begin(n->st, &in, &err), 0);
    if (ledger_ingest_checkpoint(in, feed, (const char *)note->data, note->len, &kept, &err))
        fail_msg("checkpoint: %s", err.msg);
    assert_int_not_equal(kept, LEDGER_CKPT_FORK);
    if (ledger_ingest_cosigs(in, feed, (const char *)note->data, note->len, cosign ? n->id : NULL,
                             now, &rep, &err))
        fail_msg("cosigs: %s", err.msg);
    assert_int_equal(ledger_ingest_commit(in, &err), 0);
    return rep;
}

static size_t cosigned(tl_node_t *n, const uint8_t *feed, ledger_buf_t *note)
{
    size_t k;
    ledger_err_t err;
    ledger_buf_reset(note);
    if (ledger_store_cosigned(n->st, feed, note, &k, &err))
        fail_msg("cosigned: %s", err.msg);
    return k;
}

typedef struct rows {
    int n;
    ledger_cosig_row_t r[8];
} rows_t;

static int row_cb(const ledger_cosig_row_t *row, void *ctx)
{
    rows_t *r = ctx;
    r->r[r->n++] = *row;
    return 0;
}

static rows_t rows_of(tl_node_t *n, const uint8_t *feed)
{
    rows_t r = {0};
    ledger_err_t err;
    assert_int_equal(ledger_store_cosigs(n->st, feed, row_cb, &r, &err), 0);
    return r;
}

/* note with its last signature line's base64 character at i changed */
static void spoil_last_line(ledger_buf_t *note, size_t from_end)
{
    char *p = (char *)note->data + note->len - 1 - from_end;
    *p = *p == 'A' ? 'B' : 'A';
}

static void assert_verifies(tl_node_t *n)
{
    ledger_err_t err;
    if (ledger_store_verify(n->st, NULL, NULL, &err))
        fail_msg("verify: %s", err.msg);
}

static void id_sign(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64])
{
    ledger_identity_sign(ctx, m, n, sig);
}

static void test_witness(void **state)
{
    fixture_t *f = *state;
    const uint8_t *A = pub(&f->a), *B = pub(&f->b), *C = pub(&f->c);
    ledger_buf_t note = LEDGER_BUF_INIT, cnote = LEDGER_BUF_INIT, old = LEDGER_BUF_INIT;
    ledger_err_t err;
    ledger_witness_report_t rep;
    const uint64_t now = 1800000000;
    size_t tl;
    for (int i = 1; i <= 3; i++)
        rec(&f->a, i);
    copy_feed(&f->a, &f->b, A, 1);
    copy_feed(&f->a, &f->c, A, 1);
    assert_int_equal(ledger_store_checkpoint(f->a.st, A, &note, &err), 0);

    /* b cosigns a's checkpoint of 3, once */
    rep = take(&f->b, A, &note, 1, now);
    assert_int_equal(rep.cosigned, 1);
    assert_int_equal(rep.dropped, 0);
    rep = take(&f->b, A, &note, 1, now + 5);
    assert_int_equal(rep.cosigned, 0);
    rows_t r = rows_of(&f->b, A);
    assert_int_equal(r.n, 1);
    assert_memory_equal(r.r[0].witness, B, 32);
    assert_int_equal(r.r[0].size, 3);
    assert_int_equal(r.r[0].time, now);
    /* a's own checkpoint is never cosigned by a */
    rep = take(&f->a, A, &note, 1, now);
    assert_int_equal(rep.cosigned, 0);

    /* c cosigns it too; b does not know c's feed yet: dropped */
    assert_int_equal(take(&f->c, A, &note, 1, now).cosigned, 1);
    assert_int_equal(cosigned(&f->c, A, &cnote), 1);
    rep = take(&f->b, A, &cnote, 1, now);
    assert_int_equal(rep.merged, 0);
    assert_int_equal(rep.dropped, 1);
    assert_non_null(strstr(rep.dropped_msg, "unknown witness"));
    assert_int_equal(rows_of(&f->b, A).n, 1);
    /* ... and merged once b holds c's feed */
    rec(&f->c, 100);
    copy_feed(&f->c, &f->b, C, 1);
    rep = take(&f->b, A, &cnote, 1, now);
    assert_int_equal(rep.merged, 1);
    assert_int_equal(rep.dropped, 0);
    assert_int_equal(cosigned(&f->b, A, &old), 2);
    /* the cosigned note is a's checkpoint, and each line checks */
    assert_int_equal(ledger_checkpoint_size_of(A, (const char *)old.data, old.len), 3);
    assert_int_equal(ledger_note_sigs((const char *)old.data, old.len, &tl, NULL, NULL, &err), 0);

    /* a forged line of c: dropped, nothing stored */
    ledger_buf_t bad = LEDGER_BUF_INIT;
    ledger_buf_append(&bad, cnote.data, cnote.len);
    spoil_last_line(&bad, 10);
    rep = take(&f->b, A, &bad, 1, now + 60);
    assert_int_equal(rep.merged, 0);
    assert_int_equal(rep.dropped, 1);
    assert_non_null(strstr(rep.dropped_msg, "does not check"));
    r = rows_of(&f->b, A);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.r[0].time + r.r[1].time, 2 * now);

    /* a newer checkpoint (4): b cosigns it, its row replaced; c's line of 3
     * replayed onto it is dropped */
    rec(&f->a, 4);
    copy_feed(&f->a, &f->b, A, 4);
    ledger_buf_reset(&note);
    assert_int_equal(ledger_store_checkpoint(f->a.st, A, &note, &err), 0);
    ledger_buf_t replay = LEDGER_BUF_INIT;
    ledger_buf_append(&replay, note.data, note.len);
    {
        /* the last signature line of c's note (the buffer has no NUL) */
        const char *p = (const char *)cnote.data, *last = NULL;
        for (size_t i = 0; i + 10 <= cnote.len; i++)
            if (memcmp(p + i, "\xe2\x80\x94 keten/", 10) == 0)
                last = p + i;
        assert_non_null(last);
        ledger_buf_append(&replay, last, (size_t)((const char *)cnote.data + cnote.len - last));
    }
    rep = take(&f->b, A, &replay, 1, now + 100);
    assert_int_equal(rep.cosigned, 1);
    assert_int_equal(rep.merged, 0);
    assert_int_equal(rep.dropped, 1);
    /* the checkpoint of 4 is kept with a's own line only, not the relayed
     * line it came with (else ledger_store_cosigned listed a witness twice) */
    {
        ledger_buf_t kept4 = LEDGER_BUF_INIT;
        assert_int_equal(ledger_store_checkpoint(f->b.st, A, &kept4, &err), 0);
        assert_int_equal(kept4.len, note.len);
        assert_memory_equal(kept4.data, note.data, note.len);
        ledger_buf_free(&kept4);
    }
    r = rows_of(&f->b, A);
    assert_int_equal(r.n, 2);
    for (int i = 0; i < r.n; i++)
        assert_int_equal(r.r[i].size, memcmp(r.r[i].witness, B, 32) == 0 ? 4 : 3);
    /* the cosigned note of 4 carries only b's line: c's is of 3 */
    assert_int_equal(cosigned(&f->b, A, &old), 1);

    /* a checkpoint of entries c does not hold: let be, nothing cosigned */
    rep = take(&f->c, A, &note, 1, now);
    assert_int_equal(rep.cosigned, 0);
    assert_int_equal(rows_of(&f->c, A).n, 1);

    /* a cosignature of a's checkpoint by a's own key: dropped */
    {
        char name[LEDGER_NOTE_ORIGIN_LEN];
        size_t ntl;
        ledger_note_signer_t g = {.name = name, .sign = id_sign, .ctx = f->a.id};
        ledger_buf_t self = LEDGER_BUF_INIT;
        ledger_note_feed_origin(A, name);
        memcpy(g.pk, A, 32);
        ledger_buf_append(&self, note.data, note.len);
        assert_int_equal(ledger_note_sigs((const char *)note.data, note.len, &ntl, NULL, NULL, &err),
                         0);
        assert_int_equal(ledger_cosig_line((const char *)note.data, ntl, now, &g, &self, &err), 0);
        rep = take(&f->b, A, &self, 1, now + 200);
        assert_int_equal(rep.merged, 0);
        assert_int_equal(rep.dropped, 1);
        assert_non_null(strstr(rep.dropped_msg, "its own checkpoints"));
        ledger_buf_free(&self);
    }

    assert_verifies(&f->b);
    assert_verifies(&f->c);
    ledger_buf_free(&note);
    ledger_buf_free(&cnote);
    ledger_buf_free(&old);
    ledger_buf_free(&bad);
    ledger_buf_free(&replay);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_witness, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
