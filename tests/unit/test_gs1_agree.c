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
 *
 * The same inputs check gs1_key_read, the record path's one reading of an
 * identifier, against gs1_ident_key and gs1_key_hash read one by one.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <ftw.h>
#include <jansson.h>

#include "gs1_dl.h"
#include "gs1_ident.h"
#include "gs1_key.h"
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

/* Every URI of the conformance data and the interop files, sorted. */
static void load_tokens(void)
{
    static const char *const dirs[] = {"conformance/digital-link", "conformance/epc-tds",
                                       "conformance/event-hash", "conformance/epcis-examples",
                                       "interop"};
    char path[1024];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", shared(), dirs[i]);
        assert_int_equal(nftw(path, visit, 16, FTW_PHYS), 0);
    }
    qsort(g_toks.v, g_toks.n, sizeof *g_toks.v, cmp_str);
}

static void free_tokens(void)
{
    for (size_t i = 0; i < g_toks.n; i++)
        free(g_toks.v[i]);
    free(g_toks.v);
    memset(&g_toks, 0, sizeof g_toks);
}

static void test_record_key_is_decode_key(void **state)
{
    (void)state;
    size_t inputs = 0, disagree = 0, refused = 0;

    load_tokens();
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
    free_tokens();
}

/* Identifiers where the one-parse reading of gs1_key_read could go wrong:
 * the two readings differ (check digits, case, query, escapes, a GIAI
 * starting with a letter, blanks), or there is no GS1 key at all. */
static const char *const edge_cases[] = {
    "urn:epc:id:sgtin:5412345.000012.77",
    "URN:EPC:ID:sgtin:5412345.000012.77",
    "urn:epc:id:sgtin:5412345.000012.77 ",
    "urn:epc:id:sgtin:5412345.00012.77",
    "urn:epc:id:sgln:5412345.00002.0",
    "urn:epc:id:giai:5412345.TL-77",
    "urn:epc:id:gid:95100000.12345.400",
    "urn:epc:id:bic:CSQU3054383",
    "urn:epc:idpat:sgtin:5412345.000012.*",
    "urn:epc:class:lgtin:5412345.000012.LOT1",
    "urn:epc:tag:sgtin-96:3.5412345.000012.77",
    "https://id.gs1.org/01/05412345000129/21/77",
    "https://id.gs1.org/01/05412345000128/21/77",
    "https://id.gs1.org/01/05412345000129/21/77?17=250101",
    "https://id.gs1.org/01/05412345000129/21/77#x",
    "https://id.gs1.org/01/05412345000129?21=77",
    "https://id.gs1.org/01/05412345000129/10/L1?22=A",
    "https://id.gs1.org/414/5412345000020?254=1",
    "https://id.gs1.org/01/05412345000129/21/7%2",
    "https://id.gs1.org/01/05412345000129/21/7%25",
    "https://id.gs1.org/8004/ABC123",
    "https://id.gs1.org/8004/0614141ABC123",
    "https://example.com/01/05412345000129/10/L1/21/9",
    "https://example.com/foo.bar",
    "HTTPS://ID.GS1.ORG/01/05412345000129",
    "https://id.gs1.org/01/5412345000129",
    "https://id.gs1.org/gtin/05412345000129/ser/5",
    "http://id.gs1.org/01/05412345000129/",
    "https://id.gs1.org/00/354123450000000011",
    "https://id.gs1.org/414/5412345000020/254/1",
    "2025-12-01T08:00:00.000Z",
    "12.5",
    "urn:uuid:7f3a8a7e-8f5e-4c3b-9a7e-2a4d1b2c3d4e",
};

/* The hash form as key_hash reads it without the one-parse path: for a
 * Digital Link without query string, the same URI with an empty one (the
 * event hash drops it; the '?' keeps the reading off the shared path). */
