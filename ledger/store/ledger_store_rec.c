/* ledger_store_rec.c -- the store's small records, below every other file
 * of the store (see ledger__store.h): big-endian u64 keys and values, the
 * feed head record, the event card and the index rows of one event put
 * into their databases, and LMDB's errors turned into keten's.  It calls
 * nothing else of the store, so that ledger_store.c (open, append),
 * ledger_rows.c (index rows) and ledger_store_upgrade.c (format upgrades)
 * use it without calling each other back. */
#include "ledger__store.h"

#include <errno.h>
#include <lmdb.h>
#include <string.h>
#include <sys/statvfs.h>

#include "ledger_entry.h"

/* ---- small helpers ---------------------------------------------------- */

int ledger__lmdb_err(ledger_err_t *err, int rc, const char *what)
{
    int code = LEDGER_EIO;
    if (rc == MDB_MAP_FULL)
        code = LEDGER_ETOOBIG;
    else if (rc == EACCES || rc == EAGAIN)
        code = LEDGER_ELOCKED;
    return ledger_err_set(err, code, "%s: %s", what, mdb_strerror(rc));
}

int ledger__commit_err(MDB_env *env, ledger_err_t *err, int rc, const char *what)
{
    const char *dir = NULL;
    struct statvfs vfs;
    unsigned long long avail;
    if ((rc != ENOSPC && rc != EDQUOT && rc != EIO) || mdb_env_get_path(env, &dir) || !dir ||
        statvfs(dir, &vfs))
        return ledger__lmdb_err(err, rc, what);
    avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    /* LMDB turns a short write (the disk filled up under it) into EIO: a
     * file system with less than a few MB left is the cause then */
    if (rc == EIO && avail >= 4ull << 20)
        return ledger__lmdb_err(err, rc, what);
    return ledger_err_set(err, LEDGER_EIO,
                          "%s: %s: %s (%llu bytes free on its file system): free some space "
                          "and try again",
                          what, dir, rc == EDQUOT ? "disk quota exceeded" : "no space left on device",
                          avail);
}

void ledger__put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

uint64_t ledger__get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

char *ledger__feed_hex(const uint8_t *feed, char out[2 * LEDGER_FEED_LEN + 1])
{
    return ledger_hex(feed, LEDGER_FEED_LEN, out);
}

/* ---- feed records ----------------------------------------------------- */

void ledger__feedrec_encode(const feedrec_t *f, uint8_t out[FEEDREC_LEN])
{
    out[0] = 1;
    ledger__put_be64(out + 1, f->seq);
    memcpy(out + 9, f->hash, LEDGER_HASH_LEN);
    ledger__put_be64(out + 9 + LEDGER_HASH_LEN, f->lseq);
    out[17 + LEDGER_HASH_LEN] = (uint8_t)(f->flags >> 24);
    out[18 + LEDGER_HASH_LEN] = (uint8_t)(f->flags >> 16);
    out[19 + LEDGER_HASH_LEN] = (uint8_t)(f->flags >> 8);
    out[20 + LEDGER_HASH_LEN] = (uint8_t)f->flags;
}

int ledger__feedrec_decode(const MDB_val *v, feedrec_t *f)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size != FEEDREC_LEN || p[0] != 1)
        return LEDGER_EIO;
    f->seq = ledger__get_be64(p + 1);
    memcpy(f->hash, p + 9, LEDGER_HASH_LEN);
    f->lseq = ledger__get_be64(p + 9 + LEDGER_HASH_LEN);
    f->flags = (uint32_t)p[17 + LEDGER_HASH_LEN] << 24 | (uint32_t)p[18 + LEDGER_HASH_LEN] << 16 |
               (uint32_t)p[19 + LEDGER_HASH_LEN] << 8 | p[20 + LEDGER_HASH_LEN];
    return 0;
}

int ledger__put_feedrec(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, const feedrec_t *f,
                        ledger_err_t *err)
{
    uint8_t rec[FEEDREC_LEN];
    MDB_val k = {LEDGER_FEED_LEN, (void *)feed}, v = {FEEDREC_LEN, rec};
    int rc;
    ledger__feedrec_encode(f, rec);
    if ((rc = mdb_put(txn, st->dbi[DB_FEEDS], &k, &v, 0)))
        return ledger__lmdb_err(err, rc, "cannot write the feed head");
    return 0;
}

int ledger__get_feedrec(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, feedrec_t *f,
                        ledger_err_t *err)
{
    MDB_val k = {LEDGER_FEED_LEN, (void *)feed}, v;
    int rc = mdb_get(txn, st->dbi[DB_FEEDS], &k, &v);
    if (rc == MDB_NOTFOUND)
        return LEDGER_ENOTFOUND;
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read a feed head");
    if (ledger__feedrec_decode(&v, f)) {
        char hex[65];
        return ledger_err_set(err, LEDGER_EVERIFY, "feed %s: damaged head record",
                              ledger__feed_hex(feed, hex));
    }
    return 0;
}

int ledger__put_card(ledger_store_t *st, MDB_txn *txn, uint64_t lseq, const uint8_t *feed,
                     uint64_t seq, uint64_t record_time_ms, const uint8_t *body, size_t blen,
                     ledger_err_t *err)
{
    uint8_t kb[8];
    MDB_val k = {8, kb}, v;
    ledger_buf_t *raw = &st->zcard_raw;
    uint8_t *p;
    int rc;
    ledger__put_be64(kb, lseq);
    raw->len = 0;
    if (ledger_buf_reserve(raw, CARD_HEAD_LEN + blen))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    p = raw->data;
    memcpy(p, feed, LEDGER_FEED_LEN);
    ledger__put_be64(p + LEDGER_FEED_LEN, seq);
    ledger__put_be64(p + LEDGER_FEED_LEN + 8, record_time_ms);
    memcpy(p + CARD_HEAD_LEN, body, blen);
    raw->len = CARD_HEAD_LEN + blen;
    /* kept as it is or compressed (ledger_zlog.h); cards are put in lseq
     * order (the log's): appended, pages filled */
    if ((rc = ledger_zlog_pack(st->zcard, txn, st->dbi[DB_EDGE], lseq, raw->data, raw->len,
                               &st->zcard_put, &v, err)))
        return rc;
    if ((rc = mdb_put(txn, st->dbi[DB_EDGE], &k, &v, MDB_APPEND)))
        return ledger__lmdb_err(err, rc, "cannot write an event card");
    return 0;
}

int ledger__put_rows(ledger_store_t *st, MDB_txn *txn, const rows_t *r, const uint8_t *feed,
                     uint64_t seq, uint64_t record_time_ms, ledger_err_t *err)
{
    for (size_t i = 0; i < r->n; i++) {
        MDB_val k = {r->v[i].klen, (void *)r->v[i].key};
        MDB_val v = {r->v[i].vlen, (void *)r->v[i].val};
        int rc = mdb_put(txn, st->dbi[r->v[i].db], &k, &v, 0);
        if (rc)
            return ledger__lmdb_err(err, rc, "cannot write an index row");
    }
    return ledger__put_card(st, txn, r->lseq, feed, seq, record_time_ms, r->card.data, r->card.len,
                            err);
}
