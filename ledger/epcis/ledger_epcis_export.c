/* ledger_epcis_export.c -- writes EPCIS 2.0 events out as one EPCISDocument
 * (contract: ledger_epcis_export.h).
 *
 * How it works: a two-pass streaming writer. The scan pass collects the
 * definitions of the events' own @context objects into one object (leaving
 * out prefixes that some event uses without defining them); the head of the
 * document carries the standard context URL plus that object; each event is
 * then put in the JSON binding's form (ledger_epcis_json_binding: the
 * standard member order, CBV values as bare words) and written
 * with json_dump_callback straight to the stream, without its "@context"
 * when the head already defines everything in it. Reals are written with
 * the fewest digits (15 to 17) that read back to the same double, so
 * exported events give the same event hash as the originals.
 */
#include "ledger_epcis_export.h"
#include "ledger_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_epcis.h"
#include "ledger__epcis.h"

#define STD_CONTEXT "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

struct ledger_epcis_export {
    FILE *out;
    json_t *defs;  /* merged definitions of the events' own @context objects */
    json_t *undef; /* prefixes some event uses without defining them (a set) */
    json_t *head;  /* the document's @context, made by begin */
    int indent;    /* 0: one compact event per line */
    int begun;
    size_t count; /* events written */
};

typedef struct sink {
    FILE *f;
    size_t pad; /* spaces after each newline */
} sink_t;

static int sink_write(const char *buf, size_t size, void *data)
{
    sink_t *s = data;
    static const char spaces[] = "                                                ";
    const char *nl;

    while (s->pad && (nl = memchr(buf, '\n', size))) {
        size_t n = (size_t)(nl - buf) + 1;
        if (fwrite(buf, 1, n, s->f) != n || fwrite(spaces, 1, s->pad, s->f) != s->pad)
            return -1;
        buf += n;
        size -= n;
    }
    return size && fwrite(buf, 1, size, s->f) != size ? -1 : 0;
}

static int put(ledger_epcis_export_t *ex, const char *text, ledger_err_t *err)
{
    if (fputs(text, ex->out) == EOF)
        return ledger_err_set(err, LEDGER_EIO, "export: write failed: %s", strerror(errno));
    return 0;
}

static int dump(ledger_epcis_export_t *ex, const json_t *v, size_t pad, ledger_err_t *err)
{
    sink_t s = {ex->out, ex->indent ? pad : 0};
    size_t flags = JSON_REAL_PRECISION(ledger_json_real_digits(v)) | JSON_ENCODE_ANY;

    flags |= ex->indent ? JSON_INDENT(ex->indent) : JSON_COMPACT;
    if (json_dump_callback(v, sink_write, &s, flags) < 0)
        return ledger_err_set(err, LEDGER_EIO, "export: write failed: %s",
                              errno ? strerror(errno) : "out of memory or disk");
    return 0;
}

