/* ledger_epcis_xmlmap.c -- the EPCIS XML reader's second half: one event,
 * read into a tree by ledger_epcis_xml.c, mapped to the JSON-LD model of
 * the rest of ledger_epcis (contract: ledger__epcis_xml.h; the rules are
 * at the top of ledger_epcis_xml.c), and the reader's messages.
 *
 * How: the children of the event element are walked once; an `extension`
 * or `baseExtension` wrapper is walked as if its children stood in its
 * place (EPCIS 1.x to 2.0); an element without a namespace is a standard
 * one, mapped by where it stands (scope: event, readPoint/bizLocation,
 * ilmd, errorDeclaration, sensorElement, persistentDisposition) to a
 * string, a date-time (checked), a list of EPCs, quantity elements (the
 * quantity a JSON number), typed lists (bizTransaction, source,
 * destination: {type, value}), sensor attributes (numbers, booleans and
 * times typed) or an object; an element in a namespace is a user
 * extension, mapped generically (text -> string, else an object of its
 * attributes and children, repeated names -> arrays) under a member name
 * "prefix:local" whose prefix is bound in the event's @context.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_epcis.h"
#include "ledger__epcis_xml.h"

#define STD_CONTEXT "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define XML_MAX_DEPTH LEDGER_EPCIS__XML_MAX_DEPTH

typedef ledger_epcis__xmap_t xr_t;
typedef ledger_epcis__xnode_t xnode_t;
typedef ledger_epcis__xattr_t xattr_t;

/* ---- messages ---- */

/* "SOURCE: line L, column C: [event N (Type): ]TEXT" */
int ledger_epcis__xfail_at(xr_t *x, long line, long col, const char *fmt, ...)
{
    char text[700], ev[120] = "";
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (x->in_event)
        snprintf(ev, sizeof ev, "event %zu (%s): ", x->index, x->etype ? x->etype : "?");
    return ledger_err_set(x->err, LEDGER_EINPUT, "%s: line %ld, column %ld: %s%s", x->source, line,
                          col, ev, text);
}

