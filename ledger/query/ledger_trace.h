/* ledger_trace.h -- trace a product through every feed the store holds:
 * where it came from (back) and where it went (forward), as a graph of
 * identifiers and events in time order. Recall, lifecycle and origin reports
 * (ledger_trace_report.h) are built on it. docs/trace.md is the user's page.
 *
 * The walk uses index look-ups only: ledger_store_ident_hits per
 * identifier (its rows in the item's time window), ledger_store_card per
 * event (what the event names, in which role), ledger_store_declarations
 * per event (to learn of errorDeclarations) and ledger_store_get for the
 * feed neighbours of a step (sealed steps). It never scans the log, reads
 * nothing of an event outside the windows, and decodes no payload (the lot
 * that an event's ILMD gives its instances is on its card, role
 * LEDGER_ROLE_LOT); ledger_trace_node_event reads an event for a caller.
 *
 * A work item is (identifier, mode, time window [lo, hi], via). Modes:
 *   BACK     the identifier's history up to hi: every event naming it;
 *            TransformationEvent with it as output -> inputs BACK (hi = then);
 *            AggregationEvent ADD/OBSERVE with it as parent -> children BACK;
 *            ADD with it as child -> the parent as CARRIER from then on;
 *            an instance whose event gives its lot (ilmd cbvmda:lotNumber, or
 *            a Digital Link with /10/) -> the LGTIN lot class BACK;
 *            a lot class that a TransformationEvent's ILMD gives its outputs
 *            -> its inputs BACK.
 *   FORWARD  its future from lo: every event naming it at or after lo;
 *            TransformationEvent with it as input -> outputs FORWARD;
 *            ADD with it as child -> the parent as CARRIER;
 *            ADD/DELETE with it as parent -> the children named FORWARD;
 *            an event naming it as a class and instances of the same GTIN in
 *            the same list, or whose ILMD gives it as the lot of its
 *            instances (epcList; a TransformationEvent's outputs), or one
 *            of whose instances carries it in its Digital Link (/10/: the
 *            card's role LEDGER_ROLE_LOT, also for an ADD's children):
 *            those instances of its GTIN (the lot's members) FORWARD.
 *   CARRIER  a container while `via` is inside it: its events in [lo, hi]
 *            only (shipments, observations), ended by a DELETE that names
 *            `via` or no child at all; ADD into a bigger container -> that
 *            one as CARRIER too. Its other contents are not followed.
 * Sources and destinations (parties, locations) are kept on the event nodes,
 * not followed: one party receives thousands of unrelated products.
 * TransactionEvent and AssociationEvent are steps of the identifiers they
 * name, not followed further.
 *
 * errorDeclaration: EPCIS 2.0 restates an erroneous event with the same
 * eventID plus errorDeclaration. Every event reached is looked up by ID; when
 * a declaration exists, the event node says so (erroneous, the declaration's
 * feed:seq, reason and correctiveEventIDs), the walk does not follow it, and
 * the corrective events are added (and followed) when the store holds them.
 * The restatement itself is not a separate node.
 *
 * Sealed: a sealed entry (payload withheld by its partner) has no
 * identifiers and no index rows, so nothing leads to it by identifier. keten
 * places it by its position in its feed: sealed entries directly next to a
 * step of the trace in the same feed (seq - 1, seq - 2, ... and seq + 1, ...
 * as long as they are sealed, at most LEDGER_TRACE_SEALED_RUN each way) are
 * added as sealed steps: who (feed), when (record time), linked to the step
 * (edge "neighbour"). A sealed entry asked for directly (feed:seq) is one too.
 *
 * Bounds: max_depth hops (a transformation, aggregation or lot step is one
 * hop; default 64) and max_nodes nodes (default 200,000). When a bound cuts
 * the walk, truncated is set; what was found is still returned.
 */
#ifndef LEDGER_TRACE_H
#define LEDGER_TRACE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_entry.h"
#include "ledger_error.h"
#include "ledger_epcis.h"
#include "ledger_store.h"

#define LEDGER_TRACE_SEALED_RUN 8

enum {
    LEDGER_TRACE_BACK = 1,
    LEDGER_TRACE_FORWARD = 2,
    LEDGER_TRACE_BOTH = 3,
};

typedef struct ledger_trace_opts {
    unsigned dir;       /* LEDGER_TRACE_BACK, _FORWARD or _BOTH (0 = both) */
    unsigned max_depth; /* 0 = 64 */
    size_t max_nodes;   /* 0 = 200,000 */
    int no_sealed;      /* 1: do not look for sealed neighbours */
} ledger_trace_opts_t;

