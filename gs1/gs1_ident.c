/* gs1_ident.c -- any code a reader produced -> one identifier
 * (gs1_ident.h).
 *
 * How it works:
 *  1. The code is trimmed and classified by its shape: "nfc-uid:", "urn:epc:",
 *     http(s) URIs (a Digital Link when gs1_dl_looks_like() says so, else
 *     a plain URL), a symbology identifier, '(' (bracketed element string),
 *     GS or '^' (raw element string), hex of 24+ digits (EPC), 8/12/13/14
 *     digits (GTIN), any other absolute URI; anything else is tried as a
 *     raw element string.
 *  2. Every GS1 form is brought to one list of (AI, value) fields: Digital
 *     Links and element strings by gs1_dl / gs1_elem; EPC URNs are read
 *     by gs1_urn (the one URN reader, whose scheme table also says how
 *     the parts make the GS1 key -- every GS1 scheme, so that the URN
 *     forms gs1_epc does not code in binary -- ginc, gsin, upui, pgln,
 *     lgtin -- convert too) and put together into the key below; EPC hex
 *     and tag URNs by gs1_epc, whose pure URN then goes the URN way.
 *  3. From the fields: the key (gs1_dl_key), the Digital Link, the
 *     bracketed element string and, when the GS1 Company Prefix length is
 *     known, the EPC URN.
 *  All strings go into one block allocated once the sizes are known.
 */
#include "gs1_ident.h"

#include "gs1__memo.h"
#include "gs1__ident.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gs1_dl.h"
#include "gs1_elem.h"
#include "gs1_epc.h"
#include "gs1_urn.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(int c)
{
    return gs1_ai_hex_value(c) >= 0;
}

/* gs1_ai_lookup(ai) for the AI names of gs1_urn's scheme table (static
 * strings: known by their address), through a small per-thread cache --
 * a URN's key and qualifier AIs were two table searches per reading. */
static const gs1_ai_t *lookup_static(const char *ai)
{
    static _Thread_local struct {
        const char *ai;
        const gs1_ai_t *e;
    } cache[8];
    size_t slot = ((uintptr_t)ai >> 2) % 8;
    if (cache[slot].ai != ai) {
        cache[slot].e = gs1_ai_lookup(ai, strlen(ai), 0);
        cache[slot].ai = ai;
    }
    return cache[slot].e;
}

/* ai: a static string of gs1_urn's scheme table */
static int add_checked(gs1_ai_list_t *l, const char *ai, const char *v, size_t n, unsigned flags,
                       gs1_err_t *err)
{
    const gs1_ai_t *e = lookup_static(ai);
    int rc;
    if ((rc = gs1_ai_validate(ai, e, v, n, flags, err)) < 0)
        return gs1_err_prefix(err, "EPC URN");
    return gs1_ai_list_add(l, ai, e, v, n, err);
}

/* gs1_ident_urn_to_ai with parser flags (GS1_NO_CHECK_DIGITS for the
 * event hash): the URN read by gs1_urn (with the AI side's leniency,
 * GS1_URN_ANY_ESCAPE), its parts put together into the GS1 key. */
