/* test_bundle.c -- provenance bundles (ledger_bundle.h).
 *
 * Two stores with their own keys: a farm records events, a processor
 * ingests the farm's feed (ledger_replica) and records its own, one of them
 * private. A bundle made at the processor over both feeds verifies, with
 * the story naming each step's signer, its seq and event ID (as the append
 * calls reported them), the links between steps sealed, and the private
 * step sealed. Tampered bundles fail with the message of the claim that
 * breaks: a changed payload byte, a changed signature byte, a removed
 * middle entry, two entries swapped, a dropped last step, an entry whose
 * prev link is wrong (re-signed by its feed's key, so only the link is
 * wrong), a partner list with names swapped, a feed's entries moved under
 * another partner's key, every truncation of the file, and a different
 * version. The test vector of docs/bundle.md is rebuilt from the entry
 * vectors of docs/format.md (tests/data/format_vectors.json) and its
 * verification output checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "ledger_buf.h"
#include "ledger_bundle.h"
#include "ledger_cbor.h"
#include "ledger_entry.h"
#include "ledger_identity.h"
#include "ledger_note.h"
#include "ledger_replica.h"
#include "ledger_store.h"
#include "store_testlib.h"

/* ---- fixture ------------------------------------------------------------ */

typedef tl_node_t node_t;

typedef struct fixture {
    char dir[256];
    node_t farm, proc;
    char ids[8][520]; /* eventIDs: farm 1..3 -> 0..2, processor 1..4 -> 3..6 */
    ledger_buf_t bundle;
} fixture_t;

static void node_open(fixture_t *f, node_t *n, const char *name)
{
    tl_node_open(n, f->dir, name);
}

static json_t *object_event(const char *serial, const char *step, int minute)
{
    char epc[80], t[40];
    snprintf(epc, sizeof epc, "urn:epc:id:sgtin:5412345.000001.%s", serial);
    snprintf(t, sizeof t, "2025-11-30T08:%02d:00.000+01:00", minute);
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:s, s:{s:s}}", "type", "ObjectEvent", "action",
                     "OBSERVE", "bizStep", step, "epcList", epc, "eventTime", t,
                     "eventTimeZoneOffset", "+01:00", "bizLocation", "id",
                     "urn:epc:id:sgln:5412345.00000.0");
}

static void append(node_t *n, const char *serial, const char *step, int minute, unsigned flags,
                   char *id_out)
{
    json_t *ev = object_event(serial, step, minute);
    ledger_append_result_t res;
    ledger_err_t err;
    if (ledger_store_append_events(n->st, n->id, &ev, 1, flags, &res, &err))
        fail_msg("append: %s", err.msg);
    memcpy(id_out, res.event_id, 520);
    json_decref(ev);
}

