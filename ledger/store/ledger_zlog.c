/* ledger_zlog.c -- entries in the log, compressed with a trained zstd
 * dictionary (see ledger_zlog.h for the stored forms).
 *
 * How it works: the codec keeps a cache of the dictionaries it has read
 * from meta, each as a zstd DDict (and, once it compresses with it, a
 * CDict), under a mutex. ledger_zlog_pack asks meta for the newest
 * dictionary once per write transaction (a write transaction's id names
 * the committed state it started from, so one look-up per id is enough);
 * ledger_zlog_unpack reads a dictionary it has not seen from meta in the
 * caller's transaction. Each thread keeps one compression and one
 * decompression context (a _Thread_local pointer, freed by a pthread key
 * destructor when the thread ends), so that a call allocates nothing but
 * the output. Training (ledger_zlog_train) runs inside the write
 * transaction whose next entry finds the log long enough, so that even
 * the first import of a large document is kept compressed after its first
 * entries; the dictionary it makes is cached as pending, and forgotten
 * again when that transaction does not commit (ledger_zlog_txn_end), so
 * that the cache never holds a dictionary meta does not. */
#include "ledger_zlog.h"

#include "ledger_entry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>

/* An LMDB failure as the store reports one (LEDGER_EIO and its text). */
static int lmdb_err(ledger_err_t *err, int rc, const char *what)
{
    return ledger_err_set(err, LEDGER_EIO, "%s: %s", what, mdb_strerror(rc));
}

#define FORM_ZSTD 0x01   /* 0x01 ‖ dict id (u16 BE) ‖ zstd frame */
#define FORM_ENTRY 0x83  /* an entry's CBOR: an array of 3 */
#define FORM_RAW 0x00    /* tagged codecs: 0x00 ‖ the value as it is */
#define ZHDR 3
#define ENTRY_MAX (LEDGER_PAYLOAD_MAX + 4096) /* header, signature, CBOR framing */
#define LEVEL 1 /* measured: level 3 is not smaller on entries with a dictionary */

typedef struct zdict {
    uint16_t id;
    ZSTD_DDict *dd;
    ZSTD_CDict *cd; /* made on first compression */
    uint8_t *bytes;
    size_t len;
} zdict_t;

struct ledger_zlog {
    MDB_dbi meta;
    char prefix[6]; /* of the dictionaries' keys in meta: "zdict", "zcard" */
    int tagged;     /* a value as it is carries FORM_RAW in front (else: an entry) */
    pthread_mutex_t mu;
    zdict_t *d;
    size_t nd;
    size_t pack_txn;    /* the write transaction id newest was looked up in */
    int pack_newest;    /* index into d of the newest dictionary, -1: none */
    size_t tried_txn;   /* the write transaction id training was tried in */
    int train_failed;   /* training failed once: entries stay as they are */
    uint16_t pending;   /* a dictionary trained in the open write transaction */
};

/* ---- per-thread zstd contexts ------------------------------------------- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t ckey, dkey, bkey;
static int keys_ok;
static uint64_t train_at = LEDGER_ZLOG_TRAIN_AT;
static _Thread_local ZSTD_CCtx *tcctx;
static _Thread_local ZSTD_DCtx *tdctx;
static _Thread_local ledger_buf_t *tbuf; /* ledger_zlog_unpack_tls */

static void free_cctx(void *p)
{
    ZSTD_freeCCtx(p);
}

static void free_dctx(void *p)
{
    ZSTD_freeDCtx(p);
}

static void free_buf(void *p)
{
    ledger_buf_free(p);
    free(p);
}

static void init(void)
{
    const char *s = getenv("KETEN_ZLOG_TRAIN_AT");
    char *end;
    keys_ok = pthread_key_create(&ckey, free_cctx) == 0;
    keys_ok = keys_ok && pthread_key_create(&dkey, free_dctx) == 0;
    keys_ok = keys_ok && pthread_key_create(&bkey, free_buf) == 0;
    if (s && *s) {
        unsigned long long v = strtoull(s, &end, 10);
        if (*end == '\0')
            train_at = v;
    }
}

