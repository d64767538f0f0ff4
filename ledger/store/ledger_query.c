/* ledger_query.c -- reading a store (see ledger_store.h): feed heads, the
 * log in local order, an entry by feed:seq, and the index look-ups by event
 * ID and by identifier. Each call runs in its own LMDB read transaction and
 * hands entries to a callback while their bytes are valid. */
#include "ledger_store.h"

#include <lmdb.h>
#include <stdio.h>
#include <string.h>

#include "ledger__store.h"
#include "ledger_epcis.h"

/* ---- reading ---------------------------------------------------------- */

int ledger__begin_read(ledger_store_t *st, MDB_txn **txn, ledger_err_t *err)
{
    int rc;
    if (st->held) { /* ledger_store_hold: the same snapshot for every call */
        *txn = st->rtxn;
        return 0;
    }
    /* one read transaction is kept between calls and renewed: cheaper than
     * a new one each time (no search for a reader slot), which matters for
     * look-ups of a few microseconds */
    if (st->rtxn && !st->rtxn_busy) {
        if ((rc = mdb_txn_renew(st->rtxn)) == 0) {
            st->rtxn_busy = 1;
            *txn = st->rtxn;
            return 0;
        }
        mdb_txn_abort(st->rtxn);
        st->rtxn = NULL;
    }
    rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot begin a read transaction");
    if (!st->rtxn) {
        st->rtxn = *txn;
        st->rtxn_busy = 1;
    }
    return 0;
}

void ledger__end_read(ledger_store_t *st, MDB_txn *txn)
{
    if (st->held && txn == st->rtxn)
        return;
    if (txn == st->rtxn) {
        mdb_txn_reset(txn);
        st->rtxn_busy = 0;
    } else {
        mdb_txn_abort(txn);
    }
}

int ledger_store_hold(ledger_store_t *st, ledger_err_t *err)
{
    MDB_txn *txn;
    int rc;
    if (st->held) {
        st->held++;
        return 0;
    }
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    if (txn != st->rtxn) { /* the kept one is busy: a call is under way */
        ledger__end_read(st, txn);
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_store_hold: a read is under way");
    }
    st->held = 1;
    return 0;
}

void ledger_store_release(ledger_store_t *st)
{
    if (!st || !st->held || --st->held)
        return;
    for (int i = 0; i < DB_COUNT; i++)
        if (st->hcur[i]) {
            mdb_cursor_close(st->hcur[i]);
            st->hcur[i] = NULL;
        }
    ledger__end_read(st, st->rtxn);
}

int ledger__cursor(ledger_store_t *st, MDB_txn *txn, int db, MDB_cursor **c, ledger_err_t *err)
{
    int rc;
    if (st->held && txn == st->rtxn && st->hcur[db]) {
        *c = st->hcur[db];
        return 0;
    }
    if ((rc = mdb_cursor_open(txn, st->dbi[db], c)))
        return ledger__lmdb_err(err, rc, "cannot open a cursor");
    if (st->held && txn == st->rtxn)
        st->hcur[db] = *c;
    return 0;
}

void ledger__cursor_done(ledger_store_t *st, MDB_cursor *c)
{
    for (int i = 0; i < DB_COUNT; i++)
        if (st->hcur[i] == c)
            return;
    mdb_cursor_close(c);
}

int ledger_store_head(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                      ledger_feed_head_t *out, ledger_err_t *err)
{
    MDB_txn *txn;
    feedrec_t f;
    int rc;
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    rc = ledger__get_feedrec(st, txn, feed, &f, err);
    ledger__end_read(st, txn);
    if (rc == LEDGER_ENOTFOUND) {
        char hex[65];
        return ledger_err_set(err, rc, "no feed %s in this store", ledger__feed_hex(feed, hex));
    }
    if (rc)
        return rc;
    memcpy(out->feed, feed, LEDGER_FEED_LEN);
    out->seq = f.seq;
    memcpy(out->hash, f.hash, LEDGER_HASH_LEN);
    out->flags = f.flags;
    return 0;
}

