/* ledger_epcis_xml.c -- EPCIS XML in: EPCIS 2.0 and 1.x XML documents read
 * into the JSON-LD model of the rest of the module (contract:
 * ledger_epcis__xml_foreach in ledger__epcis.h; users reach it through
 * ledger_epcis_doc_foreach and ledger_epcis_doc_parse of ledger_epcis.h,
 * which hand it any input whose first non-blank byte is '<').
 *
 * How: libxml2's SAX2 push parser is fed the caller's buffer 64 KiB at a
 * time (never a tree of the document; no size limit of int). The callbacks
 * follow the document skeleton with one state per open element (root,
 * EPCISHeader skipped whole with its SBDH and master data, EPCISBody,
 * QueryResults, resultsBody, EventList); each event element is read into a
 * small tree of its own (ledger__epcis_xml.h: names, attributes, text, the
 * exact line and column where its start tag ends), which
 * ledger_epcis_xmlmap.c maps to one JSON-LD event object as GS1's
 * XML/JSON-LD mapping says; the event is checked by the same rules as a
 * JSON-LD event (ledger_epcis__check_event), handed to the caller's
 * callback and freed. Memory: the open elements' namespaces plus one event.
 *
 * EPCIS 1.x is brought to the 2.0 model by one rule: the contents of the
 * `extension` and `baseExtension` wrappers (EPCIS 1.x put eventID and
 * errorDeclaration in baseExtension, quantityList, sourceList,
 * destinationList, ilmd and the 1.2 fields in extension, TransformationEvent
 * in EventList/extension) count as if written in the element holding the
 * wrapper, at any depth. EPCIS 2.0 XML keeps `extension` for the same use.
 *
 * User extensions (elements and attributes in a namespace of their own) are
 * kept: the member name is the prefix as written and the local name
 * ("example:myField"), and the event gets an "@context" of the standard
 * context URL and an object binding each prefix used to its namespace. A
 * default-namespace or rebound prefix gets a made-up one ("ns1"). Element
 * text is a string (trimmed of XML white space), an element with child
 * elements or attributes an object, a repeated name an array.
 *
 * Values written as CURIEs of GS1's vocabularies ("gs1:Temperature") get
 * their binding in the event's @context; other CURIE-like values keep their
 * prefix out of it (note_curie below: so the event hash sees them as the
 * reference generator's XML path does).
 *
 * What the XML schema types and JSON does not, the reader checks itself, so
 * that the message can name line and column: dates (eventTime, recordTime,
 * declarationTime, sensor times), quantities and sensor numbers, booleans.
 *
 * Hostile input: no DTD content (a bare <!DOCTYPE name> passes; one naming
 * an external DTD, and every declaration in an internal subset, stop the
 * parse when the parser reports them, before any entity can be used: no
 * XXE, no entity expansion; entity references other than XML's five stop
 * it too), no network (XML_PARSE_NONET), entities never substituted (no
 * XML_PARSE_NOENT), libxml2's own limits kept (no XML_PARSE_HUGE: 10 MB
 * text nodes), an element depth of LEDGER_EPCIS__XML_MAX_DEPTH (48), an
 * event of at most LEDGER_EPCIS_EVENT_MAX bytes of names, attributes and
 * text.
 */
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_epcis.h"
#include "ledger__epcis.h"
#include "ledger__epcis_xml.h"

#define MAX_DEPTH LEDGER_EPCIS__XML_MAX_DEPTH
#define CHUNK 65536

typedef ledger_epcis__xnode_t xnode_t;
typedef ledger_epcis__xattr_t xattr_t;

/* What an open element is to the skeleton. */
enum { ST_BODY = 1, ST_LIST, ST_SKIP, ST_EVENT };

typedef struct ns_bind {
    char *prefix, *uri; /* prefix NULL: the default namespace */
} ns_bind_t;

typedef struct sx {
    ledger_epcis__xmap_t m;
    xmlParserCtxtPtr ctxt;
    int rc;           /* the first error: the parse stops */
    int xfailed;      /* libxml2 reported an error */
    char xmsg[400];   /* its message */
    long xline, xcol; /* and where */
    int depth;        /* open elements, root = 1 */
    unsigned char st[MAX_DEPTH + 2];
    size_t ns_at[MAX_DEPTH + 2]; /* nns when the element at that depth opened */
    ns_bind_t *ns;               /* namespaces in scope, innermost last */
    size_t nns, nscap;
    xnode_t *tree, *cur; /* the event being read, its open element */
    size_t ev_bytes;
    ledger_epcis_event_cb fn;
    void *fn_ctx;
    size_t *count;
} sx_t;

