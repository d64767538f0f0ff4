/* test_epcis_xml.c -- unit tests of the EPCIS XML binding (ledger_epcis_xml.c,
 * reached through ledger_epcis_doc_foreach / ledger_epcis_doc_parse).
 *
 * (a) event-hash vectors: every $KETEN_SHARED/conformance/event-hash/
 *     examples/ (every .xml) is read, each event hashed with its own @context (and
 *     the document's repository-x:ignoreFields, read here with libxml2's
 *     tree API), and each hash and pre-hash must equal the .hashes and
 *     .prehashes lines;
 * (b) the 37 GS1 XML examples (conformance/epcis-examples/XML): each is read
 *     with its event count, or refused with the reason (capture-job and
 *     master-data documents are not event documents); where GS1 ships a
 *     JSON-LD twin, the event hashes of both are equal;
 * (c) EPCIS 1.2: a document with the 1.2 wrappers (baseExtension,
 *     extension, EventList/extension/TransformationEvent, ILMD, quantities
 *     and sources in extensions) gives the same events (json_equal after
 *     the JSON-LD reader) and hashes as its 2.0 JSON-LD form;
 * (d) bad input: each case names file, line, column, event and element, and
 *     nothing is handed out after the bad event; the text and depth limits;
 * (e) forms that must read the same: encodings, CDATA, entity and character
 *     references, default and rebound namespaces, a 1.x query document.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "ledger_epcis.h"
#include "ledger_evhash.h"

static const char *shared_dir(void)
{
    const char *s = getenv("KETEN_SHARED");
    return s && *s ? s : "../shared";
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static char **read_lines(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    char **v = NULL, *line = NULL;
    size_t cap = 0, len = 0;
    ssize_t r;

    *n = 0;
    if (!f)
        return NULL;
    while ((r = getline(&line, &cap, f)) >= 0) {
        while (r > 0 && (line[r - 1] == '\n' || line[r - 1] == '\r'))
            line[--r] = 0;
        if (r == 0)
            continue;
        v = realloc(v, (len + 2) * sizeof *v);
        assert_non_null(v);
        v[len++] = strdup(line);
        v[len] = NULL;
    }
    free(line);
    fclose(f);
    *n = len;
    return v;
}

static void free_lines(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* The events of a document, kept (json_incref). */
typedef struct {
    json_t *events;
} keep_t;

static int keep(json_t *ev, size_t i, void *ctx)
{
    keep_t *k = ctx;
    (void)i;
    return json_array_append(k->events, ev);
}

static json_t *read_events(const char *path, ledger_err_t *err, int *rc)
{
    size_t len, count = 0;
    char *buf = slurp(path, &len);
    keep_t k = {json_array()};

    *rc = ledger_epcis_doc_foreach(buf, len, path, keep, &k, &count, err);
    free(buf);
    if (*rc == 0)
        assert_int_equal(count, json_array_size(k.events));
    return k.events;
}

/* The reference generator's ignoreFields of an XML document: the children
 * of {https://repository-x.example.com/}ignoreFields, as "prefix:local". */
static json_t *xml_ignore_fields(const char *path)
{
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    json_t *out = NULL;

    assert_non_null(doc);
    for (xmlNodePtr n = xmlDocGetRootElement(doc)->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || !n->ns ||
            strcmp((const char *)n->ns->href, "https://repository-x.example.com/") != 0 ||
            strcmp((const char *)n->name, "ignoreFields") != 0)
            continue;
        out = json_array();
        for (xmlNodePtr c = n->children; c; c = c->next) {
            char key[256];
            if (c->type != XML_ELEMENT_NODE)
                continue;
            snprintf(key, sizeof key, "%s%s%s",
                     c->ns && c->ns->prefix ? (const char *)c->ns->prefix : "",
                     c->ns && c->ns->prefix ? ":" : "", (const char *)c->name);
            json_array_append_new(out, json_string(key));
        }
    }
    xmlFreeDoc(doc);
    return out;
}

/* ---- (a) event-hash vectors ---- */

/* Where the reference generator's XML path and its JSON-LD path disagree
 * for the same event, keten (which hashes the JSON-LD model of every event,
 * whatever its binding) gives the JSON-LD answer: a sensor booleanValue is
 * the XML text "true" there and Python's True from JSON; a user extension
 * element named "...List" gets its items renamed by the JSON-LD layout
 * correction ("xList" -> "x").  The expected pre-hash of these events is
 * the vector's with these replacements, applied once each, in order. */
