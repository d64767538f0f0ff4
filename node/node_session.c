/* node_session.c -- one connection between two nodes: handshake, encrypted
 * frames, and the sync protocol of docs/protocol.md.
 *
 * Life of a session: node_session_new() (a TCP handle; dialled or accepted),
 * node_session_start() (reading; the dialler sends M1), the handshake
 * (node_hs.h) until both identities are proven, then READY: both sides send
 * HELLO, NAMES and HEADS.  Each side asks (WANT) for what the other has
 * ahead of it; the asked side keeps a subscription per feed and pumps
 * ENTRIES batches while less than NODE_QUEUE_MAX bytes wait in the socket's
 * queue, and again whenever writes complete or the store grows.  Received
 * batches go to the node's open group commit (ledger_replica.h) and are
 * stored when the loop iteration ends.  node_session_close() sends BYE with the
 * reason, shuts the socket down and frees the session in the close
 * callback; the node forgets it at once.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "ledger_note.h"

#include "node_session.h"
#include "node_state.h"
#include "node_witness.h"

typedef struct write_req {
    uv_write_t req;
    session_t *s;
    uint8_t *data;
    size_t len;
} write_req_t;

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *label(session_t *s)
{
    return s->peer_label[0] ? s->peer_label : s->addr;
}

static void set_label(session_t *s)
{
    char hex[65];
    const char *name = node_feed_name(s->node, s->peer_id);
    ledger_hex(s->peer_id, 32, hex);
    hex[12] = '\0';
    if (name[0])
        snprintf(s->peer_label, sizeof s->peer_label, "%s (%s…)", name, hex);
    else
        snprintf(s->peer_label, sizeof s->peer_label, "%s… at %s", hex, s->addr);
}

/* ---- writing ------------------------------------------------------------------ */

static void on_write(uv_write_t *req, int status)
{
    write_req_t *w = (write_req_t *)req;
    session_t *s = w->s;
    s->queued -= w->len;
    free(w->data);
    free(w);
    if (status < 0 && s->state != SES_CLOSING) {
        node_log(s->node, "session with %s: write failed: %s", label(s), uv_strerror(status));
        node_session_close(s, NULL);
        return;
    }
    if (s->state == SES_READY && s->queued < NODE_QUEUE_MAX / 2)
        node_session_pump(s);
}

/* Hands buf's bytes to the socket (buf is emptied; its memory moves). */
static int write_raw(session_t *s, ledger_buf_t *buf)
{
    write_req_t *w;
    uv_buf_t ub;
    int rc;
    if (buf->len == 0)
        return 0;
    if (!(w = malloc(sizeof *w)))
        return -1;
    w->s = s;
    w->data = buf->data;
    w->len = buf->len;
    buf->data = NULL;
    buf->len = buf->cap = 0;
    ub = uv_buf_init((char *)w->data, (unsigned)w->len);
    s->queued += w->len;
    if ((rc = uv_write(&w->req, (uv_stream_t *)&s->tcp, &ub, 1, on_write))) {
        s->queued -= w->len;
        free(w->data);
        free(w);
        return -1;
    }
    s->last_tx_ms = node_now(s->node);
    return 0;
}

/* Encrypts one message and sends it; closes the session on failure. */
static int send_msg(session_t *s, ledger_buf_t *msg, int final)
{
    ledger_buf_t frame = LEDGER_BUF_INIT;
    ledger_err_t err;
    if (s->state == SES_CLOSING && !final)
        return -1;
    if (node_tx_frame(s->tx, msg->data, msg->len, final, &frame, &err)) {
        node_log(s->node, "session with %s: cannot send: %s", label(s), err.msg);
        ledger_buf_free(&frame);
        return -1;
    }
    ledger_buf_reset(msg);
    if (write_raw(s, &frame)) {
        ledger_buf_free(&frame);
        return -1;
    }
    return 0;
}

/* ---- lifecycle ---------------------------------------------------------------- */

static void on_closed(uv_handle_t *h)
{
    session_t *s = h->data;
    node_hs_free(s->hs);
    node_tx_free(s->tx);
    node_rx_free(s->rx);
    ledger_buf_free(&s->in);
    free(s->subs);
    free(s->wants);
    free(s->peer_heads);
    node_witness_free(s);
    free(s->scratch_p);
    free(s->scratch_n);
    free(s);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    session_t *s = req->data;
    (void)status;
    uv_close((uv_handle_t *)&s->tcp, on_closed);
}