/* The element path of n inside its event, "ObjectEvent/epcList/epc". */
static void node_path(const xnode_t *n, char *out, size_t len)
{
    const xnode_t *v[XML_MAX_DEPTH + 2];
    size_t k = 0, o = 0;

    for (; n && k < XML_MAX_DEPTH + 2; n = n->up)
        v[k++] = n;
    out[0] = '\0';
    while (k-- > 0 && o < len) {
        int w = snprintf(out + o, len - o, "%s%s%s%s", o ? "/" : "",
                         v[k]->prefix ? v[k]->prefix : "", v[k]->prefix ? ":" : "", v[k]->local);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

/* "SOURCE: line L, column C: event N (Type): element PATH: TEXT" */
int ledger_epcis__xfail_node(xr_t *x, const xnode_t *n, const char *fmt, ...)
{
    char text[500], path[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    node_path(n, path, sizeof path);
    return ledger_epcis__xfail_at(x, n->line, n->col, "element %s: %s", path, text);
}

static int nomem(xr_t *x)
{
    return ledger_err_set(x->err, LEDGER_ENOMEM, "out of memory");
}

void ledger_epcis__xfree(xnode_t *n)
{
    while (n) {
        xnode_t *next = n->next;
        ledger_epcis__xfree(n->kid);
        for (size_t i = 0; i < n->nattrs; i++) {
            free(n->attrs[i].ns);
            free(n->attrs[i].prefix);
            free(n->attrs[i].local);
            free(n->attrs[i].value);
        }
        free(n->attrs);
        free(n->ns);
        free(n->prefix);
        free(n->local);
        free(n->text);
        free(n);
        n = next;
    }
}

int ledger_epcis__xml_gs1_vocab(const char *ns)
{
    return strcmp(ns, "https://gs1.org/voc/") == 0 || strcmp(ns, "https://ref.gs1.org/cbv/") == 0;
}

/* ---- the mapping ---- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The trimmed text of n (in place; "" when none). */
static const char *text_of(xnode_t *n)
{
    char *s = n->text, *e;

    if (!s)
        return "";
    while (is_space(*s))
        s++;
    e = s + strlen(s);
    while (e > s && is_space(e[-1]))
        *--e = '\0';
    return s;
}

/* xsi:nil="true": the element stands for a value that is absent. */
static int is_nil(const xnode_t *n)
{
    for (size_t i = 0; i < n->nattrs; i++)
        if (n->attrs[i].ns && strcmp(n->attrs[i].ns, XSI_NS) == 0 &&
            strcmp(n->attrs[i].local, "nil") == 0)
            return strcmp(n->attrs[i].value, "true") == 0 || strcmp(n->attrs[i].value, "1") == 0;
    return 0;
}

static int is(const xnode_t *n, const char *local)
{
    return !n->ns && strcmp(n->local, local) == 0;
}

/* The member name for a namespaced element or attribute: "prefix:local",
 * with the prefix bound in x->ns. */
static int qname(xr_t *x, const char *ns, const char *prefix, const char *local, char *out,
                 size_t cap, const xnode_t *at)
{
    char made[32];
    const char *p = prefix;
    const json_t *bound = p ? json_object_get(x->ns, p) : NULL;
    const json_t *vp = p ? json_object_get(x->vns, p) : NULL;

    if (!x->ns && !(x->ns = json_object()))
        return nomem(x);
    if (!p || (bound && strcmp(json_string_value(bound), ns) != 0) ||
        (vp && (!json_is_string(vp) || strcmp(json_string_value(vp), ns) != 0))) {
        const char *k;
        json_t *v;
        p = NULL;
        json_object_foreach(x->ns, k, v) if (strcmp(json_string_value(v), ns) == 0) p = k;
        while (!p) {
            snprintf(made, sizeof made, "ns%d", ++x->nsgen);
            if (!json_object_get(x->ns, made) && !json_object_get(x->vns, made))
                p = made;
        }
    }
    if (!json_object_get(x->ns, p) && json_object_set_new(x->ns, p, json_string(ns)) < 0)
        return nomem(x);
    if ((size_t)snprintf(out, cap, "%s:%s", p, local) >= cap)
        return ledger_epcis__xfail_node(x, at, "name longer than %zu bytes", cap);
    return 0;
}

/* Adds key: v to obj; a key given again makes an array (v is stolen). */
static int add_member(xr_t *x, json_t *obj, const char *key, json_t *v)
{
    json_t *old = json_object_get(obj, key);

    if (!v)
        return nomem(x);
    if (!old)
        return json_object_set_new(obj, key, v) < 0 ? nomem(x) : 0;
    if (json_is_array(old))
        return json_array_append_new(old, v) < 0 ? nomem(x) : 0;
    json_t *arr = json_pack("[O,o]", old, v);
    return !arr || json_object_set_new(obj, key, arr) < 0 ? nomem(x) : 0;
}

static int number_of(xr_t *x, xnode_t *at, const char *what, const char *s, json_t **out);

/* The text of a user extension element without attributes of its own; an
 * xsi:type of XML Schema's boolean or numbers (as keten's XML writer puts
 * on JSON booleans and numbers) gives a JSON boolean or number. */
static int typed_text(xr_t *x, xnode_t *n, const char *type, json_t **out)
{
    static const char *const numbers[] = {"decimal", "double", "float", "integer",
                                          "int",     "long",   NULL};
    const char *t = text_of(n), *local = type ? strchr(type, ':') : NULL;

    if (local && (strncmp(type, "xsd:", 4) == 0 || strncmp(type, "xs:", 3) == 0)) {
        local++;
        if (strcmp(local, "boolean") == 0) {
            if (strcmp(t, "true") == 0 || strcmp(t, "1") == 0)
                return (*out = json_true()) ? 0 : nomem(x);
            if (strcmp(t, "false") == 0 || strcmp(t, "0") == 0)
                return (*out = json_false()) ? 0 : nomem(x);
            return ledger_epcis__xfail_node(x, n, "xsi:type xsd:boolean, but \"%.40s\"", t);
        }
        for (const char *const *k = numbers; *k; k++)
            if (strcmp(local, *k) == 0)
                return number_of(x, n, "the value", t, out);
    }
    return (*out = json_string(t)) ? 0 : nomem(x);
}

/* A user extension element: text, or an object of its attributes and
 * children. */
static int generic(xr_t *x, xnode_t *n, json_t **out)
{
    char key[512];
    json_t *obj;
    int rc;

    *out = NULL;
    if (!n->kid) {
        const char *type = NULL;
        size_t other = 0;
        for (size_t i = 0; i < n->nattrs; i++)
            if (!n->attrs[i].ns || strcmp(n->attrs[i].ns, XSI_NS) != 0)
                other++;
            else if (strcmp(n->attrs[i].local, "type") == 0)
                type = n->attrs[i].value;
        if (!other)
            return typed_text(x, n, type, out);
    }
    if (!(obj = json_object()))
        return nomem(x);
    for (size_t i = 0; i < n->nattrs; i++) {
        xattr_t *a = &n->attrs[i];
        if (a->ns && strcmp(a->ns, XSI_NS) == 0)
            continue;
        if (a->ns && (rc = qname(x, a->ns, a->prefix, a->local, key, sizeof key, n)) < 0)
            goto fail;
        if ((rc = add_member(x, obj, a->ns ? key : a->local, json_string(a->value))) < 0)
            goto fail;
    }
    for (xnode_t *k = n->kid; k; k = k->next) {
        json_t *v;
        if (k->ns && (rc = qname(x, k->ns, k->prefix, k->local, key, sizeof key, k)) < 0)
            goto fail;
        if ((rc = generic(x, k, &v)) < 0 ||
            (rc = add_member(x, obj, k->ns ? key : k->local, v)) < 0)
            goto fail;
    }
    if (*text_of(n) && (rc = add_member(x, obj, "#text", json_string(text_of(n)))) < 0)
        goto fail;
    *out = obj;
    return 0;
fail:
    json_decref(obj);
    return rc;
}

/* A number as XML Schema writes xsd:decimal / xsd:double (no INF, NaN). */
static int number_of(xr_t *x, xnode_t *at, const char *what, const char *s, json_t **out)
{
    const char *p = s;
    int digits = 0, frac = 0;
    char *end;

    *out = NULL;
    if (*p == '+' || *p == '-')
        p++;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        frac = 1;
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    }
    if (digits && (*p == 'e' || *p == 'E')) {
        frac = 1;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            digits = 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (!digits || *p)
        return ledger_epcis__xfail_node(x, at, "%s is not a number: \"%.60s\"", what, s);
    if (!frac) {
        long long v = strtoll(s, &end, 10);
        if (*end == '\0' && v > -(1LL << 53) && v < (1LL << 53))
            return (*out = json_integer(v)) ? 0 : nomem(x);
    }
    double d = strtod(s, &end);
    if (*end || d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
        return ledger_epcis__xfail_node(x, at, "%s is not a finite number: \"%.60s\"", what, s);
    return (*out = json_real(d)) ? 0 : nomem(x);
}

static int time_of(xr_t *x, xnode_t *at, const char *s, json_t **out)
{
    const char *why = NULL;

    *out = NULL;
    if (ledger_epcis_time_ms(s, NULL, &why) < 0)
        return ledger_epcis__xfail_node(x, at, "\"%.60s\" %s", s,
                                        why ? why : "is not a date-time with a time zone");
    return (*out = json_string(s)) ? 0 : nomem(x);
}

/* An element that must hold text only. */
static int text_only(xr_t *x, xnode_t *n, const char **out)
{
    *out = "";
    if (n->kid)
        return ledger_epcis__xfail_node(x, n->kid, "unexpected element in <%s>, which holds text",
                                        n->local);
    *out = text_of(n);
    return 0;
}

enum scope { S_EVENT, S_POINT, S_ILMD, S_ERROR, S_SENSOR, S_PDISP };

static int members(xr_t *x, xnode_t *n, json_t *obj, enum scope sc);

static int list_of_text(xr_t *x, xnode_t *n, const char *item, json_t **out)
{
    json_t *arr = json_array();
    const char *t;
    int rc = 0;

    if (!arr)
        return nomem(x);
    for (xnode_t *k = n->kid; k && !rc; k = k->next) {
        if (!is(k, item))
            rc = ledger_epcis__xfail_node(x, k, "expected <%s> in <%s>", item, n->local);
        else if (!(rc = text_only(x, k, &t)) && json_array_append_new(arr, json_string(t)) < 0)
            rc = nomem(x);
    }
    if (rc)
        json_decref(arr);
    *out = rc ? NULL : arr;
    return rc;
}

static int quantity_list(xr_t *x, xnode_t *n, json_t **out)
{
    json_t *arr = json_array(), *q = NULL, *v;
    const char *t;
    int rc = 0;

    if (!arr)
        return nomem(x);
    for (xnode_t *k = n->kid; k && !rc; k = k->next) {
        if (!is(k, "quantityElement")) {
            rc = ledger_epcis__xfail_node(x, k, "expected <quantityElement> in <%s>", n->local);
            break;
        }
        if (!(q = json_object()) || json_array_append_new(arr, q) < 0) {
            rc = nomem(x);
            break;
        }
        for (xnode_t *e = k->kid; e && !rc; e = e->next) {
            if (is_nil(e))
                continue;
            if (e->ns || (!is(e, "epcClass") && !is(e, "quantity") && !is(e, "uom")))
                rc = ledger_epcis__xfail_node(x, e, "expected epcClass, quantity or uom");
            else if (json_object_get(q, e->local))
                rc = ledger_epcis__xfail_node(x, e, "given twice");
            else if (!(rc = text_only(x, e, &t))) {
                if (is(e, "quantity"))
                    rc = number_of(x, e, "the quantity", t, &v);
                else
                    v = json_string(t);
                if (!rc)
                    rc = add_member(x, q, e->local, v);
            }
        }
    }
    if (rc)
        json_decref(arr);
    *out = rc ? NULL : arr;
    return rc;
}

/* bizTransactionList, sourceList, destinationList */
static int typed_list(xr_t *x, xnode_t *n, const char *item, json_t **out)
{
    json_t *arr = json_array(), *o;
    const char *t;
    int rc = 0;

    if (!arr)
        return nomem(x);
    for (xnode_t *k = n->kid; k && !rc; k = k->next) {
        if (!is(k, item)) {
            rc = ledger_epcis__xfail_node(x, k, "expected <%s> in <%s>", item, n->local);
            break;
        }
        if ((rc = text_only(x, k, &t)) < 0)
            break;
        if (!(o = json_object()) || json_array_append_new(arr, o) < 0) {
            rc = nomem(x);
            break;
        }
        for (size_t i = 0; i < k->nattrs && !rc; i++) {
            if (k->attrs[i].ns)
                continue;
            if (strcmp(k->attrs[i].local, "type") != 0)
                rc = ledger_epcis__xfail_node(x, k, "unexpected attribute %s", k->attrs[i].local);
            else
                rc = add_member(x, o, "type", json_string(k->attrs[i].value));
        }
        if (!rc)
            rc = add_member(x, o, item, json_string(t));
    }
    if (rc)
        json_decref(arr);
    *out = rc ? NULL : arr;
    return rc;
}

static const char *const sensor_numbers[] = {"value", "minValue", "maxValue",  "meanValue",
                                             "sDev",  "percRank", "percValue", NULL};
static const char *const sensor_times[] = {"time", "startTime", "endTime", NULL};

static int in_list(const char *s, const char *const *l)
{
    for (; *l; l++)
        if (strcmp(s, *l) == 0)
            return 1;
    return 0;
}

/* sensorMetadata, sensorReport: their attributes as members. */
static int sensor_attrs(xr_t *x, xnode_t *n, json_t **out)
{
    char key[512];
    json_t *o = json_object(), *v;
    int rc = 0;

    if (!o)
        return nomem(x);
    for (size_t i = 0; i < n->nattrs && !rc; i++) {
        xattr_t *a = &n->attrs[i];
        if (a->ns) {
            if (strcmp(a->ns, XSI_NS) == 0)
                continue;
            if (!(rc = qname(x, a->ns, a->prefix, a->local, key, sizeof key, n)))
                rc = add_member(x, o, key, json_string(a->value));
            continue;
        }
        int kind = ledger_epcis__xml_sensor_attr(a->local);
        if (kind == LEDGER_EPCIS__XS_NUMBER)
            rc = number_of(x, n, a->local, a->value, &v);
        else if (kind == LEDGER_EPCIS__XS_TIME)
            rc = time_of(x, n, a->value, &v);
        else if (kind == LEDGER_EPCIS__XS_BOOLEAN) {
            int t = strcmp(a->value, "true") == 0 || strcmp(a->value, "1") == 0;
            if (!t && strcmp(a->value, "false") != 0 && strcmp(a->value, "0") != 0)
                rc = ledger_epcis__xfail_node(x, n, "booleanValue is not true or false: \"%.40s\"",
                                              a->value);
            v = json_boolean(t);
        } else
            v = json_string(a->value);
        if (!rc)
            rc = add_member(x, o, a->local, v);
    }
    for (xnode_t *k = n->kid; k && !rc; k = k->next) { /* extension elements */
        if (!k->ns) {
            rc = ledger_epcis__xfail_node(x, k, "unexpected element in <%s>", n->local);
            break;
        }
        if (!(rc = qname(x, k->ns, k->prefix, k->local, key, sizeof key, k)) &&
            !(rc = generic(x, k, &v)))
            rc = add_member(x, o, key, v);
    }
    if (rc)
        json_decref(o);
    *out = rc ? NULL : o;
    return rc;
}

static int sensor_list(xr_t *x, xnode_t *n, json_t **out)
{
    json_t *arr = json_array(), *el;
    int rc = 0;

    if (!arr)
        return nomem(x);
    for (xnode_t *k = n->kid; k && !rc; k = k->next) {
        if (!is(k, "sensorElement")) {
            rc = ledger_epcis__xfail_node(x, k, "expected <sensorElement> in <sensorElementList>");
            break;
        }
        if (!(el = json_object()) || json_array_append_new(arr, el) < 0) {
            rc = nomem(x);
            break;
        }
        rc = members(x, k, el, S_SENSOR);
    }
    if (rc)
        json_decref(arr);
    *out = rc ? NULL : arr;
    return rc;
}

/* n as an object member of obj, its children read in scope sc. */
static int object_member(xr_t *x, xnode_t *n, json_t *obj, enum scope sc)
{
    json_t *v = json_object();
    int rc;

    if (!v)
        return nomem(x);
    if ((rc = members(x, n, v, sc)) < 0) {
        json_decref(v);
        return rc;
    }
    return add_member(x, obj, n->local, v);
}

/* The standard fields of an event, and how each is written in XML: the one
 * table of the mapping, read by the reader (standard below) and the writer
 * (ledger_epcis_xmlw.c). */
static const ledger_epcis__xfield_t fields[] = {
    {"eventTime", LEDGER_EPCIS__XF_TIME, NULL},
    {"recordTime", LEDGER_EPCIS__XF_TIME, NULL},
    {"eventTimeZoneOffset", LEDGER_EPCIS__XF_STRING, NULL},
    {"eventID", LEDGER_EPCIS__XF_STRING, NULL},
    {"errorDeclaration", LEDGER_EPCIS__XF_ERROR, NULL},
    {"certificationInfo", LEDGER_EPCIS__XF_STRING, NULL},
    {"parentID", LEDGER_EPCIS__XF_STRING, NULL},
    {"action", LEDGER_EPCIS__XF_STRING, NULL},
    {"bizStep", LEDGER_EPCIS__XF_STRING, NULL},
    {"disposition", LEDGER_EPCIS__XF_STRING, NULL},
    {"transformationID", LEDGER_EPCIS__XF_STRING, NULL},
    {"epcList", LEDGER_EPCIS__XF_EPCS, "epc"},
    {"childEPCs", LEDGER_EPCIS__XF_EPCS, "epc"},
    {"inputEPCList", LEDGER_EPCIS__XF_EPCS, "epc"},
    {"outputEPCList", LEDGER_EPCIS__XF_EPCS, "epc"},
    {"quantityList", LEDGER_EPCIS__XF_QTYS, "quantityElement"},
    {"childQuantityList", LEDGER_EPCIS__XF_QTYS, "quantityElement"},
    {"inputQuantityList", LEDGER_EPCIS__XF_QTYS, "quantityElement"},
    {"outputQuantityList", LEDGER_EPCIS__XF_QTYS, "quantityElement"},
    {"readPoint", LEDGER_EPCIS__XF_POINT, NULL},
    {"bizLocation", LEDGER_EPCIS__XF_POINT, NULL},
    {"bizTransactionList", LEDGER_EPCIS__XF_TYPED, "bizTransaction"},
    {"sourceList", LEDGER_EPCIS__XF_TYPED, "source"},
    {"destinationList", LEDGER_EPCIS__XF_TYPED, "destination"},
    {"ilmd", LEDGER_EPCIS__XF_ILMD, NULL},
    {"persistentDisposition", LEDGER_EPCIS__XF_PDISP, NULL},
    {"sensorElementList", LEDGER_EPCIS__XF_SENSORS, "sensorElement"},
    {NULL, 0, NULL},
};

const ledger_epcis__xfield_t *ledger_epcis__xml_field(const char *name)
{
    for (const ledger_epcis__xfield_t *f = fields; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

int ledger_epcis__xml_sensor_attr(const char *name)
{
    if (in_list(name, sensor_numbers))
        return LEDGER_EPCIS__XS_NUMBER;
    if (in_list(name, sensor_times))
        return LEDGER_EPCIS__XS_TIME;
    if (strcmp(name, "booleanValue") == 0)
        return LEDGER_EPCIS__XS_BOOLEAN;
    return LEDGER_EPCIS__XS_STRING;
}

/* A standard (unqualified) element n in an object of scope sc. */
static int standard(xr_t *x, xnode_t *n, json_t *obj, enum scope sc)
{
    const ledger_epcis__xfield_t *f = sc == S_EVENT ? ledger_epcis__xml_field(n->local) : NULL;
    const char *name = n->local, *t;
    json_t *v = NULL;
    int rc = 0;

    if (sc != S_SENSOR && sc != S_PDISP && strcmp(name, "certificationInfo") != 0 &&
        json_object_get(obj, name))
        return ledger_epcis__xfail_node(x, n, "given twice");
    switch (sc) {
    case S_EVENT:
        switch (f ? f->kind : -1) {
        case LEDGER_EPCIS__XF_STRING:
            if (!(rc = text_only(x, n, &t)))
                rc = add_member(x, obj, name, json_string(t));
            break;
        case LEDGER_EPCIS__XF_TIME:
            if (!(rc = text_only(x, n, &t)) && !(rc = time_of(x, n, t, &v)))
                rc = add_member(x, obj, name, v);
            break;
        case LEDGER_EPCIS__XF_EPCS:
            if (!(rc = list_of_text(x, n, f->item, &v)))
                rc = add_member(x, obj, name, v);
            break;
        case LEDGER_EPCIS__XF_QTYS:
            if (!(rc = quantity_list(x, n, &v)))
                rc = add_member(x, obj, name, v);
            break;
        case LEDGER_EPCIS__XF_POINT:
            rc = object_member(x, n, obj, S_POINT);
            break;
        case LEDGER_EPCIS__XF_TYPED:
            if (!(rc = typed_list(x, n, f->item, &v)))
                rc = add_member(x, obj, name, v);
            break;
        case LEDGER_EPCIS__XF_ILMD:
            rc = object_member(x, n, obj, S_ILMD);
            break;
        case LEDGER_EPCIS__XF_ERROR:
            rc = object_member(x, n, obj, S_ERROR);
            break;
        case LEDGER_EPCIS__XF_PDISP:
            rc = object_member(x, n, obj, S_PDISP);
            break;
        case LEDGER_EPCIS__XF_SENSORS:
            if (!(rc = sensor_list(x, n, &v)))
                rc = add_member(x, obj, name, v);
            break;
        default:
            if (strcmp(name, "QuantityEvent") == 0 || strstr(name, "Event"))
                rc = ledger_epcis__xfail_node(x, n, "an event inside an event");
            else
                rc = ledger_epcis__xfail_node(
                    x, n,
                    "not an element of %s in EPCIS (extensions need a namespace "
                    "of their own)",
                    x->etype);
        }
        break;
    case S_POINT:
        if (strcmp(name, "id") != 0)
            return ledger_epcis__xfail_node(x, n, "expected <id>");
        if (!(rc = text_only(x, n, &t)))
            rc = add_member(x, obj, name, json_string(t));
        break;
    case S_ERROR:
        if (strcmp(name, "declarationTime") == 0) {
            if (!(rc = text_only(x, n, &t)) && !(rc = time_of(x, n, t, &v)))
                rc = add_member(x, obj, name, v);
        } else if (strcmp(name, "reason") == 0) {
            if (!(rc = text_only(x, n, &t)))
                rc = add_member(x, obj, name, json_string(t));
        } else if (strcmp(name, "correctiveEventIDs") == 0) {
            if (!(rc = list_of_text(x, n, "correctiveEventID", &v)))
                rc = add_member(x, obj, name, v);
        } else
            rc = ledger_epcis__xfail_node(x, n,
                                          "expected declarationTime, reason or correctiveEventIDs");
        break;
    case S_PDISP:
        if (strcmp(name, "set") != 0 && strcmp(name, "unset") != 0)
            return ledger_epcis__xfail_node(x, n, "expected <set> or <unset>");
        if (!(rc = text_only(x, n, &t))) {
            json_t *arr = json_object_get(obj, name);
            if (!arr && (!(arr = json_array()) || json_object_set_new(obj, name, arr) < 0))
                return nomem(x);
            rc = json_array_append_new(arr, json_string(t)) < 0 ? nomem(x) : 0;
        }
        break;
    case S_SENSOR:
        if (strcmp(name, "sensorMetadata") == 0) {
            if (json_object_get(obj, name))
                return ledger_epcis__xfail_node(x, n, "given twice");
            if (!(rc = sensor_attrs(x, n, &v)))
                rc = add_member(x, obj, name, v);
        } else if (strcmp(name, "sensorReport") == 0) {
            json_t *arr = json_object_get(obj, name);
            if (!arr && (!(arr = json_array()) || json_object_set_new(obj, name, arr) < 0))
                return nomem(x);
            if (!(rc = sensor_attrs(x, n, &v)))
                rc = json_array_append_new(arr, v) < 0 ? nomem(x) : 0;
        } else
            rc = ledger_epcis__xfail_node(x, n, "expected <sensorMetadata> or <sensorReport>");
        break;
    case S_ILMD:
        rc = ledger_epcis__xfail_node(x, n,
                                      "ILMD holds extension elements in a namespace of their own");
        break;
    }
    return rc;
}

/* The children of n as members of obj: extension wrappers unwrapped,
 * standard elements by scope, namespaced ones as user extensions. */
static int members(xr_t *x, xnode_t *n, json_t *obj, enum scope sc)
{
    char key[512];
    json_t *v;
    int rc;

    for (xnode_t *k = n->kid; k; k = k->next) {
        if (is_nil(k))
            continue;
        if (is(k, "extension") || is(k, "baseExtension"))
            rc = members(x, k, obj, sc);
        else if (!k->ns)
            rc = standard(x, k, obj, sc);
        else if (!(rc = qname(x, k->ns, k->prefix, k->local, key, sizeof key, k)) &&
                 !(rc = generic(x, k, &v)))
            rc = add_member(x, obj, key, v);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int ledger_epcis__xml_to_json(xr_t *x, xnode_t *ev, json_t **out)
{
    json_t *o = json_object(), *ctx = NULL;
    int rc;

    *out = NULL;
    x->ns = NULL;
    x->nsgen = 0;
    if (!o || json_object_set_new(o, "type", json_string(ev->local)) < 0) {
        json_decref(o);
        return nomem(x);
    }
    if ((rc = members(x, ev, o, S_EVENT)) < 0)
        goto fail;
    if (x->vns) { /* CURIE prefixes, where no element prefix took the name */
        const char *k;
        json_t *v;
        if (!x->ns && !(x->ns = json_object())) {
            rc = nomem(x);
            goto fail;
        }
        json_object_foreach(x->vns, k, v) if (json_is_string(v) && !json_object_get(x->ns, k) &&
                                              json_object_set(x->ns, k, v) < 0)
        {
            rc = nomem(x);
            goto fail;
        }
    }
    if (x->ns && json_object_size(x->ns)) {
        json_t *all = json_object();
        /* consecutive events with the same namespaces share one value, as
         * the events of a JSON-LD document share its @context (the store's
         * checks measure a shared one once) */
        if (x->last_ctx && json_equal(json_array_get(x->last_ctx, 1), x->ns))
            ctx = json_incref(x->last_ctx);
        else if ((ctx = json_pack("[s,O]", STD_CONTEXT, x->ns))) {
            json_decref(x->last_ctx);
            x->last_ctx = json_incref(ctx);
        }
        /* "@context" first, as JSON-LD writes it */
        if (!all || !ctx || json_object_set_new(all, "@context", ctx) < 0 ||
            json_object_update(all, o) < 0) {
            json_decref(all);
            rc = nomem(x);
            goto fail;
        }
        json_decref(o);
        o = all;
    }
    json_decref(x->ns);
    x->ns = NULL;
    *out = o;
    return 0;
fail:
    json_decref(x->ns);
    x->ns = NULL;
    json_decref(o);
    return rc;
}
