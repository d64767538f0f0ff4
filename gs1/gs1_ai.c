/* gs1_ai.c -- the GS1 Application Identifier dictionary and its checks
 * (gs1_ai.h).
 *
 * How it works:
 *  - The table is gs1/gs1__ai_table.h, generated from the GS1 Barcode
 *    Syntax Dictionary and sorted by AI; lookups are binary searches.  All
 *    AIs that start with the same two digits have the same length, so the
 *    AI at the start of a raw element string is found from its first two
 *    digits (gs1__ai_len_by_prefix) and one exact lookup.
 *  - A value is checked component by component the way the syntax engine
 *    does: each component takes up to its maximum length of what is left;
 *    an optional component may be absent only at the end.  Each component's
 *    characters are checked against its set, then its linters run.
 *  - The pairing rules (req=, ex=) are kept as the dictionary writes them and
 *    interpreted here; a message has at most 64 fields, so the quadratic
 *    pairing checks stay cheap.
 */
#include "gs1_ai.h"

#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "gs1__ai_table.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const lint_names[GS1_LINT_COUNT] = {
    [GS1_LINT_NONE] = NULL,
    [GS1_LINT_CSUM] = "csum",
    [GS1_LINT_CSUMALPHA] = "csumalpha",
    [GS1_LINT_GCPPOS1] = "gcppos1",
    [GS1_LINT_GCPPOS2] = "gcppos2",
    [GS1_LINT_YYMMD0] = "yymmd0",
    [GS1_LINT_YYMMDD] = "yymmdd",
    [GS1_LINT_YYYYMMD0] = "yyyymmd0",
    [GS1_LINT_YYYYMMDD] = "yyyymmdd",
    [GS1_LINT_HH] = "hh",
    [GS1_LINT_HHMI] = "hhmi",
    [GS1_LINT_MI] = "mi",
    [GS1_LINT_SS] = "ss",
    [GS1_LINT_ZERO] = "zero",
    [GS1_LINT_NONZERO] = "nonzero",
    [GS1_LINT_NOZEROPREFIX] = "nozeroprefix",
    [GS1_LINT_HASNONDIGIT] = "hasnondigit",
    [GS1_LINT_YESNO] = "yesno",
    [GS1_LINT_HYPHEN] = "hyphen",
    [GS1_LINT_WINDING] = "winding",
    [GS1_LINT_PIECEOFTOTAL] = "pieceoftotal",
    [GS1_LINT_POSINSEQSLASH] = "posinseqslash",
    [GS1_LINT_IMPORTERIDX] = "importeridx",
    [GS1_LINT_MEDIATYPE] = "mediatype",
    [GS1_LINT_ISO5218] = "iso5218",
    [GS1_LINT_LATITUDE] = "latitude",
    [GS1_LINT_LONGITUDE] = "longitude",
    [GS1_LINT_IBAN] = "iban",
    [GS1_LINT_PCENC] = "pcenc",
    [GS1_LINT_ISO3166] = "iso3166",
    [GS1_LINT_ISO3166999] = "iso3166999",
    [GS1_LINT_ISO3166ALPHA2] = "iso3166alpha2",
    [GS1_LINT_ISO3166LIST] = "iso3166list",
    [GS1_LINT_ISO4217] = "iso4217",
    [GS1_LINT_PACKAGETYPE] = "packagetype",
    [GS1_LINT_COUPONCODE] = "couponcode",
    [GS1_LINT_COUPONPOSOFFER] = "couponposoffer",
    [GS1_LINT_MMOPTSS] = "mmoptss",
    [GS1_LINT_YYMMDDHH] = "yymmddhh",
    [GS1_LINT_HHMM] = "hhmm",
    [GS1_LINT_KEY] = "key",
    [GS1_LINT_KEYOFF1] = "keyoff1",
    [GS1_LINT_LATLONG] = "latlong",
};

/* The stand-in for AIs the dictionary lacks (GS1_UNKNOWN_AIS). */
static const gs1_ai_t unknown_ai = {
    "", GS1_AI_UNKNOWN, 1, 1, 90, {{'X', 1, 90, 0, {0}}}, NULL, NULL, NULL, "UNKNOWN"};

