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
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ledger_buf.h"
#include "ledger_epcis.h"
#include "ledger_evhash.h"
#include "ledger_gs1.h"

const char *const ledger__db_names[DB_COUNT] = {"meta", "log",   "feeds", "fseq",
                                               "evid", "ident", "loc",   "time"};
static const unsigned db_flags[DB_COUNT] = {
    0, 0, 0, MDB_DUPSORT | MDB_DUPFIXED, MDB_DUPSORT | MDB_DUPFIXED,
    MDB_DUPSORT | MDB_DUPFIXED, MDB_DUPSORT | MDB_DUPFIXED, MDB_DUPSORT | MDB_DUPFIXED};

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

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

char *ledger__feed_hex(const uint8_t *feed, char out[2 * LEDGER_FEED_LEN + 1])
{
    return ledger_hex(feed, LEDGER_FEED_LEN, out);
}

/* ---- index rows ------------------------------------------------------- */

static row_t *row_new(rows_t *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        row_t *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            r->oom = 1;
            return NULL;
        }
        r->v = v;
        r->cap = cap;
    }
    return &r->v[r->n++];
}

/* Text keys longer than KEY_MAX become "sha256:<hex>" of the text. */
static void set_text_key(row_t *row, const char *s)
{
    size_t n = strlen(s);
    if (n <= KEY_MAX) {
        memcpy(row->key, s, n);
        row->klen = n;
    } else {
        uint8_t h[32];
        crypto_hash_sha256(h, (const uint8_t *)s, n);
        memcpy(row->key, "sha256:", 7);
        ledger_hex(h, 32, (char *)row->key + 7);
        row->klen = 7 + 64;
    }
}

/* n bytes from 2n lowercase hex digits at s (no terminator needed). */
static int unhex_lower(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < 2 * n; i++) {
        int c = s[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] |= (uint8_t)v;
    }
    return 0;
}

/* Event IDs in the event-hash form (ni:///sha-256;<64 hex>?ver=CBV2.0, the
 * usual case) are keyed by 0x01 and their 32 raw hash bytes: a third of the
 * text's size, so the evid B-tree stays small and fast. Other IDs are text
 * (no URI starts with byte 0x01). */
static void set_evid_key(row_t *row, const char *id)
{
    static const char head[] = "ni:///sha-256;", tail[] = "?ver=CBV2.0";
    size_t n = strlen(id), h = sizeof head - 1;
    if (n == h + 64 + sizeof tail - 1 && memcmp(id, head, h) == 0 &&
        memcmp(id + h + 64, tail, sizeof tail - 1) == 0 && unhex_lower(id + h, row->key + 1, 32) == 0) {
        row->key[0] = 0x01;
        row->klen = 33;
        return;
    }
    set_text_key(row, id);
}

void ledger__index_key(int db, const char *text, row_t *row)
{
    row->db = db;
    if (db == DB_EVID)
        set_evid_key(row, text);
    else
        set_text_key(row, text);
}

static void add_text_row(rows_t *r, int db, const char *key, int role)
{
    row_t *row = row_new(r);
    if (!row)
        return;
    row->db = db;
    if (db == DB_EVID)
        set_evid_key(row, key);
    else
        set_text_key(row, key);
    ledger__put_be64(row->val, r->lseq);
    row->vlen = 8;
    if (role >= 0) {
        row->val[8] = (uint8_t)role;
        row->vlen = 9;
    }
}

static int ident_row_cb(const char *id, enum ledger_epcis_role role, void *ctx)
{
    add_text_row(ctx, DB_IDENT, id, (int)role);
    return ((rows_t *)ctx)->oom ? LEDGER_ENOMEM : 0;
}

static int row_cmp(const void *a, const void *b)
{
    const row_t *x = a, *y = b;
    if (x->db != y->db)
        return x->db - y->db;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    int c = memcmp(x->key, y->key, x->klen);
    if (c)
        return c;
    if (x->vlen != y->vlen)
        return x->vlen < y->vlen ? -1 : 1;
    return memcmp(x->val, y->val, x->vlen);
}