typedef struct run {
    uint8_t *e[64];
    size_t len[64];
    size_t n;
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

/* Copies feed `feed` of `from` from seq `first` on into `to` through
 * ledger_replica, with from's checkpoint of the feed when with_ckpt. */
static void replicate_from(node_t *from, node_t *to, const uint8_t *feed, uint64_t first,
                           int with_ckpt)
{
    run_t r = {0};
    ledger_ingest_t *in;
    ledger_ingest_report_t rep;
    ledger_buf_t note = LEDGER_BUF_INIT;
    ledger_err_t err;
    uint64_t next;
    int kept = 0;
    if (ledger_replica_range(from->st, feed, first, 0, 0, 0, 0, collect, &r, &next, &err))
        fail_msg("range: %s", err.msg);
    if (ledger_ingest_begin(to->st, &in, &err) ||
        ledger_ingest_add(in, feed, (const uint8_t *const *)r.e, r.len, r.n, &rep, &err))
        fail_msg("ingest: %s", err.msg);
    if (with_ckpt) {
        if (ledger_store_checkpoint(from->st, feed, &note, &err) ||
            ledger_ingest_checkpoint(in, feed, (const char *)note.data, note.len, &kept, &err))
            fail_msg("checkpoint: %s", err.msg);
        assert_int_equal(kept, 1);
    }
    if (ledger_ingest_commit(in, &err))
        fail_msg("commit: %s", err.msg);
    for (size_t i = 0; i < r.n; i++)
        free(r.e[i]);
    ledger_buf_free(&note);
}

static void replicate(node_t *from, node_t *to, const uint8_t *feed)
{
    replicate_from(from, to, feed, 1, 0);
}

static const uint8_t *farm_id(fixture_t *f)
{
    return ledger_identity_public(f->farm.id);
}
static const uint8_t *proc_id(fixture_t *f)
{
    return ledger_identity_public(f->proc.id);
}

/* The bundle of the standard chain: farm 1, 3; processor 1, 3, 4 (4 private). */
static void make_bundle(fixture_t *f, unsigned flags, ledger_buf_t *out)
{
    ledger_bundle_partner_t parts[2];
    ledger_bundle_step_t steps[5];
    ledger_bundle_spec_t spec = {0};
    ledger_err_t err;
    memcpy(parts[0].feed, farm_id(f), 32);
    parts[0].name = "Boerderij";
    memcpy(parts[1].feed, proc_id(f), 32);
    parts[1].name = "Verwerker";
    memset(steps, 0, sizeof steps);
    memcpy(steps[0].feed, proc_id(f), 32);
    steps[0].seq = 3;
    memcpy(steps[1].feed, farm_id(f), 32);
    steps[1].seq = 3;
    memcpy(steps[2].feed, farm_id(f), 32);
    steps[2].seq = 1;
    memcpy(steps[3].feed, proc_id(f), 32);
    steps[3].seq = 1;
    memcpy(steps[4].feed, proc_id(f), 32);
    steps[4].seq = 4;
    spec.subject = "urn:epc:id:sgtin:5412345.000001.1001";
    spec.created_ms = 1764576000000ull;
    spec.partners = parts;
    spec.npartners = 2;
    spec.steps = steps;
    spec.nsteps = 5;
    spec.flags = flags;
    if (ledger_bundle_create(f->proc.st, f->proc.id, &spec, out, &err))
        fail_msg("create: %s", err.msg);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (tl_tmpdir(f->dir, sizeof f->dir, "keten-bundle"))
        return -1;
    node_open(f, &f->farm, "farm");
    node_open(f, &f->proc, "proc");
    append(&f->farm, "1001", "commissioning", 1, 0, f->ids[0]);
    append(&f->farm, "2002", "commissioning", 2, 0, f->ids[1]);
    append(&f->farm, "1001", "shipping", 3, 0, f->ids[2]);
    replicate(&f->farm, &f->proc, farm_id(f));
    append(&f->proc, "1001", "receiving", 10, 0, f->ids[3]);
    append(&f->proc, "3003", "receiving", 11, 0, f->ids[4]);
    append(&f->proc, "1001", "packing", 12, 0, f->ids[5]);
    append(&f->proc, "1001", "shipping", 13, LEDGER_APPEND_PRIVATE, f->ids[6]);
    make_bundle(f, 0, &f->bundle);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    tl_node_close(&f->farm);
    tl_node_close(&f->proc);
    ledger_buf_free(&f->bundle);
    if (tl_rmtree(f->dir))
        return -1;
    free(f);
    return 0;
}

/* ---- a bundle taken apart and put together again (for tampering) ------- */

typedef struct tfeed {
    const uint8_t *feed;
    uint64_t form; /* 1 chain, 2 proof (version 1: chain) */
    uint64_t steps[16];
    size_t nsteps;
    const uint8_t *ent[16]; /* chain: the entries; proof: the steps' entries */
    size_t elen[16];
    size_t nent;
    const char *note; /* proof: the checkpoint */
    size_t nlen;
    const uint8_t *h[16][32]; /* proof: each step's hashes */
    size_t nh[16];
} tfeed_t;

typedef struct tb {
    uint64_t version;
    const char *subject;
    uint64_t created;
    const uint8_t *creator;
    const uint8_t *pfeed[4];
    char pname[4][100];
    size_t np;
    tfeed_t f[4];
    size_t nf;
    const uint8_t *sig;
    json_t *keep;
} tb_t;

static void tb_parse(const ledger_buf_t *b, tb_t *t)
{
    ledger_cbor_reader_t r, s;
    const uint8_t *body;
    size_t n, blen, cnt;
    json_t *j;
    memset(t, 0, sizeof *t);
    t->keep = json_array();
    ledger_cbor_reader_init(&r, b->data, b->len);
    assert_int_equal(ledger_cbor_get_array(&r, &n, NULL), 0);
    assert_int_equal(ledger_cbor_get_json(&r, &j, NULL), 0);
    json_decref(j);
    assert_int_equal(ledger_cbor_get_uint(&r, &t->version, NULL), 0);
    assert_int_equal(ledger_cbor_get_bytes(&r, &body, &blen, NULL), 0);
    assert_int_equal(ledger_cbor_get_bytes(&r, &t->sig, &n, NULL), 0);
    ledger_cbor_reader_init(&s, body, blen);
    assert_int_equal(ledger_cbor_get_array(&s, &n, NULL), 0);
    assert_int_equal(ledger_cbor_get_json(&s, &j, NULL), 0);
    json_array_append_new(t->keep, j);
    t->subject = json_string_value(j);
    assert_int_equal(ledger_cbor_get_uint(&s, &t->created, NULL), 0);
    assert_int_equal(ledger_cbor_get_bytes(&s, &t->creator, &n, NULL), 0);
    assert_int_equal(ledger_cbor_get_array(&s, &t->np, NULL), 0);
    for (size_t i = 0; i < t->np; i++) {
        assert_int_equal(ledger_cbor_get_array(&s, &n, NULL), 0);
        assert_int_equal(ledger_cbor_get_bytes(&s, &t->pfeed[i], &n, NULL), 0);
        assert_int_equal(ledger_cbor_get_json(&s, &j, NULL), 0);
        snprintf(t->pname[i], sizeof t->pname[i], "%s", json_string_value(j));
        json_decref(j);
    }
    assert_int_equal(ledger_cbor_get_array(&s, &t->nf, NULL), 0);
    for (size_t i = 0; i < t->nf; i++) {
        tfeed_t *f = &t->f[i];
        assert_int_equal(ledger_cbor_get_array(&s, &n, NULL), 0);
        assert_int_equal(ledger_cbor_get_bytes(&s, &f->feed, &n, NULL), 0);
        f->form = 1;
        if (t->version > 1)
            assert_int_equal(ledger_cbor_get_uint(&s, &f->form, NULL), 0);
        if (f->form == 2) {
            assert_int_equal(ledger_cbor_get_json(&s, &j, NULL), 0);
            json_array_append_new(t->keep, j);
            f->note = json_string_value(j);
            f->nlen = json_string_length(j);
            assert_int_equal(ledger_cbor_get_array(&s, &f->nsteps, NULL), 0);
            f->nent = f->nsteps;
            for (size_t k = 0; k < f->nsteps; k++) {
                ledger_entry_t e;
                assert_int_equal(ledger_cbor_get_array(&s, &n, NULL), 0);
                assert_int_equal(ledger_cbor_get_bytes(&s, &f->ent[k], &f->elen[k], NULL), 0);
                assert_int_equal(ledger_entry_decode(f->ent[k], f->elen[k], &e, NULL), 0);
                f->steps[k] = e.h.seq;
                assert_int_equal(ledger_cbor_get_array(&s, &f->nh[k], NULL), 0);
                for (size_t h = 0; h < f->nh[k]; h++)
                    assert_int_equal(ledger_cbor_get_bytes(&s, &f->h[k][h], &n, NULL), 0);
            }
            continue;
        }
        assert_int_equal(ledger_cbor_get_array(&s, &f->nsteps, NULL), 0);
        for (size_t k = 0; k < f->nsteps; k++)
            assert_int_equal(ledger_cbor_get_uint(&s, &f->steps[k], NULL), 0);
        assert_int_equal(ledger_cbor_get_array(&s, &cnt, NULL), 0);
        f->nent = cnt;
        for (size_t k = 0; k < cnt; k++)
            assert_int_equal(ledger_cbor_get_bytes(&s, &f->ent[k], &f->elen[k], NULL), 0);
    }
    assert_int_equal(s.off, blen);
}

/* Encodes t; signs it with signer, or keeps the old signature when NULL. */
static void tb_encode(const tb_t *t, const ledger_identity_t *signer, ledger_buf_t *out)
{
    ledger_buf_t body = LEDGER_BUF_INIT, msg = LEDGER_BUF_INIT;
    const char *ctx = t->version == 1 ? LEDGER_BUNDLE_SIG_CONTEXT_V1 : LEDGER_BUNDLE_SIG_CONTEXT;
    uint8_t sig[64];
    ledger_cbor_put_array(&body, 5);
    ledger_cbor_put_text(&body, t->subject, strlen(t->subject));
    ledger_cbor_put_uint(&body, t->created);
    ledger_cbor_put_bytes(&body, signer ? ledger_identity_public(signer) : t->creator, 32);
    ledger_cbor_put_array(&body, t->np);
    for (size_t i = 0; i < t->np; i++) {
        ledger_cbor_put_array(&body, 2);
        ledger_cbor_put_bytes(&body, t->pfeed[i], 32);
        ledger_cbor_put_text(&body, t->pname[i], strlen(t->pname[i]));
    }
    ledger_cbor_put_array(&body, t->nf);
    for (size_t i = 0; i < t->nf; i++) {
        const tfeed_t *f = &t->f[i];
        ledger_cbor_put_array(&body, t->version == 1 ? 3 : 4);
        ledger_cbor_put_bytes(&body, f->feed, 32);
        if (t->version > 1)
            ledger_cbor_put_uint(&body, f->form);
        if (f->form == 2) {
            ledger_cbor_put_text(&body, f->note, f->nlen);
            ledger_cbor_put_array(&body, f->nent);
            for (size_t k = 0; k < f->nent; k++) {
                ledger_cbor_put_array(&body, 2);
                ledger_cbor_put_bytes(&body, f->ent[k], f->elen[k]);
                ledger_cbor_put_array(&body, f->nh[k]);
                for (size_t h = 0; h < f->nh[k]; h++)
                    ledger_cbor_put_bytes(&body, f->h[k][h], 32);
            }
            continue;
        }
        ledger_cbor_put_array(&body, f->nsteps);
        for (size_t k = 0; k < f->nsteps; k++)
            ledger_cbor_put_uint(&body, f->steps[k]);
        ledger_cbor_put_array(&body, f->nent);
        for (size_t k = 0; k < f->nent; k++)
            ledger_cbor_put_bytes(&body, f->ent[k], f->elen[k]);
    }
    if (signer) {
        ledger_buf_append(&msg, ctx, strlen(ctx));
        ledger_buf_append(&msg, body.data, body.len);
        ledger_identity_sign(signer, msg.data, msg.len, sig);
    } else {
        memcpy(sig, t->sig, 64);
    }
    ledger_buf_reset(out);
    ledger_cbor_put_array(out, 4);
    ledger_cbor_put_text(out, "keten-bundle", 12);
    ledger_cbor_put_uint(out, t->version);
    ledger_cbor_put_bytes(out, body.data, body.len);
    ledger_cbor_put_bytes(out, sig, 64);
    ledger_buf_free(&body);
    ledger_buf_free(&msg);
}

static tfeed_t *tb_feed(tb_t *t, const uint8_t *feed)
{
    for (size_t i = 0; i < t->nf; i++)
        if (!memcmp(t->f[i].feed, feed, 32))
            return &t->f[i];
    fail_msg("feed not in bundle");
    return NULL;
}

/* Verifying p must fail with LEDGER_EVERIFY and a message holding each of
 * the given texts. */
static void expect_fail(const uint8_t *p, size_t n, const char *want1, const char *want2)
{
    ledger_err_t err;
    json_t *story = NULL;
    int rc = ledger_bundle_verify(p, n, &story, &err);
    if (rc != LEDGER_EVERIFY)
        fail_msg("verify returned %d, expected EVERIFY (%s)", rc, rc ? err.msg : "ok");
    assert_null(story);
    if (want1 && !strstr(err.msg, want1))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, want1);
    if (want2 && !strstr(err.msg, want2))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, want2);
}

