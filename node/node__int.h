/* node__int.h -- internals shared by node.c (the loop: listener, dialling,
 * timers, group commits, state file) and node_session.c (one connection:
 * handshake, frames, messages, sync).  Not a public contract. */
#ifndef NODE__INT_H
#define NODE__INT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "ledger_buf.h"
#include "ledger_home.h"
#include "ledger_replica.h"
#include "ledger_store.h"
#include "node.h"
#include "node_conf.h"
#include "node_hs.h"
#include "node_msg.h"
#include "node_stream.h"

#define NODE_QUEUE_MAX (4u * 1024 * 1024) /* bytes queued per connection before pausing */
#define NODE_BATCH_ENTRIES 4096
/* entry bytes per ENTRIES message: the frame less the message header and the
 * 4-byte length of each entry */
#define NODE_BATCH_BYTES (NODE_FRAME_MAX - 64 - 4 * NODE_BATCH_ENTRIES)
#define NODE_PING_MS 10000
#define NODE_IDLE_MS 30000
#define NODE_HS_TIMEOUT_MS 10000
#define NODE_BACKOFF_MIN_MS 1000
#define NODE_BACKOFF_MAX_MS 30000
/* A group commit is made when this many received entries wait, or the
 * oldest waited this long, or a loop iteration passed in which no bytes
 * arrived and no session is in the middle of a bulk sync (live traffic
 * commits at once; a bulk sync is not cut into small commits by the gaps
 * in the sender's stream).  On a large
 * store a commit costs about the same for 2,000 entries as for 100,000 (it
 * rewrites the index pages touched), so a bulk sync commits in big groups. */
#define NODE_COMMIT_ENTRIES 100000
#define NODE_COMMIT_MS 2000

typedef struct node node_t;
typedef struct session session_t;

/* An outbound partner: where to dial, and the backoff state. */
typedef struct dialer {
    uint8_t id[32];
    char address[NODE_ADDR_MAX];
    unsigned attempts;
    uint64_t next_ms;   /* loop time of the next attempt */
    session_t *session; /* the session this dialer made, while it lives */
    char last_error[400];
    int live; /* still on the peer list */
} dialer_t;

typedef struct sub {
    uint8_t feed[32];
    uint64_t next; /* next seq to send */
    uint64_t to;   /* 0: follow the head */
} sub_t;

typedef struct want {
    uint8_t feed[32];
    uint64_t to; /* 0: subscription open */
} want_t;

enum { SES_HANDSHAKE, SES_READY, SES_CLOSING };

struct session {
    node_t *node;
    session_t *next;
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    int initiator;
    int state;
    dialer_t *dialer;
    node_hs_t *hs;
    node_tx_t *tx;
    node_rx_t *rx;
    ledger_buf_t in; /* received bytes not yet consumed */
    uint8_t peer_id[32];
    int have_peer;
    char peer_label[400]; /* "name (abcd1234)" or the address while unknown */
    char addr[NODE_ADDR_MAX];
    sub_t *subs;
    size_t nsubs, rr;
    want_t *wants;
    size_t nwants;
    node_head_t *peer_heads;
    size_t npeer_heads;
    size_t queued; /* bytes handed to uv_write not yet written */
    uint64_t started_ms, last_rx_ms, last_tx_ms, last_sync_ms;
    uint64_t entries_in, entries_out;
    uint64_t ping_nonce;
    int pumping;
    uint64_t bulk_remaining; /* entries the peer announced beyond the last batch */
    int hs_rc; /* last handshake result, for the log */
    uv_shutdown_t shutdown_req;
    const uint8_t **scratch_p; /* ENTRIES decode scratch */
    size_t *scratch_n;
    size_t scratch_cap;
    uint8_t rbuf[65536];
};

struct node {
    uv_loop_t *loop;
    ledger_home_t *home;
    ledger_store_t *st;
    const ledger_identity_t *id;
    const char *home_path;
    uint8_t self[32];
    char name[201];
    uint8_t netkey[32];
    node_options_t opt;
    FILE *log;
    node_peers_t peers;
    struct timespec peers_mtime;
    uv_tcp_t listener;
    int listening;
    char listen_addr[NODE_ADDR_MAX];
    uv_signal_t sigint, sigterm;
    uv_timer_t tick;
    uv_fs_event_t dbwatch; /* the store's files changed: maybe new entries */
    int watching;
    uv_check_t check;
    dialer_t **dialers; /* each allocated once: sessions keep pointers */
    size_t ndialers;
    session_t *sessions;
    ledger_ingest_t *ingest; /* the open group commit, or NULL */
    uint64_t ingest_entries; /* entries added to the open group commit */
    uint64_t ingest_started; /* loop time it was opened */
    int ingest_busy;         /* bytes arrived during this loop iteration */
    node_head_t *heads;      /* our feeds' heads as last seen (sorted by feed) */
    size_t nheads;
    json_t *names; /* feed hex -> name learned from partners */
    int names_dirty;
    uint64_t last_state_ms;
    int stopping;
    /* progress of the initial sync */
    uint64_t prog_entries, prog_last_ms, prog_base_entries, prog_start_ms;
    int prog_shown;
};

/* node.c */
void node_log(node_t *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
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

/* node_session.c */
/* Starts a session on an accepted (initiator 0) or connected socket. */
session_t *session_new(node_t *n, int initiator, dialer_t *d);
void session_start(session_t *s);
/* Closes the session (after sending BYE with reason when ready). */
void session_close(session_t *s, const char *reason);
/* Sends everything subscribed that the store has and the queue allows. */
void session_pump(session_t *s);
/* Tells the peer about heads that changed (n of them). */
void session_send_heads(session_t *s, const node_head_t *heads, size_t n);
/* Timers: pings, idle and handshake timeouts. */
void session_tick(session_t *s, uint64_t now);
/* Fills a JSON object with the session's state for node.json. */
void session_state(session_t *s, json_t *o);

#endif
