/* gs1_tds.c -- EPC Tag Data Standard tables and the binary codec
 * (see gs1_tds.h).
 *
 * How it works: a static table describes every binary coding keten decodes:
 * its header byte, bit length, the partition table of its company-prefix
 * part, how the second field after the prefix is written (fixed decimal
 * digits, an integer, a 7-bit string, or CPI-var's 6-bit string ended by a
 * zero character) and the tail (an integer serial, a 7-bit string, SGCN's
 * "1"-prefixed numeric string, reserved zero bits). GID-96 and USDOD-96
 * have no partition and are handled on their own. CPI-var is the one
 * variable-length coding: its length is known only once it is decoded.
 * Decoding reads the fields MSB-first out of the hex bytes and turns them
 * into text; encoding writes them back. Every value is range-checked both
 * ways, with messages that name the coding and the field.
 */
#include "gs1_tds.h"

#include <stdint.h>
#include <string.h>

#include "gs1_ai.h"

/* ---- tables -------------------------------------------------------------- */

/* One row of a partition table: bits and decimal digits of the company
 * prefix and of the field after it. */
typedef struct {
    uint8_t cp_bits, cp_digits, ref_bits, ref_digits;
} part_t;

/* TDS 2.0 section 14.4, tables 14-2 (SGTIN, ITIP), 14-3 (SSCC, GSRN,
 * GSRNP), 14-4 (SGLN, GDTI, SGCN), 14-5 (GRAI), 14-6/14-7 (GIAI), 14-8/14-9
 * (CPI). For GIAI-202 and CPI-var, ref_digits is the maximum number of
 * characters (30 minus the prefix digits). */
static const part_t P_SGTIN[7] = {{40, 12, 4, 1}, {37, 11, 7, 2}, {34, 10, 10, 3}, {30, 9, 14, 4},
                                  {27, 8, 17, 5}, {24, 7, 20, 6}, {20, 6, 24, 7}};
static const part_t P_SSCC[7] = {{40, 12, 18, 5}, {37, 11, 21, 6}, {34, 10, 24, 7}, {30, 9, 28, 8},
                                 {27, 8, 31, 9},  {24, 7, 34, 10}, {20, 6, 38, 11}};
static const part_t P_SGLN[7] = {{40, 12, 1, 0}, {37, 11, 4, 1}, {34, 10, 7, 2}, {30, 9, 11, 3},
                                 {27, 8, 14, 4}, {24, 7, 17, 5}, {20, 6, 21, 6}};
static const part_t P_GRAI[7] = {{40, 12, 4, 0}, {37, 11, 7, 1}, {34, 10, 10, 2}, {30, 9, 14, 3},
                                 {27, 8, 17, 4}, {24, 7, 20, 5}, {20, 6, 24, 6}};
static const part_t P_GIAI96[7] = {{40, 12, 42, 13}, {37, 11, 45, 14}, {34, 10, 48, 15},
                                   {30, 9, 52, 16},  {27, 8, 55, 17},  {24, 7, 58, 18},
                                   {20, 6, 62, 19}};
static const part_t P_CPI96[7] = {{40, 12, 11, 3}, {37, 11, 14, 4}, {34, 10, 17, 5}, {30, 9, 21, 6},
                                  {27, 8, 24, 7},  {24, 7, 27, 8},  {20, 6, 31, 9}};
static const part_t P_CPIVAR[7] = {{40, 12, 114, 18}, {37, 11, 120, 19}, {34, 10, 126, 20},
                                   {30, 9, 132, 21},  {27, 8, 138, 22},  {24, 7, 144, 23},
                                   {20, 6, 150, 24}};
static const part_t P_GIAI202[7] = {{40, 12, 148, 18}, {37, 11, 151, 19}, {34, 10, 154, 20},
                                    {30, 9, 158, 21},  {27, 8, 161, 22},  {24, 7, 164, 23},
                                    {20, 6, 168, 24}};

/* The field after the prefix: fixed digits; an integer (GIAI-96: the
 * serial; CPI-96: the reference, no leading zeros); a 7-bit string (GIAI-202:
 * the serial); a 6-bit string ended by 000000 (CPI-var: the reference). */
enum { REF_DIGITS, REF_INT, REF_STR, REF_NUM, REF_STR6 };
enum { TAIL_NONE, TAIL_INT, TAIL_STR, TAIL_NUMSTR }; /* the serial at the end */

typedef struct {
    const char *name;   /* "sgtin-96" */
    const char *label;  /* "SGTIN-96", for messages */
    uint8_t header;     /* first byte */
    uint8_t scheme;     /* enum gs1_epc_scheme_id */
    uint16_t bits;      /* total bit length; 0: variable (cpi-var) */
    const part_t *part; /* NULL: gid-96, usdod-96 */
    uint8_t ref_kind;   /* REF_INT / REF_STR: that field is the serial (GIAI) */
    uint8_t tail_kind;
    uint8_t tail_bits;
    uint8_t tail_max; /* TAIL_STR: characters; TAIL_NUMSTR: digits */
    uint8_t itip;     /* piece and total, 7 bits each, before the tail */
    uint8_t reserved; /* zero bits after the last field */
} coding_t;

