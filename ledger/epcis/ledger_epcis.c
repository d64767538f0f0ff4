/* ledger_epcis.c -- EPCIS 2.0 JSON-LD in (contract: ledger_epcis.h).
 *
 * In: the whole document is read into jansson values by the fast reader of
 * ledger_json.h (on any doubt jansson's json_loadb reads it again and gives
 * the error with line and column: bad syntax, invalid UTF-8), its shape is
 * recognised (EPCISDocument, EPCISQueryDocument, array of events, one
 * event), and every event is made self-contained and then checked by
 * ledger_epcis_check.c. Self-contained: when the document's @context holds
 * more than the standard EPCIS context URL, every event gets a "@context"
 * member with that value (one json_t shared by all the events of the
 * document, not one copy each); an event that has its own "@context" gets
 * the JSON-LD merge of both (the document's entries first, then its own,
 * without those of its own that repeat the document's to no effect).
 *
 * Streaming in (ledger_epcis_doc_foreach): the fast reader first reads the
 * document without its event list, only noting where the list is (so the
 * @context is known wherever it stands), then reads, checks, hands out and
 * frees the events one at a time.
 *
 * Then what the ledger asks of a checked event: its info for the indexes,
 * its identifiers with their roles, and (ledger_epcis_ordered) its members
 * in the standard order, for output: lists of names in the schema's order
 * placed first, every other member after them as it was. Writing documents
 * out is ledger_epcis_export.c.
 */
#include "ledger_epcis.h"

#include <stdlib.h>
#include <string.h>

#include "ledger_cbv.h"
#include "ledger__epcis.h"
#include "gs1_ident.h"
#include "gs1_key.h"
#include "ledger_json.h"

struct ledger_epcis_doc {
    json_t *root;    /* owns everything below */
    json_t *events;  /* array of the events (root itself for an array of events) */
    json_t *context; /* borrowed from root, may be NULL */
};

static const char not_epcis[] = "not an EPCIS document: expected an EPCISDocument, an "
                                "EPCISQueryDocument, an array of events or one event";

/* ---- reading ---- */

/* Offset of the first byte that is not well-formed UTF-8 (RFC 3629), or len. */
static size_t utf8_bad_offset(const unsigned char *s, size_t len)
{
    size_t i = 0, n;
    while (i < len && (n = ledger_json_utf8_char(s + i, len - i)) > 0)
        i += n;
    return i;
}

/* buf starts (after a UTF-8 byte order mark and white space) with '<': an
 * XML document, most likely EPCIS XML (ledger_epcis_xml.c reads it). */
static int looks_like_xml(const char *buf, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    return i < len && buf[i] == '<';
}

static int json_syntax_error(const char *buf, size_t len, const char *source,
                             const json_error_t *je, ledger_err_t *err)
{
    switch (json_error_code(je)) {
    case json_error_invalid_utf8: {
        size_t off = utf8_bad_offset((const unsigned char *)buf, len), i, line = 1, col = 1;
        if (off >= len)
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "%s: line %d, column %d (byte %d): invalid UTF-8: the document "
                                  "must be UTF-8 text",
                                  source, je->line, je->column, je->position);
        for (i = 0; i < off; i++) {
            if (buf[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s: line %zu, column %zu (byte %zu): invalid UTF-8 (byte 0x%02x): "
                              "the document must be UTF-8 text; convert it first (e.g. iconv -f "
                              "latin1 -t utf-8)",
                              source, line, col, off, (unsigned char)buf[off]);
    }
    case json_error_null_character:
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s: line %d, column %d: malformed JSON: \\u0000 (a NUL character) "
                              "is not allowed in a string",
                              source, je->line, je->column);
    case json_error_premature_end_of_input:
        return ledger_err_set(
            err, LEDGER_EINPUT,
            "%s: line %d, column %d: malformed JSON: the text ends too early (%s); "
            "is the file truncated?",
            source, je->line, je->column, je->text);
    case json_error_numeric_overflow:
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s: line %d, column %d: number out of range (%s): integers must fit "
                              "in 64 bits and reals in a double",
                              source, je->line, je->column, je->text);
    case json_error_out_of_memory:
        return ledger_err_set(err, LEDGER_ENOMEM, "%s: out of memory while parsing", source);
    default:
        return ledger_err_set(err, LEDGER_EINPUT, "%s: line %d, column %d: malformed JSON: %s",
                              source, je->line, je->column, je->text);
    }
}

