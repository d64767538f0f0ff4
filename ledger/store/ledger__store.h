/* ledger__store.h -- internals shared by the store's modules: ledger_store.c
 * (open, append), ledger_store_rec.c (records, below all the others),
 * ledger_rows.c and ledger_rows_cbor.c (index rows), ledger_store_upgrade.c (format upgrades),
 * ledger_query.c (reads), ledger_verify.c (verification), ledger_replica.c (ingest and serving
 * of partners' entries) and ledger_streampos.c (stream positions in meta): the store struct, the named databases, index rows
 * and feed head records. Not a public contract: only these files (and the
 * fuzz target that compares the two ways to build rows) include it. */
#ifndef LEDGER__STORE_H
#define LEDGER__STORE_H

#include <jansson.h>
#include <lmdb.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_store.h"
#include "ledger_zlog.h"

#ifndef MAP_SIZE /* -DMAP_SIZE=... builds for valgrind, which cannot map 256 GiB */
#define MAP_SIZE ((size_t)1 << 38) /* 256 GiB of address space, not of disk */
#endif
#define KEY_MAX 480                /* longer index keys are replaced by their hash */
#define FEEDREC_LEN (1 + 8 + LEDGER_HASH_LEN + 8 + 4)

enum {
    DB_META,
    DB_LOG,
    DB_FEEDS,
    DB_FSEQ,
    DB_EVID,
    DB_IDENT,
    DB_LOC,
    DB_TIME,
    DB_PRIVATE, /* own feed(32) | seq (u64 BE) -> lseq: entries recorded private */
    DB_EDGE,    /* lseq (u64 BE) -> the event's card (ledger_store_card) */
    DB_DECL,    /* eventID / event hash (as in evid) -> lseq of an errorDeclaration */
    DB_TREE,    /* feed(32) | leaf index (u64 BE) -> the feed's Merkle tree (ledger_tree_db.c) */
    DB_CKPT,    /* feed(32) -> its newest signed checkpoint (a C2SP signed note) */
    DB_COUNT
};

struct ledger_store {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    uint8_t self[LEDGER_FEED_LEN];
    int rdonly;
    int no_private;             /* read-only open of a store made before DB_PRIVATE: none */
    MDB_txn *rtxn;              /* a read transaction kept for reuse (reset between uses) */
    int rtxn_busy;              /* rtxn is in use now */
    int held;                   /* ledger_store_hold: rtxn stays open between calls */
    MDB_cursor *hcur[DB_COUNT]; /* while held: one cursor per database, kept */
    ledger_zlog_t *zlog;        /* how entries are kept in `log` (ledger_zlog.h) */
    ledger_zlog_t *zcard;       /* how cards are kept in `edge` */
    ledger_buf_t zput;          /* a packed log value, inside a write transaction */
    ledger_buf_t zcard_put;     /* a card and its packed value, likewise */
    ledger_buf_t zcard_raw;
};

extern const char *const ledger__db_names[DB_COUNT];

/* The store's format: "version" in meta. 2 added the edge and decl
 * databases and put eventTime first in the ident rows; 3 keys the loc rows
 * by the canonical form of the location and indexes the lot that ILMD
 * gives an event's instances (LEDGER_ROLE_LOT); 4 indexes the lot of every
 * GTIN of such an event (no longer the first 16 only) and the lot that an
 * instance's Digital Link carries (/10/), and the card's highest
 * temperature is in CEL, with a flag for readings that could not be
 * converted; 5 keys every identifier by its one canonical key (gs1_ident_key,
 * what `keten decode` prints: an EPC tag URN by its Digital Link, a
 * Digital Link's query attributes read) and an ILMD lot as a raw value,
 * and adds the tree database (each feed's Merkle tree) and the checkpoint
 * database (each feed's newest signed checkpoint); 6 packs the keys of GS1
 * Digital Links in ident and loc (0x02 and BCD digits: ledger_rows.c) and
 * may keep an entry in `log` compressed with a dictionary kept in meta
 * (ledger_zlog.h); 7 keeps witnesses' cosignatures of checkpoints in the
 * checkpoint database (ledger_witness.h: rows feed | 0x02 | witness, which
 * a format-6 keten would call damaged). An older store is upgraded when it
 * is opened (ledger_store_upgrade.c; from 6 by writing the version alone). */
