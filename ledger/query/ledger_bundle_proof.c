/* ledger_bundle_proof.c -- the proof form of a bundle's feed item
 * (docs/bundle.md, version 2): the feed's signed checkpoint, then each step
 * with its entry and the inclusion proof of its leaf in the checkpoint's
 * tree. No entry that is not a step: the bundle grows with the steps and
 * the log of the feed's size (O(steps x log n)), not with the feed.
 *
 * The checks, in the order of their messages: the checkpoint is a C2SP
 * signed note with a good Ed25519 signature by the feed's own key (note
 * name keten/<feed hex>), and a checkpoint of that origin; each step's
 * entry decodes, belongs to the feed, comes after the step before it, lies
 * inside the checkpoint's tree, carries a good entry signature, and its
 * leaf (the header bytes) is proven by its hashes to be leaf seq - 1 of the
 * tree whose root the checkpoint signs (RFC 9162 inclusion proof); its
 * payload, when disclosed, is checked as in every form.
 */
#include "ledger__bundle.h"

#include <stdio.h>

#include "ledger_cosig.h"
#include "ledger_note.h"
#include "ledger_tree.h"

/* Version 3: every signature line of the checkpoint but the feed's own is
 * a cosignature it claims, and must be one that checks (C2SP
 * cosignature/v1 by a keten witness, keten/<feed hex>): a claimed witness
 * the bundle does not carry proof of fails the bundle, naming it. */
typedef struct cosig_walk {
    ledger__bv_t *v;
    const char *text;
    size_t tlen;
    const uint8_t *feed;
    const char *label;
    json_t *arr;
} cosig_walk_t;

static int cosig_line(const ledger_note_sig_t *sig, void *ctx, ledger_err_t *err)
{
    cosig_walk_t *w = ctx;
    char origin[LEDGER_NOTE_ORIGIN_LEN], name[LEDGER_NOTE_NAME_MAX + 1], when[40];
    uint8_t wfeed[LEDGER_FEED_LEN], kid[4];
    ledger_err_t e2;
    uint64_t t;
    (void)err;
    ledger_note_feed_origin(w->feed, origin);
    ledger_note_key_id(origin, w->feed, kid);
    if (sig->name_len == strlen(origin) && !memcmp(sig->name, origin, sig->name_len) &&
        sig->blob_len >= 4 && !memcmp(sig->blob, kid, 4))
        return 0; /* the feed's own signature (checked by ledger_note_open) */
    snprintf(name, sizeof name, "%.*s", (int)sig->name_len, sig->name);
    if (!ledger_cosig_witness_feed(sig, wfeed))
        return ledger_err_set(w->v->err, LEDGER_EVERIFY,
                              "%s: the checkpoint claims a signature by %s, which is not a keten "
                              "witness (keten/<feed ID>) whose cosignature could be checked",
                              w->label, name);
    if (!memcmp(wfeed, w->feed, LEDGER_FEED_LEN))
        return ledger_err_set(w->v->err, LEDGER_EVERIFY,
                              "%s: the checkpoint claims a cosignature by the feed itself", w->label);
    if (ledger_cosig_check(w->text, w->tlen, sig, name, wfeed, &t, &e2))
        return ledger_err_set(w->v->err, LEDGER_EVERIFY,
                              "%s: the checkpoint claims a cosignature by witness %.16s that it "
                              "does not carry: %s",
                              w->label, name + 6, e2.msg);
    for (size_t i = 0; i < json_array_size(w->arr); i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(w->arr, i), "witness")),
                    name + 6))
            return ledger_err_set(w->v->err, LEDGER_EVERIFY,
                                  "%s: the checkpoint carries two cosignatures by witness %.16s",
                                  w->label, name + 6);
    ledger__bundle_iso_ms(t * 1000, when, sizeof when);
    json_array_append_new(w->arr, json_pack("{s:s, s:I, s:s}", "witness", name + 6, "time",
                                            (json_int_t)(t & INT64_MAX), "timeText", when));
    return 0;
}