enum ledger_trace_kind {
    LEDGER_TNODE_IDENT = 1,  /* an identifier (canonical Digital Link form, else as written) */
    LEDGER_TNODE_EVENT = 2,  /* an event of some feed */
    LEDGER_TNODE_SEALED = 3, /* a sealed entry of some feed: who and when only */
};

/* One node. For IDENT only id (and depth) is set. Strings are owned by the
 * trace and live until ledger_trace_free. */
typedef struct ledger_trace_node {
    enum ledger_trace_kind kind;
    const char *id;   /* IDENT: the identifier; EVENT: eventID; SEALED: "feedhex:seq" */
    unsigned depth;   /* hops from the start */
    unsigned reached; /* LEDGER_TRACE_BACK and/or _FORWARD: how the walk got here */
    /* EVENT and SEALED */
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t seq, lseq;
    uint64_t record_time_ms;
    /* EVENT */
    int64_t time_ms;           /* eventTime (SEALED: the time of the step it neighbours,
                                  else its record time) */
    const char *event_hash;    /* ni:///sha-256;... */
    const char *type;          /* "ObjectEvent", ... */
    const char *action;        /* ADD / OBSERVE / DELETE or NULL */
    const char *biz_step;      /* short CBV word or the URI; NULL when none */
    const char *disposition;   /* short CBV word or NULL */
    const char *read_point;    /* NULL when none */
    const char *biz_location;  /* NULL when none */
    const json_t *event;       /* the event once read (ledger_trace_node_event reads it) */
    const ledger_card_t *card; /* EVENT: its card (ledger_store.h; borrowed) */
    int step;                  /* EVENT: what kind of step it is, the kind of its edges
                                  (enum ledger_trace_edge_kind: OBSERVATION, SHIPMENT,
                                  AGGREGATION, TRANSFORMATION, TRANSACTION, ASSOCIATION) */
    int erroneous;             /* 1: an errorDeclaration of the event's own feed
                                  declares it erroneous (EPCIS: the party that
                                  captured an event corrects it) */
    const json_t *declaration; /* that errorDeclaration member, or NULL */
    uint8_t decl_feed[LEDGER_FEED_LEN];
    uint64_t decl_seq;
    /* errorDeclarations of the event by other feeds: disputes, kept as
     * evidence; they change nothing the walk, recall, lifecycle or bundles
     * conclude. In the trace's memory. */
    const struct ledger_trace_dispute *disputes;
    size_t ndisputes;
} ledger_trace_node_t;

/* An errorDeclaration of an event by a feed other than the event's own. */
typedef struct ledger_trace_dispute {
    uint8_t feed[LEDGER_FEED_LEN]; /* who declared it */
    uint64_t seq;
    const json_t *declaration; /* its errorDeclaration member (reason, declarationTime, ...) */
} ledger_trace_dispute_t;

enum ledger_trace_edge_kind {
    LEDGER_TEDGE_OBSERVATION = 1,    /* ObjectEvent naming the identifier */
    LEDGER_TEDGE_SHIPMENT = 2,       /* an event with bizStep shipping/receiving/
                                        departing/arriving or a source/destination */
    LEDGER_TEDGE_AGGREGATION = 3,    /* parent/child of an AggregationEvent */
    LEDGER_TEDGE_TRANSFORMATION = 4, /* input/output of a TransformationEvent */
    LEDGER_TEDGE_TRANSACTION = 5,    /* TransactionEvent */
    LEDGER_TEDGE_ASSOCIATION = 6,    /* AssociationEvent */
    LEDGER_TEDGE_LOT = 7,            /* instance -> its lot class (event = the one that says so) */
    LEDGER_TEDGE_NEIGHBOUR = 8,      /* step -> a sealed entry next to it in its feed */
    LEDGER_TEDGE_CORRECTION = 9,     /* erroneous event -> corrective event */
};

/* One edge, in the direction things flowed: an identifier that goes into an
 * event (input, child packed, observed thing) is `from`, one that comes out
 * (output, parent of an ADD) is `to`. role is the identifier's role in the
 * event (enum ledger_epcis_role; LEDGER_TRACE_ROLE_CARRIED; 0 for LOT,
 * NEIGHBOUR, CORRECTION). */
/* The role of an identifier in an event of its container (a shipment of the
 * pallet it was packed in): edges from a CARRIER walk to the thing inside. */
