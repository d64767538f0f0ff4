/* ledger_store_upgrade.c -- brings a store of an older format to the
 * current one (STORE_VERSION in ledger__store.h), inside the write
 * transaction of ledger_store_open. Nothing is lost: the log is only read,
 * and the transaction commits all of it or none.
 *
 * What changed: version 2 put the eventTime in front of the ident rows (an
 * identifier's events in time order) and added the edge database (lseq ->
 * the event's card) and the decl database (the errorDeclarations by the
 * IDs they declare erroneous); version 3 keys the loc rows by the
 * canonical location and adds, for an event whose ILMD gives a lot number,
 * the lot (LGTIN) of its instances as an identifier of role
 * LEDGER_ROLE_LOT (ident rows and card); version 4 indexes that lot for
 * every GTIN of the event (version 3: the first 16) and the lot an
 * instance's Digital Link carries, and keeps the card's highest
 * temperature in CEL (version 3: as written, in any unit) with a flag for
 * readings that could not be converted; version 5 keys every identifier
 * by gs1_ident_key (the key `keten decode` prints) and adds the tree
 * database (each feed's Merkle tree, ledger_tree_db.c), built here from
 * every entry in log order, sealed ones too. From version 1 to 5, these four
 * databases are rebuilt from the log: from every entry that is an event,
 * visible (not sealed) and on its feed's chain (not fork evidence, which
 * has no index rows), read straight from its CBOR payload the way ingest
 * reads a partner's entry (ledger__payload_rows). A feed with sealed
 * entries here is marked so (LEDGER_FEED_SEALED). The other indexes
 * (evid, time, fseq) are unchanged. A progress hook set with
 * ledger_store_on_upgrade hears how far the walk over the log is.
 * Version 6 packs the keys of GS1 Digital Links in ident and loc
 * (ledger_rows.c, set_ident_key), so a version 5 store has those two
 * rebuilt as well, and it allows an entry to be kept compressed
 * (ledger_zlog.h): the walk above reads either form of log value.
 * Version 7 only adds witnesses' cosignature rows (ledger_witness.h), of
 * which a version 6 store has none: from 6 the version alone is written. */
#include <stdlib.h>
#include <string.h>

#include "ledger__store.h"
#include "ledger_entry.h"

static ledger_upgrade_fn progress_fn;
static void *progress_ctx;

void ledger_store_on_upgrade(ledger_upgrade_fn fn, void *ctx)
{
    progress_fn = fn;
    progress_ctx = ctx;
}

/* 1 when lseq is the main chain's entry of feed:seq (the lowest lseq of
 * its fseq rows), 0 for fork evidence; negative on a read error. */
static int on_chain(ledger_store_t *st, MDB_txn *txn, const ledger_entry_t *e, uint64_t lseq)
{
    uint8_t key[LEDGER_FEED_LEN + 8];
    MDB_val k = {sizeof key, key}, v;
    memcpy(key, e->h.feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, e->h.seq);
    if (mdb_get(txn, st->dbi[DB_FSEQ], &k, &v) || v.mv_size != 8)
        return -1;
    return ledger__get_be64(v.mv_data) == lseq;
}

/* 6 -> 7: nothing to rebuild (format 7 only adds rows a format-6 store
 * has none of); the version says that cosignature rows may follow. */
static int set_version(ledger_store_t *st, MDB_txn *txn, ledger_err_t *err)
{
    MDB_val vk = {7, "version"}, vv = {sizeof STORE_VERSION - 1, STORE_VERSION};
    int rc = mdb_put(txn, st->dbi[DB_META], &vk, &vv, 0);
    return rc ? ledger__lmdb_err(err, rc, "upgrade: cannot record the version") : 0;
}