static int read_checkpoint(ledger__bv_t *v, ledger_cbor_reader_t *r, const uint8_t *feed,
                           const char *label, json_t **note, ledger_checkpoint_t *cp,
                           json_t *witnesses)
{
    char origin[LEDGER_NOTE_ORIGIN_LEN];
    const char *text;
    size_t len, tl;
    ledger_err_t e2;
    int rc;

    if ((rc = ledger_cbor_get_json(r, note, &e2)))
        return ledger__bundle_damaged(v, "a feed's checkpoint is missing", &e2);
    if (!json_is_string(*note))
        return ledger__bundle_damaged(v, "a feed's checkpoint is not a text string", NULL);
    text = json_string_value(*note);
    len = json_string_length(*note);
    ledger_note_feed_origin(feed, origin);
    rc = ledger_note_open(text, len, origin, feed, &tl, &e2);
    if (rc == LEDGER_EVERIFY)
        return ledger_err_set(v->err, LEDGER_EVERIFY,
                              "%s: the checkpoint is not signed by the feed's key: %s", label,
                              e2.msg);
    if (rc)
        return ledger_err_set(v->err, LEDGER_EVERIFY, "%s: the checkpoint is not a signed note: %s",
                              label, e2.msg);
    if (ledger_checkpoint_parse(text, tl, cp, &e2))
        return ledger_err_set(v->err, LEDGER_EVERIFY, "%s: the checkpoint is malformed: %s", label,
                              e2.msg);
    if (strcmp(cp->origin, origin))
        return ledger_err_set(v->err, LEDGER_EVERIFY,
                              "%s: the checkpoint is of the log %s, not of this feed", label,
                              cp->origin);
    if (v->version >= 3) {
        cosig_walk_t w = {v, text, tl, feed, label, witnesses};
        if ((rc = ledger_note_sigs(text, len, &tl, cosig_line, &w, &e2)))
            return rc == LEDGER_EVERIFY ? rc
                                        : ledger_err_set(v->err, LEDGER_EVERIFY,
                                                         "%s: the checkpoint: %s", label, e2.msg);
    }
    return 0;
}

/* [entry, [hash, ...]]: the step's entry decoded into e, its proof into h. */
static int read_step(ledger__bv_t *v, ledger_cbor_reader_t *r, size_t i, const char *label,
                     ledger_entry_t *e, ledger_tree_hash_t h[LEDGER_TREE_MAX_PROOF], size_t *nh)
{
    const uint8_t *p;
    size_t n, k;
    ledger_err_t e2;

    if (ledger_cbor_get_array(r, &n, &e2) || n != 2)
        return ledger__bundle_damaged(v, "a step is not [entry, proof]", NULL);
    if (ledger_cbor_get_bytes(r, &p, &n, &e2))
        return ledger__bundle_damaged(v, "an entry is not a byte string", &e2);
    if (ledger_entry_decode(p, n, e, &e2))
        return ledger_err_set(v->err, LEDGER_EVERIFY, "%s step %zu: not a well-formed entry: %s",
                              label, i + 1, e2.msg);
    if (ledger_cbor_get_array(r, nh, &e2))
        return ledger__bundle_damaged(v, "a step's proof is not an array of hashes", &e2);
    if (*nh > LEDGER_TREE_MAX_PROOF)
        return ledger_err_set(v->err, LEDGER_EVERIFY,
                              "%s seq %llu: the inclusion proof has %zu hashes (at most %d)",
                              label, (unsigned long long)e->h.seq, *nh, LEDGER_TREE_MAX_PROOF);
    for (k = 0; k < *nh; k++) {
        if (ledger_cbor_get_bytes(r, &p, &n, &e2) || n != LEDGER_TREE_HASH_LEN)
            return ledger__bundle_damaged(v, "a proof hash is not 32 bytes", NULL);
        memcpy(h[k], p, LEDGER_TREE_HASH_LEN);
    }
    return 0;
}

