/* test_identity.c -- key pairs and key files: mode 0600, never overwritten,
 * sealed with a passphrase (wrong or missing passphrase refused), and a
 * damaged file refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ledger_identity.h"

static char dir[256];

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    (void)state;
    snprintf(dir, sizeof dir, "%s/keten-id-XXXXXX", tmp ? tmp : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void test_plain(void **state)
{
    ledger_identity_t *a, *b;
    char path[300];
    struct stat sb;
    uint8_t sig[64];
    ledger_err_t err;
    (void)state;
    snprintf(path, sizeof path, "%s/plain", dir);
    assert_int_equal(ledger_identity_generate(&a, &err), 0);
    assert_int_equal(ledger_identity_save(a, path, NULL, 0, &err), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(ledger_identity_file_encrypted(path, &err), 0);
    /* never overwritten */
    assert_int_equal(ledger_identity_save(a, path, NULL, 0, &err), LEDGER_EEXIST);
    assert_int_equal(ledger_identity_load(path, NULL, 0, &b, &err), 0);
    assert_memory_equal(ledger_identity_public(a), ledger_identity_public(b), 32);
    ledger_identity_sign(b, (const uint8_t *)"m", 1, sig);
    ledger_identity_free(a);
    ledger_identity_free(b);
}

static void test_sealed(void **state)
{
    ledger_identity_t *a, *b = NULL;
    char path[300];
    ledger_err_t err;
    (void)state;
    snprintf(path, sizeof path, "%s/sealed", dir);
    assert_int_equal(ledger_identity_generate(&a, &err), 0);
    assert_int_equal(ledger_identity_save(a, path, "correct horse", 13, &err), 0);
    assert_int_equal(ledger_identity_file_encrypted(path, &err), 1);
    assert_int_equal(ledger_identity_load(path, NULL, 0, &b, &err), LEDGER_ECRYPTO);
    assert_non_null(strstr(err.msg, "--passphrase-file"));
    assert_int_equal(ledger_identity_load(path, "wrong horse", 11, &b, &err), LEDGER_ECRYPTO);
    assert_non_null(strstr(err.msg, "wrong passphrase"));
    assert_int_equal(ledger_identity_load(path, "correct horse", 13, &b, &err), 0);
    assert_memory_equal(ledger_identity_public(a), ledger_identity_public(b), 32);
    ledger_identity_free(a);
    ledger_identity_free(b);
}

static void test_damaged(void **state)
{
    ledger_identity_t *b = NULL;
    char path[300];
    FILE *f;
    ledger_err_t err;
    (void)state;
    snprintf(path, sizeof path, "%s/damaged", dir);
    f = fopen(path, "w");
    fputs("KETENKEY\x01\x00short", f);
    fclose(f);
    assert_int_equal(ledger_identity_load(path, NULL, 0, &b, &err), LEDGER_EINPUT);
    assert_non_null(strstr(err.msg, "not a keten key file"));
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(ledger_identity_load(path, NULL, 0, &b, &err), LEDGER_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_sealed),
        cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests_name("identity", tests, setup, teardown);
}
