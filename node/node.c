/* node.c -- the keten node's event loop (see node.h).
 *
 * One libuv loop holds: the listener, one dialler per partner with an
 * address (exponential backoff with jitter), a 200 ms tick that notices new
 * entries in the store (also those another process recorded), reloads the
 * peer list when it changed, drives session timers and writes node.json,
 * and a check handle that commits the group of entries received during one
 * loop iteration in one LMDB transaction.  Sessions (node_session.h) do the
 * protocol; what they may ask of the node is node_state.h, so that this
 * file calls sessions and sessions never call it.
 */
#include "node.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "node_sd.h"
#include "node_session.h"
#include "node_state.h"
#include "node_web.h"

/* ---- small things --------------------------------------------------------- */

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- our heads -------------------------------------------------------------- */

typedef struct {
    node_head_t *v;
    size_t n, cap;
} headvec_t;

static int collect_head(const ledger_feed_head_t *h, void *ctx)
{
    headvec_t *hv = ctx;
    if (hv->n == hv->cap) {
        size_t cap = hv->cap ? hv->cap * 2 : 16;
        node_head_t *v = realloc(hv->v, cap * sizeof *v);
        if (!v)
            return LEDGER_ENOMEM;
        hv->v = v;
        hv->cap = cap;
    }
    memcpy(hv->v[hv->n].feed, h->feed, 32);
    hv->v[hv->n].seq = h->seq;
    memcpy(hv->v[hv->n].hash, h->hash, 32);
    hv->v[hv->n].flags = (h->flags & LEDGER_FEED_FORKED) ? 1 : 0;
    hv->n++;
    return 0;
}

/* Re-reads the heads; tells every ready session what changed and pumps. */
static void refresh_heads(node_t *n)
{
    headvec_t hv = {0};
    node_head_t *changed;
    size_t nch = 0;
    ledger_err_t err;
    if (ledger_store_feeds(n->st, collect_head, &hv, &err)) {
        node_log(n, "cannot read the feed heads: %s", err.msg);
        free(hv.v);
        return;
    }
    /* ledger_store_feeds walks in feed ID order: hv is sorted */
    changed = malloc((hv.n + 1) * sizeof *changed);
    if (!changed) {
        free(hv.v);
        return;
    }
    for (size_t i = 0; i < hv.n; i++) {
        const node_head_t *old = node_head(n, hv.v[i].feed);
        if (!old || old->seq != hv.v[i].seq || old->flags != hv.v[i].flags)
            changed[nch++] = hv.v[i];
        if (old && !(old->flags & 1) && (hv.v[i].flags & 1)) {
            char hex[65];
            node_log(n,
                     "FORK: feed %s (%s) is marked forked: its key signed two different "
                     "histories; it accepts no new entries (keten status, docs/operations.md)",
                     ledger_hex(hv.v[i].feed, 32, hex), node_feed_name(n, hv.v[i].feed));
        }
    }
    free(n->heads);
    n->heads = hv.v;
    n->nheads = hv.n;
    if (nch)
        for (session_t *s = n->sessions; s; s = s->next)
            if (s->state == SES_READY)
                node_session_send_heads(s, changed, nch);
    free(changed);
    for (session_t *s = n->sessions; s; s = s->next)
        if (s->state == SES_READY)
            node_session_pump(s);
    node_subs_poll(n->subs); /* new entries to the live subscribers */
    node_nats_poll(n->nats, n->heads, n->nheads); /* and to the stream */
}

/* ---- group commit ----------------------------------------------------------- */

static void commit_now(node_t *n)
{
    ledger_err_t err;
    if (!n->ingest)
        return;
    if (ledger_ingest_commit(n->ingest, &err))
        node_log(n, "cannot store received entries: %s (they will be fetched again)", err.msg);
    n->ingest = NULL;
    refresh_heads(n);
}

