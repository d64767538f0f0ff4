/* gs1_urn.c -- the one reader of EPC pure identity and class URNs
 * (gs1_urn.h).
 *
 * How it works: a table holds every scheme keten reads, with the kind of
 * each part of its body and the GS1 key its parts make (that half is used
 * by gs1_ident, in both directions).  Reading is: match the prefix, look
 * the scheme up, check the bytes, cut the body at the first nparts-1 dots,
 * then copy each part -- as written ('R') or unescaped and checked against
 * its character set ('X', 'Y', 'N').  No allocation: the parts go into the
 * caller's gs1_urn_t.
 */
#include "gs1_urn.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* name, class, nparts, kinds, key_ai, digits, lead, zero, piece, ser, qual_ai, kset, sset */
static const gs1_urn_scheme_t SCHEMES[] = {
    {"sgtin", false, 3, "RRX", "01", 14, 1, 0, 0, GS1_URN_SER_QUAL, "21", 0, 'X'},
    {"lgtin", true, 3, "RRX", "01", 14, 1, 0, 0, GS1_URN_SER_QUAL, "10", 0, 'X'},
    {"upui", false, 3, "RRX", "01", 14, 1, 0, 0, GS1_URN_SER_QUAL, "235", 0, 'X'},
    {"itip", false, 5, "RRRRX", "8006", 14, 1, 0, 1, GS1_URN_SER_QUAL, "21", 0, 'X'},
    {"sscc", false, 2, "RR", "00", 18, 1, 0, 0, GS1_URN_SER_NONE, NULL, 0, 0},
    {"sgln", false, 3, "RRX", "414", 13, 0, 0, 0, GS1_URN_SER_QUAL, "254", 0, 'X'},
    {"pgln", false, 2, "RR", "417", 13, 0, 0, 0, GS1_URN_SER_NONE, NULL, 0, 0},
    {"grai", false, 3, "RRX", "8003", 13, 0, 1, 0, GS1_URN_SER_IN_KEY, NULL, 0, 'X'},
    {"gdti", false, 3, "RRX", "253", 13, 0, 0, 0, GS1_URN_SER_IN_KEY, NULL, 0, 'X'},
    {"sgcn", false, 3, "RRN", "255", 13, 0, 0, 0, GS1_URN_SER_IN_KEY, NULL, 0, 'N'},
    {"gsrn", false, 2, "RR", "8018", 18, 0, 0, 0, GS1_URN_SER_NONE, NULL, 0, 0},
    {"gsrnp", false, 2, "RR", "8017", 18, 0, 0, 0, GS1_URN_SER_NONE, NULL, 0, 0},
    {"gsin", false, 2, "RR", "402", 17, 0, 0, 0, GS1_URN_SER_NONE, NULL, 0, 0},
    {"giai", false, 2, "RX", "8004", 0, 0, 0, 0, GS1_URN_SER_NONE, NULL, 'X', 0},
    {"ginc", false, 2, "RX", "401", 0, 0, 0, 0, GS1_URN_SER_NONE, NULL, 'X', 0},
    {"cpi", false, 3, "RYN", "8010", 0, 0, 0, 0, GS1_URN_SER_QUAL, "8011", 'Y', 'N'},
    /* no GS1 key */
    {"gid", false, 3, "RRR", NULL, 0, 0, 0, 0, GS1_URN_SER_NONE, NULL, 0, 0},
    {"usdod", false, 2, "RR", NULL, 0, 0, 0, 0, GS1_URN_SER_NONE, NULL, 0, 0},
};

/* Pure identity schemes keten knows by name but does not read. */
static const char *const UNREAD[] = {"adi", "bic", "imovn"};

const gs1_urn_scheme_t *gs1_urn_schemes(size_t *n)
{
    if (n)
        *n = NELEM(SCHEMES);
    return SCHEMES;
}

const gs1_urn_scheme_t *gs1_urn_scheme(const char *name, size_t n, bool is_class)
{
    for (size_t i = 0; i < NELEM(SCHEMES); i++)
        if (SCHEMES[i].is_class == is_class && strlen(SCHEMES[i].name) == n &&
            memcmp(SCHEMES[i].name, name, n) == 0)
            return &SCHEMES[i];
    return NULL;
}

