/* ledger_verify_event.c -- the one-entry checks of `keten verify` and the
 * helper thread that runs some of them (ledger_verify_event.h).
 *
 * How the helper is fed.  A ring of VQ jobs, one producer (the walk) and
 * one consumer (the helper), indexed by two counters that only grow
 * (C11 atomics).  The walk copies an entry's header, signature and
 * payload into the next free slot, or, when the ring is full, checks the
 * entry itself: the walk never waits, and the helper gets as much as it
 * can take.  The helper takes every job that is there at once, checks
 * them in order and sleeps on a condition variable only when the ring
 * stays empty (the walk wakes it only when it sleeps).  After its first
 * problem the helper checks nothing more; that problem's walk position
 * goes back with its message, and ledger_verify.c reports whichever of
 * the two threads' problems comes first in walk order.
 *
 * An event's index rows are either looked up (exact) or hashed into the
 * checker's per-index sums (summed; ledger_verify.c says why and when). */
#include "ledger_verify_event.h"

#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_evhash.h"
#include "ledger_sha256.h"

int ledger__vfail(ledger_err_t *err, const uint8_t *feed, uint64_t seq, const char *what,
                  const char *detail)
{
    char hex[65];
    return ledger_err_set(err, LEDGER_EVERIFY, "feed %s seq %llu: %s%s%s",
                          ledger__feed_hex(feed, hex), (unsigned long long)seq, what,
                          detail ? ": " : "", detail ? detail : "");
}

int ledger__vchk_open(ledger__vchk_t *c, ledger_store_t *st, MDB_txn *txn, int exact,
                      const uint8_t *key, ledger_err_t *err)
{
    int rc;
    memset(c, 0, sizeof *c);
    c->st = st;
    c->txn = txn;
    c->exact = exact || !key;
    if (key)
        memcpy(c->key, key, VCHK_KEY_LEN);
    for (int i = 0; i < DB_COUNT; i++)
        if (!(i == DB_PRIVATE && st->no_private) &&
            (rc = mdb_cursor_open(txn, st->dbi[i], &c->cur[i]))) {
            ledger__vchk_close(c);
            return ledger__lmdb_err(err, rc, "cannot open a cursor");
        }
    return 0;
}

void ledger__vchk_close(ledger__vchk_t *c)
{
    for (int i = 0; i < DB_COUNT; i++)
        if (c->cur[i]) {
            mdb_cursor_close(c->cur[i]);
            c->cur[i] = NULL;
        }
    ledger__rows_free(&c->scratch);
}

/* ---- summed row checks ------------------------------------------------ */

int ledger__vchk_summed_db(int db)
{
    return db == DB_EVID || db == DB_IDENT || db == DB_LOC || db == DB_TIME || db == DB_DECL;
}

/* sum += (hi, lo), mod 2^128. */
static void add128(uint64_t sum[2], uint64_t lo, uint64_t hi)
{
    sum[0] += lo;
    sum[1] += hi + (sum[0] < lo); /* the carry */
}

/* Adds the keyed 128-bit hash of the row (db, key, value) to sum.  The
 * row is framed (db, key length, value length) so that no two rows give
 * the same bytes; SipHash-2-4 with 128-bit output (libsodium's
 * crypto_shorthash_siphashx24) under the run's random key, or for a row
 * longer than the frame buffer SHA-256 of the key and the frame. */
static void sum_row(const uint8_t key[VCHK_KEY_LEN], int db, const void *k, size_t kl,
                    const void *v, size_t vl, uint64_t sum[2])
{
    uint8_t buf[640], h[LEDGER_HASH_LEN];
    uint64_t lo, hi;
    size_t n = 5 + kl + vl;
    buf[0] = (uint8_t)db;
    buf[1] = (uint8_t)(kl >> 8);
    buf[2] = (uint8_t)kl;
    buf[3] = (uint8_t)(vl >> 8);
    buf[4] = (uint8_t)vl;
    if (n <= sizeof buf) {
        memcpy(buf + 5, k, kl);
        memcpy(buf + 5 + kl, v, vl);
        crypto_shorthash_siphashx24(h, buf, n, key);
    } else {
        const ledger_sha256_part_t parts[4] = {{key, VCHK_KEY_LEN}, {buf, 5}, {k, kl}, {v, vl}};
        ledger_sha256_parts(h, parts, 4);
    }
    memcpy(&lo, h, 8);
    memcpy(&hi, h + 8, 8);
    add128(sum, lo, hi);
}

int ledger__vchk_sums_check(ledger__vchk_t *c, ledger_err_t *err)
{
    for (int db = 0; db < DB_COUNT; db++) {
        uint64_t got[2] = {0, 0}, got_rows = 0;
        MDB_val k, v;
        int rc;
        if (!ledger__vchk_summed_db(db))
            continue;
        for (rc = mdb_cursor_get(c->cur[db], &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c->cur[db], &k, &v, MDB_NEXT)) {
            sum_row(c->key, db, k.mv_data, k.mv_size, v.mv_data, v.mv_size, got);
            got_rows++;
        }
        if (rc != MDB_NOTFOUND)
            return ledger__lmdb_err(err, rc, "cannot read an index");
        if (got_rows != c->rows[db] || got[0] != c->sum[db][0] || got[1] != c->sum[db][1])
            return 1;
    }
    return 0;
}

