/* gs1_key.h -- the two readings of an identifier URI that keten's ledger
 * needs besides gs1_ident_key(): the EPCIS 2.0 event hash's canonical form
 * and the strict check an event's identifier must pass to be recorded.
 *
 * Both are built on the one parser per form of gs1/ (gs1_dl_parse for
 * Digital Links, gs1_ident's EPC URN reader, gs1_dl_key for the canonical
 * Digital Link) and differ from gs1_ident_key() only in what they accept:
 *
 *  - gs1_key_hash(): what GS1's reference normaliser converts
 *    (RalphTro/epcis-event-hash-generator, dl_normaliser.py; vectors
 *    ../shared/conformance/event-hash/dl_normaliser_vectors.csv): check
 *    digits are not verified (GS1_NO_CHECK_DIGITS), the query string and
 *    fragment of a Digital Link are ignored, EPC tag URNs and schemes
 *    without a GS1 key are not converted.  Used by the event hash only:
 *    the hash of an event must never change.
 *  - gs1_key_check_uri(): an absolute URI and, when it is an EPC URN or a
 *    Digital Link, one gs1_ident_key() accepts, with gs1_ident's message
 *    when not -- so `keten record`, `keten decode` and `keten trace` refuse
 *    the same identifiers with the same words.
 *
 * Pure functions: no I/O, no allocation, thread-safe (the memo is
 * per-thread).
 */
#ifndef KETEN_GS1_KEY_H
#define KETEN_GS1_KEY_H

#include <stddef.h>

#include "gs1_error.h"

/* Longest canonical URI gs1_key_hash() writes for the hash, with the NUL. */
#define GS1_KEY_HASH_MAX 512

/* The event hash's canonical Digital Link of uri (NUL-terminated).
 * 0 and out set: uri is an EPC pure identity, class (lgtin) or pattern URN
 * whose class part is given, or a Digital Link (any host), and converts.
 * GS1_ENOTFOUND, out a copy of uri: a URI without GS1 form (the hash uses
 * it as it is).  GS1_EINPUT with a message: it claims to be an EPC URN or
 * Digital Link and is malformed.  GS1_ETOOBIG: out_len too small (out is
 * then "").  GS1_EINVAL: a NULL argument. */
int gs1_key_hash(const char *uri, char *out, size_t out_len, gs1_err_t *err);

/* Both readings of one identifier, as the record path needs them (the
 * check, the index key and the event hash of an event read the same
 * identifiers): key_rc and key are what gs1_ident_key(uri, strlen(uri),
 * NULL, key, sizeof key, NULL) returns and writes, hash_rc and hash what
 * gs1_key_hash(uri, hash, sizeof hash, NULL) does.  An EPC pure identity
 * or class URN, or a Digital Link without query string or fragment that
 * both readings take, is parsed once (its hash form is then its key);
 * other input is read both ways.  The answers are kept in a per-thread
 * memo (gs1__memo.h) that gs1_key_hash() and gs1_key_check_uri() share, so
 * an identifier read by one of them is not parsed again by the next.
 * GS1_ETOOBIG in key_rc or hash_rc: the text does not fit in
 * GS1_KEY_READ_MAX (a bigger buffer may take it).  Returns 0, or
 * GS1_EINVAL for a NULL argument. */
#define GS1_KEY_READ_MAX GS1_KEY_HASH_MAX

typedef struct gs1_key_reading {
    int key_rc;                  /* gs1_ident_key()'s return */
    int hash_rc;                 /* gs1_key_hash()'s return */
    char key[GS1_KEY_READ_MAX];  /* the key when key_rc is 0 */
    char hash[GS1_KEY_READ_MAX]; /* the hash form when hash_rc is 0 or GS1_ENOTFOUND */
} gs1_key_reading_t;

int gs1_key_read(const char *uri, gs1_key_reading_t *r);

/* 0 when s is a plausible absolute URI (scheme ":" rest, no spaces or
 * control characters) and, if it is an EPC URN (urn:epc:...) or looks like
 * a Digital Link (gs1_dl_looks_like), gs1_ident_key() reads it.  Else
 * GS1_EINPUT with a message: "'<s>' is not an absolute URI", or
 * gs1_ident's message as it is ("Digital Link: AI (01): check digit is 8,
 * expected 2"). */
int gs1_key_check_uri(const char *s, gs1_err_t *err);

/* What a canonical key (gs1_ident_key, gs1_key_hash) of a trade item is,
 * as gs1_key_gtin() reads it. */
enum gs1_key_level {
    GS1_KEY_NOT_GTIN = 0, /* not a GTIN key */
    GS1_KEY_CLASS,        /* https://id.gs1.org/01/<GTIN> */
    GS1_KEY_LOT,          /* .../01/<GTIN>/10/<lot>: an LGTIN */
    GS1_KEY_SERIAL,       /* .../01/<GTIN>/21/<serial>: an SGTIN */
    GS1_KEY_TPX,          /* .../01/<GTIN>/235/<tpx> */
};

/* Reads a canonical key (never parses user text: give it keys only): its
 * level, and when that is not GS1_KEY_NOT_GTIN, its 14-digit GTIN into
 * gtin (NUL-terminated; may be NULL). */
enum gs1_key_level gs1_key_gtin(const char *key, char gtin[15]);

/* The lot (LGTIN) key that an instance's Digital Link names next to its
 * serial (a printed label's /01/<GTIN>/10/<lot>/21/<serial>, whose key drops
 * the lot): https://id.gs1.org/01/<GTIN>/10/<lot> into out.  0, or
 * GS1_ENOTFOUND when uri is no Digital Link with (01), (10) and (21) in its
 * path, GS1_ETOOBIG.  Read as the event hash reads (gs1_key_hash). */
int gs1_key_lot(const char *uri, char *out, size_t cap, gs1_err_t *err);

/* The LGTIN key of GTIN gtin (14 digits) and the lot value lot (a raw
 * value, e.g. an EPCIS ilmd lotNumber, not percent-encoded).  0, or
 * GS1_EINPUT when they make no valid (01)+(10) (the lot too long or with
 * characters outside set 82), GS1_ETOOBIG. */
int gs1_key_lgtin(const char *gtin, const char *lot, char *out, size_t cap, gs1_err_t *err);

#endif
