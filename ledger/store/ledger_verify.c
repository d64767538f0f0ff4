/* ledger_verify.c -- `keten verify`: re-checks a whole store (see
 * ledger_store_verify_ex in ledger_store.h) -- every feed's seq continuity,
 * chain links, payload hashes, Merkle tree, checkpoint, signatures, stored
 * event hashes and every index row, then that no row is left that the
 * entries do not explain.  Also the raw access the tests use to damage a
 * store on purpose.
 *
 * Proof by checkpoint.  Before a feed's walk its newest kept checkpoint is
 * opened (its signature by the feed's key, its origin, a size within the
 * feed); the walk recomputes the feed's tree from the entries' headers
 * (ledger__tree_check: each stored tree row must be what the headers
 * give) and, at the checkpoint's size, compares the recomputed root with
 * the signed one.  Then that one signature proves every header under it,
 * so their own signatures are checked only with LEDGER_VERIFY_SIGNATURES;
 * entries after the checkpoint, and feeds without one, have theirs
 * checked.  Each header commits to the signature of the entry before by
 * prev (the hash of header and signature), so a changed signature under a
 * checkpoint still breaks the next entry's link, or for the feed's newest
 * entry the head record's hash: then the signature found unchecked is
 * checked, to name it.
 *
 * Index rows, summed.  An event's rows are not looked up one by one (a
 * random B-tree read each, most of the time of a run): each checker adds
 * a keyed 128-bit hash of every row it expects to a sum per index
 * (ledger_verify_event.c), and at the end one sequential pass over each
 * index sums the rows it holds.  Equal counts and equal sums under a key
 * drawn at random for the run mean equal sets of rows.  When they differ,
 * or when the run finds any problem at all (the summed run cannot tell
 * whether a row before that problem was wrong), verify runs again with a
 * look-up per row, which names the first problem in walk order as before.
 *
 * Two threads.  The one-entry checks (a signature, an event's hash, rows
 * and card: ledger_verify_event.c) are offered to a helper thread with
 * its own read transaction of the same snapshot; the walk checks itself
 * what the helper's full queue refuses.  The first problem in walk order
 * is the one reported, whichever thread found it. */
#include "ledger_store.h"

#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger__store.h"
#include "ledger_note.h"
#include "ledger_tree.h"
#include "ledger_verify_event.h"

/* ---- verification ----------------------------------------------------- */

typedef struct verify_ctx {
    ledger_store_t *st;
    MDB_txn *txn;
    unsigned flags;
    ledger__vchk_t chk;             /* the walk's own checker (its cursors, its row counts) */
    ledger__vpool_t *pool;          /* the helper, or NULL */
    uint64_t expect_rows[DB_COUNT]; /* rows the walk itself accounts for */
    uint64_t done, total, entries;
    ledger_progress_cb progress;
    void *pctx;
    ledger_verify_report_t *report; /* or NULL */
    ledger_buf_t zb;                /* an entry kept compressed, decompressed */
} verify_ctx_t;

/* The walk of one feed: what proves its entries. */
typedef struct feed_walk {
    const uint8_t *feed;
    const feedrec_t *f;
    uint64_t ck_size; /* the kept checkpoint's size, 0 when none */
    ledger_tree_hash_t ck_root;
    uint64_t sigs;     /* entry signatures checked */
    uint64_t evidence; /* fork evidence found */
    uint8_t prev[LEDGER_HASH_LEN];
    ledger__tree_walk_t tw;
} feed_walk_t;

/* Checks the fork evidence of feed:seq (dups rows in fseq; the first, the
 * lowest lseq, is the main chain's entry): each other entry is a valid
 * entry of that feed and seq on its own (signature, payload) and differs
 * from the main chain's. Evidence has no index rows. */
