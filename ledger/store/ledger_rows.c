/* ledger_rows.c -- the index rows of an event (see ledger__store.h): the
 * keys (text, or for event-hash IDs their 32 raw bytes; over-long keys by
 * their hash), the row buffer and the card body built in steps
 * (ledger__rows_*), the rules both readers of an event share (identifiers,
 * lots, the highest temperature), and the rows of a JSON event (own
 * appends, verify). The same rows read straight from an event payload's
 * CBOR bytes (ingest of partners' entries), which must never differ from
 * these, are ledger_rows_cbor.c. */
#include "ledger__store.h"

#include <stdlib.h>
#include <string.h>

#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "gs1_key.h"
#include "ledger_uom.h"
#include "ledger_sha256.h"

/* ---- index rows ------------------------------------------------------- */

static row_t *row_new(rows_t *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        row_t *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            r->oom = 1;
            return NULL;
        }
        r->v = v;
        r->cap = cap;
    }
    return &r->v[r->n++];
}

/* Text keys longer than KEY_MAX become "sha256:<hex>" of the text. */
static void set_text_key(row_t *row, const char *s)
{
    size_t n = strlen(s);
    if (n <= KEY_MAX) {
        memcpy(row->key, s, n);
        row->klen = n;
    } else {
        uint8_t h[32];
        ledger_sha256(h, s, n);
        memcpy(row->key, "sha256:", 7);
        ledger_hex(h, 32, (char *)row->key + 7);
        row->klen = 7 + 64;
    }
}

/* Identifier and location keys (ident, loc). A canonical GS1 Digital Link
 * (https://id.gs1.org/ and its path: nearly every key) is packed: 0x02,
 * then per path segment either 0x80 | its length (1 to 127 digits, all
 * digits) and the digits two to a byte (BCD, a last odd digit with 0xf),
 * or its length (1 to 127) and its bytes. A 47-byte SGTIN key becomes 18
 * bytes. Segments are self-delimiting, so two texts never give one key.
 * Other texts are keyed as they are (set_text_key), and one that starts
 * with byte 0x01 or 0x02 gets a 0x00 in front, so that it cannot meet a
 * packed key (no text holds 0x00). */
static void set_ident_key(row_t *row, const char *s)
{
    static const char dl[] = "https://id.gs1.org/";
    const size_t dn = sizeof dl - 1;
    size_t n = strlen(s), at = 1;

    if (n > dn && n <= KEY_MAX && memcmp(s, dl, dn) == 0) {
        const char *p = s + dn, *end = s + n;
        row->key[0] = 0x02;
        while (p < end) {
            const char *q = memchr(p, '/', (size_t)(end - p));
            size_t len = q ? (size_t)(q - p) : (size_t)(end - p), digits = 0;
            while (digits < len && p[digits] >= '0' && p[digits] <= '9')
                digits++;
            if (len == 0 || len > 127 || (q && q + 1 == end))
                goto text; /* an empty segment or a trailing slash: as written */
            if (digits == len) {
                row->key[at++] = (uint8_t)(0x80 | len);
                for (size_t i = 0; i < len; i += 2)
                    row->key[at++] = (uint8_t)((p[i] - '0') << 4 |
                                               (i + 1 < len ? p[i + 1] - '0' : 0xf));
            } else {
                row->key[at++] = (uint8_t)len;
                memcpy(row->key + at, p, len);
                at += len;
            }
            p = q ? q + 1 : end;
        }
        row->klen = at;
        return;
    }
text:
    if (s[0] == 0x01 || s[0] == 0x02) {
        set_text_key(row, s);
        if (row->klen < KEY_MAX) {
            memmove(row->key + 1, row->key, row->klen);
            row->key[0] = 0x00;
            row->klen++;
            return;
        }
        /* a text that long was hashed: "sha256:..." starts with 's' */
    }
    set_text_key(row, s);
}

/* n bytes from 2n lowercase hex digits at s (no terminator needed). */
static int unhex_lower(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < 2 * n; i++) {
        int c = s[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] |= (uint8_t)v;
    }
    return 0;
}

/* Event IDs in the event-hash form (ni:///sha-256;<64 hex>?ver=CBV2.0, the
 * usual case) are keyed by 0x01 and their 32 raw hash bytes: a third of the
 * text's size, so the evid B-tree stays small and fast. Other IDs are text
 * (no URI starts with byte 0x01). */
