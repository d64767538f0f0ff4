/* ledger_epcis_check.c -- the EPCIS 2.0 rules for one event (see
 * ledger__epcis.h).
 *
 * How it works: one pass over the members of the event in document order.
 * Each member name is looked up in a sorted table of the standard's event
 * members (which event types may carry it, what kind of value it takes);
 * names not in the table must be namespaced extension names, whose values are
 * not looked at. Nested standard objects (readPoint, quantity elements,
 * sensor reports, ...) are checked by one generic routine driven by small
 * rule tables. After the pass come the per-type rules of the JSON Schema
 * (required members, the "epcList or quantityList" alternatives, ilmd only
 * with ADD) and the size limit.
 *
 * Messages name the member by its path ("sensorElementList[0].sensorReport[2].
 * value"); the path is a chain of stack frames and is only formatted when
 * something is wrong, so a good event costs no formatting at all.
 *
 * Identifiers (EPCs, classes, parent, locations, parties, devices) go to
 * gs1_key_check_uri(); vocabulary values (bizStep, disposition, ...) to
 * ledger_cbv_check(); date-times and other URIs get the syntax checks of
 * ledger_epcis_text.c; keten's garment ILMD the checks of
 * ledger_epcis_garment.c.
 */
#include "ledger__epcis.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ledger_cbv.h"
#include "ledger_epcis.h"
#include "gs1_key.h"
#include "ledger_json.h"

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- messages ---- */

/* One step of the path to a member: a name, or an index in an array. */
typedef struct seg {
    const struct seg *up;
    const char *key; /* NULL: an array element */
    size_t idx;
} seg_t;

typedef struct chk {
    const ledger_epcis__where_t *w;
    ledger_err_t *err;
} chk_t;