#define STORE_VERSION "7"

/* One index row: db, key (text or bytes) and value. The value is lseq (evid,
 * time), lseq | role (loc), or for ident time | lseq | role, where time is
 * the eventTime in ms with its sign bit flipped (u64 BE), so that an
 * identifier's rows are in time order. ROW_LSEQ_AT(db) is where lseq is. */
typedef struct row {
    int db;
    uint8_t key[KEY_MAX];
    size_t klen;
    uint8_t val[17];
    size_t vlen;
} row_t;
#define ROW_LSEQ_AT(db) ((db) == DB_IDENT ? 8 : 0)
#define ROW_IDENT_VLEN 17

/* The rows of one event, and its card body (see ledger_store_card): the
 * card in the edge database is feed | seq | record time | body. */
typedef struct rows {
    row_t *v;
    size_t n, cap;
    uint64_t lseq;
    int64_t time_ms; /* the event's eventTime */
    int oom;
    ledger_buf_t card; /* the card body */
    ledger_buf_t prev; /* the card's last identifier (front coding) */
    /* the GTINs of the instances (SGTINs) seen so far, with their role (epc
     * or output), GTIN_REC bytes each (14 digits, NUL, role), as many as the
     * event has: the lots of ILMD are theirs (ledger__rows_lots) */
    ledger_buf_t gtins;
} rows_t;
#define GTIN_REC 16
#define CARD_HEAD_LEN (LEDGER_FEED_LEN + 8 + 8)
#define CARD_VERSION 1

/* Frees what rows hold (not r itself). */
void ledger__rows_free(rows_t *r);
/* Sets the local position of every row (the rows are built before it is
 * known). */
void ledger__rows_set_lseq(rows_t *r, uint64_t lseq);
/* Puts the rows and the card of one event stored at r->lseq (set_lseq done)
 * whose entry has header h. */
int ledger__put_rows(ledger_store_t *st, MDB_txn *txn, const rows_t *r, const uint8_t *feed,
                     uint64_t seq, uint64_t record_time_ms, ledger_err_t *err);
/* Puts the card of the entry at lseq: head (feed, seq, record time) then
 * the body built with the rows. lseq must be past every card stored (an
 * MDB_APPEND: cards are put in log order). */
int ledger__put_card(ledger_store_t *st, MDB_txn *txn, uint64_t lseq, const uint8_t *feed,
                     uint64_t seq, uint64_t record_time_ms, const uint8_t *body, size_t blen,
                     ledger_err_t *err);
/* Brings a store of an older format version (1 to 5: a rebuild of the
 * indexes from the log; 6: the version alone) to STORE_VERSION, in txn
 * (ledger_store_upgrade.c). old is the version digit ('0' when none). */
int ledger__store_upgrade(ledger_store_t *st, MDB_txn *txn, char old, ledger_err_t *err);

typedef struct feedrec {
    uint64_t seq;
    uint8_t hash[LEDGER_HASH_LEN];
    uint64_t lseq;
    uint32_t flags;
} feedrec_t;

/* ---- ledger_store_rec.c: the records below the rest of the store ---- */
/* LMDB's rc as keten's error: LEDGER_ETOOBIG for a full map,
 * LEDGER_ELOCKED, else LEDGER_EIO; the message is "what: LMDB's words". */
int ledger__lmdb_err(ledger_err_t *err, int rc, const char *what);
/* As ledger__lmdb_err for a failed mdb_txn_commit of env: a full file
 * system is named as such, with the store's path and the bytes left
 * ("no space left on device"), also when LMDB reports the short write it
 * got as EIO. LEDGER_EIO (LEDGER_ETOOBIG for a full map). */
