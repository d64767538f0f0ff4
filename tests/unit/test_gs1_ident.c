/* test_gs1_ident.c -- unit tests of gs1_ident: every code a reader can
 * produce becomes one identifier with one canonical key.
 *
 * Data read directly from $KETEN_SHARED/conformance/:
 *  - epc-tds/epcpy_pure-uri_gs1-element-string.csv: pure identity / class
 *    URN <-> GS1 element string, every row both ways (URN -> fields ->
 *    bracketed string; element string + GCP length -> URN);
 *  - epc-tds/epcpy_pure-uri_tag-uri_hex.csv: every hex of a scheme
 *    gs1_epc decodes must give the row's tag URN and pure URN;
 *  - event-hash/dl_normaliser_vectors.csv: the event hash's canonical form.
 * And for every GS1 identifier met, the key must be byte for byte what the
 * event hash's canonical form (gs1_key_hash) gives for the same
 * identifier: readers/ and the event hash must never disagree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv_testlib.h"
#include "gs1_dl.h"
#include "gs1_elem.h"
#include "gs1_epc.h"
#include "gs1_gcp.h"
#include "gs1_ident.h"
#include "gs1_key.h"

/* Parses code, failing the test with the message on error. */
static void ident_ok(const char *code, const gs1_ident_opts_t *opts, gs1_ident_t *id)
{
    gs1_err_t err;
    if (gs1_ident_parse(code, strlen(code), opts, id, &err) != 0)
        fail_msg("'%s': %s", code, err.msg);
}

/* The key must equal what the ledger's normaliser makes of uri. */
static bool same_as_ledger(const char *uri, const char *key)
{
    char out[GS1_KEY_HASH_MAX];
    gs1_err_t err;
    if (gs1_key_hash(uri, out, sizeof out, &err) != 0) {
        print_error("gs1_key_hash('%s'): %s\n", uri, err.msg);
        return false;
    }
    if (strcmp(out, key) != 0) {
        print_error("'%s': ledger key %s, reader key %s\n", uri, out, key);
        return false;
    }
    return true;
}

/* ---- one garment, every way it can be read ------------------------------ */

static void test_same_garment(void **state)
{
    (void)state;
    /* SGTIN-96 3034257BF7194E4000001A85 (fulfilio/pyepc, in
     * supplementary_tag_vectors.csv) = urn:epc:id:sgtin:0614141.812345.6789 */
    static const char *const codes[] = {
        "https://example.com/p/01/80614141123458/10/LOT1/21/6789?17=270101",
        "https://id.gs1.org/01/80614141123458/21/6789",
        "HTTPS://id.gs1.org/01/80614141123458/21/6789",
        "]Q1https://id.gs1.org/01/80614141123458/21/6789", /* plain QR with symbology id */
        "(01)80614141123458(21)6789",
        "(01)80614141123458(10)LOT1(21)6789",
        "]d20180614141123458216789",
        "]C1018061414112345810LOT1\x1d"
        "216789",
        "\x1d"
        "0180614141123458216789\r\n",
        "3034257BF7194E4000001A85",
        "30 34 25 7b f7 19 4e 40 00 00 1a 85",
        "urn:epc:tag:sgtin-96:1.0614141.812345.6789",
        "urn:epc:id:sgtin:0614141.812345.6789",
        "  urn:epc:id:sgtin:0614141.812345.6789\n",
    };
    const char *key = "https://id.gs1.org/01/80614141123458/21/6789";
    gs1_ident_t id;

    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        ident_ok(codes[i], NULL, &id);
        if (strcmp(id.key, key) != 0)
            fail_msg("'%s': key %s, want %s", codes[i], id.key, key);
        assert_string_equal(id.scheme, "sgtin");
        gs1_ident_clear(&id);
    }
    assert_true(same_as_ledger("urn:epc:id:sgtin:0614141.812345.6789", key));
    assert_true(same_as_ledger(codes[0], key));

    /* the binary read knows everything */
    ident_ok("3034257BF7194E4000001A85", NULL, &id);
    assert_string_equal(id.kind, "epc-hex");
    assert_string_equal(id.epc_urn, "urn:epc:id:sgtin:0614141.812345.6789");
    assert_string_equal(id.epc_tag_urn, "urn:epc:tag:sgtin-96:1.0614141.812345.6789");
    assert_string_equal(id.epc_hex, "3034257BF7194E4000001A85");
    assert_string_equal(id.element_string, "(01)80614141123458(21)6789");
    assert_int_equal(id.gcp_length, 7);
    assert_string_equal(id.gcp_source, "epc");
    assert_null(id.note);
    gs1_ident_clear(&id);
    gs1_ident_clear(&id); /* idempotent */
}

