/* gs1_dl.c -- GS1 Digital Link URIs (gs1_dl.h).
 *
 * How parsing works (one pass over the URI each way, no allocation):
 *  1. Every character must be one a URI may hold; the scheme is http:// or
 *     https:// (all lower or all upper case); the host runs to the first
 *     '/' and must not hold _ ~ ? # @ ! $ & ' ( ) * + , ; = %.
 *  2. The fragment ('#') and the query ('?') are cut off the path.
 *  3. From the end of the path backwards, segments are taken in (AI, value)
 *     pairs while the AI is known; the first pair whose AI is a primary key
 *     is the root.  Everything before it is the stem (any prefix).
 *  4. From the root forwards each pair is decoded, padded (GTIN-8/12/13 when
 *     allowed) and checked against the dictionary.
 *  5. Query parameters: numeric keys must be known AIs, others are skipped;
 *     values are decoded and checked.
 *  6. The path's qualifier sequence must be one the key allows; a query AI
 *     must not repeat an AI, must be a data attribute, and must not be one
 *     that would fit the path as a qualifier; finally the pairing rules.
 */
#include "gs1_dl.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gs1__obuf.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Convenience alphas of the Digital Link standard (deprecated, accepted with
 * GS1_ALPHAS). */
static const struct {
    const char *alpha, *ai;
} alphas[] = {
    {"cpid", "8010"}, {"cpsn", "8011"}, {"cpv", "22"},    {"gcn", "255"},    {"gdti", "253"},
    {"giai", "8004"}, {"ginc", "401"},  {"gln", "414"},   {"glnx", "254"},   {"gmn", "8013"},
    {"grai", "8003"}, {"gsin", "402"},  {"gsrn", "8018"}, {"gsrnp", "8017"}, {"gtin", "01"},
    {"itip", "8006"}, {"lot", "10"},    {"party", "417"}, {"refno", "8020"}, {"ser", "21"},
    {"srin", "8019"}, {"sscc", "00"},
};

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* RFC 3986 unreserved, reserved and '%'. */
static bool uri_char(int c)
{
    return is_alnum(c) || (c > 0 && c < 128 && strchr("-._~:/?#[]@!$&'()*+,;=%", c) != NULL);
}

static bool bad_host_char(int c)
{
    return strchr("_~?#@!$&'()*+,;=%", c) != NULL;
}

/* The entry of path segment s[0..n) taken as an AI (or a convenience alpha
 * when allowed); *ai gets the AI's digits. */
static const gs1_ai_t *path_ai(const char *s, size_t n, unsigned flags, char ai[5])
{
    const gs1_ai_t *e;
    if (n >= 2 && n <= 4 && is_digit((unsigned char)s[0])) {
        e = gs1_ai_lookup(s, n, flags & GS1_UNKNOWN_AIS);
        if (e) {
            memcpy(ai, s, n);
            ai[n] = '\0';
        }
        return e;
    }
    if ((flags & GS1_ALPHAS) && n >= 3 && n <= 5) {
        for (size_t i = 0; i < NELEM(alphas); i++)
            if (strlen(alphas[i].alpha) == n && memcmp(alphas[i].alpha, s, n) == 0) {
                strcpy(ai, alphas[i].ai);
                return gs1_ai_lookup(ai, strlen(ai), 0);
            }
    }
    return NULL;
}

size_t gs1_dl_unescape(const char *in, size_t n, bool query, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)in[i];
        if (c == '%' && i + 2 < n && gs1_ai_hex_value((unsigned char)in[i + 1]) >= 0 &&
            gs1_ai_hex_value((unsigned char)in[i + 2]) >= 0) {
            c = gs1_ai_hex_value((unsigned char)in[i + 1]) * 16 +
                gs1_ai_hex_value((unsigned char)in[i + 2]);
            if (c == 0)
                return (size_t)-1;
            i += 2;
        } else if (c == '+' && query) {
            c = ' ';
        }
        if (o + 1 >= cap)
            return (size_t)-1;
        out[o++] = (char)c;
    }
    if (cap == 0)
        return (size_t)-1;
    out[o] = '\0';
    return o;
}