static void set_evid_key(row_t *row, const char *id)
{
    static const char head[] = "ni:///sha-256;", tail[] = "?ver=CBV2.0";
    size_t n = strlen(id), h = sizeof head - 1;
    if (n == h + 64 + sizeof tail - 1 && memcmp(id, head, h) == 0 &&
        memcmp(id + h + 64, tail, sizeof tail - 1) == 0 &&
        unhex_lower(id + h, row->key + 1, 32) == 0) {
        row->key[0] = 0x01;
        row->klen = 33;
        return;
    }
    set_text_key(row, id);
}

/* A location (bizLocation, readPoint) is keyed by its canonical form when
 * it has a GS1 one, as identifiers are: an SGLN URN and its Digital Link
 * find the same events. A location without one (or malformed) is keyed as
 * written: where an event happened never makes it fail. */
static void set_loc_key(row_t *row, const char *loc)
{
    char key[LEDGER_IDENT_KEY_MAX];
    ledger_ident_key_stored(loc, key);
    set_ident_key(row, key);
}

void ledger__index_key(int db, const char *text, row_t *row)
{
    row->db = db;
    if (db == DB_EVID || db == DB_DECL)
        set_evid_key(row, text);
    else if (db == DB_LOC)
        set_loc_key(row, text);
    else if (db == DB_IDENT)
        set_ident_key(row, text);
    else
        set_text_key(row, text);
}

void ledger__index_key_canonical(int db, const char *key, row_t *row)
{
    row->db = db;
    if (db == DB_EVID || db == DB_DECL)
        set_evid_key(row, key);
    else if (db == DB_IDENT || db == DB_LOC)
        set_ident_key(row, key); /* the text is canonical already */
    else
        set_text_key(row, key);
}

static void add_text_row(rows_t *r, int db, const char *key, int role)
{
    row_t *row = row_new(r);
    uint8_t *v;
    if (!row)
        return;
    ledger__index_key(db, key, row);
    v = row->val;
    if (db == DB_IDENT) {
        ledger__put_be64(v, (uint64_t)r->time_ms ^ ((uint64_t)1 << 63));
        v += 8;
    }
    ledger__put_be64(v, r->lseq);
    row->vlen = (size_t)(v - row->val) + 8;
    if (role >= 0)
        row->val[row->vlen++] = (uint8_t)role;
}

void ledger__rows_set_lseq(rows_t *r, uint64_t lseq)
{
    r->lseq = lseq;
    for (size_t i = 0; i < r->n; i++)
        ledger__put_be64(r->v[i].val + ROW_LSEQ_AT(r->v[i].db), lseq);
}

void ledger__rows_free(rows_t *r)
{
    free(r->v);
    ledger_buf_free(&r->card);
    ledger_buf_free(&r->prev);
    ledger_buf_free(&r->gtins);
    memset(r, 0, sizeof *r);
}

/* ---- the card body (ledger_store_card): version, flags, eventTime, the
 * texts (u16 BE length, 0 = none), then per identifier, to the end: role
 * (bit 7: two texts follow the identifier), the length of the prefix it
 * shares with the identifier before it (u8: front coding; a lot's portions
 * differ in their last digits), the length of the rest (u16 BE) and the
 * rest; for an element of a quantity list its quantity and uom, of a source
 * or destination list its type. */

static void card_put(rows_t *r, const void *p, size_t n)
{
    if (!r->oom && ledger_buf_append(&r->card, p, n))
        r->oom = 1;
}

static void card_text(rows_t *r, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    uint8_t h[2];
    if (n > 0xffff)
        n = 0xffff; /* no event member is that long (LEDGER_PAYLOAD_MAX is the limit) */
    h[0] = (uint8_t)(n >> 8);
    h[1] = (uint8_t)n;
    card_put(r, h, 2);
    card_put(r, s ? s : "", n);
}

void ledger__fmt_quantity(const json_t *q, char out[40])
{
    out[0] = '\0';
    if (json_is_integer(q)) {
        snprintf(out, 40, "%lld", (long long)json_integer_value(q));
    } else if (json_is_real(q)) {
        double d = json_real_value(q);
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(out, 40, "%.*g", prec, d);
            if (strtod(out, NULL) == d)
                break;
        }
    }
}

