/* ledger_stmt.h -- identity statements and endorsements: the entries that
 * bind a feed key to a company (payload type 4, LEDGER_PT_STATEMENT).
 *
 * A feed states its own identity (kind 1) in a signed entry of its own
 * feed; a partner that has checked a feed's identity out of band endorses
 * it (kind 2) in an entry of the partner's own feed.  Both have one
 * payload, deterministic CBOR (ledger_cbor.h):
 *
 *   statement = [1 (version), kind, subject (bstr 32), name (tstr),
 *                gln (tstr), gcp (tstr), domain (tstr)]
 *
 * kind 1 "identity": subject is the feed that carries the entry;
 * kind 2 "endorsement": subject is another feed, the one endorsed.
 * An empty text field is absent.  name: 1..200 bytes of UTF-8 without
 * control characters.  gln: a GLN as GS1 AI (417) takes it (13 digits,
 * check digit).  gcp: a GS1 Company Prefix, 4..12 digits; with a GLN too,
 * the GLN starts with it.  At least one of gln and gcp.  domain: a DNS
 * host name in lower case (letters, digits, '-', '.'; labels of 1..63,
 * 253 at most), where https://DOMAIN/.well-known/keten.json publishes the
 * feed key (docs/format.md).  docs/format.md gives the bytes of a test
 * vector (tests/unit/test_stmt.c checks them).
 *
 * Functions are pure: no storage, no allocation except into the caller's
 * ledger_buf_t.  Errors: LEDGER_EINPUT with a message naming the field. */
#ifndef LEDGER_STMT_H
#define LEDGER_STMT_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_entry.h"
#include "ledger_error.h"

#define LEDGER_STMT_VERSION 1
#define LEDGER_STMT_NAME_MAX 200
#define LEDGER_STMT_DOMAIN_MAX 253

enum ledger_stmt_kind {
    LEDGER_STMT_IDENTITY = 1,    /* a feed's statement of its own identity */
    LEDGER_STMT_ENDORSEMENT = 2, /* a feed's endorsement of another feed's identity */
};

typedef struct ledger_stmt {
    unsigned kind; /* enum ledger_stmt_kind */
    uint8_t subject[LEDGER_FEED_LEN];
    char name[LEDGER_STMT_NAME_MAX + 1];
    char gln[14];
    char gcp[13];
    char domain[LEDGER_STMT_DOMAIN_MAX + 1];
} ledger_stmt_t;

/* Checks the fields of s by the rules above (not the subject against an
 * author: ledger_stmt_check_author).  0 or LEDGER_EINPUT. */
int ledger_stmt_check(const ledger_stmt_t *s, ledger_err_t *err);

/* Checks s as carried by an entry of feed author: an identity names its
 * own feed, an endorsement another one ("an endorsement of a feed by
 * itself").  0 or LEDGER_EINPUT. */
int ledger_stmt_check_author(const ledger_stmt_t *s, const uint8_t author[LEDGER_FEED_LEN],
                             ledger_err_t *err);

/* Checks s (ledger_stmt_check) and appends its canonical payload to out.
 * 0, LEDGER_EINPUT, or LEDGER_ENOMEM. */
int ledger_stmt_encode(const ledger_stmt_t *s, ledger_buf_t *out, ledger_err_t *err);

/* Strictly decodes a payload p[0..n) into *s: exactly the bytes
 * ledger_stmt_encode writes for a statement that checks (version 1, known
 * kind, no trailing bytes).  LEDGER_EINPUT otherwise; *s is then
 * unspecified. */
int ledger_stmt_decode(const uint8_t *p, size_t n, ledger_stmt_t *s, ledger_err_t *err);

/* Decodes the payload of a type-4 entry e and checks it against its feed
 * (ledger_stmt_check_author).  LEDGER_EINPUT for another payload type, a
 * sealed entry, or a payload that does not decode or check. */
int ledger_stmt_from_entry(const ledger_entry_t *e, ledger_stmt_t *s, ledger_err_t *err);

/* "identity" or "endorsement" (or "unknown"). */
const char *ledger_stmt_kind_name(unsigned kind);

#endif
