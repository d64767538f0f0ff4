/* test_epcis_export.c -- the EPCIS writer (ledger_epcis_export.h) and the
 * standard member order (ledger_epcis_ordered):
 * (b) round trip: each GS1 example exported with the streaming writer and
 *     read again gives the same events (json_equal, extension members
 *     included) and the same event hash IDs; all examples in one document
 *     too; prefixes that conflict between events stay with their events;
 * (e) the standard member order: the GS1 examples with every field,
 *     shuffled as stored events come back (deterministic CBOR: keys by
 *     length), come out in the order of the EPCIS 2.0 JSON Schema, nested
 *     objects in the order the examples have them, the same event with the
 *     same hash, and so does the export;
 * (f) the JSON binding's form of an event (ledger_epcis_json_binding).
 */
#include "epcis_testlib.h"

static void roundtrip(const char *name, ledger_epcis_doc_t *doc, int indent)
{
    size_t len, i, n = ledger_epcis_doc_count(doc);
    char *text = export_doc(doc, indent, &len);
    ledger_epcis_doc_t *again = NULL;
    ledger_err_t err;

    if (ledger_epcis_doc_parse(text, len, "export", &again, &err) < 0)
        fail_msg("%s: export does not read back: %s\n%s", name, err.msg, text);
    assert_int_equal(ledger_epcis_doc_count(again), n);
    for (i = 0; i < n; i++) {
        json_t *a = ledger_epcis_doc_event(doc, i), *b = ledger_epcis_doc_event(again, i);
        json_t *a0 = without_context(a), *b0 = without_context(b);
        char ha[LEDGER_EVHASH_LEN], hb[LEDGER_EVHASH_LEN];
        const char *key;
        json_t *v;
        /* extension members byte for byte, then the whole event */
        json_object_foreach(a0, key, v)
        {
            if (strchr(key, ':') && !json_equal(v, json_object_get(b0, key)))
                fail_msg("%s: event %zu: extension %s changed", name, i, key);
        }
        if (!json_equal(a0, b0)) {
            char *x = json_dumps(a0, JSON_SORT_KEYS), *y = json_dumps(b0, JSON_SORT_KEYS);
            fail_msg("%s: event %zu differs after export:\n%s\n%s", name, i, x, y);
        }
        hash_of(a, ha, name);
        hash_of(b, hb, name);
        if (strcmp(ha, hb) != 0)
            fail_msg("%s: event %zu: hash %s before export, %s after", name, i, ha, hb);
        json_decref(a0);
        json_decref(b0);
    }
    ledger_epcis_doc_free(again);
    free(text);
}

static void test_roundtrip(void **state)
{
    (void)state;
    size_t k;

    for (k = 0; k < N_EXAMPLES; k++) {
        ledger_epcis_doc_t *doc = parse_example(examples[k].path);
        roundtrip(examples[k].path, doc, 0);
        roundtrip(examples[k].path, doc, 2);
        ledger_epcis_doc_free(doc);
    }
}

/* All the examples' events in one export (as `keten export` of a ledger
 * that recorded them all): contexts of different documents meet in one head.
 * Among them, prefixes defined differently ("example" ends in "/" or not)
 * and prefixes some events use without defining them ("example:x" in a
 * document that defines only ext1..ext3). */
