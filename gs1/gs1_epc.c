/* gs1_epc.c -- EPC hex, tag URNs, pure identity URNs and the GS1 key
 * view (see gs1_epc.h).
 *
 * How it works: every form is first brought to a gs1_epc_fields_t (the
 * EPC's fields as text: company prefix, reference digits, unescaped serial,
 * plus the binary coding and filter when there is one). gs1_tds.c
 * does hex <-> fields and owns the TDS tables and rules; gs1_urn.c reads
 * URN text (the same reader gs1_ident uses, here with TDS's escapes only);
 * this file puts its parts into fields and, once they are valid, writes every other
 * form into the one result object ("finish"): hex, tag URN, pure URN, GS1
 * element string components with their check digits. Text is built with a
 * tiny bounded appender, no printf, so that a decode is one allocation and
 * a few hundred nanoseconds.
 */
#include "gs1_epc.h"

#include <stdlib.h>
#include <string.h>

#include "gs1_ai.h"
#include "gs1_tds.h"
#include "gs1_urn.h"

struct gs1_epc {
    gs1_epc_fields_t f;
    size_t ngs1;
    gs1_epc_ai_t gs1[2];
    char gs1val[2][56];
    char elem[128];
    char hex[GS1_TDS_HEX_MAX];
    char tag[GS1_EPC_URN_MAX];
    char pure[GS1_EPC_URN_MAX];
};

/* Codings keten knows by name but does not support (URN messages). */
static const char *const OTHER_CODINGS[] = {"adi-var", "gdti-113"};

/* ---- text helpers ------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t n, cap;
} sb_t;

static void sb_init(sb_t *b, char *buf, size_t cap)
{
    b->p = buf;
    b->n = 0;
    b->cap = cap;
    buf[0] = 0;
}

static void sb_mem(sb_t *b, const char *s, size_t n)
{
    if (b->n + n >= b->cap)
        n = b->cap - 1 - b->n; /* cannot happen with our sizes; keep it bounded */
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sb_t *b, const char *s)
{
    sb_mem(b, s, strlen(s));
}

static void sb_chr(sb_t *b, char c)
{
    sb_mem(b, &c, 1);
}

/* Appends s with the URN escapes of TDS (gs1_urn's: the seven of GS1 set
 * 82, and '#' of a CPI reference). */
static void sb_esc(sb_t *b, const char *s)
{
    static const char HEX[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (gs1_urn_must_escape(c, 'X') || gs1_urn_must_escape(c, 'Y')) {
            char e[3] = {'%', HEX[c >> 4], HEX[c & 15]};
            sb_mem(b, e, 3);
        } else {
            sb_chr(b, (char)c);
        }
    }
}

static int ieq_prefix(const char *s, size_t len, const char *pre)
{
    size_t n = strlen(pre);
    if (len < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (c != pre[i])
            return 0;
    }
    return 1;
}

static int in_list(const char *const *list, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
            return 1;
    return 0;
}

/* ---- URN parsing -------------------------------------------------------------- */

/* Copies URN part i of u into dst of size cap. */
static int part_copy(const char *label, const char *what, const gs1_urn_t *u, size_t i, char *dst,
                     size_t cap, gs1_err_t *err)
{
    if (u->len[i] >= cap)
        return gs1_err_set(err, GS1_EINPUT, "%s %s is too long (%zu characters)", label, what,
                           u->len[i]);
    memcpy(dst, u->part[i], u->len[i] + 1);
    return 0;
}

/* Reads the URN body urn[body..len) (after "scheme:" or "coding:filter.")
 * of scheme with gs1_urn (TDS escapes only) into f and checks the
 * identity rules. */