static int urn_to_ai(const char *urn, size_t len, unsigned flags, gs1_ai_list_t *out,
                     int *gcp_length, gs1_err_t *err)
{
    const gs1_urn_scheme_t *s;
    gs1_urn_t u;
    const char *form;
    char key[GS1_AI_MAX_VALUE + 1];
    const char *ser = NULL;
    size_t kn = 0, sn = 0, cpl, body;
    int rc;

    gs1_ai_list_clear(out);
    *gcp_length = 0;
    if ((rc = gs1_urn_scheme_of(urn, len, &s, &body, err)) < 0)
        return rc;
    if (!s->key_ai)
        return gs1_err_set(err, GS1_ENOTFOUND, "EPC scheme %s has no GS1 key", s->name);
    if ((rc = gs1_urn_read_body(s, urn, len, body, GS1_URN_ANY_ESCAPE, &u, err)) < 0)
        return rc;
    form = s->is_class ? "class" : "id";
    cpl = u.len[0];
    if (cpl < 6 || cpl > 12 || !gs1_ai_all_digits(u.part[0], cpl))
        return gs1_err_set(err, GS1_EINPUT,
                           "urn:epc:%s:%s: the GS1 Company Prefix must be 6 to 12 digits", form,
                           s->name);
    if (s->ser != GS1_URN_SER_NONE) {
        ser = u.part[s->nparts - 1];
        sn = u.len[s->nparts - 1];
    }
    if (s->digits) {
        size_t want = (size_t)s->digits - 1 - cpl;
        const char *ref = u.part[1];
        if (!gs1_ai_all_digits(ref, u.len[1]) || u.len[1] != want || (s->lead && u.len[1] < 1))
            return gs1_err_set(err, GS1_EINPUT,
                               "urn:epc:id:%s: company prefix and reference must be %u digits "
                               "together, not %zu",
                               s->name, s->digits - 1, cpl + u.len[1]);
        if (s->zero)
            key[kn++] = '0';
        if (s->lead)
            key[kn++] = ref[0];
        memcpy(key + kn, u.part[0], cpl);
        kn += cpl;
        memcpy(key + kn, ref + s->lead, u.len[1] - s->lead);
        kn += u.len[1] - s->lead;
        key[kn] = (char)('0' + gs1_ai_check_digit(key + s->zero, kn - s->zero));
        kn++;
        for (size_t k = 2; s->piece && k < 4; k++) {
            if (u.len[k] != 2 || !gs1_ai_all_digits(u.part[k], 2))
                return gs1_err_set(err, GS1_EINPUT,
                                   "urn:epc:id:itip: piece and total must be 2 digits each");
            memcpy(key + kn, u.part[k], 2);
            kn += 2;
        }
        if (ser && sn == 0)
            return gs1_err_set(err, GS1_EINPUT, "urn:epc:%s:%s: empty last part", form, s->name);
        if (s->ser == GS1_URN_SER_IN_KEY) {
            if (kn + sn > GS1_AI_MAX_VALUE)
                return gs1_err_set(err, GS1_EINPUT, "EPC URN: serial too long");
            memcpy(key + kn, ser, sn);
            kn += sn;
        }
    } else {
        if (u.len[1] == 0)
            return gs1_err_set(err, GS1_EINPUT, "urn:epc:id:%s: empty reference", s->name);
        if (cpl + u.len[1] > GS1_AI_MAX_VALUE)
            return gs1_err_set(err, GS1_EINPUT, "EPC URN reference: too long");
        memcpy(key, u.part[0], cpl);
        memcpy(key + cpl, u.part[1], u.len[1]);
        kn = cpl + u.len[1];
    }
    /* the check digit of a numeric key was computed above */
    if ((rc = add_checked(out, s->key_ai, key, kn, s->digits ? flags | GS1_CHECK_DIGIT_MADE : flags,
                          err)) < 0)
        return rc;
    /* SGLN extension 0 means "no extension" (TDS) */
    if (s->ser == GS1_URN_SER_QUAL && !(strcmp(s->name, "sgln") == 0 && sn == 1 && ser[0] == '0') &&
        (rc = add_checked(out, s->qual_ai, ser, sn, flags, err)) < 0)
        return rc;
    *gcp_length = (int)cpl;
    return 0;
}

int gs1_ident_urn_to_ai(const char *urn, size_t len, gs1_ai_list_t *out, int *gcp_length,
                        gs1_err_t *err)
{
    return urn_to_ai(urn, len, 0, out, gcp_length, err);
}

/* The scheme of the GS1 data in l (with its path), and whether it has an
 * EPC form; *name gets a scheme name in any case. */
static const gs1_urn_scheme_t *scheme_of(const gs1_ai_list_t *l, const gs1_dl_path_t *path,
                                         const char **name)
{
    const gs1_ai_field_t *k = &l->f[path->key];
    const char *qual[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < path->nqual; i++)
        qual[i] = l->f[path->qual[i]].ai;
    size_t ns;
    const gs1_urn_scheme_t *schemes = gs1_urn_schemes(&ns);
    for (size_t i = 0; i < ns; i++) {
        const gs1_urn_scheme_t *s = &schemes[i];
        bool has_qual = false;
        if (!s->key_ai || strcmp(s->key_ai, k->ai) != 0)
            continue;
        for (size_t q = 0; q < 3 && s->qual_ai; q++)
            has_qual = has_qual || (qual[q] && strcmp(qual[q], s->qual_ai) == 0);
        *name = s->name;
        if (strcmp(s->key_ai, "01") == 0 && !has_qual)
            continue; /* sgtin, lgtin, upui: by their qualifier, in that order */
        if (s->ser == GS1_URN_SER_QUAL && !has_qual && strcmp(s->name, "sgln") != 0)
            return NULL; /* itip, cpi without serial */
        if (s->ser == GS1_URN_SER_IN_KEY && k->len <= (size_t)s->digits + s->zero)
            return NULL; /* grai, gdti, sgcn without serial */
        return s;
    }
    *name = strcmp(k->ai, "01") == 0     ? "gtin"
            : strcmp(k->ai, "8013") == 0 ? "gmn"
            : strcmp(k->ai, "415") == 0  ? "gln"
                                         : "gs1";
    return NULL;
}