static void test_roundtrip_all(void **state)
{
    (void)state;
    ledger_epcis_doc_t *docs[N_EXAMPLES], *again;
    char *buf = NULL;
    size_t len = 0, k, i, n = 0, j = 0;
    FILE *f = open_memstream(&buf, &len);
    ledger_epcis_export_t *ex;
    ledger_err_t err;

    assert_int_equal(ledger_epcis_export_new(f, &ex, &err), 0);
    for (k = 0; k < N_EXAMPLES; k++) {
        docs[k] = parse_example(examples[k].path);
        for (i = 0; i < ledger_epcis_doc_count(docs[k]); i++, n++)
            assert_int_equal(ledger_epcis_export_scan(ex, ledger_epcis_doc_event(docs[k], i), &err),
                             0);
    }
    assert_int_equal(ledger_epcis_export_begin(ex, &err), 0);
    for (k = 0; k < N_EXAMPLES; k++)
        for (i = 0; i < ledger_epcis_doc_count(docs[k]); i++)
            assert_int_equal(
                ledger_epcis_export_event(ex, ledger_epcis_doc_event(docs[k], i), &err), 0);
    assert_int_equal(ledger_epcis_export_end(ex, &err), 0);
    fclose(f);
    if (ledger_epcis_doc_parse(buf, len, "all", &again, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(ledger_epcis_doc_count(again), n);
    for (k = 0; k < N_EXAMPLES; k++) {
        for (i = 0; i < ledger_epcis_doc_count(docs[k]); i++, j++) {
            char ha[LEDGER_EVHASH_LEN], hb[LEDGER_EVHASH_LEN];
            hash_of(ledger_epcis_doc_event(docs[k], i), ha, examples[k].path);
            hash_of(ledger_epcis_doc_event(again, j), hb, "export of all");
            if (strcmp(ha, hb) != 0)
                fail_msg("%s: event %zu: hash %s before export, %s after", examples[k].path, i, ha,
                         hb);
        }
        ledger_epcis_doc_free(docs[k]);
    }
    ledger_epcis_doc_free(again);
    free(buf);
}

/* ledger_epcis_export_event_text gives, for every event of the examples,
 * exactly the line the export writer puts in its eventList (when the head
 * covers the event's own @context, as it does with one event alone). */
static void test_event_text(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_EXAMPLES; k++) {
        ledger_epcis_doc_t *doc = parse_example(examples[k].path);
        for (size_t i = 0; i < ledger_epcis_doc_count(doc); i++) {
            const json_t *ev = ledger_epcis_doc_event(doc, i);
            json_t *noctx = json_deep_copy(ev);
            char *buf = NULL, *line;
            size_t len = 0;
            FILE *f = open_memstream(&buf, &len);
            ledger_epcis_export_t *ex;
            ledger_buf_t text = LEDGER_BUF_INIT;
            ledger_err_t err;
            json_object_del(noctx, "@context");
            assert_int_equal(ledger_epcis_export_new(f, &ex, &err), 0);
            assert_int_equal(ledger_epcis_export_scan(ex, noctx, &err), 0);
            assert_int_equal(ledger_epcis_export_begin(ex, &err), 0);
            assert_int_equal(ledger_epcis_export_event(ex, noctx, &err), 0);
            assert_int_equal(ledger_epcis_export_end(ex, &err), 0);
            fclose(f);
            assert_non_null(line = strchr(buf, '\n'));
            line++;
            *strchr(line, '\n') = 0;
            assert_int_equal(ledger_epcis_export_event_text(noctx, &text, &err), 0);
            if (text.len != strlen(line) || memcmp(text.data, line, text.len))
                fail_msg("%s: event %zu: %.*s\nexport writes: %s", examples[k].path, i,
                         (int)text.len, (const char *)text.data, line);
            ledger_buf_free(&text);
            free(buf);
            json_decref(noctx);
        }
        ledger_epcis_doc_free(doc);
    }
    {
        ledger_buf_t text = LEDGER_BUF_INIT;
        ledger_err_t err;
        json_t *a = json_array();
        assert_int_equal(ledger_epcis_export_event_text(a, &text, &err), LEDGER_EINVAL);
        json_decref(a);
    }
}

/* (f) the JSON binding's form (ledger_epcis_json_binding): CBV values in
 * EPCIS 1.x URNs (as the XML binding has them) come out as the bare words
 * GS1's JSON Schema requires; compact and web IRIs, other URIs, sensor
 * components and the event itself stay as they are; the hash is the same;
 * a repeated "@context" item goes. */
static void test_json_binding(void **state)
{
    (void)state;
    static const char *const src =
        "{\"@context\": [{\"ex\": \"https://example.com/ns/\"}, {\"ey\": \"https://example.com/y/\"},"
        " {\"ex\": \"https://example.com/ns/\"}],"
        " \"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T10:00:00.000Z\","
        " \"eventTimeZoneOffset\": \"+00:00\", \"epcList\": [\"urn:epc:id:sgtin:4012345.011122.25\"],"
        " \"action\": \"OBSERVE\", \"bizStep\": \"urn:epcglobal:cbv:bizstep:shipping\","
        " \"disposition\": \"urn:epcglobal:cbv:disp:in_transit\","
        " \"ex:disp\": \"https://ref.gs1.org/cbv/Disp-in_transit\","
        " \"persistentDisposition\": {\"set\": [\"urn:epcglobal:cbv:disp:completeness_verified\"],"
        " \"unset\": [\"cbv:Disp-needs_replacement\", \"https://example.com/disp/mine\"]},"
        " \"bizTransactionList\": [{\"type\": \"urn:epcglobal:cbv:btt:po\","
        " \"bizTransaction\": \"urn:epcglobal:cbv:bt:4012345000016:1\"}],"
        " \"sourceList\": [{\"type\": \"https://ref.gs1.org/cbv/SDT-owning_party\","
        " \"source\": \"urn:epc:id:pgln:4012345.00001\"}, {\"type\":"
        " \"urn:epcglobal:cbv:sdt:possessing_party\", \"source\": \"urn:epc:id:pgln:4012345.00001\"}],"
        " \"destinationList\": [{\"type\": \"https://example.com/sdt/dock\","
        " \"destination\": \"urn:epc:id:sgln:4012345.00002.0\"}],"
        " \"errorDeclaration\": {\"declarationTime\": \"2024-05-02T10:00:00.000Z\","
        " \"reason\": \"urn:epcglobal:cbv:er:incorrect_data\"},"
        " \"sensorElementList\": [{\"sensorReport\": [{\"type\": \"Temperature\", \"value\": 4.5,"
        " \"uom\": \"CEL\", \"component\": \"cbv:Comp-x\"}]}],"
        " \"ex:note\": \"urn:epcglobal:cbv:bizstep:shipping\"}";
    static const char *const want[][2] = {
        {"/bizStep", "shipping"},
        {"/disposition", "in_transit"},
        {"/persistentDisposition/set/0", "completeness_verified"},
        {"/persistentDisposition/unset/0", "cbv:Disp-needs_replacement"},
        {"/persistentDisposition/unset/1", "https://example.com/disp/mine"},
        {"/bizTransactionList/0/type", "po"},
        {"/bizTransactionList/0/bizTransaction", "urn:epcglobal:cbv:bt:4012345000016:1"},
        {"/sourceList/0/type", "https://ref.gs1.org/cbv/SDT-owning_party"},
        {"/sourceList/1/type", "possessing_party"},
        {"/destinationList/0/type", "https://example.com/sdt/dock"},
        {"/errorDeclaration/reason", "incorrect_data"},
        {"/sensorElementList/0/sensorReport/0/component", "cbv:Comp-x"},
        {"/ex:note", "urn:epcglobal:cbv:bizstep:shipping"},
    };
    json_error_t je;
    json_t *ev = json_loads(src, 0, &je), *orig, *b;
    char h0[LEDGER_EVHASH_LEN], h1[LEDGER_EVHASH_LEN];
    assert_non_null(ev);
    orig = json_deep_copy(ev);
    assert_non_null(b = ledger_epcis_json_binding(ev));
    assert_true(json_equal(ev, orig)); /* the event is not changed */
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const json_t *v = b;
        char path[128], *tok, *save = NULL;
        snprintf(path, sizeof path, "%s", want[i][0]);
        for (tok = strtok_r(path, "/", &save); tok && v; tok = strtok_r(NULL, "/", &save))
            v = json_is_array(v) ? json_array_get(v, strtoul(tok, NULL, 10)) : json_object_get(v, tok);
        if (!json_is_string(v) || strcmp(json_string_value(v), want[i][1]) != 0)
            fail_msg("%s: %s, expected %s", want[i][0], v ? json_string_value(v) : "(none)",
                     want[i][1]);
    }
    assert_int_equal(json_array_size(json_object_get(b, "@context")), 2);
    hash_of(ev, h0, "binding");
    hash_of(b, h1, "binding");
    assert_string_equal(h0, h1);
    /* a redefinition in between keeps the repeat: it matters */
    {
        json_t *c = json_loads("[{\"ex\": \"https://a/\"}, {\"ex\": \"https://b/\"},"
                               " {\"ex\": \"https://a/\"}]", 0, &je);
        json_t *e2 = json_pack("{s:s, s:O}", "type", "ObjectEvent", "@context", c), *b2;
        assert_non_null(b2 = ledger_epcis_json_binding(e2));
        assert_int_equal(json_array_size(json_object_get(b2, "@context")), 3);
        json_decref(b2);
        json_decref(e2);
        json_decref(c);
    }
    assert_null(ledger_epcis_json_binding(json_object_get(b, "epcList")));
    json_decref(b);
    json_decref(orig);
    json_decref(ev);
}