static int is_event_type(const char *t)
{
    return t && (strcmp(t, "ObjectEvent") == 0 || strcmp(t, "AggregationEvent") == 0 ||
                 strcmp(t, "TransformationEvent") == 0 || strcmp(t, "TransactionEvent") == 0 ||
                 strcmp(t, "AssociationEvent") == 0);
}

/* 1 when ctx holds anything beyond the standard EPCIS context URL(s). */
static int context_is_extra(const json_t *ctx)
{
    size_t i;

    if (!ctx)
        return 0;
    if (json_is_string(ctx))
        return !ledger_epcis__is_std_context(json_string_value(ctx));
    if (!json_is_array(ctx))
        return 1;
    for (i = 0; i < json_array_size(ctx); i++) {
        const json_t *it = json_array_get(ctx, i);
        if (!json_is_string(it) || !ledger_epcis__is_std_context(json_string_value(it)))
            return 1;
    }
    return 0;
}

static int append_items(json_t *arr, const json_t *ctx, const json_t *skip_present)
{
    size_t i, j, n = json_is_array(ctx) ? json_array_size(ctx) : 1;

    for (i = 0; i < n; i++) {
        json_t *it = json_is_array(ctx) ? json_array_get(ctx, i) : (json_t *)ctx;
        int dup = 0;
        /* a standard context URL the document's context already loads */
        if (skip_present && json_is_string(it) &&
            ledger_epcis__is_std_context(json_string_value(it))) {
            size_t m = json_is_array(skip_present) ? json_array_size(skip_present) : 1;
            for (j = 0; j < m && !dup; j++) {
                const json_t *p =
                    json_is_array(skip_present) ? json_array_get(skip_present, j) : skip_present;
                dup = json_equal(p, it);
            }
        }
        if (!dup && json_array_append(arr, it) < 0)
            return -1;
    }
    return 0;
}

/* The JSON-LD merge of the document's context and an event's own one. */
static json_t *merge_context(const json_t *doc_ctx, const json_t *own)
{
    json_t *m = json_array(), *u;

    if (!m || append_items(m, doc_ctx, NULL) < 0 || append_items(m, own, doc_ctx) < 0) {
        json_decref(m);
        return NULL;
    }
    u = ledger_epcis__context_unique(m); /* own items the document's already give */
    json_decref(m);
    return u;
}

/* Finds the event list and the context for the shape of root. */
static int find_events(json_t *root, const char *source, json_t **events, json_t **ctx,
                       ledger_err_t *err)
{
    const char *type;
    int rc;

    *events = NULL;
    *ctx = NULL;
    if (json_is_array(root)) {
        *events = json_incref(root);
        return 0;
    }
    if (!json_is_object(root))
        return ledger_err_set(err, LEDGER_EINPUT, "%s: %s, not a JSON %s", source, not_epcis,
                              json_is_string(root)   ? "string"
                              : json_is_number(root) ? "number"
                                                     : "literal");
    type = json_string_value(json_object_get(root, "type"));
    if (type && (strcmp(type, "EPCISDocument") == 0 || strcmp(type, "EPCISQueryDocument") == 0)) {
        int query = type[5] == 'Q';
        const json_t *body;
        if ((rc = ledger_epcis__check_document(root, query, source, err)) < 0)
            return rc;
        body = json_object_get(root, "epcisBody");
        if (query)
            body = json_object_get(
                json_object_get(json_object_get(body, "queryResults"), "resultsBody"), "eventList");
        else
            body = json_object_get(body, "eventList");
        *events = json_incref((json_t *)body);
        *ctx = json_object_get(root, "@context");
        return 0;
    }
    if (is_event_type(type) || json_object_get(root, "eventTime") ||
        json_object_get(root, "action")) {
        /* one event (checked as such, unknown types included, for the message) */
        *events = json_array();
        if (!*events || json_array_append(*events, root) < 0)
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        *ctx = json_object_get(root, "@context");
        return 0;
    }
    if (json_object_get(root, "epcisBody") || json_object_get(root, "eventList"))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s: %s (this object looks like a document: it needs \"type\": "
                              "\"EPCISDocument\" and its events in \"epcisBody\": {\"eventList\": "
                              "[...]})",
                              source, not_epcis);
    return ledger_err_set(err, LEDGER_EINPUT, "%s: %s", source, not_epcis);
}

