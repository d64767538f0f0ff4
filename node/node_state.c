/* node_state.c -- what a session may ask of the node (see node_state.h):
 * the log and its per-address rate limit, the clock, our heads, the peer
 * list and the names learned for feeds, the open group commit, dial
 * failures and the list of sessions.  Nothing here calls a session; the
 * loop itself is node.c. */
#include "node_state.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void node_log(node_t *n, const char *fmt, ...)
{
    struct timespec ts;
    struct tm tm;
    char when[40];
    va_list ap;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n->prog_shown) {
        fputs("\r\033[K", n->log);
        n->prog_shown = 0;
    }
    if (n->journal)
        fputs("keten node: ", n->log); /* journald stamps each line itself */
    else
        fprintf(n->log, "%s.%03ldZ keten node: ", when, ts.tv_nsec / 1000000);
    va_start(ap, fmt);
    vfprintf(n->log, fmt, ap);
    va_end(ap);
    fputc('\n', n->log);
    fflush(n->log);
}

static void vlog(node_t *n, const char *fmt, va_list ap)
{
    char line[1600];
    vsnprintf(line, sizeof line, fmt, ap);
    node_log(n, "%s", line);
}

/* The slot of addr's IP ("1.2.3.4:5" -> "1.2.3.4"); NULL when all are busy. */
static lograte_t *rate_slot(node_t *n, const char *addr, uint64_t now)
{
    char ip[64];
    const char *colon = strrchr(addr, ':');
    size_t len = colon ? (size_t)(colon - addr) : strlen(addr);
    lograte_t *free_slot = NULL;
    if (len >= sizeof ip)
        len = sizeof ip - 1;
    memcpy(ip, addr, len);
    ip[len] = '\0';
    for (size_t i = 0; i < NODE_LOG_SLOTS; i++) {
        lograte_t *r = &n->rate[i];
        if (r->ip[0] && !strcmp(r->ip, ip))
            return r;
        if (!r->ip[0] && !free_slot)
            free_slot = r;
    }
    if (!free_slot)
        return NULL;
    snprintf(free_slot->ip, sizeof free_slot->ip, "%s", ip);
    free_slot->start = now;
    free_slot->lines = 0;
    free_slot->suppressed = 0;
    return free_slot;
}

/* Ends the windows that are over: one summary line for what each held back. */
void node_log_flush(node_t *n, uint64_t now, int all)
{
    for (size_t i = 0; i < NODE_LOG_SLOTS; i++) {
        lograte_t *r = &n->rate[i];
        if (!r->ip[0] || (!all && now - r->start < NODE_LOG_WINDOW_MS))
            continue;
        if (r->suppressed)
            node_log(n,
                     "suppressed %llu similar lines about connections from %s in the last %llu s",
                     (unsigned long long)r->suppressed, r->ip,
                     (unsigned long long)((now - r->start + 999) / 1000));
        r->ip[0] = '\0';
    }
    if (n->rate_other && (all || now - n->rate_all_start >= NODE_LOG_WINDOW_MS)) {
        node_log(n, "suppressed %llu similar lines about connections from many other addresses",
                 (unsigned long long)n->rate_other);
        n->rate_other = 0;
    }
}

void node_log_from(node_t *n, const char *addr, const char *fmt, ...)
{
    uint64_t now = uv_now(n->loop);
    lograte_t *r;
    va_list ap;
    node_log_flush(n, now, 0);
    if (now - n->rate_all_start >= NODE_LOG_WINDOW_MS) {
        n->rate_all_start = now;
        n->rate_all_lines = 0;
    }
    if (!(r = rate_slot(n, addr, now))) {
        n->rate_other++;
        return;
    }
    if (r->lines >= NODE_LOG_BURST || n->rate_all_lines >= NODE_LOG_BURST_ALL) {
        r->suppressed++;
        return;
    }
    r->lines++;
    n->rate_all_lines++;
    va_start(ap, fmt);
    vlog(n, fmt, ap);
    va_end(ap);
}

uint64_t node_now(node_t *n)
{
    return uv_now(n->loop);
}

