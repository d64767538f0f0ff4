/* node_namedq.c -- the named queries of node_namedq.h.
 *
 * The queries live in memory as one JSON array (the file's "queries"),
 * oldest first; every change writes the whole file again (node_file_replace)
 * before it is answered, and is undone in memory when the write fails.  A
 * query's definition is kept twice: as the client's object ("query", given
 * back by GET) and as the query string the query routes read ("params",
 * made from it once: each member NAME=VALUE percent-encoded, a list's
 * values joined by commas), which is what node_query_named and
 * node_subs run.
 */
#include "node_namedq.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "node_conf.h"

#define ALLOW_LIST "GET, HEAD, POST, OPTIONS"
#define ALLOW_ONE "GET, HEAD, DELETE, OPTIONS"
#define ALLOW_SUB "GET, HEAD, OPTIONS"

struct node_namedq {
    char path[PATH_MAX]; /* <home>/queries.json */
    node_query_t *q;
    node_tokens_t *tokens;
    node_subs_t *subs;
    json_t *list; /* [{"name", "query", "params", "createdAt", "createdBy"}] */
};

/* ---- answers ------------------------------------------------------------------ */

static int problem(node_http_resp_t *resp, int status, const char *exc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int problem(node_http_resp_t *resp, int status, const char *exc, const char *fmt, ...)
{
    char d[1200];
    va_list ap;
    int rc;
    va_start(ap, fmt);
    vsnprintf(d, sizeof d, fmt, ap);
    va_end(ap);
    rc = node_http_resp_exception(resp, status, exc, "%s", d);
    return rc < 0 ? rc : 1;
}

/* Creating and deleting: a token of scope query, always.  1 when refused
 * (answered), 0 to go on; *who the token's name. */
static int need_token(node_namedq_t *nq, const node_http_req_t *req, node_http_resp_t *resp,
                      char who[NODE_TOKEN_NAME_MAX + 1])
{
    int outcome = node_tokens_check(nq->tokens, node_http_header(req, "Authorization"),
                                    NODE_SCOPE_QUERY, who);
    int rc;
    switch (outcome) {
    case NODE_AUTH_OK:
        return 0;
    case NODE_AUTH_SCOPE:
        return problem(resp, 403, "SecurityException",
                       "this token lacks the scope query: make one with keten token add NAME "
                       "--scope query");
    case NODE_AUTH_BROKEN:
        if ((rc = node_http_resp_header(resp, "Retry-After", "5")))
            return rc;
        return problem(resp, 503, "SecurityException", "the node cannot read its tokens: %s",
                       node_tokens_error(nq->tokens));
    default:
        break;
    }
    if ((rc = node_http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"keten\"")))
        return rc;
    if (outcome == NODE_AUTH_NOTOKENS)
        return problem(resp, 401, "SecurityException",
                       "named queries are made and removed with a token: run keten --home HOME "
                       "token add NAME --scope query, then send Authorization: Bearer TOKEN");
    if (outcome == NODE_AUTH_MISSING)
        return problem(resp, 401, "SecurityException",
                       "send Authorization: Bearer TOKEN with a token of scope query");
    return problem(resp, 401, "SecurityException", "unknown token (removed, or never made here)");
}

static int name_ok(const char *s, size_t n)
{
    if (n < 1 || n > NODE_NAMEDQ_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

static json_t *find(node_namedq_t *nq, const char *name, size_t *at)
{
    size_t i;
    json_t *v;
    json_array_foreach(nq->list, i, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "name")), name)) {
            if (at)
                *at = i;
            return v;
        }
    }
    return NULL;
}

/* ---- the file ----------------------------------------------------------------- */

static int save(node_namedq_t *nq, ledger_err_t *err)
{
    json_t *root = json_pack("{s:i, s:O}", "keten-queries", 1, "queries", nq->list);
    char *text;
    int rc;
    if (!root)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    text = json_dumps(root, JSON_INDENT(1));
    json_decref(root);
    if (!text)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    rc = node_file_replace(nq->path, text, strlen(text), 0600, err);
    free(text);
    return rc;
}