static void format_path(const seg_t *s, char *out, size_t len)
{
    const seg_t *chain[32];
    size_t n = 0, o = 0;

    out[0] = '\0';
    for (; s && n < 32; s = s->up)
        chain[n++] = s;
    while (n-- > 0 && o < len) {
        int w;
        if (chain[n]->key)
            w = snprintf(out + o, len - o, "%s%s", o ? "." : "", chain[n]->key);
        else
            w = snprintf(out + o, len - o, "[%zu]", chain[n]->idx);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

__attribute__((format(printf, 3, 4))) static int fail(const chk_t *c, const seg_t *s,
                                                      const char *fmt, ...)
{
    char where[200], path[200], text[700];
    va_list ap;

    if (!c->err)
        return LEDGER_EINPUT;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ledger_epcis__format_where(c->w, where, sizeof where);
    format_path(s, path, sizeof path);
    if (path[0])
        return ledger_err_set(c->err, LEDGER_EINPUT, "%s: %s: %s", where, path, text);
    return ledger_err_set(c->err, LEDGER_EINPUT, "%s: %s", where, text);
}

#define QLEN 200 /* room for a quoted value of up to QMAX bytes */
#define QMAX 96

static const char *q(const char *s, char *buf)
{
    return ledger_epcis__quote(s, QMAX, buf, QLEN);
}

/* "a string "x"", "the number 3", "an object", ... for type errors. */
static const char *describe(const json_t *v, char *buf)
{
    char t[QLEN];
    switch (json_typeof(v)) {
    case JSON_STRING:
        snprintf(buf, QLEN, "the string %.180s", q(json_string_value(v), t));
        break;
    case JSON_INTEGER:
        snprintf(buf, QLEN, "the number %" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        snprintf(buf, QLEN, "the number %g", json_real_value(v));
        break;
    case JSON_OBJECT:
        snprintf(buf, QLEN, "an object");
        break;
    case JSON_ARRAY:
        snprintf(buf, QLEN, "an array");
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        snprintf(buf, QLEN, "%s", json_is_true(v) ? "true" : "false");
        break;
    default:
        snprintf(buf, QLEN, "null");
    }
    return buf;
}

static int fail_type(const chk_t *c, const seg_t *s, const json_t *v, const char *expected)
{
    char d[QLEN];
    return fail(c, s, "is %s: expected %s", describe(v, d), expected);
}

/* ---- value checks ---- */

static int check_uri(const chk_t *c, const seg_t *s, const json_t *v)
{
    char b[QLEN];
    if (!json_is_string(v))
        return fail_type(c, s, v, "a URI string");
    if (!ledger_epcis__is_uri(json_string_value(v)))
        return fail(c, s,
                    "%s is not a URI: expected an absolute URI such as \"https://example.com/x\" "
                    "or \"urn:uuid:...\" (no spaces)",
                    q(json_string_value(v), b));
    return 0;
}

/* An identifier: a URI, and a well formed one when it is an EPC URN or a
 * GS1 Digital Link URI (gs1_key_check_uri decides, with the GS1 rules and
 * the message `keten decode` gives). */
static int check_id(const chk_t *c, const seg_t *s, const json_t *v)
{
    gs1_err_t e;
    const char *str, *what;
    char b[QLEN];

    if (!json_is_string(v))
        return fail_type(c, s, v, "an identifier (a URI string)");
    str = json_string_value(v);
    e.msg[0] = '\0';
    if (gs1_key_check_uri(str, &e) == 0)
        return 0;
    if (e.msg[0] && strstr(e.msg, str)) /* "'<uri>' is not an absolute URI" */
        return fail(c, s, "%s", e.msg);
    if (strncmp(str, "urn:epc:", 8) == 0)
        what = "a valid EPC URN";
    else if (strncasecmp(str, "http", 4) == 0)
        what = "a valid GS1 Digital Link URI";
    else
        what = "a valid identifier";
    return fail(c, s, "%s is not %s: %s", q(str, b), what, e.msg[0] ? e.msg : "bad identifier");
}

static int check_time(const chk_t *c, const seg_t *s, const json_t *v)
{
    const char *why;
    char b[QLEN];

    if (!json_is_string(v))
        return fail_type(c, s, v, "a date-time string such as \"2024-05-01T10:00:00.000+02:00\"");
    if (ledger_epcis_time_ms(json_string_value(v), NULL, &why) < 0)
        return fail(c, s, "%s %s", q(json_string_value(v), b), why);
    return 0;
}

static int check_number(const chk_t *c, const seg_t *s, const json_t *v)
{
    char b[QLEN];
    if (json_is_number(v))
        return 0;
    if (json_is_string(v))
        return fail(c, s, "%s is a string: write the number as a JSON number, without quotes",
                    q(json_string_value(v), b));
    return fail_type(c, s, v, "a number");
}

/* A vocabulary value: a bare word of the vocabulary, the same word in one of
 * the CBV namespace forms, or any other URI (a user vocabulary). */
static int check_vocab(const chk_t *c, const seg_t *s, const json_t *v,
                       const ledger_cbv_vocab_t *voc)
{
    char b[QLEN], why[400];
    int rc;

    if (!json_is_string(v))
        return fail_type(c, s, v, "a string");
    rc = ledger_cbv_check(voc, json_string_value(v), why, sizeof why);
    if (rc < 0)
        return fail(c, s, "%s %s", q(json_string_value(v), b), why);
    if (rc > 0 && !ledger_epcis__is_uri(json_string_value(v)))
        return fail(c, s, "%s is not a URI", q(json_string_value(v), b));
    return 0;
}

/* ---- nested objects, driven by rule tables ---- */

enum kind {
    K_ANY,
    K_ID,      /* identifier: gs1_key_check_uri */
    K_URI,     /* some other URI */
    K_TIME,    /* date-time with time zone */
    K_TZ,      /* eventTimeZoneOffset */
    K_NUMBER,  /* JSON number */
    K_QTY,     /* JSON number, zero or more */
    K_STRING,  /* JSON string */
    K_BOOL,    /* true / false */
    K_HEX,     /* hexBinary string */
    K_UOM,     /* quantity uom: 2-3 of A-Z 0-9 */
    K_VOCAB,   /* arg: ledger_cbv_vocab_t */
    K_URIS,    /* array of URIs */
    K_CERT,    /* URI or array of URIs */
    K_DISPS,   /* persistentDisposition set/unset: 1+ distinct dispositions */
    K_OBJ,     /* arg: ruleset_t */
    K_ARR,     /* arg: ruleset_t; array of such objects */
    K_ARR1,    /* same, at least one */
    K_EPCS,    /* array of distinct identifiers */
    K_QTYS,    /* array of quantity elements */
    K_ACTION,  /* ADD / OBSERVE / DELETE */
    K_ILMD,    /* object of namespaced members */
    K_CONTEXT, /* JSON-LD @context */
    K_VERSION, /* schemaVersion */
    K_DOCID,   /* document id: URI or blank node */
    K_EVENTS,  /* eventList: an array (events checked one by one later) */
    K_OBJECT,  /* any object */
};

typedef struct rule {
    const char *name;
    unsigned char kind;
    unsigned char required;
    const void *arg;
} rule_t;

typedef struct ruleset {
    const char *what; /* "a quantity element" */
    const rule_t *r;
    size_t n;
    int ext; /* 1: namespaced extension members allowed */
} ruleset_t;

#define RS(what, rules, ext)                                                                       \
    {                                                                                              \
        what, rules, NWORDS(rules), ext                                                            \
    }

static int check_kind(const chk_t *c, const seg_t *s, const json_t *v, int kind, const void *arg);

static int is_ext_name(const char *name)
{
    return ledger_epcis__is_uri(name);
}

static int fail_member(const chk_t *c, const seg_t *s, const char *name, const ruleset_t *rs)
{
    char b[QLEN], list[300];
    size_t i, o = 0;

    if (rs->ext)
        return fail(c, s,
                    "%s is not a field of %s: extension fields need a namespace prefix defined in "
                    "@context (\"ex:%.40s\") or a full URI",
                    q(name, b), rs->what, name);
    list[0] = '\0';
    for (i = 0; i < rs->n && o < sizeof list; i++) {
        int w = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", rs->r[i].name);
        if (w < 0)
            break;
        o += (size_t)w;
    }
    return fail(c, s, "%s is not a field of %s (it has only %s)", q(name, b), rs->what, list);
}

static const rule_t point_rules[] = {{"id", K_ID, 1, NULL}};
static const ruleset_t point_rs = RS("a location", point_rules, 1);

static int check_members(const chk_t *c, const seg_t *s, const json_t *obj, const ruleset_t *rs)
{
    char d[QLEN];
    const char *key;
    const json_t *v;
    uint32_t found = 0;
    size_t i;
    int rc;

    if (!json_is_object(obj))
        return fail(c, s, "is %s: expected an object, %s%s", describe(obj, d), rs->what,
                    rs == &point_rs ? " such as {\"id\": \"urn:epc:id:sgln:...\"}" : "");
    json_object_foreach((json_t *)obj, key, v)
    {
        for (i = 0; i < rs->n; i++)
            if (strcmp(rs->r[i].name, key) == 0)
                break;
        if (i == rs->n) {
            if (rs->ext && is_ext_name(key))
                continue;
            return fail_member(c, s, key, rs);
        }
        found |= 1u << i;
        seg_t sub = {s, key, 0};
        if ((rc = check_kind(c, &sub, v, rs->r[i].kind, rs->r[i].arg)) < 0)
            return rc;
    }
    for (i = 0; i < rs->n; i++)
        if (rs->r[i].required && !(found & (1u << i)))
            return fail(c, s, "%s is missing (%s needs it)", rs->r[i].name, rs->what);
    return 0;
}

static int check_array_of(const chk_t *c, const seg_t *s, const json_t *v, const ruleset_t *rs,
                          size_t min)
{
    size_t i, n;
    int rc;

    if (!json_is_array(v))
        return fail_type(c, s, v, "an array");
    n = json_array_size(v);
    if (n < min)
        return fail(c, s, "is empty: give at least one element or leave it out");
    for (i = 0; i < n; i++) {
        seg_t sub = {s, NULL, i};
        if ((rc = check_members(c, &sub, json_array_get(v, i), rs)) < 0)
            return rc;
    }
    return 0;
}

typedef struct idref {
    const char *s;
    size_t len, idx;
} idref_t;

static int cmp_idref(const void *a, const void *b)
{
    const idref_t *x = a, *y = b;
    int r;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    r = memcmp(x->s, y->s, x->len);
    if (r)
        return r;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int fail_dup(const chk_t *c, const seg_t *s, size_t first, size_t second, const char *str)
{
    char b[QLEN];
    seg_t sub = {s, NULL, second};
    return fail(c, &sub, "%s is listed twice (also at [%zu]): list each identifier once", q(str, b),
                first);
}

/* Array of distinct strings each checked with kind (K_ID or vocabulary). */
static int check_distinct(const chk_t *c, const seg_t *s, const json_t *v, int kind,
                          const void *arg, size_t min)
{
    size_t i, j, n;
    int rc;

    if (!json_is_array(v))
        return fail_type(c, s, v, "an array");
    n = json_array_size(v);
    if (n < min)
        return fail(c, s, "is empty: give at least one element or leave it out");
    for (i = 0; i < n; i++) {
        seg_t sub = {s, NULL, i};
        if ((rc = check_kind(c, &sub, json_array_get(v, i), kind, arg)) < 0)
            return rc;
    }
    if (n < 2)
        return 0;
    if (n <= 16) {
        for (i = 1; i < n; i++) {
            const json_t *a = json_array_get(v, i);
            size_t la = json_string_length(a);
            for (j = 0; j < i; j++) {
                const json_t *b = json_array_get(v, j);
                if (json_string_length(b) == la &&
                    memcmp(json_string_value(a), json_string_value(b), la) == 0)
                    return fail_dup(c, s, j, i, json_string_value(a));
            }
        }
        return 0;
    }
    idref_t *ids = malloc(n * sizeof *ids);
    if (!ids)
        return ledger_err_set(c->err, LEDGER_ENOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        const json_t *a = json_array_get(v, i);
        ids[i].s = json_string_value(a);
        ids[i].len = json_string_length(a);
        ids[i].idx = i;
    }
    qsort(ids, n, sizeof *ids, cmp_idref);
    rc = 0;
    for (i = 1; i < n; i++) {
        if (ids[i].len == ids[i - 1].len && memcmp(ids[i].s, ids[i - 1].s, ids[i].len) == 0) {
            rc = fail_dup(c, s, ids[i - 1].idx, ids[i].idx, ids[i].s);
            break;
        }
    }
    free(ids);
    return rc;
}

static const rule_t qty_rules[] = {
    {"epcClass", K_ID, 1, NULL},
    {"quantity", K_QTY, 0, NULL},
    {"uom", K_UOM, 0, NULL},
};
static const ruleset_t qty_rs = RS("a quantity element", qty_rules, 0);

static const rule_t btx_rules[] = {
    {"type", K_VOCAB, 0, &ledger_cbv_btt},
    {"bizTransaction", K_ID, 1, NULL},
};
static const ruleset_t btx_rs = RS("a business transaction", btx_rules, 0);

static const rule_t src_rules[] = {
    {"type", K_VOCAB, 1, &ledger_cbv_sdt},
    {"source", K_ID, 1, NULL},
};
static const ruleset_t src_rs = RS("a source", src_rules, 0);

static const rule_t dst_rules[] = {
    {"type", K_VOCAB, 1, &ledger_cbv_sdt},
    {"destination", K_ID, 1, NULL},
};
static const ruleset_t dst_rs = RS("a destination", dst_rules, 0);

static const rule_t pdisp_rules[] = {
    {"set", K_DISPS, 0, NULL},
    {"unset", K_DISPS, 0, NULL},
};
static const ruleset_t pdisp_rs = RS("persistentDisposition", pdisp_rules, 0);

static const rule_t errdecl_rules[] = {
    {"declarationTime", K_TIME, 1, NULL},
    {"reason", K_VOCAB, 0, &ledger_cbv_er},
    {"correctiveEventIDs", K_URIS, 0, NULL},
};
static const ruleset_t errdecl_rs = RS("errorDeclaration", errdecl_rules, 1);

static const rule_t meta_rules[] = {
    {"time", K_TIME, 0, NULL},
    {"deviceID", K_ID, 0, NULL},
    {"deviceMetadata", K_URI, 0, NULL},
    {"rawData", K_URI, 0, NULL},
    {"startTime", K_TIME, 0, NULL},
    {"endTime", K_TIME, 0, NULL},
    {"dataProcessingMethod", K_URI, 0, NULL},
    {"bizRules", K_URI, 0, NULL},
};
static const ruleset_t meta_rs = RS("sensorMetadata", meta_rules, 1);

static const rule_t report_rules[] = {
    {"type", K_VOCAB, 1, &ledger_cbv_mt},
    {"exception", K_VOCAB, 0, &ledger_cbv_alert},
    {"deviceID", K_ID, 0, NULL},
    {"deviceMetadata", K_URI, 0, NULL},
    {"rawData", K_URI, 0, NULL},
    {"dataProcessingMethod", K_URI, 0, NULL},
    {"bizRules", K_URI, 0, NULL},
    {"time", K_TIME, 0, NULL},
    {"microorganism", K_URI, 0, NULL},
    {"chemicalSubstance", K_URI, 0, NULL},
    {"coordinateReferenceSystem", K_URI, 0, NULL},
    {"value", K_NUMBER, 0, NULL},
    {"component", K_VOCAB, 0, &ledger_cbv_comp},
    {"stringValue", K_STRING, 0, NULL},
    {"booleanValue", K_BOOL, 0, NULL},
    {"hexBinaryValue", K_HEX, 0, NULL},
    {"uriValue", K_URI, 0, NULL},
    {"minValue", K_NUMBER, 0, NULL},
    {"maxValue", K_NUMBER, 0, NULL},
    {"meanValue", K_NUMBER, 0, NULL},
    {"sDev", K_NUMBER, 0, NULL},
    {"percRank", K_NUMBER, 0, NULL},
    {"percValue", K_NUMBER, 0, NULL},
    {"uom", K_STRING, 0, NULL},
};
static const ruleset_t report_rs = RS("a sensorReport", report_rules, 1);

static const rule_t sensor_rules[] = {
    {"sensorMetadata", K_OBJ, 0, &meta_rs},
    {"sensorReport", K_ARR1, 1, &report_rs},
};
static const ruleset_t sensor_rs = RS("a sensorElement", sensor_rules, 1);

static int check_context_value(const chk_t *c, const seg_t *s, const json_t *v)
{
    const char *why;
    if (ledger_epcis__check_context(v, &why) < 0)
        return fail(c, s, "%s", why);
    return 0;
}

static int check_kind(const chk_t *c, const seg_t *s, const json_t *v, int kind, const void *arg)
{
    char b[QLEN];
    const char *str;
    size_t i, n;
    int rc;

    switch (kind) {
    case K_ID:
        return check_id(c, s, v);
    case K_URI:
        return check_uri(c, s, v);
    case K_TIME:
        return check_time(c, s, v);
    case K_TZ:
        if (!json_is_string(v))
            return fail_type(c, s, v, "a string such as \"+02:00\"");
        str = json_string_value(v);
        if (strlen(str) != 6 || (str[0] != '+' && str[0] != '-') ||
            !isdigit((unsigned char)str[1]) || !isdigit((unsigned char)str[2]) || str[3] != ':' ||
            str[4] < '0' || str[4] > '5' || !isdigit((unsigned char)str[5]) || (str[1] > '1') ||
            (str[1] == '1' && str[2] > '4') ||
            (str[1] == '1' && str[2] == '4' && strcmp(str + 3, ":00") != 0))
            return fail(c, s,
                        "%s is not a time zone offset: expected \"+hh:mm\" or \"-hh:mm\" "
                        "between -14:00 and +14:00, e.g. \"+02:00\"",
                        q(str, b));
        return 0;
    case K_NUMBER:
        return check_number(c, s, v);
    case K_QTY:
        if ((rc = check_number(c, s, v)) < 0)
            return rc;
        if (json_number_value(v) < 0)
            return fail(c, s, "%g is below zero: a quantity says how much there is",
                        json_number_value(v));
        return 0;
    case K_STRING:
        return json_is_string(v) ? 0 : fail_type(c, s, v, "a string");
    case K_BOOL:
        return json_is_boolean(v) ? 0 : fail_type(c, s, v, "true or false");
    case K_HEX:
        if (!json_is_string(v))
            return fail_type(c, s, v, "a hexadecimal string");
        str = json_string_value(v);
        if (!*str || strspn(str, "0123456789abcdefABCDEF") != strlen(str))
            return fail(c, s, "%s is not hexBinary: expected hexadecimal digits only", q(str, b));
        return 0;
    case K_UOM:
        if (!json_is_string(v))
            return fail_type(c, s, v, "a UN/CEFACT unit code such as \"KGM\"");
        str = json_string_value(v);
        n = strlen(str);
        if (n < 2 || n > 3 || strspn(str, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != n)
            return fail(c, s,
                        "%s is not a unit of measure: expected a UN/CEFACT Rec. 20 code of 2 or 3 "
                        "capital letters or digits, e.g. \"KGM\" or \"LTR\"",
                        q(str, b));
        return 0;
    case K_VOCAB:
        return check_vocab(c, s, v, arg);
    case K_URIS:
        if (!json_is_array(v))
            return fail_type(c, s, v, "an array of URIs");
        n = json_array_size(v);
        for (i = 0; i < n; i++) {
            seg_t sub = {s, NULL, i};
            if ((rc = check_uri(c, &sub, json_array_get(v, i))) < 0)
                return rc;
        }
        return 0;
    case K_CERT:
        if (json_is_array(v))
            return check_kind(c, s, v, K_URIS, NULL);
        return check_uri(c, s, v);
    case K_DISPS:
        return check_distinct(c, s, v, K_VOCAB, &ledger_cbv_disp, 1);
    case K_OBJ:
        return check_members(c, s, v, arg);
    case K_ARR:
        return check_array_of(c, s, v, arg, 0);
    case K_ARR1:
        return check_array_of(c, s, v, arg, 1);
    case K_EPCS:
        return check_distinct(c, s, v, K_ID, NULL, 0);
    case K_QTYS:
        return check_array_of(c, s, v, &qty_rs, 0);
    case K_ACTION:
        if (!json_is_string(v))
            return fail_type(c, s, v, "\"ADD\", \"OBSERVE\" or \"DELETE\"");
        str = json_string_value(v);
        if (strcmp(str, "ADD") && strcmp(str, "OBSERVE") && strcmp(str, "DELETE"))
            return fail(c, s, "%s is not an action: expected \"ADD\", \"OBSERVE\" or \"DELETE\"",
                        q(str, b));
        return 0;
    case K_ILMD: {
        const char *key;
        const json_t *m;
        if (!json_is_object(v))
            return fail_type(c, s, v, "an object of master data attributes");
        json_object_foreach((json_t *)v, key, m)
        {
            if (!is_ext_name(key))
                return fail(c, s,
                            "%s is not a namespaced name: ilmd attributes need a prefix defined in "
                            "@context (\"ex:%.40s\") or a full URI",
                            q(key, b), key);
        }
        return 0;
    }
    case K_CONTEXT:
        return check_context_value(c, s, v);
    case K_VERSION:
        if (!json_is_string(v))
            return fail_type(c, s, v, "a version string such as \"2.0\"");
        str = json_string_value(v);
        for (i = 0; isdigit((unsigned char)str[i]);) {
            while (isdigit((unsigned char)str[i]))
                i++;
            if (str[i] == '.' && isdigit((unsigned char)str[i + 1]))
                i++;
        }
        if (i == 0 || str[i])
            return fail(c, s, "%s is not a version: expected e.g. \"2.0\"", q(str, b));
        return 0;
    case K_DOCID:
        if (json_is_string(v) && strncmp(json_string_value(v), "_:", 2) == 0 &&
            json_string_value(v)[2])
            return 0; /* a JSON-LD blank node identifier */
        return check_uri(c, s, v);
    case K_EVENTS:
        return json_is_array(v) ? 0 : fail_type(c, s, v, "an array of events");
    case K_OBJECT:
        return json_is_object(v) ? 0 : fail_type(c, s, v, "an object");
    default:
        return 0;
    }
}

/* ---- documents ---- */

static const rule_t doc_body_rules[] = {{"eventList", K_EVENTS, 1, NULL}};
static const ruleset_t doc_body_rs = RS("the epcisBody of an EPCISDocument", doc_body_rules, 1);

static const rule_t doc_rules[] = {
    {"@context", K_CONTEXT, 1, NULL},   {"id", K_DOCID, 0, NULL},
    {"type", K_STRING, 1, NULL},        {"schemaVersion", K_VERSION, 1, NULL},
    {"creationDate", K_TIME, 1, NULL},  {"instanceIdentifier", K_STRING, 0, NULL},
    {"sender", K_STRING, 0, NULL},      {"receiver", K_STRING, 0, NULL},
    {"epcisHeader", K_OBJECT, 0, NULL}, {"epcisBody", K_OBJ, 1, &doc_body_rs},
};
static const ruleset_t doc_rs = RS("an EPCISDocument", doc_rules, 1);

static const rule_t results_rules[] = {
    {"eventList", K_EVENTS, 1, NULL},
    {"vocabularyList", K_ANY, 0, NULL},
};
static const ruleset_t results_rs = RS("resultsBody", results_rules, 1);

static const rule_t qres_rules[] = {
    {"queryName", K_STRING, 1, NULL},
    {"subscriptionID", K_STRING, 0, NULL},
    {"resultsBody", K_OBJ, 1, &results_rs},
};
static const ruleset_t qres_rs = RS("queryResults", qres_rules, 1);

static const rule_t qbody_rules[] = {{"queryResults", K_OBJ, 1, &qres_rs}};
static const ruleset_t qbody_rs = RS("the epcisBody of an EPCISQueryDocument", qbody_rules, 1);

static const rule_t qdoc_rules[] = {
    {"@context", K_CONTEXT, 1, NULL},  {"id", K_DOCID, 0, NULL},
    {"type", K_STRING, 1, NULL},       {"schemaVersion", K_VERSION, 0, NULL},
    {"creationDate", K_TIME, 0, NULL}, {"epcisBody", K_OBJ, 1, &qbody_rs},
};
static const ruleset_t qdoc_rs = RS("an EPCISQueryDocument", qdoc_rules, 1);

int ledger_epcis__check_document(const json_t *root, int query, const char *source,
                                 ledger_err_t *err)
{
    ledger_epcis__where_t w = {NULL, source, -1};
    chk_t c = {&w, err};
    return check_members(&c, NULL, root, query ? &qdoc_rs : &doc_rs);
}

/* ---- events ---- */

enum {
    T_OBJ = 1,
    T_AGG = 2,
    T_TRF = 4,
    T_TXN = 8,
    T_ASC = 16,
    T_ALL = 31,
};

static const struct evtype {
    const char *name;
    int bit;
    const char *article; /* "an ObjectEvent" */
} evtypes[] = {
    {"ObjectEvent", T_OBJ, "an ObjectEvent"},
    {"AggregationEvent", T_AGG, "an AggregationEvent"},
    {"TransformationEvent", T_TRF, "a TransformationEvent"},
    {"TransactionEvent", T_TXN, "a TransactionEvent"},
    {"AssociationEvent", T_ASC, "an AssociationEvent"},
};

enum fid {
    F_CONTEXT,
    F_TYPE,
    F_EVENT_TIME,
    F_RECORD_TIME,
    F_TZ,
    F_EVENT_ID,
    F_CERT,
    F_ERRDECL,
    F_ACTION,
    F_EPCS,
    F_QTYS,
    F_PARENT,
    F_CHILD_EPCS,
    F_CHILD_QTYS,
    F_IN_EPCS,
    F_IN_QTYS,
    F_OUT_EPCS,
    F_OUT_QTYS,
    F_XFORM_ID,
    F_BIZ_STEP,
    F_DISP,
    F_PDISP,
    F_READ_POINT,
    F_BIZ_LOC,
    F_BTXS,
    F_SRCS,
    F_DSTS,
    F_SENSORS,
    F_ILMD,
    F__N
};

typedef struct field {
    const char *name;
    unsigned char id, types, kind;
    const void *arg;
} field_t;

/* Sorted by strcmp for bsearch. */
static const field_t event_fields[] = {
    {"@context", F_CONTEXT, T_ALL, K_CONTEXT, NULL},
    {"action", F_ACTION, T_OBJ | T_AGG | T_TXN | T_ASC, K_ACTION, NULL},
    {"bizLocation", F_BIZ_LOC, T_ALL, K_OBJ, &point_rs},
    {"bizStep", F_BIZ_STEP, T_ALL, K_VOCAB, &ledger_cbv_bizstep},
    {"bizTransactionList", F_BTXS, T_ALL, K_ARR, &btx_rs},
    {"certificationInfo", F_CERT, T_ALL, K_CERT, NULL},
    {"childEPCs", F_CHILD_EPCS, T_AGG | T_ASC, K_EPCS, NULL},
    {"childQuantityList", F_CHILD_QTYS, T_AGG | T_ASC, K_QTYS, NULL},
    {"destinationList", F_DSTS, T_ALL, K_ARR, &dst_rs},
    {"disposition", F_DISP, T_ALL, K_VOCAB, &ledger_cbv_disp},
    {"epcList", F_EPCS, T_OBJ | T_TXN, K_EPCS, NULL},
    {"errorDeclaration", F_ERRDECL, T_ALL, K_OBJ, &errdecl_rs},
    {"eventID", F_EVENT_ID, T_ALL, K_URI, NULL},
    {"eventTime", F_EVENT_TIME, T_ALL, K_TIME, NULL},
    {"eventTimeZoneOffset", F_TZ, T_ALL, K_TZ, NULL},
    {"ilmd", F_ILMD, T_OBJ | T_TRF, K_ILMD, NULL},
    {"inputEPCList", F_IN_EPCS, T_TRF, K_EPCS, NULL},
    {"inputQuantityList", F_IN_QTYS, T_TRF, K_QTYS, NULL},
    {"outputEPCList", F_OUT_EPCS, T_TRF, K_EPCS, NULL},
    {"outputQuantityList", F_OUT_QTYS, T_TRF, K_QTYS, NULL},
    {"parentID", F_PARENT, T_AGG | T_TXN | T_ASC, K_ID, NULL},
    {"persistentDisposition", F_PDISP, T_OBJ | T_TRF, K_OBJ, &pdisp_rs},
    {"quantityList", F_QTYS, T_OBJ | T_TXN, K_QTYS, NULL},
    {"readPoint", F_READ_POINT, T_ALL, K_OBJ, &point_rs},
    {"recordTime", F_RECORD_TIME, T_ALL, K_TIME, NULL},
    {"sensorElementList", F_SENSORS, T_ALL, K_ARR, &sensor_rs},
    {"sourceList", F_SRCS, T_ALL, K_ARR, &src_rs},
    {"transformationID", F_XFORM_ID, T_TRF, K_ID, NULL},
    {"type", F_TYPE, T_ALL, K_ANY, NULL},
};

static int cmp_field(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const field_t *)elem)->name);
}

/* Number of elements of an array member, 0 when absent or not an array. */
static size_t nitems(const json_t *v)
{
    return json_is_array(v) ? json_array_size(v) : 0;
}

static int check_type(const chk_t *c, const json_t *t, const struct evtype **out)
{
    static const char expected[] = "expected ObjectEvent, AggregationEvent, TransformationEvent, "
                                   "TransactionEvent or AssociationEvent";
    seg_t s = {NULL, "type", 0};
    char b[QLEN];
    size_t i;

    if (!t)
        return fail(c, NULL, "type is missing: %s", expected);
    if (!json_is_string(t))
        return fail_type(c, &s, t, "the name of an event type");
    for (i = 0; i < NWORDS(evtypes); i++) {
        if (strcmp(json_string_value(t), evtypes[i].name) == 0) {
            *out = &evtypes[i];
            return 0;
        }
    }
    return fail(c, &s, "%s is not an EPCIS event type: %s", q(json_string_value(t), b), expected);
}

/* The per-type rules of the schema once the members are known to be good. */
static int check_required(const chk_t *c, const struct evtype *et, const json_t *const *val)
{
    const char *action = val[F_ACTION] ? json_string_value(val[F_ACTION]) : NULL;
    int del = action && strcmp(action, "DELETE") == 0;

    if (!val[F_EVENT_TIME])
        return fail(c, NULL,
                    "eventTime is missing: every event needs the time it happened, e.g. "
                    "\"eventTime\": \"2024-05-01T10:00:00.000+02:00\"");
    if (!val[F_TZ])
        return fail(c, NULL,
                    "eventTimeZoneOffset is missing (EPCIS 2.0 requires it): add the local offset "
                    "from UTC where the event happened, e.g. \"eventTimeZoneOffset\": \"+02:00\"");
    if (!action && et->bit != T_TRF)
        return fail(c, NULL,
                    "action is missing: %s needs \"action\": \"ADD\", \"OBSERVE\" or \"DELETE\"",
                    et->article);
    switch (et->bit) {
    case T_OBJ:
        if (!val[F_EPCS] && nitems(val[F_QTYS]) == 0 &&
            !(nitems(val[F_SENSORS]) > 0 && val[F_READ_POINT]))
            return fail(c, NULL,
                        "an ObjectEvent needs epcList or quantityList (or sensorElementList "
                        "together with readPoint)");
        if (val[F_ILMD] && strcmp(action, "ADD") != 0) {
            seg_t s = {NULL, "ilmd", 0};
            return fail(c, &s,
                        "only allowed when action is ADD (instance/lot master data is given "
                        "when the objects are commissioned)");
        }
        break;
    case T_AGG:
    case T_ASC:
        if (et->bit == T_ASC && !val[F_PARENT])
            return fail(c, NULL,
                        "parentID is missing: an AssociationEvent needs the parent "
                        "identifier");
        if (!del && nitems(val[F_CHILD_EPCS]) == 0 && nitems(val[F_CHILD_QTYS]) == 0)
            return fail(c, NULL, "%s with action %s needs childEPCs or childQuantityList",
                        et->article, action);
        break;
    case T_TXN:
        if (nitems(val[F_BTXS]) == 0) {
            if (val[F_BTXS]) {
                seg_t s = {NULL, "bizTransactionList", 0};
                return fail(c, &s,
                            "is empty: a TransactionEvent needs at least one business "
                            "transaction");
            }
            return fail(c, NULL,
                        "bizTransactionList is missing: a TransactionEvent needs at "
                        "least one business transaction");
        }
        if (!del && !val[F_EPCS] && nitems(val[F_QTYS]) == 0)
            return fail(c, NULL, "a TransactionEvent with action %s needs epcList or quantityList",
                        action);
        break;
    case T_TRF: {
        int in = nitems(val[F_IN_EPCS]) || nitems(val[F_IN_QTYS]);
        int out = nitems(val[F_OUT_EPCS]) || nitems(val[F_OUT_QTYS]);
        if (!(in && out) && !((in || out) && val[F_XFORM_ID]))
            return fail(c, NULL,
                        "a TransformationEvent needs inputs (inputEPCList/inputQuantityList) and "
                        "outputs (outputEPCList/outputQuantityList), or a transformationID with "
                        "at least one of them");
        break;
    }
    }
    if (val[F_PDISP] && !json_object_get(val[F_PDISP], "set") &&
        !json_object_get(val[F_PDISP], "unset")) {
        seg_t s = {NULL, "persistentDisposition", 0};
        return fail(c, &s, "needs \"set\" or \"unset\" (or both)");
    }
    return 0;
}

/* The compact size check: cheap estimate first, exact dump only for events
 * that may be over the limit. The true compact size is at most 6 times the
 * estimate (see ledger_json_size_estimate); a shared @context counts with
 * its exact size. */
static int check_size(const chk_t *c, const json_t *event, const json_t *shared_ctx,
                      size_t shared_ctx_size)
{
    const char *key;
    const json_t *m;
    size_t est = 2, exact = 0, real;

    json_object_foreach((json_t *)event, key, m)
    {
        if (shared_ctx && m == shared_ctx)
            exact += shared_ctx_size + strlen(key) + 4;
        else
            est += strlen(key) + 4 + ledger_json_size_estimate(m);
    }
    if (est <= (LEDGER_EPCIS_EVENT_MAX - exact) / 6 && exact < LEDGER_EPCIS_EVENT_MAX)
        return 0;
    real = json_dumpb(event, NULL, 0, JSON_COMPACT);
    if (real > LEDGER_EPCIS_EVENT_MAX) {
        char where[200];
        ledger_epcis__format_where(c->w, where, sizeof where);
        return ledger_err_set(c->err, LEDGER_EINPUT,
                              "%s is %zu bytes, over the 1 MiB limit for one event (%d bytes of "
                              "compact JSON): split it into several events",
                              where, real, LEDGER_EPCIS_EVENT_MAX);
    }
    return 0;
}

int ledger_epcis__check_event(const json_t *event, const ledger_epcis__where_t *w,
                              const json_t *shared_ctx, size_t shared_ctx_size, ledger_err_t *err)
{
    chk_t c = {w, err};
    const struct evtype *et = NULL;
    const json_t *val[F__N] = {0};
    const char *key;
    const json_t *v;
    char b[QLEN];
    int rc;

    if (!json_is_object(event))
        return fail_type(&c, NULL, event, "an event object");
    if ((rc = check_type(&c, json_object_get(event, "type"), &et)) < 0)
        return rc;
    json_object_foreach((json_t *)event, key, v)
    {
        const field_t *f =
            bsearch(key, event_fields, NWORDS(event_fields), sizeof event_fields[0], cmp_field);
        if (!f) {
            if (is_ext_name(key))
                continue; /* an extension: kept as it is */
            return fail(&c, NULL,
                        "%s is not a field of %s: extension fields need a namespace prefix "
                        "defined in @context (\"ex:%.40s\") or a full URI",
                        q(key, b), et->article, key);
        }
        if (!(f->types & et->bit))
            return fail(&c, NULL, "%s is not a field of %s", q(key, b), et->article);
        val[f->id] = v;
        if (f->kind == K_CONTEXT && v == shared_ctx)
            continue; /* checked once for the whole document */
        seg_t s = {NULL, key, 0};
        if ((rc = check_kind(&c, &s, v, f->kind, f->arg)) < 0)
            return rc;
    }
    if ((rc = check_required(&c, et, val)) < 0)
        return rc;
    if ((rc = ledger_epcis__check_garment(event, w, err)) < 0)
        return rc;
    return check_size(&c, event, shared_ctx, shared_ctx_size);
}
