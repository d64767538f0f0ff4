/* ledger_store.c -- LMDB storage of entries and indexes (see ledger_store.h).
 *
 * How an append works: one write transaction reads the own feed's head,
 * then per event computes the EPCIS event hash, encodes the payload
 * (deterministic CBOR), builds and signs the header (the chain makes signing
 * sequential: each header holds the hash of the previous signed entry),
 * appends the entry to `log` at the next local position, and adds the index
 * rows. The head is written last; mdb_txn_commit fsyncs. Every index row
 * carries the local position (lseq) of its entry, so a query is a B-tree
 * walk in an index plus one get in `log` per hit. */
#include "ledger_store.h"
#include "ledger__store.h"

#include <errno.h>
#include <pthread.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "ledger_buf.h"
#include "ledger_epcis.h"
#include "ledger_evhash.h"
#include "ledger_sha256.h"

const char *const ledger__db_names[DB_COUNT] = {"meta", "log",  "feeds",   "fseq", "evid", "ident",
                                                "loc",  "time", "private", "edge", "decl",
                                                "tree", "checkpoint"};
static const unsigned db_flags[DB_COUNT] = {0,
                                            0,
                                            0,
                                            MDB_DUPSORT | MDB_DUPFIXED,
                                            MDB_DUPSORT | MDB_DUPFIXED,
                                            MDB_DUPSORT | MDB_DUPFIXED,
                                            MDB_DUPSORT | MDB_DUPFIXED,
                                            MDB_DUPSORT | MDB_DUPFIXED,
                                            0,
                                            0,
                                            MDB_DUPSORT | MDB_DUPFIXED,
                                            0,
                                            0};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- open / close ----------------------------------------------------- */