size_t gs1_dl_escape(const char *in, size_t n, bool query, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (c == ' ' && query)) {
            if (o + 1 >= cap)
                return (size_t)-1;
            out[o++] = c == ' ' ? '+' : (char)c;
        } else {
            if (o + 3 >= cap)
                return (size_t)-1;
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (cap == 0)
        return (size_t)-1;
    out[o] = '\0';
    return o;
}

#define DLERR(...) gs1_err_set(err, GS1_EINPUT, "Digital Link: " __VA_ARGS__)

/* Decodes, pads and checks one value, then appends it. */
static int add_value(gs1_ai_list_t *out, const char *ai, const gs1_ai_t *e, const char *raw,
                     size_t rn, bool query, unsigned flags, gs1_err_t *err)
{
    char v[GS1_AI_MAX_VALUE + 1];
    size_t vn;
    int rc;

    if (rn == 0)
        return DLERR("AI (%s): empty value in the %s", ai, query ? "query string" : "path");
    vn = gs1_dl_unescape(raw, rn, query, v, sizeof v);
    if (vn == (size_t)-1) {
        for (size_t k = 0; k + 2 < rn; k++)
            if (raw[k] == '%' && raw[k + 1] == '0' && raw[k + 2] == '0')
                return DLERR("AI (%s): the value decodes to a NUL byte (%%00)", ai);
        return DLERR("AI (%s): value is too long", ai);
    }
    if ((flags & GS1_ZERO_SUPPRESSED) && strcmp(ai, "01") == 0 &&
        (vn == 8 || vn == 12 || vn == 13)) {
        memmove(v + 14 - vn, v, vn);
        memset(v, '0', 14 - vn);
        vn = 14;
        v[14] = '\0';
    }
    if ((rc = gs1_ai_validate(ai, e, v, vn, flags, err)) < 0) {
        if (strcmp(ai, "01") == 0 && (vn == 8 || vn == 12 || vn == 13) &&
            !(flags & GS1_ZERO_SUPPRESSED))
            return DLERR("AI (01): GTIN of %zu digits: a Digital Link carries the 14-digit GTIN",
                         vn);
        return gs1_err_prefix(err, "Digital Link");
    }
    return gs1_ai_list_add(out, ai, e, v, vn, err);
}

/* Step 3: finds the root "/<pkey>/<value>" scanning pairs from the end of
 * path[0..n) (path[0] == '/').  Returns its offset or -1. */
static long find_root(const char *path, size_t n, unsigned flags)
{
    size_t end = n;
    for (;;) {
        size_t vs = end, as;
        char ai[5];
        const gs1_ai_t *e;
        while (vs > 0 && path[vs - 1] != '/')
            vs--;
        if (vs <= 1) /* no '/' left before the value but the leading one */
            return -1;
        vs--; /* the '/' before the value */
        as = vs;
        while (as > 0 && path[as - 1] != '/')
            as--;
        if (as == 0)
            return -1;
        as--; /* the '/' before the AI */
        e = path_ai(path + as + 1, vs - as - 1, flags, ai);
        if (!e)
            return -1;
        if (e->flags & GS1_AI_DL_PKEY)
            return (long)as;
        end = as;
    }
}

