/* ledger_store.h -- the LMDB store of one keten home: feeds of signed
 * entries and the indexes that make queries index walks.
 *
 * One LMDB environment (a directory) per home, with named databases:
 *
 *   meta    "version" -> 1, "self" -> own feed ID
 *   log     local order lseq (u64 BE) -> entry bytes        (append-only)
 *   feeds   feed(32) -> head: version 1 | seq | head hash | head lseq | flags
 *   fseq    feed(32) | seq (u64 BE) -> lseq                  (dup: fork evidence)
 *   evid    eventID or eventHash text -> lseq                (dup)
 *   ident   identifier (canonical form) -> lseq | role       (dup)
 *   loc     bizLocation / readPoint id -> lseq | role        (dup)
 *   time    eventTime ms (u64 BE, biased) -> lseq            (dup)
 *   private own feed(32) | seq (u64 BE) -> lseq: own entries recorded with
 *           LEDGER_APPEND_PRIVATE (handed to partners sealed)
 *
 * Local order (lseq) is the order entries reached this store; every entry
 * keeps its feed's own seq in its signed header. Writing new entries to the
 * log is always an append at the end of the B-tree.
 *
 * A whole append call is one write transaction: all of it is stored or none
 * of it, and it returns only after LMDB's commit reached the disk (fsync).
 * Many processes may use one store at once (LMDB's lock file); writers take
 * turns. Within a process, one ledger_store_t is used by one thread at a
 * time (it keeps a read transaction for reuse); open one per thread
 * otherwise. One exception, which node/node_writer.c relies on because LMDB
 * forbids opening one environment twice in a process: one other thread may
 * run an append (ledger_store_append_*) while the owner reads. The append
 * uses the environment, fields fixed at open and its own write
 * transaction; of the owner's read state it only compares the kept read
 * transaction and cursors with its own (never equal). Those reads are not
 * synchronised: a data race in the C11 sense, harmless here, to be removed
 * by giving the writer state of its own.
 */
#ifndef LEDGER_STORE_H
#define LEDGER_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "ledger_arena.h"
#include "ledger_error.h"
#include "ledger_identity.h"
#include "ledger_tree.h"

typedef struct ledger_store ledger_store_t;

enum {
    LEDGER_STORE_CREATE = 1, /* create the database if it does not exist */
    LEDGER_STORE_RDONLY = 2, /* open for reading only */
    LEDGER_STORE_RANDOM = 4, /* look-ups in no particular order (trace, recall): no
                                read-ahead, which on a store bigger than memory reads
                                128 KiB around every page a look-up needs */
};

/* Opens the store in directory dir (created with CREATE). self is the own
 * feed ID (recorded on creation; checked on later opens; may be NULL on open
 * to accept whatever is recorded). LEDGER_ENOHOME when dir holds no store
 * and CREATE is not given, LEDGER_EIO, LEDGER_ELOCKED. */
int ledger_store_open(const char *dir, unsigned flags, const uint8_t *self, ledger_store_t **out,
                      ledger_err_t *err);

/* Progress of a store upgrade (ledger_store_open on a store of an older
 * format rebuilds its indexes and trees from the log, in one transaction:
 * an interrupted upgrade leaves the old store as it was, and the next open
 * runs it again). fn is called with done = 0 before the first entry, every
 * LEDGER_UPGRADE_STEP entries, and with done = total at the end; from the
 * thread that opens the store. Process-wide: set it once, before opening
 * stores (the CLI prints it on a terminal); NULL for none (the default). */
#define LEDGER_UPGRADE_STEP 50000
typedef void (*ledger_upgrade_fn)(void *ctx, uint64_t done, uint64_t total);
void ledger_store_on_upgrade(ledger_upgrade_fn fn, void *ctx);

/* Closes the store. Any read handle must have been ended. NULL is fine. */
void ledger_store_close(ledger_store_t *st);

/* A consistent copy of the store: the snapshot of one read transaction
 * (writers go on meanwhile, in this process or another), compacted (free
 * pages left out, so the copy is often smaller), written into dir, which
 * must exist and be empty, and flushed to disk before it returns.
 * LEDGER_EIO (with LMDB's reason) when it cannot. */
int ledger_store_copy(ledger_store_t *st, const char *dir, ledger_err_t *err);