/* ---- EPC URN <-> element string (epcpy) --------------------------------- */

/* Rows where the epcpy vector contradicts the EPC Tag Data Standard and the
 * event hash reference (and therefore the ledger): TDS reserves the SGLN
 * extension "0" for "no extension", so the URN ...12345.0 is the GLN alone,
 * (414) without (254); epcpy writes (254)0.  The other direction (with
 * (254)0 given) agrees. */
static const char *const urn_to_es_disagree[] = {"urn:epc:id:sgln:0614141.12345.0"};

/* An ITIP URN with piece 00 and total 00. */
static bool itip_zero(const char *urn)
{
    return strncmp(urn, "urn:epc:id:itip:", 16) == 0 && strstr(urn, ".00.00.");
}

/* The GS1 Company Prefix length written in an EPC URN: the digits after
 * "urn:epc:<id|class>:<scheme>:". */
static int urn_cpl(const char *urn)
{
    const char *p = urn;
    for (int i = 0; i < 4 && p; i++) {
        p = strchr(p, ':');
        p = p ? p + 1 : NULL;
    }
    return p ? (int)strcspn(p, ".") : 0;
}

static void test_epcpy_element_strings(void **state)
{
    (void)state;
    FILE *fp = open_shared("epc-tds/epcpy_pure-uri_gs1-element-string.csv");
    char line[1024], buf[1024], out[512];
    char *f[8];
    int rows = 0, to_es = 0, to_urn = 0, disagree = 0, ledger_same = 0, failures = 0;
    int itip0 = 0;
    static gs1_ai_list_t l;

    assert_non_null(fgets(line, sizeof line, fp));
    while (fgets(line, sizeof line, fp)) {
        gs1_err_t err;
        gs1_ident_t id;
        int cpl = 0, want_cpl, rc;
        bool known = false;
        if (csv_split(line, buf, f, 8) < 7)
            continue;
        rows++;
        if (itip_zero(f[1])) {
            /* epcpy takes ITIP piece 00 of total 00 as valid; the GS1 syntax
             * dictionary's pieceoftotal rule (GenSpecs) does not: refused,
             * with that message, both ways */
            bool a = gs1_ident_urn_to_ai(f[1], strlen(f[1]), &l, &cpl, &err) == GS1_EINPUT &&
                     strstr(err.msg, "piece 00 of total 00");
            bool b = gs1_elem_parse(f[3], strlen(f[3]), 0, &l, &err) == GS1_EINPUT &&
                     strstr(err.msg, "piece 00 of total 00");
            if (a && b)
                itip0++;
            else
                failures++;
            continue;
        }
        for (size_t k = 0; k < sizeof urn_to_es_disagree / sizeof urn_to_es_disagree[0]; k++)
            known = known || strcmp(f[1], urn_to_es_disagree[k]) == 0;
        /* URN -> element string */
        rc = gs1_ident_urn_to_ai(f[1], strlen(f[1]), &l, &cpl, &err);
        if (rc == 0)
            rc = gs1_elem_bracketed(&l, out, sizeof out, &err);
        if (rc == 0 && strcmp(out, f[3]) == 0 && !known) {
            to_es++;
        } else if (rc == 0 && known && strcmp(out, "(414)0614141123452") == 0) {
            disagree++;
        } else {
            print_error("%s: %s -> %s, want %s (%s)\n", f[6], f[1], rc ? "error" : out, f[3],
                        rc ? err.msg : "");
            failures++;
        }
        /* element string -> URN, with the row's GS1 Company Prefix length;
         * three rows give none: the length is then the one in their URN */
        want_cpl = *f[4] ? atoi(f[4]) : urn_cpl(f[1]);
        rc = gs1_elem_parse(f[3], strlen(f[3]), 0, &l, &err);
        if (rc == 0)
            rc = gs1_ident_ai_to_urn(&l, want_cpl, out, sizeof out, &err);
        if (rc == 0 && strcmp(out, f[1]) == 0) {
            to_urn++;
        } else {
            print_error("%s: %s (GCP %d) -> %s, want %s (%s)\n", f[6], f[3], want_cpl,
                        rc ? "error" : out, f[1], rc ? err.msg : "");
            failures++;
        }
        /* the whole identifier from the URN: the ledger's key, the URN back */
        if (gs1_ident_parse(f[1], strlen(f[1]), NULL, &id, &err) != 0) {
            print_error("%s: gs1_ident_parse: %s\n", f[1], err.msg);
            failures++;
            continue;
        }
        if (same_as_ledger(f[1], id.key) && id.epc_urn && strcmp(id.epc_urn, f[1]) == 0)
            ledger_same++;
        else
            failures++;
        gs1_ident_clear(&id);
    }
    fclose(fp);
    print_message("epcpy pure URI <-> element string: %d rows: %d ITIP 00/00 rows refused both "
                  "ways (GS1 pieceoftotal); of the other %d: URN -> element string %d (+%d known "
                  "TDS disagreement), element string -> URN %d, key == ledger key %d\n",
                  rows, itip0, rows - itip0, to_es, disagree, to_urn, ledger_same);
    assert_int_equal(rows, 106);
    assert_int_equal(failures, 0);
    assert_int_equal(to_es + disagree + itip0, rows);
    assert_int_equal(to_urn + itip0, rows);
}

