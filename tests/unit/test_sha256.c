/* test_sha256.c -- SHA-256 (ledger_sha256.h) against FIPS 180-4's own
 * examples, against libsodium's code on every length from 0 to 1,100
 * bytes cut into pieces at every place, and on several threads at once
 * (each thread's context is made on first use and freed when it ends: run
 * under ASan, a leak or a shared context shows). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger_sha256.h"

static void hex(const uint8_t *h, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void expect(const void *p, size_t n, const char *want)
{
    uint8_t h[LEDGER_SHA256_LEN];
    char got[65];
    ledger_sha256(h, p, n);
    hex(h, got);
    assert_string_equal(got, want);
}

/* FIPS 180-4 / NIST CSRC example values. */
static void test_nist(void **state)
{
    char *million = malloc(1000000);
    (void)state;
    assert_non_null(million);
    expect(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    memset(million, 'a', 1000000);
    expect(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

/* Every length 0..1100, as one piece and as two pieces cut at a few
 * places, against libsodium. */
static void test_lengths_and_parts(void **state)
{
    static uint8_t msg[1100];
    (void)state;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 131 + 7);
    for (size_t n = 0; n <= sizeof msg; n++) {
        uint8_t a[32], b[32], c[32];
        ledger_sha256_part_t one = {msg, n};
        ledger_sha256(a, msg, n);
        ledger_sha256_portable(b, &one, 1);
        assert_memory_equal(a, b, 32);
        for (size_t cut = 0; cut <= n; cut += n / 7 + 1) {
            ledger_sha256_part_t two[3] = {{msg, cut}, {NULL, 0}, {msg + cut, n - cut}};
            ledger_sha256_parts(c, two, 3);
            assert_memory_equal(a, c, 32);
        }
    }
}

/* Threads hashing at once each get the right digests. */
#define NTHREADS 4
#define ROUNDS 20000

static void *hasher(void *arg)
{
    uint8_t h[32], want[32], buf[200];
    size_t seed = (size_t)(uintptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        size_t n = (seed * 7 + (size_t)r) % sizeof buf;
        ledger_sha256_part_t part = {buf, n};
        memset(buf, (int)(seed + (size_t)r), n);
        ledger_sha256(h, buf, n);
        ledger_sha256_portable(want, &part, 1);
        if (memcmp(h, want, 32) != 0)
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t th[NTHREADS];
    (void)state;
    for (uintptr_t i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hasher, (void *)(i + 1)), 0);
    for (int i = 0; i < NTHREADS; i++) {
        void *rv = (void *)1;
        assert_int_equal(pthread_join(th[i], &rv), 0);
        assert_null(rv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist),
        cmocka_unit_test(test_lengths_and_parts),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