/* Commits the open group when it is big or old enough (see NODE_COMMIT_*). */
static void commit_due(node_t *n)
{
    uv_update_time(n->loop);
    int bulk = 0;
    for (session_t *s = n->sessions; s && !bulk; s = s->next)
        bulk = s->state == SES_READY && s->bulk_remaining > 0;
    if (n->ingest && ((!n->ingest_busy && !bulk) || n->ingest_entries >= NODE_COMMIT_ENTRIES ||
                      node_now(n) - n->ingest_started >= NODE_COMMIT_MS))
        commit_now(n);
    n->ingest_busy = 0;
}

static void on_check(uv_check_t *h)
{
    commit_due(h->data);
}

/* ---- progress --------------------------------------------------------------- */

static void show_progress(node_t *n, uint64_t now)
{
    uint64_t in = 0, behind = 0;
    if (!n->opt.progress)
        return;
    for (session_t *s = n->sessions; s; s = s->next) {
        in += s->entries_in;
        for (size_t i = 0; i < s->npeer_heads; i++) {
            const node_head_t *h = node_head(n, s->peer_heads[i].feed);
            uint64_t have = h ? h->seq : 0;
            if (s->peer_heads[i].seq > have && !(h && (h->flags & 1)))
                behind += s->peer_heads[i].seq - have;
        }
    }
    if (behind == 0) {
        if (n->prog_shown) {
            fputs("\r\033[K", n->log);
            fflush(n->log);
            n->prog_shown = 0;
        }
        n->prog_base_entries = in;
        n->prog_start_ms = now;
        return;
    }
    {
        uint64_t done = in - n->prog_base_entries, ms = now - n->prog_start_ms;
        double rate = ms ? (double)done * 1000.0 / (double)ms : 0;
        double pct = 100.0 * (double)done / (double)(done + behind);
        fprintf(n->log, "\r\033[Ksync: %llu entries, %.0f entries/s, %.1f%%, %llu to go",
                (unsigned long long)done, rate, pct, (unsigned long long)behind);
        fflush(n->log);
        n->prog_shown = 1;
    }
}

/* ---- peers and dialling ----------------------------------------------------- */

static void dial(node_t *n, dialer_t *d);

static void sync_dialers(node_t *n)
{
    for (size_t i = 0; i < n->ndialers; i++)
        n->dialers[i]->live = 0;
    for (size_t p = 0; p < n->peers.n; p++) {
        const node_peer_t *peer = &n->peers.v[p];
        dialer_t *d = NULL;
        if (!peer->address[0])
            continue;
        for (size_t i = 0; i < n->ndialers; i++)
            if (!memcmp(n->dialers[i]->id, peer->id, 32))
                d = n->dialers[i];
        if (!d) {
            /* dialers never move (sessions point at them): an array of pointers */
            dialer_t **v = realloc(n->dialers, (n->ndialers + 1) * sizeof *v);
            if (!v)
                continue;
            n->dialers = v;
            if (!(d = calloc(1, sizeof *d)))
                continue;
            n->dialers[n->ndialers++] = d;
            memset(d, 0, sizeof *d);
            memcpy(d->id, peer->id, 32);
            d->node = n;
            d->next_ms = node_now(n);
        }
        if (strcmp(d->address, peer->address) != 0) {
            snprintf(d->address, sizeof d->address, "%s", peer->address);
            d->attempts = 0;
            d->next_ms = node_now(n);
            d->logged[0] = '\0';
        }
        d->live = 1;
    }
}

/* Reloads peers.json when it changed; drops sessions of removed peers. */
static void reload_peers(node_t *n, int force)
{
    char path[4200];
    struct stat sb;
    node_peers_t fresh;
    ledger_err_t err;
    snprintf(path, sizeof path, "%s/peers.json", n->home_path);
    if (stat(path, &sb) != 0)
        memset(&sb, 0, sizeof sb);
    if (!force && sb.st_mtim.tv_sec == n->peers_mtime.tv_sec &&
        sb.st_mtim.tv_nsec == n->peers_mtime.tv_nsec)
        return;
    if (node_peers_load(n->home_path, &fresh, &err)) {
        node_log(n, "peer list not reloaded: %s", err.msg);
        n->peers_mtime = sb.st_mtim;
        return;
    }
    node_peers_free(&n->peers);
    n->peers = fresh;
    n->peers_mtime = sb.st_mtim;
    if (!force)
        node_log(n, "peer list reloaded: %zu peers", n->peers.n);
    for (session_t *s = n->sessions; s; s = s->next)
        if (s->have_peer && !node_peers_find(&n->peers, s->peer_id))
            node_session_close(s, "removed from the peer list");
    sync_dialers(n);
}

