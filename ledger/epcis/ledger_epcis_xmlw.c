/* ledger_epcis_xmlw.c -- the EPCIS 2.0 XML writer (contract:
 * ledger_epcis_xmlw.h): JSON-LD events out as an EPCISDocument or an
 * EPCISQueryDocument, streaming.
 *
 * How: the head and tail are fixed text. Each event is one element named
 * by its "type"; its standard members are written in the XSD order of that
 * type (the order lists below), each as the field table of the reader
 * (ledger_epcis__xml_field, ledger__epcis_xml.h) says it is read: text, a
 * list of <epc>, <quantityElement>s, typed lists (<bizTransaction type=>),
 * readPoint/bizLocation, ILMD, errorDeclaration, persistentDisposition and
 * sensorElementList (sensorMetadata and sensorReport as attributes, typed by
 * ledger_epcis__xml_sensor_attr). The members named "prefix:local" (user
 * extensions) follow, at the end of the element that holds them, as the
 * XSD's ##other wildcard wants, written generically: a string, number or
 * boolean as text, an object as an element of its attributes (members
 * without a prefix and with a scalar value), "#text" and children, an array
 * as repeated elements. The prefixes of the event's "@context" are declared
 * on the event element; a member named by a full IRI gets a made-up prefix
 * declared where it is used. Reals are written with the fewest digits that
 * read back to the same double, and with a "." so that they read back as
 * reals; quantities never in exponent form (xsd:decimal has none). Text
 * is escaped (& < > and, in attributes, " and white space as character
 * references); a control character XML 1.0 cannot hold is an error.
 */
#include "ledger_epcis_xmlw.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ledger__epcis_xml.h"
#include "ledger_evctx.h"
#include "ledger_jsonw.h"

#define EPCIS_NS "urn:epcglobal:epcis:xsd:2"
#define EPCISQ_NS "urn:epcglobal:epcis-query:xsd:2"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define XSD_NS "http://www.w3.org/2001/XMLSchema"
#define ROOT_NS                                                                                    \
    "xmlns:epcis=\"" EPCIS_NS "\" xmlns:gs1=\"https://gs1.org/voc/\" "                             \
    "xmlns:cbv=\"https://ref.gs1.org/cbv/\" xmlns:xsi=\"" XSI_NS "\" xmlns:xsd=\"" XSD_NS "\""

struct ledger_epcis_xmlw {
    FILE *out;
    int kind, begun;
    int made;         /* made-up prefixes in the current event */
    const json_t *ns; /* the current event's prefix -> namespace (owned by ctx) */
    json_t *ctx;      /* the prefixes of the current event */
    char *query_name; /* QueryResults' queryName (NULL: SimpleEventQuery) */
    char *sub_id;     /* its subscriptionID, or NULL: none */
    json_t *extra;    /* prefix -> namespace the caller gives (ledger_epcis_xmlw_namespace) */
};

/* ---- the XSD order of each event type (after the common head) ---- */

static const char *const head_fields[] = {"eventTime", "recordTime",       "eventTimeZoneOffset",
                                          "eventID",   "errorDeclaration", "certificationInfo",
                                          NULL};
static const char *const object_fields[] = {"epcList",
                                            "action",
                                            "bizStep",
                                            "disposition",
                                            "readPoint",
                                            "bizLocation",
                                            "bizTransactionList",
                                            "quantityList",
                                            "sourceList",
                                            "destinationList",
                                            "sensorElementList",
                                            "persistentDisposition",
                                            "ilmd",
                                            NULL};
static const char *const aggregation_fields[] = {"parentID",
                                                 "childEPCs",
                                                 "action",
                                                 "bizStep",
                                                 "disposition",
                                                 "readPoint",
                                                 "bizLocation",
                                                 "bizTransactionList",
                                                 "childQuantityList",
                                                 "sourceList",
                                                 "destinationList",
                                                 "sensorElementList",
                                                 "persistentDisposition",
                                                 NULL};
static const char *const transaction_fields[] = {"bizTransactionList",
                                                 "parentID",
                                                 "epcList",
                                                 "action",
                                                 "bizStep",
                                                 "disposition",
                                                 "readPoint",
                                                 "bizLocation",
                                                 "quantityList",
                                                 "sourceList",
                                                 "destinationList",
                                                 "sensorElementList",
                                                 "persistentDisposition",
                                                 NULL};
static const char *const transformation_fields[] = {"inputEPCList",
                                                    "inputQuantityList",
                                                    "outputEPCList",
                                                    "outputQuantityList",
                                                    "transformationID",
                                                    "bizStep",
                                                    "disposition",
                                                    "readPoint",
                                                    "bizLocation",
                                                    "bizTransactionList",
                                                    "sourceList",
                                                    "destinationList",
                                                    "sensorElementList",
                                                    "persistentDisposition",
                                                    "ilmd",
                                                    NULL};
