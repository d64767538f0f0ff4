/* test_epcis.c -- unit tests of ledger_epcis (EPCIS 2.0 JSON-LD in and out).
 *
 * (a) every GS1 example under $KETEN_SHARED/conformance/epcis-examples/JSON/
 *     parses and checks, with the event count of the file (counted from the
 *     files themselves, table below);
 * (b) the event-hash vectors of the reference generator
 *     (conformance/event-hash/examples) give their .hashes through our
 *     reader, which checks the self-contained @context (the export round
 *     trip is in test_epcis_export.c);
 * (c) bad input: the fixtures in tests/data/epcis/ and generated ones (an
 *     event over 1 MiB, 100,000 events with one bad one), each with the
 *     event index and field the message must name;
 * (d) CBV values in every legal form, info, identifiers, shapes, export;
 */
#include "epcis_testlib.h"

static void test_examples_parse(void **state)
{
    (void)state;
    char root[1024], names[100][200];
    size_t n = 0, i, j, k, total = 0;

    snprintf(root, sizeof root, "%s/conformance/epcis-examples/JSON", shared_dir());
    find_jsonld(root, "", names, &n);
    assert_int_equal(n, N_EXAMPLES); /* 47 */
    for (i = 0; i < n; i++) {
        for (k = 0; k < N_EXAMPLES && strcmp(names[i], examples[k].path); k++)
            ;
        if (k == N_EXAMPLES)
            fail_msg("example %s is not in the table", names[i]);
    }
    for (k = 0; k < N_EXAMPLES; k++) {
        ledger_epcis_doc_t *doc = parse_example(examples[k].path);
        ledger_err_t err;
        assert_int_equal(ledger_epcis_doc_count(doc), examples[k].count);
        assert_non_null(ledger_epcis_doc_context(doc));
        for (j = 0; j < examples[k].count; j++) {
            json_t *ev = ledger_epcis_doc_event(doc, j);
            ledger_epcis_info_t info;
            size_t ids = 0;
            assert_non_null(ev);
            if (ledger_epcis_info(ev, &info, &err) < 0)
                fail_msg("%s: event %zu: %s", examples[k].path, j, err.msg);
            assert_string_equal(info.type, json_string_value(json_object_get(ev, "type")));
            assert_true(info.event_time_ms > 0);
            if (ledger_epcis_identifiers(ev, count_id, &ids, &err) < 0)
                fail_msg("%s: event %zu: %s", examples[k].path, j, err.msg);
            assert_int_equal(ids, expected_ids(ev));
            /* checked alone, the event is as good as in its document */
            if (ledger_epcis_event_check(ev, "alone", &err) < 0)
                fail_msg("%s: event %zu: %s", examples[k].path, j, err.msg);
            total++;
        }
        assert_null(ledger_epcis_doc_event(doc, examples[k].count));
        ledger_epcis_doc_free(doc);
    }
    assert_int_equal(total, 56);
}

/* ---- (b) round trip and event hashes ---- */

static void test_event_hash_vectors(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "CertificationInfoAndSensorReportWithCRS",
        "ReferenceEventHashAlgorithm",
        "ReferenceEventHashAlgorithm2",
        "ReferenceEventHashAlgorithm3",
        "TimeStampRoundOff",
        "epcisDocHavingEventWithComment",
        "epcisDocHavingEventWithIgnoreFields",
        "epcisDocWithAllGS1Keys",
        "epcisDocWithCustomSchemaInContext",
        "epcisDocWithDefaultSchemaInContext",
        "epcisDocWithSensorComponent",
        "epcisDocWithSensorDataObjectEvent",
        "epcisDocWithShippingAndTransportingEvent",
        "epcisDocWithSingleEvent",
        "epcisDocWithVariousEventTypes",
        "epcisDocWithXMLstartTagAndErrorDeclaration",
        "epcisEventWithCURIEs",
        "epcisQueryDocHavingEventWithIgnoreFields",
        "epcisQueryDocument",
        "epclist_normalisation",
        "persistentDisposition",
        "ralfsChaosExample",
    };
    size_t k, i, events = 0;

    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[1024], *text, *hashes, *line, *save = NULL;
        size_t len, hlen;
        json_t *raw;
        const json_t *ignore;
        ledger_epcis_doc_t *doc = NULL;
        ledger_err_t err;

        snprintf(path, sizeof path, "%s/conformance/event-hash/examples/%s.jsonld", shared_dir(),
                 cases[k]);
        text = read_all(path, &len);
        if (ledger_epcis_doc_parse(text, len, cases[k], &doc, &err) < 0)
            fail_msg("%s", err.msg);
        /* the reference generator's own document-level "ignoreFields"
         * extension (two cases) is not part of the event: ledger_evhash's */
        raw = json_loadb(text, len, 0, NULL);
        assert_non_null(raw);
        ignore = ledger_evhash_ignore_fields(raw);
        snprintf(path, sizeof path, "%s/conformance/event-hash/examples/%s.hashes", shared_dir(),
                 cases[k]);
        hashes = read_all(path, &hlen);
        line = strtok_r(hashes, "\r\n", &save);
        for (i = 0; i < ledger_epcis_doc_count(doc); i++) {
            char h[LEDGER_EVHASH_LEN];
            assert_non_null(line);
            if (ledger_evhash_compute_ex(ledger_epcis_doc_event(doc, i), NULL, ignore, h, &err) < 0)
                fail_msg("%s: event %zu: %s", cases[k], i, err.msg);
            if (strcmp(h, line) != 0)
                fail_msg("%s: event %zu: %s, expected %s", cases[k], i, h, line);
            line = strtok_r(NULL, "\r\n", &save);
            events++;
        }
        assert_null(line); /* as many hashes as events */
        json_decref(raw);
        ledger_epcis_doc_free(doc);
        free(hashes);
        free(text);
    }
    assert_int_equal(events, 43); /* INDEX.csv n_events of these cases */
}

