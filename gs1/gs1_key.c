/* gs1_key.c -- the event hash's canonical form and the strict identifier
 * check (gs1_key.h), on top of gs1_dl_parse, gs1_ident's EPC URN readers and
 * gs1_dl_key: no parser of its own. */
#include "gs1_key.h"

#include "gs1__memo.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gs1__ident.h"
#include "gs1_ai.h"
#include "gs1_dl.h"
#include "gs1_ident.h"

static bool has_prefix(const char *s, const char *pre)
{
    return strncmp(s, pre, strlen(pre)) == 0;
}

static int key_hash(const char *uri, char *out, size_t out_len, gs1_err_t *err);

int gs1_key_hash(const char *uri, char *out, size_t out_len, gs1_err_t *err)
{
    static _Thread_local gs1__memo_t memo[MEMO_N];
    uint32_t h;
    size_t n;
    int rc;
    if (!uri || !out || out_len == 0)
        return gs1_err_set(err, GS1_EINVAL, "gs1_key_hash: NULL argument");
    /* the event hash asks about every value with a '.' in it (times,
     * numbers): what cannot be an EPC URN or a Digital Link is answered
     * at once, and kept out of the memo */
    if (!has_prefix(uri, "urn:epc:") && strncasecmp(uri, "http", 4) != 0)
        return key_hash(uri, out, out_len, err);
    n = strlen(uri);
    h = gs1__memo_hash(uri, n);
    if (gs1__memo_get(memo, h, uri, n, out, out_len, &rc))
        return rc;
    rc = key_hash(uri, out, out_len, err);
    if (rc == 0 || rc == GS1_ENOTFOUND)
        gs1__memo_put(memo, h, uri, n, out, rc);
    return rc;
}

static int key_hash(const char *uri, char *out, size_t out_len, gs1_err_t *err)
{
    gs1_ai_list_t l;
    size_t n;
    int rc, cpl;

    if (!uri || !out || out_len == 0)
        return gs1_err_set(err, GS1_EINVAL, "gs1_key_hash: NULL argument");
    out[0] = '\0';
    n = strlen(uri);
    if (has_prefix(uri, "urn:epc:id:") || has_prefix(uri, "urn:epc:class:")) {
        rc = gs1__urn_to_ai(uri, n, GS1_NO_CHECK_DIGITS, &l, &cpl, err);
    } else if (has_prefix(uri, "urn:epc:idpat:")) {
        rc = gs1__idpat_to_ai(uri, n, GS1_NO_CHECK_DIGITS, &l, err);
    } else if ((strncasecmp(uri, "https://", 8) == 0 || strncasecmp(uri, "http://", 7) == 0) &&
               gs1_dl_looks_like(uri, n, GS1_ALPHAS)) {
        /* the reference drops the query string and the fragment, and
         * refuses a '%' that starts no escape (the syntax engine keeps it) */
        size_t pn = strcspn(uri, "?#");
        rc = 0;
        for (size_t i = 0; i < pn && rc == 0; i++)
            if (uri[i] == '%' && (i + 2 >= pn || gs1_ai_hex_value((unsigned char)uri[i + 1]) < 0 ||
                                  gs1_ai_hex_value((unsigned char)uri[i + 2]) < 0))
                rc = gs1_err_set(err, GS1_EINPUT,
                                 "Digital Link: bad percent-escape at position %zu", i + 1);
        if (rc == 0)
            rc = gs1_dl_parse(uri, pn, GS1_LENIENT | GS1_NO_PAIRS | GS1_NO_CHECK_DIGITS, &l, NULL,
                              err);
        /* and a primary key whose value does not start with a digit (the
         * syntax engine lets a GIAI do so; gcppos1 refuses it in decode) */
        if (rc == 0 &&
            (l.n == 0 || l.f[0].len == 0 || l.f[0].value[0] < '0' || l.f[0].value[0] > '9'))
            rc = gs1_err_set(err, GS1_EINPUT,
                             "Digital Link: the value of AI (%s) must start with a digit",
                             l.n ? l.f[0].ai : "?");
    } else {
        rc = GS1_ENOTFOUND;
        gs1_err_set(err, GS1_ENOTFOUND, "'%.200s' is not a GS1 identifier", uri);
    }
    if (rc == GS1_ENOTFOUND) {
        if (n >= out_len)
            return gs1_err_set(err, GS1_ETOOBIG, "URI of %zu bytes does not fit", n);
        memcpy(out, uri, n + 1);
        return GS1_ENOTFOUND;
    }
    if (rc < 0)
        return rc;
    if ((rc = gs1_dl_key(&l, out, out_len, err)) < 0)
        out[0] = '\0';
    return rc;
}