/* The own feed ID (32 bytes). */
const uint8_t *ledger_store_self(const ledger_store_t *st);

/* ---- appending own events --------------------------------------------- */

enum {
    LEDGER_APPEND_SKIP_DUPLICATES = 1, /* skip events whose eventID is stored */
    LEDGER_APPEND_PRIVATE = 2,         /* keep the payloads at home: partners get the
                                          entries sealed (ledger_replica.h) */
    LEDGER_APPEND_CHECK = 4,           /* the events are not checked yet: check each
                                          (ledger_epcis_event_check_memo) on the
                                          thread that hashes it, so that its
                                          identifiers are read once; a bad one fails
                                          the call, LEDGER_EINPUT "event N: ..." */
};

/* What happened to one event of an append call. */
typedef struct ledger_append_result {
    uint64_t seq;        /* its seq in the own feed; 0 when skipped */
    int skipped;         /* 1 when skipped as a duplicate */
    char event_id[520];  /* the event's eventID (its own, or the event hash) */
    char event_hash[96]; /* the EPCIS event hash computed by keten */
} ledger_append_result_t;

/* Appends events (checked EPCIS events, ledger_epcis.h) to the own feed,
 * signed with id, in one durable write transaction. Each event gets its
 * event hash; one without an eventID gets the hash as its eventID (the JSON
 * object is changed: "eventID" added). results (n elements, may be NULL)
 * tell each event's seq and IDs.
 *
 * Errors (nothing is stored, *nothing* of the call): LEDGER_EEXIST when an
 * event's eventID is already stored (or twice in the batch) and the event is
 * not an errorDeclaration of it, unless LEDGER_APPEND_SKIP_DUPLICATES;
 * LEDGER_EINPUT for an event that cannot be hashed or encoded (message names
 * "event N"); LEDGER_EIO; LEDGER_ELOCKED (read-only store). */
int ledger_store_append_events(ledger_store_t *st, const ledger_identity_t *id, json_t **events,
                               size_t n, unsigned flags, ledger_append_result_t *results,
                               ledger_err_t *err);

/* The same in steps, for inputs too big to hold at once (a document of a
 * million events read event by event): begin opens the write transaction,
 * each add appends events (a chunk at a time; results as above), commit
 * makes everything durable at once and frees a, abort drops everything and
 * frees a. first_index is the caller's number for events[0], used in
 * messages ("event 41"). After a failed add only abort is left (commit refuses). Nothing is
 * visible to readers before commit. One append at a time per store; other
 * writers (processes) wait for commit or abort. */
typedef struct ledger_append ledger_append_t;
int ledger_store_append_begin(ledger_store_t *st, const ledger_identity_t *id, unsigned flags,
                              ledger_append_t **out, ledger_err_t *err);
int ledger_store_append_add(ledger_append_t *a, json_t **events, size_t n, size_t first_index,
                            ledger_append_result_t *results, ledger_err_t *err);
int ledger_store_append_commit(ledger_append_t *a, ledger_err_t *err);
void ledger_store_append_abort(ledger_append_t *a);
/* The own feed's seq after the events added so far. */
uint64_t ledger_store_append_seq(const ledger_append_t *a);

/* Appends one entry of payload type ptype (not LEDGER_PT_EVENT: events go
 * through ledger_store_append_events, which indexes them) with the payload
 * p[0..n) to the own feed, signed with id, in one durable write
 * transaction with its checkpoint; *seq (may be NULL) gets its seq. The
 * payload is stored as given: the caller has checked it (a statement:
 * ledger_stmt_encode). Nothing is indexed. Errors (nothing stored):
 * LEDGER_EINVAL (an event type, or another key than the store's),
 * LEDGER_ETOOBIG (over LEDGER_PAYLOAD_MAX), LEDGER_EIO, LEDGER_ELOCKED,
 * LEDGER_EVERIFY (the own feed is marked forked). */
int ledger_store_append_payload(ledger_store_t *st, const ledger_identity_t *id, uint32_t ptype,
                                const uint8_t *p, size_t n, uint64_t *seq, ledger_err_t *err);

/* ---- reading ---------------------------------------------------------- */

/* A feed's head. seq 0 when the feed holds nothing. */
typedef struct ledger_feed_head {
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t seq;
    uint8_t hash[LEDGER_HASH_LEN];
    uint32_t flags; /* LEDGER_FEED_FORKED ... */
} ledger_feed_head_t;