static int parse_body(int scheme, const char *urn, size_t len, size_t body, gs1_epc_fields_t *f,
                      gs1_err_t *err)
{
    const char *label = gs1_tds_scheme_name(scheme);
    const gs1_urn_scheme_t *s = gs1_urn_scheme(label, strlen(label), false);
    gs1_urn_t u;
    int rc;

    if (!s) /* cannot happen: gs1_urn reads every scheme gs1_tds codes */
        return gs1_err_set(err, GS1_EINPUT, "EPC scheme %s has no URN reader", label);
    if ((rc = gs1_urn_read_body(s, urn, len, body, 0, &u, err)) < 0)
        return rc;
    f->scheme = scheme;
    if ((rc = part_copy(label, "company prefix", &u, 0, f->cp, sizeof f->cp, err)) < 0)
        return rc;
    switch (scheme) {
    case GS1_EPC_GIAI:
        rc = part_copy(label, "asset reference", &u, 1, f->serial, sizeof f->serial, err);
        break;
    case GS1_EPC_SSCC:
    case GS1_EPC_GSRN:
    case GS1_EPC_GSRNP:
        rc = part_copy(label, "reference", &u, 1, f->ref, sizeof f->ref, err);
        break;
    case GS1_EPC_USDOD:
        rc = part_copy(label, "serial", &u, 1, f->serial, sizeof f->serial, err);
        break;
    case GS1_EPC_CPI:
    case GS1_EPC_GID:
        if ((rc = part_copy(label,
                            scheme == GS1_EPC_CPI ? "component/part reference" : "object class", &u,
                            1, f->ref, sizeof f->ref, err)) < 0)
            return rc;
        rc = part_copy(label, "serial", &u, 2, f->serial, sizeof f->serial, err);
        break;
    case GS1_EPC_ITIP:
        if ((rc = part_copy(label, "item reference", &u, 1, f->ref, sizeof f->ref, err)) < 0 ||
            (rc = part_copy(label, "piece", &u, 2, f->piece, sizeof f->piece, err)) < 0 ||
            (rc = part_copy(label, "total", &u, 3, f->total, sizeof f->total, err)) < 0)
            return rc;
        rc = part_copy(label, "serial", &u, 4, f->serial, sizeof f->serial, err);
        break;
    default:
        if ((rc = part_copy(label, "reference", &u, 1, f->ref, sizeof f->ref, err)) < 0)
            return rc;
        rc = part_copy(label, "serial", &u, 2, f->serial, sizeof f->serial, err);
    }
    if (rc < 0)
        return rc;
    return gs1_tds_check_identity(f, err);
}

/* ---- building the result --------------------------------------------------------- */

static void write_body(sb_t *b, const gs1_epc_fields_t *f)
{
    sb_str(b, f->cp);
    sb_chr(b, '.');
    switch (f->scheme) {
    case GS1_EPC_GIAI:
        sb_esc(b, f->serial);
        return;
    case GS1_EPC_SSCC:
    case GS1_EPC_GSRN:
    case GS1_EPC_GSRNP:
        sb_str(b, f->ref);
        return;
    case GS1_EPC_USDOD:
        sb_str(b, f->serial);
        return;
    case GS1_EPC_CPI:
        sb_esc(b, f->ref);
        sb_chr(b, '.');
        sb_str(b, f->serial);
        return;
    case GS1_EPC_ITIP:
        sb_str(b, f->ref);
        sb_chr(b, '.');
        sb_str(b, f->piece);
        sb_chr(b, '.');
        sb_str(b, f->total);
        sb_chr(b, '.');
        sb_esc(b, f->serial);
        return;
    default:
        sb_str(b, f->ref);
        sb_chr(b, '.');
        sb_esc(b, f->serial);
    }
}

/* digits of cp and ref, with the first ref digit (indicator / extension)
 * moved in front when lead is set, and the check digit appended. */
static void key_digits(sb_t *b, const gs1_epc_fields_t *f, int lead)
{
    size_t start = b->n;
    if (lead) {
        sb_chr(b, f->ref[0]);
        sb_str(b, f->cp);
        sb_str(b, f->ref + 1);
    } else {
        sb_str(b, f->cp);
        sb_str(b, f->ref);
    }
    sb_chr(b, (char)('0' + gs1_ai_check_digit(b->p + start, b->n - start)));
}

