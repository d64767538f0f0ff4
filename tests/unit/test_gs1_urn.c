/* test_gs1_urn.c -- one reader of EPC pure identity and class URNs.
 *
 * gs1/ reads an EPC URN in two places that must never disagree: the EPC
 * TDS side (gs1_epc_parse_pure_urn, the way to the binary encodings) and
 * the AI side (gs1_ident_urn_to_ai, the way to the canonical key the
 * ledger indexes).  Both sit on gs1_urn_read() (gs1_urn.h).  This test
 * catches a second reader coming back: every EPC URN found in
 * $KETEN_SHARED/conformance/epc-tds (and variants of each: other escapes,
 * a stray dot, an unescaped '/', lowercase escapes, a mangled prefix) is
 * read both ways, and
 *  - both accept or both refuse, except for the documented leniency of the
 *    AI side (GS1_URN_ANY_ESCAPE: %XX of a character that needs no escape)
 *    and the schemes without a binary coding (pgln, ginc, gsin, upui, the
 *    lgtin class), which gs1_epc refuses as "not one keten supports";
 *    and one rule outside the reader: the AI side lints (8006) piece/total
 *    (piece 1 to total), TDS accepts an ITIP URN with piece and total 00;
 *  - when both accept, the AI view is the same (the (AI, value) pairs and
 *    the GS1 Company Prefix length);
 *  - the URN round-trips through the binary encoder: gs1_epc_encode ->
 *    hex -> gs1_ident_key(hex) is gs1_ident_key(URN), and the hex decodes
 *    to the same pure URN.
 * Plus the reader's own contract: parts, unescaping, the strict / lenient
 * escapes, the errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "gs1_epc.h"
#include "gs1_ident.h"
#include "gs1_tds.h"
#include "gs1_urn.h"

static const char *shared(void)
{
    const char *s = getenv("KETEN_SHARED");
    return s && *s ? s : "../shared";
}

/* ---- collecting URNs ----------------------------------------------------------- */

typedef struct {
    char **v;
    size_t n, cap;
} urns_t;

static void add(urns_t *u, const char *s, size_t n)
{
    for (size_t i = 0; i < u->n; i++)
        if (strlen(u->v[i]) == n && memcmp(u->v[i], s, n) == 0)
            return;
    if (u->n == u->cap) {
        u->cap = u->cap ? 2 * u->cap : 512;
        u->v = realloc(u->v, u->cap * sizeof *u->v);
        assert_non_null(u->v);
    }
    u->v[u->n] = malloc(n + 1);
    assert_non_null(u->v[u->n]);
    memcpy(u->v[u->n], s, n);
    u->v[u->n][n] = 0;
    u->n++;
}

/* Every "urn:epc:id:" / "urn:epc:class:" token of a file. */
static void scan_file(urns_t *u, const char *name)
{
    char path[1024], *buf;
    FILE *f;
    long sz;

    snprintf(path, sizeof path, "%s/conformance/epc-tds/%s", shared(), name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (set KETEN_SHARED)", path);
    fseek(f, 0, SEEK_END);
    sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)sz + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
    buf[sz] = 0;
    fclose(f);
    for (char *p = buf; (p = strstr(p, "urn:epc:")) != NULL;) {
        size_t n = strcspn(p, ",\"\r\n \t");
        if (strncmp(p, "urn:epc:id:", 11) == 0 || strncmp(p, "urn:epc:class:", 14) == 0)
            add(u, p, n);
        p += n;
    }
    free(buf);
}

