/* ledger_pyfmt.c -- Python-compatible text formatting for the event hash
 * (ledger_pyfmt.h).
 *
 * How it works:
 *  - strip: the Unicode white space Python's str.isspace() knows, matched as
 *    UTF-8 byte sequences at both ends.
 *  - repr: Python prints the shortest decimal that reads back as the same
 *    double. Any decimal of at most 15 significant digits survives the trip
 *    decimal -> double -> decimal (15 = DBL_DIG), so for a normal double at
 *    most one number of <= 15 digits reads back as it: when it exists it is
 *    the answer. The fast path finds it for |d| in [1e-4, 1e15) with exact
 *    double arithmetic: x = d * 10^k rounded to an integer below 10^15 names
 *    the decimal x / 10^k, and since x and 10^k are exact doubles, the
 *    correctly rounded quotient x / 10^k equals d exactly when that decimal
 *    reads back as d (what strtod would give). Otherwise printf's correctly
 *    rounded "%.*e" is tried with 15, 16 and 17 digits (from 1 digit for zero
 *    and subnormals, where the 15-digit argument does not hold), taking the
 *    first that strtod reads back as d, and laid out as Python does.
 *  - number: float() parsing with Python's grammar, then str(int(x)) for
 *    whole values (through an int64 when it fits, "%.0f" beyond), repr()
 *    otherwise.
 *  - time: the fields are read by hand, the instant goes to a day number
 *    (days since 1970-01-01 in the proleptic Gregorian calendar, valid for
 *    any year) plus seconds, the offset is subtracted, and the UTC date is
 *    rebuilt from the day number; digits are written by hand.
 */
#include "ledger_pyfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- str.strip() ------------------------------------------------------- */

/* The length of the white space character at s[0..n), or 0. */
static size_t space_at(const unsigned char *s, size_t n)
{
    if (n >= 1 && ((s[0] >= 0x09 && s[0] <= 0x0d) || (s[0] >= 0x1c && s[0] <= 0x20)))
        return 1;
    if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
        return 2;
    if (n >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
        return 3;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
        ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
        return 3;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
        return 3;
    if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
        return 3;
    return 0;
}

/* The length of the white space character that ends s[0..n), or 0. */
static size_t space_before(const unsigned char *s, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++)
        if (space_at(s + n - k, k) == k)
            return k;
    return 0;
}

size_t ledger_pyfmt_strip(const char *s, size_t n, size_t *start)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t a = 0, k;

    while ((k = space_at(p + a, n - a)) > 0)
        a += k;
    while (n > a && (k = space_before(p + a, n - a)) > 0)
        n -= k;
    *start = a;
    return n - a;
}

/* ---- repr() of a float ---------------------------------------------------- */

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Writes the decimal digits of v (> 0) to out; returns their number. */
static size_t put_u64(uint64_t v, char *out)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* The fast path (see the top of the file): 0 when it does not apply. */
static size_t repr_fast(double d, char *out)
{
    double a = fabs(d), x = 0;
    int k;
    char digits[24];
    size_t nd, o = 0;
    uint64_t v;

    if (!(a >= 1e-4 && a < 1e15))
        return 0;
    for (k = 0; k <= 19; k++) {
        double y = a * pow10_tab[k];
        if (y >= 1e15)
            return 0;
        x = floor(y + 0.5);
        if (x / pow10_tab[k] == a)
            break;
    }
    if (k > 19)
        return 0;
    v = (uint64_t)x;
    while (k > 0 && v % 10 == 0) {
        v /= 10;
        k--;
    }
    nd = put_u64(v, digits);
    if (d < 0)
        out[o++] = '-';
    if (k == 0) {
        memcpy(out + o, digits, nd);
        o += nd;
        memcpy(out + o, ".0", 3);
        return o + 2;
    }
    if (nd > (size_t)k) {
        memcpy(out + o, digits, nd - (size_t)k);
        o += nd - (size_t)k;
        out[o++] = '.';
        memcpy(out + o, digits + nd - (size_t)k, (size_t)k);
        o += (size_t)k;
    } else {
        out[o++] = '0';
        out[o++] = '.';
        for (size_t i = nd; i < (size_t)k; i++)
            out[o++] = '0';
        memcpy(out + o, digits, nd);
        o += nd;
    }
    out[o] = 0;
    return o;
}