/* ---- the highest temperature (the card's max_temp) ----------------------
 *
 * Every numeric value of a report of a temperature type (value, minValue,
 * maxValue, meanValue, percValue; sDev is a spread, not a temperature) is
 * converted from the report's uom to CEL (ledger_uom.h); the card keeps the
 * highest, and a flag when some report had values keten cannot convert (no
 * uom, or a unit it does not know). Both readers apply this rule: this
 * file's for a JSON event, ledger_rows_cbor.c's for a payload. */

const char *const ledger__temp_members[NTEMP_MEMBERS] = {"value", "minValue", "maxValue",
                                                         "meanValue", "percValue"};

void ledger__tmax_report(tmax_t *m, const char *uom, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double c;
        if (ledger_uom_to_base(LEDGER_UOM_TEMPERATURE, uom, v[i], &c)) {
            m->uncompared = 1;
            continue;
        }
        if (!m->have || c > m->best)
            m->best = c;
        m->have = 1;
    }
}

void ledger__tmax_text(const tmax_t *m, char out[40])
{
    out[0] = '\0';
    if (!m->have)
        return;
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, m->best);
        if (strtod(out, NULL) == m->best)
            break;
    }
}

/* The highest temperature of a JSON event's sensor reports. */
static void json_max_temp(const json_t *event, tmax_t *m)
{
    const json_t *se, *r;
    size_t i, j;
    memset(m, 0, sizeof *m);
    json_array_foreach(json_object_get(event, "sensorElementList"), i, se)
    {
        json_array_foreach(json_object_get(se, "sensorReport"), j, r)
        {
            const char *t = json_string_value(json_object_get(r, "type"));
            double v[NTEMP_MEMBERS];
            size_t n = 0;
            if (!t || ledger_uom_quantity(t, strlen(t)) != LEDGER_UOM_TEMPERATURE)
                continue;
            for (size_t k = 0; k < NTEMP_MEMBERS; k++) {
                const json_t *x = json_object_get(r, ledger__temp_members[k]);
                if (json_is_number(x))
                    v[n++] = json_number_value(x);
            }
            ledger__tmax_report(m, json_string_value(json_object_get(r, "uom")), v, n);
        }
    }
}

/* The role under which an instance's Digital Link lot is indexed: for
 * epcList, outputs and children LEDGER_ROLE_LOT, an ident row and a card
 * identifier, so that the trace follows the lot's members forward (and
 * from a child its container) and a member back to its lot; for an input
 * the lot as an input, an ident row only (the transformation's outputs
 * follow from it; the card lists what moved); 0: none. */
static int dl_lot_role(int role)
{
    switch (role) {
    case LEDGER_ROLE_EPC:
    case LEDGER_ROLE_OUTPUT:
    case LEDGER_ROLE_CHILD:
        return LEDGER_ROLE_LOT;
    case LEDGER_ROLE_INPUT:
        return role;
    default:
        return 0;
    }
}

int ledger__rows_add_ident(rows_t *rows, const char *id, int role, const char **x,
                           const char *field, ledger_err_t *err)
{
    char key[LEDGER_IDENT_KEY_MAX], lot[LEDGER_IDENT_KEY_MAX];
    int lrole = x ? 0 : dl_lot_role(role);
    (void)field;
    ledger_ident_key_stored(id, key);
    /* a party or location keeps its written form too (reports show it) */
    if (x && (role == LEDGER_ROLE_SOURCE || role == LEDGER_ROLE_DEST))
        x[1] = strcmp(key, id) != 0 ? id : NULL;
    ledger__rows_ident(rows, key, role, x);
    if (lrole && gs1_key_gtin(key, NULL) == GS1_KEY_SERIAL &&
        gs1_key_lot(id, lot, sizeof lot, NULL) == 0) {
        if (lrole == LEDGER_ROLE_LOT)
            ledger__rows_ident(rows, lot, lrole, NULL);
        else /* an index row only: the card's identifiers stay what moved */
            add_text_row(rows, DB_IDENT, lot, lrole);
    }
    return rows->oom ? ledger_err_set(err, LEDGER_ENOMEM, "out of memory") : 0;
}

/* The identifier lists in ledger_epcis_identifiers' order (parentID after
 * quantityList), with the role of their elements and the member that names
 * the identifier in an element (NULL: the element is the identifier). */
