/* ledger_epcis.c -- EPCIS 2.0 JSON-LD in and out (contract: ledger_epcis.h).
 *
 * In: the whole document is read into jansson values by a fast reader of our
 * own (below; on any doubt jansson's json_loadb reads it again and gives the
 * error with line and column: bad syntax, invalid UTF-8), its shape is
 * recognised (EPCISDocument, EPCISQueryDocument, array of events, one
 * event), and every event is made self-contained and then checked by
 * ledger_epcis_check.c. Self-contained: when the document's @context holds
 * more than the standard EPCIS context URL, every event gets a "@context"
 * member with that value (one json_t shared by all the events of the
 * document, not one copy each); an event that has its own "@context" gets
 * the JSON-LD merge of both (the document's entries first, then its own).
 *
 * Streaming in (ledger_epcis_doc_foreach): the fast reader first reads the
 * document without its event list, only noting where the list is (so the
 * @context is known wherever it stands), then reads, checks, hands out and
 * frees the events one at a time.
 *
 * Out: a two-pass streaming writer. The scan pass collects the definitions
 * of the events' own @context objects into one object (leaving out prefixes
 * that some event uses without defining them); the head of the
 * document carries the standard context URL plus that object; each event is
 * then written with json_dump_callback straight to the stream, without its
 * "@context" when the head already defines everything in it. Reals are
 * written with the fewest digits (15 to 17) that read back to the same
 * double, so exported events give the same event hash as the originals.
 */
#include "ledger_epcis.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_epcis_check.h"
#include "ledger_gs1.h"

#define STD_CONTEXT "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

struct ledger_epcis_doc {
    json_t *root;    /* owns everything below */
    json_t *events;  /* array of the events (root itself for an array of events) */
    json_t *context; /* borrowed from root, may be NULL */
};

static const char not_epcis[] = "not an EPCIS document: expected an EPCISDocument, an "
                                "EPCISQueryDocument, an array of events or one event";

/* ---- the fast reader ----
 *
 * jansson's json_loadb reads about 50 MB/s here (10 us for a 460-byte event),
 * more than the whole import budget of an event. This reader builds the
 * same jansson values from the same text about five times faster: it scans
 * strings in place (ASCII fast path, full UTF-8 check), and builds values
 * with jansson's *_nocheck constructors. It only has to be right on good
 * input: on anything it does not accept it returns NULL and the caller
 * parses again with json_loadb, whose result and error message (line,
 * column) are the authority. It accepts exactly what json_loadb(JSON_DECODE_
 * ANY) accepts and builds equal values (tests/fuzz/fuzz_epcis.c checks this
 * on random input).
 */

typedef struct rd {
    const unsigned char *p, *end;
    int depth;
    char *sbuf; /* decoded strings that had escapes */
    size_t scap;
    int skeleton;                    /* 1: leave event lists out, only note where they are */
    const unsigned char *list[3][2]; /* [W_LIST..W_ROOT_LIST - W_LIST]: start, end */
} rd_t;

/* Where a value sits in a document, for the skeleton reading. */
enum { W_OTHER, W_ROOT, W_BODY, W_QRES, W_RBODY, W_LIST, W_QLIST, W_ROOT_LIST };

static int rd_child(int where, const char *k, size_t kl)
{
#define KEY_IS(s) (kl == sizeof(s) - 1 && memcmp(k, s, kl) == 0)
    switch (where) {
    case W_ROOT:
        return KEY_IS("epcisBody") ? W_BODY : W_OTHER;
    case W_BODY:
        return KEY_IS("eventList") ? W_LIST : KEY_IS("queryResults") ? W_QRES : W_OTHER;
    case W_QRES:
        return KEY_IS("resultsBody") ? W_RBODY : W_OTHER;
    case W_RBODY:
        return KEY_IS("eventList") ? W_QLIST : W_OTHER;
    default:
        return W_OTHER;
    }
#undef KEY_IS
}

/* Skips an array structurally (strings honoured, nothing else checked: the
 * elements are read properly later) and notes where it is. */
