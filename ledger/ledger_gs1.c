/* ledger_gs1.c -- EPC URNs and GS1 Digital Link URIs to the one "constrained
 * canonical" Digital Link URI the EPCIS 2.0 event hash uses (ledger_gs1.h).
 *
 * How it works:
 *  - An EPC URN (urn:epc:id:, urn:epc:class:lgtin:, urn:epc:idpat:) is split
 *    at its dots into components. Each scheme checks its company prefix
 *    (6..12 digits) and reference digit counts (TDS: they add up to a fixed
 *    number), undoes the URN percent-escapes of its free-text parts (which
 *    must decode to GS1 AI encodable character set 82, or set 39 for CPI),
 *    rebuilds the GS1 key (indicator digit first, check digit computed) and
 *    writes https://id.gs1.org/<AI>/<key>[/<qualifier AI>/<value>].
 *  - A Digital Link URI (http or https, any host, any path prefix) is split
 *    into path segments. The primary key is the first segment that names a
 *    primary key AI (01, 00, 414, ... or a convenience alpha such as gtin)
 *    followed by a value starting with a digit and then only (qualifier AI,
 *    value) pairs in the order the GS1 syntax dictionary allows. Query string
 *    and fragment are dropped. GTIN-8/12/13 are padded to 14 digits.
 *  - "Constrained" means: only the finest identification level is kept: for
 *    01/8006 the serial (21) if present, else the lot (10), else the TPX
 *    (235); the CPV (22) is dropped. Other keys keep their one qualifier.
 *  - Values are written percent-decoded then re-encoded: the characters
 *    ! " # % & ( ) * + , / : < > ? become %XX (upper-case hex), the rest of
 *    set 82 stays as is. This matches the reference normaliser
 *    (RalphTro/epcis-event-hash-generator, dl_normaliser.py) on its vectors.
 *  - Check digits: EPC URNs carry none (we compute them). The check digits
 *    written in a Digital Link (and the GMN check pair, the GRAI leading
 *    zero, ITIP piece <= total, no leading zero in a CPID serial) are not
 *    verified by ledger_gs1_canonical, because the reference does not verify
 *    them and the event hash must agree with it (two of its vectors carry
 *    wrong check digits). ledger_gs1_check_uri verifies them by parsing the
 *    canonical form again in strict mode.
 *  - The reference differs on inputs it mishandles; we keep the GS1 rules:
 *    it accepts a GDTI URN without the dot after the document type and
 *    qualifiers a key does not have (cpv on 8010, 22 with 235), and
 *    it refuses what we convert: a trailing slash, %-escapes and the
 *    characters ! ( ) * + , : in a Digital Link value, idpat of sgln, giai,
 *    ginc etc.
 */
#include "ledger_gs1.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CANON_HOST "https://id.gs1.org"

/* Longest decoded value of any AI we handle (X..30), with room to spare. */
#define VAL_MAX 64

/* ---- character sets -------------------------------------------------- */

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_lower(int c)
{
    return c >= 'a' && c <= 'z';
}

/* What the ASCII punctuation is to GS1: in character set 82; percent-encoded
 * in our output; must be percent-encoded where it stands in an EPC URN / in
 * a Digital Link. A table rather than strchr over a string: these run for
 * every character of every identifier the event hash converts. */
enum { P_SET82 = 1, P_OUT = 2, P_URN = 4, P_DL = 8 };
static const unsigned char punct[128] = {
    ['!'] = P_SET82 | P_OUT,
    ['"'] = P_SET82 | P_OUT | P_URN | P_DL,
    ['#'] = P_OUT | P_URN | P_DL,
    ['%'] = P_SET82 | P_OUT | P_URN,
    ['&'] = P_SET82 | P_OUT | P_URN,
    ['\''] = P_SET82,
    ['('] = P_SET82 | P_OUT,
    [')'] = P_SET82 | P_OUT,
    ['*'] = P_SET82 | P_OUT,
    ['+'] = P_SET82 | P_OUT,
    [','] = P_SET82 | P_OUT,
    ['-'] = P_SET82,
    ['.'] = P_SET82,
    ['/'] = P_SET82 | P_OUT | P_URN,
    [':'] = P_SET82 | P_OUT,
    [';'] = P_SET82,
    ['<'] = P_SET82 | P_OUT | P_URN | P_DL,
    ['='] = P_SET82,
    ['>'] = P_SET82 | P_OUT | P_URN | P_DL,
    ['?'] = P_SET82 | P_OUT | P_URN,
    ['_'] = P_SET82,
};

static int punct_of(int c)
{
    return c >= 0 && c < 128 ? punct[c] : 0;
}

/* GS1 AI encodable character set 82. */
static bool in_set82(int c)
{
    return is_digit(c) || is_upper(c) || is_lower(c) || (punct_of(c) & P_SET82);
}

/* GS1 AI encodable character set 39 (CPID). */
static bool in_set39(int c)
{
    return is_digit(c) || is_upper(c) || c == '#' || c == '-' || c == '/';
}

/* Characters of set 82 (and #) that we percent-encode in the output. */
static bool must_escape(int c)
{
    return punct_of(c) & P_OUT;
}

static int hex_val(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return false;
    return true;
}

/* ---- check digits ----------------------------------------------------- */

/* GS1 mod-10 check digit of the n digits at s (weights 3,1,3,... from the
 * right). */
static int gs1_check_digit(const char *s, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = s[n - 1 - i] - '0';
        sum += (i % 2 == 0) ? 3 * d : d;
    }
    return (10 - sum % 10) % 10;
}