static const char *const association_fields[] = {"parentID",
                                                 "childEPCs",
                                                 "childQuantityList",
                                                 "action",
                                                 "bizStep",
                                                 "disposition",
                                                 "readPoint",
                                                 "bizLocation",
                                                 "bizTransactionList",
                                                 "sourceList",
                                                 "destinationList",
                                                 "sensorElementList",
                                                 "persistentDisposition",
                                                 NULL};

static const struct {
    const char *type;
    const char *const *fields;
} event_types[] = {
    {"ObjectEvent", object_fields},           {"AggregationEvent", aggregation_fields},
    {"TransactionEvent", transaction_fields}, {"TransformationEvent", transformation_fields},
    {"AssociationEvent", association_fields},
};

/* Bare CBV words and the URN prefix XML writes them with. */
static const struct {
    const char *field, *urn;
} cbv_urns[] = {
    {"bizStep", "urn:epcglobal:cbv:bizstep:"},    {"disposition", "urn:epcglobal:cbv:disp:"},
    {"bizTransaction", "urn:epcglobal:cbv:btt:"}, {"source", "urn:epcglobal:cbv:sdt:"},
    {"destination", "urn:epcglobal:cbv:sdt:"},    {"reason", "urn:epcglobal:cbv:er:"},
};

/* ---- text ---- */

static int bad_char(ledger_err_t *err, const char *what)
{
    return ledger_err_set(err, LEDGER_EINPUT, "%s: a control character, which XML 1.0 cannot hold",
                          what);
}

/* s, escaped for text (attr 0) or for an attribute value in quotes. */
static int put_escaped(ledger_epcis_xmlw_t *w, const char *s, int attr, ledger_err_t *err)
{
    const char *run = s;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *rep = NULL;
        char num[8];
        if (c == '&')
            rep = "&amp;";
        else if (c == '<')
            rep = "&lt;";
        else if (c == '>')
            rep = "&gt;";
        else if (attr && c == '"')
            rep = "&quot;";
        else if (attr && (c == '\n' || c == '\t' || c == '\r')) {
            snprintf(num, sizeof num, "&#%d;", c);
            rep = num;
        } else if (c == '\r') /* text: a literal CR would be read as a newline */
            rep = "&#13;";
        else if (c < 0x20 && c != '\n' && c != '\t')
            return bad_char(err, "a value");
        if (rep) {
            fwrite(run, 1, (size_t)(s - run), w->out);
            fputs(rep, w->out);
            run = s + 1;
        }
    }
    fputs(run, w->out);
    return 0;
}

/* A value of a standard field: a CURIE whose prefix the event's @context
 * binds to a namespace of its own ("example:someSensorProperty") is
 * written as the IRI it stands for, because the XML reader (as the
 * reference event hash of XML) expands only GS1's prefixes in values. */
static int put_vtext(ledger_epcis_xmlw_t *w, const char *t, int attr, ledger_err_t *err)
{
    const char *c = strchr(t, ':');
    char p[64];
    const json_t *iri;
    int rc;

    if (c && c > t && (size_t)(c - t) < sizeof p && c[1] != '/' && c[1] != '\0') {
        memcpy(p, t, (size_t)(c - t));
        p[c - t] = '\0';
        if (strcmp(p, "gs1") != 0 && strcmp(p, "cbv") != 0 &&
            json_is_string(iri = json_object_get(w->ns, p))) {
            if ((rc = put_escaped(w, json_string_value(iri), attr, err)) < 0)
                return rc;
            t = c + 1;
        }
    }
    return put_escaped(w, t, attr, err);
}

/* A number as text: integers as they are, reals with a "." (exponent
 * forms only when decimal is 0). */
static void number_text(const json_t *v, int decimal, char *out, size_t cap)
{
    if (json_is_integer(v)) {
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
        return;
    }
    double d = json_real_value(v);
    snprintf(out, cap, "%.*g", ledger_jsonw_digits(d, 1), d);
    char *e = strchr(out, 'e');
    if (e && decimal) {
        /* xsd:decimal: fixed notation with as many places as the digits
         * need (cap must hold them: 330 bytes and more) */
        int digits = (int)strcspn(out, "e") - (out[0] == '-') - (strchr(out, '.') != NULL);
        int places = digits - 1 - atoi(e + 1);
        snprintf(out, cap, "%.*f", places > 0 ? places : 0, d);
    }
    if (!strpbrk(out, ".en") && strlen(out) + 2 < cap)
        strcat(out, ".0");
    else if (out[strlen(out) - 1] == '.' && strlen(out) + 1 < cap)
        strcat(out, "0");
}

