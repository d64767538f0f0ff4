/* ledger_evctx.c -- the static model of EPCIS 2.0 for the event hash
 * (ledger_evctx.h).
 *
 * How it works: every table is static const data that the compiler lays
 * out, names with their lengths (sizeof of the literal) so that lookups
 * compare lengths before bytes. A scope is a short array of terms scanned
 * from the innermost scope outwards, as JSON-LD resolves a term; vocabulary
 * terms are sorted and found by binary search. The terms are those of the
 * ratified EPCIS 2.0 context (epcis-context.jsonld) that change what the
 * hash's set S holds: the @id- and @vocab-typed properties, the
 * property-scoped contexts of sourceList, destinationList,
 * bizTransactionList, persistentDisposition, errorDeclaration and
 * sensorElementList, and the literal properties that shadow a scoped term.
 */
#include "ledger_evctx.h"

#include <string.h>

#define NTERMS(a) (sizeof(a) / sizeof(a[0]))
#define CBV "https://ref.gs1.org/cbv/"
#define VOC "https://gs1.org/voc/"

/* ---- the EPCIS 2.0 context, as far as the hash needs it ---------------- */

/* The terms of the @vocab-typed properties (from the context's scoped
 * contexts: each maps to its prefix + the term): the word lists of
 * ledger__cbv_words.h, shared with ledger_cbv.c, sorted in strcmp order
 * (ledger_evctx_vocab() searches them by bisection). */
#include "ledger__cbv_words.h"

static const ledger_evctx_scope_t sc_top;
static const ledger_evctx_scope_t sc_se;

/* clang-format off */
#define ID(name) {name, sizeof(name) - 1, LEDGER_EVCTX_ID, NULL, 0, NULL, 0, NULL}
#define LIT(name) {name, sizeof(name) - 1, LEDGER_EVCTX_LIT, NULL, 0, NULL, 0, NULL}
#define TYPE(name) {name, sizeof(name) - 1, LEDGER_EVCTX_TYPE, NULL, 0, NULL, 0, NULL}
#define V(name, pre, tab) \
    {name, sizeof(name) - 1, LEDGER_EVCTX_VOCAB, pre, sizeof(pre) - 1, tab, NTERMS(tab), NULL}
#define S(name, sub) {name, sizeof(name) - 1, LEDGER_EVCTX_LIT, NULL, 0, NULL, 0, sub}

static const ledger_evctx_term_t t_sd[] = {ID("source"), ID("destination"),
                                           V("type", CBV "SDT-", sdt_words)};
static const ledger_evctx_scope_t sc_sd = {t_sd, NTERMS(t_sd), &sc_top};

static const ledger_evctx_term_t t_bt[] = {ID("bizTransaction"), V("type", CBV "BTT-", btt_words)};
static const ledger_evctx_scope_t sc_bt = {t_bt, NTERMS(t_bt), &sc_top};

static const ledger_evctx_term_t t_pd[] = {V("set", CBV "Disp-", disp_words),
                                           V("unset", CBV "Disp-", disp_words)};
static const ledger_evctx_scope_t sc_pd = {t_pd, NTERMS(t_pd), &sc_top};

static const ledger_evctx_term_t t_ed[] = {V("reason", CBV "ER-", er_words), ID("correctiveEventIDs"),
                                           LIT("declarationTime")};
static const ledger_evctx_scope_t sc_ed = {t_ed, NTERMS(t_ed), &sc_top};

static const ledger_evctx_term_t t_sm[] = {LIT("startTime"), LIT("endTime"), ID("bizRules")};
static const ledger_evctx_scope_t sc_sm = {t_sm, NTERMS(t_sm), &sc_se};

static const ledger_evctx_term_t t_sr[] = {
    V("type", VOC, mt_words), V("exception", VOC, alert_words), V("component", CBV "Comp-", comp_words),
    ID("coordinateReferenceSystem"), ID("microorganism"), ID("chemicalSubstance"), ID("uriValue"),
    LIT("time"), LIT("value"), LIT("stringValue"), LIT("booleanValue"), LIT("hexBinaryValue"),
    LIT("minValue"), LIT("maxValue"), LIT("meanValue"), LIT("sDev"), LIT("percRank"),
    LIT("percValue")};
static const ledger_evctx_scope_t sc_sr = {t_sr, NTERMS(t_sr), &sc_se};

static const ledger_evctx_term_t t_se[] = {
    ID("deviceID"), ID("deviceMetadata"), ID("rawData"), ID("dataProcessingMethod"), LIT("time"),
    TYPE("type"), S("sensorMetadata", &sc_sm), S("sensorReport", &sc_sr)};
static const ledger_evctx_scope_t sc_se = {t_se, NTERMS(t_se), &sc_top};

static const ledger_evctx_term_t t_top[] = {
    TYPE("type"), ID("id"), ID("eventID"), V("bizStep", CBV "BizStep-", bizstep_words),
    V("disposition", CBV "Disp-", disp_words), ID("certificationInfo"), ID("bizLocation"),
    ID("readPoint"), ID("transformationID"), ID("epcList"), ID("epcClass"), ID("parentID"),
    ID("childEPCs"), ID("inputEPCList"), ID("outputEPCList"), ID("member"), ID("children"),
    S("sourceList", &sc_sd), S("destinationList", &sc_sd), S("persistentDisposition", &sc_pd),
    S("bizTransactionList", &sc_bt), S("sensorElementList", &sc_se),
    S("errorDeclaration", &sc_ed), LIT("eventTime"), LIT("recordTime"), LIT("eventTimeZoneOffset"),
    LIT("action"), LIT("quantity"), LIT("uom"), LIT("quantityList"), LIT("childQuantityList"),
    LIT("inputQuantityList"), LIT("outputQuantityList"), LIT("ilmd")};
