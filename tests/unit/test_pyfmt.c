/* test_pyfmt.c -- unit tests of ledger_pyfmt (Python-compatible formatting
 * for the event hash).
 *
 * The expected strings were produced by CPython 3 itself (repr(float),
 * str(int(float(s))), str.strip(), and datetime arithmetic with
 * round(us, -3) for the time stamps), not by this module. A property test
 * adds random doubles: repr must read back exactly and no shorter decimal
 * may read back (the definition of Python's repr), checked with printf and
 * strtod.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger_pyfmt.h"

static void test_repr(void **state)
{
    (void)state;
    static const struct {
        double d;
        const char *want;
    } cases[] = {
        {0x1.b333333333333p+1, "3.4"},
        {0x1.999999999999ap-4, "0.1"},
        {0x1.3333333333334p-2, "0.30000000000000004"},
        {0x1.4f8b588e368f1p-17, "1e-05"},
        {0x1.a36e2eb1c432dp-14, "0.0001"},
        {0x1.a36e2eb1c432cp-14, "9.999999999999999e-05"},
        {0x1.c6bf526340000p+49, "1000000000000000.0"},
        {0x1.1c37937e08000p+53, "1e+16"},
        {0x1.c12218377de66p+46, "123456789012345.6"},
        {0x1.c6bf52633ffffp+49, "999999999999999.9"},
        {0x0.0000000000001p-1022, "5e-324"},
        {0x1.0000000000000p-1022, "2.2250738585072014e-308"},
        {0x1.fffffffffffffp+1023, "1.7976931348623157e+308"},
        {-0x0.0p+0, "-0.0"},
        {0x0.0p+0, "0.0"},
        {0x1.9000000000000p+6, "100.0"},
        {-0x1.4000000000000p+1, "-2.5"},
        {0x1.0f0cf064dd592p+73, "1e+22"},
        {0x1.1eb2d66005835p+997, "1.5e+300"},
        {0x1.5555555555555p-2, "0.3333333333333333"},
        {0x1.5555555555555p-1, "0.6666666666666666"},
        {0x1.ad7f29abcaf48p-24, "1e-07"},
        {0x1.81cd6c8b43958p+13, "12345.678"},
        {0x1.0000000000000p+53, "9007199254740992.0"},
        {0x1.01f31f46ed246p-13, "0.000123"},
        {-0x1.091b5aeffdb8ep-23, "-1.2345e-07"},
        {0x1.1666666666666p+2, "4.35"},
        {0x1.5666666666666p+1, "2.675"},
    };
    char out[LEDGER_PYFMT_REPR_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = ledger_pyfmt_repr(cases[i].d, out);
        if (strcmp(out, cases[i].want) != 0 || n != strlen(out))
            fail_msg("repr(%a): want %s got %s", cases[i].d, cases[i].want, out);
    }
    assert_int_equal(ledger_pyfmt_repr(NAN, out), 3);
    assert_string_equal(out, "nan");
    assert_int_equal(ledger_pyfmt_repr(INFINITY, out), 3);
    assert_string_equal(out, "inf");
    assert_int_equal(ledger_pyfmt_repr(-INFINITY, out), 4);
    assert_string_equal(out, "-inf");
}

/* Significant digits of a repr: the digits before the exponent without
 * leading and trailing zeros. */
static int sig_digits(const char *s)
{
    char d[40];
    int n = 0, a = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            d[n++] = *s;
    while (a < n && d[a] == '0')
        a++;
    while (n > a && d[n - 1] == '0')
        n--;
    return n > a ? n - a : 1;
}

static void test_repr_random(void **state)
{
    (void)state;
    char out[LEDGER_PYFMT_REPR_MAX], buf[64];
    uint64_t x = 88172645463325252u; /* xorshift64, fixed seed */
    print_message("seed 88172645463325252, 200000 doubles\n");
    for (int i = 0; i < 200000; i++) {
        double d;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (i % 2) {
            memcpy(&d, &x, sizeof d);
        } else {
            /* short decimals of every magnitude: the fast path */
            d = (double)(x % 1000000) / pow(10, (double)((x >> 40) % 12)) *
                ((x >> 60) & 1 ? -1 : 1);
        }
        if (isnan(d) || isinf(d))
            continue;
        ledger_pyfmt_repr(d, out);
        if (strtod(out, NULL) != d || (d == 0 && signbit(d) != (out[0] == '-')))
            fail_msg("repr(%a) = %s does not read back", d, out);
        int k = sig_digits(out);
        if (k > 1) {
            snprintf(buf, sizeof buf, "%.*e", k - 2, d);
            if (strtod(buf, NULL) == d)
                fail_msg("repr(%a) = %s, but %s is shorter", d, out, buf);
        }
    }
}