/* ---- (c) bad input ---- */

static const struct bad_fixture {
    const char *file;
    const char *parts[3]; /* the message must contain each */
} bad_fixtures[] = {
    {"malformed_json.jsonld",
     {"malformed_json.jsonld: line 20, column 29", "malformed JSON", NULL}},
    {"unknown_type.jsonld",
     {"unknown_type.jsonld: event 1: type: \"ObjectEvnt\" is not an EPCIS event type",
      "ObjectEvent, AggregationEvent", NULL}},
    {"missing_event_time.jsonld", {"event 1: eventTime is missing", NULL, NULL}},
    {"missing_action.jsonld",
     {"event 0: action is missing", "\"ADD\", \"OBSERVE\" or \"DELETE\"", NULL}},
    {"bad_epc_urn.jsonld",
     {"event 1: epcList[2]: \"urn:epc:id:sgtin:123\" is not a valid EPC URN", NULL, NULL}},
    {"bad_dl_check_digit.jsonld",
     {"event 0: epcList[0]: \"https://id.gs1.org/01/09506000134353/21/1\"",
      "not a valid GS1 Digital Link URI", "check digit"}},
    {"quantity_string.jsonld",
     {"event 0: quantityList[0].quantity: \"200\" is a string", "without quotes", NULL}},
    {"not_utf8.jsonld",
     {"not_utf8.jsonld: line 26, column 24 (byte 696)", "invalid UTF-8", "0xe9"}},
    {"bad_tz_offset.jsonld",
     {"event 0: eventTimeZoneOffset: \"+2:00\" is not a time zone offset", "\"+02:00\"", NULL}},
    {"unknown_bizstep.jsonld",
     {"event 2: bizStep: \"shiping\" is not a business step", "did you mean \"shipping\"", NULL}},
    {"no_time_zone.jsonld",
     {"event 0: eventTime: \"2024-05-01T10:00:00.000\" has no time zone", NULL, NULL}},
    {"unknown_field.jsonld",
     {"event 0: \"myField\" is not a field of an ObjectEvent", "namespace prefix", NULL}},
    {"ilmd_not_add.jsonld", {"event 0: ilmd: only allowed when action is ADD", NULL, NULL}},
    {"duplicate_epc.jsonld", {"event 0: epcList[2]:", "listed twice (also at [0])", NULL}},
    {"wrong_vocabulary.jsonld",
     {"event 0: disposition: \"cbv:BizStep-shipping\" is a CBV business step, not a disposition",
      NULL, NULL}},
    {"aggregation_no_children.jsonld",
     {"event 0: an AggregationEvent with action ADD needs childEPCs or childQuantityList", NULL,
      NULL}},
    {"not_a_document.jsonld",
     {"not_a_document.jsonld: not an EPCIS document: expected an EPCISDocument, an "
      "EPCISQueryDocument, an array of events or one event",
      NULL, NULL}},
};

static void test_bad_fixtures(void **state)
{
    (void)state;
    size_t k, j;

    for (k = 0; k < sizeof bad_fixtures / sizeof bad_fixtures[0]; k++) {
        char path[512];
        size_t len;
        char *text;
        ledger_err_t err;
        const char *msg;

        snprintf(path, sizeof path, "tests/data/epcis/%s", bad_fixtures[k].file);
        text = read_all(path, &len);
        msg = refuse(text, len, bad_fixtures[k].file, &err);
        for (j = 0; j < 3 && bad_fixtures[k].parts[j]; j++)
            assert_has(msg, bad_fixtures[k].parts[j]);
        free(text);
    }
}

#define CTX "\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"]"
#define HEAD                                                                                       \
    "{" CTX ",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\","                               \
    "\"creationDate\":\"2024-05-01T10:00:00Z\",\"epcisBody\":{\"eventList\":["
#define TAIL "]}}"

/* An ObjectEvent with serial i and, before the closing brace, more. */
static int event_text(char *out, size_t len, long i, const char *step, const char *more)
{
    return snprintf(out, len,
                    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-05-01T10:00:00.000+02:00\","
                    "\"eventTimeZoneOffset\":\"+02:00\",\"epcList\":[\"urn:epc:id:sgtin:4012345."
                    "011111.%ld\"],\"action\":\"OBSERVE\",\"bizStep\":\"%s\",\"readPoint\":"
                    "{\"id\":\"urn:epc:id:sgln:4012345.00005.0\"}%s}",
                    i, step, more ? more : "");
}

