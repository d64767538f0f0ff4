/* gs1_elem.c -- GS1 element strings, bracketed and raw (gs1_elem.h).
 *
 * How it works: the bracketed form is split at '(' ... ')' (a "\(" is a
 * data bracket); the raw form is walked left to right: the AI at the cursor
 * is found from its first two digits (gs1_ai_prefix), a predefined-length
 * AI takes exactly its length, any other AI runs to the next FNC1 (GS or
 * '^') or the end.  Each value is checked by gs1_ai_validate, the whole
 * message by gs1_ai_check_fields.  One pass, no allocation.
 */
#include "gs1_elem.h"

#include <string.h>

#include "gs1__obuf.h"

static bool is_fnc1(int c)
{
    return c == GS1_ELEM_GS || c == '^';
}

size_t gs1_elem_symid(const char *s, size_t n, bool *gs1)
{
    static const char *const gs1_ids[] = {"]C1", "]e0", "]e1", "]e2", "]d2",
                                          "]Q3", "]J1", "]E0", "]E4", "]I1"};
    if (gs1)
        *gs1 = false;
    if (n < 3 || s[0] != ']')
        return 0;
    if (!((s[1] >= 'A' && s[1] <= 'Z') || (s[1] >= 'a' && s[1] <= 'z')))
        return 0;
    if (!((s[2] >= '0' && s[2] <= '9') || (s[2] >= 'A' && s[2] <= 'Z')))
        return 0;
    for (size_t i = 0; i < sizeof gs1_ids / sizeof gs1_ids[0]; i++)
        if (memcmp(s, gs1_ids[i], 3) == 0 && gs1)
            *gs1 = true;
    return 3;
}

/* Validates and appends one field. */
static int add_field(gs1_ai_list_t *out, const char *ai, const gs1_ai_t *e, const char *v,
                     size_t vn, gs1_err_t *err)
{
    int rc;
    if ((rc = gs1_ai_validate(ai, e, v, vn, 0, err)) < 0)
        return rc;
    return gs1_ai_list_add(out, ai, e, v, vn, err);
}

/* ]E0 / ]E4 / ]I1: the digits are a GTIN. */
static int parse_gtin_symbol(const char *id, const char *s, size_t n, gs1_ai_list_t *out,
                             gs1_err_t *err)
{
    char gtin[14];
    bool ok = gs1_ai_all_digits(s, n) &&
              ((id[1] == 'E' && id[2] == '0' && (n == 12 || n == 13)) ||
               (id[1] == 'E' && id[2] == '4' && n == 8) || (id[1] == 'I' && n == 14));
    if (!ok)
        return gs1_err_set(err, GS1_EINPUT, "symbology %.3s: expected the %s digits of a GTIN", id,
                           id[1] == 'I'   ? "14"
                           : id[2] == '4' ? "8"
                                          : "12 or 13");
    memset(gtin, '0', 14 - n);
    memcpy(gtin + 14 - n, s, n);
    return add_field(out, "01", gs1_ai_lookup("01", 2, 0), gtin, 14, err);
}