static int load(node_namedq_t *nq, ledger_err_t *err)
{
    json_error_t je;
    json_t *root, *list, *v;
    size_t i;
    struct stat sb;
    if (stat(nq->path, &sb) != 0) {
        if (errno == ENOENT)
            return (nq->list = json_array()) ? 0 : ledger_err_set(err, LEDGER_ENOMEM, "no memory");
        return ledger_err_set(err, LEDGER_EIO, "cannot read %s: %s", nq->path, strerror(errno));
    }
    if (!(root = json_load_file(nq->path, 0, &je)))
        return ledger_err_set(err, LEDGER_EINPUT, "%s: line %d: %s", nq->path, je.line, je.text);
    list = json_object_get(root, "queries");
    if (json_integer_value(json_object_get(root, "keten-queries")) != 1 || !json_is_array(list)) {
        json_decref(root);
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s is not a keten queries file (keten-queries 1, queries [...])",
                              nq->path);
    }
    json_array_foreach(list, i, v)
    {
        const char *n = json_string_value(json_object_get(v, "name"));
        const char *p = json_string_value(json_object_get(v, "params"));
        if (!n || !name_ok(n, strlen(n)) || !p || !json_is_object(json_object_get(v, "query"))) {
            json_decref(root);
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "%s: query %zu has no good name, query and params", nq->path, i);
        }
    }
    nq->list = json_incref(list);
    json_decref(root);
    return 0;
}

int node_namedq_open(const char *home, node_query_t *q, node_tokens_t *tokens, node_subs_t *subs,
                     node_namedq_t **out, ledger_err_t *err)
{
    node_namedq_t *nq = calloc(1, sizeof *nq);
    int rc;
    *out = NULL;
    if (!nq)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if ((size_t)snprintf(nq->path, sizeof nq->path, "%s/%s", home, NODE_NAMEDQ_FILE) >=
        sizeof nq->path) {
        free(nq);
        return ledger_err_set(err, LEDGER_EINPUT, "home path too long");
    }
    nq->q = q;
    nq->tokens = tokens;
    nq->subs = subs;
    if ((rc = load(nq, err))) {
        free(nq);
        return rc;
    }
    *out = nq;
    return 0;
}

void node_namedq_close(node_namedq_t *nq)
{
    if (!nq)
        return;
    json_decref(nq->list);
    free(nq);
}

/* ---- a definition --------------------------------------------------------------- */

static int put_pct(ledger_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[3] = {'%', hex[c >> 4], hex[c & 15]};
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~' || c == ':';
        if (plain ? ledger_buf_append(b, s, 1) : ledger_buf_append(b, e, 3))
            return LEDGER_ENOMEM;
    }
    return 0;
}

/* One member's value as text: a string, a number, true/false, or a list of
 * those joined by commas.  0, or -1 when it is none of these. */
static int value_text(json_t *v, ledger_buf_t *b)
{
    char num[64];
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        if (!json_array_size(v))
            return -1;
        json_array_foreach(v, i, e)
        {
            if (json_is_array(e) || (i && ledger_buf_append(b, ",", 1)) || value_text(e, b))
                return -1;
        }
        return 0;
    }
    if (json_is_string(v))
        return ledger_buf_append(b, json_string_value(v), json_string_length(v)) ? -1 : 0;
    if (json_is_integer(v))
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(num, sizeof num, "%s", json_is_true(v) ? "true" : "false");
    else
        return -1;
    return ledger_buf_append(b, num, strlen(num)) ? -1 : 0;
}

/* A query string ("EQ_bizStep=shipping&...") as an object {name: value or
 * [values]}.  NULL when it does not read (a member without '=' or a bad
 * escape). */