static int verify_evidence(verify_ctx_t *vc, const uint8_t *feed, uint64_t seq, size_t dups,
                           ledger_err_t *err)
{
    MDB_cursor *c;
    uint8_t key[LEDGER_FEED_LEN + 8], main_hash[LEDGER_HASH_LEN];
    MDB_val k = {sizeof key, key}, v;
    ledger_err_t e2;
    int rc = 0, lrc;

    memcpy(key, feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, seq);
    if ((lrc = mdb_cursor_open(vc->txn, vc->st->dbi[DB_FSEQ], &c)))
        return ledger__lmdb_err(err, lrc, "cannot open a cursor");
    lrc = mdb_cursor_get(c, &k, &v, MDB_SET);
    for (size_t i = 0; lrc == 0 && i < dups; i++) {
        ledger_stored_t s;
        uint8_t h[LEDGER_HASH_LEN];
        if (ledger__load_lseq(vc->st, vc->txn, ledger__get_be64(v.mv_data), &s, &vc->zb, &e2)) {
            rc = ledger__vfail(err, feed, seq,
                               i ? "fork evidence does not decode" : "entry does not decode",
                               e2.msg);
            break;
        }
        if (memcmp(s.e.h.feed, feed, LEDGER_FEED_LEN) != 0 || s.e.h.seq != seq) {
            rc = ledger__vfail(err, feed, seq,
                               i ? "fork evidence names another feed or seq"
                                 : "entry's header names another feed or seq",
                               NULL);
            break;
        }
        ledger_entry_hash(&s.e, h);
        if (i == 0) {
            memcpy(main_hash, h, LEDGER_HASH_LEN);
        } else if (memcmp(h, main_hash, LEDGER_HASH_LEN) == 0) {
            rc = ledger__vfail(err, feed, seq, "fork evidence is the main chain's entry again",
                               NULL);
            break;
        } else if (ledger_entry_check_sig(&s.e, &e2) || ledger_entry_check_payload(&s.e, &e2)) {
            rc = ledger__vfail(err, feed, seq, "fork evidence", e2.msg);
            break;
        }
        lrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
    }
    mdb_cursor_close(c);
    if (!rc && lrc && lrc != MDB_NOTFOUND)
        rc = ledger__lmdb_err(err, lrc, "cannot read the feed index");
    return rc;
}

/* Every row of `private` names an own entry of the main chain (feed self,
 * a seq up to the head, the lseq its fseq row gives). Counts them. */