int ledger_store_open(const char *dir, unsigned flags, const uint8_t *self, ledger_store_t **out,
                      ledger_err_t *err)
{
    ledger_store_t *st = NULL;
    MDB_txn *txn = NULL;
    MDB_val k, v;
    struct stat sb;
    char path[4096];
    int rc, rdonly = (flags & LEDGER_STORE_RDONLY) != 0;

    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (stat(path, &sb) != 0) {
        if (!(flags & LEDGER_STORE_CREATE))
            return ledger_err_set(err, LEDGER_ENOHOME, "no keten database in %s", dir);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return ledger_err_set(err, LEDGER_EIO, "cannot create %s: %s", dir, strerror(errno));
    }
    if (!(st = calloc(1, sizeof *st)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    st->rdonly = rdonly;
    if ((rc = mdb_env_create(&st->env)) || (rc = mdb_env_set_maxdbs(st->env, DB_COUNT + 4)) ||
        (rc = mdb_env_set_mapsize(st->env, MAP_SIZE)) ||
        (rc = mdb_env_set_maxreaders(st->env, 254))) {
        rc = ledger__lmdb_err(err, rc, "cannot set up LMDB");
        goto fail;
    }
    if ((rc = mdb_env_open(st->env, dir,
                           (rdonly ? MDB_RDONLY : 0) | MDB_NOTLS |
                               (flags & LEDGER_STORE_RANDOM ? MDB_NORDAHEAD : 0),
                           0600))) {
        rc = ledger__lmdb_err(err, rc, dir);
        goto fail;
    }
    if ((rc = mdb_txn_begin(st->env, NULL, rdonly ? MDB_RDONLY : 0, &txn))) {
        rc = ledger__lmdb_err(err, rc, "cannot begin a transaction");
        goto fail;
    }
    for (int i = 0; i < DB_COUNT; i++) {
        rc = mdb_dbi_open(txn, ledger__db_names[i], db_flags[i] | (rdonly ? 0 : MDB_CREATE),
                          &st->dbi[i]);
        /* a store made before private entries existed has no "private":
         * opened for writing it gets one; read-only it has none (empty).
         * One of version 1 has no "edge": it is upgraded (below). */
        if (rc == MDB_NOTFOUND && rdonly && i == DB_PRIVATE) {
            st->no_private = 1;
            continue;
        }
        if (rc == MDB_NOTFOUND && rdonly && (i == DB_EDGE || i == DB_DECL || i == DB_TREE || i == DB_CKPT))
            continue;
        if (rc) {
            rc = ledger__lmdb_err(err, rc, ledger__db_names[i]);
            goto fail;
        }
    }
    if ((rc = ledger_zlog_new(st->dbi[DB_META], "zdict", 0, &st->zlog, err)) ||
        (rc = ledger_zlog_new(st->dbi[DB_META], "zcard", 1, &st->zcard, err)))
        goto fail;
    k.mv_data = "self";
    k.mv_size = 4;
    rc = mdb_get(txn, st->dbi[DB_META], &k, &v);
    if (rc == MDB_NOTFOUND) {
        if (rdonly || !self) {
            rc = ledger_err_set(err, LEDGER_ENOHOME, "the database in %s has no own feed", dir);
            goto fail;
        }
        v.mv_data = (void *)self;
        v.mv_size = LEDGER_FEED_LEN;
        if ((rc = mdb_put(txn, st->dbi[DB_META], &k, &v, 0))) {
            rc = ledger__lmdb_err(err, rc, "cannot record the own feed");
            goto fail;
        }
        k.mv_data = "version";
        k.mv_size = 7;
        v.mv_data = STORE_VERSION;
        v.mv_size = sizeof STORE_VERSION - 1;
        if ((rc = mdb_put(txn, st->dbi[DB_META], &k, &v, 0))) {
            rc = ledger__lmdb_err(err, rc, "cannot record the version");
            goto fail;
        }
        memcpy(st->self, self, LEDGER_FEED_LEN);
    } else if (rc) {
        rc = ledger__lmdb_err(err, rc, "cannot read the own feed");
        goto fail;
    } else {
        if (v.mv_size != LEDGER_FEED_LEN) {
            rc = ledger_err_set(err, LEDGER_EIO, "%s: damaged meta record", dir);
            goto fail;
        }
        memcpy(st->self, v.mv_data, LEDGER_FEED_LEN);
        if (self && memcmp(self, st->self, LEDGER_FEED_LEN) != 0) {
            rc = ledger_err_set(err, LEDGER_EINPUT,
                                "the database in %s belongs to another key than this home's", dir);
            goto fail;
        }
        k.mv_data = "version";
        k.mv_size = 7;
        rc = mdb_get(txn, st->dbi[DB_META], &k, &v);
        if (rc && rc != MDB_NOTFOUND) {
            rc = ledger__lmdb_err(err, rc, "cannot read the version");
            goto fail;
        }
        if (rc == 0 &&
            (v.mv_size != 1 || *(char *)v.mv_data < '1' || *(char *)v.mv_data > STORE_VERSION[0])) {
            rc = ledger_err_set(err, LEDGER_EINPUT,
                                "the database in %s has format version %.*s, which this keten "
                                "does not know: use a newer keten",
                                dir, (int)(v.mv_size > 8 ? 8 : v.mv_size), (char *)v.mv_data);
            goto fail;
        }
        if (rc || *(char *)v.mv_data != STORE_VERSION[0]) {
            /* an older format: upgraded in this transaction; read-only, by
             * opening once for writing */
            if (rdonly) {
                mdb_txn_abort(txn);
                mdb_env_close(st->env);
                ledger_zlog_free(st->zlog);
                ledger_zlog_free(st->zcard);
                free(st);
                if ((rc = ledger_store_open(
                         dir, flags & ~(unsigned)(LEDGER_STORE_RDONLY | LEDGER_STORE_RANDOM), self,
                         &st, err))) {
                    ledger_err_prefix(err,
                                      "the database in %s is of an older format and must "
                                      "be upgraded, which needs write access",
                                      dir);
                    return rc;
                }
                ledger_store_close(st);
                return ledger_store_open(dir, flags, self, out, err);
            }
            if ((rc = ledger__store_upgrade(st, txn, rc ? '0' : *(char *)v.mv_data, err)))
                goto fail;
        }
    }
    rc = mdb_txn_commit(txn);
    ledger_zlog_txn_end(st->zcard, rc == 0); /* an upgrade may have trained one */
    if (rc) {
        txn = NULL;
        rc = ledger__commit_err(st->env, err, rc, "cannot commit");
        goto fail;
    }
    *out = st;
    return 0;
fail:
    if (txn)
        mdb_txn_abort(txn);
    if (st->env)
        mdb_env_close(st->env);
    ledger_zlog_free(st->zlog);
    ledger_zlog_free(st->zcard);
    free(st);
    return rc;
}

void ledger_store_close(ledger_store_t *st)
{
    if (!st)
        return;
    for (int i = 0; i < DB_COUNT; i++)
        if (st->hcur[i])
            mdb_cursor_close(st->hcur[i]);
    if (st->rtxn)
        mdb_txn_abort(st->rtxn);
    mdb_env_close(st->env);
    ledger_zlog_free(st->zlog);
    ledger_zlog_free(st->zcard);
    ledger_buf_free(&st->zput);
    ledger_buf_free(&st->zcard_put);
    ledger_buf_free(&st->zcard_raw);
    free(st);
}

int ledger_store_copy(ledger_store_t *st, const char *dir, ledger_err_t *err)
{
    int rc = mdb_env_copy2(st->env, dir, MDB_CP_COMPACT);
    if (rc)
        return ledger_err_set(err, LEDGER_EIO, "cannot copy the store to %s: %s", dir,
                              mdb_strerror(rc));
    return 0;
}

const uint8_t *ledger_store_self(const ledger_store_t *st)
{
    return st->self;
}

/* ---- append ----------------------------------------------------------- */

int ledger__next_lseq(ledger_store_t *st, MDB_txn *txn, uint64_t *out, ledger_err_t *err)
{
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, st->dbi[DB_LOG], &c);
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot open a cursor");
    rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND) {
        *out = 1;
        return 0;
    }
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the log");
    *out = ledger__get_be64(k.mv_data) + 1;
    return 0;
}