/* ---- tests -------------------------------------------------------------- */

static json_t *step_at(json_t *story, size_t i)
{
    return json_array_get(json_object_get(story, "steps"), i);
}

static void test_verifies(void **state)
{
    fixture_t *f = *state;
    ledger_err_t err;
    json_t *story = NULL, *s, *feeds;
    char fhex[65], phex[65];
    ledger_hex(farm_id(f), 32, fhex);
    ledger_hex(proc_id(f), 32, phex);
    if (ledger_bundle_verify(f->bundle.data, f->bundle.len, &story, &err))
        fail_msg("verify: %s", err.msg);
    assert_string_equal(json_string_value(json_object_get(story, "subject")),
                        "urn:epc:id:sgtin:5412345.000001.1001");
    assert_string_equal(json_string_value(json_object_get(story, "created")),
                        "2025-12-01T08:00:00.000Z");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(story, "creator"), "name")), "Verwerker");
    /* steps in event time order: farm 1 (08:01), farm 3 (08:03), proc 1, 3; the
     * private proc 4 is sealed and ordered by its record time (now: last) */
    assert_int_equal(json_array_size(json_object_get(story, "steps")), 5);
    const struct {
        const char *feed, *name;
        int seq, id;
        const char *step;
    } want[] = {{fhex, "Boerderij", 1, 0, "commissioning"},
                {fhex, "Boerderij", 3, 2, "shipping"},
                {phex, "Verwerker", 1, 3, "receiving"},
                {phex, "Verwerker", 3, 5, "packing"}};
    for (size_t i = 0; i < 4; i++) {
        s = step_at(story, i);
        assert_string_equal(json_string_value(json_object_get(s, "feed")), want[i].feed);
        assert_string_equal(json_string_value(json_object_get(s, "name")), want[i].name);
        assert_int_equal(json_integer_value(json_object_get(s, "seq")), want[i].seq);
        assert_false(json_is_true(json_object_get(s, "sealed")));
        assert_string_equal(json_string_value(json_object_get(s, "eventID")), f->ids[want[i].id]);
        assert_string_equal(json_string_value(json_object_get(s, "bizStep")), want[i].step);
        assert_non_null(json_object_get(json_object_get(s, "event"), "epcList"));
    }
    s = step_at(story, 4);
    assert_int_equal(json_integer_value(json_object_get(s, "seq")), 4);
    assert_true(json_is_true(json_object_get(s, "sealed")));
    assert_null(json_object_get(s, "event"));
    /* farm (no checkpoint of it at the processor): the chain 1..3, seq 2 a
     * sealed link; processor (its own checkpoint): steps 1, 3, 4 proven in
     * its tree of 4 */
    feeds = json_object_get(story, "feeds");
    assert_int_equal(json_integer_value(json_object_get(story, "bundle")), 2);
    assert_int_equal(json_array_size(feeds), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *fd = json_array_get(feeds, i);
        int farm = !strcmp(json_string_value(json_object_get(fd, "feed")), fhex);
        assert_string_equal(json_string_value(json_object_get(fd, "proof")),
                            farm ? "chain" : "tree");
        assert_int_equal(json_integer_value(json_object_get(fd, "from")), 1);
        assert_int_equal(json_integer_value(json_object_get(fd, "to")), farm ? 3 : 4);
        assert_int_equal(json_integer_value(json_object_get(fd, "entries")), 3);
        assert_int_equal(json_integer_value(json_object_get(fd, "disclosed")), 2);
        assert_int_equal(json_integer_value(json_object_get(fd, "sealed")), 1);
        if (!farm) {
            assert_int_equal(json_integer_value(json_object_get(fd, "treeSize")), 4);
            assert_non_null(strstr(json_string_value(json_object_get(fd, "checkpoint")), phex));
        }
    }
    json_decref(story);
}

