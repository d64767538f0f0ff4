/* test_cosig.c -- cosignatures (ledger_cosig.h, C2SP tlog-cosignature v1)
 * and the signature-line walk of signed notes (ledger_note_sigs).
 *
 * The vector of docs/format.md: the checkpoint of the format.md note
 * vector (feed key seed 07 ... 07, five leaves) cosigned at time
 * 1700000000 by the witness whose seed is 08 ... 08, byte for byte, and
 * its verifier key; the same line computed independently, by Python's
 * `cryptography` from the spec's text, when the vector was made (the
 * script is in docs/format.md).  Then what must be
 * refused: a forged signature, a cosignature replayed onto another
 * checkpoint (another size, another origin), a changed timestamp, a line
 * of another witness (not checked: LEDGER_ENOTFOUND), a wrong length, a
 * timestamp of 2^63; and a note whose own signature is kept valid while
 * it carries cosignature lines. */
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

typedef struct key {
    uint8_t pk[32], sk[64];
} key_t_;

static void key_sign(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64])
{
    key_t_ *k = ctx;
    crypto_sign_detached(sig, NULL, m, n, k->sk);
}

static void key_from(key_t_ *k, uint8_t byte)
{
    uint8_t seed[32];
    memset(seed, byte, sizeof seed);
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

#define LOG_ORIGIN "keten/ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
static const char doc_text[] = LOG_ORIGIN "\n5\nZI9Yvx0SDdc0VyZtjoC8nYSazgvRMMJ/fcSMFjZAoLk=\n";
static const char doc_note[] = LOG_ORIGIN
    "\n5\nZI9Yvx0SDdc0VyZtjoC8nYSazgvRMMJ/fcSMFjZAoLk=\n\n"
    "\xe2\x80\x94 " LOG_ORIGIN
    " LP2BvQ68zESjg3NOUQsO/ZhcXbJk/lWTlNdAY3oDDNgRpKZ4D1xgXHzpjxAYZR0x9KGjpOGiWFFJavNRJHD7"
    "EZt28go=\n";
#define DOC_TIME 1700000000u
#define WITNESS_NAME "keten/1398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca"
#define WITNESS_VKEY WITNESS_NAME "+eb98fa62+BBOY9ixtGkV8UbpqS189vS9p/KkyFiGNyJl+QWvRfZPK"
#define WITNESS_LINE                                                                        \
    "\xe2\x80\x94 " WITNESS_NAME                                                               \
    " 65j6YgAAAABlU/EAf9VreoECmAcBr9KmjfPu/G2mhCP3etJg+oXQZkXbFSCmkxRIUPlr+M7glgkIlUyz9JUaTExb" \
    "M7FpBVBKcSZIDg==\n"

/* The one signature line of note[0..n) whose index is i (0 first). */
typedef struct pick {
    int want, at;
    ledger_note_sig_t sig;
} pick_t;

static int pick_cb(const ledger_note_sig_t *sig, void *ctx, ledger_err_t *err)
{
    (void)err;
    pick_t *p = ctx;
    if (p->at++ == p->want)
        p->sig = *sig;
    return 0;
}

static ledger_note_sig_t line_of(const char *note, size_t n, int i, size_t *tl)
{
    pick_t p = {.want = i};
    ledger_err_t err;
    assert_int_equal(ledger_note_sigs(note, n, tl, pick_cb, &p, &err), 0);
    assert_true(p.at > i);
    return p.sig;
}

static void witness_name(const key_t_ *w, char name[LEDGER_NOTE_ORIGIN_LEN])
{
    ledger_note_feed_origin(w->pk, name);
}

static void test_doc_vector(void **state)
{
    (void)state;
    key_t_ log, w;
    ledger_err_t err;
    char name[LEDGER_NOTE_ORIGIN_LEN], vkey[200];
    key_from(&log, 7);
    key_from(&w, 8);
    witness_name(&w, name);
    assert_string_equal(name, WITNESS_NAME);
    assert_int_equal(ledger_cosig_vkey(name, w.pk, vkey, sizeof vkey, &err), 0);
    assert_string_equal(vkey, WITNESS_VKEY);
    ledger_buf_t msg = LEDGER_BUF_INIT, line = LEDGER_BUF_INIT, note = LEDGER_BUF_INIT;
    assert_int_equal(ledger_cosig_message(doc_text, strlen(doc_text), DOC_TIME, &msg, &err), 0);
    static const char want_msg[] = "cosignature/v1\ntime 1700000000\n" LOG_ORIGIN
                                   "\n5\nZI9Yvx0SDdc0VyZtjoC8nYSazgvRMMJ/fcSMFjZAoLk=\n";
    assert_int_equal(msg.len, strlen(want_msg));
    assert_memory_equal(msg.data, want_msg, msg.len);
    ledger_note_signer_t s = {.name = name, .sign = key_sign, .ctx = &w};
    memcpy(s.pk, w.pk, 32);
    assert_int_equal(ledger_cosig_line(doc_text, strlen(doc_text), DOC_TIME, &s, &line, &err), 0);
    assert_int_equal(line.len, strlen(WITNESS_LINE));
    assert_memory_equal(line.data, WITNESS_LINE, line.len);

    /* the cosigned note: the log's signature still opens, the line checks */
    assert_int_equal(ledger_buf_append(&note, doc_note, strlen(doc_note)), 0);
    assert_int_equal(ledger_buf_append(&note, line.data, line.len), 0);
    size_t tl;
    assert_int_equal(ledger_note_open((char *)note.data, note.len, LOG_ORIGIN, log.pk, &tl, &err),
                     0);
    assert_int_equal(tl, strlen(doc_text));
    ledger_note_sig_t sig = line_of((char *)note.data, note.len, 1, &tl);
    uint64_t t = 0;
    assert_int_equal(ledger_cosig_check(doc_text, tl, &sig, name, w.pk, &t, &err), 0);
    assert_int_equal(t, DOC_TIME);
    uint8_t feed[32];
    assert_int_equal(ledger_cosig_witness_feed(&sig, feed), 1);
    assert_memory_equal(feed, w.pk, 32);
    /* the log's own line is not the witness's: another key ID (type 0x01) */
    ledger_note_sig_t own = line_of((char *)note.data, note.len, 0, &tl);
    assert_int_equal(ledger_cosig_check(doc_text, tl, &own, LOG_ORIGIN, log.pk, &t, &err),
                     LEDGER_ENOTFOUND);
    ledger_buf_free(&msg);
    ledger_buf_free(&line);
    ledger_buf_free(&note);
}

/* A cosignature line of w over text, in a note with the log's signature. */
static void cosigned(const char *text, const key_t_ *log, const char *origin, key_t_ *w,
                     uint64_t t, ledger_buf_t *note)
{
    ledger_err_t err;
    char name[LEDGER_NOTE_ORIGIN_LEN];
    witness_name(w, name);
    ledger_note_signer_t ls = {.name = origin, .sign = key_sign, .ctx = (void *)log};
    ledger_note_signer_t ws = {.name = name, .sign = key_sign, .ctx = w};
    memcpy(ls.pk, log->pk, 32);
    memcpy(ws.pk, w->pk, 32);
    assert_int_equal(ledger_note_sign(text, strlen(text), &ls, 1, note, &err), 0);
    assert_int_equal(ledger_cosig_line(text, strlen(text), t, &ws, note, &err), 0);
}

static void test_refused(void **state)
{
    (void)state;
    key_t_ log, w, other;
    ledger_err_t err;
    char name[LEDGER_NOTE_ORIGIN_LEN];
    uint64_t t;
    size_t tl;
    key_from(&log, 7);
    key_from(&w, 8);
    key_from(&other, 9);
    witness_name(&w, name);
    ledger_buf_t note = LEDGER_BUF_INIT;
    cosigned(doc_text, &log, LOG_ORIGIN, &w, DOC_TIME, &note);
    ledger_note_sig_t good = line_of((char *)note.data, note.len, 1, &tl);

    /* forged: one bit of the Ed25519 signature flipped */
    ledger_note_sig_t bad = good;
    bad.blob[40] ^= 1;
    assert_int_equal(ledger_cosig_check(doc_text, tl, &bad, name, w.pk, &t, &err), LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, name));
    /* the timestamp changed: the signature no longer checks */
    bad = good;
    bad.blob[11] ^= 1;
    assert_int_equal(ledger_cosig_check(doc_text, tl, &bad, name, w.pk, &t, &err), LEDGER_EVERIFY);
    /* timestamp 2^63 */
    bad = good;
    bad.blob[4] = 0x80;
    assert_int_equal(ledger_cosig_check(doc_text, tl, &bad, name, w.pk, &t, &err), LEDGER_EINPUT);
    /* too short */
    bad = good;
    bad.blob_len = 68;
    assert_int_equal(ledger_cosig_check(doc_text, tl, &bad, name, w.pk, &t, &err), LEDGER_EINPUT);
    /* replayed onto another checkpoint of the same log (size 6) */
    static const char text6[] = LOG_ORIGIN "\n6\nZI9Yvx0SDdc0VyZtjoC8nYSazgvRMMJ/fcSMFjZAoLk=\n";
    assert_int_equal(ledger_cosig_check(text6, strlen(text6), &good, name, w.pk, &t, &err),
                     LEDGER_EVERIFY);
    /* ... and onto the same tree of another origin */
    static const char texto[] = "example.com/log\n5\nZI9Yvx0SDdc0VyZtjoC8nYSazgvRMMJ/fcSMFjZAoLk=\n";
    assert_int_equal(ledger_cosig_check(texto, strlen(texto), &good, name, w.pk, &t, &err),
                     LEDGER_EVERIFY);
    /* another witness's key under the same name: another key ID, not checked */
    assert_int_equal(ledger_cosig_check(doc_text, tl, &good, name, other.pk, &t, &err),
                     LEDGER_ENOTFOUND);
    char oname[LEDGER_NOTE_ORIGIN_LEN];
    witness_name(&other, oname);
    assert_int_equal(ledger_cosig_check(doc_text, tl, &good, oname, other.pk, &t, &err),
                     LEDGER_ENOTFOUND);
    /* a cosignature line is not a note signature of the witness's key */
    assert_int_equal(ledger_note_open((char *)note.data, note.len, name, w.pk, &tl, &err),
                     LEDGER_EVERIFY);
    /* not a keten witness name */
    bad = good;
    bad.name = "example.com/w1";
    bad.name_len = 14;
    uint8_t feed[32];
    assert_int_equal(ledger_cosig_witness_feed(&bad, feed), 0);
    ledger_buf_free(&note);
}