static bool gs1_check_ok(const char *s, size_t n)
{
    return n >= 2 && gs1_check_digit(s, n - 1) == s[n - 1] - '0';
}

/* GS1 check character pair (GMN, AI 8013; GenSpecs 7.9.5). */
static bool gmn_check_ok(const char *s, size_t n)
{
    static const char set82[] = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                                "abcdefghijklmnopqrstuvwxyz";
    static const char set32[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    static const int primes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37,
                                 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83};
    long sum = 0;

    if (n < 3 || n - 2 > sizeof primes / sizeof primes[0])
        return false;
    for (size_t i = 0; i < n - 2; i++) {
        const char *p = strchr(set82, s[n - 3 - i]);
        if (!p || !*p)
            return false;
        sum += (long)(p - set82) * primes[i];
    }
    sum %= 1021;
    return s[n - 2] == set32[sum / 32] && s[n - 1] == set32[sum % 32];
}

/* ---- output ----------------------------------------------------------- */

typedef struct {
    char s[LEDGER_GS1_URI_MAX];
    size_t len;
    bool overflow;
} sbuf_t;

static void sb_putn(sbuf_t *b, const char *p, size_t n)
{
    if (b->overflow || n >= sizeof b->s - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = 0;
}

static void sb_puts(sbuf_t *b, const char *p)
{
    sb_putn(b, p, strlen(p));
}

/* Appends a decoded value, percent-encoding what must be. */
static void sb_put_value(sbuf_t *b, const char *v, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0; /* start of the characters not yet written */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (must_escape(c)) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sb_putn(b, v + run, i - run);
            sb_putn(b, e, 3);
            run = i + 1;
        }
    }
    sb_putn(b, v + run, n - run);
}

/* "https://id.gs1.org/<ai>/<value>" */
static void sb_key(sbuf_t *b, const char *ai, const char *v, size_t n)
{
    sb_puts(b, CANON_HOST "/");
    sb_puts(b, ai);
    sb_puts(b, "/");
    sb_put_value(b, v, n);
}

static void sb_qual(sbuf_t *b, const char *ai, const char *v, size_t n)
{
    sb_puts(b, "/");
    sb_puts(b, ai);
    sb_puts(b, "/");
    sb_put_value(b, v, n);
}

/* ---- percent-decoding ------------------------------------------------- */

enum esc_ctx { ESC_URN, ESC_DL };

/* Decodes s[0..n) into dst (at most cap chars, NUL-terminated) and checks
 * that raw characters are allowed where they stand and that every decoded
 * character is in set 82. *dn gets the decoded length. what names the part
 * for the message. */
static int pct_decode(const char *s, size_t n, enum esc_ctx ctx, bool set39, char *dst, size_t cap,
                      size_t *dn, const char *what, ledger_err_t *err)
{
    bool (*in_set)(int) = set39 ? in_set39 : in_set82;
    int set = set39 ? 39 : 82;

    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int h, l;
            if (i + 2 >= n)
                return ledger_err_set(err, LEDGER_EINPUT, "%s: truncated percent-escape", what);
            h = hex_val((unsigned char)s[i + 1]);
            l = hex_val((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return ledger_err_set(err, LEDGER_EINPUT, "%s: bad percent-escape '%%%c%c'", what,
                                      s[i + 1], s[i + 2]);
            c = h * 16 + l;
            i += 2;
            if (!in_set(c))
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "%s: %%%02X is not in the GS1 character set %d", what, c,
                                      set);
        } else {
            if (!in_set(c))
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "%s: character 0x%02X is not in the GS1 character set %d",
                                      what, c, set);
            if (punct_of(c) & (ctx == ESC_URN ? P_URN : P_DL))
                return ledger_err_set(err, LEDGER_EINPUT, "%s: '%c' must be percent-encoded", what,
                                      c);
        }
        if (o + 1 >= cap)
            return ledger_err_set(err, LEDGER_EINPUT, "%s: too long", what);
        dst[o++] = (char)c;
    }
    dst[o] = 0;
    *dn = o;
    return 0;
}

/* ---- EPC URNs ---------------------------------------------------------- */

#define MAX_COMP 6

typedef struct {
    const char *p[MAX_COMP];
    size_t n[MAX_COMP];
    int count;
} comps_t;

/* Splits body at its first max-1 dots (the last component keeps any further
 * dots). */
static void split_dots(const char *body, int max, comps_t *c)
{
    const char *p = body;
    c->count = 0;
    while (c->count < max - 1) {
        const char *d = strchr(p, '.');
        if (!d)
            break;
        c->p[c->count] = p;
        c->n[c->count] = (size_t)(d - p);
        c->count++;
        p = d + 1;
    }
    c->p[c->count] = p;
    c->n[c->count] = strlen(p);
    c->count++;
}

static bool comp_is_star(const comps_t *c, int i)
{
    return c->n[i] == 1 && c->p[i][0] == '*';
}

/* Company prefix (component 0, 6..12 digits) and reference (component 1,
 * digits) whose lengths add up to total. */
static int epc_cp_ref(const comps_t *c, size_t total, const char *scheme, ledger_err_t *err)
{
    if (c->n[0] < 6 || c->n[0] > 12 || !all_digits(c->p[0], c->n[0]))
        return ledger_err_set(err, LEDGER_EINPUT, "%s: company prefix must be 6 to 12 digits",
                              scheme);
    if (!all_digits(c->p[1], c->n[1]) || c->n[0] + c->n[1] != total)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s: company prefix and reference must be %zu digits together",
                              scheme, total);
    return 0;
}

/* Builds the 13-digit GTIN body (indicator, prefix, item reference) into g
 * and appends its check digit: 14 digits. */
