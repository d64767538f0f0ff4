/* node_conf.c -- the network key, the peer list and the node's state file
 * in a keten home (see node_conf.h).  Small JSON files through jansson,
 * replaced atomically. */
#include "node_conf.h"
#include "ledger_epcis_xmlw.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ledger_entry.h"

static int path_of(const char *home, const char *file, char *out, size_t n, ledger_err_t *err)
{
    if ((size_t)snprintf(out, n, "%s/%s", home, file) >= n)
        return ledger_err_set(err, LEDGER_EINVAL, "home path too long: %s", home);
    return 0;
}

static int replace(const char *path, const char *text, size_t len, int mode, int durable,
                   ledger_err_t *err)
{
    char tmp[PATH_MAX];
    int fd = -1, rc = 0;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return ledger_err_set(err, LEDGER_EINVAL, "path too long: %s", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return ledger_err_set(err, LEDGER_EIO, "cannot create %s: %s", tmp, strerror(errno));
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = ledger_err_set(err, LEDGER_EIO, "cannot write %s: %s", tmp, strerror(errno));
            goto fail;
        }
        off += (size_t)w;
    }
    if (durable && fsync(fd) != 0) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot sync %s: %s", tmp, strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) != 0) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot rename %s to %s: %s", tmp, path,
                            strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return rc;
}

int node_file_replace(const char *path, const char *text, size_t len, int mode, ledger_err_t *err)
{
    return replace(path, text, len, mode, 1, err);
}

/* ---- network key -------------------------------------------------------- */

int node_netkey_parse(const char *hex, uint8_t key[32], ledger_err_t *err)
{
    char low[65];
    size_t n = hex ? strlen(hex) : 0;
    if (n != 64 || strspn(hex, "0123456789abcdefABCDEF") != 64)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "a network key is 64 hex characters (keten network prints it); "
                              "got %zu characters",
                              n);
    for (int i = 0; i < 64; i++)
        low[i] = (char)((hex[i] >= 'A' && hex[i] <= 'F') ? hex[i] + 32 : hex[i]);
    low[64] = '\0';
    return ledger_unhex(low, key, 32) ? ledger_err_set(err, LEDGER_EINVAL, "bad network key") : 0;
}

int node_netkey_write(const char *home, const uint8_t key[32], ledger_err_t *err)
{
    char path[PATH_MAX], hex[66];
    int rc, fd;
    if ((rc = path_of(home, "network", path, sizeof path, err)))
        return rc;
    ledger_hex(key, 32, hex);
    hex[64] = '\n';
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return ledger_err_set(err, errno == EEXIST ? LEDGER_EEXIST : LEDGER_EIO,
                              "cannot create %s: %s", path, strerror(errno));
    if (write(fd, hex, 65) != 65 || fsync(fd) != 0) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return rc;
    }
    close(fd);
    return 0;
}

int node_netkey_read(const char *home, uint8_t key[32], ledger_err_t *err)
{
    char path[PATH_MAX], buf[80];
    int rc;
    FILE *f;
    size_t n;
    if ((rc = path_of(home, "network", path, sizeof path, err)))
        return rc;
    if (!(f = fopen(path, "r")))
        return ledger_err_set(err, errno == ENOENT ? LEDGER_ENOTFOUND : LEDGER_EIO,
                              "this home has no network key (%s: %s); every node of a chain "
                              "needs the same one: keten init --network <key>",
                              path, strerror(errno));
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    if (node_netkey_parse(buf, key, err))
        return ledger_err_prefix(err, "%s", path), LEDGER_EINPUT;
    return 0;
}

/* ---- addresses ---------------------------------------------------------- */