session_t *node_session_new(node_t *n, int initiator, dialer_t *d)
{
    session_t *s = calloc(1, sizeof *s);
    if (!s) {
        node_log(n, "out of memory for a session");
        return NULL;
    }
    s->node = n;
    s->initiator = initiator;
    s->dialer = d;
    s->state = SES_HANDSHAKE;
    s->started_ms = s->last_rx_ms = s->last_tx_ms = node_now(n);
    uv_tcp_init(n->loop, &s->tcp);
    uv_tcp_nodelay(&s->tcp, 1);
    s->tcp.data = s;
    if (d) {
        memcpy(s->peer_id, d->id, 32);
        snprintf(s->addr, sizeof s->addr, "%s", d->address);
    }
    s->next = n->sessions;
    n->sessions = s;
    n->nsessions++;
    return s;
}

void node_session_close(session_t *s, const char *reason)
{
    node_t *n = s->node;
    int was_ready = s->state == SES_READY;
    if (s->state == SES_CLOSING)
        return;
    if (reason && s->have_peer)
        node_log(n, "closing the session with %s: %s", label(s), reason);
    if (was_ready && reason) {
        ledger_buf_t m = LEDGER_BUF_INIT;
        if (!node_msg_bye(&m, reason, NULL))
            send_msg(s, &m, 1);
        ledger_buf_free(&m);
    }
    s->state = SES_CLOSING;
    node_session_gone(n, s);
    if (s->dialer) {
        if (was_ready) { /* it was up: try again soon, from the smallest backoff */
            s->dialer->attempts = 0;
            s->dialer->next_ms = node_now(n) + NODE_BACKOFF_MIN_MS;
        }
        s->dialer = NULL;
    }
    uv_read_stop((uv_stream_t *)&s->tcp);
    s->shutdown_req.data = s;
    if (!was_ready || uv_shutdown(&s->shutdown_req, (uv_stream_t *)&s->tcp, on_shutdown) != 0)
        uv_close((uv_handle_t *)&s->tcp, on_closed);
}

/* ---- subscriptions, wants, heads ---------------------------------------------- */

static sub_t *find_sub(session_t *s, const uint8_t feed[32])
{
    for (size_t i = 0; i < s->nsubs; i++)
        if (!memcmp(s->subs[i].feed, feed, 32))
            return &s->subs[i];
    return NULL;
}

static want_t *find_want(session_t *s, const uint8_t feed[32])
{
    for (size_t i = 0; i < s->nwants; i++)
        if (!memcmp(s->wants[i].feed, feed, 32))
            return &s->wants[i];
    return NULL;
}

static node_head_t *peer_head(session_t *s, const uint8_t feed[32], int create)
{
    node_head_t *v;
    for (size_t i = 0; i < s->npeer_heads; i++)
        if (!memcmp(s->peer_heads[i].feed, feed, 32))
            return &s->peer_heads[i];
    if (!create || !(v = realloc(s->peer_heads, (s->npeer_heads + 1) * sizeof *v)))
        return NULL;
    s->peer_heads = v;
    memset(&v[s->npeer_heads], 0, sizeof *v);
    memcpy(v[s->npeer_heads].feed, feed, 32);
    return &v[s->npeer_heads++];
}

/* The peer now holds a feed it did not. A checkpoint gossiped to it
 * before may have carried a cosignature by that feed's key, which it
 * dropped then (a witness whose feed it did not hold: ledger_witness.h);
 * so every note is sent to it once more (node_witness_gossip), else that
 * cosignature would never reach it while the checkpoint stays the same. */
static void peer_holds_more(session_t *s)
{
    node_witness_free(s);
}

static void send_want(session_t *s, const uint8_t feed[32], uint64_t from, uint64_t to)
{
    ledger_buf_t m = LEDGER_BUF_INIT;
    want_t *w = find_want(s, feed);
    if (!w) {
        want_t *v = realloc(s->wants, (s->nwants + 1) * sizeof *v);
        if (!v)
            return;
        s->wants = v;
        w = &v[s->nwants++];
        memcpy(w->feed, feed, 32);
    }
    w->to = to;
    if (!node_msg_want(&m, feed, from, to, NULL))
        send_msg(s, &m, 0);
    ledger_buf_free(&m);
}

/* What the peer's head of a feed asks of us: subscribe when it is ahead,
 * fetch the single entry when the chains differ at a seq we both hold. */
static void consider(session_t *s, const node_head_t *ph)
{
    node_t *n = s->node;
    const node_head_t *lh = node_head(n, ph->feed);
    uint64_t have = lh ? lh->seq : 0;
    want_t *w = find_want(s, ph->feed);
    uint8_t mine[32];
    if (lh && (lh->flags & 1))
        return; /* forked here: nothing more of it is accepted */
    if (ph->seq > have) {
        if (!w || w->to != 0)
            send_want(s, ph->feed, have + 1, 0);
        return;
    }
    if (ph->seq == 0 || (w && w->to == ph->seq))
        return;
    if (ledger_replica_hash(n->st, ph->feed, ph->seq, mine, NULL) == 0 &&
        memcmp(mine, ph->hash, 32) != 0)
        send_want(s, ph->feed, ph->seq, ph->seq); /* fork evidence */
}