/* Builds the (sorted, unique) index rows of one event stored at lseq. */
int ledger__event_rows(const json_t *event, const char *event_id, const char *event_hash,
                      uint64_t lseq, rows_t *r, ledger_err_t *err)
{
    ledger_epcis_info_t info;
    int rc;

    r->n = 0;
    r->lseq = lseq;
    r->oom = 0;
    if ((rc = ledger_epcis_info(event, &info, err)))
        return rc;
    add_text_row(r, DB_EVID, event_id, -1);
    if (strcmp(event_id, event_hash) != 0)
        add_text_row(r, DB_EVID, event_hash, -1);
    if (info.biz_location)
        add_text_row(r, DB_LOC, info.biz_location, 1);
    if (info.read_point)
        add_text_row(r, DB_LOC, info.read_point, 2);
    if (!r->oom) {
        row_t *row = row_new(r);
        if (row) {
            row->db = DB_TIME;
            ledger__put_be64(row->key, (uint64_t)info.event_time_ms ^ ((uint64_t)1 << 63));
            row->klen = 8;
            ledger__put_be64(row->val, lseq);
            row->vlen = 8;
        }
    }
    if (!r->oom && (rc = ledger_epcis_identifiers(event, ident_row_cb, r, err)))
        return rc;
    if (r->oom)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    qsort(r->v, r->n, sizeof *r->v, row_cmp);
    {
        size_t w = 0;
        for (size_t i = 0; i < r->n; i++)
            if (w == 0 || row_cmp(&r->v[w - 1], &r->v[i]) != 0)
                r->v[w++] = r->v[i];
        r->n = w;
    }
    return 0;
}

/* ---- open / close ----------------------------------------------------- */

int ledger_store_open(const char *dir, unsigned flags, const uint8_t *self,
                      ledger_store_t **out, ledger_err_t *err)
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
    if ((rc = mdb_env_open(st->env, dir, (rdonly ? MDB_RDONLY : 0) | MDB_NOTLS, 0600))) {
        rc = ledger__lmdb_err(err, rc, dir);
        goto fail;
    }
    if ((rc = mdb_txn_begin(st->env, NULL, rdonly ? MDB_RDONLY : 0, &txn))) {
        rc = ledger__lmdb_err(err, rc, "cannot begin a transaction");
        goto fail;
    }
    for (int i = 0; i < DB_COUNT; i++) {
        if ((rc = mdb_dbi_open(txn, ledger__db_names[i], db_flags[i] | (rdonly ? 0 : MDB_CREATE),
                               &st->dbi[i]))) {
            rc = ledger__lmdb_err(err, rc, ledger__db_names[i]);
            goto fail;
        }
    }
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
        v.mv_data = "1";
        v.mv_size = 1;
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
    }
    if ((rc = mdb_txn_commit(txn))) {
        txn = NULL;
        rc = ledger__lmdb_err(err, rc, "cannot commit");
        goto fail;
    }
    *out = st;
    return 0;
fail:
    if (txn)
        mdb_txn_abort(txn);
    if (st->env)
        mdb_env_close(st->env);
    free(st);
    return rc;
}

void ledger_store_close(ledger_store_t *st)
{
    if (!st)
        return;
    mdb_env_close(st->env);
    free(st);
}

const uint8_t *ledger_store_self(const ledger_store_t *st)
{
    return st->self;
}

/* ---- feed records ----------------------------------------------------- */

static void feedrec_encode(const feedrec_t *f, uint8_t out[FEEDREC_LEN])
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

/* ---- append ----------------------------------------------------------- */

static int put_rows(ledger_store_t *st, MDB_txn *txn, const rows_t *r, ledger_err_t *err)
{
    for (size_t i = 0; i < r->n; i++) {
        MDB_val k = {r->v[i].klen, (void *)r->v[i].key};
        MDB_val v = {r->v[i].vlen, (void *)r->v[i].val};
        int rc = mdb_put(txn, st->dbi[r->v[i].db], &k, &v, 0);
        if (rc)
            return ledger__lmdb_err(err, rc, "cannot write an index row");
    }
    return 0;
}