int ledger_store_feeds(ledger_store_t *st, ledger_feed_cb fn, void *ctx, ledger_err_t *err)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    int rc, op = MDB_FIRST;
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_FEEDS], &c))) {
        ledger__end_read(st, txn);
        return ledger__lmdb_err(err, rc, "cannot open a cursor");
    }
    while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        ledger_feed_head_t h;
        feedrec_t f;
        op = MDB_NEXT;
        if (k.mv_size != LEDGER_FEED_LEN || ledger__feedrec_decode(&v, &f)) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "damaged feed record");
            break;
        }
        memcpy(h.feed, k.mv_data, LEDGER_FEED_LEN);
        h.seq = f.seq;
        memcpy(h.hash, f.hash, LEDGER_HASH_LEN);
        h.flags = f.flags;
        if ((rc = fn(&h, ctx)))
            break;
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
    mdb_cursor_close(c);
    ledger__end_read(st, txn);
    return rc;
}

int ledger__load_lseq(ledger_store_t *st, MDB_txn *txn, uint64_t lseq, ledger_stored_t *s,
                      ledger_buf_t *zb, ledger_err_t *err)
{
    uint8_t kb[8];
    MDB_val k = {8, kb}, v;
    int rc;
    ledger__put_be64(kb, lseq);
    rc = mdb_get(txn, st->dbi[DB_LOG], &k, &v);
    if (rc == MDB_NOTFOUND)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "index points at local entry %llu, which "
                              "is not in the log",
                              (unsigned long long)lseq);
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the log");
    s->lseq = lseq;
    if ((rc = ledger_zlog_unpack(st->zlog, txn, &v, zb, &s->bytes, &s->len, err)) ||
        (rc = ledger_entry_decode(s->bytes, s->len, &s->e, err)))
        return ledger_err_prefix(err, "local entry %llu", (unsigned long long)lseq);
    return 0;
}

int ledger_store_scan(ledger_store_t *st, uint64_t from, ledger_entry_cb fn, void *ctx,
                      ledger_err_t *err)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    uint8_t kb[8];
    ledger_buf_t zb = {0};
    int rc, op = MDB_SET_RANGE;

    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_LOG], &c))) {
        ledger__end_read(st, txn);
        return ledger__lmdb_err(err, rc, "cannot open a cursor");
    }
    ledger__put_be64(kb, from);
    k.mv_data = kb;
    k.mv_size = 8;
    while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        ledger_stored_t s;
        op = MDB_NEXT;
        s.lseq = ledger__get_be64(k.mv_data);
        if ((rc = ledger_zlog_unpack(st->zlog, txn, &v, &zb, &s.bytes, &s.len, err)) ||
            (rc = ledger_entry_decode(s.bytes, s.len, &s.e, err))) {
            ledger_err_prefix(err, "local entry %llu", (unsigned long long)s.lseq);
            break;
        }
        if ((rc = fn(&s, ctx)))
            break;
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
    mdb_cursor_close(c);
    ledger__end_read(st, txn);
    ledger_buf_free(&zb);
    return rc;
}

int ledger_store_get(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN], uint64_t seq,
                     ledger_entry_cb fn, void *ctx, ledger_err_t *err)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    uint8_t key[LEDGER_FEED_LEN + 8];
    ledger_buf_t zb = {0};
    int rc, found = 0, op = MDB_SET;

    memcpy(key, feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, seq);
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_FSEQ], &c))) {
        ledger__end_read(st, txn);
        return ledger__lmdb_err(err, rc, "cannot open a cursor");
    }
    k.mv_data = key;
    k.mv_size = sizeof key;
    /* more than one value: fork evidence; hand out every one */
    while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        ledger_stored_t s;
        op = MDB_NEXT_DUP;
        found = 1;
        if ((rc = ledger__load_lseq(st, txn, ledger__get_be64(v.mv_data), &s, &zb, err)) ||
            (rc = fn(&s, ctx)))
            break;
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
    ledger_buf_free(&zb);
    mdb_cursor_close(c);
    ledger__end_read(st, txn);
    if (!rc && !found) {
        char hex[65];
        return ledger_err_set(err, LEDGER_ENOTFOUND, "no entry %s:%llu in this store",
                              ledger__feed_hex(feed, hex), (unsigned long long)seq);
    }
    return rc;
}

