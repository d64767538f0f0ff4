/* node_capture_nats.h -- the node records EPCIS documents that other
 * systems publish to a NATS JetStream subject (docs/stream.md "Capture").
 *
 * `keten node --capture-from nats://HOST:PORT[,nats://...]/SUBJECT` (or
 * "captureFrom" in keten.json) makes a durable pull consumer (default
 * name "keten-capture") on SUBJECT; when no stream takes SUBJECT one is
 * made ("KETEN_CAPTURE", file storage).  Each message's body is a
 * document as `keten record` reads it (EPCISDocument or
 * EPCISQueryDocument in JSON-LD, an array of events, one event, or EPCIS
 * XML); it is stored by a node_writer.h writer of its own, as `keten
 * record --skip-duplicates` stores a file: every event checked, then all
 * of them appended, signed with the node's key -- all or nothing per
 * message.  The messages that wait while the writer is busy go to it
 * together as one batch job (up to 256 messages): each checked alone, the
 * good ones in one append transaction and one commit.  An event stored already (by eventID, or its
 * hash when it has none) is skipped: a message delivered again, or published twice, stores nothing
 * more.
 *
 * Acknowledgement: a message is acked only after the writer's commit of its
 * events is durable.  A node killed before that leaves it unacked; JetStream
 * delivers it again after the consumer's ack wait, and its stored events are
 * skipped then: every message's events are recorded exactly once.
 *
 * A message refused (no JSON or XML, a schema error, more than
 * NODE_CAPTURE_EVENTS_MAX events) is published to the dead-letter subject
 * (default "keten.capture.errors"; a stream "KETEN_CAPTURE_ERRORS" is made
 * for it when none takes it) with its original body and headers
 * Keten-Error (the writer's message, naming the event index and field, as
 * `keten record` does), Keten-Capture-Subject, Keten-Capture-Stream,
 * Keten-Capture-Seq, and Nats-Msg-Id = capture:<stream>:<seq>; only once
 * JetStream acknowledged the dead letter is the original acked.  One log
 * line per refused message names its subject, stream seq and the cause.
 * A store error (disk full) is no fault of the message: it is nak'ed with
 * a delay and comes again.
 *
 * Threads: one capture thread owns the connection (connect with backoff
 * 250 ms .. 30 s, Fetch, ack, dead letters); the loop thread only hands
 * message bodies to the writer and learns of them through a uv_async_t;
 * at most NODE_CNATS_WINDOW messages are between fetched and acked
 * (the consumer's MaxAckPending is 1000).
 */
#ifndef NODE_CAPTURE_NATS_H
#define NODE_CAPTURE_NATS_H

#include <jansson.h>
#include <uv.h>

#include "ledger_error.h"
#include "ledger_identity.h"
#include "ledger_store.h"
#include "node_conf.h"

#define NODE_CNATS_WINDOW 512    /* messages fetched and not yet acked, at most */
#define NODE_CNATS_ACK_WAIT_S 30 /* the consumer's ack wait by default */

typedef struct node_cnats_conf {
    char servers[NODE_STREAM_STR_MAX]; /* "" : no capture */
    char subject[256];                 /* the subject taken from ("mes.events", "mes.>") */
    char durable[65];                  /* the durable consumer ("keten-capture") */
    char stream[65];                   /* made for subject when no stream takes it */
    char dead[256];                    /* the dead-letter subject ("keten.capture.errors") */
    char dead_stream[65];              /* made for it when none takes it */
    int ack_wait_s;                    /* the consumer's ack wait (30) */
    char creds[NODE_STREAM_STR_MAX];   /* a .creds file, or "" */
    char ca[NODE_STREAM_STR_MAX];      /* a CA file for TLS, or "" */
} node_cnats_conf_t;

/* Sets the defaults above (no servers). */
void node_cnats_conf_init(node_cnats_conf_t *c);

/* "nats://H:P[,nats://H2:P2]/SUBJECT" into c->servers and c->subject.
 * LEDGER_EINPUT naming what is wrong (no subject, a non-NATS URL, a
 * subject with characters NATS does not take). */
int node_cnats_url_parse(const char *url, node_cnats_conf_t *c, ledger_err_t *err);

/* Loads "captureFrom" of <home>/keten.json into *out, defaults first:
 * either the URL above or {"url": "nats://H:P/SUBJECT", "durable",
 * "stream", "deadLetter", "deadLetterStream", "ackWait" (seconds),
 * "creds", "ca"}.  No member: servers "".  LEDGER_EINPUT naming the member,
 * LEDGER_EIO when keten.json cannot be read. */
int node_cnats_conf_load(const char *home, node_cnats_conf_t *out, ledger_err_t *err);

/* LEDGER_EINPUT when the dead-letter subject is one the capture takes
 * (c->subject matches c->dead: each dead letter would be captured and
 * refused again, for ever); 0 when not.  node_cnats_new checks it. */
int node_cnats_conf_check(const node_cnats_conf_t *c, ledger_err_t *err);

typedef struct node_cnats node_cnats_t;

/* Log lines (loop thread; no credentials) and "events were stored" (loop
 * thread: the node tells its partners). */
typedef void (*node_cnats_log_cb)(void *ctx, const char *line);
typedef void (*node_cnats_stored_cb)(void *ctx, size_t events);

/* Starts capturing into st's own feed signed with id (both outlive it):
 * its writer and its thread, which connects in the background (a server
 * down is logged and retried, not an error here).  0, LEDGER_EINVAL (no
 * servers), LEDGER_ENOMEM, LEDGER_EIO (no thread).  On an error *out may
 * be set: stopped already, node_cnats_free it after the loop ran. */
int node_cnats_new(uv_loop_t *loop, ledger_store_t *st, const ledger_identity_t *id,
                   const node_cnats_conf_t *conf, node_cnats_log_cb log,
                   node_cnats_stored_cb stored, void *ctx, node_cnats_t **out, ledger_err_t *err);

/* Adds "capture": {"servers", "subject", "durable", "deadLetter", "state"
 * ("connecting", "connected", "down"), "server", "error" (the last
 * connection error), "recorded" (messages stored or all duplicates),
 * "events" (stored), "duplicates" (events skipped), "refused" (messages
 * sent to the dead-letter subject), "lastRefused" (its cause), "inflight"}
 * to o.  Counts since the node started. */
void node_cnats_state(const node_cnats_t *cn, json_t *o);

/* Stops: the thread (at most a fetch or connect attempt), the writer
 * (waits for the running message), then acks what was stored and closes
 * the connection; messages not stored are left to JetStream to deliver
 * again.  Then node_cnats_free after the loop ran the closes. */
void node_cnats_stop(node_cnats_t *cn);
void node_cnats_free(node_cnats_t *cn);

#endif