static void epc_gtin(const comps_t *c, char g[15])
{
    g[0] = c->p[1][0];
    memcpy(g + 1, c->p[0], c->n[0]);
    memcpy(g + 1 + c->n[0], c->p[1] + 1, c->n[1] - 1);
    g[13] = (char)('0' + gs1_check_digit(g, 13));
    g[14] = 0;
}

/* 12 digits prefix+reference, check digit appended: 13 digits (GLN-like). */
static void epc_n13(const comps_t *c, char g[14])
{
    memcpy(g, c->p[0], c->n[0]);
    memcpy(g + c->n[0], c->p[1], c->n[1]);
    g[12] = (char)('0' + gs1_check_digit(g, 12));
    g[13] = 0;
}

/* Decodes a free-text component i of at most max characters (min 1 unless
 * allow_empty) into v. */
static int epc_text(const comps_t *c, int i, size_t max, bool allow_empty, char v[VAL_MAX],
                    size_t *vn, const char *what, ledger_err_t *err)
{
    int rc = pct_decode(c->p[i], c->n[i], ESC_URN, false, v, VAL_MAX, vn, what, err);
    if (rc < 0)
        return rc;
    if ((*vn == 0 && !allow_empty) || *vn > max)
        return ledger_err_set(err, LEDGER_EINPUT, "%s must be %s%zu characters", what,
                              allow_empty ? "at most " : "1 to ", max);
    return 0;
}

/* Numeric component i of min..max digits. */
static int epc_num(const comps_t *c, int i, size_t min, size_t max, const char *what,
                   ledger_err_t *err)
{
    if (c->n[i] < min || c->n[i] > max || !all_digits(c->p[i], c->n[i]))
        return ledger_err_set(err, LEDGER_EINPUT, "%s must be %zu to %zu digits", what, min, max);
    return 0;
}

enum { PAT_NONE, PAT_CLASS, PAT_OTHER };

/* For an idpat URN: checks the stars. Components from the first star on
 * must all be stars. Returns PAT_NONE (no star: an instance), PAT_CLASS
 * (stars only from component first_inst on) or PAT_OTHER (stars earlier:
 * valid but no single GS1 key). */
static int pat_kind(const comps_t *c, int first_inst, const char *scheme, ledger_err_t *err)
{
    int first = -1;
    for (int i = 0; i < c->count; i++) {
        if (comp_is_star(c, i)) {
            if (first < 0)
                first = i;
        } else if (first >= 0) {
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "%s pattern: only trailing components may be '*'", scheme);
        }
    }
    if (first < 0)
        return PAT_NONE;
    return first >= first_inst ? PAT_CLASS : PAT_OTHER;
}

/* The converters below return 0 with the DL in b, 1 when the URN is valid
 * but has no GS1 key form, or a negative error. pat is the pattern kind
 * (PAT_NONE for urn:epc:id:). */

static int epc_sgtin_like(const comps_t *c, const char *scheme, int pat, sbuf_t *b,
                          ledger_err_t *err)
{
    /* sgtin CP.item.serial -> 01/21; upui CP.item.tpx -> 01/235;
     * lgtin CP.item.lot -> 01/10 */
    char g[15], v[VAL_MAX];
    size_t vn;
    int rc;
    bool upui = strcmp(scheme, "upui") == 0, lgtin = strcmp(scheme, "lgtin") == 0;

    if (c->count != 3)
        return ledger_err_set(err, LEDGER_EINPUT, "%s: expected 3 dot-separated parts", scheme);
    if (pat == PAT_OTHER)
        return 1;
    if ((rc = epc_cp_ref(c, 13, scheme, err)) < 0)
        return rc;
    epc_gtin(c, g);
    sb_key(b, "01", g, 14);
    if (pat == PAT_CLASS)
        return 0;
    if ((rc = epc_text(c, 2, upui ? 28 : 20, false, v, &vn,
                       upui    ? "upui TPX"
                       : lgtin ? "lgtin lot"
                               : "sgtin serial",
                       err)) < 0)
        return rc;
    sb_qual(b, upui ? "235" : lgtin ? "10" : "21", v, vn);
    return 0;
}

static int epc_itip(const comps_t *c, int pat, sbuf_t *b, ledger_err_t *err)
{
    char g[VAL_MAX], v[VAL_MAX];
    size_t vn;
    int rc;

    if (c->count != 5)
        return ledger_err_set(err, LEDGER_EINPUT, "itip: expected 5 dot-separated parts");
    if (pat == PAT_OTHER)
        return 1;
    if ((rc = epc_cp_ref(c, 13, "itip", err)) < 0)
        return rc;
    if ((rc = epc_num(c, 2, 2, 2, "itip piece", err)) < 0 ||
        (rc = epc_num(c, 3, 2, 2, "itip total", err)) < 0)
        return rc;
    epc_gtin(c, g);
    memcpy(g + 14, c->p[2], 2);
    memcpy(g + 16, c->p[3], 2);
    sb_key(b, "8006", g, 18);
    if (pat == PAT_CLASS)
        return 0;
    if ((rc = epc_text(c, 4, 20, false, v, &vn, "itip serial", err)) < 0)
        return rc;
    sb_qual(b, "21", v, vn);
    return 0;
}