int node_addr_split(const char *addr, char *host, size_t hostlen, int *port, ledger_err_t *err)
{
    const char *colon, *h = addr, *hend;
    char *end;
    long p;
    if (!addr || !*addr)
        return ledger_err_set(err, LEDGER_EINPUT, "empty address: expected host:port");
    if (strlen(addr) >= NODE_ADDR_MAX)
        return ledger_err_set(err, LEDGER_EINPUT, "address too long (%zu bytes)", strlen(addr));
    if (addr[0] == '[') {
        hend = strchr(addr, ']');
        if (!hend || hend[1] != ':')
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "address \"%s\": expected [IPv6]:port, e.g. [2001:db8::5]:7401",
                                  addr);
        h = addr + 1;
        colon = hend + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "address \"%s\" has no port: expected host:port, e.g. "
                                  "127.0.0.1:7401",
                                  addr);
        hend = colon;
    }
    errno = 0;
    p = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || !(colon[1] >= '0' && colon[1] <= '9') || p < 1 ||
        p > 65535)
        return ledger_err_set(err, LEDGER_EINPUT, "address \"%s\": the port must be 1..65535",
                              addr);
    if (hend == h)
        return ledger_err_set(err, LEDGER_EINPUT, "address \"%s\": no host before the port", addr);
    if ((size_t)(hend - h) >= hostlen)
        return ledger_err_set(err, LEDGER_EINPUT, "address \"%s\": host too long", addr);
    memcpy(host, h, (size_t)(hend - h));
    host[hend - h] = '\0';
    *port = (int)p;
    return 0;
}

/* A DNS host name (RFC 1123): labels of letters, digits and inner hyphens,
 * 1..63 bytes each, 253 in all, an optional final dot. */
static int is_host_name(const char *h)
{
    size_t n = strlen(h), label = 0;
    if (n > 0 && h[n - 1] == '.')
        n--;
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0 || h[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return 0;
        if (c == '-' && label == 0)
            return 0;
        if (++label > 63)
            return 0;
    }
    return h[n - 1] != '-';
}

int node_addr_check(const char *addr, int *kind, ledger_err_t *err)
{
    char host[NODE_ADDR_MAX];
    unsigned char bin[16];
    int port, rc;
    if ((rc = node_addr_split(addr, host, sizeof host, &port, err)))
        return rc;
    if (addr[0] == '[') {
        if (inet_pton(AF_INET6, host, bin) != 1)
            return ledger_err_set(err, LEDGER_EINPUT, "address \"%s\": %s is not an IPv6 address",
                                  addr, host);
        if (kind)
            *kind = NODE_HOST_IP6;
        return 0;
    }
    if (strchr(host, ':'))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "address \"%s\": an IPv6 address goes in brackets, e.g. "
                              "[2001:db8::5]:7401",
                              addr);
    if (strspn(host, "0123456789.") == strlen(host)) {
        if (inet_pton(AF_INET, host, bin) != 1)
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "address \"%s\": %s is not an IPv4 address (four numbers "
                                  "0..255, e.g. 10.0.0.5)",
                                  addr, host);
        if (kind)
            *kind = NODE_HOST_IP4;
        return 0;
    }
    if (!is_host_name(host))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "address \"%s\": \"%s\" is not a host name (letters, digits, "
                              "hyphens and dots) nor an IP address",
                              addr, host);
    if (kind)
        *kind = NODE_HOST_NAME;
    return 0;
}

/* ---- the node's lock ---------------------------------------------------- */

static void lock_spec(struct flock *fl, short type)
{
    memset(fl, 0, sizeof *fl);
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    fl->l_start = 0;
    fl->l_len = 0; /* the whole file */
}

int node_lock_holder(const char *home, long *pid, ledger_err_t *err)
{
    char path[PATH_MAX];
    struct flock fl;
    int fd, rc;
    *pid = 0;
    if ((rc = path_of(home, "node.lock", path, sizeof path, err)))
        return rc;
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        if (errno == ENOENT)
            return 0;
        return ledger_err_set(err, LEDGER_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    lock_spec(&fl, F_WRLCK);
    if (fcntl(fd, F_GETLK, &fl) != 0) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot test the lock on %s: %s", path,
                            strerror(errno));
        close(fd);
        return rc;
    }
    close(fd);
    if (fl.l_type != F_UNLCK)
        *pid = fl.l_pid > 0 ? (long)fl.l_pid : -1;
    return 0;
}

