/* fuzz_epcis.c -- libFuzzer target for ledger_epcis.
 *
 * Bytes -> ledger_epcis_doc_parse; for every accepted event: info,
 * identifiers, cbv_short, the event check alone, the standard member order
 * (an equal event, which checks again); then the whole document through the
 * export writer and back through the reader, which must accept it with the
 * same events in the JSON binding's form (ledger_epcis_json_binding: CBV
 * URNs as bare words). Never crash, never leak.
 *
 * Also differential tests: the fast JSON reader (ledger_json.h) against
 * jansson (both must accept the same texts and build equal values), and the
 * streaming reader ledger_epcis_doc_foreach against ledger_epcis_doc_parse
 * (same verdict, same events).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_epcis.h"
#include "ledger_epcis_export.h"
#include "ledger_json.h"

static int count_id(const char *id, enum ledger_epcis_role role, void *ctx)
{
    (void)role;
    if (!id || !*id)
        abort();
    (*(size_t *)ctx)++;
    return 0;
}

static void differential(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *fast = ledger_json_load((const char *)data, size);
    json_t *ref = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);

    /* jansson lets a NUL byte pass right after a number; ledger_epcis_doc_parse
     * refuses NUL bytes before it asks jansson */
    if (!fast && ref && memchr(data, 0, size)) {
        json_decref(ref);
        return;
    }
    if (!fast != !ref) {
        fprintf(stderr, "fast reader %s, jansson %s (%s)\n", fast ? "accepts" : "refuses",
                ref ? "accepts" : "refuses", ref ? "" : je.text);
        abort();
    }
    if (fast && !json_equal(fast, ref)) {
        fprintf(stderr, "fast reader and jansson build different values\n");
        abort();
    }
    json_decref(fast);
    json_decref(ref);
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
        fprintf(stderr, "the export of a good document does not read back: %s\n", err.msg);
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
            fprintf(stderr, "event %zu changed in the export\n", i);
            abort();
        }
        json_decref(a);
        json_decref(b);
    }
    ledger_epcis_doc_free(again);
    free(buf);
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

/* The streaming reader accepts what doc_parse accepts, with the same events. */
static void streaming(const uint8_t *data, size_t size, const ledger_epcis_doc_t *doc)
{
    seen_t s = {doc, 0};
    size_t count;
    ledger_err_t err;
    int rc =
        ledger_epcis_doc_foreach((const char *)data, size, "fuzz", same_event, &s, &count, &err);
    if ((rc == 0) != (doc != NULL) || count != s.n ||
        (doc && count != ledger_epcis_doc_count(doc))) {
        fprintf(stderr, "foreach %d (%s) but doc_parse %s\n", rc, rc ? err.msg : "",
                doc ? "accepts" : "refuses");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_epcis_doc_t *doc = NULL;
    ledger_err_t err;
    size_t i, n;

    differential(data, size);
    if (ledger_epcis_doc_parse((const char *)data, size, "fuzz", &doc, &err) < 0) {
        if (doc || err.msg[0] == '\0')
            abort();
        streaming(data, size, NULL);
        return 0;
    }
    streaming(data, size, doc);
    n = ledger_epcis_doc_count(doc);
    for (i = 0; i < n; i++) {
        json_t *ev = ledger_epcis_doc_event(doc, i);
        ledger_epcis_info_t info;
        size_t ids = 0;
        char word[64];
        if (ledger_epcis_info(ev, &info, &err) < 0)
            abort(); /* a checked event always has its info */
        ledger_epcis_cbv_short(info.biz_step, word, sizeof word);
        ledger_epcis_cbv_short(info.disposition, word, sizeof word);
        if (ledger_epcis_identifiers(ev, count_id, &ids, &err) < 0)
            abort(); /* checked identifiers always have a canonical form or none */
        if (ledger_epcis_event_check(ev, "again", &err) < 0)
            abort();
        json_t *ordered = ledger_epcis_ordered(ev);
        if (!ordered || !json_equal(ordered, ev) ||
            ledger_epcis_event_check(ordered, "ordered", &err) < 0)
            abort();
        json_decref(ordered);
    }
    roundtrip(doc);
    ledger_epcis_doc_free(doc);
    return 0;
}