static int epc_sscc(const comps_t *c, int pat, sbuf_t *b, ledger_err_t *err)
{
    char s[19];
    int rc;

    if (c->count != 2)
        return ledger_err_set(err, LEDGER_EINPUT, "sscc: expected 2 dot-separated parts");
    if (pat != PAT_NONE)
        return 1;
    if ((rc = epc_cp_ref(c, 17, "sscc", err)) < 0)
        return rc;
    if (c->n[1] < 1)
        return ledger_err_set(err, LEDGER_EINPUT, "sscc: empty serial reference");
    s[0] = c->p[1][0];
    memcpy(s + 1, c->p[0], c->n[0]);
    memcpy(s + 1 + c->n[0], c->p[1] + 1, c->n[1] - 1);
    s[17] = (char)('0' + gs1_check_digit(s, 17));
    s[18] = 0;
    sb_key(b, "00", s, 18);
    return 0;
}

/* gsrn, gsrnp (17 digits -> AI 8018/8017, 18 digits) and gsin (16 -> 402). */
static int epc_plain_num(const comps_t *c, const char *scheme, const char *ai, size_t total,
                         int pat, sbuf_t *b, ledger_err_t *err)
{
    char s[20];
    int rc;

    if (c->count != 2)
        return ledger_err_set(err, LEDGER_EINPUT, "%s: expected 2 dot-separated parts", scheme);
    if (pat != PAT_NONE)
        return 1;
    if ((rc = epc_cp_ref(c, total, scheme, err)) < 0)
        return rc;
    memcpy(s, c->p[0], c->n[0]);
    memcpy(s + c->n[0], c->p[1], c->n[1]);
    s[total] = (char)('0' + gs1_check_digit(s, total));
    s[total + 1] = 0;
    sb_key(b, ai, s, total + 1);
    return 0;
}

/* pgln CP.ref -> 417 */
static int epc_pgln(const comps_t *c, int pat, sbuf_t *b, ledger_err_t *err)
{
    char g[14];
    int rc;

    if (c->count != 2)
        return ledger_err_set(err, LEDGER_EINPUT, "pgln: expected 2 dot-separated parts");
    if (pat != PAT_NONE)
        return 1;
    if ((rc = epc_cp_ref(c, 12, "pgln", err)) < 0)
        return rc;
    epc_n13(c, g);
    sb_key(b, "417", g, 13);
    return 0;
}

/* sgln CP.loc.ext -> 414[/254]; grai CP.type.serial -> 8003 0+N13+serial;
 * gdti CP.type.serial -> 253 N13+serial; sgcn CP.ref.serial -> 255
 * N13+serial. */
static int epc_n13_serial(const comps_t *c, const char *scheme, int pat, sbuf_t *b,
                          ledger_err_t *err)
{
    char g[VAL_MAX], v[VAL_MAX];
    size_t vn = 0;
    int rc;
    bool sgln = strcmp(scheme, "sgln") == 0, grai = strcmp(scheme, "grai") == 0;
    bool sgcn = strcmp(scheme, "sgcn") == 0;
    const char *ai = sgln ? "414" : grai ? "8003" : sgcn ? "255" : "253";

    if (c->count != 3)
        return ledger_err_set(err, LEDGER_EINPUT, "%s: expected 3 dot-separated parts", scheme);
    if (pat == PAT_OTHER)
        return 1;
    if ((rc = epc_cp_ref(c, 12, scheme, err)) < 0)
        return rc;
    if (grai) {
        g[0] = '0';
        epc_n13(c, g + 1);
    } else {
        epc_n13(c, g);
    }
    if (pat == PAT_CLASS) {
        sb_key(b, ai, g, strlen(g));
        return 0;
    }
    if (sgcn) {
        if ((rc = epc_num(c, 2, 1, 12, "sgcn serial", err)) < 0)
            return rc;
        memcpy(v, c->p[2], c->n[2]);
        vn = c->n[2];
    } else if ((rc = epc_text(c, 2,
                              sgln   ? 20
                              : grai ? 16
                                     : 17,
                              false, v, &vn,
                              sgln   ? "sgln extension"
                              : grai ? "grai serial"
                                     : "gdti serial",
                              err)) < 0) {
        return rc;
    }
    if (sgln) {
        sb_key(b, ai, g, 13);
        if (!(vn == 1 && v[0] == '0'))
            sb_qual(b, "254", v, vn);
        return 0;
    }
    /* key and serial form one value */
    size_t gn = strlen(g);
    memcpy(g + gn, v, vn);
    sb_key(b, ai, g, gn + vn);
    return 0;
}

/* giai CP.ref -> 8004, ginc CP.ref -> 401 (X..30 together). */
static int epc_cp_text(const comps_t *c, const char *scheme, const char *ai, int pat, sbuf_t *b,
                       ledger_err_t *err)
{
    char v[VAL_MAX];
    size_t vn;
    int rc;

    if (c->count != 2)
        return ledger_err_set(err, LEDGER_EINPUT, "%s: expected 2 dot-separated parts", scheme);
    if (pat != PAT_NONE)
        return 1;
    if (c->n[0] < 6 || c->n[0] > 12 || !all_digits(c->p[0], c->n[0]))
        return ledger_err_set(err, LEDGER_EINPUT, "%s: company prefix must be 6 to 12 digits",
                              scheme);
    memcpy(v, c->p[0], c->n[0]);
    if ((rc = pct_decode(c->p[1], c->n[1], ESC_URN, false, v + c->n[0], VAL_MAX - c->n[0], &vn,
                         scheme, err)) < 0)
        return rc;
    if (vn < 1 || c->n[0] + vn > 30)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s: reference must be 1 character or more, at most 30 with the "
                              "company prefix",
                              scheme);
    sb_key(b, ai, v, c->n[0] + vn);
    return 0;
}

