/* ledger_witness.c -- the cosignatures a store keeps of each feed's
 * checkpoints (see ledger_witness.h).
 *
 * How it works.  A partner's checkpoint that ledger_ingest_checkpoint took
 * (its signature, origin and root checked against the entries held here)
 * is walked line by line (ledger_note_sigs).  The feed's own line is
 * skipped; every other line must be a cosignature/v1 of a witness this
 * store knows, and a witness is a feed: "keten/<feed hex>", its key the
 * feed ID.  Good lines replace the witness's row for this feed when they
 * are newer; the rest are counted and dropped, never failing the
 * checkpoint, which is why a bad line is not an error here.  Then, when
 * asked to, the node cosigns: because the checkpoint's root is the root of
 * the entries held at its size and the last one it cosigned had, when it
 * was cosigned, the root of the entries held at its size, the two are
 * consistent exactly when that old root is still the root of the held
 * tree at the old size (one tree: the consistency proof between them is
 * the tree itself), which is checked before signing.
 *
 * Rows are keyed feed | 0x02 | witness in the checkpoint database, so the
 * rows of one feed are adjacent (after feed and feed | 0x01).
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ledger__store.h"
#include "ledger_cosig.h"
#include "ledger_note.h"
#include "ledger_witness.h"

#define ROW_KEY_LEN (2 * LEDGER_FEED_LEN + 1)
#define ROW_HEAD (1 + 8 + 64)
#define FUTURE_SLACK_S 600

static void row_key(uint8_t key[ROW_KEY_LEN], const uint8_t *feed, const uint8_t *witness)
{
    memcpy(key, feed, LEDGER_FEED_LEN);
    key[LEDGER_FEED_LEN] = 2;
    memcpy(key + LEDGER_FEED_LEN + 1, witness, LEDGER_FEED_LEN);
}

/* A row read back: its time, signature and text (pointing into v). */
typedef struct crow {
    uint64_t time;
    const uint8_t *sig;
    const char *text;
    size_t tlen;
    ledger_checkpoint_t cp;
} crow_t;

static int row_decode(const MDB_val *v, crow_t *r)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size <= ROW_HEAD || p[0] != 1)
        return -1;
    r->time = ledger__get_be64(p + 1);
    r->sig = p + 9;
    r->text = (const char *)p + ROW_HEAD;
    r->tlen = v->mv_size - ROW_HEAD;
    return ledger_checkpoint_parse(r->text, r->tlen, &r->cp, NULL) ? -1 : 0;
}

static int row_get(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, const uint8_t *witness,
                   crow_t *r, ledger_err_t *err)
{
    uint8_t key[ROW_KEY_LEN];
    MDB_val k = {sizeof key, key}, v;
    char hex[2 * LEDGER_FEED_LEN + 1];
    row_key(key, feed, witness);
    int rc = mdb_get(txn, st->dbi[DB_CKPT], &k, &v);
    if (rc == MDB_NOTFOUND)
        return LEDGER_ENOTFOUND;
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the cosignatures");
    if (row_decode(&v, r))
        return ledger_err_set(err, LEDGER_EVERIFY, "a damaged cosignature row of feed %s",
                              ledger__feed_hex(feed, hex));
    return 0;
}

static int row_put(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, const uint8_t *witness,
                   uint64_t t, const uint8_t sig[64], const char *text, size_t tlen,
                   ledger_err_t *err)
{
    uint8_t key[ROW_KEY_LEN];
    MDB_val k = {sizeof key, key}, v = {ROW_HEAD + tlen, NULL};
    row_key(key, feed, witness);
    int rc = mdb_put(txn, st->dbi[DB_CKPT], &k, &v, MDB_RESERVE);
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot keep a cosignature");
    uint8_t *p = v.mv_data;
    p[0] = 1;
    ledger__put_be64(p + 1, t);
    memcpy(p + 9, sig, 64);
    memcpy(p + ROW_HEAD, text, tlen);
    return 0;
}

typedef struct merge {
    ledger_store_t *st;
    MDB_txn *txn;
    const uint8_t *feed;
    const char *origin, *text;
    size_t tl;
    uint64_t size, now;
    uint8_t own_id[4]; /* the feed's own signature's key ID */
    ledger_witness_report_t *rep;
} merge_t;

static void drop(merge_t *m, const ledger_note_sig_t *sig, const char *why)
{
    if (m->rep->dropped++ == 0)
        snprintf(m->rep->dropped_msg, sizeof m->rep->dropped_msg, "%.*s: %.200s",
                 (int)(sig->name_len > 80 ? 80 : sig->name_len), sig->name, why);
}