static ZSTD_CCtx *thread_cctx(void)
{
    pthread_once(&once, init);
    if (tcctx || !keys_ok)
        return tcctx;
    if (!(tcctx = ZSTD_createCCtx()))
        return NULL;
    if (pthread_setspecific(ckey, tcctx) != 0 ||
        ZSTD_isError(ZSTD_CCtx_setParameter(tcctx, ZSTD_c_checksumFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(tcctx, ZSTD_c_dictIDFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(tcctx, ZSTD_c_contentSizeFlag, 1))) {
        ZSTD_freeCCtx(tcctx);
        tcctx = NULL;
    }
    return tcctx;
}

static ZSTD_DCtx *thread_dctx(void)
{
    pthread_once(&once, init);
    if (tdctx || !keys_ok)
        return tdctx;
    if (!(tdctx = ZSTD_createDCtx()))
        return NULL;
    if (pthread_setspecific(dkey, tdctx) != 0) {
        ZSTD_freeDCtx(tdctx);
        tdctx = NULL;
    }
    return tdctx;
}

uint64_t ledger_zlog_train_at(void)
{
    pthread_once(&once, init);
    return train_at;
}

/* ---- the dictionary cache ------------------------------------------------ */

static void dict_key(const ledger_zlog_t *z, uint8_t key[7], uint16_t id)
{
    memcpy(key, z->prefix, 5);
    key[5] = (uint8_t)(id >> 8);
    key[6] = (uint8_t)id;
}

int ledger_zlog_new(MDB_dbi meta, const char *prefix, int tagged, ledger_zlog_t **out,
                    ledger_err_t *err)
{
    ledger_zlog_t *z;
    if (strlen(prefix) != 5)
        return ledger_err_set(err, LEDGER_EINVAL, "a dictionary prefix is 5 bytes");
    if (!(z = calloc(1, sizeof *z)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    z->meta = meta;
    memcpy(z->prefix, prefix, 6);
    z->tagged = tagged;
    z->pack_txn = (size_t)-1;
    z->tried_txn = (size_t)-1;
    z->pack_newest = -1;
    pthread_mutex_init(&z->mu, NULL);
    *out = z;
    return 0;
}

void ledger_zlog_free(ledger_zlog_t *z)
{
    if (!z)
        return;
    for (size_t i = 0; i < z->nd; i++) {
        ZSTD_freeDDict(z->d[i].dd);
        ZSTD_freeCDict(z->d[i].cd);
        free(z->d[i].bytes);
    }
    free(z->d);
    pthread_mutex_destroy(&z->mu);
    free(z);
}

/* Index of dictionary id in the cache, reading it from meta in txn when it
 * is not there yet; -1 with err set. Called with z->mu held. */
static int dict_find(ledger_zlog_t *z, MDB_txn *txn, uint16_t id, ledger_err_t *err)
{
    uint8_t key[7];
    MDB_val k = {sizeof key, key}, v;
    zdict_t *nd, d = {.id = id};
    int rc;

    for (size_t i = 0; i < z->nd; i++)
        if (z->d[i].id == id)
            return (int)i;
    dict_key(z, key, id);
    if ((rc = mdb_get(txn, z->meta, &k, &v))) {
        if (rc == MDB_NOTFOUND)
            ledger_err_set(err, LEDGER_EVERIFY,
                           "compressed with dictionary %u, which the store does not hold", id);
        else
            lmdb_err(err, rc, "cannot read a log dictionary");
        return -1;
    }
    if (!v.mv_size || !(d.bytes = malloc(v.mv_size)) ||
        !(nd = realloc(z->d, (z->nd + 1) * sizeof *nd))) {
        free(d.bytes);
        ledger_err_set(err, LEDGER_ENOMEM, v.mv_size ? "out of memory" : "empty log dictionary");
        return -1;
    }
    z->d = nd;
    memcpy(d.bytes, v.mv_data, v.mv_size);
    d.len = v.mv_size;
    if (!(d.dd = ZSTD_createDDict(d.bytes, d.len))) {
        free(d.bytes);
        ledger_err_set(err, LEDGER_EVERIFY, "log dictionary %u cannot be loaded", id);
        return -1;
    }
    z->d[z->nd] = d;
    return (int)z->nd++;
}

/* The newest dictionary in meta as of txn: its cache index, -1 for none,
 * or -2 with err set. Called with z->mu held. */
static int dict_newest(ledger_zlog_t *z, MDB_txn *txn, ledger_err_t *err)
{
    uint8_t past[8] = {0, 0, 0, 0, 0, 0xff, 0xff, 0xff};
    MDB_val k = {sizeof past, past}, v;
    MDB_cursor *c;
    int rc, i;

    memcpy(past, z->prefix, 5);
    if ((rc = mdb_cursor_open(txn, z->meta, &c))) {
        lmdb_err(err, rc, "cannot open a cursor");
        return -2;
    }
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    rc = mdb_cursor_get(c, &k, &v, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size != 7 || memcmp(k.mv_data, z->prefix, 5))))
        return -1;
    if (rc) {
        lmdb_err(err, rc, "cannot read the log dictionaries");
        return -2;
    }
    i = dict_find(z, txn, (uint16_t)(((const uint8_t *)k.mv_data)[5] << 8 |
                                     ((const uint8_t *)k.mv_data)[6]),
                  err);
    return i < 0 ? -2 : i;
}

/* ---- pack and unpack ------------------------------------------------------ */

/* The value as it is: the bytes themselves, or FORM_RAW and them (tagged). */
static int as_is(const ledger_zlog_t *z, const uint8_t *entry, size_t n, ledger_buf_t *out,
                 MDB_val *val, ledger_err_t *err)
{
    val->mv_data = (void *)entry;
    val->mv_size = n;
    if (!z->tagged)
        return 0;
    out->len = 0;
    if (ledger_buf_reserve(out, n + 1))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    out->data[0] = FORM_RAW;
    memcpy(out->data + 1, entry, n);
    out->len = n + 1;
    val->mv_data = out->data;
    val->mv_size = out->len;
    return 0;
}

int ledger_zlog_pack(ledger_zlog_t *z, MDB_txn *txn, MDB_dbi log, uint64_t lseq,
                     const uint8_t *entry, size_t n, ledger_buf_t *out, MDB_val *val,
                     ledger_err_t *err)
{
    ZSTD_CCtx *cc;
    ZSTD_CDict *cd = NULL;
    uint64_t at = ledger_zlog_train_at();
    uint16_t id = 0;
    size_t c, bound, tid = mdb_txn_id(txn);
    int i, due;

    val->mv_data = (void *)entry;
    val->mv_size = n;
    pthread_mutex_lock(&z->mu);
    if (z->pack_txn != tid) {
        if ((i = dict_newest(z, txn, err)) == -2) {
            pthread_mutex_unlock(&z->mu);
            return err ? err->code : LEDGER_EIO;
        }
        z->pack_newest = i;
        z->pack_txn = tid;
    }
    due = z->pack_newest < 0 && at && lseq > at && !z->train_failed && z->tried_txn != tid;
    if (due)
        z->tried_txn = tid;
    pthread_mutex_unlock(&z->mu);
    if (due) {
        int rc = ledger_zlog_train(z, txn, log, NULL);
        pthread_mutex_lock(&z->mu);
        if (rc < 0)
            z->train_failed = 1;
        if (rc == 1 && (i = dict_newest(z, txn, NULL)) >= 0)
            z->pack_newest = i;
        pthread_mutex_unlock(&z->mu);
    }
    pthread_mutex_lock(&z->mu);
    if (z->pack_newest >= 0) {
        zdict_t *d = &z->d[z->pack_newest];
        if (!d->cd)
            d->cd = ZSTD_createCDict(d->bytes, d->len, LEVEL);
        cd = d->cd;
        id = d->id;
    }
    pthread_mutex_unlock(&z->mu); /* a dictionary, once cached, stays until free */
    if (!cd || !(cc = thread_cctx()))
        return as_is(z, entry, n, out, val, err); /* no dictionary yet (or no memory) */
    bound = ZSTD_compressBound(n) + ZHDR;
    out->len = 0;
    if (ledger_buf_reserve(out, bound))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    out->data[0] = FORM_ZSTD;
    out->data[1] = (uint8_t)(id >> 8);
    out->data[2] = (uint8_t)id;
    if (ZSTD_isError(ZSTD_CCtx_refCDict(cc, cd)))
        return as_is(z, entry, n, out, val, err);
    c = ZSTD_compress2(cc, out->data + ZHDR, bound - ZHDR, entry, n);
    ZSTD_CCtx_refCDict(cc, NULL);
    if (ZSTD_isError(c) || c + ZHDR >= n + z->tagged)
        return as_is(z, entry, n, out, val, err);
    out->len = c + ZHDR;
    val->mv_data = out->data;
    val->mv_size = out->len;
    return 0;
}

int ledger_zlog_unpack(ledger_zlog_t *z, MDB_txn *txn, const MDB_val *val, ledger_buf_t *zb,
                       const uint8_t **p, size_t *n, ledger_err_t *err)
{
    const uint8_t *v = val->mv_data;
    unsigned long long size;
    ZSTD_DDict *dd;
    ZSTD_DCtx *dc;
    size_t got;
    uint16_t id;
    int i;

    if (val->mv_size && !z->tagged && v[0] == FORM_ENTRY) {
        *p = v;
        *n = val->mv_size;
        return 0;
    }
    if (val->mv_size && z->tagged && v[0] == FORM_RAW) {
        *p = v + 1;
        *n = val->mv_size - 1;
        return 0;
    }
    if (val->mv_size <= ZHDR || v[0] != FORM_ZSTD)
        return ledger_err_set(err, LEDGER_EVERIFY, "stored in no known form (%zu bytes, first 0x%02x)",
                              val->mv_size, val->mv_size ? v[0] : 0);
    id = (uint16_t)(v[1] << 8 | v[2]);
    pthread_mutex_lock(&z->mu);
    i = dict_find(z, txn, id, err);
    dd = i >= 0 ? z->d[i].dd : NULL;
    pthread_mutex_unlock(&z->mu);
    if (!dd)
        return err ? err->code : LEDGER_EVERIFY;
    size = ZSTD_getFrameContentSize(v + ZHDR, val->mv_size - ZHDR);
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size == 0 ||
        size > ENTRY_MAX)
        return ledger_err_set(err, LEDGER_EVERIFY, "compressed value with a bad frame header");
    if (!(dc = thread_dctx()))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    zb->len = 0;
    if (ledger_buf_reserve(zb, (size_t)size))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    got = ZSTD_decompress_usingDDict(dc, zb->data, (size_t)size, v + ZHDR, val->mv_size - ZHDR, dd);
    if (ZSTD_isError(got) || got != size)
        return ledger_err_set(err, LEDGER_EVERIFY, "compressed value does not decompress: %s",
                              ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size");
    zb->len = got;
    *p = zb->data;
    *n = got;
    return 0;
}

void ledger_zlog_txn_end(ledger_zlog_t *z, int committed)
{
    pthread_mutex_lock(&z->mu);
    if (z->pending && !committed) {
        for (size_t i = 0; i < z->nd; i++)
            if (z->d[i].id == z->pending) {
                ZSTD_freeDDict(z->d[i].dd);
                ZSTD_freeCDict(z->d[i].cd);
                free(z->d[i].bytes);
                z->d[i] = z->d[--z->nd];
                break;
            }
        z->tried_txn = (size_t)-1;
    }
    z->pending = 0;
    z->pack_txn = (size_t)-1; /* the next write transaction looks again */
    pthread_mutex_unlock(&z->mu);
}

int ledger_zlog_unpack_tls(ledger_zlog_t *z, MDB_txn *txn, const MDB_val *val,
                           const uint8_t **p, size_t *n, ledger_err_t *err)
{
    pthread_once(&once, init);
    if (!tbuf && keys_ok) {
        if (!(tbuf = calloc(1, sizeof *tbuf)))
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        if (pthread_setspecific(bkey, tbuf) != 0) {
            free(tbuf);
            tbuf = NULL;
        }
    }
    if (!tbuf)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    return ledger_zlog_unpack(z, txn, val, tbuf, p, n, err);
}

/* ---- training ------------------------------------------------------------- */

int ledger_zlog_train(ledger_zlog_t *z, MDB_txn *txn, MDB_dbi log, ledger_err_t *err)
{
    uint8_t key[7], *dict = NULL;
    MDB_val k, v, dk = {sizeof key, key};
    MDB_cursor *c = NULL;
    MDB_stat ms;
    ledger_buf_t samples = {0}, zb = {0};
    size_t *sizes = NULL, nb = 0, dlen;
    uint64_t want = ledger_zlog_train_at();
    int rc, i, op = MDB_FIRST;

    if (!want)
        return 0;
    pthread_mutex_lock(&z->mu);
    i = dict_newest(z, txn, err);
    pthread_mutex_unlock(&z->mu);
    if (i != -1)
        return i == -2 ? (err ? err->code : LEDGER_EIO) : 0;
    if ((rc = mdb_stat(txn, log, &ms)))
        return lmdb_err(err, rc, "cannot count the log");
    if (ms.ms_entries < want)
        return 0;
    if (!(sizes = malloc(want * sizeof *sizes)) || !(dict = malloc(LEDGER_ZLOG_DICT_MAX))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = mdb_cursor_open(txn, log, &c))) {
        rc = lmdb_err(err, rc, "cannot open a cursor");
        goto done;
    }
    while (nb < want && (rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        const uint8_t *p;
        size_t n;
        op = MDB_NEXT;
        if ((rc = ledger_zlog_unpack(z, txn, &v, &zb, &p, &n, err)))
            goto done;
        if (samples.len + n > LEDGER_ZLOG_SAMPLE_MAX)
            break;
        if (ledger_buf_append(&samples, p, n)) {
            rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
            goto done;
        }
        sizes[nb++] = n;
    }
    if (rc && rc != MDB_NOTFOUND) {
        rc = lmdb_err(err, rc, "cannot read the log");
        goto done;
    }
    if (!nb) {
        rc = 0;
        goto done;
    }
    dlen = ZDICT_trainFromBuffer(dict, LEDGER_ZLOG_DICT_MAX, samples.data, sizes, (unsigned)nb);
    if (ZDICT_isError(dlen) || dlen < 8) {
        /* too few or too alike samples for the trainer: their last bytes */
        dlen = samples.len < LEDGER_ZLOG_DICT_MAX ? samples.len : LEDGER_ZLOG_DICT_MAX;
        memcpy(dict, samples.data + samples.len - dlen, dlen);
    }
    dict_key(z, key, 1);
    v.mv_data = dict;
    v.mv_size = dlen;
    if ((rc = mdb_put(txn, z->meta, &dk, &v, MDB_NOOVERWRITE))) {
        rc = lmdb_err(err, rc, "cannot store the log dictionary");
        goto done;
    }
    pthread_mutex_lock(&z->mu);
    z->pending = 1; /* cached once read, until the transaction ends */
    pthread_mutex_unlock(&z->mu);
    rc = 1;
done:
    if (c)
        mdb_cursor_close(c);
    ledger_buf_free(&samples);
    ledger_buf_free(&zb);
    free(sizes);
    free(dict);
    return rc;
}
