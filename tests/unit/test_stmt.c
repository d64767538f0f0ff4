/* test_stmt.c -- identity statements and endorsements (ledger_stmt.h).
 *
 * The vector of docs/format.md, byte for byte (computed independently by
 * hand-encoding the CBOR in Python when it was made: the script is in
 * docs/format.md); a round trip of an endorsement; then what must be
 * refused: a wrong GLN check digit, a GCP that is not 4..12 digits or not
 * the GLN's prefix, no GLN and no GCP, an empty name or one with a control
 * character, a bad domain, an endorsement of a feed by itself, an identity
 * that names another feed, another version or kind, a subject of 31
 * bytes, a non-shortest integer and trailing bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger_stmt.h"

#define FEED7 "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
#define FEED8 "1398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca"
static const char vector_hex[] =
    "8701015820" FEED7
    "73566c6565737665727765726b65722044656d6f6d353431323334353030303030366735343132333435"
    "6d766c6565732e6578616d706c65";

static void vector_stmt(ledger_stmt_t *s)
{
    memset(s, 0, sizeof *s);
    s->kind = LEDGER_STMT_IDENTITY;
    assert_int_equal(ledger_unhex(FEED7, s->subject, 32), 0);
    strcpy(s->name, "Vleesverwerker Demo");
    strcpy(s->gln, "5412345000006");
    strcpy(s->gcp, "5412345");
    strcpy(s->domain, "vlees.example");
}

static void test_vector(void **state)
{
    (void)state;
    ledger_stmt_t s, d;
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_err_t err;
    char hex[2 * 200];
    vector_stmt(&s);
    assert_int_equal(ledger_stmt_encode(&s, &b, &err), 0);
    assert_int_equal(b.len, (sizeof vector_hex - 1) / 2);
    assert_string_equal(ledger_hex(b.data, b.len, hex), vector_hex);
    assert_int_equal(ledger_stmt_decode(b.data, b.len, &d, &err), 0);
    assert_memory_equal(&s, &d, sizeof s);
    assert_int_equal(ledger_stmt_check_author(&d, s.subject, &err), 0);
    ledger_buf_free(&b);
}

static void test_endorsement(void **state)
{
    (void)state;
    ledger_stmt_t s, d;
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_err_t err;
    uint8_t author[32];
    memset(&s, 0, sizeof s);
    s.kind = LEDGER_STMT_ENDORSEMENT;
    assert_int_equal(ledger_unhex(FEED7, s.subject, 32), 0);
    assert_int_equal(ledger_unhex(FEED8, author, 32), 0);
    strcpy(s.name, "Slachthuis \xc3\x89\xc3\xa9n");
    strcpy(s.gcp, "5412345");
    assert_int_equal(ledger_stmt_encode(&s, &b, &err), 0);
    assert_int_equal(ledger_stmt_decode(b.data, b.len, &d, &err), 0);
    assert_memory_equal(&s, &d, sizeof s);
    assert_int_equal(ledger_stmt_check_author(&d, author, &err), 0);
    /* an endorsement of the feed by itself */
    assert_int_equal(ledger_stmt_check_author(&d, s.subject, &err), LEDGER_EINPUT);
    assert_non_null(strstr(err.msg, "by itself"));
    /* an identity statement carried by another feed */
    d.kind = LEDGER_STMT_IDENTITY;
    assert_int_equal(ledger_stmt_check_author(&d, author, &err), LEDGER_EINPUT);
    assert_non_null(strstr(err.msg, "another feed"));
    ledger_buf_free(&b);
}

static void refuse(const ledger_stmt_t *s, const char *want)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_err_t err;
    assert_int_equal(ledger_stmt_encode(s, &b, &err), LEDGER_EINPUT);
    if (!strstr(err.msg, want))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
    assert_int_equal(b.len, 0);
    ledger_buf_free(&b);
}

static void test_bad_fields(void **state)
{
    (void)state;
    ledger_stmt_t s;
    vector_stmt(&s), strcpy(s.gln, "5412345000007"), refuse(&s, "check digit");
    vector_stmt(&s), strcpy(s.gln, "541234500000"), refuse(&s, "GLN");
    vector_stmt(&s), strcpy(s.gcp, "541"), refuse(&s, "4 to 12 digits");
    vector_stmt(&s), strcpy(s.gcp, "54a2345"), refuse(&s, "4 to 12 digits");
    vector_stmt(&s), strcpy(s.gcp, "5412346"), refuse(&s, "does not start with");
    vector_stmt(&s), s.gln[0] = s.gcp[0] = 0, refuse(&s, "neither a GLN");
    vector_stmt(&s), s.name[0] = 0, refuse(&s, "name is empty");
    vector_stmt(&s), strcpy(s.name, "a\nb"), refuse(&s, "control character");
    vector_stmt(&s), strcpy(s.name, "\xff"), refuse(&s, "not UTF-8");
    vector_stmt(&s), strcpy(s.domain, "Vlees.example"), refuse(&s, "lower-case");
    vector_stmt(&s), strcpy(s.domain, "vlees..example"), refuse(&s, "not a host name");
    vector_stmt(&s), strcpy(s.domain, "vlees-.example"), refuse(&s, "not a host name");
    vector_stmt(&s), strcpy(s.domain, "https://vlees.example"), refuse(&s, "':'");
    vector_stmt(&s), s.kind = 3, refuse(&s, "unknown kind");
    /* a GCP alone is enough; a domain is optional */
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_err_t err;
    vector_stmt(&s), s.gln[0] = s.domain[0] = 0;
    assert_int_equal(ledger_stmt_encode(&s, &b, &err), 0);
    ledger_buf_free(&b);
}

static void decode_fails(const char *hex, const char *want)
{
    uint8_t p[256];
    size_t n = strlen(hex) / 2;
    ledger_stmt_t s;
    ledger_err_t err;
    assert_true(n <= sizeof p);
    assert_int_equal(ledger_unhex(hex, p, n), 0);
    assert_int_equal(ledger_stmt_decode(p, n, &s, &err), LEDGER_EINPUT);
    if (!strstr(err.msg, want))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_bad_bytes(void **state)
{
    (void)state;
    char hex[512];
    const char *body = vector_hex + 6; /* after 87 01 01 */
    snprintf(hex, sizeof hex, "870201%s", body), decode_fails(hex, "version 2");
    snprintf(hex, sizeof hex, "870103%s", body), decode_fails(hex, "unknown kind 3");
    snprintf(hex, sizeof hex, "86%s", vector_hex + 2), decode_fails(hex, "6 items");
    snprintf(hex, sizeof hex, "87180101%s", body), decode_fails(hex, "version");
    snprintf(hex, sizeof hex, "%s00", vector_hex), decode_fails(hex, "after the array");
    snprintf(hex, sizeof hex, "%.*s", (int)strlen(vector_hex) - 2, vector_hex),
        decode_fails(hex, "statement");
    /* a subject of 31 bytes */
    snprintf(hex, sizeof hex, "870101581f%.62s%s", FEED7, vector_hex + 10 + 64),
        decode_fails(hex, "31 bytes");
    /* the GLN with a wrong check digit, encoded as the writer would */
    snprintf(hex, sizeof hex, "%s", vector_hex);
    char *g = strstr(hex, "6d35343132333435303030303036");
    assert_non_null(g);
    g[27] = '7';
    decode_fails(hex, "check digit");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
        cmocka_unit_test(test_endorsement),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_bad_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