static const coding_t CODINGS[] = {
    {"sgtin-96", "SGTIN-96", 0x30, GS1_EPC_SGTIN, 96, P_SGTIN, REF_DIGITS, TAIL_INT, 38, 0, 0, 0},
    {"sgtin-198", "SGTIN-198", 0x36, GS1_EPC_SGTIN, 198, P_SGTIN, REF_DIGITS, TAIL_STR, 140, 20, 0,
     0},
    {"sscc-96", "SSCC-96", 0x31, GS1_EPC_SSCC, 96, P_SSCC, REF_DIGITS, TAIL_NONE, 0, 0, 0, 24},
    {"sgln-96", "SGLN-96", 0x32, GS1_EPC_SGLN, 96, P_SGLN, REF_DIGITS, TAIL_INT, 41, 0, 0, 0},
    {"sgln-195", "SGLN-195", 0x39, GS1_EPC_SGLN, 195, P_SGLN, REF_DIGITS, TAIL_STR, 140, 20, 0, 0},
    {"grai-96", "GRAI-96", 0x33, GS1_EPC_GRAI, 96, P_GRAI, REF_DIGITS, TAIL_INT, 38, 0, 0, 0},
    {"grai-170", "GRAI-170", 0x37, GS1_EPC_GRAI, 170, P_GRAI, REF_DIGITS, TAIL_STR, 112, 16, 0, 0},
    {"giai-96", "GIAI-96", 0x34, GS1_EPC_GIAI, 96, P_GIAI96, REF_INT, TAIL_NONE, 0, 0, 0, 0},
    {"giai-202", "GIAI-202", 0x38, GS1_EPC_GIAI, 202, P_GIAI202, REF_STR, TAIL_NONE, 0, 0, 0, 0},
    {"gsrn-96", "GSRN-96", 0x2D, GS1_EPC_GSRN, 96, P_SSCC, REF_DIGITS, TAIL_NONE, 0, 0, 0, 24},
    {"gsrnp-96", "GSRNP-96", 0x2E, GS1_EPC_GSRNP, 96, P_SSCC, REF_DIGITS, TAIL_NONE, 0, 0, 0, 24},
    {"gdti-96", "GDTI-96", 0x2C, GS1_EPC_GDTI, 96, P_SGLN, REF_DIGITS, TAIL_INT, 41, 0, 0, 0},
    {"gdti-174", "GDTI-174", 0x3E, GS1_EPC_GDTI, 174, P_SGLN, REF_DIGITS, TAIL_STR, 119, 17, 0, 0},
    {"sgcn-96", "SGCN-96", 0x3F, GS1_EPC_SGCN, 96, P_SGLN, REF_DIGITS, TAIL_NUMSTR, 41, 12, 0, 0},
    {"itip-110", "ITIP-110", 0x40, GS1_EPC_ITIP, 110, P_SGTIN, REF_DIGITS, TAIL_INT, 38, 0, 1, 0},
    {"itip-212", "ITIP-212", 0x41, GS1_EPC_ITIP, 212, P_SGTIN, REF_DIGITS, TAIL_STR, 140, 20, 1, 0},
    {"cpi-96", "CPI-96", 0x3C, GS1_EPC_CPI, 96, P_CPI96, REF_NUM, TAIL_INT, 31, 0, 0, 0},
    {"cpi-var", "CPI-var", 0x3D, GS1_EPC_CPI, 0, P_CPIVAR, REF_STR6, TAIL_INT, 40, 0, 0, 0},
    {"gid-96", "GID-96", 0x35, GS1_EPC_GID, 96, NULL, 0, TAIL_NONE, 0, 0, 0, 0},
    {"usdod-96", "USDOD-96", 0x2F, GS1_EPC_USDOD, 96, NULL, 0, TAIL_NONE, 0, 0, 0, 0},
};
#define NCODINGS ((int)(sizeof CODINGS / sizeof CODINGS[0]))

/* Headers that are EPCs, but of codings keten does not decode. */
static const struct {
    uint8_t header;
    const char *label;
} OTHER_HEADERS[] = {
    {0x3A, "GDTI-113 (withdrawn)"},
    {0x3B, "ADI-var"},
    {0xF2, "SGLN+"},
    {0xF4, "GSRN+"},
    {0xF6, "GDTI+"},
    {0xF7, "SGTIN+"},
    {0xF8, "SGCN+"},
    {0xFB, "DSGTIN+"},
};

typedef struct {
    const char *name;   /* "sgtin" */
    const char *label;  /* "SGTIN" */
    uint8_t digits;     /* company prefix + ref digits; 0: no ref (GIAI) */
    const char *ref;    /* name of the ref field */
    const char *serial; /* name of the serial field; NULL: none */
    uint8_t serial_max; /* characters; GIAI: 30 minus the prefix */
    uint8_t serial_num; /* digits only (SGCN) */
} scheme_t;

static const scheme_t SCHEMES[GS1_EPC_SCHEME_COUNT] = {
    [GS1_EPC_SGTIN] = {"sgtin", "SGTIN", 13, "indicator and item reference", "serial", 20, 0},
    [GS1_EPC_SSCC] = {"sscc", "SSCC", 17, "extension and serial reference", NULL, 0, 0},
    [GS1_EPC_SGLN] = {"sgln", "SGLN", 12, "location reference", "extension", 20, 0},
    [GS1_EPC_GRAI] = {"grai", "GRAI", 12, "asset type", "serial", 16, 0},
    [GS1_EPC_GIAI] = {"giai", "GIAI", 0, "", "individual asset reference", 30, 0},
    [GS1_EPC_GSRN] = {"gsrn", "GSRN", 17, "service reference", NULL, 0, 0},
    [GS1_EPC_GSRNP] = {"gsrnp", "GSRNP", 17, "service reference", NULL, 0, 0},
    [GS1_EPC_GDTI] = {"gdti", "GDTI", 12, "document type", "serial", 17, 0},
    [GS1_EPC_SGCN] = {"sgcn", "SGCN", 12, "coupon reference", "serial", 12, 1},
    [GS1_EPC_ITIP] = {"itip", "ITIP", 13, "indicator and item reference", "serial", 20, 0},
    [GS1_EPC_GID] = {"gid", "GID", 0, "object class", "serial", 0, 0},
    [GS1_EPC_CPI] = {"cpi", "CPI", 0, "component/part reference", "serial", 12, 1},
    [GS1_EPC_USDOD] = {"usdod", "USDOD", 0, "", "serial", 0, 0},
};

