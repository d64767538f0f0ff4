/* ledger_gs1_epc.c -- EPC URNs (EPC Tag Data Standard pure identity,
 * class and pattern URIs) to the canonical GS1 Digital Link (see
 * ledger_gs1.h and the comment at the top of ledger_gs1.c): each scheme
 * checks its company prefix and reference digit counts, undoes the URN
 * percent-escapes of its free-text parts, rebuilds the GS1 key with its
 * check digit and writes https://id.gs1.org/<AI>/<key>[/<AI>/<value>]. */
#include "ledger__gs1.h"

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
int ledger__gs1_epc_convert(const char *body, bool idpat, sbuf_t *b, ledger_err_t *err)
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

int ledger__gs1_lgtin_convert(const char *body, sbuf_t *b, ledger_err_t *err)
{
    comps_t c;
    split_dots(body, 3, &c);
    return epc_sgtin_like(&c, "lgtin", PAT_NONE, b, err);
}