bool gs1_urn_must_escape(int c, char kind)
{
    if (kind == 'Y')
        return c == '#' || c == '/';
    if (kind == 'X')
        return c == '"' || c == '%' || c == '&' || c == '/' || c == '<' || c == '>' || c == '?';
    return false;
}

static bool in_set(int c, char kind)
{
    if (kind == 'N')
        return c >= '0' && c <= '9';
    if (kind == 'Y')
        return gs1_ai_in_set39(c);
    return gs1_ai_in_set82(c);
}

/* A name for part i of s in messages. */
static const char *part_name(const gs1_urn_scheme_t *s, size_t i)
{
    if (i == 0)
        return s->key_ai ? "company prefix" : "first part";
    if (s->piece && (i == 2 || i == 3))
        return i == 2 ? "piece" : "total";
    if (i + 1 == s->nparts && s->ser != GS1_URN_SER_NONE)
        return strcmp(s->name, "sgln") == 0 ? "extension" : "serial";
    return "reference";
}

int gs1_urn_scheme_of(const char *urn, size_t len, const gs1_urn_scheme_t **s, size_t *body,
                      gs1_err_t *err)
{
    const char *p, *colon, *end = urn + len;
    bool cls;

    *s = NULL;
    if (len > 11 && strncasecmp(urn, "urn:epc:id:", 11) == 0) {
        cls = false;
        p = urn + 11;
    } else if (len > 14 && strncasecmp(urn, "urn:epc:class:", 14) == 0) {
        cls = true;
        p = urn + 14;
    } else {
        return gs1_err_set(err, GS1_EINPUT,
                           "not an EPC pure identity or class URN (urn:epc:id:... or "
                           "urn:epc:class:lgtin:...)");
    }
    colon = memchr(p, ':', (size_t)(end - p));
    if (!colon)
        return gs1_err_set(err, GS1_EINPUT, "EPC URN without a scheme");
    *s = gs1_urn_scheme(p, (size_t)(colon - p), cls);
    if (!*s) {
        int n = (int)(colon - p > 16 ? 16 : colon - p);
        for (size_t i = 0; !cls && i < NELEM(UNREAD); i++)
            if (strlen(UNREAD[i]) == (size_t)(colon - p) && memcmp(UNREAD[i], p, (size_t)n) == 0)
                return gs1_err_set(err, GS1_ENOTFOUND, "EPC scheme %s is not one keten reads",
                                   UNREAD[i]);
        for (const char *c = p; c < colon; c++)
            if ((unsigned char)*c <= 32 || (unsigned char)*c >= 127)
                return gs1_err_set(err, GS1_EINPUT, "malformed EPC URN scheme");
        return gs1_err_set(err, GS1_EINPUT, "unknown EPC %s scheme '%.*s'",
                           cls ? "class" : "identity", n, p);
    }
    *body = (size_t)(colon + 1 - urn);
    return 0;
}

/* Unescapes part s[0..n) of kind into out (cap bytes). */
static int unescape(const char *scheme, const char *what, const char *s, size_t n, char kind,
                    unsigned flags, char *out, size_t cap, size_t *on, gs1_err_t *err)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int h = i + 2 < n ? gs1_ai_hex_value((unsigned char)s[i + 1]) : -1;
            int l = i + 2 < n ? gs1_ai_hex_value((unsigned char)s[i + 2]) : -1;
            if (h < 0 || l < 0)
                return gs1_err_set(err, GS1_EINPUT,
                                   "EPC URN %s %s: bad percent-escape at position %zu (like %%2F)",
                                   scheme, what, i + 1);
            c = h * 16 + l;
            if (!in_set(c, kind))
                return gs1_err_set(err, GS1_EINPUT,
                                   "EPC URN %s %s: %%%02X is not a character it may hold", scheme,
                                   what, c);
            if (!(flags & GS1_URN_ANY_ESCAPE) && !gs1_urn_must_escape(c, kind))
                return gs1_err_set(err, GS1_EINPUT,
                                   "EPC URN %s %s: escape %%%c%c is not allowed (only %s)", scheme,
                                   what, s[i + 1], s[i + 2],
                                   kind == 'Y' ? "%23 %2F" : "%22 %25 %26 %2F %3C %3E %3F");
            i += 2;
        } else if (!in_set(c, kind) || gs1_urn_must_escape(c, kind)) {
            return gs1_err_set(err, GS1_EINPUT,
                               "EPC URN %s %s: character '%c' must not appear here "
                               "(percent-encode it or remove it)",
                               scheme, what, c);
        }
        if (o + 1 >= cap)
            return gs1_err_set(err, GS1_EINPUT, "EPC URN %s %s: too long", scheme, what);
        out[o++] = (char)c;
    }
    out[o] = '\0';
    *on = o;
    return 0;
}