/* A scalar as text (string, number, boolean); 1 when v is not a scalar. */
static int scalar_text(const json_t *v, char *num, size_t cap, const char **out)
{
    if (json_is_string(v))
        *out = json_string_value(v);
    else if (json_is_number(v)) {
        number_text(v, 0, num, cap);
        *out = num;
    } else if (json_is_boolean(v))
        *out = json_is_true(v) ? "true" : "false";
    else
        return 1;
    return 0;
}

/* ---- names ---- */

static int name_char(unsigned char c, int first)
{
    return c >= 0x80 || c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (!first && (c == '-' || c == '.' || (c >= '0' && c <= '9')));
}

static int ncname(const char *s, size_t n)
{
    if (n == 0 || !name_char((unsigned char)s[0], 1))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!name_char((unsigned char)s[i], 0))
            return 0;
    return 1;
}

/* A made-up prefix for the namespace ns[0..nslen) and the member's local
 * name: name gets "nsN:local", decl " xmlns:nsN=\"NS\"" (escaped), to be
 * written on the element itself. */
static int made_up(ledger_epcis_xmlw_t *w, const char *key, const char *ns, size_t nslen,
                   const char *local, char *name, size_t cap, char *decl, size_t dcap,
                   ledger_err_t *err)
{
    size_t o;
    int n = snprintf(decl, dcap, " xmlns:ns%d=\"", ++w->made);

    if ((size_t)snprintf(name, cap, "ns%d:%s", w->made, local) >= cap || n < 0)
        return ledger_err_set(err, LEDGER_EINPUT, "member \"%.80s\": name too long", key);
    o = (size_t)n;
    for (size_t i = 0; i < nslen; i++) {
        const char c = ns[i];
        const char *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '"' ? "&quot;" : NULL;
        size_t l = rep ? strlen(rep) : 1;
        if ((unsigned char)c < 0x20)
            return bad_char(err, "a namespace");
        if (o + l + 2 >= dcap)
            return ledger_err_set(err, LEDGER_EINPUT, "member \"%.80s\": namespace too long", key);
        memcpy(decl + o, rep ? rep : &c, l);
        o += l;
    }
    decl[o++] = '"';
    decl[o] = '\0';
    return 0;
}

/* The namespace the root element binds prefix p to, or NULL. */
static const char *root_ns(const ledger_epcis_xmlw_t *w, const char *p)
{
    static const char *const root[][2] = {{"epcis", EPCIS_NS},
                                          {"gs1", "https://gs1.org/voc/"},
                                          {"cbv", "https://ref.gs1.org/cbv/"},
                                          {"xsi", XSI_NS},
                                          {"xsd", XSD_NS}};
    if (w->kind == LEDGER_EPCIS_XMLW_QUERY && strcmp(p, "epcisq") == 0)
        return EPCISQ_NS;
    for (size_t i = 0; i < sizeof root / sizeof root[0]; i++)
        if (strcmp(root[i][0], p) == 0)
            return root[i][1];
    return NULL;
}

/* xsi and xsd stay what the root binds them to (xsi:type, xsi:nil): an
 * event that binds them to other namespaces gets made-up prefixes. */
static int fixed_prefix(const char *p)
{
    return strcmp(p, "xsi") == 0 || strcmp(p, "xsd") == 0;
}

/* The XML name of member key: "prefix:local" with the prefix declared on
 * the event element, or (for a key that is an IRI, whose prefix is not
 * declared, or is xsi/xsd bound elsewhere) a made-up prefix that *decl
 * (" xmlns:nsN=...", to be written on this element) declares. 0, or
 * LEDGER_EINPUT when the key cannot be an XML name. */