int ledger__commit_err(MDB_env *env, ledger_err_t *err, int rc, const char *what);
void ledger__put_be64(uint8_t *p, uint64_t v);
uint64_t ledger__get_be64(const uint8_t *p);
char *ledger__feed_hex(const uint8_t *feed, char out[2 * LEDGER_FEED_LEN + 1]);
/* A feed's head record in its bytes (FEEDREC_LEN), and back (LEDGER_EIO
 * for a damaged one). */
void ledger__feedrec_encode(const feedrec_t *f, uint8_t out[FEEDREC_LEN]);
int ledger__feedrec_decode(const MDB_val *v, feedrec_t *f);
int ledger__get_feedrec(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, feedrec_t *f,
                        ledger_err_t *err);
/* Read transactions: begin one (the store's kept one when it is free), and
 * end it (reset when it is the kept one). A store handle reads from one
 * thread at a time. */
int ledger__begin_read(ledger_store_t *st, MDB_txn **txn, ledger_err_t *err);
void ledger__end_read(ledger_store_t *st, MDB_txn *txn);
/* A cursor on db in txn (the kept one while held); ledger__cursor_done
 * closes it unless it is kept. */
int ledger__cursor(ledger_store_t *st, MDB_txn *txn, int db, MDB_cursor **c, ledger_err_t *err);
void ledger__cursor_done(ledger_store_t *st, MDB_cursor *c);
/* Fetches and decodes the entry at lseq into *s: its bytes are valid while
 * txn is, or, for an entry kept compressed, until zb (the caller's, and
 * reusable from call to call) changes or is freed. */
int ledger__load_lseq(ledger_store_t *st, MDB_txn *txn, uint64_t lseq, ledger_stored_t *s,
                      ledger_buf_t *zb, ledger_err_t *err);
/* Puts the entry bytes at local position lseq (the end of the log: an
 * MDB_APPEND), its feed:seq row (a dup row when feed:seq is there
 * already: fork evidence) and its leaf in the feed's tree
 * (ledger__tree_add). */
int ledger__put_entry(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t seq,
                      const uint8_t *bytes, size_t len, uint64_t lseq, ledger_err_t *err);
/* The lseq that the next entry gets: one past the last in `log`. */
int ledger__next_lseq(ledger_store_t *st, MDB_txn *txn, uint64_t *out, ledger_err_t *err);
/* Writes a feed's head record. */
int ledger__put_feedrec(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, const feedrec_t *f,
                        ledger_err_t *err);
/* The key under which index db (DB_EVID, DB_IDENT, DB_LOC) files text;
 * ..._canonical for a text that is its canonical key already (a
 * ledger_key_t, an index's own key): not read again. */
void ledger__index_key_canonical(int db, const char *key, row_t *row);
/* The key under which index db (DB_EVID, DB_IDENT, DB_LOC) files text. */
void ledger__index_key(int db, const char *text, row_t *row);
/* Index rows in steps: start (eventID and event hash in evid, bizLocation
 * (role 1) and readPoint (role 2) in loc, eventTime in time), then each
 * identifier (canonical form, role), then finish (LEDGER_ENOMEM, or the
 * rows sorted and unique). ledger__event_rows does this for a JSON event,
 * ingest for an event read straight from its CBOR payload. */
typedef struct ledger__event_keys {
    const char *event_id, *event_hash;
    const char *biz_location, *read_point; /* NULL when none */
    int64_t event_time_ms;
    /* for the card only: */
    const char *type, *own_event_id;             /* own_event_id: the eventID member or NULL */
    const char *action, *biz_step, *disposition; /* NULL when none */
    const char *event_time;                      /* as written */
    const char *max_temp; /* the highest temperature reading in CEL, as text */
    int temp_uncompared;  /* 1: a temperature reading with no unit, or one keten cannot convert */
    int error_declaration, has_sensors;
} ledger__event_keys_t;
void ledger__rows_start(rows_t *r, uint64_t lseq, const ledger__event_keys_t *k);
/* x: NULL, or for an element of a quantity list (x[0] its quantity as
 * text, x[1] its uom) and of a source or destination list (x[0] its type,
 * x[1] the identifier as written when that differs from id): two texts,
 * either NULL. */