/* Is there already an entry stored under eventID text id? */
static int evid_exists(ledger_store_t *st, MDB_txn *txn, const char *id, uint64_t *lseq,
                       ledger_err_t *err)
{
    row_t row;
    MDB_val k, v;
    int rc;
    ledger__index_key(DB_EVID, id, &row);
    k.mv_data = row.key;
    k.mv_size = row.klen;
    rc = mdb_get(txn, st->dbi[DB_EVID], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the event ID index");
    *lseq = ledger__get_be64(v.mv_data);
    return 1;
}

/* ---- the append pipeline ----------------------------------------------
 *
 * Appending one event is two kinds of work. Making its entry needs only the
 * event and the chain: check what the ledger needs of it, compute its EPCIS
 * event hash, encode and hash the payload, build its index rows, refuse or
 * skip a duplicate eventID, then build the header (its prev is the hash of
 * the entry made just before, so this part is strictly sequential), sign it
 * and encode the entry. Storing it needs the write transaction: the LMDB
 * puts of the entry, its feed:seq row and its index rows.
 *
 * For large calls a worker thread makes entries ahead, through a ring of
 * RING slots, while the calling thread (which owns the LMDB write
 * transaction) stores them in order; small calls do both inline. Signing is
 * the largest single cost (libsodium: ~15-20 us), the commit's fsync of the
 * index pages the next, so they land on different threads. The JSON events
 * are touched only by the thread that makes the entries.
 *
 * Duplicates: an eventID is a duplicate when the store already has it (the
 * worker asks a read transaction, which sees everything committed before
 * this append began -- no other writer can commit while we hold the write
 * lock) or when an earlier event of this same append has it (a set in
 * memory, the append's). */

#define RING 512
#define STEP 32 /* a stage tells the next one every STEP events, not every one:
                   a wake-up per event cost about 10% of ingest's CPU in futex
                   calls and context switches (2 cores, 3 threads) */
#define PIPELINE_MIN 256 /* calls smaller than this run inline */

typedef struct prep {
    ledger_epcis_info_t info;
    char hash[LEDGER_EVHASH_LEN];
    const char *event_id; /* the event's eventID (after it was set) */
    ledger_buf_t payload;
    rows_t rows;
    int skipped;        /* a duplicate, skipped */
    uint64_t seq;       /* its seq in the own feed */
    uint64_t rtime;     /* its record time */
    ledger_buf_t entry; /* the signed entry */
    int rc;
    ledger_err_t err;
} prep_t;

/* The set of eventID keys added by this append (open addressing on the
 * first 16 bytes of SHA-256 of the evid key, which collide only by
 * accident: a collision would make an event look like a duplicate). */
typedef struct idset {
    uint8_t (*slot)[16];
    size_t n, cap;
} idset_t;

static void idset_key(const char *event_id, uint8_t key[16])
{
    row_t row;
    uint8_t h[32];
    ledger__index_key(DB_EVID, event_id, &row);
    ledger_sha256(h, row.key, row.klen);
    memcpy(key, h, 16);
    if (!memcmp(key, (uint8_t[16]){0}, 16))
        key[0] = 1; /* all zero marks an empty slot */
}

/* 1 when key is in the set, 0 when it was not (it is added), <0 no memory. */
static int idset_add(idset_t *s, const uint8_t key[16])
{
    static const uint8_t empty[16];
    size_t i;
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        uint8_t(*slot)[16] = calloc(cap, 16);
        if (!slot)
            return LEDGER_ENOMEM;
        for (size_t j = 0; j < s->cap; j++) {
            if (!memcmp(s->slot[j], empty, 16))
                continue;
            uint64_t x;
            memcpy(&x, s->slot[j], 8);
            for (i = x & (cap - 1); memcmp(slot[i], empty, 16); i = (i + 1) & (cap - 1))
                ;
            memcpy(slot[i], s->slot[j], 16);
        }
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    {
        uint64_t x;
        memcpy(&x, key, 8);
        for (i = x & (s->cap - 1); memcmp(s->slot[i], empty, 16); i = (i + 1) & (s->cap - 1))
            if (!memcmp(s->slot[i], key, 16))
                return 1;
    }
    memcpy(s->slot[i], key, 16);
    s->n++;
    return 0;
}

/* The chain as the maker of entries sees it. */
typedef struct chain {
    ledger_store_t *st;
    const ledger_identity_t *id;
    uint64_t seq;                  /* the last entry made */
    uint8_t head[LEDGER_HASH_LEN]; /* its hash */
    uint64_t rtime;
    unsigned flags;
    idset_t ids;
    ledger_buf_t hbytes;
    ledger_epcis_ctx_memo_t ctx_memo; /* LEDGER_APPEND_CHECK: reset per add call */
} chain_t;

/* Prepares event i into p: everything but the signature and the LMDB puts.
 * txn is used to look up committed eventIDs (a read transaction of the
 * preparing thread, or the write transaction when inline). */
static void prep_entry(chain_t *ch, MDB_txn *txn, json_t *ev, size_t i, prep_t *p)
{
    ledger_err_t *err = &p->err;
    uint8_t key[16];
    uint64_t other;
    int rc;

    p->rc = 0;
    p->skipped = 0;
    ledger_buf_reset(&p->payload);
    ledger_buf_reset(&p->entry);
    if (ch->flags & LEDGER_APPEND_CHECK) {
        /* first, so that the GS1 readings of the check are in this thread's
         * memo for the event hash and the index keys below */
        char where[32];
        snprintf(where, sizeof where, "event %zu", i);
        if ((p->rc = ledger_epcis_event_check_memo(ev, where, &ch->ctx_memo, err)))
            return;
    }
    if ((rc = ledger_epcis_info(ev, &p->info, err)) ||
        (rc = ledger_evhash_compute(ev, NULL, p->hash, err)))
        goto fail;
    if (!p->info.event_id) {
        if (json_object_set_new(ev, "eventID", json_string(p->hash))) {
            rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
            goto fail;
        }
    }
    p->event_id = json_string_value(json_object_get(ev, "eventID"));
    idset_key(p->event_id, key);
    if (!p->info.error_declaration) {
        int dup = idset_add(&ch->ids, key);
        if (dup == 0 && (dup = evid_exists(ch->st, txn, p->event_id, &other, err)) < 0) {
            rc = dup;
            goto fail;
        }
        if (dup < 0) {
            rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
            goto fail;
        }
        if (dup == 1) {
            if (ch->flags & LEDGER_APPEND_SKIP_DUPLICATES) {
                p->skipped = 1;
                return;
            }
            rc = ledger_err_set(err, LEDGER_EEXIST,
                                "eventID %s is already recorded; nothing of this call was "
                                "stored (use --skip-duplicates to skip such events, or record "
                                "an errorDeclaration to correct an event)",
                                p->event_id);
            goto fail;
        }
    } else if (idset_add(&ch->ids, key) < 0) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = ledger_event_payload_encode(p->hash, ev, &p->payload, err)))
        goto fail;
    if (p->payload.len > LEDGER_PAYLOAD_MAX) {
        rc = ledger_err_set(err, LEDGER_EINPUT, "encoded event is %zu bytes, over the %d limit",
                            p->payload.len, LEDGER_PAYLOAD_MAX);
        goto fail;
    }
    if ((rc = ledger__event_rows(ev, p->event_id, p->hash, 0, &p->rows, err)))
        goto fail;
    return;