void node_session_send_heads(session_t *s, const node_head_t *heads, size_t n)
{
    const size_t per = (NODE_FRAME_MAX - 16) / NODE_HEAD_WIRE_LEN;
    for (size_t off = 0; off < n; off += per) {
        ledger_buf_t m = LEDGER_BUF_INIT;
        uint32_t k = (uint32_t)(n - off < per ? n - off : per);
        if (!node_msg_heads(&m, heads + off, k, NULL))
            send_msg(s, &m, 0);
        ledger_buf_free(&m);
    }
}

static void send_names(session_t *s)
{
    node_t *n = s->node;
    size_t cap = 1 + n->peers.n + json_object_size(n->names), k = 0;
    uint8_t(*feeds)[32] = calloc(cap, 32);
    const char **names = calloc(cap, sizeof *names);
    const char *key;
    json_t *val;
    ledger_buf_t m = LEDGER_BUF_INIT;
    if (!feeds || !names)
        goto out;
    memcpy(feeds[k], n->self, 32);
    names[k++] = n->name;
    for (size_t i = 0; i < n->peers.n; i++)
        if (n->peers.v[i].name[0]) {
            memcpy(feeds[k], n->peers.v[i].id, 32);
            names[k++] = n->peers.v[i].name;
        }
    json_object_foreach(n->names, key, val)
    {
        if (strlen(key) == 64 && !ledger_unhex(key, feeds[k], 32) &&
            !node_peers_find(&n->peers, feeds[k]))
            names[k++] = json_string_value(val);
    }
    for (size_t i = 0; i < k; i++)
        if (strlen(names[i]) > NODE_NAME_MAX)
            names[i] = "";
    if (!node_msg_names(&m, (const uint8_t(*)[32])feeds, names, (uint32_t)k, NULL))
        send_msg(s, &m, 0);
out:
    ledger_buf_free(&m);
    free(feeds);
    free(names);
}

/* ---- pumping entries out ---------------------------------------------------- */

typedef struct {
    ledger_buf_t *buf;
    size_t start;
    uint64_t count;
    ledger_err_t *err;
} fill_t;

static int fill_entry(const uint8_t *bytes, size_t len, uint64_t seq, void *ctx)
{
    fill_t *f = ctx;
    (void)seq;
    f->count++;
    return node_msg_entries_add(f->buf, f->start, bytes, len, f->err);
}

/* Sends the newest checkpoint kept of sub's feed when the peer has the
 * entries it covers (all before sub->next) and has not had it: after each
 * batch, and (at most once a second) while the peer lacks one of all it
 * has.  0, or -1 when the session failed. */
static int send_checkpoint(session_t *s, sub_t *sub)
{
    node_t *n = s->node;
    ledger_buf_t note = LEDGER_BUF_INIT, m = LEDGER_BUF_INIT;
    uint64_t has = sub->next - 1, size, now = node_now(n);
    size_t nsigs = 0;
    int rc = 0;
    if (has == 0 || sub->ckpt_sent >= has || now - sub->ckpt_tried_ms < 1000)
        return 0;
    sub->ckpt_tried_ms = now;
    if (node_witness_note(n, sub->feed, &note, &nsigs, NULL) == 0 &&
        (size = ledger_checkpoint_size_of(sub->feed, (const char *)note.data, note.len)) >
            sub->ckpt_sent && size <= has &&
        note.len <= NODE_CHECKPOINT_MAX &&
        node_msg_checkpoint(&m, sub->feed, note.data, note.len, NULL) == 0) {
        sub->ckpt_sent = size;
        node_witness_sent(s, sub->feed, size, nsigs);
        s->checkpoints_out++;
        rc = send_msg(s, &m, 0) ? -1 : 0;
    }
    ledger_buf_free(&note);
    ledger_buf_free(&m);
    return rc;
}

/* Sends one batch for sub; 1 when it sent something, 0 when nothing to send,
 * -1 when the session failed. */
static int pump_one(session_t *s, sub_t *sub)
{
    node_t *n = s->node;
    const node_head_t *lh = node_head(n, sub->feed);
    const node_peer_t *peer = node_peer(n, s->peer_id);
    ledger_buf_t m = LEDGER_BUF_INIT;
    ledger_err_t err;
    fill_t f = {&m, 0, 0, &err};
    uint64_t next = sub->next;
    unsigned flags = 0;
    int rc;
    if (!lh || sub->next > lh->seq)
        return send_checkpoint(s, sub);
    if (!memcmp(sub->feed, n->self, 32) && peer && peer->sealed)
        flags |= LEDGER_RANGE_SEAL;
    ledger_err_clear(&err);
    if (node_msg_entries_begin(&m, sub->feed, sub->next, &f.start, NULL))
        goto oom;
    rc = ledger_replica_range(n->st, sub->feed, sub->next, sub->to, NODE_BATCH_ENTRIES,
                              NODE_BATCH_BYTES, flags, fill_entry, &f, &next, &err);
    if (rc == LEDGER_ENOTFOUND || (rc == 0 && f.count == 0)) {
        ledger_buf_free(&m);
        return 0;
    }
    if (rc) {
        node_log(n, "cannot read entries for %s: %s", label(s), err.msg);
        ledger_buf_free(&m);
        return 0;
    }
    sub->next = next;
    s->entries_out += f.count;
    rc = send_msg(s, &m, 0);
    ledger_buf_free(&m);
    if (rc)
        return -1;
    sub->ckpt_tried_ms = 0; /* new entries: look for a checkpoint of them now */
    return send_checkpoint(s, sub) ? -1 : 1;
oom:
    ledger_buf_free(&m);
    return -1;
}