void ledger__rows_ident(rows_t *r, const char *id, int role, const char *const *x);
/* After the identifiers: the lots that ILMD lotNumber gives the event's
 * instances (lots: the texts, any order, repeats allowed; type: the
 * event's). For an ObjectEvent (its epcList) or a TransformationEvent (its
 * outputEPCList), each GTIN of an SGTIN there with each lot number is one
 * LGTIN, added as an identifier of role LEDGER_ROLE_LOT, in sorted order.
 * lots is sorted in place. */
void ledger__rows_lots(rows_t *r, const char *type, const char **lots, size_t nlots);
int ledger__rows_finish(rows_t *r, ledger_err_t *err);
/* ---- ledger_tree_db.c: each feed's Merkle tree ---- */
/* Adds the entry feed:seq with header bytes hbytes to its feed's tree, in
 * txn, after the entry itself is put: one row (the leaf hash and the
 * subtrees it completes).  Nothing when the feed is held only from a
 * later seq, or when feed:seq has its leaf already (a fork's second
 * entry). */
int ledger__tree_add(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t seq,
                     const uint8_t *hbytes, size_t hlen, ledger_err_t *err);
/* Takes back what ledger__tree_add added for this entry (the row of
 * feed:seq when its leaf is this header's), for an ingest that takes an
 * entry back. */
int ledger__tree_del(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t seq,
                     const uint8_t *hbytes, size_t hlen, ledger_err_t *err);

/* Signs a checkpoint of the own feed's tree of `size` leaves with id and
 * keeps it as the own feed's newest, in txn. */
int ledger__checkpoint_own(ledger_store_t *st, MDB_txn *txn, const ledger_identity_t *id,
                           uint64_t size, ledger_err_t *err);
/* Checks, for verify, every kept checkpoint against its feed's tree
 * (signature, origin, size, root); *count gets how many there are. */
int ledger__checkpoints_verify(ledger_store_t *st, MDB_txn *txn, uint64_t *count,
                               ledger_err_t *err);
/* Checks a partner's signed checkpoint note[0..len) of feed against the
 * feed's tree in txn and keeps it when it is newer than the kept one
 * (*kept = LEDGER_CKPT_KEPT).  A checkpoint of more entries than are held,
 * or not newer, or of a forked feed, is let be (0, *kept = 0).  One whose
 * root is not the tree's at its size (the feed's key signed two histories)
 * is kept as fork evidence and the feed marked forked (0, *kept =
 * LEDGER_CKPT_FORK, the finding in err->msg).  LEDGER_EINPUT for a
 * malformed note, LEDGER_EVERIFY for one not signed by the feed's key or
 * of another origin. */
int ledger__checkpoint_keep(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                            const char *note, size_t len, int *kept, ledger_err_t *err);
/* ledger_witness.c: checks, for verify, every cosignature row (its
 * signature by the witness's key over its checkpoint text, of the feed's
 * origin); *count gets how many. */
int ledger__cosigs_verify(ledger_store_t *st, MDB_txn *txn, uint64_t *count, ledger_err_t *err);
/* ledger_replica.c: the store and write transaction of an ingest;
 * LEDGER_EIO when the ingest failed already. */
struct ledger_ingest;
int ledger__ingest_txn(struct ledger_ingest *in, ledger_store_t **st, MDB_txn **txn,
                       ledger_err_t *err);
/* The txn-level reads behind the public ones of ledger_store.h
 * (ledger_tree_read.c runs them in a read transaction): the same
 * arguments, results and errors. */
int ledger__tree_size(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t *size,
                      ledger_err_t *err);
int ledger__tree_root(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t *size,
                      ledger_tree_hash_t root, ledger_err_t *err);