static void test_bad_generated(void **state)
{
    (void)state;
    ledger_err_t err;
    const char *msg;
    char ev[1024];
    size_t cap, len, i;
    char *big;

    /* an event over 1 MiB (an extension string of 1.1 MB) */
    cap = 1200 * 1000;
    big = malloc(cap);
    assert_non_null(big);
    len = (size_t)snprintf(big, cap, "%s", HEAD);
    event_text(ev, sizeof ev, 1, "shipping", NULL);
    len += (size_t)snprintf(big + len, cap - len, "%s,", ev);
    event_text(ev, sizeof ev, 2, "shipping", ",\"ex:blob\":\"");
    ev[strlen(ev) - 2] = '\0'; /* drop the closing quote and brace of "more" */
    len += (size_t)snprintf(big + len, cap - len, "%s\"", ev);
    memset(big + len, 'a', 1100 * 1000);
    len += 1100 * 1000;
    len += (size_t)snprintf(big + len, cap - len, "\"}" TAIL);
    msg = refuse(big, len, "big.jsonld", &err);
    assert_has(msg, "big.jsonld: event 1 is 110");
    assert_has(msg, "bytes, over the 1 MiB limit");
    free(big);

    /* 100,000 events, the one at index 50000 bad: named, nothing returned */
    cap = 100000 * 400 + 1000;
    big = malloc(cap);
    assert_non_null(big);
    len = (size_t)snprintf(big, cap, "%s", HEAD);
    for (i = 0; i < 100000; i++) {
        if (i)
            big[len++] = ',';
        len += (size_t)event_text(big + len, cap - len, (long)i, i == 50000 ? "shipp" : "shipping",
                                  NULL);
    }
    len += (size_t)snprintf(big + len, cap - len, TAIL);
    msg = refuse(big, len, "many.jsonld", &err);
    assert_has(msg, "many.jsonld: event 50000: bizStep: \"shipp\"");
    /* and the same document without the bad event is fine */
    memcpy(strstr(big, "\"shipp\""), "\"other\"", 7);
    {
        ledger_epcis_doc_t *doc = NULL;
        assert_int_equal(ledger_epcis_doc_parse(big, len, "many.jsonld", &doc, &err), 0);
        assert_int_equal(ledger_epcis_doc_count(doc), 100000);
        ledger_epcis_doc_free(doc);
    }
    free(big);

    /* not EPCIS at all */
    static const char *const not_docs[] = {"42", "\"text\"", "{}", "{\"type\":\"Foo\"}", "null"};
    for (i = 0; i < sizeof not_docs / sizeof not_docs[0]; i++) {
        msg = refuse(not_docs[i], strlen(not_docs[i]), "x.json", &err);
        assert_has(msg, "x.json: not an EPCIS document: expected an EPCISDocument, an "
                        "EPCISQueryDocument, an array of events or one event");
    }
    msg = refuse("  \n", 3, "empty.json", &err);
    assert_has(msg, "empty.json: is empty");
    msg = refuse("[1]", 3, "a.json", &err);
    assert_has(msg, "a.json: event 0: is the number 1: expected an event object");
    msg = refuse(HEAD, strlen(HEAD), "cut.json", &err);
    assert_has(msg, "cut.json: line 1");
    assert_has(msg, "truncated");
    {
        static const char nul[] = "[{\"type\":\"ObjectEvent\",\"ex:x\":\"a\\u0000b\"}]";
        msg = refuse(nul, strlen(nul), "nul.json", &err);
        assert_has(msg, "NUL");
    }
    /* a document without schemaVersion / with events outside epcisBody */
    {
        static const char nover[] = "{" CTX ",\"type\":\"EPCISDocument\",\"creationDate\":"
                                    "\"2024-05-01T10:00:00Z\",\"epcisBody\":{\"eventList\":[]}}";
        msg = refuse(nover, strlen(nover), "d.json", &err);
        assert_has(msg, "d.json: schemaVersion is missing");
        static const char outside[] =
            "{" CTX ",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\","
            "\"creationDate\":\"2024-05-01T10:00:00Z\",\"eventList\":[],"
            "\"epcisBody\":{\"eventList\":[]}}";
        msg = refuse(outside, strlen(outside), "d.json", &err);
        assert_has(msg, "d.json: \"eventList\" is not a field of an EPCISDocument");
    }
}