/* Variants of s that probe the reader's edges. */
static void add_variants(urns_t *u, const char *s)
{
    static const char HEX[] = "0123456789ABCDEF", hex[] = "0123456789abcdef";
    char b[600];
    size_t n = strlen(s);
    unsigned char c = (unsigned char)s[n - 1];

    if (n + 8 >= sizeof b)
        return;
    /* the last character escaped (allowed by the AI side only, unless TDS
     * requires the escape), upper and lower case */
    snprintf(b, sizeof b, "%.*s%%%c%c", (int)(n - 1), s, HEX[c >> 4], HEX[c & 15]);
    add(u, b, strlen(b));
    snprintf(b, sizeof b, "%.*s%%%c%c", (int)(n - 1), s, hex[c >> 4], hex[c & 15]);
    add(u, b, strlen(b));
    snprintf(b, sizeof b, "%s.1", s); /* one part more */
    add(u, b, strlen(b));
    snprintf(b, sizeof b, "%s/", s); /* must be escaped */
    add(u, b, strlen(b));
    snprintf(b, sizeof b, "%s%%2f", s); /* the escape of '/' */
    add(u, b, strlen(b));
    snprintf(b, sizeof b, "%s%%2", s); /* a cut escape */
    add(u, b, strlen(b));
    if (strchr(s, '.')) { /* one part less */
        const char *d = strrchr(s, '.');
        add(u, s, (size_t)(d - s));
    }
    memcpy(b, s, n + 1); /* upper-case prefix: accepted */
    for (size_t i = 0; i < 8; i++)
        b[i] = (char)(b[i] >= 'a' && b[i] <= 'z' ? b[i] - 32 : b[i]);
    add(u, b, n);
}

/* ---- the cross-check -------------------------------------------------------------- */

/* Whether s has a %XX of a character TDS does not require to be escaped. */
static int has_needless_escape(const char *s)
{
    for (const char *p = strchr(s, '%'); p; p = strchr(p + 1, '%')) {
        int h = gs1_ai_hex_value((unsigned char)p[1]),
            l = h < 0 ? -1 : gs1_ai_hex_value((unsigned char)p[2]);
        if (h >= 0 && l >= 0 && !strchr("\"#%&/<>?", h * 16 + l))
            return 1;
    }
    return 0;
}

static const char *const URN_ONLY[] = {"pgln", "ginc", "gsin", "upui", "lgtin"};

static int urn_only(const char *s)
{
    const char *p = strncasecmp(s, "urn:epc:id:", 11) == 0 ? s + 11 : s + 14;
    for (size_t i = 0; i < sizeof URN_ONLY / sizeof *URN_ONLY; i++) {
        size_t n = strlen(URN_ONLY[i]);
        if (strncmp(p, URN_ONLY[i], n) == 0 && p[n] == ':')
            return 1;
    }
    return 0;
}

typedef struct {
    int read, both_ok, both_bad, lenient, urn_only, no_gs1_key, encoded, piece_lint, bad;
} tally_t;