/* The reference generator's JSON-LD vectors through our reader: each event,
 * made self-contained by ledger_epcis, hashed alone, gives its .hashes line. */
static void test_export_conflict(void **state)
{
    (void)state;
    /* two events define "ex" differently: the second keeps its own @context */
    static const char *const evs[] = {
        "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\","
        "{\"ex\":\"https://a.example/\"}],\"type\":\"ObjectEvent\",\"eventTime\":"
        "\"2024-05-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[],\"action\":"
        "\"OBSERVE\",\"ex:v\":0.1,\"ex:w\":26.2}",
        "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\","
        "{\"ex\":\"https://b.example/\"}],\"type\":\"ObjectEvent\",\"eventTime\":"
        "\"2024-05-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[],\"action\":"
        "\"OBSERVE\",\"ex:v\":26.2,\"ex:w\":0.30000000000000004}",
    };
    char *buf = NULL;
    size_t len, i;
    FILE *f = open_memstream(&buf, &len);
    ledger_epcis_export_t *ex;
    ledger_err_t err;
    json_t *ev[2];
    ledger_epcis_doc_t *doc;

    for (i = 0; i < 2; i++)
        ev[i] = json_loads(evs[i], 0, NULL);
    assert_int_equal(ledger_epcis_export_new(f, &ex, &err), 0);
    for (i = 0; i < 2; i++)
        assert_int_equal(ledger_epcis_export_scan(ex, ev[i], &err), 0);
    assert_int_equal(ledger_epcis_export_begin(ex, &err), 0);
    assert_int_equal(ledger_epcis_export_scan(ex, ev[0], &err), LEDGER_EINVAL);
    for (i = 0; i < 2; i++)
        assert_int_equal(ledger_epcis_export_event(ex, ev[i], &err), 0);
    assert_int_equal(ledger_epcis_export_end(ex, &err), 0);
    fclose(f);
    /* short real numbers stay short, long ones exact (one precision per event) */
    assert_non_null(strstr(buf, "\"ex:v\":0.1,\"ex:w\":26.2}"));
    assert_non_null(strstr(buf, "0.30000000000000004"));
    doc = parse_text(buf, "conflict");
    for (i = 0; i < 2; i++) {
        char a[LEDGER_EVHASH_LEN], b[LEDGER_EVHASH_LEN];
        json_t *got = ledger_epcis_doc_event(doc, i);
        hash_of(ev[i], a, "original");
        hash_of(got, b, "exported");
        assert_string_equal(a, b);
        assert_true(json_equal(json_object_get(got, "ex:v"), json_object_get(ev[i], "ex:v")));
    }
    assert_null(strstr(buf, "\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/"
                            "epcis-context.jsonld\",{\"ex\":\"https://a.example/\"}],\"type\":"
                            "\"ObjectEvent\""));
    assert_non_null(strstr(buf, "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/"
                                "epcis-context.jsonld\",{\"ex\":\"https://b.example/\"}],"));
    ledger_epcis_doc_free(doc);
    json_decref(ev[0]);
    json_decref(ev[1]);
    free(buf);

    /* a prefix one event defines and another uses undefined stays out of the head */
    {
        static const char *const two[] = {
            "{\"@context\":{\"ex\":\"https://a.example/\"},\"type\":\"ObjectEvent\",\"eventTime\":"
            "\"2024-05-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[],"
            "\"action\":\"OBSERVE\",\"ex:v\":1}",
            "{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-05-01T10:00:00Z\","
            "\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[],\"action\":\"OBSERVE\",\"ex:v\":1}",
        };
        buf = NULL;
        f = open_memstream(&buf, &len);
        for (i = 0; i < 2; i++)
            ev[i] = json_loads(two[i], 0, NULL);
        assert_int_equal(ledger_epcis_export_new(f, &ex, &err), 0);
        for (i = 0; i < 2; i++)
            assert_int_equal(ledger_epcis_export_scan(ex, ev[i], &err), 0);
        assert_int_equal(ledger_epcis_export_begin(ex, &err), 0);
        for (i = 0; i < 2; i++)
            assert_int_equal(ledger_epcis_export_event(ex, ev[i], &err), 0);
        assert_int_equal(ledger_epcis_export_end(ex, &err), 0);
        fclose(f);
        assert_non_null(strstr(buf, "{\"@context\":\"https://ref.gs1.org/standards/epcis/2.0.0/"
                                    "epcis-context.jsonld\",\"type\":\"EPCISDocument\""));
        doc = parse_text(buf, "undefined prefix");
        for (i = 0; i < 2; i++) {
            char a[LEDGER_EVHASH_LEN], b[LEDGER_EVHASH_LEN];
            hash_of(ev[i], a, "original");
            hash_of(ledger_epcis_doc_event(doc, i), b, "exported");
            assert_string_equal(a, b);
        }
        assert_null(json_object_get(ledger_epcis_doc_event(doc, 1), "@context"));
        ledger_epcis_doc_free(doc);
        json_decref(ev[0]);
        json_decref(ev[1]);
        free(buf);
    }

    /* misuse */
    assert_int_equal(ledger_epcis_export_new(NULL, &ex, &err), LEDGER_EINVAL);
    assert_null(ex);
}