static void on_connect(uv_connect_t *req, int status);

/* Connects to d's address number d->addr_i. */
static void connect_addr(node_t *n, dialer_t *d)
{
    char ip[64] = "?";
    session_t *s;
    int rc;
    const struct sockaddr *sa = (const struct sockaddr *)&d->addrs[d->addr_i];
    if (!(s = node_session_new(n, 1, d)))
        return;
    d->session = s;
    snprintf(s->addr, sizeof s->addr, "%s", d->address);
    s->connect_req.data = s;
    if ((rc = uv_tcp_connect(&s->connect_req, &s->tcp, sa, on_connect))) {
        if (sa->sa_family == AF_INET6)
            uv_ip6_name((const struct sockaddr_in6 *)sa, ip, sizeof ip);
        else
            uv_ip4_name((const struct sockaddr_in *)sa, ip, sizeof ip);
        node_session_close(s, NULL);
        node_dial_failed(n, d, "connect to %s: %s", ip, uv_strerror(rc));
    }
}

/* The connection of s (a dialled session, not yet authenticated) failed:
 * tries the next address of its name, if any; 1 when it did. */
static int node_dial_next(node_t *n, session_t *s)
{
    dialer_t *d = s->dialer;
    if (!d || n->stopping || !d->live || d->session != s || d->addr_i + 1 >= d->naddrs)
        return 0;
    node_session_close(s, NULL);
    d->addr_i++;
    connect_addr(n, d);
    return 1;
}

static void on_connect(uv_connect_t *req, int status)
{
    session_t *s = req->data;
    node_t *n = s->node;
    dialer_t *d = s->dialer;
    if (status < 0) {
        char ip[64] = "?";
        const struct sockaddr *sa;
        if (status == UV_ECANCELED || s->state == SES_CLOSING || !d) {
            node_session_close(s, NULL);
            return;
        }
        sa = (const struct sockaddr *)&d->addrs[d->addr_i];
        if (sa->sa_family == AF_INET6)
            uv_ip6_name((const struct sockaddr_in6 *)sa, ip, sizeof ip);
        else
            uv_ip4_name((const struct sockaddr_in *)sa, ip, sizeof ip);
        snprintf(d->last_error, sizeof d->last_error, "connect to %s: %s", ip, uv_strerror(status));
        if (node_dial_next(n, s)) /* the name has another address: try it */
            return;
        node_session_close(s, NULL);
        node_dial_failed(n, d, "connect to %s: %s", ip, uv_strerror(status));
        return;
    }
    node_session_start(s);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    dialer_t *d = req->data;
    node_t *n = d->node;
    char host[NODE_ADDR_MAX];
    int port;
    d->resolving = NULL;
    free(req);
    if (status == UV_EAI_CANCELED || n->stopping || !d->live) {
        uv_freeaddrinfo(res);
        return;
    }
    node_addr_split(d->address, host, sizeof host, &port, NULL);
    if (status < 0) {
        node_dial_failed(n, d, "cannot resolve %s: %s", host, uv_strerror(status));
        return;
    }
    d->naddrs = d->addr_i = 0;
    for (struct addrinfo *ai = res; ai && d->naddrs < NODE_DIAL_ADDRS; ai = ai->ai_next)
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
            ai->ai_addrlen <= sizeof d->addrs[0])
            memcpy(&d->addrs[d->naddrs++], ai->ai_addr, ai->ai_addrlen);
    uv_freeaddrinfo(res);
    if (d->naddrs == 0) {
        node_dial_failed(n, d, "cannot resolve %s: it has no IPv4 or IPv6 address", host);
        return;
    }
    connect_addr(n, d);
}