static void check_one(const char *s, tally_t *t)
{
    gs1_epc_t *e = NULL, *h = NULL;
    gs1_ai_list_t l;
    gs1_err_t ee, ie;
    int cpl = 0, erc, irc;
    size_t n = strlen(s);
    int cls = strncasecmp(s, "urn:epc:class:", 14) == 0;

    t->read++;
    erc = gs1_epc_parse_pure_urn(s, n, &e, &ee);
    irc = gs1_ident_urn_to_ai(s, n, &l, &cpl, &ie);
    if (irc == GS1_ENOTFOUND) { /* gid, usdod, adi, ...: no GS1 key, the EPC side decides */
        t->no_gs1_key++;
        gs1_epc_free(e);
        return;
    }
    if (cls || urn_only(s)) {
        t->urn_only++;
        if (erc == 0 || (!cls && !strstr(ee.msg, "not one keten supports"))) {
            print_error("%s: gs1_epc should refuse a scheme without binary coding: %s\n", s,
                        erc == 0 ? "accepted" : ee.msg);
            t->bad++;
        }
        gs1_epc_free(e);
        return;
    }
    if (erc < 0 && irc < 0) {
        t->both_bad++;
        return;
    }
    if (erc < 0 && irc == 0 && has_needless_escape(s)) {
        t->lenient++; /* GS1_URN_ANY_ESCAPE: the AI side reads %41 as 'A' */
        return;
    }
    if (erc == 0 && irc < 0 && strstr(ie.msg, "(8006): piece") &&
        strstr(ie.msg, "must be 1 to total")) {
        t->piece_lint++; /* not the reader: the AI rules lint ITIP piece/total 00.00, TDS does not
                          */
        gs1_epc_free(e);
        return;
    }
    if ((erc < 0) != (irc < 0)) {
        print_error("%s: EPC side %s, AI side %s\n", s, erc < 0 ? ee.msg : "accepts",
                    irc < 0 ? ie.msg : "accepts");
        t->bad++;
        gs1_epc_free(e);
        return;
    }
    t->both_ok++;
    { /* the same AI view */
        const gs1_epc_ai_t *pairs;
        size_t np = gs1_epc_gs1(e, &pairs);
        int same = np == l.n && cpl == gs1_epc_gcp_length(e);
        for (size_t i = 0; same && i < np; i++)
            same = strcmp(pairs[i].ai, l.f[i].ai) == 0 && strcmp(pairs[i].value, l.f[i].value) == 0;
        if (!same) {
            print_error("%s: AI views differ: EPC %s (gcp %d), AI side %zu fields (gcp %d)\n", s,
                        gs1_epc_element_string(e), gs1_epc_gcp_length(e), l.n, cpl);
            t->bad++;
        }
    }
    { /* through the binary encoder and back, to the same key */
        char k1[GS1_KEY_MAX], k2[GS1_KEY_MAX];
        gs1_err_t err;
        const char *hex;
        assert_int_equal(gs1_epc_encode(e, NULL, 0, &h, &err), 0);
        hex = gs1_epc_hex(h);
        if (gs1_ident_key(s, n, NULL, k1, sizeof k1, &err) < 0 ||
            gs1_ident_key(hex, strlen(hex), NULL, k2, sizeof k2, &err) < 0 || strcmp(k1, k2) != 0) {
            print_error("%s: key of the URN and of its hex %s differ (%s)\n", s, hex, err.msg);
            t->bad++;
        } else {
            gs1_epc_t *back = NULL;
            assert_int_equal(gs1_epc_from_hex(hex, strlen(hex), &back, &err), 0);
            if (strcmp(gs1_epc_pure_urn(back), gs1_epc_pure_urn(e)) != 0) {
                print_error("%s: hex %s decodes to %s\n", s, hex, gs1_epc_pure_urn(back));
                t->bad++;
            }
            gs1_epc_free(back);
            t->encoded++;
        }
        gs1_epc_free(h);
    }
    gs1_epc_free(e);
}

static void test_two_sides_agree(void **state)
{
    static const char *const files[] = {
        "epcpy_pure-uri_gs1-element-string.csv", "epcpy_pure-uri_tag-uri_hex.csv",
        "epcpy_pure-uri_validity.csv", "supplementary_tag_vectors.csv", "epcpy_test_vectors.json"};
    urns_t u = {NULL, 0, 0};
    tally_t t = {0};
    size_t base;
    (void)state;

    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        scan_file(&u, files[i]);
    base = u.n;
    for (size_t i = 0; i < base; i++)
        add_variants(&u, u.v[i]);
    for (size_t i = 0; i < u.n; i++)
        check_one(u.v[i], &t);
    print_message("%zu URNs from the vectors, %d read with variants: %d accepted by both (%d "
                  "through hex), %d refused by both, %d lenient escapes, %d URN-only, %d without "
                  "GS1 key, %d ITIP piece/total 00 (AI lint); %d disagreements\n",
                  base, t.read, t.both_ok, t.encoded, t.both_bad, t.lenient, t.urn_only,
                  t.no_gs1_key, t.piece_lint, t.bad);
    assert_true(base > 250);
    assert_true(t.both_ok > 150);
    assert_true(t.both_bad > 150);
    assert_true(t.lenient > 50);
    assert_int_equal(t.bad, 0);
    for (size_t i = 0; i < u.n; i++)
        free(u.v[i]);
    free(u.v);
}

/* ---- the reader's own contract ------------------------------------------------------ */

