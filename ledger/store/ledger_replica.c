/* ledger_replica.c -- partners' entries in and out of the store (see
 * ledger_replica.h): ingest of runs of entries with a hash per entry and a
 * signature per run, fork evidence, and serving ranges (sealed where the
 * payload stays at home).
 *
 * How a run is ingested (ledger_ingest_add). Per entry there is "slot work"
 * that needs no LMDB: strict decode, the entry hash, the payload's length
 * and SHA-256, and for an event its index rows (exactly the rows an own
 * event gets).
 * And there is the chain walk on the thread that owns the write
 * transaction: feed, seq, duplicate or fork, the prev link, then the LMDB
 * puts (log by MDB_APPEND, fseq, index rows).
 *
 * The signature is checked first: one Ed25519 check of the run's newest
 * entry, which authenticates every entry before it as long as the links
 * hold (DESIGN.md, performance model). Then the chain walk streams through
 * the run, putting each new entry as soon as its slot work is done. When
 * the walk stops at a bad entry b, the entries put before it were vouched
 * for only if the links held up to the newest; they did not, so the
 * signature of entry b-1 decides: valid, they stay; not, they are deleted
 * again (all within the open transaction, so nothing of them ever reaches
 * the disk). Bad entries are rare and cost a second signature check;
 * good runs cost one check and no second pass.
 *
 * The event's rows come from ledger__payload_rows (ledger_rows_cbor.c), which reads
 * them straight from the payload's CBOR instead of building the event in
 * JSON: the same rows, four times cheaper.
 *
 * The slot work is the bulk of the CPU time, so for runs of
 * SLOT_THREAD_MIN entries or more a helper thread does it from the front
 * of the run. The chain walk, when it reaches an entry, takes the slot
 * itself if the helper has not claimed it yet (a compare-and-swap on the
 * slot's state), or waits for the helper to finish it: the two threads
 * share the slot work, and the puts overlap with the helper's work.
 *
 * The feed's head lives in its feed record inside the write transaction:
 * each add reads it and writes it back, so several adds in one transaction
 * (runs of different feeds, or consecutive runs of one feed) see each
 * other's effects. */
#include "ledger_stmt.h"
#include "ledger_replica.h"

#include <lmdb.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger__store.h"
#include "ledger_buf.h"

#define SLOT_THREAD_MIN 48 /* runs shorter than this do the slot work inline */
#define SPIN_MAX 2000      /* polls of a slot before sleeping on the condition */

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_DONE };

/* The slot work's result for one entry of a run. rows is packed (empty
 * when the entry indexes nothing): the card body's length (4 bytes BE) and
 * the body, then per row db (1 byte), value length (1 byte), key length (2
 * bytes BE), value (lseq 0: set when stored), key. */
typedef struct slot {
    _Atomic int state;
    int drc;          /* the entry does not decode: LEDGER_EINPUT */
    int rc;           /* 0, or what is wrong with the entry's payload */
    char *msg;        /* the message of drc or rc (malloc'd) */
    ledger_entry_t e; /* decoded: views into the caller's bytes */
    uint8_t hash[LEDGER_HASH_LEN];
    ledger_buf_t rows; /* packed index rows */
} slot_t;

struct ledger_ingest {
    ledger_store_t *st;
    MDB_txn *txn;
    uint64_t lseq; /* the next local position */
    int dead;      /* an EIO/ENOMEM: only abort is left */
    slot_t *slots;
    size_t cap;
    rows_t rows; /* the calling thread's scratch for the slot work */
    ledger_buf_t text;
    MDB_cursor *cur[DB_COUNT]; /* one per database, kept for the transaction:
                                  a put near the last one skips the descent */
};

/* A thread's scratch for the slot work. */
typedef struct scratch {
    rows_t *rows;
    ledger_buf_t *text;
} scratch_t;

/* One add call's shared state between the calling thread and the helper. */
typedef struct run {
    const uint8_t *const *entries;
    const size_t *lens;
    size_t n;
    slot_t *slots;
    uint64_t head_seq;    /* entries at seq <= this are not new: no payload work */
    _Atomic size_t limit; /* no slot at or past this is taken */
    size_t back;          /* the calling thread's next slot from the back is back-1 */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic int waiting;
} run_t;

static char *feed_hex(const uint8_t *feed, char out[65])
{
    return ledger__feed_hex(feed, out);
}

/* ---- slot work -------------------------------------------------------- */

static void slot_msg(slot_t *s, const char *msg)
{
    free(s->msg);
    s->msg = strdup(msg);
}

/* Packs the rows and card of r into out. 0 or LEDGER_ENOMEM. */
static int pack_rows(const rows_t *r, ledger_buf_t *out)
{
    uint8_t cl[4] = {(uint8_t)(r->card.len >> 24), (uint8_t)(r->card.len >> 16),
                     (uint8_t)(r->card.len >> 8), (uint8_t)r->card.len};
    ledger_buf_reset(out);
    if (ledger_buf_append(out, cl, 4) || ledger_buf_append(out, r->card.data, r->card.len))
        return LEDGER_ENOMEM;
    for (size_t i = 0; i < r->n; i++) {
        const row_t *row = &r->v[i];
        uint8_t h[4] = {(uint8_t)row->db, (uint8_t)row->vlen, (uint8_t)(row->klen >> 8),
                        (uint8_t)row->klen};
        if (ledger_buf_append(out, h, 4) || ledger_buf_append(out, row->val, row->vlen) ||
            ledger_buf_append(out, row->key, row->klen))
            return LEDGER_ENOMEM;
    }
    return 0;
}