/* One attempt: an IP address is dialled at once; a name is resolved first,
 * on libuv's thread pool (getaddrinfo blocks), again at every attempt. */
static void dial(node_t *n, dialer_t *d)
{
    char host[NODE_ADDR_MAX], portstr[8];
    int port, kind, rc;
    ledger_err_t err;
    struct addrinfo hints;
    uv_getaddrinfo_t *req;
    if (node_addr_check(d->address, &kind, &err) ||
        node_addr_split(d->address, host, sizeof host, &port, &err)) {
        node_dial_failed(n, d, "%s", err.msg);
        return;
    }
    memset(&d->addrs[0], 0, sizeof d->addrs[0]);
    d->naddrs = 1;
    d->addr_i = 0;
    if (kind == NODE_HOST_IP4) {
        uv_ip4_addr(host, port, (struct sockaddr_in *)&d->addrs[0]);
        connect_addr(n, d);
        return;
    }
    if (kind == NODE_HOST_IP6) {
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&d->addrs[0]);
        connect_addr(n, d);
        return;
    }
    d->naddrs = 0;
    if (!(req = calloc(1, sizeof *req)))
        return;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    snprintf(portstr, sizeof portstr, "%d", port);
    req->data = d;
    d->resolving = req;
    if ((rc = uv_getaddrinfo(n->loop, req, on_resolved, host, portstr, &hints))) {
        d->resolving = NULL;
        free(req);
        node_dial_failed(n, d, "cannot resolve %s: %s", host, uv_strerror(rc));
    }
}

static void dial_due(node_t *n, uint64_t now)
{
    for (size_t i = 0; i < n->ndialers; i++) {
        dialer_t *d = n->dialers[i];
        if (!d->live || d->session || d->resolving || now < d->next_ms)
            continue;
        if (node_find_ready(n, d->id, NULL))
            continue; /* the partner is connected in: no need to dial */
        {
            uint64_t base = NODE_BACKOFF_MIN_MS << (d->attempts < 5 ? d->attempts : 5);
            if (base > NODE_BACKOFF_MAX_MS)
                base = NODE_BACKOFF_MAX_MS;
            /* full delay between a half and the whole of base: jitter keeps
             * partners that restarted together from dialling in lock step */
            d->next_ms = now + base / 2 + randombytes_uniform((uint32_t)(base / 2 + 1));
            d->attempts++;
        }
        dial(n, d);
    }
}

/* ---- listener --------------------------------------------------------------- */

static void peer_addr(uv_tcp_t *tcp, char *out, size_t len)
{
    struct sockaddr_storage sa;
    int salen = sizeof sa;
    char ip[64] = "?";
    snprintf(out, len, "?");
    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&sa, &salen) != 0)
        return;
    if (sa.ss_family == AF_INET) {
        uv_ip4_name((struct sockaddr_in *)&sa, ip, sizeof ip);
        snprintf(out, len, "%s:%d", ip, ntohs(((struct sockaddr_in *)&sa)->sin_port));
    } else {
        uv_ip6_name((struct sockaddr_in6 *)&sa, ip, sizeof ip);
        snprintf(out, len, "[%s]:%d", ip, ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
    }
}

/* Room for the new inbound connection s: closes the oldest other inbound
 * handshake when NODE_HS_MAX are under way; 0 (s must be closed) when the
 * node has more than NODE_CONN_MAX connections with s. */
static int make_room(node_t *n, session_t *s)
{
    session_t *oldest = NULL;
    size_t hs = 0;
    if (n->nsessions > NODE_CONN_MAX) {
        node_log_from(n, s->addr, "refused a connection from %s: %d connections already", s->addr,
                      NODE_CONN_MAX);
        return 0;
    }
    for (session_t *o = n->sessions; o; o = o->next)
        if (o != s && o->state == SES_HANDSHAKE && !o->initiator) {
            hs++;
            oldest = o; /* the list is newest first */
        }
    if (hs >= NODE_HS_MAX && oldest) {
        node_log_from(n, oldest->addr,
                      "closed the connection from %s: %d handshakes under way, it is the oldest",
                      oldest->addr, NODE_HS_MAX);
        node_session_close(oldest, NULL);
    }
    return 1;
}