/* What both readers do first: arguments, byte order mark, empty input, NUL
 * bytes (never JSON; jansson lets one pass right after a number). */
static int reader_start(const char **buf, size_t *len, const char **source, ledger_err_t *err)
{
    const char *b = *buf, *nul;
    size_t k, line = 1, col = 1;

    if (!*source)
        *source = "input";
    if (*len >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) {
        *buf = b += 3;
        *len -= 3;
    }
    for (k = 0; k < *len && (b[k] == ' ' || b[k] == '\t' || b[k] == '\n' || b[k] == '\r');)
        k++;
    if (k == *len)
        return ledger_err_set(err, LEDGER_EINPUT, "%s: is empty: %s", *source,
                              not_epcis + strlen("not an EPCIS document: "));
    if ((nul = memchr(b, '\0', *len))) {
        for (k = 0; b + k < nul; k++, col++) {
            if (b[k] == '\n') {
                line++;
                col = 0;
            }
        }
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s: line %zu, column %zu (byte %zu): a NUL byte: this is not JSON "
                              "text",
                              *source, line, col, (size_t)(nul - b));
    }
    return 0;
}

/* Reads a whole text the slow way, for jansson's error message. */
static json_t *reader_slow(const char *buf, size_t len, const char *source, ledger_err_t *err)
{
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_DECODE_ANY, &je);

    if (!root)
        json_syntax_error(buf, len, source, &je, err);
    return root;
}

/* Makes event i self-contained (see the top of this file) and checks it
 * (unless flags has LEDGER_EPCIS_UNCHECKED). */
static int prepare_event(json_t *ev, const json_t *root, const json_t *ctx, json_t *shared,
                         size_t shared_size, const char *source, size_t i, unsigned flags,
                         ledger_err_t *err)
{
    ledger_epcis__where_t w = {NULL, source, (long)i};

    if (json_is_object(ev) && ev != root) {
        json_t *own = json_object_get(ev, "@context");
        if (own && ctx) {
            json_t *m = merge_context(ctx, own);
            if (!m || json_object_set_new(ev, "@context", m) < 0)
                return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        } else if (!own && shared && json_object_set(ev, "@context", shared) < 0) {
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        }
    }
    if (flags & LEDGER_EPCIS_UNCHECKED)
        return 0;
    return ledger_epcis__check_event(ev, &w, shared, shared_size, err);
}

/* The document's context when events must carry it, and its compact size. */
static json_t *shared_context(json_t *ctx, size_t *size)
{
    if (!context_is_extra(ctx) || ledger_epcis__check_context(ctx, NULL) < 0)
        return NULL;
    *size = json_dumpb(ctx, NULL, 0, JSON_COMPACT);
    return ctx;
}

static int keep_event(json_t *ev, size_t i, void *data)
{
    (void)i;
    return json_array_append(data, ev) < 0 ? LEDGER_ENOMEM : 0;
}

/* ledger_epcis_doc_parse of an XML document: its events in one array. */
static int xml_parse(const char *buf, size_t len, const char *source, ledger_epcis_doc_t **out,
                     ledger_err_t *err)
{
    json_t *events = json_array();
    int rc;

    if (!events || !(*out = calloc(1, sizeof **out))) {
        json_decref(events);
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    rc = ledger_epcis__xml_foreach(buf, len, source, 0, keep_event, events, NULL, err);
    if (rc < 0) {
        if (rc == LEDGER_ENOMEM)
            ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        json_decref(events);
        free(*out);
        *out = NULL;
        return rc;
    }
    (*out)->root = events;
    (*out)->events = json_incref(events);
    return 0;
}

static int doc_parse(const char *buf, size_t len, const char *source, unsigned flags,
                     ledger_epcis_doc_t **out, ledger_err_t *err)
{
    ledger_epcis_doc_t *doc = NULL;
    json_t *root = NULL, *events = NULL, *ctx = NULL, *shared;
    size_t i, n, shared_size = 0;
    int rc;

    if (out)
        *out = NULL;
    if (!out || (!buf && len))
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_doc_parse: no %s",
                              out ? "input" : "output");
    if (looks_like_xml(buf, len))
        return xml_parse(buf, len, source, out, err);
    if ((rc = reader_start(&buf, &len, &source, err)) < 0)
        return rc;
    root = ledger_json_load(buf, len);
    if (!root && !(root = reader_slow(buf, len, source, err)))
        return err ? err->code : LEDGER_EINPUT;
    if ((rc = find_events(root, source, &events, &ctx, err)) < 0)
        goto fail;
    shared = shared_context(ctx, &shared_size);
    n = json_array_size(events);
    for (i = 0; i < n; i++)
        if ((rc = prepare_event(json_array_get(events, i), root, ctx, shared, shared_size, source,
                                i, flags, err)) < 0)
            goto fail;
    doc = calloc(1, sizeof *doc);
    if (!doc) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    doc->root = root;
    doc->events = events;
    doc->context = ctx;
    *out = doc;
    return 0;
fail:
    json_decref(events);
    json_decref(root);
    return rc;
}