static int xml_name(ledger_epcis_xmlw_t *w, const char *key, char *name, size_t cap, char *decl,
                    size_t dcap, ledger_err_t *err)
{
    const char *colon = strchr(key, ':');
    size_t plen = colon ? (size_t)(colon - key) : 0;

    decl[0] = '\0';
    if (strlen(key) >= cap)
        return ledger_err_set(err, LEDGER_EINPUT, "member \"%.80s\": name too long", key);
    if (!colon) {
        if (!ncname(key, strlen(key)))
            return ledger_err_set(err, LEDGER_EINPUT, "member \"%.80s\" is not an XML name", key);
        snprintf(name, cap, "%s", key);
        return 0;
    }
    if (plen < 64 && ncname(key, plen) && ncname(colon + 1, strlen(colon + 1))) {
        char p[64];
        const json_t *bound;
        memcpy(p, key, plen);
        p[plen] = '\0';
        if (json_is_string(bound = json_object_get(w->ns, p))) {
            const char *ns = json_string_value(bound);
            if (fixed_prefix(p) && strcmp(root_ns(w, p), ns) != 0)
                return made_up(w, key, ns, strlen(ns), colon + 1, name, cap, decl, dcap, err);
            snprintf(name, cap, "%s", key);
            return 0;
        }
        const char *std = ledger_evctx_prefix(p, plen); /* cbvmda:, ... */
        if (!std)
            std = json_string_value(json_object_get(w->extra, p)); /* checked when given */
        if (std && !fixed_prefix(p)) {
            snprintf(name, cap, "%s", key);
            snprintf(decl, dcap, " xmlns:%s=\"%s\"", p, std);
            return 0;
        }
        if (!colon[1] || !strpbrk(colon + 1, "/#"))
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "member \"%.80s\": its prefix \"%s\" is bound by none of the "
                                  "event's own @context items (a remote context is never "
                                  "fetched), so its XML namespace is unknown (keten export "
                                  "--xml and convert --to xml take --namespace %s=URI, a node "
                                  "http.xmlNamespaces in keten.json)",
                                  key, p, p);
    }
    /* an IRI: the namespace up to the last '/' or '#', the local name after */
    const char *cut = strrchr(key, '#');
    const char *slash = strrchr(key, '/');
    if (!cut || (slash && slash > cut))
        cut = slash;
    if (!cut || !ncname(cut + 1, strlen(cut + 1)))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "member \"%.80s\" is neither prefix:name with its prefix in "
                              "@context nor an IRI ending in an XML name",
                              key);
    return made_up(w, key, key, (size_t)(cut + 1 - key), cut + 1, name, cap, decl, dcap, err);
}

/* ---- generic values (user extensions) ---- */

static int put_value(ledger_epcis_xmlw_t *w, const char *key, const json_t *v, int depth,
                     ledger_err_t *err);

static int put_element(ledger_epcis_xmlw_t *w, const char *name, const char *decl, const json_t *v,
                       int depth, ledger_err_t *err)
{
    char num[64], aname[300], adecl[600];
    const char *t, *k;
    const json_t *m;
    int rc;

    if (depth + (w->kind == LEDGER_EPCIS_XMLW_QUERY ? 2 : 0) > LEDGER_EPCIS__XML_MAX_DEPTH)
        return ledger_err_set(err, LEDGER_EINPUT, "%s: nested deeper than XML is read", name);
    fprintf(w->out, "<%s%s", name, decl);
    if (json_is_null(v)) {
        fputs(" xsi:nil=\"true\"/>", w->out);
        return 0;
    }
    if (!scalar_text(v, num, sizeof num, &t)) {
        /* the JSON type, for the reader to give it back */
        fputs(json_is_boolean(v)   ? " xsi:type=\"xsd:boolean\">"
              : json_is_integer(v) ? " xsi:type=\"xsd:integer\">"
              : json_is_real(v)    ? " xsi:type=\"xsd:double\">"
                                   : ">",
              w->out);
        if ((rc = put_vtext(w, t, 0, err)) < 0)
            return rc;
        fprintf(w->out, "</%s>", name);
        return 0;
    }
    /* an object: scalar members without a prefix are its attributes */
    json_object_foreach((json_t *)v, k, m)
    {
        if (strchr(k, ':') || k[0] == '#' || k[0] == '@' || scalar_text(m, num, sizeof num, &t))
            continue;
        if ((rc = xml_name(w, k, aname, sizeof aname, adecl, sizeof adecl, err)) < 0)
            return rc;
        fprintf(w->out, " %s=\"", aname);
        if ((rc = put_vtext(w, t, 1, err)) < 0)
            return rc;
        fputc('"', w->out);
    }
    fputc('>', w->out);
    json_object_foreach((json_t *)v, k, m)
    {
        if (k[0] == '@')
            continue;
        if (strcmp(k, "#text") == 0) {
            if (!scalar_text(m, num, sizeof num, &t) && (rc = put_escaped(w, t, 0, err)) < 0)
                return rc;
            continue;
        }
        if (!strchr(k, ':') && !scalar_text(m, num, sizeof num, &t))
            continue; /* an attribute */
        if ((rc = put_value(w, k, m, depth + 1, err)) < 0)
            return rc;
    }
    fprintf(w->out, "</%s>", name);
    return 0;
}

/* Member key: v as the element(s) it is in XML. */
static int put_value(ledger_epcis_xmlw_t *w, const char *key, const json_t *v, int depth,
                     ledger_err_t *err)
{
    char name[300], decl[600];
    size_t i;
    const json_t *e;
    int rc;

    if ((rc = xml_name(w, key, name, sizeof name, decl, sizeof decl, err)) < 0)
        return rc;
    if (!json_is_array(v))
        return put_element(w, name, decl, v, depth, err);
    json_array_foreach(v, i, e) if ((rc = put_element(w, name, decl, e, depth, err)) < 0) return rc;
    return 0;
}

