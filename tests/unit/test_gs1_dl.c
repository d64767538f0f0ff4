/* test_gs1_dl.c -- unit tests of the GS1 parsers in readers/: the AI
 * table (gs1_ai), element strings (gs1_elem) and Digital Link URIs
 * (gs1_dl).
 *
 * Every file in $KETEN_SHARED/conformance/digital-link/ is read directly:
 *  - gs1-syntax-dictionary.txt: parsed here again, independently of
 *    tests/tools/gen_ai_table.py, and compared entry by entry with the
 *    compiled table, so that the table cannot drift from the dictionary;
 *  - gs1-syntax-engine_dl-uri-to-ai-element-string.csv (73 must parse, 45
 *    must fail), _ai-element-string-to-dl-uri.csv, _uri-escape.csv,
 *    _uri-unescape.csv: the syntax engine's own vectors, with the engine
 *    options of each row mapped to GS1_* flags;
 *  - digital-link.js_uri-validity.csv, GS1DigitalLinkToolkit.js_readme-
 *    examples.csv and digital-link.js_identifier-list.json where they apply
 *    (the rows that do not are counted and say why).
 * The other tests pin down behaviour the vectors leave open (scanner output,
 * error messages, the canonical forms).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "csv_testlib.h"
#include "gs1_ai.h"
#include "gs1_dl.h"
#include "gs1_elem.h"

/* The syntax engine's options of a row, as our flags. */
static unsigned engine_flags(const char *opts)
{
    unsigned f = 0;
    if (strstr(opts, "permitConvenienceAlphas=true"))
        f |= GS1_ALPHAS;
    if (strstr(opts, "permitZeroSuppressedGTINinDLuris=true"))
        f |= GS1_ZERO_SUPPRESSED;
    if (strstr(opts, "permitUnknownAIs=true"))
        f |= GS1_UNKNOWN_AIS;
    if (strstr(opts, "validate_UNKNOWN_AI_NOT_DL_ATTR=false"))
        f |= GS1_UNKNOWN_ATTRS;
    return f;
}

/* ---- the compiled table against the dictionary file --------------------- */

static bool is_flag_token(const char *t)
{
    for (; *t; t++)
        if (!strchr("*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~", *t))
            return false;
    return true;
}

/* Parses one component token ("N13,csum", "[X..17]", "[N3],iso3166") into c
 * and lint names; false if t is not a component. */
static bool parse_comp(const char *t, gs1_ai_comp_t *c, char lints[3][24], int *nl)
{
    const char *p = t;
    bool open = false;
    memset(c, 0, sizeof *c);
    *nl = 0;
    if (*p == '[') {
        open = true;
        p++;
    }
    if (!strchr("NXYZ", *p) || !*p)
        return false;
    c->cset = *p++;
    if (p[0] == '.' && p[1] == '.') {
        c->min = 1;
        c->max = (unsigned char)strtoul(p + 2, (char **)&p, 10);
    } else if (*p >= '0' && *p <= '9') {
        c->min = c->max = (unsigned char)strtoul(p, (char **)&p, 10);
    } else {
        return false;
    }
    if (open) {
        if (*p != ']')
            return false;
        p++;
        c->optional = 1;
    }
    while (*p == ',') {
        size_t n = strcspn(p + 1, ",");
        if (*nl >= 3 || n >= 24)
            return false;
        memcpy(lints[*nl], p + 1, n);
        lints[(*nl)++][n] = 0;
        p += 1 + n;
    }
    return *p == 0;
}