int node_lock_take(const char *home, int *out, ledger_err_t *err)
{
    char path[PATH_MAX], text[32];
    struct flock fl;
    long pid;
    int fd, rc, len;
    *out = -1;
    if ((rc = path_of(home, "node.lock", path, sizeof path, err)))
        return rc;
    if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
        return ledger_err_set(err, LEDGER_EIO, "cannot open %s: %s", path, strerror(errno));
    lock_spec(&fl, F_WRLCK);
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int e = errno;
        close(fd);
        if (e != EACCES && e != EAGAIN)
            return ledger_err_set(err, LEDGER_EIO, "cannot lock %s: %s", path, strerror(e));
        if (node_lock_holder(home, &pid, NULL) || pid == 0)
            pid = -1;
        if (pid > 0)
            return ledger_err_set(err, LEDGER_ELOCKED,
                                  "a node already runs on the home %s (pid %ld): one node per "
                                  "home (stop it first: keten --home %s stop)",
                                  home, pid, home);
        return ledger_err_set(err, LEDGER_ELOCKED,
                              "a node already runs on the home %s (%s is locked): one node per "
                              "home",
                              home, path);
    }
    /* ours now (a lock dies with its process: a kill -9 leaves no stale
     * lock, only a stale pid in the file, rewritten here) */
    len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

void node_lock_release(int fd)
{
    if (fd >= 0)
        close(fd); /* closing drops the lock; the file stays (its pid is stale) */
}

/* ---- peers -------------------------------------------------------------- */

int node_peers_load(const char *home, node_peers_t *out, ledger_err_t *err)
{
    char path[PATH_MAX];
    json_error_t je;
    json_t *root, *arr, *it;
    size_t i;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = path_of(home, "peers.json", path, sizeof path, err)))
        return rc;
    if (access(path, F_OK) != 0)
        return 0;
    if (!(root = json_load_file(path, 0, &je)))
        return ledger_err_set(err, LEDGER_EINPUT, "%s:%d: %s", path, je.line, je.text);
    arr = json_object_get(root, "peers");
    if (!json_is_array(arr)) {
        json_decref(root);
        return ledger_err_set(err, LEDGER_EINPUT, "%s: no \"peers\" array", path);
    }
    out->v = calloc(json_array_size(arr) + 1, sizeof *out->v);
    if (!out->v) {
        json_decref(root);
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    json_array_foreach(arr, i, it)
    {
        node_peer_t *p = &out->v[out->n];
        const char *id = json_string_value(json_object_get(it, "id"));
        const char *name = json_string_value(json_object_get(it, "name"));
        const char *addr = json_string_value(json_object_get(it, "address"));
        if (!id || strlen(id) != 64 || ledger_unhex(id, p->id, 32)) {
            rc =
                ledger_err_set(err, LEDGER_EINPUT, "%s: peer %zu has no valid \"id\"", path, i + 1);
            goto fail;
        }
        if (name)
            snprintf(p->name, sizeof p->name, "%s", name);
        if (addr) {
            /* only the form here: an entry the node cannot dial is reported
             * by the node (and `keten peer remove` can still remove it) */
            char host[NODE_ADDR_MAX];
            int port;
            if (node_addr_split(addr, host, sizeof host, &port, err)) {
                rc = ledger_err_prefix(err, "%s: peer %zu", path, i + 1);
                rc = LEDGER_EINPUT;
                goto fail;
            }
            snprintf(p->address, sizeof p->address, "%s", addr);
        }
        p->sealed = json_is_true(json_object_get(it, "sealed"));
        p->witness = !json_is_false(json_object_get(it, "witness"));
        out->n++;
    }
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    node_peers_free(out);
    return rc;
}

