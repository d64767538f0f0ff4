/* ledger_epcis_text.c -- the small text rules of the ledger_epcis module
 * (declared in the module's internal header, ledger__epcis.h): URI
 * syntax, the standard JSON-LD context URLs and the shape of a "@context"
 * value and the namespace it binds to a prefix, RFC 3339 date-times,
 * quoting values for messages, and the "where: path: what" form of every
 * message of the event checks.
 *
 * How it works: plain scans over NUL-terminated strings, no allocation. A
 * date-time is taken apart field by field at fixed offsets, range-checked
 * (days of the month with leap years) and turned into milliseconds since
 * 1970 with the days-from-civil formula of the proleptic Gregorian calendar.
 */
#include "ledger__epcis.h"
#include "ledger_epcis.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- URIs ---- */

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

int ledger_epcis__is_uri(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (!p || !is_alpha(*p))
        return 0;
    for (p++; is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-' || *p == '.'; p++)
        ;
    if (*p != ':' || p[1] == '\0')
        return 0;
    for (p++; *p; p++) {
        switch (*p) {
        case '<':
        case '>':
        case '"':
        case '\\':
        case '^':
        case '`':
        case '{':
        case '|':
        case '}':
        case 0x7f:
            return 0;
        default:
            if (*p <= 0x20)
                return 0;
        }
    }
    return 1;
}

/* ---- JSON-LD contexts ---- */

static const char *const std_contexts[] = {
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
    "https://gs1.github.io/EPCIS/epcis-context.jsonld",
    "http://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    "http://gs1.github.io/EPCIS/epcis-context.jsonld",
};

int ledger_epcis__is_std_context(const char *url)
{
    size_t i;

    for (i = 0; url && i < NWORDS(std_contexts); i++)
        if (strcmp(url, std_contexts[i]) == 0)
            return 1;
    return 0;
}

int ledger_epcis__check_context(const json_t *ctx, const char **why)
{
    const char *dummy;
    size_t i, n;

    if (!why)
        why = &dummy;
    if (json_is_object(ctx))
        return 0;
    if (json_is_string(ctx)) {
        if (ledger_epcis__is_uri(json_string_value(ctx)))
            return 0;
        *why = "a context URL must be an absolute URL such as "
               "\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"";
        return -1;
    }
    if (json_is_array(ctx)) {
        n = json_array_size(ctx);
        for (i = 0; i < n; i++) {
            const json_t *it = json_array_get(ctx, i);
            if (json_is_object(it))
                continue;
            if (json_is_string(it) && ledger_epcis__is_uri(json_string_value(it)))
                continue;
            *why = "each element of a context array must be a context URL or an object of "
                   "definitions";
            return -1;
        }
        return 0;
    }
    *why = "expected a context URL, an object of definitions, or an array of those";
    return -1;
}

/* ---- date-times ---- */

static int num(const char *s, int n, int *out)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 0). */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

int ledger_epcis_time_ms(const char *s, int64_t *ms, const char **why)
{
    static const char bad[] = "is not an RFC 3339 date-time: expected YYYY-MM-DDThh:mm:ss[.sss] "
                              "and Z or +hh:mm/-hh:mm, e.g. \"2024-05-01T10:00:00.000+02:00\"";
    int Y, M, D, h, m, sec, frac = 0, oh = 0, om = 0, sign = 0, digits = 0;
    const char *p;
    const char *dummy;

    if (!why)
        why = &dummy;
    *why = bad;
    if (!s || num(s, 4, &Y) || s[4] != '-' || num(s + 5, 2, &M) || s[7] != '-' ||
        num(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') || num(s + 11, 2, &h) || s[13] != ':' ||
        num(s + 14, 2, &m) || s[16] != ':' || num(s + 17, 2, &sec))
        return -1;
    p = s + 19;
    if (*p == '.') {
        p++;
        if (!is_digit((unsigned char)*p))
            return -1;
        for (; is_digit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        for (; digits < 3; digits++)
            frac *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (num(p + 1, 2, &oh) || p[3] != ':' || num(p + 4, 2, &om))
            return -1;
        p += 6;
    } else if (*p == '\0') {
        *why = "has no time zone: add Z (UTC) or the offset from UTC, e.g. "
               "\"2024-05-01T10:00:00.000+02:00\"";
        return -1;
    }
    if (*p != '\0')
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || m > 59 || sec > 60 ||
        oh > 23 || om > 59) {
        *why = "is not a valid date-time: a field is out of range (month 01-12, day of the "
               "month, hour 00-23, minute 00-59, second 00-60, offset up to 23:59)";
        return -1;
    }
    if (ms) {
        int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec;
        t -= (int64_t)sign * (oh * 3600 + om * 60);
        *ms = t * 1000 + frac;
    }
    *why = NULL;
    return 0;
}

/* ---- quoting for messages ---- */

char *ledger_epcis__quote(const char *s, size_t max_chars, char *out, size_t out_len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i, n;
    int cut = 0;

    if (out_len < 8) {
        if (out_len)
            out[0] = '\0';
        return out;
    }
    if (!s)
        s = "";
    n = strlen(s);
    if (n > max_chars) {
        n = max_chars;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        cut = 1;
    }
    out[o++] = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t el = 0;
        if (c == '"' || c == '\\') {
            esc[el++] = '\\';
            esc[el++] = (char)c;
        } else if (c == '\n') {
            esc[el++] = '\\';
            esc[el++] = 'n';
        } else if (c == '\t') {
            esc[el++] = '\\';
            esc[el++] = 't';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            el = 4;
            esc[el++] = hex[c >> 4];
            esc[el++] = hex[c & 15];
        } else {
            esc[el++] = (char)c;
        }
        if (o + el + 5 >= out_len) { /* room for ...", NUL */
            cut = 1;
            break;
        }
        memcpy(out + o, esc, el);
        o += el;
    }
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

/* ---- contexts and messages ---- */

const char *ledger_epcis_context_ns(const json_t *event, const char *prefix)
{
    const json_t *ctx = json_object_get(event, "@context"), *v;
    size_t i;
    if (json_is_object(ctx))
        return json_string_value(json_object_get(ctx, prefix));
    json_array_foreach(ctx, i, v)
    {
        const char *ns = json_is_object(v) ? json_string_value(json_object_get(v, prefix)) : NULL;
        if (ns)
            return ns;
    }
    return NULL;
}

void ledger_epcis__format_where(const ledger_epcis__where_t *w, char *out, size_t len)
{
    if (!w)
        snprintf(out, len, "event");
    else if (w->where)
        snprintf(out, len, "%s", w->where);
    else if (w->index >= 0)
        snprintf(out, len, "%s: event %ld", w->source ? w->source : "input", w->index);
    else
        snprintf(out, len, "%s", w->source ? w->source : "input");
}

int ledger_epcis__fail_at(const ledger_epcis__where_t *w, const char *path, ledger_err_t *err,
                          const char *fmt, ...)
{
    char where[200], text[700];
    va_list ap;

    if (!err)
        return LEDGER_EINPUT;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ledger_epcis__format_where(w, where, sizeof where);
    return ledger_err_set(err, LEDGER_EINPUT, "%s: %s: %s", where, path, text);
}
