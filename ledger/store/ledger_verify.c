/* ledger_verify.c -- `keten verify`: re-checks a whole store (see
 * ledger_store_verify in ledger_store.h) -- every feed's seq continuity, chain
 * links, payload hashes, signatures, stored event hashes and every index
 * row, then that no row is left that the entries do not explain. Also the
 * raw access the tests use to damage a store on purpose. */
#include "ledger_store.h"

#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger__store.h"
#include "ledger_evhash.h"

/* ---- verification ----------------------------------------------------- */

/* Signature checks are the bulk of verify (Ed25519 verify ~55 us, the rest of
 * an entry's checks ~10 us), so every other entry's signature goes to a
 * helper thread through this queue; the walk reports the first problem in
 * walk order, whichever thread found it. */
#define SIGQ 1024
#define HDR_MAX 192

typedef struct sigjob {
    uint64_t order, seq;
    uint8_t feed[LEDGER_FEED_LEN], sig[LEDGER_SIG_LEN], h[HDR_MAX];
    size_t hlen;
} sigjob_t;

typedef struct sigq {
    sigjob_t *jobs;
    size_t pushed, popped;
    int closed, waiting; /* waiting: how many threads wait on cv (both may: a flag was lost) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int bad; /* the earliest failing job, by walk order */
    uint64_t bad_order, bad_seq;
    uint8_t bad_feed[LEDGER_FEED_LEN];
} sigq_t;

static void *sig_worker(void *arg)
{
    sigq_t *q = arg;
    for (;;) {
        sigjob_t *j;
        pthread_mutex_lock(&q->mu);
        while (q->popped == q->pushed && !q->closed) {
            q->waiting++;
            pthread_cond_wait(&q->cv, &q->mu);
            q->waiting--;
        }
        if (q->popped == q->pushed) {
            pthread_mutex_unlock(&q->mu);
            return NULL;
        }
        j = &q->jobs[q->popped % SIGQ];
        pthread_mutex_unlock(&q->mu);
        if (crypto_sign_verify_detached(j->sig, j->h, j->hlen, j->feed) != 0) {
            pthread_mutex_lock(&q->mu);
            if (!q->bad || j->order < q->bad_order) {
                q->bad = 1;
                q->bad_order = j->order;
                q->bad_seq = j->seq;
                memcpy(q->bad_feed, j->feed, LEDGER_FEED_LEN);
            }
            pthread_mutex_unlock(&q->mu);
        }
        pthread_mutex_lock(&q->mu);
        q->popped++;
        if (q->waiting)
            pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
    }
}

/* Hands entry e's signature check to the helper (waits while the queue is
 * full). */