/* ---- EPC hex (epcpy) through gs1_epc ---------------------------------- */

static void test_epcpy_hex(void **state)
{
    (void)state;
    FILE *fp = open_shared("epc-tds/epcpy_pure-uri_tag-uri_hex.csv");
    char line[1024], buf[1024];
    char *f[10];
    int rows = 0, decoded = 0, ok = 0, itip0 = 0, failures = 0;

    assert_non_null(fgets(line, sizeof line, fp));
    while (fgets(line, sizeof line, fp)) {
        gs1_err_t err;
        gs1_ident_t id;
        gs1_epc_t *e = NULL;
        int rc;
        if (csv_split(line, buf, f, 10) < 8)
            continue;
        rows++;
        /* only the binary codings gs1_epc decodes (not cpi, adi, usdod) */
        if (gs1_epc_from_hex(f[3], strlen(f[3]), &e, NULL) != 0)
            continue;
        gs1_epc_free(e);
        decoded++;
        rc = gs1_ident_parse(f[3], strlen(f[3]), NULL, &id, &err);
        if (itip_zero(f[1]) && rc == GS1_EINPUT && strstr(err.msg, "piece 00 of total 00")) {
            itip0++; /* see test_epcpy_element_strings */
            continue;
        }
        if (rc != 0) {
            print_error("%s: %s\n", f[3], err.msg);
            failures++;
            continue;
        }
        /* a GS1 key (dl set): the ledger's key; no GS1 key (gid, usdod,
         * adi): the pure URN is the key */
        if (strcmp(id.epc_tag_urn ? id.epc_tag_urn : "", f[2]) != 0 ||
            strcmp(id.epc_urn ? id.epc_urn : "", f[1]) != 0 ||
            (!id.dl && strcmp(id.key, f[1]) != 0) || (id.dl && !same_as_ledger(f[1], id.key))) {
            print_error("%s: got tag %s urn %s key %s; want %s %s\n", f[3], id.epc_tag_urn,
                        id.epc_urn, id.key, f[2], f[1]);
            failures++;
        } else {
            ok++;
        }
        gs1_ident_clear(&id);
    }
    fclose(fp);
    print_message("epcpy hex: %d rows, %d in codings gs1_epc decodes: %d identifiers right, "
                  "%d ITIP 00/00 refused\n",
                  rows, decoded, ok, itip0);
    assert_int_equal(ok + itip0, decoded);
    assert_int_equal(failures, 0);
    assert_true(decoded > 0);
}

/* ---- the event hash's canonical form -------------------------------------- */

