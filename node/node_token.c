/* node_token.c -- bearer tokens in <home>/tokens.json (see node_token.h).
 *
 * The file is read whole with jansson and written whole through
 * node_file_replace (tmp, fsync, rename; mode 0600).  A change (add,
 * remove) holds an exclusive flock on <home>/tokens.lock from reading the
 * file to renaming the new one, so concurrent changes do not lose each
 * other's work.  The node's view (node_tokens_t) keeps the decoded rows
 * (name, scopes, hash) and the stat of the file it read them from; a check
 * stat()s again and re-reads when the file is another. */
#include "node_token.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "node_conf.h"
#include "ledger_sha256.h"

#define PREFIX "keten_"

static const char *const scope_names[] = {"capture", "query"};
#define NSCOPES (sizeof scope_names / sizeof *scope_names)

int node_token_scopes_parse(const char *list, unsigned *out, ledger_err_t *err)
{
    unsigned s = 0;
    const char *p = list ? list : "";
    *out = 0;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p), k;
        for (k = 0; k < NSCOPES; k++)
            if (n == strlen(scope_names[k]) && !strncmp(p, scope_names[k], n))
                break;
        if (k == NSCOPES)
            return ledger_err_set(err, LEDGER_EINVAL,
                                  "unknown scope \"%.*s\": the scopes are capture and query",
                                  (int)(n > 100 ? 100 : n), p);
        s |= 1u << k;
        p = end ? end + 1 : p + n;
    }
    if (!s)
        return ledger_err_set(err, LEDGER_EINVAL, "give at least one scope: capture, query");
    *out = s;
    return 0;
}

void node_token_scopes_str(unsigned scopes, char *out, size_t cap)
{
    size_t o = 0;
    if (cap)
        out[0] = '\0';
    for (size_t k = 0; k < NSCOPES; k++)
        if (scopes & (1u << k)) {
            int n = snprintf(out + o, cap > o ? cap - o : 0, "%s%s", o ? "," : "", scope_names[k]);
            if (n > 0)
                o += (size_t)n;
        }
}

static int name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > NODE_TOKEN_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

/* ---- the file ------------------------------------------------------------------ */

typedef struct row {
    char name[NODE_TOKEN_NAME_MAX + 1];
    unsigned scopes;
    char created[32];
    uint8_t hash[LEDGER_SHA256_LEN];
} row_t;

static int token_path(const char *home, const char *file, char *out, size_t cap,
                      ledger_err_t *err)
{
    if ((size_t)snprintf(out, cap, "%s/%s", home, file) >= cap)
        return ledger_err_set(err, LEDGER_EINVAL, "home path too long: %s", home);
    return 0;
}

