/* ledger_bundle_chain.c -- the chain form of a bundle's feed item
 * (docs/bundle.md): the feed's entries from its first step to its last,
 * every one in between included sealed, so that the prev links connect the
 * steps. Every feed of a version 1 bundle has this form; a version 2
 * bundle uses it for a feed that has no signed checkpoint covering its
 * steps (a partner on an older keten).
 *
 * One pass over the entries: each decodes, belongs to the feed, follows the
 * one before it by seq and prev link, and carries a good signature; a gap
 * is named as a removed step (or a reordered one, when the missing seq
 * comes later in the list).
 */
#include "ledger__bundle.h"

#include <sodium.h>
#include <stdio.h>

static int later_has(ledger_cbor_reader_t r, size_t left, uint64_t want)
{
    for (size_t i = 0; i < left; i++) {
        const uint8_t *p;
        size_t n;
        ledger_entry_t e;
        if (ledger_cbor_get_bytes(&r, &p, &n, NULL) || ledger_entry_decode(p, n, &e, NULL))
            return 0;
        if (e.h.seq == want)
            return 1;
    }
    return 0;
}

/* [steps, entries] of one feed item, after its feed ID (and form). */
int ledger__bundle_verify_chain(ledger__bv_t *v, ledger_cbor_reader_t *r, const uint8_t *feed,
                                const char *label)
{
    const uint8_t *p;
    size_t n, nsteps, nent, si = 0, i, disclosed = 0, sealed = 0;
    uint64_t step = 0, prev_seq = 0, last_step = 0, first = 0;
    size_t story_from = v->nsteps;
    uint8_t prev_hash[LEDGER_HASH_LEN];
    ledger_cbor_reader_t sr;
    ledger_err_t e2;
    char hex[65];
    int rc;

    if (ledger_cbor_get_array(r, &nsteps, &e2) || !nsteps)
        return ledger__bundle_damaged(v, "a feed's step list is missing or empty", NULL);
    sr = *r;
    for (i = 0; i < nsteps; i++) {
        uint64_t s;
        if (ledger_cbor_get_uint(r, &s, &e2))
            return ledger__bundle_damaged(v, "a step is not a seq", &e2);
        if (i && s <= last_step)
            return ledger__bundle_damaged(v, "steps are not in ascending order", NULL);
        last_step = s;
    }
    if (ledger_cbor_get_array(r, &nent, &e2) || !nent)
        return ledger__bundle_damaged(v, "a feed's entry list is missing or empty", NULL);
    if (ledger_cbor_get_uint(&sr, &step, NULL))
        return ledger__bundle_damaged(v, "steps", NULL);
    for (i = 0; i < nent; i++) {
        ledger_entry_t e;
        int is_step = 0;
        if (ledger_cbor_get_bytes(r, &p, &n, &e2))
            return ledger__bundle_damaged(v, "an entry is not a byte string", &e2);
        if (ledger_entry_decode(p, n, &e, &e2))
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "%s entry %zu: not a well-formed entry: %s", label, i + 1,
                                  e2.msg);
        if (ledger__bundle_feed_cmp(e.h.feed, feed))
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "%s seq %llu: the entry belongs to feed %.8s, not to this feed",
                                  label, (unsigned long long)e.h.seq,
                                  ledger_hex(e.h.feed, LEDGER_FEED_LEN, hex));
        if (i == 0) {
            first = e.h.seq;
            if (e.h.seq < step)
                return ledger__bundle_damaged(v, "a feed's entries start before its first step", NULL);
            if (e.h.seq != step)
                return ledger_err_set(
                    v->err, LEDGER_EVERIFY,
                    "step removed: %s: step seq %llu is missing (the entries start at seq %llu)",
                    label, (unsigned long long)step, (unsigned long long)e.h.seq);
        } else if (e.h.seq <= prev_seq) {
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "step reordered: %s: seq %llu comes after seq %llu", label,
                                  (unsigned long long)e.h.seq, (unsigned long long)prev_seq);
        } else if (e.h.seq != prev_seq + 1) {
            if (later_has(*r, nent - i - 1, prev_seq + 1))
                return ledger_err_set(
                    v->err, LEDGER_EVERIFY, "step reordered: %s: seq %llu comes after seq %llu",
                    label, (unsigned long long)prev_seq + 1, (unsigned long long)e.h.seq);
            if (e.h.seq == prev_seq + 2)
                return ledger_err_set(
                    v->err, LEDGER_EVERIFY,
                    "step removed: %s: seq %llu is missing between seq %llu and seq %llu", label,
                    (unsigned long long)prev_seq + 1, (unsigned long long)prev_seq,
                    (unsigned long long)e.h.seq);
            return ledger_err_set(
                v->err, LEDGER_EVERIFY,
                "step removed: %s: seq %llu to %llu are missing between seq %llu and seq %llu",
                label, (unsigned long long)prev_seq + 1, (unsigned long long)e.h.seq - 1,
                (unsigned long long)prev_seq, (unsigned long long)e.h.seq);
        } else if (memcmp(e.h.prev, prev_hash, LEDGER_HASH_LEN)) {
            return ledger_err_set(v->err, LEDGER_EVERIFY, "%s: seq %llu does not link to seq %llu",
                                  label, (unsigned long long)e.h.seq, (unsigned long long)prev_seq);
        }
        if (ledger_entry_check_sig(&e, NULL))
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "%s seq %llu: entry signature does not verify", label,
                                  (unsigned long long)e.h.seq);
        if (step == e.h.seq) {
            is_step = 1;
            if (si + 1 < nsteps) {
                if (ledger_cbor_get_uint(&sr, &step, NULL))
                    return ledger__bundle_damaged(v, "steps", NULL);
            }
            si++;
        } else if (si < nsteps && step < e.h.seq) {
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "step removed: %s: step seq %llu is not among the entries", label,
                                  (unsigned long long)step);
        }
        if (e.payload) {
            if (!is_step)
                return ledger_err_set(v->err, LEDGER_EVERIFY,
                                      "%s seq %llu: a payload is disclosed for an entry that is "
                                      "not a step",
                                      label, (unsigned long long)e.h.seq);
            if ((rc = ledger__bundle_payload_check(v, &e, label)))
                return rc;
            disclosed++;
        } else {
            sealed++;
        }
        if (is_step && (rc = ledger__bundle_step(v, &e, feed, label)))
            return rc;
        ledger_entry_hash(&e, prev_hash);
        prev_seq = e.h.seq;
    }
    if (si < nsteps)
        return ledger_err_set(v->err, LEDGER_EVERIFY,
                              "step removed: %s: step seq %llu is not among the entries (they "
                              "end at seq %llu)",
                              label, (unsigned long long)step, (unsigned long long)prev_seq);
    if (prev_seq != last_step)
        return ledger__bundle_damaged(v, "a feed's entries go on after its last step", NULL);
    ledger__bundle_place_sealed(v, story_from);
    ledger__bundle_feed_story(v, feed, "chain", first, prev_seq, nent, nsteps, disclosed, sealed,
                              &rc);
    if (rc)
        return rc;
    return 0;
}