static void sig_push(sigq_t *q, const ledger_entry_t *e, uint64_t order)
{
    sigjob_t *j;
    pthread_mutex_lock(&q->mu);
    while (q->pushed - q->popped == SIGQ) {
        q->waiting++;
        pthread_cond_wait(&q->cv, &q->mu);
        q->waiting--;
    }
    j = &q->jobs[q->pushed % SIGQ];
    pthread_mutex_unlock(&q->mu);
    j->order = order;
    j->seq = e->h.seq;
    memcpy(j->feed, e->h.feed, LEDGER_FEED_LEN);
    memcpy(j->sig, e->sig, LEDGER_SIG_LEN);
    memcpy(j->h, e->hbytes, e->hlen);
    j->hlen = e->hlen;
    pthread_mutex_lock(&q->mu);
    q->pushed++;
    if (q->waiting)
        pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

typedef struct verify_ctx {
    sigq_t *sigq; /* NULL: check every signature inline */
    ledger_store_t *st;
    MDB_txn *txn;
    MDB_cursor *cur[DB_COUNT];
    uint64_t expect_rows[DB_COUNT];
    uint64_t done, total, entries;
    ledger_progress_cb progress;
    void *pctx;
    rows_t rows;
} verify_ctx_t;

static int vfail(ledger_err_t *err, const uint8_t *feed, uint64_t seq, const char *what,
                 const char *detail)
{
    char hex[65];
    return ledger_err_set(err, LEDGER_EVERIFY, "feed %s seq %llu: %s%s%s",
                          ledger__feed_hex(feed, hex), (unsigned long long)seq, what,
                          detail ? ": " : "", detail ? detail : "");
}

/* Checks the event payload of one entry: its stored hash against a fresh
 * computation, and that every index row it implies is present. */
static int verify_event(verify_ctx_t *vc, const ledger_stored_t *s, ledger_err_t *err)
{
    json_t *ev = NULL;
    char stored[96], fresh[LEDGER_EVHASH_LEN];
    const char *event_id;
    ledger_err_t e2;
    int rc;

    if ((rc =
             ledger_event_payload_decode(s->e.payload, s->e.plen, &ev, stored, sizeof stored, &e2)))
        return vfail(err, s->e.h.feed, s->e.h.seq, "payload does not decode", e2.msg);
    if ((rc = ledger_evhash_compute(ev, NULL, fresh, &e2))) {
        rc = vfail(err, s->e.h.feed, s->e.h.seq, "event hash cannot be computed", e2.msg);
        goto done;
    }
    if (strcmp(fresh, stored) != 0) {
        rc = vfail(err, s->e.h.feed, s->e.h.seq, "stored event hash differs from the event's",
                   stored);
        goto done;
    }
    event_id = json_string_value(json_object_get(ev, "eventID"));
    if (!event_id)
        event_id = stored;
    if ((rc = ledger__event_rows(ev, event_id, stored, s->lseq, &vc->rows, &e2))) {
        rc = vfail(err, s->e.h.feed, s->e.h.seq, "event cannot be indexed", e2.msg);
        goto done;
    }
    for (size_t i = 0; i < vc->rows.n; i++) {
        row_t *r = &vc->rows.v[i];
        MDB_val k = {r->klen, r->key}, v = {r->vlen, r->val};
        rc = mdb_cursor_get(vc->cur[r->db], &k, &v, MDB_GET_BOTH);
        if (rc == MDB_NOTFOUND) {
            char what[600];
            if (r->db == DB_TIME)
                snprintf(what, sizeof what, "time index row missing");
            else if (r->db == DB_EVID && r->klen == 33 && r->key[0] == 0x01)
                snprintf(what, sizeof what, "evid index row missing for %s", stored);
            else
                snprintf(what, sizeof what, "%s index row missing for \"%.*s\"",
                         ledger__db_names[r->db], (int)r->klen, (const char *)r->key);
            rc = vfail(err, s->e.h.feed, s->e.h.seq, what, NULL);
            goto done;
        }
        if (rc) {
            rc = ledger__lmdb_err(err, rc, "cannot read an index");
            goto done;
        }
        vc->expect_rows[r->db]++;
    }
    {
        /* the card: the entry's header and exactly the body its rows imply */
        uint8_t kb[8];
        MDB_val k = {8, kb}, v;
        const uint8_t *p;
        ledger__put_be64(kb, s->lseq);
        rc = mdb_cursor_get(vc->cur[DB_EDGE], &k, &v, MDB_SET_KEY);
        if (rc == MDB_NOTFOUND) {
            rc = vfail(err, s->e.h.feed, s->e.h.seq, "event card missing", NULL);
            goto done;
        }
        if (rc) {
            rc = ledger__lmdb_err(err, rc, "cannot read the edge index");
            goto done;
        }
        p = v.mv_data;
        if (v.mv_size != CARD_HEAD_LEN + vc->rows.card.len ||
            memcmp(p, s->e.h.feed, LEDGER_FEED_LEN) != 0 ||
            ledger__get_be64(p + LEDGER_FEED_LEN) != s->e.h.seq ||
            ledger__get_be64(p + LEDGER_FEED_LEN + 8) != s->e.h.record_time_ms ||
            memcmp(p + CARD_HEAD_LEN, vc->rows.card.data, vc->rows.card.len) != 0) {
            rc = vfail(err, s->e.h.feed, s->e.h.seq, "event card differs from the event", NULL);
            goto done;
        }
        vc->expect_rows[DB_EDGE]++;
    }
    rc = 0;
done:
    json_decref(ev);
    return rc;
}

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
        if (ledger__load_lseq(vc->st, vc->txn, ledger__get_be64(v.mv_data), &s, &e2)) {
            rc = vfail(err, feed, seq,
                       i ? "fork evidence does not decode" : "entry does not decode", e2.msg);
            break;
        }
        if (memcmp(s.e.h.feed, feed, LEDGER_FEED_LEN) != 0 || s.e.h.seq != seq) {
            rc = vfail(err, feed, seq,
                       i ? "fork evidence names another feed or seq"
                         : "entry's header names another feed or seq",
                       NULL);
            break;
        }
        ledger_entry_hash(&s.e, h);
        if (i == 0) {
            memcpy(main_hash, h, LEDGER_HASH_LEN);
        } else if (memcmp(h, main_hash, LEDGER_HASH_LEN) == 0) {
            rc = vfail(err, feed, seq, "fork evidence is the main chain's entry again", NULL);
            break;
        } else if (ledger_entry_check_sig(&s.e, &e2) || ledger_entry_check_payload(&s.e, &e2)) {
            rc = vfail(err, feed, seq, "fork evidence", e2.msg);
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
            rc = vfail(err, st->self, seq, "marked private but the own feed has no such entry",
                       NULL);
            break;
        }
        if ((lrc = mdb_get(vc->txn, st->dbi[DB_FSEQ], &fk, &fv))) {
            rc = lrc == MDB_NOTFOUND
                     ? vfail(err, st->self, seq, "marked private but not in the feed index", NULL)
                     : ledger__lmdb_err(err, lrc, "cannot read the feed index");
            break;
        }
        if (fv.mv_size != 8 || memcmp(fv.mv_data, v.mv_data, 8) != 0) {
            rc = vfail(err, st->self, seq, "private row points at another local entry", NULL);
            break;
        }
        vc->expect_rows[DB_PRIVATE]++;
    }
    mdb_cursor_close(c);
    if (!rc && lrc && lrc != MDB_NOTFOUND)
        rc = ledger__lmdb_err(err, lrc, "cannot read the private index");
    return rc;
}