static int merge_line(const ledger_note_sig_t *sig, void *ctx, ledger_err_t *err)
{
    merge_t *m = ctx;
    uint8_t wfeed[LEDGER_FEED_LEN];
    char name[LEDGER_NOTE_ORIGIN_LEN];
    feedrec_t head;
    ledger_err_t why;
    crow_t old;
    uint64_t t;
    int rc;
    size_t ol = strlen(m->origin);
    if (sig->name_len == ol && memcmp(sig->name, m->origin, ol) == 0 &&
        memcmp(sig->blob, m->own_id, 4) == 0)
        return 0; /* the feed's own signature */
    if (!ledger_cosig_witness_feed(sig, wfeed)) {
        drop(m, sig, "unknown witness (not a keten feed name)");
        return 0;
    }
    if (memcmp(wfeed, m->feed, LEDGER_FEED_LEN) == 0) {
        drop(m, sig, "a feed does not witness its own checkpoints");
        return 0;
    }
    if (memcmp(wfeed, m->st->self, LEDGER_FEED_LEN) != 0 &&
        (rc = ledger__get_feedrec(m->st, m->txn, wfeed, &head, err)) != 0) {
        if (rc != LEDGER_ENOTFOUND)
            return rc;
        drop(m, sig, "unknown witness (a feed not held here)");
        return 0;
    }
    ledger_note_feed_origin(wfeed, name);
    ledger_err_clear(&why);
    if ((rc = ledger_cosig_check(m->text, m->tl, sig, name, wfeed, &t, &why))) {
        drop(m, sig,
             rc == LEDGER_ENOTFOUND ? "not a cosignature/v1 of that feed's key" : why.msg);
        return 0;
    }
    if (t > m->now + FUTURE_SLACK_S) {
        drop(m, sig, "a cosignature dated more than 10 minutes ahead");
        return 0;
    }
    rc = row_get(m->st, m->txn, m->feed, wfeed, &old, err);
    if (rc && rc != LEDGER_ENOTFOUND)
        return rc;
    if (rc == 0 && (old.cp.size > m->size || (old.cp.size == m->size && old.time >= t)))
        return 0; /* the one kept is as new or newer */
    if ((rc = row_put(m->st, m->txn, m->feed, wfeed, t, sig->blob + 12, m->text, m->tl, err)))
        return rc;
    m->rep->merged++;
    return 0;
}

/* Cosigns the checkpoint m->text with id unless it is not newer than the
 * one id cosigned last, or that one is not of the entries held. */
static int cosign(merge_t *m, const ledger_identity_t *id, ledger_err_t *err)
{
    const uint8_t *self = ledger_identity_public(id);
    char hex[2 * LEDGER_FEED_LEN + 1];
    ledger_buf_t msg = LEDGER_BUF_INIT;
    ledger_tree_hash_t root;
    uint8_t sig[64];
    crow_t old;
    int rc = row_get(m->st, m->txn, m->feed, self, &old, err);
    if (rc && rc != LEDGER_ENOTFOUND)
        return rc;
    if (rc == 0) {
        uint64_t os = old.cp.size;
        if (os >= m->size)
            return 0; /* cosigned already, or a larger one */
        if ((rc = ledger__tree_root(m->st, m->txn, m->feed, &os, root, err)))
            return rc;
        if (memcmp(root, old.cp.root, LEDGER_TREE_HASH_LEN) != 0) {
            m->rep->refused = 1;
            snprintf(m->rep->dropped_msg, sizeof m->rep->dropped_msg,
                     "feed %s: not cosigned: the checkpoint of %" PRIu64
                     " entries cosigned before is not of the entries held (two histories)",
                     ledger__feed_hex(m->feed, hex), old.cp.size);
            return 0;
        }
    }
    if ((rc = ledger_cosig_message(m->text, m->tl, m->now, &msg, err)))
        goto done;
    ledger_identity_sign(id, msg.data, msg.len, sig);
    if ((rc = row_put(m->st, m->txn, m->feed, self, m->now, sig, m->text, m->tl, err)))
        goto done;
    m->rep->cosigned = 1;
done:
    ledger_buf_free(&msg);
    return rc;
}