static void add_pair(gs1_epc_t *e, const char *ai, sb_t *val)
{
    e->gs1[e->ngs1].ai = ai;
    e->gs1[e->ngs1].value = val->p;
    e->ngs1++;
}

static void build_gs1(gs1_epc_t *e)
{
    const gs1_epc_fields_t *f = &e->f;
    sb_t v, w, el;
    const char *ai = NULL;

    sb_init(&v, e->gs1val[0], sizeof e->gs1val[0]);
    sb_init(&w, e->gs1val[1], sizeof e->gs1val[1]);
    e->ngs1 = 0;
    switch (f->scheme) {
    case GS1_EPC_SGTIN:
        key_digits(&v, f, 1);
        add_pair(e, "01", &v);
        sb_str(&w, f->serial);
        add_pair(e, "21", &w);
        break;
    case GS1_EPC_ITIP:
        key_digits(&v, f, 1);
        sb_str(&v, f->piece);
        sb_str(&v, f->total);
        add_pair(e, "8006", &v);
        sb_str(&w, f->serial);
        add_pair(e, "21", &w);
        break;
    case GS1_EPC_SSCC:
        key_digits(&v, f, 1);
        add_pair(e, "00", &v);
        break;
    case GS1_EPC_SGLN:
        key_digits(&v, f, 0);
        add_pair(e, "414", &v);
        if (strcmp(f->serial, "0") != 0) {
            sb_str(&w, f->serial);
            add_pair(e, "254", &w);
        }
        break;
    case GS1_EPC_GRAI:
        sb_chr(&v, '0');
        key_digits(&v, f, 0);
        sb_str(&v, f->serial);
        add_pair(e, "8003", &v);
        break;
    case GS1_EPC_GIAI:
        sb_str(&v, f->cp);
        sb_str(&v, f->serial);
        add_pair(e, "8004", &v);
        break;
    case GS1_EPC_GSRN:
    case GS1_EPC_GSRNP:
        key_digits(&v, f, 0);
        add_pair(e, f->scheme == GS1_EPC_GSRN ? "8018" : "8017", &v);
        break;
    case GS1_EPC_GDTI:
    case GS1_EPC_SGCN:
        key_digits(&v, f, 0);
        sb_str(&v, f->serial);
        add_pair(e, f->scheme == GS1_EPC_GDTI ? "253" : "255", &v);
        break;
    case GS1_EPC_CPI:
        sb_str(&v, f->cp);
        sb_str(&v, f->ref);
        add_pair(e, "8010", &v);
        sb_str(&w, f->serial);
        add_pair(e, "8011", &w);
        break;
    default: /* GID, USDOD: no GS1 key */
        break;
    }
    sb_init(&el, e->elem, sizeof e->elem);
    for (size_t i = 0; i < e->ngs1; i++) {
        ai = e->gs1[i].ai;
        sb_chr(&el, '(');
        sb_str(&el, ai);
        sb_chr(&el, ')');
        sb_str(&el, e->gs1[i].value);
    }
}

/* Fills every text form of e from e->f (valid identity; coding >= 0 means
 * a tag: then the coding must fit). */
static int finish(gs1_epc_t *e, gs1_err_t *err)
{
    const gs1_epc_fields_t *f = &e->f;
    const char *scheme = gs1_tds_scheme_name(f->scheme);
    sb_t b;
    int rc;

    sb_init(&b, e->pure, sizeof e->pure);
    sb_str(&b, "urn:epc:id:");
    sb_str(&b, scheme);
    sb_chr(&b, ':');
    write_body(&b, f);
    e->tag[0] = 0;
    if (f->coding >= 0) {
        if (!e->hex[0] && (rc = gs1_tds_encode_hex(f, e->hex, err)) < 0)
            return rc;
        sb_init(&b, e->tag, sizeof e->tag);
        sb_str(&b, "urn:epc:tag:");
        sb_str(&b, gs1_tds_coding_name(f->coding));
        sb_chr(&b, ':');
        if (f->scheme != GS1_EPC_GID) {
            if (f->filter >= 10)
                sb_chr(&b, (char)('0' + f->filter / 10));
            sb_chr(&b, (char)('0' + f->filter % 10));
            sb_chr(&b, '.');
        }
        write_body(&b, f);
    }
    build_gs1(e);
    return 0;
}