void node_session_pump(session_t *s)
{
    size_t idle = 0;
    if (s->state != SES_READY || s->pumping)
        return;
    s->pumping = 1;
    while (s->state == SES_READY && s->queued < NODE_QUEUE_MAX && s->nsubs && idle < s->nsubs) {
        sub_t *sub;
        int r;
        s->rr %= s->nsubs;
        sub = &s->subs[s->rr];
        r = pump_one(s, sub);
        if (r < 0) {
            s->pumping = 0;
            node_session_close(s, NULL);
            return;
        }
        if (sub->to && sub->next > sub->to) { /* a range fully sent: done with it */
            s->subs[s->rr] = s->subs[--s->nsubs];
            idle = 0;
            continue;
        }
        idle = r ? 0 : idle + 1;
        s->rr++;
    }
    s->pumping = 0;
}

/* ---- receiving ------------------------------------------------------------------ */

static void protocol_error(session_t *s, const char *fmt, const char *detail)
{
    char reason[1200];
    snprintf(reason, sizeof reason, fmt, detail);
    node_log(s->node, "peer %s: %s: disconnecting", label(s), reason);
    node_session_close(s, reason);
}

static void on_entries(session_t *s, const node_msg_t *m)
{
    node_t *n = s->node;
    const node_head_t *lh = node_head(n, m->feed);
    want_t *w = find_want(s, m->feed);
    ledger_ingest_t *in;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    size_t off = 0, k = 0;
    const uint8_t *e;
    size_t len;
    char hex[65];
    int rc;

    if (lh && (lh->flags & 1))
        return; /* forked here: accept nothing more of the feed */
    if (m->n > s->scratch_cap) {
        const uint8_t **p = realloc(s->scratch_p, m->n * sizeof *p);
        size_t *l = p ? realloc(s->scratch_n, m->n * sizeof *l) : NULL;
        if (p)
            s->scratch_p = p;
        if (!p || !l) {
            node_session_close(s, "out of memory");
            return;
        }
        s->scratch_n = l;
        s->scratch_cap = m->n;
    }
    while (node_msg_entry_next(m, &off, &e, &len)) {
        s->scratch_p[k] = e;
        s->scratch_n[k++] = len;
    }
    /* after a link mismatch only the single entry asked for is useful */
    if (w && w->to && m->from > w->to)
        return;
    if ((rc = node_ingest(n, &in, &err))) {
        node_log(n, "cannot store entries from %s: %s", label(s), err.msg);
        node_session_close(s, "receiver cannot store entries now");
        return;
    }
    memset(&rep, 0, sizeof rep);
    rc = ledger_ingest_add(in, m->feed, s->scratch_p, s->scratch_n, k, &rep, &err);
    s->entries_in += rep.accepted;
    n->prog_entries += rep.accepted;
    n->ingest_entries += rep.accepted + rep.duplicates;
    if (rep.accepted)
        s->last_sync_ms = wall_ms();
    {
        node_head_t *ph = peer_head(s, m->feed, 1);
        uint64_t last = m->from + k - 1;
        if (ph && !ph->seq && last)
            peer_holds_more(s);
        if (ph && last > ph->seq && !rep.link_mismatch)
            ph->seq = last;
        /* the peer said it has more of this feed: a bulk sync is under way */
        s->bulk_remaining = ph && ph->seq > last && !rep.link_mismatch ? ph->seq - last : 0;
    }
    if (rep.forked) {
        node_log(n,
                 "FORK: feed %s (%s) signed two different entries at seq %llu; %s sent the "
                 "second; both are kept as evidence and the feed accepts nothing more",
                 ledger_hex(m->feed, 32, hex), node_feed_name(n, m->feed),
                 (unsigned long long)rep.fork_seq, label(s));
        if (w && w->to)
            w->to = 0;
        node_session_close(s, "fork: two different entries for one feed and seq");
        return;
    }
    if (rc == 0)
        return;
    if (rep.link_mismatch) {
        /* the peer's chain differs at or before our head: get its entry at
         * our head's seq, which must differ from ours: the fork evidence */
        uint64_t have = lh ? lh->seq : 0;
        node_log(n,
                 "feed %s: %s sent entries that do not link to our head at seq %llu: "
                 "asking for its entry there",
                 ledger_hex(m->feed, 32, hex), label(s), (unsigned long long)have);
        if (have)
            send_want(s, m->feed, have, have);
        return;
    }
    if (rc == LEDGER_EVERIFY || rc == LEDGER_EINPUT || rc == LEDGER_ETOOBIG) {
        protocol_error(s, "bad entry: %s", err.msg);
        return;
    }
    node_log(n, "cannot store entries from %s: %s", label(s), err.msg);
    node_session_close(s, "receiver failed to store entries");
}