static void on_incoming(uv_stream_t *server, int status)
{
    node_t *n = server->data;
    session_t *s;
    if (status < 0) {
        node_log_from(n, "accept", "accept failed: %s", uv_strerror(status));
        return;
    }
    if (!(s = node_session_new(n, 0, NULL)))
        return;
    if (uv_accept(server, (uv_stream_t *)&s->tcp) != 0) {
        node_session_close(s, NULL);
        return;
    }
    peer_addr(&s->tcp, s->addr, sizeof s->addr);
    snprintf(s->peer_label, sizeof s->peer_label, "%s", s->addr);
    if (!make_room(n, s)) {
        node_session_close(s, NULL);
        return;
    }
    if (n->nsessions > n->peak_sessions)
        n->peak_sessions = n->nsessions;
    node_session_start(s);
}

/* After a flood (many connections, then few): give the freed memory back
 * to the system.  main() keeps glibc from trimming on every free (record's
 * speed), so without this a burst of connections would keep its peak RSS. */
static void give_back_memory(node_t *n)
{
    if (n->peak_sessions < 32 || n->nsessions > n->peak_sessions / 4)
        return;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    n->peak_sessions = n->nsessions;
}

static int start_listener(node_t *n, const char *addr, ledger_err_t *err)
{
    char host[NODE_ADDR_MAX];
    int port, rc;
    struct sockaddr_storage sa;
    if ((rc = node_addr_split(addr, host, sizeof host, &port, err)))
        return rc;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&sa) &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa))
        return ledger_err_set(err, LEDGER_EINPUT, "--listen %s: %s is not an IP address", addr,
                              host);
    uv_tcp_init(n->loop, &n->listener);
    n->listener.data = n;
    n->listening = 1;
    if ((rc = uv_tcp_bind(&n->listener, (struct sockaddr *)&sa, 0)) ||
        (rc = uv_listen((uv_stream_t *)&n->listener, NODE_BACKLOG, on_incoming)))
        return ledger_err_set(err, LEDGER_EIO, "cannot listen on %s: %s", addr, uv_strerror(rc));
    snprintf(n->listen_addr, sizeof n->listen_addr, "%s", addr);
    return 0;
}

/* ---- HTTP ------------------------------------------------------------------- */

/* A capture stored events: tell the partners now (during an open group
 * commit, the tick does it right after the commit). */
static void on_captured(void *ctx, size_t events)
{
    node_t *n = ctx;
    (void)events;
    if (!n->stopping && !n->ingest)
        refresh_heads(n);
}

/* ---- state file -------------------------------------------------------------- */

static void write_state(node_t *n)
{
    json_t *o = json_object(), *peers = json_array();
    char hex[65];
    ledger_err_t err;
    json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(o, "id", json_string(ledger_hex(n->self, 32, hex)));
    json_object_set_new(o, "name", json_string(n->name));
    json_object_set_new(o, "listen", n->listen_addr[0] ? json_string(n->listen_addr) : json_null());
    json_object_set_new(o, "updated", json_integer((json_int_t)wall_ms()));
    for (size_t i = 0; i < n->peers.n; i++) {
        const node_peer_t *p = &n->peers.v[i];
        json_t *po = json_object();
        session_t *s = node_find_ready(n, p->id, NULL);
        json_object_set_new(po, "id", json_string(ledger_hex(p->id, 32, hex)));
        if (s)
            node_session_state(s, po);
        else {
            const char *state = "disconnected", *e = NULL;
            for (size_t k = 0; k < n->ndialers; k++)
                if (!memcmp(n->dialers[k]->id, p->id, 32)) {
                    const dialer_t *d = n->dialers[k];
                    state = d->session ? "connecting" : "waiting";
                    if (d->last_error[0])
                        e = d->last_error;
                    json_object_set_new(
                        po, "nextAttemptMs",
                        json_integer(
                            (json_int_t)(d->next_ms > node_now(n) ? d->next_ms - node_now(n) : 0)));
                }
            if (!p->address[0])
                state = "disconnected";
            json_object_set_new(po, "state", json_string(state));
            if (e)
                json_object_set_new(po, "error", json_string(e));
        }
        json_array_append_new(peers, po);
    }
    json_object_set_new(o, "peers", peers);
    json_object_set(o, "names", n->names);
    node_nats_state(n->nats, n->heads, n->nheads, o);
    node_cnats_state(n->cnats, o);
    if (node_state_write(n->home_path, o, &err))
        node_log(n, "cannot write node.json: %s", err.msg);
    json_decref(o);
}

