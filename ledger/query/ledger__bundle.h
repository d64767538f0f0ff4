/* ledger__bundle.h -- internals shared by the files of the bundle module
 * (ledger_bundle.h): the verifier's state and the checks both feed forms
 * use. The files, and the way their calls run (one way):
 *
 *   ledger_bundle.c         create (both forms) and save
 *   ledger_bundle_verify.c  ledger_bundle_verify: the file, the statement,
 *                           the partners, the creator's signature, the story
 *     -> ledger_bundle_chain.c  a feed as a run of linked entries (form 1;
 *                               every feed of a version 1 bundle)
 *     -> ledger_bundle_proof.c  a feed as steps with inclusion proofs into
 *                               one signed checkpoint (form 2)
 *   all of them -> ledger_bundle_story.c  labels, payload checks, the story
 *                                          of a step
 *
 * Not a public contract: only ledger/query/ledger_bundle*.c include it. */
#ifndef LEDGER__BUNDLE_H
#define LEDGER__BUNDLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ledger_bundle.h"
#include "ledger_cbor.h"
#include "ledger_entry.h"
#include "ledger_error.h"
#include "ledger_stmts.h"

/* The two forms of a feed item in a version 2 bundle (docs/bundle.md). */
enum {
    LEDGER__BUNDLE_CHAIN = 1, /* [feed, 1, steps: [seq...], entries: [entry...]] */
    LEDGER__BUNDLE_PROOF = 2, /* [feed, 2, checkpoint (text), [[entry, [hash...]]...]] */
};

typedef struct ledger__bvpart {
    const uint8_t *feed; /* into the bundle's bytes */
    json_t *name;        /* string */
} ledger__bvpart_t;

typedef struct ledger__bvstep {
    int64_t when;
    const uint8_t *feed; /* into the bundle's bytes */
    uint64_t seq;
    json_t *obj;
    int sealed; /* its when is its record time until placed */
} ledger__bvstep_t;

/* The verifier's state: the bundle's partners and the steps found so far. */
typedef struct ledger__bv {
    ledger_err_t *err;
    unsigned version;
    ledger__bvpart_t *parts;
    size_t nparts;
    ledger__bvstep_t *steps;
    size_t nsteps, cap;
    json_t *story; /* {"feeds": [...], ...} being built */
    ledger_stmts_t stmts; /* version 3: the statements the bundle carries */
} ledger__bv_t;

static inline int ledger__bundle_feed_cmp(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, LEDGER_FEED_LEN);
}

/* ms since 1970 as "2025-11-30T08:00:00.000Z". */
void ledger__bundle_iso_ms(uint64_t ms, char *out, size_t n);

/* The partner name of feed, NULL when feed is not a partner. */
const char *ledger__bundle_pname(const ledger__bv_t *v, const uint8_t *feed);

/* "feed 03a107bf (Name)" into out; returns out. */
const char *ledger__bundle_flabel(const ledger__bv_t *v, const uint8_t *feed, char *out, size_t n);

/* LEDGER_EVERIFY "bundle is damaged: what[: e2's message]". */
int ledger__bundle_damaged(ledger__bv_t *v, const char *what, const ledger_err_t *e2);

/* A step of feed (label: its flabel): checks a disclosed payload against
 * the header's length and hash, that it is an event and that its EPCIS
 * event hash is right, and adds the step's story. feed points into the
 * bundle's bytes. 0, LEDGER_EVERIFY naming the claim, LEDGER_ENOMEM. */
int ledger__bundle_step(ledger__bv_t *v, const ledger_entry_t *e, const uint8_t *feed,
                        const char *label);

/* The payload check of ledger__bundle_step alone: 0 or LEDGER_EVERIFY. */
int ledger__bundle_payload_check(ledger__bv_t *v, const ledger_entry_t *e, const char *label);

/* Adds the story of one feed item to v->story "feeds" (when v->story is
 * set): feed, name, proof ("chain" or "tree"), from, to, entries, steps,
 * disclosed, sealed. Returns the object (borrowed) for the caller to add
 * to, NULL without a story; LEDGER_ENOMEM in *rc when it cannot. */
json_t *ledger__bundle_feed_story(ledger__bv_t *v, const uint8_t *feed, const char *proof,
                                  uint64_t from, uint64_t to, size_t entries, size_t steps,
                                  size_t disclosed, size_t sealed, int *rc);

/* Gives the sealed steps among v->steps[from..] (one feed's, in seq
 * order) the time of the disclosed step before them in the feed (else the
 * one after). */
void ledger__bundle_place_sealed(ledger__bv_t *v, size_t from);

/* A feed item's contents after its feed ID (and, in version 2, its form):
 * the chain form (ledger_bundle_chain.c) and the proof form
 * (ledger_bundle_proof.c). label names the feed. Both add the feed's
 * entry to v->story "feeds" and its steps to v->steps. */
int ledger__bundle_verify_chain(ledger__bv_t *v, ledger_cbor_reader_t *r, const uint8_t *feed,
                                const char *label);
int ledger__bundle_verify_proof(ledger__bv_t *v, ledger_cbor_reader_t *r, const uint8_t *feed,
                                const char *label);

#endif