size_t ledger_pyfmt_repr(double d, char out[LEDGER_PYFMT_REPR_MAX])
{
    char buf[40], digits[20];
    int p, e, nd = 0;
    const char *q;
    char *o = out;
    size_t n;

    if (isnan(d)) {
        memcpy(out, "nan", 4);
        return 3;
    }
    if (isinf(d)) {
        memcpy(out, d < 0 ? "-inf" : "inf", d < 0 ? 5 : 4);
        return d < 0 ? 4 : 3;
    }
    if ((n = repr_fast(d, out)) > 0)
        return n;
    for (p = fpclassify(d) == FP_NORMAL ? 15 : 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    q = buf;
    if (*q == '-')
        *o++ = *q++;
    for (; *q && *q != 'e'; q++)
        if (*q != '.')
            digits[nd++] = *q;
    e = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (e >= -4 && e < 16) {
        if (e < 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = -1; i > e; i--)
                *o++ = '0';
            memcpy(o, digits, (size_t)nd);
            o += nd;
        } else {
            for (int i = 0; i <= e; i++)
                *o++ = i < nd ? digits[i] : '0';
            *o++ = '.';
            if (nd > e + 1) {
                memcpy(o, digits + e + 1, (size_t)(nd - e - 1));
                o += nd - e - 1;
            } else {
                *o++ = '0';
            }
        }
    } else {
        int ae = e < 0 ? -e : e;
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)(nd - 1));
            o += nd - 1;
        }
        *o++ = 'e';
        *o++ = e < 0 ? '-' : '+';
        if (ae >= 100)
            *o++ = (char)('0' + ae / 100);
        *o++ = (char)('0' + ae / 10 % 10);
        *o++ = (char)('0' + ae % 10);
    }
    *o = 0;
    return (size_t)(o - out);
}

/* ---- float() and int() ------------------------------------------------- */

bool ledger_pyfmt_parse_float(const char *s, double *d)
{
    char buf[400];
    size_t o = 0;
    const char *p = s;
    bool digits = false;

    if (*p == '+' || *p == '-')
        buf[o++] = *p++;
    if (!strcasecmp(p, "inf") || !strcasecmp(p, "infinity")) {
        *d = (s[0] == '-') ? -INFINITY : INFINITY;
        return true;
    }
    if (!strcasecmp(p, "nan")) {
        *d = NAN;
        return true;
    }
    /* digitpart ["." [digitpart]] | "." digitpart, then exponent */
    for (int part = 0; part < 3; part++) {
        if (part == 1) {
            if (*p != '.')
                continue;
            buf[o++] = *p++;
        } else if (part == 2) {
            if (*p != 'e' && *p != 'E')
                break;
            if (!digits)
                return false;
            buf[o++] = *p++;
            if (*p == '+' || *p == '-')
                buf[o++] = *p++;
            if (*p < '0' || *p > '9')
                return false;
        }
        while (*p >= '0' && *p <= '9') {
            if (o >= sizeof buf - 2)
                return false;
            buf[o++] = *p++;
            if (part < 2)
                digits = true;
            if (*p == '_' && p[1] >= '0' && p[1] <= '9')
                p++;
        }
    }
    if (*p || !digits)
        return false;
    buf[o] = 0;
    *d = strtod(buf, NULL);
    return true;
}

