/* node_writer.h -- the node's writer: stores captured EPCIS documents into
 * the own feed on a thread of its own, so that checking, hashing, signing
 * and LMDB's fsync never run on the libuv loop.
 *
 * One thread per writer, one job at a time, in the order submitted (LMDB
 * has one writer per store anyway).  A job is a whole document (any shape
 * ledger_epcis_doc_foreach reads: EPCISDocument, EPCISQueryDocument, an
 * array of events, one event); it is stored as `keten record` stores a
 * file: every event checked first (nothing is written for a bad document),
 * then all events in one append transaction (ledger_store_append_begin /
 * add / commit), all or nothing.  An event whose eventID is stored already
 * fails the job (LEDGER_EEXIST) and nothing of it is stored, as `keten
 * record` without --skip-duplicates does.
 *
 * A job with skip_duplicates set is checked and stored the same way, all
 * or nothing, except that an event stored already is skipped (counted)
 * as `keten record --skip-duplicates` does: a document delivered again
 * stores nothing more and succeeds (the NATS capture, node_capture_nats.h).
 *
 * A batch job (parts) stores several documents the same way in one
 * append transaction and one commit: each one is checked first and a bad
 * one is refused alone (its part's rc); the good ones are stored together,
 * or, on a store error, none of them (each part's rc).  Small documents
 * then cost one fsync between them, not one each.
 *
 * A job with proceed set (GS1-Capture-Error-Behaviour: proceed) stores
 * every good event instead: each event is checked as it is read, a bad one
 * or a duplicate (an eventID stored already, or earlier in the document)
 * is an error of the job naming its index and is not stored, the others go
 * into one append transaction.  Only a document that cannot be read at all
 * (no JSON, no events list), too many events, or a store error fails the
 * whole job (rc, nothing stored).
 *
 * When a job is done the writer wakes the loop (uv_async) and done_fn is
 * called on the loop thread with the job, which then belongs to the caller
 * again.
 *
 * The store handle: the writer appends through the node's own
 * ledger_store_t, from its thread, while the loop reads through it.  LMDB
 * forbids opening one environment twice in one process (the second open
 * re-initialises the lock table the first one uses; closing it drops the
 * process's locks), so a second handle is not an option.  The append calls
 * use only the environment (thread-safe, MDB_NOTLS), the handle's fields
 * fixed at open, and their own write transaction, never the handle's
 * cached read transaction, which stays the loop's.  The loop's own writes
 * (the replication group commit) and the writer's take turns on LMDB's
 * writer lock, as with a `keten record` in another process.
 */
#ifndef NODE_WRITER_H
#define NODE_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ledger_error.h"
#include "ledger_identity.h"
#include "ledger_store.h"

#define NODE_WRITER_QUEUE_MAX 16 /* jobs waiting (not counting the one running), at most */
#define NODE_WRITER_ERRORS_MAX 100 /* errors kept per proceed job (the first ones) */

/* One event not stored by a proceed job. */
typedef struct node_writer_error {
    size_t index;  /* its index in the document, 0-based */
    int rc;        /* LEDGER_EINPUT (bad), LEDGER_EEXIST (duplicate) */
    char msg[600]; /* "document: event 3: epcList[0]: ..." */
} node_writer_error_t;

/* One document of a batch job (parts below). */
typedef struct node_writer_part {
    char *body;        /* in: the document (malloc'd; the writer frees it, sets NULL) */
    size_t len;
    int rc;            /* out: 0 stored (or all of it stored already), or why not */
    char msg[1024];    /* what went wrong, naming the event ("document: event 3: ...") */
    size_t events, stored, skipped;
} node_writer_part_t;

typedef struct node_writer_job {
    /* in: set by the caller */
    char *body;        /* the document (malloc'd; the writer frees it when done, sets NULL) */
    size_t len;
    size_t max_events; /* more events than this fail the job (LEDGER_ETOOBIG); 0: no bound */
    int proceed;       /* store the good events, each bad one an error (above) */
    int want_event;    /* keep the first stored event's JSON (event_json) */
    int skip_duplicates; /* not proceed: an event stored already is skipped (counted in
                            skipped), not a failure; a bad event still fails the job */
    void *user;        /* the caller's */
    node_writer_part_t *parts; /* a batch instead of body (skip_duplicates jobs only):
                                  nparts documents, each checked whole and stored all or
                                  nothing, the good ones in one append transaction; the
                                  results are in each part, the job's rc is 0 then */
    size_t nparts;
    /* out: set by the writer before done_fn */
    int rc;            /* 0: stored; else a LEDGER_E* code and msg */
    char msg[1024];    /* what went wrong, naming the event ("event 3: ...") */
    size_t events;     /* events in the document (those checked before a failure) */
    size_t stored;     /* events stored (0 on failure) */
    uint64_t first_seq, last_seq; /* their seqs in the own feed */
    char first_id[520];           /* the first event's eventID (its own, or its hash) */
    char *event_json;             /* want_event: the first stored event as stored (eventID
                                     added), compact JSON; malloc'd, the caller frees */
    node_writer_error_t *errors;  /* proceed: the first NODE_WRITER_ERRORS_MAX events not
                                     stored; malloc'd, the caller frees */
    size_t nerrors;               /* of them in errors */
    size_t failed;                /* proceed: events not stored, all of them */
    size_t skipped;               /* skip_duplicates: events stored already, skipped */
    /* private */
    struct node_writer_job *next_;
} node_writer_job_t;

/* Called on the loop thread for every job submitted, once it is done (or
 * dropped by node_writer_close: rc LEDGER_EIO). */
typedef void (*node_writer_done_fn)(void *ctx, node_writer_job_t *job);

typedef struct node_writer node_writer_t;

/* A writer appending to st (own feed) signed with id; both must outlive it.
 * LEDGER_ENOMEM, LEDGER_EIO (no thread). */
int node_writer_new(uv_loop_t *loop, ledger_store_t *st, const ledger_identity_t *id,
                    node_writer_done_fn done, void *ctx, node_writer_t **out, ledger_err_t *err);

/* Queues job (the writer owns it until done_fn).  LEDGER_ETOOBIG when
 * NODE_WRITER_QUEUE_MAX jobs wait already (the job stays the caller's). */
int node_writer_submit(node_writer_t *w, node_writer_job_t *job, ledger_err_t *err);

/* Jobs waiting or running. */
size_t node_writer_pending(const node_writer_t *w);

/* Stops the writer: waits for the running job to finish (blocking the
 * caller that long), calls done_fn for every job not delivered yet (those
 * never run with rc LEDGER_EIO), then frees itself once libuv closed its
 * handle (run the loop).  NULL is fine. */
void node_writer_close(node_writer_t *w);

#endif