static void test_table_matches_dictionary(void **state)
{
    (void)state;
    FILE *fp = open_shared("digital-link/gs1-syntax-dictionary.txt");
    char line[1024];
    size_t entries = 0, failures = 0;

    while (fgets(line, sizeof line, fp)) {
        char *title = strchr(line, '#'), *tok[32], *save = NULL;
        int nt = 0, k = 0;
        unsigned long first, last;
        char flags[8] = "", req[256] = "", ex[256] = "", dlpkey[64] = "";
        bool is_pkey = false;
        gs1_ai_comp_t comps[8];
        char lints[8][3][24];
        int nl[8], nc = 0;

        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0)
            continue;
        if (title) {
            *title++ = 0;
            title += strspn(title, " \t");
            title[strcspn(title, "\r\n")] = 0;
            for (size_t e = strlen(title); e > 0 && title[e - 1] == ' '; e--)
                title[e - 1] = 0;
        }
        for (char *t = strtok_r(line, " \t\r\n", &save); t && nt < 32;
             t = strtok_r(NULL, " \t\r\n", &save))
            tok[nt++] = t;
        assert_true(nt >= 2);
        first = strtoul(tok[0], NULL, 10);
        last = strchr(tok[0], '-') ? strtoul(strchr(tok[0], '-') + 1, NULL, 10) : first;
        k = 1;
        if (is_flag_token(tok[k]))
            snprintf(flags, sizeof flags, "%s", tok[k++]);
        while (k < nt && nc < 8 && parse_comp(tok[k], &comps[nc], lints[nc], &nl[nc])) {
            nc++;
            k++;
        }
        for (; k < nt; k++) {
            char *dst = NULL;
            if (strcmp(tok[k], "dlpkey") == 0) {
                is_pkey = true;
            } else if (strncmp(tok[k], "dlpkey=", 7) == 0) {
                is_pkey = true;
                snprintf(dlpkey, sizeof dlpkey, "%s", tok[k] + 7);
            } else if (strncmp(tok[k], "req=", 4) == 0) {
                dst = req;
            } else if (strncmp(tok[k], "ex=", 3) == 0) {
                dst = ex;
            } else {
                fail_msg("dictionary: unknown attribute '%s'", tok[k]);
            }
            if (dst) {
                const char *v = strchr(tok[k], '=') + 1;
                size_t o = strlen(dst);
                snprintf(dst + o, 256 - o, "%s%s", o ? " " : "", v);
            }
        }
        for (unsigned long ai = first; ai <= last; ai++) {
            char name[8];
            const gs1_ai_t *e;
            unsigned want_flags = (strchr(flags, '*') ? GS1_AI_FIXED : 0) |
                                  (strchr(flags, '?') ? GS1_AI_DL_ATTR : 0) |
                                  (is_pkey ? GS1_AI_DL_PKEY : 0);
            snprintf(name, sizeof name, "%0*lu", (int)strcspn(tok[0], "-"), ai);
            entries++;
            e = gs1_ai_lookup(name, strlen(name), 0);
            if (!e) {
                print_error("AI (%s) is in the dictionary but not in the table\n", name);
                failures++;
                continue;
            }
            if (e->flags != want_flags || e->ncomp != nc ||
                strcmp(e->dlpkey ? e->dlpkey : "", dlpkey) != 0 ||
                (is_pkey != (e->dlpkey != NULL)) || strcmp(e->req ? e->req : "", req) != 0 ||
                strcmp(e->ex ? e->ex : "", ex) != 0 ||
                strcmp(e->title ? e->title : "", title ? title : "") != 0) {
                print_error("AI (%s): flags/attributes/title differ from the dictionary\n", name);
                failures++;
                continue;
            }
            for (int c = 0; c < nc; c++) {
                const gs1_ai_comp_t *tc = &e->comp[c];
                bool same = tc->cset == comps[c].cset && tc->min == comps[c].min &&
                            tc->max == comps[c].max && tc->optional == comps[c].optional;
                for (int j = 0; j < 3; j++) {
                    const char *tn = gs1_ai_lint_name(tc->lint[j]);
                    const char *dn = j < nl[c] ? lints[c][j] : NULL;
                    if ((tn == NULL) != (dn == NULL) || (tn && strcmp(tn, dn) != 0))
                        same = false;
                }
                if (!same) {
                    print_error("AI (%s): component %d differs from the dictionary\n", name, c + 1);
                    failures++;
                }
            }
        }
    }
    fclose(fp);
    print_message("dictionary: %zu AIs compared with the table (%zu entries), %zu differences\n",
                  entries, gs1_ai_count(), failures);
    assert_int_equal(entries, gs1_ai_count());
    assert_int_equal(failures, 0);
}

/* ---- the syntax engine's vectors ---------------------------------------- */

