/* ledger_bundle_verify.c -- ledger_bundle_verify (ledger_bundle.h): a
 * bundle checked from its bytes alone.
 *
 * One strict pass over the bytes (ledger_cbor readers: canonical forms
 * only, no trailing bytes): the file, the statement and partners, then feed
 * by feed in the form the feed item has (ledger_bundle_chain.c,
 * ledger_bundle_proof.c); every check that fails names its claim. The
 * creator's signature is checked last so that a bundle changed after
 * signing still gets the precise message of the entry claim that broke (a
 * bundle re-signed by whoever changed it gets the same). Versions 1 and 2
 * are read; each has its own signature context, so a body cannot be passed
 * off under the other version. No allocation is proportional to anything
 * but the input.
 */
#include "ledger__bundle.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

static int get_text(ledger_cbor_reader_t *r, json_t **out, ledger_err_t *e2)
{
    int rc = ledger_cbor_get_json(r, out, e2);
    if (rc)
        return rc;
    if (!json_is_string(*out)) {
        json_decref(*out);
        *out = NULL;
        return ledger_err_set(e2, LEDGER_EINPUT, "expected a text string");
    }
    return 0;
}

static void mark_disputes(json_t *steps)
{
    size_t i, j;
    json_t *d, *s;
    json_array_foreach(steps, i, d)
    {
        const char *id = json_string_value(json_object_get(d, "eventID"));
        const char *feed = json_string_value(json_object_get(d, "feed"));
        int dispute = 0;
        if (!json_is_true(json_object_get(d, "errorDeclaration")) || !id || !feed)
            continue;
        json_array_foreach(steps, j, s)
        {
            const char *sid = json_string_value(json_object_get(s, "eventID"));
            const char *sfeed = json_string_value(json_object_get(s, "feed"));
            if (json_is_true(json_object_get(s, "errorDeclaration")) || !sid || !sfeed ||
                strcmp(sid, id) != 0)
                continue;
            if (strcmp(sfeed, feed) == 0) {
                dispute = 0; /* the event's own feed declares it: a correction */
                break;
            }
            dispute = 1;
            json_object_set_new(d, "declaredFeed", json_string(sfeed));
            json_object_set(d, "declaredName", json_object_get(s, "name"));
        }
        json_object_set_new(d, "disputes", json_boolean(dispute));
    }
}

static int vstep_cmp(const void *a, const void *b)
{
    const ledger__bvstep_t *x = a, *y = b;
    int c;
    if (x->when != y->when)
        return x->when < y->when ? -1 : 1;
    if ((c = ledger__bundle_feed_cmp(x->feed, y->feed)))
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Version 3's statements: [entry, ...], each a signed entry of payload
 * type 4 (sealed not allowed) whose statement decodes and checks against
 * its feed, in strictly ascending (feed, seq) order. */
static int verify_statements(ledger__bv_t *v, ledger_cbor_reader_t *r)
{
    size_t n, i, len;
    const uint8_t *p;
    uint8_t pfeed[LEDGER_FEED_LEN];
    uint64_t pseq = 0;
    ledger_err_t e2;
    char hex[65];
    if (ledger_cbor_get_array(r, &n, &e2))
        return ledger__bundle_damaged(v, "the statements are not an array", &e2);
    for (i = 0; i < n; i++) {
        ledger_entry_t e;
        ledger_stmt_t st;
        if (ledger_cbor_get_bytes(r, &p, &len, &e2))
            return ledger__bundle_damaged(v, "a statement is not a byte string", &e2);
        if (ledger_entry_decode(p, len, &e, &e2))
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "statement %zu: not a well-formed entry: %s", i + 1, e2.msg);
        ledger_hex(e.h.feed, 4, hex);
        if (i && (ledger__bundle_feed_cmp(pfeed, e.h.feed) > 0 ||
                  (!ledger__bundle_feed_cmp(pfeed, e.h.feed) && e.h.seq <= pseq)))
            return ledger__bundle_damaged(v, "statements are not in ascending (feed, seq) order",
                                          NULL);
        memcpy(pfeed, e.h.feed, LEDGER_FEED_LEN);
        pseq = e.h.seq;
        if (ledger_entry_check_sig(&e, &e2) || ledger_entry_check_payload(&e, &e2) ||
            ledger_stmt_from_entry(&e, &st, &e2))
            return ledger_err_set(v->err, LEDGER_EVERIFY, "statement %zu (feed %s seq %llu): %s",
                                  i + 1, hex, (unsigned long long)e.h.seq, e2.msg);
        if (ledger_stmts_add_entry(&v->stmts, p, len) != 1)
            return ledger_err_set(v->err, LEDGER_ENOMEM, "out of memory");
    }
    return 0;
}

