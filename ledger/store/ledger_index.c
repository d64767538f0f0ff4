/* ledger_index.c -- index walks that read no entry (ledger_store.h, "index
 * walks without reading entries"): an identifier's events in a time window
 * straight from the ident rows (time | lseq | role, in time order), an
 * event's card from the edge database, the entries of an event ID from the
 * evid rows, and one entry by local position.
 *
 * The card layout (docs/format.md, "The edge index"): feed (32), seq (u64
 * BE), record time (u64 BE), then the body that ledger_rows.c builds with
 * the index rows: version (1), flags (bit 0: errorDeclaration; bit 1: the
 * eventID is the event hash, not repeated; bit 2: a sensorElementList),
 * eventTime (i64 BE), ten texts (u16 BE length, 0 = none: type, eventID,
 * event hash, action, bizStep, disposition, readPoint, bizLocation,
 * eventTime as written, the highest temperature reading), then to the end per identifier: role (1;
 * bit 7: two texts follow), the length of the prefix it shares with the identifier before it (1),
 * the length of the rest (u16 BE), the rest, and for an element of a quantity list its quantity and
 * uom, of a source or destination list its type and its identifier as written when that is not the
 * canonical form. */
#include "ledger_store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger__store.h"
#include "ledger_epcis.h"

#define TIME_KEY(t) ((uint64_t)(t) ^ ((uint64_t)1 << 63))

static int hits_of_key(ledger_store_t *st, const row_t *key, const char *ident, int64_t lo,
                       int64_t hi, ledger_ident_hit_t **hits, size_t *n, size_t *cap,
                       ledger_err_t *err);

int ledger_store_ident_hits(ledger_store_t *st, const char *ident, int64_t lo, int64_t hi,
                            ledger_ident_hit_t **hits, size_t *n, size_t *cap, ledger_err_t *err)
{
    char canon[LEDGER_IDENT_KEY_MAX];
    row_t key;
    int rc;
    if ((rc = ledger_ident_key(ident, canon, sizeof canon, err)))
        return rc;
    ledger__index_key(DB_IDENT, canon, &key);
    return hits_of_key(st, &key, ident, lo, hi, hits, n, cap, err);
}

int ledger_store_ident_hits_canonical(ledger_store_t *st, const char *ident, int64_t lo, int64_t hi,
                                      ledger_ident_hit_t **hits, size_t *n, size_t *cap,
                                      ledger_err_t *err)
{
    row_t key;
    ledger__index_key(DB_IDENT, ident, &key);
    return hits_of_key(st, &key, ident, lo, hi, hits, n, cap, err);
}

static int hits_of_key(ledger_store_t *st, const row_t *key, const char *ident, int64_t lo,
                       int64_t hi, ledger_ident_hit_t **hits, size_t *n, size_t *cap,
                       ledger_err_t *err)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    uint8_t from[ROW_IDENT_VLEN] = {0};
    uint64_t hikey = TIME_KEY(hi);
    int rc;

    if (lo > hi)
        return 0;
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    if ((rc = ledger__cursor(st, txn, DB_IDENT, &c, err))) {
        ledger__end_read(st, txn);
        return rc;
    }
    k.mv_data = (void *)key->key;
    k.mv_size = key->klen;
    /* the first row at or after lo: one seek (a second only when there is
     * none, to tell an identifier without rows in the window from one no
     * event names) */
    ledger__put_be64(from, TIME_KEY(lo));
    v.mv_data = from;
    v.mv_size = sizeof from;
    rc = mdb_cursor_get(c, &k, &v, MDB_GET_BOTH_RANGE);
    if (rc == MDB_NOTFOUND) {
        k.mv_data = (void *)key->key;
        k.mv_size = key->klen;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET);
        if (rc == MDB_NOTFOUND) {
            rc = ledger_err_set(err, LEDGER_ENOTFOUND, "no event names %s in this store", ident);
            goto done;
        }
        if (rc)
            goto lmdb;
        rc = 0;
        goto done;
    }
    while (rc == 0) {
        const uint8_t *p = v.mv_data;
        if (v.mv_size != ROW_IDENT_VLEN) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "damaged ident index row");
            goto done;
        }
        if (ledger__get_be64(p) > hikey)
            break;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 64;
            ledger_ident_hit_t *nh = realloc(*hits, nc * sizeof *nh);
            if (!nh) {
                rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
                goto done;
            }
            *hits = nh;
            *cap = nc;
        }
        (*hits)[(*n)++] = (ledger_ident_hit_t){.time_ms = (int64_t)TIME_KEY(ledger__get_be64(p)),
                                               .lseq = ledger__get_be64(p + 8),
                                               .role = p[16]};
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
    }
    if (rc == MDB_NOTFOUND || rc == 0) {
        rc = 0;
        goto done;
    }