int ledger__bundle_verify_proof(ledger__bv_t *v, ledger_cbor_reader_t *r, const uint8_t *feed,
                                const char *label)
{
    ledger_checkpoint_t cp;
    ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], leaf;
    json_t *note = NULL, *f, *witnesses = json_array();
    size_t nsteps, nh, i, disclosed = 0, story_from = v->nsteps;
    uint64_t prev = 0, first = 0;
    ledger_err_t e2;
    char hex[65];
    int rc;

    if (!witnesses) {
        rc = ledger_err_set(v->err, LEDGER_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = read_checkpoint(v, r, feed, label, &note, &cp, witnesses)))
        goto done;
    if (ledger_cbor_get_array(r, &nsteps, &e2) || !nsteps) {
        rc = ledger__bundle_damaged(v, "a feed's step list is missing or empty", NULL);
        goto done;
    }
    for (i = 0; i < nsteps; i++) {
        ledger_entry_t e;
        if ((rc = read_step(v, r, i, label, &e, hashes, &nh)))
            goto done;
        if (ledger__bundle_feed_cmp(e.h.feed, feed)) {
            rc = ledger_err_set(v->err, LEDGER_EVERIFY,
                                "%s seq %llu: the entry belongs to feed %.8s, not to this feed",
                                label, (unsigned long long)e.h.seq,
                                ledger_hex(e.h.feed, LEDGER_FEED_LEN, hex));
            goto done;
        }
        if (i && e.h.seq <= prev) {
            rc = ledger_err_set(v->err, LEDGER_EVERIFY,
                                "step reordered: %s: seq %llu comes after seq %llu", label,
                                (unsigned long long)e.h.seq, (unsigned long long)prev);
            goto done;
        }
        if (e.h.seq == 0 || e.h.seq > cp.size) {
            rc = ledger_err_set(v->err, LEDGER_EVERIFY,
                                "%s seq %llu: not in the checkpoint, whose tree has %llu entries",
                                label, (unsigned long long)e.h.seq, (unsigned long long)cp.size);
            goto done;
        }
        if (ledger_entry_check_sig(&e, NULL)) {
            rc = ledger_err_set(v->err, LEDGER_EVERIFY,
                                "%s seq %llu: entry signature does not verify", label,
                                (unsigned long long)e.h.seq);
            goto done;
        }
        ledger_tree_leaf_hash(e.hbytes, e.hlen, leaf);
        if (ledger_tree_verify_inclusion(leaf, e.h.seq - 1, cp.size, (const ledger_tree_hash_t *)hashes,
                                         nh, cp.root, &e2)) {
            rc = ledger_err_set(v->err, LEDGER_EVERIFY,
                                "%s seq %llu: not proven in the feed's signed log of %llu entries: "
                                "%s",
                                label, (unsigned long long)e.h.seq, (unsigned long long)cp.size,
                                e2.msg);
            goto done;
        }
        if ((rc = ledger__bundle_step(v, &e, feed, label)))
            goto done;
        disclosed += e.payload != NULL;
        if (!i)
            first = e.h.seq;
        prev = e.h.seq;
    }
    ledger__bundle_place_sealed(v, story_from);
    f = ledger__bundle_feed_story(v, feed, "tree", first, prev, nsteps, nsteps, disclosed,
                                  nsteps - disclosed, &rc);
    if (rc)
        goto done;
    if (f) {
        json_object_set_new(f, "treeSize", json_integer((json_int_t)cp.size));
        json_object_set_new(f, "rootHash", json_string(ledger_hex(cp.root, 32, hex)));
        json_object_set(f, "checkpoint", note);
        if (v->version >= 3)
            json_object_set(f, "witnesses", witnesses);
    }
    rc = 0;
done:
    json_decref(witnesses);
    json_decref(note);
    return rc;
}