/* ---- the stream (node_nats.h) ------------------------------------------------ */

static void nats_log(void *ctx, const char *line)
{
    node_log(ctx, "%s", line);
}

static void nats_wake(void *ctx)
{
    node_t *n = ctx;
    node_nats_poll(n->nats, n->heads, n->nheads);
}

/* The acknowledged positions into the store, in a write transaction of
 * their own: never inside the open group commit. */
static void save_stream_positions(node_t *n)
{
    ledger_err_t err;
    if (n->nats && !n->ingest && node_nats_save(n->nats, &err))
        node_log(n, "stream: cannot keep the stream positions: %s (tried again)", err.msg);
}

static int start_stream(node_t *n, ledger_err_t *err)
{
    node_stream_conf_t sc;
    int rc;
    if ((rc = node_stream_conf_load(n->home_path, &sc, err)))
        return rc;
    if (n->opt.stream) {
        if ((rc = node_stream_servers_ok(n->opt.stream, err)))
            return rc;
        snprintf(sc.servers, sizeof sc.servers, "%s", n->opt.stream);
    }
    if (!sc.servers[0])
        return 0;
    return node_nats_new(n->loop, n->st, &sc, nats_log, nats_wake, n, &n->nats, err);
}

/* ---- the capture from a stream (node_capture_nats.h) ------------------------- */

static void cnats_stored(void *ctx, size_t events)
{
    node_t *n = ctx;
    (void)events;
    if (!n->stopping && !n->ingest)
        refresh_heads(n);
}

static int start_capture(node_t *n, ledger_err_t *err)
{
    node_cnats_conf_t cc;
    int rc;
    if ((rc = node_cnats_conf_load(n->home_path, &cc, err)))
        return rc;
    if (n->opt.capture_from && (rc = node_cnats_url_parse(n->opt.capture_from, &cc, err)))
        return rc;
    if (!cc.servers[0])
        return 0;
    return node_cnats_new(n->loop, n->st, n->id, &cc, nats_log, cnats_stored, n, &n->cnats, err);
}

/* ---- tick, signals, run ---------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
    node_t *n = t->data;
    uint64_t now = node_now(n);
    if (n->stopping)
        return;
    reload_peers(n, 0);
    commit_due(n);
    refresh_heads(n);
    save_stream_positions(n);
    for (session_t *s = n->sessions, *next; s; s = next) {
        next = s->next;
        node_session_tick(s, now);
    }
    dial_due(n, now);
    node_log_flush(n, now, 0);
    give_back_memory(n);
    if (now - n->last_state_ms >= 1000 || n->names_dirty) {
        write_state(n);
        n->last_state_ms = now;
        n->names_dirty = 0;
    }
    show_progress(n, now);
}

/* Another process (keten record) committed to the store: push at once
 * rather than at the next tick. */
static void on_db_change(uv_fs_event_t *h, const char *file, int events, int status)
{
    node_t *n = h->data;
    (void)file;
    (void)events;
    if (status == 0 && !n->stopping && !n->ingest)
        refresh_heads(n);
}

static void close_cb_noop(uv_handle_t *h)
{
    (void)h;
}

