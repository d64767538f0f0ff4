/* ledger__gs1.h -- internals shared by ledger_gs1.c (Digital Link, entry
 * points) and ledger_gs1_epc.c (EPC URNs): GS1 character sets, check digits,
 * the output buffer and percent-decoding. Only those two files include it. */
#ifndef LEDGER__GS1_H
#define LEDGER__GS1_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ledger_gs1.h"

#define CANON_HOST "https://id.gs1.org"

/* Longest decoded value of any AI we handle (X..30), with room to spare. */
#define VAL_MAX 64

/* ---- character sets -------------------------------------------------- */

static inline bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static inline bool is_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}

static inline bool is_lower(int c)
{
    return c >= 'a' && c <= 'z';
}

/* What the ASCII punctuation is to GS1: in character set 82; percent-encoded
 * in our output; must be percent-encoded where it stands in an EPC URN / in
 * a Digital Link. A table rather than strchr over a string: these run for
 * every character of every identifier the event hash converts. */
enum { P_SET82 = 1, P_OUT = 2, P_URN = 4, P_DL = 8 };
static const unsigned char punct[128] = {
    ['!'] = P_SET82 | P_OUT,
    ['"'] = P_SET82 | P_OUT | P_URN | P_DL,
    ['#'] = P_OUT | P_URN | P_DL,
    ['%'] = P_SET82 | P_OUT | P_URN,
    ['&'] = P_SET82 | P_OUT | P_URN,
    ['\''] = P_SET82,
    ['('] = P_SET82 | P_OUT,
    [')'] = P_SET82 | P_OUT,
    ['*'] = P_SET82 | P_OUT,
    ['+'] = P_SET82 | P_OUT,
    [','] = P_SET82 | P_OUT,
    ['-'] = P_SET82,
    ['.'] = P_SET82,
    ['/'] = P_SET82 | P_OUT | P_URN,
    [':'] = P_SET82 | P_OUT,
    [';'] = P_SET82,
    ['<'] = P_SET82 | P_OUT | P_URN | P_DL,
    ['='] = P_SET82,
    ['>'] = P_SET82 | P_OUT | P_URN | P_DL,
    ['?'] = P_SET82 | P_OUT | P_URN,
    ['_'] = P_SET82,
};

static inline int punct_of(int c)
{
    return c >= 0 && c < 128 ? punct[c] : 0;
}

/* GS1 AI encodable character set 82. */
static inline bool in_set82(int c)
{
    return is_digit(c) || is_upper(c) || is_lower(c) || (punct_of(c) & P_SET82);
}

/* GS1 AI encodable character set 39 (CPID). */
static inline bool in_set39(int c)
{
    return is_digit(c) || is_upper(c) || c == '#' || c == '-' || c == '/';
}

/* Characters of set 82 (and #) that we percent-encode in the output. */
static inline bool must_escape(int c)
{
    return punct_of(c) & P_OUT;
}

static inline int hex_val(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static inline bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return false;
    return true;
}

/* ---- check digits ----------------------------------------------------- */

/* GS1 mod-10 check digit of the n digits at s (weights 3,1,3,... from the
 * right). */
static inline int gs1_check_digit(const char *s, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = s[n - 1 - i] - '0';
        sum += (i % 2 == 0) ? 3 * d : d;
    }
    return (10 - sum % 10) % 10;
}

static inline bool gs1_check_ok(const char *s, size_t n)
{
    return n >= 2 && gs1_check_digit(s, n - 1) == s[n - 1] - '0';
}

/* GS1 check character pair (GMN, AI 8013; GenSpecs 7.9.5). */
static inline bool gmn_check_ok(const char *s, size_t n)
{
    static const char set82[] = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                                "abcdefghijklmnopqrstuvwxyz";
    static const char set32[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    static const int primes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37,
                                 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83};
    long sum = 0;

    if (n < 3 || n - 2 > sizeof primes / sizeof primes[0])
        return false;
    for (size_t i = 0; i < n - 2; i++) {
        const char *p = strchr(set82, s[n - 3 - i]);
        if (!p || !*p)
            return false;
        sum += (long)(p - set82) * primes[i];
    }
    sum %= 1021;
    return s[n - 2] == set32[sum / 32] && s[n - 1] == set32[sum % 32];
}