static void test_engine_dl_to_element_string(void **state)
{
    (void)state;
    FILE *fp = open_shared("digital-link/gs1-syntax-engine_dl-uri-to-ai-element-string.csv");
    char line[2048], buf[2048], out[1024];
    char *f[8];
    int must_parse = 0, must_fail = 0, parsed = 0, failed = 0, failures = 0;
    static gs1_ai_list_t l;

    assert_non_null(fgets(line, sizeof line, fp));
    while (fgets(line, sizeof line, fp)) {
        gs1_err_t err;
        int nf = csv_split(line, buf, f, 8), rc;
        bool want = strcmp(f[0], "true") == 0;
        if (nf < 5)
            continue;
        rc = gs1_dl_parse(f[1], strlen(f[1]), engine_flags(f[3]), &l, NULL, &err);
        if (want) {
            must_parse++;
            if (rc == 0)
                rc = gs1_elem_raw(&l, '^', GS1_ELEM_LEADING_FNC1, out, sizeof out, &err);
            if (rc == 0 && strcmp(out, f[2]) == 0) {
                parsed++;
            } else {
                print_error("%s: '%s' [%s]\n  want %s\n  got  %s (%s)\n", f[4], f[1], f[3], f[2],
                            rc ? "" : out, rc ? err.msg : "");
                failures++;
            }
        } else {
            must_fail++;
            if (rc < 0) {
                failed++;
            } else {
                print_error("%s: '%s' [%s] must fail, parsed\n", f[4], f[1], f[3]);
                failures++;
            }
        }
    }
    fclose(fp);
    print_message("dl-uri-to-ai-element-string: %d/%d must-parse, %d/%d must-fail\n", parsed,
                  must_parse, failed, must_fail);
    assert_int_equal(must_parse, 73);
    assert_int_equal(must_fail, 45);
    assert_int_equal(failures, 0);
}

static void test_engine_element_string_to_dl(void **state)
{
    (void)state;
    FILE *fp = open_shared("digital-link/gs1-syntax-engine_ai-element-string-to-dl-uri.csv");
    char line[2048], buf[2048], out[1024];
    char *f[8];
    int rows = 0, ok = 0, want_ok = 0, want_fail = 0, failures = 0;
    static gs1_ai_list_t l;

    assert_non_null(fgets(line, sizeof line, fp));
    while (fgets(line, sizeof line, fp)) {
        gs1_err_t err;
        int nf = csv_split(line, buf, f, 8), rc;
        bool want = strcmp(f[0], "true") == 0;
        unsigned flags;
        if (nf < 6)
            continue;
        rows++;
        flags = engine_flags(f[4]);
        rc = gs1_elem_parse(f[2], strlen(f[2]), flags, &l, &err);
        if (rc == 0)
            rc = gs1_dl_build(&l, *f[1] ? f[1] : NULL, flags, out, sizeof out, &err);
        want ? want_ok++ : want_fail++;
        if (want ? (rc == 0 && strcmp(out, f[3]) == 0) : rc < 0) {
            ok++;
        } else {
            print_error("%s: '%s' stem '%s'\n  want %s\n  got  %s (%s)\n", f[5], f[2], f[1],
                        want ? f[3] : "(failure)", rc ? "" : out, rc ? err.msg : "");
            failures++;
        }
    }
    fclose(fp);
    print_message("ai-element-string-to-dl-uri: %d/%d rows (%d must convert, %d must fail)\n", ok,
                  rows, want_ok, want_fail);
    assert_int_equal(rows, 22);
    assert_int_equal(failures, 0);
}

/* The CSV holds the expected bytes >= 0x80 as UTF-8 of U+0080..U+00FF (the
 * C test wrote them as single bytes); turn them back into those bytes. */
static void utf8_to_latin1(char *s)
{
    unsigned char *i = (unsigned char *)s, *o = (unsigned char *)s;
    while (*i) {
        if ((i[0] == 0xC2 || i[0] == 0xC3) && (i[1] & 0xC0) == 0x80) {
            *o++ = (unsigned char)(((i[0] & 0x03) << 6) | (i[1] & 0x3F));
            i += 2;
        } else {
            *o++ = *i++;
        }
    }
    *o = 0;
}