static void test_parse_float(void **state)
{
    (void)state;
    double d = 0;
    char big[500];
    assert_true(ledger_pyfmt_parse_float("1_000.5", &d));
    assert_true(d == 1000.5);
    assert_true(ledger_pyfmt_parse_float("-Infinity", &d));
    assert_true(isinf(d) && d < 0);
    assert_true(ledger_pyfmt_parse_float("NaN", &d));
    assert_true(isnan(d));
    assert_true(ledger_pyfmt_parse_float("-.5e-3", &d));
    assert_true(d == -0.0005);
    d = 7;
    assert_false(ledger_pyfmt_parse_float("1__0", &d));
    assert_false(ledger_pyfmt_parse_float(" 1", &d));
    assert_false(ledger_pyfmt_parse_float("1 ", &d));
    assert_false(ledger_pyfmt_parse_float(".", &d));
    assert_false(ledger_pyfmt_parse_float("", &d));
    assert_true(d == 7);
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_false(ledger_pyfmt_parse_float(big, &d));
}

static void test_number(void **state)
{
    (void)state;
    static const struct {
        const char *s, *want; /* want NULL: not a number */
    } cases[] = {
        {"2.0", "2"},
        {"-0.0", "0"},
        {"1e16", "10000000000000000"},
        {"12345678901234567", "12345678901234568"},
        {"2.50", "2.5"},
        {"1e-7", "1e-07"},
        {"1_000.5", "1000.5"},
        {".5", "0.5"},
        {"5.", "5"},
        {"+7", "7"},
        {"1e3", "1000"},
        {"1e-400", "0"},
        {"-1e-400", "0"},
        {"123456789.123456789", "123456789.12345679"},
        {"1.7976931348623157e308",
         "17976931348623157081452742373170435679807056752584499659891747680315726078002853876058955"
         "86327668781715404589535143824642343213268894641827684675467035375169860499105765512820762"
         "45490090389328944075868508455133942304583236903222948165808559332123348274797826204144723"
         "168738177180919299881250404026184124858368"},
        {"0.30000000000000004", "0.30000000000000004"},
        {"-12", "-12"},
        {"007", "7"},
        {"1E+2", "100"},
        {"abc", NULL},
        {"nan", NULL},
        {"inf", NULL},
        {"-Infinity", NULL},
        {"1.2.3", NULL},
        {"1__0", NULL},
        {"_1", NULL},
        {"1_", NULL},
        {"1e", NULL},
        {"", NULL},
        {"0x10", NULL},
        {"1e400", NULL},
        {"e5", NULL},
        {". 5", NULL},
        {"OBSERVE", NULL},
        {"None", NULL},
    };
    char out[LEDGER_PYFMT_NUMBER_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = ledger_pyfmt_number(cases[i].s, out);
        if (!cases[i].want) {
            if (n != LEDGER_ENOTFOUND)
                fail_msg("number(\"%s\"): want ENOTFOUND got %d", cases[i].s, n);
        } else if (n < 0 || strcmp(out, cases[i].want) != 0 || (size_t)n != strlen(out)) {
            fail_msg("number(\"%s\"): want %s got %s (%d)", cases[i].s, cases[i].want,
                     n < 0 ? "" : out, n);
        }
    }
}

/* UTC conversion, rounding half to even, carries across midnight, month,
 * year and leap days, offsets in every form, and what is refused. */
