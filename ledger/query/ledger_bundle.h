/* ledger_bundle.h -- provenance bundles: one self-contained file that proves
 * a product's history, and its verifier, which needs no store and no network.
 *
 * A bundle holds, per feed (partner), the steps of the product recorded in
 * that feed, each proven on its own: its entry (header, signature, and the
 * payload -- the EPCIS event -- unless the partner keeps it private or the
 * creator withholds it: then the step is sealed and still verifies), and
 * the inclusion proof of its entry in the feed's Merkle tree under one
 * checkpoint signed by the feed's key (the proof form, version 2). A feed
 * of which the store keeps no such checkpoint (a partner on an older keten)
 * is carried as in version 1 (the chain form): every entry from its first
 * step to its last, those between steps sealed, so that prev links connect
 * the steps. The partners' feed IDs (public keys) come with names (labels
 * chosen by the creator). A statement (subject identifier, creation time,
 * creator) heads it, and the creator's key signs the whole body.
 *
 *   file = CBOR [ "keten-bundle", 2, body (bstr), signature (bstr 64) ]
 *   signature = Ed25519(creator, "keten/2 bundle signature" || body)
 *   body = CBOR [ subject (text), createdMs (uint), creator (bstr 32),
 *                 partners: [ [feed (bstr 32), name (text)], ... ]   feed order
 *                 feeds: [ feed item, ... ]                          feed order ]
 *   feed item = [ feed (bstr 32), 2, checkpoint (text: the signed note),
 *                 steps: [ [entry (bstr), proof: [hash (bstr 32), ...]], ... ] ]
 *             | [ feed (bstr 32), 1, steps: [seq, ...], entries: [entry (bstr), ...] ]
 *   entry = the entry bytes of docs/format.md (payload or null)
 * Version 1 (still verified): signature context "keten/1 bundle signature",
 * feed item = [ feed, steps: [seq, ...], entries: [entry, ...] ].
 *
 * docs/bundle.md gives every byte, the verification algorithm, what is and
 * is not proven, and test vectors (checked by tests/unit/test_bundle.c).
 * All encoding is deterministic CBOR (ledger_cbor.h), so equal inputs give
 * equal bytes.
 */
#ifndef LEDGER_BUNDLE_H
#define LEDGER_BUNDLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "ledger_error.h"
#include "ledger_identity.h"
#include "ledger_store.h"

#define LEDGER_BUNDLE_MAGIC "keten-bundle"
#define LEDGER_BUNDLE_VERSION 2
/* What the creator's signature covers: this context string, then the body
 * (each version its own, so that a body is read only as what it was
 * signed as). */
#define LEDGER_BUNDLE_SIG_CONTEXT "keten/2 bundle signature"
#define LEDGER_BUNDLE_SIG_CONTEXT_V1 "keten/1 bundle signature"
/* Version 3: version 2 and what binds the partners' keys to companies: the
 * body has a sixth item, statements: [entry (bstr), ...] (the identity
 * statements and endorsements of docs/format.md, payload type 4, in
 * ascending (feed, seq) order), and every signature line of a proof-form
 * checkpoint other than the feed's own is a cosignature that must check
 * (C2SP cosignature/v1 by keten/<witness feed>). */
#define LEDGER_BUNDLE_VERSION_TRUST 3
#define LEDGER_BUNDLE_SIG_CONTEXT_V3 "keten/3 bundle signature"

/* A partner: feed ID and the name the bundle shows for it. */
typedef struct ledger_bundle_partner {
    uint8_t feed[LEDGER_FEED_LEN];
    const char *name; /* UTF-8; NULL or "" for none */
} ledger_bundle_partner_t;

/* A step of the product's history: entry feed:seq. seal = 1 withholds its
 * payload (the step appears sealed). */
typedef struct ledger_bundle_step {
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t seq;
    int seal;
} ledger_bundle_step_t;

enum {
    /* disclose payloads only of the creator's own feed: partners' steps
     * appear sealed */
    LEDGER_BUNDLE_ONLY_OWN = 1,
    /* version 3 when the store holds anything to carry: the statements and
     * endorsements of every partner (and the identities of their
     * endorsers), the cosignatures held for each proof-form checkpoint.
     * Without it (or with nothing to carry) the bundle is version 2. */
    LEDGER_BUNDLE_TRUST = 2,
};

typedef struct ledger_bundle_spec {
    const char *subject;                     /* the identifier the bundle is about (UTF-8) */
    uint64_t created_ms;                     /* ms since 1970-01-01T00:00:00Z */
    const ledger_bundle_partner_t *partners; /* names; feeds without one get "" */
    size_t npartners;
    const ledger_bundle_step_t *steps; /* any order; duplicates are merged */
    size_t nsteps;
    unsigned flags; /* LEDGER_BUNDLE_ONLY_OWN */
} ledger_bundle_spec_t;