/* The event's card in the edge database: the entry's header and exactly
 * the body its rows imply. */
static int check_card(ledger__vchk_t *c, const ledger__vitem_t *it, ledger_err_t *err)
{
    uint8_t kb[8];
    MDB_val k = {8, kb}, v;
    const uint8_t *p;
    const rows_t *r = &c->scratch;
    int rc;
    ledger__put_be64(kb, it->lseq);
    rc = mdb_cursor_get(c->cur[DB_EDGE], &k, &v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND)
        return ledger__vfail(err, it->feed, it->seq, "event card missing", NULL);
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the edge index");
    size_t n;
    ledger_err_t e2;
    if (ledger_zlog_unpack_tls(c->st->zcard, c->txn, &v, &p, &n, &e2))
        return ledger__vfail(err, it->feed, it->seq, "event card", e2.msg);
    if (n != CARD_HEAD_LEN + r->card.len || memcmp(p, it->feed, LEDGER_FEED_LEN) != 0 ||
        ledger__get_be64(p + LEDGER_FEED_LEN) != it->seq ||
        ledger__get_be64(p + LEDGER_FEED_LEN + 8) != it->record_time_ms ||
        memcmp(p + CARD_HEAD_LEN, r->card.data, r->card.len) != 0)
        return ledger__vfail(err, it->feed, it->seq, "event card differs from the event", NULL);
    c->rows[DB_EDGE]++;
    return 0;
}

/* The event payload of one entry: its stored hash against a fresh
 * computation, every index row it implies, its card. */
static int check_event(ledger__vchk_t *c, const ledger__vitem_t *it, ledger_err_t *err)
{
    json_t *ev = NULL;
    char stored[96], fresh[LEDGER_EVHASH_LEN];
    const char *event_id;
    ledger_err_t e2;
    rows_t *rows = &c->scratch;
    int rc;

    if ((rc = ledger_event_payload_decode(it->payload, it->plen, &ev, stored, sizeof stored, &e2)))
        return ledger__vfail(err, it->feed, it->seq, "payload does not decode", e2.msg);
    if ((rc = ledger_evhash_compute(ev, NULL, fresh, &e2))) {
        rc = ledger__vfail(err, it->feed, it->seq, "event hash cannot be computed", e2.msg);
        goto done;
    }
    if (strcmp(fresh, stored) != 0) {
        rc = ledger__vfail(err, it->feed, it->seq, "stored event hash differs from the event's",
                           stored);
        goto done;
    }
    event_id = json_string_value(json_object_get(ev, "eventID"));
    if (!event_id)
        event_id = stored;
    if ((rc = ledger__event_rows(ev, event_id, stored, it->lseq, rows, &e2))) {
        rc = ledger__vfail(err, it->feed, it->seq, "event cannot be indexed", e2.msg);
        goto done;
    }
    for (size_t i = 0; i < rows->n; i++) {
        row_t *r = &rows->v[i];
        MDB_val k = {r->klen, r->key}, v = {r->vlen, r->val};
        if (!c->exact && ledger__vchk_summed_db(r->db)) {
            sum_row(c->key, r->db, r->key, r->klen, r->val, r->vlen, c->sum[r->db]);
            c->rows[r->db]++;
            continue;
        }
        rc = mdb_cursor_get(c->cur[r->db], &k, &v, MDB_GET_BOTH);
        if (rc == MDB_NOTFOUND) {
            char what[600];
            if (r->db == DB_TIME)
                snprintf(what, sizeof what, "time index row missing");
            else if (r->db == DB_EVID && r->klen == 33 && r->key[0] == 0x01)
                snprintf(what, sizeof what, "evid index row missing for %s", stored);
            else
                snprintf(what, sizeof what, "%s index row missing for \"%.*s\"",
                         ledger__db_names[r->db], (int)r->klen, (const char *)r->key);
            rc = ledger__vfail(err, it->feed, it->seq, what, NULL);
            goto done;
        }
        if (rc) {
            rc = ledger__lmdb_err(err, rc, "cannot read an index");
            goto done;
        }
        c->rows[r->db]++;
    }
    rc = check_card(c, it, err);
done:
    json_decref(ev);
    return rc;
}

int ledger__vchk_entry(ledger__vchk_t *c, const ledger__vitem_t *it, ledger_err_t *err)
{
    if (it->sig && crypto_sign_verify_detached(it->sig, it->hbytes, it->hlen, it->feed) != 0)
        return ledger__vfail(err, it->feed, it->seq, "signature",
                             "Ed25519 signature does not verify");
    return it->payload ? check_event(c, it, err) : 0;
}

