/* ledger_bundle.c -- provenance bundles (ledger_bundle.h): building one from
 * a store, and verifying one from its bytes alone.
 *
 * Create: the steps are sorted by feed and seq; for each feed, the entries
 * from its first to its last step are read with ledger_replica_range (which
 * already hands out private and stored-sealed entries sealed); a step keeps
 * its payload unless sealed by the caller or by LEDGER_BUNDLE_ONLY_OWN, and
 * every other entry is re-encoded sealed. The body is written in
 * deterministic CBOR, signed with the creator's key after the context
 * string, and wrapped with the magic and version.
 *
 * Verify: one strict pass over the bytes (ledger_cbor readers: canonical
 * forms only, no trailing bytes), feed by feed and entry by entry; every
 * check that fails names its claim. The creator's signature is checked last
 * so that a bundle changed after signing still gets the precise message of
 * the entry claim that broke (a bundle re-signed by whoever changed it gets
 * the same). No allocation is proportional to anything but the input.
 */
#include "ledger_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ledger_cbor.h"
#include "ledger_epcis.h"
#include "ledger_evhash.h"
#include "ledger_replica.h"

/* ---- shared helpers ---------------------------------------------------- */

static int feed_cmp(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, LEDGER_FEED_LEN);
}

/* "2025-11-30T08:00:00.000Z" */
static void iso_ms(uint64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char b[32];
    if (!gmtime_r(&t, &tm) || !strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(out, n, "?");
        return;
    }
    snprintf(out, n, "%s.%03uZ", b, (unsigned)(ms % 1000));
}

static int valid_utf8(const char *s)
{
    json_t *j = json_string(s);
    if (!j)
        return 0;
    json_decref(j);
    return 1;
}

/* ---- create ------------------------------------------------------------ */

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

