/* ledger_entry.h -- the signed entry: keten's unit of the append-only log.
 *
 * An entry is a header, an Ed25519 signature over the header's canonical
 * bytes, and a payload. The header commits to the payload by its length and
 * SHA-256, and to the previous entry of the same feed by the SHA-256 of that
 * entry's header bytes and signature, so an entry can travel without its
 * payload ("sealed") and still be verified, and one signature on the newest
 * entry authenticates the whole chain behind it. docs/format.md specifies
 * every byte, with test vectors (tests/unit/test_entry.c checks them).
 *
 *   header  = CBOR [version=1, feed(32 bytes), seq, prev(32 bytes), recordTime ms,
 *                   payloadType, payloadLength, payloadSHA256(32 bytes)]
 *   entry   = CBOR [header bytes (bstr), signature (bstr 64), payload (bstr) / null]
 *   hash    = SHA-256(header bytes || signature)
 *   event payload = CBOR [1, eventHash (text), event (map: the JSON-LD event)]
 *
 * Functions here are pure (no storage); decoding is strict (ledger_cbor.h).
 */
#ifndef LEDGER_ENTRY_H
#define LEDGER_ENTRY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"

#define LEDGER_FORMAT_VERSION 1
#define LEDGER_FEED_LEN 32 /* an Ed25519 public key */
#define LEDGER_HASH_LEN 32 /* SHA-256 */
#define LEDGER_SIG_LEN 64  /* Ed25519 signature */
/* 1,000,000 bytes: with its header and signature an entry still fits one
 * 1 MiB replication frame (docs/protocol.md) */
#define LEDGER_PAYLOAD_MAX 1000000

enum ledger_ptype {
    LEDGER_PT_EVENT = 1,        /* an EPCIS 2.0 event (also errorDeclarations) */
    LEDGER_PT_KEY_ROTATION = 2, /* reserved: hands the feed over to a new key */
    LEDGER_PT_CHECKPOINT = 3,   /* reserved: a signed summary of other feeds' heads */
    LEDGER_PT_STATEMENT = 4,    /* an identity statement or endorsement (ledger_stmt.h) */
};

typedef struct ledger_header {
    uint32_t version;
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t seq;                  /* 1, 2, 3, ... */
    uint8_t prev[LEDGER_HASH_LEN]; /* hash of entry seq-1; all zero for seq 1 */
    uint64_t record_time_ms;       /* ms since 1970-01-01T00:00:00Z */
    uint32_t ptype;                /* enum ledger_ptype */
    uint64_t plen;                 /* payload length in bytes */
    uint8_t phash[LEDGER_HASH_LEN];
} ledger_header_t;

/* A decoded entry: views into the bytes it was decoded from (valid as long as
 * they are). payload is NULL for a sealed entry. */
typedef struct ledger_entry {
    ledger_header_t h;
    const uint8_t *hbytes;
    size_t hlen;
    const uint8_t *sig;
    const uint8_t *payload;
    size_t plen;
} ledger_entry_t;

/* Appends the canonical bytes of h to out. 0 or LEDGER_ENOMEM. */
int ledger_header_encode(const ledger_header_t *h, ledger_buf_t *out);

/* Strictly decodes header bytes. LEDGER_EINPUT when they are not the
 * canonical encoding of a version-1 header (seq 0, unknown version, ...). */
int ledger_header_decode(const uint8_t *p, size_t n, ledger_header_t *h, ledger_err_t *err);

/* Appends an entry (header bytes, signature, payload or NULL for sealed). */
int ledger_entry_encode(const uint8_t *hbytes, size_t hlen, const uint8_t sig[LEDGER_SIG_LEN],
                        const uint8_t *payload, size_t plen, ledger_buf_t *out);

/* Decodes entry bytes into *e (views into p). Checks the structure and the
 * header, not the signature or payload hash. LEDGER_EINPUT on bad bytes. */
int ledger_entry_decode(const uint8_t *p, size_t n, ledger_entry_t *e, ledger_err_t *err);

/* SHA-256(header bytes || signature): the entry's hash, the next one's prev. */
void ledger_entry_hash(const ledger_entry_t *e, uint8_t out[LEDGER_HASH_LEN]);

/* Checks the payload (when present) against the header's length and hash.
 * LEDGER_EVERIFY with a message naming what differs. */
int ledger_entry_check_payload(const ledger_entry_t *e, ledger_err_t *err);

/* Checks the Ed25519 signature over the header bytes with the feed key.
 * LEDGER_EVERIFY when it does not verify. */
int ledger_entry_check_sig(const ledger_entry_t *e, ledger_err_t *err);

/* Event payloads. encode appends CBOR [1, event_hash, event] to out;
 * decode returns the event (new reference) and copies the hash into
 * event_hash (at least 96 bytes) when not NULL. */
int ledger_event_payload_encode(const char *event_hash, const json_t *event, ledger_buf_t *out,
                                ledger_err_t *err);
int ledger_event_payload_decode(const uint8_t *p, size_t n, json_t **event, char *event_hash,
                                size_t hash_len, ledger_err_t *err);

/* Lowercase hex of n bytes into out (2n+1 bytes). Returns out. */
char *ledger_hex(const uint8_t *p, size_t n, char *out);
/* Parses exactly 2n hex digits into out. 0 or LEDGER_EINPUT. */
int ledger_unhex(const char *s, uint8_t *out, size_t n);

#endif