int node_peers_save(const char *home, const node_peers_t *p, ledger_err_t *err)
{
    char path[PATH_MAX], hex[65];
    json_t *root = json_object(), *arr = json_array();
    char *text = NULL;
    int rc;
    if ((rc = path_of(home, "peers.json", path, sizeof path, err)))
        goto out;
    json_object_set_new(root, "peers", arr);
    for (size_t i = 0; i < p->n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(ledger_hex(p->v[i].id, 32, hex)));
        json_object_set_new(o, "name", json_string(p->v[i].name));
        json_object_set_new(o, "address",
                            p->v[i].address[0] ? json_string(p->v[i].address) : json_null());
        json_object_set_new(o, "sealed", json_boolean(p->v[i].sealed));
        json_object_set_new(o, "witness", json_boolean(p->v[i].witness));
        json_array_append_new(arr, o);
    }
    if (!(text = json_dumps(root, JSON_INDENT(2)))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto out;
    }
    {
        size_t n = strlen(text);
        char *t2 = realloc(text, n + 2);
        if (!t2) {
            rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
            goto out;
        }
        text = t2;
        text[n] = '\n';
        text[n + 1] = '\0';
        rc = node_file_replace(path, text, n + 1, 0644, err);
    }
out:
    free(text);
    json_decref(root);
    return rc;
}

const node_peer_t *node_peers_find(const node_peers_t *p, const uint8_t id[32])
{
    for (size_t i = 0; i < p->n; i++)
        if (memcmp(p->v[i].id, id, 32) == 0)
            return &p->v[i];
    return NULL;
}

int node_peers_put(node_peers_t *p, const node_peer_t *peer, int *replaced, ledger_err_t *err)
{
    node_peer_t *v;
    *replaced = 0;
    for (size_t i = 0; i < p->n; i++)
        if (memcmp(p->v[i].id, peer->id, 32) == 0) {
            p->v[i] = *peer;
            *replaced = 1;
            return 0;
        }
    if (!(v = realloc(p->v, (p->n + 1) * sizeof *v)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    p->v = v;
    p->v[p->n++] = *peer;
    return 0;
}

int node_peers_remove(node_peers_t *p, const uint8_t id[32], ledger_err_t *err)
{
    char hex[65];
    for (size_t i = 0; i < p->n; i++)
        if (memcmp(p->v[i].id, id, 32) == 0) {
            memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof *p->v);
            p->n--;
            return 0;
        }
    return ledger_err_set(err, LEDGER_ENOTFOUND, "peer %s is not on the peer list",
                          ledger_hex(id, 32, hex));
}

void node_peers_free(node_peers_t *p)
{
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

/* ---- state file --------------------------------------------------------- */

int node_state_write(const char *home, const json_t *obj, ledger_err_t *err)
{
    char path[PATH_MAX];
    char *text;
    int rc;
    if ((rc = path_of(home, "node.json", path, sizeof path, err)))
        return rc;
    if (!(text = json_dumps(obj, JSON_COMPACT)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    rc = replace(path, text, strlen(text), 0644, 0, err); /* rewritten every second: no fsync */
    free(text);
    return rc;
}

json_t *node_state_read(const char *home)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/node.json", home) >= sizeof path)
        return NULL;
    return json_load_file(path, 0, NULL);
}

/* ---- the HTTP server's settings ------------------------------------------- */

static int conf_uint(json_t *o, const char *name, uint64_t max, uint64_t *out, ledger_err_t *err)
{
    json_t *v = json_object_get(o, name);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "keten.json: http.%s must be a whole number 0..%llu", name,
                              (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

int node_conf_str(json_t *o, const char *section, const char *name, char *out, size_t cap,
                  ledger_err_t *err)
{
    json_t *v = json_object_get(o, name);
    if (!v)
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) >= cap)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "keten.json: %s.%s must be a string of at most %zu bytes", section,
                              name, cap - 1);
    snprintf(out, cap, "%s", json_string_value(v));
    return 0;
}

/* "public" of "http": {"feeds": [hex...], "partners": [name...]}. */
static int conf_public(json_t *h, node_public_conf_t *pub, ledger_err_t *err)
{
    json_t *p = json_object_get(h, "public"), *feeds, *parts, *v;
    const char *key;
    size_t i;
    if (!p || json_is_null(p))
        return 0;
    if (!json_is_object(p))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "keten.json: http.public must be an object: {\"feeds\": [...], "
                              "\"partners\": [...]} (docs/http.md)");
    json_object_foreach(p, key, v)
    {
        if (strcmp(key, "feeds") && strcmp(key, "partners"))
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "keten.json: http.public.%s: unknown member (feeds or partners)",
                                  key);
    }
    feeds = json_object_get(p, "feeds");
    parts = json_object_get(p, "partners");
    if ((feeds && (!json_is_array(feeds) || json_array_size(feeds) > NODE_PUBLIC_MAX)) ||
        (parts && (!json_is_array(parts) || json_array_size(parts) > NODE_PUBLIC_MAX)))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "keten.json: http.public.feeds and .partners must be lists of at "
                              "most %d strings",
                              NODE_PUBLIC_MAX);
    json_array_foreach(feeds, i, v)
    {
        const char *hex = json_string_value(v);
        if (!hex || strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64 ||
            ledger_unhex(hex, pub->feeds[pub->nfeeds], 32))
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "keten.json: http.public.feeds[%zu]: a feed is 64 lowercase hex "
                                  "digits (keten status lists them)",
                                  i);
        pub->nfeeds++;
    }
    json_array_foreach(parts, i, v)
    {
        const char *name = json_string_value(v);
        if (!name || !*name || strlen(name) >= sizeof pub->partners[0])
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "keten.json: http.public.partners[%zu]: a partner's name as "
                                  "peers.json gives it (keten peer list)",
                                  i);
        snprintf(pub->partners[pub->npartners++], sizeof pub->partners[0], "%s", name);
    }
    return 0;
}