/* cpi CP.ref.serial -> 8010/8011 */
static int epc_cpi(const comps_t *c, int pat, sbuf_t *b, ledger_err_t *err)
{
    char v[VAL_MAX];
    size_t vn;
    int rc;

    if (c->count != 3)
        return ledger_err_set(err, LEDGER_EINPUT, "cpi: expected 3 dot-separated parts");
    if (pat == PAT_OTHER)
        return 1;
    if (c->n[0] < 6 || c->n[0] > 12 || !all_digits(c->p[0], c->n[0]))
        return ledger_err_set(err, LEDGER_EINPUT, "cpi: company prefix must be 6 to 12 digits");
    memcpy(v, c->p[0], c->n[0]);
    if ((rc = pct_decode(c->p[1], c->n[1], ESC_URN, true, v + c->n[0], VAL_MAX - c->n[0], &vn,
                         "cpi reference", err)) < 0)
        return rc;
    if (vn < 1 || c->n[0] + vn > 30)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "cpi: reference must be 1 character or more, at most 30 with the "
                              "company prefix");
    sb_key(b, "8010", v, c->n[0] + vn);
    if (pat == PAT_CLASS)
        return 0;
    if ((rc = epc_num(c, 2, 1, 12, "cpi serial", err)) < 0)
        return rc;
    sb_qual(b, "8011", c->p[2], c->n[2]);
    return 0;
}

/* Dispatches one EPC URN. body is what follows "urn:epc:<type>:". Returns 0,
 * 1 (valid, no GS1 form) or an error. */
static int epc_convert(const char *body, bool idpat, sbuf_t *b, ledger_err_t *err)
{
    static const struct {
        const char *name;
        int ncomp;      /* components of a full URN */
        int first_inst; /* index of the first instance-level component */
    } schemes[] = {
        {"sgtin", 3, 2}, {"sscc", 2, 1},  {"sgln", 3, 2}, {"grai", 3, 2}, {"giai", 2, 1},
        {"gsrn", 2, 1},  {"gsrnp", 2, 1}, {"gdti", 3, 2}, {"cpi", 3, 2},  {"sgcn", 3, 2},
        {"ginc", 2, 1},  {"gsin", 2, 1},  {"itip", 5, 4}, {"upui", 3, 2}, {"pgln", 2, 1},
    };
    static const char *const non_gs1[] = {"gid", "usdod", "adi", "bic", "imovn"};
    const char *colon = strchr(body, ':');
    size_t sl;
    comps_t c;
    int pat = PAT_NONE;

    if (!colon)
        return ledger_err_set(err, LEDGER_EINPUT, "EPC URN without a scheme");
    sl = (size_t)(colon - body);
    for (size_t i = 0; i < sizeof non_gs1 / sizeof non_gs1[0]; i++)
        if (strlen(non_gs1[i]) == sl && memcmp(body, non_gs1[i], sl) == 0)
            return 1;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        const char *name = schemes[i].name;
        if (strlen(name) != sl || memcmp(body, name, sl) != 0)
            continue;
        split_dots(colon + 1, schemes[i].ncomp, &c);
        if (c.count != schemes[i].ncomp)
            return ledger_err_set(err, LEDGER_EINPUT, "%s: expected %d dot-separated parts", name,
                                  schemes[i].ncomp);
        if (idpat) {
            pat = pat_kind(&c, schemes[i].first_inst, name, err);
            if (pat < 0)
                return pat;
        }
        switch (i) {
        case 0:
            return epc_sgtin_like(&c, "sgtin", pat, b, err);
        case 1:
            return epc_sscc(&c, pat, b, err);
        case 2:
        case 3:
        case 7:
        case 9:
            return epc_n13_serial(&c, name, pat, b, err);
        case 4:
            return epc_cp_text(&c, "giai", "8004", pat, b, err);
        case 5:
            return epc_plain_num(&c, "gsrn", "8018", 17, pat, b, err);
        case 6:
            return epc_plain_num(&c, "gsrnp", "8017", 17, pat, b, err);
        case 8:
            return epc_cpi(&c, pat, b, err);
        case 10:
            return epc_cp_text(&c, "ginc", "401", pat, b, err);
        case 11:
            return epc_plain_num(&c, "gsin", "402", 16, pat, b, err);
        case 12:
            return epc_itip(&c, pat, b, err);
        case 13:
            return epc_sgtin_like(&c, "upui", pat, b, err);
        default:
            return epc_pgln(&c, pat, b, err);
        }
    }
    return ledger_err_set(err, LEDGER_EINPUT, "unknown EPC scheme '%.*s'", (int)sl, body);
}

/* ---- GS1 Digital Link -------------------------------------------------- */

/* Qualifier AI codes, as indexes into qual_ais[]. */
enum { Q22, Q10, Q21, Q235, Q254, Q7040, Q8011, Q8019, QN };

static const struct {
    const char *ai;
    const char *alpha;
} qual_ais[QN] = {
    [Q22] = {"22", "cpv"},      [Q10] = {"10", "lot"},      [Q21] = {"21", "ser"},
    [Q235] = {"235", NULL},     [Q254] = {"254", "glnx"},   [Q7040] = {"7040", NULL},
    [Q8011] = {"8011", "cpsn"}, [Q8019] = {"8019", "srin"},
};

/* Primary keys; seq holds up to two alternative ordered qualifier
 * sequences (-1 terminated). */