static json_t *object_of(const char *qs)
{
    json_t *o = json_object();
    const char *p = qs;
    while (o && *p) {
        size_t n = strcspn(p, "&"), nl = strcspn(p, "=&");
        char name[128], val[NODE_NAMEDQ_PARAMS_MAX + 1];
        json_t *v;
        if (n == 0) {
            p++;
            continue;
        }
        if (nl == n || node_http_pct_decode(p, nl, name, sizeof name, NODE_HTTP_PCT_PLUS) ||
            node_http_pct_decode(p + nl + 1, n - nl - 1, val, sizeof val, NODE_HTTP_PCT_PLUS)) {
            json_decref(o);
            return NULL;
        }
        if (strchr(val, ',')) {
            char *save = NULL, *t;
            v = json_array();
            for (t = strtok_r(val, ",", &save); v && t; t = strtok_r(NULL, ",", &save))
                json_array_append_new(v, json_string(t));
        } else
            v = json_string(val);
        if (!v || json_object_set_new(o, name, v)) {
            json_decref(o);
            return NULL;
        }
        p += n;
        if (*p)
            p++;
    }
    return o;
}

/* The query string of a definition object into b (NUL-terminated).  0, or
 * 1 when answered (400). */
static int params_of(json_t *query, ledger_buf_t *b, node_http_resp_t *resp)
{
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach(query, k, v)
    {
        ledger_buf_t t = LEDGER_BUF_INIT;
        int bad = value_text(v, &t) || ledger_buf_append(&t, "", 1);
        if (bad) {
            ledger_buf_free(&t);
            return problem(resp, 400, "QueryParameterException",
                           "query.%.100s: a string, a number, true or false, or a list of them", k);
        }
        if ((!first && ledger_buf_append(b, "&", 1)) || put_pct(b, k) ||
            ledger_buf_append(b, "=", 1) || put_pct(b, (const char *)t.data)) {
            ledger_buf_free(&t);
            return LEDGER_ENOMEM;
        }
        ledger_buf_free(&t);
        first = 0;
    }
    if (ledger_buf_append(b, "", 1))
        return LEDGER_ENOMEM;
    if (b->len > NODE_NAMEDQ_PARAMS_MAX)
        return problem(resp, 400, "QueryParameterException",
                       "the query is longer than %d bytes as a query string",
                       NODE_NAMEDQ_PARAMS_MAX);
    return 0;
}