int gs1_elem_parse_raw(const char *s, size_t n, unsigned flags, gs1_ai_list_t *out, gs1_err_t *err)
{
    size_t p = 0;
    bool gs1;
    size_t idlen;
    int rc;

    gs1_ai_list_clear(out);
    if (!s)
        return gs1_err_set(err, GS1_EINVAL, "gs1_elem_parse_raw: NULL argument");
    idlen = gs1_elem_symid(s, n, &gs1);
    if (idlen && !gs1)
        return gs1_err_set(err, GS1_EINPUT,
                           "symbology identifier %.3s does not mark GS1 data (expected ]C1, "
                           "]e0, ]d2, ]Q3, ]J1, ]E0, ]E4 or ]I1)",
                           s);
    if (idlen && (s[1] == 'E' || s[1] == 'I')) {
        if ((rc = parse_gtin_symbol(s, s + 3, n - 3, out, err)) < 0)
            return rc;
        return gs1_ai_check_fields(out, flags, err);
    }
    p = idlen;
    while (p < n && is_fnc1((unsigned char)s[p]))
        p++;
    if (p >= n)
        return gs1_err_set(err, GS1_EINPUT, "element string holds no AI");
    while (p < n) {
        const gs1_ai_t *e;
        char ai[5];
        size_t alen, vstart, vlen;

        if (is_fnc1((unsigned char)s[p])) { /* after a predefined-length value */
            p++;
            continue;
        }
        e = gs1_ai_prefix(s + p, n - p);
        if (!e) {
            int plen = gs1_ai_len_by_prefix(s + p, n - p);
            if (plen > 0 && (size_t)plen <= n - p)
                return gs1_err_set(err, GS1_EINPUT,
                                   "element string position %zu: unknown AI (%.*s)", p + 1, plen,
                                   s + p);
            {
                int show = n - p < 4 ? (int)(n - p) : 4;
                for (int k = 0; k < show; k++)
                    if ((unsigned char)s[p + k] <= 32 || (unsigned char)s[p + k] >= 127)
                        show = k;
                if (show == 0)
                    return gs1_err_set(err, GS1_EINPUT,
                                       "element string position %zu: byte 0x%02X where an AI "
                                       "should start",
                                       p + 1, (unsigned char)s[p]);
                return gs1_err_set(err, GS1_EINPUT,
                                   "element string position %zu: no known AI starts '%.*s'", p + 1,
                                   show, s + p);
            }
        }
        alen = strlen(e->ai);
        memcpy(ai, e->ai, alen + 1);
        vstart = p + alen;
        if (e->flags & GS1_AI_FIXED) {
            size_t want = e->maxlen;
            vlen = 0;
            while (vlen < want && vstart + vlen < n && !is_fnc1((unsigned char)s[vstart + vlen]))
                vlen++;
            if (vlen < want)
                return gs1_err_set(err, GS1_EINPUT,
                                   "AI (%s) at position %zu: value is too short (%zu "
                                   "characters, needs %zu)",
                                   ai, p + 1, vlen, want);
        } else {
            vlen = 0;
            while (vstart + vlen < n && !is_fnc1((unsigned char)s[vstart + vlen]))
                vlen++;
        }
        if (vlen == 0)
            return gs1_err_set(err, GS1_EINPUT, "AI (%s) at position %zu: empty value", ai, p + 1);
        if (vlen > e->maxlen)
            return gs1_err_set(err, GS1_EINPUT,
                               "AI (%s) at position %zu: value is too long (%zu characters, at "
                               "most %u; FNC1 missing?)",
                               ai, p + 1, vlen, e->maxlen);
        if ((rc = add_field(out, ai, e, s + vstart, vlen, err)) < 0)
            return rc;
        p = vstart + vlen;
    }
    return gs1_ai_check_fields(out, flags, err);
}