static void test_engine_escape(void **state)
{
    (void)state;
    char line[512], buf[512], out[512];
    char *f[6];
    int rows = 0, failures = 0;
    FILE *fp = open_shared("digital-link/gs1-syntax-engine_uri-escape.csv");

    assert_non_null(fgets(line, sizeof line, fp));
    while (fgets(line, sizeof line, fp)) {
        if (csv_split(line, buf, f, 6) < 4)
            continue;
        rows++;
        for (int q = 0; q < 2; q++) {
            size_t n = gs1_dl_escape(f[0], strlen(f[0]), q, out, sizeof out);
            if (n == (size_t)-1 || strcmp(out, f[1 + q]) != 0) {
                print_error("%s: escape '%s' (%s): want '%s' got '%s'\n", f[3], f[0],
                            q ? "query" : "path", f[1 + q], out);
                failures++;
            }
        }
    }
    fclose(fp);
    print_message("uri-escape: %d rows x (path, query), %d failures\n", rows, failures);
    assert_int_equal(rows, 10);
    assert_int_equal(failures, 0);

    rows = 0;
    fp = open_shared("digital-link/gs1-syntax-engine_uri-unescape.csv");
    assert_non_null(fgets(line, sizeof line, fp));
    while (fgets(line, sizeof line, fp)) {
        if (csv_split(line, buf, f, 6) < 4)
            continue;
        rows++;
        for (int q = 0; q < 2; q++) {
            size_t n = gs1_dl_unescape(f[0], strlen(f[0]), q, out, sizeof out);
            utf8_to_latin1(f[1 + q]);
            if (n == (size_t)-1 || strcmp(out, f[1 + q]) != 0) {
                print_error("%s: unescape '%s' (%s): want '%s' got '%s'\n", f[3], f[0],
                            q ? "query" : "path", f[1 + q], out);
                failures++;
            }
        }
    }
    fclose(fp);
    print_message("uri-unescape: %d rows x (path, query), %d failures\n", rows, failures);
    assert_int_equal(rows, 21);
    assert_int_equal(failures, 0);
    /* %00 is refused */
    assert_true(gs1_dl_unescape("A%00B", 5, false, out, sizeof out) == (size_t)-1);
}

/* ---- the JavaScript toolkits' vectors ------------------------------------ */

static void test_digital_link_js_validity(void **state)
{
    (void)state;
    FILE *fp = open_shared("digital-link/digital-link.js_uri-validity.csv");
    char line[1024], buf[1024];
    char *f[6];
    int applied = 0, ok = 0, skipped = 0;
    static gs1_ai_list_t l;

    assert_non_null(fgets(line, sizeof line, fp));
    while (fgets(line, sizeof line, fp)) {
        gs1_err_t err;
        int rc;
        bool want;
        if (csv_split(line, buf, f, 6) < 5)
            continue;
        /* compressed Digital Links (the "compress" row and "dlnkd.tn.gg"
         * URIs) are not implemented: not applicable */
        if (strcmp(f[0], "isValid") != 0 || strstr(f[3], "compressed")) {
            skipped++;
            continue;
        }
        applied++;
        want = strcmp(f[2], "true") == 0;
        /* digital-link.js accepts GTIN-8/12/13 and a trailing slash: the
         * lenient flags, which keten's identifier reader uses too */
        rc = gs1_dl_parse(f[1], strlen(f[1]), GS1_LENIENT, &l, NULL, &err);
        if ((rc == 0) == want)
            ok++;
        else
            print_error("%s: '%s' want %s, got %s (%s)\n", f[4], f[1], f[2],
                        rc ? "invalid" : "valid", rc ? err.msg : "");
    }
    fclose(fp);
    print_message("digital-link.js uri-validity: %d/%d applicable rows pass, %d not applicable "
                  "(compressed URIs)\n",
                  ok, applied, skipped);
    assert_int_equal(applied, 9);
    assert_int_equal(ok, applied);
}

/* Compares list l with the JSON object text map (AI -> value). */
static bool list_equals_map(const gs1_ai_list_t *l, const char *map)
{
    json_error_t je;
    json_t *o = json_loads(map, 0, &je);
    bool same = o && json_is_object(o) && json_object_size(o) == l->n;
    for (size_t i = 0; same && i < l->n; i++) {
        const char *v = json_string_value(json_object_get(o, l->f[i].ai));
        same = v && strcmp(v, l->f[i].value) == 0;
    }
    json_decref(o);
    return same;
}