static int verify_chain(verify_ctx_t *vc, const uint8_t *feed, const feedrec_t *f, uint8_t *key,
                        uint8_t *prev, ledger__tree_walk_t *tw, uint64_t *evidence,
                        ledger_err_t *err);

static int verify_feed(verify_ctx_t *vc, const uint8_t *feed, const feedrec_t *f, ledger_err_t *err)
{
    uint8_t prev[LEDGER_HASH_LEN] = {0}, key[LEDGER_FEED_LEN + 8];
    uint64_t evidence = 0;
    ledger__tree_walk_t *tw = calloc(1, sizeof *tw);
    int rc;

    if (!tw)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    rc = verify_chain(vc, feed, f, key, prev, tw, &evidence, err);
    free(tw);
    if (rc)
        return rc;
    if (memcmp(prev, f->hash, LEDGER_HASH_LEN) != 0)
        return vfail(err, feed, f->seq, "the feed's recorded head hash is not its last entry's",
                     NULL);
    if ((f->flags & LEDGER_FEED_FORKED) && !evidence) {
        /* a checkpoint of another history is evidence too (checked with
         * the checkpoints) */
        uint8_t fk[LEDGER_FEED_LEN + 1];
        MDB_val k = {sizeof fk, fk}, v;
        memcpy(fk, feed, LEDGER_FEED_LEN);
        fk[LEDGER_FEED_LEN] = 1;
        if (mdb_get(vc->txn, vc->st->dbi[DB_CKPT], &k, &v) == 0)
            evidence = 1;
    }
    if ((f->flags & LEDGER_FEED_FORKED) && !evidence)
        return vfail(err, feed, f->seq, "the feed is marked forked but holds no fork evidence",
                     NULL);
    return 0;
}