static void read_ok(const char *s, unsigned flags, const char *scheme, size_t nparts,
                    const char *const *parts)
{
    gs1_urn_t u;
    gs1_err_t err = {0};
    int rc = gs1_urn_read(s, strlen(s), flags, &u, &err);
    if (rc != 0)
        fail_msg("%s: %d %s", s, rc, err.msg);
    assert_string_equal(u.scheme->name, scheme);
    assert_int_equal(u.scheme->nparts, nparts);
    for (size_t i = 0; i < nparts; i++) {
        assert_string_equal(u.part[i], parts[i]);
        assert_int_equal(u.len[i], strlen(parts[i]));
    }
}

static void read_bad(const char *s, unsigned flags, int code, const char *msg)
{
    gs1_urn_t u;
    gs1_err_t err = {0};
    int rc = gs1_urn_read(s, strlen(s), flags, &u, &err);
    if (rc != code || !strstr(err.msg, msg))
        fail_msg("%s: want %d \"%s\", got %d \"%s\"", s, code, msg, rc, err.msg);
}

static void test_reader(void **state)
{
    (void)state;
    read_ok("urn:epc:id:sgtin:0614141.812345.6789", 0, "sgtin", 3,
            (const char *const[]){"0614141", "812345", "6789"});
    /* the last text part keeps its dots; escapes of the seven are read */
    read_ok("URN:EPC:ID:sgtin:0614141.812345.a.b%2Fc%3f", 0, "sgtin", 3,
            (const char *const[]){"0614141", "812345", "a.b/c?"});
    read_ok("urn:epc:id:itip:4012345.012345.01.02.987", 0, "itip", 5,
            (const char *const[]){"4012345", "012345", "01", "02", "987"});
    read_ok("urn:epc:id:cpi:0614141.5PQ7%2FZ43%23.12345", 0, "cpi", 3,
            (const char *const[]){"0614141", "5PQ7/Z43#", "12345"});
    read_ok("urn:epc:class:lgtin:4012345.012345.LOT%2642", 0, "lgtin", 3,
            (const char *const[]){"4012345", "012345", "LOT&42"});
    read_ok("urn:epc:id:gid:95100000.12345.400", 0, "gid", 3,
            (const char *const[]){"95100000", "12345", "400"});
    read_ok("urn:epc:id:pgln:0614141.00000", 0, "pgln", 2,
            (const char *const[]){"0614141", "00000"});
    /* 'R' parts are as written: the caller checks them */
    read_ok("urn:epc:id:sscc:06x4141.%41", 0, "sscc", 2, (const char *const[]){"06x4141", "%41"});
    /* a needless escape: TDS refuses it, the AI side's leniency reads it */
    read_bad("urn:epc:id:sgtin:0614141.812345.67%38", 0, GS1_EINPUT, "escape %38 is not allowed");
    read_ok("urn:epc:id:sgtin:0614141.812345.67%38", GS1_URN_ANY_ESCAPE, "sgtin", 3,
            (const char *const[]){"0614141", "812345", "678"});
    read_bad("urn:epc:id:sgcn:4012345.67890.%31", 0, GS1_EINPUT, "not allowed");
    read_ok("urn:epc:id:sgcn:4012345.67890.%31", GS1_URN_ANY_ESCAPE, "sgcn", 3,
            (const char *const[]){"4012345", "67890", "1"});
    /* the unescaped character must be in the part's set, either way */
    read_bad("urn:epc:id:sgtin:0614141.812345.%23", GS1_URN_ANY_ESCAPE, GS1_EINPUT,
             "%23 is not a character it may hold");
    read_bad("urn:epc:id:cpi:0614141.ab.1", 0, GS1_EINPUT, "character 'a' must not appear");
    read_bad("urn:epc:id:sgtin:0614141.812345.67/89", 0, GS1_EINPUT, "'/' must not appear");
    read_bad("urn:epc:id:sgtin:0614141.812345.67%2", 0, GS1_EINPUT, "bad percent-escape");
    read_bad("urn:epc:id:sgtin:0614141.812345.67%g0", 0, GS1_EINPUT, "bad percent-escape");
    read_bad("urn:epc:id:sgtin:0614141.812345.67 89", 0, GS1_EINPUT, "byte 0x20 at position 35");
    /* parts */
    read_bad("urn:epc:id:sgtin:0614141.812345", 0, GS1_EINPUT,
             "expected 3 parts separated by dots, found 2");
    read_bad("urn:epc:id:sscc:0614141.1234567890.1", 0, GS1_EINPUT, "found more");
    read_bad("urn:epc:id:sgtin:0614141.812345.123456789012345678901234567890123456789012345678901"
             "2345678901234567890123456789012345678901234567890",
             0, GS1_EINPUT, "too long");
    /* schemes */
    read_bad("urn:epc:id:foo:1.2", 0, GS1_EINPUT, "unknown EPC identity scheme 'foo'");
    read_bad("urn:epc:id:SGTIN:0614141.812345.6789", 0, GS1_EINPUT, "unknown EPC identity scheme");
    read_bad("urn:epc:id:lgtin:4012345.012345.L1", 0, GS1_EINPUT, "unknown EPC identity scheme");
    read_bad("urn:epc:class:sgtin:4012345.012345.L1", 0, GS1_EINPUT, "unknown EPC class scheme");
    read_bad("urn:epc:id:adi:W81X9C.3KL984PX1.2WMA-52", 0, GS1_ENOTFOUND, "adi");
    read_bad("urn:epc:id:sgtin", 0, GS1_EINPUT, "without a scheme");
    read_bad("urn:epc:tag:sgtin-96:3.0614141.812345.6789", 0, GS1_EINPUT,
             "not an EPC pure identity");
}