/* The extension members of obj ("prefix:local"), in their order; depth:
 * their elements' depth in the document (the root is 1). */
static int put_extensions(ledger_epcis_xmlw_t *w, const json_t *obj, int depth, ledger_err_t *err)
{
    const char *k;
    const json_t *v;
    int rc;

    json_object_foreach((json_t *)obj, k,
                        v) if (strchr(k, ':') &&
                               (rc = put_value(w, k, v, depth, err)) < 0) return rc;
    return 0;
}

/* ---- standard fields ---- */

/* <name>text</name>; a bare CBV word of field as its URN. */
static int put_text(ledger_epcis_xmlw_t *w, const char *name, const char *field, const json_t *v,
                    ledger_err_t *err)
{
    char num[64];
    const char *t;
    int rc;

    if (scalar_text(v, num, sizeof num, &t))
        return ledger_err_set(err, LEDGER_EINPUT, "%s: not a string", name);
    fprintf(w->out, "<%s>", name);
    for (size_t i = 0; field && !strchr(t, ':') && i < sizeof cbv_urns / sizeof cbv_urns[0]; i++)
        if (strcmp(cbv_urns[i].field, field) == 0)
            fputs(cbv_urns[i].urn, w->out);
    if ((rc = put_vtext(w, t, 0, err)) < 0)
        return rc;
    fprintf(w->out, "</%s>", name);
    return 0;
}

static int put_quantities(ledger_epcis_xmlw_t *w, const ledger_epcis__xfield_t *f,
                          const json_t *arr, ledger_err_t *err)
{
    static const char *const parts[] = {"epcClass", "quantity", "uom"};
    const json_t *q, *v;
    size_t i;
    char num[400];
    int rc;

    fprintf(w->out, "<%s>", f->name);
    json_array_foreach(arr, i, q)
    {
        fprintf(w->out, "<%s>", f->item);
        for (size_t p = 0; p < 3; p++) {
            if (!(v = json_object_get(q, parts[p])))
                continue;
            if (json_is_number(v)) {
                number_text(v, 1, num, sizeof num);
                fprintf(w->out, "<%s>%s</%s>", parts[p], num, parts[p]);
            } else if ((rc = put_text(w, parts[p], NULL, v, err)) < 0)
                return rc;
        }
        fprintf(w->out, "</%s>", f->item);
    }
    fprintf(w->out, "</%s>", f->name);
    return 0;
}

static int put_typed(ledger_epcis_xmlw_t *w, const ledger_epcis__xfield_t *f, const json_t *arr,
                     ledger_err_t *err)
{
    const json_t *o, *type;
    size_t i;
    int rc;

    fprintf(w->out, "<%s>", f->name);
    json_array_foreach(arr, i, o)
    {
        fprintf(w->out, "<%s", f->item);
        if (json_is_string(type = json_object_get(o, "type"))) {
            const char *t = json_string_value(type);
            fputs(" type=\"", w->out);
            for (size_t k = 0; !strchr(t, ':') && k < sizeof cbv_urns / sizeof cbv_urns[0]; k++)
                if (strcmp(cbv_urns[k].field, f->item) == 0)
                    fputs(cbv_urns[k].urn, w->out);
            if ((rc = put_vtext(w, t, 1, err)) < 0)
                return rc;
            fputc('"', w->out);
        }
        fputc('>', w->out);
        const char *val = json_string_value(json_object_get(o, f->item));
        if ((rc = put_vtext(w, val ? val : "", 0, err)) < 0)
            return rc;
        fprintf(w->out, "</%s>", f->item);
    }
    fprintf(w->out, "</%s>", f->name);
    return 0;
}

/* sensorMetadata, sensorReport: members as attributes. */
static int put_sensor_attrs(ledger_epcis_xmlw_t *w, const char *name, const json_t *o,
                            ledger_err_t *err)
{
    char num[64], aname[300], decl[600];
    const char *k, *t;
    const json_t *v;
    int rc;

    fprintf(w->out, "<%s", name);
    json_object_foreach((json_t *)o, k, v)
    {
        if (k[0] == '@' || scalar_text(v, num, sizeof num, &t))
            continue;
        if ((rc = xml_name(w, k, aname, sizeof aname, decl, sizeof decl, err)) < 0)
            return rc;
        fprintf(w->out, "%s %s=\"", decl, aname);
        if (strcmp(k, "type") == 0 && !strchr(t, ':'))
            fputs("gs1:", w->out);
        if ((rc = put_vtext(w, t, 1, err)) < 0)
            return rc;
        fputc('"', w->out);
    }
    fputs("/>", w->out);
    return 0;
}