static int verify_private(verify_ctx_t *vc, ledger_err_t *err)
{
    ledger_store_t *st = vc->st;
    MDB_cursor *c;
    MDB_val k, v;
    feedrec_t own;
    int rc, lrc, op = MDB_FIRST, have_own;

    if (st->no_private)
        return 0;
    rc = ledger__get_feedrec(st, vc->txn, st->self, &own, err);
    if (rc < 0 && rc != LEDGER_ENOTFOUND)
        return rc;
    have_own = rc == 0;
    if ((lrc = mdb_cursor_open(vc->txn, st->dbi[DB_PRIVATE], &c)))
        return ledger__lmdb_err(err, lrc, "cannot open a cursor");
    rc = 0;
    while ((lrc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        MDB_val fk = k, fv;
        uint64_t seq;
        op = MDB_NEXT;
        if (k.mv_size != LEDGER_FEED_LEN + 8 || v.mv_size != 8 ||
            memcmp(k.mv_data, st->self, LEDGER_FEED_LEN) != 0) {
            rc = ledger_err_set(err, LEDGER_EVERIFY,
                                "the private index holds a row that names no own entry");
            break;
        }
        seq = ledger__get_be64((const uint8_t *)k.mv_data + LEDGER_FEED_LEN);
        if (!have_own || seq > own.seq) {
            rc = ledger__vfail(err, st->self, seq,
                               "marked private but the own feed has no such entry", NULL);
            break;
        }
        if ((lrc = mdb_get(vc->txn, st->dbi[DB_FSEQ], &fk, &fv))) {
            rc = lrc == MDB_NOTFOUND
                     ? ledger__vfail(err, st->self, seq, "marked private but not in the feed index",
                                     NULL)
                     : ledger__lmdb_err(err, lrc, "cannot read the feed index");
            break;
        }
        if (fv.mv_size != 8 || memcmp(fv.mv_data, v.mv_data, 8) != 0) {
            rc = ledger__vfail(err, st->self, seq, "private row points at another local entry",
                               NULL);
            break;
        }
        vc->expect_rows[DB_PRIVATE]++;
    }
    mdb_cursor_close(c);
    if (!rc && lrc && lrc != MDB_NOTFOUND)
        rc = ledger__lmdb_err(err, lrc, "cannot read the private index");
    return rc;
}

/* The feed's newest kept checkpoint, opened before its walk: signed by the
 * feed's key, of its origin, of a size within the feed.  None: ck_size 0
 * (every signature is checked). */
static int open_checkpoint(verify_ctx_t *vc, feed_walk_t *w, ledger_err_t *err)
{
    char origin[LEDGER_NOTE_ORIGIN_LEN], hex[2 * LEDGER_FEED_LEN + 1];
    MDB_val k = {LEDGER_FEED_LEN, (void *)w->feed}, v;
    ledger_checkpoint_t cp;
    size_t tl;
    int rc = mdb_get(vc->txn, vc->st->dbi[DB_CKPT], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the checkpoints");
    ledger_note_feed_origin(w->feed, origin);
    if ((rc = ledger_note_open(v.mv_data, v.mv_size, origin, w->feed, &tl, err)) ||
        (rc = ledger_checkpoint_parse(v.mv_data, tl, &cp, err)))
        goto bad;
    if (strcmp(cp.origin, origin) != 0) {
        rc = ledger_err_set(err, LEDGER_EVERIFY, "its origin is %s", cp.origin);
        goto bad;
    }
    if (cp.size == 0 || cp.size > w->f->seq) {
        rc =
            ledger_err_set(err, LEDGER_EVERIFY, "its size %llu is not within the %llu entries held",
                           (unsigned long long)cp.size, (unsigned long long)w->f->seq);
        goto bad;
    }
    w->ck_size = cp.size;
    memcpy(w->ck_root, cp.root, LEDGER_TREE_HASH_LEN);
    return 0;
bad:
    ledger_err_prefix(err, "the checkpoint of feed %s", ledger__feed_hex(w->feed, hex));
    if (err)
        err->code = LEDGER_EVERIFY;
    return LEDGER_EVERIFY;
}

/* The root of the tree of the w->tw.next leaves walked so far: the pending
 * complete subtrees (one per set bit of the size), joined from the right. */
static void walk_root(const ledger__tree_walk_t *tw, ledger_tree_hash_t out)
{
    int have = 0;
    for (unsigned level = 0; level < 64; level++) {
        if (!((tw->next >> level) & 1))
            continue;
        if (have)
            ledger_tree_node_hash(tw->edge[level], out, out);
        else
            memcpy(out, tw->edge[level], LEDGER_TREE_HASH_LEN);
        have = 1;
    }
}

/* The entry feed:seq's signature, checked after the fact: the link to it
 * (the next entry's prev, or the head record) is broken and its signature
 * was proven by the checkpoint alone.  LEDGER_EVERIFY naming it when it
 * does not verify, else 0 (the link itself is then what is wrong). */
static int recheck_sig(verify_ctx_t *vc, feed_walk_t *w, uint64_t seq, ledger_err_t *err)
{
    uint8_t key[LEDGER_FEED_LEN + 8];
    MDB_val k = {sizeof key, key}, v;
    ledger_stored_t s;
    if (seq == 0 || seq > w->ck_size || (vc->flags & LEDGER_VERIFY_SIGNATURES))
        return 0;
    memcpy(key, w->feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, seq);
    if (mdb_get(vc->txn, vc->st->dbi[DB_FSEQ], &k, &v) || v.mv_size != 8 ||
        ledger__load_lseq(vc->st, vc->txn, ledger__get_be64(v.mv_data), &s, &vc->zb, NULL) ||
        ledger_entry_check_sig(&s.e, NULL) == 0)
        return 0;
    return ledger__vfail(err, w->feed, seq, "signature",
                         "Ed25519 signature does not verify (found by the broken link to it: "
                         "under a checkpoint keten verify checks signatures one by one only "
                         "with --signatures)");
}

/* One entry of the walk, seq: found in fseq (its dups handled), loaded. */
static int verify_entry(verify_ctx_t *vc, feed_walk_t *w, uint64_t seq, const ledger_stored_t *s,
                        ledger_err_t *err)
{
    const uint8_t *feed = w->feed;
    ledger_err_t e2;
    int rc;

    if (memcmp(s->e.h.feed, feed, LEDGER_FEED_LEN) != 0 || s->e.h.seq != seq)
        return ledger__vfail(err, feed, seq, "entry's header names another feed or seq", NULL);
    if (memcmp(s->e.h.prev, w->prev, LEDGER_HASH_LEN) != 0)
        return (rc = recheck_sig(vc, w, seq - 1, err))
                   ? rc
                   : ledger__vfail(err, feed, seq,
                                   "chain link broken: prev is not the hash of the entry before",
                                   NULL);
    if ((rc = ledger_entry_check_payload(&s->e, &e2)))
        return ledger__vfail(err, feed, seq, "payload", e2.msg);
    if (!s->e.payload && !(w->f->flags & LEDGER_FEED_SEALED))
        return ledger__vfail(err, feed, seq,
                             "a sealed entry, but the feed is not marked as holding any", NULL);
    {
        ledger__vitem_t it = {.feed = feed,
                              .seq = seq,
                              .lseq = s->lseq,
                              .record_time_ms = s->e.h.record_time_ms,
                              .hbytes = s->e.hbytes,
                              .hlen = s->e.hlen};
        if ((vc->flags & LEDGER_VERIFY_SIGNATURES) || seq > w->ck_size) {
            it.sig = s->e.sig;
            w->sigs++;
        }
        if (s->e.payload && s->e.h.ptype == LEDGER_PT_EVENT) {
            it.payload = s->e.payload;
            it.plen = s->e.plen;
        }
        if ((it.sig || it.payload) &&
            !(vc->pool && ledger__vpool_offer(vc->pool, &it, vc->entries)) &&
            (rc = ledger__vchk_entry(&vc->chk, &it, err)))
            return rc;
    }
    if ((rc = ledger__tree_check(vc->st, vc->txn, feed, seq, s->e.hbytes, s->e.hlen, &w->tw, err)))
        return rc;
    vc->expect_rows[DB_TREE]++;
    if (seq == w->ck_size) {
        ledger_tree_hash_t root;
        char hex[2 * LEDGER_FEED_LEN + 1];
        walk_root(&w->tw, root);
        if (memcmp(root, w->ck_root, LEDGER_TREE_HASH_LEN) != 0)
            return ledger_err_set(err, LEDGER_EVERIFY,
                                  "the checkpoint of feed %s: its root is not the root of the "
                                  "feed's first %llu entries, recomputed from their headers",
                                  ledger__feed_hex(feed, hex), (unsigned long long)seq);
    }
    ledger_entry_hash(&s->e, w->prev);
    return 0;
}

/* The walk of a feed over seq 1 .. the head. */
static int verify_chain(verify_ctx_t *vc, feed_walk_t *w, ledger_err_t *err)
{
    uint8_t key[LEDGER_FEED_LEN + 8];
    const uint8_t *feed = w->feed;
    ledger_err_t e2;
    int rc;

    memcpy(key, feed, LEDGER_FEED_LEN);
    for (uint64_t seq = 1; seq <= w->f->seq; seq++) {
        MDB_val k = {LEDGER_FEED_LEN + 8, key}, v;
        ledger_stored_t s;
        size_t dups = 0;

        ledger__put_be64(key + LEDGER_FEED_LEN, seq);
        rc = mdb_cursor_get(vc->chk.cur[DB_FSEQ], &k, &v, MDB_SET);
        if (rc == MDB_NOTFOUND)
            return ledger__vfail(err, feed, seq, "entry missing (the feed's head is further on)",
                                 NULL);
        if (rc)
            return ledger__lmdb_err(err, rc, "cannot read the feed index");
        mdb_cursor_count(vc->chk.cur[DB_FSEQ], &dups);
        if (dups > 1 && !(w->f->flags & LEDGER_FEED_FORKED))
            return ledger__vfail(err, feed, seq,
                                 "two entries with this seq but the feed is not marked forked",
                                 NULL);
        vc->expect_rows[DB_FSEQ] += dups;
        if (dups > 1 && (rc = verify_evidence(vc, feed, seq, dups, err)))
            return rc;
        if (dups > 1)
            w->evidence++;
        if ((rc = ledger__load_lseq(vc->st, vc->txn, ledger__get_be64(v.mv_data), &s, &vc->zb, &e2)))
            return ledger__vfail(err, feed, seq, "entry does not decode", e2.msg);
        if ((rc = verify_entry(vc, w, seq, &s, err)))
            return rc;
        vc->entries++;
        if (vc->progress && ++vc->done % 10000 == 0)
            vc->progress(vc->done, vc->total, vc->pctx);
    }
    return 0;
}

/* Adds the feed's line to the report. */
static int report_feed(verify_ctx_t *vc, const feed_walk_t *w, ledger_err_t *err)
{
    ledger_verify_report_t *r = vc->report;
    ledger_verify_feed_t *nf;
    if (!r)
        return 0;
    if (!(nf = realloc(r->feeds, (r->nfeeds + 1) * sizeof *nf)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    r->feeds = nf;
    nf += r->nfeeds++;
    memcpy(nf->feed, w->feed, LEDGER_FEED_LEN);
    nf->entries = w->f->seq;
    nf->checkpoint_size = w->ck_size;
    nf->signatures = w->sigs;
    r->entries += w->f->seq;
    r->signatures += w->sigs + (w->ck_size ? 1 : 0);
    return 0;
}

static int verify_feed(verify_ctx_t *vc, const uint8_t *feed, const feedrec_t *f, ledger_err_t *err)
{
    feed_walk_t *w = calloc(1, sizeof *w);
    int rc;

    if (!w)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    w->feed = feed;
    w->f = f;
    if ((rc = open_checkpoint(vc, w, err)) || (rc = verify_chain(vc, w, err)))
        goto done;
    if (memcmp(w->prev, f->hash, LEDGER_HASH_LEN) != 0) {
        if (!(rc = recheck_sig(vc, w, f->seq, err)))
            rc = ledger__vfail(err, feed, f->seq,
                               "the feed's recorded head hash is not its last entry's", NULL);
        goto done;
    }
    if ((f->flags & LEDGER_FEED_FORKED) && !w->evidence) {
        /* a checkpoint of another history is evidence too (checked with
         * the checkpoints) */
        uint8_t fk[LEDGER_FEED_LEN + 1];
        MDB_val k = {sizeof fk, fk}, v;
        memcpy(fk, feed, LEDGER_FEED_LEN);
        fk[LEDGER_FEED_LEN] = 1;
        if (mdb_get(vc->txn, vc->st->dbi[DB_CKPT], &k, &v) == 0)
            w->evidence = 1;
    }
    if ((f->flags & LEDGER_FEED_FORKED) && !w->evidence) {
        rc = ledger__vfail(err, feed, f->seq,
                           "the feed is marked forked but holds no fork evidence", NULL);
        goto done;
    }
    rc = report_feed(vc, w, err);
done:
    free(w);
    return rc;
}

/* Every feed's walk, in the order of the feeds database. */
static int verify_feeds(verify_ctx_t *vc, ledger_err_t *err)
{
    MDB_cursor *fc;
    MDB_val k, v;
    int rc, op = MDB_FIRST;
    if ((rc = mdb_cursor_open(vc->txn, vc->st->dbi[DB_FEEDS], &fc)))
        return ledger__lmdb_err(err, rc, "cannot open a cursor");
    while ((rc = mdb_cursor_get(fc, &k, &v, op)) == 0) {
        feedrec_t f;
        op = MDB_NEXT;
        if (k.mv_size != LEDGER_FEED_LEN || ledger__feedrec_decode(&v, &f)) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "a feed head record is damaged");
            break;
        }
        if ((rc = verify_feed(vc, k.mv_data, &f, err)))
            break;
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
    else if (rc > 0)
        rc = ledger__lmdb_err(err, rc, "cannot read the feeds");
    mdb_cursor_close(fc);
    return rc;
}

/* Every row must be explained: no entry in the log or row in an index
 * that no feed accounts for. */
static int verify_counts(verify_ctx_t *vc, ledger_err_t *err)
{
    ledger_store_t *st = vc->st;
    MDB_stat ms;
    int rc;
    vc->expect_rows[DB_LOG] = vc->expect_rows[DB_FSEQ];
    for (int i = DB_LOG; i < DB_COUNT; i++) {
        if (i == DB_FEEDS || (i == DB_PRIVATE && st->no_private))
            continue;
        if ((rc = mdb_stat(vc->txn, st->dbi[i], &ms)))
            return ledger__lmdb_err(err, rc, "cannot read statistics");
        if (ms.ms_entries != vc->expect_rows[i])
            return ledger_err_set(
                err, LEDGER_EVERIFY, "the %s %s holds %llu rows but the entries explain %llu",
                ledger__db_names[i], i == DB_LOG ? "database" : "index",
                (unsigned long long)ms.ms_entries, (unsigned long long)vc->expect_rows[i]);
        if (vc->report && i >= DB_EVID && i <= DB_TIME)
            vc->report->index_rows += ms.ms_entries;
    }
    return 0;
}

/* One verification run: exact looks every event's index row up; else
 * the rows are summed under key and the summed indexes compared whole at
 * the end.  1 (and nothing reported) when only the sums differ. */
static int verify_run(ledger_store_t *st, unsigned flags, int exact, const uint8_t *key,
                      ledger_progress_cb progress, void *ctx, ledger_verify_report_t *report,
                      ledger_err_t *err)
{
    verify_ctx_t vc;
    MDB_stat ms;
    int rc;

    memset(&vc, 0, sizeof vc);
    if (report)
        memset(report, 0, sizeof *report);
    vc.st = st;
    vc.flags = flags;
    vc.progress = progress;
    vc.pctx = ctx;
    vc.report = report;
    if ((rc = ledger__begin_read(st, &vc.txn, err)))
        return rc;
    if ((rc = ledger__vchk_open(&vc.chk, st, vc.txn, exact, key, err)))
        goto done;
    if ((rc = mdb_stat(vc.txn, st->dbi[DB_LOG], &ms))) {
        rc = ledger__lmdb_err(err, rc, "cannot read statistics");
        goto done;
    }
    vc.total = ms.ms_entries;
    if (vc.total >= 1000 && !(flags & LEDGER_VERIFY_ONE_THREAD))
        vc.pool = ledger__vpool_start(st, vc.txn, &vc.chk);
    rc = verify_feeds(&vc, err);
    if (vc.pool) {
        uint64_t order = 0;
        ledger_err_t e2;
        int prc = ledger__vpool_finish(vc.pool, &vc.chk, &order, &e2);
        vc.pool = NULL;
        /* the walk stopped at entry vc.entries, or went through */
        if (prc && (!rc || order < vc.entries)) {
            rc = prc;
            if (err)
                *err = e2;
        }
    }
    if (rc)
        goto done;
    if (!vc.chk.exact && (rc = ledger__vchk_sums_check(&vc.chk, err)))
        goto done;
    for (int i = 0; i < DB_COUNT; i++)
        vc.expect_rows[i] += vc.chk.rows[i];
    uint64_t ncosigs = 0;
    if ((rc = verify_private(&vc, err)) ||
        (rc = ledger__checkpoints_verify(st, vc.txn, &vc.expect_rows[DB_CKPT], err)) ||
        (rc = ledger__cosigs_verify(st, vc.txn, &ncosigs, err)))
        goto done;
    vc.expect_rows[DB_CKPT] += ncosigs;
    if ((rc = verify_counts(&vc, err)))
        goto done;
    if (progress)
        progress(vc.done, vc.total, ctx);
done:
    if (vc.pool) {
        uint64_t order;
        ledger__vpool_finish(vc.pool, &vc.chk, &order, NULL);
    }
    ledger__vchk_close(&vc.chk);
    ledger__end_read(st, vc.txn);
    ledger_buf_free(&vc.zb);
    if (rc && report)
        ledger_verify_report_free(report);
    return rc;
}

int ledger_store_verify_ex(ledger_store_t *st, unsigned flags, ledger_progress_cb progress,
                           void *ctx, ledger_verify_report_t *report, ledger_err_t *err)
{
    uint8_t key[VCHK_KEY_LEN];
    int rc;
    randombytes_buf(key, sizeof key);
    rc = verify_run(st, flags, 0, key, progress, ctx, report, err);
    /* An index differs from what the entries give (1), or a problem was
     * found: the summed run cannot tell whether an index row before it
     * was wrong, so the exact run names the first problem in walk order. */
    if (rc == 1 || rc == LEDGER_EVERIFY)
        rc = verify_run(st, flags, 1, NULL, progress, ctx, report, err);
    return rc;
}

int ledger_store_verify(ledger_store_t *st, ledger_progress_cb progress, void *ctx,
                        ledger_err_t *err)
{
    return ledger_store_verify_ex(st, 0, progress, ctx, NULL, err);
}

void ledger_verify_report_free(ledger_verify_report_t *r)
{
    if (!r)
        return;
    free(r->feeds);
    memset(r, 0, sizeof *r);
}

/* ---- raw access for tests --------------------------------------------- */

int ledger_store_debug_put_entry(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                                 uint64_t seq, const uint8_t *bytes, size_t len, ledger_err_t *err)
{
    MDB_txn *txn;
    uint8_t key[LEDGER_FEED_LEN + 8];
    MDB_val k = {sizeof key, key}, v;
    int rc;

    memcpy(key, feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, seq);
    if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)))
        return ledger__lmdb_err(err, rc, "cannot begin");
    if ((rc = mdb_get(txn, st->dbi[DB_FSEQ], &k, &v)) == 0) {
        MDB_val lk = {8, v.mv_data}, lv = {len, (void *)bytes};
        uint8_t lb[8];
        memcpy(lb, v.mv_data, 8);
        lk.mv_data = lb;
        rc = mdb_put(txn, st->dbi[DB_LOG], &lk, &lv, 0);
    }
    if (rc) {
        mdb_txn_abort(txn);
        return ledger__lmdb_err(err, rc, "cannot replace the entry");
    }
    if ((rc = mdb_txn_commit(txn)))
        return ledger__lmdb_err(err, rc, "cannot commit");
    return 0;
}

