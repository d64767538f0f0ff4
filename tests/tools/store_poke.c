/* store_poke.c -- damages one byte of a keten store on purpose, for
 * tests/e2e/verify_checkpoint.sh (which works on a copy): keten verify
 * must find every such change, except the one the docs name.
 *
 *   store_poke HOME entry FEED SEQ header|sig|payload AT [fixhead]
 *       flips byte AT of that part of entry FEED:SEQ in the log; with
 *       fixhead the feed's head record is rewritten to the changed
 *       entry's hash as well (as someone who can write the store would)
 *       (an entry kept compressed is written back as itself: both are
 *       forms of a log value, ledger_zlog.h)
 *   store_poke HOME value FEED SEQ AT     flips byte AT of entry FEED:SEQ's
 *       stored value as it is (compressed or not)
 *   store_poke HOME tree FEED INDEX AT    flips byte AT of leaf INDEX's tree row
 *   store_poke HOME checkpoint FEED AT    flips byte AT of the feed's kept checkpoint
 *
 * FEED is 64 hex digits; AT counts from 0 (a negative AT from the end).
 * Prints what it changed; exits 0, or 2 with a message. */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_entry.h"
#include "ledger_zlog.h"

static MDB_env *env;
static MDB_txn *txn;

static void die(const char *what, const char *why)
{
    fprintf(stderr, "store_poke: %s: %s\n", what, why);
    exit(2);
}

static void lmdb(const char *what, int rc)
{
    if (rc)
        die(what, mdb_strerror(rc));
}