static const struct idlist {
    const char *name, *member;
    int role;
} idlists[] = {
    {"epcList", NULL, LEDGER_ROLE_EPC},
    {"quantityList", "epcClass", LEDGER_ROLE_CLASS},
    {"parentID", NULL, LEDGER_ROLE_PARENT},
    {"childEPCs", NULL, LEDGER_ROLE_CHILD},
    {"childQuantityList", "epcClass", LEDGER_ROLE_CHILD},
    {"inputEPCList", NULL, LEDGER_ROLE_INPUT},
    {"inputQuantityList", "epcClass", LEDGER_ROLE_INPUT},
    {"outputEPCList", NULL, LEDGER_ROLE_OUTPUT},
    {"outputQuantityList", "epcClass", LEDGER_ROLE_OUTPUT},
    {"sourceList", "source", LEDGER_ROLE_SOURCE},
    {"destinationList", "destination", LEDGER_ROLE_DEST},
};

/* The identifiers of a JSON event, as ledger_epcis_identifiers reads them,
 * with the extra texts of their list elements. */
static int json_idents(const json_t *event, rows_t *r, ledger_err_t *err)
{
    for (size_t l = 0; l < sizeof idlists / sizeof idlists[0]; l++) {
        const struct idlist *d = &idlists[l];
        const json_t *list = json_object_get(event, d->name);
        size_t n;
        int rc;
        if (d->role == LEDGER_ROLE_PARENT) {
            const char *id = json_string_value(list);
            if (id && (rc = ledger__rows_add_ident(r, id, d->role, NULL, d->name, err)))
                return rc;
            continue;
        }
        n = json_is_array(list) ? json_array_size(list) : 0;
        for (size_t i = 0; i < n; i++) {
            const json_t *it = json_array_get(list, i);
            const char *id = json_string_value(d->member ? json_object_get(it, d->member) : it);
            const char *x[2] = {NULL, NULL};
            char q[40];
            if (!id)
                continue;
            if (d->member && d->member[0] == 'e') { /* epcClass: a quantity list */
                ledger__fmt_quantity(json_object_get(it, "quantity"), q);
                x[0] = q[0] ? q : NULL;
                x[1] = json_string_value(json_object_get(it, "uom"));
            } else if (d->member) {
                x[0] = json_string_value(json_object_get(it, "type"));
            }
            if ((rc = ledger__rows_add_ident(r, id, d->role, d->member ? x : NULL, d->name, err)))
                return rc;
        }
    }
    return 0;
}

static int row_cmp(const void *a, const void *b)
{
    const row_t *x = a, *y = b;
    if (x->db != y->db)
        return x->db - y->db;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    int c = memcmp(x->key, y->key, x->klen);
    if (c)
        return c;
    if (x->vlen != y->vlen)
        return x->vlen < y->vlen ? -1 : 1;
    return memcmp(x->val, y->val, x->vlen);
}