static void test_time(void **state)
{
    (void)state;
    static const struct {
        const char *s, *want; /* want NULL: not a time */
    } cases[] = {
        {"2025-12-01T10:11:12.123Z", "2025-12-01T10:11:12.123Z"},
        {"2019-04-02T15:00:00.000+01:00", "2019-04-02T14:00:00.000Z"},
        {"2023-12-31T23:59:59.9996-01:00", "2024-01-01T01:00:00.000Z"},
        {"2020-01-01T00:30:00+01:00", "2019-12-31T23:30:00.000Z"},
        {"2024-02-28T23:00:00-02:00", "2024-02-29T01:00:00.000Z"},
        {"2023-02-28T23:00:00-02:00", "2023-03-01T01:00:00.000Z"},
        {"1900-02-28T23:00:00-01:00", "1900-03-01T00:00:00.000Z"},
        {"2000-02-28T23:00:00-01:00", "2000-02-29T00:00:00.000Z"},
        {"2000-01-01T00:00:00.0005Z", "2000-01-01T00:00:00.000Z"},
        {"2000-01-01T00:00:00.0015Z", "2000-01-01T00:00:00.002Z"},
        {"2000-01-01T00:00:00.0025Z", "2000-01-01T00:00:00.002Z"},
        {"2000-01-01T00:00:00.00251Z", "2000-01-01T00:00:00.003Z"},
        {"2000-01-01T00:00:00.1234567Z", "2000-01-01T00:00:00.123Z"},
        {"2000-01-01T00:00:00.1239999Z", "2000-01-01T00:00:00.124Z"},
        {"2023-01-11T12:00Z", "2023-01-11T12:00:00.000Z"},
        {"2023-01-11", "2023-01-11T00:00:00.000Z"},
        {"2023-01-11T12:00:00+0530", "2023-01-11T06:30:00.000Z"},
        {"2023-01-11T12:00:00-05", "2023-01-11T17:00:00.000Z"},
        {"2023-01-11 12:00:00,5Z", "2023-01-11T12:00:00.500Z"},
        {"2023-01-11t12:00:00z", "2023-01-11T12:00:00.000Z"},
        {"2023-01-11T12:00:00", "2023-01-11T12:00:00.000Z"},
        {"2023-06-30T23:59:59.999500+00:00", "2023-07-01T00:00:00.000Z"},
        {"2023-06-30T23:59:59.998500+00:00", "2023-06-30T23:59:59.998Z"},
        {"0001-01-01T00:30:00+01:00", NULL},
        {"0001-01-01T00:30:00-01:00", "0001-01-01T01:30:00.000Z"},
        {"9999-12-31T23:59:59.9999Z", NULL},
        {"9999-12-31T23:00:00-02:00", NULL},
        {"2021-02-29T00:00:00Z", NULL},
        {"2023-01-11T24:00:00Z", NULL},
        {"not a time", NULL},
        {"2023-1-11T12:00:00Z", NULL},
        {"2023-01-11T12:00:00Zjunk", NULL},
        {"2023-01-11T12:00:00+24:00", NULL},
        {"2023-01-11T12:00:00+01:60", NULL},
        {"2023-01-11T12:60Z", NULL},
        {"2023-13-01", NULL},
        {"2023-00-10", NULL},
        {"2023-01-00", NULL},
        {"2023-01-11T12:00:00.Z", NULL},
        {"", NULL},
    };
    char out[LEDGER_PYFMT_TIME_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = ledger_pyfmt_time_utc(cases[i].s, out);
        if (!cases[i].want) {
            if (n != LEDGER_ENOTFOUND)
                fail_msg("time(\"%s\"): want ENOTFOUND got %d", cases[i].s, n);
        } else if (n != 24 || strcmp(out, cases[i].want) != 0) {
            fail_msg("time(\"%s\"): want %s got %s (%d)", cases[i].s, cases[i].want,
                     n < 0 ? "" : out, n);
        }
    }
}

static void test_strip(void **state)
{
    (void)state;
    static const struct {
        const char *s, *want;
    } cases[] = {
        /* UTF-8 in octal escapes */
        {" a ", "a"},
        {"\302\240x\343\200\200", "x"},     /* U+00A0 x U+3000 */
        {"\342\200\250", ""},               /* U+2028 */
        {"\034 a \037", "a"},               /* separators */
        {"a\342\200\213", "a\342\200\213"}, /* U+200B is not white space */
        {"\302\205x", "x"},                 /* U+0085 */
        {"", ""},
        {"\011\012\013\014\015", ""},
        {"a b", "a b"},
        {"\342\200\257z\342\201\237", "z"},             /* U+202F z U+205F */
        {"\341\232\200q\342\200\200\342\200\212", "q"}, /* U+1680 q U+2000 U+200A */
        {"x\342\200\251", "x"},                         /* U+2029 */
        {"\341\240\216y", "\341\240\216y"},             /* U+180E is not (Unicode >= 6.3) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t start, n = ledger_pyfmt_strip(cases[i].s, strlen(cases[i].s), &start);
        if (n != strlen(cases[i].want) || memcmp(cases[i].s + start, cases[i].want, n) != 0)
            fail_msg("strip case %zu: want \"%s\" got \"%.*s\"", i, cases[i].want, (int)n,
                     cases[i].s + start);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repr),        cmocka_unit_test(test_repr_random),
        cmocka_unit_test(test_parse_float), cmocka_unit_test(test_number),
        cmocka_unit_test(test_time),        cmocka_unit_test(test_strip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