fail:
    ledger_err_prefix(err, "event %zu", i);
    p->rc = rc;
}

/* Signs the prepared event in p: header (seq and prev from the chain),
 * signature, entry; the chain moves on. Sequential by nature. */
static void sign_entry(chain_t *ch, prep_t *p)
{
    ledger_header_t h;
    ledger_entry_t e;
    uint8_t sig[LEDGER_SIG_LEN];

    if (p->rc || p->skipped)
        return;
    memset(&h, 0, sizeof h);
    h.version = LEDGER_FORMAT_VERSION;
    memcpy(h.feed, ch->st->self, LEDGER_FEED_LEN);
    h.seq = ch->seq + 1;
    memcpy(h.prev, ch->head, LEDGER_HASH_LEN);
    h.record_time_ms = ch->rtime;
    h.ptype = LEDGER_PT_EVENT;
    h.plen = p->payload.len;
    ledger_sha256(h.phash, p->payload.data, p->payload.len);
    ledger_buf_reset(&ch->hbytes);
    if (ledger_header_encode(&h, &ch->hbytes) ||
        (ledger_identity_sign(ch->id, ch->hbytes.data, ch->hbytes.len, sig),
         ledger_entry_encode(ch->hbytes.data, ch->hbytes.len, sig, p->payload.data, p->payload.len,
                             &p->entry))) {
        p->rc = ledger_err_set(&p->err, LEDGER_ENOMEM, "out of memory");
        return;
    }
    e.hbytes = ch->hbytes.data;
    e.hlen = ch->hbytes.len;
    e.sig = sig;
    ledger_entry_hash(&e, ch->head);
    ch->seq = h.seq;
    p->seq = h.seq;
    p->rtime = h.record_time_ms;
}