/* The walk of verify_feed over seq 1 .. the head. */
static int verify_chain(verify_ctx_t *vc, const uint8_t *feed, const feedrec_t *f, uint8_t *key,
                        uint8_t *prev, ledger__tree_walk_t *tw, uint64_t *evidence,
                        ledger_err_t *err)
{
    ledger_err_t e2;
    int rc;

    memcpy(key, feed, LEDGER_FEED_LEN);
    for (uint64_t seq = 1; seq <= f->seq; seq++) {
        MDB_val k = {LEDGER_FEED_LEN + 8, key}, v;
        ledger_stored_t s;
        size_t dups = 0;

        ledger__put_be64(key + LEDGER_FEED_LEN, seq);
        rc = mdb_cursor_get(vc->cur[DB_FSEQ], &k, &v, MDB_SET);
        if (rc == MDB_NOTFOUND)
            return vfail(err, feed, seq, "entry missing (the feed's head is further on)", NULL);
        if (rc)
            return ledger__lmdb_err(err, rc, "cannot read the feed index");
        mdb_cursor_count(vc->cur[DB_FSEQ], &dups);
        if (dups > 1 && !(f->flags & LEDGER_FEED_FORKED))
            return vfail(err, feed, seq,
                         "two entries with this seq but the feed is not "
                         "marked forked",
                         NULL);
        vc->expect_rows[DB_FSEQ] += dups;
        if (dups > 1 && (rc = verify_evidence(vc, feed, seq, dups, err)))
            return rc;
        if (dups > 1)
            (*evidence)++;
        if ((rc = ledger__load_lseq(vc->st, vc->txn, ledger__get_be64(v.mv_data), &s, &e2)))
            return vfail(err, feed, seq, "entry does not decode", e2.msg);
        if (memcmp(s.e.h.feed, feed, LEDGER_FEED_LEN) != 0 || s.e.h.seq != seq)
            return vfail(err, feed, seq, "entry's header names another feed or seq", NULL);
        if (memcmp(s.e.h.prev, prev, LEDGER_HASH_LEN) != 0)
            return vfail(err, feed, seq,
                         "chain link broken: prev is not the hash of the "
                         "entry before",
                         NULL);
        if ((rc = ledger_entry_check_payload(&s.e, &e2)))
            return vfail(err, feed, seq, "payload", e2.msg);
        if (!s.e.payload && !(f->flags & LEDGER_FEED_SEALED))
            return vfail(err, feed, seq,
                         "a sealed entry, but the feed is not marked as holding any", NULL);
        if (vc->sigq && vc->entries % 2 == 1 && s.e.hlen <= HDR_MAX)
            sig_push(vc->sigq, &s.e, vc->entries);
        else if ((rc = ledger_entry_check_sig(&s.e, &e2)))
            return vfail(err, feed, seq, "signature", e2.msg);
        if (s.e.payload && s.e.h.ptype == LEDGER_PT_EVENT && (rc = verify_event(vc, &s, err)))
            return rc;
        if ((rc = ledger__tree_check(vc->st, vc->txn, feed, seq, s.e.hbytes, s.e.hlen, tw, err)))
            return rc;
        vc->expect_rows[DB_TREE]++;
        ledger_entry_hash(&s.e, prev);
        vc->entries++;
        if (vc->progress && ++vc->done % 10000 == 0)
            vc->progress(vc->done, vc->total, vc->pctx);
    }
    return 0;
}

