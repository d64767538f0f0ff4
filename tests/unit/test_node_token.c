/* test_node_token.c -- the bearer tokens of a home (node_token.h): a new
 * token's form, that only its hash is stored (mode 0600), listing,
 * removing, scopes; the node's view: every outcome of a check, re-reading
 * the file when another process changes it (no reopen), staying closed
 * after the last token is removed, failing closed on a damaged file; and
 * that concurrent `token add` processes all land (the flock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "node_token.h"

static char *new_home(void)
{
    char *home = strdup("/tmp/keten-token-XXXXXX");
    const char *tmp = getenv("TMPDIR");
    if (tmp && *tmp) {
        free(home);
        home = malloc(strlen(tmp) + 32);
        sprintf(home, "%s/keten-token-XXXXXX", tmp);
    }
    assert_non_null(mkdtemp(home));
    return home;
}

static void rm_home(char *home)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
    free(home);
}

static char *read_all(const char *home)
{
    char path[512];
    FILE *f;
    long n;
    char *s;
    snprintf(path, sizeof path, "%s/%s", home, NODE_TOKEN_FILE);
    assert_non_null(f = fopen(path, "r"));
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    s = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

static void bearer(char *out, size_t cap, const char *tok)
{
    snprintf(out, cap, "Bearer %s", tok);
}

static void test_add_list_hash_only(void **state)
{
    char *home = new_home(), tok[NODE_TOKEN_TEXT], tok2[NODE_TOKEN_TEXT], path[512], *text;
    node_token_info_t *v = NULL;
    size_t n = 0;
    int exists = 1;
    struct stat st;
    ledger_err_t err;
    (void)state;
    assert_int_equal(node_token_list(home, &v, &n, &exists, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(exists, 0);
    assert_int_equal(node_token_add(home, "erp", NODE_SCOPE_CAPTURE | NODE_SCOPE_QUERY, tok, &err),
                     0);
    assert_int_equal(strlen(tok), 6 + 43);
    assert_memory_equal(tok, "keten_", 6);
    for (size_t i = 6; tok[i]; i++)
        assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                           tok[i]) != NULL);
    assert_int_equal(node_token_add(home, "viewer", NODE_SCOPE_QUERY, tok2, &err), 0);
    assert_string_not_equal(tok, tok2);
    text = read_all(home);
    assert_null(strstr(text, tok + 6)); /* not the token, not its random part */
    assert_null(strstr(text, tok2 + 6));
    {
        uint8_t h[32];
        char hex[65];
        crypto_hash_sha256(h, (const unsigned char *)tok, strlen(tok));
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        assert_non_null(strstr(text, hex)); /* its SHA-256 */
    }
    free(text);
    snprintf(path, sizeof path, "%s/%s", home, NODE_TOKEN_FILE);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(node_token_list(home, &v, &n, &exists, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(exists, 1);
    assert_string_equal(v[0].name, "erp");
    assert_int_equal(v[0].scopes, NODE_SCOPE_CAPTURE | NODE_SCOPE_QUERY);
    assert_string_equal(v[1].name, "viewer");
    assert_int_equal(v[1].scopes, NODE_SCOPE_QUERY);
    assert_int_equal(strlen(v[0].created), 20); /* 2026-12-07T06:00:00Z */
    free(v);
    /* names: taken, bad; scopes */
    assert_int_equal(node_token_add(home, "erp", NODE_SCOPE_QUERY, tok, &err), LEDGER_EEXIST);
    assert_string_equal(tok, "");
    assert_int_equal(node_token_add(home, "a b", NODE_SCOPE_QUERY, tok, &err), LEDGER_EINVAL);
    assert_int_equal(node_token_add(home, "", NODE_SCOPE_QUERY, tok, &err), LEDGER_EINVAL);
    assert_int_equal(node_token_add(home, "x", 0, tok, &err), LEDGER_EINVAL);
    assert_int_equal(node_token_remove(home, "nosuch", &err), LEDGER_ENOTFOUND);
    assert_int_equal(node_token_remove(home, "erp", &err), 0);
    assert_int_equal(node_token_list(home, &v, &n, NULL, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].name, "viewer");
    free(v);
    rm_home(home);
}

static void test_scopes(void **state)
{
    unsigned s;
    char text[64];
    ledger_err_t err;
    (void)state;
    assert_int_equal(node_token_scopes_parse("capture,query", &s, &err), 0);
    assert_int_equal(s, NODE_SCOPE_CAPTURE | NODE_SCOPE_QUERY);
    assert_int_equal(node_token_scopes_parse("query", &s, &err), 0);
    assert_int_equal(s, NODE_SCOPE_QUERY);
    assert_int_equal(node_token_scopes_parse("capture,admin", &s, &err), LEDGER_EINVAL);
    assert_non_null(strstr(err.msg, "admin"));
    assert_int_equal(node_token_scopes_parse("", &s, &err), LEDGER_EINVAL);
    assert_int_equal(node_token_scopes_parse("captur", &s, &err), LEDGER_EINVAL);
    node_token_scopes_str(NODE_SCOPE_CAPTURE | NODE_SCOPE_QUERY, text, sizeof text);
    assert_string_equal(text, "capture,query");
}

static void test_check(void **state)
{
    char *home = new_home(), all[NODE_TOKEN_TEXT], rd[NODE_TOKEN_TEXT], late[NODE_TOKEN_TEXT];
    char h[200], name[NODE_TOKEN_NAME_MAX + 1];
    node_tokens_t *t;
    ledger_err_t err;
    (void)state;
    assert_int_equal(node_tokens_open(home, &t, &err), 0);
    /* no tokens.json: nobody has a token */
    assert_int_equal(node_tokens_check(t, NULL, NODE_SCOPE_CAPTURE, NULL), NODE_AUTH_NOTOKENS);
    assert_int_equal(node_tokens_check(t, "Bearer keten_x", NODE_SCOPE_QUERY, NULL),
                     NODE_AUTH_NOTOKENS);
    assert_int_equal(node_tokens_exist(t), 0);
    /* made while the view is open: seen at the next check */
    assert_int_equal(node_token_add(home, "erp", NODE_SCOPE_CAPTURE | NODE_SCOPE_QUERY, all, &err),
                     0);
    assert_int_equal(node_token_add(home, "viewer", NODE_SCOPE_QUERY, rd, &err), 0);
    assert_int_equal(node_tokens_exist(t), 1);
    bearer(h, sizeof h, all);
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_CAPTURE, name), NODE_AUTH_OK);
    assert_string_equal(name, "erp");
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_QUERY, NULL), NODE_AUTH_OK);
    bearer(h, sizeof h, rd);
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_QUERY, name), NODE_AUTH_OK);
    assert_string_equal(name, "viewer");
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_CAPTURE, NULL), NODE_AUTH_SCOPE);
    snprintf(h, sizeof h, "bearer   %s", rd); /* the scheme in any case */
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_QUERY, NULL), NODE_AUTH_OK);
    /* missing, not Bearer, unknown, one character off */
    assert_int_equal(node_tokens_check(t, NULL, NODE_SCOPE_QUERY, NULL), NODE_AUTH_MISSING);
    snprintf(h, sizeof h, "Basic %s", rd);
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_QUERY, NULL), NODE_AUTH_MISSING);
    assert_int_equal(node_tokens_check(t, "Bearer", NODE_SCOPE_QUERY, NULL), NODE_AUTH_MISSING);
    assert_int_equal(node_tokens_check(t, "Bearer ", NODE_SCOPE_QUERY, NULL), NODE_AUTH_UNKNOWN);
    bearer(h, sizeof h, rd);
    h[strlen(h) - 1] = h[strlen(h) - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_QUERY, name), NODE_AUTH_UNKNOWN);
    assert_string_equal(name, "");
    /* removed while the view is open: refused at the next check */
    assert_int_equal(node_token_remove(home, "viewer", &err), 0);
    bearer(h, sizeof h, rd);
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_QUERY, NULL), NODE_AUTH_UNKNOWN);
    bearer(h, sizeof h, all);
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_QUERY, NULL), NODE_AUTH_OK);
    assert_int_equal(node_token_add(home, "late", NODE_SCOPE_CAPTURE, late, &err), 0);
    bearer(h, sizeof h, late);
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_CAPTURE, NULL), NODE_AUTH_OK);
    /* every token removed: the file stays, so the query routes stay closed */
    assert_int_equal(node_token_remove(home, "erp", &err), 0);
    assert_int_equal(node_token_remove(home, "late", &err), 0);
    assert_int_equal(node_tokens_exist(t), 1);
    assert_int_equal(node_tokens_check(t, NULL, NODE_SCOPE_QUERY, NULL), NODE_AUTH_MISSING);
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_CAPTURE, NULL), NODE_AUTH_UNKNOWN);
    node_tokens_close(t);
    rm_home(home);
}