/* Builds the bundle (version 2) of spec from the entries in st, signed with
 * creator, and appends its bytes to out. A step's payload is disclosed when
 * the store holds it, it is not private (ledger_replica_is_private), the
 * step is not sealed by spec and flags allow it. A feed takes the proof
 * form with the newest checkpoint of it kept in st (ledger_store_checkpoint)
 * when that holds the feed's last step, else the chain form (entries
 * between steps included sealed). LEDGER_EINVAL (no steps, no subject, seq 0),
 * LEDGER_ENOTFOUND ("feed <hex> seq N is not in this store"), LEDGER_EIO,
 * LEDGER_ENOMEM. */
int ledger_bundle_create(ledger_store_t *st, const ledger_identity_t *creator,
                         const ledger_bundle_spec_t *spec, ledger_buf_t *out, ledger_err_t *err);

/* The steps of the bundle about ident (ledger_bundle_steps.c): every event
 * of its trace in st (ledger_trace.h, back and forward, every feed; at most
 * max_nodes trace nodes, 0 = the trace's default), the errorDeclaration
 * that corrects an erroneous one and other partners' declarations of it
 * (disputes), and the sealed steps the trace placed.  *steps (free() it)
 * holds *nsteps steps (seal 0; duplicates possible, ledger_bundle_create
 * merges them).  The errors of ledger_trace_run_key (LEDGER_ENOTFOUND when
 * no event names ident), LEDGER_ENOMEM; *steps NULL on failure. */
int ledger_bundle_steps(ledger_store_t *st, const ledger_key_t *ident, size_t max_nodes,
                        ledger_bundle_step_t **steps, size_t *nsteps, ledger_err_t *err);

/* Writes bytes to path atomically (temporary file, fsync, rename), mode
 * 0644. LEDGER_EIO naming the path. */
int ledger_bundle_save(const char *path, const uint8_t *p, size_t n, ledger_err_t *err);

/* Verifies a bundle (version 1, 2 or 3) from its bytes alone: structure and
 * canonical encoding, every entry's signature; in the proof form each
 * checkpoint's signature by its feed's key and each step's inclusion proof
 * into it; in the chain form every prev link and seq (no entry missing or
 * out of order between a feed's first and last step); every disclosed
 * payload against its hash, each disclosed event's EPCIS event hash, and the
 * creator's signature over the body. On success returns 0 and, when story
 * is not NULL, the story (new reference; schema in docs/bundle.md):
 *   {"bundle":version, "subject", "createdMs", "created", "creator":{feed,name},
 *    "partners":[{feed,name}], "feeds":[{feed,name,proof ("tree" or "chain"),
 *    from,to,entries,steps,disclosed,sealed, and in the proof form treeSize,
 *    rootHash, checkpoint}], "steps":[{feed,name,seq,recordTimeMs,recordTime,sealed,
 *    payloadLength,payloadHash, and when disclosed: eventID,eventHash,type,
 *    eventTimeMs,eventTime,action,bizStep,disposition,bizLocation,readPoint,
 *    errorDeclaration,event}]}  with steps in event time order (a sealed
 *    step by its record time).
 * Version 3 adds to each proof-form feed "witnesses": [{witness, time,
 * timeText}] (each cosignature, checked), to each partner "identity" and
 * "endorsedBy" (ledger_stmts_feed_json over the carried statements), and
 * "statements": [statement JSON...]; it fails on a statement entry that
 * does not verify or decode ("statement 2 (feed 03a107bf seq 4): ...")
 * and on a cosignature line that does not check ("feed 03a107bf (Farm):
 * the checkpoint claims a cosignature by witness ... that it does not
 * carry: ...").
 * On failure returns LEDGER_EVERIFY with a message naming the claim that
 * fails, e.g. "feed 03a107bf (Farm) seq 7: payload does not match its hash",
 * "feed 03a107bf (Farm): seq 8 does not link to seq 7", "feed 03a107bf
 * (Farm) seq 8: entry signature does not verify", "step removed: feed
 * 03a107bf (Farm): seq 8 is missing between seq 7 and seq 9", "feed
 * 03a107bf (Farm): the checkpoint is not signed by the feed's key: ...",
 * "feed 03a107bf (Farm) seq 8: not proven in the feed's signed log of 20
 * entries: ...", or "bundle is damaged: ..." for bytes that are not a
 * bundle; LEDGER_ENOMEM. */
int ledger_bundle_verify(const uint8_t *p, size_t n, json_t **story, ledger_err_t *err);

#endif