int ledger_epcis_doc_parse(const char *buf, size_t len, const char *source,
                           ledger_epcis_doc_t **out, ledger_err_t *err)
{
    return doc_parse(buf, len, source, 0, out, err);
}

/* The slow way of ledger_epcis_doc_foreach: the whole document in memory;
 * the first skip events were handed to fn already. */
static int foreach_slow(const char *buf, size_t len, const char *source, unsigned flags,
                        ledger_epcis_event_cb fn, void *ctx, size_t skip, size_t *count,
                        ledger_err_t *err)
{
    ledger_epcis_doc_t *doc;
    size_t i;
    int rc;

    if ((rc = doc_parse(buf, len, source, flags, &doc, err)) < 0)
        return rc;
    for (i = skip; i < ledger_epcis_doc_count(doc); i++) {
        if (fn && (rc = fn(ledger_epcis_doc_event(doc, i), i, ctx)) < 0)
            break;
        *count = i + 1;
    }
    ledger_epcis_doc_free(doc);
    return rc;
}

/* The places of the event list in the shapes of document, for the skeleton
 * reading of ledger_epcis_doc_foreach (indexes: see LIST_*). */
static const char *const list_doc[] = {"epcisBody", "eventList", NULL};
static const char *const list_query[] = {"epcisBody", "queryResults", "resultsBody", "eventList",
                                         NULL};
static const char *const list_root[] = {NULL};
static const char *const *const list_paths[] = {list_doc, list_query, list_root};
enum { LIST_DOC, LIST_QUERY, LIST_ROOT, LIST_N };

/* What ledger_epcis_doc_foreach needs for each event of the list. */
typedef struct stream {
    const json_t *root, *ctx;
    json_t *shared;
    size_t shared_size;
    const char *source;
    unsigned flags;
    ledger_epcis_event_cb fn;
    void *fn_ctx;
    ledger_err_t *err;
} stream_t;

static int stream_event(json_t *ev, size_t i, void *data)
{
    const stream_t *st = data;
    int rc =
        prepare_event(ev, st->root, st->ctx, st->shared, st->shared_size, st->source, i,
                      st->flags, st->err);

    if (rc == 0 && st->fn)
        rc = st->fn(ev, i, st->fn_ctx);
    return rc;
}

int ledger_epcis_doc_foreach(const char *buf, size_t len, const char *source,
                             ledger_epcis_event_cb fn, void *fn_ctx, size_t *count,
                             ledger_err_t *err)
{
    return ledger_epcis_doc_foreach_opts(buf, len, source, 0, fn, fn_ctx, count, err);
}

int ledger_epcis_doc_foreach_opts(const char *buf, size_t len, const char *source,
                                  unsigned flags, ledger_epcis_event_cb fn, void *fn_ctx,
                                  size_t *count, ledger_err_t *err)
{
    return ledger_epcis_doc_foreach_at(buf, len, source, flags, fn, fn_ctx, count, NULL, err);
}