static gs1_epc_t *new_epc(gs1_err_t *err)
{
    gs1_epc_t *e = malloc(sizeof *e);
    if (!e) {
        gs1_err_set(err, GS1_ENOMEM, "out of memory");
        return NULL;
    }
    memset(&e->f, 0, sizeof e->f);
    e->f.coding = -1;
    e->f.filter = -1;
    e->hex[0] = 0; /* the hex decoder fills it; finish() encodes only when empty */
    return e;
}

/* Takes ownership of e: on success *out = e, on failure frees it. */
static int done(gs1_epc_t *e, gs1_epc_t **out, gs1_err_t *err)
{
    int rc = finish(e, err);
    if (rc < 0) {
        free(e);
        return rc;
    }
    *out = e;
    return 0;
}

/* ---- constructors -------------------------------------------------------------- */

int gs1_epc_from_hex(const char *hex, size_t len, gs1_epc_t **out, gs1_err_t *err)
{
    gs1_epc_t *e;
    int rc;

    if (!out)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_from_hex: out is NULL");
    *out = NULL;
    if (!hex)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_from_hex: hex is NULL");
    if (!(e = new_epc(err)))
        return GS1_ENOMEM;
    if ((rc = gs1_tds_decode_hex(hex, len, &e->f, e->hex, err)) < 0) {
        free(e);
        return rc;
    }
    return done(e, out, err);
}

int gs1_epc_from_tag_urn(const char *urn, size_t len, gs1_epc_t **out, gs1_err_t *err)
{
    static const char PRE[] = "urn:epc:tag:";
    gs1_epc_t *e = NULL;
    const char *p, *end, *colon;
    int coding, scheme, rc;

    if (!out)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_from_tag_urn: out is NULL");
    *out = NULL;
    if (!urn)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_from_tag_urn: urn is NULL");
    if (len > GS1_EPC_URN_IN_MAX)
        return gs1_err_set(err, GS1_EINPUT, "EPC tag URN is too long (%zu bytes)", len);
    if (!ieq_prefix(urn, len, PRE))
        return gs1_err_set(err, GS1_EINPUT, "an EPC tag URN starts with urn:epc:tag:");
    p = urn + sizeof PRE - 1;
    end = urn + len;
    colon = memchr(p, ':', (size_t)(end - p));
    if (!colon)
        return gs1_err_set(err, GS1_EINPUT, "EPC tag URN has no ':' after the coding name");
    coding = gs1_tds_coding_by_name(p, (size_t)(colon - p));
    if (coding < 0) {
        int n = (int)(colon - p > 40 ? 40 : colon - p);
        if (in_list(OTHER_CODINGS, sizeof OTHER_CODINGS / sizeof *OTHER_CODINGS, p,
                    (size_t)(colon - p)))
            return gs1_err_set(err, GS1_EINPUT, "EPC coding %.*s is not one keten supports", n, p);
        return gs1_err_set(err, GS1_EINPUT, "EPC coding \"%.*s\" is not one keten knows", n, p);
    }
    scheme = gs1_tds_coding_scheme(coding);
    if (!(e = new_epc(err)))
        return GS1_ENOMEM;
    e->f.coding = coding;
    p = colon + 1;
    if (scheme != GS1_EPC_GID) { /* the filter: 0..7 (usdod-96: 0..15), then '.' */
        int fmax = gs1_tds_filter_max(coding), v = -1;
        if (end - p >= 2 && p[0] >= '0' && p[0] <= '9' && p[1] == '.')
            v = p[0] - '0', p += 2;
        else if (end - p >= 3 && p[0] == '1' && p[1] >= '0' && p[1] <= '9' && p[2] == '.')
            v = 10 + p[1] - '0', p += 3;
        if (v < 0 || v > fmax) {
            rc = gs1_err_set(err, GS1_EINPUT,
                             "%s tag URN: the filter value must be 0 to %d, followed by '.'",
                             gs1_tds_coding_name(coding), fmax);
            goto fail;
        }
        e->f.filter = v;
    }
    if ((rc = parse_body(scheme, urn, len, (size_t)(p - urn), &e->f, err)) < 0)
        goto fail;
    e->f.coding = coding; /* parse_body keeps it, but be explicit */
    return done(e, out, err);
fail:
    free(e);
    return rc;
}