/* The lseq that the next entry gets: one past the last in `log`. */
static int next_lseq(ledger_store_t *st, MDB_txn *txn, uint64_t *out, ledger_err_t *err)
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
    set_evid_key(&row, id);
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
 * Appending one event is two kinds of work. Preparing it needs only the
 * event: check what the ledger needs of it, compute its EPCIS event hash,
 * encode the payload and hash it, and build its index rows. Committing it
 * needs the chain and the database: the duplicate check, the header (its
 * prev is the hash of the entry just signed, so signing is strictly
 * sequential), the signature and the LMDB puts. For large calls a worker
 * thread prepares events ahead, through a ring of RING slots, while the
 * calling thread commits them in order; small calls do both inline. The JSON
 * events are touched only by the preparing thread. */

#define RING 512
#define PIPELINE_MIN 256 /* calls smaller than this prepare inline */

typedef struct prep {
    ledger_epcis_info_t info;
    char hash[LEDGER_EVHASH_LEN];
    const char *event_id; /* the event's eventID (after it was set) */
    ledger_buf_t payload;
    uint8_t phash[LEDGER_HASH_LEN];
    rows_t rows;
    int rc;
    ledger_err_t err;
} prep_t;

typedef struct pipeline {
    json_t **events;
    size_t n;
    size_t base; /* caller's index of events[0], for messages */
    prep_t *slot; /* RING (or n, inline) slots */
    size_t nslots;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t produced, consumed; /* events prepared / committed so far */
    int stop;                  /* the committer gave up: the worker must stop */
    int worker_waits, committer_waits; /* who sleeps on cv (wake only them) */
} pipeline_t;

/* Prepares event i into p. Sets the event's eventID to its hash when it has
 * none (the eventID is part of what is signed). */
static void prep_event(json_t *ev, size_t i, prep_t *p)
{
    ledger_err_t *err = &p->err;
    int rc;

    p->rc = 0;
    ledger_buf_reset(&p->payload);
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
    if ((rc = ledger_event_payload_encode(p->hash, ev, &p->payload, err)))
        goto fail;
    if (p->payload.len > LEDGER_PAYLOAD_MAX) {
        rc = ledger_err_set(err, LEDGER_EINPUT, "encoded event is %zu bytes, over the %d limit",
                            p->payload.len, LEDGER_PAYLOAD_MAX);
        goto fail;
    }
    crypto_hash_sha256(p->phash, p->payload.data, p->payload.len);
    if ((rc = ledger__event_rows(ev, p->event_id, p->hash, 0, &p->rows, err)))
        goto fail;
    return;
fail:
    ledger_err_prefix(err, "event %zu", i);
    p->rc = rc;
}

static void *prep_worker(void *arg)
{
    pipeline_t *pl = arg;
    for (size_t i = 0; i < pl->n; i++) {
        pthread_mutex_lock(&pl->mu);
        while (!pl->stop && i - pl->consumed >= pl->nslots) {
            pl->worker_waits = 1;
            pthread_cond_wait(&pl->cv, &pl->mu);
            pl->worker_waits = 0;
        }
        if (pl->stop) {
            pthread_mutex_unlock(&pl->mu);
            break;
        }
        pthread_mutex_unlock(&pl->mu);
        prep_event(pl->events[i], pl->base + i, &pl->slot[i % pl->nslots]);
        pthread_mutex_lock(&pl->mu);
        pl->produced = i + 1;
        if (pl->committer_waits)
            pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
    }
    return NULL;
}

/* The committer's view: waits until event i is prepared; returns its slot. */
static prep_t *pipeline_get(pipeline_t *pl, size_t i, int threaded)
{
    if (!threaded) {
        prep_event(pl->events[i], pl->base + i, &pl->slot[0]);
        return &pl->slot[0];
    }
    pthread_mutex_lock(&pl->mu);
    while (pl->produced <= i) {
        pl->committer_waits = 1;
        pthread_cond_wait(&pl->cv, &pl->mu);
        pl->committer_waits = 0;
    }
    pthread_mutex_unlock(&pl->mu);
    return &pl->slot[i % pl->nslots];
}

static void pipeline_release(pipeline_t *pl, size_t i, int threaded)
{
    if (!threaded)
        return;
    pthread_mutex_lock(&pl->mu);
    pl->consumed = i + 1;
    if (pl->worker_waits)
        pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
}

typedef struct committer {
    ledger_store_t *st;
    MDB_txn *txn;
    const ledger_identity_t *id;
    feedrec_t head;
    uint64_t lseq, rtime;
    ledger_buf_t hbytes, entry;
} committer_t;