/* A partner's signed checkpoint of a feed: checked against the feed's tree
 * in the open group commit and kept when newer.  One the feed's key signed
 * for another history is logged as such and ends the session; a malformed
 * or badly signed one is a protocol error. */
static void on_checkpoint(session_t *s, const node_msg_t *m)
{
    node_t *n = s->node;
    ledger_ingest_t *in;
    ledger_err_t err;
    char hex[65];
    int kept, rc;
    if ((rc = node_ingest(n, &in, &err))) {
        node_log(n, "cannot store a checkpoint from %s: %s", label(s), err.msg);
        node_session_close(s, "receiver cannot store checkpoints now");
        return;
    }
    rc = ledger_ingest_checkpoint(in, m->feed, (const char *)m->body, m->body_len, &kept, &err);
    if (rc == 0 && kept == LEDGER_CKPT_FORK) {
        /* kept as evidence, the feed marked forked (committed with the
         * rest of this ingest) */
        node_log(n, "FORK: feed %s (%s): %s sent a checkpoint of another history: %s",
                 ledger_hex(m->feed, 32, hex), node_feed_name(n, m->feed), label(s), err.msg);
        node_session_close(s, "fork: a checkpoint of another history");
        return;
    }
    if (rc == 0) {
        s->checkpoints_in += kept == LEDGER_CKPT_KEPT;
        if ((rc = node_witness_take(s, in, m->feed, (const char *)m->body, m->body_len, &err)) ==
            0)
            return;
    }
    if (rc == LEDGER_EVERIFY || rc == LEDGER_EINPUT || rc == LEDGER_ETOOBIG) {
        protocol_error(s, "bad checkpoint: %s", err.msg);
        return;
    }
    node_log(n, "cannot store a checkpoint from %s: %s", label(s), err.msg);
    node_session_close(s, "receiver failed to store a checkpoint");
}

static void on_message(session_t *s, const uint8_t *p, size_t len)
{
    node_t *n = s->node;
    node_msg_t m;
    ledger_err_t err;
    ledger_buf_t out = LEDGER_BUF_INIT;
    if (node_msg_decode(p, len, &m, &err)) {
        protocol_error(s, "malformed message: %s", err.msg);
        return;
    }
    switch (m.type) {
    case NODE_MSG_HELLO:
        if (m.version != NODE_PROTO_VERSION) {
            char why[80];
            snprintf(why, sizeof why, "unsupported protocol version %u (this node speaks %d)",
                     m.version, NODE_PROTO_VERSION);
            node_log(n, "peer %s: %s", label(s), why);
            node_session_close(s, why);
            return;
        }
        node_learn_name(n, s->peer_id, m.text, m.text_len, 1);
        set_label(s);
        break;
    case NODE_MSG_NAMES: {
        size_t off = 0, nl;
        const uint8_t *feed;
        const char *name;
        while (node_msg_name_next(&m, &off, &feed, &name, &nl))
            node_learn_name(n, feed, name, nl, memcmp(feed, s->peer_id, 32) == 0);
        break;
    }
    case NODE_MSG_HEADS:
        for (uint32_t i = 0; i < m.n; i++) {
            node_head_t h, *ph;
            node_msg_head(&m, i, &h);
            if ((ph = peer_head(s, h.feed, 1))) {
                if (!ph->seq && h.seq)
                    peer_holds_more(s);
                *ph = h;
            }
            consider(s, &h);
        }
        break;
    case NODE_MSG_WANT: {
        sub_t *sub;
        if (m.from == 0 || (m.to && m.to < m.from)) {
            protocol_error(s, "%s", "WANT with an empty range");
            return;
        }
        if (!(sub = find_sub(s, m.feed))) {
            sub_t *v = realloc(s->subs, (s->nsubs + 1) * sizeof *v);
            if (!v)
                break;
            s->subs = v;
            sub = &v[s->nsubs++];
            memcpy(sub->feed, m.feed, 32);
        }
        sub->next = m.from;
        sub->to = m.to;
        sub->ckpt_sent = 0;
        sub->ckpt_tried_ms = 0;
        node_session_pump(s);
        break;
    }
    case NODE_MSG_ENTRIES:
        on_entries(s, &m);
        break;
    case NODE_MSG_CHECKPOINT:
        on_checkpoint(s, &m);
        break;
    case NODE_MSG_PING:
        if (!node_msg_ping(&out, 1, m.nonce, NULL))
            send_msg(s, &out, 0);
        break;
    case NODE_MSG_PONG:
        break;
    case NODE_MSG_BYE: {
        char why[256];
        snprintf(why, sizeof why, "%.*s", (int)(m.text_len < 200 ? m.text_len : 200), m.text);
        node_log(n, "%s closed the session: %s", label(s), why);
        s->state = SES_HANDSHAKE; /* no BYE back */
        node_session_close(s, NULL);
        break;
    }
    }
    ledger_buf_free(&out);
}