int ledger_ingest_cosigs(ledger_ingest_t *in, const uint8_t feed[LEDGER_FEED_LEN],
                         const char *note, size_t len, const ledger_identity_t *id,
                         uint64_t now_s, ledger_witness_report_t *rep, ledger_err_t *err)
{
    char origin[LEDGER_NOTE_ORIGIN_LEN];
    ledger_checkpoint_t cp;
    ledger_tree_hash_t root;
    feedrec_t head;
    uint64_t have, size;
    size_t tl;
    ledger_store_t *st;
    MDB_txn *txn;
    int rc;
    memset(rep, 0, sizeof *rep);
    if ((rc = ledger__ingest_txn(in, &st, &txn, err)))
        return rc;
    ledger_note_feed_origin(feed, origin);
    if ((rc = ledger_note_open(note, len, origin, feed, &tl, err)) ||
        (rc = ledger_checkpoint_parse(note, tl, &cp, err)))
        return rc;
    if (strcmp(cp.origin, origin) != 0)
        return ledger_err_set(err, LEDGER_EVERIFY, "checkpoint: its origin is %s, not %s",
                              cp.origin, origin);
    if (cp.size == 0)
        return 0;
    if ((rc = ledger__tree_size(st, txn, feed, &have, NULL)) || cp.size > have)
        return 0; /* nothing to check it against here */
    rc = ledger__get_feedrec(st, txn, feed, &head, err);
    if (rc == LEDGER_ENOTFOUND || (rc == 0 && (head.flags & LEDGER_FEED_FORKED)))
        return 0;
    if (rc)
        return rc;
    size = cp.size;
    if ((rc = ledger__tree_root(st, txn, feed, &size, root, err)))
        return rc;
    if (memcmp(root, cp.root, LEDGER_TREE_HASH_LEN) != 0)
        return 0; /* another history: ledger_ingest_checkpoint keeps the evidence */
    merge_t m = {.st = st, .txn = txn, .feed = feed, .origin = origin, .text = note, .tl = tl,
                 .size = cp.size, .now = now_s, .rep = rep};
    ledger_note_key_id(origin, feed, m.own_id);
    if ((rc = ledger_note_sigs(note, len, &tl, merge_line, &m, err)))
        return rc;
    if (id && memcmp(ledger_identity_public(id), feed, LEDGER_FEED_LEN) != 0)
        return cosign(&m, id, err);
    return 0;
}

int ledger__cosigs_verify(ledger_store_t *st, MDB_txn *txn, uint64_t *count, ledger_err_t *err)
{
    MDB_cursor *c;
    MDB_val k, v;
    ledger_buf_t msg = LEDGER_BUF_INIT;
    char origin[LEDGER_NOTE_ORIGIN_LEN], hex[2 * LEDGER_FEED_LEN + 1];
    int rc, op = MDB_FIRST;
    *count = 0;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_CKPT], &c)))
        return ledger__lmdb_err(err, rc, "cannot read the cosignatures");
    while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        const uint8_t *key = k.mv_data;
        crow_t r;
        op = MDB_NEXT;
        if (k.mv_size != ROW_KEY_LEN || key[LEDGER_FEED_LEN] != 2)
            continue;
        ledger_note_feed_origin(key, origin);
        msg.len = 0;
        if (row_decode(&v, &r) || strcmp(r.cp.origin, origin) != 0 ||
            ledger_cosig_message(r.text, r.tlen, r.time, &msg, NULL) ||
            crypto_sign_verify_detached(r.sig, msg.data, msg.len, key + LEDGER_FEED_LEN + 1)) {
            rc = ledger_err_set(err, LEDGER_EVERIFY,
                                "a cosignature of feed %s by witness %.16s...: it does not check",
                                ledger__feed_hex(key, hex),
                                ledger__feed_hex(key + LEDGER_FEED_LEN + 1, origin));
            goto done;
        }
        (*count)++;
    }
    rc = rc == MDB_NOTFOUND ? 0 : ledger__lmdb_err(err, rc, "cannot read the cosignatures");
done:
    ledger_buf_free(&msg);
    mdb_cursor_close(c);
    return rc;
}

/* ---- reads -------------------------------------------------------------- */

typedef int (*row_fn)(const uint8_t *witness, const crow_t *r, void *ctx, ledger_err_t *err);

/* Calls fn for each cosignature row of feed in txn. */
static int each_row(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, row_fn fn, void *ctx,
                    ledger_err_t *err)
{
    uint8_t key[LEDGER_FEED_LEN + 1];
    MDB_cursor *c;
    MDB_val k = {sizeof key, key}, v;
    char hex[2 * LEDGER_FEED_LEN + 1];
    int rc;
    memcpy(key, feed, LEDGER_FEED_LEN);
    key[LEDGER_FEED_LEN] = 2;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_CKPT], &c)))
        return ledger__lmdb_err(err, rc, "cannot read the cosignatures");
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        crow_t r;
        if (k.mv_size != ROW_KEY_LEN || memcmp(k.mv_data, key, sizeof key) != 0)
            break;
        if (row_decode(&v, &r)) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "a damaged cosignature row of feed %s",
                                ledger__feed_hex(feed, hex));
            goto done;
        }
        if ((rc = fn((const uint8_t *)k.mv_data + LEDGER_FEED_LEN + 1, &r, ctx, err)))
            goto done;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    rc = rc == MDB_NOTFOUND || rc == 0 ? 0 : ledger__lmdb_err(err, rc, "cannot read the cosignatures");
