/* ledger_rows_cbor.c -- the index rows of an event read straight from its
 * payload's CBOR bytes (ledger__payload_rows, ledger__store.h), for the
 * ingest of partners' entries: the same rows as ledger__event_rows builds
 * from the decoded event (ledger_rows.c), by the same ledger__rows_* steps
 * and rules, without building the event as JSON. */
#include "ledger__store.h"

#include <stdlib.h>
#include <string.h>

#include "ledger_cbor.h"
#include "ledger_epcis.h"
#include "ledger_json.h"
#include "ledger_uom.h"

/* ---- event rows straight from the CBOR payload -----------------------
 *
 * ledger_event_payload_decode + ledger__event_rows build the whole event as
 * JSON to read a few members of it; that was most of the slot work. Here
 * the payload is read in place. One strict pass accepts exactly what
 * ledger_event_payload_decode accepts -- [1, eventHash, event map], each
 * item as ledger_cbor_get_json takes it: shortest heads, definite lengths,
 * text keys in deterministic order and never repeated, valid UTF-8 (the
 * rules of jansson, ledger_json_utf8_char), no byte strings, tags or
 * simple values beyond false/true/null, integers that fit int64, floats in
 * their shortest exact form (checked by ledger_cbor_get_json itself), at
 * most LEDGER_CBOR_MAX_DEPTH deep -- and notes where the event's top-level
 * members are. Then the members the index uses are read the way
 * ledger_epcis_info and ledger_epcis_identifiers read them from JSON (a
 * text is taken up to its first NUL, as a C string of jansson's would be),
 * and the rows are built by the same ledger__rows_* steps. tests/fuzz/
 * fuzz_rows.c checks that both ways agree on every input. */

typedef struct cbr {
    const uint8_t *p;
    size_t n, off;
} cbr_t;

/* The event members the index reads (ledger_epcis_info: type, eventID,
 * eventTime, readPoint, bizLocation; ledger_epcis_identifiers: parentID and
 * the lists, in its order, with the member an element names and its role). */
enum {
    M_TYPE,
    M_EVENTID,
    M_TIME,
    M_READPOINT,
    M_BIZLOC,
    M_ACTION,
    M_BIZSTEP,
    M_DISPOSITION,
    M_ERRDECL,
    M_SENSORS,
    M_CONTEXT,
    M_ILMD,
    M_IDS,               /* the identifiers, in ledger_epcis_identifiers' order: epcList, */
    M_PARENT = M_IDS + 2 /* quantityList, parentID, then the other lists */
};
#define M(name, sub, role)                                                                         \
    {                                                                                              \
        name, sizeof name - 1, sub, role                                                           \
    }
static const struct member {
    const char *name;
    size_t len;
    const char *sub;
    int role;
} members[] = {
    M("type", NULL, 0),
    M("eventID", NULL, 0),
    M("eventTime", NULL, 0),
    M("readPoint", NULL, 0),
    M("bizLocation", NULL, 0),
    M("action", NULL, 0),
    M("bizStep", NULL, 0),
    M("disposition", NULL, 0),
    M("errorDeclaration", NULL, 0),
    M("sensorElementList", NULL, 0),
    M("@context", NULL, 0),
    M("ilmd", NULL, 0),
    M("epcList", NULL, LEDGER_ROLE_EPC),
    M("quantityList", "epcClass", LEDGER_ROLE_CLASS),
    M("parentID", NULL, LEDGER_ROLE_PARENT),
    M("childEPCs", NULL, LEDGER_ROLE_CHILD),
    M("childQuantityList", "epcClass", LEDGER_ROLE_CHILD),
    M("inputEPCList", NULL, LEDGER_ROLE_INPUT),
    M("inputQuantityList", "epcClass", LEDGER_ROLE_INPUT),
    M("outputEPCList", NULL, LEDGER_ROLE_OUTPUT),
    M("outputQuantityList", "epcClass", LEDGER_ROLE_OUTPUT),
    M("sourceList", "source", LEDGER_ROLE_SOURCE),
    M("destinationList", "destination", LEDGER_ROLE_DEST),
};
#undef M
#define NMEMBERS (sizeof members / sizeof members[0])

