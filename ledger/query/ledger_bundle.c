/* ledger_bundle.c -- provenance bundles (ledger_bundle.h): building one from
 * a store, and writing it to a file. The verifier is ledger_bundle_verify.c.
 *
 * Create: the steps are sorted by feed and seq. For each feed, when the
 * store keeps a checkpoint signed by the feed's key whose tree holds the
 * feed's last step, the feed item takes the proof form: that checkpoint
 * exactly as signed, then each step's entry with its inclusion proof in
 * the checkpoint's tree (ledger_store_prove_inclusion). Otherwise (a
 * partner whose keten signs no checkpoints yet, entries of a feed held only
 * from a bundle) it takes the chain form: the entries from the first to the
 * last step, read with ledger_replica_range, every entry between steps
 * re-encoded sealed. ledger_replica_range hands out private and
 * stored-sealed entries sealed already; a step keeps its payload unless
 * sealed by the caller or by LEDGER_BUNDLE_ONLY_OWN. The body is written in
 * deterministic CBOR, signed with the creator's key after the context
 * string, and wrapped with the magic and version.
 */
#include "ledger__bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ledger_note.h"
#include "ledger_replica.h"
#include "ledger_stmts.h"
#include "ledger_tree.h"
#include "ledger_witness.h"

/* ---- create ------------------------------------------------------------ */

static int feed_cmp(const uint8_t *a, const uint8_t *b)
{
    return ledger__bundle_feed_cmp(a, b);
}

static int valid_utf8(const char *s)
{
    json_t *j = json_string(s);
    if (!j)
        return 0;
    json_decref(j);
    return 1;
}