/* Field-level refusals, one event each: {extra members, expected text}. */
static void test_bad_fields(void **state)
{
    (void)state;
    static const struct {
        const char *more, *step, *part;
    } cases[] = {
        {",\"recordTime\":\"2024-02-30T10:00:00Z\"", "shipping",
         "recordTime: \"2024-02-30T10:00:00Z\" is not a valid date-time"},
        {",\"eventID\":\"not a uri\"", "shipping", "eventID: \"not a uri\" is not a URI"},
        {",\"quantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:4012345.012345.Lot987\","
         "\"quantity\":5,\"uom\":\"kg\"}]",
         "shipping", "quantityList[0].uom: \"kg\" is not a unit of measure"},
        {",\"quantityList\":[{\"quantity\":5}]", "shipping",
         "quantityList[0]: epcClass is missing"},
        {",\"quantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:4012345.012345.Lot987\",\"ex:q\":"
         "1}]",
         "shipping",
         "quantityList[0]: \"ex:q\" is not a field of a quantity element (it has only epcClass, "
         "quantity, uom)"},
        {",\"sensorElementList\":[{\"sensorReport\":[{\"type\":\"Temperature\",\"value\":\"26\"}]}"
         "]",
         "shipping", "sensorElementList[0].sensorReport[0].value: \"26\" is a string"},
        {",\"sensorElementList\":[{\"sensorReport\":[{\"type\":\"Temprature\",\"value\":26}]}]",
         "shipping",
         "sensorElementList[0].sensorReport[0].type: \"Temprature\" is not a measurement type: did "
         "you mean \"Temperature\"?"},
        {",\"sensorElementList\":[{\"sensorReport\":[]}]", "shipping",
         "sensorElementList[0].sensorReport: is empty"},
        {",\"sensorElementList\":[{\"sensorMetadata\":{\"deviceID\":\"urn:epc:id:giai:4000001\"},"
         "\"sensorReport\":[{\"type\":\"Temperature\"}]}]",
         "shipping",
         "sensorElementList[0].sensorMetadata.deviceID: \"urn:epc:id:giai:4000001\" is not a valid "
         "EPC URN"},
        {",\"sensorElementList\":[{\"sensorReport\":[{\"type\":\"Temperature\",\"hexBinaryValue\":"
         "\"xyz\"}]}]",
         "shipping", "hexBinaryValue: \"xyz\" is not hexBinary"},
        {",\"bizTransactionList\":[{\"type\":\"po\"}]", "shipping",
         "bizTransactionList[0]: bizTransaction is missing"},
        {",\"sourceList\":[{\"type\":\"owner\",\"source\":\"urn:epc:id:pgln:4000001.00000\"}]",
         "shipping", "sourceList[0].type: \"owner\" is not a source/destination type"},
        {",\"destinationList\":[{\"type\":\"location\",\"destination\":\"urn:epc:id:sgln:4012345\"}"
         "]",
         "shipping",
         "destinationList[0].destination: \"urn:epc:id:sgln:4012345\" is not a valid EPC URN"},
        {",\"errorDeclaration\":{\"reason\":\"incorrect_data\"}", "shipping",
         "errorDeclaration: declarationTime is missing"},
        {",\"errorDeclaration\":{\"declarationTime\":\"2024-05-02T10:00:00Z\",\"reason\":"
         "\"wrong\"}",
         "shipping", "errorDeclaration.reason: \"wrong\" is not a"},
        {",\"persistentDisposition\":{}", "shipping",
         "persistentDisposition: needs \"set\" or \"unset\""},
        {",\"persistentDisposition\":{\"set\":[\"completeness_verified\",\"completeness_verified\"]"
         "}",
         "shipping", "persistentDisposition.set[1]:"},
        {",\"certificationInfo\":[\"https://example.com/c\",3]", "shipping",
         "certificationInfo[1]: is the number 3: expected a URI string"},
        {",\"readPoint\":{\"id\":\"urn:epc:id:sgln:4012345.00005.0\",\"note\":\"x\"}", "shipping",
         "readPoint: \"note\" is not a field of a location"},
        {",\"childEPCs\":[\"urn:epc:id:sgtin:4012345.011111.1\"]", "shipping",
         "\"childEPCs\" is not a field of an ObjectEvent"},
        {",\"ilmd\":{\"lot\":\"A\"}", "shipping", "ilmd: \"lot\" is not a namespaced name"},
        {"", "urn:epcglobal:cbv:bizstep:shiping",
         "bizStep: \"urn:epcglobal:cbv:bizstep:shiping\" is not a CBV business step: did you mean "
         "\"shipping\"?"},
        {"", "https://ref.gs1.org/cbv/Bizstep-shipping",
         "bizStep: \"https://ref.gs1.org/cbv/Bizstep-shipping\" is not a CBV business step: no "
         "such term"},
        {"", "in_transit", "bizStep: \"in_transit\" is a CBV disposition, not a business step"},
        {"", "my step", "bizStep: \"my step\" is not a business step"},
        {"", "ex:my step", "bizStep: \"ex:my step\" is not a URI"},
    };
    size_t k;
    char text[2048], ev[1536];

    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ledger_err_t err;
        event_text(ev, sizeof ev, 7, cases[k].step, cases[k].more);
        snprintf(text, sizeof text, HEAD "%s" TAIL, ev);
        assert_has(refuse(text, strlen(text), "f.json", &err), cases[k].part);
        assert_has(err.msg, "f.json: event 0: ");
    }
}

/* ---- the streaming reader gives the same events ---- */

typedef struct collected {
    json_t *events; /* array of the events fn saw */
    size_t stop_at; /* fn returns -42 at this index */
} collected_t;

static int collect_event(json_t *ev, size_t index, void *ctx)
{
    collected_t *c = ctx;
    assert_int_equal(index, json_array_size(c->events));
    if (index == c->stop_at)
        return -42;
    assert_int_equal(json_array_append(c->events, ev), 0);
    return 0;
}

/* foreach on text must give what doc_parse gives (same events, or refusal). */
static void same_as_parse(const char *text, size_t len, const char *name)
{
    ledger_epcis_doc_t *doc = NULL;
    ledger_err_t e1, e2;
    collected_t c = {json_array(), (size_t)-1};
    size_t count = 99, i;
    int r1 = ledger_epcis_doc_parse(text, len, name, &doc, &e1);
    int r2 = ledger_epcis_doc_foreach(text, len, name, collect_event, &c, &count, &e2);

    if ((r1 == 0) != (r2 == 0))
        fail_msg("%s: doc_parse %d (%s), foreach %d (%s)", name, r1, r1 ? e1.msg : "", r2,
                 r2 ? e2.msg : "");
    if (r1 == 0) {
        assert_int_equal(count, ledger_epcis_doc_count(doc));
        assert_int_equal(json_array_size(c.events), count);
        for (i = 0; i < count; i++)
            if (!json_equal(json_array_get(c.events, i), ledger_epcis_doc_event(doc, i)))
                fail_msg("%s: event %zu differs between doc_parse and foreach", name, i);
        ledger_epcis_doc_free(doc);
    }
    json_decref(c.events);
}