/* Commits one prepared event: duplicate check, header, signature, entry,
 * log, feed index and index rows. *skipped is set when it was skipped. */
static int commit_event(committer_t *c, prep_t *p, size_t i, unsigned flags, int *skipped,
                        ledger_err_t *err)
{
    ledger_store_t *st = c->st;
    ledger_header_t h;
    ledger_entry_t e;
    uint8_t sig[LEDGER_SIG_LEN], fseqkey[LEDGER_FEED_LEN + 8], lseqbuf[8];
    uint64_t other;
    MDB_val k, v;
    int rc;

    *skipped = 0;
    if (!p->info.error_declaration) {
        if ((rc = evid_exists(st, c->txn, p->event_id, &other, err)) < 0)
            return rc;
        if (rc == 1) {
            if (flags & LEDGER_APPEND_SKIP_DUPLICATES) {
                *skipped = 1;
                return 0;
            }
            return ledger_err_set(err, LEDGER_EEXIST,
                                  "event %zu: eventID %s is already recorded; nothing of this "
                                  "call was stored (use --skip-duplicates to skip such events, "
                                  "or record an errorDeclaration to correct an event)",
                                  i, p->event_id);
        }
    }
    memset(&h, 0, sizeof h);
    h.version = LEDGER_FORMAT_VERSION;
    memcpy(h.feed, st->self, LEDGER_FEED_LEN);
    h.seq = c->head.seq + 1;
    memcpy(h.prev, c->head.hash, LEDGER_HASH_LEN);
    h.record_time_ms = c->rtime;
    h.ptype = LEDGER_PT_EVENT;
    h.plen = p->payload.len;
    memcpy(h.phash, p->phash, LEDGER_HASH_LEN);
    ledger_buf_reset(&c->hbytes);
    ledger_buf_reset(&c->entry);
    if (ledger_header_encode(&h, &c->hbytes))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    ledger_identity_sign(c->id, c->hbytes.data, c->hbytes.len, sig);
    if (ledger_entry_encode(c->hbytes.data, c->hbytes.len, sig, p->payload.data, p->payload.len,
                            &c->entry))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    ledger__put_be64(lseqbuf, c->lseq);
    k.mv_data = lseqbuf;
    k.mv_size = 8;
    v.mv_data = c->entry.data;
    v.mv_size = c->entry.len;
    if ((rc = mdb_put(c->txn, st->dbi[DB_LOG], &k, &v, MDB_APPEND)))
        return ledger__lmdb_err(err, rc, "cannot append to the log");
    memcpy(fseqkey, st->self, LEDGER_FEED_LEN);
    ledger__put_be64(fseqkey + LEDGER_FEED_LEN, h.seq);
    k.mv_data = fseqkey;
    k.mv_size = sizeof fseqkey;
    v.mv_data = lseqbuf;
    v.mv_size = 8;
    if ((rc = mdb_put(c->txn, st->dbi[DB_FSEQ], &k, &v, 0)))
        return ledger__lmdb_err(err, rc, "cannot index the entry");
    for (size_t r = 0; r < p->rows.n; r++) /* the rows were built before lseq was known */
        ledger__put_be64(p->rows.v[r].val, c->lseq);
    if ((rc = put_rows(st, c->txn, &p->rows, err)))
        return rc;
    e.hbytes = c->hbytes.data;
    e.hlen = c->hbytes.len;
    e.sig = sig;
    ledger_entry_hash(&e, c->head.hash);
    c->head.seq = h.seq;
    c->head.lseq = c->lseq;
    c->lseq++;
    return 0;
}

struct ledger_append {
    committer_t c;
    unsigned flags;
    int failed; /* an add failed: only abort is left */
};

