/* ledger_streampos.c -- stream positions in the store's meta database
 * (contract: ledger_streampos.h).
 *
 * How it works: a load opens a cursor on meta at the key prefix of the
 * stream and walks the rows while they carry that prefix; a save opens its
 * own write transaction, puts one row per position and commits (LMDB's
 * commit reaches the disk before it returns).
 */
#include "ledger_streampos.h"

#include <string.h>

#include "ledger__store.h"

#define PREFIX "streampos/"
#define PREFIX_LEN (sizeof PREFIX - 1)
#define KEY_LEN_MAX (PREFIX_LEN + LEDGER_STREAMPOS_NAME_MAX + 1 + LEDGER_FEED_LEN)
#define VAL_LEN 9

/* The key prefix of name (through the 0x00); its length, or 0 for a bad name. */
static size_t key_prefix(const char *name, uint8_t out[KEY_LEN_MAX])
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > LEDGER_STREAMPOS_NAME_MAX)
        return 0;
    memcpy(out, PREFIX, PREFIX_LEN);
    memcpy(out + PREFIX_LEN, name, n);
    out[PREFIX_LEN + n] = 0;
    return PREFIX_LEN + n + 1;
}

int ledger_streampos_load(ledger_store_t *st, const char *name, ledger_streampos_cb fn, void *ctx,
                          ledger_err_t *err)
{
    uint8_t key[KEY_LEN_MAX];
    size_t plen = key_prefix(name, key);
    MDB_txn *txn = NULL;
    MDB_cursor *c = NULL;
    MDB_val k = {plen, key}, v;
    int rc, op = MDB_SET_RANGE;
    char hex[2 * LEDGER_FEED_LEN + 1];

    if (!st || !fn || !plen)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_streampos_load: bad stream name");
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_META], &c))) {
        rc = ledger__lmdb_err(err, rc, "cannot read the stream positions");
        goto out;
    }
    for (;;) {
        ledger_streampos_t p;
        rc = mdb_cursor_get(c, &k, &v, op);
        op = MDB_NEXT;
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            break;
        }
        if (rc) {
            rc = ledger__lmdb_err(err, rc, "cannot read the stream positions");
            break;
        }
        if (k.mv_size < plen || memcmp(k.mv_data, key, plen) != 0)
            break;
        if (k.mv_size != plen + LEDGER_FEED_LEN || v.mv_size != VAL_LEN ||
            ((const uint8_t *)v.mv_data)[0] != 1) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "a damaged position row of stream %s", name);
            if (k.mv_size == plen + LEDGER_FEED_LEN)
                rc = ledger_err_set(err, LEDGER_EVERIFY,
                                    "a damaged position row of stream %s, feed %s", name,
                                    ledger__feed_hex((const uint8_t *)k.mv_data + plen, hex));
            break;
        }
        memcpy(p.feed, (const uint8_t *)k.mv_data + plen, LEDGER_FEED_LEN);
        p.seq = ledger__get_be64((const uint8_t *)v.mv_data + 1);
        if ((rc = fn(&p, ctx)))
            break;
    }
out:
    if (c)
        mdb_cursor_close(c);
    ledger__end_read(st, txn);
    return rc;
}

int ledger_streampos_save(ledger_store_t *st, const char *name, const ledger_streampos_t *v,
                          size_t n, ledger_err_t *err)
{
    uint8_t key[KEY_LEN_MAX], val[VAL_LEN];
    size_t plen = key_prefix(name, key);
    MDB_txn *txn;
    int rc;

    if (!st || !plen || (n && !v))
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_streampos_save: bad arguments");
    if (st->rdonly)
        return ledger_err_set(err, LEDGER_ELOCKED, "the store is open read-only");
    if (n == 0)
        return 0;
    if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)))
        return ledger__lmdb_err(err, rc, "cannot keep the stream positions");
    val[0] = 1;
    for (size_t i = 0; i < n; i++) {
        MDB_val k = {plen + LEDGER_FEED_LEN, key}, d = {VAL_LEN, val};
        memcpy(key + plen, v[i].feed, LEDGER_FEED_LEN);
        ledger__put_be64(val + 1, v[i].seq);
        if ((rc = mdb_put(txn, st->dbi[DB_META], &k, &d, 0))) {
            mdb_txn_abort(txn);
            return ledger__lmdb_err(err, rc, "cannot keep the stream positions");
        }
    }
    if ((rc = mdb_txn_commit(txn)))
        return ledger__commit_err(st->env, err, rc, "cannot keep the stream positions");
    return 0;
}