static void test_foreach(void **state)
{
    (void)state;
    char path[1024], ev[1024], *text, *big;
    size_t len, k, i, cap, count;
    ledger_err_t err;
    collected_t c;

    for (k = 0; k < N_EXAMPLES; k++) {
        example_path(examples[k].path, path, sizeof path);
        text = read_all(path, &len);
        same_as_parse(text, len, examples[k].path);
        free(text);
    }
    for (k = 0; k < sizeof bad_fixtures / sizeof bad_fixtures[0]; k++) {
        snprintf(path, sizeof path, "tests/data/epcis/%s", bad_fixtures[k].file);
        text = read_all(path, &len);
        same_as_parse(text, len, bad_fixtures[k].file);
        assert_int_equal(
            ledger_epcis_doc_foreach(text, len, bad_fixtures[k].file, NULL, NULL, NULL, &err),
            LEDGER_EINPUT);
        assert_has(err.msg, bad_fixtures[k].parts[0]);
        free(text);
    }
    /* shapes: array, one event, query document, empty list, context after the events */
    event_text(ev, sizeof ev, 1, "shipping", NULL);
    cap = 8192;
    big = malloc(cap);
    assert_non_null(big);
    len = (size_t)snprintf(big, cap, "[%s, %s ]", ev, ev);
    same_as_parse(big, len, "array");
    len = (size_t)snprintf(big, cap, "%s", ev);
    same_as_parse(big, len, "one");
    len = (size_t)snprintf(big, cap,
                           "{\"type\":\"EPCISQueryDocument\",\"epcisBody\":{\"queryResults\":{"
                           "\"queryName\":\"q\",\"resultsBody\":{\"eventList\":[%s]}}}," CTX "}",
                           ev);
    same_as_parse(big, len, "query");
    same_as_parse(HEAD TAIL, strlen(HEAD TAIL), "empty");
    len = (size_t)snprintf(big, cap,
                           "{\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":"
                           "\"2024-05-01T10:00:00Z\",\"epcisBody\":{\"eventList\":[%s,%s]},"
                           "\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-"
                           "context.jsonld\",{\"ex\":\"https://example.com/\"}]}",
                           ev, ev);
    same_as_parse(big, len, "context last");
    /* syntax errors inside and outside the list */
    len = (size_t)snprintf(big, cap, HEAD "%s,%s,]}}", ev, ev);
    same_as_parse(big, len, "trailing comma");
    assert_int_equal(ledger_epcis_doc_foreach(big, len, "tc", NULL, NULL, &count, &err),
                     LEDGER_EINPUT);
    assert_has(err.msg, "tc: line 1, column");
    assert_int_equal(count, 2);
    len = (size_t)snprintf(big, cap, HEAD "%s,{\"a\":]}]}}", ev);
    same_as_parse(big, len, "bad element");
    len = (size_t)snprintf(big, cap, HEAD "%s]}, \"x\"}", ev);
    same_as_parse(big, len, "bad tail");
    free(big);

    /* 100,000 events, the one at 50000 bad: the same message, 50000 seen */
    cap = 100000 * 400 + 1000;
    big = malloc(cap);
    assert_non_null(big);
    len = (size_t)snprintf(big, cap, "%s", HEAD);
    for (i = 0; i < 100000; i++) {
        if (i)
            big[len++] = ',';
        len += (size_t)event_text(big + len, cap - len, (long)i, i == 50000 ? "shipp" : "shipping",
                                  NULL);
    }
    len += (size_t)snprintf(big + len, cap - len, TAIL);
    assert_int_equal(ledger_epcis_doc_foreach(big, len, "many.jsonld", NULL, NULL, &count, &err),
                     LEDGER_EINPUT);
    assert_has(err.msg, "many.jsonld: event 50000: bizStep: \"shipp\"");
    assert_int_equal(count, 50000);
    /* fn stops the walk */
    c.events = json_array();
    c.stop_at = 7;
    assert_int_equal(ledger_epcis_doc_foreach(big, len, "many", collect_event, &c, &count, &err),
                     -42);
    assert_int_equal(count, 7);
    json_decref(c.events);
    free(big);
}

/* ---- (d) CBV forms, shapes, info, identifiers, export ---- */

static void test_cbv_forms(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "shipping",
        "cbv:BizStep-shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
    };
    static const char *const disps[] = {
        "in_transit",
        "cbv:Disp-in_transit",
        "urn:epcglobal:cbv:disp:in_transit",
        "https://ref.gs1.org/cbv/Disp-in_transit",
    };
    char ev[1024], more[256], text[2048], out[64];
    size_t k;

    for (k = 0; k < 4; k++) {
        ledger_epcis_doc_t *doc;
        ledger_epcis_info_t info;
        ledger_err_t err;
        snprintf(more, sizeof more,
                 ",\"disposition\":\"%s\",\"bizTransactionList\":[{\"type\":\"%s\","
                 "\"bizTransaction\":\"urn:epcglobal:cbv:bt:4012345000009:1\"}]",
                 disps[k],
                 k == 0   ? "po"
                 : k == 1 ? "cbv:BTT-po"
                 : k == 2 ? "urn:epcglobal:cbv:btt:po"
                          : "https://ref.gs1.org/cbv/BTT-po");
        event_text(ev, sizeof ev, 1, steps[k], more);
        snprintf(text, sizeof text, HEAD "%s" TAIL, ev);
        doc = parse_text(text, steps[k]);
        assert_int_equal(ledger_epcis_info(ledger_epcis_doc_event(doc, 0), &info, &err), 0);
        assert_string_equal(info.biz_step, steps[k]); /* as written */
        ledger_epcis_cbv_short(info.biz_step, out, sizeof out);
        assert_string_equal(out, "shipping");
        ledger_epcis_cbv_short(info.disposition, out, sizeof out);
        assert_string_equal(out, "in_transit");
        ledger_epcis_doc_free(doc);
    }
    /* a user vocabulary URI is accepted and stays as it is */
    event_text(ev, sizeof ev, 1, "https://example.com/bizstep/sorting", NULL);
    snprintf(text, sizeof text, HEAD "%s" TAIL, ev);
    ledger_epcis_doc_free(parse_text(text, "user"));
    ledger_epcis_cbv_short("https://example.com/bizstep/sorting", out, sizeof out);
    assert_string_equal(out, "https://example.com/bizstep/sorting");
    ledger_epcis_cbv_short("urn:epcglobal:cbv:bizstep:receiving", out, 5);
    assert_string_equal(out, "rece"); /* truncated */
}