#define LEDGER_FEED_FORKED 1u
#define LEDGER_FEED_SEALED                                                                         \
    2u /* this store holds sealed entries of the feed (a trace                                     \
          looks for sealed neighbours only in such feeds) */

/* The head of one feed. LEDGER_ENOTFOUND when the store has no such feed. */
int ledger_store_head(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                      ledger_feed_head_t *out, ledger_err_t *err);

/* ---- the Merkle tree of a feed (ledger_tree.h; docs/format.md) ---------- */
/* Every entry of a feed's main chain is a leaf of the feed's tree (leaf
 * bytes: its header bytes), kept as entries are stored.  A store that holds
 * a feed only from a later seq on (entries from a bundle) has no tree of
 * it: these calls say so with LEDGER_ENOTFOUND.  *size 0 on the way in
 * means the whole tree (the feed's head); on the way out it is the size
 * used.  A size past the feed's head is LEDGER_EINVAL. */
int ledger_store_tree_size(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                           uint64_t *size, ledger_err_t *err);
int ledger_store_tree_root(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                           uint64_t *size, ledger_tree_hash_t root, ledger_err_t *err);
/* The inclusion proof of feed:seq (leaf seq - 1) in the tree of *size
 * leaves, and its leaf hash. */
int ledger_store_prove_inclusion(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                                 uint64_t seq, uint64_t *size, ledger_tree_hash_t leaf,
                                 ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], size_t *n,
                                 ledger_err_t *err);
/* The consistency proof from the tree of old_size to that of new_size
 * (0: the whole tree). */
int ledger_store_prove_consistency(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                                   uint64_t old_size, uint64_t new_size,
                                   ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], size_t *n,
                                   ledger_err_t *err);
/* Appends to note the newest signed checkpoint of feed kept here: a C2SP
 * signed note (ledger_note.h) of the feed's tree, exactly as signed.  The
 * own feed's is signed at every append commit.  LEDGER_ENOTFOUND when none
 * is kept. */
int ledger_store_checkpoint(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                            ledger_buf_t *note, ledger_err_t *err);
/* What ledger_ingest_checkpoint did with a checkpoint (*kept; ledger_replica.h). */
enum {
    LEDGER_CKPT_LET_BE = 0, /* older, of entries not held yet, or the feed is forked */
    LEDGER_CKPT_KEPT = 1,   /* kept as the feed's newest */
    LEDGER_CKPT_FORK = 2,   /* another history: kept as fork evidence, the feed marked forked */
};

/* Appends to note the fork evidence of feed kept here: a checkpoint signed
 * by the feed's key of a tree that is not the one whose entries are held
 * (ledger_ingest_checkpoint), exactly as signed.  With the kept checkpoint
 * (ledger_store_checkpoint) and the entries, it shows that the key signed
 * two histories.  LEDGER_ENOTFOUND when none is kept. */
int ledger_store_fork_checkpoint(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                                 ledger_buf_t *note, ledger_err_t *err);
/* Signs a checkpoint of the own feed's whole tree with id and keeps it,
 * unless the kept one is of this tree already (a store upgraded from
 * format 4 has none until then).  LEDGER_ENOTFOUND for an empty feed. */
int ledger_store_checkpoint_sign(ledger_store_t *st, const ledger_identity_t *id,
                                 ledger_err_t *err);

/* Calls fn for each feed's head (in feed ID order). fn returns 0 to go on. */
typedef int (*ledger_feed_cb)(const ledger_feed_head_t *head, void *ctx);
int ledger_store_feeds(ledger_store_t *st, ledger_feed_cb fn, void *ctx, ledger_err_t *err);

/* A stored entry handed to a callback: the bytes are valid only during the
 * call. lseq is its local position. */
typedef struct ledger_stored {
    uint64_t lseq;
    const uint8_t *bytes;
    size_t len;
    ledger_entry_t e; /* decoded views into bytes */
} ledger_stored_t;

typedef int (*ledger_entry_cb)(const ledger_stored_t *s, void *ctx);

/* Calls fn for every entry in local order, from lseq `from` on (1 = all).
 * fn returns 0 to go on, or a value that stops the walk and is returned. */