static void test_only_own_seals_partners(void **state)
{
    fixture_t *f = *state;
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_err_t err;
    json_t *story;
    make_bundle(f, LEDGER_BUNDLE_ONLY_OWN, &b);
    if (ledger_bundle_verify(b.data, b.len, &story, &err))
        fail_msg("verify: %s", err.msg);
    for (size_t i = 0; i < json_array_size(json_object_get(story, "steps")); i++) {
        json_t *s = step_at(story, i);
        int farm = !strcmp(json_string_value(json_object_get(s, "name")), "Boerderij");
        int seq = (int)json_integer_value(json_object_get(s, "seq"));
        assert_int_equal(json_is_true(json_object_get(s, "sealed")), farm || seq == 4);
    }
    json_decref(story);
    ledger_buf_free(&b);
}

static void test_deterministic(void **state)
{
    fixture_t *f = *state;
    ledger_buf_t b = LEDGER_BUF_INIT;
    make_bundle(f, 0, &b);
    assert_int_equal(b.len, f->bundle.len);
    assert_memory_equal(b.data, f->bundle.data, b.len);
    ledger_buf_free(&b);
}

static void test_changed_payload(void **state)
{
    fixture_t *f = *state;
    uint8_t *p = malloc(f->bundle.len);
    const char *pat = "shipping";
    size_t n = f->bundle.len, i;
    memcpy(p, f->bundle.data, n);
    /* the first "shipping" in the bytes: the farm's seq 3 event */
    for (i = 0; i + strlen(pat) <= n && memcmp(p + i, pat, strlen(pat)); i++)
        ;
    assert_true(i + strlen(pat) <= n);
    p[i] = 'S';
    expect_fail(p, n, "seq 3: payload does not match its hash", "Boerderij");
    free(p);
}

static void test_changed_signature(void **state)
{
    fixture_t *f = *state;
    tb_t t;
    ledger_entry_t e;
    uint8_t *p = malloc(f->bundle.len);
    memcpy(p, f->bundle.data, f->bundle.len);
    tb_parse(&f->bundle, &t);
    tfeed_t *pf = tb_feed(&t, proc_id(f)), *ff = tb_feed(&t, farm_id(f));
    assert_int_equal(ledger_entry_decode(pf->ent[1], pf->elen[1], &e, NULL), 0);
    p[(size_t)(e.sig - f->bundle.data) + 10] ^= 1;
    expect_fail(p, f->bundle.len, "Verwerker) seq 3: entry signature does not verify", NULL);
    memcpy(p, f->bundle.data, f->bundle.len);
    assert_int_equal(ledger_entry_decode(ff->ent[1], ff->elen[1], &e, NULL), 0);
    p[(size_t)(e.sig - f->bundle.data) + 10] ^= 1;
    expect_fail(p, f->bundle.len, "Boerderij) seq 2: entry signature does not verify", NULL);
    json_decref(t.keep);
    free(p);
}

static void test_removed_and_reordered(void **state)
{
    fixture_t *f = *state;
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_err_t err;
    json_t *story = NULL;
    tb_t t;
    tfeed_t *ff, *pf;
    const uint8_t *tmp;
    size_t tl;
    /* chain form: the farm's middle entry (seq 2) dropped, re-signed by the
     * creator */
    tb_parse(&f->bundle, &t);
    ff = tb_feed(&t, farm_id(f));
    assert_int_equal(ff->form, 1);
    ff->ent[1] = ff->ent[2];
    ff->elen[1] = ff->elen[2];
    ff->nent = 2;
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "step removed", "seq 2 is missing between seq 1 and seq 3");
    /* the same without re-signing: the entry claim is still what is named */
    tb_encode(&t, NULL, &b);
    expect_fail(b.data, b.len, "step removed", "Boerderij");
    json_decref(t.keep);

    /* the last step dropped from the entries */
    tb_parse(&f->bundle, &t);
    ff = tb_feed(&t, farm_id(f));
    ff->nent = 2;
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "step removed", "step seq 3 is not among the entries");
    json_decref(t.keep);

    /* two entries swapped */
    tb_parse(&f->bundle, &t);
    ff = tb_feed(&t, farm_id(f));
    tmp = ff->ent[1];
    tl = ff->elen[1];
    ff->ent[1] = ff->ent[2];
    ff->elen[1] = ff->elen[2];
    ff->ent[2] = tmp;
    ff->elen[2] = tl;
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "step reordered", "seq 2 comes after seq 3");
    json_decref(t.keep);

    /* proof form: two steps swapped, with their proofs */
    tb_parse(&f->bundle, &t);
    pf = tb_feed(&t, proc_id(f));
    assert_int_equal(pf->form, 2);
    {
        tfeed_t c = *pf;
        pf->ent[0] = c.ent[1], pf->elen[0] = c.elen[1], pf->nh[0] = c.nh[1];
        pf->ent[1] = c.ent[0], pf->elen[1] = c.elen[0], pf->nh[1] = c.nh[0];
        memcpy(pf->h[0], c.h[1], sizeof c.h[1]);
        memcpy(pf->h[1], c.h[0], sizeof c.h[0]);
    }
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "step reordered: feed", "Verwerker): seq 1 comes after seq 3");
    json_decref(t.keep);

    /* proof form: a step left out by the creator (re-signed) still verifies:
     * a bundle proves the steps it shows, not that there are no others
     * (docs/bundle.md, what is not proven) */
    tb_parse(&f->bundle, &t);
    pf = tb_feed(&t, proc_id(f));
    pf->ent[1] = pf->ent[2], pf->elen[1] = pf->elen[2], pf->nh[1] = pf->nh[2];
    memcpy(pf->h[1], pf->h[2], sizeof pf->h[2]);
    pf->nent = 2;
    tb_encode(&t, f->proc.id, &b);
    if (ledger_bundle_verify(b.data, b.len, &story, &err))
        fail_msg("verify: %s", err.msg);
    assert_int_equal(json_array_size(json_object_get(story, "steps")), 4);
    json_decref(story);
    json_decref(t.keep);
    ledger_buf_free(&b);
}

/* Verifying p[0..n) must fail with a message holding one of a or b. */
static void expect_fail_either(const uint8_t *p, size_t n, const char *a, const char *b)
{
    ledger_err_t err;
    assert_int_equal(ledger_bundle_verify(p, n, NULL, &err), LEDGER_EVERIFY);
    if (!strstr(err.msg, a) && !strstr(err.msg, b))
        fail_msg("message \"%s\" has neither \"%s\" nor \"%s\"", err.msg, a, b);
}

