/* ledger_epcis_binding.c -- an event as EPCIS 2.0's JSON/JSON-LD binding
 * writes it (ledger_epcis_json_binding in ledger_epcis.h): what keten's
 * JSON-LD output (export, convert, the REST answers, the NATS stream) sends.
 *
 * A stored event keeps the CBV values it was given, in whichever form: the
 * XML binding and EPCIS 1.x write them as URNs
 * ("urn:epcglobal:cbv:bizstep:shipping"), and keten accepts every form
 * (ledger_cbv.h). The JSON binding has the bare word ("shipping") where
 * XML has the URN; GS1's JSON Schema refuses the URN (its vocab-other-uri
 * pattern). So the copy made here has, for each CBV value that is a word
 * of its vocabulary given as a URN, the bare word: bizStep, disposition,
 * persistentDisposition (set, unset), the
 * types of business transactions, sources and destinations and
 * errorDeclaration's reason. Values of other vocabularies (any other URI)
 * stay as they are. The URN and the bare word of these vocabularies give
 * the same event hash (GS1's rule), so the copy hashes as the event.
 * Sensor report components (CBV 2.0 terms only, no URN) are left alone.
 * An event's own "@context" loses items that repeat an earlier one to no
 * effect (ledger_epcis__context_unique): stores hold such merges, and the
 * schema wants the items unique.
 *
 * How it works: ledger_epcis_ordered makes the ordered shallow copy, whose
 * standard nested objects are new (their values shared); a member of such
 * a new object is replaced where needed, and a shared array or object is
 * copied before anything in it changes. The event itself is never changed.
 */
#include "ledger_epcis.h"

#include <string.h>

#include "ledger__epcis.h"
#include "ledger_cbv.h"

/* The EPCIS 1.x and XML form of a CBV value, which the JSON binding does
 * not have. The compact and web IRIs ("cbv:Disp-x", "https://ref.gs1.org/
 * cbv/Disp-x") are left as they are: the schema takes them, and the event
 * hash does not expand every compact IRI as it does the bare word. */
#define URN "urn:epcglobal:cbv:"

/* The bare word for a CBV value given as a URN; NULL when it stays (not a
 * string, not a URN, another vocabulary's, or not a word). */
static const char *word_of(const ledger_cbv_vocab_t *voc, const json_t *v, char *w, size_t len)
{
    const char *s = json_string_value(v);
    char why[8];
    if (!s || strncmp(s, URN, sizeof URN - 1) != 0 || ledger_cbv_check(voc, s, why, sizeof why) != 0)
        return NULL;
    ledger_cbv_short(s, w, len);
    if (strlen(w) + 1 >= len || strchr(w, ':'))
        return NULL;
    return w;
}

/* obj (an object only out holds) member key: its bare word. 0 or -1. */
static int fix_member(json_t *obj, const char *key, const ledger_cbv_vocab_t *voc)
{
    char w[64];
    const char *word = word_of(voc, json_object_get(obj, key), w, sizeof w);
    return word ? json_object_set_new_nocheck(obj, key, json_string(word)) : 0;
}

/* A copy of array a with its strings' bare words, or a new reference to a
 * when none changes. NULL: out of memory. */
static json_t *fix_words(json_t *a, const ledger_cbv_vocab_t *voc)
{
    char w[64];
    size_t i, n = json_array_size(a);
    json_t *out;
    for (i = 0; i < n && !word_of(voc, json_array_get(a, i), w, sizeof w); i++)
        ;
    if (i == n)
        return json_incref(a);
    if (!(out = json_array()))
        return NULL;
    for (i = 0; i < n; i++) {
        json_t *e = json_array_get(a, i);
        const char *word = word_of(voc, e, w, sizeof w);
        if (json_array_append_new(out, word ? json_string(word) : json_incref(e)) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* The type member of each object in the array (objects only out holds). */
static int fix_types(json_t *list, const ledger_cbv_vocab_t *voc)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (json_is_object(e) && fix_member(e, "type", voc) < 0)
            return -1;
    }
    return 0;
}

/* persistentDisposition (an object only out holds): set and unset. */
static int fix_pdisp(json_t *pd)
{
    static const char *const sides[] = {"set", "unset"};
    for (size_t i = 0; i < 2; i++) {
        json_t *a = json_object_get(pd, sides[i]), *b;
        if (!json_is_array(a))
            continue;
        if (!(b = fix_words(a, &ledger_cbv_disp)) || json_object_set_new_nocheck(pd, sides[i], b))
            return -1;
    }
    return 0;
}

json_t *ledger_epcis_json_binding(const json_t *event)
{
    json_t *out = ledger_epcis_ordered(event), *v;
    if (!out)
        return NULL;
    if ((v = json_object_get(out, "@context")) && json_is_array(v) &&
        json_object_set_new_nocheck(out, "@context", ledger_epcis__context_unique(v)) < 0)
        goto fail;
    if (fix_member(out, "bizStep", &ledger_cbv_bizstep) < 0 ||
        fix_member(out, "disposition", &ledger_cbv_disp) < 0)
        goto fail;
    if (json_is_object(v = json_object_get(out, "persistentDisposition")) && fix_pdisp(v) < 0)
        goto fail;
    if (json_is_object(v = json_object_get(out, "errorDeclaration")) &&
        fix_member(v, "reason", &ledger_cbv_er) < 0)
        goto fail;
    if (fix_types(json_object_get(out, "bizTransactionList"), &ledger_cbv_btt) < 0 ||
        fix_types(json_object_get(out, "sourceList"), &ledger_cbv_sdt) < 0 ||
        fix_types(json_object_get(out, "destinationList"), &ledger_cbv_sdt) < 0)
        goto fail;
    return out;
fail:
    json_decref(out);
    return NULL;
}