int ledger_bundle_create(ledger_store_t *st, const ledger_identity_t *creator,
                         const ledger_bundle_spec_t *spec, ledger_buf_t *out, ledger_err_t *err)
{
    ledger_bundle_step_t *steps = NULL;
    ledger_bundle_partner_t *parts = NULL;
    ledger_buf_t body = LEDGER_BUF_INIT, msg = LEDGER_BUF_INIT;
    run_ctx_t rc_ctx = {0};
    const uint8_t *self = ledger_identity_public(creator);
    size_t n = 0, np = 0, nfeeds = 0, i, j;
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

    if (ledger_cbor_put_array(&body, 5) ||
        ledger_cbor_put_text(&body, spec->subject, strlen(spec->subject)) ||
        ledger_cbor_put_uint(&body, spec->created_ms) ||
        ledger_cbor_put_bytes(&body, self, LEDGER_FEED_LEN) || ledger_cbor_put_array(&body, np))
        goto nomem;
    for (i = 0; i < np; i++)
        if (ledger_cbor_put_array(&body, 2) ||
            ledger_cbor_put_bytes(&body, parts[i].feed, LEDGER_FEED_LEN) ||
            ledger_cbor_put_text(&body, parts[i].name, strlen(parts[i].name)))
            goto nomem;
    if (ledger_cbor_put_array(&body, nfeeds))
        goto nomem;
    rc_ctx.out = &body;
    rc_ctx.err = err;
    for (i = 0; i < n; i = j) {
        uint64_t from = steps[i].seq, to, next = 0;
        for (j = i; j < n && !feed_cmp(steps[j].feed, steps[i].feed); j++)
            ;
        to = steps[j - 1].seq;
        if (ledger_cbor_put_array(&body, 3) ||
            ledger_cbor_put_bytes(&body, steps[i].feed, LEDGER_FEED_LEN) ||
            ledger_cbor_put_array(&body, j - i))
            goto nomem;
        for (size_t k = i; k < j; k++)
            if (ledger_cbor_put_uint(&body, steps[k].seq))
                goto nomem;
        if (to - from + 1 > SIZE_MAX / 2 || ledger_cbor_put_array(&body, (size_t)(to - from + 1)))
            goto nomem;
        rc_ctx.steps = &steps[i];
        rc_ctx.nsteps = j - i;
        rc_ctx.at = 0;
        rc_ctx.seal_all = (spec->flags & LEDGER_BUNDLE_ONLY_OWN) && feed_cmp(steps[i].feed, self);
        rc_ctx.expect = from;
        rc_ctx.rc = 0;
        rc =
            ledger_replica_range(st, steps[i].feed, from, to, 0, 0, 0, run_cb, &rc_ctx, &next, err);
        if (rc == LEDGER_ENOTFOUND || (!rc && rc_ctx.expect != to + 1)) {
            rc = ledger_err_set(err, LEDGER_ENOTFOUND, "feed %s seq %llu is not in this store",
                                ledger_hex(steps[i].feed, LEDGER_FEED_LEN, hex),
                                (unsigned long long)(rc ? from : rc_ctx.expect));
            goto fail;
        }
        if (rc)
            goto fail;
    }

    if (ledger_buf_append(&msg, LEDGER_BUNDLE_SIG_CONTEXT, strlen(LEDGER_BUNDLE_SIG_CONTEXT)) ||
        ledger_buf_append(&msg, body.data, body.len))
        goto nomem;
    ledger_identity_sign(creator, msg.data, msg.len, sig);
    if (ledger_cbor_put_array(out, 4) ||
        ledger_cbor_put_text(out, LEDGER_BUNDLE_MAGIC, strlen(LEDGER_BUNDLE_MAGIC)) ||
        ledger_cbor_put_uint(out, LEDGER_BUNDLE_VERSION) ||
        ledger_cbor_put_bytes(out, body.data, body.len) ||
        ledger_cbor_put_bytes(out, sig, sizeof sig))
        goto nomem;
    rc = 0;
    goto done;
nomem:
    rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory building the bundle");
fail:
done:
    ledger_buf_free(&rc_ctx.tmp);
    ledger_buf_free(&body);
    ledger_buf_free(&msg);
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

/* ---- verify ------------------------------------------------------------ */

typedef struct vpartner {
    const uint8_t *feed;
    json_t *name; /* string */
} vpartner_t;

typedef struct vstep {
    int64_t when;
    const uint8_t *feed;
    uint64_t seq;
    json_t *obj;
    int sealed; /* its when is its record time until placed (place_sealed) */
} vstep_t;

typedef struct vctx {
    ledger_err_t *err;
    vpartner_t *parts;
    size_t nparts;
    vstep_t *steps;
    size_t nsteps, cap;
    json_t *story;
} vctx_t;

static const char *pname(const vctx_t *v, const uint8_t *feed)
{
    for (size_t i = 0; i < v->nparts; i++)
        if (!feed_cmp(v->parts[i].feed, feed))
            return json_string_value(v->parts[i].name);
    return NULL;
}

/* "feed 03a107bf (Name)" */
static const char *flabel(const vctx_t *v, const uint8_t *feed, char *out, size_t n)
{
    char hex[65];
    const char *name = pname(v, feed);
    ledger_hex(feed, LEDGER_FEED_LEN, hex);
    if (name && *name)
        snprintf(out, n, "feed %.8s (%s)", hex, name);
    else
        snprintf(out, n, "feed %.8s", hex);
    return out;
}

static int damaged(vctx_t *v, const char *what, const ledger_err_t *e2)
{
    return ledger_err_set(v->err, LEDGER_EVERIFY, "bundle is damaged: %s%s%s", what, e2 ? ": " : "",
                          e2 ? e2->msg : "");
}

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

static int add_step(vctx_t *v, int64_t when, const uint8_t *feed, uint64_t seq, json_t *obj)
{
    if (!obj)
        return LEDGER_ENOMEM;
    if (v->nsteps == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        vstep_t *s = realloc(v->steps, cap * sizeof *s);
        if (!s) {
            json_decref(obj);
            return LEDGER_ENOMEM;
        }
        v->steps = s;
        v->cap = cap;
    }
    v->steps[v->nsteps++] = (vstep_t){when, feed, seq, obj, 0};
    return 0;
}

static int vstep_cmp(const void *a, const void *b)
{
    const vstep_t *x = a, *y = b;
    int c;
    if (x->when != y->when)
        return x->when < y->when ? -1 : 1;
    if ((c = feed_cmp(x->feed, y->feed)))
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void set_str(json_t *o, const char *k, const char *s)
{
    if (s)
        json_object_set_new(o, k, json_string(s));
}

/* Marks each errorDeclaration step with "disputes": true when the event it
 * declares erroneous is a step of another partner's feed in the bundle (in
 * EPCIS only the party that captured an event corrects it: another
 * partner's declaration is a dispute, not a correction), with
 * "declaredFeed" and "declaredName"; "disputes": false otherwise. */
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

/* The story object of a step; the payload (when present) checked already. */
/* feed points into the bundle's bytes (e is a local copy of the header). */
static int step_story(vctx_t *v, const ledger_entry_t *e, const uint8_t *feed, const char *label)
{
    char hex[65], iso[64], evhash[96], fresh[LEDGER_EVHASH_LEN];
    json_t *o = json_object(), *ev = NULL;
    ledger_epcis_info_t info;
    ledger_err_t e2;
    int64_t when = (int64_t)(e->h.record_time_ms & INT64_MAX);
    int rc;
    if (!o)
        return LEDGER_ENOMEM;
    json_object_set_new(o, "feed", json_string(ledger_hex(e->h.feed, LEDGER_FEED_LEN, hex)));
    set_str(o, "name", pname(v, e->h.feed));
    json_object_set_new(o, "seq", json_integer((json_int_t)e->h.seq));
    json_object_set_new(o, "recordTimeMs", json_integer((json_int_t)when));
    iso_ms(e->h.record_time_ms, iso, sizeof iso);
    json_object_set_new(o, "recordTime", json_string(iso));
    json_object_set_new(o, "sealed", json_boolean(e->payload == NULL));
    json_object_set_new(o, "payloadType", json_integer((json_int_t)e->h.ptype));
    json_object_set_new(o, "payloadLength", json_integer((json_int_t)e->h.plen));
    json_object_set_new(o, "payloadHash", json_string(ledger_hex(e->h.phash, 32, hex)));
    if (e->payload) {
        if (e->h.ptype != LEDGER_PT_EVENT) {
            json_decref(o);
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "%s seq %llu: payload type %u is not an event", label,
                                  (unsigned long long)e->h.seq, (unsigned)e->h.ptype);
        }
        if ((rc = ledger_event_payload_decode(e->payload, e->plen, &ev, evhash, sizeof evhash,
                                              &e2))) {
            json_decref(o);
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "%s seq %llu: payload does not decode as an event: %s", label,
                                  (unsigned long long)e->h.seq, e2.msg);
        }
        if ((rc = ledger_evhash_compute(ev, NULL, fresh, &e2)) || strcmp(fresh, evhash)) {
            rc = ledger_err_set(v->err, LEDGER_EVERIFY,
                                "%s seq %llu: event hash %s does not match the event (%s)", label,
                                (unsigned long long)e->h.seq, evhash, rc ? e2.msg : fresh);
            json_decref(ev);
            json_decref(o);
            return rc;
        }
        json_object_set_new(o, "eventHash", json_string(evhash));
        set_str(o, "eventID", json_string_value(json_object_get(ev, "eventID")));
        set_str(o, "type", json_string_value(json_object_get(ev, "type")));
        set_str(o, "eventTime", json_string_value(json_object_get(ev, "eventTime")));
        if (!ledger_epcis_info(ev, &info, NULL)) {
            char w[200];
            when = info.event_time_ms;
            json_object_set_new(o, "eventTimeMs", json_integer((json_int_t)info.event_time_ms));
            set_str(o, "action", info.action);
            if (info.biz_step) {
                ledger_epcis_cbv_short(info.biz_step, w, sizeof w);
                set_str(o, "bizStep", w);
            }
            if (info.disposition) {
                ledger_epcis_cbv_short(info.disposition, w, sizeof w);
                set_str(o, "disposition", w);
            }
            set_str(o, "bizLocation", info.biz_location);
            set_str(o, "readPoint", info.read_point);
            json_object_set_new(o, "errorDeclaration", json_boolean(info.error_declaration));
        }
        json_object_set_new(o, "event", ev);
    }
    if ((rc = add_step(v, when, feed, e->h.seq, o)))
        return ledger_err_set(v->err, rc, "out of memory");
    v->steps[v->nsteps - 1].sealed = e->payload == NULL;
    return 0;
}