/* Proof form: each part of a step's proof and of the checkpoint matters. */
static void test_proof_tampering(void **state)
{
    fixture_t *f = *state;
    ledger_buf_t b = LEDGER_BUF_INIT;
    uint8_t *p = malloc(f->bundle.len);
    char *note;
    tb_t t;
    tfeed_t *pf;

    /* a byte of a proof hash of processor seq 1 */
    tb_parse(&f->bundle, &t);
    pf = tb_feed(&t, proc_id(f));
    assert_true(pf->nh[0] >= 1);
    memcpy(p, f->bundle.data, f->bundle.len);
    p[(size_t)(pf->h[0][0] - f->bundle.data) + 5] ^= 0x10;
    expect_fail(p, f->bundle.len, "Verwerker) seq 1: not proven in the feed's signed log of 4",
                NULL);
    /* a hash too few, a hash too many, the proof of another step */
    pf->nh[0]--;
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "seq 1: not proven in the feed's signed log", NULL);
    pf->nh[0] += 2;
    pf->h[0][pf->nh[0] - 1] = pf->h[0][0];
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "seq 1: not proven in the feed's signed log", NULL);
    pf->nh[0] = pf->nh[1];
    memcpy(pf->h[0], pf->h[1], sizeof pf->h[1]);
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "seq 1: not proven in the feed's signed log", NULL);
    json_decref(t.keep);

    /* the checkpoint: a signature character changed; its root changed (the
     * signature no longer covers it); not a note at all */
    tb_parse(&f->bundle, &t);
    pf = tb_feed(&t, proc_id(f));
    note = malloc(pf->nlen + 1);
    memcpy(note, pf->note, pf->nlen + 1);
    pf->note = note;
    note[pf->nlen - 6] = note[pf->nlen - 6] == 'A' ? 'B' : 'A';
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "Verwerker): the checkpoint is not signed by the feed's key", NULL);
    json_decref(t.keep);
    free(note);
    tb_parse(&f->bundle, &t);
    pf = tb_feed(&t, proc_id(f));
    note = malloc(pf->nlen + 1);
    memcpy(note, pf->note, pf->nlen + 1);
    pf->note = note;
    {
        char *root = strchr(strchr(note, '\n') + 1, '\n') + 1; /* line 3 */
        root[0] = root[0] == 'A' ? 'B' : 'A';
    }
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "Verwerker): the checkpoint is not signed by the feed's key", NULL);
    pf->note = "not a note";
    pf->nlen = strlen(pf->note);
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "Verwerker): the checkpoint is not a signed note", NULL);
    json_decref(t.keep);
    free(note);
    free(p);
    ledger_buf_free(&b);
}

/* A partner's checkpoint held: the partner's feed takes the proof form too;
 * its steps past that checkpoint send it back to the chain form. */
static void test_partner_checkpoint(void **state)
{
    fixture_t *f = *state;
    ledger_buf_t both = LEDGER_BUF_INIT, later = LEDGER_BUF_INIT, b = LEDGER_BUF_INIT;
    ledger_err_t err;
    json_t *story;
    tb_t t, u;
    tfeed_t *ff, *pf, *lf;
    char id[520];

    replicate_from(&f->farm, &f->proc, farm_id(f), 4, 1); /* nothing new: the checkpoint */
    make_bundle(f, 0, &both);
    if (ledger_bundle_verify(both.data, both.len, &story, &err))
        fail_msg("verify: %s", err.msg);
    for (size_t i = 0; i < 2; i++) {
        json_t *fd = json_array_get(json_object_get(story, "feeds"), i);
        int farm = !strcmp(json_string_value(json_object_get(fd, "name")), "Boerderij");
        assert_string_equal(json_string_value(json_object_get(fd, "proof")), "tree");
        assert_int_equal(json_integer_value(json_object_get(fd, "treeSize")), farm ? 3 : 4);
        assert_int_equal(json_integer_value(json_object_get(fd, "entries")), farm ? 2 : 3);
    }
    json_decref(story);

    /* one partner's checkpoint in the other's feed item */
    tb_parse(&both, &t);
    ff = tb_feed(&t, farm_id(f));
    pf = tb_feed(&t, proc_id(f));
    {
        const char *n = ff->note;
        size_t l = ff->nlen;
        ff->note = pf->note, ff->nlen = pf->nlen;
        pf->note = n, pf->nlen = l;
    }
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "the checkpoint is not signed by the feed's key", NULL);
    json_decref(t.keep);

    /* the farm records seq 4 about the item; the processor gets the entry
     * but no newer checkpoint: the farm's feed is a chain again */
    append(&f->farm, "1001", "shipping", 20, 0, id);
    replicate_from(&f->farm, &f->proc, farm_id(f), 4, 0);
    {
        ledger_bundle_step_t steps[3];
        ledger_bundle_spec_t spec = {0};
        memset(steps, 0, sizeof steps);
        for (size_t i = 0; i < 3; i++)
            memcpy(steps[i].feed, farm_id(f), 32);
        steps[0].seq = 1, steps[1].seq = 3, steps[2].seq = 4;
        spec.subject = "urn:epc:id:sgtin:5412345.000001.1001";
        spec.created_ms = 1764576000000ull;
        spec.steps = steps;
        spec.nsteps = 3;
        if (ledger_bundle_create(f->proc.st, f->proc.id, &spec, &later, &err))
            fail_msg("create: %s", err.msg);
    }
    if (ledger_bundle_verify(later.data, later.len, &story, &err))
        fail_msg("verify: %s", err.msg);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(story, "feeds"), 0), "proof")),
                        "chain");
    json_decref(story);

    /* seq 4 shown with the checkpoint of 3 entries: not in it */
    tb_parse(&both, &t);
    tb_parse(&later, &u);
    ff = tb_feed(&t, farm_id(f));
    lf = tb_feed(&u, farm_id(f));
    assert_int_equal(lf->nent, 4);
    ff->ent[1] = lf->ent[3];
    ff->elen[1] = lf->elen[3];
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "Boerderij) seq 4: not in the checkpoint, whose tree has 3 entries",
                NULL);
    json_decref(t.keep);
    json_decref(u.keep);
    ledger_buf_free(&both);
    ledger_buf_free(&later);
    ledger_buf_free(&b);
}

static void test_bad_link(void **state)
{
    fixture_t *f = *state;
    ledger_buf_t b = LEDGER_BUF_INIT, hb = LEDGER_BUF_INIT, eb = LEDGER_BUF_INIT;
    ledger_entry_t e;
    ledger_header_t h;
    uint8_t sig[64];
    tb_t t;
    tfeed_t *ff;
    /* the farm's seq 2 with a wrong prev, validly signed by the farm */
    tb_parse(&f->bundle, &t);
    ff = tb_feed(&t, farm_id(f));
    assert_int_equal(ledger_entry_decode(ff->ent[1], ff->elen[1], &e, NULL), 0);
    h = e.h;
    h.prev[0] ^= 0x80;
    ledger_header_encode(&h, &hb);
    ledger_identity_sign(f->farm.id, hb.data, hb.len, sig);
    ledger_entry_encode(hb.data, hb.len, sig, NULL, 0, &eb);
    ff->ent[1] = eb.data;
    ff->elen[1] = eb.len;
    tb_encode(&t, f->proc.id, &b);
    expect_fail(b.data, b.len, "Boerderij): seq 2 does not link to seq 1", NULL);
    json_decref(t.keep);
    ledger_buf_free(&b);
    ledger_buf_free(&hb);
    ledger_buf_free(&eb);
}