lmdb:
    rc = ledger__lmdb_err(err, rc, "cannot read the identifier index");
done:
    ledger__cursor_done(st, c);
    ledger__end_read(st, txn);
    return rc;
}

/* ---- cards --------------------------------------------------------------- */

typedef struct cardr {
    const uint8_t *p;
    size_t n, off;
} cardr_t;

/* A text of the card at r->off: in copy (a copy of the card value, one
 * byte longer) where it lies, ended by a NUL written over the first byte
 * of what follows (a length or header byte, read from the original only);
 * NULL for an empty one. The first pass checked the bounds. */
static void card_text(cardr_t *r, char *copy, const char **out)
{
    size_t len = (size_t)r->p[r->off] << 8 | r->p[r->off + 1];
    r->off += 2;
    *out = len ? copy + r->off : NULL;
    copy[r->off + len] = '\0';
    r->off += len;
}

/* Parses card value [p, p+n) of lseq into *c (one block: the ident array,
 * then the texts). */
#define NTEXTS 10

/* Skips one text at *off of [p, p+n): 0, or -1 when it does not fit. */
static int skip_text(const uint8_t *p, size_t n, size_t *off)
{
    size_t len;
    if (n - *off < 2)
        return -1;
    len = (size_t)p[*off] << 8 | p[*off + 1];
    if (n - *off - 2 < len)
        return -1;
    *off += 2 + len;
    return 0;
}

static int card_parse(const uint8_t *p, size_t n, uint64_t lseq, ledger_arena_t *arena,
                      ledger_card_t *c, ledger_err_t *err)
{
    cardr_t r = {p, n, CARD_HEAD_LEN + 10};
    size_t nids = 0, off, prev, idbytes = 0;
    const char *last = "";
    const char **texts[NTEXTS];
    char *dst, *copy;

    memset(c, 0, sizeof *c);
    if (n < CARD_HEAD_LEN + 10 || p[CARD_HEAD_LEN] != CARD_VERSION)
        goto bad;
    /* count the identifiers and their bytes first */
    off = CARD_HEAD_LEN + 10;
    for (int i = 0; i < NTEXTS; i++)
        if (skip_text(p, n, &off))
            goto bad;
    for (prev = 0; off < n; nids++) {
        size_t len, shared;
        int extra;
        if (n - off < 4)
            goto bad;
        extra = p[off] & 0x80;
        shared = p[off + 1];
        len = (size_t)p[off + 2] << 8 | p[off + 3];
        if (n - off - 4 < len || shared > prev)
            goto bad;
        prev = shared + len;
        if (shared)
            idbytes += prev + 1; /* built in the block; others lie in the copy */
        off += 4 + len;
        if (extra && (skip_text(p, n, &off) || skip_text(p, n, &off)))
            goto bad;
    }
    /* the block: ids, a copy of the value (texts and identifiers that share
     * no prefix point into it), the other identifiers */
    {
        size_t size = nids * sizeof *c->ids + n + 1 + idbytes;
        void *mem = arena ? ledger_arena_alloc(arena, size, _Alignof(ledger_card_ident_t))
                          : (c->mem = malloc(size));
        if (!mem)
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        c->ids = mem;
    }
    copy = (char *)(c->ids + nids);
    memcpy(copy, p, n);
    dst = copy + n + 1;
    memcpy(c->feed, p, LEDGER_FEED_LEN);
    c->seq = ledger__get_be64(p + LEDGER_FEED_LEN);
    c->record_time_ms = ledger__get_be64(p + LEDGER_FEED_LEN + 8);
    c->lseq = lseq;
    c->error_declaration = p[CARD_HEAD_LEN + 1] & 1;
    c->has_sensors = (p[CARD_HEAD_LEN + 1] & 4) != 0;
    c->temp_uncompared = (p[CARD_HEAD_LEN + 1] & 8) != 0;
    c->time_ms = (int64_t)ledger__get_be64(p + CARD_HEAD_LEN + 2);
    texts[0] = &c->type;
    texts[1] = &c->event_id;
    texts[2] = &c->event_hash;
    texts[3] = &c->action;
    texts[4] = &c->biz_step;
    texts[5] = &c->disposition;
    texts[6] = &c->read_point;
    texts[7] = &c->biz_location;
    texts[8] = &c->event_time;
    texts[9] = &c->max_temp;
    for (int i = 0; i < NTEXTS; i++)
        card_text(&r, copy, texts[i]);
    for (size_t i = 0; i < nids; i++) {
        ledger_card_ident_t *d = &c->ids[i];
        size_t shared = p[r.off + 1], len = (size_t)p[r.off + 2] << 8 | p[r.off + 3];
        int extra = p[r.off] & 0x80;
        memset(d, 0, sizeof *d);
        d->role = p[r.off] & 0x7f;
        if (shared) {
            memcpy(dst, last, shared);
            memcpy(dst + shared, p + r.off + 4, len);
            dst[shared + len] = '\0';
            d->id = last = dst;
            dst += shared + len + 1;
        } else {
            copy[r.off + 4 + len] = '\0';
            d->id = last = copy + r.off + 4;
        }
        r.off += 4 + len;
        if (extra) {
            const char *a, *b;
            card_text(&r, copy, &a);
            card_text(&r, copy, &b);
            d->listed = 1;
            if (d->role == LEDGER_ROLE_SOURCE || d->role == LEDGER_ROLE_DEST) {
                d->type = a;
                d->written = b ? b : d->id;
            } else {
                d->quantity = a;
                d->uom = b;
            }
        }
    }
    c->nids = nids;
    if (!c->type || !c->event_hash || !c->event_time)
        goto bad_free;
    if (p[CARD_HEAD_LEN + 1] & 2) /* the eventID is the event hash */
        c->event_id = c->event_hash;
    return 0;
bad_free:
    free(c->mem); /* in an arena: left to it */
    memset(c, 0, sizeof *c);
bad:
    return ledger_err_set(err, LEDGER_EVERIFY, "the card of local entry %llu is damaged",
                          (unsigned long long)lseq);
}