static void now_text(char *out, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    char s[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%.20s.%03dZ", s, (int)(ts.tv_nsec / 1000000) % 1000);
}

/* POST /queries */
static int create(node_namedq_t *nq, const node_http_req_t *req, node_http_resp_t *resp)
{
    char who[NODE_TOKEN_NAME_MAX + 1] = "", now[40];
    const char *ct = node_http_header(req, "Content-Type"), *name;
    ledger_buf_t params = LEDGER_BUF_INIT;
    json_t *body = NULL, *query, *def = NULL;
    json_error_t je;
    ledger_err_t err;
    int rc;
    if ((rc = need_token(nq, req, resp, who)))
        return rc;
    if (ct && strncmp(ct, "application/json", 16) && strncmp(ct, "application/ld+json", 19))
        return problem(resp, 415, "UnsupportedMediaType",
                       "Content-Type %.100s: send application/json", ct);
    if (!(body = json_loadb((const char *)req->body, req->body_len, 0, &je)) ||
        !json_is_object(body)) {
        rc = problem(resp, 400, "ValidationException",
                     "the body must be a JSON object {\"name\": ..., \"query\": {...}}%s%s",
                     body ? "" : ": ", body ? "" : je.text);
        goto out;
    }
    name = json_string_value(json_object_get(body, "name"));
    if (!name || !name_ok(name, strlen(name))) {
        rc = problem(resp, 400, "ValidationException",
                     "name: 1 to %d letters, digits, '-', '_' or '.'", NODE_NAMEDQ_NAME_MAX);
        goto out;
    }
    query = json_object_get(body, "query");
    if (json_is_string(query)) {
        if (!(query = object_of(json_string_value(query)))) {
            rc = problem(resp, 400, "QueryParameterException",
                         "query: a query string as GET /events takes (NAME=VALUE&...)");
            goto out;
        }
    } else if (json_is_object(query))
        json_incref(query);
    else {
        rc = problem(resp, 400, "ValidationException",
                     "query: an object of GET /events's parameters, or their query string");
        goto out;
    }
    if ((rc = params_of(query, &params, resp)) ||
        (rc = node_query_check(nq->q, (const char *)params.data, resp)))
        goto out_q;
    if (find(nq, name, NULL)) {
        rc = problem(resp, 409, "ResourceAlreadyExistsException",
                     "there is a query named %s already (DELETE /queries/%s first)", name, name);
        goto out_q;
    }
    if (json_array_size(nq->list) >= NODE_NAMEDQ_MAX) {
        rc = problem(resp, 413, "QueryTooComplexException",
                     "this node keeps at most %d named queries: delete one first", NODE_NAMEDQ_MAX);
        goto out_q;
    }
    now_text(now, sizeof now);
    if (!(def = json_pack("{s:s, s:O, s:s, s:s, s:s}", "name", name, "query", query, "params",
                          (const char *)params.data, "createdAt", now, "createdBy", who)) ||
        json_array_append(nq->list, def)) {
        rc = LEDGER_ENOMEM;
        goto out_q;
    }
    if ((rc = save(nq, &err))) {
        json_array_remove(nq->list, json_array_size(nq->list) - 1);
        rc = problem(resp, 500, "ImplementationException", "cannot store the query: %s", err.msg);
        goto out_q;
    }
    if ((rc = node_http_resp_header(resp, "Location", "/queries/%s", name)) ||
        (rc = node_http_resp_json(resp, 201, NULL, json_object_get(def, "query"))))
        goto out_q;
    rc = 1;
out_q:
    json_decref(query);
out:
    json_decref(def);
    json_decref(body);
    ledger_buf_free(&params);
    return rc;
}

/* DELETE /queries/{name} */
static int delete_one(node_namedq_t *nq, const node_http_req_t *req, const char *name,
                      node_http_resp_t *resp)
{
    char who[NODE_TOKEN_NAME_MAX + 1];
    ledger_err_t err;
    json_t *old;
    size_t at = 0;
    int rc;
    if ((rc = need_token(nq, req, resp, who)))
        return rc;
    if (!(old = find(nq, name, &at)))
        return problem(resp, 404, "NoSuchNameException", "no query named %s", name);
    json_incref(old);
    json_array_remove(nq->list, at);
    if ((rc = save(nq, &err))) {
        json_array_insert(nq->list, at, old);
        json_decref(old);
        return problem(resp, 500, "ImplementationException", "cannot store the change: %s",
                       err.msg);
    }
    json_decref(old);
    if (nq->subs)
        node_subs_drop(nq->subs, name);
    if ((rc = node_http_resp_set(resp, 204, NULL, NULL, 0)))
        return rc;
    return 1;
}

/* ---- the handler ---------------------------------------------------------------- */

static int options(node_http_resp_t *resp, const char *allow)
{
    int rc;
    if ((rc = node_http_resp_header(resp, "Allow", "%s", allow)) ||
        (rc = node_http_resp_set(resp, 204, NULL, NULL, 0)))
        return rc;
    return 1;
}

static int not_allowed(const node_http_req_t *req, node_http_resp_t *resp, const char *allow)
{
    int rc;
    if ((rc = node_http_resp_header(resp, "Allow", "%s", allow)) ||
        (rc = node_http_resp_problem(resp, 405, "%s is not allowed here: %s", req->method, allow)))
        return rc;
    return 1;
}

static int answer_list(node_namedq_t *nq, node_http_resp_t *resp)
{
    json_t *out = json_array(), *v;
    size_t i;
    int rc;
    if (!out)
        return LEDGER_ENOMEM;
    json_array_foreach(nq->list, i, v)
    {
        if (json_array_append_new(out, json_pack("{s:O, s:O}", "name", json_object_get(v, "name"),
                                                 "query", json_object_get(v, "query")))) {
            json_decref(out);
            return LEDGER_ENOMEM;
        }
    }
    rc = node_http_resp_json(resp, 200, NULL, out);
    json_decref(out);
    return rc < 0 ? rc : 1;
}

static int answer_one(json_t *def, node_http_resp_t *resp)
{
    json_t *o =
        json_pack("{s:O, s:O, s:O, s:O}", "name", json_object_get(def, "name"), "query",
                  json_object_get(def, "query"), "createdAt", json_object_get(def, "createdAt"),
                  "createdBy", json_object_get(def, "createdBy"));
    int rc;
    if (!o)
        return LEDGER_ENOMEM;
    rc = node_http_resp_json(resp, 200, NULL, o);
    json_decref(o);
    return rc < 0 ? rc : 1;
}

/* /queries/{name}[/events|/subscriptions]: *name (decoded), *sub 0, 1
 * (events), 2 (subscriptions).  0 when path is none of these. */
static int route_of(const char *path, char *name, size_t cap, int *sub)
{
    const char *p = path + 9, *slash;
    size_t n;
    if (strncmp(path, "/queries/", 9))
        return 0;
    slash = strchr(p, '/');
    n = slash ? (size_t)(slash - p) : strlen(p);
    *sub = !slash ? 0 : !strcmp(slash, "/events") ? 1 : !strcmp(slash, "/subscriptions") ? 2 : -1;
    if (*sub < 0 || node_http_pct_decode(p, n, name, cap, 0))
        return 0;
    return 1;
}

int node_namedq_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    node_namedq_t *nq = ctx;
    char name[NODE_NAMEDQ_NAME_MAX * 3 + 1];
    int sub = 0, rc, get = !strcmp(req->method, "GET") || req->head;
    json_t *def;
    if (strcmp(req->path, "/queries") && !route_of(req->path, name, sizeof name, &sub))
        return 0;
    if ((rc = node_query_gs1_headers(resp)))
        return rc;
    if (!strcmp(req->path, "/queries")) {
        if (!strcmp(req->method, "OPTIONS"))
            return options(resp, ALLOW_LIST);
        if (!strcmp(req->method, "POST"))
            return create(nq, req, resp);
        if (!get)
            return not_allowed(req, resp, ALLOW_LIST);
        if ((rc = node_query_gate_check(nq->q, req, resp)))
            return rc;
        return answer_list(nq, resp);
    }
    if (!strcmp(req->method, "OPTIONS"))
        return options(resp, sub ? ALLOW_SUB : ALLOW_ONE);
    if (!sub && !strcmp(req->method, "DELETE"))
        return delete_one(nq, req, name, resp);
    if (!get)
        return not_allowed(req, resp, sub ? ALLOW_SUB : ALLOW_ONE);
    if ((rc = node_query_gate_check(nq->q, req, resp)))
        return rc;
    if (!(def = find(nq, name, NULL)))
        return problem(resp, 404, "NoSuchNameException", "no query named %.200s", name);
    if (!sub)
        return answer_one(def, resp);
    if (nq->subs) {
        rc = node_subs_start(nq->subs, req, name, json_string_value(json_object_get(def, "params")),
                             resp);
        if (rc)
            return rc;
    } else if (node_http_header(req, "Upgrade"))
        return problem(resp, 501, "ImplementationException", "no live subscriptions here");
    if (sub == 1)
        return node_query_named(nq->q, req, json_string_value(json_object_get(def, "params")),
                                resp);
    {
        json_t *l = nq->subs ? node_subs_list(nq->subs, name) : json_array();
        if (!l)
            return LEDGER_ENOMEM;
        rc = node_http_resp_json(resp, 200, NULL, l);
        json_decref(l);
        return rc < 0 ? rc : 1;
    }
}