static int cmp_cbor_key(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

static json_t *cbor_order(const json_t *v)
{
    const char *keys[64], *key;
    json_t *out, *m;
    size_t i, n = 0;

    if (json_is_array(v)) {
        out = json_array();
        for (i = 0; i < json_array_size(v); i++)
            json_array_append_new(out, cbor_order(json_array_get(v, i)));
        return out;
    }
    if (!json_is_object(v))
        return json_incref((json_t *)v);
    json_object_foreach((json_t *)v, key, m)
    {
        assert_true(n < 64);
        keys[n++] = key;
    }
    qsort(keys, n, sizeof keys[0], cmp_cbor_key);
    out = json_object();
    for (i = 0; i < n; i++)
        json_object_set_new(out, keys[i], cbor_order(json_object_get(v, keys[i])));
    return out;
}

/* The member names of obj joined with ",". */
static void keys_of(const json_t *obj, char *out, size_t len)
{
    const char *key;
    json_t *m;
    size_t o = 0;

    out[0] = '\0';
    json_object_foreach((json_t *)obj, key, m)
    {
        int w = snprintf(out + o, len - o, "%s%s", o ? "," : "", key);
        assert_true(w > 0 && (size_t)w < len - o);
        o += (size_t)w;
    }
}

/* The names of obj that are not in the comma-separated list std, in obj's
 * order, each with a "," in front. */
static void others_of(const json_t *obj, const char *std, char *out, size_t len)
{
    char pat[200], all[2048];
    const char *key;
    json_t *m;
    size_t o = 0;

    out[0] = '\0';
    snprintf(all, sizeof all, ",%s,", std);
    json_object_foreach((json_t *)obj, key, m)
    {
        snprintf(pat, sizeof pat, ",%s,", key);
        if (!strstr(all, pat))
            o += (size_t)snprintf(out + o, len - o, ",%s", key);
    }
}

/* Nested objects: the GS1 examples write them in the standard order; after
 * the CBOR shuffle the order must give it back (extension members, which
 * follow, in the shuffled order). */
static void check_nested(const json_t *want, const json_t *got, const json_t *shuffled,
                         const char *std, const char *what)
{
    char w[2048], g[2048], o[1024], head[1024] = "";
    const char *key;
    json_t *m;
    size_t n = 0;

    if (json_is_array(want)) {
        assert_int_equal(json_array_size(got), json_array_size(want));
        for (size_t i = 0; i < json_array_size(want); i++)
            check_nested(json_array_get(want, i), json_array_get(got, i),
                         json_array_get(shuffled, i), std, what);
        return;
    }
    /* the standard members as the example has them, then the others */
    json_object_foreach((json_t *)want, key, m)
    {
        char pat[200], all[1024];
        snprintf(pat, sizeof pat, ",%s,", key);
        snprintf(all, sizeof all, ",%s,", std);
        if (strstr(all, pat))
            n += (size_t)snprintf(head + n, sizeof head - n, "%s%s", n ? "," : "", key);
    }
    others_of(shuffled, std, o, sizeof o);
    snprintf(w, sizeof w, "%s%s", head, n ? o : o + (o[0] == ','));
    keys_of(got, g, sizeof g);
    if (strcmp(w, g) != 0)
        fail_msg("%s: members %s, expected %s", what, g, w);
}

static void test_member_order(void **state)
{
    (void)state;
    /* EPCIS 2.0 JSON Schema order: the common head, the type's own
     * what-dimension, then the rest (AggregationEvent ... ilmd) */
    static const struct {
        const char *path, *order;
    } cases[] = {
        {"WithFullCombinationOfFields/object_event_all_possible_fields.jsonld",
         "@context,type,eventID,eventTime,eventTimeZoneOffset,errorDeclaration,certificationInfo,"
         "epcList,quantityList,action,bizStep,disposition,persistentDisposition,readPoint,"
         "bizLocation,bizTransactionList,sourceList,destinationList,sensorElementList,ilmd"},
        {"WithFullCombinationOfFields/aggregation_event_all_possible_fields.jsonld",
         "@context,type,eventID,eventTime,eventTimeZoneOffset,errorDeclaration,certificationInfo,"
         "parentID,childEPCs,childQuantityList,action,bizStep,disposition,readPoint,bizLocation,"
         "bizTransactionList,sourceList,destinationList,sensorElementList"},
        {"WithFullCombinationOfFields/association_event_all_possible_fields.jsonld",
         "@context,type,eventID,eventTime,eventTimeZoneOffset,errorDeclaration,certificationInfo,"
         "parentID,childEPCs,childQuantityList,action,bizStep,disposition,readPoint,bizLocation,"
         "bizTransactionList,sourceList,destinationList,sensorElementList"},
        {"WithFullCombinationOfFields/transaction_event_all_possible_fields.jsonld",
         "@context,type,eventID,eventTime,eventTimeZoneOffset,errorDeclaration,certificationInfo,"
         "bizTransactionList,parentID,epcList,quantityList,action,bizStep,disposition,readPoint,"
         "bizLocation,sourceList,destinationList,sensorElementList"},
        {"WithFullCombinationOfFields/transformation_event_all_possible_fields.jsonld",
         "@context,type,eventID,eventTime,eventTimeZoneOffset,errorDeclaration,certificationInfo,"
         "inputEPCList,inputQuantityList,outputEPCList,outputQuantityList,transformationID,"
         "bizStep,disposition,persistentDisposition,readPoint,bizLocation,bizTransactionList,"
         "sourceList,destinationList,sensorElementList,ilmd"},
        {"AssociationEvent/AssociationEvent-f.jsonld",
         "@context,type,eventID,eventTime,eventTimeZoneOffset,recordTime,parentID,childEPCs,"
         "childQuantityList,action,bizStep,disposition,readPoint,bizLocation,bizTransactionList,"
         "sourceList,destinationList,sensorElementList"},
    };
    static const struct {
        const char *member, *std;
    } nested[] = {
        {"readPoint", "id"},
        {"bizLocation", "id"},
        {"quantityList", "epcClass,quantity,uom"},
        {"childQuantityList", "epcClass,quantity,uom"},
        {"inputQuantityList", "epcClass,quantity,uom"},
        {"outputQuantityList", "epcClass,quantity,uom"},
        {"bizTransactionList", "type,bizTransaction"},
        {"sourceList", "type,source"},
        {"destinationList", "type,destination"},
        {"errorDeclaration", "declarationTime,reason,correctiveEventIDs"},
        {"persistentDisposition", "set,unset"},
        {"sensorElementList", "sensorMetadata,sensorReport"},
    };
    size_t k, i;

    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ledger_epcis_doc_t *doc = parse_example(cases[k].path);
        json_t *ev = ledger_epcis_doc_event(doc, 0);
        json_t *shuffled = cbor_order(ev), *got = ledger_epcis_ordered(shuffled);
        char want[2048], g[2048], o[1024], before[2048], after[2048];
        char ha[LEDGER_EVHASH_LEN], hb[LEDGER_EVHASH_LEN];

        assert_non_null(got);
        /* every member of the schema's list in its place, then the
         * extensions in the order they came in */
        others_of(shuffled, cases[k].order, o, sizeof o);
        assert_true(strchr(o, ':') != NULL || k == 5); /* the examples have extensions */
        snprintf(want, sizeof want, "%s%s", cases[k].order, o);
        keys_of(got, g, sizeof g);
        if (strcmp(want, g) != 0)
            fail_msg("%s: members\n  %s\nexpected\n  %s", cases[k].path, g, want);
        for (i = 0; i < sizeof nested / sizeof nested[0]; i++) {
            const json_t *w = json_object_get(ev, nested[i].member);
            if (w)
                check_nested(w, json_object_get(got, nested[i].member),
                             json_object_get(shuffled, nested[i].member), nested[i].std,
                             nested[i].member);
        }
        /* from the example's own order too; the same event, the same hash,
         * the input untouched */
        json_t *again = ledger_epcis_ordered(ev);
        keys_of(again, g, sizeof g);
        others_of(ev, cases[k].order, o, sizeof o);
        snprintf(want, sizeof want, "%s%s", cases[k].order, o);
        assert_string_equal(g, want);
        json_decref(again);
        assert_true(json_equal(got, ev));
        hash_of(ev, ha, cases[k].path);
        hash_of(got, hb, cases[k].path);
        assert_string_equal(ha, hb);
        keys_of(shuffled, before, sizeof before);
        json_decref(ledger_epcis_ordered(shuffled));
        keys_of(shuffled, after, sizeof after);
        assert_string_equal(before, after);
        json_decref(got);

        /* the export writes events in that order */
        {
            char *buf = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&buf, &len);
            ledger_epcis_export_t *ex;
            ledger_err_t err;
            json_t *docj, *out;
            assert_int_equal(ledger_epcis_export_new(f, &ex, &err), 0);
            assert_int_equal(ledger_epcis_export_scan(ex, shuffled, &err), 0);
            assert_int_equal(ledger_epcis_export_begin(ex, &err), 0);
            assert_int_equal(ledger_epcis_export_event(ex, shuffled, &err), 0);
            assert_int_equal(ledger_epcis_export_end(ex, &err), 0);
            fclose(f);
            docj = json_loadb(buf, len, 0, NULL); /* jansson keeps the order */
            assert_non_null(docj);
            out =
                json_array_get(json_object_get(json_object_get(docj, "epcisBody"), "eventList"), 0);
            keys_of(out, g, sizeof g);
            /* the head defines the context: the event goes without it */
            others_of(shuffled, cases[k].order, o, sizeof o);
            snprintf(want, sizeof want, "%s%s", cases[k].order + strlen("@context,"), o);
            assert_string_equal(g, want);
            json_decref(docj);
            free(buf);
        }
        json_decref(shuffled);
        ledger_epcis_doc_free(doc);
    }

    /* an event of no known type: the what-dimension in one fixed order;
     * members its type would not have stay with the extensions */
    {
        json_t *ev = json_loads("{\"ex:z\":1,\"quantityList\":[],\"action\":\"ADD\","
                                "\"childEPCs\":[],\"epcList\":[],\"type\":\"FooEvent\",\"ex:a\":2}",
                                0, NULL);
        json_t *got = ledger_epcis_ordered(ev);
        char g[512];
        keys_of(got, g, sizeof g);
        assert_string_equal(g, "type,epcList,childEPCs,quantityList,action,ex:z,ex:a");
        json_decref(got);
        json_object_set_new(ev, "type", json_string("ObjectEvent"));
        json_object_set_new(ev, "readPoint", json_pack("{s:i,s:s}", "ex:b", 1, "id", "urn:x:y"));
        got = ledger_epcis_ordered(ev);
        keys_of(got, g, sizeof g);
        assert_string_equal(g, "type,epcList,quantityList,action,readPoint,ex:z,childEPCs,ex:a");
        keys_of(json_object_get(got, "readPoint"), g, sizeof g);
        assert_string_equal(g, "id,ex:b");
        json_decref(got);
        json_decref(ev);
    }
    assert_null(ledger_epcis_ordered(NULL));
    json_t *arr = json_array();
    assert_null(ledger_epcis_ordered(arr));
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_roundtrip_all),
        cmocka_unit_test(test_export_conflict),
        cmocka_unit_test(test_event_text),
        cmocka_unit_test(test_member_order),
        cmocka_unit_test(test_json_binding),
    };
    return cmocka_run_group_tests_name("epcis_export", tests, NULL, NULL);
}