/* The index of the first byte of s[0..n) outside 0x21..0x7E, or n.  Eight
 * bytes a step (every URN read is checked whole): a word with a byte below
 * 0x21, at or above 0x80, or equal to 0x7F stops the fast loop, and the
 * byte loop finds which. */
static size_t first_bad_byte(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, del;
        memcpy(&x, s + i, 8);
        del = x ^ (ones * 0x7F);
        if ((((x - ones * 0x21) & ~x) | x | ((del - ones) & ~del)) & highs)
            break;
    }
    for (; i < n; i++)
        if ((unsigned char)((unsigned char)s[i] - 0x21) >= 0x7F - 0x21) /* <= 0x20 or >= 0x7F */
            return i;
    return n;
}

int gs1_urn_read_body(const gs1_urn_scheme_t *s, const char *urn, size_t len, size_t body,
                      unsigned flags, gs1_urn_t *out, gs1_err_t *err)
{
    const char *p = urn + body, *end = urn + len, *f[GS1_URN_MAX_PARTS];
    size_t fl[GS1_URN_MAX_PARTS], nf = s->nparts;
    const char *form = s->is_class ? "class" : "id";
    int rc;

    size_t bad = first_bad_byte(urn, len);
    if (bad < len)
        return gs1_err_set(err, GS1_EINPUT, "EPC URN: byte 0x%02X at position %zu is not allowed",
                           (unsigned char)urn[bad], bad + 1);
    out->scheme = s;
    for (size_t i = 0; i < nf; i++) {
        const char *dot = i + 1 < nf ? memchr(p, '.', (size_t)(end - p)) : end;
        if (!dot)
            return gs1_err_set(err, GS1_EINPUT,
                               "urn:epc:%s:%s: expected %zu parts separated by dots, found %zu",
                               form, s->name, nf, i + 1);
        f[i] = p;
        fl[i] = (size_t)(dot - p);
        p = dot + 1;
    }
    if (s->kind[nf - 1] == 'R' && memchr(f[nf - 1], '.', fl[nf - 1]))
        return gs1_err_set(err, GS1_EINPUT,
                           "urn:epc:%s:%s: expected %zu parts separated by dots, found more", form,
                           s->name, nf);
    for (size_t i = 0; i < nf; i++) {
        const char *what = part_name(s, i);
        if (s->kind[i] != 'R') {
            if ((rc = unescape(s->name, what, f[i], fl[i], s->kind[i], flags, out->part[i],
                               sizeof out->part[i], &out->len[i], err)) < 0)
                return rc;
            continue;
        }
        if (fl[i] > GS1_URN_PART_MAX)
            return gs1_err_set(err, GS1_EINPUT, "EPC URN %s %s: too long (%zu characters)", s->name,
                               what, fl[i]);
        memcpy(out->part[i], f[i], fl[i]);
        out->part[i][fl[i]] = '\0';
        out->len[i] = fl[i];
    }
    for (size_t i = nf; i < GS1_URN_MAX_PARTS; i++)
        out->part[i][0] = '\0', out->len[i] = 0;
    return 0;
}

int gs1_urn_read(const char *urn, size_t len, unsigned flags, gs1_urn_t *out, gs1_err_t *err)
{
    const gs1_urn_scheme_t *s;
    size_t body;
    int rc;
    if ((rc = gs1_urn_scheme_of(urn, len, &s, &body, err)) < 0)
        return rc;
    return gs1_urn_read_body(s, urn, len, body, flags, out, err);
}