int ledger_epcis_doc_foreach_at(const char *buf, size_t len, const char *source, unsigned flags,
                                ledger_epcis_event_cb fn, void *fn_ctx, size_t *count,
                                const char **at, ledger_err_t *err)
{
    ledger_json_span_t spans[LIST_N];
    json_t *root = NULL, *events = NULL, *ctx = NULL, *shared;
    size_t shared_size = 0, dummy;
    const char *type;
    int rc, which = -1;
    stream_t st;

    if (!count)
        count = &dummy;
    *count = 0;
    if (!buf && len)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_doc_foreach: no input");
    if (looks_like_xml(buf, len))
        return ledger_epcis__xml_foreach(buf, len, source, flags, fn, fn_ctx, count, err);
    if ((rc = reader_start(&buf, &len, &source, err)) < 0)
        return rc;
    /* the document without its events */
    root = ledger_json_load_skeleton(buf, len, list_paths, LIST_N, spans);
    if (!root)
        return foreach_slow(buf, len, source, flags, fn, fn_ctx, 0, count, err);
    if ((rc = find_events(root, source, &events, &ctx, err)) < 0)
        goto done;
    shared = shared_context(ctx, &shared_size);
    type = json_string_value(json_object_get(root, "type"));
    if (json_is_array(root))
        which = LIST_ROOT;
    else if (type && strcmp(type, "EPCISDocument") == 0)
        which = LIST_DOC;
    else if (type && strcmp(type, "EPCISQueryDocument") == 0)
        which = LIST_QUERY;
    if (which < 0) { /* one event */
        if ((rc = prepare_event(root, root, ctx, shared, shared_size, source, 0, flags, err)) ==
                0 &&
            (!fn || (rc = fn(root, 0, fn_ctx)) == 0))
            *count = 1;
        goto done;
    }
    st = (stream_t){root, ctx, shared, shared_size, source, flags, fn, fn_ctx, err};
    rc = ledger_json_array_foreach_at(&spans[which], stream_event, &st, count, at);
    if (rc > 0) /* not JSON, or not to the fast reader's taste: jansson decides */
        rc = foreach_slow(buf, len, source, flags, fn, fn_ctx, *count, count, err);
done:
    json_decref(events);
    json_decref(root);
    return rc;
}

size_t ledger_epcis_doc_count(const ledger_epcis_doc_t *doc)
{
    return doc ? json_array_size(doc->events) : 0;
}

json_t *ledger_epcis_doc_event(const ledger_epcis_doc_t *doc, size_t i)
{
    return doc ? json_array_get(doc->events, i) : NULL;
}

const json_t *ledger_epcis_doc_context(const ledger_epcis_doc_t *doc)
{
    return doc ? doc->context : NULL;
}

void ledger_epcis_doc_free(ledger_epcis_doc_t *doc)
{
    if (!doc)
        return;
    json_decref(doc->events);
    json_decref(doc->root);
    free(doc);
}

int ledger_epcis_event_check(const json_t *event, const char *where, ledger_err_t *err)
{
    ledger_epcis__where_t w = {where ? where : "event", NULL, -1};
    return ledger_epcis__check_event(event, &w, NULL, 0, err);
}

int ledger_epcis_event_check_memo(const json_t *event, const char *where,
                                  ledger_epcis_ctx_memo_t *memo, ledger_err_t *err)
{
    ledger_epcis__where_t w = {where ? where : "event", NULL, -1};
    json_t *ctx = json_object_get(event, "@context");

    if (!memo)
        return ledger_epcis__check_event(event, &w, NULL, 0, err);
    /* a context not seen last: remembered once it checks whole, the way
     * a document's shared context is (shared_context) */
    if (ctx && ctx != memo->ctx && !json_is_string(ctx)) {
        size_t size;
        if (shared_context(ctx, &size) == ctx)
            *memo = (ledger_epcis_ctx_memo_t){ctx, size};
    }
    if (ctx && ctx == memo->ctx)
        return ledger_epcis__check_event(event, &w, ctx, memo->size, err);
    return ledger_epcis__check_event(event, &w, NULL, 0, err);
}

/* ---- what the ledger indexes ---- */