static const struct known {
    const char *file;
    size_t event;
    const char *from[3], *to[3];
} known[] = {
    {"SensorDataExamples.xml", 6, {"booleanValue=true"}, {"booleanValue=True"}},
    {"SensorDataExamples.xml", 8, {"booleanValue=true"}, {"booleanValue=True"}},
    {"epcisDocWithTransformationEventWithMultipleExtensions.xml",
     0,
     {"resourceList{https://circ4life.eecc.info/epcis}epc",
      "wasteList{https://circ4life.eecc.info/epcis}wasteElement",
      "/sink/landfill{https://circ4life.eecc.info/epcis}waste="},
     {"resourceList{https://circ4life.eecc.info/epcis}resource{https://circ4life.eecc.info/epcis}"
      "epc",
      "wasteList{https://circ4life.eecc.info/epcis}waste{https://circ4life.eecc.info/epcis}"
      "wasteElement",
      "/sink/landfill{https://circ4life.eecc.info/epcis}waste="}},
};

/* The expected pre-hash of event i of file (malloc'd), and its hash. */
static char *expected_prehash(const char *file, size_t i, const char *pre, int *adjusted)
{
    char *s = strdup(pre);

    *adjusted = 0;
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        if (strcmp(known[k].file, file) != 0 || known[k].event != i)
            continue;
        *adjusted = 1;
        for (size_t r = 0; r < 3 && known[k].from[r]; r++) {
            char *at = strstr(s, known[k].from[r]), *t;
            size_t fl = strlen(known[k].from[r]), tl = strlen(known[k].to[r]);
            if (!at)
                fail_msg("%s event %zu: the vector has no \"%s\"", file, i, known[k].from[r]);
            t = malloc(strlen(s) - fl + tl + 1);
            assert_non_null(t);
            memcpy(t, s, (size_t)(at - s));
            memcpy(t + (at - s), known[k].to[r], tl);
            strcpy(t + (at - s) + tl, at + fl);
            free(s);
            s = t;
        }
    }
    return s;
}

static void test_hash_vectors(void **state)
{
    (void)state;
    char dir[1024], path[2048];
    DIR *d;
    struct dirent *e;
    int files = 0, events = 0, failures = 0, pre_ok = 0, known_ok = 0;

    snprintf(dir, sizeof dir, "%s/conformance/event-hash/examples", shared_dir());
    d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s (set KETEN_SHARED)", dir);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name), nh, np, i;
        char **hashes, **pre;
        json_t *evs, *ignore, *ev;
        ledger_err_t err;
        int rc;

        if (l < 5 || strcmp(e->d_name + l - 4, ".xml") != 0)
            continue;
        files++;
        snprintf(path, sizeof path, "%s/%.*s.hashes", dir, (int)(l - 4), e->d_name);
        hashes = read_lines(path, &nh);
        if (!hashes)
            fail_msg("missing %s", path);
        snprintf(path, sizeof path, "%s/%.*s.prehashes", dir, (int)(l - 4), e->d_name);
        pre = read_lines(path, &np);
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        evs = read_events(path, &err, &rc);
        if (rc)
            fail_msg("%s: %s", e->d_name, err.msg);
        ignore = xml_ignore_fields(path);
        if (json_array_size(evs) != nh) {
            print_error("%s: %zu events, %zu hashes\n", e->d_name, json_array_size(evs), nh);
            failures++;
        }
        json_array_foreach(evs, i, ev)
        {
            char h[LEDGER_EVHASH_LEN], *p = NULL;
            const json_t *ctx = json_object_get(ev, "@context");
            events++;
            assert_int_equal(ledger_evhash_compute_ex(ev, ctx, ignore, h, &err), 0);
            assert_int_equal(ledger_evhash_prehash_ex(ev, ctx, ignore, &p, &err), 0);
            int adjusted = 0;
            char *want = i < np ? expected_prehash(e->d_name, i, pre[i], &adjusted) : NULL;
            if (adjusted) {
                /* the vector's hash is of its own pre-hash, ours of the adjusted one */
                assert_string_not_equal(h, hashes[i]);
                if (strcmp(p, want) != 0) {
                    fprintf(stderr, "%s event %zu (known difference):\n  got  %s\n  want %s\n",
                            e->d_name, i, p, want);
                    failures++;
                } else
                    known_ok++;
            } else if (i >= nh || strcmp(h, hashes[i]) != 0) {
                char *js = json_dumps(ev, JSON_COMPACT);
                fprintf(stderr,
                        "%s event %zu:\n  want %s\n  got  %s\n  pre  %s\n  want %s\n  json %s\n",
                        e->d_name, i, i < nh ? hashes[i] : "-", h, p, i < np ? pre[i] : "-", js);
                free(js);
                failures++;
            } else if (pre && i < np) {
                assert_string_equal(p, pre[i]);
                pre_ok++;
            }
            free(want);
            free(p);
        }
        json_decref(ignore);
        json_decref(evs);
        free_lines(hashes);
        free_lines(pre);
    }
    closedir(d);
    print_message("event-hash XML vectors: %d files, %d events, %d failures, %d hashes and "
                  "pre-hashes equal, %d known differences as expected\n",
                  files, events, failures, pre_ok, known_ok);
    assert_int_equal(files, 17);
    assert_int_equal(failures, 0);
    assert_int_equal(events, 46);
    assert_int_equal(known_ok, 3);
    assert_int_equal(pre_ok, 43);
}