static void test_shapes(void **state)
{
    (void)state;
    char e1[1024], e2[1024], text[4096];
    ledger_epcis_doc_t *doc;

    event_text(e1, sizeof e1, 1, "shipping", NULL);
    event_text(e2, sizeof e2, 2, "receiving", NULL);
    /* array of events */
    snprintf(text, sizeof text, "[%s,%s]", e1, e2);
    doc = parse_text(text, "array");
    assert_int_equal(ledger_epcis_doc_count(doc), 2);
    assert_null(ledger_epcis_doc_context(doc));
    ledger_epcis_doc_free(doc);
    /* one event, with its own @context */
    snprintf(text, sizeof text, "{" CTX ",%s", e1 + 1);
    doc = parse_text(text, "one");
    assert_int_equal(ledger_epcis_doc_count(doc), 1);
    assert_non_null(ledger_epcis_doc_context(doc));
    assert_string_equal(
        json_string_value(json_object_get(ledger_epcis_doc_event(doc, 0), "bizStep")), "shipping");
    ledger_epcis_doc_free(doc);
    /* a query document */
    snprintf(text, sizeof text,
             "{" CTX ",\"type\":\"EPCISQueryDocument\",\"schemaVersion\":\"2.0\",\"epcisBody\":"
             "{\"queryResults\":{\"queryName\":\"SimpleEventQuery\",\"resultsBody\":{\"eventList\":"
             "[%s,%s]}}}}",
             e1, e2);
    doc = parse_text(text, "query");
    assert_int_equal(ledger_epcis_doc_count(doc), 2);
    ledger_epcis_doc_free(doc);
    /* an empty document is fine */
    doc = parse_text(HEAD TAIL, "empty list");
    assert_int_equal(ledger_epcis_doc_count(doc), 0);
    ledger_epcis_doc_free(doc);
    /* a byte order mark is skipped */
    snprintf(text, sizeof text, "\xEF\xBB\xBF[%s]", e1);
    doc = parse_text(text, "bom");
    assert_int_equal(ledger_epcis_doc_count(doc), 1);
    ledger_epcis_doc_free(doc);
}

static void test_self_contained(void **state)
{
    (void)state;
    char ev[1024], text[4096];
    ledger_epcis_doc_t *doc;
    json_t *want;
    const json_t *ctx;

    /* only the standard context: events stay as they are */
    event_text(ev, sizeof ev, 1, "shipping", NULL);
    snprintf(text, sizeof text, HEAD "%s" TAIL, ev);
    doc = parse_text(text, "std");
    assert_null(json_object_get(ledger_epcis_doc_event(doc, 0), "@context"));
    ledger_epcis_doc_free(doc);

    /* prefixes: every event carries the document's @context */
    event_text(ev, sizeof ev, 1, "shipping", ",\"ex:x\":1");
    snprintf(text, sizeof text,
             "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\","
             "{\"ex\":\"https://example.com/\"}],\"type\":\"EPCISDocument\",\"schemaVersion\":"
             "\"2.0\",\"creationDate\":\"2024-05-01T10:00:00Z\",\"epcisBody\":{\"eventList\":[%s,"
             "{\"@context\":{\"ex2\":\"https://example.org/\"},%s]}}",
             ev, ev + 1);
    doc = parse_text(text, "prefixes");
    ctx = ledger_epcis_doc_context(doc);
    assert_true(
        json_equal(json_object_get(ledger_epcis_doc_event(doc, 0), "@context"), (json_t *)ctx));
    want = json_loads("[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\","
                      "{\"ex\":\"https://example.com/\"},{\"ex2\":\"https://example.org/\"}]",
                      0, NULL);
    assert_true(json_equal(json_object_get(ledger_epcis_doc_event(doc, 1), "@context"), want));
    json_decref(want);

    /* export: one head context, events without their own */
    {
        size_t len;
        char *out = export_doc(doc, 0, &len);
        json_t *root = json_loadb(out, len, 0, NULL);
        json_t *list;
        assert_non_null(root);
        want = json_loads("[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\","
                          "{\"ex\":\"https://example.com/\",\"ex2\":\"https://example.org/\"}]",
                          0, NULL);
        assert_true(json_equal(json_object_get(root, "@context"), want));
        list = json_object_get(json_object_get(root, "epcisBody"), "eventList");
        assert_int_equal(json_array_size(list), 2);
        assert_null(json_object_get(json_array_get(list, 0), "@context"));
        assert_null(json_object_get(json_array_get(list, 1), "@context"));
        assert_string_equal(json_string_value(json_object_get(root, "schemaVersion")), "2.0");
        assert_int_equal(strlen(json_string_value(json_object_get(root, "creationDate"))), 24);
        /* one event per line */
        assert_non_null(strstr(out, "[\n{\"type\":\"ObjectEvent\""));
        json_decref(want);
        json_decref(root);
        free(out);
    }
    ledger_epcis_doc_free(doc);
}