int ledger_epcis_info(const json_t *event, ledger_epcis_info_t *info, ledger_err_t *err)
{
    const char *t, *why = NULL;

    if (!info)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_info: no output");
    memset(info, 0, sizeof *info);
    if (!json_is_object(event))
        return ledger_err_set(err, LEDGER_EINPUT, "event: not a JSON object");
    info->type = json_string_value(json_object_get(event, "type"));
    if (!info->type)
        return ledger_err_set(err, LEDGER_EINPUT, "event: type is missing");
    info->action = json_string_value(json_object_get(event, "action"));
    info->event_id = json_string_value(json_object_get(event, "eventID"));
    t = json_string_value(json_object_get(event, "eventTime"));
    if (!t)
        return ledger_err_set(err, LEDGER_EINPUT, "event: eventTime is missing");
    if (ledger_epcis_time_ms(t, &info->event_time_ms, &why) < 0)
        return ledger_err_set(err, LEDGER_EINPUT, "event: eventTime: \"%.60s\" %s", t, why);
    info->biz_step = json_string_value(json_object_get(event, "bizStep"));
    info->disposition = json_string_value(json_object_get(event, "disposition"));
    info->read_point =
        json_string_value(json_object_get(json_object_get(event, "readPoint"), "id"));
    info->biz_location =
        json_string_value(json_object_get(json_object_get(event, "bizLocation"), "id"));
    info->error_declaration = json_object_get(event, "errorDeclaration") != NULL;
    return 0;
}

void ledger_epcis_cbv_short(const char *value, char *out, size_t len)
{
    ledger_cbv_short(value, out, len);
}

int ledger_ident_key(const char *id, char *out, size_t cap, ledger_err_t *err)
{
    gs1_err_t g;
    if (!id || !out || cap == 0)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_ident_key: NULL argument");
    if (gs1_ident_key(id, strlen(id), NULL, out, cap, &g) < 0)
        return ledger_err_gs1(err, &g);
    return 0;
}

int ledger_key_read(const char *id, ledger_key_t *out, ledger_err_t *err)
{
    gs1_ident_t gi = {0};
    gs1_err_t g;
    int rc;
    if (!id || !out)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_key_read: NULL argument");
    if ((rc = gs1_ident_parse(id, strlen(id), NULL, &gi, &g)) < 0)
        return ledger_err_gs1(err, &g);
    rc = ledger_key_of_index(gi.key, strcmp(gi.kind, "url") != 0, out, err);
    out->given = id;
    /* the lot next to the serial: from the fields read, no second parse */
    if (rc == 0 && gi.scheme && strcmp(gi.scheme, "sgtin") == 0) {
        const char *gtin = NULL, *lot = NULL;
        for (size_t i = 0; i < gi.nfields; i++) {
            if (strcmp(gi.fields[i].ai, "01") == 0)
                gtin = gi.fields[i].value;
            else if (strcmp(gi.fields[i].ai, "10") == 0)
                lot = gi.fields[i].value;
        }
        if (gtin && lot && strlen(gtin) == 14 &&
            gs1_key_lgtin(gtin, lot, out->lot, sizeof out->lot, NULL) != 0)
            out->lot[0] = '\0';
    }
    gs1_ident_clear(&gi);
    return rc;
}

int ledger_key_of_index(const char *key, int gs1, ledger_key_t *out, ledger_err_t *err)
{
    size_t n = strlen(key);
    if (n >= sizeof out->text)
        return ledger_err_set(err, LEDGER_ETOOBIG, "identifier too long: %.80s...", key);
    memcpy(out->text, key, n + 1);
    out->lot[0] = '\0';
    out->given = key;
    out->gs1 = gs1;
    return 0;
}

void ledger_ident_key_stored(const char *id, char out[LEDGER_IDENT_KEY_MAX])
{
    gs1_key_reading_t r;
    /* both readings at once, mostly from the memo the event hash of the
     * same event filled (gs1_key_read): the identifier is parsed once */
    if (gs1_key_read(id, &r) == 0 && r.key_rc != GS1_ETOOBIG && r.hash_rc != GS1_ETOOBIG) {
        const char *k = r.key_rc == 0 ? r.key : r.hash_rc == 0 ? r.hash : NULL;
        if (k) /* shorter than GS1_KEY_READ_MAX */
            memcpy(out, k, strlen(k) + 1);
        else
            snprintf(out, LEDGER_IDENT_KEY_MAX, "%s", id);
        return;
    }
    /* longer than the reading holds: as before, with the big buffer */
    if (ledger_ident_key(id, out, LEDGER_IDENT_KEY_MAX, NULL) == 0)
        return;
    if (gs1_key_hash(id, out, LEDGER_IDENT_KEY_MAX, NULL) >= 0)
        return; /* 0, or GS1_ENOTFOUND with out a copy of id */
    snprintf(out, LEDGER_IDENT_KEY_MAX, "%s", id);
}