done:
    mdb_cursor_close(c);
    return rc;
}

typedef struct append {
    ledger_buf_t *note;
    const char *text;
    size_t tl, n;
    const char *sigs; /* the stored note's signature lines (a copy) */
    size_t sigs_len;
} append_t;

/* 1 when the stored note already has a signature line of key name: a
 * checkpoint kept before keten kept partners' notes with the feed's own
 * line only (ledger__checkpoint_keep) may still carry the cosignature lines
 * it arrived with; the witness's row is then not appended a second time. */
static int has_line_of(const append_t *a, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = a->sigs, *end = a->sigs + a->sigs_len; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t ll = eol ? (size_t)(eol - p) : (size_t)(end - p);
        /* "\xe2\x80\x94 " name " " base64 */
        if (ll > 4 + nl && memcmp(p, "\xe2\x80\x94 ", 4) == 0 && memcmp(p + 4, name, nl) == 0 &&
            p[4 + nl] == ' ')
            return 1;
        p += ll + 1;
    }
    return 0;
}

static int append_line(const uint8_t *witness, const crow_t *r, void *ctx, ledger_err_t *err)
{
    append_t *a = ctx;
    char name[LEDGER_NOTE_ORIGIN_LEN], b64[LEDGER_COSIG_BLOB_LEN * 4 / 3 + 8];
    uint8_t blob[LEDGER_COSIG_BLOB_LEN];
    int rc;
    if (r->tlen != a->tl || memcmp(r->text, a->text, a->tl) != 0)
        return 0; /* of another checkpoint */
    ledger_note_feed_origin(witness, name);
    if (has_line_of(a, name)) {
        a->n++; /* in the note once, as it arrived */
        return 0;
    }
    ledger_cosig_key_id(name, strlen(name), witness, blob);
    ledger__put_be64(blob + 4, r->time);
    memcpy(blob + 12, r->sig, 64);
    sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    if ((rc = ledger_buf_append(a->note, "\xe2\x80\x94 ", 4)) ||
        (rc = ledger_buf_append(a->note, name, strlen(name))) ||
        (rc = ledger_buf_append(a->note, " ", 1)) ||
        (rc = ledger_buf_append(a->note, b64, strlen(b64))) ||
        (rc = ledger_buf_append(a->note, "\n", 1)))
        return ledger_err_set(err, rc, "out of memory");
    a->n++;
    return 0;
}

int ledger_store_cosigned(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                          ledger_buf_t *note, size_t *nsigs, ledger_err_t *err)
{
    MDB_txn *txn;
    size_t start = note->len, tl;
    int rc = ledger__begin_read(st, &txn, err);
    *nsigs = 0;
    if (rc)
        return rc;
    if ((rc = ledger__checkpoint_get(st, txn, feed, note, err)))
        goto done;
    /* the text is the note up to its last blank line */
    if ((rc = ledger_note_sigs((const char *)note->data + start, note->len - start, &tl, NULL,
                               NULL, err)))
        goto done;
    {
        /* the note is copied: appending may move note's bytes */
        ledger_buf_t text = LEDGER_BUF_INIT;
        size_t whole = note->len - start;
        if ((rc = ledger_buf_append(&text, note->data + start, whole))) {
            rc = ledger_err_set(err, rc, "out of memory");
            goto done;
        }
        /* after the text, its blank line, then the signature lines */
        append_t a = {note, (const char *)text.data, tl, 0,
                      (const char *)text.data + (tl + 1 < whole ? tl + 1 : whole),
                      whole - (tl + 1 < whole ? tl + 1 : whole)};
        rc = each_row(st, txn, feed, append_line, &a, err);
        *nsigs = a.n;
        ledger_buf_free(&text);
    }
done:
    ledger__end_read(st, txn);
    return rc;
}

typedef struct list {
    ledger_cosig_row_cb fn;
    void *ctx;
} list_t;

static int list_row(const uint8_t *witness, const crow_t *r, void *ctx, ledger_err_t *err)
{
    list_t *l = ctx;
    ledger_cosig_row_t out;
    (void)err;
    memcpy(out.witness, witness, LEDGER_FEED_LEN);
    out.time = r->time;
    out.size = r->cp.size;
    memcpy(out.root, r->cp.root, LEDGER_TREE_HASH_LEN);
    return l->fn(&out, l->ctx);
}

int ledger_store_cosigs(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                        ledger_cosig_row_cb fn, void *ctx, ledger_err_t *err)
{
    MDB_txn *txn;
    list_t l = {fn, ctx};
    int rc = ledger__begin_read(st, &txn, err);
    if (rc)
        return rc;
    rc = each_row(st, txn, feed, list_row, &l, err);
    ledger__end_read(st, txn);
    return rc;
}