static void test_info(void **state)
{
    (void)state;
    ledger_epcis_doc_t *doc = parse_example("Example_9.6.1-ObjectEvent.jsonld");
    ledger_epcis_info_t info;
    ledger_err_t err;

    assert_int_equal(ledger_epcis_info(ledger_epcis_doc_event(doc, 0), &info, &err), 0);
    assert_string_equal(info.type, "ObjectEvent");
    assert_string_equal(info.action, "OBSERVE");
    assert_string_equal(info.biz_step, "shipping");
    assert_string_equal(info.disposition, "in_transit");
    assert_string_equal(info.read_point, "urn:epc:id:sgln:0614141.07346.1234");
    assert_null(info.biz_location);
    /* 2005-04-03T20:33:31.116000-06:00 */
    assert_int_equal(info.event_time_ms, 1112582011116LL);
    assert_int_equal(info.error_declaration, 0);
    assert_string_equal(info.event_id, "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7b"
                                       "d0b8af24dd3ccb30ba69?ver=CBV2.0");
    assert_int_equal(ledger_epcis_info(ledger_epcis_doc_event(doc, 1), &info, &err), 0);
    assert_string_equal(info.biz_location, "urn:epc:id:sgln:0012345.11111.0");
    ledger_epcis_doc_free(doc);

    doc = parse_example(
        "WithErrorDeclaration/Example_9.6.1-ObjectEvent-with-error-declaration.jsonld");
    assert_int_equal(ledger_epcis_info(ledger_epcis_doc_event(doc, 0), &info, &err), 0);
    assert_int_equal(info.error_declaration, 1);
    ledger_epcis_doc_free(doc);

    doc = parse_example("AssociationEvent/AssociationEvent-h.jsonld");
    assert_int_equal(ledger_epcis_info(ledger_epcis_doc_event(doc, 0), &info, &err), 0);
    /* 2019-11-04T14:00:00.000+01:00 */
    assert_int_equal(info.event_time_ms, 1572872400000LL);
    assert_string_equal(info.action, "DELETE");
    ledger_epcis_doc_free(doc);

    assert_int_equal(ledger_epcis_info(NULL, &info, &err), LEDGER_EINPUT);
}

struct id_seen {
    char ids[16][512];
    int roles[16];
    size_t n;
};

static int collect_id(const char *id, enum ledger_epcis_role role, void *ctx)
{
    struct id_seen *s = ctx;
    assert_true(s->n < 16);
    snprintf(s->ids[s->n], sizeof s->ids[0], "%s", id);
    s->roles[s->n++] = (int)role;
    return 0;
}

static int stop_at_second(const char *id, enum ledger_epcis_role role, void *ctx)
{
    (void)id;
    (void)role;
    return ++*(int *)ctx == 2 ? -99 : 0;
}

static void test_identifiers(void **state)
{
    (void)state;
    /* inputs and canonical outputs: conformance/event-hash/dl_normaliser_vectors.csv */
    static const char agg[] =
        "[{\"type\":\"AggregationEvent\",\"eventTime\":\"2024-05-01T10:00:00Z\","
        "\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"ADD\","
        "\"parentID\":\"urn:epc:id:sscc:4012345.3111111111\","
        "\"childEPCs\":[\"urn:epc:id:sgtin:415056789012.0.987654\"],"
        "\"childQuantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:4012345.012345.Lot987\","
        "\"quantity\":2}],"
        "\"sourceList\":[{\"type\":\"owning_party\",\"source\":\"urn:epc:id:pgln:4000001.00000\"}],"
        "\"destinationList\":[{\"type\":\"location\",\"destination\":"
        "\"urn:epc:id:sgln:4012345.00005.0\"}]},"
        "{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-05-01T10:00:00Z\","
        "\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"OBSERVE\","
        "\"epcList\":[\"urn:epc:id:giai:4012345.ABC345\",\"urn:example:thing:1\"],"
        "\"quantityList\":[{\"epcClass\":\"urn:epc:idpat:sgtin:4012345.012345.*\"}]},"
        "{\"type\":\"TransformationEvent\",\"eventTime\":\"2024-05-01T10:00:00Z\","
        "\"eventTimeZoneOffset\":\"+00:00\","
        "\"inputEPCList\":[\"urn:epc:id:grai:4012345.00022.334455\"],"
        "\"outputEPCList\":[\"https://id.gs1.org/gtin/09780345418913\"]}]";
    static const struct {
        const char *id;
        int role;
    } want[] = {
        {"https://id.gs1.org/00/340123451111111111", LEDGER_ROLE_PARENT},
        {"https://id.gs1.org/01/04150567890128/21/987654", LEDGER_ROLE_CHILD},
        {"https://id.gs1.org/01/04012345123456/10/Lot987", LEDGER_ROLE_CHILD},
        {"https://id.gs1.org/417/4000001000005", LEDGER_ROLE_SOURCE},
        {"https://id.gs1.org/414/4012345000054", LEDGER_ROLE_DEST},
        {"https://id.gs1.org/8004/4012345ABC345", LEDGER_ROLE_EPC},
        {"urn:example:thing:1", LEDGER_ROLE_EPC},
        {"https://id.gs1.org/01/04012345123456", LEDGER_ROLE_CLASS},
        {"https://id.gs1.org/8003/04012345000221334455", LEDGER_ROLE_INPUT},
        {"https://id.gs1.org/01/09780345418913", LEDGER_ROLE_OUTPUT},
    };
    ledger_epcis_doc_t *doc = parse_text(agg, "ids");
    struct id_seen seen;
    ledger_err_t err;
    size_t i, k = 0;
    int calls = 0;

    for (i = 0; i < 3; i++) {
        memset(&seen, 0, sizeof seen);
        assert_int_equal(
            ledger_epcis_identifiers(ledger_epcis_doc_event(doc, i), collect_id, &seen, &err), 0);
        for (size_t j = 0; j < seen.n; j++, k++) {
            assert_true(k < sizeof want / sizeof want[0]);
            assert_string_equal(seen.ids[j], want[k].id);
            assert_int_equal(seen.roles[j], want[k].role);
        }
    }
    assert_int_equal(k, sizeof want / sizeof want[0]);
    assert_int_equal(
        ledger_epcis_identifiers(ledger_epcis_doc_event(doc, 0), stop_at_second, &calls, &err),
        -99);
    ledger_epcis_doc_free(doc);
}

