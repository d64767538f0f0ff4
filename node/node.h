/* node.h -- the keten node: a partner's peer in the chain.
 *
 * node_run() serves one keten home until SIGINT or SIGTERM: it listens for
 * partners (the allowlist is <home>/peers.json, node_conf.h), dials every
 * partner that has an address (reconnecting with exponential backoff and
 * jitter, 1 s to 30 s), authenticates each connection (node_hs.h: identity,
 * network key, forward secrecy), encrypts it (node_stream.h), and keeps the
 * partners' copies of every feed in step (node_msg.h, docs/protocol.md):
 * heads are exchanged, missing entries are streamed in batches of at most
 * 1 MiB with at most 4 MiB queued per connection, each batch is verified
 * (a link per entry, the newest signature) and stored by ledger_replica.h in
 * group commits, and new entries, including those recorded by another
 * process into the same home, are pushed to subscribed partners within a
 * second.  Feeds of other partners are relayed.  A partner that sends
 * garbage, an oversized frame, a bad entry or a fork is disconnected with a
 * log line naming it; everyone else is still served.
 *
 * With an HTTP address (opt->http, or "http" in keten.json) the node also
 * serves HTTP on the same loop: the GS1 Digital Link resolver
 * (node_resolve.h), the EPCIS 2.0 query routes (node_query.h) and capture
 * (node_capture.h: stored by a writer thread, node_writer.h, and pushed to
 * the partners when committed), with bearer tokens (node_token.h); a
 * non-loopback address only when the operator says so (opt->http_expose,
 * "expose": true).
 *
 * Everything runs on one libuv loop in the calling thread; the store is
 * used only from it.  Log lines go to the log stream (stderr), one per
 * event, "2026-11-24T10:00:00.123Z keten node: ...".  The node writes its
 * state to <home>/node.json about once a second for `keten status`.
 */
#ifndef NODE_H
#define NODE_H

#include <stdio.h>

#include "ledger_error.h"
#include "ledger_home.h"
#include "ledger_identity.h"

typedef struct node_options {
    const char *listen; /* "127.0.0.1:7401", or NULL to only dial out */
    int progress;       /* 1: show sync progress on the log stream (a terminal) */
    FILE *log;          /* where log lines go (stderr when NULL) */
    const char *http;   /* "127.0.0.1:8080": serve HTTP there (node_http.h, docs/http.md);
                           NULL: as "http" in keten.json says (default: no HTTP) */
    int http_expose;    /* 1: a non-loopback HTTP address is allowed */
    const char *stream; /* "nats://H:P[,...]": publish every event to NATS JetStream
                           (node_nats.h, docs/stream.md); NULL: as "stream" in keten.json
                           says (default: none) */
    const char *capture_from; /* "nats://H:P[,...]/SUBJECT": record the documents published
                                 there (node_capture_nats.h, docs/stream.md); NULL: as
                                 "captureFrom" in keten.json says (default: none) */
} node_options_t;

/* Runs the node for home (opened read-write) with its identity until a
 * signal stops it; returns 0 after a clean stop, or an error (the listen
 * address is taken, no network key, ...) with the message in err. */
int node_run(ledger_home_t *home, const ledger_identity_t *id, const node_options_t *opt,
             ledger_err_t *err);

#endif
