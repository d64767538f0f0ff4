/* ledger_note.h -- signed notes and checkpoints, as C2SP specifies them
 * (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), with Ed25519 keys: the
 * text a feed's key signs to vouch for its Merkle tree (ledger_tree.h), in
 * the form Go's golang.org/x/mod/sumdb/note, Sigstore, Trillian and the
 * transparency-log witnesses read.
 *
 * A signed note is a text (UTF-8, lines ended by '\n', no other control
 * characters), a blank line, and one or more signature lines
 *     "\u2014 " name " " base64(key ID (4 bytes) || Ed25519 signature (64))
 * The signature is over the text (every byte up to and including its last
 * '\n').  key ID = the first 4 bytes of SHA-256(name || "\n" || 0x01 ||
 * public key); 0x01 is the Ed25519 signature type.  A verifier key is
 *     name "+" hex(key ID, 8 lower-case digits) "+" base64(0x01 || public key)
 * A name is 1 to LEDGER_NOTE_NAME_MAX bytes, without spaces, '+' or control
 * characters.
 *
 * A checkpoint is the text of a note with three lines (and optional
 * extension lines after them, kept but not interpreted):
 *     origin "\n" decimal tree size "\n" base64(root hash) "\n"
 * The origin names the log; keten's feeds use "keten/" + the feed ID in
 * lower-case hex (ledger_note_feed_origin), and name their key the same.
 *
 * Limits: a note of at most LEDGER_NOTE_MAX bytes, at most
 * LEDGER_NOTE_MAX_SIGS signature lines.  Errors: LEDGER_EINPUT naming the
 * line and what is wrong with it; LEDGER_EVERIFY when no signature of the
 * expected key checks; LEDGER_ETOOBIG past the limits.  No allocation
 * except into the caller's ledger_buf_t.
 */
#ifndef LEDGER_NOTE_H
#define LEDGER_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"
#include "ledger_tree.h"

#define LEDGER_NOTE_MAX 65536
#define LEDGER_NOTE_MAX_SIGS 100
#define LEDGER_NOTE_NAME_MAX 255

/* 1 when s[0..n) is a valid note or key name (the rule above); for the
 * other signed-note kinds (ledger_cosig.h) too. */
int ledger_note_name_ok(const char *s, size_t n);
/* "keten/" + 64 hex digits + NUL */
#define LEDGER_NOTE_ORIGIN_LEN (6 + 64 + 1)

/* The origin (and key name) of the feed whose public key is feed[32]:
 * "keten/<64 lower-case hex digits>", NUL-terminated. */
void ledger_note_feed_origin(const uint8_t feed[32], char out[LEDGER_NOTE_ORIGIN_LEN]);

/* The key ID of (name, Ed25519 public key pk). */
void ledger_note_key_id(const char *name, const uint8_t pk[32], uint8_t id[4]);
/* The same for a key of signature type `type` (0x01 Ed25519 here, 0x04
 * for a cosignature: ledger_cosig.h), name of n bytes. */
void ledger_note_key_id_typed(const char *name, size_t n, uint8_t type, const uint8_t pk[32],
                              uint8_t id[4]);

/* Writes the verifier key text of (name, pk) into out (NUL-terminated).
 * LEDGER_EINVAL for a bad name, LEDGER_ETOOBIG when cap is too small (a
 * name of n bytes needs n + 56 bytes). */
int ledger_note_vkey(const char *name, const uint8_t pk[32], char *out, size_t cap,
                     ledger_err_t *err);
/* The same for a key of signature type `type`; `what` names the key in the
 * messages ("note", "witness"). */
int ledger_note_vkey_typed(const char *name, uint8_t type, const char *what,
                           const uint8_t pk[32], char *out, size_t cap, ledger_err_t *err);

/* Parses a verifier key: *name_len bytes of vkey are the name (not
 * NUL-terminated), pk its public key.  LEDGER_EINPUT when it is not one
 * (wrong field count, not hex, a key ID that does not match, another
 * signature type). */