typedef struct pipeline {
    json_t **events;
    size_t n;
    size_t base; /* caller's index of events[0], for messages */
    chain_t *chain;
    prep_t *slot; /* RING (or 1, inline) slots */
    size_t nslots;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t prepared, signed_, consumed; /* events prepared / signed / stored */
    int stop;                           /* the storer gave up: the threads stop */
    int waiting;                        /* someone sleeps on cv: wake them */
} pipeline_t;

/* Waits until *counter > i (or stop); returns 0, or 1 when told to stop. */
static int wait_for(pipeline_t *pl, const size_t *counter, size_t i)
{
    int stop;
    pthread_mutex_lock(&pl->mu);
    while (!pl->stop && *counter <= i) {
        pl->waiting++;
        pthread_cond_wait(&pl->cv, &pl->mu);
        pl->waiting--;
    }
    stop = pl->stop && *counter <= i;
    pthread_mutex_unlock(&pl->mu);
    return stop;
}

static void advance(pipeline_t *pl, size_t *counter, size_t value)
{
    pthread_mutex_lock(&pl->mu);
    *counter = value;
    if (pl->waiting)
        pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
}

/* Non-blocking looks at the counters, so that a stage that is about to
 * wait on the one before tells the one after what it has done first (else
 * the three could wait on each other with work done but not told). */
static size_t peek(pipeline_t *pl, const size_t *counter)
{
    pthread_mutex_lock(&pl->mu);
    size_t v = *counter;
    pthread_mutex_unlock(&pl->mu);
    return v;
}

static int slot_free(pipeline_t *pl, size_t i) { return peek(pl, &pl->consumed) > i; }
static int more_prepared(pipeline_t *pl, size_t i) { return peek(pl, &pl->prepared) > i; }
static int more_signed(pipeline_t *pl, size_t i) { return peek(pl, &pl->signed_) > i; }

/* Thread 1: prepares events ahead of the signer, as long as slots are free. */
static void *prep_worker(void *arg)
{
    pipeline_t *pl = arg;
    MDB_txn *rtxn = NULL;

    if (mdb_txn_begin(pl->chain->st->env, NULL, MDB_RDONLY, &rtxn) != 0)
        rtxn = NULL;
    size_t told = 0; /* events the others know are prepared */
    for (size_t i = 0; i < pl->n; i++) {
        prep_t *p = &pl->slot[i % pl->nslots];
        if (i >= pl->nslots) {
            if (told < i && !slot_free(pl, i - pl->nslots))
                advance(pl, &pl->prepared, told = i); /* tell before sleeping */
            if (wait_for(pl, &pl->consumed, i - pl->nslots))
                break;
        }
        if (!rtxn)
            p->rc = ledger_err_set(&p->err, LEDGER_EIO, "cannot begin a read transaction");
        else
            prep_entry(pl->chain, rtxn, pl->events[i], pl->base + i, p);
        /* read before advance: once advanced, the slot belongs to the others */
        int failed = p->rc != 0;
        if (failed || (i + 1) % STEP == 0 || i + 1 == pl->n)
            advance(pl, &pl->prepared, told = i + 1);
        if (failed)
            break; /* the storer stops at this slot */
    }
    if (rtxn)
        mdb_txn_abort(rtxn);
    return NULL;
}

/* Thread 2: signs prepared events in order (the chain is sequential). */
static void *sign_worker(void *arg)
{
    pipeline_t *pl = arg;
    for (size_t i = 0; i < pl->n; i++) {
        prep_t *p = &pl->slot[i % pl->nslots];
        if (wait_for(pl, &pl->prepared, i))
            break;
        sign_entry(pl->chain, p);
        /* p->rc must be read before advance: once event i is signed the
         * storer may store it and release its slot, and the preparer may
         * fill the slot with event i + RING; a bad event there made this
         * thread stop one event early and the storer wait for ever (seen
         * once in test_big_batch_one_bad: bad event 1234 = 722 + 512, the
         * storer waiting for 723) */
        int failed = p->rc != 0;
        if (failed || (i + 1) % STEP == 0 || i + 1 == pl->n || !more_prepared(pl, i + 1))
            advance(pl, &pl->signed_, i + 1);
        if (failed)
            break;
    }
    return NULL;
}