const char *gs1_ai_lint_name(int lint)
{
    return lint > 0 && lint < GS1_LINT_COUNT ? lint_names[lint] : NULL;
}

const char *gs1_ai_release(void)
{
    return GS1__AI_DICT_RELEASE;
}

size_t gs1_ai_count(void)
{
    return NELEM(gs1__ai_table);
}

const gs1_ai_t *gs1_ai_at(size_t i)
{
    return i < NELEM(gs1__ai_table) ? &gs1__ai_table[i] : NULL;
}

/* ---- character sets --------------------------------------------------- */

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool gs1_ai_all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return false;
    return true;
}

int gs1_ai_hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool gs1_ai_in_set82(int c)
{
    /* digits, letters and !"%&'()*+,-./:;<=>?_ (a table: asked for every
     * character of every value) */
    static const bool punct[128] = {
        ['!'] = true, ['"'] = true, ['%'] = true, ['&'] = true, ['\''] = true, ['('] = true,
        [')'] = true, ['*'] = true, ['+'] = true, [','] = true, ['-'] = true, ['.'] = true,
        ['/'] = true, [':'] = true, [';'] = true, ['<'] = true, ['='] = true, ['>'] = true,
        ['?'] = true, ['_'] = true,
    };
    return is_digit(c) || is_alpha(c) || (c > 0 && c < 128 && punct[c]);
}

bool gs1_ai_in_set39(int c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || c == '#' || c == '-' || c == '/';
}

bool gs1_ai_in_set64(int c)
{
    return is_digit(c) || is_alpha(c) || c == '-' || c == '_';
}

/* ---- lookups ----------------------------------------------------------- */

/* An AI name of up to four characters as one number that orders as the
 * names do (strcmp: a shorter name before its extensions, the NUL padding
 * sorting first): the table is searched on every field, and one integer
 * compare per step is much cheaper than a strncmp. */