static void test_toolkit_readme(void **state)
{
    (void)state;
    FILE *fp = open_shared("digital-link/GS1DigitalLinkToolkit.js_readme-examples.csv");
    char line[2048], buf[2048], in[512], out[1024], out2[1024];
    char *f[6];
    int applied = 0, ok = 0, skipped = 0;
    static gs1_ai_list_t l, l2;

    assert_non_null(fgets(line, sizeof line, fp));
    while (fgets(line, sizeof line, fp)) {
        gs1_err_t err;
        int rc = 0;
        bool pass = false;
        char *g;
        if (csv_split(line, buf, f, 6) < 4)
            continue;
        /* useShortText asks for deprecated convenience alphas in the output,
         * which keten never writes; the first such row is also flagged as a
         * README error by the collectors */
        if (strstr(f[2], "useShortText=true")) {
            skipped++;
            continue;
        }
        applied++;
        snprintf(in, sizeof in, "%s", f[1]);
        while ((g = strstr(in, "<GS>")) != NULL) {
            *g = GS1_ELEM_GS;
            memmove(g + 1, g + 4, strlen(g + 4) + 1);
        }
        snprintf(out2, sizeof out2, "%s", f[3]);
        while ((g = strstr(out2, "<GS>")) != NULL) {
            *g = GS1_ELEM_GS;
            memmove(g + 1, g + 4, strlen(g + 4) + 1);
        }
        if (strcmp(f[0], "element_strings_to_dl") == 0) {
            rc = gs1_elem_parse(in, strlen(in), 0, &l, &err);
            if (!rc)
                rc = gs1_dl_build(&l, NULL, 0, out, sizeof out, &err);
            pass = !rc && strcmp(out, out2) == 0;
        } else if (strcmp(f[0], "dl_to_element_strings") == 0) {
            rc = gs1_dl_parse(in, strlen(in), GS1_LENIENT, &l, NULL, &err);
            if (!rc && strstr(f[2], "brackets=true"))
                rc = gs1_elem_bracketed(&l, out, sizeof out, &err);
            else if (!rc) /* the toolkit puts predefined-length AIs first */
                rc = gs1_elem_raw(&l, GS1_ELEM_GS, GS1_ELEM_FIXED_FIRST, out, sizeof out, &err);
            pass = !rc && strcmp(out, out2) == 0;
        } else if (strcmp(f[0], "element_strings_to_ai_map") == 0) {
            rc = gs1_elem_parse(in, strlen(in), 0, &l, &err);
            pass = !rc && list_equals_map(&l, f[3]);
        } else if (strcmp(f[0], "dl_to_ai_map") == 0) {
            rc = gs1_dl_parse(in, strlen(in), GS1_LENIENT, &l, NULL, &err);
            pass = !rc && list_equals_map(&l, f[3]);
        } else if (strcmp(f[0], "ai_map_to_element_strings") == 0) {
            /* the map in its order -> Digital Link -> back: key, qualifiers,
             * attributes, as the toolkit orders them */
            json_error_t je;
            json_t *o = json_loads(in, JSON_PRESERVE_ORDER, &je), *v;
            const char *k;
            gs1_ai_list_clear(&l);
            json_object_foreach(o, k, v)
            {
                const char *s = json_string_value(v);
                rc =
                    rc ? rc
                       : gs1_ai_list_add(&l, k, gs1_ai_lookup(k, strlen(k), 0), s, strlen(s), &err);
            }
            json_decref(o);
            if (!rc)
                rc = gs1_dl_build(&l, NULL, 0, out, sizeof out, &err);
            if (!rc)
                rc = gs1_dl_parse(out, strlen(out), 0, &l2, NULL, &err);
            if (!rc)
                rc = gs1_elem_bracketed(&l2, out, sizeof out, &err);
            pass = !rc && strcmp(out, out2) == 0;
        } else {
            fail_msg("unknown operation '%s'", f[0]);
        }
        if (pass)
            ok++;
        else
            print_error("%s '%s': want '%s' got '%s' (%s)\n", f[0], f[1], f[3], rc ? "" : out,
                        rc ? err.msg : "");
    }
    fclose(fp);
    print_message("GS1DigitalLinkToolkit.js README: %d/%d applicable rows pass, %d not "
                  "applicable (convenience alpha output)\n",
                  ok, applied, skipped);
    assert_int_equal(applied, 6);
    assert_int_equal(ok, applied);
}