static void test_swapped_partners(void **state)
{
    fixture_t *f = *state;
    ledger_buf_t b = LEDGER_BUF_INIT;
    char tmp[100];
    tb_t t;
    tfeed_t *ff, *pf;
    /* names swapped: each key now claims the other's name */
    tb_parse(&f->bundle, &t);
    memcpy(tmp, t.pname[0], sizeof tmp);
    memcpy(t.pname[0], t.pname[1], sizeof tmp);
    memcpy(t.pname[1], tmp, sizeof tmp);
    tb_encode(&t, NULL, &b);
    expect_fail(b.data, b.len, "bundle signature by", "does not verify");
    json_decref(t.keep);
    /* the farm's entries filed under the processor's key (and the other way) */
    tb_parse(&f->bundle, &t);
    ff = tb_feed(&t, farm_id(f));
    pf = tb_feed(&t, proc_id(f));
    {
        const uint8_t *k = ff->feed;
        ff->feed = pf->feed;
        pf->feed = k;
    }
    tb_encode(&t, f->proc.id, &b);
    /* whichever item comes first: the chain's entries are another feed's,
     * or the proof form's checkpoint is another key's */
    expect_fail_either(b.data, b.len, "the entry belongs to feed",
                       "the checkpoint is not signed by the feed's key");
    json_decref(t.keep);
    /* re-signed by someone else: verifies, but names that key as the creator,
     * which is not among the partners */
    tb_parse(&f->bundle, &t);
    tb_encode(&t, f->farm.id, &b);
    {
        ledger_err_t err;
        json_t *story = NULL;
        int rc = ledger_bundle_verify(b.data, b.len, &story, &err);
        assert_int_equal(rc, 0); /* the farm is a partner: it may vouch for the assembly */
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(story, "creator"), "name")),
            "Boerderij");
        json_decref(story);
    }
    json_decref(t.keep);
    ledger_buf_free(&b);
}

static void test_truncated_and_version(void **state)
{
    fixture_t *f = *state;
    uint8_t *p = malloc(f->bundle.len + 1);
    memcpy(p, f->bundle.data, f->bundle.len);
    for (size_t n = 0; n < f->bundle.len; n++)
        expect_fail(p, n, NULL, NULL);
    expect_fail(p, 0, "not a keten bundle", NULL);
    expect_fail(p, f->bundle.len - 1, "bundle is damaged", NULL);
    p[f->bundle.len] = 0;
    expect_fail(p, f->bundle.len + 1, "bytes after the end", NULL);
    /* [array 4, text 12 "keten-bundle", 2, ...]: version 4 is unknown;
     * read as version 3 or 1 the body is not one (and its signature
     * context would not be either) */
    assert_int_equal(p[14], 0x02);
    p[14] = 0x04;
    expect_fail(p, f->bundle.len, "bundle version 4 is not supported (this keten reads versions 1 to 3)",
                NULL);
    p[14] = 0x03;
    expect_fail(p, f->bundle.len, "bundle is damaged: the statement", NULL);
    p[14] = 0x01;
    expect_fail(p, f->bundle.len, "bundle is damaged: a feed item is not an array of 3", NULL);
    free(p);
}

static void test_create_errors(void **state)
{
    fixture_t *f = *state;
    ledger_bundle_step_t st = {{0}, 9, 0};
    ledger_bundle_spec_t spec = {"x", 1, NULL, 0, &st, 1, 0};
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_err_t err;
    memcpy(st.feed, farm_id(f), 32);
    assert_int_equal(ledger_bundle_create(f->proc.st, f->proc.id, &spec, &b, &err),
                     LEDGER_ENOTFOUND);
    assert_non_null(strstr(err.msg, "seq 9 is not in this store"));
    st.seq = 0;
    assert_int_equal(ledger_bundle_create(f->proc.st, f->proc.id, &spec, &b, &err), LEDGER_EINVAL);
    spec.nsteps = 0;
    assert_int_equal(ledger_bundle_create(f->proc.st, f->proc.id, &spec, &b, &err), LEDGER_EINVAL);
    ledger_buf_free(&b);
}

/* ---- the test vector of docs/bundle.md --------------------------------- */

/* docs/bundle.md, "Test vector": the three entries of docs/format.md, seq 1
 * and 3 steps (disclosed), seq 2 a sealed link, created 2025-12-01T00:00Z by
 * the same key, named "Vector Farm". */
static const char *const VECTOR_HEX =
    "846c6b6574656e2d62756e646c65025906f285782475726e3a6570633a69643a736774696e3a353431323334352e3030"
    "303030312e313030311b0000019adc5be000582003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664"
    "125531b88182582003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b86b566563746f7220"
    "4661726d8184582003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b80279011f6b657465"
    "6e2f30336131303762666633636531306265316437306464313865373462633039393637653464363330396261353064"
    "3566316464633836363431323535333162380a330a67484c56574674736133765a3736764146744d43373143676e6566"
    "572b396e4c4253456c3149776d5556673d0a0ae28094206b6574656e2f30336131303762666633636531306265316437"
    "306464313865373462633039393637653464363330396261353064356631646463383636343132353533316238202f4a"
    "69637a306c4a684679466c4348366b4f306b554c5078755232616577706149333266452b706871457756664861364436"
    "6d5638646e344f752f42317149636334634f356766386f54675772586b61497833305a552f783451383d0a8282590266"
    "8358768801582003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8015820000000000000"
    "00000000000000000000000000000000000000000000000000001b0000019ad7358400011901a8582036a428e794579d"
    "6b9b17b314e7970dd3c59515283973fd1b077d707d3635d96e5840cf9cf24177ab6676f94eca71aad4f6e90c92229d5e"
    "cc90c005b2492fbbf1aa397395e19d0827077c4db8e5a1de5b470f935468ce616cef990e27e7fa442dd6005901a88301"
    "78596e693a2f2f2f7368612d3235363b3930616165393962656335643463353838376234643863626262356334336339"
    "62316162393134393039653466363164653738626562363161383264343230663f7665723d434256322e30a964747970"
    "656b4f626a6563744576656e7466616374696f6e634144446762697a537465706d636f6d6d697373696f6e696e676765"
    "70634c69737481782475726e3a6570633a69643a736774696e3a353431323334352e3030303030312e31303031676576"
    "656e74494478596e693a2f2f2f7368612d3235363b393061616539396265633564346335383837623464386362626235"
    "633433633962316162393134393039653466363164653738626562363161383264343230663f7665723d434256322e30"
    "696576656e7454696d65781d323032352d31312d33305430383a30303a30302e3030302b30313a30306972656164506f"
    "696e74a1626964781f75726e3a6570633a69643a73676c6e3a353431323334352e30303030302e306b646973706f7369"
    "74696f6e66616374697665736576656e7454696d655a6f6e654f6666736574662b30313a3030825820294c80bb15fd68"
    "2f2623d8d68014c4bc288df76d0759ca6d190d44cbd9c97cd058208ca8cc401dabd9ff117580e668b1685598e58fc2f3"
    "b9ba4a29f41ec8da0990d6825902528358768801582003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc"
    "8664125531b803582006adc31d94bf3353c6be009c93e1cbdd739525501195edd38da47397bba58d391b0000019ad735"
    "840201190194582061a49e1554108c6b4adf945cb5b8cffb98ca8e2c961ab461b40765d0c899420258402025580be4e2"
    "c46a18c1343ee8338b7578ff7aee3d4db3f8f8b937c08c46b6c83c61e3abedd3bcea30f7737a3e5aca84779d5977280f"
    "4f612156a447926c1804590194830178596e693a2f2f2f7368612d3235363b6564663431633237356337366532373134"
    "64393037636632646636383866656633616463353136326235316134306434313166323932663131333435363262303f"
    "7665723d434256322e30a86474797065704167677265676174696f6e4576656e7466616374696f6e634144446762697a"
    "53746570677061636b696e67676576656e74494478596e693a2f2f2f7368612d3235363b656466343163323735633736"
    "653237313464393037636632646636383866656633616463353136326235316134306434313166323932663131333435"
    "363262303f7665723d434256322e3068706172656e744944782275726e3a6570633a69643a737363633a353431323334"
    "352e30303030303030303031696368696c644550437381782475726e3a6570633a69643a736774696e3a353431323334"
    "352e3030303030312e31303031696576656e7454696d65781d323032352d31312d33305430393a30303a30302e303030"
    "2b30313a3030736576656e7454696d655a6f6e654f6666736574662b30313a30308158205ff94bf9a5641ef302872db1"
    "d49319ab74ee8609066cd46b7c4bf67e5dc99060584056067f056560d739516eb48394bcce892efd31d155e4ba8d7fea"
    "c235c817e559e31d2f7cf20ba4405cb05f931528f8dccb419c974ec5f9fc81bfd53c21ef190b";