static int put_sensors(ledger_epcis_xmlw_t *w, const json_t *arr, ledger_err_t *err)
{
    const json_t *el, *r;
    size_t i, j;
    int rc;

    fputs("<sensorElementList>", w->out);
    json_array_foreach(arr, i, el)
    {
        fputs("<sensorElement>", w->out);
        if ((r = json_object_get(el, "sensorMetadata")) &&
            (rc = put_sensor_attrs(w, "sensorMetadata", r, err)) < 0)
            return rc;
        json_array_foreach(json_object_get(el, "sensorReport"), j,
                           r) if ((rc = put_sensor_attrs(w, "sensorReport", r, err)) < 0) return rc;
        if ((rc = put_extensions(w, el, 7, err)) < 0)
            return rc;
        fputs("</sensorElement>", w->out);
    }
    fputs("</sensorElementList>", w->out);
    return 0;
}

static int put_strings(ledger_epcis_xmlw_t *w, const char *name, const char *item,
                       const char *field, const json_t *arr, ledger_err_t *err)
{
    const json_t *e;
    size_t i;
    int rc;

    if (name)
        fprintf(w->out, "<%s>", name);
    json_array_foreach(arr, i, e) if ((rc = put_text(w, item, field, e, err)) < 0) return rc;
    if (name)
        fprintf(w->out, "</%s>", name);
    return 0;
}

static int put_field(ledger_epcis_xmlw_t *w, const ledger_epcis__xfield_t *f, const json_t *v,
                     ledger_err_t *err)
{
    const json_t *m;
    int rc = 0;

    switch (f->kind) {
    case LEDGER_EPCIS__XF_STRING:
    case LEDGER_EPCIS__XF_TIME:
        if (json_is_array(v)) /* certificationInfo given more than once */
            return put_strings(w, NULL, f->name, NULL, v, err);
        return put_text(w, f->name, f->name, v, err);
    case LEDGER_EPCIS__XF_EPCS:
        return put_strings(w, f->name, f->item, NULL, v, err);
    case LEDGER_EPCIS__XF_QTYS:
        return put_quantities(w, f, v, err);
    case LEDGER_EPCIS__XF_TYPED:
        return put_typed(w, f, v, err);
    case LEDGER_EPCIS__XF_SENSORS:
        return put_sensors(w, v, err);
    case LEDGER_EPCIS__XF_POINT:
        fprintf(w->out, "<%s>", f->name);
        if ((m = json_object_get(v, "id")) && (rc = put_text(w, "id", NULL, m, err)) < 0)
            return rc;
        break;
    case LEDGER_EPCIS__XF_ILMD:
        fputs("<ilmd>", w->out);
        break;
    case LEDGER_EPCIS__XF_ERROR:
        fputs("<errorDeclaration>", w->out);
        if ((m = json_object_get(v, "declarationTime")) &&
            (rc = put_text(w, "declarationTime", NULL, m, err)) < 0)
            return rc;
        if ((m = json_object_get(v, "reason")) &&
            (rc = put_text(w, "reason", "reason", m, err)) < 0)
            return rc;
        if ((m = json_object_get(v, "correctiveEventIDs")) &&
            (rc = put_strings(w, "correctiveEventIDs", "correctiveEventID", NULL, m, err)) < 0)
            return rc;
        break;
    case LEDGER_EPCIS__XF_PDISP:
        fputs("<persistentDisposition>", w->out);
        if ((rc = put_strings(w, NULL, "unset", "disposition", json_object_get(v, "unset"), err)) <
                0 ||
            (rc = put_strings(w, NULL, "set", "disposition", json_object_get(v, "set"), err)) < 0)
            return rc;
        break;
    }
    /* the objects: their extensions, then the end tag */
    if ((rc = put_extensions(w, v, 6, err)) < 0)
        return rc;
    fprintf(w->out, "</%s>", f->name);
    return 0;
}

/* ---- the event ---- */