int ledger_pyfmt_number(const char *s, char out[LEDGER_PYFMT_NUMBER_MAX])
{
    const char *p = s + (*s == '+' || *s == '-');
    double d;

    /* what cannot start a float literal (most values) is out at once */
    if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == 'i' || *p == 'I' || *p == 'n' ||
          *p == 'N'))
        return LEDGER_ENOTFOUND;
    if (!ledger_pyfmt_parse_float(s, &d) || isnan(d) || isinf(d))
        return LEDGER_ENOTFOUND;
    if (d != trunc(d))
        return (int)ledger_pyfmt_repr(d, out);
    if (d == 0) {
        memcpy(out, "0", 2);
        return 1;
    }
    if (fabs(d) < 9e18) {
        size_t o = 0;
        int64_t v = (int64_t)d;
        if (v < 0)
            out[o++] = '-';
        o += put_u64(v < 0 ? (uint64_t)-v : (uint64_t)v, out + o);
        out[o] = 0;
        return (int)o;
    }
    return snprintf(out, LEDGER_PYFMT_NUMBER_MAX, "%.0f", d);
}

/* ---- time stamps ----------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* The n-digit number at *p (advanced past it), or -1. */
static int num(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + (*p)[i] - '0';
    }
    *p += n;
    return v;
}

static void put2(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

int ledger_pyfmt_time_utc(const char *s, char out[LEDGER_PYFMT_TIME_MAX])
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int Y, M, D, h = 0, mi = 0, sec = 0, us = 0, off = 0;

    if ((Y = num(&p, 4)) < 1 || *p++ != '-' || (M = num(&p, 2)) < 1 || M > 12 || *p++ != '-' ||
        (D = num(&p, 2)) < 1)
        return LEDGER_ENOTFOUND;
    if (D > mdays[M - 1] + (M == 2 && (Y % 4 == 0 && (Y % 100 != 0 || Y % 400 == 0))))
        return LEDGER_ENOTFOUND;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if ((h = num(&p, 2)) < 0 || h > 23 || *p++ != ':' || (mi = num(&p, 2)) < 0 || mi > 59)
            return LEDGER_ENOTFOUND;
        if (*p == ':') {
            p++;
            if ((sec = num(&p, 2)) < 0 || sec > 59)
                return LEDGER_ENOTFOUND;
            if (*p == '.' || *p == ',') {
                int nd = 0;
                p++;
                if (*p < '0' || *p > '9')
                    return LEDGER_ENOTFOUND;
                for (; *p >= '0' && *p <= '9'; p++, nd++)
                    if (nd < 6)
                        us = us * 10 + (*p - '0');
                for (; nd < 6; nd++)
                    us *= 10;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if ((oh = num(&p, 2)) < 0 || oh > 23)
                return LEDGER_ENOTFOUND;
            if (*p == ':')
                p++;
            if (*p && (om = num(&p, 2)) < 0)
                return LEDGER_ENOTFOUND;
            if (om > 59)
                return LEDGER_ENOTFOUND;
            off = sign * (oh * 60 + om);
        }
    }
    if (*p)
        return LEDGER_ENOTFOUND;

    int ms = us / 1000, rem = us % 1000;
    if (rem > 500 || (rem == 500 && (ms & 1)))
        ms++;
    int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + sec - off * 60;
    if (ms == 1000) {
        ms = 0;
        t++;
    }
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t rs = t - days * 86400, yy;
    int mm, dd;
    civil_from_days(days, &yy, &mm, &dd);
    if (yy < 1 || yy > 9999)
        return LEDGER_ENOTFOUND;
    /* YYYY-MM-DDTHH:MM:SS.mmmZ */
    put2(out, (int)yy / 100);
    put2(out + 2, (int)yy % 100);
    out[4] = '-';
    put2(out + 5, mm);
    out[7] = '-';
    put2(out + 8, dd);
    out[10] = 'T';
    put2(out + 11, (int)(rs / 3600));
    out[13] = ':';
    put2(out + 14, (int)(rs / 60 % 60));
    out[16] = ':';
    put2(out + 17, (int)(rs % 60));
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    put2(out + 21, ms % 100);
    out[23] = 'Z';
    out[24] = 0;
    return 24;
}