int ledger_epcis_export_new(FILE *out, ledger_epcis_export_t **ex, ledger_err_t *err)
{
    if (!ex)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_export_new: no handle");
    *ex = NULL;
    if (!out)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_export_new: no output stream");
    *ex = calloc(1, sizeof **ex);
    if (!*ex || !((*ex)->defs = json_object()) || !((*ex)->undef = json_object())) {
        if (*ex)
            json_decref((*ex)->defs);
        free(*ex);
        *ex = NULL;
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    (*ex)->out = out;
    return 0;
}

int ledger_epcis_export_set_indent(ledger_epcis_export_t *ex, int indent)
{
    if (!ex || ex->begun || indent < 0 || indent > 8)
        return LEDGER_EINVAL;
    ex->indent = indent;
    return 0;
}

/* 1 when the head's context defines everything in an event's own @context:
 * standard context URLs, and definitions equal to the head's (prefixes
 * that some event uses undefined are never in the head: see below). */
static int context_items_covered(const ledger_epcis_export_t *ex, const json_t *ctx)
{
    size_t i, n = json_is_array(ctx) ? json_array_size(ctx) : 1;

    for (i = 0; i < n; i++) {
        const json_t *it = json_is_array(ctx) ? json_array_get(ctx, i) : ctx;
        const char *key;
        const json_t *v;
        if (json_is_string(it)) {
            if (!ledger_epcis__is_std_context(json_string_value(it)))
                return 0;
            continue;
        }
        if (!json_is_object(it))
            return 0;
        json_object_foreach((json_t *)it, key, v)
        {
            if (json_object_get(ex->undef, key) || !json_equal(json_object_get(ex->defs, key), v))
                return 0;
        }
    }
    return 1;
}

/* 1 when an event's @context defines the name [s, s + len). */
static int context_defines(const json_t *ctx, const char *s, size_t len)
{
    size_t i, n = json_is_array(ctx) ? json_array_size(ctx) : 1;

    for (i = 0; i < n; i++) {
        const json_t *it = json_is_array(ctx) ? json_array_get(ctx, i) : ctx;
        if (json_is_object(it) && json_object_getn(it, s, len))
            return 1;
    }
    return 0;
}

/* Notes the prefix of s ("ex" of "ex:foo") when the event does not define it. */
static int note_prefix(ledger_epcis_export_t *ex, const char *s, const json_t *own)
{
    const char *colon = strchr(s, ':');
    size_t len = colon ? (size_t)(colon - s) : 0;

    if (len == 0 || memchr(s, '/', len) || json_object_getn(ex->undef, s, len) ||
        context_defines(own, s, len))
        return 0;
    return json_object_setn_new(ex->undef, s, len, json_true());
}

/* Every compact-IRI-looking name and string of v. */
static int note_prefixes(ledger_epcis_export_t *ex, const json_t *v, const json_t *own, int top)
{
    const char *key;
    json_t *m;
    size_t i;

    if (json_is_string(v))
        return note_prefix(ex, json_string_value(v), own);
    if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++)
            if (note_prefixes(ex, json_array_get(v, i), own, 0) < 0)
                return -1;
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, m)
        {
            if (top && strcmp(key, "@context") == 0)
                continue;
            if (note_prefix(ex, key, own) < 0 || note_prefixes(ex, m, own, 0) < 0)
                return -1;
        }
    }
    return 0;
}

/* The scan gathers the definitions of the events' own contexts for the head,
 * first definition first (events that define a prefix otherwise keep their
 * own @context, which wins over the head's on reading). A prefix that some
 * event uses without defining it (a compact IRI with an undefined prefix is
 * an absolute IRI in JSON-LD) stays out of the head, or that event would
 * read differently. */
int ledger_epcis_export_scan(ledger_epcis_export_t *ex, const json_t *event, ledger_err_t *err)
{
    const json_t *ctx;
    size_t i, n;

    if (!ex || ex->begun)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_export_scan: %s",
                              ex ? "called after begin" : "no handle");
    ctx = json_object_get(event, "@context");
    n = json_is_array(ctx) ? json_array_size(ctx) : ctx ? 1 : 0;
    for (i = 0; i < n; i++) {
        const json_t *it = json_is_array(ctx) ? json_array_get(ctx, i) : ctx;
        const char *key;
        json_t *v;
        if (!json_is_object(it))
            continue;
        json_object_foreach((json_t *)it, key, v)
        {
            if (json_object_get(ex->defs, key))
                continue; /* first definition wins; others keep their own @context */
            if (json_object_set_new(ex->defs, key, json_deep_copy(v)) < 0)
                return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        }
    }
    if (note_prefixes(ex, event, ctx, 1) < 0)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    return 0;
}