static const struct pkey {
    const char *ai;
    const char *alpha;
    signed char seq[2][4];
} pkeys[] = {
    {"01", "gtin", {{Q22, Q10, Q21, -1}, {Q235, -1}}},
    {"00", "sscc", {{-1}, {-1}}},
    {"414", "gln", {{Q254, -1}, {Q7040, -1}}},
    {"417", "party", {{Q7040, -1}, {-1}}},
    {"8003", "grai", {{-1}, {-1}}},
    {"8004", "giai", {{Q7040, -1}, {-1}}},
    {"8006", "itip", {{Q22, Q10, Q21, -1}, {-1}}},
    {"8010", "cpid", {{Q8011, -1}, {-1}}},
    {"8013", "gmn", {{-1}, {-1}}},
    {"8017", "gsrnp", {{Q8019, -1}, {-1}}},
    {"8018", "gsrn", {{Q8019, -1}, {-1}}},
    {"253", "gdti", {{-1}, {-1}}},
    {"255", "gcn", {{-1}, {-1}}},
    {"401", "ginc", {{-1}, {-1}}},
    {"402", "gsin", {{-1}, {-1}}},
};

static bool seg_eq(const char *s, size_t n, const char *lit)
{
    return lit && n && lit[0] == s[0] && strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static const struct pkey *find_pkey(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof pkeys / sizeof pkeys[0]; i++)
        if (seg_eq(s, n, pkeys[i].ai) || seg_eq(s, n, pkeys[i].alpha))
            return &pkeys[i];
    return NULL;
}

static int find_qual(const char *s, size_t n)
{
    for (int i = 0; i < QN; i++)
        if (seg_eq(s, n, qual_ais[i].ai) || seg_eq(s, n, qual_ais[i].alpha))
            return i;
    return -1;
}

/* Checks (and for GTINs pads) the decoded primary key value v of *vn
 * characters. */
static int dl_key_value(const char *ai, char v[VAL_MAX], size_t *vn, bool strict, ledger_err_t *err)
{
    size_t n = *vn;
    bool csum = true;
    size_t csum_len = 0; /* digits covered by the check digit */

    if (strcmp(ai, "01") == 0) {
        if (!all_digits(v, n) || (n != 8 && n != 12 && n != 13 && n != 14))
            return ledger_err_set(err, LEDGER_EINPUT, "GTIN must be 8, 12, 13 or 14 digits");
        memmove(v + (14 - n), v, n);
        memset(v, '0', 14 - n);
        *vn = n = 14;
        csum_len = 14;
    } else if (!strcmp(ai, "00") || !strcmp(ai, "8017") || !strcmp(ai, "8018")) {
        if (n != 18 || !all_digits(v, n))
            return ledger_err_set(err, LEDGER_EINPUT, "AI %s must be 18 digits", ai);
        csum_len = 18;
    } else if (!strcmp(ai, "414") || !strcmp(ai, "417")) {
        if (n != 13 || !all_digits(v, n))
            return ledger_err_set(err, LEDGER_EINPUT, "GLN (AI %s) must be 13 digits", ai);
        csum_len = 13;
    } else if (!strcmp(ai, "402")) {
        if (n != 17 || !all_digits(v, n))
            return ledger_err_set(err, LEDGER_EINPUT, "GSIN (AI 402) must be 17 digits");
        csum_len = 17;
    } else if (!strcmp(ai, "253") || !strcmp(ai, "255")) {
        if (n < 13 || !all_digits(v, 13))
            return ledger_err_set(err, LEDGER_EINPUT, "AI %s must start with 13 digits", ai);
        if (!strcmp(ai, "253") && n > 13 + 17)
            return ledger_err_set(err, LEDGER_EINPUT, "GDTI serial longer than 17 characters");
        if (!strcmp(ai, "255") && (n > 13 + 12 || !all_digits(v + 13, n - 13)))
            return ledger_err_set(err, LEDGER_EINPUT, "GCN serial must be up to 12 digits");
        csum_len = 13;
    } else if (!strcmp(ai, "8003")) {
        if (n < 14 || !all_digits(v, 14))
            return ledger_err_set(err, LEDGER_EINPUT, "GRAI must start with 14 digits");
        if (strict && v[0] != '0')
            return ledger_err_set(err, LEDGER_EINPUT, "GRAI must start with '0'");
        if (n > 14 + 16)
            return ledger_err_set(err, LEDGER_EINPUT, "GRAI serial longer than 16 characters");
        if (strict && !gs1_check_ok(v + 1, 13))
            return ledger_err_set(err, LEDGER_EINPUT, "GRAI: bad check digit");
        csum = false;
    } else if (!strcmp(ai, "8006")) {
        if (n != 18 || !all_digits(v, n))
            return ledger_err_set(err, LEDGER_EINPUT, "ITIP (AI 8006) must be 18 digits");
        if (strict && (memcmp(v + 14, "00", 2) == 0 || memcmp(v + 16, "00", 2) == 0 ||
                       memcmp(v + 14, v + 16, 2) > 0))
            return ledger_err_set(err, LEDGER_EINPUT, "ITIP: piece must be 1 to total");
        csum_len = 14;
    } else if (!strcmp(ai, "401") || !strcmp(ai, "8004")) {
        if (n < 1 || n > 30)
            return ledger_err_set(err, LEDGER_EINPUT, "AI %s must be 1 to 30 characters", ai);
        csum = false;
    } else if (!strcmp(ai, "8010")) {
        if (n < 1 || n > 30)
            return ledger_err_set(err, LEDGER_EINPUT, "CPID must be 1 to 30 characters");
        /* set 39 was checked when decoding */
        csum = false;
    } else { /* 8013 */
        if (n < 3 || n > 25)
            return ledger_err_set(err, LEDGER_EINPUT, "GMN must be 3 to 25 characters");
        if (strict && !gmn_check_ok(v, n))
            return ledger_err_set(err, LEDGER_EINPUT, "GMN: bad check character pair");
        csum = false;
    }
    if (csum && strict && !gs1_check_ok(v, csum_len))
        return ledger_err_set(err, LEDGER_EINPUT, "AI %s: bad check digit", ai);
    return 0;
}

