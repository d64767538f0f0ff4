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
#include "ledger__gs1.h"

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
        rc = ledger__gs1_epc_convert(uri + 11, false, &b, err);
    } else if (prefix(uri, "urn:epc:class:")) {
        k = LEDGER_GS1_EPC_CLASS;
        if (prefix(uri, "urn:epc:class:lgtin:")) {
            rc = ledger__gs1_lgtin_convert(uri + 20, &b, err);
        } else {
            rc = ledger_err_set(err, LEDGER_EINPUT, "unknown EPC class scheme in '%.40s'", uri);
        }
    } else if (prefix(uri, "urn:epc:idpat:")) {
        k = LEDGER_GS1_EPC_IDPAT;
        rc = ledger__gs1_epc_convert(uri + 14, true, &b, err);
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