static void test_event_check_alone(void **state)
{
    (void)state;
    ledger_err_t err;
    json_t *ev = json_loads("{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-13-01T10:00:00Z\","
                            "\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[],\"action\":\"ADD\"}",
                            0, NULL);
    assert_int_equal(ledger_epcis_event_check(ev, "x.json: event 3", &err), LEDGER_EINPUT);
    assert_has(err.msg, "x.json: event 3: eventTime: \"2024-13-01T10:00:00Z\" is not a valid "
                        "date-time");
    json_object_set_new(ev, "eventTime", json_string("2024-02-29T23:59:60.5+14:00"));
    assert_int_equal(ledger_epcis_event_check(ev, "x", &err), 0);
    json_object_set_new(ev, "eventTimeZoneOffset", json_string("+14:30"));
    assert_int_equal(ledger_epcis_event_check(ev, "x", &err), LEDGER_EINPUT);
    json_object_set_new(ev, "eventTimeZoneOffset", json_string("-13:59"));
    assert_int_equal(ledger_epcis_event_check(ev, "x", &err), 0);
    json_decref(ev);
}

/* keten's garment ILMD (ledger_epcis_garment.c) and quantities below zero */
static void test_garment_ilmd(void **state)
{
    static const struct {
        const char *ilmd, *msg; /* msg NULL: accepted */
    } cases[] = {
        {"{\"garment:maxWashCycles\": 30}", NULL},
        {"{\"garment:maxWashCycles\": 30.0}", NULL},
        {"{\"garment:maxWashCycles\": \"30\"}", "ilmd.garment:maxWashCycles: \"30\" is a string"},
        {"{\"garment:maxWashCycles\": 30.5}", "ilmd.garment:maxWashCycles: 30.5 is not a number"},
        {"{\"garment:maxWashCycles\": 0}", "ilmd.garment:maxWashCycles: 0 is not"},
        {"{\"garment:maxWashCycles\": -1}", "ilmd.garment:maxWashCycles: -1 is not"},
        {"{\"g:maxWashCycles\": -1}", "ilmd.g:maxWashCycles"},           /* bound in @context */
        {"{\"other:maxWashCycles\": \"x\"}", NULL},                      /* another namespace */
        {"{\"garment:fibreComposition\": \"65% polyester, 35% cotton\"}", NULL},
        {"{\"garment:fibreComposition\": \"cotton 33.3%, wool 33.3 %, silk 33.3%\"}", NULL},
        {"{\"garment:fibreComposition\": \"cotton\"}", NULL},
        {"{\"garment:fibreComposition\": \"80% cotton, 35% polyester\"}", "adds up to 115%"},
        {"{\"garment:fibreComposition\": {\"cotton\": 80, \"polyester\": 35}}", "adds up to 115%"},
        {"{\"garment:fibreComposition\": {\"cotton\": 100}}", NULL},
        {"{\"garment:fibreComposition\": {}}", "adds up to 0%"},
        {"{\"garment:fibreComposition\": {\"cotton\": -5, \"wool\": 105}}",
         "ilmd.garment:fibreComposition.cotton: -5 is not a percentage"},
        {"{\"garment:fibreComposition\": [\"cotton\"]}", "ilmd.garment:fibreComposition: expected"},
        {"{\"garment:recycledContent\": 0}", NULL},
        {"{\"garment:recycledContent\": 101}", "ilmd.garment:recycledContent: 101 is not"},
        {"{\"garment:madeIn\": 351}", "ilmd.garment:madeIn: is not a string"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ledger_err_t err;
        json_t *ev = json_pack("{s:[{s:s, s:s}], s:s, s:s, s:s, s:s, s:[s], s:o}", "@context",
                               "g", "https://keten.dev/ns/garment#", "other", "https://example.com/",
                               "type", "ObjectEvent", "action", "ADD", "eventTime",
                               "2024-01-01T00:00:00Z", "eventTimeZoneOffset", "+00:00", "epcList",
                               "urn:epc:id:sgtin:5412345.000020.G1", "ilmd",
                               json_loads(cases[i].ilmd, 0, NULL));
        int rc = ledger_epcis_event_check(ev, "x.json: event 2", &err);
        if (!cases[i].msg && rc)
            fail_msg("%s refused: %s", cases[i].ilmd, err.msg);
        if (cases[i].msg) {
            assert_int_equal(rc, LEDGER_EINPUT);
            assert_has(err.msg, "x.json: event 2: ");
            assert_has(err.msg, cases[i].msg);
        }
        json_decref(ev);
    }
    {
        ledger_err_t err;
        json_t *ev = json_loads("{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\","
                                "\"eventTime\":\"2024-01-01T00:00:00Z\","
                                "\"eventTimeZoneOffset\":\"+00:00\",\"quantityList\":[{"
                                "\"epcClass\":\"urn:epc:class:lgtin:5412345.000099.L1\","
                                "\"quantity\":0}]}",
                                0, NULL);
        assert_int_equal(ledger_epcis_event_check(ev, "x", &err), 0); /* zero is a quantity */
        json_object_set_new(json_array_get(json_object_get(ev, "quantityList"), 0), "quantity",
                            json_real(-0.5));
        assert_int_equal(ledger_epcis_event_check(ev, "x", &err), LEDGER_EINPUT);
        assert_has(err.msg, "quantityList[0].quantity: -0.5 is below zero");
        json_decref(ev);
    }
}

/* ---- (e) the standard member order ---- */

/* v with the members of every object sorted as deterministic CBOR sorts
 * map keys (shorter first, then bytewise): how stored events come back. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_parse), cmocka_unit_test(test_event_hash_vectors),
        cmocka_unit_test(test_bad_fixtures),   cmocka_unit_test(test_bad_generated),
        cmocka_unit_test(test_bad_fields),     cmocka_unit_test(test_foreach),
        cmocka_unit_test(test_cbv_forms),      cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_self_contained), cmocka_unit_test(test_info),
        cmocka_unit_test(test_identifiers),    cmocka_unit_test(test_event_check_alone),
        cmocka_unit_test(test_garment_ilmd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