static const ledger_evctx_scope_t sc_top = {t_top, NTERMS(t_top), NULL};
#undef ID
#undef LIT
#undef TYPE
#undef V
#undef S

/* Prefixes the EPCIS context defines. */
static const struct {
    const char *name;
    size_t len;
    const char *iri;
} prefixes[] = {
    {"epcis", 5, "https://ref.gs1.org/epcis/"},
    {"cbv", 3, CBV},
    {"cbvmda", 6, "urn:epcglobal:cbv:mda:"},
    {"gs1", 3, VOC},
    {"rdfs", 4, "http://www.w3.org/2000/01/rdf-schema#"},
    {"owl", 3, "http://www.w3.org/2002/07/owl#"},
    {"xsd", 3, "http://www.w3.org/2001/XMLSchema#"},
    {"dcterms", 7, "http://purl.org/dc/terms/"},
};

/* ---- property order of the pre-hash (PROP_ORDER of the reference) ------- */

#define L(n) {n, sizeof(n) - 1, NULL, 0}
#define O(n, s) {n, sizeof(n) - 1, s, NTERMS(s)}
/* The reference's order for the three lists of pairs never matches
 * anything, so they are always rendered generically; an empty, non-NULL
 * order gives the same. */
#define N(n) {n, sizeof(n) - 1, o_none, 0}
static const ledger_evctx_ord_t o_epc[] = {L("epc")};
static const ledger_evctx_ord_t o_qe_f[] = {L("epcClass"), L("quantity"), L("uom")};
static const ledger_evctx_ord_t o_qe[] = {O("quantityElement", o_qe_f)};
static const ledger_evctx_ord_t o_pd[] = {L("set"), L("unset")};
static const ledger_evctx_ord_t o_id[] = {L("id")};
static const ledger_evctx_ord_t o_none[1] = {L("")};
static const ledger_evctx_ord_t o_sm[] = {
    L("time"), L("startTime"), L("endTime"), L("deviceID"), L("deviceMetadata"), L("rawData"),
    L("dataProcessingMethod"), L("bizRules")};
static const ledger_evctx_ord_t o_sr[] = {
    L("type"), L("exception"), L("deviceID"), L("deviceMetadata"), L("rawData"),
    L("dataProcessingMethod"), L("time"), L("microorganism"), L("chemicalSubstance"),
    L("value"), L("component"), L("stringValue"), L("booleanValue"), L("hexBinaryValue"),
    L("uriValue"), L("minValue"), L("maxValue"), L("meanValue"), L("sDev"), L("percRank"),
    L("percValue"), L("uom"), L("coordinateReferenceSystem")};
static const ledger_evctx_ord_t o_se_f[] = {O("sensorMetadata", o_sm), O("sensorReport", o_sr)};
static const ledger_evctx_ord_t o_se[] = {O("sensorElement", o_se_f)};
static const ledger_evctx_ord_t o_event[] = {
    L("eventTime"), L("eventTimeZoneOffset"), L("certificationInfo"), L("parentID"),
    O("epcList", o_epc), O("inputEPCList", o_epc), O("childEPCs", o_epc),
    O("quantityList", o_qe), O("childQuantityList", o_qe), O("inputQuantityList", o_qe),
    O("outputEPCList", o_epc), O("outputQuantityList", o_qe), L("action"),
    L("transformationID"), L("bizStep"), L("disposition"), O("persistentDisposition", o_pd),
    O("readPoint", o_id), O("bizLocation", o_id), N("bizTransactionList"),
    N("sourceList"), N("destinationList"),
    O("sensorElementList", o_se)};
#undef L
#undef O
#undef N
/* clang-format on */

/* ---- lookups ------------------------------------------------------------ */

const ledger_evctx_scope_t *ledger_evctx_top(void)
{
    return &sc_top;
}

const ledger_evctx_term_t *ledger_evctx_term(const ledger_evctx_scope_t *sc, const char *key,
                                             size_t n)
{
    for (; sc; sc = sc->parent)
        for (size_t i = 0; i < sc->n; i++)
            if (sc->t[i].len == n && sc->t[i].name[0] == key[0] &&
                memcmp(sc->t[i].name, key, n) == 0)
                return &sc->t[i];
    return NULL;
}

bool ledger_evctx_vocab(const ledger_evctx_term_t *t, const char *s)
{
    size_t lo = 0, hi = t->nvterms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(t->vterms[mid], s);
        if (r == 0)
            return true;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

const char *ledger_evctx_prefix(const char *p, size_t n)
{
    for (size_t i = 0; i < NTERMS(prefixes); i++)
        if (prefixes[i].len == n && memcmp(prefixes[i].name, p, n) == 0)
            return prefixes[i].iri;
    return NULL;
}

const ledger_evctx_ord_t *ledger_evctx_event_order(size_t *n)
{
    *n = NTERMS(o_event);
    return o_event;
}