static int emit_id(const char *id, enum ledger_epcis_role role, ledger_epcis_id_cb fn, void *ctx,
                   const char *field, ledger_err_t *err)
{
    char key[LEDGER_IDENT_KEY_MAX];
    (void)field;
    (void)err;
    ledger_ident_key_stored(id, key);
    return fn(key, role, ctx);
}

static int emit_list(const json_t *event, const char *name, const char *member,
                     enum ledger_epcis_role role, ledger_epcis_id_cb fn, void *ctx,
                     ledger_err_t *err)
{
    const json_t *list = json_object_get(event, name);
    size_t i, n = json_is_array(list) ? json_array_size(list) : 0;
    int rc;

    for (i = 0; i < n; i++) {
        const json_t *it = json_array_get(list, i);
        const char *id = json_string_value(member ? json_object_get(it, member) : it);
        if (id && (rc = emit_id(id, role, fn, ctx, name, err)) < 0)
            return rc;
    }
    return 0;
}

int ledger_epcis_identifiers(const json_t *event, ledger_epcis_id_cb fn, void *ctx,
                             ledger_err_t *err)
{
    static const struct {
        const char *name, *member;
        enum ledger_epcis_role role;
    } lists[] = {
        {"epcList", NULL, LEDGER_ROLE_EPC},
        {"quantityList", "epcClass", LEDGER_ROLE_CLASS},
        {"childEPCs", NULL, LEDGER_ROLE_CHILD},
        {"childQuantityList", "epcClass", LEDGER_ROLE_CHILD},
        {"inputEPCList", NULL, LEDGER_ROLE_INPUT},
        {"inputQuantityList", "epcClass", LEDGER_ROLE_INPUT},
        {"outputEPCList", NULL, LEDGER_ROLE_OUTPUT},
        {"outputQuantityList", "epcClass", LEDGER_ROLE_OUTPUT},
        {"sourceList", "source", LEDGER_ROLE_SOURCE},
        {"destinationList", "destination", LEDGER_ROLE_DEST},
    };
    const char *parent;
    size_t i;
    int rc;

    if (!fn)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_identifiers: no callback");
    if (!json_is_object(event))
        return ledger_err_set(err, LEDGER_EINPUT, "event: not a JSON object");
    parent = json_string_value(json_object_get(event, "parentID"));
    for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        if (i == 2 && parent &&
            (rc = emit_id(parent, LEDGER_ROLE_PARENT, fn, ctx, "parentID", err)) < 0)
            return rc;
        if ((rc = emit_list(event, lists[i].name, lists[i].member, lists[i].role, fn, ctx, err)) <
            0)
            return rc;
    }
    return 0;
}

/* ---- the standard member order ---- */

/* Event members in the order of the EPCIS 2.0 JSON Schema (and of GS1's
 * examples): the common head, the what-dimension of the event's type, then
 * the rest. */
/* clang-format off */
static const char *const order_head[] = {"@context", "type", "eventID", "eventTime",
    "eventTimeZoneOffset", "recordTime", "errorDeclaration", "certificationInfo", NULL};
static const char *const what_object[] = {"epcList", "quantityList", NULL};
static const char *const what_parent[] = {"parentID", "childEPCs", "childQuantityList", NULL};
static const char *const what_transaction[] = {"bizTransactionList", "parentID", "epcList",
    "quantityList", NULL};
static const char *const what_transformation[] = {"inputEPCList", "inputQuantityList",
    "outputEPCList", "outputQuantityList", "transformationID", NULL};
static const char *const what_any[] = {"epcList", "parentID", "childEPCs", "childQuantityList",
    "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
    "transformationID", "quantityList", NULL};
static const char *const order_tail[] = {"action", "bizStep", "disposition",
    "persistentDisposition", "readPoint", "bizLocation", "bizTransactionList", "sourceList",
    "destinationList", "sensorElementList", "ilmd", NULL};
/* clang-format on */

