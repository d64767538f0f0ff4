/* node_msg.h -- the messages two nodes exchange inside encrypted frames
 * (node_stream.h), after the handshake.  Every message is one frame: a type
 * byte, then fields; integers are unsigned big-endian; every message fits
 * in NODE_FRAME_MAX bytes.  docs/protocol.md is the normative description.
 *
 *   HELLO   0x01  u8 version (1) | u8 name length | name (UTF-8, <= 200 bytes)
 *   HEADS   0x02  u32 n | n x ( feed[32] | u64 seq | hash[32] | u32 flags )
 *                 the sender's feeds and their heads (all of them, or the ones
 *                 that changed); flags bit 0 = the sender holds the feed as forked
 *   WANT    0x03  feed[32] | u64 from | u64 to
 *                 "send me entries from..to of this feed"; to = 0 means up to
 *                 the head and then every new one as it arrives (subscribe)
 *   ENTRIES 0x04  feed[32] | u64 first seq | u32 n | n x ( u32 len | entry bytes )
 *                 consecutive entries of one feed, wire form (ledger_replica.h)
 *   PING    0x05  u64 nonce      PONG 0x06 u64 nonce (keepalive, liveness)
 *   BYE     0x07  u8 reason length | reason (UTF-8): the sender closes; the
 *                 reason is logged by the receiver
 *   NAMES   0x08  u32 n | n x ( feed[32] | u8 name length | name ): names the
 *                 sender knows for feeds (a label, not a proof)
 *   CHECKPOINT 0x09  feed[32] | u16 length | note: the newest signed checkpoint
 *                 of the feed's Merkle tree the sender keeps (a C2SP signed
 *                 note, 1..NODE_CHECKPOINT_MAX bytes; protocol version 2)
 *
 * Decoding is strict: a message with a wrong length, an unknown type, a
 * count that does not match the bytes, or an entry length of 0 or over the
 * frame is LEDGER_EINPUT with a message naming the message type and field.
 * Also refused: text (names, reasons) that is not UTF-8 without control
 * characters; HEADS flags other than bit 0, or a
 * seq-0 head with a non-zero hash; WANT from = 0 or 0 < to < from; ENTRIES
 * first seq 0 or seqs past 2^64-1.  HELLO's version is not checked here
 * (the caller answers a version it does not speak with BYE).
 * Decoded messages are views into the frame (valid while it is).
 * The encoders refuse what a decoder would (LEDGER_EINVAL: bad ranges,
 * flags, seq 0), clean text (below), and on any failure leave out
 * unchanged.
 */
#ifndef NODE_MSG_H
#define NODE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"
#include "node_stream.h" /* NODE_FRAME_MAX */

enum node_msg_type {
    NODE_MSG_HELLO = 1,
    NODE_MSG_HEADS = 2,
    NODE_MSG_WANT = 3,
    NODE_MSG_ENTRIES = 4,
    NODE_MSG_PING = 5,
    NODE_MSG_PONG = 6,
    NODE_MSG_BYE = 7,
    NODE_MSG_NAMES = 8,
    NODE_MSG_CHECKPOINT = 9,
};

/* The HELLO version this code speaks: 2 added CHECKPOINT. */
#define NODE_PROTO_VERSION 2
#define NODE_CHECKPOINT_MAX 4096
#define NODE_HEAD_WIRE_LEN (32 + 8 + 32 + 4)
#define NODE_NAME_MAX 200
#define NODE_BYE_MAX 255                      /* reason bytes */
#define NODE_HEAD_FORKED 1u                   /* node_head_t.flags bit 0; other bits must be 0 */
#define NODE_ENTRIES_HDR_LEN (1 + 32 + 8 + 4) /* ENTRIES bytes before the first entry */
/* The most heads one HEADS message holds (13,796); send more in several. */
#define NODE_HEADS_MAX ((NODE_FRAME_MAX - 5) / NODE_HEAD_WIRE_LEN)