/* ---- errors ---- */

static void pos_now(sx_t *x, long *line, long *col)
{
    *line = xmlSAX2GetLineNumber(x->ctxt);
    *col = xmlSAX2GetColumnNumber(x->ctxt);
}

/* Records the first error and stops the parse. */
static void stop(sx_t *x, int rc)
{
    if (!x->rc)
        x->rc = rc;
    xmlStopParser(x->ctxt);
}

__attribute__((format(printf, 2, 3))) static void fail_here(sx_t *x, const char *fmt, ...)
{
    char text[600];
    long line, col;
    va_list ap;

    if (x->rc)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    pos_now(x, &line, &col);
    stop(x, ledger_epcis__xfail_at(&x->m, line, col, "%s", text));
}

static void nomem(sx_t *x)
{
    if (!x->rc)
        stop(x, ledger_err_set(x->m.err, LEDGER_ENOMEM, "out of memory"));
}

#if LIBXML_VERSION >= 21200
static void on_xml_error(void *data, const xmlError *e)
#else
static void on_xml_error(void *data, xmlErrorPtr e)
#endif
{
    sx_t *x = data;
    size_t n;

    if (!e || e->level < XML_ERR_ERROR || x->xfailed || x->rc)
        return;
    x->xfailed = 1;
    snprintf(x->xmsg, sizeof x->xmsg, "%s", e->message ? e->message : "malformed XML");
    n = strlen(x->xmsg);
    while (n > 0 && (x->xmsg[n - 1] == '\n' || x->xmsg[n - 1] == ' '))
        x->xmsg[--n] = '\0';
    x->xline = e->line;
    x->xcol = e->int2;
}

/* ---- namespaces in scope (for values written as CURIEs) ---- */

static const char *ns_lookup(const sx_t *x, const char *prefix)
{
    for (size_t i = x->nns; i-- > 0;)
        if (x->ns[i].prefix && strcmp(x->ns[i].prefix, prefix) == 0)
            return x->ns[i].uri;
    return NULL;
}

static void ns_push(sx_t *x, int n, const xmlChar **nss)
{
    for (int i = 0; i < n && !x->rc; i++) {
        if (x->nns == x->nscap) {
            size_t cap = x->nscap ? x->nscap * 2 : 16;
            ns_bind_t *v = realloc(x->ns, cap * sizeof *v);
            if (!v) {
                nomem(x);
                return;
            }
            x->ns = v;
            x->nscap = cap;
        }
        ns_bind_t *b = &x->ns[x->nns];
        b->prefix = nss[2 * i] ? strdup((const char *)nss[2 * i]) : NULL;
        b->uri = strdup(nss[2 * i + 1] ? (const char *)nss[2 * i + 1] : "");
        if ((nss[2 * i] && !b->prefix) || !b->uri) {
            free(b->prefix);
            free(b->uri);
            nomem(x);
            return;
        }
        x->nns++;
    }
}

static void ns_pop(sx_t *x, size_t to)
{
    while (x->nns > to) {
        x->nns--;
        free(x->ns[x->nns].prefix);
        free(x->ns[x->nns].uri);
    }
}

/* A value "prefix:rest" (rest not starting with '/'): a CURIE. One of a
 * GS1 vocabulary bound in the XML ("gs1:MT-Temperature",
 * "cbv:BizStep-receiving"; gs1: and cbv: are taken as EPCIS 2.0's own
 * prefixes where the document does not declare them, as GS1's examples
 * write them) is resolved as the event hash resolves it (its binding goes
 * to the event's @context); any other prefix so used is noted
 * too, so that no extension element binds it in @context (the reference
 * event hash of XML does not expand such values, that of JSON-LD would). */
