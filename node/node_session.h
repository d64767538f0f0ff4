/* node_session.h -- one connection between two nodes, as the loop (node.c)
 * drives it: made for an accepted or a dialled socket, started, pumped
 * when the store grows, told about changed heads, ticked, asked for its
 * state, closed.  The protocol itself (handshake, frames, HELLO/NAMES/
 * HEADS/WANT/ENTRIES) is inside node_session.c; docs/protocol.md. */
#ifndef NODE_SESSION_H
#define NODE_SESSION_H

#include <jansson.h>
#include <stdint.h>

#include "node__int.h"

/* A new session on n's loop (its TCP handle initialised, not yet
 * connected or accepted), first on n's list of sessions: accepted
 * (initiator 0, d NULL) or dialled by d (initiator 1).  NULL when out of
 * memory (logged).  The session frees itself after node_session_close(). */
session_t *node_session_new(node_t *n, int initiator, dialer_t *d);
/* Starts reading on the connected or accepted socket (a dialler sends the
 * handshake's first message). */
void node_session_start(session_t *s);
/* Closes the session (after sending BYE with reason when ready). */
void node_session_close(session_t *s, const char *reason);
/* Sends everything subscribed that the store has and the queue allows. */
void node_session_pump(session_t *s);
/* Tells the peer about heads that changed (n of them). */
void node_session_send_heads(session_t *s, const node_head_t *heads, size_t n);
/* Timers: pings, idle and handshake timeouts. */
void node_session_tick(session_t *s, uint64_t now);
/* Fills a JSON object with the session's state for node.json. */
void node_session_state(session_t *s, json_t *o);

#endif
