/* ledger_json.c -- a fast reader of JSON text into jansson values
 * (contract: ledger_json.h).
 *
 * How it works: a recursive descent over the text with a read pointer.
 * Strings are scanned in place (an ASCII fast path, a full RFC 3629 UTF-8
 * check for the rest) and only copied when they hold escapes; values are
 * built with jansson's *_nocheck constructors, as the text is already known
 * to be good UTF-8. Numbers go through strtoll/strtod as in jansson. Any
 * doubt (a syntax error, a number out of range, too deep, no memory) gives
 * NULL and the caller falls back to json_loadb.
 *
 * Skeleton reading: every value is read knowing which of the caller's
 * places (paths) it may still be on, as a bit mask; an object's member
 * keeps the paths whose next name is the member's name. An array reached
 * at the end of a path is skipped structurally (strings honoured, brackets
 * counted) and only its position noted, for ledger_json_array_foreach to
 * read element by element later.
 */
#include "ledger_json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t ledger_json_utf8_char(const unsigned char *p, size_t avail)
{
    unsigned c = avail ? p[0] : 0;
    size_t n, k;
    if (!avail)
        return 0;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 1;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 2;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 3;
    else
        return 0;
    if (avail <= n)
        return 0;
    for (k = 1; k <= n; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] > 0x8F))
        return 0; /* overlong, surrogate, or beyond U+10FFFF */
    return n + 1;
}

#define RD_MAX_DEPTH 2048 /* as jansson's JSON_PARSER_MAX_DEPTH */

typedef struct rd {
    const unsigned char *p, *end;
    int depth;
    char *sbuf; /* decoded strings that had escapes */
    size_t scap;
    /* skeleton reading only */
    const char *const *const *paths;
    size_t npaths, plen[LEDGER_JSON_SKIP_MAX];
    ledger_json_span_t *spans;
} rd_t;

/* The paths of mask that go on into the member named [k, k + kl) of an
 * object at level (number of names from the top). */
static unsigned rd_child(const rd_t *r, unsigned mask, size_t level, const char *k, size_t kl)
{
    unsigned out = 0;
    size_t i;

    for (i = 0; i < r->npaths; i++) {
        const char *name;
        if (!(mask & 1u << i) || r->plen[i] <= level)
            continue;
        name = r->paths[i][level];
        if (strlen(name) == kl && memcmp(name, k, kl) == 0)
            out |= 1u << i;
    }
    return out;
}

/* The paths of mask that end at level. */
static unsigned rd_ends(const rd_t *r, unsigned mask, size_t level)
{
    unsigned out = 0;
    size_t i;

    for (i = 0; i < r->npaths; i++)
        if (mask & 1u << i && r->plen[i] == level)
            out |= 1u << i;
    return out;
}

/* Skips an array structurally (strings honoured, nothing else checked: the
 * elements are read properly later) and notes where it is for the paths of
 * ends. */
static json_t *rd_skip_array(rd_t *r, unsigned ends)
{
    const unsigned char *p = r->p;
    int depth = 0;
    size_t i;

    for (; p < r->end; p++) {
        if (*p == '"') {
            for (p++; p < r->end && *p != '"'; p++)
                if (*p == '\\')
                    p++;
            if (p >= r->end)
                return NULL;
        } else if (*p == '[' || *p == '{') {
            depth++;
        } else if ((*p == ']' || *p == '}') && --depth == 0) {
            for (i = 0; i < r->npaths; i++) {
                if (ends & 1u << i) {
                    r->spans[i].start = (const char *)r->p;
                    r->spans[i].end = (const char *)(p + 1);
                    r->spans[i].depth = r->depth + 1;
                }
            }
            r->p = p + 1;
            return json_array();
        }
    }
    return NULL;
}