/* Every scheme the TDS codec codes has a reader, and the other way round
 * every reader scheme without binary coding is one of the URN-only ones. */
static void test_scheme_table(void **state)
{
    size_t n;
    const gs1_urn_scheme_t *t = gs1_urn_schemes(&n);
    (void)state;
    for (int sc = GS1_EPC_NONE + 1; sc < GS1_EPC_SCHEME_COUNT; sc++) {
        const char *name = gs1_tds_scheme_name(sc);
        const gs1_urn_scheme_t *u = gs1_urn_scheme(name, strlen(name), false);
        if (!u)
            fail_msg("TDS scheme %s has no URN reader", name);
        assert_true(u->nparts >= 2 && u->nparts <= GS1_URN_MAX_PARTS);
    }
    for (size_t i = 0; i < n; i++) {
        int sc = gs1_tds_scheme_by_name(t[i].name, strlen(t[i].name));
        if (sc == GS1_EPC_NONE || t[i].is_class) {
            int known = 0;
            for (size_t k = 0; k < sizeof URN_ONLY / sizeof *URN_ONLY; k++)
                known |= strcmp(URN_ONLY[k], t[i].name) == 0;
            if (!known)
                fail_msg("URN scheme %s has no binary coding and is not listed as URN-only",
                         t[i].name);
        }
        assert_int_equal(strlen(t[i].kind), t[i].nparts);
    }
}

/* Every byte outside 0x21..0x7E at every position of a URN is refused
 * with its value and position (gs1_urn_read_body checks eight bytes a
 * step: issue 13). */
static void test_bad_bytes(void **state)
{
    (void)state;
    const char *good = "urn:epc:id:sgtin:5412345.000012.ABCdef-123_456=789xyz";
    size_t n = strlen(good);
    char s[128], want[96];
    gs1_urn_t u;
    gs1_err_t err;
    assert_int_equal(gs1_urn_read(good, n, 0, &u, &err), 0);
    for (int b = 0; b < 256; b++) {
        if (b >= 0x21 && b <= 0x7E)
            continue;
        /* in the body: a bad byte in "urn:epc:id:sgtin:" fails the scheme */
        for (size_t at = strlen("urn:epc:id:sgtin:"); at < n; at++) {
            memcpy(s, good, n);
            s[at] = (char)b;
            /* a second bad byte further on must not be the one reported */
            if (at + 9 < n)
                s[at + 9] = 0x7F;
            snprintf(want, sizeof want, "EPC URN: byte 0x%02X at position %zu is not allowed", b,
                     at + 1);
            assert_int_equal(gs1_urn_read(s, n, 0, &u, &err), GS1_EINPUT);
            assert_string_equal(err.msg, want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_sides_agree),
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_scheme_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