/* The storer's view: waits until event i is signed; returns its slot. */
static prep_t *pipeline_get(pipeline_t *pl, MDB_txn *wtxn, size_t i, int threaded)
{
    if (!threaded) {
        prep_entry(pl->chain, wtxn, pl->events[i], pl->base + i, &pl->slot[0]);
        sign_entry(pl->chain, &pl->slot[0]);
        return &pl->slot[0];
    }
    wait_for(pl, &pl->signed_, i);
    return &pl->slot[i % pl->nslots];
}

static void pipeline_release(pipeline_t *pl, size_t i, int threaded)
{
    if (threaded && ((i + 1) % STEP == 0 || !more_signed(pl, i + 1)))
        advance(pl, &pl->consumed, i + 1);
}

int ledger__put_entry(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t seq,
                      const uint8_t *bytes, size_t len, uint64_t lseq, ledger_err_t *err)
{
    uint8_t fseqkey[LEDGER_FEED_LEN + 8], lseqbuf[8];
    MDB_val k = {8, lseqbuf}, v = {len, (void *)bytes};
    int rc;

    ledger__put_be64(lseqbuf, lseq);
    if ((rc = ledger_zlog_pack(st->zlog, txn, st->dbi[DB_LOG], lseq, bytes, len, &st->zput, &v, err)))
        return rc;
    if ((rc = mdb_put(txn, st->dbi[DB_LOG], &k, &v, MDB_APPEND)))
        return ledger__lmdb_err(err, rc, "cannot append to the log");
    memcpy(fseqkey, feed, LEDGER_FEED_LEN);
    ledger__put_be64(fseqkey + LEDGER_FEED_LEN, seq);
    k.mv_data = fseqkey;
    k.mv_size = sizeof fseqkey;
    v.mv_data = lseqbuf;
    v.mv_size = 8;
    if ((rc = mdb_put(txn, st->dbi[DB_FSEQ], &k, &v, 0)))
        return ledger__lmdb_err(err, rc, "cannot index the entry");
    ledger_entry_t e;
    if ((rc = ledger_entry_decode(bytes, len, &e, err)))
        return rc;
    return ledger__tree_add(st, txn, feed, seq, e.hbytes, e.hlen, err);
}

/* Stores one made entry at local position lseq: the log, the feed index,
 * the private row when asked, and the index rows (built before lseq was
 * known). */
static int store_entry(ledger_store_t *st, MDB_txn *txn, prep_t *p, uint64_t lseq, int private_,
                       ledger_err_t *err)
{
    int rc;

    if ((rc = ledger__put_entry(st, txn, st->self, p->seq, p->entry.data, p->entry.len, lseq, err)))
        return rc;
    if (private_) {
        uint8_t key[LEDGER_FEED_LEN + 8], val[8];
        MDB_val k = {sizeof key, key}, v = {8, val};
        memcpy(key, st->self, LEDGER_FEED_LEN);
        ledger__put_be64(key + LEDGER_FEED_LEN, p->seq);
        ledger__put_be64(val, lseq);
        if ((rc = mdb_put(txn, st->dbi[DB_PRIVATE], &k, &v, 0)))
            return ledger__lmdb_err(err, rc, "cannot mark the entry private");
    }
    ledger__rows_set_lseq(&p->rows, lseq);
    return ledger__put_rows(st, txn, &p->rows, st->self, p->seq, p->rtime, err);
}

struct ledger_append {
    chain_t ch;
    MDB_txn *txn;
    uint64_t lseq;      /* the next local position */
    uint64_t head_lseq; /* where the last entry went */
    uint64_t stored;    /* entries stored by this append */
    int failed;         /* an add failed: only abort is left */
};

