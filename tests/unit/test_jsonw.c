/* test_jsonw.c -- the streaming JSON writer (ledger_jsonw.h) writes what
 * jansson's json_dumpf writes for the same values (JSON_INDENT(2) and the
 * document's real precision): for hand-picked documents (escapes, control
 * characters, non-ASCII, empty containers, reals that need exponents or 17
 * digits, extreme integers) and for thousands of random trees. Misuse and
 * write errors are reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger_json.h"
#include "ledger_jsonw.h"

/* v written by the writer, as text (caller frees). */
static char *written(const json_t *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ledger_jsonw_t w;
    ledger_err_t err;
    assert_non_null(f);
    ledger_jsonw_init(&w, f, ledger_json_real_digits(v));
    ledger_jsonw_value(&w, v);
    assert_int_equal(ledger_jsonw_done(&w, &err), 0);
    fclose(f);
    return buf;
}

static void same_as_jansson(const json_t *v)
{
    char *mine = written(v);
    char *theirs = json_dumps(v, JSON_ENCODE_ANY | JSON_INDENT(2) |
                                     JSON_REAL_PRECISION(ledger_json_real_digits(v)));
    assert_non_null(theirs);
    if (strcmp(mine, theirs) != 0)
        fail_msg("writer:\n%s\njansson:\n%s", mine, theirs);
    free(mine);
    free(theirs);
}

static void test_documents(void **state)
{
    static const char *const docs[] = {
        "{}",
        "[]",
        "{\"a\": [], \"b\": {}, \"c\": [{}], \"d\": [[], [[]]]}",
        "[1, -1, 0, 9223372036854775807, -9223372036854775808]",
        "[0.1, 0.5, 1.0, -2.5, 1e-7, 1.5e300, 123456789012345678, 1e21, 3.3333333333333335]",
        "[0.30000000000000004, 2.2250738585072014e-308, 100.0, 1e16, 1e17]",
        "{\"q\": \"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f end\"}",
        "{\"\\u00e9t\\u00e9\": \"K\\u00f8benhavn \\u2028 \\ud83d\\ude00\"}",
        "{\"lot\": \"urn:epc:class:lgtin:5412345.000002.LOT42\", \"n\": null, \"t\": true, "
        "\"f\": false}",
        "\"just a string\"",
        "42",
    };
    (void)state;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_error_t je;
        json_t *v = json_loads(docs[i], JSON_DECODE_ANY, &je);
        if (!v)
            fail_msg("doc %zu: %s", i, je.text);
        same_as_jansson(v);
        json_decref(v);
    }
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static json_t *random_string(void)
{
    /* ASCII with every control character and the escapes, and some
     * two- and three-byte UTF-8 */
    static const char *const pieces[] = {"a",  "Z",    "/",    "\"",   "\\",       "\n",
                                         "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
                                         " ",  "0",    "urn:"};
    char buf[128];
    size_t n = 0, k = next() % 12;
    for (size_t i = 0; i < k; i++) {
        const char *p = pieces[next() % (sizeof pieces / sizeof pieces[0])];
        memcpy(buf + n, p, strlen(p));
        n += strlen(p);
    }
    return json_stringn(buf, n);
}

static json_t *random_value(int depth)
{
    switch (next() % (depth > 3 ? 5 : 7)) {
    case 0:
        return random_string();
    case 1:
        return json_integer((json_int_t)(next() >> (next() % 64)) * (next() % 2 ? 1 : -1));
    case 2: {
        /* reals of every magnitude, some short, some needing 17 digits */
        double d = (double)(next() % 100000) / (double)(1 + next() % 1000);
        int e = (int)(next() % 40) - 20;
        while (e > 0)
            d *= 10, e--;
        while (e < 0)
            d /= 10, e++;
        return json_real(next() % 2 ? d : -d);
    }
    case 3:
        return next() % 2 ? json_true() : json_false();
    case 4:
        return json_null();
    case 5: {
        json_t *a = json_array();
        for (size_t i = 0, n = next() % 5; i < n; i++)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (size_t i = 0, n = next() % 5; i < n; i++) {
            json_t *k = random_string();
            json_object_set_new(o, json_string_value(k), random_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

static void test_random_trees(void **state)
{
    (void)state;
    for (int i = 0; i < 3000; i++) {
        json_t *v = random_value(0);
        same_as_jansson(v);
        json_decref(v);
    }
}

static void test_digits(void **state)
{
    static const double vals[] = {0.1, 1.0 / 3, 4.0, 7.5, 1e-7, 2.0 / 3 * 1e10, 123.456};
    (void)state;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        json_t *v = json_real(vals[i]);
        assert_int_equal(ledger_jsonw_digits(vals[i], 15), ledger_json_real_digits(v));
        json_decref(v);
    }
}

static void test_errors(void **state)
{
    ledger_jsonw_t w;
    ledger_err_t err;
    FILE *f = fopen("/dev/null", "w");
    (void)state;
    assert_non_null(f);
    /* an object left open */
    ledger_jsonw_init(&w, f, 0);
    ledger_jsonw_object(&w);
    ledger_jsonw_key(&w, "a");
    assert_int_equal(ledger_jsonw_done(&w, &err), LEDGER_EINVAL);
    /* one end too many */
    ledger_jsonw_init(&w, f, 0);
    ledger_jsonw_array(&w);
    ledger_jsonw_end(&w);
    ledger_jsonw_end(&w);
    assert_int_equal(ledger_jsonw_done(&w, &err), LEDGER_EINVAL);
    fclose(f);
    /* a disk that is full */
    if ((f = fopen("/dev/full", "w"))) {
        ledger_jsonw_init(&w, f, 0);
        ledger_jsonw_array(&w);
        for (int i = 0; i < 10000; i++)
            ledger_jsonw_str(&w, "no room for this");
        ledger_jsonw_end(&w);
        assert_int_equal(ledger_jsonw_done(&w, &err), LEDGER_EIO);
        assert_non_null(strstr(err.msg, "cannot write"));
        fclose(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_random_trees),
        cmocka_unit_test(test_digits),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