/* The slot work of entry j. Touches only the slot (and scratch), so any
 * thread may do it. */
static void slot_work(run_t *run, size_t j, scratch_t *sc)
{
    slot_t *s = &run->slots[j];
    ledger_entry_t *e = &s->e;
    ledger_err_t err;
    char hash[96];
    int rc;

    s->drc = s->rc = 0;
    ledger_buf_reset(&s->rows);
    if ((rc = ledger_entry_decode(run->entries[j], run->lens[j], e, &err))) {
        s->drc = LEDGER_EINPUT;
        slot_msg(s, err.msg);
        return;
    }
    ledger_entry_hash(e, s->hash);
    if (e->h.seq <= run->head_seq)
        return; /* stored already (or a fork): the chain walk deals with it */
    if ((rc = ledger_entry_check_payload(e, &err))) {
        s->rc = rc;
        slot_msg(s, err.msg);
        return;
    }
    if (e->payload && e->h.ptype == LEDGER_PT_STATEMENT) { /* indexes nothing, but must check */
        ledger_stmt_t stmt;
        if (ledger_stmt_from_entry(e, &stmt, &err)) {
            s->rc = LEDGER_EINPUT;
            slot_msg(s, err.msg);
        }
        return;
    }
    if (!e->payload || e->h.ptype != LEDGER_PT_EVENT)
        return; /* sealed, or a payload type that indexes nothing */
    if ((rc = ledger__payload_rows(e->payload, e->plen, 0, sc->rows, sc->text, hash, &err))) {
        ledger_err_prefix(&err, "payload does not decode");
        s->rc = rc == LEDGER_ENOMEM ? rc : LEDGER_EINPUT;
        slot_msg(s, err.msg);
    } else if (pack_rows(sc->rows, &s->rows)) {
        s->rc = LEDGER_ENOMEM;
    }
}

static void slot_done(run_t *run, slot_t *s)
{
    atomic_store(&s->state, SLOT_DONE);
    if (atomic_load(&run->waiting)) {
        pthread_mutex_lock(&run->mu);
        pthread_cond_broadcast(&run->cv);
        pthread_mutex_unlock(&run->mu);
    }
}

/* The helper: slot work from the front of the run. */
static void *helper(void *arg)
{
    run_t *run = arg;
    rows_t rows = {0};
    ledger_buf_t text = LEDGER_BUF_INIT;
    scratch_t scratch = {&rows, &text};

    for (size_t j = 0; j < run->n && j < atomic_load(&run->limit); j++) {
        slot_t *s = &run->slots[j];
        int expect = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&s->state, &expect, SLOT_CLAIMED))
            continue; /* the calling thread took it */
        slot_work(run, j, &scratch);
        slot_done(run, s);
    }
    ledger__rows_free(&rows);
    ledger_buf_free(&text);
    return NULL;
}

/* The calling thread needs slot j: does the work when it is still free.
 * When the helper is on it, the calling thread does not idle: it takes
 * free slots from the back of the run (the helper goes from the front)
 * until slot j is done, and only when none is left does it wait. */
static slot_t *slot_get(run_t *run, size_t j, scratch_t *scratch)
{
    slot_t *s = &run->slots[j];
    int expect = SLOT_FREE;

    if (atomic_compare_exchange_strong(&s->state, &expect, SLOT_CLAIMED)) {
        slot_work(run, j, scratch);
        atomic_store(&s->state, SLOT_DONE);
        return s;
    }
    while (atomic_load(&s->state) != SLOT_DONE && run->back > j + 1) {
        size_t b = --run->back;
        slot_t *t = &run->slots[b];
        expect = SLOT_FREE;
        if (b < atomic_load(&run->limit) &&
            atomic_compare_exchange_strong(&t->state, &expect, SLOT_CLAIMED)) {
            slot_work(run, b, scratch);
            atomic_store(&t->state, SLOT_DONE);
        }
    }
    for (int i = 0; i < SPIN_MAX && atomic_load(&s->state) != SLOT_DONE; i++)
        if (i > 64)
            sched_yield();
    if (atomic_load(&s->state) == SLOT_DONE)
        return s;
    pthread_mutex_lock(&run->mu);
    atomic_fetch_add(&run->waiting, 1);
    while (atomic_load(&s->state) != SLOT_DONE)
        pthread_cond_wait(&run->cv, &run->mu);
    atomic_fetch_sub(&run->waiting, 1);
    pthread_mutex_unlock(&run->mu);
    return s;
}

/* ---- begin / commit / abort ------------------------------------------- */

