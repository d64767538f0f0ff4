/* node_nats.h -- publishes every event the node holds to a NATS JetStream
 * stream (docs/stream.md).
 *
 * Every entry of every feed in the store -- the node's own and each
 * replicated partner's, which ledger_replica verified before it stored them
 * -- becomes one message on subject <prefix>.<feed hex>.<eventType>
 * ("sealed" for an entry held without its payload, "entry" for an entry
 * that is not an event), in seq order per feed.  The body is the event as
 * `keten export` writes it (ledger_epcis_export_event_text), empty for a
 * sealed entry; headers Keten-Feed, Keten-Seq, Keten-Entry-Hash,
 * Keten-Record-Time, Keten-Event-Hash (events only), Keten-Sealed (sealed
 * only) and
 * Nats-Msg-Id = <feed hex>:<seq>, so that JetStream's duplicate window drops
 * a message published again.
 *
 * Threads: all NATS calls run on one publisher thread of this module
 * (connect, stream creation, js_PublishMsgAsync) and libnats's own
 * threads (acknowledgements); the loop thread only builds messages, hands
 * them over under a mutex and learns of acknowledgements through a
 * uv_async_t, so it never waits for NATS.  At most NODE_NATS_WINDOW
 * messages are unacknowledged at once.
 *
 * Exactly once, in order: per feed, `acked` is the highest seq up to which
 * JetStream acknowledged every message; messages are handed over in seq
 * order on one connection, so the server stores them in that order.  When
 * the connection fails, a publish fails or an acknowledgement does not
 * come in time, the connection is dropped, every feed goes back to acked + 1
 * and the thread connects again with backoff (250 ms doubling to 30 s);
 * what the server had stored already is dropped by its duplicate window
 * (Nats-Msg-Id).  node_nats_save keeps the acked positions in the store
 * (ledger_streampos.h) and node_nats_new starts from them, so a restart or
 * a kill -9 republishes at most the messages acknowledged since the last
 * save (within the duplicate window: dropped).
 */
#ifndef NODE_NATS_H
#define NODE_NATS_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "ledger_error.h"
#include "ledger_store.h"
#include "node_conf.h"
#include "node_msg.h"

#define NODE_NATS_WINDOW 16384   /* unacknowledged messages at most */
#define NODE_NATS_ACK_WAIT_MS 10000 /* an acknowledgement later than this drops the connection */

typedef struct node_nats node_nats_t;

/* Where the module's log lines go (called on the loop thread); line has no
 * newline and never holds credentials. */
typedef void (*node_nats_log_cb)(void *ctx, const char *line);
/* Called on the loop thread when acknowledgements made room in the window:
 * the caller answers with node_nats_poll. */
typedef void (*node_nats_wake_cb)(void *ctx);

/* Starts publishing to the stream of conf (servers non-empty) for the store
 * st (used from the loop thread only): loads the kept positions and starts
 * the publisher thread, which connects in the background (a server that is
 * down or refuses is logged and retried, not an error here).  0,
 * LEDGER_EINVAL (no servers), LEDGER_ENOMEM, LEDGER_EIO (the positions
 * cannot be read, no thread).  On an error *out may still be set: it is
 * stopped already and goes to node_nats_free after the loop has run (its
 * async handle is being closed); ctx is passed to log and wake. */
int node_nats_new(uv_loop_t *loop, ledger_store_t *st, const node_stream_conf_t *conf,
                  node_nats_log_cb log, node_nats_wake_cb wake, void *ctx, node_nats_t **out,
                  ledger_err_t *err);

/* The store's feed heads changed (or a tick): hands over the next entries
 * of every feed, up to the window.  heads sorted by feed, as node.c keeps
 * them.  Never blocks on NATS. */
void node_nats_poll(node_nats_t *nn, const node_head_t *heads, size_t n);

/* Keeps the positions acknowledged since the last save in the store (one
 * write transaction; not while this thread holds another).  0 or the
 * store's error; nothing kept then (tried again at the next call). */
int node_nats_save(node_nats_t *nn, ledger_err_t *err);

/* Adds the stream's state to o: "stream": {"servers", "stream", "state"
 * ("connecting", "connected", "down"), "server" (the URL connected to),
 * "error" (the last one), "published", "acked", "lag" (entries held and
 * not yet acknowledged), "feeds": [{"feed", "acked", "head"}...]}. */
void node_nats_state(const node_nats_t *nn, const node_head_t *heads, size_t n, json_t *o);

/* Stops the publisher thread (waiting for it: at most a connect attempt),
 * takes the last acknowledgements in, keeps the positions and closes the
 * async handle.  Then node_nats_free after the loop has run the close. */
void node_nats_stop(node_nats_t *nn);
void node_nats_free(node_nats_t *nn);

#endif