int gs1_dl_parse(const char *uri, size_t n, unsigned flags, gs1_ai_list_t *out, size_t *npath_out,
                 gs1_err_t *err)
{
    const char *host, *hend, *path, *pend, *query = NULL, *qend, *frag;
    size_t npath, i;
    long root;
    char quals[3][5];
    int rc;

    gs1_ai_list_clear(out);
    if (npath_out)
        *npath_out = 0;
    if (!uri)
        return gs1_err_set(err, GS1_EINVAL, "gs1_dl_parse: NULL argument");
    for (i = 0; i < n; i++)
        if (!uri_char((unsigned char)uri[i])) {
            int c = (unsigned char)uri[i];
            if (c > 32 && c < 127)
                return DLERR("character '%c' at position %zu is not allowed in a URI", c, i + 1);
            return DLERR("byte 0x%02X at position %zu is not allowed in a URI", c, i + 1);
        }
    if (n >= 8 && (memcmp(uri, "https://", 8) == 0 || memcmp(uri, "HTTPS://", 8) == 0))
        host = uri + 8;
    else if (n >= 7 && (memcmp(uri, "http://", 7) == 0 || memcmp(uri, "HTTP://", 7) == 0))
        host = uri + 7;
    else
        return DLERR("must start with https:// or http://");
    hend = memchr(host, '/', n - (size_t)(host - uri));
    if (!hend)
        return DLERR("no path after the host");
    if (hend == host)
        return DLERR("no host");
    for (const char *h = host; h < hend; h++)
        if (bad_host_char((unsigned char)*h))
            return DLERR("character '%c' is not allowed in the host name", *h);
    path = hend;
    frag = memchr(path, '#', n - (size_t)(path - uri));
    qend = frag ? frag : uri + n;
    pend = memchr(path, '?', (size_t)(qend - path));
    if (pend)
        query = pend + 1;
    else
        pend = qend;
    if ((flags & GS1_TRAILING_SLASH) && pend - path > 1 && pend[-1] == '/')
        pend--;

    root = find_root(path, (size_t)(pend - path), flags);
    if (root < 0 && pend - path > 1 && pend[-1] == '/')
        return DLERR("the path must not end with '/'");
    if (root < 0)
        return DLERR("no GS1 primary key AI (e.g. /01/<GTIN>, /00/<SSCC>, /414/<GLN>) found "
                     "in the path");

    /* step 4: the path pairs, from the root on */
    for (const char *p = path + root; p < pend;) {
        const char *as = p + 1, *ae = memchr(as, '/', (size_t)(pend - as)), *ve;
        char ai[5];
        const gs1_ai_t *e;
        if (!ae)
            return DLERR("path ends with an AI without a value");
        e = path_ai(as, (size_t)(ae - as), flags, ai);
        if (!e)
            return DLERR("'%.*s' in the path is not an AI", (int)(ae - as > 8 ? 8 : ae - as), as);
        ve = memchr(ae + 1, '/', (size_t)(pend - ae - 1));
        if (!ve)
            ve = pend;
        if ((rc = add_value(out, ai, e, ae + 1, (size_t)(ve - ae - 1), false, flags, err)) < 0)
            return rc;
        p = ve;
    }
    npath = out->n;

    /* step 5: the query */
    for (const char *p = query; p && p < qend;) {
        const char *pe = memchr(p, '&', (size_t)(qend - p)), *eq;
        if (!pe)
            pe = qend;
        eq = memchr(p, '=', (size_t)(pe - p));
        if (eq && eq > p) {
            size_t kn = (size_t)(eq - p);
            bool numeric = true;
            for (size_t k = 0; k < kn; k++)
                numeric = numeric && is_digit((unsigned char)p[k]);
            if (numeric) {
                char ai[5];
                const gs1_ai_t *e = gs1_ai_lookup(p, kn, flags & GS1_UNKNOWN_AIS);
                if (!e)
                    return DLERR("'%.*s' in the query string is not a known AI",
                                 (int)(kn > 8 ? 8 : kn), p);
                memcpy(ai, p, kn);
                ai[kn] = '\0';
                if ((rc = add_value(out, ai, e, eq + 1, (size_t)(pe - eq - 1), true, flags, err)) <
                    0)
                    return rc;
            }
        }
        p = pe + 1;
    }

    /* step 6: the path's qualifier sequence, then the attributes */
    for (i = 1; i < npath && i < 4; i++)
        memcpy(quals[i - 1], out->f[i].ai, 5);
    if (npath > 4 || !gs1_ai_dl_seq_ok(out->f[0].e, (const char(*)[5])quals, npath - 1, NULL)) {
        char seq[64];
        size_t o = 0;
        for (i = 1; i < npath && o + 8 < sizeof seq; i++)
            o += (size_t)snprintf(seq + o, sizeof seq - o, "(%s)", out->f[i].ai);
        return DLERR("key qualifiers %s are not allowed after (%s) in this order (allowed: %s)",
                     seq, out->f[0].ai, *out->f[0].e->dlpkey ? out->f[0].e->dlpkey : "none");
    }
    for (i = npath; i < out->n; i++) {
        const gs1_ai_field_t *f = &out->f[i];
        char trial[3][5];
        for (size_t j = 0; j < i; j++)
            if (strcmp(out->f[j].ai, f->ai) == 0)
                return DLERR("AI (%s) is given twice", f->ai);
        if (!(f->e->flags & GS1_AI_DL_ATTR) &&
            !((f->e->flags & GS1_AI_UNKNOWN) && (flags & GS1_UNKNOWN_ATTRS)))
            return DLERR("AI (%s) cannot be a data attribute in the query string", f->ai);
        /* would it fit the path as a qualifier at some position? */
        for (size_t pos = 0; npath < 4 && pos < npath; pos++) {
            size_t k = 0;
            for (size_t j = 1; j < npath; j++) {
                if (j - 1 == pos)
                    memcpy(trial[k++], f->ai, 5);
                memcpy(trial[k++], out->f[j].ai, 5);
            }
            if (pos == npath - 1)
                memcpy(trial[k++], f->ai, 5);
            if (gs1_ai_dl_seq_ok(out->f[0].e, (const char(*)[5])trial, k, NULL))
                return DLERR("AI (%s) is a key qualifier of (%s) and belongs in the path", f->ai,
                             out->f[0].ai);
        }
    }
    if ((rc = gs1_ai_check_fields(out, flags, err)) < 0)
        return gs1_err_prefix(err, "Digital Link");
    if (npath_out)
        *npath_out = npath;
    return 0;
}

