/* ledger_cosig.h -- cosignatures of checkpoints, as C2SP tlog-cosignature
 * specifies them (c2sp.org/tlog-cosignature, cosignature/v1, Ed25519): the
 * statement of a witness that, as of a time, the checkpoint is the largest
 * consistent tree head it has seen of the log named by the origin.
 *
 * A cosignature is a signature line of the checkpoint's signed note
 * (ledger_note.h):
 *     "\u2014 " name " " base64(key ID (4) || timestamp (u64 BE) || Ed25519 signature (64))
 * key ID = the first 4 bytes of SHA-256(name || "\n" || 0x04 || public key);
 * 0x04 is the cosignature/v1 signature type.  The signature is over
 *     "cosignature/v1\n" "time " decimal timestamp "\n" checkpoint text
 * (the note's text with its last '\n', no signature lines).  timestamp is
 * POSIX seconds, below 2^63.  A verifier key is
 *     name "+" hex(key ID) "+" base64(0x04 || public key)
 *
 * keten's witnesses are feeds: a node cosigns with its feed key under the
 * name "keten/" + its feed ID in lower-case hex (ledger_note_feed_origin),
 * so the witnesses a node knows are the feeds it knows.  The key ID's
 * type byte (0x04, not 0x01) and the "cosignature/v1" prefix keep a
 * cosignature from ever reading as the same key's checkpoint signature.
 *
 * Errors: LEDGER_EINPUT naming what is malformed; LEDGER_EVERIFY when a
 * line of the witness's name and key ID does not check; LEDGER_ENOTFOUND
 * when a line is not the given witness's (another name or key ID).  No
 * allocation except into the caller's ledger_buf_t.
 */
#ifndef LEDGER_COSIG_H
#define LEDGER_COSIG_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"
#include "ledger_note.h"

#define LEDGER_COSIG_TYPE 0x04
/* key ID, timestamp, signature */
#define LEDGER_COSIG_BLOB_LEN (4 + 8 + 64)

/* The cosignature/v1 key ID of (name, Ed25519 public key pk). */
void ledger_cosig_key_id(const char *name, size_t name_len, const uint8_t pk[32], uint8_t id[4]);

/* Writes the verifier key text of the witness (name, pk) into out
 * (NUL-terminated).  LEDGER_EINVAL for a bad name, LEDGER_ETOOBIG when cap
 * is too small (a name of n bytes needs n + 56 bytes). */
int ledger_cosig_vkey(const char *name, const uint8_t pk[32], char *out, size_t cap,
                      ledger_err_t *err);

/* Appends to out the message a cosignature of the checkpoint text
 * text[0..n) at time t signs.  LEDGER_EINPUT when t is 2^63 or more. */
int ledger_cosig_message(const char *text, size_t n, uint64_t t, ledger_buf_t *out,
                         ledger_err_t *err);

/* Appends to out the cosignature line (with its '\n') of witness w over
 * the checkpoint text text[0..n) at time t.  w->sign is called once with
 * the cosignature message.  LEDGER_EINPUT for a text that is not a
 * checkpoint text (ledger_checkpoint_parse), a bad name or t >= 2^63. */
int ledger_cosig_line(const char *text, size_t n, uint64_t t, const ledger_note_signer_t *w,
                      ledger_buf_t *out, ledger_err_t *err);

/* Checks the signature line sig (from ledger_note_sigs on a note whose
 * text is text[0..n)) as a cosignature of the witness (name, pk).  On
 * success *t is its timestamp.  LEDGER_ENOTFOUND when the line is not of
 * this witness (another name or key ID: nothing checked), LEDGER_EINPUT
 * when it has this witness's key ID but is not 76 bytes or its timestamp
 * is 2^63 or more, LEDGER_EVERIFY when the signature does not check. */
int ledger_cosig_check(const char *text, size_t n, const ledger_note_sig_t *sig, const char *name,
                       const uint8_t pk[32], uint64_t *t, ledger_err_t *err);

/* The feed whose witness name a note signature line has: 1 and feed[32]
 * set when sig's name is "keten/" followed by 64 lower-case hex digits,
 * else 0. */
int ledger_cosig_witness_feed(const ledger_note_sig_t *sig, uint8_t feed[32]);

#endif