static const uint64_t POW10[20] = {1ULL,
                                   10ULL,
                                   100ULL,
                                   1000ULL,
                                   10000ULL,
                                   100000ULL,
                                   1000000ULL,
                                   10000000ULL,
                                   100000000ULL,
                                   1000000000ULL,
                                   10000000000ULL,
                                   100000000000ULL,
                                   1000000000000ULL,
                                   10000000000000ULL,
                                   100000000000000ULL,
                                   1000000000000000ULL,
                                   10000000000000000ULL,
                                   100000000000000000ULL,
                                   1000000000000000000ULL,
                                   10000000000000000000ULL};

/* ---- small helpers --------------------------------------------------------- */

int gs1_tds_is_set82(int c)
{
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
        return 1;
    return c != 0 && strchr("!\"%&'()*+,-./:;<=>?_", c) != NULL;
}

/* GS1 AI encodable character set 39 (CPI component/part references). */
static int is_set39(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '#' || c == '-' || c == '/';
}

/* CAGE code / DoDAAC characters: digits and capitals but I and O. */
static int is_cage(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O');
}

/* Value of n <= 19 decimal digits. */
static uint64_t dec_value(const char *s, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    return v;
}

/* v as exactly `digits` decimal digits (leading zeros), NUL-terminated. */
static void fmt_pad(uint64_t v, unsigned digits, char *out)
{
    out[digits] = 0;
    while (digits--) {
        out[digits] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* v in decimal without leading zeros, NUL-terminated; returns the length. */
static size_t fmt_dec(uint64_t v, char *out)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
    return n;
}

static uint64_t bits_max(unsigned bits)
{
    return bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1;
}

/* n <= 64 bits at bit position pos, MSB first. */
static uint64_t get_bits(const uint8_t *b, unsigned pos, unsigned n)
{
    uint64_t v = 0;
    while (n) {
        unsigned off = pos & 7, take = 8 - off;
        if (take > n)
            take = n;
        v = (v << take) | ((b[pos >> 3] >> (8 - off - take)) & ((1u << take) - 1));
        pos += take;
        n -= take;
    }
    return v;
}

/* Writes the low n <= 64 bits of v at pos into a zeroed buffer. */
static void put_bits(uint8_t *b, unsigned pos, unsigned n, uint64_t v)
{
    while (n) {
        unsigned off = pos & 7, take = 8 - off;
        if (take > n)
            take = n;
        unsigned chunk = (unsigned)((v >> (n - take)) & ((1u << take) - 1));
        b[pos >> 3] |= (uint8_t)(chunk << (8 - off - take));
        pos += take;
        n -= take;
    }
}

/* The partition whose company prefix has cp_len digits, or -1. */
static int partition_of(const part_t *pt, size_t cp_len)
{
    for (int p = 0; p < 7; p++)
        if (pt[p].cp_digits == cp_len)
            return p;
    return -1;
}

/* ---- names ----------------------------------------------------------------- */

const char *gs1_tds_scheme_name(int scheme)
{
    return scheme > 0 && scheme < GS1_EPC_SCHEME_COUNT ? SCHEMES[scheme].name : "";
}

int gs1_tds_scheme_by_name(const char *name, size_t n)
{
    for (int s = 1; s < GS1_EPC_SCHEME_COUNT; s++)
        if (strlen(SCHEMES[s].name) == n && memcmp(SCHEMES[s].name, name, n) == 0)
            return s;
    return GS1_EPC_NONE;
}

int gs1_tds_coding_by_name(const char *name, size_t n)
{
    for (int c = 0; c < NCODINGS; c++)
        if (strlen(CODINGS[c].name) == n && memcmp(CODINGS[c].name, name, n) == 0)
            return c;
    return -1;
}

const char *gs1_tds_coding_name(int coding)
{
    return coding >= 0 && coding < NCODINGS ? CODINGS[coding].name : "";
}

int gs1_tds_coding_bits(int coding)
{
    return coding >= 0 && coding < NCODINGS ? CODINGS[coding].bits : 0;
}

int gs1_tds_coding_scheme(int coding)
{
    return coding >= 0 && coding < NCODINGS ? CODINGS[coding].scheme : GS1_EPC_NONE;
}

int gs1_tds_codings(int scheme, int out[2])
{
    int n = 0;
    for (int c = 0; c < NCODINGS && n < 2; c++)
        if (CODINGS[c].scheme == scheme)
            out[n++] = c;
    return n;
}

/* The other coding of the same scheme (for "use ... instead"), or NULL. */
static const char *other_coding(int coding)
{
    for (int c = 0; c < NCODINGS; c++)
        if (c != coding && CODINGS[c].scheme == CODINGS[coding].scheme)
            return CODINGS[c].name;
    return NULL;
}

/* ---- identity rules ------------------------------------------------------------ */

/* A number of scheme `label`: decimal, no leading zero, at most max. */
static int number(const char *label, const char *s, uint64_t max, const char *what, gs1_err_t *err)
{
    size_t n = strlen(s);
    if (n == 0 || !gs1_ai_all_digits(s, n))
        return gs1_err_set(err, GS1_EINPUT, "%s %s must be a decimal number (got \"%s\")", label,
                           what, s);
    if (n > 1 && s[0] == '0')
        return gs1_err_set(err, GS1_EINPUT, "%s %s %s has a leading zero", label, what, s);
    if (n > 19 || dec_value(s, n) > max)
        return gs1_err_set(err, GS1_EINPUT, "%s %s %s is too large (the maximum is %llu)", label,
                           what, s, (unsigned long long)max);
    return 0;
}

int gs1_tds_check_identity(const gs1_epc_fields_t *f, gs1_err_t *err)
{
    const scheme_t *s;
    size_t cp, ref, ser, max;
    int rc;

    if (f->scheme <= GS1_EPC_NONE || f->scheme >= GS1_EPC_SCHEME_COUNT)
        return gs1_err_set(err, GS1_EINPUT, "unknown EPC scheme");
    s = &SCHEMES[f->scheme];
    if (f->scheme == GS1_EPC_GID) {
        if ((rc = number("GID", f->cp, bits_max(28), "general manager number", err)) < 0 ||
            (rc = number("GID", f->ref, bits_max(24), "object class", err)) < 0 ||
            (rc = number("GID", f->serial, bits_max(36), "serial", err)) < 0)
            return rc;
        return 0;
    }
    if (f->scheme == GS1_EPC_USDOD) {
        size_t n = strnlen(f->cp, sizeof f->cp);
        if (n < 5 || n > 6)
            return gs1_err_set(err, GS1_EINPUT,
                               "USDOD CAGE code or DoDAAC must be 5 or 6 characters (got \"%s\")",
                               f->cp);
        for (size_t i = 0; i < n; i++)
            if (!is_cage((unsigned char)f->cp[i]))
                return gs1_err_set(err, GS1_EINPUT,
                                   "USDOD CAGE code or DoDAAC \"%s\": character %zu is not a "
                                   "digit or a capital letter other than I and O",
                                   f->cp, i + 1);
        if (f->ref[0])
            return gs1_err_set(err, GS1_EINPUT, "USDOD has no reference field");
        return number("USDOD", f->serial, bits_max(36), "serial", err);
    }
    cp = strnlen(f->cp, sizeof f->cp);
    ref = strnlen(f->ref, sizeof f->ref);
    ser = strnlen(f->serial, sizeof f->serial);
    if (cp < 6 || cp > 12 || !gs1_ai_all_digits(f->cp, cp))
        return gs1_err_set(err, GS1_EINPUT, "%s company prefix must be 6 to 12 digits (got \"%s\")",
                           s->label, f->cp);
    if (s->digits) {
        if (!gs1_ai_all_digits(f->ref, ref))
            return gs1_err_set(err, GS1_EINPUT, "%s %s must be digits (got \"%s\")", s->label,
                               s->ref, f->ref);
        if (cp + ref != s->digits)
            return gs1_err_set(err, GS1_EINPUT,
                               "%s company prefix and %s must be %u digits together, not %zu",
                               s->label, s->ref, s->digits, cp + ref);
    } else if (f->scheme == GS1_EPC_CPI) {
        if (ref == 0 || cp + ref > 30)
            return gs1_err_set(err, GS1_EINPUT,
                               "CPI component/part reference must be 1 to %zu characters, not "
                               "%zu",
                               30 - cp, ref);
        for (size_t i = 0; i < ref; i++)
            if (!is_set39((unsigned char)f->ref[i]))
                return gs1_err_set(err, GS1_EINPUT,
                                   "CPI component/part reference has character 0x%02X at "
                                   "position %zu, which is not in GS1 character set 39",
                                   (unsigned char)f->ref[i], i + 1);
        return number("CPI", f->serial, 999999999999ULL, "serial", err);
    } else if (ref) {
        return gs1_err_set(err, GS1_EINPUT, "%s has no field between prefix and %s", s->label,
                           s->serial);
    }
    if (f->scheme == GS1_EPC_ITIP) {
        if (strlen(f->piece) != 2 || !gs1_ai_all_digits(f->piece, 2))
            return gs1_err_set(err, GS1_EINPUT, "ITIP piece must be 2 digits (got \"%s\")",
                               f->piece);
        if (strlen(f->total) != 2 || !gs1_ai_all_digits(f->total, 2))
            return gs1_err_set(err, GS1_EINPUT, "ITIP total must be 2 digits (got \"%s\")",
                               f->total);
    } else if (f->piece[0] || f->total[0]) {
        return gs1_err_set(err, GS1_EINPUT, "%s has no piece/total", s->label);
    }
    if (!s->serial) {
        if (ser)
            return gs1_err_set(err, GS1_EINPUT, "%s has no serial", s->label);
        return 0;
    }
    max = f->scheme == GS1_EPC_GIAI ? 30 - cp : s->serial_max;
    if (ser == 0)
        return gs1_err_set(err, GS1_EINPUT, "%s %s is empty", s->label, s->serial);
    if (ser > max)
        return gs1_err_set(err, GS1_EINPUT, "%s %s is %zu characters long; at most %zu fit",
                           s->label, s->serial, ser, max);
    for (size_t i = 0; i < ser; i++) {
        int c = (unsigned char)f->serial[i];
        if (s->serial_num ? (c < '0' || c > '9') : !gs1_tds_is_set82(c))
            return gs1_err_set(err, GS1_EINPUT,
                               "%s %s has character 0x%02X at position %zu, which is not %s",
                               s->label, s->serial, c, i + 1,
                               s->serial_num ? "a digit" : "in GS1 character set 82");
    }
    return 0;
}

/* s must be a decimal number without leading zero below 2^bits, to fit an
 * integer field of coding c. */
static int int_fits(const coding_t *c, int coding, const char *s, unsigned bits, const char *what,
                    gs1_err_t *err)
{
    size_t n = strlen(s);
    const char *alt = other_coding(coding);
    const char *h1 = alt ? "; use " : "", *h2 = alt ? alt : "";

    if (n == 0 || !gs1_ai_all_digits(s, n))
        return gs1_err_set(err, GS1_EINPUT, "%s %s \"%s\" is not a decimal number%s%s", c->label,
                           what, s, h1, h2);
    if (n > 1 && s[0] == '0')
        return gs1_err_set(err, GS1_EINPUT, "%s %s %s has a leading zero%s%s", c->label, what, s,
                           h1, h2);
    if (n > 19 || dec_value(s, n) > bits_max(bits))
        return gs1_err_set(err, GS1_EINPUT, "%s %s %s is too large (the maximum is %llu)%s%s",
                           c->label, what, s, (unsigned long long)bits_max(bits), h1, h2);
    return 0;
}

int gs1_tds_fits(const gs1_epc_fields_t *f, int coding, gs1_err_t *err)
{
    const coding_t *c;
    const scheme_t *s;
    int p, rc;

    if (coding < 0 || coding >= NCODINGS)
        return gs1_err_set(err, GS1_EINVAL, "unknown EPC coding");
    c = &CODINGS[coding];
    s = &SCHEMES[c->scheme];
    if (f->scheme != c->scheme)
        return gs1_err_set(err, GS1_EINPUT, "a %s EPC cannot be written as %s",
                           gs1_tds_scheme_name(f->scheme), c->name);
    if (!c->part)
        return 0; /* gid-96, usdod-96: the identity ranges are the field widths */
    p = partition_of(c->part, strlen(f->cp));
    if (p < 0)
        return gs1_err_set(err, GS1_EINPUT, "%s company prefix must be 6 to 12 digits", c->label);
    if (c->ref_kind == REF_INT)
        return int_fits(c, coding, f->serial, c->part[p].ref_bits, s->serial, err);
    if (c->ref_kind == REF_NUM) {
        if ((rc = int_fits(c, coding, f->ref, c->part[p].ref_bits, s->ref, err)) < 0)
            return rc;
        if (strlen(f->ref) > c->part[p].ref_digits)
            return gs1_err_set(err, GS1_EINPUT, "%s %s %s has more than %u digits; use %s",
                               c->label, s->ref, f->ref, c->part[p].ref_digits,
                               other_coding(coding));
    }
    if (c->ref_kind == REF_STR6 && strlen(f->ref) > c->part[p].ref_digits)
        return gs1_err_set(err, GS1_EINPUT, "%s %s is longer than %u characters", c->label, s->ref,
                           c->part[p].ref_digits);
    if (c->ref_kind == REF_STR && strlen(f->serial) > c->part[p].ref_digits)
        return gs1_err_set(err, GS1_EINPUT, "%s %s is longer than %u characters", c->label,
                           s->serial, c->part[p].ref_digits);
    if (c->tail_kind == TAIL_INT)
        return int_fits(c, coding, f->serial, c->tail_bits, s->serial, err);
    if ((c->tail_kind == TAIL_STR || c->tail_kind == TAIL_NUMSTR) &&
        strlen(f->serial) > c->tail_max)
        return gs1_err_set(err, GS1_EINPUT, "%s %s is longer than %u characters", c->label,
                           s->serial, c->tail_max);
    return 0;
}

/* ---- decoding ---------------------------------------------------------------- */

/* Hex text -> bytes (zero-filled); *ndigits the number of hex digits. */
static int parse_hex(const char *hex, size_t len, uint8_t *b, size_t *ndigits, gs1_err_t *err)
{
    size_t i = 0, nd = 0;

    while (i < len && (hex[i] == ' ' || hex[i] == '\t'))
        i++;
    if (len - i >= 2 && hex[i] == '0' && (hex[i + 1] == 'x' || hex[i + 1] == 'X'))
        i += 2;
    for (; i < len; i++) {
        int c = (unsigned char)hex[i], v;
        if (c == ' ' || c == '\t')
            continue;
        v = gs1_ai_hex_value(c);
        if (v < 0) {
            if (c >= 0x21 && c < 0x7F)
                return gs1_err_set(err, GS1_EINPUT,
                                   "EPC hex: '%c' at position %zu is not a hex digit", c, i + 1);
            return gs1_err_set(err, GS1_EINPUT,
                               "EPC hex: byte 0x%02X at position %zu is not a hex digit", c, i + 1);
        }
        if (nd == GS1_TDS_HEX_IN_MAX)
            return gs1_err_set(err, GS1_EINPUT,
                               "EPC hex is too long (more than %d digits; the longest EPC keten "
                               "decodes, ITIP-212, has 56)",
                               GS1_TDS_HEX_IN_MAX);
        b[nd >> 1] |= (uint8_t)(nd & 1 ? v : v << 4);
        nd++;
    }
    if (nd < 2)
        return gs1_err_set(err, GS1_EINPUT,
                           nd ? "EPC hex is too short (1 digit)" : "EPC hex is empty");
    *ndigits = nd;
    return 0;
}

static int unknown_header(unsigned h, gs1_err_t *err)
{
    for (size_t i = 0; i < sizeof OTHER_HEADERS / sizeof OTHER_HEADERS[0]; i++)
        if (OTHER_HEADERS[i].header == h)
            return gs1_err_set(err, GS1_EINPUT,
                               "EPC header 0x%02X is not a scheme keten knows (it is %s, which "
                               "keten does not decode)",
                               h, OTHER_HEADERS[i].label);
    if (h == 0)
        return gs1_err_set(err, GS1_EINPUT,
                           "EPC header 0x00 is not a scheme keten knows (an unprogrammed tag?)");
    return gs1_err_set(err, GS1_EINPUT, "EPC header 0x%02X is not a scheme keten knows", h);
}

/* A 7-bit string of nbits bits at *pos, at most max characters, into out. */
static int get_str(const coding_t *c, const char *what, const uint8_t *b, unsigned *pos,
                   unsigned nbits, unsigned max, char *out, gs1_err_t *err)
{
    unsigned nchars = nbits / 7, n = 0, ended = 0;

    for (unsigned k = 0; k < nchars; k++) {
        unsigned ch = (unsigned)get_bits(b, *pos, 7);
        *pos += 7;
        if (ended) {
            if (ch)
                return gs1_err_set(err, GS1_EINPUT, "%s %s has a character after its end (0x00)",
                                   c->label, what);
            continue;
        }
        if (ch == 0) {
            ended = 1;
            continue;
        }
        if (!gs1_tds_is_set82((int)ch))
            return gs1_err_set(err, GS1_EINPUT,
                               "%s %s has character 0x%02X, which is not in GS1 character set 82",
                               c->label, what, ch);
        if (n == max)
            return gs1_err_set(err, GS1_EINPUT, "%s %s is longer than %u characters", c->label,
                               what, max);
        out[n++] = (char)ch;
    }
    if (nbits % 7) {
        if (get_bits(b, *pos, nbits % 7))
            return gs1_err_set(err, GS1_EINPUT, "%s %s has non-zero padding bits", c->label, what);
        *pos += nbits % 7;
    }
    out[n] = 0;
    if (n == 0)
        return gs1_err_set(err, GS1_EINPUT, "%s %s is empty", c->label, what);
    return 0;
}

/* A decimal field of `digits` digits stored in `bits` bits. */
static int get_digits(const coding_t *c, const char *what, const uint8_t *b, unsigned *pos,
                      unsigned bits, unsigned digits, char *out, gs1_err_t *err)
{
    uint64_t v = get_bits(b, *pos, bits);
    *pos += bits;
    if (v >= POW10[digits])
        return gs1_err_set(err, GS1_EINPUT,
                           "%s %s field holds %llu, which does not fit its %u digits", c->label,
                           what, (unsigned long long)v, digits);
    fmt_pad(v, digits, out);
    return 0;
}

/* CPI-var's reference: 6-bit characters (GS1 set 39) up to a 000000. */
static int get_str6(const coding_t *c, const char *what, const uint8_t *b, unsigned *pos,
                    unsigned max, char *out, gs1_err_t *err)
{
    unsigned n = 0;
    for (;;) {
        unsigned v = (unsigned)get_bits(b, *pos, 6), ch = v < 0x20 ? v + 0x40 : v;
        *pos += 6;
        if (v == 0)
            break;
        if (n == max)
            return gs1_err_set(err, GS1_EINPUT,
                               "%s %s is longer than %u characters (no end marker)", c->label, what,
                               max);
        if (!is_set39((int)ch) || ch == 0x40 || ch > 0x5A)
            return gs1_err_set(err, GS1_EINPUT,
                               "%s %s has the 6-bit value 0x%02X, which is not in GS1 "
                               "character set 39",
                               c->label, what, v);
        out[n++] = (char)ch;
    }
    out[n] = 0;
    if (n == 0)
        return gs1_err_set(err, GS1_EINPUT, "%s %s is empty", c->label, what);
    return 0;
}

/* USDOD-96: 4-bit filter, CAGE/DoDAAC as 6 ASCII bytes (a CAGE code has a
 * space in front), 36-bit serial. */
static int decode_usdod(const coding_t *c, const uint8_t *b, gs1_epc_fields_t *f, gs1_err_t *err)
{
    size_t n = 0;
    f->filter = (int)get_bits(b, 8, 4);
    for (unsigned i = 0; i < 6; i++) {
        unsigned ch = (unsigned)get_bits(b, 12 + 8 * i, 8);
        if (i == 0 && ch == ' ')
            continue;
        if (!is_cage((int)ch))
            return gs1_err_set(err, GS1_EINPUT,
                               "%s CAGE code or DoDAAC has byte 0x%02X, which is not a digit "
                               "or a capital letter other than I and O",
                               c->label, ch);
        f->cp[n++] = (char)ch;
    }
    f->cp[n] = 0;
    fmt_dec(get_bits(b, 60, 36), f->serial);
    return 0;
}

/* Decodes the fields after the header; *bits: where the EPC ends. */
static int decode_fields(const coding_t *c, const uint8_t *b, gs1_epc_fields_t *f, unsigned *bits,
                         gs1_err_t *err)
{
    const scheme_t *s = &SCHEMES[c->scheme];
    unsigned pos = 8, p;
    const part_t *pt;
    int rc;

    *bits = c->bits;
    if (c->scheme == GS1_EPC_USDOD)
        return decode_usdod(c, b, f, err);
    if (!c->part) { /* gid-96 */
        fmt_dec(get_bits(b, 8, 28), f->cp);
        fmt_dec(get_bits(b, 36, 24), f->ref);
        fmt_dec(get_bits(b, 60, 36), f->serial);
        return 0;
    }
    f->filter = (int)get_bits(b, pos, 3);
    p = (unsigned)get_bits(b, pos + 3, 3);
    pos += 6;
    if (p > 6)
        return gs1_err_set(err, GS1_EINPUT, "%s partition 7 is reserved", c->label);
    pt = &c->part[p];
    if ((rc = get_digits(c, "company prefix", b, &pos, pt->cp_bits, pt->cp_digits, f->cp, err)) < 0)
        return rc;
    if (c->ref_kind == REF_DIGITS) {
        if ((rc = get_digits(c, s->ref, b, &pos, pt->ref_bits, pt->ref_digits, f->ref, err)) < 0)
            return rc;
    } else if (c->ref_kind == REF_INT) {
        fmt_dec(get_bits(b, pos, pt->ref_bits), f->serial);
        pos += pt->ref_bits;
    } else if (c->ref_kind == REF_NUM) {
        uint64_t v = get_bits(b, pos, pt->ref_bits);
        pos += pt->ref_bits;
        if (v >= POW10[pt->ref_digits])
            return gs1_err_set(err, GS1_EINPUT,
                               "%s %s field holds %llu, which has more than %u digits", c->label,
                               s->ref, (unsigned long long)v, pt->ref_digits);
        fmt_dec(v, f->ref);
    } else if (c->ref_kind == REF_STR6) {
        if ((rc = get_str6(c, s->ref, b, &pos, pt->ref_digits, f->ref, err)) < 0)
            return rc;
    } else if ((rc = get_str(c, s->serial, b, &pos, pt->ref_bits, pt->ref_digits, f->serial, err)) <
               0) {
        return rc;
    }
    if (c->itip) {
        unsigned piece = (unsigned)get_bits(b, pos, 7), total = (unsigned)get_bits(b, pos + 7, 7);
        pos += 14;
        if (piece > 99 || total > 99)
            return gs1_err_set(err, GS1_EINPUT, "%s piece %u / total %u do not fit 2 digits",
                               c->label, piece, total);
        fmt_pad(piece, 2, f->piece);
        fmt_pad(total, 2, f->total);
    }
    if (c->tail_kind == TAIL_INT) {
        fmt_dec(get_bits(b, pos, c->tail_bits), f->serial);
        pos += c->tail_bits;
    } else if (c->tail_kind == TAIL_STR) {
        if ((rc = get_str(c, s->serial, b, &pos, c->tail_bits, c->tail_max, f->serial, err)) < 0)
            return rc;
    } else if (c->tail_kind == TAIL_NUMSTR) {
        /* TDS 14.5.13: the digits with a "1" in front, as an integer. */
        char d[24];
        uint64_t v = get_bits(b, pos, c->tail_bits);
        size_t n = fmt_dec(v, d);
        pos += c->tail_bits;
        if (d[0] != '1' || n < 2 || n > 1u + c->tail_max)
            return gs1_err_set(err, GS1_EINPUT,
                               "%s serial field holds %llu, which is not a \"1\"-prefixed "
                               "numeric string of 1 to %u digits",
                               c->label, (unsigned long long)v, c->tail_max);
        memcpy(f->serial, d + 1, n);
    }
    if (c->reserved && get_bits(b, pos, c->reserved))
        return gs1_err_set(err, GS1_EINPUT, "%s reserved bits are not zero", c->label);
    if (!c->bits)
        *bits = pos + c->reserved;
    return 0;
}

/* Uppercase hex of the first bits of b, zero-padded to whole 16-bit words. */
static void write_hex(const uint8_t *b, unsigned bits, char *out)
{
    static const char HEX[] = "0123456789ABCDEF";
    unsigned nd = (bits + 15u) / 16 * 4;
    for (unsigned i = 0; i < nd; i++)
        out[i] = HEX[i & 1 ? b[i >> 1] & 15 : b[i >> 1] >> 4];
    out[nd] = 0;
}

/* nd hex digits hold an EPC of `bits` bits: enough digits, at most to the
 * next 16-bit word, zeros after the EPC. */
static int check_length(const coding_t *c, const uint8_t *b, size_t nd, unsigned bits,
                        gs1_err_t *err)
{
    size_t need = (bits + 3u) / 4, max = (bits + 15u) / 16 * 4;
    if (nd < need || nd > max) {
        if (need == max)
            return gs1_err_set(err, GS1_EINPUT, "%s EPC hex must be %zu digits (%u bits), not %zu",
                               c->label, need, bits, nd);
        return gs1_err_set(err, GS1_EINPUT,
                           "%s EPC hex must be %zu to %zu digits (%u bits), not %zu", c->label,
                           need, max, bits, nd);
    }
    for (unsigned pos = bits; pos < nd * 4; pos++)
        if (get_bits(b, pos, 1))
            return gs1_err_set(err, GS1_EINPUT, "%s EPC hex has non-zero bits after its %u bits",
                               c->label, bits);
    return 0;
}

int gs1_tds_decode_hex(const char *hex, size_t len, gs1_epc_fields_t *f,
                       char canon[GS1_TDS_HEX_MAX], gs1_err_t *err)
{
    uint8_t b[GS1_TDS_HEX_IN_MAX / 2 + 8];
    size_t nd = 0;
    unsigned bits;
    const coding_t *c = NULL;
    int rc, coding;

    memset(b, 0, sizeof b);
    memset(f, 0, sizeof *f);
    f->coding = -1;
    f->filter = -1;
    if ((rc = parse_hex(hex, len, b, &nd, err)) < 0)
        return rc;
    for (coding = 0; coding < NCODINGS; coding++)
        if (CODINGS[coding].header == b[0]) {
            c = &CODINGS[coding];
            break;
        }
    if (!c)
        return unknown_header(b[0], err);
    /* fixed lengths are checked first, the variable one once it is known
     * (the bits after the digits read as zeros meanwhile) */
    if (c->bits && (rc = check_length(c, b, nd, c->bits, err)) < 0)
        return rc;
    f->scheme = c->scheme;
    f->coding = coding;
    if ((rc = decode_fields(c, b, f, &bits, err)) < 0)
        return rc;
    if (!c->bits && (rc = check_length(c, b, nd, bits, err)) < 0)
        return rc;
    /* the field widths mostly imply the identity rules, not always (a
     * cpi-var serial has 40 bits for 12 digits): check them all */
    if ((rc = gs1_tds_check_identity(f, err)) < 0)
        return gs1_err_prefix(err, "%s EPC", c->label);
    if (canon)
        write_hex(b, bits, canon); /* the bits after the EPC are zero */
    return 0;
}

/* ---- encoding --------------------------------------------------------------- */

static void put_str(uint8_t *b, unsigned pos, const char *s)
{
    for (; *s; s++, pos += 7)
        put_bits(b, pos, 7, (unsigned char)*s);
}

int gs1_tds_filter_max(int coding)
{
    if (coding < 0 || coding >= NCODINGS || CODINGS[coding].scheme == GS1_EPC_GID)
        return -1;
    return CODINGS[coding].scheme == GS1_EPC_USDOD ? 15 : 7;
}

int gs1_tds_bits(const gs1_epc_fields_t *f)
{
    const coding_t *c;
    int p;
    if (f->coding < 0 || f->coding >= NCODINGS)
        return 0;
    c = &CODINGS[f->coding];
    if (c->bits)
        return c->bits;
    p = partition_of(c->part, strlen(f->cp)); /* cpi-var */
    return p < 0 ? 0 : 14 + c->part[p].cp_bits + 6 * ((int)strlen(f->ref) + 1) + c->tail_bits;
}

int gs1_tds_encode_hex(const gs1_epc_fields_t *f, char out[GS1_TDS_HEX_MAX], gs1_err_t *err)
{
    uint8_t b[40];
    const coding_t *c;
    const part_t *pt;
    unsigned pos = 14;
    int rc, p;

    if (f->coding < 0 || f->coding >= NCODINGS)
        return gs1_err_set(err, GS1_EINVAL, "no EPC binary coding chosen");
    c = &CODINGS[f->coding];
    if ((rc = gs1_tds_fits(f, f->coding, err)) < 0)
        return rc;
    if (c->scheme != GS1_EPC_GID && (f->filter < 0 || f->filter > gs1_tds_filter_max(f->coding)))
        return gs1_err_set(err, GS1_EINPUT, "%s filter value must be 0 to %d, not %d", c->label,
                           gs1_tds_filter_max(f->coding), f->filter);
    memset(b, 0, sizeof b);
    put_bits(b, 0, 8, c->header);
    if (c->scheme == GS1_EPC_USDOD) {
        size_t n = strlen(f->cp);
        put_bits(b, 8, 4, (uint64_t)f->filter);
        for (size_t i = 0; i < 6; i++)
            put_bits(b, 12 + 8 * (unsigned)i, 8,
                     n == 5 ? (i ? (unsigned char)f->cp[i - 1] : ' ') : (unsigned char)f->cp[i]);
        put_bits(b, 60, 36, dec_value(f->serial, strlen(f->serial)));
        pos = 96;
    } else if (!c->part) { /* gid-96 */
        put_bits(b, 8, 28, dec_value(f->cp, strlen(f->cp)));
        put_bits(b, 36, 24, dec_value(f->ref, strlen(f->ref)));
        put_bits(b, 60, 36, dec_value(f->serial, strlen(f->serial)));
        pos = 96;
    } else {
        p = partition_of(c->part, strlen(f->cp));
        pt = &c->part[p];
        put_bits(b, 8, 3, (uint64_t)f->filter);
        put_bits(b, 11, 3, (uint64_t)p);
        put_bits(b, pos, pt->cp_bits, dec_value(f->cp, pt->cp_digits));
        pos += pt->cp_bits;
        if (c->ref_kind == REF_DIGITS) {
            put_bits(b, pos, pt->ref_bits, dec_value(f->ref, pt->ref_digits));
        } else if (c->ref_kind == REF_NUM) {
            put_bits(b, pos, pt->ref_bits, dec_value(f->ref, strlen(f->ref)));
        } else if (c->ref_kind == REF_INT) {
            put_bits(b, pos, pt->ref_bits, dec_value(f->serial, strlen(f->serial)));
        } else if (c->ref_kind == REF_STR) {
            put_str(b, pos, f->serial);
        } else { /* REF_STR6: low 6 bits of each character, then 000000 */
            for (const char *q = f->ref; *q; q++, pos += 6)
                put_bits(b, pos, 6, (unsigned char)*q & 0x3F);
        }
        pos += c->ref_kind == REF_STR6 ? 6 : pt->ref_bits;
        if (c->itip) {
            put_bits(b, pos, 7, dec_value(f->piece, 2));
            put_bits(b, pos + 7, 7, dec_value(f->total, 2));
            pos += 14;
        }
        if (c->tail_kind == TAIL_INT) {
            put_bits(b, pos, c->tail_bits, dec_value(f->serial, strlen(f->serial)));
        } else if (c->tail_kind == TAIL_STR) {
            put_str(b, pos, f->serial);
        } else if (c->tail_kind == TAIL_NUMSTR) {
            size_t n = strlen(f->serial);
            put_bits(b, pos, c->tail_bits, POW10[n] + dec_value(f->serial, n));
        }
        pos += c->tail_bits + c->reserved;
    }
    write_hex(b, c->bits ? c->bits : pos, out);
    return 0;
}