bool gs1_dl_looks_like(const char *uri, size_t n, unsigned flags)
{
    const char *p, *end = uri + n, *prev = NULL;
    size_t prevn = 0;

    if (n >= 8 && strncasecmp(uri, "https://", 8) == 0)
        p = uri + 8;
    else if (n >= 7 && strncasecmp(uri, "http://", 7) == 0)
        p = uri + 7;
    else
        return false;
    p = memchr(p, '/', (size_t)(end - p));
    if (!p)
        return false;
    {
        const char *stop = memchr(p, '?', (size_t)(end - p));
        const char *hash = memchr(p, '#', (size_t)(end - p));
        if (hash && (!stop || hash < stop))
            stop = hash;
        if (stop)
            end = stop;
    }
    while (p < end) {
        const char *s = p + 1, *e = memchr(s, '/', (size_t)(end - s));
        char ai[5];
        const gs1_ai_t *a;
        if (!e)
            e = end;
        if (prev && s < end && is_digit((unsigned char)*s) &&
            (a = path_ai(prev, prevn, flags & GS1_ALPHAS, ai)) != NULL &&
            (a->flags & GS1_AI_DL_PKEY))
            return true;
        prev = s;
        prevn = (size_t)(e - s);
        p = e;
    }
    return false;
}

/* ---- output ------------------------------------------------------------ */

/* The key qualifiers of the alternative at *cur of a dlpkey string
 * ("22,10,21|235"), as gs1_ai_dl_quals() reads alternative a, and *cur
 * moved to the next alternative (NULL after the last): one pass over the
 * string for all alternatives, where gs1_ai_dl_quals() starts again from
 * the front for each.  -1 when there is no alternative a. */