static void test_dl_normaliser_vectors(void **state)
{
    (void)state;
    FILE *fp = open_shared("event-hash/dl_normaliser_vectors.csv");
    char line[1024], buf[1024];
    char *f[8];
    int rows = 0, same = 0, patterns = 0, checkdigit = 0, rejected = 0, failures = 0;

    assert_non_null(fgets(line, sizeof line, fp));
    while (fgets(line, sizeof line, fp)) {
        gs1_err_t err;
        gs1_ident_t id;
        int rc;
        if (csv_split(line, buf, f, 8) < 5)
            continue;
        rows++;
        rc = gs1_ident_parse(f[1], strlen(f[1]), NULL, &id, &err);
        if (strncmp(f[1], "urn:epc:idpat:", 14) == 0) {
            /* a class pattern is its class key, as the event hash has it */
            bool ok = rc == 0 && strcmp(id.key, f[3]) == 0 && strcmp(id.kind, "epc-idpat-urn") == 0;
            patterns += ok;
            if (!ok) {
                print_error("'%s': want %s, got %s (%s)\n", f[1], f[3], rc ? "error" : id.key,
                            rc ? err.msg : "");
                failures++;
            }
        } else if (strcmp(f[4], "true") == 0) {
            /* rejected by the normaliser: an error, or a URI that is not GS1 */
            if (rc < 0 || strcmp(id.scheme, "url") == 0)
                rejected++;
            else {
                print_error("'%s' should not be a GS1 identifier, got %s\n", f[1], id.key);
                failures++;
            }
        } else if (rc == 0 && strcmp(id.key, f[3]) == 0) {
            same++;
        } else if (rc == GS1_EINPUT && strstr(err.msg, "check digit")) {
            /* the normaliser does not check check digits; we do */
            print_message("  (check digit) %s: %s\n", f[1], err.msg);
            checkdigit++;
        } else {
            print_error("'%s': want %s, got %s (%s)\n", f[1], f[3], rc ? "error" : id.key,
                        rc ? err.msg : "");
            failures++;
        }
        if (rc == 0)
            gs1_ident_clear(&id);
    }
    fclose(fp);
    print_message("dl_normaliser_vectors: %d rows: %d same key, %d refused for a wrong check "
                  "digit, %d class patterns, %d rejected as the normaliser does\n",
                  rows, same, checkdigit, patterns, rejected);
    assert_int_equal(rows, 71);
    assert_int_equal(failures, 0);
    assert_true(checkdigit <= 2);
    assert_int_equal(patterns, 7);
}

/* ---- where the GS1 Company Prefix length comes from ---------------------- */

static void test_gcp_length_sources(void **state)
{
    (void)state;
    static const char xml[] = "<?xml version=\"1.0\"?>\n<GCPPrefixFormatList date=\"2026-01-01\">\n"
                              "  <entry prefix=\"0614141\" gcpLength=\"7\"/>\n"
                              "  <entry prefix=\"541\" gcpLength=\"9\"/>\n"
                              "</GCPPrefixFormatList>\n";
    const char *es = "(01)80614141123458(21)6789";
    gs1_ident_opts_t opts = {NULL, 0, false};
    gs1_gcp_t *gcp = NULL;
    gs1_ident_t id;
    gs1_err_t err;

    /* unknown: no URN, and a note that says why; never a guess */
    ident_ok(es, NULL, &id);
    assert_null(id.epc_urn);
    assert_int_equal(id.gcp_length, 0);
    assert_non_null(id.note);
    assert_non_null(strstr(id.note, "GS1 Company Prefix length unknown"));
    gs1_ident_clear(&id);
    /* from an option */
    opts.gcp_length = 7;
    ident_ok(es, &opts, &id);
    assert_string_equal(id.epc_urn, "urn:epc:id:sgtin:0614141.812345.6789");
    assert_string_equal(id.gcp_source, "option");
    gs1_ident_clear(&id);
    /* an option that does not fit: a note, still an identifier */
    opts.gcp_length = 13;
    ident_ok(es, &opts, &id);
    assert_null(id.epc_urn);
    assert_non_null(strstr(id.note, "no EPC URN"));
    gs1_ident_clear(&id);
    /* from the GCP length table */
    assert_int_equal(gs1_gcp_parse(xml, sizeof xml - 1, &gcp, &err), 0);
    opts.gcp_length = 0;
    opts.gcp = gcp;
    ident_ok(es, &opts, &id);
    assert_string_equal(id.epc_urn, "urn:epc:id:sgtin:0614141.812345.6789");
    assert_string_equal(id.gcp_source, "table");
    assert_int_equal(id.gcp_length, 7);
    gs1_ident_clear(&id);
    ident_ok("https://id.gs1.org/414/5412345000006/254/A1", &opts, &id);
    assert_string_equal(id.epc_urn, "urn:epc:id:sgln:541234500.000.A1");
    assert_string_equal(id.scheme, "sgln");
    gs1_ident_clear(&id);
    /* a key the table does not know */
    ident_ok("(00)376104250021234569", &opts, &id);
    assert_null(id.epc_urn);
    assert_non_null(strstr(id.note, "GS1 Company Prefix length unknown"));
    gs1_ident_clear(&id);
    /* the EPC's own length wins over option and table */
    opts.gcp_length = 9;
    ident_ok("urn:epc:id:sgtin:0614141.812345.6789", &opts, &id);
    assert_string_equal(id.gcp_source, "epc");
    assert_int_equal(id.gcp_length, 7);
    gs1_ident_clear(&id);
    /* identifiers with no EPC form need no length: no note */
    ident_ok("https://id.gs1.org/01/80614141123458", NULL, &id);
    assert_string_equal(id.scheme, "gtin");
    assert_null(id.epc_urn);
    assert_null(id.note);
    gs1_ident_clear(&id);
    ident_ok("(01)80614141123458(10)LOT1", &opts, &id);
    assert_string_equal(id.scheme, "lgtin");
    assert_string_equal(id.epc_urn, "urn:epc:class:lgtin:061414112.8345.LOT1");
    gs1_ident_clear(&id);
    gs1_gcp_free(gcp);
}