/* Where the members are: the bytes of each one's value (NULL: absent). */
typedef struct found {
    const uint8_t *p[NMEMBERS];
    size_t n[NMEMBERS];
} found_t;

static int cb_head(cbr_t *r, int *major, int *ai, uint64_t *arg)
{
    size_t off = r->off, need;
    uint64_t v = 0;
    uint8_t ib;

    if (off >= r->n)
        return -1;
    ib = r->p[off];
    *major = ib >> 5;
    *ai = ib & 31;
    if (*ai < 24) {
        *arg = (uint64_t)*ai;
        r->off = off + 1;
        return 0;
    }
    if (*ai > 27)
        return -1;
    need = (size_t)1 << (*ai - 24);
    if (r->n - off - 1 < need)
        return -1;
    for (size_t i = 0; i < need; i++)
        v = (v << 8) | r->p[off + 1 + i];
    if (*major != 7) {
        static const uint64_t min[4] = {24, 256, 65536, 4294967296ULL};
        if (v < min[*ai - 24])
            return -1;
    }
    *arg = v;
    r->off = off + 1 + need;
    return 0;
}

static int cb_utf8(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = p[i] < 0x80 ? 1 : ledger_json_utf8_char(p + i, n - i);
        if (!k)
            return -1;
        i += k;
    }
    return 0;
}

static int cb_item(cbr_t *r, int depth);

/* A map of n pairs (its head read); with f, notes the members. */
static int cb_map(cbr_t *r, uint64_t n, int depth, found_t *f)
{
    const uint8_t *prev = NULL;
    size_t prev_len = 0;

    if (n > r->n - r->off)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *k;
        size_t klen, v;
        uint64_t len;
        int major, ai;
        if (cb_head(r, &major, &ai, &len) || major != 3 || len > r->n - r->off)
            return -1;
        k = r->p + r->off;
        klen = (size_t)len;
        r->off += klen;
        if (prev && (klen < prev_len || (klen == prev_len && memcmp(k, prev, klen) <= 0)))
            return -1;
        if (cb_utf8(k, klen))
            return -1;
        prev = k;
        prev_len = klen;
        v = r->off;
        if (cb_item(r, depth + 1))
            return -1;
        if (f)
            for (size_t m = 0; m < NMEMBERS; m++)
                if (members[m].len == klen && !memcmp(members[m].name, k, klen)) {
                    f->p[m] = r->p + v;
                    f->n[m] = r->off - v;
                    break;
                }
    }
    return 0;
}

/* One item, as ledger_cbor_get_json would take it at this depth. */
static int cb_item(cbr_t *r, int depth)
{
    size_t start = r->off;
    int major, ai;
    uint64_t arg;

    if (depth > LEDGER_CBOR_MAX_DEPTH || cb_head(r, &major, &ai, &arg))
        return -1;
    switch (major) {
    case 0:
    case 1:
        return arg > INT64_MAX ? -1 : 0;
    case 3:
        if (arg > r->n - r->off || cb_utf8(r->p + r->off, (size_t)arg))
            return -1;
        r->off += (size_t)arg;
        return 0;
    case 4:
        if (arg > r->n - r->off)
            return -1;
        for (uint64_t i = 0; i < arg; i++)
            if (cb_item(r, depth + 1))
                return -1;
        return 0;
    case 5:
        return cb_map(r, arg, depth, NULL);
    case 7:
        if (ai >= 20 && ai <= 22)
            return 0;
        if (ai >= 25 && ai <= 27) { /* the shortest exact form: ledger_cbor's own check */
            ledger_cbor_reader_t fr;
            json_t *j;
            ledger_cbor_reader_init(&fr, r->p + start, r->off - start);
            if (ledger_cbor_get_json(&fr, &j, NULL))
                return -1;
            json_decref(j);
            return 0;
        }
        return -1;
    default: /* byte strings, tags */
        return -1;
    }
}