static int quals_next(const char **cur, int a, char q[3][5])
{
    const char *s = *cur, *t;
    int n = 0;
    if (!s || (a > 0 && *s == '\0'))
        return -1;
    for (t = s; *t && *t != '|' && n < 3;) {
        size_t len = 0;
        while (t[len] && t[len] != ',' && t[len] != '|')
            len++;
        if (len == 0 || len > 4)
            break;
        for (size_t k = 0; k < len; k++)
            q[n][k] = t[k];
        q[n][len] = '\0';
        n++;
        t += len;
        if (*t == ',')
            t++;
    }
    for (s = t; *s && *s != '|';) /* t: where the qualifiers stopped */
        s++;
    *cur = *s ? s + 1 : NULL;
    return n;
}

int gs1_dl_select(const gs1_ai_list_t *l, gs1_dl_path_t *path, gs1_err_t *err)
{
    char q[3][5];
    const char *cur;
    size_t at[3], best_at[3];
    int nq, nbest = 0, best = -1;
    size_t i;

    for (i = 0; i < l->n; i++)
        if ((l->f[i].e->flags & GS1_AI_DL_PKEY) && l->f[i].e->dlpkey)
            break;
    if (i == l->n)
        return gs1_err_set(err, GS1_EINPUT,
                           "no GS1 primary key (GTIN (01), SSCC (00), GLN (414), GRAI (8003), "
                           "GIAI (8004), ...) in the data");
    path->key = i;
    path->nqual = 0;
    /* the alternative with the most qualifiers present, the first of equals */
    cur = l->f[i].e->dlpkey;
    for (int a = 0; (nq = quals_next(&cur, a, q)) >= 0; a++) {
        int count = 0;
        for (int k = 0; k < nq; k++) {
            const gs1_ai_field_t *f = gs1_ai_list_find(l, q[k]);
            if (f)
                at[count++] = (size_t)(f - l->f);
        }
        if (count > best) {
            best = count;
            nbest = count;
            memcpy(best_at, at, (size_t)count * sizeof at[0]);
        }
    }
    for (int k = 0; k < nbest; k++)
        path->qual[path->nqual++] = best_at[k];
    return 0;
}

static void put_escaped(obuf_t *b, const char *v, size_t n, bool query)
{
    char tmp[GS1_AI_MAX_VALUE * 3 + 1];
    size_t len = gs1_dl_escape(v, n, query, tmp, sizeof tmp);
    if (len == (size_t)-1)
        b->over = true;
    else
        obuf_put(b, tmp, len);
}

/* The characters put_canon() escapes, as a table (a strchr per character
 * was a tenth of a key's cost). */
static const bool canon_esc[256] = {
    ['!'] = true, ['"'] = true, ['#'] = true, ['%'] = true, ['&'] = true, ['('] = true,
    [')'] = true, ['*'] = true, ['+'] = true, [','] = true, ['/'] = true, [':'] = true,
    ['<'] = true, ['>'] = true, ['?'] = true,
};

/* Canonical escaping: ! " # % & ( ) * + , / : < > ? as %XX. */
static void put_canon(obuf_t *b, const char *v, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0, i = 0;
    while (i < n && !canon_esc[(unsigned char)v[i]]) /* most values escape nothing */
        i++;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (canon_esc[c]) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            obuf_put(b, v + run, i - run);
            obuf_put(b, e, 3);
            run = i + 1;
        }
    }
    obuf_put(b, v + run, n - run);
}