/* ---- the other kinds of code, and bad input ------------------------------- */

static void expect_error(const char *code, const char *part)
{
    gs1_ident_t id;
    gs1_err_t err;
    int rc = gs1_ident_parse(code, strlen(code), NULL, &id, &err);
    if (rc != GS1_EINPUT || !strstr(err.msg, part))
        fail_msg("'%s': want EINPUT with '%s', got %d '%s'", code, part, rc, rc ? err.msg : "");
    assert_null(id.key);
}

static void test_kinds_and_errors(void **state)
{
    (void)state;
    gs1_ident_t id;
    char big[GS1_IDENT_MAX_INPUT + 2];

    ident_ok("nfc-uid:04A2B3C4D5E680", NULL, &id);
    assert_string_equal(id.key, "nfc-uid:04a2b3c4d5e680");
    assert_string_equal(id.scheme, "nfc-uid");
    assert_null(id.dl);
    gs1_ident_clear(&id);
    ident_ok("https://example.com/products/shirt?id=5", NULL, &id);
    assert_string_equal(id.scheme, "url");
    assert_string_equal(id.key, "https://example.com/products/shirt?id=5");
    gs1_ident_clear(&id);
    ident_ok("urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", NULL, &id);
    assert_string_equal(id.scheme, "url");
    gs1_ident_clear(&id);
    ident_ok("5412345000013", NULL, &id); /* a keyboard wedge reading an EAN-13 */
    assert_string_equal(id.kind, "gtin");
    assert_string_equal(id.key, "https://id.gs1.org/01/05412345000013");
    gs1_ident_clear(&id);
    ident_ok("355AB1C60003039000000190", NULL, &id); /* GID-96: no GS1 key */
    assert_string_equal(id.scheme, "gid");
    assert_string_equal(id.key, "urn:epc:id:gid:95100000.12345.400");
    assert_string_equal(id.epc_urn, "urn:epc:id:gid:95100000.12345.400");
    assert_null(id.element_string);
    gs1_ident_clear(&id);
    ident_ok("urn:epc:id:sscc:0614141.1234567890", NULL, &id);
    assert_string_equal(id.key, "https://id.gs1.org/00/106141412345678908");
    assert_string_equal(id.scheme, "sscc");
    gs1_ident_clear(&id);
    ident_ok("urn:epc:id:sgln:4012345.00005.0", NULL, &id);
    assert_string_equal(id.key, "https://id.gs1.org/414/4012345000054");
    assert_string_equal(id.epc_urn, "urn:epc:id:sgln:4012345.00005.0");
    gs1_ident_clear(&id);

    expect_error("", "empty code");
    expect_error(" \r\n", "empty code");
    expect_error("https://id.gs1.org/01/05412345000014", "AI (01): check digit is 4, expected 3");
    expect_error("(01)05412345000014(21)1", "AI (01): check digit is 4, expected 3");
    expect_error("5412345000014", "check digit is 4, expected 3");
    expect_error("https://example.com/01/123", "Digital Link");
    expect_error("AB0000000000000000000000", "EPC header 0xAB");
    expect_error("urn:epc:id:sgtin:0614141.81234.6789", "13 digits together");
    expect_error("urn:epc:id:sgtin:0614141.812345.67/89", "'/' must not appear");
    expect_error("urn:epc:id:foo:1.2", "unknown EPC identity scheme 'foo'");
    expect_error("urn:epc:idpat:sgtin:0614141.*.812345", "only trailing components may be '*'");
    ident_ok("urn:epc:idpat:sgtin:0614141.812345.*", NULL, &id); /* the class: the GTIN */
    assert_string_equal(id.key, "https://id.gs1.org/01/80614141123458");
    assert_string_equal(id.kind, "epc-idpat-urn");
    gs1_ident_clear(&id);
    ident_ok("urn:epc:idpat:sgtin:0614141.*.*", NULL, &id); /* coarser: kept as written */
    assert_string_equal(id.key, "urn:epc:idpat:sgtin:0614141.*.*");
    gs1_ident_clear(&id);
    expect_error("nfc-uid:04A2B", "even number of hex digits");
    expect_error("hello world", "not a code keten knows");
    expect_error("(10)LOT42", "no GS1 primary key");
    expect_error("https://example.com/a b", "a space, a control character");
    expect_error("https://ex\xffmple.com/", "not UTF-8");
    expect_error("]Q1", "no data after the symbology identifier");
    ident_ok("https://ex\xc3\xa4mple.com/p/1", NULL, &id); /* an IRI: UTF-8 */
    assert_string_equal(id.scheme, "url");
    gs1_ident_clear(&id);
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = 0;
    expect_error(big, "longer than");
    {
        gs1_ident_t x;
        gs1_err_t err;
        assert_int_equal(gs1_ident_parse("01\0x", 4, NULL, &x, &err), GS1_EINPUT);
        assert_non_null(strstr(err.msg, "NUL byte at position 3"));
    }
}