int ledger__store_upgrade(ledger_store_t *st, MDB_txn *txn, char old, ledger_err_t *err)
{
    MDB_cursor *c = NULL;
    MDB_val k, v, vk = {7, "version"}, vv = {sizeof STORE_VERSION - 1, STORE_VERSION};
    rows_t rows = {0};
    ledger_buf_t text = {0};
    char hash[96];
    MDB_stat ms;
    uint64_t done = 0;
    ledger_buf_t zb = {0};
    int rc, op = MDB_FIRST;

    if (old == '6')
        return set_version(st, txn, err);
    if ((rc = mdb_drop(txn, st->dbi[DB_IDENT], 0)) || (rc = mdb_drop(txn, st->dbi[DB_EDGE], 0)) ||
        (rc = mdb_drop(txn, st->dbi[DB_DECL], 0)) || (rc = mdb_drop(txn, st->dbi[DB_LOC], 0)) ||
        (rc = mdb_drop(txn, st->dbi[DB_TREE], 0)))
        return ledger__lmdb_err(err, rc, "upgrade: cannot empty the old index");
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_LOG], &c)))
        return ledger__lmdb_err(err, rc, "upgrade: cannot open a cursor");
    if ((rc = mdb_stat(txn, st->dbi[DB_LOG], &ms))) {
        mdb_cursor_close(c);
        return ledger__lmdb_err(err, rc, "upgrade: cannot count the log");
    }
    if (progress_fn)
        progress_fn(progress_ctx, 0, ms.ms_entries);
    while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        ledger_entry_t e;
        uint64_t lseq;
        int chained;
        op = MDB_NEXT;
        if (progress_fn && ++done % LEDGER_UPGRADE_STEP == 0)
            progress_fn(progress_ctx, done, ms.ms_entries);
        if (k.mv_size != 8) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "upgrade: damaged log key");
            goto done;
        }
        lseq = ledger__get_be64(k.mv_data);
        const uint8_t *eb;
        size_t en;
        if ((rc = ledger_zlog_unpack(st->zlog, txn, &v, &zb, &eb, &en, err)) ||
            (rc = ledger_entry_decode(eb, en, &e, err))) {
            ledger_err_prefix(err, "upgrade: local entry %llu", (unsigned long long)lseq);
            goto done;
        }
        /* every entry is a leaf of its feed's tree (in log order, which is
         * each feed's seq order; a fork's second entry adds nothing) */
        if ((rc = ledger__tree_add(st, txn, e.h.feed, e.h.seq, e.hbytes, e.hlen, err))) {
            ledger_err_prefix(err, "upgrade: local entry %llu", (unsigned long long)lseq);
            goto done;
        }
        if (!e.payload) { /* sealed: its feed is marked as holding sealed entries */
            feedrec_t f;
            if ((rc = ledger__get_feedrec(st, txn, e.h.feed, &f, err)))
                goto done;
            if (!(f.flags & LEDGER_FEED_SEALED)) {
                f.flags |= LEDGER_FEED_SEALED;
                if ((rc = ledger__put_feedrec(st, txn, e.h.feed, &f, err)))
                    goto done;
            }
            continue;
        }
        if (e.h.ptype != LEDGER_PT_EVENT)
            continue;
        if ((chained = on_chain(st, txn, &e, lseq)) < 0) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "upgrade: local entry %llu has no fseq row",
                                (unsigned long long)lseq);
            goto done;
        }
        if (!chained)
            continue;
        if ((rc = ledger__payload_rows(e.payload, e.plen, lseq, &rows, &text, hash, err))) {
            ledger_err_prefix(err, "upgrade: local entry %llu", (unsigned long long)lseq);
            goto done;
        }
        for (size_t i = 0; i < rows.n; i++) {
            MDB_val rk = {rows.v[i].klen, rows.v[i].key}, rv = {rows.v[i].vlen, rows.v[i].val};
            if (rows.v[i].db != DB_IDENT && rows.v[i].db != DB_DECL && rows.v[i].db != DB_LOC)
                continue; /* the other indexes did not change */
            if ((rc = mdb_put(txn, st->dbi[rows.v[i].db], &rk, &rv, 0))) {
                rc = ledger__lmdb_err(err, rc, "upgrade: cannot write an index row");
                goto done;
            }
        }
        if ((rc = ledger__put_card(st, txn, lseq, e.h.feed, e.h.seq, e.h.record_time_ms,
                                   rows.card.data, rows.card.len, err)))
            goto done;
    }
    if (rc != MDB_NOTFOUND) {
        rc = ledger__lmdb_err(err, rc, "upgrade: cannot read the log");
        goto done;
    }
    if ((rc = mdb_put(txn, st->dbi[DB_META], &vk, &vv, 0)))
        rc = ledger__lmdb_err(err, rc, "upgrade: cannot record the version");
    else if (progress_fn)
        progress_fn(progress_ctx, ms.ms_entries, ms.ms_entries);
done:
    mdb_cursor_close(c);
    ledger__rows_free(&rows);
    ledger_buf_free(&text);
    ledger_buf_free(&zb);
    return rc;
}