int ledger_store_card(ledger_store_t *st, uint64_t lseq, ledger_card_t *out, ledger_err_t *err)
{
    return ledger_store_card_in(st, lseq, NULL, out, err);
}

int ledger_store_card_in(ledger_store_t *st, uint64_t lseq, ledger_arena_t *arena,
                         ledger_card_t *out, ledger_err_t *err)
{
    MDB_txn *txn;
    MDB_cursor *c;
    uint8_t kb[8];
    MDB_val k = {8, kb}, v;
    int rc;

    memset(out, 0, sizeof *out);
    ledger__put_be64(kb, lseq);
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    /* a cursor (kept while the store is held) finds a card on the page of
     * the one before without descending the tree: a walk's cards lie
     * together */
    if ((rc = ledger__cursor(st, txn, DB_EDGE, &c, err))) {
        ledger__end_read(st, txn);
        return rc;
    }
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND)
        rc = ledger_err_set(err, LEDGER_ENOTFOUND, "local entry %llu has no event card",
                            (unsigned long long)lseq);
    else if (rc)
        rc = ledger__lmdb_err(err, rc, "cannot read the edge index");
    else {
        const uint8_t *cp;
        size_t cn;
        if (!(rc = ledger_zlog_unpack_tls(st->zcard, txn, &v, &cp, &cn, err)))
            rc = card_parse(cp, cn, lseq, arena, out, err);
        else
            ledger_err_prefix(err, "the event card of local entry %llu", (unsigned long long)lseq);
    }
    ledger__cursor_done(st, c);
    ledger__end_read(st, txn);
    return rc;
}

void ledger_card_free(ledger_card_t *c)
{
    if (!c)
        return;
    free(c->mem);
    memset(c, 0, sizeof *c);
}

/* ---- event IDs, entries by position ------------------------------------- */

static int id_lseqs(ledger_store_t *st, int db, const char *id, uint64_t *lseqs, size_t max,
                    size_t *n, ledger_err_t *err);

/* Calls fn(value, ctx) for every row of db under the key of text (as
 * ledger__index_key files it), in the index's order; a value shorter than
 * min or longer than max bytes is damage. A non-zero return of fn stops
 * the walk and is returned. */