static int hash_read_twice(const char *u, char *out, size_t cap)
{
    char q[GS1_KEY_READ_MAX + 2];
    if ((strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0) &&
        !strpbrk(u, "?#") && strlen(u) + 2 <= cap && cap <= sizeof q) {
        int rc;
        snprintf(q, sizeof q, "%s?", u);
        rc = gs1_key_hash(q, out, cap, NULL);
        if (rc == GS1_ENOTFOUND) /* a copy of q: of u, then */
            out[strlen(out) - 1] = '\0';
        return rc;
    }
    return gs1_key_hash(u, out, cap, NULL);
}

/* One check of gs1_key_read against the two readings it stands for;
 * 1 when they disagree (printed). */
static int read_disagrees(const char *u)
{
    gs1_key_reading_t r, again;
    char key[GS1_KEY_READ_MAX], hash[GS1_KEY_READ_MAX], stored[LEDGER_IDENT_KEY_MAX];
    char want[LEDGER_IDENT_KEY_MAX];
    int krc, hrc, bad = 0;

    assert_int_equal(gs1_key_read(u, &r), 0);
    krc = gs1_ident_key(u, strlen(u), NULL, key, sizeof key, NULL);
    hrc = hash_read_twice(u, hash, sizeof hash);
    if (krc != r.key_rc || (krc == 0 && strcmp(key, r.key) != 0)) {
        print_message("key of %s: read %d %s, gs1_ident_key %d %s\n", u, r.key_rc, r.key, krc,
                      krc == 0 ? key : "");
        bad = 1;
    }
    /* a DL with '#' is refused or not by its fragment's escapes either way */
    if ((hrc != r.hash_rc || ((hrc == 0 || hrc == GS1_ENOTFOUND) && strcmp(hash, r.hash) != 0)) &&
        !(strchr(u, '#') && hrc < 0 && r.hash_rc < 0)) {
        print_message("hash of %s: read %d %s, gs1_key_hash %d %s\n", u, r.hash_rc, r.hash, hrc,
                      hash);
        bad = 1;
    }
    /* the memo answers the same */
    assert_int_equal(gs1_key_read(u, &again), 0);
    if (again.key_rc != r.key_rc || again.hash_rc != r.hash_rc || strcmp(again.key, r.key) != 0 ||
        strcmp(again.hash, r.hash) != 0) {
        print_message("memo of %s answers differently\n", u);
        bad = 1;
    }
    /* and the index key of a stored event is what it was: the key, else
     * the hash form, else the text */
    if (ledger_ident_key(u, want, sizeof want, NULL) != 0 &&
        gs1_key_hash(u, want, sizeof want, NULL) != 0)
        snprintf(want, sizeof want, "%s", u);
    ledger_ident_key_stored(u, stored);
    if (strcmp(stored, want) != 0) {
        print_message("stored key of %s: %s, want %s\n", u, stored, want);
        bad = 1;
    }
    return bad;
}

/* gs1_key_read (one parse for the index key and the event hash, issue 13)
 * answers exactly what gs1_ident_key and gs1_key_hash answer one by one,
 * for every identifier of the conformance data and the edge cases. */
static void test_read_once_is_read_twice(void **state)
{
    size_t inputs = 0, disagree = 0;
    char longurl[700];
    (void)state;
    load_tokens();
    for (size_t i = 0; i < g_toks.n; i++) {
        if (i && strcmp(g_toks.v[i], g_toks.v[i - 1]) == 0)
            continue;
        inputs++;
        disagree += (size_t)read_disagrees(g_toks.v[i]);
    }
    for (size_t i = 0; i < sizeof edge_cases / sizeof edge_cases[0]; i++, inputs++)
        disagree += (size_t)read_disagrees(edge_cases[i]);
    /* longer than the reading holds: the stored key takes the long way */
    memset(longurl, 'a', sizeof longurl - 1);
    longurl[sizeof longurl - 1] = '\0';
    memcpy(longurl, "https://example.com/", 20);
    disagree += (size_t)read_disagrees(longurl);
    print_message("read once: %zu identifiers, %zu disagree\n", inputs, disagree);
    assert_true(inputs > 300);
    assert_int_equal(disagree, 0);
    free_tokens();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_key_is_decode_key),
        cmocka_unit_test(test_read_once_is_read_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