int ledger_ingest_begin(ledger_store_t *st, ledger_ingest_t **out, ledger_err_t *err)
{
    ledger_ingest_t *in;
    int rc;

    if (st->rdonly)
        return ledger_err_set(err, LEDGER_ELOCKED, "the store is open read-only");
    if (!(in = calloc(1, sizeof *in)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    in->st = st;
    if ((rc = mdb_txn_begin(st->env, NULL, 0, &in->txn))) {
        free(in);
        return ledger__lmdb_err(err, rc, "cannot begin a write transaction");
    }
    if ((rc = ledger__next_lseq(st, in->txn, &in->lseq, err))) {
        ledger_ingest_abort(in);
        return rc;
    }
    *out = in;
    return 0;
}

int ledger_ingest_checkpoint(ledger_ingest_t *in, const uint8_t feed[LEDGER_FEED_LEN],
                             const char *note, size_t len, int *kept, ledger_err_t *err)
{
    *kept = 0;
    if (in->dead)
        return ledger_err_set(err, LEDGER_EIO, "this ingest failed: only abort is left");
    return ledger__checkpoint_keep(in->st, in->txn, feed, note, len, kept, err);
}

int ledger__ingest_txn(ledger_ingest_t *in, ledger_store_t **st, MDB_txn **txn,
                       ledger_err_t *err)
{
    if (in->dead)
        return ledger_err_set(err, LEDGER_EIO, "this ingest failed: only abort is left");
    *st = in->st;
    *txn = in->txn;
    return 0;
}

int ledger_ingest_commit(ledger_ingest_t *in, ledger_err_t *err)
{
    MDB_env *env;
    int rc;
    if (in->dead) {
        ledger_ingest_abort(in);
        return ledger_err_set(err, LEDGER_EINVAL, "this ingest failed: nothing was stored");
    }
    for (int i = 0; i < DB_COUNT; i++)
        if (in->cur[i]) {
            mdb_cursor_close(in->cur[i]);
            in->cur[i] = NULL;
        }
    env = in->st->env; /* in is freed below */
    rc = mdb_txn_commit(in->txn);
    in->txn = NULL;
    ledger_zlog_txn_end(in->st->zlog, rc == 0);
    ledger_zlog_txn_end(in->st->zcard, rc == 0);
    ledger_ingest_abort(in); /* frees */
    if (rc)
        return ledger__commit_err(env, err, rc, "cannot commit (nothing was stored)");
    return 0;
}

void ledger_ingest_abort(ledger_ingest_t *in)
{
    if (!in)
        return;
    for (int i = 0; i < DB_COUNT; i++)
        if (in->cur[i])
            mdb_cursor_close(in->cur[i]);
    if (in->txn) {
        mdb_txn_abort(in->txn);
        ledger_zlog_txn_end(in->st->zlog, 0);
        ledger_zlog_txn_end(in->st->zcard, 0);
    }
    for (size_t i = 0; i < in->cap; i++) {
        ledger_buf_free(&in->slots[i].rows);
        free(in->slots[i].msg);
    }
    free(in->slots);
    ledger__rows_free(&in->rows);
    ledger_buf_free(&in->text);
    free(in);
}

/* ---- the chain walk --------------------------------------------------- */

/* Compares hash with the stored entries at feed:seq: 1 the main chain's,
 * 2 a fork evidence entry's, 0 none of them, <0 error. */
static int stored_match(ledger_ingest_t *in, const uint8_t *feed, uint64_t seq, const uint8_t *hash,
                        ledger_err_t *err)
{
    MDB_cursor *c;
    uint8_t key[LEDGER_FEED_LEN + 8];
    MDB_val k = {sizeof key, key}, v;
    ledger_buf_t zb = {0};
    int rc = 0, lrc, op = MDB_SET, which = 1, found = 0;

    memcpy(key, feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, seq);
    if ((lrc = mdb_cursor_open(in->txn, in->st->dbi[DB_FSEQ], &c)))
        return ledger__lmdb_err(err, lrc, "cannot open a cursor");
    while ((lrc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        ledger_stored_t s;
        uint8_t h[LEDGER_HASH_LEN];
        op = MDB_NEXT_DUP;
        if ((rc = ledger__load_lseq(in->st, in->txn, ledger__get_be64(v.mv_data), &s, &zb, err)))
            break;
        ledger_entry_hash(&s.e, h);
        if (memcmp(h, hash, LEDGER_HASH_LEN) == 0) {
            found = which;
            break;
        }
        which = 2;
    }
    mdb_cursor_close(c);
    ledger_buf_free(&zb);
    if (rc)
        return rc;
    if (lrc && lrc != MDB_NOTFOUND)
        return ledger__lmdb_err(err, lrc, "cannot read the feed index");
    return found;
}

/* The transaction's cursor on database db. */
static int cursor(ledger_ingest_t *in, int db, MDB_cursor **c, ledger_err_t *err)
{
    int rc;
    if (!in->cur[db] && (rc = mdb_cursor_open(in->txn, in->st->dbi[db], &in->cur[db])))
        return ledger__lmdb_err(err, rc, "cannot open a cursor");
    *c = in->cur[db];
    return 0;
}

static int put(ledger_ingest_t *in, int db, MDB_val *k, MDB_val *v, unsigned flags,
               ledger_err_t *err)
{
    MDB_cursor *c = NULL;
    int rc;
    if ((rc = cursor(in, db, &c, err)))
        return rc;
    if ((rc = mdb_cursor_put(c, k, v, flags)))
        return ledger__lmdb_err(err, rc, "cannot write to the store");
    return 0;
}

/* Puts entry feed:seq (decoded: e) at lseq: the log (an append), its fseq
 * row (a dup row when feed:seq is there already: fork evidence) and its
 * leaf in the feed's tree (none for a fork's second entry). */
static int put_entry(ledger_ingest_t *in, const uint8_t *feed, const ledger_entry_t *e,
                     const uint8_t *bytes, size_t len, uint64_t lseq, ledger_err_t *err)
{
    uint64_t seq = e->h.seq;
    uint8_t key[LEDGER_FEED_LEN + 8], lb[8];
    MDB_val k = {8, lb}, v = {len, (void *)bytes};
    int rc;
    ledger__put_be64(lb, lseq);
    if ((rc = ledger_zlog_pack(in->st->zlog, in->txn, in->st->dbi[DB_LOG], lseq, bytes, len,
                                 &in->st->zput, &v, err)) ||
        (rc = put(in, DB_LOG, &k, &v, MDB_APPEND, err)))
        return rc;
    memcpy(key, feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, seq);
    k.mv_data = key;
    k.mv_size = sizeof key;
    v.mv_data = lb;
    v.mv_size = 8;
    if ((rc = put(in, DB_FSEQ, &k, &v, 0, err)))
        return rc;
    return ledger__tree_add(in->st, in->txn, feed, seq, e->hbytes, e->hlen, err);
}

/* Puts (del = 0) or deletes (del = 1) the rows and the card packed in s
 * for the entry at lseq. */
static int packed_rows(ledger_ingest_t *in, const slot_t *s, uint64_t lseq, int del,
                       ledger_err_t *err)
{
    const uint8_t *p = s->rows.data, *end = p + s->rows.len;
    size_t clen;
    int rc;

    if (p == end)
        return 0;
    clen = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (del) {
        uint8_t kb[8];
        MDB_val k = {8, kb};
        ledger__put_be64(kb, lseq);
        if ((rc = mdb_del(in->txn, in->st->dbi[DB_EDGE], &k, NULL)))
            return ledger__lmdb_err(err, rc, "cannot take an event card back");
    } else if ((rc = ledger__put_card(in->st, in->txn, lseq, s->e.h.feed, s->e.h.seq,
                                      s->e.h.record_time_ms, p + 4, clen, err))) {
        return rc;
    }
    p += 4 + clen;
    while (p < end) {
        size_t vlen = p[1], klen = (size_t)p[2] << 8 | p[3];
        uint8_t val[sizeof((row_t *)0)->val];
        MDB_val k = {klen, (void *)(p + 4 + vlen)}, v = {vlen, val};
        memcpy(val, p + 4, vlen);
        ledger__put_be64(val + ROW_LSEQ_AT(p[0]), lseq);
        if (del) {
            if ((rc = mdb_del(in->txn, in->st->dbi[p[0]], &k, &v)))
                return ledger__lmdb_err(err, rc, "cannot take an index row back");
        } else if ((rc = put(in, p[0], &k, &v, 0, err))) {
            return rc;
        }
        p += 4 + vlen + klen;
    }
    return 0;
}

/* Deletes entry feed:seq at lseq (log, fseq and tree rows) and its index rows:
 * undoes what the chain walk put. */
static int unput(ledger_ingest_t *in, const uint8_t *feed, const slot_t *s, uint64_t lseq,
                 ledger_err_t *err)
{
    uint8_t key[LEDGER_FEED_LEN + 8], lb[8];
    MDB_val k = {8, lb}, v = {8, lb};
    int rc;

    ledger__put_be64(lb, lseq);
    if ((rc = packed_rows(in, s, lseq, 1, err)))
        return rc;
    if ((rc = mdb_del(in->txn, in->st->dbi[DB_LOG], &k, NULL)))
        return ledger__lmdb_err(err, rc, "cannot take an entry back");
    memcpy(key, feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, s->e.h.seq);
    k.mv_data = key;
    k.mv_size = sizeof key;
    if ((rc = mdb_del(in->txn, in->st->dbi[DB_FSEQ], &k, &v)))
        return ledger__lmdb_err(err, rc, "cannot take an entry back");
    return ledger__tree_del(in->st, in->txn, feed, s->e.h.seq, s->e.hbytes, s->e.hlen, err);
}

static int grow_slots(ledger_ingest_t *in, size_t n)
{
    slot_t *v;
    size_t cap = in->cap ? in->cap : 64;
    if (n <= in->cap)
        return 0;
    while (cap < n)
        cap *= 2;
    if (!(v = realloc(in->slots, cap * sizeof *v)))
        return LEDGER_ENOMEM;
    memset(v + in->cap, 0, (cap - in->cap) * sizeof *v);
    in->slots = v;
    in->cap = cap;
    return 0;
}

/* The first problem of a run, with where it is. */
typedef struct problem {
    size_t at; /* run index; n when none */
    int rc;
    ledger_err_t err;
} problem_t;

static void problem_set(problem_t *p, size_t at, int rc, const ledger_err_t *e)
{
    if (at >= p->at)
        return;
    p->at = at;
    p->rc = rc;
    p->err = *e;
}

/* One ledger_ingest_add call: its arguments and what its phases share. */
typedef struct add {
    ledger_ingest_t *in;
    const uint8_t *feed;
    const uint8_t *const *entries;
    const size_t *lens;
    size_t n;
    ledger_ingest_report_t *rep;
    run_t run; /* shared with the helper thread */
    scratch_t sc;
    feedrec_t head, head0; /* the feed's head: as it becomes, as it was */
    problem_t prob;
    size_t first_new; /* the run index of the first new entry; n when none */
    size_t walk_end;  /* the chain walk stops before this */
    uint64_t lseq0, seq0;
    int head_changed;
    char hex[65]; /* the feed, for messages */
} add_t;

/* Before the phases: the feed's stored head, and the slots and the run
 * (the helper thread started for a long run: *threaded). 1 when the run is
 * empty (nothing to do), 0, or an error (the ingest dead unless it is
 * LEDGER_EVERIFY). On 0 the run's lock and condition are made: add_end
 * undoes them. */
static int add_begin(add_t *a, pthread_t *th, int *threaded, ledger_err_t *err)
{
    ledger_ingest_t *in = a->in;
    size_t n = a->n;
    int rc;

    a->sc = (scratch_t){&in->rows, &in->text};
    a->first_new = a->walk_end = n;
    a->lseq0 = in->lseq;
    memset(a->rep, 0, sizeof *a->rep);
    memset(&a->prob, 0, sizeof a->prob);
    a->prob.at = n;
    if (in->dead)
        return ledger_err_set(err, LEDGER_EINVAL, "this ingest already failed: abort it");
    feed_hex(a->feed, a->hex);
    rc = ledger__get_feedrec(in->st, in->txn, a->feed, &a->head, err);
    if (rc == LEDGER_ENOTFOUND)
        memset(&a->head, 0, sizeof a->head), rc = 0;
    if (rc) {
        in->dead = rc != LEDGER_EVERIFY;
        return rc;
    }
    a->head0 = a->head;
    a->rep->head_seq = a->head.seq;
    if (n == 0)
        return 1;
    if (grow_slots(in, n)) {
        in->dead = 1;
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        atomic_store(&in->slots[i].state, SLOT_FREE);
    memset(&a->run, 0, sizeof a->run);
    a->run.entries = a->entries;
    a->run.lens = a->lens;
    a->run.n = n;
    a->run.slots = in->slots;
    a->run.head_seq = a->head.seq;
    atomic_store(&a->run.limit, n);
    a->run.back = n;
    pthread_mutex_init(&a->run.mu, NULL);
    pthread_cond_init(&a->run.cv, NULL);
    if (n >= SLOT_THREAD_MIN && !(a->head.flags & LEDGER_FEED_FORKED))
        *threaded = pthread_create(th, NULL, helper, &a->run) == 0;
    return 0;
}

/* After the phases (whatever their outcome): the helper stopped and
 * joined, the run's lock and condition freed. */
static void add_end(add_t *a, pthread_t th, int threaded)
{
    atomic_store(&a->run.limit, 0);
    if (threaded)
        pthread_join(th, NULL);
    pthread_mutex_destroy(&a->run.mu);
    pthread_cond_destroy(&a->run.cv);
}

/* Phase 1. The newest entry's signature, while the helper starts on the
 * slots. (A newest entry that does not decode, or that the store holds, is
 * dealt with by the walk.) A bad one is the run's problem, and the walk
 * stops before it. */
static void add_check_newest(add_t *a)
{
    size_t n = a->n;
    ledger_entry_t last;
    ledger_err_t e2;
    if (!ledger_entry_decode(a->entries[n - 1], a->lens[n - 1], &last, NULL) &&
        !memcmp(last.h.feed, a->feed, LEDGER_FEED_LEN) && last.h.seq > a->head.seq &&
        ledger_entry_check_sig(&last, &e2)) {
        ledger_err_prefix(&e2, "feed %s seq %llu", a->hex, (unsigned long long)last.h.seq);
        problem_set(&a->prob, n - 1, LEDGER_EVERIFY, &e2);
        a->walk_end = a->run.back = n - 1;
    }
}

/* Phase 2, entry i of the run (slot s) whose seq the store holds already
 * (at or below the head): a duplicate (expect becomes its hash), else a
 * fork, put as evidence when the entry is valid on its own (the walk then
 * stops: the rest of the run is the other branch). As add_walk_entry. */
static int add_walk_known(add_t *a, size_t i, slot_t *s, uint8_t expect[LEDGER_HASH_LEN], int *stop,
                          ledger_err_t *err)
{
    ledger_ingest_t *in = a->in;
    ledger_entry_t *e = &s->e;
    ledger_err_t e2;
    int rc;
    int m = e->h.seq == a->head.seq && !memcmp(s->hash, a->head.hash, LEDGER_HASH_LEN)
                ? 1
                : stored_match(in, a->feed, e->h.seq, s->hash, &e2);
    if (m < 0) {
        if (err)
            *err = e2;
        in->dead = 1;
        return m;
    }
    if (m > 0) {
        a->rep->duplicates++;
        memcpy(expect, s->hash, LEDGER_HASH_LEN);
        return 0;
    }
    *stop = 1;
    if (a->head.flags & LEDGER_FEED_FORKED) {
        ledger_err_set(&e2, LEDGER_EVERIFY,
                       "feed %s is forked: its entries are no longer accepted (seq %llu "
                       "differs from the stored one)",
                       a->hex, (unsigned long long)e->h.seq);
        problem_set(&a->prob, i, LEDGER_EVERIFY, &e2);
        return 0;
    }
    /* the same feed and seq, another hash: a fork, when the entry is
     * valid on its own */
    if (ledger_entry_check_sig(e, &e2) || ledger_entry_check_payload(e, &e2)) {
        ledger_err_prefix(&e2,
                          "feed %s seq %llu: an entry that differs from the stored one "
                          "and is not valid",
                          a->hex, (unsigned long long)e->h.seq);
        problem_set(&a->prob, i, LEDGER_EVERIFY, &e2);
        return 0;
    }
    if ((rc = put_entry(in, a->feed, e, a->entries[i], a->lens[i], in->lseq, err))) {
        in->dead = 1;
        return rc;
    }
    in->lseq++;
    a->head.flags |= LEDGER_FEED_FORKED;
    a->head_changed = 1;
    a->rep->forked = 1;
    a->rep->fork_seq = e->h.seq;
    return 0; /* the rest of the run is the other branch */
}

/* Phase 2, entry i of the run: checked (decodes, its feed, no seq gap,
 * duplicate or fork, the prev link, its payload) and put with its rows;
 * expect is the hash its prev must be and becomes its own. A problem is
 * recorded (a->prob) and sets *stop. 0, or an error that ends the add (the
 * ingest then dead, the message in err). */
static int add_walk_entry(add_t *a, size_t i, uint8_t expect[LEDGER_HASH_LEN], int *stop,
                          ledger_err_t *err)
{
    ledger_ingest_t *in = a->in;
    slot_t *s = slot_get(&a->run, i, &a->sc);
    ledger_entry_t *e = &s->e;
    uint64_t lseq = in->lseq;
    const char *hex = a->hex;
    ledger_err_t e2;
    int rc;

    *stop = 1;
    if (s->drc) {
        ledger_err_set(&e2, LEDGER_EINPUT, "feed %s: entry %zu of the run does not decode: %s", hex,
                       i, s->msg ? s->msg : "");
        problem_set(&a->prob, i, LEDGER_EINPUT, &e2);
        return 0;
    }
    if (memcmp(e->h.feed, a->feed, LEDGER_FEED_LEN) != 0) {
        char other[65];
        ledger_err_set(&e2, LEDGER_EINPUT,
                       "feed %s: entry %zu of the run (seq %llu) belongs to feed %s", hex, i,
                       (unsigned long long)e->h.seq, feed_hex(e->h.feed, other));
        problem_set(&a->prob, i, LEDGER_EINPUT, &e2);
        return 0;
    }
    if (i > 0 && e->h.seq != a->seq0 + i) {
        ledger_err_set(&e2, LEDGER_EINPUT,
                       "feed %s seq %llu: seq gap: the run's entry before it has seq %llu", hex,
                       (unsigned long long)e->h.seq, (unsigned long long)(a->seq0 + i - 1));
        problem_set(&a->prob, i, LEDGER_EINPUT, &e2);
        return 0;
    }
    if (i == 0)
        a->seq0 = e->h.seq;
    *stop = 0;
    if (e->h.seq <= a->head.seq)
        return add_walk_known(a, i, s, expect, stop, err);
    *stop = 1;
    if (a->head.flags & LEDGER_FEED_FORKED) {
        ledger_err_set(&e2, LEDGER_EVERIFY,
                       "feed %s is forked: its new entries are no longer accepted (seq %llu)", hex,
                       (unsigned long long)e->h.seq);
        problem_set(&a->prob, i, LEDGER_EVERIFY, &e2);
        return 0;
    }
    if (a->first_new == a->n) {
        if (e->h.seq != a->head.seq + 1) {
            ledger_err_set(&e2, LEDGER_EINPUT,
                           "feed %s seq %llu: seq gap: this store holds the feed up to seq "
                           "%llu",
                           hex, (unsigned long long)e->h.seq, (unsigned long long)a->head.seq);
            problem_set(&a->prob, i, LEDGER_EINPUT, &e2);
            return 0;
        }
        a->first_new = i;
    }
    if (memcmp(e->h.prev, expect, LEDGER_HASH_LEN) != 0) {
        if (i == 0) {
            a->rep->link_mismatch = 1;
            ledger_err_set(&e2, LEDGER_EVERIFY,
                           "feed %s seq %llu does not link to the stored head (seq %llu): the "
                           "chains differ at or before it",
                           hex, (unsigned long long)e->h.seq, (unsigned long long)a->head.seq);
        } else {
            ledger_err_set(&e2, LEDGER_EVERIFY,
                           "feed %s seq %llu: chain link broken: prev is not the hash of the "
                           "entry before",
                           hex, (unsigned long long)e->h.seq);
        }
        problem_set(&a->prob, i, LEDGER_EVERIFY, &e2);
        return 0;
    }
    if (s->rc) {
        if (s->rc == LEDGER_ENOMEM) {
            in->dead = 1;
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        }
        ledger_err_set(&e2, s->rc, "feed %s seq %llu: %s", hex, (unsigned long long)e->h.seq,
                       s->msg ? s->msg : "bad payload");
        problem_set(&a->prob, i, s->rc, &e2);
        return 0;
    }
    if ((rc = put_entry(in, a->feed, e, a->entries[i], a->lens[i], lseq, err)) ||
        (rc = packed_rows(in, s, lseq, 0, err))) {
        in->dead = 1;
        return rc;
    }
    *stop = 0;
    in->lseq++;
    a->head.seq = e->h.seq;
    memcpy(a->head.hash, s->hash, LEDGER_HASH_LEN);
    a->head.lseq = lseq;
    if (!e->payload)
        a->head.flags |= LEDGER_FEED_SEALED;
    a->head_changed = 1;
    a->rep->accepted++;
    memcpy(expect, s->hash, LEDGER_HASH_LEN);
    return 0;
}

/* Phase 2. The chain walk: checks and puts, entry by entry, up to the
 * first problem. 0, or an error that ends the add (as add_walk_entry). */
static int add_chain_walk(add_t *a, ledger_err_t *err)
{
    uint8_t expect[LEDGER_HASH_LEN];
    int rc, stop;
    memcpy(expect, a->head.hash, LEDGER_HASH_LEN);
    for (size_t i = 0; i < a->walk_end; i++) {
        if ((rc = add_walk_entry(a, i, expect, &stop, err)))
            return rc;
        if (stop)
            break;
    }
    atomic_store(&a->run.limit, 0);
    return 0;
}

/* Phase 3. Stopped early at b: the entries put are vouched for only by the
 * signature of the newest of them (b-1). When it fails, that entry is the
 * first problem, and entry b-2's signature decides about the rest. What is
 * not vouched for is taken back (and the head with it). 0, or an error that
 * ends the add (the ingest then dead). */
static int add_take_back(add_t *a, ledger_err_t *err)
{
    ledger_ingest_t *in = a->in;
    ledger_err_t e2;
    size_t b, keep;
    int rc;

    if (a->prob.at >= a->n || a->rep->accepted == 0)
        return 0;
    b = keep = a->prob.at;
    if (ledger_entry_check_sig(&in->slots[b - 1].e, &e2)) {
        ledger_err_prefix(&e2, "feed %s seq %llu", a->hex,
                          (unsigned long long)in->slots[b - 1].e.h.seq);
        problem_set(&a->prob, b - 1, LEDGER_EVERIFY, &e2);
        keep = b - 1;
        if (keep > a->first_new && ledger_entry_check_sig(&in->slots[keep - 1].e, NULL))
            keep = a->first_new;
    }
    for (size_t j = keep; j < b; j++)
        if ((rc = unput(in, a->feed, &in->slots[j], a->lseq0 + (j - a->first_new), err))) {
            in->dead = 1;
            return rc;
        }
    for (int d = 0; keep < b && d < DB_COUNT; d++) /* fresh cursors after the deletes */
        if (in->cur[d]) {
            mdb_cursor_close(in->cur[d]);
            in->cur[d] = NULL;
        }
    a->rep->accepted = keep - a->first_new;
    in->lseq = a->lseq0 + a->rep->accepted;
    if (keep == a->first_new) {
        a->head = a->head0;
        a->head_changed = 0;
    } else if (keep < b) {
        a->head.seq = in->slots[keep - 1].e.h.seq;
        memcpy(a->head.hash, in->slots[keep - 1].hash, LEDGER_HASH_LEN);
        a->head.lseq = in->lseq - 1;
    }
    return 0;
}

/* After phase 3: the feed's head written back when it changed, and the
 * report; the run's first problem is the result. */
static int add_finish(add_t *a, ledger_err_t *err)
{
    int rc;
    if (a->head_changed &&
        (rc = ledger__put_feedrec(a->in->st, a->in->txn, a->feed, &a->head, err))) {
        a->in->dead = 1;
        return rc;
    }
    a->rep->head_seq = a->head.seq;
    if (a->prob.at < a->n) {
        a->rep->bad_index = a->prob.at;
        if (err)
            *err = a->prob.err;
        return a->prob.rc;
    }
    return 0;
}

int ledger_ingest_add(ledger_ingest_t *in, const uint8_t feed[LEDGER_FEED_LEN],
                      const uint8_t *const *entries, const size_t *lens, size_t n,
                      ledger_ingest_report_t *report, ledger_err_t *err)
{
    ledger_ingest_report_t rep_local;
    add_t a = {.in = in, .feed = feed, .entries = entries, .lens = lens, .n = n};
    pthread_t th;
    int threaded = 0, rc;

    a.rep = report ? report : &rep_local;
    if ((rc = add_begin(&a, &th, &threaded, err)))
        return rc > 0 ? 0 : rc;
    add_check_newest(&a);                  /* 1. the newest entry's signature */
    if (!(rc = add_chain_walk(&a, err)) && /* 2. the chain walk */
        !(rc = add_take_back(&a, err)))    /* 3. what no signature vouches for */
        rc = add_finish(&a, err);
    add_end(&a, th, threaded);
    return rc;
}

/* ---- serving ---------------------------------------------------------- */

/* 1 when own entry feed:seq has a private row (in txn). */
static int is_private(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t seq,
                      ledger_err_t *err)
{
    uint8_t key[LEDGER_FEED_LEN + 8];
    MDB_val k = {sizeof key, key}, v;
    int rc;
    if (st->no_private || memcmp(feed, st->self, LEDGER_FEED_LEN) != 0)
        return 0;
    memcpy(key, feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, seq);
    rc = mdb_get(txn, st->dbi[DB_PRIVATE], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the private index");
    return 1;
}

int ledger_replica_range(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN], uint64_t from,
                         uint64_t to, size_t max_entries, size_t max_bytes, unsigned flags,
                         ledger_range_cb fn, void *ctx, uint64_t *next, ledger_err_t *err)
{
    MDB_txn *txn;
    MDB_cursor *c = NULL;
    uint8_t key[LEDGER_FEED_LEN + 8];
    MDB_val k = {sizeof key, key}, v;
    ledger_buf_t b = LEDGER_BUF_INIT, zb = LEDGER_BUF_INIT;
    feedrec_t head;
    size_t count = 0, bytes = 0;
    uint64_t seq, last;
    int rc, op = MDB_SET_RANGE, own = memcmp(feed, st->self, LEDGER_FEED_LEN) == 0;
    char hex[65];

    if (from == 0)
        from = 1;
    if (next)
        *next = from;
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    rc = ledger__get_feedrec(st, txn, feed, &head, err);
    if (rc == LEDGER_ENOTFOUND)
        rc = ledger_err_set(err, rc, "no feed %s in this store", feed_hex(feed, hex));
    if (rc)
        goto done;
    last = to && to < head.seq ? to : head.seq;
    if (from > last)
        goto done;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_FSEQ], &c))) {
        rc = ledger__lmdb_err(err, rc, "cannot open a cursor");
        goto done;
    }
    memcpy(key, feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, from);
    for (seq = from; seq <= last; seq++, op = MDB_NEXT_NODUP) {
        ledger_stored_t s;
        const uint8_t *out;
        size_t len;
        int seal;
        if ((rc = mdb_cursor_get(c, &k, &v, op)) && rc != MDB_NOTFOUND) {
            rc = ledger__lmdb_err(err, rc, "cannot read the feed index");
            goto done;
        }
        if (rc || k.mv_size != sizeof key || memcmp(k.mv_data, feed, LEDGER_FEED_LEN) != 0 ||
            ledger__get_be64((const uint8_t *)k.mv_data + LEDGER_FEED_LEN) != seq) {
            rc = ledger_err_set(err, LEDGER_EVERIFY,
                                "feed %s seq %llu: missing from the feed index (run keten verify)",
                                feed_hex(feed, hex), (unsigned long long)seq);
            goto done;
        }
        if ((rc = ledger__load_lseq(st, txn, ledger__get_be64(v.mv_data), &s, &zb, err)))
            goto done;
        seal = (flags & LEDGER_RANGE_SEAL) != 0;
        if (!seal && own && (rc = is_private(st, txn, feed, seq, err)) != 0) {
            if (rc < 0)
                goto done;
            seal = 1;
        }
        out = s.bytes;
        len = s.len;
        if (seal && s.e.payload) {
            ledger_buf_reset(&b);
            if (ledger_entry_encode(s.e.hbytes, s.e.hlen, s.e.sig, NULL, 0, &b)) {
                rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
                goto done;
            }
            out = b.data;
            len = b.len;
        }
        if (count > 0 &&
            ((max_entries && count >= max_entries) || (max_bytes && bytes + len > max_bytes)))
            break;
        if ((rc = fn(out, len, seq, ctx)))
            goto done;
        count++;
        bytes += len;
        if (next)
            *next = seq + 1;
    }
    rc = 0;
done:
    if (c)
        mdb_cursor_close(c);
    ledger__end_read(st, txn);
    ledger_buf_free(&b);
    ledger_buf_free(&zb);
    return rc;
}