/* Walks the dups of key in index db; calls fn (entry) or ifn (entry, role). */
static int walk_index(ledger_store_t *st, int db, const row_t *key, ledger_entry_cb fn,
                      ledger_ident_cb ifn, void *ctx, int *found, ledger_err_t *err)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k = {key->klen, (void *)key->key}, v;
    ledger_buf_t zb = {0};
    int rc, op = MDB_SET;

    *found = 0;
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    if ((rc = mdb_cursor_open(txn, st->dbi[db], &c))) {
        ledger__end_read(st, txn);
        return ledger__lmdb_err(err, rc, "cannot open a cursor");
    }
    while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        ledger_stored_t s;
        op = MDB_NEXT_DUP;
        *found = 1;
        const uint8_t *val = v.mv_data;
        size_t at = ROW_LSEQ_AT(db);
        if (v.mv_size < at + 8) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "damaged %s index row", ledger__db_names[db]);
            break;
        }
        if ((rc = ledger__load_lseq(st, txn, ledger__get_be64(val + at), &s, &zb, err)))
            break;
        rc = ifn ? ifn(&s, v.mv_size > at + 8 ? val[at + 8] : 0, ctx) : fn(&s, ctx);
        if (rc)
            break;
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
    ledger_buf_free(&zb);
    mdb_cursor_close(c);
    ledger__end_read(st, txn);
    return rc;
}

int ledger_store_find_event(ledger_store_t *st, const char *id, ledger_entry_cb fn, void *ctx,
                            ledger_err_t *err)
{
    row_t key;
    int found, rc;
    ledger__index_key(DB_EVID, id, &key);
    if ((rc = walk_index(st, DB_EVID, &key, fn, NULL, ctx, &found, err)))
        return rc;
    if (!found)
        return ledger_err_set(err, LEDGER_ENOTFOUND, "no event %s in this store", id);
    return 0;
}

int ledger_store_find_ident(ledger_store_t *st, const char *ident, ledger_ident_cb fn, void *ctx,
                            ledger_err_t *err)
{
    ledger_key_t *k = malloc(sizeof *k);
    int rc;
    if (!k)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if ((rc = ledger_key_read(ident, k, err)) == 0)
        rc = ledger_store_find_ident_key(st, k, fn, ctx, err);
    free(k);
    return rc;
}

int ledger_store_find_ident_key(ledger_store_t *st, const ledger_key_t *ident, ledger_ident_cb fn,
                                void *ctx, ledger_err_t *err)
{
    row_t key;
    int found, rc;
    ledger__index_key_canonical(DB_IDENT, ident->text, &key);
    if ((rc = walk_index(st, DB_IDENT, &key, NULL, fn, ctx, &found, err)))
        return rc;
    if (!found)
        return ledger_err_set(err, LEDGER_ENOTFOUND, "no event names %s in this store",
                              ident->given ? ident->given : ident->text);
    return 0;
}

int ledger_store_stats(ledger_store_t *st, ledger_store_stats_t *out, ledger_err_t *err)
{
    MDB_txn *txn;
    MDB_stat ms;
    MDB_envinfo info;
    uint64_t *dst[] = {&out->entries,    &out->feeds,    &out->evid_rows,
                       &out->ident_rows, &out->loc_rows, &out->time_rows};
    int dbs[] = {DB_LOG, DB_FEEDS, DB_EVID, DB_IDENT, DB_LOC, DB_TIME};
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        if ((rc = mdb_stat(txn, st->dbi[dbs[i]], &ms))) {
            ledger__end_read(st, txn);
            return ledger__lmdb_err(err, rc, "cannot read statistics");
        }
        *dst[i] = ms.ms_entries;
    }
    {
        uint64_t *bdst[] = {&out->log_bytes, &out->fseq_bytes, &out->evid_bytes, &out->ident_bytes,
                            &out->loc_bytes, &out->time_bytes, &out->edge_bytes};
        int bdbs[] = {DB_LOG, DB_FSEQ, DB_EVID, DB_IDENT, DB_LOC, DB_TIME, DB_EDGE};
        for (size_t i = 0; i < sizeof bdbs / sizeof bdbs[0]; i++) {
            if ((rc = mdb_stat(txn, st->dbi[bdbs[i]], &ms))) {
                ledger__end_read(st, txn);
                return ledger__lmdb_err(err, rc, "cannot read statistics");
            }
            *bdst[i] = (uint64_t)(ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages) *
                       ms.ms_psize;
        }
    }
    mdb_env_info(st->env, &info);
    mdb_env_stat(st->env, &ms);
    out->map_bytes = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
    ledger__end_read(st, txn);
    return 0;
}