int ledger_store_append_begin(ledger_store_t *st, const ledger_identity_t *id, unsigned flags,
                              ledger_append_t **out, ledger_err_t *err)
{
    ledger_append_t *a;
    int rc;

    if (st->rdonly)
        return ledger_err_set(err, LEDGER_ELOCKED, "the store is open read-only");
    if (memcmp(ledger_identity_public(id), st->self, LEDGER_FEED_LEN) != 0)
        return ledger_err_set(err, LEDGER_EINVAL, "the signing key is not this store's own key");
    if (!(a = calloc(1, sizeof *a)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    a->c.st = st;
    a->c.id = id;
    a->c.rtime = now_ms();
    a->flags = flags;
    if ((rc = mdb_txn_begin(st->env, NULL, 0, &a->c.txn))) {
        free(a);
        return ledger__lmdb_err(err, rc, "cannot begin a write transaction");
    }
    rc = ledger__get_feedrec(st, a->c.txn, st->self, &a->c.head, err);
    if (rc == LEDGER_ENOTFOUND)
        memset(&a->c.head, 0, sizeof a->c.head), rc = 0;
    if (!rc && (a->c.head.flags & LEDGER_FEED_FORKED))
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "the own feed is marked forked: run keten verify and see docs");
    if (!rc)
        rc = next_lseq(st, a->c.txn, &a->c.lseq, err);
    if (rc) {
        ledger_store_append_abort(a);
        return rc;
    }
    *out = a;
    return 0;
}

int ledger_store_append_add(ledger_append_t *a, json_t **events, size_t n, size_t first_index,
                            ledger_append_result_t *results, ledger_err_t *err)
{
    pipeline_t pl = {.events = events, .n = n, .base = first_index};
    pthread_t worker;
    int rc = 0, threaded = n >= PIPELINE_MIN, started = 0;

    if (a->failed)
        return ledger_err_set(err, LEDGER_EINVAL, "this append already failed: abort it");
    pl.nslots = threaded ? RING : 1;
    if (!(pl.slot = calloc(pl.nslots, sizeof *pl.slot))) {
        a->failed = 1;
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv, NULL);
    if (threaded) {
        if (pthread_create(&worker, NULL, prep_worker, &pl) != 0) {
            rc = ledger_err_set(err, LEDGER_ENOMEM, "cannot start the preparing thread");
            goto done;
        }
        started = 1;
    }
    for (size_t i = 0; i < n; i++) {
        prep_t *p = pipeline_get(&pl, i, threaded);
        ledger_append_result_t *res = results ? &results[i] : NULL;
        int skipped = 0;
        if (p->rc) {
            rc = p->rc;
            if (err)
                *err = p->err;
            goto done;
        }
        if ((rc = commit_event(&a->c, p, first_index + i, a->flags, &skipped, err)))
            goto done;
        if (res) {
            memset(res, 0, sizeof *res);
            snprintf(res->event_id, sizeof res->event_id, "%s", p->event_id);
            snprintf(res->event_hash, sizeof res->event_hash, "%s", p->hash);
            res->skipped = skipped;
            res->seq = skipped ? 0 : a->c.head.seq;
        }
        pipeline_release(&pl, i, threaded);
    }
done:
    if (started) {
        pthread_mutex_lock(&pl.mu);
        pl.stop = 1;
        pthread_cond_broadcast(&pl.cv);
        pthread_mutex_unlock(&pl.mu);
        pthread_join(worker, NULL);
    }
    for (size_t i = 0; i < pl.nslots; i++) {
        ledger_buf_free(&pl.slot[i].payload);
        free(pl.slot[i].rows.v);
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
    MDB_val k = {LEDGER_FEED_LEN, a->c.st->self}, v = {FEEDREC_LEN, rec};
    int rc;

    if (a->failed) {
        ledger_store_append_abort(a);
        return ledger_err_set(err, LEDGER_EINVAL, "this append failed: nothing was stored");
    }
    feedrec_encode(&a->c.head, rec);
    if ((rc = mdb_put(a->c.txn, a->c.st->dbi[DB_FEEDS], &k, &v, 0))) {
        rc = ledger__lmdb_err(err, rc, "cannot write the feed head");
        ledger_store_append_abort(a);
        return rc;
    }
    rc = mdb_txn_commit(a->c.txn);
    a->c.txn = NULL;
    ledger_store_append_abort(a); /* frees */
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot commit (nothing was stored)");
    return 0;
}

void ledger_store_append_abort(ledger_append_t *a)
{
    if (!a)
        return;
    if (a->c.txn)
        mdb_txn_abort(a->c.txn);
    ledger_buf_free(&a->c.hbytes);
    ledger_buf_free(&a->c.entry);
    free(a);
}

uint64_t ledger_store_append_seq(const ledger_append_t *a)
{
    return a->c.head.seq;
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