/* ---- (b) the GS1 XML examples ---- */

/* Each of the 37 XML documents: its event count, or the words of its
 * refusal (a capture job and master data are not event documents; two are
 * valid per the XSD but not per the JSON Schema every event is checked
 * against). twin: the JSON-LD version GS1 ships (several files for one),
 * and same: a bit per event, set where both give the same event hash (the
 * others differ in content, GS1's files not being exact translations: the
 * reason is noted). */
static const struct example {
    const char *path;
    int count; /* -1: refused */
    const char *refusal;
    const char *twin[8];
    unsigned same;
} gs1_xml[] = {
    {"AssociationEvent/AssociationEventExamples.xml",
     8,
     NULL,
     {"AssociationEvent/AssociationEvent-a.jsonld", "AssociationEvent/AssociationEvent-b.jsonld",
      "AssociationEvent/AssociationEvent-c.jsonld", "AssociationEvent/AssociationEvent-d.jsonld",
      "AssociationEvent/AssociationEvent-e.jsonld", "AssociationEvent/AssociationEvent-f.jsonld",
      "AssociationEvent/AssociationEvent-g.jsonld", "AssociationEvent/AssociationEvent-h.jsonld"},
     0xff},
    {"CBV/CBV-11.1-2020-06-16a.xml", 1, NULL, {NULL}, 0},
    {"CBV/CBV-11.2-2020-06-16a.xml", 1, NULL, {NULL}, 0},
    {"CBV/CBV-11.3-2020-06-16a.xml", 1, NULL, {NULL}, 0},
    {"CBV/CBV-11.4-2020-06-16a.xml",
     -1,
     "line 8, column 42: an EPCISMasterDataDocument holds master data",
     {NULL},
     0},
    {"CaptureJob/Example-CaptureJobRunning.xml",
     -1,
     "an EPCISCaptureJob is a capture job of the EPCIS 2.0 REST binding",
     {NULL},
     0},
    {"CaptureJob/Example-CaptureJobSuccess.xml",
     -1,
     "an EPCISCaptureJob is a capture job of the EPCIS 2.0 REST binding",
     {NULL},
     0},
    {"CaptureJob/Example-CaptureJobWithErrorFile.xml",
     -1,
     "an EPCISCaptureJob is a capture job of the EPCIS 2.0 REST binding",
     {NULL},
     0},
    {"CaptureJob/Example-CaptureJobWithErrors.xml",
     -1,
     "an EPCISCaptureJob is a capture job of the EPCIS 2.0 REST binding",
     {NULL},
     0},
    /* JSON Schema: no persistentDisposition in an AggregationEvent (the JSON-LD twin's event is an
       ObjectEvent) */
    {"Example-PersistentDisposition.xml",
     -1,
     "line 6, column 21: event 0: \"persistentDisposition\" is not a field of an AggregationEvent",
     {NULL},
     0},
    /* event 1: the extension's namespace has no trailing slash in the XML, one in the JSON-LD */
    {"Example-TransactionEvent-2020_07_03y.xml",
     2,
     NULL,
     {"Example-TransactionEvents-2020_07_03y.jsonld"},
     0x1},
    /* event 1: rail:vehicleUniquelyIdentified is the text "true" in XML, JSON true in JSON-LD */
    {"Example_9.6.1-ObjectEvent-2020_06_18a.xml",
     2,
     NULL,
     {"Example_9.6.1-ObjectEvent.jsonld"},
     0x1},
    {"Mimasu/Example-associatonEvent-sensor.xml", 8, NULL, {NULL}, 0},
    {"Mimasu/Example-masterData.xml",
     -1,
     "an EPCISMasterDataDocument holds master data",
     {NULL},
     0},
    {"Mimasu/Example1.xml", 2, NULL, {NULL}, 0},
    {"Mimasu/Example2.xml", 1, NULL, {NULL}, 0},
    {"Mimasu/Example3.xml", 1, NULL, {NULL}, 0},
    {"Mimasu/Example4.xml", 1, NULL, {NULL}, 0},
    /* both events: the XML's input quantity is xsi:nil, the JSON-LD's 500 KGM */
    {"WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.xml",
     2,
     NULL,
     {"WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld"},
     0},
    {"WithEventHashID/event_with_identical_hash_id_1.xml", 1, NULL, {NULL}, 0},
    {"WithEventHashID/event_with_identical_hash_id_2.xml", 1, NULL, {NULL}, 0},
    {"WithEventHashID/event_with_identical_hash_id_3.xml", 1, NULL, {NULL}, 0},
    {"WithEventHashID/event_with_identical_hash_id_4.xml", 1, NULL, {NULL}, 0},
    {"WithEventHashID/event_with_identical_hash_id_5.xml", 1, NULL, {NULL}, 0},
    {"WithEventHashID/event_with_identical_hash_id_6.xml", 1, NULL, {NULL}, 0},
    {"WithExtension/AggregationEvent.xml", 1, NULL, {NULL}, 0},
    {"WithExtension/AssociationEvent.xml", 1, NULL, {NULL}, 0},
    {"WithExtension/ObjectEvent.xml", 2, NULL, {NULL}, 0},
    {"WithExtension/TransactionEvent.xml", 1, NULL, {NULL}, 0},
    {"WithExtension/TransformationEvent.xml", 1, NULL, {NULL}, 0},
    /* the five: the JSON-LD twins have a certificationInfo the XML files lack */
    {"WithFullCombinationOfFields/aggregation_event_all_possible_fields.xml",
     1,
     NULL,
     {"WithFullCombinationOfFields/aggregation_event_all_possible_fields.jsonld"},
     0},
    {"WithFullCombinationOfFields/association_event_all_possible_fields.xml",
     1,
     NULL,
     {"WithFullCombinationOfFields/association_event_all_possible_fields.jsonld"},
     0},
    {"WithFullCombinationOfFields/masterdata_all_possible_fields.xml",
     0,
     NULL,
     {NULL},
     0}, /* master data in its header only */
    {"WithFullCombinationOfFields/object_event_all_possible_fields.xml",
     1,
     NULL,
     {"WithFullCombinationOfFields/object_event_all_possible_fields.jsonld"},
     0},
    {"WithFullCombinationOfFields/transaction_event_all_possible_fields.xml",
     1,
     NULL,
     {"WithFullCombinationOfFields/transaction_event_all_possible_fields.jsonld"},
     0},
    {"WithFullCombinationOfFields/transformation_event_all_possible_fields.xml",
     1,
     NULL,
     {"WithFullCombinationOfFields/transformation_event_all_possible_fields.jsonld"},
     0},
    /* JSON Schema: a sensorReport needs a type (the XSD makes it optional) */
    {"WithSensorData/SensorDataExamples.xml",
     -1,
     "line 228, column 16: event 8: sensorElementList[0].sensorReport[0]: type is missing",
     {NULL},
     0},
};

