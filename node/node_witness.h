/* node_witness.h -- partners witnessing each other's checkpoints (issue 16,
 * docs/protocol.md "Witnessing"): the node's side of ledger_witness.h.
 *
 * A partner's checkpoint that the node took (ledger_ingest_checkpoint: its
 * signature and root checked against the entries held) has its
 * cosignature lines merged, and, unless the feed's owner is a peer added
 * with `peer add --no-witness` (peers.json "witness": false), the node
 * cosigns it.  Cosigned notes then travel: each session sends its peer the
 * newest checkpoint of every feed the peer holds up to it, with all the
 * cosignatures kept for it, whenever that note changed (a newer checkpoint
 * or one more cosignature) -- to the feed's owner and to every other
 * partner, so that two partners shown two histories find out when they
 * talk.  All of it runs on the loop thread inside the open group commit. */
#ifndef NODE_WITNESS_H
#define NODE_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"
#include "ledger_replica.h"
#include "node__int.h"

/* Merges and (unless feed's owner is a --no-witness peer) cosigns the checkpoint note[0..len) of
 * feed that session s's peer sent, in the ingest in.  A line dropped (a
 * forged, replayed or unknown witness's cosignature) or a cosignature
 * refused (inconsistent with the one cosigned before) is logged naming the
 * feed, the peer and what is wrong; the checkpoint itself stays taken.
 * 0, or a negative code when the store failed (err says why). */
int node_witness_take(session_t *s, ledger_ingest_t *in, const uint8_t feed[32],
                      const char *note, size_t len, ledger_err_t *err);

/* Appends to note the checkpoint of feed to send a peer: the kept one with
 * every cosignature held for it (*nsigs of them), or, when that is longer
 * than a CHECKPOINT carries (NODE_CHECKPOINT_MAX), the kept one alone
 * (*nsigs = 0).  0, LEDGER_ENOTFOUND when none is kept, or another
 * negative code (err). */
int node_witness_note(node_t *n, const uint8_t feed[32], ledger_buf_t *note, size_t *nsigs,
                      ledger_err_t *err);

/* The sender of a session's messages (node_session.c's). */
typedef int (*node_witness_send_fn)(session_t *s, ledger_buf_t *msg, int final);

/* Sends s's peer, through send, the cosigned checkpoint of each feed whose
 * note changed since it was last sent on this session and whose entries
 * the peer has (its announced head is at least the checkpoint's size).
 * At most once a second per session.  0, or -1 when sending failed. */
int node_witness_gossip(session_t *s, uint64_t now_ms, node_witness_send_fn send);

/* Records that s sent its peer the cosigned note of feed (size, nsigs),
 * so gossip does not send it again. */
void node_witness_sent(session_t *s, const uint8_t feed[32], uint64_t size, size_t nsigs);

/* Frees the gossip state of s. */
void node_witness_free(session_t *s);

#endif
