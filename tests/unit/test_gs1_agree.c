/* test_gs1_agree.c -- the ledger and `keten decode` agree on every
 * identifier: one set of GS1 rules (gs1/), one canonical key.
 *
 * Every URI that looks like a GS1 identifier (EPC URN, Digital Link) found
 * in $KETEN_SHARED/conformance/{digital-link,epc-tds,event-hash,
 * epcis-examples} and $KETEN_SHARED/interop is read twice:
 *  - the ledger's way: the check `keten record` runs on an event's
 *    identifier (ledger_epcis_event_check on an ObjectEvent whose epcList is
 *    that URI) and, when it passes, the key the store indexes it by
 *    (ledger_epcis_identifiers, what ledger_rows keys the index with);
 *  - decode's way: gs1_ident_parse() and its key.
 * Both must accept with the same key, or both refuse with the same message
 * (decode's message is a part of record's).  The test prints how many
 * inputs it read and how many disagree, and fails on any disagreement.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <ftw.h>
#include <jansson.h>

#include "gs1_dl.h"
#include "gs1_ident.h"
#include "ledger_epcis.h"

static const char *shared(void)
{
    const char *s = getenv("KETEN_SHARED");
    return s && *s ? s : "../shared";
}

typedef struct {
    char **v;
    size_t n, cap;
} toks_t;

static toks_t g_toks;

static void add_tok(const char *p, size_t n)
{
    while (n > 0 && (p[n - 1] == '.' || p[n - 1] == ')' || p[n - 1] == ';'))
        n--; /* prose around a URI */
    if (n < 10 || n > 400)
        return;
    if (g_toks.n == g_toks.cap) {
        g_toks.cap = g_toks.cap ? 2 * g_toks.cap : 1024;
        g_toks.v = realloc(g_toks.v, g_toks.cap * sizeof *g_toks.v);
        assert_non_null(g_toks.v);
    }
    g_toks.v[g_toks.n] = strndup(p, n);
    assert_non_null(g_toks.v[g_toks.n]);
    g_toks.n++;
}

static int uri_byte(int c)
{
    return c > 0x20 && c < 0x7f && !strchr("\"'<>\\`,]{}|^[", c);
}

static void scan_text(const char *s, size_t n)
{
    static const char *const starts[] = {"urn:epc:", "https://", "http://"};
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < 3; k++) {
            size_t l = strlen(starts[k]), e;
            if (n - i < l || memcmp(s + i, starts[k], l) != 0)
                continue;
            for (e = i; e < n && uri_byte((unsigned char)s[e]); e++)
                ;
            add_tok(s + i, e - i);
            i = e;
            break;
        }
    }
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type != FTW_F || st->st_size > 8 * 1024 * 1024 || st->st_size == 0)
        return 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    char *buf = malloc((size_t)st->st_size);
    size_t n = buf ? fread(buf, 1, (size_t)st->st_size, fp) : 0;
    fclose(fp);
    if (buf && !memchr(buf, '\0', n))
        scan_text(buf, n);
    free(buf);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What the ledger makes of uri: 0 and its index key, or an error message. */
typedef struct {
    char key[1024];
    int n;
} key_cb_t;

static int take_key(const char *id, enum ledger_epcis_role role, void *ctx)
{
    key_cb_t *k = ctx;
    (void)role;
    if (k->n++ == 0)
        snprintf(k->key, sizeof k->key, "%s", id);
    return 0;
}

static int ledger_side(const char *uri, char *key, size_t cap, ledger_err_t *err)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:[s], s:s}", "type", "ObjectEvent", "eventTime",
                           "2024-01-01T00:00:00.000Z", "eventTimeZoneOffset", "+00:00", "epcList",
                           uri, "action", "OBSERVE");
    key_cb_t k = {.n = 0};
    int rc;
    assert_non_null(ev);
    err->msg[0] = '\0';
    rc = ledger_epcis_event_check(ev, "event", err);
    if (rc == 0)
        rc = ledger_epcis_identifiers(ev, take_key, &k, err);
    json_decref(ev);
    if (rc == 0)
        snprintf(key, cap, "%s", k.key);
    return rc;
}

static void test_record_key_is_decode_key(void **state)
{
    (void)state;
    static const char *const dirs[] = {"conformance/digital-link", "conformance/epc-tds",
                                       "conformance/event-hash", "conformance/epcis-examples",
                                       "interop"};
    size_t inputs = 0, disagree = 0, refused = 0;
    char path[1024];

    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", shared(), dirs[i]);
        assert_int_equal(nftw(path, visit, 16, FTW_PHYS), 0);
    }
    qsort(g_toks.v, g_toks.n, sizeof *g_toks.v, cmp_str);
    for (size_t i = 0; i < g_toks.n; i++) {
        const char *u = g_toks.v[i];
        char lkey[1024];
        ledger_err_t lerr;
        gs1_err_t gerr;
        gs1_ident_t id;
        int lrc, grc;
        bool gs1like;
        if (i && strcmp(u, g_toks.v[i - 1]) == 0)
            continue;
        gs1like = strncmp(u, "urn:epc:", 8) == 0 || gs1_dl_looks_like(u, strlen(u), GS1_ALPHAS);
        if (!gs1like)
            continue;
        inputs++;
        lrc = ledger_side(u, lkey, sizeof lkey, &lerr);
        grc = gs1_ident_parse(u, strlen(u), NULL, &id, &gerr);
        if (lrc == 0 && grc == 0) {
            if (strcmp(lkey, id.key) != 0) {
                disagree++;
                print_message("key: %s\n  record %s\n  decode %s\n", u, lkey, id.key);
            }
        } else if (lrc != 0 && grc != 0) {
            refused++;
            if (!strstr(lerr.msg, gerr.msg)) {
                disagree++;
                print_message("message: %s\n  record %s\n  decode %s\n", u, lerr.msg, gerr.msg);
            }
        } else {
            disagree++;
            print_message("%s: %s\n  %s\n",
                          lrc ? "record refuses, decode takes" : "record takes, decode refuses", u,
                          lrc ? lerr.msg : gerr.msg);
        }
        if (grc == 0)
            gs1_ident_clear(&id);
    }
    print_message("agreement: %zu identifiers, %zu refused by both, %zu disagree\n", inputs,
                  refused, disagree);
    assert_true(inputs > 300);
    assert_int_equal(disagree, 0);
    for (size_t i = 0; i < g_toks.n; i++)
        free(g_toks.v[i]);
    free(g_toks.v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_key_is_decode_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