static bool is_alpha(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int check_uri(const char *s, gs1_err_t *err);

int gs1_key_check_uri(const char *s, gs1_err_t *err)
{
    static _Thread_local gs1__memo_t memo[MEMO_N];
    uint32_t h;
    size_t n;
    int rc;
    if (!s)
        return check_uri(s, err);
    n = strlen(s);
    h = gs1__memo_hash(s, n);
    if (gs1__memo_get(memo, h, s, n, NULL, 0, &rc))
        return rc;
    if ((rc = check_uri(s, err)) == 0)
        gs1__memo_put(memo, h, s, n, NULL, rc);
    return rc;
}

static int check_uri(const char *s, gs1_err_t *err)
{
    const char *p;
    char key[GS1_KEY_MAX];
    size_t n;
    int rc;

    if (!s)
        return gs1_err_set(err, GS1_EINPUT, "missing URI");
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (!is_alpha((unsigned char)s[0]))
        return gs1_err_set(err, GS1_EINPUT, "'%.200s' is not an absolute URI", s);
    for (p = s + 1; *p && *p != ':'; p++)
        if (!is_alpha((unsigned char)*p) && !(*p >= '0' && *p <= '9') && *p != '+' && *p != '-' &&
            *p != '.')
            return gs1_err_set(err, GS1_EINPUT, "'%.200s' is not an absolute URI", s);
    if (*p != ':' || p[1] == 0)
        return gs1_err_set(err, GS1_EINPUT, "'%.200s' is not an absolute URI", s);
    for (p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
            return gs1_err_set(err, GS1_EINPUT,
                               "URI '%.200s' contains a space or control character", s);
    n = (size_t)(p - s);
    if (!(strncasecmp(s, "urn:epc:", 8) == 0 || gs1_dl_looks_like(s, n, GS1_LENIENT)))
        return 0; /* another URI: an eventID, urn:uuid:, a web address */
    rc = gs1_ident_key(s, n, NULL, key, sizeof key, err);
    return rc == GS1_ETOOBIG ? 0 : rc;
}

enum gs1_key_level gs1_key_gtin(const char *key, char gtin[15])
{
    static const char head[] = GS1_DL_CANON_HOST "/01/";
    const size_t h = sizeof head - 1;
    const char *q;
    if (!key || strncmp(key, head, h) != 0 || strspn(key + h, "0123456789") != 14)
        return GS1_KEY_NOT_GTIN;
    q = key + h + 14;
    if (*q && *q != '/')
        return GS1_KEY_NOT_GTIN;
    if (gtin) {
        memcpy(gtin, key + h, 14);
        gtin[14] = '\0';
    }
    if (!*q)
        return GS1_KEY_CLASS;
    if (strncmp(q, "/21/", 4) == 0)
        return GS1_KEY_SERIAL;
    if (strncmp(q, "/10/", 4) == 0)
        return GS1_KEY_LOT;
    if (strncmp(q, "/235/", 5) == 0)
        return GS1_KEY_TPX;
    return GS1_KEY_NOT_GTIN;
}

/* Writes the key of the (01) and (10) fields of l into out. */
static int lgtin_of(const gs1_ai_field_t *g, const gs1_ai_field_t *lot, char *out, size_t cap,
                    gs1_err_t *err)
{
    gs1_ai_list_t k;
    int rc;
    gs1_ai_list_clear(&k);
    if ((rc = gs1_ai_list_add(&k, "01", g->e, g->value, g->len, err)) < 0 ||
        (rc = gs1_ai_list_add(&k, "10", lot->e, lot->value, lot->len, err)) < 0)
        return rc;
    return gs1_dl_key(&k, out, cap, err);
}

int gs1_key_lot(const char *uri, char *out, size_t cap, gs1_err_t *err)
{
    gs1_ai_list_t l;
    const gs1_ai_field_t *g, *lot;
    size_t n, npath;

    if (!uri || !out || cap == 0)
        return gs1_err_set(err, GS1_EINVAL, "gs1_key_lot: NULL argument");
    out[0] = '\0';
    n = strlen(uri);
    if (!(strncasecmp(uri, "https://", 8) == 0 || strncasecmp(uri, "http://", 7) == 0) ||
        !gs1_dl_looks_like(uri, n, GS1_ALPHAS) ||
        gs1_dl_parse(uri, strcspn(uri, "?#"), GS1_LENIENT | GS1_NO_PAIRS | GS1_NO_CHECK_DIGITS, &l,
                     &npath, NULL) < 0)
        return gs1_err_set(err, GS1_ENOTFOUND, "not a Digital Link");
    g = gs1_ai_list_find(&l, "01");
    lot = gs1_ai_list_find(&l, "10");
    if (!g || !lot || !gs1_ai_list_find(&l, "21"))
        return gs1_err_set(err, GS1_ENOTFOUND, "no lot next to a serial");
    return lgtin_of(g, lot, out, cap, err);
}

int gs1_key_lgtin(const char *gtin, const char *lot, char *out, size_t cap, gs1_err_t *err)
{
    gs1_ai_field_t g, l;
    int rc;
    if (!gtin || !lot || !out || cap == 0)
        return gs1_err_set(err, GS1_EINVAL, "gs1_key_lgtin: NULL argument");
    out[0] = '\0';
    g.e = gs1_ai_lookup("01", 2, 0);
    l.e = gs1_ai_lookup("10", 2, 0);
    g.value = gtin;
    g.len = strlen(gtin);
    l.value = lot;
    l.len = strlen(lot);
    if ((rc = gs1_ai_validate("01", g.e, g.value, g.len, GS1_NO_CHECK_DIGITS, err)) < 0 ||
        (rc = gs1_ai_validate("10", l.e, l.value, l.len, 0, err)) < 0)
        return rc;
    return lgtin_of(&g, &l, out, cap, err);
}