#define LEDGER_TRACE_ROLE_CARRIED 9

typedef struct ledger_trace_edge {
    size_t from, to; /* node indexes */
    enum ledger_trace_edge_kind kind;
    int role;
} ledger_trace_edge_t;

typedef struct ledger_trace ledger_trace_t;

/* Traces `start` (an EPC URN, class URN, Digital Link URI, other identifier
 * URI, an eventID / event hash, or "FEEDHEX:SEQ" with the 64-digit feed).
 * On success *out holds the graph: nodes are identifiers first (the start
 * first when it is one), then events and sealed steps in time order
 * (eventTime, then record time, then local order). LEDGER_ENOTFOUND when the
 * store has nothing about start; LEDGER_EINPUT for a malformed EPC URN or
 * Digital Link; LEDGER_EINVAL for bad options; LEDGER_EIO, LEDGER_ENOMEM.
 * On failure *out is NULL. */
int ledger_trace_run(ledger_store_t *st, const char *start, const ledger_trace_opts_t *opts,
                     ledger_trace_t **out, ledger_err_t *err);
/* The same from start read already (ledger_key_read): what the commands
 * use, so that an identifier is read once, where it comes in.
 * ledger_trace_run is ledger_key_read and this. */
int ledger_trace_run_key(ledger_store_t *st, const ledger_key_t *start,
                         const ledger_trace_opts_t *opts, ledger_trace_t **out, ledger_err_t *err);

void ledger_trace_free(ledger_trace_t *t);

/* The JSON event of event node n of t, read from the store when first asked
 * for (then kept in the trace, n->event): a walk reads cards only. The
 * store the trace was made from must still be open. NULL for other nodes,
 * or when it cannot be read. */
const json_t *ledger_trace_node_event(const ledger_trace_t *t, const ledger_trace_node_t *n);

size_t ledger_trace_node_count(const ledger_trace_t *t);
const ledger_trace_node_t *ledger_trace_node(const ledger_trace_t *t, size_t i);
size_t ledger_trace_edge_count(const ledger_trace_t *t);
const ledger_trace_edge_t *ledger_trace_edge(const ledger_trace_t *t, size_t i);
/* The node index of the start (an identifier or event node). */
size_t ledger_trace_start(const ledger_trace_t *t);
/* The node index of identifier id (canonicalised), or (size_t)-1. */
size_t ledger_trace_find(const ledger_trace_t *t, const char *id);
/* 1 when max_nodes or max_depth cut the walk. */
int ledger_trace_truncated(const ledger_trace_t *t);
/* Cards and entries read from the store for the trace (for the benchmark). */
uint64_t ledger_trace_reads(const ledger_trace_t *t);

/* Names of edge kinds ("observation", "shipment", "aggregation",
 * "transformation", "transaction", "association", "lot", "neighbour",
 * "correction"), node kinds ("identifier", "event", "sealed") and roles
 * ("epc", "class", "parent", "child", "input", "output", "source",
 * "destination", "carried", "lot"; "" for 0): the stable names of
 * docs/trace.md. */
const char *ledger_trace_edge_name(enum ledger_trace_edge_kind k);
const char *ledger_trace_kind_name(enum ledger_trace_kind k);
const char *ledger_trace_role_name(int role);

/* The graph as JSON (docs/trace.md, "keten.trace/1"): {"schema", "start",
 * "direction", "truncated", "nodes": [...], "edges": [...]}. Partner names
 * are not known here: the caller may add "partners". New reference or NULL
 * (out of memory). */
json_t *ledger_trace_json(const ledger_trace_t *t);

/* An ILMD (or event-level extension) member of event by namespace IRI and
 * local name: matches "prefix:local" when the event's @context maps prefix
 * to ns, the full IRI ns+local, and "prefix:local" for the usual prefix
 * given (may be NULL). Borrowed, or NULL. */
const json_t *ledger_trace_ilmd(const json_t *event, const char *ns, const char *prefix,
                                const char *local);

/* Where event node n happened: bizLocation, else readPoint (NULL: none). */
const char *ledger_trace_where(const ledger_trace_node_t *n);
/* Where the thing is after event node n: a shipping's destination of type
 * location (from its card), else where it happened. */
const char *ledger_trace_after(const ledger_trace_node_t *n);

/* Milliseconds since 1970 as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out[32]. */
void ledger_trace_fmt_ms(int64_t ms, char out[32]);

#endif