static void stop(node_t *n, const char *why)
{
    if (n->stopping)
        return;
    n->stopping = 1;
    node_sd_stopping();
    node_log_flush(n, node_now(n), 1);
    node_log(n, "stopping (%s)", why);
    commit_now(n);
    for (size_t i = 0; i < n->ndialers; i++)
        if (n->dialers[i]->resolving) /* its callback still comes, with UV_EAI_CANCELED */
            uv_cancel((uv_req_t *)n->dialers[i]->resolving);
    for (session_t *s = n->sessions, *next; s; s = next) {
        next = s->next;
        node_session_close(s, "node shutting down");
    }
    uv_close((uv_handle_t *)&n->tick, close_cb_noop);
    uv_close((uv_handle_t *)&n->check, close_cb_noop);
    uv_close((uv_handle_t *)&n->sigint, close_cb_noop);
    uv_close((uv_handle_t *)&n->sigterm, close_cb_noop);
    uv_close((uv_handle_t *)&n->sighup, close_cb_noop);
    if (n->wdog_on)
        uv_close((uv_handle_t *)&n->wdog, close_cb_noop);
    if (n->watching)
        uv_close((uv_handle_t *)&n->dbwatch, close_cb_noop);
    if (n->listening)
        uv_close((uv_handle_t *)&n->listener, close_cb_noop);
    node_http_close(n->http);
    n->http = NULL;
    node_capture_free(n->capture); /* waits for a capture being stored */
    n->capture = NULL;
    node_nats_stop(n->nats); /* keeps the last positions */
    node_cnats_stop(n->cnats); /* acks what is stored */
}