int ledger_store_scan(ledger_store_t *st, uint64_t from, ledger_entry_cb fn, void *ctx,
                      ledger_err_t *err);

/* Calls fn with entry feed:seq. LEDGER_ENOTFOUND when it is not stored. */
int ledger_store_get(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN], uint64_t seq,
                     ledger_entry_cb fn, void *ctx, ledger_err_t *err);

/* Calls fn for every entry whose event has eventID or event hash `id`
 * (an errorDeclaration shares the ID of the event it declares erroneous).
 * LEDGER_ENOTFOUND when there is none. */
int ledger_store_find_event(ledger_store_t *st, const char *id, ledger_entry_cb fn, void *ctx,
                            ledger_err_t *err);

/* Calls fn for every entry whose event names the identifier (in any role;
 * role is passed through ctx-less second callback argument). The identifier
 * is brought to its canonical key first (ledger_ident_key, gs1_ident_key), so an EPC URN finds
 * events that used the Digital Link form and back. */
typedef int (*ledger_ident_cb)(const ledger_stored_t *s, int role, void *ctx);
int ledger_store_find_ident(ledger_store_t *st, const char *ident, ledger_ident_cb fn, void *ctx,
                            ledger_err_t *err);
/* The same for an identifier read already (ledger_key_read). */
int ledger_store_find_ident_key(ledger_store_t *st, const ledger_key_t *ident, ledger_ident_cb fn,
                                void *ctx, ledger_err_t *err);

/* ---- index walks without reading entries (trace, recall) -------------
 *
 * The identifier index keeps, per identifier, the events naming it in
 * eventTime order; the edge index keeps per entry a "card": what a walk
 * needs of the event (type, action, bizStep, times, IDs and every
 * identifier with its role) without decoding the payload. */

/* Keeps one read transaction open for the read calls that follow, until
 * ledger_store_release (holds nest): they all see one snapshot and skip
 * starting a transaction each, which matters for walks of thousands of
 * look-ups. Not while a write (append, ingest) of this handle is under way;
 * release before closing. 0, LEDGER_EIO, LEDGER_EINVAL. */
int ledger_store_hold(ledger_store_t *st, ledger_err_t *err);
void ledger_store_release(ledger_store_t *st);

/* One event naming an identifier. */
typedef struct ledger_ident_hit {
    int64_t time_ms; /* its eventTime, ms since 1970 UTC */
    uint64_t lseq;   /* the local position of its entry */
    int role;        /* the identifier's role in it (enum ledger_epcis_role) */
} ledger_ident_hit_t;

/* Appends to the array *hits (of *cap elements, *n used; grown with
 * realloc, the caller frees it) the events naming ident (canonicalised as
 * in find_ident) whose eventTime is in [lo, hi], in time order, then local
 * order. Reads only the identifier index. LEDGER_ENOTFOUND when no event at
 * all names ident (none in the window is 0 with nothing added),
 * LEDGER_EINPUT for a malformed GS1 identifier, LEDGER_ENOMEM. */
int ledger_store_ident_hits(ledger_store_t *st, const char *ident, int64_t lo, int64_t hi,
                            ledger_ident_hit_t **hits, size_t *n, size_t *cap, ledger_err_t *err);

/* The same for an identifier given exactly as the index keys it: its
 * canonical form (as cards give identifiers), not canonicalised again. */
int ledger_store_ident_hits_canonical(ledger_store_t *st, const char *ident, int64_t lo, int64_t hi,
                                      ledger_ident_hit_t **hits, size_t *n, size_t *cap,
                                      ledger_err_t *err);

/* An identifier of a card. */
typedef struct ledger_card_ident {
    int role;                   /* enum ledger_epcis_role */
    const char *id;             /* canonical Digital Link form, else as written */
    int listed;                 /* 1: an element of a quantity list (class level) or of a
                                   source/destination list; 0: an EPC (list) or parentID */
    const char *quantity, *uom; /* quantity list: quantity as text, uom; NULL: none */
    const char *type;           /* source/destination list: its type as written */
    const char *written;        /* source/destination list: the identifier as written
                                   (id is its canonical form) */
} ledger_card_ident_t;

/* The card of an event entry. Strings are NUL-terminated, NULL when the
 * event has no such member; all of it lives in one block the card owns
 * (ledger_card_free). */