/* Appends the URN form of v[0..n) in set `set`. */
static size_t urn_escape(const char *v, size_t n, char set, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (gs1_urn_must_escape(c, set)) {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}

int gs1_ident_ai_to_urn(const gs1_ai_list_t *l, int gcp_length, char *out, size_t cap,
                        gs1_err_t *err)
{
    gs1_dl_path_t path;
    const gs1_urn_scheme_t *s;
    const char *name;
    const gs1_ai_field_t *k, *q = NULL;
    char buf[64 + 3 * 2 * GS1_AI_MAX_VALUE];
    size_t o, cpl = (size_t)gcp_length;
    int rc;

    if (cap)
        out[0] = '\0';
    if ((rc = gs1_dl_select(l, &path, err)) < 0)
        return rc;
    s = scheme_of(l, &path, &name);
    if (!s)
        return gs1_err_set(err, GS1_ENOTFOUND, "%s: no EPC URN for this identifier", name);
    k = &l->f[path.key];
    for (size_t i = 0; s->qual_ai && i < path.nqual; i++)
        if (strcmp(l->f[path.qual[i]].ai, s->qual_ai) == 0)
            q = &l->f[path.qual[i]];
    if (gcp_length < 6 || gcp_length > 12)
        return gs1_err_set(err, GS1_EINPUT,
                           "GS1 Company Prefix length %d: an EPC URN needs 6 to 12 digits",
                           gcp_length);
    o = (size_t)snprintf(buf, sizeof buf, "urn:epc:%s:%s:", s->is_class ? "class" : "id", s->name);
    if (s->digits) {
        const char *v = k->value + s->zero;
        if ((size_t)s->digits - 1 - s->lead < cpl)
            return gs1_err_set(err, GS1_EINPUT,
                               "GS1 Company Prefix length %d does not fit the %s %s", gcp_length,
                               gs1_ai_lookup(k->ai, strlen(k->ai), 0)->title, k->value);
        memcpy(buf + o, v + s->lead, cpl);
        o += cpl;
        buf[o++] = '.';
        if (s->lead)
            buf[o++] = v[0];
        memcpy(buf + o, v + s->lead + cpl, s->digits - 1 - s->lead - cpl);
        o += s->digits - 1 - s->lead - cpl;
        if (s->piece) {
            o += (size_t)snprintf(buf + o, sizeof buf - o, ".%.2s.%.2s", v + 14, v + 16);
        }
        if (s->ser == GS1_URN_SER_IN_KEY) {
            buf[o++] = '.';
            o += urn_escape(v + s->digits, k->len - s->zero - s->digits, s->sset, buf + o);
        } else if (s->ser == GS1_URN_SER_QUAL) {
            buf[o++] = '.';
            if (q)
                o += urn_escape(q->value, q->len, s->sset, buf + o);
            else
                buf[o++] = '0'; /* SGLN without extension */
        }
    } else {
        if (k->len <= cpl || !gs1_ai_all_digits(k->value, cpl))
            return gs1_err_set(err, GS1_EINPUT, "GS1 Company Prefix length %d does not fit (%s) %s",
                               gcp_length, k->ai, k->value);
        memcpy(buf + o, k->value, cpl);
        o += cpl;
        buf[o++] = '.';
        o += urn_escape(k->value + cpl, k->len - cpl, s->kset, buf + o);
        if (q) {
            buf[o++] = '.';
            o += urn_escape(q->value, q->len, s->sset, buf + o);
        }
    }
    if (o >= cap)
        return gs1_err_set(err, GS1_ETOOBIG, "EPC URN does not fit in %zu bytes", cap);
    memcpy(out, buf, o);
    out[o] = '\0';
    return 0;
}

/* ---- the identifier ------------------------------------------------------ */

typedef struct {
    char *base;
    size_t cap, used;
} arena_t;

/* Copies s[0..n) into the arena; NULL if it does not fit (sized so that it
 * always does). */
static const char *adup(arena_t *a, const char *s, size_t n)
{
    char *p;
    if (!s || a->used + n + 1 > a->cap)
        return NULL;
    p = a->base + a->used;
    memcpy(p, s, n);
    p[n] = '\0';
    a->used += n + 1;
    return p;
}

static const char *astr(arena_t *a, const char *s)
{
    return s ? adup(a, s, strlen(s)) : NULL;
}

void gs1_ident_clear(gs1_ident_t *id)
{
    if (!id)
        return;
    free(id->mem_);
    memset(id, 0, sizeof *id);
}

static int alloc_arena(gs1_ident_t *out, arena_t *a, size_t cap, gs1_err_t *err)
{
    a->base = malloc(cap);
    if (!a->base)
        return gs1_err_set(err, GS1_ENOMEM, "out of memory for an identifier");
    a->cap = cap;
    a->used = 0;
    out->mem_ = a->base;
    return 0;
}

/* What the classification found, handed to the GS1 part. */
typedef struct {
    const char *kind;
    int epc_cpl;         /* GS1 Company Prefix length the input carried, 0 = none */
    const char *tag_urn; /* from gs1_epc, or NULL */
    const char *hex;
} src_t;

/* Fills out from the GS1 fields in l. */
static int from_fields(const char *in, size_t n, const gs1_ai_list_t *l, const src_t *src,
                       const gs1_ident_opts_t *opts, unsigned flags, gs1_ident_t *out,
                       gs1_err_t *err)
{
    arena_t a = {NULL, 0, 0};
    gs1_dl_path_t path;
    size_t big = 3 * l->used + 8 * l->n + 256;
    char *tmp;
    const char *name = NULL;
    int rc, cpl = 0;
    gs1_err_t e2;
    char note[2 * sizeof e2.msg + 64] = "", table_msg[sizeof e2.msg] = "";

    if ((rc = gs1_dl_select(l, &path, err)) < 0)
        return rc;
    if (out->keyout_) /* gs1_ident_key: the key only */
        return gs1_dl_key(l, out->keyout_, out->keycap_, err);
    if ((rc = alloc_arena(out, &a, n + 6 * big + l->used + 3072, err)) < 0)
        return rc;
    tmp = a.base + a.cap - big; /* scratch at the end, kept out of the strings' way */
    a.cap -= big;
    out->input = adup(&a, in, n);
    out->kind = src->kind;
    scheme_of(l, &path, &name);
    out->scheme = name;
    if ((rc = gs1_dl_key(l, tmp, big, err)) < 0)
        return rc;
    out->key = astr(&a, tmp);
    if (gs1_dl_build(l, NULL, flags, tmp, big, &e2) == 0) {
        out->dl = astr(&a, tmp);
    } else if ((rc = gs1_dl_canonical(l, tmp, big, err)) == 0) {
        out->dl = astr(&a, tmp);
        snprintf(note, sizeof note, "the Digital Link leaves data out: %s", e2.msg);
    } else {
        return rc;
    }
    if ((rc = gs1_elem_bracketed(l, tmp, big, err)) < 0)
        return rc;
    out->element_string = astr(&a, tmp);
    out->epc_tag_urn = astr(&a, src->tag_urn);
    out->epc_hex = astr(&a, src->hex);

    /* the GS1 Company Prefix length: from the EPC, an option, the table */
    if (src->epc_cpl) {
        cpl = src->epc_cpl;
        out->gcp_source = "epc";
    } else if (opts && opts->gcp_length) {
        cpl = opts->gcp_length;
        out->gcp_source = "option";
    } else if (opts && opts->gcp) {
        const gs1_ai_field_t *k = &l->f[path.key];
        int g = gs1_gcp_key_length(opts->gcp, k->ai, k->value, &e2);
        if (g > 0) {
            cpl = g;
            out->gcp_source = "table";
        } else {
            snprintf(table_msg, sizeof table_msg, "%s", e2.msg);
        }
    }
    out->gcp_length = cpl;
    rc = gs1_ident_ai_to_urn(l, cpl ? cpl : 6, tmp, big, &e2);
    if (rc == 0 && cpl) {
        out->epc_urn = astr(&a, tmp);
    } else if (rc == 0 || (rc != GS1_ENOTFOUND && !cpl)) {
        size_t o = strlen(note);
        snprintf(note + o, sizeof note - o,
                 "%sGS1 Company Prefix length unknown, so no EPC URN: %s", o ? "; " : "",
                 *table_msg ? table_msg : "configure a GCP length table or give the length");
    } else if (rc != GS1_ENOTFOUND) {
        size_t o = strlen(note);
        snprintf(note + o, sizeof note - o, "%sno EPC URN: %s", o ? "; " : "", e2.msg);
    }
    if (*note)
        out->note = astr(&a, note);
    for (size_t i = 0; i < l->n; i++) {
        out->fields[i].value = adup(&a, l->f[i].value, l->f[i].len);
        memcpy(out->fields[i].ai, l->f[i].ai, sizeof out->fields[i].ai);
        out->fields[i].title = l->f[i].e->title;
    }
    out->nfields = l->n;
    if (!out->key || !out->element_string || !out->input)
        return gs1_err_set(err, GS1_ENOMEM, "identifier storage too small (bug)");
    return 0;
}

/* Non-GS1 identifiers: the key is the text itself (or given). */
static int plain(const char *in, size_t n, const char *kind, const char *scheme, const char *key,
                 size_t keylen, const src_t *src, gs1_ident_t *out, gs1_err_t *err)
{
    arena_t a = {NULL, 0, 0};
    int rc;
    if (out->keyout_) { /* gs1_ident_key: the key only */
        if (keylen >= out->keycap_)
            return gs1_err_set(err, GS1_ETOOBIG, "key of %zu bytes does not fit", keylen);
        memcpy(out->keyout_, key, keylen);
        out->keyout_[keylen] = '\0';
        return 0;
    }
    if ((rc = alloc_arena(out, &a, 2 * n + keylen + 512, err)) < 0)
        return rc;
    out->input = adup(&a, in, n);
    out->kind = kind;
    out->scheme = scheme;
    out->key = adup(&a, key, keylen);
    if (src) { /* an EPC without GS1 key: the key is its pure URN */
        out->epc_urn = out->key;
        out->epc_tag_urn = astr(&a, src->tag_urn);
        out->epc_hex = astr(&a, src->hex);
    }
    return 0;
}

/* A raw EPC URI (GS1 EPC Tag Data Standard, "EPC raw URI"): what a reader
 * reports for a tag whose EPC is not a GS1 one (or cannot be decoded):
 * urn:epc:raw:LENGTH.xHEX, or urn:epc:raw:LENGTH.AFI.xHEX for a tag whose
 * toggle bit is set (AFI: two hex digits), HEX being ceil(LENGTH / 4)
 * digits. No GS1 key: its key is the URI with the hex in upper case, so
 * that every spelling of one tag is one identifier. */
static int raw_urn(const char *in, size_t n, const char *s, size_t sn, gs1_ident_t *out,
                   gs1_err_t *err)
{
    char key[GS1_IDENT_MAX_INPUT + 1];
    const char *p = s + 12, *end = s + sn, *hex;
    unsigned long bits = 0;
    size_t nd = 0, k;
    for (; p < end && is_digit((unsigned char)*p) && nd < 5; p++, nd++)
        bits = bits * 10 + (unsigned long)(*p - '0');
    if (!nd || p >= end || *p != '.' || bits == 0 || bits > 4096)
        return gs1_err_set(err, GS1_EINPUT,
                           "raw EPC URI: expected urn:epc:raw:LENGTH.xHEX, LENGTH the EPC's bits "
                           "(1 to 4096)");
    p++;
    if (end - p > 3 && is_hex((unsigned char)p[0]) && is_hex((unsigned char)p[1]) && p[2] == '.')
        p += 3; /* the AFI */
    if (p >= end || (*p | 0x20) != 'x')
        return gs1_err_set(err, GS1_EINPUT,
                           "raw EPC URI: expected x and the EPC in hex after the length");
    hex = ++p;
    while (p < end && is_hex((unsigned char)*p))
        p++;
    if (p != end || (size_t)(p - hex) != (bits + 3) / 4)
        return gs1_err_set(err, GS1_EINPUT, "raw EPC URI: %lu bits take %lu hex digits, not %zu",
                           bits, (bits + 3) / 4, (size_t)(end - hex));
    k = sn;
    memcpy(key, "urn:epc:raw:", 12);
    for (size_t i = 12; i < k; i++) {
        char c = s[i];
        key[i] = (c >= 'a' && c <= 'f') ? (char)(c - 32) : c == 'X' ? 'x' : c;
    }
    key[k] = '\0';
    return plain(in, n, "epc-raw-urn", "raw", key, k, NULL, out, err);
}

static int nfc_uid(const char *in, size_t n, gs1_ident_t *out, gs1_err_t *err)
{
    char key[8 + 64];
    size_t h = n - 8;
    if (h < 2 || h > 64 || h % 2)
        return gs1_err_set(err, GS1_EINPUT,
                           "nfc-uid: expected an even number of hex digits (2 to 64)");
    memcpy(key, "nfc-uid:", 8);
    for (size_t i = 0; i < h; i++) {
        int c = (unsigned char)in[8 + i];
        if (!is_hex(c))
            return gs1_err_set(err, GS1_EINPUT, "nfc-uid: '%c' is not a hex digit", c);
        key[8 + i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
    }
    return plain(in, n, "nfc-uid", "nfc-uid", key, n, NULL, out, err);
}

/* An EPC (gs1_epc object) to the identifier. */
static int from_epc(const char *in, size_t n, gs1_epc_t *e, const char *kind,
                    const gs1_ident_opts_t *opts, unsigned flags, gs1_ident_t *out, gs1_err_t *err)
{
    gs1_ai_list_t l;
    const char *urn = gs1_epc_pure_urn(e);
    src_t src = {kind, 0, gs1_epc_tag_urn(e), gs1_epc_hex(e)};
    int cpl, rc = gs1_ident_urn_to_ai(urn, strlen(urn), &l, &cpl, err);
    if (rc == GS1_ENOTFOUND)
        return plain(in, n, kind, gs1_epc_scheme(e), urn, strlen(urn), &src, out, err);
    if (rc < 0)
        return rc;
    src.epc_cpl = cpl;
    return from_fields(in, n, &l, &src, opts, flags, out, err);
}

static bool uri_like(const char *s, size_t n)
{
    size_t i = 0;
    if (n < 3 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
        return false;
    while (i < n && (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') ||
                     is_digit((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= n - 1 || s[i] != ':')
        return false;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
        if (c <= 0x20 || c == 0x7f || (c >= 0x80 && c < 0xC2) || c > 0xF4)
            return false;
        /* an IRI's non-ASCII characters must be well-formed UTF-8 */
        for (size_t k = 1; k <= more; k++)
            if (i + k >= n || ((unsigned char)s[i + k] & 0xC0) != 0x80)
                return false;
        i += more;
    }
    return true;
}

/* An EPC pattern URN (urn:epc:idpat:<scheme>:<c>.<c>...) to the AI fields
 * of its class key, as the event hash reads it (TDS 14.3 / CBV 2.0): the
 * components from the first '*' on must all be '*'; with none it is the
 * pure identity; when exactly the instance part is '*' the pattern names
 * the class (GTIN, GLN, the GRAI / GDTI / GCN without serial, CPID, ITIP)
 * and l gets that one field; a pattern of anything coarser, or of a scheme
 * without a class key, is valid but has no key: GS1_ENOTFOUND.  flags go to
 * the field checks.  GS1_EINPUT for a malformed pattern. */
static int idpat_to_ai(const char *s, size_t sn, unsigned flags, gs1_ai_list_t *l, gs1_err_t *err)
{
    static const struct {
        const char *name;
        unsigned char ncomp, first_inst, class_len; /* class_len: 0 = no class key */
    } pats[] = {
        {"sgtin", 3, 2, 14}, {"upui", 3, 2, 14}, {"sgln", 3, 2, 13}, {"grai", 3, 2, 14},
        {"gdti", 3, 2, 13},  {"sgcn", 3, 2, 13}, {"cpi", 3, 2, 30},  {"itip", 5, 4, 18},
        {"sscc", 2, 1, 0},   {"giai", 2, 1, 0},  {"gsrn", 2, 1, 0},  {"gsrnp", 2, 1, 0},
        {"ginc", 2, 1, 0},   {"gsin", 2, 1, 0},  {"pgln", 2, 1, 0},
    };
    const char *body = s + 14, *end = s + sn, *colon = memchr(body, ':', (size_t)(end - body));
    char urn[GS1_IDENT_MAX_INPUT + 16];
    size_t k, ncomp = 1, star = 0, o;
    int first_star = -1, cpl, rc;

    gs1_ai_list_clear(l);
    if (!colon)
        return gs1_err_set(err, GS1_EINPUT, "EPC pattern URN without a scheme");
    for (k = 0; k < NELEM(pats); k++)
        if (strlen(pats[k].name) == (size_t)(colon - body) &&
            memcmp(pats[k].name, body, (size_t)(colon - body)) == 0)
            break;
    if (k == NELEM(pats))
        return gs1_err_set(err, GS1_EINPUT, "unknown EPC pattern scheme '%.*s'",
                           (int)(colon - body > 16 ? 16 : colon - body), body);
    for (const char *c = colon + 1, *dot; c <= end; c = dot + 1, ncomp++) {
        dot = memchr(c, '.', (size_t)(end - c));
        if (!dot)
            dot = end;
        if (dot - c == 1 && *c == '*') {
            if (first_star < 0)
                first_star = (int)ncomp - 1;
            star++;
        } else if (first_star >= 0) {
            return gs1_err_set(err, GS1_EINPUT, "%s pattern: only trailing components may be '*'",
                               pats[k].name);
        }
        if (dot == end)
            break;
    }
    if (ncomp != pats[k].ncomp)
        return gs1_err_set(err, GS1_EINPUT, "%s: expected %u dot-separated parts", pats[k].name,
                           pats[k].ncomp);
    if (first_star < 0) { /* no star: the instance itself */
        o = (size_t)snprintf(urn, sizeof urn, "urn:epc:id:%.*s", (int)(end - body), body);
        return urn_to_ai(urn, o, flags, l, &cpl, err);
    }
    if (first_star != pats[k].first_inst || !pats[k].class_len)
        return gs1_err_set(err, GS1_ENOTFOUND, "an EPC pattern of no one GS1 key");
    /* the class with a stand-in instance part "0", then the key alone */
    o = (size_t)snprintf(urn, sizeof urn, "urn:epc:id:%.*s0", (int)(end - body - 1), body);
    if ((rc = urn_to_ai(urn, o, flags, l, &cpl, err)) < 0)
        return rc;
    l->n = 1;
    if (l->f[0].len > pats[k].class_len)
        l->f[0].len = pats[k].class_len, ((char *)l->f[0].value)[pats[k].class_len] = '\0';
    return 0;
}

int gs1__idpat_to_ai(const char *s, size_t sn, unsigned flags, gs1_ai_list_t *l, gs1_err_t *err)
{
    return idpat_to_ai(s, sn, flags, l, err);
}

int gs1__urn_to_ai(const char *urn, size_t len, unsigned flags, gs1_ai_list_t *out, int *gcp_length,
                   gs1_err_t *err)
{
    return urn_to_ai(urn, len, flags, out, gcp_length, err);
}

static int classify(const char *in, size_t n, const char *s, size_t sn,
                    const gs1_ident_opts_t *opts, unsigned flags, int depth, gs1_ident_t *out,
                    gs1_err_t *err)
{
    gs1_ai_list_t l;
    src_t src = {NULL, 0, NULL, NULL};
    size_t hexd = 0, other = 0, digits = 0;
    int rc;
    bool gs1;
    gs1_epc_t *e = NULL;

    if (sn == 0)
        return gs1_err_set(err, GS1_EINPUT, "no data after the symbology identifier");
    if (sn > 8 && strncasecmp(s, "nfc-uid:", 8) == 0)
        return nfc_uid(s, sn, out, err);
    if (sn > 12 && strncasecmp(s, "urn:epc:raw:", 12) == 0)
        return raw_urn(in, n, s, sn, out, err);
    if (sn > 8 && strncasecmp(s, "urn:epc:", 8) == 0) {
        int cpl;
        if (sn > 12 && strncasecmp(s, "urn:epc:tag:", 12) == 0) {
            if ((rc = gs1_epc_from_tag_urn(s, sn, &e, err)) < 0)
                return rc;
            rc = from_epc(in, n, e, "epc-tag-urn", opts, flags, out, err);
            gs1_epc_free(e);
            return rc;
        }
        if (sn > 14 && strncasecmp(s, "urn:epc:idpat:", 14) == 0) {
            /* a class pattern is its class key; another pattern is kept */
            if ((rc = idpat_to_ai(s, sn, 0, &l, err)) == GS1_ENOTFOUND)
                return plain(in, n, "epc-idpat-urn", "idpat", s, sn, NULL, out, err);
            if (rc < 0)
                return rc;
            src.kind = "epc-idpat-urn";
            return from_fields(in, n, &l, &src, opts, flags, out, err);
        }
        rc = gs1_ident_urn_to_ai(s, sn, &l, &cpl, err);
        if (rc == GS1_ENOTFOUND) {
            /* no GS1 key: gs1_epc checks the schemes it knows (gid, usdod,
             * adi); bic and imovn are kept as they are */
            bool bic = sn > 15 && strncmp(s + 11, "bic:", 4) == 0;
            bool imovn = sn > 17 && strncmp(s + 11, "imovn:", 6) == 0;
            bool adi = sn > 15 && strncmp(s + 11, "adi:", 4) == 0;
            if ((bic || imovn || adi) && uri_like(s, sn)) {
                src.kind = "epc-urn";
                return plain(in, n, "epc-urn",
                             bic     ? "bic"
                             : imovn ? "imovn"
                                     : "adi",
                             s, sn, &src, out, err);
            }
            if ((rc = gs1_epc_parse_pure_urn(s, sn, &e, err)) < 0)
                return rc;
            src.kind = "epc-urn";
            rc = plain(in, n, "epc-urn", gs1_epc_scheme(e), gs1_epc_pure_urn(e),
                       strlen(gs1_epc_pure_urn(e)), &src, out, err);
            gs1_epc_free(e);
            return rc;
        }
        if (rc < 0)
            return rc;
        src.kind = strncasecmp(s, "urn:epc:class:", 14) == 0 ? "epc-class-urn" : "epc-urn";
        src.epc_cpl = cpl;
        return from_fields(in, n, &l, &src, opts, flags, out, err);
    }
    if ((sn > 7 && strncasecmp(s, "http://", 7) == 0) ||
        (sn > 8 && strncasecmp(s, "https://", 8) == 0)) {
        if (!gs1_dl_looks_like(s, sn, flags)) {
            if (!uri_like(s, sn))
                return gs1_err_set(err, GS1_EINPUT,
                                   "URL contains a space, a control character or bytes that "
                                   "are not UTF-8");
            return plain(in, n, "url", "url", s, sn, NULL, out, err);
        }
        if ((rc = gs1_dl_parse(s, sn, flags, &l, NULL, err)) < 0)
            return rc;
        src.kind = "dl";
        return from_fields(in, n, &l, &src, opts, flags, out, err);
    }
    if (gs1_elem_symid(s, sn, &gs1)) {
        if (!gs1 && depth == 0) /* ]Q1, ]d1, ...: plain data follows */
            return classify(in, n, s + 3, sn - 3, opts, flags, 1, out, err);
        if ((rc = gs1_elem_parse_raw(s, sn, flags, &l, err)) < 0)
            return rc;
        src.kind = s[1] == 'E' || s[1] == 'I' ? "gtin" : "element-string";
        return from_fields(in, n, &l, &src, opts, flags, out, err);
    }
    if (s[0] == '(') {
        if ((rc = gs1_elem_parse_bracketed(s, sn, flags, &l, err)) < 0)
            return rc;
        src.kind = "element-string";
        return from_fields(in, n, &l, &src, opts, flags, out, err);
    }
    for (size_t i = 0; i < sn; i++) {
        int c = (unsigned char)s[i];
        digits += is_digit(c);
        if (is_hex(c))
            hexd++;
        else if (c != ' ' && c != '\t' && !(i == 1 && (c | 0x20) == 'x' && s[0] == '0'))
            other++;
    }
    if (digits == sn && (sn == 8 || sn == 12 || sn == 13 || sn == 14)) {
        char gtin[15];
        int want = gs1_ai_check_digit(s, sn - 1);
        if (want != s[sn - 1] - '0')
            return gs1_err_set(err, GS1_EINPUT, "GTIN-%zu %.*s: check digit is %c, expected %d", sn,
                               (int)sn, s, s[sn - 1], want);
        memset(gtin, '0', 14 - sn);
        memcpy(gtin + 14 - sn, s, sn);
        gs1_ai_list_clear(&l);
        if ((rc = gs1_ai_list_add(&l, "01", gs1_ai_lookup("01", 2, 0), gtin, 14, err)) < 0)
            return rc;
        src.kind = "gtin";
        return from_fields(in, n, &l, &src, opts, flags, out, err);
    }
    if (other == 0 && hexd >= 24) {
        /* EPC headers are 0x2C..0x41: all-digit text is tried as an element
         * string first unless it starts like an EPC */
        bool epc_first = digits != sn || s[0] == '3' || s[0] == '4';
        gs1_err_t e1, e3;
        if (epc_first && gs1_epc_from_hex(s, sn, &e, &e1) == 0)
            goto epc;
        if (digits != sn) {
            if (err)
                *err = e1;
            return e1.code;
        }
        if (gs1_elem_parse_raw(s, sn, flags, &l, &e3) == 0) {
            src.kind = "element-string";
            return from_fields(in, n, &l, &src, opts, flags, out, err);
        }
        if (!epc_first && gs1_epc_from_hex(s, sn, &e, &e1) == 0)
            goto epc;
        return gs1_err_set(err, GS1_EINPUT,
                           "neither EPC hex (%.400s) nor an element string (%.400s)", e1.msg,
                           e3.msg);
    epc:
        rc = from_epc(in, n, e, "epc-hex", opts, flags, out, err);
        gs1_epc_free(e);
        return rc;
    }
    if (memchr(s, GS1_ELEM_GS, sn) || memchr(s, '^', sn) || digits == sn) {
        if ((rc = gs1_elem_parse_raw(s, sn, flags, &l, err)) < 0)
            return rc;
        src.kind = "element-string";
        return from_fields(in, n, &l, &src, opts, flags, out, err);
    }
    if (uri_like(s, sn))
        return plain(in, n, "url", "url", s, sn, NULL, out, err);
    if (gs1_elem_parse_raw(s, sn, flags, &l, err) == 0) {
        src.kind = "element-string";
        return from_fields(in, n, &l, &src, opts, flags, out, err);
    }
    return gs1_err_prefix(err, "not a code keten knows (a Digital Link, GS1 element string, EPC "
                               "URN or hex, nfc-uid:<hex> or a URI); as an element string");
}

static int parse(const char *code, size_t len, const gs1_ident_opts_t *opts, gs1_ident_t *out,
                 gs1_err_t *err);

int gs1_ident_parse(const char *code, size_t len, const gs1_ident_opts_t *opts, gs1_ident_t *out,
                    gs1_err_t *err)
{
    if (!out)
        return gs1_err_set(err, GS1_EINVAL, "gs1_ident_parse: NULL argument");
    memset(out, 0, sizeof *out);
    return parse(code, len, opts, out, err);
}

int gs1_ident_key(const char *code, size_t len, const gs1_ident_opts_t *opts, char *key, size_t cap,
                  gs1_err_t *err)
{
    static _Thread_local gs1__memo_t memo[MEMO_N];
    gs1_ident_t id;
    uint32_t h = 0;
    int rc;
    if (!key || cap == 0)
        return gs1_err_set(err, GS1_EINVAL, "gs1_ident_key: NULL argument");
    if (!opts && code) { /* the same identifiers come again and again (gs1__memo.h) */
        h = gs1__memo_hash(code, len);
        if (gs1__memo_get(memo, h, code, len, key, cap, &rc))
            return rc;
    }
    memset(&id, 0, sizeof id);
    id.keyout_ = key;
    id.keycap_ = cap;
    key[0] = '\0';
    rc = parse(code, len, opts, &id, err);
    if (rc >= 0 && !opts && code)
        gs1__memo_put(memo, h, code, len, key, rc);
    return rc;
}

static int parse(const char *code, size_t len, const gs1_ident_opts_t *opts, gs1_ident_t *out,
                 gs1_err_t *err)
{
    unsigned flags;
    int rc;

    if (!code)
        return gs1_err_set(err, GS1_EINVAL, "gs1_ident_parse: NULL code");
    while (len > 0 && strchr(" \t\r\n", code[0]) && code[0])
        code++, len--;
    while (len > 0 && strchr(" \t\r\n", code[len - 1]) && code[len - 1])
        len--;
    if (len == 0)
        return gs1_err_set(err, GS1_EINPUT, "empty code");
    if (len > GS1_IDENT_MAX_INPUT)
        return gs1_err_set(err, GS1_EINPUT, "code of %zu bytes: longer than %d", len,
                           GS1_IDENT_MAX_INPUT);
    if (memchr(code, '\0', len))
        return gs1_err_set(err, GS1_EINPUT, "code contains a NUL byte at position %zu",
                           (size_t)((const char *)memchr(code, '\0', len) - code) + 1);
    flags = opts && opts->strict ? 0 : GS1_LENIENT | GS1_NO_PAIRS;
    rc = classify(code, len, code, len, opts, flags, 0, out, err);
    if (rc < 0 && !out->keyout_)
        gs1_ident_clear(out);
    return rc;
}

bool gs1_ident_is_class(const gs1_ident_t *id)
{
    const char *s = id->scheme;
    bool serial = false;
    if (!s || !id->nfields)
        return false;
    if (strcmp(s, "gtin") == 0 || strcmp(s, "lgtin") == 0 || strcmp(s, "gmn") == 0)
        return true;
    for (size_t i = 0; i < id->nfields; i++) {
        const char *ai = id->fields[i].ai, *v = id->fields[i].value;
        if (strcmp(ai, "21") == 0 || strcmp(ai, "8011") == 0 ||
            (strcmp(s, "itip") == 0 && strcmp(ai, "10") == 0))
            serial = true; /* a qualified ITIP / CPID */
        /* GRAI, GDTI, GCN: the serial is the key's tail */
        if ((strcmp(ai, "8003") == 0 && strlen(v) > 14) ||
            ((strcmp(ai, "253") == 0 || strcmp(ai, "255") == 0) && strlen(v) > 13))
            serial = true;
    }
    if (strcmp(s, "itip") == 0 || strcmp(s, "cpi") == 0 || strcmp(s, "grai") == 0 ||
        strcmp(s, "gdti") == 0 || strcmp(s, "sgcn") == 0)
        return !serial;
    return false;
}