/* A sealed step has no event time; record times come from each partner's
 * own clock. So it takes its place in its feed: the time of the disclosed
 * step before it in the same feed (else the one after it), and seq order
 * after that. steps[from..] are one feed's steps in seq order. */
static void place_sealed(vctx_t *v, size_t from)
{
    size_t i, first = v->nsteps;
    int64_t when = 0;
    for (i = from; i < v->nsteps; i++) {
        if (!v->steps[i].sealed) {
            if (first == v->nsteps)
                first = i;
            when = v->steps[i].when;
        } else if (first < v->nsteps) {
            v->steps[i].when = when;
        }
    }
    for (i = from; i < first && first < v->nsteps; i++)
        v->steps[i].when = v->steps[first].when;
}

/* On a seq gap after prev_seq: is the missing seq further on (reordered)? */
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

/* One feed item: [feed, steps, entries]. */
static int verify_feed(vctx_t *v, ledger_cbor_reader_t *r, const uint8_t *prev_feed,
                       const uint8_t **feed_out)
{
    const uint8_t *feed, *p;
    size_t n, nsteps, nent, si = 0, i, disclosed = 0, sealed = 0;
    uint64_t step = 0, prev_seq = 0, last_step = 0, first = 0;
    size_t story_from = v->nsteps;
    uint8_t prev_hash[LEDGER_HASH_LEN];
    ledger_cbor_reader_t sr;
    ledger_err_t e2;
    char label[300], hex[65];
    json_t *f;
    int rc;

    if (ledger_cbor_get_array(r, &n, &e2) || n != 3)
        return damaged(v, "a feed item is not an array of 3", n != 3 ? NULL : &e2);
    if (ledger_cbor_get_bytes(r, &feed, &n, &e2) || n != LEDGER_FEED_LEN)
        return damaged(v, "a feed ID is not 32 bytes", NULL);
    *feed_out = feed;
    flabel(v, feed, label, sizeof label);
    if (prev_feed && feed_cmp(prev_feed, feed) >= 0)
        return damaged(v, "feeds are not in ascending order of feed ID", NULL);
    if (!pname(v, feed))
        return ledger_err_set(v->err, LEDGER_EVERIFY, "%s is not among the partners", label);
    if (ledger_cbor_get_array(r, &nsteps, &e2) || !nsteps)
        return damaged(v, "a feed's step list is missing or empty", NULL);
    sr = *r;
    for (i = 0; i < nsteps; i++) {
        uint64_t s;
        if (ledger_cbor_get_uint(r, &s, &e2))
            return damaged(v, "a step is not a seq", &e2);
        if (i && s <= last_step)
            return damaged(v, "steps are not in ascending order", NULL);
        last_step = s;
    }
    if (ledger_cbor_get_array(r, &nent, &e2) || !nent)
        return damaged(v, "a feed's entry list is missing or empty", NULL);
    if (ledger_cbor_get_uint(&sr, &step, NULL))
        return damaged(v, "steps", NULL);
    for (i = 0; i < nent; i++) {
        ledger_entry_t e;
        int is_step = 0;
        uint8_t h[32];
        if (ledger_cbor_get_bytes(r, &p, &n, &e2))
            return damaged(v, "an entry is not a byte string", &e2);
        if (ledger_entry_decode(p, n, &e, &e2))
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "%s entry %zu: not a well-formed entry: %s", label, i + 1,
                                  e2.msg);
        if (feed_cmp(e.h.feed, feed))
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "%s seq %llu: the entry belongs to feed %.8s, not to this feed",
                                  label, (unsigned long long)e.h.seq,
                                  ledger_hex(e.h.feed, LEDGER_FEED_LEN, hex));
        if (i == 0) {
            first = e.h.seq;
            if (e.h.seq < step)
                return damaged(v, "a feed's entries start before its first step", NULL);
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
                    return damaged(v, "steps", NULL);
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
            crypto_hash_sha256(h, e.payload, e.plen);
            if (e.plen != e.h.plen || memcmp(h, e.h.phash, LEDGER_HASH_LEN))
                return ledger_err_set(v->err, LEDGER_EVERIFY,
                                      "%s seq %llu: payload does not match its hash", label,
                                      (unsigned long long)e.h.seq);
            disclosed++;
        } else {
            sealed++;
        }
        if (is_step && (rc = step_story(v, &e, feed, label)))
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
        return damaged(v, "a feed's entries go on after its last step", NULL);
    place_sealed(v, story_from);
    if (v->story) {
        if (!(f = json_object()))
            return ledger_err_set(v->err, LEDGER_ENOMEM, "out of memory");
        json_object_set_new(f, "feed", json_string(ledger_hex(feed, LEDGER_FEED_LEN, hex)));
        json_object_set_new(f, "name", json_string(pname(v, feed)));
        json_object_set_new(f, "from", json_integer((json_int_t)first));
        json_object_set_new(f, "to", json_integer((json_int_t)prev_seq));
        json_object_set_new(f, "entries", json_integer((json_int_t)nent));
        json_object_set_new(f, "steps", json_integer((json_int_t)nsteps));
        json_object_set_new(f, "disclosed", json_integer((json_int_t)disclosed));
        json_object_set_new(f, "sealed", json_integer((json_int_t)sealed));
        json_array_append_new(json_object_get(v->story, "feeds"), f);
    }
    return 0;
}