static int step_cmp(const void *a, const void *b)
{
    const ledger_bundle_step_t *x = a, *y = b;
    int c = feed_cmp(x->feed, y->feed);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int partner_cmp(const void *a, const void *b)
{
    return feed_cmp(((const ledger_bundle_partner_t *)a)->feed,
                    ((const ledger_bundle_partner_t *)b)->feed);
}

typedef struct run_ctx {
    ledger_buf_t *out;
    ledger_buf_t tmp;
    const ledger_bundle_step_t *steps; /* this feed's steps */
    size_t nsteps, at;
    int seal_all;
    uint64_t expect; /* next seq */
    int rc;
    ledger_err_t *err;
} run_ctx_t;

static int run_cb(const uint8_t *bytes, size_t len, uint64_t seq, void *vctx)
{
    run_ctx_t *c = vctx;
    ledger_entry_t e;
    int disclose = 0, rc;
    if (seq != c->expect) {
        c->rc = ledger_err_set(c->err, LEDGER_EIO, "store handed out seq %llu for seq %llu",
                               (unsigned long long)seq, (unsigned long long)c->expect);
        return c->rc;
    }
    c->expect++;
    if (c->at < c->nsteps && c->steps[c->at].seq == seq) {
        disclose = !c->steps[c->at].seal && !c->seal_all;
        c->at++;
    }
    if ((rc = ledger_entry_decode(bytes, len, &e, c->err)))
        return c->rc = rc;
    if (disclose && e.payload)
        return c->rc = ledger_cbor_put_bytes(c->out, bytes, len);
    ledger_buf_reset(&c->tmp);
    if ((rc = ledger_entry_encode(e.hbytes, e.hlen, e.sig, NULL, 0, &c->tmp)) ||
        (rc = ledger_cbor_put_bytes(c->out, c->tmp.data, c->tmp.len)))
        return c->rc = rc;
    return 0;
}

/* One step's entry bytes (sealed unless disclosed) as a CBOR byte string. */
static int put_entry(ledger_store_t *st, const ledger_bundle_step_t *step, int seal_all,
                     ledger_buf_t *out, ledger_err_t *err)
{
    run_ctx_t c = {0};
    uint64_t next = 0;
    char hex[65];
    int rc;
    c.out = out;
    c.err = err;
    c.steps = step;
    c.nsteps = 1;
    c.seal_all = seal_all;
    c.expect = step->seq;
    rc = ledger_replica_range(st, step->feed, step->seq, step->seq, 0, 0, 0, run_cb, &c, &next,
                              err);
    if (rc == LEDGER_ENOTFOUND || (!rc && c.expect != step->seq + 1))
        rc = ledger_err_set(err, LEDGER_ENOTFOUND, "feed %s seq %llu is not in this store",
                            ledger_hex(step->feed, LEDGER_FEED_LEN, hex),
                            (unsigned long long)step->seq);
    ledger_buf_free(&c.tmp);
    return rc;
}

/* The chain form of one feed's steps[0..n): [feed, 1, steps, entries]. */
static int put_chain(ledger_store_t *st, const ledger_bundle_step_t *steps, size_t n,
                     int seal_all, ledger_buf_t *body, ledger_err_t *err)
{
    run_ctx_t c = {0};
    uint64_t from = steps[0].seq, to = steps[n - 1].seq, next = 0;
    char hex[65];
    int rc;
    if (ledger_cbor_put_array(body, 4) || ledger_cbor_put_bytes(body, steps[0].feed, LEDGER_FEED_LEN) ||
        ledger_cbor_put_uint(body, LEDGER__BUNDLE_CHAIN) || ledger_cbor_put_array(body, n))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
    for (size_t k = 0; k < n; k++)
        if (ledger_cbor_put_uint(body, steps[k].seq))
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
    if (to - from + 1 > SIZE_MAX / 2 || ledger_cbor_put_array(body, (size_t)(to - from + 1)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
    c.out = body;
    c.err = err;
    c.steps = steps;
    c.nsteps = n;
    c.seal_all = seal_all;
    c.expect = from;
    rc = ledger_replica_range(st, steps[0].feed, from, to, 0, 0, 0, run_cb, &c, &next, err);
    if (rc == LEDGER_ENOTFOUND || (!rc && c.expect != to + 1))
        rc = ledger_err_set(err, LEDGER_ENOTFOUND, "feed %s seq %llu is not in this store",
                            ledger_hex(steps[0].feed, LEDGER_FEED_LEN, hex),
                            (unsigned long long)(rc ? from : c.expect));
    ledger_buf_free(&c.tmp);
    return rc;
}

/* The note with each signer's line once (the first): a checkpoint kept
 * by a keten before ledger__checkpoint_keep kept the own line only may
 * hold a line of a key twice (a forged or stale one among them). */
typedef struct dedup {
    ledger_buf_t *out;
    char names[LEDGER_NOTE_MAX_SIGS][LEDGER_NOTE_NAME_MAX + 1];
    size_t n, dropped;
} dedup_t;

static int dedup_line(const ledger_note_sig_t *sig, void *ctx, ledger_err_t *err)
{
    dedup_t *d = ctx;
    (void)err;
    for (size_t i = 0; i < d->n; i++)
        if (strlen(d->names[i]) == sig->name_len && !memcmp(d->names[i], sig->name, sig->name_len)) {
            d->dropped++;
            return 0;
        }
    if (d->n == LEDGER_NOTE_MAX_SIGS)
        return 0;
    snprintf(d->names[d->n++], sizeof d->names[0], "%.*s", (int)sig->name_len, sig->name);
    return ledger_buf_append(d->out, sig->line, sig->line_len) ? LEDGER_ENOMEM : 0;
}

static int dedup_note(ledger_buf_t *note, size_t *nsigs, ledger_err_t *err)
{
    ledger_buf_t out = LEDGER_BUF_INIT;
    dedup_t *d = calloc(1, sizeof *d);
    size_t tl;
    int rc;
    if (!d)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
    d->out = &out;
    if ((rc = ledger_note_sigs((const char *)note->data, note->len, &tl, NULL, NULL, err)) ||
        (rc = ledger_buf_append(&out, note->data, tl + 1) ? LEDGER_ENOMEM : 0) ||
        (rc = ledger_note_sigs((const char *)note->data, note->len, &tl, dedup_line, d, err)))
        goto done;
    *nsigs = d->n ? d->n - 1 : 0; /* every line but the feed's own */
    ledger_buf_reset(note);
    rc = ledger_buf_append(note, out.data, out.len) ? LEDGER_ENOMEM : 0;
done:
    if (rc == LEDGER_ENOMEM)
        ledger_err_set(err, rc, "out of memory building the bundle");
    ledger_buf_free(&out);
    free(d);
    return rc;
}

/* The proof form of one feed's steps[0..n): [feed, 2, checkpoint, [[entry,
 * [hash...]]...]] appended to body. 1 (body untouched) when the store
 * keeps no checkpoint of the feed that holds its last step, or no tree. */
static int put_proof(ledger_store_t *st, const ledger_bundle_step_t *steps, size_t n,
                     int seal_all, size_t *cosigs, ledger_buf_t *body, ledger_err_t *err)
{
    ledger_buf_t note = LEDGER_BUF_INIT, item = LEDGER_BUF_INIT;
    ledger_tree_hash_t leaf, *hashes = NULL;
    const uint8_t *feed = steps[0].feed;
    uint64_t size;
    size_t nh, k, h;
    size_t nsigs = 0;
    /* with cosigs (version 3): the checkpoint with the cosignatures held */
    int rc = cosigs ? ledger_store_cosigned(st, feed, &note, &nsigs, err)
                    : ledger_store_checkpoint(st, feed, &note, err);

    if (rc == LEDGER_ENOTFOUND) {
        rc = 1;
        goto done;
    }
    if (!rc && cosigs)
        rc = dedup_note(&note, &nsigs, err);
    if (rc)
        goto done;
    size = ledger_checkpoint_size_of(feed, (const char *)note.data, note.len);
    if (size < steps[n - 1].seq) {
        rc = 1;
        goto done;
    }
    if (!(hashes = malloc(LEDGER_TREE_MAX_PROOF * sizeof *hashes)) ||
        ledger_cbor_put_array(&item, 4) || ledger_cbor_put_bytes(&item, feed, LEDGER_FEED_LEN) ||
        ledger_cbor_put_uint(&item, LEDGER__BUNDLE_PROOF) ||
        ledger_cbor_put_text(&item, (const char *)note.data, note.len) ||
        ledger_cbor_put_array(&item, n))
        goto nomem;
    for (k = 0; k < n; k++) {
        uint64_t sz = size;
        rc = ledger_store_prove_inclusion(st, feed, steps[k].seq, &sz, leaf, hashes, &nh, err);
        if (rc == LEDGER_ENOTFOUND) {
            rc = 1; /* entries held without the feed's tree */
            goto done;
        }
        if (rc)
            goto done;
        if (ledger_cbor_put_array(&item, 2))
            goto nomem;
        if ((rc = put_entry(st, &steps[k], seal_all, &item, err)))
            goto done;
        if (ledger_cbor_put_array(&item, nh))
            goto nomem;
        for (h = 0; h < nh; h++)
            if (ledger_cbor_put_bytes(&item, hashes[h], LEDGER_TREE_HASH_LEN))
                goto nomem;
    }
    rc = ledger_buf_append(body, item.data, item.len) ? LEDGER_ENOMEM : 0;
    if (rc)
        goto nomem;
    if (cosigs)
        *cosigs += nsigs;
    goto done;
nomem:
    rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
done:
    free(hashes);
    ledger_buf_free(&note);
    ledger_buf_free(&item);
    return rc;
}

/* The feed items of steps[0..n) (sorted, nfeeds feeds): [item, ...]
 * appended to out, each in the proof form when it can be, else the chain
 * form; with cosigs (version 3) proof-form checkpoints carry their
 * cosignatures, counted in *cosigs. */
static int put_feeds(ledger_store_t *st, const ledger_bundle_step_t *steps, size_t n,
                     size_t nfeeds, const uint8_t *self, unsigned flags, size_t *cosigs,
                     ledger_buf_t *out, ledger_err_t *err)
{
    size_t i, j;
    int rc;
    if (ledger_cbor_put_array(out, nfeeds))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
    for (i = 0; i < n; i = j) {
        int seal_all;
        for (j = i; j < n && !feed_cmp(steps[j].feed, steps[i].feed); j++)
            ;
        seal_all = (flags & LEDGER_BUNDLE_ONLY_OWN) && feed_cmp(steps[i].feed, self);
        rc = put_proof(st, &steps[i], j - i, seal_all, cosigs, out, err);
        if (rc == 1)
            rc = put_chain(st, &steps[i], j - i, seal_all, out, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int is_partner(const ledger_bundle_partner_t *parts, size_t np, const uint8_t *feed)
{
    for (size_t i = 0; i < np; i++)
        if (!feed_cmp(parts[i].feed, feed))
            return 1;
    return 0;
}

static int rec_cmp(const void *a, const void *b)
{
    const ledger_stmt_rec_t *const *x = a, *const *y = b;
    int c = feed_cmp((*x)->author, (*y)->author);
    return c ? c : (*x)->seq < (*y)->seq ? -1 : (*x)->seq > (*y)->seq;
}

/* Version 3's statements: [entry...] of the partners' identities, the
 * endorsements of partners, and the identities of those endorsers, in
 * (feed, seq) order, appended to out; *count gets how many. */
static int put_statements(ledger_store_t *st, const ledger_bundle_partner_t *parts, size_t np,
                          ledger_buf_t *out, size_t *count, ledger_err_t *err)
{
    ledger_stmts_t all;
    const ledger_stmt_rec_t **pick = NULL;
    size_t n = 0, i;
    int rc;
    if ((rc = ledger_stmts_load(st, &all, err)))
        return rc;
    if (all.n && !(pick = calloc(all.n, sizeof *pick))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
        goto done;
    }
    for (i = 0; i < all.n; i++) {
        const ledger_stmt_rec_t *r = &all.v[i];
        int want = r->s.kind == LEDGER_STMT_IDENTITY ? is_partner(parts, np, r->author)
                                                     : is_partner(parts, np, r->s.subject);
        if (!want && r->s.kind == LEDGER_STMT_IDENTITY) /* an endorser of a partner? */
            for (size_t j = 0; j < all.n && !want; j++)
                want = all.v[j].s.kind == LEDGER_STMT_ENDORSEMENT &&
                       !feed_cmp(all.v[j].author, r->author) &&
                       is_partner(parts, np, all.v[j].s.subject);
        if (want)
            pick[n++] = r;
    }
    if (n > 1) /* pick is NULL when the store holds no statements */
        qsort(pick, n, sizeof *pick, rec_cmp);
    if (ledger_cbor_put_array(out, n)) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
        goto done;
    }
    for (i = 0; i < n; i++)
        if (ledger_cbor_put_bytes(out, pick[i]->entry, pick[i]->entry_len)) {
            rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
            goto done;
        }
    *count = n;
done:
    free(pick);
    ledger_stmts_free(&all);
    return rc;
}

int ledger_bundle_create(ledger_store_t *st, const ledger_identity_t *creator,
                         const ledger_bundle_spec_t *spec, ledger_buf_t *out, ledger_err_t *err)
{
    ledger_bundle_step_t *steps = NULL;
    ledger_bundle_partner_t *parts = NULL;
    ledger_buf_t body = LEDGER_BUF_INIT, msg = LEDGER_BUF_INIT, feeds = LEDGER_BUF_INIT,
                 stmts = LEDGER_BUF_INIT;
    const uint8_t *self = ledger_identity_public(creator);
    size_t n = 0, np = 0, nfeeds = 0, i, j, cosigs = 0, nstmts = 0;
    unsigned version;
    const char *context;
    int trust;
    uint8_t sig[LEDGER_SIG_LEN];
    char hex[65];
    int rc = LEDGER_ENOMEM;

    if (!spec || !spec->subject || !*spec->subject || !spec->nsteps || !spec->steps)
        return ledger_err_set(err, LEDGER_EINVAL, "a bundle needs a subject and at least one step");
    if (!valid_utf8(spec->subject))
        return ledger_err_set(err, LEDGER_EINVAL, "the subject is not valid UTF-8");
    if (!(steps = malloc(spec->nsteps * sizeof *steps)) ||
        !(parts = calloc(spec->nsteps + 1, sizeof *parts)))
        goto nomem;
    /* steps: sorted, merged (sealed when any duplicate says so) */
    memcpy(steps, spec->steps, spec->nsteps * sizeof *steps);
    qsort(steps, spec->nsteps, sizeof *steps, step_cmp);
    for (i = 0; i < spec->nsteps; i++) {
        if (steps[i].seq == 0) {
            rc = ledger_err_set(err, LEDGER_EINVAL, "step %zu: seq 0 does not exist", i);
            goto fail;
        }
        if (n && !step_cmp(&steps[n - 1], &steps[i])) {
            steps[n - 1].seal |= steps[i].seal;
            continue;
        }
        steps[n++] = steps[i];
    }
    /* partners: every feed with a step, and the creator */
    for (i = 0; i < n; i++)
        if (!np || feed_cmp(parts[np - 1].feed, steps[i].feed))
            memcpy(parts[np++].feed, steps[i].feed, LEDGER_FEED_LEN);
    nfeeds = np;
    for (i = 0; i < np && feed_cmp(parts[i].feed, self); i++)
        ;
    if (i == np)
        memcpy(parts[np++].feed, self, LEDGER_FEED_LEN);
    qsort(parts, np, sizeof *parts, partner_cmp);
    for (i = 0; i < np; i++) {
        parts[i].name = "";
        for (j = 0; j < spec->npartners; j++)
            if (!feed_cmp(spec->partners[j].feed, parts[i].feed) && spec->partners[j].name)
                parts[i].name = spec->partners[j].name;
        if (!valid_utf8(parts[i].name)) {
            rc = ledger_err_set(err, LEDGER_EINVAL, "the name of partner %s is not valid UTF-8",
                                ledger_hex(parts[i].feed, LEDGER_FEED_LEN, hex));
            goto fail;
        }
    }

    /* the feed items first: whether there is anything of version 3 to
     * carry is known after them */
    trust = (spec->flags & LEDGER_BUNDLE_TRUST) != 0;
    if ((rc = put_feeds(st, steps, n, nfeeds, self, spec->flags, trust ? &cosigs : NULL, &feeds,
                        err)))
        goto fail;
    if (trust && (rc = put_statements(st, parts, np, &stmts, &nstmts, err)))
        goto fail;
    version = trust && (cosigs || nstmts) ? LEDGER_BUNDLE_VERSION_TRUST : LEDGER_BUNDLE_VERSION;
    if (version == LEDGER_BUNDLE_VERSION && trust) { /* nothing to carry: version 2's bytes */
        ledger_buf_reset(&feeds);
        if ((rc = put_feeds(st, steps, n, nfeeds, self, spec->flags, NULL, &feeds, err)))
            goto fail;
    }
    if (ledger_cbor_put_array(&body, version == LEDGER_BUNDLE_VERSION ? 5 : 6) ||
        ledger_cbor_put_text(&body, spec->subject, strlen(spec->subject)) ||
        ledger_cbor_put_uint(&body, spec->created_ms) ||
        ledger_cbor_put_bytes(&body, self, LEDGER_FEED_LEN) || ledger_cbor_put_array(&body, np))
        goto nomem;
    for (i = 0; i < np; i++)
        if (ledger_cbor_put_array(&body, 2) ||
            ledger_cbor_put_bytes(&body, parts[i].feed, LEDGER_FEED_LEN) ||
            ledger_cbor_put_text(&body, parts[i].name, strlen(parts[i].name)))
            goto nomem;
    if (ledger_buf_append(&body, feeds.data, feeds.len) ||
        (version != LEDGER_BUNDLE_VERSION && ledger_buf_append(&body, stmts.data, stmts.len)))
        goto nomem;
    context = version == LEDGER_BUNDLE_VERSION ? LEDGER_BUNDLE_SIG_CONTEXT
                                               : LEDGER_BUNDLE_SIG_CONTEXT_V3;
    if (ledger_buf_append(&msg, context, strlen(context)) ||
        ledger_buf_append(&msg, body.data, body.len))
        goto nomem;
    ledger_identity_sign(creator, msg.data, msg.len, sig);
    if (ledger_cbor_put_array(out, 4) ||
        ledger_cbor_put_text(out, LEDGER_BUNDLE_MAGIC, strlen(LEDGER_BUNDLE_MAGIC)) ||
        ledger_cbor_put_uint(out, version) || ledger_cbor_put_bytes(out, body.data, body.len) ||
        ledger_cbor_put_bytes(out, sig, sizeof sig))
        goto nomem;
    rc = 0;
    goto done;
nomem:
    rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
fail:
done:
    ledger_buf_free(&body);
    ledger_buf_free(&msg);
    ledger_buf_free(&feeds);
    ledger_buf_free(&stmts);
    free(steps);
    free(parts);
    return rc;
}

int ledger_bundle_save(const char *path, const uint8_t *p, size_t n, ledger_err_t *err)
{
    size_t plen = strlen(path) + 16;
    char *tmp = malloc(plen);
    int fd = -1, rc = 0;
    size_t off = 0;
    if (!tmp)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    snprintf(tmp, plen, "%s.tmp%ld", path, (long)getpid() % 100000);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644)) < 0) {
        rc = ledger_err_set(err, LEDGER_EIO, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    while (off < n) {
        ssize_t w = write(fd, p + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = ledger_err_set(err, LEDGER_EIO, "%s: %s", tmp, strerror(errno));
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd) || close(fd)) {
        fd = -1;
        rc = ledger_err_set(err, LEDGER_EIO, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path)) {
        rc = ledger_err_set(err, LEDGER_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    free(tmp);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return rc;
}