static int allow_peer(const uint8_t id[32], void *ctx)
{
    node_t *n = ctx;
    return node_peer(n, id) != NULL;
}

static void become_ready(session_t *s, const node_hs_result_t *res)
{
    node_t *n = s->node;
    ledger_buf_t out = LEDGER_BUF_INIT;
    ledger_err_t err;
    session_t *other;
    char hex[65];

    memcpy(s->peer_id, res->peer_id, 32);
    s->have_peer = 1;
    set_label(s);
    if ((other = node_find_ready(n, s->peer_id, s))) {
        /* one session per pair: keep the one dialled by the smaller ID, or
         * the newer when the same side dialled both */
        const uint8_t *mine = s->initiator ? n->self : s->peer_id;
        const uint8_t *theirs = other->initiator ? n->self : other->peer_id;
        int c = memcmp(mine, theirs, 32);
        if (c > 0) {
            node_log(n, "%s is already connected: dropping the second connection", label(s));
            node_session_close(s, NULL);
            return;
        }
        node_session_close(other, "replaced by a newer connection");
    }
    if (node_tx_new(res->tx_key, &out, &s->tx, &err) || node_rx_new(res->rx_key, &s->rx, &err)) {
        node_log(n, "session with %s: %s", label(s), err.msg);
        ledger_buf_free(&out);
        node_session_close(s, NULL);
        return;
    }
    write_raw(s, &out);
    ledger_buf_free(&out);
    s->state = SES_READY;
    s->last_sync_ms = 0;
    if (s->dialer)
        s->dialer->attempts = 0, s->dialer->last_error[0] = '\0', s->dialer->logged[0] = '\0';
    node_log(n, "connected %s %s, feed %s", s->initiator ? "to" : "from", label(s),
             ledger_hex(s->peer_id, 32, hex));
    if (!node_msg_hello(&out, n->name, NULL))
        send_msg(s, &out, 0);
    ledger_buf_free(&out);
    send_names(s);
    node_session_send_heads(s, n->heads, n->nheads);
}

static void consume(ledger_buf_t *b, size_t used)
{
    if (used == 0)
        return;
    memmove(b->data, b->data + used, b->len - used);
    b->len -= used;
}

/* What the first bytes of a connection look like, when not keten. */
static const char *protocol_hint(const uint8_t *p, size_t len)
{
    if (len >= 4 && (!memcmp(p, "GET ", 4) || !memcmp(p, "POST", 4) || !memcmp(p, "HEAD", 4) ||
                     !memcmp(p, "PUT ", 4) || !memcmp(p, "OPTI", 4) || !memcmp(p, "CONN", 4)))
        return " (it looks like HTTP)";
    if (len >= 3 && p[0] == 0x16 && p[1] == 0x03)
        return " (it looks like TLS)";
    if (len >= 4 && !memcmp(p, "SSH-", 4))
        return " (it looks like SSH)";
    return "";
}

/* More bytes wait in the socket (a keten peer sends nothing past its
 * handshake message until it gets the answer). */