/* "cors" of "http": a list of origins. */
static int conf_cors(json_t *h, node_http_conf_t *out, ledger_err_t *err)
{
    json_t *c = json_object_get(h, "cors"), *v;
    size_t i;
    if (!c || json_is_null(c))
        return 0;
    if (!json_is_array(c) || json_array_size(c) > NODE_CORS_MAX)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "keten.json: http.cors must be a list of at most %d origins, e.g. "
                              "[\"https://shop.example.com\"]",
                              NODE_CORS_MAX);
    json_array_foreach(c, i, v)
    {
        const char *o = json_string_value(v);
        if (!o || !node_cors_origin_ok(o))
            return ledger_err_set(
                err, LEDGER_EINPUT,
                "keten.json: http.cors[%zu]: an origin is \"https://host[:port]\" "
                "(no path, no trailing /) or \"*\"",
                i);
        snprintf(out->cors[out->ncors++], sizeof out->cors[0], "%s", o);
    }
    return 0;
}

/* "xmlNamespaces" of "http": prefix -> namespace URI, each checked as the
 * XML writer will take it. */
static int conf_xmlns(json_t *h, node_http_conf_t *out, ledger_err_t *err)
{
    json_t *x = json_object_get(h, "xmlNamespaces"), *v;
    const char *k;
    if (!x || json_is_null(x))
        return 0;
    if (!json_is_object(x) || json_object_size(x) > NODE_XMLNS_MAX)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "keten.json: http.xmlNamespaces must be an object of at most %d "
                              "prefixes, e.g. {\"gs1egypthc\": "
                              "\"https://ref.gs1eg.org/extensions/epcis/hc/voc/\"}",
                              NODE_XMLNS_MAX);
    json_object_foreach(x, k, v)
    {
        int rc;
        if ((rc = ledger_epcis_xmlw_namespace_check(k, json_string_value(v), err)) < 0) {
            ledger_err_prefix(err, "keten.json: http.xmlNamespaces");
            return rc;
        }
        snprintf(out->xmlns_prefix[out->nxmlns], sizeof out->xmlns_prefix[0], "%s", k);
        snprintf(out->xmlns_uri[out->nxmlns++], sizeof out->xmlns_uri[0], "%s",
                 json_string_value(v));
    }
    return 0;
}