/* Decodes the file's JSON into rows (malloc'd).  LEDGER_EINPUT naming what is wrong. */
static int decode(const char *path, json_t *doc, row_t **out, size_t *n, ledger_err_t *err)
{
    json_t *toks = json_object_get(doc, "tokens"), *t;
    size_t i;
    row_t *rows;
    *out = NULL;
    *n = 0;
    if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "keten-tokens")) != 1 ||
        !json_is_array(toks))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s: not a keten token file ({\"keten-tokens\": 1, \"tokens\": [...]})",
                              path);
    if (json_array_size(toks) == 0)
        return 0;
    if (!(rows = calloc(json_array_size(toks), sizeof *rows)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    json_array_foreach(toks, i, t)
    {
        const char *name = json_string_value(json_object_get(t, "name"));
        const char *hex = json_string_value(json_object_get(t, "sha256"));
        const char *created = json_string_value(json_object_get(t, "created"));
        json_t *sc = json_object_get(t, "scopes"), *s;
        size_t j, hl = 0;
        if (!name_ok(name) || !hex || strlen(hex) != 64 ||
            sodium_hex2bin(rows[i].hash, sizeof rows[i].hash, hex, 64, NULL, &hl, NULL) != 0 ||
            hl != sizeof rows[i].hash || !json_is_array(sc)) {
            free(rows);
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "%s: token %zu needs a name, a sha256 of 64 hex digits and "
                                  "scopes",
                                  path, i);
        }
        snprintf(rows[i].name, sizeof rows[i].name, "%s", name);
        snprintf(rows[i].created, sizeof rows[i].created, "%s", created ? created : "");
        json_array_foreach(sc, j, s)
        {
            unsigned one;
            if (node_token_scopes_parse(json_string_value(s), &one, NULL) == 0)
                rows[i].scopes |= one; /* an unknown scope grants nothing */
        }
    }
    *out = rows;
    *n = json_array_size(toks);
    return 0;
}

/* Reads the file: 0 with rows (none when the file does not exist; *exists
 * says), or an error. */
static int load(const char *path, row_t **rows, size_t *n, int *exists, struct stat *stp,
                ledger_err_t *err)
{
    json_error_t je;
    json_t *doc;
    struct stat st;
    int fd, rc;
    FILE *f;
    *rows = NULL;
    *n = 0;
    *exists = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return ledger_err_set(err, LEDGER_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    *exists = 1;
    if (fstat(fd, &st) != 0 || !(f = fdopen(fd, "r"))) {
        close(fd);
        return ledger_err_set(err, LEDGER_EIO, "cannot read %s: %s", path, strerror(errno));
    }
    if (stp)
        *stp = st;
    doc = json_loadf(f, 0, &je);
    fclose(f);
    if (!doc)
        return ledger_err_set(err, LEDGER_EINPUT, "%s: line %d: %s", path, je.line, je.text);
    rc = decode(path, doc, rows, n, err);
    json_decref(doc);
    return rc;
}

static int save(const char *path, const row_t *rows, size_t n, ledger_err_t *err)
{
    json_t *doc = json_pack("{s:i, s:[]}", "keten-tokens", 1, "tokens"), *arr;
    char *text = NULL, hex[65];
    int rc = LEDGER_ENOMEM;
    if (!doc)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    arr = json_object_get(doc, "tokens");
    for (size_t i = 0; i < n; i++) {
        json_t *sc = json_array(), *t;
        for (size_t k = 0; sc && k < NSCOPES; k++)
            if (rows[i].scopes & (1u << k))
                json_array_append_new(sc, json_string(scope_names[k]));
        sodium_bin2hex(hex, sizeof hex, rows[i].hash, sizeof rows[i].hash);
        t = json_pack("{s:s, s:o, s:s, s:s}", "name", rows[i].name, "scopes", sc, "created",
                      rows[i].created, "sha256", hex);
        if (!t || json_array_append_new(arr, t))
            goto out;
    }
    if (!(text = json_dumps(doc, JSON_INDENT(2))))
        goto out;
    rc = node_file_replace(path, text, strlen(text), 0600, err);
    if (rc == 0)
        chmod(path, 0600); /* the tmp file was created 0600 already; an old file too */
out:
    if (rc == LEDGER_ENOMEM)
        ledger_err_set(err, rc, "out of memory");
    free(text);
    json_decref(doc);
    return rc;
}

/* Opens and flocks <home>/tokens.lock.  The fd, or an error. */
static int lock_home(const char *home, ledger_err_t *err)
{
    char path[PATH_MAX];
    int fd, rc;
    if ((rc = token_path(home, "tokens.lock", path, sizeof path, err)))
        return rc;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return ledger_err_set(err, LEDGER_EIO, "cannot open %s: %s", path, strerror(errno));
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(fd);
            return ledger_err_set(err, LEDGER_EIO, "cannot lock %s: %s", path, strerror(errno));
        }
    return fd;
}

static void hash_token(const char *token, uint8_t out[LEDGER_SHA256_LEN])
{
    ledger_sha256(out, token, strlen(token));
}

int node_token_add(const char *home, const char *name, unsigned scopes,
                   char token[NODE_TOKEN_TEXT], ledger_err_t *err)
{
    char path[PATH_MAX];
    uint8_t raw[32];
    row_t *rows = NULL, *grown;
    size_t n = 0;
    int lock = -1, exists, rc;
    time_t now = time(NULL);
    struct tm tm;
    token[0] = '\0';
    if (!name_ok(name))
        return ledger_err_set(err, LEDGER_EINVAL,
                              "token name \"%.80s\": 1 to %d letters, digits, '-', '_' or '.'",
                              name ? name : "", NODE_TOKEN_NAME_MAX);
    if (!(scopes & (NODE_SCOPE_CAPTURE | NODE_SCOPE_QUERY)))
        return ledger_err_set(err, LEDGER_EINVAL, "give at least one scope: capture, query");
    if ((rc = token_path(home, NODE_TOKEN_FILE, path, sizeof path, err)))
        return rc;
    if ((lock = lock_home(home, err)) < 0)
        return lock;
    if ((rc = load(path, &rows, &n, &exists, NULL, err)))
        goto out;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].name, name)) {
            rc = ledger_err_set(err, LEDGER_EEXIST,
                                "a token called %s exists: remove it first (keten token remove %s)",
                                name, name);
            goto out;
        }
    if (n >= NODE_TOKEN_MAX) {
        rc = ledger_err_set(err, LEDGER_ETOOBIG, "%s holds %d tokens already", path,
                            NODE_TOKEN_MAX);
        goto out;
    }
    if (!(grown = realloc(rows, (n + 1) * sizeof *rows))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto out;
    }
    rows = grown;
    memset(&rows[n], 0, sizeof rows[n]);
    snprintf(rows[n].name, sizeof rows[n].name, "%s", name);
    rows[n].scopes = scopes;
    gmtime_r(&now, &tm);
    strftime(rows[n].created, sizeof rows[n].created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    randombytes_buf(raw, sizeof raw);
    memcpy(token, PREFIX, sizeof PREFIX - 1);
    sodium_bin2base64(token + sizeof PREFIX - 1, NODE_TOKEN_TEXT - (sizeof PREFIX - 1), raw,
                      sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    hash_token(token, rows[n].hash);
    rc = save(path, rows, n + 1, err);
out:
    if (rc)
        sodium_memzero(token, NODE_TOKEN_TEXT);
    free(rows);
    close(lock);
    return rc;
}

int node_token_remove(const char *home, const char *name, ledger_err_t *err)
{
    char path[PATH_MAX];
    row_t *rows = NULL;
    size_t n = 0, i;
    int lock, exists, rc;
    if ((rc = token_path(home, NODE_TOKEN_FILE, path, sizeof path, err)))
        return rc;
    if ((lock = lock_home(home, err)) < 0)
        return lock;
    if ((rc = load(path, &rows, &n, &exists, NULL, err)))
        goto out;
    for (i = 0; i < n && strcmp(rows[i].name, name); i++)
        ;
    if (i == n) {
        rc = ledger_err_set(err, LEDGER_ENOTFOUND, "no token called %s (keten token list)", name);
        goto out;
    }
    memmove(&rows[i], &rows[i + 1], (n - i - 1) * sizeof *rows);
    rc = save(path, rows, n - 1, err); /* the file stays, empty: queries stay closed */
out:
    free(rows);
    close(lock);
    return rc;
}

int node_token_list(const char *home, node_token_info_t **out, size_t *n, int *exists,
                    ledger_err_t *err)
{
    char path[PATH_MAX];
    row_t *rows = NULL;
    size_t nr = 0;
    int ex = 0, rc;
    *out = NULL;
    *n = 0;
    if ((rc = token_path(home, NODE_TOKEN_FILE, path, sizeof path, err)) ||
        (rc = load(path, &rows, &nr, &ex, NULL, err)))
        return rc;
    if (exists)
        *exists = ex;
    if (nr) {
        node_token_info_t *v = calloc(nr, sizeof *v);
        if (!v) {
            free(rows);
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < nr; i++) {
            memcpy(v[i].name, rows[i].name, sizeof v[i].name);
            v[i].scopes = rows[i].scopes;
            memcpy(v[i].created, rows[i].created, sizeof v[i].created);
        }
        *out = v;
        *n = nr;
    }
    free(rows);
    return 0;
}

/* ---- the node's view -------------------------------------------------------- */

struct node_tokens {
    char path[PATH_MAX];
    int loaded;      /* read at least once */
    int exists;      /* the file was there */
    int broken;      /* it could not be read: everything gated is refused */
    struct stat st;  /* of the file read */
    row_t *rows;
    size_t n;
    char error[1100];
};

int node_tokens_open(const char *home, node_tokens_t **out, ledger_err_t *err)
{
    node_tokens_t *t = calloc(1, sizeof *t);
    int rc;
    *out = NULL;
    if (!t)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if ((rc = token_path(home, NODE_TOKEN_FILE, t->path, sizeof t->path, err))) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void node_tokens_close(node_tokens_t *t)
{
    if (!t)
        return;
    free(t->rows);
    free(t);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void refresh(node_tokens_t *t)
{
    struct stat now;
    ledger_err_t err;
    row_t *rows = NULL;
    size_t n = 0;
    int exists = 0;
    if (stat(t->path, &now) != 0) {
        if (errno == ENOENT) {
            free(t->rows);
            t->rows = NULL;
            t->n = 0;
            t->exists = t->broken = 0;
            t->loaded = 1;
            t->error[0] = '\0';
            return;
        }
    } else if (t->loaded && t->exists && same_file(&now, &t->st))
        return;
    if (load(t->path, &rows, &n, &exists, &now, &err)) {
        free(t->rows);
        t->rows = NULL;
        t->n = 0;
        t->exists = t->broken = 1; /* fail closed */
        t->st = now;
        t->loaded = 1;
        snprintf(t->error, sizeof t->error, "%s", err.msg);
        return;
    }
    free(t->rows);
    t->rows = rows;
    t->n = n;
    t->exists = exists;
    t->broken = 0;
    t->st = now;
    t->loaded = 1;
    t->error[0] = '\0';
}

int node_tokens_exist(node_tokens_t *t)
{
    refresh(t);
    return t->exists;
}

const char *node_tokens_error(const node_tokens_t *t)
{
    return t->error;
}

int node_tokens_check(node_tokens_t *t, const char *authorization, unsigned scope,
                      char name[NODE_TOKEN_NAME_MAX + 1])
{
    uint8_t h[LEDGER_SHA256_LEN];
    const char *tok;
    size_t found = (size_t)-1;
    if (name)
        name[0] = '\0';
    refresh(t);
    if (t->broken)
        return NODE_AUTH_BROKEN;
    if (!t->exists)
        return NODE_AUTH_NOTOKENS;
    if (!authorization)
        return NODE_AUTH_MISSING;
    while (*authorization == ' ' || *authorization == '\t')
        authorization++;
    if (strncasecmp(authorization, "Bearer", 6) ||
        (authorization[6] != ' ' && authorization[6] != '\t'))
        return NODE_AUTH_MISSING;
    tok = authorization + 7;
    while (*tok == ' ' || *tok == '\t')
        tok++;
    if (!*tok || strlen(tok) >= NODE_TOKEN_TEXT * 4)
        return NODE_AUTH_UNKNOWN;
    hash_token(tok, h);
    for (size_t i = 0; i < t->n; i++) /* every row: no early exit */
        if (sodium_memcmp(h, t->rows[i].hash, sizeof h) == 0)
            found = i;
    if (found == (size_t)-1)
        return NODE_AUTH_UNKNOWN;
    if (name)
        memcpy(name, t->rows[found].name, NODE_TOKEN_NAME_MAX + 1);
    return (t->rows[found].scopes & scope) == scope ? NODE_AUTH_OK : NODE_AUTH_SCOPE;
}