typedef struct ledger_card {
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t seq, lseq, record_time_ms;
    int64_t time_ms;        /* eventTime */
    int error_declaration;  /* 1: this entry restates an event as erroneous */
    int has_sensors;        /* 1: the event has a sensorElementList */
    const char *event_time; /* eventTime as written (with its offset) */
    const char *max_temp;   /* the highest reading of its sensor reports of a type
                               ending in "Temperature" (value, minValue, maxValue,
                               meanValue, percValue), converted to CEL from the
                               report's uom (ledger_uom.h), as text; NULL when none */
    int temp_uncompared;    /* 1: some such reading has no uom, or one keten cannot
                               convert (not in max_temp) */
    const char *type, *event_id /* the eventID member */, *event_hash;
    const char *action, *biz_step, *disposition, *read_point, *biz_location;
    size_t nids;
    ledger_card_ident_t *ids; /* in the event's order: parentID, epcList, ... */
    void *mem;                /* the block (private) */
} ledger_card_t;

/* Reads the card of the entry at local position lseq into *out.
 * LEDGER_ENOTFOUND when it has none (a sealed entry, fork evidence, not an
 * event), LEDGER_EVERIFY for a damaged card, LEDGER_ENOMEM. On error *out
 * needs no freeing. */
int ledger_store_card(ledger_store_t *st, uint64_t lseq, ledger_card_t *out, ledger_err_t *err);
void ledger_card_free(ledger_card_t *c);
/* The same with the card's memory taken from arena (released with it;
 * ledger_card_free is then not needed): a walk reads thousands. */
int ledger_store_card_in(ledger_store_t *st, uint64_t lseq, ledger_arena_t *arena,
                         ledger_card_t *out, ledger_err_t *err);

/* The local positions of the entries whose event has eventID or event hash
 * id (an event, and the restatements declaring it erroneous), up to max,
 * lowest first; *n the number found (may exceed max). Reads the index only.
 * 0 (also when none), LEDGER_EIO. */
int ledger_store_event_lseqs(ledger_store_t *st, const char *id, uint64_t *lseqs, size_t max,
                             size_t *n, ledger_err_t *err);

/* The same for the errorDeclarations that declare the event with eventID
 * or event hash id erroneous (the decl index: usually empty). */
int ledger_store_declarations(ledger_store_t *st, const char *id, uint64_t *lseqs, size_t max,
                              size_t *n, ledger_err_t *err);

/* Calls fn(lseq, role, ctx) for every event that happened at location
 * (its bizLocation: role 1, or readPoint: role 2), lowest lseq first. The
 * location is brought to its canonical form first (an SGLN URN finds the
 * events that wrote its Digital Link and back). Reads the loc index only;
 * ledger_store_card gives what an event names. A non-zero return of fn
 * stops the walk and is returned. 0 (also when none), LEDGER_EIO. */
typedef int (*ledger_loc_cb)(uint64_t lseq, int role, void *ctx);
int ledger_store_find_location(ledger_store_t *st, const char *location, ledger_loc_cb fn,
                               void *ctx, ledger_err_t *err);
/* The same for a location read already (ledger_key_read): not read again. */
int ledger_store_find_location_key(ledger_store_t *st, const ledger_key_t *location,
                                   ledger_loc_cb fn, void *ctx, ledger_err_t *err);

/* 1 when the store holds any errorDeclaration (the decl index has a row),
 * 0 when none, a negative error: a walk asks once instead of once per
 * event. */
int ledger_store_has_declarations(ledger_store_t *st, ledger_err_t *err);

/* Calls fn for the entry at local position lseq. LEDGER_ENOTFOUND. */
int ledger_store_get_lseq(ledger_store_t *st, uint64_t lseq, ledger_entry_cb fn, void *ctx,
                          ledger_err_t *err);

/* Counts: entries in the log, and rows in each index (for status and bench). */
typedef struct ledger_store_stats {
    uint64_t entries, feeds, evid_rows, ident_rows, loc_rows, time_rows;
    uint64_t map_bytes; /* bytes of the data file in use */
    /* bytes of pages (branch, leaf, overflow) per database */
    uint64_t log_bytes, fseq_bytes, evid_bytes, ident_bytes, loc_bytes, time_bytes, edge_bytes;
} ledger_store_stats_t;
int ledger_store_stats(ledger_store_t *st, ledger_store_stats_t *out, ledger_err_t *err);

