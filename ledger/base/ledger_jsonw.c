/* ledger_jsonw.c -- the streaming JSON writer (ledger_jsonw.h). Each value
 * first closes the line of the one before it: "," when the container has
 * members already, then a newline and two spaces per level; a value right
 * after its key stays on the key's line. */
#include "ledger_jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void ledger_jsonw_init(ledger_jsonw_t *w, FILE *f, int real_digits)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->digits = real_digits >= 1 && real_digits <= 17 ? real_digits : 17;
}

static void newline(ledger_jsonw_t *w, int depth)
{
    static const char spaces[] = "                                                                ";
    size_t n = (size_t)depth * 2;
    putc('\n', w->f);
    while (n > 0) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        fwrite(spaces, 1, k, w->f);
        n -= k;
    }
}

/* Before a value or a key: the separator and line of a new member. */
static void member(ledger_jsonw_t *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->members[w->depth - 1])
        putc(',', w->f);
    w->members[w->depth - 1] = 1;
    newline(w, w->depth);
}

static void open_container(ledger_jsonw_t *w, int c)
{
    member(w);
    if (w->depth >= LEDGER_JSONW_DEPTH) {
        w->failed = 1;
        return;
    }
    putc(c, w->f);
    w->close[w->depth] = c == '{' ? '}' : ']';
    w->members[w->depth++] = 0;
}

void ledger_jsonw_object(ledger_jsonw_t *w)
{
    open_container(w, '{');
}

void ledger_jsonw_array(ledger_jsonw_t *w)
{
    open_container(w, '[');
}

void ledger_jsonw_end(ledger_jsonw_t *w)
{
    if (w->depth == 0 || w->after_key) {
        w->failed = 1;
        return;
    }
    w->depth--;
    if (w->members[w->depth])
        newline(w, w->depth);
    putc(w->close[w->depth], w->f);
}

static void string(ledger_jsonw_t *w, const char *s, size_t n)
{
    const char *run = s, *end = s + n;
    putc('"', w->f);
    for (; s < end; s++) {
        unsigned char c = (unsigned char)*s;
        const char *esc;
        char seq[8];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fwrite(run, 1, (size_t)(s - run), w->f);
        run = s + 1;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            snprintf(seq, sizeof seq, "\\u%04X", (unsigned)c);
            esc = seq;
            break;
        }
        fputs(esc, w->f);
    }
    fwrite(run, 1, (size_t)(end - run), w->f);
    putc('"', w->f);
}

void ledger_jsonw_key(ledger_jsonw_t *w, const char *key)
{
    member(w);
    string(w, key, strlen(key));
    fputs(": ", w->f);
    w->after_key = 1;
}

void ledger_jsonw_str(ledger_jsonw_t *w, const char *s)
{
    if (!s) {
        ledger_jsonw_null(w);
        return;
    }
    member(w);
    string(w, s, strlen(s));
}

void ledger_jsonw_int(ledger_jsonw_t *w, int64_t v)
{
    char buf[24], *p = buf + sizeof buf;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    member(w);
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    fwrite(p, 1, (size_t)(buf + sizeof buf - p), w->f);
}

/* A real as jansson writes it: "%.*g", ".0" when it would read as an
 * integer, and an exponent without '+' or leading zeros. */
static void real_text(double v, int digits, char out[40])
{
    char *e;
    snprintf(out, 40, "%.*g", digits, v);
    if (!strchr(out, '.') && !strchr(out, 'e'))
        strcat(out, ".0");
    if ((e = strchr(out, 'e'))) {
        char *start = e + 1, *p;
        if (*start == '-')
            start++;
        for (p = start; *p == '+' || *p == '0'; p++)
            ;
        if (!*p)
            p--; /* keep one digit */
        memmove(start, p, strlen(p) + 1);
    }
}

void ledger_jsonw_real(ledger_jsonw_t *w, double v)
{
    char buf[40];
    member(w);
    real_text(v, w->digits, buf);
    fputs(buf, w->f);
}

void ledger_jsonw_bool(ledger_jsonw_t *w, int v)
{
    member(w);
    fputs(v ? "true" : "false", w->f);
}

void ledger_jsonw_null(ledger_jsonw_t *w)
{
    member(w);
    fputs("null", w->f);
}

void ledger_jsonw_value(ledger_jsonw_t *w, const json_t *v)
{
    const char *key;
    const json_t *m;
    size_t i;
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT:
        ledger_jsonw_object(w);
        json_object_foreach((json_t *)v, key, m)
        {
            ledger_jsonw_key(w, key);
            ledger_jsonw_value(w, m);
        }
        ledger_jsonw_end(w);
        break;
    case JSON_ARRAY:
        ledger_jsonw_array(w);
        json_array_foreach(v, i, m) ledger_jsonw_value(w, m);
        ledger_jsonw_end(w);
        break;
    case JSON_STRING:
        member(w);
        string(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        ledger_jsonw_int(w, (int64_t)json_integer_value(v));
        break;
    case JSON_REAL:
        ledger_jsonw_real(w, json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        ledger_jsonw_bool(w, json_is_true(v));
        break;
    default:
        ledger_jsonw_null(w);
        break;
    }
}

void ledger_jsonw_kstr(ledger_jsonw_t *w, const char *key, const char *s)
{
    ledger_jsonw_key(w, key);
    ledger_jsonw_str(w, s);
}

void ledger_jsonw_kint(ledger_jsonw_t *w, const char *key, int64_t v)
{
    ledger_jsonw_key(w, key);
    ledger_jsonw_int(w, v);
}

int ledger_jsonw_digits(double v, int have)
{
    char b[40];
    int p;
    for (p = have < 1 ? 1 : have; p < 17; p++) {
        snprintf(b, sizeof b, "%.*g", p, v);
        if (strtod(b, NULL) == v)
            break;
    }
    return p;
}

int ledger_jsonw_done(ledger_jsonw_t *w, ledger_err_t *err)
{
    if (w->depth != 0 || w->after_key)
        w->failed = 1;
    if (fflush(w->f) || ferror(w->f))
        return ledger_err_set(err, LEDGER_EIO, "cannot write the JSON output: %s", strerror(errno));
    if (w->failed)
        return ledger_err_set(err, LEDGER_EINVAL, "JSON writer misused (unbalanced nesting)");
    return 0;
}