static int feeds_add(uint8_t (*out)[32], size_t cap, size_t *n, const uint8_t feed[32],
                     ledger_err_t *err)
{
    for (size_t i = 0; i < *n; i++)
        if (!memcmp(out[i], feed, 32))
            return 0;
    if (*n >= cap)
        return ledger_err_set(err, LEDGER_EINPUT, "keten.json: http.public: more than %zu feeds",
                              cap);
    memcpy(out[(*n)++], feed, 32);
    return 0;
}

int node_public_feeds(const node_public_conf_t *pub, const node_peers_t *peers,
                      const uint8_t self[32], uint8_t (*out)[32], size_t cap, size_t *n,
                      ledger_err_t *err)
{
    int rc;
    *n = 0;
    if ((rc = feeds_add(out, cap, n, self, err)))
        return rc;
    for (size_t i = 0; i < pub->nfeeds; i++)
        if ((rc = feeds_add(out, cap, n, pub->feeds[i], err)))
            return rc;
    for (size_t i = 0; i < pub->npartners; i++) {
        const node_peer_t *found = NULL;
        for (size_t k = 0; k < peers->n; k++) {
            if (strcmp(peers->v[k].name, pub->partners[i]))
                continue;
            if (found)
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "keten.json: http.public.partners: \"%s\" names two "
                                      "peers in peers.json: give their feeds instead",
                                      pub->partners[i]);
            found = &peers->v[k];
        }
        if (!found)
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "keten.json: http.public.partners: no peer named \"%s\" in "
                                  "peers.json (keten peer list)",
                                  pub->partners[i]);
        if ((rc = feeds_add(out, cap, n, found->id, err)))
            return rc;
    }
    return 0;
}

int node_http_conf_load(const char *home, node_http_conf_t *out, ledger_err_t *err)
{
    char path[PATH_MAX];
    json_t *cfg, *h, *e;
    json_error_t je;
    uint64_t v[5] = {0};
    int rc = 0;
    memset(out, 0, sizeof *out);
    if ((rc = path_of(home, "keten.json", path, sizeof path, err)))
        return rc;
    if (!(cfg = json_load_file(path, 0, &je)))
        return ledger_err_set(err, LEDGER_EIO, "%s:%d: %s", path, je.line, je.text);
    h = json_object_get(cfg, "http");
    if (!h || json_is_null(h))
        goto out;
    if (json_is_string(h)) {
        rc = node_conf_str(cfg, "http", "http", out->listen, sizeof out->listen, err);
        goto out;
    }
    if (!json_is_object(h)) {
        rc = ledger_err_set(err, LEDGER_EINPUT,
                            "keten.json: \"http\" must be \"IP:PORT\" or an object (docs/http.md)");
        goto out;
    }
    e = json_object_get(h, "expose");
    if (e && !json_is_boolean(e)) {
        rc = ledger_err_set(err, LEDGER_EINPUT, "keten.json: http.expose must be true or false");
        goto out;
    }
    out->expose = json_is_true(e);
    if ((rc = node_conf_str(h, "http", "listen", out->listen, sizeof out->listen, err)) ||
        (rc = node_conf_str(h, "http", "prefix", out->prefix, sizeof out->prefix, err)) ||
        (rc = node_conf_str(h, "http", "baseUrl", out->base_url, sizeof out->base_url, err)) ||
        (rc = conf_uint(h, "maxHeaderBytes", 1024 * 1024, &v[0], err)) ||
        (rc = conf_uint(h, "maxBodyBytes", (uint64_t)1 << 32, &v[1], err)) ||
        (rc = conf_uint(h, "requestTimeoutMs", 3600000, &v[2], err)) ||
        (rc = conf_uint(h, "idleTimeoutMs", 3600000, &v[3], err)) ||
        (rc = conf_uint(h, "maxConnections", 1000000, &v[4], err)) ||
        (rc = conf_public(h, &out->pub, err)) || (rc = conf_cors(h, out, err)) ||
        (rc = conf_xmlns(h, out, err)))
        goto out;
    out->limits.header_max = (size_t)v[0];
    out->limits.body_max = (size_t)v[1];
    out->limits.request_ms = (unsigned)v[2];
    out->limits.idle_ms = (unsigned)v[3];
    out->limits.conn_max = (size_t)v[4];
out:
    json_decref(cfg);
    return rc;
}

