/* ledger_stmts.c -- the statements and endorsements a store holds (see
 * ledger_stmts.h).
 *
 * How it works.  One ledger_store_scan over the log; each entry of payload
 * type 4 is decoded and checked against its feed (ledger_stmt_from_entry)
 * and kept with a copy of its bytes.  Lookups are linear over the kept
 * records: a chain has tens of partners, each with a handful of
 * statements.  "Newest" is the highest seq within one author's feed. */
#include "ledger_stmts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int add(ledger_stmts_t *s, const ledger_entry_t *e, const uint8_t *bytes, size_t len)
{
    ledger_stmt_t st;
    ledger_err_t err;
    if (e->h.ptype != LEDGER_PT_STATEMENT || !e->payload)
        return 0;
    if (ledger_stmt_from_entry(e, &st, &err)) {
        s->bad++;
        return 0;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        ledger_stmt_rec_t *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return LEDGER_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    ledger_stmt_rec_t *r = &s->v[s->n];
    memset(r, 0, sizeof *r);
    if (!(r->entry = malloc(len)))
        return LEDGER_ENOMEM;
    memcpy(r->entry, bytes, len);
    r->entry_len = len;
    memcpy(r->author, e->h.feed, LEDGER_FEED_LEN);
    r->seq = e->h.seq;
    r->record_time_ms = e->h.record_time_ms;
    r->s = st;
    s->n++;
    return 1;
}

int ledger_stmts_add_entry(ledger_stmts_t *s, const uint8_t *p, size_t n)
{
    ledger_entry_t e;
    ledger_err_t err;
    if (ledger_entry_decode(p, n, &e, &err) || ledger_entry_check_payload(&e, &err) ||
        ledger_entry_check_sig(&e, &err))
        return 0;
    return add(s, &e, p, n);
}

static int scan_cb(const ledger_stored_t *st, void *ctx)
{
    int rc = add(ctx, &st->e, st->bytes, st->len);
    return rc < 0 ? rc : 0;
}

int ledger_stmts_load(ledger_store_t *st, ledger_stmts_t *out, ledger_err_t *err)
{
    int rc;
    memset(out, 0, sizeof *out);
    rc = ledger_store_scan(st, 1, scan_cb, out, err);
    if (rc == LEDGER_ENOMEM)
        ledger_err_set(err, rc, "out of memory collecting statements");
    if (rc)
        ledger_stmts_free(out);
    return rc;
}

void ledger_stmts_free(ledger_stmts_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].entry);
    free(s->v);
    memset(s, 0, sizeof *s);
}

const ledger_stmt_rec_t *ledger_stmts_identity(const ledger_stmts_t *s,
                                               const uint8_t feed[LEDGER_FEED_LEN])
{
    const ledger_stmt_rec_t *best = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const ledger_stmt_rec_t *r = &s->v[i];
        if (r->s.kind == LEDGER_STMT_IDENTITY && !memcmp(r->author, feed, LEDGER_FEED_LEN) &&
            (!best || r->seq > best->seq))
            best = r;
    }
    return best;
}

/* The newest endorsement of feed by r's author: whether r is it. */
static int newest_of_author(const ledger_stmts_t *s, const ledger_stmt_rec_t *r)
{
    for (size_t j = 0; j < s->n; j++) {
        const ledger_stmt_rec_t *o = &s->v[j];
        if (o->s.kind == LEDGER_STMT_ENDORSEMENT &&
            !memcmp(o->author, r->author, LEDGER_FEED_LEN) &&
            !memcmp(o->s.subject, r->s.subject, LEDGER_FEED_LEN) && o->seq > r->seq)
            return 0;
    }
    return 1;
}

size_t ledger_stmts_endorsements(const ledger_stmts_t *s, const uint8_t feed[LEDGER_FEED_LEN],
                                 ledger_stmt_cb fn, void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const ledger_stmt_rec_t *r = &s->v[i];
        if (r->s.kind != LEDGER_STMT_ENDORSEMENT || memcmp(r->s.subject, feed, LEDGER_FEED_LEN) ||
            !newest_of_author(s, r))
            continue;
        n++;
        if (fn)
            fn(r, ctx);
    }
    return n;
}

int ledger_stmts_agree(const ledger_stmt_rec_t *r, const ledger_stmt_rec_t *id)
{
    if (!id || strcmp(r->s.name, id->s.name))
        return 0;
    if (r->s.gln[0] && strcmp(r->s.gln, id->s.gln))
        return 0;
    if (r->s.gcp[0] && strcmp(r->s.gcp, id->s.gcp) &&
        !(id->s.gln[0] && !strncmp(id->s.gln, r->s.gcp, strlen(r->s.gcp))))
        return 0;
    if (r->s.domain[0] && strcmp(r->s.domain, id->s.domain))
        return 0;
    return 1;
}

static json_t *iso_time(uint64_t ms)
{
    char buf[40];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return json_null();
    size_t w = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + w, sizeof buf - w, ".%03uZ", (unsigned)(ms % 1000));
    return json_string(buf);
}

json_t *ledger_stmt_rec_json(const ledger_stmt_rec_t *r)
{
    char a[2 * LEDGER_FEED_LEN + 1], b[2 * LEDGER_FEED_LEN + 1];
    json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:o}", "feed",
                          ledger_hex(r->author, LEDGER_FEED_LEN, a), "seq", (json_int_t)r->seq,
                          "kind", ledger_stmt_kind_name(r->s.kind), "subject",
                          ledger_hex(r->s.subject, LEDGER_FEED_LEN, b), "name", r->s.name,
                          "recordTime", iso_time(r->record_time_ms));
    if (!o)
        return NULL;
    if (r->s.gln[0])
        json_object_set_new(o, "gln", json_string(r->s.gln));
    if (r->s.gcp[0])
        json_object_set_new(o, "gcp", json_string(r->s.gcp));
    if (r->s.domain[0])
        json_object_set_new(o, "domain", json_string(r->s.domain));
    return o;
}

typedef struct fj {
    const ledger_stmts_t *s;
    const ledger_stmt_rec_t *id;
    json_t *arr;
} fj_t;

static void endorser_json(const ledger_stmt_rec_t *r, void *ctx)
{
    fj_t *f = ctx;
    char hex[2 * LEDGER_FEED_LEN + 1];
    const ledger_stmt_rec_t *who = ledger_stmts_identity(f->s, r->author);
    json_t *o = json_pack("{s:s, s:o, s:I, s:b, s:o}", "feed",
                          ledger_hex(r->author, LEDGER_FEED_LEN, hex), "name",
                          who ? json_string(who->s.name) : json_null(), "seq", (json_int_t)r->seq,
                          "agrees", ledger_stmts_agree(r, f->id), "endorsed",
                          ledger_stmt_rec_json(r));
    if (o)
        json_array_append_new(f->arr, o);
}

json_t *ledger_stmts_feed_json(const ledger_stmts_t *s, const uint8_t feed[LEDGER_FEED_LEN])
{
    fj_t f = {s, ledger_stmts_identity(s, feed), json_array()};
    json_t *o;
    if (!f.arr)
        return NULL;
    ledger_stmts_endorsements(s, feed, endorser_json, &f);
    o = json_pack("{s:o, s:o}", "identity", f.id ? ledger_stmt_rec_json(f.id) : json_null(),
                  "endorsedBy", f.arr);
    return o;
}