/* ---- the helper thread ------------------------------------------------ */

#define VQ 512
#define HDR_MAX 256

typedef struct vjob {
    uint64_t order;
    ledger__vitem_t it; /* its views point into the job */
    uint8_t feed[LEDGER_FEED_LEN], sig[LEDGER_SIG_LEN], h[HDR_MAX];
    ledger_buf_t payload;
} vjob_t;

struct ledger__vpool {
    ledger__vchk_t chk;
    MDB_txn *txn;
    vjob_t *jobs;
    atomic_size_t pushed, popped;
    atomic_int sleeping, bad;
    int closed; /* under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    uint64_t bad_order;
    int bad_rc;
    ledger_err_t bad_err;
};

static void *vpool_main(void *arg)
{
    ledger__vpool_t *p = arg;
    for (;;) {
        size_t from = atomic_load(&p->popped), to = atomic_load(&p->pushed);
        for (int spin = 0; from == to && spin < 64; spin++) {
            sched_yield();
            to = atomic_load(&p->pushed);
        }
        if (from == to) {
            int closed;
            pthread_mutex_lock(&p->mu);
            atomic_store(&p->sleeping, 1);
            while ((to = atomic_load(&p->pushed)) == from && !p->closed)
                pthread_cond_wait(&p->cv, &p->mu);
            atomic_store(&p->sleeping, 0);
            closed = p->closed;
            pthread_mutex_unlock(&p->mu);
            if (from == to && closed)
                return NULL;
        }
        for (size_t i = from; i < to; i++) {
            vjob_t *j = &p->jobs[i % VQ];
            int rc;
            if (atomic_load(&p->bad))
                break;
            if ((rc = ledger__vchk_entry(&p->chk, &j->it, &p->bad_err))) {
                p->bad_rc = rc;
                p->bad_order = j->order;
                atomic_store(&p->bad, 1);
            }
        }
        atomic_store(&p->popped, to);
    }
}

ledger__vpool_t *ledger__vpool_start(ledger_store_t *st, MDB_txn *txn, const ledger__vchk_t *like)
{
    ledger__vpool_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (!(p->jobs = calloc(VQ, sizeof *p->jobs)))
        goto fail;
    /* the same snapshot: a writer (a running node) may commit between the
     * two begins; then there is no helper */
    if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &p->txn))
        goto fail;
    if (mdb_txn_id(p->txn) != mdb_txn_id(txn) ||
        ledger__vchk_open(&p->chk, st, p->txn, like->exact, like->key, NULL))
        goto fail;
    /* calloc: every job's payload buffer is an empty ledger_buf_t */
    atomic_init(&p->pushed, 0);
    atomic_init(&p->popped, 0);
    atomic_init(&p->sleeping, 0);
    atomic_init(&p->bad, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->th, NULL, vpool_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        goto fail;
    }
    return p;
fail:
    ledger__vchk_close(&p->chk);
    if (p->txn)
        mdb_txn_abort(p->txn);
    free(p->jobs);
    free(p);
    return NULL;
}

int ledger__vpool_offer(ledger__vpool_t *p, const ledger__vitem_t *it, uint64_t order)
{
    size_t in = atomic_load(&p->pushed);
    vjob_t *j;
    if (in - atomic_load(&p->popped) == VQ || atomic_load(&p->bad) || it->hlen > HDR_MAX)
        return 0;
    j = &p->jobs[in % VQ];
    j->order = order;
    j->it = *it;
    memcpy(j->feed, it->feed, LEDGER_FEED_LEN);
    j->it.feed = j->feed;
    memcpy(j->h, it->hbytes, it->hlen);
    j->it.hbytes = j->h;
    if (it->sig) {
        memcpy(j->sig, it->sig, LEDGER_SIG_LEN);
        j->it.sig = j->sig;
    }
    if (it->payload) {
        ledger_buf_reset(&j->payload);
        if (ledger_buf_append(&j->payload, it->payload, it->plen))
            return 0;
        j->it.payload = j->payload.data;
    }
    atomic_store(&p->pushed, in + 1);
    if (atomic_load(&p->sleeping)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return 1;
}

int ledger__vpool_finish(ledger__vpool_t *p, ledger__vchk_t *into, uint64_t *order,
                         ledger_err_t *err)
{
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    p->closed = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    for (int i = 0; i < DB_COUNT; i++) {
        into->rows[i] += p->chk.rows[i];
        add128(into->sum[i], p->chk.sum[i][0], p->chk.sum[i][1]);
    }
    if (atomic_load(&p->bad)) {
        rc = p->bad_rc;
        *order = p->bad_order;
        if (err)
            *err = p->bad_err;
    }
    ledger__vchk_close(&p->chk);
    mdb_txn_abort(p->txn);
    for (size_t i = 0; i < VQ; i++)
        ledger_buf_free(&p->jobs[i].payload);
    free(p->jobs);
    free(p);
    return rc;
}