static int head_cmp(const void *a, const void *b)
{
    return memcmp(((const node_head_t *)a)->feed, ((const node_head_t *)b)->feed, 32);
}

const node_head_t *node_head(node_t *n, const uint8_t feed[32])
{
    node_head_t key;
    if (n->nheads == 0)
        return NULL;
    memcpy(key.feed, feed, 32);
    return bsearch(&key, n->heads, n->nheads, sizeof key, head_cmp);
}

const node_peer_t *node_peer(node_t *n, const uint8_t id[32])
{
    return node_peers_find(&n->peers, id);
}

const char *node_feed_name(node_t *n, const uint8_t feed[32])
{
    char hex[65];
    const node_peer_t *p;
    const char *s;
    if (memcmp(feed, n->self, 32) == 0)
        return n->name;
    if ((p = node_peers_find(&n->peers, feed)) && p->name[0])
        return p->name;
    s = json_string_value(json_object_get(n->names, ledger_hex(feed, 32, hex)));
    return s ? s : "";
}

void node_learn_name(node_t *n, const uint8_t feed[32], const char *name, size_t len, int prio)
{
    char hex[65], buf[NODE_NAME_MAX + 1];
    json_t *old, *cur;
    if (len == 0 || len > NODE_NAME_MAX || memcmp(feed, n->self, 32) == 0)
        return;
    memcpy(buf, name, len);
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++) /* a label for logs and status: no control bytes */
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = '?';
    ledger_hex(feed, 32, hex);
    old = json_object_get(n->names, hex);
    if (old && !prio)
        return;
    if (old && strcmp(json_string_value(old), buf) == 0)
        return;
    if (!(cur = json_string(buf)))
        return; /* not UTF-8: ignore the label */
    json_object_set_new(n->names, hex, cur);
    n->names_dirty = 1;
}

session_t *node_find_ready(node_t *n, const uint8_t id[32], session_t *except)
{
    for (session_t *s = n->sessions; s; s = s->next)
        if (s != except && s->state == SES_READY && s->have_peer && !memcmp(s->peer_id, id, 32))
            return s;
    return NULL;
}

int node_ingest(node_t *n, ledger_ingest_t **out, ledger_err_t *err)
{
    int rc;
    if (!n->ingest) {
        if ((rc = ledger_ingest_begin(n->st, &n->ingest, err)))
            return rc;
        n->ingest_entries = 0;
        n->ingest_started = node_now(n);
    }
    *out = n->ingest;
    return 0;
}

void node_bytes_arrived(node_t *n)
{
    n->ingest_busy = 1;
}

static const char *dialer_label(node_t *n, const dialer_t *d, char *buf, size_t len)
{
    char hex[65];
    const char *name = node_feed_name(n, d->id);
    ledger_hex(d->id, 32, hex);
    hex[12] = '\0';
    snprintf(buf, len, "%s%s(%s…) at %s", name, name[0] ? " " : "", hex, d->address);
    return buf;
}

void node_dial_failed(node_t *n, dialer_t *d, const char *fmt, ...)
{
    char label[500];
    uint64_t now = node_now(n);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->last_error, sizeof d->last_error, fmt, ap);
    va_end(ap);
    n->names_dirty = 1; /* node.json soon: status shows the reason */
    if (n->stopping || !d->live)
        return;
    if (!strcmp(d->logged, d->last_error) && now - d->logged_ms < NODE_DIAL_RELOG_MS)
        return; /* said already: the backoff retries quietly */
    node_log(n, "cannot connect to %s: %s (retrying with backoff)",
             dialer_label(n, d, label, sizeof label), d->last_error);
    snprintf(d->logged, sizeof d->logged, "%s", d->last_error);
    d->logged_ms = now;
}

void node_session_gone(node_t *n, session_t *s)
{
    session_t **pp = &n->sessions;
    while (*pp && *pp != s)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = s->next;
        n->nsessions--;
    }
    if (s->dialer && s->dialer->session == s)
        s->dialer->session = NULL;
}
