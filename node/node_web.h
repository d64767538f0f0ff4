/* node_web.h -- the node's HTTP side as keten.json's "http" and the command
 * line set it up (docs/http.md): the server (node_http.h) with its routes
 * in a fixed order -- capture, named queries, the EPCIS query routes, the
 * product page, the resolver (the last three wrapped in CORS when
 * "cors" lists origins) -- and, on SIGHUP, the same settings read again.
 *
 * What a reload changes, for the requests handled from then on: the limits,
 * the prefix and base URL, the public feeds (also partners named in a
 * peers.json that was just re-read), the CORS origins, and the listen
 * address (the new one is bound before the old one is closed; open
 * connections, live subscriptions and captures being stored stay).  What it
 * does not do: turn HTTP off (a node serving HTTP goes on until a restart
 * when "listen" is removed).  Settings that are wrong change nothing at all:
 * the old ones keep serving and the caller gets the message.
 */
#ifndef NODE_WEB_H
#define NODE_WEB_H

#include <stddef.h>

#include "ledger_error.h"

typedef struct node node_t; /* node__int.h */

/* Called on the loop when a capture has stored events. */
typedef void (*node_web_captured_fn)(void *node, size_t events);

/* Starts HTTP when an address is given (--http, else keten.json); nothing
 * when none is.  LEDGER_EINPUT for settings that are wrong (a non-loopback
 * address without expose, a bad prefix, a public partner that is no
 * peer's), LEDGER_EIO when the address cannot be bound. */
int node_web_start(node_t *n, node_web_captured_fn captured, ledger_err_t *err);

/* Reads keten.json's "http" again and applies it (see above); a node
 * without HTTP starts it when an address is now given.  0, or a negative
 * code with err set and nothing changed. */
int node_web_reload(node_t *n, ledger_err_t *err);

#endif