/* The prefixes of the event's @context into w->ctx (prefix -> namespace). */
static int event_prefixes(ledger_epcis_xmlw_t *w, const json_t *ev, ledger_err_t *err)
{
    const json_t *ctx = json_object_get(ev, "@context"), *c, *v;
    const char *k;
    size_t i;

    json_object_clear(w->ctx);
    if (json_object_set_new(w->ctx, "gs1", json_string("https://gs1.org/voc/")) < 0 ||
        json_object_set_new(w->ctx, "cbv", json_string("https://ref.gs1.org/cbv/")) < 0)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    for (i = 0; ctx && i < (json_is_array(ctx) ? json_array_size(ctx) : 1); i++) {
        c = json_is_array(ctx) ? json_array_get(ctx, i) : ctx;
        if (!json_is_object(c))
            continue;
        json_object_foreach((json_t *)c, k, v)
        {
            if (json_is_object(v))
                v = json_object_get(v, "@id");
            if (!json_is_string(v) || k[0] == '@' || !ncname(k, strlen(k)) ||
                strncasecmp(k, "xml", 3) == 0 || !json_string_value(v)[0])
                continue;
            if (json_object_set(w->ctx, k, (json_t *)v) < 0)
                return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        }
    }
    w->ns = w->ctx;
    return 0;
}

static int event_body(ledger_epcis_xmlw_t *w, const json_t *ev, const char *const *order,
                      ledger_err_t *err)
{
    const ledger_epcis__xfield_t *f;
    const json_t *v;
    const char *k;
    int rc;

    for (int pass = 0; pass < 2; pass++)
        for (const char *const *o = pass ? order : head_fields; *o; o++)
            if ((v = json_object_get(ev, *o)) && !json_is_null(v) &&
                (f = ledger_epcis__xml_field(*o)) && (rc = put_field(w, f, v, err)) < 0)
                return rc;
    /* standard fields the type's order does not have (the checks let few
     * through): after the others, so that nothing is lost */
    json_object_foreach((json_t *)ev, k, v)
    {
        int listed = 0;
        if (!(f = ledger_epcis__xml_field(k)) || json_is_null(v))
            continue;
        for (const char *const *o = head_fields; *o && !listed; o++)
            listed = strcmp(*o, k) == 0;
        for (const char *const *o = order; *o && !listed; o++)
            listed = strcmp(*o, k) == 0;
        if (!listed && (rc = put_field(w, f, v, err)) < 0)
            return rc;
    }
    return put_extensions(w, ev, 5, err); /* EPCISDocument/EPCISBody/EventList/event/here */
}

int ledger_epcis_xmlw_event(ledger_epcis_xmlw_t *w, const json_t *ev, ledger_err_t *err)
{
    const char *type = json_string_value(json_object_get(ev, "type")), *k;
    const char *const *order = NULL;
    const json_t *v;
    int rc;

    if (!w || !w->begun || !json_is_object(ev) || !type)
        return ledger_err_set(err, LEDGER_EINVAL, "xmlw_event: no writer, not begun, or no event");
    for (size_t i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
        if (strcmp(event_types[i].type, type) == 0)
            order = event_types[i].fields;
    if (!order)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "an event of type \"%.40s\" has no EPCIS XML form", type);
    if ((rc = event_prefixes(w, ev, err)) < 0)
        return rc;
    w->made = 0;
    fprintf(w->out, "<%s", type);
    json_object_foreach(w->ctx, k, v)
    {
        const char *r = root_ns(w, k);
        if (fixed_prefix(k) || (r && strcmp(r, json_string_value(v)) == 0))
            continue; /* on the root (xsi, xsd: never rebound, see xml_name) */
        fprintf(w->out, " xmlns:%s=\"", k);
        if ((rc = put_escaped(w, json_string_value(v), 1, err)) < 0)
            return rc;
        fputc('"', w->out);
    }
    fputc('>', w->out);
    if ((rc = event_body(w, ev, order, err)) < 0)
        return rc;
    fprintf(w->out, "</%s>\n", type);
    if (ferror(w->out))
        return ledger_err_set(err, LEDGER_EIO, "cannot write the XML document");
    return 0;
}

/* ---- the document ---- */