/* The event hashes of the events of the JSON-LD files (their documents'
 * contexts merged into the events by the reader). */
static json_t *twin_hashes(const char *const *twin)
{
    char path[2048];
    json_t *out = json_array();

    for (size_t t = 0; t < 8 && twin[t]; t++) {
        ledger_epcis_doc_t *doc;
        ledger_err_t err;
        size_t len;
        char *buf;
        snprintf(path, sizeof path, "%s/conformance/epcis-examples/JSON/%s", shared_dir(), twin[t]);
        buf = slurp(path, &len);
        if (ledger_epcis_doc_parse(buf, len, path, &doc, &err) < 0)
            fail_msg("%s", err.msg);
        for (size_t i = 0; i < ledger_epcis_doc_count(doc); i++) {
            json_t *ev = ledger_epcis_doc_event(doc, i);
            char h[LEDGER_EVHASH_LEN];
            assert_int_equal(ledger_evhash_compute(ev, json_object_get(ev, "@context"), h, &err),
                             0);
            json_array_append_new(out, json_string(h));
        }
        ledger_epcis_doc_free(doc);
        free(buf);
    }
    return out;
}

static void test_gs1_examples(void **state)
{
    (void)state;
    char path[2048];
    size_t n = sizeof gs1_xml / sizeof gs1_xml[0];
    int read = 0, refused = 0, same = 0, events = 0;

    assert_int_equal(n, 37);
    for (size_t k = 0; k < n; k++) {
        const struct example *ex = &gs1_xml[k];
        ledger_err_t err;
        json_t *evs, *tw, *ev;
        size_t i;
        int rc;

        snprintf(path, sizeof path, "%s/conformance/epcis-examples/XML/%s", shared_dir(), ex->path);
        evs = read_events(path, &err, &rc);
        if (ex->count < 0) {
            if (rc != LEDGER_EINPUT)
                fail_msg("%s: read (%d), expected a refusal", ex->path, rc);
            if (!strstr(err.msg, ex->refusal) || !strstr(err.msg, ex->path))
                fail_msg("%s: message \"%s\" lacks \"%s\"", ex->path, err.msg, ex->refusal);
            refused++;
            json_decref(evs);
            continue;
        }
        if (rc)
            fail_msg("%s: %s", ex->path, err.msg);
        assert_int_equal(json_array_size(evs), (size_t)ex->count);
        read++;
        events += ex->count;
        json_array_foreach(evs, i, ev)
        {
            ledger_epcis_info_t info;
            if (ledger_epcis_info(ev, &info, &err) < 0)
                fail_msg("%s event %zu: %s", ex->path, i, err.msg);
            assert_true(info.event_time_ms > 0);
        }
        if (!ex->twin[0]) {
            json_decref(evs);
            continue;
        }
        tw = twin_hashes(ex->twin);
        assert_int_equal(json_array_size(tw), json_array_size(evs));
        json_array_foreach(evs, i, ev)
        {
            char h[LEDGER_EVHASH_LEN];
            int eq;
            assert_int_equal(ledger_evhash_compute(ev, json_object_get(ev, "@context"), h, &err),
                             0);
            eq = strcmp(h, json_string_value(json_array_get(tw, i))) == 0;
            if (eq != !!(ex->same & (1u << i)))
                fail_msg("%s event %zu: the JSON-LD twin's hash is %s, expected %s", ex->path, i,
                         eq ? "equal" : "different", eq ? "different" : "equal");
            same += eq;
        }
        json_decref(tw);
        json_decref(evs);
    }
    print_message("GS1 XML examples: %d read (%d events), %d refused with the reason, %d events "
                  "with the JSON-LD twin's hash\n",
                  read, events, refused, same);
    assert_int_equal(read, 29);
    assert_int_equal(refused, 8);
    assert_int_equal(same, 10);
}