static json_t *rd_skip_list(rd_t *r, int where)
{
    const unsigned char *p = r->p;
    int depth = 0;

    for (; p < r->end; p++) {
        if (*p == '"') {
            for (p++; p < r->end && *p != '"'; p++)
                if (*p == '\\')
                    p++;
            if (p >= r->end)
                return NULL;
        } else if (*p == '[' || *p == '{') {
            depth++;
        } else if ((*p == ']' || *p == '}') && --depth == 0) {
            r->list[where - W_LIST][0] = r->p;
            r->list[where - W_LIST][1] = p + 1;
            r->p = p + 1;
            return json_array();
        }
    }
    return NULL;
}

#define RD_MAX_DEPTH 2048 /* as jansson's JSON_PARSER_MAX_DEPTH */

static void rd_ws(rd_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static int rd_hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0, i, c, d;

    for (i = 0; i < 4; i++) {
        c = p[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static size_t rd_utf8_put(char *o, unsigned u)
{
    if (u < 0x80) {
        o[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        o[0] = (char)(0xC0 | u >> 6);
        o[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        o[0] = (char)(0xE0 | u >> 12);
        o[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        o[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | u >> 18);
    o[1] = (char)(0x80 | ((u >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((u >> 6) & 0x3F));
    o[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

/* Decodes the escapes of the raw string text [q, p) into r->sbuf. */
static int rd_unescape(rd_t *r, const unsigned char *q, const unsigned char *p, size_t *len)
{
    size_t o = 0, need = (size_t)(p - q) + 1;
    unsigned u, lo;

    if (need > r->scap) { /* the decoded text is never longer than the raw one */
        char *nb = realloc(r->sbuf, need + 64);
        if (!nb)
            return -1;
        r->sbuf = nb;
        r->scap = need + 64;
    }
    while (q < p) {
        if (*q != '\\') {
            r->sbuf[o++] = (char)*q++;
            continue;
        }
        q++;
        switch (*q++) {
        case '"':
            r->sbuf[o++] = '"';
            break;
        case '\\':
            r->sbuf[o++] = '\\';
            break;
        case '/':
            r->sbuf[o++] = '/';
            break;
        case 'b':
            r->sbuf[o++] = '\b';
            break;
        case 'f':
            r->sbuf[o++] = '\f';
            break;
        case 'n':
            r->sbuf[o++] = '\n';
            break;
        case 'r':
            r->sbuf[o++] = '\r';
            break;
        case 't':
            r->sbuf[o++] = '\t';
            break;
        case 'u':
            if (p - q < 4 || rd_hex4(q, &u) < 0)
                return -1;
            q += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (p - q < 6 || q[0] != '\\' || q[1] != 'u' || rd_hex4(q + 2, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                q += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            } else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0) {
                return -1; /* a lone low surrogate, or NUL */
            }
            o += rd_utf8_put(r->sbuf + o, u);
            break;
        default:
            return -1;
        }
    }
    *len = o;
    return 0;
}

/* A string whose opening quote is behind r->p. *s is the text: in the input
 * itself when it has no escapes, else in r->sbuf (valid until the next
 * string). */
static int rd_string(rd_t *r, const char **s, size_t *len)
{
    const unsigned char *p = r->p, *start = p;
    int esc = 0;
    unsigned c;
    size_t n, k;

    for (;;) {
        while (p < r->end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p >= r->end || *p < 0x20)
            return -1;
        if (*p == '"')
            break;
        if (*p == '\\') {
            esc = 1;
            if (r->end - p < 2)
                return -1;
            p += 2;
            continue;
        }
        c = *p; /* UTF-8, RFC 3629 */
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3;
        else
            return -1;
        if ((size_t)(r->end - p) <= n)
            return -1;
        for (k = 1; k <= n; k++)
            if ((p[k] & 0xC0) != 0x80)
                return -1;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
            (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
            return -1;
        p += n + 1;
    }
    r->p = p + 1;
    if (!esc) {
        *s = (const char *)start;
        *len = (size_t)(p - start);
        return 0;
    }
    if (rd_unescape(r, start, p, len) < 0)
        return -1;
    *s = r->sbuf; /* after rd_unescape, which may move it */
    return 0;
}

static json_t *rd_number(rd_t *r)
{
    const unsigned char *p = r->p, *s = p;
    char small[64], *buf = small, *end;
    int real = 0;
    size_t n;
    json_t *v = NULL;

    if (p < r->end && *p == '-')
        p++;
    if (p < r->end && *p == '0')
        p++;
    else if (p < r->end && *p >= '1' && *p <= '9')
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (p < r->end && *p == '.') {
        real = 1;
        if (++p >= r->end || *p < '0' || *p > '9')
            return NULL;
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        real = 1;
        if (++p < r->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= r->end || *p < '0' || *p > '9')
            return NULL;
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    n = (size_t)(p - s);
    if (n >= sizeof small && !(buf = malloc(n + 1)))
        return NULL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    if (!real) {
        long long i = strtoll(buf, &end, 10);
        if (errno != ERANGE && end == buf + n)
            v = json_integer(i);
    } else {
        double d = strtod(buf, &end);
        /* overflow is an error in jansson, underflow is not; a locale with
         * another decimal point stops strtod early: jansson handles that */
        if (!(errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) && end == buf + n)
            v = json_real(d);
    }
    if (buf != small)
        free(buf);
    r->p = p;
    return v;
}

static json_t *rd_value(rd_t *r, int where);

static json_t *rd_object(rd_t *r, int where)
{
    json_t *o = json_object(), *v;
    const char *k;
    char *kcopy;
    size_t kl;
    int rc;

    if (!o)
        return NULL;
    rd_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return o;
    }
    for (;;) {
        if (r->p >= r->end || *r->p != '"')
            break;
        r->p++;
        if (rd_string(r, &k, &kl) < 0)
            break;
        kcopy = NULL;
        if (k == r->sbuf) { /* the next string would overwrite it */
            if (!(kcopy = malloc(kl + 1)))
                break;
            memcpy(kcopy, k, kl);
            k = kcopy;
        }
        rd_ws(r);
        v = NULL;
        if (r->p < r->end && *r->p == ':') {
            r->p++;
            v = rd_value(r, where == W_OTHER ? W_OTHER : rd_child(where, k, kl));
        }
        rc = v ? json_object_setn_new_nocheck(o, k, kl, v) : -1;
        free(kcopy);
        if (rc < 0)
            break;
        rd_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            rd_ws(r);
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return o;
        }
        break;
    }
    json_decref(o);
    return NULL;
}

static json_t *rd_array(rd_t *r)
{
    json_t *a = json_array(), *v;

    if (!a)
        return NULL;
    rd_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return a;
    }
    for (;;) {
        v = rd_value(r, W_OTHER);
        if (!v || json_array_append_new(a, v) < 0)
            break;
        rd_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return a;
        }
        break;
    }
    json_decref(a);
    return NULL;
}

static json_t *rd_word(rd_t *r, const char *w, size_t n, json_t *v)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return NULL;
    r->p += n;
    return v;
}

static json_t *rd_value(rd_t *r, int where)
{
    json_t *v;
    const char *s;
    size_t n;

    rd_ws(r);
    if (r->p >= r->end)
        return NULL;
    switch (*r->p) {
    case '{':
    case '[':
        if (r->skeleton && *r->p == '[' && where >= W_LIST)
            return rd_skip_list(r, where);
        if (r->depth >= RD_MAX_DEPTH)
            return NULL;
        r->depth++;
        v = *r->p++ == '{' ? rd_object(r, where) : rd_array(r);
        r->depth--;
        return v;
    case '"':
        r->p++;
        return rd_string(r, &s, &n) < 0 ? NULL : json_stringn_nocheck(s, n);
    case 't':
        return rd_word(r, "true", 4, json_true());
    case 'f':
        return rd_word(r, "false", 5, json_false());
    case 'n':
        return rd_word(r, "null", 4, json_null());
    default:
        return rd_number(r);
    }
}

/* A whole text (skeleton or not); r->sbuf stays for the caller to free. */
static json_t *rd_text(rd_t *r, const char *buf, size_t len, int skeleton)
{
    json_t *v;

    memset(r, 0, sizeof *r);
    r->p = (const unsigned char *)buf;
    r->end = r->p + len;
    r->skeleton = skeleton;
    rd_ws(r);
    v = buf ? rd_value(r, r->p < r->end && *r->p == '[' ? W_ROOT_LIST : W_ROOT) : NULL;
    if (v) {
        rd_ws(r);
        if (r->p != r->end) {
            json_decref(v);
            v = NULL;
        }
    }
    return v;
}

json_t *ledger_epcis__json_load(const char *buf, size_t len)
{
    rd_t r;
    json_t *v = rd_text(&r, buf, len, 0);

    free(r.sbuf);
    return v;
}

/* ---- reading ---- */

/* Offset of the first byte that is not well-formed UTF-8 (RFC 3629), or len. */
static size_t utf8_bad_offset(const unsigned char *s, size_t len)
{
    size_t i = 0, n, k;

    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3;
        else
            return i;
        if (len - i <= n)
            return i;
        for (k = 1; k <= n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) ||
            (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F))
            return i;
        i += n + 1;
    }
    return len;
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
    json_t *m = json_array();

    if (!m || append_items(m, doc_ctx, NULL) < 0 || append_items(m, own, doc_ctx) < 0) {
        json_decref(m);
        return NULL;
    }
    return m;
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

/* Makes event i self-contained (see the top of this file) and checks it. */
static int prepare_event(json_t *ev, const json_t *root, const json_t *ctx, json_t *shared,
                         size_t shared_size, const char *source, size_t i, ledger_err_t *err)
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

int ledger_epcis_doc_parse(const char *buf, size_t len, const char *source,
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
    if ((rc = reader_start(&buf, &len, &source, err)) < 0)
        return rc;
    root = ledger_epcis__json_load(buf, len);
    if (!root && !(root = reader_slow(buf, len, source, err)))
        return err ? err->code : LEDGER_EINPUT;
    if ((rc = find_events(root, source, &events, &ctx, err)) < 0)
        goto fail;
    shared = shared_context(ctx, &shared_size);
    n = json_array_size(events);
    for (i = 0; i < n; i++)
        if ((rc = prepare_event(json_array_get(events, i), root, ctx, shared, shared_size, source,
                                i, err)) < 0)
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

/* The slow way of ledger_epcis_doc_foreach: the whole document in memory;
 * the first skip events were handed to fn already. */
static int foreach_slow(const char *buf, size_t len, const char *source, ledger_epcis_event_cb fn,
                        void *ctx, size_t skip, size_t *count, ledger_err_t *err)
{
    ledger_epcis_doc_t *doc;
    size_t i;
    int rc;

    if ((rc = ledger_epcis_doc_parse(buf, len, source, &doc, err)) < 0)
        return rc;
    for (i = skip; i < ledger_epcis_doc_count(doc); i++) {
        if (fn && (rc = fn(ledger_epcis_doc_event(doc, i), i, ctx)) < 0)
            break;
        *count = i + 1;
    }
    ledger_epcis_doc_free(doc);
    return rc;
}

int ledger_epcis_doc_foreach(const char *buf, size_t len, const char *source,
                             ledger_epcis_event_cb fn, void *fn_ctx, size_t *count,
                             ledger_err_t *err)
{
    static const int depth[] = {3, 5, 1}; /* around the events of W_LIST, W_QLIST, W_ROOT_LIST */
    json_t *root = NULL, *events = NULL, *ctx = NULL, *shared, *ev;
    const unsigned char *list = NULL, *list_end = NULL;
    size_t n = 0, shared_size = 0, dummy;
    const char *type;
    int rc, which = -1;
    rd_t r;

    if (!count)
        count = &dummy;
    *count = 0;
    if (!buf && len)
        return ledger_err_set(err, LEDGER_EINVAL, "ledger_epcis_doc_foreach: no input");
    if ((rc = reader_start(&buf, &len, &source, err)) < 0)
        return rc;
    root = rd_text(&r, buf, len, 1); /* the document without its events */
    free(r.sbuf);
    r.sbuf = NULL;
    if (!root)
        return foreach_slow(buf, len, source, fn, fn_ctx, 0, count, err);
    if ((rc = find_events(root, source, &events, &ctx, err)) < 0)
        goto done;
    shared = shared_context(ctx, &shared_size);
    type = json_string_value(json_object_get(root, "type"));
    if (json_is_array(root))
        which = W_ROOT_LIST - W_LIST;
    else if (type && strcmp(type, "EPCISDocument") == 0)
        which = W_LIST - W_LIST;
    else if (type && strcmp(type, "EPCISQueryDocument") == 0)
        which = W_QLIST - W_LIST;
    if (which < 0) { /* one event */
        if ((rc = prepare_event(root, root, ctx, shared, shared_size, source, 0, err)) == 0 &&
            (!fn || (rc = fn(root, 0, fn_ctx)) == 0))
            *count = 1;
        goto done;
    }
    list = r.list[which][0];
    list_end = r.list[which][1];
    memset(&r, 0, sizeof r);
    if (!list)
        goto slow;
    r.p = list + 1;
    r.end = list_end;
    r.depth = depth[which];
    rd_ws(&r);
    if (*r.p == ']') {
        r.p++;
    } else {
        for (;;) {
            if (!(ev = rd_value(&r, W_OTHER)))
                goto slow;
            rc = prepare_event(ev, root, ctx, shared, shared_size, source, n, err);
            if (rc == 0 && fn)
                rc = fn(ev, n, fn_ctx);
            json_decref(ev);
            if (rc < 0)
                goto done;
            *count = ++n;
            rd_ws(&r);
            if (r.p < r.end && *r.p == ',') {
                r.p++;
                continue;
            }
            if (r.p < r.end && *r.p == ']') {
                r.p++;
                break;
            }
            goto slow;
        }
    }
    if (r.p == r.end)
        goto done;
slow: /* not JSON, or not to our fast reader's taste: jansson decides */
    rc = foreach_slow(buf, len, source, fn, fn_ctx, n, count, err);
done:
    free(r.sbuf);
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
    if (ledger_epcis__time_ms(t, &info->event_time_ms, &why) < 0)
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
    ledger_epcis__cbv_short(value, out, len);
}

static int emit_id(const char *id, enum ledger_epcis_role role, ledger_epcis_id_cb fn, void *ctx,
                   const char *field, ledger_err_t *err)
{
    char canon[LEDGER_GS1_URI_MAX];
    ledger_err_t e;
    int rc;

    e.msg[0] = '\0';
    rc = ledger_gs1_canonical(id, canon, sizeof canon, NULL, &e);
    if (rc == 0)
        return fn(canon, role, ctx);
    if (rc == LEDGER_ENOTFOUND || rc == LEDGER_ETOOBIG)
        return fn(id, role, ctx); /* no GS1 form (or too long for one): as written */
    return ledger_err_set(err, rc, "event: %s: %s", field, e.msg);
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

/* ---- writing ---- */

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

/* Fewest significant digits (15..17) that print every real of v exactly. */
static int real_digits(const json_t *v, int have)
{
    const char *key;
    const json_t *m;
    size_t i;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, key, m)
        {
            if (have == 17)
                break;
            have = real_digits(m, have);
        }
        return have;
    case JSON_ARRAY:
        for (i = 0; i < json_array_size(v) && have < 17; i++)
            have = real_digits(json_array_get(v, i), have);
        return have;
    case JSON_REAL: {
        double d = json_real_value(v);
        char b[40];
        int p;
        for (p = have; p < 17; p++) {
            snprintf(b, sizeof b, "%.*g", p, d);
            if (strtod(b, NULL) == d)
                break;
        }
        return p;
    }
    default:
        return have;
    }
}

static int dump(ledger_epcis_export_t *ex, const json_t *v, size_t pad, ledger_err_t *err)
{
    sink_t s = {ex->out, ex->indent ? pad : 0};
    size_t flags = JSON_REAL_PRECISION(real_digits(v, 15)) | JSON_ENCODE_ANY;

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
    ctx = json_object_get(event, "@context");
    if (ctx && context_items_covered(ex, ctx)) {
        const char *key;
        json_t *v;
        copy = json_object();
        if (!copy)
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        json_object_foreach((json_t *)event, key, v)
        {
            if (strcmp(key, "@context") != 0 && json_object_set(copy, key, v) < 0) {
                json_decref(copy);
                return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
            }
        }
        event = copy;
    }
    rc = put(ex, ex->count ? ",\n" : "\n", err);
    if (rc == 0 && ex->indent)
        rc = put(ex, "      ", err);
    if (rc == 0)
        rc = dump(ex, event, 6, err);
    json_decref(copy);
    if (rc == 0)
        ex->count++;
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
