/* ledger_zlog.h -- how the store keeps an entry in its `log` database (and
 * an event card in `edge`): as the bytes themselves, or compressed by zstd
 * with a dictionary that the store trained from its own first values.
 *
 * Entries are small (300 bytes to a few KB) and much alike: the same
 * member names, CBV words, identifier prefixes and CBOR structure in every
 * event. Compressed one by one without a dictionary they shrink by a
 * fifth; with a dictionary made from the log's first entries, by two
 * thirds (docs/performance.md), and an LMDB page holds three times as
 * many. A value in `log` is either
 *
 *   the entry itself (its CBOR starts with 0x83, an array of 3), or
 *   0x01 ‖ dictionary id (u16, big-endian, 1 or more) ‖ a zstd frame
 *       (RFC 8878; content size given; no checksum, no dictionary ID)
 *
 * and the dictionaries are in `meta` under "zdict" ‖ id (u16, big-endian).
 * Cards (edge) are kept the same way with their own dictionaries ("zcard"
 * ‖ id), except that a card kept as it is has 0x00 in front (a card starts
 * with a feed ID: any byte).
 * A dictionary is written once and never changed or removed, so that
 * every value stays readable; this module caches each one it has read.
 * Only compression is local: what is hashed, signed, sent and exported is
 * always the entry's own bytes (docs/format.md).
 *
 * Thread safety: one ledger_zlog_t serves every thread of a store (the
 * cache is locked; each thread has its own zstd contexts). */
#ifndef LEDGER_ZLOG_H
#define LEDGER_ZLOG_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"

/* The first dictionary is trained once the log holds this many entries
 * (the environment variable KETEN_ZLOG_TRAIN_AT sets another count, for
 * tests and tuning; 0 turns compression off for new entries). */
#define LEDGER_ZLOG_TRAIN_AT 2048
/* A dictionary's size at most; training reads at most this many bytes of
 * entries. */
#define LEDGER_ZLOG_DICT_MAX 16384
#define LEDGER_ZLOG_SAMPLE_MAX (8u << 20)

typedef struct ledger_zlog ledger_zlog_t;

/* A codec for one database of a store whose meta database is `meta`;
 * its dictionaries are under prefix (5 bytes: "zdict" for log, "zcard"
 * for edge) ‖ id. tagged = 0: a value kept as it is is the bytes
 * themselves, which must not start with 0x01 (an entry starts with 0x83);
 * tagged = 1: it is 0x00 ‖ the bytes (for values that may start with any
 * byte: cards). 0, LEDGER_EINVAL or LEDGER_ENOMEM. */
int ledger_zlog_new(MDB_dbi meta, const char *prefix, int tagged, ledger_zlog_t **out,
                    ledger_err_t *err);
void ledger_zlog_free(ledger_zlog_t *z);

/* The value to store for entry (n bytes) at local position lseq of
 * `log`, in write transaction txn: the entry compressed with the newest
 * dictionary in meta (looked up once per transaction) when that makes it
 * smaller, else the entry itself. When meta has no dictionary yet and the
 * log holds ledger_zlog_train_at() entries before lseq, the first one is
 * trained first, in txn (ledger_zlog_train; it holds the transaction some
 * 0.1 to 0.3 s, once); the caller must then end txn through
 * ledger_zlog_txn_end. val->mv_data points into out (reset first) or at
 * entry. 0, or LEDGER_ENOMEM / LEDGER_EIO (a failed training is not an
 * error: entries are then kept as they are for the life of z). */
int ledger_zlog_pack(ledger_zlog_t *z, MDB_txn *txn, MDB_dbi log, uint64_t lseq,
                     const uint8_t *entry, size_t n, ledger_buf_t *out, MDB_val *val,
                     ledger_err_t *err);

/* As ledger_zlog_unpack with a buffer of the calling thread's (freed when
 * the thread ends): a decompressed value is valid until the thread's next
 * call. */
int ledger_zlog_unpack_tls(ledger_zlog_t *z, MDB_txn *txn, const MDB_val *val,
                           const uint8_t **p, size_t *n, ledger_err_t *err);

/* Tells z that the write transaction in which it may have trained a
 * dictionary has committed (committed = 1) or was aborted or failed to
 * commit (0: the dictionary is forgotten, as meta forgot it). */
void ledger_zlog_txn_end(ledger_zlog_t *z, int committed);

/* The entry bytes of stored value val, read in txn: *p points into val
 * (an entry stored as itself: valid while txn is) or into zb (a
 * decompressed one: valid until zb is changed or freed; zb belongs to the
 * caller and may be reused from call to call). LEDGER_EVERIFY when the
 * value is of no known form, names a dictionary that meta lacks, or does
 * not decompress to its stated size. */
int ledger_zlog_unpack(ledger_zlog_t *z, MDB_txn *txn, const MDB_val *val, ledger_buf_t *zb,
                       const uint8_t **p, size_t *n, ledger_err_t *err);

/* The count of entries at which the first dictionary is trained
 * (LEDGER_ZLOG_TRAIN_AT or KETEN_ZLOG_TRAIN_AT; 0: never). */
uint64_t ledger_zlog_train_at(void);

/* Trains the first dictionary in write transaction txn, from the first
 * entries of `log` (at most LEDGER_ZLOG_SAMPLE_MAX bytes of them), when
 * meta has none and the log holds at least ledger_zlog_train_at()
 * entries. zstd's trainer makes it; when the trainer cannot (too few or
 * too alike samples), the last LEDGER_ZLOG_DICT_MAX bytes of the samples
 * are the dictionary (zstd takes any bytes as one). Returns 1 when it put
 * a dictionary in meta (pending until ledger_zlog_txn_end), 0 when none
 * was due, or a negative code. */
int ledger_zlog_train(ledger_zlog_t *z, MDB_txn *txn, MDB_dbi log, ledger_err_t *err);

#endif