int gs1_dl_build(const gs1_ai_list_t *l, const char *stem, unsigned flags, char *out, size_t cap,
                 gs1_err_t *err)
{
    obuf_t b = {out, cap, 0, cap == 0};
    gs1_dl_path_t path;
    size_t slen;
    bool first = true;
    int rc;

    if (cap)
        out[0] = '\0';
    if ((rc = gs1_dl_select(l, &path, err)) < 0)
        return rc;
    if (!stem)
        stem = GS1_DL_CANON_HOST;
    slen = strlen(stem);
    if (slen > 0 && stem[slen - 1] == '/')
        slen--;
    obuf_put(&b, stem, slen);
    for (size_t k = 0; k <= path.nqual; k++) {
        const gs1_ai_field_t *f = &l->f[k == 0 ? path.key : path.qual[k - 1]];
        obuf_put(&b, "/", 1);
        obuf_put(&b, f->ai, strlen(f->ai));
        obuf_put(&b, "/", 1);
        put_escaped(&b, f->value, f->len, false);
    }
    for (int fixed = 1; fixed >= 0; fixed--) {
        for (size_t i = 0; i < l->n; i++) {
            const gs1_ai_field_t *f = &l->f[i];
            bool skip = ((f->e->flags & GS1_AI_FIXED) != 0) != (fixed != 0);
            if (skip)
                continue;
            if (strcmp(f->ai, l->f[path.key].ai) == 0)
                continue;
            for (size_t k = 0; k < path.nqual && !skip; k++)
                skip = strcmp(f->ai, l->f[path.qual[k]].ai) == 0;
            for (size_t j = 0; j < i && !skip; j++)
                skip = strcmp(f->ai, l->f[j].ai) == 0;
            if (skip)
                continue;
            if (!(f->e->flags & GS1_AI_DL_ATTR) &&
                !((f->e->flags & GS1_AI_UNKNOWN) && (flags & GS1_UNKNOWN_ATTRS))) {
                if (cap)
                    out[0] = '\0';
                return gs1_err_set(err, GS1_EINPUT,
                                   "AI (%s) cannot be a Digital Link data attribute, and is "
                                   "not a key qualifier of (%s) here",
                                   f->ai, l->f[path.key].ai);
            }
            obuf_put(&b, first ? "?" : "&", 1);
            first = false;
            obuf_put(&b, f->ai, strlen(f->ai));
            obuf_put(&b, "=", 1);
            put_escaped(&b, f->value, f->len, true);
        }
    }
    return obuf_finish(&b, "Digital Link", err);
}

static int canon(const gs1_ai_list_t *l, bool constrained, char *out, size_t cap, gs1_err_t *err)
{
    obuf_t b = {out, cap, 0, cap == 0};
    gs1_dl_path_t path;
    const gs1_ai_field_t *key;
    int rc;

    if (cap)
        out[0] = '\0';
    if ((rc = gs1_dl_select(l, &path, err)) < 0)
        return rc;
    key = &l->f[path.key];
    obuf_put(&b, GS1_DL_CANON_HOST "/", sizeof GS1_DL_CANON_HOST);
    obuf_put(&b, key->ai, strlen(key->ai));
    obuf_put(&b, "/", 1);
    put_canon(&b, key->value, key->len);
    if (constrained && (strcmp(key->ai, "01") == 0 || strcmp(key->ai, "8006") == 0)) {
        /* only the finest level: (21), else (10), else (235); never (22) */
        static const char *const order[] = {"21", "10", "235"};
        for (size_t o = 0; o < NELEM(order); o++) {
            const gs1_ai_field_t *f = NULL;
            for (size_t k = 0; k < path.nqual && !f; k++)
                if (strcmp(l->f[path.qual[k]].ai, order[o]) == 0)
                    f = &l->f[path.qual[k]];
            if (f) {
                obuf_put(&b, "/", 1);
                obuf_put(&b, f->ai, strlen(f->ai));
                obuf_put(&b, "/", 1);
                put_canon(&b, f->value, f->len);
                break;
            }
        }
        return obuf_finish(&b, "Digital Link", err);
    }
    for (size_t k = 0; k < path.nqual; k++) {
        const gs1_ai_field_t *f = &l->f[path.qual[k]];
        obuf_put(&b, "/", 1);
        obuf_put(&b, f->ai, strlen(f->ai));
        obuf_put(&b, "/", 1);
        put_canon(&b, f->value, f->len);
    }
    return obuf_finish(&b, "Digital Link", err);
}

int gs1_dl_canonical(const gs1_ai_list_t *l, char *out, size_t cap, gs1_err_t *err)
{
    return canon(l, false, out, cap, err);
}

int gs1_dl_key(const gs1_ai_list_t *l, char *out, size_t cap, gs1_err_t *err)
{
    return canon(l, true, out, cap, err);
}