void ledger__rows_start(rows_t *r, uint64_t lseq, const ledger__event_keys_t *k)
{
    uint8_t h[10];
    r->n = 0;
    r->lseq = lseq;
    r->oom = 0;
    r->time_ms = k->event_time_ms;
    ledger_buf_reset(&r->gtins);
    ledger_buf_reset(&r->card);
    ledger_buf_reset(&r->prev);
    h[0] = CARD_VERSION;
    h[1] = (uint8_t)((k->error_declaration ? 1 : 0) |
                     (k->own_event_id && strcmp(k->own_event_id, k->event_hash) == 0 ? 2 : 0) |
                     (k->has_sensors ? 4 : 0) | (k->temp_uncompared ? 8 : 0));
    ledger__put_be64(h + 2, (uint64_t)k->event_time_ms);
    card_put(r, h, sizeof h);
    card_text(r, k->type);
    card_text(r, h[1] & 2 ? NULL : k->own_event_id);
    card_text(r, k->event_hash);
    card_text(r, k->action);
    card_text(r, k->biz_step);
    card_text(r, k->disposition);
    card_text(r, k->read_point);
    card_text(r, k->biz_location);
    card_text(r, k->event_time);
    card_text(r, k->max_temp);
    add_text_row(r, DB_EVID, k->event_id, -1);
    if (strcmp(k->event_id, k->event_hash) != 0)
        add_text_row(r, DB_EVID, k->event_hash, -1);
    if (k->error_declaration) { /* what declares an event erroneous, by its IDs */
        add_text_row(r, DB_DECL, k->event_id, -1);
        if (strcmp(k->event_id, k->event_hash) != 0)
            add_text_row(r, DB_DECL, k->event_hash, -1);
    }
    if (k->biz_location)
        add_text_row(r, DB_LOC, k->biz_location, 1);
    if (k->read_point)
        add_text_row(r, DB_LOC, k->read_point, 2);
    if (!r->oom) {
        row_t *row = row_new(r);
        if (row) {
            row->db = DB_TIME;
            ledger__put_be64(row->key, (uint64_t)k->event_time_ms ^ ((uint64_t)1 << 63));
            row->klen = 8;
            ledger__put_be64(row->val, lseq);
            row->vlen = 8;
        }
    }
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_gtin(const void *a, const void *b)
{
    return memcmp(a, b, GTIN_REC);
}

void ledger__rows_lots(rows_t *r, const char *type, const char **lots, size_t nlots)
{
    int role = strcmp(type, "ObjectEvent") == 0           ? LEDGER_ROLE_EPC
               : strcmp(type, "TransformationEvent") == 0 ? LEDGER_ROLE_OUTPUT
                                                          : 0;
    size_t ng = r->gtins.len / GTIN_REC;
    const uint8_t *gv = r->gtins.data;
    if (!role || !nlots || !ng)
        return;
    qsort(lots, nlots, sizeof *lots, cmp_text);
    /* every GTIN once, in order (an event may name thousands) */
    qsort(r->gtins.data, ng, GTIN_REC, cmp_gtin);
    for (size_t g = 0; g < ng; g++) {
        const char *gtin = (const char *)gv + g * GTIN_REC;
        if (gv[g * GTIN_REC + 15] != role ||
            (g && memcmp(gv + (g - 1) * GTIN_REC, gv + g * GTIN_REC, GTIN_REC) == 0))
            continue;
        for (size_t l = 0; l < nlots; l++) {
            char canon[LEDGER_IDENT_KEY_MAX];
            if (l && strcmp(lots[l], lots[l - 1]) == 0)
                continue;
            /* a lot that makes no valid LGTIN (too long, characters GS1
             * does not allow) is no lot of the index */
            if (gs1_key_lgtin(gtin, lots[l], canon, sizeof canon, NULL) != 0)
                continue;
            ledger__rows_ident(r, canon, LEDGER_ROLE_LOT, NULL);
        }
    }
}

void ledger__rows_ident(rows_t *r, const char *id, int role, const char *const *x)
{
    size_t n = strlen(id), shared = 0;
    uint8_t h[2];
    if (role == LEDGER_ROLE_EPC || role == LEDGER_ROLE_OUTPUT) {
        uint8_t g[GTIN_REC];
        /* kept once per run of one GTIN (the usual list); repeats apart
         * are made unique by ledger__rows_lots */
        if (gs1_key_gtin(id, (char *)g) == GS1_KEY_SERIAL) {
            g[15] = (uint8_t)role;
            if ((r->gtins.len < GTIN_REC ||
                 memcmp(r->gtins.data + r->gtins.len - GTIN_REC, g, GTIN_REC) != 0) &&
                ledger_buf_append(&r->gtins, g, GTIN_REC))
                r->oom = 1;
        }
    }
    add_text_row(r, DB_IDENT, id, role);
    if (n > 0xffff)
        n = 0xffff;
    while (shared < 255 && shared < n && shared < r->prev.len &&
           r->prev.data[shared] == (uint8_t)id[shared])
        shared++;
    h[0] = (uint8_t)(role | (x ? 0x80 : 0));
    h[1] = (uint8_t)shared;
    card_put(r, h, 2);
    card_text(r, id + shared);
    if (x) {
        card_text(r, x[0]);
        card_text(r, x[1]);
    }
    ledger_buf_reset(&r->prev);
    if (!r->oom && ledger_buf_append(&r->prev, id, n))
        r->oom = 1;
}

int ledger__rows_finish(rows_t *r, ledger_err_t *err)
{
    size_t w = 0;
    if (r->oom)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    qsort(r->v, r->n, sizeof *r->v, row_cmp);
    for (size_t i = 0; i < r->n; i++)
        if (w == 0 || row_cmp(&r->v[w - 1], &r->v[i]) != 0)
            r->v[w++] = r->v[i];
    r->n = w;
    return 0;
}

/* ---- ILMD lot numbers (ledger__rows_lots) ---------------------------------
 *
 * The lot numbers of an event are the text values of its `ilmd` members
 * named cbvmda:lotNumber, urn:epcglobal:cbv:mda:lotNumber, or P:lotNumber
 * for a prefix P that an object of the event's @context binds to
 * urn:epcglobal:cbv:mda:. Both readers apply this rule (ledger__is_lot_key). */

int ledger__is_lot_key(const char *key, size_t kl, int (*binds)(const void *, const char *, size_t),
                       const void *ctx)
{
    static const char local[] = ":lotNumber";
    size_t ll = sizeof local - 1;
    if (kl == sizeof MDA_NS - 1 + 9 && memcmp(key, MDA_NS, sizeof MDA_NS - 1) == 0 &&
        memcmp(key + sizeof MDA_NS - 1, "lotNumber", 9) == 0)
        return 1;
    if (kl <= ll || memcmp(key + kl - ll, local, ll) != 0 || memchr(key, ':', kl - ll))
        return 0;
    if (kl - ll == 6 && memcmp(key, "cbvmda", 6) == 0)
        return 1;
    return binds(ctx, key, kl - ll);
}

static int json_binds_mda(const void *vevent, const char *p, size_t pl)
{
    const json_t *ctx = json_object_get(vevent, "@context"), *c;
    size_t i, n = json_is_array(ctx) ? json_array_size(ctx) : 1;
    char pfx[64];
    if (pl >= sizeof pfx)
        return 0;
    memcpy(pfx, p, pl);
    pfx[pl] = '\0';
    for (i = 0; i < n; i++) {
        const char *ns;
        c = json_is_array(ctx) ? json_array_get(ctx, i) : ctx;
        ns = json_string_value(json_object_get(c, pfx));
        if (ns && strcmp(ns, MDA_NS) == 0)
            return 1;
    }
    return 0;
}

static size_t json_lots(const json_t *event, const char **out)
{
    const json_t *ilmd = json_object_get(event, "ilmd"), *v;
    const char *key;
    size_t n = 0;
    json_object_foreach((json_t *)ilmd, key, v)
    {
        if (n < MAX_LOTS && json_is_string(v) &&
            ledger__is_lot_key(key, strlen(key), json_binds_mda, event))
            out[n++] = json_string_value(v);
    }
    return n;
}

/* Builds the (sorted, unique) index rows of one event stored at lseq.
 * What it reads of the event (ledger_epcis_info, ledger_epcis_identifiers)
 * ingest reads straight from CBOR (ledger__payload_rows in
 * ledger_rows_cbor.c): a change here must be made there too
 * (tests/fuzz/fuzz_rows.c compares the two). */
int ledger__event_rows(const json_t *event, const char *event_id, const char *event_hash,
                       uint64_t lseq, rows_t *r, ledger_err_t *err)
{
    ledger_epcis_info_t info;
    ledger__event_keys_t k;
    char tmax[40];
    int rc;

    r->n = 0;
    r->oom = 0;
    if ((rc = ledger_epcis_info(event, &info, err)))
        return rc;
    k.event_id = event_id;
    k.event_hash = event_hash;
    k.biz_location = info.biz_location;
    k.read_point = info.read_point;
    k.event_time_ms = info.event_time_ms;
    k.type = info.type;
    k.own_event_id = info.event_id;
    k.action = info.action;
    k.biz_step = info.biz_step;
    k.disposition = info.disposition;
    k.error_declaration = info.error_declaration;
    k.event_time = json_string_value(json_object_get(event, "eventTime"));
    k.has_sensors = json_object_get(event, "sensorElementList") != NULL;
    {
        tmax_t m;
        json_max_temp(event, &m);
        ledger__tmax_text(&m, tmax);
        k.temp_uncompared = m.uncompared;
    }
    k.max_temp = tmax[0] ? tmax : NULL;
    ledger__rows_start(r, lseq, &k);
    if (!r->oom && (rc = json_idents(event, r, err)))
        return rc;
    {
        const char *lots[MAX_LOTS];
        ledger__rows_lots(r, info.type, lots, json_lots(event, lots));
    }
    return ledger__rows_finish(r, err);
}