int ledger_note_vkey_parse(const char *vkey, size_t n, size_t *name_len, uint8_t pk[32],
                           ledger_err_t *err);

/* The signer: its name, public key and a function that signs.  sign is
 * called once with the note text; it writes the 64-byte signature.  (keten
 * passes ledger_identity_sign through a small adapter; tests pass keys of
 * their own.) */
typedef struct ledger_note_signer {
    const char *name;
    uint8_t pk[32];
    void (*sign)(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64]);
    void *ctx;
} ledger_note_signer_t;

/* Appends to out the signed note of text[0..n) with one signature line per
 * signer (nsigners >= 1).  text must be a valid note text (see the top).
 * LEDGER_EINPUT for a bad text or name. */
int ledger_note_sign(const char *text, size_t n, const ledger_note_signer_t *signers,
                     size_t nsigners, ledger_buf_t *out, ledger_err_t *err);

/* Opens the signed note note[0..n): checks its structure, then looks for a
 * signature line of (name, pk) and checks it.  Lines of other keys (other
 * names, or the same name with another key ID: cosigners, witnesses) are
 * skipped; a line with this key's name and ID whose signature fails is
 * LEDGER_EVERIFY.  On success *text_len is the length of the signed text
 * (the note's first *text_len bytes).  LEDGER_EINPUT for a malformed note,
 * LEDGER_EVERIFY when no good signature of this key is on it. */
int ledger_note_open(const char *note, size_t n, const char *name, const uint8_t pk[32],
                     size_t *text_len, ledger_err_t *err);

/* One signature line of a note, as ledger_note_sigs hands it on: the
 * line (line_len bytes with its '\n'), its name (name_len bytes, not
 * NUL-terminated) and its base64 decoded (blob_len bytes: key ID, then the
 * signature).  Pointers into the note; valid during the call only. */
typedef struct ledger_note_sig {
    const char *line, *name;
    size_t line_len, name_len;
    uint8_t blob[600]; /* other algorithms' signatures may be longer than ours */
    size_t blob_len;
} ledger_note_sig_t;
typedef int (*ledger_note_sig_cb)(const ledger_note_sig_t *sig, void *ctx, ledger_err_t *err);

/* Checks the structure of the signed note note[0..n) (as ledger_note_open)
 * and calls fn (when not NULL) for each signature line in order, checking
 * no signature; a non-zero return of fn stops the walk and is returned.
 * On success *text_len is the length of the signed text.  LEDGER_EINPUT
 * for a malformed note, LEDGER_ETOOBIG past the limits. */
int ledger_note_sigs(const char *note, size_t n, size_t *text_len, ledger_note_sig_cb fn,
                     void *ctx, ledger_err_t *err);

typedef struct ledger_checkpoint {
    char origin[LEDGER_NOTE_NAME_MAX + 1];
    uint64_t size;
    ledger_tree_hash_t root;
    size_t ext_off, ext_len; /* extension lines in the text, as given (0, 0 if none) */
} ledger_checkpoint_t;

/* The tree size of note[0..n) when it is a checkpoint of feed signed by
 * the feed's key (origin and key name keten/<feed hex>), else 0. */
uint64_t ledger_checkpoint_size_of(const uint8_t feed[32], const char *note, size_t n);

/* Appends the checkpoint text "origin\nsize\nbase64(root)\n" to out.
 * LEDGER_EINVAL for an origin that is not a note name. */
int ledger_checkpoint_text(const char *origin, uint64_t size, const ledger_tree_hash_t root,
                           ledger_buf_t *out, ledger_err_t *err);

/* Parses a checkpoint text (the signed text of a note, from
 * ledger_note_open): an origin, a decimal size without leading zeros
 * (below 2^63), a base64 root of 32 bytes, then any extension lines.
 * LEDGER_EINPUT naming the line that is wrong. */
int ledger_checkpoint_parse(const char *text, size_t n, ledger_checkpoint_t *cp, ledger_err_t *err);

#endif