static int dl_qual_value(int q, const char *v, size_t n, bool strict, ledger_err_t *err)
{
    const char *ai = qual_ais[q].ai;
    switch (q) {
    case Q235:
        if (n < 1 || n > 28)
            return ledger_err_set(err, LEDGER_EINPUT, "AI 235 must be 1 to 28 characters");
        return 0;
    case Q7040:
        if (n != 4 || !is_digit((unsigned char)v[0]) ||
            !(is_digit((unsigned char)v[3]) || is_upper((unsigned char)v[3]) ||
              is_lower((unsigned char)v[3]) || v[3] == '-' || v[3] == '_'))
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "AI 7040 must be a digit, 2 characters and "
                                  "an importer index");
        return 0;
    case Q8011:
        if (n < 1 || n > 12 || !all_digits(v, n) || (strict && n > 1 && v[0] == '0'))
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "AI 8011 must be 1 to 12 digits without leading zero");
        return 0;
    case Q8019:
        if (n < 1 || n > 10 || !all_digits(v, n))
            return ledger_err_set(err, LEDGER_EINPUT, "AI 8019 must be 1 to 10 digits");
        return 0;
    default:
        if (n < 1 || n > 20)
            return ledger_err_set(err, LEDGER_EINPUT, "AI %s must be 1 to 20 characters", ai);
        return 0;
    }
}

/* Tries to read segs[k..nseg) as primary key, value, then qualifier pairs.
 * Writes the constrained canonical URI to b. */
typedef struct {
    const char *p;
    size_t n;
} seg_t;

static int dl_parse_at(const seg_t *segs, int k, int nseg, bool strict, sbuf_t *b,
                       ledger_err_t *err)
{
    const struct pkey *pk = find_pkey(segs[k].p, segs[k].n);
    char v[VAL_MAX], qv[QN][VAL_MAX];
    size_t vn, qn[QN];
    bool have[QN] = {false};
    int rc, pos = -1, alt = -1;

    if ((nseg - k) % 2 != 0)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "AI %s: path ends with a qualifier that has no "
                              "value",
                              pk->ai);
    if ((rc = pct_decode(segs[k + 1].p, segs[k + 1].n, ESC_DL, !strcmp(pk->ai, "8010"), v, VAL_MAX,
                         &vn, pk->ai, err)) < 0)
        return rc;
    if ((rc = dl_key_value(pk->ai, v, &vn, strict, err)) < 0)
        return rc;
    for (int i = k + 2; i < nseg; i += 2) {
        int q = find_qual(segs[i].p, segs[i].n);
        int a, j;
        bool found = false;
        if (q < 0)
            return ledger_err_set(err, LEDGER_EINPUT, "'%.*s' is not a key qualifier of AI %s",
                                  (int)segs[i].n, segs[i].p, pk->ai);
        /* the qualifiers must follow one of the key's sequences in order */
        for (a = 0; a < 2 && !found; a++) {
            if (alt >= 0 && a != alt)
                continue;
            for (j = 0; j < 4 && pk->seq[a][j] >= 0; j++) {
                if (pk->seq[a][j] == q && j > pos) {
                    found = true;
                    alt = a;
                    pos = j;
                    break;
                }
            }
        }
        if (!found)
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "AI %s: qualifier %s not allowed here (wrong key, order or "
                                  "repeated)",
                                  pk->ai, qual_ais[q].ai);
        if ((rc = pct_decode(segs[i + 1].p, segs[i + 1].n, ESC_DL, false, qv[q], VAL_MAX, &qn[q],
                             qual_ais[q].ai, err)) < 0)
            return rc;
        if ((rc = dl_qual_value(q, qv[q], qn[q], strict, err)) < 0)
            return rc;
        have[q] = true;
    }
    sb_key(b, pk->ai, v, vn);
    if (have[Q21])
        sb_qual(b, "21", qv[Q21], qn[Q21]);
    else if (have[Q10])
        sb_qual(b, "10", qv[Q10], qn[Q10]);
    for (int q = Q235; q < QN; q++)
        if (have[q])
            sb_qual(b, qual_ais[q].ai, qv[q], qn[q]);
    return 0;
}

/* Returns 0 (DL in b), 1 (not a Digital Link) or an error. */
static int dl_convert(const char *uri, bool strict, sbuf_t *b, ledger_err_t *err)
{
    const char *p, *path, *end;
    seg_t segs[64];
    int nseg = 0, first_rc = 0;
    ledger_err_t first_err;

    if (strncmp(uri, "//", 2) != 0)
        return 1;
    p = uri + 2;
    path = p + strcspn(p, "/?#");
    end = path + strcspn(path, "?#");
    if (*path != '/')
        return 1;
    /* segments of the path after its leading '/' */
    for (const char *s = path + 1;;) {
        const char *e = memchr(s, '/', (size_t)(end - s));
        if (!e)
            e = end;
        if (nseg == (int)(sizeof segs / sizeof segs[0]))
            return 1; /* no Digital Link has that many */
        segs[nseg].p = s;
        segs[nseg].n = (size_t)(e - s);
        nseg++;
        if (e == end)
            break;
        s = e + 1;
    }
    if (nseg > 0 && segs[nseg - 1].n == 0)
        nseg--; /* one trailing slash */
    for (int k = 0; k + 1 < nseg; k++) {
        int rc;
        if (segs[k + 1].n == 0 || !is_digit((unsigned char)segs[k + 1].p[0]) ||
            !find_pkey(segs[k].p, segs[k].n))
            continue;
        if (path == p)
            return ledger_err_set(err, LEDGER_EINPUT, "Digital Link URI without a host");
        b->len = 0;
        b->s[0] = 0;
        rc = dl_parse_at(segs, k, nseg, strict, b, first_rc ? NULL : &first_err);
        if (rc == 0)
            return 0;
        if (!first_rc)
            first_rc = rc;
    }
    if (first_rc) {
        if (err)
            *err = first_err;
        return first_rc;
    }
    return 1;
}