int ledger_store_verify(ledger_store_t *st, ledger_progress_cb progress, void *ctx,
                        ledger_err_t *err)
{
    verify_ctx_t vc;
    sigq_t q;
    pthread_t helper;
    int helper_started = 0;
    uint64_t fail_order = UINT64_MAX; /* walk position of the problem found */
    MDB_cursor *fc = NULL;
    MDB_val k, v;
    MDB_stat ms;
    int rc, op = MDB_FIRST;

    memset(&vc, 0, sizeof vc);
    memset(&q, 0, sizeof q);
    vc.st = st;
    vc.progress = progress;
    vc.pctx = ctx;
    if ((rc = ledger__begin_read(st, &vc.txn, err)))
        return rc;
    for (int i = 0; i < DB_COUNT; i++)
        if (!(i == DB_PRIVATE && st->no_private) &&
            (rc = mdb_cursor_open(vc.txn, st->dbi[i], &vc.cur[i]))) {
            rc = ledger__lmdb_err(err, rc, "cannot open a cursor");
            goto done;
        }
    if ((rc = mdb_stat(vc.txn, st->dbi[DB_LOG], &ms))) {
        rc = ledger__lmdb_err(err, rc, "cannot read statistics");
        goto done;
    }
    vc.total = ms.ms_entries;
    if (vc.total >= 1000 && (q.jobs = malloc(SIGQ * sizeof *q.jobs))) {
        pthread_mutex_init(&q.mu, NULL);
        pthread_cond_init(&q.cv, NULL);
        if (pthread_create(&helper, NULL, sig_worker, &q) == 0) {
            helper_started = 1;
            vc.sigq = &q;
        }
    }
    if ((rc = mdb_cursor_open(vc.txn, st->dbi[DB_FEEDS], &fc))) {
        rc = ledger__lmdb_err(err, rc, "cannot open a cursor");
        goto done;
    }
    while ((rc = mdb_cursor_get(fc, &k, &v, op)) == 0) {
        feedrec_t f;
        op = MDB_NEXT;
        if (k.mv_size != LEDGER_FEED_LEN || ledger__feedrec_decode(&v, &f)) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "a feed head record is damaged");
            goto done;
        }
        if ((rc = verify_feed(&vc, k.mv_data, &f, err))) {
            fail_order = vc.entries; /* the entry being checked */
            goto done;
        }
    }
    if (rc != MDB_NOTFOUND) {
        rc = ledger__lmdb_err(err, rc, "cannot read the feeds");
        goto done;
    }
    if ((rc = verify_private(&vc, err)))
        goto done;
    /* Every row must be explained: no entry in the log or row in an index
     * that no feed accounts for. */
    if ((rc = ledger__checkpoints_verify(st, vc.txn, &vc.expect_rows[DB_CKPT], err)))
        goto done;
    vc.expect_rows[DB_LOG] = vc.expect_rows[DB_FSEQ];
    for (int i = DB_LOG; i < DB_COUNT; i++) {
        if (i == DB_FEEDS || (i == DB_PRIVATE && st->no_private))
            continue;
        if ((rc = mdb_stat(vc.txn, st->dbi[i], &ms))) {
            rc = ledger__lmdb_err(err, rc, "cannot read statistics");
            goto done;
        }
        if (ms.ms_entries != vc.expect_rows[i]) {
            rc = ledger_err_set(
                err, LEDGER_EVERIFY, "the %s %s holds %llu rows but the entries explain %llu",
                ledger__db_names[i], i == DB_LOG ? "database" : "index",
                (unsigned long long)ms.ms_entries, (unsigned long long)vc.expect_rows[i]);
            goto done;
        }
    }
    if (progress)
        progress(vc.done, vc.total, ctx);
done:
    if (helper_started) {
        pthread_mutex_lock(&q.mu);
        q.closed = 1;
        pthread_cond_broadcast(&q.cv);
        pthread_mutex_unlock(&q.mu);
        pthread_join(helper, NULL);
        if (q.bad && q.bad_order < fail_order)
            rc =
                vfail(err, q.bad_feed, q.bad_seq, "signature", "Ed25519 signature does not verify");
    }
    if (q.jobs) {
        if (helper_started) {
            pthread_mutex_destroy(&q.mu);
            pthread_cond_destroy(&q.cv);
        }
        free(q.jobs);
    }
    if (fc)
        mdb_cursor_close(fc);
    for (int i = 0; i < DB_COUNT; i++)
        if (vc.cur[i])
            mdb_cursor_close(vc.cur[i]);
    ledger__end_read(st, vc.txn);
    ledger__rows_free(&vc.rows);
    return rc;
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