static void note_curie(sx_t *x, const char *v)
{
    char prefix[64];
    size_t n = 0;
    const char *ns;

    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    if (!((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || *v == '_'))
        return;
    while (n < sizeof prefix - 1 &&
           ((v[n] >= 'A' && v[n] <= 'Z') || (v[n] >= 'a' && v[n] <= 'z') ||
            (v[n] >= '0' && v[n] <= '9') || v[n] == '_' || v[n] == '-' || v[n] == '.'))
        n++;
    if (v[n] != ':' || v[n + 1] == '/' || v[n + 1] == '\0')
        return;
    memcpy(prefix, v, n);
    prefix[n] = '\0';
    if (json_object_get(x->m.vns, prefix))
        return;
    ns = ns_lookup(x, prefix);
    if (!ns && strcmp(prefix, "gs1") == 0) /* EPCIS 2.0's own CURIE prefixes, even undeclared */
        ns = "https://gs1.org/voc/";
    else if (!ns && strcmp(prefix, "cbv") == 0)
        ns = "https://ref.gs1.org/cbv/";
    if ((!x->m.vns && !(x->m.vns = json_object())) ||
        json_object_set_new(x->m.vns, prefix,
                            ns && ledger_epcis__xml_gs1_vocab(ns) ? json_string(ns) : json_null()) <
            0)
        nomem(x);
}

/* ---- the tree of one event ---- */

static int count_bytes(sx_t *x, size_t n)
{
    x->ev_bytes += n;
    if (x->ev_bytes > LEDGER_EPCIS_EVENT_MAX) {
        fail_here(x, "the event is larger than %d bytes (names, attributes and text)",
                  LEDGER_EPCIS_EVENT_MAX);
        return -1;
    }
    return 0;
}

static char *dup_n(const xmlChar *s, const xmlChar *end)
{
    size_t n = (size_t)(end - s);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup_or_null(const xmlChar *s)
{
    return s ? strdup((const char *)s) : NULL;
}

/* A node for an element that just started, linked under x->cur. */
static xnode_t *new_node(sx_t *x, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                         int nattrs, const xmlChar **attrs)
{
    xnode_t *n = calloc(1, sizeof *n);

    if (!n)
        return nomem(x), NULL;
    if (!x->tree) /* the event element: owned by x->tree from here on */
        x->tree = n;
    n->up = x->cur;
    if (x->cur) {
        if (x->cur->last)
            x->cur->last->next = n;
        else
            x->cur->kid = n;
        x->cur->last = n;
    }
    pos_now(x, &n->line, &n->col);
    n->local = dup_or_null(local);
    n->ns = dup_or_null(uri);
    n->prefix = dup_or_null(prefix);
    if (!n->local || (uri && !n->ns) || (prefix && !n->prefix) ||
        (nattrs && !(n->attrs = calloc((size_t)nattrs, sizeof *n->attrs))))
        return nomem(x), NULL;
    if (count_bytes(x, strlen(n->local) + 2) < 0)
        return NULL;
    for (int i = 0; i < nattrs; i++) {
        const xmlChar **a = attrs + 5 * i; /* local, prefix, URI, value, end */
        xattr_t *t = &n->attrs[n->nattrs++];
        t->local = dup_or_null(a[0]);
        t->prefix = dup_or_null(a[1]);
        t->ns = dup_or_null(a[2]);
        t->value = dup_n(a[3], a[4]);
        if (!t->local || !t->value || (a[1] && !t->prefix) || (a[2] && !t->ns))
            return nomem(x), NULL;
        if (count_bytes(x, strlen(t->local) + strlen(t->value) + 4) < 0)
            return NULL;
        note_curie(x, t->value);
    }
    return n;
}

static void add_text(sx_t *x, const xmlChar *s, int len)
{
    xnode_t *n = x->cur;
    size_t l = (size_t)len;

    if (count_bytes(x, l) < 0)
        return;
    if (n->tlen + l + 1 > n->tcap) {
        size_t cap = (n->tlen + l + 1) * 2;
        char *t = realloc(n->text, cap);
        if (!t) {
            nomem(x);
            return;
        }
        n->text = t;
        n->tcap = cap;
    }
    memcpy(n->text + n->tlen, s, l);
    n->tlen += l;
    n->text[n->tlen] = '\0';
}

/* The event read whole: mapped, checked, handed out, freed. */
static void end_event(sx_t *x)
{
    xnode_t *tree = x->tree;
    json_t *ev = NULL;
    char rest[sizeof x->m.err->msg];
    int rc;

    x->tree = x->cur = NULL;
    if ((rc = ledger_epcis__xml_to_json(&x->m, tree, &ev)) < 0)
        goto done;
    /* the JSON-LD checks; their message "SOURCE: event N: ..." gets the
     * event's line and column (formatted only when something is wrong) */
    ledger_epcis__where_t w = {NULL, x->m.source, (long)x->m.index};
    if ((rc = ledger_epcis__check_event(ev, &w, NULL, 0, x->m.err)) < 0) {
        size_t sl = strlen(x->m.source);
        if (rc == LEDGER_EINPUT && x->m.err && strncmp(x->m.err->msg, x->m.source, sl) == 0 &&
            x->m.err->msg[sl] == ':') {
            snprintf(rest, sizeof rest, "%s", x->m.err->msg + sl + 2);
            ledger_err_set(x->m.err, LEDGER_EINPUT, "%s: line %ld, column %ld: %s", x->m.source,
                           tree->line, tree->col, rest);
        }
        goto done;
    }
    if (x->fn && (rc = x->fn(ev, x->m.index, x->fn_ctx)) < 0)
        goto done;
    *x->count = ++x->m.index;
done:
    if (rc < 0)
        stop(x, rc);
    x->m.in_event = 0;
    x->m.etype = NULL;
    json_decref(x->m.vns);
    x->m.vns = NULL;
    json_decref(ev);
    ledger_epcis__xfree(tree);
}

/* ---- the skeleton ---- */

static const char expected_root[] =
    "expected an EPCISDocument or EPCISQueryDocument in the namespace urn:epcglobal:epcis:xsd:2 "
    "(EPCIS 2.0) or urn:epcglobal:epcis:xsd:1 (EPCIS 1.x; query documents: "
    "urn:epcglobal:epcis-query:xsd:2 or :1)";

static int is_event_type(const char *t)
{
    return strcmp(t, "ObjectEvent") == 0 || strcmp(t, "AggregationEvent") == 0 ||
           strcmp(t, "TransformationEvent") == 0 || strcmp(t, "TransactionEvent") == 0 ||
           strcmp(t, "AssociationEvent") == 0;
}

static void check_root(sx_t *x, const char *name, const char *ns)
{
    int query = strcmp(name, "EPCISQueryDocument") == 0;

    if (strcmp(name, "EPCISMasterDataDocument") == 0)
        fail_here(x,
                  "an EPCISMasterDataDocument holds master data, not events: keten records "
                  "events (%s)",
                  expected_root);
    else if (strcmp(name, "EPCISCaptureJob") == 0)
        fail_here(x,
                  "an EPCISCaptureJob is a capture job of the EPCIS 2.0 REST binding (what GET "
                  "/capture/{captureID} answers: its state and errors), not events (%s)",
                  expected_root);
    else if (!query && strcmp(name, "EPCISDocument") != 0)
        fail_here(x, "root element <%s>: not an EPCIS document: %s", name, expected_root);
    else if (!ns)
        fail_here(x, "<%s> has no namespace: %s", name, expected_root);
    else if (strcmp(ns, "urn:epcglobal:epcis:xsd:2") != 0 &&
             strcmp(ns, "urn:epcglobal:epcis:xsd:1") != 0 &&
             (!query || (strcmp(ns, "urn:epcglobal:epcis-query:xsd:2") != 0 &&
                         strcmp(ns, "urn:epcglobal:epcis-query:xsd:1") != 0)))
        fail_here(x, "<%s> in the namespace %s: %s", name, ns, expected_root);
}

/* The state of a new element at depth d under an element of state up. */
static int state_of(sx_t *x, int up, const char *name, const char *ns)
{
    switch (up) {
    case 0:
        check_root(x, name, ns);
        return ST_BODY;
    case ST_BODY:
        if (!ns && strcmp(name, "EventList") == 0)
            return ST_LIST;
        if (!ns && (strcmp(name, "EPCISBody") == 0 || strcmp(name, "QueryResults") == 0 ||
                    strcmp(name, "resultsBody") == 0))
            return ST_BODY;
        /* the XSD's QueryResults is a global element of the query namespace */
        if (ns && strcmp(name, "QueryResults") == 0 &&
            (strcmp(ns, "urn:epcglobal:epcis-query:xsd:2") == 0 ||
             strcmp(ns, "urn:epcglobal:epcis-query:xsd:1") == 0))
            return ST_BODY;
        return ST_SKIP; /* EPCISHeader (SBDH, master data), queryName, subscriptionID, ... */
    case ST_LIST:
        if (!ns && strcmp(name, "extension") == 0) /* EPCIS 1.x: TransformationEvent */
            return ST_LIST;
        if (!ns && is_event_type(name))
            return ST_EVENT;
        if (!ns && strcmp(name, "QuantityEvent") == 0)
            fail_here(x,
                      "event %zu: a QuantityEvent (EPCIS 1.0, deprecated in 1.1, gone in "
                      "2.0): write it as an ObjectEvent with a quantityList",
                      x->m.index);
        else
            fail_here(x,
                      "event %zu: unknown event type <%s%s%s>: expected ObjectEvent, "
                      "AggregationEvent, TransactionEvent, TransformationEvent or "
                      "AssociationEvent (no namespace)",
                      x->m.index, name, ns ? "> in the namespace <" : "", ns ? ns : "");
        return ST_SKIP;
    case ST_EVENT:
        return ST_EVENT;
    default:
        return ST_SKIP;
    }
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **nss, int nattrs, int ndefaulted,
                     const xmlChar **attrs)
{
    sx_t *x = ctx;
    int st;

    (void)ndefaulted;
    if (x->rc)
        return;
    if (x->depth >= MAX_DEPTH) {
        fail_here(x, "elements nested deeper than %d", MAX_DEPTH);
        return;
    }
    x->ns_at[x->depth + 1] = x->nns;
    ns_push(x, nns, nss);
    st = state_of(x, x->depth ? x->st[x->depth] : 0, (const char *)local, (const char *)uri);
    if (x->rc)
        return;
    x->st[++x->depth] = (unsigned char)st;
    if (st != ST_EVENT)
        return;
    int starts = !x->tree;
    if (starts) { /* an event */
        x->m.in_event = 1;
        x->m.etype = (const char *)local;
        x->ev_bytes = 0;
        json_decref(x->m.vns);
        x->m.vns = NULL;
    }
    xnode_t *n = new_node(x, local, prefix, uri, nattrs, attrs);
    if (!n)
        return;
    if (starts)
        x->m.etype = n->local;
    x->cur = n;
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    sx_t *x = ctx;

    (void)local, (void)prefix, (void)uri;
    if (x->rc || x->depth == 0)
        return;
    if (x->st[x->depth] == ST_EVENT && x->cur) {
        if (x->cur->text)
            note_curie(x, x->cur->text);
        if (x->cur == x->tree)
            end_event(x);
        else
            x->cur = x->cur->up;
    }
    ns_pop(x, x->ns_at[x->depth]);
    x->depth--;
}

static void on_text(void *ctx, const xmlChar *s, int len)
{
    sx_t *x = ctx;

    if (!x->rc && x->depth && x->st[x->depth] == ST_EVENT && x->cur)
        add_text(x, s, len);
}

/* A <!DOCTYPE name> alone (12 GS1 examples have "<!DOCTYPE project>")
 * declares nothing and passes; one naming an external DTD is refused
 * here, one with declarations by the callbacks below. */
static void on_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    (void)name;
    if (ext || sys)
        fail_here(ctx,
                  "a <!DOCTYPE> naming an external DTD (%s): EPCIS XML has no DTD, and "
                  "keten neither loads one nor fetches anything",
                  sys ? (const char *)sys : (const char *)ext);
}

static void on_decl(sx_t *x, const char *what, const xmlChar *name)
{
    fail_here(x,
              "a DTD declaration (%s %s): EPCIS XML has no DTD, and keten neither reads one "
              "nor expands or fetches entities",
              what, name ? (const char *)name : "");
}

static void on_element_decl(void *ctx, const xmlChar *name, int type, xmlElementContentPtr c)
{
    (void)type, (void)c;
    on_decl(ctx, "ELEMENT", name);
}

static void on_attribute_decl(void *ctx, const xmlChar *elem, const xmlChar *name, int type,
                              int def, const xmlChar *dflt, xmlEnumerationPtr tree)
{
    (void)elem, (void)type, (void)def, (void)dflt;
    xmlFreeEnumeration(tree); /* the handler owns it */
    on_decl(ctx, "ATTLIST", name);
}

static void on_notation_decl(void *ctx, const xmlChar *name, const xmlChar *pub, const xmlChar *sys)
{
    (void)pub, (void)sys;
    on_decl(ctx, "NOTATION", name);
}

static void on_unparsed_decl(void *ctx, const xmlChar *name, const xmlChar *pub, const xmlChar *sys,
                             const xmlChar *notation)
{
    (void)pub, (void)sys, (void)notation;
    on_decl(ctx, "ENTITY", name);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                           const xmlChar *sys, xmlChar *content)
{
    (void)type, (void)pub, (void)sys, (void)content;
    on_decl(ctx, "ENTITY", name);
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
    fail_here(ctx, "an entity reference &%s;: entities are never expanded or fetched",
              (const char *)name);
    return NULL;
}

static void on_reference(void *ctx, const xmlChar *name)
{
    on_get_entity(ctx, name);
}

int ledger_epcis__xml_foreach(const char *buf, size_t len, const char *source, unsigned flags,
                              ledger_epcis_event_cb fn, void *fn_ctx, size_t *count,
                              ledger_err_t *err)
{
    xmlSAXHandler sax;
    sx_t x;
    size_t dummy, pos, first;
    int rc = 0;

    (void)flags; /* XML events are always checked here: the messages name the line */
    memset(&x, 0, sizeof x);
    x.count = count ? count : &dummy;
    *x.count = 0;
    x.m.source = source ? source : "input";
    x.m.err = err;
    x.fn = fn;
    x.fn_ctx = fn_ctx;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.characters = on_text;
    sax.cdataBlock = on_text;
    sax.internalSubset = on_dtd;
    sax.externalSubset = on_dtd;
    sax.entityDecl = on_entity_decl;
    sax.elementDecl = on_element_decl;
    sax.attributeDecl = on_attribute_decl;
    sax.notationDecl = on_notation_decl;
    sax.unparsedEntityDecl = on_unparsed_decl;
    sax.getEntity = on_get_entity;
    sax.getParameterEntity = on_get_entity;
    sax.reference = on_reference;
    sax.serror = on_xml_error;
    xmlInitParser();
    first = len < 4 ? len : 4; /* the encoding is detected from the first bytes */
    x.ctxt = xmlCreatePushParserCtxt(&sax, &x, buf, (int)first, x.m.source);
    if (!x.ctxt)
        return ledger_err_set(err, LEDGER_ENOMEM, "%s: cannot start the XML parser", x.m.source);
    xmlCtxtUseOptions(x.ctxt, XML_PARSE_NONET | XML_PARSE_NOWARNING);
    for (pos = first; !x.rc && !x.xfailed;) {
        size_t n = len - pos > CHUNK ? CHUNK : len - pos;
        int last = pos + n == len;
        xmlParseChunk(x.ctxt, buf + pos, (int)n, last);
        pos += n;
        if (last)
            break;
    }
    if (x.rc)
        rc = x.rc;
    else if (x.xfailed)
        rc = ledger_epcis__xfail_at(&x.m, x.xline, x.xcol, "malformed XML: %s", x.xmsg);
    else if (!x.ctxt->wellFormed)
        rc = ledger_epcis__xfail_at(&x.m, xmlSAX2GetLineNumber(x.ctxt),
                                    xmlSAX2GetColumnNumber(x.ctxt), "malformed XML");
    else if (x.depth != 0 || !x.st[1])
        rc = ledger_epcis__xfail_at(
            &x.m, xmlSAX2GetLineNumber(x.ctxt), xmlSAX2GetColumnNumber(x.ctxt), "%s",
            x.st[1] ? "the document ends early" : "no root element: not an EPCIS document");
    ledger_epcis__xfree(x.tree);
    json_decref(x.m.vns);
    json_decref(x.m.last_ctx);
    ns_pop(&x, 0);
    free(x.ns);
    if (x.ctxt->myDoc) /* libxml2 makes one to hold a DTD's declarations */
        xmlFreeDoc(x.ctxt->myDoc);
    xmlFreeParserCtxt(x.ctxt);
    return rc;
}