/* ---- entry points ------------------------------------------------------ */

static bool prefix(const char *s, const char *pre)
{
    return strncmp(s, pre, strlen(pre)) == 0;
}

static bool iprefix(const char *s, const char *pre)
{
    size_t n = strlen(pre);
    for (size_t i = 0; i < n; i++) {
        int a = (unsigned char)s[i], c = (unsigned char)pre[i];
        if (a >= 'A' && a <= 'Z')
            a += 'a' - 'A';
        if (a != c)
            return false;
    }
    return true;
}

static int canonical(const char *uri, char *out, size_t out_len, enum ledger_gs1_kind *kind,
                     bool strict, ledger_err_t *err)
{
    sbuf_t b;
    int rc;
    enum ledger_gs1_kind k = LEDGER_GS1_OTHER;

    b.len = 0;
    b.s[0] = 0;
    b.overflow = false;
    if (kind)
        *kind = LEDGER_GS1_OTHER;
    if (!uri || !out || out_len == 0)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_gs1_canonical: NULL argument");

    if (prefix(uri, "urn:epc:id:")) {
        k = LEDGER_GS1_EPC_ID;
        rc = epc_convert(uri + 11, false, &b, err);
    } else if (prefix(uri, "urn:epc:class:")) {
        k = LEDGER_GS1_EPC_CLASS;
        if (prefix(uri, "urn:epc:class:lgtin:")) {
            comps_t c;
            split_dots(uri + 20, 3, &c);
            rc = epc_sgtin_like(&c, "lgtin", PAT_NONE, &b, err);
        } else {
            rc = ledger_err_set(err, LEDGER_EINPUT, "unknown EPC class scheme in '%.40s'", uri);
        }
    } else if (prefix(uri, "urn:epc:idpat:")) {
        k = LEDGER_GS1_EPC_IDPAT;
        rc = epc_convert(uri + 14, true, &b, err);
    } else if (iprefix(uri, "https:")) {
        k = LEDGER_GS1_DL;
        rc = dl_convert(uri + 6, strict, &b, err);
    } else if (iprefix(uri, "http:")) {
        k = LEDGER_GS1_DL;
        rc = dl_convert(uri + 5, strict, &b, err);
    } else {
        rc = 1;
    }
    if (rc < 0) {
        ledger_err_prefix(err, "'%.200s'", uri);
        out[0] = 0;
        return rc;
    }
    if (rc == 1) {
        size_t n = strlen(uri);
        if (n >= out_len) {
            out[0] = 0;
            return ledger_err_set(err, LEDGER_ETOOBIG, "URI of %zu bytes does not fit", n);
        }
        memcpy(out, uri, n + 1);
        return ledger_err_set(err, LEDGER_ENOTFOUND, "'%.200s' is not a GS1 identifier", uri);
    }
    if (strict && !b.overflow) {
        /* the strict checks (check digits, ...) on the canonical form */
        sbuf_t b2 = {.len = 0, .overflow = false};
        if ((rc = dl_convert(b.s + 6, true, &b2, err)) != 0) {
            ledger_err_prefix(err, "'%.200s'", uri);
            out[0] = 0;
            return rc < 0 ? rc : LEDGER_EINPUT;
        }
    }
    if (b.overflow || b.len >= out_len) {
        out[0] = 0;
        return ledger_err_set(err, LEDGER_ETOOBIG, "canonical URI of '%.200s' does not fit", uri);
    }
    memcpy(out, b.s, b.len + 1);
    if (kind)
        *kind = k;
    return 0;
}

int ledger_gs1_canonical(const char *uri, char *out, size_t out_len, enum ledger_gs1_kind *kind,
                         ledger_err_t *err)
{
    return canonical(uri, out, out_len, kind, false, err);
}

int ledger_gs1_check_uri(const char *s, ledger_err_t *err)
{
    const char *p;
    char out[LEDGER_GS1_URI_MAX];
    int rc;

    if (!s)
        return ledger_err_set(err, LEDGER_EINPUT, "missing URI");
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (!is_upper((unsigned char)s[0]) && !is_lower((unsigned char)s[0]))
        return ledger_err_set(err, LEDGER_EINPUT, "'%.200s' is not an absolute URI", s);
    for (p = s + 1; *p && *p != ':'; p++)
        if (!is_upper((unsigned char)*p) && !is_lower((unsigned char)*p) &&
            !is_digit((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
            return ledger_err_set(err, LEDGER_EINPUT, "'%.200s' is not an absolute URI", s);
    if (*p != ':' || p[1] == 0)
        return ledger_err_set(err, LEDGER_EINPUT, "'%.200s' is not an absolute URI", s);
    for (p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "URI '%.200s' contains a space or control character", s);
    rc = canonical(s, out, sizeof out, NULL, true, err);
    if (rc == LEDGER_ENOTFOUND || rc == LEDGER_ETOOBIG) {
        ledger_err_clear(err);
        return 0;
    }
    return rc;
}
