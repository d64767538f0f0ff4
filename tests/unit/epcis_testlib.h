/* epcis_testlib.h -- helpers shared by test_epcis.c and test_epcis_export.c:
 * where the conformance material is, reading files, parsing text, the table
 * of GS1 examples with their event counts, and message assertions. Included
 * by the tests only. */
#ifndef EPCIS_TESTLIB_H
#define EPCIS_TESTLIB_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "ledger_epcis.h"
#include "ledger_epcis_export.h"
#include "ledger_evhash.h"

static __attribute__((unused)) const char *shared_dir(void)
{
    const char *s = getenv("KETEN_SHARED");
    return s && *s ? s : "../shared";
}

static __attribute__((unused)) char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        fail_msg("cannot open %s (run from the repository root, or set KETEN_SHARED)", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static __attribute__((unused)) ledger_epcis_doc_t *parse_text(const char *text, const char *source)
{
    ledger_epcis_doc_t *doc = NULL;
    ledger_err_t err;
    if (ledger_epcis_doc_parse(text, strlen(text), source, &doc, &err) < 0)
        fail_msg("%s", err.msg);
    return doc;
}

/* Parses text that must be refused; returns the message. */
static __attribute__((unused)) const char *refuse(const char *text, size_t len, const char *source,
                                                  ledger_err_t *err)
{
    ledger_epcis_doc_t *doc = (ledger_epcis_doc_t *)1;
    int rc = ledger_epcis_doc_parse(text, len, source, &doc, err);
    if (rc != LEDGER_EINPUT)
        fail_msg("%s: expected LEDGER_EINPUT, got %d (%s)", source, rc, err->msg);
    assert_null(doc);
    assert_int_equal(err->code, LEDGER_EINPUT);
    return err->msg;
}

static __attribute__((unused)) void assert_has(const char *msg, const char *part)
{
    if (!strstr(msg, part))
        fail_msg("message lacks \"%s\":\n  %s", part, msg);
}

/* ---- (a) the GS1 examples ---- */

/* Event counts, counted in the example files (epcisBody.eventList or
 * epcisBody.queryResults.resultsBody.eventList). */
static const struct example {
    const char *path;
    size_t count;
} examples[] = {
    {"AssociationEvent/AssociationEvent-a.jsonld", 1},
    {"AssociationEvent/AssociationEvent-b.jsonld", 1},
    {"AssociationEvent/AssociationEvent-c.jsonld", 1},
    {"AssociationEvent/AssociationEvent-d.jsonld", 1},
    {"AssociationEvent/AssociationEvent-e.jsonld", 1},
    {"AssociationEvent/AssociationEvent-f.jsonld", 1},
    {"AssociationEvent/AssociationEvent-g.jsonld", 1},
    {"AssociationEvent/AssociationEvent-h.jsonld", 1},
    {"EPCISQueryDocument.jsonld", 2},
    {"Example-TransactionEvents-2020_07_03y.jsonld", 2},
    {"Example-Type-sourceOrDestination,measurement,bizTransaction.jsonld", 1},
    {"Example_9.6.1-ObjectEvent-with-pseudo-SBDH-headers.jsonld", 2},
    {"Example_9.6.1-ObjectEvent.jsonld", 2},
    {"Example_9.6.1-with-comment.jsonld", 2},
    {"Example_9.6.2-ObjectEvent.jsonld", 1},
    {"Example_9.6.3-AggregationEvent.jsonld", 1},
    {"Example_9.6.4-TransformationEvent.jsonld", 1},
    {"PersistentDisposition-example.jsonld", 2},
    {"WithDigitalLinkID/Example_9.6.1-ObjectEventWithDigitalLink.jsonld", 2},
    {"WithDigitalLinkID/Example_9.6.2-ObjectEventWithDigitalLink.jsonld", 1},
    {"WithDigitalLinkID/Example_9.6.3-AggregationEventWithDigitalLink.jsonld", 1},
    {"WithDigitalLinkID/Example_9.6.4-TransformationEventWithDigitalLink.jsonld", 1},
    {"WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld", 2},
    {"WithErrorDeclaration/Example_9.6.1-ObjectEvent-with-error-declaration.jsonld", 2},
    {"WithFullCombinationOfFields/aggregation_event_all_possible_fields.jsonld", 1},
    {"WithFullCombinationOfFields/association_event_all_possible_fields.jsonld", 1},
    {"WithFullCombinationOfFields/object_event_all_possible_fields.jsonld", 1},
    {"WithFullCombinationOfFields/transaction_event_all_possible_fields.jsonld", 1},
    {"WithFullCombinationOfFields/transformation_event_all_possible_fields.jsonld", 1},
    {"WithSensorData/SensorDataExample1.jsonld", 1},
    {"WithSensorData/SensorDataExample10.jsonld", 1},
    {"WithSensorData/SensorDataExample11.jsonld", 1},
    {"WithSensorData/SensorDataExample12.jsonld", 1},
    {"WithSensorData/SensorDataExample13.jsonld", 1},
    {"WithSensorData/SensorDataExample14.jsonld", 1},
    {"WithSensorData/SensorDataExample15.jsonld", 1},
    {"WithSensorData/SensorDataExample16.jsonld", 1},
    {"WithSensorData/SensorDataExample17.jsonld", 1},
    {"WithSensorData/SensorDataExample1b.jsonld", 1},
    {"WithSensorData/SensorDataExample2.jsonld", 1},
    {"WithSensorData/SensorDataExample3.jsonld", 1},
    {"WithSensorData/SensorDataExample4.jsonld", 1},
    {"WithSensorData/SensorDataExample5.jsonld", 1},
    {"WithSensorData/SensorDataExample6.jsonld", 1},
    {"WithSensorData/SensorDataExample7.jsonld", 1},
    {"WithSensorData/SensorDataExample8.jsonld", 1},
    {"WithSensorData/SensorDataExample9.jsonld", 1},
};
#define N_EXAMPLES (sizeof examples / sizeof examples[0])

static __attribute__((unused)) void example_path(const char *rel, char *out, size_t len)
{
    snprintf(out, len, "%s/conformance/epcis-examples/JSON/%s", shared_dir(), rel);
}

static __attribute__((unused)) ledger_epcis_doc_t *parse_example(const char *rel)
{
    char path[1024];
    size_t len;
    char *text;
    ledger_epcis_doc_t *doc = NULL;
    ledger_err_t err;

    example_path(rel, path, sizeof path);
    text = read_all(path, &len);
    if (ledger_epcis_doc_parse(text, len, rel, &doc, &err) < 0)
        fail_msg("%s", err.msg);
    free(text);
    return doc;
}

/* Counts the .jsonld files below dir (relative names into names). */
static __attribute__((unused)) void find_jsonld(const char *root, const char *rel,
                                                char names[][200], size_t *n)
{
    char path[1024];
    DIR *d;
    struct dirent *de;

    snprintf(path, sizeof path, "%s/%s", root, rel);
    d = opendir(path);
    if (!d)
        fail_msg("cannot open %s", path);
    while ((de = readdir(d))) {
        char sub[400], full[1400];
        struct stat st;
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        assert_int_equal(stat(full, &st), 0);
        if (S_ISDIR(st.st_mode))
            find_jsonld(root, sub, names, n);
        else if (l > 7 && strcmp(de->d_name + l - 7, ".jsonld") == 0 && *n < 100 &&
                 strlen(sub) < 200)
            memcpy(names[(*n)++], sub, strlen(sub) + 1);
    }
    closedir(d);
}

static __attribute__((unused)) int count_id(const char *id, enum ledger_epcis_role role, void *ctx)
{
    (void)role;
    assert_true(strlen(id) > 4);
    (*(size_t *)ctx)++;
    return 0;
}

/* Identifiers in an event, counted from the JSON (one per list element). */
static __attribute__((unused)) size_t expected_ids(const json_t *ev)
{
    static const char *const lists[] = {
        "epcList",      "quantityList",      "childEPCs",     "childQuantityList",
        "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
        "sourceList",   "destinationList"};
    size_t n = json_object_get(ev, "parentID") ? 1 : 0, i;
    for (i = 0; i < sizeof lists / sizeof lists[0]; i++)
        n += json_array_size(json_object_get(ev, lists[i]));
    return n;
}

static __attribute__((unused)) char *export_doc(ledger_epcis_doc_t *doc, int indent, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    ledger_epcis_export_t *ex = NULL;
    ledger_err_t err;
    size_t i, n = ledger_epcis_doc_count(doc);

    assert_non_null(f);
    assert_int_equal(ledger_epcis_export_new(f, &ex, &err), 0);
    if (indent)
        assert_int_equal(ledger_epcis_export_set_indent(ex, indent), 0);
    for (i = 0; i < n; i++)
        assert_int_equal(ledger_epcis_export_scan(ex, ledger_epcis_doc_event(doc, i), &err), 0);
    assert_int_equal(ledger_epcis_export_begin(ex, &err), 0);
    for (i = 0; i < n; i++)
        assert_int_equal(ledger_epcis_export_event(ex, ledger_epcis_doc_event(doc, i), &err), 0);
    assert_int_equal(ledger_epcis_export_end(ex, &err), 0);
    fclose(f);
    return buf;
}

static __attribute__((unused)) json_t *without_context(const json_t *ev)
{
    json_t *c = json_copy((json_t *)ev);
    assert_non_null(c);
    json_object_del(c, "@context");
    return c;
}

static __attribute__((unused)) void hash_of(const json_t *ev, char out[LEDGER_EVHASH_LEN],
                                            const char *what)
{
    ledger_err_t err;
    if (ledger_evhash_compute(ev, NULL, out, &err) < 0)
        fail_msg("%s: %s", what, err.msg);
}

#endif