static const char *const VECTOR_V1_HEX =

    "846c6b6574656e2d62756e646c650159062685782475726e3a6570633a69643a736774696e3a353431323334352e30"
    "30"
    "303030312e313030311b0000019adc5be000582003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc86"
    "64"
    "125531b88182582003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b86b566563746f72"
    "20"
    "4661726d8183582003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b882010383590266"
    "83"
    "58768801582003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8015820000000000000"
    "00"
    "000000000000000000000000000000000000000000000000001b0000019ad7358400011901a8582036a428e794579d"
    "6b"
    "9b17b314e7970dd3c59515283973fd1b077d707d3635d96e5840cf9cf24177ab6676f94eca71aad4f6e90c92229d5e"
    "cc"
    "90c005b2492fbbf1aa397395e19d0827077c4db8e5a1de5b470f935468ce616cef990e27e7fa442dd6005901a88301"
    "78"
    "596e693a2f2f2f7368612d3235363b3930616165393962656335643463353838376234643863626262356334336339"
    "62"
    "316162393134393039653466363164653738626562363161383264343230663f7665723d434256322e30a964747970"
    "65"
    "6b4f626a6563744576656e7466616374696f6e634144446762697a537465706d636f6d6d697373696f6e696e676765"
    "70"
    "634c69737481782475726e3a6570633a69643a736774696e3a353431323334352e3030303030312e31303031676576"
    "65"
    "6e74494478596e693a2f2f2f7368612d3235363b393061616539396265633564346335383837623464386362626235"
    "63"
    "3433633962316162393134393039653466363164653738626562363161383264343230663f7665723d434256322e30"
    "69"
    "6576656e7454696d65781d323032352d31312d33305430383a30303a30302e3030302b30313a30306972656164506f"
    "69"
    "6e74a1626964781f75726e3a6570633a69643a73676c6e3a353431323334352e30303030302e306b646973706f7369"
    "74"
    "696f6e66616374697665736576656e7454696d655a6f6e654f6666736574662b30313a303058bc8358768801582003"
    "a1"
    "07bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8025820089290dfa67f298eb9da291734f2"
    "4d"
    "be361bfc38fa35a06665cf59a7b8c65fd51b0000019ad7358401011901ad582029279e831640695335d2980724c0fc"
    "64"
    "9821f8fb817b2991169490b521d861f45840d1e976a008bbc359546e7ec91a9932a0efe9de73697850fa1388b23b72"
    "60"
    "71cf23206109c4a9b0ff20e376a6939d583df503dfe454942fa83d030a6576e6e40ef65902528358768801582003a1"
    "07"
    "bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b803582006adc31d94bf3353c6be009c93e1cb"
    "dd"
    "739525501195edd38da47397bba58d391b0000019ad735840201190194582061a49e1554108c6b4adf945cb5b8cffb"
    "98"
    "ca8e2c961ab461b40765d0c899420258402025580be4e2c46a18c1343ee8338b7578ff7aee3d4db3f8f8b937c08c46"
    "b6"
    "c83c61e3abedd3bcea30f7737a3e5aca84779d5977280f4f612156a447926c1804590194830178596e693a2f2f2f73"
    "68"
    "612d3235363b6564663431633237356337366532373134643930376366326466363838666566336164633531363262"
    "35"
    "316134306434313166323932663131333435363262303f7665723d434256322e30a864747970657041676772656761"
    "74"
    "696f6e4576656e7466616374696f6e634144446762697a53746570677061636b696e67676576656e74494478596e69"
    "3a"
    "2f2f2f7368612d3235363b656466343163323735633736653237313464393037636632646636383866656633616463"
    "35"
    "3136326235316134306434313166323932663131333435363262303f7665723d434256322e3068706172656e744944"
    "78"
    "2275726e3a6570633a69643a737363633a353431323334352e30303030303030303031696368696c64455043738178"
    "24"
    "75726e3a6570633a69643a736774696e3a353431323334352e3030303030312e31303031696576656e7454696d6578"
    "1d"
    "323032352d31312d33305430393a30303a30302e3030302b30313a3030736576656e7454696d655a6f6e654f666673"
    "65"
    "74662b30313a30305840c9e3e77bd0b8ae63f55e26f74c006d86f61930fc8ec05dd9e01684be8edadba35470b281c0"
    "c2"
    "326a496f0ef742cad615bb98a0f1877e77fcd92423675d64500e";

static void sign_with(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64])
{
    ledger_identity_sign(ctx, m, n, sig);
}