int gs1_elem_parse_bracketed(const char *s, size_t n, unsigned flags, gs1_ai_list_t *out,
                             gs1_err_t *err)
{
    char val[GS1_AI_MAX_VALUE + 1];
    size_t p = 0;
    int rc;

    gs1_ai_list_clear(out);
    if (!s)
        return gs1_err_set(err, GS1_EINVAL, "gs1_elem_parse_bracketed: NULL argument");
    if (n == 0)
        return gs1_err_set(err, GS1_EINPUT, "empty element string");
    while (p < n) {
        const char *close;
        const gs1_ai_t *e;
        size_t alen, vn = 0;
        char ai[5];

        if (s[p] != '(')
            return gs1_err_set(err, GS1_EINPUT,
                               "element string position %zu: expected '(' and an AI", p + 1);
        close = memchr(s + p + 1, ')', n - p - 1);
        if (!close)
            return gs1_err_set(err, GS1_EINPUT,
                               "element string position %zu: AI without closing ')'", p + 1);
        alen = (size_t)(close - (s + p + 1));
        e = gs1_ai_lookup(s + p + 1, alen, flags);
        if (!e && (alen < 2 || alen > 4 || !gs1_ai_all_digits(s + p + 1, alen)))
            return gs1_err_set(err, GS1_EINPUT,
                               "element string position %zu: an AI is 2 to 4 digits", p + 2);
        if (!e)
            return gs1_err_set(err, GS1_EINPUT, "element string position %zu: unknown AI (%.*s)",
                               p + 2, (int)alen, s + p + 1);
        memcpy(ai, s + p + 1, alen);
        ai[alen] = '\0';
        p = (size_t)(close - s) + 1;
        /* the value runs to the next '(' that is not written "\(" */
        while (p < n && s[p] != '(') {
            char c = s[p];
            if (c == '\\' && p + 1 < n && s[p + 1] == '(') {
                c = '(';
                p++;
            }
            if (vn >= GS1_AI_MAX_VALUE || vn >= e->maxlen)
                return gs1_err_set(err, GS1_EINPUT,
                                   "AI (%s): value is too long (at most %u characters)", ai,
                                   e->maxlen);
            val[vn++] = c;
            p++;
        }
        if (vn == 0)
            return gs1_err_set(err, GS1_EINPUT, "AI (%s): empty value", ai);
        if ((rc = add_field(out, ai, e, val, vn, err)) < 0)
            return rc;
    }
    return gs1_ai_check_fields(out, flags, err);
}

int gs1_elem_parse(const char *s, size_t n, unsigned flags, gs1_ai_list_t *out, gs1_err_t *err)
{
    if (s && n > 0 && s[0] == '(')
        return gs1_elem_parse_bracketed(s, n, flags, out, err);
    return gs1_elem_parse_raw(s, n, flags, out, err);
}

/* ---- output ------------------------------------------------------------ */

int gs1_elem_bracketed(const gs1_ai_list_t *l, char *out, size_t cap, gs1_err_t *err)
{
    obuf_t b = {out, cap, 0, cap == 0};
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i < l->n; i++) {
        const gs1_ai_field_t *f = &l->f[i];
        size_t run = 0;
        obuf_put(&b, "(", 1);
        obuf_put(&b, f->ai, strlen(f->ai));
        obuf_put(&b, ")", 1);
        for (size_t k = 0; k < f->len; k++)
            if (f->value[k] == '(') {
                obuf_put(&b, f->value + run, k - run);
                obuf_put(&b, "\\", 1);
                run = k;
            }
        obuf_put(&b, f->value + run, f->len - run);
    }
    return obuf_finish(&b, "element string", err);
}

int gs1_elem_raw(const gs1_ai_list_t *l, char fnc1, unsigned opts, char *out, size_t cap,
                 gs1_err_t *err)
{
    obuf_t b = {out, cap, 0, cap == 0};
    size_t order[GS1_AI_MAX_FIELDS], n = 0;

    if (cap)
        out[0] = '\0';
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < l->n && n < GS1_AI_MAX_FIELDS; i++) {
            bool fixed = (l->f[i].e->flags & GS1_AI_FIXED) != 0;
            if (!(opts & GS1_ELEM_FIXED_FIRST) ? pass == 0 : fixed == (pass == 0))
                order[n++] = i;
        }
    if (opts & GS1_ELEM_LEADING_FNC1)
        obuf_put(&b, &fnc1, 1);
    for (size_t k = 0; k < n; k++) {
        const gs1_ai_field_t *f = &l->f[order[k]];
        obuf_put(&b, f->ai, strlen(f->ai));
        obuf_put(&b, f->value, f->len);
        if (k + 1 < n && !(f->e->flags & GS1_AI_FIXED))
            obuf_put(&b, &fnc1, 1);
    }
    return obuf_finish(&b, "element string", err);
}