static void test_identifier_list(void **state)
{
    (void)state;
    char path[1024];
    json_error_t je;
    json_t *arr, *it;
    size_t i, checked = 0;

    snprintf(path, sizeof path, "%s/conformance/digital-link/digital-link.js_identifier-list.json",
             shared_dir());
    arr = json_load_file(path, 0, &je);
    if (!arr)
        fail_msg("cannot read %s: %s", path, je.text);
    json_array_foreach(arr, i, it)
    {
        const char *code = json_string_value(json_object_get(it, "code"));
        json_t *qs = json_object_get(it, "keyQualifiers"), *q;
        const gs1_ai_t *e = gs1_ai_lookup(code, strlen(code), 0);
        char seq[3][5];
        size_t k, nq = 0;
        assert_non_null(e);
        if (!(e->flags & GS1_AI_DL_PKEY))
            fail_msg("(%s) is a primary key in digital-link.js, not in the dictionary", code);
        json_array_foreach(qs, k, q)
        {
            assert_true(nq < 3);
            snprintf(seq[nq++], 5, "%s", json_string_value(q));
        }
        /* the older list's full qualifier sequence must be one the dictionary
         * allows (the dictionary adds (235) for (01), (7040) for (414),
         * (417) and (8004), and the primary key (415)) */
        if (!gs1_ai_dl_seq_ok(e, (const char(*)[5])seq, nq, NULL))
            fail_msg("(%s): qualifier sequence of digital-link.js not allowed", code);
        checked++;
    }
    json_decref(arr);
    print_message("digital-link.js identifier-list: %zu primary keys agree with the dictionary\n",
                  checked);
    assert_int_equal(checked, 15);
}

/* ---- behaviour the vectors leave open ------------------------------------ */

static void expect_elem_error(const char *s, const char *msg_part)
{
    static gs1_ai_list_t l;
    gs1_err_t err;
    int rc = gs1_elem_parse(s, strlen(s), 0, &l, &err);
    if (rc != GS1_EINPUT || !strstr(err.msg, msg_part))
        fail_msg("'%s': want EINPUT with '%s', got %d '%s'", s, msg_part, rc, rc ? err.msg : "");
}

