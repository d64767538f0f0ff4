/* fuzz_xml.c -- libFuzzer target for the EPCIS XML reader
 * (ledger_epcis_xml.c, ledger_epcis_xmlmap.c).
 *
 * Bytes (a '<' put first when they do not start with one, so that every
 * input takes the XML path) -> ledger_epcis_doc_foreach and
 * ledger_epcis_doc_parse, which must agree (same verdict, same events; a
 * refusal always has a message naming line and column); every event read
 * must be a checked event (info, identifiers, the check again, an event
 * hash); then the events are exported as JSON-LD and read back, and must
 * come back equal to their JSON binding's form (CBV URNs as bare words:
 * ledger_epcis_json_binding); and written as EPCIS 2.0 XML (ledger_epcis_xmlw.h), which
 * must read back with as many events. Never crash, never leak, never hang (no entity is ever
 * expanded).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_epcis.h"
#include "ledger_epcis_export.h"
#include "ledger_epcis_xmlw.h"
#include "ledger_evhash.h"

static int count_id(const char *id, enum ledger_epcis_role role, void *ctx)
{
    (void)role;
    if (!id || !*id)
        abort();
    (*(size_t *)ctx)++;
    return 0;
}

typedef struct seen {
    const ledger_epcis_doc_t *doc; /* NULL: doc_parse refused */
    size_t n;
} seen_t;

static int same_event(json_t *ev, size_t index, void *ctx)
{
    seen_t *s = ctx;
    if (index != s->n++)
        abort();
    if (s->doc && !json_equal(ev, ledger_epcis_doc_event(s->doc, index))) {
        fprintf(stderr, "foreach and doc_parse give different events at %zu\n", index);
        abort();
    }
    return 0;
}

static void roundtrip(ledger_epcis_doc_t *doc)
{
    char *buf = NULL;
    size_t len = 0, i, n = ledger_epcis_doc_count(doc);
    FILE *f = open_memstream(&buf, &len);
    ledger_epcis_export_t *ex = NULL;
    ledger_epcis_doc_t *again = NULL;
    ledger_err_t err;
    int rc = 0;

    if (!f)
        return;
    if (ledger_epcis_export_new(f, &ex, &err) < 0)
        abort();
    for (i = 0; i < n && rc == 0; i++)
        rc = ledger_epcis_export_scan(ex, ledger_epcis_doc_event(doc, i), &err);
    if (rc == 0)
        rc = ledger_epcis_export_begin(ex, &err);
    for (i = 0; i < n && rc == 0; i++)
        rc = ledger_epcis_export_event(ex, ledger_epcis_doc_event(doc, i), &err);
    if (rc == 0) {
        rc = ledger_epcis_export_end(ex, &err);
        ex = NULL;
    }
    ledger_epcis_export_free(ex);
    fclose(f);
    if (rc < 0)
        abort();
    if (ledger_epcis_doc_parse(buf, len, "export", &again, &err) < 0) {
        fprintf(stderr, "the JSON-LD export of an XML document does not read back: %s\n", err.msg);
        abort();
    }
    if (ledger_epcis_doc_count(again) != n)
        abort();
    for (i = 0; i < n; i++) {
        /* export writes the JSON binding's form (CBV URNs as bare words) */
        json_t *a = ledger_epcis_json_binding(ledger_epcis_doc_event(doc, i));
        json_t *b = json_copy(ledger_epcis_doc_event(again, i));
        json_object_del(a, "@context");
        json_object_del(b, "@context");
        if (!json_equal(a, b)) {
            fprintf(stderr, "event %zu changed in the JSON-LD export\n", i);
            abort();
        }
        json_decref(a);
        json_decref(b);
    }
    ledger_epcis_doc_free(again);
    free(buf);
}

/* The events written as XML read back, as many of them. */
static void xml_roundtrip(ledger_epcis_doc_t *doc)
{
    char *buf = NULL;
    size_t len = 0, n = ledger_epcis_doc_count(doc);
    FILE *f = open_memstream(&buf, &len);
    ledger_epcis_xmlw_t *w = NULL;
    ledger_epcis_doc_t *again = NULL;
    ledger_err_t err;
    int rc;

    if (!f)
        return;
    if (ledger_epcis_xmlw_new(f, LEDGER_EPCIS_XMLW_DOCUMENT, &w, &err) < 0 ||
        ledger_epcis_xmlw_begin(w, &err) < 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((rc = ledger_epcis_xmlw_event(w, ledger_epcis_doc_event(doc, i), &err)) < 0) {
            fprintf(stderr, "an event read from XML cannot be written as XML: %s\n", err.msg);
            abort();
        }
    if (ledger_epcis_xmlw_end(w, &err) < 0)
        abort();
    fclose(f);
    if (ledger_epcis_doc_parse(buf, len, "written", &again, &err) < 0) {
        fprintf(stderr, "the XML written does not read back: %s\n%s\n", err.msg, buf);
        abort();
    }
    if (ledger_epcis_doc_count(again) != n)
        abort();
    ledger_epcis_doc_free(again);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_epcis_doc_t *doc = NULL;
    ledger_err_t err;
    char *buf = malloc(size + 1);
    size_t len = size, count = 0;
    seen_t s = {NULL, 0};
    int rc;

    if (!buf)
        return 0;
    if (size && data[0] == '<')
        memcpy(buf, data, size);
    else {
        buf[0] = '<';
        memcpy(buf + 1, data, size);
        len++;
    }
    rc = ledger_epcis_doc_parse(buf, len, "fuzz.xml", &doc, &err);
    if (rc < 0 && (doc || !strstr(err.msg, "fuzz.xml")))
        abort();
    if (rc < 0 && rc != LEDGER_ENOMEM && !strstr(err.msg, "line "))
        abort(); /* every refusal names the line */
    s.doc = doc;
    int rc2 = ledger_epcis_doc_foreach(buf, len, "fuzz.xml", same_event, &s, &count, &err);
    if ((rc2 == 0) != (rc == 0) || count != s.n || (doc && count != ledger_epcis_doc_count(doc))) {
        fprintf(stderr, "foreach %d but doc_parse %d\n", rc2, rc);
        abort();
    }
    for (size_t i = 0; doc && i < ledger_epcis_doc_count(doc); i++) {
        json_t *ev = ledger_epcis_doc_event(doc, i);
        ledger_epcis_info_t info;
        char h[LEDGER_EVHASH_LEN];
        size_t ids = 0;
        if (ledger_epcis_info(ev, &info, &err) < 0 ||
            ledger_epcis_identifiers(ev, count_id, &ids, &err) < 0 ||
            ledger_epcis_event_check(ev, "again", &err) < 0)
            abort(); /* events handed out are checked events */
        ledger_evhash_compute(ev, json_object_get(ev, "@context"), h, &err);
    }
    if (doc) {
        roundtrip(doc);
        xml_roundtrip(doc);
    }
    ledger_epcis_doc_free(doc);
    free(buf);
    return 0;
}