static int more_waiting(session_t *s)
{
    uv_os_fd_t fd;
    char c;
    if (uv_fileno((uv_handle_t *)&s->tcp, &fd) != 0)
        return 0;
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* The handshake failed at the message the session waited for (1..4). */
static void handshake_failed(session_t *s, int waiting, int rc, const char *msg,
                             const uint8_t head[8], size_t headlen)
{
    node_t *n = s->node;
    char why[1100];
    snprintf(why, sizeof why, "%.1023s", msg);
    if (rc == LEDGER_EVERIFY && (waiting == 1 || waiting == 2) &&
        (s->hs_bytes > NODE_HS_M1_LEN || more_waiting(s) || protocol_hint(head, headlen)[0])) {
        /* a keten node sends its 64 bytes and waits for the answer: more is
         * not a keten handshake, whatever the bytes */
        if (waiting == 1)
            snprintf(why, sizeof why,
                     "not a keten handshake: more than %d bytes before our answer, where a keten "
                     "node sends %d and waits%s: random bytes or another protocol",
                     NODE_HS_M1_LEN, NODE_HS_M1_LEN, protocol_hint(head, headlen));
        else
            snprintf(why, sizeof why,
                     "not a keten node: it answered with more than %d bytes, where a keten node "
                     "answers %d%s",
                     NODE_HS_M2_LEN, NODE_HS_M2_LEN, protocol_hint(head, headlen));
    }
    if (s->dialer)
        node_dial_failed(n, s->dialer, "handshake: %s", why);
    else
        node_log_from(n, s->addr, "handshake with %s failed: %s", label(s), why);
}

/* The handshake state of s, made when it is needed: a server's when the
 * first bytes arrive (an idle connection costs no secure memory). */
static int hs_begin(session_t *s)
{
    node_t *n = s->node;
    node_hs_config_t cfg = {
        .initiator = s->initiator,
        .network_key = n->netkey,
        .id = n->id,
        .expect_peer = s->initiator ? s->peer_id : NULL,
        .allow = allow_peer,
        .allow_ctx = n,
    };
    ledger_err_t err;
    if (node_hs_new(&cfg, &s->hs, &err)) {
        node_log(n, "cannot start a handshake: %s", err.msg);
        node_session_close(s, NULL);
        return -1;
    }
    return 0;
}

static void process(session_t *s)
{
    ledger_err_t err;
    if (s->state == SES_HANDSHAKE && !s->hs && (s->initiator || s->in.len) && hs_begin(s))
        return;
    while (s->state == SES_HANDSHAKE && s->hs) {
        ledger_buf_t out = LEDGER_BUF_INIT;
        size_t used = 0, headlen = s->in.len < 8 ? s->in.len : 8;
        int waiting = node_hs_waiting(s->hs);
        uint8_t head[8];
        int rc;
        if (headlen)
            memcpy(head, s->in.data, headlen);
        rc = node_hs_feed(s->hs, s->in.data, s->in.len, &used, &out, &err);
        consume(&s->in, used);
        write_raw(s, &out);
        ledger_buf_free(&out);
        if (rc < 0) {
            handshake_failed(s, waiting, rc, err.msg, head, headlen);
            node_session_close(s, NULL);
            return;
        }
        if (rc == NODE_HS_DONE) {
            node_hs_result_t res;
            int ok = node_hs_get_result(s->hs, &res, &err) == 0;
            node_hs_free(s->hs);
            s->hs = NULL;
            if (!ok) {
                node_session_close(s, NULL);
                return;
            }
            become_ready(s, &res);
            sodium_memzero(&res, sizeof res);
            break;
        }
        if (used == 0)
            return; /* needs more bytes */
    }
    while (s->state == SES_READY && s->in.len) {
        const uint8_t *msg;
        size_t used = 0, mlen = 0;
        int final = 0;
        int rc = node_rx_feed(s->rx, s->in.data, s->in.len, &used, &msg, &mlen, &final, &err);
        if (rc < 0) {
            consume(&s->in, used);
            protocol_error(s, "%s", err.msg);
            return;
        }
        if (rc == 1) {
            /* the message is a view into the rx state or into s->in:
             * handle it before consuming */
            on_message(s, msg, mlen);
            if (s->state == SES_READY && final) {
                s->state = SES_HANDSHAKE; /* closed by the peer: no BYE back */
                node_session_close(s, NULL);
            }
        }
        if (s->state == SES_CLOSING)
            return;
        consume(&s->in, used);
        if (rc == 0)
            break;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    session_t *s = h->data;
    node_t *n = s->node;
    size_t len = n->rbuf_len;
    (void)suggested;
    /* before it is authenticated a connection reads a little at a time:
     * the rest waits in the kernel, not in our memory */
    if (s->state != SES_READY && len > NODE_HS_READ)
        len = NODE_HS_READ;
    *buf = uv_buf_init((char *)n->rbuf, (unsigned)len);
}

/* The connection ended before the handshake did. */
static void closed_in_handshake(session_t *s, ssize_t nread)
{
    node_t *n = s->node;
    int waiting = node_hs_waiting(s->hs);
    const char *how = nread == UV_EOF ? "closed by the partner" : uv_strerror((int)nread);
    if (s->dialer) {
        if (waiting == 2)
            node_dial_failed(n, s->dialer,
                             "%s during the handshake, before it answered our first message: "
                             "its network key differs from ours (it is in another chain), or it "
                             "is not a keten node, or it has too many connections",
                             how);
        else if (waiting == 4)
            node_dial_failed(n, s->dialer,
                             "%s during the handshake, after it checked our network key: this "
                             "node is not on its peer list (the partner must `keten peer add` "
                             "this node's ID), or a node with another ID listens there",
                             how);
        else
            node_dial_failed(n, s->dialer, "connection %s during the handshake", how);
    } else if (s->hs_bytes > 0 && s->hs_bytes < NODE_HS_M1_LEN)
        node_log_from(n, s->addr,
                      "connection from %s ended after %llu bytes: not a keten handshake "
                      "(its first message has %d)",
                      s->addr, (unsigned long long)s->hs_bytes, NODE_HS_M1_LEN);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    session_t *s = stream->data;
    node_t *n = s->node;
    (void)buf;
    if (nread == 0 || s->state == SES_CLOSING)
        return;
    if (nread < 0) {
        if (s->have_peer && s->state == SES_READY)
            node_log(n, "%s: connection %s", label(s),
                     nread == UV_EOF ? "closed by the peer" : uv_strerror((int)nread));
        else if (s->state == SES_HANDSHAKE)
            closed_in_handshake(s, nread);
        s->state = s->state == SES_READY ? SES_HANDSHAKE : s->state; /* no BYE */
        node_session_close(s, NULL);
        return;
    }
    s->last_rx_ms = node_now(n);
    if (s->state == SES_HANDSHAKE)
        s->hs_bytes += (uint64_t)nread;
    node_bytes_arrived(n); /* more entries may follow: node.c commits when quiet */
    if (ledger_buf_append(&s->in, n->rbuf, (size_t)nread)) {
        node_session_close(s, "out of memory");
        return;
    }
    process(s);
    /* a bulk sync grew the buffer to a frame: give it back when idle */
    if (s->state == SES_READY && s->in.len == 0 && s->in.cap > n->rbuf_len)
        ledger_buf_free(&s->in);
}

void node_session_start(session_t *s)
{
    s->started_ms = s->last_rx_ms = node_now(s->node);
    if (uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read)) {
        node_session_close(s, NULL);
        return;
    }
    if (s->initiator)
        process(s); /* produces M1 */
}

/* ---- timers and state ------------------------------------------------------- */

static uint64_t behind(session_t *s)
{
    uint64_t b = 0;
    for (size_t i = 0; i < s->npeer_heads; i++) {
        const node_head_t *lh = node_head(s->node, s->peer_heads[i].feed);
        uint64_t have = lh ? lh->seq : 0;
        if (lh && (lh->flags & 1))
            continue;
        if (s->peer_heads[i].seq > have)
            b += s->peer_heads[i].seq - have;
    }
    return b;
}

void node_session_tick(session_t *s, uint64_t now)
{
    if (s->state == SES_HANDSHAKE && now - s->started_ms > NODE_HS_TIMEOUT_MS) {
        if (s->dialer)
            node_dial_failed(s->node, s->dialer, "the handshake timed out (no answer in %d s)",
                             NODE_HS_TIMEOUT_MS / 1000);
        else
            node_log_from(s->node, s->addr, "handshake with %s timed out after %d s (%llu bytes)",
                          label(s), NODE_HS_TIMEOUT_MS / 1000, (unsigned long long)s->hs_bytes);
        node_session_close(s, NULL);
        return;
    }
    if (s->state != SES_READY)
        return;
    if (now - s->last_rx_ms > NODE_IDLE_MS) {
        node_session_close(s, "silent for 30 s");
        return;
    }
    if (now - s->last_tx_ms >= NODE_PING_MS) {
        ledger_buf_t m = LEDGER_BUF_INIT;
        if (!node_msg_ping(&m, 0, ++s->ping_nonce, NULL))
            send_msg(s, &m, 0);
        ledger_buf_free(&m);
    }
    if (behind(s) == 0)
        s->last_sync_ms = wall_ms();
    node_session_pump(s);
    if (s->state == SES_READY && s->queued < NODE_QUEUE_MAX && node_witness_gossip(s, now, send_msg))
        node_session_close(s, "cannot send a checkpoint");
}

void node_session_state(session_t *s, json_t *o)
{
    char when[40];
    json_object_set_new(o, "state", json_string("connected"));
    json_object_set_new(o, "direction", json_string(s->initiator ? "out" : "in"));
    json_object_set_new(o, "remote", json_string(s->addr));
    if (s->last_sync_ms) {
        time_t t = (time_t)(s->last_sync_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_set_new(o, "lastSync", json_string(when));
    } else
        json_object_set_new(o, "lastSync", json_null());
    json_object_set_new(o, "behind", json_integer((json_int_t)behind(s)));
    json_object_set_new(o, "entriesIn", json_integer((json_int_t)s->entries_in));
    json_object_set_new(o, "entriesOut", json_integer((json_int_t)s->entries_out));
    json_object_set_new(o, "checkpointsIn", json_integer((json_int_t)s->checkpoints_in));
    json_object_set_new(o, "checkpointsOut", json_integer((json_int_t)s->checkpoints_out));
    json_object_set_new(o, "queuedBytes", json_integer((json_int_t)s->queued));
}