int ledger_bundle_verify(const uint8_t *p, size_t n, json_t **story, ledger_err_t *err)
{
    vctx_t v = {0};
    ledger_cbor_reader_t r, b;
    ledger_err_t e2;
    const uint8_t *body, *sig, *creator, *prev_feed = NULL;
    size_t blen, slen, cnt, np, nf, i;
    uint64_t version, created;
    json_t *subject = NULL, *magic = NULL;
    char label[300], hex[65], iso[64];
    unsigned char *msg = NULL;
    int rc;

    v.err = err;
    if (story)
        *story = NULL;
    if (!(v.story = json_pack("{s:i, s:[], s:[], s:[]}", "bundle", LEDGER_BUNDLE_VERSION,
                              "partners", "feeds", "steps")))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    ledger_cbor_reader_init(&r, p, n);
    if (ledger_cbor_get_array(&r, &cnt, &e2) || cnt != 4 || get_text(&r, &magic, &e2) ||
        strcmp(json_string_value(magic), LEDGER_BUNDLE_MAGIC)) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "not a keten bundle (it does not start with "
                            "the array [\"keten-bundle\", version, ...])");
        goto fail;
    }
    if (ledger_cbor_get_uint(&r, &version, &e2)) {
        rc = damaged(&v, "the version is not a number", &e2);
        goto fail;
    }
    if (version != LEDGER_BUNDLE_VERSION) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "bundle version %llu is not supported (this keten reads version %d)",
                            (unsigned long long)version, LEDGER_BUNDLE_VERSION);
        goto fail;
    }
    if (ledger_cbor_get_bytes(&r, &body, &blen, &e2) ||
        ledger_cbor_get_bytes(&r, &sig, &slen, &e2) || slen != LEDGER_SIG_LEN) {
        rc = damaged(&v, "truncated, or the body or signature is missing", NULL);
        goto fail;
    }
    if (r.off != n) {
        rc = damaged(&v, "bytes after the end of the bundle", NULL);
        goto fail;
    }
    ledger_cbor_reader_init(&b, body, blen);
    if (ledger_cbor_get_array(&b, &cnt, &e2) || cnt != 5 || get_text(&b, &subject, &e2) ||
        ledger_cbor_get_uint(&b, &created, &e2) ||
        ledger_cbor_get_bytes(&b, &creator, &slen, &e2) || slen != LEDGER_FEED_LEN ||
        ledger_cbor_get_array(&b, &np, &e2)) {
        rc = damaged(&v, "the statement (subject, created, creator, partners) is malformed", NULL);
        goto fail;
    }
    if (np > blen || !(v.parts = calloc(np ? np : 1, sizeof *v.parts))) {
        rc = damaged(&v, "too many partners", NULL);
        goto fail;
    }
    for (i = 0; i < np; i++) {
        if (ledger_cbor_get_array(&b, &cnt, &e2) || cnt != 2 ||
            ledger_cbor_get_bytes(&b, &v.parts[i].feed, &slen, &e2) || slen != LEDGER_FEED_LEN ||
            get_text(&b, &v.parts[i].name, &e2)) {
            rc = damaged(&v, "a partner is not [feed ID, name]", NULL);
            goto fail;
        }
        v.nparts = i + 1;
        if (i && feed_cmp(v.parts[i - 1].feed, v.parts[i].feed) >= 0) {
            rc = damaged(&v, "partners are not in ascending order of feed ID", NULL);
            goto fail;
        }
        json_array_append_new(json_object_get(v.story, "partners"),
                              json_pack("{s:s, s:O}", "feed",
                                        ledger_hex(v.parts[i].feed, LEDGER_FEED_LEN, hex), "name",
                                        v.parts[i].name));
    }
    if (!pname(&v, creator)) {
        rc = ledger_err_set(err, LEDGER_EVERIFY, "the creator %s is not among the partners",
                            ledger_hex(creator, LEDGER_FEED_LEN, hex));
        goto fail;
    }
    if (ledger_cbor_get_array(&b, &nf, &e2) || !nf) {
        rc = damaged(&v, "the feed list is missing or empty", NULL);
        goto fail;
    }
    for (i = 0; i < nf; i++) {
        const uint8_t *f = NULL;
        if ((rc = verify_feed(&v, &b, prev_feed, &f)))
            goto fail;
        prev_feed = f;
    }
    if (b.off != blen) {
        rc = damaged(&v, "bytes after the end of the body", NULL);
        goto fail;
    }
    /* the creator's signature over the context string and the body */
    if (!(msg = malloc(strlen(LEDGER_BUNDLE_SIG_CONTEXT) + blen + 1))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(msg, LEDGER_BUNDLE_SIG_CONTEXT, strlen(LEDGER_BUNDLE_SIG_CONTEXT));
    memcpy(msg + strlen(LEDGER_BUNDLE_SIG_CONTEXT), body, blen);
    if (crypto_sign_verify_detached(sig, msg, strlen(LEDGER_BUNDLE_SIG_CONTEXT) + blen, creator)) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "bundle signature by %s does not verify: the statement, partners or "
                            "selection were changed after it was signed",
                            flabel(&v, creator, label, sizeof label));
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
        json_object_set(v.story, "subject", subject);
        json_object_set_new(v.story, "createdMs", json_integer((json_int_t)(created & INT64_MAX)));
        iso_ms(created, iso, sizeof iso);
        json_object_set_new(v.story, "created", json_string(iso));
        json_object_set_new(v.story, "creator",
                            json_pack("{s:s, s:s}", "feed",
                                      ledger_hex(creator, LEDGER_FEED_LEN, hex), "name",
                                      pname(&v, creator)));
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
    free(msg);
    json_decref(subject);
    json_decref(magic);
    json_decref(v.story);
    return rc;
}