int ledger_store_append_begin(ledger_store_t *st, const ledger_identity_t *id, unsigned flags,
                              ledger_append_t **out, ledger_err_t *err)
{
    ledger_append_t *a;
    feedrec_t head;
    int rc;

    if (st->rdonly)
        return ledger_err_set(err, LEDGER_ELOCKED, "the store is open read-only");
    if (memcmp(ledger_identity_public(id), st->self, LEDGER_FEED_LEN) != 0)
        return ledger_err_set(err, LEDGER_EINVAL, "the signing key is not this store's own key");
    if (!(a = calloc(1, sizeof *a)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    a->ch.st = st;
    a->ch.id = id;
    a->ch.rtime = now_ms();
    a->ch.flags = flags;
    if ((rc = mdb_txn_begin(st->env, NULL, 0, &a->txn))) {
        free(a);
        return ledger__lmdb_err(err, rc, "cannot begin a write transaction");
    }
    rc = ledger__get_feedrec(st, a->txn, st->self, &head, err);
    if (rc == LEDGER_ENOTFOUND)
        memset(&head, 0, sizeof head), rc = 0;
    if (!rc && (head.flags & LEDGER_FEED_FORKED))
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "the own feed is marked forked: run keten verify and see docs");
    if (!rc)
        rc = ledger__next_lseq(st, a->txn, &a->lseq, err);
    if (rc) {
        ledger_store_append_abort(a);
        return rc;
    }
    a->ch.seq = head.seq;
    memcpy(a->ch.head, head.hash, LEDGER_HASH_LEN);
    a->head_lseq = head.lseq;
    *out = a;
    return 0;
}

int ledger_store_append_add(ledger_append_t *a, json_t **events, size_t n, size_t first_index,
                            ledger_append_result_t *results, ledger_err_t *err)
{
    pipeline_t pl = {.events = events, .n = n, .base = first_index, .chain = &a->ch};
    pthread_t preparer, signer;
    int rc = 0, threaded = n >= PIPELINE_MIN, started = 0;

    if (a->failed)
        return ledger_err_set(err, LEDGER_EINVAL, "this append already failed: abort it");
    a->ch.ctx_memo = (ledger_epcis_ctx_memo_t){0}; /* the events it saw may be gone */
    pl.nslots = threaded ? RING : 1;
    if (!(pl.slot = calloc(pl.nslots, sizeof *pl.slot))) {
        a->failed = 1;
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv, NULL);
    if (threaded) {
        if (pthread_create(&preparer, NULL, prep_worker, &pl) != 0) {
            rc = ledger_err_set(err, LEDGER_ENOMEM, "cannot start the preparing thread");
            goto done;
        }
        started = 1;
        if (pthread_create(&signer, NULL, sign_worker, &pl) != 0) {
            rc = ledger_err_set(err, LEDGER_ENOMEM, "cannot start the signing thread");
            goto done;
        }
        started = 2;
    }
    for (size_t i = 0; i < n; i++) {
        prep_t *p = pipeline_get(&pl, a->txn, i, threaded);
        ledger_append_result_t *res = results ? &results[i] : NULL;
        if (p->rc) {
            rc = p->rc;
            if (err)
                *err = p->err;
            goto done;
        }
        if (!p->skipped) {
            if ((rc = store_entry(a->ch.st, a->txn, p, a->lseq,
                                  (a->ch.flags & LEDGER_APPEND_PRIVATE) != 0, err)))
                goto done;
            a->head_lseq = a->lseq++;
            a->stored++;
        }
        if (res) {
            memset(res, 0, sizeof *res);
            snprintf(res->event_id, sizeof res->event_id, "%s", p->event_id);
            snprintf(res->event_hash, sizeof res->event_hash, "%s", p->hash);
            res->skipped = p->skipped;
            res->seq = p->skipped ? 0 : p->seq;
        }
        pipeline_release(&pl, i, threaded);
    }
done:
    if (started) {
        pthread_mutex_lock(&pl.mu);
        pl.stop = 1;
        pthread_cond_broadcast(&pl.cv);
        pthread_mutex_unlock(&pl.mu);
        pthread_join(preparer, NULL);
        if (started == 2)
            pthread_join(signer, NULL);
    }
    for (size_t i = 0; i < pl.nslots; i++) {
        ledger_buf_free(&pl.slot[i].payload);
        ledger_buf_free(&pl.slot[i].entry);
        ledger__rows_free(&pl.slot[i].rows);
    }
    free(pl.slot);
    pthread_mutex_destroy(&pl.mu);
    pthread_cond_destroy(&pl.cv);
    if (rc)
        a->failed = 1;
    return rc;
}

int ledger_store_append_commit(ledger_append_t *a, ledger_err_t *err)
{
    uint8_t rec[FEEDREC_LEN];
    feedrec_t head = {0};
    MDB_val k = {LEDGER_FEED_LEN, a->ch.st->self}, v = {FEEDREC_LEN, rec};
    MDB_env *env;
    int rc;

    if (a->failed) {
        ledger_store_append_abort(a);
        return ledger_err_set(err, LEDGER_EINVAL, "this append failed: nothing was stored");
    }
    head.seq = a->ch.seq;
    memcpy(head.hash, a->ch.head, LEDGER_HASH_LEN);
    head.lseq = a->head_lseq;
    ledger__feedrec_encode(&head, rec);
    /* nothing stored (every event a skipped duplicate, or none at all): the
     * head stays as it was, and a feed with no entry gets no head record */
    if (a->stored && (rc = mdb_put(a->txn, a->ch.st->dbi[DB_FEEDS], &k, &v, 0))) {
        rc = ledger__lmdb_err(err, rc, "cannot write the feed head");
        ledger_store_append_abort(a);
        return rc;
    }
    /* one signed checkpoint of the own tree per commit */
    if (a->stored && (rc = ledger__checkpoint_own(a->ch.st, a->txn, a->ch.id, head.seq, err))) {
        ledger_store_append_abort(a);
        return rc;
    }
    env = a->ch.st->env; /* a is freed below */
    rc = mdb_txn_commit(a->txn);
    a->txn = NULL;
    ledger_zlog_txn_end(a->ch.st->zlog, rc == 0);
    ledger_zlog_txn_end(a->ch.st->zcard, rc == 0);
    ledger_store_append_abort(a); /* frees */
    if (rc)
        return ledger__commit_err(env, err, rc, "cannot commit (nothing was stored)");
    return 0;
}

void ledger_store_append_abort(ledger_append_t *a)
{
    if (!a)
        return;
    if (a->txn) {
        mdb_txn_abort(a->txn);
        ledger_zlog_txn_end(a->ch.st->zlog, 0);
        ledger_zlog_txn_end(a->ch.st->zcard, 0);
    }
    ledger_buf_free(&a->ch.hbytes);
    free(a->ch.ids.slot);
    free(a);
}

uint64_t ledger_store_append_seq(const ledger_append_t *a)
{
    return a->ch.seq;
}

int ledger_store_append_events(ledger_store_t *st, const ledger_identity_t *id, json_t **events,
                               size_t n, unsigned flags, ledger_append_result_t *results,
                               ledger_err_t *err)
{
    ledger_append_t *a;
    int rc;
    if ((rc = ledger_store_append_begin(st, id, flags, &a, err)))
        return rc;
    if ((rc = ledger_store_append_add(a, events, n, 0, results, err))) {
        ledger_store_append_abort(a);
        return rc;
    }
    return ledger_store_append_commit(a, err);
}

int ledger_store_append_payload(ledger_store_t *st, const ledger_identity_t *id, uint32_t ptype,
                                const uint8_t *p, size_t n, uint64_t *seq, ledger_err_t *err)
{
    ledger_append_t *a;
    ledger_header_t h;
    ledger_entry_t e;
    ledger_buf_t entry = LEDGER_BUF_INIT;
    uint8_t sig[LEDGER_SIG_LEN];
    int rc;

    if (ptype == LEDGER_PT_EVENT)
        return ledger_err_set(err, LEDGER_EINVAL, "events are appended with their index rows");
    if (n > LEDGER_PAYLOAD_MAX)
        return ledger_err_set(err, LEDGER_ETOOBIG, "a payload of %zu bytes, over the %d limit", n,
                              LEDGER_PAYLOAD_MAX);
    if ((rc = ledger_store_append_begin(st, id, 0, &a, err)))
        return rc;
    memset(&h, 0, sizeof h);
    h.version = LEDGER_FORMAT_VERSION;
    memcpy(h.feed, st->self, LEDGER_FEED_LEN);
    h.seq = a->ch.seq + 1;
    memcpy(h.prev, a->ch.head, LEDGER_HASH_LEN);
    h.record_time_ms = a->ch.rtime;
    h.ptype = ptype;
    h.plen = n;
    ledger_sha256(h.phash, p, n);
    if (ledger_header_encode(&h, &a->ch.hbytes) ||
        (ledger_identity_sign(id, a->ch.hbytes.data, a->ch.hbytes.len, sig),
         ledger_entry_encode(a->ch.hbytes.data, a->ch.hbytes.len, sig, p, n, &entry))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = ledger__put_entry(st, a->txn, st->self, h.seq, entry.data, entry.len, a->lseq, err)))
        goto fail;
    e.hbytes = a->ch.hbytes.data;
    e.hlen = a->ch.hbytes.len;
    e.sig = sig;
    ledger_entry_hash(&e, a->ch.head);
    a->ch.seq = h.seq;
    a->head_lseq = a->lseq++;
    a->stored++;
    ledger_buf_free(&entry);
    if ((rc = ledger_store_append_commit(a, err)))
        return rc;
    if (seq)
        *seq = h.seq;
    return 0;
fail:
    ledger_buf_free(&entry);
    ledger_store_append_abort(a);
    return rc;
}