typedef struct node_head {
    uint8_t feed[32];
    uint64_t seq;
    uint8_t hash[32];
    uint32_t flags;
} node_head_t;

/* A decoded message: type and the fields of that type (views). */
typedef struct node_msg {
    int type;
    /* HELLO, BYE: text (not NUL-terminated) */
    const char *text;
    size_t text_len;
    uint8_t version;
    /* HEADS, NAMES: count and the raw records (use node_msg_head/node_msg_name) */
    uint32_t n;
    const uint8_t *recs;
    /* WANT, ENTRIES: feed; WANT: from/to; ENTRIES: first seq + n entries */
    const uint8_t *feed;
    uint64_t from, to;
    /* PING/PONG */
    uint64_t nonce;
    /* ENTRIES: entry i is node_msg_entry(msg, &iter...); CHECKPOINT: the note */
    const uint8_t *body;
    size_t body_len;
} node_msg_t;

/* Decodes one message (a whole frame). */
int node_msg_decode(const uint8_t *p, size_t len, node_msg_t *m, ledger_err_t *err);

/* HEADS: the i-th head (i < m->n). */
void node_msg_head(const node_msg_t *m, uint32_t i, node_head_t *out);

/* NAMES: walk the records; *off starts at 0; returns 1 and fills feed/name
 * while there is one, 0 at the end (decode already checked the layout). */
int node_msg_name_next(const node_msg_t *m, size_t *off, const uint8_t **feed, const char **name,
                       size_t *name_len);

/* ENTRIES: walk the entries; *off starts at 0; returns 1 and sets the
 * entry's bytes while there is one, 0 at the end. */
int node_msg_entry_next(const node_msg_t *m, size_t *off, const uint8_t **entry, size_t *len);

/* Encoders append one whole message to out (0 or LEDGER_ENOMEM /
 * LEDGER_ETOOBIG when it would not fit NODE_FRAME_MAX).  Text never makes
 * them fail: HELLO names and NAMES names are cut to 200 bytes, BYE reasons
 * to 255, at a character boundary, and every byte that does not start a
 * printable UTF-8 character becomes '?'; NULL is "". */
int node_msg_hello(ledger_buf_t *out, const char *name, ledger_err_t *err);
int node_msg_bye(ledger_buf_t *out, const char *reason, ledger_err_t *err);
int node_msg_ping(ledger_buf_t *out, int pong, uint64_t nonce, ledger_err_t *err);
int node_msg_want(ledger_buf_t *out, const uint8_t feed[32], uint64_t from, uint64_t to,
                  ledger_err_t *err);
/* HEADS: write the header with n, then n heads. */
int node_msg_heads(ledger_buf_t *out, const node_head_t *heads, uint32_t n, ledger_err_t *err);
int node_msg_names(ledger_buf_t *out, const uint8_t (*feeds)[32], const char *const *names,
                   uint32_t n, ledger_err_t *err);
/* CHECKPOINT of feed: note[0..len), 1..NODE_CHECKPOINT_MAX bytes (not
 * checked further here: the ledger checks the note). */
int node_msg_checkpoint(ledger_buf_t *out, const uint8_t feed[32], const uint8_t *note, size_t len,
                        ledger_err_t *err);
/* ENTRIES in steps: begin writes the header (count 0), add appends one entry
 * and bumps the count, so a sender can fill a frame up to a byte budget.
 * *start receives the message's offset in out (for add).  add refuses with
 * LEDGER_ETOOBIG, leaving out unchanged, an entry that would take the
 * message over NODE_FRAME_MAX: send the batch, begin the next one.
 * entry must not point into out. */
int node_msg_entries_begin(ledger_buf_t *out, const uint8_t feed[32], uint64_t first_seq,
                           size_t *start, ledger_err_t *err);
int node_msg_entries_add(ledger_buf_t *out, size_t start, const uint8_t *entry, size_t len,
                         ledger_err_t *err);

#endif