static void test_element_strings(void **state)
{
    (void)state;
    static gs1_ai_list_t l;
    gs1_err_t err;
    char out[512];
    const char *raw = "]d2010541234500001310LOT42\x1d"
                      "21SN001";

    assert_int_equal(gs1_elem_parse(raw, strlen(raw), 0, &l, &err), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(gs1_elem_bracketed(&l, out, sizeof out, &err), 0);
    assert_string_equal(out, "(01)05412345000013(10)LOT42(21)SN001");
    assert_int_equal(gs1_elem_raw(&l, GS1_ELEM_GS, 0, out, sizeof out, &err), 0);
    assert_string_equal(out, raw + 3);
    /* leading FNC1, FNC1 after a fixed-length AI, GS1-128 and QR ids */
    raw = "\x1d"
          "0105412345000013\x1d"
          "10A";
    assert_int_equal(gs1_elem_parse(raw, strlen(raw), 0, &l, &err), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(gs1_elem_parse("]C10105412345000013", 19, 0, &l, &err), 0);
    assert_int_equal(gs1_elem_parse("]Q30105412345000013", 19, 0, &l, &err), 0);
    /* EAN-13 read with its symbology identifier: a GTIN */
    assert_int_equal(gs1_elem_parse("]E05412345000013", 16, 0, &l, &err), 0);
    assert_string_equal(l.f[0].value, "05412345000013");
    /* escaped bracket in the bracketed form, both ways */
    assert_int_equal(gs1_elem_parse("(01)05412345000013(10)A\\(B", 26, 0, &l, &err), 0);
    assert_string_equal(l.f[1].value, "A(B");
    assert_int_equal(gs1_elem_bracketed(&l, out, sizeof out, &err), 0);
    assert_string_equal(out, "(01)05412345000013(10)A\\(B");

    expect_elem_error("(01)05412345000014", "AI (01): check digit is 4, expected 3");
    expect_elem_error("]d20105412345000014", "check digit is 4, expected 3");
    expect_elem_error("(01)0541234500001", "too short");
    expect_elem_error("(10)LOT~42", "character '~' at position 4");
    expect_elem_error("(17)9(90)217", "AI (17)");
    expect_elem_error("(17)201399", "month 13");
    expect_elem_error("(99)", "empty value");
    expect_elem_error("(10)A(10)B", "given twice with different values");
    expect_elem_error("(21)SN1", "AI (21) requires AI (01) or (03) or (8006)");
    expect_elem_error("(01)05412345000013(02)05412345000013(37)1", "must not appear together");
    expect_elem_error("]d201054123450000", "AI (01) at position 4: value is too short");
    expect_elem_error("]d2230123", "unknown AI (230)");
    expect_elem_error("]Q1hello", "does not mark GS1 data");
    expect_elem_error("(8013)1987654Ad4X4bL5ttr2310c2L", "check character pair is '2L'");
    assert_int_equal(gs1_elem_parse("(8013)1987654Ad4X4bL5ttr2310c2K", 31, 0, &l, &err), 0);
    /* the pairing rules can be left to the caller (another barcode) */
    assert_int_equal(gs1_elem_parse("(21)SN1", 7, GS1_NO_PAIRS, &l, &err), 0);
}

static void test_canonical_forms(void **state)
{
    (void)state;
    static gs1_ai_list_t l;
    gs1_err_t err;
    char out[512];
    size_t npath;
    const char *uri =
        "https://example.com/shop/01/05412345000013/22/V1/10/L%2B1/21/S%2F1?17=261231";

    assert_int_equal(gs1_dl_parse(uri, strlen(uri), 0, &l, &npath, &err), 0);
    assert_int_equal(npath, 4);
    assert_int_equal(gs1_dl_canonical(&l, out, sizeof out, &err), 0);
    assert_string_equal(out, "https://id.gs1.org/01/05412345000013/22/V1/10/L%2B1/21/S%2F1");
    assert_int_equal(gs1_dl_key(&l, out, sizeof out, &err), 0);
    assert_string_equal(out, "https://id.gs1.org/01/05412345000013/21/S%2F1");
    assert_int_equal(gs1_dl_build(&l, NULL, 0, out, sizeof out, &err), 0);
    assert_string_equal(out,
                        "https://id.gs1.org/01/05412345000013/22/V1/10/L%2B1/21/S%2F1?17=261231");
    /* too small a buffer */
    assert_int_equal(gs1_dl_key(&l, out, 20, &err), GS1_ETOOBIG);
    /* lenient: GTIN-13, convenience alphas, trailing slash */
    uri = "http://example.com/gtin/5412345000013/lot/A1/";
    assert_int_equal(gs1_dl_parse(uri, strlen(uri), 0, &l, NULL, &err), GS1_EINPUT);
    assert_int_equal(gs1_dl_parse(uri, strlen(uri), GS1_LENIENT, &l, NULL, &err), 0);
    assert_int_equal(gs1_dl_key(&l, out, sizeof out, &err), 0);
    assert_string_equal(out, "https://id.gs1.org/01/05412345000013/10/A1");
    /* errors name what is wrong */
    uri = "https://id.gs1.org/01/05412345000014";
    assert_int_equal(gs1_dl_parse(uri, strlen(uri), 0, &l, NULL, &err), GS1_EINPUT);
    assert_non_null(strstr(err.msg, "AI (01): check digit is 4, expected 3"));
    uri = "https://id.gs1.org/01/05412345000013/21/A/10/B";
    assert_int_equal(gs1_dl_parse(uri, strlen(uri), 0, &l, NULL, &err), GS1_EINPUT);
    assert_non_null(strstr(err.msg, "(21)(10) are not allowed after (01)"));
    /* what looks like a Digital Link */
    assert_true(gs1_dl_looks_like("https://x.org/a/01/123", 22, 0));
    assert_false(gs1_dl_looks_like("https://x.org/a/01/b", 20, 0));
    assert_false(gs1_dl_looks_like("https://x.org/gtin/123", 22, 0));
    assert_true(gs1_dl_looks_like("https://x.org/gtin/123", 22, GS1_ALPHAS));
    assert_false(gs1_dl_looks_like("https://x.org/", 14, 0));
}

/* The primitives issue 13 made cheaper (gs1_ai.c) against plain
 * reimplementations of what they did before: the table search for every
 * 2-4 digit name, the check digit, set 82, and GS1_CHECK_DIGIT_MADE
 * skipping the first component's csum linter and nothing else. */
static int ref_check_digit(const char *s, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = (unsigned char)s[n - 1 - i] - '0';
        if (d < 0 || d > 9)
            return -1;
        sum += (i % 2 == 0) ? 3 * d : d;
    }
    return (10 - sum % 10) % 10;
}

static void test_ai_primitives(void **state)
{
    (void)state;
    char name[5], v[24];
    gs1_err_t err;
    unsigned seed = 13;

    for (int len = 2; len <= 4; len++) {
        int lim = len == 2 ? 100 : len == 3 ? 1000 : 10000;
        for (int x = 0; x < lim; x++) {
            const gs1_ai_t *want = NULL;
            snprintf(name, sizeof name, "%0*d", len, x);
            for (size_t i = 0; i < gs1_ai_count(); i++)
                if (strcmp(gs1_ai_at(i)->ai, name) == 0)
                    want = gs1_ai_at(i);
            assert_ptr_equal(gs1_ai_lookup(name, (size_t)len, 0), want);
        }
    }
    for (int k = 0; k < 20000; k++) {
        size_t n = (size_t)(k % 21);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            v[i] = (char)('0' + (seed >> 16) % 10);
        }
        if (k % 7 == 0 && n > 0)
            v[(seed >> 8) % n] = (char)("x/:9"[(seed >> 4) % 4]);
        assert_int_equal(gs1_ai_check_digit(v, n), ref_check_digit(v, n));
    }
    for (int c = -1; c < 256; c++) {
        bool want = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c > 0 && c < 128 && strchr("!\"%&'()*+,-./:;<=>?_", c));
        assert_int_equal(gs1_ai_in_set82(c), want);
    }
    /* 05412345000013 is right; ...14 is not */
    const gs1_ai_t *gtin = gs1_ai_lookup("01", 2, 0), *itip = gs1_ai_lookup("8006", 4, 0);
    assert_int_equal(gs1_ai_validate("01", gtin, "05412345000013", 14, 0, &err), 0);
    assert_int_equal(gs1_ai_validate("01", gtin, "05412345000014", 14, 0, &err), GS1_EINPUT);
    assert_non_null(strstr(err.msg, "check digit"));
    assert_int_equal(
        gs1_ai_validate("01", gtin, "05412345000014", 14, GS1_CHECK_DIGIT_MADE, &err), 0);
    /* the other linters still run: ITIP piece 00 of total 00 */
    assert_int_equal(gs1_ai_validate("8006", itip, "054123450000130000", 18, 0, &err), GS1_EINPUT);
    assert_int_equal(
        gs1_ai_validate("8006", itip, "054123450000130000", 18, GS1_CHECK_DIGIT_MADE, &err),
        GS1_EINPUT);
    assert_int_equal(
        gs1_ai_validate("8006", itip, "054123450000140102", 18, GS1_CHECK_DIGIT_MADE, &err), 0);
    assert_int_equal(gs1_ai_validate("8006", itip, "054123450000140102", 18, 0, &err), GS1_EINPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_dictionary),
        cmocka_unit_test(test_ai_primitives),
        cmocka_unit_test(test_engine_dl_to_element_string),
        cmocka_unit_test(test_engine_element_string_to_dl),
        cmocka_unit_test(test_engine_escape),
        cmocka_unit_test(test_digital_link_js_validity),
        cmocka_unit_test(test_toolkit_readme),
        cmocka_unit_test(test_identifier_list),
        cmocka_unit_test(test_element_strings),
        cmocka_unit_test(test_canonical_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