/* Steps over one item that was checked already. */
static void cb_skip(cbr_t *r)
{
    int major, ai;
    uint64_t arg;
    if (cb_head(r, &major, &ai, &arg))
        return;
    if (major == 2 || major == 3)
        r->off += (size_t)arg;
    else if (major == 4 || major == 5)
        for (uint64_t i = 0; i < (major == 5 ? 2 * arg : arg); i++)
            cb_skip(r);
}

/* The text of item [p, p+n) as a C string (up to its first NUL) copied into
 * sb (room reserved by the caller: no reallocation); NULL when the item is
 * not a text. */
static const char *cb_text(const uint8_t *p, size_t n, ledger_buf_t *sb)
{
    cbr_t r = {p, n, 0};
    int major, ai;
    uint64_t len;
    char *out;
    if (!p || cb_head(&r, &major, &ai, &len) || major != 3)
        return NULL;
    out = (char *)sb->data + sb->len;
    len = strnlen((const char *)p + r.off, (size_t)len);
    memcpy(out, p + r.off, (size_t)len);
    out[len] = '\0';
    sb->len += (size_t)len + 1;
    return out;
}

/* The value of member name of map item [p, p+n) (NULL when p is not a map
 * or has no such member). The item is valid. */
static const uint8_t *cb_get(const uint8_t *p, size_t n, const char *name, size_t *vn)
{
    cbr_t r = {p, n, 0};
    int major, ai;
    uint64_t pairs, klen;
    size_t nl = strlen(name);
    if (!p || cb_head(&r, &major, &ai, &pairs) || major != 5)
        return NULL;
    for (uint64_t i = 0; i < pairs; i++) {
        size_t v;
        int hit;
        if (cb_head(&r, &major, &ai, &klen))
            return NULL;
        hit = klen == nl && !memcmp(r.p + r.off, name, nl);
        r.off += (size_t)klen;
        v = r.off;
        cb_skip(&r);
        if (hit) {
            *vn = r.off - v;
            return p + v;
        }
    }
    return NULL;
}