static MDB_dbi db(const char *name)
{
    MDB_dbi d;
    lmdb(name, mdb_dbi_open(txn, name, 0, &d));
    return d;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Flips byte at (negative: from the end) of v's copy in buf; returns its
 * offset. */
static size_t flip(const MDB_val *v, uint8_t *buf, long at)
{
    size_t off = at < 0 ? v->mv_size - (size_t)(-at) : (size_t)at;
    if (at < 0 ? (size_t)(-at) > v->mv_size : off >= v->mv_size)
        die("offset", "past the value");
    memcpy(buf, v->mv_data, v->mv_size);
    buf[off] ^= 0x01;
    return off;
}

static void put(MDB_dbi d, MDB_val *k, uint8_t *buf, size_t n)
{
    MDB_val v = {n, buf};
    lmdb("put", mdb_put(txn, d, k, &v, 0));
}

static void poke_entry(const uint8_t *feed, uint64_t seq, const char *part, long at, int fixhead)
{
    uint8_t key[40], lb[8], *buf;
    MDB_val k = {sizeof key, key}, v, lk = {8, lb};
    MDB_dbi fseq = db("fseq"), log = db("log");
    ledger_entry_t e;
    size_t base, len, off;
    memcpy(key, feed, 32);
    put_be64(key + 32, seq);
    lmdb("fseq", mdb_get(txn, fseq, &k, &v));
    memcpy(lb, v.mv_data, 8);
    lmdb("log", mdb_get(txn, log, &lk, &v));
    ledger_zlog_t *z;
    ledger_buf_t zb = {0};
    const uint8_t *p;
    size_t n;
    if (ledger_zlog_new(db("meta"), "zdict", 0, &z, NULL) || ledger_zlog_unpack(z, txn, &v, &zb, &p, &n, NULL))
        die("entry", "cannot read its stored value");
    v.mv_data = (void *)p;
    v.mv_size = n;
    if (!(buf = malloc(v.mv_size)))
        die("entry", "out of memory");
    memcpy(buf, v.mv_data, v.mv_size);
    ledger_buf_free(&zb);
    ledger_zlog_free(z);
    if (ledger_entry_decode(buf, v.mv_size, &e, NULL))
        die("entry", "does not decode");
    if (strcmp(part, "header") == 0) {
        base = (size_t)(e.hbytes - buf);
        len = e.hlen;
    } else if (strcmp(part, "sig") == 0) {
        base = (size_t)(e.sig - buf);
        len = LEDGER_SIG_LEN;
    } else if (strcmp(part, "payload") == 0 && e.payload) {
        base = (size_t)(e.payload - buf);
        len = e.plen;
    } else {
        die(part, "not header, sig or payload (of an entry with one)");
    }
    off = at < 0 ? len - (size_t)(-at) : (size_t)at;
    if (off >= len)
        die("offset", "past the part");
    buf[base + off] ^= 0x01;
    put(log, &lk, buf, v.mv_size);
    printf("entry seq %llu: flipped byte %zu of its %s\n", (unsigned long long)seq, off, part);
    if (fixhead) {
        MDB_dbi feeds = db("feeds");
        MDB_val fk = {32, (void *)feed}, fv;
        uint8_t rec[128];
        if (ledger_entry_decode(buf, v.mv_size, &e, NULL))
            die("entry", "no longer decodes");
        lmdb("feeds", mdb_get(txn, feeds, &fk, &fv));
        if (fv.mv_size > sizeof rec || fv.mv_size < 9 + LEDGER_HASH_LEN)
            die("feeds", "a head record of another size");
        memcpy(rec, fv.mv_data, fv.mv_size);
        ledger_entry_hash(&e, rec + 9); /* version, seq, hash, ... (ledger_store_rec.c) */
        put(feeds, &fk, rec, fv.mv_size);
        printf("head record: its hash is the changed entry's\n");
    }
    free(buf);
}

int main(int argc, char **argv)
{
    char path[4096];
    uint8_t feed[32], buf[70000];
    if (argc < 5 || ledger_unhex(argv[3], feed, 32)) {
        fprintf(stderr, "usage: store_poke HOME entry|tree|checkpoint FEED ... (see the source)\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s/db", argv[1]);
    lmdb("env", mdb_env_create(&env));
    lmdb("env", mdb_env_set_maxdbs(env, 32));
    lmdb(path, mdb_env_open(env, path, MDB_NOTLS, 0600));
    lmdb("begin", mdb_txn_begin(env, NULL, 0, &txn));
    if (strcmp(argv[2], "entry") == 0 && (argc == 7 || argc == 8)) {
        poke_entry(feed, strtoull(argv[4], NULL, 10), argv[5], strtol(argv[6], NULL, 10),
                   argc == 8 && strcmp(argv[7], "fixhead") == 0);
    } else if (strcmp(argv[2], "value") == 0 && argc == 6) {
        MDB_dbi fseq = db("fseq"), log = db("log");
        uint8_t key[40], lb[8];
        MDB_val k = {sizeof key, key}, lk = {8, lb}, v;
        memcpy(key, feed, 32);
        put_be64(key + 32, strtoull(argv[4], NULL, 10));
        lmdb("fseq", mdb_get(txn, fseq, &k, &v));
        memcpy(lb, v.mv_data, 8);
        lmdb("log", mdb_get(txn, log, &lk, &v));
        if (v.mv_size > sizeof buf)
            die("log", "value too long");
        size_t off = flip(&v, buf, strtol(argv[5], NULL, 10));
        put(log, &lk, buf, v.mv_size);
        printf("entry seq %s: flipped byte %zu of its stored value (%zu bytes, form 0x%02x)\n",
               argv[4], off, v.mv_size, buf[0]);
    } else if (strcmp(argv[2], "tree") == 0 && argc == 6) {
        MDB_dbi d = db("tree");
        uint8_t key[40];
        MDB_val k = {sizeof key, key}, v;
        memcpy(key, feed, 32);
        put_be64(key + 32, strtoull(argv[4], NULL, 10));
        lmdb("tree", mdb_get(txn, d, &k, &v));
        if (v.mv_size > sizeof buf)
            die("tree", "row too long");
        size_t off = flip(&v, buf, strtol(argv[5], NULL, 10));
        put(d, &k, buf, v.mv_size);
        printf("tree row of leaf %s: flipped byte %zu\n", argv[4], off);
    } else if (strcmp(argv[2], "checkpoint") == 0 && argc == 5) {
        MDB_dbi d = db("checkpoint");
        MDB_val k = {32, feed}, v;
        lmdb("checkpoint", mdb_get(txn, d, &k, &v));
        if (v.mv_size > sizeof buf)
            die("checkpoint", "note too long");
        size_t off = flip(&v, buf, strtol(argv[4], NULL, 10));
        put(d, &k, buf, v.mv_size);
        printf("checkpoint: flipped byte %zu ('%c' -> '%c')\n", off, buf[off] ^ 1, buf[off]);
    } else {
        fprintf(stderr, "store_poke: unexpected arguments (see the source)\n");
        return 2;
    }
    lmdb("commit", mdb_txn_commit(txn));
    mdb_env_close(env);
    return 0;
}