static void now_utc(char out[40])
{
    struct timespec ts;
    struct tm tm;
    char sec[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%.24s.%03dZ", sec, (int)((unsigned long)ts.tv_nsec / 1000000 % 1000));
}

int ledger_epcis_export_begin(ledger_epcis_export_t *ex, ledger_err_t *err)
{
    char date[40], text[300];
    const char *key;
    json_t *defs, *v;
    int rc;

    if (!ex || ex->begun)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_export_begin: %s",
                              ex ? "called twice" : "no handle");
    ex->begun = 1;
    if (!(defs = json_object()))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    json_object_foreach(ex->defs, key, v)
    {
        if (!json_object_get(ex->undef, key) && json_object_set(defs, key, v) < 0) {
            json_decref(defs);
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        }
    }
    if (json_object_size(defs) == 0) {
        json_decref(defs);
        ex->head = json_string(STD_CONTEXT);
    } else {
        ex->head = json_pack("[so]", STD_CONTEXT, defs);
    }
    if (!ex->head)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    now_utc(date);
    if ((rc = put(ex, ex->indent ? "{\n  \"@context\": " : "{\"@context\":", err)) < 0 ||
        (rc = dump(ex, ex->head, 2, err)) < 0)
        return rc;
    if (ex->indent)
        snprintf(text, sizeof text,
                 ",\n  \"type\": \"EPCISDocument\",\n  \"schemaVersion\": \"2.0\",\n"
                 "  \"creationDate\": \"%s\",\n  \"epcisBody\": {\n    \"eventList\": [",
                 date);
    else
        snprintf(text, sizeof text,
                 ",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":\"%s\","
                 "\"epcisBody\":{\"eventList\":[",
                 date);
    return put(ex, text, err);
}

int ledger_epcis_export_event(ledger_epcis_export_t *ex, const json_t *event, ledger_err_t *err)
{
    const json_t *ctx;
    json_t *copy = NULL;
    int rc;

    if (!ex || !ex->begun)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_export_event: %s",
                              ex ? "called before begin" : "no handle");
    if (!json_is_object(event))
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_export_event: not an object");
    if (!(copy = ledger_epcis_json_binding(event)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    ctx = json_object_get(copy, "@context");
    if (ctx && context_items_covered(ex, ctx))
        json_object_del(copy, "@context"); /* the head defines it all */
    rc = put(ex, ex->count ? ",\n" : "\n", err);
    if (rc == 0 && ex->indent)
        rc = put(ex, "      ", err);
    if (rc == 0)
        rc = dump(ex, copy, 6, err);
    json_decref(copy);
    if (rc == 0)
        ex->count++;
    return rc;
}

static int buf_write(const char *buf, size_t size, void *data)
{
    return ledger_buf_append(data, buf, size) ? -1 : 0;
}

int ledger_epcis_export_event_text(const json_t *event, ledger_buf_t *out, ledger_err_t *err)
{
    json_t *copy;
    int rc = 0;
    if (!json_is_object(event) || !out)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_export_event_text: not an object");
    if (!(copy = ledger_epcis_json_binding(event)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if (json_dump_callback(copy, buf_write, out,
                           JSON_REAL_PRECISION(ledger_json_real_digits(copy)) | JSON_ENCODE_ANY |
                               JSON_COMPACT) < 0)
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    json_decref(copy);
    return rc;
}

int ledger_epcis_export_end(ledger_epcis_export_t *ex, ledger_err_t *err)
{
    int rc;

    if (!ex)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_export_end: no handle");
    if (!ex->begun)
        rc = ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_export_end: called before begin");
    else
        rc = put(ex, ex->indent ? "\n    ]\n  }\n}\n" : "\n]}}\n", err);
    if (rc == 0 && (fflush(ex->out) == EOF || ferror(ex->out)))
        rc = ledger_err_set(err, LEDGER_EIO, "export: write failed: %s", strerror(errno));
    ledger_epcis_export_free(ex);
    return rc;
}

void ledger_epcis_export_free(ledger_epcis_export_t *ex)
{
    if (!ex)
        return;
    json_decref(ex->head);
    json_decref(ex->defs);
    json_decref(ex->undef);
    free(ex);
}