/* The story docs/bundle.md gives for both vectors. */
static void check_vector_story(json_t *story, json_t *ents, int version)
{
    json_t *fd = json_array_get(json_object_get(story, "feeds"), 0);
    assert_int_equal(json_integer_value(json_object_get(story, "bundle")), version);
    assert_int_equal(json_array_size(json_object_get(story, "steps")), 2);
    assert_string_equal(json_string_value(json_object_get(step_at(story, 0), "eventID")),
                        json_string_value(json_object_get(json_array_get(ents, 0), "eventHash")));
    assert_string_equal(json_string_value(json_object_get(step_at(story, 1), "eventHash")),
                        json_string_value(json_object_get(json_array_get(ents, 2), "eventHash")));
    assert_string_equal(json_string_value(json_object_get(step_at(story, 1), "type")),
                        "AggregationEvent");
    assert_string_equal(json_string_value(json_object_get(fd, "proof")),
                        version == 1 ? "chain" : "tree");
    assert_int_equal(json_integer_value(json_object_get(fd, "sealed")), version == 1 ? 1 : 0);
    assert_int_equal(json_integer_value(json_object_get(fd, "entries")), version == 1 ? 3 : 2);
}

/* docs/bundle.md, "Test vector (version 1)": still verifies, as it did. */
static void test_vector_v1(void **state)
{
    (void)state;
    json_error_t je;
    json_t *doc = json_load_file("tests/data/format_vectors.json", 0, &je), *story;
    size_t n = strlen(VECTOR_V1_HEX) / 2;
    uint8_t *b = malloc(n);
    ledger_err_t err;
    assert_non_null(doc);
    assert_int_equal(ledger_unhex(VECTOR_V1_HEX, b, n), 0);
    if (ledger_bundle_verify(b, n, &story, &err))
        fail_msg("verify vector 1: %s", err.msg);
    check_vector_story(story, json_object_get(doc, "entries"), 1);
    json_decref(story);
    json_decref(doc);
    free(b);
}

/* docs/bundle.md, "Test vector": rebuilt from the entry vectors and a
 * checkpoint of their tree signed by the vector key, byte for byte. */
static void test_vector(void **state)
{
    (void)state;
    const char *shared = "tests/data/format_vectors.json";
    json_error_t je;
    json_t *doc = json_load_file(shared, 0, &je), *ents;
    uint8_t seed[32], *e[3];
    size_t len[3];
    ledger_identity_t *id;
    ledger_store_t *st;
    ledger_ingest_t *in;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    ledger_buf_t b = LEDGER_BUF_INIT, text = LEDGER_BUF_INIT, note = LEDGER_BUF_INIT;
    char dir[300], cmd[400], origin[LEDGER_NOTE_ORIGIN_LEN];
    const char *tmp = getenv("TMPDIR");
    ledger_tree_hash_t root;
    uint64_t size = 3;
    int kept = 0;
    json_t *story;
    assert_non_null(doc);
    assert_int_equal(ledger_unhex(json_string_value(json_object_get(doc, "seed")), seed, 32), 0);
    assert_int_equal(ledger_identity_from_seed(seed, &id, &err), 0);
    snprintf(dir, sizeof dir, "%s/keten-bundle-vec-XXXXXX", tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    /* the store belongs to some other key: the vector feed is a partner's */
    {
        uint8_t other[32] = {9};
        assert_int_equal(ledger_store_open(dir, LEDGER_STORE_CREATE, other, &st, &err), 0);
    }
    ents = json_object_get(doc, "entries");
    for (size_t i = 0; i < 3; i++) {
        const char *hx = json_string_value(json_object_get(json_array_get(ents, i), "entry"));
        len[i] = strlen(hx) / 2;
        e[i] = malloc(len[i]);
        assert_int_equal(ledger_unhex(hx, e[i], len[i]), 0);
    }
    if (ledger_ingest_begin(st, &in, &err) ||
        ledger_ingest_add(in, ledger_identity_public(id), (const uint8_t *const *)e, len, 3, &rep,
                          &err) ||
        ledger_ingest_commit(in, &err))
        fail_msg("ingest: %s", err.msg);
    /* the vector feed's checkpoint of its 3 entries, signed by its key */
    ledger_note_feed_origin(ledger_identity_public(id), origin);
    {
        ledger_note_signer_t sg = {.name = origin, .sign = sign_with, .ctx = id};
        memcpy(sg.pk, ledger_identity_public(id), 32);
        if (ledger_store_tree_root(st, ledger_identity_public(id), &size, root, &err) ||
            ledger_checkpoint_text(origin, size, root, &text, &err) ||
            ledger_note_sign((const char *)text.data, text.len, &sg, 1, &note, &err))
            fail_msg("checkpoint: %s", err.msg);
    }
    if (ledger_ingest_begin(st, &in, &err) ||
        ledger_ingest_checkpoint(in, ledger_identity_public(id), (const char *)note.data, note.len,
                                 &kept, &err) ||
        ledger_ingest_commit(in, &err))
        fail_msg("ingest checkpoint: %s", err.msg);
    assert_int_equal(kept, 1);
    if (getenv("BUNDLE_VECTOR_PRINT"))
        printf("%.*s", (int)note.len, (const char *)note.data);
    {
        ledger_bundle_partner_t part;
        ledger_bundle_step_t steps[2];
        ledger_bundle_spec_t spec = {0};
        memcpy(part.feed, ledger_identity_public(id), 32);
        part.name = "Vector Farm";
        memset(steps, 0, sizeof steps);
        memcpy(steps[0].feed, part.feed, 32);
        steps[0].seq = 1;
        memcpy(steps[1].feed, part.feed, 32);
        steps[1].seq = 3;
        spec.subject = "urn:epc:id:sgtin:5412345.000001.1001";
        spec.created_ms = 1764547200000ull + 86400000ull;
        spec.partners = &part;
        spec.npartners = 1;
        spec.steps = steps;
        spec.nsteps = 2;
        if (ledger_bundle_create(st, id, &spec, &b, &err))
            fail_msg("create: %s", err.msg);
    }
    {
        char *hx = malloc(2 * b.len + 1);
        ledger_hex(b.data, b.len, hx);
        if (getenv("BUNDLE_VECTOR_PRINT"))
            printf("%s\n", hx);
        assert_string_equal(hx, VECTOR_HEX);
        free(hx);
    }
    if (ledger_bundle_verify(b.data, b.len, &story, &err))
        fail_msg("verify vector: %s", err.msg);
    check_vector_story(story, ents, 2);
    json_decref(story);
    for (size_t i = 0; i < 3; i++)
        free(e[i]);
    ledger_buf_free(&b);
    ledger_buf_free(&text);
    ledger_buf_free(&note);
    ledger_store_close(st);
    ledger_identity_free(id);
    json_decref(doc);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_own_seals_partners, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_and_reordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proof_tampering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partner_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swapped_partners, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
        cmocka_unit_test(test_vector_v1),
        cmocka_unit_test(test_vector),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
