/* node_state.h -- what a session may ask of the node it belongs to: log
 * lines (rate-limited for strangers), the loop's clock, our feeds' heads,
 * the peer list and feed names, the open group commit, the list of
 * sessions.  node.c (the loop) and node_session.c (one connection) both
 * call these; neither calls the other's internals: node.c drives sessions
 * through node_session.h, and a session reaches the node only through this
 * header.  The state itself is struct node in node__int.h.  Everything runs
 * on the node's loop thread. */
#ifndef NODE_STATE_H
#define NODE_STATE_H

#include "node__int.h"

void node_log(node_t *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the log-rate windows that are over (all of them when all is 1):
 * one summary line for what each held back. */
void node_log_flush(node_t *n, uint64_t now, int all);
/* A log line about a connection from addr ("ip:port", "[ip6]:port") that
 * has not authenticated: rate-limited per IP (NODE_LOG_*). */
void node_log_from(node_t *n, const char *addr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A dial attempt of d failed: sets its last_error (for status) and logs
 * "cannot connect to NAME (id…) at ADDR: why" unless that was just said. */
void node_dial_failed(node_t *n, dialer_t *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
uint64_t node_now(node_t *n);
/* Our head of feed (NULL when we have none). */
const node_head_t *node_head(node_t *n, const uint8_t feed[32]);
/* The name we know for a feed ("" when none). */
const char *node_feed_name(node_t *n, const uint8_t feed[32]);
/* Opens the group commit when none is open. */
int node_ingest(node_t *n, ledger_ingest_t **out, ledger_err_t *err);
/* Bytes arrived from a partner: no commit at the end of this iteration. */
void node_bytes_arrived(node_t *n);
/* The peer-list entry for id (NULL: not allowed). */
const node_peer_t *node_peer(node_t *n, const uint8_t id[32]);
/* Learns a name for a feed (prio 1: the peer's own HELLO, 0: a NAMES hint). */
void node_learn_name(node_t *n, const uint8_t feed[32], const char *name, size_t len, int prio);
/* Called by a session when it closed (before freeing). */
void node_session_gone(node_t *n, session_t *s);
/* Is there a ready session with this peer other than s? */
session_t *node_find_ready(node_t *n, const uint8_t id[32], session_t *except);

#endif