int gs1_epc_parse_pure_urn(const char *urn, size_t len, gs1_epc_t **out, gs1_err_t *err)
{
    static const char PRE[] = "urn:epc:id:";
    gs1_epc_t *e;
    const gs1_urn_scheme_t *us;
    size_t body = 0;
    int scheme = GS1_EPC_NONE, rc;

    if (!out)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_parse_pure_urn: out is NULL");
    *out = NULL;
    if (!urn)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_parse_pure_urn: urn is NULL");
    if (len > GS1_EPC_URN_IN_MAX)
        return gs1_err_set(err, GS1_EINPUT, "EPC URN is too long (%zu bytes)", len);
    if (!ieq_prefix(urn, len, PRE))
        return gs1_err_set(err, GS1_EINPUT,
                           "an EPC pure identity URN starts with "
                           "urn:epc:id:");
    /* the scheme: gs1_urn reads more than the TDS codes (pgln, ginc, gsin,
     * upui; adi, bic, imovn by name only) */
    rc = gs1_urn_scheme_of(urn, len, &us, &body, err);
    if (rc == 0)
        scheme = gs1_tds_scheme_by_name(us->name, strlen(us->name));
    if (rc == GS1_ENOTFOUND || (rc == 0 && scheme == GS1_EPC_NONE)) {
        const char *p = urn + sizeof PRE - 1, *colon = memchr(p, ':', len - (sizeof PRE - 1));
        int n = (int)(colon - p > 40 ? 40 : colon - p);
        return gs1_err_set(err, GS1_EINPUT, "EPC scheme %.*s is not one keten supports", n, p);
    }
    if (rc < 0)
        return rc;
    if (!(e = new_epc(err)))
        return GS1_ENOMEM;
    if ((rc = parse_body(scheme, urn, len, body, &e->f, err)) < 0) {
        free(e);
        return rc;
    }
    return done(e, out, err);
}

int gs1_epc_parse(const char *s, size_t len, gs1_epc_t **out, gs1_err_t *err)
{
    if (!out)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_parse: out is NULL");
    *out = NULL;
    if (!s)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_parse: s is NULL");
    while (len && strchr(" \t\r\n", s[0]) && s[0])
        s++, len--;
    while (len && strchr(" \t\r\n", s[len - 1]) && s[len - 1])
        len--;
    if (ieq_prefix(s, len, "urn:epc:tag:"))
        return gs1_epc_from_tag_urn(s, len, out, err);
    if (ieq_prefix(s, len, "urn:epc:id:"))
        return gs1_epc_parse_pure_urn(s, len, out, err);
    if (ieq_prefix(s, len, "urn:"))
        return gs1_err_set(err, GS1_EINPUT,
                           "%.*s...: only EPC pure identity (urn:epc:id:) and tag "
                           "(urn:epc:tag:) URNs name one EPC",
                           (int)(len < 20 ? len : 20), s);
    return gs1_epc_from_hex(s, len, out, err);
}

