/* ledger__store.h -- internals shared by ledger_store.c (open, append,
 * reads) and ledger_verify.c (verification): the store struct, the named
 * databases, index rows and feed head records. Not a public contract: only
 * these two files include it. */
#ifndef LEDGER__STORE_H
#define LEDGER__STORE_H

#include <jansson.h>
#include <lmdb.h>
#include <stdint.h>

#include "ledger_store.h"

#define MAP_SIZE ((size_t)1 << 38) /* 256 GiB of address space, not of disk */
#define KEY_MAX 480                /* longer index keys are replaced by their hash */
#define FEEDREC_LEN (1 + 8 + LEDGER_HASH_LEN + 8 + 4)

enum { DB_META, DB_LOG, DB_FEEDS, DB_FSEQ, DB_EVID, DB_IDENT, DB_LOC, DB_TIME, DB_COUNT };

struct ledger_store {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    uint8_t self[LEDGER_FEED_LEN];
    int rdonly;
    MDB_txn *rtxn; /* a read transaction kept for reuse (reset between uses) */
    int rtxn_busy; /* rtxn is in use now */
};

extern const char *const ledger__db_names[DB_COUNT];

/* One index row: db, key (text or bytes) and value (lseq, maybe a role). */
typedef struct row {
    int db;
    uint8_t key[KEY_MAX];
    size_t klen;
    uint8_t val[9];
    size_t vlen;
} row_t;

typedef struct rows {
    row_t *v;
    size_t n, cap;
    uint64_t lseq;
    int oom;
} rows_t;

typedef struct feedrec {
    uint64_t seq;
    uint8_t hash[LEDGER_HASH_LEN];
    uint64_t lseq;
    uint32_t flags;
} feedrec_t;

int ledger__lmdb_err(ledger_err_t *err, int rc, const char *what);
void ledger__put_be64(uint8_t *p, uint64_t v);
uint64_t ledger__get_be64(const uint8_t *p);
char *ledger__feed_hex(const uint8_t *feed, char out[2 * LEDGER_FEED_LEN + 1]);
int ledger__feedrec_decode(const MDB_val *v, feedrec_t *f);
int ledger__get_feedrec(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, feedrec_t *f,
                        ledger_err_t *err);
/* Read transactions: begin one (the store's kept one when it is free), and
 * end it (reset when it is the kept one). A store handle reads from one
 * thread at a time. */
int ledger__begin_read(ledger_store_t *st, MDB_txn **txn, ledger_err_t *err);
void ledger__end_read(ledger_store_t *st, MDB_txn *txn);
int ledger__load_lseq(ledger_store_t *st, MDB_txn *txn, uint64_t lseq, ledger_stored_t *s,
                      ledger_err_t *err);
/* The key under which index db (DB_EVID, DB_IDENT, DB_LOC) files text. */
void ledger__index_key(int db, const char *text, row_t *row);
/* Builds the sorted, unique index rows of one event stored at lseq. */
int ledger__event_rows(const json_t *event, const char *event_id, const char *event_hash,
                       uint64_t lseq, rows_t *r, ledger_err_t *err);

#endif