static int key_rows(ledger_store_t *st, int db, const char *text, int canonical, size_t min,
                    size_t max, int (*fn)(const uint8_t *v, void *ctx), void *ctx,
                    ledger_err_t *err)
{
    row_t key;
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    int rc, lrc, op = MDB_SET;

    if (canonical)
        ledger__index_key_canonical(db, text, &key);
    else
        ledger__index_key(db, text, &key);
    k.mv_data = key.key;
    k.mv_size = key.klen;
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    if ((rc = ledger__cursor(st, txn, db, &c, err))) {
        ledger__end_read(st, txn);
        return rc;
    }
    while ((lrc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        op = MDB_NEXT_DUP;
        if (v.mv_size < min || v.mv_size > max) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "damaged %s index row",
                                db == DB_LOC ? "loc" : "evid");
            break;
        }
        if ((rc = fn(v.mv_data, ctx)))
            break;
    }
    if (!rc && lrc && lrc != MDB_NOTFOUND)
        rc = ledger__lmdb_err(err, lrc,
                              db == DB_LOC ? "cannot read the location index"
                                           : "cannot read the event ID index");
    ledger__cursor_done(st, c);
    ledger__end_read(st, txn);
    return rc;
}

int ledger_store_event_lseqs(ledger_store_t *st, const char *id, uint64_t *lseqs, size_t max,
                             size_t *n, ledger_err_t *err)
{
    return id_lseqs(st, DB_EVID, id, lseqs, max, n, err);
}

int ledger_store_declarations(ledger_store_t *st, const char *id, uint64_t *lseqs, size_t max,
                              size_t *n, ledger_err_t *err)
{
    return id_lseqs(st, DB_DECL, id, lseqs, max, n, err);
}

typedef struct loc_ctx {
    ledger_loc_cb fn;
    void *ctx;
} loc_ctx_t;

static int loc_row(const uint8_t *v, void *vctx)
{
    loc_ctx_t *lc = vctx;
    return lc->fn(ledger__get_be64(v), v[8], lc->ctx);
}

int ledger_store_find_location(ledger_store_t *st, const char *location, ledger_loc_cb fn,
                               void *ctx, ledger_err_t *err)
{
    loc_ctx_t lc = {fn, ctx};
    return key_rows(st, DB_LOC, location, 0, 9, 9, loc_row, &lc, err);
}

int ledger_store_find_location_key(ledger_store_t *st, const ledger_key_t *location,
                                   ledger_loc_cb fn, void *ctx, ledger_err_t *err)
{
    loc_ctx_t lc = {fn, ctx};
    return key_rows(st, DB_LOC, location->text, 1, 9, 9, loc_row, &lc, err);
}

int ledger_store_has_declarations(ledger_store_t *st, ledger_err_t *err)
{
    MDB_txn *txn;
    MDB_stat ms;
    int rc;
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    if ((rc = mdb_stat(txn, st->dbi[DB_DECL], &ms)))
        rc = ledger__lmdb_err(err, rc, "cannot read the declaration index");
    else
        rc = ms.ms_entries > 0;
    ledger__end_read(st, txn);
    return rc;
}

typedef struct lseqs_ctx {
    uint64_t *lseqs;
    size_t max, *n;
} lseqs_ctx_t;

static int lseq_row(const uint8_t *v, void *vctx)
{
    lseqs_ctx_t *lc = vctx;
    if (*lc->n < lc->max)
        lc->lseqs[*lc->n] = ledger__get_be64(v);
    (*lc->n)++;
    return 0;
}

/* The lseqs under key id in db (DB_EVID or DB_DECL). */
static int id_lseqs(ledger_store_t *st, int db, const char *id, uint64_t *lseqs, size_t max,
                    size_t *n, ledger_err_t *err)
{
    lseqs_ctx_t lc = {lseqs, max, n};
    *n = 0;
    return key_rows(st, db, id, 0, 8, SIZE_MAX, lseq_row, &lc, err);
}

int ledger_store_get_lseq(ledger_store_t *st, uint64_t lseq, ledger_entry_cb fn, void *ctx,
                          ledger_err_t *err)
{
    MDB_txn *txn;
    ledger_stored_t s;
    uint8_t kb[8];
    MDB_val k = {8, kb}, v;
    ledger_buf_t zb = {0};
    int rc;

    ledger__put_be64(kb, lseq);
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    rc = mdb_get(txn, st->dbi[DB_LOG], &k, &v);
    if (rc == MDB_NOTFOUND)
        rc = ledger_err_set(err, LEDGER_ENOTFOUND, "no local entry %llu", (unsigned long long)lseq);
    else if (rc)
        rc = ledger__lmdb_err(err, rc, "cannot read the log");
    else if ((rc = ledger__load_lseq(st, txn, lseq, &s, &zb, err)) == 0)
        rc = fn(&s, ctx);
    ledger__end_read(st, txn);
    ledger_buf_free(&zb);
    return rc;
}