static void test_damaged_fails_closed(void **state)
{
    char *home = new_home(), tok[NODE_TOKEN_TEXT], h[200], path[512], *before, *after;
    node_tokens_t *t;
    ledger_err_t err;
    FILE *f;
    (void)state;
    assert_int_equal(node_token_add(home, "erp", NODE_SCOPE_QUERY, tok, &err), 0);
    assert_int_equal(node_tokens_open(home, &t, &err), 0);
    bearer(h, sizeof h, tok);
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_QUERY, NULL), NODE_AUTH_OK);
    snprintf(path, sizeof path, "%s/%s", home, NODE_TOKEN_FILE);
    assert_non_null(f = fopen(path, "w"));
    fputs("{\"keten-tokens\": 1, \"tokens\": [", f); /* cut short */
    fclose(f);
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_QUERY, NULL), NODE_AUTH_BROKEN);
    assert_int_equal(node_tokens_check(t, NULL, NODE_SCOPE_QUERY, NULL), NODE_AUTH_BROKEN);
    assert_int_equal(node_tokens_exist(t), 1);
    assert_non_null(strstr(node_tokens_error(t), NODE_TOKEN_FILE));
    /* a change refuses to overwrite what it cannot read */
    before = read_all(home);
    assert_int_equal(node_token_add(home, "x", NODE_SCOPE_QUERY, tok, &err), LEDGER_EINPUT);
    after = read_all(home);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* a row without a hash */
    assert_non_null(f = fopen(path, "w"));
    fputs("{\"keten-tokens\": 1, \"tokens\": [{\"name\": \"a\", \"scopes\": [\"query\"]}]}", f);
    fclose(f);
    assert_int_equal(node_tokens_check(t, h, NODE_SCOPE_QUERY, NULL), NODE_AUTH_BROKEN);
    node_tokens_close(t);
    rm_home(home);
}

static void test_concurrent_adds(void **state)
{
    char *home = new_home();
    node_token_info_t *v = NULL;
    size_t n = 0;
    ledger_err_t err;
    pid_t pids[8];
    (void)state;
    for (int i = 0; i < 8; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char name[16], tok[NODE_TOKEN_TEXT];
            snprintf(name, sizeof name, "p%d", i);
            _exit(node_token_add(home, name, NODE_SCOPE_CAPTURE, tok, NULL) == 0 ? 0 : 1);
        }
    }
    for (int i = 0; i < 8; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(node_token_list(home, &v, &n, NULL, &err), 0);
    assert_int_equal(n, 8); /* none lost */
    free(v);
    rm_home(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_list_hash_only),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_damaged_fails_closed),
        cmocka_unit_test(test_concurrent_adds),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