int ledger__tree_prove_inclusion(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                                 uint64_t seq, uint64_t *size, ledger_tree_hash_t leaf,
                                 ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], size_t *n,
                                 ledger_err_t *err);
int ledger__tree_prove_consistency(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                                   uint64_t old_size, uint64_t new_size,
                                   ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], size_t *n,
                                   ledger_err_t *err);
int ledger__checkpoint_get(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                           ledger_buf_t *note, ledger_err_t *err);
int ledger__fork_checkpoint_get(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                                ledger_buf_t *note, ledger_err_t *err);
/* Checks, for verify, that the tree row of feed:seq is what the entries
 * give: call it for seq 1, 2, ... of one feed with each main-chain
 * entry's header bytes, with a zeroed walk per feed.  LEDGER_EVERIFY naming
 * the feed and seq when the row is missing or differs. */
typedef struct ledger__tree_walk {
    uint8_t edge[64][32]; /* the pending left subtree at each level */
    uint64_t next;        /* the leaf index expected next */
} ledger__tree_walk_t;
int ledger__tree_check(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t seq,
                       const uint8_t *hbytes, size_t hlen, ledger__tree_walk_t *w,
                       ledger_err_t *err);


/* ---- ledger_rows.c: the rules both readers of an event apply ---- */

/* An identifier as ledger_epcis_identifiers hands it on: canonical when it
 * has a GS1 form, else as written; with its list element's extra texts x
 * (as ledger__rows_ident; for a source or destination x[1] is set here to
 * the form as written when it differs). An instance whose Digital Link
 * carries a lot names that lot too. field names the list in messages.
 * 0, LEDGER_EINPUT (a GS1 identifier that is not valid), LEDGER_ENOMEM. */
int ledger__rows_add_ident(rows_t *rows, const char *id, int role, const char **x,
                           const char *field, ledger_err_t *err);
/* A quantity as text into out: an integer as such, a real in the shortest
 * form that reads back the same; "" for anything else. */
void ledger__fmt_quantity(const json_t *q, char out[40]);

/* The highest temperature of an event's sensor reports (the card's
 * max_temp): the members of a report that hold temperatures, and the
 * running highest in CEL. */
#define NTEMP_MEMBERS 5
extern const char *const ledger__temp_members[NTEMP_MEMBERS];
typedef struct tmax {
    double best;
    int have, uncompared;
} tmax_t;
/* One report's n values in unit uom (NULL: none). */
void ledger__tmax_report(tmax_t *m, const char *uom, const double *v, size_t n);
/* The highest as text ("" when none), as short as reads back exactly. */
void ledger__tmax_text(const tmax_t *m, char out[40]);

/* The ILMD lot numbers of an event (at most MAX_LOTS are read). */
#define MDA_NS "urn:epcglobal:cbv:mda:"
#define MAX_LOTS 16
/* 1 when key (kl bytes) names the lot number; binds(ctx, P, len) tells
 * whether the event's @context binds prefix P to MDA_NS. */
int ledger__is_lot_key(const char *key, size_t kl, int (*binds)(const void *, const char *, size_t),
                       const void *ctx);

/* ---- ledger_rows.c, ledger_rows_cbor.c: the rows of one event ---- */

/* The rows of an event payload read straight from its CBOR bytes
 * (ledger_rows_cbor.c): accepts exactly the payloads that
 * ledger_event_payload_decode accepts and builds the rows that
 * ledger__event_rows builds from the decoded event (eventID or else the
 * event hash). hash (96 bytes) gets the event hash. scratch is reused.
 * LEDGER_EINPUT, LEDGER_ENOMEM. */
int ledger__payload_rows(const uint8_t *p, size_t n, uint64_t lseq, rows_t *rows,
                         ledger_buf_t *scratch, char hash[96], ledger_err_t *err);
/* Builds the sorted, unique index rows of one event stored at lseq. */
int ledger__event_rows(const json_t *event, const char *event_id, const char *event_hash,
                       uint64_t lseq, rows_t *r, ledger_err_t *err);

#endif