static void test_bad_input(void **state)
{
    (void)state;
    key_t_ w;
    ledger_err_t err;
    char name[LEDGER_NOTE_ORIGIN_LEN];
    key_from(&w, 8);
    witness_name(&w, name);
    ledger_note_signer_t ws = {.name = name, .sign = key_sign, .ctx = &w};
    memcpy(ws.pk, w.pk, 32);
    ledger_buf_t out = LEDGER_BUF_INIT;
    /* not a checkpoint */
    assert_int_equal(ledger_cosig_line("hello\n", 6, 1, &ws, &out, &err), LEDGER_EINPUT);
    /* time 2^63 */
    assert_int_equal(ledger_cosig_line(doc_text, strlen(doc_text), (uint64_t)1 << 63, &ws, &out,
                                       &err),
                     LEDGER_EINPUT);
    ws.name = "bad name";
    assert_int_equal(ledger_cosig_line(doc_text, strlen(doc_text), 1, &ws, &out, &err),
                     LEDGER_EINPUT);
    assert_int_equal(out.len, 0);
    char vkey[8];
    assert_int_equal(ledger_cosig_vkey(name, w.pk, vkey, sizeof vkey, &err), LEDGER_ETOOBIG);
    /* the walk refuses what ledger_note_open refuses */
    size_t tl;
    assert_int_equal(ledger_note_sigs("a\n\nb\n", 5, &tl, NULL, NULL, &err), LEDGER_EINPUT);
    assert_int_equal(ledger_note_sigs("a\n\n", 3, &tl, NULL, NULL, &err), LEDGER_EINPUT);
    ledger_buf_free(&out);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_vector),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