/* Version 3's story: who each partner says it is, who endorses it. */
static void trust_story(ledger__bv_t *v)
{
    json_t *parts = json_object_get(v->story, "partners"), *arr = json_array();
    for (size_t i = 0; i < v->nparts; i++) {
        json_t *o = ledger_stmts_feed_json(&v->stmts, v->parts[i].feed);
        if (o) {
            json_object_update(json_array_get(parts, i), o);
            json_decref(o);
        }
    }
    json_t *f;
    size_t k;
    json_array_foreach(json_object_get(v->story, "feeds"), k, f)
    {
        uint8_t feed[LEDGER_FEED_LEN];
        json_t *o;
        if (ledger_unhex(json_string_value(json_object_get(f, "feed")), feed, LEDGER_FEED_LEN) ||
            !(o = ledger_stmts_feed_json(&v->stmts, feed)))
            continue;
        json_object_update(f, o);
        json_decref(o);
    }
    for (size_t i = 0; arr && i < v->stmts.n; i++)
        json_array_append_new(arr, ledger_stmt_rec_json(&v->stmts.v[i]));
    json_object_set_new(v->story, "statements", arr ? arr : json_array());
}

/* One feed item: [feed, steps, entries] (version 1), or [feed, form, ...]
 * (version 2: form 1 chain, form 2 proof). */
static int verify_feed(ledger__bv_t *v, ledger_cbor_reader_t *r, const uint8_t *prev_feed,
                       const uint8_t **feed_out)
{
    const uint8_t *feed;
    size_t n, want = v->version == 1 ? 3 : 4;
    uint64_t form = LEDGER__BUNDLE_CHAIN;
    ledger_err_t e2;
    char label[300];

    if (ledger_cbor_get_array(r, &n, &e2) || n != want)
        return ledger__bundle_damaged(v, v->version == 1 ? "a feed item is not an array of 3"
                                                         : "a feed item is not an array of 4",
                                      n != want ? NULL : &e2);
    if (ledger_cbor_get_bytes(r, &feed, &n, &e2) || n != LEDGER_FEED_LEN)
        return ledger__bundle_damaged(v, "a feed ID is not 32 bytes", NULL);
    *feed_out = feed;
    ledger__bundle_flabel(v, feed, label, sizeof label);
    if (prev_feed && ledger__bundle_feed_cmp(prev_feed, feed) >= 0)
        return ledger__bundle_damaged(v, "feeds are not in ascending order of feed ID", NULL);
    if (!ledger__bundle_pname(v, feed))
        return ledger_err_set(v->err, LEDGER_EVERIFY, "%s is not among the partners", label);
    if (v->version > 1 && ledger_cbor_get_uint(r, &form, &e2))
        return ledger__bundle_damaged(v, "a feed item's form is not a number", &e2);
    if (form == LEDGER__BUNDLE_CHAIN)
        return ledger__bundle_verify_chain(v, r, feed, label);
    if (form == LEDGER__BUNDLE_PROOF)
        return ledger__bundle_verify_proof(v, r, feed, label);
    return ledger__bundle_damaged(v, "a feed item's form is neither 1 (chain) nor 2 (proof)", NULL);
}

