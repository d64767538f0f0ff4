/* test_cbor.c -- deterministic CBOR: known encodings from RFC 8949
 * appendix A, key order, float shortening, and the strict reader refusing
 * every non-canonical form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ledger_cbor.h"

static void hex_of(const ledger_buf_t *b, char *out)
{
    for (size_t i = 0; i < b->len; i++)
        sprintf(out + 2 * i, "%02x", b->data[i]);
    out[2 * b->len] = '\0';
}

static void unhex(const char *s, uint8_t *out, size_t *n)
{
    size_t len = strlen(s) / 2;
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    *n = len;
}

/* JSON text -> expected CBOR hex (RFC 8949 appendix A, and key order). */
static const char *const vectors[][2] = {
    {"0", "00"},
    {"23", "17"},
    {"24", "1818"},
    {"100", "1864"},
    {"1000", "1903e8"},
    {"1000000", "1a000f4240"},
    {"1000000000000", "1b000000e8d4a51000"},
    {"-1", "20"},
    {"-1000", "3903e7"},
    {"0.0", "f90000"},
    {"-0.0", "f98000"},
    {"1.0", "f93c00"},
    {"1.5", "f93e00"},
    {"65504.0", "f97bff"},
    {"100000.0", "fa47c35000"},
    {"5.960464477539063e-08", "f90001"},
    {"1.1", "fb3ff199999999999a"},
    {"-4.1", "fbc010666666666666"},
    {"true", "f5"},
    {"false", "f4"},
    {"null", "f6"},
    {"\"\"", "60"},
    {"\"a\"", "6161"},
    {"\"\\u00fc\"", "62c3bc"},
    {"[]", "80"},
    {"[1,[2,3],[4,5]]", "8301820203820405"},
    {"{}", "a0"},
    /* keys sorted by encoded bytes: shorter first, then bytewise */
    {"{\"b\":1,\"a\":2,\"aa\":3}", "a3616102616201626161"
                                   "03"},
    {"{\"eventTime\":\"x\",\"type\":\"y\"}", "a26474797065617969"
                                             "6576656e7454696d656178"},
};

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        json_error_t je;
        json_t *v = json_loads(vectors[i][0], JSON_DECODE_ANY, &je), *back = NULL;
        ledger_buf_t b = LEDGER_BUF_INIT;
        char hex[256];
        assert_non_null(v);
        assert_int_equal(ledger_cbor_from_json(v, &b, NULL), 0);
        hex_of(&b, hex);
        if (strcmp(hex, vectors[i][1]) != 0)
            fail_msg("%s encoded as %s, expected %s", vectors[i][0], hex, vectors[i][1]);
        assert_int_equal(ledger_cbor_to_json(b.data, b.len, &back, NULL), 0);
        if (!json_equal(v, back))
            fail_msg("%s did not round-trip", vectors[i][0]);
        json_decref(v);
        json_decref(back);
        ledger_buf_free(&b);
    }
}

/* Encodings the strict reader must refuse. */
static const char *const refused[] = {
    "1817",               /* 23 in two bytes: not shortest */
    "190017",             /* 23 in three bytes */
    "f93c01f6",           /* trailing bytes */
    "fa3f800000",         /* 1.0 as single: shortest is half */
    "fb3ff0000000000000", /* 1.0 as double */
    "a2616201616102",     /* keys out of order */
    "a2616101616102",     /* duplicate key */
    "9f01ff",             /* indefinite array */
    "7f6161ff",           /* indefinite text */
    "c074",               /* tag */
    "4161",               /* byte string where JSON is expected */
    "62c3",               /* truncated text */
    "61ff",               /* invalid UTF-8 */
    "f97e00",             /* NaN */
    "f7",                 /* undefined */
    "83010203"
    "04",                 /* trailing */
    "a1016161",           /* integer key */
    "9bffffffffffffffff", /* absurd array length */
};

static void test_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        uint8_t buf[64];
        size_t n;
        json_t *v = NULL;
        ledger_err_t err;
        unhex(refused[i], buf, &n);
        if (ledger_cbor_to_json(buf, n, &v, &err) != LEDGER_EINPUT)
            fail_msg("%s was accepted", refused[i]);
        assert_null(v);
        assert_non_null(strstr(err.msg, "CBOR at byte"));
    }
}

static void test_deep_nesting(void **state)
{
    uint8_t buf[200];
    json_t *v = NULL;
    (void)state;
    memset(buf, 0x81, sizeof buf - 1); /* [[[[...]]]] */
    buf[sizeof buf - 1] = 0x00;
    assert_int_equal(ledger_cbor_to_json(buf, sizeof buf, &v, NULL), LEDGER_EINPUT);
}

static void test_reader_primitives(void **state)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_cbor_reader_t r;
    uint64_t v;
    size_t n;
    const uint8_t *p;
    (void)state;
    assert_int_equal(ledger_cbor_put_array(&b, 3), 0);
    assert_int_equal(ledger_cbor_put_uint(&b, 500), 0);
    assert_int_equal(ledger_cbor_put_bytes(&b, "abc", 3), 0);
    assert_int_equal(ledger_cbor_put_null(&b), 0);
    ledger_cbor_reader_init(&r, b.data, b.len);
    assert_int_equal(ledger_cbor_get_array(&r, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ledger_cbor_get_bytes(&r, &p, &n, NULL), LEDGER_EINPUT); /* it's a uint */
    assert_int_equal(ledger_cbor_get_uint(&r, &v, NULL), 0);
    assert_int_equal(v, 500);
    assert_int_equal(ledger_cbor_get_bytes(&r, &p, &n, NULL), 0);
    assert_memory_equal(p, "abc", 3);
    assert_int_equal(ledger_cbor_take_null(&r), 1);
    assert_int_equal(r.off, b.len);
    ledger_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_reader_primitives),
    };
    return cmocka_run_group_tests_name("cbor", tests, NULL, NULL);
}