int ledger_replica_hash(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN], uint64_t seq,
                        uint8_t out[LEDGER_HASH_LEN], ledger_err_t *err)
{
    MDB_txn *txn;
    uint8_t key[LEDGER_FEED_LEN + 8];
    MDB_val k = {sizeof key, key}, v;
    ledger_buf_t zb = LEDGER_BUF_INIT;
    ledger_stored_t s;
    char hex[65];
    int rc;

    memcpy(key, feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, seq);
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    rc = mdb_get(txn, st->dbi[DB_FSEQ], &k, &v); /* the first dup: the main chain's */
    if (rc == MDB_NOTFOUND)
        rc = ledger_err_set(err, LEDGER_ENOTFOUND, "no entry %s:%llu in this store",
                            feed_hex(feed, hex), (unsigned long long)seq);
    else if (rc)
        rc = ledger__lmdb_err(err, rc, "cannot read the feed index");
    else if (!(rc = ledger__load_lseq(st, txn, ledger__get_be64(v.mv_data), &s, &zb, err)))
        ledger_entry_hash(&s.e, out);
    ledger__end_read(st, txn);
    ledger_buf_free(&zb);
    return rc;
}

int ledger_replica_is_private(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN], uint64_t seq,
                              ledger_err_t *err)
{
    MDB_txn *txn;
    int rc;
    if ((rc = ledger__begin_read(st, &txn, err)))
        return rc;
    rc = is_private(st, txn, feed, seq, err);
    ledger__end_read(st, txn);
    return rc;
}

int ledger_replica_at(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN], uint64_t seq,
                      ledger_entry_cb fn, void *ctx, ledger_err_t *err)
{
    /* fseq's dups are sorted by lseq: the main chain's entry came first */
    return ledger_store_get(st, feed, seq, fn, ctx, err);
}