int ledger_store_index_key(const char *db, const char *text, uint8_t *out, size_t cap)
{
    row_t row;
    int i;
    for (i = DB_EVID; i <= DB_LOC; i++)
        if (strcmp(ledger__db_names[i], db) == 0)
            break;
    if (i > DB_LOC)
        return -1;
    ledger__index_key(i, text, &row);
    if (row.klen > cap)
        return -1;
    memcpy(out, row.key, row.klen);
    return (int)row.klen;
}

int ledger_store_debug_del_row(ledger_store_t *st, const char *db, const char *key,
                               ledger_err_t *err)
{
    MDB_txn *txn;
    MDB_val k;
    row_t row;
    int rc, i;

    for (i = DB_EVID; i <= DB_LOC; i++)
        if (strcmp(ledger__db_names[i], db) == 0)
            break;
    if (i > DB_LOC)
        return ledger_err_set(err, LEDGER_EINVAL, "no index %s (evid, ident or loc)", db);
    ledger__index_key(i, key, &row);
    k.mv_data = row.key;
    k.mv_size = row.klen;
    if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)))
        return ledger__lmdb_err(err, rc, "cannot begin");
    if ((rc = mdb_del(txn, st->dbi[i], &k, NULL))) {
        mdb_txn_abort(txn);
        return ledger__lmdb_err(err, rc, "cannot delete the row");
    }
    if ((rc = mdb_txn_commit(txn)))
        return ledger__lmdb_err(err, rc, "cannot commit");
    return 0;
}
