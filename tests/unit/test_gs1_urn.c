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
        int h = gs1_ai_hex_value((unsigned char)p[1]), l = h < 0 ? -1 : gs1_ai_hex_value((unsigned char)p[2]);
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
    if (erc == 0 && irc < 0 && strstr(ie.msg, "(8006): piece") && strstr(ie.msg, "must be 1 to total")) {
        t->piece_lint++; /* not the reader: the AI rules lint ITIP piece/total 00.00, TDS does not */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_sides_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