static inline uint32_t ai_word4(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static uint32_t ai_word(const char *s, size_t len)
{
    char b[4] = {0, 0, 0, 0};
    memcpy(b, s, len < 4 ? len : 4);
    return ai_word4(b);
}

/* The entry for ai[0..len), 2 to 4 digits (no NUL among them), or NULL. */
static const gs1_ai_t *find_exact(const char *ai, size_t len)
{
    uint32_t want = ai_word(ai, len);
    size_t lo = 0, hi = NELEM(gs1__ai_table);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        /* the table's names are char[5], NUL-padded */
        uint32_t have = ai_word4(gs1__ai_table[mid].ai);
        if (have == want)
            return &gs1__ai_table[mid];
        if (have < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int gs1_ai_len_by_prefix(const char *s, size_t n)
{
    if (n < 2 || !is_digit((unsigned char)s[0]) || !is_digit((unsigned char)s[1]))
        return 0;
    return gs1__ai_len_by_prefix[(s[0] - '0') * 10 + (s[1] - '0')];
}

const gs1_ai_t *gs1_ai_lookup(const char *ai, size_t len, unsigned flags)
{
    const gs1_ai_t *e;
    int plen;

    if (len < 2 || len > 4 || !gs1_ai_all_digits(ai, len))
        return NULL;
    if ((e = find_exact(ai, len)) != NULL)
        return e;
    if (!(flags & GS1_UNKNOWN_AIS))
        return NULL;
    /* An unknown AI must not be a prefix of a known one nor extend one: all
     * known AIs with its first two digits have one length, so it must be
     * that length (or no known AI starts with those digits). */
    plen = gs1_ai_len_by_prefix(ai, len);
    if (plen != 0 && (size_t)plen != len)
        return NULL;
    return &unknown_ai;
}

const gs1_ai_t *gs1_ai_prefix(const char *s, size_t n)
{
    int len = gs1_ai_len_by_prefix(s, n);
    if (len == 0 || (size_t)len > n)
        return NULL;
    return find_exact(s, (size_t)len);
}

/* ---- check digits ------------------------------------------------------ */

int gs1_ai_check_digit(const char *s, size_t n)
{
    /* weights 3, 1, 3, ... from the right, two digits a step */
    unsigned sum = 0;
    size_t i = n;
    while (i > 0) {
        unsigned d = (unsigned)(unsigned char)s[--i] - '0';
        if (d > 9)
            return -1;
        sum += 3 * d;
        if (i == 0)
            break;
        d = (unsigned)(unsigned char)s[--i] - '0';
        if (d > 9)
            return -1;
        sum += d;
    }
    return (int)((10 - sum % 10) % 10);
}

/* Rank of c among the characters of set 82 in ASCII order (the values of
 * the GMN check character pair algorithm), or -1. */
static int set82_rank(int c)
{
    int r = 0;
    if (!gs1_ai_in_set82(c))
        return -1;
    for (int x = 33; x < c; x++)
        r += gs1_ai_in_set82(x);
    return r;
}

/* ---- linters ----------------------------------------------------------- */

/* Each returns 0 or sets err. ai names the AI, off is the component's offset
 * in the value (for positions in messages). */
typedef struct {
    const char *ai;
    size_t off;
    gs1_err_t *err;
} lctx_t;

#define LERR(L, ...) gs1_err_set((L)->err, GS1_EINPUT, __VA_ARGS__)

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 28;
    return d[m - 1];
}

/* Date YYMMDD or YYYYMMDD; zero_day allows day 00 (no day given). */
static int lint_date(const lctx_t *L, const char *s, size_t n, size_t ylen, bool zero_day)
{
    int y, m, d;
    if (n != ylen + 4 || !gs1_ai_all_digits(s, n))
        return LERR(L, "AI (%s): date at position %zu must be %s", L->ai, L->off + 1,
                    ylen == 2 ? "YYMMDD" : "YYYYMMDD");
    y = num(s, ylen);
    if (ylen == 2)
        y += 2000; /* leap years within any 100-year window the standard allows */
    m = num(s + ylen, 2);
    d = num(s + ylen + 2, 2);
    if (m < 1 || m > 12)
        return LERR(L, "AI (%s): month %02d at position %zu is not 01..12", L->ai, m,
                    L->off + ylen + 1);
    if ((d == 0 && !zero_day) || d > days_in_month(y, m))
        return LERR(L, "AI (%s): day %02d at position %zu is not a day of month %02d", L->ai, d,
                    L->off + ylen + 3, m);
    return 0;
}

static int lint_range(const lctx_t *L, const char *s, size_t n, int lo, int hi, const char *what)
{
    int v;
    if (n == 0 || n > 9 || !gs1_ai_all_digits(s, n) || (v = num(s, n)) < lo || v > hi)
        return LERR(L, "AI (%s): %s '%.*s' at position %zu is not %0*d..%d", L->ai, what, (int)n, s,
                    L->off + 1, (int)n, lo, hi);
    return 0;
}

static int lint_gcp(const lctx_t *L, const char *s, size_t n, size_t at)
{
    if (n < at + 4)
        return LERR(L, "AI (%s): too short to hold a GS1 Company Prefix at position %zu", L->ai,
                    L->off + at + 1);
    for (size_t i = at; i < at + 4; i++)
        if (!is_digit((unsigned char)s[i]))
            return LERR(L,
                        "AI (%s): character '%c' at position %zu: a GS1 Company Prefix "
                        "starts with 4 digits",
                        L->ai, s[i], L->off + i + 1);
    return 0;
}

static int lint_gmn(const lctx_t *L, const char *s, size_t n)
{
    static const char set32[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    static const int primes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37,
                                 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83};
    long sum = 0;
    if (n < 3 || n - 2 > NELEM(primes))
        return LERR(L, "AI (%s): too short for a check character pair", L->ai);
    for (size_t i = 0; i < n - 2; i++)
        sum += (long)set82_rank((unsigned char)s[n - 3 - i]) * primes[i];
    sum %= 1021;
    if (s[n - 2] != set32[sum / 32] || s[n - 1] != set32[sum % 32])
        return LERR(L, "AI (%s): check character pair is '%c%c', expected '%c%c'", L->ai, s[n - 2],
                    s[n - 1], set32[sum / 32], set32[sum % 32]);
    return 0;
}

static int lint_iban(const lctx_t *L, const char *s, size_t n)
{
    int rem = 0;
    if (n < 5 || n > 34 || !(s[0] >= 'A' && s[0] <= 'Z') || !(s[1] >= 'A' && s[1] <= 'Z') ||
        !is_digit((unsigned char)s[2]) || !is_digit((unsigned char)s[3]))
        return LERR(L, "AI (%s): not an IBAN (country code, 2 check digits, account)", L->ai);
    for (size_t k = 0; k < n; k++) {
        int c = (unsigned char)s[(k + 4) % n];
        if (is_digit(c))
            rem = (rem * 10 + (c - '0')) % 97;
        else if (c >= 'A' && c <= 'Z')
            rem = (rem * 100 + (c - 'A' + 10)) % 97;
        else
            return LERR(L, "AI (%s): character '%c' at position %zu is not allowed in an IBAN",
                        L->ai, c, L->off + (k + 4) % n + 1);
    }
    if (rem != 1)
        return LERR(L, "AI (%s): IBAN check digits do not match", L->ai);
    return 0;
}

static int run_lint(const lctx_t *L, int lint, const char *s, size_t n)
{
    switch (lint) {
    case GS1_LINT_CSUM: {
        int want = n >= 2 ? gs1_ai_check_digit(s, n - 1) : -1;
        if (want < 0 || !is_digit((unsigned char)s[n - 1]))
            return LERR(L, "AI (%s): check digit needs digits", L->ai);
        if (s[n - 1] - '0' != want)
            return LERR(L, "AI (%s): check digit is %c, expected %d", L->ai, s[n - 1], want);
        return 0;
    }
    case GS1_LINT_CSUMALPHA:
        return lint_gmn(L, s, n);
    case GS1_LINT_GCPPOS1:
    case GS1_LINT_KEY:
        return lint_gcp(L, s, n, 0);
    case GS1_LINT_GCPPOS2:
    case GS1_LINT_KEYOFF1:
        return lint_gcp(L, s, n, 1);
    case GS1_LINT_YYMMD0:
        return lint_date(L, s, n, 2, true);
    case GS1_LINT_YYMMDD:
        return lint_date(L, s, n, 2, false);
    case GS1_LINT_YYYYMMD0:
        return lint_date(L, s, n, 4, true);
    case GS1_LINT_YYYYMMDD:
        return lint_date(L, s, n, 4, false);
    case GS1_LINT_YYMMDDHH:
        if (n != 8)
            return LERR(L, "AI (%s): expected YYMMDDHH", L->ai);
        if (lint_date(L, s, 6, 2, false) < 0)
            return GS1_EINPUT;
        return lint_range(L, s + 6, 2, 0, 23, "hour");
    case GS1_LINT_HH:
        return lint_range(L, s, n, 0, 23, "hour");
    case GS1_LINT_MI:
    case GS1_LINT_SS:
        return lint_range(L, s, n, 0, 59, lint == GS1_LINT_MI ? "minute" : "second");
    case GS1_LINT_HHMI:
    case GS1_LINT_HHMM:
        if (n != 4)
            return LERR(L, "AI (%s): time at position %zu must be HHMM", L->ai, L->off + 1);
        if (lint_range(L, s, 2, 0, 23, "hour") < 0)
            return GS1_EINPUT;
        return lint_range(L, s + 2, 2, 0, 59, "minute");
    case GS1_LINT_MMOPTSS:
        if (n != 2 && n != 4)
            return LERR(L, "AI (%s): expected MM or MMSS", L->ai);
        if (lint_range(L, s, 2, 0, 59, "minute") < 0)
            return GS1_EINPUT;
        return n == 4 ? lint_range(L, s + 2, 2, 0, 59, "second") : 0;
    case GS1_LINT_ZERO:
        if (n != 1 || s[0] != '0')
            return LERR(L, "AI (%s): position %zu must be 0", L->ai, L->off + 1);
        return 0;
    case GS1_LINT_NONZERO:
        for (size_t i = 0; i < n; i++)
            if (s[i] != '0')
                return 0;
        return LERR(L, "AI (%s): '%.*s' at position %zu must not be zero", L->ai, (int)n, s,
                    L->off + 1);
    case GS1_LINT_NOZEROPREFIX:
        if (n > 1 && s[0] == '0')
            return LERR(L, "AI (%s): '%.*s' must not start with 0", L->ai, (int)n, s);
        return 0;
    case GS1_LINT_HASNONDIGIT:
        if (gs1_ai_all_digits(s, n))
            return LERR(L, "AI (%s): must contain a character that is not a digit", L->ai);
        return 0;
    case GS1_LINT_YESNO:
        if (n != 1 || (s[0] != '0' && s[0] != '1'))
            return LERR(L, "AI (%s): '%.*s' must be 0 (no) or 1 (yes)", L->ai, (int)n, s);
        return 0;
    case GS1_LINT_HYPHEN:
        for (size_t i = 0; i < n; i++)
            if (s[i] != '-')
                return LERR(L, "AI (%s): character '%c' at position %zu must be '-'", L->ai, s[i],
                            L->off + i + 1);
        return 0;
    case GS1_LINT_WINDING:
        if (n != 1 || (s[0] != '0' && s[0] != '1' && s[0] != '9'))
            return LERR(L, "AI (%s): winding direction must be 0, 1 or 9", L->ai);
        return 0;
    case GS1_LINT_ISO5218:
        if (n != 1 || (s[0] != '0' && s[0] != '1' && s[0] != '2' && s[0] != '9'))
            return LERR(L, "AI (%s): sex code must be 0, 1, 2 or 9", L->ai);
        return 0;
    case GS1_LINT_PIECEOFTOTAL: {
        int piece, total;
        if (n < 2 || n % 2 != 0 || n > 8 || !gs1_ai_all_digits(s, n))
            return LERR(L, "AI (%s): piece and total must be digits", L->ai);
        piece = num(s, n / 2);
        total = num(s + n / 2, n / 2);
        if (piece == 0 || total == 0 || piece > total)
            return LERR(L, "AI (%s): piece %.*s of total %.*s: must be 1 to total", L->ai,
                        (int)(n / 2), s, (int)(n / 2), s + n / 2);
        return 0;
    }
    case GS1_LINT_POSINSEQSLASH: {
        const char *slash = memchr(s, '/', n);
        size_t a = slash ? (size_t)(slash - s) : 0, b = slash ? n - a - 1 : 0;
        if (!slash || a == 0 || b == 0 || a > 4 || b > 4 || !gs1_ai_all_digits(s, a) ||
            !gs1_ai_all_digits(slash + 1, b) || num(s, a) == 0 || num(s, a) > num(slash + 1, b))
            return LERR(L, "AI (%s): '%.*s' must be <position>/<total>", L->ai, (int)n, s);
        return 0;
    }
    case GS1_LINT_IMPORTERIDX:
        if (n != 1 || !(is_digit((unsigned char)s[0]) || is_alpha((unsigned char)s[0]) ||
                        s[0] == '-' || s[0] == '_'))
            return LERR(L, "AI (%s): '%.*s' is not an importer index", L->ai, (int)n, s);
        return 0;
    case GS1_LINT_MEDIATYPE: {
        int v = n == 2 && gs1_ai_all_digits(s, 2) ? num(s, 2) : -1;
        if (!((v >= 1 && v <= 10) || (v >= 80 && v <= 99)))
            return LERR(L, "AI (%s): '%.*s' is not an AIDC media type", L->ai, (int)n, s);
        return 0;
    }
    case GS1_LINT_LATITUDE:
    case GS1_LINT_LONGITUDE: {
        unsigned long long v = 0, max = lint == GS1_LINT_LATITUDE ? 1800000000ULL : 3600000000ULL;
        for (size_t i = 0; i < n && i < 10; i++)
            v = v * 10 + (unsigned)(s[i] - '0');
        if (n != 10 || v > max)
            return LERR(L, "AI (%s): %s '%.*s' out of range", L->ai,
                        lint == GS1_LINT_LATITUDE ? "latitude" : "longitude", (int)n, s);
        return 0;
    }
    case GS1_LINT_LATLONG:
        if (n != 20)
            return LERR(L, "AI (%s): expected 20 digits of latitude and longitude", L->ai);
        if (run_lint(L, GS1_LINT_LATITUDE, s, 10) < 0)
            return GS1_EINPUT;
        return run_lint(L, GS1_LINT_LONGITUDE, s + 10, 10);
    case GS1_LINT_IBAN:
        return lint_iban(L, s, n);
    case GS1_LINT_PCENC:
        for (size_t i = 0; i < n; i++)
            if (s[i] == '%' && (i + 2 >= n || gs1_ai_hex_value((unsigned char)s[i + 1]) < 0 ||
                                gs1_ai_hex_value((unsigned char)s[i + 2]) < 0))
                return LERR(L, "AI (%s): bad percent-encoding at position %zu", L->ai,
                            L->off + i + 1);
        return 0;
    default: /* code lists keten does not carry: accepted */
        return 0;
    }
}

/* ---- values ------------------------------------------------------------ */

static int check_cset(const lctx_t *L, char cset, const char *s, size_t n)
{
    /* the common sets first, one test per character: only a character that
     * fails goes on to the loop below, which says why */
    size_t i = 0;
    if (cset == 'N')
        while (i < n && is_digit((unsigned char)s[i]))
            i++;
    else if (cset != 'Y' && cset != 'Z')
        while (i < n && gs1_ai_in_set82((unsigned char)s[i]))
            i++;
    for (; i < n; i++) {
        int c = (unsigned char)s[i];
        bool ok;
        const char *what;
        switch (cset) {
        case 'N':
            ok = is_digit(c);
            what = "a digit";
            break;
        case 'Y':
            ok = gs1_ai_in_set39(c);
            what = "in GS1 character set 39";
            break;
        case 'Z':
            ok = gs1_ai_in_set64(c);
            what = "in the base64url character set";
            break;
        default:
            ok = gs1_ai_in_set82(c);
            what = "in GS1 character set 82";
            break;
        }
        if (!ok) {
            if (c > 32 && c < 127)
                return LERR(L, "AI (%s): character '%c' at position %zu is not %s", L->ai, c,
                            L->off + i + 1, what);
            return LERR(L, "AI (%s): byte 0x%02X at position %zu is not %s", L->ai, c,
                        L->off + i + 1, what);
        }
    }
    return 0;
}

/* The linters GS1_NO_CHECK_DIGITS skips. */
static bool hash_skips(int lint)
{
    return lint == GS1_LINT_CSUM || lint == GS1_LINT_CSUMALPHA || lint == GS1_LINT_GCPPOS1 ||
           lint == GS1_LINT_GCPPOS2 || lint == GS1_LINT_ZERO || lint == GS1_LINT_PIECEOFTOTAL ||
           lint == GS1_LINT_NOZEROPREFIX;
}

int gs1_ai_validate(const char *ai, const gs1_ai_t *e, const char *v, size_t n, unsigned flags,
                    gs1_err_t *err)
{
    lctx_t L = {ai, 0, err};
    size_t p = 0;

    if (!e || !v)
        return gs1_err_set(err, GS1_EINVAL, "gs1_ai_validate: NULL argument");
    if (n == 0)
        return LERR(&L, "AI (%s): empty value", ai);
    if (n < e->minlen)
        return LERR(&L, "AI (%s): value is too short (%zu characters, at least %u)", ai, n,
                    e->minlen);
    if (n > e->maxlen)
        return LERR(&L, "AI (%s): value is too long (%zu characters, at most %u)", ai, n,
                    e->maxlen);
    for (unsigned i = 0; i < e->ncomp; i++) {
        const gs1_ai_comp_t *c = &e->comp[i];
        size_t len = n - p < c->max ? n - p : c->max;
        int rc;
        if (c->optional && len == 0)
            continue;
        L.off = p;
        if (len < c->min)
            return LERR(&L,
                        "AI (%s): value is too short: component %u at position %zu needs %u "
                        "characters",
                        ai, i + 1, p + 1, c->min);
        if ((rc = check_cset(&L, c->cset, v + p, len)) < 0)
            return rc;
        for (unsigned k = 0; k < GS1_AI_MAX_LINTS && c->lint[k]; k++)
            if (!((flags & GS1_NO_CHECK_DIGITS) && hash_skips(c->lint[k])) &&
                !((flags & GS1_CHECK_DIGIT_MADE) && i == 0 && c->lint[k] == GS1_LINT_CSUM) &&
                (rc = run_lint(&L, c->lint[k], v + p, len)) < 0)
                return rc;
        p += len;
    }
    if (p != n)
        return LERR(&L, "AI (%s): value is too long at position %zu", ai, p + 1);
    return 0;
}

/* ---- Digital Link key qualifiers ------------------------------------- */

int gs1_ai_dl_quals(const gs1_ai_t *pkey, int alt, char q[3][5])
{
    const char *s;
    int n = 0;

    if (!pkey || !pkey->dlpkey || alt < 0)
        return -1;
    /* by hand, not strchr / strcspn: the strings are a few bytes and read
     * for every key */
    s = pkey->dlpkey;
    for (int a = 0; a < alt; a++) {
        while (*s && *s != '|')
            s++;
        if (!*s)
            return -1;
        s++;
    }
    if (alt > 0 && *s == '\0')
        return -1;
    while (*s && *s != '|' && n < 3) {
        size_t len = 0;
        while (s[len] && s[len] != ',' && s[len] != '|')
            len++;
        if (len == 0 || len > 4)
            break;
        for (size_t k = 0; k < len; k++)
            q[n][k] = s[k];
        q[n][len] = '\0';
        n++;
        s += len;
        if (*s == ',')
            s++;
    }
    return n;
}

bool gs1_ai_dl_seq_ok(const gs1_ai_t *pkey, const char (*quals)[5], size_t n, int *alt)
{
    char q[3][5];
    int nq;

    for (int a = 0; (nq = gs1_ai_dl_quals(pkey, a, q)) >= 0; a++) {
        int pos = 0;
        size_t i;
        for (i = 0; i < n; i++) {
            while (pos < nq && strcmp(q[pos], quals[i]) != 0)
                pos++;
            if (pos == nq)
                break;
            pos++;
        }
        if (i == n) {
            if (alt)
                *alt = a;
            return true;
        }
    }
    return false;
}

/* ---- lists ------------------------------------------------------------- */

void gs1_ai_list_clear(gs1_ai_list_t *l)
{
    l->n = 0;
    l->used = 0;
}

int gs1_ai_list_add(gs1_ai_list_t *l, const char *ai, const gs1_ai_t *e, const char *v, size_t n,
                    gs1_err_t *err)
{
    gs1_ai_field_t *f;
    size_t alen = strlen(ai);

    if (n > GS1_AI_MAX_VALUE)
        return gs1_err_set(err, GS1_EINPUT, "AI (%s): value is too long (%zu characters)", ai, n);
    if (l->n >= GS1_AI_MAX_FIELDS || l->used + n + 1 > sizeof l->buf)
        return gs1_err_set(err, GS1_ETOOBIG, "more than %d AIs in one code", GS1_AI_MAX_FIELDS);
    if (alen < 2 || alen > 4)
        return gs1_err_set(err, GS1_EINVAL, "bad AI '%s'", ai);
    f = &l->f[l->n++];
    memcpy(f->ai, ai, alen + 1);
    f->e = e;
    memcpy(l->buf + l->used, v, n);
    l->buf[l->used + n] = '\0';
    f->value = l->buf + l->used;
    f->len = n;
    l->used += n + 1;
    return 0;
}

const gs1_ai_field_t *gs1_ai_list_find(const gs1_ai_list_t *l, const char *ai)
{
    /* strcmp by hand: AI names are short, and the lists are searched for
     * every key qualifier of every key */
    for (size_t i = 0; i < l->n; i++) {
        const char *a = l->f[i].ai, *b = ai;
        while (*a && *a == *b)
            a++, b++;
        if (*a == *b)
            return &l->f[i];
    }
    return NULL;
}

/* Whether AI a matches pattern p[0..n) ("01", "31nn", "394n"). */
static bool pat_match(const char *p, size_t n, const char *a)
{
    if (strlen(a) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] != 'n' && p[i] != a[i])
            return false;
    return true;
}

/* Whether another field than self matches pattern p[0..n). */
static const gs1_ai_field_t *other_match(const gs1_ai_list_t *l, const char *self, const char *p,
                                         size_t n)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->f[i].ai, self) != 0 && pat_match(p, n, l->f[i].ai))
            return &l->f[i];
    return NULL;
}