int ledger_epcis_xmlw_new(FILE *out, int kind, ledger_epcis_xmlw_t **w, ledger_err_t *err)
{
    if (w)
        *w = NULL;
    if (!out || !w || (kind != LEDGER_EPCIS_XMLW_DOCUMENT && kind != LEDGER_EPCIS_XMLW_QUERY))
        return ledger_err_set(err, LEDGER_EINVAL, "xmlw_new: no output or a bad kind");
    if (!(*w = calloc(1, sizeof **w)) || !((*w)->ctx = json_object())) {
        free(*w);
        *w = NULL;
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    (*w)->out = out;
    (*w)->kind = kind;
    return 0;
}

int ledger_epcis_xmlw_query_names(ledger_epcis_xmlw_t *w, const char *query_name,
                                  const char *subscription_id, ledger_err_t *err)
{
    if (!w || w->begun || w->kind != LEDGER_EPCIS_XMLW_QUERY || !query_name || !query_name[0])
        return ledger_err_set(err, LEDGER_EINVAL,
                              "xmlw_query_names: not a query writer before begin, or no name");
    free(w->query_name);
    free(w->sub_id);
    w->query_name = strdup(query_name);
    w->sub_id = subscription_id ? strdup(subscription_id) : NULL;
    if (!w->query_name || (subscription_id && !w->sub_id))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    return 0;
}

int ledger_epcis_xmlw_begin(ledger_epcis_xmlw_t *w, ledger_err_t *err)
{
    char now[40];
    struct timespec ts;
    struct tm tm;
    int rc;

    if (!w || w->begun)
        return ledger_err_set(err, LEDGER_EINVAL, "xmlw_begin: no writer, or begun twice");
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(now, 24, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(now + strlen(now), sizeof now - strlen(now), ".%03ldZ", ts.tv_nsec / 1000000);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", w->out);
    if (w->kind == LEDGER_EPCIS_XMLW_QUERY) {
        fprintf(w->out,
                "<epcisq:EPCISQueryDocument xmlns:epcisq=\"" EPCISQ_NS "\" " ROOT_NS
                " schemaVersion=\"2.0\" creationDate=\"%s\">\n<EPCISBody>\n<epcisq:QueryResults>"
                "<queryName>",
                now);
        if ((rc = put_escaped(w, w->query_name ? w->query_name : "SimpleEventQuery", 0, err)) < 0)
            return rc;
        fputs("</queryName>\n", w->out);
        if (w->sub_id) {
            fputs("<subscriptionID>", w->out);
            if ((rc = put_escaped(w, w->sub_id, 0, err)) < 0)
                return rc;
            fputs("</subscriptionID>\n", w->out);
        }
        fputs("<resultsBody>\n<EventList>\n", w->out);
    } else
        fprintf(w->out,
                "<epcis:EPCISDocument " ROOT_NS
                " schemaVersion=\"2.0\" creationDate=\"%s\">\n<EPCISBody>\n<EventList>\n",
                now);
    w->begun = 1;
    if (ferror(w->out))
        return ledger_err_set(err, LEDGER_EIO, "cannot write the XML document");
    return 0;
}

int ledger_epcis_xmlw_end(ledger_epcis_xmlw_t *w, ledger_err_t *err)
{
    int rc = 0;

    if (!w || !w->begun) {
        ledger_epcis_xmlw_free(w);
        return ledger_err_set(err, LEDGER_EINVAL, "xmlw_end: no writer, or not begun");
    }
    if (w->kind == LEDGER_EPCIS_XMLW_QUERY)
        fputs("</EventList>\n</resultsBody>\n</epcisq:QueryResults>\n</EPCISBody>\n"
              "</epcisq:EPCISQueryDocument>\n",
              w->out);
    else
        fputs("</EventList>\n</EPCISBody>\n</epcis:EPCISDocument>\n", w->out);
    if (fflush(w->out) != 0 || ferror(w->out))
        rc = ledger_err_set(err, LEDGER_EIO, "cannot write the XML document");
    ledger_epcis_xmlw_free(w);
    return rc;
}

int ledger_epcis_xmlw_namespace_check(const char *prefix, const char *uri, ledger_err_t *err)
{
    size_t n = prefix ? strlen(prefix) : 0;
    if (!n || n >= 64 || !ncname(prefix, n) || strncasecmp(prefix, "xml", 3) == 0 ||
        fixed_prefix(prefix))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "namespace prefix \"%.80s\": expected an XML name (not xml..., "
                              "epcis, gs1, cbv, xsi or xsd)",
                              prefix ? prefix : "");
    if (!uri || !strchr(uri, ':') || strpbrk(uri, " \t\r\n\"'<>&") || strlen(uri) > 400)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "namespace of \"%s\": \"%.80s\" is not an absolute URI (no spaces, "
                              "quotes, <, > or &)",
                              prefix, uri ? uri : "");
    return 0;
}

int ledger_epcis_xmlw_namespace(ledger_epcis_xmlw_t *w, const char *prefix, const char *uri,
                                ledger_err_t *err)
{
    int rc;
    if (!w || w->begun)
        return ledger_err_set(err, LEDGER_EINVAL, "xmlw_namespace: no writer, or begun");
    if ((rc = ledger_epcis_xmlw_namespace_check(prefix, uri, err)) < 0)
        return rc;
    if ((!w->extra && !(w->extra = json_object())) ||
        json_object_set_new(w->extra, prefix, json_string(uri)) < 0)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    return 0;
}

void ledger_epcis_xmlw_free(ledger_epcis_xmlw_t *w)
{
    if (!w)
        return;
    json_decref(w->extra);
    json_decref(w->ctx);
    free(w->query_name);
    free(w->sub_id);
    free(w);
}