/* 1 when s is a NATS token list: letters, digits, '-', '_' and, when dots
 * is set, '.' between non-empty tokens. */
static int nats_name_ok(const char *s, int dots)
{
    size_t n = strlen(s);
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' && dots && s[i + 1] != '.')
            continue;
        if (!(c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z')))
            return 0;
    }
    return 1;
}

int node_stream_servers_ok(const char *servers, ledger_err_t *err)
{
    const char *p = servers;
    int count = 0;
    if (!servers || !*servers)
        return ledger_err_set(err, LEDGER_EINPUT, "stream: no server given (nats://HOST:PORT)");
    for (;;) { /* every item, the empty ones too ("a,", ",a", "a,,b") */
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (!((n > 7 && !strncmp(p, "nats://", 7)) || (n > 6 && !strncmp(p, "tls://", 6))))
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "stream: \"%.*s\" is not a NATS URL (nats://HOST:PORT)",
                                  (int)(n > 200 ? 200 : n), p);
        if (++count > NODE_STREAM_SERVERS_MAX)
            return ledger_err_set(err, LEDGER_EINPUT, "stream: more than %d servers",
                                  NODE_STREAM_SERVERS_MAX);
        if (!e)
            return 0;
        p = e + 1;
    }
}

int node_stream_conf_load(const char *home, node_stream_conf_t *out, ledger_err_t *err)
{
    char path[PATH_MAX];
    json_t *cfg, *h;
    json_error_t je;
    int rc = 0;
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "KETEN");
    snprintf(out->prefix, sizeof out->prefix, "keten.events");
    if ((rc = path_of(home, "keten.json", path, sizeof path, err)))
        return rc;
    if (!(cfg = json_load_file(path, 0, &je)))
        return ledger_err_set(err, LEDGER_EIO, "%s:%d: %s", path, je.line, je.text);
    h = json_object_get(cfg, "stream");
    if (!h || json_is_null(h))
        goto out;
    if (json_is_string(h))
        rc = node_conf_str(cfg, "http", "stream", out->servers, sizeof out->servers, err);
    else if (!json_is_object(h))
        rc = ledger_err_set(err, LEDGER_EINPUT,
                            "keten.json: \"stream\" must be \"nats://HOST:PORT\" or an object "
                            "(docs/stream.md)");
    else if ((rc = node_conf_str(h, "http", "servers", out->servers, sizeof out->servers, err)) ||
             (rc = node_conf_str(h, "http", "name", out->name, sizeof out->name, err)) ||
             (rc = node_conf_str(h, "http", "subjectPrefix", out->prefix, sizeof out->prefix,
                                 err)) ||
             (rc = node_conf_str(h, "http", "creds", out->creds, sizeof out->creds, err)) ||
             (rc = node_conf_str(h, "http", "ca", out->ca, sizeof out->ca, err)))
        goto out;
    if (rc)
        goto out;
    if (!nats_name_ok(out->name, 0))
        rc = ledger_err_set(err, LEDGER_EINPUT,
                            "keten.json: stream.name \"%s\": letters, digits, - and _ only",
                            out->name);
    else if (!nats_name_ok(out->prefix, 1))
        rc = ledger_err_set(err, LEDGER_EINPUT,
                            "keten.json: stream.subjectPrefix \"%s\": dot-separated tokens of "
                            "letters, digits, - and _",
                            out->prefix);
    else if (out->servers[0])
        rc = node_stream_servers_ok(out->servers, err);
out:
    json_decref(cfg);
    return rc;
}

int node_addr_is_loopback(const char *addr)
{
    char host[NODE_ADDR_MAX];
    int port;
    struct in_addr a4;
    struct in6_addr a6;
    if (node_addr_split(addr, host, sizeof host, &port, NULL))
        return 0;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}