static void rd_ws(rd_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static int rd_hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0, i, c, d;

    for (i = 0; i < 4; i++) {
        c = p[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static size_t rd_utf8_put(char *o, unsigned u)
{
    if (u < 0x80) {
        o[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        o[0] = (char)(0xC0 | u >> 6);
        o[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        o[0] = (char)(0xE0 | u >> 12);
        o[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        o[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | u >> 18);
    o[1] = (char)(0x80 | ((u >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((u >> 6) & 0x3F));
    o[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

/* Decodes the escapes of the raw string text [q, p) into r->sbuf. */
static int rd_unescape(rd_t *r, const unsigned char *q, const unsigned char *p, size_t *len)
{
    size_t o = 0, need = (size_t)(p - q) + 1;
    unsigned u, lo;

    if (need > r->scap) { /* the decoded text is never longer than the raw one */
        char *nb = realloc(r->sbuf, need + 64);
        if (!nb)
            return -1;
        r->sbuf = nb;
        r->scap = need + 64;
    }
    while (q < p) {
        if (*q != '\\') {
            r->sbuf[o++] = (char)*q++;
            continue;
        }
        q++;
        switch (*q++) {
        case '"':
            r->sbuf[o++] = '"';
            break;
        case '\\':
            r->sbuf[o++] = '\\';
            break;
        case '/':
            r->sbuf[o++] = '/';
            break;
        case 'b':
            r->sbuf[o++] = '\b';
            break;
        case 'f':
            r->sbuf[o++] = '\f';
            break;
        case 'n':
            r->sbuf[o++] = '\n';
            break;
        case 'r':
            r->sbuf[o++] = '\r';
            break;
        case 't':
            r->sbuf[o++] = '\t';
            break;
        case 'u':
            if (p - q < 4 || rd_hex4(q, &u) < 0)
                return -1;
            q += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (p - q < 6 || q[0] != '\\' || q[1] != 'u' || rd_hex4(q + 2, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                q += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            } else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0) {
                return -1; /* a lone low surrogate, or NUL */
            }
            o += rd_utf8_put(r->sbuf + o, u);
            break;
        default:
            return -1;
        }
    }
    *len = o;
    return 0;
}

/* A string whose opening quote is behind r->p. *s is the text: in the input
 * itself when it has no escapes, else in r->sbuf (valid until the next
 * string). */
static int rd_string(rd_t *r, const char **s, size_t *len)
{
    const unsigned char *p = r->p, *start = p;
    int esc = 0;
    size_t n;

    for (;;) {
        while (p < r->end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p >= r->end || *p < 0x20)
            return -1;
        if (*p == '"')
            break;
        if (*p == '\\') {
            esc = 1;
            if (r->end - p < 2)
                return -1;
            p += 2;
            continue;
        }
        if ((n = ledger_json_utf8_char(p, (size_t)(r->end - p))) == 0)
            return -1;
        p += n;
    }
    r->p = p + 1;
    if (!esc) {
        *s = (const char *)start;
        *len = (size_t)(p - start);
        return 0;
    }
    if (rd_unescape(r, start, p, len) < 0)
        return -1;
    *s = r->sbuf; /* after rd_unescape, which may move it */
    return 0;
}

static json_t *rd_number(rd_t *r)
{
    const unsigned char *p = r->p, *s = p;
    char small[64], *buf = small, *end;
    int real = 0;
    size_t n;
    json_t *v = NULL;

    if (p < r->end && *p == '-')
        p++;
    if (p < r->end && *p == '0')
        p++;
    else if (p < r->end && *p >= '1' && *p <= '9')
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (p < r->end && *p == '.') {
        real = 1;
        if (++p >= r->end || *p < '0' || *p > '9')
            return NULL;
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        real = 1;
        if (++p < r->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= r->end || *p < '0' || *p > '9')
            return NULL;
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    n = (size_t)(p - s);
    if (n >= sizeof small && !(buf = malloc(n + 1)))
        return NULL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    if (!real) {
        long long i = strtoll(buf, &end, 10);
        if (errno != ERANGE && end == buf + n)
            v = json_integer(i);
    } else {
        double d = strtod(buf, &end);
        /* overflow is an error in jansson, underflow is not; a locale with
         * another decimal point stops strtod early: jansson handles that */
        if (!(errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) && end == buf + n)
            v = json_real(d);
    }
    if (buf != small)
        free(buf);
    r->p = p;
    return v;
}

static json_t *rd_value(rd_t *r, unsigned mask, size_t level);

/* An object whose "{" is behind r->p, at level on the paths of mask. */
static json_t *rd_object(rd_t *r, unsigned mask, size_t level)
{
    json_t *o = json_object(), *v;
    const char *k;
    char *kcopy;
    size_t kl;
    int rc;

    if (!o)
        return NULL;
    rd_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return o;
    }
    for (;;) {
        if (r->p >= r->end || *r->p != '"')
            break;
        r->p++;
        if (rd_string(r, &k, &kl) < 0)
            break;
        kcopy = NULL;
        if (k == r->sbuf) { /* the next string would overwrite it */
            if (!(kcopy = malloc(kl + 1)))
                break;
            memcpy(kcopy, k, kl);
            k = kcopy;
        }
        rd_ws(r);
        v = NULL;
        if (r->p < r->end && *r->p == ':') {
            r->p++;
            v = rd_value(r, mask ? rd_child(r, mask, level, k, kl) : 0, level + 1);
        }
        rc = v ? json_object_setn_new_nocheck(o, k, kl, v) : -1;
        free(kcopy);
        if (rc < 0)
            break;
        rd_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            rd_ws(r);
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return o;
        }
        break;
    }
    json_decref(o);
    return NULL;
}

static json_t *rd_array(rd_t *r)
{
    json_t *a = json_array(), *v;

    if (!a)
        return NULL;
    rd_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return a;
    }
    for (;;) {
        v = rd_value(r, 0, 0);
        if (!v || json_array_append_new(a, v) < 0)
            break;
        rd_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return a;
        }
        break;
    }
    json_decref(a);
    return NULL;
}

static json_t *rd_word(rd_t *r, const char *w, size_t n, json_t *v)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return NULL;
    r->p += n;
    return v;
}

/* A value at level on the paths of mask (0: not on any). */
static json_t *rd_value(rd_t *r, unsigned mask, size_t level)
{
    json_t *v;
    const char *s;
    size_t n;
    unsigned ends;

    rd_ws(r);
    if (r->p >= r->end)
        return NULL;
    switch (*r->p) {
    case '{':
    case '[':
        if (mask && *r->p == '[' && (ends = rd_ends(r, mask, level)))
            return rd_skip_array(r, ends);
        if (r->depth >= RD_MAX_DEPTH)
            return NULL;
        r->depth++;
        v = *r->p++ == '{' ? rd_object(r, mask, level) : rd_array(r);
        r->depth--;
        return v;
    case '"':
        r->p++;
        return rd_string(r, &s, &n) < 0 ? NULL : json_stringn_nocheck(s, n);
    case 't':
        return rd_word(r, "true", 4, json_true());
    case 'f':
        return rd_word(r, "false", 5, json_false());
    case 'n':
        return rd_word(r, "null", 4, json_null());
    default:
        return rd_number(r);
    }
}

/* A whole text; r->sbuf stays for the caller to free. */
static json_t *rd_text(rd_t *r, const char *buf, size_t len, unsigned mask)
{
    json_t *v;

    r->p = (const unsigned char *)buf;
    r->end = r->p + len;
    rd_ws(r);
    v = buf ? rd_value(r, mask, 0) : NULL;
    if (v) {
        rd_ws(r);
        if (r->p != r->end) {
            json_decref(v);
            v = NULL;
        }
    }
    return v;
}

json_t *ledger_json_load(const char *buf, size_t len)
{
    rd_t r;
    json_t *v;

    memset(&r, 0, sizeof r);
    v = rd_text(&r, buf, len, 0);
    free(r.sbuf);
    return v;
}

json_t *ledger_json_load_skeleton(const char *buf, size_t len, const char *const *const *paths,
                                  size_t npaths, ledger_json_span_t *spans)
{
    rd_t r;
    json_t *v;
    size_t i;

    if (!spans)
        return NULL;
    for (i = 0; i < npaths && i < LEDGER_JSON_SKIP_MAX; i++)
        spans[i] = (ledger_json_span_t){NULL, NULL, 0};
    if (!paths || npaths == 0 || npaths > LEDGER_JSON_SKIP_MAX)
        return NULL;
    memset(&r, 0, sizeof r);
    r.paths = paths;
    r.npaths = npaths;
    r.spans = spans;
    for (i = 0; i < npaths; i++) {
        if (!paths[i])
            return NULL;
        while (paths[i][r.plen[i]])
            r.plen[i]++;
    }
    v = rd_text(&r, buf, len, (1u << npaths) - 1);
    free(r.sbuf);
    return v;
}

int ledger_json_array_foreach(const ledger_json_span_t *span, ledger_json_element_cb fn, void *ctx,
                              size_t *count)
{
    return ledger_json_array_foreach_at(span, fn, ctx, count, NULL);
}

int ledger_json_array_foreach_at(const ledger_json_span_t *span, ledger_json_element_cb fn,
                                 void *ctx, size_t *count, const char **at)
{
    rd_t r;
    json_t *v;
    size_t n = 0, dummy;
    int rc;

    if (!count)
        count = &dummy;
    *count = 0;
    if (!span || !span->start || span->end <= span->start || *span->start != '[')
        return 1;
    memset(&r, 0, sizeof r);
    r.p = (const unsigned char *)span->start + 1;
    r.end = (const unsigned char *)span->end;
    r.depth = span->depth;
    rd_ws(&r);
    if (r.p < r.end && *r.p == ']') {
        r.p++;
    } else {
        for (;;) {
            if (!(v = rd_value(&r, 0, 0)))
                goto decline;
            if (at)
                *at = (const char *)r.p;
            rc = fn ? fn(v, n, ctx) : 0;
            json_decref(v);
            if (rc < 0)
                goto done;
            *count = ++n;
            rd_ws(&r);
            if (r.p < r.end && *r.p == ',') {
                r.p++;
                continue;
            }
            if (r.p < r.end && *r.p == ']') {
                r.p++;
                break;
            }
            goto decline;
        }
    }
    if (r.p == r.end) {
        rc = 0;
        goto done;
    }
decline:
    rc = 1;
done:
    free(r.sbuf);
    return rc;
}

size_t ledger_json_size_estimate(const json_t *v)
{
    const char *key;
    const json_t *m;
    size_t n = 0, i, len;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        n = 2;
        json_object_foreach((json_t *)v, key, m) n +=
            strlen(key) + 4 + ledger_json_size_estimate(m);
        return n;
    case JSON_ARRAY:
        n = 2;
        len = json_array_size(v);
        for (i = 0; i < len; i++)
            n += 1 + ledger_json_size_estimate(json_array_get(v, i));
        return n;
    case JSON_STRING:
        return json_string_length(v) + 2;
    case JSON_INTEGER:
    case JSON_REAL:
        return 24;
    default:
        return 5;
    }
}

/* Fewest significant digits (15..17) that print every real of v exactly. */
static int real_digits(const json_t *v, int have)
{
    const char *key;
    const json_t *m;
    size_t i;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, key, m)
        {
            if (have == 17)
                break;
            have = real_digits(m, have);
        }
        return have;
    case JSON_ARRAY:
        for (i = 0; i < json_array_size(v) && have < 17; i++)
            have = real_digits(json_array_get(v, i), have);
        return have;
    case JSON_REAL: {
        double d = json_real_value(v);
        char b[40];
        int p;
        for (p = have; p < 17; p++) {
            snprintf(b, sizeof b, "%.*g", p, d);
            if (strtod(b, NULL) == d)
                break;
        }
        return p;
    }
    default:
        return have;
    }
}

int ledger_json_real_digits(const json_t *v)
{
    return real_digits(v, 15);
}