/* Which identifiers name a class (scan puts them in a quantity list). */
/* The EPC raw URI of the Tag Data Standard (what a UHF reader reports for a
 * tag that is not GS1): its own identifier, one key for every spelling of
 * its hex, the length checked against the bit count; accepted by the
 * event check (gs1_key_check_uri) through the same reading. */
static void test_raw_urn(void **state)
{
    (void)state;
    gs1_ident_t id;
    gs1_err_t err;
    static const char *const bad[] = {
        "urn:epc:raw:96.xE28011",                            /* too few digits */
        "urn:epc:raw:96.xE2801160600002089E5A3F1122",        /* too many */
        "urn:epc:raw:0.x",                                   /* no bits */
        "urn:epc:raw:96.E2801160600002089E5A3F11",           /* no x */
        "urn:epc:raw:96.xE2801160600002089E5A3FZZ",          /* not hex */
        "urn:epc:raw:.xE2801160600002089E5A3F11",            /* no length */
        "urn:epc:raw:99999.xE2801160600002089E5A3F11",       /* length past 4096 */
    };
    ident_ok("urn:epc:raw:96.xe2801160600002089e5a3f11", NULL, &id);
    assert_string_equal(id.kind, "epc-raw-urn");
    assert_string_equal(id.scheme, "raw");
    assert_string_equal(id.key, "urn:epc:raw:96.xE2801160600002089E5A3F11");
    assert_null(id.dl);
    gs1_ident_clear(&id);
    ident_ok("urn:epc:raw:128.A5.xE2801160600002089E5A3F1100000000", NULL, &id);
    assert_string_equal(id.key, "urn:epc:raw:128.A5.xE2801160600002089E5A3F1100000000");
    gs1_ident_clear(&id);
    ident_ok("urn:epc:raw:10.x3FF", NULL, &id); /* 10 bits: 3 hex digits */
    gs1_ident_clear(&id);
    assert_int_equal(gs1_key_check_uri("urn:epc:raw:96.xE2801160600002089E5A3F11", &err), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        if (gs1_ident_parse(bad[i], strlen(bad[i]), NULL, &id, &err) >= 0)
            fail_msg("'%s' was read", bad[i]);
        assert_non_null(strstr(err.msg, "raw EPC URI"));
        assert_int_not_equal(gs1_key_check_uri(bad[i], &err), 0);
    }
}