int ledger_bundle_verify(const uint8_t *p, size_t n, json_t **story, ledger_err_t *err)
{
    ledger__bv_t v = {0};
    ledger_cbor_reader_t r, b;
    ledger_err_t e2;
    const uint8_t *body, *sig, *creator, *prev_feed = NULL;
    size_t blen, slen, cnt, np, nf, i;
    uint64_t version, created;
    json_t *subject = NULL, *magic = NULL;
    char label[300], hex[65], iso[64];
    unsigned char *msg = NULL;
    const char *context;
    int rc;

    v.err = err;
    if (story)
        *story = NULL;
    ledger_cbor_reader_init(&r, p, n);
    if (ledger_cbor_get_array(&r, &cnt, &e2) || cnt != 4 || get_text(&r, &magic, &e2) ||
        strcmp(json_string_value(magic), LEDGER_BUNDLE_MAGIC)) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "not a keten bundle (it does not start with "
                            "the array [\"keten-bundle\", version, ...])");
        goto fail;
    }
    if (ledger_cbor_get_uint(&r, &version, &e2)) {
        rc = ledger__bundle_damaged(&v, "the version is not a number", &e2);
        goto fail;
    }
    if (version != 1 && version != LEDGER_BUNDLE_VERSION && version != LEDGER_BUNDLE_VERSION_TRUST) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "bundle version %llu is not supported (this keten reads versions 1 "
                            "to %d)",
                            (unsigned long long)version, LEDGER_BUNDLE_VERSION_TRUST);
        goto fail;
    }
    v.version = (unsigned)version;
    context = version == 1   ? LEDGER_BUNDLE_SIG_CONTEXT_V1
              : version == 2 ? LEDGER_BUNDLE_SIG_CONTEXT
                             : LEDGER_BUNDLE_SIG_CONTEXT_V3;
    if (!(v.story = json_pack("{s:i, s:[], s:[], s:[]}", "bundle", (int)version, "partners",
                              "feeds", "steps"))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    if (ledger_cbor_get_bytes(&r, &body, &blen, &e2) ||
        ledger_cbor_get_bytes(&r, &sig, &slen, &e2) || slen != LEDGER_SIG_LEN) {
        rc = ledger__bundle_damaged(&v, "truncated, or the body or signature is missing", NULL);
        goto fail;
    }
    if (r.off != n) {
        rc = ledger__bundle_damaged(&v, "bytes after the end of the bundle", NULL);
        goto fail;
    }
    ledger_cbor_reader_init(&b, body, blen);
    if (ledger_cbor_get_array(&b, &cnt, &e2) || cnt != (version >= 3 ? 6u : 5u) ||
        get_text(&b, &subject, &e2) ||
        ledger_cbor_get_uint(&b, &created, &e2) ||
        ledger_cbor_get_bytes(&b, &creator, &slen, &e2) || slen != LEDGER_FEED_LEN ||
        ledger_cbor_get_array(&b, &np, &e2)) {
        rc = ledger__bundle_damaged(&v, "the statement (subject, created, creator, partners) is malformed", NULL);
        goto fail;
    }
    if (np > blen || !(v.parts = calloc(np ? np : 1, sizeof *v.parts))) {
        rc = ledger__bundle_damaged(&v, "too many partners", NULL);
        goto fail;
    }
    for (i = 0; i < np; i++) {
        if (ledger_cbor_get_array(&b, &cnt, &e2) || cnt != 2 ||
            ledger_cbor_get_bytes(&b, &v.parts[i].feed, &slen, &e2) || slen != LEDGER_FEED_LEN ||
            get_text(&b, &v.parts[i].name, &e2)) {
            rc = ledger__bundle_damaged(&v, "a partner is not [feed ID, name]", NULL);
            goto fail;
        }
        v.nparts = i + 1;
        if (i && ledger__bundle_feed_cmp(v.parts[i - 1].feed, v.parts[i].feed) >= 0) {
            rc = ledger__bundle_damaged(&v, "partners are not in ascending order of feed ID", NULL);
            goto fail;
        }
        json_array_append_new(json_object_get(v.story, "partners"),
                              json_pack("{s:s, s:O}", "feed",
                                        ledger_hex(v.parts[i].feed, LEDGER_FEED_LEN, hex), "name",
                                        v.parts[i].name));
    }
    if (!ledger__bundle_pname(&v, creator)) {
        rc = ledger_err_set(err, LEDGER_EVERIFY, "the creator %s is not among the partners",
                            ledger_hex(creator, LEDGER_FEED_LEN, hex));
        goto fail;
    }
    if (ledger_cbor_get_array(&b, &nf, &e2) || !nf) {
        rc = ledger__bundle_damaged(&v, "the feed list is missing or empty", NULL);
        goto fail;
    }
    for (i = 0; i < nf; i++) {
        const uint8_t *f = NULL;
        if ((rc = verify_feed(&v, &b, prev_feed, &f)))
            goto fail;
        prev_feed = f;
    }
    if (version >= 3 && (rc = verify_statements(&v, &b)))
        goto fail;
    if (b.off != blen) {
        rc = ledger__bundle_damaged(&v, "bytes after the end of the body", NULL);
        goto fail;
    }
    /* the creator's signature over the context string and the body */
    if (!(msg = malloc(strlen(context) + blen + 1))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(msg, context, strlen(context));
    memcpy(msg + strlen(context), body, blen);
    if (crypto_sign_verify_detached(sig, msg, strlen(context) + blen, creator)) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "bundle signature by %s does not verify: the statement, partners or "
                            "selection were changed after it was signed",
                            ledger__bundle_flabel(&v, creator, label, sizeof label));
        goto fail;
    }
    if (story) {
        json_t *steps = json_object_get(v.story, "steps");
        qsort(v.steps, v.nsteps, sizeof *v.steps, vstep_cmp);
        for (i = 0; i < v.nsteps; i++) {
            json_array_append_new(steps, v.steps[i].obj);
            v.steps[i].obj = NULL;
        }
        mark_disputes(steps);
        if (version >= 3)
            trust_story(&v);
        json_object_set(v.story, "subject", subject);
        json_object_set_new(v.story, "createdMs", json_integer((json_int_t)(created & INT64_MAX)));
        ledger__bundle_iso_ms(created, iso, sizeof iso);
        json_object_set_new(v.story, "created", json_string(iso));
        json_object_set_new(v.story, "creator",
                            json_pack("{s:s, s:s}", "feed",
                                      ledger_hex(creator, LEDGER_FEED_LEN, hex), "name",
                                      ledger__bundle_pname(&v, creator)));
        *story = v.story;
        v.story = NULL;
    }
    rc = 0;
fail:
    for (i = 0; i < v.nsteps; i++)
        json_decref(v.steps[i].obj);
    free(v.steps);
    for (i = 0; i < v.nparts; i++)
        json_decref(v.parts[i].name);
    free(v.parts);
    ledger_stmts_free(&v.stmts);
    free(msg);
    json_decref(subject);
    json_decref(magic);
    json_decref(v.story);
    return rc;
}