static void on_signal(uv_signal_t *h, int signum)
{
    stop(h->data, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

/* SIGHUP (systemctl reload): the peer list is read again at once; sessions
 * of peers still listed stay up, removed ones are closed, new ones dialled.
 * Then keten.json's "http" settings (node_web_reload): refused as a whole,
 * with the old ones kept, when they are wrong. */
static void on_sighup(uv_signal_t *h, int signum)
{
    node_t *n = h->data;
    ledger_err_t err;
    (void)signum;
    if (n->stopping)
        return;
    node_sd_reloading(0);
    reload_peers(n, 1);
    node_log(n, "SIGHUP: peer list read again: %zu peers", n->peers.n);
    if (node_web_reload(n, &err))
        node_log(n, "SIGHUP: HTTP settings not changed: %s", err.msg);
    node_sd_reloading(1);
}

static void on_wdog(uv_timer_t *t)
{
    (void)t;
    node_sd_watchdog(); /* from the loop itself: a stuck loop stops the pings */
}

int node_run(ledger_home_t *home, const ledger_identity_t *id, const node_options_t *opt,
             ledger_err_t *err)
{
    node_t n;
    uv_loop_t loop;
    int rc;
    char hex[65];

    memset(&n, 0, sizeof n);
    n.lock_fd = -1;
    n.opt = *opt;
    n.log = opt->log ? opt->log : stderr;
    n.journal = n.log == stderr && node_sd_stderr_is_journal();
    n.home = home;
    n.st = ledger_home_store(home);
    n.id = id;
    n.home_path = ledger_home_path(home);
    memcpy(n.self, ledger_home_id(home), 32);
    snprintf(n.name, sizeof n.name, "%s", ledger_home_name(home));
    /* one node per home: two would dial the same partners and replace each
     * other's sessions every second */
    if ((rc = node_lock_take(n.home_path, &n.lock_fd, err)))
        return rc;
    if ((rc = node_netkey_read(n.home_path, n.netkey, err))) {
        node_lock_release(n.lock_fd);
        return rc;
    }
    n.rbuf_len = 65536;
    if (!(n.names = json_object()) || !(n.rbuf = malloc(n.rbuf_len))) {
        json_decref(n.names);
        free(n.rbuf);
        node_lock_release(n.lock_fd);
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    {
        /* names learned in an earlier run */
        json_t *old = node_state_read(n.home_path);
        json_t *nm = json_object_get(old, "names");
        if (json_is_object(nm))
            json_object_update(n.names, nm);
        json_decref(old);
    }
    signal(SIGPIPE, SIG_IGN);
    if ((rc = uv_loop_init(&loop))) {
        json_decref(n.names);
        free(n.rbuf);
        node_lock_release(n.lock_fd);
        return ledger_err_set(err, LEDGER_EIO, "cannot start the event loop: %s", uv_strerror(rc));
    }
    n.loop = &loop;
    reload_peers(&n, 1);
    if (opt->listen && (rc = start_listener(&n, opt->listen, err)))
        goto fail;
    if ((rc = node_web_start(&n, on_captured, err)) || (rc = start_stream(&n, err)) ||
        (rc = start_capture(&n, err)))
        goto fail;
    uv_signal_init(&loop, &n.sigint);
    uv_signal_init(&loop, &n.sigterm);
    n.sigint.data = n.sigterm.data = &n;
    uv_signal_start(&n.sigint, on_signal, SIGINT);
    uv_signal_start(&n.sigterm, on_signal, SIGTERM);
    uv_signal_init(&loop, &n.sighup);
    n.sighup.data = &n;
    uv_signal_start(&n.sighup, on_sighup, SIGHUP);
    uv_timer_init(&loop, &n.tick);
    n.tick.data = &n;
    uv_check_init(&loop, &n.check);
    n.check.data = &n;
    uv_check_start(&n.check, on_check);
    {
        char dbdir[4200];
        snprintf(dbdir, sizeof dbdir, "%s/db", n.home_path);
        uv_fs_event_init(&loop, &n.dbwatch);
        n.dbwatch.data = &n;
        n.watching = uv_fs_event_start(&n.dbwatch, on_db_change, dbdir, 0) == 0;
        if (!n.watching) /* the 200 ms tick still notices new entries */
            uv_close((uv_handle_t *)&n.dbwatch, close_cb_noop);
    }
    refresh_heads(&n);
    node_log(&n, "%s (%s) up%s%s%s%s, %zu peers, %zu feeds", n.name, ledger_hex(n.self, 32, hex),
             n.listen_addr[0] ? ", listening on " : "", n.listen_addr,
             n.http_addr[0] ? ", HTTP on http://" : "", n.http_addr, n.peers.n, n.nheads);
    write_state(&n);
    {
        char status[400];
        uint64_t wd = node_sd_watchdog_ms();
        snprintf(status, sizeof status, "up%s%s, %zu peers, %zu feeds",
                 n.listen_addr[0] ? ", listening on " : "", n.listen_addr, n.peers.n, n.nheads);
        node_sd_ready(status);
        if (wd) {
            uv_timer_init(&loop, &n.wdog);
            n.wdog_on = 1;
            uv_timer_start(&n.wdog, on_wdog, 0, wd);
        }
    }
    uv_timer_start(&n.tick, on_tick, 0, 200);
    uv_run(&loop, UV_RUN_DEFAULT);
    commit_now(&n);
    n.stopping = 1;
    write_state(&n);
    node_log(&n, "stopped");
    rc = 0;
    goto out;
fail:
    node_nats_stop(n.nats);
    node_cnats_stop(n.cnats);
    if (n.listening)
        uv_close((uv_handle_t *)&n.listener, close_cb_noop);
    node_http_close(n.http);
    node_capture_free(n.capture);
    n.capture = NULL;
    uv_run(&loop, UV_RUN_DEFAULT);
out:
    uv_loop_close(&loop);
    node_namedq_close(n.namedq);
    node_subs_free(n.subs); /* after the HTTP server's connections are closed */
    node_nats_free(n.nats);
    node_cnats_free(n.cnats);
    node_resolve_free(n.resolve);
    node_page_free(n.page);
    node_query_free(n.query);
    for (size_t i = 0; i < sizeof n.cors / sizeof n.cors[0]; i++)
        node_cors_free(n.cors[i]);
    node_tokens_close(n.tokens);
    if (n.ingest)
        ledger_ingest_abort(n.ingest);
    node_peers_free(&n.peers);
    for (size_t i = 0; i < n.ndialers; i++)
        free(n.dialers[i]);
    free(n.dialers);
    free(n.heads);
    free(n.rbuf);
    json_decref(n.names);
    node_lock_release(n.lock_fd);
    return rc;
}