/* "ni:///sha-256;" + 64 lowercase hex + "?ver=CBV2.0", exactly. */
static int is_event_hash(const uint8_t *s, size_t n)
{
    static const char head[] = "ni:///sha-256;", tail[] = "?ver=CBV2.0";
    const size_t h = sizeof head - 1;
    if (n != h + 64 + sizeof tail - 1 || memcmp(s, head, h) != 0 ||
        memcmp(s + h + 64, tail, sizeof tail - 1) != 0)
        return 0;
    for (size_t i = h; i < h + 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* The number item [p, p+n) (checked already) as JSON (NULL: not a number). */
static json_t *cb_number(const uint8_t *p, size_t n)
{
    ledger_cbor_reader_t fr;
    json_t *j = NULL;
    if (!p)
        return NULL;
    ledger_cbor_reader_init(&fr, p, n);
    if (ledger_cbor_get_json(&fr, &j, NULL) == 0 && json_is_number(j))
        return j;
    json_decref(j);
    return NULL;
}

/* A text item [p, p+n) as a C string would end (at a NUL) into out
 * (cut to fit): 0, or -1 when it is no text. */
static int cb_small_text(const uint8_t *p, size_t n, char *out, size_t len)
{
    cbr_t r = {p, n, 0};
    int major, ai;
    uint64_t tl;
    size_t k;
    if (!p || cb_head(&r, &major, &ai, &tl) || major != 3 || tl > n - r.off)
        return -1;
    k = strnlen((const char *)p + r.off, (size_t)tl);
    if (k >= len)
        k = len - 1;
    memcpy(out, p + r.off, k);
    out[k] = '\0';
    return 0;
}

/* json_max_temp, read from the sensorElementList item [p, p+n). */
static void cb_max_temp(const uint8_t *p, size_t n, tmax_t *m)
{
    cbr_t lr = {p, n, 0};
    uint64_t items;
    int major, ai;
    memset(m, 0, sizeof *m);
    if (!p || cb_head(&lr, &major, &ai, &items) || major != 4)
        return;
    for (uint64_t i = 0; i < items; i++) {
        size_t start = lr.off, rn = 0;
        const uint8_t *reps;
        cbr_t rr;
        uint64_t nr;
        cb_skip(&lr);
        reps = cb_get(lr.p + start, lr.off - start, "sensorReport", &rn);
        rr = (cbr_t){reps, rn, 0};
        if (!reps || cb_head(&rr, &major, &ai, &nr) || major != 4)
            continue;
        for (uint64_t j = 0; j < nr; j++) {
            size_t rs = rr.off, tn = 0, un = 0;
            const uint8_t *tp, *up;
            cbr_t tr;
            uint64_t tlen;
            double v[NTEMP_MEMBERS];
            size_t nv = 0;
            char uom[16];
            cb_skip(&rr);
            /* the type, as a C string would end (at a NUL), in place */
            tp = cb_get(rr.p + rs, rr.off - rs, "type", &tn);
            tr = (cbr_t){tp, tn, 0};
            if (!tp || cb_head(&tr, &major, &ai, &tlen) || major != 3)
                continue;
            tlen = strnlen((const char *)tp + tr.off, (size_t)tlen);
            if (ledger_uom_quantity((const char *)tp + tr.off, (size_t)tlen) !=
                LEDGER_UOM_TEMPERATURE)
                continue;
            for (size_t k = 0; k < NTEMP_MEMBERS; k++) {
                size_t vn = 0;
                const uint8_t *vp = cb_get(rr.p + rs, rr.off - rs, ledger__temp_members[k], &vn);
                json_t *x = cb_number(vp, vn);
                if (x)
                    v[nv++] = json_number_value(x);
                json_decref(x);
            }
            up = cb_get(rr.p + rs, rr.off - rs, "uom", &un);
            ledger__tmax_report(m, cb_small_text(up, un, uom, sizeof uom) == 0 ? uom : NULL, v, nv);
        }
    }
}

/* A quantity item [p, p+n) (checked already) as fmt_quantity writes the
 * JSON value it decodes to. */
static void cb_quantity(const uint8_t *p, size_t n, char out[40])
{
    ledger_cbor_reader_t fr;
    json_t *j = NULL;
    out[0] = '\0';
    if (!p)
        return;
    ledger_cbor_reader_init(&fr, p, n);
    if (ledger_cbor_get_json(&fr, &j, NULL) == 0)
        ledger__fmt_quantity(j, out);
    json_decref(j);
}

/* The @context bytes of an event (its found member) and the prefix a
 * lot key names: bound to MDA_NS by an object of the context? */
typedef struct cb_ctx {
    const uint8_t *p;
    size_t n;
} cb_ctx_t;

static int cb_binds_one(const uint8_t *obj, size_t on, const char *pfx)
{
    size_t vn = 0;
    const uint8_t *v = cb_get(obj, on, pfx, &vn);
    cbr_t r = {v, vn, 0};
    int major, ai;
    uint64_t len;
    if (!v || cb_head(&r, &major, &ai, &len) || major != 3 || len > vn - r.off)
        return 0;
    /* a text up to its first NUL, as jansson's C string */
    return strnlen((const char *)v + r.off, (size_t)len) == sizeof MDA_NS - 1 &&
           memcmp(v + r.off, MDA_NS, sizeof MDA_NS - 1) == 0;
}

static int cb_binds_mda(const void *vctx, const char *p, size_t pl)
{
    const cb_ctx_t *c = vctx;
    cbr_t r = {c->p, c->n, 0};
    int major, ai;
    uint64_t items;
    char pfx[64];
    if (!c->p || pl >= sizeof pfx)
        return 0;
    memcpy(pfx, p, pl);
    pfx[pl] = '\0';
    if (cb_head(&r, &major, &ai, &items))
        return 0;
    if (major == 5)
        return cb_binds_one(c->p, c->n, pfx);
    if (major != 4)
        return 0;
    for (uint64_t i = 0; i < items; i++) {
        size_t start = r.off;
        cb_skip(&r);
        if (cb_binds_one(c->p + start, r.off - start, pfx))
            return 1;
    }
    return 0;
}

/* The lot numbers of the ilmd map at [p, p+n) (texts into sb). */
static size_t cb_lots(const uint8_t *p, size_t n, const cb_ctx_t *ctx, ledger_buf_t *sb,
                      const char **out)
{
    cbr_t r = {p, n, 0};
    int major, ai;
    uint64_t pairs, klen;
    size_t got = 0;
    if (!p || cb_head(&r, &major, &ai, &pairs) || major != 5)
        return 0;
    for (uint64_t i = 0; i < pairs; i++) {
        const char *key;
        size_t v;
        if (cb_head(&r, &major, &ai, &klen))
            return got;
        key = (const char *)r.p + r.off;
        r.off += (size_t)klen;
        v = r.off;
        cb_skip(&r);
        if (got < MAX_LOTS && ledger__is_lot_key(key, (size_t)klen, cb_binds_mda, ctx)) {
            const char *t = cb_text(p + v, r.off - v, sb);
            if (t)
                out[got++] = t;
        }
    }
    return got;
}

int ledger__payload_rows(const uint8_t *p, size_t n, uint64_t lseq, rows_t *rows, ledger_buf_t *sb,
                         char hash[96], ledger_err_t *err)
{
    cbr_t r = {p, n, 0};
    found_t f;
    ledger__event_keys_t k;
    char tmax[40], tbuf[32];
    const char *type, *t;
    int major, ai, rc;
    uint64_t arg, hlen;

    memset(&f, 0, sizeof f);
    rows->n = 0;
    rows->oom = 0;
    /* [1, eventHash, event] */
    if (cb_head(&r, &major, &ai, &arg) || major != 4 || arg != 3 ||
        cb_head(&r, &major, &ai, &arg) || major != 0 || arg != 1)
        return ledger_err_set(err, LEDGER_EINPUT, "event payload: expected [1, hash, event]");
    if (cb_head(&r, &major, &ai, &hlen) || major != 3 || hlen > r.n - r.off ||
        !is_event_hash(p + r.off, (size_t)hlen))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "event payload hash is not ni:///sha-256;<64 hex>?ver=CBV2.0");
    memcpy(hash, p + r.off, (size_t)hlen);
    hash[hlen] = '\0';
    r.off += (size_t)hlen;
    if (cb_head(&r, &major, &ai, &arg) || major != 5 || cb_map(&r, arg, 0, &f) || r.off != n)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "event payload: the event is not one deterministic CBOR map");
    /* ledger_epcis_info */
    ledger_buf_reset(sb);
    if (ledger_buf_reserve(sb, n + NMEMBERS))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if (!(type = cb_text(f.p[M_TYPE], f.n[M_TYPE], sb)))
        return ledger_err_set(err, LEDGER_EINPUT, "event: type is missing");
    if (!(t = cb_text(f.p[M_TIME], f.n[M_TIME], sb)))
        return ledger_err_set(err, LEDGER_EINPUT, "event: eventTime is missing");
    {
        const char *why = "";
        if (ledger_epcis_time_ms(t, &k.event_time_ms, &why) < 0)
            return ledger_err_set(err, LEDGER_EINPUT, "event: eventTime: \"%.60s\" %s", t, why);
    }
    k.event_hash = hash;
    if (!(k.event_id = cb_text(f.p[M_EVENTID], f.n[M_EVENTID], sb)))
        k.event_id = hash;
    {
        size_t vn = 0;
        const uint8_t *v = cb_get(f.p[M_READPOINT], f.n[M_READPOINT], "id", &vn);
        k.read_point = cb_text(v, vn, sb);
        v = cb_get(f.p[M_BIZLOC], f.n[M_BIZLOC], "id", &vn);
        k.biz_location = cb_text(v, vn, sb);
    }
    k.type = type;
    k.own_event_id = k.event_id != hash ? k.event_id : NULL;
    k.action = cb_text(f.p[M_ACTION], f.n[M_ACTION], sb);
    k.biz_step = cb_text(f.p[M_BIZSTEP], f.n[M_BIZSTEP], sb);
    k.disposition = cb_text(f.p[M_DISPOSITION], f.n[M_DISPOSITION], sb);
    k.error_declaration = f.p[M_ERRDECL] != NULL;
    k.has_sensors = f.p[M_SENSORS] != NULL;
    k.event_time = t;
    {
        tmax_t m;
        cb_max_temp(f.p[M_SENSORS], f.n[M_SENSORS], &m);
        ledger__tmax_text(&m, tmax);
        k.temp_uncompared = m.uncompared;
    }
    k.max_temp = tmax[0] ? tmax : NULL;
    ledger__rows_start(rows, lseq, &k);
    /* the type outlives the texts of sb (reused below) */
    snprintf(tbuf, sizeof tbuf, "%s", type);
    /* ledger_epcis_identifiers */
    for (size_t m = M_IDS; m < NMEMBERS && !rows->oom; m++) {
        const char *name = members[m].name, *sub = members[m].sub;
        cbr_t lr = {f.p[m], f.n[m], 0};
        uint64_t items;
        if (!f.p[m])
            continue;
        if (m == M_PARENT) {
            const char *id = cb_text(f.p[m], f.n[m], sb);
            if (id && (rc = ledger__rows_add_ident(rows, id, members[m].role, NULL, name, err)))
                return rc;
            continue;
        }
        if (cb_head(&lr, &major, &ai, &items) || major != 4)
            continue; /* not an array: nothing */
        for (uint64_t i = 0; i < items; i++) {
            size_t start = lr.off, vn = 0;
            const uint8_t *v;
            const char *id;
            const char *x[2] = {NULL, NULL};
            char q[40];
            cb_skip(&lr);
            v = sub ? cb_get(lr.p + start, lr.off - start, sub, &vn) : lr.p + start;
            if (!sub)
                vn = lr.off - start;
            ledger_buf_reset(sb); /* the texts are copied: reuse the room */
            if (!(id = cb_text(v, vn, sb)))
                continue;
            if (sub && sub[0] == 'e') { /* epcClass: a quantity list */
                cb_quantity(cb_get(lr.p + start, lr.off - start, "quantity", &vn), vn, q);
                x[0] = q[0] ? q : NULL;
                v = cb_get(lr.p + start, lr.off - start, "uom", &vn);
                x[1] = cb_text(v, vn, sb);
            } else if (sub) {
                v = cb_get(lr.p + start, lr.off - start, "type", &vn);
                x[0] = cb_text(v, vn, sb);
            }
            if ((rc = ledger__rows_add_ident(rows, id, members[m].role, sub ? x : NULL, name, err)))
                return rc;
        }
    }
    {
        const char *lots[MAX_LOTS];
        cb_ctx_t ctx = {f.p[M_CONTEXT], f.n[M_CONTEXT]};
        ledger_buf_reset(sb); /* the identifiers' texts are no longer needed */
        ledger__rows_lots(rows, tbuf, lots, cb_lots(f.p[M_ILMD], f.n[M_ILMD], &ctx, sb, lots));
    }
    return ledger__rows_finish(rows, err);
}
