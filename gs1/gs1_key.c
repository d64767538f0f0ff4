/* gs1_key.c -- the event hash's canonical form and the strict identifier
 * check (gs1_key.h), on top of gs1_dl_parse, gs1_ident's EPC URN readers and
 * gs1_dl_key: no parser of its own.
 *
 * gs1_key_read() gives both readings of an identifier (gs1_ident_key's key,
 * gs1_key_hash's form) from one parse where the two readings cannot differ:
 * an EPC pure identity or class URN both read with the same URN reader
 * (the hash's skips check digits, and a URN carries none: the reader
 * computes them), a Digital Link without '?' or '#' both parse the same
 * way once it passes with check digits and the hash's own rules (percent
 * escapes, a primary key starting with a digit).  Anything else, and any
 * failure on the way, is read both ways as before.  Its per-thread memo
 * (both answers per text, two slot choices) is what gs1_key_hash() and
 * gs1_key_check_uri() consult too, so the check, the event hash and the
 * index key of one event parse each identifier once. */
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
static void reading(const char *uri, size_t n, gs1_key_reading_t *r);
static int memo_hash(const char *uri, size_t n, char *out, size_t cap, int *rc);

int gs1_key_hash(const char *uri, char *out, size_t out_len, gs1_err_t *err)
{
    gs1_key_reading_t r;
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
    if (memo_hash(uri, n, out, out_len, &rc))
        return rc;
    reading(uri, n, &r);
    if ((r.hash_rc == 0 || r.hash_rc == GS1_ENOTFOUND) && (n = strlen(r.hash)) < out_len) {
        memcpy(out, r.hash, n + 1);
        return r.hash_rc;
    }
    /* an error (read again for its message), or out too small */
    return key_hash(uri, out, out_len, err);
}

/* The reference refuses a '%' in uri[0..pn) that starts no escape (the
 * syntax engine keeps it). */
static int hash_escapes(const char *uri, size_t pn, gs1_err_t *err)
{
    for (size_t i = 0; i < pn; i++)
        if (uri[i] == '%' && (i + 2 >= pn || gs1_ai_hex_value((unsigned char)uri[i + 1]) < 0 ||
                              gs1_ai_hex_value((unsigned char)uri[i + 2]) < 0))
            return gs1_err_set(err, GS1_EINPUT, "Digital Link: bad percent-escape at position %zu",
                               i + 1);
    return 0;
}

/* The reference's gcppos1 refuses a primary key whose value does not start
 * with a digit (the syntax engine lets a GIAI do so). */
static int hash_first_digit(const gs1_ai_list_t *l, gs1_err_t *err)
{
    if (l->n == 0 || l->f[0].len == 0 || l->f[0].value[0] < '0' || l->f[0].value[0] > '9')
        return gs1_err_set(err, GS1_EINPUT,
                           "Digital Link: the value of AI (%s) must start with a digit",
                           l->n ? l->f[0].ai : "?");
    return 0;
}

static bool is_http(const char *uri, size_t n)
{
    return (n > 8 && strncasecmp(uri, "https://", 8) == 0) ||
           (n > 7 && strncasecmp(uri, "http://", 7) == 0);
}

/* Both readings of uri[0..n) from one parse, when gs1_ident_key and
 * key_hash would read it into the same fields (see the top of the file):
 * 1 and r filled, or 0 (r untouched) to read it both ways. */
static int read_once(const char *uri, size_t n, gs1_key_reading_t *r)
{
    gs1_ai_list_t l;
    int cpl;

    /* gs1_ident_key trims blanks and refuses long input: not here */
    if (n == 0 || n > GS1_IDENT_MAX_INPUT || strchr(" \t\r\n", uri[n - 1]))
        return 0;
    if ((n > 11 && memcmp(uri, "urn:epc:id:", 11) == 0) ||
        (n > 14 && memcmp(uri, "urn:epc:class:", 14) == 0)) {
        if (gs1_ident_urn_to_ai(uri, n, &l, &cpl, NULL) != 0)
            return 0;
    } else if (is_http(uri, n)) {
        if (strcspn(uri, "?#") != n || !gs1_dl_looks_like(uri, n, GS1_LENIENT | GS1_NO_PAIRS) ||
            !gs1_dl_looks_like(uri, n, GS1_ALPHAS) || hash_escapes(uri, n, NULL) != 0 ||
            gs1_dl_parse(uri, n, GS1_LENIENT | GS1_NO_PAIRS, &l, NULL, NULL) != 0 ||
            hash_first_digit(&l, NULL) != 0)
            return 0;
    } else {
        return 0;
    }
    /* gs1_ident_key selects the path, then writes the key: gs1_dl_key
     * selects it too, and fails where the selection does */
    if (gs1_dl_key(&l, r->key, sizeof r->key, NULL) != 0)
        return 0;
    memcpy(r->hash, r->key, strlen(r->key) + 1);
    r->key_rc = r->hash_rc = 0;
    return 1;
}

/* The memo of both readings: MEMO_N entries of up to MEMO_IN / MEMO_OUT
 * bytes (gs1__memo.h); an identifier may sit in one of two slots (two
 * hash choices), the one used longer ago is replaced, so the ten or so
 * texts of an event do not push each other out before the event's second
 * reading. */
typedef struct read_memo {
    uint32_t h, used; /* used 0: empty */
    uint16_t inlen, keylen, hashlen;
    int key_rc, hash_rc;
    char in[MEMO_IN];
    char key[MEMO_OUT];
    char hash[MEMO_OUT];
} read_memo_t;

typedef struct read_memo_tab {
    uint32_t clock;
    read_memo_t e[MEMO_N];
} read_memo_tab_t;

