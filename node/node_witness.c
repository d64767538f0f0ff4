/* node_witness.c -- witnessing partners' checkpoints and gossiping the
 * cosigned notes (see node_witness.h).
 *
 * How it works.  node_witness_take runs right after a CHECKPOINT was taken
 * into the open group commit: ledger_ingest_cosigs merges the lines and,
 * for a witness peer, cosigns with the node's key, so the cosignature
 * commits with the rest of the ingest.  Gossip is state, not events: each
 * session keeps, per feed, the (size, number of cosignatures) of the last
 * note it sent, and once a second compares them with what the store holds
 * (ledger_store_cosigned reads committed data, so a cosignature goes out
 * on the round after its commit).  A feed is sent only to a peer whose
 * announced head covers the checkpoint: one that does not hold the
 * entries could not check it and would let it be.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_note.h"
#include "ledger_witness.h"
#include "node_msg.h"
#include "node_state.h"
#include "node_witness.h"

#define GOSSIP_EVERY_MS 1000

typedef struct node_gossip {
    uint8_t feed[32];
    uint64_t size;
    size_t nsigs;
} gossip_t;

int node_witness_take(session_t *s, ledger_ingest_t *in, const uint8_t feed[32],
                      const char *note, size_t len, ledger_err_t *err)
{
    node_t *n = s->node;
    /* the feed's owner decides: a partner added --no-witness is not
     * witnessed, whoever relays its checkpoints; every other feed is */
    const node_peer_t *owner = node_peer(n, feed);
    const ledger_identity_t *id = !owner || owner->witness ? n->id : NULL;
    ledger_witness_report_t rep;
    char hex[65];
    int rc = ledger_ingest_cosigs(in, feed, note, len, id, (uint64_t)time(NULL), &rep, err);
    if (rc)
        return rc;
    if (rep.dropped)
        node_log(n,
                 "feed %.16s (%s): %llu cosignature line(s) of the checkpoint from %s dropped: "
                 "%s",
                 ledger_hex(feed, 32, hex), node_feed_name(n, feed),
                 (unsigned long long)rep.dropped, s->peer_label, rep.dropped_msg);
    if (rep.refused)
        node_log(n, "WITNESS: %s (from %s)", rep.dropped_msg, s->peer_label);
    return 0;
}

int node_witness_note(node_t *n, const uint8_t feed[32], ledger_buf_t *note, size_t *nsigs,
                      ledger_err_t *err)
{
    size_t start = note->len;
    int rc = ledger_store_cosigned(n->st, feed, note, nsigs, err);
    if (rc || note->len - start <= NODE_CHECKPOINT_MAX)
        return rc;
    note->len = start;
    *nsigs = 0;
    return ledger_store_checkpoint(n->st, feed, note, err);
}

static gossip_t *gossip_of(session_t *s, const uint8_t feed[32])
{
    gossip_t *v;
    for (size_t i = 0; i < s->ngossip; i++)
        if (!memcmp(s->gossip[i].feed, feed, 32))
            return &s->gossip[i];
    if (!(v = realloc(s->gossip, (s->ngossip + 1) * sizeof *v)))
        return NULL;
    s->gossip = v;
    memset(&v[s->ngossip], 0, sizeof *v);
    memcpy(v[s->ngossip].feed, feed, 32);
    return &v[s->ngossip++];
}

void node_witness_sent(session_t *s, const uint8_t feed[32], uint64_t size, size_t nsigs)
{
    gossip_t *g = gossip_of(s, feed);
    if (g) {
        g->size = size;
        g->nsigs = nsigs;
    }
}

static uint64_t peer_has(session_t *s, const uint8_t feed[32])
{
    for (size_t i = 0; i < s->npeer_heads; i++)
        if (!memcmp(s->peer_heads[i].feed, feed, 32))
            return s->peer_heads[i].seq;
    return 0;
}

int node_witness_gossip(session_t *s, uint64_t now_ms, node_witness_send_fn send)
{
    node_t *n = s->node;
    if (s->state != SES_READY || now_ms - s->gossip_ms < GOSSIP_EVERY_MS)
        return 0;
    s->gossip_ms = now_ms;
    for (size_t i = 0; i < n->nheads; i++) {
        const node_head_t *h = &n->heads[i];
        ledger_buf_t note = LEDGER_BUF_INIT, m = LEDGER_BUF_INIT;
        size_t nsigs = 0;
        uint64_t size;
        gossip_t *g;
        int rc = 0;
        /* a forked feed's checkpoint is gossiped too: a partner that holds
         * the other history keeps it as the evidence it lacks */
        if (node_witness_note(n, h->feed, &note, &nsigs, NULL) == 0 &&
            (size = ledger_checkpoint_size_of(h->feed, (const char *)note.data, note.len)) > 0 &&
            peer_has(s, h->feed) >= size && (g = gossip_of(s, h->feed)) &&
            (g->size != size || g->nsigs != nsigs) && note.len <= NODE_CHECKPOINT_MAX &&
            node_msg_checkpoint(&m, h->feed, note.data, note.len, NULL) == 0) {
            g->size = size;
            g->nsigs = nsigs;
            s->checkpoints_out++;
            rc = send(s, &m, 0);
        }
        ledger_buf_free(&note);
        ledger_buf_free(&m);
        if (rc)
            return -1;
    }
    return 0;
}

void node_witness_free(session_t *s)
{
    free(s->gossip);
    s->gossip = NULL;
    s->ngossip = 0;
}