int gs1_epc_encode(const gs1_epc_t *e, const char *coding, int filter, gs1_epc_t **out,
                   gs1_err_t *err)
{
    gs1_epc_t *r;
    int codings[2], n, c = -1, rc;

    if (!out)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_encode: out is NULL");
    *out = NULL;
    if (!e)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_encode: e is NULL");
    n = gs1_tds_codings(e->f.scheme, codings);
    if (coding) {
        c = gs1_tds_coding_by_name(coding, strlen(coding));
        if (c < 0 || gs1_tds_coding_scheme(c) != e->f.scheme)
            return gs1_err_set(err, GS1_EINVAL, "\"%.40s\" is not a binary coding of %s", coding,
                               gs1_tds_scheme_name(e->f.scheme));
        if ((rc = gs1_tds_fits(&e->f, c, err)) < 0)
            return rc;
    } else {
        for (int i = 0; i < n && c < 0; i++)
            if (gs1_tds_fits(&e->f, codings[i], NULL) == 0)
                c = codings[i];
        if (c < 0) /* cannot happen: the long codings take every valid identity */
            return gs1_tds_fits(&e->f, codings[n - 1], err);
    }
    if (e->f.scheme != GS1_EPC_GID && (filter < 0 || filter > gs1_tds_filter_max(c)))
        return gs1_err_set(err, GS1_EINPUT, "%s filter value must be 0 to %d, not %d",
                           gs1_tds_coding_name(c), gs1_tds_filter_max(c), filter);
    if (!(r = new_epc(err)))
        return GS1_ENOMEM;
    r->f = e->f;
    r->f.coding = c;
    r->f.filter = e->f.scheme == GS1_EPC_GID ? -1 : filter;
    return done(r, out, err);
}

/* ---- from GS1 element string components ---------------------------------------- */

static const char *find_ai(const gs1_epc_ai_t *pairs, size_t n, const char *ai)
{
    for (size_t i = 0; i < n; i++)
        if (pairs[i].ai && pairs[i].value && strcmp(pairs[i].ai, ai) == 0)
            return pairs[i].value;
    return NULL;
}

/* n digits at v[0..n) with a valid check digit in the last place. */
static int key_check(const char *ai, const char *v, size_t n, gs1_err_t *err)
{
    if (strlen(v) < n || !gs1_ai_all_digits(v, n))
        return gs1_err_set(err, GS1_EINPUT, "(%s) must start with %zu digits", ai, n);
    if (gs1_ai_check_digit(v, n - 1) != v[n - 1] - '0')
        return gs1_err_set(err, GS1_EINPUT,
                           "(%s) %.*s has a wrong check digit (%c; it should be %d)", ai, (int)n, v,
                           v[n - 1], gs1_ai_check_digit(v, n - 1));
    return 0;
}