/* Checks one req= group (','-list of '+'-joined patterns): 1 if one
 * alternative is wholly present. */
static bool req_group_ok(const gs1_ai_list_t *l, const char *self, const char *g, size_t glen)
{
    const char *end = g + glen;
    while (g < end) {
        const char *alt_end = memchr(g, ',', (size_t)(end - g));
        bool all = true;
        if (!alt_end)
            alt_end = end;
        for (const char *p = g; p < alt_end;) {
            const char *pe = memchr(p, '+', (size_t)(alt_end - p));
            if (!pe)
                pe = alt_end;
            if (!other_match(l, self, p, (size_t)(pe - p)))
                all = false;
            p = pe + 1;
        }
        if (all)
            return true;
        g = alt_end + 1;
    }
    return false;
}

int gs1_ai_check_fields(const gs1_ai_list_t *l, unsigned flags, gs1_err_t *err)
{
    for (size_t i = 0; i < l->n; i++) {
        const gs1_ai_field_t *f = &l->f[i];
        for (size_t j = i + 1; j < l->n; j++) {
            const gs1_ai_field_t *g = &l->f[j];
            if (strcmp(f->ai, g->ai) == 0 &&
                (f->len != g->len || memcmp(f->value, g->value, f->len) != 0))
                return gs1_err_set(err, GS1_EINPUT,
                                   "AI (%s) is given twice with different values ('%.30s' and "
                                   "'%.30s')",
                                   f->ai, f->value, g->value);
        }
    }
    if (flags & GS1_NO_PAIRS)
        return 0;
    for (size_t i = 0; i < l->n; i++) {
        const gs1_ai_field_t *f = &l->f[i];
        const char *s;
        if (f->e->req) {
            for (s = f->e->req; *s;) {
                size_t glen = strcspn(s, " ");
                if (!req_group_ok(l, f->ai, s, glen)) {
                    char list[128];
                    size_t o = 0;
                    for (size_t k = 0; k < glen && o + 12 < sizeof list; k++) {
                        if (k == 0 || s[k - 1] == ',' || s[k - 1] == '+')
                            list[o++] = '(';
                        if (s[k] == ',' || s[k] == '+') {
                            o += (size_t)snprintf(list + o, sizeof list - o, ")%s",
                                                  s[k] == ',' ? " or " : " with ");
                            continue;
                        }
                        list[o++] = s[k];
                    }
                    list[o++] = ')';
                    list[o] = '\0';
                    return gs1_err_set(err, GS1_EINPUT, "AI (%s) requires AI %s in the same data",
                                       f->ai, list);
                }
                s += glen;
                while (*s == ' ')
                    s++;
            }
        }
        if (f->e->ex) {
            for (s = f->e->ex; *s;) {
                size_t plen = strcspn(s, ", ");
                const gs1_ai_field_t *g = other_match(l, f->ai, s, plen);
                if (g)
                    return gs1_err_set(err, GS1_EINPUT,
                                       "AI (%s) must not appear together with AI (%s)", f->ai,
                                       g->ai);
                s += plen;
                while (*s == ',' || *s == ' ')
                    s++;
            }
        }
    }
    return 0;
}