/* ---- verification ----------------------------------------------------- */

/* Re-checks everything: for every feed, seq continuity 1..head, every chain
 * link, every payload hash, the feed's Merkle tree (each stored tree row is
 * what the entries' headers give), its newest kept checkpoint (signed by
 * the feed's key, and its root is the root recomputed from the headers at
 * its size), the signatures, the stored event hash against a fresh
 * computation, and every index row (each entry's rows are present and no
 * index holds rows that no entry explains). Sealed entries (no payload)
 * are checked without payload and must have no index rows; every private
 * row must name an own entry; a feed marked forked must hold fork evidence,
 * each evidence entry valid on its own (signature, payload) and different
 * from the main chain's entry at its seq; every kept checkpoint and fork
 * evidence note is checked (ledger__checkpoints_verify).
 *
 * Signatures: an entry under the feed's verified checkpoint is proven by
 * it (its header is a leaf of the signed tree) and its own Ed25519
 * signature is checked only with LEDGER_VERIFY_SIGNATURES; entries after
 * the checkpoint and every entry of a feed without one have theirs
 * checked always.  A changed signature under a checkpoint is still found
 * by default: the next entry's prev (or, for the newest entry, the feed's
 * head record) is the hash of header and signature; what the default run
 * cannot find is a head entry's signature replaced together with the
 * (unsigned, local) head record's hash (docs/format.md, "Verifying a
 * store").
 *
 * Returns 0, or LEDGER_EVERIFY with a message naming feed (hex), seq and
 * what is wrong (the first problem in walk order). progress (may be NULL)
 * is called now and then with the number of entries checked. report (may
 * be NULL) gets, on success, how each feed was proven; free it with
 * ledger_verify_report_free. ledger_store_verify is _ex with flags 0 and
 * no report. */
typedef void (*ledger_progress_cb)(uint64_t done, uint64_t total, void *ctx);
enum {
    LEDGER_VERIFY_SIGNATURES = 1, /* check every entry's signature, also under a checkpoint */
    LEDGER_VERIFY_ONE_THREAD = 2, /* no helper thread (tests compare the two) */
};
typedef struct ledger_verify_feed {
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t entries;         /* seq 1 .. head, the main chain */
    uint64_t checkpoint_size; /* the verified checkpoint's size; 0: the feed has none */
    uint64_t signatures;      /* entry signatures checked one by one */
} ledger_verify_feed_t;
typedef struct ledger_verify_report {
    ledger_verify_feed_t *feeds; /* in the order of the feeds database */
    size_t nfeeds;
    uint64_t entries;    /* of the main chains */
    uint64_t signatures; /* Ed25519 checks: the entries' and one per checkpoint */
    uint64_t index_rows; /* evid, ident, loc and time rows */
} ledger_verify_report_t;
int ledger_store_verify_ex(ledger_store_t *st, unsigned flags, ledger_progress_cb progress,
                           void *ctx, ledger_verify_report_t *report, ledger_err_t *err);
int ledger_store_verify(ledger_store_t *st, ledger_progress_cb progress, void *ctx,
                        ledger_err_t *err);
void ledger_verify_report_free(ledger_verify_report_t *r);

/* ---- for tests of verify: raw access ---------------------------------- */

/* Replaces the stored bytes of entry feed:seq (no checks), or deletes the
 * rows that index db ("evid", "ident" or "loc") files under the text key
 * (an eventID, an identifier in canonical form, a location). Only the tests
 * use these, to prove that verify finds damage. */
int ledger_store_debug_put_entry(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                                 uint64_t seq, const uint8_t *bytes, size_t len, ledger_err_t *err);
int ledger_store_debug_del_row(ledger_store_t *st, const char *db, const char *key,
                               ledger_err_t *err);
/* The key bytes under which index db ("evid", "ident" or "loc") files
 * text (canonical form for ident and loc: docs/format.md, "The store"),
 * for tools and tests that read the store's LMDB databases themselves.
 * Returns the key's length (at most cap), or -1 for another db or a key
 * longer than cap. */
int ledger_store_index_key(const char *db, const char *text, uint8_t *out, size_t cap);

#endif