static int set_str(char *dst, size_t cap, const char *s, size_t n, const char *what, gs1_err_t *err)
{
    if (n >= cap)
        return gs1_err_set(err, GS1_EINPUT, "%s is too long (%zu characters)", what, n);
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

int gs1_epc_from_gs1(const gs1_epc_ai_t *pairs, size_t n, int gcp_length, gs1_epc_t **out,
                     gs1_err_t *err)
{
    static const char *const PRIMARY[] = {"01",   "00",  "414", "8003", "8004", "8018",
                                          "8017", "253", "255", "8006", "8010"};
    gs1_epc_t *e = NULL;
    gs1_epc_fields_t *f;
    const char *ai = NULL, *v = NULL, *q;
    size_t L = (size_t)gcp_length, vl;
    int rc;

    if (!out)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_from_gs1: out is NULL");
    *out = NULL;
    if (!pairs && n)
        return gs1_err_set(err, GS1_EINVAL, "gs1_epc_from_gs1: pairs is NULL");
    if (gcp_length < 6 || gcp_length > 12)
        return gs1_err_set(err, GS1_EINVAL,
                           "GS1 Company Prefix length must be 6 to 12 for an EPC, not %d",
                           gcp_length);
    for (size_t i = 0; i < sizeof PRIMARY / sizeof *PRIMARY; i++) {
        const char *x = find_ai(pairs, n, PRIMARY[i]);
        if (!x)
            continue;
        if (ai)
            return gs1_err_set(err, GS1_EINPUT,
                               "element string has two primary keys, (%s) and (%s)", ai,
                               PRIMARY[i]);
        ai = PRIMARY[i];
        v = x;
    }
    if (!ai)
        return gs1_err_set(err, GS1_ENOTFOUND,
                           "no GS1 key with an EPC form ((01)+(21), (00), (414), (8003), "
                           "(8004), (8017), (8018), (253), (255), (8006)+(21), "
                           "(8010)+(8011))");
    if (!(e = new_epc(err)))
        return GS1_ENOMEM;
    f = &e->f;
    vl = strlen(v);
    rc = 0;
    if (!strcmp(ai, "01") || !strcmp(ai, "8006")) {
        int itip = ai[0] == '8';
        if (vl != (itip ? 18u : 14u)) {
            rc = gs1_err_set(err, GS1_EINPUT, "(%s) must be %d digits", ai, itip ? 18 : 14);
            goto fail;
        }
        if ((rc = key_check(ai, v, 14, err)) < 0)
            goto fail;
        if (!(q = find_ai(pairs, n, "21"))) {
            rc = gs1_err_set(err, GS1_ENOTFOUND,
                             "(%s) without a serial (21) is a class, not an EPC instance", ai);
            goto fail;
        }
        f->scheme = itip ? GS1_EPC_ITIP : GS1_EPC_SGTIN;
        memcpy(f->cp, v + 1, L);
        f->ref[0] = v[0];
        memcpy(f->ref + 1, v + 1 + L, 12 - L);
        if (itip) {
            if (!gs1_ai_all_digits(v + 14, 4)) {
                rc = gs1_err_set(err, GS1_EINPUT, "(8006) piece and total must be digits");
                goto fail;
            }
            memcpy(f->piece, v + 14, 2);
            memcpy(f->total, v + 16, 2);
        }
        rc = set_str(f->serial, sizeof f->serial, q, strlen(q), "serial (21)", err);
    } else if (!strcmp(ai, "00") || !strcmp(ai, "8018") || !strcmp(ai, "8017")) {
        int sscc = ai[0] == '0';
        if (vl != 18) {
            rc = gs1_err_set(err, GS1_EINPUT, "(%s) must be 18 digits", ai);
            goto fail;
        }
        if ((rc = key_check(ai, v, 18, err)) < 0)
            goto fail;
        f->scheme = sscc ? GS1_EPC_SSCC : (ai[3] == '8' ? GS1_EPC_GSRN : GS1_EPC_GSRNP);
        if (sscc) {
            memcpy(f->cp, v + 1, L);
            f->ref[0] = v[0];
            memcpy(f->ref + 1, v + 1 + L, 16 - L);
        } else {
            memcpy(f->cp, v, L);
            memcpy(f->ref, v + L, 17 - L);
        }
    } else if (!strcmp(ai, "414")) {
        if (vl != 13) {
            rc = gs1_err_set(err, GS1_EINPUT, "(414) must be 13 digits");
            goto fail;
        }
        if ((rc = key_check(ai, v, 13, err)) < 0)
            goto fail;
        f->scheme = GS1_EPC_SGLN;
        memcpy(f->cp, v, L);
        memcpy(f->ref, v + L, 12 - L);
        q = find_ai(pairs, n, "254");
        rc = q ? set_str(f->serial, sizeof f->serial, q, strlen(q), "extension (254)", err)
               : set_str(f->serial, sizeof f->serial, "0", 1, "", err);
    } else if (!strcmp(ai, "8010")) {
        if (vl < L || !gs1_ai_all_digits(v, L)) {
            rc = gs1_err_set(err, GS1_EINPUT, "(8010) must start with the %zu-digit company prefix",
                             L);
            goto fail;
        }
        if (!(q = find_ai(pairs, n, "8011"))) {
            rc = gs1_err_set(err, GS1_ENOTFOUND,
                             "(8010) without a serial (8011) is a class, not an EPC instance");
            goto fail;
        }
        f->scheme = GS1_EPC_CPI;
        memcpy(f->cp, v, L);
        if ((rc = set_str(f->ref, sizeof f->ref, v + L, vl - L, "(8010) reference", err)) < 0)
            goto fail;
        rc = set_str(f->serial, sizeof f->serial, q, strlen(q), "serial (8011)", err);
    } else if (!strcmp(ai, "8004")) {
        if (vl < L || !gs1_ai_all_digits(v, L)) {
            rc = gs1_err_set(err, GS1_EINPUT, "(8004) must start with the %zu-digit company prefix",
                             L);
            goto fail;
        }
        f->scheme = GS1_EPC_GIAI;
        memcpy(f->cp, v, L);
        rc = set_str(f->serial, sizeof f->serial, v + L, vl - L, "(8004) asset reference", err);
    } else { /* 8003, 253, 255: 13 digits with check digit, then the serial */
        size_t off = ai[0] == '8' ? 1 : 0;
        if (off && (vl < 1 || v[0] != '0')) {
            rc = gs1_err_set(err, GS1_EINPUT, "(8003) must start with the digit 0");
            goto fail;
        }
        if ((rc = key_check(ai, v + off, 13, err)) < 0)
            goto fail;
        if (vl == off + 13) {
            rc = gs1_err_set(err, GS1_ENOTFOUND,
                             "(%s) without a serial is a class, not an EPC instance", ai);
            goto fail;
        }
        f->scheme = off ? GS1_EPC_GRAI : (ai[2] == '3' ? GS1_EPC_GDTI : GS1_EPC_SGCN);
        memcpy(f->cp, v + off, L);
        memcpy(f->ref, v + off + L, 12 - L);
        rc = set_str(f->serial, sizeof f->serial, v + off + 13, vl - off - 13, "serial", err);
    }
    if (rc < 0 || (rc = gs1_tds_check_identity(f, err)) < 0)
        goto fail;
    return done(e, out, err);
fail:
    free(e);
    return rc;
}

/* ---- getters ---------------------------------------------------------------------- */

void gs1_epc_free(gs1_epc_t *e)
{
    free(e);
}

const char *gs1_epc_pure_urn(const gs1_epc_t *e)
{
    return e->pure;
}

const char *gs1_epc_tag_urn(const gs1_epc_t *e)
{
    return e->f.coding >= 0 ? e->tag : NULL;
}

const char *gs1_epc_hex(const gs1_epc_t *e)
{
    return e->f.coding >= 0 ? e->hex : NULL;
}

const char *gs1_epc_scheme(const gs1_epc_t *e)
{
    return gs1_tds_scheme_name(e->f.scheme);
}

const char *gs1_epc_coding(const gs1_epc_t *e)
{
    return e->f.coding >= 0 ? gs1_tds_coding_name(e->f.coding) : NULL;
}

int gs1_epc_bits(const gs1_epc_t *e)
{
    return gs1_tds_bits(&e->f);
}

int gs1_epc_filter(const gs1_epc_t *e)
{
    return e->f.filter;
}

/* GID and USDOD have no GS1 Company Prefix. */
static int has_gcp(const gs1_epc_t *e)
{
    return e->f.scheme != GS1_EPC_GID && e->f.scheme != GS1_EPC_USDOD;
}

int gs1_epc_gcp_length(const gs1_epc_t *e)
{
    return has_gcp(e) ? (int)strlen(e->f.cp) : 0;
}

const char *gs1_epc_company_prefix(const gs1_epc_t *e)
{
    return has_gcp(e) ? e->f.cp : "";
}

size_t gs1_epc_gs1(const gs1_epc_t *e, const gs1_epc_ai_t **pairs)
{
    if (pairs)
        *pairs = e->ngs1 ? e->gs1 : NULL;
    return e->ngs1;
}

const char *gs1_epc_element_string(const gs1_epc_t *e)
{
    return e->elem;
}