static void test_is_class(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        bool cls;
    } cases[] = {
        {"https://id.gs1.org/01/05412345000013", true},
        {"https://id.gs1.org/01/05412345000013/10/LOT42", true},
        {"https://id.gs1.org/01/05412345000013/21/SN1", false},
        {"https://id.gs1.org/8013/1987654Ad4X4bL5ttr2310c2K", true},
        {"https://id.gs1.org/8003/04012345000009", true},
        {"https://id.gs1.org/8003/04012345000009X1", false},
        {"https://id.gs1.org/253/4012345111118", true},
        {"https://id.gs1.org/253/4012345111118ABC", false},
        {"https://id.gs1.org/8006/040123451234560102", true},
        {"https://id.gs1.org/8006/040123451234560102/21/7", false},
        {"https://id.gs1.org/8010/0628165987", true},
        {"https://id.gs1.org/8010/0628165987/8011/9", false},
        {"https://id.gs1.org/00/106141412345678908", false},
        {"urn:epc:idpat:sgtin:8712345.012345.*", true},
        {"https://example.com/x", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gs1_ident_t id;
        ident_ok(cases[i].code, NULL, &id);
        if (gs1_ident_is_class(&id) != cases[i].cls)
            fail_msg("'%s': is_class %d, want %d", cases[i].code, !cases[i].cls, cases[i].cls);
        gs1_ident_clear(&id);
    }
}

/* The per-thread memo of gs1__memo.h answers exactly what a fresh reading
 * answers: the same key twice, a too-small buffer still refused after a
 * hit, an error (not kept) with its message every time, and 200 different
 * identifiers (more than the table holds) each with its own key. */
static void test_memo(void **state)
{
    char k1[GS1_KEY_MAX], k2[GS1_KEY_MAX], small[10], h1[GS1_KEY_HASH_MAX];
    gs1_err_t err;
    (void)state;
    const char *u = "urn:epc:id:sgtin:5412345.000012.77";
    assert_int_equal(gs1_ident_key(u, strlen(u), NULL, k1, sizeof k1, &err), 0);
    assert_int_equal(gs1_ident_key(u, strlen(u), NULL, k2, sizeof k2, &err), 0);
    assert_string_equal(k1, k2);
    assert_string_equal(k1, "https://id.gs1.org/01/05412345000129/21/77");
    assert_int_equal(gs1_ident_key(u, strlen(u), NULL, small, sizeof small, &err), GS1_ETOOBIG);
    assert_int_equal(gs1_key_hash(u, h1, sizeof h1, &err), 0);
    assert_string_equal(h1, k1);
    assert_int_equal(gs1_key_hash(u, h1, sizeof h1, &err), 0);
    assert_string_equal(h1, k1);
    assert_int_equal(gs1_key_hash("2025-12-01T08:00:00.000Z", h1, sizeof h1, &err),
                     GS1_ENOTFOUND);
    assert_string_equal(h1, "2025-12-01T08:00:00.000Z");
    const char *bad = "https://id.gs1.org/01/05412345000128/21/77"; /* check digit */
    for (int i = 0; i < 2; i++) {
        err.msg[0] = '\0';
        assert_int_equal(gs1_ident_key(bad, strlen(bad), NULL, k1, sizeof k1, &err), GS1_EINPUT);
        assert_non_null(strstr(err.msg, "check digit"));
        err.msg[0] = '\0';
        assert_int_equal(gs1_key_check_uri(bad, &err), GS1_EINPUT);
        assert_non_null(strstr(err.msg, "check digit"));
    }
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 200; i++) {
            char in[64], want[80];
            snprintf(in, sizeof in, "urn:epc:id:sgtin:5412345.000012.%d", i);
            snprintf(want, sizeof want, "https://id.gs1.org/01/05412345000129/21/%d", i);
            assert_int_equal(gs1_ident_key(in, strlen(in), NULL, k1, sizeof k1, &err), 0);
            assert_string_equal(k1, want);
            assert_int_equal(gs1_key_hash(in, h1, sizeof h1, &err), 0);
            assert_string_equal(h1, want);
            assert_int_equal(gs1_key_check_uri(in, &err), 0);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_garment),       cmocka_unit_test(test_epcpy_element_strings),
        cmocka_unit_test(test_epcpy_hex),          cmocka_unit_test(test_dl_normaliser_vectors),
        cmocka_unit_test(test_gcp_length_sources), cmocka_unit_test(test_kinds_and_errors),
        cmocka_unit_test(test_is_class),           cmocka_unit_test(test_memo),
        cmocka_unit_test(test_raw_urn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