static read_memo_t *memo_slot(read_memo_tab_t *t, uint32_t h, int which)
{
    return &t->e[(which ? (h >> 16) ^ (h * 2654435761u >> 26) : h) % MEMO_N];
}

static int memo_get(read_memo_tab_t *t, uint32_t h, const char *s, size_t n, gs1_key_reading_t *r)
{
    for (int w = 0; w < 2; w++) {
        read_memo_t *m = memo_slot(t, h, w);
        if (m->used && m->h == h && m->inlen == n && memcmp(m->in, s, n) == 0) {
            m->used = ++t->clock ? t->clock : (t->clock = 1);
            r->key_rc = m->key_rc;
            r->hash_rc = m->hash_rc;
            memcpy(r->key, m->key, (size_t)m->keylen + 1);
            memcpy(r->hash, m->hash, (size_t)m->hashlen + 1);
            return 1;
        }
    }
    return 0;
}

static void memo_put(read_memo_tab_t *t, uint32_t h, const char *s, size_t n,
                     const gs1_key_reading_t *r)
{
    read_memo_t *a = memo_slot(t, h, 0), *b = memo_slot(t, h, 1), *m;
    size_t kl = strlen(r->key), hl = strlen(r->hash);
    if (n == 0 || n >= MEMO_IN || kl >= MEMO_OUT || hl >= MEMO_OUT)
        return;
    m = b->used < a->used ? b : a;
    m->h = h;
    m->used = ++t->clock ? t->clock : (t->clock = 1);
    m->inlen = (uint16_t)n;
    m->keylen = (uint16_t)kl;
    m->hashlen = (uint16_t)hl;
    m->key_rc = r->key_rc;
    m->hash_rc = r->hash_rc;
    memcpy(m->in, s, n);
    memcpy(m->key, r->key, kl + 1);
    memcpy(m->hash, r->hash, hl + 1);
}

static _Thread_local read_memo_tab_t memo;

/* gs1_key_hash()'s answer straight from the memo (the event hash asks for
 * the hash form only: no copy of both readings): 1, out and *rc set, when
 * the memo holds uri[0..n) with a hash form that is an answer (0 or
 * GS1_ENOTFOUND) and fits in cap. */
static int memo_hash(const char *uri, size_t n, char *out, size_t cap, int *rc)
{
    uint32_t h = gs1__memo_hash(uri, n);
    for (int w = 0; w < 2; w++) {
        read_memo_t *m = memo_slot(&memo, h, w);
        if (m->used && m->h == h && m->inlen == n && memcmp(m->in, uri, n) == 0) {
            if (!(m->hash_rc == 0 || m->hash_rc == GS1_ENOTFOUND) || (size_t)m->hashlen >= cap)
                return 0;
            m->used = ++memo.clock ? memo.clock : (memo.clock = 1);
            memcpy(out, m->hash, (size_t)m->hashlen + 1);
            *rc = m->hash_rc;
            return 1;
        }
    }
    return 0;
}

/* gs1_key_read() for uri of length n, through the per-thread memo. */
static void reading(const char *uri, size_t n, gs1_key_reading_t *r)
{
    uint32_t h = gs1__memo_hash(uri, n);
    if (memo_get(&memo, h, uri, n, r))
        return;
    if (!read_once(uri, n, r)) {
        r->key_rc = gs1_ident_key(uri, n, NULL, r->key, sizeof r->key, NULL);
        if (r->key_rc < 0)
            r->key[0] = '\0';
        r->hash_rc = key_hash(uri, r->hash, sizeof r->hash, NULL);
    }
    /* pure functions of the text and the buffer sizes: errors are kept
     * too (without their messages, which the callers read again) */
    memo_put(&memo, h, uri, n, r);
}

int gs1_key_read(const char *uri, gs1_key_reading_t *r)
{
    if (!uri || !r)
        return GS1_EINVAL;
    reading(uri, strlen(uri), r);
    return 0;
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
        /* the reference drops the query string and the fragment */
        size_t pn = strcspn(uri, "?#");
        if ((rc = hash_escapes(uri, pn, err)) == 0)
            rc = gs1_dl_parse(uri, pn, GS1_LENIENT | GS1_NO_PAIRS | GS1_NO_CHECK_DIGITS, &l, NULL,
                              err);
        if (rc == 0)
            rc = hash_first_digit(&l, err);
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
    gs1_key_reading_t r;
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
    /* the reading the event hash and the index key take from the memo */
    reading(s, n, &r);
    if (r.key_rc == 0 || r.key_rc == GS1_ETOOBIG)
        return 0;
    rc = gs1_ident_key(s, n, NULL, key, sizeof key, err); /* for its message */
    return rc == GS1_ETOOBIG ? 0 : rc;
}

enum gs1_key_level gs1_key_gtin(const char *key, char gtin[15])
{
    static const char head[] = GS1_DL_CANON_HOST "/01/";
    const size_t h = sizeof head - 1;
    const char *q;
    if (!key || strncmp(key, head, h) != 0)
        return GS1_KEY_NOT_GTIN;
    for (size_t i = 0; i < 14; i++) /* strspn(key + h, digits) == 14, by hand */
        if ((unsigned char)(key[h + i] - '0') > 9)
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
    if (q[1] == '2' && q[2] == '1' && q[3] == '/') /* "/21/"; q[0] is '/' */
        return GS1_KEY_SERIAL;
    if (q[1] == '1' && q[2] == '0' && q[3] == '/') /* "/10/" */
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
    if (uri[0] != 'h' && uri[0] != 'H') /* an EPC URN, most often: no http(s) */
        return gs1_err_set(err, GS1_ENOTFOUND, "not a Digital Link");
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