/* WithEventHashID: GS1's documents of one event written in different ways
 * (order of fields and lists, CURIEs, time zones of eventTime) that must
 * give one event hash; file 2 differs in content (its
 * eventTimeZoneOffset is -05:00, not -06:00), so its hash differs. */
static void test_identical_hash_ids(void **state)
{
    (void)state;
    char path[2048], first[LEDGER_EVHASH_LEN] = "";

    for (int f = 1; f <= 6; f++) {
        ledger_err_t err;
        char h[LEDGER_EVHASH_LEN];
        int rc;
        json_t *evs;
        snprintf(
            path, sizeof path,
            "%s/conformance/epcis-examples/XML/WithEventHashID/event_with_identical_hash_id_%d.xml",
            shared_dir(), f);
        evs = read_events(path, &err, &rc);
        if (rc)
            fail_msg("%s", err.msg);
        assert_int_equal(json_array_size(evs), 1);
        json_t *ev = json_array_get(evs, 0);
        assert_int_equal(ledger_evhash_compute(ev, json_object_get(ev, "@context"), h, &err), 0);
        if (f == 1)
            strcpy(first, h);
        else if (f == 2)
            assert_string_not_equal(h, first);
        else
            assert_string_equal(h, first);
        json_decref(evs);
    }
}

/* ---- (c) EPCIS 1.2 brought to 2.0 ---- */

static json_t *without_context(json_t *ev)
{
    json_t *c = json_copy(ev);
    json_object_del(c, "@context");
    return c;
}