/* Members of nested objects (the standard's order; others follow). */
static const char *const o_point[] = {"id", NULL};
static const char *const o_qty[] = {"epcClass", "quantity", "uom", NULL};
static const char *const o_btx[] = {"type", "bizTransaction", NULL};
static const char *const o_src[] = {"type", "source", NULL};
static const char *const o_dst[] = {"type", "destination", NULL};
static const char *const o_errdecl[] = {"declarationTime", "reason", "correctiveEventIDs", NULL};
static const char *const o_pdisp[] = {"set", "unset", NULL};
static const char *const o_sensor[] = {"sensorMetadata", "sensorReport", NULL};

/* Event members whose value (an object, or an array of objects) gets its
 * members ordered too. */
static const struct nested {
    const char *member;
    const char *const *order;
} nested[] = {
    {"errorDeclaration", o_errdecl}, {"quantityList", o_qty},
    {"childQuantityList", o_qty},    {"inputQuantityList", o_qty},
    {"outputQuantityList", o_qty},   {"persistentDisposition", o_pdisp},
    {"readPoint", o_point},          {"bizLocation", o_point},
    {"bizTransactionList", o_btx},   {"sourceList", o_src},
    {"destinationList", o_dst},      {"sensorElementList", o_sensor},
};

/* A new object with the members of obj named in first, in that order, then
 * the others in their order; values shared. NULL: out of memory. */
static json_t *reorder(const json_t *obj, const char *const *first)
{
    json_t *out = json_object(), *v;
    const char *key;
    size_t i, kl;

    if (!out)
        return NULL;
    for (i = 0; first[i]; i++)
        if ((v = json_object_get(obj, first[i])) && json_object_set_nocheck(out, first[i], v) < 0)
            goto fail;
    json_object_keylen_foreach((json_t *)obj, key, kl, v)
    {
        if (!json_object_getn(out, key, kl) && json_object_setn_nocheck(out, key, kl, v) < 0)
            goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* v with its members (or its objects' members) ordered by first. */
static json_t *reorder_value(json_t *v, const char *const *first)
{
    json_t *a;
    size_t i, n;

    if (json_is_object(v))
        return reorder(v, first);
    if (!json_is_array(v))
        return json_incref(v);
    n = json_array_size(v);
    if (!(a = json_array()))
        return NULL;
    for (i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        e = json_is_object(e) ? reorder(e, first) : json_incref(e);
        if (json_array_append_new(a, e) < 0) { /* frees e (NULL is fine) */
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Puts the event member key (kl bytes) = v into out, reordered if nested. */
static int put_member(json_t *out, const char *key, size_t kl, json_t *v)
{
    size_t i;

    for (i = 0; i < sizeof nested / sizeof nested[0]; i++)
        if (strlen(nested[i].member) == kl && memcmp(nested[i].member, key, kl) == 0)
            return json_object_setn_new_nocheck(out, key, kl, reorder_value(v, nested[i].order));
    return json_object_setn_nocheck(out, key, kl, v);
}

json_t *ledger_epcis_ordered(const json_t *event)
{
    const char *type = json_string_value(json_object_get(event, "type"));
    const char *const *what = what_any, *const * lists[3];
    const char *key;
    json_t *out, *v;
    size_t i, j, kl;

    if (!json_is_object(event) || !(out = json_object()))
        return NULL;
    if (type && strcmp(type, "ObjectEvent") == 0)
        what = what_object;
    else if (type &&
             (strcmp(type, "AggregationEvent") == 0 || strcmp(type, "AssociationEvent") == 0))
        what = what_parent;
    else if (type && strcmp(type, "TransactionEvent") == 0)
        what = what_transaction;
    else if (type && strcmp(type, "TransformationEvent") == 0)
        what = what_transformation;
    lists[0] = order_head;
    lists[1] = what;
    lists[2] = order_tail;
    for (i = 0; i < 3; i++) {
        for (j = 0; lists[i][j]; j++) {
            key = lists[i][j];
            if ((v = json_object_get(event, key)) && !json_object_get(out, key) &&
                put_member(out, key, strlen(key), v) < 0)
                goto fail;
        }
    }
    json_object_keylen_foreach((json_t *)event, key, kl, v)
    {
        if (!json_object_getn(out, key, kl) && put_member(out, key, kl, v) < 0)
            goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}