/* ---- output ----------------------------------------------------------- */

typedef struct {
    char s[LEDGER_GS1_URI_MAX];
    size_t len;
    bool overflow;
} sbuf_t;

static inline void sb_putn(sbuf_t *b, const char *p, size_t n)
{
    if (b->overflow || n >= sizeof b->s - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = 0;
}

static inline void sb_puts(sbuf_t *b, const char *p)
{
    sb_putn(b, p, strlen(p));
}

/* Appends a decoded value, percent-encoding what must be. */
static inline void sb_put_value(sbuf_t *b, const char *v, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0; /* start of the characters not yet written */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (must_escape(c)) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sb_putn(b, v + run, i - run);
            sb_putn(b, e, 3);
            run = i + 1;
        }
    }
    sb_putn(b, v + run, n - run);
}

/* "https://id.gs1.org/<ai>/<value>" */
static inline void sb_key(sbuf_t *b, const char *ai, const char *v, size_t n)
{
    sb_puts(b, CANON_HOST "/");
    sb_puts(b, ai);
    sb_puts(b, "/");
    sb_put_value(b, v, n);
}

static inline void sb_qual(sbuf_t *b, const char *ai, const char *v, size_t n)
{
    sb_puts(b, "/");
    sb_puts(b, ai);
    sb_puts(b, "/");
    sb_put_value(b, v, n);
}

/* ---- percent-decoding ------------------------------------------------- */

enum esc_ctx { ESC_URN, ESC_DL };

/* Decodes s[0..n) into dst (at most cap chars, NUL-terminated) and checks
 * that raw characters are allowed where they stand and that every decoded
 * character is in set 82. *dn gets the decoded length. what names the part
 * for the message. */
static inline int pct_decode(const char *s, size_t n, enum esc_ctx ctx, bool set39, char *dst,
                             size_t cap, size_t *dn, const char *what, ledger_err_t *err)
{
    bool (*in_set)(int) = set39 ? in_set39 : in_set82;
    int set = set39 ? 39 : 82;

    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int h, l;
            if (i + 2 >= n)
                return ledger_err_set(err, LEDGER_EINPUT, "%s: truncated percent-escape", what);
            h = hex_val((unsigned char)s[i + 1]);
            l = hex_val((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return ledger_err_set(err, LEDGER_EINPUT, "%s: bad percent-escape '%%%c%c'", what,
                                      s[i + 1], s[i + 2]);
            c = h * 16 + l;
            i += 2;
            if (!in_set(c))
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "%s: %%%02X is not in the GS1 character set %d", what, c,
                                      set);
        } else {
            if (!in_set(c))
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "%s: character 0x%02X is not in the GS1 character set %d",
                                      what, c, set);
            if (punct_of(c) & (ctx == ESC_URN ? P_URN : P_DL))
                return ledger_err_set(err, LEDGER_EINPUT, "%s: '%c' must be percent-encoded", what,
                                      c);
        }
        if (o + 1 >= cap)
            return ledger_err_set(err, LEDGER_EINPUT, "%s: too long", what);
        dst[o++] = (char)c;
    }
    dst[o] = 0;
    *dn = o;
    return 0;
}

/* Converts the body of an EPC URN (after "urn:epc:id:", "urn:epc:class:" or
 * "urn:epc:idpat:"; idpat tells which) to its canonical Digital Link in b.
 * ledger_gs1_epc.c. */
int ledger__gs1_epc_convert(const char *body, bool idpat, sbuf_t *b, ledger_err_t *err);

/* The same for the body of a urn:epc:class:lgtin: URN (after that prefix). */
int ledger__gs1_lgtin_convert(const char *body, sbuf_t *b, ledger_err_t *err);

#endif