static void test_epcis12(void **state)
{
    (void)state;
    ledger_epcis_doc_t *x, *j;
    ledger_err_t err;
    size_t lx, lj;
    char *bx = slurp("tests/data/epcis/xml/epcis12.xml", &lx);
    char *bj = slurp("tests/data/epcis/xml/epcis12.jsonld", &lj);

    if (ledger_epcis_doc_parse(bx, lx, "epcis12.xml", &x, &err) < 0)
        fail_msg("%s", err.msg);
    if (ledger_epcis_doc_parse(bj, lj, "epcis12.jsonld", &j, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(ledger_epcis_doc_count(x), 4);
    assert_int_equal(ledger_epcis_doc_count(j), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *ex = ledger_epcis_doc_event(x, i), *ej = ledger_epcis_doc_event(j, i);
        json_t *cx = without_context(ex), *cj = without_context(ej);
        char hx[LEDGER_EVHASH_LEN], hj[LEDGER_EVHASH_LEN];
        if (!json_equal(cx, cj)) {
            char *a = json_dumps(cx, JSON_COMPACT), *b = json_dumps(cj, JSON_COMPACT);
            fail_msg("event %zu:\n  xml  %s\n  json %s", i, a, b);
        }
        assert_int_equal(ledger_evhash_compute(ex, json_object_get(ex, "@context"), hx, &err), 0);
        assert_int_equal(ledger_evhash_compute(ej, json_object_get(ej, "@context"), hj, &err), 0);
        assert_string_equal(hx, hj);
        /* the user extensions' namespace travels with the event */
        if (json_object_get(ex, "ex:batch") || json_object_get(ex, "ilmd"))
            assert_string_equal(ledger_epcis_context_ns(ex, "ex"), "https://example.com/ns/");
        json_decref(cx);
        json_decref(cj);
    }
    ledger_epcis_doc_free(x);
    ledger_epcis_doc_free(j);
    free(bx);
    free(bj);
}

/* ---- (d) bad input ---- */

#define DOC_HEAD                                                                                   \
    "<?xml version=\"1.0\"?>\n"                                                                    \
    "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\" "                              \
    "xmlns:ex=\"https://example.com/ns/\" schemaVersion=\"2.0\" "                                  \
    "creationDate=\"2020-01-01T00:00:00Z\">\n<EPCISBody><EventList>\n"
#define DOC_TAIL "</EventList></EPCISBody></epcis:EPCISDocument>\n"
#define EVENT_OK                                                                                   \
    "<ObjectEvent><eventTime>2020-01-01T00:00:00Z</eventTime>"                                     \
    "<eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"                                            \
    "<epcList><epc>urn:epc:id:sgtin:5412345.000001.1</epc></epcList>"                              \
    "<action>OBSERVE</action></ObjectEvent>\n"

static const struct bad {
    const char *name, *doc;
    size_t handed; /* events handed out before the bad one */
    const char *want[3];
} bad_docs[] = {
    {"malformed",
     DOC_HEAD EVENT_OK "<ObjectEvent>\n</EventList>" DOC_TAIL,
     1,
     {"bad.xml: line 6, column 13: event 1 (ObjectEvent): malformed XML: Opening and ending tag "
      "mismatch"}},
    {"no namespace",
     "<EPCISDocument schemaVersion=\"2.0\"/>",
     0,
     {"bad.xml: line 1, column", "<EPCISDocument> has no namespace"}},
    {"wrong namespace",
     "<x:EPCISDocument xmlns:x=\"urn:example:epcis\"/>",
     0,
     {"in the namespace urn:example:epcis", "urn:epcglobal:epcis:xsd:2"}},
    {"not EPCIS", "<html><body/></html>", 0, {"root element <html>: not an EPCIS document"}},
    {"unknown event type",
     DOC_HEAD EVENT_OK "<FooEvent/>\n" DOC_TAIL,
     1,
     {"bad.xml: line 5, column 10: event 1: unknown event type <FooEvent>"}},
    {"namespaced event",
     DOC_HEAD "<ex:ObjectEvent/>\n" DOC_TAIL,
     0,
     {"event 0: unknown event type <ObjectEvent> in the namespace <https://example.com/ns/>"}},
    {"QuantityEvent", DOC_HEAD "<QuantityEvent/>\n" DOC_TAIL, 0, {"event 0: a QuantityEvent"}},
    {"bad date",
     DOC_HEAD EVENT_OK EVENT_OK
     "<ObjectEvent>\n<eventTime>yesterday</eventTime></ObjectEvent>" DOC_TAIL,
     2,
     {"bad.xml: line 7, column 11: event 2 (ObjectEvent): element ObjectEvent/eventTime",
      "\"yesterday\""}},
    {"bad quantity",
     DOC_HEAD "<ObjectEvent><eventTime>2020-01-01T00:00:00Z</eventTime>\n<quantityList>"
              "<quantityElement><epcClass>urn:epc:class:lgtin:5412345.000001.L1</epcClass>\n"
              "<quantity>twelve</quantity></quantityElement></quantityList></ObjectEvent>" DOC_TAIL,
     0,
     {"line 6, column 10: event 0 (ObjectEvent): element "
      "ObjectEvent/quantityList/quantityElement/quantity: the quantity is not a number: "
      "\"twelve\""}},
    {"quantity INF",
     DOC_HEAD "<ObjectEvent><quantityList><quantityElement><epcClass>urn:epc:class:lgtin:5412345."
              "000001.L1</epcClass><quantity>INF</quantity></quantityElement></quantityList>"
              "</ObjectEvent>" DOC_TAIL,
     0,
     {"the quantity is not a number: \"INF\""}},
    {"bad boolean",
     DOC_HEAD
     "<ObjectEvent><sensorElementList><sensorElement><sensorReport type=\"gs1:Temperature\" "
     "booleanValue=\"yes\"/></sensorElement></sensorElementList></ObjectEvent>" DOC_TAIL,
     0,
     {"element ObjectEvent/sensorElementList/sensorElement/sensorReport: booleanValue is not"}},
    {"unknown element",
     DOC_HEAD "<ObjectEvent><colour>red</colour></ObjectEvent>" DOC_TAIL,
     0,
     {"element ObjectEvent/colour: not an element of ObjectEvent in EPCIS"}},
    {"checked as JSON-LD",
     DOC_HEAD EVENT_OK
     "<ObjectEvent><eventTime>2020-01-01T00:00:00Z</eventTime>\n"
     "<eventTimeZoneOffset>+01:00</eventTimeZoneOffset><epcList><epc>urn:epc:id:sgtin:bad</epc>"
     "</epcList><action>OBSERVE</action></ObjectEvent>\n" DOC_TAIL,
     1,
     {"bad.xml: line 5, column 13: event 1: epcList[0]"}},
    {"XXE",
     "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
     "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\">&xxe;"
     "</epcis:EPCISDocument>",
     0,
     {"line 2, column", "a DTD declaration (ENTITY xxe)"}},
    {"external DTD",
     "<!DOCTYPE d SYSTEM \"http://127.0.0.1:1/x.dtd\">\n<d/>",
     0,
     {"a <!DOCTYPE> naming an external DTD (http://127.0.0.1:1/x.dtd)"}},
    {"billion laughs",
     "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
     " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
     " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n]>\n"
     "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\">&lol2;</epcis:EPCISDocument>",
     0,
     {"line 3, column", "a DTD declaration (ENTITY lol)"}},
    {"undefined entity",
     DOC_HEAD "<ObjectEvent><ex:a>&foo;</ex:a></ObjectEvent>" DOC_TAIL,
     0,
     {"line 4, column", "&foo;"}},
};

static void test_bad_input(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof bad_docs / sizeof bad_docs[0]; k++) {
        const struct bad *b = &bad_docs[k];
        ledger_err_t err;
        size_t count = 99;
        keep_t kp = {json_array()};
        int rc =
            ledger_epcis_doc_foreach(b->doc, strlen(b->doc), "bad.xml", keep, &kp, &count, &err);
        if (rc != LEDGER_EINPUT)
            fail_msg("%s: rc %d (%s)", b->name, rc, rc ? err.msg : "read");
        for (size_t w = 0; w < 3 && b->want[w]; w++)
            if (!strstr(err.msg, b->want[w]))
                fail_msg("%s: message \"%s\" lacks \"%s\"", b->name, err.msg, b->want[w]);
        assert_int_equal(count, b->handed);
        assert_int_equal(json_array_size(kp.events), b->handed);
        json_decref(kp.events);
        /* all or nothing through ledger_epcis_doc_parse */
        ledger_epcis_doc_t *doc = (void *)1;
        assert_int_equal(ledger_epcis_doc_parse(b->doc, strlen(b->doc), "bad.xml", &doc, &err),
                         LEDGER_EINPUT);
        assert_null(doc);
    }
}

/* Generated: a text node over LEDGER_EPCIS_EVENT_MAX, and nesting deeper
 * than the limit, each in an extension of an event. */
static void test_limits(void **state)
{
    (void)state;
    size_t big = LEDGER_EPCIS_EVENT_MAX + 1000, n = 0;
    char *doc = malloc(big + 4096);
    ledger_err_t err;
    int rc;

    assert_non_null(doc);
    n += (size_t)sprintf(doc, "%s<ObjectEvent><ex:note>", DOC_HEAD);
    memset(doc + n, 'a', big);
    n += big;
    n += (size_t)sprintf(doc + n, "</ex:note></ObjectEvent>%s", DOC_TAIL);
    rc = ledger_epcis_doc_foreach(doc, n, "big.xml", NULL, NULL, NULL, &err);
    assert_int_equal(rc, LEDGER_EINPUT);
    if (!strstr(err.msg, "big.xml: line 4, column") ||
        !strstr(err.msg, "event 0 (ObjectEvent): the event is larger than 1048576 bytes"))
        fail_msg("%s", err.msg);

    n = (size_t)sprintf(doc, "%s<ObjectEvent>", DOC_HEAD);
    for (int d = 0; d < 60; d++)
        n += (size_t)sprintf(doc + n, "<ex:d>");
    rc = ledger_epcis_doc_foreach(doc, n, "deep.xml", NULL, NULL, NULL, &err);
    assert_int_equal(rc, LEDGER_EINPUT);
    if (!strstr(err.msg, "deep.xml: line 4, column") ||
        !strstr(err.msg, "elements nested deeper than 48"))
        fail_msg("%s", err.msg);
    free(doc);
}

/* Forms of XML that must read the same: another encoding, CDATA, character
 * and predefined entity references, comments and processing instructions,
 * a default namespace and a prefix bound twice, an EPCIS 1.x query
 * document. */
static void test_forms(void **state)
{
    (void)state;
    static const char latin1[] =
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
        "<epcisq:EPCISQueryDocument xmlns:epcisq=\"urn:epcglobal:epcis-query:xsd:1\" "
        "schemaVersion=\"1.2\" creationDate=\"2019-01-01T00:00:00Z\"><EPCISBody><QueryResults>"
        "<queryName>SimpleEventQuery</queryName><resultsBody><EventList>\n"
        "<!-- a comment --><?pi data?>"
        "<ObjectEvent><eventTime>2019-01-01T00:00:00Z</eventTime>"
        "<eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"
        "<epcList><epc><![CDATA[urn:epc:id:sgtin:5412345.000001.1]]></epc></epcList>"
        "<action>OBSERVE</action>"
        "<note xmlns=\"https://example.com/d/\">caf\xe9 &amp; th&#233;</note>"
        "<a:x xmlns:a=\"https://example.com/a/\">1</a:x>"
        "<a:y xmlns:a=\"https://example.com/b/\">2</a:y>"
        "</ObjectEvent></EventList></resultsBody></QueryResults></EPCISBody>"
        "</epcisq:EPCISQueryDocument>\n";
    ledger_epcis_doc_t *doc;
    ledger_err_t err;
    json_t *ev, *ctx;
    const char *k;
    json_t *v;
    int seen = 0;

    if (ledger_epcis_doc_parse(latin1, sizeof latin1 - 1, "forms.xml", &doc, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(ledger_epcis_doc_count(doc), 1);
    ev = ledger_epcis_doc_event(doc, 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(ev, "epcList"), 0)),
                        "urn:epc:id:sgtin:5412345.000001.1");
    ctx = json_array_get(json_object_get(ev, "@context"), 1);
    assert_non_null(ctx);
    json_object_foreach(ev, k, v)
    {
        const char *colon = strchr(k, ':');
        char prefix[32];
        if (!colon || strcmp(k, "@context") == 0)
            continue;
        snprintf(prefix, sizeof prefix, "%.*s", (int)(colon - k), k);
        const char *ns = json_string_value(json_object_get(ctx, prefix));
        assert_non_null(ns);
        if (strcmp(colon + 1, "note") == 0) {
            assert_string_equal(ns, "https://example.com/d/");
            assert_string_equal(json_string_value(v), "caf\xc3\xa9 & th\xc3\xa9");
            seen |= 1;
        } else if (strcmp(colon + 1, "x") == 0) {
            assert_string_equal(ns, "https://example.com/a/");
            seen |= 2;
        } else if (strcmp(colon + 1, "y") == 0) {
            assert_string_equal(ns, "https://example.com/b/"); /* a made-up prefix */
            assert_string_not_equal(prefix, "a");
            seen |= 4;
        }
    }
    assert_int_equal(seen, 7);
    ledger_epcis_doc_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_vectors),
        cmocka_unit_test(test_gs1_examples),
        cmocka_unit_test(test_identical_hash_ids),
        cmocka_unit_test(test_epcis12),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
